/* SPDX-License-Identifier: MIT */
/*
 * test-pkt.c - unit tests of vswitch/pkt: pool creation limits, exhaustion and reuse,
 * metadata reset, headroom/tailroom arithmetic, 64 KiB frames, bulk and batch operations,
 * double-free detection and packet copies; external pools (a free stack in front of a backing
 * store): refill, spill, double free of a packet in the store, destroy.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vswitch/pkt.h"

static struct pkt_pool *
make_pool(unsigned int n, uint32_t data_size)
{
	struct pkt_pool *pool = NULL;

	assert_int_equal(pkt_pool_create(n, data_size, &pool), 0);
	assert_non_null(pool);
	return pool;
}

static unsigned int
pool_free(const struct pkt_pool *pool)
{
	struct pkt_pool_stats st;

	pkt_pool_get_stats(pool, &st);
	return st.n_free;
}

static void
pool_create_rejects_bad_sizes(void **state)
{
	struct pkt_pool *pool = NULL;

	(void)state;
	assert_int_equal(pkt_pool_create(0, 0, &pool), -EINVAL);
	assert_int_equal(pkt_pool_create(PKT_POOL_MAX_PKTS + 1, 2048, &pool), -EINVAL);
	assert_int_equal(pkt_pool_create(4, PKT_DATA_MIN_BYTES - 1, &pool), -EINVAL);
	assert_int_equal(pkt_pool_create(4, PKT_DATA_MAX_BYTES + 1, &pool), -EINVAL);
	assert_null(pool);
	pkt_pool_destroy(NULL);
}

static void
pool_exhaustion_returns_null_and_counts(void **state)
{
	struct pkt_pool *pool = make_pool(4, 2048);
	struct pkt *p[4];
	struct pkt_pool_stats st;

	(void)state;
	for (int i = 0; i < 4; i++) {
		p[i] = pkt_alloc(pool);
		assert_non_null(p[i]);
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(p[i], p[j]);
	}
	assert_null(pkt_alloc(pool));
	assert_null(pkt_alloc(pool));
	pkt_pool_get_stats(pool, &st);
	assert_int_equal(st.n_pkts, 4);
	assert_int_equal(st.n_free, 0);
	assert_int_equal(st.alloc_fail, 2);
	pkt_free_bulk(p, 4);
	assert_int_equal(pool_free(pool), 4);
	pkt_pool_destroy(pool);
}

static void
freed_buffer_is_reused_first(void **state)
{
	struct pkt_pool *pool = make_pool(8, 2048);
	struct pkt *a = pkt_alloc(pool);
	struct pkt *b = pkt_alloc(pool);

	(void)state;
	pkt_free(a);
	/* LIFO: the buffer just freed is the hot one and comes back first. */
	assert_ptr_equal(pkt_alloc(pool), a);
	pkt_free(b);
	pkt_free(a);
	assert_int_equal(pool_free(pool), 8);

	/* Every buffer can be taken again after all were returned. */
	for (int round = 0; round < 3; round++) {
		struct pkt *all[8];

		assert_int_equal(pkt_alloc_bulk(pool, all, 8), 8);
		assert_null(pkt_alloc(pool));
		pkt_free_bulk(all, 8);
	}
	pkt_pool_destroy(pool);
}

static void
alloc_resets_metadata(void **state)
{
	struct pkt_pool *pool = make_pool(1, 2048);
	struct pkt *p = pkt_alloc(pool);

	(void)state;
	assert_non_null(pkt_put(p, 100));
	assert_non_null(pkt_pull(p, 20));
	p->in_port = 7;
	p->flags = PKT_F_CSUM_BLANK | PKT_F_VLAN;
	p->vlan_tci = 42;
	p->gso_size = 1448;
	p->gso_type = PKT_GSO_TCPV4;
	p->timestamp_ns = 12345;
	pkt_free(p);

	p = pkt_alloc(pool);
	assert_int_equal(p->len, 0);
	assert_int_equal(pkt_headroom(p), PKT_HEADROOM_BYTES);
	assert_int_equal(p->in_port, 0);
	assert_int_equal(p->flags, 0);
	assert_int_equal(p->vlan_tci, 0);
	assert_int_equal(p->gso_size, 0);
	assert_int_equal(p->gso_type, PKT_GSO_NONE);
	assert_int_equal(p->timestamp_ns, 0);
	pkt_free(p);
	pkt_pool_destroy(pool);
}

static void
headroom_and_tailroom_math(void **state)
{
	struct pkt_pool *pool = make_pool(2, 2048);
	struct pkt *p = pkt_alloc(pool);
	uint32_t room = pkt_tailroom(p);
	uint8_t *d, *tail, *front;

	(void)state;
	assert_int_equal(pkt_headroom(p), PKT_HEADROOM_BYTES);
	assert_true(room >= 2048);
	assert_int_equal(room + PKT_HEADROOM_BYTES, p->buf_size);

	d = pkt_put(p, 60);
	assert_ptr_equal(d, pkt_data(p));
	memset(d, 0xab, 60);
	assert_int_equal(p->len, 60);
	assert_int_equal(pkt_tailroom(p), room - 60);

	tail = pkt_put(p, 4);
	assert_ptr_equal(tail, d + 60);

	/* Push a VLAN tag in front: the frame grows into the headroom, bytes stay put. */
	front = pkt_push(p, 4);
	assert_ptr_equal(front, d - 4);
	assert_int_equal(p->len, 68);
	assert_int_equal(pkt_headroom(p), PKT_HEADROOM_BYTES - 4);
	assert_int_equal(front[4], 0xab);

	assert_ptr_equal(pkt_pull(p, 4), d);
	assert_int_equal(pkt_headroom(p), PKT_HEADROOM_BYTES);

	/* Out of range requests fail and leave the packet as it was. */
	assert_null(pkt_push(p, PKT_HEADROOM_BYTES + 1));
	assert_null(pkt_pull(p, 65));
	assert_null(pkt_put(p, pkt_tailroom(p) + 1));
	assert_int_equal(p->len, 64);
	assert_int_equal(pkt_headroom(p), PKT_HEADROOM_BYTES);

	assert_non_null(pkt_push(p, PKT_HEADROOM_BYTES));
	assert_int_equal(pkt_headroom(p), 0);
	assert_null(pkt_push(p, 1));

	assert_int_equal(pkt_trim(p, 10), 0);
	assert_int_equal(p->len, 10);
	assert_int_equal(pkt_trim(p, 11), -EINVAL);
	assert_int_equal(pkt_tailroom(p), p->buf_size - 10);
	pkt_free(p);
	pkt_pool_destroy(pool);
}

static void
default_pool_holds_a_64k_gso_frame(void **state)
{
	struct pkt_pool *pool = make_pool(4, 0);
	struct pkt *p[2];

	(void)state;
	assert_int_equal(pkt_alloc_bulk(pool, p, 2), 2);
	for (int k = 0; k < 2; k++) {
		uint8_t *d;

		assert_true(pkt_tailroom(p[k]) >= 65535);
		d = pkt_put(p[k], 65535);
		assert_non_null(d);
		for (uint32_t i = 0; i < 65535; i++)
			d[i] = (uint8_t)(i + k);
	}
	/* Neither full-size frame spilled into the other's buffer. */
	for (int k = 0; k < 2; k++)
		for (uint32_t i = 0; i < 65535; i++)
			assert_int_equal(pkt_data(p[k])[i], (uint8_t)(i + k));
	assert_non_null(pkt_push(p[0], PKT_HEADROOM_BYTES));
	assert_int_equal(p[0]->len, 65535 + PKT_HEADROOM_BYTES);
	pkt_free_bulk(p, 2);
	pkt_pool_destroy(pool);
}

static void
small_pool_refuses_frames_beyond_its_data_room(void **state)
{
	struct pkt_pool *pool = make_pool(2, 2048);
	struct pkt *p = pkt_alloc(pool);
	uint32_t room = pkt_tailroom(p);

	(void)state;
	assert_true(room < 65535);
	assert_null(pkt_put(p, room + 1));
	assert_non_null(pkt_put(p, room));
	assert_int_equal(pkt_tailroom(p), 0);
	pkt_free(p);
	pkt_pool_destroy(pool);
}

static void
buffers_do_not_overlap(void **state)
{
	enum { N = 8 };
	struct pkt_pool *pool = make_pool(N, 2048);
	struct pkt *p[N];

	(void)state;
	assert_int_equal(pkt_alloc_bulk(pool, p, N), N);
	for (int i = 0; i < N; i++) {
		assert_non_null(pkt_push(p[i], PKT_HEADROOM_BYTES));
		assert_non_null(pkt_put(p[i], pkt_tailroom(p[i])));
		assert_int_equal(p[i]->len, p[i]->buf_size);
		memset(pkt_data(p[i]), i + 1, p[i]->len);
	}
	for (int i = 0; i < N; i++)
		for (uint32_t j = 0; j < p[i]->len; j++)
			assert_int_equal(pkt_data(p[i])[j], i + 1);
	pkt_free_bulk(p, N);
	pkt_pool_destroy(pool);
}

static void
bulk_alloc_is_partial_when_pool_runs_dry(void **state)
{
	struct pkt_pool *pool = make_pool(40, 2048);
	struct pkt *a[32], *b[32];
	struct pkt_pool_stats st;

	(void)state;
	assert_int_equal(pkt_alloc_bulk(pool, a, 32), 32);
	assert_int_equal(pkt_alloc_bulk(pool, b, 32), 8);
	assert_int_equal(pkt_alloc_bulk(pool, b + 8, 1), 0);
	pkt_pool_get_stats(pool, &st);
	assert_int_equal(st.alloc_fail, 2);
	assert_int_equal(st.n_free, 0);
	pkt_free_bulk(a, 32);
	pkt_free_bulk(b, 8);
	assert_int_equal(pool_free(pool), 40);
	pkt_pool_destroy(pool);
}

static void
batch_add_stops_at_batch_max(void **state)
{
	struct pkt_pool *pool = make_pool(PKT_BATCH_MAX + 1, 2048);
	struct pkt_batch batch;
	struct pkt *extra;

	(void)state;
	pkt_batch_init(&batch);
	assert_int_equal(pkt_batch_room(&batch), PKT_BATCH_MAX);
	for (unsigned int i = 0; i < PKT_BATCH_MAX; i++) {
		struct pkt *p = pkt_alloc(pool);

		assert_non_null(pkt_put(p, 100 + i));
		assert_false(pkt_batch_is_full(&batch));
		assert_int_equal(pkt_batch_add(&batch, p), 0);
	}
	assert_true(pkt_batch_is_full(&batch));
	assert_int_equal(pkt_batch_room(&batch), 0);
	extra = pkt_alloc(pool);
	assert_int_equal(pkt_batch_add(&batch, extra), -ENOSPC);
	assert_int_equal(batch.count, PKT_BATCH_MAX);
	/* sum of 100..131 */
	assert_int_equal(pkt_batch_size(&batch), PKT_BATCH_MAX * 100 + PKT_BATCH_MAX * 31 / 2);

	pkt_batch_free(&batch);
	assert_int_equal(batch.count, 0);
	assert_int_equal(pkt_batch_size(&batch), 0);
	pkt_free(extra);
	assert_int_equal(pool_free(pool), PKT_BATCH_MAX + 1);
	pkt_pool_destroy(pool);
}

static void
batch_alloc_fills_only_the_free_room(void **state)
{
	struct pkt_pool *pool = make_pool(100, 2048);
	struct pkt_batch batch;

	(void)state;
	pkt_batch_init(&batch);
	for (int i = 0; i < 5; i++)
		assert_int_equal(pkt_batch_add(&batch, pkt_alloc(pool)), 0);
	assert_int_equal(pkt_batch_alloc(pool, &batch), PKT_BATCH_MAX - 5);
	assert_int_equal(batch.count, PKT_BATCH_MAX);
	assert_int_equal(pkt_batch_alloc(pool, &batch), 0);
	assert_int_equal(pool_free(pool), 100 - PKT_BATCH_MAX);
	for (unsigned int i = 0; i < batch.count; i++)
		for (unsigned int j = 0; j < i; j++)
			assert_ptr_not_equal(batch.pkts[i], batch.pkts[j]);
	pkt_batch_free(&batch);
	assert_int_equal(pool_free(pool), 100);
	pkt_pool_destroy(pool);
}

static void
double_free_is_ignored_and_counted(void **state)
{
	struct pkt_pool *pool = make_pool(4, 2048);
	struct pkt *a = pkt_alloc(pool);
	struct pkt *b, *c;
	struct pkt_pool_stats st;

	(void)state;
	pkt_free(a);
	pkt_free(a);
	pkt_free(NULL);
	pkt_pool_get_stats(pool, &st);
	assert_int_equal(st.double_free, 1);
	assert_int_equal(st.n_free, 4);
	/* Had the second free been pushed, two allocations would share one buffer. */
	b = pkt_alloc(pool);
	c = pkt_alloc(pool);
	assert_ptr_not_equal(b, c);
	pkt_free(b);
	pkt_free(c);
	pkt_pool_destroy(pool);
}

static void
copy_duplicates_frame_and_metadata(void **state)
{
	struct pkt_pool *pool = make_pool(3, 2048);
	struct pkt_pool *tiny = make_pool(1, PKT_DATA_MIN_BYTES);
	struct pkt *src = pkt_alloc(pool);
	struct pkt *dst, *none;
	uint8_t *d = pkt_put(src, 300);

	(void)state;
	for (int i = 0; i < 300; i++)
		d[i] = (uint8_t)(i * 7);
	assert_non_null(pkt_push(src, 4));
	src->in_port = 3;
	src->flags = PKT_F_DATA_VALIDATED;
	src->vlan_tci = 100;
	src->gso_size = 1400;
	src->gso_type = PKT_GSO_TCPV6;
	src->timestamp_ns = 99;

	dst = pkt_copy(pool, src);
	assert_non_null(dst);
	assert_ptr_not_equal(dst->buf, src->buf);
	assert_int_equal(dst->len, src->len);
	assert_int_equal(pkt_headroom(dst), pkt_headroom(src));
	assert_memory_equal(pkt_data(dst), pkt_data(src), src->len);
	assert_int_equal(dst->in_port, 3);
	assert_int_equal(dst->flags, PKT_F_DATA_VALIDATED);
	assert_int_equal(dst->vlan_tci, 100);
	assert_int_equal(dst->gso_size, 1400);
	assert_int_equal(dst->gso_type, PKT_GSO_TCPV6);
	assert_int_equal(dst->timestamp_ns, 99);

	/* The copy is independent of the original. */
	pkt_data(src)[10] ^= 0xff;
	assert_int_not_equal(pkt_data(dst)[10], pkt_data(src)[10]);

	/* A pool whose buffers are too small gives no copy and keeps its buffer. */
	assert_null(pkt_copy(tiny, src));
	assert_int_equal(pool_free(tiny), 1);

	none = pkt_alloc(pool);
	assert_null(pkt_copy(pool, src));
	pkt_free(none);
	pkt_free(dst);
	pkt_free(src);
	pkt_pool_destroy(tiny);
	pkt_pool_destroy(pool);
}

/* A backing store for external pools: 16 packets with buffers of their own, a LIFO of them. */
#define STORE_PKTS 16
#define STORE_BUF  256

struct store {
	struct pkt pkts[STORE_PKTS];
	uint8_t bufs[STORE_PKTS][STORE_BUF];
	struct pkt *free[STORE_PKTS];
	unsigned int n_free;
	unsigned int gets, puts;
};

static unsigned int
store_get(void *arg, struct pkt **pkts, unsigned int n)
{
	struct store *s = arg;
	unsigned int i;

	s->gets++;
	for (i = 0; i < n && s->n_free; i++)
		pkts[i] = s->free[--s->n_free];
	return i;
}

static void
store_put(void *arg, struct pkt *const *pkts, unsigned int n)
{
	struct store *s = arg;

	s->puts++;
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(pkts[i]->in_pool, 1);
		s->free[s->n_free++] = pkts[i];
	}
}

static const struct pkt_pool_ext_ops store_ops = { .get = store_get, .put = store_put };

static void
store_init(struct store *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned int i = 0; i < STORE_PKTS; i++) {
		s->pkts[i].buf = s->bufs[i];
		s->pkts[i].buf_size = STORE_BUF;
		s->pkts[i].in_pool = 1;
		s->free[s->n_free++] = &s->pkts[i];
	}
}

static void
ext_pool_rejects_bad_arguments(void **state)
{
	struct pkt_pool *pool = NULL;
	struct store s;

	(void)state;
	store_init(&s);
	assert_int_equal(pkt_pool_create_ext(1, STORE_BUF, &store_ops, &s, &pool), -EINVAL);
	assert_int_equal(pkt_pool_create_ext(8, 100, &store_ops, &s, &pool), -EINVAL);
	assert_int_equal(pkt_pool_create_ext(8, STORE_BUF, NULL, &s, &pool), -EINVAL);
	assert_null(pool);
}

static void
ext_pool_refills_from_and_spills_to_its_store(void **state)
{
	struct pkt_pool *pool = NULL;
	struct pkt *got[STORE_PKTS + 1];
	struct pkt_pool_stats st;
	struct store s;
	unsigned int i;

	(void)state;
	store_init(&s);
	assert_int_equal(pkt_pool_create_ext(8, STORE_BUF, &store_ops, &s, &pool), 0);
	assert_ptr_equal(pkt_pool_ext_ops(pool), &store_ops);
	assert_ptr_equal(pkt_pool_ext_arg(pool), &s);
	assert_int_equal(pkt_pool_buf_size(pool), STORE_BUF);
	/* Every packet of the store can be taken, then the pool is empty. */
	for (i = 0; i < STORE_PKTS; i++) {
		got[i] = pkt_alloc(pool);
		assert_non_null(got[i]);
		assert_ptr_equal(got[i]->pool, pool);
		assert_int_equal(got[i]->in_pool, 0);
		assert_int_equal(got[i]->data_off, PKT_HEADROOM_BYTES);
	}
	assert_null(pkt_alloc(pool));
	pkt_pool_get_stats(pool, &st);
	assert_int_equal(st.alloc_fail, 1);
	assert_int_equal(s.n_free, 0);
	/* Freeing more than the stack holds hands the coldest half back to the store. */
	for (i = 0; i < STORE_PKTS; i++)
		pkt_free(got[i]);
	assert_true(s.puts > 0);
	pkt_pool_get_stats(pool, &st);
	assert_int_equal(st.n_free + s.n_free, STORE_PKTS);
	assert_true(st.n_free <= 8);
	/* LIFO: the last freed packet comes back first. */
	assert_ptr_equal(pkt_alloc(pool), got[STORE_PKTS - 1]);
	pkt_free(got[STORE_PKTS - 1]);
	/* Destroy gives everything back. */
	pkt_pool_destroy(pool);
	assert_int_equal(s.n_free, STORE_PKTS);
}

static void
ext_pool_catches_double_free_of_a_packet_in_its_store(void **state)
{
	struct pkt_pool *pool = NULL;
	struct pkt *p, *q[8];
	struct pkt_pool_stats st;
	struct store s;
	unsigned int i;

	(void)state;
	store_init(&s);
	assert_int_equal(pkt_pool_create_ext(4, STORE_BUF, &store_ops, &s, &pool), 0);
	p = pkt_alloc(pool);
	pkt_free(p);
	/* Push it down the stack and out to the store, then free it again. */
	for (i = 0; i < 8; i++)
		q[i] = pkt_alloc(pool);
	for (i = 0; i < 8; i++)
		pkt_free(q[i]);
	pkt_free(p);
	pkt_free(p);
	pkt_pool_get_stats(pool, &st);
	assert_int_equal(st.double_free, 2);
	pkt_pool_destroy(pool);
	assert_int_equal(s.n_free, STORE_PKTS);
}

static void
ext_pool_copy_respects_its_buffer_size(void **state)
{
	struct pkt_pool *big = make_pool(2, 2048), *pool = NULL;
	struct pkt *src = pkt_alloc(big), *c;
	struct store s;

	(void)state;
	store_init(&s);
	assert_int_equal(pkt_pool_create_ext(4, STORE_BUF, &store_ops, &s, &pool), 0);
	assert_non_null(pkt_put(src, STORE_BUF - PKT_HEADROOM_BYTES + 1));
	assert_null(pkt_copy(pool, src));
	assert_int_equal(pkt_trim(src, 60), 0);
	memset(pkt_data(src), 0xab, 60);
	c = pkt_copy(pool, src);
	assert_non_null(c);
	assert_int_equal(c->len, 60);
	assert_memory_equal(pkt_data(c), pkt_data(src), 60);
	pkt_free(c);
	pkt_free(src);
	pkt_pool_destroy(pool);
	pkt_pool_destroy(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pool_create_rejects_bad_sizes),
		cmocka_unit_test(pool_exhaustion_returns_null_and_counts),
		cmocka_unit_test(freed_buffer_is_reused_first),
		cmocka_unit_test(alloc_resets_metadata),
		cmocka_unit_test(headroom_and_tailroom_math),
		cmocka_unit_test(default_pool_holds_a_64k_gso_frame),
		cmocka_unit_test(small_pool_refuses_frames_beyond_its_data_room),
		cmocka_unit_test(buffers_do_not_overlap),
		cmocka_unit_test(bulk_alloc_is_partial_when_pool_runs_dry),
		cmocka_unit_test(batch_add_stops_at_batch_max),
		cmocka_unit_test(batch_alloc_fills_only_the_free_room),
		cmocka_unit_test(double_free_is_ignored_and_counted),
		cmocka_unit_test(copy_duplicates_frame_and_metadata),
		cmocka_unit_test(ext_pool_rejects_bad_arguments),
		cmocka_unit_test(ext_pool_refills_from_and_spills_to_its_store),
		cmocka_unit_test(ext_pool_catches_double_free_of_a_packet_in_its_store),
		cmocka_unit_test(ext_pool_copy_respects_its_buffer_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
