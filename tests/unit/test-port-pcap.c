/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the "pcap" port class (vswitch/port-pcap.c): files written and read back
 * with libpcap in a private temporary directory, removed by each test's teardown.
 */
#include "vswitch/port-pcap.h"

#include <errno.h>
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
	char in[128];
	char out[128];
	char args[320];
	struct pkt_pool *pool;
	struct port *port;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/nb-pcap-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->in, sizeof(f->in), "%s/in.pcap", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out.pcap", f->dir);
	assert_int_equal(port_pcap_register(), 0);
	assert_int_equal(pkt_pool_create(64, 0, &f->pool), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	port_close(f->port);
	pkt_pool_destroy(f->pool);
	unlink(f->in);
	unlink(f->out);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Writes frames of the given lengths, frame i filled with byte i and stamped i.5 s (µs). */
static void
write_input(const char *path, int linktype, const unsigned int *lens, unsigned int n)
{
	pcap_t *dead = pcap_open_dead(linktype, 262144);
	pcap_dumper_t *d;
	static uint8_t buf[70000];

	assert_non_null(dead);
	d = pcap_dump_open(dead, path);
	assert_non_null(d);
	for (unsigned int i = 0; i < n; i++) {
		struct pcap_pkthdr h = { .caplen = lens[i], .len = lens[i] };

		h.ts.tv_sec = (time_t)i;
		h.ts.tv_usec = 500000;
		memset(buf, (int)i + 1, lens[i]);
		pcap_dump((u_char *)d, &h, buf);
	}
	pcap_dump_close(d);
	pcap_close(dead);
}

static uint64_t
ctr(struct port *port, enum vsw_counter c)
{
	struct port_stats st;

	assert_int_equal(port_get_stats(port, &st), 0);
	return st.ctrs.c[c];
}

static void
rx_returns_frames_in_order_with_their_timestamps(void **state)
{
	static const unsigned int lens[] = { 60, 10, 1514 };
	struct fixture *f = *state;
	struct pkt_batch b = { 0 };
	uint64_t ns;

	write_input(f->in, DLT_EN10MB, lens, 3);
	snprintf(f->args, sizeof(f->args), "in=%s", f->in);
	assert_int_equal(port_open("pcap", "pc0", f->args, &f->port), 0);
	assert_int_equal(port_pcap_next_ns(f->port, &ns), 0);
	assert_int_equal(ns, NS_PER_S / 2);
	assert_int_equal(port_rx_burst(f->port, 0, f->pool, &b), 3);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(b.pkts[i]->len, lens[i]);
		assert_int_equal(pkt_data(b.pkts[i])[0], i + 1);
		assert_int_equal(b.pkts[i]->in_port, f->port->index);
		assert_int_equal(b.pkts[i]->timestamp_ns, i * NS_PER_S + NS_PER_S / 2);
	}
	/* A runt (10 bytes) is passed on: the modes must see hostile input to count it. */
	assert_int_equal(f->port->stats.rx_packets, 3);
	assert_int_equal(port_pcap_next_ns(f->port, &ns), -ENOENT);
	b.count = 0;
	assert_int_equal(port_rx_burst(f->port, 0, f->pool, &b), 0);
	for (unsigned int i = 0; i < 3; i++)
		pkt_free(b.pkts[i]);
}

static void
step_mode_hands_out_only_released_frames(void **state)
{
	static const unsigned int lens[] = { 60, 61, 62 };
	struct fixture *f = *state;
	struct pkt_batch b = { 0 };
	uint64_t ns;

	write_input(f->in, DLT_EN10MB, lens, 3);
	snprintf(f->args, sizeof(f->args), "in=%s,step=1", f->in);
	assert_int_equal(port_open("pcap", "pc0", f->args, &f->port), 0);
	assert_int_equal(port_rx_burst(f->port, 0, f->pool, &b), 0);
	assert_int_equal(port_pcap_release(f->port, 1), 0);
	assert_int_equal(port_rx_burst(f->port, 0, f->pool, &b), 1);
	assert_int_equal(b.pkts[0]->len, 60);
	assert_int_equal(port_rx_burst(f->port, 0, f->pool, &b), 0);
	assert_int_equal(port_pcap_next_ns(f->port, &ns), 0);
	assert_int_equal(ns, NS_PER_S + NS_PER_S / 2);
	assert_int_equal(port_pcap_release(f->port, 5), 0);
	assert_int_equal(port_rx_burst(f->port, 0, f->pool, &b), 2);
	assert_int_equal(b.pkts[2]->len, 62);
	pkt_batch_free(&b);
}

static void
tx_appends_frames_stamped_with_the_clock(void **state)
{
	struct fixture *f = *state;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pkt_batch b = { 0 };
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *rd;

	snprintf(f->args, sizeof(f->args), "out=%s", f->out);
	assert_int_equal(port_open("pcap", "pc0", f->args, &f->port), 0);
	for (unsigned int i = 0; i < 2; i++) {
		struct pkt *p = pkt_alloc(f->pool);

		assert_non_null(p);
		assert_non_null(pkt_put(p, 64 + i));
		memset(pkt_data(p), 0xa0 + (int)i, 64 + i);
		b.pkts[b.count++] = p;
	}
	/* The second frame carries its VLAN tag in metadata: the file shows it in the bytes. */
	b.pkts[1]->flags |= PKT_F_VLAN;
	b.pkts[1]->vlan_tci = 0x2005;
	assert_int_equal(port_pcap_set_clock(f->port, 7 * NS_PER_S + 250000000ull), 0);
	assert_int_equal(port_tx_burst(f->port, 0, &b), 2);
	assert_int_equal(b.count, 0);
	assert_int_equal(f->port->stats.tx_packets, 2);
	rd = pcap_open_offline(f->out, errbuf);
	assert_non_null(rd);
	assert_int_equal(pcap_datalink(rd), DLT_EN10MB);
	for (unsigned int i = 0; i < 2; i++) {
		assert_int_equal(pcap_next_ex(rd, &h, &data), 1);
		assert_int_equal(h->caplen, 64 + i * 5);
		assert_int_equal(data[0], 0xa0 + i);
		assert_int_equal(h->ts.tv_sec, 7);
		assert_int_equal(h->ts.tv_usec, 250000);
	}
	assert_memory_equal(data + 12, ((const uint8_t[]){ 0x81, 0x00, 0x20, 0x05, 0xa1 }), 5);
	assert_int_equal(pcap_next_ex(rd, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(rd);
}

static void
frames_over_the_mtu_are_dropped_and_counted_both_ways(void **state)
{
	static const unsigned int lens[] = { 1515, 1514 };
	struct fixture *f = *state;
	struct pkt_batch b = { 0 };

	write_input(f->in, DLT_EN10MB, lens, 2);
	snprintf(f->args, sizeof(f->args), "in=%s,out=%s", f->in, f->out);
	assert_int_equal(port_open("pcap", "pc0", f->args, &f->port), 0);
	assert_int_equal(port_rx_burst(f->port, 0, f->pool, &b), 1);
	assert_int_equal(b.pkts[0]->len, 1514);
	assert_int_equal(ctr(f->port, VSW_CTR_RX_TOO_BIG), 1);
	assert_non_null(pkt_put(b.pkts[0], 1));
	assert_int_equal(port_tx_burst(f->port, 0, &b), 0);
	assert_int_equal(ctr(f->port, VSW_CTR_TX_TOO_BIG), 1);
	assert_int_equal(f->port->stats.tx_packets, 0);
}

static void
truncated_file_ends_input_with_rx_error(void **state)
{
	static const unsigned int lens[] = { 100, 100 };
	struct fixture *f = *state;
	struct pkt_batch b = { 0 };
	FILE *fp;
	long size;

	write_input(f->in, DLT_EN10MB, lens, 2);
	fp = fopen(f->in, "r+");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	size = ftell(fp);
	fclose(fp);
	assert_int_equal(truncate(f->in, size - 50), 0);
	snprintf(f->args, sizeof(f->args), "in=%s", f->in);
	assert_int_equal(port_open("pcap", "pc0", f->args, &f->port), 0);
	assert_int_equal(port_rx_burst(f->port, 0, f->pool, &b), 1);
	assert_int_equal(ctr(f->port, VSW_CTR_RX_ERROR), 1);
	assert_int_equal(port_rx_burst(f->port, 0, f->pool, &b), 0);
	assert_int_equal(ctr(f->port, VSW_CTR_RX_ERROR), 1);
	pkt_batch_free(&b);
}

static void
bad_arguments_and_files_are_refused(void **state)
{
	static const unsigned int lens[] = { 60 };
	struct fixture *f = *state;
	struct port *p = NULL;

	assert_int_equal(port_open("pcap", "pc0", NULL, &p), -EINVAL);
	assert_int_equal(port_open("pcap", "pc0", "bogus=1", &p), -EINVAL);
	assert_int_equal(port_open("pcap", "pc0", "step=2,out=/dev/null", &p), -EINVAL);
	snprintf(f->args, sizeof(f->args), "in=%s/missing.pcap", f->dir);
	assert_int_equal(port_open("pcap", "pc0", f->args, &p), -ENOENT);
	write_input(f->in, DLT_RAW, lens, 1);
	snprintf(f->args, sizeof(f->args), "in=%s", f->in);
	assert_int_equal(port_open("pcap", "pc0", f->args, &p), -EINVAL);
	assert_null(port_lookup("pc0"));
	assert_int_equal(port_pcap_release(NULL, 1), -EINVAL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(rx_returns_frames_in_order_with_their_timestamps),
		T(step_mode_hands_out_only_released_frames),
		T(tx_appends_frames_stamped_with_the_clock),
		T(frames_over_the_mtu_are_dropped_and_counted_both_ways),
		T(truncated_file_ends_input_with_rx_error),
		T(bad_arguments_and_files_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
