/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prometheus text exposition of a snapshot of the daemon; see metrics.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "agent/dns/dns.h"
#include "agent/report/metrics.h"
#include "agent/util/fileio.h"
#include "netlink/ruleset.h"

static const char *const kind_name[METRICS_APPLY_KINDS] = { "full", "sets" };

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

static void info(const struct metrics_snapshot *snap, FILE *f)
{
	family(f, "flowguard_info", "gauge", "The running agent: mode, roles, region, version.");
	sample1(f, "flowguard_info", "mode", snap->mode);
	fputs(",roles=\"", f);
	metrics_label_value(f, snap->roles);
	fputs("\",region=\"", f);
	metrics_label_value(f, snap->region);
	fputs("\",version=\"", f);
	metrics_label_value(f, snap->version);
	fputs("\"} 1\n", f);
	family(f, "flowguard_config_info", "gauge",
	       "The configuration the agent runs: SHA-256 of its files, as flowguard check prints.");
	if (snap->config_sha256)
		fprintf(f, "flowguard_config_info{hash=\"%s\"} 1\n", snap->config_sha256);
	family(f, "flowguard_start_time_seconds", "gauge", "When the agent started (Unix time).");
	fprintf(f, "flowguard_start_time_seconds %llu\n", (unsigned long long)snap->started_wall_s);
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

/* Without a dump of the live table the families stay, empty. */
static void rules(const struct metrics_snapshot *snap, FILE *f)
{
	family(f, "flowguard_table_in_sync", "gauge",
	       "1 while the kernel's table equals the agent's plan (as flowguard audit compares "
	       "them); 0: missing, or changed by someone else.");
	fprintf(f, "flowguard_table_in_sync %d\n", snap->table_in_sync);
	family(f, "flowguard_rule_packets_total", "counter",
	       "Packets counted by each rule of table inet flowguard.");
	rule_samples(f, snap->rules, "flowguard_rule_packets_total", false);
	family(f, "flowguard_rule_bytes_total", "counter",
	       "Bytes counted by each rule of table inet flowguard.");
	rule_samples(f, snap->rules, "flowguard_rule_bytes_total", true);
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

void metrics_name_fill(const struct name_state *s, uint64_t now_ms, uint64_t wall_ms,
		       struct metrics_name *ret)
{
	uint64_t ago = now_ms > s->last_good_ms ? now_ms - s->last_good_ms : 0;

	*ret = (struct metrics_name){
		.fqdn = s->fqdn,
		.addrs = s->n_addrs,
		.ttl_remaining_s = ttl_remaining(s, now_ms),
		.failures = s->failures,
		.last_success_s = s->last_good_ms ? (double)(wall_ms - ago) / 1000 : 0,
		.stale = is_stale(s, now_ms),
	};
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

static double name_value(const struct metrics_name *n, enum name_field k)
{
	switch (k) {
	case NF_ADDRS:
		return (double)n->addrs;
	case NF_TTL:
		return n->ttl_remaining_s;
	case NF_FAILURES:
		return n->failures;
	case NF_SUCCESS:
		return n->last_success_s;
	default:
		return n->stale;
	}
}

static void names(const struct metrics_snapshot *snap, FILE *f)
{
	size_t i;
	int k;

	for (k = 0; k < NF_COUNT; k++) {
		family(f, name_fam[k].name, "gauge", name_fam[k].help);
		for (i = 0; i < snap->n_names; i++) {
			sample1(f, name_fam[k].name, "name", snap->names[i].fqdn);
			fprintf(f, "} %.15g\n", name_value(&snap->names[i], (enum name_field)k));
		}
	}
}

static void applies(const struct metrics_snapshot *snap, FILE *f)
{
	const struct metrics_apply *a = snap->apply;
	int k;

	family(f, "flowguard_applies_total", "counter",
	       "Commits to the kernel: full (whole table) or sets (one set's element diff).");
	for (k = 0; k < METRICS_APPLY_KINDS; k++)
		fprintf(f, "flowguard_applies_total{kind=\"%s\"} %llu\n", kind_name[k],
			(unsigned long long)a[k].count);
	family(f, "flowguard_apply_failures_total", "counter", "Commits the kernel refused.");
	for (k = 0; k < METRICS_APPLY_KINDS; k++)
		fprintf(f, "flowguard_apply_failures_total{kind=\"%s\"} %llu\n", kind_name[k],
			(unsigned long long)a[k].failures);
	family(f, "flowguard_apply_duration_seconds", "summary",
	       "Time spent in the netlink commit.");
	for (k = 0; k < METRICS_APPLY_KINDS; k++)
		fprintf(f,
			"flowguard_apply_duration_seconds_sum{kind=\"%s\"} %.6f\n"
			"flowguard_apply_duration_seconds_count{kind=\"%s\"} %llu\n",
			kind_name[k], a[k].sum_s, kind_name[k], (unsigned long long)a[k].count);
	family(f, "flowguard_heals_total", "counter",
	       "Whole-table restores after foreign changes or failed set updates.");
	fprintf(f, "flowguard_heals_total %llu\n", (unsigned long long)snap->heals);
	family(f, "flowguard_reloads_total", "counter", "Reloads (SIGHUP) by result.");
	fprintf(f,
		"flowguard_reloads_total{result=\"ok\"} %llu\n"
		"flowguard_reloads_total{result=\"refused\"} %llu\n",
		(unsigned long long)snap->reloads_ok, (unsigned long long)snap->reloads_refused);
}

static void blocked(const struct metrics_snapshot *snap, FILE *f)
{
	static const char *const chain[2] = { "ingress", "egress" };
	static const char *const verdict[2] = { "drop", "audit" };
	const struct blocked_stats *st = &snap->blocked;
	int e, a;

	family(f, "flowguard_blocked_packets_total", "counter",
	       "Packets the final rules logged: dropped, or (audit) that would have been.");
	for (e = 1; e >= 0; e--)
		for (a = 0; a < 2; a++)
			fprintf(f,
				"flowguard_blocked_packets_total{chain=\"%s\",verdict=\"%s\"} "
				"%llu\n",
				chain[e], verdict[a], (unsigned long long)st->packets[e][a]);
	family(f, "flowguard_blocked_flows", "gauge", "Blocked flows tracked now.");
	fprintf(f, "flowguard_blocked_flows %zu\n", snap->blocked_flows);
	family(f, "flowguard_blocked_evicted_total", "counter",
	       "Tracked flows dropped to make room (blocked.max-tracked).");
	fprintf(f, "flowguard_blocked_evicted_total %llu\n", (unsigned long long)st->evicted);
	family(f, "flowguard_blocked_lost_total", "counter",
	       "Logged packets lost before the agent read them (socket overrun, unparsable).");
	fprintf(f, "flowguard_blocked_lost_total %llu\n", (unsigned long long)st->lost);
	family(f, "flowguard_blocked_listening", "gauge",
	       "1 while the agent holds the NFLOG group of blocked flows.");
	fprintf(f, "flowguard_blocked_listening %d\n", snap->blocked_listening ? 1 : 0);
}

/* Two quantiles of a recent window, as gauges: "name{quantile="0.5"} v" and 0.99. */
static void quantiles(FILE *f, const char *name, const char *help, double p50, double p99)
{
	family(f, name, "gauge", help);
	fprintf(f, "%s{quantile=\"0.5\"} %.6f\n%s{quantile=\"0.99\"} %.6f\n", name, p50, name, p99);
}

static void harvest(const struct metrics_snapshot *snap, FILE *f)
{
	const struct metrics_harvest *h = &snap->harvest;
	int k;

	family(f, "flowguard_dns_harvest_mode", "gauge",
	       "DNS answer harvest: copy (NFLOG), hold (NFQUEUE) or off.");
	fprintf(f, "flowguard_dns_harvest_mode{mode=\"%s\"} 1\n", h->mode ? h->mode : "off");
	family(f, "flowguard_dns_queries_total", "counter",
	       "DNS queries to trusted resolvers that the agent saw leave (to match answers).");
	fprintf(f, "flowguard_dns_queries_total %llu\n", (unsigned long long)h->queries);
	family(f, "flowguard_dns_answers_total", "counter",
	       "DNS answers from trusted resolvers that the agent read, by outcome.");
	fprintf(f,
		"flowguard_dns_answers_total{result=\"harvested\"} %llu\n"
		"flowguard_dns_answers_total{result=\"ignored\"} %llu\n"
		"flowguard_dns_answers_total{result=\"lost\"} %llu\n",
		(unsigned long long)h->harvested, (unsigned long long)h->ignored,
		(unsigned long long)h->lost);
	family(f, "flowguard_dns_answers_rejected_total", "counter",
	       "DNS answers refused: malformed, off the question's CNAME chain, and so on.");
	for (k = 0; k < METRICS_REJECT_KINDS; k++)
		if (h->reject_names[k])
			fprintf(f, "flowguard_dns_answers_rejected_total{reason=\"%s\"} %llu\n",
				h->reject_names[k], (unsigned long long)h->rejected[k]);
	family(f, "flowguard_dns_answer_addresses_total", "counter",
	       "Addresses that became allowed through harvested answers.");
	fprintf(f, "flowguard_dns_answer_addresses_total %llu\n", (unsigned long long)h->added);
	quantiles(f, "flowguard_dns_harvest_seconds",
		  "From reading an answer to its sets committed (recent answers that changed one).",
		  h->latency_p50_s, h->latency_p99_s);
	family(f, "flowguard_dns_hold_answers_total", "counter",
	       "Held DNS answers by who let them go: the agent on time, the bound, or at once.");
	fprintf(f,
		"flowguard_dns_hold_answers_total{verdict=\"on_time\"} %llu\n"
		"flowguard_dns_hold_answers_total{verdict=\"late\"} %llu\n"
		"flowguard_dns_hold_answers_total{verdict=\"unheld\"} %llu\n",
		(unsigned long long)h->on_time, (unsigned long long)h->late,
		(unsigned long long)h->unheld);
	quantiles(f, "flowguard_dns_hold_seconds", "How long recent held answers waited.",
		  h->hold_p50_s, h->hold_p99_s);
}

int metrics_format(const struct metrics_snapshot *snap, FILE *f)
{
	info(snap, f);
	rules(snap, f);
	names(snap, f);
	applies(snap, f);
	harvest(snap, f);
	blocked(snap, f);
	return ferror(f) ? -EIO : 0;
}

static int fill(FILE *f, const void *snap)
{
	return metrics_format(snap, f);
}

/* 0644: node-exporter's textfile collector runs as another user. */
int metrics_write(const struct metrics_snapshot *snap, const char *path)
{
	return file_replace(path, 0644, fill, snap);
}
