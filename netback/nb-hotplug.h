/* SPDX-License-Identifier: MIT */
/*
 * nb-hotplug.h - running vif hotplug scripts the way libxl does (fact sheet §6.1).
 *
 * Contract: nb_hotplug_start() forks "SCRIPT ACTION type_if=vif" in its own process group with
 * Xen's environment (script, XENBUS_TYPE, XENBUS_PATH, XENBUS_BASE_PATH, netdev, vif, plus the
 * caller's extra variables), stdout and stderr appended to a log file, stdin from /dev/null.
 * The caller watches nb_hotplug_fd() (a pidfd, readable once the script has exited) in its
 * event loop, then calls nb_hotplug_finish() for the exit status; nb_hotplug_kill() ends the
 * whole process group (used at the timeout, 40 s by default as in libxl). Control thread only.
 * Functions return 0 or -errno.
 */
#ifndef NB_HOTPLUG_H
#define NB_HOTPLUG_H

#include <sys/types.h>

/* libxl's LIBXL_HOTPLUG_TIMEOUT. */
#define NB_HOTPLUG_TIMEOUT_MS 40000

struct nb_hotplug;

struct nb_hotplug_req {
	const char *script;	      /* absolute path of the script */
	const char *action;	      /* "online" or "offline" */
	const char *xenbus_path;      /* backend/vif/<domid>/<devid> */
	const char *vif;	      /* the vif's dom0 name, e.g. vif1.0 */
	const char *netdev;	      /* the vif's gatewaydev ("" if none), as libxl passes it */
	const char *log_path;	      /* file that receives the script's stdout and stderr */
	const char *const *extra_env; /* NULL-terminated "NAME=value" list, or NULL */
};

/* Starts the script; '*hpp' is owned by the caller until nb_hotplug_finish(). */
int nb_hotplug_start(const struct nb_hotplug_req *req, struct nb_hotplug **hpp);

/* A pidfd that becomes readable when the script exits. */
int nb_hotplug_fd(const struct nb_hotplug *hp);

/* The script's pid (its process group id too). */
pid_t nb_hotplug_pid(const struct nb_hotplug *hp);

/* Sends SIGKILL to the script's process group. */
void nb_hotplug_kill(struct nb_hotplug *hp);

/* Reaps the script, stores its wait status in '*statusp' (may be NULL) and frees 'hp'.
 * Blocks until it has exited, so call it once the fd is readable or after killing it. */
int nb_hotplug_finish(struct nb_hotplug *hp, int *statusp);

/* Lets the script run on without us (a daemon shutting down): frees 'hp' without waiting;
 * the child is reaped by whoever inherits it. */
void nb_hotplug_abandon(struct nb_hotplug *hp);

#endif
