/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reads the whole ruleset (all families, not only our table) and summarises each chain:
 * enough to see another firewall's drops, not a full decoder. A rule's verdict is what
 * counts; its matches are read only to recognise "tcp dport N accept", the rule the vendor
 * agent adds through iptables (iptables-nft emits meta l4proto + payload + cmp, older
 * versions the xt "tcp" match).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_tcpudp.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include "tables.h"
#include "talk.h"

/* Attempts at a consistent read while another process keeps changing the ruleset. */
#define TABLES_DUMP_RETRIES 5

enum load { LOAD_NONE, LOAD_L4PROTO, LOAD_DPORT, LOAD_OTHER };
enum verdict { V_NONE, V_ACCEPT, V_DROP, V_JUMP, V_VMAP };

/* One rule while its expressions are walked. */
struct scan {
	enum load load;
	bool tcp;   /* matches l4proto tcp */
	int dport;  /* the tcp dport it matches, -1: none */
	bool other; /* any other match or statement: not a plain port accept */
	enum verdict verdict;
	const char *target; /* V_JUMP: the chain (borrowed from the rule) */
};

const char *tables_family_name(uint8_t family)
{
	switch (family) {
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_IPV6:
		return "ip6";
	case NFPROTO_ARP:
		return "arp";
	case NFPROTO_BRIDGE:
		return "bridge";
	case NFPROTO_NETDEV:
		return "netdev";
	}
	return "unknown";
}

const char *tables_hook_name(uint8_t family, uint32_t hooknum)
{
	static const char *const inet[] = { "prerouting", "input",	 "forward",
					    "output",	  "postrouting", "ingress" };
	static const char *const arp[] = { "input", "output", "forward" };
	static const char *const netdev[] = { "ingress", "egress" };

	if (family == NFPROTO_ARP)
		return hooknum < 3 ? arp[hooknum] : "unknown";
	if (family == NFPROTO_NETDEV)
		return hooknum < 2 ? netdev[hooknum] : "unknown";
	return hooknum < 6 ? inet[hooknum] : "unknown";
}

/* Grows an array of elem-sized items so one more fits. 0 or -ENOMEM. */
static int grow(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t c = *cap ? *cap * 2 : 16;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*v, c * elem);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int table_from(void *obj, void *data)
{
	const struct nftnl_table *nt = obj;
	struct tables *t = data;
	struct tables_table *x;

	if (grow((void **)&t->tables, &t->cap_tables, t->n_tables, sizeof(*x)) < 0)
		return -ENOMEM;
	x = &t->tables[t->n_tables];
	memset(x, 0, sizeof(*x));
	x->family = (uint8_t)nftnl_table_get_u32(nt, NFTNL_TABLE_FAMILY);
	x->flags = nftnl_table_get_u32(nt, NFTNL_TABLE_FLAGS);
	if (nftnl_table_is_set(nt, NFTNL_TABLE_OWNER))
		x->owner = nftnl_table_get_u32(nt, NFTNL_TABLE_OWNER);
	x->name = dup_or_null(nftnl_table_get_str(nt, NFTNL_TABLE_NAME));
	if (!x->name)
		return -ENOMEM;
	t->n_tables++;
	return 0;
}

static int chain_from(void *obj, void *data)
{
	const struct nftnl_chain *nc = obj;
	struct tables *t = data;
	struct tables_chain *c;

	if (grow((void **)&t->chains, &t->cap_chains, t->n_chains, sizeof(*c)) < 0)
		return -ENOMEM;
	c = &t->chains[t->n_chains];
	memset(c, 0, sizeof(*c));
	t->n_chains++; /* counted before the strings: tables_free() then frees a partial one */
	c->family = (uint8_t)nftnl_chain_get_u32(nc, NFTNL_CHAIN_FAMILY);
	c->base = nftnl_chain_is_set(nc, NFTNL_CHAIN_HOOKNUM);
	if (c->base) {
		c->hooknum = nftnl_chain_get_u32(nc, NFTNL_CHAIN_HOOKNUM);
		c->priority = nftnl_chain_get_s32(nc, NFTNL_CHAIN_PRIO);
		c->policy_drop = nftnl_chain_is_set(nc, NFTNL_CHAIN_POLICY) &&
				 nftnl_chain_get_u32(nc, NFTNL_CHAIN_POLICY) == NF_DROP;
		c->type = dup_or_null(nftnl_chain_get_str(nc, NFTNL_CHAIN_TYPE));
	}
	c->table = dup_or_null(nftnl_chain_get_str(nc, NFTNL_CHAIN_TABLE));
	c->name = dup_or_null(nftnl_chain_get_str(nc, NFTNL_CHAIN_NAME));
	if (!c->table || !c->name || (c->base && !c->type))
		return -ENOMEM;
	return 0;
}

static int chain_key_cmp(uint8_t fa, const char *ta, const char *na, const struct tables_chain *b)
{
	int c;

	if (fa != b->family)
		return fa < b->family ? -1 : 1;
	c = strcmp(ta, b->table);
	return c ? c : strcmp(na, b->name);
}

static int chain_cmp(const void *a, const void *b)
{
	const struct tables_chain *x = a;

	return chain_key_cmp(x->family, x->table, x->name, b);
}

/* The index of a chain in the sorted array, or -1. */
static long find_chain(const struct tables *t, uint8_t family, const char *table, const char *name)
{
	size_t lo = 0, hi = t->n_chains, mid;
	int c;

	while (table && name && lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = chain_key_cmp(family, table, name, &t->chains[mid]);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* meta l4proto / payload @th,16,16 loads: the two a port accept is built from. */
static void scan_load(struct scan *s, const struct nftnl_expr *e, const char *name)
{
	s->load = LOAD_OTHER;
	if (!strcmp(name, "meta")) {
		if (!nftnl_expr_is_set(e, NFTNL_EXPR_META_DREG))
			s->other = true; /* meta set: a statement */
		else if (nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY) == NFT_META_L4PROTO)
			s->load = LOAD_L4PROTO;
		return;
	}
	if (!nftnl_expr_is_set(e, NFTNL_EXPR_PAYLOAD_DREG))
		s->other = true; /* payload set: mangling */
	else if (nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE) == NFT_PAYLOAD_TRANSPORT_HEADER &&
		 nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET) == 2 &&
		 nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN) == 2)
		s->load = LOAD_DPORT;
}

/* cmp eq after a load: "meta l4proto tcp", "tcp dport N"; anything else is another match. */
static void scan_cmp(struct scan *s, const struct nftnl_expr *e)
{
	const uint8_t *d;
	uint32_t len = 0;
	uint16_t port;

	d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
	if (d && nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP) == NFT_CMP_EQ) {
		if (s->load == LOAD_L4PROTO && len == 1 && d[0] == IPPROTO_TCP) {
			s->tcp = true;
			s->load = LOAD_NONE;
			return;
		}
		if (s->load == LOAD_DPORT && len == 2 && s->dport < 0) {
			memcpy(&port, d, 2);
			s->dport = ntohs(port);
			s->load = LOAD_NONE;
			return;
		}
	}
	s->other = true;
	s->load = LOAD_NONE;
}

/* accept / drop / jump CHAIN / goto CHAIN; return and continue end nothing here. */
static void scan_immediate(struct scan *s, const struct nftnl_expr *e)
{
	int32_t v;

	if (nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) != NFT_REG_VERDICT) {
		s->other = true;
		return;
	}
	v = (int32_t)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
	if (v == NF_ACCEPT) {
		s->verdict = V_ACCEPT;
	} else if (v == NF_DROP) {
		s->verdict = V_DROP;
	} else if (v == NFT_JUMP || v == NFT_GOTO) {
		s->verdict = V_JUMP;
		s->target = nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN);
	}
}

/* xt compat: "-m tcp --dport N" (iptables-nft before it went native), "-j REJECT". */
static void scan_compat(struct scan *s, const struct nftnl_expr *e, bool target)
{
	const struct xt_tcp *tcp;
	uint32_t len = 0;

	if (target) {
		if (!strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME), "REJECT"))
			s->verdict = V_DROP;
		else
			s->other = true;
		return;
	}
	tcp = nftnl_expr_get(e, NFTNL_EXPR_MT_INFO, &len);
	if (strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_MT_NAME), "tcp") || !tcp ||
	    len < sizeof(*tcp) || tcp->dpts[0] != tcp->dpts[1] || tcp->spts[0] != 0 ||
	    tcp->spts[1] != 0xffff || tcp->invflags || tcp->option || tcp->flg_mask) {
		s->other = true;
		return;
	}
	s->tcp = true;
	s->dport = tcp->dpts[0];
}

static int scan_expr(struct nftnl_expr *e, void *data)
{
	struct scan *s = data;
	const char *name;

	name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	if (!strcmp(name, "meta") || !strcmp(name, "payload"))
		scan_load(s, e, name);
	else if (!strcmp(name, "cmp"))
		scan_cmp(s, e);
	else if (!strcmp(name, "immediate"))
		scan_immediate(s, e);
	else if (!strcmp(name, "reject"))
		s->verdict = V_DROP;
	else if (!strcmp(name, "match") || !strcmp(name, "target"))
		scan_compat(s, e, name[0] == 't');
	else if (!strcmp(name, "lookup") && nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG) &&
		 nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_DREG) == NFT_REG_VERDICT)
		s->verdict = V_VMAP; /* tcp dport vmap { 22 : drop } */
	else if (strcmp(name, "counter"))
		s->other = true;
	return 0;
}

static int add_jump(struct tables *t, struct tables_chain *c, const struct scan *s)
{
	long to;

	if (!s->target)
		return 0;
	to = find_chain(t, c->family, c->table, s->target);
	if (to < 0)
		return -EINTR; /* a chain that appeared after we listed chains: read again */
	if (grow((void **)&c->jumps, &c->cap_jumps, c->n_jumps, sizeof(*c->jumps)) < 0)
		return -ENOMEM;
	c->jumps[c->n_jumps++] = (size_t)to;
	return 0;
}

/* Folds one rule into its chain's summary. */
static int rule_from(void *obj, void *data)
{
	struct nftnl_rule *nr = obj;
	struct tables *t = data;
	struct scan s = { .dport = -1 };
	struct tables_chain *c;
	long i;

	i = find_chain(t, (uint8_t)nftnl_rule_get_u32(nr, NFTNL_RULE_FAMILY),
		       nftnl_rule_get_str(nr, NFTNL_RULE_TABLE),
		       nftnl_rule_get_str(nr, NFTNL_RULE_CHAIN));
	if (i < 0)
		return -EINTR;
	c = &t->chains[i];
	c->n_rules++;
	nftnl_expr_foreach(nr, scan_expr, &s);
	if (s.verdict == V_DROP)
		c->n_drops++;
	else if (s.verdict == V_VMAP)
		c->n_vmaps++;
	else if (s.verdict == V_JUMP)
		return add_jump(t, c, &s);
	else if (s.verdict == V_ACCEPT && s.tcp && s.dport >= 0 && !s.other &&
		 c->n_tcp_accepts < TABLES_MAX_PORTS)
		c->tcp_accepts[c->n_tcp_accepts++] = (uint16_t)s.dport;
	return 0;
}

/* Walks the chains base chain `from` reaches through jumps and gotos (each once). */
static void reach(struct tables *t, size_t from, bool *seen, size_t *stack)
{
	struct tables_chain *b = &t->chains[from], *c;
	size_t n = 0, i, j;

	memset(seen, 0, t->n_chains * sizeof(*seen));
	seen[from] = true;
	stack[n++] = from;
	while (n > 0) {
		i = stack[--n];
		c = &t->chains[i];
		if (i != from) {
			b->reach_drops += c->n_drops;
			b->reach_vmaps += c->n_vmaps;
			if (c->n_drops && !b->drop_via)
				b->drop_via = c->name;
		}
		for (j = 0; j < c->n_jumps; j++) {
			if (!seen[c->jumps[j]]) {
				seen[c->jumps[j]] = true;
				stack[n++] = c->jumps[j];
			}
		}
	}
}

static int reach_all(struct tables *t)
{
	size_t *stack;
	bool *seen;
	size_t i;

	seen = malloc(t->n_chains * sizeof(*seen) + 1);
	stack = malloc(t->n_chains * sizeof(*stack) + 1);
	if (!seen || !stack) {
		free(seen);
		free(stack);
		return -ENOMEM;
	}
	for (i = 0; i < t->n_chains; i++)
		if (t->chains[i].base)
			reach(t, i, seen, stack);
	free(seen);
	free(stack);
	return 0;
}

/* One read; genid before and after must match, else -EINTR. */
static int dump_once(struct nft_ctx *ctx, struct tables *t)
{
	uint32_t g0, g1;
	int r;

	r = nft_genid(ctx, &g0);
	if (r == 0)
		r = talk_dump_objs(ctx, NL_OBJ_TABLE, NFPROTO_UNSPEC, NULL, table_from, t);
	if (r == 0)
		r = talk_dump_objs(ctx, NL_OBJ_CHAIN, NFPROTO_UNSPEC, NULL, chain_from, t);
	if (r == 0 && t->n_chains)
		qsort(t->chains, t->n_chains, sizeof(*t->chains), chain_cmp);
	if (r == 0)
		r = talk_dump_objs(ctx, NL_OBJ_RULE, NFPROTO_UNSPEC, NULL, rule_from, t);
	if (r == 0)
		r = nft_genid(ctx, &g1);
	if (r == 0 && g0 != g1)
		r = -EINTR;
	if (r == 0)
		r = reach_all(t);
	return r;
}

int tables_dump(struct nft_ctx *ctx, struct tables **ret)
{
	struct tables *t;
	int r = -EINTR, i;

	for (i = 0; r == -EINTR && i < TABLES_DUMP_RETRIES; i++) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		r = dump_once(ctx, t);
		if (r == 0) {
			*ret = t;
			return 0;
		}
		tables_free(t);
	}
	return r;
}

void tables_free(struct tables *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n_tables; i++)
		free(t->tables[i].name);
	for (i = 0; i < t->n_chains; i++) {
		free(t->chains[i].table);
		free(t->chains[i].name);
		free(t->chains[i].type);
		free(t->chains[i].jumps);
	}
	free(t->tables);
	free(t->chains);
	free(t);
}
