/* SPDX-License-Identifier: MIT */
/*
 * nb-ctrl.h - the netif control ring (feature-ctrl-ring, netif.h "Control ring") and the
 * Toeplitz receive hash it configures (fact sheet §1.2, §4.3).
 *
 * Contract
 * - The frontend configures hashing through requests on a shared ring: the algorithm (NONE
 *   or TOEPLITZ), the hash types (XEN_NETIF_CTRL_HASH_TYPE_*), a key of up to
 *   NB_HASH_KEY_MAX bytes and a mapping table of up to NB_HASH_MAPPING_MAX queue numbers,
 *   the last two read from granted pages. Everything the guest supplies is hostile: each
 *   request is copied out of the ring once; lengths and offsets are checked with
 *   overflow-safe arithmetic before any copy; a key or table is copied into private memory,
 *   validated there (every queue number < n_queues) and only then committed, so a rejected
 *   request leaves the configuration as it was (XSA-270). Unknown types get NOT_SUPPORTED.
 * - nb_ctrl_process() answers every request between the ring's req_cons and the producer
 *   (at most one ring's worth per call) with one response each, in order, and tells the
 *   caller whether to notify; a producer more than a ring ahead is a protocol violation
 *   (-EPROTO, the vif is to be disabled). It runs on the worker that owns the vif, the only
 *   user of the configuration, so nothing is shared.
 * - nb_hash_frame() computes the hash the guest asked for on a frame (IPv4/IPv6, TCP ports
 *   when the _TCP type is enabled), as Linux netback does for the HASH extra.
 * - Errors: 0 or -errno; bursts return counts.
 */
#ifndef NB_CTRL_H
#define NB_CTRL_H

#include "netback/nb-ring.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NB_HASH_KEY_MAX	    40u	 /* Linux XEN_NETBK_MAX_HASH_KEY_SIZE */
#define NB_HASH_MAPPING_MAX 128u /* Linux XEN_NETBK_MAX_HASH_MAPPING_SIZE */
#define NB_HASH_TYPES_ALL                                                                          \
	(XEN_NETIF_CTRL_HASH_TYPE_IPV4 | XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP |                       \
	 XEN_NETIF_CTRL_HASH_TYPE_IPV6 | XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP)

struct nb_hash_cfg {
	uint32_t alg;		      /* XEN_NETIF_CTRL_HASH_ALGORITHM_* */
	uint32_t types;		      /* XEN_NETIF_CTRL_HASH_TYPE_* enabled */
	uint8_t key[NB_HASH_KEY_MAX]; /* bytes past the given length are zero */
	uint32_t mapping_size;	      /* 0: queue = hash % n_queues */
	uint32_t mapping[NB_HASH_MAPPING_MAX];
};

/* Copies 'len' bytes from the start of the guest's grant 'gref' into 'dst': 0 or -errno. */
typedef int nb_ctrl_copy_fn(void *arg, uint32_t gref, void *dst, uint32_t len);

/* Answers one request (already copied out of the ring) into 'rsp'. */
void nb_ctrl_handle(struct nb_hash_cfg *cfg, unsigned int n_queues,
		    const struct xen_netif_ctrl_request *req, struct xen_netif_ctrl_response *rsp,
		    nb_ctrl_copy_fn *copy, void *arg);

/* Answers the pending requests of 'ring' (see above). Returns how many, or -EPROTO. */
int nb_ctrl_process(struct xen_netif_ctrl_back_ring *ring, struct nb_hash_cfg *cfg,
		    unsigned int n_queues, nb_ctrl_copy_fn *copy, void *arg, bool *notify);

/* The Toeplitz hash of 'len' bytes of 'data' with a key of 'keylen' bytes (zero beyond). */
uint32_t nb_toeplitz(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len);

/* The configured hash of an Ethernet frame: true with its type index
 * (_XEN_NETIF_CTRL_HASH_TYPE_*) and value if hashing is on and enabled for the frame. */
bool nb_hash_frame(const struct nb_hash_cfg *cfg, const uint8_t *frame, uint32_t len, uint8_t *type,
		   uint32_t *value);

/* The queue for 'hash' among 'n_queues' (mapping table if set, else modulo). */
unsigned int nb_hash_queue(const struct nb_hash_cfg *cfg, uint32_t hash, unsigned int n_queues);

#endif
