/* SPDX-License-Identifier: MIT */
/*
 * hv-server.h - the hypervisor half of nb-simhv: domains, guest memory, grant tables and
 * event-channel routing, served on hypercall sockets (wire format: netback/hv/sim-proto.h).
 *
 * Under 'dir' it listens on "socket" (dom0, privileged) and, per guest, on "dom<ID>.socket"
 * (that guest's identity), all mode 0600. dom0 exists from the start; dom0 creates domains
 * (ids 1, 2, ... never reused while ids remain; names unique), destroys and lists them. A
 * domain owns sealed memfds: its memory, its grant table (rw to the guest and dom0), the
 * active table (pin counts, dom0 only) and the port-state table (generation per port).
 * Grant operations run in the clients (sim-gnttab.c); the server only hands out the memory,
 * records dom0's grant maps so that they are unpinned if the mapping process dies, and marks
 * a destroyed domain dead in its active table.
 *
 * Event channels: a connection is a handle; each port has an eventfd made here and passed to
 * its owner and, on bind, to the peer. Closing a port (unbind, connection closed, domain
 * destroyed) leaves its peer unbound for the same remote domain, as Xen does, and bumps the
 * generation of both ports so the clients refetch their peer.
 *
 * Hooks: domain_created runs after a domain is fully set up (its failure undoes the create
 * and is returned to the client); domain_destroyed runs first thing on destroy. Both may be
 * NULL.
 *
 * Robustness: a client sending anything malformed, passing descriptors, pipelining requests
 * or dying is disconnected and its ports closed; the daemon goes on. Memory is bounded by
 * NB_SIM_MAX_DOMAINS, NB_SIM_MAX_CONNS per domain, NB_SIM_MAX_PORTS per domain and
 * NB_SIM_MAX_TRACKS per connection. Each port holds one eventfd here, so the process's
 * RLIMIT_NOFILE bounds the total number of ports (allocation then fails with -EMFILE).
 *
 * Threading: everything runs on the loop's thread. Errors: 0 or -errno.
 */
#ifndef SHV_HV_SERVER_H
#define SHV_HV_SERVER_H

#include "vswitch/evloop.h"

#include <stdbool.h>

struct shv_hv;

struct shv_hv_hooks {
	int (*domain_created)(void *arg, unsigned int domid, const char *name);
	void (*domain_destroyed)(void *arg, unsigned int domid);
};

/* Creates the hypervisor on 'loop', making 'dir' (mode 0755) if needed and replacing stale
 * sockets in it. 'hooks' (may be NULL) is copied. */
int shv_hv_create(struct shv_hv **hvp, struct vsw_loop *loop, const char *dir,
		  const struct shv_hv_hooks *hooks, void *arg);

/* Destroys every guest domain (running domain_destroyed for each), closes all connections
 * and removes the sockets. NULL is ignored. */
void shv_hv_destroy(struct shv_hv *hv);

/* True for dom0 and for every live guest domain. */
bool shv_hv_domain_exists(const struct shv_hv *hv, unsigned int domid);

#endif
