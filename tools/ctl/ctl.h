/* SPDX-License-Identifier: MIT */
/*
 * ctl.h - netbackd's control socket protocol, shared by netbackd (server) and nbctl (client).
 *
 * Contract: a Unix stream socket at <rundir>/netbackd.sock, mode 0600 (root only). One request
 * per connection: the client writes its argument vector as NUL-terminated strings (at most
 * NB_CTL_REQ_MAX bytes in all, at most NB_CTL_ARGS_MAX arguments) and shuts down its write
 * side; the server answers with one status line, "OK" or "ERR <errno> <message>", then the
 * body (text, or JSON when the request carried --json), and closes. Errors: 0 or -errno.
 */
#ifndef NB_CTL_H
#define NB_CTL_H

#include <stddef.h>

#define NB_CTL_SOCKET	"netbackd.sock"
#define NB_CTL_REQ_MAX	65536
#define NB_CTL_ARGS_MAX 64

/* Splits a request buffer into argv (pointers into 'buf'); returns argc or -EINVAL. */
int nb_ctl_split(char *buf, size_t len, char **argv, int max);

/*
 * Client: sends 'argv' to the daemon under 'rundir' and reads the answer. On success
 * '*bodyp' gets the malloc'd body (NUL-terminated) and '*errmsgp' NULL; on a daemon error
 * the return is the daemon's -errno and '*errmsgp' its message (malloc'd). -ECONNREFUSED /
 * -ENOENT when no daemon listens.
 */
int nb_ctl_request(const char *rundir, int argc, char **argv, char **bodyp, char **errmsgp);

#endif
