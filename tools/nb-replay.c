/* SPDX-License-Identifier: MIT */
/*
 * nb-replay - deterministic pcap replay of one network through the switch, the engine of the
 * golden tests (tests/pcap/): a switch with no worker threads driven by a virtual clock.
 *
 *   nb-replay --case DIR --out OUTDIR [--advance SECONDS] [--json]
 *             [--engine native|dpdk [--dpdk-args 'EAL ARGS']]
 *
 * DIR/net.conf is one line "MODE [ARGS]"; DIR/ports.conf one line per port "NAME ROLE
 * [IP[/PREFIX] ...]" (ROLE vif|host|uplink|other; blank lines and '#' comments skipped). Each
 * port is a "pcap" port reading DIR/in-NAME.pcap if it exists and writing OUTDIR/out-NAME.pcap.
 * Input frames of all ports are merged by timestamp (ties: the port listed first) and fed
 * one at a time: release one frame, then one switch iteration at its time, so every result
 * is deterministic. The clock never runs backwards (an earlier timestamp runs at the current
 * time), and like a real worker the switch also runs once per virtual second between frames
 * (at most NB_REPLAY_GAP_RUNS_MAX times per gap) so mode ticks see time pass. After the last
 * frame it runs at last + 1 s, then, with --advance, every second up to last + 1 s + SECONDS.
 * OUTDIR/counters.json gets every counter of every port: {"PORT": {"rx_packets": N, ...}}.
 * With --engine dpdk the same replay runs through the DPDK engine's data path: EAL starts
 * (default arguments NB_REPLAY_EAL_ARGS with a file prefix of our own, whose runtime directory
 * is removed at exit), the switch's pool is an mbuf-backed pool (dpdk/dpdk.h), and each port
 * is a "dpdk" port (dpdk/port-ethdev.c) on a ring-backed ethdev (dpdk/ringdev.h). The pcap
 * files are read and written by a "pcap" port beside each one, outside the network: a
 * released input frame is injected into the ethdev's rx ring, and what the ethdev sent is
 * written with the virtual clock after each switch iteration. So the modes run on mbuf
 * buffers and the ports' rx/tx conversions are exercised, in the same deterministic order;
 * counters.json holds the "dpdk" ports' counters.
 * Exit 0 on success, 1 on bad configuration or I/O errors (with a message), 2 on usage.
 */
#include "dpdk/dpdk.h"
#include "dpdk/port-ethdev.h"
#include "dpdk/ringdev.h"
#include "vswitch/mode-basic.h"
#include "vswitch/port-pcap.h"
#include "vswitch/switch.h"

#include "vswitch/mode-nat.h"
#include "vswitch/mode-route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NB_REPLAY_NET	       "golden"
#define NB_REPLAY_LINE_MAX     1024
#define NB_REPLAY_PATH_MAX     240 /* per file path, so two fit in a port argument string */
#define NB_REPLAY_GAP_RUNS_MAX 3600
#define NB_REPLAY_ADVANCE_MAX  (10u * 365 * 24 * 3600)
#define NS_PER_S	       1000000000ull
#define NB_REPLAY_EAL_ARGS                                                                         \
	"-l 0 --no-huge --no-pci -m 256 --no-telemetry --log-level=lib.eal:error --file-prefix="
#define NB_REPLAY_MBUFS 8192

struct nb_replay_port {
	char name[PORT_NAME_SIZE];
	struct vsw_port_cfg cfg;
	struct port *port;
	struct port *io;	   /* dpdk engine: the pcap port beside 'port' */
	struct dpdk_ringdev *ring; /* dpdk engine: the ethdev behind 'port' */
	bool joined;
	struct port_stats stats; /* read before the port is closed */
};

struct nb_replay {
	const char *case_dir;
	const char *out_dir;
	unsigned int advance_s;
	bool json;
	bool dpdk;
	const char *dpdk_args;
	struct pkt_pool *io_pool; /* dpdk engine: buffers between pcap ports and rings */
	char mode[64];
	char mode_args[NB_REPLAY_LINE_MAX];
	struct nb_replay_port ports[VSW_NET_PORTS_MAX];
	unsigned int n_ports;
	struct vsw_switch *sw;
	struct vsw_net *net;
	uint64_t now_ns;
	uint64_t n_frames;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: nb-replay --case DIR --out OUTDIR [--advance SECONDS] [--json]\n"
		   "                 [--engine native|dpdk [--dpdk-args 'EAL ARGS']]\n");
}

static char *
nb_replay_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

static int
nb_replay_read_net(struct nb_replay *r)
{
	char path[NB_REPLAY_PATH_MAX + 16], line[NB_REPLAY_LINE_MAX];
	char *s, *sp;
	FILE *f;

	snprintf(path, sizeof(path), "%s/net.conf", r->case_dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "nb-replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	s = nb_replay_trim(line);
	sp = strpbrk(s, " \t");
	if (sp) {
		*sp = '\0';
		snprintf(r->mode_args, sizeof(r->mode_args), "%s", nb_replay_trim(sp + 1));
	}
	if (!*s || strlen(s) >= sizeof(r->mode)) {
		fprintf(stderr, "nb-replay: %s: expected 'MODE [ARGS]'\n", path);
		return -1;
	}
	snprintf(r->mode, sizeof(r->mode), "%s", s);
	return 0;
}

static int
nb_replay_parse_role(const char *s, enum vsw_port_role *role)
{
	static const struct {
		const char *name;
		enum vsw_port_role role;
	} roles[] = {
		{ "vif", VSW_PORT_VIF },
		{ "host", VSW_PORT_HOST },
		{ "uplink", VSW_PORT_UPLINK },
		{ "other", VSW_PORT_OTHER },
	};

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (!strcmp(s, roles[i].name)) {
			*role = roles[i].role;
			return 0;
		}
	}
	return -EINVAL;
}

static int
nb_replay_parse_ip(char *s, struct vsw_ip *ip)
{
	char *slash = strchr(s, '/');
	unsigned long prefix;
	char *end;

	memset(ip, 0, sizeof(*ip));
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, s, ip->addr) == 1) {
		ip->family = AF_INET;
		ip->prefix = 32;
	} else if (inet_pton(AF_INET6, s, ip->addr) == 1) {
		ip->family = AF_INET6;
		ip->prefix = 128;
	} else {
		return -EINVAL;
	}
	if (slash) {
		errno = 0;
		prefix = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || prefix > ip->prefix)
			return -EINVAL;
		ip->prefix = (uint8_t)prefix;
	}
	return 0;
}

static int
nb_replay_read_ports(struct nb_replay *r)
{
	char path[NB_REPLAY_PATH_MAX + 16], line[NB_REPLAY_LINE_MAX];
	unsigned int lineno = 0;
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/ports.conf", r->case_dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "nb-replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		char *s = nb_replay_trim(line), *save = NULL, *tok;
		struct nb_replay_port *p;

		lineno++;
		if (!*s || *s == '#')
			continue;
		if (r->n_ports >= VSW_NET_PORTS_MAX) {
			fprintf(stderr, "nb-replay: %s: more than %d ports\n", path,
				VSW_NET_PORTS_MAX);
			rc = -1;
			break;
		}
		p = &r->ports[r->n_ports];
		memset(p, 0, sizeof(*p));
		tok = strtok_r(s, " \t", &save);
		if (!tok || strlen(tok) >= sizeof(p->name)) {
			rc = -1;
		} else {
			snprintf(p->name, sizeof(p->name), "%s", tok);
			tok = strtok_r(NULL, " \t", &save);
			if (!tok || nb_replay_parse_role(tok, &p->cfg.role))
				rc = -1;
		}
		while (rc == 0 && (tok = strtok_r(NULL, " \t", &save))) {
			if (p->cfg.n_ips >= VSW_PORT_IPS_MAX ||
			    nb_replay_parse_ip(tok, &p->cfg.ips[p->cfg.n_ips]))
				rc = -1;
			else
				p->cfg.n_ips++;
		}
		if (rc)
			fprintf(stderr,
				"nb-replay: %s:%u: expected 'NAME ROLE [IP[/PREFIX] ...]'\n", path,
				lineno);
		else
			r->n_ports++;
	}
	fclose(f);
	if (rc == 0 && r->n_ports == 0) {
		fprintf(stderr, "nb-replay: %s: no ports\n", path);
		rc = -1;
	}
	return rc;
}

static int
nb_replay_register(bool dpdk)
{
	int err = port_pcap_register();

	if (!err)
		err = vsw_mode_hostonly_register();
	if (!err)
		err = vsw_mode_isolated_register();
	if (!err)
		err = vsw_mode_route_register();
	if (!err)
		err = vsw_mode_nat_register();
	if (!err && dpdk)
		err = dpdk_port_register();
	return err;
}

static int
nb_replay_pool_create(void *arg, unsigned int id, struct pkt_pool **poolp)
{
	(void)arg;
	return dpdk_pool_create(id, NB_REPLAY_MBUFS, 0, poolp);
}

static void
nb_replay_pool_destroy(void *arg, unsigned int id, struct pkt_pool *pool)
{
	(void)arg;
	(void)id;
	dpdk_pool_destroy(pool);
}

/* DPDK engine: port 'p' is a "dpdk" port on a ring ethdev, its files a pcap port's. */
static int
nb_replay_open_dpdk(struct nb_replay *r, struct nb_replay_port *p, const char *pcap_args)
{
	char name[PORT_NAME_SIZE], dev[32];
	int err;

	snprintf(name, sizeof(name), "io.%u", (unsigned int)(p - r->ports));
	snprintf(dev, sizeof(dev), "nbr%u", (unsigned int)(p - r->ports));
	err = port_open("pcap", name, pcap_args, &p->io);
	if (!err)
		err = port_set_mtu(p->io, PORT_MTU_MAX);
	if (!err)
		err = dpdk_ringdev_create(dev, &p->ring);
	if (!err)
		err = port_open("dpdk", p->name, dpdk_ringdev_name(p->ring), &p->port);
	return err;
}

static int
nb_replay_setup(struct nb_replay *r)
{
	char args[PORT_ARGS_MAX_LEN + 1], in[NB_REPLAY_PATH_MAX + 1], out[NB_REPLAY_PATH_MAX + 1];
	struct stat st;
	int err;

	if (r->dpdk) {
		struct vsw_switch_cfg cfg = {
			.pool_create = nb_replay_pool_create,
			.pool_destroy = nb_replay_pool_destroy,
		};

		err = vsw_switch_create_cfg(&cfg, &r->sw);
		if (!err)
			err = pkt_pool_create(64, 0, &r->io_pool);
	} else {
		err = vsw_switch_create(0, &r->sw);
	}
	if (!err)
		err = vsw_net_create(r->sw, NB_REPLAY_NET, r->mode,
				     r->mode_args[0] ? r->mode_args : NULL, &r->net);
	if (err) {
		fprintf(stderr, "nb-replay: network '%s %s': %s\n", r->mode, r->mode_args,
			strerror(-err));
		return -1;
	}
	for (unsigned int i = 0; i < r->n_ports; i++) {
		struct nb_replay_port *p = &r->ports[i];
		int n_in, n_out;

		n_in = snprintf(in, sizeof(in), "%s/in-%s.pcap", r->case_dir, p->name);
		n_out = snprintf(out, sizeof(out), "%s/out-%s.pcap", r->out_dir, p->name);
		if (n_in < 0 || n_in >= (int)sizeof(in) || n_out < 0 || n_out >= (int)sizeof(out) ||
		    strchr(in, ',') || strchr(out, ',')) {
			fprintf(stderr, "nb-replay: port %s: path too long or has a ','\n",
				p->name);
			return -1;
		}
		if (stat(in, &st) == 0)
			snprintf(args, sizeof(args), "in=%s,out=%s,step=1", in, out);
		else
			snprintf(args, sizeof(args), "out=%s,step=1", out);
		if (r->dpdk)
			err = nb_replay_open_dpdk(r, p, args);
		else
			err = port_open("pcap", p->name, args, &p->port);
		if (err) {
			fprintf(stderr, "nb-replay: port %s (%s): %s\n", p->name, args,
				strerror(-err));
			return -1;
		}
		err = vsw_net_add_port(r->net, p->port, &p->cfg);
		if (err) {
			fprintf(stderr, "nb-replay: port %s cannot join the %s network: %s\n",
				p->name, r->mode, strerror(-err));
			return -1;
		}
		p->joined = true;
	}
	return 0;
}

/* The port that reads and writes the files of 'p'. */
static struct port *
nb_replay_files(const struct nb_replay_port *p)
{
	return p->io ? p->io : p->port;
}

struct nb_replay_out {
	struct nb_replay *r;
	struct port *io;
};

/* DPDK engine: a frame the ethdev sent goes to the pcap port's file. */
static void
nb_replay_write_frame(void *arg, const void *data, uint32_t len)
{
	struct nb_replay_out *o = arg;
	struct pkt_batch b = { .count = 0 };
	struct pkt *p = pkt_alloc(o->r->io_pool);

	if (!p)
		return;
	if (!pkt_put(p, len)) {
		pkt_free(p);
		return;
	}
	memcpy(pkt_data(p), data, len);
	pkt_batch_add(&b, p);
	port_tx_burst(o->io, 0, &b);
}

/* DPDK engine: released input frames go into the ethdevs' rx rings. */
static void
nb_replay_pump(struct nb_replay *r)
{
	for (unsigned int i = 0; i < r->n_ports; i++) {
		struct nb_replay_port *p = &r->ports[i];
		struct pkt_batch b = { .count = 0 };

		if (!p->io)
			continue;
		port_rx_burst(p->io, 0, r->io_pool, &b);
		for (unsigned int k = 0; k < b.count; k++)
			if (dpdk_ringdev_inject(p->ring, pkt_data(b.pkts[k]), b.pkts[k]->len))
				fprintf(stderr, "nb-replay: port %s: frame not injected\n",
					p->name);
		pkt_batch_free(&b);
	}
}

static void
nb_replay_run(struct nb_replay *r, uint64_t t)
{
	if (t < r->now_ns)
		t = r->now_ns;
	r->now_ns = t;
	for (unsigned int i = 0; i < r->n_ports; i++)
		port_pcap_set_clock(nb_replay_files(&r->ports[i]), t);
	if (r->dpdk)
		nb_replay_pump(r);
	vsw_switch_run_once(r->sw, t);
	for (unsigned int i = 0; r->dpdk && i < r->n_ports; i++) {
		struct nb_replay_out o = { .r = r, .io = r->ports[i].io };

		dpdk_ringdev_drain(r->ports[i].ring, nb_replay_write_frame, &o);
	}
}

/* The switch runs every virtual second up to (not including) 't', as a worker would. */
static void
nb_replay_run_until(struct nb_replay *r, uint64_t t)
{
	for (unsigned int k = 0; k < NB_REPLAY_GAP_RUNS_MAX && r->now_ns + NS_PER_S < t; k++)
		nb_replay_run(r, r->now_ns + NS_PER_S);
}

static void
nb_replay_feed(struct nb_replay *r)
{
	bool started = false;

	for (;;) {
		struct nb_replay_port *next = NULL;
		uint64_t best = 0, ns;

		for (unsigned int i = 0; i < r->n_ports; i++) {
			if (port_pcap_next_ns(nb_replay_files(&r->ports[i]), &ns) == 0 &&
			    (!next || ns < best)) {
				next = &r->ports[i];
				best = ns;
			}
		}
		if (!next)
			break;
		if (started)
			nb_replay_run_until(r, best);
		else
			r->now_ns = best;
		started = true;
		port_pcap_release(nb_replay_files(next), 1);
		nb_replay_run(r, best);
		r->n_frames++;
	}
	nb_replay_run(r, r->now_ns + NS_PER_S);
	if (r->advance_s) {
		uint64_t end = r->now_ns + (uint64_t)r->advance_s * NS_PER_S;

		nb_replay_run_until(r, end);
		nb_replay_run(r, end);
	}
}

static void
nb_replay_teardown(struct nb_replay *r)
{
	for (unsigned int i = 0; i < r->n_ports; i++) {
		struct nb_replay_port *p = &r->ports[i];

		if (p->joined)
			vsw_net_del_port(r->sw, p->port);
		if (p->port)
			port_get_stats(p->port, &p->stats);
		port_close(p->port);
		p->port = NULL;
		port_close(p->io);
		p->io = NULL;
		dpdk_ringdev_destroy(p->ring);
		p->ring = NULL;
	}
	if (r->net)
		vsw_net_destroy(r->net);
	vsw_switch_destroy(r->sw);
	pkt_pool_destroy(r->io_pool);
}

static void
nb_replay_write_json(const struct nb_replay *r, FILE *f)
{
	fprintf(f, "{\n");
	for (unsigned int i = 0; i < r->n_ports; i++) {
		const struct port_stats *st = &r->ports[i].stats;

		fprintf(f, "  \"%s\": {\n", r->ports[i].name);
		fprintf(f, "    \"rx_packets\": %llu,\n", (unsigned long long)st->rx_packets);
		fprintf(f, "    \"rx_bytes\": %llu,\n", (unsigned long long)st->rx_bytes);
		fprintf(f, "    \"tx_packets\": %llu,\n", (unsigned long long)st->tx_packets);
		fprintf(f, "    \"tx_bytes\": %llu", (unsigned long long)st->tx_bytes);
		for (unsigned int c = 0; c < VSW_CTR_N; c++)
			fprintf(f, ",\n    \"%s\": %llu", vsw_counter_name((enum vsw_counter)c),
				(unsigned long long)st->ctrs.c[c]);
		fprintf(f, "\n  }%s\n", i + 1 < r->n_ports ? "," : "");
	}
	fprintf(f, "}\n");
}

static int
nb_replay_save(const struct nb_replay *r)
{
	char path[NB_REPLAY_PATH_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/counters.json", r->out_dir);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "nb-replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	nb_replay_write_json(r, f);
	if (fclose(f)) {
		fprintf(stderr, "nb-replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (r->json)
		nb_replay_write_json(r, stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "advance", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "engine", required_argument, NULL, 'e' },
		{ "dpdk-args", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct nb_replay r;
	unsigned long v;
	char *end;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			r.case_dir = optarg;
			break;
		case 'o':
			r.out_dir = optarg;
			break;
		case 'a':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v > NB_REPLAY_ADVANCE_MAX) {
				usage(stderr);
				return 2;
			}
			r.advance_s = (unsigned int)v;
			break;
		case 'j':
			r.json = true;
			break;
		case 'e':
			if (strcmp(optarg, "native") && strcmp(optarg, "dpdk")) {
				usage(stderr);
				return 2;
			}
			r.dpdk = !strcmp(optarg, "dpdk");
			break;
		case 'd':
			r.dpdk_args = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!r.case_dir || !r.out_dir || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (strlen(r.case_dir) > NB_REPLAY_PATH_MAX - 32 ||
	    strlen(r.out_dir) > NB_REPLAY_PATH_MAX - 32) {
		fprintf(stderr, "nb-replay: path too long\n");
		return 1;
	}
	if (nb_replay_read_net(&r) || nb_replay_read_ports(&r))
		return 1;
	if (r.dpdk) {
		static char eal_args[512];

		if (!r.dpdk_args) {
			snprintf(eal_args, sizeof(eal_args), "%snb-replay-%ld", NB_REPLAY_EAL_ARGS,
				 (long)getpid());
			r.dpdk_args = eal_args;
		}
		rc = dpdk_eal_init(r.dpdk_args);
		if (rc) {
			fprintf(stderr, "nb-replay: DPDK EAL (%s): %s\n", r.dpdk_args,
				strerror(-rc));
			return 1;
		}
	}
	rc = nb_replay_register(r.dpdk);
	if (rc) {
		dpdk_eal_fini();
		fprintf(stderr, "nb-replay: registering classes and modes: %s\n", strerror(-rc));
		return 1;
	}
	rc = nb_replay_setup(&r) ? 1 : 0;
	if (rc == 0)
		nb_replay_feed(&r);
	nb_replay_teardown(&r);
	dpdk_eal_fini();
	if (rc == 0 && nb_replay_save(&r))
		rc = 1;
	return rc;
}
