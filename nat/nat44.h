/* SPDX-License-Identifier: MIT */
/*
 * nat44.h - the fast-path NAT44 connection table: source NAT of an inside IPv4 subnet behind
 * one external address, translating packets in place.
 *
 * Contract
 * - Behaviour (RFC 4787, RFC 5382, RFC 5508):
 *   - Mapping is endpoint-independent (RFC 4787 REQ-1): an inside {protocol, address, port}
 *     keeps one external port, whatever the destination, while it has any session. The
 *     internal port is kept when it is in range and free, else the next free port of the
 *     range (port_min..port_max, default 1024..65535). No free port: NAT_DROP_PORTS_EXHAUSTED.
 *   - Filtering is address-and-port dependent (RFC 4787 section 5, the stricter option): a
 *     packet from outside is let in only if it belongs to a session, i.e. the inside host
 *     sent to exactly that remote address and port first. Hairpinned packets (inside to
 *     inside through the external address, RFC 4787 REQ-9) reach any live mapping: both
 *     ends are inside; the hairpinned packet leaves with source = external address and the
 *     sender's external port, and the receiver gets a session back to it.
 *   - ICMP echo is mapped by identifier (the identifier is the "port"). ICMP errors
 *     (destination unreachable, time exceeded, parameter problem) are translated in both
 *     directions per RFC 5508: the outer address, the embedded IP header's address and
 *     checksum, the embedded TCP/UDP port or ICMP identifier and its checksum when the
 *     quoted bytes include it, and the ICMP checksum. An error never creates or refreshes
 *     a session.
 *   - Sessions are created by outbound packets only: UDP, ICMP echo request, TCP SYN (not
 *     SYN+ACK: a mid-stream TCP packet finds no session and is dropped). Timeouts: UDP 300 s
 *     (RFC 4787 REQ-5, at least 120 s), ICMP query 60 s (RFC 5508), TCP 2 h 4 min once
 *     established and 4 min while transitory (SYN sent, FIN seen both ways, RST) (RFC 5382
 *     REQ-5). Both directions refresh a session.
 *   - Not translated (dropped, each with its own verdict): IP fragments (no reassembly
 *     here), protocols other than TCP/UDP/ICMP, IP headers with a bad version, length or
 *     checksum, truncated L4 headers, outbound sources outside the inside subnet.
 * - Checksums are updated incrementally (RFC 1624), except the ICMP checksum of an error,
 *   which is verified and then recomputed (its payload changes in several places). A UDP
 *   checksum of 0 (none) stays 0. Packets must carry complete checksums (the caller
 *   completes offloaded ones first).
 * - Bounded memory: max_sessions sessions and as many mappings, allocated at create; nothing
 *   allocates afterwards. When the table is full, expired sessions are reclaimed first; if
 *   none is, the new session is refused (NAT_DROP_TABLE_FULL): live sessions are never
 *   evicted to make room, so a guest opening many flows cannot break others' established
 *   ones. Hash chains are keyed with a random secret, since guests choose the keys.
 * - Time is passed in ('now_ns', any nanosecond clock that never goes backwards); nothing
 *   here reads a clock. nat_ct_expire() frees expired sessions; lookups ignore them anyway.
 * - Threading: none; one owner (the network's worker) calls everything.
 * - Errors: 0 or -errno; packet functions return a verdict.
 */
#ifndef NAT_NAT44_H
#define NAT_NAT44_H

#include <stdint.h>

#define NAT_PORT_MIN_DEFAULT	   1024
#define NAT_PORT_MAX_DEFAULT	   65535
#define NAT_MAX_SESSIONS_DEFAULT   16384
#define NAT_MAX_SESSIONS_LIMIT	   (1u << 20)
#define NAT_UDP_TIMEOUT_S_DEFAULT  300
#define NAT_UDP_TIMEOUT_S_MIN	   120
#define NAT_TCP_EST_TIMEOUT_S	   7440
#define NAT_TCP_TRANS_TIMEOUT_S	   240
#define NAT_ICMP_TIMEOUT_S_DEFAULT 60
#define NAT_TIMEOUT_S_MAX	   86400

struct nat_ct;

struct nat_ct_cfg {
	uint32_t ext_addr;	      /* external address, network order */
	uint32_t int_net;	      /* inside subnet, network order */
	uint32_t int_mask;	      /* its mask, network order */
	uint16_t port_min;	      /* external port range, host order; 0: the default */
	uint16_t port_max;	      /* 0: the default */
	uint32_t max_sessions;	      /* 1..NAT_MAX_SESSIONS_LIMIT; 0: the default */
	uint32_t udp_timeout_s;	      /* NAT_UDP_TIMEOUT_S_MIN..NAT_TIMEOUT_S_MAX; 0: the default */
	uint32_t tcp_est_timeout_s;   /* 1..NAT_TIMEOUT_S_MAX; 0: the default */
	uint32_t tcp_trans_timeout_s; /* 1..NAT_TIMEOUT_S_MAX; 0: the default */
	uint32_t icmp_timeout_s;      /* 1..NAT_TIMEOUT_S_MAX; 0: the default */
};

enum nat_verdict {
	NAT_OUT = 0,		  /* translated; send it outside */
	NAT_DELIVER,		  /* translated; its destination is inside (inbound) */
	NAT_HAIRPIN,		  /* translated; inside to inside through the external address */
	NAT_DROP_BAD_HDR,	  /* IP version, header length or checksum wrong */
	NAT_DROP_TRUNCATED,	  /* shorter than its IP or L4 header says */
	NAT_DROP_UNSUPPORTED,	  /* fragment, or a protocol/ICMP type not translated */
	NAT_DROP_SPOOFED,	  /* outbound source not in the inside subnet */
	NAT_DROP_NO_SESSION,	  /* no session (inbound, or TCP not starting with SYN) */
	NAT_DROP_PORTS_EXHAUSTED, /* no free external port */
	NAT_DROP_TABLE_FULL,	  /* max_sessions live sessions */
	NAT_DROP_BAD_ICMP,	  /* ICMP error with a bad checksum or untranslatable payload */
};

enum nat_proto {
	NAT_PROTO_TCP = 0,
	NAT_PROTO_UDP,
	NAT_PROTO_ICMP,
	NAT_PROTO_N,
};

/* One session as shown by nat_ct_dump(); addresses in network order, ports host order. */
struct nat_session_info {
	enum nat_proto proto;
	uint32_t int_addr;
	uint16_t int_port; /* ICMP: the inside identifier */
	uint16_t ext_port; /* ICMP: the external identifier */
	uint32_t rem_addr;
	uint16_t rem_port;   /* 0 for ICMP */
	const char *state;   /* "udp", "icmp", "syn_sent", "established", "closing" */
	uint64_t expires_ns; /* time left at the dump's 'now_ns' */
};

struct nat_ct_stats {
	unsigned int n_sessions; /* held now (expired-but-not-freed included) */
	unsigned int n_mappings;
	uint64_t created;  /* sessions created */
	uint64_t expired;  /* sessions freed because they timed out */
	uint64_t hairpins; /* hairpinned packets */
};

/* Called for each live session by nat_ct_dump(); non-zero stops the dump. */
typedef int nat_ct_dump_fn(void *arg, const struct nat_session_info *info);

/* Creates a table from 'cfg'. -EINVAL (bad range, timeouts, sizes), -ENOMEM, or the error of
 * getrandom(). */
int nat_ct_create(const struct nat_ct_cfg *cfg, struct nat_ct **ctp);

/* Frees the table. NULL ok. */
void nat_ct_destroy(struct nat_ct *ct);

/*
 * Translates an outbound IPv4 packet in place: 'l3' is its IP header, 'len' the bytes
 * available there (at least the IP total length; trailing padding is left alone).
 * NAT_OUT: the source is now the external address; NAT_HAIRPIN: the destination was the
 * external address and is now the inside host owning that port; else a drop verdict and
 * the packet is unchanged.
 */
enum nat_verdict nat_ct_out(struct nat_ct *ct, uint8_t *l3, uint32_t len, uint64_t now_ns);

/* Translates an inbound IPv4 packet in place: NAT_DELIVER (destination now the inside host),
 * or a drop verdict (packet unchanged). */
enum nat_verdict nat_ct_in(struct nat_ct *ct, uint8_t *l3, uint32_t len, uint64_t now_ns);

/* Frees every session expired at 'now_ns' (and mappings left without one); returns how many
 * sessions. */
unsigned int nat_ct_expire(struct nat_ct *ct, uint64_t now_ns);

/* Calls 'fn' for each session live at 'now_ns', least recently used first. The table must
 * not be changed from 'fn'. Returns 0 or the first non-zero value of 'fn'. */
int nat_ct_dump(const struct nat_ct *ct, uint64_t now_ns, nat_ct_dump_fn *fn, void *arg);

/* Fills '*stats'. */
void nat_ct_get_stats(const struct nat_ct *ct, struct nat_ct_stats *stats);

/* A name for 'v' ("out", "no_session", ...). */
const char *nat_verdict_name(enum nat_verdict v);

#endif
