/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's log: four verbs in the OpenBSD shape. Under systemd (JOURNAL_STREAM or
 * NOTIFY_SOCKET set) each line goes to stderr with a "<N>" syslog priority prefix, which
 * journald turns into the entry's level; elsewhere the line is plain, with a timestamp
 * and the level in words. The error is passed explicitly: "%m" in fmt prints strerror(-r).
 * Warnings that change nothing end with ", ignoring" or say what is kept.
 */
#ifndef FLOWGUARD_LOG_H
#define FLOWGUARD_LOG_H

#include <stdbool.h>

/* Reads the environment once (JOURNAL_STREAM, NOTIFY_SOCKET, FLOWGUARD_DEBUG=1). */
void log_init(void);
void log_set_debug(bool on);

/* Each returns r, so that "return log_err(r, ...)" reads as it acts. */
__attribute__((format(printf, 2, 3))) int log_err(int r, const char *fmt, ...);
__attribute__((format(printf, 2, 3))) int log_warn(int r, const char *fmt, ...);
/* Notice: normal but worth a look, e.g. a blocked flow (journalctl -p notice finds them). */
__attribute__((format(printf, 1, 2))) void log_notice(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_info(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_debug(const char *fmt, ...);
/* A loader diagnostic ("file:line:col: error: ..."): it names its level, so no level word. */
void log_located(bool error, const char *text);

#endif
