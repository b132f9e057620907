/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stderr logging with syslog priority prefixes for journald, or plain with timestamps. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "agent/util/log.h"

/* Process-wide log settings; agent/ is the one place allowed file-scope state. */
static bool log_journal;
static bool log_debug_on;

void log_init(void)
{
	const char *dbg = getenv("FLOWGUARD_DEBUG");

	log_journal = getenv("JOURNAL_STREAM") || getenv("NOTIFY_SOCKET");
	log_debug_on = dbg && !strcmp(dbg, "1");
}

void log_set_debug(bool on)
{
	log_debug_on = on;
}

static const char *level_word(int prio)
{
	switch (prio) {
	case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	case LOG_DEBUG:
		return "debug: ";
	default:
		return "";
	}
}

/* One line per call, written with one fputs so lines of a process never interleave. */
static void put_line(int prio, const char *word, const char *msg)
{
	char line[2200], ts[32];
	struct timespec now;
	struct tm tm;

	if (log_journal) {
		snprintf(line, sizeof(line), "<%d>%s\n", prio, msg);
	} else {
		clock_gettime(CLOCK_REALTIME, &now);
		localtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
		snprintf(line, sizeof(line), "%s.%03ld flowguard: %s%s\n", ts,
			 now.tv_nsec / 1000000, word, msg);
	}
	fputs(line, stderr);
	fflush(stderr);
}

static void log_line(int prio, int r, const char *fmt, va_list ap)
{
	char msg[2048];
	int saved = errno;

	errno = r < 0 ? -r : r; /* what "%m" prints */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	errno = saved;
	put_line(prio, level_word(prio), msg);
}

void log_located(bool error, const char *text)
{
	put_line(error ? LOG_ERR : LOG_WARNING, "", text);
}

int log_err(int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_ERR, r, fmt, ap);
	va_end(ap);
	return r;
}

int log_warn(int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_WARNING, r, fmt, ap);
	va_end(ap);
	return r;
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

void log_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_NOTICE, 0, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	log_line(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}
