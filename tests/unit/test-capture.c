/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for port captures (vswitch/capture.c) through the switch's hooks: a bridge of
 * dummy ports in a switch without threads, a capture on one port written to a file in a
 * private temporary directory and read back with libpcap.
 */
#include "vswitch/capture.h"
#include "vswitch/port-dummy.h"
#include "vswitch/switch.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define NS_PER_S 1000000000ull

struct fixture {
	char dir[64];
	char path[128];
	struct vsw_switch *sw;
	struct vsw_net *net;
	struct pkt_pool *pool;
	struct port *ports[2];
	uint64_t now;
};

static const uint8_t MAC_A[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0a };
static const uint8_t MAC_B[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0b };

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/nb-capture-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/cap.pcap", f->dir);
	assert_int_equal(port_dummy_register(), 0);
	assert_int_equal(vsw_switch_create(0, &f->sw), 0);
	assert_int_equal(vsw_net_create(f->sw, "br0", "bridge", NULL, &f->net), 0);
	assert_int_equal(pkt_pool_create(256, 0, &f->pool), 0);
	assert_int_equal(port_open("dummy", "p0", NULL, &f->ports[0]), 0);
	assert_int_equal(port_open("dummy", "p1", NULL, &f->ports[1]), 0);
	assert_int_equal(vsw_net_add_port(f->net, f->ports[0], NULL), 0);
	assert_int_equal(vsw_net_add_port(f->net, f->ports[1], NULL), 0);
	f->now = NS_PER_S;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 2; i++) {
		vsw_net_del_port(f->sw, f->ports[i]);
		port_close(f->ports[i]);
	}
	assert_int_equal(vsw_net_destroy(f->net), 0);
	vsw_switch_destroy(f->sw);
	pkt_pool_destroy(f->pool);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Injects a frame of 'len' bytes from 'src' to 'dst' on port 'i', its byte 14 = 'tag'. */
static void
inject(struct fixture *f, int i, const uint8_t *dst, const uint8_t *src, uint32_t len, uint8_t tag)
{
	static uint8_t frame[4096];
	struct pkt *p = pkt_alloc(f->pool);
	uint8_t *d;

	memset(frame, 0x33, len);
	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	frame[14] = tag;
	assert_non_null(p);
	d = pkt_put(p, len);
	assert_non_null(d);
	memcpy(d, frame, len);
	assert_int_equal(port_dummy_inject(f->ports[i], p), 0);
}

static void
run(struct fixture *f)
{
	struct pkt *pkts[64];

	vsw_switch_run_once(f->sw, f->now);
	f->now += NS_PER_S;
	for (int i = 0; i < 2; i++)
		pkt_free_bulk(pkts, port_dummy_capture(f->ports[i], pkts, 64));
}

/* Reads the capture file: frame count, and each frame's tag, caplen and len. */
static unsigned int
read_back(const char *path, uint8_t *tags, uint32_t *caplens, uint32_t *lens, unsigned int max)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned int n = 0;
	pcap_t *rd = pcap_open_offline(path, errbuf);

	assert_non_null(rd);
	assert_int_equal(pcap_datalink(rd), DLT_EN10MB);
	while (n < max && pcap_next_ex(rd, &h, &data) == 1) {
		tags[n] = data[14];
		caplens[n] = h->caplen;
		lens[n] = h->len;
		n++;
	}
	pcap_close(rd);
	return n;
}

static void
frames_received_and_sent_are_captured_in_order(void **state)
{
	struct fixture *f = *state;
	struct vsw_capture_stats st;
	struct vsw_capture *cap;
	uint32_t caplens[8], lens[8];
	uint8_t tags[8];

	assert_int_equal(vsw_capture_start(f->sw, f->ports[0], 0, -1, f->path, &cap), 0);
	inject(f, 0, MAC_B, MAC_A, 60, 1); /* received on p0 */
	run(f);
	inject(f, 1, MAC_A, MAC_B, 61, 2); /* sent on p0 */
	run(f);
	inject(f, 1, MAC_A, MAC_B, 3000, 3); /* sent on p0, longer than the snap length */
	run(f);
	assert_int_equal(vsw_capture_drain(cap), 3);
	vsw_capture_get_stats(cap, &st);
	assert_int_equal(st.captured, 3);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.written, 3);
	assert_false(vsw_capture_done(cap));
	vsw_capture_stop(cap);
	assert_int_equal(read_back(f->path, tags, caplens, lens, 8), 3);
	assert_int_equal(tags[0], 1);
	assert_int_equal(tags[1], 2);
	assert_int_equal(tags[2], 3);
	assert_int_equal(caplens[1], 61);
	assert_int_equal(caplens[2], VSW_CAPTURE_SNAPLEN);
	assert_int_equal(lens[2], 3000);
}

static void
capture_stops_at_max_frames(void **state)
{
	struct fixture *f = *state;
	struct vsw_capture *cap;
	uint32_t caplens[8], lens[8];
	uint8_t tags[8];

	assert_int_equal(vsw_capture_start(f->sw, f->ports[1], 2, -1, f->path, &cap), 0);
	for (uint8_t i = 0; i < 5; i++) {
		inject(f, 1, MAC_A, MAC_B, 60, i);
		run(f);
	}
	assert_int_equal(vsw_capture_drain(cap), 2);
	assert_true(vsw_capture_done(cap));
	vsw_capture_stop(cap);
	assert_int_equal(read_back(f->path, tags, caplens, lens, 8), 2);
	assert_int_equal(tags[0], 0);
	assert_int_equal(tags[1], 1);
}

static void
full_ring_loses_frames_without_blocking(void **state)
{
	struct fixture *f = *state;
	struct vsw_capture_stats st;
	struct vsw_capture *cap;
	int fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(vsw_capture_start(f->sw, f->ports[0], 0, fd, NULL, &cap), 0);
	for (unsigned int i = 0; i < VSW_CAPTURE_RING_SLOTS + 10; i++) {
		inject(f, 0, MAC_B, MAC_A, 60, (uint8_t)i);
		run(f);
	}
	vsw_capture_get_stats(cap, &st);
	assert_int_equal(st.captured, VSW_CAPTURE_RING_SLOTS);
	assert_int_equal(st.lost, 10);
	assert_int_equal(vsw_capture_drain(cap), VSW_CAPTURE_RING_SLOTS);
	inject(f, 0, MAC_B, MAC_A, 60, 0);
	run(f);
	assert_int_equal(vsw_capture_drain(cap), 1);
	vsw_capture_stop(cap);
}

static void
second_capture_on_a_port_and_bad_arguments_are_refused(void **state)
{
	struct fixture *f = *state;
	struct vsw_capture *cap, *other;
	struct port *loose;

	assert_int_equal(vsw_capture_start(f->sw, f->ports[0], 0, -1, f->path, &cap), 0);
	assert_int_equal(vsw_capture_start(f->sw, f->ports[0], 0, -1, f->path, &other), -EBUSY);
	assert_int_equal(vsw_capture_start(f->sw, f->ports[1], 0, -1, NULL, &other), -EINVAL);
	assert_int_equal(port_open("dummy", "p9", NULL, &loose), 0);
	assert_int_equal(vsw_capture_start(f->sw, loose, 0, -1, f->path, &other), -EINVAL);
	port_close(loose);
	vsw_capture_stop(cap);
	/* Stopped: the port takes a new capture. */
	assert_int_equal(vsw_capture_start(f->sw, f->ports[0], 0, -1, f->path, &cap), 0);
	vsw_capture_stop(cap);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(frames_received_and_sent_are_captured_in_order),
		T(capture_stops_at_max_frames),
		T(full_ring_loses_frames_without_blocking),
		T(second_capture_on_a_port_and_bad_arguments_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
