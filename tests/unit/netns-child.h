/* SPDX-License-Identifier: MIT */
/*
 * netns-child.h - unit tests that need a network namespace of their own (the port tests:
 * af_packet, af_xdp, tap). The test body runs in a forked child that unshares its network
 * namespace, so the interfaces it makes vanish with it and never touch the machine's own;
 * the child's checks (CHECK, CHECK_EQ) report the first failure through a pipe, and the
 * parent fails the cmocka test with that message, or when the child exceeds its time.
 *
 * Contract:
 * - tnet_run_in_netns(setup, timeout_ms, body): forks; the child unshares CLONE_NEWNET,
 *   turns IPv6 off for new devices (no RS/MLD/DAD frames to tell apart from a test's), runs
 *   the shell command 'setup' if not NULL (CHECKed to succeed, e.g. making a veth pair), then
 *   body(), then exits 0. The parent waits at most 'timeout_ms' for the child's report
 *   (SIGKILL after) and fails the test on a report, a timeout or a non-zero exit.
 * - CHECK/CHECK_EQ are for the child only (they end it); the parent uses cmocka's asserts.
 * - tnet_now_ms(): CLOCK_MONOTONIC in milliseconds. tnet_write_file(): writes 'text' to an
 *   existing file (a sysctl), silently doing nothing if it cannot be opened.
 */
#ifndef TESTS_UNIT_NETNS_CHILD_H
#define TESTS_UNIT_NETNS_CHILD_H

#include <stdint.h>

void tnet_child_fail(int line, const char *expr, long long a, long long b)
	__attribute__((noreturn));

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			tnet_child_fail(__LINE__, #cond, 0, 0);                                    \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_)                                                                      \
			tnet_child_fail(__LINE__, #a " == " #b, a_, b_);                           \
	} while (0)

void tnet_run_in_netns(const char *setup, unsigned int timeout_ms, void (*body)(void));
void tnet_write_file(const char *path, const char *text);
uint64_t tnet_now_ms(void);

#endif
