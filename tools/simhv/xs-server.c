/* SPDX-License-Identifier: MIT */
/*
 * xs-server.c - nb-simhv's xenstored (see xs-server.h): listening sockets, connections,
 * message framing, request dispatch onto the store (xs-store.c), replies, watches and the
 * domain bookkeeping behind INTRODUCE/RELEASE. Request semantics follow real xenstored
 * (tools/xenstored/core.c, watch.c, domain.c in xen.git) wherever the store is not involved.
 *
 * Connections that the server closes while it is iterating (an event fan-out overflowing a
 * watcher's queue, RELEASE of a domain from another connection's request) are only marked
 * dead; socket ones are freed at the end of the current entry point ("settle").
 */
#include "tools/simhv/xs-server.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>

#define SHV_XS_HDR_SIZE	   sizeof(struct xsd_sockmsg)
#define SHV_XS_PATH_BUF	   (SHV_XS_ABS_PATH_MAX + 1)
#define SHV_XS_READ_CHUNK  16384
#define SHV_XS_READS_MAX   16 /* reads per wakeup, so one busy client cannot starve others */
#define SHV_XS_LISTEN_BACK 64

struct shv_xs_watch {
	struct shv_xs_watch *next;
	char *path;	   /* canonical (or special) */
	char *token;	   /* as sent */
	size_t prefix_len; /* stripped from event paths: the watch was relative */
};

struct shv_xs_txslot {
	struct shv_xs_txslot *next;
	uint32_t id;	      /* the wire tx_id */
	struct shv_xs_tx *tx; /* the store's transaction */
};

struct shv_xs_conn {
	struct shv_xs *xs;
	struct shv_xs_conn *prev, *next; /* xs->conns, or xs->zombies once dead (sockets) */
	unsigned int domid;		 /* identity: 0 privileged */
	int fd;				 /* -1: in memory */
	bool dead;			 /* no longer served */
	int dead_err;			 /* why: -EPROTO, -ENOBUFS, -ENOTCONN, ... */
	bool want_out;			 /* EPOLLOUT armed */

	struct xsd_sockmsg hdr;			/* request being read */
	size_t hdr_used;			/* bytes of hdr read */
	char payload[XENSTORE_PAYLOAD_MAX + 1]; /* its payload, NUL appended */
	size_t payload_used;			/* bytes of payload read */

	uint8_t *out;	/* queued output */
	size_t out_off; /* first unsent byte */
	size_t out_len; /* end of queued bytes */
	size_t out_cap; /* allocated */

	struct shv_xs_watch *watches; /* registered watches */
	unsigned int n_watches;	      /* entries in watches */
	struct shv_xs_txslot *txs;    /* open transactions */
	unsigned int n_txs;	      /* entries in txs */
	uint32_t next_tx_id;	      /* next id to try */
};

struct shv_xs_listener {
	struct shv_xs *xs;
	int fd;		    /* -1: none */
	unsigned int domid; /* identity of accepted connections */
	char *path;	    /* socket file */
};

struct shv_xs_dom {
	struct shv_xs_dom *next;
	unsigned int domid;
	struct shv_xs_listener lis; /* <dir>/dom<domid>.socket */
};

struct shv_xs {
	struct vsw_loop *loop;	      /* NULL without sockets */
	char *dir;		      /* NULL without sockets */
	struct shv_xs_hooks hooks;    /* from the embedder */
	void *arg;		      /* for the hooks */
	struct shv_xs_store *store;   /* the database */
	struct shv_xs_listener dom0;  /* <dir>/socket */
	struct shv_xs_dom *doms;      /* introduced guest domains */
	struct shv_xs_conn *conns;    /* served and dead in-memory connections */
	struct shv_xs_conn *zombies;  /* dead socket connections, freed on settle */
	unsigned int n_live;	      /* connections being served */
	char rbuf[SHV_XS_READ_CHUNK]; /* socket read buffer */
};

/* ---- connections: life cycle and output ---------------------------------------------- */

static void
shv_xs_list_del(struct shv_xs_conn **head, struct shv_xs_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void
shv_xs_list_add(struct shv_xs_conn **head, struct shv_xs_conn *c)
{
	c->prev = NULL;
	c->next = *head;
	if (*head)
		(*head)->prev = c;
	*head = c;
}

static void
shv_xs_conn_drop_state(struct shv_xs_conn *c)
{
	while (c->watches) {
		struct shv_xs_watch *w = c->watches;

		c->watches = w->next;
		free(w->path);
		free(w->token);
		free(w);
	}
	c->n_watches = 0;
	while (c->txs) {
		struct shv_xs_txslot *t = c->txs;

		c->txs = t->next;
		shv_xs_store_tx_end(c->xs->store, t->tx, false);
		free(t);
	}
	c->n_txs = 0;
}

/* Stops serving 'c'; it stays allocated until settle (socket) or conn_close (memory). */
static void
shv_xs_conn_kill(struct shv_xs_conn *c, int err)
{
	struct shv_xs *xs = c->xs;

	if (c->dead)
		return;
	c->dead = true;
	c->dead_err = err;
	xs->n_live--;
	shv_xs_conn_drop_state(c);
	if (c->fd >= 0) {
		vsw_loop_del(xs->loop, c->fd);
		close(c->fd);
		c->fd = -1;
		shv_xs_list_del(&xs->conns, c);
		shv_xs_list_add(&xs->zombies, c);
	}
}

static void
shv_xs_conn_free(struct shv_xs_conn *c)
{
	free(c->out);
	free(c);
}

static int
shv_xs_conn_new(struct shv_xs *xs, unsigned int domid, int fd, struct shv_xs_conn **cp)
{
	struct shv_xs_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->xs = xs;
	c->domid = domid;
	c->fd = fd;
	c->next_tx_id = 1;
	shv_xs_list_add(&xs->conns, c);
	xs->n_live++;
	*cp = c;
	return 0;
}

/* Appends one message; a client that lets too much pile up is disconnected. */
static void
shv_xs_conn_queue(struct shv_xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
		  const void *p1, size_t l1, const void *p2, size_t l2)
{
	struct xsd_sockmsg hdr = {
		.type = type, .req_id = req_id, .tx_id = tx_id, .len = (uint32_t)(l1 + l2)
	};
	size_t n = SHV_XS_HDR_SIZE + l1 + l2;

	if (c->dead)
		return;
	if (c->out_len - c->out_off + n > SHV_XS_OUTPUT_MAX) {
		shv_xs_conn_kill(c, -ENOBUFS);
		return;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + n > c->out_cap && c->out_off) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		uint8_t *p;

		while (cap < c->out_len + n)
			cap *= 2;
		p = realloc(c->out, cap);
		if (!p) {
			shv_xs_conn_kill(c, -ENOMEM);
			return;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, &hdr, SHV_XS_HDR_SIZE);
	if (l1)
		memcpy(c->out + c->out_len + SHV_XS_HDR_SIZE, p1, l1);
	if (l2)
		memcpy(c->out + c->out_len + SHV_XS_HDR_SIZE + l1, p2, l2);
	c->out_len += n;
}

static void shv_xs_reply(struct shv_xs_conn *c, const struct xsd_sockmsg *req, const void *data,
			 size_t len);

static void
shv_xs_error(struct shv_xs_conn *c, const struct xsd_sockmsg *req, int err)
{
	const char *name = "EINVAL";
	size_t i;

	for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++) {
		if (xsd_errors[i].errnum == -err) {
			name = xsd_errors[i].errstring;
			break;
		}
	}
	shv_xs_conn_queue(c, XS_ERROR, req->req_id, req->tx_id, name, strlen(name) + 1, NULL, 0);
}

static void
shv_xs_reply(struct shv_xs_conn *c, const struct xsd_sockmsg *req, const void *data, size_t len)
{
	if (len > XENSTORE_PAYLOAD_MAX) {
		shv_xs_error(c, req, -E2BIG);
		return;
	}
	shv_xs_conn_queue(c, req->type, req->req_id, req->tx_id, data, len, NULL, 0);
}

static void
shv_xs_ack(struct shv_xs_conn *c, const struct xsd_sockmsg *req)
{
	shv_xs_reply(c, req, "OK", 3);
}

static void
shv_xs_send_event(struct shv_xs_conn *c, const char *path, const char *token)
{
	size_t lp = strlen(path) + 1, lt = strlen(token) + 1;

	/* Like xenstored, an event that cannot be framed is not sent at all. */
	if (lp + lt > XENSTORE_PAYLOAD_MAX)
		return;
	shv_xs_conn_queue(c, XS_WATCH_EVENT, 0, 0, path, lp, token, lt);
}

/* Sends what the socket takes; arms EPOLLOUT for the rest. */
static void
shv_xs_conn_flush(struct shv_xs_conn *c)
{
	bool want;

	if (c->dead || c->fd < 0)
		return;
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->out_off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else {
			shv_xs_conn_kill(c, -EPIPE);
			return;
		}
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	want = c->out_len != 0;
	if (want != c->want_out &&
	    !vsw_loop_mod(c->xs->loop, c->fd, want ? EPOLLIN | EPOLLOUT : EPOLLIN))
		c->want_out = want;
}

/* End of an entry point: push queued output to sockets, free dead socket connections. */
static void
shv_xs_settle(struct shv_xs *xs)
{
	struct shv_xs_conn *c, *next;

	for (c = xs->conns; c; c = next) {
		next = c->next;
		if (c->fd >= 0 && !c->want_out && c->out_len > c->out_off)
			shv_xs_conn_flush(c);
	}
	while (xs->zombies) {
		c = xs->zombies;
		shv_xs_list_del(&xs->zombies, c);
		shv_xs_conn_free(c);
	}
}

/* ---- watches -------------------------------------------------------------------------- */

static void
shv_xs_on_event(void *arg, const struct shv_xs_event *ev)
{
	struct shv_xs *xs = arg;
	struct shv_xs_conn *c, *next;

	for (c = xs->conns; c; c = next) {
		struct shv_xs_watch *w;
		int permitted = -1;

		next = c->next;
		for (w = c->watches; w; w = w->next) {
			bool match = ev->exact || ev->path[0] == '@'
					     ? !strcmp(ev->path, w->path)
					     : shv_xs_path_is_child(ev->path, w->path);

			if (!match)
				continue;
			if (permitted < 0)
				permitted = shv_xs_event_permitted(ev, c->domid);
			if (!permitted)
				break;
			shv_xs_send_event(c, ev->path + w->prefix_len, w->token);
			/* An overflow just freed the watches. */
			if (c->dead)
				break;
		}
	}
}

/* ---- request parsing helpers ---------------------------------------------------------- */

/* The payload as one NUL-terminated string (exactly one NUL, at the end), else NULL. */
static const char *
shv_xs_onearg(const char *p, size_t len)
{
	if (!len || memchr(p, '\0', len) != p + len - 1)
		return NULL;
	return p;
}

/* Splits a payload that must be NUL-terminated strings only; returns their number (up to
 * 'max' stored in 'vec'), or -1 if the payload does not end with a NUL. */
static int
shv_xs_strings(const char *p, size_t len, const char **vec, int max)
{
	size_t off = 0;
	int n = 0;

	if (!len || p[len - 1] != '\0')
		return -1;
	while (off < len) {
		if (n < max)
			vec[n] = p + off;
		n++;
		off += strlen(p + off) + 1;
	}
	return n;
}

static int
shv_xs_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (!s || !s[0])
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 10)
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static struct shv_xs_dom *
shv_xs_dom_find(const struct shv_xs *xs, unsigned int domid)
{
	struct shv_xs_dom *d;

	for (d = xs->doms; d; d = d->next)
		if (d->domid == domid)
			return d;
	return NULL;
}

/* ---- request handlers: each returns 0 (reply queued) or -errno ------------------------ */

struct shv_xs_req {
	struct shv_xs_conn *c;
	const struct xsd_sockmsg *hdr;
	const char *p;	      /* payload, NUL appended */
	size_t len;	      /* payload bytes */
	struct shv_xs_tx *tx; /* transaction named by hdr->tx_id, or NULL */
};

static int
shv_xs_resolve(const struct shv_xs_req *r, const char *in, bool special, char *out, size_t *prefix)
{
	return shv_xs_path_resolve(r->c->domid, in, special, out, SHV_XS_PATH_BUF, prefix);
}

static int
shv_xs_do_read(const struct shv_xs_req *r)
{
	char path[SHV_XS_PATH_BUF];
	const void *val;
	size_t len;
	int err;

	err = shv_xs_resolve(r, shv_xs_onearg(r->p, r->len), false, path, NULL);
	if (!err)
		err = shv_xs_store_read(r->c->xs->store, r->tx, r->c->domid, path, &val, &len);
	if (!err)
		shv_xs_reply(r->c, r->hdr, val, len);
	return err;
}

static int
shv_xs_do_write(const struct shv_xs_req *r)
{
	char path[SHV_XS_PATH_BUF];
	const char *nul = memchr(r->p, '\0', r->len);
	size_t off;
	int err;

	if (!nul)
		return -EINVAL;
	off = (size_t)(nul - r->p) + 1;
	err = shv_xs_resolve(r, r->p, false, path, NULL);
	if (!err)
		err = shv_xs_store_write(r->c->xs->store, r->tx, r->c->domid, path, r->p + off,
					 r->len - off);
	if (!err)
		shv_xs_ack(r->c, r->hdr);
	return err;
}

static int
shv_xs_do_mkdir_rm(const struct shv_xs_req *r)
{
	char path[SHV_XS_PATH_BUF];
	int err;

	err = shv_xs_resolve(r, shv_xs_onearg(r->p, r->len), false, path, NULL);
	if (err)
		return err;
	if (r->hdr->type == XS_MKDIR)
		err = shv_xs_store_mkdir(r->c->xs->store, r->tx, r->c->domid, path);
	else
		err = shv_xs_store_rm(r->c->xs->store, r->tx, r->c->domid, path);
	if (!err)
		shv_xs_ack(r->c, r->hdr);
	return err;
}

static int
shv_xs_do_directory(const struct shv_xs_req *r)
{
	char path[SHV_XS_PATH_BUF];
	const char *children;
	size_t len;
	int err;

	err = shv_xs_resolve(r, shv_xs_onearg(r->p, r->len), false, path, NULL);
	if (!err)
		err = shv_xs_store_directory(r->c->xs->store, r->tx, r->c->domid, path, &children,
					     &len, NULL);
	if (!err)
		shv_xs_reply(r->c, r->hdr, children, len);
	return err;
}

/* DIRECTORY_PART "path\0offset\0" -> "<generation>\0" + names from offset, with an extra
 * "\0" once the list is complete (the format libxenstore's xs_directory_part() expects). */
static int
shv_xs_do_directory_part(const struct shv_xs_req *r)
{
	char path[SHV_XS_PATH_BUF], data[XENSTORE_PAYLOAD_MAX];
	const char *vec[2], *children;
	unsigned long off;
	size_t clen, genlen, len = 0, maxlen;
	uint64_t gen;
	int err;

	if (shv_xs_strings(r->p, r->len, vec, 2) != 2 ||
	    shv_xs_parse_uint(vec[1], UINT32_MAX, &off))
		return -EINVAL;
	err = shv_xs_resolve(r, vec[0], false, path, NULL);
	if (!err)
		err = shv_xs_store_directory(r->c->xs->store, r->tx, r->c->domid, path, &children,
					     &clen, &gen);
	if (err)
		return err;
	genlen = (size_t)snprintf(data, sizeof(data), "%" PRIu64, gen) + 1;
	if (off >= clen) {
		data[genlen] = '\0';
		shv_xs_reply(r->c, r->hdr, data, genlen + 1);
		return 0;
	}
	maxlen = XENSTORE_PAYLOAD_MAX - genlen - 1;
	/* 'off' may point into the middle of a name: it is still a NUL-terminated string. */
	while (len + strlen(children + off + len) < maxlen) {
		len += strlen(children + off + len) + 1;
		if (off + len == clen)
			break;
	}
	memcpy(data + genlen, children + off, len);
	if (off + len == clen)
		data[genlen + len++] = '\0';
	shv_xs_reply(r->c, r->hdr, data, genlen + len);
	return 0;
}

static int
shv_xs_do_get_perms(const struct shv_xs_req *r)
{
	char path[SHV_XS_PATH_BUF], data[XENSTORE_PAYLOAD_MAX + 16];
	const struct shv_xs_perm *perms;
	unsigned int n, i;
	size_t len = 0;
	int err;

	err = shv_xs_resolve(r, shv_xs_onearg(r->p, r->len), true, path, NULL);
	if (!err)
		err = shv_xs_store_get_perms(r->c->xs->store, r->tx, r->c->domid, path, &perms, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (len + 16 > sizeof(data))
			return -E2BIG;
		len += shv_xs_perm_format(&perms[i], data + len, sizeof(data) - len) + 1;
	}
	shv_xs_reply(r->c, r->hdr, data, len);
	return 0;
}

static int
shv_xs_do_set_perms(const struct shv_xs_req *r)
{
	char path[SHV_XS_PATH_BUF];
	struct shv_xs_perm *perms;
	const char *s;
	int n, i, err;

	n = shv_xs_strings(r->p, r->len, NULL, 0);
	if (n < 2)
		return -EINVAL;
	err = shv_xs_resolve(r, r->p, true, path, NULL);
	if (err)
		return err;
	perms = calloc((size_t)n - 1, sizeof(*perms));
	if (!perms)
		return -ENOMEM;
	s = r->p + strlen(r->p) + 1;
	for (i = 0; i < n - 1 && !err; i++, s += strlen(s) + 1)
		err = shv_xs_perm_parse(s, &perms[i]);
	if (!err)
		err = shv_xs_store_set_perms(r->c->xs->store, r->tx, r->c->domid, path, perms,
					     (unsigned int)n - 1);
	free(perms);
	if (!err)
		shv_xs_ack(r->c, r->hdr);
	return err;
}

static int
shv_xs_do_watch(const struct shv_xs_req *r)
{
	struct shv_xs_conn *c = r->c;
	char path[SHV_XS_PATH_BUF];
	struct shv_xs_watch *w, **tail;
	const char *vec[2];
	size_t prefix;
	int err;

	if (shv_xs_strings(r->p, r->len, vec, 2) != 2)
		return -EINVAL;
	err = shv_xs_resolve(r, vec[0], true, path, &prefix);
	if (err)
		return err;
	for (tail = &c->watches; *tail; tail = &(*tail)->next) {
		w = *tail;
		if (!strcmp(w->path, path) && !strcmp(w->token, vec[1]))
			return -EEXIST;
	}
	if (c->domid != 0 && c->n_watches >= shv_xs_store_limits(c->xs->store)->watches_per_conn)
		return -E2BIG;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->path = strdup(path);
	w->token = strdup(vec[1]);
	if (!w->path || !w->token) {
		free(w->path);
		free(w->token);
		free(w);
		return -ENOMEM;
	}
	w->prefix_len = prefix;
	*tail = w;
	c->n_watches++;
	shv_xs_ack(c, r->hdr);
	/* Fires once right away, after the reply: clients re-read state on any event. The
	 * reply may have overflowed the queue, which freed the watch. */
	if (!c->dead)
		shv_xs_send_event(c, w->path + w->prefix_len, w->token);
	return 0;
}

static int
shv_xs_do_unwatch(const struct shv_xs_req *r)
{
	struct shv_xs_conn *c = r->c;
	char path[SHV_XS_PATH_BUF];
	struct shv_xs_watch **pp;
	const char *vec[2];
	int err;

	if (shv_xs_strings(r->p, r->len, vec, 2) != 2)
		return -EINVAL;
	err = shv_xs_resolve(r, vec[0], true, path, NULL);
	if (err)
		return err;
	for (pp = &c->watches; *pp; pp = &(*pp)->next) {
		struct shv_xs_watch *w = *pp;

		if (!strcmp(w->path, path) && !strcmp(w->token, vec[1])) {
			*pp = w->next;
			free(w->path);
			free(w->token);
			free(w);
			c->n_watches--;
			shv_xs_ack(c, r->hdr);
			return 0;
		}
	}
	return -ENOENT;
}

static struct shv_xs_txslot *
shv_xs_tx_find(const struct shv_xs_conn *c, uint32_t id)
{
	struct shv_xs_txslot *t;

	for (t = c->txs; t; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

static int
shv_xs_do_tx_start(const struct shv_xs_req *r)
{
	struct shv_xs_conn *c = r->c;
	struct shv_xs_txslot *t;
	char id[16];
	int err;

	if (r->tx)
		return -EBUSY;
	if (c->domid != 0 && c->n_txs >= shv_xs_store_limits(c->xs->store)->tx_per_conn)
		return -ENOSPC;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	err = shv_xs_store_tx_begin(c->xs->store, c->domid, &t->tx);
	if (err) {
		free(t);
		return err;
	}
	do {
		t->id = c->next_tx_id++;
	} while (t->id == 0 || shv_xs_tx_find(c, t->id));
	t->next = c->txs;
	c->txs = t;
	c->n_txs++;
	shv_xs_reply(c, r->hdr, id, (size_t)snprintf(id, sizeof(id), "%" PRIu32, t->id) + 1);
	return 0;
}

static int
shv_xs_do_tx_end(const struct shv_xs_req *r)
{
	struct shv_xs_conn *c = r->c;
	const char *arg = shv_xs_onearg(r->p, r->len);
	struct shv_xs_txslot **pp, *t;
	int err;

	if (!arg || (strcmp(arg, "T") && strcmp(arg, "F")))
		return -EINVAL;
	if (!r->tx)
		return -ENOENT;
	for (pp = &c->txs; *pp && (*pp)->tx != r->tx; pp = &(*pp)->next)
		;
	t = *pp;
	if (!t)
		return -ENOENT;
	*pp = t->next;
	c->n_txs--;
	err = shv_xs_store_tx_end(c->xs->store, t->tx, arg[0] == 'T');
	free(t);
	if (!err)
		shv_xs_ack(c, r->hdr);
	return err;
}

static int
shv_xs_onearg_domid(const struct shv_xs_req *r, unsigned long max, unsigned long *domid)
{
	return shv_xs_parse_uint(shv_xs_onearg(r->p, r->len), max, domid);
}

static int shv_xs_dom_open(struct shv_xs *xs, unsigned int domid);
static void shv_xs_dom_close(struct shv_xs *xs, struct shv_xs_dom *d);

static int
shv_xs_do_introduce(const struct shv_xs_req *r)
{
	struct shv_xs *xs = r->c->xs;
	const char *vec[3];
	unsigned long domid, port;
	int err;

	if (shv_xs_strings(r->p, r->len, vec, 3) < 3 ||
	    shv_xs_parse_uint(vec[0], SHV_XS_DOMID_MAX, &domid) || domid == 0 ||
	    shv_xs_parse_uint(vec[2], UINT32_MAX, &port) || port == 0)
		return -EINVAL;
	if (xs->hooks.domain_exists && !xs->hooks.domain_exists(xs->arg, (unsigned int)domid))
		return -EINVAL;
	if (!shv_xs_dom_find(xs, (unsigned int)domid)) {
		err = shv_xs_dom_open(xs, (unsigned int)domid);
		if (err)
			return err;
		shv_xs_store_fire_special(xs->store, "@introduceDomain");
	}
	shv_xs_ack(r->c, r->hdr);
	return 0;
}

static int
shv_xs_do_release_resume(const struct shv_xs_req *r)
{
	struct shv_xs *xs = r->c->xs;
	struct shv_xs_dom *d;
	unsigned long domid;

	if (shv_xs_onearg_domid(r, SHV_XS_DOMID_MAX, &domid) || domid == 0)
		return -EINVAL;
	d = shv_xs_dom_find(xs, (unsigned int)domid);
	if (!d)
		return -ENOENT;
	if (r->hdr->type == XS_RELEASE) {
		shv_xs_dom_close(xs, d);
		shv_xs_store_fire_special(xs->store, "@releaseDomain");
	}
	shv_xs_ack(r->c, r->hdr);
	return 0;
}

static int
shv_xs_do_is_introduced(const struct shv_xs_req *r)
{
	unsigned long domid;

	if (shv_xs_onearg_domid(r, UINT16_MAX, &domid))
		return -EINVAL;
	shv_xs_reply(r->c, r->hdr,
		     shv_xs_domain_is_introduced(r->c->xs, (unsigned int)domid) ? "T" : "F", 2);
	return 0;
}

static int
shv_xs_do_get_domain_path(const struct shv_xs_req *r)
{
	unsigned long domid;
	char path[32];
	int n;

	if (shv_xs_onearg_domid(r, UINT16_MAX, &domid))
		return -EINVAL;
	n = snprintf(path, sizeof(path), "/local/domain/%lu", domid);
	shv_xs_reply(r->c, r->hdr, path, (size_t)n + 1);
	return 0;
}

static int
shv_xs_do_reset_watches(const struct shv_xs_req *r)
{
	shv_xs_conn_drop_state(r->c);
	shv_xs_ack(r->c, r->hdr);
	return 0;
}

/* CONTROL (xenstore-control): only what a simulator needs. */
static int
shv_xs_do_control(const struct shv_xs_req *r)
{
	static const char help[] = "Supported commands:\nhelp\nprint <string>\n";
	const char *vec[1];

	if (shv_xs_strings(r->p, r->len, vec, 1) < 1)
		return -EINVAL;
	if (!strcmp(vec[0], "help")) {
		shv_xs_reply(r->c, r->hdr, help, sizeof(help));
		return 0;
	}
	if (!strcmp(vec[0], "print")) {
		shv_xs_ack(r->c, r->hdr);
		return 0;
	}
	return -EINVAL;
}

static int
shv_xs_do_set_target(const struct shv_xs_req *r)
{
	(void)r;
	return -ENOSYS;
}

typedef int shv_xs_handler_fn(const struct shv_xs_req *r);

static const struct {
	shv_xs_handler_fn *fn;
	bool priv; /* dom0 only (EACCES for guests) */
	bool notx; /* tx_id ignored */
} shv_xs_ops[XS_TYPE_COUNT] = {
	[XS_CONTROL] = { shv_xs_do_control, true, false },
	[XS_DIRECTORY] = { shv_xs_do_directory, false, false },
	[XS_READ] = { shv_xs_do_read, false, false },
	[XS_GET_PERMS] = { shv_xs_do_get_perms, false, false },
	[XS_WATCH] = { shv_xs_do_watch, false, true },
	[XS_UNWATCH] = { shv_xs_do_unwatch, false, true },
	[XS_TRANSACTION_START] = { shv_xs_do_tx_start, false, false },
	[XS_TRANSACTION_END] = { shv_xs_do_tx_end, false, false },
	[XS_INTRODUCE] = { shv_xs_do_introduce, true, false },
	[XS_RELEASE] = { shv_xs_do_release_resume, true, false },
	[XS_GET_DOMAIN_PATH] = { shv_xs_do_get_domain_path, false, false },
	[XS_WRITE] = { shv_xs_do_write, false, false },
	[XS_MKDIR] = { shv_xs_do_mkdir_rm, false, false },
	[XS_RM] = { shv_xs_do_mkdir_rm, false, false },
	[XS_SET_PERMS] = { shv_xs_do_set_perms, false, false },
	[XS_IS_DOMAIN_INTRODUCED] = { shv_xs_do_is_introduced, true, false },
	[XS_RESUME] = { shv_xs_do_release_resume, true, false },
	[XS_SET_TARGET] = { shv_xs_do_set_target, true, false },
	[XS_RESET_WATCHES] = { shv_xs_do_reset_watches, false, false },
	[XS_DIRECTORY_PART] = { shv_xs_do_directory_part, false, false },
};

static void
shv_xs_dispatch(struct shv_xs_conn *c)
{
	struct shv_xs_req r = { .c = c, .hdr = &c->hdr, .p = c->payload, .len = c->hdr.len };
	uint32_t type = c->hdr.type;
	int err;

	c->payload[c->hdr.len] = '\0';
	if (type >= XS_TYPE_COUNT || !shv_xs_ops[type].fn) {
		err = -EINVAL;
	} else if (shv_xs_ops[type].priv && c->domid != 0) {
		err = -EACCES;
	} else if (!shv_xs_ops[type].notx && c->hdr.tx_id) {
		struct shv_xs_txslot *t = shv_xs_tx_find(c, c->hdr.tx_id);

		err = t ? 0 : -ENOENT;
		if (t)
			r.tx = t->tx;
	} else {
		err = 0;
	}
	if (!err)
		err = shv_xs_ops[type].fn(&r);
	if (err)
		shv_xs_error(c, &c->hdr, err);
}

/* Frames and processes client bytes. */
static int
shv_xs_conn_input(struct shv_xs_conn *c, const uint8_t *buf, size_t len)
{
	for (;;) {
		size_t take;

		if (c->dead)
			return c->dead_err;
		if (c->hdr_used < SHV_XS_HDR_SIZE) {
			if (!len)
				break;
			take = SHV_XS_HDR_SIZE - c->hdr_used;
			take = take < len ? take : len;
			memcpy((uint8_t *)&c->hdr + c->hdr_used, buf, take);
			c->hdr_used += take;
			buf += take;
			len -= take;
			if (c->hdr_used < SHV_XS_HDR_SIZE)
				continue;
			if (c->hdr.len > XENSTORE_PAYLOAD_MAX) {
				shv_xs_conn_kill(c, -EPROTO);
				return -EPROTO;
			}
		}
		if (c->payload_used < c->hdr.len) {
			if (!len)
				break;
			take = c->hdr.len - c->payload_used;
			take = take < len ? take : len;
			memcpy(c->payload + c->payload_used, buf, take);
			c->payload_used += take;
			buf += take;
			len -= take;
			if (c->payload_used < c->hdr.len)
				continue;
		}
		shv_xs_dispatch(c);
		c->hdr_used = 0;
		c->payload_used = 0;
	}
	return 0;
}

/* ---- sockets -------------------------------------------------------------------------- */

static unsigned int
shv_xs_conns_of(const struct shv_xs *xs, unsigned int domid)
{
	const struct shv_xs_conn *c;
	unsigned int n = 0;

	for (c = xs->conns; c; c = c->next)
		if (!c->dead && c->domid == domid)
			n++;
	return n;
}

static void
shv_xs_conn_event(void *arg, uint32_t events)
{
	struct shv_xs_conn *c = arg;
	struct shv_xs *xs = c->xs;
	int i;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		for (i = 0; i < SHV_XS_READS_MAX && !c->dead; i++) {
			ssize_t n = recv(c->fd, xs->rbuf, sizeof(xs->rbuf), MSG_DONTWAIT);

			if (n > 0) {
				shv_xs_conn_input(c, (const uint8_t *)xs->rbuf, (size_t)n);
			} else if (n == 0) {
				shv_xs_conn_kill(c, -ECONNRESET);
			} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
				break;
			} else if (errno != EINTR) {
				shv_xs_conn_kill(c, -errno);
			}
		}
	}
	if (!c->dead && (c->out_len > c->out_off || c->want_out))
		shv_xs_conn_flush(c);
	shv_xs_settle(xs);
}

static void
shv_xs_listener_event(void *arg, uint32_t events)
{
	struct shv_xs_listener *l = arg;
	struct shv_xs *xs = l->xs;

	(void)events;
	for (;;) {
		struct shv_xs_conn *c;
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		if ((l->domid != 0 && shv_xs_conns_of(xs, l->domid) >= SHV_XS_GUEST_CONNS_MAX) ||
		    shv_xs_conn_new(xs, l->domid, fd, &c)) {
			close(fd);
			continue;
		}
		if (vsw_loop_add(xs->loop, fd, EPOLLIN, shv_xs_conn_event, c)) {
			c->fd = -1;
			close(fd);
			shv_xs_conn_kill(c, -ENOMEM);
			shv_xs_list_del(&xs->conns, c);
			shv_xs_conn_free(c);
		}
	}
	shv_xs_settle(xs);
}

static void
shv_xs_listener_close(struct shv_xs *xs, struct shv_xs_listener *l)
{
	if (l->fd >= 0) {
		vsw_loop_del(xs->loop, l->fd);
		close(l->fd);
		l->fd = -1;
	}
	if (l->path) {
		unlink(l->path);
		free(l->path);
		l->path = NULL;
	}
}

static int
shv_xs_listener_open(struct shv_xs *xs, struct shv_xs_listener *l, const char *name,
		     unsigned int domid)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int err, n;

	l->xs = xs;
	l->domid = domid;
	l->fd = -1;
	l->path = NULL;
	if (!xs->dir)
		return 0;
	n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", xs->dir, name);
	if (n < 0 || (size_t)n >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	/* A socket left by a previous run is replaced; anything else is not ours. */
	if (lstat(addr.sun_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(addr.sun_path);
	}
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return -errno;
	if (bind(l->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = -errno;
		close(l->fd);
		l->fd = -1;
		return err;
	}
	l->path = strdup(addr.sun_path);
	/* Mode before listen(): nobody can connect in between. */
	if (!l->path || chmod(addr.sun_path, 0600) < 0 || listen(l->fd, SHV_XS_LISTEN_BACK) < 0) {
		err = l->path ? -errno : -ENOMEM;
		if (!l->path)
			unlink(addr.sun_path);
		shv_xs_listener_close(xs, l);
		return err;
	}
	err = vsw_loop_add(xs->loop, l->fd, EPOLLIN, shv_xs_listener_event, l);
	if (err)
		shv_xs_listener_close(xs, l);
	return err;
}

static int
shv_xs_dom_open(struct shv_xs *xs, unsigned int domid)
{
	struct shv_xs_dom *d = calloc(1, sizeof(*d));
	char name[32];
	int err;

	if (!d)
		return -ENOMEM;
	d->domid = domid;
	snprintf(name, sizeof(name), "dom%u.socket", domid);
	err = shv_xs_listener_open(xs, &d->lis, name, domid);
	if (err) {
		free(d);
		return err;
	}
	d->next = xs->doms;
	xs->doms = d;
	return 0;
}

/* Closes a domain's socket and connections (their watches first, so that the removal of the
 * domain's nodes does not queue events to connections about to go). */
static void
shv_xs_dom_close(struct shv_xs *xs, struct shv_xs_dom *d)
{
	struct shv_xs_dom **pp;
	struct shv_xs_conn *c, *next;

	for (c = xs->conns; c; c = next) {
		next = c->next;
		if (c->domid == d->domid)
			shv_xs_conn_kill(c, -ENOTCONN);
	}
	shv_xs_listener_close(xs, &d->lis);
	for (pp = &xs->doms; *pp != d; pp = &(*pp)->next)
		;
	*pp = d->next;
	free(d);
}

/* ---- public API ----------------------------------------------------------------------- */

static int
shv_xs_mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		buf[i] = path[i];
	}
	return 0;
}

int
shv_xs_create(struct shv_xs **xsp, struct vsw_loop *loop, const char *dir,
	      const struct shv_xs_hooks *hooks, void *arg)
{
	struct shv_xs *xs;
	int err;

	if (dir && !loop)
		return -EINVAL;
	xs = calloc(1, sizeof(*xs));
	if (!xs)
		return -ENOMEM;
	xs->loop = loop;
	xs->arg = arg;
	xs->dom0.fd = -1;
	if (hooks)
		xs->hooks = *hooks;
	err = shv_xs_store_create(&xs->store, NULL);
	if (err)
		goto fail;
	shv_xs_store_set_event_fn(xs->store, shv_xs_on_event, xs);
	if (dir) {
		xs->dir = strdup(dir);
		err = xs->dir ? shv_xs_mkdir_p(dir) : -ENOMEM;
		if (err)
			goto fail;
	}
	err = shv_xs_listener_open(xs, &xs->dom0, "socket", 0);
	if (err)
		goto fail;
	*xsp = xs;
	return 0;

fail:
	shv_xs_destroy(xs);
	return err;
}

void
shv_xs_destroy(struct shv_xs *xs)
{
	if (!xs)
		return;
	while (xs->doms)
		shv_xs_dom_close(xs, xs->doms);
	while (xs->conns) {
		struct shv_xs_conn *c = xs->conns;

		shv_xs_conn_kill(c, -ENOTCONN);
		if (c == xs->conns) {
			shv_xs_list_del(&xs->conns, c);
			shv_xs_conn_free(c);
		}
	}
	shv_xs_settle(xs);
	shv_xs_listener_close(xs, &xs->dom0);
	shv_xs_store_destroy(xs->store);
	free(xs->dir);
	free(xs);
}

struct shv_xs_store *
shv_xs_get_store(struct shv_xs *xs)
{
	return xs->store;
}

bool
shv_xs_domain_is_introduced(const struct shv_xs *xs, unsigned int domid)
{
	return domid == 0 || shv_xs_dom_find(xs, domid) != NULL;
}

int
shv_xs_domain_introduce(struct shv_xs *xs, unsigned int domid, const char *name)
{
	const struct shv_xs_perm perm = { .domid = domid, .perms = SHV_XS_PERM_NONE };
	char path[64], num[16];
	int err;

	if (domid == 0 || domid > SHV_XS_DOMID_MAX || !name)
		return -EINVAL;
	if (shv_xs_dom_find(xs, domid))
		return -EEXIST;
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	err = shv_xs_store_mkdir(xs->store, NULL, 0, path);
	if (!err)
		err = shv_xs_store_set_perms(xs->store, NULL, 0, path, &perm, 1);
	snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
	if (!err)
		err = shv_xs_store_write(xs->store, NULL, 0, path, name, strlen(name));
	snprintf(path, sizeof(path), "/local/domain/%u/domid", domid);
	snprintf(num, sizeof(num), "%u", domid);
	if (!err)
		err = shv_xs_store_write(xs->store, NULL, 0, path, num, strlen(num));
	if (!err)
		err = shv_xs_dom_open(xs, domid);
	if (!err)
		shv_xs_store_fire_special(xs->store, "@introduceDomain");
	shv_xs_settle(xs);
	return err;
}

int
shv_xs_domain_release(struct shv_xs *xs, unsigned int domid)
{
	struct shv_xs_dom *d = shv_xs_dom_find(xs, domid);
	const struct shv_xs_perm *perms;
	unsigned int n;
	char path[64];
	bool present;

	if (domid == 0 || domid > SHV_XS_DOMID_MAX)
		return -EINVAL;
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	present = !shv_xs_store_get_perms(xs->store, NULL, 0, path, &perms, &n);
	if (!d && !present)
		return -ENOENT;
	if (d)
		shv_xs_dom_close(xs, d);
	if (present)
		shv_xs_store_rm(xs->store, NULL, 0, path);
	if (d)
		shv_xs_store_fire_special(xs->store, "@releaseDomain");
	shv_xs_settle(xs);
	return 0;
}

int
shv_xs_conn_open_mem(struct shv_xs *xs, unsigned int domid, struct shv_xs_conn **connp)
{
	if (!shv_xs_domain_is_introduced(xs, domid))
		return -ENOENT;
	return shv_xs_conn_new(xs, domid, -1, connp);
}

int
shv_xs_conn_feed(struct shv_xs_conn *conn, const void *buf, size_t len)
{
	int err;

	if (conn->dead)
		return conn->dead_err == -EPROTO || conn->dead_err == -ENOBUFS ? conn->dead_err
									       : -ENOTCONN;
	err = shv_xs_conn_input(conn, buf, len);
	shv_xs_settle(conn->xs);
	return err;
}

size_t
shv_xs_conn_take_output(struct shv_xs_conn *conn, void *buf, size_t max)
{
	size_t n = conn->out_len - conn->out_off;

	if (n > max)
		n = max;
	if (n) {
		memcpy(buf, conn->out + conn->out_off, n);
		conn->out_off += n;
	}
	if (conn->out_off == conn->out_len)
		conn->out_off = conn->out_len = 0;
	return n;
}

size_t
shv_xs_conn_output_len(const struct shv_xs_conn *conn)
{
	return conn->out_len - conn->out_off;
}

bool
shv_xs_conn_is_open(const struct shv_xs_conn *conn)
{
	return !conn->dead;
}

void
shv_xs_conn_close(struct shv_xs_conn *conn)
{
	struct shv_xs *xs;

	if (!conn)
		return;
	xs = conn->xs;
	shv_xs_conn_kill(conn, -ENOTCONN);
	shv_xs_list_del(&xs->conns, conn);
	shv_xs_conn_free(conn);
	shv_xs_settle(xs);
}

unsigned int
shv_xs_conn_count(const struct shv_xs *xs)
{
	return xs->n_live;
}
