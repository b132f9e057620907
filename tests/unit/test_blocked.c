/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The blocked-flow store with a fake clock: aggregation, eviction, report deadlines, and
 * every kind of explanation against a small hand-built plan and a names store.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "agent/report/blocked.h"

#define S 1000ULL
/* A fake CLOCK_BOOTTIME well away from 0, and a fake wall clock (ms). */
#define T0 (1000000 * S)
#define WALL (1700000000ULL * S)

#define DROP_OUT "flowguard drop egress: "
#define AUDIT_OUT "flowguard audit egress: "
#define DROP_IN "flowguard drop ingress: "
#define AUDIT_IN "flowguard audit ingress: "

#define F_AGENT "agent -> SWP manager, 443/tcp (row 5)"
#define F_RELAY "relay (row 7): agent -> relay"
#define F_BACKUP "backup (row 9): agent -> backup"
#define F_HEART "heartbeat (row 2): manager -> agent"

static const struct names_opts opts = {
	.min_ttl_ms = 10 * S,
	.max_ttl_ms = 3600 * S,
	.grace_ms = 60 * S,
	.max_stale_ms = 3600 * S,
	.max_addresses = 8,
	.jitter_seed = 1,
};

/* The plan, the names store and the time, as blocked_explain() sees them. */
struct world {
	struct plan plan;
	struct names *names;
	struct blocked_ctx ctx;
};

static struct rs_addr addr(const char *s)
{
	struct rs_addr a;

	assert_int_equal(rs_addr_parse(s, &a), 0);
	return a;
}

static void add_elems(struct ruleset *rs, const char *name, uint8_t family, bool dynamic,
		      const char *elems)
{
	struct rs_set *s = ruleset_add_set(rs, name, family,
					   dynamic ? RS_SET_TIMEOUT : RS_SET_INTERVAL);
	char buf[256], *tok, *save = NULL;
	struct rs_elem el;

	assert_non_null(s);
	s->dynamic = dynamic;
	snprintf(buf, sizeof(buf), "%s", elems);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		memset(&el, 0, sizeof(el));
		el.addr = addr(tok);
		assert_int_equal(rs_set_add_elem(s, &el), 0);
	}
	rs_set_sort(s);
}

/* [dir @set] proto dport accept comment "..." */
static struct rs_rule *add_rule(struct rs_chain *c, enum rs_dir dir, const char *set, uint8_t l4,
				uint16_t dport, const char *comment)
{
	struct rs_rule *r = rs_chain_add_rule(c);

	assert_non_null(r);
	r->set_dir = set ? dir : RS_DIR_NONE;
	assert_int_equal(rs_strset(&r->set, set), 0);
	r->l4proto = l4;
	r->dport = dport;
	r->verdict = RS_VERDICT_ACCEPT;
	assert_int_equal(rs_strset(&r->comment, comment), 0);
	return r;
}

/* The final rules: the log rule (no verdict) and the drop. */
static void add_final(struct rs_chain *c, const char *prefix)
{
	struct rs_rule *r = rs_chain_add_rule(c);

	assert_int_equal(rs_strset(&r->log_prefix, prefix), 0);
	assert_int_equal(rs_strset(&r->comment, "log what is blocked (rate-limited)"), 0);
	r = rs_chain_add_rule(c);
	r->verdict = RS_VERDICT_DROP;
	assert_int_equal(rs_strset(&r->comment, "enforce: not an allowed flow"), 0);
}

static struct fqdn_binding bindings[] = {
	{ "agents.de-1.example", "agents_names_v4", "agents_names_v6" },
	{ "old.example", "agents_names_v4", "agents_names_v6" },
};

static void build_plan(struct world *w)
{
	struct ruleset *rs = ruleset_new("flowguard");
	struct rs_chain *c;
	struct rs_rule *r;

	assert_non_null(rs);
	add_elems(rs, "relay_v4", AF_INET, false, "192.0.2.0/24 198.51.100.7");
	add_elems(rs, "relay_v6", AF_INET6, false, "2001:db8::/32");
	add_elems(rs, "backup_v4", AF_INET, false, "10.99.0.5");
	add_elems(rs, "agents_names_v4", AF_INET, true, "");
	add_elems(rs, "agents_names_v6", AF_INET6, true, "");

	c = ruleset_add_chain(rs, "egress", RS_HOOK_OUTPUT, 0, RS_VERDICT_DROP);
	assert_non_null(c);
	r = add_rule(c, RS_DIR_NONE, NULL, 0, 0, "replies and live connections");
	r->ct_state = RS_CT_ESTABLISHED | RS_CT_RELATED;
	r = add_rule(c, RS_DIR_NONE, NULL, 0, 0, "loopback");
	snprintf(r->oifname, sizeof(r->oifname), "lo");
	add_rule(c, RS_DIR_DST, "agents_names_v4", IPPROTO_TCP, 443, F_AGENT);
	add_rule(c, RS_DIR_DST, "agents_names_v6", IPPROTO_TCP, 443, F_AGENT);
	add_rule(c, RS_DIR_DST, "relay_v4", IPPROTO_TCP, 443, F_RELAY);
	add_rule(c, RS_DIR_DST, "relay_v6", IPPROTO_TCP, 443, F_RELAY);
	add_rule(c, RS_DIR_DST, "backup_v4", IPPROTO_TCP, 873, F_BACKUP);
	add_final(c, DROP_OUT);

	c = ruleset_add_chain(rs, "ingress", RS_HOOK_INPUT, 0, RS_VERDICT_DROP);
	assert_non_null(c);
	add_rule(c, RS_DIR_SRC, "relay_v4", IPPROTO_TCP, 4118, F_HEART);
	add_final(c, DROP_IN);

	memset(&w->plan, 0, sizeof(w->plan));
	w->plan.rs = rs;
	w->plan.names = bindings;
	w->plan.n_names = 2;
}

static void feed(struct names *ns, const char *fqdn, const char *a, uint64_t now)
{
	struct rs_addr v[1];
	struct res_answer ans = { 0 };
	struct names_event ev;

	v[0] = addr(a);
	ans.fqdn = fqdn;
	ans.addrs = v;
	ans.n_addrs = 1;
	ans.ttl = 60;
	assert_int_equal(names_answer(ns, &ans, now, &ev), 0);
}

/*
 * agents.de-1.example has 203.0.113.10 (last answer T0 + 400 s); old.example had 10.99.0.5
 * until T0 + 120 s (TTL 60 s, grace 60 s), then 203.0.113.99. The clock stands at T0 + 420 s.
 */
static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	build_plan(w);
	assert_int_equal(names_new(&w->plan, &opts, &w->names), 0);
	feed(w->names, "agents.de-1.example", "203.0.113.10", T0);
	feed(w->names, "old.example", "10.99.0.5", T0);
	feed(w->names, "old.example", "203.0.113.99", T0 + 10 * S);
	names_expire(w->names, T0 + 120 * S);
	feed(w->names, "agents.de-1.example", "203.0.113.10", T0 + 400 * S);
	w->ctx.plan = &w->plan;
	w->ctx.names = w->names;
	w->ctx.now_ms = T0 + 420 * S;
	w->ctx.wall_ms = WALL;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	names_free(w->names);
	ruleset_free(w->plan.rs);
	free(w);
	return 0;
}

static struct nflog_pkt pkt(const char *prefix, uint8_t l4, const char *src, uint16_t sport,
			    const char *dst, uint16_t dport)
{
	struct nflog_pkt p;

	memset(&p, 0, sizeof(p));
	snprintf(p.prefix, sizeof(p.prefix), "%s", prefix);
	p.saddr = addr(src);
	p.daddr = addr(dst);
	p.l4proto = l4;
	p.sport = sport;
	p.dport = dport;
	p.icmp_type = -1;
	p.has_uid = true;
	p.uid = 0;
	p.len = 60;
	return p;
}

static struct nflog_pkt tcp_out(const char *dst, uint16_t dport)
{
	return pkt(DROP_OUT, IPPROTO_TCP, "10.0.0.1", 40000, dst, dport);
}

/* Adds p at the world's clock; returns the entry, *is_new as blocked_add says. */
static struct blocked_entry *add(struct blocked *b, const struct world *w,
				 const struct nflog_pkt *p, bool *is_new)
{
	struct blocked_entry *e = NULL;
	bool n;

	assert_int_equal(blocked_add(b, p, &w->ctx, &e, is_new ? is_new : &n), 0);
	return e;
}

/* The explanation of a packet on its own. */
static struct blocked_why explain(const struct world *w, const struct nflog_pkt *p)
{
	struct blocked_entry *e;
	struct blocked *b;
	struct blocked_why why;

	assert_int_equal(blocked_new(4, &b), 0);
	e = add(b, w, p, NULL);
	assert_non_null(e);
	blocked_explain(&w->ctx, e, &why);
	assert_string_equal(why.text, e->why.text);
	blocked_free(b);
	return why;
}

static const char *format(const struct blocked_entry *e)
{
	static char buf[1024];

	blocked_format(e, buf, sizeof(buf));
	return buf;
}

/* ---- aggregation and memory ---- */

static void test_new_invalid(void **state)
{
	struct blocked *b = NULL;

	(void)state;
	assert_int_equal(blocked_new(0, &b), -EINVAL);
	assert_int_equal(blocked_new((size_t)1 << 25, &b), -EINVAL);
	assert_null(b);
	blocked_free(NULL);
}

static void test_aggregate(void **state)
{
	struct world *w = *state;
	struct nflog_pkt p = tcp_out("8.8.8.8", 9999);
	struct blocked_entry *e, *e2;
	struct blocked *b;
	bool is_new;

	assert_int_equal(blocked_new(16, &b), 0);
	e = add(b, w, &p, &is_new);
	assert_true(is_new);
	assert_int_equal(e->packets, 1);
	assert_int_equal(e->first_wall_ms, WALL);

	/* Same key from another source port, later: the same entry, first 5-tuple kept. */
	p.sport = 40001;
	p.len = 100;
	w->ctx.now_ms += 5 * S;
	w->ctx.wall_ms += 5 * S;
	e2 = add(b, w, &p, &is_new);
	assert_false(is_new);
	assert_ptr_equal(e, e2);
	assert_int_equal(e->packets, 2);
	assert_int_equal(e->bytes, 160);
	assert_int_equal(e->sport, 40000);
	assert_int_equal(e->first_wall_ms, WALL);
	assert_int_equal(e->last_wall_ms, WALL + 5 * S);
	assert_int_equal(e->last_ms, T0 + 425 * S);
	assert_int_equal(blocked_count(b), 1);

	/* Another port, another chain, audit, another protocol: four more keys. */
	p.dport = 9998;
	assert_true(add(b, w, &p, &is_new) && is_new);
	p = pkt(DROP_IN, IPPROTO_TCP, "8.8.8.8", 9999, "10.0.0.1", 40000);
	assert_true(add(b, w, &p, &is_new) && is_new);
	p = pkt(AUDIT_OUT, IPPROTO_TCP, "10.0.0.1", 40000, "8.8.8.8", 9999);
	assert_true(add(b, w, &p, &is_new) && is_new);
	p = pkt(DROP_OUT, IPPROTO_UDP, "10.0.0.1", 40000, "8.8.8.8", 9999);
	assert_true(add(b, w, &p, &is_new) && is_new);
	assert_int_equal(blocked_count(b), 5);
	/* Ingress aggregates by the remote source: another source port is the same entry. */
	p = pkt(DROP_IN, IPPROTO_TCP, "8.8.8.8", 1234, "10.0.0.1", 40000);
	assert_true(add(b, w, &p, &is_new) && !is_new);
	assert_int_equal(blocked_count(b), 5);
	assert_int_equal(blocked_get_stats(b)->entries_created, 5);
	assert_int_equal(blocked_get_stats(b)->packets[1][0], 4);
	assert_int_equal(blocked_get_stats(b)->packets[0][0], 2);
	assert_int_equal(blocked_get_stats(b)->packets[1][1], 1);
	assert_int_equal(blocked_get_stats(b)->packets[0][1], 0);
	/* Most recent first. */
	assert_false(blocked_get(b, 0)->egress);
	assert_int_equal(blocked_get(b, 4)->dport, 9999);
	assert_true(blocked_get(b, 4)->egress);
	assert_null(blocked_get(b, 5));
	blocked_free(b);
}

static void test_icmp_by_type(void **state)
{
	struct world *w = *state;
	struct nflog_pkt p = pkt(DROP_OUT, IPPROTO_ICMP, "10.0.0.1", 0, "8.8.8.8", 0);
	struct blocked *b;
	bool is_new;

	assert_int_equal(blocked_new(16, &b), 0);
	p.icmp_type = 8;
	assert_true(add(b, w, &p, &is_new) && is_new);
	assert_true(add(b, w, &p, &is_new) && !is_new);
	p.icmp_type = 3;
	assert_true(add(b, w, &p, &is_new) && is_new);
	assert_int_equal(blocked_count(b), 2);
	blocked_free(b);
}

static void test_foreign(void **state)
{
	struct world *w = *state;
	struct nflog_pkt p = tcp_out("8.8.8.8", 9999);
	struct blocked_entry dummy, *e = &dummy;
	struct blocked *b;
	bool is_new = true;

	assert_int_equal(blocked_new(16, &b), 0);
	snprintf(p.prefix, sizeof(p.prefix), "someone else: ");
	assert_int_equal(blocked_add(b, &p, &w->ctx, &e, &is_new), 0);
	assert_null(e);
	assert_false(is_new);
	/* Ours, but without the trailing space: not ours. */
	snprintf(p.prefix, sizeof(p.prefix), "flowguard drop egress:");
	assert_int_equal(blocked_add(b, &p, &w->ctx, &e, &is_new), 0);
	assert_null(e);
	assert_int_equal(blocked_count(b), 0);
	assert_int_equal(blocked_get_stats(b)->foreign, 2);
	assert_int_equal(blocked_get_stats(b)->packets[1][0], 0);
	assert_int_equal(blocked_next_deadline(b), UINT64_MAX);
	blocked_count_lost(b, 3);
	blocked_count_lost(b, 4);
	assert_int_equal(blocked_get_stats(b)->lost, 7);
	blocked_free(b);
}

/* Full: the entry seen least recently goes, and is counted. */
static void test_evict(void **state)
{
	struct world *w = *state;
	struct nflog_pkt a = tcp_out("8.8.8.1", 1), b2 = tcp_out("8.8.8.2", 1);
	struct nflog_pkt c = tcp_out("8.8.8.3", 1);
	struct blocked *b;
	bool is_new;

	assert_int_equal(blocked_new(2, &b), 0);
	add(b, w, &a, NULL);
	add(b, w, &b2, NULL);
	add(b, w, &a, NULL); /* a is now the most recent */
	assert_true(add(b, w, &c, &is_new) && is_new);
	assert_int_equal(blocked_count(b), 2);
	assert_int_equal(blocked_get_stats(b)->evicted, 1);
	assert_int_equal(blocked_get_stats(b)->entries_created, 3);
	assert_string_equal(format(blocked_get(b, 0)) + strlen("blocked tcp 10.0.0.1:40000 -> "),
			    "8.8.8.3:1 (egress, uid 0): no flow allows this address or tcp/1");
	assert_int_equal(blocked_get(b, 1)->daddr.addr[3], 1);
	assert_int_equal(blocked_get(b, 1)->packets, 2);
	/* b was evicted: it comes back as new, and a, now the least recent, goes. */
	assert_true(add(b, w, &b2, &is_new) && is_new);
	assert_int_equal(blocked_get_stats(b)->evicted, 2);
	assert_true(add(b, w, &b2, &is_new) && !is_new);
	assert_int_equal(blocked_get(b, 1)->daddr.addr[3], 3);
	blocked_free(b);
}

/* 100,000 packets over 10,000 keys into 1024 slots; then a flood to one key. */
static void test_flood(void **state)
{
	struct world *w = *state;
	struct nflog_pkt p = tcp_out("10.0.0.0", 80);
	const struct blocked_stats *st;
	struct blocked_entry *e = NULL;
	struct blocked *b;
	bool is_new;
	int i;

	assert_int_equal(blocked_new(1024, &b), 0);
	st = blocked_get_stats(b);
	for (i = 0; i < 100000; i++) {
		p.daddr.addr[2] = (uint8_t)((i % 10000) >> 8);
		p.daddr.addr[3] = (uint8_t)(i % 10000);
		add(b, w, &p, NULL);
		assert_true(blocked_count(b) <= 1024);
	}
	assert_int_equal(blocked_count(b), 1024);
	assert_int_equal(st->entries_created - st->evicted, 1024);
	assert_int_equal(st->packets[1][0], 100000);
	/* The most recent 1024 keys are all there, each once. */
	for (i = 9999; i >= 10000 - 1024; i--) {
		p.daddr.addr[2] = (uint8_t)(i >> 8);
		p.daddr.addr[3] = (uint8_t)i;
		assert_true(add(b, w, &p, &is_new) && !is_new);
	}
	p = tcp_out("192.0.2.77", 9);
	for (i = 0; i < 100000; i++)
		e = add(b, w, &p, NULL);
	assert_int_equal(e->packets, 100000);
	assert_int_equal(blocked_count(b), 1024);
	blocked_free(b);
}

/* ---- reporting ---- */

static void count_cb(void *data, const struct blocked_entry *e, uint64_t new_packets)
{
	uint64_t *v = data;

	(void)e;
	v[0]++;
	v[1] += new_packets;
}

static void test_deadlines(void **state)
{
	struct world *w = *state;
	struct nflog_pkt p = tcp_out("8.8.8.8", 9999);
	uint64_t got[2] = { 0, 0 }, t = w->ctx.now_ms;
	struct blocked_entry *e;
	struct blocked *b;
	bool is_new;

	assert_int_equal(blocked_new(16, &b), 0);
	assert_int_equal(blocked_next_deadline(b), UINT64_MAX);
	e = add(b, w, &p, &is_new);
	assert_true(is_new);
	/* Not yet logged: due at once. */
	assert_int_equal(blocked_next_deadline(b), t);
	blocked_mark_reported(e, t);
	assert_int_equal(blocked_next_deadline(b), UINT64_MAX);

	/* Repeats: one summary 60 s after the first line, with their count. */
	w->ctx.now_ms = t + 1 * S;
	add(b, w, &p, NULL);
	w->ctx.now_ms = t + 30 * S;
	add(b, w, &p, NULL);
	add(b, w, &p, NULL);
	assert_int_equal(blocked_next_deadline(b), t + BLOCKED_REPORT_MS);
	blocked_flush(b, t + BLOCKED_REPORT_MS - 1, count_cb, got);
	assert_int_equal(got[0], 0);
	blocked_flush(b, t + BLOCKED_REPORT_MS, count_cb, got);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[1], 3);
	assert_int_equal(e->reported, 4);
	/* Idle: nothing pending, no wake-up, nothing flushed. */
	assert_int_equal(blocked_next_deadline(b), UINT64_MAX);
	blocked_flush(b, t + 1000 * S, count_cb, got);
	assert_int_equal(got[0], 1);

	/* A repeat long after the last line is due at once (its interval has passed). */
	w->ctx.now_ms = t + 1000 * S;
	add(b, w, &p, NULL);
	assert_int_equal(blocked_next_deadline(b), t + 2 * BLOCKED_REPORT_MS);
	blocked_flush(b, w->ctx.now_ms, count_cb, got);
	assert_int_equal(got[0], 2);
	assert_int_equal(got[1], 4);

	/* An entry nobody logged is flushed with its count. */
	p.dport = 1;
	add(b, w, &p, NULL);
	add(b, w, &p, NULL);
	blocked_flush(b, w->ctx.now_ms, count_cb, got);
	assert_int_equal(got[0], 3);
	assert_int_equal(got[1], 6);
	assert_int_equal(blocked_next_deadline(b), UINT64_MAX);
	blocked_free(b);
}

/* ---- explanations ---- */

static void test_explain_past_name(void **state)
{
	struct world *w = *state;
	struct nflog_pkt p = tcp_out("10.99.0.5", 9090);
	struct blocked_why why = explain(w, &p);

	assert_string_equal(why.text, "10.99.0.5 was old.example until 5 min ago; tcp/9090 is "
				      "not allowed to any destination; closest flow: " F_BACKUP
				      " (tcp/873 to this address)");
	assert_string_equal(why.name, "old.example");
	assert_false(why.name_current);
	assert_int_equal(why.name_until_wall_ms, WALL - 300 * S);
	assert_string_equal(why.port_flows, "");
	assert_string_equal(why.closest, F_BACKUP " (tcp/873 to this address)");

	/* The age in other units. */
	w->ctx.now_ms = T0 + 120 * S + 42 * S;
	assert_non_null(strstr(explain(w, &p).text, "until 42 s ago"));
	w->ctx.now_ms = T0 + 120 * S + 3 * 3600 * S + 5;
	assert_non_null(strstr(explain(w, &p).text, "until 3 h ago"));
	w->ctx.now_ms = T0 + 120 * S + 23 * 3600 * S;
	assert_non_null(strstr(explain(w, &p).text, "until 23 h ago"));
	/* A day later the name is forgotten; the address is still the backup's. */
	w->ctx.now_ms = T0 + 120 * S + NAMES_PAST_MS;
	assert_string_equal(explain(w, &p).text,
			    "tcp/9090 is not allowed to any destination; "
			    "closest flow: " F_BACKUP " (tcp/873 to this address)");
}

static void test_explain_current_wrong_port(void **state)
{
	struct world *w = *state;
	struct nflog_pkt p = tcp_out("203.0.113.10", 8443);
	struct blocked_why why = explain(w, &p);

	assert_string_equal(why.text,
			    "203.0.113.10 is agents.de-1.example (current answer); "
			    "tcp/8443 is not allowed to any destination; closest flow: " F_AGENT
			    " (tcp/443 to this address)");
	assert_string_equal(why.name, "agents.de-1.example");
	assert_true(why.name_current);
	assert_int_equal(why.name_until_wall_ms, 0);
}

/* An address that left the answer but is still in grace counts as current. */
static void test_explain_grace_is_current(void **state)
{
	struct world *w = *state;
	struct nflog_pkt p = tcp_out("203.0.113.99", 22);
	struct blocked_why why;

	/* .99 leaves the answer at T0 + 410 s: in grace until T0 + 460 s + 60 s. */
	feed(w->names, "old.example", "203.0.113.99", T0 + 400 * S);
	feed(w->names, "old.example", "203.0.113.100", T0 + 410 * S);
	why = explain(w, &p);
	assert_true(why.name_current);
	assert_string_equal(why.text, "203.0.113.99 is old.example (current answer); tcp/22 is "
				      "not allowed to any destination; closest flow: " F_AGENT
				      " (tcp/443 to this address)");
}

static void test_explain_port_elsewhere(void **state)
{
	struct world *w = *state;
	struct nflog_pkt p = tcp_out("8.8.8.8", 443);
	struct blocked_why why = explain(w, &p);

	/* Each flow once, though each has a v4 and a v6 rule. */
	assert_string_equal(why.port_flows, F_AGENT ", " F_RELAY);
	assert_string_equal(why.text,
			    "tcp/443 is allowed to other destinations: " F_AGENT ", " F_RELAY);
	assert_string_equal(why.closest, F_AGENT " (tcp/443 to other destinations)");
	assert_string_equal(why.name, "");
}

/*
 * Many flows on one port: every one is named, by its tag ("flow-3 (row 13)") when the
 * full comments do not fit, never left out in silence.
 */
static void test_explain_every_port_flow(void **state)
{
	struct world *w = *state;
	struct nflog_pkt p = tcp_out("8.8.8.8", 443);
	struct rs_chain *c = ruleset_find_chain(w->plan.rs, "egress");
	struct blocked_why why;
	char comment[160], tag[48];
	int i;

	for (i = 1; i <= 8; i++) {
		snprintf(comment, sizeof(comment),
			 "flow-%d (row %d): Agents -> a destination "
			 "whose title takes quite a few bytes, number %d",
			 i, 10 + i, i);
		add_rule(c, RS_DIR_DST, "relay_v4", IPPROTO_TCP, 443, comment);
	}
	why = explain(w, &p);
	for (i = 1; i <= 8; i++) {
		snprintf(tag, sizeof(tag), "flow-%d (row %d)", i, 10 + i);
		assert_non_null(strstr(why.port_flows, tag));
		assert_non_null(strstr(why.text, tag));
	}
	assert_null(strstr(why.port_flows, "more"));
	assert_null(strstr(why.port_flows, "Agents -> a destination"));
	assert_non_null(strstr(why.port_flows, "relay (row 7)"));
}

/* A static set holding the address through a prefix. */
static void test_explain_closest_by_address(void **state)
{
	struct world *w = *state;
	struct nflog_pkt p = tcp_out("192.0.2.55", 22);
	struct blocked_why why = explain(w, &p);

	assert_string_equal(why.text,
			    "tcp/22 is not allowed to any destination; closest flow: " F_RELAY
			    " (tcp/443 to this address)");
	p = tcp_out("198.51.100.7", 22);
	assert_string_equal(explain(w, &p).closest, F_RELAY " (tcp/443 to this address)");
	/* Just outside the prefix, and a neighbour of the single address: nothing. */
	p = tcp_out("192.0.3.1", 22);
	assert_string_equal(explain(w, &p).text, "no flow allows this address or tcp/22");
	p = tcp_out("198.51.100.8", 22);
	assert_string_equal(explain(w, &p).closest, "");
	p = pkt(DROP_OUT, IPPROTO_TCP, "2001:db8:ffff::1", 40000, "2001:db8:1::5", 22);
	assert_string_equal(explain(w, &p).closest, F_RELAY " (tcp/443 to this address)");
}

static void test_explain_nothing(void **state)
{
	struct world *w = *state;
	struct nflog_pkt p = tcp_out("8.8.8.8", 9999);
	struct blocked_why why = explain(w, &p);

	assert_string_equal(why.text, "no flow allows this address or tcp/9999");
	assert_string_equal(why.name, "");
	assert_string_equal(why.port_flows, "");
	assert_string_equal(why.closest, "");
	/* The loopback and ct rules allow "anything", but they are no flows. */
	p = pkt(DROP_OUT, IPPROTO_UDP, "10.0.0.1", 5353, "8.8.8.8", 53);
	assert_string_equal(explain(w, &p).text, "no flow allows this address or udp/53");
}

static void test_explain_ingress(void **state)
{
	struct world *w = *state;
	struct nflog_pkt p = pkt(DROP_IN, IPPROTO_TCP, "192.0.2.9", 5000, "10.0.0.1", 4119);
	struct blocked_why why = explain(w, &p);

	assert_string_equal(why.text,
			    "tcp/4119 is not allowed from any source; closest flow: " F_HEART
			    " (tcp/4118 from this address)");
	p = pkt(DROP_IN, IPPROTO_TCP, "8.8.8.8", 5000, "10.0.0.1", 4118);
	assert_string_equal(explain(w, &p).text,
			    "tcp/4118 is allowed from other sources: " F_HEART);
	/* Egress flows say nothing about ingress. */
	p = pkt(DROP_IN, IPPROTO_TCP, "8.8.8.8", 5000, "10.0.0.1", 443);
	assert_string_equal(explain(w, &p).text, "no flow allows this address or tcp/443");
}

/* A new plan or DNS change: reexplain picks it up. */
static void test_reexplain(void **state)
{
	struct world *w = *state;
	struct nflog_pkt p = tcp_out("8.8.8.8", 9999);
	struct blocked_entry *e;
	struct blocked *b;

	assert_int_equal(blocked_new(4, &b), 0);
	e = add(b, w, &p, NULL);
	assert_string_equal(e->why.text, "no flow allows this address or tcp/9999");
	feed(w->names, "agents.de-1.example", "8.8.8.8", w->ctx.now_ms);
	blocked_reexplain(b, &w->ctx);
	assert_string_equal(e->why.text, "8.8.8.8 is agents.de-1.example (current answer); "
					 "tcp/9999 is not allowed to any destination; closest "
					 "flow: " F_AGENT " (tcp/443 to this address)");
	/* Without a plan or names, there is still a sentence. */
	w->ctx.plan = NULL;
	w->ctx.names = NULL;
	blocked_reexplain(b, &w->ctx);
	assert_string_equal(e->why.text, "no flow allows this address or tcp/9999");
	blocked_free(b);
}

/* ---- the log line ---- */

static void test_format(void **state)
{
	struct world *w = *state;
	struct nflog_pkt p = tcp_out("8.8.8.8", 9999);
	struct blocked *b;

	assert_int_equal(blocked_new(16, &b), 0);
	assert_string_equal(format(add(b, w, &p, NULL)),
			    "blocked tcp 10.0.0.1:40000 -> 8.8.8.8:9999 (egress, uid 0): "
			    "no flow allows this address or tcp/9999");
	p = pkt(AUDIT_OUT, IPPROTO_UDP, "10.0.0.1", 5000, "8.8.8.8", 9999);
	p.uid = 1000;
	assert_string_equal(format(add(b, w, &p, NULL)),
			    "would block udp 10.0.0.1:5000 -> 8.8.8.8:9999 (egress, uid 1000): "
			    "no flow allows this address or udp/9999");
	p = pkt(AUDIT_IN, IPPROTO_TCP, "2001:db8:1::5", 40000, "2001:db8::1", 4118);
	p.has_uid = false;
	assert_string_equal(format(add(b, w, &p, NULL)),
			    "would block tcp [2001:db8:1::5]:40000 -> [2001:db8::1]:4118 "
			    "(ingress): tcp/4118 is allowed from other sources: " F_HEART);
	assert_int_equal(blocked_get_stats(b)->packets[0][1], 1);
	p = pkt(DROP_OUT, IPPROTO_ICMPV6, "2001:db8::1", 0, "2001:db8:1::5", 0);
	p.icmp_type = 128;
	assert_string_equal(format(add(b, w, &p, NULL)),
			    "blocked icmpv6 2001:db8::1 -> 2001:db8:1::5 type 128 (egress, uid 0): "
			    "icmpv6 type 128 is not allowed to any destination; closest flow: " F_RELAY
			    " (tcp/443 to this address)");
	p = pkt(DROP_OUT, IPPROTO_ICMP, "10.0.0.1", 0, "8.8.8.8", 0);
	p.icmp_type = 8;
	assert_string_equal(format(add(b, w, &p, NULL)),
			    "blocked icmp 10.0.0.1 -> 8.8.8.8 type 8 (egress, uid 0): "
			    "no flow allows this address or icmp type 8");
	p = pkt(DROP_OUT, 47, "10.0.0.1", 0, "8.8.8.8", 0);
	assert_string_equal(format(add(b, w, &p, NULL)),
			    "blocked proto 47 10.0.0.1 -> 8.8.8.8 (egress, uid 0): "
			    "no flow allows this address or proto 47");
	blocked_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_invalid),
		cmocka_unit_test_setup_teardown(test_aggregate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_by_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadlines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explain_past_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explain_current_wrong_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explain_grace_is_current, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explain_port_elsewhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explain_every_port_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explain_closest_by_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explain_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explain_ingress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reexplain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
