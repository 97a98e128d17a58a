/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the LPM FIB (route/fib.c): lookups checked against a naive linear
 * longest-match over the same random prefixes (IPv4 and IPv6), before and after deleting half
 * of them, plus exact get, replace, capacity, delete-by-predicate and prefix parsing; and the
 * parser of kernel route messages that feeds it (route/krt.c, fib_krt_parse).
 */
#include "route/fib.h"
#include "route/krt.h"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#define N_ROUTES  2000
#define N_LOOKUPS 20000

struct ref_route {
	bool live;
	uint8_t addr[16];
	unsigned int plen;
	uint16_t port;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static bool
prefix_match(int family, const uint8_t *pfx, unsigned int plen, const uint8_t *addr)
{
	uint8_t a[16];

	memcpy(a, addr, 16);
	fib_mask(family, a, plen);
	return !memcmp(a, pfx, family == AF_INET ? 4 : 16);
}

static const struct ref_route *
ref_lookup(int family, const struct ref_route *ref, unsigned int n, const uint8_t *addr)
{
	const struct ref_route *best = NULL;

	for (unsigned int i = 0; i < n; i++)
		if (ref[i].live && prefix_match(family, ref[i].addr, ref[i].plen, addr) &&
		    (!best || ref[i].plen > best->plen))
			best = &ref[i];
	return best;
}

/* Random addresses drawn near the prefixes (same high bits) so that long matches happen. */
static void
random_addr(int family, const struct ref_route *ref, unsigned int n, uint8_t *a)
{
	unsigned int alen = family == AF_INET ? 4 : 16;

	for (unsigned int i = 0; i < 16; i++)
		a[i] = i < alen ? (uint8_t)rnd() : 0;
	if (rnd() % 4) {
		const struct ref_route *r = &ref[rnd() % n];
		unsigned int keep = r->plen ? rnd() % (r->plen + 1) : 0;

		for (unsigned int b = 0; b < keep; b++) {
			uint8_t m = (uint8_t)(0x80 >> (b % 8));

			a[b / 8] = (uint8_t)((a[b / 8] & ~m) | (r->addr[b / 8] & m));
		}
	}
}

static void
check_family_against_naive(int family)
{
	unsigned int maxlen = family == AF_INET ? 32 : 128, alen = family == AF_INET ? 4 : 16;
	struct ref_route *ref = calloc(N_ROUTES, sizeof(*ref));
	struct fib *fib;
	unsigned int n = 0;

	assert_non_null(ref);
	assert_int_equal(fib_create(N_ROUTES, &fib), 0);
	/* Few distinct lengths dominate in practice; mix them with fully random ones. */
	while (n < N_ROUTES) {
		static const unsigned int common[] = { 0, 8, 16, 24, 32, 48, 64, 128 };
		struct ref_route *r = &ref[n];
		struct fib_nh nh = { .type = FIB_TYPE_DEV };

		r->plen = rnd() % 2 ? common[rnd() % 8] % (maxlen + 1) : rnd() % (maxlen + 1);
		memset(r->addr, 0, 16);
		for (unsigned int i = 0; i < alen; i++)
			r->addr[i] = (uint8_t)(rnd() % 4 ? rnd() % 4 : rnd());
		fib_mask(family, r->addr, r->plen);
		if (fib_get(fib, family, r->addr, r->plen))
			continue;
		r->port = (uint16_t)(n % 1000);
		nh.port = r->port;
		assert_int_equal(fib_add(fib, family, r->addr, r->plen, &nh, false), 0);
		r->live = true;
		n++;
	}
	assert_int_equal(fib_count(fib), N_ROUTES);
	for (int round = 0; round < 2; round++) {
		for (unsigned int i = 0; i < N_LOOKUPS; i++) {
			uint8_t a[16];
			const struct ref_route *want;
			const struct fib_route *got;

			random_addr(family, ref, N_ROUTES, a);
			want = ref_lookup(family, ref, N_ROUTES, a);
			got = fib_lookup(fib, family, a);
			if (!want) {
				assert_null(got);
				continue;
			}
			assert_non_null(got);
			assert_int_equal(got->plen, want->plen);
			assert_memory_equal(got->addr, want->addr, alen);
			assert_int_equal(got->nh.port, want->port);
		}
		/* Delete every other route: exercises backward-shift deletion. */
		for (unsigned int i = 0; i < N_ROUTES; i += 2) {
			if (!ref[i].live)
				continue;
			assert_int_equal(fib_del(fib, family, ref[i].addr, ref[i].plen), 0);
			assert_int_equal(fib_del(fib, family, ref[i].addr, ref[i].plen), -ENOENT);
			ref[i].live = false;
		}
		for (unsigned int i = 0; i < N_ROUTES; i++)
			assert_int_equal(fib_get(fib, family, ref[i].addr, ref[i].plen) != NULL,
					 ref[i].live);
	}
	assert_int_equal(fib_count(fib), N_ROUTES / 2);
	fib_destroy(fib);
	free(ref);
}

static void
test_ipv4_lookup_matches_naive_longest_prefix(void **state)
{
	(void)state;
	check_family_against_naive(AF_INET);
}

static void
test_ipv6_lookup_matches_naive_longest_prefix(void **state)
{
	(void)state;
	check_family_against_naive(AF_INET6);
}

static void
test_add_existing_needs_replace_and_host_bits_are_masked(void **state)
{
	struct fib_nh a = { .type = FIB_TYPE_DEV, .port = 1 },
		      b = { .type = FIB_TYPE_DEV, .port = 2 };
	uint8_t p[16] = { 10, 1, 2, 3 }, q[16] = { 10, 1, 0, 0 }, x[16] = { 10, 1, 200, 9 };
	const struct fib_route *r;
	struct fib *fib;

	(void)state;
	assert_int_equal(fib_create(4, &fib), 0);
	assert_int_equal(fib_add(fib, AF_INET, p, 16, &a, false), 0);
	assert_int_equal(fib_add(fib, AF_INET, q, 16, &b, false), -EEXIST);
	r = fib_get(fib, AF_INET, q, 16);
	assert_non_null(r);
	assert_memory_equal(r->addr, q, 4);
	assert_int_equal(r->nh.port, 1);
	assert_int_equal(fib_add(fib, AF_INET, q, 16, &b, true), 0);
	assert_int_equal(fib_lookup(fib, AF_INET, x)->nh.port, 2);
	assert_int_equal(fib_count(fib), 1);
	assert_int_equal(fib_add(fib, AF_INET, p, 33, &a, false), -EINVAL);
	assert_int_equal(fib_add(fib, AF_INET6, p, 129, &a, false), -EINVAL);
	/* Families do not mix: the IPv4 /16 does not answer for an IPv6 address. */
	assert_null(fib_lookup(fib, AF_INET6, x));
	fib_destroy(fib);
}

static void
test_full_table_refuses_new_routes(void **state)
{
	struct fib_nh nh = { .type = FIB_TYPE_DEV };
	struct fib *fib;
	uint8_t a[16] = { 0 };

	(void)state;
	assert_int_equal(fib_create(3, &fib), 0);
	for (int i = 0; i < 3; i++) {
		a[0] = (uint8_t)i;
		assert_int_equal(fib_add(fib, AF_INET, a, 8, &nh, false), 0);
	}
	a[0] = 9;
	assert_int_equal(fib_add(fib, AF_INET, a, 8, &nh, false), -ENOSPC);
	a[0] = 1;
	assert_int_equal(fib_del(fib, AF_INET, a, 8), 0);
	a[0] = 9;
	assert_int_equal(fib_add(fib, AF_INET, a, 8, &nh, false), 0);
	assert_int_equal(fib_create(0, &fib), -EINVAL);
	fib_destroy(fib);
}

static bool
match_port7(void *arg, const struct fib_route *r)
{
	(void)arg;
	return r->nh.port == 7;
}

static void
test_del_if_removes_exactly_the_selected_routes(void **state)
{
	struct fib *fib;
	uint8_t a[16] = { 0 };

	(void)state;
	assert_int_equal(fib_create(600, &fib), 0);
	for (unsigned int i = 0; i < 600; i++) {
		struct fib_nh nh = { .type = FIB_TYPE_DEV, .port = (uint16_t)(i % 3 ? 7 : 1) };

		a[0] = (uint8_t)(i >> 8);
		a[1] = (uint8_t)i;
		assert_int_equal(fib_add(fib, AF_INET, a, 16, &nh, false), 0);
	}
	assert_int_equal(fib_del_if(fib, match_port7, NULL), 400);
	assert_int_equal(fib_count(fib), 200);
	for (unsigned int i = 0; i < 600; i++) {
		a[0] = (uint8_t)(i >> 8);
		a[1] = (uint8_t)i;
		assert_int_equal(fib_get(fib, AF_INET, a, 16) != NULL, i % 3 == 0);
	}
	fib_destroy(fib);
}

static void
test_prefix_parse_accepts_cidr_and_refuses_garbage(void **state)
{
	uint8_t a[16];
	unsigned int plen;
	int fam;

	(void)state;
	assert_int_equal(fib_prefix_parse("10.1.0.0/16", &fam, a, &plen), 0);
	assert_int_equal(fam, AF_INET);
	assert_int_equal(plen, 16);
	assert_int_equal(a[1], 1);
	assert_int_equal(fib_prefix_parse("2001:db8::/32", &fam, a, &plen), 0);
	assert_int_equal(fam, AF_INET6);
	assert_int_equal(plen, 32);
	assert_int_equal(fib_prefix_parse("192.0.2.1", &fam, a, &plen), 0);
	assert_int_equal(plen, 32);
	assert_int_equal(fib_prefix_parse("10.0.0.0/33", &fam, a, &plen), -EINVAL);
	assert_int_equal(fib_prefix_parse("10.0.0.0/", &fam, a, &plen), -EINVAL);
	assert_int_equal(fib_prefix_parse("10.0.0.0/-1", &fam, a, &plen), -EINVAL);
	assert_int_equal(fib_prefix_parse("10.0.0.0/8x", &fam, a, &plen), -EINVAL);
	assert_int_equal(fib_prefix_parse("nonsense", &fam, a, &plen), -EINVAL);
	assert_int_equal(fib_prefix_parse("", &fam, a, &plen), -EINVAL);
	assert_int_equal(fib_prefix_parse("::/129", &fam, a, &plen), -EINVAL);
}

struct krt_seen {
	int n;
	bool add;
	int family;
	uint8_t dst[16];
	unsigned int plen;
	bool has_gw;
	uint8_t gw[16];
};

static void
krt_record(void *arg, bool add, int family, const uint8_t *dst, unsigned int plen,
	   const uint8_t *gw)
{
	struct krt_seen *s = arg;

	s->n++;
	s->add = add;
	s->family = family;
	memcpy(s->dst, dst, 16);
	s->plen = plen;
	s->has_gw = gw != NULL;
	if (gw)
		memcpy(s->gw, gw, 16);
}

static struct nlmsghdr *
krt_msg(char *buf, uint16_t type, int family, unsigned int plen, uint32_t table, const void *dst,
	size_t dlen, const void *gw, size_t glen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = type;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = (unsigned char)plen;
	rtm->rtm_table = RT_TABLE_UNSPEC;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (dst)
		mnl_attr_put(nlh, RTA_DST, dlen, dst);
	if (gw)
		mnl_attr_put(nlh, RTA_GATEWAY, glen, gw);
	return nlh;
}

static void
test_krt_parse_reports_main_table_routes_only(void **state)
{
	static char buf[8192];
	uint8_t dst[4] = { 203, 0, 113, 0 }, gw[4] = { 192, 0, 2, 1 }, gw6[16] = { 0xfe, 0x80 };
	struct krt_seen s = { 0 };
	struct nlmsghdr *nlh;

	(void)state;
	nlh = krt_msg(buf, RTM_NEWROUTE, AF_INET, 24, RT_TABLE_MAIN, dst, 4, gw, 4);
	assert_int_equal(fib_krt_parse(nlh, krt_record, &s), 1);
	assert_int_equal(s.n, 1);
	assert_true(s.add);
	assert_int_equal(s.family, AF_INET);
	assert_int_equal(s.plen, 24);
	assert_memory_equal(s.dst, dst, 4);
	assert_true(s.has_gw);
	assert_memory_equal(s.gw, gw, 4);
	/* A default route has no RTA_DST; a device route no gateway. */
	nlh = krt_msg(buf, RTM_DELROUTE, AF_INET6, 0, RT_TABLE_MAIN, NULL, 0, gw6, 16);
	assert_int_equal(fib_krt_parse(nlh, krt_record, &s), 1);
	assert_false(s.add);
	assert_int_equal(s.plen, 0);
	assert_memory_equal(s.gw, gw6, 16);
	nlh = krt_msg(buf, RTM_NEWROUTE, AF_INET, 24, RT_TABLE_MAIN, dst, 4, NULL, 0);
	assert_int_equal(fib_krt_parse(nlh, krt_record, &s), 1);
	assert_false(s.has_gw);
	/* Other tables are not followed. */
	nlh = krt_msg(buf, RTM_NEWROUTE, AF_INET, 24, RT_TABLE_LOCAL, dst, 4, gw, 4);
	assert_int_equal(fib_krt_parse(nlh, krt_record, &s), 0);
	assert_int_equal(s.n, 3);
	/* Malformed: a prefix longer than the family, an address of the wrong size. */
	nlh = krt_msg(buf, RTM_NEWROUTE, AF_INET, 33, RT_TABLE_MAIN, dst, 4, gw, 4);
	assert_int_equal(fib_krt_parse(nlh, krt_record, &s), -EINVAL);
	nlh = krt_msg(buf, RTM_NEWROUTE, AF_INET, 24, RT_TABLE_MAIN, dst, 4, gw6, 16);
	assert_int_equal(fib_krt_parse(nlh, krt_record, &s), -EINVAL);
	assert_int_equal(s.n, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_lookup_matches_naive_longest_prefix),
		cmocka_unit_test(test_ipv6_lookup_matches_naive_longest_prefix),
		cmocka_unit_test(test_add_existing_needs_replace_and_host_bits_are_masked),
		cmocka_unit_test(test_full_table_refuses_new_routes),
		cmocka_unit_test(test_del_if_removes_exactly_the_selected_routes),
		cmocka_unit_test(test_prefix_parse_accepts_cidr_and_refuses_garbage),
		cmocka_unit_test(test_krt_parse_reports_main_table_routes_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
