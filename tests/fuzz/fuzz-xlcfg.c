/* SPDX-License-Identifier: MIT */
/*
 * fuzz-xlcfg.c - libFuzzer target for tools/xl/xlcfg: parses arbitrary bytes as an xl
 * domain config. Checks the result's invariants, that a failure leaves one message with
 * the file name and no object, and that the same text with CRLF line ends parses to the
 * same settings (or fails on the same line).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/xl/xlcfg.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static void
check_same_value(const struct nb_xlcfg_value *a, const struct nb_xlcfg_value *b)
{
	size_t i;

	CHECK(a->type == b->type && a->len == b->len && a->line == b->line);
	if (a->type == NB_XLCFG_STRING) {
		CHECK(strlen(a->str) <= a->len);
		CHECK(memcmp(a->str, b->str, a->len) == 0);
		return;
	}
	for (i = 0; i < a->len; i++)
		check_same_value(&a->items[i], &b->items[i]);
}

static void
check_invariants(const struct nb_xlcfg *cfg)
{
	size_t i, j;

	CHECK(cfg->name && cfg->name[0]);
	CHECK(cfg->n_settings >= 1 && cfg->n_settings <= NB_XLCFG_SETTINGS_MAX);
	CHECK(cfg->n_vifs <= NB_XLCFG_VIFS_MAX && cfg->n_ignored < cfg->n_settings);
	for (i = 0; i < cfg->n_settings; i++)
		CHECK(nb_xlcfg_find(cfg, cfg->settings[i].key) == &cfg->settings[i]);
	for (i = 0; i < cfg->n_vifs; i++) {
		CHECK(cfg->vifs[i].spec.devid >= 0);
		for (j = 0; j < i; j++)
			CHECK(cfg->vifs[i].spec.devid != cfg->vifs[j].spec.devid);
	}
	for (i = 0; i < cfg->n_bootloader_args; i++)
		CHECK(cfg->bootloader_args[i] != NULL);
	CHECK(cfg->memory_mib >= 0 && cfg->memory_mib <= NB_XLCFG_MEMORY_MAX_MIB);
	CHECK(cfg->vcpus >= 0 && cfg->vcpus <= NB_XLCFG_VCPUS_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nb_xlcfg *cfg = NULL, *cfg2 = NULL;
	struct nb_xlcfg_err err, err2;
	size_t i, o = 0;
	char *crlf;
	int rc, rc2;

	rc = nb_xlcfg_parse("fuzz.cfg", (const char *)data, size, &cfg, &err);
	if (rc) {
		CHECK(rc == -EINVAL || rc == -EFBIG || rc == -ENOMEM);
		CHECK(cfg == NULL);
		CHECK(strncmp(err.msg, "fuzz.cfg:", 9) == 0);
	} else {
		check_invariants(cfg);
	}

	if (size > NB_XLCFG_SIZE_MAX / 2)
		goto out;
	crlf = malloc(size * 2 + 1);
	if (!crlf)
		goto out;
	for (i = 0; i < size; i++) {
		if (data[i] == '\n')
			crlf[o++] = '\r';
		crlf[o++] = (char)data[i];
	}
	rc2 = nb_xlcfg_parse("fuzz.cfg", crlf, o, &cfg2, &err2);
	CHECK(!rc == !rc2);
	if (rc) {
		CHECK(err.line == err2.line);
	} else {
		CHECK(cfg->n_settings == cfg2->n_settings && cfg->n_vifs == cfg2->n_vifs);
		CHECK(strcmp(cfg->name, cfg2->name) == 0);
		for (i = 0; i < cfg->n_settings; i++) {
			CHECK(strcmp(cfg->settings[i].key, cfg2->settings[i].key) == 0);
			check_same_value(&cfg->settings[i].value, &cfg2->settings[i].value);
		}
	}
	nb_xlcfg_free(cfg2);
	free(crlf);
out:
	nb_xlcfg_free(cfg);
	return 0;
}
