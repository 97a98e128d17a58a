/* SPDX-License-Identifier: MIT */
/*
 * xdpguard.c - the uplink guard (see xdpguard.h): the guard program loaded and attached
 * through a BPF link with libbpf, or the guard maps of the af_xdp port's program, kept in
 * step with the network's guests.
 */
#include "vswitch/xdpguard.h"

#include "vswitch/port-afxdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

struct xdpg {
	struct bpf_object *obj; /* ours (xdpg_open), NULL when borrowed */
	int prog_fd;
	int link_fd;   /* the attachment, -1 if none */
	uint32_t mode; /* XDP_FLAGS_DRV_MODE or _SKB_MODE once attached */
	int macs_fd, ip4_fd, drops_fd, cfg_fd;
};

static int
xdpg_set_on(struct xdpg *g, uint32_t on)
{
	uint32_t zero = 0;

	return bpf_map_update_elem(g->cfg_fd, &zero, &on, BPF_ANY) ? -errno : 0;
}

static int
xdpg_maps(struct xdpg *g, struct bpf_object *obj)
{
	g->macs_fd = bpf_object__find_map_fd_by_name(obj, NB_GUARD_MAP_MACS);
	g->ip4_fd = bpf_object__find_map_fd_by_name(obj, NB_GUARD_MAP_IP4);
	g->drops_fd = bpf_object__find_map_fd_by_name(obj, NB_GUARD_MAP_DROPS);
	g->cfg_fd = bpf_object__find_map_fd_by_name(obj, NB_GUARD_MAP_CFG);
	if (g->macs_fd < 0 || g->ip4_fd < 0 || g->drops_fd < 0 || g->cfg_fd < 0)
		return -ENOENT;
	return xdpg_set_on(g, 1);
}

static struct xdpg *
xdpg_alloc(void)
{
	struct xdpg *g = calloc(1, sizeof(*g));

	if (g) {
		g->prog_fd = -1;
		g->link_fd = -1;
		g->macs_fd = g->ip4_fd = g->drops_fd = g->cfg_fd = -1;
	}
	return g;
}

int
xdpg_open(const char *path, struct xdpg **gp)
{
	char buf[PATH_MAX];
	struct bpf_program *prog;
	struct xdpg *g;
	int err;

	*gp = NULL;
	if (!path) {
		err = port_afxdp_bpf_file(XDPG_PROG_FILE, buf, sizeof(buf));
		if (err)
			return err;
		path = buf;
	}
	if (access(path, R_OK) < 0)
		return -errno;
	g = xdpg_alloc();
	if (!g)
		return -ENOMEM;
	g->obj = bpf_object__open_file(path, NULL);
	err = libbpf_get_error(g->obj);
	if (err) {
		g->obj = NULL;
		goto fail;
	}
	err = bpf_object__load(g->obj);
	if (err)
		goto fail;
	prog = bpf_object__find_program_by_name(g->obj, XDPG_PROG_NAME);
	err = prog ? 0 : -ENOENT;
	if (!err)
		g->prog_fd = bpf_program__fd(prog);
	if (!err && g->prog_fd < 0)
		err = g->prog_fd;
	if (!err)
		err = xdpg_maps(g, g->obj);
	if (err)
		goto fail;
	*gp = g;
	return 0;
fail:
	xdpg_close(g);
	return err < 0 ? err : -EINVAL;
}

int
xdpg_attach(struct xdpg *g, int ifindex)
{
	static const uint32_t modes[] = { XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE };
	int err = -EINVAL;

	if (!g->obj || g->link_fd >= 0)
		return -EINVAL;
	for (unsigned int i = 0; i < 2; i++) {
		struct bpf_link_create_opts opts;
		int fd;

		memset(&opts, 0, sizeof(opts));
		opts.sz = sizeof(opts);
		opts.flags = modes[i];
		fd = bpf_link_create(g->prog_fd, ifindex, BPF_XDP, &opts);

		if (fd >= 0) {
			g->link_fd = fd;
			g->mode = modes[i];
			return 0;
		}
		err = fd;
		/* Another program already there: not ours to replace in any mode. */
		if (err == -EBUSY || err == -EEXIST || err == -EPERM)
			break;
	}
	return err == -EEXIST ? -EBUSY : err;
}

const char *
xdpg_mode(const struct xdpg *g)
{
	if (!g || g->link_fd < 0)
		return NULL;
	return g->mode == XDP_FLAGS_DRV_MODE ? "driver mode" : "generic mode";
}

int
xdpg_borrow(struct bpf_object *obj, struct xdpg **gp)
{
	struct xdpg *g = xdpg_alloc();
	int err;

	*gp = NULL;
	if (!g)
		return -ENOMEM;
	err = xdpg_maps(g, obj);
	if (err) {
		free(g);
		return err;
	}
	*gp = g;
	return 0;
}

void
xdpg_close(struct xdpg *g)
{
	if (!g)
		return;
	if (g->link_fd >= 0)
		close(g->link_fd); /* the last reference: the kernel detaches the program */
	if (g->obj)
		bpf_object__close(g->obj);
	else if (g->cfg_fd >= 0)
		xdpg_set_on(g, 0);
	free(g);
}

int
xdpg_prog_fd(const struct xdpg *g)
{
	return g->obj ? g->prog_fd : -1;
}

/* Makes map 'fd' hold exactly the 'n' keys of 'size' bytes at 'want'. */
static int
xdpg_sync_map(int fd, const void *want, unsigned int n, size_t size, unsigned int max)
{
	const uint8_t one = 1;
	uint8_t key[16], next[16];
	uint8_t *stale;
	unsigned int n_stale = 0;
	bool first = true;
	int err = 0;

	stale = calloc(max, size);
	if (!stale)
		return -ENOMEM;
	while (n_stale < max && !bpf_map_get_next_key(fd, first ? NULL : key, next)) {
		bool wanted = false;

		for (unsigned int i = 0; i < n && !wanted; i++)
			wanted = !memcmp((const uint8_t *)want + i * size, next, size);
		if (!wanted)
			memcpy(stale + (size_t)n_stale++ * size, next, size);
		memcpy(key, next, size);
		first = false;
	}
	for (unsigned int i = 0; i < n_stale; i++)
		if (bpf_map_delete_elem(fd, stale + (size_t)i * size) && errno != ENOENT && !err)
			err = -errno;
	free(stale);
	for (unsigned int i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, (const uint8_t *)want + i * size, &one, BPF_ANY) &&
		    !err)
			err = -errno;
	return err;
}

int
xdpg_sync(struct xdpg *g, const struct xdpg_set *want)
{
	int err, err2;

	if (want->n_macs > NB_GUARD_MACS_MAX || want->n_ip4 > NB_GUARD_IP4_MAX)
		return -E2BIG;
	err = xdpg_sync_map(g->macs_fd, want->macs, want->n_macs, sizeof(want->macs[0]),
			    NB_GUARD_MACS_MAX);
	err2 = xdpg_sync_map(g->ip4_fd, want->ip4, want->n_ip4, sizeof(want->ip4[0]),
			     NB_GUARD_IP4_MAX);
	return err ? err : err2;
}

static int
xdpg_set_add_mac(struct xdpg_set *set, const uint8_t *mac)
{
	for (unsigned int i = 0; i < set->n_macs; i++)
		if (!memcmp(set->macs[i].addr, mac, 6))
			return 0;
	if (set->n_macs >= NB_GUARD_MACS_MAX)
		return -E2BIG;
	memcpy(set->macs[set->n_macs++].addr, mac, 6);
	return 0;
}

static int
xdpg_set_add_ip4(struct xdpg_set *set, const struct vsw_ip *ip)
{
	struct nb_guard_ip4 k;
	uint32_t a, mask;

	memset(&k, 0, sizeof(k));
	k.prefixlen = ip->prefix > 32 ? 32 : ip->prefix;
	/* The trie compares the first prefixlen bits only; zero the rest so that one prefix
	 * given twice is one key. */
	memcpy(&a, ip->addr, 4);
	mask = k.prefixlen ? htonl(~0u << (32 - k.prefixlen)) : 0;
	a &= mask;
	memcpy(k.addr, &a, 4);
	for (unsigned int i = 0; i < set->n_ip4; i++)
		if (!memcmp(&set->ip4[i], &k, sizeof(k)))
			return 0;
	if (set->n_ip4 >= NB_GUARD_IP4_MAX)
		return -E2BIG;
	set->ip4[set->n_ip4++] = k;
	return 0;
}

int
xdpg_set_from_net(const struct vsw_switch *sw, const struct vsw_net *net, struct xdpg_set *set)
{
	set->n_macs = 0;
	set->n_ip4 = 0;
	for (unsigned int i = 0; i < vsw_net_n_ports(net); i++) {
		const struct port *port = vsw_net_port(net, i);
		const struct vsw_port_cfg *cfg = port ? vsw_port_cfg(sw, port) : NULL;
		struct ether_addr mac;
		int err;

		if (!cfg || cfg->role != VSW_PORT_VIF)
			continue;
		if (!port_get_etheraddr(port, &mac)) {
			err = xdpg_set_add_mac(set, mac.ether_addr_octet);
			if (err)
				return err;
		}
		for (unsigned int k = 0; k < cfg->n_ips; k++) {
			if (cfg->ips[k].family != AF_INET)
				continue;
			err = xdpg_set_add_ip4(set, &cfg->ips[k]);
			if (err)
				return err;
		}
	}
	return 0;
}

int
xdpg_read(const struct xdpg *g, uint64_t drops[NB_GUARD_REASONS])
{
	int n_cpus = libbpf_num_possible_cpus();
	uint64_t *vals;
	int err = 0;

	if (n_cpus <= 0)
		return n_cpus < 0 ? n_cpus : -EINVAL;
	vals = calloc((size_t)n_cpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (uint32_t r = 0; r < NB_GUARD_REASONS; r++) {
		drops[r] = 0;
		if (bpf_map_lookup_elem(g->drops_fd, &r, vals)) {
			err = -errno;
			continue;
		}
		for (int c = 0; c < n_cpus; c++)
			drops[r] += vals[c];
	}
	free(vals);
	return err;
}

void
xdpg_add_counters(const struct xdpg *g, struct vsw_counters *ctrs)
{
	static const enum vsw_counter ctr[NB_GUARD_REASONS] = {
		[NB_GUARD_RUNT] = VSW_CTR_XDP_DROP_RUNT,
		[NB_GUARD_BAD_SRC_MAC] = VSW_CTR_XDP_DROP_BAD_SRC_MAC,
		[NB_GUARD_SPOOFED_MAC] = VSW_CTR_XDP_DROP_SPOOFED_MAC,
		[NB_GUARD_SPOOFED_IP] = VSW_CTR_XDP_DROP_SPOOFED_IP,
	};
	uint64_t drops[NB_GUARD_REASONS];

	if (!g || xdpg_read(g, drops))
		return;
	for (unsigned int r = 0; r < NB_GUARD_REASONS; r++)
		ctrs->c[ctr[r]] += drops[r];
}
