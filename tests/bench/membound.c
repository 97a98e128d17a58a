/* SPDX-License-Identifier: MIT */
/*
 * membound - the memcpy bound of `make bench`: the rate at which one core copies the frames of
 * a pcap once each, from a preloaded buffer into a ring of 256 page-sized buffers (what a
 * copy-based backend does at the least: one copy per frame between guests), for SECONDS.
 *
 *   membound PCAP SECONDS      prints {"frames":N,"seconds":S,"mpps":X,"gbps":Y}
 *
 * Built and run by scripts/bench only; not part of the product.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MB_RING	 256u
#define MB_PAGE	 4096u
#define MB_CHECK 4096u /* frames between clock readings */

static double
mb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint8_t *src = NULL, *dst;
	size_t *off = NULL, *len = NULL, n = 0, cap = 0, used = 0, i;
	uint64_t frames = 0, bytes = 0, sum = 0;
	double secs, t0, t;
	pcap_t *p;

	if (argc != 3 || (secs = atof(argv[2])) <= 0) {
		fprintf(stderr, "usage: membound PCAP SECONDS\n");
		return 2;
	}
	p = pcap_open_offline(argv[1], errbuf);
	if (!p) {
		fprintf(stderr, "membound: %s\n", errbuf);
		return 1;
	}
	while (pcap_next_ex(p, &h, &data) == 1) {
		if (h->caplen > MB_PAGE)
			continue;
		if (n == cap) {
			size_t *o, *l;
			uint8_t *b;

			cap = cap ? cap * 2 : 1024;
			o = realloc(off, cap * sizeof(*off));
			l = o ? realloc(len, cap * sizeof(*len)) : NULL;
			b = l ? realloc(src, cap * MB_PAGE) : NULL;
			if (!b) {
				fprintf(stderr, "membound: out of memory\n");
				return 1;
			}
			off = o;
			len = l;
			src = b;
		}
		off[n] = used;
		len[n] = h->caplen;
		memcpy(src + used, data, h->caplen);
		used += (h->caplen + 63) & ~(size_t)63;
		n++;
	}
	pcap_close(p);
	dst = aligned_alloc(MB_PAGE, (size_t)MB_RING * MB_PAGE);
	if (!n || !dst)
		return 1;
	t0 = mb_now();
	do {
		for (i = 0; i < MB_CHECK; i++) {
			size_t k = (size_t)(frames % n);
			uint8_t *d = dst + (size_t)(frames % MB_RING) * MB_PAGE;

			memcpy(d, src + off[k], len[k]);
			sum += d[len[k] - 1];
			bytes += len[k];
			frames++;
		}
		t = mb_now();
	} while (t - t0 < secs);
	printf("{\"frames\":%llu,\"seconds\":%.6f,\"mpps\":%.6f,\"gbps\":%.6f,\"check\":%llu}\n",
	       (unsigned long long)frames, t - t0, (double)frames / (t - t0) / 1e6,
	       (double)bytes * 8 / (t - t0) / 1e9, (unsigned long long)(sum & 1));
	return 0;
}
