/* SPDX-License-Identifier: MIT */
/*
 * switch.h - the switch: networks, their forwarding modes, and the workers that run them.
 *
 * Contract
 * - A struct vsw_switch owns N workers (threads) and any number of networks. A network has a
 *   name, a mode (struct vsw_mode_ops: "bridge" here, more later) and up to VSW_NET_PORTS_MAX
 *   ports. Every network, with all its ports and its mode state, is served by one worker
 *   (chosen at creation, round robin). So a packet never crosses threads, a mode's tables
 *   have a single writer, and the data path takes no lock; networks are the unit of
 *   parallelism. Written down as the reason the mode state is not shared.
 * - Spread networks (vsw_net_set_workers): a network of multi-queue ports (port class
 *   multi_worker, e.g. DPDK ethdevs with RSS) can be served by N workers at once, as OVS
 *   PMDs share rx queues: its worker (the primary) and N-1 helpers. Worker k of the network
 *   polls rx queues k, k+N, ... of every port and sends on tx queue k; the primary alone
 *   runs port->poll, the mode's tick and every control call, during which the helpers are
 *   parked (detached, so they do not touch the network). A packet still never crosses
 *   threads (each worker allocates from its own pool and sends what it received). Shared
 *   state and why: the mode state, which the mode makes safe when told (set_shared: the
 *   bridge's MAC table, because learning must be seen network-wide: lookups and refreshes
 *   without a lock, new entries, moves and aging under the table's spinlock; mac-table.h),
 *   and the ports' counters (atomic adds on shared ports).
 * - A worker loop: run control calls, then for each of its networks and each port: rx_burst,
 *   mode->process (which queues packets per destination through vsw_fwd_*), then one tx_burst
 *   per destination; port->poll() housekeeping; the mode's tick (aging) every
 *   VSW_TICK_MS. When a loop finds no work for VSW_SPIN_US it arms every port (port->arm)
 *   and sleeps in epoll on the ports' wait fds and its own wake-up eventfd (adaptive polling:
 *   busy while there is traffic, event-driven when idle).
 * - Offloads: a frame with a partial checksum (PKT_F_CSUM_BLANK) or a GSO frame goes to a
 *   destination as it is only if the port takes it (port.offloads); otherwise vsw_fwd_output()
 *   completes the checksum or segments the frame in software (vswitch/gso.h) on the worker,
 *   from the worker's pool, and counts it (tx_csum_done, tx_gso_segmented, tx_gso_bad).
 * - Configuration (create/destroy networks, add/remove ports, dumps, stats) is done by the
 *   control thread. Anything touching what a worker uses goes through vsw_worker_call(),
 *   which runs a function on the worker between two loop iterations and waits for it: the
 *   RCU-like quiescent point of the design. Functions here are for the control thread only,
 *   unless marked otherwise.
 * - Time: workers read CLOCK_MONOTONIC once per loop iteration. A switch created with
 *   n_workers = 0 has no threads: the caller drives it with vsw_switch_run_once() and its own
 *   (virtual) clock, which is what deterministic pcap replay uses.
 * - Engines: vsw_switch_create_cfg() lets the caller supply each worker's packet pool (the DPDK
 *   engine's are backed by rte_mbufs), the thread a worker loop runs on (launch/join: an EAL
 *   lcore instead of a pthread), busy polling (never sleep: for ports without wait fds, as
 *   PMDs are) and the cycle counter. Every worker counts its loop iterations and the cycles
 *   spent in iterations that found work (busy) and in those that did not (idle), readable
 *   from any thread with vsw_worker_get_stats() (like OVS pmd-perf-show).
 * - Errors: 0 or -errno.
 */
#ifndef VSW_SWITCH_H
#define VSW_SWITCH_H

#include "vswitch/pkt.h"
#include "vswitch/port.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VSW_WORKERS_MAX	  64
#define VSW_NET_PORTS_MAX 256
#define VSW_NET_NAME_MAX  32
#define VSW_TICK_MS	  1000
#define VSW_SPIN_US	  200
/* Buffers in each worker's packet pool. */
#define VSW_POOL_PKTS 16384

struct vsw_switch;
struct vsw_net;
struct vsw_worker;

/* Per-destination output of one mode->process() call (see vsw_fwd_*). */
struct vsw_fwd;

/* What a port is to its network, and the addresses configured for it (a vif's ip=, the host
 * port's or the uplink's address). Modes use them for anti-spoofing, host routes, proxy ARP. */
enum vsw_port_role {
	VSW_PORT_OTHER = 0, /* test and capture ports (dummy, pcap) */
	VSW_PORT_VIF,	    /* a guest's vif */
	VSW_PORT_HOST,	    /* the network's host port in dom0 */
	VSW_PORT_UPLINK,    /* the network's way out (a NIC, a veth end) */
};

#define VSW_PORT_IPS_MAX 16

struct vsw_ip {
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes */
	uint8_t prefix;	  /* prefix length (32 / 128 for a host address) */
};

struct vsw_port_cfg {
	enum vsw_port_role role;
	unsigned int n_ips;
	struct vsw_ip ips[VSW_PORT_IPS_MAX];
};

struct vsw_mode_ops {
	const char *name; /* "bridge" */
	/* Control thread: parses mode arguments, allocates the mode state. */
	int (*create)(struct vsw_net *net, const char *args, void **statep);
	void (*destroy)(void *state);
	/* Worker (through vsw_net_call): a port joined / is leaving the network. 'cfg' is never
	 * NULL (an all-zero config for ports added without one). A mode may refuse a port
	 * (e.g. isolated refuses host ports and uplinks) with -EPERM. */
	int (*port_added)(void *state, struct port *port, const struct vsw_port_cfg *cfg);
	void (*port_removed)(void *state, struct port *port);
	/* Worker: forwards 'batch', received on 'in'; takes ownership of every packet. */
	void (*process)(void *state, struct vsw_fwd *fwd, struct port *in, struct pkt_batch *batch,
			uint64_t now_ns);
	/* Worker: periodic work (aging). May be NULL. */
	void (*tick)(void *state, uint64_t now_ns);
	/* Worker (through vsw_net_call): a mode-specific control command from nbctl (e.g.
	 * "route-add 10.1.0.0/16 via 10.0.0.254", "nat-show"), output written to 'out'. Returns
	 * 0 or -errno with a message in 'out'. May be NULL (-EOPNOTSUPP). */
	int (*ctl)(void *state, int argc, char **argv, FILE *out);
	/* Worker (the primary, helpers parked): from now on process() and tick() run on
	 * several workers at once ('shared') or on one again. NULL: the mode cannot be spread
	 * (vsw_net_set_workers says -EOPNOTSUPP). */
	int (*set_shared)(void *state, bool shared);
};

/* Registers a mode (control thread, at start): 0 (also if 'ops' is registered already),
 * -EEXIST for another mode of that name, -EINVAL for missing members, -ENOSPC. "bridge" is
 * built in. */
int vsw_mode_register(const struct vsw_mode_ops *ops);

/* The registered mode 'name', or NULL. */
const struct vsw_mode_ops *vsw_mode_lookup(const char *name);

/* Creates a switch with 'n_workers' worker threads (0: driven by vsw_switch_run_once). */
int vsw_switch_create(unsigned int n_workers, struct vsw_switch **swp);

/* How the switch gets its workers' pools, threads and clock; every member is optional. */
struct vsw_switch_cfg {
	unsigned int n_workers; /* as for vsw_switch_create() */
	/* The packet pool of worker 'id' (0..max(1, n_workers)-1), made at create; default
	 * pkt_pool_create(VSW_POOL_PKTS, 0). pool_destroy is called at destroy, after the
	 * worker stopped (default pkt_pool_destroy). */
	int (*pool_create)(void *arg, unsigned int id, struct pkt_pool **poolp);
	void (*pool_destroy)(void *arg, unsigned int id, struct pkt_pool *pool);
	/* Runs fn(fn_arg), the loop of worker 'id', on a thread of the caller's and returns
	 * (0 or -errno); join() waits for that fn to return after the switch asked it to stop.
	 * Both or neither; default a pthread per worker. */
	int (*launch)(void *arg, unsigned int id, int (*fn)(void *), void *fn_arg);
	void (*join)(void *arg, unsigned int id);
	/* Never sleep in epoll when idle (poll-mode ports have no wait fd). */
	bool busy_poll;
	/* Cycle counter for the busy/idle accounting; default nanoseconds (CLOCK_MONOTONIC). */
	uint64_t (*cycles)(void);
	void *arg; /* passed to the callbacks above */
};

/* Creates a switch as configured by 'cfg' (see struct vsw_switch_cfg). */
int vsw_switch_create_cfg(const struct vsw_switch_cfg *cfg, struct vsw_switch **swp);

/* Loop statistics of one worker, written by it and read from any thread. */
struct vsw_worker_stats {
	uint64_t iterations;	  /* loop iterations */
	uint64_t busy_iterations; /* iterations that received packets */
	uint64_t busy_cycles;	  /* cycles (cfg.cycles units) in busy iterations */
	uint64_t idle_cycles;	  /* cycles in iterations that found nothing (sleep included) */
	uint64_t rx_packets;	  /* packets received by the worker's ports */
	uint64_t sleeps;	  /* times the worker slept in epoll */
};

/* Number of worker structs (max(1, n_workers)). */
unsigned int vsw_switch_n_workers(const struct vsw_switch *sw);

/* Fills '*st' for worker 'id'; -ENOENT if there is no such worker. Any thread. */
int vsw_worker_get_stats(const struct vsw_switch *sw, unsigned int id, struct vsw_worker_stats *st);

/* The number of networks worker 'id' serves (0 if no such worker). Control thread. */
unsigned int vsw_worker_n_nets(const struct vsw_switch *sw, unsigned int id);

/* Stops the workers, destroys every network (closing nothing: ports belong to the caller, and
 * must have been removed first) and frees. NULL ok. */
void vsw_switch_destroy(struct vsw_switch *sw);

/* Creates network 'name' in 'mode' with mode arguments 'args' (may be NULL). -EEXIST,
 * -EINVAL (bad name/args), -ENOENT (unknown mode). */
int vsw_net_create(struct vsw_switch *sw, const char *name, const char *mode, const char *args,
		   struct vsw_net **netp);

/* Destroys a network; -EBUSY while it has ports. */
int vsw_net_destroy(struct vsw_net *net);

struct vsw_net *vsw_net_lookup(struct vsw_switch *sw, const char *name);
const char *vsw_net_name(const struct vsw_net *net);
const char *vsw_net_mode(const struct vsw_net *net);
unsigned int vsw_net_n_ports(const struct vsw_net *net);
struct port *vsw_net_port(const struct vsw_net *net, unsigned int i);
void *vsw_net_mode_state(const struct vsw_net *net);
struct vsw_worker *vsw_net_worker(const struct vsw_net *net);

/* Iterates over networks; stops when 'fn' returns non-zero and returns that value. */
int vsw_switch_foreach_net(struct vsw_switch *sw, int (*fn)(void *arg, struct vsw_net *net),
			   void *arg);

/* Adds 'port' to 'net' with its role and addresses ('cfg' may be NULL: VSW_PORT_OTHER, no
 * addresses; it is copied). -EBUSY if it is in a network already, -ENOSPC when full, or the
 * mode's refusal. From then on the network's worker polls it. */
int vsw_net_add_port(struct vsw_net *net, struct port *port, const struct vsw_port_cfg *cfg);

/* The configuration 'port' was added with (NULL if it is in no network). Control thread. */
const struct vsw_port_cfg *vsw_port_cfg(const struct vsw_switch *sw, const struct port *port);

/* Runs the mode's ctl command on the network's worker (see struct vsw_mode_ops). */
int vsw_net_ctl(struct vsw_net *net, int argc, char **argv, FILE *out);

/* Removes 'port' from its network (-ENOENT if in none); when this returns the network's
 * worker no longer touches it. */
int vsw_net_del_port(struct vsw_switch *sw, struct port *port);

/* The network 'port' belongs to, or NULL. */
struct vsw_net *vsw_port_net(const struct vsw_switch *sw, const struct port *port);

/* Re-reads the port's wait fd (after it changed, e.g. a vif that connected); -ENOENT if the
 * port is in no network. */
int vsw_port_refresh(struct vsw_switch *sw, struct port *port);

/* Serves 'net' with 'n' workers (1..vsw_switch_n_workers()): its own and the n-1 next ones,
 * round robin (see "spread networks" above). -EINVAL for n out of range or a switch without
 * threads, -EOPNOTSUPP if the mode has no set_shared or a port is not multi_worker; ports
 * added to a spread network later must be multi_worker too (-EOPNOTSUPP). */
int vsw_net_set_workers(struct vsw_net *net, unsigned int n);

/* How many workers serve 'net' (1 unless spread), and the id of its k-th (0: primary). */
unsigned int vsw_net_n_workers(const struct vsw_net *net);
unsigned int vsw_net_worker_id(const struct vsw_net *net, unsigned int k);

/* Runs fn(arg) on the worker of 'net' between loop iterations and waits for it to return,
 * the helpers of a spread network parked meanwhile. Runs it directly on a switch without
 * threads. Returns fn's result. */
int vsw_net_call(struct vsw_net *net, int (*fn)(void *arg), void *arg);

/* For a switch without threads: one loop iteration of every network at time 'now_ns'.
 * Returns the number of packets received. */
unsigned int vsw_switch_run_once(struct vsw_switch *sw, uint64_t now_ns);

/* Worker (inside mode->process): queue 'p' for 'out' / for every port of the network but
 * 'in' (copies; the original is consumed). Ownership passes in both cases. Dropping: free
 * the packet and count it on the ingress port with vsw_fwd_drop(). */
void vsw_fwd_output(struct vsw_fwd *fwd, struct port *out, struct pkt *p);
/* The same as vsw_fwd_output() of pkts[0..n) in order, the destination checked once. */
void vsw_fwd_output_burst(struct vsw_fwd *fwd, struct port *out, struct pkt *const *pkts,
			  unsigned int n);
void vsw_fwd_flood(struct vsw_fwd *fwd, struct port *in, struct pkt *p);
void vsw_fwd_drop(struct vsw_fwd *fwd, struct port *in, struct pkt *p, enum vsw_counter why);
struct vsw_net *vsw_fwd_net(const struct vsw_fwd *fwd);

#endif
