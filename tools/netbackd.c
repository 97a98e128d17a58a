/* SPDX-License-Identifier: MIT */
/*
 * netbackd - the netback service: the netif backend (netback/), the switch and its workers
 * (vswitch/), and a control socket for nbctl, driven by one control loop:
 *
 *   XenStore watch -> nb_backend (vif state machines, hotplug scripts)
 *   control socket -> networks, ports, FDB, counters
 *   timer          -> hotplug timeouts, vifs disabled by a worker
 *
 * The data path runs on the switch's worker threads; this thread reaches it only through
 * vsw_net_call().
 */
#include "netback/hv/hv.h"
#include "netback/nb-hotplug.h"
#include "netback/netback.h"
#include "tools/ctl/ctl.h"
#include "tools/ctl/netcfg.h"
#include "vswitch/evloop.h"
#include "vswitch/bridge.h"
#include "vswitch/capture.h"
#include "vswitch/netlink.h"
#include "vswitch/port-tap.h"
#include "vswitch/switch.h"
#include "vswitch/xdpguard.h"

/* Modes and ports that arrive in their own modules; the daemon registers what the build has. */
#include "dpdk/dpdk.h"
#include "dpdk/port-ethdev.h"
#include "nat/nft.h"
#include "vswitch/mode-basic.h"
#include "vswitch/mode-nat.h"
#include "vswitch/port-afpacket.h"
#include "vswitch/port-afxdp.h"
#include "vswitch/mode-route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xen/io/xenbus.h>

#define NBD_DEFAULT_RUNDIR "/run/netback"
#define NBD_HOTPLUG_FDS	   256
#define NBD_FDB_MAX	   8192
#define NBD_DHCP_HOSTS_MAX 256

#ifndef NB_SCRIPT_DIR
#define NB_SCRIPT_DIR "/usr/lib/netback/scripts"
#endif

/* Control-plane record of a network: what the switch does not keep. */
struct nbd_net {
	struct nbd_net *next;
	struct vsw_net *net;
	struct nb_netcfg cfg;	  /* what net-create asked for */
	struct port *host_port;	  /* the network's TAP in dom0, or NULL */
	struct port *uplink_port; /* the uplink when the switch owns it, or NULL */
	char address[64];	  /* host port address (CIDR), "" if none */
	pid_t dnsmasq;		  /* the nat mode's DHCP server, 0 if none */
	char create_line[1024];	  /* net-create's arguments, tab-separated (networks.state) */
	bool nft;		  /* kernel NAT rules installed */
	unsigned int n_hosts;	  /* fixed DHCP leases (vif-nat), in dnsmasq's hosts file */
	struct {
		char vif[16], mac[18], ip[16];
	} hosts[NBD_DHCP_HOSTS_MAX];
};

#define NBD_CAPTURES_MAX 16
#define NBD_ADDED_MAX	 64 /* ports opened by port-add */

/* A running `nbctl capture`. */
struct nbd_capture {
	unsigned int id; /* 0: slot free */
	struct port *port;
	struct vsw_capture *cap;
};

struct nbd {
	const char *rundir;
	bool dpdk;			   /* --engine dpdk */
	struct port *added[NBD_ADDED_MAX]; /* port-add's ports, closed by port-del or at exit */
	struct nbd_capture caps[NBD_CAPTURES_MAX];
	unsigned int next_cap_id;
	struct nb_hv *hv;
	struct vsw_switch *sw;
	struct nb_backend *be;
	struct vsw_loop *loop;
	struct nbd_net *nets;
	int sigfd, timerfd, ctl_fd;
	int hp_fds[NBD_HOTPLUG_FDS];
	unsigned int n_hp;
	char env_xs[PATH_MAX + 32];
	char env_rundir[PATH_MAX + 32];
	char env_path[PATH_MAX + 64];
	char env_bin[2 * PATH_MAX];
	const char *script_env[5];
};

/* ---- backend callbacks --------------------------------------------------------------------- */

/* What netbackd keeps per vif: its switch port and, for a vif whose bridge= names a kernel
 * bridge (Xen's own scripts), the TAP in dom0 named like Linux netback's vif device and the
 * two-port network that joins them. */
struct nbd_vif {
	struct port *port;
	struct port *tap;     /* compatibility TAP, or NULL */
	struct vsw_net *pipe; /* vif <-> TAP, or NULL */
};

static struct nbd_net *nbd_net_find(struct nbd *d, const char *name);

/* Stops the captures of 'port' (NULL: all); a port must not be closed while captured. */
static void
nbd_capture_forget(struct nbd *d, const struct port *port)
{
	for (unsigned int i = 0; i < NBD_CAPTURES_MAX; i++) {
		struct nbd_capture *c = &d->caps[i];

		if (!c->id || (port && c->port != port))
			continue;
		vsw_capture_drain(c->cap);
		vsw_capture_stop(c->cap);
		memset(c, 0, sizeof(*c));
	}
}
static void nbd_dhcp_hosts_forget(struct nbd *d, const char *vif);
static int nbd_net_del_port(struct nbd *d, struct port *port);

static bool
nbd_is_kernel_bridge(const char *name)
{
	char path[128];

	if (!name[0] || strchr(name, '/') || strlen(name) > 15)
		return false;
	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", name);
	return access(path, F_OK) == 0;
}

/* Before the hotplug script runs, Xen's vif-bridge expects a dom0 device named after the
 * vif (vif<domid>.<devid> or vifname=): make it a TAP joined to the vif by a private
 * two-port bridge network, so the unmodified script can enslave it to the kernel bridge. */
static int
nbd_vif_compat(struct nbd *d, struct nb_vif *vif, struct nbd_vif *v)
{
	struct vsw_port_cfg host = { .role = VSW_PORT_HOST };
	char pname[PORT_NAME_SIZE], args[64], netname[VSW_NET_NAME_MAX + 1];
	int err;

	if (snprintf(pname, sizeof(pname), "%s-k", nb_vif_name(vif)) >= (int)sizeof(pname) ||
	    snprintf(netname, sizeof(netname), "kbr-%s", nb_vif_name(vif)) >= (int)sizeof(netname))
		return -ENAMETOOLONG;
	/* vnet headers: partial checksums and GSO frames go to the kernel as they are. */
	snprintf(args, sizeof(args), "ifname=%s,vnet_hdr=1", nb_vif_name(vif));
	err = vsw_net_create(d->sw, netname, "bridge", NULL, &v->pipe);
	if (!err)
		err = port_open("tap", pname, args, &v->tap);
	if (!err)
		err = vsw_net_add_port(v->pipe, v->tap, &host);
	if (!err)
		err = vsw_net_add_port(v->pipe, v->port, NULL);
	return err;
}

static void
nbd_vif_free(struct nbd *d, struct nbd_vif *v)
{
	if (v->port)
		nbd_capture_forget(d, v->port);
	if (v->tap)
		nbd_capture_forget(d, v->tap);
	if (v->port) {
		nbd_net_del_port(d, v->port);
		port_close(v->port);
	}
	if (v->tap) {
		vsw_net_del_port(d->sw, v->tap);
		port_close(v->tap);
	}
	if (v->pipe)
		vsw_net_destroy(v->pipe);
	free(v);
}

static int
nbd_vif_added(void *arg, struct nb_vif *vif)
{
	struct nbd *d = arg;
	struct nbd_vif *v = calloc(1, sizeof(*v));
	int err;

	if (!v)
		return -ENOMEM;
	err = nb_vif_port_open(vif, &v->port);
	if (!err && nb_vif_mtu(vif))
		err = port_set_mtu(v->port, nb_vif_mtu(vif));
	if (!err && !nbd_net_find(d, nb_vif_bridge(vif)) &&
	    nbd_is_kernel_bridge(nb_vif_bridge(vif)))
		err = nbd_vif_compat(d, vif, v);
	if (err) {
		nbd_vif_free(d, v);
		return err;
	}
	nb_vif_set_user(vif, v);
	return 0;
}

static int
nbd_dp_start(void *arg)
{
	nb_vif_dp_start(arg);
	return 0;
}

static int
nbd_dp_stop(void *arg)
{
	nb_vif_dp_stop(arg);
	return 0;
}

static int
nbd_vif_drain(void *arg)
{
	nb_vif_drop_backlog(arg);
	return 0;
}

static int
nbd_vif_connect(void *arg, struct nb_vif *vif)
{
	struct nbd *d = arg;
	struct nbd_vif *v = nb_vif_get_user(vif);
	struct vsw_net *net = v ? vsw_port_net(d->sw, v->port) : NULL;

	if (!net) {
		nb_vif_dp_start(vif);
		return 0;
	}
	vsw_net_call(net, nbd_dp_start, vif);
	return vsw_port_refresh(d->sw, v->port);
}

static void
nbd_vif_disconnect(void *arg, struct nb_vif *vif)
{
	struct nbd *d = arg;
	struct nbd_vif *v = nb_vif_get_user(vif);
	struct vsw_net *net = v ? vsw_port_net(d->sw, v->port) : NULL;

	if (!net) {
		nb_vif_dp_stop(vif);
		return;
	}
	vsw_net_call(net, nbd_dp_stop, vif);
	vsw_port_refresh(d->sw, v->port);
}

static void
nbd_vif_removed(void *arg, struct nb_vif *vif)
{
	struct nbd *d = arg;
	struct nbd_vif *v = nb_vif_get_user(vif);

	if (!v)
		return;
	nbd_dhcp_hosts_forget(d, nb_vif_name(vif));
	nbd_vif_free(d, v);
	nb_vif_set_user(vif, NULL);
}

static const struct nb_backend_ops nbd_backend_ops = {
	.vif_added = nbd_vif_added,
	.vif_connect = nbd_vif_connect,
	.vif_disconnect = nbd_vif_disconnect,
	.vif_removed = nbd_vif_removed,
};

/* ---- control commands ---------------------------------------------------------------------- */

struct nbd_req {
	struct nbd *d;
	int argc;
	char **argv;
	bool json;
	FILE *out; /* body */
	int err;   /* -errno for the status line */
	char msg[256];
};

static int nbd_fail(struct nbd_req *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
nbd_fail(struct nbd_req *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	r->err = err < 0 ? err : -err;
	return r->err;
}

/* The value following option 'name' in argv[from..], or NULL; '*bad' set on a missing value. */
static const char *
nbd_opt(struct nbd_req *r, int from, const char *name)
{
	for (int i = from; i < r->argc; i++)
		if (!strcmp(r->argv[i], name))
			return i + 1 < r->argc ? r->argv[i + 1] : "";
	return NULL;
}

/* Rejects options not in 'allowed' (NULL-terminated; flags end with '!' = no value). */
static int
nbd_check_opts(struct nbd_req *r, int from, const char *const *allowed)
{
	for (int i = from; i < r->argc; i++) {
		const char *a = r->argv[i];
		bool ok = false, flag = false;

		if (!strcmp(a, "--json"))
			continue;
		for (const char *const *o = allowed; *o; o++) {
			size_t n = strlen(*o);

			if ((*o)[n - 1] == '!' && !strncmp(a, *o, n - 1) && a[n - 1] == '\0') {
				ok = flag = true;
				break;
			}
			if (!strcmp(a, *o)) {
				ok = true;
				break;
			}
		}
		if (!ok)
			return nbd_fail(r, EINVAL, "unexpected argument '%s'", a);
		if (!flag) {
			if (i + 1 >= r->argc)
				return nbd_fail(r, EINVAL, "%s needs a value", a);
			i++;
		}
	}
	return 0;
}

/* Parses blank-separated addresses (each with an optional /prefix; a host address when
 * absent) into 'cfg'. -EINVAL names the offending one in 'bad'. */
static int
nbd_parse_ips(const char *text, struct vsw_port_cfg *cfg, char *bad, size_t bad_size)
{
	char buf[1024], *save = NULL, *tok;

	if (strlen(text) >= sizeof(buf))
		return -E2BIG;
	strcpy(buf, text);
	for (tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		struct vsw_ip *ip;
		char *slash = strchr(tok, '/');
		unsigned long pfx = 0;

		if (cfg->n_ips >= VSW_PORT_IPS_MAX)
			return -E2BIG;
		ip = &cfg->ips[cfg->n_ips];
		memset(ip, 0, sizeof(*ip));
		if (slash) {
			char *end;

			*slash = '\0';
			pfx = strtoul(slash + 1, &end, 10);
			if (*end || end == slash + 1)
				goto bad;
		}
		if (inet_pton(AF_INET, tok, ip->addr) == 1) {
			ip->family = AF_INET;
			ip->prefix = (uint8_t)(slash ? pfx : 32);
			if (pfx > 32)
				goto bad;
		} else if (inet_pton(AF_INET6, tok, ip->addr) == 1) {
			ip->family = AF_INET6;
			ip->prefix = (uint8_t)(slash ? pfx : 128);
			if (pfx > 128)
				goto bad;
		} else {
			goto bad;
		}
		cfg->n_ips++;
		continue;
bad:
		snprintf(bad, bad_size, "%s", tok);
		return -EINVAL;
	}
	return 0;
}

static struct nbd_net *
nbd_net_find(struct nbd *d, const char *name)
{
	for (struct nbd_net *n = d->nets; n; n = n->next)
		if (!strcmp(vsw_net_name(n->net), name))
			return n;
	return NULL;
}

/*
 * dnsmasq-NAME.pid in the run directory records the DHCP server we started for a network.
 * A netbackd that was killed leaves its dnsmasq running; its successor ends that process
 * (only if its command line still names our lease file, so never anyone else's) before
 * starting its own. pid 0 removes the file.
 */
static void
nbd_dnsmasq_pidfile(struct nbd *d, struct nbd_net *n, pid_t pid)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/dnsmasq-%s.pid", d->rundir, n->cfg.name);
	if (!pid) {
		unlink(path);
		return;
	}
	f = fopen(path, "we");
	if (f) {
		fprintf(f, "%ld\n", (long)pid);
		fclose(f);
	}
}

static void
nbd_reap_stale_dnsmasq(struct nbd *d, struct nbd_net *n)
{
	char path[PATH_MAX], proc[64], cmd[4096], want[PATH_MAX + 64];
	long pid = 0;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/dnsmasq-%s.pid", d->rundir, n->cfg.name);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	unlink(path);
	if (pid <= 1)
		return;
	snprintf(proc, sizeof(proc), "/proc/%ld/cmdline", pid);
	f = fopen(proc, "re");
	if (!f)
		return;
	len = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	for (size_t i = 0; i < len; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	cmd[len] = '\0';
	snprintf(want, sizeof(want), "--dhcp-leasefile=%s/dnsmasq-%s.leases", d->rundir,
		 n->cfg.name);
	if (strncmp(cmd, "dnsmasq ", 8) || !strstr(cmd, want))
		return;
	fprintf(stderr, "netbackd: ending the DHCP server (pid %ld) of a previous netbackd\n", pid);
	kill((pid_t)pid, SIGTERM);
	for (int i = 0; i < 50 && kill((pid_t)pid, 0) == 0; i++)
		usleep(20000);
}

/* Starts dnsmasq as the nat network's DHCP server on its host port, in dom0's namespace,
 * with no DNS and no configuration file; we keep it in the foreground to own its pid. */
static int
nbd_start_dnsmasq(struct nbd *d, struct nbd_net *n)
{
	char iface[64], range[128], leases[PATH_MAX + 64], router[64], hosts[PATH_MAX + 64];
	char *argv[] = { "dnsmasq",
			 "--keep-in-foreground",
			 "--conf-file=/dev/null",
			 "--port=0",
			 "--bind-interfaces",
			 "--except-interface=lo",
			 iface,
			 range,
			 leases,
			 router,
			 hosts,
			 "--log-facility=-",
			 "--user=root", /* its files are in our root-only run directory */
			 NULL };
	int fd;
	pid_t pid;

	nbd_reap_stale_dnsmasq(d, n);
	snprintf(iface, sizeof(iface), "--interface=%s", n->cfg.host_port);
	snprintf(range, sizeof(range), "--dhcp-range=%s,%s,%s,1h", n->cfg.dhcp_first,
		 n->cfg.dhcp_last, n->cfg.dhcp_mask);
	snprintf(leases, sizeof(leases), "--dhcp-leasefile=%s/dnsmasq-%s.leases", d->rundir,
		 n->cfg.name);
	snprintf(router, sizeof(router), "--dhcp-option=3,%s", n->cfg.gateway);
	snprintf(hosts, sizeof(hosts), "--dhcp-hostsfile=%s/dnsmasq-%s.hosts", d->rundir,
		 n->cfg.name);
	fd = open(hosts + strlen("--dhcp-hostsfile="), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return -errno;
	close(fd);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[0], argv);
		_exit(127);
	}
	n->dnsmasq = pid;
	nbd_dnsmasq_pidfile(d, n, pid);
	return 0;
}

static void
nbd_stop_dnsmasq(struct nbd *d, struct nbd_net *n)
{
	if (n->dnsmasq <= 0)
		return;
	kill(n->dnsmasq, SIGTERM);
	waitpid(n->dnsmasq, NULL, 0);
	n->dnsmasq = 0;
	nbd_dnsmasq_pidfile(d, n, 0);
}

/* The kernel forwards between the host port and the uplink in kernel NAT mode. */
static int
nbd_ip_forward(void)
{
	int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) != 1)
		err = -errno;
	close(fd);
	return err;
}

/* Undoes everything nbd_net_build() did (any part of it). */
static void
nbd_net_teardown(struct nbd *d, struct nbd_net *n)
{
	nbd_stop_dnsmasq(d, n);
	if (n->nft)
		nat_nft_remove(n->cfg.name);
	n->nft = false;
	if (n->uplink_port)
		nbd_capture_forget(d, n->uplink_port);
	if (n->host_port)
		nbd_capture_forget(d, n->host_port);
	if (n->uplink_port) {
		vsw_net_del_port(d->sw, n->uplink_port);
		port_close(n->uplink_port);
		n->uplink_port = NULL;
	}
	if (n->host_port) {
		vsw_net_del_port(d->sw, n->host_port);
		port_close(n->host_port);
		n->host_port = NULL;
	}
	if (n->net)
		vsw_net_destroy(n->net);
	n->net = NULL;
}

/* Opens the uplink as --uplink-type asks: af_xdp falls back to af_packet with one notice in
 * the log when XDP cannot be used on the interface (see vswitch/port-afxdp.h). With
 * --uplink-guard, the port carries the XDP guard (guard=1); when the guard cannot be had
 * (no permission, no XDP, another XDP program on the interface) one notice and the af_packet
 * uplink without it (see vswitch/xdpguard.h). */
static int
nbd_uplink_open(const struct nb_netcfg *c, const char *args, struct port **portp)
{
	char gargs[160];
	int err;

	snprintf(gargs, sizeof(gargs), "%s%s", args, c->uplink_guard ? ",guard=1" : "");
	if (!strcmp(c->uplink_type, "af_xdp")) {
		err = port_open("af_xdp", c->uplink, gargs, portp);
		if (!err) {
			fprintf(stderr, "netbackd: uplink %s: af_xdp, %s\n", c->uplink,
				port_afxdp_mode(*portp));
			if (c->uplink_guard)
				fprintf(stderr,
					"netbackd: uplink %s: XDP guard on (in the af_xdp "
					"program)\n",
					c->uplink);
			return 0;
		}
		fprintf(stderr,
			"netbackd: notice: uplink %s: af_xdp unavailable (%s), using af_packet\n",
			c->uplink, strerror(-err));
	}
	if (!c->uplink_guard)
		return port_open("af_packet", c->uplink, args, portp);
	err = port_open("af_packet", c->uplink, gargs, portp);
	if (!err) {
		fprintf(stderr, "netbackd: uplink %s: XDP guard on (%s)\n", c->uplink,
			xdpg_mode(port_afpacket_guard(*portp)));
		return 0;
	}
	fprintf(stderr,
		"netbackd: notice: uplink %s: XDP guard unavailable (%s), running without it\n",
		c->uplink, strerror(-err));
	return port_open("af_packet", c->uplink, args, portp);
}

/* The uplink guard of 'port' (an af_packet or af_xdp port opened with guard=1), or NULL. */
static struct xdpg *
nbd_guard_of(const struct port *port)
{
	struct xdpg *g = port ? port_afpacket_guard(port) : NULL;

	return g ? g : port ? port_afxdp_guard(port) : NULL;
}

/* Puts the VIF-role ports of 'net' (MACs, ip= addresses) into the guard maps of its uplink,
 * if that has a guard; after every change of the network's ports. */
static void
nbd_guard_sync(struct nbd *d, struct vsw_net *net)
{
	struct xdpg_set *set;
	struct xdpg *g = NULL;
	int err;

	if (!net)
		return;
	for (struct nbd_net *n = d->nets; n && !g; n = n->next)
		if (n->net == net)
			g = nbd_guard_of(n->uplink_port);
	if (!g)
		return;
	set = malloc(sizeof(*set));
	if (!set) {
		fprintf(stderr, "netbackd: network %s: XDP guard not updated: out of memory\n",
			vsw_net_name(net));
		return;
	}
	err = xdpg_set_from_net(d->sw, net, set);
	if (!err)
		err = xdpg_sync(g, set);
	if (err)
		fprintf(stderr, "netbackd: network %s: XDP guard not updated: %s\n",
			vsw_net_name(net), strerror(-err));
	free(set);
}

/* vsw_net_add_port() and vsw_net_del_port(), keeping the network's uplink guard in step. */
static int
nbd_net_add_port(struct nbd *d, struct vsw_net *net, struct port *port,
		 const struct vsw_port_cfg *cfg)
{
	int err = vsw_net_add_port(net, port, cfg);

	if (!err && cfg && cfg->role == VSW_PORT_VIF)
		nbd_guard_sync(d, net);
	return err;
}

static int
nbd_net_del_port(struct nbd *d, struct port *port)
{
	struct vsw_net *net = vsw_port_net(d->sw, port);
	const struct vsw_port_cfg *cfg = vsw_port_cfg(d->sw, port);
	bool vif = cfg && cfg->role == VSW_PORT_VIF;
	int err = vsw_net_del_port(d->sw, port);

	if (!err && vif)
		nbd_guard_sync(d, net);
	return err;
}

/* The port-add port named 'name' that is in no network, handed over to the caller (it leaves
 * d->added), or NULL. */
static struct port *
nbd_added_take(struct nbd *d, const char *name)
{
	for (unsigned int i = 0; i < NBD_ADDED_MAX; i++) {
		struct port *port = d->added[i];

		if (port && !strcmp(port->name, name) && !vsw_port_net(d->sw, port)) {
			d->added[i] = NULL;
			return port;
		}
	}
	return NULL;
}

/* What to add to a port's refusal by a network spread over 'workers' workers. */
static const char *
nbd_spread_hint(unsigned int workers, int err)
{
	return workers > 1 && err == -EOPNOTSUPP
		       ? " (a network spread over workers takes only DPDK ports)"
		       : "";
}

static int
nbd_net_build(struct nbd_req *r, struct nbd_net *n)
{
	struct nbd *d = r->d;
	const struct nb_netcfg *c = &n->cfg;
	char args[128], bad[64];
	int err;

	err = vsw_net_create(d->sw, c->name, c->switch_mode,
			     c->switch_args[0] ? c->switch_args : NULL, &n->net);
	if (err == -EEXIST)
		return nbd_fail(r, err, "network '%s' exists", c->name);
	if (err == -ENOENT)
		return nbd_fail(r, EOPNOTSUPP, "mode '%s' is not available in this build", c->mode);
	if (err)
		return nbd_fail(r, err, "cannot create network '%s' (%s %s): %s", c->name,
				c->switch_mode, c->switch_args, strerror(-err));
	/* Spread before any port joins: every port must then take several workers. */
	if (c->workers > 1) {
		err = vsw_net_set_workers(n->net, c->workers);
		if (err == -EINVAL)
			return nbd_fail(r, EINVAL, "--workers %u: the switch has %u worker(s)",
					c->workers, vsw_switch_n_workers(d->sw));
		if (err)
			return nbd_fail(r, err,
					"--workers %u: mode %s cannot be spread over workers (%s)",
					c->workers, c->mode, strerror(-err));
	}
	if (c->host_port[0]) {
		struct vsw_port_cfg pcfg = { .role = VSW_PORT_HOST };

		if (c->host_address[0])
			nbd_parse_ips(c->host_address, &pcfg, bad, sizeof(bad));
		/* vnet headers: dom0's stack takes partial checksums and GSO frames as they
		 * are, and hands us its own TSO frames (the vif path of Linux netback). */
		/* A MAC derived from the network's name (locally administered): the same after
		 * a restart, so guests' neighbour caches stay right. */
		{
			uint32_t h = 2166136261u;

			for (const char *s = c->name; *s; s++)
				h = (h ^ (uint8_t)*s) * 16777619u;
			snprintf(args, sizeof(args),
				 "ifname=%s,vnet_hdr=1,mac=02:6e:%02x:%02x:%02x:%02x", c->host_port,
				 h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
		}
		if (c->mtu)
			snprintf(args + strlen(args), sizeof(args) - strlen(args), ",mtu=%u",
				 c->mtu);
		err = port_open("tap", c->host_port, args, &n->host_port);
		if (!err)
			err = vsw_net_add_port(n->net, n->host_port, &pcfg);
		if (!err && c->host_address[0]) {
			err = vsw_nl_addr_add(c->host_port, c->host_address);
			if (!err)
				snprintf(n->address, sizeof(n->address), "%s", c->host_address);
		}
		if (!err)
			err = vsw_nl_link_set_up(c->host_port, 1);
		if (err)
			return nbd_fail(r, err, "host port %s: %s%s", c->host_port, strerror(-err),
					nbd_spread_hint(c->workers, err));
	}
	/* An uplink opened beforehand with `port-add - NAME TYPE:ARGS` (a DPDK device on the dpdk
	 * engine) instead of a dom0 interface: the network owns it from now on. */
	if (c->uplink[0] && c->nat != NB_NETCFG_NAT_KERNEL &&
	    (n->uplink_port = nbd_added_take(d, c->uplink))) {
		struct vsw_port_cfg ucfg = { .role = VSW_PORT_UPLINK };

		if (c->uplink_address[0])
			nbd_parse_ips(c->uplink_address, &ucfg, bad, sizeof(bad));
		err = vsw_net_add_port(n->net, n->uplink_port, &ucfg);
		if (err)
			return nbd_fail(r, err, "uplink %s: %s%s", c->uplink, strerror(-err),
					nbd_spread_hint(c->workers, err));
	}
	if (c->uplink[0] && c->nat != NB_NETCFG_NAT_KERNEL && !n->uplink_port) {
		struct vsw_port_cfg ucfg = { .role = VSW_PORT_UPLINK };

		if (c->uplink_address[0])
			nbd_parse_ips(c->uplink_address, &ucfg, bad, sizeof(bad));
		snprintf(args, sizeof(args), "ifname=%s", c->uplink);
		err = vsw_nl_link_set_up(c->uplink, 1);
		if (!err)
			err = nbd_uplink_open(c, args, &n->uplink_port);
		if (!err)
			err = vsw_net_add_port(n->net, n->uplink_port, &ucfg);
		if (err)
			return nbd_fail(r, err, "uplink %s: %s%s", c->uplink, strerror(-err),
					nbd_spread_hint(c->workers, err));
	}
	if (c->nat == NB_NETCFG_NAT_KERNEL) {
		err = nbd_ip_forward();
		if (!err)
			err = nat_nft_apply(c->name, c->subnet, c->host_port, c->uplink);
		if (err)
			return nbd_fail(r, err, "nftables NAT for %s: %s", c->name, strerror(-err));
		n->nft = true;
	}
	if (c->nat != NB_NETCFG_NAT_NONE) {
		err = nbd_start_dnsmasq(d, n);
		if (err)
			return nbd_fail(r, err, "dnsmasq for %s: %s", c->name, strerror(-err));
	}
	return 0;
}

/*
 * networks.state in the run directory: one line per network, net-create's arguments
 * separated by tabs, rewritten (through a rename) on every change. A restarted netbackd
 * replays it before it looks at XenStore, so the vifs it re-attaches find their networks.
 */
static void
nbd_state_save(struct nbd *d)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;

	snprintf(path, sizeof(path), "%s/networks.state", d->rundir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f) {
		fprintf(stderr, "netbackd: %s: %s\n", tmp, strerror(errno));
		return;
	}
	for (struct nbd_net *n = d->nets; n; n = n->next)
		if (n->create_line[0])
			fprintf(f, "%s\n", n->create_line);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		fprintf(stderr, "netbackd: %s: %s\n", path, strerror(errno));
}

/* Keeps net-create's arguments for networks.state (not if one holds a tab or newline). */
static void
nbd_net_remember(struct nbd *d, struct nbd_net *n, int argc, char **argv)
{
	size_t len = 0;

	n->create_line[0] = '\0';
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]);

		if (strpbrk(argv[i], "\t\n") || len + l + 2 > sizeof(n->create_line)) {
			n->create_line[0] = '\0';
			fprintf(stderr, "netbackd: network %s will not survive a restart\n",
				n->cfg.name);
			return;
		}
		if (i)
			n->create_line[len++] = '\t';
		memcpy(n->create_line + len, argv[i], l + 1);
		len += l;
	}
	nbd_state_save(d);
}

static int nbd_cmd_net_create(struct nbd_req *r);

/* Recreates the networks of networks.state (at start, before XenStore is read). */
static void
nbd_state_restore(struct nbd *d)
{
	char path[PATH_MAX], line[1100];
	FILE *f, *devnull;

	snprintf(path, sizeof(path), "%s/networks.state", d->rundir);
	f = fopen(path, "re");
	if (!f)
		return;
	devnull = fopen("/dev/null", "we");
	while (devnull && fgets(line, sizeof(line), f)) {
		char *argv[64], *save = NULL, *tok;
		struct nbd_req r = { .d = d, .out = devnull };

		line[strcspn(line, "\n")] = '\0';
		argv[r.argc++] = "net-create";
		for (tok = strtok_r(line, "\t", &save); tok && r.argc < 63;
		     tok = strtok_r(NULL, "\t", &save))
			argv[r.argc++] = tok;
		argv[r.argc] = NULL;
		r.argv = argv;
		if (r.argc < 2)
			continue;
		if (nbd_cmd_net_create(&r))
			fprintf(stderr, "netbackd: restoring network %s: %s\n", argv[1], r.msg);
		else
			fprintf(stderr, "netbackd: restored network %s\n", argv[1]);
	}
	if (devnull)
		fclose(devnull);
	fclose(f);
	nbd_state_save(d);
}

static int
nbd_cmd_net_create(struct nbd_req *r)
{
	struct nbd *d = r->d;
	struct nbd_net *n;
	char msg[256];

	n = calloc(1, sizeof(*n));
	if (!n)
		return nbd_fail(r, ENOMEM, "out of memory");
	if (nb_netcfg_parse(r->argc - 1, r->argv + 1, &n->cfg, msg, sizeof(msg))) {
		free(n);
		return nbd_fail(r, EINVAL, "%s", msg);
	}
	if (nbd_net_find(d, n->cfg.name)) {
		free(n);
		return nbd_fail(r, EEXIST, "network '%s' exists", r->argv[1]);
	}
	if (nbd_net_build(r, n)) {
		nbd_net_teardown(d, n);
		free(n);
		return r->err;
	}
	n->next = d->nets;
	d->nets = n;
	nbd_net_remember(d, n, r->argc - 1, r->argv + 1);
	fprintf(r->out, "network %s (%s%s) created\n", n->cfg.name, n->cfg.mode,
		n->cfg.nat == NB_NETCFG_NAT_KERNEL     ? ", kernel NAT"
		: n->cfg.nat == NB_NETCFG_NAT_FASTPATH ? ", fast-path NAT"
						       : "");
	return 0;
}

static int
nbd_cmd_net_destroy(struct nbd_req *r)
{
	struct nbd *d = r->d;
	struct nbd_net *n, **pp;
	unsigned int own;

	if (r->argc != 2)
		return nbd_fail(r, EINVAL, "usage: net-destroy NAME");
	n = nbd_net_find(d, r->argv[1]);
	if (!n)
		return nbd_fail(r, ENOENT, "no network '%s'", r->argv[1]);
	own = (n->host_port ? 1u : 0u) + (n->uplink_port ? 1u : 0u);
	if (vsw_net_n_ports(n->net) > own)
		return nbd_fail(r, EBUSY, "network '%s' still has vifs attached", r->argv[1]);
	nbd_net_teardown(d, n);
	for (pp = &d->nets; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	}
	free(n);
	nbd_state_save(d);
	return 0;
}

static int
nbd_cmd_net_list(struct nbd_req *r)
{
	bool first = true;

	if (r->json)
		fprintf(r->out, "[");
	else
		fprintf(r->out, "%-16s %-8s %-8s %-5s %-15s %-18s %s\n", "NAME", "MODE", "NAT",
			"PORTS", "HOST-PORT", "ADDRESS", "UPLINK");
	for (struct nbd_net *n = r->d->nets; n; n = n->next) {
		const struct nb_netcfg *c = &n->cfg;
		const char *nat = c->nat == NB_NETCFG_NAT_KERNEL     ? "kernel"
				  : c->nat == NB_NETCFG_NAT_FASTPATH ? "fastpath"
								     : "";

		if (r->json) {
			fprintf(r->out,
				"%s{\"name\":\"%s\",\"mode\":\"%s\",\"nat\":\"%s\",\"ports\":%u,"
				"\"host_port\":\"%s\",\"address\":\"%s\",\"uplink\":\"%s\"}",
				first ? "" : ",", c->name, c->mode, nat, vsw_net_n_ports(n->net),
				c->host_port, n->address, c->uplink);
		} else {
			fprintf(r->out, "%-16s %-8s %-8s %-5u %-15s %-18s %s\n", c->name, c->mode,
				nat[0] ? nat : "-", vsw_net_n_ports(n->net),
				c->host_port[0] ? c->host_port : "-",
				n->address[0] ? n->address : "-", c->uplink[0] ? c->uplink : "-");
		}
		first = false;
	}
	if (r->json)
		fprintf(r->out, "]\n");
	return 0;
}

static int
nbd_cmd_port_attach(struct nbd_req *r)
{
	struct nbd *d = r->d;
	struct nbd_net *n;
	struct port *port;
	int err;

	static const char *const opts[] = { "--ip", "--role", NULL };
	struct vsw_port_cfg cfg = { .role = VSW_PORT_OTHER };
	const char *ips, *role;
	struct nb_vif *vif;
	char bad[64];

	if (r->argc < 3 || r->argv[1][0] == '-' || r->argv[2][0] == '-')
		return nbd_fail(r, EINVAL,
				"usage: port-attach NET PORT [--ip 'ADDR ...'] [--role R]");
	if (nbd_check_opts(r, 3, opts))
		return r->err;
	n = nbd_net_find(d, r->argv[1]);
	if (!n)
		return nbd_fail(r, ENOENT, "no network '%s'", r->argv[1]);
	port = port_lookup(r->argv[2]);
	if (!port)
		return nbd_fail(r, ENOENT, "no port '%s'", r->argv[2]);
	if (vsw_port_net(d->sw, port) == n->net)
		return 0;
	/* A vif brings its role and its ip= from XenStore unless told otherwise. */
	vif = nb_vif_port_vif(port);
	ips = nbd_opt(r, 3, "--ip");
	role = nbd_opt(r, 3, "--role");
	if (vif) {
		cfg.role = VSW_PORT_VIF;
		if (!ips)
			ips = nb_vif_ip(vif);
	}
	if (role) {
		if (!strcmp(role, "vif"))
			cfg.role = VSW_PORT_VIF;
		else if (!strcmp(role, "host"))
			cfg.role = VSW_PORT_HOST;
		else if (!strcmp(role, "uplink"))
			cfg.role = VSW_PORT_UPLINK;
		else
			return nbd_fail(r, EINVAL, "--role: expected vif, host or uplink, got '%s'",
					role);
	}
	if (ips && nbd_parse_ips(ips, &cfg, bad, sizeof(bad)))
		return nbd_fail(r, EINVAL, "bad address '%s'", bad);
	err = nbd_net_add_port(d, n->net, port, &cfg);
	if (err == -EBUSY)
		return nbd_fail(r, err, "port '%s' is in network '%s'", r->argv[2],
				vsw_net_name(vsw_port_net(d->sw, port)));
	if (err)
		return nbd_fail(r, err, "attaching '%s': %s", r->argv[2], strerror(-err));
	return 0;
}

static int
nbd_cmd_port_detach(struct nbd_req *r)
{
	struct port *port;

	if (r->argc != 2)
		return nbd_fail(r, EINVAL, "usage: port-detach PORT");
	port = port_lookup(r->argv[1]);
	if (!port)
		return nbd_fail(r, ENOENT, "no port '%s'", r->argv[1]);
	nbd_dhcp_hosts_forget(r->d, port->name);
	if (vsw_port_net(r->d->sw, port) == NULL)
		return 0;
	if (nb_vif_port_vif(port))
		vsw_net_call(vsw_port_net(r->d->sw, port), nbd_vif_drain, nb_vif_port_vif(port));
	return nbd_net_del_port(r->d, port);
}

/* ---- ports opened by netbackd itself (port-add), engine statistics (pmd-stats) ------------ */

static int
nbd_parse_role(const char *s, enum vsw_port_role *role)
{
	static const char *const names[] = { "other", "vif", "host", "uplink" };

	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*role = (enum vsw_port_role)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* port-add NET NAME TYPE:ARGS [--role R] [--ip 'ADDR ...']: opens a port of class TYPE (e.g.
 * "dpdk:net_vhost0,iface=/run/vh.sock") and adds it to NET. */
static int
nbd_cmd_port_add(struct nbd_req *r)
{
	static const char *const opts[] = { "--ip", "--role", NULL };
	struct vsw_port_cfg cfg = { .role = VSW_PORT_OTHER };
	char type[32], bad[64];
	const char *spec, *colon, *ips, *role;
	struct nbd_net *n;
	struct port *port;
	unsigned int slot;
	int err;

	if (r->argc < 4 || (r->argv[1][0] == '-' && r->argv[1][1]) || r->argv[2][0] == '-' ||
	    r->argv[3][0] == '-')
		return nbd_fail(
			r, EINVAL,
			"usage: port-add NET|- NAME TYPE:ARGS [--role R] [--ip 'ADDR ...']");
	if (nbd_check_opts(r, 4, opts))
		return r->err;
	/* NET "-": opened only, to become a network's uplink (net-create --uplink NAME). */
	n = strcmp(r->argv[1], "-") ? nbd_net_find(r->d, r->argv[1]) : NULL;
	if (!n && strcmp(r->argv[1], "-"))
		return nbd_fail(r, ENOENT, "no network '%s'", r->argv[1]);
	spec = r->argv[3];
	colon = strchr(spec, ':');
	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(type))
		return nbd_fail(r, EINVAL, "expected TYPE:ARGS (e.g. dpdk:net_ring0), got '%s'",
				spec);
	memcpy(type, spec, (size_t)(colon - spec));
	type[colon - spec] = '\0';
	role = nbd_opt(r, 4, "--role");
	if (role && nbd_parse_role(role, &cfg.role))
		return nbd_fail(r, EINVAL, "--role: expected vif, host, uplink or other, got '%s'",
				role);
	ips = nbd_opt(r, 4, "--ip");
	if (ips && nbd_parse_ips(ips, &cfg, bad, sizeof(bad)))
		return nbd_fail(r, EINVAL, "bad address '%s'", bad);
	for (slot = 0; slot < NBD_ADDED_MAX && r->d->added[slot]; slot++)
		;
	if (slot == NBD_ADDED_MAX)
		return nbd_fail(r, ENOSPC, "at most %d ports can be added", NBD_ADDED_MAX);
	if (!port_class_lookup(type))
		return nbd_fail(r, EAFNOSUPPORT, "no port type '%s'%s", type,
				!strcmp(type, "dpdk") ? " (it needs --engine dpdk)" : "");
	err = port_open(type, r->argv[2], colon + 1, &port);
	if (err)
		return nbd_fail(r, err, "opening %s port '%s' (%s): %s", type, r->argv[2],
				colon + 1, strerror(-err));
	err = n ? nbd_net_add_port(r->d, n->net, port, &cfg) : 0;
	if (err) {
		port_close(port);
		return nbd_fail(r, err, "adding '%s' to '%s': %s%s", r->argv[2], r->argv[1],
				strerror(-err), nbd_spread_hint(vsw_net_n_workers(n->net), err));
	}
	r->d->added[slot] = port;
	return 0;
}

static void
nbd_added_close(struct nbd *d, unsigned int slot)
{
	struct port *port = d->added[slot];

	nbd_capture_forget(d, port);
	nbd_net_del_port(d, port);
	port_close(port);
	d->added[slot] = NULL;
}

/* port-del NAME: takes a port-add port out of its network and closes it. */
static int
nbd_cmd_port_del(struct nbd_req *r)
{
	if (r->argc != 2)
		return nbd_fail(r, EINVAL, "usage: port-del NAME");
	for (unsigned int i = 0; i < NBD_ADDED_MAX; i++) {
		if (r->d->added[i] && !strcmp(r->d->added[i]->name, r->argv[1])) {
			nbd_added_close(r->d, i);
			return 0;
		}
	}
	return nbd_fail(r, ENOENT, "no port '%s' made by port-add", r->argv[1]);
}

/* pmd-stats: each worker's loop (like OVS pmd-perf-show): iterations, packets, and the cycles
 * spent in iterations that found work and in those that did not. */
static int
nbd_cmd_pmd_stats(struct nbd_req *r)
{
	struct vsw_switch *sw = r->d->sw;
	const char *unit = r->d->dpdk ? "cycles" : "ns";

	if (r->json)
		fprintf(r->out, "{\"engine\":\"%s\",\"unit\":\"%s\",\"tsc_hz\":%llu,\"workers\":[",
			r->d->dpdk ? "dpdk" : "native", unit, (unsigned long long)dpdk_tsc_hz());
	for (unsigned int i = 0; i < vsw_switch_n_workers(sw); i++) {
		struct vsw_worker_stats st;
		uint64_t all;

		vsw_worker_get_stats(sw, i, &st);
		all = st.busy_cycles + st.idle_cycles;
		if (r->json) {
			fprintf(r->out,
				"%s{\"worker\":%u,\"lcore\":%d,\"networks\":%u,\"iterations\":%llu,"
				"\"busy_iterations\":%llu,\"rx_packets\":%llu,\"busy\":%llu,"
				"\"idle\":%llu,\"sleeps\":%llu}",
				i ? "," : "", i, r->d->dpdk ? dpdk_engine_worker_lcore(i) : -1,
				vsw_worker_n_nets(sw, i), (unsigned long long)st.iterations,
				(unsigned long long)st.busy_iterations,
				(unsigned long long)st.rx_packets,
				(unsigned long long)st.busy_cycles,
				(unsigned long long)st.idle_cycles, (unsigned long long)st.sleeps);
			continue;
		}
		if (r->d->dpdk)
			fprintf(r->out, "worker %u (lcore %d):\n", i, dpdk_engine_worker_lcore(i));
		else
			fprintf(r->out, "worker %u (thread):\n", i);
		fprintf(r->out,
			"  networks: %u\n  iterations: %llu (%llu with packets)\n"
			"  rx packets: %llu\n  busy %s: %llu (%.1f %%)\n  idle %s: %llu\n",
			vsw_worker_n_nets(sw, i), (unsigned long long)st.iterations,
			(unsigned long long)st.busy_iterations, (unsigned long long)st.rx_packets,
			unit, (unsigned long long)st.busy_cycles,
			all ? 100.0 * (double)st.busy_cycles / (double)all : 0.0, unit,
			(unsigned long long)st.idle_cycles);
		if (st.rx_packets)
			fprintf(r->out,
				"  busy %s per packet: %.1f\n  packets per busy iteration: %.1f\n",
				unit, (double)st.busy_cycles / (double)st.rx_packets,
				(double)st.rx_packets / (double)st.busy_iterations);
	}
	if (r->json)
		fprintf(r->out, "]}\n");
	return 0;
}

static int
nbd_cmd_fdb_show(struct nbd_req *r)
{
	struct vsw_mac_info *infos;
	struct nbd_net *n;
	int cnt;

	if (r->argc < 2 || r->argv[1][0] == '-')
		return nbd_fail(r, EINVAL, "usage: fdb-show NET [--json]");
	n = nbd_net_find(r->d, r->argv[1]);
	if (!n)
		return nbd_fail(r, ENOENT, "no network '%s'", r->argv[1]);
	infos = calloc(NBD_FDB_MAX, sizeof(*infos));
	if (!infos)
		return nbd_fail(r, ENOMEM, "out of memory");
	cnt = vsw_bridge_fdb(n->net, infos, NBD_FDB_MAX);
	if (cnt < 0) {
		free(infos);
		return nbd_fail(r, cnt, "network '%s' has no FDB", r->argv[1]);
	}
	if (r->json)
		fprintf(r->out, "[");
	else
		fprintf(r->out, "%-16s %4s %-17s %s\n", "PORT", "VLAN", "MAC", "AGE");
	for (int i = 0; i < cnt; i++) {
		const uint8_t *m = infos[i].mac.ether_addr_octet;
		struct port *p = port_by_index(infos[i].port);
		char mac[18];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
			 m[4], m[5]);
		if (r->json)
			fprintf(r->out,
				"%s{\"port\":\"%s\",\"vlan\":%u,\"mac\":\"%s\",\"age\":%.1f}",
				i ? "," : "", p ? p->name : "?", infos[i].vlan, mac,
				(double)infos[i].age_ns / 1e9);
		else
			fprintf(r->out, "%-16s %4u %-17s %.0f\n", p ? p->name : "?", infos[i].vlan,
				mac, (double)infos[i].age_ns / 1e9);
	}
	if (r->json)
		fprintf(r->out, "]\n");
	free(infos);
	return 0;
}

struct nbd_stats_ctx {
	struct nbd_req *r;
	const char *only;
	bool first;
	bool found;
};

static void
nbd_stats_port(struct nbd_stats_ctx *c, struct port *port)
{
	struct nbd_req *r = c->r;
	struct vsw_net *net = vsw_port_net(r->d->sw, port);
	struct nb_vif *vif = nb_vif_port_vif(port);
	struct port_stats st;
	struct nb_vif_stats vs;
	int k;

	if (c->only && strcmp(c->only, port->name))
		return;
	c->found = true;
	port_get_stats(port, &st);
	if (vif)
		nb_vif_get_stats(vif, &vs);
	if (r->json) {
		fprintf(r->out,
			"%s{\"port\":\"%s\",\"type\":\"%s\",\"network\":\"%s\",\"mtu\":%u,"
			"\"rx_packets\":%llu,"
			"\"rx_bytes\":%llu,\"tx_packets\":%llu,\"tx_bytes\":%llu,\"drops\":{",
			c->first ? "" : ",", port->name, port->cls->type,
			net ? vsw_net_name(net) : "", port->mtu, (unsigned long long)st.rx_packets,
			(unsigned long long)st.rx_bytes, (unsigned long long)st.tx_packets,
			(unsigned long long)st.tx_bytes);
		for (k = 0; k < VSW_CTR_N; k++)
			fprintf(r->out, "%s\"%s\":%llu", k ? "," : "",
				vsw_counter_name((enum vsw_counter)k),
				(unsigned long long)st.ctrs.c[k]);
		fprintf(r->out, "}");
		if (vif) {
			fprintf(r->out,
				",\"vif\":{\"tx_errors\":%llu,\"tx_grant_errors\":%llu,"
				"\"tx_gso\":%llu,\"rx_gso\":%llu,\"rx_grant_errors\":%llu,"
				"\"notifies\":%llu,\"events\":%llu,\"tx_throttled\":%llu,"
				"\"rx_drop_expired\":%llu,\"rx_drop_stalled\":%llu,\"rx_stalls\":%"
				"llu,"
				"\"rx_drop_backlog\":%llu,\"ctrl_requests\":%llu,\"rx_hash\":%llu,"
				"\"tx_mcast_refused\":%llu,\"rx_drop_mcast\":%llu}",
				(unsigned long long)vs.tx_errors,
				(unsigned long long)vs.tx_grant_errors,
				(unsigned long long)vs.tx_gso, (unsigned long long)vs.rx_gso,
				(unsigned long long)vs.rx_grant_errors,
				(unsigned long long)vs.notifies, (unsigned long long)vs.events,
				(unsigned long long)vs.tx_throttled,
				(unsigned long long)vs.rx_drop_expired,
				(unsigned long long)vs.rx_drop_stalled,
				(unsigned long long)vs.rx_stalls,
				(unsigned long long)vs.rx_drop_backlog,
				(unsigned long long)vs.ctrl_requests,
				(unsigned long long)vs.rx_hash,
				(unsigned long long)vs.tx_mcast_refused,
				(unsigned long long)vs.rx_drop_mcast);
			fprintf(r->out, ",\"queues\":[");
			for (unsigned int qi = 0; qi < vs.n_queues && qi < 8; qi++)
				fprintf(r->out, "%s{\"tx\":%llu,\"rx\":%llu}", qi ? "," : "",
					(unsigned long long)vs.queue_tx[qi],
					(unsigned long long)vs.queue_rx[qi]);
			fprintf(r->out, "]");
		}
		fprintf(r->out, "}");
	} else {
		fprintf(r->out,
			"%s (%s%s%s)\n  rx: %llu packets %llu bytes\n  tx: %llu packets %llu "
			"bytes\n",
			port->name, port->cls->type, net ? ", network " : "",
			net ? vsw_net_name(net) : "", (unsigned long long)st.rx_packets,
			(unsigned long long)st.rx_bytes, (unsigned long long)st.tx_packets,
			(unsigned long long)st.tx_bytes);
		for (k = 0; k < VSW_CTR_N; k++)
			if (st.ctrs.c[k])
				fprintf(r->out, "  %s: %llu\n",
					vsw_counter_name((enum vsw_counter)k),
					(unsigned long long)st.ctrs.c[k]);
		if (vif) {
			if (vs.tx_errors)
				fprintf(r->out, "  tx_errors: %llu\n",
					(unsigned long long)vs.tx_errors);
			if (vs.tx_grant_errors)
				fprintf(r->out, "  tx_grant_errors: %llu\n",
					(unsigned long long)vs.tx_grant_errors);
			if (vs.rx_grant_errors)
				fprintf(r->out, "  rx_grant_errors: %llu\n",
					(unsigned long long)vs.rx_grant_errors);
			if (vs.tx_throttled)
				fprintf(r->out, "  tx_throttled: %llu\n",
					(unsigned long long)vs.tx_throttled);
			if (vs.rx_drop_expired || vs.rx_drop_stalled || vs.rx_stalls)
				fprintf(r->out,
					"  rx_drop_expired: %llu rx_drop_stalled: %llu stalls: "
					"%llu\n",
					(unsigned long long)vs.rx_drop_expired,
					(unsigned long long)vs.rx_drop_stalled,
					(unsigned long long)vs.rx_stalls);
			if (vs.tx_gso || vs.rx_gso)
				fprintf(r->out, "  gso: from guest %llu, to guest %llu\n",
					(unsigned long long)vs.tx_gso,
					(unsigned long long)vs.rx_gso);
			fprintf(r->out, "  events: %llu notifies: %llu\n",
				(unsigned long long)vs.events, (unsigned long long)vs.notifies);
		}
	}
	c->first = false;
}

static int
nbd_cmd_stats(struct nbd_req *r)
{
	struct nbd_stats_ctx c = { .r = r, .first = true };

	if (r->argc > 1 && r->argv[1][0] != '-')
		c.only = r->argv[1];
	if (r->json)
		fprintf(r->out, "[");
	for (unsigned int i = 0; i < PORT_MAX; i++) {
		struct port *port = port_by_index(i);

		if (port)
			nbd_stats_port(&c, port);
	}
	if (r->json)
		fprintf(r->out, "]\n");
	if (c.only && !c.found)
		return nbd_fail(r, ENOENT, "no port '%s'", c.only);
	return 0;
}

static const char *
nbd_state_name(int s)
{
	static const char *const names[] = { "Unknown",	    "Initialising",  "InitWait",
					     "Initialised", "Connected",     "Closing",
					     "Closed",	    "Reconfiguring", "Reconfigured" };

	return s >= 0 && s <= 8 ? names[s] : "?";
}

static int
nbd_vif_list_one(void *arg, struct nb_vif *vif)
{
	struct nbd_stats_ctx *c = arg;
	struct nbd_req *r = c->r;
	struct nbd_vif *v = nb_vif_get_user(vif);
	struct vsw_net *net = v ? vsw_port_net(r->d->sw, v->port) : NULL;
	const uint8_t *m = nb_vif_mac(vif);
	uint64_t rate_bytes, rate_usec;
	char mac[18];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	nb_vif_rate(vif, &rate_bytes, &rate_usec);
	if (r->json)
		fprintf(r->out,
			"%s{\"name\":\"%s\",\"domid\":%u,\"devid\":%u,\"mac\":\"%s\",\"state\":%d,"
			"\"fe_state\":%d,\"network\":\"%s\",\"connected\":%s,\"disabled\":%s,"
			"\"stalled\":%s,\"rate_bytes\":%llu,\"rate_usec\":%llu,\"error\":\"%s\"}",
			c->first ? "" : ",", nb_vif_name(vif), nb_vif_domid(vif), nb_vif_devid(vif),
			mac, nb_vif_state(vif), nb_vif_fe_state(vif), net ? vsw_net_name(net) : "",
			nb_vif_is_connected(vif) ? "true" : "false",
			nb_vif_is_disabled(vif) ? "true" : "false",
			nb_vif_is_stalled(vif) ? "true" : "false", (unsigned long long)rate_bytes,
			(unsigned long long)rate_usec, nb_vif_error(vif));
	else
		fprintf(r->out, "%-12s %5u %5u %-17s %-12s %-12s %-12s %s%s\n", nb_vif_name(vif),
			nb_vif_domid(vif), nb_vif_devid(vif), mac,
			nbd_state_name(nb_vif_state(vif)), nbd_state_name(nb_vif_fe_state(vif)),
			net ? vsw_net_name(net) : "-", nb_vif_is_stalled(vif) ? "stalled " : "",
			nb_vif_error(vif));
	c->first = false;
	return 0;
}

static int
nbd_cmd_vif_list(struct nbd_req *r)
{
	struct nbd_stats_ctx c = { .r = r, .first = true };

	if (r->json)
		fprintf(r->out, "[");
	else
		fprintf(r->out, "%-12s %5s %5s %-17s %-12s %-12s %-12s %s\n", "VIF", "DOMID",
			"DEVID", "MAC", "BE-STATE", "FE-STATE", "NETWORK", "ERROR");
	nb_backend_foreach_vif(r->d->be, nbd_vif_list_one, &c);
	if (r->json)
		fprintf(r->out, "]\n");
	return 0;
}

/* Rewrites the network's dnsmasq hosts file and tells dnsmasq to read it again. */
static int
nbd_dhcp_hosts_write(struct nbd *d, struct nbd_net *n)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/dnsmasq-%s.hosts", d->rundir, n->cfg.name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	for (unsigned int i = 0; i < n->n_hosts; i++)
		fprintf(f, "%s,%s\n", n->hosts[i].mac, n->hosts[i].ip);
	if (fclose(f))
		return -EIO;
	if (n->dnsmasq > 0)
		kill(n->dnsmasq, SIGHUP);
	return 0;
}

/* Forgets the fixed leases of vif 'vif' in every network (it left its network). */
static void
nbd_dhcp_hosts_forget(struct nbd *d, const char *vif)
{
	for (struct nbd_net *n = d->nets; n; n = n->next) {
		unsigned int i = 0, before = n->n_hosts;

		while (i < n->n_hosts) {
			if (!strcmp(n->hosts[i].vif, vif))
				n->hosts[i] = n->hosts[--n->n_hosts];
			else
				i++;
		}
		if (n->n_hosts != before)
			nbd_dhcp_hosts_write(d, n);
	}
}

/* dhcp-host NET add VIF MAC IP | dhcp-host NET del VIF | dhcp-host NET list */
static int
nbd_cmd_dhcp_host(struct nbd_req *r)
{
	struct nbd_net *n;
	unsigned char a[4];
	unsigned int b[6];
	char tail;

	if (r->argc < 3)
		return nbd_fail(r, EINVAL, "usage: dhcp-host NET add VIF MAC IP | del VIF | list");
	n = nbd_net_find(r->d, r->argv[1]);
	if (!n)
		return nbd_fail(r, ENOENT, "no network '%s'", r->argv[1]);
	if (n->cfg.nat == NB_NETCFG_NAT_NONE)
		return nbd_fail(r, EINVAL, "network '%s' has no DHCP server (not a nat network)",
				r->argv[1]);
	if (!strcmp(r->argv[2], "list")) {
		for (unsigned int i = 0; i < n->n_hosts; i++)
			fprintf(r->out, "%s %s %s\n", n->hosts[i].vif, n->hosts[i].mac,
				n->hosts[i].ip);
		return 0;
	}
	if (!strcmp(r->argv[2], "del") && r->argc == 4) {
		nbd_dhcp_hosts_forget(r->d, r->argv[3]);
		return 0;
	}
	if (strcmp(r->argv[2], "add") || r->argc != 6)
		return nbd_fail(r, EINVAL, "usage: dhcp-host NET add VIF MAC IP | del VIF | list");
	if (strlen(r->argv[3]) >= sizeof(n->hosts[0].vif) || strlen(r->argv[4]) != 17 ||
	    sscanf(r->argv[4], "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5], &tail) != 6)
		return nbd_fail(r, EINVAL, "bad vif name or MAC '%s'", r->argv[4]);
	if (inet_pton(AF_INET, r->argv[5], a) != 1)
		return nbd_fail(r, EINVAL, "bad IPv4 address '%s'", r->argv[5]);
	if (n->n_hosts >= NBD_DHCP_HOSTS_MAX)
		return nbd_fail(r, ENOSPC, "too many fixed leases in '%s'", r->argv[1]);
	nbd_dhcp_hosts_forget(r->d, r->argv[3]);
	snprintf(n->hosts[n->n_hosts].vif, sizeof(n->hosts[0].vif), "%s", r->argv[3]);
	snprintf(n->hosts[n->n_hosts].mac, sizeof(n->hosts[0].mac), "%s", r->argv[4]);
	snprintf(n->hosts[n->n_hosts].ip, sizeof(n->hosts[0].ip), "%s", r->argv[5]);
	n->n_hosts++;
	return nbd_dhcp_hosts_write(r->d, n);
}

/* capture-start PORT FILE [MAX]: copies what PORT receives and sends into a pcap file. */
static int
nbd_cmd_capture_start(struct nbd_req *r)
{
	struct nbd *d = r->d;
	struct nbd_capture *c = NULL;
	unsigned long max = 0;
	struct port *port;
	int err;

	if (r->argc < 3 || r->argc > 4 || r->argv[2][0] != '/')
		return nbd_fail(r, EINVAL, "usage: capture-start PORT /ABSOLUTE/FILE [MAX]");
	port = port_lookup(r->argv[1]);
	if (!port)
		return nbd_fail(r, ENOENT, "no port '%s'", r->argv[1]);
	if (r->argc == 4) {
		char *end;

		max = strtoul(r->argv[3], &end, 10);
		if (*end || max > 100000000)
			return nbd_fail(r, EINVAL, "bad frame count '%s'", r->argv[3]);
	}
	for (unsigned int i = 0; i < NBD_CAPTURES_MAX && !c; i++)
		if (!d->caps[i].id)
			c = &d->caps[i];
	if (!c)
		return nbd_fail(r, EBUSY, "too many captures running");
	err = vsw_capture_start(d->sw, port, (unsigned int)max, -1, r->argv[2], &c->cap);
	if (err == -EBUSY)
		return nbd_fail(r, err, "port '%s' is already being captured", r->argv[1]);
	if (err)
		return nbd_fail(r, err, "capturing '%s' into %s: %s", r->argv[1], r->argv[2],
				strerror(-err));
	c->port = port;
	c->id = ++d->next_cap_id;
	fprintf(r->out, "%u\n", c->id);
	return 0;
}

static struct nbd_capture *
nbd_capture_find(struct nbd_req *r)
{
	unsigned long id = r->argc == 2 ? strtoul(r->argv[1], NULL, 10) : 0;

	for (unsigned int i = 0; id && i < NBD_CAPTURES_MAX; i++)
		if (r->d->caps[i].id == id)
			return &r->d->caps[i];
	nbd_fail(r, ENOENT, "no capture '%s'", r->argc == 2 ? r->argv[1] : "");
	return NULL;
}

/* capture-status ID / capture-stop ID: "written lost done" */
static int
nbd_cmd_capture_status(struct nbd_req *r)
{
	struct nbd_capture *c = nbd_capture_find(r);
	struct vsw_capture_stats st;
	bool stop = !strcmp(r->argv[0], "capture-stop"), done;

	if (!c)
		return r->err;
	vsw_capture_drain(c->cap);
	done = vsw_capture_done(c->cap);
	vsw_capture_get_stats(c->cap, &st);
	fprintf(r->out, "%llu %llu %d\n", (unsigned long long)st.written,
		(unsigned long long)st.lost, done);
	if (stop) {
		vsw_capture_stop(c->cap);
		memset(c, 0, sizeof(*c));
	}
	return 0;
}

/* nat-check NET: the kernel NAT rules are there and intact, else they are put back. */
static int
nbd_cmd_nat_check(struct nbd_req *r)
{
	struct nbd_net *n;

	if (r->argc < 2)
		return nbd_fail(r, EINVAL, "usage: nat-check NET");
	n = nbd_net_find(r->d, r->argv[1]);
	if (!n)
		return nbd_fail(r, ENOENT, "no network '%s'", r->argv[1]);
	if (n->cfg.nat != NB_NETCFG_NAT_KERNEL)
		return nbd_fail(r, EINVAL, "network '%s' does not use kernel NAT", r->argv[1]);
	{
		const struct nb_netcfg *c = &n->cfg;
		int err = nat_nft_check(c->name, c->subnet, c->host_port, c->uplink);

		if (!err) {
			fprintf(r->out, "nftables NAT of %s: intact\n", c->name);
			return 0;
		}
		err = nat_nft_apply(c->name, c->subnet, c->host_port, c->uplink);
		if (err)
			return nbd_fail(r, err, "restoring nftables NAT of %s: %s", c->name,
					strerror(-err));
		fprintf(r->out, "nftables NAT of %s: restored\n", c->name);
		return 0;
	}
}

/* mode-ctl NET CMD [ARGS]: a command of the network's mode (route-add, nat-show, ...), run on
 * the network's worker. */
static int
nbd_cmd_mode_ctl(struct nbd_req *r)
{
	struct nbd_net *n;
	int err;

	if (r->argc < 3)
		return nbd_fail(r, EINVAL, "usage: mode-ctl NET COMMAND [ARGS]");
	n = nbd_net_find(r->d, r->argv[1]);
	if (!n)
		return nbd_fail(r, ENOENT, "no network '%s'", r->argv[1]);
	/* A --json among the arguments is passed on: modes print JSON when they see it. */
	err = vsw_net_ctl(n->net, r->argc - 2, r->argv + 2, r->out);
	if (err == -EOPNOTSUPP)
		return nbd_fail(r, err, "mode %s has no command '%s'", vsw_net_mode(n->net),
				r->argv[2]);
	if (err)
		return nbd_fail(r, err, "%s: %s", r->argv[2], strerror(-err));
	return 0;
}

static int
nbd_cmd_ping(struct nbd_req *r)
{
	fprintf(r->out, "netbackd %ld\n", (long)getpid());
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct nbd_req *r);
} nbd_cmds[] = {
	{ "net-create", nbd_cmd_net_create },	    { "net-destroy", nbd_cmd_net_destroy },
	{ "net-list", nbd_cmd_net_list },	    { "port-attach", nbd_cmd_port_attach },
	{ "port-detach", nbd_cmd_port_detach },	    { "port-add", nbd_cmd_port_add },
	{ "port-del", nbd_cmd_port_del },	    { "pmd-stats", nbd_cmd_pmd_stats },
	{ "fdb-show", nbd_cmd_fdb_show },	    { "stats", nbd_cmd_stats },
	{ "vif-list", nbd_cmd_vif_list },	    { "mode-ctl", nbd_cmd_mode_ctl },
	{ "capture-start", nbd_cmd_capture_start }, { "capture-status", nbd_cmd_capture_status },
	{ "capture-stop", nbd_cmd_capture_status }, { "nat-check", nbd_cmd_nat_check },
	{ "dhcp-host", nbd_cmd_dhcp_host },	    { "ping", nbd_cmd_ping },
};

static void
nbd_handle(struct nbd *d, int fd)
{
	char *buf = malloc(NB_CTL_REQ_MAX), *argv[NB_CTL_ARGS_MAX], *body = NULL;
	struct timeval tv = { .tv_sec = 2 };
	struct nbd_req r = { .d = d };
	size_t len = 0, body_len = 0;
	int argc;

	if (!buf)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len < NB_CTL_REQ_MAX) {
		ssize_t n = read(fd, buf + len, NB_CTL_REQ_MAX - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	r.out = open_memstream(&body, &body_len);
	argc = nb_ctl_split(buf, len, argv, NB_CTL_ARGS_MAX);
	if (!r.out) {
		free(buf);
		return;
	}
	if (argc <= 0) {
		nbd_fail(&r, EINVAL, "malformed request");
	} else {
		size_t i;

		r.argc = argc;
		r.argv = argv;
		for (int k = 1; k < argc; k++)
			if (!strcmp(argv[k], "--json"))
				r.json = true;
		for (i = 0; i < sizeof(nbd_cmds) / sizeof(nbd_cmds[0]); i++) {
			if (!strcmp(argv[0], nbd_cmds[i].name)) {
				nbd_cmds[i].fn(&r);
				break;
			}
		}
		if (i == sizeof(nbd_cmds) / sizeof(nbd_cmds[0]))
			nbd_fail(&r, EINVAL, "unknown command '%s'", argv[0]);
	}
	fclose(r.out);
	{
		char head[300];
		int hn = r.err ? snprintf(head, sizeof(head), "ERR %d %s\n", -r.err, r.msg)
			       : snprintf(head, sizeof(head), "OK\n");

		if (write(fd, head, (size_t)hn) == hn && !r.err && body_len) {
			size_t off = 0;

			while (off < body_len) {
				ssize_t w = write(fd, body + off, body_len - off);

				if (w <= 0)
					break;
				off += (size_t)w;
			}
		}
	}
	free(body);
	free(buf);
}

/* ---- loop plumbing -------------------------------------------------------------------------- */

static void nbd_sync_hotplug(struct nbd *d);

static void
nbd_on_ctl(void *arg, uint32_t events)
{
	struct nbd *d = arg;
	int fd;

	(void)events;
	while ((fd = accept4(d->ctl_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		nbd_handle(d, fd);
		close(fd);
	}
	nbd_sync_hotplug(d);
}

static void
nbd_on_watch(void *arg, uint32_t events)
{
	struct nbd *d = arg;

	(void)events;
	nb_backend_on_watch(d->be);
	nbd_sync_hotplug(d);
}

static void
nbd_on_timer(void *arg, uint32_t events)
{
	struct nbd *d = arg;
	uint64_t ticks;

	(void)events;
	if (read(d->timerfd, &ticks, sizeof(ticks)) < 0) {
		/* Spurious wake-up; the work below is idempotent. */
	}
	nb_backend_on_timer(d->be);
	for (unsigned int i = 0; i < NBD_CAPTURES_MAX; i++)
		if (d->caps[i].id)
			vsw_capture_drain(d->caps[i].cap);
	nbd_sync_hotplug(d);
}

static void
nbd_on_hotplug(void *arg, uint32_t events)
{
	struct nbd *d = arg;

	(void)events;
	/* Which pidfd fired is not passed; let the backend check them all without blocking. */
	for (unsigned int i = 0; i < d->n_hp; i++) {
		struct timeval tv = { 0 };
		fd_set set;

		FD_ZERO(&set);
		FD_SET(d->hp_fds[i], &set);
		if (select(d->hp_fds[i] + 1, &set, NULL, NULL, &tv) > 0)
			nb_backend_on_hotplug(d->be, d->hp_fds[i]);
	}
	nbd_sync_hotplug(d);
}

/* Keeps the loop's registrations equal to the set of running hotplug scripts. */
static void
nbd_sync_hotplug(struct nbd *d)
{
	int now[NBD_HOTPLUG_FDS];
	unsigned int n = nb_backend_hotplug_fds(d->be, now, NBD_HOTPLUG_FDS), i, j;

	for (i = 0; i < d->n_hp; i++) {
		for (j = 0; j < n && now[j] != d->hp_fds[i]; j++)
			;
		if (j == n)
			vsw_loop_del(d->loop, d->hp_fds[i]);
	}
	for (j = 0; j < n; j++) {
		for (i = 0; i < d->n_hp && d->hp_fds[i] != now[j]; i++)
			;
		if (i == d->n_hp)
			vsw_loop_add(d->loop, now[j], EPOLLIN, nbd_on_hotplug, d);
	}
	memcpy(d->hp_fds, now, n * sizeof(now[0]));
	d->n_hp = n;
}

static void
nbd_on_signal(void *arg, uint32_t events)
{
	struct nbd *d = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si))
		vsw_loop_stop(d->loop);
}

static int
nbd_listen(struct nbd *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", d->rundir, NB_CTL_SOCKET) >=
	    sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	d->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->ctl_fd < 0)
		return -errno;
	unlink(sa.sun_path);
	old = umask(0077);
	if (bind(d->ctl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(d->ctl_fd, 64) < 0) {
		int err = -errno;

		umask(old);
		return err;
	}
	umask(old);
	return 0;
}

static int
mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		buf[i] = path[i];
	}
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: netbackd [--rundir DIR] [--hv sim|xen] [--workers N] [--script-dir DIR]\n"
		"                [--hotplug-timeout SECONDS] [--rx-drain-ms MS] [--rx-stall-ms "
		"MS]\n"
		"                [--foreground] [--engine native|dpdk] [--dpdk-args 'EAL ARGS']\n"
		"                [--dpdk-data-room BYTES]\n"
		"Default DIR: $NETBACK_RUNDIR or " NBD_DEFAULT_RUNDIR
		"; --hv sim unless /dev/xen/evtchn exists.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ "rx-drain-ms", required_argument, NULL, 'R' },
		{ "rx-stall-ms", required_argument, NULL, 'S' },
		{ "hv", required_argument, NULL, 'H' },
		{ "workers", required_argument, NULL, 'w' },
		{ "script-dir", required_argument, NULL, 's' },
		{ "hotplug-timeout", required_argument, NULL, 't' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "engine", required_argument, NULL, 'E' },
		{ "dpdk-args", required_argument, NULL, 'D' },
		{ "dpdk-data-room", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nbd d = { .sigfd = -1, .timerfd = -1, .ctl_fd = -1 };
	struct nb_backend_cfg cfg = { 0 };
	enum nb_hv_kind kind = access("/dev/xen/evtchn", F_OK) == 0 ? NB_HV_XEN : NB_HV_SIM;
	const char *script_dir = NB_SCRIPT_DIR, *env = getenv("NETBACK_RUNDIR");
	char path[PATH_MAX + 64], logpath[PATH_MAX + 64];
	unsigned long workers = 1, hotplug_timeout = NB_HOTPLUG_TIMEOUT_MS / 1000;
	bool foreground = false, workers_set = false;
	const char *dpdk_args = NULL;
	unsigned long data_room = 0;
	int ready[2] = { -1, -1 }, pidfd = -1, c, err, rc = 1;
	sigset_t mask;

	d.rundir = env && *env ? env : NBD_DEFAULT_RUNDIR;
	while ((c = getopt_long(argc, argv, "r:R:S:H:w:s:t:E:D:M:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			d.rundir = optarg;
			break;
		case 'R':
		case 'S': {
			char *end;
			unsigned long ms = strtoul(optarg, &end, 10);

			if (*end || !*optarg || ms < 1 || ms > 3600000) {
				fprintf(stderr,
					"netbackd: --%s: expected 1..3600000 ms, got '%s'\n",
					c == 'R' ? "rx-drain-ms" : "rx-stall-ms", optarg);
				return 2;
			}
			if (c == 'R')
				cfg.rx_drain_ms = (unsigned int)ms;
			else
				cfg.rx_stall_ms = (unsigned int)ms;
			break;
		}
		case 'H':
			if (!strcmp(optarg, "sim"))
				kind = NB_HV_SIM;
			else if (!strcmp(optarg, "xen"))
				kind = NB_HV_XEN;
			else {
				fprintf(stderr, "netbackd: --hv: expected sim or xen, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'w': {
			char *end;

			workers = strtoul(optarg, &end, 10);
			if (*end || workers < 1 || workers > VSW_WORKERS_MAX) {
				fprintf(stderr, "netbackd: --workers: expected 1..%d, got '%s'\n",
					VSW_WORKERS_MAX, optarg);
				return 2;
			}
			workers_set = true;
			break;
		}
		case 'E':
			if (strcmp(optarg, "native") && strcmp(optarg, "dpdk")) {
				fprintf(stderr,
					"netbackd: --engine: expected native or dpdk, got '%s'\n",
					optarg);
				return 2;
			}
			d.dpdk = !strcmp(optarg, "dpdk");
			break;
		case 'D':
			dpdk_args = optarg;
			break;
		case 'M': {
			char *end;

			data_room = strtoul(optarg, &end, 10);
			if (*end || !*optarg || data_room < 1518 ||
			    data_room > DPDK_DATA_ROOM_MAX) {
				fprintf(stderr,
					"netbackd: --dpdk-data-room: expected 1518..%u bytes, got "
					"'%s'\n",
					(unsigned int)DPDK_DATA_ROOM_MAX, optarg);
				return 2;
			}
			break;
		}
		case 's':
			script_dir = optarg;
			break;
		case 't': {
			char *end;

			hotplug_timeout = strtoul(optarg, &end, 10);
			if (*end || hotplug_timeout < 1 || hotplug_timeout > 3600) {
				fprintf(stderr,
					"netbackd: --hotplug-timeout: expected 1..3600 seconds, "
					"got "
					"'%s'\n",
					optarg);
				return 2;
			}
			break;
		}
		case 'f':
			foreground = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || ((dpdk_args || data_room) && !d.dpdk)) {
		usage(stderr);
		return 2;
	}
	err = mkdir_p(d.rundir, 0755);
	if (err) {
		fprintf(stderr, "netbackd: %s: %s\n", d.rundir, strerror(-err));
		return 1;
	}
	if (!foreground) {
		pid_t pid;

		if (pipe2(ready, O_CLOEXEC) < 0)
			return 1;
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid > 0) {
			char ok = 1;

			close(ready[1]);
			if (read(ready[0], &ok, 1) != 1 || ok != 0) {
				fprintf(stderr, "netbackd: failed to start (see %s/netbackd.log)\n",
					d.rundir);
				return 1;
			}
			return 0;
		}
		close(ready[0]);
		setsid();
		snprintf(logpath, sizeof(logpath), "%s/netbackd.log", d.rundir);
		int lfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		int nfd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (lfd >= 0) {
			dup2(lfd, STDOUT_FILENO);
			dup2(lfd, STDERR_FILENO);
			close(lfd);
		}
		if (nfd >= 0) {
			dup2(nfd, STDIN_FILENO);
			close(nfd);
		}
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	snprintf(path, sizeof(path), "%s/netbackd.pid", d.rundir);
	pidfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (pidfd < 0 || flock(pidfd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "netbackd: %s: another netbackd serves this rundir\n", path);
		goto out;
	}
	{
		char pid[32];
		int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

		if (ftruncate(pidfd, 0) < 0 || pwrite(pidfd, pid, (size_t)n, 0) != n)
			goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	err = nb_hv_open(&d.hv, kind, d.rundir);
	if (err) {
		fprintf(stderr, "netbackd: hypervisor (%s) on %s: %s\n",
			kind == NB_HV_SIM ? "sim" : "xen", d.rundir, strerror(-err));
		goto out;
	}
	if (d.dpdk) {
		/* EAL after the fork and with the signals blocked: its threads inherit the mask,
		 * so SIGTERM still reaches our signalfd. */
		struct vsw_switch_cfg scfg;

		err = dpdk_eal_init(dpdk_args ? dpdk_args : "");
		if (err) {
			fprintf(stderr, "netbackd: DPDK EAL (%s): %s\n", dpdk_args ? dpdk_args : "",
				strerror(-err));
			goto out;
		}
		if (data_room)
			dpdk_engine_set_data_room((uint32_t)data_room);
		/* Guests are offered no GSO: no mbuf holds a 64 KiB frame. */
		cfg.max_frame = dpdk_engine_data_room();
		err = dpdk_engine_switch_cfg(workers_set ? (unsigned int)workers : 0, &scfg);
		if (err) {
			fprintf(stderr, "netbackd: DPDK engine: no worker lcore (-l needs two "
					"lcores or more)\n");
			goto out;
		}
		workers = scfg.n_workers;
		err = vsw_switch_create_cfg(&scfg, &d.sw);
		if (!err)
			err = dpdk_port_register();
	} else {
		err = vsw_switch_create((unsigned int)workers, &d.sw);
	}
	if (err) {
		fprintf(stderr, "netbackd: switch: %s\n", strerror(-err));
		goto out;
	}
	err = port_tap_register();
	if (!err)
		err = port_afpacket_register();
	if (!err)
		err = port_afxdp_register();
	if (!err)
		err = vsw_mode_hostonly_register();
	if (!err)
		err = vsw_mode_isolated_register();
	if (!err)
		err = vsw_mode_route_register();
	if (!err)
		err = vsw_mode_nat_register();
	if (err && err != -EEXIST) {
		fprintf(stderr, "netbackd: registering ports and modes: %s\n", strerror(-err));
		goto out;
	}
	/* Scripts reach XenStore and us the way they would on Xen: through the environment. */
	snprintf(d.env_rundir, sizeof(d.env_rundir), "NETBACK_RUNDIR=%s", d.rundir);
	snprintf(d.env_xs, sizeof(d.env_xs), "XENSTORED_PATH=%s/xenstored/socket", d.rundir);
	snprintf(d.env_path, sizeof(d.env_path), "NETBACK_SCRIPT_DIR=%s", script_dir);
	{
		/* Scripts find nbctl next to us first. */
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		const char *old = getenv("PATH");

		if (n > 0) {
			self[n] = '\0';
			*strrchr(self, '/') = '\0';
		} else {
			strcpy(self, ".");
		}
		snprintf(d.env_bin, sizeof(d.env_bin), "PATH=%s:%s", self,
			 old ? old : "/usr/sbin:/usr/bin:/sbin:/bin");
	}
	d.script_env[0] = d.env_rundir;
	d.script_env[1] = d.env_path;
	d.script_env[2] = d.env_bin;
	d.script_env[3] = kind == NB_HV_SIM ? d.env_xs : NULL;
	d.script_env[4] = NULL;
	snprintf(logpath, sizeof(logpath), "%s/hotplug.log", d.rundir);
	cfg.hv = d.hv;
	cfg.script_dir = script_dir;
	cfg.hotplug_log = logpath;
	cfg.script_env = d.script_env;
	cfg.hotplug_timeout_ms = (unsigned int)hotplug_timeout * 1000u;
	cfg.ops = &nbd_backend_ops;
	cfg.ops_arg = &d;
	err = vsw_loop_create(&d.loop);
	if (err)
		goto out;
	err = nbd_listen(&d);
	if (err) {
		fprintf(stderr, "netbackd: control socket: %s\n", strerror(-err));
		goto out;
	}
	nbd_state_restore(&d);
	err = nb_backend_create(&d.be, &cfg);
	if (err) {
		fprintf(stderr, "netbackd: XenStore: %s\n", strerror(-err));
		goto out;
	}
	d.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	{
		struct itimerspec its = {
			.it_interval = { 0, NB_BACKEND_TICK_MS * 1000000L },
			.it_value = { 0, NB_BACKEND_TICK_MS * 1000000L },
		};

		timerfd_settime(d.timerfd, 0, &its, NULL);
	}
	if (vsw_loop_add(d.loop, d.sigfd, EPOLLIN, nbd_on_signal, &d) ||
	    vsw_loop_add(d.loop, d.timerfd, EPOLLIN, nbd_on_timer, &d) ||
	    vsw_loop_add(d.loop, d.ctl_fd, EPOLLIN, nbd_on_ctl, &d) ||
	    vsw_loop_add(d.loop, nb_backend_watch_fd(d.be), EPOLLIN, nbd_on_watch, &d)) {
		fprintf(stderr, "netbackd: event loop setup failed\n");
		goto out;
	}
	fprintf(stderr, "netbackd: serving %s (hv %s, %s engine, %lu worker%s, scripts %s)\n",
		d.rundir, nb_hv_name(d.hv), d.dpdk ? "dpdk" : "native", workers,
		workers == 1 ? "" : "s", script_dir);
	if (ready[1] >= 0) {
		char ok = 0;

		if (write(ready[1], &ok, 1) != 1)
			goto out;
		close(ready[1]);
		ready[1] = -1;
	}
	vsw_loop_run(d.loop);
	fprintf(stderr, "netbackd: stopping\n");
	rc = 0;
out:
	/* The backend first: it takes vifs off their workers without touching XenStore
	 * state, so guests keep their rings for a restarted netbackd. */
	nbd_capture_forget(&d, NULL);
	nb_backend_destroy(d.be);
	for (unsigned int i = 0; i < NBD_ADDED_MAX; i++)
		if (d.added[i])
			nbd_added_close(&d, i);
	while (d.nets) {
		struct nbd_net *n = d.nets;

		d.nets = n->next;
		nbd_net_teardown(&d, n);
		free(n);
	}
	vsw_switch_destroy(d.sw);
	/* The workers have returned (rte_eal_wait_lcore) and the pools are freed. */
	dpdk_eal_fini();
	nb_hv_close(d.hv);
	vsw_loop_destroy(d.loop);
	if (d.ctl_fd >= 0) {
		snprintf(path, sizeof(path), "%s/%s", d.rundir, NB_CTL_SOCKET);
		unlink(path);
		close(d.ctl_fd);
	}
	if (pidfd >= 0) {
		snprintf(path, sizeof(path), "%s/netbackd.pid", d.rundir);
		unlink(path);
		close(pidfd);
	}
	if (ready[1] >= 0)
		close(ready[1]);
	return rc;
}
