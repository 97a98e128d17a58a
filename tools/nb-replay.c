/* SPDX-License-Identifier: MIT */
/*
 * nb-replay - deterministic pcap replay of one network through the switch, the engine of the
 * golden tests (tests/pcap/): a switch with no worker threads driven by a virtual clock.
 *
 *   nb-replay --case DIR --out OUTDIR [--advance SECONDS] [--json]
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
 * Exit 0 on success, 1 on bad configuration or I/O errors (with a message), 2 on usage.
 */
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

struct nb_replay_port {
	char name[PORT_NAME_SIZE];
	struct vsw_port_cfg cfg;
	struct port *port;
	bool joined;
	struct port_stats stats; /* read before the port is closed */
};

struct nb_replay {
	const char *case_dir;
	const char *out_dir;
	unsigned int advance_s;
	bool json;
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
	fprintf(f, "usage: nb-replay --case DIR --out OUTDIR [--advance SECONDS] [--json]\n");
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
nb_replay_register(void)
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
	return err;
}

static int
nb_replay_setup(struct nb_replay *r)
{
	char args[PORT_ARGS_MAX_LEN + 1], in[NB_REPLAY_PATH_MAX + 1], out[NB_REPLAY_PATH_MAX + 1];
	struct stat st;
	int err;

	err = vsw_switch_create(0, &r->sw);
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

static void
nb_replay_run(struct nb_replay *r, uint64_t t)
{
	if (t < r->now_ns)
		t = r->now_ns;
	r->now_ns = t;
	for (unsigned int i = 0; i < r->n_ports; i++)
		port_pcap_set_clock(r->ports[i].port, t);
	vsw_switch_run_once(r->sw, t);
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
			if (port_pcap_next_ns(r->ports[i].port, &ns) == 0 && (!next || ns < best)) {
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
		port_pcap_release(next->port, 1);
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
	}
	if (r->net)
		vsw_net_destroy(r->net);
	vsw_switch_destroy(r->sw);
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
	rc = nb_replay_register();
	if (rc) {
		fprintf(stderr, "nb-replay: registering classes and modes: %s\n", strerror(-rc));
		return 1;
	}
	rc = nb_replay_setup(&r) ? 1 : 0;
	if (rc == 0)
		nb_replay_feed(&r);
	nb_replay_teardown(&r);
	if (rc == 0 && nb_replay_save(&r))
		rc = 1;
	return rc;
}
