/* SPDX-License-Identifier: MIT */
/*
 * sim-client.c - nb-simhv's client library (see sim-client.h): request/reply over a
 * SOCK_SEQPACKET socket with descriptors passed as SCM_RIGHTS, domain life cycle, mapping of
 * shared tables, event-channel handles over eventfds, and the simulated guest's view.
 */
#include "netback/hv/sim-client.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct nb_sim_conn {
	int fd;
	unsigned int domid;
	pthread_mutex_t lock; /* one request in flight per connection */
};

struct nb_sim_evtchn_port {
	int own_fd;   /* our eventfd; -1: the port is not ours */
	int peer_fd;  /* the peer's eventfd; -1 while unbound or not yet learned */
	uint32_t gen; /* port-state generation that peer_fd belongs to */
};

struct nb_sim_evtchn {
	struct nb_sim_conn *conn;
	pthread_mutex_t lock; /* protects ports[] */
	int epfd;
	const uint32_t *pstate; /* the domain's port-state memfd, read-only */
	struct nb_sim_evtchn_port ports[NB_SIM_MAX_PORTS];
};

struct nb_sim_guest {
	struct nb_sim_conn *conn;
	struct nb_sim_gnt_dom *dom;
};

static void
nb_sim_close_fds(int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

static int
nb_sim_sock_path(const char *rundir, unsigned int domid, struct sockaddr_un *sun)
{
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (!rundir)
		return -EINVAL;
	if (domid)
		n = snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/hv/dom%u.socket", rundir,
			     domid);
	else
		n = snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/hv/socket", rundir);
	if (n < 0 || (size_t)n >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

int
nb_sim_connect(struct nb_sim_conn **connp, const char *rundir, unsigned int domid)
{
	struct nb_sim_req req = { .op = NB_SIM_OP_INFO };
	struct nb_sim_rep rep;
	struct sockaddr_un sun;
	struct nb_sim_conn *conn;
	int fds[NB_SIM_MAX_FDS];
	int err;

	if (domid >= NB_SIM_DOMID_LIMIT)
		return -EINVAL;
	err = nb_sim_sock_path(rundir, domid, &sun);
	if (err)
		return err;
	conn = calloc(1, sizeof(*conn));
	if (!conn)
		return -ENOMEM;
	pthread_mutex_init(&conn->lock, NULL);
	conn->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (conn->fd < 0) {
		err = -errno;
		goto fail;
	}
	if (connect(conn->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = errno == ECONNREFUSED ? -ENOENT : -errno;
		goto fail;
	}
	err = nb_sim_call(conn, &req, &rep, fds);
	if (err)
		goto fail;
	if (rep.domid != domid) {
		err = -EPROTO;
		goto fail;
	}
	conn->domid = domid;
	*connp = conn;
	return 0;
fail:
	nb_sim_disconnect(conn);
	return err;
}

void
nb_sim_disconnect(struct nb_sim_conn *conn)
{
	if (!conn)
		return;
	if (conn->fd >= 0)
		close(conn->fd);
	pthread_mutex_destroy(&conn->lock);
	free(conn);
}

unsigned int
nb_sim_conn_domid(const struct nb_sim_conn *conn)
{
	return conn->domid;
}

static int
nb_sim_xfer(struct nb_sim_conn *conn, const struct nb_sim_req *req, struct nb_sim_rep *rep,
	    int fds[NB_SIM_MAX_FDS])
{
	union {
		char buf[CMSG_SPACE(NB_SIM_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = (void *)req, .iov_len = sizeof(*req) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	unsigned int n_fds = 0;
	struct cmsghdr *c;
	ssize_t n;

	do
		n = sendmsg(conn->fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != sizeof(*req))
		return -EPROTO;

	iov.iov_base = rep;
	iov.iov_len = sizeof(*rep);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	do
		n = recvmsg(conn->fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k, nfd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < nfd; k++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
			if (n_fds < NB_SIM_MAX_FDS)
				fds[n_fds++] = fd;
			else
				close(fd);
		}
	}
	if (n == 0) {
		nb_sim_close_fds(fds, n_fds);
		return -ECONNRESET;
	}
	if ((size_t)n != sizeof(*rep) || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    rep->magic != NB_SIM_MAGIC || rep->n_fds != n_fds || rep->err > 0 ||
	    (rep->err && n_fds) || rep->count > NB_SIM_LIST_BATCH) {
		nb_sim_close_fds(fds, n_fds);
		return -EPROTO;
	}
	return rep->err;
}

int
nb_sim_call(struct nb_sim_conn *conn, struct nb_sim_req *req, struct nb_sim_rep *rep,
	    int fds[NB_SIM_MAX_FDS])
{
	unsigned int i;
	int err;

	for (i = 0; i < NB_SIM_MAX_FDS; i++)
		fds[i] = -1;
	req->magic = NB_SIM_MAGIC;
	pthread_mutex_lock(&conn->lock);
	err = nb_sim_xfer(conn, req, rep, fds);
	pthread_mutex_unlock(&conn->lock);
	return err;
}

/* For calls that expect no descriptors: a reply carrying some is malformed. */
static int
nb_sim_call_nofd(struct nb_sim_conn *conn, struct nb_sim_req *req, struct nb_sim_rep *rep)
{
	int fds[NB_SIM_MAX_FDS];
	int err = nb_sim_call(conn, req, rep, fds);

	if (!err && rep->n_fds) {
		nb_sim_close_fds(fds, NB_SIM_MAX_FDS);
		return -EPROTO;
	}
	return err;
}

int
nb_sim_conn_domain_create(struct nb_sim_conn *conn, const char *name, unsigned int mem_mib,
			  unsigned int *domidp)
{
	struct nb_sim_req req = { .op = NB_SIM_OP_DOMAIN_CREATE, .value = mem_mib };
	struct nb_sim_rep rep;
	int err;

	if (!name || strlen(name) >= NB_SIM_NAME_MAX)
		return -EINVAL;
	strcpy(req.name, name);
	err = nb_sim_call_nofd(conn, &req, &rep);
	if (err)
		return err;
	if (domidp)
		*domidp = rep.domid;
	return 0;
}

int
nb_sim_conn_domain_destroy(struct nb_sim_conn *conn, unsigned int domid)
{
	struct nb_sim_req req = { .op = NB_SIM_OP_DOMAIN_DESTROY, .domid = domid };
	struct nb_sim_rep rep;

	return nb_sim_call_nofd(conn, &req, &rep);
}

int
nb_sim_conn_domain_list(struct nb_sim_conn *conn, struct nb_sim_domain_info *infos,
			unsigned int max)
{
	struct nb_sim_req req = { .op = NB_SIM_OP_DOMAIN_LIST, .value = 0 };
	struct nb_sim_rep rep;
	unsigned int n = 0, i;
	int err;

	/* Bounded by the domid space even if the server misbehaves. */
	for (i = 0; i < NB_SIM_DOMID_LIMIT; i++) {
		unsigned int k;

		err = nb_sim_call_nofd(conn, &req, &rep);
		if (err)
			return err;
		for (k = 0; k < rep.count && n < max; k++) {
			infos[n] = rep.infos[k];
			infos[n].name[NB_SIM_NAME_MAX - 1] = '\0';
			n++;
		}
		if (!rep.value || rep.value <= req.value || n >= max)
			break;
		req.value = rep.value;
	}
	return (int)n;
}

int
nb_sim_domain_create(const char *rundir, const char *name, unsigned int mem_mib,
		     unsigned int *domidp)
{
	struct nb_sim_conn *conn;
	int err = nb_sim_connect(&conn, rundir, 0);

	if (err)
		return err;
	err = nb_sim_conn_domain_create(conn, name, mem_mib, domidp);
	nb_sim_disconnect(conn);
	return err;
}

int
nb_sim_domain_destroy(const char *rundir, unsigned int domid)
{
	struct nb_sim_conn *conn;
	int err = nb_sim_connect(&conn, rundir, 0);

	if (err)
		return err;
	err = nb_sim_conn_domain_destroy(conn, domid);
	nb_sim_disconnect(conn);
	return err;
}

int
nb_sim_domain_list(const char *rundir, struct nb_sim_domain_info *infos, unsigned int max)
{
	struct nb_sim_conn *conn;
	int err = nb_sim_connect(&conn, rundir, 0);

	if (err)
		return err;
	err = nb_sim_conn_domain_list(conn, infos, max);
	nb_sim_disconnect(conn);
	return err;
}

/* Maps 'size' bytes of 'fd', refusing a file shorter than that (a later access would
 * SIGBUS). */
static void *
nb_sim_map_fd(int fd, size_t size, int prot, int *errp)
{
	struct stat st;
	void *p;

	if (fstat(fd, &st) < 0) {
		*errp = -errno;
		return NULL;
	}
	if ((uint64_t)st.st_size < size) {
		*errp = -EPROTO;
		return NULL;
	}
	p = mmap(NULL, size, prot, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED) {
		*errp = -errno;
		return NULL;
	}
	return p;
}

int
nb_sim_dom_map(struct nb_sim_conn *conn, unsigned int domid, struct nb_sim_gnt_dom **domp,
	       uint64_t *serialp)
{
	struct nb_sim_req req = { .op = NB_SIM_OP_DOMAIN_MEMORY, .domid = domid };
	struct nb_sim_gnt_dom *dom;
	struct nb_sim_rep rep;
	int fds[NB_SIM_MAX_FDS];
	bool priv = conn->domid == 0;
	int err;

	err = nb_sim_call(conn, &req, &rep, fds);
	if (err)
		return err;
	if (rep.n_fds != (priv ? 3u : 2u) || !rep.value ||
	    rep.value > (uint64_t)NB_SIM_MAX_MEM_MIB << (20 - NB_SIM_PAGE_SHIFT)) {
		err = -EPROTO;
		goto out;
	}
	dom = calloc(1, sizeof(*dom));
	if (!dom) {
		err = -ENOMEM;
		goto out;
	}
	dom->domid = domid;
	dom->mem_fd = -1;
	dom->n_pages = rep.value;
	dom->n_entries = NB_SIM_GNT_ENTRIES;
	dom->mem = nb_sim_map_fd(fds[0], dom->n_pages << NB_SIM_PAGE_SHIFT, PROT_READ | PROT_WRITE,
				 &err);
	if (dom->mem)
		dom->gnt = nb_sim_map_fd(fds[1], NB_SIM_GNT_SIZE, PROT_READ | PROT_WRITE, &err);
	if (dom->gnt && priv) {
		dom->hdr = nb_sim_map_fd(fds[2], NB_SIM_GNT_ACT_SIZE, PROT_READ | PROT_WRITE, &err);
		if (dom->hdr)
			dom->act = (struct nb_sim_gnt_active *)(void *)((uint8_t *)dom->hdr +
									NB_SIM_GNT_ACT_OFFSET);
	}
	if (!dom->gnt || (priv && !dom->hdr)) {
		nb_sim_dom_unmap(dom);
		goto out;
	}
	dom->mem_fd = fds[0];
	fds[0] = -1;
	if (serialp)
		*serialp = rep.serial;
	*domp = dom;
	err = 0;
out:
	nb_sim_close_fds(fds, NB_SIM_MAX_FDS);
	return err;
}

void
nb_sim_dom_unmap(struct nb_sim_gnt_dom *dom)
{
	if (!dom)
		return;
	if (dom->mem)
		munmap(dom->mem, dom->n_pages << NB_SIM_PAGE_SHIFT);
	if (dom->gnt)
		munmap(dom->gnt, NB_SIM_GNT_SIZE);
	if (dom->hdr)
		munmap(dom->hdr, NB_SIM_GNT_ACT_SIZE);
	if (dom->mem_fd >= 0)
		close(dom->mem_fd);
	free(dom);
}

int
nb_sim_map_track(struct nb_sim_conn *conn, unsigned int domid, uint64_t serial,
		 const uint32_t *refs, unsigned int count, bool readonly, uint64_t *idp)
{
	struct nb_sim_req req = {
		.op = NB_SIM_OP_MAP_TRACK,
		.domid = domid,
		.value = serial,
		.count = count,
		.port = readonly,
	};
	struct nb_sim_rep rep;
	int err;

	if (!refs || !count || count > NB_SIM_MAP_MAX)
		return -EINVAL;
	memcpy(req.refs, refs, count * sizeof(*refs));
	err = nb_sim_call_nofd(conn, &req, &rep);
	if (!err)
		*idp = rep.value;
	return err;
}

int
nb_sim_map_untrack(struct nb_sim_conn *conn, uint64_t id)
{
	struct nb_sim_req req = { .op = NB_SIM_OP_MAP_UNTRACK, .value = id };
	struct nb_sim_rep rep;

	return nb_sim_call_nofd(conn, &req, &rep);
}

int
nb_sim_evtchn_open(struct nb_sim_evtchn **hp, const char *rundir, unsigned int domid)
{
	struct nb_sim_req req = { .op = NB_SIM_OP_EVTCHN_STATE };
	struct nb_sim_evtchn *h;
	struct nb_sim_rep rep;
	int fds[NB_SIM_MAX_FDS];
	unsigned int i;
	int err;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	for (i = 0; i < NB_SIM_MAX_PORTS; i++) {
		h->ports[i].own_fd = -1;
		h->ports[i].peer_fd = -1;
	}
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0) {
		err = -errno;
		goto fail;
	}
	err = nb_sim_connect(&h->conn, rundir, domid);
	if (err)
		goto fail;
	err = nb_sim_call(h->conn, &req, &rep, fds);
	if (err)
		goto fail;
	if (rep.n_fds != 1) {
		nb_sim_close_fds(fds, NB_SIM_MAX_FDS);
		err = -EPROTO;
		goto fail;
	}
	h->pstate = nb_sim_map_fd(fds[0], NB_SIM_PSTATE_SIZE, PROT_READ, &err);
	nb_sim_close_fds(fds, NB_SIM_MAX_FDS);
	if (!h->pstate)
		goto fail;
	*hp = h;
	return 0;
fail:
	nb_sim_evtchn_close(h);
	return err;
}

void
nb_sim_evtchn_close(struct nb_sim_evtchn *h)
{
	unsigned int i;

	if (!h)
		return;
	/* Closing the connection makes nb-simhv close every port of this handle. */
	nb_sim_disconnect(h->conn);
	for (i = 0; i < NB_SIM_MAX_PORTS; i++) {
		if (h->ports[i].own_fd >= 0)
			close(h->ports[i].own_fd);
		if (h->ports[i].peer_fd >= 0)
			close(h->ports[i].peer_fd);
	}
	if (h->pstate)
		munmap((void *)h->pstate, NB_SIM_PSTATE_SIZE);
	if (h->epfd >= 0)
		close(h->epfd);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

int
nb_sim_evtchn_fd(const struct nb_sim_evtchn *h)
{
	return h->epfd;
}

static bool
nb_sim_evtchn_owns(const struct nb_sim_evtchn *h, uint32_t port)
{
	return port && port < NB_SIM_MAX_PORTS && h->ports[port].own_fd >= 0;
}

/* Takes a new port from a reply: fds[0] ours, fds[1] (if any) the peer's. */
static int
nb_sim_evtchn_adopt(struct nb_sim_evtchn *h, const struct nb_sim_rep *rep, int *fds,
		    unsigned int want_fds)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT };
	struct nb_sim_evtchn_port *p;
	uint32_t port = rep->port;

	if (rep->n_fds != want_fds || !port || port >= NB_SIM_MAX_PORTS ||
	    h->ports[port].own_fd >= 0) {
		nb_sim_close_fds(fds, NB_SIM_MAX_FDS);
		return -EPROTO;
	}
	ev.data.u32 = port;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fds[0], &ev) < 0) {
		int err = -errno;

		nb_sim_close_fds(fds, NB_SIM_MAX_FDS);
		return err;
	}
	p = &h->ports[port];
	p->own_fd = fds[0];
	p->peer_fd = want_fds > 1 ? fds[1] : -1;
	p->gen = rep->gen;
	return (int)port;
}

static void
nb_sim_evtchn_forget(struct nb_sim_evtchn *h, uint32_t port)
{
	struct nb_sim_evtchn_port *p = &h->ports[port];

	epoll_ctl(h->epfd, EPOLL_CTL_DEL, p->own_fd, NULL);
	close(p->own_fd);
	if (p->peer_fd >= 0)
		close(p->peer_fd);
	p->own_fd = -1;
	p->peer_fd = -1;
}

static int
nb_sim_evtchn_new_port(struct nb_sim_evtchn *h, struct nb_sim_req *req, unsigned int want_fds)
{
	struct nb_sim_rep rep;
	int fds[NB_SIM_MAX_FDS];
	int ret;

	pthread_mutex_lock(&h->lock);
	ret = nb_sim_call(h->conn, req, &rep, fds);
	if (!ret) {
		ret = nb_sim_evtchn_adopt(h, &rep, fds, want_fds);
		if (ret < 0 && rep.port && rep.port < NB_SIM_MAX_PORTS &&
		    h->ports[rep.port].own_fd < 0) {
			struct nb_sim_req un = { .op = NB_SIM_OP_EVTCHN_UNBIND, .port = rep.port };

			nb_sim_call_nofd(h->conn, &un, &rep);
		}
	}
	pthread_mutex_unlock(&h->lock);
	return ret;
}

int
nb_sim_evtchn_alloc_unbound(struct nb_sim_evtchn *h, unsigned int remote_domid)
{
	struct nb_sim_req req = { .op = NB_SIM_OP_EVTCHN_ALLOC_UNBOUND, .domid = remote_domid };

	return nb_sim_evtchn_new_port(h, &req, 1);
}

int
nb_sim_evtchn_bind_interdomain(struct nb_sim_evtchn *h, unsigned int domid, uint32_t remote_port)
{
	struct nb_sim_req req = {
		.op = NB_SIM_OP_EVTCHN_BIND_INTERDOMAIN,
		.domid = domid,
		.port = remote_port,
	};

	return nb_sim_evtchn_new_port(h, &req, 2);
}

int
nb_sim_evtchn_unbind(struct nb_sim_evtchn *h, uint32_t port)
{
	struct nb_sim_req req = { .op = NB_SIM_OP_EVTCHN_UNBIND, .port = port };
	struct nb_sim_rep rep;
	int err;

	pthread_mutex_lock(&h->lock);
	if (!nb_sim_evtchn_owns(h, port)) {
		err = -EINVAL;
	} else {
		err = nb_sim_call_nofd(h->conn, &req, &rep);
		/* The port is gone for us whatever the server said: never leave half a port. */
		nb_sim_evtchn_forget(h, port);
	}
	pthread_mutex_unlock(&h->lock);
	return err;
}

/* Learns the current peer of 'port' after its generation moved. */
static int
nb_sim_evtchn_refresh(struct nb_sim_evtchn *h, uint32_t port)
{
	struct nb_sim_req req = { .op = NB_SIM_OP_EVTCHN_PEER, .port = port };
	struct nb_sim_evtchn_port *p = &h->ports[port];
	struct nb_sim_rep rep;
	int fds[NB_SIM_MAX_FDS];
	int err;

	err = nb_sim_call(h->conn, &req, &rep, fds);
	if (err)
		return err;
	if (rep.n_fds > 1) {
		nb_sim_close_fds(fds, NB_SIM_MAX_FDS);
		return -EPROTO;
	}
	if (p->peer_fd >= 0)
		close(p->peer_fd);
	p->peer_fd = rep.n_fds ? fds[0] : -1;
	p->gen = rep.gen;
	return 0;
}

int
nb_sim_evtchn_notify(struct nb_sim_evtchn *h, uint32_t port)
{
	static const uint64_t one = 1;
	struct nb_sim_evtchn_port *p;
	int err = 0;

	pthread_mutex_lock(&h->lock);
	if (!nb_sim_evtchn_owns(h, port)) {
		err = -EINVAL;
		goto out;
	}
	p = &h->ports[port];
	if (__atomic_load_n(&h->pstate[port], __ATOMIC_ACQUIRE) != p->gen) {
		err = nb_sim_evtchn_refresh(h, port);
		if (err)
			goto out;
	}
	/* EAGAIN means the counter is saturated: the peer has an event pending anyway. */
	if (p->peer_fd >= 0 && write(p->peer_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		err = -errno;
out:
	pthread_mutex_unlock(&h->lock);
	return err;
}

int
nb_sim_evtchn_pending(struct nb_sim_evtchn *h)
{
	struct epoll_event ev;
	uint64_t v;

	for (;;) {
		uint32_t port;
		int n = epoll_wait(h->epfd, &ev, 1, 0);

		if (n < 0)
			return errno == EINTR ? -EAGAIN : -errno;
		if (n == 0)
			return -EAGAIN;
		port = ev.data.u32;
		pthread_mutex_lock(&h->lock);
		if (!nb_sim_evtchn_owns(h, port)) {
			pthread_mutex_unlock(&h->lock);
			continue;
		}
		/* Consume the event; EPOLLONESHOT keeps the port masked until unmask(). */
		if (read(h->ports[port].own_fd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
			int err = -errno;

			pthread_mutex_unlock(&h->lock);
			return err;
		}
		pthread_mutex_unlock(&h->lock);
		return (int)port;
	}
}

int
nb_sim_evtchn_unmask(struct nb_sim_evtchn *h, uint32_t port)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT };
	int err = 0;

	pthread_mutex_lock(&h->lock);
	if (!nb_sim_evtchn_owns(h, port)) {
		err = -EINVAL;
	} else {
		ev.data.u32 = port;
		if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, h->ports[port].own_fd, &ev) < 0)
			err = -errno;
	}
	pthread_mutex_unlock(&h->lock);
	return err;
}

int
nb_sim_guest_attach(struct nb_sim_guest **gp, const char *rundir, unsigned int domid)
{
	struct nb_sim_guest *g;
	int err;

	if (!domid)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	err = nb_sim_connect(&g->conn, rundir, domid);
	if (!err)
		err = nb_sim_dom_map(g->conn, domid, &g->dom, NULL);
	if (err) {
		nb_sim_guest_detach(g);
		return err;
	}
	*gp = g;
	return 0;
}

void
nb_sim_guest_detach(struct nb_sim_guest *g)
{
	if (!g)
		return;
	nb_sim_dom_unmap(g->dom);
	nb_sim_disconnect(g->conn);
	free(g);
}

const struct nb_sim_gnt_dom *
nb_sim_guest_dom(const struct nb_sim_guest *g)
{
	return g->dom;
}

void *
nb_sim_guest_page(struct nb_sim_guest *g, uint64_t gfn)
{
	if (gfn >= g->dom->n_pages)
		return NULL;
	return g->dom->mem + (gfn << NB_SIM_PAGE_SHIFT);
}

int
nb_sim_guest_grant_access(struct nb_sim_guest *g, uint32_t ref, unsigned int domid, uint64_t gfn,
			  bool readonly)
{
	if (gfn >= g->dom->n_pages)
		return -EINVAL;
	return nb_sim_gnt_grant_access(g->dom->gnt, g->dom->n_entries, ref, domid, (uint32_t)gfn,
				       readonly);
}

int
nb_sim_guest_end_access(struct nb_sim_guest *g, uint32_t ref)
{
	return nb_sim_gnt_end_access(g->dom->gnt, g->dom->n_entries, ref);
}

int
nb_sim_dom_xs_path(const char *rundir, unsigned int domid, char *buf, size_t size)
{
	int n;

	if (!rundir || !buf)
		return -EINVAL;
	if (domid)
		n = snprintf(buf, size, "%s/xenstored/dom%u.socket", rundir, domid);
	else
		n = snprintf(buf, size, "%s/xenstored/socket", rundir);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}
