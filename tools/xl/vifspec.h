/* SPDX-License-Identifier: MIT */
/*
 * vifspec.h - parser for xl's vif specification strings ("mac=...,bridge=...,rate=...").
 *
 * Contract
 *
 * Purpose: turn one vif spec, as written in an xl domain config (`vif = [ '<spec>', ... ]`)
 * or given to `nbctl network-attach DOMAIN SPEC`, into a validated `struct nb_vifspec`,
 * and render the XenStore keys the toolstack writes for it (libxl's
 * libxl__device_generic_add() + libxl__set_xenstore_nic()) as plain data. Nothing here
 * touches XenStore, the network or the clock; randomness for the default MAC comes from
 * the caller so results are reproducible.
 *
 * Grammar (xl-network-configuration(5), xl_parse.c parse_nic_config()): comma-separated
 * tokens, each `key=value` or a bare flag. Empty tokens are skipped (xl uses strtok).
 * Blanks around a token, and, more leniently than xl, around the '=', are ignored.
 * A key given twice keeps the last value, as in xl. Keys:
 *   mac=        six two-digit hex octets separated by ':' (either case); unicast, non-zero
 *   bridge=     network to join (default "xenbr0"); [A-Za-z0-9_.:-], at most 64 chars
 *   gatewaydev= interface for vif-route; `netdev=` is accepted as its deprecated alias
 *   ip=         one or more IPv4/IPv6 addresses, blank-separated, each with optional /prefix
 *   script=     hotplug script; relative names are taken from the script directory
 *   vifname=    backend interface name (Linux interface name rules, at most 15 chars)
 *   rate=       RATE/s[@INTERVAL], libxlu_vif.c grammar (see below)
 *   mtu=        68..65535 (default 1500)
 *   backend=    backend domain, a name or a domain id (default 0)
 *   devid=      0..65535, so "vif<domid>.<devid>" fits a Linux interface name
 *   vlan=       terms separated by '/': N[p|u], N-M[u], N+STEPxCOUNT[u]; ids 1..4094, no
 *               duplicates, at most one 'p' (PVID), and a PVID is required when more than
 *               one id is given (a single id is the PVID); COUNT is the number of ids, as
 *               the vif-bridge script counts (the man page's "additional entries" is wrong);
 *               numbers take no leading zeros (the script's bash arithmetic reads octal)
 *   trusted, untrusted   flags for the frontend's `trusted` key (default trusted)
 *   type=vif|ioemu, model=, accel=, forwarddev=, colo_*=   accepted and ignored; each
 *               ignored key (and the deprecated `netdev`) is reported once in 'notices'
 * Any other key is an error.
 *
 * Rate: RATE is 1..4294967295 followed by B, KB, MB, GB (bytes) or b, Kb, Mb, Gb (bits,
 * divided by 8 after scaling), then "/s"; K/M/G are powers of 1000. INTERVAL is
 * 1..4294967295 followed by s or nothing (seconds), ms, m, us or u, at most
 * 4294967295 us once scaled; default 50 ms. bytes_per_interval = bytes_per_sec *
 * interval_us / 1000000, computed in 64 bits exactly as libxlu_vif.c does. Two
 * deliberate differences, both rejections of input libxl would take: numbers with a
 * leading zero (libxl reads "010" as octal through strtoull(..., 0)) and rates that
 * come out as 0 bytes per interval (which would block the vif for good).
 *
 * Ownership: every struct here is plain data with fixed-size buffers; nothing to free.
 * Threading: no shared state; all functions are reentrant.
 * Errors: functions return 0 or -errno. Parse errors are -EINVAL with one message in
 * 'err->msg' of the form "KEY: expected X, found 'Y'" (or "expected X, found 'Y'") and
 * 'err->col', the 1-based column in the spec of the offending text; callers print
 * "<where>:<col>: <msg>".
 */
#ifndef NB_VIFSPEC_H
#define NB_VIFSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NB_VIFSPEC_TEXT_MAX	   4096 /* longest spec accepted, bytes (XenStore payload) */
#define NB_VIFSPEC_BRIDGE_MAX	   64
#define NB_VIFSPEC_IFNAME_MAX	   15 /* Linux IFNAMSIZ - 1 */
#define NB_VIFSPEC_SCRIPT_MAX	   255
#define NB_VIFSPEC_BACKEND_MAX	   64
#define NB_VIFSPEC_IPS_MAX	   16 /* addresses in one ip= */
#define NB_VIFSPEC_IP_TEXT_MAX	   1023
#define NB_VIFSPEC_RATE_TEXT_MAX   63
#define NB_VIFSPEC_VLAN_TEXT_MAX   255
#define NB_VIFSPEC_NOTICES_MAX	   8
#define NB_VIFSPEC_DEVID_MAX	   65535
#define NB_VIFSPEC_DOMID_MAX	   32751 /* DOMID_FIRST_RESERVED - 1 */
#define NB_VIFSPEC_MTU_DEFAULT	   1500
#define NB_VIFSPEC_MTU_MIN	   68
#define NB_VIFSPEC_MTU_MAX	   65535
#define NB_VIFSPEC_RATE_DEFAULT_US 50000
#define NB_VIFSPEC_DEFAULT_BRIDGE  "xenbr0"
#define NB_VIFSPEC_DEFAULT_SCRIPT  "vif-bridge"
#define NB_VIFSPEC_SCRIPT_DIR	   "/etc/xen/scripts" /* Debian's XEN_SCRIPT_DIR */

struct nb_vifspec_ip {
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network order; IPv4 uses the first 4 bytes */
	int prefix;	  /* 0..32 / 0..128, or -1 when no /prefix was given */
};

/* A key that was accepted but has no effect here; 'key' and 'why' are static strings. */
struct nb_vifspec_notice {
	const char *key;
	const char *why;
};

struct nb_vifspec {
	bool has_mac;
	uint8_t mac[6];
	char bridge[NB_VIFSPEC_BRIDGE_MAX + 1];	    /* "" = default */
	char gatewaydev[NB_VIFSPEC_IFNAME_MAX + 1]; /* "" = none */
	char script[NB_VIFSPEC_SCRIPT_MAX + 1];	    /* "" = default */
	char vifname[NB_VIFSPEC_IFNAME_MAX + 1];    /* "" = vif<domid>.<devid> */
	char ip[NB_VIFSPEC_IP_TEXT_MAX + 1];	    /* addresses joined by one blank */
	unsigned n_ips;
	struct nb_vifspec_ip ips[NB_VIFSPEC_IPS_MAX];
	bool has_rate;
	char rate[NB_VIFSPEC_RATE_TEXT_MAX + 1]; /* as given, e.g. "1MB/s@20ms" */
	uint64_t rate_bytes_per_interval;
	uint32_t rate_interval_us;
	unsigned mtu;				  /* NB_VIFSPEC_MTU_DEFAULT unless given */
	char backend[NB_VIFSPEC_BACKEND_MAX + 1]; /* as given; "" = domain 0 */
	bool backend_is_id;			  /* 'backend' was a number, see below */
	uint32_t backend_domid;			  /* valid when backend_is_id or backend is "" */
	int devid;				  /* -1 until given or assigned by the caller */
	bool trusted;				  /* default true */
	char vlan[NB_VIFSPEC_VLAN_TEXT_MAX + 1];  /* as given; "" = none */
	uint16_t vlan_pvid;			  /* 0 when no vlan */
	unsigned n_vlans;			  /* VLAN ids the spec expands to */
	unsigned n_notices;
	struct nb_vifspec_notice notices[NB_VIFSPEC_NOTICES_MAX];
};

struct nb_vifspec_err {
	unsigned col;  /* 1-based column of the offending text in the spec, 0 if none */
	char msg[512]; /* one line, no location prefix */
};

/* Fills 'spec' with the defaults of an empty spec (the man page's '' example). */
void nb_vifspec_init(struct nb_vifspec *spec);

/*
 * Parses the NUL-terminated 'text' into 'spec' (which is initialised first).
 * Returns 0, or -EINVAL with 'err' filled ('err' may be NULL).
 */
int nb_vifspec_parse(const char *text, struct nb_vifspec *spec, struct nb_vifspec_err *err);

/*
 * Parses one RATE/s[@INTERVAL] value as libxl does. Returns 0 with the two results, or
 * -EINVAL (bad syntax, zero) / -EOVERFLOW (out of range) with 'err' filled; 'err->col'
 * is relative to 'text'.
 */
int nb_vifspec_parse_rate(const char *text, uint64_t *bytes_per_interval, uint32_t *interval_us,
			  struct nb_vifspec_err *err);

/*
 * Gives 'spec' a MAC in Xen's OUI the way libxl does, 00:16:3e:(r0 & 0x7f):r1:r2, from
 * three caller-supplied random bytes. Does nothing if the spec already has a MAC.
 */
void nb_vifspec_default_mac(struct nb_vifspec *spec, const uint8_t random[3]);

/* Writes "aa:bb:cc:dd:ee:ff" (lower case, as libxl's LIBXL_MAC_FMT) into 'buf' (>= 18). */
void nb_vifspec_format_mac(const uint8_t mac[6], char *buf, size_t size);

/*
 * Writes a canonical spec that parses back to the same 'spec' (keys in a fixed order,
 * defaults omitted). Returns the length, or -ENOSPC if 'size' is too small.
 */
int nb_vifspec_format(const struct nb_vifspec *spec, char *buf, size_t size);

/* Which XenStore directory a rendered key belongs in. */
enum nb_vifspec_xs_dir {
	NB_VIFSPEC_XS_BACKEND,	   /* backend dir: owned by the backend domain, guest reads */
	NB_VIFSPEC_XS_FRONTEND,	   /* frontend dir: owned by the guest, backend reads */
	NB_VIFSPEC_XS_FRONTEND_RO, /* frontend dir, but read-only for the guest (mtu) */
};

#define NB_VIFSPEC_XS_MAX	24
#define NB_VIFSPEC_XS_VALUE_MAX 1024
#define NB_VIFSPEC_XS_PATH_MAX	96

struct nb_vifspec_xs_kv {
	enum nb_vifspec_xs_dir dir;
	const char *key; /* static string, relative to the dir */
	char value[NB_VIFSPEC_XS_VALUE_MAX];
};

struct nb_vifspec_xs {
	char backend_path[NB_VIFSPEC_XS_PATH_MAX];  /* /local/domain/B/backend/vif/D/N */
	char frontend_path[NB_VIFSPEC_XS_PATH_MAX]; /* /local/domain/D/device/vif/N */
	unsigned n;
	struct nb_vifspec_xs_kv kv[NB_VIFSPEC_XS_MAX];
};

/*
 * Renders the keys libxl writes when it adds the vif 'spec' to domain 'domid' served by
 * 'backend_domid' (the caller resolves a backend name), in libxl's order. 'script_dir'
 * is where relative script names live (NULL = NB_VIFSPEC_SCRIPT_DIR; must be absolute).
 * Backend: frontend, frontend-id, online, state, script, [vifname], mac, [ip],
 * [gatewaydev], [rate], [mtu if != 1500], [vlan], bridge, handle, type, hotplug-status
 * (empty, so the backend waits for the hotplug script). Frontend: backend, backend-id,
 * state, handle, mac, trusted; read-only frontend: mtu.
 * Returns 0, or -EINVAL if the spec has no MAC or devid yet, an id is out of range,
 * 'script_dir' is not absolute or a value does not fit.
 */
int nb_vifspec_render_xs(const struct nb_vifspec *spec, uint32_t domid, uint32_t backend_domid,
			 const char *script_dir, struct nb_vifspec_xs *out);

#endif
