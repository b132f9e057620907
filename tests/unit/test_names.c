/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The names store with a fake clock: every rule of names.h as a table or a scenario,
 * and the state file (round trip, damage, filters, wall-clock jumps).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/unit_text.h"

#include "agent/dns/names.h"

/* Tables leave trailing fields out on purpose. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define S 1000ULL
/* A fake CLOCK_BOOTTIME well away from 0, and a fake wall clock. */
#define T0 (1000000 * S)
#define WALL 1700000000ULL

#define GRACE (60 * S)
#define STALE (3600 * S)

/*
 * Allocation failure injection (test_names.ldflags wraps these for the library objects):
 * while armed, allocation number alloc_fail_at fails.
 */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t sz);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t sz);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static long alloc_fail_at = -1;
static long alloc_count;

static bool alloc_fails(void)
{
	return alloc_fail_at >= 0 && alloc_count++ == alloc_fail_at;
}

void *__wrap_malloc(size_t n)
{
	return alloc_fails() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t sz)
{
	return alloc_fails() ? NULL : __real_calloc(n, sz);
}

void *__wrap_realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return alloc_fails() ? NULL : __real_strdup(s);
}

static const struct names_opts opts_default = {
	.min_ttl_ms = 10 * S,
	.max_ttl_ms = 3600 * S,
	.grace_ms = GRACE,
	.max_stale_ms = STALE,
	.max_addresses = 8,
	.jitter_seed = 42,
};

/* a and b share the web sets; c feeds its own; a also feeds the api sets. */
static struct fqdn_binding bindings[] = {
	{ "b.example", "web_v4", "web_v6" },
	{ "a.example", "web_v4", "web_v6" },
	{ "c.example", "c_v4", "c_v6" },
	{ "a.example", "api_v4", "api_v6" },
};

static struct plan plan_of(struct fqdn_binding *b, size_t n)
{
	struct plan p = { 0 };

	p.names = b;
	p.n_names = n;
	return p;
}

static struct names *store(const struct names_opts *o)
{
	struct plan p = plan_of(bindings, 4);
	struct names *ns = NULL;

	assert_int_equal(names_new(&p, o ? o : &opts_default, &ns), 0);
	return ns;
}

static const struct name_state *state_of(const struct names *ns, const char *fqdn)
{
	size_t i;

	for (i = 0; i < names_count(ns); i++)
		if (!strcmp(names_get(ns, i)->fqdn, fqdn))
			return names_get(ns, i);
	fail_msg("no name '%s'", fqdn);
	return NULL;
}

static const struct name_addr *addr_of(const struct names *ns, const char *fqdn, const char *addr)
{
	const struct name_state *st = state_of(ns, fqdn);
	struct rs_addr a;
	size_t i;

	assert_int_equal(rs_addr_parse(addr, &a), 0);
	for (i = 0; i < st->n_addrs; i++)
		if (!rs_addr_cmp(&st->addrs[i].addr, &a))
			return &st->addrs[i];
	return NULL;
}

/* Feeds an answer; addrs is space-separated text. Returns names_answer()'s result. */
static int answer(struct names *ns, const char *fqdn, int status, uint32_t ttl, const char *addrs,
		  uint64_t now, struct names_event *ev)
{
	struct rs_addr v[64];
	struct res_answer a = { 0 };
	char buf[1024], *tok, *save = NULL;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", addrs ? addrs : "");
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		assert_int_equal(rs_addr_parse(tok, &v[n++]), 0);
	a.fqdn = fqdn;
	a.status = status;
	a.addrs = v;
	a.n_addrs = n;
	a.ttl = ttl;
	return names_answer(ns, &a, now, ev);
}

static void answer_ok(struct names *ns, const char *fqdn, uint32_t ttl, const char *addrs,
		      uint64_t now, struct names_event *ev)
{
	struct names_event e;

	assert_int_equal(answer(ns, fqdn, 0, ttl, addrs, now, ev ? ev : &e), 0);
}

/* The name's addresses allowed at now, as text in store order. */
static const char *held(const struct names *ns, const char *fqdn, uint64_t now)
{
	static char buf[1024];
	const struct name_state *st = state_of(ns, fqdn);
	char a[64];
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < st->n_addrs; i++) {
		if (st->addrs[i].allowed_until_ms <= now)
			continue;
		strcat(buf, buf[0] ? " " : "");
		strcat(buf, rs_addr_format(&st->addrs[i].addr, a, sizeof(a)));
	}
	return buf;
}

/* names_fill_set() as "addr/timeout_s/comment ..." */
static const char *filled(const struct names *ns, const char *set, uint64_t now)
{
	static char buf[2048];
	struct rs_set s = { 0 };
	char a[64], one[256];
	size_t i;

	assert_int_equal(names_fill_set(ns, set, now, &s), 0);
	buf[0] = '\0';
	for (i = 0; i < s.n_elems; i++) {
		snprintf(one, sizeof(one), "%s%s/%llu/%s", i ? " " : "",
			 rs_addr_format(&s.elems[i].addr, a, sizeof(a)),
			 (unsigned long long)(s.elems[i].timeout_ms / S), s.elems[i].comment);
		strcat(buf, one);
	}
	for (i = 0; i < s.n_elems; i++)
		free(s.elems[i].comment);
	free(s.elems);
	return buf;
}

/* ---- construction ---- */

static void test_new(void **state)
{
	struct fqdn_binding clash[] = { { "x.example", "s", "s6" }, { "y.example", "s6", "s" } };
	/* Bound twice to the same sets, and a name with a v4 set only. */
	struct fqdn_binding odd[] = { { "x.example", "s", "s6" },
				      { "x.example", "s", "s6" },
				      { "y.example", "s", NULL } };
	struct names_opts o = opts_default;
	struct names *ns = NULL;
	struct plan p;
	struct rs_set s = { 0 };

	(void)state;
	ns = store(NULL);
	assert_int_equal(names_count(ns), 3);
	assert_string_equal(names_get(ns, 0)->fqdn, "a.example");
	assert_string_equal(names_get(ns, 1)->fqdn, "b.example");
	assert_string_equal(names_get(ns, 2)->fqdn, "c.example");
	assert_null(names_get(ns, 3));
	assert_int_equal(names_fill_set(ns, "nosuch", T0, &s), -ENOENT);
	assert_int_equal(names_fill_set(ns, "api_v6", T0, &s), 0);
	assert_int_equal(s.n_elems, 0);
	free(s.elems);
	names_free(ns);
	names_free(NULL);

	p = plan_of(odd, 3);
	assert_int_equal(names_new(&p, &opts_default, &ns), 0);
	assert_int_equal(names_count(ns), 2);
	answer_ok(ns, "x.example", 60, "192.0.2.1 2001:db8::1", T0, NULL);
	answer_ok(ns, "y.example", 60, "192.0.2.1 2001:db8::2", T0, NULL);
	assert_string_equal(filled(ns, "s", T0), "192.0.2.1/120/x.example");
	assert_string_equal(filled(ns, "s6", T0), "2001:db8::1/120/x.example");
	names_free(ns);

	/* A set bound as v4 by one name and v6 by another is a compiler bug. */
	p = plan_of(clash, 2);
	ns = NULL;
	assert_int_equal(names_new(&p, &opts_default, &ns), -EINVAL);
	assert_null(ns);
	p = plan_of(bindings, 4);
	o.min_ttl_ms = o.max_ttl_ms + 1;
	assert_int_equal(names_new(&p, &o, &ns), -EINVAL);
	o = opts_default;
	o.max_addresses = 0;
	assert_int_equal(names_new(&p, &o, &ns), -EINVAL);
	assert_null(ns);
}

/* ---- TTL clamp ---- */

static void test_ttl_clamp(void **state)
{
	static const struct {
		uint32_t ttl;
		uint64_t want_ms;
	} cases[] = {
		{ 0, 10 * S },	     { 1, 10 * S },
		{ 9, 10 * S },	     { 10, 10 * S },
		{ 11, 11 * S },	     { 300, 300 * S },
		{ 3600, 3600 * S },  { 3601, 3600 * S },
		{ 86400, 3600 * S }, { UINT32_MAX, 3600 * S },
	};
	const struct name_addr *a;
	struct names *ns;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ns = store(NULL);
		answer_ok(ns, "a.example", cases[i].ttl, "192.0.2.1", T0, NULL);
		a = addr_of(ns, "a.example", "192.0.2.1");
		assert_non_null(a);
		assert_int_equal(state_of(ns, "a.example")->ttl_s, cases[i].want_ms / S);
		assert_int_equal(a->ttl_end_ms, T0 + cases[i].want_ms);
		assert_int_equal(a->allowed_until_ms, T0 + cases[i].want_ms + GRACE);
		assert_true(a->current);
		names_free(ns);
	}
}

/* ---- refresh: 80-90% of the TTL, jittered per name, deterministic per seed ---- */

static struct names *many_names(uint32_t seed, struct fqdn_binding *b, char (*names)[40], size_t n)
{
	struct names_opts o = opts_default;
	struct names *ns = NULL;
	struct plan p;
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(names[i], 40, "host%zu.example", i);
		b[i].fqdn = names[i];
		b[i].set_v4 = "s_v4";
		b[i].set_v6 = "s_v6";
	}
	p = plan_of(b, n);
	o.jitter_seed = seed;
	assert_int_equal(names_new(&p, &o, &ns), 0);
	for (i = 0; i < n; i++)
		answer_ok(ns, names[i], 1000, "192.0.2.1", T0, NULL);
	return ns;
}

static void test_refresh_jitter(void **state)
{
	enum { N = 64 };
	static struct fqdn_binding b[N];
	static char names[N][40];
	struct names *x, *y, *z;
	uint64_t lo = UINT64_MAX, hi = 0, d;
	size_t i, differ = 0;

	(void)state;
	x = many_names(7, b, names, N);
	y = many_names(7, b, names, N);
	z = many_names(8, b, names, N);
	for (i = 0; i < N; i++) {
		d = names_get(x, i)->next_query_ms - T0;
		assert_true(d >= 800 * S && d < 900 * S);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		assert_int_equal(names_get(x, i)->next_query_ms, names_get(y, i)->next_query_ms);
		differ += names_get(x, i)->next_query_ms != names_get(z, i)->next_query_ms;
	}
	/* Spread over the window, and another seed (host) lands elsewhere. */
	assert_true(hi - lo >= 50 * S);
	assert_true(differ > N / 2);
	names_free(x);
	names_free(y);
	names_free(z);
}

static void test_refresh_floor(void **state)
{
	struct names_opts o = opts_default;
	struct names *ns;

	(void)state;
	o.min_ttl_ms = 0;
	ns = store(&o);
	/* TTL 0 is real (some CDNs); the store still waits 1 s rather than spin. */
	answer_ok(ns, "a.example", 0, "192.0.2.1", T0, NULL);
	assert_int_equal(state_of(ns, "a.example")->next_query_ms, T0 + S);
	names_free(ns);
}

/* ---- backoff ---- */

static void test_backoff(void **state)
{
	static const struct {
		uint64_t max_ttl_ms;
		uint64_t want_s[12];
	} cases[] = {
		{ 3600 * S, { 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300 } },
		{ 60 * S, { 1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60 } },
		{ 10 * S, { 1, 2, 4, 8, 10, 10, 10, 10, 10, 10, 10, 10 } },
	};
	struct names_opts o = opts_default;
	const struct name_state *st;
	struct names_event ev;
	uint64_t now;
	struct names *ns;
	size_t c, i;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		o.max_ttl_ms = cases[c].max_ttl_ms;
		ns = store(&o);
		st = state_of(ns, "a.example");
		now = T0;
		for (i = 0; i < 12; i++) {
			assert_int_equal(answer(ns, "a.example", -ETIMEDOUT, 0, NULL, now, &ev), 0);
			assert_int_equal(st->failures, i + 1);
			assert_int_equal(st->next_query_ms - now, cases[c].want_s[i] * S);
			now += cases[c].want_s[i] * S;
		}
		/* 10,000 failures later the shift is still defined and capped. */
		for (i = 0; i < 10000; i++)
			answer(ns, "a.example", -EIO, 0, NULL, now, &ev);
		assert_int_equal(st->next_query_ms - now, cases[c].want_s[11] * S);
		/* Success resets: the next failure waits 1 s again. */
		answer_ok(ns, "a.example", 10, "192.0.2.1", now, NULL);
		assert_int_equal(st->failures, 0);
		assert_int_equal(st->last_error, 0);
		assert_true(st->next_query_ms - now >= 8 * S && st->next_query_ms - now < 9 * S);
		answer(ns, "a.example", -EIO, 0, NULL, now, &ev);
		assert_int_equal(st->next_query_ms - now, S);
		names_free(ns);
	}
}

/* ---- grace ---- */

static void test_grace(void **state)
{
	const struct name_addr *a;
	const char *due[4];
	struct names_event ev;
	struct names *ns;

	(void)state;
	ns = store(NULL);
	answer_ok(ns, "a.example", 60, "192.0.2.1 192.0.2.2", T0, &ev);
	assert_int_equal(ev.added, 2);
	assert_true(ev.sets_changed);
	assert_string_equal(ev.fqdn, "a.example");

	/* .1 leaves the answer: it stays for grace after its own TTL (T0 + 60 s). */
	answer_ok(ns, "a.example", 60, "192.0.2.2 192.0.2.3", T0 + 50 * S, &ev);
	assert_int_equal(ev.added, 1);
	assert_int_equal(ev.removed, 0);
	assert_true(ev.sets_changed);
	a = addr_of(ns, "a.example", "192.0.2.1");
	assert_false(a->current);
	assert_int_equal(a->ttl_end_ms, T0 + 60 * S);
	assert_int_equal(a->allowed_until_ms, T0 + 60 * S + GRACE);
	assert_string_equal(held(ns, "a.example", T0 + 60 * S + GRACE - 1),
			    "192.0.2.1 192.0.2.2 192.0.2.3");
	/* The refresh comes first; while it is in flight, .1's end is next. */
	assert_true(names_next_deadline(ns) < T0 + 60 * S + GRACE);
	assert_int_equal(names_due(ns, T0 + 105 * S, due, 4), 3);
	assert_int_equal(names_next_deadline(ns), T0 + 60 * S + GRACE);

	/* A later answer without it does not restart its grace. */
	answer_ok(ns, "a.example", 60, "192.0.2.2 192.0.2.3", T0 + 100 * S, &ev);
	assert_int_equal(addr_of(ns, "a.example", "192.0.2.1")->allowed_until_ms,
			 T0 + 60 * S + GRACE);
	assert_int_equal(names_expire(ns, T0 + 60 * S + GRACE - 1), 0);
	assert_int_equal(names_expire(ns, T0 + 60 * S + GRACE), 1);
	assert_null(addr_of(ns, "a.example", "192.0.2.1"));
	assert_string_equal(held(ns, "a.example", T0 + 60 * S + GRACE), "192.0.2.2 192.0.2.3");

	/* It comes back: added again, current again. */
	answer_ok(ns, "a.example", 60, "192.0.2.1", T0 + 200 * S, &ev);
	assert_int_equal(ev.added, 1);
	assert_true(addr_of(ns, "a.example", "192.0.2.1")->current);
	names_free(ns);
}

/*
 * A suspend: the boot clock jumps past TTL, grace and the 30 s wait at once. The refresh
 * goes out first; the last good address waits for its answer instead of expiring, and a
 * failure then keeps it until max_stale. Without an answer it goes 30 s later.
 */
static void test_suspend(void **state)
{
	const uint64_t wake = T0 + 600 * S;
	struct names_event ev;
	const char *due[4];
	struct names *ns;

	(void)state;
	ns = store(NULL);
	answer_ok(ns, "a.example", 100, "192.0.2.1", T0, &ev);
	assert_int_equal(names_due(ns, wake, due, 4), 3);
	assert_int_equal(names_expire(ns, wake), 1); /* changed: held, timeout re-armed */
	assert_int_equal(addr_of(ns, "a.example", "192.0.2.1")->allowed_until_ms, wake + 30 * S);
	assert_int_equal(answer(ns, "a.example", -ETIMEDOUT, 0, NULL, wake + 5 * S, &ev), 0);
	assert_int_equal(ev.removed, 0);
	assert_int_equal(addr_of(ns, "a.example", "192.0.2.1")->allowed_until_ms, T0 + STALE);
	names_free(ns);

	ns = store(NULL);
	answer_ok(ns, "a.example", 100, "192.0.2.1", T0, &ev);
	assert_int_equal(names_due(ns, wake, due, 4), 3);
	assert_int_equal(names_expire(ns, wake), 1);
	assert_int_equal(names_expire(ns, wake + 30 * S - 1), 0);
	assert_int_equal(names_expire(ns, wake + 30 * S), 1);
	assert_null(addr_of(ns, "a.example", "192.0.2.1"));
	names_free(ns);
}

/* A grace shorter than a query can take: the current answer still outlives its refresh. */
static void test_answer_wait(void **state)
{
	struct names_opts o = opts_default;
	struct names_event ev;
	struct names *ns;

	(void)state;
	o.grace_ms = 5 * S;
	o.min_ttl_ms = S;
	ns = store(&o);
	answer_ok(ns, "a.example", 2, "192.0.2.1", T0, &ev);
	assert_int_equal(addr_of(ns, "a.example", "192.0.2.1")->allowed_until_ms, T0 + 32 * S);
	/* The refresh times out 20 s later: the address is still there to keep. */
	assert_int_equal(names_expire(ns, T0 + 22 * S), 0);
	assert_int_equal(answer(ns, "a.example", -ETIMEDOUT, 0, NULL, T0 + 22 * S, &ev), 0);
	assert_int_equal(ev.removed, 0);
	assert_int_equal(addr_of(ns, "a.example", "192.0.2.1")->allowed_until_ms, T0 + STALE);
	/* Once left, only the configured grace applies. */
	answer_ok(ns, "a.example", 2, "192.0.2.2", T0 + 23 * S, &ev);
	assert_int_equal(ev.removed, 1);
	assert_null(addr_of(ns, "a.example", "192.0.2.1"));
	answer_ok(ns, "a.example", 2, "192.0.2.3", T0 + 24 * S, &ev);
	assert_int_equal(addr_of(ns, "a.example", "192.0.2.2")->allowed_until_ms,
			 T0 + 25 * S + 5 * S);
	names_free(ns);
}

/* ---- failures: stale addresses kept until max_stale, then dropped ---- */

static void test_stale(void **state)
{
	/* NXDOMAIN (-ENOENT) is a failure like the others: addresses kept, warned. */
	static const int statuses[] = { -EIO, -ETIMEDOUT, -ENOENT, -ECONNREFUSED };
	const struct name_state *st;
	const char *due[4];
	struct names_event ev;
	struct names *ns;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		ns = store(NULL);
		st = state_of(ns, "a.example");
		answer_ok(ns, "a.example", 60, "192.0.2.1 192.0.2.2", T0, NULL);
		/* .1 leaves; it has grace, but is not part of the last good answer. */
		answer_ok(ns, "a.example", 60, "192.0.2.2", T0 + 50 * S, NULL);

		assert_int_equal(answer(ns, "a.example", statuses[i], 0, NULL, T0 + 100 * S, &ev),
				 0);
		assert_int_equal(ev.error, statuses[i]);
		assert_string_equal(ev.fqdn, "a.example");
		assert_true(ev.sets_changed);
		assert_int_equal(ev.added + ev.removed, 0);
		assert_int_equal(st->last_error, statuses[i]);
		assert_int_equal(st->last_good_ms, T0 + 50 * S);
		assert_int_equal(addr_of(ns, "a.example", "192.0.2.2")->allowed_until_ms,
				 T0 + 50 * S + STALE);
		assert_int_equal(addr_of(ns, "a.example", "192.0.2.1")->allowed_until_ms,
				 T0 + 60 * S + GRACE);

		/* Another failure changes nothing more. */
		assert_int_equal(answer(ns, "a.example", statuses[i], 0, NULL, T0 + 101 * S, &ev),
				 0);
		assert_false(ev.sets_changed);
		assert_string_equal(held(ns, "a.example", T0 + 50 * S + STALE - 1), "192.0.2.2");
		/* b and c were never asked: in flight now, so a's retry is next. */
		assert_int_equal(names_due(ns, T0 + 101 * S, due, 4), 2);
		assert_int_equal(names_next_deadline(ns), T0 + 101 * S + 2 * S);
		assert_int_equal(names_expire(ns, T0 + 60 * S + GRACE), 1);
		assert_string_equal(held(ns, "a.example", T0 + 60 * S + GRACE), "192.0.2.2");

		/* The bound: a failure past it drops the rest, and says so. */
		assert_int_equal(answer(ns, "a.example", statuses[i], 0, NULL, T0 + 50 * S + STALE,
					&ev),
				 0);
		assert_int_equal(ev.removed, 1);
		assert_true(ev.sets_changed);
		assert_int_equal(st->n_addrs, 0);
		names_free(ns);
	}
}

static void test_stale_expire(void **state)
{
	struct names_event ev;
	struct names *ns;

	(void)state;
	ns = store(NULL);
	answer_ok(ns, "b.example", 60, "192.0.2.9", T0, NULL);
	answer(ns, "b.example", -EIO, 0, NULL, T0 + 70 * S, &ev);
	/* No answer at all after the bound: expiry alone drops it. */
	assert_int_equal(names_expire(ns, T0 + STALE - 1), 0);
	assert_int_equal(names_expire(ns, T0 + STALE), 1);
	assert_string_equal(held(ns, "b.example", T0), "");
	/* Never a good answer: a failure has nothing to keep. */
	assert_int_equal(answer(ns, "c.example", -ENOENT, 0, NULL, T0, &ev), 0);
	assert_int_equal(ev.error, -ENOENT);
	assert_false(ev.sets_changed);
	names_free(ns);
}

static void test_cancel_and_unknown(void **state)
{
	struct names_event ev = { .added = 99 };
	const char *due[4];
	struct names *ns;

	(void)state;
	ns = store(NULL);
	assert_int_equal(answer(ns, "nosuch.example", 0, 60, "192.0.2.1", T0, &ev), -ENOENT);
	assert_int_equal(ev.added, 99);
	answer_ok(ns, "a.example", 60, "192.0.2.1", T0, NULL);
	names_due(ns, T0 + 60 * S, due, 4);
	assert_true(state_of(ns, "a.example")->in_flight);
	/* The resolver shut down mid-query: no failure, no stale extension, due again. */
	assert_int_equal(answer(ns, "a.example", -ECANCELED, 0, NULL, T0 + 61 * S, &ev), 0);
	assert_int_equal(ev.error, 0);
	assert_false(ev.sets_changed);
	assert_false(state_of(ns, "a.example")->in_flight);
	assert_int_equal(state_of(ns, "a.example")->failures, 0);
	assert_int_equal(state_of(ns, "a.example")->next_query_ms, T0 + 61 * S);
	assert_int_equal(addr_of(ns, "a.example", "192.0.2.1")->allowed_until_ms,
			 T0 + 60 * S + GRACE);
	names_free(ns);
}

/* ---- the cap ---- */

static void test_cap(void **state)
{
	struct names_opts o = opts_default;
	struct names_event ev;
	struct names *ns;

	(void)state;
	o.max_addresses = 3;
	ns = store(&o);
	/* Unsorted, with a duplicate: sorted and deduplicated before the cut. */
	answer_ok(ns, "a.example", 60, "2001:db8::1 192.0.2.5 192.0.2.1 192.0.2.3 192.0.2.1", T0,
		  &ev);
	assert_int_equal(ev.added, 3);
	assert_int_equal(ev.dropped, 1);
	assert_int_equal(state_of(ns, "a.example")->last_dropped, 1);
	assert_string_equal(held(ns, "a.example", T0), "192.0.2.1 192.0.2.3 192.0.2.5");
	answer_ok(ns, "a.example", 60, "192.0.2.1", T0 + 10 * S, &ev);
	assert_int_equal(ev.dropped, 0);
	assert_int_equal(state_of(ns, "a.example")->last_dropped, 0);
	names_free(ns);
}

/* ---- the union of a set's names ---- */

static void test_fill_union(void **state)
{
	struct rs_elem junk = { .comment = "old" };
	struct rs_set s = { 0 };
	struct names *ns;

	(void)state;
	ns = store(NULL);
	answer_ok(ns, "a.example", 60, "192.0.2.2 192.0.2.1 2001:db8::a", T0, NULL);
	answer_ok(ns, "b.example", 100, "192.0.2.3 192.0.2.2 2001:db8::b", T0 + 20 * S, NULL);
	answer_ok(ns, "c.example", 60, "192.0.2.2 198.51.100.7", T0, NULL);

	/* .2 is both a's and b's: the first name's comment, the later end. */
	assert_string_equal(filled(ns, "web_v4", T0 + 20 * S),
			    "192.0.2.1/100/a.example 192.0.2.2/160/a.example "
			    "192.0.2.3/160/b.example");
	assert_string_equal(filled(ns, "web_v6", T0 + 20 * S),
			    "2001:db8::a/100/a.example 2001:db8::b/160/b.example");
	assert_string_equal(filled(ns, "api_v4", T0 + 20 * S),
			    "192.0.2.1/100/a.example 192.0.2.2/100/a.example");
	assert_string_equal(filled(ns, "c_v4", T0 + 20 * S),
			    "192.0.2.2/100/c.example 198.51.100.7/100/c.example");
	/* After a's addresses run out, b's comment takes over .2. */
	assert_string_equal(filled(ns, "web_v4", T0 + 120 * S),
			    "192.0.2.2/60/b.example 192.0.2.3/60/b.example");
	assert_string_equal(filled(ns, "web_v6", T0 + 180 * S), "");

	/* The set's previous elements are replaced (and freed: ASan watches). */
	assert_int_equal(rs_addr_parse("10.0.0.1", &junk.addr), 0);
	assert_int_equal(rs_set_add_elem(&s, &junk), 0);
	assert_int_equal(rs_set_add_elem(&s, &junk), 0);
	assert_int_equal(names_fill_set(ns, "c_v4", T0, &s), 0);
	assert_int_equal(s.n_elems, 2);
	assert_int_equal(s.elems[0].timeout_ms, 120 * S);
	assert_string_equal(s.elems[1].comment, "c.example");
	assert_int_equal(names_fill_set(ns, "c_v6", T0, &s), 0);
	assert_int_equal(s.n_elems, 0);
	free(s.elems);
	names_free(ns);
}

/* 300 names x 40 addresses in one set: the union is right and quick. */
static void test_fill_large(void **state)
{
	enum { N = 300, PER = 40 };
	static struct fqdn_binding b[N];
	static char names[N][40];
	struct names_opts o = opts_default;
	char addrs[PER * 20], one[20];
	struct rs_set s = { 0 };
	struct names *ns = NULL;
	struct plan p;
	size_t i, j;

	(void)state;
	o.max_addresses = PER;
	for (i = 0; i < N; i++) {
		snprintf(names[i], 40, "n%03zu.example", i);
		b[i] = (struct fqdn_binding){ names[i], "big_v4", "big_v6" };
	}
	p = plan_of(b, N);
	assert_int_equal(names_new(&p, &o, &ns), 0);
	for (i = 0; i < N; i++) {
		addrs[0] = '\0';
		/* Neighbours overlap by half, so most addresses have two names. */
		for (j = 0; j < PER; j++) {
			snprintf(one, sizeof(one), "%s10.%zu.%zu.1", j ? " " : "",
				 (i * PER / 2 + j) / 250, (i * PER / 2 + j) % 250);
			strcat(addrs, one);
		}
		answer_ok(ns, names[i], 300, addrs, T0, NULL);
	}
	assert_int_equal(names_fill_set(ns, "big_v4", T0, &s), 0);
	assert_int_equal(s.n_elems, (N + 1) * PER / 2);
	for (i = 1; i < s.n_elems; i++)
		assert_true(rs_addr_cmp(&s.elems[i - 1].addr, &s.elems[i].addr) < 0);
	assert_string_equal(s.elems[0].comment, "n000.example");
	assert_string_equal(s.elems[PER / 2].comment, "n000.example");
	assert_string_equal(s.elems[PER].comment, "n001.example");
	for (i = 0; i < s.n_elems; i++)
		free(s.elems[i].comment);
	free(s.elems);
	names_free(ns);
}

/* ---- scheduling ---- */

static void test_due_deadline(void **state)
{
	struct plan empty = { 0 };
	const char *due[4];
	struct names *ns;

	(void)state;
	assert_int_equal(names_new(&empty, &opts_default, &ns), 0);
	assert_int_equal(names_next_deadline(ns), UINT64_MAX);
	assert_int_equal(names_due(ns, T0, due, 4), 0);
	names_free(ns);

	ns = store(NULL);
	/* Every name is due at once at start. */
	assert_int_equal(names_next_deadline(ns), 0);
	assert_int_equal(names_due(ns, T0, due, 2), 2);
	assert_string_equal(due[0], "a.example");
	assert_string_equal(due[1], "b.example");
	assert_int_equal(names_due(ns, T0, due, 4), 1);
	assert_string_equal(due[0], "c.example");
	assert_int_equal(names_due(ns, T0, due, 4), 0);
	/* All in flight, nothing held: nothing to wake up for. */
	assert_int_equal(names_next_deadline(ns), UINT64_MAX);
	assert_int_equal(state_of(ns, "a.example")->next_query_ms, UINT64_MAX);

	answer_ok(ns, "a.example", 100, "192.0.2.1", T0, NULL);
	assert_int_equal(names_next_deadline(ns), state_of(ns, "a.example")->next_query_ms);
	assert_int_equal(names_due(ns, names_next_deadline(ns) - 1, due, 4), 0);
	assert_int_equal(names_due(ns, names_next_deadline(ns), due, 4), 1);
	/* In flight: the address's end is the next thing to do. */
	assert_int_equal(names_next_deadline(ns), T0 + 100 * S + GRACE);
	assert_int_equal(names_expire(ns, T0 + 100 * S + GRACE), 1);
	assert_int_equal(names_next_deadline(ns), UINT64_MAX);
	names_free(ns);
}

/* ---- the state file ---- */

static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_names.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *name)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

static void write_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static size_t dir_entries(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_save_load(void **state)
{
	const char *path = path_of("names.state");
	struct names *a, *b;
	struct stat stb;
	char want[512];

	(void)state;
	a = store(NULL);
	answer_ok(a, "a.example", 300, "192.0.2.1 2001:db8::1", T0, NULL);
	answer_ok(a, "b.example", 60, "192.0.2.2 192.0.2.3", T0 + 100 * S, NULL);
	/* .3 leaves b: in grace, not part of the last good answer, not saved. */
	answer_ok(a, "b.example", 60, "192.0.2.2", T0 + 140 * S, NULL);
	assert_int_equal(names_save(a, path, T0 + 150 * S, WALL), 0);
	assert_int_equal(stat(path, &stb), 0);
	assert_int_equal(stb.st_mode & 07777, 0600);
	assert_int_equal(dir_entries(), 1);
	snprintf(want, sizeof(want),
		 "flowguard-names 1\n"
		 "a.example 192.0.2.1 %llu 300\n"
		 "a.example 2001:db8::1 %llu 300\n"
		 "b.example 192.0.2.2 %llu 60\n",
		 WALL - 150, WALL - 150, WALL - 10);
	assert_string_equal(read_text(path), want);

	/* Next boot: a new clock, 20 s of wall time later. */
	b = store(NULL);
	assert_int_equal(names_load(b, path, 50 * S, WALL + 20), 0);
	assert_string_equal(held(b, "a.example", 50 * S), "192.0.2.1 2001:db8::1");
	assert_string_equal(held(b, "b.example", 50 * S), "192.0.2.2");
	assert_string_equal(held(b, "c.example", 50 * S), "");
	assert_true(addr_of(b, "a.example", "192.0.2.1")->current);
	assert_int_equal(addr_of(b, "a.example", "192.0.2.1")->allowed_until_ms,
			 50 * S + STALE - 170 * S);
	assert_int_equal(addr_of(b, "b.example", "192.0.2.2")->allowed_until_ms,
			 50 * S + STALE - 30 * S);
	assert_int_equal(state_of(b, "a.example")->ttl_s, 300);
	assert_int_equal(state_of(b, "b.example")->last_good_ms, 20 * S);
	/* Loaded names are still asked at once. */
	assert_int_equal(state_of(b, "a.example")->next_query_ms, 0);
	assert_string_equal(filled(b, "web_v4", 50 * S),
			    "192.0.2.1/3430/a.example 192.0.2.2/3570/b.example");

	/* Saved again without a single answer: same ages, same file. */
	assert_int_equal(names_save(b, path, 60 * S, WALL + 30), 0);
	assert_string_equal(read_text(path), want);
	names_free(a);
	names_free(b);
}

/* Each of these is -EINVAL and leaves the store as it was. */
static const struct {
	const char *what, *text;
	size_t len; /* 0: strlen */
} damaged[] = {
	{ "empty", "" },
	{ "no version", "a.example 192.0.2.1 1700000000 60\n" },
	{ "other version", "flowguard-names 2\n" },
	{ "version with trailing space", "flowguard-names 1 \n" },
	{ "cut short", "flowguard-names 1\na.example 192.0.2.1 1700000000 60" },
	{ "no newline at all", "flowguard-names 1" },
	{ "three fields", "flowguard-names 1\na.example 192.0.2.1 1700000000\n" },
	{ "five fields", "flowguard-names 1\na.example 192.0.2.1 1700000000 60 x\n" },
	{ "two spaces", "flowguard-names 1\na.example  192.0.2.1 1700000000 60\n" },
	{ "tab", "flowguard-names 1\na.example\t192.0.2.1 1700000000 60\n" },
	{ "empty line", "flowguard-names 1\n\n" },
	{ "CRLF", "flowguard-names 1\r\na.example 192.0.2.1 1700000000 60\r\n" },
	{ "bad address", "flowguard-names 1\na.example 192.0.2.256 1700000000 60\n" },
	{ "prefix", "flowguard-names 1\na.example 192.0.2.0/24 1700000000 60\n" },
	{ "full prefix", "flowguard-names 1\na.example 192.0.2.1/32 1700000000 60\n" },
	{ "negative time", "flowguard-names 1\na.example 192.0.2.1 -1 60\n" },
	{ "signed TTL", "flowguard-names 1\na.example 192.0.2.1 1700000000 +60\n" },
	{ "time overflows", "flowguard-names 1\na.example 192.0.2.1 18446744073709551616 60\n" },
	{ "TTL over 32 bits", "flowguard-names 1\na.example 192.0.2.1 1700000000 4294967296\n" },
	{ "hex", "flowguard-names 1\na.example 192.0.2.1 0x10 60\n" },
	{ "bad name", "flowguard-names 1\na/example 192.0.2.1 1700000000 60\n" },
	{ "NUL", "flowguard-names 1\na.example 192.0.2.1\0 1700000000 60\n", 53 },
	/* A good line first: nothing of a damaged file is used. */
	{ "damage after good lines",
	  "flowguard-names 1\na.example 192.0.2.1 1700000000 60\nb.example x 1 1\n" },
};

static void test_load_damaged(void **state)
{
	const char *path = path_of("damaged");
	char longline[1024];
	struct names *ns;
	size_t i;

	(void)state;
	ns = store(NULL);
	for (i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
		print_message("case: %s\n", damaged[i].what);
		write_text(path, damaged[i].text,
			   damaged[i].len ? damaged[i].len : strlen(damaged[i].text));
		assert_int_equal(names_load(ns, path, T0, WALL), -EINVAL);
		assert_int_equal(state_of(ns, "a.example")->n_addrs, 0);
	}
	snprintf(longline, sizeof(longline), "flowguard-names 1\n%0400d.example 192.0.2.1 1 1\n",
		 0);
	write_text(path, longline, strlen(longline));
	assert_int_equal(names_load(ns, path, T0, WALL), -EINVAL);
	assert_int_equal(names_load(ns, path_of("missing"), T0, WALL), -ENOENT);
	assert_int_equal(names_load(ns, tmpdir, T0, WALL), -EINVAL);
	names_free(ns);
}

static void test_load_filters(void **state)
{
	const char *path = path_of("filters");
	struct names_opts o = opts_default;
	struct names *ns;
	char text[1024];

	(void)state;
	o.max_addresses = 2;
	ns = store(&o);
	answer_ok(ns, "c.example", 60, "198.51.100.1", T0, NULL);
	snprintf(text, sizeof(text),
		 "flowguard-names 1\n"
		 "gone.example 192.0.2.9 %llu 60\n" /* not in the plan */
		 "a.example 192.0.2.1 %llu 60\n"    /* an hour old: too old */
		 "a.example 192.0.2.2 %llu 60\n"    /* just inside */
		 "b.example 192.0.2.5 %llu 60\n"    /* b: cut to 2 */
		 "b.example 192.0.2.4 %llu 60\n"
		 "b.example 192.0.2.3 %llu 60\n"
		 "b.example 192.0.2.3 %llu 90\n"     /* duplicate: the newest wins */
		 "c.example 198.51.100.2 %llu 60\n", /* c has an answer already */
		 WALL, WALL - 3600, WALL - 3599, WALL, WALL, WALL - 100, WALL - 10, WALL);
	write_text(path, text, strlen(text));
	assert_int_equal(names_load(ns, path, T0, WALL), 0);
	assert_string_equal(held(ns, "a.example", T0), "192.0.2.2");
	assert_int_equal(addr_of(ns, "a.example", "192.0.2.2")->allowed_until_ms, T0 + S);
	assert_string_equal(held(ns, "b.example", T0), "192.0.2.3 192.0.2.4");
	assert_int_equal(state_of(ns, "b.example")->last_dropped, 1);
	assert_int_equal(addr_of(ns, "b.example", "192.0.2.3")->ttl_end_ms, T0 + 80 * S);
	assert_string_equal(held(ns, "c.example", T0), "198.51.100.1");
	/* Loading twice adds nothing: each name now has its last good answer. */
	assert_int_equal(names_load(ns, path, T0, WALL), 0);
	assert_int_equal(state_of(ns, "b.example")->n_addrs, 2);
	names_free(ns);
}

/*
 * The wall clock in the file can jump; CLOCK_BOOTTIME cannot. Each clock test loads
 * one line seen at WALL with TTL 60 s.
 */
static const char *clock_file(void)
{
	static char text[128];

	snprintf(text, sizeof(text), "flowguard-names 1\na.example 192.0.2.1 %llu 60\n", WALL);
	write_text(path_of("clock"), text, strlen(text));
	return text;
}

/* Set back a year (or an RTC-less board booting in 1970): fresh, bounded from the load. */
static void test_clock_back(void **state)
{
	struct names_event ev;
	struct names *ns;

	(void)state;
	clock_file();
	ns = store(NULL);
	assert_int_equal(names_load(ns, path_of("clock"), 5 * S, WALL - 365 * 86400), 0);
	assert_int_equal(addr_of(ns, "a.example", "192.0.2.1")->allowed_until_ms, 5 * S + STALE);
	assert_int_equal(addr_of(ns, "a.example", "192.0.2.1")->ttl_end_ms, 65 * S);
	/* DNS fails from the start: kept to the bound, not past it. */
	answer(ns, "a.example", -ETIMEDOUT, 0, NULL, 10 * S, &ev);
	assert_int_equal(addr_of(ns, "a.example", "192.0.2.1")->allowed_until_ms, 5 * S + STALE);
	assert_int_equal(names_expire(ns, 5 * S + STALE), 1);
	names_free(ns);
}

/* Jumped forward past max_stale: too old to trust. */
static void test_clock_forward(void **state)
{
	struct names *ns;

	(void)state;
	clock_file();
	ns = store(NULL);
	assert_int_equal(names_load(ns, path_of("clock"), 5 * S, WALL + STALE / S), 0);
	assert_int_equal(state_of(ns, "a.example")->n_addrs, 0);
	names_free(ns);
}

/* Early boot: the entry is older than this boot's clock; the bound stays exact. */
static void test_clock_early_boot(void **state)
{
	const char *text = clock_file();
	struct names_event ev;
	struct names *ns;

	(void)state;
	ns = store(NULL);
	assert_int_equal(names_load(ns, path_of("clock"), 5 * S, WALL + 600), 0);
	assert_int_equal(addr_of(ns, "a.example", "192.0.2.1")->allowed_until_ms,
			 5 * S + STALE - 600 * S);
	/* Its TTL ran out 540 s before this boot's clock began: no grace left on leaving. */
	assert_int_equal(addr_of(ns, "a.example", "192.0.2.1")->ttl_end_ms, 0);
	answer(ns, "a.example", -EIO, 0, NULL, 6 * S, &ev);
	assert_int_equal(addr_of(ns, "a.example", "192.0.2.1")->allowed_until_ms,
			 5 * S + STALE - 600 * S);
	/* Saved before DNS ever answered: the age survives, the restart gains nothing. */
	assert_int_equal(names_save(ns, path_of("clock"), 7 * S, WALL + 602), 0);
	assert_string_equal(read_text(path_of("clock")), text);
	answer_ok(ns, "a.example", 60, "192.0.2.2", 8 * S, &ev);
	assert_int_equal(ev.removed, 1);
	assert_null(addr_of(ns, "a.example", "192.0.2.1"));
	names_free(ns);

	/* Within grace of the boot's start: the little grace left is kept, rounded up. */
	ns = store(NULL);
	assert_int_equal(names_load(ns, path_of("clock"), 5 * S, WALL + 90), 0);
	assert_int_equal(addr_of(ns, "a.example", "192.0.2.1")->ttl_end_ms, 1);
	names_free(ns);
}

/* ---- out of memory ---- */

static void clear_set(struct rs_set *s)
{
	size_t i;

	for (i = 0; i < s->n_elems; i++)
		free(s->elems[i].comment);
	free(s->elems);
	memset(s, 0, sizeof(*s));
}

/* Everything a daemon does once; the first failure ends it (and frees what it made). */
static int oom_scenario(void)
{
	struct plan p = plan_of(bindings, 4);
	struct names *ns = NULL, *back = NULL;
	struct rs_set s = { 0 };
	struct names_event ev;
	int r;

	r = names_new(&p, &opts_default, &ns);
	if (r == 0)
		r = answer(ns, "a.example", 0, 60, "192.0.2.1 192.0.2.2 2001:db8::1", T0, &ev);
	if (r == 0)
		r = answer(ns, "b.example", 0, 60, "192.0.2.2 192.0.2.3", T0, &ev);
	if (r == 0)
		r = answer(ns, "a.example", 0, 60, "192.0.2.4", T0 + 10 * S, &ev);
	if (r == 0)
		r = names_fill_set(ns, "web_v4", T0 + 20 * S, &s);
	if (r == 0)
		r = names_save(ns, path_of("oom"), T0 + 20 * S, WALL);
	if (r == 0)
		r = names_new(&p, &opts_default, &back);
	if (r == 0)
		r = names_load(back, path_of("oom"), 5 * S, WALL + 5);
	if (r == 0)
		r = names_fill_set(back, "web_v4", 6 * S, &s);
	clear_set(&s);
	names_free(ns);
	names_free(back);
	return r;
}

/* ---- history and reverse lookup ---- */

static size_t reverse(const struct names *ns, const char *addr, uint64_t now, struct name_match *m,
		      size_t max)
{
	struct rs_addr a;

	assert_int_equal(rs_addr_parse(addr, &a), 0);
	return names_reverse(ns, &a, now, m, max);
}

/* An address leaves the answer: current through its grace, then past with its end. */
static void test_reverse_grace_then_past(void **state)
{
	struct name_match m[4];
	struct names *ns;

	(void)state;
	ns = store(NULL);
	answer_ok(ns, "a.example", 60, "192.0.2.1 192.0.2.2", T0, NULL);
	answer_ok(ns, "b.example", 60, "192.0.2.2", T0, NULL);
	assert_int_equal(reverse(ns, "192.0.2.1", T0, m, 4), 1);
	assert_string_equal(m[0].fqdn, "a.example");
	assert_true(m[0].current);

	/* .1 leaves a's answer: in grace until T0 + 60 s + GRACE, still current. */
	answer_ok(ns, "a.example", 60, "192.0.2.2", T0 + 50 * S, NULL);
	assert_int_equal(reverse(ns, "192.0.2.1", T0 + 60 * S + GRACE - 1, m, 4), 1);
	assert_true(m[0].current);
	assert_int_equal(m[0].until_ms, T0 + 60 * S + GRACE);

	/* Grace passes: past, with the moment it stopped being allowed. */
	names_expire(ns, T0 + 60 * S + GRACE + 5 * S);
	assert_null(addr_of(ns, "a.example", "192.0.2.1"));
	assert_int_equal(reverse(ns, "192.0.2.1", T0 + 400 * S, m, 4), 1);
	assert_string_equal(m[0].fqdn, "a.example");
	assert_false(m[0].current);
	assert_int_equal(m[0].until_ms, T0 + 60 * S + GRACE);

	/* Nobody ever had this one. */
	assert_int_equal(reverse(ns, "192.0.2.9", T0 + 400 * S, m, 4), 0);

	/* Back in the answer: current again, not listed as past too. */
	answer_ok(ns, "a.example", 60, "192.0.2.1", T0 + 500 * S, NULL);
	assert_int_equal(reverse(ns, "192.0.2.1", T0 + 500 * S, m, 4), 1);
	assert_true(m[0].current);

	/* After 24 h the past entry is forgotten. */
	answer_ok(ns, "a.example", 60, "192.0.2.2", T0 + 600 * S, NULL);
	names_expire(ns, T0 + 800 * S);
	assert_int_equal(reverse(ns, "192.0.2.1", T0 + 800 * S, m, 4), 1);
	assert_false(m[0].current);
	/* Its TTL ran out at T0 + 560 s; grace on top. */
	assert_int_equal(m[0].until_ms, T0 + 560 * S + GRACE);
	assert_int_equal(reverse(ns, "192.0.2.1", T0 + 620 * S + NAMES_PAST_MS - 1, m, 4), 1);
	assert_int_equal(reverse(ns, "192.0.2.1", T0 + 620 * S + NAMES_PAST_MS, m, 4), 0);
	names_free(ns);
}

/* Current matches first, then past ones, most recent first; max is respected. */
static void test_reverse_order(void **state)
{
	struct name_match m[4];
	struct names *ns;

	(void)state;
	ns = store(NULL);
	answer_ok(ns, "a.example", 10, "192.0.2.1", T0, NULL);
	answer_ok(ns, "c.example", 10, "192.0.2.1", T0 + 100 * S, NULL);
	answer_ok(ns, "b.example", 3600, "192.0.2.1", T0 + 200 * S, NULL);
	/* Left at once: a's grace ends at T0 + 70 s, c's at T0 + 170 s; b stays. */
	answer_ok(ns, "a.example", 10, "192.0.2.2", T0 + 5 * S, NULL);
	answer_ok(ns, "c.example", 10, "192.0.2.2", T0 + 105 * S, NULL);
	names_expire(ns, T0 + 300 * S);
	assert_int_equal(reverse(ns, "192.0.2.1", T0 + 300 * S, m, 4), 3);
	assert_string_equal(m[0].fqdn, "b.example");
	assert_true(m[0].current);
	assert_string_equal(m[1].fqdn, "c.example");
	assert_false(m[1].current);
	assert_int_equal(m[1].until_ms, T0 + 110 * S + GRACE);
	assert_string_equal(m[2].fqdn, "a.example");
	assert_int_equal(m[2].until_ms, T0 + 10 * S + GRACE);
	assert_int_equal(reverse(ns, "192.0.2.1", T0 + 300 * S, m, 2), 2);
	assert_string_equal(m[0].fqdn, "b.example");
	assert_string_equal(m[1].fqdn, "c.example");
	assert_int_equal(reverse(ns, "192.0.2.1", T0 + 300 * S, m, 1), 1);
	assert_string_equal(m[0].fqdn, "b.example");
	names_free(ns);
}

/* At most NAMES_PAST_MAX past addresses per name: the oldest go first. */
static void test_past_bound(void **state)
{
	struct name_match m[2];
	struct names *ns;
	char addr[32];
	uint64_t now = T0;
	int i;

	(void)state;
	ns = store(NULL);
	for (i = 0; i < NAMES_PAST_MAX + 4; i++, now += 1000 * S) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i + 1);
		answer_ok(ns, "c.example", 10, addr, now, NULL);
		names_expire(ns, now);
	}
	names_expire(ns, now);
	assert_int_equal(state_of(ns, "c.example")->n_addrs, 0);
	for (i = 0; i < NAMES_PAST_MAX + 4; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i + 1);
		assert_int_equal(reverse(ns, addr, now, m, 2), i >= 4 ? 1 : 0);
	}
	/* The newest one's end: its answer at T0 + 19000 s, TTL 10 s, grace 60 s. */
	assert_int_equal(reverse(ns, "198.51.100.20", now, m, 2), 1);
	assert_int_equal(m[0].until_ms, T0 + 19000 * S + 10 * S + GRACE);
	names_free(ns);
}

static void test_names_of_set(void **state)
{
	const char *v[4];
	struct names *ns;

	(void)state;
	ns = store(NULL);
	assert_int_equal(names_of_set(ns, "web_v4", v, 4), 2);
	assert_true((!strcmp(v[0], "a.example") && !strcmp(v[1], "b.example")) ||
		    (!strcmp(v[0], "b.example") && !strcmp(v[1], "a.example")));
	assert_int_equal(names_of_set(ns, "api_v6", v, 4), 1);
	assert_string_equal(v[0], "a.example");
	assert_int_equal(names_of_set(ns, "web_v6", v, 1), 2);
	assert_int_equal(names_of_set(ns, "nope_v4", v, 4), 0);
	names_free(ns);
}

/* Each allocation fails in turn: -ENOMEM every time, no leak (ASan/valgrind), no crash. */
static void test_oom(void **state)
{
	struct names_event ev;
	struct names *ns;
	long i;
	int r;

	(void)state;
	for (i = 0;; i++) {
		alloc_count = 0;
		alloc_fail_at = i;
		r = oom_scenario();
		alloc_fail_at = -1;
		if (r == 0)
			break;
		assert_int_equal(r, -ENOMEM);
	}
	assert_true(i > 20);

	/* A failed answer leaves the name as it was, and due again in 1 s. */
	ns = store(NULL);
	answer_ok(ns, "a.example", 60, "192.0.2.1", T0, NULL);
	alloc_count = 0;
	alloc_fail_at = 0;
	r = answer(ns, "a.example", 0, 60, "192.0.2.2", T0 + 50 * S, &ev);
	alloc_fail_at = -1;
	assert_int_equal(r, -ENOMEM);
	assert_string_equal(held(ns, "a.example", T0 + 50 * S), "192.0.2.1");
	assert_int_equal(addr_of(ns, "a.example", "192.0.2.1")->allowed_until_ms, T0 + 120 * S);
	assert_int_equal(state_of(ns, "a.example")->next_query_ms, T0 + 51 * S);
	names_free(ns);
}

static void test_save_errors(void **state)
{
	struct names *ns;

	(void)state;
	ns = store(NULL);
	assert_int_equal(names_save(ns, "/nonexistent-dir/names.state", T0, WALL), -ENOENT);
	/* An empty store writes a valid, empty file. */
	assert_int_equal(names_save(ns, path_of("empty"), T0, WALL), 0);
	assert_string_equal(read_text(path_of("empty")), "flowguard-names 1\n");
	assert_int_equal(names_load(ns, path_of("empty"), T0, WALL), 0);
	names_free(ns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new),
		cmocka_unit_test(test_ttl_clamp),
		cmocka_unit_test(test_refresh_jitter),
		cmocka_unit_test(test_refresh_floor),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_grace),
		cmocka_unit_test(test_answer_wait),
		cmocka_unit_test(test_suspend),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_stale_expire),
		cmocka_unit_test(test_cancel_and_unknown),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_fill_union),
		cmocka_unit_test(test_fill_large),
		cmocka_unit_test(test_due_deadline),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_load_damaged),
		cmocka_unit_test(test_load_filters),
		cmocka_unit_test(test_clock_back),
		cmocka_unit_test(test_clock_forward),
		cmocka_unit_test(test_clock_early_boot),
		cmocka_unit_test(test_save_errors),
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_reverse_grace_then_past),
		cmocka_unit_test(test_reverse_order),
		cmocka_unit_test(test_past_bound),
		cmocka_unit_test(test_names_of_set),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
