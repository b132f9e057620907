/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Renders the IR as an nft script. The output is what "flowguard plan" prints and what
 * "nft -f" must accept; its layout follows "nft list table" so an admin can diff them.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter.h>

#include "ruleset.h"

struct name_map {
	int value;
	const char *name;
};

/* nft's names for the ICMP types and codes flowguard emits (nft's proto.c tables). */
static const struct name_map icmp_types[] = {
	{ 0, "echo-reply" },	 { 3, "destination-unreachable" }, { 8, "echo-request" },
	{ 11, "time-exceeded" }, { 12, "parameter-problem" },	   { -1, NULL },
};
static const struct name_map icmp_codes[] = {
	{ 3, "port-unreachable" },
	{ 4, "frag-needed" },
	{ -1, NULL },
};
static const struct name_map icmpv6_types[] = {
	{ 1, "destination-unreachable" }, { 2, "packet-too-big" },
	{ 3, "time-exceeded" },		  { 4, "parameter-problem" },
	{ 128, "echo-request" },	  { 129, "echo-reply" },
	{ 133, "nd-router-solicit" },	  { 134, "nd-router-advert" },
	{ 135, "nd-neighbor-solicit" },	  { 136, "nd-neighbor-advert" },
	{ 143, "mld2-listener-report" },  { -1, NULL },
};

static const char *map_name(const struct name_map *m, int v)
{
	for (; m->name; m++)
		if (m->value == v)
			return m->name;
	return NULL;
}

/* Prints a quoted nft string; '"' cannot be escaped in nft, so it becomes '\''. */
static void put_quoted(FILE *out, const char *s)
{
	size_t n = strlen(s);

	if (n >= RS_COMMENT_MAX)
		n = RS_COMMENT_MAX - 1;
	fputc('"', out);
	for (; n; n--, s++)
		fputc(*s == '"' ? '\'' : *s, out);
	fputc('"', out);
}

/* Formats milliseconds the way nft prints a time: 1h2m3s400ms. */
static void put_time(FILE *out, uint64_t ms)
{
	static const struct {
		uint64_t ms;
		const char *unit;
	} units[] = { { 86400000, "d" },
		      { 3600000, "h" },
		      { 60000, "m" },
		      { 1000, "s" },
		      { 1, "ms" } };
	size_t i;

	if (!ms) {
		fputs("0s", out);
		return;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms >= units[i].ms) {
			fprintf(out, "%llu%s", (unsigned long long)(ms / units[i].ms),
				units[i].unit);
			ms %= units[i].ms;
		}
	}
}

static const char *verdict_name(enum rs_verdict v)
{
	return v == RS_VERDICT_DROP ? "drop" : "accept";
}

static void put_elem(FILE *out, const struct rs_elem *e)
{
	char buf[64];

	fputs(rs_addr_format(&e->addr, buf, sizeof(buf)), out);
	if (e->timeout_ms) {
		fputs(" timeout ", out);
		put_time(out, e->timeout_ms);
	}
	if (e->expires_ms) {
		fputs(" expires ", out);
		put_time(out, e->expires_ms);
	}
	if (e->comment) {
		fputs(" comment ", out);
		put_quoted(out, e->comment);
	}
}

static void put_set(FILE *out, const struct rs_set *s, const struct rs_print_hooks *h)
{
	size_t i;

	fprintf(out, "\tset %s {\n", s->name);
	if (h && h->set_lines)
		h->set_lines(out, s, h->data);
	fprintf(out, "\t\ttype %s\n", s->family == AF_INET ? "ipv4_addr" : "ipv6_addr");
	if (s->flags)
		fprintf(out, "\t\tflags %s%s%s\n", s->flags & RS_SET_INTERVAL ? "interval" : "",
			(s->flags & RS_SET_INTERVAL) && (s->flags & RS_SET_TIMEOUT) ? "," : "",
			s->flags & RS_SET_TIMEOUT ? "timeout" : "");
	if (s->size)
		fprintf(out, "\t\tsize %u\n", s->size);
	if (s->comment) {
		fputs("\t\tcomment ", out);
		put_quoted(out, s->comment);
		fputc('\n', out);
	}
	for (i = 0; i < s->n_elems; i++) {
		fputs(i ? ",\n\t\t\t     " : "\t\telements = { ", out);
		put_elem(out, &s->elems[i]);
	}
	if (s->n_elems)
		fputs(" }\n", out);
	fputs("\t}\n", out);
}

/* ip daddr @swp_v4 / ip6 saddr @swp_v6 */
static int put_lookup(FILE *out, const struct ruleset *rs, const struct rs_rule *r)
{
	const struct rs_set *s = ruleset_find_set(rs, r->set);

	if (!s)
		return -ENOENT;
	fprintf(out, " %s %s @%s", s->family == AF_INET ? "ip" : "ip6",
		r->set_dir == RS_DIR_SRC ? "saddr" : "daddr", r->set);
	return 0;
}

/* tcp dport 443 / icmp type destination-unreachable icmp code frag-needed / meta l4proto udp */
static void put_l4(FILE *out, const struct rs_rule *r)
{
	const char *proto = r->l4proto == IPPROTO_TCP ? "tcp" : "udp";
	bool v6 = r->l4proto == IPPROTO_ICMPV6;
	const char *icmp = v6 ? "icmpv6" : "icmp";

	if (r->l4proto == IPPROTO_ICMP || v6) {
		if (r->icmp_type >= 0)
			fprintf(out, " %s type %s", icmp,
				map_name(v6 ? icmpv6_types : icmp_types, r->icmp_type));
		if (r->icmp_code >= 0)
			fprintf(out, " %s code %s", icmp, map_name(icmp_codes, r->icmp_code));
		if (r->icmp_type < 0 && r->icmp_code < 0)
			fprintf(out, " meta l4proto %s", icmp);
		return;
	}
	if (r->sport)
		fprintf(out, " %s sport %u", proto, r->sport);
	if (r->dport)
		fprintf(out, " %s dport %u", proto, r->dport);
	if (!r->sport && !r->dport)
		fprintf(out, " meta l4proto %s", proto);
}

static void put_ct_state(FILE *out, unsigned int st)
{
	static const char *const names[] = { "invalid", "established", "related", "new" };
	const char *sep = " ct state ";
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (st & (1U << i)) {
			fprintf(out, "%s%s", sep, names[i]);
			sep = ",";
		}
	}
}

/* Every match prints with a leading space; ruleset_format_rule() drops the first one. */
static int put_rule_body(FILE *out, const struct ruleset *rs, const struct rs_rule *r)
{
	if (r->iifname[0])
		fprintf(out, " iifname \"%s\"", r->iifname);
	if (r->oifname[0])
		fprintf(out, " oifname \"%s\"", r->oifname);
	if (r->ct_state)
		put_ct_state(out, r->ct_state);
	if (r->nfproto)
		fprintf(out, " meta nfproto %s", r->nfproto == NFPROTO_IPV4 ? "ipv4" : "ipv6");
	if (r->set && put_lookup(out, rs, r) < 0)
		return -ENOENT;
	if (r->l4proto)
		put_l4(out, r);
	if (r->limit_rate)
		fprintf(out, " limit rate %u/second burst %u packets", r->limit_rate,
			r->limit_burst);
	if (r->counter)
		fputs(" counter", out);
	if (r->log_prefix) {
		fputs(" log prefix ", out);
		put_quoted(out, r->log_prefix);
		if (r->log_group >= 0)
			fprintf(out, " group %d", (int)r->log_group);
		if (r->log_group >= 0 && r->log_snaplen)
			fprintf(out, " snaplen %u", r->log_snaplen);
	}
	/* As nft lists each: nft_queue in the new syntax, the compat target as libxtables has it. */
	if (r->queue_num >= 0 && r->queue_compat)
		fprintf(out, " queue num %d bypass", (int)r->queue_num);
	else if (r->queue_num >= 0)
		fprintf(out, " queue flags bypass to %d", (int)r->queue_num);
	if (r->verdict != RS_VERDICT_NONE)
		fprintf(out, " %s", verdict_name(r->verdict));
	if (r->comment) {
		fputs(" comment ", out);
		put_quoted(out, r->comment);
	}
	return 0;
}

int ruleset_format_rule(const struct ruleset *rs, const struct rs_rule *rule, char **ret_text)
{
	size_t len = 0;
	char *buf = NULL;
	FILE *mem;
	int r;

	mem = open_memstream(&buf, &len);
	if (!mem)
		return -ENOMEM;
	r = put_rule_body(mem, rs, rule);
	if (fclose(mem) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(buf);
		return r;
	}
	/* Every match printed a leading space: drop the first. */
	if (len)
		memmove(buf, buf + 1, len);
	*ret_text = buf;
	return 0;
}

static int put_rule(FILE *out, const struct ruleset *rs, const struct rs_rule *r)
{
	char *buf = NULL;
	int ret;

	ret = ruleset_format_rule(rs, r, &buf);
	if (ret == 0)
		fprintf(out, "\t\t%s\n", buf);
	free(buf);
	return ret;
}

static int put_chain(FILE *out, const struct ruleset *rs, const struct rs_chain *c)
{
	size_t i;
	int r;

	fprintf(out, "\tchain %s {\n", c->name);
	if (c->comment) {
		fputs("\t\tcomment ", out);
		put_quoted(out, c->comment);
		fputc('\n', out);
	}
	fprintf(out, "\t\ttype filter hook %s priority ",
		c->hook == RS_HOOK_INPUT ? "input" : "output");
	if (c->priority)
		fprintf(out, "filter %+d", c->priority);
	else
		fputs("filter", out);
	fprintf(out, "; policy %s;\n", verdict_name(c->policy));
	for (i = 0; i < c->n_rules; i++) {
		r = put_rule(out, rs, &c->rules[i]);
		if (r < 0)
			return r;
	}
	fputs("\t}\n", out);
	return 0;
}

int ruleset_print_nft(const struct ruleset *rs, FILE *out)
{
	return ruleset_print_nft_hooks(rs, NULL, out);
}

int ruleset_print_nft_hooks(const struct ruleset *rs, const struct rs_print_hooks *h, FILE *out)
{
	size_t i;
	int r;

	fprintf(out, "table inet %s {\n", rs->table);
	if (rs->comment) {
		fputs("\tcomment ", out);
		put_quoted(out, rs->comment);
		fputc('\n', out);
	}
	for (i = 0; i < rs->n_sets; i++) {
		fputs(i ? "\n" : "", out);
		put_set(out, &rs->sets[i], h);
	}
	for (i = 0; i < rs->n_chains; i++) {
		fputs(i || rs->n_sets ? "\n" : "", out);
		r = put_chain(out, rs, &rs->chains[i]);
		if (r < 0)
			return r;
	}
	fputs("}\n", out);
	return ferror(out) ? -EIO : 0;
}
