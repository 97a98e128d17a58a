/* SPDX-License-Identifier: MIT */
/*
 * mac-table.c - the learning MAC table (see mac-table.h). Entries live in one array and are
 * linked three ways by 32-bit indexes: into a hash chain (or the free list), into the LRU
 * list of their port (oldest at the head), and each port is linked into the list of ports
 * that own the same number of entries, so the biggest owner is always at hand.
 */
#include "vswitch/mac-table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define VSW_MAC_NONE	 UINT32_MAX
#define VSW_MAC_NS_PER_S 1000000000ull

struct vsw_mac_entry {
	uint64_t key;	       /* MAC << 16 | VLAN */
	uint64_t last_seen_ns; /* last learn */
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
	uint32_t bucket_mask;

	struct vsw_mac_port *ports;
	uint32_t max_ports;
	uint32_t *by_count; /* [n]: ports owning n entries, n = 1..max_entries */
	uint32_t max_count; /* largest n with a non-empty by_count[n], 0 if the table is empty */

	uint64_t aging_ns;
	uint64_t clock_ns; /* latest time seen */
	uint64_t k0, k1;   /* hash secret */
	struct vsw_mac_stats stats;
};

#define VSW_MAC_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define VSW_MAC_SIPROUND(v0, v1, v2, v3)                                                           \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = VSW_MAC_ROTL(v1, 13);                                                         \
		v1 ^= v0;                                                                          \
		v0 = VSW_MAC_ROTL(v0, 32);                                                         \
		v2 += v3;                                                                          \
		v3 = VSW_MAC_ROTL(v3, 16);                                                         \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = VSW_MAC_ROTL(v3, 21);                                                         \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = VSW_MAC_ROTL(v1, 17);                                                         \
		v1 ^= v2;                                                                          \
		v2 = VSW_MAC_ROTL(v2, 32);                                                         \
	} while (0)

/* SipHash-1-3 of the 8-byte message 'key'. */
static uint32_t
vsw_mac_hash(const struct vsw_mac_table *t, uint64_t key)
{
	uint64_t v0 = t->k0 ^ 0x736f6d6570736575ull;
	uint64_t v1 = t->k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = t->k0 ^ 0x6c7967656e657261ull;
	uint64_t v3 = t->k1 ^ 0x7465646279746573ull;
	const uint64_t last = 8ull << 56;

	v3 ^= key;
	VSW_MAC_SIPROUND(v0, v1, v2, v3);
	v0 ^= key;
	v3 ^= last;
	VSW_MAC_SIPROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	VSW_MAC_SIPROUND(v0, v1, v2, v3);
	VSW_MAC_SIPROUND(v0, v1, v2, v3);
	VSW_MAC_SIPROUND(v0, v1, v2, v3);
	return (uint32_t)(v0 ^ v1 ^ v2 ^ v3);
}

static uint64_t
vsw_mac_key(const struct ether_addr *mac, uint16_t vlan)
{
	uint64_t k = 0;

	for (int i = 0; i < 6; i++)
		k = k << 8 | mac->ether_addr_octet[i];
	return k << 16 | vlan;
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
	for (uint32_t i = 0; i <= t->bucket_mask; i++)
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
	uint32_t n_buckets = 1;
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
	while (n_buckets < 2 * max_entries)
		n_buckets <<= 1;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->entries = calloc(max_entries, sizeof(*t->entries));
	t->buckets = calloc(n_buckets, sizeof(*t->buckets));
	t->ports = calloc(max_ports, sizeof(*t->ports));
	t->by_count = calloc((size_t)max_entries + 1, sizeof(*t->by_count));
	if (!t->entries || !t->buckets || !t->ports || !t->by_count) {
		vsw_mac_table_destroy(t);
		return -ENOMEM;
	}
	t->max_entries = max_entries;
	t->bucket_mask = n_buckets - 1;
	t->max_ports = max_ports;
	t->aging_ns = (uint64_t)aging_s * VSW_MAC_NS_PER_S;
	t->k0 = secret[0];
	t->k1 = secret[1];
	vsw_mac_reset(t);
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
	free(table);
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

static uint32_t
vsw_mac_find(const struct vsw_mac_table *t, uint64_t key)
{
	uint32_t i = t->buckets[vsw_mac_hash(t, key) & t->bucket_mask];

	while (i != VSW_MAC_NONE && t->entries[i].key != key)
		i = t->entries[i].hnext;
	return i;
}

static void
vsw_mac_remove(struct vsw_mac_table *t, uint32_t i)
{
	struct vsw_mac_entry *e = &t->entries[i];
	uint32_t *link = &t->buckets[vsw_mac_hash(t, e->key) & t->bucket_mask];

	while (*link != i)
		link = &t->entries[*link].hnext;
	*link = e->hnext;
	vsw_mac_lru_unlink(t, i);
	vsw_mac_port_dec(t, e->port);
	e->used = false;
	e->hnext = t->free_head;
	t->free_head = i;
	t->n_entries--;
}

int
vsw_mac_learn(struct vsw_mac_table *table, const struct ether_addr *mac, uint16_t vlan,
	      uint16_t port, uint64_t now_ns)
{
	struct vsw_mac_table *t = table;
	struct vsw_mac_entry *e;
	uint64_t key;
	uint32_t i, *bucket;

	if (!vsw_mac_is_learnable(mac) || vlan > VSW_MAC_VLAN_MAX || port >= t->max_ports) {
		t->stats.refused++;
		return -EINVAL;
	}
	t->clock_ns = vsw_mac_now(t, now_ns);
	key = vsw_mac_key(mac, vlan);

	i = vsw_mac_find(t, key);
	if (i != VSW_MAC_NONE) {
		e = &t->entries[i];
		vsw_mac_lru_unlink(t, i);
		if (e->port != port) {
			vsw_mac_port_dec(t, e->port);
			e->port = port;
			vsw_mac_port_inc(t, port);
			t->stats.moved++;
		}
		vsw_mac_lru_append(t, i);
		e->last_seen_ns = t->clock_ns;
		return 0;
	}

	if (t->n_entries == t->max_entries) {
		uint32_t victim_port = t->by_count[t->max_count];

		vsw_mac_remove(t, t->ports[victim_port].head);
		t->stats.evicted++;
	}

	i = t->free_head;
	e = &t->entries[i];
	t->free_head = e->hnext;
	bucket = &t->buckets[vsw_mac_hash(t, key) & t->bucket_mask];
	e->key = key;
	e->last_seen_ns = t->clock_ns;
	e->port = port;
	e->used = true;
	e->hnext = *bucket;
	*bucket = i;
	vsw_mac_lru_append(t, i);
	vsw_mac_port_inc(t, port);
	t->n_entries++;
	t->stats.learned++;
	return 0;
}

int
vsw_mac_lookup(const struct vsw_mac_table *table, const struct ether_addr *mac, uint16_t vlan,
	       uint64_t now_ns, uint16_t *port)
{
	uint32_t i;

	if (vlan > VSW_MAC_VLAN_MAX)
		return -ENOENT;
	i = vsw_mac_find(table, vsw_mac_key(mac, vlan));
	if (i == VSW_MAC_NONE ||
	    vsw_mac_expired(table, &table->entries[i], vsw_mac_now(table, now_ns)))
		return -ENOENT;
	*port = table->entries[i].port;
	return 0;
}

unsigned int
vsw_mac_age(struct vsw_mac_table *table, uint64_t now_ns)
{
	struct vsw_mac_table *t = table;
	unsigned int n = 0;

	t->clock_ns = vsw_mac_now(t, now_ns);
	/* Each port's list is in learn order and time never runs backwards here, so the
	 * expired entries of a port are a prefix of its list. */
	for (uint32_t p = 0; p < t->max_ports; p++) {
		while (t->ports[p].head != VSW_MAC_NONE &&
		       vsw_mac_expired(t, &t->entries[t->ports[p].head], t->clock_ns)) {
			vsw_mac_remove(t, t->ports[p].head);
			n++;
		}
	}
	t->stats.aged += n;
	return n;
}

unsigned int
vsw_mac_flush_port(struct vsw_mac_table *table, uint16_t port)
{
	unsigned int n = 0;

	if (port >= table->max_ports)
		return 0;
	while (table->ports[port].head != VSW_MAC_NONE) {
		vsw_mac_remove(table, table->ports[port].head);
		n++;
	}
	table->stats.flushed += n;
	return n;
}

unsigned int
vsw_mac_flush_all(struct vsw_mac_table *table)
{
	unsigned int n = table->n_entries;

	vsw_mac_reset(table);
	table->stats.flushed += n;
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
