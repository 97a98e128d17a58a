/* SPDX-License-Identifier: MIT */
/*
 * ringdev.c - ring-backed ethdevs for replay (see ringdev.h).
 */
#include "dpdk/ringdev.h"

#include "dpdk/dpdk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_eth_ring.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#define DPDK_RINGDEV_SLOTS 4096

struct dpdk_ringdev {
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_ring *rx; /* we enqueue, the device receives */
	struct rte_ring *tx; /* the device sends, we dequeue */
};

static unsigned int dpdk_ringdev_seq;

int
dpdk_ringdev_create(const char *name, struct dpdk_ringdev **devp)
{
	char rname[RTE_RING_NAMESIZE];
	struct dpdk_ringdev *dev;
	unsigned int seq = dpdk_ringdev_seq++;
	int err, id = -1;

	if (!dpdk_eal_ready())
		return -ENODEV;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	snprintf(rname, sizeof(rname), "nbrd_rx_%u", seq);
	dev->rx = rte_ring_create(rname, DPDK_RINGDEV_SLOTS, (int)rte_socket_id(),
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(rname, sizeof(rname), "nbrd_tx_%u", seq);
	dev->tx = rte_ring_create(rname, DPDK_RINGDEV_SLOTS, (int)rte_socket_id(),
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (dev->rx && dev->tx)
		id = rte_eth_from_rings(name, &dev->rx, 1, &dev->tx, 1, rte_socket_id());
	if (id < 0 || rte_eth_dev_get_name_by_port((uint16_t)id, dev->name) != 0) {
		err = rte_errno ? -rte_errno : -ENOMEM;
		rte_ring_free(dev->rx);
		rte_ring_free(dev->tx);
		free(dev);
		return err;
	}
	*devp = dev;
	return 0;
}

static void
dpdk_ringdev_flush(struct rte_ring *r)
{
	void *m;

	while (r && rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}

void
dpdk_ringdev_destroy(struct dpdk_ringdev *dev)
{
	uint16_t id;

	if (!dev)
		return;
	/* The port only stopped the device (it did not probe it): close it here. */
	if (rte_eth_dev_get_port_by_name(dev->name, &id) == 0)
		rte_eth_dev_close(id);
	dpdk_ringdev_flush(dev->rx);
	dpdk_ringdev_flush(dev->tx);
	rte_ring_free(dev->rx);
	rte_ring_free(dev->tx);
	free(dev);
}

int
dpdk_ringdev_inject(struct dpdk_ringdev *dev, const void *data, uint32_t len)
{
	struct rte_mempool *mp = dpdk_rx_mempool();
	struct rte_mbuf *m = mp ? rte_pktmbuf_alloc(mp) : NULL;
	char *d;

	if (!m)
		return -ENOBUFS;
	if (len > UINT16_MAX || !(d = rte_pktmbuf_append(m, (uint16_t)len))) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	memcpy(d, data, len);
	if (rte_ring_enqueue(dev->rx, m) != 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

const char *
dpdk_ringdev_name(const struct dpdk_ringdev *dev)
{
	return dev->name;
}

unsigned int
dpdk_ringdev_drain(struct dpdk_ringdev *dev, void (*fn)(void *arg, const void *data, uint32_t len),
		   void *arg)
{
	unsigned int n = 0;
	void *obj;

	while (rte_ring_dequeue(dev->tx, &obj) == 0) {
		struct rte_mbuf *m = obj;

		fn(arg, rte_pktmbuf_mtod(m, const void *), m->data_len);
		rte_pktmbuf_free(m);
		n++;
	}
	return n;
}
