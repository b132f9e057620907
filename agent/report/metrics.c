/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prometheus text exposition of the daemon's state; see metrics.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/util/fileio.h"
#include "agent/daemon/daemon_int.h"
#include "agent/kernel/kernel.h"
#include "agent/report/metrics.h"

static const char *const kind_name[APPLY_KINDS] = { "full", "sets" };

void metrics_label_value(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* # HELP and # TYPE, once per family, before its first sample. */
static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{k="v"} as the start of a sample line; the caller adds more labels and the value. */
static void sample1(FILE *f, const char *name, const char *k, const char *v)
{
	fprintf(f, "%s{%s=\"", name, k);
	metrics_label_value(f, v);
	fputc('"', f);
}

static void info(struct daemon *dm, FILE *f)
{
	const struct gen *g = dm->gen;
	char roles[128], sha[SHA256_HEX_LEN];

	family(f, "flowguard_info", "gauge", "The running agent: mode, roles, region, version.");
	sample1(f, "flowguard_info", "mode", g->cfg->mode == MODE_AUDIT ? "audit" : "enforce");
	fputs(",roles=\"", f);
	metrics_label_value(f, roles_format(g->facts.roles, roles, sizeof(roles)));
	fputs("\",region=\"", f);
	metrics_label_value(f, g->facts.region ? g->facts.region->code : "");
	fputs("\",version=\"", f);
	metrics_label_value(f, FG_VERSION);
	fputs("\"} 1\n", f);
	config_sha256(g->cfg, sha);
	family(f, "flowguard_config_info", "gauge",
	       "The configuration the agent runs: SHA-256 of its files, as flowguard check prints.");
	fprintf(f, "flowguard_config_info{hash=\"%s\"} 1\n", sha);
	family(f, "flowguard_start_time_seconds", "gauge", "When the agent started (Unix time).");
	fprintf(f, "flowguard_start_time_seconds %llu\n", (unsigned long long)dm->started_wall_s);
}

static void rule_samples(FILE *f, const struct ruleset *rs, const char *name, bool bytes)
{
	const struct rs_chain *ch;
	const struct rs_rule *r;
	size_t c, i;

	for (c = 0; rs && c < rs->n_chains; c++) {
		ch = &rs->chains[c];
		for (i = 0; i < ch->n_rules; i++) {
			r = &ch->rules[i];
			if (!r->counter)
				continue;
			sample1(f, name, "chain", ch->name);
			fputs(",rule=\"", f);
			metrics_label_value(f, r->comment ? r->comment : "");
			fprintf(f, "\",position=\"%zu\"} %llu\n", i + 1,
				(unsigned long long)(bytes ? r->bytes : r->packets));
		}
	}
}

/* The live table (rs: one dump, NULL without one) as audit compares it with the plan. */
static void in_sync(struct daemon *dm, FILE *f, const struct ruleset *rs)
{
	family(f, "flowguard_table_in_sync", "gauge",
	       "1 while the kernel's table equals the one the agent applied (as flowguard audit "
	       "compares them); 0: missing, or changed by someone else.");
	fprintf(f, "flowguard_table_in_sync %d\n",
		rs && kernel_table_matches(dm->gen->plan->rs, rs) == 1);
}

/* One dump of the live table; without it the families stay, empty. */
static void rules(struct daemon *dm, FILE *f)
{
	struct ruleset *rs = NULL;

	if (nft_dump_table(&dm->nft, FG_TABLE, &rs) < 0)
		rs = NULL;
	in_sync(dm, f, rs);
	family(f, "flowguard_rule_packets_total", "counter",
	       "Packets counted by each rule of table inet flowguard.");
	rule_samples(f, rs, "flowguard_rule_packets_total", false);
	family(f, "flowguard_rule_bytes_total", "counter",
	       "Bytes counted by each rule of table inet flowguard.");
	rule_samples(f, rs, "flowguard_rule_bytes_total", true);
	ruleset_free(rs);
}

/* Seconds until the latest TTL of the name's current answer ends; 0 if it has. */
static double ttl_remaining(const struct name_state *s, uint64_t now)
{
	uint64_t end = 0;
	size_t i;

	for (i = 0; i < s->n_addrs; i++)
		if (s->addrs[i].current && s->addrs[i].ttl_end_ms > end)
			end = s->addrs[i].ttl_end_ms;
	return end > now ? (double)(end - now) / 1000 : 0;
}

/* Stale: the last query failed and an address of the last good answer is past its TTL. */
static bool is_stale(const struct name_state *s, uint64_t now)
{
	size_t i;

	for (i = 0; s->failures && i < s->n_addrs; i++)
		if (s->addrs[i].current && s->addrs[i].ttl_end_ms <= now)
			return true;
	return false;
}

enum name_field { NF_ADDRS, NF_TTL, NF_FAILURES, NF_SUCCESS, NF_STALE, NF_COUNT };

static const struct {
	const char *name, *help;
} name_fam[NF_COUNT] = {
	{ "flowguard_name_addresses", "Addresses a DNS name currently holds in the sets." },
	{ "flowguard_name_ttl_remaining_seconds", "Seconds left of the name's answer TTL." },
	{ "flowguard_name_failures", "Consecutive failed queries of the name." },
	{ "flowguard_name_last_success_timestamp_seconds",
	  "When the name was last resolved (Unix time); 0: never." },
	{ "flowguard_name_stale", "1 while the name's addresses are kept past their TTL because "
				  "queries fail." },
};

static double name_value(const struct name_state *s, enum name_field k, uint64_t now,
			 uint64_t wall)
{
	switch (k) {
	case NF_ADDRS:
		return (double)s->n_addrs;
	case NF_TTL:
		return ttl_remaining(s, now);
	case NF_FAILURES:
		return s->failures;
	case NF_SUCCESS:
		if (!s->last_good_ms)
			return 0;
		return (double)(wall - (now > s->last_good_ms ? now - s->last_good_ms : 0)) / 1000;
	default:
		return is_stale(s, now);
	}
}

static void names(struct daemon *dm, FILE *f)
{
	const struct name_state *s;
	uint64_t now = now_ms(), wall = wall_ms();
	size_t i, n = names_count(dm->names);
	int k;

	for (k = 0; k < NF_COUNT; k++) {
		family(f, name_fam[k].name, "gauge", name_fam[k].help);
		for (i = 0; i < n; i++) {
			s = names_get(dm->names, i);
			if (!s)
				continue;
			sample1(f, name_fam[k].name, "name", s->fqdn);
			fprintf(f, "} %.15g\n", name_value(s, (enum name_field)k, now, wall));
		}
	}
}

static void applies(struct daemon *dm, FILE *f)
{
	const struct apply_stats *a = dm->ctr.apply;
	int k;

	family(f, "flowguard_applies_total", "counter",
	       "Commits to the kernel: full (whole table) or sets (one set's element diff).");
	for (k = 0; k < APPLY_KINDS; k++)
		fprintf(f, "flowguard_applies_total{kind=\"%s\"} %llu\n", kind_name[k],
			(unsigned long long)a[k].count);
	family(f, "flowguard_apply_failures_total", "counter", "Commits the kernel refused.");
	for (k = 0; k < APPLY_KINDS; k++)
		fprintf(f, "flowguard_apply_failures_total{kind=\"%s\"} %llu\n", kind_name[k],
			(unsigned long long)a[k].failures);
	family(f, "flowguard_apply_duration_seconds", "summary",
	       "Time spent in the netlink commit.");
	for (k = 0; k < APPLY_KINDS; k++)
		fprintf(f, "flowguard_apply_duration_seconds_sum{kind=\"%s\"} %.6f\n"
			   "flowguard_apply_duration_seconds_count{kind=\"%s\"} %llu\n",
			kind_name[k], a[k].sum_s, kind_name[k], (unsigned long long)a[k].count);
	family(f, "flowguard_heals_total", "counter",
	       "Whole-table restores after foreign changes or failed set updates.");
	fprintf(f, "flowguard_heals_total %llu\n", (unsigned long long)dm->ctr.heals);
	family(f, "flowguard_reloads_total", "counter", "Reloads (SIGHUP) by result.");
	fprintf(f, "flowguard_reloads_total{result=\"ok\"} %llu\n"
		   "flowguard_reloads_total{result=\"refused\"} %llu\n",
		(unsigned long long)dm->ctr.reloads_ok, (unsigned long long)dm->ctr.reloads_refused);
}

static void blocked(struct daemon *dm, FILE *f)
{
	static const char *const chain[2] = { "ingress", "egress" };
	static const char *const verdict[2] = { "drop", "audit" };
	const struct blocked_stats *st = dm->ev.store ? blocked_get_stats(dm->ev.store) : NULL;
	int e, a;

	family(f, "flowguard_blocked_packets_total", "counter",
	       "Packets the final rules logged: dropped, or (audit) that would have been.");
	for (e = 1; e >= 0; e--)
		for (a = 0; a < 2; a++)
			fprintf(f, "flowguard_blocked_packets_total{chain=\"%s\",verdict=\"%s\"} "
				   "%llu\n", chain[e], verdict[a],
				(unsigned long long)(st ? st->packets[e][a] : 0));
	family(f, "flowguard_blocked_flows", "gauge", "Blocked flows tracked now.");
	fprintf(f, "flowguard_blocked_flows %zu\n", dm->ev.store ? blocked_count(dm->ev.store) : 0);
	family(f, "flowguard_blocked_evicted_total", "counter",
	       "Tracked flows dropped to make room (blocked.max-tracked).");
	fprintf(f, "flowguard_blocked_evicted_total %llu\n",
		(unsigned long long)(st ? st->evicted : 0));
	family(f, "flowguard_blocked_lost_total", "counter",
	       "Logged packets lost before the agent read them (socket overrun, unparsable).");
	fprintf(f, "flowguard_blocked_lost_total %llu\n", (unsigned long long)(st ? st->lost : 0));
	family(f, "flowguard_blocked_listening", "gauge",
	       "1 while the agent holds the NFLOG group of blocked flows.");
	fprintf(f, "flowguard_blocked_listening %d\n", dm->ev.nl ? 1 : 0);
}

int metrics_format(struct daemon *dm, FILE *f)
{
	info(dm, f);
	rules(dm, f);
	names(dm, f);
	applies(dm, f);
	blocked(dm, f);
	return ferror(f) ? -EIO : 0;
}

static int fill(FILE *f, const void *dm)
{
	/* metrics_format() reads the kernel's counters through dm's netlink socket. */
	return metrics_format((struct daemon *)(uintptr_t)dm, f);
}

/* 0644: node-exporter's textfile collector runs as another user. */
int metrics_write(struct daemon *dm, const char *path)
{
	return file_replace(path, 0644, fill, dm);
}
