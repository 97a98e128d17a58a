/* SPDX-License-Identifier: MIT */
/*
 * sim-proto.h - wire format of nb-simhv's hypercall sockets (server: tools/simhv/hv-server.c,
 * client: netback/hv/sim-client.c) and the sizes of the memory it shares.
 *
 * Sockets are AF_UNIX SOCK_SEQPACKET, mode 0600, under <rundir>/hv: "socket" for dom0
 * (privileged) and "dom<ID>.socket" for guest ID. Identity is the socket connected to; the
 * server trusts nothing in a request beyond it.
 *
 * Protocol: the client sends one struct nb_sim_req and waits for one struct nb_sim_rep.
 * A request of another size or magic, or carrying descriptors, gets the connection closed, as
 * does a client whose replies pile up unread (the server never blocks on a client). File descriptors travel with the reply as SCM_RIGHTS,
 * 'n_fds' of them, in the order listed per op. Both structs are native-endian, fixed size.
 *
 * Shared memory (memfds, sealed against resizing):
 * - guest memory: memory_mib MiB, GFN = page index; rw to the guest and to dom0;
 * - grant table: NB_SIM_GNT_ENTRIES grant_entry_v1_t; rw to the guest and to dom0;
 * - active table: struct nb_sim_gnt_hdr + struct nb_sim_gnt_active per entry (sim-gnttab.h);
 *   dom0 only, the guest never sees it;
 * - port state: one uint32_t generation per event-channel port of a domain, bumped by the
 *   server on every bind or unbind touching that port; given read-only to that domain's
 *   own handles.
 *
 * A connection is also an event-channel handle: its ports die with it.
 */
#ifndef NB_SIM_PROTO_H
#define NB_SIM_PROTO_H

#include <stdint.h>

#define NB_SIM_MAGIC	   0x6e627376u /* "nbsv", bumped with incompatible changes */
#define NB_SIM_PAGE_SIZE   4096u
#define NB_SIM_PAGE_SHIFT  12
#define NB_SIM_GNT_FRAMES  64u
#define NB_SIM_GNT_ENTRIES (NB_SIM_GNT_FRAMES * NB_SIM_PAGE_SIZE / 8u) /* 32768 */
#define NB_SIM_GNT_SIZE	   (NB_SIM_GNT_FRAMES * NB_SIM_PAGE_SIZE)
#define NB_SIM_MAX_PORTS   4096u /* ports 1..4095 per domain; 0 is invalid */
#define NB_SIM_PSTATE_SIZE (NB_SIM_MAX_PORTS * 4u)
#define NB_SIM_MAX_DOMAINS 256u	   /* including dom0 */
#define NB_SIM_DOMID_LIMIT 0x7ff0u /* DOMID_FIRST_RESERVED */
#define NB_SIM_NAME_MAX	   64u	   /* with the NUL */
#define NB_SIM_MAX_MEM_MIB (1u << 20)
#define NB_SIM_MAP_MAX	   64u /* refs per tracked map */
#define NB_SIM_LIST_BATCH  16u
#define NB_SIM_MAX_CONNS   128u	 /* connections per domain */
#define NB_SIM_MAX_TRACKS  1024u /* tracked maps per connection */
#define NB_SIM_MAX_FDS	   3u

enum nb_sim_op {
	/* Any identity. Reply: domid = the caller's domain. */
	NB_SIM_OP_INFO = 1,
	/* dom0. name, value = memory MiB. Reply: domid. -EEXIST (name), -EINVAL, -ENOSPC. */
	NB_SIM_OP_DOMAIN_CREATE,
	/* dom0. domid. -ESRCH unknown, -EPERM for dom0 itself. */
	NB_SIM_OP_DOMAIN_DESTROY,
	/* dom0. value = list domains with domid >= value. Reply: count infos (ascending domid),
	 * value = cursor for the next call, or 0 when the list is complete. */
	NB_SIM_OP_DOMAIN_LIST,
	/* dom0 for any guest, a guest for itself. domid. Reply: value = pages of memory,
	 * serial = incarnation of the domain; fds: memory, grant table[, active table (dom0)]. */
	NB_SIM_OP_DOMAIN_MEMORY,
	/* dom0. Records a grant map made by the caller (domid, serial in 'value', refs[count],
	 * port = 1 if read-only) so the server releases its pins if the caller dies. Reply:
	 * value = track id. */
	NB_SIM_OP_MAP_TRACK,
	/* dom0. value = track id; forgets it without releasing pins. */
	NB_SIM_OP_MAP_UNTRACK,
	/* Reply fds: the caller's domain's port-state memfd. */
	NB_SIM_OP_EVTCHN_STATE,
	/* domid = remote domain allowed to bind. Reply: port, gen; fds: the port's eventfd. */
	NB_SIM_OP_EVTCHN_ALLOC_UNBOUND,
	/* domid, port = remote port. Reply: port, gen; fds: own eventfd, peer's eventfd.
	 * -ESRCH unknown domain, -EINVAL port not unbound for us, -ENOSPC no free port. */
	NB_SIM_OP_EVTCHN_BIND_INTERDOMAIN,
	/* port (owned by this connection). */
	NB_SIM_OP_EVTCHN_UNBIND,
	/* port (owned by this connection). Reply: gen; fds: the peer's eventfd if bound. */
	NB_SIM_OP_EVTCHN_PEER,
};

struct nb_sim_req {
	uint32_t magic; /* NB_SIM_MAGIC */
	uint32_t op;	/* enum nb_sim_op */
	uint32_t domid;
	uint32_t port;
	uint64_t value;
	uint32_t count;
	uint32_t pad;
	char name[NB_SIM_NAME_MAX]; /* NUL-terminated */
	uint32_t refs[NB_SIM_MAP_MAX];
};

struct nb_sim_domain_info {
	char name[NB_SIM_NAME_MAX];
	uint32_t domid;
	uint32_t memory_mib;
};

struct nb_sim_rep {
	uint32_t magic; /* NB_SIM_MAGIC */
	int32_t err;	/* 0 or -errno */
	uint32_t domid;
	uint32_t port;
	uint32_t gen;	/* port-state generation of 'port' when replied */
	uint32_t count; /* infos used */
	uint64_t value;
	uint64_t serial;
	uint32_t n_fds;
	uint32_t pad;
	struct nb_sim_domain_info infos[NB_SIM_LIST_BATCH];
};

#endif
