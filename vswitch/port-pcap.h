/* SPDX-License-Identifier: MIT */
/*
 * port-pcap.h - the "pcap" port class: a port whose wire is a pair of pcap files, for golden
 * tests (nb-replay) and offline replay.
 *
 * Contract:
 * - Arguments "in=FILE,out=FILE,step=0|1", at least one of in/out. in= is read with libpcap
 *   (any link type is refused but Ethernet): rx_burst returns its frames in file order, each
 *   one as stored (runts and hostile frames too, so the modes see them), except frames the
 *   port MTU cannot carry (RX_TOO_BIG, as a NIC would) and frames a pool buffer cannot
 *   hold (RX_TOO_BIG). A read error ends the input and counts RX_ERROR once. out= is created
 *   (truncated) as an Ethernet pcap with microsecond timestamps; tx_burst appends each frame
 *   the MTU allows (else TX_TOO_BIG) stamped with the port's clock, a PKT_F_VLAN tag put
 *   into its bytes first; without out= sent frames are counted and discarded.
 * - Pacing: with step=1 rx_burst hands out only frames released by port_pcap_release(), so a
 *   replay can feed one frame at a time in global timestamp order; with step=0 (default)
 *   every frame is available at once. port_pcap_next_ns() exposes the next frame's
 *   timestamp for that merge.
 * - Time: the port has no clock of its own. port_pcap_set_clock() sets the time written on
 *   frames sent from then on (the replay's virtual clock); it starts at 0.
 * - Deterministic: the same input and calls give byte-identical output. No wait fd (-1):
 *   the port is polled.
 * - Threading: like any port, data path on the owning worker; release/next_ns/set_clock
 *   must run on that worker too (a replay drives a switch without threads, so that is the
 *   caller). Functions return 0 or -errno.
 */
#ifndef VSW_PORT_PCAP_H
#define VSW_PORT_PCAP_H

#include <stdint.h>

#include "vswitch/port.h"

extern const struct port_class port_pcap_class;

/* Registers port_pcap_class; 0 also if it was registered already. */
int port_pcap_register(void);

/* Timestamp (ns since the epoch of the file) of the next input frame not yet handed out:
 * 0 and '*ns', or -ENOENT when the input is exhausted or absent, -EINVAL if not a pcap port. */
int port_pcap_next_ns(struct port *port, uint64_t *ns);

/* Lets rx_burst hand out 'n' more frames (step=1 ports); -EINVAL if not a pcap port. */
int port_pcap_release(struct port *port, unsigned int n);

/* Sets the time stamped on frames sent from now on; -EINVAL if not a pcap port. */
int port_pcap_set_clock(struct port *port, uint64_t now_ns);

#endif
