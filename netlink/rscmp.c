/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Canonical copies and field-wise comparison of IR objects. Pure. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "rscmp.h"

static bool same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

/* Replaces *s by what the kernel keeps of it (see expr_comment_clean()). */
static int clean_str(char **s)
{
	char buf[RS_COMMENT_MAX];

	if (!*s)
		return 0;
	expr_comment_clean(*s, buf);
	return rs_strset(s, buf);
}

static int copy_set(struct ruleset *dst, const struct rs_set *s, unsigned int flags)
{
	struct rs_set *n;
	struct rs_elem e;
	size_t i;
	int r = 0;

	n = ruleset_add_set(dst, s->name, s->family, s->flags);
	if (!n || rs_strset(&n->comment, s->comment) < 0 || rs_strset(&n->origin, s->origin) < 0)
		return -ENOMEM;
	n->dynamic = s->dynamic;
	n->size = s->size;
	if (clean_str(&n->comment) < 0)
		return -ENOMEM;
	if (s->dynamic && (flags & RSCMP_DROP_DYNAMIC_ELEMS))
		return 0;
	if (rs_set_reserve(n, s->n_elems) < 0)
		return -ENOMEM;
	for (i = 0; r == 0 && i < s->n_elems; i++) {
		e = s->elems[i];
		if (flags & RSCMP_DROP_EXPIRY)
			e.expires_ms = 0;
		if (!(s->flags & RS_SET_TIMEOUT))
			e.timeout_ms = 0;
		r = rs_set_add_elem(n, &e);
		if (r == 0)
			r = clean_str(&n->elems[n->n_elems - 1].comment);
	}
	rs_set_sort(n);
	return r;
}

static int copy_rule(const struct ruleset *src, struct rs_chain *c, const struct rs_rule *r)
{
	struct rs_rule *n;

	n = rs_chain_add_rule(c);
	if (!n)
		return -ENOMEM;
	*n = *r;
	n->set = n->log_prefix = n->comment = n->origin = NULL;
	if (rs_strset(&n->set, r->set) < 0 || rs_strset(&n->log_prefix, r->log_prefix) < 0 ||
	    rs_strset(&n->comment, r->comment) < 0 || rs_strset(&n->origin, r->origin) < 0)
		return -ENOMEM;
	if (n->nfproto && n->nfproto == expr_implied_nfproto(src, n))
		n->nfproto = 0;
	if (clean_str(&n->comment) < 0 || clean_str(&n->log_prefix) < 0)
		return -ENOMEM;
	return 0;
}

static int copy_chain(struct ruleset *dst, const struct ruleset *src, const struct rs_chain *c)
{
	struct rs_chain *n;
	size_t i;
	int r = 0;

	n = ruleset_add_chain(dst, c->name, c->hook, c->priority, c->policy);
	if (!n || rs_strset(&n->comment, c->comment) < 0 || clean_str(&n->comment) < 0)
		return -ENOMEM;
	for (i = 0; r == 0 && i < c->n_rules; i++)
		r = copy_rule(src, n, &c->rules[i]);
	return r;
}

struct ruleset *rscmp_canonical(const struct ruleset *rs, unsigned int flags)
{
	struct ruleset *n;
	size_t i;
	int r = 0;

	n = ruleset_new(rs->table);
	if (!n)
		return NULL;
	n->flags = rs->flags;
	n->owner = rs->owner;
	if (rs_strset(&n->comment, rs->comment) < 0 || clean_str(&n->comment) < 0)
		r = -ENOMEM;
	for (i = 0; r == 0 && i < rs->n_sets; i++)
		r = copy_set(n, &rs->sets[i], flags);
	for (i = 0; r == 0 && i < rs->n_chains; i++)
		r = copy_chain(n, rs, &rs->chains[i]);
	if (r < 0) {
		ruleset_free(n);
		return NULL;
	}
	return n;
}

bool rscmp_set_shape_equal(const struct rs_set *a, const struct rs_set *b)
{
	return a->family == b->family && a->flags == b->flags && a->size == b->size &&
	       same_str(a->comment, b->comment);
}

bool rscmp_chain_shape_equal(const struct rs_chain *a, const struct rs_chain *b)
{
	return a->hook == b->hook && a->priority == b->priority && same_str(a->comment, b->comment);
}

bool rscmp_rule_equal(const struct rs_rule *a, const struct rs_rule *b)
{
	return !strcmp(a->iifname, b->iifname) && !strcmp(a->oifname, b->oifname) &&
	       a->ct_state == b->ct_state && a->nfproto == b->nfproto && same_str(a->set, b->set) &&
	       (!a->set || a->set_dir == b->set_dir) && a->l4proto == b->l4proto &&
	       a->sport == b->sport && a->dport == b->dport && a->icmp_type == b->icmp_type &&
	       a->icmp_code == b->icmp_code && a->counter == b->counter &&
	       a->limit_rate == b->limit_rate &&
	       (!a->limit_rate || a->limit_burst == b->limit_burst) &&
	       same_str(a->log_prefix, b->log_prefix) &&
	       (!a->log_prefix ||
		(a->log_group == b->log_group && a->log_snaplen == b->log_snaplen)) &&
	       a->queue_num == b->queue_num &&
	       (a->queue_num < 0 || a->queue_compat == b->queue_compat) &&
	       a->verdict == b->verdict && same_str(a->comment, b->comment);
}

bool rscmp_rules_equal(const struct rs_chain *a, const struct rs_chain *b)
{
	size_t i;

	if (a->n_rules != b->n_rules)
		return false;
	for (i = 0; i < a->n_rules; i++)
		if (!rscmp_rule_equal(&a->rules[i], &b->rules[i]))
			return false;
	return true;
}

void rscmp_copy_dynamic(struct ruleset *want, const struct ruleset *ref)
{
	const struct rs_set *s;
	size_t i;

	for (i = 0; i < want->n_sets; i++) {
		s = ruleset_find_set(ref, want->sets[i].name);
		want->sets[i].dynamic = s && s->dynamic;
	}
}
