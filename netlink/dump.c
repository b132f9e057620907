/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Read back: GETGEN, GETTABLE, and dumps of chains, rules, sets and elements into the IR.
 * Everything flowguard would not have generated stays visible (marked in a comment), so a
 * comparison with the desired IR reports it instead of hiding it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "expr.h"
#include "talk.h"

/* nft's key datatypes for ipv4_addr and ipv6_addr. */
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
/* Attempts at a dump that another process keeps interrupting. */
#define DUMP_RETRIES 5

/* Builds a GET request for inet objects of table (and set) into buf (MNL_SOCKET_BUFFER_SIZE). */
static struct nlmsghdr *request(struct nft_ctx *ctx, char *buf, uint16_t type, uint16_t flags,
				const char *table, const char *set)
{
	struct nlmsghdr *nlh = talk_msg(ctx, buf, type, NFPROTO_INET, flags, table);

	if (set)
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	return nlh;
}

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_gen *g;

	g = nftnl_gen_alloc();
	if (!g)
		return MNL_CB_ERROR;
	if (nftnl_gen_nlmsg_parse(nlh, g) == 0)
		*(uint32_t *)data = nftnl_gen_get_u32(g, NFTNL_GEN_ID);
	nftnl_gen_free(g);
	return MNL_CB_OK;
}

int nft_genid(struct nft_ctx *ctx, uint32_t *ret_genid)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t id = 0;
	int r;

	r = talk_request(ctx, request(ctx, buf, NFT_MSG_GETGEN, NLM_F_ACK, NULL, NULL), gen_cb,
			 &id);
	if (r == 0)
		*ret_genid = id;
	return r;
}

struct table_cb {
	struct nft_table_state st;
	char *comment;
	bool found;
};

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct table_cb *t = data;
	struct nftnl_table *nt;
	const void *ud;
	uint32_t len = 0;
	int r = MNL_CB_OK;

	nt = nftnl_table_alloc();
	if (!nt)
		return MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(nlh, nt) == 0) {
		t->found = true;
		t->st.flags = nftnl_table_get_u32(nt, NFTNL_TABLE_FLAGS);
		if (nftnl_table_is_set(nt, NFTNL_TABLE_OWNER))
			t->st.owner = nftnl_table_get_u32(nt, NFTNL_TABLE_OWNER);
		ud = nftnl_table_get_data(nt, NFTNL_TABLE_USERDATA, &len);
		if (expr_udata_get_comment(ud, len, NFTNL_UDATA_TABLE_COMMENT, &t->comment) < 0)
			r = MNL_CB_ERROR;
	}
	nftnl_table_free(nt);
	return r;
}

static int get_table(struct nft_ctx *ctx, const char *table, struct table_cb *t)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int r;

	r = talk_request(ctx, request(ctx, buf, NFT_MSG_GETTABLE, NLM_F_ACK, table, NULL), table_cb,
			 t);
	if (r == 0 && !t->found)
		r = -ENOENT;
	return r;
}

int nft_table_state(struct nft_ctx *ctx, const char *table, struct nft_table_state *ret)
{
	struct table_cb t = { 0 };
	int r;

	r = get_table(ctx, table, &t);
	free(t.comment);
	if (r == 0)
		*ret = t.st;
	return r;
}

static void mark_unrecognised(char **comment, const char *what)
{
	char buf[RS_COMMENT_MAX];

	snprintf(buf, sizeof(buf), "[unrecognised %s]%s%s", what, *comment ? " " : "",
		 *comment ? *comment : "");
	if (rs_strset(comment, buf) < 0)
		return;
}

/* chain NAME { type filter hook input|output priority P; policy accept|drop; } */
static int chain_from(void *obj, void *data)
{
	struct nftnl_chain *nc = obj;
	struct ruleset *rs = data;
	const char *type = nftnl_chain_get_str(nc, NFTNL_CHAIN_TYPE);
	bool base = nftnl_chain_is_set(nc, NFTNL_CHAIN_HOOKNUM);
	uint32_t hook = nftnl_chain_get_u32(nc, NFTNL_CHAIN_HOOKNUM);
	struct rs_chain *c;
	const void *ud;
	uint32_t len = 0;

	c = ruleset_add_chain(rs, nftnl_chain_get_str(nc, NFTNL_CHAIN_NAME),
			      hook == NF_INET_LOCAL_OUT ? RS_HOOK_OUTPUT : RS_HOOK_INPUT,
			      nftnl_chain_get_s32(nc, NFTNL_CHAIN_PRIO),
			      nftnl_chain_get_u32(nc, NFTNL_CHAIN_POLICY) == NF_DROP ?
				      RS_VERDICT_DROP :
				      RS_VERDICT_ACCEPT);
	if (!c)
		return -ENOMEM;
	ud = nftnl_chain_get_data(nc, NFTNL_CHAIN_USERDATA, &len);
	if (expr_udata_get_comment(ud, len, NFTNL_UDATA_CHAIN_COMMENT, &c->comment) < 0)
		return -ENOMEM;
	if (!base || (hook != NF_INET_LOCAL_IN && hook != NF_INET_LOCAL_OUT) || !type ||
	    strcmp(type, "filter"))
		mark_unrecognised(&c->comment, "chain");
	return 0;
}

static int rule_from(void *obj, void *data)
{
	char what[RS_COMMENT_MAX], label[RS_COMMENT_MAX + 8];
	struct nftnl_rule *nr = obj;
	struct ruleset *rs = data;
	struct rs_chain *c;
	struct rs_rule *r;
	int ret;

	c = ruleset_find_chain(rs, nftnl_rule_get_str(nr, NFTNL_RULE_CHAIN));
	if (!c)
		return -EINTR; /* a chain appeared after we listed chains */
	r = rs_chain_add_rule(c);
	if (!r)
		return -ENOMEM;
	ret = expr_rule_parse(nr, r, what, sizeof(what));
	if (ret != -EOPNOTSUPP)
		return ret;
	free(r->set);
	free(r->log_prefix);
	free(r->comment);
	memset(r, 0, sizeof(*r));
	r->icmp_type = r->icmp_code = -1;
	r->log_group = r->queue_num = -1;
	snprintf(label, sizeof(label), "rule: %s", what);
	mark_unrecognised(&r->comment, label);
	return r->comment ? 0 : -ENOMEM;
}

static int set_from(void *obj, void *data)
{
	struct nftnl_set *ns = obj;
	struct ruleset *rs = data;
	uint32_t kflags = nftnl_set_get_u32(ns, NFTNL_SET_FLAGS);
	uint32_t ktype = nftnl_set_get_u32(ns, NFTNL_SET_KEY_TYPE);
	unsigned int flags = 0;
	struct rs_set *s;
	const void *ud;
	uint32_t len = 0;

	if (kflags & NFT_SET_ANONYMOUS)
		return 0; /* belongs to a rule, which shows up as unrecognised */
	if (kflags & NFT_SET_INTERVAL)
		flags |= RS_SET_INTERVAL;
	if (kflags & NFT_SET_TIMEOUT)
		flags |= RS_SET_TIMEOUT;
	s = ruleset_add_set(rs, nftnl_set_get_str(ns, NFTNL_SET_NAME),
			    ktype == NFT_TYPE_IP6ADDR ? AF_INET6 : AF_INET, flags);
	if (!s)
		return -ENOMEM;
	if (nftnl_set_is_set(ns, NFTNL_SET_DESC_SIZE))
		s->size = nftnl_set_get_u32(ns, NFTNL_SET_DESC_SIZE);
	ud = nftnl_set_get_data(ns, NFTNL_SET_USERDATA, &len);
	if (expr_udata_get_comment(ud, len, NFTNL_UDATA_SET_COMMENT, &s->comment) < 0)
		return -ENOMEM;
	if ((ktype != NFT_TYPE_IPADDR && ktype != NFT_TYPE_IP6ADDR) ||
	    (kflags & ~(NFT_SET_INTERVAL | NFT_SET_TIMEOUT)))
		mark_unrecognised(&s->comment, "set");
	return 0;
}

/* One element as the kernel holds it; interval sets hold starts and ends. */
struct raw_elem {
	struct rs_elem e;
	bool end;
};

struct elems {
	struct raw_elem *v;
	size_t n, cap;
	uint8_t family;
	int err;
};

static int elem_from(struct nftnl_set_elem *se, void *data)
{
	struct elems *x = data;
	struct raw_elem *p, *re;
	const void *key, *ud;
	uint32_t klen = 0, udlen = 0;

	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 256;
		p = realloc(x->v, x->cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		x->v = p;
	}
	re = &x->v[x->n];
	memset(re, 0, sizeof(*re));
	key = nftnl_set_elem_get(se, NFTNL_SET_ELEM_KEY, &klen);
	if (!key || klen != (x->family == AF_INET ? 4U : 16U))
		return -EPROTO;
	re->e.addr.family = x->family;
	re->e.addr.prefix = (uint8_t)(klen * 8);
	memcpy(re->e.addr.addr, key, klen);
	re->end = nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_FLAGS) &&
		  (nftnl_set_elem_get_u32(se, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END);
	if (nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_TIMEOUT))
		re->e.timeout_ms = nftnl_set_elem_get_u64(se, NFTNL_SET_ELEM_TIMEOUT);
	if (nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_EXPIRATION))
		re->e.expires_ms = nftnl_set_elem_get_u64(se, NFTNL_SET_ELEM_EXPIRATION);
	ud = nftnl_set_elem_get(se, NFTNL_SET_ELEM_USERDATA, &udlen);
	if (expr_udata_get_comment(ud, udlen, NFTNL_UDATA_SET_ELEM_COMMENT, &re->e.comment) < 0)
		return -ENOMEM;
	x->n++;
	return 0;
}

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	struct elems *x = data;
	struct nftnl_set *o;

	o = nftnl_set_alloc();
	if (!o)
		x->err = -ENOMEM;
	else if (nftnl_set_elems_nlmsg_parse(nlh, o) < 0)
		x->err = -EPROTO;
	else
		x->err = nftnl_set_elem_foreach(o, elem_from, x);
	nftnl_set_free(o);
	return x->err ? MNL_CB_ERROR : MNL_CB_OK;
}

/* Ends sort before starts at the same key: adjacent ranges then pair up correctly. */
static int raw_cmp(const void *a, const void *b)
{
	const struct raw_elem *x = a, *y = b;
	int c = memcmp(x->e.addr.addr, y->e.addr.addr, 16);

	if (c)
		return c;
	return (int)y->end - (int)x->end;
}

/* Adds 2^(w - p) to a, the size of a /p block (p > 0); false if it carries out of the top. */
static bool add_block(uint8_t a[static 16], unsigned int p)
{
	unsigned int i = (p - 1) / 8;
	unsigned int v = a[i] + (0x80U >> ((p - 1) % 8));

	a[i] = (uint8_t)v;
	while (v > 0xff) {
		if (i == 0)
			return false;
		v = a[--i] + 1U;
		a[i] = (uint8_t)v;
	}
	return true;
}

static bool host_bits_zero(const struct rs_addr *a, unsigned int p, unsigned int w)
{
	for (; p < w; p++)
		if (a->addr[p / 8] & (0x80 >> (p % 8)))
			return false;
	return true;
}

/* The prefix p such that start/p ends right before end (NULL: at the top of the space). */
static int range_prefix(const struct rs_addr *start, const uint8_t *end)
{
	unsigned int w = start->family == AF_INET ? 32 : 128, p;
	uint8_t sum[16];
	bool ok;

	for (p = 0; p <= w; p++) {
		if (!host_bits_zero(start, p, w))
			continue;
		memcpy(sum, start->addr, 16);
		ok = p ? add_block(sum, p) : false;
		if (!end && !ok)
			return (int)p;
		if (end && ok && !memcmp(sum, end, w / 8))
			return (int)p;
	}
	return -1;
}

/* Pairs interval starts with their ends; the leading "0.0.0.0 interval-end" pairs with nothing. */
static int add_interval(struct rs_set *s, struct raw_elem *v, size_t n, size_t i)
{
	const uint8_t *end = i + 1 < n && v[i + 1].end ? v[i + 1].e.addr.addr : NULL;
	int p = range_prefix(&v[i].e.addr, end);
	char buf[64];

	if (p < 0) {
		snprintf(buf, sizeof(buf), "[unrecognised range]");
		if (rs_strset(&v[i].e.comment, buf) < 0)
			return -ENOMEM;
	} else {
		v[i].e.addr.prefix = (uint8_t)p;
	}
	return rs_set_add_elem(s, &v[i].e);
}

static int raw_to_set(struct rs_set *s, struct elems *x)
{
	size_t i;
	int r = 0;

	if (s->flags & RS_SET_INTERVAL)
		qsort(x->v, x->n, sizeof(*x->v), raw_cmp);
	for (i = 0; r == 0 && i < x->n; i++) {
		if (x->v[i].end)
			continue;
		if (s->flags & RS_SET_INTERVAL)
			r = add_interval(s, x->v, x->n, i);
		else
			r = rs_set_add_elem(s, &x->v[i].e);
	}
	rs_set_sort(s);
	return r;
}

int nft_dump_set_elems(struct nft_ctx *ctx, const char *table, struct rs_set *set)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct elems x = { .family = set->family };
	struct nlmsghdr *nlh;
	size_t i;
	int r;

	nlh = request(ctx, buf, NFT_MSG_GETSETELEM, NLM_F_DUMP, table, set->name);
	r = talk_request(ctx, nlh, elems_cb, &x);
	if (r < 0 && x.err)
		r = x.err;
	if (r == 0)
		r = raw_to_set(set, &x);
	for (i = 0; i < x.n; i++)
		free(x.v[i].e.comment);
	free(x.v);
	return r;
}

/*
 * One consistent read: genid before and after must match, else -EINTR. *ret_genid is the
 * generation it belongs to, also for -ENOENT: a table absent after g0 was absent at g0 or
 * the ruleset has moved on since, which a batch sent with g0 is refused for.
 */
static int dump_once(struct nft_ctx *ctx, struct ruleset *rs, uint32_t *ret_genid)
{
	struct table_cb t = { 0 };
	uint32_t g0 = 0, g1 = 0;
	size_t i;
	int r;

	r = nft_genid(ctx, &g0);
	*ret_genid = g0;
	if (r == 0)
		r = get_table(ctx, rs->table, &t);
	rs->flags = t.st.flags;
	rs->owner = t.st.owner;
	rs->comment = t.comment;
	if (r == 0)
		r = talk_dump_objs(ctx, NL_OBJ_SET, NFPROTO_INET, rs->table, set_from, rs);
	for (i = 0; r == 0 && i < rs->n_sets; i++)
		r = nft_dump_set_elems(ctx, rs->table, &rs->sets[i]);
	if (r == 0)
		r = talk_dump_objs(ctx, NL_OBJ_CHAIN, NFPROTO_INET, rs->table, chain_from, rs);
	if (r == 0)
		r = talk_dump_objs(ctx, NL_OBJ_RULE, NFPROTO_INET, rs->table, rule_from, rs);
	if (r == 0)
		r = nft_genid(ctx, &g1);
	if (r == 0 && g0 != g1)
		r = -EINTR;
	return r;
}

int nft_read_table(struct nft_ctx *ctx, const char *table, struct ruleset **ret_rs,
		   uint32_t *ret_genid)
{
	struct ruleset *rs;
	int r = -EINTR, i;

	*ret_rs = NULL;
	for (i = 0; r == -EINTR && i < DUMP_RETRIES; i++) {
		rs = ruleset_new(table);
		if (!rs)
			return -ENOMEM;
		r = dump_once(ctx, rs, ret_genid);
		if (r == 0) {
			*ret_rs = rs;
			return 0;
		}
		ruleset_free(rs);
	}
	return r == -ENOENT ? 0 : r;
}

int nft_dump_table(struct nft_ctx *ctx, const char *table, struct ruleset **ret_rs)
{
	uint32_t genid;
	int r;

	r = nft_read_table(ctx, table, ret_rs, &genid);
	return r == 0 && !*ret_rs ? -ENOENT : r;
}
