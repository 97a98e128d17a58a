/* SPDX-License-Identifier: MIT */
/*
 * krt.h - following dom0's kernel main routing table (RT_TABLE_MAIN) over rtnetlink with
 * libmnl, for the routed mode's follow_kernel=1.
 *
 * Contract
 * - fib_krt_open() opens a non-blocking NETLINK_ROUTE socket subscribed to
 *   RTNLGRP_IPV4_ROUTE and RTNLGRP_IPV6_ROUTE and asks for a dump of both families.
 *   fib_krt_dump() asks again (after the mode's connected routes changed, e.g. an uplink
 *   joined). fib_krt_poll() never blocks: it reads what is pending (dump replies and
 *   notifications alike) and reports each unicast route of the main table to 'fn' as an
 *   add or a delete, with its gateway (NULL for a device route). Bounded work per call
 *   (FIB_KRT_POLL_MAX datagrams); what is left is read on the next call.
 * - A lost notification (ENOBUFS on the socket) triggers a new dump, so the caller
 *   converges; it keeps routes it learned until told to delete them.
 * - Threading: one thread at a time (the network's worker). Errors: 0 or -errno.
 */
#ifndef FIB_KRT_H
#define FIB_KRT_H

#include <stdbool.h>
#include <stdint.h>

#define FIB_KRT_POLL_MAX 64

struct fib_krt;

typedef void fib_krt_fn(void *arg, bool add, int family, const uint8_t *dst, unsigned int plen,
			const uint8_t *gw);

int fib_krt_open(struct fib_krt **krtp);

/* Closes the socket; NULL ok. */
void fib_krt_close(struct fib_krt *krt);

/* Requests a dump of both families' routes (answers are read by fib_krt_poll). */
int fib_krt_dump(struct fib_krt *krt);

/* Reads pending messages, reporting routes to 'fn'; returns the number of routes reported
 * or -errno. */
int fib_krt_poll(struct fib_krt *krt, fib_krt_fn *fn, void *arg);

/* Parses one rtnetlink message 'nlh' (RTM_NEWROUTE/DELROUTE) and reports it to 'fn' if it
 * is a unicast route of the main table: 1 if reported, 0 if ignored, -EINVAL if malformed.
 * Exposed for tests and fuzzing. */
struct nlmsghdr;
int fib_krt_parse(const struct nlmsghdr *nlh, fib_krt_fn *fn, void *arg);

#endif
