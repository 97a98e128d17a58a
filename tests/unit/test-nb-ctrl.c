/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for nb-ctrl.c: the Toeplitz hash against the published RSS verification
 * vectors (Microsoft's "Verifying the RSS Hash Calculation" key and flows), hash type
 * selection on real frames, every control request with its status, and the XSA-270 cases:
 * an oversized, overflowing or out-of-range mapping, a queue number >= the queue count and
 * a failed grant copy are refused and leave the configuration exactly as it was; a producer
 * more than a ring ahead is a protocol violation.
 */
#include "netback/nb-ctrl.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static const uint8_t RSS_KEY[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* A fake grant: the page the copy callback serves, and whether it fails. */
static uint8_t page[4096];
static int copy_err;
static unsigned int n_copies;

static int
fake_copy(void *arg, uint32_t gref, void *dst, uint32_t len)
{
	(void)arg;
	n_copies++;
	if (copy_err || gref != 77 || len > sizeof(page))
		return -EPERM;
	memcpy(dst, page, len);
	return 0;
}

static struct xen_netif_ctrl_response
req(struct nb_hash_cfg *cfg, unsigned int nq, uint16_t type, uint32_t d0, uint32_t d1, uint32_t d2)
{
	struct xen_netif_ctrl_request r = { .id = 42, .type = type, .data = { d0, d1, d2 } };
	struct xen_netif_ctrl_response rsp;

	nb_ctrl_handle(cfg, nq, &r, &rsp, fake_copy, NULL);
	assert_int_equal(rsp.id, 42);
	assert_int_equal(rsp.type, type);
	return rsp;
}

static void
toeplitz_matches_the_published_rss_vectors(void **state)
{
	/* source 66.9.149.187:2794, destination 161.142.100.80:1766 */
	const uint8_t v4[12] = { 66, 9, 149, 187, 161, 142, 100, 80, 0x0a, 0xea, 0x06, 0xe6 };
	/* source 199.92.111.2:14230, destination 65.69.140.83:4739 */
	const uint8_t v4b[12] = { 199, 92, 111, 2, 65, 69, 140, 83, 0x37, 0x96, 0x12, 0x83 };

	(void)state;
	assert_int_equal(nb_toeplitz(RSS_KEY, 40, v4, 8), 0x323e8fc2);
	assert_int_equal(nb_toeplitz(RSS_KEY, 40, v4, 12), 0x51ccc178);
	assert_int_equal(nb_toeplitz(RSS_KEY, 40, v4b, 8), 0xd718262a);
	assert_int_equal(nb_toeplitz(RSS_KEY, 40, v4b, 12), 0xc626b0ea);
	/* A zero key hashes everything to zero (netif.h: an empty key). */
	assert_int_equal(nb_toeplitz(RSS_KEY, 0, v4, 12), 0);
}

static size_t
tcp4_frame(uint8_t *f, bool tcp)
{
	memset(f, 0, 64);
	f[12] = 0x08;
	f[14] = 0x45;
	f[23] = tcp ? 6 : 17;
	memcpy(f + 26, (const uint8_t[]){ 66, 9, 149, 187, 161, 142, 100, 80 }, 8);
	memcpy(f + 34, (const uint8_t[]){ 0x0a, 0xea, 0x06, 0xe6 }, 4);
	return 64;
}

static void
frames_are_hashed_by_the_enabled_type(void **state)
{
	struct nb_hash_cfg cfg = { 0 };
	uint8_t f[64], type = 0xff;
	uint32_t v = 0;

	(void)state;
	memcpy(cfg.key, RSS_KEY, 40);
	assert_false(nb_hash_frame(&cfg, f, (uint32_t)tcp4_frame(f, true), &type, &v));
	cfg.alg = XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ;
	cfg.types = XEN_NETIF_CTRL_HASH_TYPE_IPV4 | XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP;
	assert_true(nb_hash_frame(&cfg, f, (uint32_t)tcp4_frame(f, true), &type, &v));
	assert_int_equal(type, _XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP);
	assert_int_equal(v, 0x51ccc178);
	/* UDP: addresses only. */
	assert_true(nb_hash_frame(&cfg, f, (uint32_t)tcp4_frame(f, false), &type, &v));
	assert_int_equal(type, _XEN_NETIF_CTRL_HASH_TYPE_IPV4);
	assert_int_equal(v, 0x323e8fc2);
	/* Types not enabled, truncated frames and other ethertypes are not hashed. */
	cfg.types = XEN_NETIF_CTRL_HASH_TYPE_IPV6;
	assert_false(nb_hash_frame(&cfg, f, (uint32_t)tcp4_frame(f, true), &type, &v));
	cfg.types = NB_HASH_TYPES_ALL;
	assert_false(nb_hash_frame(&cfg, f, 30, &type, &v));
	f[12] = 0x08;
	f[13] = 0x06;
	assert_false(nb_hash_frame(&cfg, f, 64, &type, &v));
}

static void
every_request_gets_its_status(void **state)
{
	struct nb_hash_cfg cfg = { 0 };
	struct xen_netif_ctrl_response r;

	(void)state;
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS, 0, 0, 0);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED); /* no algorithm yet */
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS, XEN_NETIF_CTRL_HASH_TYPE_IPV4, 0, 0);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER);
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM, 7, 0, 0);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER);
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM,
		XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ, 0, 0);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_SUCCESS);
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS, 0, 0, 0);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_SUCCESS);
	assert_int_equal(r.data, NB_HASH_TYPES_ALL);
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS, 0x10, 0, 0);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER);
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS, XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP, 0,
		0);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_SUCCESS);
	assert_int_equal(cfg.types, XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP);
	/* Key: at most 40 bytes, the rest zeroed, a failed copy changes nothing. */
	memcpy(page, RSS_KEY, 40);
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, 77, 41, 0);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER);
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, 77, 40, 0);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_SUCCESS);
	assert_memory_equal(cfg.key, RSS_KEY, 40);
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, 77, 4, 0);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_SUCCESS);
	assert_memory_equal(cfg.key, RSS_KEY, 4);
	assert_int_equal(cfg.key[4], 0);
	copy_err = 1;
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, 77, 40, 0);
	copy_err = 0;
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER);
	assert_int_equal(cfg.key[4], 0);
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE, 0, 0, 0);
	assert_int_equal(r.data, NB_HASH_MAPPING_MAX);
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE, 129, 0, 0);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER);
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_ADD_GREF_MAPPING, 0, 0, 0);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED);
	r = req(&cfg, 4, 0xffff, 0, 0, 0);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED);
}

static void
mapping_updates_are_validated_before_they_are_committed(void **state)
{
	struct nb_hash_cfg cfg = { 0 }, before;
	struct xen_netif_ctrl_response r;
	uint32_t *t = (uint32_t *)page;

	(void)state;
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE, 128, 0, 0);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_SUCCESS);
	for (int i = 0; i < 128; i++)
		t[i] = (uint32_t)(i % 4);
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, 77, 64, 64);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_SUCCESS);
	assert_int_equal(cfg.mapping[64 + 5], 1);
	assert_int_equal(cfg.mapping[5], 0);
	before = cfg;
	n_copies = 0;
	/* Longer than a page of entries, past the table, 32-bit wrap of off + len. */
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, 77, 1025, 0);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER);
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, 77, 65, 64);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER);
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, 77, 2, 0xffffffffu);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER);
	assert_int_equal(n_copies, 0); /* refused before touching guest memory */
	/* A queue number >= the queue count anywhere in the table: nothing is committed. */
	t[10] = 4;
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, 77, 20, 0);
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER);
	copy_err = 1;
	r = req(&cfg, 4, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, 77, 8, 0);
	copy_err = 0;
	assert_int_equal(r.status, XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
	/* Queue selection: through the table, else modulo. */
	assert_int_equal(nb_hash_queue(&cfg, 64 + 7, 4), 3);
	cfg.mapping_size = 0;
	assert_int_equal(nb_hash_queue(&cfg, 10, 4), 2);
	assert_int_equal(nb_hash_queue(&cfg, 10, 1), 0);
}

static void
the_ring_is_answered_in_order_and_a_wild_producer_is_fatal(void **state)
{
	static union {
		struct xen_netif_ctrl_sring s;
		uint8_t b[4096];
	} sh __attribute__((aligned(4096)));
	struct xen_netif_ctrl_front_ring front;
	struct xen_netif_ctrl_back_ring back;
	struct nb_hash_cfg cfg = { 0 };
	bool notify;

	(void)state;
	SHARED_RING_INIT(&sh.s);
	FRONT_RING_INIT(&front, &sh.s, 4096);
	BACK_RING_INIT(&back, &sh.s, 4096);
	for (uint16_t i = 0; i < 3; i++) {
		struct xen_netif_ctrl_request *r = RING_GET_REQUEST(&front, front.req_prod_pvt++);

		r->id = (uint16_t)(100 + i);
		r->type = i == 1 ? XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM
				 : XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE;
		r->data[0] = XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ;
	}
	RING_PUSH_REQUESTS(&front);
	assert_int_equal(nb_ctrl_process(&back, &cfg, 1, fake_copy, NULL, &notify), 3);
	assert_true(notify);
	for (uint16_t i = 0; i < 3; i++) {
		struct xen_netif_ctrl_response *r = RING_GET_RESPONSE(&front, i);

		assert_int_equal(r->id, 100 + i);
		assert_int_equal(r->status, XEN_NETIF_CTRL_STATUS_SUCCESS);
	}
	assert_int_equal(cfg.alg, XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ);
	assert_int_equal(nb_ctrl_process(&back, &cfg, 1, fake_copy, NULL, &notify), 0);
	sh.s.req_prod += RING_SIZE(&back) + 1;
	assert_int_equal(nb_ctrl_process(&back, &cfg, 1, fake_copy, NULL, &notify), -EPROTO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(toeplitz_matches_the_published_rss_vectors),
		cmocka_unit_test(frames_are_hashed_by_the_enabled_type),
		cmocka_unit_test(every_request_gets_its_status),
		cmocka_unit_test(mapping_updates_are_validated_before_they_are_committed),
		cmocka_unit_test(the_ring_is_answered_in_order_and_a_wild_producer_is_fatal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
