/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for tools/guest/ipcfg.c: the kernel and installer forms of ip= on a guest
 * command line, the backend "ip" key, netmask validation, and the iproute2 commands built
 * from a configuration.
 */
#include "tools/guest/ipcfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct cmdline_case {
	const char *cmdline;
	int err;
	enum nb_ipcfg_mode mode;
	const char *dev;
	const char *addr; /* NULL: not checked */
	unsigned int prefix;
	const char *gw; /* NULL: no gateway expected */
};

static void
check_case(const struct cmdline_case *c)
{
	struct nb_ipcfg cfg;
	char buf[INET_ADDRSTRLEN];
	int err;

	memset(&cfg, 0xa5, sizeof(cfg));
	err = nb_ipcfg_parse_cmdline(c->cmdline, &cfg);
	if (err != c->err)
		fail_msg("'%s': err %d, expected %d", c->cmdline, err, c->err);
	if (cfg.mode != c->mode)
		fail_msg("'%s': mode %d, expected %d", c->cmdline, cfg.mode, c->mode);
	if (c->dev)
		assert_string_equal(cfg.dev, c->dev);
	if (c->addr) {
		assert_non_null(inet_ntop(AF_INET, &cfg.addr, buf, sizeof(buf)));
		assert_string_equal(buf, c->addr);
		if (cfg.prefix_len != c->prefix)
			fail_msg("'%s': prefix %u, expected %u", c->cmdline, cfg.prefix_len,
				 c->prefix);
	}
	if (c->gw) {
		assert_true(cfg.has_gw);
		assert_non_null(inet_ntop(AF_INET, &cfg.gw, buf, sizeof(buf)));
		assert_string_equal(buf, c->gw);
	} else if (c->mode == NB_IPCFG_STATIC) {
		if (cfg.has_gw)
			fail_msg("'%s': unexpected gateway", c->cmdline);
	}
}

static void
run_cases(const struct cmdline_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		check_case(&cases[i]);
}

static void
kernel_form_fills_every_field(void **state)
{
	static const struct cmdline_case cases[] = {
		{ "root=/dev/xvda1 ip=10.0.0.2:10.0.0.9:10.0.0.1:255.255.255.0:web:eth1:off ro", 0,
		  NB_IPCFG_STATIC, "eth1", "10.0.0.2", 24, "10.0.0.1" },
		{ "ip=192.168.7.20::192.168.7.1:255.255.0.0::eth0:none", 0, NB_IPCFG_STATIC, "eth0",
		  "192.168.7.20", 16, "192.168.7.1" },
		{ "ip=10.1.2.3:::255.255.255.252", 0, NB_IPCFG_STATIC, "eth0", "10.1.2.3", 30,
		  NULL },
		{ "ip=10.0.0.2::10.0.0.1:255.255.255.0:h:eth0:off:1.1.1.1:8.8.8.8:10.0.0.5", 0,
		  NB_IPCFG_STATIC, "eth0", "10.0.0.2", 24, "10.0.0.1" },
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
kernel_form_defaults_dev_and_classful_mask(void **state)
{
	static const struct cmdline_case cases[] = {
		{ "ip=10.9.8.7", 0, NB_IPCFG_STATIC, "eth0", "10.9.8.7", 8, NULL },
		{ "ip=10.9.8.7::::::", 0, NB_IPCFG_STATIC, "eth0", "10.9.8.7", 8, NULL },
		{ "ip=172.16.5.4::172.16.0.1", 0, NB_IPCFG_STATIC, "eth0", "172.16.5.4", 16,
		  "172.16.0.1" },
		{ "ip=192.0.2.10:::0.0.0.0", 0, NB_IPCFG_STATIC, "eth0", "192.0.2.10", 24, NULL },
		/* A gateway of 0.0.0.0 is "none" to ipconfig.c. */
		{ "ip=192.0.2.10::0.0.0.0:255.255.255.0", 0, NB_IPCFG_STATIC, "eth0", "192.0.2.10",
		  24, NULL },
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
autoconf_words_are_dhcp_and_off_words_are_off(void **state)
{
	static const struct cmdline_case cases[] = {
		{ "ip=dhcp", 0, NB_IPCFG_DHCP, "eth0", NULL, 0, NULL },
		{ "quiet ip=on", 0, NB_IPCFG_DHCP, "eth0", NULL, 0, NULL },
		{ "ip=any", 0, NB_IPCFG_DHCP, "eth0", NULL, 0, NULL },
		{ "ip=bootp", 0, NB_IPCFG_DHCP, "eth0", NULL, 0, NULL },
		{ "ip=dhcp,client-1", 0, NB_IPCFG_DHCP, "eth0", NULL, 0, NULL },
		{ "ip=:::::eth2:dhcp", 0, NB_IPCFG_DHCP, "eth2", NULL, 0, NULL },
		/* No address and no protocol: ipconfig.c autoconfigures. */
		{ "ip=::::::", 0, NB_IPCFG_DHCP, "eth0", NULL, 0, NULL },
		{ "ip=off", 0, NB_IPCFG_OFF, "eth0", NULL, 0, NULL },
		{ "ip=none", 0, NB_IPCFG_OFF, "eth0", NULL, 0, NULL },
		{ "ip=", 0, NB_IPCFG_OFF, "eth0", NULL, 0, NULL },
		{ "ip=:::::eth3:off", 0, NB_IPCFG_OFF, "eth3", NULL, 0, NULL },
		{ "ip=:::::eth3:bogus", 0, NB_IPCFG_OFF, "eth3", NULL, 0, NULL },
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
installer_form_uses_netmask_gateway_or_prefix(void **state)
{
	static const struct cmdline_case cases[] = {
		{ "ip=10.0.3.4 netmask=255.255.255.0 gateway=10.0.3.1", 0, NB_IPCFG_STATIC, "eth0",
		  "10.0.3.4", 24, "10.0.3.1" },
		{ "gateway=10.0.3.1 netmask=255.255.240.0 ip=10.0.3.4", 0, NB_IPCFG_STATIC, "eth0",
		  "10.0.3.4", 20, "10.0.3.1" },
		{ "ip=10.0.3.4/28 gateway=10.0.3.1", 0, NB_IPCFG_STATIC, "eth0", "10.0.3.4", 28,
		  "10.0.3.1" },
		{ "ip=10.0.3.4/32", 0, NB_IPCFG_STATIC, "eth0", "10.0.3.4", 32, NULL },
		{ "ip=\"10.0.3.4/24\"", 0, NB_IPCFG_STATIC, "eth0", "10.0.3.4", 24, NULL },
		{ "ip=192.168.1.9", 0, NB_IPCFG_STATIC, "eth0", "192.168.1.9", 24, NULL },
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
last_ip_wins_and_words_after_dashdash_are_ignored(void **state)
{
	static const struct cmdline_case cases[] = {
		{ "ip=10.0.0.1/24 ip=10.0.0.2/24", 0, NB_IPCFG_STATIC, "eth0", "10.0.0.2", 24,
		  NULL },
		{ "ip=dhcp ip=10.0.0.2/24", 0, NB_IPCFG_STATIC, "eth0", "10.0.0.2", 24, NULL },
		{ "ip=10.0.0.2/24 -- ip=dhcp", 0, NB_IPCFG_STATIC, "eth0", "10.0.0.2", 24, NULL },
		{ "console=hvc0 root=/dev/xvda1", 0, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "", 0, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "   \t  ", 0, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		/* Words merely containing ip= are other parameters. */
		{ "vip=10.0.0.1 zip=dhcp", 0, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
malformed_values_are_rejected_whole(void **state)
{
	static const struct cmdline_case cases[] = {
		{ "ip=10.0.0", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=10.0.0.256", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=010.0.0.1", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=0x0a.0.0.1", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=10.0.0.2/33", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=10.0.0.2/", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=10.0.0.2/-1", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=10.0.0.2/024", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=10.0.0.2 netmask=255.0.255.0", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=10.0.0.2/24 netmask=255.255.255.0", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0,
		  NULL },
		{ "ip=10.0.0.2 gateway=gw.example", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=224.0.0.1", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=255.255.255.255", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=10.0.0.2::239.1.1.1:255.0.0.0", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=10.0.0.2:::255.255.0.255", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=10.0.0.2::::bad_host", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=10.0.0.2:::::eth0/x", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=10.0.0.2:::::averyveryverylongname", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0,
		  NULL },
		{ "ip=10.0.0.2::::::off:dns", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=a:b:c:d:e:f:g:h:i:j:k", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=1.2.3.4::::::::::", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
		{ "ip=1.2.3.4.5", -EINVAL, NB_IPCFG_NONE, NULL, NULL, 0, NULL },
	};

	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
oversized_command_line_is_rejected(void **state)
{
	size_t n = NB_IPCFG_INPUT_MAX + 10;
	char *s = malloc(n + 1);
	struct nb_ipcfg cfg;

	(void)state;
	assert_non_null(s);
	memset(s, 'x', n);
	memcpy(s, "ip=dhcp ", 8);
	s[n] = '\0';
	assert_int_equal(nb_ipcfg_parse_cmdline(s, &cfg), -EINVAL);
	assert_int_equal(cfg.mode, NB_IPCFG_NONE);
	s[NB_IPCFG_INPUT_MAX] = '\0';
	assert_int_equal(nb_ipcfg_parse_cmdline(s, &cfg), 0);
	assert_int_equal(cfg.mode, NB_IPCFG_DHCP);
	free(s);
	assert_int_equal(nb_ipcfg_parse_cmdline(NULL, &cfg), 0);
	assert_int_equal(cfg.mode, NB_IPCFG_NONE);
}

static void
backend_ip_takes_first_address_with_default_prefix(void **state)
{
	struct nb_ipcfg cfg;
	char buf[64];

	(void)state;
	assert_int_equal(nb_ipcfg_parse_backend_ip("10.20.30.40 10.20.30.41", "eth1", &cfg), 0);
	assert_int_equal(cfg.mode, NB_IPCFG_STATIC);
	assert_string_equal(cfg.dev, "eth1");
	assert_int_equal(cfg.prefix_len, 24);
	assert_false(cfg.has_gw);
	assert_int_equal(nb_ipcfg_describe(&cfg, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "10.20.30.40/24");

	assert_int_equal(nb_ipcfg_parse_backend_ip("  172.16.0.9/12", "eth0", &cfg), 0);
	assert_int_equal(cfg.prefix_len, 12);
	assert_int_equal(nb_ipcfg_describe(&cfg, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "172.16.0.9/12");

	assert_int_equal(nb_ipcfg_parse_backend_ip("", "eth0", &cfg), 0);
	assert_int_equal(cfg.mode, NB_IPCFG_NONE);
	assert_int_equal(nb_ipcfg_parse_backend_ip(" \t", "eth0", &cfg), 0);
	assert_int_equal(cfg.mode, NB_IPCFG_NONE);

	assert_int_equal(nb_ipcfg_parse_backend_ip("10.0.0.300", "eth0", &cfg), -EINVAL);
	assert_int_equal(cfg.mode, NB_IPCFG_NONE);
	assert_int_equal(nb_ipcfg_parse_backend_ip("0.0.0.0", "eth0", &cfg), -EINVAL);
	assert_int_equal(nb_ipcfg_parse_backend_ip("10.0.0.1/40", "eth0", &cfg), -EINVAL);
	assert_int_equal(nb_ipcfg_parse_backend_ip("10.0.0.1", "bad/dev", &cfg), -EINVAL);
	assert_int_equal(nb_ipcfg_parse_backend_ip("10.0.0.1", "", &cfg), -EINVAL);
	assert_int_equal(nb_ipcfg_parse_backend_ip(NULL, "eth0", &cfg), -EINVAL);
}

static void
netmask_must_be_contiguous(void **state)
{
	unsigned int p = 99;

	(void)state;
	assert_int_equal(nb_ipcfg_netmask_to_prefix("255.255.255.255", &p), 0);
	assert_int_equal(p, 32);
	assert_int_equal(nb_ipcfg_netmask_to_prefix("255.255.255.128", &p), 0);
	assert_int_equal(p, 25);
	assert_int_equal(nb_ipcfg_netmask_to_prefix("128.0.0.0", &p), 0);
	assert_int_equal(p, 1);
	assert_int_equal(nb_ipcfg_netmask_to_prefix("0.0.0.0", &p), 0);
	assert_int_equal(p, 0);
	p = 99;
	assert_int_equal(nb_ipcfg_netmask_to_prefix("255.255.0.1", &p), -EINVAL);
	assert_int_equal(nb_ipcfg_netmask_to_prefix("0.255.255.255", &p), -EINVAL);
	assert_int_equal(nb_ipcfg_netmask_to_prefix("255.255.255", &p), -EINVAL);
	assert_int_equal(nb_ipcfg_netmask_to_prefix(NULL, &p), -EINVAL);
	assert_int_equal(p, 99);
}

static void
applies_matches_only_its_device_and_a_stated_mode(void **state)
{
	struct nb_ipcfg cfg;

	(void)state;
	assert_int_equal(nb_ipcfg_parse_cmdline("ip=10.0.0.2:::255.255.255.0::eth1:off", &cfg), 0);
	assert_true(nb_ipcfg_applies(&cfg, "eth1"));
	assert_false(nb_ipcfg_applies(&cfg, "eth0"));
	assert_int_equal(nb_ipcfg_parse_cmdline("ip=off", &cfg), 0);
	assert_true(nb_ipcfg_applies(&cfg, "eth0"));
	assert_int_equal(nb_ipcfg_parse_cmdline("quiet", &cfg), 0);
	assert_false(nb_ipcfg_applies(&cfg, "eth0"));
	assert_false(nb_ipcfg_applies(NULL, "eth0"));
}

static void
commands_add_address_then_default_route(void **state)
{
	struct nb_ipcfg_cmd cmds[NB_IPCFG_MAX_CMDS];
	struct nb_ipcfg cfg;
	static const char *const addr_cmd[] = { "ip",	       "-4",  "addr", "replace",
						"10.0.3.4/24", "dev", "eth0" };
	static const char *const route_cmd[] = { "ip",	"-4",	    "route", "replace", "default",
						 "via", "10.0.3.1", "dev",   "eth0",	"onlink" };
	unsigned int i;

	(void)state;
	assert_int_equal(nb_ipcfg_parse_cmdline("ip=10.0.3.4/24 gateway=10.0.3.1", &cfg), 0);
	assert_int_equal(nb_ipcfg_cmds(&cfg, cmds), 2);
	assert_int_equal(cmds[0].argc, 7);
	for (i = 0; i < 7; i++)
		assert_string_equal(cmds[0].argv[i], addr_cmd[i]);
	assert_null(cmds[0].argv[7]);
	assert_int_equal(cmds[1].argc, 10);
	for (i = 0; i < 10; i++)
		assert_string_equal(cmds[1].argv[i], route_cmd[i]);
	assert_null(cmds[1].argv[10]);

	assert_int_equal(nb_ipcfg_parse_cmdline("ip=10.0.3.4/24", &cfg), 0);
	assert_int_equal(nb_ipcfg_cmds(&cfg, cmds), 1);

	assert_int_equal(nb_ipcfg_parse_cmdline("ip=dhcp", &cfg), 0);
	assert_int_equal(nb_ipcfg_cmds(&cfg, cmds), 0);
	assert_int_equal(nb_ipcfg_parse_cmdline("ip=off", &cfg), 0);
	assert_int_equal(nb_ipcfg_cmds(&cfg, cmds), 0);

	/* A corrupted configuration is refused, not turned into a command. */
	assert_int_equal(nb_ipcfg_parse_cmdline("ip=10.0.3.4/24", &cfg), 0);
	cfg.prefix_len = 40;
	assert_int_equal(nb_ipcfg_cmds(&cfg, cmds), -EINVAL);
	cfg.prefix_len = 24;
	memcpy(cfg.dev, "eth 0", 6);
	assert_int_equal(nb_ipcfg_cmds(&cfg, cmds), -EINVAL);
}

static void
describe_names_every_mode(void **state)
{
	struct nb_ipcfg cfg;
	char buf[64];

	(void)state;
	assert_int_equal(nb_ipcfg_parse_cmdline("ip=10.0.0.2::10.0.0.1:255.255.255.0", &cfg), 0);
	assert_int_equal(nb_ipcfg_describe(&cfg, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "10.0.0.2/24 via 10.0.0.1");
	assert_int_equal(nb_ipcfg_describe(&cfg, buf, 8), -ENOSPC);
	assert_int_equal(nb_ipcfg_parse_cmdline("ip=dhcp", &cfg), 0);
	assert_int_equal(nb_ipcfg_describe(&cfg, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "dhcp");
	assert_int_equal(nb_ipcfg_parse_cmdline("ip=none", &cfg), 0);
	assert_int_equal(nb_ipcfg_describe(&cfg, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "off");
	assert_int_equal(nb_ipcfg_parse_cmdline("", &cfg), 0);
	assert_int_equal(nb_ipcfg_describe(&cfg, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "none");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_form_fills_every_field),
		cmocka_unit_test(kernel_form_defaults_dev_and_classful_mask),
		cmocka_unit_test(autoconf_words_are_dhcp_and_off_words_are_off),
		cmocka_unit_test(installer_form_uses_netmask_gateway_or_prefix),
		cmocka_unit_test(last_ip_wins_and_words_after_dashdash_are_ignored),
		cmocka_unit_test(malformed_values_are_rejected_whole),
		cmocka_unit_test(oversized_command_line_is_rejected),
		cmocka_unit_test(backend_ip_takes_first_address_with_default_prefix),
		cmocka_unit_test(netmask_must_be_contiguous),
		cmocka_unit_test(applies_matches_only_its_device_and_a_stated_mode),
		cmocka_unit_test(commands_add_address_then_default_route),
		cmocka_unit_test(describe_names_every_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
