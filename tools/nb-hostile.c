/* SPDX-License-Identifier: MIT */
/*
 * nb-hostile - a deliberately malicious netfront for tests of the backend's defences. It
 * connects one vif of a simulated guest exactly as a real netfront would (rings granted,
 * event channel allocated, keys written, Connected), then breaks the protocol in the way
 * named by --attack and keeps its rings alive until SIGTERM, so a test can check that
 * netbackd disabled that vif, reported it in XenStore, and went on serving everyone else.
 *
 *   nb-hostile --rundir DIR --domid N [--devid D] --attack ATTACK
 *
 * Attacks: prod-overflow (req_prod more than a ring ahead of the responses, XSA-39),
 * page-cross (a TX request whose offset+size crosses its page), slots-20 (a 20-slot chain).
 */
#include "netback/hv/sim-client.h"
#include "netback/nb-ring.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xen/io/xenbus.h>
#include <xenstore.h>

#define GFN_TX_RING 1
#define GFN_RX_RING 2
#define GFN_DATA    3
#define REF_TX_RING 8
#define REF_RX_RING 9
#define REF_DATA    10

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static char *
xs_get(struct xs_handle *xs, const char *dir, const char *key)
{
	char path[256];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_read(xs, XBT_NULL, path, &len);
}

static int
wait_state(struct xs_handle *xs, const char *dir, int want, int secs)
{
	for (int i = 0; i < secs * 50; i++) {
		char *s = xs_get(xs, dir, "state");
		int v = s ? atoi(s) : -1;

		free(s);
		if (v == want)
			return 0;
		usleep(20000);
	}
	return -ETIMEDOUT;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ "domid", required_argument, NULL, 'd' },
		{ "devid", required_argument, NULL, 'v' },
		{ "attack", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rundir = NULL, *attack = NULL;
	unsigned int domid = 0, devid = 0;
	struct nb_sim_guest *g;
	struct nb_sim_evtchn *ev;
	struct xs_handle *xs;
	struct netif_tx_sring *txs;
	struct netif_rx_sring *rxs;
	struct netif_tx_front_ring tx;
	char fe[128], *be, xspath[PATH_MAX], kv[64];
	int c, port, err;

	while ((c = getopt_long(argc, argv, "r:d:v:a:", opts, NULL)) != -1) {
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
		default:
			return 2;
		}
	}
	if (!rundir || !domid || !attack) {
		fprintf(stderr, "usage: nb-hostile --rundir DIR --domid N [--devid D] --attack "
				"prod-overflow|page-cross|slots-20\n");
		return 2;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	err = nb_sim_guest_attach(&g, rundir, domid);
	if (err) {
		fprintf(stderr, "nb-hostile: attach to domain %u: %s\n", domid, strerror(-err));
		return 1;
	}
	nb_sim_dom_xs_path(rundir, domid, xspath, sizeof(xspath));
	setenv("XENSTORED_PATH", xspath, 1);
	xs = xs_open(0);
	if (!xs)
		return 1;
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/vif/%u", domid, devid);
	be = xs_get(xs, fe, "backend");
	if (!be || wait_state(xs, be, XenbusStateInitWait, 10)) {
		fprintf(stderr, "nb-hostile: backend of %s not in InitWait\n", fe);
		return 1;
	}
	txs = nb_sim_guest_page(g, GFN_TX_RING);
	rxs = nb_sim_guest_page(g, GFN_RX_RING);
	memset(txs, 0, 4096);
	memset(rxs, 0, 4096);
	SHARED_RING_INIT(txs);
	SHARED_RING_INIT(rxs);
	FRONT_RING_INIT(&tx, txs, 4096);
	nb_sim_guest_grant_access(g, REF_TX_RING, 0, GFN_TX_RING, false);
	nb_sim_guest_grant_access(g, REF_RX_RING, 0, GFN_RX_RING, false);
	nb_sim_guest_grant_access(g, REF_DATA, 0, GFN_DATA, true);
	err = nb_sim_evtchn_open(&ev, rundir, domid);
	port = err ? err : nb_sim_evtchn_alloc_unbound(ev, 0);
	if (port < 0) {
		fprintf(stderr, "nb-hostile: event channel: %s\n", strerror(-port));
		return 1;
	}
	{
		static const char *const keys[][2] = { { "tx-ring-ref", "8" },
						       { "rx-ring-ref", "9" },
						       { "request-rx-copy", "1" },
						       { "feature-rx-notify", "1" } };
		char path[192];

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", fe, keys[i][0]);
			xs_write(xs, XBT_NULL, path, keys[i][1], (unsigned int)strlen(keys[i][1]));
		}
		snprintf(path, sizeof(path), "%s/event-channel", fe);
		snprintf(kv, sizeof(kv), "%d", port);
		xs_write(xs, XBT_NULL, path, kv, (unsigned int)strlen(kv));
		snprintf(path, sizeof(path), "%s/state", fe);
		xs_write(xs, XBT_NULL, path, "4", 1);
	}
	if (wait_state(xs, be, XenbusStateConnected, 10)) {
		fprintf(stderr, "nb-hostile: backend did not connect\n");
		return 1;
	}
	fprintf(stderr, "nb-hostile: connected; attacking with %s\n", attack);
	if (!strcmp(attack, "prod-overflow")) {
		/* Far more requests than a ring can hold: garbage indices. */
		NB_WRITE_ONCE(txs->req_prod, 1000u);
	} else if (!strcmp(attack, "page-cross")) {
		struct netif_tx_request *req = RING_GET_REQUEST(&tx, tx.req_prod_pvt++);

		req->gref = REF_DATA;
		req->offset = 4000;
		req->flags = 0;
		req->id = 0;
		req->size = 200;
		xen_wmb();
		NB_WRITE_ONCE(txs->req_prod, tx.req_prod_pvt);
	} else if (!strcmp(attack, "slots-20")) {
		for (int i = 0; i < 20; i++) {
			struct netif_tx_request *req = RING_GET_REQUEST(&tx, tx.req_prod_pvt++);

			req->gref = REF_DATA;
			req->offset = 0;
			req->flags = i < 19 ? NETTXF_more_data : 0;
			req->id = (uint16_t)i;
			req->size = i == 0 ? 2000 : 60;
		}
		xen_wmb();
		NB_WRITE_ONCE(txs->req_prod, tx.req_prod_pvt);
	} else {
		fprintf(stderr, "nb-hostile: unknown attack '%s'\n", attack);
		return 2;
	}
	nb_sim_evtchn_notify(ev, (uint32_t)port);
	printf("attacked\n");
	fflush(stdout);
	while (!stop)
		pause();
	nb_sim_evtchn_close(ev);
	xs_close(xs);
	nb_sim_guest_detach(g);
	free(be);
	return 0;
}
