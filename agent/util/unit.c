/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Journal audit lines and the unit file's state; see unit.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>

#include "agent/util/unit.h"

/* "uid 0 (sudo alice), from 'bash' pid 812" */
static void who(char *buf, size_t len)
{
	char path[64], comm[32] = "?";
	const char *sudo = getenv("SUDO_USER");
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)getppid());
	f = fopen(path, "re");
	if (f && fgets(comm, sizeof(comm), f))
		comm[strcspn(comm, "\n")] = '\0';
	if (f)
		fclose(f);
	snprintf(buf, len, "uid %ld%s%s%s, from '%s' pid %ld", (long)getuid(),
		 sudo ? " (sudo " : "", sudo ? sudo : "", sudo ? ")" : "", comm, (long)getppid());
}

int unit_journal(const char *fmt, ...)
{
	char msg[1024], by[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	who(by, sizeof(by));
	return sd_journal_send("MESSAGE=%s (by %s)", msg, by, "PRIORITY=%d", LOG_NOTICE,
			       "SYSLOG_IDENTIFIER=flowguard", "OBJECT_SYSTEMD_UNIT=" FG_UNIT, NULL);
}

int unit_file_state(const char *unit, char *buf, size_t len)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *state = NULL;
	sd_bus *bus = NULL;
	int r;

	r = sd_bus_open_system(&bus);
	if (r >= 0)
		r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
				       "org.freedesktop.systemd1.Manager", "GetUnitFileState", &err,
				       &reply, "s", unit);
	if (r >= 0)
		r = sd_bus_message_read(reply, "s", &state);
	if (r >= 0)
		snprintf(buf, len, "%s", state);
	sd_bus_error_free(&err);
	sd_bus_message_unref(reply);
	sd_bus_flush_close_unref(bus);
	return r < 0 ? r : 0;
}
