/* SPDX-License-Identifier: MIT */
/*
 * port-pcap.c - the "pcap" port class (see port-pcap.h): libpcap's offline reader with a
 * one-frame lookahead for the replay's merge by time, and a pcap dumper for what is sent.
 */
#include "vswitch/port-pcap.h"

#include <errno.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <string.h>

#define PORT_PCAP_PATH_MAX PORT_ARGS_MAX_LEN
/* Snap length of the files written: any frame a port can send (a 64 KiB GSO frame) whole. */
#define PORT_PCAP_SNAPLEN 262144
#define NS_PER_S	  1000000000ull

struct port_pcap {
	struct port up; /* first: port.c allocates and frees the whole struct through it */

	/* Input (in=): the lookahead frame stays valid until the next pcap_next_ex(). */
	pcap_t *in;
	bool have_next; /* next_hdr/next_data hold an unread frame */
	const struct pcap_pkthdr *next_hdr;
	const uint8_t *next_data;
	bool step;	     /* frames are handed out only as released */
	unsigned int budget; /* frames released and not yet handed out */

	/* Output (out=). */
	pcap_t *dead;
	pcap_dumper_t *out;
	uint64_t clock_ns; /* stamped on frames sent */
};

static struct port_pcap *
port_pcap_cast(struct port *port)
{
	return port && port->cls == &port_pcap_class ? (struct port_pcap *)port : NULL;
}

/* Loads the next frame into the lookahead; false at the end of the input. */
static bool
port_pcap_fetch(struct port_pcap *pp)
{
	struct pcap_pkthdr *hdr;
	const u_char *data;
	int r;

	if (pp->have_next)
		return true;
	if (!pp->in)
		return false;
	r = pcap_next_ex(pp->in, &hdr, &data);
	if (r == 1) {
		pp->next_hdr = hdr;
		pp->next_data = data;
		pp->have_next = true;
		return true;
	}
	if (r != PCAP_ERROR_BREAK)
		port_count_ctr(&pp->up, VSW_CTR_RX_ERROR, 1);
	/* End or error: the input is over either way, so stop reading it. */
	pcap_close(pp->in);
	pp->in = NULL;
	return false;
}

static void
port_pcap_destruct(struct port *port)
{
	struct port_pcap *pp = (struct port_pcap *)port;

	if (pp->in)
		pcap_close(pp->in);
	if (pp->out)
		pcap_dump_close(pp->out);
	if (pp->dead)
		pcap_close(pp->dead);
	pp->in = NULL;
	pp->out = NULL;
	pp->dead = NULL;
}

static int
port_pcap_open_in(struct port_pcap *pp, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];

	/* Nanosecond precision: libpcap scales microsecond files up, so both kinds are read. */
	pp->in = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!pp->in)
		return -ENOENT;
	if (pcap_datalink(pp->in) != DLT_EN10MB)
		return -EINVAL;
	return 0;
}

static int
port_pcap_open_out(struct port_pcap *pp, const char *path)
{
	pp->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, PORT_PCAP_SNAPLEN,
							PCAP_TSTAMP_PRECISION_MICRO);
	if (!pp->dead)
		return -ENOMEM;
	pp->out = pcap_dump_open(pp->dead, path);
	if (!pp->out)
		return -EIO;
	return 0;
}

static int
port_pcap_construct(struct port *port, const char *args)
{
	static const char *const keys[] = { "in", "out", "step", NULL };
	struct port_pcap *pp = (struct port_pcap *)port;
	char path[PORT_PCAP_PATH_MAX + 1];
	bool any = false;
	unsigned int step = 0;
	int err;

	if (port_args_check(args, keys))
		return -EINVAL;
	err = port_args_get_uint(args, "step", 0, 1, &step);
	if (err && err != -ENOENT)
		return err;
	pp->step = step == 1;
	err = port_args_get(args, "in", path, sizeof(path));
	if (err == 0 && path[0]) {
		err = port_pcap_open_in(pp, path);
		any = true;
	} else if (err == -ENOENT) {
		err = 0;
	}
	if (err)
		goto fail;
	err = port_args_get(args, "out", path, sizeof(path));
	if (err == 0 && path[0]) {
		err = port_pcap_open_out(pp, path);
		any = true;
	} else if (err == -ENOENT) {
		err = 0;
	}
	if (err)
		goto fail;
	if (!any) {
		err = -EINVAL;
		goto fail;
	}
	return 0;
fail:
	port_pcap_destruct(port);
	return err;
}

/* Whether an input frame may enter: the MTU check a NIC makes (port_frame_fits). */
static bool
port_pcap_fits(const struct port *port, const uint8_t *d, uint32_t len)
{
	uint32_t max = port->mtu + PORT_ETH_HLEN;

	if (len >= PORT_ETH_HLEN + PORT_VLAN_HLEN) {
		uint16_t type = (uint16_t)(d[12] << 8 | d[13]);

		if (type == 0x8100 || type == 0x88a8)
			max += PORT_VLAN_HLEN;
	}
	return len <= max;
}

static unsigned int
port_pcap_rx_burst(struct port *port, unsigned int qid, struct pkt_pool *pool,
		   struct pkt_batch *batch)
{
	struct port_pcap *pp = (struct port_pcap *)port;
	unsigned int n = 0;

	(void)qid;
	while (!pkt_batch_is_full(batch) && (!pp->step || pp->budget > 0) && port_pcap_fetch(pp)) {
		const struct pcap_pkthdr *h = pp->next_hdr;
		uint32_t len = h->caplen;
		struct pkt *p;
		uint8_t *d;

		if (!port_pcap_fits(port, pp->next_data, len)) {
			port_count_ctr(port, VSW_CTR_RX_TOO_BIG, 1);
		} else {
			p = pkt_alloc(pool);
			if (!p) {
				/* Left in the lookahead for the next call: the replay stays exact. */
				port_count_ctr(port, VSW_CTR_RX_NOBUF, 1);
				break;
			}
			d = pkt_put(p, len);
			if (!d) {
				pkt_free(p);
				port_count_ctr(port, VSW_CTR_RX_TOO_BIG, 1);
			} else {
				memcpy(d, pp->next_data, len);
				p->in_port = port->index;
				p->timestamp_ns =
					(uint64_t)h->ts.tv_sec * NS_PER_S + (uint64_t)h->ts.tv_usec;
				batch->pkts[batch->count++] = p;
				port_count_rx(port, 1, len);
				n++;
			}
		}
		pp->have_next = false;
		if (pp->step)
			pp->budget--;
	}
	return n;
}

/* A tag held in metadata goes into the bytes, so the file shows the frame as sent. A frame
 * without headroom for it stays as it is (pool buffers always have PKT_HEADROOM_BYTES). */
static void
port_pcap_put_tag(struct pkt *p)
{
	uint8_t *d;

	if (p->len < 12 || !(d = pkt_push(p, PORT_VLAN_HLEN)))
		return;
	memmove(d, d + PORT_VLAN_HLEN, 12);
	d[12] = 0x81;
	d[13] = 0x00;
	d[14] = (uint8_t)(p->vlan_tci >> 8);
	d[15] = (uint8_t)p->vlan_tci;
	p->flags &= (uint16_t)~PKT_F_VLAN;
}

static unsigned int
port_pcap_tx_burst(struct port *port, unsigned int qid, struct pkt_batch *batch)
{
	struct port_pcap *pp = (struct port_pcap *)port;
	struct pcap_pkthdr h;
	unsigned int i, sent = 0;

	(void)qid;
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(pp->clock_ns / NS_PER_S);
	h.ts.tv_usec = (suseconds_t)(pp->clock_ns % NS_PER_S / 1000);
	for (i = 0; i < batch->count; i++) {
		struct pkt *p = batch->pkts[i];

		if (p->flags & PKT_F_VLAN)
			port_pcap_put_tag(p);
		if (!port_frame_fits(port, p)) {
			port_count_ctr(port, VSW_CTR_TX_TOO_BIG, 1);
		} else {
			if (pp->out) {
				h.caplen = h.len = p->len;
				pcap_dump((u_char *)pp->out, &h, pkt_data(p));
			}
			port_count_tx(port, 1, p->len);
			sent++;
		}
		pkt_free(p);
	}
	batch->count = 0;
	/* One flush per burst: a reader of the file sees whole frames after each burst. */
	if (pp->out && sent)
		pcap_dump_flush(pp->out);
	return sent;
}

static int
port_pcap_set_mtu(struct port *port, unsigned int mtu)
{
	(void)port;
	(void)mtu;
	return 0;
}

static int
port_pcap_wait_fd(const struct port *port)
{
	(void)port;
	return -1;
}

const struct port_class port_pcap_class = {
	.type = "pcap",
	.port_size = sizeof(struct port_pcap),
	.construct = port_pcap_construct,
	.destruct = port_pcap_destruct,
	.rx_burst = port_pcap_rx_burst,
	.tx_burst = port_pcap_tx_burst,
	.set_mtu = port_pcap_set_mtu,
	.wait_fd = port_pcap_wait_fd,
};

int
port_pcap_register(void)
{
	int err = port_class_register(&port_pcap_class);

	return err == -EEXIST && port_class_lookup("pcap") == &port_pcap_class ? 0 : err;
}

int
port_pcap_next_ns(struct port *port, uint64_t *ns)
{
	struct port_pcap *pp = port_pcap_cast(port);

	if (!pp)
		return -EINVAL;
	if (!port_pcap_fetch(pp))
		return -ENOENT;
	*ns = (uint64_t)pp->next_hdr->ts.tv_sec * NS_PER_S + (uint64_t)pp->next_hdr->ts.tv_usec;
	return 0;
}

int
port_pcap_release(struct port *port, unsigned int n)
{
	struct port_pcap *pp = port_pcap_cast(port);

	if (!pp)
		return -EINVAL;
	pp->budget = n > UINT_MAX - pp->budget ? UINT_MAX : pp->budget + n;
	return 0;
}

int
port_pcap_set_clock(struct port *port, uint64_t now_ns)
{
	struct port_pcap *pp = port_pcap_cast(port);

	if (!pp)
		return -EINVAL;
	pp->clock_ns = now_ns;
	return 0;
}
