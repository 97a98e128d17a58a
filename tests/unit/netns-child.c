/* SPDX-License-Identifier: MIT */
/*
 * netns-child.c - a test body in a forked child with a network namespace of its own (see
 * netns-child.h).
 */
#include "tests/unit/netns-child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define TNET_MSG_SIZE 512

static int tnet_result_fd = -1;

void
tnet_child_fail(int line, const char *expr, long long a, long long b)
{
	char msg[TNET_MSG_SIZE];
	int n = snprintf(msg, sizeof(msg), "line %d: %s (%lld vs %lld, errno %d)", line, expr, a, b,
			 errno);

	if (n > 0 && write(tnet_result_fd, msg, strlen(msg)) < 0)
		_exit(2);
	_exit(1);
}

void
tnet_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

uint64_t
tnet_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
tnet_run_in_netns(const char *setup, unsigned int timeout_ms, void (*body)(void))
{
	char msg[TNET_MSG_SIZE] = "";
	size_t used = 0;
	int pfd[2];
	int status;
	pid_t pid;

	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		tnet_result_fd = pfd[1];
		CHECK(unshare(CLONE_NEWNET) == 0);
		/* New devices get no IPv6: no RS/MLD/DAD frames to tell apart from the test's. */
		tnet_write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
		if (setup)
			CHECK(system(setup) == 0);
		body();
		exit(0);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, (int)timeout_ms) <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(pfd[0]);
			fail_msg("child timed out after %u ms", timeout_ms);
		}
		r = read(pfd[0], msg + used, sizeof(msg) - 1 - used);
		if (r <= 0)
			break;
		used += (size_t)r;
	}
	msg[used] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (used)
		fail_msg("%s", msg);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child ended with status 0x%x", status);
}
