/* SPDX-License-Identifier: MIT */
/*
 * vifspec.c - xl vif spec parser and the XenStore keys libxl writes for a vif.
 *
 * The spec is split on ',' and each token dispatched through a key table to a small
 * validator. Validators never allocate: every result lands in the fixed buffers of
 * struct nb_vifspec, so hostile input can cost at most one pass over 4 KiB.
 */
#include "tools/xl/vifspec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define VLAN_ID_MAX 4094

/* A slice of the spec text; 'off' is its byte offset in the whole spec. */
struct span {
	const char *p;
	size_t len;
	size_t off;
};

static unsigned
col_of(const struct span *s)
{
	return (unsigned)s->off + 1;
}

/* Copies 's' into 'out' for a message: at most 48 bytes, non-printables as \xHH. */
static void
quote_text(char *out, size_t size, const char *s, size_t len)
{
	size_t o = 0;
	size_t i;

	for (i = 0; i < len && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == 48) {
			o += (size_t)snprintf(out + o, size - o, "...");
			break;
		}
		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o < size ? o : size - 1] = '\0';
}

/* Fills 'err' with "[KEY: ]expected EXPECTED, found 'FOUND'" at 'col'. */
__attribute__((format(printf, 7, 8))) static int
fail(struct nb_vifspec_err *err, int rc, unsigned col, const char *key, const char *found,
     size_t found_len, const char *expected_fmt, ...)
{
	char expected[200];
	char quoted[200];
	va_list ap;

	if (!err)
		return rc;
	va_start(ap, expected_fmt);
	vsnprintf(expected, sizeof(expected), expected_fmt, ap);
	va_end(ap);
	quote_text(quoted, sizeof(quoted), found, found_len);
	err->col = col;
	snprintf(err->msg, sizeof(err->msg), "%s%sexpected %s, found '%s'", key ? key : "",
		 key ? ": " : "", expected, quoted);
	return rc;
}

static int
fail_span(struct nb_vifspec_err *err, const struct span *s, const char *key, const char *expected)
{
	return fail(err, -EINVAL, col_of(s), key, s->p, s->len, "%s", expected);
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static struct span
trim(struct span s)
{
	while (s.len && is_blank(s.p[0])) {
		s.p++;
		s.len--;
		s.off++;
	}
	while (s.len && is_blank(s.p[s.len - 1]))
		s.len--;
	return s;
}

static bool
span_is(const struct span *s, const char *word)
{
	return strlen(word) == s->len && memcmp(s->p, word, s->len) == 0;
}

/*
 * Parses an unsigned decimal with no sign and no blanks. Returns 0, -EINVAL (empty, not
 * a number, or a leading zero when !leading_zero_ok) or -EOVERFLOW (above 'max').
 */
static int
parse_dec(const char *p, size_t len, bool leading_zero_ok, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!is_digit(p[i]))
			return -EINVAL;
	if (!leading_zero_ok && len > 1 && p[0] == '0')
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned)(p[i] - '0');

		if (v > (max - d) / 10)
			return -EOVERFLOW;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
add_notice(struct nb_vifspec *spec, const char *key, const char *why)
{
	unsigned i;

	for (i = 0; i < spec->n_notices; i++)
		if (strcmp(spec->notices[i].key, key) == 0)
			return;
	if (spec->n_notices < NB_VIFSPEC_NOTICES_MAX) {
		spec->notices[spec->n_notices].key = key;
		spec->notices[spec->n_notices].why = why;
		spec->n_notices++;
	}
}

/* Accepts 1..max characters from [A-Za-z0-9_.-] plus those in 'extra', not led by '-'. */
static bool
valid_name(const struct span *v, size_t max, const char *extra)
{
	size_t i;

	if (v->len == 0 || v->len > max || v->p[0] == '-')
		return false;
	for (i = 0; i < v->len; i++) {
		char c = v->p[i];

		if (!is_alnum(c) && c != '_' && c != '.' && c != '-' && !(c && strchr(extra, c)))
			return false;
	}
	return true;
}

/*
 * Stores 'v' in the 'size'-byte field 'dst', zeroing the rest: a key given twice keeps
 * its last value, and no bytes of the earlier one may linger behind the NUL.
 */
static void
copy_span(char *dst, size_t size, const struct span *v)
{
	/* Callers check lengths first; the clamp makes a missed check a truncation, never an
	 * overflow into the next field. */
	size_t n = v->len < size ? v->len : size - 1;

	memset(dst, 0, size);
	memcpy(dst, v->p, n);
}

static int
key_mac(struct nb_vifspec *spec, const char *key, const struct span *v, struct nb_vifspec_err *err)
{
	static const char expect[] = "six two-digit hex octets like 00:16:3e:12:34:56";
	uint8_t mac[6];
	int i;

	if (v->len != 17)
		return fail_span(err, v, key, expect);
	for (i = 0; i < 6; i++) {
		int hi = hexval(v->p[i * 3]);
		int lo = hexval(v->p[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && v->p[i * 3 + 2] != ':'))
			return fail_span(err, v, key, expect);
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	/* A guest with a group address would be flooded everywhere by a learning bridge. */
	if (mac[0] & 1)
		return fail_span(err, v, key, "a unicast address (first octet even)");
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return fail_span(err, v, key, "a non-zero address");
	memcpy(spec->mac, mac, sizeof(mac));
	spec->has_mac = true;
	return 0;
}

static int
key_bridge(struct nb_vifspec *spec, const char *key, const struct span *v,
	   struct nb_vifspec_err *err)
{
	if (!valid_name(v, NB_VIFSPEC_BRIDGE_MAX, ":"))
		return fail_span(err, v, key,
				 "a network name of 1-64 characters from [A-Za-z0-9_.:-]");
	copy_span(spec->bridge, sizeof(spec->bridge), v);
	return 0;
}

/* Linux dev_valid_name(), narrowed to characters that are safe in hotplug scripts. */
static int
check_ifname(const char *key, const struct span *v, struct nb_vifspec_err *err)
{
	if (!valid_name(v, NB_VIFSPEC_IFNAME_MAX, "") || span_is(v, ".") || span_is(v, ".."))
		return fail_span(err, v, key,
				 "an interface name of 1-15 characters from [A-Za-z0-9_.-]");
	return 0;
}

static int
key_gatewaydev(struct nb_vifspec *spec, const char *key, const struct span *v,
	       struct nb_vifspec_err *err)
{
	int rc = check_ifname(key, v, err);

	if (rc)
		return rc;
	if (strcmp(key, "netdev") == 0)
		add_notice(spec, "netdev", "deprecated alias of gatewaydev");
	copy_span(spec->gatewaydev, sizeof(spec->gatewaydev), v);
	return 0;
}

static int
key_vifname(struct nb_vifspec *spec, const char *key, const struct span *v,
	    struct nb_vifspec_err *err)
{
	int rc = check_ifname(key, v, err);

	if (rc)
		return rc;
	copy_span(spec->vifname, sizeof(spec->vifname), v);
	return 0;
}

static int
parse_one_ip(const char *key, const struct span *t, struct nb_vifspec_ip *ip,
	     struct nb_vifspec_err *err)
{
	const char *slash = memchr(t->p, '/', t->len);
	size_t alen = slash ? (size_t)(slash - t->p) : t->len;
	char abuf[INET6_ADDRSTRLEN];
	uint64_t prefix;

	ip->family = memchr(t->p, ':', alen) ? AF_INET6 : AF_INET;
	memset(ip->addr, 0, sizeof(ip->addr));
	if (alen == 0 || alen >= sizeof(abuf))
		goto bad;
	memcpy(abuf, t->p, alen);
	abuf[alen] = '\0';
	if (inet_pton(ip->family, abuf, ip->addr) != 1)
		goto bad;
	ip->prefix = -1;
	if (slash) {
		int max = ip->family == AF_INET ? 32 : 128;

		if (parse_dec(slash + 1, t->len - alen - 1, false, (uint64_t)max, &prefix))
			return fail(err, -EINVAL, col_of(t), key, t->p, t->len,
				    "a prefix length 0..%d after '/'", max);
		ip->prefix = (int)prefix;
	}
	return 0;
bad:
	return fail_span(err, t, key, "an IPv4 or IPv6 address with optional /prefix");
}

static int
key_ip(struct nb_vifspec *spec, const char *key, const struct span *v, struct nb_vifspec_err *err)
{
	struct nb_vifspec_ip ips[NB_VIFSPEC_IPS_MAX];
	char text[NB_VIFSPEC_IP_TEXT_MAX + 1];
	size_t tlen = 0;
	unsigned n = 0;
	size_t i = 0;

	while (i < v->len) {
		struct span t;
		int rc;

		while (i < v->len && is_blank(v->p[i]))
			i++;
		if (i == v->len)
			break;
		t.p = v->p + i;
		t.off = v->off + i;
		while (i < v->len && !is_blank(v->p[i]))
			i++;
		t.len = (size_t)(v->p + i - t.p);
		if (n == NB_VIFSPEC_IPS_MAX)
			return fail(err, -EINVAL, col_of(&t), key, t.p, t.len,
				    "at most %d addresses", NB_VIFSPEC_IPS_MAX);
		rc = parse_one_ip(key, &t, &ips[n], err);
		if (rc)
			return rc;
		/* Each token is < INET6_ADDRSTRLEN + 5 bytes, so 16 of them always fit. */
		if (tlen)
			text[tlen++] = ' ';
		memcpy(text + tlen, t.p, t.len);
		tlen += t.len;
		n++;
	}
	if (n == 0)
		return fail_span(err, v, key, "one or more IPv4/IPv6 addresses");
	text[tlen] = '\0';
	memset(spec->ips, 0, sizeof(spec->ips));
	memcpy(spec->ips, ips, sizeof(ips[0]) * n);
	spec->n_ips = n;
	memset(spec->ip, 0, sizeof(spec->ip));
	memcpy(spec->ip, text, tlen);
	return 0;
}

static int
key_script(struct nb_vifspec *spec, const char *key, const struct span *v,
	   struct nb_vifspec_err *err)
{
	size_t i;

	if (!valid_name(v, NB_VIFSPEC_SCRIPT_MAX, "/+") || v->p[v->len - 1] == '/')
		goto bad;
	/* A relative name must stay inside the script directory. */
	for (i = 0; i + 1 < v->len; i++)
		if (v->p[i] == '.' && v->p[i + 1] == '.' && (i == 0 || v->p[i - 1] == '/') &&
		    (i + 2 == v->len || v->p[i + 2] == '/'))
			goto bad;
	copy_span(spec->script, sizeof(spec->script), v);
	return 0;
bad:
	return fail_span(err, v, key,
			 "a script name or path of 1-255 characters from [A-Za-z0-9_./+-] "
			 "without '..'");
}

int
nb_vifspec_parse_rate(const char *text, uint64_t *bytes_per_interval, uint32_t *interval_us,
		      struct nb_vifspec_err *err)
{
	static const char key[] = "rate";
	size_t len = strnlen(text, NB_VIFSPEC_RATE_TEXT_MAX + 1);
	const char *at = memchr(text, '@', len);
	size_t rlen = at ? (size_t)(at - text) : len;
	uint64_t bps, usec = NB_VIFSPEC_RATE_DEFAULT_US, n = 0;
	size_t nd = 0;
	char scale = 0;
	int rc;

	if (len > NB_VIFSPEC_RATE_TEXT_MAX)
		return fail(err, -EINVAL, 1, key, text, len, "at most %d characters",
			    NB_VIFSPEC_RATE_TEXT_MAX);
	/* ^[0-9]+[GMK]?[Bb]/s$, libxlu_vif.c's vif_bytes_per_sec_re */
	while (nd < rlen && is_digit(text[nd]))
		nd++;
	if (nd < rlen && strchr("GMK", text[nd]))
		scale = text[nd];
	{
		size_t u = nd + (scale ? 1 : 0);

		if (nd == 0 || rlen != u + 3 || (text[u] != 'B' && text[u] != 'b') ||
		    text[u + 1] != '/' || text[u + 2] != 's')
			return fail(err, -EINVAL, 1, key, text, len,
				    "RATE/s[@INTERVAL] like 10Mb/s or 1MB/s@20ms (units B, KB, "
				    "MB, GB or b, Kb, Mb, Gb)");
	}
	rc = parse_dec(text, nd, false, UINT32_MAX, &bps);
	if (rc == -EINVAL)
		return fail(err, -EINVAL, 1, key, text, len,
			    "a number without leading zeros (xl reads them as octal)");
	if (rc == -EOVERFLOW)
		return fail(err, -EOVERFLOW, 1, key, text, len, "a rate of at most 4294967295");
	if (bps == 0)
		return fail(err, -EINVAL, 1, key, text, len, "a non-zero rate");
	if (scale == 'G')
		bps *= 1000 * 1000 * 1000;
	else if (scale == 'M')
		bps *= 1000 * 1000;
	else if (scale == 'K')
		bps *= 1000;
	if (text[nd + (scale ? 1 : 0)] == 'b')
		bps /= 8;

	if (at) {
		const char *iv = at + 1;
		size_t ilen = len - rlen - 1;
		unsigned icol = (unsigned)rlen + 2;
		size_t id = 0;
		char unit = 0;

		/* ^[0-9]+[mu]?s?$, libxlu_vif.c's vif_internal_usec_re */
		while (id < ilen && is_digit(iv[id]))
			id++;
		if (id < ilen && (iv[id] == 'm' || iv[id] == 'u'))
			unit = iv[id];
		if (id == 0 || ilen - id - (unit ? 1 : 0) > 1 ||
		    (ilen > id + (unit ? 1 : 0) && iv[ilen - 1] != 's'))
			return fail(err, -EINVAL, icol, key, iv, ilen,
				    "an interval like 20ms, 100us or 1s after '@'");
		rc = parse_dec(iv, id, false, UINT32_MAX, &n);
		if (rc == -EINVAL)
			return fail(err, -EINVAL, icol, key, iv, ilen,
				    "a number without leading zeros (xl reads them as octal)");
		if (rc == 0 && n == 0)
			rc = -EINVAL;
		if (rc)
			return fail(err, rc, icol, key, iv, ilen,
				    "an interval of 1us..4294967295us");
		if (unit == 'm')
			n *= 1000;
		else if (unit != 'u')
			n *= 1000 * 1000;
		if (n > UINT32_MAX)
			return fail(err, -EOVERFLOW, icol, key, iv, ilen,
				    "an interval of 1us..4294967295us");
		usec = n;
	}
	if (bps > UINT64_MAX / usec)
		return fail(err, -EOVERFLOW, 1, key, text, len, "a rate times interval below 2^64");
	n = bps * usec / 1000000;
	/* libxl would store "0,<usec>", after which netback never sends a packet. */
	if (n == 0)
		return fail(err, -EINVAL, 1, key, text, len,
			    "at least 1 byte per %" PRIu64 "us interval", usec);
	*bytes_per_interval = n;
	*interval_us = (uint32_t)usec;
	return 0;
}

static int
key_rate(struct nb_vifspec *spec, const char *key, const struct span *v, struct nb_vifspec_err *err)
{
	char text[NB_VIFSPEC_RATE_TEXT_MAX + 1];
	uint64_t bytes;
	uint32_t usec;
	int rc;

	if (v->len > NB_VIFSPEC_RATE_TEXT_MAX)
		return fail(err, -EINVAL, col_of(v), key, v->p, v->len, "at most %d characters",
			    NB_VIFSPEC_RATE_TEXT_MAX);
	copy_span(text, sizeof(text), v);
	rc = nb_vifspec_parse_rate(text, &bytes, &usec, err);
	if (rc) {
		if (err)
			err->col += (unsigned)v->off;
		return -EINVAL;
	}
	memcpy(spec->rate, text, sizeof(spec->rate));
	spec->has_rate = true;
	spec->rate_bytes_per_interval = bytes;
	spec->rate_interval_us = usec;
	return 0;
}

static int
key_mtu(struct nb_vifspec *spec, const char *key, const struct span *v, struct nb_vifspec_err *err)
{
	uint64_t n;

	if (parse_dec(v->p, v->len, true, NB_VIFSPEC_MTU_MAX, &n) || n < NB_VIFSPEC_MTU_MIN)
		return fail(err, -EINVAL, col_of(v), key, v->p, v->len, "a number %d..%d",
			    NB_VIFSPEC_MTU_MIN, NB_VIFSPEC_MTU_MAX);
	spec->mtu = (unsigned)n;
	return 0;
}

static int
key_backend(struct nb_vifspec *spec, const char *key, const struct span *v,
	    struct nb_vifspec_err *err)
{
	uint64_t n = 0;
	int rc = parse_dec(v->p, v->len, true, NB_VIFSPEC_DOMID_MAX, &n);

	if (rc == -EOVERFLOW)
		return fail(err, -EINVAL, col_of(v), key, v->p, v->len, "a domain id 0..%d",
			    NB_VIFSPEC_DOMID_MAX);
	if (rc && !valid_name(v, NB_VIFSPEC_BACKEND_MAX, ""))
		return fail_span(err, v, key,
				 "a domain id or a domain name of 1-64 characters from "
				 "[A-Za-z0-9_.-]");
	/* A domain id is kept in canonical form: "000...0" may be longer than any name. */
	if (rc == 0) {
		memset(spec->backend, 0, sizeof(spec->backend));
		snprintf(spec->backend, sizeof(spec->backend), "%u", (unsigned int)n);
	} else {
		copy_span(spec->backend, sizeof(spec->backend), v);
	}
	spec->backend_is_id = rc == 0;
	spec->backend_domid = (uint32_t)n;
	return 0;
}

static int
key_devid(struct nb_vifspec *spec, const char *key, const struct span *v,
	  struct nb_vifspec_err *err)
{
	uint64_t n;

	if (parse_dec(v->p, v->len, true, NB_VIFSPEC_DEVID_MAX, &n))
		return fail(err, -EINVAL, col_of(v), key, v->p, v->len, "a number 0..%d",
			    NB_VIFSPEC_DEVID_MAX);
	spec->devid = (int)n;
	return 0;
}

struct vlan_state {
	uint8_t seen[(VLAN_ID_MAX + 8) / 8];
	unsigned n;
	unsigned pvid;
};

static int
vlan_add(struct vlan_state *st, uint64_t id, bool pvid, const char *key, const struct span *t,
	 struct nb_vifspec_err *err)
{
	if (id < 1 || id > VLAN_ID_MAX)
		return fail(err, -EINVAL, col_of(t), key, t->p, t->len, "VLAN ids 1..%d",
			    VLAN_ID_MAX);
	if (st->seen[id / 8] & (1u << (id % 8)))
		return fail(err, -EINVAL, col_of(t), key, t->p, t->len,
			    "each VLAN id once (%u repeats)", (unsigned)id);
	if (pvid && st->pvid)
		return fail(err, -EINVAL, col_of(t), key, t->p, t->len,
			    "one PVID ('p'), not %u and %u", st->pvid, (unsigned)id);
	st->seen[id / 8] |= (uint8_t)(1u << (id % 8));
	st->n++;
	if (pvid)
		st->pvid = (unsigned)id;
	return 0;
}

/* One '/'-separated term of the vif-bridge vlan grammar (xen-network-common.sh). */
static int
vlan_term(struct vlan_state *st, const char *key, const struct span *t, struct nb_vifspec_err *err)
{
	static const char expect[] = "VLAN terms like 10, 10p, 10u, 20-25[u] or 100+10x4[u]";
	uint64_t a, b = 0, c = 0, k;
	size_t i = 0, j;
	char form = 0, flag = 0;
	int rc;

	for (j = i; j < t->len && is_digit(t->p[j]); j++)
		;
	/* vif-bridge does bash arithmetic on these, which reads "010" as octal. */
	if (parse_dec(t->p, j, false, UINT32_MAX, &a))
		goto bad;
	i = j;
	if (i < t->len && (t->p[i] == '-' || t->p[i] == '+')) {
		form = t->p[i++];
		for (j = i; j < t->len && is_digit(t->p[j]); j++)
			;
		if (parse_dec(t->p + i, j - i, false, UINT32_MAX, &b))
			goto bad;
		i = j;
		if (form == '+') {
			if (i == t->len || t->p[i] != 'x')
				goto bad;
			i++;
			for (j = i; j < t->len && is_digit(t->p[j]); j++)
				;
			if (parse_dec(t->p + i, j - i, false, UINT32_MAX, &c))
				goto bad;
			i = j;
		}
	}
	if (i < t->len && (t->p[i] == 'u' || (t->p[i] == 'p' && !form)))
		flag = t->p[i++];
	if (i != t->len)
		goto bad;

	if (!form)
		return vlan_add(st, a, flag == 'p', key, t, err);
	if (form == '-') {
		if (b < a || a < 1 || b > VLAN_ID_MAX)
			return fail(err, -EINVAL, col_of(t), key, t->p, t->len,
				    "a range FIRST-LAST with 1 <= FIRST <= LAST <= %d",
				    VLAN_ID_MAX);
		for (k = a; k <= b; k++) {
			rc = vlan_add(st, k, false, key, t, err);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (c == 0)
		return fail(err, -EINVAL, col_of(t), key, t->p, t->len,
			    "a count of at least 1 after 'x'");
	/* Ends at the first duplicate or out-of-range id, so at most 4095 rounds. */
	for (k = 0; k < c; k++) {
		rc = vlan_add(st, a + k * b, false, key, t, err);
		if (rc)
			return rc;
	}
	return 0;
bad:
	return fail_span(err, t, key, expect);
}

static int
key_vlan(struct nb_vifspec *spec, const char *key, const struct span *v, struct nb_vifspec_err *err)
{
	struct vlan_state st;
	size_t i = 0;
	int rc;

	if (v->len > NB_VIFSPEC_VLAN_TEXT_MAX)
		return fail(err, -EINVAL, col_of(v), key, v->p, v->len, "at most %d characters",
			    NB_VIFSPEC_VLAN_TEXT_MAX);
	memset(&st, 0, sizeof(st));
	for (;;) {
		const char *slash = memchr(v->p + i, '/', v->len - i);
		struct span t;

		t.p = v->p + i;
		t.off = v->off + i;
		t.len = slash ? (size_t)(slash - t.p) : v->len - i;
		rc = vlan_term(&st, key, &t, err);
		if (rc)
			return rc;
		if (!slash)
			break;
		i += t.len + 1;
	}
	if (!st.pvid) {
		unsigned id;

		if (st.n != 1)
			return fail_span(err, v, key,
					 "one id marked 'p' (the PVID) when several are given");
		for (id = 1; !(st.seen[id / 8] & (1u << (id % 8))); id++)
			;
		st.pvid = id;
	}
	copy_span(spec->vlan, sizeof(spec->vlan), v);
	spec->vlan_pvid = (uint16_t)st.pvid;
	spec->n_vlans = st.n;
	return 0;
}

static int
key_type(struct nb_vifspec *spec, const char *key, const struct span *v, struct nb_vifspec_err *err)
{
	if (!span_is(v, "vif") && !span_is(v, "ioemu"))
		return fail_span(err, v, key, "vif or ioemu");
	add_notice(spec, "type", "only PV vifs are served; XenStore gets type \"vif\"");
	return 0;
}

static int
key_model(struct nb_vifspec *spec, const char *key, const struct span *v,
	  struct nb_vifspec_err *err)
{
	(void)key;
	(void)v;
	(void)err;
	add_notice(spec, "model", "emulated NIC model, HVM guests only");
	return 0;
}

static int
key_accel(struct nb_vifspec *spec, const char *key, const struct span *v,
	  struct nb_vifspec_err *err)
{
	(void)key;
	(void)v;
	(void)err;
	add_notice(spec, "accel", "not supported (xl ignores it too)");
	return 0;
}

static int
key_colo(struct nb_vifspec *spec, const char *key, const struct span *v, struct nb_vifspec_err *err)
{
	(void)v;
	(void)err;
	add_notice(spec, strcmp(key, "forwarddev") == 0 ? "forwarddev" : "colo_*",
		   "COLO replication is not supported");
	return 0;
}

typedef int key_fn(struct nb_vifspec *spec, const char *key, const struct span *v,
		   struct nb_vifspec_err *err);

static const struct key_def {
	const char *name;
	key_fn *fn;
} keys[] = {
	{ "mac", key_mac },	      { "bridge", key_bridge }, { "gatewaydev", key_gatewaydev },
	{ "netdev", key_gatewaydev }, { "ip", key_ip },		{ "script", key_script },
	{ "vifname", key_vifname },   { "rate", key_rate },	{ "mtu", key_mtu },
	{ "backend", key_backend },   { "devid", key_devid },	{ "vlan", key_vlan },
	{ "type", key_type },	      { "model", key_model },	{ "accel", key_accel },
	{ "forwarddev", key_colo }
};

static const char key_list[] = "mac, bridge, gatewaydev, ip, script, vifname, rate, mtu, "
			       "backend, devid, vlan, trusted, untrusted, type, model";

static int
parse_token(struct nb_vifspec *spec, struct span tok, struct nb_vifspec_err *err)
{
	const char *eq = memchr(tok.p, '=', tok.len);
	struct span k = tok, v = { 0 };
	char name[24];
	size_t i;

	if (eq) {
		k.len = (size_t)(eq - tok.p);
		k = trim(k);
		v.p = eq + 1;
		v.off = (size_t)(eq + 1 - tok.p) + tok.off;
		v.len = tok.len - (size_t)(eq + 1 - tok.p);
		v = trim(v);
	}
	if (!eq && (span_is(&k, "trusted") || span_is(&k, "untrusted"))) {
		spec->trusted = span_is(&k, "trusted");
		return 0;
	}
	if (eq && (span_is(&k, "trusted") || span_is(&k, "untrusted")))
		return fail(err, -EINVAL, col_of(&tok), NULL, tok.p, tok.len,
			    "the bare flag '%.*s'", (int)k.len, k.p);
	if (k.len == 0 || k.len >= sizeof(name))
		goto unknown;
	copy_span(name, sizeof(name), &k);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(name, keys[i].name) != 0)
			continue;
		if (!eq)
			return fail(err, -EINVAL, col_of(&tok), name, tok.p, tok.len, "'%s=VALUE'",
				    name);
		return keys[i].fn(spec, keys[i].name, &v, err);
	}
	if (strncmp(name, "colo_", 5) == 0 && eq)
		return key_colo(spec, name, &v, err);
unknown:
	return fail(err, -EINVAL, col_of(&k), NULL, tok.p, tok.len, "a vif key (%s)", key_list);
}

void
nb_vifspec_init(struct nb_vifspec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->mtu = NB_VIFSPEC_MTU_DEFAULT;
	spec->devid = -1;
	spec->trusted = true;
}

int
nb_vifspec_parse(const char *text, struct nb_vifspec *spec, struct nb_vifspec_err *err)
{
	size_t len = strnlen(text, NB_VIFSPEC_TEXT_MAX + 1);
	size_t i, start = 0;
	int rc;

	nb_vifspec_init(spec);
	if (err) {
		err->col = 0;
		err->msg[0] = '\0';
	}
	if (len > NB_VIFSPEC_TEXT_MAX)
		return fail(err, -EINVAL, 1, NULL, text, len, "a spec of at most %d bytes",
			    NB_VIFSPEC_TEXT_MAX);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(err, -EINVAL, (unsigned)i + 1, NULL, text + i, 1,
				    "printable text");
	}
	for (i = 0; i <= len; i++) {
		struct span tok;

		if (i < len && text[i] != ',')
			continue;
		tok.p = text + start;
		tok.len = i - start;
		tok.off = start;
		start = i + 1;
		tok = trim(tok);
		if (tok.len == 0)
			continue;
		rc = parse_token(spec, tok, err);
		if (rc) {
			nb_vifspec_init(spec);
			return rc;
		}
	}
	return 0;
}

void
nb_vifspec_default_mac(struct nb_vifspec *spec, const uint8_t random[3])
{
	if (spec->has_mac)
		return;
	spec->mac[0] = 0x00;
	spec->mac[1] = 0x16;
	spec->mac[2] = 0x3e;
	spec->mac[3] = random[0] & 0x7f;
	spec->mac[4] = random[1];
	spec->mac[5] = random[2];
	spec->has_mac = true;
}

void
nb_vifspec_format_mac(const uint8_t mac[6], char *buf, size_t size)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

/* Appends ",key=value" (or "key=value" first) to 'buf'; tracks overflow in '*len'. */
static void
append(char *buf, size_t size, size_t *len, const char *key, const char *value)
{
	int n;

	if (*len >= size)
		return;
	n = snprintf(buf + *len, size - *len, "%s%s%s%s", *len ? "," : "", key, value ? "=" : "",
		     value ? value : "");
	*len += n < 0 ? size : (size_t)n;
}

int
nb_vifspec_format(const struct nb_vifspec *spec, char *buf, size_t size)
{
	char tmp[24];
	size_t len = 0;

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (spec->has_mac) {
		nb_vifspec_format_mac(spec->mac, tmp, sizeof(tmp));
		append(buf, size, &len, "mac", tmp);
	}
	if (spec->bridge[0])
		append(buf, size, &len, "bridge", spec->bridge);
	if (spec->gatewaydev[0])
		append(buf, size, &len, "gatewaydev", spec->gatewaydev);
	if (spec->n_ips)
		append(buf, size, &len, "ip", spec->ip);
	if (spec->script[0])
		append(buf, size, &len, "script", spec->script);
	if (spec->vifname[0])
		append(buf, size, &len, "vifname", spec->vifname);
	if (spec->has_rate)
		append(buf, size, &len, "rate", spec->rate);
	if (spec->mtu != NB_VIFSPEC_MTU_DEFAULT) {
		snprintf(tmp, sizeof(tmp), "%u", spec->mtu);
		append(buf, size, &len, "mtu", tmp);
	}
	if (spec->backend[0])
		append(buf, size, &len, "backend", spec->backend);
	if (spec->devid >= 0) {
		snprintf(tmp, sizeof(tmp), "%d", spec->devid);
		append(buf, size, &len, "devid", tmp);
	}
	if (spec->vlan[0])
		append(buf, size, &len, "vlan", spec->vlan);
	if (!spec->trusted)
		append(buf, size, &len, "untrusted", NULL);
	if (len >= size) {
		buf[0] = '\0';
		return -ENOSPC;
	}
	return (int)len;
}

__attribute__((format(printf, 4, 5))) static int
put(struct nb_vifspec_xs *out, enum nb_vifspec_xs_dir dir, const char *key, const char *fmt, ...)
{
	struct nb_vifspec_xs_kv *kv;
	va_list ap;
	int n;

	if (out->n == NB_VIFSPEC_XS_MAX)
		return -EINVAL;
	kv = &out->kv[out->n];
	va_start(ap, fmt);
	n = vsnprintf(kv->value, sizeof(kv->value), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(kv->value))
		return -EINVAL;
	kv->dir = dir;
	kv->key = key;
	out->n++;
	return 0;
}

int
nb_vifspec_render_xs(const struct nb_vifspec *spec, uint32_t domid, uint32_t backend_domid,
		     const char *script_dir, struct nb_vifspec_xs *out)
{
	enum nb_vifspec_xs_dir be = NB_VIFSPEC_XS_BACKEND, fe = NB_VIFSPEC_XS_FRONTEND;
	char mac[24];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!script_dir)
		script_dir = NB_VIFSPEC_SCRIPT_DIR;
	if (!spec->has_mac || spec->devid < 0 || spec->devid > NB_VIFSPEC_DEVID_MAX ||
	    domid > NB_VIFSPEC_DOMID_MAX || backend_domid > NB_VIFSPEC_DOMID_MAX ||
	    script_dir[0] != '/')
		return -EINVAL;
	snprintf(out->backend_path, sizeof(out->backend_path), "/local/domain/%u/backend/vif/%u/%d",
		 backend_domid, domid, spec->devid);
	snprintf(out->frontend_path, sizeof(out->frontend_path), "/local/domain/%u/device/vif/%d",
		 domid, spec->devid);
	nb_vifspec_format_mac(spec->mac, mac, sizeof(mac));

	rc |= put(out, be, "frontend", "%s", out->frontend_path);
	rc |= put(out, be, "frontend-id", "%u", domid);
	rc |= put(out, be, "online", "1");
	rc |= put(out, be, "state", "1");
	/* libxl__abs_path(): absolute names are kept, relative ones join the script dir. */
	if (spec->script[0] == '/')
		rc |= put(out, be, "script", "%s", spec->script);
	else
		rc |= put(out, be, "script", "%s/%s", script_dir,
			  spec->script[0] ? spec->script : NB_VIFSPEC_DEFAULT_SCRIPT);
	if (spec->vifname[0])
		rc |= put(out, be, "vifname", "%s", spec->vifname);
	rc |= put(out, be, "mac", "%s", mac);
	if (spec->n_ips)
		rc |= put(out, be, "ip", "%s", spec->ip);
	if (spec->gatewaydev[0])
		rc |= put(out, be, "gatewaydev", "%s", spec->gatewaydev);
	if (spec->has_rate)
		rc |= put(out, be, "rate", "%" PRIu64 ",%" PRIu32, spec->rate_bytes_per_interval,
			  spec->rate_interval_us);
	if (spec->mtu != NB_VIFSPEC_MTU_DEFAULT)
		rc |= put(out, be, "mtu", "%u", spec->mtu);
	if (spec->vlan[0])
		rc |= put(out, be, "vlan", "%s", spec->vlan);
	rc |= put(out, be, "bridge", "%s",
		  spec->bridge[0] ? spec->bridge : NB_VIFSPEC_DEFAULT_BRIDGE);
	rc |= put(out, be, "handle", "%d", spec->devid);
	rc |= put(out, be, "type", "vif");
	rc |= put(out, be, "hotplug-status", "%s", "");

	rc |= put(out, fe, "backend", "%s", out->backend_path);
	rc |= put(out, fe, "backend-id", "%u", backend_domid);
	rc |= put(out, fe, "state", "1");
	rc |= put(out, fe, "handle", "%d", spec->devid);
	rc |= put(out, fe, "mac", "%s", mac);
	rc |= put(out, fe, "trusted", "%s", spec->trusted ? "1" : "0");
	rc |= put(out, NB_VIFSPEC_XS_FRONTEND_RO, "mtu", "%u", spec->mtu);
	if (rc) {
		memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	return 0;
}
