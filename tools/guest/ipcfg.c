/* SPDX-License-Identifier: MIT */
/*
 * ipcfg.c - parses a simulated guest's IPv4 configuration (kernel ip=, installer-style
 * ip=/netmask=/gateway=, or the backend's "ip" key) and builds the iproute2 commands that
 * apply it. The kernel form follows net/ipv4/ipconfig.c (ip_auto_config_setup(),
 * ic_proto_name(), ic_defaults()); unlike in_aton() every address is validated strictly.
 */
#include "tools/guest/ipcfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define IPCFG_DEFAULT_DEV "eth0"
/* libxl's "ip" key carries bare addresses; a guest on a netback network is normally on a
 * /24 (the NAT and route modes hand out /24s), so that is what an address without prefix
 * gets. */
#define IPCFG_BACKEND_PREFIX 24u
/* Fields of the kernel form: client:server:gw:netmask:host:dev:autoconf:dns0:dns1:ntp0. */
#define IPCFG_KERNEL_FIELDS 10u
/* Longest dotted quad with a prefix ("255.255.255.255/32") plus room to detect overflow. */
#define IPCFG_ADDR_MAX 24u

/* The words of a command line as the kernel splits them (parse_args()/next_arg()). */
struct ipcfg_words {
	const char *ip; /* last ip= value, or NULL */
	size_t ip_len;
	const char *mask; /* last netmask= value */
	size_t mask_len;
	const char *gw; /* last gateway= value */
	size_t gw_len;
};

static void
ipcfg_clear(struct nb_ipcfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = NB_IPCFG_NONE;
}

/* Copies [s, s+len) into a NUL-terminated buffer; -EINVAL if it does not fit. */
static int
ipcfg_copy(char *dst, size_t size, const char *s, size_t len)
{
	if (len >= size)
		return -EINVAL;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

/* A dotted quad exactly (inet_pton refuses octal, hex and short forms, unlike in_aton). */
static int
ipcfg_parse_addr(const char *s, size_t len, struct in_addr *addr)
{
	char buf[IPCFG_ADDR_MAX];

	if (ipcfg_copy(buf, sizeof(buf), s, len))
		return -EINVAL;
	if (inet_pton(AF_INET, buf, addr) != 1)
		return -EINVAL;
	return 0;
}

/* An address an interface can own: not 0.0.0.0, not multicast, not class E/broadcast. */
static bool
ipcfg_host_addr_ok(struct in_addr addr)
{
	uint32_t a = ntohl(addr.s_addr);

	return a != 0 && (a >> 28) != 0xe && (a >> 28) != 0xf;
}

static unsigned int
ipcfg_classful_prefix(struct in_addr addr)
{
	uint32_t a = ntohl(addr.s_addr);

	if (!(a & 0x80000000u))
		return 8;
	if ((a & 0xc0000000u) == 0x80000000u)
		return 16;
	return 24;
}

int
nb_ipcfg_netmask_to_prefix(const char *mask, unsigned int *prefixp)
{
	struct in_addr m;
	uint32_t v;
	unsigned int n = 0;

	if (!mask || ipcfg_parse_addr(mask, strlen(mask), &m))
		return -EINVAL;
	v = ntohl(m.s_addr);
	while (n < 32 && (v & (0x80000000u >> n)))
		n++;
	/* Anything set after the first zero bit is a non-contiguous mask, which iproute2
	 * cannot express as a prefix. */
	if (n < 32 && (v << n) != 0)
		return -EINVAL;
	*prefixp = n;
	return 0;
}

static int
ipcfg_mask_prefix(const char *s, size_t len, unsigned int *prefixp)
{
	char buf[IPCFG_ADDR_MAX];

	if (ipcfg_copy(buf, sizeof(buf), s, len))
		return -EINVAL;
	return nb_ipcfg_netmask_to_prefix(buf, prefixp);
}

/* "0".."32" without sign, leading zeros or trailing junk. */
static int
ipcfg_parse_prefix(const char *s, size_t len, unsigned int *prefixp)
{
	unsigned int v = 0;
	size_t i;

	if (len == 0 || len > 2 || (len == 2 && s[0] == '0'))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (v > 32)
		return -EINVAL;
	*prefixp = v;
	return 0;
}

/* "A" or "A/PREFIX"; '*has_prefix' says which. */
static int
ipcfg_parse_cidr(const char *s, size_t len, struct in_addr *addr, unsigned int *prefixp,
		 bool *has_prefix)
{
	const char *slash = memchr(s, '/', len);

	*has_prefix = slash != NULL;
	if (!slash)
		return ipcfg_parse_addr(s, len, addr);
	if (ipcfg_parse_addr(s, (size_t)(slash - s), addr))
		return -EINVAL;
	return ipcfg_parse_prefix(slash + 1, len - (size_t)(slash - s) - 1, prefixp);
}

/* Interface names as the kernel's dev_valid_name() accepts them, minus ':' (aliases). */
static int
ipcfg_parse_dev(const char *s, size_t len, char dev[NB_IPCFG_DEV_SIZE])
{
	size_t i;

	if (len == 0 || len >= NB_IPCFG_DEV_SIZE)
		return -EINVAL;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 0x7f || c == '/' || c == ':')
			return -EINVAL;
	}
	return ipcfg_copy(dev, NB_IPCFG_DEV_SIZE, s, len);
}

/* A host name (optionally with the domain the kernel splits off): letters, digits, '-', '.'. */
static int
ipcfg_parse_host(const char *s, size_t len, char host[NB_IPCFG_HOST_SIZE])
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return -EINVAL;
	}
	return ipcfg_copy(host, NB_IPCFG_HOST_SIZE, s, len);
}

static bool
ipcfg_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && !memcmp(s, word, len);
}

/* ic_proto_name(): 1 for an autoconfiguration protocol, 0 for off/none/anything else. */
static bool
ipcfg_is_autoconf(const char *s, size_t len)
{
	if (ipcfg_is(s, len, "on") || ipcfg_is(s, len, "any") || ipcfg_is(s, len, "both") ||
	    ipcfg_is(s, len, "bootp") || ipcfg_is(s, len, "rarp"))
		return true;
	/* "dhcp" or "dhcp,<client id>" as the kernel matches it (strncmp on 4 bytes). */
	return len >= 4 && !memcmp(s, "dhcp", 4);
}

static bool
ipcfg_is_off(const char *s, size_t len)
{
	return len == 0 || ipcfg_is(s, len, "off") || ipcfg_is(s, len, "none");
}

static int
ipcfg_finish_static(struct nb_ipcfg *cfg, bool have_prefix)
{
	if (!ipcfg_host_addr_ok(cfg->addr))
		return -EINVAL;
	if (!have_prefix)
		cfg->prefix_len = ipcfg_classful_prefix(cfg->addr);
	if (cfg->has_gw && !ipcfg_host_addr_ok(cfg->gw))
		return -EINVAL;
	cfg->mode = NB_IPCFG_STATIC;
	return 0;
}

/* ip=<client>:<server>:<gw>:<netmask>:<host>:<dev>:<autoconf>:<dns0>:<dns1>:<ntp0> */
static int
ipcfg_parse_kernel(const char *s, size_t len, struct nb_ipcfg *cfg)
{
	const char *end = s + len, *f = s;
	const char *auto_s = NULL;
	size_t auto_len = 0;
	bool have_addr = false, have_prefix = false;
	unsigned int n;

	for (n = 0; f <= end; n++) {
		const char *colon = memchr(f, ':', (size_t)(end - f));
		size_t flen = colon ? (size_t)(colon - f) : (size_t)(end - f);

		if (n >= IPCFG_KERNEL_FIELDS)
			return -EINVAL;
		if (flen) {
			switch (n) {
			case 0:
				if (ipcfg_parse_addr(f, flen, &cfg->addr))
					return -EINVAL;
				have_addr = cfg->addr.s_addr != 0;
				break;
			case 1:
			case 7:
			case 8:
			case 9: {
				/* Server, DNS and NTP addresses: validated, not used here. */
				struct in_addr unused;

				if (ipcfg_parse_addr(f, flen, &unused))
					return -EINVAL;
				break;
			}
			case 2:
				if (ipcfg_parse_addr(f, flen, &cfg->gw))
					return -EINVAL;
				cfg->has_gw = cfg->gw.s_addr != 0;
				break;
			case 3:
				if (ipcfg_mask_prefix(f, flen, &cfg->prefix_len))
					return -EINVAL;
				/* 0.0.0.0 means "not given" to ipconfig.c, as for the others. */
				have_prefix = cfg->prefix_len != 0;
				break;
			case 4:
				if (ipcfg_parse_host(f, flen, cfg->hostname))
					return -EINVAL;
				break;
			case 5:
				if (ipcfg_parse_dev(f, flen, cfg->dev))
					return -EINVAL;
				break;
			case 6:
				auto_s = f;
				auto_len = flen;
				break;
			}
		}
		if (!colon)
			break;
		f = colon + 1;
	}
	if (!cfg->dev[0])
		snprintf(cfg->dev, sizeof(cfg->dev), "%s", IPCFG_DEFAULT_DEV);
	/* As ipconfig.c: an address means static configuration; without one an explicit
	 * off/none (or an unknown word) disables it, and anything else autoconfigures. */
	if (have_addr)
		return ipcfg_finish_static(cfg, have_prefix);
	if (auto_s && !ipcfg_is_autoconf(auto_s, auto_len))
		cfg->mode = NB_IPCFG_OFF;
	else
		cfg->mode = NB_IPCFG_DHCP;
	cfg->has_gw = false;
	return 0;
}

/* ip=A[/P] with netmask= and gateway= words (installer form), on eth0. */
static int
ipcfg_parse_installer(const struct ipcfg_words *w, struct nb_ipcfg *cfg)
{
	bool have_prefix = false;

	snprintf(cfg->dev, sizeof(cfg->dev), "%s", IPCFG_DEFAULT_DEV);
	if (ipcfg_parse_cidr(w->ip, w->ip_len, &cfg->addr, &cfg->prefix_len, &have_prefix))
		return -EINVAL;
	if (w->mask) {
		/* Two masks would be ambiguous; refuse rather than guess. */
		if (have_prefix || ipcfg_mask_prefix(w->mask, w->mask_len, &cfg->prefix_len))
			return -EINVAL;
		have_prefix = true;
	}
	if (w->gw) {
		if (ipcfg_parse_addr(w->gw, w->gw_len, &cfg->gw))
			return -EINVAL;
		cfg->has_gw = true;
	}
	return ipcfg_finish_static(cfg, have_prefix);
}

/* Strips one pair of surrounding double quotes, as the kernel's next_arg() does. */
static void
ipcfg_unquote(const char **s, size_t *len)
{
	if (*len && (*s)[0] == '"') {
		(*s)++;
		(*len)--;
	}
	if (*len && (*s)[*len - 1] == '"')
		(*len)--;
}

static void
ipcfg_take(const char *word, size_t wlen, const char *key, const char **val, size_t *vlen)
{
	size_t klen = strlen(key);

	if (wlen >= klen && !memcmp(word, key, klen)) {
		*val = word + klen;
		*vlen = wlen - klen;
		ipcfg_unquote(val, vlen);
	}
}

/* Splits at whitespace outside double quotes and stops at "--" (arguments for init). */
static void
ipcfg_split(const char *s, struct ipcfg_words *w)
{
	while (*s) {
		const char *start;
		bool quoted = false;
		size_t len;

		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (!*s)
			break;
		start = s;
		while (*s && (quoted || !(*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))) {
			if (*s == '"')
				quoted = !quoted;
			s++;
		}
		len = (size_t)(s - start);
		if (len == 2 && !memcmp(start, "--", 2))
			break;
		if (start[0] == '"') {
			start++;
			len--;
		}
		ipcfg_take(start, len, "ip=", &w->ip, &w->ip_len);
		ipcfg_take(start, len, "netmask=", &w->mask, &w->mask_len);
		ipcfg_take(start, len, "gateway=", &w->gw, &w->gw_len);
	}
}

int
nb_ipcfg_parse_cmdline(const char *cmdline, struct nb_ipcfg *cfg)
{
	struct ipcfg_words w = { 0 };
	int err;

	ipcfg_clear(cfg);
	if (!cmdline)
		return 0;
	if (strnlen(cmdline, NB_IPCFG_INPUT_MAX + 1) > NB_IPCFG_INPUT_MAX)
		return -EINVAL;
	ipcfg_split(cmdline, &w);
	if (!w.ip)
		return 0;
	if (memchr(w.ip, ':', w.ip_len)) {
		err = ipcfg_parse_kernel(w.ip, w.ip_len, cfg);
	} else if (ipcfg_is_autoconf(w.ip, w.ip_len)) {
		snprintf(cfg->dev, sizeof(cfg->dev), "%s", IPCFG_DEFAULT_DEV);
		cfg->mode = NB_IPCFG_DHCP;
		err = 0;
	} else if (ipcfg_is_off(w.ip, w.ip_len)) {
		snprintf(cfg->dev, sizeof(cfg->dev), "%s", IPCFG_DEFAULT_DEV);
		cfg->mode = NB_IPCFG_OFF;
		err = 0;
	} else {
		err = ipcfg_parse_installer(&w, cfg);
	}
	if (err)
		ipcfg_clear(cfg);
	return err;
}

int
nb_ipcfg_parse_backend_ip(const char *value, const char *dev, struct nb_ipcfg *cfg)
{
	const char *s, *e;
	bool have_prefix = false;
	size_t dlen;

	ipcfg_clear(cfg);
	if (!value || !dev)
		return -EINVAL;
	if (strnlen(value, NB_IPCFG_INPUT_MAX + 1) > NB_IPCFG_INPUT_MAX)
		return -EINVAL;
	dlen = strlen(dev);
	if (ipcfg_parse_dev(dev, dlen, cfg->dev))
		goto bad;
	s = value;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s) {
		ipcfg_clear(cfg);
		return 0;
	}
	e = s;
	while (*e && *e != ' ' && *e != '\t')
		e++;
	if (ipcfg_parse_cidr(s, (size_t)(e - s), &cfg->addr, &cfg->prefix_len, &have_prefix))
		goto bad;
	if (!have_prefix)
		cfg->prefix_len = IPCFG_BACKEND_PREFIX;
	if (ipcfg_finish_static(cfg, true))
		goto bad;
	return 0;
bad:
	ipcfg_clear(cfg);
	return -EINVAL;
}

bool
nb_ipcfg_applies(const struct nb_ipcfg *cfg, const char *dev)
{
	return cfg && dev && cfg->mode != NB_IPCFG_NONE && !strcmp(cfg->dev, dev);
}

static int
ipcfg_cmd(struct nb_ipcfg_cmd *cmd, const char *const *words, unsigned int n)
{
	unsigned int i;

	if (n > NB_IPCFG_MAX_ARGS)
		return -EINVAL;
	memset(cmd, 0, sizeof(*cmd));
	for (i = 0; i < n; i++) {
		if (strlen(words[i]) >= NB_IPCFG_ARG_SIZE)
			return -EINVAL;
		snprintf(cmd->words[i], NB_IPCFG_ARG_SIZE, "%s", words[i]);
		cmd->argv[i] = cmd->words[i];
	}
	cmd->argv[n] = NULL;
	cmd->argc = n;
	return 0;
}

int
nb_ipcfg_cmds(const struct nb_ipcfg *cfg, struct nb_ipcfg_cmd cmds[NB_IPCFG_MAX_CMDS])
{
	char addr[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], cidr[IPCFG_ADDR_MAX];
	char dev[NB_IPCFG_DEV_SIZE];
	int n = 0;

	if (!cfg || cfg->mode != NB_IPCFG_STATIC)
		return 0;
	if (cfg->prefix_len > 32 ||
	    ipcfg_parse_dev(cfg->dev, strnlen(cfg->dev, sizeof(cfg->dev)), dev))
		return -EINVAL;
	if (!inet_ntop(AF_INET, &cfg->addr, addr, sizeof(addr)))
		return -EINVAL;
	snprintf(cidr, sizeof(cidr), "%s/%u", addr, cfg->prefix_len);
	{
		const char *w[] = { "ip", "-4", "addr", "replace", cidr, "dev", dev };

		if (ipcfg_cmd(&cmds[n++], w, sizeof(w) / sizeof(w[0])))
			return -EINVAL;
	}
	if (cfg->has_gw) {
		const char *w[] = { "ip",  "-4", "route", "replace", "default",
				    "via", gw,	 "dev",	  dev,	     "onlink" };

		if (!inet_ntop(AF_INET, &cfg->gw, gw, sizeof(gw)) ||
		    ipcfg_cmd(&cmds[n++], w, sizeof(w) / sizeof(w[0])))
			return -EINVAL;
	}
	return n;
}

int
nb_ipcfg_describe(const struct nb_ipcfg *cfg, char *buf, size_t size)
{
	char addr[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	int n;

	if (!buf || !size)
		return -ENOSPC;
	switch (cfg ? cfg->mode : NB_IPCFG_NONE) {
	case NB_IPCFG_NONE:
		n = snprintf(buf, size, "none");
		break;
	case NB_IPCFG_OFF:
		n = snprintf(buf, size, "off");
		break;
	case NB_IPCFG_DHCP:
		n = snprintf(buf, size, "dhcp");
		break;
	case NB_IPCFG_STATIC:
		if (!inet_ntop(AF_INET, &cfg->addr, addr, sizeof(addr)) ||
		    !inet_ntop(AF_INET, &cfg->gw, gw, sizeof(gw)))
			return -EINVAL;
		if (cfg->has_gw)
			n = snprintf(buf, size, "%s/%u via %s", addr, cfg->prefix_len, gw);
		else
			n = snprintf(buf, size, "%s/%u", addr, cfg->prefix_len);
		break;
	default:
		return -EINVAL;
	}
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return 0;
}
