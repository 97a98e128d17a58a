/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the guest TX request parser (netback/nb-txreq.c): the input becomes the
 * shared TX ring page and the producer index, as a hostile frontend could write them. The
 * parser is run over the whole ring as netback would, and every invariant the data path relies
 * on is asserted for accepted packets.
 */
#include "netback/nb-private.h"

#include <stdlib.h>
#include <string.h>

static void
check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static union {
		struct netif_tx_sring sring;
		uint8_t page[4096];
	} shared __attribute__((aligned(4096)));
	struct netif_tx_back_ring ring;
	struct nb_tx_pkt pkt;
	RING_IDX prod, start;
	unsigned int guard = 0;

	if (size < 8)
		return 0;
	memset(shared.page, 0, sizeof(shared.page));
	start = (RING_IDX)data[0] << 24 | (RING_IDX)data[1] << 16 | (RING_IDX)data[2] << 8 |
		data[3];
	prod = start + (data[4] | (RING_IDX)data[5] << 8);
	memcpy(shared.page + 64, data + 8, size - 8 < 4096 - 64 ? size - 8 : 4096 - 64);
	BACK_RING_ATTACH(&ring, &shared.sring, start, 4096);

	if (nb_tx_check_prod(&ring, prod) != NB_TX_OK)
		return 0;
	while (guard++ < 1024) {
		enum nb_tx_verdict v = nb_tx_parse(&ring, ring.req_cons, prod, &pkt);
		uint32_t sum = 0;
		unsigned int i;

		if (v == NB_TX_EMPTY || nb_tx_verdict_is_fatal(v))
			break;
		check(pkt.n_consumed > 0);
		check(pkt.n_consumed <= prod - ring.req_cons);
		check(pkt.n_consumed == pkt.n_slots + pkt.n_extras);
		check(pkt.n_slots < NB_TX_FATAL_SLOTS);
		if (v == NB_TX_OK) {
			check(pkt.n_slots <= NB_TX_SLOTS_MAX);
			check(pkt.slots[0].size >= NB_ETH_HLEN);
			for (i = 0; i < pkt.n_slots; i++) {
				check((uint32_t)pkt.slots[i].offset + pkt.slots[i].size <=
				      NB_XEN_PAGE_SIZE);
				sum += pkt.slots[i].size;
			}
			check(sum == pkt.size);
			check(!pkt.has_gso || pkt.gso_size > 0);
		}
		/* Responses free the slots, as the data path does after answering them. */
		ring.req_cons += pkt.n_consumed;
		ring.rsp_prod_pvt = ring.req_cons;
	}
	return 0;
}
