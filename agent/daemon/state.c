/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the daemon leaves for others: the last good answers (STATE_DIR/names, rate-limited,
 * for the next fast boot), RUN_DIR/status.json for `flowguard status` (rewritten on every
 * change), systemd's STATUS= line, and the snapshot the metrics file is written from.
 * The status file, STATUS= and the snapshot read across the daemon's parts and change
 * none of them. Failing to write either file is a warning: the table is what matters, and
 * it does not depend on them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/daemon/daemon_int.h"
#include "agent/util/clock.h"
#include "agent/util/fileio.h"
#include "agent/util/json.h"
#include "agent/util/log.h"
#include "agent/util/notify.h"
#include "agent/util/paths.h"
#include "agent/util/version.h"

/* Answers change every few seconds on busy hosts; the file is only for the next boot. */
#define SAVE_INTERVAL_MS 5000
/* Blocked-flow events rewrite the status file at most this often. */
#define STATUS_MIN_INTERVAL_MS 1000

/*
 * A private directory: status.json lists what this host may reach. It runs before the
 * capability drop, possibly as root: a symlink in its place is refused (chmod would
 * follow it to whatever it names), and so is a directory someone else owns.
 */
static int make_dir(const char *dir)
{
	struct stat st;
	int fd, r = 0;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 ||
	    (st.st_uid == geteuid() && (st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0))
		r = -errno;
	else if (st.st_uid != geteuid())
		r = -EPERM;
	close(fd);
	return r;
}

int state_open(struct state *st, const char *state_dir, const char *run_dir)
{
	int r;

	*st = (struct state){ .save_due_ms = NEVER, .status_due_ms = NEVER };
	r = make_dir(run_dir);
	if (r < 0)
		log_warn(r,
			 "Failed to create '%s': %m; flowguard status cannot show this agent, "
			 "ignoring",
			 run_dir);
	r = make_dir(state_dir);
	if (r < 0)
		log_warn(r, "Failed to create '%s': %m; the next start waits for DNS, ignoring",
			 state_dir);
	if (snprintf(st->names_path, sizeof(st->names_path), "%s/names", state_dir) >=
		    (int)sizeof(st->names_path) ||
	    snprintf(st->status_path, sizeof(st->status_path), "%s/%s", run_dir, FG_STATUS_FILE) >=
		    (int)sizeof(st->status_path))
		return log_err(-ENAMETOOLONG, "state or run directory: %m");
	return 0;
}

void state_load_names(const struct state *st, struct names *ns)
{
	int r;

	r = names_load(ns, st->names_path, now_ms(), wall_ms() / 1000);
	if (r == -ENOENT)
		log_info("No saved answers in '%s': the sets fill as names resolve",
			 st->names_path);
	else if (r < 0)
		log_warn(r,
			 "Failed to load the saved answers from '%s': %m; the sets fill as "
			 "names resolve, ignoring",
			 st->names_path);
}

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

/* "query", "answer" or "query,answer": who vouched for the address. */
static const char *source_text(uint8_t src)
{
	if ((src & NAME_SRC_QUERY) && (src & NAME_SRC_ANSWER))
		return "query,answer";
	return src & NAME_SRC_ANSWER ? "answer" : "query";
}

static void write_addrs(FILE *f, const struct name_state *s, uint64_t now, uint64_t wall)
{
	char a[64];
	size_t i;

	for (i = 0; i < s->n_addrs; i++) {
		fprintf(f,
			"%s\n        {\"address\": \"%s\", \"current\": %s, "
			"\"source\": \"%s\", \"ttl_end_ms\": %llu, \"allowed_until_ms\": %llu}",
			i ? "," : "", rs_addr_format(&s->addrs[i].addr, a, sizeof(a)),
			s->addrs[i].current ? "true" : "false", source_text(s->addrs[i].sources),
			(unsigned long long)to_wall(s->addrs[i].ttl_end_ms, now, wall),
			(unsigned long long)to_wall(s->addrs[i].allowed_until_ms, now, wall));
	}
}

static void write_name(FILE *f, const struct name_state *s, uint64_t now, uint64_t wall)
{
	fputs("    {\"fqdn\": ", f);
	json_str(f, s->fqdn);
	fprintf(f,
		", \"ttl\": %u, \"last_good_ms\": %llu, \"next_query_ms\": %llu, "
		"\"in_flight\": %s, \"failures\": %u, \"dropped\": %zu, \"wildcard\": %s, "
		"\"harvested\": %llu, \"last_harvest_ms\": %llu, \"error\": ",
		s->ttl_s, (unsigned long long)to_wall(s->last_good_ms, now, wall),
		(unsigned long long)(s->in_flight ? 0 : to_wall(s->next_query_ms, now, wall)),
		s->in_flight ? "true" : "false", s->failures, s->last_dropped,
		s->wildcard ? "true" : "false", (unsigned long long)s->harvested,
		(unsigned long long)to_wall(s->last_harvest_ms, now, wall));
	json_str(f, resolver_error_text(s->last_error));
	fputs(", \"addresses\": [", f);
	write_addrs(f, s, now, wall);
	fputs("]}", f);
}

/* The plan's warnings (a peer left open to any address), which status prints too. */
static void write_warnings(FILE *f, const struct plan *p)
{
	size_t i;

	fputs("  \"warnings\": [", f);
	for (i = 0; i < p->n_warnings; i++) {
		fputs(i ? ", " : "", f);
		json_str(f, p->warnings[i]);
	}
	fputs("],\n", f);
}

static void write_header(FILE *f, const struct daemon *dm, uint64_t now, uint64_t wall)
{
	const struct gen *g = dm->cur.gen;
	char roles[128], feat[160], sha[SHA256_HEX_LEN];

	fprintf(f, "{\n  \"format\": 1,\n  \"pid\": %ld,\n  \"version\": ", (long)getpid());
	json_str(f, fg_version);
	fprintf(f, ",\n  \"started_ms\": %llu,\n  \"updated_ms\": %llu,\n  \"config\": ",
		(unsigned long long)dm->started_wall_s * 1000, (unsigned long long)wall);
	json_str(f, dm->opts->config);
	config_sha256(g->cfg, sha);
	fprintf(f, ",\n  \"config_sha256\": \"%s\",\n  \"roles\": \"%s\",\n  \"region\": ", sha,
		roles_format(g->facts.roles, roles, sizeof(roles)));
	json_str(f, g->facts.region ? g->facts.region->code : "");
	fprintf(f,
		",\n  \"mode\": \"%s\",\n  \"table\": \"%s\",\n  \"table_flags\": \"%s%s%s\","
		"\n  \"features\": %s,\n",
		g->cfg->mode == MODE_AUDIT ? "audit" : "enforce", FG_TABLE,
		dm->sets.table_flags & NFT_TABLE_F_OWNER ? "owner" : "none",
		dm->sets.table_flags & NFT_TABLE_F_PERSIST ? "," : "",
		dm->sets.table_flags & NFT_TABLE_F_PERSIST ? "persist" : "",
		features_text(dm->sets.nft.features, feat, sizeof(feat)));
	fprintf(f,
		"  \"names_count\": %zu,\n  \"addresses_count\": %zu,\n"
		"  \"last_refresh_ms\": %llu,\n",
		names_count(dm->cur.names), sets_count_addrs(&dm->sets),
		(unsigned long long)to_wall(dm->last_answer_ms, now, wall));
	write_warnings(f, g->plan);
}

static void write_events(FILE *f, const struct heal_info *h, const struct reloads *rl)
{
	fprintf(f,
		"  \"heals\": %u,\n  \"last_heal_ms\": %llu,\n  \"last_heal_pid\": %u,\n"
		"  \"last_heal_comm\": ",
		h->count, (unsigned long long)h->wall_ms, h->pid);
	json_str(f, h->comm);
	fputs(",\n  \"last_heal_what\": ", f);
	json_str(f, h->what);
	fprintf(f, ",\n  \"last_reload_ms\": %llu,\n  \"reload_error\": ",
		(unsigned long long)rl->wall_ms);
	json_str(f, rl->error);
	fputs(",\n", f);
}

static void write_apply(FILE *f, const char *kind, const struct metrics_apply *a, bool last)
{
	fprintf(f,
		"      \"%s\": {\"count\": %llu, \"failures\": %llu, "
		"\"duration_sum_s\": %.6f, \"last_duration_s\": %.6f}%s\n",
		kind, (unsigned long long)a->count, (unsigned long long)a->failures, a->sum_s,
		a->last_s, last ? "" : ",");
}

/* The counters metrics.textfile exports, also for `flowguard status --json`. */
static void write_metrics(FILE *f, const struct daemon *dm)
{
	fputs("  \"metrics\": {\n    \"applies\": {\n", f);
	write_apply(f, "full", &dm->sets.apply[METRICS_APPLY_FULL], false);
	write_apply(f, "sets", &dm->sets.apply[METRICS_APPLY_SETS], true);
	fprintf(f,
		"    },\n    \"heals\": %llu,\n    \"reloads\": {\"ok\": %llu, "
		"\"refused\": %llu},\n    \"textfile\": ",
		(unsigned long long)dm->heal.restores, (unsigned long long)dm->rl.ok,
		(unsigned long long)dm->rl.refused);
	json_str(f, dm->tf.path);
	fputs("\n  },\n", f);
}

/* DNS health: the resolvers, an outage under way, the names failing, the next retry. */
static void write_dns(FILE *f, const struct daemon *dm, uint64_t now, uint64_t wall)
{
	const struct dnshealth *h = &dm->dns;
	struct dnshealth_summary sum;

	dnshealth_summary(dm->cur.names, now, &sum);
	fputs("  \"dns\": {\"servers\": ", f);
	json_str(f, h->servers);
	fprintf(f, ", \"outage\": %s, \"error\": ", h->outage ? "true" : "false");
	json_str(f, h->outage ? resolver_error_text(h->error) : "");
	fprintf(f,
		", \"since_ms\": %llu, \"names\": %zu, \"failing\": %zu, \"kept\": %zu, "
		"\"next_retry_ms\": %llu},\n",
		(unsigned long long)(h->outage ? h->since_wall_ms : 0), sum.names, sum.failing,
		sum.kept, (unsigned long long)to_wall(sum.next_retry_ms, now, wall));
}

/* Each DNS-fed set and the names that feed it: what an auditor of the table asks first. */
static void write_set_names(FILE *f, const struct plan *p, const struct rs_set *set)
{
	size_t i;
	bool first = true, all_in_comment = true;

	fputs("    {\"name\": ", f);
	json_str(f, set->name);
	fputs(", \"names\": [", f);
	for (i = 0; i < p->n_names; i++) {
		if (strcmp(p->names[i].set_v4, set->name) && strcmp(p->names[i].set_v6, set->name))
			continue;
		fputs(first ? "" : ", ", f);
		json_str(f, p->names[i].fqdn);
		first = false;
		all_in_comment = all_in_comment && set->comment &&
				 strstr(set->comment, p->names[i].fqdn);
	}
	fprintf(f, "], \"in_comment\": %s}", all_in_comment ? "true" : "false");
}

static void write_sets(FILE *f, const struct plan *p)
{
	const struct ruleset *rs = p->rs;
	bool first = true;
	size_t i;

	fputs("  \"sets\": [", f);
	for (i = 0; i < rs->n_sets; i++) {
		if (!rs->sets[i].dynamic)
			continue;
		fputs(first ? "\n" : ",\n", f);
		write_set_names(f, p, &rs->sets[i]);
		first = false;
	}
	fputs("\n  ],\n", f);
}

static int write_status(FILE *f, const void *data)
{
	const struct daemon *dm = data;
	uint64_t now = now_ms(), wall = wall_ms();
	size_t i, n = names_count(dm->cur.names);

	write_header(f, dm, now, wall);
	write_events(f, &dm->heal.last, &dm->rl);
	write_metrics(f, dm);
	write_dns(f, dm, now, wall);
	write_sets(f, dm->cur.gen->plan);
	events_write_status(f, &dm->ev);
	harvest_write_status(f, &dm->hv, dm->cur.gen->cfg->harvest.enabled);
	fputs("  \"names\": [", f);
	for (i = 0; i < n; i++) {
		fputs(i ? ",\n" : "\n", f);
		write_name(f, names_get(dm->cur.names, i), now, wall);
	}
	fputs("\n  ]\n}\n", f);
	return ferror(f) ? -EIO : 0;
}

void state_remove_status(const struct state *st)
{
	if (unlink(st->status_path) < 0 && errno != ENOENT)
		log_warn(-errno, "Failed to remove '%s': %m, ignoring", st->status_path);
}

void state_status_line(const struct daemon *dm, char *buf, size_t len)
{
	uint64_t now = now_ms();
	char ago[48];

	if (dm->last_answer_ms)
		snprintf(ago, sizeof(ago), "last refresh %llu s ago",
			 (unsigned long long)(now - dm->last_answer_ms) / 1000);
	else
		snprintf(ago, sizeof(ago), "no answer yet");
	snprintf(buf, len, "%s: %zu names, %zu addresses, %s%s%s%s%s", dm->cur.summary,
		 names_count(dm->cur.names), sets_count_addrs(&dm->sets), ago,
		 dm->dns.outage ? "; DNS: " : "", dm->dns.outage ? dm->dns.servers : "",
		 dm->dns.outage ? " not answering" : "",
		 dm->rl.error[0] ? "; last reload REFUSED (journalctl -u flowguard)" : "");
}

void state_save_now(struct state *st, const struct names *ns)
{
	int r;

	st->last_save_ms = now_ms();
	st->save_due_ms = NEVER;
	r = names_save(ns, st->names_path, st->last_save_ms, wall_ms() / 1000);
	if (r < 0 && !st->save_failing)
		log_warn(r,
			 "Failed to save the last good answers to '%s': %m; enforcement "
			 "continues, the next start waits for DNS",
			 st->names_path);
	else if (r == 0 && st->save_failing)
		log_info("Saved the last good answers to '%s' again", st->names_path);
	st->save_failing = r < 0;
}

/* 0600: the status shows what is blocked and for whom; root reads it. */
static void status_now(struct daemon *dm)
{
	struct state *st = &dm->st;
	int r;

	st->last_status_ms = now_ms();
	st->status_due_ms = NEVER;
	r = file_replace(st->status_path, 0600, write_status, dm);
	if (r < 0 && !st->status_failing)
		log_warn(r,
			 "Failed to write '%s': %m; flowguard status cannot show this agent, "
			 "ignoring",
			 st->status_path);
	st->status_failing = r < 0;
}

/* A flood of logged packets must not become a flood of file writes: at most one a second. */
void state_status_soon(struct state *st)
{
	uint64_t at = st->last_status_ms + STATUS_MIN_INTERVAL_MS, now = now_ms();

	if (st->status_due_ms == NEVER)
		st->status_due_ms = at > now ? at : now;
}

void state_status_due(struct daemon *dm)
{
	status_now(dm);
}

void state_save_soon(struct state *st)
{
	uint64_t at = st->last_save_ms + SAVE_INTERVAL_MS;

	if (st->save_due_ms == NEVER)
		st->save_due_ms = at > now_ms() ? at : now_ms();
}

void state_changed(struct daemon *dm)
{
	char line[320];

	status_now(dm);
	state_status_line(dm, line, sizeof(line));
	notify_status(line);
	state_save_soon(&dm->st);
}

/* One row per name, at one clock reading. NULL with *ret_n 0 if there are none. */
static int names_snapshot(const struct names *ns, struct metrics_name **ret, size_t *ret_n)
{
	uint64_t now = now_ms(), wall = wall_ms();
	const struct name_state *s;
	struct metrics_name *v;
	size_t i, n = names_count(ns), k = 0;

	v = n ? calloc(n, sizeof(*v)) : NULL;
	if (n && !v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		s = names_get(ns, i);
		if (s)
			metrics_name_fill(s, now, wall, &v[k++]);
	}
	*ret = v;
	*ret_n = k;
	return 0;
}

void state_metrics_write(struct daemon *dm)
{
	const struct gen *g = dm->cur.gen;
	struct metrics_snapshot snap = {
		.mode = g->cfg->mode == MODE_AUDIT ? "audit" : "enforce",
		.region = g->facts.region ? g->facts.region->code : "",
		.version = fg_version,
		.started_wall_s = dm->started_wall_s,
		.heals = dm->heal.restores,
		.reloads_ok = dm->rl.ok,
		.reloads_refused = dm->rl.refused,
		.blocked_listening = dm->ev.nl != NULL,
	};
	struct metrics_name *names = NULL;
	struct ruleset *rules = NULL;
	char roles[128], sha[SHA256_HEX_LEN];

	snap.roles = roles_format(g->facts.roles, roles, sizeof(roles));
	config_sha256(g->cfg, sha);
	snap.config_sha256 = sha;
	memcpy(snap.apply, dm->sets.apply, sizeof(snap.apply));
	harvest_metrics(&dm->hv, &snap.harvest);
	if (dm->ev.store) {
		snap.blocked = *blocked_get_stats(dm->ev.store);
		snap.blocked_flows = blocked_count(dm->ev.store);
	}
	/* Without the live counters (or the names' rows) those families stay, empty. */
	if (nft_dump_table(&dm->sets.nft, FG_TABLE, &rules) == 0)
		snap.rules = rules;
	/* A missing table (no dump) is out of sync too. */
	snap.table_in_sync = rules && kernel_drift_words(g->plan->rs, rules, KERNEL_DRIFT_AUDIT,
							 NULL, NULL) == 0;
	if (names_snapshot(dm->cur.names, &names, &snap.n_names) == 0)
		snap.names = names;
	textfile_write(&dm->tf, &snap);
	free(names);
	ruleset_free(rules);
}
