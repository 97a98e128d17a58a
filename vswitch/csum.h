/* SPDX-License-Identifier: MIT */
/*
 * csum.h - Internet checksums for frames in switch packet buffers.
 *
 * Contract: pure functions on the frame bytes of a struct pkt (never beyond p->len), safe on
 * hostile input. vsw_csum_complete() fills in the TCP/UDP checksum of a frame whose sender left
 * it blank (netif NETTXF_csum_blank, virtio NEEDS_CSUM), for destinations that cannot take a
 * partial checksum: Ethernet (up to two VLAN tags), IPv4 (not fragmented) or IPv6 (hop-by-hop,
 * routing and destination-options headers skipped), TCP or UDP. Thread-safe (no state).
 * Returns 0 or -errno.
 */
#ifndef VSW_CSUM_H
#define VSW_CSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pkt;

/* One's-complement sum of 'len' bytes added to 'sum' (not folded). */
uint32_t vsw_csum_partial(const void *data, size_t len, uint32_t sum);

/* Where the TCP/UDP checksum of a frame lives (vsw_csum_l4_locate()). */
struct vsw_l4 {
	uint32_t l3_off;   /* start of the IP header (after up to two VLAN tags) */
	uint32_t l4_off;   /* start of the TCP/UDP header */
	uint32_t l4_len;   /* TCP/UDP header + payload, from the IP lengths */
	uint32_t csum_off; /* the checksum field */
	uint32_t pseudo;   /* pseudo-header sum (addresses, protocol, l4_len), not folded */
	uint8_t proto;	   /* 6 (TCP) or 17 (UDP) */
	bool ipv6;
};

/*
 * Finds the TCP/UDP header and checksum field of the frame 'd' of 'len' bytes as described
 * above. 0, -EPROTONOSUPPORT (not TCP/UDP over unfragmented IPv4/IPv6), -EINVAL (headers
 * truncated or lengths inconsistent). Reads nothing past 'len'.
 */
int vsw_csum_l4_locate(const uint8_t *d, uint32_t len, struct vsw_l4 *l4);

/*
 * Prepares a partial checksum for a receiver that completes it (virtio NEEDS_CSUM, netif
 * NETRXF_csum_blank): writes the folded pseudo-header sum into the checksum field, as
 * Linux's CHECKSUM_PARTIAL expects, and returns the L4 start and checksum field offset.
 */
int vsw_csum_prepare_partial(uint8_t *d, uint32_t len, struct vsw_l4 *l4);

/* Folds a 32-bit sum and complements it: the checksum field value. */
static inline uint16_t
vsw_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Computes and stores the L4 checksum of 'p', clears PKT_F_CSUM_BLANK and sets
 * PKT_F_DATA_VALIDATED. -EPROTONOSUPPORT if the frame is not TCP/UDP over IPv4/IPv6 as
 * described above (then 'p' is unchanged), -EINVAL if its headers are truncated or
 * inconsistent.
 */
int vsw_csum_complete(struct pkt *p);

/* Verifies the L4 checksum of 'p' the same way: 0 if correct, -EBADMSG if not. */
int vsw_csum_verify(const struct pkt *p);

#endif
