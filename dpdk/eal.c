/* SPDX-License-Identifier: MIT */
/*
 * eal.c - EAL set-up, mbuf-backed packet pools and the lcore engine (see dpdk.h).
 */
#include "dpdk/dpdk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

_Static_assert(RTE_PKTMBUF_HEADROOM == PKT_HEADROOM_BYTES,
	       "an mbuf's headroom must be the switch's packet headroom");

#define DPDK_ARGS_LEN_MAX 4096

static bool dpdk_ready;
static char *dpdk_args_buf; /* the words EAL was given: EAL keeps pointers into them */
static char dpdk_runtime_dir[PATH_MAX];
static int dpdk_worker_lcores[VSW_WORKERS_MAX];
static struct dpdk_pool *dpdk_pools[VSW_WORKERS_MAX + 1]; /* in creation order */
static unsigned int dpdk_n_workers;
static uint32_t dpdk_data_room = DPDK_DATA_ROOM_DEFAULT; /* of the engine's pools */

int
dpdk_eal_init(const char *args)
{
	char *argv[DPDK_EAL_ARGS_MAX + 2], *buf, *save = NULL, *tok;
	int argc = 0, rc;

	if (dpdk_ready)
		return -EALREADY;
	if (!args || strlen(args) > DPDK_ARGS_LEN_MAX)
		return -EINVAL;
	/* EAL keeps pointers into argv: the copy lives until dpdk_eal_fini(). */
	buf = strdup(args);
	if (!buf)
		return -ENOMEM;
	free(dpdk_args_buf);
	dpdk_args_buf = buf;
	argv[argc++] = "netback";
	for (tok = strtok_r(buf, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		if (argc > DPDK_EAL_ARGS_MAX)
			return -E2BIG;
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	rc = rte_eal_init(argc, argv);
	if (rc < 0)
		return rte_errno ? -rte_errno : -EINVAL;
	if (rc != argc - 1) {
		/* Words EAL did not take: not an EAL argument. */
		rte_eal_cleanup();
		return -EINVAL;
	}
	snprintf(dpdk_runtime_dir, sizeof(dpdk_runtime_dir), "%s", rte_eal_get_runtime_dir());
	dpdk_ready = true;
	return 0;
}

bool
dpdk_eal_ready(void)
{
	return dpdk_ready;
}

/* Removes the files of the runtime directory (it has no subdirectories), then the directory. */
static void
dpdk_remove_runtime_dir(const char *dir)
{
	const char *base = strrchr(dir, '/');
	struct dirent *de;
	DIR *d;

	if (!dir[0] || !base || !strcmp(base + 1, "rte"))
		return;
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(dir);
}

void
dpdk_eal_fini(void)
{
	if (!dpdk_ready)
		return;
	rte_eal_cleanup();
	dpdk_ready = false;
	dpdk_remove_runtime_dir(dpdk_runtime_dir);
	free(dpdk_args_buf);
	dpdk_args_buf = NULL;
}

/* ---- mbuf-backed packet pools -------------------------------------------------------------- */

struct dpdk_pool {
	struct rte_mempool *mp;
	struct pkt_pool *pool;
};

static inline struct rte_mbuf *
dpdk_mbuf_of(const struct pkt *p)
{
	return (struct rte_mbuf *)((uintptr_t)p - sizeof(struct rte_mbuf));
}

void *
dpdk_pkt_mbuf(const struct pkt *p)
{
	return dpdk_mbuf_of(p);
}

struct pkt *
dpdk_mbuf_pkt(const void *mbuf)
{
	return rte_mbuf_to_priv((struct rte_mbuf *)(uintptr_t)mbuf);
}

/* All or nothing in DPDK: ask for less when the mempool runs low. */
static unsigned int
dpdk_pool_get(void *arg, struct pkt **pkts, unsigned int n)
{
	struct dpdk_pool *dp = arg;
	struct rte_mbuf **ms = (struct rte_mbuf **)pkts;

	while (n && rte_pktmbuf_alloc_bulk(dp->mp, ms, n) != 0)
		n /= 2;
	for (unsigned int i = 0; i < n; i++)
		pkts[i] = rte_mbuf_to_priv(ms[i]);
	return n;
}

static void
dpdk_pool_put(void *arg, struct pkt *const *pkts, unsigned int n)
{
	struct rte_mbuf *ms[64];

	(void)arg;
	while (n) {
		unsigned int k = n < 64 ? n : 64;

		for (unsigned int i = 0; i < k; i++)
			ms[i] = dpdk_mbuf_of(pkts[i]);
		rte_pktmbuf_free_bulk(ms, k);
		pkts += k;
		n -= k;
	}
}

static const struct pkt_pool_ext_ops dpdk_pool_ops = {
	.get = dpdk_pool_get,
	.put = dpdk_pool_put,
};

/* Once per mbuf at create: its struct pkt points at its buffer for good. */
static void
dpdk_pool_init_pkt(struct rte_mempool *mp, void *opaque, void *obj, unsigned int idx)
{
	struct rte_mbuf *m = obj;
	struct pkt *p = rte_mbuf_to_priv(m);

	(void)mp;
	(void)opaque;
	(void)idx;
	memset(p, 0, sizeof(*p));
	p->buf = m->buf_addr;
	p->buf_size = m->buf_len;
	p->in_pool = 1;
}

int
dpdk_pool_create(unsigned int id, unsigned int n_mbufs, uint32_t data_room, struct pkt_pool **poolp)
{
	/* A whole number of cache lines, so the buffer, its headroom and the frame's first
	 * bytes start on a line as in an mbuf without a private area (a 56-byte struct pkt
	 * would put the Ethernet header across two lines). */
	uint16_t priv = RTE_ALIGN_CEIL(sizeof(struct pkt), RTE_CACHE_LINE_SIZE);
	char name[RTE_MEMPOOL_NAMESIZE];
	struct dpdk_pool *dp;
	int err;

	if (!dpdk_ready)
		return -ENODEV;
	if (!n_mbufs)
		n_mbufs = DPDK_POOL_MBUFS_DEFAULT;
	if (!data_room)
		data_room = DPDK_DATA_ROOM_DEFAULT;
	if (data_room < PKT_DATA_MIN_BYTES || data_room > UINT16_MAX - RTE_PKTMBUF_HEADROOM ||
	    n_mbufs < 2 * DPDK_POOL_CACHE_PKTS)
		return -EINVAL;
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	snprintf(name, sizeof(name), "nb_pool_%u", id);
	dp->mp = rte_pktmbuf_pool_create(name, n_mbufs, RTE_MEMPOOL_CACHE_MAX_SIZE, priv,
					 (uint16_t)(data_room + RTE_PKTMBUF_HEADROOM),
					 (int)rte_socket_id());
	if (!dp->mp) {
		err = rte_errno ? -rte_errno : -ENOMEM;
		free(dp);
		return err;
	}
	rte_mempool_obj_iter(dp->mp, dpdk_pool_init_pkt, NULL);
	err = pkt_pool_create_ext(DPDK_POOL_CACHE_PKTS, data_room + RTE_PKTMBUF_HEADROOM,
				  &dpdk_pool_ops, dp, &dp->pool);
	if (err) {
		rte_mempool_free(dp->mp);
		free(dp);
		return err;
	}
	for (unsigned int i = 0; i < sizeof(dpdk_pools) / sizeof(dpdk_pools[0]); i++) {
		if (!dpdk_pools[i]) {
			dpdk_pools[i] = dp;
			break;
		}
	}
	*poolp = dp->pool;
	return 0;
}

void *
dpdk_rx_mempool(void)
{
	for (unsigned int i = 0; i < sizeof(dpdk_pools) / sizeof(dpdk_pools[0]); i++)
		if (dpdk_pools[i])
			return dpdk_pools[i]->mp;
	return NULL;
}

bool
dpdk_pool_is_mbuf(const struct pkt_pool *pool)
{
	return pool && pkt_pool_ext_ops(pool) == &dpdk_pool_ops;
}

void *
dpdk_pool_mempool(const struct pkt_pool *pool)
{
	struct dpdk_pool *dp;

	if (!dpdk_pool_is_mbuf(pool))
		return NULL;
	dp = pkt_pool_ext_arg(pool);
	return dp->mp;
}

void
dpdk_pool_destroy(struct pkt_pool *pool)
{
	struct dpdk_pool *dp;

	if (!dpdk_pool_is_mbuf(pool))
		return;
	dp = pkt_pool_ext_arg(pool);
	for (unsigned int i = 0; i < sizeof(dpdk_pools) / sizeof(dpdk_pools[0]); i++)
		if (dpdk_pools[i] == dp)
			dpdk_pools[i] = NULL;
	pkt_pool_destroy(pool); /* puts the cached mbufs back first */
	rte_mempool_free(dp->mp);
	free(dp);
}

/* ---- the lcore engine -------------------------------------------------------------------- */

int
dpdk_engine_set_data_room(uint32_t bytes)
{
	if (bytes < PKT_DATA_MIN_BYTES || bytes > DPDK_DATA_ROOM_MAX)
		return -EINVAL;
	dpdk_data_room = bytes;
	return 0;
}

uint32_t
dpdk_engine_data_room(void)
{
	return dpdk_data_room;
}

static int
dpdk_engine_pool_create(void *arg, unsigned int id, struct pkt_pool **poolp)
{
	uint64_t n = (uint64_t)DPDK_POOL_MBUFS_DEFAULT * DPDK_DATA_ROOM_DEFAULT / dpdk_data_room;

	(void)arg;
	if (n > DPDK_POOL_MBUFS_DEFAULT)
		n = DPDK_POOL_MBUFS_DEFAULT;
	if (n < DPDK_POOL_MBUFS_MIN)
		n = DPDK_POOL_MBUFS_MIN;
	return dpdk_pool_create(id, (unsigned int)n, dpdk_data_room, poolp);
}

static void
dpdk_engine_pool_destroy(void *arg, unsigned int id, struct pkt_pool *pool)
{
	(void)arg;
	(void)id;
	dpdk_pool_destroy(pool);
}

static int
dpdk_engine_launch(void *arg, unsigned int id, int (*fn)(void *), void *fn_arg)
{
	(void)arg;
	if (id >= dpdk_n_workers)
		return -EINVAL;
	return rte_eal_remote_launch(fn, fn_arg, (unsigned int)dpdk_worker_lcores[id]);
}

static void
dpdk_engine_join(void *arg, unsigned int id)
{
	(void)arg;
	if (id < dpdk_n_workers)
		rte_eal_wait_lcore((unsigned int)dpdk_worker_lcores[id]);
}

static uint64_t
dpdk_engine_cycles(void)
{
	return rte_rdtsc();
}

int
dpdk_engine_switch_cfg(unsigned int max_workers, struct vsw_switch_cfg *cfg)
{
	unsigned int lcore;

	if (!dpdk_ready)
		return -ENODEV;
	dpdk_n_workers = 0;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (dpdk_n_workers >= VSW_WORKERS_MAX ||
		    (max_workers && dpdk_n_workers >= max_workers))
			break;
		dpdk_worker_lcores[dpdk_n_workers++] = (int)lcore;
	}
	if (!dpdk_n_workers)
		return -ENODEV;
	memset(cfg, 0, sizeof(*cfg));
	cfg->n_workers = dpdk_n_workers;
	cfg->pool_create = dpdk_engine_pool_create;
	cfg->pool_destroy = dpdk_engine_pool_destroy;
	cfg->launch = dpdk_engine_launch;
	cfg->join = dpdk_engine_join;
	cfg->busy_poll = true;
	cfg->cycles = dpdk_engine_cycles;
	return 0;
}

unsigned int
dpdk_engine_n_workers(void)
{
	return dpdk_n_workers ? dpdk_n_workers : 1;
}

int
dpdk_engine_worker_lcore(unsigned int id)
{
	return id < dpdk_n_workers ? dpdk_worker_lcores[id] : -1;
}

uint64_t
dpdk_tsc_hz(void)
{
	return dpdk_ready ? rte_get_tsc_hz() : 0;
}
