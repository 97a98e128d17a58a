/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for nb-txreq.c: each check of Linux netback's TX request validation (fact sheet
 * §4.1/§4.4) on a ring built in private memory, with the verdict and the slots consumed.
 */
#include "netback/nb-private.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct fake_ring {
	struct netif_tx_back_ring back;
	struct netif_tx_sring *sring;
	RING_IDX prod;
};

static int
ring_setup(void **state)
{
	struct fake_ring *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->sring = aligned_alloc(4096, 4096);
	assert_non_null(r->sring);
	memset(r->sring, 0, 4096);
	SHARED_RING_INIT(r->sring);
	BACK_RING_INIT(&r->back, r->sring, 4096);
	*state = r;
	return 0;
}

static int
ring_teardown(void **state)
{
	struct fake_ring *r = *state;

	free(r->sring);
	free(r);
	return 0;
}

static void
put_req(struct fake_ring *r, uint32_t gref, uint16_t offset, uint16_t flags, uint16_t id,
	uint16_t size)
{
	struct netif_tx_request *req = RING_GET_REQUEST(&r->back, r->prod++);

	req->gref = gref;
	req->offset = offset;
	req->flags = flags;
	req->id = id;
	req->size = size;
}

static void
put_extra(struct fake_ring *r, uint8_t type, uint8_t flags, uint16_t gso_size, uint8_t gso_type)
{
	struct netif_extra_info *e =
		(struct netif_extra_info *)RING_GET_REQUEST(&r->back, r->prod++);

	memset(e, 0, sizeof(*e));
	e->type = type;
	e->flags = flags;
	e->u.gso.size = gso_size;
	e->u.gso.type = gso_type;
}

/* A packet of 'n' data slots: the first carries 'first_own' bytes, the rest 'frag' each. */
static void
put_chain(struct fake_ring *r, unsigned int n, uint16_t first_own, uint16_t frag)
{
	unsigned int i;
	uint16_t total = (uint16_t)(first_own + (n - 1) * frag);

	put_req(r, 100, 0, n > 1 ? NETTXF_more_data : 0, 1, total);
	for (i = 1; i < n; i++)
		put_req(r, 100 + i, 0, i + 1 < n ? NETTXF_more_data : 0, (uint16_t)(1 + i), frag);
}

static enum nb_tx_verdict
parse(struct fake_ring *r, struct nb_tx_pkt *pkt)
{
	return nb_tx_parse(&r->back, r->back.req_cons, r->prod, pkt);
}

static void
empty_ring_consumes_nothing(void **state)
{
	struct nb_tx_pkt pkt;

	assert_int_equal(parse(*state, &pkt), NB_TX_EMPTY);
	assert_int_equal(pkt.n_consumed, 0);
}

static void
single_slot_packet_is_accepted(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	put_req(r, 7, 128, NETTXF_csum_blank, 42, 60);
	assert_int_equal(parse(r, &pkt), NB_TX_OK);
	assert_int_equal(pkt.n_consumed, 1);
	assert_int_equal(pkt.n_slots, 1);
	assert_int_equal(pkt.size, 60);
	assert_int_equal(pkt.slots[0].gref, 7);
	assert_int_equal(pkt.slots[0].offset, 128);
	assert_int_equal(pkt.slots[0].size, 60);
	assert_int_equal(pkt.slots[0].id, 42);
	assert_int_equal(pkt.flags, NETTXF_csum_blank);
}

static void
first_slot_size_is_total_minus_fragments(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	put_req(r, 1, 0, NETTXF_more_data, 1, 9000);
	put_req(r, 2, 0, NETTXF_more_data, 2, 4096);
	put_req(r, 3, 100, 0, 3, 904);
	assert_int_equal(parse(r, &pkt), NB_TX_OK);
	assert_int_equal(pkt.n_slots, 3);
	assert_int_equal(pkt.size, 9000);
	assert_int_equal(pkt.slots[0].size, 4000);
	assert_int_equal(pkt.slots[1].size, 4096);
	assert_int_equal(pkt.slots[2].size, 904);
	assert_int_equal(pkt.slots[2].offset, 100);
}

static void
eighteen_slots_are_accepted(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	put_chain(r, 18, 100, 100);
	assert_int_equal(parse(r, &pkt), NB_TX_OK);
	assert_int_equal(pkt.n_slots, 18);
	assert_int_equal(pkt.n_consumed, 18);
}

static void
nineteen_slots_are_dropped_with_every_slot_consumed(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;
	unsigned int i;

	put_chain(r, 19, 100, 100);
	assert_int_equal(parse(r, &pkt), NB_TX_DROP_TOO_MANY_SLOTS);
	assert_int_equal(pkt.n_consumed, 19);
	assert_int_equal(pkt.n_slots, 19);
	for (i = 0; i < 19; i++)
		assert_int_equal(pkt.slots[i].id, 1 + i);
	assert_false(nb_tx_verdict_is_fatal(NB_TX_DROP_TOO_MANY_SLOTS));
}

static void
twenty_slots_disable_the_vif(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;
	enum nb_tx_verdict v;

	put_chain(r, 20, 100, 100);
	v = parse(r, &pkt);
	assert_int_equal(v, NB_TX_FATAL_MALICIOUS_SLOTS);
	assert_true(nb_tx_verdict_is_fatal(v));
}

static void
chain_past_producer_is_fatal(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	put_req(r, 1, 0, NETTXF_more_data, 1, 200);
	put_req(r, 2, 0, NETTXF_more_data, 2, 50);
	assert_int_equal(parse(r, &pkt), NB_TX_FATAL_MISSING_SLOT);
}

static void
fragment_larger_than_remainder_is_dropped(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	/* Announced 100 bytes in all, but the fragments carry 4000: the total wrapped. */
	put_req(r, 1, 0, NETTXF_more_data, 1, 100);
	put_req(r, 2, 0, NETTXF_more_data, 2, 4000);
	put_req(r, 3, 0, 0, 3, 10);
	assert_int_equal(parse(r, &pkt), NB_TX_DROP_FRAG_TOO_BIG);
	assert_int_equal(pkt.n_consumed, 3);
	assert_int_equal(pkt.slots[2].id, 3);
}

static void
frame_of_64k_or_more_is_dropped(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;
	unsigned int i;

	/* 17 full pages = 69632 bytes cannot be described by the u16 total: any total
	 * the frontend writes is smaller than the fragments. */
	put_req(r, 1, 0, NETTXF_more_data, 1, 65535);
	for (i = 1; i < 17; i++)
		put_req(r, 1 + i, 0, i + 1 < 17 ? NETTXF_more_data : 0, (uint16_t)(1 + i), 4096);
	assert_int_equal(parse(r, &pkt), NB_TX_DROP_FRAG_TOO_BIG);
	assert_int_equal(pkt.n_consumed, 17);
}

static void
first_slot_crossing_a_page_is_fatal(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	put_req(r, 1, 4000, 0, 1, 200);
	assert_int_equal(parse(r, &pkt), NB_TX_FATAL_PAGE_CROSSING);
}

static void
fragment_crossing_a_page_is_fatal(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	put_req(r, 1, 0, NETTXF_more_data, 1, 300);
	put_req(r, 2, 4095, 0, 2, 2);
	assert_int_equal(parse(r, &pkt), NB_TX_FATAL_PAGE_CROSSING);
}

static void
runt_first_fragment_is_dropped(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	put_req(r, 1, 0, 0, 1, 13);
	assert_int_equal(parse(r, &pkt), NB_TX_DROP_RUNT);
	assert_int_equal(pkt.n_consumed, 1);
}

static void
eighteen_one_byte_slots_are_a_runt(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	/* Headers split across tiny slots (XSA-423/432 shape): the first fragment holds 1 byte. */
	put_chain(r, 18, 1, 1);
	assert_int_equal(parse(r, &pkt), NB_TX_DROP_RUNT);
	assert_int_equal(pkt.n_consumed, 18);
	assert_int_equal(pkt.n_slots, 18);
}

static void
headers_split_across_one_byte_fragments_are_accepted(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	put_chain(r, 18, 14, 1);
	assert_int_equal(parse(r, &pkt), NB_TX_OK);
	assert_int_equal(pkt.size, 14 + 17);
	assert_int_equal(pkt.slots[0].size, 14);
	assert_int_equal(pkt.slots[17].size, 1);
}

static void
zero_length_fragment_is_kept_as_empty_slot(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	put_req(r, 1, 0, NETTXF_more_data, 1, 64);
	put_req(r, 2, 0, NETTXF_more_data, 2, 0);
	put_req(r, 3, 0, 0, 3, 4);
	assert_int_equal(parse(r, &pkt), NB_TX_OK);
	assert_int_equal(pkt.n_slots, 3);
	assert_int_equal(pkt.slots[1].size, 0);
	assert_int_equal(pkt.slots[0].size, 60);
}

static void
gso_extra_is_carried(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	put_req(r, 1, 0, NETTXF_extra_info | NETTXF_csum_blank, 1, 1514);
	put_extra(r, XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, XEN_NETIF_GSO_TYPE_TCPV4);
	assert_int_equal(parse(r, &pkt), NB_TX_OK);
	assert_int_equal(pkt.n_extras, 1);
	assert_int_equal(pkt.n_consumed, 2);
	assert_true(pkt.has_gso);
	assert_int_equal(pkt.gso_size, 1448);
	assert_int_equal(pkt.gso_type, XEN_NETIF_GSO_TYPE_TCPV4);
}

static void
chained_extras_are_all_consumed(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	put_req(r, 1, 0, NETTXF_extra_info | NETTXF_more_data, 1, 2000);
	put_extra(r, XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE, 1440,
		  XEN_NETIF_GSO_TYPE_TCPV6);
	put_extra(r, XEN_NETIF_EXTRA_TYPE_HASH, 0, 0, 0);
	put_req(r, 2, 0, 0, 2, 1000);
	assert_int_equal(parse(r, &pkt), NB_TX_OK);
	assert_int_equal(pkt.n_extras, 2);
	assert_int_equal(pkt.n_slots, 2);
	assert_int_equal(pkt.n_consumed, 4);
	assert_true(pkt.has_hash);
	assert_int_equal(pkt.gso_type, XEN_NETIF_GSO_TYPE_TCPV6);
}

static void
gso_size_zero_is_fatal(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	put_req(r, 1, 0, NETTXF_extra_info, 1, 1514);
	put_extra(r, XEN_NETIF_EXTRA_TYPE_GSO, 0, 0, XEN_NETIF_GSO_TYPE_TCPV4);
	assert_int_equal(parse(r, &pkt), NB_TX_FATAL_GSO_SIZE);
}

static void
unknown_gso_type_is_fatal(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	put_req(r, 1, 0, NETTXF_extra_info, 1, 1514);
	put_extra(r, XEN_NETIF_EXTRA_TYPE_GSO, 0, 1000, 7);
	assert_int_equal(parse(r, &pkt), NB_TX_FATAL_GSO_TYPE);
}

static void
extra_of_type_none_is_fatal(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	put_req(r, 1, 0, NETTXF_extra_info, 1, 60);
	put_extra(r, XEN_NETIF_EXTRA_TYPE_NONE, 0, 0, 0);
	assert_int_equal(parse(r, &pkt), NB_TX_FATAL_BAD_EXTRA);
}

static void
extra_of_type_max_is_fatal(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	put_req(r, 1, 0, NETTXF_extra_info, 1, 60);
	put_extra(r, XEN_NETIF_EXTRA_TYPE_MAX, 0, 0, 0);
	assert_int_equal(parse(r, &pkt), NB_TX_FATAL_BAD_EXTRA);
}

static void
missing_extra_is_fatal(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	put_req(r, 1, 0, NETTXF_extra_info, 1, 60);
	put_extra(r, XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE, 1000, 1);
	assert_int_equal(parse(r, &pkt), NB_TX_FATAL_MISSING_EXTRA);
}

static void
multicast_add_is_a_dummy_request(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;
	struct netif_extra_info *e;
	static const uint8_t mac[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };

	put_req(r, 0, 0, NETTXF_extra_info, 9, 0);
	e = (struct netif_extra_info *)RING_GET_REQUEST(&r->back, r->prod++);
	memset(e, 0, sizeof(*e));
	e->type = XEN_NETIF_EXTRA_TYPE_MCAST_ADD;
	memcpy(e->u.mcast.addr, mac, 6);
	assert_int_equal(parse(r, &pkt), NB_TX_MCAST_OP);
	assert_int_equal(pkt.n_consumed, 2);
	assert_int_equal(pkt.mcast_op, 1);
	assert_memory_equal(pkt.mcast_addr, mac, 6);
	assert_int_equal(pkt.first_id, 9);
}

static void
producer_more_than_a_ring_ahead_is_fatal(void **state)
{
	struct fake_ring *r = *state;

	assert_int_equal(nb_tx_check_prod(&r->back, 256), NB_TX_OK);
	assert_int_equal(nb_tx_check_prod(&r->back, 257), NB_TX_FATAL_PROD_OVERFLOW);
	/* Wrapped garbage far behind is just as impossible. */
	assert_int_equal(nb_tx_check_prod(&r->back, 0xfffffff0u), NB_TX_FATAL_PROD_OVERFLOW);
}

static void
parsing_across_the_index_wrap_works(void **state)
{
	struct fake_ring *r = *state;
	struct nb_tx_pkt pkt;

	/* Free-running indices near 2^32: slots wrap both the ring and the counter. */
	r->back.req_cons = r->back.rsp_prod_pvt = r->prod = 0xffffffffu;
	put_chain(r, 3, 100, 100);
	assert_int_equal(parse(r, &pkt), NB_TX_OK);
	assert_int_equal(pkt.n_consumed, 3);
	assert_int_equal(pkt.first_idx, 0xffffffffu);
}

static void
verdicts_have_names(void **state)
{
	int v;

	(void)state;
	for (v = 0; v < NB_TX_N_VERDICTS; v++) {
		assert_non_null(nb_tx_verdict_name((enum nb_tx_verdict)v));
		assert_string_not_equal(nb_tx_verdict_name((enum nb_tx_verdict)v), "UNKNOWN");
	}
	assert_string_equal(nb_tx_verdict_name(NB_TX_DROP_RUNT), "DROP_RUNT");
}

#define T(f) cmocka_unit_test_setup_teardown(f, ring_setup, ring_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(empty_ring_consumes_nothing),
		T(single_slot_packet_is_accepted),
		T(first_slot_size_is_total_minus_fragments),
		T(eighteen_slots_are_accepted),
		T(nineteen_slots_are_dropped_with_every_slot_consumed),
		T(twenty_slots_disable_the_vif),
		T(chain_past_producer_is_fatal),
		T(fragment_larger_than_remainder_is_dropped),
		T(frame_of_64k_or_more_is_dropped),
		T(first_slot_crossing_a_page_is_fatal),
		T(fragment_crossing_a_page_is_fatal),
		T(runt_first_fragment_is_dropped),
		T(eighteen_one_byte_slots_are_a_runt),
		T(headers_split_across_one_byte_fragments_are_accepted),
		T(zero_length_fragment_is_kept_as_empty_slot),
		T(gso_extra_is_carried),
		T(chained_extras_are_all_consumed),
		T(gso_size_zero_is_fatal),
		T(unknown_gso_type_is_fatal),
		T(extra_of_type_none_is_fatal),
		T(extra_of_type_max_is_fatal),
		T(missing_extra_is_fatal),
		T(multicast_add_is_a_dummy_request),
		T(producer_more_than_a_ring_ahead_is_fatal),
		T(parsing_across_the_index_wrap_works),
		T(verdicts_have_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
