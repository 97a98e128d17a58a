/* SPDX-License-Identifier: MIT */
/*
 * mode-basic.h - the "hostonly" and "isolated" modes: learning bridges (bridge.h) with a port
 * role policy, Xen's dummy0 and pseudo-bridge network models.
 *
 * Contract:
 * - hostonly: guests (VIF), the host port (HOST) and test/capture ports (OTHER) may join; an
 *   UPLINK is refused with -EPERM, so nothing from the network can leave dom0 except through
 *   dom0's own stack. Forwarding is the bridge's.
 * - isolated: HOST and UPLINK ports are refused (-EPERM). Frames leave only through VIF
 *   ports: a flood reaches the other guests only, and a unicast frame whose learned
 *   destination is not a VIF is dropped and counted (MODE_DENIED) on the ingress port. So no
 *   frame reaches dom0 or an uplink whatever its destination, even if a port of another role
 *   were ever present.
 * - Mode arguments, FDB dumps (vsw_bridge_fdb) and threading: as the bridge's.
 * - Registration is on the control thread at start; returns 0 (also when already registered)
 *   or vsw_mode_register()'s -errno.
 */
#ifndef VSW_MODE_BASIC_H
#define VSW_MODE_BASIC_H

int vsw_mode_hostonly_register(void);
int vsw_mode_isolated_register(void);

#endif
