/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Canonical form and comparison of rulesets, so that a desired IR and one read back from the
 * kernel compare equal exactly when "nft list" would print the same table. Pure.
 */
#ifndef FLOWGUARD_RSCMP_H
#define FLOWGUARD_RSCMP_H

#include <stdbool.h>

#include "ruleset.h"

enum {
	RSCMP_DROP_DYNAMIC_ELEMS = 1U << 0, /* empty the elements of sets marked dynamic */
	RSCMP_DROP_EXPIRY = 1U << 1,	    /* forget element expiry (it counts down) */
};

/*
 * Returns a canonical deep copy: comments as the kernel stores them, no implied
 * "meta nfproto", sorted elements, and whatever flags drop. NULL on OOM.
 */
struct ruleset *rscmp_canonical(const struct ruleset *rs, unsigned int flags);

/* These compare canonical objects (see rscmp_canonical()). */
bool rscmp_set_shape_equal(const struct rs_set *a, const struct rs_set *b);
bool rscmp_chain_shape_equal(const struct rs_chain *a, const struct rs_chain *b);
bool rscmp_rule_equal(const struct rs_rule *a, const struct rs_rule *b);
bool rscmp_rules_equal(const struct rs_chain *a, const struct rs_chain *b);

/* Marks in "want" which sets are dynamic in "ref" (by name); the kernel does not know. */
void rscmp_copy_dynamic(struct ruleset *want, const struct ruleset *ref);

#endif
