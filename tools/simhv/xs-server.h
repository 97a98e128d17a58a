/* SPDX-License-Identifier: MIT */
/*
 * xs-server.h - nb-simhv's xenstored: the XenStore wire protocol (xen/io/xs_wire.h) over Unix
 * stream sockets, so that libxenstore and xenstore-utils work against it unchanged
 * (XENSTORED_PATH=<dir>/socket).
 *
 * Contract:
 * - Purpose: listens on '<dir>/socket' (dom0: privileged) and, per introduced guest domain,
 *   on '<dir>/dom<ID>.socket' (connections there act as domain ID: unprivileged, relative
 *   paths resolve against /local/domain/<ID>). Frames requests, dispatches them to the store
 *   (xs-store.h), queues replies and watch events, and handles domains (INTRODUCE, RELEASE,
 *   IS_DOMAIN_INTRODUCED, GET_DOMAIN_PATH). Connections can also be opened in memory (no
 *   socket) so that the whole protocol can be driven by tests and fuzzers.
 * - Hostile clients: a message with a payload above XENSTORE_PAYLOAD_MAX closes that
 *   connection only; any other malformed request gets an XS_ERROR reply. Memory per client
 *   is bounded: output queued for a client that does not read is capped (1 MiB, then the
 *   client is disconnected), watches and transactions per connection and nodes per domain
 *   are capped by the store's limits, guest connections per domain are capped (64).
 * - Watch events of one change are queued before the reply to the request that made it
 *   (as real xenstored); the initial event of a WATCH comes after its reply. Events are not
 *   deduplicated.
 * - Ownership: shv_xs owns the store, its sockets and socket connections. In-memory
 *   connections belong to their opener until shv_xs_conn_close(); one that the server
 *   closed (protocol error, RELEASE, output overflow) stays allocated but dead.
 * - Threading: everything runs on the loop's thread; no function here is thread-safe. The
 *   hooks are called from inside request processing and must not call back into shv_xs.
 * - Errors: functions return 0 or -errno.
 */
#ifndef SHV_XS_SERVER_H
#define SHV_XS_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "vswitch/evloop.h"
#include "tools/simhv/xs-store.h"

/* Bytes of output a connection may have queued before it is disconnected. */
#define SHV_XS_OUTPUT_MAX (1u << 20)
/* Simultaneous connections of one guest domain. */
#define SHV_XS_GUEST_CONNS_MAX 64u

struct shv_xs;
struct shv_xs_conn;

struct shv_xs_hooks {
	/* Whether the hypervisor knows domain 'domid' (INTRODUCE of an unknown domain is EINVAL).
	 * NULL: every domain up to SHV_XS_DOMID_MAX is known. */
	bool (*domain_exists)(void *arg, unsigned int domid);
};

/* Creates the store and listens on '<dir>/socket' (mode 0600; 'dir' and its parents are
 * created if missing, a stale socket file is replaced). With 'dir' NULL nothing listens
 * (in-memory connections only) and 'loop' may be NULL. 'hooks' may be NULL. */
int shv_xs_create(struct shv_xs **xsp, struct vsw_loop *loop, const char *dir,
		  const struct shv_xs_hooks *hooks, void *arg);

/* Closes every connection (in-memory ones are freed too), removes the sockets, frees the
 * store. Accepts NULL. */
void shv_xs_destroy(struct shv_xs *xs);

/* The store, for inspection and for toolstack-like writes by the embedding program. */
struct shv_xs_store *shv_xs_get_store(struct shv_xs *xs);

/* Called by the hypervisor when it creates a guest (as the toolstack + INTRODUCE would):
 * creates /local/domain/<id> owned by <id> ("n<id>": dom0 can read and write), writes "name"
 * and "domid" under it, opens <dir>/dom<id>.socket, fires @introduceDomain. -EINVAL for
 * domid 0 or above SHV_XS_DOMID_MAX, -EEXIST if already introduced. */
int shv_xs_domain_introduce(struct shv_xs *xs, unsigned int domid, const char *name);

/* On guest destruction: closes its connections and socket, removes /local/domain/<id> (as
 * the toolstack would), fires @releaseDomain. -ENOENT if the domain was neither introduced
 * nor present in the store. */
int shv_xs_domain_release(struct shv_xs *xs, unsigned int domid);

/* Whether 'domid' is introduced (dom0 always is). */
bool shv_xs_domain_is_introduced(const struct shv_xs *xs, unsigned int domid);

/* Opens an in-memory connection acting as 'domid' (0, or an introduced domain: else
 * -ENOENT). */
int shv_xs_conn_open_mem(struct shv_xs *xs, unsigned int domid, struct shv_xs_conn **connp);

/* Feeds client bytes (any split) to an in-memory connection and processes every complete
 * request. Returns 0, or the reason the connection is (now) closed: -EPROTO (framing
 * garbage), -ENOBUFS (output overflow), -ENOTCONN (closed before, e.g. by RELEASE). */
int shv_xs_conn_feed(struct shv_xs_conn *conn, const void *buf, size_t len);

/* Moves up to 'max' queued output bytes (replies and events, wire format) into 'buf';
 * returns the number moved. Works on a dead connection until its queue is empty. */
size_t shv_xs_conn_take_output(struct shv_xs_conn *conn, void *buf, size_t max);

/* Bytes of output queued. */
size_t shv_xs_conn_output_len(const struct shv_xs_conn *conn);

/* Whether the server still serves the connection. */
bool shv_xs_conn_is_open(const struct shv_xs_conn *conn);

/* Closes and frees an in-memory connection (its watches and transactions go). Accepts
 * NULL. */
void shv_xs_conn_close(struct shv_xs_conn *conn);

/* Number of live connections (socket and in-memory). */
unsigned int shv_xs_conn_count(const struct shv_xs *xs);

#endif
