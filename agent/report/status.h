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

/*
 * Prints the agent's status (text, or one JSON object with json) to out. 0 if an agent
 * is running; 1 if none is (said plainly, the kernel side is still shown); -errno if the
 * status file cannot be read or parsed.
 */
int status_print(const char *run_dir, bool json, FILE *out);

#endif
