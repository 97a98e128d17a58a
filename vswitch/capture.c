/* SPDX-License-Identifier: MIT */
/*
 * capture.c - port captures (see capture.h): a single-producer single-consumer ring of
 * fixed slots filled by the port's worker and drained into a pcap file by the control
 * thread.
 */
#include "vswitch/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_S 1000000000ull

struct vsw_capture_slot {
	uint32_t len;	  /* length of the frame on the wire */
	uint32_t caplen;  /* bytes kept, <= VSW_CAPTURE_SNAPLEN */
	uint64_t time_ns; /* CLOCK_REALTIME at capture */
	uint8_t data[VSW_CAPTURE_SNAPLEN];
};

struct vsw_capture {
	struct vsw_switch *sw;
	struct port *port;
	unsigned int max_frames; /* 0: no limit */

	/* Producer (the worker) writes head and its counters; the consumer writes tail. */
	uint64_t head;
	uint64_t tail;
	uint64_t captured;
	uint64_t lost;
	uint64_t written; /* control thread only */
	struct vsw_capture_slot *slots;

	pcap_t *dead;
	pcap_dumper_t *dumper;
};

struct vsw_capture *vsw_capture_of_port[PORT_MAX];

void
vsw_capture_batch(struct vsw_capture *cap, const struct port *port, const struct pkt_batch *batch)
{
	uint64_t head = cap->head, tail, captured = cap->captured, lost = cap->lost;
	struct timespec ts;
	uint64_t now;

	/* A port index reused by a port the capture was not started on is not captured. */
	if (cap->port != port || batch->count == 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
	tail = __atomic_load_n(&cap->tail, __ATOMIC_ACQUIRE);
	for (unsigned int i = 0; i < batch->count; i++) {
		const struct pkt *p = batch->pkts[i];
		struct vsw_capture_slot *s;

		if (cap->max_frames && captured >= cap->max_frames)
			break;
		if (head - tail >= VSW_CAPTURE_RING_SLOTS) {
			lost++;
			continue;
		}
		s = &cap->slots[head % VSW_CAPTURE_RING_SLOTS];
		s->len = p->len;
		s->caplen = p->len < VSW_CAPTURE_SNAPLEN ? p->len : VSW_CAPTURE_SNAPLEN;
		s->time_ns = now;
		memcpy(s->data, pkt_data(p), s->caplen);
		head++;
		captured++;
	}
	__atomic_store_n(&cap->captured, captured, __ATOMIC_RELAXED);
	__atomic_store_n(&cap->lost, lost, __ATOMIC_RELAXED);
	/* Publishes the slots written above to the consumer. */
	__atomic_store_n(&cap->head, head, __ATOMIC_RELEASE);
}

struct vsw_capture_attach {
	struct vsw_capture *cap;
	bool on;
};

static int
vsw_capture_do_attach(void *arg)
{
	struct vsw_capture_attach *a = arg;
	unsigned int idx = a->cap->port->index;

	if (a->on) {
		if (vsw_capture_of_port[idx])
			return -EBUSY;
		vsw_capture_of_port[idx] = a->cap;
	} else if (vsw_capture_of_port[idx] == a->cap) {
		vsw_capture_of_port[idx] = NULL;
	}
	return 0;
}

static void
vsw_capture_free(struct vsw_capture *cap)
{
	if (cap->dumper)
		pcap_dump_close(cap->dumper);
	if (cap->dead)
		pcap_close(cap->dead);
	free(cap->slots);
	free(cap);
}

int
vsw_capture_start(struct vsw_switch *sw, struct port *port, unsigned int max_frames, int fd,
		  const char *path, struct vsw_capture **capp)
{
	struct vsw_capture_attach a;
	struct vsw_net *net = port ? vsw_port_net(sw, port) : NULL;
	struct vsw_capture *cap;
	FILE *f = NULL;
	int err;

	if (!net || (fd < 0 && !path)) {
		err = -EINVAL;
		goto fail_fd;
	}
	/* The ring has one producer: a port of a spread network has several workers. */
	if (vsw_net_n_workers(net) > 1) {
		err = -EOPNOTSUPP;
		goto fail_fd;
	}
	cap = calloc(1, sizeof(*cap));
	if (!cap) {
		err = -ENOMEM;
		goto fail_fd;
	}
	cap->sw = sw;
	cap->port = port;
	cap->max_frames = max_frames;
	cap->slots = calloc(VSW_CAPTURE_RING_SLOTS, sizeof(*cap->slots));
	cap->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, VSW_CAPTURE_SNAPLEN,
							 PCAP_TSTAMP_PRECISION_MICRO);
	if (!cap->slots || !cap->dead) {
		vsw_capture_free(cap);
		err = -ENOMEM;
		goto fail_fd;
	}
	if (fd >= 0) {
		f = fdopen(fd, "w");
		if (!f) {
			err = -errno;
			vsw_capture_free(cap);
			goto fail_fd;
		}
		fd = -1;
		cap->dumper = pcap_dump_fopen(cap->dead, f);
		if (!cap->dumper)
			fclose(f);
	} else {
		f = fopen(path, "w");
		if (!f) {
			err = -errno;
			vsw_capture_free(cap);
			return err;
		}
		cap->dumper = pcap_dump_fopen(cap->dead, f);
		if (!cap->dumper)
			fclose(f);
	}
	if (!cap->dumper) {
		vsw_capture_free(cap);
		return -EIO;
	}
	pcap_dump_flush(cap->dumper);
	a.cap = cap;
	a.on = true;
	err = vsw_net_call(net, vsw_capture_do_attach, &a);
	if (err) {
		vsw_capture_free(cap);
		return err;
	}
	*capp = cap;
	return 0;
fail_fd:
	if (fd >= 0)
		close(fd);
	return err;
}

int
vsw_capture_drain(struct vsw_capture *cap)
{
	uint64_t head = __atomic_load_n(&cap->head, __ATOMIC_ACQUIRE);
	uint64_t tail = cap->tail;
	int n = 0;

	while (tail != head) {
		const struct vsw_capture_slot *s = &cap->slots[tail % VSW_CAPTURE_RING_SLOTS];
		struct pcap_pkthdr h;

		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = (time_t)(s->time_ns / NS_PER_S);
		h.ts.tv_usec = (suseconds_t)(s->time_ns % NS_PER_S / 1000);
		h.caplen = s->caplen;
		h.len = s->len;
		pcap_dump((u_char *)cap->dumper, &h, s->data);
		tail++;
		n++;
	}
	/* The slots are free for the producer once written out. */
	__atomic_store_n(&cap->tail, tail, __ATOMIC_RELEASE);
	cap->written += (uint64_t)n;
	if (pcap_dump_flush(cap->dumper))
		return -EIO;
	return n;
}

bool
vsw_capture_done(const struct vsw_capture *cap)
{
	return cap->max_frames && cap->written >= cap->max_frames;
}

void
vsw_capture_get_stats(const struct vsw_capture *cap, struct vsw_capture_stats *stats)
{
	stats->captured = __atomic_load_n(&cap->captured, __ATOMIC_RELAXED);
	stats->lost = __atomic_load_n(&cap->lost, __ATOMIC_RELAXED);
	stats->written = cap->written;
}

void
vsw_capture_stop(struct vsw_capture *cap)
{
	struct vsw_capture_attach a = { .cap = cap, .on = false };
	struct vsw_net *net;

	if (!cap)
		return;
	net = vsw_port_net(cap->sw, cap->port);
	/* A port that left its network is served by no worker: detach directly. */
	if (net)
		vsw_net_call(net, vsw_capture_do_attach, &a);
	else
		vsw_capture_do_attach(&a);
	vsw_capture_drain(cap);
	vsw_capture_free(cap);
}
