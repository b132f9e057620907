/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sd_notify wrappers; the unit's Type=notify contract is written in notify.h. */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "agent/util/notify.h"

/* sd_notify returns > 0 when sent, 0 without NOTIFY_SOCKET, -errno on failure. */
static int send_state(const char *state)
{
	int r = sd_notify(0, state);

	return r < 0 ? r : 0;
}

int notify_ready(const char *status)
{
	char buf[512];

	if (!status)
		return send_state("READY=1");
	snprintf(buf, sizeof(buf), "READY=1\nSTATUS=%s", status);
	return send_state(buf);
}

int notify_reloading(void)
{
	struct timespec ts;
	char buf[128];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, sizeof(buf), "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	return send_state(buf);
}

int notify_stopping(void)
{
	return send_state("STOPPING=1\nSTATUS=stopping");
}

int notify_status(const char *status)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "STATUS=%s", status);
	return send_state(buf);
}

int notify_watchdog(void)
{
	return send_state("WATCHDOG=1");
}

uint64_t notify_watchdog_usec(void)
{
	uint64_t usec = 0;

	return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}
