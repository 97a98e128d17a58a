/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for nat/nat44.c: the input is a sequence of records {flags, time step,
 * length, packet bytes}, each fed to nat_ct_out() or nat_ct_in() of a small table (64
 * sessions, 16 ports, so exhaustion and a full table are reached). To get past the header
 * checks, a flag lets the harness point the packet at the right addresses and fix the IP
 * and L4 checksums first. Checked: no crash or sanitizer report, a drop leaves the packet
 * untouched, a translated packet's IP header checksum still verifies, the table never holds
 * more than its bound, and expiry empties it.
 */
#include "nat/nat44.h"
#include "vswitch/csum.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SESSIONS 64
#define PKT_MAX	     1600
#define NS_PER_S     1000000000ull

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Makes the packet plausible: addresses for the direction, right lengths and checksums. */
static void
fixup(uint8_t *b, uint32_t len, int out)
{
	static const uint8_t inside[4] = { 10, 0, 0, 5 }, ext[4] = { 192, 0, 2, 2 };
	uint32_t hl, l4len;
	uint8_t *l4;

	if (len < 20)
		return;
	b[0] = (uint8_t)(0x40 | ((b[0] & 0xf) < 5 ? 5 : b[0] & 0xf));
	hl = (uint32_t)(b[0] & 0xf) * 4;
	if (hl > len)
		return;
	wr16(b + 2, (uint16_t)len);
	b[6] &= 0x40; /* DF at most: no fragments */
	b[7] = 0;
	memcpy(out ? b + 12 : b + 16, out ? inside : ext, 4);
	wr16(b + 10, 0);
	wr16(b + 10, vsw_csum_fold(vsw_csum_partial(b, hl, 0)));
	l4 = b + hl;
	l4len = len - hl;
	if (b[9] == 1 && l4len >= 4) {
		wr16(l4 + 2, 0);
		wr16(l4 + 2, vsw_csum_fold(vsw_csum_partial(l4, l4len, 0)));
	} else if ((b[9] == 6 && l4len >= 20) || (b[9] == 17 && l4len >= 8)) {
		uint8_t *c = l4 + (b[9] == 6 ? 16 : 6);
		uint8_t ph[12];

		memcpy(ph, b + 12, 8);
		ph[8] = 0;
		ph[9] = b[9];
		wr16(ph + 10, (uint16_t)l4len);
		wr16(c, 0);
		wr16(c, vsw_csum_fold(vsw_csum_partial(l4, l4len, vsw_csum_partial(ph, 12, 0))));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nat_ct_cfg cfg = {
		.ext_addr = htonl(0xc0000202),
		.int_net = htonl(0x0a000000),
		.int_mask = htonl(0xffffff00),
		.port_min = 1024,
		.port_max = 1039,
		.max_sessions = MAX_SESSIONS,
	};
	uint8_t pkt[PKT_MAX], orig[PKT_MAX];
	struct nat_ct_stats st;
	struct nat_ct *ct;
	uint64_t now = 0;

	if (nat_ct_create(&cfg, &ct))
		return 0;
	while (size >= 4) {
		uint8_t flags = data[0];
		uint32_t len = (uint32_t)(data[2] << 8 | data[3]) % PKT_MAX;
		int out = flags & 1;
		enum nat_verdict v;

		now += (uint64_t)data[1] * NS_PER_S;
		data += 4;
		size -= 4;
		if (len > size)
			len = (uint32_t)size;
		memcpy(pkt, data, len);
		data += len;
		size -= len;
		if (flags & 2)
			fixup(pkt, len, out);
		memcpy(orig, pkt, len);
		v = out ? nat_ct_out(ct, pkt, len, now) : nat_ct_in(ct, pkt, len, now);
		if (v >= NAT_DROP_BAD_HDR)
			check(memcmp(pkt, orig, len) == 0);
		else
			check(vsw_csum_fold(
				      vsw_csum_partial(pkt, (uint32_t)(pkt[0] & 0xf) * 4, 0)) == 0);
		nat_ct_get_stats(ct, &st);
		check(st.n_sessions <= MAX_SESSIONS && st.n_mappings <= st.n_sessions);
	}
	nat_ct_expire(ct, now + 100000 * NS_PER_S);
	nat_ct_get_stats(ct, &st);
	check(st.n_sessions == 0 && st.n_mappings == 0);
	nat_ct_destroy(ct);
	return 0;
}
