/* SPDX-License-Identifier: MIT */
/*
 * nb-simhv - the simulated hypervisor: plays Xen (domains, guest memory, grant tables, event
 * channels; tools/simhv/hv-server.c) and xenstored (tools/simhv/xs-server.c) for hosts
 * without Xen, under one run directory:
 *
 *   DIR/xenstored/socket        XenStore wire protocol, dom0 identity (XENSTORED_PATH)
 *   DIR/xenstored/dom<N>.socket the same for guest N (unprivileged)
 *   DIR/hv/socket               hypercall socket, dom0 (privileged)
 *   DIR/hv/dom<N>.socket        hypercall socket of guest N
 *   DIR/nb-simhv.pid, DIR/nb-simhv.log
 *
 * The same binary has a few client subcommands for the domain life cycle (what `xl create`
 * and `xl destroy` do to the hypervisor; nbctl builds on the same calls).
 */
#include "netback/hv/sim-client.h"
#include "tools/simhv/hv-server.h"
#include "vswitch/evloop.h"
#include "tools/simhv/xs-server.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIMHV_DEFAULT_RUNDIR "/run/netback"

struct simhv {
	struct vsw_loop *loop;
	struct shv_xs *xs;
	struct shv_hv *hv;
	int sigfd;
};

static bool
simhv_domain_exists(void *arg, unsigned int domid)
{
	struct simhv *s = arg;

	return s->hv && shv_hv_domain_exists(s->hv, domid);
}

static int
simhv_domain_created(void *arg, unsigned int domid, const char *name)
{
	struct simhv *s = arg;

	return shv_xs_domain_introduce(s->xs, domid, name);
}

static void
simhv_domain_destroyed(void *arg, unsigned int domid)
{
	struct simhv *s = arg;

	shv_xs_domain_release(s->xs, domid);
}

static void
simhv_on_signal(void *arg, uint32_t events)
{
	struct simhv *s = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si))
		vsw_loop_stop(s->loop);
}

static int
mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		buf[i] = path[i];
	}
	return 0;
}

/* Takes DIR/nb-simhv.pid with an exclusive lock so that two daemons never share a rundir. */
static int
simhv_lock_pidfile(const char *rundir, int *fdp)
{
	char path[4096];
	char pid[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/nb-simhv.pid", rundir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno == EWOULDBLOCK ? -EBUSY : -errno;

		close(fd);
		return err;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		int err = -errno;

		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

static int
simhv_run(const char *rundir, bool foreground)
{
	struct shv_xs_hooks xs_hooks = { .domain_exists = simhv_domain_exists };
	struct shv_hv_hooks hv_hooks = {
		.domain_created = simhv_domain_created,
		.domain_destroyed = simhv_domain_destroyed,
	};
	struct simhv s = { .sigfd = -1 };
	char path[4096];
	int ready_pipe[2] = { -1, -1 };
	int pidfd = -1, err;
	sigset_t mask;

	err = mkdir_p(rundir, 0755);
	if (err) {
		fprintf(stderr, "nb-simhv: cannot create %s: %s\n", rundir, strerror(-err));
		return 1;
	}
	if (!foreground) {
		pid_t pid;

		if (pipe2(ready_pipe, O_CLOEXEC) < 0) {
			perror("nb-simhv: pipe");
			return 1;
		}
		pid = fork();
		if (pid < 0) {
			perror("nb-simhv: fork");
			return 1;
		}
		if (pid > 0) {
			char c = 1;

			close(ready_pipe[1]);
			/* The parent exits once the sockets exist, so callers can use them at once. */
			if (read(ready_pipe[0], &c, 1) != 1 || c != 0) {
				fprintf(stderr, "nb-simhv: failed to start (see %s/nb-simhv.log)\n",
					rundir);
				return 1;
			}
			return 0;
		}
		close(ready_pipe[0]);
		setsid();
		snprintf(path, sizeof(path), "%s/nb-simhv.log", rundir);
		int logfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (logfd >= 0) {
			dup2(logfd, STDOUT_FILENO);
			dup2(logfd, STDERR_FILENO);
			close(logfd);
		}
		if (nullfd >= 0) {
			dup2(nullfd, STDIN_FILENO);
			close(nullfd);
		}
	}

	err = simhv_lock_pidfile(rundir, &pidfd);
	if (err) {
		fprintf(stderr, "nb-simhv: %s/nb-simhv.pid: %s\n", rundir,
			err == -EBUSY ? "another nb-simhv serves this rundir" : strerror(-err));
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	s.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);

	err = vsw_loop_create(&s.loop);
	if (!err && s.sigfd >= 0)
		err = vsw_loop_add(s.loop, s.sigfd, EPOLLIN, simhv_on_signal, &s);
	if (err) {
		fprintf(stderr, "nb-simhv: event loop: %s\n", strerror(-err));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/xenstored", rundir);
	err = shv_xs_create(&s.xs, s.loop, path, &xs_hooks, &s);
	if (err) {
		fprintf(stderr, "nb-simhv: xenstored on %s: %s\n", path, strerror(-err));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/hv", rundir);
	err = shv_hv_create(&s.hv, s.loop, path, &hv_hooks, &s);
	if (err) {
		fprintf(stderr, "nb-simhv: hypervisor on %s: %s\n", path, strerror(-err));
		goto out;
	}
	fprintf(stderr, "nb-simhv: serving %s (pid %ld)\n", rundir, (long)getpid());
	if (ready_pipe[1] >= 0) {
		char c = 0;

		if (write(ready_pipe[1], &c, 1) != 1)
			err = -errno;
		close(ready_pipe[1]);
		ready_pipe[1] = -1;
	}
	err = vsw_loop_run(s.loop);
	fprintf(stderr, "nb-simhv: stopping\n");
out:
	/* Guests first: destroying the hypervisor releases their domains in the xenstored. */
	shv_hv_destroy(s.hv);
	shv_xs_destroy(s.xs);
	vsw_loop_destroy(s.loop);
	if (s.sigfd >= 0)
		close(s.sigfd);
	if (pidfd >= 0) {
		snprintf(path, sizeof(path), "%s/nb-simhv.pid", rundir);
		unlink(path);
		close(pidfd);
	}
	if (ready_pipe[1] >= 0)
		close(ready_pipe[1]); /* the parent reads EOF: failed to start */
	return err ? 1 : 0;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: nb-simhv [--rundir DIR] [--foreground]\n"
		   "       nb-simhv [--rundir DIR] domain-create NAME [--memory MIB]\n"
		   "       nb-simhv [--rundir DIR] domain-destroy DOMID|NAME\n"
		   "       nb-simhv [--rundir DIR] domain-list [--json]\n"
		   "Default DIR: $NETBACK_RUNDIR or " SIMHV_DEFAULT_RUNDIR ".\n");
}

static int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || s[0] == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

static int
cmd_domain_create(const char *rundir, int argc, char **argv)
{
	unsigned long mib = 64;
	unsigned int domid;
	int err;

	if (argc == 4 && !strcmp(argv[2], "--memory")) {
		if (parse_uint(argv[3], 1u << 20, &mib) || mib == 0) {
			fprintf(stderr, "nb-simhv: --memory: expected MiB > 0, got '%s'\n",
				argv[3]);
			return 2;
		}
	} else if (argc != 2) {
		usage(stderr);
		return 2;
	}
	err = nb_sim_domain_create(rundir, argv[1], (unsigned int)mib, &domid);
	if (err) {
		fprintf(stderr, "nb-simhv: domain-create %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	printf("%u\n", domid);
	return 0;
}

static int
lookup_domid(const char *rundir, const char *arg, unsigned int *domid)
{
	struct nb_sim_domain_info infos[NB_SIM_MAX_DOMAINS];
	unsigned long v;
	int n, i;

	if (!parse_uint(arg, 0x7fef, &v)) {
		*domid = (unsigned int)v;
		return 0;
	}
	n = nb_sim_domain_list(rundir, infos, NB_SIM_MAX_DOMAINS);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (!strcmp(infos[i].name, arg)) {
			*domid = infos[i].domid;
			return 0;
		}
	}
	return -ENOENT;
}

static int
cmd_domain_destroy(const char *rundir, int argc, char **argv)
{
	unsigned int domid;
	int err;

	if (argc != 2) {
		usage(stderr);
		return 2;
	}
	err = lookup_domid(rundir, argv[1], &domid);
	if (!err)
		err = nb_sim_domain_destroy(rundir, domid);
	if (err) {
		fprintf(stderr, "nb-simhv: domain-destroy %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	return 0;
}

static int
cmd_domain_list(const char *rundir, int argc, char **argv)
{
	struct nb_sim_domain_info infos[NB_SIM_MAX_DOMAINS];
	bool json = argc == 2 && !strcmp(argv[1], "--json");
	int n, i;

	if (argc > 2 || (argc == 2 && !json)) {
		usage(stderr);
		return 2;
	}
	n = nb_sim_domain_list(rundir, infos, NB_SIM_MAX_DOMAINS);
	if (n < 0) {
		fprintf(stderr, "nb-simhv: domain-list: %s\n", strerror(-n));
		return 1;
	}
	if (json) {
		printf("[");
		for (i = 0; i < n; i++)
			printf("%s{\"name\":\"%s\",\"domid\":%u,\"memory_mib\":%u}", i ? "," : "",
			       infos[i].name, infos[i].domid, infos[i].memory_mib);
		printf("]\n");
		return 0;
	}
	printf("%-24s %5s %8s\n", "Name", "ID", "Mem(MiB)");
	for (i = 0; i < n; i++)
		printf("%-24s %5u %8u\n", infos[i].name, infos[i].domid, infos[i].memory_mib);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rundir = getenv("NETBACK_RUNDIR");
	bool foreground = false;
	int c;

	if (!rundir || !*rundir)
		rundir = SIMHV_DEFAULT_RUNDIR;
	/* '+': stop at the first subcommand so its own options are left alone. */
	while ((c = getopt_long(argc, argv, "+r:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rundir = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return simhv_run(rundir, foreground);
	if (!strcmp(argv[0], "domain-create"))
		return cmd_domain_create(rundir, argc, argv);
	if (!strcmp(argv[0], "domain-destroy"))
		return cmd_domain_destroy(rundir, argc, argv);
	if (!strcmp(argv[0], "domain-list"))
		return cmd_domain_list(rundir, argc, argv);
	fprintf(stderr, "nb-simhv: unknown command '%s'\n", argv[0]);
	usage(stderr);
	return 2;
}
