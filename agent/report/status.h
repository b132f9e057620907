/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flowguard status: what the running agent applied, read from RUN_DIR/status.json (the
 * daemon replaces it on every change; see daemon.h), plus the live kernel side (table
 * flags, owner, features). Remaining TTLs are computed at print time from the absolute
 * times in the file.
 */
#ifndef FLOWGUARD_STATUS_H
#define FLOWGUARD_STATUS_H

#include <stdbool.h>
#include <stdio.h>

#include "agent/kernel/kernel.h"

/*
 * Prints the agent's status (text, or one JSON object with json) to out. 0 if an agent
 * is running; 1 if none is (said plainly, the kernel side is still shown); -errno if the
 * status file cannot be read or parsed.
 */
int status_print(const char *run_dir, bool json, FILE *out);

/*
 * What audit needs from the running agent's status file (RUN_DIR/status.json): its pid,
 * table flags, current answers and the last foreign change it saw. No file, an unreadable
 * one or no agent alive: pid 0 and 0. -errno for a damaged file (or -ENOMEM).
 */
int status_agent_read(const char *run_dir, struct audit_agent *ret);

/*
 * Sends the running agent (pid from its status file) SIGHUP and waits for its verdict in
 * the file, said on log. 0 reloaded; -EINVAL refused as invalid; -EIO refused otherwise;
 * -ESRCH no agent; -ETIMEDOUT no verdict within 30 s.
 */
int status_reload_agent(const char *run_dir, FILE *log);

#endif
