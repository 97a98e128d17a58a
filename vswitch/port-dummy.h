/* SPDX-License-Identifier: MIT */
/*
 * port-dummy.h - the "dummy" port class: a test double in the manner of OVS netdev-dummy.
 *
 * Contract: a dummy port has one receive queue and one transmit queue, both bounded rings of
 * packets. port_dummy_inject() puts a frame on the receive queue, and rx_burst hands it to
 * the switch like a NIC would (in_port set, rx counters bumped, no other change: runts and
 * odd frames pass through so tests can feed the switch hostile input). tx_burst applies the
 * port MTU (port_frame_fits(), else TX_TOO_BIG) and captures each frame on the transmit
 * queue; when that queue is full the frame is dropped and counted (TX_QUEUE_FULL).
 * port_dummy_capture() takes captured frames out in order.
 *
 * Arguments: "rx_queue=N,tx_queue=N" queue lengths in packets (1..PORT_DUMMY_QUEUE_MAX,
 * default PORT_DUMMY_QUEUE_DEFAULT) and "mac=xx:xx:xx:xx:xx:xx" (default
 * 02:00:00:00:HH:LL with the port index). set_mtu accepts any MTU in range.
 *
 * Threading: no locks. inject and capture must run on the thread that owns the port's
 * queues (in unit tests, the test itself). Packets still queued are freed by port_close(),
 * so their pools must outlive the port. Functions return 0 or -errno; capture a count.
 */
#ifndef VSW_PORT_DUMMY_H
#define VSW_PORT_DUMMY_H

#include "vswitch/port.h"

#define PORT_DUMMY_QUEUE_DEFAULT 256
#define PORT_DUMMY_QUEUE_MAX	 4096

extern const struct port_class port_dummy_class;

/* Registers port_dummy_class; 0 also if it was registered already. */
int port_dummy_register(void);

/*
 * Queues 'p' for rx_burst on dummy port 'port' and takes ownership of it in every case:
 * -ENOBUFS if the receive queue is full (p freed, RX_QUEUE_FULL counted), -EINVAL if 'port'
 * is not a dummy port (p freed).
 */
int port_dummy_inject(struct port *port, struct pkt *p);

/* Moves up to 'n' captured frames, oldest first, into 'pkts' and hands them to the caller;
 * returns how many. 0 if 'port' is not a dummy port. */
unsigned int port_dummy_capture(struct port *port, struct pkt **pkts, unsigned int n);

/* Frames waiting on the receive / transmit queue of dummy port 'port' (0 if not dummy). */
unsigned int port_dummy_rx_queued(const struct port *port);
unsigned int port_dummy_tx_queued(const struct port *port);

#endif
