/* SPDX-License-Identifier: MIT */
/*
 * bench.h - the measuring logic of nb-bench (tools/nb-bench.c), kept apart from its I/O so
 * unit tests can drive it: the payload stamp, sequence accounting, latency histograms and
 * percentiles, the pcap trace in memory, and reading drop counters out of `nbctl stats --json`.
 *
 * Contract:
 * - The stamp: 16 bytes at the start of the UDP payload of an IPv4 frame: magic "NB", version
 *   1, flags (0), sequence (u32, network order), timestamp in ns of CLOCK_MONOTONIC (u64,
 *   network order). tests/bench/gen-traffic.py writes it zeroed as a placeholder, with a UDP
 *   checksum of 0, so stamping touches nothing else. Only frames that carry the placeholder
 *   are stamped; others (TCP, short frames) are sent as they are.
 * - Histograms are log-linear (HDR-like): values below 2^BENCH_HIST_SUB_BITS ns are exact,
 *   above that every power of two is split in 2^BENCH_HIST_SUB_BITS buckets, so a percentile
 *   is within 1/2^BENCH_HIST_SUB_BITS (~1.6 %) of the true value. No allocation.
 * - Everything here is single-threaded, allocates only in bench_trace_load(), and returns 0
 *   or -errno.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_STAMP_LEN	    16u
#define BENCH_STAMP_VERSION 1u
#define BENCH_HIST_SUB_BITS 6u
#define BENCH_HIST_BUCKETS  ((64u - BENCH_HIST_SUB_BITS + 1u) << BENCH_HIST_SUB_BITS)

/* Offset of the stamp in 'frame' (IPv4, no options beyond what IHL says, UDP, magic and
 * version present), or -1. */
int bench_stamp_offset(const uint8_t *frame, size_t len);
/* Writes sequence and timestamp into the stamp at 'off'. */
void bench_stamp_write(uint8_t *frame, unsigned int off, uint32_t seq, uint64_t ts_ns);
/* Reads the stamp of a received frame; false if it carries none. */
bool bench_stamp_read(const uint8_t *frame, size_t len, uint32_t *seq, uint64_t *ts_ns);

/* ---- sequence accounting ------------------------------------------------------------- */

/* What the sink saw of one generator's sequence (u32, wrapping). */
struct bench_seq {
	uint64_t received;  /* stamped frames */
	uint64_t reordered; /* arrived after a later sequence number */
	uint32_t next;	    /* one past the highest seen */
	bool started;
};

/* Accounts one received sequence number. */
void bench_seq_add(struct bench_seq *s, uint32_t seq);

/* ---- latency histogram ---------------------------------------------------------------- */

struct bench_hist {
	uint64_t count;
	uint64_t min, max;
	uint64_t b[BENCH_HIST_BUCKETS];
};

void bench_hist_reset(struct bench_hist *h);
void bench_hist_add(struct bench_hist *h, uint64_t v);
/* Bucket of 'v', and the smallest value of bucket 'i' (the inverse, rounded down). */
unsigned int bench_hist_bucket(uint64_t v);
uint64_t bench_hist_bucket_low(unsigned int i);
/* The value at quantile 'q' (0..1): the lower bound of the bucket holding it, clamped to
 * [min, max]; 0 for an empty histogram. */
uint64_t bench_hist_quantile(const struct bench_hist *h, double q);
/* Writes "value_ns cumulative_fraction" lines, one per non-empty bucket. */
void bench_hist_write_cdf(const struct bench_hist *h, FILE *f);

/* ---- the trace ------------------------------------------------------------------------ */

struct bench_frame {
	uint32_t off;	/* in the trace's buffer */
	uint32_t len;	/* bytes */
	int32_t stamp;	/* stamp offset in the frame, -1 if none */
	uint64_t ts_ns; /* pcap timestamp relative to the first frame */
};

struct bench_trace {
	uint8_t *buf;
	size_t buf_len;
	struct bench_frame *f;
	size_t n;	  /* frames */
	size_t n_file;	  /* frames in the file (n is a whole multiple of it) */
	uint64_t bytes;	  /* total frame bytes */
	size_t n_stamped; /* frames with a stamp */
};

/*
 * Loads every frame of the pcap at 'path' (Ethernet link type; frames of 14..max_len bytes;
 * truncated captures refused), then repeats the whole list until it has at least 'min_frames'
 * frames (so a frame is never stamped again while still in a ring); always whole copies. -EINVAL for a bad file or
 * link type, -E2BIG for a frame over max_len, -ENOMEM.
 */
int bench_trace_load(struct bench_trace *t, const char *path, size_t max_len, size_t min_frames);
void bench_trace_free(struct bench_trace *t);
/* Sets the destination (and, if non-NULL, source) MAC of every frame. */
void bench_trace_set_macs(struct bench_trace *t, const uint8_t dst[6], const uint8_t *src);

/* ---- netbackd's counters -------------------------------------------------------------- */

#define BENCH_CTR_MAX 64
/* Counters read from `nbctl stats --json`, summed over ports (drops by name, vif errors). */
struct bench_ctrs {
	unsigned int n;
	char name[BENCH_CTR_MAX][32];
	uint64_t val[BENCH_CTR_MAX];
	/* Per-port packet counters for the port named in bench_ctrs_parse() (or 0). */
	uint64_t port_rx, port_tx, port_tx_bytes;
};

/*
 * Parses the output of `nbctl stats --json`: sums every key of each port's "drops" object
 * and its "vif" error keys (tx_errors, tx_grant_errors, rx_grant_errors) by name, and takes
 * rx_packets, tx_packets and tx_bytes of the port named 'port' (may be NULL). -EINVAL for text it cannot
 * read.
 */
int bench_ctrs_parse(struct bench_ctrs *c, const char *json, const char *port);
/* The value of 'name' in 'c' (0 if absent). */
uint64_t bench_ctrs_get(const struct bench_ctrs *c, const char *name);

/* ---- arguments ------------------------------------------------------------------------ */

/* "aa:bb:cc:dd:ee:ff" -> mac. */
int bench_parse_mac(const char *s, uint8_t mac[6]);
/* A rate or count with an optional k/M/G suffix ("2.5M" = 2500000); -EINVAL. */
int bench_parse_si(const char *s, double *v);

#endif
