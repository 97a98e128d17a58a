/* SPDX-License-Identifier: MIT */
/*
 * hv.c - dispatch of the hypervisor interface (hv.h) to the implementation chosen at open:
 * hv-sim.c (nb-simhv) or hv-xen.c (Xen). Argument checks common to both live here.
 */
#include "netback/hv/hv.h"

#include <errno.h>
#include <stdlib.h>

struct nb_hv {
	const struct nb_hv_ops *ops;
	void *impl;
};

struct nb_hv_evtchn {
	const struct nb_hv_ops *ops;
	void *impl;
};

int
nb_hv_open(struct nb_hv **hvp, enum nb_hv_kind kind, const char *rundir)
{
	const struct nb_hv_ops *ops;
	struct nb_hv *hv;
	int err;

	if (!hvp)
		return -EINVAL;
	switch (kind) {
	case NB_HV_SIM:
		if (!rundir || !*rundir)
			return -EINVAL;
		ops = &nb_hv_sim_ops;
		break;
	case NB_HV_XEN:
		ops = &nb_hv_xen_ops;
		break;
	default:
		return -EINVAL;
	}
	hv = calloc(1, sizeof(*hv));
	if (!hv)
		return -ENOMEM;
	hv->ops = ops;
	err = ops->open(&hv->impl, rundir);
	if (err) {
		free(hv);
		return err;
	}
	*hvp = hv;
	return 0;
}

void
nb_hv_close(struct nb_hv *hv)
{
	if (!hv)
		return;
	hv->ops->close(hv->impl);
	free(hv);
}

const char *
nb_hv_name(const struct nb_hv *hv)
{
	return hv->ops->name;
}

unsigned int
nb_hv_domid(const struct nb_hv *hv)
{
	(void)hv;
	return 0;
}

int
nb_hv_grant_copy(struct nb_hv *hv, struct nb_hv_copy_seg *segs, unsigned int count)
{
	unsigned int i;

	if (!count)
		return 0;
	if (!segs)
		return -EINVAL;
	/* gntdev refuses local->local copies; both implementations refuse the whole batch. */
	for (i = 0; i < count; i++)
		if (!(segs[i].flags & (GNTCOPY_source_gref | GNTCOPY_dest_gref)))
			return -EINVAL;
	return hv->ops->grant_copy(hv->impl, segs, count);
}

int
nb_hv_map(struct nb_hv *hv, unsigned int domid, const uint32_t *refs, unsigned int count,
	  bool readonly, void **addrp)
{
	if (!refs || !addrp || !count || count > NB_HV_MAP_MAX || domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	return hv->ops->map(hv->impl, domid, refs, count, readonly, addrp);
}

int
nb_hv_unmap(struct nb_hv *hv, void *addr, unsigned int count)
{
	if (!addr || !count || count > NB_HV_MAP_MAX)
		return -EINVAL;
	return hv->ops->unmap(hv->impl, addr, count);
}

unsigned int
nb_hv_gc(struct nb_hv *hv)
{
	return hv->ops->gc ? hv->ops->gc(hv->impl) : 0;
}

int
nb_hv_evtchn_open(struct nb_hv *hv, struct nb_hv_evtchn **hp)
{
	struct nb_hv_evtchn *h;
	int err;

	if (!hp)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->ops = hv->ops;
	err = hv->ops->evtchn_open(hv->impl, &h->impl);
	if (err) {
		free(h);
		return err;
	}
	*hp = h;
	return 0;
}

void
nb_hv_evtchn_close(struct nb_hv_evtchn *h)
{
	if (!h)
		return;
	h->ops->evtchn_close(h->impl);
	free(h);
}

int
nb_hv_evtchn_fd(const struct nb_hv_evtchn *h)
{
	return h->ops->evtchn_fd(h->impl);
}

int
nb_hv_evtchn_bind_interdomain(struct nb_hv_evtchn *h, unsigned int domid, uint32_t remote_port)
{
	if (domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	return h->ops->evtchn_bind_interdomain(h->impl, domid, remote_port);
}

int
nb_hv_evtchn_unbind(struct nb_hv_evtchn *h, uint32_t port)
{
	return h->ops->evtchn_unbind(h->impl, port);
}

int
nb_hv_evtchn_notify(struct nb_hv_evtchn *h, uint32_t port)
{
	return h->ops->evtchn_notify(h->impl, port);
}

int
nb_hv_evtchn_pending(struct nb_hv_evtchn *h)
{
	return h->ops->evtchn_pending(h->impl);
}

int
nb_hv_evtchn_unmask(struct nb_hv_evtchn *h, uint32_t port)
{
	return h->ops->evtchn_unmask(h->impl, port);
}

struct xs_handle *
nb_hv_xs_open(struct nb_hv *hv)
{
	return hv->ops->xs_open(hv->impl);
}
