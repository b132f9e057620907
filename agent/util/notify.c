/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sd_notify messages; the unit's Type=notify contract is written in notify.h. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent/util/notify.h"

int notify_datagram(const char *path, const char *msg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	int fd, r = 0;

	if ((path[0] != '/' && path[0] != '@') || len < 2 || len > sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (const struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/*
 * sd_notify(3)'s protocol, which systemd documents as stable for reimplementation: one
 * datagram to the AF_UNIX socket named by NOTIFY_SOCKET ("/path", or "@name" in the
 * abstract namespace); the kernel adds our credentials for NotifyAccess. libsystemd for
 * this alone cost every flowguard process 7 more shared libraries to load (about 1 M
 * instructions and 1-2 ms at exec). 0 when sent or without NOTIFY_SOCKET, or -errno.
 */
static int send_state(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");

	return path && path[0] ? notify_datagram(path, state) : 0;
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
		 (unsigned long long)ts.tv_sec * 1000000ULL +
			 (unsigned long long)ts.tv_nsec / 1000);
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

/* The value of a decimal environment variable; 0 when unset or not a positive number. */
static unsigned long long env_ull(const char *name)
{
	const char *s = getenv(name);
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	return errno || *end ? 0 : v;
}

/* As sd_watchdog_enabled(3): WATCHDOG_USEC, if WATCHDOG_PID is unset or names us. */
uint64_t notify_watchdog_usec(void)
{
	if (getenv("WATCHDOG_PID") && env_ull("WATCHDOG_PID") != (unsigned long long)getpid())
		return 0;
	return env_ull("WATCHDOG_USEC");
}
