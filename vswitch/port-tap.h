/* SPDX-License-Identifier: MIT */
/*
 * port-tap.h - the "tap" port class: a Linux TAP device in dom0, the network's host port.
 *
 * Contract:
 * - port_open("tap", NAME, "ifname=IF[,mtu=N][,mac=xx:xx:xx:xx:xx:xx][,vnet_hdr=0|1]", ...)
 *   creates the TAP device IF (IFF_TAP | IFF_NO_PI, plus IFF_VNET_HDR with vnet_hdr=1), or
 *   attaches to an existing persistent one, in the network namespace of the calling thread.
 *   It sets the MTU (PORT_MTU_MIN..PORT_MTU_MAX) and the MAC (unicast, not zero) when given,
 *   brings the device up and keeps a non-blocking fd. Without mtu= the port takes the
 *   device's current MTU. IF is 1..IFNAMSIZ-1 characters without '/', ':', '%' or spaces
 *   (no "tap%d" templates: the caller names the device). Bad arguments give -EINVAL; kernel
 *   refusals come back as their -errno (-EBUSY: a single-queue TAP already attached,
 *   -EINVAL: IF exists and is not a TAP). port_close() closes the fd, which removes a
 *   non-persistent device and leaves a persistent one in place.
 * - rx_burst reads up to pkt_batch_room() frames, one pool buffer each, and stops when the
 *   device has no more. Drops, each frame counted once: RX_NOBUF (pool empty: the frame is
 *   read and discarded so a level-triggered fd cannot spin the worker), RX_RUNT (shorter
 *   than an Ethernet header), RX_TOO_BIG (longer than the buffer or than the MTU allows per
 *   port_frame_fits(), or a vnet header the switch cannot represent).
 * - tx_burst writes every frame and never blocks. A PKT_F_VLAN tag is put into the frame
 *   bytes first. Drops: TX_TOO_BIG (over the MTU; with vnet_hdr=0 GSO frames too, as the
 *   device cannot be told to segment them), TX_QUEUE_FULL (EAGAIN/ENOBUFS/ENOMEM),
 *   TX_PORT_DOWN (the device is down or refused the frame). With vnet_hdr=0 a
 *   PKT_F_CSUM_BLANK frame gets its checksum filled in before the write.
 * - vnet_hdr=1 turns on the kernel's checksum and TSO offloads towards the port
 *   (TUNSETOFFLOAD TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6), so frames read may be
 *   PKT_F_CSUM_BLANK or TCP GSO frames larger than the MTU, and frames written keep their
 *   offload state. The header is the 10-byte legacy struct virtio_net_hdr in host byte
 *   order (the kernel default on every host, set explicitly with TUNSETVNETHDRSZ since a
 *   persistent device may keep another size).
 * - Threading and errors as in port.h: construct/destruct/set_mtu/get_etheraddr on the
 *   control thread (they use a control socket opened in the device's namespace at
 *   construct), rx_burst/tx_burst on the owning worker. One queue each way (qid 0).
 *   Functions return 0 or -errno; bursts return counts.
 */
#ifndef VSW_PORT_TAP_H
#define VSW_PORT_TAP_H

#include <linux/virtio_net.h>

#include "vswitch/port.h"

extern const struct port_class port_tap_class;

/* Registers port_tap_class; 0 also if it was registered already. */
int port_tap_register(void);

/*
 * The vnet header codec, pure (no fd, no state), exposed for unit tests and fuzzing.
 *
 * port_tap_vnet_to_pkt: applies header 'h' read with frame 'p' (p->len set) to p's metadata.
 * NEEDS_CSUM -> PKT_F_CSUM_BLANK when csum_start/csum_offset name the TCP/UDP checksum
 * field that the switch's parser finds; at any other in-frame place the checksum is
 * completed here instead (as the kernel's skb_checksum_help does) and the frame is marked
 * PKT_F_DATA_VALIDATED. DATA_VALID -> PKT_F_DATA_VALIDATED. TCPV4/TCPV6 GSO (ECN bit
 * ignored) -> gso_type/gso_size; GSO needs NEEDS_CSUM on a TCP checksum of the matching IP
 * version and a non-zero gso_size. Returns -EINVAL, and leaves 'p' untouched, for unknown
 * flags or GSO types or inconsistent fields.
 *
 * port_tap_vnet_from_pkt: fills 'h' for writing frame 'p'. For a PKT_F_CSUM_BLANK or GSO
 * frame whose TCP/UDP header it locates (Ethernet, up to two VLAN tags, IPv4 unfragmented,
 * IPv6 with hop-by-hop/routing/destination options), it sets NEEDS_CSUM and the checksum
 * position, stores the pseudo-header sum in the checksum field (what the kernel expects of
 * a partial checksum; guests that leave the field blank get it right too) and cuts any
 * Ethernet padding after the IP packet. A blank-checksum frame it cannot locate goes out
 * as it is (flags 0). -EINVAL for a GSO frame that is not TCP of its gso_type with a sane
 * TCP header and a non-zero gso_size.
 */
int port_tap_vnet_to_pkt(const struct virtio_net_hdr *h, struct pkt *p);
int port_tap_vnet_from_pkt(struct pkt *p, struct virtio_net_hdr *h);

#endif
