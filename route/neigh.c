/* SPDX-License-Identifier: MIT */
/*
 * neigh.c - the neighbour table: a fixed array of entries, chained hash buckets by index and
 * a free list, all allocated at creation (see neigh.h).
 */
#include "route/neigh.h"

#include "route/fib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct fib_neigh_entry {
	struct fib_neigh_info info;
	struct pkt *queue[FIB_NEIGH_QUEUE_MAX];
	uint64_t next_probe_ns;
	int32_t next; /* bucket chain or free list, -1 ends */
	bool used;
};

struct fib_neigh {
	struct fib_neigh_cfg cfg;
	unsigned int n_entries;
	unsigned int bucket_mask;
	int32_t free_head;
	int32_t *buckets;
	struct fib_neigh_entry *entries;
};

/* Addresses come from hostile guests, but a chain is bounded by the table size and entries
 * are only made for configured or solicited addresses. */
static uint32_t
neigh_hash(int family, const uint8_t *addr, uint16_t port)
{
	return fib_hash_addr((uint64_t)(uint32_t)family << 40 | (uint64_t)port << 16, family, addr);
}

static bool
neigh_key_eq(const struct fib_neigh_info *n, int family, const uint8_t *addr, uint16_t port)
{
	return n->family == family && n->port == port && fib_addr_eq(family, n->addr, addr);
}

int
fib_neigh_create(const struct fib_neigh_cfg *cfg, struct fib_neigh **tblp)
{
	struct fib_neigh_cfg c = { 1024, FIB_NEIGH_RETRIES, FIB_NEIGH_RETRANS_NS,
				   FIB_NEIGH_REACHABLE_NS };
	struct fib_neigh *t;
	unsigned int nb = 1;

	if (cfg)
		c = *cfg;
	if (c.max_entries < 1 || c.max_entries > FIB_NEIGH_MAX_LIMIT || c.retries < 1 ||
	    !c.retrans_ns || !c.reachable_ns)
		return -EINVAL;
	while (nb < c.max_entries)
		nb <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->buckets = malloc(nb * sizeof(*t->buckets));
	t->entries = calloc(c.max_entries, sizeof(*t->entries));
	if (!t->buckets || !t->entries) {
		free(t->buckets);
		free(t->entries);
		free(t);
		return -ENOMEM;
	}
	t->cfg = c;
	t->bucket_mask = nb - 1;
	for (unsigned int i = 0; i < nb; i++)
		t->buckets[i] = -1;
	for (unsigned int i = 0; i < c.max_entries; i++)
		t->entries[i].next = i + 1 < c.max_entries ? (int32_t)(i + 1) : -1;
	t->free_head = 0;
	*tblp = t;
	return 0;
}

static void
neigh_drop_queue(struct fib_neigh_entry *e, fib_neigh_drop_fn *drop, void *arg)
{
	for (unsigned int i = 0; i < e->info.n_queued; i++) {
		if (drop)
			drop(arg, &e->info, e->queue[i]);
		else
			pkt_free(e->queue[i]);
		e->queue[i] = NULL;
	}
	e->info.n_queued = 0;
}

void
fib_neigh_destroy(struct fib_neigh *tbl, fib_neigh_drop_fn *drop, void *arg)
{
	if (!tbl)
		return;
	for (unsigned int i = 0; i < tbl->cfg.max_entries; i++)
		if (tbl->entries[i].used)
			neigh_drop_queue(&tbl->entries[i], drop, arg);
	free(tbl->buckets);
	free(tbl->entries);
	free(tbl);
}

static struct fib_neigh_entry *
neigh_find(const struct fib_neigh *tbl, int family, const uint8_t *addr, uint16_t port)
{
	int32_t i = tbl->buckets[neigh_hash(family, addr, port) & tbl->bucket_mask];

	while (i >= 0) {
		struct fib_neigh_entry *e = &tbl->entries[i];

		if (neigh_key_eq(&e->info, family, addr, port))
			return e;
		i = e->next;
	}
	return NULL;
}

static struct fib_neigh_entry *
neigh_new(struct fib_neigh *tbl, int family, const uint8_t *addr, uint16_t port)
{
	struct fib_neigh_entry *e;
	uint32_t b;

	if (tbl->free_head < 0)
		return NULL;
	e = &tbl->entries[tbl->free_head];
	tbl->free_head = e->next;
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->info.family = family;
	memcpy(e->info.addr, addr, family == AF_INET ? 4 : 16);
	e->info.port = port;
	b = neigh_hash(family, addr, port) & tbl->bucket_mask;
	e->next = tbl->buckets[b];
	tbl->buckets[b] = (int32_t)(e - tbl->entries);
	tbl->n_entries++;
	return e;
}

static void
neigh_delete(struct fib_neigh *tbl, struct fib_neigh_entry *e, fib_neigh_drop_fn *drop, void *arg)
{
	uint32_t b = neigh_hash(e->info.family, e->info.addr, e->info.port) & tbl->bucket_mask;
	int32_t idx = (int32_t)(e - tbl->entries);
	int32_t *link = &tbl->buckets[b];

	neigh_drop_queue(e, drop, arg);
	while (*link >= 0 && *link != idx)
		link = &tbl->entries[*link].next;
	if (*link == idx)
		*link = e->next;
	e->used = false;
	e->next = tbl->free_head;
	tbl->free_head = idx;
	tbl->n_entries--;
}

int
fib_neigh_resolve(struct fib_neigh *tbl, int family, const uint8_t *addr, uint16_t port,
		  struct pkt *p, uint64_t now_ns, uint8_t *mac, bool *solicit)
{
	struct fib_neigh_entry *e = neigh_find(tbl, family, addr, port);

	*solicit = false;
	if (e && e->info.state == FIB_NEIGH_REACHABLE) {
		memcpy(mac, e->info.mac, 6);
		return 0;
	}
	if (!e) {
		e = neigh_new(tbl, family, addr, port);
		if (!e)
			return -ENOSPC;
		e->info.state = FIB_NEIGH_INCOMPLETE;
		e->info.updated_ns = now_ns;
		e->info.probes = 1;
		e->next_probe_ns = now_ns + tbl->cfg.retrans_ns;
		*solicit = true;
	}
	if (!p)
		return -EAGAIN;
	if (e->info.n_queued >= FIB_NEIGH_QUEUE_MAX)
		return -ENOBUFS;
	e->queue[e->info.n_queued++] = p;
	return -EAGAIN;
}

int
fib_neigh_update(struct fib_neigh *tbl, int family, const uint8_t *addr, uint16_t port,
		 const uint8_t *mac, uint64_t now_ns, bool create, struct pkt **out)
{
	struct fib_neigh_entry *e = neigh_find(tbl, family, addr, port);
	unsigned int n;

	if (!e) {
		if (!create)
			return -ENOENT;
		e = neigh_new(tbl, family, addr, port);
		if (!e)
			return -ENOSPC;
	}
	memcpy(e->info.mac, mac, 6);
	e->info.state = FIB_NEIGH_REACHABLE;
	e->info.updated_ns = now_ns;
	e->info.probes = 0;
	n = e->info.n_queued;
	for (unsigned int i = 0; i < n; i++) {
		out[i] = e->queue[i];
		e->queue[i] = NULL;
	}
	e->info.n_queued = 0;
	return (int)n;
}

bool
fib_neigh_fresh(const struct fib_neigh *tbl, int family, const uint8_t *addr, uint16_t port,
		const uint8_t *mac, uint64_t now_ns, uint64_t max_age_ns)
{
	const struct fib_neigh_entry *e = neigh_find(tbl, family, addr, port);

	return e && e->info.state == FIB_NEIGH_REACHABLE && !memcmp(e->info.mac, mac, 6) &&
	       now_ns - e->info.updated_ns < max_age_ns;
}

int
fib_neigh_get(const struct fib_neigh *tbl, int family, const uint8_t *addr, uint16_t port,
	      struct fib_neigh_info *info)
{
	const struct fib_neigh_entry *e = neigh_find(tbl, family, addr, port);

	if (!e)
		return -ENOENT;
	*info = e->info;
	return 0;
}

unsigned int
fib_neigh_run(struct fib_neigh *tbl, uint64_t now_ns,
	      void (*solicit)(void *arg, const struct fib_neigh_info *n), fib_neigh_drop_fn *drop,
	      void *arg)
{
	unsigned int deleted = 0;

	for (unsigned int i = 0; i < tbl->cfg.max_entries; i++) {
		struct fib_neigh_entry *e = &tbl->entries[i];

		if (!e->used)
			continue;
		if (e->info.state == FIB_NEIGH_REACHABLE) {
			if (now_ns - e->info.updated_ns >= tbl->cfg.reachable_ns) {
				neigh_delete(tbl, e, drop, arg);
				deleted++;
			}
			continue;
		}
		if (now_ns < e->next_probe_ns)
			continue;
		if (e->info.probes >= tbl->cfg.retries) {
			neigh_delete(tbl, e, drop, arg);
			deleted++;
			continue;
		}
		/* Without a way to send (solicit NULL) the probe slot is still used up, so an
		 * unanswered resolution ends within retries * retrans whatever the traffic. */
		e->info.probes++;
		e->next_probe_ns = now_ns + tbl->cfg.retrans_ns;
		if (solicit)
			solicit(arg, &e->info);
	}
	return deleted;
}

unsigned int
fib_neigh_flush_port(struct fib_neigh *tbl, uint16_t port, fib_neigh_drop_fn *drop, void *arg)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < tbl->cfg.max_entries; i++) {
		if (tbl->entries[i].used && tbl->entries[i].info.port == port) {
			neigh_delete(tbl, &tbl->entries[i], drop, arg);
			n++;
		}
	}
	return n;
}

unsigned int
fib_neigh_dump(const struct fib_neigh *tbl, struct fib_neigh_info *infos, unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < tbl->cfg.max_entries && n < max; i++)
		if (tbl->entries[i].used)
			infos[n++] = tbl->entries[i].info;
	return n;
}

unsigned int
fib_neigh_count(const struct fib_neigh *tbl)
{
	return tbl->n_entries;
}
