/* SPDX-License-Identifier: MIT */
/*
 * port-tap.c - the "tap" port class (see port-tap.h): one non-blocking /dev/net/tun queue
 * per port for the frames, one datagram socket for the SIOC* interface ioctls, and the
 * virtio_net_hdr codec that carries checksum and GSO state across the fd.
 */
#include "vswitch/port-tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vswitch/csum.h"

#define PORT_TAP_DEV	      "/dev/net/tun"
#define PORT_TAP_VNET_HDR_LEN ((int)sizeof(struct virtio_net_hdr))
#define PORT_TAP_OFFLOADS     (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)
/* Bytes read to take a frame off the device when there is no buffer for it. */
#define PORT_TAP_DISCARD_BYTES 64

#define PORT_TAP_ETH_VLAN  0x8100
#define PORT_TAP_ETH_QINQ  0x88a8
#define PORT_TAP_PROTO_TCP 6

/* A vnet header the switch cannot represent; a write refused for another reason than a full
 * queue or a device that is down. */
#define PORT_TAP_CTR_RX_BAD_HDR VSW_CTR_RX_BAD_VNET_HDR
#define PORT_TAP_CTR_TX_ERROR	VSW_CTR_TX_ERROR

struct port_tap {
	struct port up;	       /* first: port.c allocates and frees the whole struct through it */
	int fd;		       /* the TAP queue, O_NONBLOCK */
	int ctl_fd;	       /* AF_INET datagram socket in the device's namespace, for SIOC* */
	bool vnet_hdr;	       /* every read and write starts with a struct virtio_net_hdr */
	char ifname[IFNAMSIZ]; /* the device, as given by ifname= */
};

static uint16_t
port_tap_be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

int
port_tap_vnet_to_pkt(const struct virtio_net_hdr *h, struct pkt *p)
{
	const uint8_t known_flags = VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID;
	uint8_t gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	uint8_t *d = pkt_data(p);
	struct vsw_l4 l4;
	bool blank = false;
	uint32_t start = 0, field = 0;

	if (h->flags & ~known_flags)
		return -EINVAL;
	if (gso != VIRTIO_NET_HDR_GSO_NONE && gso != VIRTIO_NET_HDR_GSO_TCPV4 &&
	    gso != VIRTIO_NET_HDR_GSO_TCPV6)
		return -EINVAL;
	if (gso == VIRTIO_NET_HDR_GSO_NONE && h->gso_type != gso)
		return -EINVAL;
	if (gso != VIRTIO_NET_HDR_GSO_NONE &&
	    (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || h->gso_size == 0))
		return -EINVAL;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		start = h->csum_start;
		field = start + h->csum_offset;
		if (field + 2 > p->len)
			return -EINVAL;
		/* The switch keeps no checksum position: CSUM_BLANK is only right where every
		 * later consumer's own parse lands on the same field. */
		blank = vsw_csum_l4_locate(d, p->len, &l4) == 0 && l4.l4_off == start &&
			l4.csum_off == field;
		if (gso != VIRTIO_NET_HDR_GSO_NONE &&
		    (!blank || l4.proto != PORT_TAP_PROTO_TCP ||
		     l4.ipv6 != (gso == VIRTIO_NET_HDR_GSO_TCPV6)))
			return -EINVAL;
	}

	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (blank) {
			p->flags |= PKT_F_CSUM_BLANK;
		} else {
			uint16_t c = vsw_csum_fold(vsw_csum_partial(d + start, p->len - start, 0));

			/* As skb_checksum_help(): a zero result is sent as all ones. */
			if (c == 0)
				c = 0xffff;
			d[field] = (uint8_t)(c >> 8);
			d[field + 1] = (uint8_t)c;
			p->flags |= PKT_F_DATA_VALIDATED;
		}
	}
	if (h->flags & VIRTIO_NET_HDR_F_DATA_VALID)
		p->flags |= PKT_F_DATA_VALIDATED;
	if (gso != VIRTIO_NET_HDR_GSO_NONE) {
		p->gso_type = gso == VIRTIO_NET_HDR_GSO_TCPV4 ? PKT_GSO_TCPV4 : PKT_GSO_TCPV6;
		p->gso_size = h->gso_size;
	}
	return 0;
}

int
port_tap_vnet_from_pkt(struct pkt *p, struct virtio_net_hdr *h)
{
	uint8_t *d = pkt_data(p);
	struct vsw_l4 l4;

	memset(h, 0, sizeof(*h));
	if (p->gso_type != PKT_GSO_NONE &&
	    ((p->gso_type != PKT_GSO_TCPV4 && p->gso_type != PKT_GSO_TCPV6) || p->gso_size == 0))
		return -EINVAL;
	if (!(p->flags & PKT_F_CSUM_BLANK) && p->gso_type == PKT_GSO_NONE) {
		if (p->flags & PKT_F_DATA_VALIDATED)
			h->flags = VIRTIO_NET_HDR_F_DATA_VALID;
		return 0;
	}
	/* A partial checksum carries the pseudo-header sum; guests that leave the field blank
	 * (netif allows it) would otherwise get a wrong checksum from the kernel. */
	if (vsw_csum_prepare_partial(d, p->len, &l4))
		return p->gso_type == PKT_GSO_NONE ? 0 : -EINVAL;
	if (p->gso_type != PKT_GSO_NONE) {
		uint32_t doff;

		if (l4.proto != PORT_TAP_PROTO_TCP || l4.ipv6 != (p->gso_type == PKT_GSO_TCPV6))
			return -EINVAL;
		doff = (uint32_t)(d[l4.l4_off + 12] >> 4) * 4;
		if (doff < 20 || doff > l4.l4_len)
			return -EINVAL;
		h->gso_type = p->gso_type == PKT_GSO_TCPV4 ? VIRTIO_NET_HDR_GSO_TCPV4
							   : VIRTIO_NET_HDR_GSO_TCPV6;
		h->gso_size = p->gso_size;
		h->hdr_len = (uint16_t)(l4.l4_off + doff);
	}
	/* The kernel sums to the end of the frame, so Ethernet padding would be summed too. */
	p->len = l4.l4_off + l4.l4_len;
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = (uint16_t)l4.l4_off;
	h->csum_offset = (uint16_t)(l4.csum_off - l4.l4_off);
	return 0;
}

static int
port_tap_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Strict "xx:xx:xx:xx:xx:xx"; a port MAC must be unicast and not zero. */
static int
port_tap_parse_mac(const char *s, struct ether_addr *mac)
{
	static const uint8_t zero[ETH_ALEN];

	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < ETH_ALEN; i++) {
		int hi = port_tap_hex(s[3 * i]);
		int lo = port_tap_hex(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < ETH_ALEN - 1 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac->ether_addr_octet[i] = (uint8_t)(hi << 4 | lo);
	}
	if ((mac->ether_addr_octet[0] & 1) || !memcmp(mac->ether_addr_octet, zero, ETH_ALEN))
		return -EINVAL;
	return 0;
}

/* What the kernel's dev_valid_name() takes, less '%' (a name template). */
static bool
port_tap_ifname_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= ' ' || c >= 0x7f || c == '/' || c == ':' || c == '%')
			return false;
	}
	return true;
}

static int
port_tap_ifreq(const struct port_tap *tp, unsigned long req, struct ifreq *ifr)
{
	memcpy(ifr->ifr_name, tp->ifname, IFNAMSIZ);
	return ioctl(tp->ctl_fd, req, ifr) < 0 ? -errno : 0;
}

static int
port_tap_set_mac(const struct port_tap *tp, const struct ether_addr *mac)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac->ether_addr_octet, ETH_ALEN);
	return port_tap_ifreq(tp, SIOCSIFHWADDR, &ifr);
}

static int
port_tap_set_dev_mtu(const struct port_tap *tp, unsigned int mtu)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_mtu = (int)mtu;
	return port_tap_ifreq(tp, SIOCSIFMTU, &ifr);
}

static int
port_tap_get_dev_mtu(const struct port_tap *tp, unsigned int *mtu)
{
	struct ifreq ifr;
	int err;

	memset(&ifr, 0, sizeof(ifr));
	err = port_tap_ifreq(tp, SIOCGIFMTU, &ifr);
	if (err)
		return err;
	/* A persistent device may carry an MTU the port range does not cover. */
	if (ifr.ifr_mtu < PORT_MTU_MIN)
		*mtu = PORT_MTU_MIN;
	else if (ifr.ifr_mtu > PORT_MTU_MAX)
		*mtu = PORT_MTU_MAX;
	else
		*mtu = (unsigned int)ifr.ifr_mtu;
	return 0;
}

static int
port_tap_set_up(const struct port_tap *tp)
{
	struct ifreq ifr;
	int err;

	memset(&ifr, 0, sizeof(ifr));
	err = port_tap_ifreq(tp, SIOCGIFFLAGS, &ifr);
	if (err || (ifr.ifr_flags & IFF_UP))
		return err;
	ifr.ifr_flags |= IFF_UP;
	return port_tap_ifreq(tp, SIOCSIFFLAGS, &ifr);
}

static int
port_tap_open_dev(struct port_tap *tp)
{
	unsigned int offloads = tp->vnet_hdr ? PORT_TAP_OFFLOADS : 0;
	int hdr_len = PORT_TAP_VNET_HDR_LEN;
	struct ifreq ifr;

	tp->fd = open(PORT_TAP_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (tp->fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, tp->ifname, IFNAMSIZ);
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | (tp->vnet_hdr ? IFF_VNET_HDR : 0));
	if (ioctl(tp->fd, TUNSETIFF, &ifr) < 0)
		return -errno;
	if (tp->vnet_hdr && ioctl(tp->fd, TUNSETVNETHDRSZ, &hdr_len) < 0)
		return -errno;
	/* Offloads belong to the device and outlive the fd: a persistent device last used
	 * with a vnet header would otherwise hand a plain reader unfinished checksums. */
	if (ioctl(tp->fd, TUNSETOFFLOAD, offloads) < 0)
		return -errno;
	return 0;
}

static void
port_tap_close_fds(struct port_tap *tp)
{
	if (tp->fd >= 0)
		close(tp->fd);
	if (tp->ctl_fd >= 0)
		close(tp->ctl_fd);
	tp->fd = -1;
	tp->ctl_fd = -1;
}

static int
port_tap_construct(struct port *port, const char *args)
{
	static const char *const keys[] = { "ifname", "mtu", "mac", "vnet_hdr", NULL };
	struct port_tap *tp = (struct port_tap *)port;
	struct ether_addr mac;
	unsigned int mtu = 0, vnet = 0;
	bool has_mtu, has_mac;
	char val[18];
	int err;

	tp->fd = -1;
	tp->ctl_fd = -1;
	if (port_args_check(args, keys))
		return -EINVAL;
	if (port_args_get(args, "ifname", tp->ifname, sizeof(tp->ifname)) ||
	    !port_tap_ifname_valid(tp->ifname))
		return -EINVAL;
	err = port_args_get_uint(args, "mtu", PORT_MTU_MIN, PORT_MTU_MAX, &mtu);
	if (err && err != -ENOENT)
		return -EINVAL;
	has_mtu = err == 0;
	err = port_args_get(args, "mac", val, sizeof(val));
	if (err && err != -ENOENT)
		return -EINVAL;
	has_mac = err == 0;
	if (has_mac && port_tap_parse_mac(val, &mac))
		return -EINVAL;
	err = port_args_get_uint(args, "vnet_hdr", 0, 1, &vnet);
	if (err && err != -ENOENT)
		return -EINVAL;
	tp->vnet_hdr = vnet == 1;
	if (tp->vnet_hdr)
		tp->up.offloads = PORT_OFF_CSUM4 | PORT_OFF_CSUM6 | PORT_OFF_TSO4 | PORT_OFF_TSO6;

	err = port_tap_open_dev(tp);
	if (err)
		goto err_close;
	/* Opened now so later ioctls reach the device's namespace whichever namespace the
	 * control thread is in by then. */
	tp->ctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (tp->ctl_fd < 0) {
		err = -errno;
		goto err_close;
	}
	if (has_mac && (err = port_tap_set_mac(tp, &mac)))
		goto err_close;
	if (has_mtu)
		err = port_tap_set_dev_mtu(tp, mtu);
	else
		err = port_tap_get_dev_mtu(tp, &mtu);
	if (err)
		goto err_close;
	port->mtu = mtu;
	err = port_tap_set_up(tp);
	if (err)
		goto err_close;
	return 0;

err_close:
	port_tap_close_fds(tp);
	return err;
}

static void
port_tap_destruct(struct port *port)
{
	port_tap_close_fds((struct port_tap *)port);
}

/* Takes one frame off the device into a scratch buffer; > 0 if there was one. */
static ssize_t
port_tap_discard(const struct port_tap *tp)
{
	uint8_t scratch[PORT_TAP_VNET_HDR_LEN + PORT_TAP_DISCARD_BYTES];

	return read(tp->fd, scratch, sizeof(scratch));
}

static unsigned int
port_tap_rx_burst(struct port *port, unsigned int qid, struct pkt_pool *pool,
		  struct pkt_batch *batch)
{
	struct port_tap *tp = (struct port_tap *)port;
	unsigned int room = pkt_batch_room(batch);
	unsigned int n_rx = 0;
	uint64_t bytes = 0;

	(void)qid;
	/* Each pass takes one frame off the device, kept or dropped: the work is bounded by
	 * the batch room even when every frame is dropped. */
	for (unsigned int i = 0; i < room; i++) {
		struct virtio_net_hdr h;
		struct iovec iov[3];
		uint8_t overflow;
		struct pkt *p;
		uint32_t size;
		ssize_t r;
		int n_iov = 0;

		p = pkt_alloc(pool);
		if (!p) {
			if (port_tap_discard(tp) <= 0)
				break;
			port_count_ctr(port, VSW_CTR_RX_NOBUF, 1);
			continue;
		}
		size = pkt_tailroom(p);
		if (tp->vnet_hdr) {
			iov[n_iov].iov_base = &h;
			iov[n_iov++].iov_len = sizeof(h);
		}
		iov[n_iov].iov_base = pkt_data(p);
		iov[n_iov++].iov_len = size;
		/* The device cuts a frame to the room it is given and says nothing: a byte
		 * landing here means the frame did not fit. */
		iov[n_iov].iov_base = &overflow;
		iov[n_iov++].iov_len = sizeof(overflow);
		r = readv(tp->fd, iov, n_iov);
		if (r < 0) {
			pkt_free(p);
			break;
		}
		if (tp->vnet_hdr) {
			if (r < PORT_TAP_VNET_HDR_LEN) {
				port_count_ctr(port, PORT_TAP_CTR_RX_BAD_HDR, 1);
				pkt_free(p);
				continue;
			}
			r -= PORT_TAP_VNET_HDR_LEN;
		}
		if ((uint64_t)r > size) {
			port_count_ctr(port, VSW_CTR_RX_TOO_BIG, 1);
			pkt_free(p);
			continue;
		}
		p->len = (uint32_t)r;
		if (p->len < PORT_ETH_HLEN) {
			port_count_ctr(port, VSW_CTR_RX_RUNT, 1);
			pkt_free(p);
			continue;
		}
		if (tp->vnet_hdr && port_tap_vnet_to_pkt(&h, p)) {
			port_count_ctr(port, PORT_TAP_CTR_RX_BAD_HDR, 1);
			pkt_free(p);
			continue;
		}
		if (!port_frame_fits(port, p)) {
			port_count_ctr(port, VSW_CTR_RX_TOO_BIG, 1);
			pkt_free(p);
			continue;
		}
		p->in_port = port->index;
		bytes += p->len;
		batch->pkts[batch->count++] = p;
		n_rx++;
	}
	port_count_rx(port, n_rx, bytes);
	return n_rx;
}

/* Moves an out-of-band tag into the frame bytes: a TAP carries only what is in the frame. */
static int
port_tap_vlan_insert(struct pkt *p)
{
	uint8_t *d;

	if (p->len < 2 * ETH_ALEN)
		return -EINVAL;
	d = pkt_push(p, PORT_VLAN_HLEN);
	if (!d)
		return -ENOSPC;
	memmove(d, d + PORT_VLAN_HLEN, 2 * ETH_ALEN);
	d[12] = PORT_TAP_ETH_VLAN >> 8;
	d[13] = PORT_TAP_ETH_VLAN & 0xff;
	d[14] = (uint8_t)(p->vlan_tci >> 8);
	d[15] = (uint8_t)p->vlan_tci;
	p->flags &= (uint16_t)~PKT_F_VLAN;
	return 0;
}

/* port_frame_fits() without its GSO allowance, for a device that cannot segment. */
static bool
port_tap_fits_mtu(const struct port *port, const struct pkt *p)
{
	uint32_t max = port->mtu + PORT_ETH_HLEN;

	if (p->len >= PORT_ETH_HLEN + PORT_VLAN_HLEN) {
		uint16_t type = port_tap_be16(pkt_data(p) + 12);

		if (type == PORT_TAP_ETH_VLAN || type == PORT_TAP_ETH_QINQ)
			max += PORT_VLAN_HLEN;
	}
	return p->len <= max;
}

static enum vsw_counter
port_tap_tx_errno_ctr(int err)
{
	switch (err) {
	case EAGAIN:
	case ENOBUFS:
	case ENOMEM:
		return VSW_CTR_TX_QUEUE_FULL;
	case EIO:
	case ENXIO:
	case EBADFD:
	case ENETDOWN:
		return VSW_CTR_TX_PORT_DOWN;
	default:
		return PORT_TAP_CTR_TX_ERROR;
	}
}

/* Sends one frame; 0, or the counter that its drop goes to. */
static int
port_tap_tx_one(struct port_tap *tp, struct pkt *p, enum vsw_counter *ctr)
{
	struct virtio_net_hdr h;
	struct iovec iov[2];
	int n_iov = 0;

	if ((p->flags & PKT_F_VLAN) && port_tap_vlan_insert(p)) {
		*ctr = PORT_TAP_CTR_TX_ERROR;
		return -1;
	}
	if (!port_frame_fits(&tp->up, p) || (!tp->vnet_hdr && !port_tap_fits_mtu(&tp->up, p))) {
		*ctr = VSW_CTR_TX_TOO_BIG;
		return -1;
	}
	if (tp->vnet_hdr) {
		/* Only a GSO frame fails here, and unsegmented it is over the MTU. */
		if (port_tap_vnet_from_pkt(p, &h)) {
			*ctr = VSW_CTR_TX_TOO_BIG;
			return -1;
		}
		iov[n_iov].iov_base = &h;
		iov[n_iov++].iov_len = sizeof(h);
	} else if (p->flags & PKT_F_CSUM_BLANK) {
		/* Nobody downstream of a plain TAP fills it in; a frame the parser does not
		 * know has no TCP/UDP checksum to fill and goes as it is. */
		vsw_csum_complete(p);
	}
	iov[n_iov].iov_base = pkt_data(p);
	iov[n_iov++].iov_len = p->len;
	if (writev(tp->fd, iov, n_iov) < 0) {
		*ctr = port_tap_tx_errno_ctr(errno);
		return -1;
	}
	return 0;
}

static unsigned int
port_tap_tx_burst(struct port *port, unsigned int qid, struct pkt_batch *batch)
{
	struct port_tap *tp = (struct port_tap *)port;
	unsigned int n_sent = 0;
	uint64_t bytes = 0;

	(void)qid;
	for (unsigned int i = 0; i < batch->count; i++) {
		struct pkt *p = batch->pkts[i];
		enum vsw_counter ctr;

		if (port_tap_tx_one(tp, p, &ctr) == 0) {
			n_sent++;
			bytes += p->len;
		} else {
			port_count_ctr(port, ctr, 1);
		}
		pkt_free(p);
	}
	batch->count = 0;
	port_count_tx(port, n_sent, bytes);
	return n_sent;
}

static int
port_tap_set_mtu(struct port *port, unsigned int mtu)
{
	return port_tap_set_dev_mtu((struct port_tap *)port, mtu);
}

static int
port_tap_get_etheraddr(const struct port *port, struct ether_addr *mac)
{
	struct ifreq ifr;
	int err;

	memset(&ifr, 0, sizeof(ifr));
	err = port_tap_ifreq((const struct port_tap *)port, SIOCGIFHWADDR, &ifr);
	if (err)
		return err;
	memcpy(mac->ether_addr_octet, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	return 0;
}

static int
port_tap_wait_fd(const struct port *port)
{
	return ((const struct port_tap *)port)->fd;
}

/* A TAP fd is level-triggered: poll() sees queued frames without re-arming anything. */
static bool
port_tap_arm(struct port *port)
{
	(void)port;
	return false;
}

const struct port_class port_tap_class = {
	.type = "tap",
	.port_size = sizeof(struct port_tap),
	.construct = port_tap_construct,
	.destruct = port_tap_destruct,
	.rx_burst = port_tap_rx_burst,
	.tx_burst = port_tap_tx_burst,
	.set_mtu = port_tap_set_mtu,
	.get_etheraddr = port_tap_get_etheraddr,
	.wait_fd = port_tap_wait_fd,
	.arm = port_tap_arm,
	.poll = NULL,
};

int
port_tap_register(void)
{
	int err = port_class_register(&port_tap_class);

	if (err == -EEXIST && port_class_lookup("tap") == &port_tap_class)
		return 0;
	return err;
}
