/* SPDX-License-Identifier: GPL-2.0-or-later */
/* setdiff_compute(): table-driven cases over small sorted element arrays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "netlink/setdiff.h"

/* The case table leaves trailing fields of an element out on purpose. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* One element as text: "192.0.2.1", optional timeout (ms) and comment. */
struct e {
	const char *addr;
	uint64_t timeout;
	const char *comment;
};

struct tcase {
	const char *name;
	struct e cur[6], want[6];
	unsigned int flags;
	const char *add, *del, *refresh, *replace; /* space-separated addresses, in order */
};

static const struct tcase cases[] = {
	{ "both empty", { { 0 } }, { { 0 } }, 0, "", "", "", "" },
	{ "all new",
	  { { 0 } },
	  { { "192.0.2.1" }, { "192.0.2.2" } },
	  0,
	  "192.0.2.1 192.0.2.2",
	  "",
	  "",
	  "" },
	{ "all gone",
	  { { "192.0.2.1" }, { "2001:db8::1" } },
	  { { 0 } },
	  0,
	  "",
	  "192.0.2.1 2001:db8::1",
	  "",
	  "" },
	{ "equal",
	  { { "192.0.2.1" }, { "10.0.0.0/8" } },
	  { { "192.0.2.1" }, { "10.0.0.0/8" } },
	  0,
	  "",
	  "",
	  "",
	  "" },
	{ "mixed",
	  { { "192.0.2.1" }, { "192.0.2.3" }, { "192.0.2.5" } },
	  { { "192.0.2.2" }, { "192.0.2.3" }, { "192.0.2.6" } },
	  0,
	  "192.0.2.2 192.0.2.6",
	  "192.0.2.1 192.0.2.5",
	  "",
	  "" },
	{ "prefix differs",
	  { { "10.0.0.0/8" } },
	  { { "10.0.0.0/16" } },
	  0,
	  "10.0.0.0/16",
	  "10.0.0.0/8",
	  "",
	  "" },
	{ "families sort apart",
	  { { "2001:db8::1" } },
	  { { "192.0.2.1" }, { "2001:db8::1" } },
	  0,
	  "192.0.2.1",
	  "",
	  "",
	  "" },
	{ "timeout changed",
	  { { "192.0.2.1", 60000 } },
	  { { "192.0.2.1", 300000 } },
	  0,
	  "",
	  "",
	  "192.0.2.1",
	  "" },
	{ "same timeout, no refresh",
	  { { "192.0.2.1", 60000 } },
	  { { "192.0.2.1", 60000 } },
	  0,
	  "",
	  "",
	  "",
	  "" },
	{ "same timeout, refresh asked",
	  { { "192.0.2.1", 60000 }, { "192.0.2.2" } },
	  { { "192.0.2.1", 60000 }, { "192.0.2.2" } },
	  SETDIFF_REFRESH_TIMEOUTS,
	  "",
	  "",
	  "192.0.2.1",
	  "" },
	{ "comment changed",
	  { { "192.0.2.1", 0, "a.example" } },
	  { { "192.0.2.1", 0, "b.example" } },
	  0,
	  "",
	  "",
	  "",
	  "192.0.2.1" },
	{ "comment added",
	  { { "192.0.2.1" } },
	  { { "192.0.2.1", 0, "a.example" } },
	  0,
	  "",
	  "",
	  "",
	  "192.0.2.1" },
	{ "comment and timeout: replace",
	  { { "192.0.2.1", 1000, "a" } },
	  { { "192.0.2.1", 2000, "b" } },
	  0,
	  "",
	  "",
	  "",
	  "192.0.2.1" },
};

static void fill(struct rs_set *s, const struct e *v)
{
	struct rs_elem el;

	for (; v->addr; v++) {
		memset(&el, 0, sizeof(el));
		assert_int_equal(rs_addr_parse(v->addr, &el.addr), 0);
		el.timeout_ms = v->timeout;
		el.comment = (char *)(uintptr_t)v->comment;
		assert_int_equal(rs_set_add_elem(s, &el), 0);
	}
	rs_set_sort(s);
}

static void expect(const char *what, const struct rs_elem **list, size_t n, const char *want)
{
	char buf[512] = "", a[64];
	size_t i;

	for (i = 0; i < n; i++) {
		strcat(buf, i ? " " : "");
		strcat(buf, rs_addr_format(&list[i]->addr, a, sizeof(a)));
	}
	if (strcmp(buf, want))
		fail_msg("%s: got '%s', want '%s'", what, buf, want);
}

static void test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ruleset *rs = ruleset_new("t");
		struct rs_set *cur, *want;
		struct setdiff d;

		cur = ruleset_add_set(rs, "cur", AF_INET, RS_SET_TIMEOUT);
		fill(cur, cases[i].cur);
		want = ruleset_add_set(rs, "want", AF_INET, RS_SET_TIMEOUT);
		cur = &rs->sets[0];
		fill(want, cases[i].want);
		print_message("case: %s\n", cases[i].name);
		assert_int_equal(setdiff_compute(cur->elems, cur->n_elems, want->elems,
						 want->n_elems, cases[i].flags, &d),
				 0);
		expect("add", d.add, d.n_add, cases[i].add);
		expect("del", d.del, d.n_del, cases[i].del);
		expect("refresh", d.refresh, d.n_refresh, cases[i].refresh);
		expect("replace", d.replace, d.n_replace, cases[i].replace);
		setdiff_clear(&d);
		ruleset_free(rs);
	}
}

/* 100k vs 100k with 1000 changes each way: linear and exact. */
static void test_large(void **state)
{
	struct ruleset *rs = ruleset_new("t");
	struct rs_set *a, *b;
	struct rs_elem e = { .addr = { .family = AF_INET, .prefix = 32 } };
	struct setdiff d;
	uint32_t i, v;

	(void)state;
	a = ruleset_add_set(rs, "a", AF_INET, 0);
	for (i = 0; i < 100000; i++) {
		v = htonl(0x0a000000U + i);
		memcpy(e.addr.addr, &v, 4);
		assert_int_equal(rs_set_add_elem(a, &e), 0);
	}
	b = ruleset_add_set(rs, "b", AF_INET, 0);
	a = &rs->sets[0];
	for (i = 1000; i < 101000; i++) {
		v = htonl(0x0a000000U + i);
		memcpy(e.addr.addr, &v, 4);
		assert_int_equal(rs_set_add_elem(b, &e), 0);
	}
	assert_int_equal(setdiff_compute(a->elems, a->n_elems, b->elems, b->n_elems, 0, &d), 0);
	assert_int_equal(d.n_add, 1000);
	assert_int_equal(d.n_del, 1000);
	assert_int_equal(d.n_refresh + d.n_replace, 0);
	assert_int_equal(setdiff_count(&d), 2000);
	setdiff_clear(&d);
	ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
