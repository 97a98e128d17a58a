/* SPDX-License-Identifier: MIT */
/*
 * netcfg.c - parsing and checking of net-create's options (see netcfg.h).
 */
#include "tools/ctl/netcfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
fail(char *err, unsigned int size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An IPv4 or IPv6 CIDR with a prefix in range; for IPv4 also the address and prefix. */
static bool
cidr_ok(const char *s, uint32_t *a4, unsigned int *pfx4)
{
	char buf[64], *slash, *end;
	unsigned char a[16];
	unsigned long p;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return false;
	*slash = '\0';
	p = strtoul(slash + 1, &end, 10);
	if (end == slash + 1 || *end)
		return false;
	if (inet_pton(AF_INET, buf, a) == 1) {
		if (p > 32)
			return false;
		if (a4) {
			memcpy(a4, a, 4);
			*a4 = ntohl(*a4);
			*pfx4 = (unsigned int)p;
		}
		return true;
	}
	return inet_pton(AF_INET6, buf, a) == 1 && p <= 128 && !a4;
}

static bool
addr_ok(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

static bool
ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NB_NETCFG_IFNAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] <= ' ' || s[i] == ',' || s[i] == '=')
			return false;
	return true;
}

static void
fmt4(uint32_t a, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static int
append(char *args, const char *key, const char *val)
{
	size_t n = strlen(args);
	int w = snprintf(args + n, NB_NETCFG_ARGS_MAX - n, "%s%s=%s", n ? "," : "", key, val);

	return w < 0 || (size_t)w >= NB_NETCFG_ARGS_MAX - n ? -E2BIG : 0;
}

struct opt {
	const char *name;
	bool flag;
	const char *val;
	bool seen;
};

int
nb_netcfg_parse(int argc, char **argv, struct nb_netcfg *cfg, char *err, unsigned int size)
{
	struct opt opts[] = {
		{ .name = "--mode" },
		{ .name = "--host-port" },
		{ .name = "--address" },
		{ .name = "--host-address" },
		{ .name = "--uplink" },
		{ .name = "--uplink-address" },
		{ .name = "--uplink-gateway" },
		{ .name = "--proxy-arp", .flag = true },
		{ .name = "--follow-kernel", .flag = true },
		{ .name = "--subnet" },
		{ .name = "--nat" },
		{ .name = "--mtu" },
		{ .name = "--aging" },
		{ .name = "--max-macs" },
		{ .name = "--json", .flag = true },
		{ .name = "--uplink-type" },
		{ .name = "--workers" },
		{ .name = "--uplink-guard", .flag = true },
	};
	enum {
		MODE,
		HOST,
		ADDR,
		HOSTADDR,
		UPLINK,
		UPADDR,
		UPGW,
		PROXY,
		FOLLOW,
		SUBNET,
		NAT,
		MTU,
		AGING,
		MAXMACS,
		JSON,
		UPTYPE,
		WORKERS,
		UPGUARD
	};
	const size_t n_opts = sizeof(opts) / sizeof(opts[0]);
	const char *mode;
	int i;

	memset(cfg, 0, sizeof(*cfg));
	if (argc < 1 || argv[0][0] == '-' || strlen(argv[0]) >= sizeof(cfg->name))
		return fail(err, size, "expected a network name first");
	strcpy(cfg->name, argv[0]);
	for (i = 1; i < argc; i++) {
		size_t k;

		for (k = 0; k < n_opts && strcmp(argv[i], opts[k].name); k++)
			;
		if (k == n_opts)
			return fail(err, size, "unexpected argument '%s'", argv[i]);
		if (opts[k].seen)
			return fail(err, size, "%s given twice", argv[i]);
		opts[k].seen = true;
		if (opts[k].flag)
			continue;
		if (i + 1 >= argc)
			return fail(err, size, "%s needs a value", argv[i]);
		opts[k].val = argv[++i];
	}
	mode = opts[MODE].val;
	if (!mode)
		return fail(err, size,
			    "--mode is required (bridge, route, nat, hostonly, isolated)");
	if (strcmp(mode, "bridge") && strcmp(mode, "route") && strcmp(mode, "nat") &&
	    strcmp(mode, "hostonly") && strcmp(mode, "isolated"))
		return fail(err, size,
			    "--mode: expected bridge, route, nat, hostonly or isolated, "
			    "got '%s'",
			    mode);
	snprintf(cfg->mode, sizeof(cfg->mode), "%s", mode);
	snprintf(cfg->switch_mode, sizeof(cfg->switch_mode), "%s", mode);

	/* Options every mode does not take. */
	{
		static const struct {
			const char *mode;
			int allowed[10];
		} per_mode[] = {
			{ "bridge", { HOST, ADDR, UPLINK, -1 } },
			{ "hostonly", { HOST, ADDR, -1 } },
			{ "isolated", { -1 } },
			{ "route",
			  { HOST, ADDR, HOSTADDR, UPLINK, UPADDR, UPGW, PROXY, FOLLOW, -1 } },
			{ "nat", { HOST, SUBNET, NAT, UPLINK, UPADDR, UPGW, -1 } },
		};
		for (size_t m = 0; m < sizeof(per_mode) / sizeof(per_mode[0]); m++) {
			if (strcmp(per_mode[m].mode, mode))
				continue;
			for (int o = HOST; o <= NAT; o++) {
				bool ok = false;

				for (int j = 0; per_mode[m].allowed[j] >= 0; j++)
					ok = ok || per_mode[m].allowed[j] == o;
				if (opts[o].seen && !ok)
					return fail(err, size, "%s does not apply to --mode %s",
						    opts[o].name, mode);
			}
		}
	}
	if (opts[HOST].val) {
		if (!ifname_ok(opts[HOST].val))
			return fail(err, size, "--host-port: expected an interface name, got '%s'",
				    opts[HOST].val);
		strcpy(cfg->host_port, opts[HOST].val);
	}
	if (opts[UPLINK].val) {
		if (!ifname_ok(opts[UPLINK].val))
			return fail(err, size, "--uplink: expected an interface name, got '%s'",
				    opts[UPLINK].val);
		strcpy(cfg->uplink, opts[UPLINK].val);
	}
	/* How the switch opens the uplink; the kernel NAT's uplink is the kernel's. */
	snprintf(cfg->uplink_type, sizeof(cfg->uplink_type), "af_packet");
	if (opts[UPTYPE].val) {
		if (!cfg->uplink[0])
			return fail(err, size, "--uplink-type needs --uplink");
		if (strcmp(opts[UPTYPE].val, "af_packet") && strcmp(opts[UPTYPE].val, "af_xdp"))
			return fail(err, size,
				    "--uplink-type: expected af_packet or af_xdp, got '%s'",
				    opts[UPTYPE].val);
		if (!strcmp(mode, "nat") && (!opts[NAT].val || !strcmp(opts[NAT].val, "kernel")))
			return fail(err, size, "--uplink-type does not apply to --nat kernel");
		snprintf(cfg->uplink_type, sizeof(cfg->uplink_type), "%s", opts[UPTYPE].val);
	}
	/* The uplink guard is an XDP program on an uplink the switch owns. */
	if (opts[UPGUARD].seen) {
		if (!cfg->uplink[0])
			return fail(err, size, "--uplink-guard needs --uplink");
		if (!strcmp(mode, "nat") && (!opts[NAT].val || !strcmp(opts[NAT].val, "kernel")))
			return fail(err, size, "--uplink-guard does not apply to --nat kernel");
		cfg->uplink_guard = true;
	}
	if (opts[ADDR].val && !cidr_ok(opts[ADDR].val, NULL, NULL))
		return fail(err, size, "--address: expected ADDRESS/PREFIX, got '%s'",
			    opts[ADDR].val);
	if (opts[UPADDR].val && !cidr_ok(opts[UPADDR].val, NULL, NULL))
		return fail(err, size, "--uplink-address: expected ADDRESS/PREFIX, got '%s'",
			    opts[UPADDR].val);
	if (opts[UPGW].val && !addr_ok(opts[UPGW].val))
		return fail(err, size, "--uplink-gateway: expected an address, got '%s'",
			    opts[UPGW].val);
	if (opts[MTU].val) {
		char *end;
		unsigned long v = strtoul(opts[MTU].val, &end, 10);

		if (*end || v < 68 || v > 65517)
			return fail(err, size, "--mtu: expected 68..65517, got '%s'",
				    opts[MTU].val);
		cfg->mtu = (unsigned int)v;
	}
	cfg->workers = 1;
	if (opts[WORKERS].val) {
		char *end;
		unsigned long v = strtoul(opts[WORKERS].val, &end, 10);

		if (*end || v < 1 || v > NB_NETCFG_WORKERS_MAX)
			return fail(err, size, "--workers: expected 1..%u, got '%s'",
				    NB_NETCFG_WORKERS_MAX, opts[WORKERS].val);
		cfg->workers = (unsigned int)v;
	}
	if (opts[AGING].val && append(cfg->switch_args, "aging", opts[AGING].val))
		return -E2BIG;
	if (opts[MAXMACS].val && append(cfg->switch_args, "max_macs", opts[MAXMACS].val))
		return -E2BIG;
	if (opts[UPADDR].val)
		snprintf(cfg->uplink_address, sizeof(cfg->uplink_address), "%s", opts[UPADDR].val);

	if (!strcmp(mode, "bridge") || !strcmp(mode, "hostonly")) {
		if (opts[ADDR].val && !cfg->host_port[0])
			return fail(err, size, "--address needs --host-port");
		if (!strcmp(mode, "hostonly") && (!cfg->host_port[0] || !opts[ADDR].val))
			return fail(err, size, "--mode hostonly needs --host-port and --address");
		if (opts[ADDR].val)
			snprintf(cfg->host_address, sizeof(cfg->host_address), "%s",
				 opts[ADDR].val);
		return 0;
	}
	if (!strcmp(mode, "isolated"))
		return 0;
	if (!strcmp(mode, "route")) {
		uint32_t a, net, mask;
		unsigned int p;
		char buf[16];

		if (!opts[ADDR].val || !opts[UPLINK].val || !opts[UPADDR].val)
			return fail(err, size,
				    "--mode route needs --address GW/PREFIX, --uplink IF and "
				    "--uplink-address CIDR");
		if (append(cfg->switch_args, "gateway", opts[ADDR].val) ||
		    append(cfg->switch_args, "uplink_address", opts[UPADDR].val) ||
		    (opts[UPGW].val &&
		     append(cfg->switch_args, "uplink_gateway", opts[UPGW].val)) ||
		    (opts[PROXY].seen && append(cfg->switch_args, "proxy_arp", "1")) ||
		    (opts[FOLLOW].seen && append(cfg->switch_args, "follow_kernel", "1")))
			return -E2BIG;
		if (opts[HOSTADDR].val && !cfg->host_port[0])
			return fail(err, size, "--host-address needs --host-port");
		if (cfg->host_port[0]) {
			/* dom0's address on the routed segment: given, or the subnet's last. */
			if (!cidr_ok(opts[ADDR].val, &a, &p) || p > 30 || p < 8)
				return fail(err, size,
					    "--host-port in route mode needs an IPv4 --address "
					    "with a prefix of at most 30");
			if (opts[HOSTADDR].val) {
				unsigned char tmp[4];

				if (inet_pton(AF_INET, opts[HOSTADDR].val, tmp) != 1)
					return fail(err, size,
						    "--host-address: expected an IPv4 address, got "
						    "'%s'",
						    opts[HOSTADDR].val);
				snprintf(cfg->host_address, sizeof(cfg->host_address), "%s/%u",
					 opts[HOSTADDR].val, p);
			} else {
				mask = ~0u << (32 - p);
				net = a & mask;
				fmt4((net | ~mask) - 1, buf, sizeof(buf)); /* the last usable */
				snprintf(cfg->host_address, sizeof(cfg->host_address), "%s/%u", buf,
					 p);
			}
		}
		return 0;
	}
	/* nat */
	{
		uint32_t a, net, mask, bcast;
		unsigned int p;

		if (!opts[SUBNET].val || !cidr_ok(opts[SUBNET].val, &a, &p) || p > 30 || p < 8)
			return fail(err, size,
				    "--mode nat needs --subnet A.B.C.D/N with N between 8 and 30");
		if (!opts[NAT].val || !strcmp(opts[NAT].val, "kernel"))
			cfg->nat = NB_NETCFG_NAT_KERNEL;
		else if (!strcmp(opts[NAT].val, "fastpath"))
			cfg->nat = NB_NETCFG_NAT_FASTPATH;
		else
			return fail(err, size, "--nat: expected kernel or fastpath, got '%s'",
				    opts[NAT].val);
		if (!cfg->uplink[0])
			return fail(err, size, "--mode nat needs --uplink IF");
		if (cfg->nat == NB_NETCFG_NAT_KERNEL && (opts[UPADDR].val || opts[UPGW].val))
			return fail(
				err, size,
				"--nat kernel: the dom0 kernel owns the uplink and its address; "
				"--uplink-address/--uplink-gateway are for --nat fastpath");
		if (cfg->nat == NB_NETCFG_NAT_FASTPATH && !opts[UPADDR].val)
			return fail(err, size, "--nat fastpath needs --uplink-address CIDR");
		mask = ~0u << (32 - p);
		net = a & mask;
		bcast = net | ~mask;
		snprintf(cfg->subnet, sizeof(cfg->subnet), "%u.%u.%u.%u/%u", net >> 24,
			 (net >> 16) & 255, (net >> 8) & 255, net & 255, p);
		fmt4(net + 1, cfg->gateway, sizeof(cfg->gateway));
		fmt4(net + 2, cfg->dhcp_first, sizeof(cfg->dhcp_first));
		fmt4(bcast - 1, cfg->dhcp_last, sizeof(cfg->dhcp_last));
		fmt4(mask, cfg->dhcp_mask, sizeof(cfg->dhcp_mask));
		snprintf(cfg->host_address, sizeof(cfg->host_address), "%s/%u", cfg->gateway, p);
		if (!cfg->host_port[0]) {
			int w = snprintf(cfg->host_port, sizeof(cfg->host_port), "nb-%s",
					 cfg->name);

			if (w < 0 || (size_t)w >= sizeof(cfg->host_port))
				return fail(err, size,
					    "network name too long for a default host port; give "
					    "--host-port");
		}
		if (cfg->nat == NB_NETCFG_NAT_KERNEL) {
			snprintf(cfg->switch_mode, sizeof(cfg->switch_mode), "bridge");
			return 0;
		}
		if (append(cfg->switch_args, "subnet", cfg->subnet) ||
		    append(cfg->switch_args, "uplink_address", opts[UPADDR].val) ||
		    (opts[UPGW].val && append(cfg->switch_args, "uplink_gateway", opts[UPGW].val)))
			return -E2BIG;
		return 0;
	}
}
