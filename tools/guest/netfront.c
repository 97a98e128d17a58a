/* SPDX-License-Identifier: MIT */
/*
 * netfront.c - the simulated guest's netfront (contract in netfront.h). The first half is
 * the pure ring logic (id allocator, TX requests and responses, RX responses and reposting);
 * the second half is the guest: memory and grants from nb-simhv, the XenStore handshake of
 * Linux xen-netfront (talk_to_netback(), netback_changed(), xennet_remove()), TAP devices
 * and the data path between them and the rings.
 */
#include "tools/guest/netfront.h"

#include "netback/hv/sim-client.h"
#include "netback/nb-ctrl.h"
#include "vswitch/csum.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xen/io/xenbus.h>
#include <xenstore.h>

#define NF_CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* Grant refs 0..7 belong to the console and xenstore (GNTTAB_NR_RESERVED_ENTRIES). */
#define NF_RESERVED_REFS 8u
/* GFN 0 is never handed out, so 0 is never a valid buffer frame. */
#define NF_RESERVED_GFNS 1u
#define NF_NO_GFN	 UINT64_MAX
/* XenStore paths (XENSTORE_ABS_PATH_MAX is 3072; netif paths are far shorter). */
#define NF_PATH_MAX 256u
/* Longest XenStore value we read. */
#define NF_VALUE_MAX 256u
/* Retries of a transaction that keeps conflicting. */
#define NF_TX_RETRIES 16
/* A vif is reset to Initialising at most this often (a backend failing at every connect
 * must not make the guest spin). */
#define NF_RESET_INTERVAL_MS 1000
/* Linux netfront's limit with feature-sg: XEN_NETIF_MAX_TX_SIZE - ETH_HLEN. */
#define NF_MTU_MAX     65521u
#define NF_MTU_MIN     68u
#define NF_MTU_DEFAULT 1500u
/* Highest domid a backend may have (DOMID_FIRST_RESERVED - 1). */
#define NF_DOMID_MAX 0x7fefu
/* Events taken from the event-channel handle per wakeup. */
#define NF_EVENTS_PER_WAKEUP 64
/* Multicast addresses we keep in the backend's filter (its own bound is 64). */
#define NB_NF_MCAST_MAX 64
/* Queues one vif may use (the backend offers at most its multi-queue-max-queues). */
#define NB_NF_MAX_QUEUES 8
/* Watch events taken per wakeup. */
#define NF_WATCHES_PER_WAKEUP 256

extern char **environ;

/* ==== id allocator ====================================================================== */

static void
idalloc_set(struct nb_nf_idalloc *a, uint64_t id)
{
	a->bits[id / 64] |= 1ull << (id % 64);
}

static bool
idalloc_test(const struct nb_nf_idalloc *a, uint64_t id)
{
	return a->bits[id / 64] & (1ull << (id % 64));
}

int
nb_nf_idalloc_init(struct nb_nf_idalloc *a, uint64_t n, uint64_t reserved)
{
	uint64_t words, id;

	if (!a || n == 0 || n > (1ull << 32) || reserved > n)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	words = (n + 63) / 64;
	a->bits = calloc(words, sizeof(*a->bits));
	if (!a->bits)
		return -ENOMEM;
	for (id = 0; id < reserved; id++)
		idalloc_set(a, id);
	/* The tail of the last word is marked used so a search never returns it. */
	for (id = n; id < words * 64; id++)
		idalloc_set(a, id);
	a->n = n;
	a->reserved = reserved;
	a->hint = reserved < n ? reserved : 0;
	a->n_free = n - reserved;
	return 0;
}

void
nb_nf_idalloc_fini(struct nb_nf_idalloc *a)
{
	if (!a)
		return;
	free(a->bits);
	memset(a, 0, sizeof(*a));
}

int
nb_nf_idalloc_get(struct nb_nf_idalloc *a, uint64_t *idp)
{
	uint64_t words, w, k;

	if (!a || !a->bits || !a->n_free)
		return -ENOSPC;
	words = (a->n + 63) / 64;
	w = a->hint / 64;
	for (k = 0; k <= words; k++, w = (w + 1) % words) {
		uint64_t free_bits = ~a->bits[w];
		uint64_t id;

		if (!free_bits)
			continue;
		id = w * 64 + (uint64_t)__builtin_ctzll(free_bits);
		idalloc_set(a, id);
		a->n_free--;
		a->hint = id + 1 < a->n ? id + 1 : 0;
		*idp = id;
		return 0;
	}
	return -ENOSPC;
}

int
nb_nf_idalloc_put(struct nb_nf_idalloc *a, uint64_t id)
{
	if (!a || !a->bits || id < a->reserved || id >= a->n || !idalloc_test(a, id))
		return -EINVAL;
	a->bits[id / 64] &= ~(1ull << (id % 64));
	a->n_free++;
	return 0;
}

/* ==== rings ============================================================================= */

/* The backend must have let go of a grant before it answers the request using it
 * (netfront's "Grant still in use by backend domain"). */
static bool
nf_grant_busy(const grant_entry_v1_t *gnt, uint32_t n_gnt, uint32_t ref)
{
	uint16_t flags;

	if (!gnt || ref >= n_gnt)
		return false;
	flags = NB_READ_ONCE(gnt[ref].flags);
	return flags & (GTF_reading | GTF_writing);
}

void
nb_nf_tx_init(struct nb_nf_tx *tx, void *sring, uint8_t *const *pages, const uint32_t *grefs,
	      const grant_entry_v1_t *gnt, uint32_t n_gnt)
{
	struct netif_tx_sring *s = sring;
	unsigned int i;

	memset(tx, 0, sizeof(*tx));
	memset(sring, 0, NB_XEN_PAGE_SIZE);
	SHARED_RING_INIT(s);
	FRONT_RING_INIT(&tx->ring, s, NB_XEN_PAGE_SIZE);
	for (i = 0; i < NB_NF_TX_RING_SIZE; i++) {
		tx->pages[i] = pages[i];
		tx->grefs[i] = grefs[i];
		/* Lowest ids on top of the stack, so a fresh ring uses ids 0, 1, 2, ... */
		tx->free_ids[i] = (uint16_t)(NB_NF_TX_RING_SIZE - 1 - i);
	}
	tx->n_free = NB_NF_TX_RING_SIZE;
	tx->gnt = gnt;
	tx->n_gnt = n_gnt;
}

unsigned int
nb_nf_tx_slots_for(size_t size)
{
	if (size == 0 || size > NB_NF_MAX_FRAME_BYTES)
		return 0;
	return (unsigned int)((size + NB_XEN_PAGE_SIZE - 1) / NB_XEN_PAGE_SIZE);
}

unsigned int
nb_nf_tx_slots_free(const struct nb_nf_tx *tx)
{
	unsigned int ring_free = NB_NF_TX_RING_SIZE - (tx->ring.req_prod_pvt - tx->ring.rsp_cons);

	return ring_free < tx->n_free ? ring_free : tx->n_free;
}

int
nb_nf_tx_prepare(struct nb_nf_tx *tx, struct iovec iov[NB_NF_TX_MAX_SLOTS])
{
	unsigned int k;

	/* One more ring entry than pages: room for a GSO extra. */
	if (nb_nf_tx_slots_free(tx) < NB_NF_TX_MAX_SLOTS ||
	    NB_NF_TX_RING_SIZE - (tx->ring.req_prod_pvt - tx->ring.rsp_cons) <
		    NB_NF_TX_MAX_SLOTS + 1)
		return -ENOSPC;
	for (k = 0; k < NB_NF_TX_MAX_SLOTS; k++) {
		uint16_t id = tx->free_ids[tx->n_free - 1 - k];

		iov[k].iov_base = tx->pages[id];
		iov[k].iov_len = NB_XEN_PAGE_SIZE;
	}
	return (int)NB_NF_TX_MAX_SLOTS;
}

int
nb_nf_tx_commit_ex(struct nb_nf_tx *tx, size_t size, uint16_t flags, uint8_t gso_type,
		   uint16_t gso_size)
{
	unsigned int n = nb_nf_tx_slots_for(size), k;
	bool gso = gso_type != XEN_NETIF_GSO_TYPE_NONE;
	size_t left = size;

	if (!n || (flags & ~(NETTXF_csum_blank | NETTXF_data_validated)))
		return -EINVAL;
	if (gso &&
	    ((gso_type != XEN_NETIF_GSO_TYPE_TCPV4 && gso_type != XEN_NETIF_GSO_TYPE_TCPV6) ||
	     gso_size == 0))
		return -EINVAL;
	if (nb_nf_tx_slots_free(tx) < n + gso)
		return -ENOSPC;
	for (k = 0; k < n; k++) {
		uint16_t id = tx->free_ids[--tx->n_free];
		size_t chunk = left < NB_XEN_PAGE_SIZE ? left : NB_XEN_PAGE_SIZE;
		struct netif_tx_request req = {
			.gref = tx->grefs[id],
			.offset = 0,
			.flags = k + 1 < n ? NETTXF_more_data : 0,
			.id = id,
			/* The first request carries the whole length (fact sheet §1.3). */
			.size = (uint16_t)(k == 0 ? size : chunk),
		};

		if (k == 0)
			req.flags |= flags | (gso ? NETTXF_extra_info : 0);
		*RING_GET_REQUEST(&tx->ring, tx->ring.req_prod_pvt) = req;
		tx->ring.req_prod_pvt++;
		tx->in_flight[id] = true;
		tx->first[id] = k == 0;
		left -= chunk;
		if (k == 0 && gso) {
			struct netif_extra_info ex;

			memset(&ex, 0, sizeof(ex));
			ex.type = XEN_NETIF_EXTRA_TYPE_GSO;
			ex.u.gso.size = gso_size;
			ex.u.gso.type = gso_type;
			memcpy(RING_GET_REQUEST(&tx->ring, tx->ring.req_prod_pvt), &ex, sizeof(ex));
			tx->ring.req_prod_pvt++;
		}
	}
	return (int)n;
}

int
nb_nf_tx_mcast(struct nb_nf_tx *tx, bool add, const uint8_t mac[6])
{
	struct netif_extra_info ex;
	uint16_t id;

	if (!(mac[0] & 1))
		return -EINVAL;
	if (nb_nf_tx_slots_free(tx) < 2)
		return -ENOSPC;
	id = tx->free_ids[--tx->n_free];
	*RING_GET_REQUEST(&tx->ring, tx->ring.req_prod_pvt) = (struct netif_tx_request){
		.gref = tx->grefs[id],
		.offset = 0,
		.flags = NETTXF_extra_info,
		.id = id,
		.size = 0,
	};
	tx->ring.req_prod_pvt++;
	tx->in_flight[id] = true;
	tx->first[id] = true;
	memset(&ex, 0, sizeof(ex));
	ex.type = add ? XEN_NETIF_EXTRA_TYPE_MCAST_ADD : XEN_NETIF_EXTRA_TYPE_MCAST_DEL;
	memcpy(ex.u.mcast.addr, mac, 6);
	memcpy(RING_GET_REQUEST(&tx->ring, tx->ring.req_prod_pvt), &ex, sizeof(ex));
	tx->ring.req_prod_pvt++;
	return 0;
}

int
nb_nf_tx_commit(struct nb_nf_tx *tx, size_t size)
{
	return nb_nf_tx_commit_ex(tx, size, 0, XEN_NETIF_GSO_TYPE_NONE, 0);
}

int
nb_nf_tx_send(struct nb_nf_tx *tx, const void *frame, size_t size)
{
	unsigned int n = nb_nf_tx_slots_for(size), k;
	const uint8_t *p = frame;
	size_t left = size;

	if (!n || !frame)
		return -EINVAL;
	if (nb_nf_tx_slots_free(tx) < n)
		return -ENOSPC;
	for (k = 0; k < n; k++) {
		uint16_t id = tx->free_ids[tx->n_free - 1 - k];
		size_t chunk = left < NB_XEN_PAGE_SIZE ? left : NB_XEN_PAGE_SIZE;

		memcpy(tx->pages[id], p, chunk);
		p += chunk;
		left -= chunk;
	}
	return nb_nf_tx_commit(tx, size);
}

/* RING_PUSH_REQUESTS_AND_CHECK_NOTIFY, with the old producer taken from our own copy: the
 * shared req_prod is writable by the backend. */
static bool
nf_push(RING_IDX *pushed, RING_IDX new_prod, RING_IDX *req_prod, const RING_IDX *req_event)
{
	RING_IDX old = *pushed;

	xen_wmb();
	NB_WRITE_ONCE(*req_prod, new_prod);
	xen_mb();
	*pushed = new_prod;
	return (RING_IDX)(new_prod - NB_READ_ONCE(*req_event)) < (RING_IDX)(new_prod - old);
}

bool
nb_nf_tx_push(struct nb_nf_tx *tx)
{
	return nf_push(&tx->pushed, tx->ring.req_prod_pvt, &tx->ring.sring->req_prod,
		       &tx->ring.sring->req_event);
}

/* Responses available beyond 'cons', or -EPROTO when the backend claims more responses than
 * requests were published ("Illegal number of responses"). */
static int
nf_responses(RING_IDX prod, RING_IDX cons, RING_IDX pushed)
{
	if ((RING_IDX)(prod - cons) > (RING_IDX)(pushed - cons))
		return -EPROTO;
	return (int)(RING_IDX)(prod - cons);
}

int
nb_nf_tx_gc(struct nb_nf_tx *tx, struct nb_nf_stats *st)
{
	int done = 0;
	bool more;

	do {
		RING_IDX prod = NB_READ_ONCE(tx->ring.sring->rsp_prod);
		RING_IDX cons;

		if (nf_responses(prod, tx->ring.rsp_cons, tx->pushed) < 0)
			return -EPROTO;
		xen_rmb();
		for (cons = tx->ring.rsp_cons; cons != prod; cons++) {
			struct netif_tx_response rsp;

			RING_COPY_RESPONSE(&tx->ring, cons, &rsp);
			done++;
			/* Answers to extra-info slots carry no id. */
			if (rsp.status == NETIF_RSP_NULL)
				continue;
			if (rsp.id >= NB_NF_TX_RING_SIZE || !tx->in_flight[rsp.id])
				return -EPROTO;
			if (nf_grant_busy(tx->gnt, tx->n_gnt, tx->grefs[rsp.id]))
				return -EPROTO;
			tx->in_flight[rsp.id] = false;
			tx->free_ids[tx->n_free++] = rsp.id;
			/* The backend answers every slot of a packet alike; count the packet once. */
			if (rsp.status != NETIF_RSP_OKAY && tx->first[rsp.id])
				st->tx_errors++;
		}
		tx->ring.rsp_cons = prod;
		NB_WRITE_ONCE(tx->ring.sring->rsp_event, prod + 1);
		xen_mb();
		more = NB_READ_ONCE(tx->ring.sring->rsp_prod) != prod;
	} while (more);
	return done;
}

void
nb_nf_rx_init(struct nb_nf_rx *rx, void *sring, uint8_t *const *pages, const uint32_t *grefs,
	      const grant_entry_v1_t *gnt, uint32_t n_gnt)
{
	struct netif_rx_sring *s = sring;
	unsigned int i;

	memset(rx, 0, offsetof(struct nb_nf_rx, frame));
	memset(sring, 0, NB_XEN_PAGE_SIZE);
	SHARED_RING_INIT(s);
	FRONT_RING_INIT(&rx->ring, s, NB_XEN_PAGE_SIZE);
	rx->gnt = gnt;
	rx->n_gnt = n_gnt;
	for (i = 0; i < NB_NF_RX_RING_SIZE; i++) {
		struct netif_rx_request *req = RING_GET_REQUEST(&rx->ring, i);

		rx->pages[i] = pages[i];
		rx->grefs[i] = grefs[i];
		req->id = (uint16_t)i;
		req->pad = 0;
		req->gref = grefs[i];
	}
	rx->ring.req_prod_pvt = NB_NF_RX_RING_SIZE;
}

bool
nb_nf_rx_push(struct nb_nf_rx *rx)
{
	return nf_push(&rx->pushed, rx->ring.req_prod_pvt, &rx->ring.sring->req_prod,
		       &rx->ring.sring->req_event);
}

/* Copies the data response in slot 'idx' once and checks what makes it usable at all. */
static int
nf_rx_copy_data(struct nb_nf_rx *rx, RING_IDX idx, struct netif_rx_response *rsp)
{
	unsigned int id = idx & (NB_NF_RX_RING_SIZE - 1);

	RING_COPY_RESPONSE(&rx->ring, idx, rsp);
	/* Responses stay in the slot of the request they answer (netif.h), and request i was
	 * posted with id i. */
	if (rsp->id != id)
		return -EPROTO;
	if (rsp->status >= 0 && (uint32_t)rsp->offset + (uint32_t)rsp->status > NB_XEN_PAGE_SIZE)
		return -EPROTO;
	if (nf_grant_busy(rx->gnt, rx->n_gnt, rx->grefs[id]))
		return -EPROTO;
	return 0;
}

/*
 * One packet starting at 'cons' (xennet_get_responses()). Returns the slots it took, 0 if
 * its last slot has not been produced yet, or -EPROTO.
 */
static int
nf_rx_packet(struct nb_nf_rx *rx, RING_IDX cons, RING_IDX prod, nb_nf_rx_deliver_fn *deliver,
	     void *arg, struct nb_nf_stats *st)
{
	struct netif_rx_response slots[NB_NF_RX_MAX_SLOTS];
	struct netif_rx_response rsp;
	unsigned int n_data = 0, k;
	RING_IDX i = cons;
	bool bad = false;
	uint16_t flags;
	size_t total = 0;

	if (nf_rx_copy_data(rx, i++, &rsp))
		return -EPROTO;
	bad |= rsp.status < 0;
	slots[n_data++] = rsp;
	flags = rsp.flags;
	rx->cur_flags = flags & (NETRXF_csum_blank | NETRXF_data_validated);
	rx->cur_gso_type = XEN_NETIF_GSO_TYPE_NONE;
	rx->cur_gso_size = 0;
	rx->cur_has_hash = false;
	if (flags & NETRXF_extra_info) {
		struct netif_extra_info extra;

		do {
			if (i == prod)
				goto incomplete;
			extra = *(volatile struct netif_extra_info *)RING_GET_RESPONSE(&rx->ring,
										       i);
			if (nf_grant_busy(rx->gnt, rx->n_gnt,
					  rx->grefs[i & (NB_NF_RX_RING_SIZE - 1)]))
				return -EPROTO;
			i++;
			/* Extras must be well formed; GSO is used, the others (hash) are not. */
			if (extra.type == XEN_NETIF_EXTRA_TYPE_NONE ||
			    extra.type >= XEN_NETIF_EXTRA_TYPE_MAX) {
				bad = true;
			} else if (extra.type == XEN_NETIF_EXTRA_TYPE_GSO) {
				if (extra.u.gso.size == 0 ||
				    (extra.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
				     extra.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6))
					bad = true;
				rx->cur_gso_type = extra.u.gso.type;
				rx->cur_gso_size = extra.u.gso.size;
			} else if (extra.type == XEN_NETIF_EXTRA_TYPE_HASH) {
				rx->cur_has_hash = true;
				rx->cur_hash_type = extra.u.hash.type;
				rx->cur_hash_value = (uint32_t)extra.u.hash.value[0] |
						     (uint32_t)extra.u.hash.value[1] << 8 |
						     (uint32_t)extra.u.hash.value[2] << 16 |
						     (uint32_t)extra.u.hash.value[3] << 24;
			}
		} while (extra.flags & XEN_NETIF_EXTRA_FLAG_MORE);
	}
	while (flags & NETRXF_more_data) {
		if (i == prod)
			goto incomplete;
		if (nf_rx_copy_data(rx, i++, &rsp))
			return -EPROTO;
		bad |= rsp.status < 0;
		if (n_data < NB_NF_RX_MAX_SLOTS)
			slots[n_data] = rsp;
		else
			bad = true;
		n_data++;
		flags = rsp.flags;
	}
	if (!bad) {
		for (k = 0; k < n_data; k++) {
			const uint8_t *page = rx->pages[slots[k].id];

			memcpy(rx->frame + total, page + slots[k].offset, (size_t)slots[k].status);
			total += (size_t)slots[k].status;
		}
		bad = total < NB_NF_ETH_HLEN;
	}
	if (bad)
		st->rx_errors++;
	else if (deliver(arg, rx->frame, total) == 0)
		st->rx_packets++;
	else
		st->drops++;
	return (int)(RING_IDX)(i - cons);
incomplete:
	/* Every posted buffer answered and the packet still open: it can never end. */
	if ((RING_IDX)(prod - cons) >= NB_NF_RX_RING_SIZE)
		return -EPROTO;
	return 0;
}

int
nb_nf_rx_poll(struct nb_nf_rx *rx, unsigned int budget, nb_nf_rx_deliver_fn *deliver, void *arg,
	      struct nb_nf_stats *st, bool *more)
{
	RING_IDX prod, cons = rx->ring.rsp_cons, i;
	unsigned int pkts = 0;
	bool incomplete = false;

	*more = false;
	prod = NB_READ_ONCE(rx->ring.sring->rsp_prod);
	if (nf_responses(prod, cons, rx->pushed) < 0)
		return -EPROTO;
	xen_rmb();
	while (pkts < budget && cons != prod) {
		int n = nf_rx_packet(rx, cons, prod, deliver, arg, st);

		if (n < 0)
			return n;
		if (n == 0) {
			incomplete = true;
			break;
		}
		cons += (RING_IDX)n;
		pkts++;
	}
	/* Requeue every consumed slot with its own page: the ring stays full, so the new
	 * request lands in the slot (and id) of the response it replaces. */
	for (i = rx->ring.rsp_cons; i != cons; i++) {
		struct netif_rx_request *req = RING_GET_REQUEST(&rx->ring, rx->ring.req_prod_pvt);
		unsigned int id = rx->ring.req_prod_pvt & (NB_NF_RX_RING_SIZE - 1);

		req->id = (uint16_t)id;
		req->pad = 0;
		req->gref = rx->grefs[id];
		rx->ring.req_prod_pvt++;
	}
	rx->ring.rsp_cons = cons;
	if (!incomplete && cons != prod) {
		*more = true;
		return (int)pkts;
	}
	/* RING_FINAL_CHECK_FOR_RESPONSES; for a partial packet, ask to be woken by the next
	 * response instead of by the ones already seen. */
	NB_WRITE_ONCE(rx->ring.sring->rsp_event, (incomplete ? prod : cons) + 1);
	xen_mb();
	*more = NB_READ_ONCE(rx->ring.sring->rsp_prod) != (incomplete ? prod : cons);
	return (int)pkts;
}

/* ==== the guest ========================================================================= */

struct nf_deferred {
	uint32_t ref;
	uint64_t gfn;
};

/* The data path of a connected vif: its pages, grants and rings. */
struct nf_dp {
	uint64_t ring_gfn[2]; /* TX, RX ring pages */
	uint32_t ring_ref[2]; /* their grants (0 = none) */
	uint64_t tx_gfn[NB_NF_TX_RING_SIZE];
	uint32_t tx_ref[NB_NF_TX_RING_SIZE];
	uint8_t *tx_page[NB_NF_TX_RING_SIZE];
	uint64_t rx_gfn[NB_NF_RX_RING_SIZE];
	uint32_t rx_ref[NB_NF_RX_RING_SIZE];
	uint8_t *rx_page[NB_NF_RX_RING_SIZE];
	struct nb_nf_tx tx;
	struct nb_nf_rx rx;
	/* The control ring and the page the hash key is read from (only with 'hash'). */
	uint64_t ctrl_gfn, key_gfn;
	uint32_t ctrl_ref, key_ref;
	uint8_t *ctrl_page, *key_page;
	struct xen_netif_ctrl_front_ring ctrl;
};

/* One queue of a vif: its rings (an nf_dp), event channels and TAP queue fd. */
struct nf_q {
	struct nf_vif *vif;
	unsigned int id;
	struct nf_dp *dp;
	uint32_t tx_port, rx_port;  /* equal without split */
	int tap_fd;		    /* -1 while not connected */
	struct nb_nf_poll tap_poll; /* epoll dispatch of tap_fd */
	bool tap_blocked;	    /* TAP reads paused: TX ring full */
	bool rx_more;		    /* RX budget ran out with responses left */
};

struct nf_vif {
	struct nb_nf_guest *g;
	unsigned int devid;
	bool present;		   /* in the last listing of device/vif */
	bool probed;		   /* backend path and id known, watch set */
	bool be_dirty;		   /* the backend's state changed since last looked at */
	char fe_path[NF_PATH_MAX]; /* <home>/device/vif/<devid> */
	char be_path[NF_PATH_MAX]; /* the backend's directory */
	char be_state_path[NF_PATH_MAX];
	char token[32]; /* watch token "be:<devid>" */
	unsigned int be_domid;
	int state;		/* our XenbusState, as last written */
	int be_state;		/* the backend's, as last read */
	bool reset_wanted;	/* waiting for NF_RESET_INTERVAL_MS before Initialising */
	uint64_t last_reset_ms; /* when we last went Initialising again */
	uint8_t mac[6];
	unsigned int mtu;
	char ifname[IFNAMSIZ];
	struct nf_dp *dp;      /* queue 0's data path while connected (also the ctrl ring) */
	unsigned int n_queues; /* data-path queues while connected */
	struct nf_q q[NB_NF_MAX_QUEUES];
	bool split;				/* separate TX and RX event channels */
	bool offloads;				/* we asked for checksum offload and GSO */
	unsigned int be_max_queues;		/* backend's multi-queue-max-queues, 0 if absent */
	bool hash;				/* control ring set up, Toeplitz asked for */
	bool mcast;				/* multicast control asked for */
	uint8_t mcast_sent[NB_NF_MCAST_MAX][6]; /* the filter as the backend has it */
	unsigned int n_mcast_sent;
	uint32_t ctrl_port;	      /* its event channel */
	unsigned int tun_offloads;    /* TUN_F_* the guest kernel may hand us */
	bool kicked;		      /* kicked the backend after it connected */
	struct nf_vif *next_retired;  /* on the guest's retired list */
	struct nb_nf_stats st;	      /* counters */
	struct nb_nf_stats published; /* what is in XenStore */
	bool ever_published;
	pid_t dhclient; /* the DHCP client serving ifname, 0 if none */
};

struct nb_nf_guest {
	unsigned int domid;
	char rundir[256]; /* nb-simhv's run directory (DHCP lease files go under guests/) */
	struct xs_handle *xs;
	int epfd;
	struct nb_ipcfg ipcfg;
	bool no_offloads;    /* cfg: no checksum offload, no GSO */
	bool hash;	     /* cfg: control ring and Toeplitz HASH extras */
	bool no_rx_notify;   /* cfg: no feature-rx-notify, never kick after posting RX buffers */
	bool mcast;	     /* cfg: multicast control */
	unsigned int queues; /* cfg: queues per vif wanted (0: 1) */
	char home[64];	     /* /local/domain/<domid> */
	char vif_dir[96];    /* <home>/device/vif */
	struct nb_sim_guest *sg;
	const struct nb_sim_gnt_dom *dom;
	struct nb_sim_evtchn *evt;
	struct nb_nf_idalloc gfns;
	struct nb_nf_idalloc refs;
	struct nf_deferred *deferred; /* grants the backend still held at teardown */
	size_t n_deferred, cap_deferred;
	uint64_t leaked; /* grants that could not even be deferred */
	struct nf_vif *vifs[NB_NF_MAX_VIFS];
	struct nb_nf_poll xs_poll;
	struct nb_nf_poll evt_poll;
	bool watching;
	bool warned_full;	/* said once that NB_NF_MAX_VIFS were reached */
	struct nf_vif *retired; /* gone vifs, freed by nb_nf_guest_run() */
};

static void nf_vif_step(struct nf_vif *vif);

static void
nf_log(const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32] = "";
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (localtime_r(&ts.tv_sec, &tm))
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld nb-guest: ", stamp, ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static uint64_t
nf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *
nf_state_name(int s)
{
	static const char *const names[] = { "Unknown",	    "Initialising",  "InitWait",
					     "Initialised", "Connected",     "Closing",
					     "Closed",	    "Reconfiguring", "Reconfigured" };

	return s >= 0 && s < (int)(sizeof(names) / sizeof(names[0])) ? names[s] : "?";
}

/* ---- XenStore helpers ---------------------------------------------------------------- */

/* Reads 'dir'/'key' as a string; -ENOENT if absent, -E2BIG if longer than 'size' - 1,
 * -EINVAL with an embedded NUL. */
static int
nf_xs_read(struct nb_nf_guest *g, const char *dir, const char *key, char *buf, size_t size)
{
	char path[NF_PATH_MAX + 64];
	unsigned int len;
	char *v;
	int err = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, key) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	v = xs_read(g->xs, XBT_NULL, path, &len);
	if (!v)
		return errno ? -errno : -EIO;
	if (len >= size)
		err = -E2BIG;
	else if (strlen(v) != len)
		err = -EINVAL;
	else
		memcpy(buf, v, (size_t)len + 1);
	free(v);
	return err;
}

/* Decimal without sign or junk, at most 'max'. */
static int
nf_parse_uint(const char *s, unsigned long max, unsigned long *vp)
{
	unsigned long v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 10)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -ERANGE;
	*vp = v;
	return 0;
}

static int
nf_xs_read_uint(struct nb_nf_guest *g, const char *dir, const char *key, unsigned long max,
		unsigned long *vp)
{
	char buf[16];
	int err = nf_xs_read(g, dir, key, buf, sizeof(buf));

	return err ? err : nf_parse_uint(buf, max, vp);
}

/* xenbus_read_unsigned(dir, key, 0) != 0 */
static bool
nf_xs_flag(struct nb_nf_guest *g, const char *dir, const char *key)
{
	unsigned long v;

	return !nf_xs_read_uint(g, dir, key, 0xffffffffu, &v) && v != 0;
}

static int
nf_xs_state(struct nb_nf_guest *g, const char *dir)
{
	unsigned long v;

	if (nf_xs_read_uint(g, dir, "state", XenbusStateReconfigured, &v))
		return XenbusStateUnknown;
	return (int)v;
}

/* xenbus_switch_state(): only while our state node exists, so a directory the toolstack
 * removed is not brought back. */
static int
nf_switch_state(struct nf_vif *vif, int state)
{
	struct nb_nf_guest *g = vif->g;
	char path[NF_PATH_MAX + 16], val[4];
	int tries, err = 0;

	snprintf(path, sizeof(path), "%s/state", vif->fe_path);
	snprintf(val, sizeof(val), "%d", state);
	for (tries = 0; tries < NF_TX_RETRIES; tries++) {
		xs_transaction_t t = xs_transaction_start(g->xs);
		unsigned int len;
		char *cur;

		if (t == XBT_NULL)
			return -errno;
		cur = xs_read(g->xs, t, path, &len);
		if (!cur) {
			err = -ENOENT;
			xs_transaction_end(g->xs, t, true);
			break;
		}
		free(cur);
		if (!xs_write(g->xs, t, path, val, (unsigned int)strlen(val))) {
			err = -errno;
			xs_transaction_end(g->xs, t, true);
			break;
		}
		if (xs_transaction_end(g->xs, t, false)) {
			err = 0;
			break;
		}
		err = -errno;
		if (err != -EAGAIN)
			break;
	}
	if (!err) {
		nf_log("vif %u: frontend %s", vif->devid, nf_state_name(state));
		vif->state = state;
	}
	return err;
}

/* xenbus_dev_fatal(): the reason under <home>/error/device/vif/<devid>/error, then Closing. */
static void
nf_vif_error(struct nf_vif *vif, int err, const char *what)
{
	struct nb_nf_guest *g = vif->g;
	char path[NF_PATH_MAX], msg[160];

	nf_log("vif %u: %s: %s", vif->devid, what, strerror(err < 0 ? -err : err));
	snprintf(path, sizeof(path), "%s/error/device/vif/%u/error", g->home, vif->devid);
	snprintf(msg, sizeof(msg), "%d %s", err < 0 ? -err : err, what);
	if (!xs_write(g->xs, XBT_NULL, path, msg, (unsigned int)strlen(msg)))
		nf_log("vif %u: cannot write %s: %s", vif->devid, path, strerror(errno));
}

/* ---- memory and grants --------------------------------------------------------------- */

static void
nf_defer(struct nb_nf_guest *g, uint32_t ref, uint64_t gfn)
{
	if (g->n_deferred == g->cap_deferred) {
		size_t cap = g->cap_deferred ? g->cap_deferred * 2 : 64;
		struct nf_deferred *d = realloc(g->deferred, cap * sizeof(*d));

		if (!d) {
			/* Never reused either way; only the bookkeeping is lost. */
			g->leaked++;
			return;
		}
		g->deferred = d;
		g->cap_deferred = cap;
	}
	g->deferred[g->n_deferred].ref = ref;
	g->deferred[g->n_deferred].gfn = gfn;
	g->n_deferred++;
}

/* Ends access through 'ref' and frees it and 'gfn', or keeps both for later while the
 * backend still uses the grant. */
static void
nf_release(struct nb_nf_guest *g, uint32_t ref, uint64_t gfn)
{
	if (ref) {
		int err = nb_sim_guest_end_access(g->sg, ref);

		if (err == -EBUSY) {
			nf_defer(g, ref, gfn);
			return;
		}
		nb_nf_idalloc_put(&g->refs, ref);
	}
	if (gfn != NF_NO_GFN)
		nb_nf_idalloc_put(&g->gfns, gfn);
}

static void
nf_release_deferred(struct nb_nf_guest *g)
{
	size_t i, kept = 0;

	for (i = 0; i < g->n_deferred; i++) {
		struct nf_deferred d = g->deferred[i];

		if (nb_sim_guest_end_access(g->sg, d.ref) == -EBUSY) {
			g->deferred[kept++] = d;
			continue;
		}
		nb_nf_idalloc_put(&g->refs, d.ref);
		if (d.gfn != NF_NO_GFN)
			nb_nf_idalloc_put(&g->gfns, d.gfn);
	}
	g->n_deferred = kept;
}

/* A zeroed page of guest memory granted to 'domid'. */
static int
nf_page_alloc(struct nb_nf_guest *g, unsigned int domid, bool readonly, uint64_t *gfnp,
	      uint32_t *refp, uint8_t **pagep)
{
	uint64_t gfn, ref;
	uint8_t *page;
	int err;

	err = nb_nf_idalloc_get(&g->gfns, &gfn);
	if (err)
		return -ENOMEM;
	err = nb_nf_idalloc_get(&g->refs, &ref);
	if (err) {
		nb_nf_idalloc_put(&g->gfns, gfn);
		return -ENOSPC;
	}
	page = nb_sim_guest_page(g->sg, gfn);
	if (!page) {
		err = -EFAULT;
		goto fail;
	}
	memset(page, 0, NB_XEN_PAGE_SIZE);
	err = nb_sim_guest_grant_access(g->sg, (uint32_t)ref, domid, gfn, readonly);
	if (err)
		goto fail;
	*gfnp = gfn;
	*refp = (uint32_t)ref;
	*pagep = page;
	return 0;
fail:
	nb_nf_idalloc_put(&g->refs, ref);
	nb_nf_idalloc_put(&g->gfns, gfn);
	return err;
}

static void
nf_dp_free(struct nb_nf_guest *g, struct nf_dp *dp)
{
	unsigned int i;

	if (!dp)
		return;
	for (i = 0; i < 2; i++)
		if (dp->ring_ref[i])
			nf_release(g, dp->ring_ref[i], dp->ring_gfn[i]);
	for (i = 0; i < NB_NF_TX_RING_SIZE; i++)
		if (dp->tx_ref[i])
			nf_release(g, dp->tx_ref[i], dp->tx_gfn[i]);
	for (i = 0; i < NB_NF_RX_RING_SIZE; i++)
		if (dp->rx_ref[i])
			nf_release(g, dp->rx_ref[i], dp->rx_gfn[i]);
	if (dp->ctrl_ref)
		nf_release(g, dp->ctrl_ref, dp->ctrl_gfn);
	if (dp->key_ref)
		nf_release(g, dp->key_ref, dp->key_gfn);
	free(dp);
}

/* Rings and buffers for one vif, all granted to the backend (setup_netfront()). */
static int
nf_dp_alloc(struct nf_vif *vif, struct nf_dp **dpp, bool with_ctrl)
{
	struct nb_nf_guest *g = vif->g;
	uint8_t *ring[2];
	struct nf_dp *dp;
	unsigned int i;
	int err = 0;

	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	for (i = 0; i < 2 && !err; i++)
		err = nf_page_alloc(g, vif->be_domid, false, &dp->ring_gfn[i], &dp->ring_ref[i],
				    &ring[i]);
	for (i = 0; i < NB_NF_TX_RING_SIZE && !err; i++)
		err = nf_page_alloc(g, vif->be_domid, true, &dp->tx_gfn[i], &dp->tx_ref[i],
				    &dp->tx_page[i]);
	for (i = 0; i < NB_NF_RX_RING_SIZE && !err; i++)
		err = nf_page_alloc(g, vif->be_domid, false, &dp->rx_gfn[i], &dp->rx_ref[i],
				    &dp->rx_page[i]);
	if (!err && with_ctrl)
		err = nf_page_alloc(g, vif->be_domid, false, &dp->ctrl_gfn, &dp->ctrl_ref,
				    &dp->ctrl_page);
	if (!err && with_ctrl)
		err = nf_page_alloc(g, vif->be_domid, true, &dp->key_gfn, &dp->key_ref,
				    &dp->key_page);
	if (!err && with_ctrl) {
		SHARED_RING_INIT((struct xen_netif_ctrl_sring *)dp->ctrl_page);
		FRONT_RING_INIT(&dp->ctrl, (struct xen_netif_ctrl_sring *)dp->ctrl_page,
				NB_XEN_PAGE_SIZE);
	}
	if (err) {
		nf_dp_free(g, dp);
		return err;
	}
	nb_nf_tx_init(&dp->tx, ring[0], dp->tx_page, dp->tx_ref, g->dom->gnt, g->dom->n_entries);
	nb_nf_rx_init(&dp->rx, ring[1], dp->rx_page, dp->rx_ref, g->dom->gnt, g->dom->n_entries);
	*dpp = dp;
	return 0;
}

/* ---- TAP ----------------------------------------------------------------------------- */

static int
nf_ifreq(int s, unsigned long req, struct ifreq *ifr)
{
	return ioctl(s, req, ifr) < 0 ? -errno : 0;
}

/* One queue fd of the vif's TAP (IFF_MULTI_QUEUE when the vif has several queues). */
static int
nf_tap_queue_open(struct nf_vif *vif, int *fdp)
{
	struct ifreq ifr;
	int fd, err;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags =
		IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (vif->n_queues > 1 ? IFF_MULTI_QUEUE : 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", vif->ifname);
	err = nf_ifreq(fd, TUNSETIFF, &ifr);
	/* Every read and write starts with a virtio_net_hdr; what the guest kernel may send
	 * unfinished (partial checksums, TSO) follows what the backend takes. */
	if (!err && (ioctl(fd, TUNSETVNETHDRSZ, &(int){ (int)sizeof(struct virtio_net_hdr) }) < 0 ||
		     ioctl(fd, TUNSETOFFLOAD, (unsigned long)vif->tun_offloads) < 0))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

/* eth<devid>: one TAP queue per vif queue, the vif's MAC and MTU, up. */
static int
nf_tap_open(struct nf_vif *vif)
{
	struct ifreq ifr;
	int s = -1, err = 0;

	for (unsigned int i = 0; i < vif->n_queues && !err; i++)
		err = nf_tap_queue_open(vif, &vif->q[i].tap_fd);
	if (err)
		return err; /* the fds opened are closed by the teardown */
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", vif->ifname);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, vif->mac, sizeof(vif->mac));
	err = nf_ifreq(s, SIOCSIFHWADDR, &ifr);
	if (!err) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", vif->ifname);
		ifr.ifr_mtu = (int)vif->mtu;
		err = nf_ifreq(s, SIOCSIFMTU, &ifr);
	}
	if (!err) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", vif->ifname);
		err = nf_ifreq(s, SIOCGIFFLAGS, &ifr);
	}
	if (!err) {
		ifr.ifr_flags |= IFF_UP;
		err = nf_ifreq(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return err;
}

/* The virtio_net_hdr that tells the guest kernel what the backend said of an RX packet. */
static void
nf_rx_vnet_hdr(const struct nb_nf_rx *rx, const uint8_t *frame, size_t size,
	       struct virtio_net_hdr *h)
{
	struct vsw_l4 l4;

	memset(h, 0, sizeof(*h));
	if (!(rx->cur_flags & NETRXF_csum_blank) && rx->cur_gso_type == XEN_NETIF_GSO_TYPE_NONE) {
		if (rx->cur_flags & NETRXF_data_validated)
			h->flags = VIRTIO_NET_HDR_F_DATA_VALID;
		return;
	}
	/* The backend left the pseudo-header sum in the field, as CHECKSUM_PARTIAL expects. */
	if (vsw_csum_l4_locate(frame, (uint32_t)size, &l4))
		return;
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = (uint16_t)l4.l4_off;
	h->csum_offset = (uint16_t)(l4.csum_off - l4.l4_off);
	if (rx->cur_gso_type != XEN_NETIF_GSO_TYPE_NONE && l4.proto == 6) {
		h->gso_type = rx->cur_gso_type == XEN_NETIF_GSO_TYPE_TCPV4
				      ? VIRTIO_NET_HDR_GSO_TCPV4
				      : VIRTIO_NET_HDR_GSO_TCPV6;
		h->gso_size = rx->cur_gso_size;
		h->hdr_len = (uint16_t)(l4.l4_off + (uint32_t)(frame[l4.l4_off + 12] >> 4) * 4);
	}
}

static int
nf_tap_deliver(void *arg, const uint8_t *frame, size_t size)
{
	struct nf_q *q = arg;
	struct nf_vif *vif = q->vif;
	struct virtio_net_hdr h;
	struct iovec iov[2];
	ssize_t n;

	nf_rx_vnet_hdr(&q->dp->rx, frame, size, &h);
	if (q->dp->rx.cur_has_hash) {
		/* Check the backend's hash against our own. */
		static const struct nb_hash_cfg want = {
			.alg = XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ,
			.types = NB_HASH_TYPES_ALL,
			.key = { 0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
				 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
				 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
				 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa },
		};
		uint8_t type;
		uint32_t value;

		if (nb_hash_frame(&want, frame, (uint32_t)size, &type, &value) &&
		    type == q->dp->rx.cur_hash_type && value == q->dp->rx.cur_hash_value)
			vif->st.rx_hash_ok++;
		else
			vif->st.rx_hash_bad++;
	}
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)(uintptr_t)frame;
	iov[1].iov_len = size;
	n = writev(q->tap_fd, iov, 2);
	/* Non-blocking: a TAP that cannot take the frame now loses it (counted as a drop). */
	if (n == (ssize_t)(sizeof(h) + size))
		return 0;
	return n < 0 ? -errno : -EIO;
}

static void
nf_tap_interest(struct nf_q *q, bool in)
{
	struct epoll_event ev = { .events = in ? EPOLLIN : 0, .data.ptr = &q->tap_poll };

	if (epoll_ctl(q->vif->g->epfd, EPOLL_CTL_MOD, q->tap_fd, &ev) == 0)
		q->tap_blocked = !in;
}

/* ---- IP configuration ---------------------------------------------------------------- */

static int
nf_run(char *const argv[])
{
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	pid_t pid;
	int err, status;

	/* The caller blocks its signals for a signalfd and ignores SIGPIPE: neither is for
	 * the child. */
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	err = posix_spawnp(&pid, argv[0], NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	if (err)
		return -err;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Starts ISC dhclient on the vif's interface, in the guest's namespace, in the foreground
 * (so we own its pid), with our own small script: it only configures the address and the
 * default route, never /etc/resolv.conf, which belongs to the host. */
static void
nf_start_dhcp(struct nf_vif *vif)
{
	char script[PATH_MAX], leases[PATH_MAX], pidfile[PATH_MAX];
	char *argv[] = { "dhclient", "-4",   "-d",  "-q",    "-sf",	  script,
			 "-lf",	     leases, "-pf", pidfile, vif->ifname, NULL };
	posix_spawnattr_t attr;
	sigset_t none;
	pid_t pid;
	int err;

	if (vif->dhclient > 0)
		return;
	snprintf(script, sizeof(script), "%s/nb-dhclient-script", NB_SCRIPT_DIR);
	snprintf(leases, sizeof(leases), "%s/guests/dom%u-%s.leases", vif->g->rundir, vif->g->domid,
		 vif->ifname);
	snprintf(pidfile, sizeof(pidfile), "%s/guests/dom%u-%s.dhclient.pid", vif->g->rundir,
		 vif->g->domid, vif->ifname);
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	err = posix_spawnp(&pid, argv[0], NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	if (err) {
		nf_log("vif %u: %s: cannot start dhclient: %s", vif->devid, vif->ifname,
		       strerror(err));
		return;
	}
	vif->dhclient = pid;
	nf_log("vif %u: %s: DHCP client started (pid %ld)", vif->devid, vif->ifname, (long)pid);
}

static void
nf_stop_dhcp(struct nf_vif *vif)
{
	if (vif->dhclient <= 0)
		return;
	kill(vif->dhclient, SIGTERM);
	for (int i = 0; i < 50; i++) {
		if (waitpid(vif->dhclient, NULL, WNOHANG) != 0)
			break;
		usleep(20000);
	}
	if (waitpid(vif->dhclient, NULL, WNOHANG) == 0) {
		kill(vif->dhclient, SIGKILL);
		waitpid(vif->dhclient, NULL, 0);
	}
	vif->dhclient = 0;
}

static void
nf_publish_ip(struct nf_vif *vif, const char *desc)
{
	char path[NF_PATH_MAX];

	snprintf(path, sizeof(path), "%s/data/nb-guest/%u/ip", vif->g->home, vif->devid);
	xs_write(vif->g->xs, XBT_NULL, path, desc, (unsigned int)strlen(desc));
}

/* The command line's ip= if it names this interface, else the backend's "ip" key. */
static void
nf_apply_ip(struct nf_vif *vif)
{
	struct nb_nf_guest *g = vif->g;
	struct nb_ipcfg_cmd cmds[NB_IPCFG_MAX_CMDS];
	struct nb_ipcfg cfg;
	char val[NF_VALUE_MAX], desc[96];
	int n, i, err;

	if (nb_ipcfg_applies(&g->ipcfg, vif->ifname)) {
		cfg = g->ipcfg;
	} else if (!nf_xs_read(g, vif->be_path, "ip", val, sizeof(val))) {
		if (nb_ipcfg_parse_backend_ip(val, vif->ifname, &cfg)) {
			nf_log("vif %u: ignoring malformed backend ip \"%s\"", vif->devid, val);
			return;
		}
	} else {
		return;
	}
	if (nb_ipcfg_describe(&cfg, desc, sizeof(desc)))
		return;
	nf_publish_ip(vif, desc);
	if (cfg.mode == NB_IPCFG_DHCP) {
		nf_start_dhcp(vif);
		return;
	}
	n = nb_ipcfg_cmds(&cfg, cmds);
	for (i = 0; i < n; i++) {
		err = nf_run(cmds[i].argv);
		if (err) {
			nf_log("vif %u: %s: applying %s failed: %s", vif->devid, vif->ifname, desc,
			       strerror(-err));
			return;
		}
	}
	if (n > 0)
		nf_log("vif %u: %s: %s", vif->devid, vif->ifname, desc);
}

/* ---- data path ----------------------------------------------------------------------- */

static void
nf_notify(struct nf_vif *vif, uint32_t port)
{
	nb_sim_evtchn_notify(vif->g->evt, port);
}

/* xennet_disconnect_backend(): ports closed, grants ended (or deferred), TAP removed. */
static void
nf_vif_teardown(struct nf_vif *vif)
{
	struct nb_nf_guest *g = vif->g;

	nf_stop_dhcp(vif);
	for (unsigned int i = 0; i < NB_NF_MAX_QUEUES; i++) {
		struct nf_q *q = &vif->q[i];

		if (q->tap_fd >= 0) {
			epoll_ctl(g->epfd, EPOLL_CTL_DEL, q->tap_fd, NULL);
			close(q->tap_fd);
			q->tap_fd = -1;
		}
		if (q->tx_port)
			nb_sim_evtchn_unbind(g->evt, q->tx_port);
		if (q->rx_port && q->rx_port != q->tx_port)
			nb_sim_evtchn_unbind(g->evt, q->rx_port);
		q->tx_port = q->rx_port = 0;
		nf_dp_free(g, q->dp);
		q->dp = NULL;
		q->tap_blocked = false;
		q->rx_more = false;
	}
	if (vif->hash && vif->ctrl_port)
		nb_sim_evtchn_unbind(g->evt, vif->ctrl_port);
	vif->ctrl_port = 0;
	vif->dp = NULL;
	vif->n_queues = 0;
	vif->kicked = false;
}

/* A protocol violation or a failed connect: report it and disconnect this vif only. */
static void
nf_vif_fatal(struct nf_vif *vif, int err, const char *what)
{
	nf_vif_error(vif, err, what);
	nf_vif_teardown(vif);
	nf_switch_state(vif, XenbusStateClosing);
}

static void
nf_q_tx_gc(struct nf_q *q)
{
	struct nf_vif *vif = q->vif;

	if (!q->dp)
		return;
	if (nb_nf_tx_gc(&q->dp->tx, &vif->st) < 0) {
		nf_vif_fatal(vif, -EPROTO, "bad TX response from backend");
		return;
	}
	if (q->tap_blocked && nb_nf_tx_slots_free(&q->dp->tx) >= NB_NF_TX_MAX_SLOTS)
		nf_tap_interest(q, true);
}

/* Frames from a TAP queue into its TX ring, up to NB_NF_BATCH, one push for all. */
static void
nf_q_tx(struct nf_q *q)
{
	struct nf_vif *vif = q->vif;
	struct iovec iov[NB_NF_TX_MAX_SLOTS + 1];
	unsigned int sent = 0, n;
	struct virtio_net_hdr h;

	nf_q_tx_gc(q);
	if (!q->dp)
		return;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	for (n = 0; n < NB_NF_BATCH; n++) {
		uint16_t flags = 0;
		uint8_t gso = XEN_NETIF_GSO_TYPE_NONE;
		ssize_t r;

		if (nb_nf_tx_prepare(&q->dp->tx, iov + 1) < 0) {
			/* Like netif_tx_stop_queue(): the TAP queues (and drops) meanwhile. */
			nf_tap_interest(q, false);
			break;
		}
		r = readv(q->tap_fd, iov, (int)NB_NF_TX_MAX_SLOTS + 1);
		if (r < 0) {
			int err = -errno;

			if (err == -EINTR)
				continue;
			if (err == -EAGAIN)
				break;
			/* The TAP is broken (deleted under us): a level-triggered fd would
			 * wake us for ever, so this vif goes down and is rebuilt on reset. */
			nf_vif_fatal(vif, err, "reading TAP device");
			return;
		}
		if (r == 0)
			break;
		if (r <= (ssize_t)sizeof(h)) {
			vif->st.tx_errors++;
			continue;
		}
		r -= (ssize_t)sizeof(h);
		/* Only what TUNSETOFFLOAD allowed can come: the backend takes all of it. */
		if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			flags |= NETTXF_csum_blank | NETTXF_data_validated;
		else if (h.flags & VIRTIO_NET_HDR_F_DATA_VALID)
			flags |= NETTXF_data_validated;
		switch (h.gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN) {
		case VIRTIO_NET_HDR_GSO_NONE:
			break;
		case VIRTIO_NET_HDR_GSO_TCPV4:
			gso = XEN_NETIF_GSO_TYPE_TCPV4;
			break;
		case VIRTIO_NET_HDR_GSO_TCPV6:
			gso = XEN_NETIF_GSO_TYPE_TCPV6;
			break;
		default:
			vif->st.tx_errors++;
			continue;
		}
		if (nb_nf_tx_commit_ex(&q->dp->tx, (size_t)r, flags, gso, h.gso_size) < 0) {
			/* Only a frame filling all 16 pages, i.e. longer than 65535 bytes. */
			vif->st.tx_errors++;
			continue;
		}
		vif->st.tx_packets++;
		sent++;
	}
	if (sent && nb_nf_tx_push(&q->dp->tx))
		nf_notify(vif, q->tx_port);
}

static void
nf_q_rx(struct nf_q *q)
{
	struct nf_vif *vif = q->vif;
	bool more = false;
	int n;

	if (!q->dp)
		return;
	n = nb_nf_rx_poll(&q->dp->rx, NB_NF_BATCH, nf_tap_deliver, q, &vif->st, &more);
	if (n < 0) {
		nf_vif_fatal(vif, n, "bad RX response from backend");
		return;
	}
	/* Without feature-rx-notify the backend polls for posted buffers: no kick. */
	if (nb_nf_rx_push(&q->dp->rx) && !vif->g->no_rx_notify)
		nf_notify(vif, q->rx_port);
	q->rx_more = more;
}

/* The hash configuration we ask for: Toeplitz on every type, with the well-known RSS key. */
static const uint8_t nf_rss_key[NB_HASH_KEY_MAX] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* After Connected: asks the backend for Toeplitz hashing over the control ring. */
static void
nf_vif_ctrl_start(struct nf_vif *vif)
{
	const struct {
		uint16_t type;
		uint32_t d0, d1;
	} reqs[] = {
		{ XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM, XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ,
		  0 },
		{ XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS, NB_HASH_TYPES_ALL, 0 },
		{ XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, vif->dp->key_ref, NB_HASH_KEY_MAX },
	};
	struct nf_dp *dp = vif->dp;
	int notify;

	memcpy(dp->key_page, nf_rss_key, sizeof(nf_rss_key));
	for (unsigned int i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		struct xen_netif_ctrl_request *r =
			RING_GET_REQUEST(&dp->ctrl, dp->ctrl.req_prod_pvt);

		memset(r, 0, sizeof(*r));
		r->id = (uint16_t)i;
		r->type = reqs[i].type;
		r->data[0] = reqs[i].d0;
		r->data[1] = reqs[i].d1;
		dp->ctrl.req_prod_pvt++;
	}
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&dp->ctrl, notify);
	if (notify)
		nf_notify(vif, vif->ctrl_port);
}

/* Control-ring responses: counted by status; a wild producer disconnects the vif. */
static void
nf_vif_ctrl_rsp(struct nf_vif *vif)
{
	struct nf_dp *dp = vif->dp;
	RING_IDX prod, cons;
	int more;

	do {
		prod = NB_READ_ONCE(dp->ctrl.sring->rsp_prod);
		xen_rmb();
		if (prod - dp->ctrl.rsp_cons > dp->ctrl.req_prod_pvt - dp->ctrl.rsp_cons) {
			nf_vif_fatal(vif, -EPROTO, "bad control-ring response from backend");
			return;
		}
		for (cons = dp->ctrl.rsp_cons; cons != prod; cons++) {
			struct xen_netif_ctrl_response rsp;

			RING_COPY_RESPONSE(&dp->ctrl, cons, &rsp);
			if (rsp.status == XEN_NETIF_CTRL_STATUS_SUCCESS)
				vif->st.ctrl_ok++;
			else
				vif->st.ctrl_err++;
		}
		dp->ctrl.rsp_cons = cons;
		RING_FINAL_CHECK_FOR_RESPONSES(&dp->ctrl, more);
	} while (more);
}

/*
 * Multicast control: brings the backend's filter in line with the link-layer multicast
 * addresses the guest kernel has on the TAP (/proc/net/dev_mcast of our namespace), with one
 * ADD or DEL request per difference, as a Windows PV frontend does on a filter change.
 */
static void
nf_vif_mcast_sync(struct nf_vif *vif)
{
	uint8_t want[NB_NF_MCAST_MAX][6];
	unsigned int n_want = 0, i, j;
	char line[256];
	bool sent = false;
	FILE *f = fopen("/proc/net/dev_mcast", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && n_want < NB_NF_MCAST_MAX) {
		char ifname[IFNAMSIZ + 1], hex[40];
		unsigned int idx, users, global;

		if (sscanf(line, "%u %16s %u %u %39s", &idx, ifname, &users, &global, hex) != 5 ||
		    strcmp(ifname, vif->ifname) || strlen(hex) != 12)
			continue;
		for (i = 0; i < 6; i++) {
			char b[3] = { hex[2 * i], hex[2 * i + 1], '\0' };

			want[n_want][i] = (uint8_t)strtoul(b, NULL, 16);
		}
		n_want++;
	}
	fclose(f);
	/* Deletions first, then additions, so a full filter can make room. */
	for (i = 0; i < vif->n_mcast_sent;) {
		for (j = 0; j < n_want && memcmp(want[j], vif->mcast_sent[i], 6); j++)
			;
		if (j < n_want || nb_nf_tx_mcast(&vif->dp->tx, false, vif->mcast_sent[i])) {
			i++;
			continue;
		}
		sent = true;
		memmove(vif->mcast_sent[i], vif->mcast_sent[i + 1],
			(vif->n_mcast_sent - i - 1) * 6u);
		vif->n_mcast_sent--;
	}
	for (j = 0; j < n_want; j++) {
		for (i = 0; i < vif->n_mcast_sent && memcmp(want[j], vif->mcast_sent[i], 6); i++)
			;
		if (i < vif->n_mcast_sent || vif->n_mcast_sent >= NB_NF_MCAST_MAX ||
		    nb_nf_tx_mcast(&vif->dp->tx, true, want[j]))
			continue;
		memcpy(vif->mcast_sent[vif->n_mcast_sent++], want[j], 6);
		sent = true;
	}
	if (sent && nb_nf_tx_push(&vif->dp->tx))
		nf_notify(vif, vif->q[0].tx_port);
}

static void
nf_on_tap(struct nb_nf_poll *p, uint32_t events)
{
	struct nf_q *q = NF_CONTAINER_OF(p, struct nf_q, tap_poll);

	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		nf_q_tx(q);
}

/* ---- connect (talk_to_netback()) ------------------------------------------------------- */

static int
nf_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int i;

	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		char hex[3] = { s[3 * i], s[3 * i + 1], '\0' };
		char *end;

		if (i < 5 && s[3 * i + 2] != ':')
			return -EINVAL;
		if (!((hex[0] >= '0' && hex[0] <= '9') || (hex[0] >= 'a' && hex[0] <= 'f') ||
		      (hex[0] >= 'A' && hex[0] <= 'F')))
			return -EINVAL;
		mac[i] = (uint8_t)strtoul(hex, &end, 16);
		if (*end)
			return -EINVAL;
	}
	/* A TAP refuses multicast and all-zero addresses (is_valid_ether_addr()). */
	if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return -EINVAL;
	return 0;
}

/* Writes the ring refs, ports and features in one transaction, retried on conflict. */
static int
nf_write_keys(struct nf_vif *vif)
{
	struct nb_nf_guest *g = vif->g;
	struct {
		char key[48];
		const char *val; /* NULL: remove */
	} keys[64] = { { { 0 }, NULL } };
	char vals[NB_NF_MAX_QUEUES][4][16], nq[16], ctrl_ref[16], ctrl_ev[16];
	unsigned int n_keys = 0;
	int tries;
#define NF_KEY(k, v)                                                                               \
	do {                                                                                       \
		snprintf(keys[n_keys].key, sizeof(keys[n_keys].key), "%s", (k));                   \
		keys[n_keys++].val = (v);                                                          \
	} while (0)

	/* One queue: its keys at the top (and no queue-0/); more: under queue-N/ (netif.h). */
	for (unsigned int i = 0; i < vif->n_queues; i++) {
		const struct nf_q *q = &vif->q[i];
		char pre[16] = "";

		if (vif->n_queues > 1)
			snprintf(pre, sizeof(pre), "queue-%u/", i);
		snprintf(vals[i][0], sizeof(vals[i][0]), "%u", q->dp->ring_ref[0]);
		snprintf(vals[i][1], sizeof(vals[i][1]), "%u", q->dp->ring_ref[1]);
		snprintf(vals[i][2], sizeof(vals[i][2]), "%u", q->tx_port);
		snprintf(vals[i][3], sizeof(vals[i][3]), "%u", q->rx_port);
		for (unsigned int k = 0; k < 5; k++) {
			static const char *const names[] = { "tx-ring-ref", "rx-ring-ref",
							     "event-channel", "event-channel-tx",
							     "event-channel-rx" };
			const char *v = k < 2	     ? vals[i][k]
					: k == 2     ? (vif->split ? NULL : vals[i][2])
					: vif->split ? vals[i][k - 1]
						     : NULL;
			char name[48];

			snprintf(name, sizeof(name), "%s%s", pre, names[k]);
			NF_KEY(name, v);
		}
	}
	if (vif->n_queues > 1)
		for (unsigned int k = 0; k < 5; k++) {
			static const char *const names[] = { "tx-ring-ref", "rx-ring-ref",
							     "event-channel", "event-channel-tx",
							     "event-channel-rx" };

			NF_KEY(names[k], NULL);
		}
	snprintf(nq, sizeof(nq), "%u", vif->n_queues);
	snprintf(ctrl_ref, sizeof(ctrl_ref), "%u", vif->hash ? vif->dp->ctrl_ref : 0);
	snprintf(ctrl_ev, sizeof(ctrl_ev), "%u", vif->ctrl_port);
	NF_KEY("multi-queue-num-queues", vif->be_max_queues ? nq : NULL);
	NF_KEY("request-rx-copy", "1");
	NF_KEY("feature-rx-notify", vif->g->no_rx_notify ? NULL : "1");
	NF_KEY("feature-sg", "1");
	/* Offloads we take on RX: partial checksums and GSO, into the TAP. */
	NF_KEY("feature-no-csum-offload", vif->offloads ? NULL : "1");
	NF_KEY("feature-ipv6-csum-offload", vif->offloads ? "1" : NULL);
	NF_KEY("feature-gso-tcpv4", vif->offloads ? "1" : NULL);
	NF_KEY("feature-gso-tcpv6", vif->offloads ? "1" : NULL);
	NF_KEY("request-multicast-control", vif->mcast ? "1" : NULL);
	NF_KEY("ctrl-ring-ref", vif->hash ? ctrl_ref : NULL);
	NF_KEY("event-channel-ctrl", vif->hash ? ctrl_ev : NULL);
#undef NF_KEY
	for (tries = 0; tries < NF_TX_RETRIES; tries++) {
		xs_transaction_t t = xs_transaction_start(g->xs);
		unsigned int i;
		int err = 0;

		if (t == XBT_NULL)
			return -errno;
		for (i = 0; i < n_keys && !err; i++) {
			char path[NF_PATH_MAX + 64];

			snprintf(path, sizeof(path), "%s/%.47s", vif->fe_path, keys[i].key);
			if (keys[i].val) {
				if (!xs_write(g->xs, t, path, keys[i].val,
					      (unsigned int)strlen(keys[i].val)))
					err = -errno;
			} else if (!xs_rm(g->xs, t, path) && errno != ENOENT) {
				err = -errno;
			}
		}
		if (err) {
			xs_transaction_end(g->xs, t, true);
			return err;
		}
		if (xs_transaction_end(g->xs, t, false))
			return 0;
		if (errno != EAGAIN)
			return -errno;
	}
	return -EAGAIN;
}

/* Returns 0 when connected, -ENODEV when the backend is refused (no state change). */
static int
nf_vif_connect(struct nf_vif *vif)
{
	struct nb_nf_guest *g = vif->g;
	struct epoll_event ev = { .events = EPOLLIN };
	char buf[NF_VALUE_MAX];
	unsigned long mtu;
	int err, port;

	if (!nf_xs_flag(g, vif->be_path, "feature-rx-copy")) {
		nf_log("vif %u: backend does not support copying receive path", vif->devid);
		return -ENODEV;
	}
	vif->split = nf_xs_flag(g, vif->be_path, "feature-split-event-channels");
	vif->offloads = !g->no_offloads;
	vif->hash = g->hash && nf_xs_flag(g, vif->be_path, "feature-ctrl-ring");
	vif->mcast = g->mcast && nf_xs_flag(g, vif->be_path, "feature-multicast-control");
	vif->n_mcast_sent = 0;
	vif->tun_offloads = 0;
	/* TUN_F_CSUM covers IPv4 and IPv6 alike, so it needs the backend's IPv6 offload. */
	if (vif->offloads && nf_xs_flag(g, vif->be_path, "feature-ipv6-csum-offload")) {
		vif->tun_offloads = TUN_F_CSUM;
		if (nf_xs_flag(g, vif->be_path, "feature-gso-tcpv4"))
			vif->tun_offloads |= TUN_F_TSO4;
		if (nf_xs_flag(g, vif->be_path, "feature-gso-tcpv6"))
			vif->tun_offloads |= TUN_F_TSO6;
	}
	err = nf_xs_read(g, vif->fe_path, "mac", buf, sizeof(buf));
	if (!err)
		err = nf_parse_mac(buf, vif->mac);
	if (err) {
		nf_vif_fatal(vif, err, "parsing mac");
		return err;
	}
	vif->mtu = NF_MTU_DEFAULT;
	err = nf_xs_read_uint(g, vif->fe_path, "mtu", NF_MTU_MAX, &mtu);
	if (!err && mtu >= NF_MTU_MIN)
		vif->mtu = (unsigned int)mtu;
	else if (err != -ENOENT)
		nf_log("vif %u: ignoring invalid mtu, using %u", vif->devid, NF_MTU_DEFAULT);

	/* Queues: as many as asked for (nb-netfront.queues=N), at most what the backend offers
	 * in multi-queue-max-queues (1 if it offers nothing), as xennet_create_queues(). */
	vif->be_max_queues = 0;
	if (!nf_xs_read_uint(g, vif->be_path, "multi-queue-max-queues", NB_NF_MAX_QUEUES * 1000ul,
			     &mtu) &&
	    mtu >= 1)
		vif->be_max_queues = (unsigned int)mtu;
	vif->n_queues = g->queues ? g->queues : 1;
	if (vif->n_queues > (vif->be_max_queues ? vif->be_max_queues : 1))
		vif->n_queues = vif->be_max_queues ? vif->be_max_queues : 1;
	if (vif->n_queues > NB_NF_MAX_QUEUES)
		vif->n_queues = NB_NF_MAX_QUEUES;
	for (unsigned int i = 0; i < vif->n_queues; i++) {
		struct nf_q *q = &vif->q[i];

		err = nf_dp_alloc(vif, &q->dp, i == 0 && vif->hash);
		if (err) {
			nf_vif_fatal(vif, err, "allocating rings");
			return err;
		}
		port = nb_sim_evtchn_alloc_unbound(g->evt, vif->be_domid);
		if (port < 0) {
			nf_vif_fatal(vif, port, "allocating event channel");
			return port;
		}
		q->tx_port = q->rx_port = (uint32_t)port;
		if (vif->split) {
			port = nb_sim_evtchn_alloc_unbound(g->evt, vif->be_domid);
			if (port < 0) {
				nf_vif_fatal(vif, port, "allocating event channel");
				return port;
			}
			q->rx_port = (uint32_t)port;
		}
	}
	vif->dp = vif->q[0].dp;
	if (vif->hash) {
		port = nb_sim_evtchn_alloc_unbound(g->evt, vif->be_domid);
		if (port < 0) {
			nf_vif_fatal(vif, port, "allocating event channel");
			return port;
		}
		vif->ctrl_port = (uint32_t)port;
	}
	err = nf_tap_open(vif);
	if (err) {
		nf_vif_fatal(vif, err, "creating TAP device");
		return err;
	}
	for (unsigned int i = 0; i < vif->n_queues; i++) {
		ev.data.ptr = &vif->q[i].tap_poll;
		if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, vif->q[i].tap_fd, &ev) < 0) {
			err = -errno;
			nf_vif_fatal(vif, err, "polling TAP device");
			return err;
		}
		nb_nf_rx_push(&vif->q[i].dp->rx);
	}
	err = nf_write_keys(vif);
	if (err) {
		nf_vif_fatal(vif, err, "writing ring references");
		return err;
	}
	err = nf_switch_state(vif, XenbusStateConnected);
	if (err) {
		nf_vif_fatal(vif, err, "switching to Connected");
		return err;
	}
	if (vif->hash)
		nf_vif_ctrl_start(vif);
	nf_log("vif %u: %s connected to %s (domain %u), %u queue%s, %s event channels, mtu %u",
	       vif->devid, vif->ifname, vif->be_path, vif->be_domid, vif->n_queues,
	       vif->n_queues == 1 ? "" : "s", vif->split ? "split" : "shared", vif->mtu);
	nf_apply_ip(vif);
	return 0;
}

/* ---- state machine (netback_changed()) ------------------------------------------------ */

/* xenbus_frontend_closed() and the data path with it. */
static void
nf_vif_closed(struct nf_vif *vif)
{
	nf_vif_teardown(vif);
	nf_switch_state(vif, XenbusStateClosed);
}

/* Initialising again so that a backend which went away can connect us anew. */
static void
nf_vif_reset(struct nf_vif *vif)
{
	uint64_t now = nf_now_ms();

	if (vif->last_reset_ms && now - vif->last_reset_ms < NF_RESET_INTERVAL_MS) {
		vif->reset_wanted = true;
		return;
	}
	vif->reset_wanted = false;
	vif->last_reset_ms = now;
	if (nf_switch_state(vif, XenbusStateInitialising) == 0)
		nf_vif_step(vif);
}

static void
nf_vif_step(struct nf_vif *vif)
{
	struct nb_nf_guest *g = vif->g;
	int be = nf_xs_state(g, vif->be_path);

	if (be != vif->be_state)
		nf_log("vif %u: backend %s", vif->devid, nf_state_name(be));
	vif->be_state = be;
	switch (be) {
	case XenbusStateInitWait:
		if (vif->state == XenbusStateInitialising)
			nf_vif_connect(vif);
		break;
	case XenbusStateConnected:
		/* Kicks sent before the backend bound its ports were lost; repeat them once. */
		if (vif->state == XenbusStateConnected && vif->dp && !vif->kicked) {
			vif->kicked = true;
			for (unsigned int i = 0; i < vif->n_queues; i++) {
				nf_notify(vif, vif->q[i].tx_port);
				if (vif->q[i].rx_port != vif->q[i].tx_port)
					nf_notify(vif, vif->q[i].rx_port);
			}
		} else if (vif->state == XenbusStateClosed) {
			/* Left over from a previous run of this guest: walk it down
			 * (xenbus_reset_frontend()). */
			nf_switch_state(vif, XenbusStateClosing);
		}
		break;
	case XenbusStateClosed: {
		unsigned long online = 0;

		/* Missed the backend's Closing. (Initialising is left alone: after a reset it
		 * waits for the backend to come back.) */
		if (vif->state == XenbusStateConnected || vif->state == XenbusStateClosing)
			nf_vif_closed(vif);
		/* The toolstack keeps the device (online = 1, as xenbus_dev_is_online() reads
		 * it): start over, like xenbus_reset_frontend(). */
		if (vif->state == XenbusStateClosed &&
		    !nf_xs_read_uint(g, vif->be_path, "online", 1, &online) && online)
			nf_vif_reset(vif);
		break;
	}
	case XenbusStateClosing:
		if (vif->state != XenbusStateClosed)
			nf_vif_closed(vif);
		break;
	default:
		break;
	}
}

static bool
nf_path_ok(const char *p)
{
	size_t i, n = strlen(p);

	if (n < 2 || n >= NF_PATH_MAX - 16 || p[0] != '/')
		return false;
	for (i = 0; i < n; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '/' || c == '_' || c == '@'))
			return false;
	}
	return true;
}

/* Learns where the backend is and watches its state; retried on the next event if the
 * toolstack has not written the keys yet. */
static int
nf_vif_probe(struct nf_vif *vif)
{
	struct nb_nf_guest *g = vif->g;
	unsigned long domid;
	int err, fe;

	err = nf_xs_read(g, vif->fe_path, "backend", vif->be_path, sizeof(vif->be_path));
	if (err)
		return err;
	if (!nf_path_ok(vif->be_path))
		return -EINVAL;
	err = nf_xs_read_uint(g, vif->fe_path, "backend-id", NF_DOMID_MAX, &domid);
	if (err)
		return err;
	vif->be_domid = (unsigned int)domid;
	snprintf(vif->be_state_path, sizeof(vif->be_state_path), "%s/state", vif->be_path);
	if (!xs_watch(g->xs, vif->be_state_path, vif->token))
		return -errno;
	vif->probed = true;
	fe = nf_xs_state(g, vif->fe_path);
	switch (fe) {
	case XenbusStateConnected:
	case XenbusStateClosing:
	case XenbusStateClosed:
		/* A previous run left this state: walk it back down as xenbus_reset_frontend()
		 * does; nf_vif_step() follows the backend from here. */
		vif->state = fe;
		if (fe == XenbusStateConnected) {
			nf_switch_state(vif, XenbusStateClosing);
		} else if (fe == XenbusStateClosed) {
			int be = nf_xs_state(g, vif->be_path);
			unsigned long online = 0;

			/* A backend that is not closing waits for us: nothing to walk down. */
			if ((be == XenbusStateInitialising || be == XenbusStateInitWait) &&
			    !nf_xs_read_uint(g, vif->be_path, "online", 1, &online) && online)
				nf_switch_state(vif, XenbusStateInitialising);
		}
		break;
	default:
		vif->state = XenbusStateInitialising;
		break;
	}
	nf_log("vif %u: backend %s (domain %u), frontend %s", vif->devid, vif->be_path,
	       vif->be_domid, nf_state_name(vif->state));
	return 0;
}

static struct nf_vif *
nf_vif_find(struct nb_nf_guest *g, unsigned int devid)
{
	unsigned int i;

	for (i = 0; i < NB_NF_MAX_VIFS; i++)
		if (g->vifs[i] && g->vifs[i]->devid == devid)
			return g->vifs[i];
	return NULL;
}

static struct nf_vif *
nf_vif_new(struct nb_nf_guest *g, unsigned int devid)
{
	struct nf_vif *vif;
	unsigned int i;

	for (i = 0; i < NB_NF_MAX_VIFS && g->vifs[i]; i++)
		;
	if (i == NB_NF_MAX_VIFS) {
		if (!g->warned_full)
			nf_log("vif %u: ignored, already serving %u vifs", devid, NB_NF_MAX_VIFS);
		g->warned_full = true;
		return NULL;
	}
	vif = calloc(1, sizeof(*vif));
	if (!vif)
		return NULL;
	vif->g = g;
	vif->devid = devid;
	for (unsigned int i = 0; i < NB_NF_MAX_QUEUES; i++) {
		vif->q[i].vif = vif;
		vif->q[i].id = i;
		vif->q[i].tap_fd = -1;
		vif->q[i].tap_poll.fn = nf_on_tap;
	}
	vif->state = XenbusStateInitialising;
	vif->be_state = -1;
	snprintf(vif->fe_path, sizeof(vif->fe_path), "%s/%u", g->vif_dir, devid);
	snprintf(vif->token, sizeof(vif->token), "be:%u", devid);
	snprintf(vif->ifname, sizeof(vif->ifname), "eth%u", devid);
	g->vifs[i] = vif;
	return vif;
}

/*
 * The device directory is gone (xl network-detach, domain teardown): nothing to write. The
 * memory is kept until nb_nf_guest_run(), since events of the current epoll batch may still
 * point at its TAP poll entry.
 */
static void
nf_vif_retire(struct nf_vif *vif)
{
	struct nb_nf_guest *g = vif->g;
	unsigned int i;

	nf_vif_teardown(vif);
	if (vif->probed)
		xs_unwatch(g->xs, vif->be_state_path, vif->token);
	vif->probed = false;
	for (i = 0; i < NB_NF_MAX_VIFS; i++)
		if (g->vifs[i] == vif)
			g->vifs[i] = NULL;
	vif->next_retired = g->retired;
	g->retired = vif;
}

static void
nf_free_retired(struct nb_nf_guest *g)
{
	while (g->retired) {
		struct nf_vif *vif = g->retired;

		g->retired = vif->next_retired;
		free(vif);
	}
}

/* "0".."999999999" without leading zeros: eth<devid> must fit IFNAMSIZ. */
static int
nf_parse_devid(const char *s, unsigned int *devidp)
{
	unsigned long v;

	if ((s[0] == '0' && s[1]) || strlen(s) > 9 || nf_parse_uint(s, 999999999ul, &v))
		return -EINVAL;
	*devidp = (unsigned int)v;
	return 0;
}

static void
nf_scan(struct nb_nf_guest *g)
{
	unsigned int i, num = 0;
	char **dir;

	for (i = 0; i < NB_NF_MAX_VIFS; i++)
		if (g->vifs[i])
			g->vifs[i]->present = false;
	dir = xs_directory(g->xs, XBT_NULL, g->vif_dir, &num);
	for (i = 0; dir && i < num; i++) {
		struct nf_vif *vif;
		unsigned int devid;

		if (nf_parse_devid(dir[i], &devid))
			continue;
		vif = nf_vif_find(g, devid);
		if (!vif) {
			vif = nf_vif_new(g, devid);
			if (!vif)
				continue;
			nf_log("vif %u: appeared", devid);
		}
		vif->present = true;
	}
	free(dir);
	for (i = 0; i < NB_NF_MAX_VIFS; i++) {
		struct nf_vif *vif = g->vifs[i];

		if (!vif)
			continue;
		if (!vif->present) {
			nf_log("vif %u: gone", vif->devid);
			nf_vif_retire(vif);
			continue;
		}
		if (!vif->probed && nf_vif_probe(vif) == 0)
			vif->be_dirty = true;
	}
}

static void
nf_on_xs(struct nb_nf_poll *p, uint32_t events)
{
	struct nb_nf_guest *g = NF_CONTAINER_OF(p, struct nb_nf_guest, xs_poll);
	bool rescan = false;
	unsigned int i, n;
	char **w;

	(void)events;
	for (n = 0; n < NF_WATCHES_PER_WAKEUP && (w = xs_check_watch(g->xs)); n++) {
		const char *token = w[XS_WATCH_TOKEN];
		unsigned int devid;

		if (!strcmp(token, "vifs")) {
			rescan = true;
		} else if (!strncmp(token, "be:", 3) && !nf_parse_devid(token + 3, &devid)) {
			struct nf_vif *vif = nf_vif_find(g, devid);

			if (vif)
				vif->be_dirty = true;
		}
		free(w);
	}
	if (rescan)
		nf_scan(g);
	for (i = 0; i < NB_NF_MAX_VIFS; i++) {
		struct nf_vif *vif = g->vifs[i];

		if (vif && vif->probed && vif->be_dirty) {
			vif->be_dirty = false;
			nf_vif_step(vif);
		}
	}
}

static struct nf_vif *
nf_vif_by_port(struct nb_nf_guest *g, uint32_t port, struct nf_q **qp)
{
	unsigned int i, k;

	for (i = 0; i < NB_NF_MAX_VIFS; i++) {
		struct nf_vif *vif = g->vifs[i];

		if (!vif || !vif->dp)
			continue;
		*qp = NULL;
		for (k = 0; k < vif->n_queues; k++)
			if (vif->q[k].tx_port == port || vif->q[k].rx_port == port)
				*qp = &vif->q[k];
		if (*qp || (vif->hash && vif->ctrl_port == port))
			return vif;
	}
	return NULL;
}

static void
nf_on_evtchn(struct nb_nf_poll *p, uint32_t events)
{
	struct nb_nf_guest *g = NF_CONTAINER_OF(p, struct nb_nf_guest, evt_poll);
	int n;

	(void)events;
	for (n = 0; n < NF_EVENTS_PER_WAKEUP; n++) {
		int port = nb_sim_evtchn_pending(g->evt);
		struct nf_vif *vif;
		struct nf_q *q = NULL;

		if (port < 0)
			break;
		vif = nf_vif_by_port(g, (uint32_t)port, &q);
		if (!vif)
			continue;
		if (q && (uint32_t)port == q->tx_port)
			nf_q_tx_gc(q);
		if (q && q->dp && (uint32_t)port == q->rx_port)
			nf_q_rx(q);
		if (vif->dp && vif->hash && (uint32_t)port == vif->ctrl_port)
			nf_vif_ctrl_rsp(vif);
		/* A port closed by a teardown above is no longer ours to unmask. */
		if (vif->dp)
			nb_sim_evtchn_unmask(g->evt, (uint32_t)port);
	}
}

/* Grants left by an earlier run of this guest: ended now, or kept (with their frames) while
 * a backend still uses them, so that nothing in use is handed out again. */
static void
nf_reclaim_grants(struct nb_nf_guest *g)
{
	uint32_t ref;

	for (ref = NF_RESERVED_REFS; ref < g->dom->n_entries; ref++) {
		uint16_t flags = NB_READ_ONCE(g->dom->gnt[ref].flags);
		uint64_t gfn = NB_READ_ONCE(g->dom->gnt[ref].frame);

		if (!(flags & GTF_type_mask))
			continue;
		if (nb_sim_guest_end_access(g->sg, ref) != -EBUSY)
			continue;
		idalloc_set(&g->refs, ref);
		g->refs.n_free--;
		if (gfn >= NF_RESERVED_GFNS && gfn < g->gfns.n && !idalloc_test(&g->gfns, gfn)) {
			idalloc_set(&g->gfns, gfn);
			g->gfns.n_free--;
		} else {
			gfn = NF_NO_GFN;
		}
		nf_defer(g, ref, gfn);
	}
	if (g->n_deferred)
		nf_log("%zu grants of an earlier run still in use by a backend", g->n_deferred);
}

/* ---- public ------------------------------------------------------------------------- */

int
nb_nf_guest_open(struct nb_nf_guest **gp, const struct nb_nf_guest_cfg *cfg)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct nb_nf_guest *g;
	int err, fd;

	if (!gp || !cfg || !cfg->rundir || !cfg->xs || cfg->epfd < 0 || !cfg->domid)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->domid = cfg->domid;
	g->xs = cfg->xs;
	g->epfd = cfg->epfd;
	if (cfg->ipcfg)
		g->ipcfg = *cfg->ipcfg;
	g->no_offloads = cfg->no_offloads;
	g->hash = cfg->hash;
	g->no_rx_notify = cfg->no_rx_notify;
	g->mcast = cfg->mcast;
	g->queues = cfg->queues;
	g->xs_poll.fn = nf_on_xs;
	g->evt_poll.fn = nf_on_evtchn;
	snprintf(g->home, sizeof(g->home), "/local/domain/%u", cfg->domid);
	snprintf(g->vif_dir, sizeof(g->vif_dir), "%s/device/vif", g->home);

	snprintf(g->rundir, sizeof(g->rundir), "%s", cfg->rundir);
	err = nb_sim_guest_attach(&g->sg, cfg->rundir, cfg->domid);
	if (err)
		goto fail;
	g->dom = nb_sim_guest_dom(g->sg);
	err = nb_nf_idalloc_init(&g->gfns, g->dom->n_pages, NF_RESERVED_GFNS);
	if (!err)
		err = nb_nf_idalloc_init(&g->refs, g->dom->n_entries, NF_RESERVED_REFS);
	if (err)
		goto fail;
	nf_reclaim_grants(g);
	err = nb_sim_evtchn_open(&g->evt, cfg->rundir, cfg->domid);
	if (err)
		goto fail;
	ev.data.ptr = &g->evt_poll;
	if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, nb_sim_evtchn_fd(g->evt), &ev) < 0) {
		err = -errno;
		goto fail;
	}
	fd = xs_fileno(g->xs);
	if (fd < 0) {
		err = -EIO;
		goto fail;
	}
	ev.data.ptr = &g->xs_poll;
	if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		err = -errno;
		goto fail;
	}
	/* Fires once at once: the first scan happens in the loop. */
	if (!xs_watch(g->xs, g->vif_dir, "vifs")) {
		err = errno ? -errno : -EIO;
		goto fail;
	}
	g->watching = true;
	*gp = g;
	return 0;
fail:
	nb_nf_guest_close(g);
	return err;
}

void
nb_nf_guest_close(struct nb_nf_guest *g)
{
	unsigned int i;
	int fd;

	if (!g)
		return;
	for (i = 0; i < NB_NF_MAX_VIFS; i++)
		if (g->vifs[i])
			nf_vif_retire(g->vifs[i]);
	nf_free_retired(g);
	if (g->watching)
		xs_unwatch(g->xs, g->vif_dir, "vifs");
	if (g->xs) {
		fd = xs_fileno(g->xs);
		if (fd >= 0)
			epoll_ctl(g->epfd, EPOLL_CTL_DEL, fd, NULL);
	}
	if (g->evt) {
		epoll_ctl(g->epfd, EPOLL_CTL_DEL, nb_sim_evtchn_fd(g->evt), NULL);
		nb_sim_evtchn_close(g->evt);
	}
	if (g->sg && g->n_deferred)
		nf_release_deferred(g);
	nb_sim_guest_detach(g->sg);
	nb_nf_idalloc_fini(&g->gfns);
	nb_nf_idalloc_fini(&g->refs);
	free(g->deferred);
	free(g);
}

bool
nb_nf_guest_busy(const struct nb_nf_guest *g)
{
	unsigned int i;

	for (i = 0; i < NB_NF_MAX_VIFS; i++)
		for (unsigned int k = 0; g->vifs[i] && k < g->vifs[i]->n_queues; k++)
			if (g->vifs[i]->q[k].rx_more)
				return true;
	return false;
}

void
nb_nf_guest_run(struct nb_nf_guest *g)
{
	unsigned int i;

	nf_free_retired(g);

	for (i = 0; i < NB_NF_MAX_VIFS; i++) {
		struct nf_vif *vif = g->vifs[i];

		for (unsigned int k = 0; vif && k < vif->n_queues; k++)
			if (vif->q[k].rx_more)
				nf_q_rx(&vif->q[k]);
	}
}

static void
nf_publish_stats(struct nf_vif *vif)
{
	const struct {
		const char *name;
		uint64_t now, then;
	} c[] = {
		{ "tx_packets", vif->st.tx_packets, vif->published.tx_packets },
		{ "rx_packets", vif->st.rx_packets, vif->published.rx_packets },
		{ "tx_errors", vif->st.tx_errors, vif->published.tx_errors },
		{ "rx_errors", vif->st.rx_errors, vif->published.rx_errors },
		{ "drops", vif->st.drops, vif->published.drops },
		{ "ctrl_ok", vif->st.ctrl_ok, vif->published.ctrl_ok },
		{ "ctrl_err", vif->st.ctrl_err, vif->published.ctrl_err },
		{ "rx_hash_ok", vif->st.rx_hash_ok, vif->published.rx_hash_ok },
		{ "rx_hash_bad", vif->st.rx_hash_bad, vif->published.rx_hash_bad },
	};
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char path[NF_PATH_MAX], val[24];

		if (vif->ever_published && c[i].now == c[i].then)
			continue;
		snprintf(path, sizeof(path), "%s/data/nb-guest/%u/%s", vif->g->home, vif->devid,
			 c[i].name);
		snprintf(val, sizeof(val), "%llu", (unsigned long long)c[i].now);
		if (!xs_write(vif->g->xs, XBT_NULL, path, val, (unsigned int)strlen(val)))
			return;
	}
	vif->published = vif->st;
	vif->ever_published = true;
}

void
nb_nf_guest_tick(struct nb_nf_guest *g)
{
	unsigned int i;

	if (g->n_deferred)
		nf_release_deferred(g);
	for (i = 0; i < NB_NF_MAX_VIFS; i++) {
		struct nf_vif *vif = g->vifs[i];

		if (!vif || !vif->probed)
			continue;
		if (vif->dp && vif->hash)
			nf_vif_ctrl_rsp(vif); /* in case an event was missed */
		if (vif->dp && vif->mcast)
			nf_vif_mcast_sync(vif);
		nf_publish_stats(vif);
		if (vif->reset_wanted && vif->state == XenbusStateClosed)
			nf_vif_reset(vif);
	}
}

void
nb_nf_guest_dump(const struct nb_nf_guest *g, FILE *f)
{
	unsigned int i, n = 0;

	for (i = 0; i < NB_NF_MAX_VIFS; i++) {
		const struct nf_vif *vif = g->vifs[i];

		if (!vif)
			continue;
		n++;
		fprintf(f,
			"vif %u %s: frontend %s backend %s tx_packets %llu rx_packets %llu "
			"tx_errors %llu rx_errors %llu drops %llu\n",
			vif->devid, vif->ifname, nf_state_name(vif->state),
			nf_state_name(vif->be_state), (unsigned long long)vif->st.tx_packets,
			(unsigned long long)vif->st.rx_packets,
			(unsigned long long)vif->st.tx_errors,
			(unsigned long long)vif->st.rx_errors, (unsigned long long)vif->st.drops);
	}
	fprintf(f, "%u vif%s, %zu grants waiting for the backend\n", n, n == 1 ? "" : "s",
		g->n_deferred);
	fflush(f);
}

/* Waits until every listed vif's backend is in one of the states of 'mask' (bit per
 * XenbusState), or 'deadline'. Returns true if all are. */
static bool
nf_wait_backends(struct nb_nf_guest *g, const bool *want, unsigned int mask, uint64_t deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = xs_fileno(g->xs), .events = POLLIN };
		bool all = true;
		uint64_t now;
		unsigned int i;
		char **w;

		for (i = 0; i < NB_NF_MAX_VIFS; i++) {
			struct nf_vif *vif = g->vifs[i];
			int be;

			if (!vif || !want[i])
				continue;
			be = nf_xs_state(g, vif->be_path);
			vif->be_state = be;
			if (!(mask & (1u << be)))
				all = false;
		}
		if (all)
			return true;
		now = nf_now_ms();
		if (now >= deadline)
			return false;
		poll(&pfd, 1, (int)(deadline - now));
		/* Only the states matter now; the events just wake us. */
		while ((w = xs_check_watch(g->xs)))
			free(w);
	}
}

int
nb_nf_guest_shutdown(struct nb_nf_guest *g, int timeout_ms)
{
	bool want[NB_NF_MAX_VIFS] = { false };
	uint64_t deadline = nf_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	bool ok = true, any = false;
	unsigned int i;

	for (i = 0; i < NB_NF_MAX_VIFS; i++) {
		struct nf_vif *vif = g->vifs[i];
		int be;

		if (!vif || !vif->probed)
			continue;
		be = nf_xs_state(g, vif->be_path);
		/* xennet_remove(): nothing to say to a backend that is closed or absent. */
		if (be == XenbusStateClosed || be == XenbusStateUnknown)
			continue;
		if (nf_switch_state(vif, XenbusStateClosing) == 0) {
			want[i] = true;
			any = true;
		}
	}
	if (any) {
		ok = nf_wait_backends(g, want,
				      1u << XenbusStateClosing | 1u << XenbusStateClosed |
					      1u << XenbusStateUnknown,
				      deadline);
		for (i = 0; i < NB_NF_MAX_VIFS; i++)
			if (want[i] && nf_switch_state(g->vifs[i], XenbusStateClosed))
				want[i] = false;
		ok = nf_wait_backends(g, want, 1u << XenbusStateClosed | 1u << XenbusStateUnknown,
				      deadline) &&
		     ok;
	}
	for (i = 0; i < NB_NF_MAX_VIFS; i++)
		if (g->vifs[i])
			nf_vif_teardown(g->vifs[i]);
	if (g->n_deferred)
		nf_release_deferred(g);
	return ok ? 0 : -ETIMEDOUT;
}

/* ==== direct data path (nb-bench) ======================================================== */

int
nb_nf_guest_direct(struct nb_nf_guest *g, unsigned int devid, struct nb_nf_direct *d)
{
	struct nf_vif *vif = nf_vif_find(g, devid);

	if (!vif)
		return -ENOENT;
	if (!vif->dp || vif->state != XenbusStateConnected || vif->be_state != XenbusStateConnected)
		return -EAGAIN;
	/* Queue 0 only: nb-bench drives one queue itself (its guests do not ask for more). */
	for (unsigned int i = 0; i < vif->n_queues; i++)
		if (vif->q[i].tap_fd >= 0)
			epoll_ctl(g->epfd, EPOLL_CTL_DEL, vif->q[i].tap_fd, NULL);
	epoll_ctl(g->epfd, EPOLL_CTL_DEL, nb_sim_evtchn_fd(g->evt), NULL);
	memset(d, 0, sizeof(*d));
	d->devid = devid;
	d->tx = &vif->dp->tx;
	d->rx = &vif->dp->rx;
	d->st = &vif->st;
	d->be_domid = vif->be_domid;
	memcpy(d->mac, vif->mac, sizeof(d->mac));
	d->tx_port = vif->q[0].tx_port;
	d->rx_port = vif->q[0].rx_port;
	d->claim = vif->dp;
	return 0;
}

bool
nb_nf_guest_direct_ok(const struct nb_nf_guest *g, const struct nb_nf_direct *d)
{
	unsigned int i;

	for (i = 0; i < NB_NF_MAX_VIFS; i++) {
		const struct nf_vif *vif = g->vifs[i];

		if (vif && vif->devid == d->devid)
			return vif->dp && (const void *)vif->dp == d->claim;
	}
	return false;
}

void
nb_nf_guest_direct_notify(struct nb_nf_guest *g, uint32_t port)
{
	nb_sim_evtchn_notify(g->evt, port);
}

int
nb_nf_guest_grant_pages(struct nb_nf_guest *g, unsigned int domid, bool readonly, size_t n,
			uint8_t **pages, uint32_t *refs, uint64_t *gfns)
{
	size_t i;
	int err = 0;

	for (i = 0; i < n && !err; i++)
		err = nf_page_alloc(g, domid, readonly, &gfns[i], &refs[i], &pages[i]);
	if (err) {
		nb_nf_guest_ungrant_pages(g, i - 1, refs, gfns);
		return err;
	}
	return 0;
}

void
nb_nf_guest_ungrant_pages(struct nb_nf_guest *g, size_t n, const uint32_t *refs,
			  const uint64_t *gfns)
{
	size_t i;

	for (i = 0; i < n; i++)
		nf_release(g, refs[i], gfns[i]);
}

int
nb_nf_tx_queue_ref(struct nb_nf_tx *tx, uint32_t gref, unsigned int offset, size_t size)
{
	uint16_t id;

	if (size == 0 || offset >= NB_XEN_PAGE_SIZE || size > NB_XEN_PAGE_SIZE - offset)
		return -EINVAL;
	if (nb_nf_tx_slots_free(tx) < 1)
		return -ENOSPC;
	id = tx->free_ids[--tx->n_free];
	*RING_GET_REQUEST(&tx->ring, tx->ring.req_prod_pvt) = (struct netif_tx_request){
		.gref = gref,
		.offset = (uint16_t)offset,
		.flags = 0,
		.id = id,
		.size = (uint16_t)size,
	};
	tx->ring.req_prod_pvt++;
	tx->in_flight[id] = true;
	tx->first[id] = true;
	return 1;
}
