/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the daemon leaves for others: the last good answers (STATE_DIR/names, rate-limited,
 * for the next fast boot), RUN_DIR/status.json for `flowguard status` (rewritten on every
 * change), and systemd's STATUS= line. Failing to write either file is a warning: the
 * table is what matters, and it does not depend on them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/util/fileio.h"
#include "agent/util/json.h"
#include "agent/daemon/daemon_int.h"
#include "agent/util/log.h"
#include "agent/report/report.h"
#include "agent/util/notify.h"

/* Answers change every few seconds on busy hosts; the file is only for the next boot. */
#define SAVE_INTERVAL_MS 5000
/* Blocked-flow events rewrite the status file at most this often. */
#define STATUS_MIN_INTERVAL_MS 1000

static const char *features_text(unsigned int f, char *buf, size_t len)
{
	snprintf(buf, len,
		 "{\"owner\": %s, \"persist\": %s, \"destroy\": %s, \"element_refresh\": %s}",
		 f & NFT_FEAT_OWNER ? "true" : "false", f & NFT_FEAT_PERSIST ? "true" : "false",
		 f & NFT_FEAT_DESTROY ? "true" : "false",
		 f & NFT_FEAT_ELEM_REFRESH ? "true" : "false");
	return buf;
}

/* A CLOCK_BOOTTIME moment as wall-clock milliseconds; 0 and NEVER stay as they are. */
static uint64_t to_wall(uint64_t t, uint64_t now, uint64_t wall)
{
	if (t == 0 || t == NEVER)
		return t == NEVER ? 0 : t;
	return t >= now ? wall + (t - now) : (wall > now - t ? wall - (now - t) : 0);
}

const char *state_error_text(int err)
{
	switch (err) {
	case 0:
		return "";
	case -ENOENT:
		return "NXDOMAIN";
	case -ETIMEDOUT:
		return "timeout";
	case -ECONNREFUSED:
		return "refused, unreachable or SERVFAIL";
	case -EINVAL:
		return "not a DNS name";
	case -EIO:
		return "malformed answer";
	default:
		return strerror(-err);
	}
}

static void write_addrs(FILE *f, const struct name_state *s, uint64_t now, uint64_t wall)
{
	char a[64];
	size_t i;

	for (i = 0; i < s->n_addrs; i++) {
		fprintf(f, "%s\n        {\"address\": \"%s\", \"current\": %s, "
			   "\"ttl_end_ms\": %llu, \"allowed_until_ms\": %llu}", i ? "," : "",
			rs_addr_format(&s->addrs[i].addr, a, sizeof(a)),
			s->addrs[i].current ? "true" : "false",
			(unsigned long long)to_wall(s->addrs[i].ttl_end_ms, now, wall),
			(unsigned long long)to_wall(s->addrs[i].allowed_until_ms, now, wall));
	}
}

static void write_name(FILE *f, const struct name_state *s, uint64_t now, uint64_t wall)
{
	fputs("    {\"fqdn\": ", f);
	json_str(f, s->fqdn);
	fprintf(f, ", \"ttl\": %u, \"last_good_ms\": %llu, \"next_query_ms\": %llu, "
		   "\"in_flight\": %s, \"failures\": %u, \"dropped\": %zu, \"error\": ",
		s->ttl_s, (unsigned long long)to_wall(s->last_good_ms, now, wall),
		(unsigned long long)(s->in_flight ? 0 : to_wall(s->next_query_ms, now, wall)),
		s->in_flight ? "true" : "false", s->failures, s->last_dropped);
	json_str(f, state_error_text(s->last_error));
	fputs(", \"addresses\": [", f);
	write_addrs(f, s, now, wall);
	fputs("]}", f);
}

static void write_header(FILE *f, const struct daemon *dm, uint64_t now, uint64_t wall)
{
	const struct gen *g = dm->gen;
	char roles[128], feat[160], sha[SHA256_HEX_LEN];

	fprintf(f, "{\n  \"format\": 1,\n  \"pid\": %ld,\n  \"version\": ", (long)getpid());
	json_str(f, FG_VERSION);
	fprintf(f, ",\n  \"started_ms\": %llu,\n  \"updated_ms\": %llu,\n  \"config\": ",
		(unsigned long long)dm->started_wall_s * 1000, (unsigned long long)wall);
	json_str(f, dm->opts->config);
	config_sha256(g->cfg, sha);
	fprintf(f, ",\n  \"config_sha256\": \"%s\",\n  \"roles\": \"%s\",\n  \"region\": ",
		sha, roles_format(g->facts.roles, roles, sizeof(roles)));
	json_str(f, g->facts.region ? g->facts.region->code : "");
	fprintf(f, ",\n  \"mode\": \"%s\",\n  \"table\": \"%s\",\n  \"table_flags\": \"%s%s%s\","
		   "\n  \"features\": %s,\n",
		g->cfg->mode == MODE_AUDIT ? "audit" : "enforce", FG_TABLE,
		dm->table_flags & NFT_TABLE_F_OWNER ? "owner" : "none",
		dm->table_flags & NFT_TABLE_F_PERSIST ? "," : "",
		dm->table_flags & NFT_TABLE_F_PERSIST ? "persist" : "",
		features_text(dm->nft.features, feat, sizeof(feat)));
	fprintf(f, "  \"names_count\": %zu,\n  \"addresses_count\": %zu,\n"
		   "  \"last_refresh_ms\": %llu,\n",
		names_count(dm->names), sets_count_addrs(dm),
		(unsigned long long)to_wall(dm->last_answer_ms, now, wall));
}

static void write_events(FILE *f, const struct daemon *dm)
{
	fprintf(f, "  \"heals\": %u,\n  \"last_heal_ms\": %llu,\n  \"last_heal_pid\": %u,\n"
		   "  \"last_heal_comm\": ", dm->heal.count, (unsigned long long)dm->heal.wall_ms,
		dm->heal.pid);
	json_str(f, dm->heal.comm);
	fputs(",\n  \"last_heal_what\": ", f);
	json_str(f, dm->heal.what);
	fprintf(f, ",\n  \"last_reload_ms\": %llu,\n  \"reload_error\": ",
		(unsigned long long)dm->reload_wall_ms);
	json_str(f, dm->reload_error);
	fputs(",\n", f);
}

static void write_apply(FILE *f, const char *kind, const struct apply_stats *a, bool last)
{
	fprintf(f, "      \"%s\": {\"count\": %llu, \"failures\": %llu, "
		   "\"duration_sum_s\": %.6f, \"last_duration_s\": %.6f}%s\n", kind,
		(unsigned long long)a->count, (unsigned long long)a->failures, a->sum_s, a->last_s,
		last ? "" : ",");
}

/* The counters metrics.textfile exports, also for `flowguard status --json`. */
static void write_metrics(FILE *f, const struct daemon *dm)
{
	const struct daemon_counters *c = &dm->ctr;

	fputs("  \"metrics\": {\n    \"applies\": {\n", f);
	write_apply(f, "full", &c->apply[APPLY_FULL], false);
	write_apply(f, "sets", &c->apply[APPLY_SETS], true);
	fprintf(f, "    },\n    \"heals\": %llu,\n    \"reloads\": {\"ok\": %llu, "
		   "\"refused\": %llu},\n    \"textfile\": ", (unsigned long long)c->heals,
		(unsigned long long)c->reloads_ok, (unsigned long long)c->reloads_refused);
	json_str(f, dm->metrics_path);
	fputs("\n  },\n", f);
}

static int write_status(FILE *f, const void *data)
{
	const struct daemon *dm = data;
	uint64_t now = now_ms(), wall = wall_ms();
	size_t i, n = names_count(dm->names);

	write_header(f, dm, now, wall);
	write_events(f, dm);
	write_metrics(f, dm);
	events_write_status(f, dm);
	fputs("  \"names\": [", f);
	for (i = 0; i < n; i++) {
		fputs(i ? ",\n" : "\n", f);
		write_name(f, names_get(dm->names, i), now, wall);
	}
	fputs("\n  ]\n}\n", f);
	return ferror(f) ? -EIO : 0;
}

/* 0600: the status shows what is blocked and for whom; root reads it. */
int state_write_status(struct daemon *dm)
{
	return file_replace(dm->status_path, 0600, write_status, dm);
}

void state_remove_status(struct daemon *dm)
{
	if (unlink(dm->status_path) < 0 && errno != ENOENT)
		log_warn(-errno, "Failed to remove '%s': %m, ignoring", dm->status_path);
}

/* "agent,relay de-1: 42 names, 118 addresses, last refresh 3 s ago" */
void state_status_line(const struct daemon *dm, char *buf, size_t len)
{
	uint64_t now = now_ms();
	char ago[48];

	if (dm->last_answer_ms)
		snprintf(ago, sizeof(ago), "last refresh %llu s ago",
			 (unsigned long long)(now - dm->last_answer_ms) / 1000);
	else
		snprintf(ago, sizeof(ago), "no answer yet");
	snprintf(buf, len, "%s: %zu names, %zu addresses, %s", dm->summary,
		 names_count(dm->names), sets_count_addrs(dm), ago);
}

void state_save_now(struct daemon *dm)
{
	int r;

	dm->last_save_ms = now_ms();
	dm->save_due_ms = NEVER;
	r = names_save(dm->names, dm->state_path, dm->last_save_ms, wall_ms() / 1000);
	if (r < 0 && !dm->save_failing)
		log_warn(r, "Failed to save the last good answers to '%s': %m; enforcement "
			    "continues, the next start waits for DNS", dm->state_path);
	else if (r == 0 && dm->save_failing)
		log_info("Saved the last good answers to '%s' again", dm->state_path);
	dm->save_failing = r < 0;
}

static void status_now(struct daemon *dm)
{
	int r;

	dm->last_status_ms = now_ms();
	dm->status_due_ms = NEVER;
	dm->ev.dirty = false;
	r = state_write_status(dm);
	if (r < 0 && !dm->status_failing)
		log_warn(r, "Failed to write '%s': %m; flowguard status cannot show this agent, "
			    "ignoring", dm->status_path);
	dm->status_failing = r < 0;
}

/* A flood of logged packets must not become a flood of file writes: at most one a second. */
void state_status_soon(struct daemon *dm)
{
	uint64_t at = dm->last_status_ms + STATUS_MIN_INTERVAL_MS, now = now_ms();

	if (dm->status_due_ms == NEVER)
		dm->status_due_ms = at > now ? at : now;
}

void state_status_due(struct daemon *dm)
{
	status_now(dm);
}

/* Something changed: status file and STATUS= now, the names file within SAVE_INTERVAL_MS. */
void state_changed(struct daemon *dm)
{
	char line[320];
	uint64_t at;

	status_now(dm);
	state_status_line(dm, line, sizeof(line));
	notify_status(line);
	at = dm->last_save_ms + SAVE_INTERVAL_MS;
	if (dm->save_due_ms == NEVER)
		dm->save_due_ms = at > now_ms() ? at : now_ms();
}

void state_metrics_arm(struct daemon *dm)
{
	const char *want = dm->gen->cfg->metrics.textfile;

	if (dm->metrics_path[0] && (!want || strcmp(want, dm->metrics_path)) &&
	    unlink(dm->metrics_path) < 0 && errno != ENOENT)
		log_warn(-errno, "Failed to remove the old metrics file '%s': %m, ignoring",
			 dm->metrics_path);
	dm->metrics_path[0] = '\0';
	dm->metrics_due_ms = NEVER;
	dm->metrics_failing = false;
	if (!want)
		return;
	snprintf(dm->metrics_path, sizeof(dm->metrics_path), "%s", want);
	dm->metrics_due_ms = now_ms();
}

void state_metrics_write(struct daemon *dm)
{
	int r;

	if (!dm->metrics_path[0]) {
		dm->metrics_due_ms = NEVER;
		return;
	}
	r = metrics_write(dm, dm->metrics_path);
	if (r < 0 && !dm->metrics_failing)
		log_warn(r, "Failed to write the metrics to '%s': %m; retrying every %llu s, "
			    "ignoring", dm->metrics_path,
			 (unsigned long long)dm->gen->cfg->metrics.interval);
	else if (r == 0 && dm->metrics_failing)
		log_info("Wrote the metrics to '%s' again", dm->metrics_path);
	dm->metrics_failing = r < 0;
	dm->metrics_due_ms = now_ms() + dm->gen->cfg->metrics.interval * 1000;
}
