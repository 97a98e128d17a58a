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

#include "netback/nb-ring.h"

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

#endif
