/* SPDX-License-Identifier: MIT */
/*
 * port-afxdp.h - the "af_xdp" port class: an uplink bound to an existing dom0 interface (a
 * NIC, a veth end) through an AF_XDP socket fed by an XDP program, one RX/TX queue pair.
 *
 * Contract:
 * - Arguments "ifname=IF[,queue_id=N][,xdp_mode=auto|native|generic]
 *   [,bind=auto|zerocopy|copy][,prog=PATH][,guard=0|1]". The interface must exist and be Ethernet; its
 *   MTU and MAC are the port's (read at open; set_mtu is not offered), and its MTU must let
 *   a frame with a VLAN tag fit in one UMEM frame (PORT_AFXDP_MTU_MAX), else -EMSGSIZE
 *   (AF_XDP without multi-buffer cannot carry bigger frames). queue_id= (default 0, below
 *   PORT_AFXDP_QUEUES_MAX) is the one device queue served; frames arriving on other queues
 *   go to the kernel stack, not the switch. So a device reporting more than one RX queue
 *   (ETHTOOL_GCHANNELS) is refused with -EOPNOTSUPP unless queue_id= is given explicitly
 *   (then steering the uplink's traffic to that queue is the administrator's part).
 * - The XDP program (vswitch/bpf/xdp-redirect.bpf.c, built to PORT_AFXDP_PROG_FILE) is
 *   loaded with libbpf from prog=PATH, else $NB_BPF_DIR/PORT_AFXDP_PROG_FILE, else
 *   ../bpf/PORT_AFXDP_PROG_FILE next to the running executable (build/bin/netbackd and
 *   build/tests/ both find build/bpf/). It is attached to the interface only if no XDP
 *   program is there (else -EBUSY): in driver mode first, then generic (skb) mode
 *   (xdp_mode=auto; native/generic force one), and detached at close (only if it is still
 *   ours). The socket is bound zero-copy first, then copy mode (bind=auto; veth and generic
 *   mode only do copy). libxdp (xsk.h) makes the UMEM and the socket. Its own default
 *   program would work too (here libxdp's dispatcher fails its check and libxdp falls back
 *   to a single program, with a page of warnings), but attaching ours with libbpf keeps
 *   the rules above in our hands: never replace another program, which mode, and detach
 *   only our own at close. Any failure of
 *   this set-up is returned by construct (-EPERM without CAP_NET_ADMIN/CAP_BPF, -ENOENT
 *   without the program file, -EOPNOTSUPP/-EINVAL from a kernel or driver without XDP or
 *   AF_XDP, -EBUSY, -EMSGSIZE, -ENODEV); the caller falls back to "af_packet" if it wants.
 * - guard=1 turns on the uplink guard the program carries (vswitch/xdpguard.h,
 *   vswitch/bpf/xdp-guard.h): the frames it drops never reach the socket, and are the
 *   port's XDP_DROP_* counters (get_stats). It goes off with the program at close.
 * - UMEM: PORT_AFXDP_FRAMES frames of PORT_AFXDP_FRAME_BYTES, allocated at open: half
 *   circulate through the fill and RX rings, half serve TX.
 * - RX: rx_burst takes up to a batch of descriptors from the RX ring (no system call),
 *   copies each frame into a pool buffer and gives the UMEM frame straight back to the fill
 *   ring. That one copy is by design: packet buffers belong to the switch (pools of every
 *   worker, handed to vifs and other ports), UMEM frames to this socket. The bytes are as on
 *   the wire: a VLAN tag stays in them. XDP carries no checksum state, so a frame a local
 *   sender left for checksum offload (a veth peer in dom0 with tx checksumming on) arrives
 *   with a partial checksum: turn offload off on such a peer (a NIC's frames are complete).
 *   Drops: RX_NOBUF (pool empty), RX_TOO_BIG (over the MTU per port_frame_fits(), or over
 *   the buffer). Drops the kernel counts are read at get_stats (XDP_STATISTICS):
 *   RX_FILL_EMPTY (no free UMEM frame in the fill ring; in zero-copy mode the number of
 *   times the driver found it empty), RX_QUEUE_FULL (RX ring full: the worker fell behind),
 *   RX_TOO_BIG (kernel drops other than fill-ring starvation: a frame longer than a UMEM
 *   frame, a GRO/GSO skb in generic mode), RX_ERROR/TX_ERROR (invalid descriptors: a bug).
 *   An empty RX ring is not a drop.
 * - TX: tx_burst reclaims the completion ring, copies each frame into a free UMEM frame,
 *   puts the burst on the TX ring and kicks the kernel with one sendto() only if the ring
 *   asks for it (need_wakeup; copy mode always does). A PKT_F_VLAN tag is put into the
 *   bytes and a PKT_F_CSUM_BLANK checksum is filled in first. Drops: TX_TOO_BIG (over the
 *   MTU, GSO frames), TX_QUEUE_FULL (no free UMEM frame or TX ring slot; or the device
 *   dropped one, which the kick reports: that frame is also in tx_packets, which counts
 *   frames put on the ring), TX_PORT_DOWN (ring full while the last kick said the device
 *   is down: frames wait on the ring while it is, and the first burst after it is up again
 *   sends them). A kick the kernel could not finish (its budget, a busy device) is
 *   repeated from poll().
 * - wait_fd is the socket (readable when the RX ring holds frames); arm() reports frames
 *   waiting or an unfinished kick; poll() reclaims completions and repeats unfinished kicks.
 * - Threading and errors as port.h; construct also returns -EINVAL (args, not Ethernet).
 */
#ifndef VSW_PORT_AFXDP_H
#define VSW_PORT_AFXDP_H

#include "vswitch/port.h"

#define PORT_AFXDP_FRAME_BYTES 4096u
#define PORT_AFXDP_FRAMES      4096u /* 16 MiB of UMEM per port */
#define PORT_AFXDP_RING	       2048u /* fill, completion, RX and TX rings */
#define PORT_AFXDP_QUEUES_MAX  64u   /* the XSKMAP's size in xdp-redirect.bpf.c */
/* The kernel keeps XDP_PACKET_HEADROOM (256) bytes in front of a received frame. */
#define PORT_AFXDP_MTU_MAX   (PORT_AFXDP_FRAME_BYTES - 256 - PORT_ETH_HLEN - PORT_VLAN_HLEN)
#define PORT_AFXDP_PROG_FILE "xdp-redirect.bpf.o"
#define PORT_AFXDP_PROG_NAME "nb_xdp_redirect"
#define PORT_AFXDP_MAP_NAME  "nb_xsks"

extern const struct port_class port_afxdp_class;

/* Registers port_afxdp_class; 0 also if it was registered already. */
int port_afxdp_register(void);

/* The path of BPF object 'file' (e.g. PORT_AFXDP_PROG_FILE): $NB_BPF_DIR/file if that is
 * set, else ../bpf/file beside the running executable. Any thread. */
int port_afxdp_bpf_file(const char *file, char *path, size_t size);

/* The uplink guard of an af_xdp port opened with guard=1 (vswitch/xdpguard.h), else NULL. */
struct xdpg *port_afxdp_guard(const struct port *port);

/* How an open af_xdp port runs: "driver mode, zero-copy", "driver mode, copy" or "generic
 * mode, copy" (a static string); NULL if 'port' is not an af_xdp port. Any thread. */
const char *port_afxdp_mode(const struct port *port);

#endif
