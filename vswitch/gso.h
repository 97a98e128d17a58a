/* SPDX-License-Identifier: MIT */
/*
 * gso.h - software segmentation of TCP GSO frames, for destinations that cannot take them.
 *
 * Contract:
 * - A GSO frame (pkt.gso_type PKT_GSO_TCPV4/TCPV6, gso_size = MSS) is one Ethernet frame of
 *   up to 64 KiB whose TCP payload is to be cut into MSS-sized segments, as virtio
 *   VIRTIO_NET_HDR_GSO_TCP* and netif XEN_NETIF_GSO_TYPE_TCP* describe. Its bytes are hostile
 *   (a guest wrote them): every header is bounds-checked, the IP lengths decide where the
 *   payload ends (trailing bytes are ignored), and the work per frame is bounded by
 *   VSW_GSO_SEGS_MAX.
 * - vsw_gso_segment() builds each segment as a complete frame in a buffer of 'pool': the
 *   Ethernet/VLAN, IP and TCP headers copied, IPv4 total length, id (+1 per segment) and
 *   header checksum, IPv6 payload length, TCP sequence number, FIN/PSH only on the last
 *   segment and CWR only on the first, and the TCP checksum filled in (PKT_F_DATA_VALIDATED).
 *   Metadata (in_port, VLAN tag, timestamp) is carried over. The input frame is not changed
 *   and stays with the caller. Pure function of its input; the pool rules of pkt.h apply.
 * - Returns the number of segments stored in 'segs', or -EINVAL (not a well-formed TCP GSO
 *   frame), -E2BIG (more than 'max' segments), -ENOBUFS (pool empty or its buffers too
 *   small); on error no segment is left allocated.
 */
#ifndef VSW_GSO_H
#define VSW_GSO_H

#include "vswitch/pkt.h"

/* Most segments one GSO frame may become: 64 KiB at an MSS of 536 is 123. */
#define VSW_GSO_SEGS_MAX 128

int vsw_gso_segment(const struct pkt *p, struct pkt_pool *pool, struct pkt **segs,
		    unsigned int max);

#endif
