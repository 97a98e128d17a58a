/* SPDX-License-Identifier: MIT */
/*
 * mac-table.h - the learning bridge's MAC table: {MAC, VLAN} -> {port index, last seen}.
 *
 * Contract:
 * - Bounded: every entry is preallocated by vsw_mac_table_create(); learn, lookup, age and
 *   flush never allocate. Lookup is O(1): a hash table of chains over the entry array (twice
 *   as many chains as entries). Guests choose the source MACs that are learned, so the hash
 *   is keyed: multiply-shift with a random odd 64-bit multiplier and addend per table
 *   (getrandom()), under which two distinct keys share a chain with probability at most
 *   2 / chains whatever keys a guest picks, since which keys collide depends on the secret
 *   (a CRC, even seeded, is linear: its collisions are the same for every seed). It costs
 *   a multiply and an add (SipHash-1-3, used before, was ~10 % of a bridge worker's time
 *   at two hashes a frame). As a bound in case the secret were ever inferred (e.g. by
 *   timing), a chain never grows beyond
 *   VSW_MAC_CHAIN_MAX: a new MAC that would lengthen a full chain is not learned (counted
 *   in chain_full; its frames are still forwarded, replies to it flooded), so lookups
 *   stay bounded and no other entry is pushed out by it.
 * - Time is passed in by the caller ('now_ns', any clock in nanoseconds, e.g. the worker's
 *   monotonic clock or a pcap replay's virtual one); nothing here reads a clock. The table
 *   never lets time run backwards: it uses the latest 'now_ns' it has been given.
 * - Aging: an entry expires when now >= last_seen + aging time (default 300 s, as the Linux
 *   bridge and OVS), last_seen being exact (every learn updates it); from then on lookup and
 *   dump ignore it and vsw_mac_age() frees it. Learning it again (from any port) refreshes
 *   it.
 * - Size cap (default 8192) with fair eviction, as OVS mac-learning does: when the table is
 *   full, the entry evicted belongs to the port that owns the most entries, and is its least
 *   recently learned one to within VSW_MAC_REFRESH_NS (1 s): its last learn is less than
 *   VSW_MAC_REFRESH_NS after the oldest last learn among that port's entries. (Learning
 *   an entry again moves it in its port's recency order at most once per
 *   VSW_MAC_REFRESH_NS, so a busy MAC costs a store per frame, not a list relink; entries
 *   learned a second or more apart are evicted strictly oldest first.) A guest flooding
 *   random source MACs therefore only recycles its own entries once it is the biggest
 *   owner, and cannot push out the few MACs of other ports. Finding that port is O(1):
 *   ports are kept in lists by entry count.
 * - Only valid unicast source MACs are learned: multicast, broadcast and all-zero sources
 *   are refused (-EINVAL). A MAC seen on another port moves to it (the guest migrated or
 *   the topology changed); the last port to send it wins.
 * - Threading: single writer. Every call, lookups and dumps included, runs on the worker
 *   that owns the table; the control thread asks that worker for an `fdb-show` dump. The
 *   table has no lock.
 * - Port indexes are those of port.h (below 'max_ports'). Before a port index is reused,
 *   vsw_mac_flush_port() must forget the old port's entries.
 * - Functions return 0 or -errno (learn: -EINVAL refused, -ENOSPC chain full); age/flush
 *   return the number of entries removed.
 */
#ifndef VSW_MAC_TABLE_H
#define VSW_MAC_TABLE_H

#include <net/ethernet.h>
#include <stdbool.h>
#include <stdint.h>

#define VSW_MAC_MAX_ENTRIES_DEFAULT 8192
#define VSW_MAC_MAX_ENTRIES_LIMIT   (1u << 20)
#define VSW_MAC_AGING_S_DEFAULT	    300
#define VSW_MAC_AGING_S_MAX	    1000000
#define VSW_MAC_MAX_PORTS_DEFAULT   1024 /* PORT_MAX */
#define VSW_MAC_MAX_PORTS_LIMIT	    65536
#define VSW_MAC_VLAN_MAX	    4095
#define VSW_MAC_REFRESH_NS	    1000000000ull /* recency granularity of eviction */
#define VSW_MAC_CHAIN_MAX	    16		  /* entries in one hash chain at most */
#define VSW_MAC_BURST_MAX	    64		  /* frames per chunk of a burst call */
#define VSW_MAC_PORT_NONE	    0xffff

struct vsw_mac_table;

struct vsw_mac_table_cfg {
	unsigned int max_entries; /* 1..VSW_MAC_MAX_ENTRIES_LIMIT; 0: the default */
	unsigned int aging_s;	  /* 1..VSW_MAC_AGING_S_MAX seconds; 0: the default */
	unsigned int max_ports;	  /* port indexes are below this; 1..LIMIT; 0: the default */
};

/* One entry as shown by vsw_mac_dump(). */
struct vsw_mac_info {
	struct ether_addr mac;
	uint16_t vlan;
	uint16_t port;
	uint64_t age_ns; /* time since it was last learned */
};

struct vsw_mac_stats {
	unsigned int n_entries; /* entries held now, expired-but-not-aged included */
	uint64_t learned;	/* new entries */
	uint64_t moved;		/* entries that changed port */
	uint64_t evicted;	/* entries pushed out by the size cap */
	uint64_t aged;		/* entries freed by vsw_mac_age() */
	uint64_t flushed;	/* entries freed by flush */
	uint64_t refused;	/* learn calls refused (bad source MAC, VLAN or port) */
	uint64_t chain_full;	/* new MACs not learned: their hash chain was full */
};

/* Called for each live entry by vsw_mac_dump(); a non-zero return stops the dump. */
typedef int vsw_mac_dump_fn(void *arg, const struct vsw_mac_info *info);

/* Creates a table from 'cfg' (NULL: all defaults). 0, -EINVAL, -ENOMEM, or the error of
 * getrandom() for the hash secret. */
int vsw_mac_table_create(const struct vsw_mac_table_cfg *cfg, struct vsw_mac_table **tablep);

/* Frees the table. NULL ok. */
void vsw_mac_table_destroy(struct vsw_mac_table *table);

/* Makes the table usable by several threads at once (a bridge spread over workers) or by
 * one again; call it while no thread uses the table. Shared: vsw_mac_learn_lookup_burst(),
 * vsw_mac_learn(), vsw_mac_lookup() and vsw_mac_age() may run concurrently. Lookups and the
 * refresh of a known MAC on its port take no lock (single untorn loads and stores; an entry
 * is published only once filled in, a freed one is never found, and a chain walk that a
 * concurrent change makes longer than any chain can be gives up as a miss); creating,
 * moving, relinking, evicting and aging an entry take the table's spinlock. A lookup racing
 * with a move or an expiry may return the port the MAC had an instant before, as a
 * hardware switch would. The other functions (flushes, dumps, counts, stats, aging time)
 * still want no concurrent user. */
void vsw_mac_table_set_shared(struct vsw_mac_table *table, bool shared);

/* Changes the aging time (1..VSW_MAC_AGING_S_MAX seconds, else -EINVAL); applies to every
 * entry at once, as the Linux bridge's ageing_time does. */
int vsw_mac_table_set_aging(struct vsw_mac_table *table, unsigned int aging_s);

/* Whether 'mac' may be learned: not multicast (broadcast included), not all zeros. */
static inline bool
vsw_mac_is_learnable(const struct ether_addr *mac)
{
	const uint8_t *b = mac->ether_addr_octet;

	return !(b[0] & 1) && (b[0] | b[1] | b[2] | b[3] | b[4] | b[5]);
}

/*
 * Records that 'mac' on 'vlan' was seen as a source on 'port' at 'now_ns': creates the
 * entry (evicting one if the table is full, see above), refreshes it, or moves it to
 * 'port'. -EINVAL (nothing learned) if the MAC is not learnable, 'vlan' is above
 * VSW_MAC_VLAN_MAX or 'port' is not below max_ports.
 */
int vsw_mac_learn(struct vsw_mac_table *table, const struct ether_addr *mac, uint16_t vlan,
		  uint16_t port, uint64_t now_ns);

/* Finds the port of 'mac' on 'vlan' at 'now_ns': 0 and '*port', or -ENOENT if unknown or
 * expired. */
int vsw_mac_lookup(const struct vsw_mac_table *table, const struct ether_addr *mac, uint16_t vlan,
		   uint64_t now_ns, uint16_t *port);

/* The key of 'mac' (6 bytes as on the wire) on 'vlan' in bursts: MAC << 16 | VLAN, read
 * with two loads. Key 0 (the zero MAC, VLAN 0) is never learnable and never found, so it
 * also stands for "nothing" in a request. */
static inline uint64_t
vsw_mac_key_of(const uint8_t *mac, uint16_t vlan)
{
	uint32_t hi;
	uint16_t lo;

	__builtin_memcpy(&hi, mac, 4);
	__builtin_memcpy(&lo, mac + 4, 2);
	return ((uint64_t)__builtin_bswap32(hi) << 16 | __builtin_bswap16(lo)) << 16 | vlan;
}

/* vsw_mac_is_learnable() of a key's MAC: not multicast, not zero. */
static inline bool
vsw_mac_key_is_learnable(uint64_t key)
{
	return !(key >> 56 & 1) && key >> 16;
}

/* One frame of vsw_mac_learn_lookup_burst(). */
struct vsw_mac_req {
	uint64_t src_key; /* vsw_mac_key_of(source, vlan) learned on 'in_port'; 0: none */
	uint64_t dst_key; /* vsw_mac_key_of(destination, vlan) looked up; 0: none */
	uint16_t in_port;
	uint16_t out_port; /* set: the port of the destination, or VSW_MAC_PORT_NONE */
};

/*
 * A burst of frames: for each of reqs[0..n) in order, exactly what vsw_mac_learn() of its
 * source then vsw_mac_lookup() of its destination at 'now_ns' would do (so a frame's
 * lookup sees the sources of the frames before it, not after), with the hashing of the
 * whole burst done first and the chains prefetched. The return values of those calls are
 * not reported: a refused learn (a source key whose MAC is not learnable, VLAN above
 * VSW_MAC_VLAN_MAX, or 'in_port' not below max_ports) is counted in the stats, a failed
 * lookup gives VSW_MAC_PORT_NONE.
 */
void vsw_mac_learn_lookup_burst(struct vsw_mac_table *table, struct vsw_mac_req *reqs,
				unsigned int n, uint64_t now_ns);

/* Frees every entry expired at 'now_ns'; returns how many. */
unsigned int vsw_mac_age(struct vsw_mac_table *table, uint64_t now_ns);

/* Frees every entry of 'port' (the port is being removed); returns how many. */
unsigned int vsw_mac_flush_port(struct vsw_mac_table *table, uint16_t port);

/* Frees every entry; returns how many. */
unsigned int vsw_mac_flush_all(struct vsw_mac_table *table);

/* Calls 'fn' for each entry live at 'now_ns', in no particular order. The table must not be
 * changed from 'fn'. Returns 0, or the first non-zero value 'fn' returned. */
int vsw_mac_dump(const struct vsw_mac_table *table, uint64_t now_ns, vsw_mac_dump_fn *fn,
		 void *arg);

/* Entries held (expired-but-not-aged included) in all, or owned by 'port'. */
unsigned int vsw_mac_count(const struct vsw_mac_table *table);
unsigned int vsw_mac_port_count(const struct vsw_mac_table *table, uint16_t port);

/* Fills '*stats'. */
void vsw_mac_get_stats(const struct vsw_mac_table *table, struct vsw_mac_stats *stats);

#endif
