/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the neighbour table (route/neigh.c): resolution queues packets and asks for
 * one solicitation, an update releases them in order, retries are paced by the virtual clock
 * and give up after the configured number, reachable entries age out, the table and the
 * per-entry queues are bounded, and flushing a port drops what waited on it.
 */
#include "route/neigh.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#define S 1000000000ull

static const uint8_t A1[16] = { 192, 0, 2, 1 };
static const uint8_t A2[16] = { 192, 0, 2, 2 };
static const uint8_t MAC[6] = { 2, 0, 0, 0, 0, 9 };

struct counts {
	unsigned int solicits, drops;
};

static void
on_solicit(void *arg, const struct fib_neigh_info *n)
{
	(void)n;
	((struct counts *)arg)->solicits++;
}

static void
on_drop(void *arg, const struct fib_neigh_info *n, struct pkt *p)
{
	(void)n;
	((struct counts *)arg)->drops++;
	pkt_free(p);
}

static struct fib_neigh *
make_table(unsigned int max)
{
	struct fib_neigh_cfg cfg = { max, 3, S, 10 * S };
	struct fib_neigh *t;

	assert_int_equal(fib_neigh_create(&cfg, &t), 0);
	return t;
}

static void
test_resolve_queues_then_update_releases_in_order(void **state)
{
	struct fib_neigh *t = make_table(8);
	struct pkt_pool *pool;
	struct pkt *p[FIB_NEIGH_QUEUE_MAX + 1], *out[FIB_NEIGH_QUEUE_MAX];
	uint8_t mac[6];
	bool sol;

	(void)state;
	assert_int_equal(pkt_pool_create(16, 128, &pool), 0);
	for (int i = 0; i <= FIB_NEIGH_QUEUE_MAX; i++) {
		p[i] = pkt_alloc(pool);
		assert_int_equal(fib_neigh_resolve(t, AF_INET, A1, 3, p[i], 0, mac, &sol),
				 i < FIB_NEIGH_QUEUE_MAX ? -EAGAIN : -ENOBUFS);
		assert_int_equal(sol, i == 0);
	}
	pkt_free(p[FIB_NEIGH_QUEUE_MAX]);
	/* Another port is another neighbour. */
	assert_int_equal(fib_neigh_update(t, AF_INET, A1, 4, MAC, 0, false, out), -ENOENT);
	assert_int_equal(fib_neigh_update(t, AF_INET, A1, 3, MAC, 5, false, out),
			 FIB_NEIGH_QUEUE_MAX);
	for (int i = 0; i < FIB_NEIGH_QUEUE_MAX; i++) {
		assert_ptr_equal(out[i], p[i]);
		pkt_free(out[i]);
	}
	assert_int_equal(fib_neigh_resolve(t, AF_INET, A1, 3, NULL, 6, mac, &sol), 0);
	assert_memory_equal(mac, MAC, 6);
	fib_neigh_destroy(t, NULL, NULL);
	pkt_pool_destroy(pool);
}

static void
test_retries_paced_then_give_up_dropping_queue(void **state)
{
	struct fib_neigh *t = make_table(8);
	struct counts c = { 0 };
	struct pkt_pool *pool;
	uint8_t mac[6];
	bool sol;

	(void)state;
	assert_int_equal(pkt_pool_create(4, 128, &pool), 0);
	assert_int_equal(fib_neigh_resolve(t, AF_INET, A1, 1, pkt_alloc(pool), 0, mac, &sol),
			 -EAGAIN);
	fib_neigh_run(t, S / 2, on_solicit, on_drop, &c);
	assert_int_equal(c.solicits, 0);
	fib_neigh_run(t, S, on_solicit, on_drop, &c);
	assert_int_equal(c.solicits, 1);
	fib_neigh_run(t, S + S / 2, on_solicit, on_drop, &c);
	assert_int_equal(c.solicits, 1);
	fib_neigh_run(t, 2 * S, on_solicit, on_drop, &c);
	assert_int_equal(c.solicits, 2);
	assert_int_equal(c.drops, 0);
	assert_int_equal(fib_neigh_run(t, 3 * S, on_solicit, on_drop, &c), 1);
	assert_int_equal(c.drops, 1);
	assert_int_equal(fib_neigh_count(t), 0);
	fib_neigh_destroy(t, NULL, NULL);
	pkt_pool_destroy(pool);
}

static void
test_probe_without_sender_still_used_up(void **state)
{
	struct fib_neigh *t = make_table(8);
	struct counts c = { 0 };
	uint8_t mac[6];
	bool sol;

	(void)state;
	assert_int_equal(fib_neigh_resolve(t, AF_INET, A1, 1, NULL, 0, mac, &sol), -EAGAIN);
	fib_neigh_run(t, S, NULL, on_drop, &c);
	fib_neigh_run(t, 2 * S, NULL, on_drop, &c);
	assert_int_equal(fib_neigh_count(t), 1);
	fib_neigh_run(t, 3 * S, NULL, on_drop, &c);
	assert_int_equal(fib_neigh_count(t), 0);
	fib_neigh_destroy(t, NULL, NULL);
}

static void
test_reachable_entries_age_out(void **state)
{
	struct fib_neigh *t = make_table(8);
	struct fib_neigh_info info;
	struct pkt *out[FIB_NEIGH_QUEUE_MAX];

	(void)state;
	assert_int_equal(fib_neigh_update(t, AF_INET6, A2, 2, MAC, 0, true, out), 0);
	assert_int_equal(fib_neigh_get(t, AF_INET6, A2, 2, &info), 0);
	assert_int_equal(info.state, FIB_NEIGH_REACHABLE);
	assert_int_equal(fib_neigh_get(t, AF_INET, A2, 2, &info), -ENOENT);
	assert_int_equal(fib_neigh_run(t, 9 * S, NULL, NULL, NULL), 0);
	assert_int_equal(fib_neigh_update(t, AF_INET6, A2, 2, MAC, 5 * S, false, out), 0);
	assert_int_equal(fib_neigh_run(t, 14 * S, NULL, NULL, NULL), 0);
	assert_int_equal(fib_neigh_run(t, 15 * S, NULL, NULL, NULL), 1);
	assert_int_equal(fib_neigh_get(t, AF_INET6, A2, 2, &info), -ENOENT);
	fib_neigh_destroy(t, NULL, NULL);
}

static void
test_full_table_refuses_without_evicting(void **state)
{
	struct fib_neigh *t = make_table(4);
	struct pkt *out[FIB_NEIGH_QUEUE_MAX];
	struct fib_neigh_info infos[8];
	uint8_t a[16] = { 10 }, mac[6];
	bool sol;

	(void)state;
	for (int i = 0; i < 4; i++) {
		a[3] = (uint8_t)i;
		assert_int_equal(fib_neigh_update(t, AF_INET, a, 1, MAC, 0, true, out), 0);
	}
	a[3] = 99;
	assert_int_equal(fib_neigh_resolve(t, AF_INET, a, 1, NULL, 0, mac, &sol), -ENOSPC);
	assert_int_equal(fib_neigh_update(t, AF_INET, a, 1, MAC, 0, true, out), -ENOSPC);
	assert_int_equal(fib_neigh_dump(t, infos, 8), 4);
	assert_int_equal(fib_neigh_flush_port(t, 1, NULL, NULL), 4);
	assert_int_equal(fib_neigh_update(t, AF_INET, a, 1, MAC, 0, true, out), 0);
	fib_neigh_destroy(t, NULL, NULL);
}

static void
test_flush_port_drops_only_its_queues(void **state)
{
	struct fib_neigh *t = make_table(8);
	struct counts c = { 0 };
	struct pkt_pool *pool;
	uint8_t mac[6];
	bool sol;

	(void)state;
	assert_int_equal(pkt_pool_create(4, 128, &pool), 0);
	fib_neigh_resolve(t, AF_INET, A1, 1, pkt_alloc(pool), 0, mac, &sol);
	fib_neigh_resolve(t, AF_INET, A2, 2, pkt_alloc(pool), 0, mac, &sol);
	assert_int_equal(fib_neigh_flush_port(t, 1, on_drop, &c), 1);
	assert_int_equal(c.drops, 1);
	assert_int_equal(fib_neigh_count(t), 1);
	fib_neigh_destroy(t, on_drop, &c);
	assert_int_equal(c.drops, 2);
	pkt_pool_destroy(pool);
}

static void
test_bad_config_refused(void **state)
{
	struct fib_neigh_cfg cfg = { 0, 3, S, S };
	struct fib_neigh *t;

	(void)state;
	assert_int_equal(fib_neigh_create(&cfg, &t), -EINVAL);
	cfg.max_entries = FIB_NEIGH_MAX_LIMIT + 1;
	assert_int_equal(fib_neigh_create(&cfg, &t), -EINVAL);
	cfg.max_entries = 4;
	cfg.retries = 0;
	assert_int_equal(fib_neigh_create(&cfg, &t), -EINVAL);
	assert_int_equal(fib_neigh_create(NULL, &t), 0);
	fib_neigh_destroy(t, NULL, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_queues_then_update_releases_in_order),
		cmocka_unit_test(test_retries_paced_then_give_up_dropping_queue),
		cmocka_unit_test(test_probe_without_sender_still_used_up),
		cmocka_unit_test(test_reachable_entries_age_out),
		cmocka_unit_test(test_full_table_refuses_without_evicting),
		cmocka_unit_test(test_flush_port_drops_only_its_queues),
		cmocka_unit_test(test_bad_config_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
