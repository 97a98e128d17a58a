/* SPDX-License-Identifier: MIT */
/*
 * nb-private.h - declarations shared only inside netback/ (and its unit tests and fuzz
 * targets), like Linux netback's common.h.
 *
 * Direction names follow the protocol: TX is guest -> backend (the guest transmits), RX is
 * backend -> guest. Ring contents are hostile: every request is copied out of the shared ring
 * exactly once (RING_COPY_REQUEST) and only the private copy is validated and used (XSA-155).
 *
 * Error tiers (Linux netback's): a bad packet is answered with NETIF_RSP_ERROR for each of its
 * slots and counted; a protocol violation (NB_TX_FATAL) disables the vif; control errors are
 * reported in XenStore by the xenbus code.
 */
#ifndef NB_PRIVATE_H
#define NB_PRIVATE_H

#include "netback/nb-ring.h" /* first: it selects the Xen interface version */
#include "netback/nb-ctrl.h"
#include "netback/hv/hv.h"
#include "netback/netback.h"

#include <net/if.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Every backend must accept packets of up to 18 slots (netif.h XEN_NETIF_NR_SLOTS_MIN). */
#define NB_TX_SLOTS_MAX XEN_NETIF_NR_SLOTS_MIN
/* A chain of this many data slots or more is malicious (Linux's fatal_skb_slots default). */
#define NB_TX_FATAL_SLOTS 20
#define NB_ETH_HLEN	  14

/* Why a TX packet was dropped or the vif disabled; each has a named counter. */
#define NB_TX_REASONS(X)                                                                           \
	X(OK, "packet accepted")                                                                   \
	X(EMPTY, "no complete request on the ring")                                                \
	X(DROP_TOO_MANY_SLOTS, "packet used more than 18 slots (error response)")                  \
	X(DROP_FRAG_TOO_BIG, "fragment larger than the rest of the packet (error response)")       \
	X(DROP_RUNT, "first fragment shorter than an Ethernet header (error response)")            \
	X(MCAST_OP, "multicast filter request (answered, carries no data)")                        \
	X(FATAL_PROD_OVERFLOW, "producer index more than a ring ahead (vif disabled)")             \
	X(FATAL_MISSING_EXTRA, "extra-info slot past the producer (vif disabled)")                 \
	X(FATAL_BAD_EXTRA, "extra-info of invalid type (vif disabled)")                            \
	X(FATAL_MISSING_SLOT, "packet continues past the producer (vif disabled)")                 \
	X(FATAL_MALICIOUS_SLOTS, "packet chain of 20 or more slots (vif disabled)")                \
	X(FATAL_PAGE_CROSSING, "request crosses a 4 KiB page (vif disabled)")                      \
	X(FATAL_GSO_SIZE, "GSO extra with size 0 (vif disabled)")                                  \
	X(FATAL_GSO_TYPE, "GSO extra of unknown type (vif disabled)")

enum nb_tx_verdict {
#define NB_TX_ENUM_(name, desc) NB_TX_##name,
	NB_TX_REASONS(NB_TX_ENUM_)
#undef NB_TX_ENUM_
		NB_TX_N_VERDICTS
};

/* Whether 'v' is a protocol violation (the vif must be disabled). */
static inline bool
nb_tx_verdict_is_fatal(enum nb_tx_verdict v)
{
	return v >= NB_TX_FATAL_PROD_OVERFLOW;
}

/* Name and description of a verdict, for counters and logs. */
const char *nb_tx_verdict_name(enum nb_tx_verdict v);
const char *nb_tx_verdict_desc(enum nb_tx_verdict v);

/* One data slot of a TX packet, copied out of the ring. */
struct nb_tx_slot {
	uint32_t gref;	 /* grant of the page holding this fragment */
	uint16_t offset; /* offset in that page */
	uint16_t size;	 /* bytes of this fragment (the first slot: its own share) */
	uint16_t id;	 /* request id, echoed in the response */
};

/* A TX packet as parsed from the ring (private memory only). */
struct nb_tx_pkt {
	uint32_t first_idx;    /* ring index of the first request */
	uint16_t n_slots;      /* data slots, first included; all consumed slots when dropped */
	uint16_t n_extras;     /* extra-info slots following the first request */
	uint16_t n_consumed;   /* ring slots consumed: n_slots + n_extras */
	uint16_t flags;	       /* NETTXF_csum_blank / NETTXF_data_validated of the first request */
	uint32_t size;	       /* whole frame length */
	uint16_t first_id;     /* id of the first request */
	bool has_gso;	       /* a valid GSO extra was given */
	uint8_t gso_type;      /* XEN_NETIF_GSO_TYPE_TCPV4 / _TCPV6 */
	uint16_t gso_size;     /* MSS */
	bool has_hash;	       /* a HASH extra was given */
	uint8_t hash_type;     /* _XEN_NETIF_CTRL_HASH_TYPE_* */
	uint32_t hash_value;   /* hash value (LSB first on the wire) */
	int8_t mcast_op;       /* NB_TX_MCAST_OP: +1 add, -1 delete (ADD wins, as in Linux) */
	uint8_t mcast_addr[6]; /* the address to add or delete */
	/* Data slots in ring order; for DROP verdicts too, so each gets its error response. */
	struct nb_tx_slot slots[NB_TX_FATAL_SLOTS];
};

/*
 * Parses the next TX packet at 'cons' of 'ring', reading no further than 'prod' (the
 * frontend's req_prod, read once by the caller and already checked against the ring size
 * with nb_tx_check_prod()). Every slot used is copied once into 'pkt'.
 *
 * Returns the verdict. For NB_TX_OK, NB_TX_MCAST_OP and the DROP verdicts, pkt->n_consumed
 * slots were consumed and each needs exactly one response (NETIF_RSP_NULL for extras). For
 * NB_TX_EMPTY nothing was consumed. A FATAL verdict leaves the ring unusable.
 */
enum nb_tx_verdict nb_tx_parse(const struct netif_tx_back_ring *ring, RING_IDX cons, RING_IDX prod,
			       struct nb_tx_pkt *pkt);

/* NB_TX_FATAL_PROD_OVERFLOW when 'prod' claims more unanswered requests than the ring holds
 * (XSA-39), else NB_TX_OK. */
enum nb_tx_verdict nb_tx_check_prod(const struct netif_tx_back_ring *ring, RING_IDX prod);

/* TX packets taken per burst, and RX packets delivered per pass (Linux RX_BATCH_SIZE). */
#define NB_TX_BURST_MAX 32
#define NB_RX_BATCH	64
/* Host->guest backlog bound per vif, in bytes (Linux XENVIF_RX_QUEUE_BYTES, XSA-392). */
#define NB_RX_BACKLOG_BYTES (512u * 1024u)
/* Backlog entries (a power of two), enough for NB_RX_BACKLOG_BYTES of small frames. */
#define NB_RX_BACKLOG_PKTS 4096u
/* Most RX slots one packet may use (netfront refuses more). */
#define NB_RX_SLOTS_MAX XEN_NETIF_NR_SLOTS_MIN
#define NB_VIF_PATH_MAX 256
/* Multicast addresses a guest may register (Linux XEN_NETBK_MCAST_MAX). */
#define NB_MCAST_MAX 64
/* Queues a frontend may ask for (multi-queue-max-queues is min(this, online CPUs)). */
#define NB_QUEUES_MAX 8
/* Frames queued for the guest longer than this are dropped (Linux rx_drain_timeout_msecs);
 * a frontend without feature-rx-notify gets the short one and its ring is polled every
 * NB_RX_POLL_MS while frames wait. */
#define NB_RX_DRAIN_MS		 10000u
#define NB_RX_DRAIN_NO_NOTIFY_MS 30u
#define NB_RX_POLL_MS		 1u
/* A guest that has not posted the slots the head frame needs for this long is stalled: its
 * backlog is dropped and so is everything for it until it posts again (rx_stall_timeout). */
#define NB_RX_STALL_MS 60000u
/* Accumulated TX credit is capped at max(this, bytes per window), so a 64 KiB frame always
 * passes eventually (Linux tx_add_credit()). */
#define NB_TX_CREDIT_MIN_BURST (128u * 1024u)

/* Counters bumped by the owning worker, read by anyone (relaxed atomics, one writer). */
#define NB_STAT_INC(vif, field, n)                                                                 \
	atomic_store_explicit(&(vif)->stats.field,                                                 \
			      atomic_load_explicit(&(vif)->stats.field, memory_order_relaxed) +    \
				      (n),                                                         \
			      memory_order_relaxed)

struct nb_vif_astats {
	_Atomic uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes, tx_errors, tx_drop_nobuf,
		tx_grant_errors, tx_mcast_refused, tx_gso, rx_gso, rx_drop_backlog,
		rx_drop_disconnected, rx_drop_too_big, rx_grant_errors, notifies, events,
		tx_throttled, rx_drop_expired, rx_drop_stalled, rx_stalls, ctrl_requests, rx_hash,
		rx_drop_mcast;
	_Atomic uint64_t tx_verdicts[NB_TX_N_VERDICTS];
};

/* What the frontend negotiated (read once at connect, from its XenStore directory). */
struct nb_fe_features {
	bool rx_notify; /* feature-rx-notify: it kicks us when it posts RX buffers */
	bool sg;	/* feature-sg: multi-slot RX packets allowed */
	bool csum_ipv4; /* !feature-no-csum-offload: may get partial IPv4 checksums */
	bool csum_ipv6; /* feature-ipv6-csum-offload */
	bool gso_tcpv4; /* feature-gso-tcpv4 */
	bool gso_tcpv6; /* feature-gso-tcpv6 */
};

/* The data path of one queue of a vif (netif multi-queue: a TX ring, an RX ring and one or
 * two event channels each). Written by the control thread before vif_connect and after
 * vif_disconnect; in between, only by the owning worker, which serves all of a vif's queues
 * (a network is the unit of parallelism, see vswitch/switch.h). */
struct nb_queue {
	struct netif_tx_back_ring tx; /* guest TX ring (requests in, responses out) */
	struct netif_rx_back_ring rx; /* guest RX ring */
	void *tx_page, *rx_page;      /* mapped ring pages */

	int tx_port, rx_port;	/* local ports (equal without split channels) */
	uint32_t rx_req_needed; /* slots the head of the backlog needs */

	/* RX backlog: a ring of packets bounded in count and bytes. */
	struct pkt *backlog[NB_RX_BACKLOG_PKTS];
	uint32_t bl_head, bl_tail; /* free-running indices */
	uint32_t bl_bytes;

	/* Scratch of one pass, preallocated so the data path never allocates. */
	struct nb_tx_pkt tx_pkts[NB_TX_BURST_MAX];
	struct pkt *tx_bufs[NB_TX_BURST_MAX];
	struct nb_hv_copy_seg tx_segs[NB_TX_BURST_MAX * NB_TX_SLOTS_MAX];
	struct nb_hv_copy_seg rx_segs[NB_RX_BATCH * NB_RX_SLOTS_MAX];
	struct {
		uint16_t id, offset, flags;
		int16_t status;
		uint16_t seg;	   /* index in rx_segs, or UINT16_MAX for an extra slot */
		uint8_t extra;	   /* extra slot: XEN_NETIF_EXTRA_TYPE_GSO or _HASH */
		uint8_t more;	   /* extra slot: another extra follows */
		uint16_t gso_size; /* GSO extra */
		uint8_t gso_type;
		uint8_t hash_type;   /* HASH extra: _XEN_NETIF_CTRL_HASH_TYPE_* */
		uint32_t hash_value; /* HASH extra */
	} rx_rsps[NB_RX_BATCH * NB_RX_SLOTS_MAX];
	struct pkt *rx_done[NB_RX_BATCH];
	unsigned int id;			 /* queue number (queue-N) */
	_Atomic uint64_t tx_packets, rx_packets; /* this queue's share (one writer: the worker) */
	bool stalled;				 /* short of RX slots for the stall timeout */
	uint64_t stall_since_ns;		 /* head frame short of slots since, 0 = not */
	uint64_t bl_time[NB_RX_BACKLOG_PKTS];	 /* when each backlog entry was queued */
};

enum nb_hotplug_state {
	NB_HOTPLUG_NONE,    /* not started */
	NB_HOTPLUG_RUNNING, /* online script running */
	NB_HOTPLUG_DONE,    /* script exited 0; hotplug-status decides */
	NB_HOTPLUG_FAILED,  /* script failed or timed out */
};

struct nb_hotplug;

struct nb_vif {
	struct nb_backend *be;
	struct nb_vif *next; /* in be->vifs */
	unsigned int domid, devid;
	char name[IF_NAMESIZE];	       /* dom0 name: vif<domid>.<devid> or vifname */
	char be_path[NB_VIF_PATH_MAX]; /* /local/domain/0/backend/vif/<domid>/<devid> */
	char fe_path[NB_VIF_PATH_MAX]; /* the frontend directory */
	char bridge[65];	       /* network to join */
	char ip[1024];		       /* the backend "ip" key: addresses, blank-separated */
	char script[NB_VIF_PATH_MAX];  /* absolute script path */
	uint8_t mac[6];		       /* the guest's MAC (backend "mac" key) */
	unsigned int mtu; /* backend "mtu" key (libxl writes it if not 1500), 0 if none */
	int state;	  /* backend XenbusState we last wrote */
	int fe_state;	  /* last frontend state seen */
	bool online;	  /* backend "online" key */
	bool fe_watched;  /* a watch is set on the frontend's state */
	bool connected;	  /* rings mapped, data path handed to a worker */
	bool removed;	  /* unregistered: waiting for the offline script */
	struct nb_fe_features fe;

	/* The control ring (feature-ctrl-ring), if the frontend set one up, and the receive
	 * hash it configures: mapped by the control thread at connect, then used by the
	 * owning worker only. */
	struct xen_netif_ctrl_back_ring ctrl;
	void *ctrl_page;
	int ctrl_port;
	struct nb_hash_cfg hash;

	/* Multicast control: the guest's filter list (owning worker) and whether filtering is
	 * on (request-multicast-control, written by the control thread on the key's watch). */
	uint8_t mcast[NB_MCAST_MAX][6];
	unsigned int n_mcast;
	_Atomic bool mcast_ctrl;

	enum nb_hotplug_state hp_state;
	struct nb_hotplug *hp; /* running script, or NULL */
	const char *hp_action; /* "online" / "offline" */
	uint64_t hp_deadline_ms;

	/* rate= ("bytes,usecs", libxl): written by the control thread on the key's watch, read
	 * by the worker once per TX pass; usecs 0 = unlimited. A pass that sees one new and
	 * one old value is harmless, so the pair needs no lock. */
	_Atomic uint64_t rate_bytes, rate_usec;
	_Atomic bool stalled; /* set and cleared by the worker, read by anyone */

	/* Queues: queues[0] is q; the others are allocated at connect (multi-queue). */
	unsigned int n_queues;
	struct nb_queue *queues[NB_QUEUES_MAX];
	unsigned int tx_rr;	     /* queue the next TX pass starts with */
	struct nb_hv_evtchn *evtchn; /* the event-channel handle of all queues */
	/* Timers (owning worker): one timerfd armed for the earliest of the rate-limit window,
	 * the backlog drain and stall deadlines and the RX poll of a frontend without
	 * feature-rx-notify; the worker sleeps on wait_ep, an epoll set of the event channel
	 * handle and the timer. */
	int timer_fd, wait_ep;
	uint64_t timer_at_ns; /* armed deadline (CLOCK_MONOTONIC), 0 = none */
	uint64_t drain_ns, stall_ns;
	/* Credit-based TX rate limit (fact sheet §4.1), for the vif as a whole. */
	uint64_t credit, credit_next_ns;
	bool throttled; /* TX stopped until credit_next_ns */

	bool dp_active;		     /* the worker may use q (changed on the worker only) */
	_Atomic bool disabled;	     /* set by the worker on a protocol violation */
	_Atomic int disabled_reason; /* enum nb_tx_verdict, or -1 for an RX violation */
	bool disable_reported;
	char error[256]; /* last error reported to XenStore */

	void *user;	   /* the daemon's (its switch port) */
	struct port *port; /* the "vif" port opened for it, or NULL */
	struct nb_queue q;
	struct nb_vif_astats stats;
};

struct nb_backend {
	struct nb_backend_cfg cfg;
	struct xs_handle *xs;
	struct nb_vif *vifs;
	unsigned int domid;  /* ours (0) */
	char base[64];	     /* /local/domain/<domid>/backend/vif */
	uint64_t next_gc_ms; /* next nb_hv_gc() */
};

/* Data-path setup and teardown on the control thread (nb-vif.c). nb_vif_map_queues maps
 * 'n' (1..NB_QUEUES_MAX) queues; nb_vif_map_rings is the single-queue form. */
struct nb_queue_keys {
	uint32_t tx_ref, rx_ref, tx_evtchn, rx_evtchn; /* rx_evtchn == tx_evtchn: not split */
};
int nb_vif_map_queues(struct nb_vif *vif, unsigned int n, const struct nb_queue_keys *keys);
int nb_vif_map_rings(struct nb_vif *vif, uint32_t tx_ref, uint32_t rx_ref, uint32_t tx_evtchn,
		     uint32_t rx_evtchn);
void nb_vif_unmap_rings(struct nb_vif *vif);
/* Maps the control ring and binds its channel (after nb_vif_map_rings()). */
int nb_vif_map_ctrl(struct nb_vif *vif, uint32_t ref, uint32_t evtchn);

/* Worker side: disables the vif for a protocol violation 'reason'. */
void nb_vif_fatal(struct nb_vif *vif, int reason);

#endif
