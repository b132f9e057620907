/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pure set diff: current vs desired element arrays (both sorted by rs_set_sort()) to the
 * lists a batch needs. The lists borrow pointers into the input arrays; setdiff_clear()
 * frees only the lists.
 */
#ifndef FLOWGUARD_SETDIFF_H
#define FLOWGUARD_SETDIFF_H

#include <stddef.h>

#include "ruleset.h"

enum {
	/* Re-arm every desired element that carries a timeout (a resolver pass re-learned it). */
	SETDIFF_REFRESH_TIMEOUTS = 1U << 0,
};

struct setdiff {
	const struct rs_elem **add;	/* desired, not in the kernel */
	const struct rs_elem **del;	/* in the kernel, not desired (current's entries) */
	const struct rs_elem **refresh; /* in both; only the timeout differs or is re-armed */
	const struct rs_elem **replace; /* in both; the comment differs: delete + add in one batch */
	size_t n_add, n_del, n_refresh, n_replace;
};

/*
 * Computes *ret from sorted, duplicate-free arrays. Refresh and replace entries point into
 * want (they carry the new timeout/comment). 0 or -ENOMEM; *ret is untouched on failure.
 */
int setdiff_compute(const struct rs_elem *cur, size_t n_cur, const struct rs_elem *want,
		    size_t n_want, unsigned int flags, struct setdiff *ret);
void setdiff_clear(struct setdiff *d);
static inline size_t setdiff_count(const struct setdiff *d)
{
	return d->n_add + d->n_del + d->n_refresh + d->n_replace;
}

#endif
