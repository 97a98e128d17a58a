/* SPDX-License-Identifier: MIT */
/*
 * krt.c - reading dom0's main routing table through rtnetlink (libmnl): a dump request per
 * family, then the route notification groups, all on one non-blocking socket (see krt.h).
 */
#include "route/krt.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* Receive buffer: the size libmnl recommends for dumps (MNL_SOCKET_DUMP_SIZE), so one
 * datagram of a dump is never cut. */
#define KRT_RX_BUF 32768

struct fib_krt {
	struct mnl_socket *nl;
	char rx[KRT_RX_BUF];
	unsigned int seq;
	bool dump_pending; /* a dump to ask for once the previous one is read */
	bool dumping;
	unsigned int stage; /* 1: IPv4 dump in progress, 2: IPv6 */
};

int
fib_krt_open(struct fib_krt **krtp)
{
	struct fib_krt *krt = calloc(1, sizeof(*krt));
	unsigned int groups = (1u << (RTNLGRP_IPV4_ROUTE - 1)) | (1u << (RTNLGRP_IPV6_ROUTE - 1));
	int err;

	if (!krt)
		return -ENOMEM;
	krt->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!krt->nl) {
		err = -errno;
		free(krt);
		return err;
	}
	if (mnl_socket_bind(krt->nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(krt->nl);
		free(krt);
		return err;
	}
	krt->seq = (unsigned int)time(NULL);
	*krtp = krt;
	return fib_krt_dump(krt) < 0 ? (fib_krt_close(krt), -EIO) : 0;
}

void
fib_krt_close(struct fib_krt *krt)
{
	if (!krt)
		return;
	mnl_socket_close(krt->nl);
	free(krt);
}

static int
krt_request(struct fib_krt *krt, int family)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++krt->seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	if (mnl_socket_sendto(krt->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

int
fib_krt_dump(struct fib_krt *krt)
{
	/* The kernel serves one dump per socket at a time: the IPv6 one is asked for when
	 * the IPv4 one is done (NLMSG_DONE in fib_krt_poll). */
	if (krt->dumping) {
		krt->dump_pending = true;
		return 0;
	}
	krt->dumping = true;
	krt->stage = 1;
	return krt_request(krt, AF_INET);
}

struct krt_attrs {
	const struct nlattr *dst, *gw, *table;
};

static int
krt_attr_cb(const struct nlattr *attr, void *data)
{
	struct krt_attrs *a = data;

	switch (mnl_attr_get_type(attr)) {
	case RTA_DST:
		a->dst = attr;
		break;
	case RTA_GATEWAY:
		a->gw = attr;
		break;
	case RTA_TABLE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		a->table = attr;
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

int
fib_krt_parse(const struct nlmsghdr *nlh, fib_krt_fn *fn, void *arg)
{
	const struct rtmsg *rtm;
	struct krt_attrs a = { 0 };
	uint8_t dst[16] = { 0 }, gw[16] = { 0 };
	unsigned int alen;
	uint32_t table;

	if (nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE)
		return 0;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)))
		return -EINVAL;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family == AF_INET)
		alen = 4;
	else if (rtm->rtm_family == AF_INET6)
		alen = 16;
	else
		return 0;
	if (rtm->rtm_dst_len > alen * 8)
		return -EINVAL;
	if (mnl_attr_parse(nlh, sizeof(*rtm), krt_attr_cb, &a) < 0)
		return -EINVAL;
	table = a.table ? mnl_attr_get_u32(a.table) : rtm->rtm_table;
	if (table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST)
		return 0;
	if (a.dst) {
		if (mnl_attr_get_payload_len(a.dst) != alen)
			return -EINVAL;
		memcpy(dst, mnl_attr_get_payload(a.dst), alen);
	}
	if (a.gw) {
		if (mnl_attr_get_payload_len(a.gw) != alen)
			return -EINVAL;
		memcpy(gw, mnl_attr_get_payload(a.gw), alen);
	}
	fn(arg, nlh->nlmsg_type == RTM_NEWROUTE, rtm->rtm_family, dst, rtm->rtm_dst_len,
	   a.gw ? gw : NULL);
	return 1;
}

/* The end of a dump (NLMSG_DONE, or an error answering it): the IPv6 dump follows the IPv4
 * one, and a dump asked for meanwhile starts once both are read. */
static void
krt_dump_done(struct fib_krt *krt)
{
	if (krt->stage == 1 && krt_request(krt, AF_INET6) == 0) {
		krt->stage = 2;
		return;
	}
	krt->stage = 0;
	krt->dumping = false;
	if (krt->dump_pending) {
		krt->dump_pending = false;
		fib_krt_dump(krt);
	}
}

int
fib_krt_poll(struct fib_krt *krt, fib_krt_fn *fn, void *arg)
{
	char *buf = krt->rx;
	int reported = 0;

	for (unsigned int i = 0; i < FIB_KRT_POLL_MAX; i++) {
		ssize_t n = mnl_socket_recvfrom(krt->nl, buf, KRT_RX_BUF);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len = (int)n;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				/* Notifications were lost: read the table again. */
				krt->dumping = false;
				krt->stage = 0;
				fib_krt_dump(krt);
				continue;
			}
			return -errno;
		}
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) {
				if (krt->dumping && nlh->nlmsg_seq == krt->seq)
					krt_dump_done(krt);
				continue;
			}
			if (fib_krt_parse(nlh, fn, arg) > 0)
				reported++;
		}
	}
	return reported;
}
