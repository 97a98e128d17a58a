/* SPDX-License-Identifier: MIT */
/*
 * netfront.h - the simulated guest's network frontend: Linux xen-netfront's XenStore
 * handshake and ring protocol, over nb-simhv's guest interface (netback/hv/sim-client.h),
 * with each vif exposed as a TAP device eth<devid> in the guest's network namespace.
 *
 * Contract:
 * - Two layers. The ring layer (nb_nf_tx_*, nb_nf_rx_*, nb_nf_idalloc_*) is pure: it works
 *   on a ring page and buffer pages it is handed, does no I/O and can be driven by tests. The
 *   guest layer (nb_nf_guest_*) owns the simulated guest's memory, grants, event channels,
 *   its XenStore watches and the TAP devices, and follows each vif's backend like
 *   xen-netfront's netback_changed(): connect on backend InitWait while Initialising
 *   (feature-rx-copy required; split event channels if offered; feature-sg, rx-notify and
 *   the offloads written in one transaction: checksum offload both ways and GSO TCPv4/v6
 *   unless no_offloads, carried to and from the TAP in virtio_net_hdr headers; with 'hash',
 *   a control ring that turns on Toeplitz hashing of every type with the RSS key, and each
 *   HASH extra received is checked against our own computation: ctrl_ok, rx_hash_ok/bad),
 *   Closed on backend Closing
 *   (xenbus_frontend_closed()), data path torn down and TAP removed, Initialising again once
 *   the backend is Closed while the toolstack keeps the device online (at most once a
 *   second), gone when the vif directory disappears.
 * - The backend is hostile: every response is copied out of the ring once and validated
 *   (producer never more than the requests outstanding, TX ids in range and in flight, RX
 *   ids matching their slot, offset + size within the page, no grant still in use after its
 *   response). A violation disconnects that vif (error node + Closing), nothing else.
 *   Error responses and malformed packets are dropped and counted.
 * - Ownership: the ring layer borrows everything it is given. The guest layer owns what it
 *   opens and frees it in nb_nf_guest_close(); grants the backend still uses at teardown are
 *   kept (not reused) and released once it lets go, as gnttab_end_foreign_access() defers.
 * - Threading: single-threaded; all calls on the thread that runs the epoll set. The guest
 *   layer registers its fds (XenStore watch pipe, event-channel fd, TAPs) in the caller's
 *   epoll set with data.ptr pointing to a struct nb_nf_poll and expects the caller to
 *   dispatch them.
 * - Errors: 0 or -errno; burst functions return counts. -EPROTO means the backend broke the
 *   protocol.
 */
#ifndef NB_NETFRONT_H
#define NB_NETFRONT_H

#include "netback/nb-ring.h"
#include "tools/guest/ipcfg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>

struct xs_handle;

/* One page per ring; 256 slots each (fact sheet §1.5). */
#define NB_NF_TX_RING_SIZE 256u
#define NB_NF_RX_RING_SIZE 256u
/* Largest frame in one TX packet: the first request's size is a u16 (XEN_NETIF_MAX_TX_SIZE). */
#define NB_NF_MAX_FRAME_BYTES 65535u
/* Slots the largest TX frame needs at one 4 KiB page per slot. */
#define NB_NF_TX_MAX_SLOTS 16u
/* Data slots accepted in one RX packet (XEN_NETIF_NR_SLOTS_MIN, as netfront's "Too many
 * slots" check); longer chains are dropped. */
#define NB_NF_RX_MAX_SLOTS 18u
/* Frames handled per wakeup in each direction (Linux netfront's NAPI weight). */
#define NB_NF_BATCH 64u
/* Most vifs one guest serves. */
#define NB_NF_MAX_VIFS 32u
/* Ethernet header length: shorter RX frames are malformed. */
#define NB_NF_ETH_HLEN 14u

/* Per-vif counters, from the guest's point of view (TX = guest to backend). */
struct nb_nf_stats {
	uint64_t tx_packets;  /* frames put on the TX ring */
	uint64_t rx_packets;  /* frames written to the TAP */
	uint64_t tx_errors;   /* TX packets answered with an error, frames too large */
	uint64_t rx_errors;   /* RX packets with an error status, bad extras, too many slots */
	uint64_t drops;	      /* frames lost locally: TAP full or failing */
	uint64_t ctrl_ok;     /* control-ring requests answered SUCCESS */
	uint64_t ctrl_err;    /* control-ring requests answered with an error */
	uint64_t rx_hash_ok;  /* RX HASH extras whose value matches our own Toeplitz hash */
	uint64_t rx_hash_bad; /* RX HASH extras with a wrong value or type */
};

/* ---- id allocator (guest frames, grant refs) ---------------------------------------- */

/* A bitmap of ids 0..n-1; ids below 'reserved' are never handed out. */
struct nb_nf_idalloc {
	uint64_t *bits;	   /* set = in use */
	uint64_t n;	   /* ids managed */
	uint64_t reserved; /* ids below this are never handed out */
	uint64_t hint;	   /* where the next search starts */
	uint64_t n_free;   /* ids available */
};

/* Sets up 'a' for 'n' ids (1..2^32) with [0, reserved) in use for good. -EINVAL, -ENOMEM. */
int nb_nf_idalloc_init(struct nb_nf_idalloc *a, uint64_t n, uint64_t reserved);
/* Frees the bitmap (a zeroed 'a' is fine). */
void nb_nf_idalloc_fini(struct nb_nf_idalloc *a);
/* Takes a free id into '*idp'; -ENOSPC when none is left. */
int nb_nf_idalloc_get(struct nb_nf_idalloc *a, uint64_t *idp);
/* Returns 'id'; -EINVAL for a reserved, out-of-range or already free id. */
int nb_nf_idalloc_put(struct nb_nf_idalloc *a, uint64_t id);

/* ---- TX ring (guest -> backend) ----------------------------------------------------- */

/*
 * Request id i always uses buffer page pages[i], granted read-only to the backend as
 * grefs[i] for the life of the ring; an id is in flight from its request until its
 * response. 'gnt' (may be NULL) is the guest's own grant table of 'n_gnt' entries: when
 * given, a response whose grant still shows GTF_reading/GTF_writing is a violation.
 */
struct nb_nf_tx {
	struct netif_tx_front_ring ring;
	RING_IDX pushed;		       /* req_prod as we last published it */
	uint8_t *pages[NB_NF_TX_RING_SIZE];    /* buffer page of each id */
	uint32_t grefs[NB_NF_TX_RING_SIZE];    /* its grant */
	const grant_entry_v1_t *gnt;	       /* own grant table, or NULL */
	uint32_t n_gnt;			       /* its entries */
	uint16_t free_ids[NB_NF_TX_RING_SIZE]; /* stack of ids not in flight */
	unsigned int n_free;		       /* entries on it */
	bool in_flight[NB_NF_TX_RING_SIZE];    /* id waits for its response */
	bool first[NB_NF_TX_RING_SIZE];	       /* id is a packet's first slot */
};

/* Initializes the shared ring in 'sring' (SHARED_RING_INIT) and the front ring over it;
 * 'pages' and 'grefs' have NB_NF_TX_RING_SIZE entries. */
void nb_nf_tx_init(struct nb_nf_tx *tx, void *sring, uint8_t *const *pages, const uint32_t *grefs,
		   const grant_entry_v1_t *gnt, uint32_t n_gnt);

/* Slots a frame of 'size' bytes takes (0 for 0 or more than NB_NF_MAX_FRAME_BYTES). */
unsigned int nb_nf_tx_slots_for(size_t size);

/* Slots that can be used now: free ids and free ring entries, whichever is fewer. */
unsigned int nb_nf_tx_slots_free(const struct nb_nf_tx *tx);

/*
 * Points 'iov' at the pages the next frame will use, in order, so it can be read straight
 * into them (readv). Returns NB_NF_TX_MAX_SLOTS, or -ENOSPC if fewer slots are free or the
 * ring has no entry beyond them for a GSO extra.
 */
int nb_nf_tx_prepare(struct nb_nf_tx *tx, struct iovec iov[NB_NF_TX_MAX_SLOTS]);

/*
 * Queues the frame of 'size' bytes already placed in the pages nb_nf_tx_prepare() named:
 * one request per 4 KiB slot at offset 0, NETTXF_more_data on all but the last, the first
 * request's size the whole length. Not visible to the backend before nb_nf_tx_push().
 * Returns the slots used, -EINVAL for 0 or more than NB_NF_MAX_FRAME_BYTES bytes, -ENOSPC.
 */
int nb_nf_tx_commit(struct nb_nf_tx *tx, size_t size);

/*
 * As nb_nf_tx_commit(), with the first request's 'flags' (NETTXF_csum_blank,
 * NETTXF_data_validated) and, when 'gso_type' is XEN_NETIF_GSO_TYPE_TCPV4/_TCPV6, a GSO
 * extra-info slot of MSS 'gso_size' after the first request (one more ring entry, no id).
 * -EINVAL also for an unknown GSO type or an MSS of 0.
 */
int nb_nf_tx_commit_ex(struct nb_nf_tx *tx, size_t size, uint16_t flags, uint8_t gso_type,
		       uint16_t gso_size);

/*
 * Queues a multicast filter edit (multicast control): a dummy request carrying no data
 * with an XEN_NETIF_EXTRA_TYPE_MCAST_ADD or _DEL extra for 'mac'. One id, two ring entries.
 * Returns 0, -EINVAL for a unicast address, -ENOSPC.
 */
int nb_nf_tx_mcast(struct nb_nf_tx *tx, bool add, const uint8_t mac[6]);

/* Copies 'frame' into the next free pages and queues it (nb_nf_tx_commit()). */
int nb_nf_tx_send(struct nb_nf_tx *tx, const void *frame, size_t size);

/* Publishes queued requests; true if the backend asked to be notified. */
bool nb_nf_tx_push(struct nb_nf_tx *tx);

/*
 * Consumes TX responses (xennet_tx_buf_gc()): frees their ids, counts packets answered with
 * an error in st->tx_errors, skips NETIF_RSP_NULL slots, re-arms rsp_event. Returns the
 * responses consumed, or -EPROTO (too many responses, bad or inactive id, grant in use).
 */
int nb_nf_tx_gc(struct nb_nf_tx *tx, struct nb_nf_stats *st);

/* ---- RX ring (backend -> guest) ----------------------------------------------------- */

/* Receives one frame; returns 0 if delivered, -errno if it was dropped. */
typedef int nb_nf_rx_deliver_fn(void *arg, const uint8_t *frame, size_t size);

/*
 * The ring is kept full: request i (mod NB_NF_RX_RING_SIZE) has id i and page pages[i],
 * granted writable as grefs[i], so a consumed slot is reposted with the same page. 'frame'
 * is where a packet is gathered before delivery.
 */
struct nb_nf_rx {
	struct netif_rx_front_ring ring;
	RING_IDX pushed;				      /* req_prod as last published */
	uint8_t *pages[NB_NF_RX_RING_SIZE];		      /* buffer page of each id */
	uint32_t grefs[NB_NF_RX_RING_SIZE];		      /* its grant */
	const grant_entry_v1_t *gnt;			      /* own grant table, or NULL */
	uint32_t n_gnt;					      /* its entries */
	uint8_t frame[NB_NF_RX_MAX_SLOTS * NB_XEN_PAGE_SIZE]; /* gather buffer */
	/* The packet being delivered (valid during the deliver call): its first slot's
	 * NETRXF_csum_blank / NETRXF_data_validated, and its GSO extra (type 0 if none). */
	uint16_t cur_flags;
	uint8_t cur_gso_type;
	uint16_t cur_gso_size;
	bool cur_has_hash;	 /* a HASH extra came with it */
	uint8_t cur_hash_type;	 /* _XEN_NETIF_CTRL_HASH_TYPE_* */
	uint32_t cur_hash_value; /* the value (sent LSB first) */
};

/* Initializes the shared ring in 'sring' and queues a request for every slot (not yet
 * pushed). */
void nb_nf_rx_init(struct nb_nf_rx *rx, void *sring, uint8_t *const *pages, const uint32_t *grefs,
		   const grant_entry_v1_t *gnt, uint32_t n_gnt);

/*
 * Consumes complete RX packets, at most 'budget' of them (xennet_poll()): gathers each
 * packet's data slots into rx->frame and calls 'deliver', skips extra-info slots, drops
 * (and counts in st->rx_errors) packets with an error status, a bad extra, more than
 * NB_NF_RX_MAX_SLOTS data slots or fewer than NB_NF_ETH_HLEN bytes, a GSO extra with MSS 0 or
 * an unknown type; counts delivered frames
 * in st->rx_packets and refused ones in st->drops. A packet whose last slot has not arrived
 * yet is left for later. Every consumed slot is requeued (push with nb_nf_rx_push()).
 * '*more' is set when responses remain (budget reached). Returns the packets consumed, or
 * -EPROTO (too many responses, an id not matching its slot, offset + size beyond the page,
 * a grant still in use, a chain that can never end).
 */
int nb_nf_rx_poll(struct nb_nf_rx *rx, unsigned int budget, nb_nf_rx_deliver_fn *deliver, void *arg,
		  struct nb_nf_stats *st, bool *more);

/* Publishes requeued requests; true if the backend asked to be notified. */
bool nb_nf_rx_push(struct nb_nf_rx *rx);

/* ---- the guest ---------------------------------------------------------------------- */

struct nb_nf_guest;
struct nb_nf_poll;

/* Called by the caller's loop for an epoll event whose data.ptr is 'p'. */
typedef void nb_nf_poll_fn(struct nb_nf_poll *p, uint32_t events);

/* What data.ptr of every fd in the epoll set points to. */
struct nb_nf_poll {
	nb_nf_poll_fn *fn;
};

struct nb_nf_guest_cfg {
	const char *rundir;	      /* nb-simhv's run directory */
	unsigned int domid;	      /* the guest's domain */
	struct xs_handle *xs;	      /* the guest's own XenStore connection (caller owns) */
	int epfd;		      /* epoll set to register fds in */
	const struct nb_ipcfg *ipcfg; /* from the kernel command line; NULL or mode NONE */
	bool no_offloads;	      /* ask for complete checksums and no GSO either way */
	bool hash;		      /* set up the control ring and ask for Toeplitz HASH extras */
	bool mcast;	     /* ask for multicast control and keep the backend's filter in step */
	bool no_rx_notify;   /* no feature-rx-notify: the backend must poll our RX ring */
	unsigned int queues; /* queues per vif wanted (0 or 1: one), up to the backend's max */
};

/*
 * Attaches to the guest's memory and grant table, opens an event-channel handle, watches
 * <home>/device/vif and starts serving the vifs found there. Returns 0 or -errno.
 */
int nb_nf_guest_open(struct nb_nf_guest **gp, const struct nb_nf_guest_cfg *cfg);

/* Tears every vif down without a handshake, removes the TAPs and frees 'g' (NULL is
 * ignored). */
void nb_nf_guest_close(struct nb_nf_guest *g);

/* Whether some vif has work left from a wakeup that hit its budget (poll without sleeping). */
bool nb_nf_guest_busy(const struct nb_nf_guest *g);

/* To be called after each batch of epoll events has been dispatched: does the work
 * nb_nf_guest_busy() announced and frees vifs that went away during the batch. */
void nb_nf_guest_run(struct nb_nf_guest *g);

/* Once a second: publishes counters under <home>/data/nb-guest/<devid>/, releases grants
 * the backend has let go, and restarts vifs waiting to reconnect. */
void nb_nf_guest_tick(struct nb_nf_guest *g);

/* Prints every vif's state and counters to 'f'. */
void nb_nf_guest_dump(const struct nb_nf_guest *g, FILE *f);

/*
 * Closes every vif as netfront does on unload (xennet_remove()): Closing, wait for the
 * backend to be Closing or Closed, Closed, wait for it to be Closed, all within
 * 'timeout_ms' in total; then tears the data paths down and removes the TAPs. Returns 0, or
 * -ETIMEDOUT if some backend did not follow in time (its vif is closed anyway).
 */
int nb_nf_guest_shutdown(struct nb_nf_guest *g, int timeout_ms);

/* ---- direct data path (nb-bench) ----------------------------------------------------- */
/*
 * For a traffic generator or sink that drives a vif's rings itself instead of through its
 * TAP. After nb_nf_guest_direct() the guest layer still follows XenStore (the caller keeps
 * dispatching its epoll set for that), but no longer touches the claimed vif's rings: its
 * TAP and the guest's event-channel fd leave the epoll set (so claim at most one vif per
 * guest), and the caller polls the rings, pushes and notifies. A teardown of the vif (backend
 * closing, vif removed) frees the rings: check nb_nf_guest_direct_ok() after every dispatch.
 */
struct nb_nf_direct {
	unsigned int devid;
	struct nb_nf_tx *tx; /* the vif's rings, valid while nb_nf_guest_direct_ok() */
	struct nb_nf_rx *rx;
	struct nb_nf_stats *st;	   /* the vif's counters, for nb_nf_tx_gc / nb_nf_rx_poll */
	unsigned int be_domid;	   /* the backend's domain (grant preloaded pages to it) */
	uint8_t mac[6];		   /* the vif's MAC */
	uint32_t tx_port, rx_port; /* event channels (equal without split) */
	const void *claim;	   /* identifies the data path claimed */
};

/* Claims vif 'devid' once it is connected (frontend and backend Connected): 0, -EAGAIN while
 * not connected yet, -ENOENT if there is no such vif. */
int nb_nf_guest_direct(struct nb_nf_guest *g, unsigned int devid, struct nb_nf_direct *d);

/* Whether the data path claimed in 'd' is still the vif's (not torn down). */
bool nb_nf_guest_direct_ok(const struct nb_nf_guest *g, const struct nb_nf_direct *d);

/* Notifies the backend on 'port' (d->tx_port after a TX push, d->rx_port after an RX push). */
void nb_nf_guest_direct_notify(struct nb_nf_guest *g, uint32_t port);

/*
 * Allocates 'n' zeroed pages of guest memory granted to 'domid' (read-only if 'readonly'):
 * pages[i], refs[i], gfns[i]. All or nothing: 0, -ENOMEM (no guest memory left), -ENOSPC (no
 * grant ref left).
 */
int nb_nf_guest_grant_pages(struct nb_nf_guest *g, unsigned int domid, bool readonly, size_t n,
			    uint8_t **pages, uint32_t *refs, uint64_t *gfns);
/* Ends the grants and frees the pages (kept for later while the backend still uses them). */
void nb_nf_guest_ungrant_pages(struct nb_nf_guest *g, size_t n, const uint32_t *refs,
			       const uint64_t *gfns);

/*
 * Queues a one-slot TX packet of 'size' bytes at 'offset' in the page granted as 'gref' (any
 * grant the backend may read, e.g. from nb_nf_guest_grant_pages()), with the next free id.
 * The caller keeps the bytes unchanged until the id's response. Returns 1 (slots used),
 * -EINVAL if the frame is empty or crosses the page end, -ENOSPC if no slot is free.
 */
int nb_nf_tx_queue_ref(struct nb_nf_tx *tx, uint32_t gref, unsigned int offset, size_t size);

#endif
