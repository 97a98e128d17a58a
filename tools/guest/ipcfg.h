/* SPDX-License-Identifier: MIT */
/*
 * ipcfg.h - the IPv4 configuration of a simulated guest's interfaces: parsed from the
 * domain's kernel command line (xl's extra=) or from the backend's "ip" key of a vif, and
 * turned into the iproute2 commands that apply it.
 *
 * Contract:
 * - Purpose: nb-guest configures each TAP (eth<devid>) once its vif is connected, as a Linux
 *   guest would at boot. Accepted command-line forms (whitespace-separated words, the last
 *   ip= wins, unknown words are ignored as the kernel ignores foreign parameters):
 *     kernel:    ip=<client>:<server>:<gw>:<netmask>:<host>:<dev>:<autoconf>[:dns0:dns1:ntp0]
 *                (Documentation/admin-guide/nfs/nfsroot.rst; any field may be empty, dev
 *                defaults to eth0, an empty netmask is the classful one as ipconfig.c derives)
 *     installer: ip=A[/PREFIX] [netmask=M] [gateway=G] (Debian installer preseeding; applies
 *                to eth0; without netmask or prefix the classful mask)
 *     either:    ip=dhcp|on|any|both|bootp|rarp (autoconfiguration: reported as DHCP) or
 *                ip=off|none (explicitly no configuration)
 *   The backend "ip" key is a space-separated list (libxl); its first address is used.
 *   Only IPv4 is understood.
 * - Input is untrusted: every field is validated (dotted quads only, contiguous netmasks,
 *   prefix 0..32, bounded lengths); errors never leave a partly filled result in use.
 * - Ownership: plain values; no allocation. Threading: pure functions, any thread.
 * - Errors: 0 or -errno (-EINVAL for malformed input, -ENOSPC when an output buffer is too
 *   small); nb_ipcfg_cmds() returns a count.
 */
#ifndef NB_IPCFG_H
#define NB_IPCFG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

/* Interface names as the kernel bounds them (IFNAMSIZ with the NUL). */
#define NB_IPCFG_DEV_SIZE 16u
/* Host names (RFC 1035 label limit of the kernel's utsname is 64 with the NUL). */
#define NB_IPCFG_HOST_SIZE 65u
/* Longest command line or key value accepted (a Linux kernel command line is <= 4096). */
#define NB_IPCFG_INPUT_MAX 4096u
/* Most commands nb_ipcfg_cmds() produces, and most words in one of them. */
#define NB_IPCFG_MAX_CMDS 2u
#define NB_IPCFG_MAX_ARGS 12u
/* Size of each word buffer of a command. */
#define NB_IPCFG_ARG_SIZE 32u

enum nb_ipcfg_mode {
	NB_IPCFG_NONE = 0, /* nothing said: fall back to the next source */
	NB_IPCFG_OFF,	   /* ip=off/none: leave the interface unconfigured */
	NB_IPCFG_STATIC,   /* address, prefix and optional gateway */
	NB_IPCFG_DHCP,	   /* autoconfiguration requested */
};

struct nb_ipcfg {
	enum nb_ipcfg_mode mode;
	char dev[NB_IPCFG_DEV_SIZE];	   /* interface it applies to */
	struct in_addr addr;		   /* STATIC: the address */
	unsigned int prefix_len;	   /* STATIC: 0..32 */
	bool has_gw;			   /* a default route via 'gw' */
	struct in_addr gw;		   /* gateway */
	char hostname[NB_IPCFG_HOST_SIZE]; /* kernel form's <host>, may be empty */
};

/* One command: argv[0..argc-1] point into 'words', argv[argc] is NULL. */
struct nb_ipcfg_cmd {
	unsigned int argc;
	char *argv[NB_IPCFG_MAX_ARGS + 1];
	char words[NB_IPCFG_MAX_ARGS][NB_IPCFG_ARG_SIZE];
};

/*
 * Parses a kernel command line 'cmdline' (may be NULL or empty: mode NONE) into '*cfg'.
 * Returns 0 (mode NONE when there is no ip=), or -EINVAL for a malformed ip=, netmask= or
 * gateway= (then '*cfg' is mode NONE).
 */
int nb_ipcfg_parse_cmdline(const char *cmdline, struct nb_ipcfg *cfg);

/*
 * Parses a backend "ip" key 'value' for interface 'dev': the first address of the list,
 * "A" or "A/PREFIX"; without a prefix /24 is assumed (see ipcfg.c). An empty list gives
 * mode NONE. Returns 0 or -EINVAL (then '*cfg' is mode NONE).
 */
int nb_ipcfg_parse_backend_ip(const char *value, const char *dev, struct nb_ipcfg *cfg);

/* Whether 'cfg' says something (any mode but NONE) about interface 'dev'. */
bool nb_ipcfg_applies(const struct nb_ipcfg *cfg, const char *dev);

/* Parses a dotted quad netmask; it must be contiguous. Returns 0 with '*prefixp', or -EINVAL. */
int nb_ipcfg_netmask_to_prefix(const char *mask, unsigned int *prefixp);

/*
 * Writes the iproute2 invocations (argv[0] = "ip") that apply a STATIC 'cfg' to its device:
 * "ip -4 addr replace A/P dev D" and, with a gateway, "ip -4 route replace default via G dev
 * D onlink" (onlink so a gateway outside the prefix still works, as the kernel's ipconfig
 * sets it). Returns the number of commands (0 for any mode but STATIC) or -EINVAL.
 */
int nb_ipcfg_cmds(const struct nb_ipcfg *cfg, struct nb_ipcfg_cmd cmds[NB_IPCFG_MAX_CMDS]);

/* One line for logs and XenStore: "off", "dhcp", "A/P" or "A/P via G". Returns 0 or
 * -ENOSPC. */
int nb_ipcfg_describe(const struct nb_ipcfg *cfg, char *buf, size_t size);

#endif
