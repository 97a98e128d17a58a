/* SPDX-License-Identifier: MIT */
/*
 * netback.h - the netif backend: the XenStore side of every vif (the backend state machine of
 * Linux xen-netback, fact sheet §3) and each vif's data path (guest TX and RX rings).
 *
 * Contract
 * - One struct nb_backend per daemon. It watches backend/vif in XenStore through its own
 *   libxenstore connection and runs on the daemon's control thread: nb_backend_watch_fd()
 *   goes in the control loop and nb_backend_on_watch() is called when it is readable;
 *   nb_backend_on_timer() every NB_BACKEND_TICK_MS. The hotplug scripts it starts are
 *   watched through nb_backend_hotplug_fds()/nb_backend_on_hotplug().
 * - For every vif it finds it creates a struct nb_vif and tells the daemon through
 *   struct nb_backend_ops: vif_added (make a switch port named nb_vif_name()), vif_connect
 *   (the rings are mapped: hand the data path to a worker; return only once the worker
 *   owns it), vif_disconnect (take the data path away from its worker; return only once the
 *   worker no longer touches it), vif_removed (the port goes away).
 * - The data-path calls (nb_vif_guest_tx, nb_vif_guest_rx, nb_vif_arm, nb_vif_poll_events)
 *   belong to the one worker that owns the vif between vif_connect and vif_disconnect.
 * - A protocol violation seen by the worker disables the vif there (it stops touching the
 *   rings at once) and is reported to XenStore (error node, state Closing) by the control
 *   thread on its next tick; nothing else is affected.
 * - Functions return 0 or -errno; bursts return counts.
 */
#ifndef NB_NETBACK_H
#define NB_NETBACK_H

#include <stdbool.h>
#include <stdint.h>

struct nb_backend;
struct nb_vif;
struct nb_hv;
struct pkt;
struct pkt_pool;

#define NB_BACKEND_TICK_MS 100

struct nb_backend_ops {
	int (*vif_added)(void *arg, struct nb_vif *vif);
	int (*vif_connect)(void *arg, struct nb_vif *vif);
	void (*vif_disconnect)(void *arg, struct nb_vif *vif);
	void (*vif_removed)(void *arg, struct nb_vif *vif);
};

struct nb_backend_cfg {
	struct nb_hv *hv;		 /* the hypervisor interface (not owned) */
	const char *script_dir;		 /* where bare script names are looked up */
	const char *hotplug_log;	 /* file receiving the scripts' output */
	const char *const *script_env;	 /* extra "NAME=value" for scripts, NULL-terminated */
	unsigned int hotplug_timeout_ms; /* 0 = NB_HOTPLUG_TIMEOUT_MS */
	unsigned int rx_drain_ms;	 /* 0 = Linux's defaults (10 s, 30 ms without rx-notify) */
	unsigned int rx_stall_ms;	 /* 0 = 60 s */
	/* Largest frame the switch's packet buffers hold (the DPDK engine's mbuf data room);
	 * 0: any netif frame (64 KiB). Below 64 KiB, GSO is not offered to frontends. */
	unsigned int max_frame;
	const struct nb_backend_ops *ops;
	void *ops_arg;
};

/* Connects to XenStore, sets the backend/vif watch. */
int nb_backend_create(struct nb_backend **bep, const struct nb_backend_cfg *cfg);

/* Disconnects every vif (without changing XenStore state, so a restarted backend can take
 * over), stops watching and frees. Scripts still running are left to finish. NULL ok. */
void nb_backend_destroy(struct nb_backend *be);

/* The fd to poll for XenStore watch events. */
int nb_backend_watch_fd(const struct nb_backend *be);

/* Processes queued watch events. */
void nb_backend_on_watch(struct nb_backend *be);

/* Periodic work: hotplug timeouts, reporting vifs the workers disabled. */
void nb_backend_on_timer(struct nb_backend *be);

/* Fills 'fds' with the pidfds of running hotplug scripts (at most 'max'); returns the count. */
unsigned int nb_backend_hotplug_fds(const struct nb_backend *be, int *fds, unsigned int max);

/* Called when a hotplug pidfd is readable. */
void nb_backend_on_hotplug(struct nb_backend *be, int fd);

/* Looks a vif up by its dom0 name; NULL if none. */
struct nb_vif *nb_backend_find_vif(struct nb_backend *be, const char *name);

/* Iterates over the vifs: calls 'fn' for each, stops early when it returns non-zero. */
int nb_backend_foreach_vif(struct nb_backend *be, int (*fn)(void *arg, struct nb_vif *vif),
			   void *arg);

/* Accessors (control thread). */
const char *nb_vif_name(const struct nb_vif *vif);
unsigned int nb_vif_domid(const struct nb_vif *vif);
unsigned int nb_vif_devid(const struct nb_vif *vif);
const uint8_t *nb_vif_mac(const struct nb_vif *vif);
const char *nb_vif_bridge(const struct nb_vif *vif);
const char *nb_vif_ip(const struct nb_vif *vif);   /* the "ip" key (blank-separated), "" if none */
unsigned int nb_vif_mtu(const struct nb_vif *vif); /* the "mtu" key, 0 if absent or invalid */
int nb_vif_state(const struct nb_vif *vif);	   /* XenbusState of the backend */
int nb_vif_fe_state(const struct nb_vif *vif);	   /* XenbusState of the frontend */
bool nb_vif_is_connected(const struct nb_vif *vif);
bool nb_vif_is_disabled(const struct nb_vif *vif);
bool nb_vif_is_stalled(const struct nb_vif *vif); /* guest stopped posting RX buffers */
/* The rate limit in force: bytes per window and window length in µs (0: unlimited). */
void nb_vif_rate(const struct nb_vif *vif, uint64_t *bytes, uint64_t *usec);
const char *nb_vif_error(const struct nb_vif *vif); /* last reported error, "" if none */

/* Per-vif private data of the daemon (e.g. its switch port). */
void nb_vif_set_user(struct nb_vif *vif, void *user);
void *nb_vif_get_user(const struct nb_vif *vif);

/* Data-path counters, readable from any thread (relaxed). */
struct nb_vif_stats {
	uint64_t tx_packets, tx_bytes;	   /* guest -> switch */
	uint64_t rx_packets, rx_bytes;	   /* switch -> guest */
	uint64_t tx_errors;		   /* TX packets answered with an error */
	uint64_t tx_drop_nobuf;		   /* no packet buffer: retried later, not lost */
	uint64_t tx_grant_errors;	   /* a grant copy of a TX packet failed */
	uint64_t tx_mcast_refused;	   /* multicast filter additions refused (list full) */
	uint64_t rx_drop_mcast;		   /* multicast frames the guest's filter refused */
	uint64_t tx_gso;		   /* GSO packets taken from the guest */
	uint64_t rx_gso;		   /* GSO packets delivered to the guest */
	uint64_t rx_drop_backlog;	   /* RX backlog full (bytes bound) */
	uint64_t rx_drop_disconnected;	   /* frames for a vif without rings */
	uint64_t rx_drop_too_big;	   /* frame needs more slots than the guest allows */
	uint64_t rx_grant_errors;	   /* a grant copy into a guest buffer failed */
	uint64_t tx_throttled;		   /* TX passes stopped by the rate limit (rate=) */
	uint64_t rx_drop_expired;	   /* queued longer than the drain timeout */
	uint64_t rx_drop_stalled;	   /* dropped while the guest was stalled */
	uint64_t rx_stalls;		   /* times the guest stopped posting RX buffers */
	uint64_t ctrl_requests;		   /* control-ring requests answered */
	uint64_t rx_hash;		   /* frames delivered with a HASH extra */
	uint64_t notifies;		   /* event-channel notifications sent */
	uint64_t events;		   /* event-channel events received */
	uint64_t tx_verdicts[32];	   /* per enum nb_tx_verdict */
	unsigned int n_queues;		   /* queues connected */
	uint64_t queue_tx[8], queue_rx[8]; /* packets per queue (guest TX, guest RX) */
};
void nb_vif_get_stats(const struct nb_vif *vif, struct nb_vif_stats *st);

/*
 * Data path (owning worker only).
 * nb_vif_guest_tx: takes up to 'max' packets the guest transmitted, grant-copied into
 * buffers of 'pool'; answers their requests; returns the count.
 * nb_vif_guest_rx: queues 'n' packets for the guest (taking ownership of all: queued, or
 * dropped and counted) and delivers what fits in the guest's posted buffers.
 * nb_vif_guest_rx_flush: delivers queued packets (call when the guest may have posted
 * buffers). nb_vif_poll_events: consumes and unmasks pending event-channel events.
 * nb_vif_arm: before sleeping, asks for events on new work; returns true if work is already
 * pending (then do not sleep). nb_vif_wait_fd: the fd to poll while sleeping.
 */
unsigned int nb_vif_guest_tx(struct nb_vif *vif, struct pkt_pool *pool, struct pkt **pkts,
			     unsigned int max);
void nb_vif_guest_rx(struct nb_vif *vif, struct pkt **pkts, unsigned int n);
void nb_vif_guest_rx_flush(struct nb_vif *vif);
void nb_vif_poll_events(struct nb_vif *vif);
bool nb_vif_arm(struct nb_vif *vif);
int nb_vif_wait_fd(const struct nb_vif *vif);

/* On the owning worker (or with no worker polling the vif): allow / stop using the rings.
 * vif_connect calls start after the rings are mapped, vif_disconnect calls stop before they
 * are unmapped. */
void nb_vif_dp_start(struct nb_vif *vif);
void nb_vif_dp_stop(struct nb_vif *vif);

/* On the owning worker: frees the frames queued for the guest (they belong to that worker's
 * pool), e.g. before the vif leaves its network. */
void nb_vif_drop_backlog(struct nb_vif *vif);

/* The "vif" port class: a switch port whose rx is the guest's TX ring and whose tx is the
 * guest's RX ring. Opens a port named after the vif (control thread). */
struct port;
int nb_vif_port_open(struct nb_vif *vif, struct port **portp);
/* The vif behind a "vif" port, or NULL for another class. */
struct nb_vif *nb_vif_port_vif(const struct port *port);

#endif
