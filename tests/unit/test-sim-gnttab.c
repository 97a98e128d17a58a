/* SPDX-License-Identifier: MIT */
/*
 * test-sim-gnttab.c - Xen's grant-table rules in sim-gnttab.c, on a domain built in this
 * process (a memfd of guest memory, a small grant table, an active table): copy statuses and
 * their precedence, per-segment statuses in a batch, GTF_reading/GTF_writing while in use,
 * end-access, map all-or-nothing, takeover of a dead holder's lock, concurrent pin counts.
 */
#include "netback/hv/sim-gnttab.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define T_DOMID	  5u  /* the granting guest */
#define T_PAGES	  16u /* guest memory */
#define T_ENTRIES 64u /* grant table entries */

struct tdom {
	struct nb_sim_gnt_dom d;
	struct nb_sim_gnt_hdr *hdr;
};

static struct nb_sim_gnt_dom *
lookup(void *arg, unsigned int domid)
{
	struct tdom *t = arg;

	return domid == t->d.domid ? &t->d : NULL;
}

static int
setup(void **state)
{
	struct tdom *t = calloc(1, sizeof(*t));
	size_t act_size = NB_SIM_GNT_ACT_OFFSET + T_ENTRIES * sizeof(struct nb_sim_gnt_active);

	assert_non_null(t);
	t->d.domid = T_DOMID;
	t->d.mem_fd = memfd_create("test-mem", MFD_CLOEXEC);
	assert_true(t->d.mem_fd >= 0);
	assert_int_equal(ftruncate(t->d.mem_fd, T_PAGES * NB_SIM_PAGE_SIZE), 0);
	t->d.mem = mmap(NULL, T_PAGES * NB_SIM_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			t->d.mem_fd, 0);
	assert_true(t->d.mem != MAP_FAILED);
	t->d.n_pages = T_PAGES;
	t->d.gnt = calloc(T_ENTRIES, sizeof(grant_entry_v1_t));
	t->d.n_entries = T_ENTRIES;
	t->hdr = calloc(1, act_size);
	assert_non_null(t->hdr);
	t->d.hdr = t->hdr;
	t->d.act = (struct nb_sim_gnt_active *)(void *)((uint8_t *)t->hdr + NB_SIM_GNT_ACT_OFFSET);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct tdom *t = *state;

	munmap(t->d.mem, T_PAGES * NB_SIM_PAGE_SIZE);
	close(t->d.mem_fd);
	free(t->d.gnt);
	free(t->hdr);
	free(t);
	return 0;
}

static uint16_t
flags_of(const struct tdom *t, uint32_t ref)
{
	return __atomic_load_n(&t->d.gnt[ref].flags, __ATOMIC_ACQUIRE);
}

static uint8_t *
page(struct tdom *t, uint32_t gfn)
{
	return t->d.mem + (size_t)gfn * NB_SIM_PAGE_SIZE;
}

static struct nb_hv_copy_seg
seg_from_guest(uint32_t ref, uint16_t off, unsigned int domid, void *dst, uint16_t len)
{
	struct nb_hv_copy_seg s = { .len = len, .flags = GNTCOPY_source_gref, .status = 99 };

	s.source.foreign.ref = ref;
	s.source.foreign.offset = off;
	s.source.foreign.domid = (uint16_t)domid;
	s.dest.virt = dst;
	return s;
}

static struct nb_hv_copy_seg
seg_to_guest(const void *src, uint32_t ref, uint16_t off, unsigned int domid, uint16_t len)
{
	struct nb_hv_copy_seg s = { .len = len, .flags = GNTCOPY_dest_gref, .status = 99 };

	s.source.virt = (void *)src;
	s.dest.foreign.ref = ref;
	s.dest.foreign.offset = off;
	s.dest.foreign.domid = (uint16_t)domid;
	return s;
}

static int16_t
copy1(struct tdom *t, struct nb_hv_copy_seg s)
{
	assert_int_equal(nb_sim_gnt_copy(0, &s, 1, lookup, t), 0);
	return s.status;
}

static void
copy_from_guest_reads_granted_bytes(void **state)
{
	struct tdom *t = *state;
	char buf[16] = { 0 };

	memcpy(page(t, 3) + 100, "hello, backend!", 16);
	assert_int_equal(nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 8, 0, 3, true), 0);
	assert_int_equal(copy1(t, seg_from_guest(8, 100, T_DOMID, buf, 16)), GNTST_okay);
	assert_string_equal(buf, "hello, backend!");
	/* The copy is over: nothing stays pinned. */
	assert_int_equal(flags_of(t, 8), GTF_permit_access | GTF_readonly);
	assert_int_equal(t->d.act[8].rd_pins + t->d.act[8].wr_pins, 0);
}

static void
copy_to_guest_writes_granted_page(void **state)
{
	struct tdom *t = *state;

	assert_int_equal(nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 9, 0, 4, false), 0);
	assert_int_equal(copy1(t, seg_to_guest("to the guest", 9, 4000, T_DOMID, 13)), GNTST_okay);
	assert_string_equal((char *)page(t, 4) + 4000, "to the guest");
	assert_int_equal(flags_of(t, 9), GTF_permit_access);
}

static void
copy_grant_to_grant_uses_both_tables(void **state)
{
	struct tdom *t = *state;
	struct nb_hv_copy_seg s = { .len = 5, .flags = GNTCOPY_source_gref | GNTCOPY_dest_gref };

	memcpy(page(t, 1), "abcde", 5);
	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 10, 0, 1, true);
	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 11, 0, 2, false);
	s.source.foreign.ref = 10;
	s.source.foreign.domid = T_DOMID;
	s.dest.foreign.ref = 11;
	s.dest.foreign.offset = 7;
	s.dest.foreign.domid = T_DOMID;
	assert_int_equal(copy1(t, s), GNTST_okay);
	assert_memory_equal(page(t, 2) + 7, "abcde", 5);
}

static void
copy_unknown_domain_is_bad_domain(void **state)
{
	struct tdom *t = *state;
	char buf[4];

	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 8, 0, 3, false);
	assert_int_equal(copy1(t, seg_from_guest(8, 0, T_DOMID + 1, buf, 4)), GNTST_bad_domain);
	assert_int_equal(copy1(t, seg_to_guest(buf, 8, 0, 777, 4)), GNTST_bad_domain);
}

static void
copy_dead_domain_is_bad_domain(void **state)
{
	struct tdom *t = *state;
	char buf[4];

	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 8, 0, 3, false);
	t->hdr->dead = 1;
	assert_int_equal(copy1(t, seg_from_guest(8, 0, T_DOMID, buf, 4)), GNTST_bad_domain);
}

static void
copy_ref_beyond_table_is_bad_gntref(void **state)
{
	struct tdom *t = *state;
	char buf[4];

	assert_int_equal(copy1(t, seg_from_guest(T_ENTRIES, 0, T_DOMID, buf, 4)), GNTST_bad_gntref);
	assert_int_equal(copy1(t, seg_to_guest(buf, UINT32_MAX, 0, T_DOMID, 4)), GNTST_bad_gntref);
}

static void
copy_entry_not_permit_access_is_general_error(void **state)
{
	struct tdom *t = *state;
	char buf[4];

	/* Never granted (GTF_invalid), then granted and ended, then a transfer entry. */
	assert_int_equal(copy1(t, seg_from_guest(12, 0, T_DOMID, buf, 4)), GNTST_general_error);
	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 12, 0, 3, false);
	assert_int_equal(nb_sim_gnt_end_access(t->d.gnt, T_ENTRIES, 12), 0);
	assert_int_equal(copy1(t, seg_from_guest(12, 0, T_DOMID, buf, 4)), GNTST_general_error);
	t->d.gnt[12].flags = GTF_accept_transfer;
	assert_int_equal(copy1(t, seg_from_guest(12, 0, T_DOMID, buf, 4)), GNTST_general_error);
	assert_int_equal(flags_of(t, 12), GTF_accept_transfer);
}

static void
copy_entry_for_other_domain_is_general_error(void **state)
{
	struct tdom *t = *state;
	char buf[4];

	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 13, 7, 3, false);
	assert_int_equal(copy1(t, seg_from_guest(13, 0, T_DOMID, buf, 4)), GNTST_general_error);
	/* The same grant is fine for its grantee. */
	assert_int_equal(
		nb_sim_gnt_copy(7,
				(struct nb_hv_copy_seg[]){ seg_from_guest(13, 0, T_DOMID, buf, 4) },
				1, lookup, t),
		0);
	assert_int_equal(flags_of(t, 13), GTF_permit_access);
}

static void
copy_into_readonly_grant_is_general_error(void **state)
{
	struct tdom *t = *state;
	char buf[4] = "xyz";

	memset(page(t, 3), 0, 8);
	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 14, 0, 3, true);
	assert_int_equal(copy1(t, seg_to_guest(buf, 14, 0, T_DOMID, 4)), GNTST_general_error);
	assert_int_equal(page(t, 3)[0], 0);
	assert_int_equal(flags_of(t, 14), GTF_permit_access | GTF_readonly);
	/* Reading it is allowed. */
	assert_int_equal(copy1(t, seg_from_guest(14, 0, T_DOMID, buf, 4)), GNTST_okay);
}

static void
copy_beyond_page_is_bad_copy_arg(void **state)
{
	struct tdom *t = *state;
	char buf[64];

	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 15, 0, 3, false);
	assert_int_equal(copy1(t, seg_from_guest(15, 4090, T_DOMID, buf, 7)), GNTST_bad_copy_arg);
	assert_int_equal(copy1(t, seg_to_guest(buf, 15, 4095, T_DOMID, 2)), GNTST_bad_copy_arg);
	/* Exactly to the end of the page is fine. */
	assert_int_equal(copy1(t, seg_to_guest(buf, 15, 4090, T_DOMID, 6)), GNTST_okay);
	/* The failed copies released their pins. */
	assert_int_equal(flags_of(t, 15), GTF_permit_access);
	assert_int_equal(t->d.act[15].rd_pins + t->d.act[15].wr_pins, 0);
}

static void
copy_frame_beyond_memory_is_bad_page(void **state)
{
	struct tdom *t = *state;
	char buf[4];

	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 16, 0, T_PAGES, false);
	assert_int_equal(copy1(t, seg_from_guest(16, 0, T_DOMID, buf, 4)), GNTST_bad_page);
	assert_int_equal(copy1(t, seg_to_guest(buf, 16, 0, T_DOMID, 4)), GNTST_bad_page);
	assert_int_equal(flags_of(t, 16), GTF_permit_access);
}

static void
copy_local_to_local_fails_whole_batch_with_einval(void **state)
{
	struct tdom *t = *state;
	char a[4] = "abc", b[4] = "", c[4] = "";
	struct nb_hv_copy_seg segs[2];

	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 17, 0, 3, false);
	memcpy(page(t, 3), "qrs", 4);
	segs[0] = seg_from_guest(17, 0, T_DOMID, c, 4);
	segs[1] = (struct nb_hv_copy_seg){ .len = 4, .status = 99 };
	segs[1].source.virt = a;
	segs[1].dest.virt = b;
	assert_int_equal(nb_sim_gnt_copy(0, segs, 2, lookup, t), -EINVAL);
	/* Nothing was done, not even the valid first segment. */
	assert_int_equal(c[0], 0);
	assert_int_equal(b[0], 0);
	assert_int_equal(segs[0].status, 99);
	/* A NULL local pointer is refused as well. */
	segs[1] = seg_from_guest(17, 0, T_DOMID, NULL, 4);
	assert_int_equal(nb_sim_gnt_copy(0, segs, 2, lookup, t), -EFAULT);
	assert_int_equal(c[0], 0);
}

static void
copy_batch_gives_each_segment_its_status(void **state)
{
	struct tdom *t = *state;
	char buf[6][8];
	struct nb_hv_copy_seg segs[6];
	static const int16_t want[6] = { GNTST_okay,	      GNTST_bad_domain,	  GNTST_bad_gntref,
					 GNTST_general_error, GNTST_bad_copy_arg, GNTST_okay };
	int i;

	memset(buf, 0, sizeof(buf));
	memcpy(page(t, 5), "segment", 8);
	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 20, 0, 5, false);
	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 21, 0, 5, true);
	segs[0] = seg_from_guest(20, 0, T_DOMID, buf[0], 8);
	segs[1] = seg_from_guest(20, 0, 99, buf[1], 8);
	segs[2] = seg_from_guest(T_ENTRIES + 5, 0, T_DOMID, buf[2], 8);
	segs[3] = seg_to_guest(buf[3], 21, 0, T_DOMID, 8);
	segs[4] = seg_from_guest(20, 4095, T_DOMID, buf[4], 8);
	segs[5] = seg_from_guest(21, 0, T_DOMID, buf[5], 8);
	assert_int_equal(nb_sim_gnt_copy(0, segs, 6, lookup, t), 0);
	for (i = 0; i < 6; i++)
		assert_int_equal(segs[i].status, want[i]);
	assert_string_equal(buf[0], "segment");
	assert_string_equal(buf[5], "segment");
	assert_int_equal(buf[1][0], 0);
}

static void
map_sets_reading_writing_and_blocks_end_access_until_unmap(void **state)
{
	struct tdom *t = *state;
	uint32_t refs[2] = { 22, 23 };
	int16_t st[2];
	void *addr;

	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 22, 0, 6, false);
	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 23, 0, 7, false);
	assert_int_equal(nb_sim_gnt_map(&t->d, 0, refs, 2, false, st, &addr), 0);
	assert_int_equal(st[0], GNTST_okay);
	assert_int_equal(st[1], GNTST_okay);
	assert_int_equal(flags_of(t, 22), GTF_permit_access | GTF_reading | GTF_writing);
	assert_int_equal(flags_of(t, 23), GTF_permit_access | GTF_reading | GTF_writing);
	assert_int_equal(nb_sim_gnt_end_access(t->d.gnt, T_ENTRIES, 22), -EBUSY);
	/* The mapping is the guest's memory, contiguous over both refs. */
	memcpy((uint8_t *)addr + NB_SIM_PAGE_SIZE + 10, "ring", 5);
	assert_string_equal((char *)page(t, 7) + 10, "ring");
	memcpy(page(t, 6), "page6", 6);
	assert_string_equal((char *)addr, "page6");
	assert_int_equal(nb_sim_gnt_unmap(&t->d, addr, refs, 2, false), 0);
	assert_int_equal(flags_of(t, 22), GTF_permit_access);
	assert_int_equal(nb_sim_gnt_end_access(t->d.gnt, T_ENTRIES, 22), 0);
	assert_int_equal(nb_sim_gnt_end_access(t->d.gnt, T_ENTRIES, 23), 0);
	assert_int_equal(flags_of(t, 22), 0);
}

static void
readonly_map_sets_only_reading_and_rw_map_of_readonly_grant_fails(void **state)
{
	struct tdom *t = *state;
	uint32_t ref = 24;
	void *a1, *a2;

	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 24, 0, 6, true);
	assert_int_equal(nb_sim_gnt_map(&t->d, 0, &ref, 1, false, NULL, &a1), -EINVAL);
	assert_int_equal(flags_of(t, 24), GTF_permit_access | GTF_readonly);
	assert_int_equal(nb_sim_gnt_map(&t->d, 0, &ref, 1, true, NULL, &a1), 0);
	assert_int_equal(flags_of(t, 24), GTF_permit_access | GTF_readonly | GTF_reading);
	/* Two users: the flag goes with the last one. */
	assert_int_equal(nb_sim_gnt_map(&t->d, 0, &ref, 1, true, NULL, &a2), 0);
	assert_int_equal(nb_sim_gnt_unmap(&t->d, a1, &ref, 1, true), 0);
	assert_int_equal(nb_sim_gnt_end_access(t->d.gnt, T_ENTRIES, 24), -EBUSY);
	assert_int_equal(nb_sim_gnt_unmap(&t->d, a2, &ref, 1, true), 0);
	assert_int_equal(nb_sim_gnt_end_access(t->d.gnt, T_ENTRIES, 24), 0);
}

static void
map_is_all_or_nothing(void **state)
{
	struct tdom *t = *state;
	uint32_t refs[3] = { 25, 26, 27 };
	int16_t st[3];
	void *addr = NULL;

	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 25, 0, 6, false);
	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 26, 3, 6, false); /* another grantee */
	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 27, 0, 7, false);
	assert_int_equal(nb_sim_gnt_map(&t->d, 0, refs, 3, false, st, &addr), -EINVAL);
	assert_null(addr);
	assert_int_equal(st[0], GNTST_okay);
	assert_int_equal(st[1], GNTST_general_error);
	assert_int_equal(st[2], GNTST_okay);
	/* The refs that could be pinned were released again. */
	assert_int_equal(flags_of(t, 25), GTF_permit_access);
	assert_int_equal(flags_of(t, 27), GTF_permit_access);
	assert_int_equal(t->d.act[25].wr_pins, 0);
	assert_int_equal(nb_sim_gnt_end_access(t->d.gnt, T_ENTRIES, 27), 0);
	/* Count bounds. */
	assert_int_equal(nb_sim_gnt_map(&t->d, 0, refs, 0, false, NULL, &addr), -EINVAL);
	assert_int_equal(nb_sim_gnt_map(&t->d, 0, refs, NB_SIM_MAP_MAX + 1, false, NULL, &addr),
			 -EINVAL);
}

static void
map_refuses_sub_page_grant_that_copy_accepts(void **state)
{
	struct tdom *t = *state;
	uint32_t ref = 28;
	char buf[4];
	void *addr;

	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 28, 0, 6, false);
	t->d.gnt[28].flags |= GTF_sub_page;
	assert_int_equal(nb_sim_gnt_map(&t->d, 0, &ref, 1, true, NULL, &addr), -EINVAL);
	assert_int_equal(copy1(t, seg_from_guest(28, 0, T_DOMID, buf, 4)), GNTST_okay);
}

static void
pinned_entry_refuses_second_grantee(void **state)
{
	struct tdom *t = *state;
	uint32_t frame;

	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 29, 0, 6, false);
	assert_int_equal(nb_sim_gnt_pin(&t->d, 0, 29, true, false, &frame), GNTST_okay);
	assert_int_equal(frame, 6);
	/* The guest re-grants the live entry to domain 3: pins stay with domain 0. */
	t->d.gnt[29].domid = 3;
	assert_int_equal(nb_sim_gnt_pin(&t->d, 3, 29, true, false, &frame), GNTST_general_error);
	nb_sim_gnt_unpin(&t->d, 29, true);
	/* An unpin without a pin changes nothing (no underflow). */
	nb_sim_gnt_unpin(&t->d, 29, true);
	nb_sim_gnt_unpin(&t->d, 29, false);
	assert_int_equal(t->d.act[29].rd_pins, 0);
	assert_int_equal(t->d.act[29].wr_pins, 0);
	assert_int_equal(flags_of(t, 29) & (GTF_reading | GTF_writing), 0);
}

static void
lock_of_dead_holder_is_taken_over(void **state)
{
	struct tdom *t = *state;
	struct timespec a, b;
	char buf[4];
	long long ms;

	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 30, 0, 6, false);
	t->d.act[30].lock = 1; /* a process died inside the section */
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(copy1(t, seg_from_guest(30, 0, T_DOMID, buf, 4)), GNTST_okay);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000LL + (b.tv_nsec - a.tv_nsec) / 1000000;
	assert_true(ms >= 900 && ms < 10000);
	assert_int_equal(t->d.act[30].lock, 0);
}

static void
guest_helpers_check_refs_and_write_entries(void **state)
{
	struct tdom *t = *state;

	assert_int_equal(nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, T_ENTRIES, 0, 1, false),
			 -EINVAL);
	assert_int_equal(nb_sim_gnt_end_access(t->d.gnt, T_ENTRIES, T_ENTRIES), -EINVAL);
	assert_int_equal(nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 31, 4, 9, true), 0);
	assert_int_equal(t->d.gnt[31].domid, 4);
	assert_int_equal(t->d.gnt[31].frame, 9);
	assert_int_equal(t->d.gnt[31].flags, GTF_permit_access | GTF_readonly);
	/* A writing flag alone (e.g. a mapping being torn down) also blocks end-access. */
	t->d.gnt[31].flags |= GTF_writing;
	assert_int_equal(nb_sim_gnt_end_access(t->d.gnt, T_ENTRIES, 31), -EBUSY);
}

#define STRESS_THREADS 4
#define STRESS_ROUNDS  20000

struct stress_arg {
	struct tdom *t;
	int id;
	int n_ok;
};

static void *
stress_thread(void *p)
{
	struct stress_arg *a = p;
	uint64_t v = 0;
	int i;

	for (i = 0; i < STRESS_ROUNDS; i++) {
		struct nb_hv_copy_seg s[2];

		/* Everyone reads ref 40; each thread writes its own 8 bytes through ref 41. */
		s[0] = seg_from_guest(40, 0, T_DOMID, &v, 8);
		v = (uint64_t)i;
		s[1] = seg_to_guest(&v, 41, (uint16_t)(a->id * 8), T_DOMID, 8);
		if (nb_sim_gnt_copy(0, &s[1], 1, lookup, a->t) == 0 && s[1].status == GNTST_okay &&
		    nb_sim_gnt_copy(0, &s[0], 1, lookup, a->t) == 0 && s[0].status == GNTST_okay)
			a->n_ok++;
	}
	return NULL;
}

static void
concurrent_copies_keep_pin_counts_exact(void **state)
{
	struct tdom *t = *state;
	struct stress_arg args[STRESS_THREADS];
	pthread_t th[STRESS_THREADS];
	int i;

	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 40, 0, 8, true);
	nb_sim_gnt_grant_access(t->d.gnt, T_ENTRIES, 41, 0, 9, false);
	for (i = 0; i < STRESS_THREADS; i++) {
		args[i] = (struct stress_arg){ .t = t, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, stress_thread, &args[i]), 0);
	}
	for (i = 0; i < STRESS_THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(args[i].n_ok, STRESS_ROUNDS);
		/* Each thread's last write is in place. */
		assert_int_equal(*(uint64_t *)(void *)(page(t, 9) + i * 8), STRESS_ROUNDS - 1);
	}
	assert_int_equal(t->d.act[40].rd_pins + t->d.act[40].wr_pins, 0);
	assert_int_equal(t->d.act[41].rd_pins + t->d.act[41].wr_pins, 0);
	assert_int_equal(flags_of(t, 40), GTF_permit_access | GTF_readonly);
	assert_int_equal(flags_of(t, 41), GTF_permit_access);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(copy_from_guest_reads_granted_bytes),
		T(copy_to_guest_writes_granted_page),
		T(copy_grant_to_grant_uses_both_tables),
		T(copy_unknown_domain_is_bad_domain),
		T(copy_dead_domain_is_bad_domain),
		T(copy_ref_beyond_table_is_bad_gntref),
		T(copy_entry_not_permit_access_is_general_error),
		T(copy_entry_for_other_domain_is_general_error),
		T(copy_into_readonly_grant_is_general_error),
		T(copy_beyond_page_is_bad_copy_arg),
		T(copy_frame_beyond_memory_is_bad_page),
		T(copy_local_to_local_fails_whole_batch_with_einval),
		T(copy_batch_gives_each_segment_its_status),
		T(map_sets_reading_writing_and_blocks_end_access_until_unmap),
		T(readonly_map_sets_only_reading_and_rw_map_of_readonly_grant_fails),
		T(map_is_all_or_nothing),
		T(map_refuses_sub_page_grant_that_copy_accepts),
		T(pinned_entry_refuses_second_grantee),
		T(lock_of_dead_holder_is_taken_over),
		T(guest_helpers_check_refs_and_write_entries),
		T(concurrent_copies_keep_pin_counts_exact),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
