/* SPDX-License-Identifier: MIT */
/*
 * nb-guest - a simulated Xen guest for nb-simhv: attaches to domain N as that guest, joins
 * the network namespace that plays the guest's kernel, and runs a netfront
 * (tools/guest/netfront.h) for every vif the toolstack gives it, each seen as a TAP device
 * eth<devid> by the real Linux tools in the namespace.
 *
 *   nb-guest --rundir DIR --domid N [--netns NAME] [--extra 'KERNEL CMDLINE']
 *            [--foreground] [--log FILE]
 *
 * It talks to XenStore only through the guest's own xenstored socket, so it can write only
 * where a real guest could. Unless --foreground it daemonizes (DIR/guests/NAME.pid, log in
 * --log or DIR/guests/NAME.log) and the parent returns once the daemon serves. SIGTERM, SIGINT
 * or SIGHUP closes every vif as netfront does on unload and exits 0; SIGUSR1 logs counters.
 */
#include "netback/hv/sim-client.h"
#include "tools/guest/ipcfg.h"
#include "tools/guest/netfront.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenstore.h>

#define GUEST_DEFAULT_RUNDIR "/run/netback"
#define GUEST_NETNS_DIR	     "/run/netns"
/* How long SIGTERM waits for the backends to close (xen-netfront's XENNET_TIMEOUT). */
#define GUEST_CLOSE_TIMEOUT_MS 5000
#define GUEST_MAX_EVENTS       64

extern char **environ;

struct guest_opts {
	char rundir[PATH_MAX];
	unsigned int domid;
	const char *netns;
	const char *extra;
	const char *log;
	bool foreground;
};

struct guest {
	struct guest_opts *o;
	char name[NB_SIM_NAME_MAX];
	char netns[NB_SIM_NAME_MAX];
	char pidfile[PATH_MAX];
	struct xs_handle *xs;
	struct nb_nf_guest *nf;
	int epfd;
	int sigfd;
	int timerfd;
	struct nb_nf_poll sig_poll;
	struct nb_nf_poll timer_poll;
	bool stop;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: nb-guest --rundir DIR --domid N [--netns NAME] [--extra 'CMDLINE']\n"
		   "                [--foreground] [--log FILE]\n");
}

static int
mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
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

static int
parse_opts(int argc, char **argv, struct guest_opts *o)
{
	static const struct option longopts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ "domid", required_argument, NULL, 'd' },
		{ "netns", required_argument, NULL, 'n' },
		{ "extra", required_argument, NULL, 'e' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rundir = GUEST_DEFAULT_RUNDIR;
	bool have_domid = false;
	int c;

	while ((c = getopt_long(argc, argv, "r:d:n:e:fl:h", longopts, NULL)) != -1) {
		char *end;
		unsigned long v;

		switch (c) {
		case 'r':
			rundir = optarg;
			break;
		case 'd':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || optarg[0] == '-' || v == 0 ||
			    v >= NB_SIM_DOMID_LIMIT) {
				fprintf(stderr, "nb-guest: bad --domid '%s'\n", optarg);
				return -EINVAL;
			}
			o->domid = (unsigned int)v;
			have_domid = true;
			break;
		case 'n':
			o->netns = optarg;
			break;
		case 'e':
			o->extra = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'l':
			o->log = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc || !have_domid) {
		usage(stderr);
		return -EINVAL;
	}
	/* Absolute, so the daemon does not depend on where it was started. */
	if (!realpath(rundir, o->rundir)) {
		fprintf(stderr, "nb-guest: %s: %s\n", rundir, strerror(errno));
		return -errno;
	}
	return 0;
}

/* A name that is safe as a file under /run/netns and as `ip netns` argument. */
static bool
netns_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= NAME_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* Reads the domain's name from its own XenStore home, as the guest sees it. */
static int
read_name(struct guest *g)
{
	char path[64];
	unsigned int len;
	struct xs_handle *xs;
	char *v;
	int err = 0;

	xs = xs_open(0);
	if (!xs)
		return errno ? -errno : -EIO;
	snprintf(path, sizeof(path), "/local/domain/%u/name", g->o->domid);
	v = xs_read(xs, XBT_NULL, path, &len);
	if (!v)
		err = errno ? -errno : -EIO;
	else if (len == 0 || len >= sizeof(g->name) || strlen(v) != len)
		err = -EINVAL;
	else
		memcpy(g->name, v, (size_t)len + 1);
	free(v);
	xs_close(xs);
	return err;
}

static int
run_cmd(char *const argv[])
{
	pid_t pid;
	int err, status;

	err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (err)
		return -err;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Moves this thread (the only one so far) into /run/netns/NAME, creating it if needed. */
static int
join_netns(const char *name)
{
	char path[PATH_MAX];
	int fd, err;

	if (snprintf(path, sizeof(path), "%s/%s", GUEST_NETNS_DIR, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		char *argv[] = { "ip", "netns", "add", (char *)name, NULL };

		err = run_cmd(argv);
		if (err)
			return err;
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	err = setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
	close(fd);
	return err;
}

static int
lo_up(void)
{
	struct ifreq ifr;
	int s, err = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		err = -errno;
	} else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			err = -errno;
	}
	close(s);
	return err;
}

/* DIR/guests/NAME.pid, locked for the life of the process: one nb-guest per domain. */
static int
lock_pidfile(const char *path, int *fdp)
{
	char pid[32];
	int fd, n;

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

static void
on_signal(struct nb_nf_poll *p, uint32_t events)
{
	struct guest *g = (struct guest *)(void *)((char *)p - offsetof(struct guest, sig_poll));
	struct signalfd_siginfo si;

	(void)events;
	while (read(g->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			nb_nf_guest_dump(g->nf, stderr);
		else
			g->stop = true;
	}
}

static void
on_timer(struct nb_nf_poll *p, uint32_t events)
{
	struct guest *g = (struct guest *)(void *)((char *)p - offsetof(struct guest, timer_poll));
	uint64_t ticks;

	(void)events;
	if (read(g->timerfd, &ticks, sizeof(ticks)) == sizeof(ticks))
		nb_nf_guest_tick(g->nf);
}

static int
add_fd(struct guest *g, int fd, struct nb_nf_poll *p)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = p };

	return epoll_ctl(g->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/*
 * Whether the kernel command line 'cmdline' has the whole word 'word'. Our netfront's
 * parameters: "nb-netfront.offloads=0" asks for complete checksums and no GSO, like a Linux
 * guest after `ethtool -K eth0 tx off tso off gso off` (the baseline of the GSO benchmark);
 * "nb-netfront.hash=1" sets up the control ring and asks for Toeplitz HASH extras.
 */
static bool
cmdline_has(const char *cmdline, const char *word)
{
	size_t n = strlen(word);
	const char *s = cmdline;

	while (s && (s = strstr(s, word)) != NULL) {
		bool start = s == cmdline || s[-1] == ' ' || s[-1] == '\t';
		char end = s[n];

		if (start && (end == '\0' || end == ' ' || end == '\t'))
			return true;
		s += n;
	}
	return false;
}

/* Everything up to serving; on error the message is already printed. */
static int
setup(struct guest *g, const struct nb_ipcfg *ipcfg)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	struct nb_nf_guest_cfg cfg;
	sigset_t mask;
	int err;

	err = join_netns(g->netns);
	if (err) {
		fprintf(stderr, "nb-guest: network namespace %s: %s\n", g->netns, strerror(-err));
		return err;
	}
	err = lo_up();
	if (err)
		fprintf(stderr, "nb-guest: bringing lo up: %s\n", strerror(-err));
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	g->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	g->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (g->sigfd < 0 || g->timerfd < 0 || g->epfd < 0 ||
	    timerfd_settime(g->timerfd, 0, &its, NULL) < 0) {
		err = -errno;
		fprintf(stderr, "nb-guest: event setup: %s\n", strerror(-err));
		return err;
	}
	g->sig_poll.fn = on_signal;
	g->timer_poll.fn = on_timer;
	err = add_fd(g, g->sigfd, &g->sig_poll);
	if (!err)
		err = add_fd(g, g->timerfd, &g->timer_poll);
	if (err) {
		fprintf(stderr, "nb-guest: epoll: %s\n", strerror(-err));
		return err;
	}
	g->xs = xs_open(0);
	if (!g->xs) {
		err = errno ? -errno : -EIO;
		fprintf(stderr, "nb-guest: xenstore: %s\n", strerror(-err));
		return err;
	}
	cfg = (struct nb_nf_guest_cfg){
		.rundir = g->o->rundir,
		.domid = g->o->domid,
		.xs = g->xs,
		.epfd = g->epfd,
		.ipcfg = ipcfg,
		.no_offloads = cmdline_has(g->o->extra, "nb-netfront.offloads=0"),
		.hash = cmdline_has(g->o->extra, "nb-netfront.hash=1"),
		.mcast = cmdline_has(g->o->extra, "nb-netfront.mcast=1"),
		.no_rx_notify = cmdline_has(g->o->extra, "nb-netfront.rx-notify=0"),
		.queues = cmdline_has(g->o->extra, "nb-netfront.queues=2")   ? 2
			  : cmdline_has(g->o->extra, "nb-netfront.queues=4") ? 4
									     : 1,
	};
	err = nb_nf_guest_open(&g->nf, &cfg);
	if (err) {
		fprintf(stderr, "nb-guest: attaching as domain %u: %s\n", g->o->domid,
			strerror(-err));
		return err;
	}
	return 0;
}

static void
serve(struct guest *g)
{
	struct epoll_event evs[GUEST_MAX_EVENTS];

	while (!g->stop) {
		int n = epoll_wait(g->epfd, evs, GUEST_MAX_EVENTS,
				   nb_nf_guest_busy(g->nf) ? 0 : -1);
		int i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "nb-guest: epoll_wait: %s\n", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			struct nb_nf_poll *p = evs[i].data.ptr;

			p->fn(p, evs[i].events);
		}
		nb_nf_guest_run(g->nf);
	}
}

/* Forks; the parent waits until the child reports readiness on the pipe. Returns in the
 * child only (with *ready_fd set); the parent exits. */
static void
daemonize(const char *logpath, int *ready_fd)
{
	int p[2], fd;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		perror("nb-guest: pipe");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("nb-guest: fork");
		exit(1);
	}
	if (pid > 0) {
		char c = 1;

		close(p[1]);
		if (read(p[0], &c, 1) != 1 || c != 0) {
			fprintf(stderr, "nb-guest: failed to start (see %s)\n", logpath);
			exit(1);
		}
		exit(0);
	}
	close(p[0]);
	setsid();
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	*ready_fd = p[1];
}

static void
redirect_log(const char *logpath)
{
	int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0) {
		fprintf(stderr, "nb-guest: %s: %s\n", logpath, strerror(errno));
		return;
	}
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

int
main(int argc, char **argv)
{
	struct guest_opts o = { 0 };
	struct guest g = { .o = &o, .epfd = -1, .sigfd = -1, .timerfd = -1 };
	struct nb_ipcfg ipcfg;
	char xs_path[PATH_MAX], dir[PATH_MAX], logpath[PATH_MAX];
	int ready_fd = -1, pidfd = -1, err, rc = 1;
	char status;

	if (parse_opts(argc, argv, &o))
		return 2;
	if (nb_ipcfg_parse_cmdline(o.extra, &ipcfg)) {
		fprintf(stderr, "nb-guest: --extra: malformed ip=, netmask= or gateway=\n");
		return 2;
	}
	err = nb_sim_dom_xs_path(o.rundir, o.domid, xs_path, sizeof(xs_path));
	if (err) {
		fprintf(stderr, "nb-guest: %s: %s\n", o.rundir, strerror(-err));
		return 1;
	}
	/* libxenstore connects to XENSTORED_PATH first: the guest's own, unprivileged socket. */
	setenv("XENSTORED_PATH", xs_path, 1);
	err = read_name(&g);
	if (err) {
		fprintf(stderr, "nb-guest: domain %u: cannot read its name: %s\n", o.domid,
			strerror(-err));
		return 1;
	}
	snprintf(g.netns, sizeof(g.netns), "%s", o.netns ? o.netns : g.name);
	if (!netns_name_ok(g.netns)) {
		fprintf(stderr, "nb-guest: '%s' cannot name a network namespace; use --netns\n",
			g.netns);
		return 2;
	}
	if (snprintf(dir, sizeof(dir), "%s/guests", o.rundir) >= (int)sizeof(dir) ||
	    snprintf(g.pidfile, sizeof(g.pidfile), "%s/%s.pid", dir, g.name) >=
		    (int)sizeof(g.pidfile) ||
	    snprintf(logpath, sizeof(logpath), "%s", o.log ? o.log : g.pidfile) >=
		    (int)sizeof(logpath)) {
		fprintf(stderr, "nb-guest: %s: path too long\n", o.rundir);
		return 1;
	}
	if (!o.log)
		memcpy(logpath + strlen(logpath) - 4, ".log", 4);
	err = mkdir_p(dir, 0755);
	if (err) {
		fprintf(stderr, "nb-guest: %s: %s\n", dir, strerror(-err));
		return 1;
	}

	if (!o.foreground) {
		daemonize(logpath, &ready_fd);
		redirect_log(logpath);
	} else if (o.log) {
		redirect_log(logpath);
	}
	err = lock_pidfile(g.pidfile, &pidfd);
	if (err) {
		fprintf(stderr, "nb-guest: %s: %s\n", g.pidfile,
			err == -EBUSY ? "another nb-guest serves this domain" : strerror(-err));
		goto out;
	}
	err = setup(&g, &ipcfg);
	if (err)
		goto out;
	fprintf(stderr, "nb-guest: serving domain %u (%s) in network namespace %s\n", o.domid,
		g.name, g.netns);
	fflush(stderr);
	if (ready_fd >= 0) {
		status = 0;
		if (write(ready_fd, &status, 1) != 1)
			fprintf(stderr, "nb-guest: telling the parent: %s\n", strerror(errno));
		close(ready_fd);
		ready_fd = -1;
	}
	serve(&g);
	err = nb_nf_guest_shutdown(g.nf, GUEST_CLOSE_TIMEOUT_MS);
	if (err)
		fprintf(stderr, "nb-guest: a backend did not close within %d ms\n",
			GUEST_CLOSE_TIMEOUT_MS);
	fprintf(stderr, "nb-guest: domain %u stopped\n", o.domid);
	rc = 0;
out:
	nb_nf_guest_close(g.nf);
	if (g.xs)
		xs_close(g.xs);
	if (g.epfd >= 0)
		close(g.epfd);
	if (g.sigfd >= 0)
		close(g.sigfd);
	if (g.timerfd >= 0)
		close(g.timerfd);
	if (pidfd >= 0) {
		unlink(g.pidfile);
		close(pidfd);
	}
	if (ready_fd >= 0) {
		status = 1;
		if (write(ready_fd, &status, 1) < 0)
			rc = 1;
		close(ready_fd);
	}
	return rc;
}
