/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics_label_value(): the exposition format's three escapes, and nothing else changed.
 * metrics_format(): a hand-built snapshot gives the exact exposition (every family, its
 * HELP and TYPE lines, labels and values), with no daemon and no kernel.
 * metrics_name_fill(): a name's series from a hand-built store row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/dns/dns.h"
#include "agent/report/metrics.h"
#include "netlink/ruleset.h"

static void check(const char *in, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	metrics_label_value(f, in);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, want);
	free(buf);
}

static void test_plain(void **state)
{
	(void)state;
	check("allow api (local configuration)", "allow api (local configuration)");
	check("", "");
	check(NULL, "");
}

static void test_escapes(void **state)
{
	(void)state;
	check("a\"b", "a\\\"b");
	check("c:\\x", "c:\\\\x");
	check("two\nlines", "two\\nlines");
	check("\\\"\n", "\\\\\\\"\\n");
	/* Tabs and UTF-8 are valid label content as they are. */
	check("t\tü", "t\tü");
}

/* metrics_format(snap) as a string (freed by the caller). */
static char *format(const struct metrics_snapshot *snap)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(metrics_format(snap, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* The lines of text from the one starting with `from` up to (without) the next "# HELP". */
static char *family_of(const char *text, const char *from)
{
	const char *start = strstr(text, from), *end;

	assert_non_null(start);
	end = strstr(start + 1, "# HELP");
	return strndup(start, end ? (size_t)(end - start) : strlen(start));
}

static void assert_family(const char *text, const char *name, const char *want)
{
	char head[128], *got;

	snprintf(head, sizeof(head), "# HELP %s ", name);
	got = family_of(text, head);
	assert_string_equal(got, want);
	free(got);
}

/* egress: a counted rule, one without a counter (no series), a comment that needs escapes. */
static struct rs_rule rules[] = {
	{ .counter = true,
	  .packets = 354,
	  .bytes = 21240,
	  .comment = "replies and live connections" },
	{ .counter = false, .comment = "not counted" },
	{ .counter = true, .packets = 3, .bytes = 180, .comment = "allow \"web\"\nv4" },
	{ .counter = true, .packets = 0, .bytes = 0, .comment = NULL },
};
static struct rs_chain chains[] = {
	{ .name = "egress", .rules = rules, .n_rules = 4 },
};
static struct ruleset live = { .table = "flowguard", .chains = chains, .n_chains = 1 };

static const struct metrics_name names[] = {
	{ .fqdn = "web.test",
	  .addrs = 2,
	  .ttl_remaining_s = 1.406,
	  .failures = 0,
	  .last_success_s = 1796507861.25,
	  .stale = false },
	{ .fqdn = "down.test",
	  .addrs = 1,
	  .ttl_remaining_s = 0,
	  .failures = 3,
	  .last_success_s = 1796500000,
	  .stale = true },
};

static struct metrics_snapshot snapshot(void)
{
	struct metrics_snapshot s = {
		.mode = "audit",
		.roles = "agent,relay",
		.region = "de-1",
		.version = "1.2-3-gabc",
		.started_wall_s = 1796507860,
		.rules = &live,
		.names = names,
		.n_names = 2,
		.config_sha256 = "5d41402abc4b2a76b9719d911017c592",
		.table_in_sync = true,
		.apply = { { .count = 3, .failures = 1, .sum_s = 0.0125, .last_s = 0.004 },
			   { .count = 7, .failures = 0, .sum_s = 0.000321, .last_s = 0.0001 } },
		.heals = 2,
		.reloads_ok = 1,
		.reloads_refused = 4,
		.blocked = { .packets = { { 5, 6 }, { 7, 8 } }, .evicted = 9, .lost = 10 },
		.blocked_flows = 11,
		.blocked_listening = true,
	};

	return s;
}

static void test_format_info_rules(void **state)
{
	struct metrics_snapshot s = snapshot();
	char *text = format(&s);

	(void)state;
	/* The families come in a fixed order, info first. */
	assert_ptr_equal(strstr(text, "# HELP flowguard_info "), text);
	assert_family(text, "flowguard_info",
		      "# HELP flowguard_info The running agent: mode, roles, region, version.\n"
		      "# TYPE flowguard_info gauge\n"
		      "flowguard_info{mode=\"audit\",roles=\"agent,relay\",region=\"de-1\","
		      "version=\"1.2-3-gabc\"} 1\n");
	assert_family(text, "flowguard_start_time_seconds",
		      "# HELP flowguard_start_time_seconds When the agent started (Unix time).\n"
		      "# TYPE flowguard_start_time_seconds gauge\n"
		      "flowguard_start_time_seconds 1796507860\n");
	assert_family(text, "flowguard_config_info",
		      "# HELP flowguard_config_info The configuration the agent runs: SHA-256 of "
		      "its files, as flowguard check prints.\n"
		      "# TYPE flowguard_config_info gauge\n"
		      "flowguard_config_info{hash=\"5d41402abc4b2a76b9719d911017c592\"} 1\n");
	assert_family(text, "flowguard_table_in_sync",
		      "# HELP flowguard_table_in_sync 1 while the kernel's table equals the agent's "
		      "plan (as flowguard audit compares them); 0: missing, or changed by someone "
		      "else.\n"
		      "# TYPE flowguard_table_in_sync gauge\n"
		      "flowguard_table_in_sync 1\n");
	assert_family(text, "flowguard_rule_packets_total",
		      "# HELP flowguard_rule_packets_total Packets counted by each rule of table "
		      "inet flowguard.\n"
		      "# TYPE flowguard_rule_packets_total counter\n"
		      "flowguard_rule_packets_total{chain=\"egress\",rule=\"replies and live "
		      "connections\",position=\"1\"} 354\n"
		      "flowguard_rule_packets_total{chain=\"egress\","
		      "rule=\"allow \\\"web\\\"\\nv4\",position=\"3\"} 3\n"
		      "flowguard_rule_packets_total{chain=\"egress\",rule=\"\","
		      "position=\"4\"} 0\n");
	assert_family(text, "flowguard_rule_bytes_total",
		      "# HELP flowguard_rule_bytes_total Bytes counted by each rule of table inet "
		      "flowguard.\n"
		      "# TYPE flowguard_rule_bytes_total counter\n"
		      "flowguard_rule_bytes_total{chain=\"egress\",rule=\"replies and live "
		      "connections\",position=\"1\"} 21240\n"
		      "flowguard_rule_bytes_total{chain=\"egress\",rule=\"allow \\\"web\\\"\\nv4\","
		      "position=\"3\"} 180\n"
		      "flowguard_rule_bytes_total{chain=\"egress\",rule=\"\",position=\"4\"} 0\n");
	free(text);
}

static void test_format_names(void **state)
{
	struct metrics_snapshot s = snapshot();
	char *text = format(&s);

	(void)state;
	assert_family(text, "flowguard_name_addresses",
		      "# HELP flowguard_name_addresses Addresses a DNS name currently holds in the "
		      "sets.\n"
		      "# TYPE flowguard_name_addresses gauge\n"
		      "flowguard_name_addresses{name=\"web.test\"} 2\n"
		      "flowguard_name_addresses{name=\"down.test\"} 1\n");
	assert_family(text, "flowguard_name_ttl_remaining_seconds",
		      "# HELP flowguard_name_ttl_remaining_seconds Seconds left of the name's "
		      "answer TTL.\n"
		      "# TYPE flowguard_name_ttl_remaining_seconds gauge\n"
		      "flowguard_name_ttl_remaining_seconds{name=\"web.test\"} 1.406\n"
		      "flowguard_name_ttl_remaining_seconds{name=\"down.test\"} 0\n");
	assert_family(text, "flowguard_name_failures",
		      "# HELP flowguard_name_failures Consecutive failed queries of the name.\n"
		      "# TYPE flowguard_name_failures gauge\n"
		      "flowguard_name_failures{name=\"web.test\"} 0\n"
		      "flowguard_name_failures{name=\"down.test\"} 3\n");
	assert_family(text, "flowguard_name_last_success_timestamp_seconds",
		      "# HELP flowguard_name_last_success_timestamp_seconds When the name was last "
		      "resolved (Unix time); 0: never.\n"
		      "# TYPE flowguard_name_last_success_timestamp_seconds gauge\n"
		      "flowguard_name_last_success_timestamp_seconds{name=\"web.test\"} "
		      "1796507861.25\n"
		      "flowguard_name_last_success_timestamp_seconds{name=\"down.test\"} "
		      "1796500000\n");
	assert_family(text, "flowguard_name_stale",
		      "# HELP flowguard_name_stale 1 while the name's addresses are kept past "
		      "their TTL because queries fail.\n"
		      "# TYPE flowguard_name_stale gauge\n"
		      "flowguard_name_stale{name=\"web.test\"} 0\n"
		      "flowguard_name_stale{name=\"down.test\"} 1\n");
	free(text);
}

static void test_format_applies(void **state)
{
	struct metrics_snapshot s = snapshot();
	char *text = format(&s);

	(void)state;
	assert_family(text, "flowguard_applies_total",
		      "# HELP flowguard_applies_total Commits to the kernel: full (whole table) or "
		      "sets (one set's element diff).\n"
		      "# TYPE flowguard_applies_total counter\n"
		      "flowguard_applies_total{kind=\"full\"} 3\n"
		      "flowguard_applies_total{kind=\"sets\"} 7\n");
	assert_family(text, "flowguard_apply_failures_total",
		      "# HELP flowguard_apply_failures_total Commits the kernel refused.\n"
		      "# TYPE flowguard_apply_failures_total counter\n"
		      "flowguard_apply_failures_total{kind=\"full\"} 1\n"
		      "flowguard_apply_failures_total{kind=\"sets\"} 0\n");
	assert_family(text, "flowguard_apply_duration_seconds",
		      "# HELP flowguard_apply_duration_seconds Time spent in the netlink commit.\n"
		      "# TYPE flowguard_apply_duration_seconds summary\n"
		      "flowguard_apply_duration_seconds_sum{kind=\"full\"} 0.012500\n"
		      "flowguard_apply_duration_seconds_count{kind=\"full\"} 3\n"
		      "flowguard_apply_duration_seconds_sum{kind=\"sets\"} 0.000321\n"
		      "flowguard_apply_duration_seconds_count{kind=\"sets\"} 7\n");
	assert_family(text, "flowguard_heals_total",
		      "# HELP flowguard_heals_total Whole-table restores after foreign changes or "
		      "failed set updates.\n"
		      "# TYPE flowguard_heals_total counter\n"
		      "flowguard_heals_total 2\n");
	assert_family(text, "flowguard_reloads_total",
		      "# HELP flowguard_reloads_total Reloads (SIGHUP) by result.\n"
		      "# TYPE flowguard_reloads_total counter\n"
		      "flowguard_reloads_total{result=\"ok\"} 1\n"
		      "flowguard_reloads_total{result=\"refused\"} 4\n");
	free(text);
}

static void test_format_blocked(void **state)
{
	struct metrics_snapshot s = snapshot();
	char *text = format(&s);
	const char *tail;

	(void)state;
	/* packets[egress][audit]: egress first, drop before audit. */
	assert_family(text, "flowguard_blocked_packets_total",
		      "# HELP flowguard_blocked_packets_total Packets the final rules logged: "
		      "dropped, or (audit) that would have been.\n"
		      "# TYPE flowguard_blocked_packets_total counter\n"
		      "flowguard_blocked_packets_total{chain=\"egress\",verdict=\"drop\"} 7\n"
		      "flowguard_blocked_packets_total{chain=\"egress\",verdict=\"audit\"} 8\n"
		      "flowguard_blocked_packets_total{chain=\"ingress\",verdict=\"drop\"} 5\n"
		      "flowguard_blocked_packets_total{chain=\"ingress\",verdict=\"audit\"} 6\n");
	/* The last families, to the end of the text. */
	tail = strstr(text, "# HELP flowguard_blocked_flows ");
	assert_string_equal(
		tail,
		"# HELP flowguard_blocked_flows Blocked flows tracked now.\n"
		"# TYPE flowguard_blocked_flows gauge\n"
		"flowguard_blocked_flows 11\n"
		"# HELP flowguard_blocked_evicted_total Tracked flows dropped to make room "
		"(blocked.max-tracked).\n"
		"# TYPE flowguard_blocked_evicted_total counter\n"
		"flowguard_blocked_evicted_total 9\n"
		"# HELP flowguard_blocked_lost_total Logged packets lost before the agent read "
		"them (socket overrun, unparsable).\n"
		"# TYPE flowguard_blocked_lost_total counter\n"
		"flowguard_blocked_lost_total 10\n"
		"# HELP flowguard_blocked_listening 1 while the agent holds the NFLOG group of "
		"blocked flows.\n"
		"# TYPE flowguard_blocked_listening gauge\n"
		"flowguard_blocked_listening 1\n");
	free(text);
}

static void test_format_harvest(void **state)
{
	struct metrics_snapshot s = snapshot();
	char *text;

	(void)state;
	s.harvest = (struct metrics_harvest){
		.mode = "hold",
		.queries = 52,
		.seen = 50,
		.harvested = 20,
		.ignored = 25,
		.lost = 1,
		.rejected = { 3, 0, 1 },
		.reject_names = { "malformed", "not_answer", "chain" },
		.added = 12,
		.latency_p50_s = 0.000210,
		.latency_p99_s = 0.0019,
		.held = 44,
		.on_time = 40,
		.late = 1,
		.unheld = 3,
		.hold_p50_s = 0.00025,
		.hold_p99_s = 0.005,
	};
	text = format(&s);
	assert_family(text, "flowguard_dns_harvest_mode",
		      "# HELP flowguard_dns_harvest_mode DNS answer harvest: copy (NFLOG), hold "
		      "(NFQUEUE) or off.\n"
		      "# TYPE flowguard_dns_harvest_mode gauge\n"
		      "flowguard_dns_harvest_mode{mode=\"hold\"} 1\n");
	assert_family(text, "flowguard_dns_queries_total",
		      "# HELP flowguard_dns_queries_total DNS queries to trusted resolvers that the "
		      "agent saw leave (to match answers).\n"
		      "# TYPE flowguard_dns_queries_total counter\n"
		      "flowguard_dns_queries_total 52\n");
	assert_family(text, "flowguard_dns_answers_total",
		      "# HELP flowguard_dns_answers_total DNS answers from trusted resolvers that "
		      "the agent read, by outcome.\n"
		      "# TYPE flowguard_dns_answers_total counter\n"
		      "flowguard_dns_answers_total{result=\"harvested\"} 20\n"
		      "flowguard_dns_answers_total{result=\"ignored\"} 25\n"
		      "flowguard_dns_answers_total{result=\"lost\"} 1\n");
	assert_family(text, "flowguard_dns_answers_rejected_total",
		      "# HELP flowguard_dns_answers_rejected_total DNS answers refused: malformed, "
		      "off the question's CNAME chain, and so on.\n"
		      "# TYPE flowguard_dns_answers_rejected_total counter\n"
		      "flowguard_dns_answers_rejected_total{reason=\"malformed\"} 3\n"
		      "flowguard_dns_answers_rejected_total{reason=\"not_answer\"} 0\n"
		      "flowguard_dns_answers_rejected_total{reason=\"chain\"} 1\n");
	assert_family(text, "flowguard_dns_answer_addresses_total",
		      "# HELP flowguard_dns_answer_addresses_total Addresses that became allowed "
		      "through harvested answers.\n"
		      "# TYPE flowguard_dns_answer_addresses_total counter\n"
		      "flowguard_dns_answer_addresses_total 12\n");
	assert_family(text, "flowguard_dns_harvest_seconds",
		      "# HELP flowguard_dns_harvest_seconds From reading an answer to its sets "
		      "committed (recent answers that changed one).\n"
		      "# TYPE flowguard_dns_harvest_seconds gauge\n"
		      "flowguard_dns_harvest_seconds{quantile=\"0.5\"} 0.000210\n"
		      "flowguard_dns_harvest_seconds{quantile=\"0.99\"} 0.001900\n");
	assert_family(text, "flowguard_dns_hold_answers_total",
		      "# HELP flowguard_dns_hold_answers_total Held DNS answers by who let them go: "
		      "the agent on time, the bound, or at once.\n"
		      "# TYPE flowguard_dns_hold_answers_total counter\n"
		      "flowguard_dns_hold_answers_total{verdict=\"on_time\"} 40\n"
		      "flowguard_dns_hold_answers_total{verdict=\"late\"} 1\n"
		      "flowguard_dns_hold_answers_total{verdict=\"unheld\"} 3\n");
	assert_family(text, "flowguard_dns_hold_seconds",
		      "# HELP flowguard_dns_hold_seconds How long recent held answers waited.\n"
		      "# TYPE flowguard_dns_hold_seconds gauge\n"
		      "flowguard_dns_hold_seconds{quantile=\"0.5\"} 0.000250\n"
		      "flowguard_dns_hold_seconds{quantile=\"0.99\"} 0.005000\n");
	free(text);
}

/* No live table, no names, not listening: every family is still there, without samples. */
static void test_format_empty(void **state)
{
	struct metrics_snapshot s = { .mode = "enforce",
				      .roles = "agent",
				      .region = "",
				      .version = "0.1" };
	char *text = format(&s);
	const char *p;
	int help = 0, type = 0;

	(void)state;
	for (p = text; (p = strstr(p, "# HELP ")); p++)
		help++;
	for (p = text; (p = strstr(p, "# TYPE ")); p++)
		type++;
	assert_int_equal(help, 29);
	assert_int_equal(type, 29);
	/* No table read: out of sync; no configuration identity: no sample. */
	assert_family(text, "flowguard_config_info",
		      "# HELP flowguard_config_info The configuration the agent runs: SHA-256 of "
		      "its files, as flowguard check prints.\n"
		      "# TYPE flowguard_config_info gauge\n");
	assert_non_null(strstr(text, "\nflowguard_table_in_sync 0\n"));
	assert_family(text, "flowguard_rule_packets_total",
		      "# HELP flowguard_rule_packets_total Packets counted by each rule of table "
		      "inet flowguard.\n"
		      "# TYPE flowguard_rule_packets_total counter\n");
	assert_family(text, "flowguard_name_stale",
		      "# HELP flowguard_name_stale 1 while the name's addresses are kept past "
		      "their TTL because queries fail.\n"
		      "# TYPE flowguard_name_stale gauge\n");
	assert_non_null(strstr(text, "region=\"\","));
	assert_non_null(strstr(text, "\nflowguard_dns_harvest_mode{mode=\"off\"} 1\n"));
	assert_non_null(strstr(text, "\nflowguard_blocked_listening 0\n"));
	assert_non_null(strstr(text, "\nflowguard_blocked_packets_total{chain=\"egress\","
				     "verdict=\"drop\"} 0\n"));
	free(text);
}

/* A store row: two current addresses (TTL ends at 12 s and 15 s), one in grace. */
static void test_name_fill(void **state)
{
	struct name_addr a[3] = {
		{ .ttl_end_ms = 12000, .allowed_until_ms = 20000, .current = true },
		{ .ttl_end_ms = 15000, .allowed_until_ms = 20000, .current = true },
		{ .ttl_end_ms = 30000, .allowed_until_ms = 40000, .current = false },
	};
	struct name_state s = { .fqdn = "web.test", .addrs = a, .n_addrs = 3, .last_good_ms = 9000 };
	struct metrics_name m;

	(void)state;
	/* now 10 s (boot clock), wall 1700000000.5 s: resolved 1 s ago, 5 s of TTL left. */
	metrics_name_fill(&s, 10000, 1700000000500ULL, &m);
	assert_string_equal(m.fqdn, "web.test");
	assert_int_equal(m.addrs, 3);
	assert_true(m.ttl_remaining_s == 5.0);
	assert_true(m.last_success_s == 1699999999.5);
	assert_int_equal(m.failures, 0);
	assert_false(m.stale);
	/* Past the first TTL without failures: not stale; with one: stale. */
	metrics_name_fill(&s, 13000, 1700000003500ULL, &m);
	assert_true(m.ttl_remaining_s == 2.0);
	assert_false(m.stale);
	s.failures = 2;
	metrics_name_fill(&s, 13000, 1700000003500ULL, &m);
	assert_true(m.stale);
	assert_int_equal(m.failures, 2);
	/* Every TTL over: 0 left. Never resolved: 0. */
	metrics_name_fill(&s, 16000, 1700000006500ULL, &m);
	assert_true(m.ttl_remaining_s == 0.0);
	s.last_good_ms = 0;
	metrics_name_fill(&s, 16000, 1700000006500ULL, &m);
	assert_true(m.last_success_s == 0.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_format_info_rules),
		cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_format_applies),
		cmocka_unit_test(test_format_blocked),
		cmocka_unit_test(test_format_harvest),
		cmocka_unit_test(test_format_empty),
		cmocka_unit_test(test_name_fill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
