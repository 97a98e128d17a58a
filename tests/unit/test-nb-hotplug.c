/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for nb-hotplug.c: the script gets libxl's arguments and environment, its output
 * lands in the log, its exit status comes back, and a hanging script is killed with its
 * process group.
 */
#include "netback/nb-hotplug.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

struct fixture {
	char dir[64];
	char script[128];
	char log[128];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/nb-hotplug-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->script, sizeof(f->script), "%s/vif-test", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/hotplug.log", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
write_script(const struct fixture *f, const char *body)
{
	FILE *fp = fopen(f->script, "w");

	assert_non_null(fp);
	fprintf(fp, "#!/bin/sh\n%s\n", body);
	fclose(fp);
	assert_int_equal(chmod(f->script, 0755), 0);
}

static int
run(const struct fixture *f, const char *action, int timeout_ms, bool *killed)
{
	static const char *const extra[] = { "NB_TEST_EXTRA=yes", NULL };
	struct nb_hotplug_req req = {
		.script = f->script,
		.action = action,
		.xenbus_path = "backend/vif/3/0",
		.vif = "vif3.0",
		.netdev = "eth9",
		.log_path = f->log,
		.extra_env = extra,
	};
	struct nb_hotplug *hp;
	struct pollfd pfd;
	int status = -1;

	assert_int_equal(nb_hotplug_start(&req, &hp), 0);
	pfd.fd = nb_hotplug_fd(hp);
	pfd.events = POLLIN;
	*killed = poll(&pfd, 1, timeout_ms) == 0;
	if (*killed)
		nb_hotplug_kill(hp);
	assert_int_equal(nb_hotplug_finish(hp, &status), 0);
	return status;
}

static char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void
script_gets_libxl_arguments_and_environment(void **state)
{
	struct fixture *f = *state;
	bool killed;
	int status;
	char *log;

	write_script(
		f,
		"echo \"args=$*\"; echo \"XENBUS_PATH=$XENBUS_PATH\"; "
		"echo \"XENBUS_TYPE=$XENBUS_TYPE\"; echo \"XENBUS_BASE_PATH=$XENBUS_BASE_PATH\"; "
		"echo \"vif=$vif netdev=$netdev\"; echo \"script=$script\"; "
		"echo \"extra=$NB_TEST_EXTRA\"; read x && echo stdin-not-null");
	status = run(f, "online", 5000, &killed);
	assert_false(killed);
	assert_true(WIFEXITED(status));
	log = slurp(f->log);
	assert_non_null(strstr(log, "args=online type_if=vif\n"));
	assert_non_null(strstr(log, "XENBUS_PATH=backend/vif/3/0\n"));
	assert_non_null(strstr(log, "XENBUS_TYPE=vif\n"));
	assert_non_null(strstr(log, "XENBUS_BASE_PATH=backend\n"));
	assert_non_null(strstr(log, "vif=vif3.0 netdev=eth9\n"));
	assert_non_null(strstr(log, "extra=yes\n"));
	assert_non_null(strstr(log, f->script));
	assert_null(strstr(log, "stdin-not-null"));
}

static void
exit_status_is_reported(void **state)
{
	struct fixture *f = *state;
	bool killed;
	int status;

	write_script(f, "echo failing >&2; exit 3");
	status = run(f, "offline", 5000, &killed);
	assert_false(killed);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	assert_non_null(strstr(slurp(f->log), "failing"));
}

static bool
process_alive(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fp = fopen(path, "r");
	if (!fp)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static void
hanging_script_and_its_children_are_killed(void **state)
{
	struct fixture *f = *state;
	char pidfile[160], cmd[300];
	bool killed;
	int status;
	long child;
	FILE *fp;

	snprintf(pidfile, sizeof(pidfile), "%s/child.pid", f->dir);
	snprintf(cmd, sizeof(cmd), "sleep 60 & echo $! > %s; wait", pidfile);
	write_script(f, cmd);
	status = run(f, "online", 300, &killed);
	assert_true(killed);
	assert_true(WIFSIGNALED(status));
	fp = fopen(pidfile, "r");
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%ld", &child), 1);
	fclose(fp);
	/* The grandchild was in the script's process group, so it is gone too (or a zombie
	 * waiting for init to reap it). */
	for (int i = 0; i < 50 && process_alive((pid_t)child); i++)
		usleep(20000);
	assert_false(process_alive((pid_t)child));
}

static void
relative_script_path_is_refused(void **state)
{
	struct nb_hotplug_req req = {
		.script = "vif-bridge", .action = "online", .xenbus_path = "x", .vif = "v"
	};
	struct nb_hotplug *hp;

	(void)state;
	assert_int_equal(nb_hotplug_start(&req, &hp), -EINVAL);
}

static void
missing_script_exits_127(void **state)
{
	struct fixture *f = *state;
	bool killed;
	int status;

	status = run(f, "online", 5000, &killed);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 127);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(script_gets_libxl_arguments_and_environment, setup,
						teardown),
		cmocka_unit_test_setup_teardown(exit_status_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(hanging_script_and_its_children_are_killed, setup,
						teardown),
		cmocka_unit_test(relative_script_path_is_refused),
		cmocka_unit_test_setup_teardown(missing_script_exits_127, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
