/* SPDX-License-Identifier: MIT */
/*
 * port-afpacket.c - the "af_packet" port class (see port-afpacket.h): a TPACKET_V3 RX ring
 * walked block by block, and sendmmsg() bursts for TX.
 */
#include "vswitch/port-afpacket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vswitch/csum.h"
#include "vswitch/xdpguard.h"

/* Frame slot size the kernel uses only to size the ring; V3 packs frames by their length. */
#define PORT_AFPACKET_FRAME_BYTES 2048
#define PORT_AFPACKET_ETH_VLAN	  0x8100

struct port_afpacket {
	struct port up; /* first: port.c allocates and frees the whole struct through it */
	int fd;
	int ifindex;
	char ifname[IFNAMSIZ];
	struct ether_addr mac;
	struct xdpg *guard; /* guard=1: the uplink guard attached to the interface */

	/* RX ring, owning worker only. */
	uint8_t *ring;
	size_t ring_size;
	unsigned int n_blocks;
	unsigned int cur_block; /* the block being walked or waited for */
	uint8_t *cur_pkt;	/* next frame header in cur_block; NULL: block not opened */
	uint32_t left;		/* frames of cur_block not yet walked */

	/* TX scratch, owning worker only. */
	struct mmsghdr msgs[PKT_BATCH_MAX];
	struct iovec iovs[PKT_BATCH_MAX];
	struct pkt *sending[PKT_BATCH_MAX];
};

static struct tpacket_block_desc *
port_afpacket_block(const struct port_afpacket *ap, unsigned int i)
{
	return (struct tpacket_block_desc *)(ap->ring + (size_t)i * PORT_AFPACKET_BLOCK_BYTES);
}

static bool
port_afpacket_block_ready(const struct port_afpacket *ap)
{
	const struct tpacket_block_desc *bd = port_afpacket_block(ap, ap->cur_block);

	return __atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER;
}

static void
port_afpacket_release_block(struct port_afpacket *ap)
{
	struct tpacket_block_desc *bd = port_afpacket_block(ap, ap->cur_block);

	/* Hands the block back: everything read from it must be done before the store. */
	__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	ap->cur_block = (ap->cur_block + 1) % ap->n_blocks;
	ap->cur_pkt = NULL;
	ap->left = 0;
}

static void
port_afpacket_destruct(struct port *port)
{
	struct port_afpacket *ap = (struct port_afpacket *)port;

	xdpg_close(ap->guard); /* first: the interface's frames go past XDP again */
	ap->guard = NULL;
	if (ap->ring && ap->ring != MAP_FAILED)
		munmap(ap->ring, ap->ring_size);
	ap->ring = NULL;
	if (ap->fd >= 0)
		close(ap->fd);
	ap->fd = -1;
}

static int
port_afpacket_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	return setsockopt(fd, level, name, val, len) < 0 ? -errno : 0;
}

static int
port_afpacket_ifinfo(struct port_afpacket *ap)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ap->ifname, IFNAMSIZ);
	if (ioctl(ap->fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		return -EINVAL;
	memcpy(ap->mac.ether_addr_octet, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ap->ifname, IFNAMSIZ);
	if (ioctl(ap->fd, SIOCGIFMTU, &ifr) < 0)
		return -errno;
	if (ifr.ifr_mtu < PORT_MTU_MIN)
		ap->up.mtu = PORT_MTU_MIN;
	else if (ifr.ifr_mtu > PORT_MTU_MAX)
		ap->up.mtu = PORT_MTU_MAX;
	else
		ap->up.mtu = (unsigned int)ifr.ifr_mtu;
	return 0;
}

static int
port_afpacket_setup(struct port_afpacket *ap)
{
	struct tpacket_req3 req;
	struct sockaddr_ll sll;
	struct packet_mreq mr;
	int one = 1, version = TPACKET_V3;
	int err;

	/* Protocol 0: nothing is queued before the ring exists; bind() starts reception. */
	ap->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ap->fd < 0)
		return -errno;
	err = port_afpacket_ifinfo(ap);
	if (err)
		return err;
	err = port_afpacket_setsockopt(ap->fd, SOL_PACKET, PACKET_VERSION, &version,
				       sizeof(version));
	if (err)
		return err;
	memset(&req, 0, sizeof(req));
	req.tp_block_size = PORT_AFPACKET_BLOCK_BYTES;
	req.tp_block_nr = ap->n_blocks;
	req.tp_frame_size = PORT_AFPACKET_FRAME_BYTES;
	req.tp_frame_nr = PORT_AFPACKET_BLOCK_BYTES / PORT_AFPACKET_FRAME_BYTES * ap->n_blocks;
	req.tp_retire_blk_tov = PORT_AFPACKET_RETIRE_MS;
	err = port_afpacket_setsockopt(ap->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req));
	if (err)
		return err;
	ap->ring_size = (size_t)PORT_AFPACKET_BLOCK_BYTES * ap->n_blocks;
	ap->ring = mmap(NULL, ap->ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, ap->fd, 0);
	if (ap->ring == MAP_FAILED) {
		ap->ring = NULL;
		return -errno;
	}
	/* The ring carries the stripped VLAN tag in its headers; auxdata gives recvmsg() the
	 * same, so tools reading this socket another way see it too. */
	err = port_afpacket_setsockopt(ap->fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one));
	if (!err)
		err = port_afpacket_setsockopt(ap->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
					       sizeof(one));
	if (err)
		return err;
	/* Kernels before 4.20 lack it; the pkttype check in rx_burst covers them. */
	port_afpacket_setsockopt(ap->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ap->ifindex;
	if (bind(ap->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = ap->ifindex;
	mr.mr_type = PACKET_MR_PROMISC;
	return port_afpacket_setsockopt(ap->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));
}

static int
port_afpacket_construct(struct port *port, const char *args)
{
	static const char *const keys[] = { "ifname", "blocks", "guard", NULL };
	struct port_afpacket *ap = (struct port_afpacket *)port;
	unsigned int blocks = PORT_AFPACKET_BLOCKS_DEFAULT, guard = 0;
	int err;

	ap->fd = -1;
	if (port_args_check(args, keys))
		return -EINVAL;
	err = port_args_get(args, "ifname", ap->ifname, sizeof(ap->ifname));
	if (err)
		return err == -ENOENT || err == -E2BIG ? -EINVAL : err;
	if (!ap->ifname[0])
		return -EINVAL;
	err = port_args_get_uint(args, "blocks", PORT_AFPACKET_BLOCKS_MIN, PORT_AFPACKET_BLOCKS_MAX,
				 &blocks);
	if (err && err != -ENOENT)
		return err;
	ap->n_blocks = blocks;
	err = port_args_get_uint(args, "guard", 0, 1, &guard);
	if (err && err != -ENOENT)
		return err;
	ap->ifindex = (int)if_nametoindex(ap->ifname);
	if (ap->ifindex == 0)
		return -ENODEV;
	err = port_afpacket_setup(ap);
	if (!err && guard) {
		err = xdpg_open(NULL, &ap->guard);
		if (!err)
			err = xdpg_attach(ap->guard, ap->ifindex);
	}
	if (err)
		port_afpacket_destruct(port);
	return err;
}

/* Copies one ring frame into a packet, putting a stripped VLAN tag back. */
static struct pkt *
port_afpacket_take(struct port_afpacket *ap, const struct tpacket3_hdr *h, struct pkt_pool *pool)
{
	const uint8_t *data = (const uint8_t *)h + h->tp_mac;
	bool vlan = (h->tp_status & TP_STATUS_VLAN_VALID) && h->tp_snaplen >= 12;
	uint32_t len = h->tp_snaplen + (vlan ? PORT_VLAN_HLEN : 0);
	struct pkt *p;
	uint8_t *d;

	if (h->tp_snaplen < h->tp_len ||
	    (uint64_t)h->tp_mac + h->tp_snaplen > PORT_AFPACKET_BLOCK_BYTES) {
		port_count_ctr(&ap->up, VSW_CTR_RX_TOO_BIG, 1);
		return NULL;
	}
	p = pkt_alloc(pool);
	if (!p) {
		port_count_ctr(&ap->up, VSW_CTR_RX_NOBUF, 1);
		return NULL;
	}
	d = pkt_put(p, len);
	if (!d) {
		pkt_free(p);
		port_count_ctr(&ap->up, VSW_CTR_RX_TOO_BIG, 1);
		return NULL;
	}
	if (vlan) {
		uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) && h->hv1.tp_vlan_tpid
					? h->hv1.tp_vlan_tpid
					: PORT_AFPACKET_ETH_VLAN;
		uint16_t tci = (uint16_t)h->hv1.tp_vlan_tci;

		memcpy(d, data, 12);
		d[12] = (uint8_t)(tpid >> 8);
		d[13] = (uint8_t)tpid;
		d[14] = (uint8_t)(tci >> 8);
		d[15] = (uint8_t)tci;
		memcpy(d + 16, data + 12, h->tp_snaplen - 12);
	} else {
		memcpy(d, data, h->tp_snaplen);
	}
	if (!port_frame_fits(&ap->up, p)) {
		pkt_free(p);
		port_count_ctr(&ap->up, VSW_CTR_RX_TOO_BIG, 1);
		return NULL;
	}
	if (h->tp_status & TP_STATUS_CSUMNOTREADY)
		vsw_csum_complete(p);
	else if (h->tp_status & TP_STATUS_CSUM_VALID)
		p->flags |= PKT_F_DATA_VALIDATED;
	p->in_port = ap->up.index;
	return p;
}

static unsigned int
port_afpacket_rx_burst(struct port *port, unsigned int qid, struct pkt_pool *pool,
		       struct pkt_batch *batch)
{
	struct port_afpacket *ap = (struct port_afpacket *)port;
	unsigned int n = 0;
	uint64_t bytes = 0;

	(void)qid;
	while (!pkt_batch_is_full(batch)) {
		const struct tpacket3_hdr *h;
		const struct sockaddr_ll *sll;
		struct pkt *p;

		if (!ap->cur_pkt) {
			struct tpacket_block_desc *bd;

			if (!port_afpacket_block_ready(ap))
				break;
			bd = port_afpacket_block(ap, ap->cur_block);
			ap->left = bd->hdr.bh1.num_pkts;
			if (ap->left == 0 ||
			    bd->hdr.bh1.offset_to_first_pkt >= PORT_AFPACKET_BLOCK_BYTES) {
				port_afpacket_release_block(ap);
				continue;
			}
			ap->cur_pkt = (uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
		}
		h = (const struct tpacket3_hdr *)ap->cur_pkt;
		sll = (const struct sockaddr_ll *)(ap->cur_pkt +
						   TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
		if (sll->sll_pkttype != PACKET_OUTGOING) {
			p = port_afpacket_take(ap, h, pool);
			if (p) {
				batch->pkts[batch->count++] = p;
				bytes += p->len;
				n++;
			}
		}
		if (--ap->left == 0 || h->tp_next_offset == 0 ||
		    (size_t)(ap->cur_pkt - (uint8_t *)port_afpacket_block(ap, ap->cur_block)) +
				    h->tp_next_offset >=
			    PORT_AFPACKET_BLOCK_BYTES)
			port_afpacket_release_block(ap);
		else
			ap->cur_pkt += h->tp_next_offset;
	}
	if (n)
		port_count_rx(port, n, bytes);
	return n;
}

/* Makes 'p' wire-ready: tag in the bytes, checksum filled in. False: drop it. */
static bool
port_afpacket_prepare(struct port_afpacket *ap, struct pkt *p)
{
	if (p->flags & PKT_F_VLAN) {
		uint8_t *d = pkt_push(p, PORT_VLAN_HLEN);

		if (!d || p->len < PORT_ETH_HLEN + PORT_VLAN_HLEN) {
			port_count_ctr(&ap->up, VSW_CTR_TX_ERROR, 1);
			return false;
		}
		memmove(d, d + PORT_VLAN_HLEN, 12);
		d[12] = PORT_AFPACKET_ETH_VLAN >> 8;
		d[13] = PORT_AFPACKET_ETH_VLAN & 0xff;
		d[14] = (uint8_t)(p->vlan_tci >> 8);
		d[15] = (uint8_t)p->vlan_tci;
		p->flags &= (uint16_t)~PKT_F_VLAN;
	}
	if (p->gso_type != PKT_GSO_NONE || !port_frame_fits(&ap->up, p)) {
		port_count_ctr(&ap->up, VSW_CTR_TX_TOO_BIG, 1);
		return false;
	}
	if (p->flags & PKT_F_CSUM_BLANK)
		vsw_csum_complete(p);
	return true;
}

static enum vsw_counter
port_afpacket_tx_ctr(int err)
{
	switch (err) {
	case EAGAIN:
	case ENOBUFS:
	case ENOMEM:
		return VSW_CTR_TX_QUEUE_FULL;
	case ENETDOWN:
	case ENXIO:
		return VSW_CTR_TX_PORT_DOWN;
	default:
		return VSW_CTR_TX_ERROR;
	}
}

static unsigned int
port_afpacket_tx_burst(struct port *port, unsigned int qid, struct pkt_batch *batch)
{
	struct port_afpacket *ap = (struct port_afpacket *)port;
	unsigned int i, n = 0, done = 0, sent = 0;
	uint64_t bytes = 0;

	(void)qid;
	for (i = 0; i < batch->count; i++) {
		struct pkt *p = batch->pkts[i];

		if (!port_afpacket_prepare(ap, p)) {
			pkt_free(p);
			continue;
		}
		ap->sending[n] = p;
		ap->iovs[n].iov_base = pkt_data(p);
		ap->iovs[n].iov_len = p->len;
		memset(&ap->msgs[n], 0, sizeof(ap->msgs[n]));
		ap->msgs[n].msg_hdr.msg_iov = &ap->iovs[n];
		ap->msgs[n].msg_hdr.msg_iovlen = 1;
		n++;
	}
	batch->count = 0;
	while (done < n) {
		int r = sendmmsg(ap->fd, &ap->msgs[done], n - done, MSG_DONTWAIT);

		if (r > 0) {
			for (int k = 0; k < r; k++)
				bytes += ap->sending[done + (unsigned int)k]->len;
			sent += (unsigned int)r;
			done += (unsigned int)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		{
			enum vsw_counter why = port_afpacket_tx_ctr(r < 0 ? errno : EAGAIN);

			/* A full queue or a down device stays so for the rest of the burst; any
			 * other error belongs to one frame, so skip it and go on. */
			if (why == VSW_CTR_TX_ERROR) {
				port_count_ctr(port, why, 1);
				done++;
			} else {
				port_count_ctr(port, why, n - done);
				done = n;
			}
		}
	}
	pkt_free_bulk(ap->sending, n);
	if (sent)
		port_count_tx(port, sent, bytes);
	return sent;
}

static int
port_afpacket_get_stats(const struct port *port, struct port_stats *stats)
{
	const struct port_afpacket *ap = (const struct port_afpacket *)port;

	stats->rx_packets = vsw_counter_read(&port->stats.rx_packets);
	stats->rx_bytes = vsw_counter_read(&port->stats.rx_bytes);
	stats->tx_packets = vsw_counter_read(&port->stats.tx_packets);
	stats->tx_bytes = vsw_counter_read(&port->stats.tx_bytes);
	vsw_counters_read(&port->stats.ctrs, &stats->ctrs);
	xdpg_add_counters(ap->guard, &stats->ctrs);
	return 0;
}

struct xdpg *
port_afpacket_guard(const struct port *port)
{
	if (port->cls != &port_afpacket_class)
		return NULL;
	return ((const struct port_afpacket *)port)->guard;
}

static int
port_afpacket_get_etheraddr(const struct port *port, struct ether_addr *mac)
{
	*mac = ((const struct port_afpacket *)port)->mac;
	return 0;
}

static int
port_afpacket_wait_fd(const struct port *port)
{
	return ((const struct port_afpacket *)port)->fd;
}

static bool
port_afpacket_arm(struct port *port)
{
	const struct port_afpacket *ap = (const struct port_afpacket *)port;

	return ap->cur_pkt != NULL || port_afpacket_block_ready(ap);
}

const struct port_class port_afpacket_class = {
	.type = "af_packet",
	.port_size = sizeof(struct port_afpacket),
	.construct = port_afpacket_construct,
	.destruct = port_afpacket_destruct,
	.rx_burst = port_afpacket_rx_burst,
	.tx_burst = port_afpacket_tx_burst,
	.get_stats = port_afpacket_get_stats,
	.get_etheraddr = port_afpacket_get_etheraddr,
	.wait_fd = port_afpacket_wait_fd,
	.arm = port_afpacket_arm,
};

int
port_afpacket_register(void)
{
	int err = port_class_register(&port_afpacket_class);

	return err == -EEXIST && port_class_lookup("af_packet") == &port_afpacket_class ? 0 : err;
}
