/* SPDX-License-Identifier: MIT */
/*
 * xlcfg.h - parser for xl domain configuration files, as read by `nbctl create FILE`.
 *
 * Contract
 *
 * Purpose: read the xl.cfg(5) files people write for PV guests and give back the
 * settings netback and nb-simhv act on (name, memory, vcpus, kernel/ramdisk/bootloader,
 * command line, on_* actions, vif list with each spec parsed by vifspec.h), plus the
 * keys that were accepted but are ignored, so the caller prints one notice per key.
 *
 * Syntax (libxlu's flex/bison grammar, tools/libs/util/libxlu_cfg*):
 *   file    := { [ KEY ('=' | '+=') value ] ( NEWLINE | ';' ) } [ KEY ('=' | '+=') value ]
 *   value   := STRING | NUMBER | '[' { NEWLINE } [ value { NEWLINE } { ',' { NEWLINE }
 *              value { NEWLINE } } [ ',' { NEWLINE } ] ] ']'
 * KEY is [A-Za-z_][A-Za-z0-9_.]*; NUMBER is a digit followed by letters, digits, '_' or
 * '.', kept as text (xl also treats numbers as strings until a key asks for one); STRING
 * is in single or double quotes on one line, with the escapes \\ \' \" and \xHH. '#'
 * starts a comment to the end of the line, also inside lists. Blanks, tabs and
 * carriage returns (CRLF files) separate tokens. Lists nest up to 8 deep (xl uses nested
 * lists for vnuma and the like).
 *
 * Semantics, as xl: a key assigned twice keeps the last value (libxlu_cfg.c's
 * xlu__cfg_set_store() prepends each setting and find() returns the first match);
 * 'KEY += value' appends to an earlier string or list of the same kind (or sets it if
 * there is none). Integer keys take decimal or 0x hex, as strtol(..., 0) does; decimal
 * with a leading zero is refused because xl would read it as octal. Quoted numbers
 * ('512') are integers too. Stricter than xl, on purpose: control characters other than
 * tab inside strings (raw or escaped), negative numbers, unknown escapes, a missing
 * 'name', and bad values of the keys used here are errors; xl's Python-era leniencies
 * are not accepted.
 *
 * Keys used: name (required; 1-64 of [A-Za-z0-9_.-], not all digits), type (pv, pvh or
 * hvm), uuid, memory and maxmem (MiB), vcpus and maxvcpus, kernel, ramdisk, bootloader,
 * bootloader_args (a list, or a string split on blanks as xl does), cmdline, root,
 * extra, on_poweroff, on_reboot, on_watchdog, on_crash, on_soft_reset (destroy, restart,
 * rename-restart, preserve, coredump-destroy, coredump-restart, soft-reset), vif (a list
 * of specs; each spec's devid defaults to its list index and must be unique). Every
 * other key is ignored and listed in 'ignored'; 'known' tells a documented xl key from
 * one this parser has never heard of (a likely typo).
 *
 * Ownership: nb_xlcfg_parse()/nb_xlcfg_load() return a heap object owned by the caller,
 * freed with nb_xlcfg_free() (NULL is accepted). All strings inside belong to it.
 * Threading: no shared state; distinct objects may be used from distinct threads.
 * Errors: functions return 0 or -errno and fill 'err' (which may be NULL) with one line.
 * -EINVAL means the text is wrong: "FILE:LINE:COL: [KEY: ]expected X, found 'Y'", or
 * "found end of line", "found end of file", "found a list" (lines and columns count from
 * 1, columns in bytes); 'err->line'/'err->col' repeat the position. -EFBIG (over
 * NB_XLCFG_SIZE_MAX) and open/read errors give "FILE: ..." with line and col 0; -ENOMEM
 * gives "FILE:LINE:COL: out of memory".
 */
#ifndef NB_XLCFG_H
#define NB_XLCFG_H

#include <stdbool.h>
#include <stddef.h>

#include "tools/xl/vifspec.h"

#define NB_XLCFG_SIZE_MAX	(1024 * 1024) /* largest config file, bytes */
#define NB_XLCFG_SETTINGS_MAX	1024	      /* distinct keys in one file */
#define NB_XLCFG_DEPTH_MAX	8	      /* list nesting */
#define NB_XLCFG_VIFS_MAX	64
#define NB_XLCFG_MEMORY_MAX_MIB 16777216 /* 16 TiB */
#define NB_XLCFG_VCPUS_MAX	4096

enum nb_xlcfg_type {
	NB_XLCFG_STRING, /* a quoted string or a number, as text */
	NB_XLCFG_LIST,
};

struct nb_xlcfg_value {
	enum nb_xlcfg_type type;
	unsigned line, col;	      /* where the value starts */
	size_t off;		      /* byte offset of that start in the file */
	char *str;		      /* STRING: NUL-terminated, unquoted */
	size_t len;		      /* STRING: bytes in 'str'; LIST: number of items */
	struct nb_xlcfg_value *items; /* LIST */
	size_t cap;		      /* allocated bytes or items */
};

struct nb_xlcfg_setting {
	char *key;
	unsigned line, col; /* of the key at its last assignment */
	struct nb_xlcfg_value value;
};

struct nb_xlcfg_vif {
	const char *text;	/* the spec as written, unquoted */
	unsigned line, col;	/* of the spec in the file */
	struct nb_vifspec spec; /* parsed; devid assigned; MAC still unset unless given */
};

struct nb_xlcfg_ignored {
	const char *key;
	unsigned line; /* of its last assignment */
	bool known;    /* a documented xl key; false: unknown here, perhaps misspelt */
};

struct nb_xlcfg {
	char *source; /* file name used in messages */

	/* Keys used here; NULL or 0 when absent. Strings point into 'settings'. */
	const char *name;
	const char *type;
	const char *uuid;
	long memory_mib;
	long maxmem_mib;
	long vcpus;
	long maxvcpus;
	const char *kernel;
	const char *ramdisk;
	const char *bootloader;
	const char *cmdline;
	const char *root;
	const char *extra;
	const char *on_poweroff;
	const char *on_reboot;
	const char *on_watchdog;
	const char *on_crash;
	const char *on_soft_reset;
	size_t n_bootloader_args;
	char **bootloader_args;

	size_t n_vifs;
	struct nb_xlcfg_vif *vifs;

	size_t n_ignored; /* one entry per distinct ignored key, in file order */
	struct nb_xlcfg_ignored *ignored;

	size_t n_settings; /* every distinct key, first-assignment order, last value */
	struct nb_xlcfg_setting *settings;
};

struct nb_xlcfg_err {
	unsigned line, col; /* 0 when the error has no position (open failure) */
	char msg[768];
};

/*
 * Parses the 'len' bytes at 'data' (need not be NUL-terminated) read from 'source'
 * (used in messages; NULL = "<config>"). On success stores a new object in '*cfgp'.
 */
int nb_xlcfg_parse(const char *source, const char *data, size_t len, struct nb_xlcfg **cfgp,
		   struct nb_xlcfg_err *err);

/* Reads 'path' (at most NB_XLCFG_SIZE_MAX bytes) and parses it with nb_xlcfg_parse(). */
int nb_xlcfg_load(const char *path, struct nb_xlcfg **cfgp, struct nb_xlcfg_err *err);

/* Frees 'cfg' and everything in it. */
void nb_xlcfg_free(struct nb_xlcfg *cfg);

/* Returns the setting for 'key' (any key, used or ignored), or NULL. */
const struct nb_xlcfg_setting *nb_xlcfg_find(const struct nb_xlcfg *cfg, const char *key);

#endif
