/* SPDX-License-Identifier: MIT */
/*
 * test-xlcfg.c - unit tests for tools/xl/xlcfg: a realistic Debian PV config, quoting
 * and escapes, CRLF, comments, duplicates and '+=', list forms, ignored keys, file
 * loading, and bad input each with its exact "FILE:LINE:COL: ..." message.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/xl/xlcfg.h"

/* What xen-tools writes for a Debian guest booted by pygrub, kernel lines commented. */
static const char debian_cfg[] =
	"#\n"
	"# Configuration file for the Xen instance web01, created\n"
	"# by xen-tools 4.9.2 on Mon Jan  8 10:00:00 2024.\n"
	"#\n"
	"\n"
	"#\n"
	"#  Kernel + memory size\n"
	"#\n"
	"#kernel      = '/boot/vmlinuz-6.1.0-17-amd64'\n"
	"#ramdisk     = '/boot/initrd.img-6.1.0-17-amd64'\n"
	"bootloader = 'pygrub'\n"
	"\n"
	"vcpus       = '2'\n"
	"memory      = '1024'\n"
	"\n"
	"#\n"
	"#  Disk device(s).\n"
	"#\n"
	"root        = '/dev/xvda2 ro'\n"
	"disk        = [\n"
	"                  'file:/srv/xen/domains/web01/disk.img,xvda2,w',\n"
	"                  'file:/srv/xen/domains/web01/swap.img,xvda1,w',\n"
	"              ]\n"
	"\n"
	"#\n"
	"#  Hostname\n"
	"#\n"
	"name        = 'web01'\n"
	"\n"
	"#\n"
	"#  Networking\n"
	"#\n"
	"vif         = [ 'ip=192.168.1.10 ,mac=00:16:3E:2B:4C:5D,bridge=xenbr0',   # LAN\n"
	"                # the second NIC is rate limited\n"
	"                \"mac=00:16:3e:2b:4c:5e, bridge=dmz, rate=10Mb/s\",\n"
	"              ]\n"
	"\n"
	"#\n"
	"#  Behaviour\n"
	"#\n"
	"on_poweroff = 'destroy'\n"
	"on_reboot   = 'restart'\n"
	"on_crash    = 'restart'\n"
	"extra = 'elevator=noop'   # trailing comment\n";

static struct nb_xlcfg *
parse_ok(const char *text, size_t len)
{
	struct nb_xlcfg_err err;
	struct nb_xlcfg *cfg = NULL;
	int rc = nb_xlcfg_parse("t.cfg", text, len, &cfg, &err);

	if (rc)
		fail_msg("rc %d: %s", rc, err.msg);
	assert_non_null(cfg);
	return cfg;
}

static void
check_debian(const struct nb_xlcfg *cfg)
{
	char buf[NB_VIFSPEC_TEXT_MAX];

	assert_string_equal(cfg->source, "t.cfg");
	assert_string_equal(cfg->name, "web01");
	assert_string_equal(cfg->bootloader, "pygrub");
	assert_null(cfg->kernel);
	assert_null(cfg->ramdisk);
	assert_int_equal(cfg->vcpus, 2);
	assert_int_equal(cfg->memory_mib, 1024);
	assert_int_equal(cfg->maxmem_mib, 0);
	assert_string_equal(cfg->root, "/dev/xvda2 ro");
	assert_string_equal(cfg->extra, "elevator=noop");
	assert_string_equal(cfg->on_poweroff, "destroy");
	assert_string_equal(cfg->on_reboot, "restart");
	assert_string_equal(cfg->on_crash, "restart");
	assert_null(cfg->on_watchdog);
	assert_null(cfg->type);

	assert_int_equal(cfg->n_vifs, 2);
	assert_string_equal(cfg->vifs[0].text,
			    "ip=192.168.1.10 ,mac=00:16:3E:2B:4C:5D,bridge=xenbr0");
	assert_int_equal(cfg->vifs[0].line, 33);
	assert_int_equal(cfg->vifs[0].col, 17);
	assert_int_equal(nb_vifspec_format(&cfg->vifs[0].spec, buf, sizeof(buf)) > 0, 1);
	assert_string_equal(buf, "mac=00:16:3e:2b:4c:5d,bridge=xenbr0,ip=192.168.1.10,devid=0");
	assert_int_equal(cfg->vifs[1].line, 35);
	assert_int_equal(cfg->vifs[1].col, 17);
	assert_int_equal(cfg->vifs[1].spec.devid, 1);
	assert_int_equal(cfg->vifs[1].spec.rate_bytes_per_interval, 62500);
	assert_int_equal(cfg->vifs[1].spec.rate_interval_us, 50000);
	assert_string_equal(cfg->vifs[1].spec.bridge, "dmz");

	assert_int_equal(cfg->n_ignored, 1);
	assert_string_equal(cfg->ignored[0].key, "disk");
	assert_int_equal(cfg->ignored[0].line, 20);
	assert_true(cfg->ignored[0].known);
	assert_int_equal(nb_xlcfg_find(cfg, "disk")->value.len, 2);
	assert_string_equal(nb_xlcfg_find(cfg, "disk")->value.items[1].str,
			    "file:/srv/xen/domains/web01/swap.img,xvda1,w");
}

static void
test_debian_pv_config_parses_completely(void **state)
{
	struct nb_xlcfg *cfg;

	(void)state;
	cfg = parse_ok(debian_cfg, strlen(debian_cfg));
	check_debian(cfg);
	nb_xlcfg_free(cfg);
}

static void
test_crlf_file_parses_like_lf(void **state)
{
	size_t n = strlen(debian_cfg), i, o = 0;
	char *crlf = malloc(n * 2 + 1);
	struct nb_xlcfg *cfg;

	(void)state;
	assert_non_null(crlf);
	for (i = 0; i < n; i++) {
		if (debian_cfg[i] == '\n')
			crlf[o++] = '\r';
		crlf[o++] = debian_cfg[i];
	}
	cfg = parse_ok(crlf, o);
	check_debian(cfg);
	nb_xlcfg_free(cfg);
	free(crlf);
}

static void
test_quotes_and_escapes_unquote_exactly(void **state)
{
	static const char text[] = "name = \"q-1\"\n"
				   "kernel = '/boot/it\\'s'\n"
				   "ramdisk = \"say \\\"hi\\\" \\\\ \\x41\\x7e\"\n"
				   "extra = 'console=hvc0 # not a comment; not a separator'\n"
				   "cmdline = \"single 'quoted' inside\"\n"
				   "root = ''\n";
	struct nb_xlcfg *cfg = parse_ok(text, strlen(text));

	(void)state;
	assert_string_equal(cfg->name, "q-1");
	assert_string_equal(cfg->kernel, "/boot/it's");
	assert_string_equal(cfg->ramdisk, "say \"hi\" \\ A~");
	assert_string_equal(cfg->extra, "console=hvc0 # not a comment; not a separator");
	assert_string_equal(cfg->cmdline, "single 'quoted' inside");
	assert_string_equal(cfg->root, "");
	nb_xlcfg_free(cfg);
}

static void
test_last_assignment_wins_and_plus_equal_appends(void **state)
{
	static const char text[] = "name = 'old'\n"
				   "memory = 256\n"
				   "name = 'new'\n"
				   "memory = 0x200\n"
				   "extra = 'quiet'\n"
				   "extra += ' splash'\n"
				   "cmdline += 'fresh'\n"
				   "vif = [ 'bridge=a' ]\n"
				   "vif += [ 'bridge=b', 'bridge=c' ]\n"
				   "disk = [ 'x' ]\n"
				   "disk = [ 'y' ]\n";
	struct nb_xlcfg *cfg = parse_ok(text, strlen(text));

	(void)state;
	assert_string_equal(cfg->name, "new");
	assert_int_equal(nb_xlcfg_find(cfg, "name")->line, 3);
	assert_int_equal(cfg->memory_mib, 512);
	assert_string_equal(cfg->extra, "quiet splash");
	assert_string_equal(cfg->cmdline, "fresh");
	assert_int_equal(cfg->n_vifs, 3);
	assert_string_equal(cfg->vifs[2].spec.bridge, "c");
	assert_int_equal(cfg->vifs[2].spec.devid, 2);
	assert_int_equal(cfg->vifs[2].line, 9);
	/* One notice per ignored key, however often it is assigned. */
	assert_int_equal(cfg->n_ignored, 1);
	assert_int_equal(cfg->ignored[0].line, 11);
	assert_int_equal(nb_xlcfg_find(cfg, "disk")->value.len, 1);
	assert_string_equal(nb_xlcfg_find(cfg, "disk")->value.items[0].str, "y");
	nb_xlcfg_free(cfg);
}

static void
test_semicolons_lists_and_missing_final_newline(void **state)
{
	static const char text[] = "name='x'; memory=128;\n"
				   "vcpus=2 ; maxvcpus = 4\t;\n"
				   "vif = [\n"
				   "\n"
				   "  # first\n"
				   "  'bridge=a'\n"
				   "  ,\n"
				   "  'bridge=b' , # second, trailing comma next\n"
				   "]\n"
				   "vnuma = [ [ 'pnode=0', 'size=512' ], [ ], [ [ 1, 2 ] ] ]\n"
				   "usb = []\n"
				   "maxmem = '2048'";
	struct nb_xlcfg *cfg = parse_ok(text, strlen(text));
	const struct nb_xlcfg_setting *s;

	(void)state;
	assert_int_equal(cfg->memory_mib, 128);
	assert_int_equal(cfg->vcpus, 2);
	assert_int_equal(cfg->maxvcpus, 4);
	assert_int_equal(cfg->maxmem_mib, 2048);
	assert_int_equal(cfg->n_vifs, 2);
	assert_string_equal(cfg->vifs[1].spec.bridge, "b");
	s = nb_xlcfg_find(cfg, "vnuma");
	assert_non_null(s);
	assert_int_equal(s->value.type, NB_XLCFG_LIST);
	assert_int_equal(s->value.len, 3);
	assert_int_equal(s->value.items[0].len, 2);
	assert_int_equal(s->value.items[1].len, 0);
	assert_int_equal(s->value.items[2].items[0].items[1].type, NB_XLCFG_STRING);
	assert_string_equal(s->value.items[2].items[0].items[1].str, "2");
	assert_int_equal(nb_xlcfg_find(cfg, "usb")->value.len, 0);
	assert_null(nb_xlcfg_find(cfg, "nothing"));
	nb_xlcfg_free(cfg);
}

static void
test_ignored_keys_tell_known_from_unknown(void **state)
{
	static const char text[] = "name = 'x'\n"
				   "memroy = 512\n"
				   "vfb = [ 'vnc=1' ]\n"
				   "builder = 'generic'\n"
				   "Vif = [ 'bridge=x' ]\n"
				   "memroy = 1024\n";
	struct nb_xlcfg *cfg = parse_ok(text, strlen(text));

	(void)state;
	assert_int_equal(cfg->n_ignored, 4);
	assert_string_equal(cfg->ignored[0].key, "memroy");
	assert_false(cfg->ignored[0].known);
	assert_int_equal(cfg->ignored[0].line, 6);
	assert_string_equal(cfg->ignored[1].key, "vfb");
	assert_true(cfg->ignored[1].known);
	assert_string_equal(cfg->ignored[2].key, "builder");
	assert_true(cfg->ignored[2].known);
	assert_string_equal(cfg->ignored[3].key, "Vif");
	assert_false(cfg->ignored[3].known);
	assert_int_equal(cfg->n_vifs, 0);
	assert_int_equal(cfg->memory_mib, 0);
	nb_xlcfg_free(cfg);
}

static void
test_typed_keys_accept_their_documented_values(void **state)
{
	static const char text[] = "name = 'a.b_c-1'\n"
				   "type = 'pvh'\n"
				   "uuid = '01234567-89ab-CDEF-0123-456789abcdef'\n"
				   "on_watchdog = 'coredump-destroy'\n"
				   "on_soft_reset = 'soft-reset'\n"
				   "on_crash = 'rename-restart'\n"
				   "bootloader_args = [ '-q', '--entry=xvda2:/vmlinuz' ]\n"
				   "vcpus = 4096\n"
				   "memory = 16777216\n";
	static const char text2[] = "name = 'b'\nbootloader_args = '  -q\t --x=y '\n";
	struct nb_xlcfg *cfg = parse_ok(text, strlen(text));

	(void)state;
	assert_string_equal(cfg->type, "pvh");
	assert_string_equal(cfg->uuid, "01234567-89ab-CDEF-0123-456789abcdef");
	assert_string_equal(cfg->on_watchdog, "coredump-destroy");
	assert_string_equal(cfg->on_soft_reset, "soft-reset");
	assert_string_equal(cfg->on_crash, "rename-restart");
	assert_int_equal(cfg->n_bootloader_args, 2);
	assert_string_equal(cfg->bootloader_args[1], "--entry=xvda2:/vmlinuz");
	assert_int_equal(cfg->vcpus, 4096);
	assert_int_equal(cfg->memory_mib, 16777216);
	nb_xlcfg_free(cfg);

	/* xl's deprecated string form is split on blanks. */
	cfg = parse_ok(text2, strlen(text2));
	assert_int_equal(cfg->n_bootloader_args, 2);
	assert_string_equal(cfg->bootloader_args[0], "-q");
	assert_string_equal(cfg->bootloader_args[1], "--x=y");
	nb_xlcfg_free(cfg);
}

/* Bad input and the exact message; "N:" is prepended to give each a valid name line. */
static const struct {
	const char *text;
	int rc;
	unsigned line, col;
	const char *msg;
} bad[] = {
	{ "name = 'a'\nmemory = 512M\n", -EINVAL, 2, 10,
	  "t.cfg:2:10: memory: expected a whole number of MiB 1..16777216 (decimal without leading "
	  "zeros, or 0x hex), found '512M'" },
	{ "name = 'a'\nmemory = 0512\n", -EINVAL, 2, 10,
	  "t.cfg:2:10: memory: expected a whole number of MiB 1..16777216 (decimal without leading "
	  "zeros, or 0x hex), found '0512'" },
	{ "name = 'a'\nmemory = 16777217\n", -EINVAL, 2, 10,
	  "t.cfg:2:10: memory: expected a whole number of MiB 1..16777216 (decimal without leading "
	  "zeros, or 0x hex), found '16777217'" },
	{ "name = 'a'\nvcpus = '0'\n", -EINVAL, 2, 9,
	  "t.cfg:2:9: vcpus: expected a whole number of vcpus 1..4096 (decimal without leading "
	  "zeros, or 0x hex), found '0'" },
	{ "name = 'a'\nvcpus = [ 1 ]\n", -EINVAL, 2, 9,
	  "t.cfg:2:9: vcpus: expected a single value, not a list, found a list" },
	{ "name = web01\n", -EINVAL, 1, 8,
	  "t.cfg:1:8: expected a value (strings need quotes: 'text' or \"text\"), found 'web01'" },
	{ "name = 'web01\nmemory = 5\n", -EINVAL, 1, 14,
	  "t.cfg:1:14: expected ' to close the string opened at 1:8, found end of line" },
	{ "name = \"web01\r\n", -EINVAL, 1, 14,
	  "t.cfg:1:14: expected \" to close the string opened at 1:8, found end of line" },
	{ "name = 'web01", -EINVAL, 1, 14,
	  "t.cfg:1:14: expected ' to close the string opened at 1:8, found end of file" },
	{ "name = 'a'\nvif = [ 'a=1' 'b' ]\n", -EINVAL, 2, 15,
	  "t.cfg:2:15: expected ',' or ']' in the list opened at 2:7, found ''b''" },
	{ "name = 'a'\nvif = [ 'a=1',\n", -EINVAL, 3, 1,
	  "t.cfg:3:1: expected a value: a quoted string, a number or a [list], found end of file" },
	{ "name = 'a'\nvif = [ , ]\n", -EINVAL, 2, 9,
	  "t.cfg:2:9: expected a value: a quoted string, a number or a [list], found ','" },
	{ "name = 'x'\nmemory 512\n", -EINVAL, 2, 8,
	  "t.cfg:2:8: expected '=' after 'memory', found '512'" },
	{ "name = 'x'\nmemory\n", -EINVAL, 2, 7,
	  "t.cfg:2:7: expected '=' after 'memory', found end of line" },
	{ "name = 'x' 'y'\n", -EINVAL, 1, 12,
	  "t.cfg:1:12: expected the end of the line after the value, found ''y''" },
	{ "name = 'x'\nvcpus = -1\n", -EINVAL, 2, 9,
	  "t.cfg:2:9: expected a setting, a value, a comment or the end of the line, found '-'" },
	{ "= 5\n", -EINVAL, 1, 1, "t.cfg:1:1: expected a setting like key = value, found '='" },
	{ "name = 'x'\n  42 = 5\n", -EINVAL, 2, 3,
	  "t.cfg:2:3: expected a setting like key = value, found '42'" },
	{ "a + 1\n", -EINVAL, 1, 3, "t.cfg:1:3: expected '=' or '+=', found '+'" },
	{ "import os\n", -EINVAL, 1, 8, "t.cfg:1:8: expected '=' after 'import', found 'os'" },
	{ "name = 'x'\nextra = 'a'\nextra += [ 'b' ]\n", -EINVAL, 3, 10,
	  "t.cfg:3:10: extra: expected a string to add to the earlier string, found a list" },
	{ "name = 'x'\ndisk = [ 'a' ]\ndisk += 'b'\n", -EINVAL, 3, 9,
	  "t.cfg:3:9: disk: expected a [list] to add to the earlier list, found 'b'" },
	{ "name = 'x'\non_crash = 'reboot'\n", -EINVAL, 2, 12,
	  "t.cfg:2:12: on_crash: expected destroy, restart, rename-restart, preserve, "
	  "coredump-destroy, coredump-restart or soft-reset, found 'reboot'" },
	{ "name = 'x'\ntype = 'PV'\n", -EINVAL, 2, 8,
	  "t.cfg:2:8: type: expected pv, pvh or hvm, found 'PV'" },
	{ "name = 'x'\nuuid = '0123456789abcdef0123456789abcdef'\n", -EINVAL, 2, 8,
	  "t.cfg:2:8: uuid: expected a UUID like 01234567-89ab-cdef-0123-456789abcdef, found "
	  "'0123456789abcdef0123456789abcdef'" },
	{ "memory = 512\n", -EINVAL, 2, 1,
	  "t.cfg:2:1: expected a name = \"...\" setting (the domain name), found end of file" },
	{ "", -EINVAL, 1, 1,
	  "t.cfg:1:1: expected a name = \"...\" setting (the domain name), found end of file" },
	{ "name = '123'\n", -EINVAL, 1, 8,
	  "t.cfg:1:8: name: expected a domain name of 1-64 characters from [A-Za-z0-9_.-], not all "
	  "digits, found '123'" },
	{ "name = 'web 01'\n", -EINVAL, 1, 8,
	  "t.cfg:1:8: name: expected a domain name of 1-64 characters from [A-Za-z0-9_.-], not all "
	  "digits, found 'web 01'" },
	{ "name = [ 'a' ]\n", -EINVAL, 1, 8,
	  "t.cfg:1:8: name: expected a single value, not a list, found a list" },
	{ "name = 'a\\qb'\n", -EINVAL, 1, 10,
	  "t.cfg:1:10: expected an escape \\\\, \\', \\\" or \\xHH of a printable byte or tab, "
	  "found "
	  "'\\q'" },
	{ "name = 'a\\x0ab'\n", -EINVAL, 1, 10,
	  "t.cfg:1:10: expected an escape \\\\, \\', \\\" or \\xHH of a printable byte or tab, "
	  "found "
	  "'\\x0a'" },
	{ "name = 'a\x7f b'\n", -EINVAL, 1, 10,
	  "t.cfg:1:10: expected printable text in the string (write \\xHH for odd bytes), found "
	  "'\\x7f'" },
	{ "name = 'a\tb'\n", -EINVAL, 1, 8,
	  "t.cfg:1:8: name: expected a domain name of 1-64 characters from [A-Za-z0-9_.-], not all "
	  "digits, found 'a\\x09b'" },
	{ "name = 'x'\n\n  \x01\n", -EINVAL, 3, 3,
	  "t.cfg:3:3: expected a setting, a value, a comment or the end of the line, found "
	  "'\\x01'" },
	{ "x = [[[[[[[[[1]]]]]]]]]\n", -EINVAL, 1, 13,
	  "t.cfg:1:13: expected lists nested at most 8 deep, found '['" },
	{ "name = 'x'\nvif = 'bridge=br0'\n", -EINVAL, 2, 7,
	  "t.cfg:2:7: vif: expected a list like [ 'bridge=xenbr0', ... ], found 'bridge=br0'" },
	{ "name = 'x'\nvif = [ [ 'bridge=br0' ] ]\n", -EINVAL, 2, 9,
	  "t.cfg:2:9: vif[0]: expected a vif spec string, found a list" },
	{ "name = 'x'\nvif = [ 'bridge=br0', 'mac=zz' ]\n", -EINVAL, 2, 28,
	  "t.cfg:2:28: vif[1]: mac: expected six two-digit hex octets like 00:16:3e:12:34:56, "
	  "found "
	  "'zz'" },
	{ "name = 'x'\nvif = [ 'bridge=\\x62r0,mtu=1' ]\n", -EINVAL, 2, 28,
	  "t.cfg:2:28: vif[0]: mtu: expected a number 68..65535, found '1'" },
	{ "name = 'x'\nvif = [ 'devid=1', 'bridge=b' ]\n", -EINVAL, 2, 20,
	  "t.cfg:2:20: vif[1]: expected a devid not already used by vif[0], found '1'" },
	{ "name = 'x'\nvif = [ 5 ]\n", -EINVAL, 2, 9,
	  "t.cfg:2:9: vif[0]: expected a vif key (mac, bridge, gatewaydev, ip, script, vifname, "
	  "rate, mtu, backend, devid, vlan, trusted, untrusted, type, model), found '5'" },
	{ "name = 'x'\nbootloader_args = [ [ '-q' ] ]\n", -EINVAL, 2, 21,
	  "t.cfg:2:21: bootloader_args: expected a string argument, found a list" },
};

static void
test_bad_configs_fail_with_exact_messages(void **state)
{
	struct nb_xlcfg_err err;
	struct nb_xlcfg *cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;

		cfg = (struct nb_xlcfg *)&err;
		rc = nb_xlcfg_parse("t.cfg", bad[i].text, strlen(bad[i].text), &cfg, &err);
		if (rc != bad[i].rc || strcmp(err.msg, bad[i].msg) != 0 ||
		    err.line != bad[i].line || err.col != bad[i].col)
			fail_msg("case %zu: rc %d at %u:%u msg \"%s\"", i, rc, err.line, err.col,
				 err.msg);
		assert_null(cfg);
	}
}

static void
test_depth_eight_and_nul_bytes_and_size_limit(void **state)
{
	static const char deep[] = "name = 'x'\nx = [[[[[[[[1]]]]]]]]\n";
	static const char nul[] = "name = 'x'\n# c\0mment\n";
	struct nb_xlcfg_err err;
	struct nb_xlcfg *cfg;
	char *big;

	(void)state;
	cfg = parse_ok(deep, strlen(deep));
	nb_xlcfg_free(cfg);

	assert_int_equal(nb_xlcfg_parse("t.cfg", nul, sizeof(nul) - 1, &cfg, &err), -EINVAL);
	assert_string_equal(err.msg, "t.cfg:2:4: expected text (this looks like a binary file), "
				     "found '\\x00'");

	big = calloc(1, NB_XLCFG_SIZE_MAX + 1);
	assert_non_null(big);
	memset(big, '\n', NB_XLCFG_SIZE_MAX + 1);
	assert_int_equal(nb_xlcfg_parse("t.cfg", big, NB_XLCFG_SIZE_MAX + 1, &cfg, &err), -EFBIG);
	assert_null(cfg);
	assert_string_equal(err.msg, "t.cfg: expected at most 1048576 bytes, found 1048577");
	free(big);
}

static void
test_too_many_settings_and_vifs_are_refused(void **state)
{
	size_t cap = (NB_XLCFG_SETTINGS_MAX + 2) * 16, o = 0;
	char *text = malloc(cap);
	struct nb_xlcfg_err err;
	struct nb_xlcfg *cfg;
	int i;

	(void)state;
	assert_non_null(text);
	o += (size_t)snprintf(text + o, cap - o, "name = 'x'\n");
	for (i = 1; i < NB_XLCFG_SETTINGS_MAX; i++)
		o += (size_t)snprintf(text + o, cap - o, "k%d = %d\n", i, i);
	cfg = parse_ok(text, o);
	assert_int_equal(cfg->n_settings, NB_XLCFG_SETTINGS_MAX);
	assert_int_equal(cfg->n_ignored, NB_XLCFG_SETTINGS_MAX - 1);
	nb_xlcfg_free(cfg);
	o += (size_t)snprintf(text + o, cap - o, "one_more = 1\n");
	assert_int_equal(nb_xlcfg_parse("t.cfg", text, o, &cfg, &err), -EINVAL);
	assert_string_equal(
		err.msg, "t.cfg:1025:1: expected at most 1024 distinct settings, found 'one_more'");

	o = (size_t)snprintf(text, cap, "name = 'x'\nvif = [");
	for (i = 0; i <= NB_XLCFG_VIFS_MAX; i++)
		o += (size_t)snprintf(text + o, cap - o, "'',");
	o += (size_t)snprintf(text + o, cap - o, "]\n");
	assert_int_equal(nb_xlcfg_parse("t.cfg", text, o, &cfg, &err), -EINVAL);
	assert_string_equal(err.msg, "t.cfg:2:200: vif: expected at most 64 vifs, found ''");
	free(text);
}

static void
test_load_reads_files_and_reports_open_errors(void **state)
{
	char path[] = "/tmp/test-xlcfg-XXXXXX";
	struct nb_xlcfg_err err;
	struct nb_xlcfg *cfg;
	char *big;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, debian_cfg, strlen(debian_cfg)), (ssize_t)strlen(debian_cfg));
	assert_int_equal(close(fd), 0);
	assert_int_equal(nb_xlcfg_load(path, &cfg, &err), 0);
	assert_string_equal(cfg->source, path);
	assert_string_equal(cfg->name, "web01");
	assert_int_equal(cfg->n_vifs, 2);
	nb_xlcfg_free(cfg);

	big = malloc(NB_XLCFG_SIZE_MAX + 1);
	assert_non_null(big);
	memset(big, '#', NB_XLCFG_SIZE_MAX + 1);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, big, NB_XLCFG_SIZE_MAX + 1), NB_XLCFG_SIZE_MAX + 1);
	assert_int_equal(close(fd), 0);
	free(big);
	assert_int_equal(nb_xlcfg_load(path, &cfg, &err), -EFBIG);
	assert_null(cfg);
	assert_non_null(strstr(err.msg, "expected a file of at most 1048576 bytes"));
	assert_int_equal(unlink(path), 0);

	assert_int_equal(nb_xlcfg_load(path, &cfg, &err), -ENOENT);
	assert_null(cfg);
	assert_non_null(strstr(err.msg, ": cannot read: No such file or directory"));
	assert_int_equal(strncmp(err.msg, path, strlen(path)), 0);
	nb_xlcfg_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_pv_config_parses_completely),
		cmocka_unit_test(test_crlf_file_parses_like_lf),
		cmocka_unit_test(test_quotes_and_escapes_unquote_exactly),
		cmocka_unit_test(test_last_assignment_wins_and_plus_equal_appends),
		cmocka_unit_test(test_semicolons_lists_and_missing_final_newline),
		cmocka_unit_test(test_ignored_keys_tell_known_from_unknown),
		cmocka_unit_test(test_typed_keys_accept_their_documented_values),
		cmocka_unit_test(test_bad_configs_fail_with_exact_messages),
		cmocka_unit_test(test_depth_eight_and_nul_bytes_and_size_limit),
		cmocka_unit_test(test_too_many_settings_and_vifs_are_refused),
		cmocka_unit_test(test_load_reads_files_and_reports_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
