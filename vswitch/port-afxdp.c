/* SPDX-License-Identifier: MIT */
/*
 * port-afxdp.c - the "af_xdp" port class (see port-afxdp.h): our XDP program attached with
 * libbpf, an AF_XDP socket and its UMEM made with libxdp, and a free-frame stack for TX.
 */
#include "vswitch/port-afxdp.h"

#include <errno.h>
#include <limits.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "vswitch/csum.h"
#include "vswitch/xdpguard.h"

#define PORT_AFXDP_ETH_VLAN 0x8100

enum port_afxdp_bind {
	PORT_AFXDP_BIND_AUTO,
	PORT_AFXDP_BIND_ZEROCOPY,
	PORT_AFXDP_BIND_COPY,
};

struct port_afxdp {
	struct port up; /* first: port.c allocates and frees the whole struct through it */
	int ifindex;
	char ifname[IFNAMSIZ];
	struct ether_addr mac;
	unsigned int queue_id;
	uint32_t xdp_flags; /* XDP_FLAGS_DRV_MODE or _SKB_MODE once attached, else 0 */
	bool zerocopy;

	struct bpf_object *obj;
	int prog_fd;
	int map_fd;
	struct xdpg *guard; /* guard=1: the program's guard maps, turned on */

	void *umem_area;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	int fd;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;

	/* Owning worker only. */
	uint64_t *free_frames; /* TX frames not on the TX or completion ring */
	unsigned int n_free;
	int kick_err;	 /* errno of the last kick, 0 if it went through */
	bool kick_again; /* the last kick left work: repeat it */
	uint64_t recycle[PKT_BATCH_MAX];
};

static int
port_afxdp_ioctl(int fd, const char *ifname, unsigned long req, struct ifreq *ifr, void *data)
{
	memset(ifr, 0, sizeof(*ifr));
	memcpy(ifr->ifr_name, ifname, IFNAMSIZ);
	ifr->ifr_data = data;
	return ioctl(fd, req, ifr) < 0 ? -errno : 0;
}

/* MAC and MTU; refuses an MTU no UMEM frame holds, and a multi-queue device unless a
 * queue_id= was given (frames of the other queues would bypass the switch). */
static int
port_afxdp_ifinfo(struct port_afxdp *xp, bool queue_given)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr;
	int fd, err;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = port_afxdp_ioctl(fd, xp->ifname, SIOCGIFHWADDR, &ifr, NULL);
	if (!err && ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		err = -EINVAL;
	if (!err)
		memcpy(xp->mac.ether_addr_octet, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	/* A driver without the channels query has one queue as far as we can tell. */
	if (!err && !queue_given && !port_afxdp_ioctl(fd, xp->ifname, SIOCETHTOOL, &ifr, &ch) &&
	    ch.rx_count + ch.combined_count > 1)
		err = -EOPNOTSUPP;
	if (!err)
		err = port_afxdp_ioctl(fd, xp->ifname, SIOCGIFMTU, &ifr, NULL);
	close(fd);
	if (err)
		return err;
	if (ifr.ifr_mtu > (int)PORT_AFXDP_MTU_MAX)
		return -EMSGSIZE;
	xp->up.mtu = ifr.ifr_mtu < PORT_MTU_MIN ? PORT_MTU_MIN : (unsigned int)ifr.ifr_mtu;
	return 0;
}

int
port_afxdp_bpf_file(const char *file, char *path, size_t size)
{
	char exe[PATH_MAX];
	const char *dir = getenv("NB_BPF_DIR");
	ssize_t n;
	char *slash;
	int w;

	if (dir && dir[0]) {
		w = snprintf(path, size, "%s/%s", dir, file);
		return w < 0 || (size_t)w >= size ? -ENAMETOOLONG : 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return n < 0 ? -errno : -ENOENT;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	w = snprintf(path, size, "%s/../bpf/%s", exe, file);
	return w < 0 || (size_t)w >= size ? -ENAMETOOLONG : 0;
}

/* The program file: prog= if given, else port_afxdp_bpf_file(). */
static int
port_afxdp_prog_path(const char *args, char *path, size_t size)
{
	int err = port_args_get(args, "prog", path, size);

	if (err != -ENOENT)
		return err == -E2BIG || (!err && !path[0]) ? -EINVAL : err;
	return port_afxdp_bpf_file(PORT_AFXDP_PROG_FILE, path, size);
}

static int
port_afxdp_load(struct port_afxdp *xp, const char *path)
{
	struct bpf_program *prog;
	int err;

	if (access(path, R_OK) < 0)
		return -errno;
	xp->obj = bpf_object__open_file(path, NULL);
	err = libbpf_get_error(xp->obj);
	if (err) {
		xp->obj = NULL;
		return err < 0 ? err : -EINVAL;
	}
	err = bpf_object__load(xp->obj);
	if (err)
		return err < 0 ? err : -EINVAL;
	prog = bpf_object__find_program_by_name(xp->obj, PORT_AFXDP_PROG_NAME);
	xp->map_fd = bpf_object__find_map_fd_by_name(xp->obj, PORT_AFXDP_MAP_NAME);
	if (!prog || xp->map_fd < 0)
		return -ENOENT;
	xp->prog_fd = bpf_program__fd(prog);
	return xp->prog_fd < 0 ? xp->prog_fd : 0;
}

/* Attaches the program in driver mode, then generic mode, as 'mode' allows. */
static int
port_afxdp_attach(struct port_afxdp *xp, const char *mode)
{
	static const uint32_t modes[] = { XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE };
	int err = -EINVAL;

	for (unsigned int i = 0; i < 2; i++) {
		if ((!strcmp(mode, "native") && i != 0) || (!strcmp(mode, "generic") && i != 1))
			continue;
		err = bpf_xdp_attach(xp->ifindex, xp->prog_fd,
				     XDP_FLAGS_UPDATE_IF_NOEXIST | modes[i], NULL);
		if (!err) {
			xp->xdp_flags = modes[i];
			return 0;
		}
		/* Another program already there: not ours to replace in any mode. */
		if (err == -EBUSY || err == -EPERM)
			break;
	}
	return err < 0 ? err : -EINVAL;
}

static void
port_afxdp_close_socket(struct port_afxdp *xp)
{
	if (xp->xsk)
		xsk_socket__delete(xp->xsk);
	xp->xsk = NULL;
	xp->fd = -1;
	if (xp->umem)
		xsk_umem__delete(xp->umem);
	xp->umem = NULL;
}

static int
port_afxdp_open_socket(struct port_afxdp *xp, uint16_t bind_flags)
{
	const struct xsk_umem_config ucfg = {
		.fill_size = PORT_AFXDP_RING,
		.comp_size = PORT_AFXDP_RING,
		.frame_size = PORT_AFXDP_FRAME_BYTES,
		.frame_headroom = 0,
		.flags = 0,
	};
	struct xsk_socket_config scfg;
	int err;

	memset(&scfg, 0, sizeof(scfg));
	scfg.rx_size = PORT_AFXDP_RING;
	scfg.tx_size = PORT_AFXDP_RING;
	scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
	scfg.xdp_flags = xp->xdp_flags;
	scfg.bind_flags = bind_flags | XDP_USE_NEED_WAKEUP;
	err = xsk_umem__create(&xp->umem, xp->umem_area,
			       (uint64_t)PORT_AFXDP_FRAMES * PORT_AFXDP_FRAME_BYTES, &xp->fq,
			       &xp->cq, &ucfg);
	if (err) {
		xp->umem = NULL;
		return err < 0 ? err : -EINVAL;
	}
	err = xsk_socket__create(&xp->xsk, xp->ifname, xp->queue_id, xp->umem, &xp->rx, &xp->tx,
				 &scfg);
	if (err) {
		xp->xsk = NULL;
		port_afxdp_close_socket(xp);
		return err < 0 ? err : -EINVAL;
	}
	xp->fd = xsk_socket__fd(xp->xsk);
	return 0;
}

/* Puts the RX half of the UMEM on the fill ring, the TX half on the free stack. */
static int
port_afxdp_fill(struct port_afxdp *xp)
{
	const unsigned int n_rx = PORT_AFXDP_FRAMES / 2;
	uint32_t idx = 0;

	if (xsk_ring_prod__reserve(&xp->fq, n_rx, &idx) != n_rx)
		return -ENOSPC;
	for (unsigned int i = 0; i < n_rx; i++)
		*xsk_ring_prod__fill_addr(&xp->fq, idx + i) = (uint64_t)i * PORT_AFXDP_FRAME_BYTES;
	xsk_ring_prod__submit(&xp->fq, n_rx);
	for (unsigned int i = n_rx; i < PORT_AFXDP_FRAMES; i++)
		xp->free_frames[xp->n_free++] = (uint64_t)i * PORT_AFXDP_FRAME_BYTES;
	if (xsk_ring_prod__needs_wakeup(&xp->fq))
		recvfrom(xp->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	return 0;
}

static void
port_afxdp_destruct(struct port *port)
{
	struct port_afxdp *xp = (struct port_afxdp *)port;

	/* Program first: from here on the interface's frames go to the kernel stack again. */
	if (xp->xdp_flags) {
		struct bpf_xdp_attach_opts opts;

		memset(&opts, 0, sizeof(opts));
		opts.sz = sizeof(opts);
		opts.old_prog_fd = xp->prog_fd;
		bpf_xdp_detach(xp->ifindex, xp->xdp_flags | XDP_FLAGS_REPLACE, &opts);
		xp->xdp_flags = 0;
	}
	port_afxdp_close_socket(xp);
	xdpg_close(xp->guard);
	xp->guard = NULL;
	if (xp->obj)
		bpf_object__close(xp->obj);
	xp->obj = NULL;
	if (xp->umem_area)
		munmap(xp->umem_area, (size_t)PORT_AFXDP_FRAMES * PORT_AFXDP_FRAME_BYTES);
	xp->umem_area = NULL;
	free(xp->free_frames);
	xp->free_frames = NULL;
}

static int
port_afxdp_setup(struct port_afxdp *xp, const char *args, const char *mode,
		 enum port_afxdp_bind bind, bool guard)
{
	char path[PATH_MAX];
	int err;

	err = port_afxdp_prog_path(args, path, sizeof(path));
	if (!err)
		err = port_afxdp_load(xp, path);
	/* The guard is on before the program sees a frame. */
	if (!err && guard)
		err = xdpg_borrow(xp->obj, &xp->guard);
	if (!err)
		err = port_afxdp_attach(xp, mode);
	if (err)
		return err;
	xp->umem_area = mmap(NULL, (size_t)PORT_AFXDP_FRAMES * PORT_AFXDP_FRAME_BYTES,
			     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (xp->umem_area == MAP_FAILED) {
		xp->umem_area = NULL;
		return -errno;
	}
	xp->free_frames = calloc(PORT_AFXDP_FRAMES, sizeof(*xp->free_frames));
	if (!xp->free_frames)
		return -ENOMEM;
	/* Zero-copy needs driver mode and a driver that supports it (not veth); a failed
	 * bind leaves libxdp's UMEM state behind, so copy mode starts from a new UMEM. */
	err = -EOPNOTSUPP;
	if (bind != PORT_AFXDP_BIND_COPY && xp->xdp_flags == XDP_FLAGS_DRV_MODE) {
		err = port_afxdp_open_socket(xp, XDP_ZEROCOPY);
		xp->zerocopy = !err;
	}
	if (err && bind != PORT_AFXDP_BIND_ZEROCOPY)
		err = port_afxdp_open_socket(xp, XDP_COPY);
	if (err)
		return err;
	err = xsk_socket__update_xskmap(xp->xsk, xp->map_fd);
	if (err)
		return err < 0 ? err : -EINVAL;
	return port_afxdp_fill(xp);
}

static int
port_afxdp_construct(struct port *port, const char *args)
{
	static const char *const keys[] = { "ifname", "queue_id", "xdp_mode", "bind",
					    "prog",   "guard",	  NULL };
	struct port_afxdp *xp = (struct port_afxdp *)port;
	enum port_afxdp_bind bind = PORT_AFXDP_BIND_AUTO;
	char mode[16] = "auto", bindval[16] = "auto";
	unsigned int guard = 0;
	bool queue_given;
	int err;

	xp->fd = -1;
	xp->prog_fd = -1;
	xp->map_fd = -1;
	if (port_args_check(args, keys))
		return -EINVAL;
	err = port_args_get(args, "ifname", xp->ifname, sizeof(xp->ifname));
	if (err)
		return err == -ENOENT || err == -E2BIG ? -EINVAL : err;
	if (!xp->ifname[0])
		return -EINVAL;
	err = port_args_get_uint(args, "queue_id", 0, PORT_AFXDP_QUEUES_MAX - 1, &xp->queue_id);
	if (err && err != -ENOENT)
		return err;
	queue_given = !err;
	err = port_args_get(args, "xdp_mode", mode, sizeof(mode));
	if ((err && err != -ENOENT) ||
	    (strcmp(mode, "auto") && strcmp(mode, "native") && strcmp(mode, "generic")))
		return -EINVAL;
	err = port_args_get(args, "bind", bindval, sizeof(bindval));
	if (err && err != -ENOENT)
		return -EINVAL;
	if (!strcmp(bindval, "zerocopy"))
		bind = PORT_AFXDP_BIND_ZEROCOPY;
	else if (!strcmp(bindval, "copy"))
		bind = PORT_AFXDP_BIND_COPY;
	else if (strcmp(bindval, "auto"))
		return -EINVAL;
	err = port_args_get_uint(args, "guard", 0, 1, &guard);
	if (err && err != -ENOENT)
		return err;
	xp->ifindex = (int)if_nametoindex(xp->ifname);
	if (xp->ifindex == 0)
		return -ENODEV;
	err = port_afxdp_ifinfo(xp, queue_given);
	if (!err)
		err = port_afxdp_setup(xp, args, mode, bind, guard == 1);
	if (err)
		port_afxdp_destruct(port);
	return err;
}

/* Copies one RX descriptor's frame into a packet; NULL (counted) if it cannot. */
static struct pkt *
port_afxdp_take(struct port_afxdp *xp, const struct xdp_desc *desc, struct pkt_pool *pool)
{
	const uint8_t *data = xsk_umem__get_data(xp->umem_area, desc->addr);
	struct pkt *p = pkt_alloc(pool);
	uint8_t *d;

	if (!p) {
		port_count_ctr(&xp->up, VSW_CTR_RX_NOBUF, 1);
		return NULL;
	}
	d = pkt_put(p, desc->len);
	if (!d) {
		pkt_free(p);
		port_count_ctr(&xp->up, VSW_CTR_RX_TOO_BIG, 1);
		return NULL;
	}
	memcpy(d, data, desc->len);
	if (!port_frame_fits(&xp->up, p)) {
		pkt_free(p);
		port_count_ctr(&xp->up, VSW_CTR_RX_TOO_BIG, 1);
		return NULL;
	}
	p->in_port = xp->up.index;
	return p;
}

static unsigned int
port_afxdp_rx_burst(struct port *port, unsigned int qid, struct pkt_pool *pool,
		    struct pkt_batch *batch)
{
	struct port_afxdp *xp = (struct port_afxdp *)port;
	uint32_t idx = 0, fidx = 0, n, got = 0;
	uint64_t bytes = 0;

	(void)qid;
	n = xsk_ring_cons__peek(&xp->rx, pkt_batch_room(batch), &idx);
	if (n == 0)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *desc = xsk_ring_cons__rx_desc(&xp->rx, idx + i);
		struct pkt *p = port_afxdp_take(xp, desc, pool);

		xp->recycle[i] = desc->addr - desc->addr % PORT_AFXDP_FRAME_BYTES;
		if (p) {
			batch->pkts[batch->count++] = p;
			bytes += p->len;
			got++;
		}
	}
	xsk_ring_cons__release(&xp->rx, n);
	/* The frames came off the fill ring, so it has room for them again (else, which would
	 * be a bug, they are kept for TX rather than lost). */
	if (xsk_ring_prod__reserve(&xp->fq, n, &fidx) == n) {
		for (uint32_t i = 0; i < n; i++)
			*xsk_ring_prod__fill_addr(&xp->fq, fidx + i) = xp->recycle[i];
		xsk_ring_prod__submit(&xp->fq, n);
	} else {
		for (uint32_t i = 0; i < n && xp->n_free < PORT_AFXDP_FRAMES; i++)
			xp->free_frames[xp->n_free++] = xp->recycle[i];
	}
	if (xsk_ring_prod__needs_wakeup(&xp->fq))
		recvfrom(xp->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	if (got)
		port_count_rx(port, got, bytes);
	return got;
}

/* Moves completed TX frames back to the free stack. */
static void
port_afxdp_reclaim(struct port_afxdp *xp)
{
	uint32_t idx = 0;
	uint32_t n = xsk_ring_cons__peek(&xp->cq, PORT_AFXDP_RING, &idx);

	for (uint32_t i = 0; i < n && xp->n_free < PORT_AFXDP_FRAMES; i++) {
		uint64_t addr = *xsk_ring_cons__comp_addr(&xp->cq, idx + i);

		xp->free_frames[xp->n_free++] = addr - addr % PORT_AFXDP_FRAME_BYTES;
	}
	if (n)
		xsk_ring_cons__release(&xp->cq, n);
}

/* Tells the kernel about new TX descriptors if the ring asks for it; one call per burst. */
static void
port_afxdp_kick(struct port_afxdp *xp)
{
	xp->kick_again = false;
	if (!xsk_ring_prod__needs_wakeup(&xp->tx))
		return;
	if (sendto(xp->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0) {
		xp->kick_err = 0;
		return;
	}
	xp->kick_err = errno;
	switch (errno) {
	case EBUSY: /* copy mode: the device dropped one frame, the rest waits */
		port_count_ctr(&xp->up, VSW_CTR_TX_QUEUE_FULL, 1);
		xp->kick_again = true;
		break;
	case EAGAIN: /* the kernel's budget per call, or a busy device */
	case ENOBUFS:
	case EINTR:
		xp->kick_again = true;
		break;
	default: /* ENETDOWN, ENXIO: descriptors stay on the ring until the device is up */
		break;
	}
}

/* Makes 'p' wire-ready: tag in the bytes, checksum filled in. False: drop it (counted). */
static bool
port_afxdp_prepare(struct port_afxdp *xp, struct pkt *p)
{
	if (p->flags & PKT_F_VLAN) {
		uint8_t *d = pkt_push(p, PORT_VLAN_HLEN);

		if (!d || p->len < PORT_ETH_HLEN + PORT_VLAN_HLEN) {
			port_count_ctr(&xp->up, VSW_CTR_TX_ERROR, 1);
			return false;
		}
		memmove(d, d + PORT_VLAN_HLEN, 12);
		d[12] = PORT_AFXDP_ETH_VLAN >> 8;
		d[13] = PORT_AFXDP_ETH_VLAN & 0xff;
		d[14] = (uint8_t)(p->vlan_tci >> 8);
		d[15] = (uint8_t)p->vlan_tci;
		p->flags &= (uint16_t)~PKT_F_VLAN;
	}
	if (p->gso_type != PKT_GSO_NONE || !port_frame_fits(&xp->up, p) ||
	    p->len > PORT_AFXDP_FRAME_BYTES) {
		port_count_ctr(&xp->up, VSW_CTR_TX_TOO_BIG, 1);
		return false;
	}
	if (p->flags & PKT_F_CSUM_BLANK)
		vsw_csum_complete(p);
	return true;
}

static unsigned int
port_afxdp_tx_burst(struct port *port, unsigned int qid, struct pkt_batch *batch)
{
	struct port_afxdp *xp = (struct port_afxdp *)port;
	unsigned int i, n = 0, room;
	uint32_t idx = 0;
	uint64_t bytes = 0;

	(void)qid;
	for (i = 0; i < batch->count; i++) {
		struct pkt *p = batch->pkts[i];

		if (port_afxdp_prepare(xp, p))
			batch->pkts[n++] = p;
		else
			pkt_free(p);
	}
	batch->count = n;
	port_afxdp_reclaim(xp);
	room = xsk_prod_nb_free(&xp->tx, n);
	if (room > n)
		room = n;
	if (room > xp->n_free)
		room = xp->n_free;
	if (room && xsk_ring_prod__reserve(&xp->tx, room, &idx) != room)
		room = 0;
	for (i = 0; i < room; i++) {
		const struct pkt *p = batch->pkts[i];
		struct xdp_desc *desc = xsk_ring_prod__tx_desc(&xp->tx, idx + i);

		desc->addr = xp->free_frames[--xp->n_free];
		desc->len = p->len;
		memcpy(xsk_umem__get_data(xp->umem_area, desc->addr), pkt_data(p), p->len);
		bytes += p->len;
	}
	if (room < n) {
		bool down = xp->kick_err == ENETDOWN || xp->kick_err == ENXIO;

		port_count_ctr(port, down ? VSW_CTR_TX_PORT_DOWN : VSW_CTR_TX_QUEUE_FULL, n - room);
	}
	pkt_free_bulk(batch->pkts, n);
	batch->count = 0;
	if (room) {
		xsk_ring_prod__submit(&xp->tx, room);
		port_count_tx(port, room, bytes);
	}
	/* Also when nothing fitted: what waits on a full ring (the device was down) must move. */
	if (n)
		port_afxdp_kick(xp);
	return room;
}

static int
port_afxdp_get_stats(const struct port *port, struct port_stats *stats)
{
	const struct port_afxdp *xp = (const struct port_afxdp *)port;
	struct xdp_statistics xs;
	socklen_t len = sizeof(xs);

	stats->rx_packets = vsw_counter_read(&port->stats.rx_packets);
	stats->rx_bytes = vsw_counter_read(&port->stats.rx_bytes);
	stats->tx_packets = vsw_counter_read(&port->stats.tx_packets);
	stats->tx_bytes = vsw_counter_read(&port->stats.tx_bytes);
	vsw_counters_read(&port->stats.ctrs, &stats->ctrs);
	xdpg_add_counters(xp->guard, &stats->ctrs);
	memset(&xs, 0, sizeof(xs));
	if (xp->fd < 0 || getsockopt(xp->fd, SOL_XDP, XDP_STATISTICS, &xs, &len) < 0)
		return 0;
	stats->ctrs.c[VSW_CTR_RX_FILL_EMPTY] += xs.rx_fill_ring_empty_descs;
	stats->ctrs.c[VSW_CTR_RX_QUEUE_FULL] += xs.rx_ring_full;
	/* rx_dropped also counts each frame lost to fill-ring starvation. */
	if (xs.rx_dropped > xs.rx_fill_ring_empty_descs)
		stats->ctrs.c[VSW_CTR_RX_TOO_BIG] += xs.rx_dropped - xs.rx_fill_ring_empty_descs;
	stats->ctrs.c[VSW_CTR_RX_ERROR] += xs.rx_invalid_descs;
	stats->ctrs.c[VSW_CTR_TX_ERROR] += xs.tx_invalid_descs;
	return 0;
}

static int
port_afxdp_get_etheraddr(const struct port *port, struct ether_addr *mac)
{
	*mac = ((const struct port_afxdp *)port)->mac;
	return 0;
}

static int
port_afxdp_wait_fd(const struct port *port)
{
	return ((const struct port_afxdp *)port)->fd;
}

static bool
port_afxdp_arm(struct port *port)
{
	struct port_afxdp *xp = (struct port_afxdp *)port;

	return xp->kick_again || xsk_cons_nb_avail(&xp->rx, 1) > 0;
}

static void
port_afxdp_poll(struct port *port)
{
	struct port_afxdp *xp = (struct port_afxdp *)port;

	port_afxdp_reclaim(xp);
	if (xp->kick_again)
		port_afxdp_kick(xp);
}

struct xdpg *
port_afxdp_guard(const struct port *port)
{
	if (port->cls != &port_afxdp_class)
		return NULL;
	return ((const struct port_afxdp *)port)->guard;
}

const char *
port_afxdp_mode(const struct port *port)
{
	const struct port_afxdp *xp = (const struct port_afxdp *)port;

	if (port->cls != &port_afxdp_class)
		return NULL;
	if (xp->xdp_flags == XDP_FLAGS_DRV_MODE)
		return xp->zerocopy ? "driver mode, zero-copy" : "driver mode, copy";
	return "generic mode, copy";
}

const struct port_class port_afxdp_class = {
	.type = "af_xdp",
	.port_size = sizeof(struct port_afxdp),
	.construct = port_afxdp_construct,
	.destruct = port_afxdp_destruct,
	.rx_burst = port_afxdp_rx_burst,
	.tx_burst = port_afxdp_tx_burst,
	.get_stats = port_afxdp_get_stats,
	.get_etheraddr = port_afxdp_get_etheraddr,
	.wait_fd = port_afxdp_wait_fd,
	.arm = port_afxdp_arm,
	.poll = port_afxdp_poll,
};

int
port_afxdp_register(void)
{
	int err = port_class_register(&port_afxdp_class);

	return err == -EEXIST && port_class_lookup("af_xdp") == &port_afxdp_class ? 0 : err;
}
