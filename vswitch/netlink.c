/* SPDX-License-Identifier: MIT */
/*
 * netlink.c - RTM_NEWADDR/RTM_DELADDR/RTM_NEWLINK requests through libmnl (see netlink.h).
 */
#include "vswitch/netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
vsw_nl_parse_cidr(const char *cidr, int *family, unsigned char addr[16], unsigned int *prefix)
{
	char buf[64], *slash, *end;
	unsigned long p;
	int max;

	if (strlen(cidr) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, cidr);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		*family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	errno = 0;
	p = strtoul(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || p > (unsigned long)max)
		return -EINVAL;
	*prefix = (unsigned int)p;
	return 0;
}

/* Sends the request in 'buf' and returns the kernel's verdict. */
static int
vsw_nl_talk(struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	unsigned int portid, seq;
	int ret;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		mnl_socket_close(nl);
		return ret;
	}
	portid = mnl_socket_get_portid(nl);
	seq = (unsigned int)time(NULL);
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		mnl_socket_close(nl);
		return ret;
	}
	ret = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
	while (ret > 0) {
		ret = mnl_cb_run(buf, (size_t)ret, seq, portid, NULL, NULL);
		if (ret <= MNL_CB_STOP)
			break;
		ret = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
	}
	ret = ret < 0 ? -errno : 0;
	mnl_socket_close(nl);
	return ret;
}

static int
vsw_nl_addr(const char *ifname, const char *cidr, int type)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned char addr[16];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	unsigned int prefix, ifindex;
	int family, err;

	err = vsw_nl_parse_cidr(cidr, &family, addr, &prefix);
	if (err)
		return err;
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return -ENODEV;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (type == RTM_NEWADDR)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = (uint8_t)prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, family == AF_INET ? 4 : 16, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, family == AF_INET ? 4 : 16, addr);
	if (family == AF_INET && prefix < 31) {
		unsigned char bcast[4];
		uint32_t a, mask = prefix ? ~0u << (32 - prefix) : 0;

		memcpy(&a, addr, 4);
		a = htonl(ntohl(a) | ~mask);
		memcpy(bcast, &a, 4);
		mnl_attr_put(nlh, IFA_BROADCAST, 4, bcast);
	}
	return vsw_nl_talk(nlh);
}

int
vsw_nl_addr_add(const char *ifname, const char *cidr)
{
	return vsw_nl_addr(ifname, cidr, RTM_NEWADDR);
}

int
vsw_nl_addr_del(const char *ifname, const char *cidr)
{
	return vsw_nl_addr(ifname, cidr, RTM_DELADDR);
}

int
vsw_nl_link_set_up(const char *ifname, int up)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	unsigned int ifindex = if_nametoindex(ifname);

	if (!ifindex)
		return -ENODEV;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)ifindex;
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = up ? IFF_UP : 0;
	return vsw_nl_talk(nlh);
}
