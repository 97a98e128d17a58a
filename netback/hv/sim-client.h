/* SPDX-License-Identifier: MIT */
/*
 * sim-client.h - client library of nb-simhv's hypercall sockets (wire format: sim-proto.h).
 *
 * Three kinds of users:
 * - dom0 tools and the backend (hv-sim.c): domain life cycle (create/destroy/list, what
 *   `xl create/destroy` does to Xen), mapping a guest's memory, grant table and active table
 *   for sim-gnttab, and recording grant maps so nb-simhv releases them if the process dies;
 * - event-channel handles with libxenevtchn semantics, on dom0's or a guest's identity: one
 *   connection each; a port's "pending" state is an eventfd created by nb-simhv, the handle's
 *   pollable fd is an epoll fd over its ports' eventfds (EPOLLONESHOT = masked after
 *   delivery), and notify() writes the peer's eventfd directly. The peer's eventfd is learned
 *   lazily and refetched when the port's generation in the domain's port-state memfd changes
 *   (the peer closed, or a new peer bound);
 * - simulated guests (nb-guest, nb-bench, tests): attach to an existing domain, reach its own
 *   memory (callers manage GFNs) and grant table, grant and end access.
 *
 * Identity is the socket: domid 0 connects to <rundir>/hv/socket, domid N to
 * <rundir>/hv/dom<N>.socket. Ownership: every open/attach/map has its close/detach/unmap;
 * closing an evtchn handle closes its ports (their peers become unbound).
 * Threading: a connection serializes its own calls; an evtchn handle serializes its calls and
 * may be shared, but is meant for one thread. Errors: 0 or -errno (-ENOENT when nb-simhv does
 * not serve 'rundir'); calls returning a port or a count return it or -errno.
 */
#ifndef NB_SIM_CLIENT_H
#define NB_SIM_CLIENT_H

#include "netback/hv/sim-gnttab.h"
#include "netback/hv/sim-proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nb_sim_conn;
struct nb_sim_evtchn;
struct nb_sim_guest;

/* Connects to nb-simhv under 'rundir' as 'domid' (0 = the privileged socket). */
int nb_sim_connect(struct nb_sim_conn **connp, const char *rundir, unsigned int domid);

/* Closes the connection (NULL is ignored). */
void nb_sim_disconnect(struct nb_sim_conn *conn);

/* The domain this connection speaks for. */
unsigned int nb_sim_conn_domid(const struct nb_sim_conn *conn);

/*
 * One request/reply exchange: fills req->magic, sends 'req', receives '*rep' and up to
 * NB_SIM_MAX_FDS descriptors into 'fds' (rep->n_fds of them, CLOEXEC). Returns rep->err, or
 * -errno for a transport failure (-EPROTO for a malformed reply); on any error no fd is left
 * open.
 */
int nb_sim_call(struct nb_sim_conn *conn, struct nb_sim_req *req, struct nb_sim_rep *rep,
		int fds[NB_SIM_MAX_FDS]);

/* Domain life cycle over 'conn' (must be dom0's, else -EPERM). 'name': 1..63 printable
 * characters without '/', '\\' or '"'; unique. 'mem_mib': 1..NB_SIM_MAX_MEM_MIB. */
int nb_sim_conn_domain_create(struct nb_sim_conn *conn, const char *name, unsigned int mem_mib,
			      unsigned int *domidp);
int nb_sim_conn_domain_destroy(struct nb_sim_conn *conn, unsigned int domid);
/* Fills up to 'max' infos, dom0 ("Domain-0") first, ascending domid; returns the count. */
int nb_sim_conn_domain_list(struct nb_sim_conn *conn, struct nb_sim_domain_info *infos,
			    unsigned int max);

/* The same, each on a fresh dom0 connection to 'rundir' (for command-line tools). */
int nb_sim_domain_create(const char *rundir, const char *name, unsigned int mem_mib,
			 unsigned int *domidp);
int nb_sim_domain_destroy(const char *rundir, unsigned int domid);
int nb_sim_domain_list(const char *rundir, struct nb_sim_domain_info *infos, unsigned int max);

/*
 * Maps domain 'domid''s memory and grant table (and, for dom0, its active table) into
 * '*domp'; '*serialp' (may be NULL) gets the domain's incarnation. A guest may map only
 * itself. Release with nb_sim_dom_unmap(); the memory stays valid after the domain dies.
 */
int nb_sim_dom_map(struct nb_sim_conn *conn, unsigned int domid, struct nb_sim_gnt_dom **domp,
		   uint64_t *serialp);
void nb_sim_dom_unmap(struct nb_sim_gnt_dom *dom);

/* dom0: records a grant map of 'count' refs of 'domid' (incarnation 'serial') so nb-simhv
 * unpins them if this connection dies; '*idp' names it for nb_sim_map_untrack(). */
int nb_sim_map_track(struct nb_sim_conn *conn, unsigned int domid, uint64_t serial,
		     const uint32_t *refs, unsigned int count, bool readonly, uint64_t *idp);
int nb_sim_map_untrack(struct nb_sim_conn *conn, uint64_t id);

/* Event-channel handle on domain 'domid''s identity (0 = dom0). */
int nb_sim_evtchn_open(struct nb_sim_evtchn **hp, const char *rundir, unsigned int domid);
void nb_sim_evtchn_close(struct nb_sim_evtchn *h);
int nb_sim_evtchn_fd(const struct nb_sim_evtchn *h);
/* A new unbound port that 'remote_domid' may bind to; returns the port. */
int nb_sim_evtchn_alloc_unbound(struct nb_sim_evtchn *h, unsigned int remote_domid);
/* Binds to 'remote_port' of 'domid'; returns the local port (-ESRCH, -EINVAL). */
int nb_sim_evtchn_bind_interdomain(struct nb_sim_evtchn *h, unsigned int domid,
				   uint32_t remote_port);
int nb_sim_evtchn_unbind(struct nb_sim_evtchn *h, uint32_t port);
/* 0 (a no-op while unbound), -EINVAL for a port this handle does not own. */
int nb_sim_evtchn_notify(struct nb_sim_evtchn *h, uint32_t port);
/* A port that fired, now masked; -EAGAIN if none. */
int nb_sim_evtchn_pending(struct nb_sim_evtchn *h);
int nb_sim_evtchn_unmask(struct nb_sim_evtchn *h, uint32_t port);

/* Attaches to the existing domain 'domid' as that guest: its memory and grant table, rw. */
int nb_sim_guest_attach(struct nb_sim_guest **gp, const char *rundir, unsigned int domid);
void nb_sim_guest_detach(struct nb_sim_guest *g);
/* The guest's memory and grant table (no active table). */
const struct nb_sim_gnt_dom *nb_sim_guest_dom(const struct nb_sim_guest *g);
/* Page 'gfn' of the guest's memory, or NULL beyond it. */
void *nb_sim_guest_page(struct nb_sim_guest *g, uint64_t gfn);
/* Grants 'domid' access to 'gfn' through 'ref' (see nb_sim_gnt_grant_access()); -EINVAL for
 * a ref beyond the table or a gfn beyond memory. */
int nb_sim_guest_grant_access(struct nb_sim_guest *g, uint32_t ref, unsigned int domid,
			      uint64_t gfn, bool readonly);
/* 0, -EBUSY while in use, -EINVAL for a bad ref. */
int nb_sim_guest_end_access(struct nb_sim_guest *g, uint32_t ref);

/* Writes <rundir>/xenstored/dom<domid>.socket (the guest's XENSTORED_PATH; for domid 0 the
 * privileged <rundir>/xenstored/socket) into 'buf'; -ENAMETOOLONG if it does not fit. */
int nb_sim_dom_xs_path(const char *rundir, unsigned int domid, char *buf, size_t size);

#endif
