/* SPDX-License-Identifier: MIT */
/*
 * evloop.c - epoll-based control event loop (see evloop.h). Registrations live in a
 * small array indexed by fd; deletions during dispatch are deferred by a generation check.
 */
#include "vswitch/evloop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define VSW_LOOP_MAX_EVENTS 64

struct vsw_loop_reg {
	vsw_loop_fn *fn; /* NULL: slot unused */
	void *arg;
	uint64_t gen; /* bumped on every add, so a stale event can be told apart */
};

struct vsw_loop {
	int epfd;
	struct vsw_loop_reg *regs; /* indexed by fd */
	int n_regs;
	uint64_t next_gen;
	volatile sig_atomic_t stop;
};

int
vsw_loop_create(struct vsw_loop **loopp)
{
	struct vsw_loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return -ENOMEM;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		int err = -errno;

		free(loop);
		return err;
	}
	loop->next_gen = 1;
	*loopp = loop;
	return 0;
}

void
vsw_loop_destroy(struct vsw_loop *loop)
{
	if (!loop)
		return;
	close(loop->epfd);
	free(loop->regs);
	free(loop);
}

static int
vsw_loop_grow(struct vsw_loop *loop, int fd)
{
	int n = loop->n_regs ? loop->n_regs : 64;
	struct vsw_loop_reg *regs;

	while (n <= fd)
		n *= 2;
	regs = realloc(loop->regs, (size_t)n * sizeof(*regs));
	if (!regs)
		return -ENOMEM;
	memset(regs + loop->n_regs, 0, (size_t)(n - loop->n_regs) * sizeof(*regs));
	loop->regs = regs;
	loop->n_regs = n;
	return 0;
}

int
vsw_loop_add(struct vsw_loop *loop, int fd, uint32_t events, vsw_loop_fn *fn, void *arg)
{
	struct epoll_event ev = { .events = events };
	int err;

	if (fd < 0 || !fn)
		return -EINVAL;
	if (fd >= loop->n_regs) {
		err = vsw_loop_grow(loop, fd);
		if (err)
			return err;
	}
	if (loop->regs[fd].fn)
		return -EEXIST;
	loop->regs[fd].gen = loop->next_gen++;
	ev.data.u64 = ((uint64_t)fd << 32) | (loop->regs[fd].gen & 0xffffffffu);
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	loop->regs[fd].fn = fn;
	loop->regs[fd].arg = arg;
	return 0;
}

int
vsw_loop_mod(struct vsw_loop *loop, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };

	if (fd < 0 || fd >= loop->n_regs || !loop->regs[fd].fn)
		return -ENOENT;
	ev.data.u64 = ((uint64_t)fd << 32) | (loop->regs[fd].gen & 0xffffffffu);
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	return 0;
}

int
vsw_loop_del(struct vsw_loop *loop, int fd)
{
	if (fd < 0 || fd >= loop->n_regs || !loop->regs[fd].fn)
		return -ENOENT;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->regs[fd].fn = NULL;
	loop->regs[fd].arg = NULL;
	return 0;
}

int
vsw_loop_run_once(struct vsw_loop *loop, int timeout_ms)
{
	struct epoll_event evs[VSW_LOOP_MAX_EVENTS];
	int n, i, ran = 0;

	n = epoll_wait(loop->epfd, evs, VSW_LOOP_MAX_EVENTS, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		int fd = (int)(evs[i].data.u64 >> 32);
		uint32_t gen = (uint32_t)evs[i].data.u64;
		struct vsw_loop_reg *reg;

		if (fd >= loop->n_regs)
			continue;
		reg = &loop->regs[fd];
		/* Skip events of an fd deleted (or deleted and re-added) earlier in this round. */
		if (!reg->fn || (uint32_t)reg->gen != gen)
			continue;
		reg->fn(reg->arg, evs[i].events);
		ran++;
	}
	return ran;
}

void
vsw_loop_stop(struct vsw_loop *loop)
{
	loop->stop = 1;
}

int
vsw_loop_run(struct vsw_loop *loop)
{
	while (!loop->stop) {
		int err = vsw_loop_run_once(loop, -1);

		if (err < 0)
			return err;
	}
	return 0;
}
