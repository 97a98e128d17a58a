/* SPDX-License-Identifier: MIT */
/*
 * afp-inject - the traffic injector of `make bench` for the kernel and OVS peers: replays the
 * frames of a pcap, in a loop, into a network interface through an AF_PACKET socket with
 * PACKET_QDISC_BYPASS and sendmmsg() batches of 64, for SECONDS. Its own ceiling (one core,
 * one syscall per 64 frames, the kernel's per-frame skb allocation) is measured by
 * scripts/bench on a plain veth pair and reported beside the peers' figures.
 *
 *   afp-inject IFNAME PCAP SECONDS      prints {"sent":N,"seconds":S,"mpps":X}
 *
 * Built and run by scripts/bench only; not part of the product.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define AI_BATCH 64u

static double
ai_now(void)
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
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = 0 };
	struct mmsghdr msgs[AI_BATCH];
	struct iovec iov[AI_BATCH];
	uint8_t **frames = NULL;
	size_t *lens = NULL, n = 0, cap = 0, next = 0;
	uint64_t sent = 0;
	double secs, t0, t;
	int s, one = 1;
	pcap_t *p;

	if (argc != 4 || (secs = atof(argv[3])) <= 0) {
		fprintf(stderr, "usage: afp-inject IFNAME PCAP SECONDS\n");
		return 2;
	}
	p = pcap_open_offline(argv[2], errbuf);
	if (!p) {
		fprintf(stderr, "afp-inject: %s\n", errbuf);
		return 1;
	}
	while (pcap_next_ex(p, &h, &data) == 1) {
		if (n == cap) {
			uint8_t **f;
			size_t *l;

			cap = cap ? cap * 2 : 1024;
			f = realloc(frames, cap * sizeof(*frames));
			l = f ? realloc(lens, cap * sizeof(*lens)) : NULL;
			if (!l) {
				fprintf(stderr, "afp-inject: out of memory\n");
				return 1;
			}
			frames = f;
			lens = l;
		}
		frames[n] = malloc(h->caplen);
		if (!frames[n])
			return 1;
		memcpy(frames[n], data, h->caplen);
		lens[n++] = h->caplen;
	}
	pcap_close(p);
	if (!n)
		return 1;
	s = socket(AF_PACKET, SOCK_RAW, 0);
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (s < 0 || !sll.sll_ifindex || bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "afp-inject: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	memset(msgs, 0, sizeof(msgs));
	t0 = t = ai_now();
	do {
		unsigned int i;
		int r;

		for (i = 0; i < AI_BATCH; i++) {
			iov[i].iov_base = frames[next];
			iov[i].iov_len = lens[next];
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			next = next + 1 == n ? 0 : next + 1;
		}
		r = sendmmsg(s, msgs, AI_BATCH, 0);
		if (r > 0)
			sent += (uint64_t)r;
		else if (r < 0 && errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
			break;
		t = ai_now();
	} while (t - t0 < secs);
	printf("{\"sent\":%llu,\"seconds\":%.6f,\"mpps\":%.6f}\n", (unsigned long long)sent, t - t0,
	       (double)sent / (t - t0) / 1e6);
	close(s);
	return 0;
}
