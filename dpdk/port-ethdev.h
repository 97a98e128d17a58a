/* SPDX-License-Identifier: MIT */
/*
 * port-ethdev.h - the "dpdk" port class: any rte_ethdev (a PCI NIC, or a virtual device:
 * net_pcap, net_ring, net_memif, net_vhost, net_virtio_user, net_tap, net_af_xdp...) as a
 * switch port.
 *
 * Contract:
 * - Arguments: the device's devargs, verbatim, e.g. "net_pcap0,rx_pcap=a.pcap,tx_pcap=b.pcap",
 *   "net_ring0", "net_vhost0,iface=/run/vh.sock", or "0000:01:00.0". The device name is the
 *   part before the first ','. A device that exists already (probed by EAL from -a/--vdev,
 *   or made with rte_eth_from_rings()) is used as it is; otherwise it is probed with
 *   rte_dev_probe() and closed and removed again when the port closes (a device that was
 *   there before is only stopped, so it can be opened again). One port per device (-EBUSY).
 * - Needs EAL (dpdk_eal_init) and at least one mbuf pool (dpdk_pool_create): the device gets
 *   as many rx and tx queues as the engine has workers (dpdk_engine_n_workers), at most what
 *   it offers, RSS over IP/TCP/UDP when it has several rx queues and hashes; its rx queues
 *   draw mbufs from the first pool made; it is started, promiscuous, at open (port->n_rxq,
 *   n_txq say how many queues). -ENODEV without EAL or for an unknown device.
 * - Queues (multi_worker): rx_burst(qid) reads rx queue qid, tx_burst(qid) writes tx queue
 *   qid modulo n_txq; several workers may use distinct queues at once, and those that share
 *   a tx queue (fewer tx queues than workers) take its spinlock. Packet and byte counters
 *   are per queue (one writer each), summed by get_stats.
 * - rx_burst: the mbufs a device returns become packets in place (their struct pkt lives in
 *   the mbuf, pkt.h / dpdk.h), owned by the polling worker's pool from then on; a chained
 *   (multi-segment) mbuf is dropped (RX_TOO_BIG). tx_burst: a packet of an mbuf pool goes to
 *   the device as its own mbuf, no copy; any other packet (a native pool's) is copied once
 *   into an mbuf and counted (TX_COPIED). Frames the MTU forbids: TX_TOO_BIG; a PKT_F_VLAN
 *   tag is written into the frame first; what the device does not take: TX_QUEUE_FULL.
 * - get_stats adds the device's own drops: imissed + rx_nombuf to RX_NOBUF, ierrors to
 *   RX_ERROR, oerrors to TX_ERROR. set_mtu asks the device (accepted if it has no MTU).
 * - No wait fd: the port is polled (the DPDK engine's workers busy-poll).
 */
#ifndef DPDK_PORT_ETHDEV_H
#define DPDK_PORT_ETHDEV_H

#include "vswitch/port.h"

extern const struct port_class dpdk_port_class;

/* Registers dpdk_port_class ("dpdk"); 0 also if it is registered already. */
int dpdk_port_register(void);

/* The ethdev port id of an open "dpdk" port, or -EINVAL. */
int dpdk_port_id(const struct port *port);

#endif
