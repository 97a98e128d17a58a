/* SPDX-License-Identifier: MIT */
/*
 * dpdk.h - the DPDK engine: EAL set-up from an argument string, mbuf-backed packet pools, and
 * the switch configuration that runs the switch's workers (vswitch/switch.c) on EAL lcores.
 *
 * Contract:
 * - dpdk_eal_init() runs rte_eal_init() once per process with the arguments of a string
 *   (split at white space, no quoting), e.g. "-l 0-1 --no-huge --no-pci -m 512
 *   --file-prefix=nb1 --vdev=net_ring0". dpdk_eal_fini() runs rte_eal_cleanup() and removes
 *   the EAL runtime directory it used (unless that is the shared default prefix "rte"), so
 *   a test leaves nothing behind. The telemetry socket stays as EAL makes it (in that
 *   runtime directory) while the process runs. No other header of ours includes DPDK's.
 * - Pools: dpdk_pool_create() makes one rte_mempool of mbufs and an external packet pool
 *   (pkt.h, pkt_pool_create_ext) in front of it. Every mbuf carries its struct pkt in its
 *   private area (priv_size) and pkt->buf is the mbuf's buffer (buf_addr, buf_len bytes,
 *   RTE_PKTMBUF_HEADROOM == PKT_HEADROOM_BYTES of headroom), so a frame goes from a device to
 *   the modes and back to a device without being copied. The data room is fixed at create
 *   (DPDK_DATA_ROOM_DEFAULT unless dpdk_engine_set_data_room(), e.g. 9216 for jumbo frames:
 *   memory is scarce without hugepages): a frame longer than that, such as a 64 KiB GSO
 *   frame (more than any mbuf holds), cannot be held and is dropped with a counter where it would
 *   have been made (RX_TOO_BIG / RX_NOBUF); it is never segmented here. The mempool is
 *   multi-thread safe; the packet pool in front of it belongs to one worker (pkt.h rules).
 * - dpdk_pkt_mbuf() / dpdk_mbuf_pkt() map between the two views of a packet of such a pool.
 * - Engine: dpdk_engine_switch_cfg() fills a struct vsw_switch_cfg with one worker per EAL
 *   worker lcore (in lcore order; the main lcore stays the control thread), each with its
 *   own mbuf pool, launched with rte_eal_remote_launch() and joined with
 *   rte_eal_wait_lcore(), busy polling, cycles from the TSC (rte_rdtsc).
 * - Control thread only, except dpdk_pkt_mbuf/dpdk_mbuf_pkt/dpdk_pool_is_mbuf (any). Functions
 *   return 0 or -errno.
 */
#ifndef DPDK_DPDK_H
#define DPDK_DPDK_H

#include <stdbool.h>
#include <stdint.h>

#include "vswitch/pkt.h"
#include "vswitch/switch.h"

/* Mbufs per worker pool, and the data room (bytes after the headroom) of each. */
#define DPDK_POOL_MBUFS_DEFAULT 16384
#define DPDK_DATA_ROOM_DEFAULT	2048
#define DPDK_DATA_ROOM_MAX	(UINT16_MAX - PKT_HEADROOM_BYTES) /* an mbuf's buf_len is 16 bits */
#define DPDK_POOL_MBUFS_MIN	2048
/* Entries of the packet pool's free stack in front of the mempool. */
#define DPDK_POOL_CACHE_PKTS 512
#define DPDK_EAL_ARGS_MAX    64

/* Runs rte_eal_init() with the words of 'args'. -EALREADY if done, -E2BIG for more than
 * DPDK_EAL_ARGS_MAX words, -EINVAL (or EAL's rte_errno) if EAL refuses them. */
int dpdk_eal_init(const char *args);

/* Whether dpdk_eal_init() succeeded (and dpdk_eal_fini() has not run). */
bool dpdk_eal_ready(void);

/* rte_eal_cleanup() and removal of the runtime directory (see the contract). */
void dpdk_eal_fini(void);

/* Creates the mbuf pool named after 'id' (n_mbufs mbufs, 'data_room' bytes each; 0 for the
 * defaults) and its packet pool. */
int dpdk_pool_create(unsigned int id, unsigned int n_mbufs, uint32_t data_room,
		     struct pkt_pool **poolp);

/* Frees the packet pool and its mempool; every mbuf must be back in it. NULL ok. */
void dpdk_pool_destroy(struct pkt_pool *pool);

/* The mempool of the first pool made and not destroyed (rx queues draw from it), or NULL. */
void *dpdk_rx_mempool(void);

/* Whether 'pool' is an mbuf-backed pool made by dpdk_pool_create(). */
bool dpdk_pool_is_mbuf(const struct pkt_pool *pool);

/* The rte_mempool behind an mbuf-backed pool (as void *: callers need no DPDK header). */
void *dpdk_pool_mempool(const struct pkt_pool *pool);

/* The rte_mbuf holding 'p' (a packet of an mbuf-backed pool), and back. */
void *dpdk_pkt_mbuf(const struct pkt *p);
struct pkt *dpdk_mbuf_pkt(const void *mbuf);

/* Fills 'cfg' for vsw_switch_create_cfg(): one worker per EAL worker lcore, at most
 * 'max_workers' (0: all). -ENODEV if EAL is not initialised or has no worker lcore. */
int dpdk_engine_switch_cfg(unsigned int max_workers, struct vsw_switch_cfg *cfg);

/* The data room of the engine's pools (dpdk_engine_switch_cfg), set before that call:
 * PKT_DATA_MIN_BYTES..DPDK_DATA_ROOM_MAX bytes, else -EINVAL. A pool of a bigger room has
 * proportionally fewer mbufs (DPDK_POOL_MBUFS_DEFAULT * DPDK_DATA_ROOM_DEFAULT / bytes, at
 * least DPDK_POOL_MBUFS_MIN), so it takes about the memory of the default. */
int dpdk_engine_set_data_room(uint32_t bytes);
uint32_t dpdk_engine_data_room(void);

/* Workers of the engine (dpdk_engine_switch_cfg), 1 before that: each "dpdk" port opens a
 * queue pair per worker where the device has them. */
unsigned int dpdk_engine_n_workers(void);

/* The lcore worker 'id' runs on (-1 if none), and the TSC rate in Hz. */
int dpdk_engine_worker_lcore(unsigned int id);
uint64_t dpdk_tsc_hz(void);

#endif
