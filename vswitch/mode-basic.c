/* SPDX-License-Identifier: MIT */
/*
 * mode-basic.c - the hostonly and isolated modes (see mode-basic.h): the bridge's code with a
 * role policy chosen at create time; every other mode member is the bridge's own.
 */
#include "vswitch/mode-basic.h"

#include "vswitch/bridge.h"

static const struct vsw_bridge_policy basic_hostonly_policy = {
	.roles = VSW_BRIDGE_ROLE(VSW_PORT_OTHER) | VSW_BRIDGE_ROLE(VSW_PORT_VIF) |
		 VSW_BRIDGE_ROLE(VSW_PORT_HOST),
	.vif_only = false,
};

static const struct vsw_bridge_policy basic_isolated_policy = {
	.roles = VSW_BRIDGE_ROLE(VSW_PORT_OTHER) | VSW_BRIDGE_ROLE(VSW_PORT_VIF),
	.vif_only = true,
};

static int
basic_hostonly_create(struct vsw_net *net, const char *args, void **statep)
{
	return vsw_bridge_create_policy(net, args, &basic_hostonly_policy, statep);
}

static int
basic_isolated_create(struct vsw_net *net, const char *args, void **statep)
{
	return vsw_bridge_create_policy(net, args, &basic_isolated_policy, statep);
}

/* The ops are the bridge's with another name and create; filled in at registration because a
 * static initializer cannot read vsw_mode_bridge's members. Sharing the bridge's process
 * also lets vsw_bridge_fdb() dump these networks. Control thread only. */
static struct vsw_mode_ops basic_hostonly_ops;
static struct vsw_mode_ops basic_isolated_ops;

static int
basic_register(struct vsw_mode_ops *ops, const char *name,
	       int (*create)(struct vsw_net *net, const char *args, void **statep))
{
	if (!ops->name) {
		*ops = vsw_mode_bridge;
		ops->name = name;
		ops->create = create;
	}
	return vsw_mode_register(ops);
}

int
vsw_mode_hostonly_register(void)
{
	return basic_register(&basic_hostonly_ops, "hostonly", basic_hostonly_create);
}

int
vsw_mode_isolated_register(void)
{
	return basic_register(&basic_isolated_ops, "isolated", basic_isolated_create);
}
