/* SPDX-License-Identifier: MIT */
/*
 * fib.c - longest-prefix match by one hash table over (family, length, masked address) and a
 * bitmap of the lengths in use per family (see fib.h for the cost).
 */
#include "route/fib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct fib {
	unsigned int max_routes;
	unsigned int n_routes;
	unsigned int mask; /* n_slots - 1 */
	struct fib_route *slots;
	/* Lengths in use: bit l of lens4/lens6 set when a route of length l exists; counts say
	 * how many so a delete can clear the bit. */
	uint64_t lens4;
	uint64_t lens6[3];
	unsigned int cnt4[33];
	unsigned int cnt6[129];
};

static unsigned int
fib_addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static bool
fib_family_ok(int family, unsigned int plen)
{
	return (family == AF_INET && plen <= 32) || (family == AF_INET6 && plen <= 128);
}

void
fib_mask(int family, uint8_t *addr, unsigned int plen)
{
	unsigned int n = fib_addr_len(family);

	for (unsigned int i = 0; i < n; i++) {
		if (plen >= 8 * (i + 1))
			continue;
		if (plen <= 8 * i)
			addr[i] = 0;
		else
			addr[i] &= (uint8_t)(0xff00u >> (plen - 8 * i));
	}
}

static uint32_t
fib_hash(int family, const uint8_t *addr, unsigned int plen)
{
	return fib_hash_addr((uint64_t)(uint32_t)family << 40 | (uint64_t)plen << 32, family, addr);
}

static bool
fib_key_eq(const struct fib_route *r, int family, const uint8_t *addr, unsigned int plen)
{
	return r->used && r->family == family && r->plen == plen &&
	       fib_addr_eq(family, r->addr, addr);
}

int
fib_create(unsigned int max_routes, struct fib **fibp)
{
	struct fib *fib;
	unsigned int n = 2;

	if (max_routes < 1 || max_routes > FIB_MAX_ROUTES_LIMIT)
		return -EINVAL;
	while (n < 2 * max_routes)
		n <<= 1;
	fib = calloc(1, sizeof(*fib));
	if (!fib)
		return -ENOMEM;
	fib->slots = calloc(n, sizeof(*fib->slots));
	if (!fib->slots) {
		free(fib);
		return -ENOMEM;
	}
	fib->max_routes = max_routes;
	fib->mask = n - 1;
	*fibp = fib;
	return 0;
}

void
fib_destroy(struct fib *fib)
{
	if (!fib)
		return;
	free(fib->slots);
	free(fib);
}

/* The slot holding the key, or the empty slot where it would go. */
static unsigned int
fib_find_slot(const struct fib *fib, int family, const uint8_t *addr, unsigned int plen)
{
	unsigned int i = fib_hash(family, addr, plen) & fib->mask;

	while (fib->slots[i].used && !fib_key_eq(&fib->slots[i], family, addr, plen))
		i = (i + 1) & fib->mask;
	return i;
}

static void
fib_len_ref(struct fib *fib, int family, unsigned int plen, int delta)
{
	unsigned int *cnt = family == AF_INET ? &fib->cnt4[plen] : &fib->cnt6[plen];
	uint64_t *bits = family == AF_INET ? &fib->lens4 : &fib->lens6[plen / 64];
	uint64_t bit = 1ull << (plen % 64);

	*cnt = (unsigned int)((int)*cnt + delta);
	if (*cnt)
		*bits |= bit;
	else
		*bits &= ~bit;
}

int
fib_add(struct fib *fib, int family, const uint8_t *addr, unsigned int plen,
	const struct fib_nh *nh, bool replace)
{
	uint8_t key[16] = { 0 };
	unsigned int i;
	struct fib_route *r;

	if (!fib_family_ok(family, plen) || !nh)
		return -EINVAL;
	memcpy(key, addr, fib_addr_len(family));
	fib_mask(family, key, plen);
	i = fib_find_slot(fib, family, key, plen);
	r = &fib->slots[i];
	if (r->used) {
		if (!replace)
			return -EEXIST;
		r->nh = *nh;
		return 0;
	}
	if (fib->n_routes >= fib->max_routes)
		return -ENOSPC;
	r->used = 1;
	r->family = (uint8_t)family;
	r->plen = (uint8_t)plen;
	memcpy(r->addr, key, sizeof(key));
	r->nh = *nh;
	fib->n_routes++;
	fib_len_ref(fib, family, plen, 1);
	return 0;
}

/* Empties slot 'i' and shifts back the entries of its probe run (Knuth 6.4 algorithm R). */
static void
fib_remove_slot(struct fib *fib, unsigned int i)
{
	unsigned int j = i;

	fib_len_ref(fib, fib->slots[i].family, fib->slots[i].plen, -1);
	fib->n_routes--;
	for (;;) {
		unsigned int h;

		fib->slots[i].used = 0;
		for (;;) {
			j = (j + 1) & fib->mask;
			if (!fib->slots[j].used)
				return;
			h = fib_hash(fib->slots[j].family, fib->slots[j].addr, fib->slots[j].plen) &
			    fib->mask;
			/* Stay if h lies cyclically in (i, j]. */
			if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
				continue;
			break;
		}
		fib->slots[i] = fib->slots[j];
		i = j;
	}
}

int
fib_del(struct fib *fib, int family, const uint8_t *addr, unsigned int plen)
{
	uint8_t key[16] = { 0 };
	unsigned int i;

	if (!fib_family_ok(family, plen))
		return -EINVAL;
	memcpy(key, addr, fib_addr_len(family));
	fib_mask(family, key, plen);
	i = fib_find_slot(fib, family, key, plen);
	if (!fib->slots[i].used)
		return -ENOENT;
	fib_remove_slot(fib, i);
	return 0;
}

const struct fib_route *
fib_get(const struct fib *fib, int family, const uint8_t *addr, unsigned int plen)
{
	uint8_t key[16] = { 0 };
	unsigned int i;

	if (!fib_family_ok(family, plen))
		return NULL;
	memcpy(key, addr, fib_addr_len(family));
	fib_mask(family, key, plen);
	i = fib_find_slot(fib, family, key, plen);
	return fib->slots[i].used ? &fib->slots[i] : NULL;
}

const struct fib_route *
fib_lookup(const struct fib *fib, int family, const uint8_t *addr)
{
	int maxlen;

	if (family == AF_INET)
		maxlen = 32;
	else if (family == AF_INET6)
		maxlen = 128;
	else
		return NULL;
	if (family == AF_INET) {
		uint64_t lens = fib->lens4;
		uint32_t a;

		memcpy(&a, addr, 4);
		a = ntohl(a);
		/* Only the lengths in use, longest first. */
		while (lens) {
			unsigned int l = 63u - (unsigned int)__builtin_clzll(lens), i;
			uint32_t k = l ? htonl(a & (0xffffffffu << (32 - l))) : 0;
			uint8_t key[16];

			lens &= ~(1ull << l);
			memcpy(key, &k, 4);
			i = fib_find_slot(fib, family, key, l);
			if (fib->slots[i].used)
				return &fib->slots[i];
		}
		return NULL;
	}
	for (int l = maxlen; l >= 0; l--) {
		uint64_t bits = fib->lens6[l / 64];
		uint8_t key[16] = { 0 };
		unsigned int i;

		if (!(bits & (1ull << (l % 64))))
			continue;
		memcpy(key, addr, fib_addr_len(family));
		fib_mask(family, key, (unsigned int)l);
		i = fib_find_slot(fib, family, key, (unsigned int)l);
		if (fib->slots[i].used)
			return &fib->slots[i];
	}
	return NULL;
}

unsigned int
fib_del_if(struct fib *fib, bool (*match)(void *arg, const struct fib_route *r), void *arg)
{
	unsigned int n = 0, i = 0;

	/* A backward shift may move an unvisited entry into slot i, so i is re-examined after
	 * a removal; one that wraps from the start to the end is caught by a second pass. */
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i <= fib->mask;) {
			if (fib->slots[i].used && match(arg, &fib->slots[i])) {
				fib_remove_slot(fib, i);
				n++;
				continue;
			}
			i++;
		}
	}
	return n;
}

int
fib_foreach(const struct fib *fib, int (*fn)(void *arg, const struct fib_route *r), void *arg)
{
	for (unsigned int i = 0; i <= fib->mask; i++) {
		int err;

		if (!fib->slots[i].used)
			continue;
		err = fn(arg, &fib->slots[i]);
		if (err)
			return err;
	}
	return 0;
}

unsigned int
fib_count(const struct fib *fib)
{
	return fib->n_routes;
}

int
fib_addr_parse(const char *s, int *family, uint8_t *addr)
{
	uint8_t a[16] = { 0 };

	if (inet_pton(AF_INET, s, a) == 1) {
		*family = AF_INET;
	} else if (inet_pton(AF_INET6, s, a) == 1) {
		*family = AF_INET6;
	} else {
		return -EINVAL;
	}
	memcpy(addr, a, 16);
	return 0;
}

int
fib_prefix_parse(const char *s, int *family, uint8_t *addr, unsigned int *plen)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long v;
	char *end;
	int err;

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	err = fib_addr_parse(buf, family, addr);
	if (err)
		return err;
	if (!slash) {
		*plen = *family == AF_INET ? 32 : 128;
		return 0;
	}
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	v = strtoul(slash + 1, &end, 10);
	if (*end || v > (*family == AF_INET ? 32u : 128u))
		return -EINVAL;
	*plen = (unsigned int)v;
	return 0;
}
