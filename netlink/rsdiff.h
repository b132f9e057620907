/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What differs between two canonical rulesets (rscmp_canonical()), object by object, so
 * that drift can be said in words: a set or chain missing or extra, a set's or chain's
 * shape or policy changed, elements missing or extra per set, rules missing, extra or
 * changed per chain. Rules are aligned by longest common subsequence; a missing and an
 * extra rule with the same comment are one changed rule. Pure: no kernel, no output.
 */
#ifndef FLOWGUARD_RSDIFF_H
#define FLOWGUARD_RSDIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "ruleset.h"

enum rsdiff_kind {
	RSD_TABLE_COMMENT, /* the table's comment differs */
	RSD_SET_MISSING,   /* in want, not in have */
	RSD_SET_EXTRA,	   /* in have, not in want */
	RSD_SET_CHANGED,   /* type, flags or comment differ */
	RSD_ELEMS_MISSING, /* elements of want's set that have's lacks */
	RSD_ELEMS_EXTRA,   /* elements of have's set that want's lacks */
	RSD_CHAIN_MISSING,
	RSD_CHAIN_EXTRA,
	RSD_CHAIN_CHANGED, /* hook, priority or comment differ */
	RSD_CHAIN_POLICY,  /* the policy differs */
	RSD_RULE_MISSING,
	RSD_RULE_EXTRA,
	RSD_RULE_CHANGED, /* want_rule and have_rule share a comment and nothing else */
};

/* One difference; every pointer borrows from want or have (NULL where it has no side). */
struct rsdiff_item {
	enum rsdiff_kind kind;
	const struct rs_set *want_set, *have_set;
	const struct rs_chain *want_chain, *have_chain;
	const struct rs_rule *want_rule, *have_rule;
	const struct rs_elem **elems; /* RSD_ELEMS_*: the elements (owned by the item array) */
	size_t n_elems;
};

struct rsdiff {
	struct rsdiff_item *v;
	size_t n, cap;
};

/*
 * Fills d with the differences from want to have (both canonical, elements sorted), in
 * table order: table comment, sets (want's order, then extra ones), chains likewise with
 * their rules. 0 or -ENOMEM (d cleared).
 */
int rsdiff_compute(const struct ruleset *want, const struct ruleset *have, struct rsdiff *d);
void rsdiff_clear(struct rsdiff *d);

/*
 * The edit script aligning a[0..n) with b[0..m) by longest common subsequence: *ret holds
 * *ret_len ops, '=' (a[i] equals b[j]), '-' (a[i] only) or '+' (b[j] only), in order.
 * Above RSDIFF_ALIGN_MAX_CELLS (n x m after the common head and tail are trimmed) the
 * middle is not aligned: all of a's '-', then all of b's '+'. 0 or -ENOMEM.
 */
#define RSDIFF_ALIGN_MAX_CELLS (4U * 1000 * 1000)
typedef bool (*rsdiff_eq_fn)(const void *ctx, size_t i, size_t j);
int rsdiff_align(size_t n, size_t m, rsdiff_eq_fn eq, const void *ctx, char **ret, size_t *ret_len);

#endif
