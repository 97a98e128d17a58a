/* SPDX-License-Identifier: MIT */
/* bench.c - nb-bench's measuring logic (contract in bench.h). */
#include "tools/bench/bench.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_ETH_HLEN 14u

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int
bench_stamp_offset(const uint8_t *frame, size_t len)
{
	size_t ihl, off;

	if (len < BENCH_ETH_HLEN + 20 || rd16(frame + 12) != 0x0800)
		return -1;
	if ((frame[14] >> 4) != 4 || frame[14 + 9] != 17)
		return -1;
	ihl = (size_t)(frame[14] & 0xf) * 4;
	if (ihl < 20)
		return -1;
	/* Fragments other than the first carry no UDP header. */
	if (rd16(frame + 14 + 6) & 0x1fff)
		return -1;
	off = BENCH_ETH_HLEN + ihl + 8;
	if (len < off + BENCH_STAMP_LEN)
		return -1;
	if (frame[off] != 'N' || frame[off + 1] != 'B' || frame[off + 2] != BENCH_STAMP_VERSION)
		return -1;
	return (int)off;
}

void
bench_stamp_write(uint8_t *frame, unsigned int off, uint32_t seq, uint64_t ts_ns)
{
	wr32(frame + off + 4, seq);
	wr32(frame + off + 8, (uint32_t)(ts_ns >> 32));
	wr32(frame + off + 12, (uint32_t)ts_ns);
}

bool
bench_stamp_read(const uint8_t *frame, size_t len, uint32_t *seq, uint64_t *ts_ns)
{
	int off = bench_stamp_offset(frame, len);

	if (off < 0)
		return false;
	*seq = rd32(frame + off + 4);
	*ts_ns = (uint64_t)rd32(frame + off + 8) << 32 | rd32(frame + off + 12);
	return true;
}

/* ---- sequence ------------------------------------------------------------------------- */

void
bench_seq_add(struct bench_seq *s, uint32_t seq)
{
	s->received++;
	if (!s->started) {
		s->started = true;
		s->next = seq + 1;
		return;
	}
	/* Ahead of (or at) the expected number, modulo 2^32: half the space counts as ahead. */
	if ((int32_t)(seq - s->next) >= 0)
		s->next = seq + 1;
	else
		s->reordered++;
}

/* ---- histogram ------------------------------------------------------------------------ */

void
bench_hist_reset(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
}

unsigned int
bench_hist_bucket(uint64_t v)
{
	unsigned int msb, shift;

	if (v < (1u << BENCH_HIST_SUB_BITS))
		return (unsigned int)v;
	msb = 63u - (unsigned int)__builtin_clzll(v);
	shift = msb - BENCH_HIST_SUB_BITS;
	/* Bucket group (shift + 1), position inside it from the bits below the top one. */
	return ((shift + 1) << BENCH_HIST_SUB_BITS) +
	       (unsigned int)((v >> shift) & ((1u << BENCH_HIST_SUB_BITS) - 1));
}

uint64_t
bench_hist_bucket_low(unsigned int i)
{
	unsigned int group = i >> BENCH_HIST_SUB_BITS, sub = i & ((1u << BENCH_HIST_SUB_BITS) - 1);

	if (group == 0)
		return sub;
	return ((uint64_t)(1u << BENCH_HIST_SUB_BITS) + sub) << (group - 1);
}

void
bench_hist_add(struct bench_hist *h, uint64_t v)
{
	if (!h->count || v < h->min)
		h->min = v;
	if (!h->count || v > h->max)
		h->max = v;
	h->count++;
	h->b[bench_hist_bucket(v)]++;
}

uint64_t
bench_hist_quantile(const struct bench_hist *h, double q)
{
	uint64_t rank, seen = 0;
	unsigned int i;

	if (!h->count)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	/* The smallest value with at least ceil(q * count) values at or below it. */
	rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count)
		rank++;
	if (rank == 0)
		rank = 1;
	for (i = 0; i < BENCH_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t v = bench_hist_bucket_low(i);

			return v < h->min ? h->min : v > h->max ? h->max : v;
		}
	}
	return h->max;
}

void
bench_hist_write_cdf(const struct bench_hist *h, FILE *f)
{
	uint64_t seen = 0;
	unsigned int i;

	for (i = 0; i < BENCH_HIST_BUCKETS && h->count; i++) {
		if (!h->b[i])
			continue;
		seen += h->b[i];
		fprintf(f, "%llu %.6f\n", (unsigned long long)bench_hist_bucket_low(i),
			(double)seen / (double)h->count);
	}
}

/* ---- trace ---------------------------------------------------------------------------- */

void
bench_trace_free(struct bench_trace *t)
{
	free(t->buf);
	free(t->f);
	memset(t, 0, sizeof(*t));
}

/* Room for one more frame of 'len' bytes. */
static int
trace_reserve(struct bench_trace *t, size_t *cap_buf, size_t *cap_f, size_t len)
{
	if (t->n == *cap_f) {
		size_t cap = *cap_f ? *cap_f * 2 : 1024;
		struct bench_frame *f = realloc(t->f, cap * sizeof(*f));

		if (!f)
			return -ENOMEM;
		t->f = f;
		*cap_f = cap;
	}
	if (t->buf_len + len > UINT32_MAX)
		return -E2BIG;
	if (t->buf_len + len > *cap_buf) {
		size_t cap = *cap_buf ? *cap_buf * 2 : 65536;
		uint8_t *b;

		while (cap < t->buf_len + len)
			cap *= 2;
		b = realloc(t->buf, cap);
		if (!b)
			return -ENOMEM;
		t->buf = b;
		*cap_buf = cap;
	}
	return 0;
}

/* Appends the frame already copied at the end of the buffer. */
static void
trace_commit(struct bench_trace *t, size_t len, uint64_t ts_ns)
{
	const uint8_t *data = t->buf + t->buf_len;

	t->f[t->n] = (struct bench_frame){
		.off = (uint32_t)t->buf_len,
		.len = (uint32_t)len,
		.stamp = bench_stamp_offset(data, len),
		.ts_ns = ts_ns,
	};
	if (t->f[t->n].stamp >= 0)
		t->n_stamped++;
	t->buf_len += len;
	t->bytes += len;
	t->n++;
}

int
bench_trace_load(struct bench_trace *t, const char *path, size_t max_len, size_t min_frames)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	size_t cap_buf = 0, cap_f = 0, n1, i;
	uint64_t t0 = 0, span;
	pcap_t *p;
	int rc, err = 0;

	memset(t, 0, sizeof(*t));
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p)
		return -EINVAL;
	if (pcap_datalink(p) != DLT_EN10MB) {
		pcap_close(p);
		return -EINVAL;
	}
	while (!err && (rc = pcap_next_ex(p, &hdr, &data)) == 1) {
		uint64_t ts = (uint64_t)hdr->ts.tv_sec * 1000000000ull + (uint64_t)hdr->ts.tv_usec;

		if (hdr->caplen != hdr->len || hdr->len < BENCH_ETH_HLEN) {
			err = -EINVAL;
			break;
		}
		if (hdr->len > max_len) {
			err = -E2BIG;
			break;
		}
		if (t->n == 0)
			t0 = ts;
		err = trace_reserve(t, &cap_buf, &cap_f, hdr->len);
		if (!err) {
			memcpy(t->buf + t->buf_len, data, hdr->len);
			trace_commit(t, hdr->len, ts >= t0 ? ts - t0 : 0);
		}
	}
	if (!err && rc == PCAP_ERROR)
		err = -EINVAL;
	pcap_close(p);
	if (!err && t->n == 0)
		err = -EINVAL;
	/* Repeat the file; each copy continues the timeline one mean gap after the last. */
	n1 = t->n;
	t->n_file = n1;
	span = n1 ? t->f[n1 - 1].ts_ns + (n1 > 1 ? t->f[n1 - 1].ts_ns / (n1 - 1) : 1000) : 0;
	for (i = 0; !err && (t->n < min_frames || t->n % n1); i++) {
		size_t len = t->f[i % n1].len;

		err = trace_reserve(t, &cap_buf, &cap_f, len);
		if (!err) {
			/* After the reserve: it may have moved the buffer. */
			const struct bench_frame *f = &t->f[i % n1];

			memcpy(t->buf + t->buf_len, t->buf + f->off, len);
			trace_commit(t, len, f->ts_ns + span * (i / n1 + 1));
		}
	}
	if (err)
		bench_trace_free(t);
	return err;
}

void
bench_trace_set_macs(struct bench_trace *t, const uint8_t dst[6], const uint8_t *src)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		uint8_t *f = t->buf + t->f[i].off;

		memcpy(f, dst, 6);
		if (src)
			memcpy(f + 6, src, 6);
	}
}

/* ---- counters ------------------------------------------------------------------------- */

static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

/* Reads a JSON string without escapes into buf; returns the position after it or NULL. */
static const char *
read_str(const char *p, char *buf, size_t size)
{
	size_t n = 0;

	if (*p != '"')
		return NULL;
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\')
			return NULL;
		if (n + 1 < size)
			buf[n++] = *p;
	}
	if (*p != '"')
		return NULL;
	buf[n] = '\0';
	return p + 1;
}

/* Skips one array (at '[') of numbers, strings, booleans, null, arrays or objects, nested at
 * most 8 deep; returns the position after it or NULL. */
static const char *
skip_array(const char *p)
{
	int depth = 0;

	do {
		if (*p == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p++;
				p++;
			}
			if (!*p)
				return NULL;
		} else if (*p == '[' || *p == '{') {
			if (++depth > 8)
				return NULL;
		} else if (*p == ']' || *p == '}') {
			depth--;
		} else if (!*p) {
			return NULL;
		}
		p++;
	} while (depth > 0);
	return p;
}

static void
ctr_add(struct bench_ctrs *c, const char *name, uint64_t v)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->name[i], name)) {
			c->val[i] += v;
			return;
		}
	if (c->n == BENCH_CTR_MAX)
		return;
	snprintf(c->name[c->n], sizeof(c->name[0]), "%s", name);
	c->val[c->n++] = v;
}

/*
 * A small reader for the one shape nbctl prints: an array of flat objects whose values are
 * strings, unsigned numbers, booleans, flat objects of numbers, or lists (skipped whole). 'section' is the key of
 * the object being read ("" at the port's level).
 */
int
bench_ctrs_parse(struct bench_ctrs *c, const char *json, const char *port)
{
	const char *p = skip_ws(json);

	memset(c, 0, sizeof(*c));
	if (*p++ != '[')
		return -EINVAL;
	p = skip_ws(p);
	if (*p == ']')
		return 0;
	for (;;) {
		char section[64] = "", this_port[64] = "";
		uint64_t rx = 0, tx = 0, txb = 0;
		int depth = 0;

		p = skip_ws(p);
		if (*p++ != '{')
			return -EINVAL;
		depth = 1;
		while (depth > 0) {
			char key[64], sval[64];

			p = skip_ws(p);
			if (*p == '}') {
				p++;
				depth--;
				section[0] = '\0';
				p = skip_ws(p);
				if (*p == ',')
					p++;
				continue;
			}
			p = read_str(p, key, sizeof(key));
			if (!p)
				return -EINVAL;
			p = skip_ws(p);
			if (*p++ != ':')
				return -EINVAL;
			p = skip_ws(p);
			if (*p == '{') {
				if (depth != 1)
					return -EINVAL;
				snprintf(section, sizeof(section), "%s", key);
				depth++;
				p++;
				continue;
			}
			if (*p == '"') {
				p = read_str(p, sval, sizeof(sval));
				if (!p)
					return -EINVAL;
				if (depth == 1 && !strcmp(key, "port"))
					snprintf(this_port, sizeof(this_port), "%s", sval);
			} else if (isdigit((unsigned char)*p)) {
				char *end;
				unsigned long long v = strtoull(p, &end, 10);

				p = end;
				if (depth == 2 && !strcmp(section, "drops"))
					ctr_add(c, key, v);
				else if (depth == 2 && !strcmp(section, "vif") &&
					 (!strcmp(key, "tx_errors") ||
					  !strcmp(key, "tx_grant_errors") ||
					  !strcmp(key, "rx_grant_errors")))
					ctr_add(c, key, v);
				else if (depth == 1 && !strcmp(key, "rx_packets"))
					rx = v;
				else if (depth == 1 && !strcmp(key, "tx_packets"))
					tx = v;
				else if (depth == 1 && !strcmp(key, "tx_bytes"))
					txb = v;
			} else if (*p == '[') {
				/* Lists (a vif's "queues") carry nothing counted here. */
				p = skip_array(p);
				if (!p)
					return -EINVAL;
			} else if (!strncmp(p, "true", 4)) {
				p += 4;
			} else if (!strncmp(p, "false", 5)) {
				p += 5;
			} else {
				return -EINVAL;
			}
			p = skip_ws(p);
			if (*p == ',')
				p++;
		}
		if (port && !strcmp(this_port, port)) {
			c->port_rx = rx;
			c->port_tx = tx;
			c->port_tx_bytes = txb;
		}
		p = skip_ws(p);
		if (*p == ']')
			return 0;
		if (*p != '{')
			return -EINVAL;
	}
}

uint64_t
bench_ctrs_get(const struct bench_ctrs *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->name[i], name))
			return c->val[i];
	return 0;
}

/* ---- arguments ------------------------------------------------------------------------ */

int
bench_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int v[6], i;
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6 ||
	    strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

int
bench_parse_si(const char *s, double *v)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(s, &end);
	if (errno || end == s || x < 0)
		return -EINVAL;
	switch (*end) {
	case 'k':
		x *= 1e3;
		end++;
		break;
	case 'M':
		x *= 1e6;
		end++;
		break;
	case 'G':
		x *= 1e9;
		end++;
		break;
	default:
		break;
	}
	if (*end)
		return -EINVAL;
	*v = x;
	return 0;
}
