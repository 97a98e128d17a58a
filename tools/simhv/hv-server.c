/* SPDX-License-Identifier: MIT */
/*
 * hv-server.c - nb-simhv's hypervisor (see hv-server.h): the domain registry and its shared
 * memory, the hypercall sockets, event-channel routing, and the cleanup that Xen and the
 * Linux drivers do when a process or a domain goes away.
 */
#include "tools/simhv/hv-server.h"

#include "netback/hv/sim-gnttab.h"
#include "netback/hv/sim-proto.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Requests served per connection and loop round, so one client cannot starve the others. */
#define SHV_HV_REQS_PER_ROUND 16
#define SHV_HV_BACKLOG	      64

struct shv_hv_port {
	struct shv_hv_conn *owner; /* NULL: the port is free */
	bool bound;		   /* interdomain: peer is (remote_domid, remote_port) */
	uint16_t remote_domid;	   /* the peer, or who may bind while unbound */
	uint32_t remote_port;
	int efd; /* the port's pending state */
};

struct shv_hv_track {
	struct shv_hv_track *next;
	uint64_t id;
	unsigned int domid;
	uint64_t serial; /* incarnation, so a reused domid is never unpinned by mistake */
	bool readonly;
	unsigned int count;
	uint32_t refs[NB_SIM_MAP_MAX];
};

struct shv_hv_conn {
	struct shv_hv_conn *next;
	struct shv_hv_dom *dom; /* identity */
	int fd;
	struct shv_hv_track *tracks; /* dom0: grant maps to release if the client dies */
	unsigned int n_tracks;
};

struct shv_hv_dom {
	struct shv_hv *hv;
	unsigned int domid;
	char name[NB_SIM_NAME_MAX];
	unsigned int mem_mib;
	uint64_t serial;
	int mem_fd, gnt_fd, act_fd, pstate_fd; /* -1 where dom0 has none */
	int pstate_ro_fd;	  /* the port-state memfd opened read-only, handed to clients */
	struct nb_sim_gnt_dom gd; /* grant and active tables, for unpinning */
	uint32_t *pstate;	  /* generation per port */
	int listen_fd;
	char *sock_path;
	struct shv_hv_port *ports; /* NB_SIM_MAX_PORTS, allocated at the first port */
	struct shv_hv_conn *conns;
	unsigned int n_conns;
};

struct shv_hv {
	struct vsw_loop *loop;
	char *dir;
	struct shv_hv_hooks hooks;
	void *arg;
	struct shv_hv_dom **doms; /* indexed by domid, NB_SIM_DOMID_LIMIT */
	unsigned int n_doms;
	unsigned int next_domid;
	uint64_t next_serial;
	uint64_t next_track;
};

static struct shv_hv_dom *
shv_hv_dom_get(const struct shv_hv *hv, unsigned int domid)
{
	return domid < NB_SIM_DOMID_LIMIT ? hv->doms[domid] : NULL;
}

bool
shv_hv_domain_exists(const struct shv_hv *hv, unsigned int domid)
{
	return hv && shv_hv_dom_get(hv, domid);
}

static void
shv_hv_bump(struct shv_hv_dom *d, uint32_t port)
{
	__atomic_store_n(&d->pstate[port], d->pstate[port] + 1, __ATOMIC_RELEASE);
}

/* A sealed memfd of 'size' bytes: clients get it read-write, but nobody can shrink it under
 * another process's mapping (which would turn its accesses into SIGBUS). */
static int
shv_hv_memfd(const char *name, uint64_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void *
shv_hv_mmap(int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ---- event channels ------------------------------------------------------------------ */

static void
shv_hv_port_close(struct shv_hv *hv, struct shv_hv_dom *d, uint32_t port)
{
	struct shv_hv_port *p = &d->ports[port];

	if (p->bound) {
		struct shv_hv_dom *rd = shv_hv_dom_get(hv, p->remote_domid);

		/* As Xen's evtchn_close: the peer stays allocated, unbound for our domain. */
		if (rd && rd->ports && rd->ports[p->remote_port].owner) {
			struct shv_hv_port *rp = &rd->ports[p->remote_port];

			rp->bound = false;
			rp->remote_domid = (uint16_t)d->domid;
			rp->remote_port = 0;
			shv_hv_bump(rd, p->remote_port);
		}
	}
	close(p->efd);
	memset(p, 0, sizeof(*p));
	p->efd = -1;
	shv_hv_bump(d, port);
}

static int
shv_hv_port_alloc(struct shv_hv_dom *d, struct shv_hv_conn *c, uint32_t *portp)
{
	uint32_t port;
	int efd;

	if (!d->ports) {
		d->ports = calloc(NB_SIM_MAX_PORTS, sizeof(*d->ports));
		if (!d->ports)
			return -ENOMEM;
	}
	for (port = 1; port < NB_SIM_MAX_PORTS; port++)
		if (!d->ports[port].owner)
			break;
	if (port == NB_SIM_MAX_PORTS)
		return -ENOSPC;
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0)
		return -errno;
	d->ports[port].owner = c;
	d->ports[port].efd = efd;
	*portp = port;
	return 0;
}

static struct shv_hv_port *
shv_hv_port_owned(struct shv_hv_conn *c, uint32_t port)
{
	struct shv_hv_dom *d = c->dom;

	if (!port || port >= NB_SIM_MAX_PORTS || !d->ports || d->ports[port].owner != c)
		return NULL;
	return &d->ports[port];
}

static int
shv_hv_op_alloc_unbound(struct shv_hv_conn *c, const struct nb_sim_req *req, struct nb_sim_rep *rep,
			int *fds)
{
	struct shv_hv_dom *d = c->dom;
	uint32_t port;
	int err;

	if (req->domid >= NB_SIM_DOMID_LIMIT)
		return -EINVAL;
	err = shv_hv_port_alloc(d, c, &port);
	if (err)
		return err;
	d->ports[port].remote_domid = (uint16_t)req->domid;
	shv_hv_bump(d, port);
	rep->port = port;
	rep->gen = d->pstate[port];
	fds[0] = d->ports[port].efd;
	rep->n_fds = 1;
	return 0;
}

static int
shv_hv_op_bind(struct shv_hv_conn *c, const struct nb_sim_req *req, struct nb_sim_rep *rep,
	       int *fds)
{
	struct shv_hv_dom *d = c->dom, *rd = shv_hv_dom_get(c->dom->hv, req->domid);
	struct shv_hv_port *rp;
	uint32_t port;
	int err;

	if (!rd)
		return -ESRCH;
	/* Xen's evtchn_bind_interdomain: only an unbound port reserved for our domain. */
	if (!req->port || req->port >= NB_SIM_MAX_PORTS || !rd->ports)
		return -EINVAL;
	rp = &rd->ports[req->port];
	if (!rp->owner || rp->bound || rp->remote_domid != d->domid)
		return -EINVAL;
	err = shv_hv_port_alloc(d, c, &port);
	if (err)
		return err;
	d->ports[port].bound = true;
	d->ports[port].remote_domid = (uint16_t)rd->domid;
	d->ports[port].remote_port = req->port;
	rp->bound = true;
	rp->remote_port = port;
	shv_hv_bump(d, port);
	shv_hv_bump(rd, req->port);
	rep->port = port;
	rep->gen = d->pstate[port];
	fds[0] = d->ports[port].efd;
	fds[1] = rp->efd;
	rep->n_fds = 2;
	return 0;
}

static int
shv_hv_op_peer(struct shv_hv_conn *c, const struct nb_sim_req *req, struct nb_sim_rep *rep,
	       int *fds)
{
	struct shv_hv_port *p = shv_hv_port_owned(c, req->port);

	if (!p)
		return -EINVAL;
	rep->port = req->port;
	rep->gen = c->dom->pstate[req->port];
	if (p->bound) {
		struct shv_hv_dom *rd = shv_hv_dom_get(c->dom->hv, p->remote_domid);

		if (rd && rd->ports) {
			fds[0] = rd->ports[p->remote_port].efd;
			rep->n_fds = 1;
		}
	}
	return 0;
}

/* ---- domains ----------------------------------------------------------------------- */

static void shv_hv_conn_close(struct shv_hv_conn *c);
static void shv_hv_on_accept(void *arg, uint32_t events);

static int
shv_hv_listen(struct shv_hv_dom *d)
{
	struct shv_hv *hv = d->hv;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char path[sizeof(sun.sun_path)];
	int n, fd, err;

	if (d->domid)
		n = snprintf(path, sizeof(path), "%s/dom%u.socket", hv->dir, d->domid);
	else
		n = snprintf(path, sizeof(path), "%s/socket", hv->dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, (size_t)n + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		goto fail_errno;
	/* Mode 0600 before listen(): nobody can connect in between. */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, SHV_HV_BACKLOG) < 0)
		goto fail_errno;
	err = vsw_loop_add(hv->loop, fd, EPOLLIN, shv_hv_on_accept, d);
	if (err)
		goto fail;
	d->sock_path = strdup(path);
	if (!d->sock_path) {
		vsw_loop_del(hv->loop, fd);
		err = -ENOMEM;
		goto fail;
	}
	d->listen_fd = fd;
	return 0;
fail_errno:
	err = -errno;
fail:
	close(fd);
	unlink(path);
	return err;
}

/* Frees a domain that has no connections left (or a partly built one). */
static void
shv_hv_dom_free(struct shv_hv_dom *d)
{
	if (d->listen_fd >= 0) {
		vsw_loop_del(d->hv->loop, d->listen_fd);
		close(d->listen_fd);
	}
	if (d->sock_path) {
		unlink(d->sock_path);
		free(d->sock_path);
	}
	if (d->gd.gnt)
		munmap(d->gd.gnt, NB_SIM_GNT_SIZE);
	if (d->gd.hdr)
		munmap(d->gd.hdr, NB_SIM_GNT_ACT_SIZE);
	if (d->pstate)
		munmap(d->pstate, NB_SIM_PSTATE_SIZE);
	if (d->mem_fd >= 0)
		close(d->mem_fd);
	if (d->gnt_fd >= 0)
		close(d->gnt_fd);
	if (d->act_fd >= 0)
		close(d->act_fd);
	if (d->pstate_fd >= 0)
		close(d->pstate_fd);
	if (d->pstate_ro_fd >= 0)
		close(d->pstate_ro_fd);
	free(d->ports);
	free(d);
}

static struct shv_hv_dom *
shv_hv_dom_alloc(struct shv_hv *hv, unsigned int domid)
{
	struct shv_hv_dom *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->hv = hv;
	d->domid = domid;
	d->serial = ++hv->next_serial;
	d->mem_fd = d->gnt_fd = d->act_fd = d->pstate_fd = d->pstate_ro_fd = d->listen_fd = -1;
	d->gd.domid = domid;
	d->gd.mem_fd = -1;
	return d;
}

static int
shv_hv_dom_setup_pstate(struct shv_hv_dom *d)
{
	char path[64];

	d->pstate_fd = shv_hv_memfd("nb-simhv-ports", NB_SIM_PSTATE_SIZE);
	if (d->pstate_fd < 0)
		return d->pstate_fd;
	d->pstate = shv_hv_mmap(d->pstate_fd, NB_SIM_PSTATE_SIZE);
	if (!d->pstate)
		return -errno;
	/* Clients only read generations: a read-only open of the memfd cannot be mapped
	 * writable. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", d->pstate_fd);
	d->pstate_ro_fd = open(path, O_RDONLY | O_CLOEXEC);
	return d->pstate_ro_fd < 0 ? -errno : 0;
}

static int
shv_hv_dom_setup_memory(struct shv_hv_dom *d)
{
	d->mem_fd = shv_hv_memfd("nb-simhv-memory", (uint64_t)d->mem_mib << 20);
	if (d->mem_fd < 0)
		return d->mem_fd;
	d->gnt_fd = shv_hv_memfd("nb-simhv-gnttab", NB_SIM_GNT_SIZE);
	if (d->gnt_fd < 0)
		return d->gnt_fd;
	d->act_fd = shv_hv_memfd("nb-simhv-active", NB_SIM_GNT_ACT_SIZE);
	if (d->act_fd < 0)
		return d->act_fd;
	d->gd.gnt = shv_hv_mmap(d->gnt_fd, NB_SIM_GNT_SIZE);
	if (!d->gd.gnt)
		return -errno;
	d->gd.hdr = shv_hv_mmap(d->act_fd, NB_SIM_GNT_ACT_SIZE);
	if (!d->gd.hdr)
		return -errno;
	d->gd.act =
		(struct nb_sim_gnt_active *)(void *)((uint8_t *)d->gd.hdr + NB_SIM_GNT_ACT_OFFSET);
	d->gd.n_entries = NB_SIM_GNT_ENTRIES;
	d->gd.n_pages = (uint64_t)d->mem_mib << (20 - NB_SIM_PAGE_SHIFT);
	d->gd.hdr->n_entries = NB_SIM_GNT_ENTRIES;
	return 0;
}

/* Names end up in XenStore and in JSON printed by the CLI: keep them plain. */
static bool
shv_hv_name_ok(const char *name)
{
	size_t i, n = strnlen(name, NB_SIM_NAME_MAX);

	if (n == 0 || n == NB_SIM_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch <= 0x20 || ch >= 0x7f || ch == '/' || ch == '\\' || ch == '"')
			return false;
	}
	return true;
}

static int
shv_hv_domain_create(struct shv_hv *hv, const char *name, uint64_t mem_mib, unsigned int *domidp)
{
	struct shv_hv_dom *d;
	unsigned int i, domid = 0;
	int err;

	if (!shv_hv_name_ok(name) || !mem_mib || mem_mib > NB_SIM_MAX_MEM_MIB)
		return -EINVAL;
	for (i = 0; i < NB_SIM_DOMID_LIMIT; i++)
		if (hv->doms[i] && !strcmp(hv->doms[i]->name, name))
			return -EEXIST;
	if (hv->n_doms >= NB_SIM_MAX_DOMAINS)
		return -ENOSPC;
	for (i = 0; i < NB_SIM_DOMID_LIMIT; i++) {
		unsigned int id = hv->next_domid;

		hv->next_domid = id + 1 >= NB_SIM_DOMID_LIMIT ? 1 : id + 1;
		if (!hv->doms[id]) {
			domid = id;
			break;
		}
	}
	if (!domid)
		return -ENOSPC;
	d = shv_hv_dom_alloc(hv, domid);
	if (!d)
		return -ENOMEM;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->mem_mib = (unsigned int)mem_mib;
	err = shv_hv_dom_setup_memory(d);
	if (!err)
		err = shv_hv_dom_setup_pstate(d);
	if (!err)
		err = shv_hv_listen(d);
	if (err) {
		shv_hv_dom_free(d);
		return err;
	}
	hv->doms[domid] = d;
	hv->n_doms++;
	if (hv->hooks.domain_created) {
		err = hv->hooks.domain_created(hv->arg, domid, d->name);
		if (err) {
			hv->doms[domid] = NULL;
			hv->n_doms--;
			shv_hv_dom_free(d);
			return err;
		}
	}
	*domidp = domid;
	return 0;
}

static void
shv_hv_domain_destroy(struct shv_hv *hv, struct shv_hv_dom *d)
{
	/* Dead first: dom0 processes holding the tables see GNTST_bad_domain from now on. */
	__atomic_store_n(&d->gd.hdr->dead, 1, __ATOMIC_RELEASE);
	if (hv->hooks.domain_destroyed)
		hv->hooks.domain_destroyed(hv->arg, d->domid);
	while (d->conns)
		shv_hv_conn_close(d->conns);
	hv->doms[d->domid] = NULL;
	hv->n_doms--;
	shv_hv_dom_free(d);
}

static int
shv_hv_op_list(struct shv_hv *hv, const struct nb_sim_req *req, struct nb_sim_rep *rep)
{
	uint64_t id;

	rep->value = 0;
	for (id = req->value; id < NB_SIM_DOMID_LIMIT; id++) {
		const struct shv_hv_dom *d = hv->doms[id];
		struct nb_sim_domain_info *info;

		if (!d)
			continue;
		if (rep->count == NB_SIM_LIST_BATCH) {
			rep->value = id;
			break;
		}
		info = &rep->infos[rep->count++];
		snprintf(info->name, sizeof(info->name), "%s", d->name);
		info->domid = d->domid;
		info->memory_mib = d->mem_mib;
	}
	return 0;
}

static int
shv_hv_op_memory(struct shv_hv_conn *c, const struct nb_sim_req *req, struct nb_sim_rep *rep,
		 int *fds)
{
	struct shv_hv_dom *d = shv_hv_dom_get(c->dom->hv, req->domid);
	bool priv = c->dom->domid == 0;

	if (!priv && req->domid != c->dom->domid)
		return -EPERM;
	if (!d)
		return -ESRCH;
	if (!d->domid)
		return -EINVAL;
	rep->domid = d->domid;
	rep->value = d->gd.n_pages;
	rep->serial = d->serial;
	fds[0] = d->mem_fd;
	fds[1] = d->gnt_fd;
	rep->n_fds = 2;
	if (priv)
		fds[rep->n_fds++] = d->act_fd;
	return 0;
}

static void
shv_hv_track_release(struct shv_hv *hv, const struct shv_hv_track *t)
{
	struct shv_hv_dom *d = shv_hv_dom_get(hv, t->domid);
	unsigned int i;

	if (!d || d->serial != t->serial)
		return;
	for (i = 0; i < t->count; i++)
		nb_sim_gnt_unpin(&d->gd, t->refs[i], t->readonly);
}

static int
shv_hv_op_track(struct shv_hv_conn *c, const struct nb_sim_req *req, struct nb_sim_rep *rep)
{
	struct shv_hv_dom *d = shv_hv_dom_get(c->dom->hv, req->domid);
	struct shv_hv_track *t;
	unsigned int i;

	if (!d || !d->domid || d->serial != req->value)
		return -ESRCH;
	if (!req->count || req->count > NB_SIM_MAP_MAX || req->port > 1)
		return -EINVAL;
	for (i = 0; i < req->count; i++)
		if (req->refs[i] >= NB_SIM_GNT_ENTRIES)
			return -EINVAL;
	if (c->n_tracks >= NB_SIM_MAX_TRACKS)
		return -ENOSPC;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->id = ++c->dom->hv->next_track;
	t->domid = d->domid;
	t->serial = d->serial;
	t->readonly = req->port;
	t->count = req->count;
	memcpy(t->refs, req->refs, req->count * sizeof(t->refs[0]));
	t->next = c->tracks;
	c->tracks = t;
	c->n_tracks++;
	rep->value = t->id;
	return 0;
}

static int
shv_hv_op_untrack(struct shv_hv_conn *c, const struct nb_sim_req *req)
{
	struct shv_hv_track **pp, *t;

	for (pp = &c->tracks; (t = *pp); pp = &t->next) {
		if (t->id == req->value) {
			*pp = t->next;
			c->n_tracks--;
			free(t);
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- connections ------------------------------------------------------------------- */

static int
shv_hv_dispatch(struct shv_hv_conn *c, const struct nb_sim_req *req, struct nb_sim_rep *rep,
		int *fds)
{
	struct shv_hv *hv = c->dom->hv;
	bool priv = c->dom->domid == 0;
	struct shv_hv_dom *d;
	struct shv_hv_port *p;

	switch (req->op) {
	case NB_SIM_OP_INFO:
		rep->domid = c->dom->domid;
		return 0;
	case NB_SIM_OP_DOMAIN_CREATE:
		if (!priv)
			return -EPERM;
		if (!memchr(req->name, '\0', sizeof(req->name)))
			return -EINVAL;
		return shv_hv_domain_create(hv, req->name, req->value, &rep->domid);
	case NB_SIM_OP_DOMAIN_DESTROY:
		if (!priv)
			return -EPERM;
		d = shv_hv_dom_get(hv, req->domid);
		if (!d)
			return -ESRCH;
		if (!d->domid)
			return -EPERM;
		shv_hv_domain_destroy(hv, d);
		return 0;
	case NB_SIM_OP_DOMAIN_LIST:
		if (!priv)
			return -EPERM;
		return shv_hv_op_list(hv, req, rep);
	case NB_SIM_OP_DOMAIN_MEMORY:
		return shv_hv_op_memory(c, req, rep, fds);
	case NB_SIM_OP_MAP_TRACK:
		return priv ? shv_hv_op_track(c, req, rep) : -EPERM;
	case NB_SIM_OP_MAP_UNTRACK:
		return priv ? shv_hv_op_untrack(c, req) : -EPERM;
	case NB_SIM_OP_EVTCHN_STATE:
		fds[0] = c->dom->pstate_ro_fd;
		rep->n_fds = 1;
		return 0;
	case NB_SIM_OP_EVTCHN_ALLOC_UNBOUND:
		return shv_hv_op_alloc_unbound(c, req, rep, fds);
	case NB_SIM_OP_EVTCHN_BIND_INTERDOMAIN:
		return shv_hv_op_bind(c, req, rep, fds);
	case NB_SIM_OP_EVTCHN_UNBIND:
		p = shv_hv_port_owned(c, req->port);
		if (!p)
			return -EINVAL;
		shv_hv_port_close(hv, c->dom, req->port);
		return 0;
	case NB_SIM_OP_EVTCHN_PEER:
		return shv_hv_op_peer(c, req, rep, fds);
	default:
		return -ENOSYS;
	}
}

static int
shv_hv_send_rep(struct shv_hv_conn *c, const struct nb_sim_rep *rep, const int *fds)
{
	union {
		char buf[CMSG_SPACE(NB_SIM_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = (void *)rep, .iov_len = sizeof(*rep) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (rep->n_fds) {
		struct cmsghdr *cm;

		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(rep->n_fds * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(rep->n_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, rep->n_fds * sizeof(int));
	}
	/* One request in flight: a client that does not read its replies is dropped. */
	n = sendmsg(c->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return (size_t)n == sizeof(*rep) ? 0 : -EPROTO;
}

/* Receives one request: 1 if one came, 0 if none is queued, -errno to disconnect. */
static int
shv_hv_recv_req(struct shv_hv_conn *c, struct nb_sim_req *req)
{
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = req, .iov_len = sizeof(*req) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};
	bool had_fds = false;
	struct cmsghdr *cm;
	ssize_t n;

	n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	/* Descriptors from a client are never wanted: close them, then drop the client. */
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t k, nfd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < nfd; k++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
			close(fd);
		}
		had_fds = true;
	}
	if (n == 0)
		return -ECONNRESET;
	if (had_fds || (size_t)n != sizeof(*req) || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    req->magic != NB_SIM_MAGIC)
		return -EPROTO;
	return 1;
}

static void
shv_hv_on_conn(void *arg, uint32_t events)
{
	struct shv_hv_conn *c = arg;
	int i;

	for (i = 0; i < SHV_HV_REQS_PER_ROUND; i++) {
		struct nb_sim_req req;
		struct nb_sim_rep rep;
		int fds[NB_SIM_MAX_FDS];
		int ret = shv_hv_recv_req(c, &req);

		if (ret < 0) {
			shv_hv_conn_close(c);
			return;
		}
		if (ret == 0)
			break;
		memset(&rep, 0, sizeof(rep));
		rep.magic = NB_SIM_MAGIC;
		rep.err = shv_hv_dispatch(c, &req, &rep, fds);
		if (rep.err)
			rep.n_fds = 0;
		if (shv_hv_send_rep(c, &rep, fds)) {
			shv_hv_conn_close(c);
			return;
		}
	}
	if (i == 0 && (events & (EPOLLHUP | EPOLLERR)))
		shv_hv_conn_close(c);
}

/* What the Linux drivers do when a process dies: its ports close, its grant maps go. */
static void
shv_hv_conn_close(struct shv_hv_conn *c)
{
	struct shv_hv_dom *d = c->dom;
	struct shv_hv *hv = d->hv;
	struct shv_hv_conn **pp;
	uint32_t port;

	if (d->ports) {
		for (port = 1; port < NB_SIM_MAX_PORTS; port++)
			if (d->ports[port].owner == c)
				shv_hv_port_close(hv, d, port);
	}
	while (c->tracks) {
		struct shv_hv_track *t = c->tracks;

		c->tracks = t->next;
		shv_hv_track_release(hv, t);
		free(t);
	}
	for (pp = &d->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	d->n_conns--;
	vsw_loop_del(hv->loop, c->fd);
	close(c->fd);
	free(c);
}

static void
shv_hv_on_accept(void *arg, uint32_t events)
{
	struct shv_hv_dom *d = arg;
	int i;

	(void)events;
	for (i = 0; i < SHV_HV_BACKLOG; i++) {
		struct shv_hv_conn *c;
		int fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		c = d->n_conns < NB_SIM_MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			close(fd);
			continue;
		}
		c->dom = d;
		c->fd = fd;
		if (vsw_loop_add(d->hv->loop, fd, EPOLLIN, shv_hv_on_conn, c)) {
			close(fd);
			free(c);
			continue;
		}
		c->next = d->conns;
		d->conns = c;
		d->n_conns++;
	}
}

/* ---- life cycle -------------------------------------------------------------------- */

/* True for "dom<digits>.socket", the name of a guest socket. */
static bool
shv_hv_is_guest_sock(const char *name)
{
	size_t n;

	if (strncmp(name, "dom", 3))
		return false;
	n = strspn(name + 3, "0123456789");
	return n && !strcmp(name + 3 + n, ".socket");
}

/* Guest sockets left by a daemon that died: their domains are gone. */
static void
shv_hv_remove_stale(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *de;

	if (!dh)
		return;
	while ((de = readdir(dh)))
		if (shv_hv_is_guest_sock(de->d_name))
			unlinkat(dirfd(dh), de->d_name, 0);
	closedir(dh);
}

int
shv_hv_create(struct shv_hv **hvp, struct vsw_loop *loop, const char *dir,
	      const struct shv_hv_hooks *hooks, void *arg)
{
	struct shv_hv_dom *d0;
	struct shv_hv *hv;
	int err;

	if (!hvp || !loop || !dir || !*dir)
		return -EINVAL;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	hv = calloc(1, sizeof(*hv));
	if (!hv)
		return -ENOMEM;
	hv->loop = loop;
	hv->arg = arg;
	hv->next_domid = 1;
	if (hooks)
		hv->hooks = *hooks;
	hv->dir = strdup(dir);
	hv->doms = calloc(NB_SIM_DOMID_LIMIT, sizeof(*hv->doms));
	if (!hv->dir || !hv->doms) {
		err = -ENOMEM;
		goto fail;
	}
	shv_hv_remove_stale(dir);
	d0 = shv_hv_dom_alloc(hv, 0);
	if (!d0) {
		err = -ENOMEM;
		goto fail;
	}
	snprintf(d0->name, sizeof(d0->name), "Domain-0");
	err = shv_hv_dom_setup_pstate(d0);
	if (!err)
		err = shv_hv_listen(d0);
	if (err) {
		shv_hv_dom_free(d0);
		goto fail;
	}
	hv->doms[0] = d0;
	hv->n_doms = 1;
	*hvp = hv;
	return 0;
fail:
	free(hv->doms);
	free(hv->dir);
	free(hv);
	return err;
}

void
shv_hv_destroy(struct shv_hv *hv)
{
	unsigned int id;
	struct shv_hv_dom *d0;

	if (!hv)
		return;
	for (id = 1; id < NB_SIM_DOMID_LIMIT; id++)
		if (hv->doms[id])
			shv_hv_domain_destroy(hv, hv->doms[id]);
	d0 = hv->doms[0];
	while (d0->conns)
		shv_hv_conn_close(d0->conns);
	shv_hv_dom_free(d0);
	free(hv->doms);
	free(hv->dir);
	free(hv);
}
