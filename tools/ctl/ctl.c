/* SPDX-License-Identifier: MIT */
/*
 * ctl.c - the client side of netbackd's control protocol and the request splitter
 * (see ctl.h).
 */
#include "tools/ctl/ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
nb_ctl_split(char *buf, size_t len, char **argv, int max)
{
	size_t i = 0;
	int argc = 0;

	if (len == 0 || buf[len - 1] != '\0')
		return -EINVAL;
	while (i < len) {
		if (argc >= max)
			return -EINVAL;
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	return argc;
}

static int
nb_ctl_write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
nb_ctl_request(const char *rundir, int argc, char **argv, char **bodyp, char **errmsgp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t cap = 4096, len = 0;
	char *resp, *nl;
	int fd, i, err;

	*bodyp = NULL;
	*errmsgp = NULL;
	if (argc <= 0 || argc > NB_CTL_ARGS_MAX)
		return -EINVAL;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", rundir, NB_CTL_SOCKET) >=
	    sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	for (i = 0; i < argc; i++) {
		err = nb_ctl_write_all(fd, argv[i], strlen(argv[i]) + 1);
		if (err) {
			close(fd);
			return err;
		}
	}
	shutdown(fd, SHUT_WR);
	resp = malloc(cap);
	if (!resp) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t r;

		if (len + 1 >= cap) {
			char *n = realloc(resp, cap * 2);

			if (!n) {
				free(resp);
				close(fd);
				return -ENOMEM;
			}
			resp = n;
			cap *= 2;
		}
		r = read(fd, resp + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			free(resp);
			close(fd);
			return err;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	resp[len] = '\0';
	nl = strchr(resp, '\n');
	if (!nl) {
		free(resp);
		return -EPROTO;
	}
	*nl = '\0';
	if (!strcmp(resp, "OK")) {
		*bodyp = strdup(nl + 1);
		free(resp);
		return *bodyp ? 0 : -ENOMEM;
	}
	if (!strncmp(resp, "ERR ", 4)) {
		char *msg;
		long e = strtol(resp + 4, &msg, 10);

		while (*msg == ' ')
			msg++;
		*errmsgp = strdup(msg);
		free(resp);
		return e > 0 ? (int)-e : -EIO;
	}
	free(resp);
	return -EPROTO;
}
