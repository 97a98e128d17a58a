/* SPDX-License-Identifier: MIT */
/*
 * hv.h - netback's hypervisor interface: grant copy, grant map, event channels and XenStore.
 *
 * Everything the backend needs from Xen goes through this header, so the same backend code
 * runs on a Xen dom0 (NB_HV_XEN: libxengnttab, libxenevtchn, libxenstore; hv-xen.c) and
 * against the simulated hypervisor nb-simhv (NB_HV_SIM; hv-sim.c). The implementation is
 * chosen once by nb_hv_open(); hv.c dispatches through struct nb_hv_ops.
 *
 * Semantics are Xen's, not the simulation's:
 * - Grant copy is batched; every segment gets its own GNTST_* status and the call returns 0
 *   unless the arguments themselves are invalid (-EINVAL for a segment with no grant side, as
 *   Linux gntdev). Callers must check every segment's status.
 * - A grant map maps 'count' refs of one domain contiguously, all or nothing; while mapped the
 *   guest sees GTF_reading (and GTF_writing for a writable map) in its grant entries and cannot
 *   end foreign access.
 * - Event-channel handles follow libxenevtchn: pending() returns a port that fired and masks
 *   it; unmask() re-arms it, and an event that arrived meanwhile is delivered then. Poll
 *   nb_hv_evtchn_fd() before pending(). notify() on a port whose peer has gone is a silent
 *   no-op; on a port the handle does not own it is -EINVAL.
 * - XenStore is libxenstore itself (struct xs_handle *).
 *
 * Ownership: the caller owns what it opens and closes it; closing an evtchn handle unbinds
 * its ports. Threading: struct nb_hv (copy, map, unmap) may be used by any number of threads
 * at once; an evtchn handle serializes its own calls, but each worker thread is meant to have
 * its own handle (its fd goes in that worker's epoll set). Errors: 0 or -errno; calls that
 * return a port return it (>= 1) or -errno.
 */
#ifndef NB_HV_H
#define NB_HV_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

struct xs_handle;
struct nb_hv;
struct nb_hv_evtchn;

enum nb_hv_kind {
	NB_HV_SIM = 1, /* nb-simhv under a run directory */
	NB_HV_XEN = 2, /* a real Xen dom0 */
};

/* Most refs one nb_hv_map() maps (a multi-page netif ring is at most 16 pages). */
#define NB_HV_MAP_MAX 64u

/*
 * One grant-copy segment, shaped like xengnttab_grant_copy_segment_t. A side whose flag
 * (GNTCOPY_source_gref / GNTCOPY_dest_gref) is set is 'foreign': a grant ref in 'domid''s
 * table, and 'offset' + 'len' must stay within its 4 KiB page; the other side is 'virt', a
 * local pointer that may cross pages.
 */
struct nb_hv_copy_seg {
	union nb_hv_copy_ptr {
		void *virt; /* local side */
		struct {
			uint32_t ref;	 /* grant ref in domid's table */
			uint16_t offset; /* byte offset in the granted page */
			uint16_t domid;	 /* granting domain */
		} foreign;
	} source, dest;
	uint16_t len;	/* bytes */
	uint16_t flags; /* GNTCOPY_source_gref | GNTCOPY_dest_gref */
	int16_t status; /* out: GNTST_* */
};

/*
 * Opens the hypervisor interface of 'kind' into '*hvp'. 'rundir' is nb-simhv's run
 * directory for NB_HV_SIM (its hv/ and xenstored/ sockets) and ignored for NB_HV_XEN.
 * Returns 0, -EINVAL for a bad kind, or the error of reaching the hypervisor (-ENOENT when
 * nb-simhv does not run there, or no /dev/xen devices exist).
 */
int nb_hv_open(struct nb_hv **hvp, enum nb_hv_kind kind, const char *rundir);

/* Closes 'hv' (NULL is ignored). Unmap mappings and close evtchn and XenStore handles
 * first (the simulation unmaps leftover mappings; Xen leaves them to process exit). */
void nb_hv_close(struct nb_hv *hv);

/* "sim" or "xen". */
const char *nb_hv_name(const struct nb_hv *hv);

/* The backend's own domain id: always 0 (netback runs in dom0; driver domains are not
 * supported). */
unsigned int nb_hv_domid(const struct nb_hv *hv);

/*
 * Copies 'count' segments, each with its own status: GNTST_okay, GNTST_bad_domain (unknown
 * domain), GNTST_bad_gntref (ref beyond the table), GNTST_general_error (entry not
 * GTF_permit_access, granted to another domain, read-only as a destination, or changing
 * under us), GNTST_bad_page (frame beyond the guest's memory), GNTST_bad_copy_arg (offset +
 * len beyond the page). Returns 0, or -EINVAL when a segment has neither side foreign (then
 * no segment has been copied).
 */
int nb_hv_grant_copy(struct nb_hv *hv, struct nb_hv_copy_seg *segs, unsigned int count);

/*
 * Maps 'count' (1..NB_HV_MAP_MAX) grant refs of 'domid' contiguously, read-only or
 * writable, into '*addrp'. All or nothing: -EINVAL if any ref cannot be mapped (nothing
 * stays mapped or pinned), -ENOMEM without address space.
 */
int nb_hv_map(struct nb_hv *hv, unsigned int domid, const uint32_t *refs, unsigned int count,
	      bool readonly, void **addrp);

/* Unmaps a mapping made by nb_hv_map() ('count' as mapped); -EINVAL if there is none. */
int nb_hv_unmap(struct nb_hv *hv, void *addr, unsigned int count);

/*
 * Housekeeping, from time to time (the backend calls it once a second): lets go of what is
 * cached for domains that no longer exist (the simulation keeps each guest's memory and grant
 * table mapped until then; on Xen there is nothing to do). Returns how many were released.
 */
unsigned int nb_hv_gc(struct nb_hv *hv);

/* Opens an event-channel handle in '*hp'. */
int nb_hv_evtchn_open(struct nb_hv *hv, struct nb_hv_evtchn **hp);

/* Closes 'h' and unbinds all its ports (NULL is ignored). */
void nb_hv_evtchn_close(struct nb_hv_evtchn *h);

/* The pollable fd: readable while a port of 'h' has an undelivered event. */
int nb_hv_evtchn_fd(const struct nb_hv_evtchn *h);

/* Binds to 'remote_port' of 'domid', which must be unbound and allocated for us. Returns the
 * local port, -ESRCH for an unknown domain or -EINVAL otherwise. */
int nb_hv_evtchn_bind_interdomain(struct nb_hv_evtchn *h, unsigned int domid, uint32_t remote_port);

/* Closes 'port' of 'h'; the peer's port becomes unbound. -EINVAL if 'h' does not own it. */
int nb_hv_evtchn_unbind(struct nb_hv_evtchn *h, uint32_t port);

/* Signals the peer of 'port'. 0 (also when the peer has gone), -EINVAL if not ours. */
int nb_hv_evtchn_notify(struct nb_hv_evtchn *h, uint32_t port);

/* Returns a port that fired (now masked), or -EAGAIN if none. */
int nb_hv_evtchn_pending(struct nb_hv_evtchn *h);

/* Unmasks 'port'; an event latched while masked fires again. -EINVAL if not ours. */
int nb_hv_evtchn_unmask(struct nb_hv_evtchn *h, uint32_t port);

/*
 * Opens a XenStore connection with libxenstore, or NULL with errno set. For NB_HV_SIM this
 * first sets XENSTORED_PATH to <rundir>/xenstored/socket (process-wide, so call it before
 * other threads read the environment). Close with xs_close().
 */
struct xs_handle *nb_hv_xs_open(struct nb_hv *hv);

/*
 * Implementation side, for hv.c, hv-sim.c and hv-xen.c only. 'impl' is what open() returned;
 * 'h' what evtchn_open() returned. The same conventions as the calls above.
 */
struct nb_hv_ops {
	const char *name;
	int (*open)(void **implp, const char *rundir);
	void (*close)(void *impl);
	int (*grant_copy)(void *impl, struct nb_hv_copy_seg *segs, unsigned int count);
	int (*map)(void *impl, unsigned int domid, const uint32_t *refs, unsigned int count,
		   bool readonly, void **addrp);
	int (*unmap)(void *impl, void *addr, unsigned int count);
	int (*evtchn_open)(void *impl, void **hp);
	void (*evtchn_close)(void *h);
	int (*evtchn_fd)(const void *h);
	int (*evtchn_bind_interdomain)(void *h, unsigned int domid, uint32_t remote_port);
	int (*evtchn_unbind)(void *h, uint32_t port);
	int (*evtchn_notify)(void *h, uint32_t port);
	int (*evtchn_pending)(void *h);
	int (*evtchn_unmask)(void *h, uint32_t port);
	struct xs_handle *(*xs_open)(void *impl);
	unsigned int (*gc)(void *impl); /* optional */
};

extern const struct nb_hv_ops nb_hv_sim_ops;
extern const struct nb_hv_ops nb_hv_xen_ops;

#endif
