/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for tools/simhv/xs-server.c, nb-simhv's xenstored: every wire operation with its
 * replies and errors through in-memory connections (framing, relative paths, permissions,
 * quotas, watches, transactions, domains, hostile input), then the same server on real Unix
 * sockets driven by its event loop: raw clients, a guest's own socket, and Debian's
 * libxenstore from 8 threads at once.
 */
#include "vswitch/evloop.h"
#include "tools/simhv/xs-server.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>
#include <xenstore.h>

#include <cmocka.h>

/* Payload of a string literal including its terminating NUL ("a\0b" -> a NUL b NUL). */
#define P(s) s, sizeof(s)
/* Payload without the final NUL (WRITE values). */
#define P0(s) s, sizeof(s) - 1

struct msg {
	struct xsd_sockmsg hdr;
	char data[XENSTORE_PAYLOAD_MAX + 1];
};

struct fx {
	struct shv_xs *xs;
	struct shv_xs_conn *d0; /* dom0 */
	struct shv_xs_conn *g1; /* guest domain 1 */
	uint32_t req_id;
};

static bool
known_domain(void *arg, unsigned int domid)
{
	(void)arg;
	return domid < 10;
}

static int
setup(void **state)
{
	const struct shv_xs_hooks hooks = { .domain_exists = known_domain };
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(shv_xs_create(&f->xs, NULL, NULL, &hooks, NULL), 0);
	assert_int_equal(shv_xs_domain_introduce(f->xs, 1, "guest1"), 0);
	assert_int_equal(shv_xs_conn_open_mem(f->xs, 0, &f->d0), 0);
	assert_int_equal(shv_xs_conn_open_mem(f->xs, 1, &f->g1), 0);
	f->req_id = 100;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	shv_xs_conn_close(f->d0);
	shv_xs_conn_close(f->g1);
	shv_xs_destroy(f->xs);
	free(f);
	return 0;
}

static int
send_req(struct shv_xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id, const void *p,
	 size_t len)
{
	uint8_t buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
	struct xsd_sockmsg h = { .type = type, .req_id = req_id, .tx_id = tx_id, .len = len };

	assert_true(len <= XENSTORE_PAYLOAD_MAX);
	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), p, len);
	return shv_xs_conn_feed(c, buf, sizeof(h) + len);
}

/* Takes the next queued message, if any. */
static bool
next_msg(struct shv_xs_conn *c, struct msg *m)
{
	if (shv_xs_conn_output_len(c) < sizeof(m->hdr))
		return false;
	assert_int_equal(shv_xs_conn_take_output(c, &m->hdr, sizeof(m->hdr)), sizeof(m->hdr));
	assert_true(m->hdr.len <= XENSTORE_PAYLOAD_MAX);
	assert_int_equal(shv_xs_conn_take_output(c, m->data, m->hdr.len), m->hdr.len);
	m->data[m->hdr.len] = '\0';
	return true;
}

/* Sends a request and returns its reply, which must be the next message. */
static struct msg *
call(struct fx *f, struct shv_xs_conn *c, uint32_t type, uint32_t tx, const void *p, size_t len)
{
	static struct msg m;
	uint32_t id = ++f->req_id;

	assert_int_equal(send_req(c, type, id, tx, p, len), 0);
	assert_true(next_msg(c, &m));
	assert_int_equal(m.hdr.req_id, id);
	assert_int_equal(m.hdr.tx_id, tx);
	return &m;
}

static void
assert_ok(const struct msg *m, uint32_t type)
{
	assert_int_equal(m->hdr.type, type);
	assert_int_equal(m->hdr.len, 3);
	assert_string_equal(m->data, "OK");
}

static void
assert_err(const struct msg *m, const char *name)
{
	assert_int_equal(m->hdr.type, XS_ERROR);
	assert_int_equal(m->hdr.len, strlen(name) + 1);
	assert_string_equal(m->data, name);
}

static void
assert_reply(const struct msg *m, uint32_t type, const void *data, size_t len)
{
	assert_int_equal(m->hdr.type, type);
	assert_int_equal(m->hdr.len, len);
	assert_memory_equal(m->data, data, len);
}

static void
assert_event(struct shv_xs_conn *c, const char *path, const char *token)
{
	struct msg m;

	assert_true(next_msg(c, &m));
	assert_int_equal(m.hdr.type, XS_WATCH_EVENT);
	assert_int_equal(m.hdr.req_id, 0);
	assert_int_equal(m.hdr.tx_id, 0);
	assert_string_equal(m.data, path);
	assert_string_equal(m.data + strlen(path) + 1, token);
	assert_int_equal(m.hdr.len, strlen(path) + strlen(token) + 2);
}

/* A request whose own change fires a watch of the same connection: the event comes first. */
static struct msg *
call_after_event(struct fx *f, struct shv_xs_conn *c, uint32_t type, const void *p, size_t len,
		 const char *ev_path, const char *token)
{
	static struct msg m;
	uint32_t id = ++f->req_id;

	assert_int_equal(send_req(c, type, id, 0, p, len), 0);
	assert_event(c, ev_path, token);
	assert_true(next_msg(c, &m));
	assert_int_equal(m.hdr.req_id, id);
	return &m;
}

static void
assert_no_output(struct shv_xs_conn *c)
{
	assert_int_equal(shv_xs_conn_output_len(c), 0);
}

static void
wr(struct fx *f, struct shv_xs_conn *c, uint32_t tx, const char *path, const char *val)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t lp = strlen(path) + 1, lv = strlen(val);

	memcpy(buf, path, lp);
	memcpy(buf + lp, val, lv);
	assert_ok(call(f, c, XS_WRITE, tx, buf, lp + lv), XS_WRITE);
}

static void
watch(struct fx *f, struct shv_xs_conn *c, const char *path, const char *token)
{
	char buf[512];
	size_t lp = strlen(path) + 1, lt = strlen(token) + 1;

	memcpy(buf, path, lp);
	memcpy(buf + lp, token, lt);
	assert_ok(call(f, c, XS_WATCH, 0, buf, lp + lt), XS_WATCH);
}

static uint32_t
tx_start(struct fx *f, struct shv_xs_conn *c)
{
	struct msg *m = call(f, c, XS_TRANSACTION_START, 0, P(""));

	assert_int_equal(m->hdr.type, XS_TRANSACTION_START);
	assert_int_equal(m->hdr.len, strlen(m->data) + 1);
	return (uint32_t)strtoul(m->data, NULL, 10);
}

/* ---- basic operations ----------------------------------------------------------------- */

static void
write_then_read_echoes_req_id_and_returns_raw_value(void **state)
{
	struct fx *f = *state;
	struct msg *m;

	assert_ok(call(f, f->d0, XS_WRITE, 0, P0("/a/b\0va\0lue")), XS_WRITE);
	m = call(f, f->d0, XS_READ, 0, P("/a/b"));
	assert_reply(m, XS_READ, "va\0lue", 6);
	m = call(f, f->d0, XS_READ, 0, P("/a"));
	assert_reply(m, XS_READ, "", 0);
	assert_err(call(f, f->d0, XS_READ, 0, P("/a/missing")), "ENOENT");
	assert_ok(call(f, f->d0, XS_WRITE, 0, P0("/a/empty\0")), XS_WRITE);
	assert_reply(call(f, f->d0, XS_READ, 0, P("/a/empty")), XS_READ, "", 0);
}

static void
mkdir_and_rm_follow_xenstored_rules(void **state)
{
	struct fx *f = *state;

	assert_ok(call(f, f->d0, XS_MKDIR, 0, P("/m/n")), XS_MKDIR);
	assert_ok(call(f, f->d0, XS_MKDIR, 0, P("/m/n")), XS_MKDIR);
	assert_reply(call(f, f->d0, XS_DIRECTORY, 0, P("/m")), XS_DIRECTORY, "n", 2);
	assert_ok(call(f, f->d0, XS_RM, 0, P("/m/n/missing")), XS_RM);
	assert_err(call(f, f->d0, XS_RM, 0, P("/nothere/x")), "ENOENT");
	assert_err(call(f, f->d0, XS_RM, 0, P("/")), "EINVAL");
	assert_ok(call(f, f->d0, XS_RM, 0, P("/m")), XS_RM);
	assert_err(call(f, f->d0, XS_READ, 0, P("/m/n")), "ENOENT");
}

static void
directory_lists_children_and_is_e2big_beyond_the_payload_limit(void **state)
{
	struct fx *f = *state;
	char path[128];
	int i;

	wr(f, f->d0, 0, "/dir/b", "1");
	wr(f, f->d0, 0, "/dir/a", "1");
	assert_reply(call(f, f->d0, XS_DIRECTORY, 0, P("/dir")), XS_DIRECTORY, "b\0a", 4);
	assert_err(call(f, f->d0, XS_DIRECTORY, 0, P("/nodir")), "ENOENT");
	/* 60 names of 80 characters: more than 4096 bytes of listing. */
	for (i = 0; i < 60; i++) {
		snprintf(path, sizeof(path), "/big/%02d%078d", i, 0);
		wr(f, f->d0, 0, path, "");
	}
	assert_err(call(f, f->d0, XS_DIRECTORY, 0, P("/big")), "E2BIG");
}

static void
directory_part_returns_generation_and_chunks_libxenstore_can_join(void **state)
{
	struct fx *f = *state;
	char path[128], off_req[160], joined[8192], gen[32] = "";
	size_t total = 0, expect_len = 0;
	unsigned int off = 0;
	struct msg *m;
	int i, rounds = 0;

	for (i = 0; i < 60; i++) {
		snprintf(path, sizeof(path), "/big/%02d%078d", i, 0);
		wr(f, f->d0, 0, path, "");
		expect_len += strlen(path) - strlen("/big/") + 1;
	}
	/* The loop of libxenstore's xs_directory_part(). */
	for (;;) {
		int n = snprintf(off_req, sizeof(off_req), "/big%c%u", 0, off);
		size_t glen, chunk;

		m = call(f, f->d0, XS_DIRECTORY_PART, 0, off_req, (size_t)n + 1);
		assert_int_equal(m->hdr.type, XS_DIRECTORY_PART);
		assert_true(m->hdr.len <= XENSTORE_PAYLOAD_MAX);
		glen = strlen(m->data) + 1;
		assert_true(glen <= sizeof(gen));
		if (off)
			assert_string_equal(gen, m->data);
		else
			memcpy(gen, m->data, glen);
		chunk = m->hdr.len - glen;
		memcpy(joined + off, m->data + glen, chunk);
		off += (unsigned int)chunk;
		rounds++;
		if (off <= 1 || joined[off - 2] == '\0')
			break;
		assert_true(rounds < 10);
	}
	assert_true(rounds >= 2);
	total = off - 1; /* the final extra NUL */
	assert_int_equal(total, expect_len);
	assert_memory_equal(joined, "00", 2);
	/* An offset past the end is the generation and an empty list. */
	m = call(f, f->d0, XS_DIRECTORY_PART, 0, P("/big\00099999"));
	assert_int_equal(m->hdr.len, strlen(gen) + 2);
	assert_string_equal(m->data, gen);
	assert_int_equal(m->data[strlen(gen) + 1], '\0');
	/* Malformed requests. */
	assert_err(call(f, f->d0, XS_DIRECTORY_PART, 0, P("/big")), "EINVAL");
	assert_err(call(f, f->d0, XS_DIRECTORY_PART, 0, P("/big\0x")), "EINVAL");
	assert_err(call(f, f->d0, XS_DIRECTORY_PART, 0, P("/nope\0000")), "ENOENT");
}

/* The generation DIRECTORY_PART reports for /gen. */
static void
gen_of(struct fx *f, char *buf, size_t size)
{
	struct msg *m = call(f, f->d0, XS_DIRECTORY_PART, 0, P("/gen\0000"));

	assert_int_equal(m->hdr.type, XS_DIRECTORY_PART);
	assert_true(strlen(m->data) < size);
	memcpy(buf, m->data, strlen(m->data) + 1);
}

static void
directory_part_generation_changes_when_the_directory_changes(void **state)
{
	struct fx *f = *state;
	char g1[32], g2[32];

	wr(f, f->d0, 0, "/gen/a", "1");
	gen_of(f, g1, sizeof(g1));
	wr(f, f->d0, 0, "/gen/a", "2");
	gen_of(f, g2, sizeof(g2));
	assert_string_equal(g1, g2);
	wr(f, f->d0, 0, "/gen/b", "1");
	gen_of(f, g2, sizeof(g2));
	assert_string_not_equal(g1, g2);
}

static void
get_and_set_perms_use_xen_letters_on_the_wire(void **state)
{
	struct fx *f = *state;

	wr(f, f->d0, 0, "/p", "v");
	assert_reply(call(f, f->d0, XS_GET_PERMS, 0, P("/p")), XS_GET_PERMS, "n0", 3);
	assert_ok(call(f, f->d0, XS_SET_PERMS, 0, P("/p\0b0\0r1\0w2")), XS_SET_PERMS);
	assert_reply(call(f, f->d0, XS_GET_PERMS, 0, P("/p")), XS_GET_PERMS, "b0\0r1\0w2", 9);
	assert_reply(call(f, f->g1, XS_READ, 0, P("/p")), XS_READ, "v", 1);
	assert_err(call(f, f->d0, XS_SET_PERMS, 0, P("/p")), "EINVAL");
	assert_err(call(f, f->d0, XS_SET_PERMS, 0, P("/p\0x0")), "EINVAL");
	assert_err(call(f, f->d0, XS_SET_PERMS, 0, P0("/p\0r0")), "EINVAL");
	assert_err(call(f, f->d0, XS_SET_PERMS, 0, P("/nope\0r0")), "ENOENT");
	assert_reply(call(f, f->d0, XS_GET_PERMS, 0, P("@introduceDomain")), XS_GET_PERMS, "n0", 3);
	/* A guest can neither chmod a node it does not own nor give its own away. */
	assert_err(call(f, f->g1, XS_SET_PERMS, 0, P("/p\0b1")), "EACCES");
	wr(f, f->g1, 0, "mine", "1");
	assert_ok(call(f, f->g1, XS_SET_PERMS, 0, P("mine\0n1\0r2")), XS_SET_PERMS);
	assert_err(call(f, f->g1, XS_SET_PERMS, 0, P("mine\0n2")), "EACCES");
	assert_reply(call(f, f->d0, XS_GET_PERMS, 0, P("/local/domain/1/mine")), XS_GET_PERMS,
		     "n1\0r2", 6);
}

static void
relative_paths_resolve_against_the_callers_domain(void **state)
{
	struct fx *f = *state;

	wr(f, f->g1, 0, "data/x", "g");
	assert_reply(call(f, f->d0, XS_READ, 0, P("/local/domain/1/data/x")), XS_READ, "g", 1);
	wr(f, f->d0, 0, "backend/vif", "d");
	assert_reply(call(f, f->d0, XS_READ, 0, P("/local/domain/0/backend/vif")), XS_READ, "d", 1);
	assert_reply(call(f, f->g1, XS_READ, 0, P("name")), XS_READ, "guest1", 6);
}

static void
malformed_paths_and_payloads_are_einval(void **state)
{
	struct fx *f = *state;

	assert_err(call(f, f->d0, XS_READ, 0, P("/a//b")), "EINVAL");
	assert_err(call(f, f->d0, XS_READ, 0, P("/a/")), "EINVAL");
	assert_err(call(f, f->d0, XS_READ, 0, P("/a b")), "EINVAL");
	assert_err(call(f, f->d0, XS_READ, 0, P("/a@b")), "EINVAL");
	assert_err(call(f, f->d0, XS_READ, 0, P("@releaseDomain")), "EINVAL");
	assert_err(call(f, f->d0, XS_READ, 0, P("")), "EINVAL");
	/* READ takes exactly one NUL-terminated string. */
	assert_err(call(f, f->d0, XS_READ, 0, P0("/a")), "EINVAL");
	assert_err(call(f, f->d0, XS_READ, 0, P("/a\0/b")), "EINVAL");
	assert_err(call(f, f->d0, XS_READ, 0, NULL, 0), "EINVAL");
	assert_err(call(f, f->d0, XS_WRITE, 0, P0("/nonul")), "EINVAL");
	assert_err(call(f, f->d0, XS_WATCH, 0, P("/a")), "EINVAL");
	assert_err(call(f, f->d0, XS_WATCH, 0, P("/a\0t\0x")), "EINVAL");
	assert_err(call(f, f->d0, XS_TRANSACTION_END, 0, P("T")), "ENOENT");
}

static void
unknown_message_types_are_einval_and_the_connection_survives(void **state)
{
	struct fx *f = *state;
	static const uint32_t types[] = { XS_WATCH_EVENT, XS_ERROR,   20, XS_TYPE_COUNT, 99,
					  XS_INVALID,	  0xffffffffu };
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		assert_err(call(f, f->d0, types[i], 0, P("/x")), "EINVAL");
	assert_err(call(f, f->d0, XS_SET_TARGET, 0, P("1\0002")), "ENOSYS");
	assert_true(shv_xs_conn_is_open(f->d0));
	wr(f, f->d0, 0, "/still/works", "1");
}

static void
oversized_payload_closes_only_that_connection(void **state)
{
	struct fx *f = *state;
	struct xsd_sockmsg h = { .type = XS_READ, .req_id = 1, .len = XENSTORE_PAYLOAD_MAX + 1 };
	struct shv_xs_conn *bad;
	unsigned int before = shv_xs_conn_count(f->xs);

	assert_int_equal(shv_xs_conn_open_mem(f->xs, 1, &bad), 0);
	watch(f, bad, "/local/domain/1", "t");
	assert_event(bad, "/local/domain/1", "t");
	assert_int_equal(shv_xs_conn_feed(bad, &h, sizeof(h)), -EPROTO);
	assert_false(shv_xs_conn_is_open(bad));
	assert_int_equal(shv_xs_conn_feed(bad, P("more")), -EPROTO);
	assert_int_equal(shv_xs_conn_count(f->xs), before);
	/* The others go on, and the dead one's watch is gone. */
	wr(f, f->g1, 0, "data/z", "1");
	wr(f, f->d0, 0, "/local/domain/1/w", "1");
	assert_no_output(bad);
	shv_xs_conn_close(bad);
	/* A payload of exactly the maximum is fine. */
	{
		static char big[XENSTORE_PAYLOAD_MAX];

		memset(big, 'x', sizeof(big));
		memcpy(big, "/bigval", 8);
		assert_ok(call(f, f->d0, XS_WRITE, 0, big, sizeof(big)), XS_WRITE);
	}
	assert_true(shv_xs_conn_is_open(f->d0));
}

static void
requests_split_at_any_byte_are_framed_correctly(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	struct xsd_sockmsg h = { .type = XS_WRITE, .req_id = 7, .len = 8 };
	struct xsd_sockmsg h2 = { .type = XS_READ, .req_id = 8, .len = 5 };
	size_t n = 0, i;
	struct msg m;

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), "/s/k\0val", 8);
	n = sizeof(h) + 8;
	memcpy(buf + n, &h2, sizeof(h2));
	memcpy(buf + n + sizeof(h2), "/s/k", 5);
	n += sizeof(h2) + 5;
	for (i = 0; i < n; i++)
		assert_int_equal(shv_xs_conn_feed(f->d0, buf + i, 1), 0);
	assert_true(next_msg(f->d0, &m));
	assert_int_equal(m.hdr.req_id, 7);
	assert_true(next_msg(f->d0, &m));
	assert_int_equal(m.hdr.req_id, 8);
	assert_reply(&m, XS_READ, "val", 3);
	/* Two requests in one feed, then an empty one. */
	assert_int_equal(shv_xs_conn_feed(f->d0, buf, n), 0);
	assert_int_equal(shv_xs_conn_feed(f->d0, buf, 0), 0);
	assert_true(next_msg(f->d0, &m));
	assert_true(next_msg(f->d0, &m));
	assert_reply(&m, XS_READ, "val", 3);
	assert_no_output(f->d0);
}

/* ---- permissions and privileges ------------------------------------------------------- */

static void
guest_is_confined_to_what_permissions_allow(void **state)
{
	struct fx *f = *state;

	wr(f, f->g1, 0, "/local/domain/1/data/x", "1");
	assert_err(call(f, f->g1, XS_WRITE, 0, P0("/local/domain/0/evil\0001")), "EACCES");
	assert_err(call(f, f->g1, XS_WRITE, 0, P0("/evil\0001")), "EACCES");
	assert_err(call(f, f->d0, XS_READ, 0, P("/local/domain/0/evil")), "ENOENT");
	assert_err(call(f, f->g1, XS_READ, 0, P("/local/domain/0")), "EACCES");
	assert_err(call(f, f->g1, XS_DIRECTORY, 0, P("/")), "EACCES");
	assert_err(call(f, f->g1, XS_MKDIR, 0, P("/tool/x")), "EACCES");
	assert_err(call(f, f->g1, XS_RM, 0, P("/tool")), "EACCES");
	assert_err(call(f, f->g1, XS_GET_PERMS, 0, P("/tool")), "EACCES");
	assert_reply(call(f, f->d0, XS_GET_PERMS, 0, P("/local/domain/1")), XS_GET_PERMS, "n1", 3);
	assert_reply(call(f, f->d0, XS_GET_PERMS, 0, P("/local/domain/1/data/x")), XS_GET_PERMS,
		     "n1", 3);
}

static void
privileged_operations_are_eacces_for_guests(void **state)
{
	struct fx *f = *state;

	assert_err(call(f, f->g1, XS_INTRODUCE, 0, P("2\0000\0005")), "EACCES");
	assert_err(call(f, f->g1, XS_RELEASE, 0, P("1")), "EACCES");
	assert_err(call(f, f->g1, XS_IS_DOMAIN_INTRODUCED, 0, P("1")), "EACCES");
	assert_err(call(f, f->g1, XS_CONTROL, 0, P("help")), "EACCES");
	assert_err(call(f, f->g1, XS_RESUME, 0, P("1")), "EACCES");
	assert_true(shv_xs_domain_is_introduced(f->xs, 1));
}

static void
guest_quotas_apply_over_the_wire(void **state)
{
	struct fx *f = *state;
	static char big[2100];
	char path[64];
	int i;

	struct msg ev;

	memset(big, 'v', sizeof(big));
	memcpy(big, "data/v", 7);
	assert_ok(call(f, f->g1, XS_WRITE, 0, big, 7 + 2048), XS_WRITE);
	assert_err(call(f, f->g1, XS_WRITE, 0, big, 7 + 2049), "ENOSPC");
	/* 10 open transactions per connection. */
	for (i = 0; i < 10; i++)
		tx_start(f, f->g1);
	assert_err(call(f, f->g1, XS_TRANSACTION_START, 0, P("")), "ENOSPC");
	/* 128 watches per connection. */
	for (i = 0; i < 128; i++) {
		snprintf(path, sizeof(path), "w%d", i);
		watch(f, f->g1, path, "t");
		assert_true(next_msg(f->g1, &ev));
	}
	assert_err(call(f, f->g1, XS_WATCH, 0, P("w999\0t")), "E2BIG");
	/* Dom0 has no such limits. */
	for (i = 0; i < 12; i++)
		tx_start(f, f->d0);
}

/* ---- watches -------------------------------------------------------------------------- */

static void
watch_fires_once_on_registration_after_the_reply(void **state)
{
	struct fx *f = *state;
	struct msg m;
	uint32_t id = ++f->req_id;

	assert_int_equal(send_req(f->d0, XS_WATCH, id, 0, P("/w\0tok")), 0);
	assert_true(next_msg(f->d0, &m));
	assert_ok(&m, XS_WATCH);
	assert_int_equal(m.hdr.req_id, id);
	assert_event(f->d0, "/w", "tok");
	assert_no_output(f->d0);
	assert_err(call(f, f->d0, XS_WATCH, 0, P("/w\0tok")), "EEXIST");
	watch(f, f->d0, "/w", "tok2");
	assert_event(f->d0, "/w", "tok2");
}

static void
watch_fires_for_the_node_and_descendants_before_the_writers_reply(void **state)
{
	struct fx *f = *state;
	struct msg m;
	uint32_t id = ++f->req_id;

	watch(f, f->d0, "/w", "t");
	assert_event(f->d0, "/w", "t");
	wr(f, f->g1, 0, "ignored", "x");
	assert_no_output(f->d0);
	assert_int_equal(send_req(f->d0, XS_WRITE, id, 0, P0("/w/a/b\0001")), 0);
	assert_event(f->d0, "/w/a/b", "t");
	assert_true(next_msg(f->d0, &m));
	assert_ok(&m, XS_WRITE);
	assert_ok(call_after_event(f, f->d0, XS_MKDIR, P("/w/c"), "/w/c", "t"), XS_MKDIR);
	wr(f, f->d0, 0, "/wx", "not below /w");
	assert_no_output(f->d0);
	assert_ok(call_after_event(f, f->d0, XS_SET_PERMS, P("/w/c\0n0"), "/w/c", "t"),
		  XS_SET_PERMS);
	/* A failed request changes nothing and fires nothing. */
	assert_err(call(f, f->d0, XS_RM, 0, P("/w/x/y")), "ENOENT");
}

static void
watch_fires_for_each_node_removed_by_rm(void **state)
{
	struct fx *f = *state;
	struct msg m;

	wr(f, f->d0, 0, "/r/a/b", "1");
	wr(f, f->d0, 0, "/r/a/c", "1");
	watch(f, f->d0, "/r", "parent");
	assert_event(f->d0, "/r", "parent");
	watch(f, f->d0, "/r/a/c", "leaf");
	assert_event(f->d0, "/r/a/c", "leaf");
	assert_int_equal(send_req(f->d0, XS_RM, ++f->req_id, 0, P("/r/a")), 0);
	/* The leaf watch hears about its node; the parent watch about the removed root. */
	assert_event(f->d0, "/r/a/c", "leaf");
	assert_event(f->d0, "/r/a", "parent");
	assert_true(next_msg(f->d0, &m));
	assert_ok(&m, XS_RM);
	assert_reply(call(f, f->d0, XS_DIRECTORY, 0, P("/r")), XS_DIRECTORY, "", 0);
}

static void
relative_watch_reports_relative_paths(void **state)
{
	struct fx *f = *state;
	struct msg m;

	watch(f, f->g1, "data", "rel");
	assert_event(f->g1, "data", "rel");
	wr(f, f->d0, 0, "/local/domain/1/data/x", "1");
	assert_event(f->g1, "data/x", "rel");
	watch(f, f->g1, "/local/domain/1/data", "abs");
	assert_event(f->g1, "/local/domain/1/data", "abs");
	assert_int_equal(send_req(f->g1, XS_WRITE, ++f->req_id, 0, P0("data/y\0001")), 0);
	assert_event(f->g1, "data/y", "rel");
	assert_event(f->g1, "/local/domain/1/data/y", "abs");
	assert_true(next_msg(f->g1, &m));
	assert_ok(&m, XS_WRITE);
	assert_ok(call(f, f->g1, XS_UNWATCH, 0, P("data\0rel")), XS_UNWATCH);
}

static void
watch_events_need_read_permission_on_the_node(void **state)
{
	struct fx *f = *state;

	watch(f, f->g1, "/secret", "s");
	assert_event(f->g1, "/secret", "s");
	wr(f, f->d0, 0, "/secret/x/y", "hidden");
	assert_no_output(f->g1);
	assert_ok(call(f, f->d0, XS_SET_PERMS, 0, P("/secret/x/y\0n0\0r1")), XS_SET_PERMS);
	assert_event(f->g1, "/secret/x/y", "s");
	wr(f, f->d0, 0, "/secret/x/y", "visible");
	assert_event(f->g1, "/secret/x/y", "s");
	/* Losing access is still announced (old permissions), later changes are not. */
	assert_ok(call(f, f->d0, XS_SET_PERMS, 0, P("/secret/x/y\0n0")), XS_SET_PERMS);
	assert_event(f->g1, "/secret/x/y", "s");
	wr(f, f->d0, 0, "/secret/x/y", "hidden again");
	assert_no_output(f->g1);
}

static void
unwatch_stops_events_and_unknown_watch_is_enoent(void **state)
{
	struct fx *f = *state;

	watch(f, f->d0, "/u", "t");
	assert_event(f->d0, "/u", "t");
	assert_err(call(f, f->d0, XS_UNWATCH, 0, P("/u\0other")), "ENOENT");
	assert_err(call(f, f->d0, XS_UNWATCH, 0, P("/v\0t")), "ENOENT");
	assert_ok(call(f, f->d0, XS_UNWATCH, 0, P("/u\0t")), XS_UNWATCH);
	wr(f, f->d0, 0, "/u/x", "1");
	assert_no_output(f->d0);
	assert_err(call(f, f->d0, XS_UNWATCH, 0, P("/u\0t")), "ENOENT");
	/* A relative unwatch names the same watch as the absolute path. */
	watch(f, f->d0, "/local/domain/0/rel", "t");
	assert_event(f->d0, "/local/domain/0/rel", "t");
	assert_ok(call(f, f->d0, XS_UNWATCH, 0, P("rel\0t")), XS_UNWATCH);
}

static void
closed_connection_loses_its_watches_and_transactions(void **state)
{
	struct fx *f = *state;
	struct shv_xs_conn *c;
	unsigned int n = shv_xs_conn_count(f->xs);
	uint32_t tx;

	assert_int_equal(shv_xs_conn_open_mem(f->xs, 0, &c), 0);
	assert_int_equal(shv_xs_conn_count(f->xs), n + 1);
	watch(f, c, "/gone", "t");
	assert_event(c, "/gone", "t");
	tx = tx_start(f, c);
	wr(f, c, tx, "/gone/in-tx", "1");
	shv_xs_conn_close(c);
	assert_int_equal(shv_xs_conn_count(f->xs), n);
	wr(f, f->d0, 0, "/gone/x", "1");
	assert_err(call(f, f->d0, XS_READ, 0, P("/gone/in-tx")), "ENOENT");
}

static void
reset_watches_drops_watches_and_transactions(void **state)
{
	struct fx *f = *state;
	uint32_t tx;

	watch(f, f->g1, "data", "t");
	assert_event(f->g1, "data", "t");
	tx = tx_start(f, f->g1);
	assert_ok(call(f, f->g1, XS_RESET_WATCHES, 0, NULL, 0), XS_RESET_WATCHES);
	wr(f, f->d0, 0, "/local/domain/1/data/x", "1");
	assert_no_output(f->g1);
	assert_err(call(f, f->g1, XS_READ, tx, P("name")), "ENOENT");
}

static void
client_that_does_not_read_is_disconnected_at_the_output_cap(void **state)
{
	struct fx *f = *state;
	struct shv_xs_conn *lazy;
	static char token[2000];
	char buf[2200];
	int i;

	assert_int_equal(shv_xs_conn_open_mem(f->xs, 0, &lazy), 0);
	memset(token, 't', sizeof(token) - 1);
	snprintf(buf, sizeof(buf), "/flood%c%s", 0, token);
	assert_int_equal(send_req(lazy, XS_WATCH, 1, 0, buf, 7 + strlen(token) + 1), 0);
	for (i = 0; i < 600 && shv_xs_conn_is_open(lazy); i++)
		wr(f, f->d0, 0, "/flood/x", "1");
	assert_false(shv_xs_conn_is_open(lazy));
	assert_true(i > 400);
	assert_true(shv_xs_conn_output_len(lazy) <= SHV_XS_OUTPUT_MAX);
	assert_int_equal(shv_xs_conn_feed(lazy, P("x")), -ENOBUFS);
	shv_xs_conn_close(lazy);
	wr(f, f->d0, 0, "/flood/x", "still fine");
}

/* ---- transactions --------------------------------------------------------------------- */

static void
transaction_is_private_until_committed_and_fires_watches_then(void **state)
{
	struct fx *f = *state;
	uint32_t tx;
	struct msg m;

	watch(f, f->g1, "data", "w");
	assert_event(f->g1, "data", "w");
	tx = tx_start(f, f->d0);
	assert_true(tx != 0);
	wr(f, f->d0, tx, "/local/domain/1/data/x", "in-tx");
	assert_reply(call(f, f->d0, XS_READ, tx, P("/local/domain/1/data/x")), XS_READ, "in-tx", 5);
	assert_err(call(f, f->d0, XS_READ, 0, P("/local/domain/1/data/x")), "ENOENT");
	assert_no_output(f->g1);
	assert_int_equal(send_req(f->d0, XS_TRANSACTION_END, ++f->req_id, tx, P("T")), 0);
	assert_true(next_msg(f->d0, &m));
	assert_ok(&m, XS_TRANSACTION_END);
	assert_int_equal(m.hdr.tx_id, tx);
	assert_event(f->g1, "data/x", "w");
	assert_reply(call(f, f->d0, XS_READ, 0, P("/local/domain/1/data/x")), XS_READ, "in-tx", 5);
	/* The transaction is gone once ended. */
	assert_err(call(f, f->d0, XS_READ, tx, P("/local/domain/1/data/x")), "ENOENT");
}

static void
transaction_abort_discards_changes(void **state)
{
	struct fx *f = *state;
	uint32_t tx = tx_start(f, f->g1);

	wr(f, f->g1, tx, "data/aborted", "1");
	assert_ok(call(f, f->g1, XS_TRANSACTION_END, tx, P("F")), XS_TRANSACTION_END);
	assert_err(call(f, f->g1, XS_READ, 0, P("data/aborted")), "ENOENT");
}

static void
transaction_conflict_is_eagain_and_disjoint_changes_commit(void **state)
{
	struct fx *f = *state;
	uint32_t t1, t2;

	wr(f, f->d0, 0, "/c/a", "1");
	wr(f, f->d0, 0, "/c/b", "1");
	t1 = tx_start(f, f->d0);
	assert_reply(call(f, f->d0, XS_READ, t1, P("/c/a")), XS_READ, "1", 1);
	wr(f, f->d0, t1, "/c/b", "t1");
	wr(f, f->g1, 0, "data/unrelated", "x");
	t2 = tx_start(f, f->d0);
	assert_true(t2 != t1);
	assert_reply(call(f, f->d0, XS_READ, t2, P("/c/b")), XS_READ, "1", 1);
	wr(f, f->d0, t2, "/c/a", "t2");
	/* t1 read /c/a, which t2 changes first: t1 fails; t2 read /c/b, untouched then. */
	assert_ok(call(f, f->d0, XS_TRANSACTION_END, t2, P("T")), XS_TRANSACTION_END);
	assert_err(call(f, f->d0, XS_TRANSACTION_END, t1, P("T")), "EAGAIN");
	assert_reply(call(f, f->d0, XS_READ, 0, P("/c/a")), XS_READ, "t2", 2);
	assert_reply(call(f, f->d0, XS_READ, 0, P("/c/b")), XS_READ, "1", 1);
	assert_err(call(f, f->d0, XS_TRANSACTION_END, t1, P("T")), "ENOENT");
}

static void
transaction_ids_belong_to_their_connection(void **state)
{
	struct fx *f = *state;
	uint32_t tx = tx_start(f, f->d0);

	assert_err(call(f, f->g1, XS_READ, tx, P("name")), "ENOENT");
	assert_err(call(f, f->d0, XS_READ, tx + 1000, P("/tool")), "ENOENT");
	assert_err(call(f, f->d0, XS_TRANSACTION_START, tx, P("")), "EBUSY");
	assert_err(call(f, f->d0, XS_TRANSACTION_END, tx, P("X")), "EINVAL");
	assert_err(call(f, f->d0, XS_TRANSACTION_END, tx, P("TT")), "EINVAL");
	/* WATCH ignores the transaction id, as in xenstored. */
	assert_ok(call(f, f->d0, XS_WATCH, tx + 1000, P("/x\0t")), XS_WATCH);
	assert_event(f->d0, "/x", "t");
	assert_ok(call(f, f->d0, XS_TRANSACTION_END, tx, P("F")), XS_TRANSACTION_END);
}

/* ---- domains -------------------------------------------------------------------------- */

static void
introduce_over_the_wire_is_idempotent_and_fires_introduce_domain(void **state)
{
	struct fx *f = *state;

	watch(f, f->d0, "@introduceDomain", "i");
	assert_event(f->d0, "@introduceDomain", "i");
	assert_reply(call(f, f->d0, XS_IS_DOMAIN_INTRODUCED, 0, P("2")), XS_IS_DOMAIN_INTRODUCED,
		     "F", 2);
	assert_ok(call_after_event(f, f->d0, XS_INTRODUCE, P("2\0001234\0005"), "@introduceDomain",
				   "i"),
		  XS_INTRODUCE);
	assert_reply(call(f, f->d0, XS_IS_DOMAIN_INTRODUCED, 0, P("2")), XS_IS_DOMAIN_INTRODUCED,
		     "T", 2);
	assert_ok(call(f, f->d0, XS_INTRODUCE, 0, P("2\0001234\0005")), XS_INTRODUCE);
	assert_no_output(f->d0);
	assert_err(call(f, f->d0, XS_INTRODUCE, 0, P("42\0001\0005")), "EINVAL");
	assert_err(call(f, f->d0, XS_INTRODUCE, 0, P("3\0001\0000")), "EINVAL");
	assert_err(call(f, f->d0, XS_INTRODUCE, 0, P("0\0001\0005")), "EINVAL");
	assert_err(call(f, f->d0, XS_INTRODUCE, 0, P("3\0001")), "EINVAL");
	assert_err(call(f, f->d0, XS_INTRODUCE, 0, P("x3\0001\0005")), "EINVAL");
	assert_reply(call(f, f->d0, XS_IS_DOMAIN_INTRODUCED, 0, P("0")), XS_IS_DOMAIN_INTRODUCED,
		     "T", 2);
	assert_err(call(f, f->d0, XS_IS_DOMAIN_INTRODUCED, 0, P("abc")), "EINVAL");
	/* The introduced domain may now connect. */
	{
		struct shv_xs_conn *c;

		assert_int_equal(shv_xs_conn_open_mem(f->xs, 2, &c), 0);
		shv_xs_conn_close(c);
	}
}

static void
release_over_the_wire_closes_the_domains_connections(void **state)
{
	struct fx *f = *state;

	watch(f, f->d0, "@releaseDomain", "r");
	assert_event(f->d0, "@releaseDomain", "r");
	watch(f, f->g1, "@releaseDomain", "guest-sees-it");
	assert_event(f->g1, "@releaseDomain", "guest-sees-it");
	assert_ok(call(f, f->d0, XS_RESUME, 0, P("1")), XS_RESUME);
	assert_ok(call_after_event(f, f->d0, XS_RELEASE, P("1"), "@releaseDomain", "r"),
		  XS_RELEASE);
	assert_false(shv_xs_conn_is_open(f->g1));
	assert_no_output(f->g1);
	assert_int_equal(send_req(f->g1, XS_READ, 1, 0, P("name")), -ENOTCONN);
	assert_reply(call(f, f->d0, XS_IS_DOMAIN_INTRODUCED, 0, P("1")), XS_IS_DOMAIN_INTRODUCED,
		     "F", 2);
	assert_err(call(f, f->d0, XS_RELEASE, 0, P("1")), "ENOENT");
	assert_err(call(f, f->d0, XS_RESUME, 0, P("1")), "ENOENT");
	assert_err(call(f, f->d0, XS_RELEASE, 0, P("0")), "EINVAL");
	/* Wire RELEASE leaves the nodes to the toolstack. */
	assert_reply(call(f, f->d0, XS_READ, 0, P("/local/domain/1/name")), XS_READ, "guest1", 6);
}

static void
api_introduce_creates_the_domain_home_and_release_removes_it(void **state)
{
	struct fx *f = *state;
	struct shv_xs_conn *c;

	assert_int_equal(shv_xs_conn_open_mem(f->xs, 3, &c), -ENOENT);
	watch(f, f->d0, "@introduceDomain", "i");
	assert_event(f->d0, "@introduceDomain", "i");
	watch(f, f->d0, "@releaseDomain", "r");
	assert_event(f->d0, "@releaseDomain", "r");
	assert_int_equal(shv_xs_domain_introduce(f->xs, 3, "vm3"), 0);
	assert_event(f->d0, "@introduceDomain", "i");
	assert_int_equal(shv_xs_domain_introduce(f->xs, 3, "vm3"), -EEXIST);
	assert_int_equal(shv_xs_domain_introduce(f->xs, 0, "dom0"), -EINVAL);
	assert_int_equal(shv_xs_domain_introduce(f->xs, SHV_XS_DOMID_MAX + 1, "x"), -EINVAL);
	assert_reply(call(f, f->d0, XS_GET_PERMS, 0, P("/local/domain/3")), XS_GET_PERMS, "n3", 3);
	assert_reply(call(f, f->d0, XS_READ, 0, P("/local/domain/3/name")), XS_READ, "vm3", 3);
	assert_reply(call(f, f->d0, XS_READ, 0, P("/local/domain/3/domid")), XS_READ, "3", 1);
	assert_reply(call(f, f->d0, XS_GET_PERMS, 0, P("/local/domain/3/name")), XS_GET_PERMS, "n3",
		     3);
	assert_int_equal(shv_xs_conn_open_mem(f->xs, 3, &c), 0);
	wr(f, c, 0, "device/vif/0/state", "1");
	assert_int_equal(shv_xs_domain_release(f->xs, 3), 0);
	assert_event(f->d0, "@releaseDomain", "r");
	assert_false(shv_xs_conn_is_open(c));
	assert_err(call(f, f->d0, XS_READ, 0, P("/local/domain/3")), "ENOENT");
	assert_int_equal(shv_xs_store_domain_nodes(shv_xs_get_store(f->xs), 3), 0);
	assert_int_equal(shv_xs_domain_release(f->xs, 3), -ENOENT);
	shv_xs_conn_close(c);
	/* A domain released on the wire can still be cleaned up by the hypervisor. */
	assert_ok(call_after_event(f, f->d0, XS_RELEASE, P("1"), "@releaseDomain", "r"),
		  XS_RELEASE);
	assert_int_equal(shv_xs_domain_release(f->xs, 1), 0);
	assert_no_output(f->d0);
	assert_err(call(f, f->d0, XS_READ, 0, P("/local/domain/1")), "ENOENT");
}

static void
get_domain_path_names_the_domains_home(void **state)
{
	struct fx *f = *state;

	assert_reply(call(f, f->g1, XS_GET_DOMAIN_PATH, 0, P("7")), XS_GET_DOMAIN_PATH,
		     P("/local/domain/7"));
	assert_reply(call(f, f->d0, XS_GET_DOMAIN_PATH, 0, P("0")), XS_GET_DOMAIN_PATH,
		     P("/local/domain/0"));
	assert_err(call(f, f->d0, XS_GET_DOMAIN_PATH, 0, P("")), "EINVAL");
	assert_err(call(f, f->d0, XS_GET_DOMAIN_PATH, 0, P("-1")), "EINVAL");
	assert_err(call(f, f->d0, XS_GET_DOMAIN_PATH, 0, P("99999999999")), "EINVAL");
}

static void
control_answers_help_and_print_for_dom0(void **state)
{
	struct fx *f = *state;
	struct msg *m = call(f, f->d0, XS_CONTROL, 0, P("help"));

	assert_int_equal(m->hdr.type, XS_CONTROL);
	assert_non_null(strstr(m->data, "print"));
	assert_ok(call(f, f->d0, XS_CONTROL, 0, P("print\0hello")), XS_CONTROL);
	assert_err(call(f, f->d0, XS_CONTROL, 0, P("live-update")), "EINVAL");
	assert_err(call(f, f->d0, XS_CONTROL, 0, NULL, 0), "EINVAL");
}

/* ---- real sockets through the loop ---------------------------------------------------- */

struct sockfx {
	char dir[64];
	struct vsw_loop *loop;
	struct shv_xs *xs;
};

static int
sock_setup(void **state)
{
	struct sockfx *s = calloc(1, sizeof(*s));
	char sub[128];

	assert_non_null(s);
	snprintf(s->dir, sizeof(s->dir), "/tmp/test-xs-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(sub, sizeof(sub), "%s/run/xenstored", s->dir);
	assert_int_equal(vsw_loop_create(&s->loop), 0);
	assert_int_equal(shv_xs_create(&s->xs, s->loop, sub, NULL, NULL), 0);
	*state = s;
	return 0;
}

static int
sock_teardown(void **state)
{
	struct sockfx *s = *state;
	char path[160];

	shv_xs_destroy(s->xs);
	vsw_loop_destroy(s->loop);
	snprintf(path, sizeof(path), "%s/run/xenstored", s->dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/run", s->dir);
	rmdir(path);
	rmdir(s->dir);
	free(s);
	return 0;
}

static int
sock_connect(const struct sockfx *s, const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/run/xenstored/%s", s->dir, name);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void
sock_send(int fd, uint32_t type, uint32_t req_id, const void *p, size_t len)
{
	struct xsd_sockmsg h = { .type = type, .req_id = req_id, .len = len };

	assert_int_equal(send(fd, &h, sizeof(h), MSG_NOSIGNAL), sizeof(h));
	if (len)
		assert_int_equal(send(fd, p, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Runs the server until 'fd' has a whole message (2 s at most); false on EOF. */
static bool
sock_recv(const struct sockfx *s, int fd, struct msg *m)
{
	size_t got = 0, want = sizeof(m->hdr);
	int rounds;

	for (rounds = 0; rounds < 400; rounds++) {
		ssize_t n;

		vsw_loop_run_once(s->loop, 5);
		n = recv(fd, (char *)m + got, want - got, MSG_DONTWAIT);
		if (n == 0)
			return false;
		if (n < 0) {
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
			continue;
		}
		got += (size_t)n;
		if (got == sizeof(m->hdr) && want == sizeof(m->hdr)) {
			assert_true(m->hdr.len <= XENSTORE_PAYLOAD_MAX);
			want += m->hdr.len;
		}
		if (got == want) {
			m->data[m->hdr.len] = '\0';
			return true;
		}
	}
	fail_msg("no message from the server in time");
	return false;
}

static void
sockets_are_private_and_serve_two_clients_with_watches(void **state)
{
	struct sockfx *s = *state;
	char path[160];
	struct stat st;
	struct msg m;
	int a, b;

	snprintf(path, sizeof(path), "%s/run/xenstored/socket", s->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	a = sock_connect(s, "socket");
	b = sock_connect(s, "socket");
	sock_send(a, XS_WATCH, 1, P("/shared\0ta"));
	assert_true(sock_recv(s, a, &m));
	assert_ok(&m, XS_WATCH);
	assert_true(sock_recv(s, a, &m));
	assert_int_equal(m.hdr.type, XS_WATCH_EVENT);
	assert_string_equal(m.data, "/shared");
	sock_send(b, XS_WRITE, 2, P0("/shared/k\0v"));
	assert_true(sock_recv(s, b, &m));
	assert_ok(&m, XS_WRITE);
	assert_int_equal(m.hdr.req_id, 2);
	assert_true(sock_recv(s, a, &m));
	assert_int_equal(m.hdr.type, XS_WATCH_EVENT);
	assert_string_equal(m.data, "/shared/k");
	/* Garbage on one socket closes it; the other is still served. */
	{
		struct xsd_sockmsg h = { .type = XS_READ, .len = 100000 };

		assert_int_equal(send(b, &h, sizeof(h), MSG_NOSIGNAL), sizeof(h));
		assert_false(sock_recv(s, b, &m));
	}
	sock_send(a, XS_READ, 3, P("/shared/k"));
	assert_true(sock_recv(s, a, &m));
	assert_reply(&m, XS_READ, "v", 1);
	close(a);
	close(b);
	vsw_loop_run_once(s->loop, 5);
	assert_int_equal(shv_xs_conn_count(s->xs), 0);
}

static void
guest_socket_carries_the_guests_identity_until_release(void **state)
{
	struct sockfx *s = *state;
	char path[160];
	struct stat st;
	struct msg m;
	int g;

	assert_int_equal(shv_xs_domain_introduce(s->xs, 4, "four"), 0);
	snprintf(path, sizeof(path), "%s/run/xenstored/dom4.socket", s->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	g = sock_connect(s, "dom4.socket");
	sock_send(g, XS_WRITE, 1, P0("data/x\0001"));
	assert_true(sock_recv(s, g, &m));
	assert_ok(&m, XS_WRITE);
	sock_send(g, XS_WRITE, 2, P0("/local/domain/0/x\0001"));
	assert_true(sock_recv(s, g, &m));
	assert_err(&m, "EACCES");
	sock_send(g, XS_READ, 3, P("/local/domain/4/data/x"));
	assert_true(sock_recv(s, g, &m));
	assert_reply(&m, XS_READ, "1", 1);
	assert_int_equal(shv_xs_domain_release(s->xs, 4), 0);
	assert_false(sock_recv(s, g, &m));
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	close(g);
}

static void
client_flooding_requests_without_reading_is_disconnected(void **state)
{
	struct sockfx *s = *state;
	static char token[3000];
	char buf[3100];
	struct msg m;
	int fd, i, n;
	bool open = true;

	fd = sock_connect(s, "socket");
	memset(token, 't', sizeof(token) - 1);
	n = snprintf(buf, sizeof(buf), "/f%c%s", 0, token);
	sock_send(fd, XS_WATCH, 1, buf, (size_t)n + 1);
	/* Each request queues a ~3 KiB event and a reply; nothing is read back. */
	for (i = 0; i < 2000 && open; i++) {
		struct xsd_sockmsg h = { .type = XS_WRITE, .req_id = 2, .len = 4 };
		char req[sizeof(h) + 4];

		memcpy(req, &h, sizeof(h));
		memcpy(req + sizeof(h), "/f\0x", 4);
		if (send(fd, req, sizeof(req), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			open = errno == EAGAIN;
		vsw_loop_run_once(s->loop, 0);
		open = open && shv_xs_conn_count(s->xs) == 1;
	}
	assert_false(open);
	assert_int_equal(shv_xs_conn_count(s->xs), 0);
	/* Whatever was buffered in the socket, it ends with EOF. */
	while (recv(fd, &m, sizeof(m), MSG_DONTWAIT) > 0)
		;
	close(fd);
}

/* ---- Debian's libxenstore against the server ------------------------------------------ */

struct server_thread {
	struct sockfx *s;
	atomic_bool stop;
};

static void *
serve(void *arg)
{
	struct server_thread *t = arg;

	while (!atomic_load(&t->stop))
		vsw_loop_run_once(t->s->loop, 20);
	return NULL;
}

#define STRESS_THREADS 8
#define STRESS_OPS     500

struct stress_arg {
	int id;
	int failures;
};

static void *
stress_client(void *arg)
{
	struct stress_arg *a = arg;
	struct xs_handle *h = xs_open(0);
	char path[64], val[64];
	int i;

	if (!h) {
		a->failures = STRESS_OPS;
		return NULL;
	}
	for (i = 0; i < STRESS_OPS; i++) {
		unsigned int len;
		char *got;

		snprintf(path, sizeof(path), "/stress/t%d/k%d", a->id, i % 50);
		snprintf(val, sizeof(val), "value-%d-%d", a->id, i);
		if (!xs_write(h, XBT_NULL, path, val, (unsigned int)strlen(val))) {
			a->failures++;
			continue;
		}
		got = xs_read(h, XBT_NULL, path, &len);
		if (!got || len != strlen(val) || memcmp(got, val, len))
			a->failures++;
		free(got);
	}
	xs_close(h);
	return NULL;
}

static void
libxenstore_clients_from_eight_threads_read_back_their_writes(void **state)
{
	struct sockfx *s = *state;
	struct server_thread st = { .s = s };
	struct stress_arg args[STRESS_THREADS];
	pthread_t srv, cl[STRESS_THREADS];
	char sock[160], path[64], val[64];
	struct xs_handle *h;
	unsigned int n, len;
	char **dir, *v;
	int i, failures = 0;

	snprintf(sock, sizeof(sock), "%s/run/xenstored/socket", s->dir);
	assert_int_equal(setenv("XENSTORED_PATH", sock, 1), 0);
	atomic_init(&st.stop, false);
	assert_int_equal(pthread_create(&srv, NULL, serve, &st), 0);
	for (i = 0; i < STRESS_THREADS; i++) {
		args[i].id = i;
		args[i].failures = 0;
		assert_int_equal(pthread_create(&cl[i], NULL, stress_client, &args[i]), 0);
	}
	for (i = 0; i < STRESS_THREADS; i++) {
		pthread_join(cl[i], NULL);
		failures += args[i].failures;
	}
	/* All final values, seen by another client. */
	h = xs_open(0);
	assert_non_null(h);
	dir = xs_directory(h, XBT_NULL, "/stress", &n);
	assert_non_null(dir);
	assert_int_equal(n, STRESS_THREADS);
	free(dir);
	for (i = 0; i < STRESS_THREADS; i++) {
		snprintf(path, sizeof(path), "/stress/t%d/k%d", i, (STRESS_OPS - 1) % 50);
		snprintf(val, sizeof(val), "value-%d-%d", i, STRESS_OPS - 1);
		v = xs_read(h, XBT_NULL, path, &len);
		if (!v || strcmp(v, val))
			failures++;
		free(v);
	}
	xs_close(h);
	atomic_store(&st.stop, true);
	pthread_join(srv, NULL);
	assert_int_equal(failures, 0);
}

/* xs_read_watch() blocks forever; wait for the watch pipe first so a bug cannot hang. */
static char **
read_watch_2s(struct xs_handle *h)
{
	struct pollfd p = { .fd = xs_fileno(h), .events = POLLIN };
	unsigned int n;

	assert_int_equal(poll(&p, 1, 2000), 1);
	return xs_read_watch(h, &n);
}

static void
libxenstore_api_works_against_the_server(void **state)
{
	struct sockfx *s = *state;
	struct server_thread st = { .s = s };
	struct xs_permissions perms[2] = { { .id = 0, .perms = XS_PERM_NONE },
					   { .id = 4, .perms = XS_PERM_READ } };
	struct xs_permissions *got;
	pthread_t srv;
	char sock[160], name[32], **w, **dir, *v;
	struct xs_handle *h;
	xs_transaction_t t;
	unsigned int n, len;
	int i;
	bool ok;

	snprintf(sock, sizeof(sock), "%s/run/xenstored/socket", s->dir);
	assert_int_equal(setenv("XENSTORED_PATH", sock, 1), 0);
	/* Enough children that xs_directory() has to fall back to DIRECTORY_PART. */
	for (i = 0; i < 300; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/many/child-with-a-long-name-%04d", i);
		assert_int_equal(shv_xs_store_write(shv_xs_get_store(s->xs), NULL, 0, path, "", 0),
				 0);
	}
	atomic_init(&st.stop, false);
	assert_int_equal(pthread_create(&srv, NULL, serve, &st), 0);
	h = xs_open(0);
	assert_non_null(h);
	dir = xs_directory(h, XBT_NULL, "/many", &n);
	assert_non_null(dir);
	assert_int_equal(n, 300);
	assert_string_equal(dir[299], "child-with-a-long-name-0299");
	free(dir);
	assert_true(xs_watch(h, "/lx", "tok"));
	w = read_watch_2s(h);
	assert_non_null(w);
	assert_string_equal(w[XS_WATCH_PATH], "/lx");
	free(w);
	t = xs_transaction_start(h);
	assert_true(t != XBT_NULL);
	assert_true(xs_write(h, t, "/lx/a", "1", 1));
	assert_true(xs_transaction_end(h, t, false));
	w = read_watch_2s(h);
	assert_non_null(w);
	assert_string_equal(w[XS_WATCH_PATH], "/lx/a");
	free(w);
	assert_true(xs_set_permissions(h, XBT_NULL, "/lx/a", perms, 2));
	got = xs_get_permissions(h, XBT_NULL, "/lx/a", &n);
	assert_non_null(got);
	assert_int_equal(n, 2);
	assert_int_equal(got[1].id, 4);
	assert_int_equal(got[1].perms, XS_PERM_READ);
	free(got);
	v = xs_get_domain_path(h, 5);
	assert_string_equal(v, "/local/domain/5");
	free(v);
	errno = 0;
	v = xs_read(h, XBT_NULL, "/no/such", &len);
	assert_null(v);
	assert_int_equal(errno, ENOENT);
	ok = xs_rm(h, XBT_NULL, "/lx");
	assert_true(ok);
	assert_true(xs_unwatch(h, "/lx", "tok"));
	snprintf(name, sizeof(name), "%s", "done");
	assert_true(xs_write(h, XBT_NULL, "/lx-done", name, (unsigned int)strlen(name)));
	xs_close(h);
	atomic_store(&st.stop, true);
	pthread_join(srv, NULL);
}

#define T(f)  cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TS(f) cmocka_unit_test_setup_teardown(f, sock_setup, sock_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(write_then_read_echoes_req_id_and_returns_raw_value),
		T(mkdir_and_rm_follow_xenstored_rules),
		T(directory_lists_children_and_is_e2big_beyond_the_payload_limit),
		T(directory_part_returns_generation_and_chunks_libxenstore_can_join),
		T(directory_part_generation_changes_when_the_directory_changes),
		T(get_and_set_perms_use_xen_letters_on_the_wire),
		T(relative_paths_resolve_against_the_callers_domain),
		T(malformed_paths_and_payloads_are_einval),
		T(unknown_message_types_are_einval_and_the_connection_survives),
		T(oversized_payload_closes_only_that_connection),
		T(requests_split_at_any_byte_are_framed_correctly),
		T(guest_is_confined_to_what_permissions_allow),
		T(privileged_operations_are_eacces_for_guests),
		T(guest_quotas_apply_over_the_wire),
		T(watch_fires_once_on_registration_after_the_reply),
		T(watch_fires_for_the_node_and_descendants_before_the_writers_reply),
		T(watch_fires_for_each_node_removed_by_rm),
		T(relative_watch_reports_relative_paths),
		T(watch_events_need_read_permission_on_the_node),
		T(unwatch_stops_events_and_unknown_watch_is_enoent),
		T(closed_connection_loses_its_watches_and_transactions),
		T(reset_watches_drops_watches_and_transactions),
		T(client_that_does_not_read_is_disconnected_at_the_output_cap),
		T(transaction_is_private_until_committed_and_fires_watches_then),
		T(transaction_abort_discards_changes),
		T(transaction_conflict_is_eagain_and_disjoint_changes_commit),
		T(transaction_ids_belong_to_their_connection),
		T(introduce_over_the_wire_is_idempotent_and_fires_introduce_domain),
		T(release_over_the_wire_closes_the_domains_connections),
		T(api_introduce_creates_the_domain_home_and_release_removes_it),
		T(get_domain_path_names_the_domains_home),
		T(control_answers_help_and_print_for_dom0),
		TS(sockets_are_private_and_serve_two_clients_with_watches),
		TS(guest_socket_carries_the_guests_identity_until_release),
		TS(client_flooding_requests_without_reading_is_disconnected),
		TS(libxenstore_clients_from_eight_threads_read_back_their_writes),
		TS(libxenstore_api_works_against_the_server),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
