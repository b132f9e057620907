/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Journal audit lines and whether the unit is enabled; see unit.h. Both without libsystemd
 * (notify.c says why): the journal's native protocol is one datagram of KEY=value lines to
 * /run/systemd/journal/socket, stable and documented for reimplementation; "enabled" is
 * what "systemctl enable" leaves, the unit's symlink in a .wants directory.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "agent/util/notify.h"
#include "agent/util/unit.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define UNIT_DIR "/etc/systemd/system"

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
	char msg[1024], by[160], entry[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A field value with a newline needs the binary form; ours never has one. */
	msg[strcspn(msg, "\n")] = '\0';
	who(by, sizeof(by));
	snprintf(entry, sizeof(entry),
		 "MESSAGE=%s (by %s)\nPRIORITY=%d\nSYSLOG_IDENTIFIER=flowguard\n"
		 "OBJECT_SYSTEMD_UNIT=" FG_UNIT "\n",
		 msg, by, LOG_NOTICE);
	return notify_datagram(JOURNAL_SOCKET, entry);
}

bool unit_enabled(const char *unit)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	bool found = false;
	size_t n;
	DIR *d;

	d = opendir(UNIT_DIR);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 6, ".wants"))
			continue;
		snprintf(path, sizeof(path), UNIT_DIR "/%s/%s", de->d_name, unit);
		found = lstat(path, &st) == 0;
	}
	closedir(d);
	return found;
}
