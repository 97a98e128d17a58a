/* SPDX-License-Identifier: MIT */
/*
 * pkt.c - packet buffer pools (see pkt.h). A pool is one array of struct pkt, one
 * MAP_NORESERVE mapping holding every buffer back to back, and a LIFO stack of free packets.
 * An external pool has only the stack, a cache in front of its ops' backing store.
 */
#include "vswitch/pkt.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Buffers start on cache lines so headers of consecutive buffers never share one. */
#define PKT_BUF_ALIGN_BYTES 64

struct pkt_pool {
	struct pkt *pkts;	 /* all packets, n_pkts of them */
	struct pkt **free_stack; /* free_stack[0..n_free) are free; top is reused first */
	unsigned int n_pkts;
	unsigned int n_free;
	uint8_t *mem;	 /* the buffers */
	size_t mem_size; /* bytes mapped at mem */
	uint32_t buf_size;
	const struct pkt_pool_ext_ops *ext; /* external pool: backing store, else NULL */
	void *ext_arg;
	uint64_t alloc_fail;
	uint64_t double_free;
};

int
pkt_pool_create(unsigned int n_pkts, uint32_t data_size, struct pkt_pool **poolp)
{
	struct pkt_pool *pool;
	size_t stride;

	if (data_size == 0)
		data_size = PKT_DATA_MAX_BYTES;
	if (n_pkts == 0 || n_pkts > PKT_POOL_MAX_PKTS || data_size < PKT_DATA_MIN_BYTES ||
	    data_size > PKT_DATA_MAX_BYTES)
		return -EINVAL;
	stride = ((size_t)PKT_HEADROOM_BYTES + data_size + PKT_BUF_ALIGN_BYTES - 1) &
		 ~(size_t)(PKT_BUF_ALIGN_BYTES - 1);

	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	pool->pkts = calloc(n_pkts, sizeof(*pool->pkts));
	pool->free_stack = calloc(n_pkts, sizeof(*pool->free_stack));
	if (!pool->pkts || !pool->free_stack)
		goto err_free;
	pool->mem_size = stride * n_pkts;
	pool->mem = mmap(NULL, pool->mem_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (pool->mem == MAP_FAILED)
		goto err_free;

	pool->n_pkts = n_pkts;
	pool->buf_size = (uint32_t)stride;
	/* Stacked in reverse so the first allocations walk the buffers in address order. */
	for (unsigned int i = 0; i < n_pkts; i++) {
		struct pkt *p = &pool->pkts[i];

		p->buf = pool->mem + stride * i;
		p->buf_size = (uint32_t)stride;
		p->pool = pool;
		p->in_pool = 1;
		pool->free_stack[n_pkts - 1 - i] = p;
	}
	pool->n_free = n_pkts;
	*poolp = pool;
	return 0;

err_free:
	free(pool->free_stack);
	free(pool->pkts);
	free(pool);
	return -ENOMEM;
}

int
pkt_pool_create_ext(unsigned int cache_pkts, uint32_t buf_size, const struct pkt_pool_ext_ops *ops,
		    void *arg, struct pkt_pool **poolp)
{
	struct pkt_pool *pool;

	if (cache_pkts < 2 || cache_pkts > PKT_POOL_MAX_PKTS || !ops || !ops->get || !ops->put ||
	    buf_size < PKT_HEADROOM_BYTES + PKT_DATA_MIN_BYTES)
		return -EINVAL;
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	pool->free_stack = calloc(cache_pkts, sizeof(*pool->free_stack));
	if (!pool->free_stack) {
		free(pool);
		return -ENOMEM;
	}
	pool->n_pkts = cache_pkts;
	pool->buf_size = buf_size;
	pool->ext = ops;
	pool->ext_arg = arg;
	*poolp = pool;
	return 0;
}

const struct pkt_pool_ext_ops *
pkt_pool_ext_ops(const struct pkt_pool *pool)
{
	return pool->ext;
}

void *
pkt_pool_ext_arg(const struct pkt_pool *pool)
{
	return pool->ext_arg;
}

uint32_t
pkt_pool_buf_size(const struct pkt_pool *pool)
{
	return pool->buf_size;
}

/* External pool, bulk request larger than the stack holds: tops it up below the free ones. */
static void
pkt_pool_refill_more(struct pkt_pool *pool)
{
	unsigned int room = pool->n_pkts - pool->n_free, want = pool->n_pkts / 2, got;

	if (want > room)
		want = room;
	got = pool->ext->get(pool->ext_arg, pool->free_stack + pool->n_free, want);
	for (unsigned int i = pool->n_free; i < pool->n_free + got; i++) {
		pool->free_stack[i]->pool = pool;
		pool->free_stack[i]->in_pool = 1;
	}
	pool->n_free += got;
}

/* External pool, stack empty: takes half a stack from the backing store. */
static unsigned int
pkt_pool_refill(struct pkt_pool *pool)
{
	pkt_pool_refill_more(pool);
	return pool->n_free;
}

/* External pool, stack full: the coldest half (bottom of the stack) goes back. */
static void
pkt_pool_spill(struct pkt_pool *pool)
{
	unsigned int half = pool->n_free / 2;

	pool->ext->put(pool->ext_arg, pool->free_stack, half);
	memmove(pool->free_stack, pool->free_stack + half,
		(pool->n_free - half) * sizeof(*pool->free_stack));
	pool->n_free -= half;
}

void
pkt_pool_destroy(struct pkt_pool *pool)
{
	if (!pool)
		return;
	if (pool->ext) {
		if (pool->n_free)
			pool->ext->put(pool->ext_arg, pool->free_stack, pool->n_free);
		free(pool->free_stack);
		free(pool);
		return;
	}
	munmap(pool->mem, pool->mem_size);
	free(pool->free_stack);
	free(pool->pkts);
	free(pool);
}

void
pkt_pool_get_stats(const struct pkt_pool *pool, struct pkt_pool_stats *stats)
{
	stats->n_pkts = pool->n_pkts;
	stats->n_free = pool->n_free;
	stats->alloc_fail = pool->alloc_fail;
	stats->double_free = pool->double_free;
}

static inline void
pkt_reset(struct pkt *p)
{
	p->data_off = PKT_HEADROOM_BYTES;
	p->len = 0;
	p->in_port = 0;
	p->flags = 0;
	p->vlan_tci = 0;
	p->gso_size = 0;
	p->gso_type = PKT_GSO_NONE;
	p->timestamp_ns = 0;
	p->in_pool = 0;
}

struct pkt *
pkt_alloc(struct pkt_pool *pool)
{
	struct pkt *p;

	if (pool->n_free == 0 && (!pool->ext || pkt_pool_refill(pool) == 0)) {
		pool->alloc_fail++;
		return NULL;
	}
	p = pool->free_stack[--pool->n_free];
	pkt_reset(p);
	return p;
}

void
pkt_free(struct pkt *p)
{
	struct pkt_pool *pool;

	if (!p)
		return;
	pool = p->pool;
	/* A second free would push the packet twice and hand it to two owners later. */
	if (p->in_pool) {
		pool->double_free++;
		return;
	}
	p->in_pool = 1;
	if (pool->n_free == pool->n_pkts)
		pkt_pool_spill(pool); /* only an external pool can be full */
	pool->free_stack[pool->n_free++] = p;
}

unsigned int
pkt_alloc_bulk(struct pkt_pool *pool, struct pkt **pkts, unsigned int n)
{
	unsigned int got;

	if (pool->ext && pool->n_free < n)
		pkt_pool_refill_more(pool);
	got = n < pool->n_free ? n : pool->n_free;
	if (got < n)
		pool->alloc_fail++;
	for (unsigned int i = 0; i < got; i++) {
		struct pkt *p = pool->free_stack[--pool->n_free];

		pkt_reset(p);
		pkts[i] = p;
	}
	return got;
}

void
pkt_free_bulk(struct pkt *const *pkts, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		pkt_free(pkts[i]);
}

struct pkt *
pkt_copy(struct pkt_pool *pool, const struct pkt *src)
{
	uint32_t off = src->data_off < PKT_HEADROOM_BYTES ? src->data_off : PKT_HEADROOM_BYTES;
	struct pkt *p;

	/* All buffers of a pool have the same size: check before taking one. */
	if (src->len > pool->buf_size - off)
		return NULL;
	p = pkt_alloc(pool);
	if (!p)
		return NULL;
	p->data_off = off;
	p->len = src->len;
	p->in_port = src->in_port;
	p->flags = src->flags;
	p->vlan_tci = src->vlan_tci;
	p->gso_size = src->gso_size;
	p->gso_type = src->gso_type;
	p->timestamp_ns = src->timestamp_ns;
	memcpy(pkt_data(p), pkt_data(src), src->len);
	return p;
}

unsigned int
pkt_batch_alloc(struct pkt_pool *pool, struct pkt_batch *batch)
{
	unsigned int n = pkt_alloc_bulk(pool, &batch->pkts[batch->count], pkt_batch_room(batch));

	batch->count += n;
	return n;
}

void
pkt_batch_free(struct pkt_batch *batch)
{
	pkt_free_bulk(batch->pkts, batch->count);
	batch->count = 0;
}

uint64_t
pkt_batch_size(const struct pkt_batch *batch)
{
	uint64_t size = 0;

	for (unsigned int i = 0; i < batch->count; i++)
		size += batch->pkts[i]->len;
	return size;
}
