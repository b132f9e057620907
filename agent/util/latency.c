/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "agent/util/latency.h"

void latency_add(struct latency *l, uint64_t us)
{
	l->us[l->count % LATENCY_WINDOW] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	l->count++;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

uint32_t latency_percentile(const struct latency *l, unsigned int p)
{
	uint32_t v[LATENCY_WINDOW];
	size_t n = l->count < LATENCY_WINDOW ? (size_t)l->count : LATENCY_WINDOW, k;

	if (!n)
		return 0;
	memcpy(v, l->us, n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), u32_cmp);
	/* Nearest rank: the smallest sample with at least p% of the window at or below it. */
	k = (n * p + 99) / 100;
	return v[k ? k - 1 : 0];
}
