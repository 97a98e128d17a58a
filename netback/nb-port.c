/* SPDX-License-Identifier: MIT */
/*
 * nb-port.c - the "vif" port class: glues a vif's data path (nb-vif.c) to the switch's port
 * interface. rx_burst takes what the guest transmitted; tx_burst queues frames for the guest.
 */
#include "netback/nb-private.h"
#include "vswitch/port.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

struct nb_vif_port {
	struct port port; /* first: port.c allocates the class's struct */
	struct nb_vif *vif;
};

static inline struct nb_vif *
nb_port_vif(const struct port *port)
{
	return ((const struct nb_vif_port *)port)->vif;
}

static unsigned int
nb_port_rx_burst(struct port *port, unsigned int qid, struct pkt_pool *pool,
		 struct pkt_batch *batch)
{
	struct nb_vif *vif = nb_port_vif(port);
	unsigned int n, i;
	uint64_t bytes = 0;

	(void)qid;
	if (!vif)
		return 0;
	n = nb_vif_guest_tx(vif, pool, batch->pkts + batch->count, pkt_batch_room(batch));
	for (i = 0; i < n; i++) {
		struct pkt *p = batch->pkts[batch->count + i];

		p->in_port = port->index;
		bytes += p->len;
	}
	batch->count += n;
	port_count_rx(port, n, bytes);
	return n;
}

static unsigned int
nb_port_tx_burst(struct port *port, unsigned int qid, struct pkt_batch *batch)
{
	struct nb_vif *vif = nb_port_vif(port);
	struct nb_vif_astats *st;
	uint64_t before_pkts, before_bytes;
	unsigned int n = 0;

	(void)qid;
	if (!vif) {
		port_count_ctr(port, VSW_CTR_TX_PORT_DOWN, batch->count);
		pkt_batch_free(batch);
		return 0;
	}
	/* The vif's MTU bounds what the guest gets, as the Linux vif's MTU does in a bridge. */
	for (unsigned int i = 0; i < batch->count; i++) {
		if (port_frame_fits(port, batch->pkts[i])) {
			batch->pkts[n++] = batch->pkts[i];
		} else {
			port_count_ctr(port, VSW_CTR_TX_TOO_BIG, 1);
			pkt_free(batch->pkts[i]);
		}
	}
	batch->count = n;
	st = &vif->stats;
	before_pkts = atomic_load_explicit(&st->rx_packets, memory_order_relaxed);
	before_bytes = atomic_load_explicit(&st->rx_bytes, memory_order_relaxed);
	nb_vif_guest_rx(vif, batch->pkts, n);
	batch->count = 0;
	/* What reached the guest now (queued frames are counted when delivered). */
	port_count_tx(port,
		      atomic_load_explicit(&st->rx_packets, memory_order_relaxed) - before_pkts,
		      atomic_load_explicit(&st->rx_bytes, memory_order_relaxed) - before_bytes);
	return n;
}

static int
nb_port_get_stats(const struct port *port, struct port_stats *stats)
{
	const struct nb_vif *vif = nb_port_vif(port);
	struct nb_vif_stats vs;

	*stats = port->stats;
	if (!vif)
		return 0;
	nb_vif_get_stats(vif, &vs);
	/* Guest TX is the port's rx; guest RX its tx. */
	stats->rx_packets = vs.tx_packets;
	stats->rx_bytes = vs.tx_bytes;
	stats->tx_packets = vs.rx_packets;
	stats->tx_bytes = vs.rx_bytes;
	stats->ctrs.c[VSW_CTR_RX_NOBUF] += vs.tx_drop_nobuf;
	stats->ctrs.c[VSW_CTR_TX_QUEUE_FULL] += vs.rx_drop_backlog;
	stats->ctrs.c[VSW_CTR_TX_PORT_DOWN] += vs.rx_drop_disconnected;
	stats->ctrs.c[VSW_CTR_TX_TOO_BIG] += vs.rx_drop_too_big;
	return 0;
}

static int
nb_port_get_etheraddr(const struct port *port, struct ether_addr *mac)
{
	const struct nb_vif *vif = nb_port_vif(port);

	if (!vif)
		return -ENODEV;
	/* Linux names the backend side fe:ff:ff:ff:ff:ff; report the guest's address. */
	memcpy(mac->ether_addr_octet, vif->mac, 6);
	return 0;
}

static int
nb_port_wait_fd(const struct port *port)
{
	const struct nb_vif *vif = nb_port_vif(port);

	return vif ? nb_vif_wait_fd(vif) : -1;
}

static bool
nb_port_arm(struct port *port)
{
	struct nb_vif *vif = nb_port_vif(port);

	return vif ? nb_vif_arm(vif) : false;
}

static void
nb_port_poll(struct port *port)
{
	struct nb_vif *vif = nb_port_vif(port);

	if (!vif)
		return;
	nb_vif_poll_events(vif);
	nb_vif_guest_rx_flush(vif);
}

static int
nb_port_set_mtu(struct port *port, unsigned int mtu)
{
	(void)port;
	(void)mtu;
	return 0; /* port.c records it; nb_port_tx_burst enforces it */
}

static void
nb_port_destruct(struct port *port)
{
	struct nb_vif *vif = nb_port_vif(port);

	if (vif && vif->port == port)
		vif->port = NULL;
}

static const struct port_class nb_vif_port_class = {
	.type = "vif",
	.port_size = sizeof(struct nb_vif_port),
	.destruct = nb_port_destruct,
	.set_mtu = nb_port_set_mtu,
	.rx_burst = nb_port_rx_burst,
	.tx_burst = nb_port_tx_burst,
	.get_stats = nb_port_get_stats,
	.get_etheraddr = nb_port_get_etheraddr,
	.wait_fd = nb_port_wait_fd,
	.arm = nb_port_arm,
	.poll = nb_port_poll,
};

static pthread_once_t nb_port_once = PTHREAD_ONCE_INIT;
static int nb_port_reg_err;

static void
nb_port_register(void)
{
	nb_port_reg_err = port_class_register(&nb_vif_port_class);
}

int
nb_vif_port_open(struct nb_vif *vif, struct port **portp)
{
	struct port *port;
	int err;

	pthread_once(&nb_port_once, nb_port_register);
	if (nb_port_reg_err && nb_port_reg_err != -EEXIST)
		return nb_port_reg_err;
	err = port_open("vif", vif->name, NULL, &port);
	if (err)
		return err;
	((struct nb_vif_port *)port)->vif = vif;
	vif->port = port;
	*portp = port;
	return 0;
}

struct nb_vif *
nb_vif_port_vif(const struct port *port)
{
	return port && port->cls == &nb_vif_port_class ? nb_port_vif(port) : NULL;
}
