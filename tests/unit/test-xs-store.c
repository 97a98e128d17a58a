/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for tools/simhv/xs-store.c, the XenStore database of nb-simhv: path rules,
 * every operation with its errors, Xen's permission model (ownership, inheritance, chmod
 * rules), quotas for unprivileged domains, change events, and transactions (private view,
 * commit, abort, generation-based conflicts).
 */
#include "tools/simhv/xs-store.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MAX_EVENTS 64

struct rec_event {
	char path[SHV_XS_ABS_PATH_MAX + 1];
	bool exact;
	bool seen_by_5; /* shv_xs_event_permitted() for a watcher in domain 5 */
};

struct fixture {
	struct shv_xs_store *s;
	struct rec_event ev[MAX_EVENTS];
	unsigned int n_ev;
};

static void
record(void *arg, const struct shv_xs_event *ev)
{
	struct fixture *f = arg;

	/* Bulk tests only count; the ones that inspect events make few. */
	if (f->n_ev < MAX_EVENTS) {
		snprintf(f->ev[f->n_ev].path, sizeof(f->ev[f->n_ev].path), "%s", ev->path);
		f->ev[f->n_ev].exact = ev->exact;
		f->ev[f->n_ev].seen_by_5 = shv_xs_event_permitted(ev, 5);
	}
	f->n_ev++;
}

static int
setup_limits(void **state, const struct shv_xs_limits *limits)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(shv_xs_store_create(&f->s, limits), 0);
	shv_xs_store_set_event_fn(f->s, record, f);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_limits(state, NULL);
}

static int
setup_small(void **state)
{
	const struct shv_xs_limits l = { .nodes_per_domain = 10, .tx_nodes = 8 };

	return setup_limits(state, &l);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	shv_xs_store_destroy(f->s);
	free(f);
	return 0;
}

static int
wr(struct fixture *f, struct shv_xs_tx *tx, unsigned int dom, const char *path, const char *val)
{
	return shv_xs_store_write(f->s, tx, dom, path, val, strlen(val));
}

static void
assert_value(struct fixture *f, struct shv_xs_tx *tx, unsigned int dom, const char *path,
	     const char *expect)
{
	const void *val;
	size_t len;

	assert_int_equal(shv_xs_store_read(f->s, tx, dom, path, &val, &len), 0);
	assert_int_equal(len, strlen(expect));
	assert_memory_equal(val, expect, len);
}

static int
rd(struct fixture *f, struct shv_xs_tx *tx, unsigned int dom, const char *path)
{
	const void *val;
	size_t len;

	return shv_xs_store_read(f->s, tx, dom, path, &val, &len);
}

/* Children of 'path' as "a b c". */
static void
assert_children(struct fixture *f, const char *path, const char *expect)
{
	const char *c;
	char buf[256] = "";
	size_t len, off = 0;

	assert_int_equal(shv_xs_store_directory(f->s, NULL, 0, path, &c, &len, NULL), 0);
	while (off < len) {
		if (buf[0])
			strcat(buf, " ");
		strcat(buf, c + off);
		off += strlen(c + off) + 1;
	}
	assert_string_equal(buf, expect);
}

/* Permissions of 'path' as "b0 r5". */
static void
assert_perms(struct fixture *f, const char *path, const char *expect)
{
	const struct shv_xs_perm *p;
	char buf[256] = "", one[16];
	unsigned int n, i;

	assert_int_equal(shv_xs_store_get_perms(f->s, NULL, 0, path, &p, &n), 0);
	for (i = 0; i < n; i++) {
		shv_xs_perm_format(&p[i], one, sizeof(one));
		if (i)
			strcat(buf, " ");
		strcat(buf, one);
	}
	assert_string_equal(buf, expect);
}

static void
set_perms(struct fixture *f, unsigned int dom, const char *path, const char *spec, int expect)
{
	struct shv_xs_perm p[8];
	char copy[128], *tok, *save = NULL;
	unsigned int n = 0;

	snprintf(copy, sizeof(copy), "%s", spec);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		assert_int_equal(shv_xs_perm_parse(tok, &p[n++]), 0);
	assert_int_equal(shv_xs_store_set_perms(f->s, NULL, dom, path, p, n), expect);
}

/* Dom0 gives domain 'dom' its home like the toolstack: /local/domain/<dom> owned by it. */
static void
make_domain(struct fixture *f, unsigned int dom)
{
	char path[64], spec[16];

	snprintf(path, sizeof(path), "/local/domain/%u", dom);
	snprintf(spec, sizeof(spec), "n%u", dom);
	assert_int_equal(shv_xs_store_mkdir(f->s, NULL, 0, path), 0);
	set_perms(f, 0, path, spec, 0);
	f->n_ev = 0;
}

/* ---- paths and permission helpers ----------------------------------------------------- */

static void
path_resolve_accepts_canonical_and_rejects_malformed_paths(void **state)
{
	static const struct {
		const char *in;
		bool special;
		int err;
	} cases[] = {
		{ "/", false, 0 },
		{ "/a/b-c_D9", false, 0 },
		{ "", false, -EINVAL },
		{ "/a//b", false, -EINVAL },
		{ "/a/", false, -EINVAL },
		{ "/a b", false, -EINVAL },
		{ "/a.b", false, -EINVAL },
		{ "/a@b", false, -EINVAL },
		{ "@releaseDomain", false, -EINVAL },
		{ "@releaseDomain", true, 0 },
		{ "@", true, -EINVAL },
		{ "@a/b", true, -EINVAL },
		{ "rel//x", false, -EINVAL },
	};
	char out[SHV_XS_ABS_PATH_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(shv_xs_path_resolve(3, cases[i].in, cases[i].special, out,
						     sizeof(out), NULL),
				 cases[i].err);
	assert_int_equal(shv_xs_path_resolve(0, NULL, false, out, sizeof(out), NULL), -EINVAL);
}

static void
path_resolve_makes_relative_paths_absolute_under_the_domain(void **state)
{
	char out[SHV_XS_ABS_PATH_MAX + 1];
	size_t prefix = 99;

	(void)state;
	assert_int_equal(shv_xs_path_resolve(7, "device/vif/0", false, out, sizeof(out), &prefix),
			 0);
	assert_string_equal(out, "/local/domain/7/device/vif/0");
	assert_int_equal(prefix, strlen("/local/domain/7/"));
	assert_int_equal(shv_xs_path_resolve(7, "/abs", false, out, sizeof(out), &prefix), 0);
	assert_int_equal(prefix, 0);
}

static void
path_resolve_enforces_absolute_and_relative_length_limits(void **state)
{
	static char in[SHV_XS_ABS_PATH_MAX + 2];
	char out[SHV_XS_ABS_PATH_MAX + 1];

	(void)state;
	memset(in, 'a', sizeof(in) - 1);
	in[0] = '/';
	in[SHV_XS_ABS_PATH_MAX] = '\0';
	assert_int_equal(shv_xs_path_resolve(0, in, false, out, sizeof(out), NULL), 0);
	in[SHV_XS_ABS_PATH_MAX] = 'a';
	in[SHV_XS_ABS_PATH_MAX + 1] = '\0';
	assert_int_equal(shv_xs_path_resolve(0, in, false, out, sizeof(out), NULL), -EINVAL);
	/* Relative: 2048 characters are fine, 2049 are not. */
	memset(in, 'a', sizeof(in) - 1);
	in[SHV_XS_REL_PATH_MAX] = '\0';
	assert_int_equal(shv_xs_path_resolve(1, in, false, out, sizeof(out), NULL), 0);
	in[SHV_XS_REL_PATH_MAX] = 'a';
	in[SHV_XS_REL_PATH_MAX + 1] = '\0';
	assert_int_equal(shv_xs_path_resolve(1, in, false, out, sizeof(out), NULL), -EINVAL);
	/* A too small output buffer is refused rather than overrun. */
	assert_int_equal(shv_xs_path_resolve(0, "/a", false, out, 16, NULL), -EINVAL);
}

static void
path_is_child_matches_the_node_and_its_descendants_only(void **state)
{
	(void)state;
	assert_true(shv_xs_path_is_child("/a/b", "/a/b"));
	assert_true(shv_xs_path_is_child("/a/b/c", "/a/b"));
	assert_false(shv_xs_path_is_child("/a/bc", "/a/b"));
	assert_false(shv_xs_path_is_child("/a", "/a/b"));
	assert_true(shv_xs_path_is_child("/x", "/"));
	assert_false(shv_xs_path_is_child("@releaseDomain", "/"));
}

static void
perm_strings_parse_and_format_as_on_the_wire(void **state)
{
	static const char *const good[] = { "n0", "r5", "w12", "b32751" };
	static const char *const bad[] = { "", "x1", "r", "r-1", "r1a", "b32752", "r1234567" };
	struct shv_xs_perm p;
	char buf[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(shv_xs_perm_parse(good[i], &p), 0);
		shv_xs_perm_format(&p, buf, sizeof(buf));
		assert_string_equal(buf, good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(shv_xs_perm_parse(bad[i], &p), -EINVAL);
	assert_int_equal(shv_xs_perm_parse("b9", &p), 0);
	assert_int_equal(p.perms, SHV_XS_PERM_READ | SHV_XS_PERM_WRITE);
	assert_int_equal(p.domid, 9);
}

static void
perm_for_gives_owner_and_dom0_everything_and_others_their_entry(void **state)
{
	const struct shv_xs_perm p[] = { { 5, SHV_XS_PERM_READ }, { 7, SHV_XS_PERM_WRITE } };
	const unsigned int all = SHV_XS_PERM_READ | SHV_XS_PERM_WRITE | SHV_XS_PERM_OWNER;

	(void)state;
	assert_int_equal(shv_xs_perm_for(0, p, 2), all);
	assert_int_equal(shv_xs_perm_for(5, p, 2), all);
	assert_int_equal(shv_xs_perm_for(7, p, 2), SHV_XS_PERM_WRITE);
	assert_int_equal(shv_xs_perm_for(9, p, 2), SHV_XS_PERM_READ);
}

/* ---- operations ----------------------------------------------------------------------- */

static void
initial_tree_matches_real_xenstored(void **state)
{
	struct fixture *f = *state;

	assert_children(f, "/", "local tool");
	assert_children(f, "/local/domain", "0");
	assert_children(f, "/tool", "xenstored");
	assert_perms(f, "/", "n0");
	assert_perms(f, "/local/domain/0", "n0");
	assert_perms(f, "@introduceDomain", "n0");
	assert_perms(f, "@releaseDomain", "n0");
	assert_int_equal(shv_xs_store_node_count(f->s), 8);
}

static void
write_creates_missing_parents_and_read_returns_raw_bytes(void **state)
{
	struct fixture *f = *state;
	const char bin[] = { 'a', 0, 'b', 0, 0 };
	const void *val;
	size_t len;

	assert_int_equal(shv_xs_store_write(f->s, NULL, 0, "/x/y/z", bin, sizeof(bin)), 0);
	assert_int_equal(shv_xs_store_read(f->s, NULL, 0, "/x/y/z", &val, &len), 0);
	assert_int_equal(len, sizeof(bin));
	assert_memory_equal(val, bin, sizeof(bin));
	assert_value(f, NULL, 0, "/x", "");
	assert_value(f, NULL, 0, "/x/y", "");
	assert_children(f, "/x", "y");
	assert_children(f, "/", "local tool x");
}

static void
write_of_existing_node_replaces_value_and_keeps_children(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(wr(f, NULL, 0, "/a/b", "1"), 0);
	assert_int_equal(wr(f, NULL, 0, "/a", "parent"), 0);
	assert_int_equal(wr(f, NULL, 0, "/a", "again"), 0);
	assert_value(f, NULL, 0, "/a", "again");
	assert_children(f, "/a", "b");
	assert_int_equal(wr(f, NULL, 0, "/a", ""), 0);
	assert_value(f, NULL, 0, "/a", "");
}

static void
read_and_directory_of_a_missing_node_are_enoent(void **state)
{
	struct fixture *f = *state;
	const char *c;
	size_t len;

	assert_int_equal(rd(f, NULL, 0, "/nope"), -ENOENT);
	assert_int_equal(rd(f, NULL, 0, "/nope/deeper"), -ENOENT);
	assert_int_equal(shv_xs_store_directory(f->s, NULL, 0, "/nope", &c, &len, NULL), -ENOENT);
	assert_int_equal(rd(f, NULL, 0, "relative"), -EINVAL);
}

static void
mkdir_creates_an_empty_node_once(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(shv_xs_store_mkdir(f->s, NULL, 0, "/d/e"), 0);
	assert_value(f, NULL, 0, "/d/e", "");
	assert_int_equal(f->n_ev, 1);
	assert_int_equal(wr(f, NULL, 0, "/d/e", "v"), 0);
	f->n_ev = 0;
	assert_int_equal(shv_xs_store_mkdir(f->s, NULL, 0, "/d/e"), 0);
	assert_value(f, NULL, 0, "/d/e", "v");
	assert_int_equal(f->n_ev, 0);
}

static void
directory_lists_children_in_creation_order(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(wr(f, NULL, 0, "/o/zeta", "1"), 0);
	assert_int_equal(wr(f, NULL, 0, "/o/alpha", "1"), 0);
	assert_int_equal(wr(f, NULL, 0, "/o/mid", "1"), 0);
	assert_int_equal(wr(f, NULL, 0, "/o/alpha", "2"), 0);
	assert_children(f, "/o", "zeta alpha mid");
	assert_int_equal(shv_xs_store_rm(f->s, NULL, 0, "/o/alpha"), 0);
	assert_int_equal(wr(f, NULL, 0, "/o/alpha", "3"), 0);
	assert_children(f, "/o", "zeta mid alpha");
}

static void
directory_generation_changes_when_children_change(void **state)
{
	struct fixture *f = *state;
	const char *c;
	size_t len;
	uint64_t g1, g2, g3;

	assert_int_equal(wr(f, NULL, 0, "/g/a", "1"), 0);
	assert_int_equal(shv_xs_store_directory(f->s, NULL, 0, "/g", &c, &len, &g1), 0);
	assert_int_equal(wr(f, NULL, 0, "/g/a", "2"), 0);
	assert_int_equal(shv_xs_store_directory(f->s, NULL, 0, "/g", &c, &len, &g2), 0);
	assert_int_equal(g1, g2);
	assert_int_equal(wr(f, NULL, 0, "/g/b", "1"), 0);
	assert_int_equal(shv_xs_store_directory(f->s, NULL, 0, "/g", &c, &len, &g3), 0);
	assert_true(g3 != g2);
}

static void
rm_removes_the_subtree_and_the_parent_entry(void **state)
{
	struct fixture *f = *state;
	size_t before = shv_xs_store_node_count(f->s);

	assert_int_equal(wr(f, NULL, 0, "/r/a/b/c", "1"), 0);
	assert_int_equal(wr(f, NULL, 0, "/r/a/d", "1"), 0);
	assert_int_equal(wr(f, NULL, 0, "/r/keep", "1"), 0);
	assert_int_equal(shv_xs_store_rm(f->s, NULL, 0, "/r/a"), 0);
	assert_int_equal(rd(f, NULL, 0, "/r/a"), -ENOENT);
	assert_int_equal(rd(f, NULL, 0, "/r/a/b/c"), -ENOENT);
	assert_int_equal(rd(f, NULL, 0, "/r/a/d"), -ENOENT);
	assert_children(f, "/r", "keep");
	assert_int_equal(shv_xs_store_rm(f->s, NULL, 0, "/r"), 0);
	assert_int_equal(shv_xs_store_node_count(f->s), before);
}

static void
rm_of_missing_node_is_ok_only_if_its_parent_exists(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(wr(f, NULL, 0, "/p", "1"), 0);
	assert_int_equal(shv_xs_store_rm(f->s, NULL, 0, "/p/missing"), 0);
	assert_int_equal(shv_xs_store_rm(f->s, NULL, 0, "/q/missing"), -ENOENT);
	assert_int_equal(shv_xs_store_rm(f->s, NULL, 0, "/"), -EINVAL);
	assert_children(f, "/", "local tool p");
}

/* ---- permissions ---------------------------------------------------------------------- */

static void
guest_reads_and_writes_its_own_subtree_only(void **state)
{
	struct fixture *f = *state;

	make_domain(f, 5);
	assert_int_equal(wr(f, NULL, 5, "/local/domain/5/data/x", "1"), 0);
	assert_value(f, NULL, 5, "/local/domain/5/data/x", "1");
	assert_value(f, NULL, 0, "/local/domain/5/data/x", "1");
	assert_int_equal(wr(f, NULL, 5, "/local/domain/0/evil", "1"), -EACCES);
	assert_int_equal(wr(f, NULL, 5, "/evil", "1"), -EACCES);
	assert_int_equal(rd(f, NULL, 0, "/local/domain/0/evil"), -ENOENT);
	assert_int_equal(rd(f, NULL, 5, "/local/domain/0"), -EACCES);
	assert_int_equal(shv_xs_store_mkdir(f->s, NULL, 5, "/local/domain/0/x"), -EACCES);
	assert_int_equal(shv_xs_store_rm(f->s, NULL, 5, "/tool"), -EACCES);
	assert_int_equal(shv_xs_store_rm(f->s, NULL, 5, "/local/domain/5/data"), 0);
}

static void
missing_node_is_eacces_unless_its_nearest_ancestor_allows_the_access(void **state)
{
	struct fixture *f = *state;

	make_domain(f, 5);
	/* Under its own home the guest may learn a node is missing... */
	assert_int_equal(rd(f, NULL, 5, "/local/domain/5/a/b"), -ENOENT);
	/* ...but not under dom0's, where it cannot read the ancestor. */
	assert_int_equal(rd(f, NULL, 5, "/local/domain/0/a/b"), -EACCES);
	assert_int_equal(shv_xs_store_rm(f->s, NULL, 5, "/local/domain/0/a"), -EACCES);
}

static void
created_nodes_inherit_parent_perms_with_the_guest_as_owner(void **state)
{
	struct fixture *f = *state;

	make_domain(f, 5);
	set_perms(f, 0, "/local/domain/5", "n5 r7", 0);
	assert_int_equal(wr(f, NULL, 5, "/local/domain/5/a/b", "1"), 0);
	assert_perms(f, "/local/domain/5/a", "n5 r7");
	assert_perms(f, "/local/domain/5/a/b", "n5 r7");
	/* A node shared with the guest (w5 on a dom0 node): the guest owns what it creates. */
	assert_int_equal(wr(f, NULL, 0, "/shared", ""), 0);
	set_perms(f, 0, "/shared", "r0 w5", 0);
	assert_int_equal(wr(f, NULL, 5, "/shared/mine", "1"), 0);
	assert_perms(f, "/shared/mine", "r5 w5");
	/* Dom0 creating below a guest node does not take it over. */
	assert_int_equal(wr(f, NULL, 0, "/local/domain/5/from0", "1"), 0);
	assert_perms(f, "/local/domain/5/from0", "n5 r7");
}

static void
write_and_mkdir_of_existing_node_need_write_permission(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(wr(f, NULL, 0, "/ro", "v"), 0);
	set_perms(f, 0, "/ro", "n0 r5", 0);
	assert_value(f, NULL, 5, "/ro", "v");
	assert_int_equal(wr(f, NULL, 5, "/ro", "x"), -EACCES);
	assert_int_equal(shv_xs_store_mkdir(f->s, NULL, 5, "/ro"), -EACCES);
	assert_int_equal(shv_xs_store_rm(f->s, NULL, 5, "/ro"), -EACCES);
	set_perms(f, 0, "/ro", "n0 b5", 0);
	assert_int_equal(wr(f, NULL, 5, "/ro", "x"), 0);
	assert_int_equal(shv_xs_store_mkdir(f->s, NULL, 5, "/ro"), 0);
	assert_value(f, NULL, 0, "/ro", "x");
	assert_int_equal(rd(f, NULL, 6, "/ro"), -EACCES);
}

static void
get_perms_needs_read_and_set_perms_needs_ownership(void **state)
{
	struct fixture *f = *state;
	struct shv_xs_perm p[6];
	const struct shv_xs_perm *gp;
	unsigned int n, i;

	make_domain(f, 5);
	assert_int_equal(wr(f, NULL, 0, "/n", "v"), 0);
	set_perms(f, 0, "/n", "n0 b5", 0);
	assert_int_equal(shv_xs_store_get_perms(f->s, NULL, 5, "/n", &gp, &n), 0);
	assert_int_equal(shv_xs_store_get_perms(f->s, NULL, 6, "/n", &gp, &n), -EACCES);
	/* Read and write rights are not ownership. */
	set_perms(f, 5, "/n", "b5", -EACCES);
	/* The owner may change the permissions but may not give the node away. */
	assert_int_equal(wr(f, NULL, 5, "/local/domain/5/k", "v"), 0);
	set_perms(f, 5, "/local/domain/5/k", "n5 r6", 0);
	assert_perms(f, "/local/domain/5/k", "n5 r6");
	set_perms(f, 5, "/local/domain/5/k", "n6", -EACCES);
	set_perms(f, 0, "/local/domain/5/k", "n6", 0);
	assert_perms(f, "/local/domain/5/k", "n6");
	/* Malformed sets and, for guests, too many entries. */
	assert_int_equal(shv_xs_store_set_perms(f->s, NULL, 0, "/n", p, 0), -EINVAL);
	p[0].domid = SHV_XS_DOMID_MAX + 1;
	p[0].perms = 0;
	assert_int_equal(shv_xs_store_set_perms(f->s, NULL, 0, "/n", p, 1), -EINVAL);
	for (i = 0; i < 6; i++) {
		p[i].domid = i ? 10 + i : 5;
		p[i].perms = SHV_XS_PERM_READ;
	}
	assert_int_equal(shv_xs_store_set_perms(f->s, NULL, 5, "/local/domain/5", p, 6), -ENOSPC);
	assert_int_equal(shv_xs_store_set_perms(f->s, NULL, 5, "/local/domain/5", p, 5), 0);
	assert_int_equal(shv_xs_store_set_perms(f->s, NULL, 0, "/n", p, 6), 0);
	assert_int_equal(shv_xs_store_set_perms(f->s, NULL, 0, "/missing", p, 1), -ENOENT);
}

static void
special_nodes_have_permissions_but_no_data_operations(void **state)
{
	struct fixture *f = *state;

	set_perms(f, 0, "@releaseDomain", "n0 r5", 0);
	assert_perms(f, "@releaseDomain", "n0 r5");
	assert_int_equal(wr(f, NULL, 0, "@releaseDomain", "x"), -EINVAL);
	assert_int_equal(rd(f, NULL, 0, "@releaseDomain"), -EINVAL);
	set_perms(f, 5, "@introduceDomain", "n5", -EACCES);
}

/* ---- quotas --------------------------------------------------------------------------- */

static void
guest_node_quota_is_1000_nodes_then_enospc(void **state)
{
	struct fixture *f = *state;
	char path[64];
	unsigned int i, have;

	make_domain(f, 5);
	have = shv_xs_store_domain_nodes(f->s, 5);
	assert_int_equal(have, 1);
	for (i = have; i < 1000; i++) {
		snprintf(path, sizeof(path), "/local/domain/5/n%u", i);
		assert_int_equal(wr(f, NULL, 5, path, "1"), 0);
	}
	assert_int_equal(shv_xs_store_domain_nodes(f->s, 5), 1000);
	assert_int_equal(wr(f, NULL, 5, "/local/domain/5/one-more", "1"), -ENOSPC);
	assert_int_equal(rd(f, NULL, 0, "/local/domain/5/one-more"), -ENOENT);
	/* Existing nodes can still be rewritten, and removal frees quota. */
	assert_int_equal(wr(f, NULL, 5, "/local/domain/5/n1", "2"), 0);
	assert_int_equal(shv_xs_store_rm(f->s, NULL, 5, "/local/domain/5/n1"), 0);
	assert_int_equal(wr(f, NULL, 5, "/local/domain/5/one-more", "1"), 0);
	/* Dom0 is not limited. */
	assert_int_equal(wr(f, NULL, 0, "/local/domain/5/by0", "1"), 0);
}

static void
quota_counts_all_nodes_a_write_would_create(void **state)
{
	struct fixture *f = *state;

	make_domain(f, 5);
	/* Limit 10, one node owned: a write creating 10 more is refused as a whole. */
	assert_int_equal(wr(f, NULL, 5, "/local/domain/5/1/2/3/4/5/6/7/8/9/10", "x"), -ENOSPC);
	assert_int_equal(rd(f, NULL, 0, "/local/domain/5/1"), -ENOENT);
	assert_int_equal(wr(f, NULL, 5, "/local/domain/5/1/2/3/4/5/6/7/8/9", "x"), 0);
	assert_int_equal(shv_xs_store_domain_nodes(f->s, 5), 10);
}

static void
guest_value_size_quota_is_2048_bytes(void **state)
{
	struct fixture *f = *state;
	static char big[4000];

	make_domain(f, 5);
	memset(big, 'v', sizeof(big));
	assert_int_equal(shv_xs_store_write(f->s, NULL, 5, "/local/domain/5/v", big, 2048), 0);
	assert_int_equal(shv_xs_store_write(f->s, NULL, 5, "/local/domain/5/v", big, 2049),
			 -ENOSPC);
	assert_int_equal(shv_xs_store_write(f->s, NULL, 0, "/local/domain/5/v", big, sizeof(big)),
			 0);
}

/* ---- change events -------------------------------------------------------------------- */

static void
events_report_write_mkdir_and_set_perms_once_each(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(wr(f, NULL, 0, "/e/a/b", "1"), 0);
	assert_int_equal(shv_xs_store_mkdir(f->s, NULL, 0, "/e/m"), 0);
	set_perms(f, 0, "/e/m", "n0 r5", 0);
	assert_int_equal(f->n_ev, 3);
	assert_string_equal(f->ev[0].path, "/e/a/b");
	assert_false(f->ev[0].exact);
	assert_string_equal(f->ev[1].path, "/e/m");
	assert_string_equal(f->ev[2].path, "/e/m");
	/* A failed operation reports nothing. */
	assert_int_equal(wr(f, NULL, 5, "/e/a/b", "x"), -EACCES);
	assert_int_equal(f->n_ev, 3);
}

static void
events_report_every_node_removed_by_rm(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(wr(f, NULL, 0, "/e/a/b", "1"), 0);
	assert_int_equal(wr(f, NULL, 0, "/e/a/c", "1"), 0);
	f->n_ev = 0;
	assert_int_equal(shv_xs_store_rm(f->s, NULL, 0, "/e/a"), 0);
	assert_int_equal(f->n_ev, 3);
	assert_string_equal(f->ev[0].path, "/e/a/b");
	assert_true(f->ev[0].exact);
	assert_string_equal(f->ev[1].path, "/e/a/c");
	assert_true(f->ev[1].exact);
	assert_string_equal(f->ev[2].path, "/e/a");
	assert_false(f->ev[2].exact);
}

static void
events_are_visible_only_to_domains_that_may_read_the_node(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(wr(f, NULL, 0, "/v/secret", "1"), 0);
	assert_false(f->ev[0].seen_by_5);
	assert_int_equal(wr(f, NULL, 0, "/v", ""), 0);
	set_perms(f, 0, "/v", "n0 r5", 0);
	f->n_ev = 0;
	/* Readable parent, unreadable node: still told (as xenstored's watch_permitted()). */
	assert_int_equal(wr(f, NULL, 0, "/v/secret", "2"), 0);
	assert_true(f->ev[0].seen_by_5);
	assert_int_equal(wr(f, NULL, 0, "/w/x/y", "2"), 0);
	assert_false(f->ev[1].seen_by_5);
	/* Losing read access is still reported, through the old permissions. */
	set_perms(f, 0, "/v", "n0 r5", 0);
	set_perms(f, 0, "/w/x/y", "n0 r5", 0);
	set_perms(f, 0, "/w/x/y", "n0", 0);
	assert_true(f->ev[4].seen_by_5);
	shv_xs_store_fire_special(f->s, "@releaseDomain");
	assert_string_equal(f->ev[5].path, "@releaseDomain");
	assert_true(f->ev[5].exact);
	assert_true(f->ev[5].seen_by_5);
}

/* ---- transactions --------------------------------------------------------------------- */

static void
transaction_changes_are_private_until_commit_and_reported_then(void **state)
{
	struct fixture *f = *state;
	struct shv_xs_tx *tx;

	assert_int_equal(wr(f, NULL, 0, "/t/old", "1"), 0);
	f->n_ev = 0;
	assert_int_equal(shv_xs_store_tx_begin(f->s, 0, &tx), 0);
	assert_int_equal(wr(f, tx, 0, "/t/new/deep", "2"), 0);
	assert_int_equal(shv_xs_store_rm(f->s, tx, 0, "/t/old"), 0);
	assert_value(f, tx, 0, "/t/new/deep", "2");
	assert_int_equal(rd(f, tx, 0, "/t/old"), -ENOENT);
	assert_int_equal(rd(f, NULL, 0, "/t/new/deep"), -ENOENT);
	assert_value(f, NULL, 0, "/t/old", "1");
	assert_int_equal(f->n_ev, 0);
	assert_int_equal(shv_xs_store_tx_end(f->s, tx, true), 0);
	assert_value(f, NULL, 0, "/t/new/deep", "2");
	assert_int_equal(rd(f, NULL, 0, "/t/old"), -ENOENT);
	assert_children(f, "/t", "new");
	assert_int_equal(f->n_ev, 2);
	assert_string_equal(f->ev[0].path, "/t/new/deep");
	assert_string_equal(f->ev[1].path, "/t/old");
}

static void
transaction_abort_discards_everything(void **state)
{
	struct fixture *f = *state;
	struct shv_xs_tx *tx;
	size_t before = shv_xs_store_node_count(f->s);

	assert_int_equal(shv_xs_store_tx_begin(f->s, 0, &tx), 0);
	assert_int_equal(wr(f, tx, 0, "/ab/c", "2"), 0);
	assert_int_equal(shv_xs_store_tx_end(f->s, tx, false), 0);
	assert_int_equal(rd(f, NULL, 0, "/ab"), -ENOENT);
	assert_int_equal(shv_xs_store_node_count(f->s), before);
	assert_int_equal(f->n_ev, 0);
}

static void
transaction_conflicts_when_a_node_it_read_changed(void **state)
{
	struct fixture *f = *state;
	struct shv_xs_tx *tx;

	assert_int_equal(wr(f, NULL, 0, "/c/a", "1"), 0);
	assert_int_equal(shv_xs_store_tx_begin(f->s, 0, &tx), 0);
	assert_value(f, tx, 0, "/c/a", "1");
	assert_int_equal(wr(f, tx, 0, "/c/b", "tx"), 0);
	assert_int_equal(wr(f, NULL, 0, "/c/a", "other"), 0);
	/* The transaction keeps its own view of what it read. */
	assert_value(f, tx, 0, "/c/a", "1");
	assert_int_equal(shv_xs_store_tx_end(f->s, tx, true), -EAGAIN);
	assert_int_equal(rd(f, NULL, 0, "/c/b"), -ENOENT);
	assert_value(f, NULL, 0, "/c/a", "other");
}

static void
transaction_conflicts_when_a_node_it_saw_absent_appears(void **state)
{
	struct fixture *f = *state;
	struct shv_xs_tx *tx;

	assert_int_equal(wr(f, NULL, 0, "/c", ""), 0);
	assert_int_equal(shv_xs_store_tx_begin(f->s, 0, &tx), 0);
	assert_int_equal(rd(f, tx, 0, "/c/flag"), -ENOENT);
	assert_int_equal(wr(f, NULL, 0, "/c/flag", "1"), 0);
	assert_int_equal(shv_xs_store_tx_end(f->s, tx, true), -EAGAIN);
}

static void
transaction_conflicts_when_a_listed_directory_changed(void **state)
{
	struct fixture *f = *state;
	struct shv_xs_tx *tx;
	const char *c;
	size_t len;

	assert_int_equal(wr(f, NULL, 0, "/dir/a", "1"), 0);
	assert_int_equal(shv_xs_store_tx_begin(f->s, 0, &tx), 0);
	assert_int_equal(shv_xs_store_directory(f->s, tx, 0, "/dir", &c, &len, NULL), 0);
	assert_int_equal(wr(f, tx, 0, "/other", "x"), 0);
	assert_int_equal(wr(f, NULL, 0, "/dir/b", "1"), 0);
	assert_int_equal(shv_xs_store_tx_end(f->s, tx, true), -EAGAIN);
	assert_int_equal(rd(f, NULL, 0, "/other"), -ENOENT);
}

static void
transaction_conflicts_when_its_removed_subtree_changed(void **state)
{
	struct fixture *f = *state;
	struct shv_xs_tx *tx;

	assert_int_equal(wr(f, NULL, 0, "/sub/a/b", "1"), 0);
	assert_int_equal(shv_xs_store_tx_begin(f->s, 0, &tx), 0);
	assert_int_equal(shv_xs_store_rm(f->s, tx, 0, "/sub/a"), 0);
	assert_int_equal(wr(f, NULL, 0, "/sub/a/b", "2"), 0);
	assert_int_equal(shv_xs_store_tx_end(f->s, tx, true), -EAGAIN);
	assert_value(f, NULL, 0, "/sub/a/b", "2");
}

static void
transaction_commits_despite_unrelated_concurrent_changes(void **state)
{
	struct fixture *f = *state;
	struct shv_xs_tx *tx;

	assert_int_equal(wr(f, NULL, 0, "/u/mine", "1"), 0);
	assert_int_equal(wr(f, NULL, 0, "/u/theirs", "1"), 0);
	assert_int_equal(wr(f, NULL, 0, "/u/read", "1"), 0);
	assert_int_equal(shv_xs_store_tx_begin(f->s, 0, &tx), 0);
	assert_value(f, tx, 0, "/u/read", "1");
	assert_int_equal(wr(f, tx, 0, "/u/mine", "tx"), 0);
	assert_int_equal(wr(f, NULL, 0, "/u/theirs", "other"), 0);
	assert_int_equal(wr(f, NULL, 0, "/elsewhere/new", "other"), 0);
	assert_int_equal(shv_xs_store_tx_end(f->s, tx, true), 0);
	assert_value(f, NULL, 0, "/u/mine", "tx");
	assert_value(f, NULL, 0, "/u/theirs", "other");
	assert_value(f, NULL, 0, "/elsewhere/new", "other");
}

static void
transaction_of_another_domain_is_refused(void **state)
{
	struct fixture *f = *state;
	struct shv_xs_tx *tx;

	assert_int_equal(shv_xs_store_tx_begin(f->s, 0, &tx), 0);
	assert_int_equal(wr(f, tx, 5, "/x", "1"), -EINVAL);
	assert_int_equal(shv_xs_store_tx_end(f->s, tx, false), 0);
}

static void
transaction_applies_guest_permissions_inside(void **state)
{
	struct fixture *f = *state;
	struct shv_xs_tx *tx;

	make_domain(f, 5);
	assert_int_equal(shv_xs_store_tx_begin(f->s, 5, &tx), 0);
	assert_int_equal(wr(f, tx, 5, "/local/domain/5/ok", "1"), 0);
	assert_int_equal(wr(f, tx, 5, "/local/domain/0/evil", "1"), -EACCES);
	assert_int_equal(shv_xs_store_tx_end(f->s, tx, true), 0);
	assert_perms(f, "/local/domain/5/ok", "n5");
	assert_int_equal(shv_xs_store_domain_nodes(f->s, 5), 2);
}

static void
transaction_node_quota_is_checked_again_at_commit(void **state)
{
	struct fixture *f = *state;
	struct shv_xs_tx *t1, *t2;

	make_domain(f, 5);
	/* Limit 10, one owned: each transaction alone fits 5 more, both together do not. */
	assert_int_equal(shv_xs_store_tx_begin(f->s, 5, &t1), 0);
	assert_int_equal(shv_xs_store_tx_begin(f->s, 5, &t2), 0);
	assert_int_equal(wr(f, t1, 5, "/local/domain/5/a/1/2/3/4", "1"), 0);
	assert_int_equal(wr(f, t2, 5, "/local/domain/5/b/1/2/3/4", "1"), 0);
	assert_int_equal(shv_xs_store_tx_end(f->s, t1, true), 0);
	assert_int_equal(shv_xs_store_tx_end(f->s, t2, true), -ENOSPC);
	assert_int_equal(shv_xs_store_domain_nodes(f->s, 5), 6);
}

static void
transaction_touching_too_many_nodes_fails_for_guests(void **state)
{
	struct fixture *f = *state;
	struct shv_xs_tx *tx;
	char path[64];
	int i, err = 0;

	make_domain(f, 5);
	assert_int_equal(shv_xs_store_tx_begin(f->s, 5, &tx), 0);
	for (i = 0; i < 20 && !err; i++) {
		snprintf(path, sizeof(path), "/local/domain/5/r%d", i);
		err = rd(f, tx, 5, path);
		if (err == -ENOENT)
			err = 0;
	}
	assert_int_equal(err, -ENOSPC);
	assert_int_equal(shv_xs_store_tx_end(f->s, tx, true), -ENOSPC);
	/* Dom0 transactions are not limited. */
	assert_int_equal(shv_xs_store_tx_begin(f->s, 0, &tx), 0);
	for (i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "/r%d", i);
		assert_int_equal(rd(f, tx, 0, path), -ENOENT);
	}
	assert_int_equal(shv_xs_store_tx_end(f->s, tx, true), 0);
}

static void
destroy_frees_transactions_left_open(void **state)
{
	struct fixture *f = *state;
	struct shv_xs_tx *tx;

	assert_int_equal(shv_xs_store_tx_begin(f->s, 0, &tx), 0);
	assert_int_equal(wr(f, tx, 0, "/left/open", "1"), 0);
	/* teardown destroys the store; the sanitizer build proves nothing leaks. */
}

#define T(f)  cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TS(f) cmocka_unit_test_setup_teardown(f, setup_small, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(path_resolve_accepts_canonical_and_rejects_malformed_paths),
		cmocka_unit_test(path_resolve_makes_relative_paths_absolute_under_the_domain),
		cmocka_unit_test(path_resolve_enforces_absolute_and_relative_length_limits),
		cmocka_unit_test(path_is_child_matches_the_node_and_its_descendants_only),
		cmocka_unit_test(perm_strings_parse_and_format_as_on_the_wire),
		cmocka_unit_test(perm_for_gives_owner_and_dom0_everything_and_others_their_entry),
		T(initial_tree_matches_real_xenstored),
		T(write_creates_missing_parents_and_read_returns_raw_bytes),
		T(write_of_existing_node_replaces_value_and_keeps_children),
		T(read_and_directory_of_a_missing_node_are_enoent),
		T(mkdir_creates_an_empty_node_once),
		T(directory_lists_children_in_creation_order),
		T(directory_generation_changes_when_children_change),
		T(rm_removes_the_subtree_and_the_parent_entry),
		T(rm_of_missing_node_is_ok_only_if_its_parent_exists),
		T(guest_reads_and_writes_its_own_subtree_only),
		T(missing_node_is_eacces_unless_its_nearest_ancestor_allows_the_access),
		T(created_nodes_inherit_parent_perms_with_the_guest_as_owner),
		T(write_and_mkdir_of_existing_node_need_write_permission),
		T(get_perms_needs_read_and_set_perms_needs_ownership),
		T(special_nodes_have_permissions_but_no_data_operations),
		T(guest_node_quota_is_1000_nodes_then_enospc),
		TS(quota_counts_all_nodes_a_write_would_create),
		T(guest_value_size_quota_is_2048_bytes),
		T(events_report_write_mkdir_and_set_perms_once_each),
		T(events_report_every_node_removed_by_rm),
		T(events_are_visible_only_to_domains_that_may_read_the_node),
		T(transaction_changes_are_private_until_commit_and_reported_then),
		T(transaction_abort_discards_everything),
		T(transaction_conflicts_when_a_node_it_read_changed),
		T(transaction_conflicts_when_a_node_it_saw_absent_appears),
		T(transaction_conflicts_when_a_listed_directory_changed),
		T(transaction_conflicts_when_its_removed_subtree_changed),
		T(transaction_commits_despite_unrelated_concurrent_changes),
		T(transaction_of_another_domain_is_refused),
		T(transaction_applies_guest_permissions_inside),
		TS(transaction_node_quota_is_checked_again_at_commit),
		TS(transaction_touching_too_many_nodes_fails_for_guests),
		T(destroy_frees_transactions_left_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
