/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reads rule bytecode back into an rs_rule: the inverse of expr.c. Each load is remembered
 * until the cmp or lookup that consumes it; anything flowguard never emits is refused so
 * that an audit shows it instead of silently dropping it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>

#include "expr.h"

enum load { LOAD_NONE, LOAD_META, LOAD_PAYLOAD, LOAD_CT, LOAD_CT_MASKED };

struct pstate {
	struct rs_rule *r;
	enum load load;
	uint32_t key;		 /* meta key, or ct key */
	uint32_t base, off, len; /* payload */
	uint32_t mask;		 /* ct state bitwise mask */
	uint8_t dep_nfproto;	 /* the last meta nfproto seen */
	uint8_t set_nfproto;	 /* the family a set lookup implies */
};

static const void *data_of(const struct nftnl_expr *e, uint16_t attr, uint32_t *len)
{
	*len = 0;
	return nftnl_expr_get(e, attr, len);
}

/* cmp after "meta load": iifname, oifname, nfproto, l4proto */
static int cmp_meta(struct pstate *p, const uint8_t *d, uint32_t len)
{
	struct rs_rule *r = p->r;

	switch (p->key) {
	case NFT_META_IIFNAME:
	case NFT_META_OIFNAME:
		if (len != RS_IFNAME_MAX || d[RS_IFNAME_MAX - 1])
			return -EOPNOTSUPP;
		memcpy(p->key == NFT_META_IIFNAME ? r->iifname : r->oifname, d, len);
		return 0;
	case NFT_META_NFPROTO:
		if (len != 1)
			return -EOPNOTSUPP;
		r->nfproto = p->dep_nfproto = d[0];
		return 0;
	case NFT_META_L4PROTO:
		if (len != 1 || r->l4proto)
			return -EOPNOTSUPP;
		r->l4proto = d[0];
		return 0;
	}
	return -EOPNOTSUPP;
}

/* cmp after a transport header load: ports, or ICMP type/code */
static int cmp_transport(struct pstate *p, const uint8_t *d, uint32_t len)
{
	struct rs_rule *r = p->r;
	uint16_t v[2];

	if (len != p->len || p->base != NFT_PAYLOAD_TRANSPORT_HEADER)
		return -EOPNOTSUPP;
	if (r->l4proto == IPPROTO_ICMP || r->l4proto == IPPROTO_ICMPV6) {
		if (p->off + len > 2)
			return -EOPNOTSUPP;
		if (p->off == 0)
			r->icmp_type = d[0];
		if (p->off + len == 2)
			r->icmp_code = d[len - 1];
		return 0;
	}
	if ((r->l4proto != IPPROTO_TCP && r->l4proto != IPPROTO_UDP) || p->off + len > 4 ||
	    len % 2 || p->off % 2)
		return -EOPNOTSUPP;
	memcpy(v, d, len);
	if (p->off == 0)
		r->sport = ntohs(v[0]);
	if (p->off + len == 4)
		r->dport = ntohs(v[len / 2 - 1]);
	return 0;
}

static int parse_cmp(struct pstate *p, const struct nftnl_expr *e)
{
	uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);
	const uint8_t *d;
	uint32_t len, zero = 0;
	enum load load = p->load;

	d = data_of(e, NFTNL_EXPR_CMP_DATA, &len);
	p->load = LOAD_NONE;
	if (!d)
		return -EOPNOTSUPP;
	if (load == LOAD_CT_MASKED && op == NFT_CMP_NEQ && len == 4 && !memcmp(d, &zero, 4)) {
		p->r->ct_state = p->mask;
		return 0;
	}
	if (op != NFT_CMP_EQ)
		return -EOPNOTSUPP;
	if (load == LOAD_META)
		return cmp_meta(p, d, len);
	if (load == LOAD_PAYLOAD)
		return cmp_transport(p, d, len);
	return -EOPNOTSUPP;
}

/* lookup after a network header load: ip saddr @set ... */
static int parse_lookup(struct pstate *p, const struct nftnl_expr *e)
{
	struct rs_rule *r = p->r;
	const char *set = nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET);

	if (p->load != LOAD_PAYLOAD || p->base != NFT_PAYLOAD_NETWORK_HEADER || !set || r->set ||
	    nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_FLAGS) ||
	    nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG))
		return -EOPNOTSUPP;
	p->load = LOAD_NONE;
	if (p->len == 4 && (p->off == 12 || p->off == 16))
		r->set_dir = p->off == 12 ? RS_DIR_SRC : RS_DIR_DST;
	else if (p->len == 16 && (p->off == 8 || p->off == 24))
		r->set_dir = p->off == 8 ? RS_DIR_SRC : RS_DIR_DST;
	else
		return -EOPNOTSUPP;
	p->set_nfproto = p->len == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
	return rs_strset(&r->set, set);
}

static int parse_load(struct pstate *p, const struct nftnl_expr *e, const char *name)
{
	if (!strcmp(name, "meta")) {
		if (!nftnl_expr_is_set(e, NFTNL_EXPR_META_DREG))
			return -EOPNOTSUPP;
		p->load = LOAD_META;
		p->key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
	} else if (!strcmp(name, "payload")) {
		p->load = LOAD_PAYLOAD;
		p->base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
		p->off = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
		p->len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
	} else {
		if (nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY) != NFT_CT_STATE ||
		    nftnl_expr_is_set(e, NFTNL_EXPR_CT_DIR))
			return -EOPNOTSUPP;
		p->load = LOAD_CT;
	}
	return 0;
}

static int parse_bitwise(struct pstate *p, const struct nftnl_expr *e)
{
	const uint32_t *mask, *xor;
	uint32_t ml, xl;

	mask = data_of(e, NFTNL_EXPR_BITWISE_MASK, &ml);
	xor = data_of(e, NFTNL_EXPR_BITWISE_XOR, &xl);
	if (p->load != LOAD_CT || !mask || !xor || ml != 4 || xl != 4 || *xor)
		return -EOPNOTSUPP;
	p->mask = *mask;
	p->load = LOAD_CT_MASKED;
	return 0;
}

/* limit rate N/second burst B packets; log prefix "..." [group N]; accept|drop */
static int parse_action(struct pstate *p, const struct nftnl_expr *e, const char *name)
{
	struct rs_rule *r = p->r;
	uint32_t v;

	if (!strcmp(name, "counter")) {
		r->counter = true;
		r->packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
		r->bytes = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
	} else if (!strcmp(name, "limit")) {
		if (nftnl_expr_get_u64(e, NFTNL_EXPR_LIMIT_UNIT) != 1 ||
		    nftnl_expr_get_u32(e, NFTNL_EXPR_LIMIT_TYPE) != NFT_LIMIT_PKTS ||
		    nftnl_expr_get_u32(e, NFTNL_EXPR_LIMIT_FLAGS))
			return -EOPNOTSUPP;
		r->limit_rate = (uint32_t)nftnl_expr_get_u64(e, NFTNL_EXPR_LIMIT_RATE);
		r->limit_burst = nftnl_expr_get_u32(e, NFTNL_EXPR_LIMIT_BURST);
	} else if (!strcmp(name, "log")) {
		/* The kernel dumps snaplen and qthreshold only when set: flowguard sets neither. */
		if (!nftnl_expr_is_set(e, NFTNL_EXPR_LOG_PREFIX) ||
		    nftnl_expr_is_set(e, NFTNL_EXPR_LOG_SNAPLEN) ||
		    nftnl_expr_is_set(e, NFTNL_EXPR_LOG_QTHRESHOLD))
			return -EOPNOTSUPP;
		r->log_group = nftnl_expr_is_set(e, NFTNL_EXPR_LOG_GROUP) ?
				       nftnl_expr_get_u16(e, NFTNL_EXPR_LOG_GROUP) :
				       -1;
		return rs_strset(&r->log_prefix, nftnl_expr_get_str(e, NFTNL_EXPR_LOG_PREFIX));
	} else {
		v = nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
		if (nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) != NFT_REG_VERDICT ||
		    (v != NF_ACCEPT && v != NF_DROP))
			return -EOPNOTSUPP;
		r->verdict = v == NF_DROP ? RS_VERDICT_DROP : RS_VERDICT_ACCEPT;
	}
	return 0;
}

static int parse_expr(struct nftnl_expr *e, void *data)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	struct pstate *p = data;

	if (!strcmp(name, "meta") || !strcmp(name, "payload") || !strcmp(name, "ct"))
		return parse_load(p, e, name);
	if (p->load == LOAD_NONE && (!strcmp(name, "counter") || !strcmp(name, "limit") ||
				     !strcmp(name, "log") || !strcmp(name, "immediate")))
		return parse_action(p, e, name);
	if (!strcmp(name, "cmp"))
		return parse_cmp(p, e);
	if (!strcmp(name, "lookup"))
		return parse_lookup(p, e);
	if (!strcmp(name, "bitwise"))
		return parse_bitwise(p, e);
	return -EOPNOTSUPP;
}

struct describe {
	char *buf;
	size_t len, used;
};

static int describe_expr(struct nftnl_expr *e, void *data)
{
	struct describe *d = data;
	int n;

	n = snprintf(d->buf + d->used, d->len - d->used, "%s%s", d->used ? " " : "",
		     nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
	if (n > 0 && (size_t)n < d->len - d->used)
		d->used += (size_t)n;
	return 0;
}

int expr_rule_parse(const struct nftnl_rule *nr, struct rs_rule *r, char *what, size_t len)
{
	struct describe d = { what, len, 0 };
	struct pstate p = { .r = r };
	const void *ud;
	uint32_t udlen = 0;
	uint8_t implied;
	int ret;

	/* libnftnl's foreach takes a non-const rule but does not modify it. */
	ret = nftnl_expr_foreach((struct nftnl_rule *)(uintptr_t)nr, parse_expr, &p);
	if (ret == 0 && p.load != LOAD_NONE)
		ret = -EOPNOTSUPP;
	if (ret == -EOPNOTSUPP || (ret < 0 && ret != -ENOMEM)) {
		what[0] = '\0';
		nftnl_expr_foreach((struct nftnl_rule *)(uintptr_t)nr, describe_expr, &d);
		ret = -EOPNOTSUPP;
	}
	implied = p.set_nfproto ? p.set_nfproto : expr_implied_nfproto(NULL, r);
	if (ret == 0 && p.dep_nfproto && p.dep_nfproto == implied)
		r->nfproto = 0;
	ud = nftnl_rule_get_data(nr, NFTNL_RULE_USERDATA, &udlen);
	if (ret == 0)
		ret = expr_udata_get_comment(ud, udlen, NFTNL_UDATA_RULE_COMMENT, &r->comment);
	return ret;
}
