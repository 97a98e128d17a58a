/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for nb-simhv's xenstored (tools/simhv/xs-server.c and xs-store.c): the
 * input is a script of byte chunks fed to three in-memory connections of a populated store
 * (dom0, and guests 1 and 2) plus a few domain life-cycle actions, so requests, watches and
 * transactions of privileged and unprivileged clients interleave. After every step the
 * output of each connection must be a sequence of well-formed messages; the sanitizers and
 * the leak checker do the rest.
 *
 * Script: a control byte, then for chunk steps (top bits 00/01/10 = dom0/guest 1/guest 2)
 * up to 64 data bytes (low 6 bits + 1); top bits 11 select an action (low bits).
 */
#include "tools/simhv/xs-server.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/xs_wire.h>

#define N_CONNS 3

static const unsigned int conn_domid[N_CONNS] = { 0, 1, 2 };

static void
check(int cond)
{
	if (!cond)
		abort();
}

/* Takes all queued output and checks its framing. */
static void
drain(struct shv_xs_conn *c)
{
	static uint8_t buf[SHV_XS_OUTPUT_MAX + 2 * (sizeof(struct xsd_sockmsg) + 4096)];
	size_t n = shv_xs_conn_take_output(c, buf, sizeof(buf)), off = 0;

	check(shv_xs_conn_output_len(c) == 0);
	while (off < n) {
		struct xsd_sockmsg h;

		check(n - off >= sizeof(h));
		memcpy(&h, buf + off, sizeof(h));
		check(h.len <= XENSTORE_PAYLOAD_MAX);
		check(h.type < XS_TYPE_COUNT);
		if (h.type == XS_ERROR || h.type == XS_WATCH_EVENT)
			check(h.len > 0 && buf[off + sizeof(h) + h.len - 1] == '\0');
		if (h.type == XS_WATCH_EVENT)
			check(h.req_id == 0 && h.tx_id == 0);
		off += sizeof(h) + h.len;
		check(off <= n);
	}
}

static void
reopen(struct shv_xs *xs, struct shv_xs_conn **c, unsigned int domid)
{
	shv_xs_conn_close(*c);
	*c = NULL;
	if (shv_xs_domain_is_introduced(xs, domid))
		check(shv_xs_conn_open_mem(xs, domid, c) == 0);
}

static void
populate(struct shv_xs *xs)
{
	struct shv_xs_store *s = shv_xs_get_store(xs);
	const struct shv_xs_perm shared[] = { { 0, SHV_XS_PERM_READ }, { 1, SHV_XS_PERM_WRITE } };

	check(shv_xs_domain_introduce(xs, 1, "one") == 0);
	check(shv_xs_domain_introduce(xs, 2, "two") == 0);
	check(shv_xs_store_write(s, NULL, 0, "/local/domain/0/backend/vif/1/0/state", "4", 1) == 0);
	check(shv_xs_store_write(s, NULL, 1, "/local/domain/1/device/vif/0/state", "1", 1) == 0);
	check(shv_xs_store_write(s, NULL, 0, "/shared/a", "x", 1) == 0);
	check(shv_xs_store_set_perms(s, NULL, 0, "/shared", shared, 2) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shv_xs_conn *c[N_CONNS] = { NULL };
	struct shv_xs *xs;
	size_t i = 0, k;

	check(shv_xs_create(&xs, NULL, NULL, NULL, NULL) == 0);
	populate(xs);
	for (k = 0; k < N_CONNS; k++)
		check(shv_xs_conn_open_mem(xs, conn_domid[k], &c[k]) == 0);
	while (i < size) {
		uint8_t ctl = data[i++];
		unsigned int which = ctl >> 6;

		if (which < N_CONNS) {
			size_t len = (size_t)(ctl & 0x3f) + 1;

			if (len > size - i)
				len = size - i;
			if (c[which] && shv_xs_conn_feed(c[which], data + i, len) < 0)
				reopen(xs, &c[which], conn_domid[which]);
			i += len;
		} else {
			switch (ctl & 7) {
			case 0:
				shv_xs_domain_release(xs, 2);
				break;
			case 1:
				shv_xs_domain_introduce(xs, 2, "two");
				break;
			case 2:
				reopen(xs, &c[2], 2);
				break;
			case 3:
				reopen(xs, &c[1], 1);
				break;
			default:
				break;
			}
		}
		for (k = 0; k < N_CONNS; k++) {
			if (c[k])
				drain(c[k]);
			if (c[k] && !shv_xs_conn_is_open(c[k]))
				reopen(xs, &c[k], conn_domid[k]);
		}
	}
	for (k = 0; k < N_CONNS; k++)
		shv_xs_conn_close(c[k]);
	shv_xs_destroy(xs);
	return 0;
}
