/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the kernel NAT back end (nat/nft.c). The batch is checked offline by
 * parsing it back with libnftnl; then the whole life cycle runs against the real kernel in
 * a private network namespace of this process (unshare(CLONE_NEWNET), so nothing outside
 * it is touched): apply, `nft -j list table`, check, a hand-made flush that check must
 * notice, re-apply, remove.
 */
#include "nat/nft.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define BUF_BYTES   (2 * MNL_SOCKET_BUFFER_SIZE)
#define NFT_TYPE(m) ((NFNL_SUBSYS_NFTABLES << 8) | (m))

static const char *const rules_expect[][6] = {
	/* ip saddr 10.9.0.0/24 oifname "upl0" masquerade */
	{ "postrouting", "payload load 4b @ network header + 12", "0x00ffffff",
	  "cmp eq reg 1 0x0000090a", "meta load oifname", "masq" },
	/* iifname "nb-t" oifname "upl0" ip saddr 10.9.0.0/24 accept */
	{ "forward", "meta load iifname", "0x742d626e", "meta load oifname", "network header + 12",
	  "immediate reg 0 accept" },
	/* iifname "upl0" oifname "nb-t" ct state established,related accept */
	{ "forward", "meta load iifname", "0x306c7075", "ct load state", "0x00000006",
	  "cmp neq reg 1 0x00000000" },
	/* iifname "upl0" ip daddr 10.9.0.0/24 drop */
	{ "forward", "meta load iifname", "network header + 16", "cmp eq reg 1 0x0000090a",
	  "immediate reg 0 drop", "" },
};

static void
batch_parses_back_to_the_table_chains_and_rules(void **state)
{
	static const uint16_t types[] = {
		NFNL_MSG_BATCH_BEGIN,	    NFT_TYPE(NFT_MSG_NEWTABLE), NFT_TYPE(NFT_MSG_DELTABLE),
		NFT_TYPE(NFT_MSG_NEWTABLE), NFT_TYPE(NFT_MSG_NEWCHAIN), NFT_TYPE(NFT_MSG_NEWCHAIN),
		NFT_TYPE(NFT_MSG_NEWRULE),  NFT_TYPE(NFT_MSG_NEWRULE),	NFT_TYPE(NFT_MSG_NEWRULE),
		NFT_TYPE(NFT_MSG_NEWRULE),  NFNL_MSG_BATCH_END,
	};
	char *buf = malloc(BUF_BYTES), txt[4096];
	const struct nlmsghdr *nlh;
	unsigned int n = 0, n_rules = 0, n_chains = 0;
	int len;

	(void)state;
	assert_non_null(buf);
	len = nat_nft_build("t", "10.9.0.7/24", "nb-t", "upl0", buf, BUF_BYTES, 100);
	assert_true(len > 0);
	for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		assert_true(n < sizeof(types) / sizeof(types[0]));
		assert_int_equal(nlh->nlmsg_type, types[n]);
		assert_int_equal(nlh->nlmsg_seq, 100 + n);
		if (nlh->nlmsg_type == NFT_TYPE(NFT_MSG_NEWTABLE) ||
		    nlh->nlmsg_type == NFT_TYPE(NFT_MSG_DELTABLE)) {
			struct nftnl_table *t = nftnl_table_alloc();

			assert_int_equal(nftnl_table_nlmsg_parse(nlh, t), 0);
			assert_string_equal(nftnl_table_get_str(t, NFTNL_TABLE_NAME), "netback_t");
			nftnl_table_free(t);
		} else if (nlh->nlmsg_type == NFT_TYPE(NFT_MSG_NEWCHAIN)) {
			struct nftnl_chain *c = nftnl_chain_alloc();

			assert_int_equal(nftnl_chain_nlmsg_parse(nlh, c), 0);
			assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME),
					    n_chains ? "forward" : "postrouting");
			assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE),
					    n_chains ? "filter" : "nat");
			assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM),
					 n_chains ? NF_INET_FORWARD : NF_INET_POST_ROUTING);
			assert_int_equal(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO),
					 n_chains ? 0 : 100);
			nftnl_chain_free(c);
			n_chains++;
		} else if (nlh->nlmsg_type == NFT_TYPE(NFT_MSG_NEWRULE)) {
			struct nftnl_rule *r = nftnl_rule_alloc();

			assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
			nftnl_rule_snprintf(txt, sizeof(txt), r, NFTNL_OUTPUT_DEFAULT, 0);
			assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), "netback_t");
			assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN),
					    rules_expect[n_rules][0]);
			for (int i = 1; i < 6; i++)
				if (rules_expect[n_rules][i][0] &&
				    !strstr(txt, rules_expect[n_rules][i]))
					fail_msg("rule %u lacks '%s':\n%s", n_rules,
						 rules_expect[n_rules][i], txt);
			nftnl_rule_free(r);
			n_rules++;
		}
		n++;
	}
	assert_int_equal(n, sizeof(types) / sizeof(types[0]));
	assert_int_equal(n_rules, 4);
	free(buf);
}

static void
bad_arguments_are_refused(void **state)
{
	char *buf = malloc(BUF_BYTES);

	(void)state;
	assert_non_null(buf);
	assert_int_equal(nat_nft_build("a b", "10.0.0.0/24", "h", "u", buf, BUF_BYTES, 1), -EINVAL);
	assert_int_equal(nat_nft_build("", "10.0.0.0/24", "h", "u", buf, BUF_BYTES, 1), -EINVAL);
	assert_int_equal(nat_nft_build("n", "10.0.0.0/33", "h", "u", buf, BUF_BYTES, 1), -EINVAL);
	assert_int_equal(nat_nft_build("n", "10.0.0.0", "h", "u", buf, BUF_BYTES, 1), -EINVAL);
	assert_int_equal(
		nat_nft_build("n", "10.0.0.0/24", "0123456789abcdef", "u", buf, BUF_BYTES, 1),
		-EINVAL);
	assert_int_equal(nat_nft_build("n", "10.0.0.0/24", "h", "", buf, BUF_BYTES, 1), -EINVAL);
	assert_int_equal(nat_nft_build("n", "10.0.0.0/24", "h", "u", buf, 64, 1), -E2BIG);
	assert_int_equal(nat_nft_apply("n;x", "10.0.0.0/24", "h", "u"), -EINVAL);
	free(buf);
}

/* Runs a shell command in this (private) namespace; returns its exit status. */
static int
sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
kernel_life_cycle_in_a_private_namespace(void **state)
{
	char line[8192];
	size_t n;
	FILE *f;
	int fd;

	(void)state;
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	/* The namespace forwards, as netbackd makes dom0 do for kernel NAT. */
	fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "1", 1), 1);
	close(fd);

	assert_int_equal(nat_nft_check("t", "10.9.0.0/24", "nb-t", "upl0"), -ENOENT);
	assert_int_equal(nat_nft_apply("t", "10.9.0.0/24", "nb-t", "upl0"), 0);
	assert_int_equal(nat_nft_check("t", "10.9.0.0/24", "nb-t", "upl0"), 0);
	/* Idempotent: applying again replaces, it does not duplicate. */
	assert_int_equal(nat_nft_apply("t", "10.9.0.0/24", "nb-t", "upl0"), 0);
	assert_int_equal(nat_nft_check("t", "10.9.0.0/24", "nb-t", "upl0"), 0);
	/* Another subnet or interface is a different table content. */
	assert_int_equal(nat_nft_check("t", "10.9.1.0/24", "nb-t", "upl0"), -ESTALE);
	assert_int_equal(nat_nft_check("t", "10.9.0.0/24", "nb-t", "upl1"), -ESTALE);

	f = popen("nft -j list table ip netback_t", "r");
	assert_non_null(f);
	n = fread(line, 1, sizeof(line) - 1, f);
	line[n] = '\0';
	assert_int_equal(pclose(f), 0);
	assert_non_null(strstr(line, "\"masquerade\""));
	assert_non_null(strstr(line, "\"10.9.0.0\""));
	assert_non_null(strstr(line, "\"upl0\""));
	assert_non_null(strstr(line, "\"nb-t\""));
	assert_non_null(strstr(line, "\"established\""));
	assert_non_null(strstr(line, "\"drop\""));

	assert_int_equal(sh("nft flush chain ip netback_t forward"), 0);
	assert_int_equal(nat_nft_check("t", "10.9.0.0/24", "nb-t", "upl0"), -ESTALE);
	assert_int_equal(nat_nft_apply("t", "10.9.0.0/24", "nb-t", "upl0"), 0);
	assert_int_equal(nat_nft_check("t", "10.9.0.0/24", "nb-t", "upl0"), 0);
	assert_int_equal(sh("nft add rule ip netback_t forward accept"), 0);
	assert_int_equal(nat_nft_check("t", "10.9.0.0/24", "nb-t", "upl0"), -ESTALE);
	assert_int_equal(sh("nft delete chain ip netback_t postrouting"), 0);
	assert_int_equal(nat_nft_check("t", "10.9.0.0/24", "nb-t", "upl0"), -ESTALE);
	assert_int_equal(nat_nft_apply("t", "10.9.0.0/24", "nb-t", "upl0"), 0);
	assert_int_equal(nat_nft_check("t", "10.9.0.0/24", "nb-t", "upl0"), 0);

	assert_int_equal(nat_nft_remove("t"), 0);
	assert_int_equal(nat_nft_check("t", "10.9.0.0/24", "nb-t", "upl0"), -ENOENT);
	assert_int_equal(sh("nft list table ip netback_t 2>/dev/null"), 1);
	/* Removing what is not there is fine. */
	assert_int_equal(nat_nft_remove("t"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(batch_parses_back_to_the_table_chains_and_rules),
		cmocka_unit_test(bad_arguments_are_refused),
		cmocka_unit_test(kernel_life_cycle_in_a_private_namespace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
