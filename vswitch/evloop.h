/* SPDX-License-Identifier: MIT */
/*
 * evloop.h - a single-threaded epoll event loop for control planes (netbackd, nb-simhv).
 *
 * Contract: one loop per process, driven by one thread. Components register a file
 * descriptor with a callback; the callback runs on the loop thread with the epoll events
 * that fired. A callback may add, modify or delete any registration, including its own
 * (deleting frees the registration after the current dispatch round, so a stale event
 * for a deleted fd in the same round is skipped). Functions return 0 or -errno.
 */
#ifndef VSW_LOOP_H
#define VSW_LOOP_H

#include <stdint.h>

struct vsw_loop;

/* Called with the epoll event mask (EPOLLIN, EPOLLOUT, EPOLLHUP, ...). */
typedef void vsw_loop_fn(void *arg, uint32_t events);

/* Creates a loop in '*loopp'. */
int vsw_loop_create(struct vsw_loop **loopp);

/* Frees the loop; registrations still present are dropped (their fds are not closed). */
void vsw_loop_destroy(struct vsw_loop *loop);

/* Registers 'fd' for 'events'; -EEXIST if already registered. */
int vsw_loop_add(struct vsw_loop *loop, int fd, uint32_t events, vsw_loop_fn *fn, void *arg);

/* Changes the event mask of a registered fd. */
int vsw_loop_mod(struct vsw_loop *loop, int fd, uint32_t events);

/* Removes 'fd'; its callback is not called again. The fd itself is not closed. */
int vsw_loop_del(struct vsw_loop *loop, int fd);

/* Runs one round: waits up to 'timeout_ms' (-1 = forever) and dispatches. Returns the
 * number of callbacks run, or -errno (-EINTR is returned as 0). */
int vsw_loop_run_once(struct vsw_loop *loop, int timeout_ms);

/* Asks vsw_loop_run() to return after the current round (async-signal-safe). */
void vsw_loop_stop(struct vsw_loop *loop);

/* Runs rounds until vsw_loop_stop(). */
int vsw_loop_run(struct vsw_loop *loop);

#endif
