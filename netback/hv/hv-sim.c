/* SPDX-License-Identifier: MIT */
/*
 * hv-sim.c - hv.h on nb-simhv. Grant copy and map run in this process through sim-gnttab.c
 * over the guests' tables, which are mapped on first use and cached per domid; event
 * channels are sim-client handles on dom0's identity; XenStore is libxenstore pointed at the
 * simulated xenstored.
 *
 * The domain cache is read by every copying thread under a read lock. A destroyed domain is
 * noticed by the dead flag nb-simhv sets in its active table: the entry is dropped (and freed
 * once no mapping uses it) when a copy or map looks at it, or by nb_hv_gc() once a second,
 * and the next copy asks nb-simhv again, which then says it is gone.
 */
#include "netback/hv/hv.h"

#include "netback/hv/sim-client.h"
#include "netback/hv/sim-gnttab.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

_Static_assert(NB_HV_MAP_MAX == NB_SIM_MAP_MAX, "map limits agree");

struct nb_hv_sim_dom {
	struct nb_sim_gnt_dom *gd;
	uint64_t serial;
	unsigned int n_maps; /* live mappings of this domain (under ctl) */
	bool retired;	     /* dropped from doms[], freed with its last mapping */
};

struct nb_hv_sim_map {
	struct nb_hv_sim_map *next;
	void *addr;
	unsigned int count;
	bool readonly;
	uint64_t track_id;
	struct nb_hv_sim_dom *dom;
	uint32_t refs[NB_HV_MAP_MAX];
};

struct nb_hv_sim {
	char *rundir;
	struct nb_sim_conn *conn;    /* dom0: domain memory, map tracking */
	pthread_mutex_t ctl;	     /* slow path: fetching domains, maps */
	pthread_rwlock_t doms_rw;    /* doms[]: read by copies, written under ctl */
	struct nb_hv_sim_dom **doms; /* NB_SIM_DOMID_LIMIT */
	struct nb_hv_sim_map *maps;
};

static pthread_mutex_t nb_hv_sim_env_lock = PTHREAD_MUTEX_INITIALIZER;

static bool
nb_hv_sim_dead(const struct nb_hv_sim_dom *d)
{
	return __atomic_load_n(&d->gd->hdr->dead, __ATOMIC_ACQUIRE);
}

static void
nb_hv_sim_dom_free(struct nb_hv_sim_dom *d)
{
	nb_sim_dom_unmap(d->gd);
	free(d);
}

/* Drops a dead entry from the cache (ctl held). */
static void
nb_hv_sim_retire(struct nb_hv_sim *s, unsigned int domid)
{
	struct nb_hv_sim_dom *d = s->doms[domid];

	pthread_rwlock_wrlock(&s->doms_rw);
	s->doms[domid] = NULL;
	pthread_rwlock_unlock(&s->doms_rw);
	if (d->n_maps)
		d->retired = true;
	else
		nb_hv_sim_dom_free(d);
}

/* Makes doms[domid] current (ctl held): drops it if dead, fetches it if missing. Returns it,
 * or NULL if nb-simhv does not know the domain. */
static struct nb_hv_sim_dom *
nb_hv_sim_refresh(struct nb_hv_sim *s, unsigned int domid)
{
	struct nb_hv_sim_dom *d;

	if (!domid || domid >= NB_SIM_DOMID_LIMIT)
		return NULL;
	d = s->doms[domid];
	if (d && !nb_hv_sim_dead(d))
		return d;
	if (d)
		nb_hv_sim_retire(s, domid);
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (nb_sim_dom_map(s->conn, domid, &d->gd, &d->serial)) {
		free(d);
		return NULL;
	}
	pthread_rwlock_wrlock(&s->doms_rw);
	s->doms[domid] = d;
	pthread_rwlock_unlock(&s->doms_rw);
	return d;
}

static int
nb_hv_sim_open(void **implp, const char *rundir)
{
	struct nb_hv_sim *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->ctl, NULL);
	pthread_rwlock_init(&s->doms_rw, NULL);
	s->rundir = strdup(rundir);
	s->doms = calloc(NB_SIM_DOMID_LIMIT, sizeof(*s->doms));
	if (!s->rundir || !s->doms) {
		err = -ENOMEM;
		goto fail;
	}
	err = nb_sim_connect(&s->conn, rundir, 0);
	if (err)
		goto fail;
	*implp = s;
	return 0;
fail:
	free(s->doms);
	free(s->rundir);
	pthread_rwlock_destroy(&s->doms_rw);
	pthread_mutex_destroy(&s->ctl);
	free(s);
	return err;
}

static void
nb_hv_sim_close(void *impl)
{
	struct nb_hv_sim *s = impl;
	unsigned int i;

	while (s->maps) {
		struct nb_hv_sim_map *m = s->maps;

		s->maps = m->next;
		nb_sim_map_untrack(s->conn, m->track_id);
		nb_sim_gnt_unmap(m->dom->gd, m->addr, m->refs, m->count, m->readonly);
		if (!--m->dom->n_maps && m->dom->retired)
			nb_hv_sim_dom_free(m->dom);
		free(m);
	}
	for (i = 0; i < NB_SIM_DOMID_LIMIT; i++)
		if (s->doms[i])
			nb_hv_sim_dom_free(s->doms[i]);
	nb_sim_disconnect(s->conn);
	free(s->doms);
	free(s->rundir);
	pthread_rwlock_destroy(&s->doms_rw);
	pthread_mutex_destroy(&s->ctl);
	free(s);
}

static struct nb_sim_gnt_dom *
nb_hv_sim_lookup(void *arg, unsigned int domid)
{
	struct nb_hv_sim *s = arg;
	struct nb_hv_sim_dom *d = domid < NB_SIM_DOMID_LIMIT ? s->doms[domid] : NULL;

	return d ? d->gd : NULL;
}

static bool
nb_hv_sim_stale(const struct nb_hv_sim *s, unsigned int domid)
{
	const struct nb_hv_sim_dom *d;

	if (!domid || domid >= NB_SIM_DOMID_LIMIT)
		return false;
	d = s->doms[domid];
	return !d || nb_hv_sim_dead(d);
}

static int
nb_hv_sim_grant_copy(void *impl, struct nb_hv_copy_seg *segs, unsigned int count)
{
	struct nb_hv_sim *s = impl;
	bool stale = false;
	unsigned int i;
	int ret;

	pthread_rwlock_rdlock(&s->doms_rw);
	for (i = 0; i < count && !stale; i++) {
		if (segs[i].flags & GNTCOPY_source_gref)
			stale = nb_hv_sim_stale(s, segs[i].source.foreign.domid);
		if (!stale && (segs[i].flags & GNTCOPY_dest_gref))
			stale = nb_hv_sim_stale(s, segs[i].dest.foreign.domid);
	}
	if (stale) {
		/* Slow path, once per call: map new domains, drop dead ones. */
		pthread_rwlock_unlock(&s->doms_rw);
		pthread_mutex_lock(&s->ctl);
		for (i = 0; i < count; i++) {
			if ((segs[i].flags & GNTCOPY_source_gref) &&
			    nb_hv_sim_stale(s, segs[i].source.foreign.domid))
				nb_hv_sim_refresh(s, segs[i].source.foreign.domid);
			if ((segs[i].flags & GNTCOPY_dest_gref) &&
			    nb_hv_sim_stale(s, segs[i].dest.foreign.domid))
				nb_hv_sim_refresh(s, segs[i].dest.foreign.domid);
		}
		pthread_mutex_unlock(&s->ctl);
		pthread_rwlock_rdlock(&s->doms_rw);
	}
	ret = nb_sim_gnt_copy(0, segs, count, nb_hv_sim_lookup, s);
	pthread_rwlock_unlock(&s->doms_rw);
	return ret;
}

static int
nb_hv_sim_map(void *impl, unsigned int domid, const uint32_t *refs, unsigned int count,
	      bool readonly, void **addrp)
{
	struct nb_hv_sim *s = impl;
	struct nb_hv_sim_map *m;
	struct nb_hv_sim_dom *d;
	int err;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_lock(&s->ctl);
	d = nb_hv_sim_refresh(s, domid);
	if (!d) {
		err = -EINVAL; /* gntdev: the hypercall's GNTST_bad_domain */
		goto fail;
	}
	err = nb_sim_gnt_map(d->gd, 0, refs, count, readonly, NULL, &m->addr);
	if (err)
		goto fail;
	err = nb_sim_map_track(s->conn, domid, d->serial, refs, count, readonly, &m->track_id);
	if (err) {
		nb_sim_gnt_unmap(d->gd, m->addr, refs, count, readonly);
		goto fail;
	}
	m->count = count;
	m->readonly = readonly;
	m->dom = d;
	memcpy(m->refs, refs, count * sizeof(*refs));
	m->next = s->maps;
	s->maps = m;
	d->n_maps++;
	*addrp = m->addr;
	pthread_mutex_unlock(&s->ctl);
	return 0;
fail:
	pthread_mutex_unlock(&s->ctl);
	free(m);
	return err;
}

static int
nb_hv_sim_unmap(void *impl, void *addr, unsigned int count)
{
	struct nb_hv_sim *s = impl;
	struct nb_hv_sim_map **pp, *m;
	int err = -EINVAL;

	pthread_mutex_lock(&s->ctl);
	for (pp = &s->maps; (m = *pp); pp = &m->next) {
		if (m->addr != addr || m->count != count)
			continue;
		*pp = m->next;
		/* Forget the track first: a crash in between leaks pins, never unpins twice. */
		nb_sim_map_untrack(s->conn, m->track_id);
		err = nb_sim_gnt_unmap(m->dom->gd, m->addr, m->refs, m->count, m->readonly);
		if (!--m->dom->n_maps && m->dom->retired)
			nb_hv_sim_dom_free(m->dom);
		free(m);
		break;
	}
	pthread_mutex_unlock(&s->ctl);
	return err;
}

static int
nb_hv_sim_evtchn_open(void *impl, void **hp)
{
	struct nb_hv_sim *s = impl;
	struct nb_sim_evtchn *h;
	int err = nb_sim_evtchn_open(&h, s->rundir, 0);

	if (!err)
		*hp = h;
	return err;
}

static void
nb_hv_sim_evtchn_close(void *h)
{
	nb_sim_evtchn_close(h);
}

static int
nb_hv_sim_evtchn_fd(const void *h)
{
	return nb_sim_evtchn_fd(h);
}

static int
nb_hv_sim_evtchn_bind(void *h, unsigned int domid, uint32_t remote_port)
{
	return nb_sim_evtchn_bind_interdomain(h, domid, remote_port);
}

static int
nb_hv_sim_evtchn_unbind(void *h, uint32_t port)
{
	return nb_sim_evtchn_unbind(h, port);
}

static int
nb_hv_sim_evtchn_notify(void *h, uint32_t port)
{
	return nb_sim_evtchn_notify(h, port);
}

static int
nb_hv_sim_evtchn_pending(void *h)
{
	return nb_sim_evtchn_pending(h);
}

static int
nb_hv_sim_evtchn_unmask(void *h, uint32_t port)
{
	return nb_sim_evtchn_unmask(h, port);
}

static struct xs_handle *
nb_hv_sim_xs_open(void *impl)
{
	struct nb_hv_sim *s = impl;
	struct xs_handle *xs;
	char path[4096];
	int err;

	err = nb_sim_dom_xs_path(s->rundir, 0, path, sizeof(path));
	if (err) {
		errno = -err;
		return NULL;
	}
	/* libxenstore reads XENSTORED_PATH inside xs_open(); serialize our own writers. */
	pthread_mutex_lock(&nb_hv_sim_env_lock);
	if (setenv("XENSTORED_PATH", path, 1) < 0) {
		pthread_mutex_unlock(&nb_hv_sim_env_lock);
		return NULL;
	}
	xs = xs_open(0);
	pthread_mutex_unlock(&nb_hv_sim_env_lock);
	return xs;
}

/* Drops every cached domain nb-simhv has marked dead: its guest memory and grant table are
 * unmapped now (or with the last mapping of it), not when the domid comes round again. */
static unsigned int
nb_hv_sim_gc(void *impl)
{
	struct nb_hv_sim *s = impl;
	unsigned int n = 0;

	pthread_mutex_lock(&s->ctl);
	for (unsigned int domid = 1; domid < NB_SIM_DOMID_LIMIT; domid++) {
		if (s->doms[domid] && nb_hv_sim_dead(s->doms[domid])) {
			nb_hv_sim_retire(s, domid);
			n++;
		}
	}
	pthread_mutex_unlock(&s->ctl);
	return n;
}

const struct nb_hv_ops nb_hv_sim_ops = {
	.name = "sim",
	.open = nb_hv_sim_open,
	.close = nb_hv_sim_close,
	.grant_copy = nb_hv_sim_grant_copy,
	.map = nb_hv_sim_map,
	.unmap = nb_hv_sim_unmap,
	.evtchn_open = nb_hv_sim_evtchn_open,
	.evtchn_close = nb_hv_sim_evtchn_close,
	.evtchn_fd = nb_hv_sim_evtchn_fd,
	.evtchn_bind_interdomain = nb_hv_sim_evtchn_bind,
	.evtchn_unbind = nb_hv_sim_evtchn_unbind,
	.evtchn_notify = nb_hv_sim_evtchn_notify,
	.evtchn_pending = nb_hv_sim_evtchn_pending,
	.evtchn_unmask = nb_hv_sim_evtchn_unmask,
	.xs_open = nb_hv_sim_xs_open,
	.gc = nb_hv_sim_gc,
};
