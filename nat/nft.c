/* SPDX-License-Identifier: MIT */
/*
 * nft.c - the kernel NAT back end (see nft.h): the rules as libnftnl objects, one netlink
 * batch per change sent with libmnl, and a read-back that compares the kernel's table with
 * a freshly built one. Rules are compared through libnftnl's own text rendering of each
 * rule (handles removed), so "identical" means identical expressions in the same order.
 */
#include "nat/nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#define TABLE_MAX    (sizeof(NAT_NFT_TABLE_PREFIX) + NAT_NFT_NAME_MAX)
#define CT_EST_REL   ((1u << (1 + 1)) | (1u << (0 + 1))) /* NF_CT_STATE_BIT(ESTABLISHED|RELATED) */
#define N_RULES	     4
#define RULE_TXT_MAX 2048
#define BATCH_BYTES  (2 * MNL_SOCKET_BUFFER_SIZE)

struct nft_args {
	char table[TABLE_MAX];
	uint32_t net, mask; /* network order */
	char host[IFNAMSIZ], uplink[IFNAMSIZ];
};

static const struct {
	const char *name, *type;
	uint32_t hook;
	int32_t prio;
} chains[] = {
	{ "postrouting", "nat", NF_INET_POST_ROUTING, 100 },
	{ "forward", "filter", NF_INET_FORWARD, 0 },
};

static int
args_parse(const char *name, const char *subnet, const char *host_if, const char *uplink_if,
	   struct nft_args *a)
{
	char buf[32], *slash, *end;
	struct in_addr in;
	unsigned long n;
	size_t len;

	if (!name || !subnet || !host_if || !uplink_if)
		return -EINVAL;
	len = strlen(name);
	if (len == 0 || len > NAT_NFT_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len)
		return -EINVAL;
	snprintf(a->table, sizeof(a->table), NAT_NFT_TABLE_PREFIX "%s", name);
	if (strlen(subnet) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, subnet);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	n = strtoul(slash + 1, &end, 10);
	if (*end || end == slash + 1 || n > 32 || inet_pton(AF_INET, buf, &in) != 1)
		return -EINVAL;
	a->mask = htonl(n ? 0xffffffffu << (32 - n) : 0);
	a->net = in.s_addr & a->mask;
	len = strlen(host_if);
	if (len == 0 || len >= IFNAMSIZ)
		return -EINVAL;
	memset(a->host, 0, sizeof(a->host));
	memcpy(a->host, host_if, len);
	len = strlen(uplink_if);
	if (len == 0 || len >= IFNAMSIZ)
		return -EINVAL;
	memset(a->uplink, 0, sizeof(a->uplink));
	memcpy(a->uplink, uplink_if, len);
	return 0;
}

static struct nftnl_expr *
expr_new(struct nftnl_rule *r, const char *kind)
{
	struct nftnl_expr *e = nftnl_expr_alloc(kind);

	if (e)
		nftnl_rule_add_expr(r, e);
	return e;
}

static bool
add_ifname(struct nftnl_rule *r, uint32_t key, const char *ifname)
{
	struct nftnl_expr *m = expr_new(r, "meta"), *c;

	if (!m)
		return false;
	nftnl_expr_set_u32(m, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(m, NFTNL_EXPR_META_DREG, NFT_REG_1);
	c = expr_new(r, "cmp");
	if (!c)
		return false;
	nftnl_expr_set_u32(c, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(c, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(c, NFTNL_EXPR_CMP_DATA, ifname, IFNAMSIZ);
	return true;
}

/* ip saddr/daddr (offset 12/16 of the IP header) within net/mask. */
static bool
add_ip_in(struct nftnl_rule *r, uint32_t offset, const struct nft_args *a)
{
	struct nftnl_expr *p = expr_new(r, "payload"), *b, *c;
	uint32_t zero = 0;

	if (!p)
		return false;
	nftnl_expr_set_u32(p, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(p, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(p, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(p, NFTNL_EXPR_PAYLOAD_LEN, 4);
	b = expr_new(r, "bitwise");
	if (!b)
		return false;
	nftnl_expr_set_u32(b, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(b, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(b, NFTNL_EXPR_BITWISE_LEN, 4);
	nftnl_expr_set(b, NFTNL_EXPR_BITWISE_MASK, &a->mask, 4);
	nftnl_expr_set(b, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
	c = expr_new(r, "cmp");
	if (!c)
		return false;
	nftnl_expr_set_u32(c, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(c, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(c, NFTNL_EXPR_CMP_DATA, &a->net, 4);
	return true;
}

static bool
add_ct_est_rel(struct nftnl_rule *r)
{
	struct nftnl_expr *ct = expr_new(r, "ct"), *b, *c;
	uint32_t mask = CT_EST_REL, zero = 0;

	if (!ct)
		return false;
	nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	b = expr_new(r, "bitwise");
	if (!b)
		return false;
	nftnl_expr_set_u32(b, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(b, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(b, NFTNL_EXPR_BITWISE_LEN, 4);
	nftnl_expr_set(b, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
	nftnl_expr_set(b, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
	c = expr_new(r, "cmp");
	if (!c)
		return false;
	nftnl_expr_set_u32(c, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(c, NFTNL_EXPR_CMP_OP, NFT_CMP_NEQ);
	nftnl_expr_set(c, NFTNL_EXPR_CMP_DATA, &zero, 4);
	return true;
}

static bool
add_verdict(struct nftnl_rule *r, uint32_t verdict)
{
	struct nftnl_expr *e = expr_new(r, "immediate");

	if (!e)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdict);
	return true;
}

/* Rule 'i' of the table (N_RULES in all), in chain order; NULL on allocation failure. */
static struct nftnl_rule *
rule_build(const struct nft_args *a, unsigned int i)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	bool ok = false;

	if (!r)
		return NULL;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, a->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, i == 0 ? chains[0].name : chains[1].name);
	switch (i) {
	case 0: /* ip saddr S oifname U masquerade */
		ok = add_ip_in(r, 12, a) && add_ifname(r, NFT_META_OIFNAME, a->uplink) &&
		     expr_new(r, "masq");
		break;
	case 1: /* iifname H oifname U ip saddr S accept */
		ok = add_ifname(r, NFT_META_IIFNAME, a->host) &&
		     add_ifname(r, NFT_META_OIFNAME, a->uplink) && add_ip_in(r, 12, a) &&
		     add_verdict(r, NF_ACCEPT);
		break;
	case 2: /* iifname U oifname H ct state established,related accept */
		ok = add_ifname(r, NFT_META_IIFNAME, a->uplink) &&
		     add_ifname(r, NFT_META_OIFNAME, a->host) && add_ct_est_rel(r) &&
		     add_verdict(r, NF_ACCEPT);
		break;
	case 3: /* iifname U ip daddr S drop */
		ok = add_ifname(r, NFT_META_IIFNAME, a->uplink) && add_ip_in(r, 16, a) &&
		     add_verdict(r, NF_DROP);
		break;
	}
	if (!ok) {
		nftnl_rule_free(r);
		return NULL;
	}
	return r;
}

static struct nftnl_table *
table_build(const char *table)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (t) {
		nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_IPV4);
		nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	}
	return t;
}

static int
batch_next(struct mnl_nlmsg_batch *b)
{
	return mnl_nlmsg_batch_next(b) ? 0 : -E2BIG;
}

/* Appends "new table; delete table" (so the delete never fails) and, if 'create', the table
 * again with its chains and rules. */
static int
batch_table(struct mnl_nlmsg_batch *b, const struct nft_args *a, bool create, uint32_t *seq)
{
	struct nftnl_table *t = table_build(a->table);
	struct nlmsghdr *nlh;
	int err = 0;

	if (!t)
		return -ENOMEM;
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWTABLE, NFPROTO_IPV4,
				    NLM_F_CREATE | NLM_F_ACK, (*seq)++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	err = batch_next(b);
	if (!err) {
		nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_DELTABLE,
					    NFPROTO_IPV4, NLM_F_ACK, (*seq)++);
		nftnl_table_nlmsg_build_payload(nlh, t);
		err = batch_next(b);
	}
	if (!err && create) {
		nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWTABLE,
					    NFPROTO_IPV4, NLM_F_CREATE | NLM_F_ACK, (*seq)++);
		nftnl_table_nlmsg_build_payload(nlh, t);
		err = batch_next(b);
	}
	nftnl_table_free(t);
	for (unsigned int i = 0; create && !err && i < sizeof(chains) / sizeof(chains[0]); i++) {
		struct nftnl_chain *c = nftnl_chain_alloc();

		if (!c)
			return -ENOMEM;
		nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_IPV4);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, a->table);
		nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chains[i].name);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, chains[i].type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, chains[i].hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, chains[i].prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
		nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWCHAIN,
					    NFPROTO_IPV4, NLM_F_CREATE | NLM_F_ACK, (*seq)++);
		nftnl_chain_nlmsg_build_payload(nlh, c);
		nftnl_chain_free(c);
		err = batch_next(b);
	}
	for (unsigned int i = 0; create && !err && i < N_RULES; i++) {
		struct nftnl_rule *r = rule_build(a, i);

		if (!r)
			return -ENOMEM;
		nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWRULE,
					    NFPROTO_IPV4, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK,
					    (*seq)++);
		nftnl_rule_nlmsg_build_payload(nlh, r);
		nftnl_rule_free(r);
		err = batch_next(b);
	}
	return err;
}

/* Builds a whole batch (begin, table messages, end) into 'buf'; returns its length. */
static int
batch_build(const struct nft_args *a, bool create, void *buf, size_t size, uint32_t seq)
{
	struct mnl_nlmsg_batch *b;
	int err;
	size_t len;

	/* mnl batches may overrun their limit by one message: keep one page of slack. */
	if (size < 2 * (size_t)MNL_SOCKET_BUFFER_SIZE)
		return -E2BIG;
	b = mnl_nlmsg_batch_start(buf, size - MNL_SOCKET_BUFFER_SIZE);
	if (!b)
		return -ENOMEM;
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	err = batch_next(b);
	if (!err)
		err = batch_table(b, a, create, &seq);
	if (!err) {
		nftnl_batch_end(mnl_nlmsg_batch_current(b), seq++);
		err = batch_next(b);
	}
	len = mnl_nlmsg_batch_size(b);
	mnl_nlmsg_batch_stop(b);
	return err ? err : (int)len;
}

int
nat_nft_build(const char *name, const char *subnet, const char *host_if, const char *uplink_if,
	      void *buf, size_t size, uint32_t seq)
{
	struct nft_args a;
	int err = args_parse(name, subnet, host_if, uplink_if, &a);

	return err ? err : batch_build(&a, true, buf, size, seq);
}

static struct mnl_socket *
nl_open(int *err)
{
	struct timeval tv = { .tv_sec = NAT_NFT_TIMEOUT_MS / 1000,
			      .tv_usec = (NAT_NFT_TIMEOUT_MS % 1000) * 1000 };
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);

	if (!nl) {
		*err = -errno;
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		*err = -errno;
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

/* Sends a batch and waits for one acknowledgement per message that asked for one; returns
 * the first error the kernel reported. */
static int
nl_send_batch(const void *buf, size_t len)
{
	const struct nlmsghdr *nlh;
	unsigned int want = 0, got = 0;
	char rbuf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	int err = 0, first = 0, left = (int)len;

	for (nlh = buf; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
		if (nlh->nlmsg_flags & NLM_F_ACK)
			want++;
	nl = nl_open(&err);
	if (!nl)
		return err;
	if (mnl_socket_sendto(nl, buf, len) < 0) {
		err = -errno;
		goto out;
	}
	/* A refused batch is aborted whole: the kernel answers with the error(s) only. */
	while (got < want) {
		ssize_t n = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));
		int rem = (int)n;

		if (n < 0) {
			err = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		for (nlh = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nlh, rem);
		     nlh = mnl_nlmsg_next(nlh, &rem)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (e->error && !first)
				first = e->error;
			got++;
		}
		if (first)
			break;
	}
	if (!err)
		err = first;
out:
	mnl_socket_close(nl);
	return err;
}

static int
apply(const struct nft_args *a, bool create)
{
	char *buf = malloc(BATCH_BYTES);
	int len, err;

	if (!buf)
		return -ENOMEM;
	len = batch_build(a, create, buf, BATCH_BYTES, 1);
	err = len < 0 ? len : nl_send_batch(buf, (size_t)len);
	free(buf);
	return err;
}

int
nat_nft_apply(const char *name, const char *subnet, const char *host_if, const char *uplink_if)
{
	struct nft_args a;
	int err = args_parse(name, subnet, host_if, uplink_if, &a);

	return err ? err : apply(&a, true);
}

int
nat_nft_remove(const char *name)
{
	struct nft_args a;
	int err = args_parse(name, "0.0.0.0/0", "lo", "lo", &a);

	return err ? err : apply(&a, false);
}

/* ---- read-back ----------------------------------------------------------------------- */

struct readback {
	const struct nft_args *a;
	unsigned int n_chains, n_rules;
	bool chains_ok;
	char rules[N_RULES][RULE_TXT_MAX];
	bool overflow;
};

static void
rule_text(struct nftnl_rule *r, char *buf, size_t size)
{
	nftnl_rule_unset(r, NFTNL_RULE_HANDLE);
	nftnl_rule_unset(r, NFTNL_RULE_POSITION);
	nftnl_rule_snprintf(buf, size, r, NFTNL_OUTPUT_DEFAULT, 0);
}

static int
chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct readback *rb = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	unsigned int i;

	if (!c)
		return MNL_CB_ERROR;
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		nftnl_chain_free(c);
		return MNL_CB_ERROR;
	}
	if (nftnl_chain_is_set(c, NFTNL_CHAIN_TABLE) && nftnl_chain_is_set(c, NFTNL_CHAIN_NAME) &&
	    strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), rb->a->table) == 0) {
		rb->n_chains++;
		for (i = 0; i < sizeof(chains) / sizeof(chains[0]); i++)
			if (!strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), chains[i].name))
				break;
		if (i == sizeof(chains) / sizeof(chains[0]) ||
		    !nftnl_chain_is_set(c, NFTNL_CHAIN_TYPE) ||
		    strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), chains[i].type) ||
		    nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) != chains[i].hook ||
		    nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO) != chains[i].prio ||
		    nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) != NF_ACCEPT)
			rb->chains_ok = false;
	}
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

static int
rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct readback *rb = data;
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		return MNL_CB_ERROR;
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		nftnl_rule_free(r);
		return MNL_CB_ERROR;
	}
	if (nftnl_rule_is_set(r, NFTNL_RULE_TABLE) &&
	    strcmp(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), rb->a->table) == 0) {
		if (rb->n_rules < N_RULES)
			rule_text(r, rb->rules[rb->n_rules], RULE_TXT_MAX);
		else
			rb->overflow = true;
		rb->n_rules++;
	}
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

/* Sends one request (a get or a dump) and runs 'cb' on every answer. */
static int
nl_query(struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	char rbuf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid;
	struct mnl_socket *nl;
	int err = 0, ret;

	nl = nl_open(&err);
	if (!nl)
		return err;
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) {
		err = -errno;
		goto out;
	}
	do {
		ssize_t n = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));

		if (n < 0) {
			err = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		ret = mnl_cb_run(rbuf, (size_t)n, req->nlmsg_seq, portid, cb, data);
		if (ret < 0)
			err = -errno;
	} while (ret > 0);
out:
	mnl_socket_close(nl);
	return err;
}

static int
noop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

int
nat_nft_check(const char *name, const char *subnet, const char *host_if, const char *uplink_if)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct readback *rb;
	struct nftnl_table *t;
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;
	struct nft_args a;
	char want[RULE_TXT_MAX];
	int err = args_parse(name, subnet, host_if, uplink_if, &a);

	if (err)
		return err;
	t = table_build(a.table);
	if (!t)
		return -ENOMEM;
	nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETTABLE, NFPROTO_IPV4, NLM_F_ACK, 1);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	err = nl_query(nlh, noop_cb, NULL);
	if (err)
		return err;
	rb = calloc(1, sizeof(*rb));
	if (!rb)
		return -ENOMEM;
	rb->a = &a;
	rb->chains_ok = true;
	nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETCHAIN, NFPROTO_IPV4, NLM_F_DUMP, 2);
	err = nl_query(nlh, chain_cb, rb);
	r = err ? NULL : nftnl_rule_alloc();
	if (!err && !r)
		err = -ENOMEM;
	if (!err) {
		nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETRULE, NFPROTO_IPV4, NLM_F_DUMP, 3);
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, a.table);
		nftnl_rule_nlmsg_build_payload(nlh, r);
		nftnl_rule_free(r);
		err = nl_query(nlh, rule_cb, rb);
	}
	if (!err && (!rb->chains_ok || rb->n_chains != sizeof(chains) / sizeof(chains[0]) ||
		     rb->n_rules != N_RULES || rb->overflow))
		err = -ESTALE;
	/* The kernel dumps rules chain by chain, each in order; ours are built in that order. */
	for (unsigned int i = 0; !err && i < N_RULES; i++) {
		r = rule_build(&a, i);
		if (!r) {
			err = -ENOMEM;
			break;
		}
		rule_text(r, want, sizeof(want));
		nftnl_rule_free(r);
		if (strcmp(want, rb->rules[i]))
			err = -ESTALE;
	}
	free(rb);
	return err;
}
