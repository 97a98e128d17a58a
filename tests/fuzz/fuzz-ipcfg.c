/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for tools/guest/ipcfg.c: the input is a guest command line (and, split at
 * its first NUL, a backend "ip" key). Every accepted configuration must satisfy what
 * nb-guest relies on before it runs iproute2: a valid device name, a usable address, a prefix
 * of at most 32, and commands that nb_ipcfg_cmds() can build and nb_ipcfg_describe() can name.
 */
#include "tools/guest/ipcfg.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
check_cfg(const struct nb_ipcfg *cfg, int err)
{
	struct nb_ipcfg_cmd cmds[NB_IPCFG_MAX_CMDS];
	char buf[128];
	size_t dlen;
	int n;

	if (err) {
		check(cfg->mode == NB_IPCFG_NONE);
		return;
	}
	check(nb_ipcfg_describe(cfg, buf, sizeof(buf)) == 0);
	n = nb_ipcfg_cmds(cfg, cmds);
	if (cfg->mode != NB_IPCFG_STATIC) {
		check(n == 0);
		return;
	}
	dlen = strnlen(cfg->dev, sizeof(cfg->dev));
	check(dlen > 0 && dlen < sizeof(cfg->dev));
	check(cfg->prefix_len <= 32);
	check(cfg->addr.s_addr != 0);
	check(n == (cfg->has_gw ? 2 : 1));
	check(!strcmp(cmds[0].argv[0], "ip") && cmds[0].argv[cmds[0].argc] == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nb_ipcfg cfg;
	char *s;
	size_t first;
	int err;

	if (size > 2 * NB_IPCFG_INPUT_MAX)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	first = strlen(s);

	err = nb_ipcfg_parse_cmdline(s, &cfg);
	check_cfg(&cfg, err);
	if (first < size) {
		err = nb_ipcfg_parse_backend_ip(s + first + 1, "eth0", &cfg);
		check_cfg(&cfg, err);
	}
	free(s);
	return 0;
}
