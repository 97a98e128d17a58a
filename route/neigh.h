/* SPDX-License-Identifier: MIT */
/*
 * neigh.h - the routed mode's neighbour table (ARP for IPv4, ND for IPv6).
 *
 * Contract
 * - A struct fib_neigh maps (family, address, port index) to a MAC with a state:
 *   INCOMPLETE (being resolved: up to FIB_NEIGH_QUEUE_MAX packets wait in a per-entry
 *   queue, a solicitation is due every 'retrans' ns, at most 'retries' of them) and
 *   REACHABLE (MAC known; aged out 'reachable' ns after the last confirmation). Bounded: at
 *   most 'max_entries' entries, all allocated by fib_neigh_create(); when full, a new
 *   resolution fails (-ENOSPC) rather than evicting a live entry, so a guest scanning
 *   addresses cannot flush the table of others.
 * - Time is passed in by the caller (the worker's clock, or a virtual one in tests); nothing
 *   here reads a clock or sends anything: the caller asks what is due (fib_neigh_due()) and
 *   sends solicitations itself, so the table stays a pure data structure.
 * - Ownership: queued packets belong to the table until released by fib_neigh_update() (to
 *   the caller, to send), or handed to the caller's drop callback (timeout, flush, destroy).
 * - Threading: none inside; one worker. Errors: 0 or -errno; release/expiry return counts.
 */
#ifndef FIB_NEIGH_H
#define FIB_NEIGH_H

#include "vswitch/pkt.h"

#include <stdbool.h>
#include <stdint.h>

#define FIB_NEIGH_QUEUE_MAX    4
#define FIB_NEIGH_MAX_LIMIT    65536
#define FIB_NEIGH_RETRANS_NS   1000000000ull
#define FIB_NEIGH_RETRIES      3
#define FIB_NEIGH_REACHABLE_NS (300ull * 1000000000ull)

enum fib_neigh_state {
	FIB_NEIGH_INCOMPLETE = 1,
	FIB_NEIGH_REACHABLE,
};

struct fib_neigh_info {
	int family;
	uint8_t addr[16];
	uint16_t port;
	uint8_t mac[6];
	enum fib_neigh_state state;
	unsigned int n_queued;
	unsigned int probes; /* solicitations sent while INCOMPLETE */
	uint64_t updated_ns;
};

struct fib_neigh_cfg {
	unsigned int max_entries; /* 1..FIB_NEIGH_MAX_LIMIT */
	unsigned int retries;	  /* solicitations before giving up, >= 1 */
	uint64_t retrans_ns;	  /* between solicitations */
	uint64_t reachable_ns;	  /* lifetime of a confirmed entry */
};

struct fib_neigh;

/* Called for every packet the table gives up on, with the entry it waited for. */
typedef void fib_neigh_drop_fn(void *arg, const struct fib_neigh_info *n, struct pkt *p);

/* 'cfg' NULL: defaults (1024 entries, FIB_NEIGH_RETRIES, RETRANS, REACHABLE). */
int fib_neigh_create(const struct fib_neigh_cfg *cfg, struct fib_neigh **tblp);

/* Frees the table; queued packets go to 'drop' (may be NULL: freed). NULL table ok. */
void fib_neigh_destroy(struct fib_neigh *tbl, fib_neigh_drop_fn *drop, void *arg);

/*
 * Resolves 'addr' on 'port' for packet 'p':
 * - 0: REACHABLE, the MAC is in 'mac'; 'p' stays with the caller.
 * - -EAGAIN: 'p' queued (the table owns it); '*solicit' is true when the caller must send a
 *   solicitation now (a new entry; its probe is counted).
 * - -ENOBUFS: the entry's queue is full, -ENOSPC: the table is full; 'p' stays with the
 *   caller, to drop. 'p' may be NULL to only start a resolution.
 */
int fib_neigh_resolve(struct fib_neigh *tbl, int family, const uint8_t *addr, uint16_t port,
		      struct pkt *p, uint64_t now_ns, uint8_t *mac, bool *solicit);

/*
 * Records that 'addr' on 'port' is at 'mac' (a reply, or a frame from it). With 'create'
 * false only an existing entry is updated. Moves the entry to REACHABLE and hands its queued
 * packets to the caller in 'out' (at most FIB_NEIGH_QUEUE_MAX), returning their number;
 * -ENOSPC when a new entry does not fit, -ENOENT when absent and !create.
 */
int fib_neigh_update(struct fib_neigh *tbl, int family, const uint8_t *addr, uint16_t port,
		     const uint8_t *mac, uint64_t now_ns, bool create, struct pkt **out);

/* The entry for 'addr' on 'port' (a copy), 0 or -ENOENT. */
int fib_neigh_get(const struct fib_neigh *tbl, int family, const uint8_t *addr, uint16_t port,
		  struct fib_neigh_info *info);

/*
 * Timers at 'now_ns': every INCOMPLETE entry whose retransmission is due and has probes
 * left gets 'solicit' called (and its probe counted); one out of probes is deleted and its
 * queue handed to 'drop'; REACHABLE entries older than 'reachable' are deleted. 'solicit'
 * may be NULL (a caller that cannot send now): the due probe is then used up unsent, so a
 * resolution still fails in bounded time. Returns the number of entries deleted.
 */
unsigned int fib_neigh_run(struct fib_neigh *tbl, uint64_t now_ns,
			   void (*solicit)(void *arg, const struct fib_neigh_info *n),
			   fib_neigh_drop_fn *drop, void *arg);

/* Deletes every entry of 'port' (a port leaving); queues go to 'drop'. Returns how many. */
unsigned int fib_neigh_flush_port(struct fib_neigh *tbl, uint16_t port, fib_neigh_drop_fn *drop,
				  void *arg);

/* Copies up to 'max' entries into 'infos'; returns the number copied. */
unsigned int fib_neigh_dump(const struct fib_neigh *tbl, struct fib_neigh_info *infos,
			    unsigned int max);

/* Number of entries. */
unsigned int fib_neigh_count(const struct fib_neigh *tbl);

/* Whether the entry of ('family', 'addr', 'port') is REACHABLE at 'mac' and was updated less
 * than 'max_age_ns' before 'now_ns': the per-packet check of a learning caller, without
 * copying the entry out. */
bool fib_neigh_fresh(const struct fib_neigh *tbl, int family, const uint8_t *addr, uint16_t port,
		     const uint8_t *mac, uint64_t now_ns, uint64_t max_age_ns);

#endif
