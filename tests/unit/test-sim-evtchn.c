/* SPDX-License-Identifier: MIT */
/*
 * test-sim-evtchn.c - nb-simhv's hypervisor (tools/simhv/hv-server.c) driven through
 * sim-client: event channels with libxenevtchn semantics (bind, notify both ways, mask on
 * delivery, latching, peer close and rebind), domain life cycle and its permissions, and a
 * daemon that survives clients sending garbage. The server runs in this process on its own
 * thread and loop, in a fresh mkdtemp directory per test.
 */
#include "netback/hv/sim-client.h"
#include "tools/simhv/hv-server.h"
#include "vswitch/evloop.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

#include <cmocka.h>

struct harness {
	char rundir[64];
	char hvdir[96];
	struct vsw_loop *loop;
	struct shv_hv *hv;
	pthread_t thread;
	int wake_fd;
	int n_created; /* hook calls, written on the loop thread */
	int n_destroyed;
	unsigned int last_destroyed;
};

static int
hook_created(void *arg, unsigned int domid, const char *name)
{
	struct harness *h = arg;

	(void)domid;
	__atomic_add_fetch(&h->n_created, 1, __ATOMIC_SEQ_CST);
	/* A toolstack refusing a domain: the create must be undone. */
	return strcmp(name, "refused") ? 0 : -EDQUOT;
}

static void
hook_destroyed(void *arg, unsigned int domid)
{
	struct harness *h = arg;

	__atomic_store_n(&h->last_destroyed, domid, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&h->n_destroyed, 1, __ATOMIC_SEQ_CST);
}

static void
on_wake(void *arg, uint32_t events)
{
	struct harness *h = arg;
	uint64_t v;

	(void)events;
	if (read(h->wake_fd, &v, sizeof(v)) == sizeof(v))
		vsw_loop_stop(h->loop);
}

static void *
loop_thread(void *arg)
{
	struct harness *h = arg;

	vsw_loop_run(h->loop);
	return NULL;
}

static int
setup(void **state)
{
	static const struct shv_hv_hooks hooks = {
		.domain_created = hook_created,
		.domain_destroyed = hook_destroyed,
	};
	struct harness *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	strcpy(h->rundir, "/tmp/nb-hv-test-XXXXXX");
	assert_non_null(mkdtemp(h->rundir));
	snprintf(h->hvdir, sizeof(h->hvdir), "%s/hv", h->rundir);
	assert_int_equal(vsw_loop_create(&h->loop), 0);
	h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(h->wake_fd >= 0);
	assert_int_equal(vsw_loop_add(h->loop, h->wake_fd, EPOLLIN, on_wake, h), 0);
	assert_int_equal(shv_hv_create(&h->hv, h->loop, h->hvdir, &hooks, h), 0);
	assert_int_equal(pthread_create(&h->thread, NULL, loop_thread, h), 0);
	*state = h;
	return 0;
}

static int
teardown(void **state)
{
	struct harness *h = *state;
	uint64_t one = 1;

	assert_int_equal(write(h->wake_fd, &one, sizeof(one)), sizeof(one));
	pthread_join(h->thread, NULL);
	shv_hv_destroy(h->hv);
	vsw_loop_destroy(h->loop);
	close(h->wake_fd);
	assert_int_equal(rmdir(h->hvdir), 0); /* destroy removed every socket */
	assert_int_equal(rmdir(h->rundir), 0);
	free(h);
	return 0;
}

static unsigned int
create_dom(struct harness *h, const char *name)
{
	unsigned int domid = 0;

	assert_int_equal(nb_sim_domain_create(h->rundir, name, 4, &domid), 0);
	assert_true(domid > 0);
	return domid;
}

/* Waits up to 2 s for the handle's fd to become readable. */
static bool
readable(struct nb_sim_evtchn *e, int timeout_ms)
{
	struct pollfd p = { .fd = nb_sim_evtchn_fd(e), .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

/* A guest port for dom0 and dom0's bound end: the netfront/netback pair. */
static void
pair(struct harness *h, unsigned int domid, struct nb_sim_evtchn **ge, struct nb_sim_evtchn **be,
     int *gport, int *bport)
{
	assert_int_equal(nb_sim_evtchn_open(ge, h->rundir, domid), 0);
	assert_int_equal(nb_sim_evtchn_open(be, h->rundir, 0), 0);
	*gport = nb_sim_evtchn_alloc_unbound(*ge, 0);
	assert_true(*gport >= 1);
	*bport = nb_sim_evtchn_bind_interdomain(*be, domid, (uint32_t)*gport);
	assert_true(*bport >= 1);
}

static void
notify_reaches_peer_both_ways(void **state)
{
	struct harness *h = *state;
	unsigned int d = create_dom(h, "guest1");
	struct nb_sim_evtchn *ge, *be;
	int gp, bp;

	pair(h, d, &ge, &be, &gp, &bp);
	assert_false(readable(ge, 0));
	assert_int_equal(nb_sim_evtchn_notify(be, (uint32_t)bp), 0);
	assert_true(readable(ge, 2000));
	assert_int_equal(nb_sim_evtchn_pending(ge), gp);
	assert_int_equal(nb_sim_evtchn_unmask(ge, (uint32_t)gp), 0);
	/* The guest learns the backend's eventfd lazily, on its first notify. */
	assert_false(readable(be, 0));
	assert_int_equal(nb_sim_evtchn_notify(ge, (uint32_t)gp), 0);
	assert_true(readable(be, 2000));
	assert_int_equal(nb_sim_evtchn_pending(be), bp);
	assert_int_equal(nb_sim_evtchn_pending(be), -EAGAIN);
	nb_sim_evtchn_close(ge);
	nb_sim_evtchn_close(be);
}

static void
pending_masks_port_and_unmask_delivers_latched_event(void **state)
{
	struct harness *h = *state;
	unsigned int d = create_dom(h, "guest1");
	struct nb_sim_evtchn *ge, *be;
	int gp, bp;

	pair(h, d, &ge, &be, &gp, &bp);
	assert_int_equal(nb_sim_evtchn_notify(be, (uint32_t)bp), 0);
	assert_int_equal(nb_sim_evtchn_notify(be, (uint32_t)bp), 0); /* coalesces */
	assert_true(readable(ge, 2000));
	assert_int_equal(nb_sim_evtchn_pending(ge), gp);
	/* Masked: a new event is latched, not delivered. */
	assert_int_equal(nb_sim_evtchn_notify(be, (uint32_t)bp), 0);
	assert_false(readable(ge, 50));
	assert_int_equal(nb_sim_evtchn_pending(ge), -EAGAIN);
	assert_int_equal(nb_sim_evtchn_unmask(ge, (uint32_t)gp), 0);
	assert_true(readable(ge, 2000));
	assert_int_equal(nb_sim_evtchn_pending(ge), gp);
	/* Nothing latched this time: unmask leaves the fd quiet. */
	assert_int_equal(nb_sim_evtchn_unmask(ge, (uint32_t)gp), 0);
	assert_false(readable(ge, 50));
	nb_sim_evtchn_close(ge);
	nb_sim_evtchn_close(be);
}

static void
ports_not_owned_are_einval(void **state)
{
	struct harness *h = *state;
	unsigned int d = create_dom(h, "guest1");
	struct nb_sim_evtchn *ge, *be;
	int gp, bp;

	pair(h, d, &ge, &be, &gp, &bp);
	assert_int_equal(nb_sim_evtchn_notify(be, 0), -EINVAL);
	assert_int_equal(nb_sim_evtchn_notify(be, NB_SIM_MAX_PORTS - 1), -EINVAL);
	assert_int_equal(nb_sim_evtchn_notify(be, UINT32_MAX), -EINVAL);
	/* The guest's port number is not the backend's. */
	if (gp != bp)
		assert_int_equal(nb_sim_evtchn_notify(be, (uint32_t)gp), -EINVAL);
	assert_int_equal(nb_sim_evtchn_unmask(be, 77), -EINVAL);
	assert_int_equal(nb_sim_evtchn_unbind(be, 77), -EINVAL);
	assert_int_equal(nb_sim_evtchn_unbind(be, (uint32_t)bp), 0);
	assert_int_equal(nb_sim_evtchn_notify(be, (uint32_t)bp), -EINVAL);
	assert_int_equal(nb_sim_evtchn_unmask(be, (uint32_t)bp), -EINVAL);
	assert_int_equal(nb_sim_evtchn_unbind(be, (uint32_t)bp), -EINVAL);
	nb_sim_evtchn_close(ge);
	nb_sim_evtchn_close(be);
}

static void
bind_needs_unbound_port_reserved_for_caller(void **state)
{
	struct harness *h = *state;
	unsigned int d1 = create_dom(h, "guest1"), d2 = create_dom(h, "guest2");
	struct nb_sim_evtchn *g1, *g2, *b1, *b2;
	int p_for_2, p_for_0, bp;

	assert_int_equal(nb_sim_evtchn_open(&g1, h->rundir, d1), 0);
	assert_int_equal(nb_sim_evtchn_open(&g2, h->rundir, d2), 0);
	assert_int_equal(nb_sim_evtchn_open(&b1, h->rundir, 0), 0);
	assert_int_equal(nb_sim_evtchn_open(&b2, h->rundir, 0), 0);
	p_for_2 = nb_sim_evtchn_alloc_unbound(g1, d2);
	p_for_0 = nb_sim_evtchn_alloc_unbound(g1, 0);
	assert_true(p_for_2 >= 1 && p_for_0 >= 1 && p_for_0 != p_for_2);
	/* Reserved for domain 2, so dom0 may not bind it; domain 2 may. */
	assert_int_equal(nb_sim_evtchn_bind_interdomain(b1, d1, (uint32_t)p_for_2), -EINVAL);
	assert_true(nb_sim_evtchn_bind_interdomain(g2, d1, (uint32_t)p_for_2) >= 1);
	/* Already bound: a second binder is refused. */
	bp = nb_sim_evtchn_bind_interdomain(b1, d1, (uint32_t)p_for_0);
	assert_true(bp >= 1);
	assert_int_equal(nb_sim_evtchn_bind_interdomain(b2, d1, (uint32_t)p_for_0), -EINVAL);
	/* Unknown domain, invalid and unallocated ports. */
	assert_int_equal(nb_sim_evtchn_bind_interdomain(b2, 999, 1), -ESRCH);
	assert_int_equal(nb_sim_evtchn_bind_interdomain(b2, d1, 0), -EINVAL);
	assert_int_equal(nb_sim_evtchn_bind_interdomain(b2, d1, NB_SIM_MAX_PORTS), -EINVAL);
	assert_int_equal(nb_sim_evtchn_bind_interdomain(b2, d1, 4000), -EINVAL);
	/* A port reserved for a reserved domid cannot be made. */
	assert_int_equal(nb_sim_evtchn_alloc_unbound(g1, NB_SIM_DOMID_LIMIT), -EINVAL);
	nb_sim_evtchn_close(g1);
	nb_sim_evtchn_close(g2);
	nb_sim_evtchn_close(b1);
	nb_sim_evtchn_close(b2);
}

static void
peer_close_unbinds_and_new_handle_rebinds(void **state)
{
	struct harness *h = *state;
	unsigned int d = create_dom(h, "guest1");
	struct nb_sim_evtchn *ge, *be, *be2;
	int gp, bp, bp2;

	pair(h, d, &ge, &be, &gp, &bp);
	assert_int_equal(nb_sim_evtchn_notify(ge, (uint32_t)gp), 0); /* learns the peer */
	assert_true(readable(be, 2000));
	/* The backend dies: the guest's port stays, unbound; notify is a silent no-op. */
	nb_sim_evtchn_close(be);
	assert_int_equal(nb_sim_evtchn_notify(ge, (uint32_t)gp), 0);
	assert_int_equal(nb_sim_evtchn_notify(ge, (uint32_t)gp), 0);
	/* A restarted backend binds the same guest port again. */
	assert_int_equal(nb_sim_evtchn_open(&be2, h->rundir, 0), 0);
	bp2 = nb_sim_evtchn_bind_interdomain(be2, d, (uint32_t)gp);
	assert_true(bp2 >= 1);
	assert_false(readable(be2, 0)); /* the no-op notifies went nowhere */
	assert_int_equal(nb_sim_evtchn_notify(ge, (uint32_t)gp), 0);
	assert_true(readable(be2, 2000));
	assert_int_equal(nb_sim_evtchn_pending(be2), bp2);
	assert_int_equal(nb_sim_evtchn_notify(be2, (uint32_t)bp2), 0);
	assert_true(readable(ge, 2000));
	/* Now the guest closes its end: the backend's port stays, unbound, and notify is a no-op. */
	assert_int_equal(nb_sim_evtchn_unbind(ge, (uint32_t)gp), 0);
	assert_int_equal(nb_sim_evtchn_notify(be2, (uint32_t)bp2), 0);
	nb_sim_evtchn_close(ge);
	nb_sim_evtchn_close(be2);
}

static void
guest_cannot_manage_domains(void **state)
{
	struct harness *h = *state;
	unsigned int d = create_dom(h, "guest1"), other;
	struct nb_sim_domain_info infos[4];
	struct nb_sim_conn *g, *z;
	struct nb_sim_gnt_dom *dom;

	assert_int_equal(nb_sim_connect(&g, h->rundir, d), 0);
	assert_int_equal(nb_sim_conn_domid(g), d);
	assert_int_equal(nb_sim_conn_domain_create(g, "evil", 4, &other), -EPERM);
	assert_int_equal(nb_sim_conn_domain_destroy(g, d), -EPERM);
	assert_int_equal(nb_sim_conn_domain_list(g, infos, 4), -EPERM);
	assert_int_equal(nb_sim_map_untrack(g, 1), -EPERM);
	/* A guest maps its own memory, not another domain's, and never the active table. */
	assert_int_equal(nb_sim_dom_map(g, 0, &dom, NULL), -EPERM);
	assert_int_equal(nb_sim_dom_map(g, d, &dom, NULL), 0);
	assert_null(dom->act);
	nb_sim_dom_unmap(dom);
	/* The port-state table comes read-only: it cannot be mapped writable. */
	{
		struct nb_sim_req req = { .op = NB_SIM_OP_EVTCHN_STATE };
		struct nb_sim_rep rep;
		int fds[NB_SIM_MAX_FDS];

		assert_int_equal(nb_sim_call(g, &req, &rep, fds), 0);
		assert_int_equal(rep.n_fds, 1);
		assert_true(mmap(NULL, NB_SIM_PSTATE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fds[0], 0) == MAP_FAILED);
		assert_int_equal(errno, EACCES);
		close(fds[0]);
	}
	nb_sim_disconnect(g);
	/* dom0 cannot destroy itself; unknown domains are ESRCH. */
	assert_int_equal(nb_sim_connect(&z, h->rundir, 0), 0);
	assert_int_equal(nb_sim_conn_domain_destroy(z, 0), -EPERM);
	assert_int_equal(nb_sim_conn_domain_destroy(z, 4242), -ESRCH);
	assert_int_equal(nb_sim_dom_map(z, 0, &dom, NULL), -EINVAL);
	nb_sim_disconnect(z);
	/* No socket for a domain that does not exist. */
	assert_int_equal(nb_sim_connect(&g, h->rundir, d + 1), -ENOENT);
}

static void
create_validates_and_list_reports_domains(void **state)
{
	struct harness *h = *state;
	struct nb_sim_domain_info infos[NB_SIM_MAX_DOMAINS];
	char name[32], path[160];
	unsigned int d1, d2, i;
	struct stat st;
	int n;

	d1 = create_dom(h, "alpha");
	assert_int_equal(d1, 1);
	assert_int_equal(nb_sim_domain_create(h->rundir, "beta", 32, &d2), 0);
	assert_int_equal(d2, 2);
	assert_int_equal(nb_sim_domain_create(h->rundir, "alpha", 4, &d2), -EEXIST);
	assert_int_equal(nb_sim_domain_create(h->rundir, "", 4, &d2), -EINVAL);
	assert_int_equal(nb_sim_domain_create(h->rundir, "a/b", 4, &d2), -EINVAL);
	assert_int_equal(nb_sim_domain_create(h->rundir, "a\"b", 4, &d2), -EINVAL);
	assert_int_equal(nb_sim_domain_create(h->rundir, "a b", 4, &d2), -EINVAL);
	assert_int_equal(nb_sim_domain_create(h->rundir, "zero", 0, &d2), -EINVAL);
	assert_int_equal(nb_sim_domain_create(h->rundir, "huge", NB_SIM_MAX_MEM_MIB + 1, &d2),
			 -EINVAL);
	/* The toolstack hook refusing a domain undoes it. */
	assert_int_equal(nb_sim_domain_create(h->rundir, "refused", 4, &d2), -EDQUOT);
	assert_int_equal(__atomic_load_n(&h->n_created, __ATOMIC_SEQ_CST), 3);
	/* Sockets are private to root. */
	snprintf(path, sizeof(path), "%s/socket", h->hvdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/dom%u.socket", h->hvdir, d1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* More domains than one list reply holds. */
	for (i = 0; i < NB_SIM_LIST_BATCH + 3; i++) {
		snprintf(name, sizeof(name), "many-%u", i);
		create_dom(h, name);
	}
	n = nb_sim_domain_list(h->rundir, infos, NB_SIM_MAX_DOMAINS);
	assert_int_equal(n, 1 + 2 + NB_SIM_LIST_BATCH + 3);
	assert_string_equal(infos[0].name, "Domain-0");
	assert_int_equal(infos[0].domid, 0);
	assert_string_equal(infos[1].name, "alpha");
	assert_int_equal(infos[1].memory_mib, 4);
	assert_string_equal(infos[2].name, "beta");
	assert_int_equal(infos[2].memory_mib, 32);
	for (i = 1; i < (unsigned int)n; i++)
		assert_true(infos[i].domid > infos[i - 1].domid);
	assert_string_equal(infos[n - 1].name, "many-18");
	/* A short buffer gets the first entries. */
	assert_int_equal(nb_sim_domain_list(h->rundir, infos, 2), 2);
	/* Destroyed ids are not reused while fresh ones remain. */
	assert_int_equal(nb_sim_domain_destroy(h->rundir, d1), 0);
	assert_int_equal(__atomic_load_n(&h->last_destroyed, __ATOMIC_SEQ_CST), d1);
	assert_true(create_dom(h, "alpha") > d1);
}

static void
destroy_closes_domain_ports_and_connections(void **state)
{
	struct harness *h = *state;
	unsigned int d = create_dom(h, "guest1"), d2;
	struct nb_sim_evtchn *ge, *be, *ge2;
	char path[160];
	int gp, bp, gp2;

	pair(h, d, &ge, &be, &gp, &bp);
	assert_int_equal(nb_sim_domain_destroy(h->rundir, d), 0);
	assert_int_equal(__atomic_load_n(&h->n_destroyed, __ATOMIC_SEQ_CST), 1);
	/* The backend's port is unbound now: notify is a no-op, the handle lives on. */
	assert_int_equal(nb_sim_evtchn_notify(be, (uint32_t)bp), 0);
	/* The guest's connection is gone, its socket too. */
	assert_true(nb_sim_evtchn_alloc_unbound(ge, 0) < 0);
	snprintf(path, sizeof(path), "%s/dom%u.socket", h->hvdir, d);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(nb_sim_evtchn_bind_interdomain(be, d, (uint32_t)gp), -ESRCH);
	/* Another guest binds to the same backend handle. */
	d2 = create_dom(h, "guest2");
	assert_int_equal(nb_sim_evtchn_open(&ge2, h->rundir, d2), 0);
	gp2 = nb_sim_evtchn_alloc_unbound(ge2, 0);
	assert_true(nb_sim_evtchn_bind_interdomain(be, d2, (uint32_t)gp2) >= 1);
	nb_sim_evtchn_close(ge);
	nb_sim_evtchn_close(ge2);
	nb_sim_evtchn_close(be);
}

static int
raw_connect(const char *rundir)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/hv/socket", rundir);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* The server closed 'fd': recv() sees EOF within 2 s. */
static bool
dropped(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[sizeof(struct nb_sim_rep)];

	if (poll(&p, 1, 2000) != 1)
		return false;
	return recv(fd, buf, sizeof(buf), 0) == 0;
}

static void
daemon_drops_garbage_clients_and_goes_on(void **state)
{
	struct harness *h = *state;
	struct nb_sim_req req = { .magic = NB_SIM_MAGIC, .op = NB_SIM_OP_INFO };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = &req, .iov_len = sizeof(req) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct nb_sim_evtchn *e;
	struct cmsghdr *cm;
	int fd, efd;

	/* Too short. */
	fd = raw_connect(h->rundir);
	assert_int_equal(send(fd, "abc", 3, 0), 3);
	assert_true(dropped(fd));
	close(fd);
	/* Right size, wrong magic. */
	fd = raw_connect(h->rundir);
	req.magic = 0xdeadbeef;
	assert_int_equal(send(fd, &req, sizeof(req), 0), sizeof(req));
	assert_true(dropped(fd));
	close(fd);
	/* A valid request carrying a descriptor. */
	fd = raw_connect(h->rundir);
	req.magic = NB_SIM_MAGIC;
	efd = eventfd(0, EFD_CLOEXEC);
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &efd, sizeof(int));
	assert_int_equal(sendmsg(fd, &msg, 0), sizeof(req));
	assert_true(dropped(fd));
	close(fd);
	close(efd);
	/* Unknown op: an error reply, the connection stays. */
	fd = raw_connect(h->rundir);
	req.op = 999;
	assert_int_equal(send(fd, &req, sizeof(req), 0), sizeof(req));
	{
		struct nb_sim_rep rep;

		assert_int_equal(recv(fd, &rep, sizeof(rep), 0), sizeof(rep));
		assert_int_equal(rep.err, -ENOSYS);
	}
	/* A client that dies with an allocated port. */
	assert_int_equal(nb_sim_evtchn_open(&e, h->rundir, 0), 0);
	assert_true(nb_sim_evtchn_alloc_unbound(e, 0) >= 1);
	nb_sim_evtchn_close(e);
	close(fd);
	/* The daemon still serves. */
	create_dom(h, "after-garbage");
	assert_int_equal(nb_sim_evtchn_open(&e, h->rundir, 0), 0);
	assert_int_equal(nb_sim_evtchn_alloc_unbound(e, 0), 1); /* port 1 was freed */
	nb_sim_evtchn_close(e);
}

static void
guest_attach_sees_own_memory_and_xs_path(void **state)
{
	struct harness *h = *state;
	unsigned int d = create_dom(h, "guest1");
	struct nb_sim_guest *g;
	struct nb_sim_conn *z;
	struct nb_sim_gnt_dom *dom;
	char path[64];

	assert_int_equal(nb_sim_guest_attach(&g, h->rundir, d), 0);
	assert_int_equal(nb_sim_guest_dom(g)->n_pages, 4u << 8);
	assert_non_null(nb_sim_guest_page(g, (4u << 8) - 1));
	assert_null(nb_sim_guest_page(g, 4u << 8));
	assert_int_equal(nb_sim_guest_grant_access(g, 3, 0, 4u << 8, false), -EINVAL);
	assert_int_equal(nb_sim_guest_grant_access(g, NB_SIM_GNT_ENTRIES, 0, 1, false), -EINVAL);
	/* The guest cannot shrink its memory under the backend's mappings (SIGBUS there). */
	assert_int_equal(ftruncate(nb_sim_guest_dom(g)->mem_fd, 0), -1);
	assert_int_equal(errno, EPERM);
	strcpy(nb_sim_guest_page(g, 7), "shared");
	assert_int_equal(nb_sim_guest_grant_access(g, 3, 0, 7, true), 0);
	/* dom0 sees the same memory and grant entry. */
	assert_int_equal(nb_sim_connect(&z, h->rundir, 0), 0);
	assert_int_equal(nb_sim_dom_map(z, d, &dom, NULL), 0);
	assert_string_equal((char *)dom->mem + 7 * NB_SIM_PAGE_SIZE, "shared");
	assert_int_equal(dom->gnt[3].flags, GTF_permit_access | GTF_readonly);
	assert_non_null(dom->act);
	nb_sim_dom_unmap(dom);
	nb_sim_disconnect(z);
	assert_int_equal(nb_sim_guest_end_access(g, 3), 0);
	nb_sim_guest_detach(g);
	assert_int_equal(nb_sim_guest_attach(&g, h->rundir, 0), -EINVAL);
	assert_int_equal(nb_sim_dom_xs_path("/run/nb", 3, path, sizeof(path)), 0);
	assert_string_equal(path, "/run/nb/xenstored/dom3.socket");
	assert_int_equal(nb_sim_dom_xs_path("/run/nb", 0, path, sizeof(path)), 0);
	assert_string_equal(path, "/run/nb/xenstored/socket");
	assert_int_equal(nb_sim_dom_xs_path("/run/nb", 3, path, 10), -ENAMETOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(notify_reaches_peer_both_ways),
		T(pending_masks_port_and_unmask_delivers_latched_event),
		T(ports_not_owned_are_einval),
		T(bind_needs_unbound_port_reserved_for_caller),
		T(peer_close_unbinds_and_new_handle_rebinds),
		T(guest_cannot_manage_domains),
		T(create_validates_and_list_reports_domains),
		T(destroy_closes_domain_ports_and_connections),
		T(daemon_drops_garbage_clients_and_goes_on),
		T(guest_attach_sees_own_memory_and_xs_path),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
