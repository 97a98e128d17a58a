/* SPDX-License-Identifier: MIT */
/*
 * xs-store.h - the XenStore database of nb-simhv's xenstored: a tree of nodes with Xen's
 * permission model, per-domain quotas and transactions, without any I/O.
 *
 * Contract:
 * - Purpose: holds the nodes (path, raw value bytes, permissions, children in creation
 *   order, generation) and implements the semantics of the XenStore operations on behalf of
 *   a caller domain: READ, WRITE, MKDIR, RM, DIRECTORY, GET_PERMS, SET_PERMS and
 *   transactions. The wire protocol, connections and watches live in xs-server.h; the store
 *   reports every change through one event callback so that the server can fire watches.
 * - Identity: every operation names the caller's domid. Domain 0 is privileged (may do
 *   everything); any other domain is unprivileged and subject to the permissions and quotas.
 * - Paths given to operations are canonical absolute paths ("/a/b") or, where stated,
 *   special paths ("@releaseDomain"); shv_xs_path_resolve() makes them from what a client
 *   sent (relative paths resolve against "/local/domain/<domid>").
 * - Permissions follow Xen: entry 0 names the owner and the access of every domain not
 *   listed; later entries override it per domain. Owners and dom0 have every right.
 * - Transactions: a transaction keeps a private copy of each node it touched (read, written,
 *   seen as absent, listed) with the generation it saw; commit fails with -EAGAIN if any of
 *   those nodes changed since, otherwise applies the copies and only then reports the
 *   changes. Memory of a transaction is bounded by the number of nodes it touched
 *   (limits.tx_nodes for unprivileged callers).
 * - Ownership: pointers returned by lookups point into the store and stay valid until the
 *   next call that may modify it (any operation except the read-only ones, tx_end, destroy).
 * - Threading: none; one thread uses a store at a time.
 * - Errors: functions return 0 or -errno with the errno real xenstored sends on the wire
 *   (-ENOENT, -EACCES, -EINVAL, -ENOSPC, -EAGAIN, -E2BIG, -ENOMEM).
 */
#ifndef SHV_XS_STORE_H
#define SHV_XS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Permission bits, as struct xs_permissions in xenstore.h. */
#define SHV_XS_PERM_NONE  0u
#define SHV_XS_PERM_READ  1u
#define SHV_XS_PERM_WRITE 2u
#define SHV_XS_PERM_OWNER 4u /* only ever computed, never stored */

/* Longest canonical path, without the terminating NUL (XENSTORE_ABS_PATH_MAX). */
#define SHV_XS_ABS_PATH_MAX 3072
/* Longest relative path a client may send (XENSTORE_REL_PATH_MAX). */
#define SHV_XS_REL_PATH_MAX 2048
/* Highest domid a permission entry or a domain may name (DOMID_FIRST_RESERVED - 1). */
#define SHV_XS_DOMID_MAX 0x7fefu

struct shv_xs_store;
struct shv_xs_tx;

struct shv_xs_perm {
	unsigned int domid; /* owner (entry 0) or the domain this entry is for */
	unsigned int perms; /* SHV_XS_PERM_READ | SHV_XS_PERM_WRITE */
};

/* Quotas applied to unprivileged domains (0 in a field of shv_xs_store_create's argument
 * means "default"). The errno on overflow is the one real xenstored uses. */
struct shv_xs_limits {
	unsigned int nodes_per_domain; /* nodes owned by a domain (1000; -ENOSPC) */
	unsigned int value_size;       /* bytes of one node's value (2048; -ENOSPC) */
	unsigned int perms_per_node;   /* entries in a SET_PERMS (5; -ENOSPC) */
	unsigned int tx_nodes;	       /* nodes one transaction may touch (1024; -ENOSPC) */
	unsigned int watches_per_conn; /* used by xs-server (128; -E2BIG) */
	unsigned int tx_per_conn;      /* used by xs-server (10; -ENOSPC) */
};

/* A change of the global tree, reported once per affected node (after a commit for changes
 * made in a transaction). Special events ('@...') have no permissions. */
struct shv_xs_event {
	const char *path;			/* canonical or special path */
	bool exact;				/* only watches on exactly 'path' fire */
	const struct shv_xs_perm *perms;	/* the node's permissions (before removal) */
	unsigned int n_perms;			/* 0: everyone may see the event */
	const struct shv_xs_perm *old_perms;	/* before a SET_PERMS, else NULL */
	unsigned int n_old_perms;		/* entries in old_perms */
	const struct shv_xs_perm *parent_perms; /* the parent's, NULL if none */
	unsigned int n_parent_perms;		/* entries in parent_perms */
};

/* Called synchronously for each change; must not call back into the store except for the
 * read-only helpers below. */
typedef void shv_xs_event_fn(void *arg, const struct shv_xs_event *ev);

/* Creates a store holding "/", "/local", "/local/domain", "/local/domain/0", "/tool",
 * "/tool/xenstored" and the special nodes "@introduceDomain" and "@releaseDomain", all owned
 * by dom0 with "n0". 'limits' may be NULL (defaults). */
int shv_xs_store_create(struct shv_xs_store **storep, const struct shv_xs_limits *limits);

/* Frees the store; open transactions must have been ended. Accepts NULL. */
void shv_xs_store_destroy(struct shv_xs_store *store);

/* The limits in force (defaults filled in). */
const struct shv_xs_limits *shv_xs_store_limits(const struct shv_xs_store *store);

/* Sets the change callback (NULL: none). */
void shv_xs_store_set_event_fn(struct shv_xs_store *store, shv_xs_event_fn *fn, void *arg);

/* Turns a path sent by domain 'domid' into a canonical one in 'out' (size 'out_size', at
 * least SHV_XS_ABS_PATH_MAX + 1). Relative paths get "/local/domain/<domid>/" prepended and
 * '*prefix_len' (may be NULL) is set to that prefix's length, else to 0. Special paths
 * ('@' followed by [A-Za-z0-9_-]) are accepted only with 'allow_special'. -EINVAL for an
 * empty path, a character outside [A-Za-z0-9-/_@], "//", a trailing '/' (except "/"), or a
 * path longer than the limits. */
int shv_xs_path_resolve(unsigned int domid, const char *in, bool allow_special, char *out,
			size_t out_size, size_t *prefix_len);

/* Whether 'path' is 'parent' or below it ("/" is above every absolute path). */
bool shv_xs_path_is_child(const char *path, const char *parent);

/* Parses one wire permission ("r5", "b0", "w3", "n7") into '*perm'; -EINVAL if malformed
 * or the domid is above SHV_XS_DOMID_MAX. */
int shv_xs_perm_parse(const char *s, struct shv_xs_perm *perm);

/* Formats a permission for the wire into 'buf' (at least 12 bytes); returns its length. */
size_t shv_xs_perm_format(const struct shv_xs_perm *perm, char *buf, size_t size);

/* The rights of 'domid' on a node with 'perms' (SHV_XS_PERM_* bits, OWNER included). */
unsigned int shv_xs_perm_for(unsigned int domid, const struct shv_xs_perm *perms,
			     unsigned int n_perms);

/* Whether a watcher in 'domid' may be told about 'ev': special events go to everyone;
 * otherwise the domain must be able to read the node (or, for a removed or re-permissioned
 * node, its old permissions or its parent), as real xenstored's watch_permitted(). */
bool shv_xs_event_permitted(const struct shv_xs_event *ev, unsigned int domid);

/*
 * Operations. 'tx' is NULL outside a transaction, else a transaction of the same 'domid'.
 * Each returns 0 or -errno as the wire error of that operation.
 */

/* READ: '*valp'/'*lenp' get the value (raw bytes, not NUL-terminated). Needs READ. */
int shv_xs_store_read(struct shv_xs_store *store, struct shv_xs_tx *tx, unsigned int domid,
		      const char *path, const void **valp, size_t *lenp);

/* WRITE: sets the value, creating the node and its missing parents. Needs WRITE on the node
 * if it exists, else on the nearest existing ancestor; created nodes inherit the parent's
 * permissions with the owner set to an unprivileged creator. */
int shv_xs_store_write(struct shv_xs_store *store, struct shv_xs_tx *tx, unsigned int domid,
		       const char *path, const void *val, size_t len);

/* MKDIR: creates the node (empty value) if missing, like WRITE; an existing node is left
 * alone but still needs WRITE. */
int shv_xs_store_mkdir(struct shv_xs_store *store, struct shv_xs_tx *tx, unsigned int domid,
		       const char *path);

/* RM: removes the node and everything below it. Needs WRITE on the node. Removing a missing
 * node whose parent exists succeeds; removing "/" is -EINVAL. */
int shv_xs_store_rm(struct shv_xs_store *store, struct shv_xs_tx *tx, unsigned int domid,
		    const char *path);

/* DIRECTORY: '*childrenp'/'*lenp' get the children names, each NUL-terminated, in creation
 * order; '*genp' (may be NULL) the node's generation (for DIRECTORY_PART). Needs READ. */
int shv_xs_store_directory(struct shv_xs_store *store, struct shv_xs_tx *tx, unsigned int domid,
			   const char *path, const char **childrenp, size_t *lenp, uint64_t *genp);

/* GET_PERMS (special paths allowed). Needs READ. */
int shv_xs_store_get_perms(struct shv_xs_store *store, struct shv_xs_tx *tx, unsigned int domid,
			   const char *path, const struct shv_xs_perm **permsp, unsigned int *np);

/* SET_PERMS (special paths allowed): needs ownership (or dom0); an unprivileged owner may
 * not name another owner (-EACCES; real xenstored says EPERM there). */
int shv_xs_store_set_perms(struct shv_xs_store *store, struct shv_xs_tx *tx, unsigned int domid,
			   const char *path, const struct shv_xs_perm *perms, unsigned int n_perms);

/* Starts a transaction for 'domid'. */
int shv_xs_store_tx_begin(struct shv_xs_store *store, unsigned int domid, struct shv_xs_tx **txp);

/* Ends 'tx' (always freed): commit if 'commit', else abort. Commit returns -EAGAIN on a
 * conflict, -ENOSPC if the domain's node quota would be exceeded, or the error that
 * poisoned the transaction when an operation inside it failed half-way (-ENOSPC for too
 * many touched nodes, -ENOMEM); nothing is applied then. */
int shv_xs_store_tx_end(struct shv_xs_store *store, struct shv_xs_tx *tx, bool commit);

/* Reports a change of special node 'name' ("@introduceDomain", "@releaseDomain"). */
void shv_xs_store_fire_special(struct shv_xs_store *store, const char *name);

/* Number of nodes owned by 'domid' in the global tree. */
unsigned int shv_xs_store_domain_nodes(const struct shv_xs_store *store, unsigned int domid);

/* Number of nodes in the global tree (special nodes included). */
size_t shv_xs_store_node_count(const struct shv_xs_store *store);

#endif
