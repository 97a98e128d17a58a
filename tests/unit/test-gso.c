/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for gso.c: a TCP GSO frame over IPv4, IPv4 behind a VLAN tag, and IPv6 is cut
 * into MSS-sized segments whose headers (lengths, IPv4 id and header checksum, sequence
 * numbers, FIN/PSH/CWR) and TCP checksums are right and whose payloads concatenate to the
 * original; hostile frames (bad type, MSS 0, not TCP, truncated, a data offset past the end,
 * too many segments) and an empty pool are refused with nothing left allocated.
 */
#include "vswitch/csum.h"
#include "vswitch/gso.h"
#include "vswitch/pkt.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define T_FIN 0x01
#define T_PSH 0x08
#define T_ACK 0x10
#define T_CWR 0x80

static struct pkt_pool *pool;

static int
setup(void **state)
{
	(void)state;
	return pkt_pool_create(256, 0, &pool);
}

static int
teardown(void **state)
{
	struct pkt_pool_stats st;

	(void)state;
	pkt_pool_get_stats(pool, &st);
	pkt_pool_destroy(pool);
	/* Every test returns what it took: nothing leaks on error paths either. */
	return st.n_free == st.n_pkts ? 0 : -1;
}

static void
put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t
get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* A GSO frame: Ethernet [+ VLAN], IPv4 or IPv6, TCP with 'opt' option bytes, 'payload'
 * bytes of a counting pattern, seq 1000, flags 'flags'. Returns the L3 offset. */
static uint32_t
build(struct pkt *p, bool ipv6, bool vlan, uint32_t opt, uint32_t payload, uint8_t flags)
{
	uint8_t *d = pkt_data(p);
	uint32_t l3 = 14 + (vlan ? 4 : 0), l4, tcp_len = 20 + opt;

	memset(d, 0, 128);
	memcpy(d, "\x00\x16\x3e\x00\x00\x02\x00\x16\x3e\x00\x00\x01", 12);
	if (vlan) {
		put16(d + 12, 0x8100);
		put16(d + 14, 7);
	}
	put16(d + l3 - 2, ipv6 ? 0x86dd : 0x0800);
	if (ipv6) {
		d[l3] = 0x60;
		put16(d + l3 + 4, (uint16_t)(tcp_len + payload));
		d[l3 + 6] = 6;
		d[l3 + 7] = 64;
		d[l3 + 8] = 0xfd;
		d[l3 + 23] = 1;
		d[l3 + 24] = 0xfd;
		d[l3 + 39] = 2;
		l4 = l3 + 40;
	} else {
		d[l3] = 0x45;
		put16(d + l3 + 2, (uint16_t)(20 + tcp_len + payload));
		put16(d + l3 + 4, 0x1234);
		d[l3 + 6] = 0x40; /* DF */
		d[l3 + 8] = 64;
		d[l3 + 9] = 6;
		memcpy(d + l3 + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
		l4 = l3 + 20;
	}
	put16(d + l4, 40000);
	put16(d + l4 + 2, 5201);
	d[l4 + 4] = 0;
	d[l4 + 5] = 0;
	put16(d + l4 + 6, 1000);
	d[l4 + 12] = (uint8_t)((tcp_len / 4) << 4);
	d[l4 + 13] = flags;
	put16(d + l4 + 14, 65535);
	for (uint32_t i = 0; i < opt; i++)
		d[l4 + 20 + i] = 1; /* NOP options */
	for (uint32_t i = 0; i < payload; i++)
		d[l4 + tcp_len + i] = (uint8_t)(i * 7 + 3);
	p->len = l4 + tcp_len + payload;
	p->gso_type = ipv6 ? PKT_GSO_TCPV6 : PKT_GSO_TCPV4;
	p->flags = PKT_F_CSUM_BLANK;
	p->in_port = 5;
	return l3;
}

static void
check_segments(bool ipv6, bool vlan, uint32_t opt, uint32_t payload, uint16_t mss, uint8_t flags)
{
	struct pkt *p = pkt_alloc(pool), *segs[VSW_GSO_SEGS_MAX];
	uint32_t l3 = build(p, ipv6, vlan, opt, payload, flags), l4 = l3 + (ipv6 ? 40 : 20);
	uint32_t hdr = l4 + 20 + opt, off = 0;
	unsigned int want = payload ? (payload + mss - 1) / mss : 1;
	int n;

	p->gso_size = mss;
	n = vsw_gso_segment(p, pool, segs, VSW_GSO_SEGS_MAX);
	assert_int_equal(n, (int)want);
	for (int i = 0; i < n; i++) {
		const uint8_t *d = pkt_data(segs[i]);
		uint32_t chunk = payload - off < mss ? payload - off : mss;
		uint8_t f = flags;

		assert_int_equal(segs[i]->len, hdr + chunk);
		assert_int_equal(segs[i]->gso_type, PKT_GSO_NONE);
		assert_int_equal(segs[i]->in_port, 5);
		assert_true(segs[i]->flags & PKT_F_DATA_VALIDATED);
		assert_false(segs[i]->flags & PKT_F_CSUM_BLANK);
		if (ipv6) {
			assert_int_equal(get16(d + l3 + 4), segs[i]->len - l3 - 40);
		} else {
			assert_int_equal(get16(d + l3 + 2), segs[i]->len - l3);
			assert_int_equal(get16(d + l3 + 4), 0x1234 + i);
			assert_int_equal(vsw_csum_fold(vsw_csum_partial(d + l3, 20, 0)), 0);
		}
		assert_int_equal(get32(d + l4 + 4), 1000 + off);
		if (i + 1 < n)
			f &= (uint8_t) ~(T_FIN | T_PSH);
		if (i > 0)
			f &= (uint8_t)~T_CWR;
		assert_int_equal(d[l4 + 13], f);
		assert_int_equal(vsw_csum_verify(segs[i]), 0);
		for (uint32_t k = 0; k < chunk; k++)
			assert_int_equal(d[hdr + k], (uint8_t)((off + k) * 7 + 3));
		off += chunk;
	}
	assert_int_equal(off, payload);
	pkt_free_bulk(segs, (unsigned int)n);
	/* The input is left as it was, still the caller's. */
	assert_int_equal(p->gso_type, ipv6 ? PKT_GSO_TCPV6 : PKT_GSO_TCPV4);
	pkt_free(p);
}

static void
tcpv4_is_cut_at_the_mss_with_headers_fixed(void **state)
{
	(void)state;
	check_segments(false, false, 12, 10000, 1448, T_ACK | T_PSH | T_FIN | T_CWR);
	check_segments(false, false, 0, 65535 - 54, 1460, T_ACK | T_PSH);
}

static void
tcpv4_behind_a_vlan_tag_is_cut_too(void **state)
{
	(void)state;
	check_segments(false, true, 0, 5000, 1000, T_ACK);
}

static void
tcpv6_is_cut_at_the_mss_with_headers_fixed(void **state)
{
	(void)state;
	check_segments(true, false, 12, 20000, 1428, T_ACK | T_PSH);
}

static void
an_exact_multiple_and_a_short_last_segment(void **state)
{
	(void)state;
	check_segments(false, false, 0, 3000, 1000, T_ACK | T_FIN);
	check_segments(false, false, 0, 3001, 1000, T_ACK | T_FIN);
	check_segments(false, false, 0, 999, 1000, T_ACK | T_PSH);
}

static void
no_payload_is_one_segment(void **state)
{
	(void)state;
	check_segments(false, false, 0, 0, 1000, T_ACK | T_FIN);
}

static void
hostile_frames_are_refused(void **state)
{
	struct pkt *p = pkt_alloc(pool), *segs[VSW_GSO_SEGS_MAX];
	uint32_t l3;

	(void)state;
	build(p, false, false, 0, 4000, T_ACK);
	p->gso_size = 0;
	assert_int_equal(vsw_gso_segment(p, pool, segs, VSW_GSO_SEGS_MAX), -EINVAL);
	p->gso_size = 1000;
	p->gso_type = 7;
	assert_int_equal(vsw_gso_segment(p, pool, segs, VSW_GSO_SEGS_MAX), -EINVAL);
	p->gso_type = PKT_GSO_TCPV6; /* says IPv6, carries IPv4 */
	assert_int_equal(vsw_gso_segment(p, pool, segs, VSW_GSO_SEGS_MAX), -EINVAL);
	p->gso_type = PKT_GSO_TCPV4;
	/* Too many segments for the bound. */
	p->gso_size = 1;
	assert_int_equal(vsw_gso_segment(p, pool, segs, VSW_GSO_SEGS_MAX), -E2BIG);
	p->gso_size = 1000;
	/* UDP instead of TCP. */
	l3 = build(p, false, false, 0, 4000, T_ACK);
	pkt_data(p)[l3 + 9] = 17;
	assert_int_equal(vsw_gso_segment(p, pool, segs, VSW_GSO_SEGS_MAX), -EINVAL);
	/* A TCP data offset pointing past the segment. */
	l3 = build(p, false, false, 0, 30, T_ACK);
	pkt_data(p)[l3 + 20 + 12] = 0xf0;
	assert_int_equal(vsw_gso_segment(p, pool, segs, VSW_GSO_SEGS_MAX), -EINVAL);
	/* IP says more than the frame holds. */
	l3 = build(p, false, false, 0, 4000, T_ACK);
	p->len -= 100;
	assert_int_equal(vsw_gso_segment(p, pool, segs, VSW_GSO_SEGS_MAX), -EINVAL);
	/* Truncated inside the TCP header. */
	p->len = l3 + 20 + 10;
	assert_int_equal(vsw_gso_segment(p, pool, segs, VSW_GSO_SEGS_MAX), -EINVAL);
	pkt_free(p);
}

static void
an_empty_pool_fails_cleanly(void **state)
{
	struct pkt_pool *small;
	struct pkt *p, *segs[VSW_GSO_SEGS_MAX];
	struct pkt_pool_stats st;

	(void)state;
	assert_int_equal(pkt_pool_create(3, 0, &small), 0);
	p = pkt_alloc(small);
	build(p, false, false, 0, 10000, T_ACK);
	p->gso_size = 1000;
	/* Two buffers left for ten segments. */
	assert_int_equal(vsw_gso_segment(p, small, segs, VSW_GSO_SEGS_MAX), -ENOBUFS);
	pkt_pool_get_stats(small, &st);
	assert_int_equal(st.n_free, 2);
	pkt_free(p);
	pkt_pool_destroy(small);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcpv4_is_cut_at_the_mss_with_headers_fixed),
		cmocka_unit_test(tcpv4_behind_a_vlan_tag_is_cut_too),
		cmocka_unit_test(tcpv6_is_cut_at_the_mss_with_headers_fixed),
		cmocka_unit_test(an_exact_multiple_and_a_short_last_segment),
		cmocka_unit_test(no_payload_is_one_segment),
		cmocka_unit_test(hostile_frames_are_refused),
		cmocka_unit_test(an_empty_pool_fails_cleanly),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
