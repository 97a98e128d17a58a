/* SPDX-License-Identifier: MIT */
/*
 * nb-hotplug.c - fork/exec of vif hotplug scripts with libxl's arguments and environment
 * (see nb-hotplug.h). Completion is observed through a pidfd so the control loop never waits.
 */
#include "netback/nb-hotplug.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct nb_hotplug {
	pid_t pid;
	int pidfd;
};

static int
nb_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

#define NB_HOTPLUG_MAX_ENV 256

/* Everything the child needs, prepared before fork(): a multi-threaded parent's child may only
 * call async-signal-safe functions (no malloc, no stdio) until it execs. */
struct nb_hotplug_exec_args {
	char *argv[4];
	char *envp[NB_HOTPLUG_MAX_ENV];
	char *owned[8];
	char banner[1024];
	int banner_len;
	const char *log_path;
};

static void __attribute__((noreturn)) nb_hotplug_child(const struct nb_hotplug_exec_args *a)
{
	sigset_t none;
	int fd;

	setpgid(0, 0);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	fd = a->log_path ? open(a->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644) : -1;
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	/* The daemon blocks the signals it reads through a signalfd; the script must not. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (write(STDERR_FILENO, a->banner, (size_t)a->banner_len) < 0)
		_exit(126);
	execve(a->argv[0], a->argv, a->envp);
	_exit(127);
}

static int
nb_hotplug_args(const struct nb_hotplug_req *req, struct nb_hotplug_exec_args *a)
{
	extern char **environ;
	static const char *const ours[] = { "script=",		 "XENBUS_TYPE=", "XENBUS_PATH=",
					    "XENBUS_BASE_PATH=", "netdev=",	 "vif=" };
	const char *vals[] = {
		req->script, "vif", req->xenbus_path, "backend", req->netdev ? req->netdev : "",
		req->vif
	};
	size_t n = 0, i, k;

	memset(a, 0, sizeof(*a));
	a->argv[0] = (char *)req->script;
	a->argv[1] = (char *)req->action;
	a->argv[2] = "type_if=vif";
	a->log_path = req->log_path;
	for (k = 0; k < sizeof(ours) / sizeof(ours[0]); k++) {
		if (asprintf(&a->owned[k], "%s%s", ours[k], vals[k]) < 0)
			return -ENOMEM;
		a->envp[n++] = a->owned[k];
	}
	for (const char *const *e = req->extra_env; e && *e && n < NB_HOTPLUG_MAX_ENV - 1; e++)
		a->envp[n++] = (char *)*e;
	for (char **e = environ; e && *e && n < NB_HOTPLUG_MAX_ENV - 1; e++) {
		bool dup = false;

		for (i = 0; i < n && !dup; i++) {
			const char *eq = strchr(a->envp[i], '=');

			dup = eq && !strncmp(*e, a->envp[i], (size_t)(eq - a->envp[i]) + 1);
		}
		if (!dup)
			a->envp[n++] = *e;
	}
	a->envp[n] = NULL;
	a->banner_len = snprintf(a->banner, sizeof(a->banner),
				 "[hotplug] %s %s type_if=vif (XENBUS_PATH=%s vif=%s)\n",
				 req->script, req->action, req->xenbus_path, req->vif);
	if (a->banner_len >= (int)sizeof(a->banner))
		a->banner_len = (int)sizeof(a->banner) - 1;
	return 0;
}

static void
nb_hotplug_args_free(struct nb_hotplug_exec_args *a)
{
	for (size_t k = 0; k < sizeof(a->owned) / sizeof(a->owned[0]); k++)
		free(a->owned[k]);
}

int
nb_hotplug_start(const struct nb_hotplug_req *req, struct nb_hotplug **hpp)
{
	struct nb_hotplug_exec_args *a;
	struct nb_hotplug *hp;
	pid_t pid;
	int err;

	if (!req->script || req->script[0] != '/' || !req->action || !req->xenbus_path || !req->vif)
		return -EINVAL;
	hp = calloc(1, sizeof(*hp));
	a = malloc(sizeof(*a));
	if (!hp || !a) {
		free(hp);
		free(a);
		return -ENOMEM;
	}
	err = nb_hotplug_args(req, a);
	if (err)
		goto fail;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto fail;
	}
	if (pid == 0)
		nb_hotplug_child(a);
	/* Also set the group from the parent, so a kill right after fork cannot miss it. */
	setpgid(pid, pid);
	nb_hotplug_args_free(a);
	free(a);
	hp->pid = pid;
	hp->pidfd = nb_pidfd_open(pid);
	if (hp->pidfd < 0) {
		err = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		free(hp);
		return err;
	}
	fcntl(hp->pidfd, F_SETFD, FD_CLOEXEC);
	*hpp = hp;
	return 0;
fail:
	nb_hotplug_args_free(a);
	free(a);
	free(hp);
	return err;
}

int
nb_hotplug_fd(const struct nb_hotplug *hp)
{
	return hp->pidfd;
}

pid_t
nb_hotplug_pid(const struct nb_hotplug *hp)
{
	return hp->pid;
}

void
nb_hotplug_kill(struct nb_hotplug *hp)
{
	kill(-hp->pid, SIGKILL);
	kill(hp->pid, SIGKILL);
}

void
nb_hotplug_abandon(struct nb_hotplug *hp)
{
	close(hp->pidfd);
	free(hp);
}

int
nb_hotplug_finish(struct nb_hotplug *hp, int *statusp)
{
	int status = 0, err = 0;

	while (waitpid(hp->pid, &status, 0) < 0) {
		if (errno != EINTR) {
			err = -errno;
			break;
		}
	}
	close(hp->pidfd);
	free(hp);
	if (statusp)
		*statusp = status;
	return err;
}
