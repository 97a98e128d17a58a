/* SPDX-License-Identifier: MIT */
/*
 * test-hv.c - netback's hypervisor interface (hv.h) on the simulation, as netbackd uses it:
 * grant copy both ways with per-segment statuses, map/unmap with the guest's view of its
 * grant entries, domains appearing and dying under a running backend, grant maps of a dead
 * process released by nb-simhv, event channels through hv handles, XenStore path selection,
 * and a concurrent stress of several worker threads copying and notifying at once with exact
 * counts. nb-simhv's hypervisor runs in this process on its own thread.
 */
#include "netback/hv/hv.h"
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
#include <unistd.h>

#include <cmocka.h>

struct harness {
	char rundir[64];
	char hvdir[96];
	struct vsw_loop *loop;
	struct shv_hv *shv;
	pthread_t thread;
	int wake_fd;
	struct nb_hv *hv;
};

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
	struct harness *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	strcpy(h->rundir, "/tmp/nb-hv-test-XXXXXX");
	assert_non_null(mkdtemp(h->rundir));
	snprintf(h->hvdir, sizeof(h->hvdir), "%s/hv", h->rundir);
	assert_int_equal(vsw_loop_create(&h->loop), 0);
	h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(h->wake_fd >= 0);
	assert_int_equal(vsw_loop_add(h->loop, h->wake_fd, EPOLLIN, on_wake, h), 0);
	assert_int_equal(shv_hv_create(&h->shv, h->loop, h->hvdir, NULL, NULL), 0);
	assert_int_equal(pthread_create(&h->thread, NULL, loop_thread, h), 0);
	assert_int_equal(nb_hv_open(&h->hv, NB_HV_SIM, h->rundir), 0);
	*state = h;
	return 0;
}

static int
teardown(void **state)
{
	struct harness *h = *state;
	uint64_t one = 1;

	nb_hv_close(h->hv);
	assert_int_equal(write(h->wake_fd, &one, sizeof(one)), sizeof(one));
	pthread_join(h->thread, NULL);
	shv_hv_destroy(h->shv);
	vsw_loop_destroy(h->loop);
	close(h->wake_fd);
	assert_int_equal(rmdir(h->hvdir), 0);
	assert_int_equal(rmdir(h->rundir), 0);
	free(h);
	return 0;
}

static unsigned int
create_dom(struct harness *h, const char *name)
{
	unsigned int domid = 0;

	assert_int_equal(nb_sim_domain_create(h->rundir, name, 4, &domid), 0);
	return domid;
}

static struct nb_hv_copy_seg
from_guest(unsigned int domid, uint32_t ref, uint16_t off, void *dst, uint16_t len)
{
	struct nb_hv_copy_seg s = { .len = len, .flags = GNTCOPY_source_gref, .status = 99 };

	s.source.foreign.domid = (uint16_t)domid;
	s.source.foreign.ref = ref;
	s.source.foreign.offset = off;
	s.dest.virt = dst;
	return s;
}

static struct nb_hv_copy_seg
to_guest(const void *src, unsigned int domid, uint32_t ref, uint16_t off, uint16_t len)
{
	struct nb_hv_copy_seg s = { .len = len, .flags = GNTCOPY_dest_gref, .status = 99 };

	s.source.virt = (void *)src;
	s.dest.foreign.domid = (uint16_t)domid;
	s.dest.foreign.ref = ref;
	s.dest.foreign.offset = off;
	return s;
}

static uint16_t
guest_flags(struct nb_sim_guest *g, uint32_t ref)
{
	return __atomic_load_n(&nb_sim_guest_dom(g)->gnt[ref].flags, __ATOMIC_ACQUIRE);
}

static void
open_rejects_bad_kind_and_missing_daemon(void **state)
{
	struct harness *h = *state;
	struct nb_hv *hv;

	assert_string_equal(nb_hv_name(h->hv), "sim");
	assert_int_equal(nb_hv_domid(h->hv), 0);
	assert_int_equal(nb_hv_open(&hv, (enum nb_hv_kind)7, h->rundir), -EINVAL);
	assert_int_equal(nb_hv_open(&hv, NB_HV_SIM, NULL), -EINVAL);
	assert_int_equal(nb_hv_open(&hv, NB_HV_SIM, "/nonexistent/nb"), -ENOENT);
}

static void
grant_copy_both_ways_with_statuses(void **state)
{
	struct harness *h = *state;
	unsigned int d = create_dom(h, "guest1");
	struct nb_sim_guest *g;
	struct nb_hv_copy_seg segs[5];
	char in[32] = { 0 }, bad[8];

	assert_int_equal(nb_sim_guest_attach(&g, h->rundir, d), 0);
	strcpy(nb_sim_guest_page(g, 20), "from the guest");
	assert_int_equal(nb_sim_guest_grant_access(g, 8, 0, 20, true), 0);
	assert_int_equal(nb_sim_guest_grant_access(g, 9, 0, 21, false), 0);
	segs[0] = from_guest(d, 8, 0, in, 15);
	segs[1] = to_guest("into the guest", d, 9, 100, 15);
	segs[2] = to_guest("ro", d, 8, 0, 3);	   /* read-only grant as destination */
	segs[3] = from_guest(d + 1, 8, 0, bad, 4); /* no such domain */
	segs[4] = from_guest(d, 9, 4094, bad, 4);  /* crosses the page */
	assert_int_equal(nb_hv_grant_copy(h->hv, segs, 5), 0);
	assert_int_equal(segs[0].status, GNTST_okay);
	assert_int_equal(segs[1].status, GNTST_okay);
	assert_int_equal(segs[2].status, GNTST_general_error);
	assert_int_equal(segs[3].status, GNTST_bad_domain);
	assert_int_equal(segs[4].status, GNTST_bad_copy_arg);
	assert_string_equal(in, "from the guest");
	assert_string_equal((char *)nb_sim_guest_page(g, 21) + 100, "into the guest");
	assert_string_equal((char *)nb_sim_guest_page(g, 20), "from the guest");
	/* Local to local is refused as a whole. */
	segs[0].flags = 0;
	segs[0].source.virt = "x";
	assert_int_equal(nb_hv_grant_copy(h->hv, segs, 2), -EINVAL);
	assert_int_equal(nb_sim_guest_end_access(g, 8), 0);
	assert_int_equal(nb_sim_guest_end_access(g, 9), 0);
	nb_sim_guest_detach(g);
}

static void
map_pins_grants_until_unmap(void **state)
{
	struct harness *h = *state;
	unsigned int d = create_dom(h, "guest1");
	uint32_t refs[2] = { 30, 31 }, bad[2] = { 30, 32 };
	struct nb_sim_guest *g;
	void *ring, *other = NULL;

	assert_int_equal(nb_sim_guest_attach(&g, h->rundir, d), 0);
	nb_sim_guest_grant_access(g, 30, 0, 40, false);
	nb_sim_guest_grant_access(g, 31, 0, 41, false);
	assert_int_equal(nb_hv_map(h->hv, d, refs, 2, false, &ring), 0);
	assert_int_equal(guest_flags(g, 30), GTF_permit_access | GTF_reading | GTF_writing);
	assert_int_equal(nb_sim_guest_end_access(g, 31), -EBUSY);
	/* The backend's writes land in the guest's pages. */
	strcpy((char *)ring + NB_SIM_PAGE_SIZE, "response");
	assert_string_equal((char *)nb_sim_guest_page(g, 41), "response");
	/* Ref 32 was never granted: all or nothing, and 30 keeps only the first map's pin. */
	assert_int_equal(nb_hv_map(h->hv, d, bad, 2, true, &other), -EINVAL);
	assert_null(other);
	assert_int_equal(nb_hv_map(h->hv, d + 5, refs, 1, true, &other), -EINVAL);
	assert_int_equal(nb_hv_unmap(h->hv, ring, 1), -EINVAL); /* not how it was mapped */
	assert_int_equal(nb_hv_unmap(h->hv, ring, 2), 0);
	assert_int_equal(guest_flags(g, 30), GTF_permit_access);
	assert_int_equal(nb_hv_unmap(h->hv, ring, 2), -EINVAL);
	assert_int_equal(nb_sim_guest_end_access(g, 30), 0);
	assert_int_equal(nb_sim_guest_end_access(g, 31), 0);
	nb_sim_guest_detach(g);
}

static void
destroyed_domain_turns_bad_domain_and_new_domain_is_found(void **state)
{
	struct harness *h = *state;
	unsigned int d = create_dom(h, "guest1"), d2;
	struct nb_sim_guest *g;
	struct nb_hv_copy_seg s;
	uint32_t ref = 5;
	void *ring;
	char buf[8];

	assert_int_equal(nb_sim_guest_attach(&g, h->rundir, d), 0);
	nb_sim_guest_grant_access(g, 5, 0, 1, false);
	s = from_guest(d, 5, 0, buf, 8);
	assert_int_equal(nb_hv_grant_copy(h->hv, &s, 1), 0);
	assert_int_equal(s.status, GNTST_okay);
	/* A mapping outlives the domain, as on Xen; copies do not. */
	assert_int_equal(nb_hv_map(h->hv, d, &ref, 1, false, &ring), 0);
	assert_int_equal(nb_sim_domain_destroy(h->rundir, d), 0);
	s = from_guest(d, 5, 0, buf, 8);
	assert_int_equal(nb_hv_grant_copy(h->hv, &s, 1), 0);
	assert_int_equal(s.status, GNTST_bad_domain);
	((char *)ring)[0] = 1;
	assert_int_equal(nb_hv_unmap(h->hv, ring, 1), 0);
	nb_sim_guest_detach(g);
	d2 = create_dom(h, "guest2");
	assert_int_equal(nb_sim_guest_attach(&g, h->rundir, d2), 0);
	nb_sim_guest_grant_access(g, 5, 0, 1, false);
	s = to_guest("new", d2, 5, 0, 4);
	assert_int_equal(nb_hv_grant_copy(h->hv, &s, 1), 0);
	assert_int_equal(s.status, GNTST_okay);
	nb_sim_guest_detach(g);
}

static void
maps_of_dead_process_are_released(void **state)
{
	struct harness *h = *state;
	unsigned int d = create_dom(h, "guest1");
	uint32_t refs[2] = { 12, 13 };
	struct nb_sim_gnt_dom *dom;
	struct nb_sim_guest *g;
	struct nb_sim_conn *c;
	uint64_t serial, id;
	void *addr;
	int i;

	assert_int_equal(nb_sim_guest_attach(&g, h->rundir, d), 0);
	nb_sim_guest_grant_access(g, 12, 0, 3, false);
	nb_sim_guest_grant_access(g, 13, 0, 4, true);
	/* What hv-sim does for a map, then the process "dies" without unmapping. */
	assert_int_equal(nb_sim_connect(&c, h->rundir, 0), 0);
	assert_int_equal(nb_sim_dom_map(c, d, &dom, &serial), 0);
	assert_int_equal(nb_sim_gnt_map(dom, 0, refs, 1, false, NULL, &addr), 0);
	assert_int_equal(nb_sim_map_track(c, d, serial, refs, 1, false, &id), 0);
	assert_int_equal(nb_sim_gnt_map(dom, 0, refs + 1, 1, true, NULL, &addr), 0);
	assert_int_equal(nb_sim_map_track(c, d, serial, refs + 1, 1, true, &id), 0);
	assert_int_equal(nb_sim_map_track(c, d, serial + 1, refs, 1, true, &id), -ESRCH);
	assert_int_equal(nb_sim_map_untrack(c, id + 100), -ENOENT);
	assert_int_equal(nb_sim_guest_end_access(g, 12), -EBUSY);
	nb_sim_disconnect(c);
	/* nb-simhv notices the hang-up on its own thread; give it up to 2 s. */
	for (i = 0; i < 200 && (guest_flags(g, 12) & GTF_reading); i++)
		usleep(10000);
	assert_int_equal(guest_flags(g, 12), GTF_permit_access);
	assert_int_equal(guest_flags(g, 13), GTF_permit_access | GTF_readonly);
	assert_int_equal(dom->act[12].wr_pins + dom->act[13].rd_pins, 0);
	assert_int_equal(nb_sim_guest_end_access(g, 12), 0);
	nb_sim_dom_unmap(dom);
	nb_sim_guest_detach(g);
}

static void
evtchn_through_hv_handles(void **state)
{
	struct harness *h = *state;
	unsigned int d = create_dom(h, "guest1");
	struct nb_sim_evtchn *ge;
	struct nb_hv_evtchn *be;
	struct pollfd p;
	int gp, bp;

	assert_int_equal(nb_sim_evtchn_open(&ge, h->rundir, d), 0);
	gp = nb_sim_evtchn_alloc_unbound(ge, 0);
	assert_int_equal(nb_hv_evtchn_open(h->hv, &be), 0);
	bp = nb_hv_evtchn_bind_interdomain(be, d, (uint32_t)gp);
	assert_true(bp >= 1);
	assert_int_equal(nb_hv_evtchn_bind_interdomain(be, NB_SIM_DOMID_LIMIT, 1), -EINVAL);
	assert_int_equal(nb_sim_evtchn_notify(ge, (uint32_t)gp), 0);
	p = (struct pollfd){ .fd = nb_hv_evtchn_fd(be), .events = POLLIN };
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(nb_hv_evtchn_pending(be), bp);
	assert_int_equal(nb_hv_evtchn_pending(be), -EAGAIN);
	assert_int_equal(nb_hv_evtchn_unmask(be, (uint32_t)bp), 0);
	assert_int_equal(nb_hv_evtchn_notify(be, (uint32_t)bp), 0);
	p = (struct pollfd){ .fd = nb_sim_evtchn_fd(ge), .events = POLLIN };
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(nb_hv_evtchn_unbind(be, (uint32_t)bp), 0);
	assert_int_equal(nb_hv_evtchn_notify(be, (uint32_t)bp), -EINVAL);
	nb_hv_evtchn_close(be);
	nb_sim_evtchn_close(ge);
}

static void
xs_open_points_libxenstore_at_simulated_xenstored(void **state)
{
	struct harness *h = *state;
	struct xs_handle *xs;
	char want[160];

	snprintf(want, sizeof(want), "%s/xenstored/socket", h->rundir);
	/* No xenstored runs in this test: the open fails, after choosing the path. */
	xs = nb_hv_xs_open(h->hv);
	assert_null(xs);
	assert_non_null(getenv("XENSTORED_PATH"));
	assert_string_equal(getenv("XENSTORED_PATH"), want);
}

#define STRESS_PAIRS  4
#define STRESS_ROUNDS 2000

struct stress {
	struct harness *h;
	unsigned int domid;
	struct nb_sim_guest *g;
	int id;
	uint32_t ref;
	uint32_t gfn;
	int gport;
	int bport;
	struct nb_sim_evtchn *ge;
	int ok_rounds;	 /* backend side */
	int seen_rounds; /* guest side */
};

static bool
wait_event(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 5000) == 1;
}

/* A backend worker: copies k into the guest, kicks it, waits for the answer, copies it back. */
static void *
stress_backend(void *arg)
{
	struct stress *s = arg;
	struct nb_hv_evtchn *be;
	uint64_t k, v;
	int port;

	if (nb_hv_evtchn_open(s->h->hv, &be))
		return NULL;
	s->bport = nb_hv_evtchn_bind_interdomain(be, s->domid, (uint32_t)s->gport);
	for (k = 1; s->bport > 0 && k <= STRESS_ROUNDS; k++) {
		struct nb_hv_copy_seg seg = to_guest(&k, s->domid, s->ref, 0, 8);

		if (nb_hv_grant_copy(s->h->hv, &seg, 1) || seg.status != GNTST_okay)
			break;
		if (nb_hv_evtchn_notify(be, (uint32_t)s->bport))
			break;
		if (!wait_event(nb_hv_evtchn_fd(be)))
			break;
		port = nb_hv_evtchn_pending(be);
		if (port != s->bport || nb_hv_evtchn_unmask(be, (uint32_t)port))
			break;
		seg = from_guest(s->domid, s->ref, 8, &v, 8);
		if (nb_hv_grant_copy(s->h->hv, &seg, 1) || seg.status != GNTST_okay)
			break;
		if (v != k * 2 + (uint64_t)s->id)
			break;
		s->ok_rounds++;
	}
	nb_hv_evtchn_close(be);
	return NULL;
}

/* The guest: waits for a kick, checks the value, answers in the same page. */
static void *
stress_guest(void *arg)
{
	struct stress *s = arg;
	uint64_t *page = nb_sim_guest_page(s->g, s->gfn);
	uint64_t k;

	for (k = 1; k <= STRESS_ROUNDS; k++) {
		if (!wait_event(nb_sim_evtchn_fd(s->ge)))
			break;
		if (nb_sim_evtchn_pending(s->ge) != s->gport ||
		    nb_sim_evtchn_unmask(s->ge, (uint32_t)s->gport))
			break;
		if (__atomic_load_n(&page[0], __ATOMIC_ACQUIRE) != k)
			break;
		__atomic_store_n(&page[1], k * 2 + (uint64_t)s->id, __ATOMIC_RELEASE);
		s->seen_rounds++;
		if (nb_sim_evtchn_notify(s->ge, (uint32_t)s->gport))
			break;
	}
	return NULL;
}

static void
concurrent_workers_copy_and_notify_exactly(void **state)
{
	struct harness *h = *state;
	unsigned int d = create_dom(h, "guest1");
	struct stress st[STRESS_PAIRS];
	pthread_t bt[STRESS_PAIRS], gt[STRESS_PAIRS];
	struct nb_sim_guest *g;
	int i, total = 0;

	assert_int_equal(nb_sim_guest_attach(&g, h->rundir, d), 0);
	for (i = 0; i < STRESS_PAIRS; i++) {
		st[i] = (struct stress){ .h = h, .domid = d, .g = g, .id = i };
		st[i].ref = 100 + (uint32_t)i;
		st[i].gfn = 50 + (uint32_t)i;
		assert_int_equal(nb_sim_guest_grant_access(g, st[i].ref, 0, st[i].gfn, false), 0);
		assert_int_equal(nb_sim_evtchn_open(&st[i].ge, h->rundir, d), 0);
		st[i].gport = nb_sim_evtchn_alloc_unbound(st[i].ge, 0);
		assert_true(st[i].gport >= 1);
	}
	for (i = 0; i < STRESS_PAIRS; i++) {
		assert_int_equal(pthread_create(&gt[i], NULL, stress_guest, &st[i]), 0);
		assert_int_equal(pthread_create(&bt[i], NULL, stress_backend, &st[i]), 0);
	}
	for (i = 0; i < STRESS_PAIRS; i++) {
		pthread_join(bt[i], NULL);
		pthread_join(gt[i], NULL);
		assert_int_equal(st[i].ok_rounds, STRESS_ROUNDS);
		assert_int_equal(st[i].seen_rounds, STRESS_ROUNDS);
		total += st[i].ok_rounds;
		nb_sim_evtchn_close(st[i].ge);
		/* No pin survives the copies. */
		assert_int_equal(guest_flags(g, st[i].ref), GTF_permit_access);
	}
	assert_int_equal(total, STRESS_PAIRS * STRESS_ROUNDS);
	nb_sim_guest_detach(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(open_rejects_bad_kind_and_missing_daemon),
		T(grant_copy_both_ways_with_statuses),
		T(map_pins_grants_until_unmap),
		T(destroyed_domain_turns_bad_domain_and_new_domain_is_found),
		T(maps_of_dead_process_are_released),
		T(evtchn_through_hv_handles),
		T(xs_open_points_libxenstore_at_simulated_xenstored),
		T(concurrent_workers_copy_and_notify_exactly),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
