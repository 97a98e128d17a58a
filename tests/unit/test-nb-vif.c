/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for a vif's data path (nb-vif.c) against the simulated hypervisor run in-process:
 * the test plays the frontend on real shared rings and grants, the vif plays the backend.
 * Checks: TX frames (one and several slots) arrive byte for byte and every slot is answered;
 * a revoked grant gets an error response; a protocol violation disables the vif; RX frames
 * land in the guest's posted buffers with one response per slot in request order and
 * more_data chains; the backlog waits for buffers, is bounded in bytes, and drops frames the
 * guest cannot take.
 */
#include "netback/hv/sim-client.h"
#include "netback/nb-private.h"
#include "tools/simhv/hv-server.h"
#include "vswitch/evloop.h"
#include "vswitch/pkt.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#define GFN_TX_RING 1
#define GFN_RX_RING 2
#define GFN_DATA    16 /* data pages: GFN_DATA + i, granted through REF_DATA + i */
#define REF_TX_RING 8
#define REF_RX_RING 9
#define REF_DATA    32
#define N_DATA	    64

struct fx {
	char rundir[64], hvdir[80];
	struct vsw_loop *loop;
	struct shv_hv *shv;
	pthread_t thread;
	int wake_fd;
	struct nb_hv *hv;
	unsigned int domid;
	struct nb_sim_guest *g;
	struct nb_sim_evtchn *gev;
	int gport;
	struct netif_tx_front_ring tx;
	struct netif_rx_front_ring rx;
	struct nb_backend be;
	struct nb_vif *vif;
	struct pkt_pool *pool;
};

static void
on_wake(void *arg, uint32_t events)
{
	struct fx *f = arg;
	uint64_t v;

	(void)events;
	if (read(f->wake_fd, &v, sizeof(v)) == sizeof(v))
		vsw_loop_stop(f->loop);
}

static void *
loop_thread(void *arg)
{
	vsw_loop_run(((struct fx *)arg)->loop);
	return NULL;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct netif_tx_sring *txs;
	struct netif_rx_sring *rxs;

	assert_non_null(f);
	strcpy(f->rundir, "/tmp/nb-vif-test-XXXXXX");
	assert_non_null(mkdtemp(f->rundir));
	snprintf(f->hvdir, sizeof(f->hvdir), "%s/hv", f->rundir);
	assert_int_equal(vsw_loop_create(&f->loop), 0);
	f->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_int_equal(vsw_loop_add(f->loop, f->wake_fd, EPOLLIN, on_wake, f), 0);
	assert_int_equal(shv_hv_create(&f->shv, f->loop, f->hvdir, NULL, NULL), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, loop_thread, f), 0);
	assert_int_equal(nb_hv_open(&f->hv, NB_HV_SIM, f->rundir), 0);
	assert_int_equal(nb_sim_domain_create(f->rundir, "g", 4, &f->domid), 0);
	assert_int_equal(nb_sim_guest_attach(&f->g, f->rundir, f->domid), 0);

	/* The frontend side, as netfront sets it up. */
	txs = nb_sim_guest_page(f->g, GFN_TX_RING);
	rxs = nb_sim_guest_page(f->g, GFN_RX_RING);
	SHARED_RING_INIT(txs);
	SHARED_RING_INIT(rxs);
	FRONT_RING_INIT(&f->tx, txs, 4096);
	FRONT_RING_INIT(&f->rx, rxs, 4096);
	assert_int_equal(nb_sim_guest_grant_access(f->g, REF_TX_RING, 0, GFN_TX_RING, false), 0);
	assert_int_equal(nb_sim_guest_grant_access(f->g, REF_RX_RING, 0, GFN_RX_RING, false), 0);
	for (int i = 0; i < N_DATA; i++)
		assert_int_equal(nb_sim_guest_grant_access(f->g, REF_DATA + (uint32_t)i, 0,
							   GFN_DATA + (uint64_t)i, false),
				 0);
	assert_int_equal(nb_sim_evtchn_open(&f->gev, f->rundir, f->domid), 0);
	f->gport = nb_sim_evtchn_alloc_unbound(f->gev, 0);
	assert_true(f->gport > 0);

	/* The backend side: a vif whose rings are mapped and whose data path is active. */
	f->be.cfg.hv = f->hv;
	f->vif = calloc(1, sizeof(*f->vif));
	assert_non_null(f->vif);
	f->vif->be = &f->be;
	f->vif->domid = f->domid;
	f->vif->fe.sg = true;
	f->vif->fe.rx_notify = true;
	assert_int_equal(nb_vif_map_rings(f->vif, REF_TX_RING, REF_RX_RING, (uint32_t)f->gport,
					  (uint32_t)f->gport),
			 0);
	nb_vif_dp_start(f->vif);
	assert_int_equal(pkt_pool_create(512, 0, &f->pool), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	uint64_t one = 1;
	char cmd[128];

	nb_vif_dp_stop(f->vif);
	nb_vif_unmap_rings(f->vif);
	free(f->vif);
	pkt_pool_destroy(f->pool);
	nb_sim_evtchn_close(f->gev);
	nb_sim_guest_detach(f->g);
	nb_sim_domain_destroy(f->rundir, f->domid);
	nb_hv_close(f->hv);
	assert_int_equal(write(f->wake_fd, &one, sizeof(one)), sizeof(one));
	pthread_join(f->thread, NULL);
	shv_hv_destroy(f->shv);
	vsw_loop_destroy(f->loop);
	close(f->wake_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->rundir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static uint8_t *
data_page(struct fx *f, int i)
{
	return nb_sim_guest_page(f->g, GFN_DATA + (uint64_t)i);
}

static void
fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* Queues one TX request; 'size' of the first is the whole frame. */
static void
tx_req(struct fx *f, int page, uint16_t offset, uint16_t flags, uint16_t id, uint16_t size)
{
	struct netif_tx_request *r = RING_GET_REQUEST(&f->tx, f->tx.req_prod_pvt++);

	r->gref = REF_DATA + (uint32_t)page;
	r->offset = offset;
	r->flags = flags;
	r->id = id;
	r->size = size;
}

static void
tx_push(struct fx *f)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f->tx, notify);
	(void)notify;
}

static bool
guest_kicked(struct fx *f)
{
	struct pollfd pfd = { .fd = nb_sim_evtchn_fd(f->gev), .events = POLLIN };
	int port;

	if (poll(&pfd, 1, 1000) != 1)
		return false;
	port = nb_sim_evtchn_pending(f->gev);
	if (port < 0)
		return false;
	nb_sim_evtchn_unmask(f->gev, (uint32_t)port);
	return port == f->gport;
}

static void
tx_frames_arrive_intact_and_every_slot_is_answered(void **state)
{
	struct fx *f = *state;
	struct pkt *pkts[8];
	unsigned int n;

	fill(data_page(f, 0), 60, 1);
	fill(data_page(f, 1) + 100, 3000, 2);
	fill(data_page(f, 2), 2000, 3);
	tx_req(f, 0, 0, 0, 7, 60);
	tx_req(f, 1, 100, NETTXF_more_data, 8, 5000); /* 3000 here, 2000 in the next slot */
	tx_req(f, 2, 0, 0, 9, 2000);
	tx_push(f);
	n = nb_vif_guest_tx(f->vif, f->pool, pkts, 8);
	assert_int_equal(n, 2);
	assert_int_equal(pkts[0]->len, 60);
	assert_memory_equal(pkt_data(pkts[0]), data_page(f, 0), 60);
	assert_int_equal(pkts[1]->len, 5000);
	assert_memory_equal(pkt_data(pkts[1]), data_page(f, 1) + 100, 3000);
	assert_memory_equal(pkt_data(pkts[1]) + 3000, data_page(f, 2), 2000);
	pkt_free_bulk(pkts, n);

	assert_int_equal(NB_READ_ONCE(f->tx.sring->rsp_prod), 3);
	for (unsigned int i = 0; i < 3; i++) {
		struct netif_tx_response *rsp = RING_GET_RESPONSE(&f->tx, i);

		assert_int_equal(rsp->id, 7 + i);
		assert_int_equal(rsp->status, NETIF_RSP_OKAY);
	}
	assert_true(guest_kicked(f));
	assert_false(nb_vif_is_disabled(f->vif));
}

static void
tx_from_a_revoked_grant_gets_an_error_response(void **state)
{
	struct fx *f = *state;
	struct pkt *pkts[4];
	struct nb_vif_stats st;

	assert_int_equal(nb_sim_guest_end_access(f->g, REF_DATA + 5), 0);
	tx_req(f, 5, 0, 0, 1, 100);
	tx_req(f, 6, 0, 0, 2, 100);
	tx_push(f);
	assert_int_equal(nb_vif_guest_tx(f->vif, f->pool, pkts, 4), 1);
	pkt_free(pkts[0]);
	assert_int_equal(RING_GET_RESPONSE(&f->tx, 0)->status, NETIF_RSP_ERROR);
	assert_int_equal(RING_GET_RESPONSE(&f->tx, 1)->status, NETIF_RSP_OKAY);
	nb_vif_get_stats(f->vif, &st);
	assert_int_equal(st.tx_grant_errors, 1);
	assert_false(nb_vif_is_disabled(f->vif));
}

static void
tx_runt_gets_an_error_response_and_the_vif_stays(void **state)
{
	struct fx *f = *state;
	struct pkt *pkts[4];

	tx_req(f, 0, 0, 0, 3, 10);
	tx_push(f);
	assert_int_equal(nb_vif_guest_tx(f->vif, f->pool, pkts, 4), 0);
	assert_int_equal(NB_READ_ONCE(f->tx.sring->rsp_prod), 1);
	assert_int_equal(RING_GET_RESPONSE(&f->tx, 0)->status, NETIF_RSP_ERROR);
	assert_false(nb_vif_is_disabled(f->vif));
}

/* A pool whose buffers cannot hold a frame (the DPDK engine's 2048-byte mbufs) answers it with
 * an error and goes on with the next request: retrying would stall the ring for good. */
static void
tx_frame_too_big_for_the_pool_gets_an_error_response(void **state)
{
	struct fx *f = *state;
	struct pkt_pool *small = NULL;
	struct pkt *pkts[4];
	struct nb_vif_stats st;

	assert_int_equal(pkt_pool_create(8, 2048, &small), 0);
	fill(data_page(f, 1), 3000, 2);
	fill(data_page(f, 3), 60, 4);
	tx_req(f, 1, 0, NETTXF_more_data, 1, 3000 + 100);
	tx_req(f, 2, 0, 0, 2, 100);
	tx_req(f, 3, 0, 0, 3, 60);
	tx_push(f);
	assert_int_equal(nb_vif_guest_tx(f->vif, small, pkts, 4), 1);
	assert_int_equal(pkts[0]->len, 60);
	assert_memory_equal(pkt_data(pkts[0]), data_page(f, 3), 60);
	pkt_free(pkts[0]);
	assert_int_equal(NB_READ_ONCE(f->tx.sring->rsp_prod), 3);
	assert_int_equal(RING_GET_RESPONSE(&f->tx, 0)->status, NETIF_RSP_ERROR);
	assert_int_equal(RING_GET_RESPONSE(&f->tx, 1)->status, NETIF_RSP_ERROR);
	assert_int_equal(RING_GET_RESPONSE(&f->tx, 2)->status, NETIF_RSP_OKAY);
	nb_vif_get_stats(f->vif, &st);
	assert_int_equal(st.tx_errors, 1);
	assert_int_equal(st.tx_drop_nobuf, 0);
	assert_false(nb_vif_is_disabled(f->vif));
	pkt_pool_destroy(small);
}

static void
tx_page_crossing_disables_the_vif(void **state)
{
	struct fx *f = *state;
	struct pkt *pkts[4];

	tx_req(f, 0, 4000, 0, 3, 200);
	tx_push(f);
	assert_int_equal(nb_vif_guest_tx(f->vif, f->pool, pkts, 4), 0);
	assert_true(nb_vif_is_disabled(f->vif));
	assert_int_equal(atomic_load(&f->vif->disabled_reason), NB_TX_FATAL_PAGE_CROSSING);
	/* Once disabled, the rings are left alone. */
	tx_req(f, 0, 0, 0, 4, 60);
	tx_push(f);
	assert_int_equal(nb_vif_guest_tx(f->vif, f->pool, pkts, 4), 0);
	assert_int_equal(NB_READ_ONCE(f->tx.sring->rsp_prod), 0);
}

static void
tx_producer_far_ahead_disables_the_vif(void **state)
{
	struct fx *f = *state;
	struct pkt *pkts[4];

	NB_WRITE_ONCE(f->tx.sring->req_prod, 5000u);
	assert_int_equal(nb_vif_guest_tx(f->vif, f->pool, pkts, 4), 0);
	assert_true(nb_vif_is_disabled(f->vif));
}

static void
post_rx(struct fx *f, unsigned int n, int first_page)
{
	for (unsigned int i = 0; i < n; i++) {
		struct netif_rx_request *r = RING_GET_REQUEST(&f->rx, f->rx.req_prod_pvt++);

		r->id = (uint16_t)(100 + first_page + i);
		r->gref = REF_DATA + (uint32_t)first_page + i;
	}
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f->rx, notify);
	if (notify)
		nb_sim_evtchn_notify(f->gev, (uint32_t)f->gport);
}

static struct pkt *
mkpkt(struct fx *f, uint32_t len, uint8_t seed)
{
	struct pkt *p = pkt_alloc(f->pool);

	assert_non_null(p);
	assert_non_null(pkt_put(p, len));
	fill(pkt_data(p), len, seed);
	return p;
}

static void
rx_frames_fill_posted_buffers_slot_by_slot(void **state)
{
	struct fx *f = *state;
	struct pkt *pkts[2];
	uint8_t want[6000];

	post_rx(f, 4, 10);
	pkts[0] = mkpkt(f, 100, 5);
	pkts[1] = mkpkt(f, 6000, 6);
	memcpy(want, pkt_data(pkts[1]), 6000);
	nb_vif_guest_rx(f->vif, pkts, 2);

	assert_int_equal(NB_READ_ONCE(f->rx.sring->rsp_prod), 3);
	struct netif_rx_response *r0 = RING_GET_RESPONSE(&f->rx, 0);
	struct netif_rx_response *r1 = RING_GET_RESPONSE(&f->rx, 1);
	struct netif_rx_response *r2 = RING_GET_RESPONSE(&f->rx, 2);

	assert_int_equal(r0->id, 110);
	assert_int_equal(r0->status, 100);
	assert_int_equal(r0->flags & NETRXF_more_data, 0);
	assert_int_equal(r1->id, 111);
	assert_int_equal(r1->status, 4096);
	assert_true(r1->flags & NETRXF_more_data);
	assert_int_equal(r2->id, 112);
	assert_int_equal(r2->status, 6000 - 4096);
	assert_int_equal(r2->flags & NETRXF_more_data, 0);
	assert_int_equal(r0->offset + r0->status <= 4096, 1);
	assert_memory_equal(data_page(f, 11), want, 4096);
	assert_memory_equal(data_page(f, 12), want + 4096, 6000 - 4096);
	assert_true(guest_kicked(f));
}

static void
rx_backlog_waits_for_buffers(void **state)
{
	struct fx *f = *state;
	struct pkt *p = mkpkt(f, 1000, 9);

	nb_vif_guest_rx(f->vif, &p, 1);
	assert_int_equal(NB_READ_ONCE(f->rx.sring->rsp_prod), 0);
	/* Before sleeping the worker asks to be kicked when a buffer is posted. */
	assert_false(nb_vif_arm(f->vif));
	assert_int_equal(NB_READ_ONCE(f->rx.sring->req_event), 1);
	post_rx(f, 1, 20);
	/* The guest's kick (req_event reached) wakes the backend's event channel. */
	struct pollfd pfd = { .fd = nb_vif_wait_fd(f->vif), .events = POLLIN };

	assert_int_equal(poll(&pfd, 1, 1000), 1);
	nb_vif_poll_events(f->vif);
	nb_vif_guest_rx_flush(f->vif);
	assert_int_equal(NB_READ_ONCE(f->rx.sring->rsp_prod), 1);
	assert_int_equal(RING_GET_RESPONSE(&f->rx, 0)->status, 1000);
}

static void
rx_backlog_is_bounded_in_bytes(void **state)
{
	struct fx *f = *state;
	struct nb_vif_stats st;
	unsigned int sent = 0;

	/* No buffers posted: 600 KiB of 1500-byte frames can only partly be kept. */
	while (sent < 400) {
		struct pkt *p = mkpkt(f, 1500, 1);

		nb_vif_guest_rx(f->vif, &p, 1);
		sent++;
	}
	nb_vif_get_stats(f->vif, &st);
	assert_int_equal(st.rx_drop_backlog, 400 - NB_RX_BACKLOG_BYTES / 1500);
	assert_true(f->vif->q.bl_bytes <= NB_RX_BACKLOG_BYTES);
}

static void
rx_frame_needing_many_slots_is_dropped_without_sg(void **state)
{
	struct fx *f = *state;
	struct nb_vif_stats st;
	struct pkt *p = mkpkt(f, 5000, 1);

	f->vif->fe.sg = false;
	post_rx(f, 4, 30);
	nb_vif_guest_rx(f->vif, &p, 1);
	nb_vif_get_stats(f->vif, &st);
	assert_int_equal(st.rx_drop_too_big, 1);
	assert_int_equal(NB_READ_ONCE(f->rx.sring->rsp_prod), 0);
}

static void
rx_producer_far_ahead_disables_the_vif(void **state)
{
	struct fx *f = *state;
	struct pkt *p = mkpkt(f, 100, 1);

	NB_WRITE_ONCE(f->rx.sring->req_prod, 9999u);
	nb_vif_guest_rx(f->vif, &p, 1);
	assert_true(nb_vif_is_disabled(f->vif));
	assert_int_equal(NB_READ_ONCE(f->rx.sring->rsp_prod), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(tx_frames_arrive_intact_and_every_slot_is_answered),
		T(tx_from_a_revoked_grant_gets_an_error_response),
		T(tx_runt_gets_an_error_response_and_the_vif_stays),
		T(tx_frame_too_big_for_the_pool_gets_an_error_response),
		T(tx_page_crossing_disables_the_vif),
		T(tx_producer_far_ahead_disables_the_vif),
		T(rx_frames_fill_posted_buffers_slot_by_slot),
		T(rx_backlog_waits_for_buffers),
		T(rx_backlog_is_bounded_in_bytes),
		T(rx_frame_needing_many_slots_is_dropped_without_sg),
		T(rx_producer_far_ahead_disables_the_vif),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
