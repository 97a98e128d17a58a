/* SPDX-License-Identifier: MIT */
/*
 * mac-table.h - the learning bridge's MAC table: {MAC, VLAN} -> {port index, last seen}.
 *
 * Contract:
 * - Bounded: every entry is preallocated by vsw_mac_table_create(); learn, lookup, age and
 *   flush never allocate. Lookup is O(1): a hash table of chains over the entry array, with
 *   SipHash-1-3 keyed by a random secret per table, because guests choose the source MACs
 *   that are learned and must not be able to pile them into one chain.
 * - Time is passed in by the caller ('now_ns', any clock in nanoseconds, e.g. the worker's
 *   monotonic clock or a pcap replay's virtual one); nothing here reads a clock. The table
 *   never lets time run backwards: it uses the latest 'now_ns' it has been given.
 * - Aging: an entry expires when now >= last_seen + aging time (default 300 s, as the Linux
 *   bridge and OVS); from then on lookup and dump ignore it and vsw_mac_age() frees it.
 *   Learning it again (from any port) refreshes it.
 * - Size cap (default 8192) with fair eviction, as OVS mac-learning does: when the table is
 *   full, the entry evicted is the least recently learned one of the port that owns the
 *   most entries. A guest flooding random source MACs therefore only recycles its own
 *   entries once it is the biggest owner, and cannot push out the few MACs of other ports.
 *   Finding that port is O(1): ports are kept in lists by entry count.
 * - Only valid unicast source MACs are learned: multicast, broadcast and all-zero sources
 *   are refused (-EINVAL). A MAC seen on another port moves to it (the guest migrated or
 *   the topology changed); the last port to send it wins.
 * - Threading: single writer. Every call, lookups and dumps included, runs on the worker
 *   that owns the table; the control thread asks that worker for an `fdb-show` dump. The
 *   table has no lock.
 * - Port indexes are those of port.h (below 'max_ports'). Before a port index is reused,
 *   vsw_mac_flush_port() must forget the old port's entries.
 * - Functions return 0 or -errno; age/flush return the number of entries removed.
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
};

/* Called for each live entry by vsw_mac_dump(); a non-zero return stops the dump. */
typedef int vsw_mac_dump_fn(void *arg, const struct vsw_mac_info *info);

/* Creates a table from 'cfg' (NULL: all defaults). 0, -EINVAL, -ENOMEM, or the error of
 * getrandom() for the hash secret. */
int vsw_mac_table_create(const struct vsw_mac_table_cfg *cfg, struct vsw_mac_table **tablep);

/* Frees the table. NULL ok. */
void vsw_mac_table_destroy(struct vsw_mac_table *table);

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
