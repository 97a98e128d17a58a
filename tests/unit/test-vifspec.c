/* SPDX-License-Identifier: MIT */
/*
 * test-vifspec.c - unit tests for tools/xl/vifspec: every key, every rate form with its
 * exact "bytes,usecs" result, bad input with its exact message and column, the default
 * MAC, the canonical round trip and the rendered XenStore keys.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "tools/xl/vifspec.h"

/* Good specs and the canonical spec each one parses to (defaults omitted). */
static const struct {
	const char *in;
	const char *canon;
} good_specs[] = {
	{ "", "" },
	{ " , ,, ", "" },
	{ "mac=00:16:3E:74:3d:76", "mac=00:16:3e:74:3d:76" },
	{ "mac=02:00:00:00:00:01,mac=00:16:3e:00:00:02", "mac=00:16:3e:00:00:02" },
	{ "bridge=xenbr1", "bridge=xenbr1" },
	{ "bridge=ovsbr0.10:20:30", "bridge=ovsbr0.10:20:30" },
	{ "gatewaydev=eth0", "gatewaydev=eth0" },
	{ "netdev=eth1", "gatewaydev=eth1" },
	{ "ip=192.168.1.10", "ip=192.168.1.10" },
	{ "ip=10.0.0.2/24   2001:db8::5/64 \t 10.0.0.3", "ip=10.0.0.2/24 2001:db8::5/64 10.0.0.3" },
	{ "script=vif-route", "script=vif-route" },
	{ "script=/usr/lib/netback/vif-nb", "script=/usr/lib/netback/vif-nb" },
	{ "vifname=web01-eth0", "vifname=web01-eth0" },
	{ "rate=10Mb/s", "rate=10Mb/s" },
	{ "mtu=9000", "mtu=9000" },
	{ "mtu=1500", "" },
	{ "backend=0", "backend=0" },
	{ "backend=driver-dom.1", "backend=driver-dom.1" },
	{ "devid=3", "devid=3" },
	{ "vlan=10", "vlan=10" },
	{ "untrusted", "untrusted" },
	{ "untrusted,trusted", "" },
	{ "type=vif,model=e1000,accel=x,forwarddev=eth9,colo_compare_out=y", "" },
	{ "  mac = 00:16:3e:01:02:03 ,  bridge = br0  ", "mac=00:16:3e:01:02:03,bridge=br0" },
	{ "ip=10.1.2.3,mac=00:16:3e:aa:bb:cc,bridge=xenbr0,rate=1MB/s@20ms,devid=7,mtu=1400,"
	  "vifname=vm7,script=vif-bridge,gatewaydev=eth0,backend=2,vlan=10p/20,untrusted",
	  "mac=00:16:3e:aa:bb:cc,bridge=xenbr0,gatewaydev=eth0,ip=10.1.2.3,script=vif-bridge,"
	  "vifname=vm7,rate=1MB/s@20ms,mtu=1400,backend=2,devid=7,vlan=10p/20,untrusted" },
};

static void
test_every_key_parses_to_its_canonical_form(void **state)
{
	struct nb_vifspec spec;
	struct nb_vifspec_err err;
	char out[NB_VIFSPEC_TEXT_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good_specs) / sizeof(good_specs[0]); i++) {
		int rc = nb_vifspec_parse(good_specs[i].in, &spec, &err);

		if (rc)
			fail_msg("'%s': %s", good_specs[i].in, err.msg);
		assert_int_equal(nb_vifspec_format(&spec, out, sizeof(out)),
				 (int)strlen(good_specs[i].canon));
		assert_string_equal(out, good_specs[i].canon);
	}
}

static void
test_parsed_fields_hold_the_typed_values(void **state)
{
	struct nb_vifspec s;
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 };

	(void)state;
	assert_int_equal(nb_vifspec_parse("ip=10.0.0.2/24 2001:db8::5 ,mtu=0068,devid=65535,"
					  "backend=32751",
					  &s, NULL),
			 0);
	assert_int_equal(s.n_ips, 2);
	assert_int_equal(s.ips[0].family, AF_INET);
	assert_memory_equal(s.ips[0].addr, ((uint8_t[]){ 10, 0, 0, 2 }), 4);
	assert_int_equal(s.ips[0].prefix, 24);
	assert_int_equal(s.ips[1].family, AF_INET6);
	assert_memory_equal(s.ips[1].addr, v6, 16);
	assert_int_equal(s.ips[1].prefix, -1);
	assert_int_equal(s.mtu, 68);
	assert_int_equal(s.devid, 65535);
	assert_true(s.backend_is_id);
	assert_int_equal(s.backend_domid, 32751);

	assert_int_equal(nb_vifspec_parse("backend=dom-net", &s, NULL), 0);
	assert_false(s.backend_is_id);
	assert_string_equal(s.backend, "dom-net");

	assert_int_equal(nb_vifspec_parse("", &s, NULL), 0);
	assert_false(s.has_mac);
	assert_int_equal(s.devid, -1);
	assert_int_equal(s.mtu, 1500);
	assert_true(s.trusted);
	assert_int_equal(s.backend_domid, 0);
	assert_false(s.has_rate);
}

/* Every rate form and the exact "bytes,usecs" libxl would store for it. */
static const struct {
	const char *rate;
	uint64_t bytes;
	uint32_t usec;
} rates[] = {
	{ "10Mb/s", 62500, 50000 },	/* man page: 10 megabits every second */
	{ "250KB/s", 12500, 50000 },	/* man page */
	{ "1MB/s@20ms", 20000, 20000 }, /* man page: "20000,20000" */
	{ "1GB/s", 50000000, 50000 },	/* G = 10^9 */
	{ "1Gb/s@100us", 12500, 100 },	/* bits: /8 after scaling */
	{ "8000b/s", 50, 50000 },	/* plain bits */
	{ "100B/s@1s", 100, 1000000 },	/* s suffix */
	{ "100B/s@2", 200, 2000000 },	/* no suffix = seconds */
	{ "5Kb/s@30m", 18, 30000 },	/* m = ms: 625 B/s * 30 ms, truncated */
	{ "5KB/s@250u", 1, 250 },	/* u = us, 1.25 truncated */
	{ "7Mb/s@1ms", 875, 1000 },	/* 875000 B/s */
	{ "3Kb/s", 18, 50000 },		/* 3000/8 = 375 (truncated), *0.05 = 18.75 */
	{ "4294967295B/s@1s", 4294967295ULL, 1000000 },
	{ "4294967295GB/s@1us", 4294967295000ULL, 1 },
	{ "1B/s@4294s", 4294, 4294000000U },
	{ "1B/s@4294967295us", 4294, 4294967295U },
};

static void
test_rate_forms_give_libxl_bytes_and_interval(void **state)
{
	struct nb_vifspec_err err;
	struct nb_vifspec spec;
	char text[96];
	uint64_t bytes;
	uint32_t usec;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		if (nb_vifspec_parse_rate(rates[i].rate, &bytes, &usec, &err))
			fail_msg("'%s': %s", rates[i].rate, err.msg);
		assert_int_equal(bytes, rates[i].bytes);
		assert_int_equal(usec, rates[i].usec);
		snprintf(text, sizeof(text), "rate=%s", rates[i].rate);
		assert_int_equal(nb_vifspec_parse(text, &spec, &err), 0);
		assert_true(spec.has_rate);
		assert_int_equal(spec.rate_bytes_per_interval, rates[i].bytes);
		assert_int_equal(spec.rate_interval_us, rates[i].usec);
		assert_string_equal(spec.rate, rates[i].rate);
	}
}

static const struct {
	const char *rate;
	int rc;
	unsigned col;
	const char *msg;
} bad_rates[] = {
	{ "", -EINVAL, 1,
	  "rate: expected RATE/s[@INTERVAL] like 10Mb/s or 1MB/s@20ms (units B, KB, MB, GB or b, "
	  "Kb, Mb, Gb), found ''" },
	{ "10mb/s", -EINVAL, 1,
	  "rate: expected RATE/s[@INTERVAL] like 10Mb/s or 1MB/s@20ms (units B, KB, MB, GB or b, "
	  "Kb, Mb, Gb), found '10mb/s'" },
	{ "10MB", -EINVAL, 1,
	  "rate: expected RATE/s[@INTERVAL] like 10Mb/s or 1MB/s@20ms (units B, KB, MB, GB or b, "
	  "Kb, Mb, Gb), found '10MB'" },
	{ "MB/s", -EINVAL, 1,
	  "rate: expected RATE/s[@INTERVAL] like 10Mb/s or 1MB/s@20ms (units B, KB, MB, GB or b, "
	  "Kb, Mb, Gb), found 'MB/s'" },
	{ "0MB/s", -EINVAL, 1, "rate: expected a non-zero rate, found '0MB/s'" },
	{ "010MB/s", -EINVAL, 1,
	  "rate: expected a number without leading zeros (xl reads them as octal), found "
	  "'010MB/s'" },
	{ "4294967296B/s", -EOVERFLOW, 1,
	  "rate: expected a rate of at most 4294967295, found '4294967296B/s'" },
	{ "1MB/s@", -EINVAL, 7,
	  "rate: expected an interval like 20ms, 100us or 1s after '@', found ''" },
	{ "1MB/s@20x", -EINVAL, 7,
	  "rate: expected an interval like 20ms, 100us or 1s after '@', found '20x'" },
	{ "1MB/s@20mus", -EINVAL, 7,
	  "rate: expected an interval like 20ms, 100us or 1s after '@', found '20mus'" },
	{ "1MB/s@0ms", -EINVAL, 7, "rate: expected an interval of 1us..4294967295us, found '0ms'" },
	{ "1MB/s@4295s", -EOVERFLOW, 7,
	  "rate: expected an interval of 1us..4294967295us, found '4295s'" },
	{ "1MB/s@20ms@1s", -EINVAL, 7,
	  "rate: expected an interval like 20ms, 100us or 1s after '@', found '20ms@1s'" },
	{ "4294967295GB/s@4294s", -EOVERFLOW, 1,
	  "rate: expected a rate times interval below 2^64, found '4294967295GB/s@4294s'" },
	{ "1B/s", -EINVAL, 1, "rate: expected at least 1 byte per 50000us interval, found '1B/s'" },
	{ "7b/s@1s", -EINVAL, 1,
	  "rate: expected at least 1 byte per 1000000us interval, found '7b/s@1s'" },
};

static void
test_bad_rates_fail_with_exact_messages(void **state)
{
	struct nb_vifspec_err err;
	uint64_t bytes = 0;
	uint32_t usec = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_rates) / sizeof(bad_rates[0]); i++) {
		int rc = nb_vifspec_parse_rate(bad_rates[i].rate, &bytes, &usec, &err);

		if (rc != bad_rates[i].rc || strcmp(err.msg, bad_rates[i].msg) != 0 ||
		    err.col != bad_rates[i].col)
			fail_msg("'%s': rc %d col %u msg \"%s\"", bad_rates[i].rate, rc, err.col,
				 err.msg);
	}
}

/* Bad specs: the exact message and the column of the offending text. */
static const struct {
	const char *in;
	unsigned col;
	const char *msg;
} bad_specs[] = {
	{ "foo=1", 1,
	  "expected a vif key (mac, bridge, gatewaydev, ip, script, vifname, rate, mtu, backend, "
	  "devid, vlan, trusted, untrusted, type, model), found 'foo=1'" },
	{ "bridge=br0,  =x", 14,
	  "expected a vif key (mac, bridge, gatewaydev, ip, script, vifname, rate, mtu, backend, "
	  "devid, vlan, trusted, untrusted, type, model), found '=x'" },
	{ "mac", 1, "mac: expected 'mac=VALUE', found 'mac'" },
	{ "trusted=1", 1, "expected the bare flag 'trusted', found 'trusted=1'" },
	{ "mac=00:16:3e:zz:00:01", 5,
	  "mac: expected six two-digit hex octets like 00:16:3e:12:34:56, found "
	  "'00:16:3e:zz:00:01'" },
	{ "mac=0:16:3e:1:2:3", 5,
	  "mac: expected six two-digit hex octets like 00:16:3e:12:34:56, found '0:16:3e:1:2:3'" },
	{ "mac=00-16-3e-00-00-01", 5,
	  "mac: expected six two-digit hex octets like 00:16:3e:12:34:56, found "
	  "'00-16-3e-00-00-01'" },
	{ "mac=01:00:5e:00:00:01", 5,
	  "mac: expected a unicast address (first octet even), found '01:00:5e:00:00:01'" },
	{ "mac=ff:ff:ff:ff:ff:ff", 5,
	  "mac: expected a unicast address (first octet even), found 'ff:ff:ff:ff:ff:ff'" },
	{ "mac=00:00:00:00:00:00", 5,
	  "mac: expected a non-zero address, found '00:00:00:00:00:00'" },
	{ "bridge=", 8,
	  "bridge: expected a network name of 1-64 characters from [A-Za-z0-9_.:-], "
	  "found ''" },
	{ "bridge=br 0", 8,
	  "bridge: expected a network name of 1-64 characters from "
	  "[A-Za-z0-9_.:-], found 'br 0'" },
	{ "bridge=-br", 8,
	  "bridge: expected a network name of 1-64 characters from "
	  "[A-Za-z0-9_.:-], found '-br'" },
	{ "vifname=a-very-long-name0", 9,
	  "vifname: expected an interface name of 1-15 characters from [A-Za-z0-9_.-], found "
	  "'a-very-long-name0'" },
	{ "vifname=..", 9,
	  "vifname: expected an interface name of 1-15 characters from [A-Za-z0-9_.-], found "
	  "'..'" },
	{ "gatewaydev=eth0/1", 12,
	  "gatewaydev: expected an interface name of 1-15 characters from [A-Za-z0-9_.-], found "
	  "'eth0/1'" },
	{ "netdev=e;th0", 8,
	  "netdev: expected an interface name of 1-15 characters from [A-Za-z0-9_.-], found "
	  "'e;th0'" },
	{ "ip=", 4, "ip: expected one or more IPv4/IPv6 addresses, found ''" },
	{ "ip=10.0.0.1 10.0.0.256", 13,
	  "ip: expected an IPv4 or IPv6 address with optional /prefix, found '10.0.0.256'" },
	{ "ip=10.0.0.1/33", 4,
	  "ip: expected a prefix length 0..32 after '/', found '10.0.0.1/33'" },
	{ "ip=fe80::1/129", 4,
	  "ip: expected a prefix length 0..128 after '/', found 'fe80::1/129'" },
	{ "ip=10.0.0.1/08", 4,
	  "ip: expected a prefix length 0..32 after '/', found '10.0.0.1/08'" },
	{ "ip=host.example", 4,
	  "ip: expected an IPv4 or IPv6 address with optional /prefix, found 'host.example'" },
	{ "ip=1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8 1.1.1.9 1.1.1.10 "
	  "1.1.1.11 1.1.1.12 1.1.1.13 1.1.1.14 1.1.1.15 1.1.1.16 1.1.1.17",
	  139, "ip: expected at most 16 addresses, found '1.1.1.17'" },
	{ "script=../../bin/sh", 8,
	  "script: expected a script name or path of 1-255 characters from [A-Za-z0-9_./+-] "
	  "without '..', found '../../bin/sh'" },
	{ "script=/etc/xen/scripts/../x", 8,
	  "script: expected a script name or path of 1-255 characters from [A-Za-z0-9_./+-] "
	  "without '..', found '/etc/xen/scripts/../x'" },
	{ "script=vif-bridge;reboot", 8,
	  "script: expected a script name or path of 1-255 characters from [A-Za-z0-9_./+-] "
	  "without '..', found 'vif-bridge;reboot'" },
	{ "rate=10Mb", 6,
	  "rate: expected RATE/s[@INTERVAL] like 10Mb/s or 1MB/s@20ms (units B, KB, MB, GB or b, "
	  "Kb, Mb, Gb), found '10Mb'" },
	{ "bridge=x,rate=1MB/s@1h", 21,
	  "rate: expected an interval like 20ms, 100us or 1s after '@', found '1h'" },
	{ "mtu=67", 5, "mtu: expected a number 68..65535, found '67'" },
	{ "mtu=65536", 5, "mtu: expected a number 68..65535, found '65536'" },
	{ "mtu=jumbo", 5, "mtu: expected a number 68..65535, found 'jumbo'" },
	{ "mtu=0", 5, "mtu: expected a number 68..65535, found '0'" },
	{ "devid=-1", 7, "devid: expected a number 0..65535, found '-1'" },
	{ "devid=65536", 7, "devid: expected a number 0..65535, found '65536'" },
	{ "backend=32752", 9, "backend: expected a domain id 0..32751, found '32752'" },
	{ "backend=dom 1", 9,
	  "backend: expected a domain id or a domain name of 1-64 characters "
	  "from [A-Za-z0-9_.-], found 'dom 1'" },
	{ "vlan=0", 6, "vlan: expected VLAN ids 1..4094, found '0'" },
	{ "vlan=4095", 6, "vlan: expected VLAN ids 1..4094, found '4095'" },
	{ "vlan=10/20", 6,
	  "vlan: expected one id marked 'p' (the PVID) when several are given, found '10/20'" },
	{ "vlan=10p/20p", 10, "vlan: expected one PVID ('p'), not 10 and 20, found '20p'" },
	{ "vlan=10p/5-12", 10, "vlan: expected each VLAN id once (10 repeats), found '5-12'" },
	{ "vlan=10p/20-15", 10,
	  "vlan: expected a range FIRST-LAST with 1 <= FIRST <= LAST <= 4094, "
	  "found '20-15'" },
	{ "vlan=10p/100+0x2", 10,
	  "vlan: expected each VLAN id once (100 repeats), found '100+0x2'" },
	{ "vlan=1p/4000+50x3", 9, "vlan: expected VLAN ids 1..4094, found '4000+50x3'" },
	{ "vlan=1p/100+10x0", 9,
	  "vlan: expected a count of at least 1 after 'x', found '100+10x0'" },
	{ "vlan=10p//20", 10,
	  "vlan: expected VLAN terms like 10, 10p, 10u, 20-25[u] or 100+10x4[u], found ''" },
	{ "vlan=010", 6,
	  "vlan: expected VLAN terms like 10, 10p, 10u, 20-25[u] or 100+10x4[u], found '010'" },
	{ "vlan=20-25p", 6,
	  "vlan: expected VLAN terms like 10, 10p, 10u, 20-25[u] or 100+10x4[u], found '20-25p'" },
	{ "vlan=10 p", 6,
	  "vlan: expected VLAN terms like 10, 10p, 10u, 20-25[u] or 100+10x4[u], found '10 p'" },
	{ "type=ioemu2", 6, "type: expected vif or ioemu, found 'ioemu2'" },
	{ "bridge=br0\n", 11, "expected printable text, found '\\x0a'" },
};

static void
test_bad_specs_fail_with_exact_message_and_column(void **state)
{
	struct nb_vifspec_err err;
	struct nb_vifspec spec;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_specs) / sizeof(bad_specs[0]); i++) {
		int rc = nb_vifspec_parse(bad_specs[i].in, &spec, &err);

		if (rc != -EINVAL || strcmp(err.msg, bad_specs[i].msg) != 0 ||
		    err.col != bad_specs[i].col)
			fail_msg("'%s': rc %d col %u msg \"%s\"", bad_specs[i].in, rc, err.col,
				 err.msg);
		/* A failed parse leaves the defaults, never half a spec. */
		assert_false(spec.has_mac);
		assert_int_equal(spec.n_ips, 0);
	}
}

static void
test_overlong_spec_is_refused(void **state)
{
	static char text[NB_VIFSPEC_TEXT_MAX + 2];
	struct nb_vifspec_err err;
	struct nb_vifspec spec;

	(void)state;
	memset(text, ' ', sizeof(text) - 1);
	assert_int_equal(nb_vifspec_parse(text, &spec, &err), -EINVAL);
	assert_int_equal(err.col, 1);
	assert_non_null(strstr(err.msg, "expected a spec of at most 4096 bytes"));
	text[NB_VIFSPEC_TEXT_MAX] = '\0';
	assert_int_equal(nb_vifspec_parse(text, &spec, &err), 0);
}

static void
test_vlan_forms_expand_to_the_right_ids(void **state)
{
	static const struct {
		const char *in;
		unsigned pvid, n;
	} cases[] = {
		{ "vlan=10", 10, 1 },		{ "vlan=10u", 10, 1 },
		{ "vlan=10p/20", 10, 2 },	{ "vlan=1p/10-15/20-25u", 1, 13 },
		{ "vlan=10p/100+10x4", 10, 5 }, /* 100, 110, 120, 130: COUNT ids */
		{ "vlan=7/8p", 8, 2 },		{ "vlan=1-4094u/5p", 0, 0 },
	};
	struct nb_vifspec spec;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = nb_vifspec_parse(cases[i].in, &spec, NULL);

		if (cases[i].n == 0) {
			/* 5 is already inside 1-4094. */
			assert_int_equal(rc, -EINVAL);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(spec.vlan_pvid, cases[i].pvid);
		assert_int_equal(spec.n_vlans, cases[i].n);
		assert_string_equal(spec.vlan, cases[i].in + 5);
	}
}

static void
test_ignored_keys_are_reported_once_each(void **state)
{
	struct nb_vifspec spec;

	(void)state;
	assert_int_equal(nb_vifspec_parse("model=e1000,type=ioemu,model=rtl8139,netdev=eth0,"
					  "colo_a=1,colo_b=2,accel=x,forwarddev=e",
					  &spec, NULL),
			 0);
	assert_int_equal(spec.n_notices, 6);
	assert_string_equal(spec.notices[0].key, "model");
	assert_string_equal(spec.notices[1].key, "type");
	assert_string_equal(spec.notices[2].key, "netdev");
	assert_string_equal(spec.notices[2].why, "deprecated alias of gatewaydev");
	assert_string_equal(spec.notices[3].key, "colo_*");
	assert_string_equal(spec.notices[4].key, "accel");
	assert_string_equal(spec.notices[5].key, "forwarddev");
	assert_string_equal(spec.gatewaydev, "eth0");

	assert_int_equal(nb_vifspec_parse("bridge=br0", &spec, NULL), 0);
	assert_int_equal(spec.n_notices, 0);
}

static void
test_default_mac_uses_xen_oui_and_caller_randomness(void **state)
{
	static const uint8_t rnd[3] = { 0xff, 0x12, 0x34 };
	struct nb_vifspec spec;
	char buf[18];

	(void)state;
	assert_int_equal(nb_vifspec_parse("bridge=br0", &spec, NULL), 0);
	nb_vifspec_default_mac(&spec, rnd);
	assert_true(spec.has_mac);
	nb_vifspec_format_mac(spec.mac, buf, sizeof(buf));
	/* libxl masks the 4th octet with 0x7f. */
	assert_string_equal(buf, "00:16:3e:7f:12:34");

	assert_int_equal(nb_vifspec_parse("mac=00:16:3e:01:02:03", &spec, NULL), 0);
	nb_vifspec_default_mac(&spec, rnd);
	nb_vifspec_format_mac(spec.mac, buf, sizeof(buf));
	assert_string_equal(buf, "00:16:3e:01:02:03");
}

static void
test_format_round_trips_and_reports_short_buffers(void **state)
{
	struct nb_vifspec a, b;
	char out[NB_VIFSPEC_TEXT_MAX];
	char tiny[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good_specs) / sizeof(good_specs[0]); i++) {
		assert_int_equal(nb_vifspec_parse(good_specs[i].in, &a, NULL), 0);
		assert_true(nb_vifspec_format(&a, out, sizeof(out)) >= 0);
		assert_int_equal(nb_vifspec_parse(out, &b, NULL), 0);
		/* Notices name ignored keys, which the canonical form leaves out. */
		a.n_notices = b.n_notices = 0;
		memset(a.notices, 0, sizeof(a.notices));
		memset(b.notices, 0, sizeof(b.notices));
		assert_memory_equal(&a, &b, sizeof(a));
	}
	assert_int_equal(nb_vifspec_parse("bridge=xenbr0,mtu=9000", &a, NULL), 0);
	assert_int_equal(nb_vifspec_format(&a, tiny, sizeof(tiny)), -ENOSPC);
	assert_string_equal(tiny, "");
}

/* Found by fuzz-vifspec: a numeric backend longer than the name buffer ("0" x 81) was copied
 * whole into it, over the fields behind it. It is a domain id: kept as "0". */
static void
test_long_numeric_backend_is_kept_canonical(void **state)
{
	char text[200];
	struct nb_vifspec a;

	(void)state;
	snprintf(text, sizeof(text), "backend=%081d,bridge=br9", 0);
	assert_int_equal(nb_vifspec_parse(text, &a, NULL), 0);
	assert_string_equal(a.backend, "0");
	assert_true(a.backend_is_id);
	assert_int_equal(a.backend_domid, 0);
	assert_string_equal(a.bridge, "br9");
}

static void
test_repeated_key_leaves_no_trace_of_the_first_value(void **state)
{
	static const struct {
		const char *twice, *once;
	} cases[] = {
		{ "script=a-much-longer-script-name,script=x", "script=x" },
		{ "ip=10.0.0.1 10.0.0.2 fe80::1/64,ip=10.9.9.9", "ip=10.9.9.9" },
		{ "rate=1000MB/s@20ms,rate=1MB/s", "rate=1MB/s" },
		{ "vlan=1p/10-15/20-25u,vlan=7", "vlan=7" },
		{ "bridge=long-bridge-name,bridge=b", "bridge=b" },
		{ "backend=driver-domain,backend=1", "backend=1" },
		{ "vifname=longer-name,vifname=v", "vifname=v" },
		{ "gatewaydev=eth0.1234,netdev=e", "gatewaydev=e" },
	};
	struct nb_vifspec a, b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(nb_vifspec_parse(cases[i].twice, &a, NULL), 0);
		assert_int_equal(nb_vifspec_parse(cases[i].once, &b, NULL), 0);
		a.n_notices = b.n_notices = 0;
		memset(a.notices, 0, sizeof(a.notices));
		memset(b.notices, 0, sizeof(b.notices));
		assert_memory_equal(&a, &b, sizeof(a));
	}
}

struct kv {
	enum nb_vifspec_xs_dir dir;
	const char *key;
	const char *value;
};

static void
assert_rendered(const struct nb_vifspec_xs *xs, const struct kv *want, size_t n)
{
	size_t i;

	assert_int_equal(xs->n, n);
	for (i = 0; i < n; i++) {
		if (xs->kv[i].dir != want[i].dir || strcmp(xs->kv[i].key, want[i].key) != 0 ||
		    strcmp(xs->kv[i].value, want[i].value) != 0)
			fail_msg("entry %zu: got %d %s=\"%s\", want %d %s=\"%s\"", i, xs->kv[i].dir,
				 xs->kv[i].key, xs->kv[i].value, want[i].dir, want[i].key,
				 want[i].value);
	}
}

static void
test_render_writes_libxl_keys_for_a_full_spec(void **state)
{
	enum nb_vifspec_xs_dir B = NB_VIFSPEC_XS_BACKEND, F = NB_VIFSPEC_XS_FRONTEND;
	static struct nb_vifspec_xs xs;
	const struct kv want[] = {
		{ B, "frontend", "/local/domain/7/device/vif/2" },
		{ B, "frontend-id", "7" },
		{ B, "online", "1" },
		{ B, "state", "1" },
		{ B, "script", "/etc/xen/scripts/vif-route" },
		{ B, "vifname", "web-eth2" },
		{ B, "mac", "00:16:3e:0a:0b:0c" },
		{ B, "ip", "10.0.0.2 2001:db8::2/64" },
		{ B, "gatewaydev", "eth0" },
		{ B, "rate", "20000,20000" },
		{ B, "mtu", "9000" },
		{ B, "vlan", "10p/20" },
		{ B, "bridge", "lan" },
		{ B, "handle", "2" },
		{ B, "type", "vif" },
		{ B, "hotplug-status", "" },
		{ F, "backend", "/local/domain/0/backend/vif/7/2" },
		{ F, "backend-id", "0" },
		{ F, "state", "1" },
		{ F, "handle", "2" },
		{ F, "mac", "00:16:3e:0a:0b:0c" },
		{ F, "trusted", "0" },
		{ NB_VIFSPEC_XS_FRONTEND_RO, "mtu", "9000" },
	};
	struct nb_vifspec spec;

	(void)state;
	assert_int_equal(nb_vifspec_parse("mac=00:16:3E:0A:0B:0C,bridge=lan,ip=10.0.0.2 "
					  "2001:db8::2/64,script=vif-route,vifname=web-eth2,"
					  "gatewaydev=eth0,rate=1MB/s@20ms,mtu=9000,vlan=10p/20,"
					  "devid=2,untrusted,type=vif",
					  &spec, NULL),
			 0);
	assert_int_equal(nb_vifspec_render_xs(&spec, 7, 0, NULL, &xs), 0);
	assert_string_equal(xs.backend_path, "/local/domain/0/backend/vif/7/2");
	assert_string_equal(xs.frontend_path, "/local/domain/7/device/vif/2");
	assert_rendered(&xs, want, sizeof(want) / sizeof(want[0]));
}

static void
test_render_applies_defaults_and_omits_unset_keys(void **state)
{
	enum nb_vifspec_xs_dir B = NB_VIFSPEC_XS_BACKEND, F = NB_VIFSPEC_XS_FRONTEND;
	static const uint8_t rnd[3] = { 0x01, 0x02, 0x03 };
	static struct nb_vifspec_xs xs;
	const struct kv want[] = {
		{ B, "frontend", "/local/domain/3/device/vif/0" },
		{ B, "frontend-id", "3" },
		{ B, "online", "1" },
		{ B, "state", "1" },
		{ B, "script", "/opt/nb/scripts/vif-bridge" },
		{ B, "mac", "00:16:3e:01:02:03" },
		{ B, "bridge", "xenbr0" },
		{ B, "handle", "0" },
		{ B, "type", "vif" },
		{ B, "hotplug-status", "" },
		{ F, "backend", "/local/domain/5/backend/vif/3/0" },
		{ F, "backend-id", "5" },
		{ F, "state", "1" },
		{ F, "handle", "0" },
		{ F, "mac", "00:16:3e:01:02:03" },
		{ F, "trusted", "1" },
		{ NB_VIFSPEC_XS_FRONTEND_RO, "mtu", "1500" },
	};
	struct nb_vifspec spec;

	(void)state;
	assert_int_equal(nb_vifspec_parse("", &spec, NULL), 0);
	/* No MAC and no devid yet: the caller must settle both first. */
	assert_int_equal(nb_vifspec_render_xs(&spec, 3, 5, NULL, &xs), -EINVAL);
	nb_vifspec_default_mac(&spec, rnd);
	assert_int_equal(nb_vifspec_render_xs(&spec, 3, 5, NULL, &xs), -EINVAL);
	spec.devid = 0;
	assert_int_equal(nb_vifspec_render_xs(&spec, 3, 5, "/opt/nb/scripts", &xs), 0);
	assert_rendered(&xs, want, sizeof(want) / sizeof(want[0]));
}

static void
test_render_keeps_absolute_script_and_checks_ids(void **state)
{
	static struct nb_vifspec_xs xs;
	struct nb_vifspec spec;

	(void)state;
	assert_int_equal(nb_vifspec_parse("mac=00:16:3e:00:00:01,devid=1,script=/usr/bin/vif-x",
					  &spec, NULL),
			 0);
	assert_int_equal(nb_vifspec_render_xs(&spec, 1, 0, NULL, &xs), 0);
	assert_string_equal(xs.kv[4].key, "script");
	assert_string_equal(xs.kv[4].value, "/usr/bin/vif-x");
	assert_int_equal(nb_vifspec_render_xs(&spec, 32752, 0, NULL, &xs), -EINVAL);
	assert_int_equal(nb_vifspec_render_xs(&spec, 1, 32752, NULL, &xs), -EINVAL);
	assert_int_equal(nb_vifspec_render_xs(&spec, 1, 0, "scripts", &xs), -EINVAL);
	assert_int_equal(xs.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_parses_to_its_canonical_form),
		cmocka_unit_test(test_parsed_fields_hold_the_typed_values),
		cmocka_unit_test(test_rate_forms_give_libxl_bytes_and_interval),
		cmocka_unit_test(test_bad_rates_fail_with_exact_messages),
		cmocka_unit_test(test_bad_specs_fail_with_exact_message_and_column),
		cmocka_unit_test(test_overlong_spec_is_refused),
		cmocka_unit_test(test_vlan_forms_expand_to_the_right_ids),
		cmocka_unit_test(test_ignored_keys_are_reported_once_each),
		cmocka_unit_test(test_default_mac_uses_xen_oui_and_caller_randomness),
		cmocka_unit_test(test_format_round_trips_and_reports_short_buffers),
		cmocka_unit_test(test_repeated_key_leaves_no_trace_of_the_first_value),
		cmocka_unit_test(test_long_numeric_backend_is_kept_canonical),
		cmocka_unit_test(test_render_writes_libxl_keys_for_a_full_spec),
		cmocka_unit_test(test_render_applies_defaults_and_omits_unset_keys),
		cmocka_unit_test(test_render_keeps_absolute_script_and_checks_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
