/* SPDX-License-Identifier: MIT */
/*
 * nb-txreq.c - parsing of guest TX requests: walks one packet's slots (first request, extra-info
 * slots, more_data fragments), copying each slot out of the shared ring once and applying the
 * checks of Linux netback's xenvif_tx_build_gops()/xenvif_count_requests() (fact sheet §4.1,
 * §4.4). Pure: no I/O, no allocation, so it is unit-tested and fuzzed directly.
 */
#include "netback/nb-private.h"

#include <string.h>

static const char *const nb_tx_names[] = {
#define NB_TX_NAME_(name, desc) #name,
	NB_TX_REASONS(NB_TX_NAME_)
#undef NB_TX_NAME_
};

static const char *const nb_tx_descs[] = {
#define NB_TX_DESC_(name, desc) desc,
	NB_TX_REASONS(NB_TX_DESC_)
#undef NB_TX_DESC_
};

const char *
nb_tx_verdict_name(enum nb_tx_verdict v)
{
	return (unsigned)v < NB_TX_N_VERDICTS ? nb_tx_names[v] : "UNKNOWN";
}

const char *
nb_tx_verdict_desc(enum nb_tx_verdict v)
{
	return (unsigned)v < NB_TX_N_VERDICTS ? nb_tx_descs[v] : "unknown verdict";
}

enum nb_tx_verdict
nb_tx_check_prod(const struct netif_tx_back_ring *ring, RING_IDX prod)
{
	/* Unanswered requests can never exceed the ring: responses free the slots. */
	if (prod - ring->rsp_prod_pvt > RING_SIZE(ring))
		return NB_TX_FATAL_PROD_OVERFLOW;
	return NB_TX_OK;
}

static void
nb_tx_copy_req(const struct netif_tx_back_ring *ring, RING_IDX idx, struct netif_tx_request *req)
{
	RING_COPY_REQUEST(ring, idx, req);
}

static void
nb_tx_copy_extra(const struct netif_tx_back_ring *ring, RING_IDX idx,
		 struct netif_extra_info *extra)
{
	/* An extra-info descriptor occupies a request slot (same 12-byte entry, 8 used). */
	const volatile struct netif_extra_info *src =
		(const volatile struct netif_extra_info *)RING_GET_REQUEST(ring, idx);

	*extra = *src;
}

enum nb_tx_verdict
nb_tx_parse(const struct netif_tx_back_ring *ring, RING_IDX cons, RING_IDX prod,
	    struct nb_tx_pkt *pkt)
{
	struct netif_extra_info extras[XEN_NETIF_EXTRA_TYPE_MAX - 1];
	struct netif_tx_request first, txp;
	enum nb_tx_verdict drop = NB_TX_OK;
	RING_IDX idx = cons;
	uint32_t remaining;
	bool more;

	pkt->first_idx = cons;
	pkt->n_slots = 0;
	pkt->n_extras = 0;
	pkt->n_consumed = 0;
	pkt->has_gso = false;
	pkt->has_hash = false;
	pkt->mcast_op = 0;
	if (prod == cons)
		return NB_TX_EMPTY;

	nb_tx_copy_req(ring, idx++, &first);
	pkt->first_id = first.id;
	pkt->flags = first.flags & (NETTXF_csum_blank | NETTXF_data_validated);
	pkt->size = first.size;

	memset(extras, 0, sizeof(extras));
	if (first.flags & NETTXF_extra_info) {
		struct netif_extra_info extra;

		do {
			if (idx == prod)
				return NB_TX_FATAL_MISSING_EXTRA;
			nb_tx_copy_extra(ring, idx++, &extra);
			pkt->n_extras++;
			if (extra.type == XEN_NETIF_EXTRA_TYPE_NONE ||
			    extra.type >= XEN_NETIF_EXTRA_TYPE_MAX)
				return NB_TX_FATAL_BAD_EXTRA;
			extras[extra.type - 1] = extra;
		} while (extra.flags & XEN_NETIF_EXTRA_FLAG_MORE);
	}

	/* A multicast filter edit is a dummy request: no data, no fragment chain. */
	if (extras[XEN_NETIF_EXTRA_TYPE_MCAST_ADD - 1].type ||
	    extras[XEN_NETIF_EXTRA_TYPE_MCAST_DEL - 1].type) {
		const struct netif_extra_info *m = &extras[XEN_NETIF_EXTRA_TYPE_MCAST_ADD - 1];

		pkt->mcast_op = 1;
		if (!m->type) {
			m = &extras[XEN_NETIF_EXTRA_TYPE_MCAST_DEL - 1];
			pkt->mcast_op = -1;
		}
		memcpy(pkt->mcast_addr, m->u.mcast.addr, sizeof(pkt->mcast_addr));
		pkt->n_slots = 1;
		pkt->n_consumed = (uint16_t)(idx - cons);
		pkt->slots[0].id = first.id;
		return NB_TX_MCAST_OP;
	}

	pkt->slots[0].gref = first.gref;
	pkt->slots[0].offset = first.offset;
	pkt->slots[0].id = first.id;
	pkt->n_slots = 1;
	remaining = first.size;
	more = first.flags & NETTXF_more_data;
	while (more) {
		if (idx == prod)
			return NB_TX_FATAL_MISSING_SLOT;
		if (pkt->n_slots + 1 >= NB_TX_FATAL_SLOTS)
			return NB_TX_FATAL_MALICIOUS_SLOTS;
		nb_tx_copy_req(ring, idx++, &txp);
		if (!drop && pkt->n_slots >= NB_TX_SLOTS_MAX)
			drop = NB_TX_DROP_TOO_MANY_SLOTS;
		/* Larger than what is left of the announced total: the total wrapped past 64 KiB
		 * or the frontend is buggy. Linux drops rather than disables here. */
		if (!drop && txp.size > remaining)
			drop = NB_TX_DROP_FRAG_TOO_BIG;
		if ((uint32_t)txp.offset + txp.size > NB_XEN_PAGE_SIZE)
			return NB_TX_FATAL_PAGE_CROSSING;
		if (!drop)
			remaining -= txp.size;
		pkt->slots[pkt->n_slots].gref = txp.gref;
		pkt->slots[pkt->n_slots].offset = txp.offset;
		pkt->slots[pkt->n_slots].size = txp.size;
		pkt->slots[pkt->n_slots].id = txp.id;
		pkt->n_slots++;
		more = txp.flags & NETTXF_more_data;
	}
	pkt->n_consumed = (uint16_t)(idx - cons);
	if (drop)
		return drop;

	pkt->slots[0].size = (uint16_t)remaining;
	if (remaining < NB_ETH_HLEN) {
		/* The fragments are consumed with the first request; all get error responses. */
		return NB_TX_DROP_RUNT;
	}
	if ((uint32_t)first.offset + remaining > NB_XEN_PAGE_SIZE)
		return NB_TX_FATAL_PAGE_CROSSING;

	if (extras[XEN_NETIF_EXTRA_TYPE_GSO - 1].type) {
		const struct netif_extra_info *gso = &extras[XEN_NETIF_EXTRA_TYPE_GSO - 1];

		if (gso->u.gso.size == 0)
			return NB_TX_FATAL_GSO_SIZE;
		if (gso->u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
		    gso->u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6)
			return NB_TX_FATAL_GSO_TYPE;
		pkt->has_gso = true;
		pkt->gso_type = gso->u.gso.type;
		pkt->gso_size = gso->u.gso.size;
	}
	if (extras[XEN_NETIF_EXTRA_TYPE_HASH - 1].type) {
		const struct netif_extra_info *h = &extras[XEN_NETIF_EXTRA_TYPE_HASH - 1];

		pkt->has_hash = true;
		pkt->hash_type = h->u.hash.type;
		pkt->hash_value = (uint32_t)h->u.hash.value[0] | (uint32_t)h->u.hash.value[1] << 8 |
				  (uint32_t)h->u.hash.value[2] << 16 |
				  (uint32_t)h->u.hash.value[3] << 24;
	}
	return NB_TX_OK;
}
