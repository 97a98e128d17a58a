/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for a vif's guest-TX consumer, nb_vif_guest_tx() (netback/nb-vif.c), on the
 * fake hypervisor of tests/nb-fake-hv.h. The input is what a hostile frontend controls: the
 * ring indices, every request slot, which data grants fail, and how scarce packet buffers are.
 *
 * Input: [0..3] start index (where the previous backend left the ring), [4..5] producer
 * distance from it, [6] burst size (low 5 bits) and number of passes (high 3), [7] packet
 * buffers held back (to run the pool dry), [8..15] a bit per data grant 0..63 whose copies fail
 * (GNTST_general_error), then the request slots from the start index on.
 *
 * Invariants asserted after every pass: no crash and no copy outside a packet buffer (the fake
 * aborts); every consumed request answered exactly once, in order, with the request's id (NULL
 * with id 0 for extras) and a valid status; responses pushed; each delivered frame 14..65535
 * bytes, its bytes exactly the granted data of its slots; counters consistent with the frames
 * and verdicts; a disabled vif names a fatal reason and consumes nothing more.
 */
#include "tests/nb-fake-hv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_PKTS 64u

static void
check(bool cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz-vif-tx: invariant broken: %s\n", what);
		abort();
	}
}

static struct nbf_hv fake;
static struct pkt_pool *pool;
static struct nb_backend be;
static struct nb_vif vif;

static void
setup_once(void)
{
	if (pool)
		return;
	if (nbf_hv_init(&fake) != 0 || pkt_pool_create(POOL_PKTS, 0, &pool) != 0 ||
	    nbf_hv_add_pool(&fake, pool, POOL_PKTS) != 0) {
		fprintf(stderr, "fuzz-vif-tx: setup: %s\n", fake.why);
		abort();
	}
}

/* Packets answered with errors for their contents (not fatal). */
static uint64_t
drop_verdicts(const struct nb_vif_stats *st)
{
	return st->tx_verdicts[NB_TX_DROP_TOO_MANY_SLOTS] +
	       st->tx_verdicts[NB_TX_DROP_FRAG_TOO_BIG] + st->tx_verdicts[NB_TX_DROP_RUNT];
}

static int
cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/*
 * Every request consumed in [cons0, cons) answered exactly once: the responses written from
 * 'rsp0' on carry the ids of the consumed data slots (in any order: errors are answered before
 * the copies of earlier packets complete, which the protocol allows), and one NULL response
 * (id 0) per extra-info slot. The slots are classified by re-parsing the ring as it was before
 * the pass ('snap').
 */
static void
check_responses(const uint8_t *snap, RING_IDX cons0, RING_IDX cons, RING_IDX rsp0)
{
	static uint16_t want[NB_XEN_PAGE_SIZE], got[NB_XEN_PAGE_SIZE];
	static union {
		struct netif_tx_sring sring;
		uint8_t page[NB_XEN_PAGE_SIZE];
	} copy __attribute__((aligned(4096)));
	struct netif_tx_back_ring ring;
	struct nb_tx_pkt tp;
	unsigned int n_want = 0, n_got = 0, nulls_want = 0, nulls_got = 0;
	RING_IDX i;

	memcpy(copy.page, snap, sizeof(copy.page));
	BACK_RING_ATTACH(&ring, &copy.sring, cons0, NB_XEN_PAGE_SIZE);
	for (i = cons0; i != cons; i += tp.n_consumed) {
		enum nb_tx_verdict v = nb_tx_parse(&ring, i, cons, &tp);

		check(v != NB_TX_EMPTY && !nb_tx_verdict_is_fatal(v) && tp.n_consumed > 0 &&
			      tp.n_consumed <= cons - i,
		      "consumed slots do not parse as whole packets");
		for (unsigned int k = 0; k < tp.n_slots; k++)
			want[n_want++] = tp.slots[k].id;
		nulls_want += tp.n_extras;
	}
	for (i = rsp0; i != rsp0 + (cons - cons0); i++) {
		const struct netif_tx_response *r = RING_GET_RESPONSE(&vif.q.tx, i);

		check(r->status == NETIF_RSP_OKAY || r->status == NETIF_RSP_ERROR ||
			      r->status == NETIF_RSP_NULL,
		      "invalid response status");
		if (r->status == NETIF_RSP_NULL) {
			check(r->id == 0, "extra-info response with an id");
			nulls_got++;
		} else {
			got[n_got++] = r->id;
		}
	}
	check(nulls_got == nulls_want, "NULL responses != extra-info slots");
	check(n_got == n_want, "responses != data slots consumed");
	qsort(want, n_want, sizeof(want[0]), cmp_u16);
	qsort(got, n_got, sizeof(got[0]), cmp_u16);
	check(memcmp(want, got, n_got * sizeof(got[0])) == 0,
	      "response ids are not the consumed requests' ids");
}

static void
one_pass(unsigned int max)
{
	static uint8_t snap[NB_XEN_PAGE_SIZE];
	struct nb_queue *q = &vif.q;
	struct pkt *pkts[NB_TX_BURST_MAX];
	struct nb_vif_stats before, after;
	RING_IDX cons0 = q->tx.req_cons, rsp0 = q->tx.rsp_prod_pvt;
	uint64_t bytes = 0;
	unsigned int n;

	memcpy(snap, fake.tx_page, sizeof(snap));
	nb_vif_get_stats(&vif, &before);
	nbf_log_reset(&fake);
	n = nb_vif_guest_tx(&vif, pool, pkts, max);
	nb_vif_get_stats(&vif, &after);

	check(n <= max && n <= NB_TX_BURST_MAX, "more frames than asked for");
	check(q->tx.req_cons - cons0 == q->tx.rsp_prod_pvt - rsp0,
	      "consumed requests and responses differ in number");
	check(q->tx.req_cons - cons0 <= RING_SIZE(&q->tx), "consumed more than a ring");
	check(NB_READ_ONCE(q->tx.sring->rsp_prod) == q->tx.rsp_prod_pvt, "responses not pushed");
	check_responses(snap, cons0, q->tx.req_cons, rsp0);
	for (unsigned int i = 0; i < n; i++) {
		if (nbf_check_pkt(&fake, pkts[i]) != 0)
			check(false, fake.why);
		bytes += pkts[i]->len;
	}
	check(after.tx_packets - before.tx_packets == n, "tx_packets != frames delivered");
	check(after.tx_bytes - before.tx_bytes == bytes, "tx_bytes != bytes delivered");
	check(after.tx_verdicts[NB_TX_OK] - before.tx_verdicts[NB_TX_OK] ==
		      n + (after.tx_grant_errors - before.tx_grant_errors) +
			      (after.tx_drop_nobuf - before.tx_drop_nobuf),
	      "OK verdicts != delivered + grant errors + buffer shortages");
	check(drop_verdicts(&after) - drop_verdicts(&before) == after.tx_errors - before.tx_errors,
	      "drop verdicts != tx_errors");
	/* Multicast filter edits are answered at once; only additions to a full (or with a
	 * unicast address) filter are refused, and the filter never outgrows its bound. */
	check(after.tx_verdicts[NB_TX_MCAST_OP] - before.tx_verdicts[NB_TX_MCAST_OP] >=
		      after.tx_mcast_refused - before.tx_mcast_refused,
	      "more multicast refusals than requests");
	check(vif.n_mcast <= NB_MCAST_MAX, "multicast filter beyond its bound");
	for (unsigned int i = 0; i < vif.n_mcast; i++)
		check(vif.mcast[i][0] & 1, "unicast address in the multicast filter");
	if (nb_vif_is_disabled(&vif)) {
		int reason = atomic_load(&vif.disabled_reason);

		check(reason >= 0 && reason < NB_TX_N_VERDICTS &&
			      nb_tx_verdict_is_fatal((enum nb_tx_verdict)reason),
		      "disabled without a fatal reason");
		check(after.tx_verdicts[reason] > before.tx_verdicts[reason],
		      "fatal reason not counted");
	}
	pkt_free_bulk(pkts, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netif_tx_sring *s;
	struct pkt *held[POOL_PKTS];
	unsigned int max, passes, n_held;
	RING_IDX start, prod;
	uint64_t revoked = 0;
	size_t off;
	int err;

	if (size < 16)
		return 0;
	setup_once();
	start = (RING_IDX)data[0] | (RING_IDX)data[1] << 8 | (RING_IDX)data[2] << 16 |
		(RING_IDX)data[3] << 24;
	prod = start + (RING_IDX)(data[4] | data[5] << 8);
	max = (data[6] & 31u) + 1;
	passes = (data[6] >> 5) + 1;
	for (int i = 0; i < 8; i++)
		revoked |= (uint64_t)data[8 + i] << (8 * i);
	for (unsigned int i = 0; i < NBF_REFS; i++)
		fake.ref_status[i] = revoked >> i & 1 ? GNTST_general_error : GNTST_okay;

	/* The ring as the frontend left it: slots from the start index on are the input. */
	memset(fake.tx_page, 0, NB_XEN_PAGE_SIZE);
	s = (struct netif_tx_sring *)fake.tx_page;
	s->req_prod = prod;
	s->rsp_prod = start;
	s->req_event = start + 1;
	s->rsp_event = start + 1;
	off = 16;
	for (RING_IDX i = start; off < size && i - start < 256; i++) {
		size_t n = size - off < sizeof(s->ring[0]) ? size - off : sizeof(s->ring[0]);

		memcpy(&s->ring[i % 256], data + off, n);
		off += n;
	}
	err = nbf_vif_init(&fake, &be, &vif);
	if (err == -EPROTO)
		return 0; /* refused at connect: producer more than a ring ahead */
	check(err == 0, "vif setup failed (leaked descriptors?)");
	check(vif.q.tx.req_cons == start && vif.q.tx.rsp_prod_pvt == start,
	      "attached away from the frontend's indices");

	n_held = pkt_alloc_bulk(pool, held, data[7] % (POOL_PKTS + 1));
	for (unsigned int p = 0; p < passes && !nb_vif_is_disabled(&vif); p++)
		one_pass(max);
	if (nb_vif_is_disabled(&vif)) {
		/* Once disabled, the rings are not touched any more. */
		RING_IDX cons = vif.q.tx.req_cons, rsp = vif.q.tx.rsp_prod_pvt;
		struct pkt *more[1];

		check(nb_vif_guest_tx(&vif, pool, more, 1) == 0, "a disabled vif delivered");
		check(vif.q.tx.req_cons == cons && vif.q.tx.rsp_prod_pvt == rsp,
		      "a disabled vif touched its ring");
	}
	pkt_free_bulk(held, n_held);
	nbf_vif_fini(&vif);
	return 0;
}
