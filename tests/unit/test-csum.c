/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for csum.c: frames built by scapy (the generating lines are beside each) carry
 * correct checksums; completing a blanked checksum must reproduce them exactly, verification
 * must notice a flipped byte, and malformed frames are refused without reading past the end.
 */
#include "vswitch/csum.h"
#include "vswitch/l3.h"
#include "vswitch/pkt.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Ether()/IP(src='10.0.0.1',dst='10.0.0.2')/UDP(sport=1234,dport=5678)/Raw(b'hello world!') */
static const char UDP4[] = "00163e00000200163e00000108004500002800010000401166c20a0000010a0000"
			   "0204d2162e00143ed468656c6c6f20776f726c6421";
/* Ether()/IPv6(src='fd00::1',dst='fd00::2')/TCP(sport=1234,dport=80,flags='S',seq=1000)/'abc' */
static const char TCP6[] = "00163e00000200163e00000186dd6000000000170640fd00000000000000000000"
			   "0000000001fd00000000000000000000000000000204d20050000003e800000000"
			   "50022000c86e0000616263";
/* Ether()/Dot1Q(vlan=10)/IP()/TCP(sport=1,dport=2)/Raw(b'x'*7) */
static const char TCP4VLAN[] = "00163e00000200163e0000018100000a08004500002f00010000400666c60a00"
			       "00010a000002000100020000000000000000500220009a6c000078787878787878";

static struct pkt_pool *pool;

static int
setup(void **state)
{
	(void)state;
	return pkt_pool_create(8, 2048, &pool);
}

static int
teardown(void **state)
{
	(void)state;
	pkt_pool_destroy(pool);
	return 0;
}

static struct pkt *
frame(const char *hex)
{
	struct pkt *p = pkt_alloc(pool);
	size_t n = strlen(hex) / 2;
	uint8_t *d;

	assert_non_null(p);
	d = pkt_put(p, (uint32_t)n);
	assert_non_null(d);
	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		d[i] = (uint8_t)b;
	}
	return p;
}

static void
check_roundtrip(const char *hex, size_t csum_off)
{
	struct pkt *p = frame(hex);
	uint8_t *d = pkt_data(p);
	uint8_t want[2] = { d[csum_off], d[csum_off + 1] };

	assert_int_equal(vsw_csum_verify(p), 0);
	/* Blank it as a sender offloading the checksum would, then complete it. */
	d[csum_off] = 0x12;
	d[csum_off + 1] = 0x34;
	assert_int_equal(vsw_csum_verify(p), -EBADMSG);
	p->flags |= PKT_F_CSUM_BLANK;
	assert_int_equal(vsw_csum_complete(p), 0);
	assert_int_equal(d[csum_off], want[0]);
	assert_int_equal(d[csum_off + 1], want[1]);
	assert_false(p->flags & PKT_F_CSUM_BLANK);
	assert_true(p->flags & PKT_F_DATA_VALIDATED);
	/* A flipped payload byte must be caught. */
	d[p->len - 1] ^= 0x01;
	assert_int_equal(vsw_csum_verify(p), -EBADMSG);
	pkt_free(p);
}

static void
udp_over_ipv4_is_completed_exactly(void **state)
{
	(void)state;
	check_roundtrip(UDP4, 14 + 20 + 6);
}

static void
tcp_over_ipv6_is_completed_exactly(void **state)
{
	(void)state;
	check_roundtrip(TCP6, 14 + 40 + 16);
}

static void
tcp_over_ipv4_behind_a_vlan_tag_is_completed_exactly(void **state)
{
	(void)state;
	check_roundtrip(TCP4VLAN, 18 + 20 + 16);
}

static void
truncated_frames_are_refused(void **state)
{
	struct pkt *p = frame(UDP4);
	uint32_t full = p->len;

	(void)state;
	for (uint32_t len = 0; len < full; len++) {
		assert_int_equal(pkt_trim(p, len), 0);
		assert_int_not_equal(vsw_csum_complete(p), 0);
		p->len = full;
	}
	pkt_free(p);
}

static void
fragments_and_other_protocols_are_left_alone(void **state)
{
	struct pkt *p = frame(UDP4);
	uint8_t *d = pkt_data(p);

	(void)state;
	d[14 + 6] = 0x20; /* MF: a first fragment */
	assert_int_equal(vsw_csum_complete(p), -EPROTONOSUPPORT);
	d[14 + 6] = 0;
	d[14 + 9] = 1; /* ICMP */
	assert_int_equal(vsw_csum_complete(p), -EPROTONOSUPPORT);
	d[12] = 0x08;
	d[13] = 0x06; /* ARP */
	assert_int_equal(vsw_csum_complete(p), -EPROTONOSUPPORT);
	pkt_free(p);
}

static void
inconsistent_ip_lengths_are_refused(void **state)
{
	struct pkt *p = frame(UDP4);
	uint8_t *d = pkt_data(p);

	(void)state;
	d[14 + 3] = 0xff; /* total length beyond the frame */
	assert_int_equal(vsw_csum_complete(p), -EINVAL);
	d[14 + 3] = 0x28;
	d[14] = 0x44; /* IHL 4 words < 20 bytes */
	assert_int_equal(vsw_csum_complete(p), -EINVAL);
	pkt_free(p);
}

/* The RFC 1071 sum one 16-bit big-endian word at a time: the reference for the fast one. */
static uint32_t
ref_sum(const uint8_t *b, size_t len, uint32_t sum)
{
	uint64_t acc = sum;

	for (size_t i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		acc += (uint32_t)(b[len - 1] << 8);
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

static uint16_t
fold16(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void
word_sum_matches_the_bytewise_reference_at_every_length_and_alignment(void **state)
{
	static uint8_t buf[70000];
	uint32_t seed = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len < 300; len++)
			assert_int_equal(fold16(vsw_csum_partial(buf + off, len, 0x1234)),
					 fold16(ref_sum(buf + off, len, 0x1234)));
	/* All-ones data, a full 64 KiB GSO frame, and a carry-heavy starting sum. */
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(fold16(vsw_csum_partial(buf, 65535, 0xffffffffu)),
			 fold16(ref_sum(buf, 65535, 0xffffffffu)));
	assert_int_equal(fold16(vsw_csum_partial(buf + 3, 65521, 7)),
			 fold16(ref_sum(buf + 3, 65521, 7)));
}

static void
prepare_partial_leaves_the_pseudo_header_sum(void **state)
{
	struct pkt *p = frame(UDP4);
	uint8_t *d = pkt_data(p);
	struct vsw_l4 l4;
	uint16_t want = 0x3ed4, field;
	uint32_t sum;

	(void)state;
	assert_int_equal(vsw_csum_prepare_partial(d, p->len, &l4), 0);
	assert_int_equal(l4.l4_off, 34);
	assert_int_equal(l4.csum_off, 40);
	assert_false(l4.ipv6);
	/* A receiver completing it sums from l4_off with the field as it is: that must give
	 * the real checksum back. */
	field = (uint16_t)(d[40] << 8 | d[41]);
	assert_int_not_equal(field, want);
	sum = vsw_csum_partial(d + l4.l4_off, l4.l4_len, 0);
	assert_int_equal(vsw_csum_fold(sum), want);
	pkt_free(p);
}

/* The 20-byte IPv4 header sum of l3.h (32-bit loads) against the generic byte-order sum,
 * on random headers and on the UDP4 frame's real one. */
static void
ip4_header_fast_sum_matches_the_generic_one(void **state)
{
	uint8_t ip[20];
	unsigned int seed = 12345;

	(void)state;
	for (int n = 0; n < 100000; n++) {
		for (unsigned int i = 0; i < sizeof(ip); i++) {
			seed = seed * 1103515245u + 12345u;
			ip[i] = (uint8_t)(seed >> 16);
		}
		if (n % 7 == 0)
			memset(ip + 4, 0xff, 8); /* carries */
		assert_int_equal(vsw_l3_ip4_hdr_csum(ip, 20),
				 vsw_csum_fold(vsw_csum_partial(ip, 20, 0)));
		ip[0] = 0x45; /* set_csum takes the header length from here: 20 bytes */
		vsw_l3_ip4_set_csum(ip);
		assert_int_equal(vsw_l3_ip4_hdr_csum(ip, 20), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			word_sum_matches_the_bytewise_reference_at_every_length_and_alignment),
		cmocka_unit_test(prepare_partial_leaves_the_pseudo_header_sum),
		cmocka_unit_test(udp_over_ipv4_is_completed_exactly),
		cmocka_unit_test(tcp_over_ipv6_is_completed_exactly),
		cmocka_unit_test(tcp_over_ipv4_behind_a_vlan_tag_is_completed_exactly),
		cmocka_unit_test(truncated_frames_are_refused),
		cmocka_unit_test(fragments_and_other_protocols_are_left_alone),
		cmocka_unit_test(inconsistent_ip_lengths_are_refused),
		cmocka_unit_test(ip4_header_fast_sum_matches_the_generic_one),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
