/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the ring layer of tools/guest/netfront.c: TX requests built for frames of
 * every length (multi-slot, more_data, whole length in the first request), TX response
 * handling (errors, NULL slots, hostile ids and producers), RX response parsing (more_data
 * chains, extra-info slots, error and zero-length slots, partial packets, hostile backends),
 * reposting of RX buffers, notification hold-off, and the id allocator. The backend side is
 * played by the test on rings in private memory.
 */
#include "tools/guest/netfront.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define PAGE	   NB_XEN_PAGE_SIZE
#define N_GNT	   1024u
#define TX_REF0	   100u
#define RX_REF0	   500u
#define MAX_FRAMES 64u

struct fx {
	struct netif_tx_sring *tx_sring;
	struct netif_rx_sring *rx_sring;
	uint8_t *mem; /* 512 pages: TX buffers, then RX buffers */
	uint8_t *tx_pages[NB_NF_TX_RING_SIZE];
	uint8_t *rx_pages[NB_NF_RX_RING_SIZE];
	uint32_t tx_refs[NB_NF_TX_RING_SIZE];
	uint32_t rx_refs[NB_NF_RX_RING_SIZE];
	grant_entry_v1_t gnt[N_GNT];
	struct nb_nf_tx tx;
	struct nb_nf_rx *rx;
	struct nb_nf_stats st;
	/* backend side */
	RING_IDX tx_req_cons;
	RING_IDX tx_rsp_prod;
	RING_IDX rx_rsp_prod;
	/* frames delivered by nb_nf_rx_poll() */
	unsigned int n_frames;
	size_t frame_size[MAX_FRAMES];
	uint8_t *frames[MAX_FRAMES];
	int deliver_ret;
};

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	unsigned int i;

	assert_non_null(f);
	f->tx_sring = aligned_alloc(PAGE, PAGE);
	f->rx_sring = aligned_alloc(PAGE, PAGE);
	f->mem = aligned_alloc(PAGE, 512u * PAGE);
	f->rx = calloc(1, sizeof(*f->rx));
	assert_non_null(f->tx_sring);
	assert_non_null(f->rx_sring);
	assert_non_null(f->mem);
	assert_non_null(f->rx);
	memset(f->mem, 0xee, 512u * PAGE);
	for (i = 0; i < NB_NF_TX_RING_SIZE; i++) {
		f->tx_pages[i] = f->mem + (size_t)i * PAGE;
		f->tx_refs[i] = TX_REF0 + i;
	}
	for (i = 0; i < NB_NF_RX_RING_SIZE; i++) {
		f->rx_pages[i] = f->mem + (size_t)(256 + i) * PAGE;
		f->rx_refs[i] = RX_REF0 + i;
	}
	nb_nf_tx_init(&f->tx, f->tx_sring, f->tx_pages, f->tx_refs, f->gnt, N_GNT);
	nb_nf_rx_init(f->rx, f->rx_sring, f->rx_pages, f->rx_refs, f->gnt, N_GNT);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;
	unsigned int i;

	for (i = 0; i < f->n_frames; i++)
		free(f->frames[i]);
	free(f->rx);
	free(f->mem);
	free(f->rx_sring);
	free(f->tx_sring);
	free(f);
	return 0;
}

/* Ring entry 'idx' (ring.h declares the array with one element, so index it by hand). */
static union netif_tx_sring_entry *
tx_entry(struct fx *f, RING_IDX idx)
{
	return (union netif_tx_sring_entry *)(void *)((uint8_t *)f->tx_sring->ring +
						      (idx & (NB_NF_TX_RING_SIZE - 1)) *
							      sizeof(union netif_tx_sring_entry));
}

static union netif_rx_sring_entry *
rx_entry(struct fx *f, RING_IDX idx)
{
	return (union netif_rx_sring_entry *)(void *)((uint8_t *)f->rx_sring->ring +
						      (idx & (NB_NF_RX_RING_SIZE - 1)) *
							      sizeof(union netif_rx_sring_entry));
}

/* ---- backend side helpers ---- */

/* Page of the TX buffer a grant ref names. */
static const uint8_t *
tx_page_of(struct fx *f, uint32_t gref)
{
	assert_true(gref >= TX_REF0 && gref < TX_REF0 + NB_NF_TX_RING_SIZE);
	return f->tx_pages[gref - TX_REF0];
}

static struct netif_tx_request
tx_req_at(struct fx *f, RING_IDX idx)
{
	return tx_entry(f, idx)->req;
}

static void
tx_respond(struct fx *f, uint16_t id, int16_t status)
{
	struct netif_tx_response *rsp = &tx_entry(f, f->tx_rsp_prod)->rsp;

	rsp->id = id;
	rsp->status = status;
	f->tx_rsp_prod++;
}

static void
tx_publish(struct fx *f)
{
	f->tx_sring->rsp_prod = f->tx_rsp_prod;
}

/* Answers every published TX request with 'status', as netback does. */
static unsigned int
tx_answer_all(struct fx *f, int16_t status)
{
	unsigned int n = 0;

	while (f->tx_req_cons != f->tx_sring->req_prod) {
		struct netif_tx_request req = tx_req_at(f, f->tx_req_cons++);

		tx_respond(f, req.id, status);
		n++;
	}
	tx_publish(f);
	return n;
}

/* Writes an RX response in slot 'idx' answering the request posted there. */
static void
rx_put(struct fx *f, RING_IDX idx, uint16_t offset, uint16_t flags, int16_t status)
{
	union netif_rx_sring_entry *e = rx_entry(f, idx);
	uint16_t id = e->req.id;

	e->rsp.id = id;
	e->rsp.offset = offset;
	e->rsp.flags = flags;
	e->rsp.status = status;
}

static void
rx_put_extra(struct fx *f, RING_IDX idx, uint8_t type, uint8_t flags)
{
	struct netif_extra_info *x = (struct netif_extra_info *)rx_entry(f, idx);

	memset(x, 0, sizeof(*x));
	x->type = type;
	x->flags = flags;
	x->u.gso.size = 1448;
	x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
}

/* The page a posted RX request in slot 'idx' names. */
static uint8_t *
rx_page_at(struct fx *f, RING_IDX idx)
{
	uint32_t gref = rx_entry(f, idx)->req.gref;

	assert_true(gref >= RX_REF0 && gref < RX_REF0 + NB_NF_RX_RING_SIZE);
	return f->rx_pages[gref - RX_REF0];
}

/* One data slot: fills its page with bytes seeded by 'seed' and answers it. */
static void
rx_put_data(struct fx *f, RING_IDX idx, uint16_t offset, uint16_t flags, uint16_t size,
	    uint8_t seed)
{
	uint8_t *page = rx_page_at(f, idx);
	unsigned int i;

	for (i = 0; i < size; i++)
		page[offset + i] = (uint8_t)(seed + i);
	rx_put(f, idx, offset, flags, (int16_t)size);
}

static void
rx_publish(struct fx *f, RING_IDX prod)
{
	f->rx_rsp_prod = prod;
	f->rx_sring->rsp_prod = prod;
}

static int
deliver(void *arg, const uint8_t *frame, size_t size)
{
	struct fx *f = arg;

	if (f->deliver_ret)
		return f->deliver_ret;
	assert_true(f->n_frames < MAX_FRAMES);
	f->frames[f->n_frames] = malloc(size);
	assert_non_null(f->frames[f->n_frames]);
	memcpy(f->frames[f->n_frames], frame, size);
	f->frame_size[f->n_frames] = size;
	f->n_frames++;
	return 0;
}

static int
poll_rx(struct fx *f, unsigned int budget, bool *more)
{
	bool m = false;
	int n = nb_nf_rx_poll(f->rx, budget, deliver, f, &f->st, &m);

	if (more)
		*more = m;
	return n;
}

/* ---- id allocator ---- */

static void
idalloc_hands_out_each_free_id_once_and_never_reserved_ones(void **state)
{
	struct nb_nf_idalloc a;
	bool seen[100] = { false };
	uint64_t id;
	unsigned int i;

	(void)state;
	assert_int_equal(nb_nf_idalloc_init(&a, 100, 8), 0);
	for (i = 0; i < 92; i++) {
		assert_int_equal(nb_nf_idalloc_get(&a, &id), 0);
		assert_true(id >= 8 && id < 100);
		assert_false(seen[id]);
		seen[id] = true;
	}
	assert_int_equal(nb_nf_idalloc_get(&a, &id), -ENOSPC);
	assert_int_equal(nb_nf_idalloc_put(&a, 42), 0);
	assert_int_equal(nb_nf_idalloc_get(&a, &id), 0);
	assert_int_equal(id, 42);
	assert_int_equal(nb_nf_idalloc_get(&a, &id), -ENOSPC);
	nb_nf_idalloc_fini(&a);
}

static void
idalloc_put_rejects_reserved_foreign_and_double_frees(void **state)
{
	struct nb_nf_idalloc a;
	uint64_t id;

	(void)state;
	assert_int_equal(nb_nf_idalloc_init(&a, 130, 8), 0);
	assert_int_equal(nb_nf_idalloc_put(&a, 3), -EINVAL);
	assert_int_equal(nb_nf_idalloc_put(&a, 130), -EINVAL);
	assert_int_equal(nb_nf_idalloc_put(&a, 100), -EINVAL);
	assert_int_equal(nb_nf_idalloc_get(&a, &id), 0);
	assert_int_equal(nb_nf_idalloc_put(&a, id), 0);
	assert_int_equal(nb_nf_idalloc_put(&a, id), -EINVAL);
	nb_nf_idalloc_fini(&a);
	assert_int_equal(nb_nf_idalloc_init(&a, 0, 0), -EINVAL);
	assert_int_equal(nb_nf_idalloc_init(&a, 10, 11), -EINVAL);
	assert_int_equal(nb_nf_idalloc_init(&a, (1ull << 32) + 1, 0), -EINVAL);
	assert_int_equal(nb_nf_idalloc_init(&a, 8, 8), 0);
	assert_int_equal(nb_nf_idalloc_get(&a, &id), -ENOSPC);
	nb_nf_idalloc_fini(&a);
}

/* ---- TX ---- */

static void
tx_slot_count_covers_every_frame_length(void **state)
{
	(void)state;
	assert_int_equal(nb_nf_tx_slots_for(0), 0);
	assert_int_equal(nb_nf_tx_slots_for(1), 1);
	assert_int_equal(nb_nf_tx_slots_for(4096), 1);
	assert_int_equal(nb_nf_tx_slots_for(4097), 2);
	assert_int_equal(nb_nf_tx_slots_for(61440), 15);
	assert_int_equal(nb_nf_tx_slots_for(61441), 16);
	assert_int_equal(nb_nf_tx_slots_for(65535), 16);
	assert_int_equal(nb_nf_tx_slots_for(65536), 0);
}

/* Every length 1..65535: one request per page at offset 0, more_data on all but the last,
 * first size = whole length, later sizes = their bytes, distinct in-range ids. */
static void
tx_requests_for_every_frame_length_1_to_65535(void **state)
{
	struct fx *f = *state;
	size_t size;

	for (size = 1; size <= NB_NF_MAX_FRAME_BYTES; size++) {
		unsigned int n = nb_nf_tx_slots_for(size), k;
		RING_IDX start = f->tx.ring.req_prod_pvt;
		bool used[NB_NF_TX_RING_SIZE] = { false };
		size_t sum = 0;

		if (nb_nf_tx_commit(&f->tx, size) != (int)n)
			fail_msg("size %zu: commit did not use %u slots", size, n);
		for (k = 0; k < n; k++) {
			struct netif_tx_request req;

			req = *RING_GET_REQUEST(&f->tx.ring, start + k);
			if (req.offset != 0 || req.id >= NB_NF_TX_RING_SIZE || used[req.id] ||
			    req.gref != f->tx_refs[req.id])
				fail_msg("size %zu slot %u: bad offset/id/gref", size, k);
			used[req.id] = true;
			if (!!(req.flags & NETTXF_more_data) != (k + 1 < n) ||
			    (req.flags & ~NETTXF_more_data))
				fail_msg("size %zu slot %u: flags 0x%x", size, k, req.flags);
			if (k == 0) {
				if (req.size != size)
					fail_msg("size %zu: first request says %u", size, req.size);
			} else {
				if (req.size == 0 || req.size > PAGE)
					fail_msg("size %zu slot %u: size %u", size, k, req.size);
				sum += req.size;
			}
		}
		/* What the first slot carries itself is the rest, and fits its page. */
		if (size - sum == 0 || size - sum > PAGE)
			fail_msg("size %zu: first slot would carry %zu", size, size - sum);
		nb_nf_tx_push(&f->tx);
		assert_int_equal(tx_answer_all(f, NETIF_RSP_OKAY), n);
		assert_int_equal(nb_nf_tx_gc(&f->tx, &f->st), (int)n);
		assert_int_equal(nb_nf_tx_slots_free(&f->tx), NB_NF_TX_RING_SIZE);
	}
	assert_int_equal(f->st.tx_errors, 0);
}

static void
tx_send_copies_frame_bytes_into_the_granted_pages(void **state)
{
	struct fx *f = *state;
	static const size_t sizes[] = { 1, 60, 4096, 4097, 9000, 65535 };
	static uint8_t frame[NB_NF_MAX_FRAME_BYTES];
	unsigned int s;
	size_t i;

	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		RING_IDX idx = f->tx.ring.req_prod_pvt;
		size_t size = sizes[s], off = 0;
		unsigned int n = nb_nf_tx_slots_for(size), k;

		for (i = 0; i < size; i++)
			frame[i] = (uint8_t)(i * 7 + s);
		assert_int_equal(nb_nf_tx_send(&f->tx, frame, size), (int)n);
		for (k = 0; k < n; k++) {
			struct netif_tx_request req = *RING_GET_REQUEST(&f->tx.ring, idx + k);
			/* The first slot is filled to the page; its size field is the total. */
			size_t len = k == 0 ? (n == 1 ? size : PAGE) : req.size;

			assert_memory_equal(tx_page_of(f, req.gref) + req.offset, frame + off, len);
			off += len;
		}
		assert_int_equal(off, size);
		nb_nf_tx_push(&f->tx);
		tx_answer_all(f, NETIF_RSP_OKAY);
		assert_int_equal(nb_nf_tx_gc(&f->tx, &f->st), (int)n);
	}
}

static void
tx_prepare_names_the_pages_commit_then_uses(void **state)
{
	struct fx *f = *state;
	struct iovec iov[NB_NF_TX_MAX_SLOTS];
	unsigned int k;

	assert_int_equal(nb_nf_tx_prepare(&f->tx, iov), NB_NF_TX_MAX_SLOTS);
	for (k = 0; k < 3; k++) {
		assert_int_equal(iov[k].iov_len, PAGE);
		memset(iov[k].iov_base, 0x40 + k, PAGE);
	}
	assert_int_equal(nb_nf_tx_commit(&f->tx, 9000), 3);
	for (k = 0; k < 3; k++) {
		struct netif_tx_request req = *RING_GET_REQUEST(&f->tx.ring, k);

		assert_ptr_equal(tx_page_of(f, req.gref), iov[k].iov_base);
	}
}

static void
tx_full_ring_refuses_frames_until_responses_free_slots(void **state)
{
	struct fx *f = *state;
	static uint8_t frame[NB_NF_MAX_FRAME_BYTES];
	struct iovec iov[NB_NF_TX_MAX_SLOTS];
	unsigned int i;

	for (i = 0; i < NB_NF_TX_RING_SIZE / NB_NF_TX_MAX_SLOTS; i++)
		assert_int_equal(nb_nf_tx_send(&f->tx, frame, sizeof(frame)), 16);
	assert_int_equal(nb_nf_tx_slots_free(&f->tx), 0);
	assert_int_equal(nb_nf_tx_send(&f->tx, frame, 60), -ENOSPC);
	assert_int_equal(nb_nf_tx_prepare(&f->tx, iov), -ENOSPC);
	assert_int_equal(nb_nf_tx_commit(&f->tx, 60), -ENOSPC);
	nb_nf_tx_push(&f->tx);
	/* The backend answers the first packet only. */
	for (i = 0; i < 16; i++)
		tx_respond(f, tx_req_at(f, f->tx_req_cons++).id, NETIF_RSP_OKAY);
	tx_publish(f);
	assert_int_equal(nb_nf_tx_gc(&f->tx, &f->st), 16);
	assert_int_equal(nb_nf_tx_slots_free(&f->tx), 16);
	/* 16 pages but no ring entry left for a GSO extra: not yet. */
	assert_int_equal(nb_nf_tx_prepare(&f->tx, iov), -ENOSPC);
	tx_respond(f, tx_req_at(f, f->tx_req_cons++).id, NETIF_RSP_OKAY);
	tx_publish(f);
	assert_int_equal(nb_nf_tx_gc(&f->tx, &f->st), 1);
	assert_int_equal(nb_nf_tx_prepare(&f->tx, iov), NB_NF_TX_MAX_SLOTS);
	assert_int_equal(nb_nf_tx_send(&f->tx, frame, 60), 1);
}

static void
tx_rejects_empty_and_oversized_frames(void **state)
{
	struct fx *f = *state;
	static uint8_t frame[NB_NF_MAX_FRAME_BYTES + 1];

	assert_int_equal(nb_nf_tx_send(&f->tx, frame, 0), -EINVAL);
	assert_int_equal(nb_nf_tx_send(&f->tx, frame, sizeof(frame)), -EINVAL);
	assert_int_equal(nb_nf_tx_send(&f->tx, NULL, 60), -EINVAL);
	assert_int_equal(nb_nf_tx_commit(&f->tx, 0), -EINVAL);
	assert_int_equal(nb_nf_tx_commit(&f->tx, NB_NF_MAX_FRAME_BYTES + 1), -EINVAL);
	assert_int_equal(f->tx.ring.req_prod_pvt, 0);
	assert_int_equal(nb_nf_tx_slots_free(&f->tx), NB_NF_TX_RING_SIZE);
}

static void
tx_push_notifies_only_when_the_backend_asked(void **state)
{
	struct fx *f = *state;
	uint8_t frame[60] = { 0 };

	/* SHARED_RING_INIT leaves req_event = 1: the first request wakes the backend. */
	assert_int_equal(nb_nf_tx_send(&f->tx, frame, sizeof(frame)), 1);
	assert_true(nb_nf_tx_push(&f->tx));
	assert_int_equal(f->tx_sring->req_prod, 1);
	/* The backend is still busy (wants an event only from request 10 on). */
	f->tx_sring->req_event = 10;
	assert_int_equal(nb_nf_tx_send(&f->tx, frame, sizeof(frame)), 1);
	assert_false(nb_nf_tx_push(&f->tx));
	/* Nothing new: no event either. */
	assert_false(nb_nf_tx_push(&f->tx));
	/* The backend went idle after request 2. */
	f->tx_sring->req_event = 3;
	assert_int_equal(nb_nf_tx_send(&f->tx, frame, sizeof(frame)), 1);
	assert_true(nb_nf_tx_push(&f->tx));
}

static void
tx_error_responses_count_each_packet_once_and_free_its_slots(void **state)
{
	struct fx *f = *state;
	static uint8_t frame[9000];

	assert_int_equal(nb_nf_tx_send(&f->tx, frame, sizeof(frame)), 3);
	assert_int_equal(nb_nf_tx_send(&f->tx, frame, 60), 1);
	nb_nf_tx_push(&f->tx);
	tx_respond(f, tx_req_at(f, 0).id, NETIF_RSP_ERROR);
	tx_respond(f, tx_req_at(f, 1).id, NETIF_RSP_ERROR);
	tx_respond(f, tx_req_at(f, 2).id, NETIF_RSP_ERROR);
	tx_respond(f, tx_req_at(f, 3).id, NETIF_RSP_DROPPED);
	tx_publish(f);
	assert_int_equal(nb_nf_tx_gc(&f->tx, &f->st), 4);
	assert_int_equal(f->st.tx_errors, 2);
	assert_int_equal(nb_nf_tx_slots_free(&f->tx), NB_NF_TX_RING_SIZE);
	/* The final check asked for an event on the next response. */
	assert_int_equal(f->tx_sring->rsp_event, 5);
}

static void
tx_null_responses_are_skipped_without_id_checks(void **state)
{
	struct fx *f = *state;
	uint8_t frame[60] = { 0 };

	assert_int_equal(nb_nf_tx_send(&f->tx, frame, sizeof(frame)), 1);
	assert_int_equal(nb_nf_tx_send(&f->tx, frame, sizeof(frame)), 1);
	nb_nf_tx_push(&f->tx);
	tx_respond(f, tx_req_at(f, 0).id, NETIF_RSP_OKAY);
	tx_respond(f, 0xffff, NETIF_RSP_NULL);
	tx_publish(f);
	assert_int_equal(nb_nf_tx_gc(&f->tx, &f->st), 2);
	assert_int_equal(f->st.tx_errors, 0);
	/* The second packet's id is still in flight. */
	assert_int_equal(nb_nf_tx_slots_free(&f->tx), NB_NF_TX_RING_SIZE - 1);
	assert_true(f->tx.in_flight[tx_req_at(f, 1).id]);
}

static void
tx_out_of_range_or_inactive_ids_are_violations(void **state)
{
	struct fx *f = *state;
	uint8_t frame[60] = { 0 };
	uint16_t id;

	assert_int_equal(nb_nf_tx_send(&f->tx, frame, sizeof(frame)), 1);
	nb_nf_tx_push(&f->tx);
	tx_respond(f, NB_NF_TX_RING_SIZE, NETIF_RSP_OKAY);
	tx_publish(f);
	assert_int_equal(nb_nf_tx_gc(&f->tx, &f->st), -EPROTO);

	fx_teardown(state);
	fx_setup(state);
	f = *state;
	assert_int_equal(nb_nf_tx_send(&f->tx, frame, sizeof(frame)), 1);
	id = tx_req_at(f, 0).id;
	nb_nf_tx_push(&f->tx);
	tx_respond(f, (uint16_t)(id + 1), NETIF_RSP_OKAY);
	tx_publish(f);
	assert_int_equal(nb_nf_tx_gc(&f->tx, &f->st), -EPROTO);

	/* The same id answered twice. */
	fx_teardown(state);
	fx_setup(state);
	f = *state;
	assert_int_equal(nb_nf_tx_send(&f->tx, frame, sizeof(frame)), 1);
	assert_int_equal(nb_nf_tx_send(&f->tx, frame, sizeof(frame)), 1);
	id = tx_req_at(f, 0).id;
	nb_nf_tx_push(&f->tx);
	tx_respond(f, id, NETIF_RSP_OKAY);
	tx_respond(f, id, NETIF_RSP_OKAY);
	tx_publish(f);
	assert_int_equal(nb_nf_tx_gc(&f->tx, &f->st), -EPROTO);
}

static void
tx_more_responses_than_published_requests_is_a_violation(void **state)
{
	struct fx *f = *state;
	uint8_t frame[60] = { 0 };

	assert_int_equal(nb_nf_tx_send(&f->tx, frame, sizeof(frame)), 1);
	nb_nf_tx_push(&f->tx);
	/* A request queued but not yet published cannot have been answered. */
	assert_int_equal(nb_nf_tx_send(&f->tx, frame, sizeof(frame)), 1);
	tx_respond(f, tx_req_at(f, 0).id, NETIF_RSP_OKAY);
	tx_respond(f, 1, NETIF_RSP_OKAY);
	tx_publish(f);
	assert_int_equal(nb_nf_tx_gc(&f->tx, &f->st), -EPROTO);
	/* A producer far beyond the ring. */
	f->tx_sring->rsp_prod = 1000;
	assert_int_equal(nb_nf_tx_gc(&f->tx, &f->st), -EPROTO);
}

static void
tx_response_while_grant_still_in_use_is_a_violation(void **state)
{
	struct fx *f = *state;
	uint8_t frame[60] = { 0 };
	struct netif_tx_request req;

	assert_int_equal(nb_nf_tx_send(&f->tx, frame, sizeof(frame)), 1);
	nb_nf_tx_push(&f->tx);
	req = tx_req_at(f, 0);
	f->gnt[req.gref].flags = GTF_permit_access | GTF_readonly | GTF_reading;
	tx_respond(f, req.id, NETIF_RSP_OKAY);
	tx_publish(f);
	assert_int_equal(nb_nf_tx_gc(&f->tx, &f->st), -EPROTO);
	f->gnt[req.gref].flags = GTF_permit_access | GTF_readonly;
	assert_int_equal(nb_nf_tx_gc(&f->tx, &f->st), 1);
}

/* ---- RX ---- */

static void
rx_init_posts_a_request_for_every_slot(void **state)
{
	struct fx *f = *state;
	unsigned int i;

	assert_true(nb_nf_rx_push(f->rx));
	assert_int_equal(f->rx_sring->req_prod, NB_NF_RX_RING_SIZE);
	for (i = 0; i < NB_NF_RX_RING_SIZE; i++) {
		assert_int_equal(rx_entry(f, i)->req.id, i);
		assert_int_equal(rx_entry(f, i)->req.gref, RX_REF0 + i);
	}
	/* Nothing new to publish: no event. */
	assert_false(nb_nf_rx_push(f->rx));
}

static void
rx_single_slot_frame_is_delivered_and_its_page_reposted(void **state)
{
	struct fx *f = *state;
	bool more = true;
	unsigned int i;

	nb_nf_rx_push(f->rx);
	rx_put_data(f, 0, 10, 0, 60, 0x30);
	rx_publish(f, 1);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, &more), 1);
	assert_false(more);
	assert_int_equal(f->n_frames, 1);
	assert_int_equal(f->frame_size[0], 60);
	for (i = 0; i < 60; i++)
		assert_int_equal(f->frames[0][i], (uint8_t)(0x30 + i));
	assert_int_equal(f->st.rx_packets, 1);
	/* Slot 0 holds the request again, same id and page; published by the push. */
	assert_int_equal(rx_entry(f, 0)->req.id, 0);
	assert_int_equal(rx_entry(f, 0)->req.gref, RX_REF0);
	assert_int_equal(f->rx_sring->req_prod, NB_NF_RX_RING_SIZE);
	nb_nf_rx_push(f->rx);
	assert_int_equal(f->rx_sring->req_prod, NB_NF_RX_RING_SIZE + 1);
	assert_int_equal(f->rx_sring->rsp_event, 2);
}

static void
rx_more_data_chain_is_gathered_in_order(void **state)
{
	struct fx *f = *state;
	unsigned int i;

	nb_nf_rx_push(f->rx);
	rx_put_data(f, 0, 0, NETRXF_more_data | NETRXF_data_validated, 4096, 1);
	rx_put_data(f, 1, 0, NETRXF_more_data, 4096, 2);
	rx_put_data(f, 2, 100, 0, 100, 3);
	rx_publish(f, 3);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), 1);
	assert_int_equal(f->n_frames, 1);
	assert_int_equal(f->frame_size[0], 8292);
	for (i = 0; i < 4096; i++)
		assert_int_equal(f->frames[0][i], (uint8_t)(1 + i));
	for (i = 0; i < 4096; i++)
		assert_int_equal(f->frames[0][4096 + i], (uint8_t)(2 + i));
	for (i = 0; i < 100; i++)
		assert_int_equal(f->frames[0][8192 + i], (uint8_t)(3 + i));
	assert_int_equal(f->rx->ring.req_prod_pvt, NB_NF_RX_RING_SIZE + 3);
}

static void
rx_extra_info_slots_are_skipped(void **state)
{
	struct fx *f = *state;

	nb_nf_rx_push(f->rx);
	rx_put_data(f, 0, 0, NETRXF_extra_info | NETRXF_more_data, 1000, 7);
	rx_put_extra(f, 1, XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE);
	rx_put_extra(f, 2, XEN_NETIF_EXTRA_TYPE_HASH, 0);
	rx_put_data(f, 3, 0, 0, 500, 9);
	/* A second packet right behind. */
	rx_put_data(f, 4, 0, 0, 64, 11);
	rx_publish(f, 5);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), 2);
	assert_int_equal(f->n_frames, 2);
	assert_int_equal(f->frame_size[0], 1500);
	assert_int_equal(f->frames[0][999], (uint8_t)(7 + 999));
	assert_int_equal(f->frames[0][1000], 9);
	assert_int_equal(f->frame_size[1], 64);
	assert_int_equal(f->st.rx_errors, 0);
	/* Extra slots' buffers went back too. */
	assert_int_equal(f->rx->ring.req_prod_pvt, NB_NF_RX_RING_SIZE + 5);
	assert_int_equal(rx_entry(f, 1)->req.id, 1);
	assert_int_equal(rx_entry(f, 2)->req.gref, RX_REF0 + 2);
}

static void
rx_error_status_drops_the_whole_packet(void **state)
{
	struct fx *f = *state;

	nb_nf_rx_push(f->rx);
	rx_put(f, 0, 0, 0, NETIF_RSP_ERROR);
	rx_put_data(f, 1, 0, NETRXF_more_data, 4096, 1);
	rx_put(f, 2, 0, NETRXF_more_data, NETIF_RSP_DROPPED);
	rx_put_data(f, 3, 0, 0, 10, 1);
	rx_put_data(f, 4, 0, 0, 80, 5);
	rx_publish(f, 5);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), 3);
	assert_int_equal(f->st.rx_errors, 2);
	assert_int_equal(f->st.rx_packets, 1);
	assert_int_equal(f->n_frames, 1);
	assert_int_equal(f->frame_size[0], 80);
	assert_int_equal(f->rx->ring.req_prod_pvt, NB_NF_RX_RING_SIZE + 5);
}

static void
rx_bad_extra_types_drop_the_packet(void **state)
{
	struct fx *f = *state;

	nb_nf_rx_push(f->rx);
	rx_put_data(f, 0, 0, NETRXF_extra_info, 100, 1);
	rx_put_extra(f, 1, XEN_NETIF_EXTRA_TYPE_NONE, 0);
	rx_put_data(f, 2, 0, NETRXF_extra_info, 100, 1);
	rx_put_extra(f, 3, XEN_NETIF_EXTRA_TYPE_MAX, 0);
	rx_put_data(f, 4, 0, 0, 100, 1);
	rx_publish(f, 5);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), 3);
	assert_int_equal(f->st.rx_errors, 2);
	assert_int_equal(f->n_frames, 1);
}

static void
rx_chain_longer_than_the_slot_limit_is_dropped(void **state)
{
	struct fx *f = *state;
	unsigned int i, n = NB_NF_RX_MAX_SLOTS + 1;

	nb_nf_rx_push(f->rx);
	for (i = 0; i < n; i++)
		rx_put_data(f, i, 0, i + 1 < n ? NETRXF_more_data : 0, 100, 1);
	rx_put_data(f, n, 0, 0, 100, 2);
	rx_publish(f, n + 1);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), 2);
	assert_int_equal(f->st.rx_errors, 1);
	assert_int_equal(f->n_frames, 1);
	assert_int_equal(f->frames[0][0], 2);

	/* Exactly the limit is fine. */
	fx_teardown(state);
	fx_setup(state);
	f = *state;
	nb_nf_rx_push(f->rx);
	for (i = 0; i < NB_NF_RX_MAX_SLOTS; i++)
		rx_put_data(f, i, 0, i + 1 < NB_NF_RX_MAX_SLOTS ? NETRXF_more_data : 0, 4096, 1);
	rx_publish(f, NB_NF_RX_MAX_SLOTS);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), 1);
	assert_int_equal(f->st.rx_errors, 0);
	assert_int_equal(f->frame_size[0], NB_NF_RX_MAX_SLOTS * 4096u);
}

static void
rx_zero_length_slots_are_allowed_but_runts_are_dropped(void **state)
{
	struct fx *f = *state;

	nb_nf_rx_push(f->rx);
	rx_put_data(f, 0, 0, NETRXF_more_data, 60, 1);
	rx_put_data(f, 1, 0, NETRXF_more_data, 0, 1);
	rx_put_data(f, 2, 4096 - 40, 0, 40, 61);
	rx_put_data(f, 3, 0, 0, NB_NF_ETH_HLEN - 1, 1);
	rx_put(f, 4, 4096, 0, 0);
	rx_publish(f, 5);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), 3);
	assert_int_equal(f->n_frames, 1);
	assert_int_equal(f->frame_size[0], 100);
	assert_int_equal(f->frames[0][60], 61);
	assert_int_equal(f->st.rx_errors, 2);
}

static void
rx_partial_packet_waits_for_its_last_slot(void **state)
{
	struct fx *f = *state;
	bool more = true;

	nb_nf_rx_push(f->rx);
	rx_put_data(f, 0, 0, 0, 60, 1);
	rx_put_data(f, 1, 0, NETRXF_more_data, 4096, 1);
	rx_publish(f, 2);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, &more), 1);
	assert_false(more);
	assert_int_equal(f->rx->ring.rsp_cons, 1);
	/* Woken by the next response, not by the one already seen. */
	assert_int_equal(f->rx_sring->rsp_event, 3);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, &more), 0);
	rx_put_data(f, 2, 0, 0, 10, 1);
	rx_publish(f, 3);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, &more), 1);
	assert_int_equal(f->n_frames, 2);
	assert_int_equal(f->frame_size[1], 4106);
	assert_int_equal(f->rx->ring.rsp_cons, 3);

	/* The same while the extra-info slots are still missing. */
	rx_put_data(f, 3, 0, NETRXF_extra_info, 60, 1);
	rx_publish(f, 4);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, &more), 0);
	rx_put_extra(f, 4, XEN_NETIF_EXTRA_TYPE_GSO, 0);
	rx_publish(f, 5);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, &more), 1);
	assert_int_equal(f->n_frames, 3);
}

static void
rx_data_beyond_the_page_is_a_violation(void **state)
{
	struct fx *f = *state;

	nb_nf_rx_push(f->rx);
	rx_put(f, 0, 4000, 0, 200);
	rx_publish(f, 1);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), -EPROTO);
	assert_int_equal(f->n_frames, 0);

	fx_teardown(state);
	fx_setup(state);
	f = *state;
	nb_nf_rx_push(f->rx);
	rx_put_data(f, 0, 0, NETRXF_more_data, 100, 1);
	rx_put(f, 1, 1, 0, 4096);
	rx_publish(f, 2);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), -EPROTO);
}

static void
rx_response_id_not_matching_its_slot_is_a_violation(void **state)
{
	struct fx *f = *state;

	nb_nf_rx_push(f->rx);
	rx_put_data(f, 0, 0, 0, 60, 1);
	rx_entry(f, 0)->rsp.id = 5;
	rx_publish(f, 1);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), -EPROTO);

	fx_teardown(state);
	fx_setup(state);
	f = *state;
	nb_nf_rx_push(f->rx);
	rx_put_data(f, 0, 0, NETRXF_more_data, 60, 1);
	rx_put_data(f, 1, 0, 0, 60, 1);
	rx_entry(f, 1)->rsp.id = 0x1001;
	rx_publish(f, 2);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), -EPROTO);
}

static void
rx_more_responses_than_requests_is_a_violation(void **state)
{
	struct fx *f = *state;

	/* Nothing published yet: not even one response is possible. */
	rx_publish(f, 1);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), -EPROTO);
	nb_nf_rx_push(f->rx);
	rx_publish(f, NB_NF_RX_RING_SIZE + 1);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), -EPROTO);
	rx_publish(f, 0xfffffff0u);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), -EPROTO);
}

static void
rx_chain_filling_the_whole_ring_is_a_violation(void **state)
{
	struct fx *f = *state;
	unsigned int i;

	nb_nf_rx_push(f->rx);
	for (i = 0; i < NB_NF_RX_RING_SIZE; i++)
		rx_put_data(f, i, 0, NETRXF_more_data, 100, 1);
	rx_publish(f, NB_NF_RX_RING_SIZE);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), -EPROTO);
}

static void
rx_response_while_grant_still_in_use_is_a_violation(void **state)
{
	struct fx *f = *state;

	nb_nf_rx_push(f->rx);
	rx_put_data(f, 0, 0, 0, 60, 1);
	f->gnt[RX_REF0].flags = GTF_permit_access | GTF_writing;
	rx_publish(f, 1);
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), -EPROTO);
	f->gnt[RX_REF0].flags = GTF_permit_access;
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), 1);
}

static void
rx_budget_limits_packets_and_reports_more(void **state)
{
	struct fx *f = *state;
	bool more = false;
	unsigned int i;

	nb_nf_rx_push(f->rx);
	for (i = 0; i < 10; i++)
		rx_put_data(f, i, 0, 0, 60, (uint8_t)i);
	rx_publish(f, 10);
	assert_int_equal(poll_rx(f, 4, &more), 4);
	assert_true(more);
	assert_int_equal(poll_rx(f, 4, &more), 4);
	assert_true(more);
	assert_int_equal(poll_rx(f, 4, &more), 2);
	assert_false(more);
	assert_int_equal(f->n_frames, 10);
	for (i = 0; i < 10; i++)
		assert_int_equal(f->frames[i][0], i);
}

static void
rx_refused_delivery_counts_a_drop(void **state)
{
	struct fx *f = *state;

	nb_nf_rx_push(f->rx);
	rx_put_data(f, 0, 0, 0, 60, 1);
	rx_publish(f, 1);
	f->deliver_ret = -EAGAIN;
	assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), 1);
	assert_int_equal(f->st.drops, 1);
	assert_int_equal(f->st.rx_packets, 0);
	assert_int_equal(f->rx->ring.req_prod_pvt, NB_NF_RX_RING_SIZE + 1);
}

/* Many laps of the ring: the backend answers whatever request sits in each slot, so the
 * frontend's reposted ids and pages must stay consistent across wrap-around. */
static void
rx_ring_stays_consistent_over_many_laps(void **state)
{
	struct fx *f = *state;
	RING_IDX prod = 0;
	unsigned int round, i, total = 0;

	nb_nf_rx_push(f->rx);
	for (round = 0; round < 100; round++) {
		unsigned int n = 1 + round % 7;

		for (i = 0; i < n; i++) {
			/* Two-slot packets: 4096 + (round + i) % 100 + 20 bytes. */
			rx_put_data(f, prod, 0, NETRXF_more_data, 4096, (uint8_t)round);
			rx_put_data(f, prod + 1, 0, 0, (uint16_t)(20 + (round + i) % 100),
				    (uint8_t)(round + 1));
			prod += 2;
		}
		rx_publish(f, prod);
		assert_int_equal(poll_rx(f, NB_NF_BATCH, NULL), (int)n);
		nb_nf_rx_push(f->rx);
		assert_int_equal(f->rx_sring->req_prod, prod + NB_NF_RX_RING_SIZE);
		for (i = 0; i < f->n_frames; i++)
			free(f->frames[i]);
		total += f->n_frames;
		f->n_frames = 0;
	}
	assert_true(prod > 2 * NB_NF_RX_RING_SIZE);
	assert_int_equal(f->st.rx_packets, total);
	assert_int_equal(f->st.rx_errors, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(idalloc_hands_out_each_free_id_once_and_never_reserved_ones),
		cmocka_unit_test(idalloc_put_rejects_reserved_foreign_and_double_frees),
		cmocka_unit_test(tx_slot_count_covers_every_frame_length),
		cmocka_unit_test_setup_teardown(tx_requests_for_every_frame_length_1_to_65535,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(tx_send_copies_frame_bytes_into_the_granted_pages,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(tx_prepare_names_the_pages_commit_then_uses,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
			tx_full_ring_refuses_frames_until_responses_free_slots, fx_setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(tx_rejects_empty_and_oversized_frames, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(tx_push_notifies_only_when_the_backend_asked,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
			tx_error_responses_count_each_packet_once_and_free_its_slots, fx_setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(tx_null_responses_are_skipped_without_id_checks,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(tx_out_of_range_or_inactive_ids_are_violations,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
			tx_more_responses_than_published_requests_is_a_violation, fx_setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(tx_response_while_grant_still_in_use_is_a_violation,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(rx_init_posts_a_request_for_every_slot, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(
			rx_single_slot_frame_is_delivered_and_its_page_reposted, fx_setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(rx_more_data_chain_is_gathered_in_order, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(rx_extra_info_slots_are_skipped, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(rx_error_status_drops_the_whole_packet, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(rx_bad_extra_types_drop_the_packet, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(rx_chain_longer_than_the_slot_limit_is_dropped,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
			rx_zero_length_slots_are_allowed_but_runts_are_dropped, fx_setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(rx_partial_packet_waits_for_its_last_slot, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(rx_data_beyond_the_page_is_a_violation, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(rx_response_id_not_matching_its_slot_is_a_violation,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(rx_more_responses_than_requests_is_a_violation,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(rx_chain_filling_the_whole_ring_is_a_violation,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(rx_response_while_grant_still_in_use_is_a_violation,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(rx_budget_limits_packets_and_reports_more, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(rx_refused_delivery_counts_a_drop, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(rx_ring_stays_consistent_over_many_laps, fx_setup,
						fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
