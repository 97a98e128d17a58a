/* SPDX-License-Identifier: MIT */
/*
 * switch.c - networks, workers and the forwarding loop (see switch.h). Each network is
 * served by one worker thread (or, spread, by several: its primary and helpers); the
 * control thread changes what a worker uses only through vsw_worker_call(), which the
 * worker runs between two loop iterations.
 */
#include "vswitch/switch.h"

#include "vswitch/csum.h"
#include "vswitch/gso.h"

#include "vswitch/capture.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct vsw_fwd {
	struct vsw_net *net;
	struct pkt_pool *pool;
	unsigned int txq; /* the worker's index in the network: its tx queue on every port */
	struct pkt *gso_segs[VSW_GSO_SEGS_MAX];	 /* scratch of vsw_fwd_offload() */
	struct pkt_batch out[VSW_NET_PORTS_MAX]; /* indexed by the port's slot in the net */
	uint16_t touched[VSW_NET_PORTS_MAX];	 /* slots with packets queued */
	unsigned int n_touched;
};

struct vsw_net {
	struct vsw_switch *sw;
	struct vsw_net *next;
	char name[VSW_NET_NAME_MAX + 1];
	const struct vsw_mode_ops *mode;
	void *state;
	struct vsw_worker *worker;		     /* the primary */
	struct vsw_worker *helpers[VSW_WORKERS_MAX]; /* workers 1..n_workers-1 of a spread net */
	unsigned int n_workers;			     /* read by its workers; changed parked */
	struct port *ports[VSW_NET_PORTS_MAX];	     /* changed on the worker, by calls */
	unsigned int n_ports;
	uint64_t next_tick_ns;
};

struct vsw_worker {
	struct vsw_switch *sw;
	unsigned int id;
	bool threaded;
	pthread_t thread;
	int epfd;
	int wakefd;
	struct pkt_pool *pool;
	struct vsw_net *nets[64];
	uint8_t shard[64]; /* the worker's index in nets[i] (0: its primary) */
	unsigned int n_nets;
	_Atomic bool stop;

	/* One control call at a time (the control thread is single). */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int (*call_fn)(void *arg);
	void *call_arg;
	int call_result;
	bool call_pending;

	struct pkt_batch batch;
	struct vsw_fwd fwd;
	struct vsw_worker_stats stats; /* written by the worker (vsw_counter_add) */
};

struct vsw_switch {
	unsigned int n_workers; /* threads; 0 = driven by vsw_switch_run_once */
	struct vsw_switch_cfg cfg;
	struct vsw_worker *workers;
	unsigned int n_slots;	  /* worker structs (max(1, n_workers)) */
	unsigned int next_worker; /* round robin */
	struct vsw_net *nets;
	/* Indexed by port index (port.h: one registry per process). */
	struct vsw_net *port_net[PORT_MAX];
	uint16_t port_slot[PORT_MAX];
	int port_fd[PORT_MAX];
	struct vsw_port_cfg port_cfg[PORT_MAX];
};

extern const struct vsw_mode_ops vsw_mode_bridge;

static int vsw_net_call_parked(struct vsw_net *net, int (*fn)(void *arg), void *arg);

#define VSW_MODES_MAX 16

/* Registered modes: the bridge is built in, others register at start (control thread). */
static const struct vsw_mode_ops *vsw_modes[VSW_MODES_MAX] = { &vsw_mode_bridge };
static unsigned int vsw_n_modes = 1;

int
vsw_mode_register(const struct vsw_mode_ops *ops)
{
	if (!ops || !ops->name || !ops->create || !ops->destroy || !ops->process)
		return -EINVAL;
	if (vsw_mode_lookup(ops->name))
		return vsw_mode_lookup(ops->name) == ops ? 0 : -EEXIST;
	if (vsw_n_modes >= VSW_MODES_MAX)
		return -ENOSPC;
	vsw_modes[vsw_n_modes++] = ops;
	return 0;
}

const struct vsw_mode_ops *
vsw_mode_lookup(const char *name)
{
	for (unsigned int i = 0; i < vsw_n_modes; i++)
		if (!strcmp(vsw_modes[i]->name, name))
			return vsw_modes[i];
	return NULL;
}

static uint64_t
vsw_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- forwarding ------------------------------------------------------------------------- */

static void
vsw_fwd_flush_slot(struct vsw_fwd *fwd, unsigned int slot)
{
	struct pkt_batch *b = &fwd->out[slot];

	if (b->count) {
		vsw_capture_tx(fwd->net->ports[slot], b);
		port_tx_burst(fwd->net->ports[slot], fwd->txq, b);
	}
	b->count = 0;
}

static void
vsw_fwd_flush(struct vsw_fwd *fwd)
{
	for (unsigned int i = 0; i < fwd->n_touched; i++)
		vsw_fwd_flush_slot(fwd, fwd->touched[i]);
	fwd->n_touched = 0;
}

static inline void
vsw_fwd_enqueue(struct vsw_fwd *fwd, struct port *out, struct pkt *p)
{
	unsigned int slot = fwd->net->sw->port_slot[out->index];
	struct pkt_batch *b = &fwd->out[slot];

	if (b->count == 0)
		fwd->touched[fwd->n_touched++] = (uint16_t)slot;
	b->pkts[b->count++] = p;
	if (pkt_batch_is_full(b)) {
		vsw_capture_tx(out, b);
		port_tx_burst(out, fwd->txq, b);
		b->count = 0;
		/* The slot stays in 'touched'; flushing an empty batch is a no-op. */
	}
}

/* The offload 'p' asks of its destination (PORT_OFF_*), 0 if none. */
static inline unsigned int
vsw_fwd_offload_need(const struct pkt *p)
{
	const uint8_t *d;
	uint16_t type;

	if (p->gso_type == PKT_GSO_TCPV4)
		return PORT_OFF_TSO4;
	if (p->gso_type == PKT_GSO_TCPV6)
		return PORT_OFF_TSO6;
	if (p->gso_type != PKT_GSO_NONE)
		return PORT_OFF_TSO4 | PORT_OFF_TSO6; /* unknown: never passed on */
	if (!(p->flags & PKT_F_CSUM_BLANK) || p->len < PORT_ETH_HLEN)
		return 0;
	d = pkt_data(p);
	type = (uint16_t)(d[12] << 8 | d[13]);
	if (type == 0x0800)
		return PORT_OFF_CSUM4;
	if (type == 0x86dd)
		return PORT_OFF_CSUM6;
	return PORT_OFF_CSUM4 | PORT_OFF_CSUM6; /* tagged: only a port taking both */
}

/* Does in software what 'out' cannot: segments a GSO frame, completes a partial checksum. */
static void
vsw_fwd_offload(struct vsw_fwd *fwd, struct port *out, struct pkt *p)
{
	int n;

	if (p->gso_type == PKT_GSO_NONE) {
		/* A frame the parser does not know carries no TCP/UDP checksum to fill. */
		if (vsw_csum_complete(p) == 0)
			port_count_ctr(out, VSW_CTR_TX_CSUM_DONE, 1);
		else
			p->flags &= (uint16_t)~PKT_F_CSUM_BLANK;
		vsw_fwd_enqueue(fwd, out, p);
		return;
	}
	n = vsw_gso_segment(p, fwd->pool, fwd->gso_segs, VSW_GSO_SEGS_MAX);
	if (n < 0) {
		port_count_ctr(out, n == -ENOBUFS ? VSW_CTR_RX_NOBUF : VSW_CTR_TX_GSO_BAD, 1);
		pkt_free(p);
		return;
	}
	port_count_ctr(out, VSW_CTR_TX_GSO_SEGMENTED, 1);
	pkt_free(p);
	for (int i = 0; i < n; i++)
		vsw_fwd_enqueue(fwd, out, fwd->gso_segs[i]);
}

void
vsw_fwd_output(struct vsw_fwd *fwd, struct port *out, struct pkt *p)
{
	struct vsw_switch *sw = fwd->net->sw;
	unsigned int need;

	if (sw->port_net[out->index] != fwd->net) {
		/* A stale destination (the port left the network meanwhile). */
		port_count_ctr(out, VSW_CTR_TX_PORT_DOWN, 1);
		pkt_free(p);
		return;
	}
	need = vsw_fwd_offload_need(p);
	if (need && (out->offloads & need) != need) {
		vsw_fwd_offload(fwd, out, p);
		return;
	}
	vsw_fwd_enqueue(fwd, out, p);
}

void
vsw_fwd_output_burst(struct vsw_fwd *fwd, struct port *out, struct pkt *const *pkts, unsigned int n)
{
	struct vsw_switch *sw = fwd->net->sw;
	unsigned int slot = sw->port_slot[out->index];
	struct pkt_batch *b = &fwd->out[slot];

	if (sw->port_net[out->index] != fwd->net) {
		port_count_ctr(out, VSW_CTR_TX_PORT_DOWN, n);
		pkt_free_bulk(pkts, n);
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct pkt *p = pkts[i];
		unsigned int need = vsw_fwd_offload_need(p);

		if (need && (out->offloads & need) != need) {
			vsw_fwd_offload(fwd, out, p);
			continue;
		}
		if (b->count == 0)
			fwd->touched[fwd->n_touched++] = (uint16_t)slot;
		b->pkts[b->count++] = p;
		if (pkt_batch_is_full(b)) {
			vsw_capture_tx(out, b);
			port_tx_burst(out, fwd->txq, b);
			b->count = 0;
		}
	}
}

void
vsw_fwd_flood(struct vsw_fwd *fwd, struct port *in, struct pkt *p)
{
	struct vsw_net *net = fwd->net;
	struct port *last = NULL;
	unsigned int i;

	port_count_ctr(in, VSW_CTR_FWD_FLOOD, 1);
	for (i = 0; i < net->n_ports; i++) {
		struct port *out = net->ports[i];
		struct pkt *c;

		if (out == in)
			continue;
		if (last) {
			c = pkt_copy(fwd->pool, p);
			if (!c)
				port_count_ctr(in, VSW_CTR_RX_NOBUF, 1);
			else
				vsw_fwd_output(fwd, last, c);
		}
		last = out;
	}
	if (last)
		vsw_fwd_output(fwd, last, p);
	else
		pkt_free(p); /* alone in the network: nowhere to go */
}

void
vsw_fwd_drop(struct vsw_fwd *fwd, struct port *in, struct pkt *p, enum vsw_counter why)
{
	(void)fwd;
	port_count_ctr(in, why, 1);
	pkt_free(p);
}

struct vsw_net *
vsw_fwd_net(const struct vsw_fwd *fwd)
{
	return fwd->net;
}

/* ---- the worker loop -------------------------------------------------------------------- */

/* One pass of worker 'w' over 'net', whose worker number 'shard' it is: rx queues shard,
 * shard + n, ... of every port (n workers serve the net), the housekeeping on the primary. */
static unsigned int
vsw_net_run(struct vsw_worker *w, struct vsw_net *net, unsigned int shard, uint64_t now_ns)
{
	unsigned int i, n, q, nw = net->n_workers, total = 0;

	w->fwd.net = net;
	w->fwd.pool = w->pool;
	w->fwd.txq = shard;
	for (i = 0; i < net->n_ports; i++) {
		struct port *port = net->ports[i];

		if (port->cls->poll && shard == 0)
			port->cls->poll(port);
		for (q = shard; q < port->n_rxq; q += nw) {
			w->batch.count = 0;
			n = port_rx_burst(port, q, w->pool, &w->batch);
			if (!n)
				continue;
			vsw_capture_rx(port, &w->batch);
			total += n;
			net->mode->process(net->state, &w->fwd, port, &w->batch, now_ns);
			w->batch.count = 0;
			vsw_fwd_flush(&w->fwd);
		}
	}
	if (shard == 0 && net->mode->tick && now_ns >= net->next_tick_ns) {
		net->mode->tick(net->state, now_ns);
		net->next_tick_ns = now_ns + (uint64_t)VSW_TICK_MS * 1000000u;
	}
	return total;
}

static void
vsw_worker_run_call(struct vsw_worker *w)
{
	/* Cheap peek first: the lock is taken only when a call is posted (set under it). */
	if (!__atomic_load_n(&w->call_pending, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&w->lock);
	if (w->call_pending) {
		w->call_result = w->call_fn(w->call_arg);
		__atomic_store_n(&w->call_pending, false, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
}

static bool
vsw_worker_arm(struct vsw_worker *w)
{
	bool pending = false;

	for (unsigned int k = 0; k < w->n_nets; k++) {
		struct vsw_net *net = w->nets[k];

		for (unsigned int i = 0; i < net->n_ports; i++) {
			struct port *port = net->ports[i];

			if (port->cls->arm && port->cls->arm(port))
				pending = true;
		}
	}
	return pending;
}

static uint64_t
vsw_cycles(const struct vsw_switch *sw)
{
	return sw->cfg.cycles ? sw->cfg.cycles() : vsw_now_ns();
}

static int
vsw_worker_loop(void *arg)
{
	struct vsw_worker *w = arg;
	const struct vsw_switch *sw = w->sw;
	uint64_t last_work = vsw_now_ns(), t0 = vsw_cycles(sw), t1;
	struct vsw_worker_stats *st = &w->stats;

	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		uint64_t now = vsw_now_ns();
		unsigned int work = 0, k;

		vsw_worker_run_call(w);
		for (k = 0; k < w->n_nets; k++)
			work += vsw_net_run(w, w->nets[k], w->shard[k], now);
		t1 = vsw_cycles(sw);
		vsw_counter_add(&st->iterations, 1);
		if (work) {
			vsw_counter_add(&st->busy_iterations, 1);
			vsw_counter_add(&st->busy_cycles, t1 - t0);
			vsw_counter_add(&st->rx_packets, work);
			t0 = t1;
			last_work = now;
			continue;
		}
		vsw_counter_add(&st->idle_cycles, t1 - t0);
		t0 = t1;
		if (sw->cfg.busy_poll || now - last_work < (uint64_t)VSW_SPIN_US * 1000u)
			continue;
		/* Idle: re-enable notifications, then sleep unless work slipped in meanwhile. */
		if (vsw_worker_arm(w)) {
			last_work = now;
			continue;
		}
		struct epoll_event evs[16];
		int n = epoll_wait(w->epfd, evs, 16, VSW_TICK_MS);

		vsw_counter_add(&st->sleeps, 1);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == w->wakefd) {
				uint64_t v;

				if (read(w->wakefd, &v, sizeof(v)) < 0)
					continue;
			}
		}
		last_work = vsw_now_ns();
	}
	return 0;
}

static void *
vsw_worker_main(void *arg)
{
	struct vsw_worker *w = arg;
	char name[16];

	snprintf(name, sizeof(name), "nb-worker%u", w->id);
	pthread_setname_np(pthread_self(), name);
	vsw_worker_loop(w);
	return NULL;
}

static int
vsw_worker_call(struct vsw_worker *w, int (*fn)(void *arg), void *arg)
{
	uint64_t one = 1;
	int result;

	if (!w->threaded)
		return fn(arg);
	pthread_mutex_lock(&w->lock);
	w->call_fn = fn;
	w->call_arg = arg;
	__atomic_store_n(&w->call_pending, true, __ATOMIC_RELEASE);
	if (write(w->wakefd, &one, sizeof(one)) < 0) {
		/* The eventfd counter cannot overflow here; the worker also wakes every tick. */
	}
	while (w->call_pending)
		pthread_cond_wait(&w->cond, &w->lock);
	result = w->call_result;
	pthread_mutex_unlock(&w->lock);
	return result;
}

int
vsw_net_call(struct vsw_net *net, int (*fn)(void *arg), void *arg)
{
	return vsw_net_call_parked(net, fn, arg);
}

static int
vsw_worker_init(struct vsw_switch *sw, struct vsw_worker *w, unsigned int id, bool threaded)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int err;

	w->sw = sw;
	w->id = id;
	w->threaded = threaded;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->wakefd < 0)
		return -errno;
	ev.data.fd = w->wakefd;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wakefd, &ev) < 0)
		return -errno;
	if (sw->cfg.pool_create)
		err = sw->cfg.pool_create(sw->cfg.arg, id, &w->pool);
	else
		err = pkt_pool_create(VSW_POOL_PKTS, 0, &w->pool);
	if (err)
		return err;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	atomic_init(&w->stop, false);
	if (threaded) {
		if (sw->cfg.launch)
			err = sw->cfg.launch(sw->cfg.arg, id, vsw_worker_loop, w);
		else
			err = -pthread_create(&w->thread, NULL, vsw_worker_main, w);
		if (err) {
			w->threaded = false;
			return err;
		}
	}
	return 0;
}

static void
vsw_worker_fini(struct vsw_worker *w)
{
	if (w->threaded) {
		uint64_t one = 1;

		atomic_store(&w->stop, true);
		if (write(w->wakefd, &one, sizeof(one)) < 0) {
			/* It also wakes up every tick. */
		}
		if (w->sw->cfg.join)
			w->sw->cfg.join(w->sw->cfg.arg, w->id);
		else
			pthread_join(w->thread, NULL);
		w->threaded = false;
	}
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->wakefd >= 0)
		close(w->wakefd);
	if (w->pool && w->sw->cfg.pool_destroy)
		w->sw->cfg.pool_destroy(w->sw->cfg.arg, w->id, w->pool);
	else
		pkt_pool_destroy(w->pool);
	w->pool = NULL;
}

int
vsw_switch_create(unsigned int n_workers, struct vsw_switch **swp)
{
	struct vsw_switch_cfg cfg = { .n_workers = n_workers };

	return vsw_switch_create_cfg(&cfg, swp);
}

int
vsw_switch_create_cfg(const struct vsw_switch_cfg *cfg, struct vsw_switch **swp)
{
	unsigned int n_workers = cfg->n_workers;
	struct vsw_switch *sw;
	unsigned int i;
	int err;

	if (n_workers > VSW_WORKERS_MAX || !cfg->launch != !cfg->join)
		return -EINVAL;
	sw = calloc(1, sizeof(*sw));
	if (!sw)
		return -ENOMEM;
	sw->cfg = *cfg;
	sw->n_workers = n_workers;
	sw->n_slots = n_workers ? n_workers : 1;
	sw->workers = calloc(sw->n_slots, sizeof(*sw->workers));
	if (!sw->workers) {
		free(sw);
		return -ENOMEM;
	}
	for (i = 0; i < PORT_MAX; i++)
		sw->port_fd[i] = -1;
	for (i = 0; i < sw->n_slots; i++) {
		sw->workers[i].epfd = sw->workers[i].wakefd = -1;
		err = vsw_worker_init(sw, &sw->workers[i], i, n_workers > 0);
		if (err) {
			sw->n_slots = i + 1;
			vsw_switch_destroy(sw);
			return err;
		}
	}
	*swp = sw;
	return 0;
}

void
vsw_switch_destroy(struct vsw_switch *sw)
{
	struct vsw_net *net, *next;

	if (!sw)
		return;
	for (unsigned int i = 0; i < sw->n_slots; i++)
		vsw_worker_fini(&sw->workers[i]);
	for (net = sw->nets; net; net = next) {
		next = net->next;
		net->mode->destroy(net->state);
		free(net);
	}
	free(sw->workers);
	free(sw);
}

unsigned int
vsw_switch_n_workers(const struct vsw_switch *sw)
{
	return sw->n_slots;
}

int
vsw_worker_get_stats(const struct vsw_switch *sw, unsigned int id, struct vsw_worker_stats *st)
{
	const struct vsw_worker_stats *s;

	if (id >= sw->n_slots)
		return -ENOENT;
	s = &sw->workers[id].stats;
	st->iterations = __atomic_load_n(&s->iterations, __ATOMIC_RELAXED);
	st->busy_iterations = __atomic_load_n(&s->busy_iterations, __ATOMIC_RELAXED);
	st->busy_cycles = __atomic_load_n(&s->busy_cycles, __ATOMIC_RELAXED);
	st->idle_cycles = __atomic_load_n(&s->idle_cycles, __ATOMIC_RELAXED);
	st->rx_packets = __atomic_load_n(&s->rx_packets, __ATOMIC_RELAXED);
	st->sleeps = __atomic_load_n(&s->sleeps, __ATOMIC_RELAXED);
	return 0;
}

unsigned int
vsw_worker_n_nets(const struct vsw_switch *sw, unsigned int id)
{
	return id < sw->n_slots ? sw->workers[id].n_nets : 0;
}

/* ---- networks ---------------------------------------------------------------------------- */

static bool
vsw_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > VSW_NET_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

struct vsw_net_attach {
	struct vsw_worker *w;
	struct vsw_net *net;
	unsigned int shard;
};

static int
vsw_do_net_attach(void *arg)
{
	struct vsw_net_attach *a = arg;

	if (a->w->n_nets >= sizeof(a->w->nets) / sizeof(a->w->nets[0]))
		return -ENOSPC;
	a->w->shard[a->w->n_nets] = (uint8_t)a->shard;
	a->w->nets[a->w->n_nets++] = a->net;
	return 0;
}

static int
vsw_do_net_detach(void *arg)
{
	struct vsw_net_attach *a = arg;

	for (unsigned int i = 0; i < a->w->n_nets; i++) {
		if (a->w->nets[i] == a->net) {
			a->w->n_nets--;
			a->w->nets[i] = a->w->nets[a->w->n_nets];
			a->w->shard[i] = a->w->shard[a->w->n_nets];
			return 0;
		}
	}
	return -ENOENT;
}

/* Detaches a spread network from its helpers ('park') or attaches it again: while parked,
 * only the primary touches the network. */
static void
vsw_net_park(struct vsw_net *net, bool park)
{
	for (unsigned int k = 1; k < net->n_workers; k++) {
		struct vsw_net_attach a = { .w = net->helpers[k], .net = net, .shard = k };

		vsw_worker_call(a.w, park ? vsw_do_net_detach : vsw_do_net_attach, &a);
	}
}

static int
vsw_net_call_parked(struct vsw_net *net, int (*fn)(void *arg), void *arg)
{
	int r;

	if (net->n_workers > 1)
		vsw_net_park(net, true);
	r = vsw_worker_call(net->worker, fn, arg);
	if (net->n_workers > 1)
		vsw_net_park(net, false);
	return r;
}

struct vsw_spread_op {
	struct vsw_net *net;
	unsigned int n;
};

/* On the primary, helpers parked: the mode, the ports and the count change together. */
static int
vsw_do_spread(void *arg)
{
	struct vsw_spread_op *op = arg;
	struct vsw_net *net = op->net;
	bool shared = op->n > 1;
	int err = 0;

	if (net->mode->set_shared)
		err = net->mode->set_shared(net->state, shared);
	if (err)
		return err;
	for (unsigned int i = 0; i < net->n_ports; i++)
		net->ports[i]->shared = shared;
	net->n_workers = op->n;
	return 0;
}

int
vsw_net_set_workers(struct vsw_net *net, unsigned int n)
{
	struct vsw_switch *sw = net->sw;
	struct vsw_spread_op op = { .net = net, .n = n };
	unsigned int k, first;
	int err;

	if (n < 1 || n > sw->n_slots || (n > 1 && !sw->n_workers))
		return -EINVAL;
	if (n == net->n_workers)
		return 0;
	if (n > 1 && !net->mode->set_shared)
		return -EOPNOTSUPP;
	for (unsigned int i = 0; i < net->n_ports; i++) {
		if (n > 1 && !net->ports[i]->cls->multi_worker)
			return -EOPNOTSUPP;
		if (n > 1 && vsw_capture_of_port[net->ports[i]->index])
			return -EBUSY; /* a capture ring has one producer */
	}
	vsw_net_park(net, true);
	err = vsw_worker_call(net->worker, vsw_do_spread, &op);
	if (err) {
		vsw_net_park(net, false);
		return err;
	}
	/* Helpers: the workers after the primary, round robin. */
	first = net->worker->id;
	for (k = 1; k < n; k++)
		net->helpers[k] = &sw->workers[(first + k) % sw->n_slots];
	for (; k < VSW_WORKERS_MAX; k++)
		net->helpers[k] = NULL;
	vsw_net_park(net, false);
	return 0;
}

unsigned int
vsw_net_n_workers(const struct vsw_net *net)
{
	return net->n_workers;
}

unsigned int
vsw_net_worker_id(const struct vsw_net *net, unsigned int k)
{
	if (k == 0 || k >= net->n_workers)
		return net->worker->id;
	return net->helpers[k]->id;
}

int
vsw_net_create(struct vsw_switch *sw, const char *name, const char *mode, const char *args,
	       struct vsw_net **netp)
{
	const struct vsw_mode_ops *ops;
	struct vsw_net_attach a;
	struct vsw_net *net;
	int err;

	if (!vsw_name_ok(name))
		return -EINVAL;
	if (vsw_net_lookup(sw, name))
		return -EEXIST;
	ops = vsw_mode_lookup(mode);
	if (!ops)
		return -ENOENT;
	net = calloc(1, sizeof(*net));
	if (!net)
		return -ENOMEM;
	net->sw = sw;
	net->mode = ops;
	snprintf(net->name, sizeof(net->name), "%s", name);
	err = ops->create(net, args, &net->state);
	if (err) {
		free(net);
		return err;
	}
	net->worker = &sw->workers[sw->next_worker++ % sw->n_slots];
	net->n_workers = 1;
	a.w = net->worker;
	a.net = net;
	a.shard = 0;
	err = vsw_worker_call(net->worker, vsw_do_net_attach, &a);
	if (err) {
		ops->destroy(net->state);
		free(net);
		return err;
	}
	net->next = sw->nets;
	sw->nets = net;
	if (netp)
		*netp = net;
	return 0;
}

int
vsw_net_destroy(struct vsw_net *net)
{
	struct vsw_switch *sw = net->sw;
	struct vsw_net_attach a = { .w = net->worker, .net = net };
	struct vsw_net **pp;

	if (net->n_ports)
		return -EBUSY;
	vsw_net_set_workers(net, 1);
	vsw_worker_call(net->worker, vsw_do_net_detach, &a);
	for (pp = &sw->nets; *pp; pp = &(*pp)->next) {
		if (*pp == net) {
			*pp = net->next;
			break;
		}
	}
	net->mode->destroy(net->state);
	free(net);
	return 0;
}

struct vsw_net *
vsw_net_lookup(struct vsw_switch *sw, const char *name)
{
	for (struct vsw_net *net = sw->nets; net; net = net->next)
		if (!strcmp(net->name, name))
			return net;
	return NULL;
}

const char *
vsw_net_name(const struct vsw_net *net)
{
	return net->name;
}

const char *
vsw_net_mode(const struct vsw_net *net)
{
	return net->mode->name;
}

unsigned int
vsw_net_n_ports(const struct vsw_net *net)
{
	return net->n_ports;
}

struct port *
vsw_net_port(const struct vsw_net *net, unsigned int i)
{
	return i < net->n_ports ? net->ports[i] : NULL;
}

void *
vsw_net_mode_state(const struct vsw_net *net)
{
	return net->state;
}

struct vsw_worker *
vsw_net_worker(const struct vsw_net *net)
{
	return net->worker;
}

int
vsw_switch_foreach_net(struct vsw_switch *sw, int (*fn)(void *arg, struct vsw_net *net), void *arg)
{
	for (struct vsw_net *net = sw->nets; net; net = net->next) {
		int r = fn(arg, net);

		if (r)
			return r;
	}
	return 0;
}

/* ---- ports ------------------------------------------------------------------------------- */

struct vsw_port_op {
	struct vsw_net *net;
	struct port *port;
	const struct vsw_port_cfg *cfg;
};

static void
vsw_port_watch(struct vsw_worker *w, struct port *port, bool on)
{
	struct vsw_switch *sw = w->sw;
	int fd = on && port->cls->wait_fd ? port->cls->wait_fd(port) : -1;
	int old = sw->port_fd[port->index];

	if (old == fd)
		return;
	if (old >= 0)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, old, NULL);
	sw->port_fd[port->index] = -1;
	if (fd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
			sw->port_fd[port->index] = fd;
	}
}

static int
vsw_do_add_port(void *arg)
{
	struct vsw_port_op *op = arg;
	struct vsw_net *net = op->net;
	struct vsw_switch *sw = net->sw;
	int err;

	if (net->n_ports >= VSW_NET_PORTS_MAX)
		return -ENOSPC;
	if (net->n_workers > 1 && !op->port->cls->multi_worker)
		return -EOPNOTSUPP;
	err = net->mode->port_added ? net->mode->port_added(net->state, op->port, op->cfg) : 0;
	if (err)
		return err;
	sw->port_cfg[op->port->index] = *op->cfg;
	sw->port_slot[op->port->index] = (uint16_t)net->n_ports;
	sw->port_net[op->port->index] = net;
	op->port->shared = net->n_workers > 1;
	net->ports[net->n_ports++] = op->port;
	vsw_port_watch(net->worker, op->port, true);
	return 0;
}

static int
vsw_do_del_port(void *arg)
{
	struct vsw_port_op *op = arg;
	struct vsw_net *net = op->net;
	struct vsw_switch *sw = net->sw;
	unsigned int slot = sw->port_slot[op->port->index];
	struct port *moved;

	vsw_port_watch(net->worker, op->port, false);
	if (net->mode->port_removed)
		net->mode->port_removed(net->state, op->port);
	/* Keep the array dense: the last port takes the freed slot. */
	moved = net->ports[--net->n_ports];
	net->ports[slot] = moved;
	sw->port_slot[moved->index] = (uint16_t)slot;
	net->ports[net->n_ports] = NULL;
	sw->port_net[op->port->index] = NULL;
	op->port->shared = false;
	return 0;
}

static int
vsw_do_refresh(void *arg)
{
	struct vsw_port_op *op = arg;

	vsw_port_watch(op->net->worker, op->port, true);
	return 0;
}

int
vsw_net_add_port(struct vsw_net *net, struct port *port, const struct vsw_port_cfg *cfg)
{
	static const struct vsw_port_cfg none = { .role = VSW_PORT_OTHER };
	struct vsw_port_op op = { .net = net, .port = port, .cfg = cfg ? cfg : &none };

	if (net->sw->port_net[port->index])
		return -EBUSY;
	return vsw_net_call_parked(net, vsw_do_add_port, &op);
}

const struct vsw_port_cfg *
vsw_port_cfg(const struct vsw_switch *sw, const struct port *port)
{
	return sw->port_net[port->index] ? &sw->port_cfg[port->index] : NULL;
}

struct vsw_ctl_op {
	struct vsw_net *net;
	int argc;
	char **argv;
	FILE *out;
};

static int
vsw_do_ctl(void *arg)
{
	struct vsw_ctl_op *op = arg;

	return op->net->mode->ctl(op->net->state, op->argc, op->argv, op->out);
}

int
vsw_net_ctl(struct vsw_net *net, int argc, char **argv, FILE *out)
{
	struct vsw_ctl_op op = { .net = net, .argc = argc, .argv = argv, .out = out };

	if (!net->mode->ctl)
		return -EOPNOTSUPP;
	return vsw_net_call_parked(net, vsw_do_ctl, &op);
}

int
vsw_net_del_port(struct vsw_switch *sw, struct port *port)
{
	struct vsw_port_op op = { .net = sw->port_net[port->index], .port = port };

	if (!op.net)
		return -ENOENT;
	return vsw_net_call_parked(op.net, vsw_do_del_port, &op);
}

struct vsw_net *
vsw_port_net(const struct vsw_switch *sw, const struct port *port)
{
	return sw->port_net[port->index];
}

int
vsw_port_refresh(struct vsw_switch *sw, struct port *port)
{
	struct vsw_port_op op = { .net = sw->port_net[port->index], .port = port };

	if (!op.net)
		return -ENOENT;
	return vsw_net_call_parked(op.net, vsw_do_refresh, &op);
}

unsigned int
vsw_switch_run_once(struct vsw_switch *sw, uint64_t now_ns)
{
	struct vsw_worker *w = &sw->workers[0];
	unsigned int total = 0;

	if (sw->n_workers)
		return 0;
	for (unsigned int k = 0; k < w->n_nets; k++)
		total += vsw_net_run(w, w->nets[k], w->shard[k], now_ns);
	return total;
}
