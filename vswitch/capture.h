/* SPDX-License-Identifier: MIT */
/*
 * capture.h - packet capture on any port of the switch (`nbctl capture PORT -w FILE [-c N]`).
 *
 * Contract:
 * - vsw_capture_start() attaches a capture to a port that is in a network (not a spread
 *   one, whose ports several workers serve: -EOPNOTSUPP). From then on the
 *   worker owning the port copies every frame the port receives (after rx_burst) and every
 *   frame it is about to send (before tx_burst), up to VSW_CAPTURE_SNAPLEN bytes each, into
 *   a bounded single-producer single-consumer ring of VSW_CAPTURE_RING_SLOTS slots. The
 *   control thread drains the ring into a pcap file (libpcap, Ethernet, microsecond
 *   timestamps of CLOCK_REALTIME at capture) with vsw_capture_drain(), as often as it
 *   likes (a timer). A full ring never blocks the worker: the frame is not captured and is
 *   counted as lost. After 'max_frames' frames (0: no limit) the capture takes no more.
 * - Memory is bounded at start: VSW_CAPTURE_RING_SLOTS * VSW_CAPTURE_SNAPLEN bytes plus the
 *   file's buffer. One capture per port.
 * - Hooks: switch.c calls vsw_capture_rx()/vsw_capture_tx() on the worker; they cost one
 *   load when the port has no capture. Which port has a capture is a per-port-index table
 *   written only on the owning worker (through vsw_net_call), so the worker reads it
 *   without a lock. A capture must be stopped before its port is closed.
 * - Threading: start, drain, done, stats and stop on the control thread; the hooks on the
 *   port's worker. Functions return 0 or -errno; drain returns a count.
 */
#ifndef VSW_CAPTURE_H
#define VSW_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "vswitch/pkt.h"
#include "vswitch/port.h"
#include "vswitch/switch.h"

#define VSW_CAPTURE_SNAPLEN    2048 /* bytes of each frame kept */
#define VSW_CAPTURE_RING_SLOTS 1024 /* frames between two drains; a power of two */

struct vsw_capture;

struct vsw_capture_stats {
	uint64_t captured; /* frames copied into the ring */
	uint64_t lost;	   /* frames missed because the ring was full */
	uint64_t written;  /* frames written to the file */
};

/*
 * Starts capturing on 'port', a member of a network of 'sw', writing to 'fd' if >= 0 (taken
 * over: closed by vsw_capture_stop, also on error) or else to the file 'path' (created or
 * truncated). Returns 0 and the capture in '*capp'; -EINVAL ('port' in no network, neither fd
 * nor path), -EBUSY (the port has a capture already), -ENOMEM, or the file's -errno.
 */
int vsw_capture_start(struct vsw_switch *sw, struct port *port, unsigned int max_frames, int fd,
		      const char *path, struct vsw_capture **capp);

/* Writes every frame captured so far to the file and flushes it; returns how many, or -EIO. */
int vsw_capture_drain(struct vsw_capture *cap);

/* Whether a capture with a frame limit has taken all its frames and written them. */
bool vsw_capture_done(const struct vsw_capture *cap);

void vsw_capture_get_stats(const struct vsw_capture *cap, struct vsw_capture_stats *stats);

/* Detaches the capture from its port's worker, drains it, closes the file and frees. NULL
 * ok. */
void vsw_capture_stop(struct vsw_capture *cap);

/* ---- worker hooks (switch.c) ------------------------------------------------------------ */

/* The capture of each port index, or NULL; written on the owning worker only. */
extern struct vsw_capture *vsw_capture_of_port[PORT_MAX];

void vsw_capture_batch(struct vsw_capture *cap, const struct port *port,
		       const struct pkt_batch *batch);

/* Worker: 'port' received 'batch' / is about to send 'batch'. */
static inline void
vsw_capture_rx(const struct port *port, const struct pkt_batch *batch)
{
	struct vsw_capture *cap = vsw_capture_of_port[port->index];

	if (cap)
		vsw_capture_batch(cap, port, batch);
}

static inline void
vsw_capture_tx(const struct port *port, const struct pkt_batch *batch)
{
	vsw_capture_rx(port, batch);
}

#endif
