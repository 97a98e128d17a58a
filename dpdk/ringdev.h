/* SPDX-License-Identifier: MIT */
/*
 * ringdev.h - an rte_ethdev whose wire is a pair of rte_rings that the caller fills and
 * empties itself (rte_eth_from_rings): deterministic frame-by-frame feeding of "dpdk" ports,
 * which is how nb-replay runs the golden tests through the DPDK engine.
 *
 * Contract:
 * - dpdk_ringdev_create() makes an ethdev called "net_ring_" + 'name' (open it as a "dpdk"
 *   port with args dpdk_ringdev_name()); inject() copies a frame into an mbuf of
 *   dpdk_rx_mempool() and queues it on the device's rx ring, so the port's next rx_burst
 *   returns it (this copy stands for the wire); drain() hands every frame the device sent, in
 *   order, to fn and frees the mbufs.
 * - Close the port before dpdk_ringdev_destroy(), which closes the ethdev and frees the
 *   rings. Single thread (the one driving a switch without workers). Functions return 0 or
 *   -errno, drain a count.
 */
#ifndef DPDK_RINGDEV_H
#define DPDK_RINGDEV_H

#include <stdint.h>

struct dpdk_ringdev;

int dpdk_ringdev_create(const char *name, struct dpdk_ringdev **devp);
void dpdk_ringdev_destroy(struct dpdk_ringdev *dev);

/* The ethdev's name as DPDK knows it: the "dpdk" port argument. */
const char *dpdk_ringdev_name(const struct dpdk_ringdev *dev);

/* -ENOBUFS (no mbuf, or the ring is full), -EMSGSIZE (longer than an mbuf holds). */
int dpdk_ringdev_inject(struct dpdk_ringdev *dev, const void *data, uint32_t len);

unsigned int dpdk_ringdev_drain(struct dpdk_ringdev *dev,
				void (*fn)(void *arg, const void *data, uint32_t len), void *arg);

#endif
