/* SPDX-License-Identifier: MIT */
/*
 * nbctl - the operator's command line. Two roles:
 *  - netbackd's client: networks, ports, FDB and counters, over the control socket
 *    (tools/ctl/ctl.h);
 *  - the toolstack, as xl/libxl are on Xen: domains of the simulated hypervisor (create from an
 *    xl config file, list, destroy) and their vif devices (network-attach/-detach/-list), written
 *    into XenStore the way libxl writes them (both directories in one transaction).
 */
#include "netback/hv/sim-client.h"
#include "tools/ctl/ctl.h"
#include "tools/xl/vifspec.h"
#include "tools/xl/xlcfg.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xen/io/xenbus.h>
#include <xenstore.h>

#define NBCTL_DEFAULT_RUNDIR	"/run/netback"
#define NBCTL_DETACH_TIMEOUT_MS 10000 /* libxl's LIBXL_DESTROY_TIMEOUT */

static const char *rundir;

static void
usage(FILE *f)
{
	static const char *const lines[] = {
		"usage: nbctl [--rundir DIR] COMMAND [ARGS] [--json]",
		"networks (netbackd):",
		"  net-create NAME --mode bridge [--host-port IF --address CIDR] [--uplink IF]",
		"  net-create NAME --mode route --address GW/PREFIX [--host-port IF]",
		"             --uplink IF --uplink-address CIDR [--uplink-gateway IP] "
		"[--proxy-arp]",
		"  net-create NAME --mode nat --subnet CIDR [--host-port IF] --nat kernel --uplink "
		"IF",
		"  net-create NAME --mode nat --subnet CIDR [--host-port IF] --nat fastpath "
		"--uplink IF",
		"             --uplink-address CIDR [--uplink-gateway IP]",
		"  net-create NAME --mode hostonly --host-port IF --address CIDR",
		"  net-create NAME --mode isolated",
		"             (every mode: [--mtu N] [--aging SECONDS] [--max-macs N])",
		"             [--workers N]",
		"             (with --uplink: [--uplink-type af_packet|af_xdp] [--uplink-guard])",
		"  net-destroy NAME | net-list | fdb-show NET | stats [PORT] | vif-list",
		"  port-attach NET PORT [--ip ADDRS] [--role vif|host|uplink] | port-detach PORT",
		"  port-add NET NAME TYPE:ARGS [--ip ADDRS] [--role R] | port-del NAME",
		"             (TYPE dpdk with --engine dpdk: dpdk:DEVARGS, e.g. "
		"dpdk:net_vhost0,iface=SOCK)",
		"  pmd-stats   (each worker's loop: packets, busy/idle cycles)",
		"  route-add NET PREFIX via NEXTHOP | route-del NET PREFIX | route-show NET",
		"  neigh-show NET | nat-show NET | nat-check NET",
		"  capture PORT -w FILE [-c N] [--seconds S]",
		"domains and vifs (toolstack):",
		"  create CONFIGFILE | list | destroy DOMAIN | pause DOMAIN | unpause DOMAIN",
		"  network-attach DOMAIN VIFSPEC | network-detach DOMAIN DEVID|MAC",
		"  network-list DOMAIN",
		"DIR: --rundir, else $NETBACK_RUNDIR, else " NBCTL_DEFAULT_RUNDIR ".",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		fprintf(f, "%s\n", lines[i]);
}

/* ---- netbackd client ------------------------------------------------------------------------ */

/* Commands of a network's mode: "route-add NET ARGS" goes to netbackd as
 * "mode-ctl NET route-add ARGS", run by the mode on the network's worker. */
static const char *const mode_cmds[] = { "route-add",  "route-del", "route-show",
					 "neigh-show", "nat-show",  NULL };

static int
cmd_daemon(int argc, char **argv)
{
	char *body, *msg, *margv[NB_CTL_ARGS_MAX];
	int err;

	for (const char *const *m = mode_cmds; *m; m++) {
		if (strcmp(argv[0], *m) || argc < 2 || argc + 1 > NB_CTL_ARGS_MAX)
			continue;
		margv[0] = "mode-ctl";
		margv[1] = argv[1];
		margv[2] = argv[0];
		for (int i = 2; i < argc; i++)
			margv[i + 1] = argv[i];
		argv = margv;
		argc++;
		break;
	}
	err = nb_ctl_request(rundir, argc, argv, &body, &msg);

	if (err) {
		if (msg)
			fprintf(stderr, "nbctl: %s: %s\n", argv[0], msg);
		else if (err == -ENOENT || err == -ECONNREFUSED)
			fprintf(stderr, "nbctl: netbackd is not running on %s\n", rundir);
		else
			fprintf(stderr, "nbctl: %s: %s\n", argv[0], strerror(-err));
		free(msg);
		return 1;
	}
	fputs(body, stdout);
	free(body);
	return 0;
}

/* ---- XenStore as dom0 ---------------------------------------------------------------------- */

static struct xs_handle *
xs_dom0(void)
{
	static char env[PATH_MAX + 32];
	struct xs_handle *xs;

	if (access("/dev/xen/xenbus", F_OK) != 0 || getenv("NETBACK_RUNDIR") ||
	    strcmp(rundir, NBCTL_DEFAULT_RUNDIR)) {
		snprintf(env, sizeof(env), "%s/xenstored/socket", rundir);
		setenv("XENSTORED_PATH", env, 1);
	}
	xs = xs_open(0);
	if (!xs)
		fprintf(stderr, "nbctl: cannot reach XenStore under %s: %s\n", rundir,
			strerror(errno));
	return xs;
}

static char *xs_readf(struct xs_handle *xs, xs_transaction_t t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static char *
xs_readf(struct xs_handle *xs, xs_transaction_t t, const char *fmt, ...)
{
	char path[512];
	unsigned int len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return xs_read(xs, t, path, &len);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Finds a domain by name or id among nb-simhv's domains. */
static int
find_domain(const char *arg, struct nb_sim_domain_info *out)
{
	static struct nb_sim_domain_info infos[NB_SIM_MAX_DOMAINS];
	char *end;
	unsigned long id = strtoul(arg, &end, 10);
	int n = nb_sim_domain_list(rundir, infos, NB_SIM_MAX_DOMAINS);

	if (n < 0) {
		fprintf(stderr, "nbctl: no simulated hypervisor on %s: %s\n", rundir, strerror(-n));
		return n;
	}
	for (int i = 0; i < n; i++) {
		if ((!*end && end != arg && infos[i].domid == id) || !strcmp(infos[i].name, arg)) {
			*out = infos[i];
			return 0;
		}
	}
	fprintf(stderr, "nbctl: no domain '%s'\n", arg);
	return -ENOENT;
}

/* Lowest devid not used under the domain's device/vif. */
static int
free_devid(struct xs_handle *xs, unsigned int domid)
{
	char path[128], **ents;
	unsigned int n = 0;
	bool used[1024] = { false };

	snprintf(path, sizeof(path), "/local/domain/%u/device/vif", domid);
	ents = xs_directory(xs, XBT_NULL, path, &n);
	for (unsigned int i = 0; ents && i < n; i++) {
		unsigned long d = strtoul(ents[i], NULL, 10);

		if (d < 1024)
			used[d] = true;
	}
	free(ents);
	for (int d = 0; d < 1024; d++)
		if (!used[d])
			return d;
	return -ENOSPC;
}

static const char *
script_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("NETBACK_SCRIPT_DIR");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return env;
#ifdef NB_SCRIPT_DIR
	return NB_SCRIPT_DIR;
#endif
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NB_VIFSPEC_SCRIPT_DIR;
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(dir, sizeof(dir), "%.*s/../../scripts", (int)(sizeof(dir) - 20), self);
	return dir;
}

/* Writes one vif device as libxl__device_generic_add() does: both directories, their
 * permissions and keys, in one transaction (retried on conflict). */
static int
vif_add(struct xs_handle *xs, unsigned int domid, struct nb_vifspec *spec, const char *where)
{
	struct nb_vifspec_xs out;
	struct xs_permissions be_perms[2] = { { .id = 0, .perms = XS_PERM_NONE },
					      { .id = domid, .perms = XS_PERM_READ } };
	struct xs_permissions fe_perms[2] = { { .id = domid, .perms = XS_PERM_NONE },
					      { .id = 0, .perms = XS_PERM_READ } };
	struct xs_permissions ro_perms[2] = { { .id = 0, .perms = XS_PERM_NONE },
					      { .id = domid, .perms = XS_PERM_READ } };
	uint8_t rnd[3];
	int err, tries;

	if (spec->devid < 0) {
		spec->devid = free_devid(xs, domid);
		if (spec->devid < 0)
			return spec->devid;
	}
	if (!spec->has_mac) {
		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			return -EIO;
		nb_vifspec_default_mac(spec, rnd);
	}
	for (unsigned int i = 0; i < spec->n_notices; i++)
		fprintf(stderr, "nbctl: %s: %s ignored: %s\n", where, spec->notices[i].key,
			spec->notices[i].why);
	err = nb_vifspec_render_xs(spec, domid, 0, script_dir(), &out);
	if (err) {
		fprintf(stderr, "nbctl: %s: cannot describe the vif: %s\n", where, strerror(-err));
		return err;
	}
	for (tries = 0; tries < 10; tries++) {
		xs_transaction_t t = xs_transaction_start(xs);
		bool ok = t != XBT_NULL;
		char path[256];

		ok = ok && xs_mkdir(xs, t, out.backend_path) &&
		     xs_set_permissions(xs, t, out.backend_path, be_perms, 2) &&
		     xs_mkdir(xs, t, out.frontend_path) &&
		     xs_set_permissions(xs, t, out.frontend_path, fe_perms, 2);
		for (unsigned int i = 0; ok && i < out.n; i++) {
			const struct nb_vifspec_xs_kv *kv = &out.kv[i];

			snprintf(path, sizeof(path), "%s/%s",
				 kv->dir == NB_VIFSPEC_XS_BACKEND ? out.backend_path
								  : out.frontend_path,
				 kv->key);
			ok = xs_write(xs, t, path, kv->value, (unsigned int)strlen(kv->value));
			if (ok && kv->dir == NB_VIFSPEC_XS_FRONTEND_RO)
				ok = xs_set_permissions(xs, t, path, ro_perms, 2);
		}
		if (!ok) {
			err = -errno;
			if (t != XBT_NULL)
				xs_transaction_end(xs, t, true);
			fprintf(stderr, "nbctl: %s: writing XenStore: %s\n", where, strerror(-err));
			return err;
		}
		if (xs_transaction_end(xs, t, false))
			return 0;
		if (errno != EAGAIN)
			break;
	}
	fprintf(stderr, "nbctl: %s: XenStore transaction failed: %s\n", where, strerror(errno));
	return -EIO;
}

/* libxl__initiate_device_generic_remove(): online=0 and state=Closing in one transaction,
 * wait for the backend to reach Closed, then remove both directories. */
static int
vif_remove(struct xs_handle *xs, unsigned int domid, unsigned int devid)
{
	char be[128], fe[128], path[160];
	uint64_t deadline;
	bool closed = false;
	int tries;

	snprintf(be, sizeof(be), "/local/domain/0/backend/vif/%u/%u", domid, devid);
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/vif/%u", domid, devid);
	for (tries = 0; tries < 10; tries++) {
		xs_transaction_t t = xs_transaction_start(xs);
		unsigned int len;
		char *st;

		if (t == XBT_NULL)
			break;
		snprintf(path, sizeof(path), "%s/state", be);
		st = xs_read(xs, t, path, &len);
		if (!st) {
			xs_transaction_end(xs, t, true);
			break;
		}
		snprintf(path, sizeof(path), "%s/online", be);
		xs_write(xs, t, path, "0", 1);
		if (atoi(st) != XenbusStateClosed) {
			snprintf(path, sizeof(path), "%s/state", be);
			xs_write(xs, t, path, "5", 1);
		}
		free(st);
		if (xs_transaction_end(xs, t, false) || errno != EAGAIN)
			break;
	}
	deadline = now_ms() + NBCTL_DETACH_TIMEOUT_MS;
	while (now_ms() < deadline) {
		char *st = xs_readf(xs, XBT_NULL, "%s/state", be);

		closed = !st || atoi(st) == XenbusStateClosed;
		free(st);
		if (closed)
			break;
		usleep(20000);
	}
	if (!closed)
		fprintf(stderr, "nbctl: backend %s did not close in %d s; removing it anyway\n", be,
			NBCTL_DETACH_TIMEOUT_MS / 1000);
	xs_rm(xs, XBT_NULL, be);
	xs_rm(xs, XBT_NULL, fe);
	return 0;
}

static int
cmd_network_attach(int argc, char **argv)
{
	struct nb_sim_domain_info dom;
	struct nb_vifspec spec;
	struct nb_vifspec_err err;
	struct xs_handle *xs;
	int rc;

	if (argc != 3) {
		usage(stderr);
		return 2;
	}
	if (nb_vifspec_parse(argv[2], &spec, &err)) {
		fprintf(stderr, "nbctl: vif spec:%u: %s\n", err.col, err.msg);
		return 1;
	}
	if (find_domain(argv[1], &dom))
		return 1;
	xs = xs_dom0();
	if (!xs)
		return 1;
	rc = vif_add(xs, dom.domid, &spec, "network-attach");
	xs_close(xs);
	if (rc)
		return 1;
	printf("vif %u attached to %s\n", (unsigned int)spec.devid, dom.name);
	return 0;
}

static int
cmd_network_detach(int argc, char **argv)
{
	struct nb_sim_domain_info dom;
	struct xs_handle *xs;
	int devid = -1;
	char *end;

	if (argc != 3) {
		usage(stderr);
		return 2;
	}
	if (find_domain(argv[1], &dom))
		return 1;
	xs = xs_dom0();
	if (!xs)
		return 1;
	if (strchr(argv[2], ':')) {
		char path[96], **ents;
		unsigned int n = 0;

		snprintf(path, sizeof(path), "/local/domain/%u/device/vif", dom.domid);
		ents = xs_directory(xs, XBT_NULL, path, &n);
		for (unsigned int i = 0; ents && i < n && devid < 0; i++) {
			char *mac = xs_readf(xs, XBT_NULL, "%s/%s/mac", path, ents[i]);

			if (mac && !strcasecmp(mac, argv[2]))
				devid = atoi(ents[i]);
			free(mac);
		}
		free(ents);
	} else {
		unsigned long v = strtoul(argv[2], &end, 10);

		if (!*end && end != argv[2] && v < 65536)
			devid = (int)v;
	}
	if (devid < 0) {
		fprintf(stderr, "nbctl: network-detach: no vif '%s' on %s\n", argv[2], dom.name);
		xs_close(xs);
		return 1;
	}
	{
		char *fe = xs_readf(xs, XBT_NULL, "/local/domain/%u/device/vif/%d/backend",
				    dom.domid, devid);

		if (!fe) {
			fprintf(stderr, "nbctl: network-detach: no vif %d on %s\n", devid,
				dom.name);
			xs_close(xs);
			return 1;
		}
		free(fe);
	}
	vif_remove(xs, dom.domid, (unsigned int)devid);
	xs_close(xs);
	return 0;
}

static int
cmd_network_list(int argc, char **argv)
{
	struct nb_sim_domain_info dom;
	struct xs_handle *xs;
	bool json = argc == 3 && !strcmp(argv[2], "--json");
	char path[96], **ents;
	unsigned int n = 0;

	if (argc != 2 && !json) {
		usage(stderr);
		return 2;
	}
	if (find_domain(argv[1], &dom))
		return 1;
	xs = xs_dom0();
	if (!xs)
		return 1;
	snprintf(path, sizeof(path), "/local/domain/%u/device/vif", dom.domid);
	ents = xs_directory(xs, XBT_NULL, path, &n);
	if (json)
		printf("[");
	else
		printf("Idx BE Mac Addr.         handle state evt-ch   tx-/rx-ring-ref BE-path\n");
	for (unsigned int i = 0; ents && i < n; i++) {
		static const char *const keys[] = { "backend-id",  "mac",	    "handle",
						    "state",	   "event-channel", "tx-ring-ref",
						    "rx-ring-ref", "backend" };
		char *v[8];

		for (int k = 0; k < 8; k++)
			v[k] = xs_readf(xs, XBT_NULL, "%s/%s/%s", path, ents[i], keys[k]);
		if (json) {
			char *hs = v[7] ? xs_readf(xs, XBT_NULL, "%s/hotplug-status", v[7]) : NULL;
			char *he = v[7] ? xs_readf(xs, XBT_NULL, "%s/hotplug-error", v[7]) : NULL;
			char *bs = v[7] ? xs_readf(xs, XBT_NULL, "%s/state", v[7]) : NULL;

			printf("%s{\"idx\":%s,\"backend_id\":%s,\"mac\":\"%s\",\"handle\":%s,"
			       "\"state\":%s,\"backend_state\":%s,\"evtchn\":%s,\"tx_ring_ref\":%s,"
			       "\"rx_ring_ref\":%s,\"backend\":\"%s\",\"hotplug_status\":\"%s\","
			       "\"hotplug_error\":\"%s\"}",
			       i ? "," : "", ents[i], v[0] ? v[0] : "-1", v[1] ? v[1] : "",
			       v[2] ? v[2] : "-1", v[3] ? v[3] : "-1", bs ? bs : "-1",
			       v[4] ? v[4] : "-1", v[5] ? v[5] : "-1", v[6] ? v[6] : "-1",
			       v[7] ? v[7] : "", hs ? hs : "", he ? he : "");
			free(hs);
			free(he);
			free(bs);
		} else {
			printf("%-3s %-2s %-17s %-6s %-5s %-8s %7s/%-7s %s\n", ents[i],
			       v[0] ? v[0] : "-1", v[1] ? v[1] : "", v[2] ? v[2] : "-1",
			       v[3] ? v[3] : "-1", v[4] ? v[4] : "-1", v[5] ? v[5] : "-1",
			       v[6] ? v[6] : "-1", v[7] ? v[7] : "");
			if (v[7]) {
				char *he = xs_readf(xs, XBT_NULL, "%s/hotplug-error", v[7]);

				if (he && *he)
					printf("    hotplug-error: %s\n", he);
				free(he);
			}
		}
		for (int k = 0; k < 8; k++)
			free(v[k]);
	}
	if (json)
		printf("]\n");
	free(ents);
	xs_close(xs);
	return 0;
}

/* ---- domains --------------------------------------------------------------------------------- */

static int
run_cmd(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static bool
netns_exists(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return access(path, F_OK) == 0;
}

static void
guest_paths(const char *name, char *pidfile, size_t size)
{
	snprintf(pidfile, size, "%s/guests/%s.pid", rundir, name);
}

static pid_t
guest_pid(const char *name)
{
	char path[PATH_MAX];
	long pid = 0;
	FILE *f;

	guest_paths(name, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid > 0 && kill((pid_t)pid, 0) == 0 ? (pid_t)pid : 0;
}

static int
cmd_create(int argc, char **argv)
{
	struct nb_xlcfg *cfg;
	struct nb_xlcfg_err err;
	struct nb_sim_domain_info dom;
	char self[PATH_MAX], guest[PATH_MAX + 16], domid_s[16], where[PATH_MAX + 32];
	struct xs_handle *xs;
	unsigned int domid;
	bool made_netns = false;
	long mem;
	ssize_t n;
	int rc;

	if (argc != 2) {
		usage(stderr);
		return 2;
	}
	rc = nb_xlcfg_load(argv[1], &cfg, &err);
	if (rc) {
		if (err.line)
			fprintf(stderr, "nbctl: %s:%u:%u: %s\n", argv[1], err.line, err.col,
				err.msg);
		else
			fprintf(stderr, "nbctl: %s: %s\n", argv[1], err.msg);
		return 1;
	}
	for (size_t i = 0; i < cfg->n_ignored; i++)
		fprintf(stderr, "nbctl: %s:%u: notice: '%s' %s\n", argv[1], cfg->ignored[i].line,
			cfg->ignored[i].key,
			cfg->ignored[i].known ? "is accepted and ignored by the simulated guest"
					      : "is not an xl key known here; ignored");
	if (!cfg->name) {
		fprintf(stderr, "nbctl: %s: the config sets no name=\n", argv[1]);
		nb_xlcfg_free(cfg);
		return 1;
	}
	if (find_domain(cfg->name, &dom) == 0) {
		fprintf(stderr, "nbctl: domain '%s' exists (domid %u)\n", cfg->name, dom.domid);
		nb_xlcfg_free(cfg);
		return 1;
	}
	mem = cfg->memory_mib > 0 ? cfg->memory_mib : 128;
	rc = nb_sim_domain_create(rundir, cfg->name, (unsigned int)(mem > 1024 ? 1024 : mem),
				  &domid);
	if (rc) {
		fprintf(stderr, "nbctl: creating domain %s: %s\n", cfg->name, strerror(-rc));
		nb_xlcfg_free(cfg);
		return 1;
	}
	if (mem > 1024)
		fprintf(stderr,
			"nbctl: notice: memory capped at 1024 MiB for the simulated guest\n");
	xs = xs_dom0();
	if (!xs)
		goto fail;
	if (!netns_exists(cfg->name)) {
		char *ip_argv[] = { "ip", "netns", "add", (char *)cfg->name, NULL };

		if (run_cmd(ip_argv)) {
			fprintf(stderr, "nbctl: cannot create network namespace %s\n", cfg->name);
			goto fail;
		}
		made_netns = true;
	}
	{
		char path[64];

		snprintf(path, sizeof(path), "/libxl/%u/nb-netns-created", domid);
		xs_write(xs, XBT_NULL, path, made_netns ? "1" : "0", 1);
	}
	for (size_t i = 0; i < cfg->n_vifs; i++) {
		snprintf(where, sizeof(where), "%s:%u", argv[1], cfg->vifs[i].line);
		if (vif_add(xs, domid, &cfg->vifs[i].spec, where))
			goto fail;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		goto fail;
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	if (snprintf(guest, sizeof(guest), "%s/nb-guest", self) >= (int)sizeof(guest))
		goto fail;
	snprintf(domid_s, sizeof(domid_s), "%u", domid);
	{
		char *g_argv[12];
		int k = 0;

		g_argv[k++] = guest;
		g_argv[k++] = "--rundir";
		g_argv[k++] = (char *)rundir;
		g_argv[k++] = "--domid";
		g_argv[k++] = domid_s;
		g_argv[k++] = "--netns";
		g_argv[k++] = (char *)cfg->name;
		if (cfg->extra) {
			g_argv[k++] = "--extra";
			g_argv[k++] = (char *)cfg->extra;
		}
		g_argv[k] = NULL;
		if (run_cmd(g_argv)) {
			fprintf(stderr,
				"nbctl: the guest of %s did not start (see %s/guests/%s.log)\n",
				cfg->name, rundir, cfg->name);
			goto fail;
		}
	}
	printf("Domain %s created (domid %u)\n", cfg->name, domid);
	xs_close(xs);
	nb_xlcfg_free(cfg);
	return 0;
fail:
	if (xs)
		xs_close(xs);
	nb_sim_domain_destroy(rundir, domid);
	if (made_netns) {
		char *ip_argv[] = { "ip", "netns", "del", (char *)cfg->name, NULL };

		run_cmd(ip_argv);
	}
	nb_xlcfg_free(cfg);
	return 1;
}

static int
cmd_destroy(int argc, char **argv)
{
	struct nb_sim_domain_info dom;
	struct xs_handle *xs;
	char path[96], **ents, *made;
	unsigned int n = 0;
	pid_t pid;

	if (argc != 2) {
		usage(stderr);
		return 2;
	}
	if (find_domain(argv[1], &dom))
		return 1;
	xs = xs_dom0();
	if (!xs)
		return 1;
	/* The guest goes first (its netfront closes its vifs), then the devices, then the
	 * domain, as libxl's destroy does. */
	pid = guest_pid(dom.name);
	if (pid > 0) {
		kill(pid, SIGTERM);
		kill(pid, SIGCONT); /* a paused guest takes its SIGTERM once it runs again */
		for (int i = 0; i < 100 && kill(pid, 0) == 0; i++)
			usleep(50000);
		if (kill(pid, 0) == 0)
			kill(pid, SIGKILL);
	}
	snprintf(path, sizeof(path), "/local/domain/%u/device/vif", dom.domid);
	ents = xs_directory(xs, XBT_NULL, path, &n);
	for (unsigned int i = 0; ents && i < n; i++)
		vif_remove(xs, dom.domid, (unsigned int)atoi(ents[i]));
	free(ents);
	made = xs_readf(xs, XBT_NULL, "/libxl/%u/nb-netns-created", dom.domid);
	snprintf(path, sizeof(path), "/libxl/%u", dom.domid);
	xs_rm(xs, XBT_NULL, path);
	xs_close(xs);
	nb_sim_domain_destroy(rundir, dom.domid);
	if (made && !strcmp(made, "1")) {
		char *ip_argv[] = { "ip", "netns", "del", dom.name, NULL };

		run_cmd(ip_argv);
	}
	free(made);
	return 0;
}

/* Whether the guest process 'pid' is stopped (paused): state 'T' in /proc/PID/stat. */
static bool
guest_paused(pid_t pid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	return rp && rp[1] == ' ' && rp[2] == 'T';
}

/*
 * pause / unpause DOMAIN, as xl pause/unpause: the simulated guest's vCPU is its nb-guest
 * process, so it is stopped (SIGSTOP) and continued (SIGCONT). A paused guest services none
 * of its rings; the backend must keep every other port going.
 */
static int
cmd_pause_common(int argc, char **argv, bool pause)
{
	struct nb_sim_domain_info dom;
	pid_t pid;

	if (argc != 2) {
		usage(stderr);
		return 2;
	}
	if (find_domain(argv[1], &dom))
		return 1;
	pid = guest_pid(dom.name);
	if (pid <= 0) {
		fprintf(stderr, "nbctl: domain %s has no running guest\n", dom.name);
		return 1;
	}
	if (kill(pid, pause ? SIGSTOP : SIGCONT) < 0) {
		fprintf(stderr, "nbctl: %s %s: %s\n", pause ? "pause" : "unpause", dom.name,
			strerror(errno));
		return 1;
	}
	return 0;
}

static int
cmd_pause(int argc, char **argv)
{
	return cmd_pause_common(argc, argv, true);
}

static int
cmd_unpause(int argc, char **argv)
{
	return cmd_pause_common(argc, argv, false);
}

static int
cmd_list(int argc, char **argv)
{
	static struct nb_sim_domain_info infos[NB_SIM_MAX_DOMAINS];
	bool json = argc == 2 && !strcmp(argv[1], "--json");
	int n = nb_sim_domain_list(rundir, infos, NB_SIM_MAX_DOMAINS);

	if (n < 0) {
		fprintf(stderr, "nbctl: no simulated hypervisor on %s: %s\n", rundir, strerror(-n));
		return 1;
	}
	if (json)
		printf("[");
	else
		printf("%-24s %5s %8s %s\n", "Name", "ID", "Mem", "State");
	for (int i = 0; i < n; i++) {
		pid_t pid = infos[i].domid == 0 ? 0 : guest_pid(infos[i].name);
		const char *state = infos[i].domid == 0 ? "running"
				    : pid > 0		? (guest_paused(pid) ? "paused" : "running")
							: "no-guest";

		if (json)
			printf("%s{\"name\":\"%s\",\"domid\":%u,\"memory\":%u,\"state\":\"%s\"}",
			       i ? "," : "", infos[i].name, infos[i].domid, infos[i].memory_mib,
			       state);
		else
			printf("%-24s %5u %8u %s\n", infos[i].name, infos[i].domid,
			       infos[i].memory_mib, state);
	}
	if (json)
		printf("]\n");
	return 0;
}

static volatile sig_atomic_t capture_stop;

static void
on_capture_signal(int sig)
{
	(void)sig;
	capture_stop = 1;
}

/* capture PORT -w FILE [-c N] [--seconds S]: netbackd copies the port's frames (both
 * directions) into FILE; we wait for N frames, S seconds or Ctrl-C. */
static int
cmd_capture(int argc, char **argv)
{
	const char *file = NULL, *count = "0";
	char abs[PATH_MAX], dir[PATH_MAX], *id, *msg, *body;
	double seconds = 0;
	uint64_t start = now_ms();
	int err, i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (i + 1 >= argc) {
			usage(stderr);
			return 2;
		}
		if (!strcmp(argv[i], "-w"))
			file = argv[++i];
		else if (!strcmp(argv[i], "-c"))
			count = argv[++i];
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[++i]);
		else {
			usage(stderr);
			return 2;
		}
	}
	if (!file) {
		fprintf(stderr, "nbctl: capture needs -w FILE\n");
		return 2;
	}
	/* netbackd opens the file itself: give it an absolute path. */
	snprintf(dir, sizeof(dir), "%s", file);
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	else
		strcpy(dir, ".");
	if (!realpath(dir, abs) || strlen(abs) + strlen(file) + 2 > sizeof(abs)) {
		fprintf(stderr, "nbctl: capture: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	strcat(abs, "/");
	strcat(abs, strrchr(file, '/') ? strrchr(file, '/') + 1 : file);
	{
		char *a[] = { "capture-start", argv[1], abs, (char *)count };

		err = nb_ctl_request(rundir, 4, a, &id, &msg);
	}
	if (err) {
		fprintf(stderr, "nbctl: capture: %s\n", msg ? msg : strerror(-err));
		free(msg);
		return 1;
	}
	id[strcspn(id, "\n")] = '\0';
	signal(SIGINT, on_capture_signal);
	signal(SIGTERM, on_capture_signal);
	for (;;) {
		unsigned long long written = 0, lost = 0;
		int done = 0;
		bool timeout = seconds > 0 && now_ms() - start >= (uint64_t)(seconds * 1000);
		char *a[] = { capture_stop || timeout ? "capture-stop" : "capture-status", id };

		err = nb_ctl_request(rundir, 2, a, &body, &msg);
		if (err) {
			fprintf(stderr, "nbctl: capture: %s\n", msg ? msg : strerror(-err));
			free(msg);
			free(id);
			return 1;
		}
		sscanf(body, "%llu %llu %d", &written, &lost, &done);
		free(body);
		if (capture_stop || timeout || done) {
			if (done && !capture_stop && !timeout) {
				char *s[] = { "capture-stop", id };

				if (!nb_ctl_request(rundir, 2, s, &body, &msg))
					free(body);
			}
			printf("%llu frames captured into %s (%llu lost)\n", written, abs, lost);
			free(id);
			return 0;
		}
		usleep(100000);
	}
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} local[] = {
		{ "create", cmd_create },
		{ "destroy", cmd_destroy },
		{ "pause", cmd_pause },
		{ "unpause", cmd_unpause },
		{ "list", cmd_list },
		{ "network-attach", cmd_network_attach },
		{ "network-detach", cmd_network_detach },
		{ "network-list", cmd_network_list },
		{ "capture", cmd_capture },
	};
	const char *env = getenv("NETBACK_RUNDIR");
	int i = 1;

	rundir = env && *env ? env : NBCTL_DEFAULT_RUNDIR;
	if (i < argc && !strcmp(argv[i], "--rundir")) {
		if (i + 1 >= argc) {
			usage(stderr);
			return 2;
		}
		rundir = argv[i + 1];
		i += 2;
	} else if (i < argc && !strncmp(argv[i], "--rundir=", 9)) {
		rundir = argv[i] + 9;
		i++;
	}
	if (i >= argc || !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
		usage(i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	for (size_t k = 0; k < sizeof(local) / sizeof(local[0]); k++)
		if (!strcmp(argv[i], local[k].name))
			return local[k].fn(argc - i, argv + i);
	return cmd_daemon(argc - i, argv + i);
}
