/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The last LATENCY_WINDOW durations of something, in microseconds, for p50/p99 in
 * status and metrics: recent behaviour, fixed memory, no allocation. A writer in another
 * process (the hold helper writes into shared memory) may race a reader: a torn read
 * costs one sample's accuracy, never memory safety.
 */
#ifndef FLOWGUARD_LATENCY_H
#define FLOWGUARD_LATENCY_H

#include <stdint.h>

#define LATENCY_WINDOW 1024

struct latency {
	uint32_t us[LATENCY_WINDOW];
	uint64_t count; /* samples ever added; the window holds the last min(count, WINDOW) */
};

void latency_add(struct latency *l, uint64_t us);
/* The p-th percentile (0-100) of the window in microseconds; 0 when it is empty. */
uint32_t latency_percentile(const struct latency *l, unsigned int p);

#endif
