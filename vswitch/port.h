/* SPDX-License-Identifier: MIT */
/*
 * port.h - the port interface: port classes (drivers), ports and their registry.
 *
 * Contract:
 * - A port class is a driver ("dummy", later "vif", "tap", "af_packet", "pcap", ...), a
 *   const struct port_class registered once with port_class_register(). A port is one
 *   instance, opened by type and name with port_open() and closed with port_close(). The
 *   class's own port struct starts with a struct port (it asks for 'port_size' bytes);
 *   port.c allocates it zeroed, fills the generic fields, then calls construct().
 * - Every open port has a name (unique) and an index (0..PORT_MAX-1, the lowest free one,
 *   stable while open). The index is what packets (pkt.in_port) and the MAC table carry.
 *   An index is reused after port_close(), so the owner of any table that holds indexes
 *   (the bridge's MAC table) must flush that port's entries before closing it.
 * - Threading: data-path ops (rx_burst, tx_burst) are called only by the worker that owns
 *   the queue 'qid' (one worker owns all of a port's queues, except for a multi_worker class
 *   in a spread network, switch.h); they never block, never allocate and never log
 *   unthrottled. Control
 *   ops (register, open, close, set_mtu, get_etheraddr, lookups) run only on the control
 *   thread; the registry has no lock. Closing a port that a worker still polls is the
 *   caller's bug: take it away from its worker first.
 * - Ownership on the data path: rx_burst appends received packets to the batch and hands
 *   them to the caller. tx_burst takes ownership of every packet in the batch, whatever it
 *   returns: each one is sent, or dropped, freed and counted in a named counter
 *   (counters.h); the batch is empty afterwards. A full destination drops, it never waits.
 * - Counters: port->stats has one writer, the owning worker (vsw_counter_add() through the
 *   port_count_* helpers), or several for a port->shared port, whose helpers then add
 *   atomically; port_get_stats() reads it from any thread.
 * - Functions return 0 or -errno; bursts return counts.
 */
#ifndef VSW_PORT_H
#define VSW_PORT_H

#include <net/ethernet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vswitch/counters.h"
#include "vswitch/pkt.h"

#define PORT_NAME_SIZE	 16 /* bytes with the NUL, as IFNAMSIZ */
#define PORT_MAX	 1024
#define PORT_CLASS_MAX	 16
#define PORT_MTU_DEFAULT 1500
#define PORT_MTU_MIN	 68
/* The largest netif frame (65535 bytes) less an Ethernet header with a VLAN tag. */
#define PORT_MTU_MAX	  (65535 - 18)
#define PORT_ETH_HLEN	  14
#define PORT_VLAN_HLEN	  4
#define PORT_ARGS_MAX_LEN 512 /* bytes of a port_open() argument string, NUL excluded */

/* Offloads a port's destination takes (port.offloads). Without the matching flag the switch
 * completes partial checksums and segments GSO frames in software before tx_burst. */
#define PORT_OFF_CSUM4 0x1 /* partial TCP/UDP checksums over IPv4 (PKT_F_CSUM_BLANK) */
#define PORT_OFF_CSUM6 0x2 /* the same over IPv6 */
#define PORT_OFF_TSO4  0x4 /* PKT_GSO_TCPV4 frames */
#define PORT_OFF_TSO6  0x8 /* PKT_GSO_TCPV6 frames */

struct port;

struct port_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets; /* sent, not dropped */
	uint64_t tx_bytes;
	struct vsw_counters ctrs; /* named drops and events */
};

/*
 * A port driver. Ops return 0 or -errno unless noted; optional ones may be NULL.
 */
struct port_class {
	const char *type; /* "dummy", "vif", "tap", ...; unique; required */
	size_t port_size; /* bytes of the class's port struct, >= sizeof(struct port) */

	/* Control thread. construct parses 'args' ("key=value,..." or NULL) and sets up the
	 * port; on error it has released everything itself. destruct must not fail and frees
	 * every packet the port still holds. Both optional. */
	int (*construct)(struct port *port, const char *args);
	void (*destruct)(struct port *port);

	/* Data path, owning worker only; required. rx_burst appends at most
	 * pkt_batch_room(batch) received packets, sets their in_port, allocates from 'pool'
	 * (the worker's) if it needs buffers, and returns how many it appended. tx_burst
	 * consumes the whole batch and returns how many packets were sent. */
	unsigned int (*rx_burst)(struct port *port, unsigned int qid, struct pkt_pool *pool,
				 struct pkt_batch *batch);
	unsigned int (*tx_burst)(struct port *port, unsigned int qid, struct pkt_batch *batch);

	/* Control thread, optional. get_stats NULL: port->stats is all there is. set_mtu
	 * NULL: the MTU cannot be changed (-EOPNOTSUPP); it is called with a value already
	 * range-checked, and port->mtu is updated after it succeeds. */
	int (*get_stats)(const struct port *port, struct port_stats *stats);
	int (*set_mtu)(struct port *port, unsigned int mtu);
	int (*get_etheraddr)(const struct port *port, struct ether_addr *mac);

	/* Worker, optional: the fd the worker polls while sleeping (-1: none); before sleeping,
	 * arm() re-enables notifications and returns true if work is already pending; poll() is
	 * called once per loop iteration for housekeeping (flushing queues). */
	int (*wait_fd)(const struct port *port);
	bool (*arm)(struct port *port);
	void (*poll)(struct port *port);

	/* rx_burst and tx_burst of distinct queues may run on different workers at the same
	 * time (an ethdev's queues): such a port can be in a network spread over several
	 * workers (vsw_net_set_workers). tx_burst takes any qid (it picks qid modulo its
	 * queues and serialises workers that then share one). */
	bool multi_worker;
};

struct port {
	/* Set by port_open() before construct(); constant while open. */
	char name[PORT_NAME_SIZE];
	const struct port_class *cls;
	uint16_t index; /* registry slot, 0..PORT_MAX-1 */

	/* Set by construct() (default 1 each) and port_set_mtu() (default PORT_MTU_DEFAULT). */
	unsigned int n_rxq;
	unsigned int n_txq;
	unsigned int mtu; /* L3 MTU in bytes: the frame may be mtu + PORT_ETH_HLEN long */
	/* PORT_OFF_*: set by construct(), or by the owning worker when the peer negotiates
	 * (a vif at connect); read by the owning worker. Default 0: none. */
	unsigned int offloads;

	/* Set by the switch while no worker polls the port: several workers write its
	 * counters (a port of a spread network), so port_count_*() add atomically. */
	bool shared;

	/* Written by the owning worker(s) only (atomically when 'shared'). */
	struct port_stats stats;
};

/* Registers 'cls'. -EINVAL if it lacks type/rx_burst/tx_burst, has an empty or too long
 * type or a port_size below sizeof(struct port); -EEXIST if the type is taken; -ENOSPC if
 * PORT_CLASS_MAX classes are registered. */
int port_class_register(const struct port_class *cls);

/* Unregisters 'cls'. -ENOENT if not registered, -EBUSY while ports of it are open. */
int port_class_unregister(const struct port_class *cls);

/* The registered class of 'type', or NULL. */
const struct port_class *port_class_lookup(const char *type);

/*
 * Opens a port of class 'type' named 'name' with class arguments 'args' (NULL or
 * "key=value,..."). 'name' is 1..PORT_NAME_SIZE-1 characters of [A-Za-z0-9_.-], not "."
 * or "..". Returns 0 and the port in '*portp'; -EINVAL (bad name or args), -EAFNOSUPPORT
 * (no such type), -EEXIST (name in use), -ENOSPC (PORT_MAX ports open), -ENOMEM, or the
 * class's construct() error.
 */
int port_open(const char *type, const char *name, const char *args, struct port **portp);

/* Destructs and frees 'port' and releases its name and index. NULL ok. */
void port_close(struct port *port);

/* The open port named 'name', or NULL. */
struct port *port_lookup(const char *name);

/* The open port at 'index', or NULL. */
struct port *port_by_index(unsigned int index);

/* Number of open ports. */
unsigned int port_n_open(void);

/* Sets the MTU: -EINVAL outside PORT_MTU_MIN..PORT_MTU_MAX, -EOPNOTSUPP if the class has no
 * set_mtu, or the class's error (then the MTU is unchanged). */
int port_set_mtu(struct port *port, unsigned int mtu);

/* The port's Ethernet address; -EOPNOTSUPP if the class has none. */
int port_get_etheraddr(const struct port *port, struct ether_addr *mac);

/* A snapshot of the port's counters (the class's get_stats, else port->stats). */
int port_get_stats(const struct port *port, struct port_stats *stats);

/*
 * Argument strings ("key=value,key=value"): keys are 1..31 characters of [a-z0-9_-],
 * values may be empty and contain no ','. For classes' construct().
 *
 * port_args_check: 0 if 'args' (NULL or "" = none) is well formed and every key is in the
 * NULL-terminated 'keys' and appears once; -EINVAL otherwise.
 * port_args_get: copies the value of 'key' into 'val' (NUL-terminated, 'size' bytes).
 * -ENOENT if absent, -E2BIG if it does not fit, -EINVAL if 'args' is malformed.
 * port_args_get_uint: parses the decimal value of 'key' into '*out' if it lies in
 * 'min'..'max'; -ENOENT if absent ('*out' untouched), -EINVAL if not a number in range.
 */
int port_args_check(const char *args, const char *const *keys);
int port_args_get(const char *args, const char *key, char *val, size_t size);
int port_args_get_uint(const char *args, const char *key, unsigned int min, unsigned int max,
		       unsigned int *out);

/* Whether frame 'p' may leave through 'port' given its MTU: up to mtu + PORT_ETH_HLEN bytes,
 * plus PORT_VLAN_HLEN when the frame bytes carry an 802.1Q/802.1ad tag; GSO frames are
 * limited by their buffer, not the MTU (their segments are). */
static inline bool
port_frame_fits(const struct port *port, const struct pkt *p)
{
	uint32_t max = port->mtu + PORT_ETH_HLEN;

	if (p->len <= max || p->gso_type != PKT_GSO_NONE)
		return true;
	if (p->len >= PORT_ETH_HLEN + PORT_VLAN_HLEN) {
		const uint8_t *d = pkt_data(p);
		uint16_t type = (uint16_t)(d[12] << 8 | d[13]);

		if (type == 0x8100 || type == 0x88a8)
			max += PORT_VLAN_HLEN;
	}
	return p->len <= max;
}

/* Receives from queue 'qid' of 'port' (see struct port_class rx_burst). */
static inline unsigned int
port_rx_burst(struct port *port, unsigned int qid, struct pkt_pool *pool, struct pkt_batch *batch)
{
	if (pkt_batch_is_full(batch))
		return 0;
	return port->cls->rx_burst(port, qid, pool, batch);
}

/* Sends 'batch' through queue 'qid' of 'port'; consumes the batch (see tx_burst). */
static inline unsigned int
port_tx_burst(struct port *port, unsigned int qid, struct pkt_batch *batch)
{
	if (batch->count == 0)
		return 0;
	return port->cls->tx_burst(port, qid, batch);
}

/* Data-path counter helpers for classes (owning worker only). */
static inline void
port_counter_add(const struct port *port, uint64_t *ctr, uint64_t n)
{
	if (__builtin_expect(port->shared, 0))
		__atomic_fetch_add(ctr, n, __ATOMIC_RELAXED);
	else
		vsw_counter_add(ctr, n);
}

static inline void
port_count_rx(struct port *port, uint64_t n_pkts, uint64_t n_bytes)
{
	port_counter_add(port, &port->stats.rx_packets, n_pkts);
	port_counter_add(port, &port->stats.rx_bytes, n_bytes);
}

static inline void
port_count_tx(struct port *port, uint64_t n_pkts, uint64_t n_bytes)
{
	port_counter_add(port, &port->stats.tx_packets, n_pkts);
	port_counter_add(port, &port->stats.tx_bytes, n_bytes);
}

static inline void
port_count_ctr(struct port *port, enum vsw_counter ctr, uint64_t n)
{
	port_counter_add(port, &port->stats.ctrs.c[ctr], n);
}

#endif
