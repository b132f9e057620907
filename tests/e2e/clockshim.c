/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LD_PRELOAD clock jumps for tests/e2e/t_clock.sh: adds offsets to what the process
 * reads from its clocks, so a test can move the wall clock (or the boot clock) of one
 * running agent without touching the machine's.
 *   FG_CLOCK_FILE  a file of "CLOCK SECONDS" lines (signed), e.g. "realtime 172800";
 *                  CLOCK is realtime (CLOCK_REALTIME[_COARSE], gettimeofday, time),
 *                  boottime (CLOCK_BOOTTIME) or monotonic (CLOCK_MONOTONIC[_COARSE, _RAW]).
 *                  A missing clock, line or file means 0.
 * The file is stat()ed at most every 20 ms of real monotonic time and re-read when its
 * mtime or size changed: a test replaces it (write a temp file, mv) and the jump is seen
 * within that. Single-threaded callers only (the agent is).
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define RECHECK_NS 20000000LL

enum { OFF_REAL, OFF_BOOT, OFF_MONO, OFF_N };

static const char *const names[OFF_N] = { "realtime", "boottime", "monotonic" };
static long long offset_s[OFF_N];
static struct timespec seen_mtime;
static off_t seen_size = -1;
static long long next_check_ns;

/* The kernel's clock, not ours: the vDSO through the real function, found once. */
static int real_clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "clock_gettime");
	if (!real)
		return (int)syscall(SYS_clock_gettime, id, ts);
	return real(id, ts);
}

static void read_offsets(const char *path)
{
	long long v[OFF_N] = { 0 }, x;
	char line[128], word[32];
	FILE *f;
	int i;

	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f))
			for (i = 0; i < OFF_N; i++)
				if (sscanf(line, "%31s %lld", word, &x) == 2 &&
				    !strcmp(word, names[i]))
					v[i] = x;
		fclose(f);
	}
	memcpy(offset_s, v, sizeof(v));
}

static void refresh(void)
{
	const char *path = getenv("FG_CLOCK_FILE");
	struct timespec now;
	struct stat st;
	long long ns;

	if (!path || real_clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		return;
	ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
	if (ns < next_check_ns)
		return;
	next_check_ns = ns + RECHECK_NS;
	if (stat(path, &st) < 0) {
		memset(offset_s, 0, sizeof(offset_s));
		seen_size = -1;
		return;
	}
	if (st.st_size == seen_size && st.st_mtim.tv_sec == seen_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == seen_mtime.tv_nsec)
		return;
	seen_size = st.st_size;
	seen_mtime = st.st_mtim;
	read_offsets(path);
}

static int which(clockid_t id)
{
	switch (id) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		return OFF_REAL;
	case CLOCK_BOOTTIME:
		return OFF_BOOT;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_MONOTONIC_RAW:
		return OFF_MONO;
	default:
		return -1;
	}
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	int r = real_clock_gettime(id, ts), w = which(id);

	if (r == 0 && w >= 0) {
		refresh();
		ts->tv_sec += offset_s[w];
		if (ts->tv_sec < 0)
			ts->tv_sec = 0;
	}
	return r;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t time(time_t *t)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return (time_t)-1;
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
