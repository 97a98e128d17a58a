/* SPDX-License-Identifier: MIT */
/*
 * pkt.h - packet buffers, per-worker buffer pools and packet batches.
 *
 * Contract:
 * - A struct pkt is one Ethernet frame in ONE contiguous buffer: PKT_HEADROOM_BYTES of
 *   headroom (room to push an encapsulation or VLAN tag without copying), then the frame,
 *   then tailroom. A default pool gives every buffer room for a 64 KiB frame, the largest a
 *   netif guest can send (65535 bytes, GSO). The frame is [pkt_data(), + len); change it only
 *   through pkt_push/pull/put/trim, which keep it inside the buffer.
 * - Why contiguous and not a chain of small segments: grant copy writes a guest's slots
 *   (a frame may use 18 or more) into any local range, so one destination range per
 *   frame costs nothing on the way in; every parser, checksum and software GSO pass sees one
 *   linear array with one bounds rule (off + n <= len), where a chain puts a segment edge
 *   inside hostile headers. The memory cost is address space, not RAM: a pool maps its
 *   buffers with MAP_NORESERVE, pages are committed only when written, and the free list is
 *   LIFO, so a worker keeps reusing the same few hot buffers and a 1500-byte frame touches
 *   one or two pages of its buffer. Worst case is bounded and known at setup:
 *   n_pkts * (headroom + data room). Pools for ports that never see GSO may ask for a
 *   smaller data room.
 * - Pools: pkt_pool_create() allocates everything; alloc/free are O(1) pushes and pops on a
 *   free stack, no malloc after create. A pool and its packets belong to ONE worker: alloc
 *   and free are not thread-safe. A packet that ends up on another worker is handed back to
 *   its owner (p->pool says which) through that worker's message queue and freed there;
 *   freeing it from another thread is a data race.
 * - External pools: pkt_pool_create_ext() makes a pool whose buffers (and struct pkts) live
 *   elsewhere, e.g. in DPDK mbufs (dpdk/: the struct pkt sits in the mbuf's private area and
 *   buf is the mbuf's buffer). Its free stack is a bounded LIFO cache in front of the
 *   backing store: alloc pops, refilling half the stack with ops->get() when it is empty;
 *   free pushes, first handing the coldest half back with ops->put() when it is full. A
 *   packet in the backing store keeps in_pool = 1, so a double free is still caught; the
 *   owner of the backing store sets buf/buf_size once and clears in_pool when a device hands
 *   it a packet (then 'pool' must be set to the receiving worker's pool). Same threading
 *   rule: alloc/free on the owning worker only (the backing store itself may be shared).
 * - Ownership: whoever holds the pointer owns the packet and must pass it on or free it
 *   exactly once. A second free of the same packet is detected, ignored and counted
 *   (double_free), so a bug cannot corrupt the free stack.
 * - A struct pkt_batch carries up to PKT_BATCH_MAX packets from rx to tx; the batch does
 *   not own memory of its own, the packets in it are owned by the batch's holder.
 * - Functions return 0 or -errno; alloc returns NULL when the pool is empty; bulk functions
 *   return counts.
 */
#ifndef VSW_PKT_H
#define VSW_PKT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_HEADROOM_BYTES 128
/* Data room of a default pool: the largest netif frame (65535) rounded up. */
#define PKT_DATA_MAX_BYTES 65536
/* Smallest data room a pool may ask for: a minimum Ethernet frame. */
#define PKT_DATA_MIN_BYTES 64
#define PKT_POOL_MAX_PKTS  (1u << 20)
#define PKT_BATCH_MAX	   32

/* Offload and tag flags in pkt.flags. */
#define PKT_F_CSUM_BLANK     0x1 /* L4 checksum not filled in (netif csum_blank) */
#define PKT_F_DATA_VALIDATED 0x2 /* checksum already verified (netif data_validated) */
#define PKT_F_VLAN	     0x4 /* vlan_tci holds a tag that is not in the frame bytes */

enum pkt_gso_type {
	PKT_GSO_NONE = 0,
	PKT_GSO_TCPV4 = 1,
	PKT_GSO_TCPV6 = 2,
};

struct pkt_pool;

struct pkt {
	/* Frame and metadata: written by the packet's current owner; reset by alloc. */
	uint32_t data_off;     /* frame start, bytes from buf (headroom = data_off) */
	uint32_t len;	       /* frame length in bytes */
	uint16_t in_port;      /* index of the ingress port (set by the port's rx_burst) */
	uint16_t flags;	       /* PKT_F_* */
	uint16_t vlan_tci;     /* 802.1Q TCI, meaningful when PKT_F_VLAN is set */
	uint16_t gso_size;     /* MSS of a GSO frame, 0 if not GSO */
	uint8_t gso_type;      /* enum pkt_gso_type */
	uint64_t timestamp_ns; /* receive time on the owner's clock, 0 if not taken */

	/* Written by the pool only. */
	uint8_t in_pool;       /* 1 while on the free stack: catches double frees */
	uint32_t buf_size;     /* headroom + data room */
	uint8_t *buf;	       /* start of the buffer (start of the headroom) */
	struct pkt_pool *pool; /* owner of the buffer */
};

struct pkt_batch {
	unsigned int count; /* packets in pkts[0..count) */
	struct pkt *pkts[PKT_BATCH_MAX];
};

struct pkt_pool_stats {
	unsigned int n_pkts;  /* buffers in the pool (external pool: size of its free stack) */
	unsigned int n_free;  /* buffers on the free stack now */
	uint64_t alloc_fail;  /* pkt_alloc/bulk requests not met because the pool was empty */
	uint64_t double_free; /* frees of a packet already in the pool (ignored) */
};

/*
 * Creates a pool of 'n_pkts' buffers (1..PKT_POOL_MAX_PKTS), each with PKT_HEADROOM_BYTES
 * of headroom and a data room of at least 'data_size' bytes (PKT_DATA_MIN_BYTES..
 * PKT_DATA_MAX_BYTES; 0 means PKT_DATA_MAX_BYTES). Returns 0 and the pool in '*poolp',
 * -EINVAL for bad arguments, -ENOMEM.
 */
int pkt_pool_create(unsigned int n_pkts, uint32_t data_size, struct pkt_pool **poolp);

/* Backing store of an external pool (see the contract). Both are called by the pool's owner
 * worker, with packets whose buf/buf_size are valid. get() takes up to 'n' packets out of
 * the store into 'pkts' and returns how many (in_pool stays 1, the pool resets the rest);
 * put() returns 'n' packets to it (in_pool is 1). */
struct pkt_pool_ext_ops {
	unsigned int (*get)(void *arg, struct pkt **pkts, unsigned int n);
	void (*put)(void *arg, struct pkt *const *pkts, unsigned int n);
};

/*
 * Creates an external pool: a free stack of 'cache_pkts' entries (2..PKT_POOL_MAX_PKTS) in
 * front of 'ops'/'arg'; every buffer is 'buf_size' bytes (headroom included, at least
 * PKT_HEADROOM_BYTES + PKT_DATA_MIN_BYTES). Returns 0 and the pool in '*poolp', -EINVAL,
 * -ENOMEM. pkt_pool_destroy() puts the cached packets back with ops->put().
 */
int pkt_pool_create_ext(unsigned int cache_pkts, uint32_t buf_size,
			const struct pkt_pool_ext_ops *ops, void *arg, struct pkt_pool **poolp);

/* The ops of an external pool (NULL for a pool of its own buffers) and their argument. */
const struct pkt_pool_ext_ops *pkt_pool_ext_ops(const struct pkt_pool *pool);
void *pkt_pool_ext_arg(const struct pkt_pool *pool);

/* Size in bytes of every buffer of 'pool' (headroom + data room). */
uint32_t pkt_pool_buf_size(const struct pkt_pool *pool);

/* Frees the pool and all its buffers; every packet must have been freed first. NULL ok. */
void pkt_pool_destroy(struct pkt_pool *pool);

/* Fills '*stats'. */
void pkt_pool_get_stats(const struct pkt_pool *pool, struct pkt_pool_stats *stats);

/* Takes one packet, metadata reset and an empty frame at full headroom; NULL if empty. */
struct pkt *pkt_alloc(struct pkt_pool *pool);

/* Returns 'p' to its pool. NULL is ignored; a double free is ignored and counted. */
void pkt_free(struct pkt *p);

/* Takes up to 'n' packets into 'pkts'; returns how many (fewer only if the pool ran dry). */
unsigned int pkt_alloc_bulk(struct pkt_pool *pool, struct pkt **pkts, unsigned int n);

/* Frees 'n' packets, each to its own pool; NULL entries are ignored. */
void pkt_free_bulk(struct pkt *const *pkts, unsigned int n);

/*
 * Allocates a packet from 'pool' holding a copy of 'src': its frame and metadata (except
 * in_pool/buf/pool). Returns NULL if 'pool' is empty or its buffers cannot hold the frame.
 */
struct pkt *pkt_copy(struct pkt_pool *pool, const struct pkt *src);

/* Fills the free room of 'batch' from 'pool'; returns the number of packets added. */
unsigned int pkt_batch_alloc(struct pkt_pool *pool, struct pkt_batch *batch);

/* Frees every packet of 'batch' and empties it. */
void pkt_batch_free(struct pkt_batch *batch);

/* Sum of the frame lengths in 'batch', in bytes. */
uint64_t pkt_batch_size(const struct pkt_batch *batch);

static inline uint8_t *
pkt_data(const struct pkt *p)
{
	return p->buf + p->data_off;
}

static inline uint32_t
pkt_headroom(const struct pkt *p)
{
	return p->data_off;
}

static inline uint32_t
pkt_tailroom(const struct pkt *p)
{
	return p->buf_size - p->data_off - p->len;
}

/* Prepends 'n' bytes; returns the new frame start, or NULL (unchanged) if headroom is short. */
static inline uint8_t *
pkt_push(struct pkt *p, uint32_t n)
{
	if (n > p->data_off)
		return NULL;
	p->data_off -= n;
	p->len += n;
	return pkt_data(p);
}

/* Strips 'n' bytes from the front; returns the new frame start, or NULL if len < 'n'. */
static inline uint8_t *
pkt_pull(struct pkt *p, uint32_t n)
{
	if (n > p->len)
		return NULL;
	p->data_off += n;
	p->len -= n;
	return pkt_data(p);
}

/* Appends 'n' bytes; returns where they start, or NULL (unchanged) if tailroom is short. */
static inline uint8_t *
pkt_put(struct pkt *p, uint32_t n)
{
	uint8_t *tail;

	if (n > pkt_tailroom(p))
		return NULL;
	tail = pkt_data(p) + p->len;
	p->len += n;
	return tail;
}

/* Cuts the frame to 'len' bytes; -EINVAL if it is shorter than that. */
static inline int
pkt_trim(struct pkt *p, uint32_t len)
{
	if (len > p->len)
		return -EINVAL;
	p->len = len;
	return 0;
}

static inline void
pkt_batch_init(struct pkt_batch *batch)
{
	batch->count = 0;
}

static inline unsigned int
pkt_batch_room(const struct pkt_batch *batch)
{
	return batch->count < PKT_BATCH_MAX ? PKT_BATCH_MAX - batch->count : 0;
}

static inline bool
pkt_batch_is_full(const struct pkt_batch *batch)
{
	return batch->count >= PKT_BATCH_MAX;
}

/* Appends 'p'; -ENOSPC if the batch is full (then 'p' stays with the caller). */
static inline int
pkt_batch_add(struct pkt_batch *batch, struct pkt *p)
{
	if (batch->count >= PKT_BATCH_MAX)
		return -ENOSPC;
	batch->pkts[batch->count++] = p;
	return 0;
}

#endif
