/* SPDX-License-Identifier: MIT */
/*
 * sim-gnttab.c - Xen's grant-copy and grant-map rules over a domain's grant table and memory
 * mapped in this process (see sim-gnttab.h). Grant entries are shared with a hostile guest:
 * every field is read once with an atomic load and written with atomics, never trusted twice.
 */
#include "netback/hv/sim-gnttab.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

_Static_assert(sizeof(grant_entry_v1_t) == 8, "grant_entry_v1 is 8 bytes");
_Static_assert(sizeof(struct nb_sim_gnt_active) == 16, "active entry layout");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "flags are the low half of the word");

/* Xen retries a cmpxchg on a guest-writable entry 4 times before calling the guest hostile. */
#define NB_SIM_GNT_CMPXCHG_RETRIES 4
#define NB_SIM_GNT_PIN_MAX	   0xffffu
/* A lock held this long belongs to a dead process: the critical sections are a few loads. */
#define NB_SIM_GNT_LOCK_STALE_NS 1000000000LL

static long long
nb_sim_gnt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
nb_sim_gnt_lock(struct nb_sim_gnt_active *a)
{
	long long start = 0;
	unsigned int spins = 0;

	while (__atomic_exchange_n(&a->lock, 1, __ATOMIC_ACQUIRE)) {
		do {
			if (++spins % 1024)
				continue;
			if (!start) {
				start = nb_sim_gnt_now_ns();
			} else if (nb_sim_gnt_now_ns() - start > NB_SIM_GNT_LOCK_STALE_NS) {
				/* The holder died inside the section: take the lock over. */
				__atomic_exchange_n(&a->lock, 1, __ATOMIC_ACQUIRE);
				return;
			}
			sched_yield();
		} while (__atomic_load_n(&a->lock, __ATOMIC_RELAXED));
	}
}

static void
nb_sim_gnt_unlock(struct nb_sim_gnt_active *a)
{
	__atomic_store_n(&a->lock, 0, __ATOMIC_RELEASE);
}

static uint32_t *
nb_sim_gnt_word(grant_entry_v1_t *e)
{
	/* {flags, domid} as one 32-bit word, as Xen's union grant_combo. */
	return (uint32_t *)(void *)e;
}

static void
nb_sim_gnt_clear_flag(grant_entry_v1_t *e, uint16_t flag)
{
	__atomic_fetch_and(&e->flags, (uint16_t)~flag, __ATOMIC_SEQ_CST);
}

/* Xen's _set_status_v1: set GTF_reading (and GTF_writing) unless the entry does not grant
 * this access. Type and grantee are only checked for the first pin: later pins rely on the
 * active entry, exactly as Xen does. */
static int16_t
nb_sim_gnt_set_status(grant_entry_v1_t *e, const struct nb_sim_gnt_active *a, unsigned int self,
		      bool readonly, bool map)
{
	uint32_t *word = nb_sim_gnt_word(e);
	uint32_t cur = __atomic_load_n(word, __ATOMIC_ACQUIRE);
	uint16_t mask = GTF_type_mask | (map ? GTF_sub_page : 0);
	bool pinned = a->rd_pins || a->wr_pins;
	int retries = 0;

	for (;;) {
		uint16_t flags = (uint16_t)cur;
		uint16_t domid = (uint16_t)(cur >> 16);
		uint32_t next;

		if (!pinned && ((flags & mask) != GTF_permit_access || domid != self))
			return GNTST_general_error;
		flags |= GTF_reading;
		if (!readonly) {
			flags |= GTF_writing;
			if (cur & GTF_readonly)
				return GNTST_general_error;
		}
		next = (cur & 0xffff0000u) | flags;
		if (__atomic_compare_exchange_n(word, &cur, next, false, __ATOMIC_SEQ_CST,
						__ATOMIC_ACQUIRE))
			return GNTST_okay;
		if (retries++ == NB_SIM_GNT_CMPXCHG_RETRIES)
			return GNTST_general_error;
	}
}

int16_t
nb_sim_gnt_pin(struct nb_sim_gnt_dom *dom, unsigned int self, uint32_t ref, bool readonly, bool map,
	       uint32_t *framep)
{
	struct nb_sim_gnt_active *a;
	grant_entry_v1_t *e;
	int16_t st = GNTST_okay;
	bool pinned;

	if (!dom->act || !dom->hdr || __atomic_load_n(&dom->hdr->dead, __ATOMIC_ACQUIRE))
		return GNTST_bad_domain;
	if (ref >= dom->n_entries)
		return GNTST_bad_gntref;
	a = &dom->act[ref];
	e = &dom->gnt[ref];
	nb_sim_gnt_lock(a);
	pinned = a->rd_pins || a->wr_pins;
	if (pinned && a->domid != self) {
		st = GNTST_general_error;
		goto out;
	}
	if ((readonly ? a->rd_pins : a->wr_pins) == NB_SIM_GNT_PIN_MAX) {
		st = GNTST_general_error;
		goto out;
	}
	if (!pinned || (!readonly && !a->wr_pins)) {
		st = nb_sim_gnt_set_status(e, a, self, readonly, map);
		if (st != GNTST_okay)
			goto out;
		if (!pinned) {
			uint32_t frame = __atomic_load_n(&e->frame, __ATOMIC_ACQUIRE);

			if (frame >= dom->n_pages) {
				/* Undo as Xen's unlock_out_clear: nobody else holds it. */
				if (!readonly)
					nb_sim_gnt_clear_flag(e, GTF_writing);
				nb_sim_gnt_clear_flag(e, GTF_reading);
				st = GNTST_bad_page;
				goto out;
			}
			a->domid = (uint16_t)self;
			a->frame = frame;
		}
	}
	if (readonly)
		a->rd_pins++;
	else
		a->wr_pins++;
	*framep = a->frame;
out:
	nb_sim_gnt_unlock(a);
	return st;
}

void
nb_sim_gnt_unpin(struct nb_sim_gnt_dom *dom, uint32_t ref, bool readonly)
{
	struct nb_sim_gnt_active *a;
	grant_entry_v1_t *e;

	if (!dom->act || ref >= dom->n_entries)
		return;
	a = &dom->act[ref];
	e = &dom->gnt[ref];
	nb_sim_gnt_lock(a);
	if (readonly && a->rd_pins) {
		a->rd_pins--;
	} else if (!readonly && a->wr_pins) {
		if (!--a->wr_pins)
			nb_sim_gnt_clear_flag(e, GTF_writing);
	} else {
		nb_sim_gnt_unlock(a);
		return;
	}
	if (!a->rd_pins && !a->wr_pins)
		nb_sim_gnt_clear_flag(e, GTF_reading);
	nb_sim_gnt_unlock(a);
}

static int16_t
nb_sim_gnt_copy_one(unsigned int self, const struct nb_hv_copy_seg *seg,
		    nb_sim_gnt_lookup_fn *lookup, void *arg)
{
	bool src_gref = seg->flags & GNTCOPY_source_gref;
	bool dst_gref = seg->flags & GNTCOPY_dest_gref;
	struct nb_sim_gnt_dom *sd = NULL, *dd = NULL;
	uint32_t sframe = 0, dframe = 0;
	const uint8_t *src;
	uint8_t *dst;
	int16_t st;

	if (src_gref) {
		sd = lookup(arg, seg->source.foreign.domid);
		if (!sd)
			return GNTST_bad_domain;
	}
	if (dst_gref) {
		dd = lookup(arg, seg->dest.foreign.domid);
		if (!dd)
			return GNTST_bad_domain;
	}
	if (src_gref) {
		st = nb_sim_gnt_pin(sd, self, seg->source.foreign.ref, true, false, &sframe);
		if (st != GNTST_okay)
			return st;
	}
	if (dst_gref) {
		st = nb_sim_gnt_pin(dd, self, seg->dest.foreign.ref, false, false, &dframe);
		if (st != GNTST_okay)
			goto unpin_src;
	}
	/* Xen checks the page bounds after acquiring both grants (gnttab_copy_buf). */
	if ((src_gref && seg->source.foreign.offset + seg->len > NB_SIM_PAGE_SIZE) ||
	    (dst_gref && seg->dest.foreign.offset + seg->len > NB_SIM_PAGE_SIZE)) {
		st = GNTST_bad_copy_arg;
		goto unpin_dst;
	}
	src = src_gref ? sd->mem + ((uint64_t)sframe << NB_SIM_PAGE_SHIFT) +
				 seg->source.foreign.offset
		       : seg->source.virt;
	dst = dst_gref
		      ? dd->mem + ((uint64_t)dframe << NB_SIM_PAGE_SHIFT) + seg->dest.foreign.offset
		      : seg->dest.virt;
	memmove(dst, src, seg->len);
	st = GNTST_okay;
unpin_dst:
	if (dst_gref)
		nb_sim_gnt_unpin(dd, seg->dest.foreign.ref, false);
unpin_src:
	if (src_gref)
		nb_sim_gnt_unpin(sd, seg->source.foreign.ref, true);
	return st;
}

int
nb_sim_gnt_copy(unsigned int self, struct nb_hv_copy_seg *segs, unsigned int count,
		nb_sim_gnt_lookup_fn *lookup, void *arg)
{
	unsigned int i;

	if (!count)
		return 0;
	if (!segs || !lookup)
		return -EINVAL;
	/* Argument errors fail the whole call before anything is copied (gntdev's -EINVAL). */
	for (i = 0; i < count; i++) {
		const struct nb_hv_copy_seg *s = &segs[i];

		if (!(s->flags & (GNTCOPY_source_gref | GNTCOPY_dest_gref)))
			return -EINVAL;
		if (s->len && ((!(s->flags & GNTCOPY_source_gref) && !s->source.virt) ||
			       (!(s->flags & GNTCOPY_dest_gref) && !s->dest.virt)))
			return -EFAULT;
	}
	for (i = 0; i < count; i++)
		segs[i].status = nb_sim_gnt_copy_one(self, &segs[i], lookup, arg);
	return 0;
}

int
nb_sim_gnt_map(struct nb_sim_gnt_dom *dom, unsigned int self, const uint32_t *refs,
	       unsigned int count, bool readonly, int16_t *status, void **addrp)
{
	uint32_t frames[NB_SIM_MAP_MAX];
	int prot = PROT_READ | (readonly ? 0 : PROT_WRITE);
	unsigned int i;
	bool failed = false;
	uint8_t *base;
	int err;

	if (!dom || !refs || !addrp || !count || count > NB_SIM_MAP_MAX || dom->mem_fd < 0)
		return -EINVAL;
	/* Like gntdev, every ref is tried and gets its status; then all or nothing. */
	for (i = 0; i < count; i++) {
		int16_t st = nb_sim_gnt_pin(dom, self, refs[i], readonly, true, &frames[i]);

		if (status)
			status[i] = st;
		if (st != GNTST_okay) {
			failed = true;
			frames[i] = UINT32_MAX;
		}
	}
	if (failed) {
		err = -EINVAL;
		goto unpin;
	}
	base = mmap(NULL, (size_t)count * NB_SIM_PAGE_SIZE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		err = -ENOMEM;
		goto unpin;
	}
	for (i = 0; i < count; i++) {
		void *p = mmap(base + (size_t)i * NB_SIM_PAGE_SIZE, NB_SIM_PAGE_SIZE, prot,
			       MAP_SHARED | MAP_FIXED, dom->mem_fd,
			       (off_t)((uint64_t)frames[i] << NB_SIM_PAGE_SHIFT));

		if (p == MAP_FAILED) {
			err = -errno;
			munmap(base, (size_t)count * NB_SIM_PAGE_SIZE);
			goto unpin;
		}
	}
	*addrp = base;
	return 0;
unpin:
	for (i = 0; i < count; i++) {
		if (frames[i] != UINT32_MAX)
			nb_sim_gnt_unpin(dom, refs[i], readonly);
	}
	return err;
}

int
nb_sim_gnt_unmap(struct nb_sim_gnt_dom *dom, void *addr, const uint32_t *refs, unsigned int count,
		 bool readonly)
{
	unsigned int i;

	if (!dom || !addr || !refs || !count || count > NB_SIM_MAP_MAX)
		return -EINVAL;
	/* Pages go before pins, as Xen flushes the mapping before releasing the grant. */
	if (munmap(addr, (size_t)count * NB_SIM_PAGE_SIZE) < 0)
		return -errno;
	for (i = 0; i < count; i++)
		nb_sim_gnt_unpin(dom, refs[i], readonly);
	return 0;
}

int
nb_sim_gnt_grant_access(grant_entry_v1_t *gnt, uint32_t n_entries, uint32_t ref, unsigned int domid,
			uint32_t gfn, bool readonly)
{
	grant_entry_v1_t *e;

	if (!gnt || ref >= n_entries || domid >= NB_SIM_DOMID_LIMIT)
		return -EINVAL;
	e = &gnt[ref];
	__atomic_store_n(&e->frame, gfn, __ATOMIC_RELAXED);
	__atomic_store_n(&e->domid, (domid_t)domid, __ATOMIC_RELAXED);
	/* The grantee may act as soon as the type is visible: frame and domid first (wmb). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&e->flags, (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
			 __ATOMIC_RELAXED);
	return 0;
}

int
nb_sim_gnt_end_access(grant_entry_v1_t *gnt, uint32_t n_entries, uint32_t ref)
{
	uint16_t flags;

	if (!gnt || ref >= n_entries)
		return -EINVAL;
	flags = __atomic_load_n(&gnt[ref].flags, __ATOMIC_ACQUIRE);
	do {
		if (flags & (GTF_reading | GTF_writing))
			return -EBUSY;
	} while (!__atomic_compare_exchange_n(&gnt[ref].flags, &flags, 0, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_ACQUIRE));
	return 0;
}
