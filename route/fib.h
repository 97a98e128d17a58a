/* SPDX-License-Identifier: MIT */
/*
 * fib.h - the forwarding information base of the routed mode: longest-prefix match for
 * IPv4 and IPv6.
 *
 * Contract
 * - A struct fib holds up to 'max_routes' routes (both families together), each a prefix
 *   (family, address, length) with a struct fib_nh saying where it goes. Memory is
 *   allocated once by fib_create(): bounded, no allocation on add, lookup or delete.
 * - Structure and cost: one open-addressing hash table (linear probing, load <= 1/2, backward
 *   shift on delete, so no tombstones) keyed by (family, length, masked address), plus per
 *   family a bitmap of the prefix lengths in use. A lookup probes the table once per length
 *   in use, longest first, and stops at the first hit: O(L) expected probes, L = number of
 *   distinct lengths present (a handful in practice: /32 hosts, the subnets, /0), at most
 *   33 / 129. Add and delete are O(1) expected. Memory: 2 * max_routes slots of
 *   sizeof(struct fib_route). Chosen over a trie for bounded memory known at creation and no
 *   pointer chasing per bit.
 * - Threading: none inside; the routed mode uses one fib from its network's worker only.
 * - Errors: 0 or -errno. Lookup returns a pointer into the table, valid until the next add
 *   or delete.
 */
#ifndef FIB_H
#define FIB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define FIB_MAX_ROUTES_LIMIT (1u << 20)

enum fib_type {
	FIB_TYPE_DEV = 0, /* directly reachable on 'port': next hop is the destination */
	FIB_TYPE_VIA,	  /* through gateway 'gw', reachable on 'port' */
	FIB_TYPE_REJECT,  /* known but unreachable: ICMP host unreachable */
};

enum fib_origin {
	FIB_ORIGIN_HOST = 0, /* a port's address (ip=) */
	FIB_ORIGIN_CONNECTED,
	FIB_ORIGIN_STATIC, /* route-add, uplink_gateway */
	FIB_ORIGIN_KERNEL, /* followed from dom0's main table */
};

struct fib_nh {
	uint8_t type;	/* enum fib_type */
	uint8_t origin; /* enum fib_origin */
	uint16_t port;	/* port index */
	uint8_t gw[16]; /* FIB_TYPE_VIA: gateway, network order */
};

struct fib_route {
	uint8_t used;
	uint8_t family; /* AF_INET / AF_INET6 as uint8_t */
	uint8_t plen;
	uint8_t addr[16]; /* masked prefix; IPv4 in the first 4 bytes */
	struct fib_nh nh;
};

struct fib;

/* Creates an empty FIB for up to 'max_routes' (1..FIB_MAX_ROUTES_LIMIT) routes. */
int fib_create(unsigned int max_routes, struct fib **fibp);
void fib_destroy(struct fib *fib);

/* Adds or replaces (when 'replace') the route for 'addr'/'plen' ('addr' bits past 'plen' are
 * ignored). -EINVAL (family, length), -EEXIST (present and !replace), -ENOSPC (full). */
int fib_add(struct fib *fib, int family, const uint8_t *addr, unsigned int plen,
	    const struct fib_nh *nh, bool replace);

/* Deletes the route for exactly 'addr'/'plen': 0 or -ENOENT / -EINVAL. */
int fib_del(struct fib *fib, int family, const uint8_t *addr, unsigned int plen);

/* The exact route for 'addr'/'plen', or NULL. */
const struct fib_route *fib_get(const struct fib *fib, int family, const uint8_t *addr,
				unsigned int plen);

/* The longest prefix matching 'addr', or NULL. */
const struct fib_route *fib_lookup(const struct fib *fib, int family, const uint8_t *addr);

/* Deletes every route that 'match' selects (returns true for); returns how many. */
unsigned int fib_del_if(struct fib *fib, bool (*match)(void *arg, const struct fib_route *r),
			void *arg);

/* Calls 'fn' for every route, in table order; stops when it returns non-zero and returns it.
 * 'fn' must not add or delete. */
int fib_foreach(const struct fib *fib, int (*fn)(void *arg, const struct fib_route *r), void *arg);

/* Number of routes. */
unsigned int fib_count(const struct fib *fib);

/* Parses "ADDR/LEN" or "ADDR" (host prefix) of either family. 0 or -EINVAL. */
int fib_prefix_parse(const char *s, int *family, uint8_t *addr, unsigned int *plen);

/* Parses a bare address of either family. 0 or -EINVAL. */
int fib_addr_parse(const char *s, int *family, uint8_t *addr);

/* Clears the bits of 'addr' past 'plen' (address of 'family'). */
void fib_mask(int family, uint8_t *addr, unsigned int plen);

/* The hash of the FIB's and the neighbour table's keys: the 32-bit words of an address of
 * 'family' folded into 'h' (the rest of the key) by multiplication, then MurmurHash3's
 * fmix64. Unseeded: both tables hold configured or solicited keys only. */
static inline uint32_t
fib_hash_addr(uint64_t h, int family, const uint8_t *addr)
{
	unsigned int n = family == AF_INET ? 4 : 16;
	uint32_t w;

	for (unsigned int i = 0; i < n; i += 4) {
		__builtin_memcpy(&w, addr + i, 4);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h;
}

/* Whether two addresses of 'family' are equal (IPv4: one 32-bit compare). */
static inline bool
fib_addr_eq(int family, const uint8_t *a, const uint8_t *b)
{
	uint32_t x, y;

	if (family != AF_INET)
		return !__builtin_memcmp(a, b, 16);
	__builtin_memcpy(&x, a, 4);
	__builtin_memcpy(&y, b, 4);
	return x == y;
}

#endif
