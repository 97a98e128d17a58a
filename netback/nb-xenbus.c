/* SPDX-License-Identifier: MIT */
/*
 * nb-xenbus.c - the XenStore side of netback: finds vifs under backend/vif, advertises
 * features, runs the hotplug script, follows the frontend's state and connects or tears down
 * the data path, the way Linux xen-netback's xenbus.c does (fact sheet §3.2-3.7):
 *
 *   new backend dir  -> features, InitWait (2), hotplug "online"
 *   fe Connected     -> read fe keys, map rings, bind channels, hand to a worker; Connected (4)
 *                       once hotplug-status says "connected"
 *   fe Closing       -> disconnect, Closing (5)      fe Closed -> Closed (6)
 *   fe Initialising after Closed -> InitWait again (frontend reset)
 *   online=0 (detach) -> Closing, then Closed when the frontend has closed; "offline" script
 *   backend dir gone  -> vif removed
 * Control errors are written to error/backend/vif/<domid>/<devid>/error as "<errno> <text>"
 * and the vif goes Closing (xenbus_dev_fatal). Runs on the control thread only.
 */
#include "netback/nb-hotplug.h"
#include "netback/nb-private.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xen/io/xenbus.h>
#include <xenstore.h>

#define NB_WATCH_BACKEND "nb-backend"
#define NB_WATCH_FE	 "nb-fe:"

static uint64_t
nb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Reads 'dir/key' as a NUL-terminated string into 'buf'; -ENOENT if absent, -E2BIG if long. */
static int
nb_xs_read(struct nb_backend *be, const char *dir, const char *key, char *buf, size_t size)
{
	char path[NB_VIF_PATH_MAX + 64];
	unsigned int len;
	char *v;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	v = xs_read(be->xs, XBT_NULL, path, &len);
	if (!v)
		return errno ? -errno : -ENOENT;
	if (len >= size || strlen(v) != len) {
		free(v);
		return -E2BIG;
	}
	memcpy(buf, v, len + 1);
	free(v);
	return 0;
}

/* Reads an unsigned decimal that must lie in [0, max]; hostile values are -EINVAL. */
static int
nb_xs_read_uint(struct nb_backend *be, const char *dir, const char *key, unsigned long max,
		unsigned long *out)
{
	char buf[32], *end;
	unsigned long v;
	int err;

	err = nb_xs_read(be, dir, key, buf, sizeof(buf));
	if (err)
		return err;
	if (buf[0] < '0' || buf[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A frontend feature flag: absent means 'dflt'; anything but "0"/"1" is treated as absent. */
static bool
nb_xs_read_flag(struct nb_backend *be, const char *dir, const char *key, bool dflt)
{
	unsigned long v;

	if (nb_xs_read_uint(be, dir, key, 1, &v))
		return dflt;
	return v == 1;
}

static int
nb_xs_write(struct nb_backend *be, const char *dir, const char *key, const char *fmt, ...)
{
	char path[NB_VIF_PATH_MAX + 64], val[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val))
		return -E2BIG;
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	if (!xs_write(be->xs, XBT_NULL, path, val, (unsigned int)n))
		return errno ? -errno : -EIO;
	return 0;
}

static void
nb_vif_switch_state(struct nb_vif *vif, int state)
{
	if (vif->state == state)
		return;
	if (nb_xs_write(vif->be, vif->be_path, "state", "%d", state) == 0)
		vif->state = state;
}

/* xenbus_dev_fatal(): report under error/backend/vif/... and go Closing. */
static void
nb_vif_report(struct nb_vif *vif, int err, const char *fmt, ...)
{
	char msg[200], dir[NB_VIF_PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(vif->error, sizeof(vif->error), "%d %s", err < 0 ? -err : err, msg);
	snprintf(dir, sizeof(dir), "/local/domain/%u/error/backend/vif/%u/%u", vif->be->domid,
		 vif->domid, vif->devid);
	nb_xs_write(vif->be, dir, "error", "%s", vif->error);
	fprintf(stderr, "netback: %s: %s\n", vif->name, vif->error);
	nb_vif_switch_state(vif, XenbusStateClosing);
}

/*
 * Reads the backend "rate" key ("<bytes>,<usecs>", libxl_nic.c) into the vif, as Linux's
 * xen_net_read_rate() and its watch do: absent means unlimited; a malformed value is
 * refused with a message and leaves the vif unlimited. The worker sees it on its next pass.
 */
static void
nb_vif_read_rate(struct nb_vif *vif)
{
	unsigned long long bytes = 0, usec = 0;
	char buf[64], tail;
	int err = nb_xs_read(vif->be, vif->be_path, "rate", buf, sizeof(buf));

	if (!err && (sscanf(buf, "%llu,%llu%c", &bytes, &usec, &tail) != 2 || bytes == 0 ||
		     usec == 0 || usec > 0xffffffffull || buf[0] == '-' || strchr(buf, '-'))) {
		fprintf(stderr, "netback: %s: ignoring malformed rate '%s' (want BYTES,USECS)\n",
			vif->name, buf);
		bytes = usec = 0;
	} else if (err) {
		bytes = usec = 0;
	}
	if (atomic_load(&vif->rate_bytes) != bytes || atomic_load(&vif->rate_usec) != usec) {
		atomic_store(&vif->rate_bytes, (uint64_t)bytes);
		atomic_store(&vif->rate_usec, (uint64_t)usec);
		if (usec)
			fprintf(stderr, "netback: %s: rate limit %llu bytes per %llu us\n",
				vif->name, bytes, usec);
		else
			fprintf(stderr, "netback: %s: no rate limit\n", vif->name);
	}
}

static void
nb_vif_clear_error(struct nb_vif *vif)
{
	char dir[NB_VIF_PATH_MAX];

	if (!vif->error[0])
		return;
	snprintf(dir, sizeof(dir), "/local/domain/%u/error/backend/vif/%u/%u", vif->be->domid,
		 vif->domid, vif->devid);
	xs_rm(vif->be->xs, XBT_NULL, dir);
	vif->error[0] = '\0';
}

/* The queues a frontend may ask for: min(NB_QUEUES_MAX, online CPUs), as Linux. */
static unsigned int
nb_max_queues(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1u : n > (long)NB_QUEUES_MAX ? NB_QUEUES_MAX : (unsigned int)n;
}

/* Whether the switch holds a whole GSO frame (XEN_NETIF_MAX_TX_SIZE bytes). */
static int
nb_backend_gso_ok(const struct nb_backend *be)
{
	return !be->cfg.max_frame || be->cfg.max_frame >= 0xffffu;
}

/* What Linux netback advertises, limited to what this backend implements. */
static int
nb_vif_advertise(struct nb_vif *vif)
{
	static const char *const features[][2] = {
		{ "feature-rx-copy", "1" },
		{ "feature-rx-flip", "0" },
		{ "feature-sg", "1" },
		{ "feature-ipv6-csum-offload", "1" },
		{ "feature-split-event-channels", "1" },
		{ "feature-ctrl-ring", "1" },
		{ "feature-multicast-control", "1" },
		{ "feature-dynamic-multicast-control", "1" },
	};
	size_t i;
	int err;

	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		err = nb_xs_write(vif->be, vif->be_path, features[i][0], "%s", features[i][1]);
		if (err)
			return err;
	}
	/* A GSO frame is up to 64 KiB: offered only when the switch's buffers hold that much
	 * (not the DPDK engine's mbufs); the frontend then segments by itself. */
	for (i = 0; i < 2; i++) {
		err = nb_xs_write(vif->be, vif->be_path,
				  i ? "feature-gso-tcpv6" : "feature-gso-tcpv4", "%d",
				  nb_backend_gso_ok(vif->be));
		if (err)
			return err;
	}
	err = nb_xs_write(vif->be, vif->be_path, "multi-queue-max-queues", "%u", nb_max_queues());
	if (err)
		return err;
	return 0;
}

static int
nb_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static void
nb_vif_start_hotplug(struct nb_vif *vif, const char *action)
{
	struct nb_backend *be = vif->be;
	struct nb_hotplug_req req = {
		.script = vif->script,
		.action = action,
		.vif = vif->name,
		.log_path = be->cfg.hotplug_log,
		.extra_env = be->cfg.script_env,
	};
	char xenbus_path[NB_VIF_PATH_MAX], gatewaydev[64];
	int err;

	if (!vif->script[0]) {
		if (!strcmp(action, "online")) {
			vif->hp_state = NB_HOTPLUG_FAILED;
			nb_vif_report(vif, -ENOENT, "no usable hotplug script");
		}
		return;
	}
	snprintf(xenbus_path, sizeof(xenbus_path), "backend/vif/%u/%u", vif->domid, vif->devid);
	req.xenbus_path = xenbus_path;
	if (nb_xs_read(be, vif->be_path, "gatewaydev", gatewaydev, sizeof(gatewaydev)))
		gatewaydev[0] = '\0';
	req.netdev = gatewaydev;
	err = nb_hotplug_start(&req, &vif->hp);
	if (err) {
		vif->hp = NULL;
		if (!strcmp(action, "online")) {
			vif->hp_state = NB_HOTPLUG_FAILED;
			nb_vif_report(vif, err, "running hotplug script %s", vif->script);
		}
		return;
	}
	vif->hp_action = action;
	vif->hp_deadline_ms = nb_now_ms() + (be->cfg.hotplug_timeout_ms ? be->cfg.hotplug_timeout_ms
									: NB_HOTPLUG_TIMEOUT_MS);
	if (!strcmp(action, "online"))
		vif->hp_state = NB_HOTPLUG_RUNNING;
}

/* Resolves the backend's "script" key: absolute paths as given, bare names in script_dir. */
static void
nb_vif_resolve_script(struct nb_vif *vif)
{
	char s[NB_VIF_PATH_MAX];
	const char *name;

	if (nb_xs_read(vif->be, vif->be_path, "script", s, sizeof(s)) || !s[0])
		snprintf(s, sizeof(s), "vif-bridge");
	if (s[0] == '/' && access(s, X_OK) == 0) {
		snprintf(vif->script, sizeof(vif->script), "%s", s);
		return;
	}
	/* libxl writes <XEN_SCRIPT_DIR>/vif-bridge; outside Xen take the name from our dir. */
	name = strrchr(s, '/') ? strrchr(s, '/') + 1 : s;
	if (snprintf(vif->script, sizeof(vif->script), "%s/%s",
		     vif->be->cfg.script_dir ? vif->be->cfg.script_dir : ".",
		     name) >= (int)sizeof(vif->script))
		vif->script[0] = '\0';
}

static struct nb_vif *
nb_vif_lookup(struct nb_backend *be, unsigned int domid, unsigned int devid)
{
	for (struct nb_vif *v = be->vifs; v; v = v->next)
		if (v->domid == domid && v->devid == devid)
			return v;
	return NULL;
}

static void
nb_vif_fe_watch(struct nb_vif *vif, bool on)
{
	char path[NB_VIF_PATH_MAX + 8], token[64], mpath[NB_VIF_PATH_MAX + 32];

	if (vif->fe_watched == on)
		return;
	snprintf(path, sizeof(path), "%s/state", vif->fe_path);
	/* Dynamic multicast control: the frontend may flip this key at any time. */
	snprintf(mpath, sizeof(mpath), "%s/request-multicast-control", vif->fe_path);
	snprintf(token, sizeof(token), NB_WATCH_FE "%u:%u", vif->domid, vif->devid);
	if (on) {
		vif->fe_watched = xs_watch(vif->be->xs, path, token);
		if (vif->fe_watched)
			xs_watch(vif->be->xs, mpath, token);
	} else {
		xs_unwatch(vif->be->xs, path, token);
		xs_unwatch(vif->be->xs, mpath, token);
		vif->fe_watched = false;
	}
}

/* Probe: a new backend directory (netback_probe + xenvif_alloc). */
static struct nb_vif *
nb_vif_probe(struct nb_backend *be, unsigned int domid, unsigned int devid)
{
	char expect[NB_VIF_PATH_MAX], buf[NB_VIF_PATH_MAX];
	unsigned long fe_id, be_st, fe_st;
	struct nb_vif *vif;
	int err;

	vif = calloc(1, sizeof(*vif));
	if (!vif)
		return NULL;
	vif->be = be;
	vif->domid = domid;
	vif->devid = devid;
	vif->state = XenbusStateInitialising;
	vif->fe_state = XenbusStateUnknown;
	vif->q.tx_port = vif->q.rx_port = -1;
	vif->timer_fd = vif->wait_ep = -1;
	atomic_init(&vif->disabled, false);
	atomic_init(&vif->disabled_reason, 0);
	snprintf(vif->be_path, sizeof(vif->be_path), "%s/%u/%u", be->base, domid, devid);
	snprintf(vif->name, sizeof(vif->name), "vif%u.%u", domid, devid);
	if (!nb_xs_read(be, vif->be_path, "vifname", buf, sizeof(buf)) && buf[0] &&
	    strlen(buf) < sizeof(vif->name))
		memcpy(vif->name, buf, strlen(buf) + 1);
	vif->next = be->vifs;
	be->vifs = vif;

	/* The toolstack's keys; the frontend must be where Xen puts it, for the right domain. */
	snprintf(expect, sizeof(expect), "/local/domain/%u/device/vif/%u", domid, devid);
	err = nb_xs_read(be, vif->be_path, "frontend", buf, sizeof(buf));
	if (!err && strcmp(buf, expect))
		err = -EINVAL;
	if (err) {
		nb_vif_report(vif, err, "reading %s/frontend", vif->be_path);
		return vif;
	}
	snprintf(vif->fe_path, sizeof(vif->fe_path), "%s", buf);
	err = nb_xs_read_uint(be, vif->be_path, "frontend-id", 0x7fef, &fe_id);
	if (!err && fe_id != domid)
		err = -EINVAL;
	if (err) {
		nb_vif_report(vif, err, "reading %s/frontend-id", vif->be_path);
		return vif;
	}
	err = nb_xs_read(be, vif->be_path, "mac", buf, sizeof(buf));
	if (!err)
		err = nb_parse_mac(buf, vif->mac);
	if (err) {
		nb_vif_report(vif, err, "parsing %s/mac", vif->be_path);
		return vif;
	}
	if (nb_xs_read(be, vif->be_path, "bridge", vif->bridge, sizeof(vif->bridge)))
		vif->bridge[0] = '\0';
	if (nb_xs_read(be, vif->be_path, "ip", vif->ip, sizeof(vif->ip)))
		vif->ip[0] = '\0';
	/* The vif's MTU (xl mtu=): the switch port gets it, as vif-bridge sets the Linux
	 * vif's; frames to the guest beyond it are dropped like a bridge drops them. */
	vif->mtu = 0;
	if (!nb_xs_read_uint(be, vif->be_path, "mtu", 65535 - 18, &fe_id) && fe_id >= 68)
		vif->mtu = (unsigned int)fe_id;
	nb_vif_resolve_script(vif);

	err = be->cfg.ops->vif_added(be->cfg.ops_arg, vif);
	if (err) {
		nb_vif_report(vif, err, "creating %s", vif->name);
		return vif;
	}
	err = nb_vif_advertise(vif);
	if (err) {
		nb_vif_report(vif, err, "writing features");
		return vif;
	}
	nb_vif_fe_watch(vif, true);
	if (!nb_xs_read_uint(be, vif->be_path, "state", XenbusStateReconfigured, &be_st) &&
	    be_st == XenbusStateConnected &&
	    !nb_xs_read_uint(be, vif->fe_path, "state", XenbusStateReconfigured, &fe_st) &&
	    fe_st == XenbusStateConnected) {
		/* A backend restarted under a connected guest (Linux netback's unbind/bind):
		 * both ends still say Connected, so we keep it that way and take the rings
		 * over at their current indices (nb_vif_map_rings); the frontend never sees
		 * the backend go away and need not reconnect. */
		vif->state = XenbusStateInitWait; /* in memory only: connect on reconcile */
		fprintf(stderr, "netback: %s: re-attaching to a connected frontend\n", vif->name);
	} else {
		nb_vif_switch_state(vif, XenbusStateInitWait);
	}
	nb_vif_start_hotplug(vif, "online");
	return vif;
}

/* One queue's ring references and event channels from 'dir' (reported on error). */
static int
nb_read_queue_keys(struct nb_vif *vif, const char *dir, struct nb_queue_keys *k)
{
	struct nb_backend *be = vif->be;
	unsigned long tx_ref, rx_ref, tx_ev, rx_ev = 0;
	int err;

	err = nb_xs_read_uint(be, dir, "tx-ring-ref", UINT32_MAX, &tx_ref);
	if (err) {
		nb_vif_report(vif, err, "reading %s/tx-ring-ref", dir);
		return err;
	}
	err = nb_xs_read_uint(be, dir, "rx-ring-ref", UINT32_MAX, &rx_ref);
	if (err) {
		nb_vif_report(vif, err, "reading %s/rx-ring-ref", dir);
		return err;
	}
	err = nb_xs_read_uint(be, dir, "event-channel", UINT32_MAX, &tx_ev);
	if (err == -ENOENT) {
		err = nb_xs_read_uint(be, dir, "event-channel-tx", UINT32_MAX, &tx_ev);
		if (!err)
			err = nb_xs_read_uint(be, dir, "event-channel-rx", UINT32_MAX, &rx_ev);
	} else {
		rx_ev = tx_ev;
	}
	if (err) {
		nb_vif_report(vif, err, "reading %s/event-channel", dir);
		return err;
	}
	*k = (struct nb_queue_keys){ (uint32_t)tx_ref, (uint32_t)rx_ref, (uint32_t)tx_ev,
				     (uint32_t)rx_ev };
	return 0;
}

/* connect(): read the frontend's keys, map the rings, bind the channels, hand to a worker. */
static int
nb_vif_connect(struct nb_vif *vif)
{
	struct nb_backend *be = vif->be;
	struct nb_queue_keys keys[NB_QUEUES_MAX];
	unsigned long nq, ctrl_ref = 0, ctrl_ev = 0;
	int err;

	/* multi-queue-num-queues: absent means one queue with its keys at the top; 1..max
	 * otherwise (0 is refused, as a 2026 Linux fix does), keys under queue-N when > 1. */
	err = nb_xs_read_uint(be, vif->fe_path, "multi-queue-num-queues", UINT32_MAX, &nq);
	if (err == -ENOENT) {
		nq = 1;
	} else if (err || nq < 1 || nq > nb_max_queues()) {
		nb_vif_report(vif, err ? err : -EINVAL,
			      "%s/multi-queue-num-queues must be 1..%u (read: %s%lu)", vif->fe_path,
			      nb_max_queues(), err ? "unreadable " : "", err ? 0 : nq);
		return err ? err : -EINVAL;
	}
	if (!nb_xs_read_flag(be, vif->fe_path, "request-rx-copy", false)) {
		nb_vif_report(vif, -EOPNOTSUPP, "%s/request-rx-copy must be 1", vif->fe_path);
		return -EOPNOTSUPP;
	}
	for (unsigned int i = 0; i < nq; i++) {
		char dir[NB_VIF_PATH_MAX + 16];

		if (nq == 1)
			snprintf(dir, sizeof(dir), "%s", vif->fe_path);
		else
			snprintf(dir, sizeof(dir), "%s/queue-%u", vif->fe_path, i);
		err = nb_read_queue_keys(vif, dir, &keys[i]);
		if (err)
			return err;
	}
	vif->fe.rx_notify = nb_xs_read_flag(be, vif->fe_path, "feature-rx-notify", false);
	vif->fe.sg = nb_xs_read_flag(be, vif->fe_path, "feature-sg", false);
	vif->fe.csum_ipv4 = !nb_xs_read_flag(be, vif->fe_path, "feature-no-csum-offload", false);
	vif->fe.csum_ipv6 = nb_xs_read_flag(be, vif->fe_path, "feature-ipv6-csum-offload", false);
	vif->fe.gso_tcpv4 = nb_xs_read_flag(be, vif->fe_path, "feature-gso-tcpv4", false);
	vif->fe.gso_tcpv6 = nb_xs_read_flag(be, vif->fe_path, "feature-gso-tcpv6", false);

	err = nb_vif_map_queues(vif, (unsigned int)nq, keys);
	if (err) {
		nb_vif_report(
			vif, err,
			"mapping rings / binding channels of %lu queue%s (queue 0: rings tx %u "
			"rx %u, channels %u/%u)",
			nq, nq == 1 ? "" : "s", keys[0].tx_ref, keys[0].rx_ref, keys[0].tx_evtchn,
			keys[0].rx_evtchn);
		return err;
	}
	/* The control ring is optional; half of it is a frontend error. */
	err = nb_xs_read_uint(be, vif->fe_path, "ctrl-ring-ref", UINT32_MAX, &ctrl_ref);
	if (err != -ENOENT) {
		if (!err)
			err = nb_xs_read_uint(be, vif->fe_path, "event-channel-ctrl", UINT32_MAX,
					      &ctrl_ev);
		if (!err)
			err = nb_vif_map_ctrl(vif, (uint32_t)ctrl_ref, (uint32_t)ctrl_ev);
		if (err) {
			nb_vif_unmap_rings(vif);
			nb_vif_report(vif, err, "setting up the control ring (%s/ctrl-ring-ref)",
				      vif->fe_path);
			return err;
		}
	}
	atomic_store(&vif->disabled, false);
	vif->disable_reported = false;
	err = be->cfg.ops->vif_connect(be->cfg.ops_arg, vif);
	if (err) {
		nb_vif_unmap_rings(vif);
		nb_vif_report(vif, err, "attaching %s to the switch", vif->name);
		return err;
	}
	vif->connected = true;
	return 0;
}

static void
nb_vif_disconnect(struct nb_vif *vif)
{
	if (!vif->connected)
		return;
	vif->be->cfg.ops->vif_disconnect(vif->be->cfg.ops_arg, vif);
	nb_vif_unmap_rings(vif);
	vif->connected = false;
}

static void
nb_vif_free(struct nb_vif *vif)
{
	struct nb_vif **pp;

	for (pp = &vif->be->vifs; *pp; pp = &(*pp)->next) {
		if (*pp == vif) {
			*pp = vif->next;
			break;
		}
	}
	free(vif);
}

/* Unregister: the data path and the port go; the offline script runs; then it is freed. */
static void
nb_vif_remove(struct nb_vif *vif)
{
	if (vif->removed)
		return;
	nb_vif_disconnect(vif);
	nb_vif_fe_watch(vif, false);
	vif->be->cfg.ops->vif_removed(vif->be->cfg.ops_arg, vif);
	vif->removed = true;
	if (vif->hp) {
		nb_hotplug_kill(vif->hp);
		nb_hotplug_finish(vif->hp, NULL);
		vif->hp = NULL;
	}
	if (vif->hp_state != NB_HOTPLUG_NONE)
		nb_vif_start_hotplug(vif, "offline");
	if (!vif->hp)
		nb_vif_free(vif);
}

/* Re-evaluates one vif against XenStore: idempotent, called on any related change. */
static void
nb_vif_reconcile(struct nb_backend *be, unsigned int domid, unsigned int devid)
{
	struct nb_vif *vif = nb_vif_lookup(be, domid, devid);
	char buf[64];
	unsigned long v;
	int fe_state;

	if (vif && vif->removed)
		return;
	/* The toolstack removed the backend directory: the device is gone. */
	if (nb_xs_read(be, vif ? vif->be_path : "", "frontend", buf, sizeof(buf)) == -ENOENT ||
	    !vif) {
		char dir[NB_VIF_PATH_MAX], fe[NB_VIF_PATH_MAX];

		snprintf(dir, sizeof(dir), "%s/%u/%u", be->base, domid, devid);
		if (nb_xs_read(be, dir, "frontend", fe, sizeof(fe)) == -ENOENT) {
			if (vif)
				nb_vif_remove(vif);
			return;
		}
		if (!vif) {
			vif = nb_vif_probe(be, domid, devid);
			if (!vif)
				return;
		}
	}
	if (!vif->fe_path[0])
		return; /* probe failed and was reported */

	vif->online = nb_xs_read_uint(be, vif->be_path, "online", 1, &v) ? true : v == 1;
	nb_vif_read_rate(vif);
	atomic_store(&vif->mcast_ctrl,
		     nb_xs_read_flag(be, vif->fe_path, "request-multicast-control", false));
	fe_state = nb_xs_read_uint(be, vif->fe_path, "state", XenbusStateReconfigured, &v)
			   ? XenbusStateUnknown
			   : (int)v;
	vif->fe_state = fe_state;

	if (vif->hp_state == NB_HOTPLUG_DONE || vif->hp_state == NB_HOTPLUG_RUNNING) {
		if (!nb_xs_read(be, vif->be_path, "hotplug-status", buf, sizeof(buf)) &&
		    !strcmp(buf, "error") && vif->state != XenbusStateClosing &&
		    vif->state != XenbusStateClosed) {
			char why[200];

			if (nb_xs_read(be, vif->be_path, "hotplug-error", why, sizeof(why)))
				snprintf(why, sizeof(why), "hotplug script reported an error");
			vif->hp_state = NB_HOTPLUG_FAILED;
			nb_vif_disconnect(vif);
			nb_vif_report(vif, -EIO, "%s", why);
			return;
		}
	}

	/* Detach: libxl writes online=0 and our state=Closing in one transaction. A connected
	 * frontend is asked to close first; one that never connected has nothing to undo. */
	if (!vif->online && vif->state != XenbusStateClosed) {
		nb_vif_disconnect(vif);
		if (fe_state == XenbusStateConnected || fe_state == XenbusStateClosing) {
			nb_vif_switch_state(vif, XenbusStateClosing);
		} else if (fe_state != XenbusStateClosed) {
			nb_vif_switch_state(vif, XenbusStateClosed);
			nb_vif_remove(vif);
			return;
		}
	}

	switch (fe_state) {
	case XenbusStateInitialising:
	case XenbusStateInitWait:
	case XenbusStateInitialised:
		/* A frontend reset after we closed: advertise again and wait for it. */
		/* Not after a failed hotplug script: that attach failed for good, as in libxl,
		 * and the error stays visible until the device is detached. */
		if (vif->state == XenbusStateClosed && vif->online &&
		    vif->hp_state != NB_HOTPLUG_FAILED) {
			nb_vif_clear_error(vif);
			nb_vif_advertise(vif);
			nb_vif_switch_state(vif, XenbusStateInitWait);
		}
		break;
	case XenbusStateConnected:
		if (!vif->online || vif->hp_state == NB_HOTPLUG_FAILED)
			break;
		if (vif->state == XenbusStateInitWait && !vif->connected &&
		    nb_vif_connect(vif) != 0)
			break;
		if (vif->connected && vif->state != XenbusStateConnected &&
		    !nb_xs_read(be, vif->be_path, "hotplug-status", buf, sizeof(buf)) &&
		    !strcmp(buf, "connected"))
			nb_vif_switch_state(vif, XenbusStateConnected);
		break;
	case XenbusStateClosing:
		nb_vif_disconnect(vif);
		nb_vif_switch_state(vif, XenbusStateClosing);
		break;
	case XenbusStateClosed:
		nb_vif_disconnect(vif);
		nb_vif_switch_state(vif, XenbusStateClosed);
		if (!vif->online)
			nb_vif_remove(vif);
		break;
	case XenbusStateUnknown:
	default:
		/* The frontend directory is gone (or garbage): close and unregister. */
		nb_vif_disconnect(vif);
		if (vif->state != XenbusStateInitialising)
			nb_vif_switch_state(vif, XenbusStateClosed);
		if (fe_state == XenbusStateUnknown)
			nb_vif_remove(vif);
		break;
	}
}

/* Walks backend/vif/<domid>/<devid> and reconciles each (initial scan and catch-up). */
static void
nb_backend_scan(struct nb_backend *be)
{
	unsigned int n_doms = 0, n_devs, i, j;
	char **doms, **devs, dir[NB_VIF_PATH_MAX];

	doms = xs_directory(be->xs, XBT_NULL, be->base, &n_doms);
	for (i = 0; doms && i < n_doms; i++) {
		char *end;
		unsigned long domid = strtoul(doms[i], &end, 10);

		if (*end || domid > 0x7fef)
			continue;
		snprintf(dir, sizeof(dir), "%s/%lu", be->base, domid);
		devs = xs_directory(be->xs, XBT_NULL, dir, &n_devs);
		for (j = 0; devs && j < n_devs; j++) {
			unsigned long devid = strtoul(devs[j], &end, 10);

			if (!*end && devid <= 0xffff)
				nb_vif_reconcile(be, (unsigned int)domid, (unsigned int)devid);
		}
		free(devs);
	}
	free(doms);
	/* Vifs whose directory vanished without an event for them. */
	for (struct nb_vif *v = be->vifs, *next; v; v = next) {
		next = v->next;
		if (!v->removed)
			nb_vif_reconcile(be, v->domid, v->devid);
	}
}

void
nb_backend_on_watch(struct nb_backend *be)
{
	char **vec;
	size_t base_len = strlen(be->base);
	bool rescan = false;

	while ((vec = xs_check_watch(be->xs)) != NULL) {
		const char *path = vec[XS_WATCH_PATH], *token = vec[XS_WATCH_TOKEN];
		unsigned int domid, devid;

		if (!strncmp(token, NB_WATCH_FE, strlen(NB_WATCH_FE))) {
			if (sscanf(token + strlen(NB_WATCH_FE), "%u:%u", &domid, &devid) == 2)
				nb_vif_reconcile(be, domid, devid);
		} else if (!strcmp(token, NB_WATCH_BACKEND)) {
			if (!strncmp(path, be->base, base_len) && path[base_len] == '/' &&
			    sscanf(path + base_len, "/%u/%u", &domid, &devid) == 2)
				nb_vif_reconcile(be, domid, devid);
			else
				rescan = true;
		}
		free(vec);
	}
	if (rescan)
		nb_backend_scan(be);
}

static void
nb_vif_hotplug_done(struct nb_vif *vif, int status)
{
	bool online = vif->hp_action && !strcmp(vif->hp_action, "online");
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;

	vif->hp = NULL;
	if (vif->removed) {
		nb_vif_free(vif);
		return;
	}
	if (!online)
		return;
	if (!ok) {
		vif->hp_state = NB_HOTPLUG_FAILED;
		nb_vif_disconnect(vif);
		if (WIFSIGNALED(status))
			nb_vif_report(vif, -ETIMEDOUT, "hotplug script %s killed (timeout)",
				      vif->script);
		else
			nb_vif_report(vif, -EIO, "hotplug script %s exited with status %d",
				      vif->script, WEXITSTATUS(status));
		return;
	}
	vif->hp_state = NB_HOTPLUG_DONE;
	nb_vif_reconcile(vif->be, vif->domid, vif->devid);
}

void
nb_backend_on_hotplug(struct nb_backend *be, int fd)
{
	for (struct nb_vif *v = be->vifs; v; v = v->next) {
		if (v->hp && nb_hotplug_fd(v->hp) == fd) {
			int status = 0;

			nb_hotplug_finish(v->hp, &status);
			nb_vif_hotplug_done(v, status);
			return;
		}
	}
}

unsigned int
nb_backend_hotplug_fds(const struct nb_backend *be, int *fds, unsigned int max)
{
	unsigned int n = 0;

	for (const struct nb_vif *v = be->vifs; v && n < max; v = v->next)
		if (v->hp)
			fds[n++] = nb_hotplug_fd(v->hp);
	return n;
}

void
nb_backend_on_timer(struct nb_backend *be)
{
	uint64_t now = nb_now_ms();
	struct nb_vif *v, *next;

	/* Once a second: what the hypervisor layer keeps for destroyed domains goes. */
	if (now >= be->next_gc_ms) {
		nb_hv_gc(be->cfg.hv);
		be->next_gc_ms = now + 1000;
	}

	for (v = be->vifs; v; v = next) {
		next = v->next;
		if (v->hp && now >= v->hp_deadline_ms) {
			int status = 0;

			nb_hotplug_kill(v->hp);
			nb_hotplug_finish(v->hp, &status);
			nb_vif_hotplug_done(v, status);
			continue;
		}
		/* A worker disabled the vif (rogue frontend): report it from here. */
		if (v->connected && atomic_load(&v->disabled) && !v->disable_reported) {
			int reason = atomic_load(&v->disabled_reason);

			v->disable_reported = true;
			nb_vif_disconnect(v);
			nb_vif_report(v, -EPROTO, "fatal error; disabling device: %s",
				      reason >= 0 ? nb_tx_verdict_desc((enum nb_tx_verdict)reason)
						  : "RX ring protocol violation");
		}
	}
}

int
nb_backend_create(struct nb_backend **bep, const struct nb_backend_cfg *cfg)
{
	struct nb_backend *be;
	int err;

	if (!cfg->hv || !cfg->ops)
		return -EINVAL;
	be = calloc(1, sizeof(*be));
	if (!be)
		return -ENOMEM;
	be->cfg = *cfg;
	be->domid = nb_hv_domid(cfg->hv);
	snprintf(be->base, sizeof(be->base), "/local/domain/%u/backend/vif", be->domid);
	be->xs = nb_hv_xs_open(cfg->hv);
	if (!be->xs) {
		err = errno ? -errno : -EIO;
		free(be);
		return err;
	}
	/* The watch fires once at once, which triggers the initial scan. */
	if (!xs_watch(be->xs, be->base, NB_WATCH_BACKEND)) {
		err = errno ? -errno : -EIO;
		xs_close(be->xs);
		free(be);
		return err;
	}
	*bep = be;
	return 0;
}

void
nb_backend_destroy(struct nb_backend *be)
{
	struct nb_vif *v, *next;

	if (!be)
		return;
	for (v = be->vifs; v; v = next) {
		next = v->next;
		nb_vif_disconnect(v);
		if (!v->removed)
			be->cfg.ops->vif_removed(be->cfg.ops_arg, v);
		/* Not waited for: a script may be calling nbctl, which needs this very daemon,
		 * so waiting would hang the shutdown until the script's own timeout. */
		if (v->hp)
			nb_hotplug_abandon(v->hp);
		free(v);
	}
	xs_unwatch(be->xs, be->base, NB_WATCH_BACKEND);
	xs_close(be->xs);
	free(be);
}

int
nb_backend_watch_fd(const struct nb_backend *be)
{
	return xs_fileno(be->xs);
}

struct nb_vif *
nb_backend_find_vif(struct nb_backend *be, const char *name)
{
	for (struct nb_vif *v = be->vifs; v; v = v->next)
		if (!v->removed && !strcmp(v->name, name))
			return v;
	return NULL;
}

int
nb_backend_foreach_vif(struct nb_backend *be, int (*fn)(void *arg, struct nb_vif *vif), void *arg)
{
	for (struct nb_vif *v = be->vifs; v; v = v->next) {
		int r;

		if (v->removed)
			continue;
		r = fn(arg, v);
		if (r)
			return r;
	}
	return 0;
}

const char *
nb_vif_name(const struct nb_vif *vif)
{
	return vif->name;
}

unsigned int
nb_vif_domid(const struct nb_vif *vif)
{
	return vif->domid;
}

unsigned int
nb_vif_devid(const struct nb_vif *vif)
{
	return vif->devid;
}

const uint8_t *
nb_vif_mac(const struct nb_vif *vif)
{
	return vif->mac;
}

const char *
nb_vif_bridge(const struct nb_vif *vif)
{
	return vif->bridge;
}

unsigned int
nb_vif_mtu(const struct nb_vif *vif)
{
	return vif->mtu;
}

const char *
nb_vif_ip(const struct nb_vif *vif)
{
	return vif->ip;
}

int
nb_vif_state(const struct nb_vif *vif)
{
	return vif->state;
}

int
nb_vif_fe_state(const struct nb_vif *vif)
{
	return vif->fe_state;
}

bool
nb_vif_is_connected(const struct nb_vif *vif)
{
	return vif->connected;
}

bool
nb_vif_is_disabled(const struct nb_vif *vif)
{
	return atomic_load(&vif->disabled);
}

const char *
nb_vif_error(const struct nb_vif *vif)
{
	return vif->error;
}

void
nb_vif_set_user(struct nb_vif *vif, void *user)
{
	vif->user = user;
}

void *
nb_vif_get_user(const struct nb_vif *vif)
{
	return vif->user;
}
