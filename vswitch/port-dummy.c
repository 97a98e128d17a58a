/* SPDX-License-Identifier: MIT */
/*
 * port-dummy.c - the "dummy" port class (see port-dummy.h): two bounded packet rings per
 * port, filled and drained by tests on one side and by rx_burst/tx_burst on the other.
 */
#include "vswitch/port-dummy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct port_dummy_ring {
	struct pkt **slots;
	unsigned int size;  /* capacity in packets */
	unsigned int head;  /* oldest packet */
	unsigned int count; /* packets queued */
};

struct port_dummy {
	struct port up; /* first: port.c allocates and frees the whole struct through it */
	struct port_dummy_ring rxq; /* injected, waiting for rx_burst */
	struct port_dummy_ring txq; /* captured by tx_burst, waiting for capture */
	struct ether_addr mac;
};

static struct port_dummy *
port_dummy_cast(const struct port *port)
{
	if (!port || port->cls != &port_dummy_class)
		return NULL;
	return (struct port_dummy *)port;
}

static int
port_dummy_ring_init(struct port_dummy_ring *r, unsigned int size)
{
	r->slots = calloc(size, sizeof(*r->slots));
	if (!r->slots)
		return -ENOMEM;
	r->size = size;
	r->head = 0;
	r->count = 0;
	return 0;
}

static void
port_dummy_ring_fini(struct port_dummy_ring *r)
{
	while (r->count) {
		pkt_free(r->slots[r->head]);
		r->head = (r->head + 1) % r->size;
		r->count--;
	}
	free(r->slots);
	r->slots = NULL;
}

static bool
port_dummy_ring_push(struct port_dummy_ring *r, struct pkt *p)
{
	if (r->count == r->size)
		return false;
	r->slots[(r->head + r->count) % r->size] = p;
	r->count++;
	return true;
}

static struct pkt *
port_dummy_ring_pop(struct port_dummy_ring *r)
{
	struct pkt *p = r->slots[r->head];

	r->head = (r->head + 1) % r->size;
	r->count--;
	return p;
}

static int
port_dummy_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Strict "xx:xx:xx:xx:xx:xx" (two hex digits per byte). */
static int
port_dummy_parse_mac(const char *s, struct ether_addr *mac)
{
	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = port_dummy_hex(s[3 * i]);
		int lo = port_dummy_hex(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac->ether_addr_octet[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int
port_dummy_construct(struct port *port, const char *args)
{
	static const char *const keys[] = { "rx_queue", "tx_queue", "mac", NULL };
	struct port_dummy *dp = (struct port_dummy *)port;
	unsigned int rx_len = PORT_DUMMY_QUEUE_DEFAULT;
	unsigned int tx_len = PORT_DUMMY_QUEUE_DEFAULT;
	char mac[18];
	int err;

	err = port_args_check(args, keys);
	if (err)
		return err;
	err = port_args_get_uint(args, "rx_queue", 1, PORT_DUMMY_QUEUE_MAX, &rx_len);
	if (err && err != -ENOENT)
		return err;
	err = port_args_get_uint(args, "tx_queue", 1, PORT_DUMMY_QUEUE_MAX, &tx_len);
	if (err && err != -ENOENT)
		return err;
	err = port_args_get(args, "mac", mac, sizeof(mac));
	if (err == 0) {
		if (port_dummy_parse_mac(mac, &dp->mac))
			return -EINVAL;
	} else if (err == -ENOENT) {
		static const uint8_t base[6] = { 0x02, 0, 0, 0, 0, 0 };

		memcpy(dp->mac.ether_addr_octet, base, sizeof(base));
		dp->mac.ether_addr_octet[4] = (uint8_t)(port->index >> 8);
		dp->mac.ether_addr_octet[5] = (uint8_t)port->index;
	} else {
		return -EINVAL;
	}

	err = port_dummy_ring_init(&dp->rxq, rx_len);
	if (err)
		return err;
	err = port_dummy_ring_init(&dp->txq, tx_len);
	if (err) {
		port_dummy_ring_fini(&dp->rxq);
		return err;
	}
	return 0;
}

static void
port_dummy_destruct(struct port *port)
{
	struct port_dummy *dp = (struct port_dummy *)port;

	port_dummy_ring_fini(&dp->rxq);
	port_dummy_ring_fini(&dp->txq);
}

static unsigned int
port_dummy_rx_burst(struct port *port, unsigned int qid, struct pkt_pool *pool,
		    struct pkt_batch *batch)
{
	struct port_dummy *dp = (struct port_dummy *)port;
	unsigned int n = pkt_batch_room(batch);
	uint64_t bytes = 0;

	(void)qid;
	(void)pool;
	if (n > dp->rxq.count)
		n = dp->rxq.count;
	for (unsigned int i = 0; i < n; i++) {
		struct pkt *p = port_dummy_ring_pop(&dp->rxq);

		p->in_port = port->index;
		bytes += p->len;
		batch->pkts[batch->count++] = p;
	}
	port_count_rx(port, n, bytes);
	return n;
}

static unsigned int
port_dummy_tx_burst(struct port *port, unsigned int qid, struct pkt_batch *batch)
{
	struct port_dummy *dp = (struct port_dummy *)port;
	unsigned int n_sent = 0;
	uint64_t bytes = 0;

	(void)qid;
	for (unsigned int i = 0; i < batch->count; i++) {
		struct pkt *p = batch->pkts[i];

		if (!port_frame_fits(port, p)) {
			port_count_ctr(port, VSW_CTR_TX_TOO_BIG, 1);
			pkt_free(p);
		} else if (!port_dummy_ring_push(&dp->txq, p)) {
			port_count_ctr(port, VSW_CTR_TX_QUEUE_FULL, 1);
			pkt_free(p);
		} else {
			n_sent++;
			bytes += p->len;
		}
	}
	batch->count = 0;
	port_count_tx(port, n_sent, bytes);
	return n_sent;
}

static int
port_dummy_set_mtu(struct port *port, unsigned int mtu)
{
	(void)port;
	(void)mtu;
	return 0;
}

static int
port_dummy_get_etheraddr(const struct port *port, struct ether_addr *mac)
{
	*mac = ((const struct port_dummy *)port)->mac;
	return 0;
}

const struct port_class port_dummy_class = {
	.type = "dummy",
	.port_size = sizeof(struct port_dummy),
	.construct = port_dummy_construct,
	.destruct = port_dummy_destruct,
	.rx_burst = port_dummy_rx_burst,
	.tx_burst = port_dummy_tx_burst,
	.set_mtu = port_dummy_set_mtu,
	.get_etheraddr = port_dummy_get_etheraddr,
};

int
port_dummy_register(void)
{
	int err = port_class_register(&port_dummy_class);

	if (err == -EEXIST && port_class_lookup("dummy") == &port_dummy_class)
		return 0;
	return err;
}

int
port_dummy_inject(struct port *port, struct pkt *p)
{
	struct port_dummy *dp = port_dummy_cast(port);

	if (!dp) {
		pkt_free(p);
		return -EINVAL;
	}
	if (!p)
		return -EINVAL;
	if (!port_dummy_ring_push(&dp->rxq, p)) {
		port_count_ctr(port, VSW_CTR_RX_QUEUE_FULL, 1);
		pkt_free(p);
		return -ENOBUFS;
	}
	return 0;
}

unsigned int
port_dummy_capture(struct port *port, struct pkt **pkts, unsigned int n)
{
	struct port_dummy *dp = port_dummy_cast(port);
	unsigned int i;

	if (!dp)
		return 0;
	for (i = 0; i < n && dp->txq.count; i++)
		pkts[i] = port_dummy_ring_pop(&dp->txq);
	return i;
}

unsigned int
port_dummy_rx_queued(const struct port *port)
{
	const struct port_dummy *dp = port_dummy_cast(port);

	return dp ? dp->rxq.count : 0;
}

unsigned int
port_dummy_tx_queued(const struct port *port)
{
	const struct port_dummy *dp = port_dummy_cast(port);

	return dp ? dp->txq.count : 0;
}
