/* SPDX-License-Identifier: MIT */
/*
 * test-port.c - unit tests of vswitch/port (class registry, open/close, names and indexes,
 * MTU, argument parsing, stats) and of the dummy port class (round trip, bounded queues and
 * named drop counters), plus the counter list of counters.h.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vswitch/counters.h"
#include "vswitch/pkt.h"
#include "vswitch/port-dummy.h"
#include "vswitch/port.h"

static unsigned int
fake_rx(struct port *port, unsigned int qid, struct pkt_pool *pool, struct pkt_batch *batch)
{
	(void)port;
	(void)qid;
	(void)pool;
	(void)batch;
	return 0;
}

static unsigned int
fake_tx(struct port *port, unsigned int qid, struct pkt_batch *batch)
{
	(void)port;
	(void)qid;
	pkt_batch_free(batch);
	return 0;
}

static const struct port_class fake_class = {
	.type = "fake",
	.port_size = sizeof(struct port),
	.rx_burst = fake_rx,
	.tx_burst = fake_tx,
};

struct fixture {
	struct pkt_pool *pool;
};

static int
setup(void **state)
{
	static struct fixture fx;

	if (pkt_pool_create(256, 16384, &fx.pool))
		return -1;
	if (port_dummy_register())
		return -1;
	*state = &fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	struct pkt_pool_stats st;

	for (unsigned int i = 0; i < PORT_MAX; i++)
		port_close(port_by_index(i));
	port_class_unregister(&fake_class);
	/* Every test must give back every buffer: closing ports frees what they held. */
	pkt_pool_get_stats(fx->pool, &st);
	pkt_pool_destroy(fx->pool);
	return st.n_free == st.n_pkts && st.double_free == 0 ? 0 : -1;
}

static unsigned int
pool_free(const struct fixture *fx)
{
	struct pkt_pool_stats st;

	pkt_pool_get_stats(fx->pool, &st);
	return st.n_free;
}

/* A frame of 'len' bytes whose bytes spell 'seed'; ethertype IPv4 unless 'vlan'. */
static struct pkt *
make_frame(struct fixture *fx, uint32_t len, uint8_t seed, bool vlan)
{
	struct pkt *p = pkt_alloc(fx->pool);
	uint8_t *d;

	assert_non_null(p);
	d = pkt_put(p, len);
	assert_non_null(d);
	for (uint32_t i = 0; i < len; i++)
		d[i] = (uint8_t)(seed + i);
	if (len >= 14) {
		d[12] = vlan ? 0x81 : 0x08;
		d[13] = 0x00;
	}
	return p;
}

static struct port *
open_port(const char *type, const char *name, const char *args)
{
	struct port *port = NULL;

	assert_int_equal(port_open(type, name, args, &port), 0);
	assert_non_null(port);
	return port;
}

static uint64_t
ctr(const struct port *port, enum vsw_counter c)
{
	struct port_stats st;

	assert_int_equal(port_get_stats(port, &st), 0);
	return st.ctrs.c[c];
}

static void
class_register_validates_and_refuses_duplicates(void **state)
{
	struct port_class no_rx = fake_class;
	struct port_class no_type = fake_class;
	struct port_class small = fake_class;
	struct port_class long_type = fake_class;
	struct port_class empty_type = fake_class;
	struct port_class same_type = fake_class;

	(void)state;
	no_rx.rx_burst = NULL;
	no_type.type = NULL;
	small.port_size = sizeof(struct port) - 1;
	long_type.type = "a-type-name-far-too-long";
	empty_type.type = "";
	assert_int_equal(port_class_register(NULL), -EINVAL);
	assert_int_equal(port_class_register(&no_rx), -EINVAL);
	assert_int_equal(port_class_register(&no_type), -EINVAL);
	assert_int_equal(port_class_register(&small), -EINVAL);
	assert_int_equal(port_class_register(&long_type), -EINVAL);
	assert_int_equal(port_class_register(&empty_type), -EINVAL);

	assert_null(port_class_lookup("fake"));
	assert_int_equal(port_class_register(&fake_class), 0);
	assert_ptr_equal(port_class_lookup("fake"), &fake_class);
	assert_int_equal(port_class_register(&same_type), -EEXIST);
	assert_int_equal(port_dummy_register(), 0);
	assert_ptr_equal(port_class_lookup("dummy"), &port_dummy_class);

	assert_int_equal(port_class_unregister(&same_type), -ENOENT);
	assert_int_equal(port_class_unregister(&fake_class), 0);
	assert_null(port_class_lookup("fake"));
	assert_int_equal(port_class_unregister(&fake_class), -ENOENT);
}

static void
class_table_is_bounded(void **state)
{
	static struct port_class many[PORT_CLASS_MAX];
	static char names[PORT_CLASS_MAX][8];
	int n_ok = 0;

	(void)state;
	/* "dummy" holds one slot already. */
	for (int i = 0; i < PORT_CLASS_MAX; i++) {
		many[i] = fake_class;
		snprintf(names[i], sizeof(names[i]), "c%d", i);
		many[i].type = names[i];
		if (port_class_register(&many[i]) == 0)
			n_ok++;
		else
			assert_int_equal(port_class_register(&many[i]), -ENOSPC);
	}
	assert_int_equal(n_ok, PORT_CLASS_MAX - 1);
	for (int i = 0; i < PORT_CLASS_MAX; i++)
		port_class_unregister(&many[i]);
	assert_ptr_equal(port_class_lookup("dummy"), &port_dummy_class);
}

static void
open_refuses_bad_names_unknown_types_and_duplicates(void **state)
{
	struct port *port = NULL;

	(void)state;
	assert_int_equal(port_open("nosuch", "p0", NULL, &port), -EAFNOSUPPORT);
	assert_int_equal(port_open("dummy", "", NULL, &port), -EINVAL);
	assert_int_equal(port_open("dummy", NULL, NULL, &port), -EINVAL);
	assert_int_equal(port_open("dummy", "0123456789abcdef", NULL, &port), -EINVAL);
	assert_int_equal(port_open("dummy", "a/b", NULL, &port), -EINVAL);
	assert_int_equal(port_open("dummy", "a b", NULL, &port), -EINVAL);
	assert_int_equal(port_open("dummy", "..", NULL, &port), -EINVAL);
	assert_int_equal(port_open("dummy", "p0", "bogus=1", &port), -EINVAL);
	assert_int_equal(port_open("dummy", "p0", "rx_queue=0", &port), -EINVAL);
	assert_int_equal(port_open("dummy", "p0", "mac=01:02:03", &port), -EINVAL);
	assert_null(port);
	assert_int_equal(port_n_open(), 0);

	port = open_port("dummy", "0123456789abcde", NULL);
	assert_int_equal(port_open("dummy", "0123456789abcde", NULL, &port), -EEXIST);
	assert_int_equal(port_n_open(), 1);
}

static void
open_assigns_lowest_free_index_and_close_releases_it(void **state)
{
	struct port *a, *b, *c, *d;

	(void)state;
	a = open_port("dummy", "a", NULL);
	b = open_port("dummy", "b", NULL);
	c = open_port("dummy", "c", NULL);
	assert_int_equal(a->index, 0);
	assert_int_equal(b->index, 1);
	assert_int_equal(c->index, 2);
	assert_string_equal(b->name, "b");
	assert_ptr_equal(b->cls, &port_dummy_class);
	assert_int_equal(b->mtu, PORT_MTU_DEFAULT);
	assert_ptr_equal(port_lookup("b"), b);
	assert_ptr_equal(port_by_index(1), b);
	assert_null(port_by_index(PORT_MAX));

	port_close(b);
	assert_null(port_lookup("b"));
	assert_null(port_by_index(1));
	assert_int_equal(port_n_open(), 2);
	d = open_port("dummy", "d", NULL);
	assert_int_equal(d->index, 1);
	port_close(NULL);
}

static void
registry_is_bounded_by_port_max(void **state)
{
	struct port *port = NULL;
	char name[PORT_NAME_SIZE];

	(void)state;
	for (int i = 0; i < PORT_MAX; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		open_port("dummy", name, "rx_queue=1,tx_queue=1");
	}
	assert_int_equal(port_n_open(), PORT_MAX);
	assert_int_equal(port_open("dummy", "extra", NULL, &port), -ENOSPC);
	port_close(port_lookup("p17"));
	assert_int_equal(port_open("dummy", "extra", NULL, &port), 0);
	assert_int_equal(port->index, 17);
}

static void
unregister_refuses_while_ports_are_open(void **state)
{
	struct port *port;

	(void)state;
	assert_int_equal(port_class_register(&fake_class), 0);
	port = open_port("fake", "f0", NULL);
	assert_int_equal(port_class_unregister(&fake_class), -EBUSY);
	port_close(port);
	assert_int_equal(port_class_unregister(&fake_class), 0);
}

static void
dummy_round_trip_keeps_frames_and_order(void **state)
{
	struct fixture *fx = *state;
	struct port *out = open_port("dummy", "out", NULL);
	struct port *in = open_port("dummy", "in", NULL);
	struct pkt_batch batch;
	struct pkt *got[8];
	struct port_stats st;

	/* A non-zero index, so a missing in_port stamp cannot pass for the reset value. */
	assert_int_equal(in->index, 1);

	for (int i = 0; i < 3; i++)
		assert_int_equal(port_dummy_inject(in, make_frame(fx, 60 + i, (uint8_t)i, false)),
				 0);
	assert_int_equal(port_dummy_rx_queued(in), 3);

	pkt_batch_init(&batch);
	assert_int_equal(port_rx_burst(in, 0, fx->pool, &batch), 3);
	assert_int_equal(batch.count, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(batch.pkts[i]->len, 60 + i);
		assert_int_equal(batch.pkts[i]->in_port, in->index);
	}
	assert_int_equal(port_rx_burst(in, 0, fx->pool, &batch), 0);

	assert_int_equal(port_tx_burst(out, 0, &batch), 3);
	assert_int_equal(batch.count, 0);
	assert_int_equal(port_dummy_tx_queued(out), 3);

	assert_int_equal(port_dummy_capture(out, got, 8), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(got[i]->len, 60 + i);
		assert_int_equal(pkt_data(got[i])[0], (uint8_t)i);
		assert_int_equal(pkt_data(got[i])[20], (uint8_t)(i + 20));
	}
	pkt_free_bulk(got, 3);
	assert_int_equal(port_dummy_capture(out, got, 8), 0);

	assert_int_equal(port_get_stats(in, &st), 0);
	assert_int_equal(st.rx_packets, 3);
	assert_int_equal(st.rx_bytes, 60 + 61 + 62);
	assert_int_equal(port_get_stats(out, &st), 0);
	assert_int_equal(st.tx_packets, 3);
	assert_int_equal(st.tx_bytes, 60 + 61 + 62);
	assert_int_equal(st.rx_packets, 0);
}

static void
dummy_rx_burst_respects_batch_room(void **state)
{
	struct fixture *fx = *state;
	struct port *in = open_port("dummy", "in", NULL);
	struct pkt_batch batch;

	for (int i = 0; i < 40; i++)
		assert_int_equal(port_dummy_inject(in, make_frame(fx, 64, (uint8_t)i, false)), 0);
	pkt_batch_init(&batch);
	assert_int_equal(pkt_batch_add(&batch, make_frame(fx, 64, 0xee, false)), 0);
	assert_int_equal(port_rx_burst(in, 0, fx->pool, &batch), PKT_BATCH_MAX - 1);
	assert_int_equal(batch.count, PKT_BATCH_MAX);
	/* Appended after what was there, in injection order. */
	assert_int_equal(pkt_data(batch.pkts[0])[0], 0xee);
	assert_int_equal(pkt_data(batch.pkts[1])[0], 0);
	assert_int_equal(port_rx_burst(in, 0, fx->pool, &batch), 0);
	pkt_batch_free(&batch);
	assert_int_equal(port_rx_burst(in, 0, fx->pool, &batch), 40 - (PKT_BATCH_MAX - 1));
	assert_int_equal(port_dummy_rx_queued(in), 0);
	pkt_batch_free(&batch);
}

static void
dummy_tx_drops_and_counts_when_queue_full(void **state)
{
	struct fixture *fx = *state;
	struct port *out = open_port("dummy", "out", "tx_queue=4");
	unsigned int before = pool_free(fx);
	struct pkt_batch batch;
	struct pkt *got[8];
	struct port_stats st;

	pkt_batch_init(&batch);
	for (int i = 0; i < 6; i++)
		assert_int_equal(pkt_batch_add(&batch, make_frame(fx, 100, (uint8_t)i, false)), 0);
	assert_int_equal(port_tx_burst(out, 0, &batch), 4);
	assert_int_equal(batch.count, 0);
	assert_int_equal(ctr(out, VSW_CTR_TX_QUEUE_FULL), 2);
	assert_int_equal(port_get_stats(out, &st), 0);
	assert_int_equal(st.tx_packets, 4);
	assert_int_equal(st.tx_bytes, 400);
	/* The two dropped frames went back to the pool; four wait in the queue. */
	assert_int_equal(pool_free(fx), before - 4);

	/* The first four were kept, not the last four. */
	assert_int_equal(port_dummy_capture(out, got, 8), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pkt_data(got[i])[0], i);
	pkt_free_bulk(got, 4);

	/* Room again once drained. */
	assert_int_equal(pkt_batch_add(&batch, make_frame(fx, 100, 9, false)), 0);
	assert_int_equal(port_tx_burst(out, 0, &batch), 1);
	assert_int_equal(ctr(out, VSW_CTR_TX_QUEUE_FULL), 2);
	assert_int_equal(pool_free(fx), before - 1);
}

static void
dummy_inject_drops_and_counts_when_rx_queue_full(void **state)
{
	struct fixture *fx = *state;
	struct port *in = open_port("dummy", "in", "rx_queue=2");
	struct port *fake;
	unsigned int before = pool_free(fx);

	assert_int_equal(port_dummy_inject(in, make_frame(fx, 64, 1, false)), 0);
	assert_int_equal(port_dummy_inject(in, make_frame(fx, 64, 2, false)), 0);
	assert_int_equal(port_dummy_inject(in, make_frame(fx, 64, 3, false)), -ENOBUFS);
	assert_int_equal(ctr(in, VSW_CTR_RX_QUEUE_FULL), 1);
	assert_int_equal(port_dummy_rx_queued(in), 2);
	assert_int_equal(pool_free(fx), before - 2);

	/* A frame injected into a non-dummy port is refused and still freed. */
	assert_int_equal(port_class_register(&fake_class), 0);
	fake = open_port("fake", "f", NULL);
	assert_int_equal(port_dummy_inject(fake, make_frame(fx, 64, 4, false)), -EINVAL);
	assert_int_equal(pool_free(fx), before - 2);
	port_close(fake);
	assert_int_equal(port_class_unregister(&fake_class), 0);
}

static void
dummy_tx_drops_frames_over_mtu(void **state)
{
	struct fixture *fx = *state;
	struct port *out = open_port("dummy", "out", NULL);
	struct pkt_batch batch;
	struct pkt *gso;
	struct pkt *got[8];

	pkt_batch_init(&batch);
	/* 1514 and a tagged 1518 fit a 1500 MTU; 1515 untagged and 1519 tagged do not. */
	pkt_batch_add(&batch, make_frame(fx, 1514, 1, false));
	pkt_batch_add(&batch, make_frame(fx, 1515, 2, false));
	pkt_batch_add(&batch, make_frame(fx, 1518, 3, true));
	pkt_batch_add(&batch, make_frame(fx, 1519, 4, true));
	gso = make_frame(fx, 9000, 5, false);
	gso->gso_type = PKT_GSO_TCPV4;
	gso->gso_size = 1448;
	pkt_batch_add(&batch, gso);
	assert_int_equal(port_tx_burst(out, 0, &batch), 3);
	assert_int_equal(ctr(out, VSW_CTR_TX_TOO_BIG), 2);
	assert_int_equal(port_dummy_capture(out, got, 8), 3);
	assert_int_equal(got[0]->len, 1514);
	assert_int_equal(got[1]->len, 1518);
	assert_int_equal(got[2]->len, 9000);
	pkt_free_bulk(got, 3);

	assert_int_equal(port_set_mtu(out, 9000), 0);
	pkt_batch_add(&batch, make_frame(fx, 9014, 6, false));
	assert_int_equal(port_tx_burst(out, 0, &batch), 1);
	assert_int_equal(ctr(out, VSW_CTR_TX_TOO_BIG), 2);
}

static void
set_mtu_checks_range_and_class_support(void **state)
{
	struct port *dp = open_port("dummy", "d", NULL);
	struct port *fp;

	(void)state;
	assert_int_equal(port_set_mtu(dp, PORT_MTU_MIN - 1), -EINVAL);
	assert_int_equal(port_set_mtu(dp, PORT_MTU_MAX + 1), -EINVAL);
	assert_int_equal(dp->mtu, PORT_MTU_DEFAULT);
	assert_int_equal(port_set_mtu(dp, PORT_MTU_MAX), 0);
	assert_int_equal(dp->mtu, PORT_MTU_MAX);

	assert_int_equal(port_class_register(&fake_class), 0);
	fp = open_port("fake", "f", NULL);
	assert_int_equal(port_set_mtu(fp, 1400), -EOPNOTSUPP);
	assert_int_equal(fp->mtu, PORT_MTU_DEFAULT);
	{
		struct ether_addr mac;

		assert_int_equal(port_get_etheraddr(fp, &mac), -EOPNOTSUPP);
	}
	port_close(fp);
	assert_int_equal(port_class_unregister(&fake_class), 0);
}

static void
dummy_mac_comes_from_args_or_index(void **state)
{
	static const uint8_t want[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	static const uint8_t dflt[6] = { 0x02, 0, 0, 0, 0, 1 };
	struct port *a, *b;
	struct ether_addr mac;

	(void)state;
	a = open_port("dummy", "a", "mac=52:54:00:AB:cd:ef");
	assert_int_equal(port_get_etheraddr(a, &mac), 0);
	assert_memory_equal(mac.ether_addr_octet, want, 6);
	b = open_port("dummy", "b", NULL);
	assert_int_equal(port_get_etheraddr(b, &mac), 0);
	assert_memory_equal(mac.ether_addr_octet, dflt, 6);

	assert_int_equal(port_open("dummy", "c", "mac=52:54:00:ab:cd:eg", &b), -EINVAL);
	assert_int_equal(port_open("dummy", "c", "mac=52-54-00-ab-cd-ef", &b), -EINVAL);
	assert_int_equal(port_open("dummy", "c", "mac=52:54:00:ab:cd:ef0", &b), -EINVAL);
	assert_null(port_lookup("c"));
}

static void
close_frees_packets_still_queued(void **state)
{
	struct fixture *fx = *state;
	unsigned int before = pool_free(fx);
	struct port *p = open_port("dummy", "p", NULL);
	struct pkt_batch batch;

	for (int i = 0; i < 5; i++)
		port_dummy_inject(p, make_frame(fx, 64, 0, false));
	pkt_batch_init(&batch);
	for (int i = 0; i < 7; i++)
		pkt_batch_add(&batch, make_frame(fx, 64, 0, false));
	assert_int_equal(port_tx_burst(p, 0, &batch), 7);
	assert_int_equal(pool_free(fx), before - 12);
	port_close(p);
	assert_int_equal(pool_free(fx), before);
}

static void
args_parser_accepts_lists_and_rejects_malformed(void **state)
{
	static const char *const keys[] = { "a", "bb", "c_d", NULL };
	char val[8];
	unsigned int u = 77;
	char big[PORT_ARGS_MAX_LEN + 8];

	(void)state;
	assert_int_equal(port_args_check(NULL, keys), 0);
	assert_int_equal(port_args_check("", keys), 0);
	assert_int_equal(port_args_check("a=1,bb=,c_d=x y", keys), 0);
	assert_int_equal(port_args_check("a=1,a=2", keys), -EINVAL);
	assert_int_equal(port_args_check("zz=1", keys), -EINVAL);
	assert_int_equal(port_args_check("a", keys), -EINVAL);
	assert_int_equal(port_args_check("=1", keys), -EINVAL);
	assert_int_equal(port_args_check("a=1,", keys), -EINVAL);
	assert_int_equal(port_args_check(",a=1", keys), -EINVAL);
	assert_int_equal(port_args_check("A=1", keys), -EINVAL);

	assert_int_equal(port_args_get("a=1,bb=hello", "bb", val, sizeof(val)), 0);
	assert_string_equal(val, "hello");
	assert_int_equal(port_args_get("a=1,bb=", "bb", val, sizeof(val)), 0);
	assert_string_equal(val, "");
	assert_int_equal(port_args_get("a=1", "bb", val, sizeof(val)), -ENOENT);
	assert_int_equal(port_args_get("bb=12345678", "bb", val, sizeof(val)), -E2BIG);
	assert_int_equal(port_args_get("bad", "bb", val, sizeof(val)), -EINVAL);
	/* A key is matched whole, not as a prefix. */
	assert_int_equal(port_args_get("bbb=1", "bb", val, sizeof(val)), -ENOENT);

	assert_int_equal(port_args_get_uint("a=42", "a", 1, 100, &u), 0);
	assert_int_equal(u, 42);
	assert_int_equal(port_args_get_uint("a=101", "a", 1, 100, &u), -EINVAL);
	assert_int_equal(port_args_get_uint("a=0", "a", 1, 100, &u), -EINVAL);
	assert_int_equal(port_args_get_uint("a=-1", "a", 0, 100, &u), -EINVAL);
	assert_int_equal(port_args_get_uint("a=1x", "a", 0, 100, &u), -EINVAL);
	assert_int_equal(port_args_get_uint("a=", "a", 0, 100, &u), -EINVAL);
	assert_int_equal(port_args_get_uint("a=99999999999999999999", "a", 0, 100, &u), -EINVAL);
	assert_int_equal(port_args_get_uint("b=1", "a", 0, 100, &u), -ENOENT);
	assert_int_equal(u, 42);

	memset(big, 'x', sizeof(big) - 1);
	big[0] = 'a';
	big[1] = '=';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(port_args_check(big, keys), -EINVAL);
	assert_int_equal(port_args_get(big, "a", val, sizeof(val)), -EINVAL);
}

static void
counter_names_are_unique_and_described(void **state)
{
	(void)state;
	for (int i = 0; i < VSW_CTR_N; i++) {
		const char *name = vsw_counter_name((enum vsw_counter)i);
		const char *desc = vsw_counter_desc((enum vsw_counter)i);

		assert_non_null(name);
		assert_non_null(desc);
		assert_true(strlen(name) > 0 && strlen(desc) > 10);
		for (const char *c = name; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
				    *c == '_');
		for (int j = 0; j < i; j++)
			assert_string_not_equal(name, vsw_counter_name((enum vsw_counter)j));
	}
	assert_null(vsw_counter_name(VSW_CTR_N));
	assert_string_equal(vsw_counter_name(VSW_CTR_TX_QUEUE_FULL), "tx_queue_full");
	assert_int_equal(vsw_counter_kind(VSW_CTR_TX_QUEUE_FULL), VSW_CTR_KIND_DROP);
	assert_int_equal(vsw_counter_kind(VSW_CTR_FWD_FLOOD), VSW_CTR_KIND_EVENT);
}

static void
counters_sum_across_writers(void **state)
{
	struct vsw_counters a = { { 0 } }, b = { { 0 } }, sum = { { 0 } };

	(void)state;
	vsw_counter_add(&a.c[VSW_CTR_RX_NOBUF], 3);
	vsw_counter_add(&a.c[VSW_CTR_RX_NOBUF], 2);
	vsw_counter_add(&b.c[VSW_CTR_RX_NOBUF], 10);
	vsw_counter_add(&b.c[VSW_CTR_TX_TOO_BIG], 1);
	vsw_counters_sum(&sum, &a);
	vsw_counters_sum(&sum, &b);
	assert_int_equal(sum.c[VSW_CTR_RX_NOBUF], 15);
	assert_int_equal(sum.c[VSW_CTR_TX_TOO_BIG], 1);
	assert_int_equal(sum.c[VSW_CTR_TX_QUEUE_FULL], 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(class_register_validates_and_refuses_duplicates),
		T(class_table_is_bounded),
		T(open_refuses_bad_names_unknown_types_and_duplicates),
		T(open_assigns_lowest_free_index_and_close_releases_it),
		T(registry_is_bounded_by_port_max),
		T(unregister_refuses_while_ports_are_open),
		T(dummy_round_trip_keeps_frames_and_order),
		T(dummy_rx_burst_respects_batch_room),
		T(dummy_tx_drops_and_counts_when_queue_full),
		T(dummy_inject_drops_and_counts_when_rx_queue_full),
		T(dummy_tx_drops_frames_over_mtu),
		T(set_mtu_checks_range_and_class_support),
		T(dummy_mac_comes_from_args_or_index),
		T(close_frees_packets_still_queued),
		T(args_parser_accepts_lists_and_rejects_malformed),
		T(counter_names_are_unique_and_described),
		T(counters_sum_across_writers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
