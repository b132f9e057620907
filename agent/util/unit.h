/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CLI and systemd: audit lines in the journal for what an admin did by hand (disable),
 * and whether the unit is enabled (it would start the agent again). Without journald the
 * line is not written (-errno); without systemd the unit is not enabled.
 */
#ifndef FLOWGUARD_UNIT_H
#define FLOWGUARD_UNIT_H

#include <stdbool.h>
#include <stddef.h>

#define FG_UNIT "flowguard.service"

/*
 * One notice line in the journal, as "flowguard" and about flowguard.service (so that
 * "journalctl -u flowguard" and "journalctl -t flowguard" show it), with who ran the
 * command: uid, sudo's user, the parent process. 0 or -errno.
 */
__attribute__((format(printf, 1, 2))) int unit_journal(const char *fmt, ...);

/* Whether "systemctl enable" left the unit's symlink in a .wants directory of /etc/systemd/system. */
bool unit_enabled(const char *unit);

#endif
