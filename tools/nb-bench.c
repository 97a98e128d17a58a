/* SPDX-License-Identifier: MIT */
/*
 * nb-bench - pcap replay benchmark over netback's vifs: a generator guest replays a pcap into
 * its vif's TX ring and a sink guest drains its vif's RX ring, both simulated guests of
 * nb-simhv driven by one thread (tools/guest/netfront.h direct data path).
 *
 *   nb-bench --rundir DIR --pcap FILE [--gen DOMID[:NETNS]] [--sink DOMID[:NETNS]]
 *            [--loops N | --seconds T] [--rate PPS | --timing] [--warmup S]
 *            [--gen-ip IP] [--sink-ip IP] [--resolve IP] [--dst-mac MAC]
 *            [--verify] [--capture FILE] [--cdf FILE] [--count-port PORT] [--json]
 *
 * The generator's frames are loaded once into guest pages granted read-only to the backend
 * (packed, never across a page), so sending a frame is one ring request and, for frames
 * carrying the stamp placeholder (tools/bench/bench.h), a 12-byte stamp of sequence number
 * and CLOCK_MONOTONIC time. It sends as fast as the ring takes them, at --rate, or with the
 * file's own gaps (--timing), looping the file N times or for T seconds. The sink reposts RX
 * buffers, counts frames and bytes, checks sequence numbers, computes latency percentiles from
 * the stamps (same host clock), and with --verify compares each frame with the one sent under
 * its sequence number (bridged traffic only: routers and NAT rewrite headers). Either role
 * may be left out (vif->uplink: no sink; --count-port names the port whose tx_packets count
 * as forwarded). Each guest answers ARP for its --*-ip; --resolve asks the network for the
 * MAC of an IP (the router's proxy ARP, a gateway) and sends every frame to it.
 *
 * Drops by reason come from `nbctl stats --json` (run next to this binary) before and after
 * the measurement. The report is a table, or one JSON object with --json. Exit status 0 if the
 * run completed (whatever was lost), 1 on errors.
 */
#include "netback/hv/sim-client.h"
#include "tools/bench/bench.h"
#include "tools/guest/netfront.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#define BENCH_MIN_FRAMES    1024u /* well over the 256 slots that may be in flight */
#define BENCH_CONNECT_MS    20000
#define BENCH_DRAIN_IDLE_MS 200
#define BENCH_DRAIN_MAX_MS  2000
#define BENCH_SERVICE_NS    50000000ull /* XenStore housekeeping every 50 ms */
#define BENCH_RESOLVE_MS    5000
#define BENCH_MAX_CTRS_JSON (1u << 20)

struct bench_opts {
	char rundir[PATH_MAX];
	const char *pcap;
	unsigned int gen_domid, sink_domid;
	const char *gen_netns, *sink_netns;
	uint64_t loops;
	double seconds, warmup, rate;
	bool timing, verify, json;
	uint32_t gen_ip, sink_ip, resolve_ip; /* network order, 0 = none */
	bool have_dst_mac;
	uint8_t dst_mac[6];
	const char *capture, *cdf, *count_port;
};

/* One simulated guest with its claimed vif. */
struct bench_guest {
	const char *role;
	unsigned int domid;
	struct xs_handle *xs;
	int epfd;
	struct nb_nf_guest *nf;
	struct nb_nf_direct d;
	uint32_t ip; /* answers ARP for it (network order), 0 = none */
	uint64_t arp_answered;
	uint64_t other_rx; /* frames received that were not the sink's measurement */
};

struct bench_sink {
	struct bench_seq seq;
	struct bench_hist hist;
	uint64_t frames, bytes, unstamped;
	uint64_t verify_ok, verify_bad;
	uint64_t now_ns; /* receive time of the current poll */
	uint64_t last_rx_ns;
	pcap_dumper_t *dump;
	pcap_t *dump_pcap;
};

struct bench {
	struct bench_opts *o;
	struct bench_trace t;
	struct bench_guest gen, sink;
	bool have_gen, have_sink;
	/* generator */
	uint8_t **pages;
	uint32_t *refs;
	uint64_t *gfns;
	size_t n_pages;
	uint32_t *fref; /* grant of each frame */
	uint16_t *foff; /* its offset in the page */
	uint8_t **fptr; /* the frame as sent, in its granted page */
	uint64_t sent, sent_bytes, seq;
	size_t next; /* next frame index */
	struct bench_sink s;
	bool trace_mcast; /* the trace has multicast or broadcast destinations */
	/* resolve */
	bool resolved;
	uint8_t resolved_mac[6];
};

static volatile sig_atomic_t bench_stop;

static void
on_sig(int sig)
{
	(void)sig;
	bench_stop = 1;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: nb-bench --rundir DIR --pcap FILE [--gen DOMID[:NETNS]] "
		"[--sink DOMID[:NETNS]]\n"
		"         [--loops N | --seconds T] [--rate PPS | --timing] [--warmup S]\n"
		"         [--gen-ip IP] [--sink-ip IP] [--resolve IP] [--dst-mac MAC]\n"
		"         [--verify] [--capture FILE] [--cdf FILE] [--count-port PORT] [--json]\n");
}

static int
parse_role(const char *arg, unsigned int *domid, const char **netns)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || v == 0 || v >= NB_SIM_DOMID_LIMIT)
		return -EINVAL;
	*domid = (unsigned int)v;
	if (*end == ':' && end[1])
		*netns = end + 1;
	else if (*end)
		return -EINVAL;
	return 0;
}

static int
parse_ip(const char *s, uint32_t *ip)
{
	unsigned int a, b, c, d;
	char tail;

	if (sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 || b > 255 ||
	    c > 255 || d > 255)
		return -EINVAL;
	/* Network order, as it appears in frames. */
	{
		uint8_t *p = (uint8_t *)ip;

		p[0] = (uint8_t)a;
		p[1] = (uint8_t)b;
		p[2] = (uint8_t)c;
		p[3] = (uint8_t)d;
	}
	return 0;
}

static int
parse_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "gen", required_argument, NULL, 'g' },
		{ "sink", required_argument, NULL, 's' },
		{ "loops", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 'R' },
		{ "timing", no_argument, NULL, 'T' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "gen-ip", required_argument, NULL, 'G' },
		{ "sink-ip", required_argument, NULL, 'S' },
		{ "resolve", required_argument, NULL, 'a' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "verify", no_argument, NULL, 'v' },
		{ "capture", required_argument, NULL, 'c' },
		{ "cdf", required_argument, NULL, 'C' },
		{ "count-port", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rundir = getenv("NETBACK_RUNDIR") ? getenv("NETBACK_RUNDIR") : "/run/netback";
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		double v;
		int err = 0;

		switch (c) {
		case 'r':
			rundir = optarg;
			break;
		case 'p':
			o->pcap = optarg;
			break;
		case 'g':
			err = parse_role(optarg, &o->gen_domid, &o->gen_netns);
			break;
		case 's':
			err = parse_role(optarg, &o->sink_domid, &o->sink_netns);
			break;
		case 'n':
			err = bench_parse_si(optarg, &v);
			o->loops = (uint64_t)v;
			break;
		case 't':
			err = bench_parse_si(optarg, &o->seconds);
			break;
		case 'R':
			err = bench_parse_si(optarg, &o->rate);
			break;
		case 'T':
			o->timing = true;
			break;
		case 'w':
			err = bench_parse_si(optarg, &o->warmup);
			break;
		case 'G':
			err = parse_ip(optarg, &o->gen_ip);
			break;
		case 'S':
			err = parse_ip(optarg, &o->sink_ip);
			break;
		case 'a':
			err = parse_ip(optarg, &o->resolve_ip);
			break;
		case 'm':
			err = bench_parse_mac(optarg, o->dst_mac);
			o->have_dst_mac = true;
			break;
		case 'v':
			o->verify = true;
			break;
		case 'c':
			o->capture = optarg;
			break;
		case 'C':
			o->cdf = optarg;
			break;
		case 'P':
			o->count_port = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (err) {
			fprintf(stderr, "nb-bench: bad value '%s'\n", optarg);
			return -EINVAL;
		}
	}
	if (optind != argc || !o->pcap || (!o->gen_domid && !o->sink_domid) ||
	    (o->rate > 0 && o->timing)) {
		usage(stderr);
		return -EINVAL;
	}
	if (!o->loops && o->seconds <= 0)
		o->loops = 1;
	if (!realpath(rundir, o->rundir)) {
		fprintf(stderr, "nb-bench: %s: %s\n", rundir, strerror(errno));
		return -errno;
	}
	return 0;
}

/* ---- guests --------------------------------------------------------------------------- */

static int
join_netns(const char *name)
{
	char path[PATH_MAX];
	int fd, err;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
	close(fd);
	return err;
}

static void
guest_dispatch(struct bench_guest *g, int timeout_ms)
{
	struct epoll_event evs[16];
	int n = epoll_wait(g->epfd, evs, 16, timeout_ms), i;

	for (i = 0; i < n; i++) {
		struct nb_nf_poll *p = evs[i].data.ptr;

		p->fn(p, evs[i].events);
	}
	nb_nf_guest_run(g->nf);
}

/* Attaches as domain 'domid' (its TAP in 'netns', if given) and claims vif 0 once it is
 * connected. */
static int
guest_open(struct bench *b, struct bench_guest *g, unsigned int domid, const char *netns)
{
	char xs_path[PATH_MAX];
	struct nb_nf_guest_cfg cfg;
	uint64_t deadline = now_ns() + (uint64_t)BENCH_CONNECT_MS * 1000000ull;
	int err;

	g->domid = domid;
	g->epfd = -1;
	if (netns) {
		err = join_netns(netns);
		if (err) {
			fprintf(stderr, "nb-bench: netns %s: %s\n", netns, strerror(-err));
			return err;
		}
	}
	err = nb_sim_dom_xs_path(b->o->rundir, domid, xs_path, sizeof(xs_path));
	if (err)
		return err;
	/* libxenstore reads XENSTORED_PATH at open: the guest's own, unprivileged socket. */
	setenv("XENSTORED_PATH", xs_path, 1);
	g->xs = xs_open(0);
	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!g->xs || g->epfd < 0) {
		fprintf(stderr, "nb-bench: %s: xenstore/epoll: %s\n", g->role, strerror(errno));
		return -EIO;
	}
	cfg = (struct nb_nf_guest_cfg){
		.rundir = b->o->rundir,
		.domid = domid,
		.xs = g->xs,
		.epfd = g->epfd,
	};
	err = nb_nf_guest_open(&g->nf, &cfg);
	if (err) {
		fprintf(stderr, "nb-bench: %s: attaching as domain %u: %s\n", g->role, domid,
			strerror(-err));
		return err;
	}
	for (;;) {
		guest_dispatch(g, 100);
		err = nb_nf_guest_direct(g->nf, 0, &g->d);
		if (err != -EAGAIN && err != -ENOENT)
			break;
		if (now_ns() > deadline || bench_stop) {
			err = -ETIMEDOUT;
			break;
		}
	}
	if (err)
		fprintf(stderr, "nb-bench: %s: vif 0 of domain %u not connected: %s\n", g->role,
			domid, strerror(-err));
	return err;
}

static void
guest_close(struct bench_guest *g)
{
	if (g->nf) {
		nb_nf_guest_shutdown(g->nf, 5000);
		nb_nf_guest_close(g->nf);
	}
	if (g->xs)
		xs_close(g->xs);
	if (g->epfd >= 0)
		close(g->epfd);
}

/* ---- ARP ------------------------------------------------------------------------------ */

static void
arp_frame(uint8_t f[60], uint16_t op, const uint8_t *smac, uint32_t sip, const uint8_t *tmac,
	  uint32_t tip, const uint8_t *dst)
{
	static const uint8_t hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 0 };

	memset(f, 0, 60);
	memcpy(f, dst, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	memcpy(f + 14, hdr, 8);
	f[21] = (uint8_t)op;
	memcpy(f + 22, smac, 6);
	memcpy(f + 28, &sip, 4);
	memcpy(f + 32, tmac, 6);
	memcpy(f + 38, &tip, 4);
}

static void
guest_send_raw(struct bench_guest *g, const uint8_t *f, size_t len)
{
	nb_nf_tx_gc(g->d.tx, g->d.st);
	if (nb_nf_tx_send(g->d.tx, f, len) > 0 && nb_nf_tx_push(g->d.tx))
		nb_nf_guest_direct_notify(g->nf, g->d.tx_port);
}

/* Answers an ARP request for g->ip; records a reply for the address being resolved. Returns
 * true if the frame was ARP. */
static bool
guest_arp(struct bench *b, struct bench_guest *g, const uint8_t *f, size_t len)
{
	uint32_t sip, tip;
	uint8_t r[60];

	if (len < 42 || f[12] != 0x08 || f[13] != 0x06 || f[14] != 0 || f[15] != 1)
		return false;
	memcpy(&sip, f + 28, 4);
	memcpy(&tip, f + 38, 4);
	if (f[21] == 1 && g->ip && tip == g->ip) {
		arp_frame(r, 2, g->d.mac, g->ip, f + 22, sip, f + 6);
		guest_send_raw(g, r, sizeof(r));
		g->arp_answered++;
	} else if (f[21] == 2 && b->o->resolve_ip && sip == b->o->resolve_ip && g == &b->gen) {
		memcpy(b->resolved_mac, f + 22, 6);
		b->resolved = true;
	}
	return true;
}

/* ---- sink ----------------------------------------------------------------------------- */

static int
sink_deliver(void *arg, const uint8_t *frame, size_t size)
{
	struct bench *b = arg;
	struct bench_sink *s = &b->s;
	uint32_t seq;
	uint64_t ts;

	if (guest_arp(b, &b->sink, frame, size))
		return 0;
	/* The network's own multicast (IPv6 neighbour discovery of a TAP, say) is not ours,
	 * unless the trace itself sends multicast. */
	if ((frame[0] & 1) && !b->trace_mcast) {
		b->sink.other_rx++;
		return 0;
	}
	s->frames++;
	s->bytes += size;
	s->last_rx_ns = s->now_ns;
	if (s->dump) {
		struct pcap_pkthdr h = { .caplen = (bpf_u_int32)size, .len = (bpf_u_int32)size };

		h.ts.tv_sec = (time_t)(s->now_ns / 1000000000ull);
		h.ts.tv_usec = (suseconds_t)(s->now_ns % 1000000000ull / 1000);
		pcap_dump((u_char *)s->dump, &h, frame);
	}
	if (!bench_stamp_read(frame, size, &seq, &ts)) {
		s->unstamped++;
		return 0;
	}
	bench_seq_add(&s->seq, seq);
	bench_hist_add(&s->hist, s->now_ns > ts ? s->now_ns - ts : 0);
	if (b->o->verify && b->have_gen && b->fptr) {
		size_t i = seq % b->t.n;
		const struct bench_frame *f = &b->t.f[i];
		const uint8_t *want = b->fptr[i];
		bool same = f->len == size && f->stamp >= 0 &&
			    !memcmp(want, frame, (size_t)f->stamp + 4) &&
			    !memcmp(want + f->stamp + BENCH_STAMP_LEN,
				    frame + f->stamp + BENCH_STAMP_LEN,
				    size - (size_t)f->stamp - BENCH_STAMP_LEN);

		if (same)
			s->verify_ok++;
		else
			s->verify_bad++;
	}
	return 0;
}

static int
other_deliver(void *arg, const uint8_t *frame, size_t size)
{
	struct bench *b = arg;

	if (!guest_arp(b, &b->gen, frame, size))
		b->gen.other_rx++;
	return 0;
}

/* Drains a guest's RX ring; returns frames consumed or -EPROTO. */
static int
guest_rx(struct bench *b, struct bench_guest *g, nb_nf_rx_deliver_fn *fn)
{
	bool more = true;
	int total = 0;

	while (more) {
		int n = nb_nf_rx_poll(g->d.rx, NB_NF_BATCH, fn, b, g->d.st, &more);

		if (n < 0)
			return n;
		total += n;
		if (n == 0)
			break;
	}
	if (nb_nf_rx_push(g->d.rx))
		nb_nf_guest_direct_notify(g->nf, g->d.rx_port);
	return total;
}

/* ---- generator ------------------------------------------------------------------------ */

/* Packs the frames into granted pages (never across a page end, 64-byte aligned). */
static int
gen_preload(struct bench *b)
{
	size_t i, page = 0, off = 0, need = 1;
	int err;

	for (i = 0; i < b->t.n; i++) {
		size_t len = b->t.f[i].len;

		if (len > NB_XEN_PAGE_SIZE)
			return -E2BIG;
		if (off + len > NB_XEN_PAGE_SIZE) {
			need++;
			off = 0;
		}
		off = (off + len + 63) & ~(size_t)63;
	}
	b->n_pages = need;
	b->pages = calloc(need, sizeof(*b->pages));
	b->refs = calloc(need, sizeof(*b->refs));
	b->gfns = calloc(need, sizeof(*b->gfns));
	b->fref = calloc(b->t.n, sizeof(*b->fref));
	b->foff = calloc(b->t.n, sizeof(*b->foff));
	b->fptr = calloc(b->t.n, sizeof(*b->fptr));
	if (!b->pages || !b->refs || !b->gfns || !b->fref || !b->foff || !b->fptr)
		return -ENOMEM;
	err = nb_nf_guest_grant_pages(b->gen.nf, b->gen.d.be_domid, true, need, b->pages, b->refs,
				      b->gfns);
	if (err) {
		b->n_pages = 0;
		fprintf(stderr, "nb-bench: granting %zu pages for %zu frames: %s%s\n", need, b->t.n,
			strerror(-err),
			err == -ENOMEM ? " (give the generator's domain more --memory)" : "");
		return err;
	}
	off = 0;
	for (i = 0; i < b->t.n; i++) {
		size_t len = b->t.f[i].len;

		if (off + len > NB_XEN_PAGE_SIZE) {
			page++;
			off = 0;
		}
		memcpy(b->pages[page] + off, b->t.buf + b->t.f[i].off, len);
		b->fref[i] = b->refs[page];
		b->foff[i] = (uint16_t)off;
		b->fptr[i] = b->pages[page] + off;
		off = (off + len + 63) & ~(size_t)63;
	}
	return 0;
}

/* Sends up to 'budget' frames; returns how many. Every frame takes the next sequence number
 * (the count of frames sent so far), so frame index = sequence mod frames in the trace. */
static unsigned int
gen_send(struct bench *b, unsigned int budget, uint64_t now)
{
	unsigned int n = 0;

	while (n < budget) {
		size_t i = b->next;
		const struct bench_frame *f = &b->t.f[i];

		if (nb_nf_tx_queue_ref(b->gen.d.tx, b->fref[i], b->foff[i], f->len) < 0)
			break;
		if (f->stamp >= 0)
			bench_stamp_write(b->fptr[i], (unsigned int)f->stamp,
					  (uint32_t)(b->sent + n), now);
		n++;
		b->sent_bytes += f->len;
		b->next = i + 1 == b->t.n ? 0 : i + 1;
	}
	b->sent += n;
	return n;
}

/* ---- counters ------------------------------------------------------------------------- */

static int
read_ctrs(struct bench *b, struct bench_ctrs *c)
{
	char exe[PATH_MAX], cmd[PATH_MAX * 3];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *buf, *slash;
	size_t len = 0;
	FILE *p;
	int err;

	memset(c, 0, sizeof(*c));
	if (n <= 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(cmd, sizeof(cmd), "'%s/nbctl' --rundir '%s' stats --json 2>/dev/null", exe,
		 b->o->rundir);
	buf = malloc(BENCH_MAX_CTRS_JSON);
	if (!buf)
		return -ENOMEM;
	p = popen(cmd, "r");
	if (!p) {
		free(buf);
		return -errno;
	}
	while (len + 1 < BENCH_MAX_CTRS_JSON) {
		size_t r = fread(buf + len, 1, BENCH_MAX_CTRS_JSON - 1 - len, p);

		if (r == 0)
			break;
		len += r;
	}
	buf[len] = '\0';
	err = pclose(p) == 0 ? bench_ctrs_parse(c, buf, b->o->count_port) : -EIO;
	free(buf);
	return err;
}

/* ---- run ------------------------------------------------------------------------------ */

static int
service(struct bench *b)
{
	if (b->have_gen) {
		guest_dispatch(&b->gen, 0);
		if (!nb_nf_guest_direct_ok(b->gen.nf, &b->gen.d))
			return -ENOTCONN;
	}
	if (b->have_sink) {
		guest_dispatch(&b->sink, 0);
		if (!nb_nf_guest_direct_ok(b->sink.nf, &b->sink.d))
			return -ENOTCONN;
	}
	return 0;
}

static int
resolve(struct bench *b)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6] = { 0 };
	uint64_t deadline = now_ns() + (uint64_t)BENCH_RESOLVE_MS * 1000000ull, next = 0;
	uint8_t f[60];

	while (!b->resolved && !bench_stop) {
		uint64_t t = now_ns();

		if (t > deadline)
			return -ETIMEDOUT;
		if (t >= next) {
			arp_frame(f, 1, b->gen.d.mac, b->o->gen_ip, zero, b->o->resolve_ip, bcast);
			guest_send_raw(&b->gen, f, sizeof(f));
			next = t + 200000000ull;
		}
		if (guest_rx(b, &b->gen, other_deliver) < 0)
			return -EPROTO;
		if (b->have_sink && guest_rx(b, &b->sink, sink_deliver) < 0)
			return -EPROTO;
		usleep(1000);
	}
	return b->resolved ? 0 : -EINTR;
}

struct bench_result {
	double secs;
	uint64_t sent, sent_bytes, fwd, fwd_bytes;
	struct bench_ctrs c0, c1;
	bool have_ctrs;
};

/* Sends for the configured loops/seconds; 'measure' false = warm-up. */
static int
run_phase(struct bench *b, double seconds, uint64_t frames, uint64_t *t_start, uint64_t *t_end)
{
	uint64_t t0 = now_ns(), last_service = t0, sent0 = b->sent;
	uint64_t end = seconds > 0 ? t0 + (uint64_t)(seconds * 1e9) : UINT64_MAX;
	uint64_t tbase = t0;
	int err = 0;

	*t_start = t0;
	for (;;) {
		uint64_t now = now_ns();
		unsigned int budget = NB_NF_BATCH;

		if (bench_stop || now >= end || (frames && b->sent - sent0 >= frames))
			break;
		if (b->have_gen) {
			if (nb_nf_tx_gc(b->gen.d.tx, b->gen.d.st) < 0) {
				err = -EPROTO;
				break;
			}
			if (b->o->rate > 0) {
				/* Frames due by now at the given rate, minus those sent. */
				double due = (double)(now - t0) * 1e-9 * b->o->rate -
					     (double)(b->sent - sent0);

				budget = due <= 0	      ? 0
					 : due >= NB_NF_BATCH ? NB_NF_BATCH
							      : (unsigned int)due + 1;
			} else if (b->o->timing) {
				/* Frames whose time, relative to this pass's start, has come; a
				 * pass ends at the last frame, the next starts one gap later. */
				budget = 0;
				while (budget < NB_NF_BATCH && b->next + budget < b->t.n &&
				       tbase + b->t.f[b->next + budget].ts_ns <= now)
					budget++;
				if (budget && b->next + budget == b->t.n)
					tbase += b->t.f[b->t.n - 1].ts_ns +
						 b->t.f[b->t.n - 1].ts_ns /
							 (b->t.n > 1 ? b->t.n - 1 : 1) +
						 1000;
			}
			if (frames && budget > frames - (b->sent - sent0))
				budget = (unsigned int)(frames - (b->sent - sent0));
			if (budget && gen_send(b, budget, now) && nb_nf_tx_push(b->gen.d.tx))
				nb_nf_guest_direct_notify(b->gen.nf, b->gen.d.tx_port);
			if (guest_rx(b, &b->gen, other_deliver) < 0) {
				err = -EPROTO;
				break;
			}
		}
		if (b->have_sink) {
			/* A fresh reading: frames stamped in this iteration may be here already. */
			b->s.now_ns = now_ns();
			if (guest_rx(b, &b->sink, sink_deliver) < 0) {
				err = -EPROTO;
				break;
			}
		}
		if (now - last_service > BENCH_SERVICE_NS) {
			last_service = now;
			err = service(b);
			if (err)
				break;
		}
		if (!b->have_gen && frames == 0 && seconds <= 0)
			break;
	}
	*t_end = now_ns();
	return err;
}

/* Keeps draining until the sink has been idle for a while (frames still in the rings). */
static int
drain(struct bench *b)
{
	uint64_t t0 = now_ns(), idle_since = t0, frames = b->s.frames;

	for (;;) {
		uint64_t now = now_ns();

		if (b->have_gen && nb_nf_tx_gc(b->gen.d.tx, b->gen.d.st) < 0)
			return -EPROTO;
		if (b->have_gen && guest_rx(b, &b->gen, other_deliver) < 0)
			return -EPROTO;
		if (b->have_sink) {
			b->s.now_ns = now;
			if (guest_rx(b, &b->sink, sink_deliver) < 0)
				return -EPROTO;
		}
		if (b->s.frames != frames) {
			frames = b->s.frames;
			idle_since = now;
		}
		if (now - idle_since > BENCH_DRAIN_IDLE_MS * 1000000ull ||
		    now - t0 > BENCH_DRAIN_MAX_MS * 1000000ull || bench_stop)
			return 0;
		if (!b->have_sink)
			usleep(1000);
	}
}

static double
mpps(uint64_t n, double secs)
{
	return secs > 0 ? (double)n / secs / 1e6 : 0;
}

static double
gbps(uint64_t bytes, double secs)
{
	return secs > 0 ? (double)bytes * 8 / secs / 1e9 : 0;
}

static void
report(struct bench *b, const struct bench_result *r)
{
	const struct bench_opts *o = b->o;
	const struct bench_hist *h = &b->s.hist;
	double lat[4] = { (double)bench_hist_quantile(h, 0.5) / 1e3,
			  (double)bench_hist_quantile(h, 0.99) / 1e3,
			  (double)bench_hist_quantile(h, 0.999) / 1e3, (double)h->max / 1e3 };
	uint64_t lost = r->sent > r->fwd ? r->sent - r->fwd : 0;
	unsigned int i, k;

	if (o->json) {
		printf("{\"pcap\":\"%s\",\"frames_in_file\":%zu,\"frames_loaded\":%zu,\"seconds\":%"
		       ".6f,"
		       "\"sent\":%llu,\"sent_bytes\":%llu,\"forwarded\":%llu,"
		       "\"forwarded_bytes\":%llu,\"offered_mpps\":%.6f,\"forwarded_mpps\":%.6f,"
		       "\"offered_gbps\":%.6f,\"forwarded_gbps\":%.6f,\"lost\":%llu,",
		       o->pcap, b->t.n_file, b->t.n, r->secs, (unsigned long long)r->sent,
		       (unsigned long long)r->sent_bytes, (unsigned long long)r->fwd,
		       (unsigned long long)r->fwd_bytes, mpps(r->sent, r->secs),
		       mpps(r->fwd, r->secs), gbps(r->sent_bytes, r->secs),
		       gbps(r->fwd_bytes, r->secs), (unsigned long long)lost);
		printf("\"sink\":{\"frames\":%llu,\"stamped\":%llu,\"unstamped\":%llu,"
		       "\"reordered\":%llu,\"verify_ok\":%llu,\"verify_bad\":%llu},",
		       (unsigned long long)b->s.frames, (unsigned long long)b->s.seq.received,
		       (unsigned long long)b->s.unstamped, (unsigned long long)b->s.seq.reordered,
		       (unsigned long long)b->s.verify_ok, (unsigned long long)b->s.verify_bad);
		printf("\"latency_us\":{\"samples\":%llu,\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,"
		       "\"max\":%.3f},",
		       (unsigned long long)h->count, lat[0], lat[1], lat[2], lat[3]);
		printf("\"guest\":{\"gen_tx_errors\":%llu,\"gen_rx_other\":%llu,"
		       "\"sink_rx_other\":%llu,\"sink_rx_errors\":%llu},",
		       (unsigned long long)(b->have_gen ? b->gen.d.st->tx_errors : 0),
		       (unsigned long long)b->gen.other_rx, (unsigned long long)b->sink.other_rx,
		       (unsigned long long)(b->have_sink ? b->sink.d.st->rx_errors : 0));
		printf("\"drops\":{");
		for (i = 0, k = 0; r->have_ctrs && i < r->c1.n; i++) {
			uint64_t d = r->c1.val[i] - bench_ctrs_get(&r->c0, r->c1.name[i]);

			if (d)
				printf("%s\"%s\":%llu", k++ ? "," : "", r->c1.name[i],
				       (unsigned long long)d);
		}
		printf("}}\n");
		return;
	}
	printf("nb-bench: %s (%zu frames, %zu loaded, %.1f B mean), %.3f s\n", o->pcap, b->t.n_file,
	       b->t.n, b->t.n ? (double)b->t.bytes / (double)b->t.n : 0.0, r->secs);
	printf("  %-22s %14s %10s %10s\n", "", "frames", "Mpps", "Gbit/s");
	printf("  %-22s %14llu %10.3f %10.3f\n", "offered (generator)", (unsigned long long)r->sent,
	       mpps(r->sent, r->secs), gbps(r->sent_bytes, r->secs));
	printf("  %-22s %14llu %10.3f %10.3f\n",
	       o->count_port && !b->have_sink ? "forwarded (port tx)" : "forwarded (sink)",
	       (unsigned long long)r->fwd, mpps(r->fwd, r->secs), gbps(r->fwd_bytes, r->secs));
	printf("  %-22s %14llu\n", "lost", (unsigned long long)lost);
	if (b->have_sink)
		printf("  sink: %llu stamped, %llu unstamped, %llu reordered%s",
		       (unsigned long long)b->s.seq.received, (unsigned long long)b->s.unstamped,
		       (unsigned long long)b->s.seq.reordered, o->verify ? "" : "\n");
	if (b->have_sink && o->verify)
		printf(", content: %llu same, %llu different\n", (unsigned long long)b->s.verify_ok,
		       (unsigned long long)b->s.verify_bad);
	if (h->count)
		printf("  latency (us): p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  (%llu samples)\n",
		       lat[0], lat[1], lat[2], lat[3], (unsigned long long)h->count);
	if (r->have_ctrs) {
		printf("  drops by reason (netbackd):");
		for (i = 0, k = 0; i < r->c1.n; i++) {
			uint64_t d = r->c1.val[i] - bench_ctrs_get(&r->c0, r->c1.name[i]);

			if (d) {
				printf(" %s=%llu", r->c1.name[i], (unsigned long long)d);
				k++;
			}
		}
		printf("%s\n", k ? "" : " none");
	}
}

static int
open_capture(struct bench *b)
{
	b->s.dump_pcap = pcap_open_dead(DLT_EN10MB, 65535);
	if (!b->s.dump_pcap)
		return -ENOMEM;
	b->s.dump = pcap_dump_open(b->s.dump_pcap, b->o->capture);
	if (!b->s.dump) {
		fprintf(stderr, "nb-bench: %s: %s\n", b->o->capture, pcap_geterr(b->s.dump_pcap));
		return -EIO;
	}
	return 0;
}

static int
bench_main(struct bench *b)
{
	const struct bench_opts *o = b->o;
	struct bench_result r = { 0 };
	uint64_t t0, t1, frames = 0, sent0, sb0, fwd0, fb0;
	int err;

	err = bench_trace_load(&b->t, o->pcap, NB_XEN_PAGE_SIZE, BENCH_MIN_FRAMES);
	if (err) {
		fprintf(stderr, "nb-bench: %s: cannot load: %s\n", o->pcap, strerror(-err));
		return err;
	}
	if (o->have_dst_mac)
		bench_trace_set_macs(&b->t, o->dst_mac, NULL);
	for (size_t i = 0; i < b->t.n_file; i++)
		if (b->t.buf[b->t.f[i].off] & 1)
			b->trace_mcast = true;
	b->gen.role = "generator";
	b->sink.role = "sink";
	b->gen.ip = o->gen_ip;
	b->sink.ip = o->sink_ip;
	b->gen.epfd = b->sink.epfd = -1;
	/* One guest at a time: its TAP is created in its namespace while it connects. */
	if (o->sink_domid) {
		err = guest_open(b, &b->sink, o->sink_domid, o->sink_netns);
		if (err)
			return err;
		b->have_sink = true;
	}
	if (o->gen_domid) {
		err = guest_open(b, &b->gen, o->gen_domid, o->gen_netns);
		if (err)
			return err;
		b->have_gen = true;
	}
	if (b->have_sink) {
		static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
		uint8_t f[60];

		/* Gratuitous ARP: a learning bridge knows the sink's port before the first frame. */
		arp_frame(f, 1, b->sink.d.mac, o->sink_ip, bcast, o->sink_ip, bcast);
		guest_send_raw(&b->sink, f, sizeof(f));
	}
	if (o->capture && b->have_sink) {
		err = open_capture(b);
		if (err)
			return err;
	}
	if (b->have_gen) {
		if (o->resolve_ip) {
			err = resolve(b);
			if (err) {
				fprintf(stderr, "nb-bench: no ARP reply for --resolve: %s\n",
					strerror(-err));
				return err;
			}
			bench_trace_set_macs(&b->t, b->resolved_mac, NULL);
		}
		err = gen_preload(b);
		if (err)
			return err;
	}
	if (o->warmup > 0) {
		err = run_phase(b, o->warmup, 0, &t0, &t1);
		if (!err)
			err = drain(b);
		if (err)
			goto out;
	}
	/* Measurement: counters zeroed by taking deltas. */
	sent0 = b->sent;
	sb0 = b->sent_bytes;
	fwd0 = b->s.frames;
	fb0 = b->s.bytes;
	bench_hist_reset(&b->s.hist);
	memset(&b->s.seq, 0, sizeof(b->s.seq));
	b->s.unstamped = b->s.verify_ok = b->s.verify_bad = 0;
	r.have_ctrs = read_ctrs(b, &r.c0) == 0;
	/* A loop is one pass over the file as it is on disk. */
	if (o->loops)
		frames = o->loops * b->t.n_file;
	err = run_phase(b, o->seconds, o->seconds > 0 ? 0 : frames, &t0, &t1);
	if (!err)
		err = drain(b);
	if (r.have_ctrs)
		r.have_ctrs = read_ctrs(b, &r.c1) == 0;
	r.secs = (double)(t1 - t0) / 1e9;
	r.sent = b->sent - sent0;
	r.sent_bytes = b->sent_bytes - sb0;
	if (b->have_sink) {
		r.fwd = b->s.frames - fwd0;
		r.fwd_bytes = b->s.bytes - fb0;
	} else if (r.have_ctrs && o->count_port) {
		r.fwd = r.c1.port_tx - r.c0.port_tx;
		r.fwd_bytes = r.c1.port_tx_bytes - r.c0.port_tx_bytes;
	}
	report(b, &r);
	if (o->cdf) {
		FILE *f = fopen(o->cdf, "w");

		if (f) {
			bench_hist_write_cdf(&b->s.hist, f);
			fclose(f);
		}
	}
out:
	if (err)
		fprintf(stderr, "nb-bench: run stopped: %s\n", strerror(-err));
	return err;
}

int
main(int argc, char **argv)
{
	static struct bench b; /* large (histogram): not on the stack */
	struct bench_opts o = { 0 };
	int err;

	if (parse_opts(argc, argv, &o))
		return 2;
	b.o = &o;
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	signal(SIGPIPE, SIG_IGN);
	err = bench_main(&b);
	if (b.s.dump)
		pcap_dump_close(b.s.dump);
	if (b.s.dump_pcap)
		pcap_close(b.s.dump_pcap);
	if (b.gen.nf) {
		/* Backend closed first, so the preloaded grants are no longer in use. */
		nb_nf_guest_shutdown(b.gen.nf, 5000);
		nb_nf_guest_ungrant_pages(b.gen.nf, b.n_pages, b.refs, b.gfns);
	}
	guest_close(&b.gen);
	guest_close(&b.sink);
	bench_trace_free(&b.t);
	free(b.pages);
	free(b.refs);
	free(b.gfns);
	free(b.fref);
	free(b.foff);
	free(b.fptr);
	return err ? 1 : 0;
}
