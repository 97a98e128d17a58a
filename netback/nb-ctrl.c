/* SPDX-License-Identifier: MIT */
/*
 * nb-ctrl.c - control ring requests and the Toeplitz hash (see nb-ctrl.h).
 */
#include "netback/nb-ctrl.h"

#include <errno.h>
#include <string.h>

uint32_t
nb_toeplitz(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len)
{
	uint64_t window = 0; /* the top 32 bits are the key bits aligned with the next input bit */
	uint32_t hash = 0;
	size_t k = 0;

	for (; k < 8; k++)
		window = window << 8 | (k < keylen ? key[k] : 0);
	for (size_t i = 0; i < len; i++, k++) {
		for (int b = 7; b >= 0; b--) {
			if (data[i] >> b & 1)
				hash ^= (uint32_t)(window >> 32);
			window <<= 1;
		}
		window |= k < keylen ? key[k] : 0;
	}
	return hash;
}

bool
nb_hash_frame(const struct nb_hash_cfg *cfg, const uint8_t *d, uint32_t len, uint8_t *type,
	      uint32_t *value)
{
	uint8_t buf[36];
	uint32_t l3 = 14, n;
	uint16_t et;

	if (cfg->alg != XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ || !cfg->types || len < 14)
		return false;
	et = (uint16_t)(d[12] << 8 | d[13]);
	if (et == 0x0800) {
		uint32_t ihl;
		bool tcp;

		if (len < l3 + 20 || (d[l3] >> 4) != 4)
			return false;
		ihl = (uint32_t)(d[l3] & 0xf) * 4;
		memcpy(buf, d + l3 + 12, 8);
		/* Ports only for an unfragmented TCP segment whose header is here. */
		tcp = d[l3 + 9] == 6 && !(d[l3 + 6] & 0x3f) && !d[l3 + 7] && ihl >= 20 &&
		      len >= l3 + ihl + 4;
		if (tcp && (cfg->types & XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP)) {
			memcpy(buf + 8, d + l3 + ihl, 4);
			n = 12;
			*type = _XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP;
		} else if (cfg->types & XEN_NETIF_CTRL_HASH_TYPE_IPV4) {
			n = 8;
			*type = _XEN_NETIF_CTRL_HASH_TYPE_IPV4;
		} else {
			return false;
		}
	} else if (et == 0x86dd) {
		bool tcp;

		if (len < l3 + 40 || (d[l3] >> 4) != 6)
			return false;
		memcpy(buf, d + l3 + 8, 32);
		tcp = d[l3 + 6] == 6 && len >= l3 + 40 + 4;
		if (tcp && (cfg->types & XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP)) {
			memcpy(buf + 32, d + l3 + 40, 4);
			n = 36;
			*type = _XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP;
		} else if (cfg->types & XEN_NETIF_CTRL_HASH_TYPE_IPV6) {
			n = 32;
			*type = _XEN_NETIF_CTRL_HASH_TYPE_IPV6;
		} else {
			return false;
		}
	} else {
		return false;
	}
	*value = nb_toeplitz(cfg->key, NB_HASH_KEY_MAX, buf, n);
	return true;
}

unsigned int
nb_hash_queue(const struct nb_hash_cfg *cfg, uint32_t hash, unsigned int n_queues)
{
	if (n_queues <= 1)
		return 0;
	if (cfg->mapping_size)
		return cfg->mapping[hash % cfg->mapping_size] % n_queues;
	return hash % n_queues;
}

void
nb_ctrl_handle(struct nb_hash_cfg *cfg, unsigned int n_queues,
	       const struct xen_netif_ctrl_request *req, struct xen_netif_ctrl_response *rsp,
	       nb_ctrl_copy_fn *copy, void *arg)
{
	uint32_t status = XEN_NETIF_CTRL_STATUS_SUCCESS, data = 0;

	switch (req->type) {
	case XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM:
		if (req->data[0] == XEN_NETIF_CTRL_HASH_ALGORITHM_NONE ||
		    req->data[0] == XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ)
			cfg->alg = req->data[0];
		else
			status = XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
		break;
	case XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS:
		if (cfg->alg == XEN_NETIF_CTRL_HASH_ALGORITHM_NONE)
			status = XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED;
		else
			data = NB_HASH_TYPES_ALL;
		break;
	case XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS:
		if ((req->data[0] & ~NB_HASH_TYPES_ALL) ||
		    cfg->alg == XEN_NETIF_CTRL_HASH_ALGORITHM_NONE)
			status = XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
		else
			cfg->types = req->data[0];
		break;
	case XEN_NETIF_CTRL_TYPE_SET_HASH_KEY: {
		uint8_t key[NB_HASH_KEY_MAX] = { 0 };
		uint32_t len = req->data[1];

		if (len > NB_HASH_KEY_MAX) /* INVALID, not BUFFER_OVERFLOW: as Linux answers */
			status = XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
		else if (len && copy(arg, req->data[0], key, len))
			status = XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
		else
			memcpy(cfg->key, key, sizeof(key)); /* a new key replaces the old one */
		break;
	}
	case XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE:
		data = NB_HASH_MAPPING_MAX;
		break;
	case XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE:
		if (req->data[0] > NB_HASH_MAPPING_MAX) {
			status = XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
		} else {
			cfg->mapping_size = req->data[0];
			memset(cfg->mapping, 0, sizeof(cfg->mapping));
		}
		break;
	case XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING: {
		/* XSA-270: every value is the guest's; check in 64 bits, copy, then validate. */
		uint32_t table[NB_HASH_MAPPING_MAX];
		uint64_t len = req->data[1], off = req->data[2];

		/* Every bad length or offset is INVALID_PARAMETER, as Linux answers. */
		if (len > NB_XEN_PAGE_SIZE / sizeof(uint32_t) || off + len > cfg->mapping_size) {
			status = XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
			break;
		}
		if (len && copy(arg, req->data[0], table, (uint32_t)(len * sizeof(uint32_t)))) {
			status = XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
			break;
		}
		for (uint64_t i = 0; i < len; i++) {
			if (table[i] >= n_queues) {
				status = XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
				break;
			}
		}
		if (status == XEN_NETIF_CTRL_STATUS_SUCCESS)
			memcpy(cfg->mapping + off, table, (size_t)len * sizeof(uint32_t));
		break;
	}
	default:
		status = XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED;
		break;
	}
	memset(rsp, 0, sizeof(*rsp));
	rsp->id = req->id;
	rsp->type = req->type;
	rsp->status = status;
	rsp->data = data;
}

int
nb_ctrl_process(struct xen_netif_ctrl_back_ring *ring, struct nb_hash_cfg *cfg,
		unsigned int n_queues, nb_ctrl_copy_fn *copy, void *arg, bool *notify)
{
	RING_IDX prod = NB_READ_ONCE(ring->sring->req_prod), cons = ring->req_cons;
	int n = 0, more;

	*notify = false;
	xen_rmb();
	if (prod - ring->rsp_prod_pvt > RING_SIZE(ring))
		return -EPROTO;
	while (cons != prod) {
		struct xen_netif_ctrl_request req;
		struct xen_netif_ctrl_response rsp;

		RING_COPY_REQUEST(ring, cons, &req);
		cons++;
		nb_ctrl_handle(cfg, n_queues, &req, &rsp, copy, arg);
		*RING_GET_RESPONSE(ring, ring->rsp_prod_pvt) = rsp;
		ring->rsp_prod_pvt++;
		n++;
	}
	ring->req_cons = cons;
	if (n) {
		int ntf;

		RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(ring, ntf);
		*notify = ntf != 0;
	}
	RING_FINAL_CHECK_FOR_REQUESTS(ring, more);
	(void)more; /* new requests come with an event; the next pass takes them */
	return n;
}
