/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's three clocks. Deadlines run on CLOCK_BOOTTIME, so a suspend counts (a TTL
 * that ran out while the host slept has run out); files and people read wall time;
 * durations are CLOCK_MONOTONIC seconds.
 */
#ifndef FLOWGUARD_CLOCK_H
#define FLOWGUARD_CLOCK_H

#include <stdint.h>

/* CLOCK_BOOTTIME milliseconds. */
uint64_t now_ms(void);
/* Wall-clock (CLOCK_REALTIME) milliseconds since the Unix epoch. */
uint64_t wall_ms(void);
/* CLOCK_MONOTONIC nanoseconds, for short bounds (a held DNS answer's few ms). */
uint64_t mono_ns(void);
/* CLOCK_MONOTONIC seconds, for durations. */
double mono_s(void);

#endif
