/* SPDX-License-Identifier: MIT */
/*
 * xlcfg.c - xl domain config file parser: a hand-written lexer and recursive-descent
 * parser for libxlu's grammar, followed by extraction of the keys netback and nb-simhv
 * use and validation of the vif list through vifspec.c.
 *
 * The first error stops the parse; everything allocated so far is freed. Errors carry
 * the position of the offending token, or of the value that failed validation.
 */
#include "tools/xl/xlcfg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum tok_type {
	T_EOF,
	T_NEWLINE,
	T_SEMI,
	T_EQ,
	T_PLUSEQ,
	T_COMMA,
	T_LBRACK,
	T_RBRACK,
	T_IDENT,
	T_NUMBER,
	T_STRING
};

struct tok {
	enum tok_type type;
	size_t off, len; /* raw text in the file */
	unsigned line, col;
};

struct parser {
	const char *source;
	const char *data;
	size_t len;
	size_t pos;
	unsigned line, col;
	bool has_peek;
	struct tok peek;
	struct nb_xlcfg *cfg;
	struct nb_xlcfg_err *err;
};

static void
quote_text(char *out, size_t size, const char *s, size_t len)
{
	size_t o = 0;
	size_t i;

	for (i = 0; i < len && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == 48) {
			o += (size_t)snprintf(out + o, size - o, "...");
			break;
		}
		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o < size ? o : size - 1] = '\0';
}

/*
 * Reports "SOURCE:LINE:COL: [KEY: ]expected EXPECTED, found FOUND" where FOUND is
 * 'text' quoted or, when 'text' is NULL, the description 'what'.
 */
__attribute__((format(printf, 8, 9))) static int
fail_at(struct parser *p, unsigned line, unsigned col, const char *key, const char *text,
	size_t text_len, const char *what, const char *expected_fmt, ...)
{
	char expected[256];
	char found[220];
	va_list ap;

	if (!p->err)
		return -EINVAL;
	va_start(ap, expected_fmt);
	vsnprintf(expected, sizeof(expected), expected_fmt, ap);
	va_end(ap);
	if (text) {
		char q[200];

		quote_text(q, sizeof(q), text, text_len);
		snprintf(found, sizeof(found), "'%s'", q);
	} else {
		snprintf(found, sizeof(found), "%s", what);
	}
	p->err->line = line;
	p->err->col = col;
	snprintf(p->err->msg, sizeof(p->err->msg), "%s:%u:%u: %s%sexpected %s, found %s", p->source,
		 line, col, key ? key : "", key ? ": " : "", expected, found);
	return -EINVAL;
}

static int
fail_tok(struct parser *p, const struct tok *t, const char *expected)
{
	if (t->type == T_EOF)
		return fail_at(p, t->line, t->col, NULL, NULL, 0, "end of file", "%s", expected);
	if (t->type == T_NEWLINE)
		return fail_at(p, t->line, t->col, NULL, NULL, 0, "end of line", "%s", expected);
	return fail_at(p, t->line, t->col, NULL, p->data + t->off, t->len, NULL, "%s", expected);
}

static int
fail_value(struct parser *p, const char *key, const struct nb_xlcfg_value *v, const char *expected)
{
	if (v->type == NB_XLCFG_LIST)
		return fail_at(p, v->line, v->col, key, NULL, 0, "a list", "%s", expected);
	return fail_at(p, v->line, v->col, key, v->str, v->len, NULL, "%s", expected);
}

static int
fail_nomem(struct parser *p)
{
	if (p->err) {
		p->err->line = p->line;
		p->err->col = p->col;
		snprintf(p->err->msg, sizeof(p->err->msg), "%s:%u:%u: out of memory", p->source,
			 p->line, p->col);
	}
	return -ENOMEM;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_word(char c)
{
	return is_ident_start(c) || is_digit(c) || c == '.';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
advance(struct parser *p, size_t n)
{
	p->pos += n;
	p->col += (unsigned)n;
}

/* Scans a quoted string starting at the quote; leaves the raw span in 't'. */
static int
lex_string(struct parser *p, struct tok *t)
{
	char q = p->data[p->pos];
	size_t i = p->pos + 1;

	for (;;) {
		unsigned char c;

		if (i >= p->len || p->data[i] == '\n' ||
		    (p->data[i] == '\r' && (i + 1 == p->len || p->data[i + 1] == '\n')))
			return fail_at(p, p->line, p->col + (unsigned)(i - p->pos), NULL, NULL, 0,
				       i >= p->len ? "end of file" : "end of line",
				       "%c to close the string opened at %u:%u", q, t->line,
				       t->col);
		c = (unsigned char)p->data[i];
		if (c == (unsigned char)q)
			break;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail_at(p, p->line, p->col + (unsigned)(i - p->pos), NULL,
				       p->data + i, 1, NULL,
				       "printable text in the string (write \\xHH for odd bytes)");
		if (c == '\\') {
			char e = i + 1 < p->len ? p->data[i + 1] : '\0';
			int hi, lo, v;
			size_t bad;

			if (e == '\\' || e == '\'' || e == '"') {
				i += 2;
				continue;
			}
			if (e == 'x' && i + 3 < p->len) {
				hi = hexval(p->data[i + 2]);
				lo = hexval(p->data[i + 3]);
				v = hi * 16 + lo;
				/* Escapes may not smuggle in what raw text may not carry. */
				if (hi >= 0 && lo >= 0 && (v >= 0x20 || v == '\t') && v != 0x7f) {
					i += 4;
					continue;
				}
			}
			bad = e == 'x' ? 4 : 2;
			if (bad > p->len - i)
				bad = p->len - i;
			return fail_at(
				p, p->line, p->col + (unsigned)(i - p->pos), NULL, p->data + i, bad,
				NULL,
				"an escape \\\\, \\', \\\" or \\xHH of a printable byte or tab");
		}
		i++;
	}
	t->type = T_STRING;
	t->len = i + 1 - p->pos;
	advance(p, t->len);
	return 0;
}

static int
lex(struct parser *p, struct tok *t)
{
	char c;

	while (p->pos < p->len &&
	       (p->data[p->pos] == ' ' || p->data[p->pos] == '\t' || p->data[p->pos] == '\r'))
		advance(p, 1);
	if (p->pos < p->len && p->data[p->pos] == '#') {
		while (p->pos < p->len && p->data[p->pos] != '\n')
			advance(p, 1);
	}
	t->off = p->pos;
	t->line = p->line;
	t->col = p->col;
	t->len = 1;
	if (p->pos >= p->len) {
		t->type = T_EOF;
		t->len = 0;
		return 0;
	}
	c = p->data[p->pos];
	switch (c) {
	case '\n':
		t->type = T_NEWLINE;
		p->pos++;
		p->line++;
		p->col = 1;
		return 0;
	case ';':
		t->type = T_SEMI;
		break;
	case '=':
		t->type = T_EQ;
		break;
	case ',':
		t->type = T_COMMA;
		break;
	case '[':
		t->type = T_LBRACK;
		break;
	case ']':
		t->type = T_RBRACK;
		break;
	case '+':
		if (p->pos + 1 < p->len && p->data[p->pos + 1] == '=') {
			t->type = T_PLUSEQ;
			t->len = 2;
			break;
		}
		return fail_at(p, t->line, t->col, NULL, p->data + p->pos, 1, NULL, "'=' or '+='");
	case '"':
	case '\'':
		return lex_string(p, t);
	default:
		if (is_ident_start(c) || is_digit(c)) {
			size_t e = p->pos + 1;

			while (e < p->len && is_word(p->data[e]))
				e++;
			t->type = is_digit(c) ? T_NUMBER : T_IDENT;
			t->len = e - p->pos;
			break;
		}
		return fail_at(p, t->line, t->col, NULL, p->data + p->pos, 1, NULL,
			       "a setting, a value, a comment or the end of the line");
	}
	advance(p, t->len);
	return 0;
}

static int
next(struct parser *p, struct tok *t)
{
	if (p->has_peek) {
		*t = p->peek;
		p->has_peek = false;
		return 0;
	}
	return lex(p, t);
}

static int
peek(struct parser *p, struct tok *t)
{
	int rc;

	if (!p->has_peek) {
		rc = lex(p, &p->peek);
		if (rc)
			return rc;
		p->has_peek = true;
	}
	*t = p->peek;
	return 0;
}

static int
skip_newlines(struct parser *p)
{
	struct tok t;
	int rc;

	for (;;) {
		rc = peek(p, &t);
		if (rc || t.type != T_NEWLINE)
			return rc;
		p->has_peek = false;
	}
}

static void
value_free(struct nb_xlcfg_value *v)
{
	size_t i;

	if (v->type == NB_XLCFG_LIST) {
		for (i = 0; i < v->len; i++)
			value_free(&v->items[i]);
		free(v->items);
	} else {
		free(v->str);
	}
	memset(v, 0, sizeof(*v));
}

/* Unquotes the raw string token 't' (already checked by lex_string). */
static int
string_value(struct parser *p, const struct tok *t, struct nb_xlcfg_value *v)
{
	const char *s = p->data + t->off;
	size_t i, o = 0;

	v->type = NB_XLCFG_STRING;
	v->line = t->line;
	v->col = t->col;
	v->off = t->off;
	if (t->type == T_NUMBER) {
		v->str = malloc(t->len + 1);
		if (!v->str)
			return fail_nomem(p);
		memcpy(v->str, s, t->len);
		v->str[t->len] = '\0';
		v->len = v->cap = t->len;
		return 0;
	}
	v->str = malloc(t->len);
	if (!v->str)
		return fail_nomem(p);
	for (i = 1; i + 1 < t->len; i++) {
		if (s[i] != '\\') {
			v->str[o++] = s[i];
		} else if (s[i + 1] == 'x') {
			v->str[o++] = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
			i += 3;
		} else {
			v->str[o++] = s[++i];
		}
	}
	v->str[o] = '\0';
	v->len = o;
	v->cap = t->len;
	return 0;
}

static int
list_append(struct parser *p, struct nb_xlcfg_value *list, struct nb_xlcfg_value *item)
{
	if (list->len == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 4;
		struct nb_xlcfg_value *items = realloc(list->items, cap * sizeof(*items));

		if (!items)
			return fail_nomem(p);
		list->items = items;
		list->cap = cap;
	}
	list->items[list->len++] = *item;
	memset(item, 0, sizeof(*item));
	return 0;
}

static int
parse_value(struct parser *p, unsigned depth, struct nb_xlcfg_value *v)
{
	struct nb_xlcfg_value item;
	struct tok t, open;
	int rc;

	memset(v, 0, sizeof(*v));
	rc = next(p, &t);
	if (rc)
		return rc;
	if (t.type == T_STRING || t.type == T_NUMBER)
		return string_value(p, &t, v);
	if (t.type == T_IDENT)
		return fail_tok(p, &t, "a value (strings need quotes: 'text' or \"text\")");
	if (t.type != T_LBRACK)
		return fail_tok(p, &t, "a value: a quoted string, a number or a [list]");
	if (depth >= NB_XLCFG_DEPTH_MAX)
		return fail_tok(p, &t, "lists nested at most 8 deep");
	open = t;
	v->type = NB_XLCFG_LIST;
	v->line = t.line;
	v->col = t.col;
	v->off = t.off;
	rc = skip_newlines(p);
	if (!rc)
		rc = peek(p, &t);
	if (rc)
		goto out;
	if (t.type == T_RBRACK) {
		p->has_peek = false;
		return 0;
	}
	for (;;) {
		rc = parse_value(p, depth + 1, &item);
		if (rc)
			goto out;
		rc = list_append(p, v, &item);
		if (rc) {
			value_free(&item);
			goto out;
		}
		rc = skip_newlines(p);
		if (!rc)
			rc = next(p, &t);
		if (rc)
			goto out;
		if (t.type == T_RBRACK)
			return 0;
		if (t.type != T_COMMA) {
			char what[96];

			snprintf(what, sizeof(what), "',' or ']' in the list opened at %u:%u",
				 open.line, open.col);
			rc = fail_tok(p, &t, what);
			goto out;
		}
		rc = skip_newlines(p);
		if (!rc)
			rc = peek(p, &t);
		if (rc)
			goto out;
		if (t.type == T_RBRACK) {
			p->has_peek = false;
			return 0;
		}
	}
out:
	value_free(v);
	return rc;
}

static struct nb_xlcfg_setting *
find_setting(struct nb_xlcfg *cfg, const char *key, size_t key_len)
{
	size_t i;

	for (i = 0; i < cfg->n_settings; i++)
		if (strncmp(cfg->settings[i].key, key, key_len) == 0 &&
		    cfg->settings[i].key[key_len] == '\0')
			return &cfg->settings[i];
	return NULL;
}

/* 'KEY += v': v joins the earlier value of the same kind; consumes 'v'. */
static int
concat(struct parser *p, const char *key, struct nb_xlcfg_value *old, struct nb_xlcfg_value *v)
{
	size_t i;
	int rc;

	if (old->type != v->type) {
		rc = fail_value(p, key, v,
				old->type == NB_XLCFG_LIST
					? "a [list] to add to the earlier list"
					: "a string to add to the earlier string");
		value_free(v);
		return rc;
	}
	if (v->type == NB_XLCFG_STRING) {
		if (old->len + v->len + 1 > old->cap) {
			size_t cap = (old->len + v->len + 1) * 2;
			char *s = realloc(old->str, cap);

			if (!s) {
				value_free(v);
				return fail_nomem(p);
			}
			old->str = s;
			old->cap = cap;
		}
		memcpy(old->str + old->len, v->str, v->len + 1);
		old->len += v->len;
		value_free(v);
		return 0;
	}
	for (i = 0; i < v->len; i++) {
		rc = list_append(p, old, &v->items[i]);
		if (rc) {
			value_free(v);
			return rc;
		}
	}
	v->len = 0;
	value_free(v);
	return 0;
}

static int
store(struct parser *p, const struct tok *key, bool add, struct nb_xlcfg_value *v)
{
	struct nb_xlcfg *cfg = p->cfg;
	struct nb_xlcfg_setting *s = find_setting(cfg, p->data + key->off, key->len);
	int rc;

	if (s) {
		if (add) {
			rc = concat(p, s->key, &s->value, v);
			if (rc)
				return rc;
		} else {
			value_free(&s->value);
			s->value = *v;
		}
		s->line = key->line;
		s->col = key->col;
		return 0;
	}
	if (cfg->n_settings == NB_XLCFG_SETTINGS_MAX) {
		value_free(v);
		return fail_tok(p, key, "at most 1024 distinct settings");
	}
	if (cfg->n_settings % 16 == 0) {
		struct nb_xlcfg_setting *a =
			realloc(cfg->settings, (cfg->n_settings + 16) * sizeof(*a));

		if (!a) {
			value_free(v);
			return fail_nomem(p);
		}
		cfg->settings = a;
	}
	s = &cfg->settings[cfg->n_settings];
	s->key = strndup(p->data + key->off, key->len);
	if (!s->key) {
		value_free(v);
		return fail_nomem(p);
	}
	s->line = key->line;
	s->col = key->col;
	s->value = *v;
	cfg->n_settings++;
	return 0;
}

static int
parse_file(struct parser *p)
{
	struct nb_xlcfg_value v;
	struct tok t, key, op;
	int rc;

	for (;;) {
		rc = next(p, &t);
		if (rc)
			return rc;
		if (t.type == T_EOF)
			return 0;
		if (t.type == T_NEWLINE || t.type == T_SEMI)
			continue;
		if (t.type != T_IDENT)
			return fail_tok(p, &t, "a setting like key = value");
		key = t;
		rc = next(p, &op);
		if (rc)
			return rc;
		if (op.type != T_EQ && op.type != T_PLUSEQ) {
			char what[96];

			snprintf(what, sizeof(what), "'=' after '%.*s'",
				 (int)(key.len > 40 ? 40 : key.len), p->data + key.off);
			return fail_tok(p, &op, what);
		}
		rc = parse_value(p, 0, &v);
		if (rc)
			return rc;
		rc = next(p, &t);
		if (rc) {
			value_free(&v);
			return rc;
		}
		if (t.type != T_NEWLINE && t.type != T_SEMI && t.type != T_EOF) {
			value_free(&v);
			return fail_tok(p, &t, "the end of the line after the value");
		}
		rc = store(p, &key, op.type == T_PLUSEQ, &v);
		if (rc)
			return rc;
		if (t.type == T_EOF)
			return 0;
	}
}

/* ---- extraction of the keys used here ------------------------------------------------ */

static const char *const used_keys[] = {
	"name",		 "type",   "uuid",	  "memory",	"maxmem",	   "vcpus",
	"maxvcpus",	 "kernel", "ramdisk",	  "bootloader", "bootloader_args", "cmdline",
	"root",		 "extra",  "on_poweroff", "on_reboot",	"on_watchdog",	   "on_crash",
	"on_soft_reset", "vif"
};

/* Documented xl.cfg(5) keys that netback leaves to the real toolstack. */
static const char *const known_keys[] = { "acpi",
					  "acpi_firmware",
					  "acpi_laptop_slate",
					  "acpi_s3",
					  "acpi_s4",
					  "altp2m",
					  "altp2mhvm",
					  "apic",
					  "bios",
					  "bios_path_override",
					  "boot",
					  "bootloader_restrict",
					  "bootloader_user",
					  "builder",
					  "cap",
					  "channel",
					  "claim_mode",
					  "colo",
					  "cpu_weight",
					  "cpuid",
					  "cpus",
					  "cpus_soft",
					  "device_model_args",
					  "device_model_args_hvm",
					  "device_model_args_pv",
					  "device_model_override",
					  "device_model_stubdomain_override",
					  "device_model_stubdomain_seclabel",
					  "device_model_user",
					  "device_model_version",
					  "device_tree",
					  "direct_io_safe",
					  "disk",
					  "dm_restrict",
					  "domid",
					  "driver_domain",
					  "dtdev",
					  "e820_host",
					  "event_channels",
					  "features",
					  "firmware",
					  "firmware_override",
					  "gfx_passthru",
					  "gic_version",
					  "hap",
					  "hdtype",
					  "hpet",
					  "init_seclabel",
					  "iomem",
					  "ioports",
					  "irqs",
					  "keymap",
					  "llc_colors",
					  "localtime",
					  "max_event_channels",
					  "max_grant_frames",
					  "max_grant_version",
					  "max_maptrack_frames",
					  "mca_caps",
					  "mmio_hole",
					  "ms_vm_genid",
					  "nestedhvm",
					  "nographic",
					  "nomigrate",
					  "nr_spis",
					  "oos",
					  "opengl",
					  "p9",
					  "pae",
					  "passthrough",
					  "pci",
					  "pci_msitranslate",
					  "pci_permissive",
					  "pci_power_mgmt",
					  "pci_seize",
					  "pool",
					  "pvcalls",
					  "pvh",
					  "rdm",
					  "rdm_mem_boundary",
					  "rtc_timeoffset",
					  "sdl",
					  "seclabel",
					  "serial",
					  "shadow_memory",
					  "smbios_firmware",
					  "soundhw",
					  "spice",
					  "spice_clipboard_sharing",
					  "spice_image_compression",
					  "spice_streaming_video",
					  "spiceagent_mouse",
					  "spicedisable_ticketing",
					  "spicehost",
					  "spicepasswd",
					  "spiceport",
					  "spicetls_port",
					  "spiceusbredirection",
					  "spicevdagent",
					  "stdvga",
					  "stubdomain_cmdline",
					  "stubdomain_kernel",
					  "stubdomain_memory",
					  "stubdomain_ramdisk",
					  "sve",
					  "tee",
					  "timer_mode",
					  "trap_unmapped_accesses",
					  "tsc_mode",
					  "usb",
					  "usbctrl",
					  "usbdev",
					  "usbdevice",
					  "vcpu_hard_affinity",
					  "vcpu_soft_affinity",
					  "vdispl",
					  "vfb",
					  "vga",
					  "videoram",
					  "viridian",
					  "vkb",
					  "vnc",
					  "vncconsole",
					  "vncdisplay",
					  "vnclisten",
					  "vncpasswd",
					  "vncunused",
					  "vnuma",
					  "vpmu",
					  "vpt_align",
					  "vsnd",
					  "vtpm",
					  "vuart",
					  "xen_platform_pci",
					  "xenstore_stubdomain" };

static bool
in_table(const char *const *table, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(table[i], key) == 0)
			return true;
	return false;
}

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Looks up a used key that must be a single value; '*out' stays NULL when absent. */
static int
get_string(struct parser *p, const char *key, const struct nb_xlcfg_value **out)
{
	const struct nb_xlcfg_setting *s = nb_xlcfg_find(p->cfg, key);

	*out = NULL;
	if (!s)
		return 0;
	if (s->value.type != NB_XLCFG_STRING)
		return fail_value(p, key, &s->value, "a single value, not a list");
	*out = &s->value;
	return 0;
}

static int
get_text(struct parser *p, const char *key, const char **field)
{
	const struct nb_xlcfg_value *v;
	int rc = get_string(p, key, &v);

	if (!rc && v)
		*field = v->str;
	return rc;
}

/* strtol(..., 0) as xl does, minus octal: decimal without leading zeros, or 0x hex. */
static int
get_long(struct parser *p, const char *key, long min, long max, const char *unit, long *field)
{
	const struct nb_xlcfg_value *v;
	unsigned long long n = 0;
	const char *s;
	int base = 10;
	size_t i;
	int rc = get_string(p, key, &v);

	if (rc || !v)
		return rc;
	s = v->str;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		goto bad;
	}
	if (!*s)
		goto bad;
	for (i = 0; s[i]; i++) {
		int d;

		if (is_digit(s[i]))
			d = s[i] - '0';
		else if (base == 16 && s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (base == 16 && s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			goto bad;
		n = n * (unsigned)base + (unsigned)d;
		if (n > (unsigned long long)max)
			goto bad;
	}
	if (n < (unsigned long long)min)
		goto bad;
	*field = (long)n;
	return 0;
bad:
	return fail_at(p, v->line, v->col, key, v->str, v->len, NULL,
		       "a whole number of %s %ld..%ld (decimal without leading zeros, or 0x hex)",
		       unit, min, max);
}

static int
get_choice(struct parser *p, const char *key, const char *const *choices, size_t n,
	   const char *expected, const char **field)
{
	const struct nb_xlcfg_value *v;
	int rc = get_string(p, key, &v);

	if (rc || !v)
		return rc;
	if (!in_table(choices, n, v->str))
		return fail_value(p, key, v, expected);
	*field = v->str;
	return 0;
}

static int
get_name(struct parser *p)
{
	const struct nb_xlcfg_value *v;
	bool digits = true;
	size_t i;
	int rc = get_string(p, "name", &v);

	if (rc)
		return rc;
	if (!v)
		return fail_at(p, p->line, p->col, NULL, NULL, 0, "end of file",
			       "a name = \"...\" setting (the domain name)");
	for (i = 0; i < v->len; i++) {
		char c = v->str[i];

		if (!is_word(c) && c != '-')
			break;
		digits &= is_digit(c);
	}
	/* An all-digit name would be taken for a domain id by `backend=` and the CLI. */
	if (v->len == 0 || v->len > 64 || i < v->len || digits)
		return fail_value(
			p, "name", v,
			"a domain name of 1-64 characters from [A-Za-z0-9_.-], not all digits");
	p->cfg->name = v->str;
	return 0;
}

static int
get_uuid(struct parser *p)
{
	const struct nb_xlcfg_value *v;
	size_t i;
	int rc = get_string(p, "uuid", &v);

	if (rc || !v)
		return rc;
	for (i = 0; i < v->len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		char c = v->str[i];

		if (dash ? c != '-' : !strchr("0123456789abcdefABCDEF", c) || !c)
			break;
	}
	if (v->len != 36 || i != 36)
		return fail_value(p, "uuid", v, "a UUID like 01234567-89ab-cdef-0123-456789abcdef");
	p->cfg->uuid = v->str;
	return 0;
}

static int
get_bootloader_args(struct parser *p)
{
	const struct nb_xlcfg_setting *s = nb_xlcfg_find(p->cfg, "bootloader_args");
	struct nb_xlcfg *cfg = p->cfg;
	const struct nb_xlcfg_value *v;
	size_t i, n = 0;

	if (!s)
		return 0;
	v = &s->value;
	if (v->type == NB_XLCFG_LIST) {
		for (i = 0; i < v->len; i++)
			if (v->items[i].type != NB_XLCFG_STRING)
				return fail_value(p, "bootloader_args", &v->items[i],
						  "a string argument");
		cfg->bootloader_args = calloc(v->len + 1, sizeof(char *));
		if (!cfg->bootloader_args)
			return fail_nomem(p);
		for (i = 0; i < v->len; i++) {
			cfg->bootloader_args[i] = strdup(v->items[i].str);
			if (!cfg->bootloader_args[i])
				return fail_nomem(p);
			cfg->n_bootloader_args++;
		}
		return 0;
	}
	/* xl's deprecated string form: split on blanks. */
	cfg->bootloader_args = calloc(v->len / 2 + 2, sizeof(char *));
	if (!cfg->bootloader_args)
		return fail_nomem(p);
	for (i = 0; i < v->len;) {
		size_t e;

		while (i < v->len && (v->str[i] == ' ' || v->str[i] == '\t'))
			i++;
		if (i == v->len)
			break;
		for (e = i; e < v->len && v->str[e] != ' ' && v->str[e] != '\t'; e++)
			;
		cfg->bootloader_args[n] = strndup(v->str + i, e - i);
		if (!cfg->bootloader_args[n])
			return fail_nomem(p);
		cfg->n_bootloader_args = ++n;
		i = e;
	}
	return 0;
}

/* Column in the file of byte 'idx' of the unquoted string value 'v'. */
static unsigned
raw_col(const struct parser *p, const struct nb_xlcfg_value *v, size_t idx)
{
	const char *s = p->data + v->off;
	size_t raw = 0, k;

	if (*s != '"' && *s != '\'')
		return v->col + (unsigned)idx;
	raw = 1;
	for (k = 0; k < idx && raw + 1 < p->len - v->off; k++)
		raw += s[raw] != '\\' ? 1 : s[raw + 1] == 'x' ? 4 : 2;
	return v->col + (unsigned)raw;
}

static int
get_vifs(struct parser *p)
{
	const struct nb_xlcfg_setting *s = nb_xlcfg_find(p->cfg, "vif");
	struct nb_xlcfg *cfg = p->cfg;
	const struct nb_xlcfg_value *list;
	struct nb_vifspec_err verr;
	size_t i, j;

	if (!s)
		return 0;
	list = &s->value;
	if (list->type != NB_XLCFG_LIST)
		return fail_value(p, "vif", list, "a list like [ 'bridge=xenbr0', ... ]");
	if (list->len > NB_XLCFG_VIFS_MAX)
		return fail_value(p, "vif", &list->items[NB_XLCFG_VIFS_MAX], "at most 64 vifs");
	if (!list->len)
		return 0;
	cfg->vifs = calloc(list->len, sizeof(*cfg->vifs));
	if (!cfg->vifs)
		return fail_nomem(p);
	for (i = 0; i < list->len; i++) {
		const struct nb_xlcfg_value *v = &list->items[i];
		struct nb_xlcfg_vif *vif = &cfg->vifs[i];
		char key[32];

		snprintf(key, sizeof(key), "vif[%zu]", i);
		if (v->type != NB_XLCFG_STRING)
			return fail_value(p, key, v, "a vif spec string");
		vif->text = v->str;
		vif->line = v->line;
		vif->col = v->col;
		if (nb_vifspec_parse(v->str, &vif->spec, &verr)) {
			unsigned col = verr.col ? raw_col(p, v, verr.col - 1) : v->col;

			p->err->line = v->line;
			p->err->col = col;
			snprintf(p->err->msg, sizeof(p->err->msg), "%s:%u:%u: %s: %s", p->source,
				 v->line, col, key, verr.msg);
			return -EINVAL;
		}
		/* xl: DEVID is the index in the list unless devid= says otherwise. */
		if (vif->spec.devid < 0)
			vif->spec.devid = (int)i;
		for (j = 0; j < i; j++) {
			char what[64];
			char num[16];

			if (cfg->vifs[j].spec.devid != vif->spec.devid)
				continue;
			snprintf(what, sizeof(what), "a devid not already used by vif[%zu]", j);
			snprintf(num, sizeof(num), "%d", vif->spec.devid);
			return fail_at(p, v->line, v->col, key, num, strlen(num), NULL, "%s", what);
		}
		cfg->n_vifs++;
	}
	return 0;
}

static int
extract(struct parser *p)
{
	static const char *const types[] = { "pv", "pvh", "hvm" };
	static const char *const actions[] = {
		"destroy",	    "restart",		"rename-restart", "preserve",
		"coredump-destroy", "coredump-restart", "soft-reset",
	};
	static const char actions_text[] = "destroy, restart, rename-restart, preserve, "
					   "coredump-destroy, coredump-restart or soft-reset";
	struct nb_xlcfg *cfg = p->cfg;
	size_t i;
	int rc;

	rc = get_name(p);
	rc = rc ? rc : get_choice(p, "type", types, 3, "pv, pvh or hvm", &cfg->type);
	rc = rc ? rc : get_uuid(p);
	rc = rc ? rc : get_long(p, "memory", 1, NB_XLCFG_MEMORY_MAX_MIB, "MiB", &cfg->memory_mib);
	rc = rc ? rc : get_long(p, "maxmem", 1, NB_XLCFG_MEMORY_MAX_MIB, "MiB", &cfg->maxmem_mib);
	rc = rc ? rc : get_long(p, "vcpus", 1, NB_XLCFG_VCPUS_MAX, "vcpus", &cfg->vcpus);
	rc = rc ? rc : get_long(p, "maxvcpus", 1, NB_XLCFG_VCPUS_MAX, "vcpus", &cfg->maxvcpus);
	rc = rc ? rc : get_text(p, "kernel", &cfg->kernel);
	rc = rc ? rc : get_text(p, "ramdisk", &cfg->ramdisk);
	rc = rc ? rc : get_text(p, "bootloader", &cfg->bootloader);
	rc = rc ? rc : get_bootloader_args(p);
	rc = rc ? rc : get_text(p, "cmdline", &cfg->cmdline);
	rc = rc ? rc : get_text(p, "root", &cfg->root);
	rc = rc ? rc : get_text(p, "extra", &cfg->extra);
	rc = rc ? rc
		: get_choice(p, "on_poweroff", actions, ARRAY_LEN(actions), actions_text,
			     &cfg->on_poweroff);
	rc = rc ? rc
		: get_choice(p, "on_reboot", actions, ARRAY_LEN(actions), actions_text,
			     &cfg->on_reboot);
	rc = rc ? rc
		: get_choice(p, "on_watchdog", actions, ARRAY_LEN(actions), actions_text,
			     &cfg->on_watchdog);
	rc = rc ? rc
		: get_choice(p, "on_crash", actions, ARRAY_LEN(actions), actions_text,
			     &cfg->on_crash);
	rc = rc ? rc
		: get_choice(p, "on_soft_reset", actions, ARRAY_LEN(actions), actions_text,
			     &cfg->on_soft_reset);
	rc = rc ? rc : get_vifs(p);
	if (rc)
		return rc;

	for (i = 0; i < cfg->n_settings; i++) {
		const struct nb_xlcfg_setting *s = &cfg->settings[i];
		struct nb_xlcfg_ignored *ig;

		if (in_table(used_keys, ARRAY_LEN(used_keys), s->key))
			continue;
		if (!cfg->ignored) {
			cfg->ignored = calloc(cfg->n_settings, sizeof(*cfg->ignored));
			if (!cfg->ignored)
				return fail_nomem(p);
		}
		ig = &cfg->ignored[cfg->n_ignored++];
		ig->key = s->key;
		ig->line = s->line;
		ig->known = in_table(known_keys, ARRAY_LEN(known_keys), s->key);
	}
	return 0;
}

int
nb_xlcfg_parse(const char *source, const char *data, size_t len, struct nb_xlcfg **cfgp,
	       struct nb_xlcfg_err *err)
{
	struct nb_xlcfg_err scratch;
	struct parser p;
	const char *nul;
	int rc;

	*cfgp = NULL;
	memset(&p, 0, sizeof(p));
	memset(&scratch, 0, sizeof(scratch));
	p.source = source ? source : "<config>";
	p.data = data;
	p.len = len;
	p.line = 1;
	p.col = 1;
	p.err = err ? err : &scratch;
	p.err->line = p.err->col = 0;
	p.err->msg[0] = '\0';
	if (len > NB_XLCFG_SIZE_MAX) {
		snprintf(p.err->msg, sizeof(p.err->msg), "%s: expected at most %d bytes, found %zu",
			 p.source, NB_XLCFG_SIZE_MAX, len);
		return -EFBIG;
	}
	nul = memchr(data, '\0', len);
	if (nul) {
		const char *ls = data;
		const char *q;

		for (q = data; q < nul; q++)
			if (*q == '\n') {
				p.line++;
				ls = q + 1;
			}
		return fail_at(&p, p.line, (unsigned)(nul - ls) + 1, NULL, nul, 1, NULL,
			       "text (this looks like a binary file)");
	}
	p.cfg = calloc(1, sizeof(*p.cfg));
	if (!p.cfg)
		return fail_nomem(&p);
	p.cfg->source = strdup(p.source);
	if (!p.cfg->source) {
		rc = fail_nomem(&p);
		goto out;
	}
	rc = parse_file(&p);
	if (!rc)
		rc = extract(&p);
out:
	if (rc) {
		nb_xlcfg_free(p.cfg);
		return rc;
	}
	*cfgp = p.cfg;
	return 0;
}

int
nb_xlcfg_load(const char *path, struct nb_xlcfg **cfgp, struct nb_xlcfg_err *err)
{
	size_t cap = NB_XLCFG_SIZE_MAX + 1, len = 0;
	char *buf;
	int fd, rc;

	*cfgp = NULL;
	if (err) {
		err->line = err->col = 0;
		err->msg[0] = '\0';
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		rc = -ENOMEM;
		goto fail;
	}
	/* Read one byte past the limit so an oversized file is told apart. */
	while (len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			free(buf);
			close(fd);
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > NB_XLCFG_SIZE_MAX) {
		free(buf);
		if (err)
			snprintf(err->msg, sizeof(err->msg),
				 "%s: expected a file of at most %d bytes, found a larger one",
				 path, NB_XLCFG_SIZE_MAX);
		return -EFBIG;
	}
	rc = nb_xlcfg_parse(path, buf, len, cfgp, err);
	free(buf);
	return rc;
fail:
	if (err)
		snprintf(err->msg, sizeof(err->msg), "%s: cannot read: %s", path, strerror(-rc));
	return rc;
}

void
nb_xlcfg_free(struct nb_xlcfg *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->n_settings; i++) {
		free(cfg->settings[i].key);
		value_free(&cfg->settings[i].value);
	}
	free(cfg->settings);
	for (i = 0; i < cfg->n_bootloader_args; i++)
		free(cfg->bootloader_args[i]);
	free(cfg->bootloader_args);
	free(cfg->vifs);
	free(cfg->ignored);
	free(cfg->source);
	free(cfg);
}

const struct nb_xlcfg_setting *
nb_xlcfg_find(const struct nb_xlcfg *cfg, const char *key)
{
	size_t i;

	for (i = 0; i < cfg->n_settings; i++)
		if (strcmp(cfg->settings[i].key, key) == 0)
			return &cfg->settings[i];
	return NULL;
}
