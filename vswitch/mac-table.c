/* SPDX-License-Identifier: MIT */
/*
 * mac-table.c - the learning MAC table (see mac-table.h). Entries live in one array and are
 * linked three ways by 32-bit indexes: into a hash chain (or the free list), into the LRU
 * list of their port, and each port is linked into the list of ports that own the same
 * number of entries, so the biggest owner is always at hand.
 *
 * A port's list is ordered by lru_ns, the time an entry was last appended to it. Learning an
 * entry again always updates last_seen_ns but moves it to the tail only when its lru_ns is
 * VSW_MAC_REFRESH_NS old, so a busy MAC costs one store per frame instead of a relink.
 * Invariants: lru_ns <= last_seen_ns < lru_ns + VSW_MAC_REFRESH_NS for an entry appended by
 * a learn, and the list is sorted by lru_ns. Hence the head's last learn is less than
 * VSW_MAC_REFRESH_NS after the oldest last learn of the port (the eviction contract), and
 * every expired entry (last_seen_ns + aging <= now) lies in the prefix of entries with
 * lru_ns + aging <= now, which is all vsw_mac_age() walks.
 */
#include "vswitch/mac-table.h"

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define VSW_MAC_NONE	 UINT32_MAX
#define VSW_MAC_NS_PER_S 1000000000ull
/* Bursts learn at the table's clock, which they move in steps of this much: a MAC seen in
 * every burst is written once a step, not once a frame (and the clock's line once a step). */
#define VSW_MAC_CLOCK_STEP_NS 1000000ull
/* A chain walk longer than this only happens while another worker of a shared table moves
 * the entry being visited (chains hold at most VSW_MAC_CHAIN_MAX): it gives up (a miss). */
#define VSW_MAC_WALK_MAX (2 * VSW_MAC_CHAIN_MAX)

/* Fields a reader of a shared table may load while a learner writes them (relaxed: plain
 * moves on x86; the point is that they are single, untorn accesses). */
#define VSW_MAC_LD(x)	 __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define VSW_MAC_ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

struct vsw_mac_entry {
	uint64_t key;	       /* MAC << 16 | VLAN */
	uint64_t last_seen_ns; /* last learn */
	uint64_t lru_ns;       /* when it was last put at its port list's tail */
	uint32_t hnext;	       /* next in the hash chain, or in the free list */
	uint32_t prev;	       /* port LRU list, towards the oldest */
	uint32_t next;	       /* port LRU list, towards the newest */
	uint16_t port;
	bool used;
};

struct vsw_mac_port {
	uint32_t head; /* oldest entry */
	uint32_t tail; /* newest entry */
	uint32_t n_entries;
	uint32_t cprev; /* ports with the same n_entries */
	uint32_t cnext;
};

struct vsw_mac_table {
	struct vsw_mac_entry *entries;
	uint32_t max_entries;
	uint32_t n_entries;
	uint32_t free_head;

	uint32_t *buckets; /* chain heads, a power of two of them */
	uint32_t n_buckets;
	unsigned int shift; /* 64 - log2(n_buckets) */

	struct vsw_mac_port *ports;
	uint32_t max_ports;
	uint32_t *by_count; /* [n]: ports owning n entries, n = 1..max_entries */
	uint32_t max_count; /* largest n with a non-empty by_count[n], 0 if the table is empty */

	uint64_t aging_ns;
	uint64_t mul, add; /* hash secret; 'mul' is odd */
	bool shared;	   /* vsw_mac_table_set_shared() */

	/* Written by every learn: a line of their own, apart from the read-mostly fields
	 * above (a spread bridge's workers share the table). */
	_Alignas(64)
		uint64_t clock_ns; /* latest time seen (bursts: in VSW_MAC_CLOCK_STEP_NS steps) */
	struct vsw_mac_stats stats;
	pthread_spinlock_t lock; /* shared: every change of structure, see the contract */
};

/* The chain of 'key': multiply-shift (Dietzfelbinger et al.) with the table's random odd
 * multiplier and random addend, top bits kept. For two distinct keys the chance that they
 * share a chain is at most 2 / n_buckets over the choice of the multiplier, which a guest
 * never sees; unlike a CRC or an unkeyed hash, which keys collide depends on the secret. */
static inline uint32_t
vsw_mac_bucket(const struct vsw_mac_table *t, uint64_t key)
{
	return (uint32_t)((key * t->mul + t->add) >> t->shift);
}

static inline uint64_t
vsw_mac_key(const struct ether_addr *mac, uint16_t vlan)
{
	return vsw_mac_key_of(mac->ether_addr_octet, vlan);
}

static void
vsw_mac_key_split(uint64_t key, struct ether_addr *mac, uint16_t *vlan)
{
	*vlan = (uint16_t)(key & 0xffff);
	key >>= 16;
	for (int i = 5; i >= 0; i--) {
		mac->ether_addr_octet[i] = (uint8_t)key;
		key >>= 8;
	}
}

static uint64_t
vsw_mac_now(const struct vsw_mac_table *t, uint64_t now_ns)
{
	return now_ns > t->clock_ns ? now_ns : t->clock_ns;
}

static bool
vsw_mac_expired(const struct vsw_mac_table *t, const struct vsw_mac_entry *e, uint64_t now)
{
	return now - e->last_seen_ns >= t->aging_ns;
}

static void
vsw_mac_reset(struct vsw_mac_table *t)
{
	for (uint32_t i = 0; i < t->n_buckets; i++)
		t->buckets[i] = VSW_MAC_NONE;
	for (uint32_t i = 0; i < t->max_entries; i++) {
		t->entries[i].used = false;
		t->entries[i].hnext = i + 1 < t->max_entries ? i + 1 : VSW_MAC_NONE;
	}
	t->free_head = 0;
	t->n_entries = 0;
	for (uint32_t p = 0; p < t->max_ports; p++) {
		t->ports[p].head = t->ports[p].tail = VSW_MAC_NONE;
		t->ports[p].n_entries = 0;
		t->ports[p].cprev = t->ports[p].cnext = VSW_MAC_NONE;
	}
	for (uint32_t n = 0; n <= t->max_entries; n++)
		t->by_count[n] = VSW_MAC_NONE;
	t->max_count = 0;
}

int
vsw_mac_table_create(const struct vsw_mac_table_cfg *cfg, struct vsw_mac_table **tablep)
{
	unsigned int max_entries = VSW_MAC_MAX_ENTRIES_DEFAULT;
	unsigned int aging_s = VSW_MAC_AGING_S_DEFAULT;
	unsigned int max_ports = VSW_MAC_MAX_PORTS_DEFAULT;
	struct vsw_mac_table *t;
	uint64_t secret[2];
	uint32_t n_buckets = 2;
	unsigned int log2_buckets = 1;
	ssize_t got;

	if (cfg) {
		if (cfg->max_entries)
			max_entries = cfg->max_entries;
		if (cfg->aging_s)
			aging_s = cfg->aging_s;
		if (cfg->max_ports)
			max_ports = cfg->max_ports;
	}
	if (max_entries > VSW_MAC_MAX_ENTRIES_LIMIT || aging_s > VSW_MAC_AGING_S_MAX ||
	    max_ports > VSW_MAC_MAX_PORTS_LIMIT)
		return -EINVAL;
	got = getrandom(secret, sizeof(secret), 0);
	if (got < 0)
		return -errno;
	if (got != (ssize_t)sizeof(secret))
		return -EIO;

	/* Twice as many chains as entries keeps chains about one entry long. */
	while (n_buckets < 2 * max_entries) {
		n_buckets <<= 1;
		log2_buckets++;
	}

	/* sizeof is a multiple of the 64-byte alignment, as aligned_alloc() wants. */
	t = aligned_alloc(_Alignof(struct vsw_mac_table), sizeof(*t));
	if (!t)
		return -ENOMEM;
	memset(t, 0, sizeof(*t));
	t->entries = calloc(max_entries, sizeof(*t->entries));
	t->buckets = calloc(n_buckets, sizeof(*t->buckets));
	t->ports = calloc(max_ports, sizeof(*t->ports));
	t->by_count = calloc((size_t)max_entries + 1, sizeof(*t->by_count));
	if (!t->entries || !t->buckets || !t->ports || !t->by_count) {
		vsw_mac_table_destroy(t);
		return -ENOMEM;
	}
	t->max_entries = max_entries;
	t->n_buckets = n_buckets;
	t->shift = 64 - log2_buckets;
	t->max_ports = max_ports;
	t->aging_ns = (uint64_t)aging_s * VSW_MAC_NS_PER_S;
	t->mul = secret[0] | 1;
	t->add = secret[1];
	vsw_mac_reset(t);
	pthread_spin_init(&t->lock, PTHREAD_PROCESS_PRIVATE);
	*tablep = t;
	return 0;
}

void
vsw_mac_table_destroy(struct vsw_mac_table *table)
{
	if (!table)
		return;
	free(table->entries);
	free(table->buckets);
	free(table->ports);
	free(table->by_count);
	pthread_spin_destroy(&table->lock);
	free(table);
}

void
vsw_mac_table_set_shared(struct vsw_mac_table *table, bool shared)
{
	table->shared = shared;
}

int
vsw_mac_table_set_aging(struct vsw_mac_table *table, unsigned int aging_s)
{
	if (aging_s < 1 || aging_s > VSW_MAC_AGING_S_MAX)
		return -EINVAL;
	table->aging_ns = (uint64_t)aging_s * VSW_MAC_NS_PER_S;
	return 0;
}

static void
vsw_mac_count_unlink(struct vsw_mac_table *t, uint32_t p)
{
	struct vsw_mac_port *mp = &t->ports[p];

	if (mp->cprev != VSW_MAC_NONE)
		t->ports[mp->cprev].cnext = mp->cnext;
	else
		t->by_count[mp->n_entries] = mp->cnext;
	if (mp->cnext != VSW_MAC_NONE)
		t->ports[mp->cnext].cprev = mp->cprev;
	mp->cprev = mp->cnext = VSW_MAC_NONE;
}

static void
vsw_mac_count_link(struct vsw_mac_table *t, uint32_t p)
{
	struct vsw_mac_port *mp = &t->ports[p];
	uint32_t head = t->by_count[mp->n_entries];

	mp->cprev = VSW_MAC_NONE;
	mp->cnext = head;
	if (head != VSW_MAC_NONE)
		t->ports[head].cprev = p;
	t->by_count[mp->n_entries] = p;
}

static void
vsw_mac_port_inc(struct vsw_mac_table *t, uint32_t p)
{
	struct vsw_mac_port *mp = &t->ports[p];

	if (mp->n_entries)
		vsw_mac_count_unlink(t, p);
	mp->n_entries++;
	vsw_mac_count_link(t, p);
	if (mp->n_entries > t->max_count)
		t->max_count = mp->n_entries;
}

static void
vsw_mac_port_dec(struct vsw_mac_table *t, uint32_t p)
{
	struct vsw_mac_port *mp = &t->ports[p];
	uint32_t old = mp->n_entries;

	vsw_mac_count_unlink(t, p);
	mp->n_entries--;
	if (mp->n_entries)
		vsw_mac_count_link(t, p);
	/* If 'p' was the last port at the top count, it now heads the count below. */
	if (old == t->max_count && t->by_count[old] == VSW_MAC_NONE)
		t->max_count = old - 1;
}

static void
vsw_mac_lru_unlink(struct vsw_mac_table *t, uint32_t i)
{
	struct vsw_mac_entry *e = &t->entries[i];
	struct vsw_mac_port *mp = &t->ports[e->port];

	if (e->prev != VSW_MAC_NONE)
		t->entries[e->prev].next = e->next;
	else
		mp->head = e->next;
	if (e->next != VSW_MAC_NONE)
		t->entries[e->next].prev = e->prev;
	else
		mp->tail = e->prev;
}

static void
vsw_mac_lru_append(struct vsw_mac_table *t, uint32_t i)
{
	struct vsw_mac_entry *e = &t->entries[i];
	struct vsw_mac_port *mp = &t->ports[e->port];

	e->next = VSW_MAC_NONE;
	e->prev = mp->tail;
	if (mp->tail != VSW_MAC_NONE)
		t->entries[mp->tail].next = i;
	else
		mp->head = i;
	mp->tail = i;
}

/* The entry of 'key' in chain 'bucket', or VSW_MAC_NONE. Safe against a learner of a shared
 * table changing the chain meanwhile: a freed entry is not 'used', an entry is published
 * (release) only once filled in, and the walk is bounded. */
static inline uint32_t
vsw_mac_find_in(const struct vsw_mac_table *t, uint64_t key, uint32_t bucket)
{
	uint32_t i = __atomic_load_n(&t->buckets[bucket], __ATOMIC_ACQUIRE);

	for (unsigned int steps = 0; i != VSW_MAC_NONE; steps++) {
		const struct vsw_mac_entry *e = &t->entries[i];

		if (VSW_MAC_LD(e->key) == key && VSW_MAC_LD(e->used))
			return i;
		if (steps == VSW_MAC_WALK_MAX)
			break;
		i = VSW_MAC_LD(e->hnext);
	}
	return VSW_MAC_NONE;
}

/* Port and last learn of entry 'i', found for 'key'; false if a learner of a shared table
 * gave the entry to another key meanwhile (it stores the key before the port, with
 * release: a port read after a recycle is caught by reading the key again). */
static inline bool
vsw_mac_read(const struct vsw_mac_table *t, uint32_t i, uint64_t key, uint16_t *port,
	     uint64_t *seen)
{
	const struct vsw_mac_entry *e = &t->entries[i];

	*port = __atomic_load_n(&e->port, __ATOMIC_ACQUIRE);
	*seen = __atomic_load_n(&e->last_seen_ns, __ATOMIC_ACQUIRE);
	return VSW_MAC_LD(e->key) == key && VSW_MAC_LD(e->used);
}

static void
vsw_mac_lock(const struct vsw_mac_table *t)
{
	if (t->shared)
		pthread_spin_lock((pthread_spinlock_t *)&t->lock);
}

static void
vsw_mac_unlock(const struct vsw_mac_table *t)
{
	if (t->shared)
		pthread_spin_unlock((pthread_spinlock_t *)&t->lock);
}

/* Moves the table's clock to 'now' if that is later (several workers may race: the
 * latest wins). */
static void
vsw_mac_clock_advance(struct vsw_mac_table *t, uint64_t now)
{
	uint64_t cur = VSW_MAC_LD(t->clock_ns);

	while (now > cur && !__atomic_compare_exchange_n(&t->clock_ns, &cur, now, true,
							 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void
vsw_mac_remove(struct vsw_mac_table *t, uint32_t i)
{
	struct vsw_mac_entry *e = &t->entries[i];
	uint32_t *link = &t->buckets[vsw_mac_bucket(t, e->key)];

	while (*link != i)
		link = &t->entries[*link].hnext;
	VSW_MAC_ST(*link, e->hnext);
	vsw_mac_lru_unlink(t, i);
	vsw_mac_port_dec(t, e->port);
	VSW_MAC_ST(e->used, false);
	VSW_MAC_ST(e->hnext, t->free_head);
	t->free_head = i;
	t->n_entries--;
}

/* The rare part of a learn: entry 'i' (found) moves or is relinked, or 'key' is new
 * (i == VSW_MAC_NONE). */
static __attribute__((noinline)) int
vsw_mac_learn_slow(struct vsw_mac_table *t, uint64_t key, uint32_t bucket, uint16_t port,
		   uint32_t i)
{
	struct vsw_mac_entry *e;
	uint32_t n;

	if (i != VSW_MAC_NONE) {
		e = &t->entries[i];
		if (e->port != port) {
			vsw_mac_lru_unlink(t, i);
			vsw_mac_port_dec(t, e->port);
			VSW_MAC_ST(e->port, port);
			vsw_mac_port_inc(t, port);
			t->stats.moved++;
		} else {
			vsw_mac_lru_unlink(t, i);
		}
		vsw_mac_lru_append(t, i);
		VSW_MAC_ST(e->lru_ns, t->clock_ns);
		return 0;
	}

	/* A chain is about one entry long (twice as many chains as entries and a secret
	 * hash); one this long means the secret is being attacked: do not make it longer. */
	n = 0;
	for (i = t->buckets[bucket]; i != VSW_MAC_NONE; i = t->entries[i].hnext)
		n++;
	if (n >= VSW_MAC_CHAIN_MAX) {
		t->stats.chain_full++;
		return -ENOSPC;
	}

	if (t->n_entries == t->max_entries) {
		uint32_t victim_port = t->by_count[t->max_count];

		vsw_mac_remove(t, t->ports[victim_port].head);
		t->stats.evicted++;
	}

	i = t->free_head;
	e = &t->entries[i];
	t->free_head = e->hnext;
	VSW_MAC_ST(e->key, key);
	VSW_MAC_ST(e->last_seen_ns, t->clock_ns);
	VSW_MAC_ST(e->lru_ns, t->clock_ns);
	__atomic_store_n(&e->port, port, __ATOMIC_RELEASE); /* after the key: vsw_mac_read() */
	VSW_MAC_ST(e->used, true);
	VSW_MAC_ST(e->hnext, t->buckets[bucket]);
	/* Filled in before it is reachable. */
	__atomic_store_n(&t->buckets[bucket], i, __ATOMIC_RELEASE);
	vsw_mac_lru_append(t, i);
	vsw_mac_port_inc(t, port);
	t->n_entries++;
	t->stats.learned++;
	return 0;
}

/* The rare part again, under the lock of a shared table, where the entry is looked up anew
 * (another worker may have changed it since). */
static __attribute__((noinline)) int
vsw_mac_learn_locked(struct vsw_mac_table *t, uint64_t key, uint32_t bucket, uint16_t port)
{
	int r;

	vsw_mac_lock(t);
	r = vsw_mac_learn_slow(t, key, bucket, port, vsw_mac_find_in(t, key, bucket));
	vsw_mac_unlock(t);
	return r;
}

/* Learns 'key' (valid) in chain 'bucket' on 'port' at clock 'clk' (the table's): a known MAC
 * seen again on its port costs a lookup and at most one store, and no lock. */
static inline int
vsw_mac_learn_key(struct vsw_mac_table *t, uint64_t key, uint32_t bucket, uint16_t port,
		  uint64_t clk)
{
	uint32_t i = vsw_mac_find_in(t, key, bucket);

	if (__builtin_expect(i != VSW_MAC_NONE, 1)) {
		struct vsw_mac_entry *e = &t->entries[i];

		/* A store only when the clock moved: once per step for a busy MAC. */
		if (VSW_MAC_LD(e->last_seen_ns) != clk)
			VSW_MAC_ST(e->last_seen_ns, clk);
		if (__builtin_expect(VSW_MAC_LD(e->port) == port &&
					     clk - VSW_MAC_LD(e->lru_ns) < VSW_MAC_REFRESH_NS,
				     1))
			return 0;
	}
	return vsw_mac_learn_locked(t, key, bucket, port);
}

int
vsw_mac_learn(struct vsw_mac_table *table, const struct ether_addr *mac, uint16_t vlan,
	      uint16_t port, uint64_t now_ns)
{
	struct vsw_mac_table *t = table;
	uint64_t key;

	if (!vsw_mac_is_learnable(mac) || vlan > VSW_MAC_VLAN_MAX || port >= t->max_ports) {
		t->stats.refused++;
		return -EINVAL;
	}
	vsw_mac_clock_advance(t, now_ns);
	key = vsw_mac_key(mac, vlan);
	return vsw_mac_learn_key(t, key, vsw_mac_bucket(t, key), port, VSW_MAC_LD(t->clock_ns));
}

int
vsw_mac_lookup(const struct vsw_mac_table *table, const struct ether_addr *mac, uint16_t vlan,
	       uint64_t now_ns, uint16_t *port)
{
	uint64_t key, seen;
	uint32_t i;
	uint16_t p;

	if (vlan > VSW_MAC_VLAN_MAX)
		return -ENOENT;
	key = vsw_mac_key(mac, vlan);
	i = vsw_mac_find_in(table, key, vsw_mac_bucket(table, key));
	if (i == VSW_MAC_NONE || !vsw_mac_read(table, i, key, &p, &seen) ||
	    vsw_mac_now(table, now_ns) - seen >= table->aging_ns)
		return -ENOENT;
	*port = p;
	return 0;
}

static void
vsw_mac_burst_chunk(struct vsw_mac_table *t, struct vsw_mac_req *reqs, unsigned int n,
		    uint64_t now_ns)
{
	uint32_t sb[VSW_MAC_BURST_MAX], db[VSW_MAC_BURST_MAX];
	uint64_t now = vsw_mac_now(t, now_ns), clk;
	unsigned int i;

	/* Chains of the whole burst first, their heads fetched meanwhile. */
	for (i = 0; i < n; i++) {
		sb[i] = vsw_mac_bucket(t, reqs[i].src_key);
		db[i] = vsw_mac_bucket(t, reqs[i].dst_key);
		__builtin_prefetch(&t->buckets[sb[i]]);
		__builtin_prefetch(&t->buckets[db[i]]);
	}
	/* The first entry of each chain next (most chains hold one entry). */
	for (i = 0; i < n; i++) {
		uint32_t hs = t->buckets[sb[i]], hd = t->buckets[db[i]];

		if (hs != VSW_MAC_NONE)
			__builtin_prefetch(&t->entries[hs]);
		if (hd != VSW_MAC_NONE)
			__builtin_prefetch(&t->entries[hd]);
	}
	/* Then each frame in order: its source learned before its destination is looked up,
	 * and before the next frame's, exactly as learn + lookup one frame at a time. */
	clk = VSW_MAC_LD(t->clock_ns);
	if (now - clk >= VSW_MAC_CLOCK_STEP_NS) {
		vsw_mac_clock_advance(t, now);
		clk = VSW_MAC_LD(t->clock_ns);
	}
	for (i = 0; i < n; i++) {
		struct vsw_mac_req *r = &reqs[i];
		uint64_t sk = r->src_key, dk = r->dst_key;

		if (sk) {
			if (__builtin_expect(vsw_mac_key_is_learnable(sk) &&
						     (sk & 0xffff) <= VSW_MAC_VLAN_MAX &&
						     r->in_port < t->max_ports,
					     1))
				vsw_mac_learn_key(t, sk, sb[i], r->in_port, clk);
			else
				__atomic_fetch_add(&t->stats.refused, 1, __ATOMIC_RELAXED);
		}
		r->out_port = VSW_MAC_PORT_NONE;
		if (dk && (dk & 0xffff) <= VSW_MAC_VLAN_MAX) {
			uint32_t e = vsw_mac_find_in(t, dk, db[i]);

			uint16_t port;
			uint64_t seen;

			if (e != VSW_MAC_NONE && vsw_mac_read(t, e, dk, &port, &seen) &&
			    now - seen < t->aging_ns)
				r->out_port = port;
		}
	}
}

void
vsw_mac_learn_lookup_burst(struct vsw_mac_table *table, struct vsw_mac_req *reqs, unsigned int n,
			   uint64_t now_ns)
{
	for (unsigned int i = 0; i < n; i += VSW_MAC_BURST_MAX)
		vsw_mac_burst_chunk(table, reqs + i,
				    n - i < VSW_MAC_BURST_MAX ? n - i : VSW_MAC_BURST_MAX, now_ns);
}

unsigned int
vsw_mac_age(struct vsw_mac_table *table, uint64_t now_ns)
{
	struct vsw_mac_table *t = table;
	unsigned int n = 0;

	vsw_mac_lock(t);
	vsw_mac_clock_advance(t, now_ns);
	/* Every expired entry is in the prefix of its port's list whose lru_ns is an aging
	 * time old (see the top of this file); the rest of that prefix was learned again
	 * since, less than VSW_MAC_REFRESH_NS after it was appended. */
	for (uint32_t p = 0; p < t->max_ports; p++) {
		uint32_t i = t->ports[p].head;

		while (i != VSW_MAC_NONE && t->clock_ns - t->entries[i].lru_ns >= t->aging_ns) {
			uint32_t next = t->entries[i].next;

			if (vsw_mac_expired(t, &t->entries[i], t->clock_ns)) {
				vsw_mac_remove(t, i);
				n++;
			}
			i = next;
		}
	}
	t->stats.aged += n;
	vsw_mac_unlock(t);
	return n;
}

unsigned int
vsw_mac_flush_port(struct vsw_mac_table *table, uint16_t port)
{
	unsigned int n = 0;

	if (port >= table->max_ports)
		return 0;
	vsw_mac_lock(table);
	while (table->ports[port].head != VSW_MAC_NONE) {
		vsw_mac_remove(table, table->ports[port].head);
		n++;
	}
	table->stats.flushed += n;
	vsw_mac_unlock(table);
	return n;
}

unsigned int
vsw_mac_flush_all(struct vsw_mac_table *table)
{
	unsigned int n;

	/* Only while no other worker uses the table: a reset rewrites every chain at once. */
	vsw_mac_lock(table);
	n = table->n_entries;
	vsw_mac_reset(table);
	table->stats.flushed += n;
	vsw_mac_unlock(table);
	return n;
}

int
vsw_mac_dump(const struct vsw_mac_table *table, uint64_t now_ns, vsw_mac_dump_fn *fn, void *arg)
{
	uint64_t now = vsw_mac_now(table, now_ns);

	for (uint32_t i = 0; i < table->max_entries; i++) {
		const struct vsw_mac_entry *e = &table->entries[i];
		struct vsw_mac_info info;
		int rc;

		if (!e->used || vsw_mac_expired(table, e, now))
			continue;
		vsw_mac_key_split(e->key, &info.mac, &info.vlan);
		info.port = e->port;
		info.age_ns = now - e->last_seen_ns;
		rc = fn(arg, &info);
		if (rc)
			return rc;
	}
	return 0;
}

unsigned int
vsw_mac_count(const struct vsw_mac_table *table)
{
	return table->n_entries;
}

unsigned int
vsw_mac_port_count(const struct vsw_mac_table *table, uint16_t port)
{
	return port < table->max_ports ? table->ports[port].n_entries : 0;
}

void
vsw_mac_get_stats(const struct vsw_mac_table *table, struct vsw_mac_stats *stats)
{
	*stats = table->stats;
	stats->n_entries = table->n_entries;
}
