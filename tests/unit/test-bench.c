/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for nb-bench's measuring logic (tools/bench/bench.c): finding, writing and
 * reading the payload stamp, sequence accounting across wrap-around, the log-linear latency
 * histogram (bucket bounds, percentiles within the stated precision), loading a pcap (and
 * repeating it to a minimum), reading `nbctl stats --json`, argument parsing; and the one-slot
 * TX request of a preloaded frame that nb-bench adds to the netfront ring layer.
 */
#include "tools/bench/bench.h"
#include "tools/guest/netfront.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* 60-byte UDP frame with the stamp placeholder, as gen-traffic.py writes it. */
static void
udp_frame(uint8_t f[60])
{
	static const uint8_t hdr[42] = {
		0x02, 0,  0,	0,    2, 1,  0x02, 0, 0,  0,  1, 1, 0x08, 0x00, /* Ethernet */
		0x45, 0,  0,	46,   0, 1,  0,	   0, 64, 17, 0, 0, 10,	  90,
		0,    11, 10,	90,   0, 12,	      /* IPv4 */
		0x04, 0,  0x13, 0x89, 0, 26, 0,	   0, /* UDP, csum 0 */
	};

	memset(f, 0, 60);
	memcpy(f, hdr, sizeof(hdr));
	f[42] = 'N';
	f[43] = 'B';
	f[44] = BENCH_STAMP_VERSION;
}

static void
test_stamp_roundtrip(void **state)
{
	uint8_t f[60], orig[60];
	uint32_t seq;
	uint64_t ts;

	(void)state;
	udp_frame(f);
	memcpy(orig, f, sizeof(f));
	assert_int_equal(bench_stamp_offset(f, sizeof(f)), 42);
	bench_stamp_write(f, 42, 0xdeadbeef, 0x0123456789abcdefull);
	assert_true(bench_stamp_read(f, sizeof(f), &seq, &ts));
	assert_int_equal(seq, 0xdeadbeef);
	assert_true(ts == 0x0123456789abcdefull);
	/* Only the 12 bytes of sequence and time change. */
	assert_memory_equal(f, orig, 46);
	assert_memory_equal(f + 58, orig + 58, 2);
}

static void
test_stamp_absent(void **state)
{
	uint8_t f[60];
	uint32_t seq;
	uint64_t ts;

	(void)state;
	udp_frame(f);
	f[42] = 'X'; /* no magic */
	assert_int_equal(bench_stamp_offset(f, sizeof(f)), -1);
	assert_false(bench_stamp_read(f, sizeof(f), &seq, &ts));
	udp_frame(f);
	f[23] = 6; /* TCP */
	assert_int_equal(bench_stamp_offset(f, sizeof(f)), -1);
	udp_frame(f);
	assert_int_equal(bench_stamp_offset(f, 57), -1); /* too short for the stamp */
	udp_frame(f);
	f[20] = 0x00;
	f[21] = 0x10; /* a later fragment */
	assert_int_equal(bench_stamp_offset(f, sizeof(f)), -1);
	udp_frame(f);
	f[12] = 0x86;
	f[13] = 0xdd; /* not IPv4 */
	assert_int_equal(bench_stamp_offset(f, sizeof(f)), -1);
	udp_frame(f);
	f[14] = 0x46; /* IHL 6: options, the payload starts 4 bytes later */
	assert_int_equal(bench_stamp_offset(f, sizeof(f)), -1);
}

static void
test_seq(void **state)
{
	struct bench_seq s = { 0 };

	(void)state;
	bench_seq_add(&s, 10);
	bench_seq_add(&s, 11);
	bench_seq_add(&s, 13); /* 12 lost or late */
	bench_seq_add(&s, 12); /* late */
	bench_seq_add(&s, 14);
	assert_int_equal(s.received, 5);
	assert_int_equal(s.reordered, 1);
	assert_int_equal(s.next, 15);
	/* Wrap-around is not reordering. */
	memset(&s, 0, sizeof(s));
	bench_seq_add(&s, UINT32_MAX - 1);
	bench_seq_add(&s, UINT32_MAX);
	bench_seq_add(&s, 0);
	bench_seq_add(&s, 1);
	assert_int_equal(s.reordered, 0);
	assert_int_equal(s.next, 2);
}

static void
test_hist_buckets(void **state)
{
	uint64_t v;

	(void)state;
	/* Exact below 64, then monotonic and each bucket's low bound maps back to it. */
	for (v = 0; v < 64; v++)
		assert_int_equal(bench_hist_bucket_low(bench_hist_bucket(v)), v);
	for (v = 1; v < (1ull << 40); v = v * 3 + 1) {
		unsigned int b = bench_hist_bucket(v);
		uint64_t low = bench_hist_bucket_low(b);

		assert_true(b < BENCH_HIST_BUCKETS);
		assert_true(low <= v);
		/* Precision: within 1/64 of the value. */
		assert_true(v - low <= v / 64);
		assert_int_equal(bench_hist_bucket(low), b);
		assert_true(bench_hist_bucket(v + 1) >= b);
	}
	assert_true(bench_hist_bucket(UINT64_MAX) < BENCH_HIST_BUCKETS);
}

static void
test_hist_quantiles(void **state)
{
	static struct bench_hist h;
	uint64_t v, p50, p99, p999;

	(void)state;
	bench_hist_reset(&h);
	assert_true(bench_hist_quantile(&h, 0.5) == 0);
	/* 1..100000 ns uniformly: p50 = 50000, p99 = 99000, p99.9 = 99900 (within 1/64). */
	for (v = 1; v <= 100000; v++)
		bench_hist_add(&h, v);
	p50 = bench_hist_quantile(&h, 0.5);
	p99 = bench_hist_quantile(&h, 0.99);
	p999 = bench_hist_quantile(&h, 0.999);
	assert_true(p50 <= 50000 && p50 >= 50000 - 50000 / 64);
	assert_true(p99 <= 99000 && p99 >= 99000 - 99000 / 64);
	assert_true(p999 <= 99900 && p999 >= 99900 - 99900 / 64);
	assert_true(bench_hist_quantile(&h, 0) == 1);
	assert_true(bench_hist_quantile(&h, 1) == 100000);
	/* One outlier in 1000 shows at p99.9 but not at p99. */
	bench_hist_reset(&h);
	for (v = 0; v < 999; v++)
		bench_hist_add(&h, 1000);
	bench_hist_add(&h, 5000000);
	assert_true(bench_hist_quantile(&h, 0.99) == 1000);
	assert_true(bench_hist_quantile(&h, 0.999) == 1000);
	assert_true(bench_hist_quantile(&h, 0.9995) >= 5000000 - 5000000 / 64);
	assert_true(h.max == 5000000 && h.min == 1000 && h.count == 1000);
}

static char *
write_pcap(unsigned int n, size_t len)
{
	static char path[] = "/tmp/test-bench-XXXXXX";
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d;
	uint8_t f[1600];
	unsigned int i;
	int fd;

	strcpy(path, "/tmp/test-bench-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	d = pcap_dump_open(p, path);
	assert_non_null(d);
	for (i = 0; i < n; i++) {
		struct pcap_pkthdr h = { .caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len };

		memset(f, 0, sizeof(f));
		udp_frame(f);
		f[59] = (uint8_t)i;
		h.ts.tv_sec = 100;
		h.ts.tv_usec = (suseconds_t)(10 * i);
		pcap_dump((u_char *)d, &h, f);
	}
	pcap_dump_close(d);
	pcap_close(p);
	return path;
}

static void
test_trace_load(void **state)
{
	struct bench_trace t;
	char *path = write_pcap(3, 60);
	const uint8_t dst[6] = { 2, 9, 9, 9, 9, 9 };
	size_t i;

	(void)state;
	assert_int_equal(bench_trace_load(&t, path, 4096, 10), 0);
	/* Whole copies of the file, at least 10 frames: 12. */
	assert_int_equal(t.n_file, 3);
	assert_int_equal(t.n, 12);
	assert_int_equal(t.n_stamped, 12);
	assert_true(t.bytes == 12 * 60);
	for (i = 0; i < t.n; i++) {
		assert_int_equal(t.f[i].len, 60);
		assert_int_equal(t.f[i].stamp, 42);
		assert_int_equal(t.buf[t.f[i].off + 59], i % 3);
	}
	/* Relative times, and copies continue the timeline. */
	assert_true(t.f[0].ts_ns == 0 && t.f[1].ts_ns == 10000 && t.f[2].ts_ns == 20000);
	assert_true(t.f[3].ts_ns > t.f[2].ts_ns && t.f[6].ts_ns > t.f[5].ts_ns);
	bench_trace_set_macs(&t, dst, NULL);
	assert_memory_equal(t.buf + t.f[7].off, dst, 6);
	bench_trace_free(&t);
	/* Frames over the limit are refused. */
	assert_int_equal(bench_trace_load(&t, path, 59, 1), -E2BIG);
	unlink(path);
	assert_int_equal(bench_trace_load(&t, "/nonexistent.pcap", 4096, 1), -EINVAL);
}

static void
test_ctrs_parse(void **state)
{
	static const char *json =
		"[{\"port\":\"vif1.0\",\"type\":\"vif\",\"network\":\"br0\",\"rx_packets\":100,"
		"\"rx_bytes\":6000,\"tx_packets\":4,\"tx_bytes\":240,\"drops\":{\"rx_nobuf\":0,"
		"\"tx_queue_full\":7,\"fwd_flood\":2},\"vif\":{\"tx_errors\":1,"
		"\"tx_grant_errors\":0,\"tx_csum_fixed\":5,\"rx_grant_errors\":0,\"notifies\":9,"
		"\"events\":3},\"queues\":[{\"tx_packets\":60,\"rx_packets\":40},"
		"{\"tx_packets\":40,\"rx_packets\":\"x]\"}]},\n"
		"{\"port\":\"upl0\",\"type\":\"afpacket\",\"network\":\"br0\",\"rx_packets\":0,"
		"\"rx_bytes\":0,\"tx_packets\":93,\"tx_bytes\":5580,\"drops\":{\"rx_nobuf\":0,"
		"\"tx_queue_full\":3,\"fwd_flood\":0}}]\n";
	struct bench_ctrs c;

	(void)state;
	assert_int_equal(bench_ctrs_parse(&c, json, "upl0"), 0);
	assert_true(bench_ctrs_get(&c, "tx_queue_full") == 10);
	assert_true(bench_ctrs_get(&c, "fwd_flood") == 2);
	assert_true(bench_ctrs_get(&c, "tx_errors") == 1);
	/* Not a drop or error: left out. */
	assert_true(bench_ctrs_get(&c, "notifies") == 0);
	assert_true(bench_ctrs_get(&c, "tx_csum_fixed") == 0);
	assert_true(c.port_tx == 93 && c.port_rx == 0 && c.port_tx_bytes == 5580);
	assert_int_equal(bench_ctrs_parse(&c, "[]\n", NULL), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(bench_ctrs_parse(&c, "nbctl: cannot connect", NULL), -EINVAL);
	/* Lists are skipped whole (nbctl prints a vif's queues), broken ones refused. */
	assert_int_equal(
		bench_ctrs_parse(&c, "[{\"port\":\"a\",\"x\":[1,[2]],\"tx_packets\":5}]", "a"), 0);
	assert_true(c.port_tx == 5);
	assert_int_equal(bench_ctrs_parse(&c, "[{\"port\":\"a\",\"x\":[1,2}", NULL), -EINVAL);
	assert_int_equal(bench_ctrs_parse(&c, "[{\"port\":\"a\"", NULL), -EINVAL);
}

static void
test_parse_args(void **state)
{
	uint8_t mac[6];
	double v;

	(void)state;
	assert_int_equal(bench_parse_mac("02:00:00:00:01:0a", mac), 0);
	assert_int_equal(mac[5], 10);
	assert_int_equal(bench_parse_mac("02:00:00:00:01", mac), -EINVAL);
	assert_int_equal(bench_parse_mac("02:00:00:00:01:0a:", mac), -EINVAL);
	assert_int_equal(bench_parse_si("2.5M", &v), 0);
	assert_true(v == 2500000);
	assert_int_equal(bench_parse_si("10k", &v), 0);
	assert_true(v == 10000);
	assert_int_equal(bench_parse_si("3", &v), 0);
	assert_true(v == 3);
	assert_int_equal(bench_parse_si("3x", &v), -EINVAL);
	assert_int_equal(bench_parse_si("-1", &v), -EINVAL);
	assert_int_equal(bench_parse_si("", &v), -EINVAL);
}

static void
test_tx_queue_ref(void **state)
{
	static uint8_t ring[NB_XEN_PAGE_SIZE] __attribute__((aligned(4096)));
	static uint8_t bufs[NB_NF_TX_RING_SIZE][8];
	static struct nb_nf_tx tx;
	uint8_t *pages[NB_NF_TX_RING_SIZE];
	uint32_t refs[NB_NF_TX_RING_SIZE];
	struct netif_tx_request *req;
	unsigned int i;

	(void)state;
	for (i = 0; i < NB_NF_TX_RING_SIZE; i++) {
		pages[i] = bufs[i];
		refs[i] = 100 + i;
	}
	nb_nf_tx_init(&tx, ring, pages, refs, NULL, 0);
	assert_int_equal(nb_nf_tx_queue_ref(&tx, 7777, 128, 60), 1);
	req = RING_GET_REQUEST(&tx.ring, 0);
	assert_int_equal(req->gref, 7777);
	assert_int_equal(req->offset, 128);
	assert_int_equal(req->size, 60);
	assert_int_equal(req->flags, 0);
	assert_true(tx.in_flight[req->id]);
	/* Never across the page end, never empty. */
	assert_int_equal(nb_nf_tx_queue_ref(&tx, 7777, 4090, 7), -EINVAL);
	assert_int_equal(nb_nf_tx_queue_ref(&tx, 7777, 4096, 1), -EINVAL);
	assert_int_equal(nb_nf_tx_queue_ref(&tx, 7777, 0, 0), -EINVAL);
	assert_int_equal(nb_nf_tx_queue_ref(&tx, 7777, 0, 4096), 1);
	/* Fills the ring, then -ENOSPC. */
	for (i = 2; i < NB_NF_TX_RING_SIZE; i++)
		assert_int_equal(nb_nf_tx_queue_ref(&tx, 7777, 0, 60), 1);
	assert_int_equal(nb_nf_tx_queue_ref(&tx, 7777, 0, 60), -ENOSPC);
	assert_int_equal(nb_nf_tx_slots_free(&tx), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stamp_roundtrip),
		cmocka_unit_test(test_stamp_absent),
		cmocka_unit_test(test_seq),
		cmocka_unit_test(test_hist_buckets),
		cmocka_unit_test(test_hist_quantiles),
		cmocka_unit_test(test_trace_load),
		cmocka_unit_test(test_ctrs_parse),
		cmocka_unit_test(test_parse_args),
		cmocka_unit_test(test_tx_queue_ref),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
