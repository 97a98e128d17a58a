/* SPDX-License-Identifier: MIT */
/*
 * nb-hostile - a deliberately malicious netfront for tests of the backend's defences. It
 * connects one vif of a simulated guest exactly as a real netfront would (rings granted,
 * event channel allocated, keys written, Connected), then breaks the protocol in the way
 * named by --attack and keeps its rings alive until SIGTERM, so a test can check which tier
 * the backend chose (error responses, vif disabled, XenStore error) and that it went on
 * serving everyone else.
 *
 *   nb-hostile --rundir DIR --domid N [--devid D] --attack ATTACK
 *              [--ip A.B.C.D --peer A.B.C.D [--probe]] [--seconds S] [--seed N]
 *
 * With --ip/--peer the frontend also posts RX buffers and can talk IPv4: --probe sends, after
 * the attack, an ARP request and an ICMP echo request to --peer in plain one-slot packets and
 * reports whether the echo reply came back ("probe ok": the vif still forwards). Attacks that
 * are meant to be accepted send that echo request in their odd slot layout themselves and
 * report "echo-reply ok" when the reply proves the frame was delivered intact.
 *
 * Output (stdout, one line each): "attacked" once the attack is on the ring, "responses
 * okay=N error=N null=N" (TX responses seen within a second or two), "echo-reply ok|none",
 * "probe ok|failed", "done". Run with --attack list for the attacks and their fact-sheet
 * references (xen-netif.md §4.4, §5).
 */
#include "netback/hv/sim-client.h"
#include "netback/nb-ring.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xen/io/xenbus.h>
#include <xenstore.h>

#define GFN_TX_RING 1
#define GFN_RX_RING 2
#define GFN_DATA    8 /* TX data pages GFN_DATA + i, granted as REF_DATA + i */
#define REF_TX_RING 8
#define REF_RX_RING 9
#define REF_DATA    16
#define N_DATA	    32
#define GFN_RXBUF   64 /* RX buffers GFN_RXBUF + i, granted as REF_RXBUF + i */
#define REF_RXBUF   128
#define N_RXBUF	    64
#define REF_REVOKED (REF_DATA + N_DATA - 1) /* granted, then access ended */
#define GFN_CTRL    3			    /* control ring (ctrl-bad-mapping only) */
#define REF_CTRL    11

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

struct hst {
	struct nb_sim_guest *g;
	struct nb_sim_evtchn *ev;
	int port;
	struct xs_handle *xs;
	char fe[128];
	char *be;
	struct netif_tx_sring *txs;
	struct netif_rx_sring *rxs;
	struct netif_tx_front_ring tx;
	struct netif_rx_front_ring rx;
	uint8_t mac[6], peer_mac[6];
	bool peer_mac_known;
	uint32_t ip, peer; /* network order; 0 = no IP traffic */
	unsigned int okay, error, null;
	uint16_t next_id;
	unsigned int seconds;
	unsigned int seed;
	bool echo_seen;
	uint16_t echo_id, echo_seq;
	struct xen_netif_ctrl_front_ring ctrl;
	int ctrl_port;
};

static char *
xs_get(struct xs_handle *xs, const char *dir, const char *key)
{
	char path[256];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_read(xs, XBT_NULL, path, &len);
}

static int
be_state(struct hst *h)
{
	char *s = xs_get(h->xs, h->be, "state");
	int v = s ? atoi(s) : -1;

	free(s);
	return v;
}

static int
wait_state(struct hst *h, int want, int secs)
{
	for (int i = 0; i < secs * 50; i++) {
		if (be_state(h) == want)
			return 0;
		usleep(20000);
	}
	return -ETIMEDOUT;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
write_key(struct hst *h, const char *key, const char *val)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", h->fe, key);
	if (val)
		xs_write(h->xs, XBT_NULL, path, val, (unsigned int)strlen(val));
	else
		xs_rm(h->xs, XBT_NULL, path);
}

/* ---- ring helpers ------------------------------------------------------------------------ */

static void
put_req(struct hst *h, uint32_t gref, uint16_t offset, uint16_t flags, uint16_t size)
{
	struct netif_tx_request *r = RING_GET_REQUEST(&h->tx, h->tx.req_prod_pvt++);

	r->gref = gref;
	r->offset = offset;
	r->flags = flags;
	r->id = h->next_id++;
	r->size = size;
}

static void
put_extra(struct hst *h, uint8_t type, uint8_t flags, uint16_t gso_size, uint8_t gso_type)
{
	struct netif_extra_info *e =
		(struct netif_extra_info *)RING_GET_REQUEST(&h->tx, h->tx.req_prod_pvt++);

	memset(e, 0, sizeof(*e));
	e->type = type;
	e->flags = flags;
	if (type == XEN_NETIF_EXTRA_TYPE_GSO) {
		e->u.gso.size = gso_size;
		e->u.gso.type = gso_type;
	} else if (type == XEN_NETIF_EXTRA_TYPE_MCAST_ADD) {
		static const uint8_t m[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };

		memcpy(e->u.mcast.addr, m, 6);
		e->u.mcast.addr[5] = (uint8_t)h->next_id;
	}
}

static void
push(struct hst *h)
{
	xen_wmb();
	NB_WRITE_ONCE(h->txs->req_prod, h->tx.req_prod_pvt);
	xen_mb();
	nb_sim_evtchn_notify(h->ev, (uint32_t)h->port);
}

static uint8_t *
data_page(struct hst *h, unsigned int i)
{
	return nb_sim_guest_page(h->g, GFN_DATA + i);
}

/* Counts the TX responses that arrived (and drops them). */
static void
collect_tx(struct hst *h)
{
	RING_IDX prod = NB_READ_ONCE(h->txs->rsp_prod);

	xen_rmb();
	for (; h->tx.rsp_cons != prod; h->tx.rsp_cons++) {
		const struct netif_tx_response *r = RING_GET_RESPONSE(&h->tx, h->tx.rsp_cons);
		int16_t st = NB_READ_ONCE(r->status);

		if (st == NETIF_RSP_OKAY)
			h->okay++;
		else if (st == NETIF_RSP_NULL)
			h->null++;
		else
			h->error++;
	}
}

/* Waits up to 'ms' for responses to every request pushed so far. */
static void
wait_tx(struct hst *h, unsigned int ms)
{
	uint64_t end = now_ms() + ms;

	do {
		collect_tx(h);
		if (h->tx.rsp_cons == h->tx.req_prod_pvt)
			return;
		usleep(5000);
	} while (now_ms() < end);
}

/* Posts every free RX buffer. */
static void
post_rx(struct hst *h)
{
	while (h->rx.req_prod_pvt - h->rx.rsp_cons < N_RXBUF) {
		RING_IDX i = h->rx.req_prod_pvt++;
		struct netif_rx_request *r = RING_GET_REQUEST(&h->rx, i);

		r->id = (uint16_t)(i % N_RXBUF);
		r->gref = REF_RXBUF + (uint32_t)(i % N_RXBUF);
	}
	xen_wmb();
	NB_WRITE_ONCE(h->rxs->req_prod, h->rx.req_prod_pvt);
	xen_mb();
	nb_sim_evtchn_notify(h->ev, (uint32_t)h->port);
}

/* ---- a little IPv4 ----------------------------------------------------------------------- */

static uint16_t
csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static size_t
build_arp(const struct hst *h, uint8_t *f)
{
	memset(f, 0xff, 6);
	memcpy(f + 6, h->mac, 6);
	f[12] = 0x08, f[13] = 0x06;
	f[14] = 0, f[15] = 1, f[16] = 0x08, f[17] = 0, f[18] = 6, f[19] = 4, f[20] = 0, f[21] = 1;
	memcpy(f + 22, h->mac, 6);
	memcpy(f + 28, &h->ip, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, &h->peer, 4);
	memset(f + 42, 0, 18);
	return 60;
}

/* An ICMP echo request to the peer with 'payload' bytes of data. */
static size_t
build_echo(struct hst *h, uint8_t *f, size_t payload)
{
	uint8_t *ip = f + 14, *icmp = f + 34;
	size_t ip_len = 20 + 8 + payload;
	uint16_t c;

	if (h->peer_mac_known)
		memcpy(f, h->peer_mac, 6);
	else
		memset(f, 0xff, 6);
	memcpy(f + 6, h->mac, 6);
	f[12] = 0x08, f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(ip_len >> 8), ip[3] = (uint8_t)ip_len;
	ip[6] = 0x40; /* DF */
	ip[8] = 64, ip[9] = 1;
	memcpy(ip + 12, &h->ip, 4);
	memcpy(ip + 16, &h->peer, 4);
	c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
	h->echo_id = (uint16_t)(0x4800 | (h->next_id & 0xff));
	h->echo_seq++;
	memset(icmp, 0, 8);
	icmp[0] = 8;
	icmp[4] = (uint8_t)(h->echo_id >> 8), icmp[5] = (uint8_t)h->echo_id;
	icmp[6] = (uint8_t)(h->echo_seq >> 8), icmp[7] = (uint8_t)h->echo_seq;
	for (size_t i = 0; i < payload; i++)
		icmp[8 + i] = (uint8_t)(0xa5 ^ i);
	c = csum(icmp, 8 + payload);
	icmp[2] = (uint8_t)(c >> 8), icmp[3] = (uint8_t)c;
	h->echo_seen = false;
	return 14 + ip_len;
}

/* Looks at one received frame: learns the peer's MAC from an ARP reply, notes our echo reply. */
static void
on_rx_frame(struct hst *h, const uint8_t *f, size_t len)
{
	if (len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2 &&
	    !memcmp(f + 28, &h->peer, 4)) {
		memcpy(h->peer_mac, f + 22, 6);
		h->peer_mac_known = true;
	} else if (len >= 42 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 1 && f[34] == 0 &&
		   !memcmp(f + 26, &h->peer, 4) && !memcmp(f + 30, &h->ip, 4) &&
		   (f[38] << 8 | f[39]) == h->echo_id && (f[40] << 8 | f[41]) == h->echo_seq) {
		h->echo_seen = true;
	}
}

/* Consumes RX responses (one-slot frames are looked at; chains and extras are skipped). */
static void
collect_rx(struct hst *h)
{
	RING_IDX prod = NB_READ_ONCE(h->rxs->rsp_prod);
	bool skip_extra = false;

	xen_rmb();
	for (; h->rx.rsp_cons != prod; h->rx.rsp_cons++) {
		const struct netif_rx_response *r = RING_GET_RESPONSE(&h->rx, h->rx.rsp_cons);
		struct netif_rx_response rsp = *(const volatile struct netif_rx_response *)r;

		if (skip_extra) {
			skip_extra = false;
			continue;
		}
		skip_extra = rsp.flags & NETRXF_extra_info;
		if (rsp.status > 0 && rsp.id < N_RXBUF && rsp.offset == 0 &&
		    !(rsp.flags & NETRXF_more_data))
			on_rx_frame(h, nb_sim_guest_page(h->g, GFN_RXBUF + rsp.id),
				    (size_t)rsp.status);
	}
	post_rx(h);
}

static bool
wait_rx(struct hst *h, bool *flag, unsigned int ms)
{
	uint64_t end = now_ms() + ms;

	do {
		collect_rx(h);
		collect_tx(h);
		if (*flag)
			return true;
		usleep(5000);
	} while (now_ms() < end);
	return false;
}

#define REST 0xffffu /* in a split layout: whatever is left of the frame */

/*
 * Puts 'frame' on the ring split as 'sizes' says (n slots; sizes[i] bytes of the frame each,
 * 0 allowed, REST for what is left), each slot in its own data page at a different offset,
 * with 'first_flags' on the first request. Waits for earlier requests first: their pages are
 * reused.
 */
static void
send_split(struct hst *h, const uint8_t *frame, size_t len, const uint16_t *sizes, unsigned int n,
	   uint16_t first_flags)
{
	size_t off = 0;

	wait_tx(h, 1000);
	for (unsigned int i = 0; i < n; i++) {
		size_t sz = sizes[i] == REST ? len - off : sizes[i];
		uint16_t poff = (uint16_t)((i * 97u) % 2048u);
		uint16_t flags = i + 1 < n ? NETTXF_more_data : 0;

		memcpy(data_page(h, i) + poff, frame + off, sz);
		if (i == 0)
			flags |= first_flags;
		put_req(h, REF_DATA + i, poff, flags, i == 0 ? (uint16_t)len : (uint16_t)sz);
		off += sz;
	}
	push(h);
}

static void
send_one(struct hst *h, const uint8_t *frame, size_t len)
{
	static const uint16_t all = REST;

	send_split(h, frame, len, &all, 1, 0);
}

/* ARP for the peer (which also makes its kernel learn us), then wait for its reply. */
static void
arp_peer(struct hst *h)
{
	uint8_t f[64];

	for (int i = 0; i < 3 && !h->peer_mac_known; i++) {
		send_one(h, f, build_arp(h, f));
		wait_rx(h, &h->peer_mac_known, 500);
	}
}

/* ---- attacks ----------------------------------------------------------------------------- */

struct attack {
	const char *name;
	const char *what;
	void (*fn)(struct hst *h);
	bool xenstore; /* breaks the handshake: no connect */
};

static void
att_prod_overflow(struct hst *h)
{
	/* Far more requests than a ring can hold: garbage indices (XSA-39). */
	NB_WRITE_ONCE(h->txs->req_prod, 1000u);
	nb_sim_evtchn_notify(h->ev, (uint32_t)h->port);
}

static void
att_rx_prod_overflow(struct hst *h)
{
	/* The same on the RX ring: more buffers posted than a ring holds; the backend sees it
	 * when it next has a frame for us (the peer's ARP reply). */
	uint8_t f[64];

	NB_WRITE_ONCE(h->rxs->req_prod, h->rx.rsp_cons + 1000u);
	send_one(h, f, build_arp(h, f));
}

static void
att_prod_backwards(struct hst *h)
{
	/* One good frame answered, then the producer steps back behind the consumer. */
	uint8_t f[64];

	send_one(h, f, build_arp(h, f));
	wait_tx(h, 1000);
	h->okay = h->error = h->null = 0;
	NB_WRITE_ONCE(h->txs->req_prod, h->tx.req_prod_pvt - 1);
	nb_sim_evtchn_notify(h->ev, (uint32_t)h->port);
}

static void
att_rx_bad_grant(struct hst *h)
{
	/* Every posted RX buffer names a grant that was never given: the backend's copies into
	 * them fail, each gets an error response, and the vif stays up. */
	uint8_t f[64];

	for (RING_IDX i = h->rx.rsp_cons; i != h->rx.req_prod_pvt; i++)
		NB_WRITE_ONCE(RING_GET_REQUEST(&h->rx, i)->gref, 30000u + (i % N_RXBUF));
	xen_wmb();
	send_one(h, f, build_arp(h, f)); /* the peer's reply needs an RX buffer */
	usleep(500000);
	/* The guest notices and posts good buffers again (the probe needs them). */
	collect_rx(h);
	for (RING_IDX i = h->rx.rsp_cons; i != h->rx.req_prod_pvt; i++)
		NB_WRITE_ONCE(RING_GET_REQUEST(&h->rx, i)->gref, REF_RXBUF + (i % N_RXBUF));
	xen_wmb();
}

static void
att_ring_garbage(struct hst *h)
{
	/* 32 request slots of random bytes under a plausible producer. */
	srand(h->seed);
	for (int i = 0; i < 32; i++) {
		uint8_t *slot = (uint8_t *)RING_GET_REQUEST(&h->tx, h->tx.req_prod_pvt++);

		for (size_t k = 0; k < sizeof(struct netif_tx_request); k++)
			slot[k] = (uint8_t)rand();
	}
	push(h);
}

static void
att_page_cross(struct hst *h)
{
	put_req(h, REF_DATA, 4000, 0, 200);
	push(h);
}

/* A chain of 'n' slots: a 2000-byte first slot share and 60 bytes in each other slot. */
static void
chain(struct hst *h, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		put_req(h, REF_DATA + i, 0, i + 1 < n ? NETTXF_more_data : 0,
			i == 0 ? (uint16_t)(2000 + 60 * (n - 1)) : 60);
	push(h);
}

static void
att_slots_19(struct hst *h)
{
	chain(h, 19);
}

static void
att_slots_20(struct hst *h)
{
	chain(h, 20);
}

static void
att_frame_64k(struct hst *h)
{
	/* 17 full fragments + a 100-byte first slot = 69732 bytes: the 16-bit size wraps to
	 * 4196, so the second fragment is larger than what is left (§4.1 item 4). */
	uint32_t total = 100 + 17 * 4096;

	put_req(h, REF_DATA, 0, NETTXF_more_data, (uint16_t)total);
	for (unsigned int i = 1; i <= 17; i++)
		put_req(h, REF_DATA + i, 0, i < 17 ? NETTXF_more_data : 0, 4096);
	push(h);
}

static void
att_frag_too_big(struct hst *h)
{
	put_req(h, REF_DATA, 0, NETTXF_more_data, 1000);
	put_req(h, REF_DATA + 1, 0, 0, 1500);
	push(h);
}

static void
att_runt(struct hst *h)
{
	/* The first slot's own share (total minus fragments) is 10 bytes < ETH_HLEN. */
	put_req(h, REF_DATA, 0, NETTXF_more_data, 110);
	put_req(h, REF_DATA + 1, 0, 0, 100);
	push(h);
}

static void
deliver(struct hst *h, const uint16_t *sizes, unsigned int n, size_t payload)
{
	uint8_t f[2048];
	size_t len;

	if (!h->ip)
		return;
	arp_peer(h);
	/* Count only the attack frame's responses. */
	wait_tx(h, 1000);
	h->okay = h->error = h->null = 0;
	len = build_echo(h, f, payload);
	send_split(h, f, len, sizes, n, 0);
	wait_tx(h, 1500);
	printf("echo-reply %s\n", wait_rx(h, &h->echo_seen, 3000) ? "ok" : "none");
}

static void
att_zero_frags(struct hst *h)
{
	/* XSA-448: empty non-first fragments between and after real ones. */
	static const uint16_t sizes[] = { 14, 0, 20, 0, REST, 0 };

	deliver(h, sizes, 6, 32);
}

static void
att_tiny_18(struct hst *h)
{
	/* XSA-432: the most slots a packet may have, the whole frame far below 128 bytes:
	 * 14 bytes, then 16 one-byte slots, then the last 12 bytes (42 in all). */
	uint16_t sizes[18];

	sizes[0] = 14;
	for (int i = 1; i < 17; i++)
		sizes[i] = 1;
	sizes[17] = REST;
	deliver(h, sizes, 18, 0);
}

static void
att_split_headers(struct hst *h)
{
	/* XSA-423: Ethernet, IP and ICMP headers cut at odd places across five slots. */
	static const uint16_t sizes[] = { 14, 7, 13, 5, REST };

	deliver(h, sizes, 5, 64);
}

static void
att_bad_extra(struct hst *h)
{
	put_req(h, REF_DATA, 0, NETTXF_extra_info, 60);
	put_extra(h, XEN_NETIF_EXTRA_TYPE_MAX, 0, 0, 0);
	push(h);
}

static void
att_missing_extra(struct hst *h)
{
	/* The extra flag is set but the producer ends right after the request. */
	put_req(h, REF_DATA, 0, NETTXF_extra_info, 60);
	push(h);
}

static void
att_missing_slot(struct hst *h)
{
	/* A chain whose last pushed request still says more_data. */
	put_req(h, REF_DATA, 0, NETTXF_more_data, 200);
	put_req(h, REF_DATA + 1, 0, NETTXF_more_data, 100);
	push(h);
}

static void
att_gso_size0(struct hst *h)
{
	put_req(h, REF_DATA, 0, NETTXF_extra_info | NETTXF_csum_blank, 1000);
	put_extra(h, XEN_NETIF_EXTRA_TYPE_GSO, 0, 0, XEN_NETIF_GSO_TYPE_TCPV4);
	push(h);
}

static void
att_gso_type(struct hst *h)
{
	put_req(h, REF_DATA, 0, NETTXF_extra_info | NETTXF_csum_blank, 1000);
	put_extra(h, XEN_NETIF_EXTRA_TYPE_GSO, 0, 1400, 7);
	push(h);
}

static void
att_grant_revoked(struct hst *h)
{
	/* The second slot's grant was given and then taken back before the backend copies:
	 * the copy fails, the packet gets error responses, the vif stays up. */
	nb_sim_guest_end_access(h->g, REF_REVOKED);
	put_req(h, REF_DATA, 0, NETTXF_more_data, 200);
	put_req(h, REF_REVOKED, 0, 0, 100);
	push(h);
}

static void
att_mcast_flood(struct hst *h)
{
	/* 100 multicast-filter additions (Linux bounds the list at 64). */
	for (int i = 0; i < 100; i++) {
		put_req(h, REF_DATA, 0, NETTXF_extra_info, 0);
		put_extra(h, XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 0, 0, 0);
		if (i % 8 == 7) {
			push(h);
			wait_tx(h, 500);
		}
	}
	push(h);
}

static void
att_ctrl_bad_mapping(struct hst *h)
{
	/* XSA-270: SET_HASH_MAPPING with a length and offset that overflow, then one past the
	 * table, then queue numbers beyond the queues. A backend with the control ring must
	 * answer INVALID_PARAMETER to each and stay up. */
	static const uint32_t bad[][3] = {
		{ XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM, 1 /* TOEPLITZ */, 0 },
		{ XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE, 128, 0 },
		{ XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, 0xffffffffu, 0xfffffff0u },
		{ XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, 64, 100 },
		{ XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, 2048, 0 },
		{ XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, 16, 0 },
	};
	char *feat = xs_get(h->xs, h->be, "feature-ctrl-ring");
	unsigned int n_rsp = 0, invalid = 0, success = 0;
	uint64_t end;

	memset(data_page(h, 1), 0xff, 4096); /* every entry names queue 0xffffffff */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xen_netif_ctrl_request *r =
			RING_GET_REQUEST(&h->ctrl, h->ctrl.req_prod_pvt++);

		r->id = (uint16_t)i;
		r->type = (uint16_t)bad[i][0];
		r->data[0] = bad[i][0] == XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING ? REF_DATA + 1
									       : bad[i][1];
		r->data[1] = bad[i][0] == XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING ? bad[i][1] : 0;
		r->data[2] = bad[i][2];
	}
	xen_wmb();
	NB_WRITE_ONCE(h->ctrl.sring->req_prod, h->ctrl.req_prod_pvt);
	nb_sim_evtchn_notify(h->ev, (uint32_t)h->ctrl_port);
	end = now_ms() + 1500;
	while (now_ms() < end && h->ctrl.rsp_cons != h->ctrl.req_prod_pvt) {
		RING_IDX prod = NB_READ_ONCE(h->ctrl.sring->rsp_prod);

		xen_rmb();
		for (; h->ctrl.rsp_cons != prod; h->ctrl.rsp_cons++) {
			uint32_t st = RING_GET_RESPONSE(&h->ctrl, h->ctrl.rsp_cons)->status;

			n_rsp++;
			invalid += st == XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
			success += st == XEN_NETIF_CTRL_STATUS_SUCCESS;
		}
		usleep(5000);
	}
	printf("ctrl feature-ctrl-ring=%s responses=%u invalid=%u success=%u\n",
	       feat ? feat : "absent", n_rsp, invalid, success);
	free(feat);
}

/* The frontend closes and connects again with fresh rings and a new event channel, as
 * netfront does after the backend gave up on it. */
static int
reconnect(struct hst *h)
{
	char kv[32];

	write_key(h, "state", "5");
	if (wait_state(h, XenbusStateClosing, 5))
		return -1;
	write_key(h, "state", "6");
	if (wait_state(h, XenbusStateClosed, 5))
		return -1;
	memset(h->txs, 0, 4096);
	memset(h->rxs, 0, 4096);
	SHARED_RING_INIT(h->txs);
	SHARED_RING_INIT(h->rxs);
	FRONT_RING_INIT(&h->tx, h->txs, 4096);
	FRONT_RING_INIT(&h->rx, h->rxs, 4096);
	h->port = nb_sim_evtchn_alloc_unbound(h->ev, 0);
	if (h->port < 0)
		return -1;
	write_key(h, "state", "1");
	if (wait_state(h, XenbusStateInitWait, 5))
		return -1;
	snprintf(kv, sizeof(kv), "%d", h->port);
	write_key(h, "event-channel", kv);
	write_key(h, "state", "4");
	if (wait_state(h, XenbusStateConnected, 10))
		return -1;
	if (h->ip)
		post_rx(h);
	return 0;
}

static void
att_fatal_reconnect(struct hst *h)
{
	/* XSA-374: disabling a vif must be a state its frontend can leave by reconnecting,
	 * and the teardown must leave nothing behind; five rounds of a fatal chain. */
	unsigned int rounds = 0;

	for (int i = 0; i < 5; i++) {
		for (unsigned int k = 0; k < 20; k++)
			put_req(h, REF_DATA + k, 0, k + 1 < 20 ? NETTXF_more_data : 0,
				k == 0 ? 2000 + 60 * 19 : 60);
		push(h);
		if (wait_state(h, XenbusStateClosing, 5) || reconnect(h))
			break;
		rounds++;
	}
	h->okay = h->error = h->null = 0;
	printf("reconnects %u\n", rounds);
}

struct writer {
	struct hst *h;
	_Atomic bool stop;
	unsigned long writes;
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	unsigned int seed = w->h->seed;

	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		for (unsigned int i = 0; i < RING_SIZE(&w->h->tx); i++) {
			struct netif_tx_request *r = &w->h->txs->ring[i].req;
			unsigned int x = (unsigned int)rand_r(&seed);

			/* Mostly plausible values that flip between valid and invalid. */
			NB_WRITE_ONCE(r->gref, REF_DATA + (x % (N_DATA + 4)));
			NB_WRITE_ONCE(r->offset, (uint16_t)((x >> 4) % 4200));
			NB_WRITE_ONCE(r->flags, (uint16_t)((x >> 8) & 0xf));
			NB_WRITE_ONCE(r->size, (uint16_t)(x >> 12));
			NB_WRITE_ONCE(r->id, (uint16_t)(x >> 16));
			w->writes++;
		}
	}
	return NULL;
}

static void
att_concurrent_writer(struct hst *h)
{
	/* XSA-155: a second thread keeps rewriting every request slot while the producer
	 * advances, so each field read twice would differ between check and use. */
	struct writer w = { .h = h };
	pthread_t t;
	uint64_t end = now_ms() + 1000u * h->seconds;
	unsigned long pushes = 0;

	atomic_init(&w.stop, false);
	if (pthread_create(&t, NULL, writer_main, &w))
		return;
	while (now_ms() < end && !stop) {
		RING_IDX rsp = NB_READ_ONCE(h->txs->rsp_prod);

		collect_tx(h);
		if (h->tx.req_prod_pvt - rsp < RING_SIZE(&h->tx) - 8) {
			h->tx.req_prod_pvt += 1 + (unsigned int)rand_r(&h->seed) % 8;
			xen_wmb();
			NB_WRITE_ONCE(h->txs->req_prod, h->tx.req_prod_pvt);
			nb_sim_evtchn_notify(h->ev, (uint32_t)h->port);
			pushes++;
		}
		if (pushes % 64 == 0 && be_state(h) != XenbusStateConnected)
			break;
		usleep(200);
	}
	atomic_store(&w.stop, true);
	pthread_join(t, NULL);
	printf("writer pushes=%lu slot-writes=%lu\n", pushes, w.writes);
}

static void
att_event_storm(struct hst *h)
{
	/* XSA-332: notify as fast as possible; the backend must keep serving the others. */
	uint64_t end = now_ms() + 1000u * h->seconds;
	unsigned long n = 0;

	while (now_ms() < end && !stop) {
		for (int i = 0; i < 1024; i++)
			nb_sim_evtchn_notify(h->ev, (uint32_t)h->port);
		n += 1024;
	}
	printf("notifies=%lu\n", n);
}

static const struct attack attacks[] = {
	{ "ring-garbage", "random bytes in 32 request slots (§4.4 ring)", att_ring_garbage, false },
	{ "prod-overflow", "req_prod more than a ring ahead (XSA-39)", att_prod_overflow, false },
	{ "rx-prod-overflow", "RX req_prod more than a ring ahead (XSA-39)", att_rx_prod_overflow,
	  false },
	{ "prod-backwards", "req_prod moved back behind the consumer", att_prod_backwards, false },
	{ "rx-bad-grant", "RX buffers with grants never given", att_rx_bad_grant, false },
	{ "page-cross", "offset+size beyond the page", att_page_cross, false },
	{ "slots-19", "a 19-slot chain (more than 18: error response)", att_slots_19, false },
	{ "slots-20", "a 20-slot chain (malicious: fatal)", att_slots_20, false },
	{ "frame-64k", "a frame of 64 KiB or more (size wrapped)", att_frame_64k, false },
	{ "frag-too-big", "a fragment larger than the rest of the frame", att_frag_too_big, false },
	{ "runt", "first fragment shorter than 14 bytes", att_runt, false },
	{ "zero-frags", "zero-length non-first fragments (XSA-448)", att_zero_frags, false },
	{ "tiny-18", "18 slots, 16 of one byte, 42 bytes in all (XSA-432)", att_tiny_18, false },
	{ "split-headers", "headers split across slots (XSA-423)", att_split_headers, false },
	{ "bad-extra", "extra-info of type XEN_NETIF_EXTRA_TYPE_MAX", att_bad_extra, false },
	{ "missing-extra", "extra-info flag, producer ends before it", att_missing_extra, false },
	{ "missing-slot", "more_data set on the last request pushed", att_missing_slot, false },
	{ "gso-size0", "GSO extra with size 0", att_gso_size0, false },
	{ "gso-type", "GSO extra of unknown type", att_gso_type, false },
	{ "grant-revoked", "a data slot whose grant was ended", att_grant_revoked, false },
	{ "mcast-flood", "100 multicast-filter additions", att_mcast_flood, false },
	{ "ctrl-bad-mapping", "control ring: SET_HASH_MAPPING out of range (XSA-270)",
	  att_ctrl_bad_mapping, false },
	{ "fatal-reconnect", "five rounds of: fatal chain, frontend reconnects (XSA-374)",
	  att_fatal_reconnect, false },
	{ "concurrent-writer", "request slots rewritten while consumed (XSA-155)",
	  att_concurrent_writer, false },
	{ "event-storm", "event-channel notifications flat out (XSA-332)", att_event_storm, false },
	{ "xs-num-queues-0", "multi-queue-num-queues = 0", NULL, true },
	{ "xs-tx-ring-ref-nan", "tx-ring-ref not a number", NULL, true },
	{ "xs-no-event-channel", "no event-channel key", NULL, true },
	{ "xs-rx-copy-0", "request-rx-copy = 0", NULL, true },
	{ "xs-ring-ref-ungranted", "tx-ring-ref names a grant never given", NULL, true },
	{ "xs-evtchn-unbound", "event-channel names a port never allocated", NULL, true },
};

static const struct attack *
find_attack(const char *name)
{
	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
		if (!strcmp(attacks[i].name, name))
			return &attacks[i];
	return NULL;
}

/* The frontend's half of the handshake, with the key 'a' breaks (if it is a XenStore one). */
static void
write_keys(struct hst *h, const struct attack *a)
{
	char kv[32];

	write_key(h, "tx-ring-ref", "8");
	write_key(h, "rx-ring-ref", "9");
	write_key(h, "request-rx-copy", "1");
	write_key(h, "feature-rx-notify", "1");
	snprintf(kv, sizeof(kv), "%d", h->port);
	write_key(h, "event-channel", kv);
	if (a->fn == att_ctrl_bad_mapping) {
		struct xen_netif_ctrl_sring *cs = nb_sim_guest_page(h->g, GFN_CTRL);

		memset(cs, 0, 4096);
		SHARED_RING_INIT(cs);
		FRONT_RING_INIT(&h->ctrl, cs, 4096);
		nb_sim_guest_grant_access(h->g, REF_CTRL, 0, GFN_CTRL, false);
		h->ctrl_port = nb_sim_evtchn_alloc_unbound(h->ev, 0);
		write_key(h, "ctrl-ring-ref", "11");
		snprintf(kv, sizeof(kv), "%d", h->ctrl_port);
		write_key(h, "event-channel-ctrl", kv);
	}
	if (!strcmp(a->name, "xs-num-queues-0"))
		write_key(h, "multi-queue-num-queues", "0");
	else if (!strcmp(a->name, "xs-tx-ring-ref-nan"))
		write_key(h, "tx-ring-ref", "eight");
	else if (!strcmp(a->name, "xs-no-event-channel"))
		write_key(h, "event-channel", NULL);
	else if (!strcmp(a->name, "xs-rx-copy-0"))
		write_key(h, "request-rx-copy", "0");
	else if (!strcmp(a->name, "xs-ring-ref-ungranted"))
		write_key(h, "tx-ring-ref", "30000");
	else if (!strcmp(a->name, "xs-evtchn-unbound"))
		write_key(h, "event-channel", "999");
	write_key(h, "state", "4");
}

static int
parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*ip = a.s_addr;
	return 0;
}

static int
setup_guest(struct hst *h, const char *rundir, unsigned int domid)
{
	char *mac;
	int err;

	err = nb_sim_guest_attach(&h->g, rundir, domid);
	if (err) {
		fprintf(stderr, "nb-hostile: attach to domain %u: %s\n", domid, strerror(-err));
		return -1;
	}
	h->txs = nb_sim_guest_page(h->g, GFN_TX_RING);
	h->rxs = nb_sim_guest_page(h->g, GFN_RX_RING);
	if (!h->txs || !h->rxs || !nb_sim_guest_page(h->g, GFN_RXBUF + N_RXBUF - 1)) {
		fprintf(stderr, "nb-hostile: domain %u has too little memory\n", domid);
		return -1;
	}
	memset(h->txs, 0, 4096);
	memset(h->rxs, 0, 4096);
	SHARED_RING_INIT(h->txs);
	SHARED_RING_INIT(h->rxs);
	FRONT_RING_INIT(&h->tx, h->txs, 4096);
	FRONT_RING_INIT(&h->rx, h->rxs, 4096);
	err = nb_sim_guest_grant_access(h->g, REF_TX_RING, 0, GFN_TX_RING, false);
	err = err ? err : nb_sim_guest_grant_access(h->g, REF_RX_RING, 0, GFN_RX_RING, false);
	for (unsigned int i = 0; i < N_DATA && !err; i++)
		err = nb_sim_guest_grant_access(h->g, REF_DATA + i, 0, GFN_DATA + i, true);
	for (unsigned int i = 0; i < N_RXBUF && !err; i++)
		err = nb_sim_guest_grant_access(h->g, REF_RXBUF + i, 0, GFN_RXBUF + i, false);
	if (err) {
		fprintf(stderr, "nb-hostile: grants: %s\n", strerror(-err));
		return -1;
	}
	err = nb_sim_evtchn_open(&h->ev, rundir, domid);
	h->port = err ? err : nb_sim_evtchn_alloc_unbound(h->ev, 0);
	if (h->port < 0) {
		fprintf(stderr, "nb-hostile: event channel: %s\n", strerror(-h->port));
		return -1;
	}
	mac = xs_get(h->xs, h->be, "mac");
	if (!mac || sscanf(mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &h->mac[0], &h->mac[1], &h->mac[2],
			   &h->mac[3], &h->mac[4], &h->mac[5]) != 6) {
		fprintf(stderr, "nb-hostile: no usable mac in %s\n", h->be);
		free(mac);
		return -1;
	}
	free(mac);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: nb-hostile --rundir DIR --domid N [--devid D] --attack ATTACK\n"
			"       [--ip A.B.C.D --peer A.B.C.D [--probe]] [--seconds S] [--seed N]\n"
			"attacks:\n");
	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
		fprintf(stderr, "  %-20s %s\n", attacks[i].name, attacks[i].what);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ "domid", required_argument, NULL, 'd' },
		{ "devid", required_argument, NULL, 'v' },
		{ "attack", required_argument, NULL, 'a' },
		{ "ip", required_argument, NULL, 'i' },
		{ "peer", required_argument, NULL, 'p' },
		{ "probe", no_argument, NULL, 'P' },
		{ "seconds", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	static struct hst hs;
	struct hst *h = &hs;
	const char *rundir = NULL, *attack = NULL;
	const struct attack *a;
	unsigned int domid = 0, devid = 0;
	char xspath[PATH_MAX];
	bool probe = false;
	int c;

	h->seconds = 3;
	h->seed = 1;
	while ((c = getopt_long(argc, argv, "r:d:v:a:i:p:Ps:S:", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rundir = optarg;
			break;
		case 'd':
			domid = (unsigned int)atoi(optarg);
			break;
		case 'v':
			devid = (unsigned int)atoi(optarg);
			break;
		case 'a':
			attack = optarg;
			break;
		case 'i':
			if (parse_ip(optarg, &h->ip))
				return 2;
			break;
		case 'p':
			if (parse_ip(optarg, &h->peer))
				return 2;
			break;
		case 'P':
			probe = true;
			break;
		case 's':
			h->seconds = (unsigned int)atoi(optarg);
			break;
		case 'S':
			h->seed = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
			return 2;
		}
	}
	if (attack && !strcmp(attack, "list")) {
		usage();
		return 0;
	}
	a = attack ? find_attack(attack) : NULL;
	if (!rundir || !domid || !a || (!h->ip != !h->peer)) {
		if (attack && !a)
			fprintf(stderr, "nb-hostile: unknown attack '%s'\n", attack);
		usage();
		return 2;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	nb_sim_dom_xs_path(rundir, domid, xspath, sizeof(xspath));
	setenv("XENSTORED_PATH", xspath, 1);
	h->xs = xs_open(0);
	if (!h->xs)
		return 1;
	snprintf(h->fe, sizeof(h->fe), "/local/domain/%u/device/vif/%u", domid, devid);
	h->be = xs_get(h->xs, h->fe, "backend");
	if (!h->be || wait_state(h, XenbusStateInitWait, 10)) {
		fprintf(stderr, "nb-hostile: backend of %s not in InitWait\n", h->fe);
		return 1;
	}
	if (setup_guest(h, rundir, domid))
		return 1;
	write_keys(h, a);
	if (a->xenstore) {
		printf("attacked\n");
		fflush(stdout);
		printf("backend %s\n",
		       wait_state(h, XenbusStateClosing, 10) ? "not-closing" : "closing");
	} else {
		if (wait_state(h, XenbusStateConnected, 10)) {
			fprintf(stderr, "nb-hostile: backend did not connect\n");
			return 1;
		}
		if (h->ip)
			post_rx(h);
		fprintf(stderr, "nb-hostile: connected; attacking with %s\n", a->name);
		a->fn(h);
		printf("attacked\n");
		fflush(stdout);
		wait_tx(h, 1500);
		printf("responses okay=%u error=%u null=%u\n", h->okay, h->error, h->null);
		fflush(stdout);
		if (probe && h->ip) {
			uint8_t f[128];
			bool ok = false;

			arp_peer(h);
			for (int i = 0; i < 3 && !ok; i++) {
				send_one(h, f, build_echo(h, f, 56));
				ok = wait_rx(h, &h->echo_seen, 1000);
			}
			printf("probe %s\n", ok ? "ok" : "failed");
		}
	}
	printf("done\n");
	fflush(stdout);
	while (!stop)
		pause();
	nb_sim_evtchn_close(h->ev);
	xs_close(h->xs);
	nb_sim_guest_detach(h->g);
	free(h->be);
	return 0;
}
