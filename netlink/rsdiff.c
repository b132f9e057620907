/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Object-wise differences of two canonical rulesets, and the alignment they share. Pure. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rscmp.h"
#include "rsdiff.h"

/* The LCS table of the middle part, walked forwards into ops. -ENOMEM if too big. */
static int align_middle(size_t off_a, size_t off_b, size_t n, size_t m, rsdiff_eq_fn eq,
			const void *ctx, char *ops, size_t *k)
{
	size_t i, j, w = m + 1;
	uint32_t *L;

	if (n && m > RSDIFF_ALIGN_MAX_CELLS / n)
		return -E2BIG;
	L = calloc((n + 1) * w, sizeof(*L));
	if (!L)
		return -ENOMEM;
	for (i = n; i-- > 0;)
		for (j = m; j-- > 0;)
			L[i * w + j] = eq(ctx, off_a + i, off_b + j) ? L[(i + 1) * w + j + 1] + 1 :
				       L[(i + 1) * w + j] > L[i * w + j + 1] ? L[(i + 1) * w + j] :
									       L[i * w + j + 1];
	for (i = 0, j = 0; i < n || j < m;) {
		if (i < n && j < m && eq(ctx, off_a + i, off_b + j)) {
			ops[(*k)++] = '=';
			i++;
			j++;
		} else if (i < n && (j == m || L[(i + 1) * w + j] >= L[i * w + j + 1])) {
			/* removals before additions, as diff -u shows them */
			ops[(*k)++] = '-';
			i++;
		} else {
			ops[(*k)++] = '+';
			j++;
		}
	}
	free(L);
	return 0;
}

int rsdiff_align(size_t n, size_t m, rsdiff_eq_fn eq, const void *ctx, char **ret, size_t *ret_len)
{
	size_t pre = 0, suf = 0, k = 0, i;
	char *ops;
	int r;

	ops = malloc(n + m + 1);
	if (!ops)
		return -ENOMEM;
	while (pre < n && pre < m && eq(ctx, pre, pre))
		pre++;
	while (suf < n - pre && suf < m - pre && eq(ctx, n - 1 - suf, m - 1 - suf))
		suf++;
	memset(ops, '=', pre);
	k = pre;
	r = align_middle(pre, pre, n - pre - suf, m - pre - suf, eq, ctx, ops, &k);
	if (r == -E2BIG) {
		/* Too big to align: the whole middle is removed, then added. */
		for (i = pre; i < n - suf; i++)
			ops[k++] = '-';
		for (i = pre; i < m - suf; i++)
			ops[k++] = '+';
		r = 0;
	}
	if (r < 0) {
		free(ops);
		return r;
	}
	memset(ops + k, '=', suf);
	*ret = ops;
	*ret_len = k + suf;
	return 0;
}

void rsdiff_clear(struct rsdiff *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i].elems);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

static struct rsdiff_item *item_add(struct rsdiff *d, enum rsdiff_kind kind)
{
	struct rsdiff_item *v;

	if (d->n == d->cap) {
		v = realloc(d->v, (d->cap ? d->cap * 2 : 16) * sizeof(*v));
		if (!v)
			return NULL;
		d->v = v;
		d->cap = d->cap ? d->cap * 2 : 16;
	}
	v = &d->v[d->n++];
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	return v;
}

static bool same_str(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

static bool same_elem(const struct rs_elem *a, const struct rs_elem *b)
{
	return !rs_addr_cmp(&a->addr, &b->addr) && same_str(a->comment, b->comment);
}

static struct rsdiff_item *set_item(struct rsdiff *d, enum rsdiff_kind k, const struct rs_set *want,
				    const struct rs_set *have)
{
	struct rsdiff_item *it = item_add(d, k);

	if (it) {
		it->want_set = want;
		it->have_set = have;
	}
	return it;
}

/* Elements of a (sorted) that b (sorted) lacks: one item of kind k, or none. */
static int elems_only(struct rsdiff *d, enum rsdiff_kind k, const struct rs_set *a,
		      const struct rs_set *b, const struct rs_set *want, const struct rs_set *have)
{
	const struct rs_elem **v = NULL;
	struct rsdiff_item *it;
	size_t i, j = 0, n = 0;

	for (i = 0; i < a->n_elems; i++) {
		while (j < b->n_elems && rs_addr_cmp(&b->elems[j].addr, &a->elems[i].addr) < 0)
			j++;
		if (j < b->n_elems && same_elem(&a->elems[i], &b->elems[j]))
			continue;
		if (!v && !(v = calloc(a->n_elems, sizeof(*v))))
			return -ENOMEM;
		v[n++] = &a->elems[i];
	}
	if (!n)
		return 0;
	it = set_item(d, k, want, have);
	if (!it) {
		free(v);
		return -ENOMEM;
	}
	it->elems = v;
	it->n_elems = n;
	return 0;
}

static int diff_set(struct rsdiff *d, const struct rs_set *w, const struct rs_set *h)
{
	int r;

	if ((w->family != h->family || !rscmp_set_shape_equal(w, h)) &&
	    !set_item(d, RSD_SET_CHANGED, w, h))
		return -ENOMEM;
	r = elems_only(d, RSD_ELEMS_MISSING, w, h, w, h);
	return r ? r : elems_only(d, RSD_ELEMS_EXTRA, h, w, w, h);
}

static int diff_sets(struct rsdiff *d, const struct ruleset *want, const struct ruleset *have)
{
	const struct rs_set *s, *o;
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < want->n_sets; i++) {
		s = &want->sets[i];
		o = ruleset_find_set(have, s->name);
		if (o)
			r = diff_set(d, s, o);
		else if (!set_item(d, RSD_SET_MISSING, s, NULL))
			r = -ENOMEM;
	}
	for (i = 0; r == 0 && i < have->n_sets; i++) {
		if (!ruleset_find_set(want, have->sets[i].name) &&
		    !set_item(d, RSD_SET_EXTRA, NULL, &have->sets[i]))
			r = -ENOMEM;
	}
	return r;
}

struct rule_pair {
	const struct rs_chain *a, *b;
};

static bool rule_eq(const void *ctx, size_t i, size_t j)
{
	const struct rule_pair *p = ctx;

	return rscmp_rule_equal(&p->a->rules[i], &p->b->rules[j]);
}

static int rule_item(struct rsdiff *d, enum rsdiff_kind k, const struct rs_chain *w,
		     const struct rs_chain *h, const struct rs_rule *wr, const struct rs_rule *hr)
{
	struct rsdiff_item *it = item_add(d, k);

	if (!it)
		return -ENOMEM;
	it->want_chain = w;
	it->have_chain = h;
	it->want_rule = wr;
	it->have_rule = hr;
	return 0;
}

/* An extra rule of h not yet paired whose comment is c; its index or SIZE_MAX. */
static size_t find_partner(const struct rs_chain *h, const char *ops, size_t n_ops,
			   const bool *paired, const char *c)
{
	size_t k, j = 0;

	for (k = 0; k < n_ops; k++) {
		if (ops[k] == '-')
			continue;
		if (ops[k] == '+' && !paired[j] && c && same_str(h->rules[j].comment, c))
			return j;
		j++;
	}
	return SIZE_MAX;
}

/* Missing rules first paired with an extra one of the same comment (changed), then the rest. */
static int diff_rules(struct rsdiff *d, const struct rs_chain *w, const struct rs_chain *h)
{
	struct rule_pair p = { w, h };
	size_t n_ops, k, i = 0, j = 0, partner;
	bool *paired;
	char *ops;
	int r;

	r = rsdiff_align(w->n_rules, h->n_rules, rule_eq, &p, &ops, &n_ops);
	if (r < 0)
		return r;
	paired = calloc(h->n_rules + 1, sizeof(*paired));
	if (!paired) {
		free(ops);
		return -ENOMEM;
	}
	for (k = 0; r == 0 && k < n_ops; k++) {
		if (ops[k] == '=') {
			i++;
			j++;
		} else if (ops[k] == '+') {
			j++;
		} else {
			partner = find_partner(h, ops, n_ops, paired, w->rules[i].comment);
			if (partner != SIZE_MAX)
				paired[partner] = true;
			r = rule_item(d, partner != SIZE_MAX ? RSD_RULE_CHANGED : RSD_RULE_MISSING,
				      w, h, &w->rules[i],
				      partner != SIZE_MAX ? &h->rules[partner] : NULL);
			i++;
		}
	}
	for (k = 0, j = 0; r == 0 && k < n_ops; k++) {
		if (ops[k] == '-')
			continue;
		if (ops[k] == '+' && !paired[j])
			r = rule_item(d, RSD_RULE_EXTRA, w, h, NULL, &h->rules[j]);
		j++;
	}
	free(paired);
	free(ops);
	return r;
}

static int diff_chain(struct rsdiff *d, const struct rs_chain *w, const struct rs_chain *h)
{
	int r = 0;

	if (!rscmp_chain_shape_equal(w, h))
		r = rule_item(d, RSD_CHAIN_CHANGED, w, h, NULL, NULL);
	if (r == 0 && w->policy != h->policy)
		r = rule_item(d, RSD_CHAIN_POLICY, w, h, NULL, NULL);
	return r ? r : diff_rules(d, w, h);
}

static int diff_chains(struct rsdiff *d, const struct ruleset *want, const struct ruleset *have)
{
	const struct rs_chain *c, *o;
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < want->n_chains; i++) {
		c = &want->chains[i];
		o = ruleset_find_chain(have, c->name);
		r = o ? diff_chain(d, c, o) : rule_item(d, RSD_CHAIN_MISSING, c, NULL, NULL, NULL);
	}
	for (i = 0; r == 0 && i < have->n_chains; i++) {
		if (!ruleset_find_chain(want, have->chains[i].name))
			r = rule_item(d, RSD_CHAIN_EXTRA, NULL, &have->chains[i], NULL, NULL);
	}
	return r;
}

int rsdiff_compute(const struct ruleset *want, const struct ruleset *have, struct rsdiff *d)
{
	int r = 0;

	memset(d, 0, sizeof(*d));
	if (!same_str(want->comment, have->comment) && !item_add(d, RSD_TABLE_COMMENT))
		r = -ENOMEM;
	if (r == 0)
		r = diff_sets(d, want, have);
	if (r == 0)
		r = diff_chains(d, want, have);
	if (r < 0)
		rsdiff_clear(d);
	return r;
}
