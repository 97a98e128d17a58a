/* SPDX-License-Identifier: MIT */
/*
 * nb-ring.h - the netif ring ABI for netback and the simulated frontends.
 *
 * Contract: include this instead of <xen/io/netif.h>. It selects the current Xen interface
 * version (__XEN_TOOLS__) and supplies the memory barriers ring.h expects in user space
 * (xen_mb/xen_rmb/xen_wmb), built on C11 fences so they are right on every architecture the
 * compilers support. Shared ring fields that the other end writes are read with
 * NB_READ_ONCE(), exactly once per use site.
 */
#ifndef NB_RING_H
#define NB_RING_H

#ifndef __XEN_TOOLS__
#define __XEN_TOOLS__ 1
#endif

#include <stdatomic.h>
#include <stdint.h>

#define xen_mb()  atomic_thread_fence(memory_order_seq_cst)
#define xen_rmb() atomic_thread_fence(memory_order_acquire)
#define xen_wmb() atomic_thread_fence(memory_order_release)

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/io/netif.h>

/* XEN_PAGE_SIZE is what ring and grant arithmetic use, whatever the OS page size. */
#define NB_XEN_PAGE_SIZE 4096u

/* Reads a field the other end may change concurrently, exactly once. */
#define NB_READ_ONCE(x)	    (*(const volatile __typeof__(x) *)&(x))
#define NB_WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#endif
