/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prometheus metrics for node-exporter's textfile collector (issue 7): the daemon rewrites
 * metrics.textfile every metrics.interval seconds, only while it is set (off: no timer).
 * Text exposition format 0.0.4: one HELP and one TYPE line per family before its
 * samples, counters named *_total, label values escaped (\\, \", \n). The file is
 * replaced atomically (temp file in the same directory, fsync, rename) with mode 0644:
 * the collector runs as another user, and the file holds no addresses, only names,
 * rule comments and counts.
 *
 * Per-rule packet and byte counters come from one dump of the live table per rewrite;
 * each series is labelled with its chain, the rule's comment and its 1-based position in
 * the chain (comments repeat across the v4 and v6 rules of one flow; the position keeps
 * the series apart).
 */
#ifndef FLOWGUARD_METRICS_H
#define FLOWGUARD_METRICS_H

#include <stdio.h>

struct daemon;

/* Writes s as a label value's content (without the quotes). */
void metrics_label_value(FILE *f, const char *s);

/* Writes every family for dm to f. 0 or -EIO. */
int metrics_format(struct daemon *dm, FILE *f);

/* Rewrites path atomically from metrics_format(). 0 or -errno. */
int metrics_write(struct daemon *dm, const char *path);

#endif
