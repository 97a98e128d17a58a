/* SPDX-License-Identifier: MIT */
/*
 * netcfg.h - what `nbctl net-create` asks for, turned into what netbackd builds: the switch
 * mode and its arguments, the host port and its address, the uplink, and for the nat mode the
 * DHCP range (dnsmasq) and the kernel or fast-path NAT. Pure parsing and arithmetic, so it is
 * unit-tested; netbackd does the building. Errors: 0 or -errno with one message in 'err'.
 *
 *   --mode bridge   [--host-port IF --address CIDR] [--uplink IF]
 *   --mode hostonly --host-port IF --address CIDR
 *   --mode isolated
 *   --mode route    --address GW/PREFIX [--host-port IF [--host-address A]] --uplink IF
 *                   --uplink-address CIDR [--uplink-gateway IP] [--proxy-arp] [--follow-kernel]
 *   --mode nat      --subnet CIDR [--host-port IF] --nat kernel --uplink IF
 *   --mode nat      --subnet CIDR [--host-port IF] --nat fastpath --uplink IF
 *                   --uplink-address CIDR [--uplink-gateway IP]
 * plus, for every mode, [--mtu N] [--aging S] [--max-macs N] [--workers N] (how many
 * workers serve the network at once: switch.h "spread networks"), and with --uplink (not with
 * --nat kernel) [--uplink-type af_packet|af_xdp] (default af_packet; af_xdp falls back to
 * af_packet in netbackd when XDP cannot be used there) and [--uplink-guard] (the XDP uplink
 * guard, vswitch/xdpguard.h; netbackd runs without it when it cannot be attached).
 */
#ifndef NB_NETCFG_H
#define NB_NETCFG_H

#include <stdbool.h>
#include <stdint.h>

#define NB_NETCFG_IFNAME_MAX  15
#define NB_NETCFG_ARGS_MAX    512
#define NB_NETCFG_WORKERS_MAX 64

enum nb_netcfg_nat {
	NB_NETCFG_NAT_NONE,
	NB_NETCFG_NAT_KERNEL,	/* nftables masquerade in dom0's kernel */
	NB_NETCFG_NAT_FASTPATH, /* NAT44 in the switch */
};

struct nb_netcfg {
	char name[33];
	char mode[16];				  /* as asked: bridge, route, nat, ... */
	char switch_mode[16];			  /* the switch mode that implements it */
	char switch_args[NB_NETCFG_ARGS_MAX];	  /* its arguments */
	char host_port[NB_NETCFG_IFNAME_MAX + 1]; /* "" if none */
	char host_address[64];			  /* CIDR given to the host port, "" if none */
	char uplink[NB_NETCFG_IFNAME_MAX + 1];	  /* "" if none */
	char uplink_address[64];		  /* CIDR the switch owns on the uplink */
	char uplink_type[16];			  /* port class asked for: af_packet, af_xdp */
	bool uplink_guard;			  /* --uplink-guard */
	enum nb_netcfg_nat nat;
	char subnet[64];				   /* nat: the private subnet */
	char dhcp_first[16], dhcp_last[16], dhcp_mask[16]; /* nat: dnsmasq's range */
	char gateway[16];				   /* nat: the subnet's first address */
	unsigned int mtu;				   /* 0 = default */
	unsigned int workers;				   /* 1..NB_NETCFG_WORKERS_MAX */
};

/* Parses net-create's arguments (argv[0] is the network name). */
int nb_netcfg_parse(int argc, char **argv, struct nb_netcfg *cfg, char *err, unsigned int size);

#endif
