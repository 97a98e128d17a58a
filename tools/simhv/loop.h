/* SPDX-License-Identifier: MIT */
/*
 * loop.h - the single-threaded event loop of nb-simhv.
 *
 * Contract: one loop per process, driven by one thread. Components register a file
 * descriptor with a callback; the callback runs on the loop thread with the epoll events
 * that fired. A callback may add, modify or delete any registration, including its own
 * (deleting frees the registration after the current dispatch round, so a stale event
 * for a deleted fd in the same round is skipped). Functions return 0 or -errno.
 */
#ifndef SHV_LOOP_H
#define SHV_LOOP_H

#include <stdint.h>

struct shv_loop;

/* Called with the epoll event mask (EPOLLIN, EPOLLOUT, EPOLLHUP, ...). */
typedef void shv_loop_fn(void *arg, uint32_t events);

/* Creates a loop in '*loopp'. */
int shv_loop_create(struct shv_loop **loopp);

/* Frees the loop; registrations still present are dropped (their fds are not closed). */
void shv_loop_destroy(struct shv_loop *loop);

/* Registers 'fd' for 'events'; -EEXIST if already registered. */
int shv_loop_add(struct shv_loop *loop, int fd, uint32_t events, shv_loop_fn *fn, void *arg);

/* Changes the event mask of a registered fd. */
int shv_loop_mod(struct shv_loop *loop, int fd, uint32_t events);

/* Removes 'fd'; its callback is not called again. The fd itself is not closed. */
int shv_loop_del(struct shv_loop *loop, int fd);

/* Runs one round: waits up to 'timeout_ms' (-1 = forever) and dispatches. Returns the
 * number of callbacks run, or -errno (-EINTR is returned as 0). */
int shv_loop_run_once(struct shv_loop *loop, int timeout_ms);

/* Asks shv_loop_run() to return after the current round (async-signal-safe). */
void shv_loop_stop(struct shv_loop *loop);

/* Runs rounds until shv_loop_stop(). */
int shv_loop_run(struct shv_loop *loop);

#endif
