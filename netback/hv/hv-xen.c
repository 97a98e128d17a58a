/* SPDX-License-Identifier: MIT */
/*
 * hv-xen.c - hv.h on a real Xen dom0: one libxengnttab handle for copies and maps, one
 * libxenevtchn handle per evtchn handle, libxenstore for the store. Deliberately thin: it
 * cannot run where there is no Xen, so every rule lives above hv.h or in Xen itself.
 */
#include "netback/hv/hv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

/* Segments converted per xengnttab_grant_copy() call (gntdev batches 16 per hypercall). */
#define NB_HV_XEN_COPY_CHUNK 64u

struct nb_hv_xen {
	xengnttab_handle *gt;
};

static int
nb_hv_xen_errno(void)
{
	return errno ? -errno : -EIO;
}

static int
nb_hv_xen_open(void **implp, const char *rundir)
{
	struct nb_hv_xen *x = calloc(1, sizeof(*x));

	(void)rundir;
	if (!x)
		return -ENOMEM;
	x->gt = xengnttab_open(NULL, 0);
	if (!x->gt) {
		int err = nb_hv_xen_errno();

		free(x);
		return err;
	}
	*implp = x;
	return 0;
}

static void
nb_hv_xen_close(void *impl)
{
	struct nb_hv_xen *x = impl;

	xengnttab_close(x->gt);
	free(x);
}

static int
nb_hv_xen_grant_copy(void *impl, struct nb_hv_copy_seg *segs, unsigned int count)
{
	xengnttab_grant_copy_segment_t xsegs[NB_HV_XEN_COPY_CHUNK];
	struct nb_hv_xen *x = impl;
	unsigned int done, i;

	for (done = 0; done < count; done += i) {
		unsigned int n =
			count - done < NB_HV_XEN_COPY_CHUNK ? count - done : NB_HV_XEN_COPY_CHUNK;

		memset(xsegs, 0, n * sizeof(xsegs[0]));
		for (i = 0; i < n; i++) {
			const struct nb_hv_copy_seg *s = &segs[done + i];

			if (s->flags & GNTCOPY_source_gref) {
				xsegs[i].source.foreign.ref = s->source.foreign.ref;
				xsegs[i].source.foreign.offset = s->source.foreign.offset;
				xsegs[i].source.foreign.domid = s->source.foreign.domid;
			} else {
				xsegs[i].source.virt = s->source.virt;
			}
			if (s->flags & GNTCOPY_dest_gref) {
				xsegs[i].dest.foreign.ref = s->dest.foreign.ref;
				xsegs[i].dest.foreign.offset = s->dest.foreign.offset;
				xsegs[i].dest.foreign.domid = s->dest.foreign.domid;
			} else {
				xsegs[i].dest.virt = s->dest.virt;
			}
			xsegs[i].len = s->len;
			xsegs[i].flags = s->flags;
		}
		/* The return value only reports fatal errors; the statuses say the rest. */
		if (xengnttab_grant_copy(x->gt, n, xsegs) < 0)
			return nb_hv_xen_errno();
		for (i = 0; i < n; i++)
			segs[done + i].status = xsegs[i].status;
	}
	return 0;
}

static int
nb_hv_xen_map(void *impl, unsigned int domid, const uint32_t *refs, unsigned int count,
	      bool readonly, void **addrp)
{
	struct nb_hv_xen *x = impl;
	uint32_t r[NB_HV_MAP_MAX];
	void *p;

	memcpy(r, refs, count * sizeof(*refs));
	p = xengnttab_map_domain_grant_refs(x->gt, count, domid, r,
					    PROT_READ | (readonly ? 0 : PROT_WRITE));
	if (!p)
		return nb_hv_xen_errno();
	*addrp = p;
	return 0;
}

static int
nb_hv_xen_unmap(void *impl, void *addr, unsigned int count)
{
	struct nb_hv_xen *x = impl;

	return xengnttab_unmap(x->gt, addr, count) < 0 ? nb_hv_xen_errno() : 0;
}

static int
nb_hv_xen_evtchn_open(void *impl, void **hp)
{
	xenevtchn_handle *xe;
	int fd, fl;

	(void)impl;
	xe = xenevtchn_open(NULL, 0);
	if (!xe)
		return nb_hv_xen_errno();
	/* pending() must not block when nothing is pending: hv.h promises -EAGAIN. */
	fd = xenevtchn_fd(xe);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int err = nb_hv_xen_errno();

		xenevtchn_close(xe);
		return err;
	}
	*hp = xe;
	return 0;
}

static void
nb_hv_xen_evtchn_close(void *h)
{
	xenevtchn_close(h);
}

static int
nb_hv_xen_evtchn_fd(const void *h)
{
	return xenevtchn_fd((xenevtchn_handle *)h);
}

static int
nb_hv_xen_evtchn_bind(void *h, unsigned int domid, uint32_t remote_port)
{
	xenevtchn_port_or_error_t port = xenevtchn_bind_interdomain(h, domid, remote_port);

	return port < 0 ? nb_hv_xen_errno() : port;
}

static int
nb_hv_xen_evtchn_unbind(void *h, uint32_t port)
{
	return xenevtchn_unbind(h, port) < 0 ? nb_hv_xen_errno() : 0;
}

static int
nb_hv_xen_evtchn_notify(void *h, uint32_t port)
{
	return xenevtchn_notify(h, port) < 0 ? nb_hv_xen_errno() : 0;
}

static int
nb_hv_xen_evtchn_pending(void *h)
{
	xenevtchn_port_or_error_t port = xenevtchn_pending(h);

	return port < 0 ? nb_hv_xen_errno() : port;
}

static int
nb_hv_xen_evtchn_unmask(void *h, uint32_t port)
{
	return xenevtchn_unmask(h, port) < 0 ? nb_hv_xen_errno() : 0;
}

static struct xs_handle *
nb_hv_xen_xs_open(void *impl)
{
	(void)impl;
	return xs_open(0);
}

const struct nb_hv_ops nb_hv_xen_ops = {
	.name = "xen",
	.open = nb_hv_xen_open,
	.close = nb_hv_xen_close,
	.grant_copy = nb_hv_xen_grant_copy,
	.map = nb_hv_xen_map,
	.unmap = nb_hv_xen_unmap,
	.evtchn_open = nb_hv_xen_evtchn_open,
	.evtchn_close = nb_hv_xen_evtchn_close,
	.evtchn_fd = nb_hv_xen_evtchn_fd,
	.evtchn_bind_interdomain = nb_hv_xen_evtchn_bind,
	.evtchn_unbind = nb_hv_xen_evtchn_unbind,
	.evtchn_notify = nb_hv_xen_evtchn_notify,
	.evtchn_pending = nb_hv_xen_evtchn_pending,
	.evtchn_unmask = nb_hv_xen_evtchn_unmask,
	.xs_open = nb_hv_xen_xs_open,
};
