/* SPDX-License-Identifier: MIT */
/*
 * xs-store.c - the XenStore database of nb-simhv (see xs-store.h). Like real xenstored the
 * tree is kept flat: a hash table maps each full path to a node record whose children are a
 * block of NUL-terminated names, so a transaction can shadow single nodes by path. Every
 * operation goes through a "view" that is either the global table or a transaction's
 * overlay on top of it; the overlay remembers the generation each node had when first
 * touched, which is all the commit-time conflict check needs.
 */
#include "tools/simhv/xs-store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHV_XS_NO_GEN	       UINT64_MAX
#define SHV_XS_PATH_BUF	       (SHV_XS_ABS_PATH_MAX + 1)
#define SHV_XS_MAP_MIN_BUCKETS 16u

struct shv_xs_ndata {
	uint8_t *value;		   /* never NULL */
	size_t len;		   /* bytes of value */
	struct shv_xs_perm *perms; /* never NULL, n_perms >= 1 */
	unsigned int n_perms;	   /* entries in perms */
	char *children;		   /* NUL-terminated names, never NULL */
	size_t children_len;	   /* bytes of children */
	uint64_t gen;		   /* generation of the last change */
};

struct shv_xs_node {
	struct shv_xs_node *hnext; /* hash chain */
	char *path;		   /* key */
	struct shv_xs_ndata d;	   /* contents (unused in an absent transaction node) */
};

struct shv_xs_map {
	struct shv_xs_node **buckets; /* n_buckets chains */
	size_t n_buckets;	      /* power of two */
	size_t count;		      /* nodes in the map */
};

/* A node as one transaction sees it. */
struct shv_xs_tnode {
	struct shv_xs_node node;	/* first member: the map holds &tnode->node */
	struct shv_xs_tnode *next;	/* in order of first access */
	uint64_t seen_gen;		/* global generation then, SHV_XS_NO_GEN if absent */
	struct shv_xs_perm *orig_perms; /* permissions then, NULL if absent */
	unsigned int n_orig_perms;	/* entries in orig_perms */
	bool exists;			/* present in the transaction's view */
	bool modified;			/* to be applied at commit */
	bool fire;			/* to be reported at commit */
	bool exact;			/* report for watches on exactly this path only */
};

struct shv_xs_delta {
	unsigned int domid; /* owner */
	long nodes;	    /* change of the number of nodes it owns */
};

struct shv_xs_tx {
	struct shv_xs_store *store;    /* owner */
	struct shv_xs_tx *prev, *next; /* open transactions of the store */
	unsigned int domid;	       /* caller */
	struct shv_xs_map map;	       /* path -> tnode */
	struct shv_xs_tnode *first;    /* access order */
	struct shv_xs_tnode *last;     /* tail of that list */
	struct shv_xs_delta *deltas;   /* owner count changes */
	unsigned int n_deltas;	       /* used entries of deltas */
	unsigned int cap_deltas;       /* allocated entries of deltas */
	int fail;		       /* -errno that poisoned the transaction, or 0 */
};

struct shv_xs_store {
	struct shv_xs_map map;	     /* path -> node: the global tree */
	uint64_t gen;		     /* last generation handed out */
	uint32_t *owner_nodes;	     /* [SHV_XS_DOMID_MAX + 1] nodes per owner */
	struct shv_xs_limits limits; /* quotas for unprivileged domains */
	shv_xs_event_fn *event_fn;   /* change callback */
	void *event_arg;	     /* its argument */
	struct shv_xs_tx *open_txs;  /* list, freed by destroy */
};

/* The store as one caller sees it: global, or through a transaction. */
struct shv_xs_view {
	struct shv_xs_store *s;
	struct shv_xs_tx *tx;
	unsigned int domid;
	bool priv;
};

static uint8_t shv_xs_empty[1];

/* ---- paths and permissions ------------------------------------------------------------ */

static bool
shv_xs_char_ok(char c, bool slash)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || (slash && c == '/');
}

static bool
shv_xs_path_valid(const char *p, bool allow_special)
{
	size_t i, n = strlen(p);

	if (n == 0 || n > SHV_XS_ABS_PATH_MAX)
		return false;
	if (p[0] == '@') {
		if (!allow_special || n < 2)
			return false;
		for (i = 1; i < n; i++)
			if (!shv_xs_char_ok(p[i], false))
				return false;
		return true;
	}
	if (p[0] != '/')
		return false;
	if (n > 1 && p[n - 1] == '/')
		return false;
	for (i = 1; i < n; i++) {
		if (!shv_xs_char_ok(p[i], true))
			return false;
		if (p[i] == '/' && p[i - 1] == '/')
			return false;
	}
	return true;
}

int
shv_xs_path_resolve(unsigned int domid, const char *in, bool allow_special, char *out,
		    size_t out_size, size_t *prefix_len)
{
	size_t n, pre = 0;
	int len;

	if (!in || !in[0] || out_size < SHV_XS_PATH_BUF)
		return -EINVAL;
	n = strnlen(in, SHV_XS_ABS_PATH_MAX + 1);
	if (in[0] == '/' || in[0] == '@') {
		if (n > SHV_XS_ABS_PATH_MAX)
			return -EINVAL;
		memcpy(out, in, n + 1);
	} else {
		if (n > SHV_XS_REL_PATH_MAX)
			return -EINVAL;
		len = snprintf(out, out_size, "/local/domain/%u/", domid);
		if (len < 0 || (size_t)len + n > SHV_XS_ABS_PATH_MAX)
			return -EINVAL;
		pre = (size_t)len;
		memcpy(out + pre, in, n + 1);
	}
	if (!shv_xs_path_valid(out, allow_special))
		return -EINVAL;
	if (prefix_len)
		*prefix_len = pre;
	return 0;
}

bool
shv_xs_path_is_child(const char *path, const char *parent)
{
	size_t n = strlen(parent);

	if (!strcmp(parent, "/"))
		return path[0] == '/';
	if (strncmp(path, parent, n))
		return false;
	return path[n] == '/' || path[n] == '\0';
}

/* Writes the parent of canonical 'path' into 'buf' ("/" for "/x"). */
static void
shv_xs_parent_of(const char *path, char *buf)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash && slash != path ? (size_t)(slash - path) : 1;

	memcpy(buf, slash ? path : "/", n);
	buf[n] = '\0';
}

static const char *
shv_xs_basename(const char *path)
{
	return strrchr(path, '/') + 1;
}

int
shv_xs_perm_parse(const char *s, struct shv_xs_perm *perm)
{
	unsigned long v = 0;
	size_t i;

	switch (s[0]) {
	case 'n':
		perm->perms = SHV_XS_PERM_NONE;
		break;
	case 'r':
		perm->perms = SHV_XS_PERM_READ;
		break;
	case 'w':
		perm->perms = SHV_XS_PERM_WRITE;
		break;
	case 'b':
		perm->perms = SHV_XS_PERM_READ | SHV_XS_PERM_WRITE;
		break;
	default:
		return -EINVAL;
	}
	if (!s[1])
		return -EINVAL;
	for (i = 1; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i > 6)
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > SHV_XS_DOMID_MAX)
		return -EINVAL;
	perm->domid = (unsigned int)v;
	return 0;
}

size_t
shv_xs_perm_format(const struct shv_xs_perm *perm, char *buf, size_t size)
{
	static const char letters[] = { 'n', 'r', 'w', 'b' };
	int n = snprintf(buf, size, "%c%u", letters[perm->perms & 3u], perm->domid);

	return n < 0 ? 0 : (size_t)n;
}

unsigned int
shv_xs_perm_for(unsigned int domid, const struct shv_xs_perm *perms, unsigned int n_perms)
{
	const unsigned int all = SHV_XS_PERM_READ | SHV_XS_PERM_WRITE | SHV_XS_PERM_OWNER;
	const unsigned int rw = SHV_XS_PERM_READ | SHV_XS_PERM_WRITE;
	unsigned int i;

	if (domid == 0 || (n_perms && perms[0].domid == domid))
		return all;
	if (!n_perms)
		return SHV_XS_PERM_NONE;
	for (i = 1; i < n_perms; i++)
		if (perms[i].domid == domid)
			return perms[i].perms & rw;
	return perms[0].perms & rw;
}

bool
shv_xs_event_permitted(const struct shv_xs_event *ev, unsigned int domid)
{
	if (!ev->perms || !ev->n_perms)
		return true;
	if (ev->old_perms &&
	    (shv_xs_perm_for(domid, ev->old_perms, ev->n_old_perms) & SHV_XS_PERM_READ))
		return true;
	if (shv_xs_perm_for(domid, ev->perms, ev->n_perms) & SHV_XS_PERM_READ)
		return true;
	return ev->parent_perms &&
	       (shv_xs_perm_for(domid, ev->parent_perms, ev->n_parent_perms) & SHV_XS_PERM_READ);
}

/* ---- node records and the hash map ---------------------------------------------------- */

static void
shv_xs_ndata_free(struct shv_xs_ndata *d)
{
	if (d->value != shv_xs_empty)
		free(d->value);
	free(d->perms);
	if (d->children != (char *)shv_xs_empty)
		free(d->children);
	memset(d, 0, sizeof(*d));
}

static void *
shv_xs_memdup(const void *src, size_t len)
{
	void *p;

	if (!len)
		return shv_xs_empty;
	p = malloc(len);
	if (p)
		memcpy(p, src, len);
	return p;
}

/* Builds a record from copies of the three parts. */
static int
shv_xs_ndata_make(struct shv_xs_ndata *d, const void *val, size_t len,
		  const struct shv_xs_perm *perms, unsigned int n_perms, const char *children,
		  size_t children_len)
{
	memset(d, 0, sizeof(*d));
	d->value = shv_xs_memdup(val, len);
	d->perms = malloc(n_perms * sizeof(*perms));
	d->children = shv_xs_memdup(children, children_len);
	if (!d->value || !d->perms || !d->children) {
		if (!d->value)
			d->value = shv_xs_empty;
		if (!d->children)
			d->children = (char *)shv_xs_empty;
		shv_xs_ndata_free(d);
		return -ENOMEM;
	}
	memcpy(d->perms, perms, n_perms * sizeof(*perms));
	d->len = len;
	d->n_perms = n_perms;
	d->children_len = children_len;
	return 0;
}

static size_t
shv_xs_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ull;
	}
	return (size_t)h;
}

static int
shv_xs_map_init(struct shv_xs_map *m)
{
	m->buckets = calloc(SHV_XS_MAP_MIN_BUCKETS, sizeof(*m->buckets));
	if (!m->buckets)
		return -ENOMEM;
	m->n_buckets = SHV_XS_MAP_MIN_BUCKETS;
	m->count = 0;
	return 0;
}

static struct shv_xs_node *
shv_xs_map_find(const struct shv_xs_map *m, const char *path)
{
	struct shv_xs_node *n = m->buckets[shv_xs_hash(path) & (m->n_buckets - 1)];

	while (n && strcmp(n->path, path))
		n = n->hnext;
	return n;
}

static void
shv_xs_map_grow(struct shv_xs_map *m)
{
	size_t nb = m->n_buckets * 2, i;
	struct shv_xs_node **b = calloc(nb, sizeof(*b));

	/* Without memory the chains just get longer. */
	if (!b)
		return;
	for (i = 0; i < m->n_buckets; i++) {
		struct shv_xs_node *n = m->buckets[i], *next;

		for (; n; n = next) {
			size_t h = shv_xs_hash(n->path) & (nb - 1);

			next = n->hnext;
			n->hnext = b[h];
			b[h] = n;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->n_buckets = nb;
}

static void
shv_xs_map_insert(struct shv_xs_map *m, struct shv_xs_node *n)
{
	size_t h;

	if (m->count >= m->n_buckets)
		shv_xs_map_grow(m);
	h = shv_xs_hash(n->path) & (m->n_buckets - 1);
	n->hnext = m->buckets[h];
	m->buckets[h] = n;
	m->count++;
}

static void
shv_xs_map_remove(struct shv_xs_map *m, struct shv_xs_node *node)
{
	struct shv_xs_node **pp = &m->buckets[shv_xs_hash(node->path) & (m->n_buckets - 1)];

	while (*pp && *pp != node)
		pp = &(*pp)->hnext;
	if (*pp) {
		*pp = node->hnext;
		m->count--;
	}
}

/* ---- the global tree ------------------------------------------------------------------ */

static void
shv_xs_owner_add(struct shv_xs_store *s, const struct shv_xs_ndata *d, int delta)
{
	unsigned int owner = d->perms[0].domid;

	if (owner <= SHV_XS_DOMID_MAX)
		s->owner_nodes[owner] = (uint32_t)((int64_t)s->owner_nodes[owner] + delta);
}

/* Creates or replaces the global node 'path' with 'd' (ownership taken, even on error). */
static int
shv_xs_global_put(struct shv_xs_store *s, const char *path, struct shv_xs_ndata *d)
{
	struct shv_xs_node *n = shv_xs_map_find(&s->map, path);

	if (n) {
		shv_xs_owner_add(s, &n->d, -1);
		shv_xs_ndata_free(&n->d);
	} else {
		n = calloc(1, sizeof(*n));
		if (n)
			n->path = strdup(path);
		if (!n || !n->path) {
			free(n);
			shv_xs_ndata_free(d);
			return -ENOMEM;
		}
		shv_xs_map_insert(&s->map, n);
	}
	n->d = *d;
	n->d.gen = ++s->gen;
	shv_xs_owner_add(s, &n->d, 1);
	return 0;
}

static void
shv_xs_global_del(struct shv_xs_store *s, const char *path)
{
	struct shv_xs_node *n = shv_xs_map_find(&s->map, path);

	if (!n)
		return;
	shv_xs_map_remove(&s->map, n);
	shv_xs_owner_add(s, &n->d, -1);
	s->gen++;
	shv_xs_ndata_free(&n->d);
	free(n->path);
	free(n);
}

static void
shv_xs_emit(struct shv_xs_store *s, const char *path, bool exact, const struct shv_xs_perm *perms,
	    unsigned int n_perms, const struct shv_xs_perm *old_perms, unsigned int n_old_perms)
{
	struct shv_xs_event ev = {
		.path = path,
		.exact = exact,
		.perms = perms,
		.n_perms = n_perms,
		.old_perms = old_perms,
		.n_old_perms = n_old_perms,
	};
	char parent[SHV_XS_PATH_BUF];

	if (!s->event_fn)
		return;
	if (path[0] == '/' && path[1]) {
		const struct shv_xs_node *p;

		shv_xs_parent_of(path, parent);
		p = shv_xs_map_find(&s->map, parent);
		if (p) {
			ev.parent_perms = p->d.perms;
			ev.n_parent_perms = p->d.n_perms;
		}
	}
	s->event_fn(s->event_arg, &ev);
}

/* ---- transactions' overlay ------------------------------------------------------------ */

static void
shv_xs_tnode_free(struct shv_xs_tnode *tn)
{
	if (tn->exists)
		shv_xs_ndata_free(&tn->node.d);
	free(tn->orig_perms);
	free(tn->node.path);
	free(tn);
}

static int
shv_xs_tx_delta(struct shv_xs_tx *tx, unsigned int domid, long delta)
{
	unsigned int i;

	for (i = 0; i < tx->n_deltas; i++) {
		if (tx->deltas[i].domid == domid) {
			tx->deltas[i].nodes += delta;
			return 0;
		}
	}
	if (tx->n_deltas == tx->cap_deltas) {
		unsigned int cap = tx->cap_deltas ? tx->cap_deltas * 2 : 4;
		struct shv_xs_delta *d = realloc(tx->deltas, cap * sizeof(*d));

		if (!d)
			return -ENOMEM;
		tx->deltas = d;
		tx->cap_deltas = cap;
	}
	tx->deltas[tx->n_deltas].domid = domid;
	tx->deltas[tx->n_deltas].nodes = delta;
	tx->n_deltas++;
	return 0;
}

static long
shv_xs_tx_delta_of(const struct shv_xs_tx *tx, unsigned int domid)
{
	unsigned int i;

	for (i = 0; i < tx->n_deltas; i++)
		if (tx->deltas[i].domid == domid)
			return tx->deltas[i].nodes;
	return 0;
}

/* The transaction's node for 'path', created from the global one on first access. */
static int
shv_xs_tnode_get(struct shv_xs_view *v, const char *path, struct shv_xs_tnode **tnp)
{
	struct shv_xs_tx *tx = v->tx;
	struct shv_xs_node *n = shv_xs_map_find(&tx->map, path);
	const struct shv_xs_node *g;
	struct shv_xs_tnode *tn;
	int err;

	if (n) {
		*tnp = (struct shv_xs_tnode *)n;
		return 0;
	}
	if (tx->fail)
		return tx->fail;
	if (!v->priv && tx->map.count >= v->s->limits.tx_nodes) {
		tx->fail = -ENOSPC;
		return -ENOSPC;
	}
	tn = calloc(1, sizeof(*tn));
	if (!tn)
		goto nomem;
	tn->node.path = strdup(path);
	if (!tn->node.path)
		goto nomem;
	g = shv_xs_map_find(&v->s->map, path);
	if (g) {
		err = shv_xs_ndata_make(&tn->node.d, g->d.value, g->d.len, g->d.perms, g->d.n_perms,
					g->d.children, g->d.children_len);
		if (err)
			goto nomem;
		tn->node.d.gen = g->d.gen;
		tn->exists = true;
		tn->seen_gen = g->d.gen;
		tn->orig_perms = malloc(g->d.n_perms * sizeof(*g->d.perms));
		if (!tn->orig_perms)
			goto nomem;
		memcpy(tn->orig_perms, g->d.perms, g->d.n_perms * sizeof(*g->d.perms));
		tn->n_orig_perms = g->d.n_perms;
	} else {
		tn->seen_gen = SHV_XS_NO_GEN;
	}
	shv_xs_map_insert(&tx->map, &tn->node);
	if (tx->last)
		tx->last->next = tn;
	else
		tx->first = tn;
	tx->last = tn;
	*tnp = tn;
	return 0;

nomem:
	if (tn)
		shv_xs_tnode_free(tn);
	tx->fail = -ENOMEM;
	return -ENOMEM;
}

static void
shv_xs_tx_free(struct shv_xs_tx *tx)
{
	struct shv_xs_tnode *tn, *next;

	for (tn = tx->first; tn; tn = next) {
		next = tn->next;
		shv_xs_tnode_free(tn);
	}
	if (tx->prev)
		tx->prev->next = tx->next;
	else
		tx->store->open_txs = tx->next;
	if (tx->next)
		tx->next->prev = tx->prev;
	free(tx->map.buckets);
	free(tx->deltas);
	free(tx);
}

/* ---- views: the same operations on the global tree or through a transaction ---------- */

/* Looks 'path' up; '*dp' is NULL if absent. */
static int
shv_xs_view_get(struct shv_xs_view *v, const char *path, const struct shv_xs_ndata **dp)
{
	const struct shv_xs_node *g;
	struct shv_xs_tnode *tn;
	int err;

	if (!v->tx) {
		g = shv_xs_map_find(&v->s->map, path);
		*dp = g ? &g->d : NULL;
		return 0;
	}
	err = shv_xs_tnode_get(v, path, &tn);
	if (err)
		return err;
	*dp = tn->exists ? &tn->node.d : NULL;
	return 0;
}

/* Stores 'd' (ownership taken, even on error) as 'path'. */
static int
shv_xs_view_set(struct shv_xs_view *v, const char *path, struct shv_xs_ndata *d)
{
	struct shv_xs_tnode *tn = NULL;
	int err;

	if (!v->tx)
		return shv_xs_global_put(v->s, path, d);
	err = shv_xs_tnode_get(v, path, &tn);
	if (!err && tn->exists)
		err = shv_xs_tx_delta(v->tx, tn->node.d.perms[0].domid, -1);
	if (!err)
		err = shv_xs_tx_delta(v->tx, d->perms[0].domid, 1);
	if (err) {
		shv_xs_ndata_free(d);
		v->tx->fail = err;
		return err;
	}
	if (tn->exists)
		shv_xs_ndata_free(&tn->node.d);
	tn->node.d = *d;
	/* A fresh generation lets DIRECTORY_PART inside the transaction notice the change. */
	tn->node.d.gen = ++v->s->gen;
	tn->exists = true;
	tn->modified = true;
	return 0;
}

static int
shv_xs_view_del(struct shv_xs_view *v, const char *path)
{
	struct shv_xs_tnode *tn;
	int err;

	if (!v->tx) {
		shv_xs_global_del(v->s, path);
		return 0;
	}
	err = shv_xs_tnode_get(v, path, &tn);
	if (err)
		return err;
	if (!tn->exists)
		return 0;
	err = shv_xs_tx_delta(v->tx, tn->node.d.perms[0].domid, -1);
	if (err) {
		v->tx->fail = err;
		return err;
	}
	shv_xs_ndata_free(&tn->node.d);
	tn->exists = false;
	tn->modified = true;
	return 0;
}

/* Reports a change now, or at commit inside a transaction. */
static void
shv_xs_view_fire(struct shv_xs_view *v, const char *path, bool exact, const struct shv_xs_ndata *d,
		 const struct shv_xs_perm *old_perms, unsigned int n_old_perms)
{
	struct shv_xs_tnode *tn;

	if (!v->tx) {
		shv_xs_emit(v->s, path, exact, d->perms, d->n_perms, old_perms, n_old_perms);
		return;
	}
	/* The node was touched by the caller already, so this cannot allocate. */
	if (shv_xs_tnode_get(v, path, &tn))
		return;
	tn->exact = tn->fire ? tn->exact && exact : exact;
	tn->fire = true;
}

static long
shv_xs_view_owned(const struct shv_xs_view *v, unsigned int domid)
{
	long n = domid <= SHV_XS_DOMID_MAX ? (long)v->s->owner_nodes[domid] : 0;

	return v->tx ? n + shv_xs_tx_delta_of(v->tx, domid) : n;
}

/*
 * The errno for a node that is missing, as real xenstored's errno_from_parents(): a caller
 * without 'need' on the nearest existing ancestor learns nothing (EACCES), else ENOENT.
 */
static int
shv_xs_view_missing(struct shv_xs_view *v, const char *path, unsigned int need)
{
	char buf[SHV_XS_PATH_BUF];
	const struct shv_xs_ndata *d;
	int err;

	if (path[0] == '@')
		return v->priv ? -ENOENT : -EACCES;
	shv_xs_parent_of(path, buf);
	for (;;) {
		err = shv_xs_view_get(v, buf, &d);
		if (err)
			return err;
		if (d)
			return (shv_xs_perm_for(v->domid, d->perms, d->n_perms) & need) ? -ENOENT
											: -EACCES;
		if (!strcmp(buf, "/"))
			return -EACCES;
		shv_xs_parent_of(buf, buf);
	}
}

/* Looks 'path' up for an access needing 'need'. */
static int
shv_xs_view_get_chk(struct shv_xs_view *v, const char *path, unsigned int need,
		    const struct shv_xs_ndata **dp)
{
	int err = shv_xs_view_get(v, path, dp);

	if (err)
		return err;
	if (!*dp)
		return shv_xs_view_missing(v, path, need);
	if ((shv_xs_perm_for(v->domid, (*dp)->perms, (*dp)->n_perms) & need) != need)
		return -EACCES;
	return 0;
}

/* Adds (add) or removes (!add) child 'name' in the children list of 'parent'. */
static int
shv_xs_view_children(struct shv_xs_view *v, const char *parent, const char *name, bool add)
{
	const struct shv_xs_ndata *pd;
	struct shv_xs_ndata nd;
	size_t nlen = strlen(name) + 1, off;
	char *children;
	int err;

	err = shv_xs_view_get(v, parent, &pd);
	if (err)
		return err;
	if (!pd)
		return -ENOENT;
	children = malloc(pd->children_len + nlen);
	if (!children)
		return -ENOMEM;
	if (add) {
		memcpy(children, pd->children, pd->children_len);
		memcpy(children + pd->children_len, name, nlen);
		off = pd->children_len + nlen;
	} else {
		size_t i = 0;

		off = 0;
		while (i < pd->children_len) {
			size_t l = strlen(pd->children + i) + 1;

			if (strcmp(pd->children + i, name)) {
				memcpy(children + off, pd->children + i, l);
				off += l;
			}
			i += l;
		}
	}
	err = shv_xs_ndata_make(&nd, pd->value, pd->len, pd->perms, pd->n_perms, children, off);
	free(children);
	if (err)
		return err;
	return shv_xs_view_set(v, parent, &nd);
}

/* Creates missing 'path' and its missing ancestors; the caller checked WRITE access. */
static int
shv_xs_view_create(struct shv_xs_view *v, const char *path, const void *val, size_t len)
{
	char buf[SHV_XS_PATH_BUF], cur[SHV_XS_PATH_BUF];
	const struct shv_xs_ndata *d;
	size_t depth = 1, top;
	int err;

	/* Find the nearest existing ancestor and count what is missing below it. */
	shv_xs_parent_of(path, buf);
	for (;;) {
		err = shv_xs_view_get(v, buf, &d);
		if (err)
			return err;
		if (d)
			break;
		if (!strcmp(buf, "/"))
			return -ENOENT;
		depth++;
		shv_xs_parent_of(buf, buf);
	}
	if (!v->priv &&
	    shv_xs_view_owned(v, v->domid) + (long)depth > (long)v->s->limits.nodes_per_domain)
		return -ENOSPC;
	top = strlen(buf);
	/* Walk down from the existing ancestor, one path component at a time. */
	while (depth--) {
		struct shv_xs_ndata nd;
		const struct shv_xs_ndata *pd;
		const char *end;
		size_t clen;

		end = strchr(path + top + 1, '/');
		clen = end ? (size_t)(end - path) : strlen(path);
		memcpy(cur, path, clen);
		cur[clen] = '\0';
		shv_xs_parent_of(cur, buf);
		err = shv_xs_view_get(v, buf, &pd);
		if (err)
			return err;
		if (!pd)
			return -ENOENT;
		err = shv_xs_ndata_make(&nd, depth ? NULL : val, depth ? 0 : len, pd->perms,
					pd->n_perms, NULL, 0);
		if (err)
			return err;
		if (!v->priv)
			nd.perms[0].domid = v->domid;
		err = shv_xs_view_children(v, buf, shv_xs_basename(cur), true);
		if (!err)
			err = shv_xs_view_set(v, cur, &nd);
		else
			shv_xs_ndata_free(&nd);
		if (err)
			return err;
		top = clen;
	}
	return 0;
}

/* Removes 'path' and its subtree, reporting each removed node (descendants exactly). */
static int
shv_xs_view_rm_tree(struct shv_xs_view *v, const char *path, bool root)
{
	const struct shv_xs_ndata *d;
	size_t off = 0, plen = strlen(path);
	char *child;
	int err;

	err = shv_xs_view_get(v, path, &d);
	if (err || !d)
		return err;
	child = malloc(plen + 2 + SHV_XS_ABS_PATH_MAX);
	if (!child)
		return -ENOMEM;
	while (off < d->children_len) {
		const char *name = d->children + off;

		off += strlen(name) + 1;
		snprintf(child, plen + 2 + SHV_XS_ABS_PATH_MAX, "%s/%s",
			 strcmp(path, "/") ? path : "", name);
		/* Removing a child never touches this node's record, so 'd' stays valid. */
		err = shv_xs_view_rm_tree(v, child, false);
		if (err)
			break;
	}
	free(child);
	if (err)
		return err;
	shv_xs_view_fire(v, path, !root, d, NULL, 0);
	return shv_xs_view_del(v, path);
}

/* ---- public operations ---------------------------------------------------------------- */

static int
shv_xs_view_init(struct shv_xs_view *v, struct shv_xs_store *s, struct shv_xs_tx *tx,
		 unsigned int domid, const char *path, bool allow_special)
{
	v->s = s;
	v->tx = tx;
	v->domid = domid;
	v->priv = domid == 0;
	if (!path || !shv_xs_path_valid(path, allow_special))
		return -EINVAL;
	if (tx && tx->domid != domid)
		return -EINVAL;
	return 0;
}

int
shv_xs_store_read(struct shv_xs_store *store, struct shv_xs_tx *tx, unsigned int domid,
		  const char *path, const void **valp, size_t *lenp)
{
	const struct shv_xs_ndata *d;
	struct shv_xs_view v;
	int err;

	err = shv_xs_view_init(&v, store, tx, domid, path, false);
	if (!err)
		err = shv_xs_view_get_chk(&v, path, SHV_XS_PERM_READ, &d);
	if (err)
		return err;
	*valp = d->value;
	*lenp = d->len;
	return 0;
}

int
shv_xs_store_write(struct shv_xs_store *store, struct shv_xs_tx *tx, unsigned int domid,
		   const char *path, const void *val, size_t len)
{
	const struct shv_xs_ndata *d;
	struct shv_xs_ndata nd;
	struct shv_xs_view v;
	int err;

	err = shv_xs_view_init(&v, store, tx, domid, path, false);
	if (err)
		return err;
	if (!v.priv && len > store->limits.value_size)
		return -ENOSPC;
	err = shv_xs_view_get_chk(&v, path, SHV_XS_PERM_WRITE, &d);
	if (err == -ENOENT) {
		err = shv_xs_view_create(&v, path, val, len);
	} else if (!err) {
		err = shv_xs_ndata_make(&nd, val, len, d->perms, d->n_perms, d->children,
					d->children_len);
		if (!err)
			err = shv_xs_view_set(&v, path, &nd);
	}
	if (err)
		return err;
	if (!shv_xs_view_get(&v, path, &d) && d)
		shv_xs_view_fire(&v, path, false, d, NULL, 0);
	return 0;
}

int
shv_xs_store_mkdir(struct shv_xs_store *store, struct shv_xs_tx *tx, unsigned int domid,
		   const char *path)
{
	const struct shv_xs_ndata *d;
	struct shv_xs_view v;
	int err;

	err = shv_xs_view_init(&v, store, tx, domid, path, false);
	if (err)
		return err;
	err = shv_xs_view_get_chk(&v, path, SHV_XS_PERM_WRITE, &d);
	if (err != -ENOENT)
		return err;
	err = shv_xs_view_create(&v, path, NULL, 0);
	if (err)
		return err;
	if (!shv_xs_view_get(&v, path, &d) && d)
		shv_xs_view_fire(&v, path, false, d, NULL, 0);
	return 0;
}

int
shv_xs_store_rm(struct shv_xs_store *store, struct shv_xs_tx *tx, unsigned int domid,
		const char *path)
{
	char parent[SHV_XS_PATH_BUF];
	const struct shv_xs_ndata *d;
	struct shv_xs_view v;
	int err;

	err = shv_xs_view_init(&v, store, tx, domid, path, false);
	if (err)
		return err;
	err = shv_xs_view_get_chk(&v, path, SHV_XS_PERM_WRITE, &d);
	if (err == -ENOENT) {
		/* Already gone is fine, as long as the parent is there. */
		shv_xs_parent_of(path, parent);
		err = shv_xs_view_get(&v, parent, &d);
		return err ? err : d ? 0 : -ENOENT;
	}
	if (err)
		return err;
	if (!strcmp(path, "/"))
		return -EINVAL;
	err = shv_xs_view_rm_tree(&v, path, true);
	if (err)
		return err;
	shv_xs_parent_of(path, parent);
	return shv_xs_view_children(&v, parent, shv_xs_basename(path), false);
}

int
shv_xs_store_directory(struct shv_xs_store *store, struct shv_xs_tx *tx, unsigned int domid,
		       const char *path, const char **childrenp, size_t *lenp, uint64_t *genp)
{
	const struct shv_xs_ndata *d;
	struct shv_xs_view v;
	int err;

	err = shv_xs_view_init(&v, store, tx, domid, path, false);
	if (!err)
		err = shv_xs_view_get_chk(&v, path, SHV_XS_PERM_READ, &d);
	if (err)
		return err;
	*childrenp = d->children;
	*lenp = d->children_len;
	if (genp)
		*genp = d->gen;
	return 0;
}

int
shv_xs_store_get_perms(struct shv_xs_store *store, struct shv_xs_tx *tx, unsigned int domid,
		       const char *path, const struct shv_xs_perm **permsp, unsigned int *np)
{
	const struct shv_xs_ndata *d;
	struct shv_xs_view v;
	int err;

	err = shv_xs_view_init(&v, store, tx, domid, path, true);
	if (!err)
		err = shv_xs_view_get_chk(&v, path, SHV_XS_PERM_READ, &d);
	if (err)
		return err;
	*permsp = d->perms;
	*np = d->n_perms;
	return 0;
}

int
shv_xs_store_set_perms(struct shv_xs_store *store, struct shv_xs_tx *tx, unsigned int domid,
		       const char *path, const struct shv_xs_perm *perms, unsigned int n_perms)
{
	const struct shv_xs_ndata *d;
	struct shv_xs_perm *old = NULL;
	struct shv_xs_ndata nd;
	struct shv_xs_view v;
	unsigned int i, n_old = 0;
	int err;

	err = shv_xs_view_init(&v, store, tx, domid, path, true);
	if (err)
		return err;
	if (!perms || n_perms == 0)
		return -EINVAL;
	for (i = 0; i < n_perms; i++)
		if (perms[i].domid > SHV_XS_DOMID_MAX ||
		    (perms[i].perms & ~(SHV_XS_PERM_READ | SHV_XS_PERM_WRITE)))
			return -EINVAL;
	if (!v.priv && n_perms > store->limits.perms_per_node)
		return -ENOSPC;
	err = shv_xs_view_get_chk(&v, path, SHV_XS_PERM_WRITE | SHV_XS_PERM_OWNER, &d);
	if (err)
		return err;
	if (!v.priv && perms[0].domid != d->perms[0].domid)
		return -EACCES;
	if (!tx) {
		/* Watchers that lose access must still hear about it: keep the old set. */
		old = malloc(d->n_perms * sizeof(*old));
		if (!old)
			return -ENOMEM;
		memcpy(old, d->perms, d->n_perms * sizeof(*old));
		n_old = d->n_perms;
	}
	err = shv_xs_ndata_make(&nd, d->value, d->len, perms, n_perms, d->children,
				d->children_len);
	if (!err)
		err = shv_xs_view_set(&v, path, &nd);
	if (!err && !shv_xs_view_get(&v, path, &d) && d)
		shv_xs_view_fire(&v, path, false, d, old, n_old);
	free(old);
	return err;
}

int
shv_xs_store_tx_begin(struct shv_xs_store *store, unsigned int domid, struct shv_xs_tx **txp)
{
	struct shv_xs_tx *tx = calloc(1, sizeof(*tx));

	if (!tx)
		return -ENOMEM;
	if (shv_xs_map_init(&tx->map)) {
		free(tx);
		return -ENOMEM;
	}
	tx->store = store;
	tx->domid = domid;
	tx->next = store->open_txs;
	if (tx->next)
		tx->next->prev = tx;
	store->open_txs = tx;
	*txp = tx;
	return 0;
}

static int
shv_xs_tx_check(struct shv_xs_store *s, struct shv_xs_tx *tx)
{
	const struct shv_xs_tnode *tn;
	long delta;

	if (tx->fail)
		return tx->fail;
	/* Quota first, as xenstored's acc_fix_domains() runs before its conflict check. */
	delta = shv_xs_tx_delta_of(tx, tx->domid);
	if (tx->domid != 0 && tx->domid <= SHV_XS_DOMID_MAX && delta > 0 &&
	    (long)s->owner_nodes[tx->domid] + delta > (long)s->limits.nodes_per_domain)
		return -ENOSPC;
	for (tn = tx->first; tn; tn = tn->next) {
		const struct shv_xs_node *g = shv_xs_map_find(&s->map, tn->node.path);

		if ((g ? g->d.gen : SHV_XS_NO_GEN) != tn->seen_gen)
			return -EAGAIN;
	}
	return 0;
}

int
shv_xs_store_tx_end(struct shv_xs_store *store, struct shv_xs_tx *tx, bool commit)
{
	struct shv_xs_tnode *tn;
	int err;

	if (!commit) {
		shv_xs_tx_free(tx);
		return 0;
	}
	err = shv_xs_tx_check(store, tx);
	if (err) {
		shv_xs_tx_free(tx);
		return err;
	}
	for (tn = tx->first; tn; tn = tn->next) {
		if (!tn->modified)
			continue;
		if (tn->exists) {
			/* The record moves to the global tree; a failed put frees it. */
			err = shv_xs_global_put(store, tn->node.path, &tn->node.d);
			tn->exists = false;
			if (err)
				break;
		} else {
			shv_xs_global_del(store, tn->node.path);
		}
	}
	/* Report only once the whole transaction is visible, in the order it happened. */
	for (tn = tx->first; tn; tn = tn->next) {
		const struct shv_xs_node *g;

		if (!tn->fire)
			continue;
		g = shv_xs_map_find(&store->map, tn->node.path);
		if (g)
			shv_xs_emit(store, tn->node.path, tn->exact, g->d.perms, g->d.n_perms,
				    tn->orig_perms, tn->n_orig_perms);
		else if (tn->orig_perms)
			shv_xs_emit(store, tn->node.path, tn->exact, tn->orig_perms,
				    tn->n_orig_perms, NULL, 0);
	}
	shv_xs_tx_free(tx);
	return err;
}

/* ---- life cycle ----------------------------------------------------------------------- */

void
shv_xs_store_fire_special(struct shv_xs_store *store, const char *name)
{
	shv_xs_emit(store, name, true, NULL, 0, NULL, 0);
}

unsigned int
shv_xs_store_domain_nodes(const struct shv_xs_store *store, unsigned int domid)
{
	return domid <= SHV_XS_DOMID_MAX ? store->owner_nodes[domid] : 0;
}

size_t
shv_xs_store_node_count(const struct shv_xs_store *store)
{
	return store->map.count;
}

const struct shv_xs_limits *
shv_xs_store_limits(const struct shv_xs_store *store)
{
	return &store->limits;
}

void
shv_xs_store_set_event_fn(struct shv_xs_store *store, shv_xs_event_fn *fn, void *arg)
{
	store->event_fn = fn;
	store->event_arg = arg;
}

static int
shv_xs_store_seed(struct shv_xs_store *s)
{
	static const char *const paths[] = {
		"/", "/local", "/local/domain", "/local/domain/0", "/tool", "/tool/xenstored",
	};
	static const char *const specials[] = { "@introduceDomain", "@releaseDomain" };
	const struct shv_xs_perm perm = { .domid = 0, .perms = SHV_XS_PERM_NONE };
	struct shv_xs_view v = { .s = s, .domid = 0, .priv = true };
	struct shv_xs_ndata nd;
	size_t i;
	int err;

	err = shv_xs_ndata_make(&nd, NULL, 0, &perm, 1, NULL, 0);
	if (!err)
		err = shv_xs_global_put(s, "/", &nd);
	for (i = 1; !err && i < sizeof(paths) / sizeof(paths[0]); i++)
		err = shv_xs_view_create(&v, paths[i], NULL, 0);
	for (i = 0; !err && i < sizeof(specials) / sizeof(specials[0]); i++) {
		err = shv_xs_ndata_make(&nd, NULL, 0, &perm, 1, NULL, 0);
		if (!err)
			err = shv_xs_global_put(s, specials[i], &nd);
	}
	return err;
}

int
shv_xs_store_create(struct shv_xs_store **storep, const struct shv_xs_limits *limits)
{
	const struct shv_xs_limits defaults = {
		.nodes_per_domain = 1000,
		.value_size = 2048,
		.perms_per_node = 5,
		.tx_nodes = 1024,
		.watches_per_conn = 128,
		.tx_per_conn = 10,
	};
	struct shv_xs_store *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->limits = defaults;
	if (limits) {
		if (limits->nodes_per_domain)
			s->limits.nodes_per_domain = limits->nodes_per_domain;
		if (limits->value_size)
			s->limits.value_size = limits->value_size;
		if (limits->perms_per_node)
			s->limits.perms_per_node = limits->perms_per_node;
		if (limits->tx_nodes)
			s->limits.tx_nodes = limits->tx_nodes;
		if (limits->watches_per_conn)
			s->limits.watches_per_conn = limits->watches_per_conn;
		if (limits->tx_per_conn)
			s->limits.tx_per_conn = limits->tx_per_conn;
	}
	s->owner_nodes = calloc(SHV_XS_DOMID_MAX + 1, sizeof(*s->owner_nodes));
	err = s->owner_nodes ? shv_xs_map_init(&s->map) : -ENOMEM;
	if (!err)
		err = shv_xs_store_seed(s);
	if (err) {
		shv_xs_store_destroy(s);
		return err;
	}
	*storep = s;
	return 0;
}

void
shv_xs_store_destroy(struct shv_xs_store *store)
{
	size_t i;

	if (!store)
		return;
	while (store->open_txs)
		shv_xs_tx_free(store->open_txs);
	for (i = 0; store->map.buckets && i < store->map.n_buckets; i++) {
		struct shv_xs_node *n = store->map.buckets[i], *next;

		for (; n; n = next) {
			next = n->hnext;
			shv_xs_ndata_free(&n->d);
			free(n->path);
			free(n);
		}
	}
	free(store->map.buckets);
	free(store->owner_nodes);
	free(store);
}
