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

#include <errno.h>
#include <string.h>

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
	st->tx_csum_fixed = nb_stat_get(&a->tx_csum_fixed);
	st->rx_drop_backlog = nb_stat_get(&a->rx_drop_backlog);
	st->rx_drop_disconnected = nb_stat_get(&a->rx_drop_disconnected);
	st->rx_drop_too_big = nb_stat_get(&a->rx_drop_too_big);
	st->rx_grant_errors = nb_stat_get(&a->rx_grant_errors);
	st->notifies = nb_stat_get(&a->notifies);
	st->events = nb_stat_get(&a->events);
	for (i = 0;
	     i < NB_TX_N_VERDICTS && i < sizeof(st->tx_verdicts) / sizeof(st->tx_verdicts[0]); i++)
		st->tx_verdicts[i] = nb_stat_get(&a->tx_verdicts[i]);
}

int
nb_vif_map_rings(struct nb_vif *vif, uint32_t tx_ref, uint32_t rx_ref, uint32_t tx_evtchn,
		 uint32_t rx_evtchn)
{
	struct nb_hv *hv = vif->be->cfg.hv;
	struct nb_queue *q = &vif->q;
	int port, err;

	q->tx_page = q->rx_page = NULL;
	q->tx_port = q->rx_port = -1;
	q->evtchn = NULL;
	err = nb_hv_map(hv, vif->domid, &tx_ref, 1, false, &q->tx_page);
	if (err)
		goto fail;
	err = nb_hv_map(hv, vif->domid, &rx_ref, 1, false, &q->rx_page);
	if (err)
		goto fail;
	/* Attach at the indices the frontend left (0 on a fresh ring): a restarted backend
	 * resumes where the last one stopped, as Linux netback's unbind/bind does. */
	BACK_RING_ATTACH(&q->tx, (struct netif_tx_sring *)q->tx_page,
			 NB_READ_ONCE(((struct netif_tx_sring *)q->tx_page)->rsp_prod),
			 NB_XEN_PAGE_SIZE);
	BACK_RING_ATTACH(&q->rx, (struct netif_rx_sring *)q->rx_page,
			 NB_READ_ONCE(((struct netif_rx_sring *)q->rx_page)->rsp_prod),
			 NB_XEN_PAGE_SIZE);
	if (NB_READ_ONCE(q->tx.sring->req_prod) - q->tx.rsp_prod_pvt > RING_SIZE(&q->tx) ||
	    NB_READ_ONCE(q->rx.sring->req_prod) - q->rx.rsp_prod_pvt > RING_SIZE(&q->rx)) {
		err = -EPROTO;
		goto fail;
	}
	err = nb_hv_evtchn_open(hv, &q->evtchn);
	if (err)
		goto fail;
	port = nb_hv_evtchn_bind_interdomain(q->evtchn, vif->domid, tx_evtchn);
	if (port < 0) {
		err = port;
		goto fail;
	}
	q->tx_port = port;
	if (rx_evtchn != tx_evtchn) {
		port = nb_hv_evtchn_bind_interdomain(q->evtchn, vif->domid, rx_evtchn);
		if (port < 0) {
			err = port;
			goto fail;
		}
	}
	q->rx_port = port;
	q->bl_head = q->bl_tail = 0;
	q->bl_bytes = 0;
	q->rx_req_needed = 0;
	return 0;
fail:
	nb_vif_unmap_rings(vif);
	return err;
}

void
nb_vif_unmap_rings(struct nb_vif *vif)
{
	struct nb_hv *hv = vif->be->cfg.hv;
	struct nb_queue *q = &vif->q;

	/* The backlog was emptied on the worker that owns its packets (nb_vif_dp_stop or
	 * nb_vif_drop_backlog): a packet is only ever freed by its pool's worker. */
	nb_hv_evtchn_close(q->evtchn);
	q->evtchn = NULL;
	q->tx_port = q->rx_port = -1;
	if (q->tx_page)
		nb_hv_unmap(hv, q->tx_page, 1);
	if (q->rx_page)
		nb_hv_unmap(hv, q->rx_page, 1);
	q->tx_page = q->rx_page = NULL;
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
nb_push_tx(struct nb_vif *vif)
{
	struct nb_queue *q = &vif->q;
	int notify;

	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&q->tx, notify);
	if (notify) {
		nb_hv_evtchn_notify(q->evtchn, (uint32_t)q->tx_port);
		NB_STAT_INC(vif, notifies, 1);
	}
}

unsigned int
nb_vif_guest_tx(struct nb_vif *vif, struct pkt_pool *pool, struct pkt **pkts, unsigned int max)
{
	struct nb_queue *q = &vif->q;
	unsigned int n_pkts = 0, n_segs = 0, n_out = 0, i, j, s;
	bool responded = false;
	RING_IDX prod, cons;

	if (!nb_vif_usable(vif))
		return 0;
	if (max > NB_TX_BURST_MAX)
		max = NB_TX_BURST_MAX;
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
		NB_STAT_INC(vif, tx_verdicts[v], 1);
		if (nb_tx_verdict_is_fatal(v)) {
			nb_vif_fatal(vif, v);
			break;
		}
		if (v != NB_TX_OK) {
			/* Multicast control was not offered, so such a request is refused. */
			if (v == NB_TX_MCAST_OP)
				NB_STAT_INC(vif, tx_mcast_refused, 1);
			else
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
		if (ok && (p->flags & PKT_F_CSUM_BLANK) && p->gso_type == PKT_GSO_NONE) {
			/* Destinations here cannot take partial checksums: complete it now. */
			if (vsw_csum_complete(p) == 0)
				NB_STAT_INC(vif, tx_csum_fixed, 1);
		}
		nb_tx_respond_pkt(&vif->q, tp, ok ? NETIF_RSP_OKAY : NETIF_RSP_ERROR);
		responded = true;
		if (!ok) {
			NB_STAT_INC(vif, tx_grant_errors, 1);
			pkt_free(p);
			continue;
		}
		NB_STAT_INC(vif, tx_packets, 1);
		NB_STAT_INC(vif, tx_bytes, p->len);
		pkts[n_out++] = p;
	}
	if (responded)
		nb_push_tx(vif);
	return n_out;
}

/* Slots the guest must have posted to take 'p'. */
static inline uint32_t
nb_rx_slots_needed(const struct pkt *p)
{
	return (p->len + NB_XEN_PAGE_SIZE - 1) / NB_XEN_PAGE_SIZE;
}

void
nb_vif_guest_rx_flush(struct nb_vif *vif)
{
	struct nb_queue *q = &vif->q;
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
		uint32_t need = nb_rx_slots_needed(p), off = 0, k;

		if (prod - cons < need) {
			q->rx_req_needed = need;
			break;
		}
		for (k = 0; k < need; k++) {
			struct netif_rx_request req;
			uint32_t chunk = p->len - off;

			if (chunk > NB_XEN_PAGE_SIZE)
				chunk = NB_XEN_PAGE_SIZE;
			RING_COPY_REQUEST(&q->rx, cons + k, &req);
			q->rx_segs[n_segs].source.virt = pkt_data(p) + off;
			q->rx_segs[n_segs].dest.foreign.ref = req.gref;
			q->rx_segs[n_segs].dest.foreign.offset = 0;
			q->rx_segs[n_segs].dest.foreign.domid = (uint16_t)vif->domid;
			q->rx_segs[n_segs].len = (uint16_t)chunk;
			q->rx_segs[n_segs].flags = GNTCOPY_dest_gref;
			q->rx_segs[n_segs].status = GNTST_general_error;
			q->rx_rsps[n_rsps].id = req.id;
			q->rx_rsps[n_rsps].offset = 0;
			q->rx_rsps[n_rsps].flags = k + 1 < need ? NETRXF_more_data : 0;
			/* A frame sent with a partial checksum has been completed in software on
			 * the way in, so it is valid data for the guest's stack. */
			if (k == 0 && (p->flags & (PKT_F_DATA_VALIDATED | PKT_F_CSUM_BLANK)))
				q->rx_rsps[n_rsps].flags |= NETRXF_data_validated;
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
	for (i = 0; i < n_pkts; i++) {
		NB_STAT_INC(vif, rx_packets, 1);
		NB_STAT_INC(vif, rx_bytes, q->rx_done[i]->len);
	}
	pkt_free_bulk(q->rx_done, n_pkts);
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&q->rx, notify);
	if (notify) {
		nb_hv_evtchn_notify(q->evtchn, (uint32_t)q->rx_port);
		NB_STAT_INC(vif, notifies, 1);
	}
}

void
nb_vif_guest_rx(struct nb_vif *vif, struct pkt **pkts, unsigned int n)
{
	struct nb_queue *q = &vif->q;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct pkt *p = pkts[i];

		if (!nb_vif_usable(vif)) {
			NB_STAT_INC(vif, rx_drop_disconnected, 1);
			pkt_free(p);
			continue;
		}
		if (nb_rx_slots_needed(p) > (vif->fe.sg ? NB_RX_SLOTS_MAX : 1u) || p->len == 0) {
			NB_STAT_INC(vif, rx_drop_too_big, 1);
			pkt_free(p);
			continue;
		}
		/* Bounded in bytes and in entries: a guest that never posts buffers costs at
		 * most NB_RX_BACKLOG_BYTES of dom0 memory (XSA-392). */
		if (q->bl_bytes + p->len > NB_RX_BACKLOG_BYTES ||
		    q->bl_tail - q->bl_head >= NB_RX_BACKLOG_PKTS) {
			NB_STAT_INC(vif, rx_drop_backlog, 1);
			pkt_free(p);
			continue;
		}
		q->backlog[q->bl_tail % NB_RX_BACKLOG_PKTS] = p;
		q->bl_tail++;
		q->bl_bytes += p->len;
	}
	nb_vif_guest_rx_flush(vif);
}

void
nb_vif_poll_events(struct nb_vif *vif)
{
	struct nb_queue *q = &vif->q;
	int port, n = 0;

	/* dp_active, not q->evtchn: the control thread closes the handle once the data path
	 * was stopped here, and this worker must not look at it from then on. */
	if (!vif->dp_active || !q->evtchn)
		return;
	/* Events only wake us; the rings are polled anyway. Unmask at once so none is lost. */
	while (n < 64 && (port = nb_hv_evtchn_pending(q->evtchn)) >= 0) {
		nb_hv_evtchn_unmask(q->evtchn, (uint32_t)port);
		n++;
	}
	if (n)
		NB_STAT_INC(vif, events, (uint64_t)n);
}

bool
nb_vif_arm(struct nb_vif *vif)
{
	struct nb_queue *q = &vif->q;
	int more;

	if (!nb_vif_usable(vif))
		return false;
	RING_FINAL_CHECK_FOR_REQUESTS(&q->tx, more);
	if (more)
		return true;
	if (q->bl_head != q->bl_tail) {
		/* Ask to be kicked once the guest has posted what the head packet needs. */
		RING_IDX want = q->rx.req_cons + (q->rx_req_needed ? q->rx_req_needed : 1);

		NB_WRITE_ONCE(q->rx.sring->req_event, want);
		xen_mb();
		if (NB_READ_ONCE(q->rx.sring->req_prod) - q->rx.req_cons >=
		    (q->rx_req_needed ? q->rx_req_needed : 1))
			return true;
	}
	return false;
}

int
nb_vif_wait_fd(const struct nb_vif *vif)
{
	return vif->dp_active && vif->q.evtchn ? nb_hv_evtchn_fd(vif->q.evtchn) : -1;
}

void
nb_vif_dp_start(struct nb_vif *vif)
{
	vif->dp_active = vif->q.tx_page != NULL;
}

void
nb_vif_drop_backlog(struct nb_vif *vif)
{
	struct nb_queue *q = &vif->q;

	while (q->bl_head != q->bl_tail) {
		pkt_free(q->backlog[q->bl_head % NB_RX_BACKLOG_PKTS]);
		q->bl_head++;
		NB_STAT_INC(vif, rx_drop_disconnected, 1);
	}
	q->bl_bytes = 0;
}

void
nb_vif_dp_stop(struct nb_vif *vif)
{
	vif->dp_active = false;
	nb_vif_drop_backlog(vif);
}
