/* SPDX-License-Identifier: MIT */
/*
 * icmp.h - ICMP and ICMPv6 errors of the routed mode: when one may be sent (RFC 1812
 * 4.3.2.7, RFC 4443 2.4), how it is built, and the token bucket that limits them.
 *
 * Contract: pure functions on byte arrays plus a caller-owned rate limiter; no allocation,
 * no clock (time is passed in), no threads. Builders work in place: the error may be written
 * over the packet it quotes (the quoted bytes are moved first), so the routed mode turns a
 * dropped packet's buffer into the error without a second buffer. Builders return the length
 * of the IP packet written, or -errno.
 */
#ifndef FIB_ICMP_H
#define FIB_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 1812 4.3.2.3: an ICMPv4 error is at most 576 bytes; RFC 4443 2.4(c): 1280 (IPv6). */
#define FIB_ICMP4_MAX_LEN 576
#define FIB_ICMP6_MAX_LEN 1280
#define FIB_ICMP_TTL	  64

#define FIB_ICMP4_UNREACH      3
#define FIB_ICMP4_TIME_EXCEED  11
#define FIB_ICMP4_ECHO_REPLY   0
#define FIB_ICMP4_ECHO_REQUEST 8
#define FIB_ICMP4_NET_UNREACH  0
#define FIB_ICMP4_HOST_UNREACH 1
#define FIB_ICMP4_FRAG_NEEDED  4

#define FIB_ICMP6_UNREACH      1
#define FIB_ICMP6_PKT_TOO_BIG  2
#define FIB_ICMP6_TIME_EXCEED  3
#define FIB_ICMP6_ECHO_REQUEST 128
#define FIB_ICMP6_ECHO_REPLY   129
#define FIB_ICMP6_NO_ROUTE     0
#define FIB_ICMP6_ADDR_UNREACH 3

/* A token bucket: 'rate' errors per second on average, bursts of up to 'burst'. */
struct fib_icmp_rl {
	uint64_t credit_ns; /* accumulated credit, capped at burst * cost */
	uint64_t last_ns;
	uint64_t cost_ns; /* 1e9 / rate */
	uint64_t cap_ns;
	bool started;
};

/* 'rate' 1..1000000 per second, 'burst' >= 1; the bucket starts full. */
int fib_icmp_rl_init(struct fib_icmp_rl *rl, unsigned int rate, unsigned int burst);

/* Takes a token at 'now_ns' if there is one. */
bool fib_icmp_rl_allow(struct fib_icmp_rl *rl, uint64_t now_ns);

/*
 * Whether an ICMPv4 error may answer the IPv4 packet 'ip' of 'len' valid bytes (header
 * already checked): not for an ICMP error (only queries: echo, timestamp, info, mask), a
 * non-first fragment, an IP multicast/broadcast destination ('l2_mcast': the frame's
 * Ethernet destination was multicast/broadcast), or a source that does not name one host
 * (zero, loopback, multicast, class E).
 */
bool fib_icmp4_may_error(const uint8_t *ip, size_t len, bool l2_mcast);

/* The same for IPv6 (RFC 4443 2.4 (e)): not for an ICMPv6 error, nor to a multicast or
 * link-layer multicast destination (except Packet Too Big, 'too_big'), nor from the
 * unspecified or a multicast source. Extension headers are walked to find the ICMPv6 type. */
bool fib_icmp6_may_error(const uint8_t *ip6, size_t len, bool l2_mcast, bool too_big);

/*
 * Writes at 'out' an IPv4 packet from 'src' to the source of 'orig' carrying ICMP
 * 'type'/'code' (with 'mtu' in the next-hop MTU field for frag needed) and as much of
 * 'orig' ('orig_len' bytes: its IP total length) as fits in FIB_ICMP4_MAX_LEN. 'out' may
 * alias 'orig'. Needs 'room' >= the result; -ENOSPC otherwise.
 */
int fib_icmp4_error(uint8_t *out, size_t room, const uint8_t *src, const uint8_t *orig,
		    size_t orig_len, uint8_t type, uint8_t code, uint16_t mtu);

/* The IPv6 equivalent ('param': the MTU of Packet Too Big, else 0), limit FIB_ICMP6_MAX_LEN. */
int fib_icmp6_error(uint8_t *out, size_t room, const uint8_t *src, const uint8_t *orig,
		    size_t orig_len, uint8_t type, uint8_t code, uint32_t param);

#endif
