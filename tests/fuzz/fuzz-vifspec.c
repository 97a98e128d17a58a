/* SPDX-License-Identifier: MIT */
/*
 * fuzz-vifspec.c - libFuzzer target for tools/xl/vifspec: parses arbitrary bytes as a
 * vif spec. A rejected spec must come with a message and a column inside the text; an
 * accepted one must survive format -> parse unchanged and render into XenStore keys.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/xl/vifspec.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static void
check_text(const char *s, size_t max)
{
	size_t i, n = strnlen(s, max);

	CHECK(n < max);
	for (i = 0; i < n; i++)
		CHECK((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[NB_VIFSPEC_TEXT_MAX + 2];
	static char out[NB_VIFSPEC_TEXT_MAX + 1];
	static struct nb_vifspec_xs xs;
	static struct nb_vifspec a, b;
	struct nb_vifspec_err err;
	uint8_t rnd[3] = { 0, 0, 0 };
	size_t len;
	unsigned i;
	int rc;

	if (size > NB_VIFSPEC_TEXT_MAX + 1)
		size = NB_VIFSPEC_TEXT_MAX + 1;
	memcpy(text, data, size);
	text[size] = '\0';
	len = strlen(text);
	memcpy(rnd, data, size < 3 ? size : 3);

	rc = nb_vifspec_parse(text, &a, &err);
	if (rc) {
		CHECK(rc == -EINVAL);
		CHECK(err.msg[0] != '\0' && strnlen(err.msg, sizeof(err.msg)) < sizeof(err.msg));
		CHECK(err.col >= 1 && err.col <= len + 1);
		CHECK(!a.has_mac && a.n_ips == 0 && a.devid == -1);
		return 0;
	}
	CHECK(len <= NB_VIFSPEC_TEXT_MAX);
	CHECK(a.n_ips <= NB_VIFSPEC_IPS_MAX && a.n_notices <= NB_VIFSPEC_NOTICES_MAX);
	CHECK(a.mtu >= NB_VIFSPEC_MTU_MIN && a.mtu <= NB_VIFSPEC_MTU_MAX);
	CHECK(a.devid >= -1 && a.devid <= NB_VIFSPEC_DEVID_MAX);
	CHECK(!a.has_rate || (a.rate_bytes_per_interval > 0 && a.rate_interval_us > 0));
	CHECK(!a.vlan[0] || (a.vlan_pvid >= 1 && a.vlan_pvid <= 4094 && a.n_vlans >= 1));

	/* Round trip: the canonical form parses back to the same spec. */
	rc = nb_vifspec_format(&a, out, sizeof(out));
	CHECK(rc >= 0 && (size_t)rc == strlen(out));
	CHECK(nb_vifspec_parse(out, &b, &err) == 0);
	a.n_notices = b.n_notices = 0;
	memset(a.notices, 0, sizeof(a.notices));
	memset(b.notices, 0, sizeof(b.notices));
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);

	/* Once MAC and devid are settled every accepted spec renders. */
	nb_vifspec_default_mac(&a, rnd);
	CHECK(a.has_mac && !(a.mac[0] & 1));
	if (a.devid < 0)
		a.devid = 0;
	CHECK(nb_vifspec_render_xs(&a, 1, a.backend_domid, NULL, &xs) == 0);
	CHECK(xs.n > 0 && xs.n <= NB_VIFSPEC_XS_MAX);
	for (i = 0; i < xs.n; i++) {
		CHECK(xs.kv[i].key && xs.kv[i].key[0]);
		check_text(xs.kv[i].value, sizeof(xs.kv[i].value));
	}
	return 0;
}
