/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of a vif's guest-TX consumer against hostile rings, on the fake hypervisor of
 * tests/nb-fake-hv.h (every copied byte checked, every copy destination inside a packet
 * buffer). The unit-level half of the hostile-frontend suite (test-hostile-suite.sh):
 * - copy-once (XSA-155): a second thread rewrites every request slot while the backend
 *   consumes them; the backend never reads or writes out of bounds (run under ASan by
 *   `make check-san`), answers every request it consumed exactly once, delivers only sane
 *   frames made of granted bytes, and when it disables the vif it names a fatal reason;
 * - XSA-448: zero-length fragments are answered OKAY and the frame is delivered intact;
 * - XSA-432: 18 slots, 16 of them one byte, 42 bytes in all, delivered intact;
 * - a revoked grant in the middle of a packet: ERROR for each slot, counted, vif stays up.
 */
#include "tests/nb-fake-hv.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#define POOL_PKTS 64u

struct fx {
	struct nbf_hv hv;
	struct nb_backend be;
	struct nb_vif vif;
	struct pkt_pool *pool;
	struct netif_tx_front_ring tx;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	if (nbf_hv_init(&f->hv) != 0)
		fail_msg("%s", f->hv.why);
	assert_int_equal(pkt_pool_create(POOL_PKTS, 0, &f->pool), 0);
	assert_int_equal(nbf_hv_add_pool(&f->hv, f->pool, POOL_PKTS), 0);
	FRONT_RING_INIT(&f->tx, (struct netif_tx_sring *)f->hv.tx_page, NB_XEN_PAGE_SIZE);
	assert_int_equal(nbf_vif_init(&f->hv, &f->be, &f->vif), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	nbf_vif_fini(&f->vif);
	pkt_pool_destroy(f->pool);
	nbf_hv_fini(&f->hv);
	free(f);
	return 0;
}

static void
put_req(struct fx *f, uint32_t gref, uint16_t offset, uint16_t flags, uint16_t id, uint16_t size)
{
	struct netif_tx_request *r = RING_GET_REQUEST(&f->tx, f->tx.req_prod_pvt++);

	r->gref = gref;
	r->offset = offset;
	r->flags = flags;
	r->id = id;
	r->size = size;
}

static void
push(struct fx *f)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f->tx, notify);
	(void)notify;
}

/* Takes what the ring holds; checks every delivered frame; returns the count delivered. */
static unsigned int
take(struct fx *f)
{
	struct pkt *pkts[NB_TX_BURST_MAX];
	unsigned int n;

	nbf_log_reset(&f->hv);
	n = nb_vif_guest_tx(&f->vif, f->pool, pkts, NB_TX_BURST_MAX);
	for (unsigned int i = 0; i < n; i++)
		if (nbf_check_pkt(&f->hv, pkts[i]) != 0)
			fail_msg("delivered frame: %s", f->hv.why);
	pkt_free_bulk(pkts, n);
	return n;
}

/* Counts the responses the backend pushed since the last call: OKAY, ERROR, NULL. */
static void
responses(struct fx *f, unsigned int *okay, unsigned int *error)
{
	RING_IDX prod = f->tx.sring->rsp_prod;

	*okay = *error = 0;
	for (; f->tx.rsp_cons != prod; f->tx.rsp_cons++) {
		int16_t st = RING_GET_RESPONSE(&f->tx, f->tx.rsp_cons)->status;

		*okay += st == NETIF_RSP_OKAY;
		*error += st == NETIF_RSP_ERROR;
	}
}

static void
test_zero_length_fragments(void **state)
{
	struct fx *f = *state;
	struct nb_vif_stats st;
	unsigned int okay, error;

	/* 14 + 0 + 20 + 0 + 30 + 0 bytes (XSA-448). */
	put_req(f, 1, 0, NETTXF_more_data, 1, 64);
	put_req(f, 2, 0, NETTXF_more_data, 2, 0);
	put_req(f, 3, 100, NETTXF_more_data, 3, 20);
	put_req(f, 4, 0, NETTXF_more_data, 4, 0);
	put_req(f, 5, 4000, NETTXF_more_data, 5, 30);
	put_req(f, 6, 0, 0, 6, 0);
	push(f);
	assert_int_equal(take(f), 1);
	responses(f, &okay, &error);
	assert_int_equal(okay, 6);
	assert_int_equal(error, 0);
	nb_vif_get_stats(&f->vif, &st);
	assert_int_equal(st.tx_bytes, 64);
	assert_false(nb_vif_is_disabled(&f->vif));
}

static void
test_eighteen_tiny_slots(void **state)
{
	struct fx *f = *state;
	unsigned int okay, error;

	/* XSA-432: the most slots a packet may have, far below the 128-byte header copy. */
	put_req(f, 0, 0, NETTXF_more_data, 0, 42);
	for (uint16_t i = 1; i < 17; i++)
		put_req(f, i, i, NETTXF_more_data, i, 1);
	put_req(f, 17, 4084, 0, 17, 12);
	push(f);
	assert_int_equal(take(f), 1);
	responses(f, &okay, &error);
	assert_int_equal(okay, 18);
	assert_int_equal(error, 0);
}

static void
test_revoked_grant_mid_packet(void **state)
{
	struct fx *f = *state;
	struct nb_vif_stats st;
	unsigned int okay, error;

	f->hv.ref_status[9] = GNTST_general_error; /* the guest ended access to ref 9 */
	put_req(f, 8, 0, NETTXF_more_data, 1, 300);
	put_req(f, 9, 0, NETTXF_more_data, 2, 100);
	put_req(f, 10, 0, 0, 3, 100);
	put_req(f, 11, 0, 0, 4, 60); /* the next packet is fine */
	push(f);
	assert_int_equal(take(f), 1);
	responses(f, &okay, &error);
	assert_int_equal(error, 3);
	assert_int_equal(okay, 1);
	nb_vif_get_stats(&f->vif, &st);
	assert_int_equal(st.tx_grant_errors, 1);
	assert_int_equal(st.tx_packets, 1);
	assert_false(nb_vif_is_disabled(&f->vif));
}

struct writer {
	struct netif_tx_sring *s;
	_Atomic bool stop;
	unsigned long writes;
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	unsigned int seed = 12345;

	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		for (unsigned int i = 0; i < 256; i++) {
			struct netif_tx_request *r = &w->s->ring[i].req;
			unsigned int x = (unsigned int)rand_r(&seed);

			/* Values that flip between valid and invalid between two reads. */
			NB_WRITE_ONCE(r->gref, x % (NBF_REFS + 4));
			NB_WRITE_ONCE(r->offset, (uint16_t)((x >> 4) % 4200));
			NB_WRITE_ONCE(r->flags, (uint16_t)((x >> 8) & 0xf));
			NB_WRITE_ONCE(r->size, (uint16_t)(x >> 12));
			NB_WRITE_ONCE(r->id, (uint16_t)(x >> 16));
		}
		w->writes++;
	}
	return NULL;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
test_concurrent_writer_copy_once(void **state)
{
	struct fx *f = *state;
	struct netif_tx_sring *s = (struct netif_tx_sring *)f->hv.tx_page;
	struct writer w = { .s = s };
	unsigned long passes = 0, delivered = 0, disables = 0;
	unsigned int seed = 777;
	uint64_t end = now_ms() + 1500;
	pthread_t t;

	atomic_init(&w.stop, false);
	assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);
	while (now_ms() < end) {
		struct nb_queue *q = &f->vif.q;
		RING_IDX cons0 = q->tx.req_cons, rsp0 = q->tx.rsp_prod_pvt;
		RING_IDX prod = NB_READ_ONCE(s->req_prod);

		/* The producer advances by a few slots, never past what the ring can hold. */
		if (prod - rsp0 < RING_SIZE(&q->tx) - 8) {
			NB_WRITE_ONCE(s->req_prod, prod + 1 + (unsigned int)rand_r(&seed) % 8);
		}
		delivered += take(f);
		passes++;
		assert_int_equal(q->tx.req_cons - cons0, q->tx.rsp_prod_pvt - rsp0);
		assert_true(q->tx.req_cons - cons0 <= RING_SIZE(&q->tx));
		if (nb_vif_is_disabled(&f->vif)) {
			int reason = atomic_load(&f->vif.disabled_reason);

			assert_true(reason >= 0 && reason < NB_TX_N_VERDICTS);
			assert_true(nb_tx_verdict_is_fatal((enum nb_tx_verdict)reason));
			/* Disabled: the ring is not touched any more. */
			cons0 = q->tx.req_cons;
			assert_int_equal(take(f), 0);
			assert_int_equal(q->tx.req_cons, cons0);
			disables++;
			/* The frontend reconnects: fresh indices, a new vif. */
			nbf_vif_fini(&f->vif);
			NB_WRITE_ONCE(s->req_prod, 0);
			NB_WRITE_ONCE(s->rsp_prod, 0);
			assert_int_equal(nbf_vif_init(&f->hv, &f->be, &f->vif), 0);
		}
	}
	atomic_store(&w.stop, true);
	pthread_join(t, NULL);
	print_message("concurrent writer: %lu passes, %lu frames delivered, %lu disables, "
		      "%lu ring rewrites\n",
		      passes, delivered, disables, w.writes);
	assert_true(passes > 100);
	assert_true(w.writes > 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_zero_length_fragments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eighteen_tiny_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoked_grant_mid_packet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writer_copy_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
