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
 * Everything comes from a struct metrics_snapshot the daemon fills per rewrite (no daemon
 * internals here, so tests format hand-built ones). Per-rule packet and byte counters come
 * from one dump of the live table per rewrite; each series is labelled with its chain, the
 * rule's comment and its 1-based position in the chain (comments repeat across the v4 and
 * v6 rules of one flow; the position keeps the series apart).
 */
#ifndef FLOWGUARD_METRICS_H
#define FLOWGUARD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/report/blocked.h"

struct name_state;
struct ruleset;

/* Commits to the kernel by kind: the whole table, or one DNS-fed set's element diff. */
enum metrics_apply_kind { METRICS_APPLY_FULL, METRICS_APPLY_SETS, METRICS_APPLY_KINDS };

struct metrics_apply {
	uint64_t count; /* attempts, failed ones included */
	uint64_t failures;
	double sum_s, last_s; /* CLOCK_MONOTONIC seconds spent in the netlink commit */
};

/* One DNS name's series (metrics_name_fill). */
struct metrics_name {
	const char *fqdn;
	size_t addrs;		/* addresses it holds now (current, grace and stale) */
	double ttl_remaining_s; /* until the latest TTL of its current answer ends; 0 if it has */
	unsigned int failures;	/* consecutive failed queries */
	double last_success_s;	/* Unix time of the last good answer; 0: never */
	bool stale;		/* queries fail and a current address is past its TTL */
};

/* DNS answer harvest (and hold); all 0 while harvest is off. */
#define METRICS_REJECT_KINDS 8

struct metrics_harvest {
	const char *mode; /* "copy", "hold" or "off"; NULL: off */
	uint64_t queries; /* queries this host sent, copied to the agent */
	uint64_t seen, harvested, ignored, lost;
	uint64_t rejected[METRICS_REJECT_KINDS];
	const char *reject_names[METRICS_REJECT_KINDS]; /* "malformed", ...; NULL: unused */
	uint64_t added;			     /* addresses that became allowed through answers */
	double latency_p50_s, latency_p99_s; /* answer read -> its sets committed */
	uint64_t held, on_time, late, unheld;
	double hold_p50_s, hold_p99_s; /* answer read -> let go */
};

/*
 * Everything one exposition shows, at one moment: the daemon fills it (pointers borrowed
 * for the call) and metrics_format() reads nothing else.
 */
struct metrics_snapshot {
	const char *mode;	     /* "enforce" or "audit" */
	const char *roles;	     /* "agent,relay" */
	const char *region;	     /* "de-1"; "" when there is none */
	const char *version;	     /* the agent's, fg_version */
	const char *config_sha256;   /* config_sha256(); NULL: no sample */
	uint64_t started_wall_s;     /* when the agent started (Unix time) */
	const struct ruleset *rules; /* the live table with its counters; NULL: not read */
	bool table_in_sync;	     /* rules equals the plan, as audit compares them */
	const struct metrics_name *names;
	size_t n_names;
	struct metrics_apply apply[METRICS_APPLY_KINDS];
	uint64_t heals; /* whole-table restores run */
	uint64_t reloads_ok, reloads_refused;
	struct blocked_stats blocked; /* all 0 while there is no blocked-flow store */
	size_t blocked_flows;	      /* flows tracked now */
	bool blocked_listening;	      /* the NFLOG group is ours */
	struct metrics_harvest harvest;
};

/* Writes s as a label value's content (without the quotes). */
void metrics_label_value(FILE *f, const char *s);

/* The series of name s at now_ms (CLOCK_BOOTTIME) and wall_ms (its wall-clock twin). */
void metrics_name_fill(const struct name_state *s, uint64_t now_ms, uint64_t wall_ms,
		       struct metrics_name *ret);

/* Writes every family of snap to f. 0 or -EIO. */
int metrics_format(const struct metrics_snapshot *snap, FILE *f);

/* Rewrites path atomically from metrics_format(). 0 or -errno. */
int metrics_write(const struct metrics_snapshot *snap, const char *path);

#endif
