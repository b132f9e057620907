/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where the agent keeps its files: the daemon writes them, status, suggest and the CLI
 * read them. One place, so writer and readers cannot disagree.
 */
#ifndef FLOWGUARD_PATHS_H
#define FLOWGUARD_PATHS_H

#define FG_STATE_DIR "/var/lib/flowguard" /* last good DNS answers (names state file) */
#define FG_RUN_DIR "/run/flowguard"	  /* status.json, detected facts */
#define FG_STATUS_FILE "status.json"

#endif
