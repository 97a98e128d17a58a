/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for netcfg.c: each mode's net-create options become the right switch mode and
 * arguments, host port address and DHCP range, and every misuse gets one clear message.
 */
#include "tools/ctl/netcfg.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static int
parse(const char *line, struct nb_netcfg *cfg, char *err)
{
	static char buf[512];
	char *argv[32], *save = NULL, *tok;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (tok = strtok_r(buf, " ", &save); tok && argc < 32; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	err[0] = '\0';
	return nb_netcfg_parse(argc, argv, cfg, err, 256);
}

static void
bridge_with_host_port_and_uplink(void **state)
{
	struct nb_netcfg c;
	char err[256];

	(void)state;
	assert_int_equal(parse("br0 --mode bridge --host-port h0 --address 10.0.0.1/24 --uplink "
			       "veth0 --aging 60",
			       &c, err),
			 0);
	assert_string_equal(c.switch_mode, "bridge");
	assert_string_equal(c.switch_args, "aging=60");
	assert_string_equal(c.host_port, "h0");
	assert_string_equal(c.host_address, "10.0.0.1/24");
	assert_string_equal(c.uplink, "veth0");
	assert_string_equal(c.uplink_type, "af_packet");
	assert_int_equal(c.nat, NB_NETCFG_NAT_NONE);
	assert_int_equal(parse("br0 --mode bridge --uplink veth0 --uplink-type af_xdp", &c, err),
			 0);
	assert_string_equal(c.uplink_type, "af_xdp");
	assert_false(c.uplink_guard);
	assert_int_equal(parse("br0 --mode bridge --uplink veth0 --uplink-guard", &c, err), 0);
	assert_true(c.uplink_guard);
	assert_int_equal(parse("n --mode nat --subnet 10.0.0.0/24 --nat fastpath --uplink u "
			       "--uplink-address 192.0.2.2/24 --uplink-guard",
			       &c, err),
			 0);
	assert_true(c.uplink_guard);
}

static void
route_builds_mode_arguments_and_host_address(void **state)
{
	struct nb_netcfg c;
	char err[256];

	(void)state;
	assert_int_equal(
		parse("r0 --mode route --address 10.1.0.1/24 --host-port h1 --uplink u1 "
		      "--uplink-address 192.0.2.2/24 --uplink-gateway 192.0.2.1 --proxy-arp",
		      &c, err),
		0);
	assert_string_equal(c.switch_mode, "route");
	assert_string_equal(c.switch_args, "gateway=10.1.0.1/24,uplink_address=192.0.2.2/24,"
					   "uplink_gateway=192.0.2.1,proxy_arp=1");
	assert_string_equal(c.host_address, "10.1.0.254/24");
	assert_string_equal(c.uplink_address, "192.0.2.2/24");
	assert_int_equal(
		parse("r0 --mode route --address 10.1.0.1/24 --host-port h1 --host-address "
		      "10.1.0.9 --uplink u1 --uplink-address 192.0.2.2/24",
		      &c, err),
		0);
	assert_string_equal(c.host_address, "10.1.0.9/24");
}

static void
nat_kernel_is_a_bridge_with_dhcp_range(void **state)
{
	struct nb_netcfg c;
	char err[256];

	(void)state;
	assert_int_equal(
		parse("n0 --mode nat --subnet 192.168.50.7/24 --nat kernel --uplink eth9", &c, err),
		0);
	assert_int_equal(c.nat, NB_NETCFG_NAT_KERNEL);
	assert_string_equal(c.switch_mode, "bridge");
	assert_string_equal(c.subnet, "192.168.50.0/24");
	assert_string_equal(c.gateway, "192.168.50.1");
	assert_string_equal(c.host_address, "192.168.50.1/24");
	assert_string_equal(c.dhcp_first, "192.168.50.2");
	assert_string_equal(c.dhcp_last, "192.168.50.254");
	assert_string_equal(c.dhcp_mask, "255.255.255.0");
	assert_string_equal(c.host_port, "nb-n0");
}

static void
nat_fastpath_is_the_nat_switch_mode(void **state)
{
	struct nb_netcfg c;
	char err[256];

	(void)state;
	assert_int_equal(parse("n1 --mode nat --subnet 10.9.0.0/16 --nat fastpath --uplink u "
			       "--uplink-address 198.51.100.2/24 --uplink-gateway 198.51.100.1",
			       &c, err),
			 0);
	assert_int_equal(c.nat, NB_NETCFG_NAT_FASTPATH);
	assert_string_equal(c.switch_mode, "nat");
	assert_string_equal(c.switch_args, "subnet=10.9.0.0/16,uplink_address=198.51.100.2/24,"
					   "uplink_gateway=198.51.100.1");
	assert_string_equal(c.dhcp_last, "10.9.255.254");
}

static void
misuse_gets_one_clear_message(void **state)
{
	static const struct {
		const char *line;
		const char *msg;
	} cases[] = {
		{ "x", "--mode is required (bridge, route, nat, hostonly, isolated)" },
		{ "x --mode mesh", "--mode: expected bridge, route, nat, hostonly or isolated, got "
				   "'mesh'" },
		{ "x --mode isolated --host-port h",
		  "--host-port does not apply to --mode isolated" },
		{ "x --mode hostonly --host-port h --address 10.0.0.1/24 --uplink u",
		  "--uplink does not apply to --mode hostonly" },
		{ "x --mode hostonly", "--mode hostonly needs --host-port and --address" },
		{ "x --mode bridge --address 10.0.0.1/24", "--address needs --host-port" },
		{ "x --mode bridge --host-port h --address 10.0.0.1", "--address: expected "
								      "ADDRESS/PREFIX, got "
								      "'10.0.0.1'" },
		{ "x --mode route --address 10.0.0.1/24",
		  "--mode route needs --address GW/PREFIX, --uplink IF and --uplink-address CIDR" },
		{ "x --mode nat --subnet 10.0.0.0/24 --uplink u --nat magic",
		  "--nat: expected kernel or fastpath, got 'magic'" },
		{ "x --mode nat --subnet 10.0.0.0/31 --uplink u",
		  "--mode nat needs --subnet A.B.C.D/N with N between 8 and 30" },
		{ "x --mode nat --subnet 10.0.0.0/24 --nat fastpath --uplink u",
		  "--nat fastpath needs --uplink-address CIDR" },
		{ "x --mode nat --subnet 10.0.0.0/24 --nat kernel --uplink u --uplink-address "
		  "1.2.3.4/24",
		  "--nat kernel: the dom0 kernel owns the uplink and its address; "
		  "--uplink-address/--uplink-gateway are for --nat fastpath" },
		{ "x --mode bridge --mode bridge", "--mode given twice" },
		{ "x --mode bridge --bogus 1", "unexpected argument '--bogus'" },
		{ "x --mode bridge --mtu 40", "--mtu: expected 68..65517, got '40'" },
		{ "x --mode bridge --host-port a/b", "--host-port: expected an interface name, got "
						     "'a/b'" },
		{ "--mode bridge", "expected a network name first" },
		{ "x --mode bridge --uplink-type af_xdp", "--uplink-type needs --uplink" },
		{ "x --mode bridge --uplink u --uplink-type dpdk",
		  "--uplink-type: expected af_packet or af_xdp, got 'dpdk'" },
		{ "x --mode nat --subnet 10.0.0.0/24 --uplink u --uplink-type af_xdp",
		  "--uplink-type does not apply to --nat kernel" },
		{ "x --mode bridge --uplink-guard", "--uplink-guard needs --uplink" },
		{ "x --mode nat --subnet 10.0.0.0/24 --uplink u --uplink-guard",
		  "--uplink-guard does not apply to --nat kernel" },
	};
	struct nb_netcfg c;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].line, &c, err), -EINVAL);
		assert_string_equal(err, cases[i].msg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bridge_with_host_port_and_uplink),
		cmocka_unit_test(route_builds_mode_arguments_and_host_address),
		cmocka_unit_test(nat_kernel_is_a_bridge_with_dhcp_range),
		cmocka_unit_test(nat_fastpath_is_the_nat_switch_mode),
		cmocka_unit_test(misuse_gets_one_clear_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
