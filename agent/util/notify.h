/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd Type=notify (and notify-reload) messages, sd_notify's protocol (notify.c). Each
 * is a no-op without NOTIFY_SOCKET, so the daemon calls them unconditionally. Failures
 * to notify never stop the agent: they return -errno for the caller to log at most.
 */
#ifndef FLOWGUARD_NOTIFY_H
#define FLOWGUARD_NOTIFY_H

#include <stdint.h>

/*
 * One datagram with msg to the AF_UNIX socket at path ("/path", or "@name" in the abstract
 * namespace): sd_notify's transport, and the journal's native one. 0 or -errno.
 */
int notify_datagram(const char *path, const char *msg);

/* READY=1 with STATUS=status (status may be NULL). */
int notify_ready(const char *status);
/* RELOADING=1 with MONOTONIC_USEC, as Type=notify-reload requires. */
int notify_reloading(void);
int notify_stopping(void);
int notify_status(const char *status);
int notify_watchdog(void);
/* The watchdog period systemd asked for (WATCHDOG_USEC for this pid), or 0: none. */
uint64_t notify_watchdog_usec(void);

#endif
