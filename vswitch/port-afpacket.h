/* SPDX-License-Identifier: MIT */
/*
 * port-afpacket.h - the "af_packet" port class: an uplink bound to an existing dom0
 * interface (a NIC, a veth end) through a PF_PACKET socket.
 *
 * Contract:
 * - Arguments "ifname=IF[,blocks=N][,guard=0|1]". The interface must exist and be Ethernet; its MTU
 *   and MAC are the port's (read at open; set_mtu is not offered: change the interface).
 *   The port puts it in promiscuous mode (a packet membership, dropped with the socket) and
 *   does not change its link state. blocks= is the RX ring size in blocks of
 *   PORT_AFPACKET_BLOCK_BYTES (PORT_AFPACKET_BLOCKS_MIN..MAX, default 32).
 * - guard=1 attaches the uplink guard (vswitch/xdpguard.h) to the interface at open and
 *   detaches it at close; its drops are the port's XDP_DROP_* counters (get_stats). If it
 *   cannot be attached (no permission, no XDP, another XDP program there) construct fails
 *   with that error; the caller may open the port again without it.
 * - RX: a TPACKET_V3 ring mapped into the process; rx_burst walks retired blocks and
 *   copies each frame into a pool buffer, so there is no system call per packet (nor per
 *   burst while blocks are ready). A block is retired by the kernel when full or after
 *   PORT_AFPACKET_RETIRE_MS, the worst added latency at low rates. Frames the socket saw
 *   leaving the interface (PACKET_OUTGOING: what this port or dom0 sent) are skipped. A
 *   VLAN tag the kernel stripped into metadata is put back into the frame bytes (802.1Q or
 *   the TPID reported), so the switch stays VLAN-transparent. A frame with a checksum the
 *   kernel left for offload (a local sender on the other end) gets it filled in. Drops:
 *   RX_NOBUF (pool empty), RX_TOO_BIG (over the MTU per port_frame_fits(), over the buffer,
 *   or truncated by the ring).
 * - TX: sendmmsg() of the whole batch, one system call per burst, with PACKET_QDISC_BYPASS
 *   (a switch port queues in the NIC's ring, not in a qdisc). Why not a TPACKET_V2 TX ring:
 *   it would still need one send() per burst to kick the kernel, adds a copy into the ring
 *   on top of the kernel's own copy into an skb, and frame-slot ownership to manage;
 *   sendmmsg copies straight from the packet buffers. A PKT_F_VLAN tag is put into the frame
 *   bytes and a PKT_F_CSUM_BLANK checksum is filled in first. Drops: TX_TOO_BIG (over the
 *   MTU; GSO frames, which the interface cannot be told to segment), TX_QUEUE_FULL
 *   (EAGAIN/ENOBUFS/ENOMEM), TX_PORT_DOWN (ENETDOWN/ENXIO), TX_ERROR (anything else).
 * - wait_fd is the socket (readable when a block is retired); arm() reports a ready block.
 * - Threading and errors as port.h; construct errors: -EINVAL (args, not Ethernet),
 *   -ENODEV (no such interface), or the socket/ring set-up's -errno (-EPERM without
 *   CAP_NET_RAW).
 */
#ifndef VSW_PORT_AFPACKET_H
#define VSW_PORT_AFPACKET_H

#include "vswitch/port.h"

#define PORT_AFPACKET_BLOCK_BYTES    (128u * 1024) /* holds a 64 KiB frame with its header */
#define PORT_AFPACKET_BLOCKS_MIN     4
#define PORT_AFPACKET_BLOCKS_MAX     256
#define PORT_AFPACKET_BLOCKS_DEFAULT 32
#define PORT_AFPACKET_RETIRE_MS	     1

extern const struct port_class port_afpacket_class;

/* The uplink guard of an af_packet port opened with guard=1, else NULL. */
struct xdpg *port_afpacket_guard(const struct port *port);

/* Registers port_afpacket_class; 0 also if it was registered already. */
int port_afpacket_register(void);

#endif
