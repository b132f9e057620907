/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flowguard run: the long-running agent (issue 5). It programs the table once from the
 * last good DNS answers (fast boot), tells systemd it is ready, then keeps the DNS-fed
 * sets current with one element-diff batch per change, restores the table when another
 * process changes it, and reloads on SIGHUP. SIGTERM or SIGINT: the last good answers
 * are saved and the table is left in place (fail closed; with persist it stays orphaned
 * until the next start adopts it).
 *
 * Files: STATE_DIR/names holds the last good answers; RUN_DIR/status.json (mode 0600,
 * directory 0700, replaced atomically on every change) is what `flowguard status` reads.
 *
 * Blocked flows (issue 7): the agent binds NFLOG group blocked.log-group, where the final
 * rules log; each new flow is one notice line with its explanation, repeats a summary line
 * per flow every minute, and status.json's "blocked" object (rewritten at most once a
 * second while packets arrive) lists the flows for `flowguard status` and `suggest`.
 * With metrics.textfile set, the Prometheus text file is rewritten every
 * metrics.interval seconds (agent/report/metrics.h); unset, there is no timer at all.
 */
#ifndef FLOWGUARD_DAEMON_H
#define FLOWGUARD_DAEMON_H

#include <stdbool.h>

struct daemon_opts {
	const char *config; /* re-read on every reload */
	const char *catalog;
	const char *root;      /* "/" or a fixture tree for detection */
	bool strict;	       /* the real config path: refuse files others could write */
	bool strict_catalog;   /* the default catalog path: the same */
	const char *state_dir; /* NULL: FG_STATE_DIR */
	const char *run_dir;   /* NULL: FG_RUN_DIR */
	const char *facts; /* facts file from "detect --save" (read on every load); NULL: detect */
};

/*
 * Runs until SIGTERM or SIGINT. 0 on a clean stop; -EINVAL if the configuration is invalid
 * at start (every error logged with file:line:col); another -errno if the first table
 * could not be programmed or the event loop failed.
 */
int daemon_run(const struct daemon_opts *o);

#endif
