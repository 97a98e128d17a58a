/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ICMP errors (route/icmp.c): the token bucket, the RFC 1812 / RFC 4443 rules
 * on when not to answer, and in-place building with the quote cut at 576 / 1280 bytes and
 * correct checksums.
 */
#include "route/icmp.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define S 1000000000ull

static uint16_t
csum(const uint8_t *d, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(d[i] << 8 | d[i + 1]);
	if (n & 1)
		sum += (uint32_t)d[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t
orig4(uint8_t *ip, size_t len, uint8_t proto, uint16_t frag)
{
	memset(ip, 0, len);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(len >> 8);
	ip[3] = (uint8_t)len;
	ip[6] = (uint8_t)(frag >> 8);
	ip[7] = (uint8_t)frag;
	ip[8] = 1;
	ip[9] = proto;
	memcpy(ip + 12, (const uint8_t[]){ 10, 0, 0, 10 }, 4);
	memcpy(ip + 16, (const uint8_t[]){ 10, 0, 0, 11 }, 4);
	for (size_t i = 20; i < len; i++)
		ip[i] = (uint8_t)i;
	return len;
}

static void
test_token_bucket_bursts_then_refills(void **state)
{
	struct fib_icmp_rl rl;

	(void)state;
	assert_int_equal(fib_icmp_rl_init(&rl, 10, 3), 0);
	for (int i = 0; i < 3; i++)
		assert_true(fib_icmp_rl_allow(&rl, S));
	assert_false(fib_icmp_rl_allow(&rl, S));
	assert_false(fib_icmp_rl_allow(&rl, S + S / 20));
	assert_true(fib_icmp_rl_allow(&rl, S + S / 10));
	assert_false(fib_icmp_rl_allow(&rl, S + S / 10));
	/* A long pause refills to the burst, not beyond. */
	for (int i = 0; i < 3; i++)
		assert_true(fib_icmp_rl_allow(&rl, 100 * S));
	assert_false(fib_icmp_rl_allow(&rl, 100 * S));
	/* A clock that goes backwards does not mint tokens. */
	assert_false(fib_icmp_rl_allow(&rl, 50 * S));
	assert_int_equal(fib_icmp_rl_init(&rl, 0, 3), -EINVAL);
	assert_int_equal(fib_icmp_rl_init(&rl, 10, 0), -EINVAL);
}

static void
test_ipv4_rules_refuse_errors_fragments_and_broadcasts(void **state)
{
	uint8_t ip[64];

	(void)state;
	orig4(ip, 40, 17, 0);
	assert_true(fib_icmp4_may_error(ip, 40, false));
	assert_false(fib_icmp4_may_error(ip, 40, true));
	orig4(ip, 40, 17, 0x2000); /* first fragment: fine */
	assert_true(fib_icmp4_may_error(ip, 40, false));
	orig4(ip, 40, 17, 0x0010);
	assert_false(fib_icmp4_may_error(ip, 40, false));
	orig4(ip, 40, 1, 0);
	ip[20] = 8; /* echo request: a query */
	assert_true(fib_icmp4_may_error(ip, 40, false));
	ip[20] = 3; /* an error */
	assert_false(fib_icmp4_may_error(ip, 40, false));
	orig4(ip, 40, 17, 0);
	ip[16] = 239;
	assert_false(fib_icmp4_may_error(ip, 40, false));
	orig4(ip, 40, 17, 0);
	ip[12] = 0;
	assert_false(fib_icmp4_may_error(ip, 40, false));
	orig4(ip, 40, 17, 0);
	ip[12] = 127;
	assert_false(fib_icmp4_may_error(ip, 40, false));
}

static void
test_ipv4_error_built_in_place_and_cut_at_576(void **state)
{
	static uint8_t buf[2000], copy[2000];
	uint8_t src[4] = { 10, 0, 0, 1 };
	int n;

	(void)state;
	orig4(buf, 1500, 17, 0x4000);
	memcpy(copy, buf, 1500);
	n = fib_icmp4_error(buf, sizeof(buf), src, buf, 1500, 3, 4, 1400);
	assert_int_equal(n, 576);
	assert_int_equal(csum(buf, 20, 0), 0);
	assert_int_equal(buf[2] << 8 | buf[3], 576);
	assert_memory_equal(buf + 12, src, 4);
	assert_memory_equal(buf + 16, copy + 12, 4);
	assert_int_equal(buf[20], 3);
	assert_int_equal(buf[21], 4);
	assert_int_equal(buf[26] << 8 | buf[27], 1400);
	assert_int_equal(csum(buf + 20, 556, 0), 0);
	assert_memory_equal(buf + 28, copy, 548);
	orig4(buf, 60, 17, 0);
	memcpy(copy, buf, 60);
	n = fib_icmp4_error(buf, sizeof(buf), src, buf, 60, 11, 0, 0);
	assert_int_equal(n, 88);
	assert_memory_equal(buf + 28, copy, 60);
	assert_int_equal(fib_icmp4_error(buf, 50, src, copy, 60, 11, 0, 0), -ENOSPC);
	assert_int_equal(fib_icmp4_error(buf, 500, src, copy, 10, 11, 0, 0), -EINVAL);
}

static size_t
orig6(uint8_t *ip, size_t len, uint8_t nh)
{
	memset(ip, 0, len);
	ip[0] = 0x60;
	ip[4] = (uint8_t)((len - 40) >> 8);
	ip[5] = (uint8_t)(len - 40);
	ip[6] = nh;
	ip[7] = 1;
	ip[8] = 0x20;
	ip[9] = 0x01;
	ip[23] = 0x10;
	ip[24] = 0x20;
	ip[25] = 0x01;
	ip[39] = 0x11;
	return len;
}

static void
test_ipv6_rules_and_error_cut_at_1280(void **state)
{
	static uint8_t buf[3000], copy[3000];
	uint8_t src[16] = { 0x20, 0x01, [15] = 1 };
	uint32_t sum = 0;
	int n;

	(void)state;
	orig6(buf, 2000, 17);
	assert_true(fib_icmp6_may_error(buf, 2000, false, false));
	assert_false(fib_icmp6_may_error(buf, 2000, true, false));
	assert_true(fib_icmp6_may_error(buf, 2000, true, true));
	buf[24] = 0xff;
	assert_false(fib_icmp6_may_error(buf, 2000, false, false));
	assert_true(fib_icmp6_may_error(buf, 2000, false, true));
	orig6(buf, 100, 58);
	buf[40] = 1; /* an ICMPv6 error */
	assert_false(fib_icmp6_may_error(buf, 100, false, false));
	buf[40] = 128;
	assert_true(fib_icmp6_may_error(buf, 100, false, false));
	/* Behind a hop-by-hop header, still seen. */
	orig6(buf, 100, 0);
	buf[40] = 58;
	buf[41] = 0;
	buf[48] = 3;
	assert_false(fib_icmp6_may_error(buf, 100, false, false));

	orig6(buf, 2000, 17);
	memcpy(copy, buf, 2000);
	n = fib_icmp6_error(buf, sizeof(buf), src, buf, 2000, 2, 0, 1500);
	assert_int_equal(n, 1280);
	assert_int_equal(buf[4] << 8 | buf[5], 1240);
	assert_int_equal(buf[6], 58);
	assert_memory_equal(buf + 8, src, 16);
	assert_memory_equal(buf + 24, copy + 8, 16);
	assert_int_equal(buf[40], 2);
	assert_int_equal(buf[46] << 8 | buf[47], 1500);
	assert_memory_equal(buf + 48, copy, 1232);
	for (int i = 8; i < 40; i += 2)
		sum += (uint32_t)(buf[i] << 8 | buf[i + 1]);
	assert_int_equal(csum(buf + 40, 1240, sum + 1240 + 58), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_bucket_bursts_then_refills),
		cmocka_unit_test(test_ipv4_rules_refuse_errors_fragments_and_broadcasts),
		cmocka_unit_test(test_ipv4_error_built_in_place_and_cut_at_576),
		cmocka_unit_test(test_ipv6_rules_and_error_cut_at_1280),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
