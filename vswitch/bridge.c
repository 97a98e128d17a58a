/* SPDX-License-Identifier: MIT */
/*
 * bridge.c - the learning bridge mode (see bridge.h): learn the source, then forward by the
 * destination, the two stages of VPP's l2-learn/l2-fwd on one batch.
 */
#include "vswitch/bridge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct vsw_bridge {
	struct vsw_net *net;
	struct vsw_mac_table *macs;
	uint64_t now_ns; /* the worker's clock at the last batch (for dumps) */
};

static int
bridge_create(struct vsw_net *net, const char *args, void **statep)
{
	static const char *const keys[] = { "aging", "max_macs", NULL };
	struct vsw_mac_table_cfg cfg = { 0 };
	struct vsw_bridge *br;
	unsigned int v;
	int err;

	if (args && port_args_check(args, keys))
		return -EINVAL;
	err = port_args_get_uint(args, "aging", 1, VSW_MAC_AGING_S_MAX, &v);
	if (err == 0)
		cfg.aging_s = v;
	else if (err != -ENOENT)
		return err;
	err = port_args_get_uint(args, "max_macs", 1, VSW_MAC_MAX_ENTRIES_LIMIT, &v);
	if (err == 0)
		cfg.max_entries = v;
	else if (err != -ENOENT)
		return err;
	cfg.max_ports = PORT_MAX;
	br = calloc(1, sizeof(*br));
	if (!br)
		return -ENOMEM;
	err = vsw_mac_table_create(&cfg, &br->macs);
	if (err) {
		free(br);
		return err;
	}
	br->net = net;
	*statep = br;
	return 0;
}

static void
bridge_destroy(void *state)
{
	struct vsw_bridge *br = state;

	if (!br)
		return;
	vsw_mac_table_destroy(br->macs);
	free(br);
}

static int
bridge_port_added(void *state, struct port *port, const struct vsw_port_cfg *cfg)
{
	(void)state;
	(void)port;
	(void)cfg;
	return 0;
}

static void
bridge_port_removed(void *state, struct port *port)
{
	struct vsw_bridge *br = state;

	vsw_mac_flush_port(br->macs, port->index);
}

/* The VLAN a frame belongs to for learning: its outer 802.1Q id, 0 when untagged. */
static inline uint16_t
bridge_vlan(const uint8_t *d, uint32_t len)
{
	if (len >= 18 && d[12] == 0x81 && d[13] == 0x00)
		return (uint16_t)((d[14] << 8 | d[15]) & 0x0fff);
	return 0;
}

static void
bridge_process(void *state, struct vsw_fwd *fwd, struct port *in, struct pkt_batch *batch,
	       uint64_t now_ns)
{
	struct vsw_bridge *br = state;
	unsigned int i;

	br->now_ns = now_ns;
	for (i = 0; i < batch->count; i++) {
		struct pkt *p = batch->pkts[i];
		const uint8_t *d = pkt_data(p);
		const struct ether_addr *dst = (const struct ether_addr *)d;
		const struct ether_addr *src = (const struct ether_addr *)(d + 6);
		uint16_t vlan, out_idx;
		struct port *out;

		if (p->len < PORT_ETH_HLEN) {
			vsw_fwd_drop(fwd, in, p, VSW_CTR_RX_RUNT);
			continue;
		}
		/* A multicast or zero source is never a real sender (the Linux bridge drops it). */
		if (!vsw_mac_is_learnable(src)) {
			vsw_fwd_drop(fwd, in, p, VSW_CTR_RX_BAD_SRC_MAC);
			continue;
		}
		vlan = bridge_vlan(d, p->len);
		vsw_mac_learn(br->macs, src, vlan, in->index, now_ns);
		if (dst->ether_addr_octet[0] & 1) {
			vsw_fwd_flood(fwd, in, p);
			continue;
		}
		if (vsw_mac_lookup(br->macs, dst, vlan, now_ns, &out_idx) != 0 ||
		    !(out = port_by_index(out_idx))) {
			vsw_fwd_flood(fwd, in, p);
			continue;
		}
		if (out == in) {
			vsw_fwd_drop(fwd, in, p, VSW_CTR_FWD_REFLECT);
			continue;
		}
		vsw_fwd_output(fwd, out, p);
	}
}

static void
bridge_tick(void *state, uint64_t now_ns)
{
	struct vsw_bridge *br = state;

	br->now_ns = now_ns;
	vsw_mac_age(br->macs, now_ns);
}

const struct vsw_mode_ops vsw_mode_bridge = {
	.name = "bridge",
	.create = bridge_create,
	.destroy = bridge_destroy,
	.port_added = bridge_port_added,
	.port_removed = bridge_port_removed,
	.process = bridge_process,
	.tick = bridge_tick,
};

struct bridge_dump {
	struct vsw_bridge *br;
	struct vsw_mac_info *infos;
	unsigned int max, n;
	struct vsw_mac_stats *stats;
};

static int
bridge_dump_one(void *arg, const struct vsw_mac_info *info)
{
	struct bridge_dump *bd = arg;

	if (bd->n >= bd->max)
		return 1;
	bd->infos[bd->n++] = *info;
	return 0;
}

static int
bridge_do_dump(void *arg)
{
	struct bridge_dump *bd = arg;

	/* The worker's own clock (real or virtual), refreshed at least every tick. */
	if (bd->infos)
		vsw_mac_dump(bd->br->macs, bd->br->now_ns, bridge_dump_one, bd);
	if (bd->stats)
		vsw_mac_get_stats(bd->br->macs, bd->stats);
	return 0;
}

int
vsw_bridge_fdb(struct vsw_net *net, struct vsw_mac_info *infos, unsigned int max)
{
	struct bridge_dump bd = { .infos = infos, .max = max };

	if (strcmp(vsw_net_mode(net), "bridge"))
		return -EINVAL;
	bd.br = vsw_net_mode_state(net);
	vsw_net_call(net, bridge_do_dump, &bd);
	return (int)bd.n;
}

int
vsw_bridge_stats(struct vsw_net *net, struct vsw_mac_stats *stats)
{
	struct bridge_dump bd = { .stats = stats };

	if (strcmp(vsw_net_mode(net), "bridge"))
		return -EINVAL;
	bd.br = vsw_net_mode_state(net);
	return vsw_net_call(net, bridge_do_dump, &bd);
}
