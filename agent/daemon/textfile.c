/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics.textfile: rewritten every metrics.interval seconds from a snapshot the caller
 * takes (agent/report/metrics.h), only while it is set; unset, there is no timer at all.
 * Failing to write is a warning, once until it works again: the table does not depend on it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/daemon/daemon_int.h"
#include "agent/util/clock.h"
#include "agent/util/log.h"

void textfile_arm(struct textfile *tf, const struct metrics_cfg *c)
{
	const char *want = c->textfile;

	if (tf->path[0] && (!want || strcmp(want, tf->path)) && unlink(tf->path) < 0 &&
	    errno != ENOENT)
		log_warn(-errno, "Failed to remove the old metrics file '%s': %m, ignoring",
			 tf->path);
	tf->path[0] = '\0';
	tf->due_ms = NEVER;
	tf->failing = false;
	tf->interval_s = c->interval;
	if (!want)
		return;
	snprintf(tf->path, sizeof(tf->path), "%s", want);
	tf->due_ms = now_ms();
}

void textfile_write(struct textfile *tf, const struct metrics_snapshot *snap)
{
	int r;

	if (!tf->path[0]) {
		tf->due_ms = NEVER;
		return;
	}
	r = metrics_write(snap, tf->path);
	if (r < 0 && !tf->failing)
		log_warn(r,
			 "Failed to write the metrics to '%s': %m; retrying every %llu s, "
			 "ignoring",
			 tf->path, (unsigned long long)tf->interval_s);
	else if (r == 0 && tf->failing)
		log_info("Wrote the metrics to '%s' again", tf->path);
	tf->failing = r < 0;
	tf->due_ms = now_ms() + tf->interval_s * 1000;
}
