/* SPDX-License-Identifier: MIT */
/*
 * nb-fake-hv.h - a fake hypervisor under one vif's data path, for unit tests and fuzz targets
 * that drive nb_vif_guest_tx() directly (header only: the fuzz build links no test helpers).
 *
 * Contract
 * - struct nbf_hv is a struct nb_hv (netback/hv/hv.h) whose operations are served in memory:
 *   the TX and RX ring pages are two private pages "mapped" for refs NBF_REF_TX_RING and
 *   NBF_REF_RX_RING; data grants are refs 0..NBF_REFS-1, each with the GNTST_* status the
 *   test chooses in ref_status[] (refs beyond get GNTST_bad_gntref, offset + len beyond the
 *   page GNTST_bad_copy_arg, as Xen); a copy from data ref R at offset O yields the bytes
 *   nbf_byte(R, O + i), so every copied byte can be checked afterwards. Event channels are one
 *   eventfd; notify only counts.
 * - Every local destination of a grant copy must lie inside a packet buffer of the pool given
 *   to nbf_hv_add_pool(); anything else aborts at once (a write outside the buffers).
 * - Every copy segment is logged (up to NBF_LOG_MAX per nbf_log_reset()); nbf_check_pkt()
 *   verifies a frame the data path delivered against the log: its bytes are exactly the
 *   concatenation of successful copies, no gap, nothing beyond its length.
 * - struct nb_hv is private to hv.c; its two fields are mirrored here. nbf_hv_init() proves
 *   the mirror right through hv.c's own dispatch (nb_hv_name, nb_hv_xs_open) and fails if
 *   hv.c's layout has changed.
 * - Functions return 0 or -1 (with a reason in nbf_hv.why); single-threaded except where a
 *   test says otherwise.
 */
#ifndef NB_TEST_FAKE_HV_H
#define NB_TEST_FAKE_HV_H

#include "netback/nb-private.h"
#include "vswitch/pkt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* hv.c's private struct nb_hv, mirrored (checked by nbf_hv_init()). */
struct nb_hv {
	const struct nb_hv_ops *ops;
	void *impl;
};

#define NBF_REFS	64u
#define NBF_REF_TX_RING 1000u
#define NBF_REF_RX_RING 1001u
#define NBF_LOG_MAX	4096u
#define NBF_BUFS_MAX	256u

struct nbf_seg {
	uint32_t ref;
	uint16_t offset, len;
	uint8_t *dest;
	int16_t status;
};

struct nbf_hv {
	struct nb_hv hv;
	uint8_t *tx_page, *rx_page; /* 4 KiB each, page-aligned */
	int16_t ref_status[NBF_REFS];
	int efd;
	unsigned long copies, notifies;
	struct nbf_seg log[NBF_LOG_MAX];
	unsigned int n_log;
	uint8_t *buf_lo[NBF_BUFS_MAX], *buf_hi[NBF_BUFS_MAX];
	unsigned int n_bufs;
	void *xs_impl_seen;
	char why[160];
};

/* The byte at 'off' of data grant 'ref'. */
static inline uint8_t
nbf_byte(uint32_t ref, uint32_t off)
{
	return (uint8_t)(ref * 131u + off * 7u + (off >> 8) + 1u);
}

static inline int
nbf_fail(struct nbf_hv *f, const char *why)
{
	snprintf(f->why, sizeof(f->why), "%s", why);
	return -1;
}

static inline bool
nbf_dest_ok(const struct nbf_hv *f, const uint8_t *p, size_t len)
{
	for (unsigned int i = 0; i < f->n_bufs; i++)
		if (p >= f->buf_lo[i] && p + len <= f->buf_hi[i])
			return true;
	return false;
}

static inline int
nbf_op_grant_copy(void *impl, struct nb_hv_copy_seg *segs, unsigned int count)
{
	struct nbf_hv *f = impl;

	for (unsigned int i = 0; i < count; i++) {
		struct nb_hv_copy_seg *s = &segs[i];

		f->copies++;
		if (!(s->flags & GNTCOPY_source_gref)) {
			s->status = GNTST_okay; /* guest RX: nothing to check here */
			continue;
		}
		if (s->source.foreign.ref >= NBF_REFS)
			s->status = GNTST_bad_gntref;
		else if ((uint32_t)s->source.foreign.offset + s->len > NB_XEN_PAGE_SIZE)
			s->status = GNTST_bad_copy_arg;
		else
			s->status = f->ref_status[s->source.foreign.ref];
		if (s->status == GNTST_okay) {
			uint8_t *d = s->dest.virt;

			if (!nbf_dest_ok(f, d, s->len)) {
				fprintf(stderr,
					"nbf: grant copy of %u bytes to %p: not a packet buffer\n",
					s->len, (void *)d);
				abort();
			}
			for (unsigned int k = 0; k < s->len; k++)
				d[k] = nbf_byte(s->source.foreign.ref,
						s->source.foreign.offset + k);
		}
		if (f->n_log < NBF_LOG_MAX)
			f->log[f->n_log++] = (struct nbf_seg){
				.ref = s->source.foreign.ref,
				.offset = s->source.foreign.offset,
				.len = s->len,
				.dest = s->dest.virt,
				.status = s->status,
			};
	}
	return 0;
}

static inline int
nbf_op_map(void *impl, unsigned int domid, const uint32_t *refs, unsigned int count, bool readonly,
	   void **addrp)
{
	struct nbf_hv *f = impl;

	(void)domid;
	(void)readonly;
	if (count != 1)
		return -EINVAL;
	if (refs[0] == NBF_REF_TX_RING)
		*addrp = f->tx_page;
	else if (refs[0] == NBF_REF_RX_RING)
		*addrp = f->rx_page;
	else
		return -EINVAL;
	return 0;
}

static inline int
nbf_op_unmap(void *impl, void *addr, unsigned int count)
{
	(void)impl;
	(void)addr;
	(void)count;
	return 0;
}

static inline int
nbf_op_evtchn_open(void *impl, void **hp)
{
	*hp = impl;
	return 0;
}

static inline void
nbf_op_evtchn_close(void *h)
{
	(void)h;
}

static inline int
nbf_op_evtchn_fd(const void *h)
{
	return ((const struct nbf_hv *)h)->efd;
}

static inline int
nbf_op_evtchn_bind(void *h, unsigned int domid, uint32_t remote_port)
{
	(void)h;
	(void)domid;
	return (int)(remote_port ? remote_port : 1);
}

static inline int
nbf_op_evtchn_unbind(void *h, uint32_t port)
{
	(void)h;
	(void)port;
	return 0;
}

static inline int
nbf_op_evtchn_notify(void *h, uint32_t port)
{
	(void)port;
	((struct nbf_hv *)h)->notifies++;
	return 0;
}

static inline int
nbf_op_evtchn_pending(void *h)
{
	(void)h;
	return -EAGAIN;
}

static inline int
nbf_op_evtchn_unmask(void *h, uint32_t port)
{
	(void)h;
	(void)port;
	return 0;
}

static inline struct xs_handle *
nbf_op_xs_open(void *impl)
{
	((struct nbf_hv *)impl)->xs_impl_seen = impl;
	errno = ENOSYS;
	return NULL;
}

static const struct nb_hv_ops nbf_hv_ops = {
	.name = "nbf-fake",
	.grant_copy = nbf_op_grant_copy,
	.map = nbf_op_map,
	.unmap = nbf_op_unmap,
	.evtchn_open = nbf_op_evtchn_open,
	.evtchn_close = nbf_op_evtchn_close,
	.evtchn_fd = nbf_op_evtchn_fd,
	.evtchn_bind_interdomain = nbf_op_evtchn_bind,
	.evtchn_unbind = nbf_op_evtchn_unbind,
	.evtchn_notify = nbf_op_evtchn_notify,
	.evtchn_pending = nbf_op_evtchn_pending,
	.evtchn_unmask = nbf_op_evtchn_unmask,
	.xs_open = nbf_op_xs_open,
};

/* Allocates the ring pages and the eventfd, every data ref GNTST_okay. */
static inline int
nbf_hv_init(struct nbf_hv *f)
{
	memset(f, 0, sizeof(*f));
	f->hv.ops = &nbf_hv_ops;
	f->hv.impl = f;
	f->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->tx_page = aligned_alloc(NB_XEN_PAGE_SIZE, NB_XEN_PAGE_SIZE);
	f->rx_page = aligned_alloc(NB_XEN_PAGE_SIZE, NB_XEN_PAGE_SIZE);
	if (f->efd < 0 || !f->tx_page || !f->rx_page)
		return nbf_fail(f, "out of resources");
	memset(f->tx_page, 0, NB_XEN_PAGE_SIZE);
	memset(f->rx_page, 0, NB_XEN_PAGE_SIZE);
	SHARED_RING_INIT((struct netif_tx_sring *)f->tx_page);
	SHARED_RING_INIT((struct netif_rx_sring *)f->rx_page);
	for (unsigned int i = 0; i < NBF_REFS; i++)
		f->ref_status[i] = GNTST_okay;
	/* The mirrored struct nb_hv must dispatch exactly as hv.c's. */
	if (strcmp(nb_hv_name(&f->hv), nbf_hv_ops.name) != 0 || nb_hv_xs_open(&f->hv) != NULL ||
	    f->xs_impl_seen != f)
		return nbf_fail(f, "struct nb_hv in hv.c no longer matches tests/nb-fake-hv.h");
	return 0;
}

static inline void
nbf_hv_fini(struct nbf_hv *f)
{
	if (f->efd >= 0)
		close(f->efd);
	free(f->tx_page);
	free(f->rx_page);
	f->efd = -1;
	f->tx_page = f->rx_page = NULL;
}

/* Records the buffers of every packet of 'pool' ('n' packets, all free) as the only legal
 * grant-copy destinations. */
static inline int
nbf_hv_add_pool(struct nbf_hv *f, struct pkt_pool *pool, unsigned int n)
{
	struct pkt *pkts[NBF_BUFS_MAX];
	unsigned int got;

	if (n > NBF_BUFS_MAX - f->n_bufs)
		return nbf_fail(f, "too many buffers");
	got = pkt_alloc_bulk(pool, pkts, n);
	for (unsigned int i = 0; i < got; i++) {
		f->buf_lo[f->n_bufs] = pkts[i]->buf;
		f->buf_hi[f->n_bufs++] = pkts[i]->buf + pkts[i]->buf_size;
		pkt_free(pkts[i]);
	}
	return got == n ? 0 : nbf_fail(f, "pool smaller than announced");
}

/* A vif of domain 1 on this hypervisor, its rings mapped at the indices found in the ring
 * pages (as a restarted backend attaches) and its data path started. */
static inline int
nbf_vif_init(struct nbf_hv *f, struct nb_backend *be, struct nb_vif *vif)
{
	int err;

	memset(be, 0, sizeof(*be));
	memset(vif, 0, sizeof(*vif));
	be->cfg.hv = &f->hv;
	vif->be = be;
	vif->domid = 1;
	vif->fe.sg = true;
	vif->fe.rx_notify = true;
	atomic_init(&vif->disabled, false);
	atomic_init(&vif->disabled_reason, 0);
	atomic_init(&vif->stalled, false);
	atomic_init(&vif->rate_bytes, 0);
	atomic_init(&vif->rate_usec, 0);
	err = nb_vif_map_rings(vif, NBF_REF_TX_RING, NBF_REF_RX_RING, 1, 1);
	if (err)
		return err;
	nb_vif_dp_start(vif);
	return 0;
}

static inline void
nbf_vif_fini(struct nb_vif *vif)
{
	nb_vif_dp_stop(vif);
	nb_vif_unmap_rings(vif);
}

static inline void
nbf_log_reset(struct nbf_hv *f)
{
	f->n_log = 0;
}

/*
 * Checks a delivered frame against the copy log: the logged segments landing in it cover
 * [0, len) exactly, in order, each copied successfully, with the bytes its grant holds.
 */
static inline int
nbf_check_pkt(struct nbf_hv *f, const struct pkt *p)
{
	const uint8_t *d = pkt_data(p);
	uint32_t covered = 0;

	if (p->len < NB_ETH_HLEN || p->len > 65535u)
		return nbf_fail(f, "frame length outside 14..65535");
	if (p->gso_type != PKT_GSO_NONE && p->gso_size == 0)
		return nbf_fail(f, "GSO frame with MSS 0");
	if (f->n_log >= NBF_LOG_MAX)
		return 0; /* log overflowed: only the sizes can be checked */
	for (unsigned int i = 0; i < f->n_log; i++) {
		const struct nbf_seg *s = &f->log[i];

		if (s->dest < d || s->dest >= d + p->len)
			continue;
		if (s->dest != d + covered)
			return nbf_fail(f, "segments of a frame out of order or overlapping");
		if (s->status != GNTST_okay)
			return nbf_fail(f, "a frame with a failed copy was delivered");
		for (unsigned int k = 0; k < s->len; k++)
			if (s->dest[k] != nbf_byte(s->ref, s->offset + k))
				return nbf_fail(f, "frame bytes differ from the granted data");
		covered += s->len;
	}
	if (covered != p->len)
		return nbf_fail(f, "frame bytes not all copied from the guest");
	return 0;
}

#endif
