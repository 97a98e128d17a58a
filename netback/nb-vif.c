/* SPDX-License-Identifier: MIT */
/*
 * nb-vif.c - a vif's data path: mapping its rings and binding its event channels (control
 * thread), and moving packets between the guest's rings and switch packet buffers (owning
 * worker): guest TX = requests parsed by nb-txreq.c, grant-copied into buffers, answered;
 * guest RX = a bounded backlog grant-copied into the buffers the guest posted, one response
 * per request in the request's slot, one notify per batch (fact sheet §4.1-4.2, §10).
 */
#include "netback/nb-private.h"
#include "vswitch/csum.h"
#include "vswitch/pkt.h"
#include "vswitch/port.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t
nb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t
nb_stat_get(_Atomic uint64_t *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

void
nb_vif_get_stats(const struct nb_vif *vif, struct nb_vif_stats *st)
{
	struct nb_vif_astats *a = (struct nb_vif_astats *)&vif->stats;
	unsigned int i;

	memset(st, 0, sizeof(*st));
	st->tx_packets = nb_stat_get(&a->tx_packets);
	st->tx_bytes = nb_stat_get(&a->tx_bytes);
	st->rx_packets = nb_stat_get(&a->rx_packets);
	st->rx_bytes = nb_stat_get(&a->rx_bytes);
	st->tx_errors = nb_stat_get(&a->tx_errors);
	st->tx_drop_nobuf = nb_stat_get(&a->tx_drop_nobuf);
	st->tx_grant_errors = nb_stat_get(&a->tx_grant_errors);
	st->tx_mcast_refused = nb_stat_get(&a->tx_mcast_refused);
	st->tx_gso = nb_stat_get(&a->tx_gso);
	st->rx_gso = nb_stat_get(&a->rx_gso);
	st->rx_drop_backlog = nb_stat_get(&a->rx_drop_backlog);
	st->rx_drop_disconnected = nb_stat_get(&a->rx_drop_disconnected);
	st->rx_drop_too_big = nb_stat_get(&a->rx_drop_too_big);
	st->rx_grant_errors = nb_stat_get(&a->rx_grant_errors);
	st->tx_throttled = nb_stat_get(&a->tx_throttled);
	st->rx_drop_expired = nb_stat_get(&a->rx_drop_expired);
	st->rx_drop_stalled = nb_stat_get(&a->rx_drop_stalled);
	st->rx_stalls = nb_stat_get(&a->rx_stalls);
	st->ctrl_requests = nb_stat_get(&a->ctrl_requests);
	st->rx_drop_mcast = nb_stat_get(&a->rx_drop_mcast);
	st->rx_hash = nb_stat_get(&a->rx_hash);
	st->notifies = nb_stat_get(&a->notifies);
	st->events = nb_stat_get(&a->events);
	for (i = 0;
	     i < NB_TX_N_VERDICTS && i < sizeof(st->tx_verdicts) / sizeof(st->tx_verdicts[0]); i++)
		st->tx_verdicts[i] = nb_stat_get(&a->tx_verdicts[i]);
	/* Queues change only on the control thread (connect/disconnect), the caller's. */
	st->n_queues = vif->n_queues;
	for (i = 0; i < vif->n_queues && i < 8; i++) {
		st->queue_tx[i] = nb_stat_get(&vif->queues[i]->tx_packets);
		st->queue_rx[i] = nb_stat_get(&vif->queues[i]->rx_packets);
	}
}

/* Maps queue 'q''s rings at the indices the frontend left and binds its channels. */
static int
nb_queue_map(struct nb_vif *vif, struct nb_queue *q, const struct nb_queue_keys *k)
{
	struct nb_hv *hv = vif->be->cfg.hv;
	uint32_t tx_ref = k->tx_ref, rx_ref = k->rx_ref;
	int port, err;

	err = nb_hv_map(hv, vif->domid, &tx_ref, 1, false, &q->tx_page);
	if (err)
		return err;
	err = nb_hv_map(hv, vif->domid, &rx_ref, 1, false, &q->rx_page);
	if (err)
		return err;
	/* Attach at the indices the frontend left (0 on a fresh ring): a restarted backend
	 * resumes where the last one stopped, as Linux netback's unbind/bind does. */
	BACK_RING_ATTACH(&q->tx, (struct netif_tx_sring *)q->tx_page,
			 NB_READ_ONCE(((struct netif_tx_sring *)q->tx_page)->rsp_prod),
			 NB_XEN_PAGE_SIZE);
	BACK_RING_ATTACH(&q->rx, (struct netif_rx_sring *)q->rx_page,
			 NB_READ_ONCE(((struct netif_rx_sring *)q->rx_page)->rsp_prod),
			 NB_XEN_PAGE_SIZE);
	if (NB_READ_ONCE(q->tx.sring->req_prod) - q->tx.rsp_prod_pvt > RING_SIZE(&q->tx) ||
	    NB_READ_ONCE(q->rx.sring->req_prod) - q->rx.rsp_prod_pvt > RING_SIZE(&q->rx))
		return -EPROTO;
	port = nb_hv_evtchn_bind_interdomain(vif->evtchn, vif->domid, k->tx_evtchn);
	if (port < 0)
		return port;
	q->tx_port = port;
	if (k->rx_evtchn != k->tx_evtchn) {
		port = nb_hv_evtchn_bind_interdomain(vif->evtchn, vif->domid, k->rx_evtchn);
		if (port < 0)
			return port;
	}
	q->rx_port = port;
	q->stalled = false;
	q->stall_since_ns = 0;
	atomic_store(&q->tx_packets, 0);
	atomic_store(&q->rx_packets, 0);
	q->bl_head = q->bl_tail = 0;
	q->bl_bytes = 0;
	q->rx_req_needed = 0;
	return 0;
}

int
nb_vif_map_queues(struct nb_vif *vif, unsigned int n, const struct nb_queue_keys *keys)
{
	struct nb_hv *hv = vif->be->cfg.hv;
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int i;
	int err;

	if (n < 1 || n > NB_QUEUES_MAX)
		return -EINVAL;
	vif->evtchn = NULL;
	vif->timer_fd = vif->wait_ep = -1;
	vif->ctrl_page = NULL;
	vif->n_queues = 0;
	for (i = 0; i < n; i++) {
		struct nb_queue *q = i ? calloc(1, sizeof(*q)) : &vif->q;

		if (!q) {
			err = -ENOMEM;
			goto fail;
		}
		q->id = i;
		q->tx_page = q->rx_page = NULL;
		q->tx_port = q->rx_port = -1;
		vif->queues[vif->n_queues++] = q;
	}
	err = nb_hv_evtchn_open(hv, &vif->evtchn);
	if (err)
		goto fail;
	for (i = 0; i < n; i++) {
		err = nb_queue_map(vif, vif->queues[i], &keys[i]);
		if (err)
			goto fail;
	}
	/* The worker sleeps on one fd per vif: the event channels and the data-path timer. */
	vif->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	vif->wait_ep = epoll_create1(EPOLL_CLOEXEC);
	if (vif->timer_fd < 0 || vif->wait_ep < 0 ||
	    epoll_ctl(vif->wait_ep, EPOLL_CTL_ADD, nb_hv_evtchn_fd(vif->evtchn), &ev) < 0 ||
	    epoll_ctl(vif->wait_ep, EPOLL_CTL_ADD, vif->timer_fd, &ev) < 0) {
		err = -errno;
		goto fail;
	}
	vif->timer_at_ns = 0;
	memset(&vif->hash, 0, sizeof(vif->hash));
	vif->drain_ns = (uint64_t)(vif->be->cfg.rx_drain_ms ? vif->be->cfg.rx_drain_ms
				   : vif->fe.rx_notify	    ? NB_RX_DRAIN_MS
							    : NB_RX_DRAIN_NO_NOTIFY_MS) *
			1000000u;
	vif->stall_ns =
		(uint64_t)(vif->be->cfg.rx_stall_ms ? vif->be->cfg.rx_stall_ms : NB_RX_STALL_MS) *
		1000000u;
	vif->credit = 0;
	vif->credit_next_ns = 0;
	vif->throttled = false;
	vif->tx_rr = 0;
	atomic_store(&vif->stalled, false);
	return 0;
fail:
	nb_vif_unmap_rings(vif);
	return err;
}

int
nb_vif_map_rings(struct nb_vif *vif, uint32_t tx_ref, uint32_t rx_ref, uint32_t tx_evtchn,
		 uint32_t rx_evtchn)
{
	const struct nb_queue_keys k = { tx_ref, rx_ref, tx_evtchn, rx_evtchn };

	return nb_vif_map_queues(vif, 1, &k);
}

int
nb_vif_map_ctrl(struct nb_vif *vif, uint32_t ref, uint32_t evtchn)
{
	struct nb_hv *hv = vif->be->cfg.hv;
	int err, port;

	err = nb_hv_map(hv, vif->domid, &ref, 1, false, &vif->ctrl_page);
	if (err) {
		vif->ctrl_page = NULL;
		return err;
	}
	BACK_RING_ATTACH(&vif->ctrl, (struct xen_netif_ctrl_sring *)vif->ctrl_page,
			 NB_READ_ONCE(((struct xen_netif_ctrl_sring *)vif->ctrl_page)->rsp_prod),
			 NB_XEN_PAGE_SIZE);
	port = nb_hv_evtchn_bind_interdomain(vif->evtchn, vif->domid, evtchn);
	if (port < 0) {
		nb_hv_unmap(hv, vif->ctrl_page, 1);
		vif->ctrl_page = NULL;
		return port;
	}
	vif->ctrl_port = port;
	return 0;
}

/* Grant copy of the start of a guest page, for control-ring keys and tables (worker). */
static int
nb_ctrl_copy(void *arg, uint32_t gref, void *dst, uint32_t len)
{
	struct nb_vif *vif = arg;
	struct nb_hv_copy_seg seg = {
		.source.foreign = { .ref = gref, .offset = 0, .domid = (uint16_t)vif->domid },
		.dest.virt = dst,
		.len = (uint16_t)len,
		.flags = GNTCOPY_source_gref,
		.status = GNTST_general_error,
	};

	if (len > NB_XEN_PAGE_SIZE)
		return -EINVAL;
	if (nb_hv_grant_copy(vif->be->cfg.hv, &seg, 1) || seg.status != GNTST_okay)
		return -EPERM;
	return 0;
}

/* Answers the control ring's requests (owning worker). */
static void
nb_vif_ctrl_poll(struct nb_vif *vif)
{
	bool notify;
	int n;

	if (!vif->ctrl_page || NB_READ_ONCE(vif->ctrl.sring->req_prod) == vif->ctrl.req_cons)
		return;
	n = nb_ctrl_process(&vif->ctrl, &vif->hash, vif->n_queues, nb_ctrl_copy, vif, &notify);
	if (n < 0) {
		nb_vif_fatal(vif, -1);
		return;
	}
	NB_STAT_INC(vif, ctrl_requests, (uint64_t)n);
	if (notify) {
		nb_hv_evtchn_notify(vif->evtchn, (uint32_t)vif->ctrl_port);
		NB_STAT_INC(vif, notifies, 1);
	}
}

void
nb_vif_unmap_rings(struct nb_vif *vif)
{
	struct nb_hv *hv = vif->be->cfg.hv;

	if (vif->ctrl_page)
		nb_hv_unmap(hv, vif->ctrl_page, 1);
	vif->ctrl_page = NULL;
	/* The backlogs were emptied on the worker that owns their packets (nb_vif_dp_stop or
	 * nb_vif_drop_backlog): a packet is only ever freed by its pool's worker. */
	if (vif->wait_ep >= 0)
		close(vif->wait_ep);
	if (vif->timer_fd >= 0)
		close(vif->timer_fd);
	vif->wait_ep = vif->timer_fd = -1;
	nb_hv_evtchn_close(vif->evtchn);
	vif->evtchn = NULL;
	for (unsigned int i = 0; i < vif->n_queues; i++) {
		struct nb_queue *q = vif->queues[i];

		q->tx_port = q->rx_port = -1;
		if (q->tx_page)
			nb_hv_unmap(hv, q->tx_page, 1);
		if (q->rx_page)
			nb_hv_unmap(hv, q->rx_page, 1);
		q->tx_page = q->rx_page = NULL;
		if (q != &vif->q)
			free(q);
		vif->queues[i] = NULL;
	}
	vif->n_queues = 0;
}

void
nb_vif_fatal(struct nb_vif *vif, int reason)
{
	/* The worker stops touching the rings now; the control thread reports and tears down
	 * on its next tick (writing XenStore from the data path would block it). */
	atomic_store(&vif->disabled_reason, reason);
	atomic_store(&vif->disabled, true);
}

static inline bool
nb_vif_usable(const struct nb_vif *vif)
{
	return vif->dp_active && !atomic_load_explicit(&vif->disabled, memory_order_relaxed);
}

static void
nb_tx_respond(struct nb_queue *q, uint16_t id, int16_t status)
{
	struct netif_tx_response *rsp = RING_GET_RESPONSE(&q->tx, q->tx.rsp_prod_pvt);

	rsp->id = id;
	rsp->status = status;
	q->tx.rsp_prod_pvt++;
}

/* One response per consumed slot, in ring order: first request, NULL for each extra, then
 * each fragment (Linux make_tx_response / xenvif_tx_err). */
static void
nb_tx_respond_pkt(struct nb_queue *q, const struct nb_tx_pkt *tp, int16_t status)
{
	unsigned int i;

	nb_tx_respond(q, tp->slots[0].id, status);
	for (i = 0; i < tp->n_extras; i++)
		nb_tx_respond(q, 0, NETIF_RSP_NULL);
	for (i = 1; i < tp->n_slots; i++)
		nb_tx_respond(q, tp->slots[i].id, status);
}

static void
nb_push_tx(struct nb_vif *vif, struct nb_queue *q)
{
	int notify;

	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&q->tx, notify);
	if (notify) {
		nb_hv_evtchn_notify(vif->evtchn, (uint32_t)q->tx_port);
		NB_STAT_INC(vif, notifies, 1);
	}
}

/*
 * The guest's multicast filter (Linux xenvif_mcast_add/del): at most NB_MCAST_MAX addresses,
 * kept by the owning worker whether or not filtering is on, so that turning it on later
 * (dynamic multicast control) uses what the guest asked for. Adding a present address or
 * deleting an absent one succeeds; adding to a full list fails.
 */
static int
nb_vif_mcast_edit(struct nb_vif *vif, bool add, const uint8_t mac[6])
{
	unsigned int i;

	for (i = 0; i < vif->n_mcast; i++)
		if (!memcmp(vif->mcast[i], mac, 6))
			break;
	if (add) {
		if (i < vif->n_mcast)
			return 0;
		if (vif->n_mcast >= NB_MCAST_MAX || !(mac[0] & 1))
			return -ENOSPC;
		memcpy(vif->mcast[vif->n_mcast++], mac, 6);
		return 0;
	}
	if (i < vif->n_mcast) {
		memmove(vif->mcast[i], vif->mcast[i + 1], (vif->n_mcast - i - 1) * 6u);
		vif->n_mcast--;
	}
	return 0;
}

/* Whether a frame to 'dst' may reach the guest through its multicast filter. */
static inline bool
nb_vif_mcast_pass(const struct nb_vif *vif, const uint8_t *dst)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (!(dst[0] & 1) || !memcmp(dst, bcast, 6) ||
	    !atomic_load_explicit(&vif->mcast_ctrl, memory_order_relaxed))
		return true;
	for (unsigned int i = 0; i < vif->n_mcast; i++)
		if (!memcmp(vif->mcast[i], dst, 6))
			return true;
	return false;
}

static unsigned int
nb_queue_tx(struct nb_vif *vif, struct nb_queue *q, struct pkt_pool *pool, struct pkt **pkts,
	    unsigned int max, uint64_t rate_usec)
{
	unsigned int n_pkts = 0, n_segs = 0, n_out = 0, i, j, s;
	bool responded = false;
	RING_IDX prod, cons;

	prod = NB_READ_ONCE(q->tx.sring->req_prod);
	xen_rmb(); /* see the requests the producer index covers */
	if (nb_tx_check_prod(&q->tx, prod) != NB_TX_OK) {
		NB_STAT_INC(vif, tx_verdicts[NB_TX_FATAL_PROD_OVERFLOW], 1);
		nb_vif_fatal(vif, NB_TX_FATAL_PROD_OVERFLOW);
		return 0;
	}
	cons = q->tx.req_cons;
	while (n_pkts < max && cons != prod) {
		struct nb_tx_pkt *tp = &q->tx_pkts[n_pkts];
		enum nb_tx_verdict v = nb_tx_parse(&q->tx, cons, prod, tp);
		struct pkt *p;
		uint32_t off;

		if (v == NB_TX_EMPTY)
			break;
		if (v == NB_TX_OK && rate_usec) {
			/* Out of credit: the packet stays on the ring until the next window
			 * (Linux tx_credit_exceeded()); nothing was consumed. */
			if (tp->size > vif->credit) {
				vif->throttled = true;
				NB_STAT_INC(vif, tx_throttled, 1);
				break;
			}
			vif->credit -= tp->size;
		}
		NB_STAT_INC(vif, tx_verdicts[v], 1);
		if (nb_tx_verdict_is_fatal(v)) {
			nb_vif_fatal(vif, v);
			break;
		}
		if (v == NB_TX_MCAST_OP) {
			/* A filter edit: answered at once, OKAY or ERROR (list full). */
			int err = nb_vif_mcast_edit(vif, tp->mcast_op > 0, tp->mcast_addr);

			if (err)
				NB_STAT_INC(vif, tx_mcast_refused, 1);
			nb_tx_respond_pkt(q, tp, err ? NETIF_RSP_ERROR : NETIF_RSP_OKAY);
			responded = true;
			cons += tp->n_consumed;
			continue;
		}
		if (v != NB_TX_OK) {
			NB_STAT_INC(vif, tx_errors, 1);
			nb_tx_respond_pkt(q, tp, NETIF_RSP_ERROR);
			responded = true;
			cons += tp->n_consumed;
			continue;
		}
		p = pkt_alloc(pool);
		if (p && pkt_tailroom(p) < tp->size) {
			/* No buffer of this pool can ever hold the frame (the DPDK engine's mbufs
			 * have a 2048-byte data room): an error, not a retry that would stall the
			 * ring for good. */
			pkt_free(p);
			NB_STAT_INC(vif, tx_errors, 1);
			nb_tx_respond_pkt(q, tp, NETIF_RSP_ERROR);
			responded = true;
			cons += tp->n_consumed;
			continue;
		}
		if (!p) {
			/* Out of buffers: leave the request on the ring and retry on the next
			 * pass, as Linux does when it cannot allocate an skb. */
			NB_STAT_INC(vif, tx_drop_nobuf, 1);
			if (rate_usec)
				vif->credit += tp->size; /* not sent: its credit is not spent */
			break;
		}
		off = 0;
		for (s = 0; s < tp->n_slots; s++) {
			struct nb_hv_copy_seg *seg;

			if (tp->slots[s].size == 0)
				continue; /* zero-length fragments need no grant access (XSA-448) */
			seg = &q->tx_segs[n_segs++];
			seg->source.foreign.ref = tp->slots[s].gref;
			seg->source.foreign.offset = tp->slots[s].offset;
			seg->source.foreign.domid = (uint16_t)vif->domid;
			seg->dest.virt = pkt_data(p) + off;
			seg->len = tp->slots[s].size;
			seg->flags = GNTCOPY_source_gref;
			seg->status = GNTST_general_error;
			off += tp->slots[s].size;
		}
		p->len = tp->size;
		if (tp->flags & NETTXF_csum_blank)
			p->flags |= PKT_F_CSUM_BLANK;
		if (tp->flags & NETTXF_data_validated)
			p->flags |= PKT_F_DATA_VALIDATED;
		if (tp->has_gso) {
			p->gso_type = tp->gso_type == XEN_NETIF_GSO_TYPE_TCPV4 ? PKT_GSO_TCPV4
									       : PKT_GSO_TCPV6;
			p->gso_size = tp->gso_size;
			/* The segments' checksums are computed from scratch, so a GSO frame is
			 * partial whatever its flags say (Linux recomputes the pseudo-header). */
			p->flags |= PKT_F_CSUM_BLANK;
		}
		q->tx_bufs[n_pkts++] = p;
		cons += tp->n_consumed;
	}
	q->tx.req_cons = cons;

	if (n_segs && nb_hv_grant_copy(vif->be->cfg.hv, q->tx_segs, n_segs) != 0) {
		for (s = 0; s < n_segs; s++)
			q->tx_segs[s].status = GNTST_general_error;
	}
	for (i = 0, s = 0; i < n_pkts; i++) {
		struct nb_tx_pkt *tp = &q->tx_pkts[i];
		struct pkt *p = q->tx_bufs[i];
		bool ok = true;

		for (j = 0; j < tp->n_slots; j++) {
			if (tp->slots[j].size == 0)
				continue;
			if (q->tx_segs[s++].status != GNTST_okay)
				ok = false;
		}
		nb_tx_respond_pkt(q, tp, ok ? NETIF_RSP_OKAY : NETIF_RSP_ERROR);
		responded = true;
		if (!ok) {
			NB_STAT_INC(vif, tx_grant_errors, 1);
			pkt_free(p);
			continue;
		}
		NB_STAT_INC(vif, tx_packets, 1);
		NB_STAT_INC(vif, tx_bytes, p->len);
		atomic_store_explicit(&q->tx_packets,
				      atomic_load_explicit(&q->tx_packets, memory_order_relaxed) +
					      1,
				      memory_order_relaxed);
		if (p->gso_type != PKT_GSO_NONE)
			NB_STAT_INC(vif, tx_gso, 1);
		/* Partial checksums and GSO stay as they are: the switch completes or segments
		 * them only for destinations that cannot take them (port.offloads). */
		pkts[n_out++] = p;
	}
	if (responded)
		nb_push_tx(vif, q);
	return n_out;
}

unsigned int
nb_vif_guest_tx(struct nb_vif *vif, struct pkt_pool *pool, struct pkt **pkts, unsigned int max)
{
	unsigned int n = 0, k, nq;
	uint64_t rate_usec;

	if (!nb_vif_usable(vif))
		return 0;
	nq = vif->n_queues; /* only once usable: the control thread changes it after dp_stop */
	if (max > NB_TX_BURST_MAX)
		max = NB_TX_BURST_MAX;
	rate_usec = atomic_load_explicit(&vif->rate_usec, memory_order_relaxed);
	if (rate_usec) {
		uint64_t now = nb_now_ns();

		if (now >= vif->credit_next_ns) {
			uint64_t bytes =
				atomic_load_explicit(&vif->rate_bytes, memory_order_relaxed);
			uint64_t cap =
				bytes > NB_TX_CREDIT_MIN_BURST ? bytes : NB_TX_CREDIT_MIN_BURST;

			vif->credit = vif->credit + bytes < cap ? vif->credit + bytes : cap;
			vif->credit_next_ns = now + rate_usec * 1000u;
			vif->throttled = false;
		}
		if (vif->throttled)
			return 0;
	} else {
		vif->throttled = false;
	}
	/* Round robin over the queues, so that a busy one cannot starve the others. */
	for (k = 0; k < nq && n < max && !vif->throttled && nb_vif_usable(vif); k++)
		n += nb_queue_tx(vif, vif->queues[(vif->tx_rr + k) % nq], pool, pkts + n, max - n,
				 rate_usec);
	vif->tx_rr++;
	return n;
}

/* Slots the guest must have posted to take 'p': its data, and one for a GSO extra (a HASH
 * extra is added when the frame is sent, see nb_vif_guest_rx_flush()). */
static inline uint32_t
nb_rx_slots_needed(const struct pkt *p)
{
	return (p->len + NB_XEN_PAGE_SIZE - 1) / NB_XEN_PAGE_SIZE + (p->gso_type != PKT_GSO_NONE);
}

/* NETRXF_* of a packet's first slot, from its checksum state (fact sheet §4.2). */
static inline uint16_t
nb_rx_csum_flags(const struct pkt *p)
{
	if (p->flags & PKT_F_CSUM_BLANK)
		return NETRXF_csum_blank | NETRXF_data_validated;
	if (p->flags & PKT_F_DATA_VALIDATED)
		return NETRXF_data_validated;
	return 0;
}

static void
nb_queue_rx_flush(struct nb_vif *vif, struct nb_queue *q)
{
	unsigned int n_pkts = 0, n_segs = 0, n_rsps = 0, i;
	RING_IDX prod, cons;
	int notify;

	if (!nb_vif_usable(vif) || q->bl_head == q->bl_tail)
		return;
	prod = NB_READ_ONCE(q->rx.sring->req_prod);
	xen_rmb();
	if (prod - q->rx.rsp_prod_pvt > RING_SIZE(&q->rx)) {
		nb_vif_fatal(vif, -1);
		return;
	}
	cons = q->rx.req_cons;
	while (q->bl_head != q->bl_tail && n_pkts < NB_RX_BATCH) {
		struct pkt *p = q->backlog[q->bl_head % NB_RX_BACKLOG_PKTS];
		bool gso = p->gso_type != PKT_GSO_NONE;
		uint8_t htype = 0;
		uint32_t hval = 0;
		/* A HASH extra when the guest configured hashing over the control ring. */
		bool hashed = vif->hash.alg != XEN_NETIF_CTRL_HASH_ALGORITHM_NONE &&
			      nb_hash_frame(&vif->hash, pkt_data(p), p->len, &htype, &hval);
		uint32_t n_extra = (gso ? 1u : 0u) + (hashed ? 1u : 0u);
		uint32_t need = nb_rx_slots_needed(p) - (gso ? 1u : 0u) + n_extra, off = 0, k;

		if (prod - cons < need) {
			q->rx_req_needed = need;
			if (!q->stall_since_ns)
				q->stall_since_ns = nb_now_ns();
			break;
		}
		q->stall_since_ns = 0;
		for (k = 0; k < need; k++) {
			struct netif_rx_request req;
			uint32_t chunk = p->len - off;

			RING_COPY_REQUEST(&q->rx, cons + k, &req);
			q->rx_rsps[n_rsps].id = req.id;
			if (k >= 1 && k <= n_extra) {
				/* Extras go right after the first data slot, GSO then HASH (as
				 * Linux); each takes a request of its own but no data. */
				q->rx_rsps[n_rsps].seg = UINT16_MAX;
				q->rx_rsps[n_rsps].more = k < n_extra;
				if (gso && k == 1) {
					q->rx_rsps[n_rsps].extra = XEN_NETIF_EXTRA_TYPE_GSO;
					q->rx_rsps[n_rsps].gso_type =
						p->gso_type == PKT_GSO_TCPV4
							? XEN_NETIF_GSO_TYPE_TCPV4
							: XEN_NETIF_GSO_TYPE_TCPV6;
					q->rx_rsps[n_rsps].gso_size = p->gso_size;
				} else {
					q->rx_rsps[n_rsps].extra = XEN_NETIF_EXTRA_TYPE_HASH;
					q->rx_rsps[n_rsps].hash_type = htype;
					q->rx_rsps[n_rsps].hash_value = hval;
				}
				n_rsps++;
				continue;
			}
			if (chunk > NB_XEN_PAGE_SIZE)
				chunk = NB_XEN_PAGE_SIZE;
			q->rx_segs[n_segs].source.virt = pkt_data(p) + off;
			q->rx_segs[n_segs].dest.foreign.ref = req.gref;
			q->rx_segs[n_segs].dest.foreign.offset = 0;
			q->rx_segs[n_segs].dest.foreign.domid = (uint16_t)vif->domid;
			q->rx_segs[n_segs].len = (uint16_t)chunk;
			q->rx_segs[n_segs].flags = GNTCOPY_dest_gref;
			q->rx_segs[n_segs].status = GNTST_general_error;
			q->rx_rsps[n_rsps].offset = 0;
			q->rx_rsps[n_rsps].flags = off + chunk < p->len ? NETRXF_more_data : 0;
			if (k == 0)
				q->rx_rsps[n_rsps].flags |=
					nb_rx_csum_flags(p) | (n_extra ? NETRXF_extra_info : 0);
			q->rx_rsps[n_rsps].status = (int16_t)chunk;
			q->rx_rsps[n_rsps].seg = (uint16_t)n_segs;
			n_segs++;
			n_rsps++;
			off += chunk;
		}
		cons += need;
		q->bl_head++;
		q->bl_bytes -= p->len;
		q->rx_done[n_pkts++] = p;
	}
	if (n_pkts == 0)
		return;
	q->rx.req_cons = cons;
	if (nb_hv_grant_copy(vif->be->cfg.hv, q->rx_segs, n_segs) != 0) {
		for (i = 0; i < n_segs; i++)
			q->rx_segs[i].status = GNTST_general_error;
	}
	for (i = 0; i < n_rsps; i++) {
		struct netif_rx_response *rsp = RING_GET_RESPONSE(&q->rx, q->rx.rsp_prod_pvt);
		int16_t status = q->rx_rsps[i].status;

		if (q->rx_rsps[i].seg == UINT16_MAX) {
			struct netif_extra_info ex;

			memset(&ex, 0, sizeof(ex));
			ex.type = q->rx_rsps[i].extra;
			ex.flags = q->rx_rsps[i].more ? XEN_NETIF_EXTRA_FLAG_MORE : 0;
			if (ex.type == XEN_NETIF_EXTRA_TYPE_GSO) {
				ex.u.gso.size = q->rx_rsps[i].gso_size;
				ex.u.gso.type = q->rx_rsps[i].gso_type;
			} else {
				uint32_t v = q->rx_rsps[i].hash_value;

				ex.u.hash.type = q->rx_rsps[i].hash_type;
				ex.u.hash.algorithm = XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ;
				/* The value goes LSB first (netif.h). */
				for (int b = 0; b < 4; b++)
					ex.u.hash.value[b] = (uint8_t)(v >> (8 * b));
				NB_STAT_INC(vif, rx_hash, 1);
			}
			memcpy(rsp, &ex, sizeof(ex));
			q->rx.rsp_prod_pvt++;
			continue;
		}
		if (q->rx_segs[q->rx_rsps[i].seg].status != GNTST_okay) {
			status = NETIF_RSP_ERROR;
			NB_STAT_INC(vif, rx_grant_errors, 1);
		}
		rsp->id = q->rx_rsps[i].id;
		rsp->offset = q->rx_rsps[i].offset;
		rsp->flags = q->rx_rsps[i].flags;
		rsp->status = status;
		q->rx.rsp_prod_pvt++;
	}
	atomic_store_explicit(&q->rx_packets,
			      atomic_load_explicit(&q->rx_packets, memory_order_relaxed) + n_pkts,
			      memory_order_relaxed);
	for (i = 0; i < n_pkts; i++) {
		NB_STAT_INC(vif, rx_packets, 1);
		NB_STAT_INC(vif, rx_bytes, q->rx_done[i]->len);
		if (q->rx_done[i]->gso_type != PKT_GSO_NONE)
			NB_STAT_INC(vif, rx_gso, 1);
	}
	pkt_free_bulk(q->rx_done, n_pkts);
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&q->rx, notify);
	if (notify) {
		nb_hv_evtchn_notify(vif->evtchn, (uint32_t)q->rx_port);
		NB_STAT_INC(vif, notifies, 1);
	}
}

void
nb_vif_guest_rx_flush(struct nb_vif *vif)
{
	/* Not after dp_stop: the control thread may be unmapping the queues. */
	if (!nb_vif_usable(vif))
		return;
	for (unsigned int i = 0; i < vif->n_queues; i++)
		if (vif->queues[i]->bl_head != vif->queues[i]->bl_tail)
			nb_queue_rx_flush(vif, vif->queues[i]);
}

/*
 * Puts 'p' in the form the guest negotiated: a partial checksum gets the pseudo-header sum
 * the frontend's stack expects (or is completed if the guest cannot take it), a GSO frame
 * goes only to a guest with that GSO type. Returns false if 'p' cannot be delivered.
 */
static bool
nb_rx_prepare(const struct nb_vif *vif, struct pkt *p)
{
	struct vsw_l4 l4;

	if (p->gso_type != PKT_GSO_NONE) {
		bool ok = vif->fe.sg &&
			  (p->gso_type == PKT_GSO_TCPV4 ? vif->fe.gso_tcpv4 : vif->fe.gso_tcpv6);

		return ok && vsw_csum_prepare_partial(pkt_data(p), p->len, &l4) == 0 &&
		       p->gso_size != 0;
	}
	if (!(p->flags & PKT_F_CSUM_BLANK))
		return true;
	if (vsw_csum_prepare_partial(pkt_data(p), p->len, &l4) != 0) {
		p->flags &= (uint16_t)~PKT_F_CSUM_BLANK; /* nothing the guest could fill in */
		return true;
	}
	if (!(l4.ipv6 ? vif->fe.csum_ipv6 : vif->fe.csum_ipv4))
		vsw_csum_complete(p);
	return true;
}

/*
 * The queue a frame for the guest goes to: by the hash the guest configured over the control
 * ring (its mapping table, else modulo), else by a Toeplitz hash of the flow with a fixed key,
 * so that one flow always uses one queue (Linux xenvif_select_queue()).
 */
static struct nb_queue *
nb_vif_select_queue(const struct nb_vif *vif, const struct pkt *p)
{
	static const struct nb_hash_cfg flow = {
		.alg = XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ,
		.types = NB_HASH_TYPES_ALL,
		.key = { 0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d,
			 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4 },
	};
	const struct nb_hash_cfg *cfg =
		vif->hash.alg != XEN_NETIF_CTRL_HASH_ALGORITHM_NONE ? &vif->hash : &flow;
	uint32_t hash;
	uint8_t type;

	if (vif->n_queues <= 1 || !nb_hash_frame(cfg, pkt_data(p), p->len, &type, &hash))
		return vif->queues[0];
	return vif->queues[nb_hash_queue(cfg, hash, vif->n_queues)];
}

void
nb_vif_guest_rx(struct nb_vif *vif, struct pkt **pkts, unsigned int n)
{
	uint64_t now = n ? nb_now_ns() : 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct pkt *p = pkts[i];
		struct nb_queue *q;

		if (!nb_vif_usable(vif)) {
			NB_STAT_INC(vif, rx_drop_disconnected, 1);
			pkt_free(p);
			continue;
		}
		/* Multicast the guest did not ask for, once it filters (Linux start_xmit()). */
		if (p->len >= NB_ETH_HLEN && !nb_vif_mcast_pass(vif, pkt_data(p))) {
			NB_STAT_INC(vif, rx_drop_mcast, 1);
			pkt_free(p);
			continue;
		}
		/* A stalled guest is not queued for: its carrier is off, as in Linux. */
		if (atomic_load_explicit(&vif->stalled, memory_order_relaxed)) {
			NB_STAT_INC(vif, rx_drop_stalled, 1);
			pkt_free(p);
			continue;
		}
		if (nb_rx_slots_needed(p) > (vif->fe.sg ? NB_RX_SLOTS_MAX : 1u) || p->len == 0 ||
		    !nb_rx_prepare(vif, p)) {
			NB_STAT_INC(vif, rx_drop_too_big, 1);
			pkt_free(p);
			continue;
		}
		q = nb_vif_select_queue(vif, p);
		/* Bounded in bytes and in entries: a guest that never posts buffers costs at
		 * most NB_RX_BACKLOG_BYTES of dom0 memory (XSA-392). */
		if (q->bl_bytes + p->len > NB_RX_BACKLOG_BYTES ||
		    q->bl_tail - q->bl_head >= NB_RX_BACKLOG_PKTS) {
			NB_STAT_INC(vif, rx_drop_backlog, 1);
			pkt_free(p);
			continue;
		}
		q->backlog[q->bl_tail % NB_RX_BACKLOG_PKTS] = p;
		q->bl_time[q->bl_tail % NB_RX_BACKLOG_PKTS] = now;
		q->bl_tail++;
		q->bl_bytes += p->len;
	}
	nb_vif_guest_rx_flush(vif);
}

/* Frees the oldest 'n' backlog entries, counting them in 'ctr'. */
/* Frees the oldest 'n' entries of 'q''s backlog, counting them in 'ctr'. */
static void
nb_rx_drop_head(struct nb_queue *q, uint32_t n, _Atomic uint64_t *ctr)
{
	for (uint32_t i = 0; i < n && q->bl_head != q->bl_tail; i++) {
		struct pkt *p = q->backlog[q->bl_head % NB_RX_BACKLOG_PKTS];

		q->bl_bytes -= p->len;
		q->bl_head++;
		pkt_free(p);
		atomic_store_explicit(ctr, atomic_load_explicit(ctr, memory_order_relaxed) + 1,
				      memory_order_relaxed);
	}
	if (q->bl_head == q->bl_tail) {
		q->stall_since_ns = 0;
		q->rx_req_needed = 0;
	}
}

/*
 * Time-driven work (owning worker), as Linux's RX kthread does it: frames queued longer than
 * the drain timeout are dropped; a guest short of RX slots for the stall timeout is marked
 * stalled (backlog dropped, new frames refused) until it posts enough buffers again.
 */
static void
nb_vif_timers(struct nb_vif *vif)
{
	uint64_t now = nb_now_ns();
	bool stalled = false;

	if (vif->timer_at_ns && now >= vif->timer_at_ns) {
		uint64_t expirations;

		if (read(vif->timer_fd, &expirations, sizeof(expirations)) < 0) {
			/* EAGAIN: not expired on the kernel's clock yet; it fires again. */
		}
		vif->timer_at_ns = 0;
	}
	for (unsigned int i = 0; i < vif->n_queues; i++) {
		struct nb_queue *q = vif->queues[i];

		if (q->stalled) {
			RING_IDX prod = NB_READ_ONCE(q->rx.sring->req_prod);

			if (prod - q->rx.req_cons >= NB_RX_SLOTS_MAX &&
			    prod - q->rx.req_cons <= RING_SIZE(&q->rx))
				q->stalled = false;
			stalled |= q->stalled;
			continue;
		}
		while (q->bl_head != q->bl_tail &&
		       now - q->bl_time[q->bl_head % NB_RX_BACKLOG_PKTS] > vif->drain_ns)
			nb_rx_drop_head(q, 1, &vif->stats.rx_drop_expired);
		if (q->stall_since_ns && now - q->stall_since_ns > vif->stall_ns) {
			q->stalled = true;
			NB_STAT_INC(vif, rx_stalls, 1);
			nb_rx_drop_head(q, q->bl_tail - q->bl_head, &vif->stats.rx_drop_stalled);
		}
		stalled |= q->stalled;
	}
	/* The carrier is off while any queue is stalled, as in Linux (stalled_queues). */
	atomic_store(&vif->stalled, stalled);
}

void
nb_vif_poll_events(struct nb_vif *vif)
{
	int port, n = 0;

	/* dp_active, not vif->evtchn: the control thread closes the handle once the data path
	 * was stopped here, and this worker must not look at it from then on. */
	if (!vif->dp_active || !vif->evtchn)
		return;
	/* Events only wake us; the rings are polled anyway. Unmask at once so none is lost. */
	while (n < 64 && (port = nb_hv_evtchn_pending(vif->evtchn)) >= 0) {
		nb_hv_evtchn_unmask(vif->evtchn, (uint32_t)port);
		n++;
	}
	if (n)
		NB_STAT_INC(vif, events, (uint64_t)n);
	nb_vif_ctrl_poll(vif);
	for (unsigned int i = 0; i < vif->n_queues; i++) {
		const struct nb_queue *q = vif->queues[i];

		if (vif->timer_at_ns || q->bl_head != q->bl_tail || q->stall_since_ns ||
		    q->stalled) {
			nb_vif_timers(vif);
			break;
		}
	}
}

/* Before sleeping: arms the timer for the earliest deadline of the data path, if any. */
static void
nb_vif_arm_timer(struct nb_vif *vif)
{
	uint64_t at = UINT64_MAX, now = 0;

	if (vif->throttled)
		at = vif->credit_next_ns;
	for (unsigned int i = 0; i < vif->n_queues; i++) {
		const struct nb_queue *q = vif->queues[i];
		uint64_t t;

		if (q->bl_head == q->bl_tail)
			continue;
		t = q->bl_time[q->bl_head % NB_RX_BACKLOG_PKTS] + vif->drain_ns + 1;
		if (t < at)
			at = t;
		if (q->stall_since_ns && q->stall_since_ns + vif->stall_ns + 1 < at)
			at = q->stall_since_ns + vif->stall_ns + 1;
		if (!vif->fe.rx_notify) {
			/* Nobody kicks us when buffers are posted: poll for them. */
			if (!now)
				now = nb_now_ns();
			if (now + NB_RX_POLL_MS * 1000000u < at)
				at = now + NB_RX_POLL_MS * 1000000u;
		}
	}
	if (at == UINT64_MAX || at == vif->timer_at_ns)
		return;
	{
		struct itimerspec its = {
			.it_value = { .tv_sec = (time_t)(at / 1000000000u),
				      .tv_nsec = (long)(at % 1000000000u) },
		};

		if (timerfd_settime(vif->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
			vif->timer_at_ns = at;
	}
}

bool
nb_vif_arm(struct nb_vif *vif)
{
	bool pending = false;
	int more;

	if (!nb_vif_usable(vif))
		return false;
	nb_vif_arm_timer(vif);
	if (vif->ctrl_page) {
		RING_FINAL_CHECK_FOR_REQUESTS(&vif->ctrl, more);
		if (more)
			return true;
	}
	for (unsigned int i = 0; i < vif->n_queues; i++) {
		struct nb_queue *q = vif->queues[i];

		/* Throttled requests wait for the timer, not for an event. */
		if (!vif->throttled) {
			RING_FINAL_CHECK_FOR_REQUESTS(&q->tx, more);
			if (more)
				pending = true;
		}
		if (q->stalled) {
			/* Kicked once the guest has posted enough to take any frame again. */
			NB_WRITE_ONCE(q->rx.sring->req_event, q->rx.req_cons + NB_RX_SLOTS_MAX);
			xen_mb();
			if (NB_READ_ONCE(q->rx.sring->req_prod) - q->rx.req_cons >= NB_RX_SLOTS_MAX)
				pending = true;
		} else if (q->bl_head != q->bl_tail) {
			/* Ask to be kicked once the guest has posted what the head needs. */
			RING_IDX need = q->rx_req_needed ? q->rx_req_needed : 1;

			NB_WRITE_ONCE(q->rx.sring->req_event, q->rx.req_cons + need);
			xen_mb();
			if (NB_READ_ONCE(q->rx.sring->req_prod) - q->rx.req_cons >= need)
				pending = true;
		}
	}
	return pending;
}

int
nb_vif_wait_fd(const struct nb_vif *vif)
{
	return vif->dp_active && vif->evtchn ? vif->wait_ep : -1;
}

/* What the switch may hand this guest as it is (port.h PORT_OFF_*), from its features. */
static unsigned int
nb_vif_offloads(const struct nb_vif *vif)
{
	unsigned int off = 0;

	if (vif->fe.csum_ipv4)
		off |= PORT_OFF_CSUM4;
	if (vif->fe.csum_ipv6)
		off |= PORT_OFF_CSUM6;
	if (vif->fe.sg && vif->fe.csum_ipv4 && vif->fe.gso_tcpv4)
		off |= PORT_OFF_TSO4;
	if (vif->fe.sg && vif->fe.csum_ipv6 && vif->fe.gso_tcpv6)
		off |= PORT_OFF_TSO6;
	return off;
}

void
nb_vif_dp_start(struct nb_vif *vif)
{
	vif->dp_active = vif->q.tx_page != NULL;
	/* On the owning worker, which is the port's only reader. */
	if (vif->port)
		vif->port->offloads = vif->dp_active ? nb_vif_offloads(vif) : 0;
}

void
nb_vif_drop_backlog(struct nb_vif *vif)
{
	for (unsigned int i = 0; i < vif->n_queues; i++) {
		struct nb_queue *q = vif->queues[i];

		while (q->bl_head != q->bl_tail) {
			pkt_free(q->backlog[q->bl_head % NB_RX_BACKLOG_PKTS]);
			q->bl_head++;
			NB_STAT_INC(vif, rx_drop_disconnected, 1);
		}
		q->bl_bytes = 0;
	}
}

void
nb_vif_dp_stop(struct nb_vif *vif)
{
	vif->dp_active = false;
	nb_vif_drop_backlog(vif);
}

bool
nb_vif_is_stalled(const struct nb_vif *vif)
{
	return atomic_load_explicit(&((struct nb_vif *)vif)->stalled, memory_order_relaxed);
}

void
nb_vif_rate(const struct nb_vif *vif, uint64_t *bytes, uint64_t *usec)
{
	struct nb_vif *v = (struct nb_vif *)vif;

	*bytes = atomic_load_explicit(&v->rate_bytes, memory_order_relaxed);
	*usec = atomic_load_explicit(&v->rate_usec, memory_order_relaxed);
}
