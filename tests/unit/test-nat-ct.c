/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the NAT44 connection table (nat/nat44.c): each RFC 4787 / 5382 / 5508
 * behaviour the contract promises, checked on hand-built IPv4 packets whose every checksum
 * is verified from scratch after translation (so an incremental update that drifts fails).
 */
#include "nat/nat44.h"
#include "vswitch/csum.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NS_PER_S 1000000000ull
#define EXT	 "192.0.2.2"
#define IN_A	 "10.0.0.10"
#define IN_B	 "10.0.0.11"
#define REM_1	 "198.51.100.1"
#define REM_2	 "198.51.100.2"
#define TCP	 6
#define UDP	 17
#define ICMP	 1
#define SYN	 0x02
#define ACK	 0x10
#define FIN	 0x01
#define RST	 0x04

static uint32_t
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return ntohl(a.s_addr);
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static uint32_t
pseudo(const uint8_t *iph, uint8_t proto, uint32_t l4len)
{
	uint8_t ph[12];

	memcpy(ph, iph + 12, 8);
	ph[8] = 0;
	ph[9] = proto;
	wr16(ph + 10, (uint16_t)l4len);
	return vsw_csum_partial(ph, sizeof(ph), 0);
}

static void
fill_ip(uint8_t *b, uint8_t proto, uint32_t src, uint32_t dst, uint32_t tot)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	wr16(b + 2, (uint16_t)tot);
	wr16(b + 4, 0x1234);
	b[8] = 64;
	b[9] = proto;
	wr32(b + 12, src);
	wr32(b + 16, dst);
	wr16(b + 10, vsw_csum_fold(vsw_csum_partial(b, 20, 0)));
}

/* Builds an IPv4 packet: TCP ('x' = flags), UDP, or ICMP ('x' = type, 'sport' = id). */
static uint32_t
build(uint8_t *b, uint8_t proto, const char *src, uint16_t sport, const char *dst, uint16_t dport,
      uint8_t x)
{
	uint32_t l4len = proto == TCP ? 20 + 8 : 8 + 8;
	uint8_t *l4 = b + 20;

	memset(l4, 0, l4len);
	memset(l4 + l4len - 8, 0xab, 8);
	if (proto == ICMP) {
		l4[0] = x;
		wr16(l4 + 4, sport);
		wr16(l4 + 6, 7);
	} else {
		wr16(l4, sport);
		wr16(l4 + 2, dport);
	}
	if (proto == TCP) {
		l4[12] = 5 << 4;
		l4[13] = x;
		wr16(l4 + 14, 65535);
	}
	if (proto == UDP)
		wr16(l4 + 4, (uint16_t)l4len);
	fill_ip(b, proto, ip(src), ip(dst), 20 + l4len);
	if (proto == ICMP)
		wr16(l4 + 2, vsw_csum_fold(vsw_csum_partial(l4, l4len, 0)));
	else
		wr16(l4 + (proto == TCP ? 16 : 6),
		     vsw_csum_fold(vsw_csum_partial(l4, l4len, pseudo(b, proto, l4len))));
	return 20 + l4len;
}

/* Wraps the first 'quote' bytes of packet 'orig' into an ICMP error from 'src' to 'dst'. */
static uint32_t
build_icmp_error(uint8_t *b, const char *src, const char *dst, uint8_t type, uint8_t code,
		 const uint8_t *orig, uint32_t quote)
{
	uint8_t *icmp = b + 20;

	memset(icmp, 0, 8);
	icmp[0] = type;
	icmp[1] = code;
	memcpy(icmp + 8, orig, quote);
	fill_ip(b, ICMP, ip(src), ip(dst), 20 + 8 + quote);
	wr16(icmp + 2, vsw_csum_fold(vsw_csum_partial(icmp, 8 + quote, 0)));
	return 20 + 8 + quote;
}

/* Every checksum of a complete packet verifies. */
static void
assert_csums(const uint8_t *b)
{
	uint32_t tot = rd16(b + 2), l4len = tot - 20;
	const uint8_t *l4 = b + 20;

	assert_int_equal(vsw_csum_fold(vsw_csum_partial(b, 20, 0)), 0);
	if (b[9] == ICMP)
		assert_int_equal(vsw_csum_fold(vsw_csum_partial(l4, l4len, 0)), 0);
	else if (b[9] == UDP && rd16(l4 + 6) == 0)
		return;
	else
		assert_int_equal(vsw_csum_fold(vsw_csum_partial(l4, l4len, pseudo(b, b[9], l4len))),
				 0);
}

static struct nat_ct *
mk(uint16_t pmin, uint16_t pmax, uint32_t max_sessions)
{
	struct nat_ct_cfg cfg = {
		.ext_addr = htonl(ip(EXT)),
		.int_net = htonl(ip("10.0.0.0")),
		.int_mask = htonl(0xffffff00u),
		.port_min = pmin,
		.port_max = pmax,
		.max_sessions = max_sessions,
	};
	struct nat_ct *ct = NULL;

	assert_int_equal(nat_ct_create(&cfg, &ct), 0);
	return ct;
}

static uint16_t
sport(const uint8_t *b)
{
	return rd16(b + 20);
}

static uint16_t
dport(const uint8_t *b)
{
	return rd16(b + 22);
}

/* Sends UDP from 'src':sp to 'dst':dp through the NAT and returns the external port. */
static uint16_t
udp_out(struct nat_ct *ct, const char *src, uint16_t sp, const char *dst, uint16_t dp, uint64_t now)
{
	uint8_t b[128];
	uint32_t n = build(b, UDP, src, sp, dst, dp, 0);

	assert_int_equal(nat_ct_out(ct, b, n, now), NAT_OUT);
	assert_int_equal(rd32(b + 12), ip(EXT));
	assert_csums(b);
	return sport(b);
}

static void
udp_outbound_gets_external_source_and_valid_checksums(void **state)
{
	struct nat_ct *ct = mk(0, 0, 0);
	uint8_t b[128];
	uint32_t n = build(b, UDP, IN_A, 5000, REM_1, 53, 0);

	(void)state;
	assert_int_equal(nat_ct_out(ct, b, n, NS_PER_S), NAT_OUT);
	assert_int_equal(rd32(b + 12), ip(EXT));
	assert_int_equal(rd32(b + 16), ip(REM_1));
	assert_int_equal(sport(b), 5000); /* kept: in range and free */
	assert_int_equal(dport(b), 53);
	assert_csums(b);
	nat_ct_destroy(ct);
}

static void
mapping_is_endpoint_independent(void **state)
{
	struct nat_ct *ct = mk(0, 0, 0);
	uint16_t p1, p2, p3;

	(void)state;
	p1 = udp_out(ct, IN_A, 5000, REM_1, 53, NS_PER_S);
	p2 = udp_out(ct, IN_A, 5000, REM_2, 123, NS_PER_S);
	/* Another inside host with the same port gets another external port. */
	p3 = udp_out(ct, IN_B, 5000, REM_1, 53, NS_PER_S);
	assert_int_equal(p1, p2);
	assert_int_not_equal(p1, p3);
	nat_ct_destroy(ct);
}

static void
inbound_reply_is_translated_back(void **state)
{
	struct nat_ct *ct = mk(0, 0, 0);
	uint16_t ext = udp_out(ct, IN_A, 5000, REM_1, 53, NS_PER_S);
	uint8_t b[128];
	uint32_t n = build(b, UDP, REM_1, 53, EXT, ext, 0);

	(void)state;
	assert_int_equal(nat_ct_in(ct, b, n, 2 * NS_PER_S), NAT_DELIVER);
	assert_int_equal(rd32(b + 16), ip(IN_A));
	assert_int_equal(dport(b), 5000);
	assert_int_equal(rd32(b + 12), ip(REM_1));
	assert_csums(b);
	nat_ct_destroy(ct);
}

static void
filtering_is_address_and_port_dependent(void **state)
{
	struct nat_ct *ct = mk(0, 0, 0);
	uint16_t ext = udp_out(ct, IN_A, 5000, REM_1, 53, NS_PER_S);
	uint8_t b[128], orig[128];
	uint32_t n;

	(void)state;
	n = build(b, UDP, REM_2, 53, EXT, ext, 0);
	memcpy(orig, b, n);
	assert_int_equal(nat_ct_in(ct, b, n, NS_PER_S), NAT_DROP_NO_SESSION);
	assert_memory_equal(b, orig, n); /* a drop leaves the packet alone */
	n = build(b, UDP, REM_1, 54, EXT, ext, 0);
	assert_int_equal(nat_ct_in(ct, b, n, NS_PER_S), NAT_DROP_NO_SESSION);
	n = build(b, UDP, REM_1, 53, EXT, (uint16_t)(ext + 1), 0);
	assert_int_equal(nat_ct_in(ct, b, n, NS_PER_S), NAT_DROP_NO_SESSION);
	nat_ct_destroy(ct);
}

static void
udp_session_lives_300_seconds_and_is_refreshed_by_traffic(void **state)
{
	struct nat_ct *ct = mk(0, 0, 0);
	uint16_t ext = udp_out(ct, IN_A, 5000, REM_1, 53, 0);
	uint8_t b[128];
	uint32_t n;

	(void)state;
	n = build(b, UDP, REM_1, 53, EXT, ext, 0);
	assert_int_equal(nat_ct_in(ct, b, n, 299 * NS_PER_S), NAT_DELIVER);
	/* Refreshed at 299 s: alive until 599 s. */
	n = build(b, UDP, REM_1, 53, EXT, ext, 0);
	assert_int_equal(nat_ct_in(ct, b, n, 598 * NS_PER_S), NAT_DELIVER);
	assert_int_equal(nat_ct_expire(ct, 897 * NS_PER_S), 0);
	assert_int_equal(nat_ct_expire(ct, 898 * NS_PER_S), 1);
	n = build(b, UDP, REM_1, 53, EXT, ext, 0);
	assert_int_equal(nat_ct_in(ct, b, n, 898 * NS_PER_S), NAT_DROP_NO_SESSION);
	nat_ct_destroy(ct);
}

static void
expired_session_is_refused_even_before_expire_runs(void **state)
{
	struct nat_ct *ct = mk(0, 0, 0);
	uint16_t ext = udp_out(ct, IN_A, 5000, REM_1, 53, 0);
	uint8_t b[128];
	uint32_t n = build(b, UDP, REM_1, 53, EXT, ext, 0);

	(void)state;
	assert_int_equal(nat_ct_in(ct, b, n, 300 * NS_PER_S), NAT_DROP_NO_SESSION);
	nat_ct_destroy(ct);
}

static enum nat_verdict
tcp(struct nat_ct *ct, bool out, uint16_t ext, uint8_t flags, uint64_t now)
{
	uint8_t b[128];
	uint32_t n = out ? build(b, TCP, IN_A, 40000, REM_1, 80, flags)
			 : build(b, TCP, REM_1, 80, EXT, ext, flags);
	enum nat_verdict v = out ? nat_ct_out(ct, b, n, now) : nat_ct_in(ct, b, n, now);

	if (v == NAT_OUT || v == NAT_DELIVER)
		assert_csums(b);
	return v;
}

static void
tcp_needs_syn_to_open_a_session(void **state)
{
	struct nat_ct *ct = mk(0, 0, 0);

	(void)state;
	assert_int_equal(tcp(ct, true, 0, ACK, 0), NAT_DROP_NO_SESSION);
	assert_int_equal(tcp(ct, true, 0, SYN | ACK, 0), NAT_DROP_NO_SESSION);
	assert_int_equal(tcp(ct, true, 0, SYN, 0), NAT_OUT);
	assert_int_equal(tcp(ct, true, 0, ACK, 0), NAT_OUT);
	nat_ct_destroy(ct);
}

static void
tcp_transitory_until_answered_then_established_2h4m(void **state)
{
	struct nat_ct *ct = mk(0, 0, 0);

	(void)state;
	assert_int_equal(tcp(ct, true, 0, SYN, 0), NAT_OUT);
	/* Unanswered SYN: 4 minutes. */
	assert_int_equal(tcp(ct, false, 40000, SYN | ACK, 240 * NS_PER_S), NAT_DROP_NO_SESSION);
	assert_int_equal(tcp(ct, true, 0, SYN, 300 * NS_PER_S), NAT_OUT);
	assert_int_equal(tcp(ct, false, 40000, SYN | ACK, 301 * NS_PER_S), NAT_DELIVER);
	/* Established: idle for 2 h 3 min 59 s is fine, 2 h 4 min is not. */
	assert_int_equal(tcp(ct, false, 40000, ACK, (301 + 7439) * NS_PER_S), NAT_DELIVER);
	assert_int_equal(tcp(ct, true, 0, ACK, (301 + 7439 + 7440) * NS_PER_S),
			 NAT_DROP_NO_SESSION);
	nat_ct_destroy(ct);
}

static void
tcp_fin_both_ways_or_rst_makes_it_transitory(void **state)
{
	struct nat_ct *ct = mk(0, 0, 0);

	(void)state;
	assert_int_equal(tcp(ct, true, 0, SYN, 0), NAT_OUT);
	assert_int_equal(tcp(ct, false, 40000, SYN | ACK, 0), NAT_DELIVER);
	assert_int_equal(tcp(ct, true, 0, FIN | ACK, NS_PER_S), NAT_OUT);
	/* One FIN: still established. */
	assert_int_equal(tcp(ct, false, 40000, ACK, 1000 * NS_PER_S), NAT_DELIVER);
	assert_int_equal(tcp(ct, false, 40000, FIN | ACK, 1001 * NS_PER_S), NAT_DELIVER);
	assert_int_equal(tcp(ct, false, 40000, ACK, (1001 + 240) * NS_PER_S), NAT_DROP_NO_SESSION);

	/* A new SYN reopens; then a RST closes it to 4 minutes as well. */
	assert_int_equal(tcp(ct, true, 0, SYN, 2000 * NS_PER_S), NAT_OUT);
	assert_int_equal(tcp(ct, false, 40000, SYN | ACK, 2000 * NS_PER_S), NAT_DELIVER);
	assert_int_equal(tcp(ct, false, 40000, RST, 2001 * NS_PER_S), NAT_DELIVER);
	assert_int_equal(tcp(ct, true, 0, ACK, (2001 + 239) * NS_PER_S), NAT_OUT);
	assert_int_equal(tcp(ct, true, 0, ACK, (2001 + 239 + 240) * NS_PER_S), NAT_DROP_NO_SESSION);
	nat_ct_destroy(ct);
}

static void
icmp_echo_is_mapped_by_identifier_for_60_seconds(void **state)
{
	struct nat_ct *ct = mk(2000, 2001, 0);
	uint8_t b[128];
	uint32_t n = build(b, ICMP, IN_A, 77, REM_1, 0, 8);
	uint16_t id;

	(void)state;
	assert_int_equal(nat_ct_out(ct, b, n, 0), NAT_OUT);
	id = rd16(b + 24);
	/* Identifiers are not ports: 77 is kept although below the port range, as Linux does. */
	assert_int_equal(id, 77);
	assert_int_equal(rd32(b + 12), ip(EXT));
	assert_csums(b);
	n = build(b, ICMP, REM_1, id, EXT, 0, 0);
	assert_int_equal(nat_ct_in(ct, b, n, 59 * NS_PER_S), NAT_DELIVER);
	assert_int_equal(rd16(b + 24), 77);
	assert_int_equal(rd32(b + 16), ip(IN_A));
	assert_csums(b);
	n = build(b, ICMP, REM_1, id, EXT, 0, 0);
	assert_int_equal(nat_ct_in(ct, b, n, (59 + 60) * NS_PER_S), NAT_DROP_NO_SESSION);
	/* An echo request from outside opens nothing. */
	n = build(b, ICMP, REM_1, id, EXT, 0, 8);
	assert_int_equal(nat_ct_in(ct, b, n, 0), NAT_DROP_NO_SESSION);
	nat_ct_destroy(ct);
}

/* RFC 5508: a port unreachable from outside about our UDP packet: outer destination, inner
 * source address and port, inner IP and UDP checksums and the ICMP checksum all fixed. */
static void
icmp_error_inbound_translates_embedded_udp(void **state)
{
	struct nat_ct *ct = mk(0, 0, 0);
	uint8_t sent[128], b[256], inner_before[128];
	uint32_t n = build(sent, UDP, IN_A, 5000, REM_1, 53, 0), m;
	uint16_t ext;

	(void)state;
	assert_int_equal(nat_ct_out(ct, sent, n, 0), NAT_OUT);
	ext = sport(sent);
	m = build_icmp_error(b, REM_1, EXT, 3, 3, sent, n);
	assert_int_equal(nat_ct_in(ct, b, m, NS_PER_S), NAT_DELIVER);
	assert_int_equal(rd32(b + 16), ip(IN_A));
	assert_csums(b);
	/* The embedded packet is now exactly what the inside host sent. */
	build(inner_before, UDP, IN_A, 5000, REM_1, 53, 0);
	assert_memory_equal(b + 28, inner_before, n);
	(void)ext;
	nat_ct_destroy(ct);
}

static void
icmp_error_inbound_with_8_byte_tcp_quote_and_echo_quote(void **state)
{
	struct nat_ct *ct = mk(0, 0, 0);
	uint8_t sent[128], b[256];
	uint32_t n, m;

	(void)state;
	n = build(sent, TCP, IN_A, 40000, REM_1, 80, SYN);
	assert_int_equal(nat_ct_out(ct, sent, n, 0), NAT_OUT);
	/* Only the IP header and 8 bytes of TCP: no TCP checksum in the quote. */
	m = build_icmp_error(b, "203.0.113.9", EXT, 11, 0, sent, 28);
	assert_int_equal(nat_ct_in(ct, b, m, NS_PER_S), NAT_DELIVER);
	assert_int_equal(rd32(b + 28 + 12), ip(IN_A));
	assert_int_equal(rd16(b + 48), 40000);
	assert_int_equal(vsw_csum_fold(vsw_csum_partial(b + 28, 20, 0)), 0);
	assert_csums(b);

	n = build(sent, ICMP, IN_A, 99, REM_1, 0, 8);
	assert_int_equal(nat_ct_out(ct, sent, n, 0), NAT_OUT);
	m = build_icmp_error(b, REM_1, EXT, 3, 1, sent, n);
	assert_int_equal(nat_ct_in(ct, b, m, NS_PER_S), NAT_DELIVER);
	assert_int_equal(rd16(b + 28 + 20 + 4), 99);
	assert_int_equal(vsw_csum_fold(vsw_csum_partial(b + 28 + 20, 16, 0)), 0);
	assert_csums(b);
	nat_ct_destroy(ct);
}

static void
icmp_error_outbound_translates_embedded_header(void **state)
{
	struct nat_ct *ct = mk(0, 0, 0);
	uint16_t ext = udp_out(ct, IN_A, 5000, REM_1, 53, 0);
	uint8_t rcvd[128], b[256];
	uint32_t n, m;

	(void)state;
	n = build(rcvd, UDP, REM_1, 53, EXT, ext, 0);
	assert_int_equal(nat_ct_in(ct, rcvd, n, 0), NAT_DELIVER);
	/* The inside host answers with port unreachable quoting what it received. */
	m = build_icmp_error(b, IN_A, REM_1, 3, 3, rcvd, n);
	assert_int_equal(nat_ct_out(ct, b, m, NS_PER_S), NAT_OUT);
	assert_int_equal(rd32(b + 12), ip(EXT));
	assert_int_equal(rd32(b + 28 + 16), ip(EXT));
	assert_int_equal(rd16(b + 28 + 22), ext);
	build(rcvd, UDP, REM_1, 53, EXT, ext, 0);
	assert_memory_equal(b + 28, rcvd, n);
	assert_csums(b);
	nat_ct_destroy(ct);
}

static void
icmp_error_bad_checksum_or_unknown_flow_is_dropped(void **state)
{
	struct nat_ct *ct = mk(0, 0, 0);
	uint8_t sent[128], b[256];
	uint32_t n = build(sent, UDP, IN_A, 5000, REM_1, 53, 0), m;

	(void)state;
	assert_int_equal(nat_ct_out(ct, sent, n, 0), NAT_OUT);
	m = build_icmp_error(b, REM_1, EXT, 3, 3, sent, n);
	b[30] ^= 1;
	assert_int_equal(nat_ct_in(ct, b, m, 0), NAT_DROP_BAD_ICMP);
	wr16(sent + 22, 54); /* a flow we never had */
	m = build_icmp_error(b, REM_1, EXT, 3, 3, sent, n);
	assert_int_equal(nat_ct_in(ct, b, m, 0), NAT_DROP_NO_SESSION);
	m = build_icmp_error(b, REM_1, EXT, 3, 3, sent, 20);
	assert_int_equal(nat_ct_in(ct, b, m, 0), NAT_DROP_BAD_ICMP);
	nat_ct_destroy(ct);
}

static void
hairpin_reaches_the_mapped_inside_host_from_the_external_address(void **state)
{
	struct nat_ct *ct = mk(0, 0, 0);
	uint16_t pb = udp_out(ct, IN_B, 6000, REM_1, 53, 0), pa;
	uint8_t b[128];
	uint32_t n = build(b, UDP, IN_A, 5000, EXT, pb, 0);
	struct nat_ct_stats st;

	(void)state;
	assert_int_equal(nat_ct_out(ct, b, n, NS_PER_S), NAT_HAIRPIN);
	assert_int_equal(rd32(b + 12), ip(EXT));
	assert_int_equal(rd32(b + 16), ip(IN_B));
	assert_int_equal(dport(b), 6000);
	pa = sport(b);
	assert_csums(b);
	/* B answers to what it saw; A gets it from B's external endpoint. */
	n = build(b, UDP, IN_B, 6000, EXT, pa, 0);
	assert_int_equal(nat_ct_out(ct, b, n, 2 * NS_PER_S), NAT_HAIRPIN);
	assert_int_equal(rd32(b + 12), ip(EXT));
	assert_int_equal(sport(b), pb);
	assert_int_equal(rd32(b + 16), ip(IN_A));
	assert_int_equal(dport(b), 5000);
	assert_csums(b);
	nat_ct_get_stats(ct, &st);
	assert_int_equal(st.hairpins, 2);
	/* No mapping behind the port: dropped. */
	n = build(b, UDP, IN_A, 5000, EXT, 9999, 0);
	assert_int_equal(nat_ct_out(ct, b, n, 2 * NS_PER_S), NAT_DROP_NO_SESSION);
	nat_ct_destroy(ct);
}

static void
hairpin_to_a_mapping_reclaimed_meanwhile_is_dropped(void **state)
{
	struct nat_ct *ct = mk(0, 0, 1);
	uint16_t pb = udp_out(ct, IN_B, 6000, REM_1, 53, 0);
	uint8_t b[128];
	uint32_t n = build(b, UDP, IN_A, 5000, EXT, pb, 0);

	(void)state;
	/* B's only session expired; making room for A's reclaims B's mapping. */
	assert_int_equal(nat_ct_out(ct, b, n, 400 * NS_PER_S), NAT_DROP_NO_SESSION);
	nat_ct_destroy(ct);
}

static void
port_exhaustion_drops_until_a_mapping_expires(void **state)
{
	struct nat_ct *ct = mk(3000, 3001, 0);
	uint8_t b[128];
	uint32_t n;

	(void)state;
	assert_int_equal(udp_out(ct, IN_A, 5000, REM_1, 53, 0), 3000);
	assert_int_equal(udp_out(ct, IN_A, 5001, REM_1, 53, 0), 3001);
	n = build(b, UDP, IN_B, 5000, REM_1, 53, 0);
	assert_int_equal(nat_ct_out(ct, b, n, NS_PER_S), NAT_DROP_PORTS_EXHAUSTED);
	/* The same endpoints still work: their mappings exist. */
	assert_int_equal(udp_out(ct, IN_A, 5000, REM_2, 53, NS_PER_S), 3000);
	/* Both sessions opened at 0 s expire; 3000 stays mapped by the REM_2 session. */
	assert_int_equal(nat_ct_expire(ct, 300 * NS_PER_S), 2);
	n = build(b, UDP, IN_B, 5000, REM_1, 53, 0);
	assert_int_equal(nat_ct_out(ct, b, n, 300 * NS_PER_S), NAT_OUT);
	assert_int_equal(sport(b), 3001);
	nat_ct_destroy(ct);
}

static void
full_table_refuses_new_sessions_until_old_ones_expire(void **state)
{
	struct nat_ct *ct = mk(0, 0, 2);
	struct nat_ct_stats st;
	uint8_t b[128];
	uint32_t n;

	(void)state;
	udp_out(ct, IN_A, 5000, REM_1, 53, 0);
	udp_out(ct, IN_A, 5000, REM_2, 53, 10 * NS_PER_S);
	n = build(b, UDP, IN_B, 5000, REM_1, 53, 0);
	assert_int_equal(nat_ct_out(ct, b, n, 20 * NS_PER_S), NAT_DROP_TABLE_FULL);
	/* Live sessions are never evicted: existing flows keep working. */
	n = build(b, UDP, REM_1, 53, EXT, 5000, 0);
	assert_int_equal(nat_ct_in(ct, b, n, 20 * NS_PER_S), NAT_DELIVER);
	/* At 310 s the REM_2 session (last used at 10 s) is expired and is reclaimed. */
	n = build(b, UDP, IN_B, 5000, REM_1, 53, 0);
	assert_int_equal(nat_ct_out(ct, b, n, 310 * NS_PER_S), NAT_OUT);
	nat_ct_get_stats(ct, &st);
	assert_int_equal(st.n_sessions, 2);
	assert_int_equal(st.expired, 1);
	nat_ct_destroy(ct);
}

static void
bad_packets_are_refused_and_left_unchanged(void **state)
{
	struct nat_ct *ct = mk(0, 0, 0);
	uint8_t b[128], orig[128];
	uint32_t n;

	(void)state;
	n = build(b, UDP, IN_A, 5000, REM_1, 53, 0);
	b[10] ^= 0xff;
	memcpy(orig, b, n);
	assert_int_equal(nat_ct_out(ct, b, n, 0), NAT_DROP_BAD_HDR);
	assert_memory_equal(b, orig, n);
	n = build(b, UDP, IN_A, 5000, REM_1, 53, 0);
	assert_int_equal(nat_ct_out(ct, b, n - 1, 0), NAT_DROP_TRUNCATED);
	assert_int_equal(nat_ct_out(ct, b, 19, 0), NAT_DROP_TRUNCATED);
	b[0] = 0x65;
	assert_int_equal(nat_ct_out(ct, b, n, 0), NAT_DROP_BAD_HDR);
	/* A fragment (MF set) cannot be translated without reassembly. */
	n = build(b, UDP, IN_A, 5000, REM_1, 53, 0);
	wr16(b + 6, 0x2000);
	b[10] = b[11] = 0;
	wr16(b + 10, vsw_csum_fold(vsw_csum_partial(b, 20, 0)));
	assert_int_equal(nat_ct_out(ct, b, n, 0), NAT_DROP_UNSUPPORTED);
	n = build(b, UDP, "10.0.1.10", 5000, REM_1, 53, 0);
	assert_int_equal(nat_ct_out(ct, b, n, 0), NAT_DROP_SPOOFED);
	/* UDP header cut short by the IP total length. */
	fill_ip(b, UDP, ip(IN_A), ip(REM_1), 24);
	assert_int_equal(nat_ct_out(ct, b, 24, 0), NAT_DROP_TRUNCATED);
	fill_ip(b, 47, ip(IN_A), ip(REM_1), 40);
	assert_int_equal(nat_ct_out(ct, b, 40, 0), NAT_DROP_UNSUPPORTED);
	nat_ct_destroy(ct);
}

static void
udp_without_checksum_stays_without(void **state)
{
	struct nat_ct *ct = mk(0, 0, 0);
	uint8_t b[128];
	uint32_t n = build(b, UDP, IN_A, 5000, REM_1, 53, 0);

	(void)state;
	wr16(b + 26, 0);
	assert_int_equal(nat_ct_out(ct, b, n, 0), NAT_OUT);
	assert_int_equal(rd16(b + 26), 0);
	nat_ct_destroy(ct);
}

static int
count_one(void *arg, const struct nat_session_info *info)
{
	unsigned int *n = arg;

	assert_int_equal(info->int_addr, htonl(ip(IN_A)));
	(*n)++;
	return 0;
}

static void
dump_lists_live_sessions_only(void **state)
{
	struct nat_ct *ct = mk(0, 0, 0);
	unsigned int n = 0;

	(void)state;
	udp_out(ct, IN_A, 5000, REM_1, 53, 0);
	udp_out(ct, IN_A, 5000, REM_2, 53, 100 * NS_PER_S);
	assert_int_equal(nat_ct_dump(ct, 200 * NS_PER_S, count_one, &n), 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(nat_ct_dump(ct, 350 * NS_PER_S, count_one, &n), 0);
	assert_int_equal(n, 1);
	nat_ct_destroy(ct);
}

static void
create_rejects_bad_configurations(void **state)
{
	struct nat_ct_cfg cfg = { .int_mask = htonl(0xffffff00u) };
	struct nat_ct *ct = NULL;

	(void)state;
	cfg.port_min = 2000;
	cfg.port_max = 1000;
	assert_int_equal(nat_ct_create(&cfg, &ct), -EINVAL);
	cfg.port_min = cfg.port_max = 0;
	cfg.udp_timeout_s = 60; /* RFC 4787 REQ-5: at least 2 minutes */
	assert_int_equal(nat_ct_create(&cfg, &ct), -EINVAL);
	cfg.udp_timeout_s = 0;
	cfg.int_mask = htonl(0xff00ff00u);
	assert_int_equal(nat_ct_create(&cfg, &ct), -EINVAL);
	cfg.int_mask = htonl(0xffffff00u);
	cfg.max_sessions = NAT_MAX_SESSIONS_LIMIT + 1;
	assert_int_equal(nat_ct_create(&cfg, &ct), -EINVAL);
	assert_null(ct);
	assert_int_equal(nat_ct_create(NULL, &ct), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(udp_outbound_gets_external_source_and_valid_checksums),
		cmocka_unit_test(mapping_is_endpoint_independent),
		cmocka_unit_test(inbound_reply_is_translated_back),
		cmocka_unit_test(filtering_is_address_and_port_dependent),
		cmocka_unit_test(udp_session_lives_300_seconds_and_is_refreshed_by_traffic),
		cmocka_unit_test(expired_session_is_refused_even_before_expire_runs),
		cmocka_unit_test(tcp_needs_syn_to_open_a_session),
		cmocka_unit_test(tcp_transitory_until_answered_then_established_2h4m),
		cmocka_unit_test(tcp_fin_both_ways_or_rst_makes_it_transitory),
		cmocka_unit_test(icmp_echo_is_mapped_by_identifier_for_60_seconds),
		cmocka_unit_test(icmp_error_inbound_translates_embedded_udp),
		cmocka_unit_test(icmp_error_inbound_with_8_byte_tcp_quote_and_echo_quote),
		cmocka_unit_test(icmp_error_outbound_translates_embedded_header),
		cmocka_unit_test(icmp_error_bad_checksum_or_unknown_flow_is_dropped),
		cmocka_unit_test(hairpin_reaches_the_mapped_inside_host_from_the_external_address),
		cmocka_unit_test(hairpin_to_a_mapping_reclaimed_meanwhile_is_dropped),
		cmocka_unit_test(port_exhaustion_drops_until_a_mapping_expires),
		cmocka_unit_test(full_table_refuses_new_sessions_until_old_ones_expire),
		cmocka_unit_test(bad_packets_are_refused_and_left_unchanged),
		cmocka_unit_test(udp_without_checksum_stays_without),
		cmocka_unit_test(dump_lists_live_sessions_only),
		cmocka_unit_test(create_rejects_bad_configurations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
