/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The agent's clocks; see clock.h. */
#include <time.h>

#include "agent/util/clock.h"

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t now_ms(void)
{
	return clock_ms(CLOCK_BOOTTIME);
}

uint64_t wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

double mono_s(void)
{
	return (double)mono_ns() / 1e9;
}
