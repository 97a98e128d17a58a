/* SPDX-License-Identifier: MIT */
/*
 * icmp.c - building ICMP/ICMPv6 errors in place, the rules for when not to, and the token
 * bucket that rate-limits them (see icmp.h).
 */
#include "route/icmp.h"

#include "vswitch/l3.h"

#include <errno.h>
#include <string.h>

int
fib_icmp_rl_init(struct fib_icmp_rl *rl, unsigned int rate, unsigned int burst)
{
	if (rate < 1 || rate > 1000000 || burst < 1)
		return -EINVAL;
	memset(rl, 0, sizeof(*rl));
	rl->cost_ns = 1000000000ull / rate;
	rl->cap_ns = rl->cost_ns * burst;
	rl->credit_ns = rl->cap_ns;
	return 0;
}

bool
fib_icmp_rl_allow(struct fib_icmp_rl *rl, uint64_t now_ns)
{
	if (rl->started && now_ns > rl->last_ns) {
		uint64_t d = now_ns - rl->last_ns;

		rl->credit_ns = d >= rl->cap_ns - rl->credit_ns ? rl->cap_ns : rl->credit_ns + d;
	}
	if (!rl->started || now_ns > rl->last_ns)
		rl->last_ns = now_ns;
	rl->started = true;
	if (rl->credit_ns < rl->cost_ns)
		return false;
	rl->credit_ns -= rl->cost_ns;
	return true;
}

/* ICMPv4 types that are queries (RFC 1812 4.3.2.7 forbids answering errors only). */
static bool
icmp4_is_query(uint8_t type)
{
	switch (type) {
	case 0:
	case 8:
	case 13:
	case 14:
	case 15:
	case 16:
	case 17:
	case 18:
		return true;
	default:
		return false;
	}
}

bool
fib_icmp4_may_error(const uint8_t *ip, size_t len, bool l2_mcast)
{
	unsigned int hlen;

	if (len < VSW_L3_IP4_HLEN || l2_mcast)
		return false;
	hlen = (ip[0] & 0xfu) * 4u;
	if (vsw_l3_get16(ip + 6) & VSW_L3_IP4_OFFSET)
		return false;
	if (ip[16] >= 224 || vsw_l3_ip4_is_special(ip + 12))
		return false;
	if (ip[9] == VSW_L3_PROTO_ICMP) {
		/* Without the type byte it cannot be shown to be a query. */
		if (len < hlen + 1 || !icmp4_is_query(ip[hlen]))
			return false;
	}
	return true;
}

bool
fib_icmp6_may_error(const uint8_t *ip6, size_t len, bool l2_mcast, bool too_big)
{
	size_t off = VSW_L3_IP6_HLEN;
	uint8_t nh;

	if (len < VSW_L3_IP6_HLEN)
		return false;
	if (vsw_l3_ip6_is_unspec(ip6 + 8) || vsw_l3_ip6_is_mcast(ip6 + 8))
		return false;
	if (!too_big && (l2_mcast || vsw_l3_ip6_is_mcast(ip6 + 24)))
		return false;
	nh = ip6[6];
	for (unsigned int i = 0; i < 8; i++) {
		if (nh == 0 || nh == 43 || nh == 60) {
			if (off + 2 > len)
				return true;
			nh = ip6[off];
			off += (size_t)(ip6[off + 1] + 1) * 8;
		} else if (nh == 44) {
			if (off + 8 > len)
				return true;
			/* A non-first fragment does not show its upper-layer header. */
			if (vsw_l3_get16(ip6 + off + 2) & 0xfff8)
				return true;
			nh = ip6[off];
			off += 8;
		} else {
			break;
		}
	}
	if (nh == VSW_L3_PROTO_ICMP6) {
		if (off + 1 > len || ip6[off] < 128)
			return false;
	}
	return true;
}

int
fib_icmp4_error(uint8_t *out, size_t room, const uint8_t *src, const uint8_t *orig, size_t orig_len,
		uint8_t type, uint8_t code, uint16_t mtu)
{
	size_t quote = orig_len;
	uint8_t s[4], d[4];
	uint8_t *icmp = out + VSW_L3_IP4_HLEN;
	size_t tot;

	if (orig_len < VSW_L3_IP4_HLEN)
		return -EINVAL;
	if (quote > FIB_ICMP4_MAX_LEN - VSW_L3_IP4_HLEN - VSW_L3_ICMP_HLEN)
		quote = FIB_ICMP4_MAX_LEN - VSW_L3_IP4_HLEN - VSW_L3_ICMP_HLEN;
	tot = VSW_L3_IP4_HLEN + VSW_L3_ICMP_HLEN + quote;
	if (room < tot)
		return -ENOSPC;
	memcpy(s, src, 4);
	memcpy(d, orig + 12, 4);
	memmove(icmp + VSW_L3_ICMP_HLEN, orig, quote);
	icmp[0] = type;
	icmp[1] = code;
	icmp[2] = icmp[3] = 0;
	vsw_l3_put16(icmp + 4, 0);
	vsw_l3_put16(icmp + 6, mtu);
	vsw_l3_put16(icmp + 2, vsw_csum_fold(vsw_csum_partial(icmp, VSW_L3_ICMP_HLEN + quote, 0)));
	vsw_l3_ip4_build(out, (uint16_t)tot, FIB_ICMP_TTL, VSW_L3_PROTO_ICMP, s, d);
	return (int)tot;
}

int
fib_icmp6_error(uint8_t *out, size_t room, const uint8_t *src, const uint8_t *orig, size_t orig_len,
		uint8_t type, uint8_t code, uint32_t param)
{
	size_t quote = orig_len;
	uint8_t s[16], d[16];
	uint8_t *icmp = out + VSW_L3_IP6_HLEN;
	size_t tot;

	if (orig_len < VSW_L3_IP6_HLEN)
		return -EINVAL;
	if (quote > FIB_ICMP6_MAX_LEN - VSW_L3_IP6_HLEN - VSW_L3_ICMP_HLEN)
		quote = FIB_ICMP6_MAX_LEN - VSW_L3_IP6_HLEN - VSW_L3_ICMP_HLEN;
	tot = VSW_L3_IP6_HLEN + VSW_L3_ICMP_HLEN + quote;
	if (room < tot)
		return -ENOSPC;
	memcpy(s, src, 16);
	memcpy(d, orig + 8, 16);
	memmove(icmp + VSW_L3_ICMP_HLEN, orig, quote);
	icmp[0] = type;
	icmp[1] = code;
	icmp[2] = icmp[3] = 0;
	vsw_l3_put32(icmp + 4, param);
	vsw_l3_ip6_build(out, (uint16_t)(tot - VSW_L3_IP6_HLEN), VSW_L3_PROTO_ICMP6, FIB_ICMP_TTL,
			 s, d);
	vsw_l3_put16(icmp + 2, vsw_l3_ip6_l4_csum(s, d, VSW_L3_PROTO_ICMP6, icmp,
						  (uint32_t)(tot - VSW_L3_IP6_HLEN)));
	return (int)tot;
}
