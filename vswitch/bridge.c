/* SPDX-License-Identifier: MIT */
/*
 * bridge.c - the learning bridge mode (see bridge.h): learn the source, then forward by the
 * destination, the two stages of VPP's l2-learn/l2-fwd on one batch.
 */
#include "vswitch/bridge.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

struct vsw_bridge {
	struct vsw_net *net;
	struct vsw_mac_table *macs;
	/* A spread network (switch.h): its workers share 'macs' (vsw_mac_table_set_shared), so
	 * each sees what the others learned. */
	bool shared;
	uint64_t now_ns; /* the worker's clock at the last batch (for dumps); atomic */
	struct vsw_bridge_policy policy;
	uint8_t roles[PORT_MAX]; /* enum vsw_port_role of each member, by port index */
	struct bridge_guard *guards[PORT_MAX]; /* a vif's allowed sources, NULL: unrestricted */
};

/* Anti-spoofing of a vif with ip= (what Xen's vif scripts do with iptables): the IPv4/ARP
 * and IPv6 sources it may use. A family with no address configured is not restricted. */
struct bridge_guard {
	unsigned int n4, n6;
	uint32_t v4[VSW_PORT_IPS_MAX]; /* network order */
	uint8_t v6[VSW_PORT_IPS_MAX][16];
};

/* The plain bridge: every role may join, frames go to any member. */
static const struct vsw_bridge_policy bridge_policy_open = {
	.roles = VSW_BRIDGE_ROLES_ALL,
	.vif_only = false,
};

int
vsw_bridge_create_policy(struct vsw_net *net, const char *args,
			 const struct vsw_bridge_policy *policy, void **statep)
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
	br->policy = *policy;
	*statep = br;
	return 0;
}

static int
bridge_create(struct vsw_net *net, const char *args, void **statep)
{
	return vsw_bridge_create_policy(net, args, &bridge_policy_open, statep);
}

static void
bridge_destroy(void *state)
{
	struct vsw_bridge *br = state;

	if (!br)
		return;
	for (unsigned int i = 0; i < PORT_MAX; i++)
		free(br->guards[i]);
	vsw_mac_table_destroy(br->macs);
	free(br);
}

static int
bridge_port_added(void *state, struct port *port, const struct vsw_port_cfg *cfg)
{
	struct vsw_bridge *br = state;

	if ((unsigned int)cfg->role > VSW_PORT_UPLINK ||
	    !(br->policy.roles & VSW_BRIDGE_ROLE(cfg->role)))
		return -EPERM;
	br->roles[port->index] = (uint8_t)cfg->role;
	free(br->guards[port->index]);
	br->guards[port->index] = NULL;
	if (cfg->role == VSW_PORT_VIF && cfg->n_ips) {
		struct bridge_guard *g = calloc(1, sizeof(*g));

		if (!g)
			return -ENOMEM;
		for (unsigned int i = 0; i < cfg->n_ips; i++) {
			if (cfg->ips[i].family == AF_INET)
				memcpy(&g->v4[g->n4++], cfg->ips[i].addr, 4);
			else if (cfg->ips[i].family == AF_INET6)
				memcpy(g->v6[g->n6++], cfg->ips[i].addr, 16);
		}
		br->guards[port->index] = g;
	}
	return 0;
}

static void
bridge_port_removed(void *state, struct port *port)
{
	struct vsw_bridge *br = state;

	vsw_mac_flush_port(br->macs, port->index);
	br->roles[port->index] = VSW_PORT_OTHER;
	free(br->guards[port->index]);
	br->guards[port->index] = NULL;
}

static bool
guard_v4(const struct bridge_guard *g, const uint8_t *a)
{
	uint32_t v;

	if (!g->n4)
		return true;
	memcpy(&v, a, 4);
	for (unsigned int i = 0; i < g->n4; i++)
		if (g->v4[i] == v)
			return true;
	return false;
}

/* Whether a frame from a guarded vif uses a source it may use. Frames too short to carry
 * the field are left to the receiver (the bridge does not parse them further). */
static bool
bridge_src_allowed(const struct bridge_guard *g, const uint8_t *d, uint32_t len)
{
	uint32_t l3 = 14;
	uint16_t type = (uint16_t)(d[12] << 8 | d[13]);
	static const uint8_t zero4[4];

	if (type == 0x8100 && len >= 18) {
		type = (uint16_t)(d[16] << 8 | d[17]);
		l3 = 18;
	}
	if (type == 0x0800 && len >= l3 + 20) {
		const uint8_t *ip = d + l3;
		uint32_t ihl = (uint32_t)(ip[0] & 0xf) * 4;

		if (guard_v4(g, ip + 12))
			return true;
		/* A DHCP client has no address yet: 0.0.0.0, UDP to port 67. */
		return !memcmp(ip + 12, zero4, 4) && ip[9] == 17 && len >= l3 + ihl + 4 &&
		       ip[ihl + 2] == 0 && ip[ihl + 3] == 67;
	}
	if (type == 0x0806 && len >= l3 + 28)
		return guard_v4(g, d + l3 + 14) || !memcmp(d + l3 + 14, zero4, 4); /* probes */
	if (type == 0x86dd && len >= l3 + 40 && g->n6) {
		const uint8_t *src = d + l3 + 8;
		static const uint8_t zero16[16];

		/* The unspecified and link-local sources of neighbour discovery are allowed. */
		if (!memcmp(src, zero16, 16) || (src[0] == 0xfe && (src[1] & 0xc0) == 0x80))
			return true;
		for (unsigned int i = 0; i < g->n6; i++)
			if (!memcmp(g->v6[i], src, 16))
				return true;
		return false;
	}
	return true;
}

/* Flooding restricted to guests: a copy for every VIF member but 'in'. Copies come from the
 * packet's own pool, which belongs to this worker (pkt.h: a packet is freed by its owner). */
static void
bridge_flood_vifs(struct vsw_bridge *br, struct vsw_fwd *fwd, struct port *in, struct pkt *p)
{
	struct vsw_net *net = vsw_fwd_net(fwd);
	unsigned int i, n = vsw_net_n_ports(net);
	struct port *last = NULL;

	port_count_ctr(in, VSW_CTR_FWD_FLOOD, 1);
	for (i = 0; i < n; i++) {
		struct port *out = vsw_net_port(net, i);
		struct pkt *c;

		if (out == in || br->roles[out->index] != VSW_PORT_VIF)
			continue;
		if (last) {
			c = pkt_copy(p->pool, p);
			if (!c)
				port_count_ctr(in, VSW_CTR_RX_NOBUF, 1);
			else
				vsw_fwd_output(fwd, last, c);
		}
		last = out;
	}
	if (last)
		vsw_fwd_output(fwd, last, p);
	else
		pkt_free(p);
}

static void
bridge_flood(struct vsw_bridge *br, struct vsw_fwd *fwd, struct port *in, struct pkt *p)
{
	if (br->policy.vif_only)
		bridge_flood_vifs(br, fwd, in, p);
	else
		vsw_fwd_flood(fwd, in, p);
}

/* The VLAN a frame belongs to for learning: its outer 802.1Q id, 0 when untagged. */
static inline uint16_t
bridge_vlan(const uint8_t *d, uint32_t len)
{
	if (len >= 18 && d[12] == 0x81 && d[13] == 0x00)
		return (uint16_t)((d[14] << 8 | d[15]) & 0x0fff);
	return 0;
}

/* Sends pkts[start..end) to 'out' (nothing if 'out' is NULL). */
static inline void
bridge_run_flush(struct vsw_fwd *fwd, struct port *out, struct pkt *const *pkts, unsigned int start,
		 unsigned int end)
{
	if (out && end > start)
		vsw_fwd_output_burst(fwd, out, pkts + start, end - start);
}

static void
bridge_process(void *state, struct vsw_fwd *fwd, struct port *in, struct pkt_batch *batch,
	       uint64_t now_ns)
{
	struct vsw_bridge *br = state;
	const struct bridge_guard *guard = br->guards[in->index];
	struct vsw_mac_req reqs[PKT_BATCH_MAX];
	struct pkt *pkts[PKT_BATCH_MAX];
	struct port *out = NULL, *run_out = NULL;
	unsigned int i, n = 0, run_start = 0, last_idx = VSW_MAC_PORT_NONE + 1;

	__atomic_store_n(&br->now_ns, now_ns, __ATOMIC_RELAXED);
	/* The checks of each frame, then one learn + lookup pass over the burst (the table
	 * keeps the per-frame order), then the forwarding, in frame order. */
	for (i = 0; i < batch->count; i++) {
		struct pkt *p = batch->pkts[i];
		const uint8_t *d = pkt_data(p);
		struct vsw_mac_req *r;
		uint16_t vlan;
		uint64_t skey;

		if (p->len < PORT_ETH_HLEN) {
			vsw_fwd_drop(fwd, in, p, VSW_CTR_RX_RUNT);
			continue;
		}
		vlan = bridge_vlan(d, p->len);
		skey = vsw_mac_key_of(d + 6, vlan);
		/* A multicast or zero source is never a real sender (the Linux bridge drops it). */
		if (!vsw_mac_key_is_learnable(skey)) {
			vsw_fwd_drop(fwd, in, p, VSW_CTR_RX_BAD_SRC_MAC);
			continue;
		}
		if (guard && !bridge_src_allowed(guard, d, p->len)) {
			vsw_fwd_drop(fwd, in, p, VSW_CTR_L3_SPOOFED);
			continue;
		}
		r = &reqs[n];
		r->src_key = skey;
		r->dst_key = d[0] & 1 ? 0 : vsw_mac_key_of(d, vlan); /* multicast: flooded */
		r->in_port = in->index;
		pkts[n++] = p;
	}
	vsw_mac_learn_lookup_burst(br->macs, reqs, n, now_ns);
	/* Consecutive frames to one port leave as one run; a run is sent before anything
	 * else is done, so every port still gets its frames in arrival order. */
	for (i = 0; i < n; i++) {
		struct pkt *p = pkts[i];
		unsigned int out_idx = reqs[i].out_port;

		if (out_idx != last_idx) {
			bridge_run_flush(fwd, run_out, pkts, run_start, i);
			run_out = NULL;
			out = out_idx == VSW_MAC_PORT_NONE ? NULL : port_by_index(out_idx);
			last_idx = out_idx;
		}
		if (run_out) /* joins the run of the frame before: same destination */
			continue;
		if (!out) {
			bridge_flood(br, fwd, in, p);
			continue;
		}
		if (out == in) {
			vsw_fwd_drop(fwd, in, p, VSW_CTR_FWD_REFLECT);
			continue;
		}
		/* Belt and braces for isolated networks: port_added already keeps other roles
		 * out, this holds even if a table entry ever pointed elsewhere. */
		if (br->policy.vif_only && br->roles[out->index] != VSW_PORT_VIF) {
			vsw_fwd_drop(fwd, in, p, VSW_CTR_MODE_DENIED);
			continue;
		}
		run_out = out;
		run_start = i;
	}
	bridge_run_flush(fwd, run_out, pkts, run_start, n);
}

/* Primary worker, helpers parked: nobody is inside process() or tick(). */
static int
bridge_set_shared(void *state, bool shared)
{
	struct vsw_bridge *br = state;

	br->shared = shared;
	vsw_mac_table_set_shared(br->macs, shared);
	return 0;
}

static void
bridge_tick(void *state, uint64_t now_ns)
{
	struct vsw_bridge *br = state;

	__atomic_store_n(&br->now_ns, now_ns, __ATOMIC_RELAXED);
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
	.set_shared = bridge_set_shared,
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

/* Variants (hostonly, isolated) share the bridge's process and state, so they dump too. */
static bool
bridge_is_bridge(const struct vsw_net *net)
{
	const struct vsw_mode_ops *ops = vsw_mode_lookup(vsw_net_mode(net));

	return ops && ops->process == bridge_process;
}

int
vsw_bridge_fdb(struct vsw_net *net, struct vsw_mac_info *infos, unsigned int max)
{
	struct bridge_dump bd = { .infos = infos, .max = max };

	if (!bridge_is_bridge(net))
		return -EINVAL;
	bd.br = vsw_net_mode_state(net);
	vsw_net_call(net, bridge_do_dump, &bd);
	return (int)bd.n;
}

int
vsw_bridge_stats(struct vsw_net *net, struct vsw_mac_stats *stats)
{
	struct bridge_dump bd = { .stats = stats };

	if (!bridge_is_bridge(net))
		return -EINVAL;
	bd.br = vsw_net_mode_state(net);
	return vsw_net_call(net, bridge_do_dump, &bd);
}
