/* SPDX-License-Identifier: MIT */
/*
 * sim-gnttab.h - Xen's grant-table rules, applied by nb-simhv's clients to a guest's grant
 * table and memory mapped into their own process.
 *
 * The simulated hypervisor executes GNTTABOP_copy and map/unmap in the caller's process (a
 * round trip to the daemon per batch would cost more than the copy). The rules are Xen's
 * (xen/common/grant_table.c: _set_status_v1, acquire_grant_for_copy, gnttab_copy,
 * map_grant_ref): status precedence bad_domain, bad_gntref, general_error (type, grantee,
 * read-only, unstable entry), bad_page, bad_copy_arg. While a grant is in use GTF_reading
 * (and GTF_writing for writes) is set in the guest-visible entry by a 32-bit cmpxchg on
 * {flags, domid}; pin counts in the private active entry decide when they are cleared, so a
 * guest's end-access behaves as on Xen.
 *
 * The active table lives in a memfd only dom0 maps; its entries are shared by all dom0
 * processes and threads, each protected by a per-entry lock word (held for a few
 * instructions; a holder stuck for a second, i.e. dead, has its lock taken over).
 *
 * Memory is described by struct nb_sim_gnt_dom, filled by sim-client (or by tests). Threading:
 * any thread, any process; the functions keep no state of their own. Errors: grant
 * operations return GNTST_* per segment/ref; calls return 0 or -errno.
 */
#ifndef NB_SIM_GNTTAB_H
#define NB_SIM_GNTTAB_H

#include "netback/hv/hv.h"
#include "netback/hv/sim-proto.h"

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

/* First page of the active-table memfd. */
struct nb_sim_gnt_hdr {
	uint32_t dead;	    /* set by nb-simhv when the domain is destroyed */
	uint32_t n_entries; /* entries that follow at NB_SIM_GNT_ACT_OFFSET */
};

/* Hypervisor-private state of one grant entry (Xen's struct active_grant_entry). */
struct nb_sim_gnt_active {
	uint32_t lock;	/* 0 free, 1 held */
	uint16_t domid; /* grantee the pins belong to, valid while pinned */
	uint16_t pad;
	uint32_t frame;	  /* GFN captured at the first pin */
	uint16_t rd_pins; /* read-only users (copy sources, read-only maps) */
	uint16_t wr_pins; /* writing users (copy destinations, writable maps) */
};

#define NB_SIM_GNT_ACT_OFFSET NB_SIM_PAGE_SIZE
#define NB_SIM_GNT_ACT_SIZE                                                                        \
	(NB_SIM_GNT_ACT_OFFSET + NB_SIM_GNT_ENTRIES * sizeof(struct nb_sim_gnt_active))

/* A domain's memory and grant table as mapped in this process. */
struct nb_sim_gnt_dom {
	unsigned int domid;
	int mem_fd;   /* guest memory memfd (for maps), -1 if none */
	uint8_t *mem; /* n_pages pages */
	uint64_t n_pages;
	grant_entry_v1_t *gnt; /* n_entries entries */
	uint32_t n_entries;
	struct nb_sim_gnt_hdr *hdr;    /* NULL on the guest side */
	struct nb_sim_gnt_active *act; /* n_entries entries; NULL on the guest side */
};

/* Returns the domain 'domid' as seen by the copier, or NULL if it does not exist. */
typedef struct nb_sim_gnt_dom *nb_sim_gnt_lookup_fn(void *arg, unsigned int domid);

/*
 * GNTTABOP_copy of 'count' segments on behalf of domain 'self', looking foreign domains up
 * with 'lookup'. Each segment gets its status (see hv.h). Returns 0, or -EINVAL if a segment
 * has no foreign side or 'segs' is NULL, -EFAULT if a local side with len > 0 is NULL; on
 * error no segment has been copied.
 */
int nb_sim_gnt_copy(unsigned int self, struct nb_hv_copy_seg *segs, unsigned int count,
		    nb_sim_gnt_lookup_fn *lookup, void *arg);

/*
 * Pins grant 'ref' of 'dom' for 'self' (read-only or writing; 'map' also refuses
 * GTF_sub_page as Xen does for mappings), setting GTF_reading/GTF_writing. On GNTST_okay the
 * granted frame is in '*framep' and the pin must be dropped by nb_sim_gnt_unpin().
 */
int16_t nb_sim_gnt_pin(struct nb_sim_gnt_dom *dom, unsigned int self, uint32_t ref, bool readonly,
		       bool map, uint32_t *framep);

/* Drops a pin taken by nb_sim_gnt_pin(); the last pin clears the guest-visible flags. A pin
 * that does not exist is ignored. */
void nb_sim_gnt_unpin(struct nb_sim_gnt_dom *dom, uint32_t ref, bool readonly);

/*
 * Maps 'count' (1..NB_SIM_MAP_MAX) refs of 'dom' contiguously (MAP_SHARED pages of the guest
 * memfd). All or nothing: the statuses go to 'status' (may be NULL) and any failure returns
 * -EINVAL with nothing pinned. -ENOMEM (or the mmap error) without address space.
 */
int nb_sim_gnt_map(struct nb_sim_gnt_dom *dom, unsigned int self, const uint32_t *refs,
		   unsigned int count, bool readonly, int16_t *status, void **addrp);

/* Unmaps what nb_sim_gnt_map() mapped at 'addr' with the same refs and mode, then unpins. */
int nb_sim_gnt_unmap(struct nb_sim_gnt_dom *dom, void *addr, const uint32_t *refs,
		     unsigned int count, bool readonly);

/*
 * Guest side: grants 'domid' access to frame 'gfn' through entry 'ref' of 'gnt' (n_entries
 * long), writing frame and domid before the flags as grant_table.h prescribes. -EINVAL for a
 * ref beyond the table.
 */
int nb_sim_gnt_grant_access(grant_entry_v1_t *gnt, uint32_t n_entries, uint32_t ref,
			    unsigned int domid, uint32_t gfn, bool readonly);

/* Guest side: ends access through 'ref' (flags -> 0 unless reading or writing): 0, -EBUSY
 * while the grantee uses it, -EINVAL for a ref beyond the table. */
int nb_sim_gnt_end_access(grant_entry_v1_t *gnt, uint32_t n_entries, uint32_t ref);

#endif
