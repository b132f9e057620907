/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sorted merge of two element arrays into add/del/refresh/replace lists. Pure. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "setdiff.h"

static bool same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static int push(const struct rs_elem ***list, size_t *n, const struct rs_elem *e)
{
	const struct rs_elem **p;

	/* Sizes are bounded by the inputs, so grow in steps of 64 to keep this simple. */
	if (*n % 64 == 0) {
		p = realloc(*list, (*n + 64) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		*list = p;
	}
	(*list)[(*n)++] = e;
	return 0;
}

/* An element present on both sides: decide whether it needs touching. */
static int both(struct setdiff *d, const struct rs_elem *c, const struct rs_elem *w,
		unsigned int flags)
{
	if (!same_str(c->comment, w->comment))
		return push(&d->replace, &d->n_replace, w);
	if (c->timeout_ms != w->timeout_ms)
		return push(&d->refresh, &d->n_refresh, w);
	if (w->timeout_ms && (flags & SETDIFF_REFRESH_TIMEOUTS))
		return push(&d->refresh, &d->n_refresh, w);
	return 0;
}

void setdiff_clear(struct setdiff *d)
{
	free(d->add);
	free(d->del);
	free(d->refresh);
	free(d->replace);
	memset(d, 0, sizeof(*d));
}

int setdiff_compute(const struct rs_elem *cur, size_t n_cur, const struct rs_elem *want,
		    size_t n_want, unsigned int flags, struct setdiff *ret)
{
	struct setdiff d = { 0 };
	size_t i = 0, j = 0;
	int c, r = 0;

	while (r == 0 && (i < n_cur || j < n_want)) {
		if (i == n_cur)
			c = 1;
		else if (j == n_want)
			c = -1;
		else
			c = rs_addr_cmp(&cur[i].addr, &want[j].addr);
		if (c < 0)
			r = push(&d.del, &d.n_del, &cur[i++]);
		else if (c > 0)
			r = push(&d.add, &d.n_add, &want[j++]);
		else
			r = both(&d, &cur[i++], &want[j++], flags);
	}
	if (r < 0) {
		setdiff_clear(&d);
		return r;
	}
	*ret = d;
	return 0;
}
