/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rsdiff: object-wise differences of two rulesets, and the alignment the audit diff uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "netlink/rsdiff.h"

static void add_elem(struct rs_set *s, const char *addr, const char *comment)
{
	struct rs_elem e = { 0 };

	assert_int_equal(rs_addr_parse(addr, &e.addr), 0);
	e.comment = (char *)(uintptr_t)comment;
	assert_int_equal(rs_set_add_elem(s, &e), 0);
}

static void add_rule(struct rs_chain *c, uint16_t dport, const char *comment)
{
	struct rs_rule *r = rs_chain_add_rule(c);

	assert_non_null(r);
	r->l4proto = IPPROTO_TCP;
	r->dport = dport;
	r->verdict = RS_VERDICT_ACCEPT;
	assert_int_equal(rs_strset(&r->comment, comment), 0);
}

/* A table: set "s" {192.0.2.1, 192.0.2.2}, chain "out" (drop) with rules 22, 80, 443. */
static struct ruleset *table(void)
{
	struct ruleset *rs = ruleset_new("t");
	struct rs_set *s;
	struct rs_chain *c;

	assert_non_null(rs);
	s = ruleset_add_set(rs, "s", AF_INET, RS_SET_INTERVAL);
	assert_non_null(s);
	add_elem(s, "192.0.2.1", NULL);
	add_elem(s, "192.0.2.2", "two");
	c = ruleset_add_chain(rs, "out", RS_HOOK_OUTPUT, 0, RS_VERDICT_DROP);
	assert_non_null(c);
	add_rule(c, 22, "ssh");
	add_rule(c, 80, "web (row 1): a -> b");
	add_rule(c, 443, "tls (row 2): a -> c");
	return rs;
}

static void test_equal(void **state)
{
	struct ruleset *a = table(), *b = table();
	struct rsdiff d;

	(void)state;
	assert_int_equal(rsdiff_compute(a, b, &d), 0);
	assert_int_equal(d.n, 0);
	rsdiff_clear(&d);
	ruleset_free(a);
	ruleset_free(b);
}

/*
 * Have: an element gone and a foreign one, the 80 rule changed to 8080 (same comment), the
 * 22 rule gone, an extra rule, the policy accept, an extra set and chain.
 */
static void test_every_kind(void **state)
{
	struct ruleset *want = table(), *have = ruleset_new("t");
	struct rs_chain *c;
	struct rs_set *s;
	struct rsdiff d;
	char a[64];

	(void)state;
	s = ruleset_add_set(have, "s", AF_INET, RS_SET_INTERVAL);
	add_elem(s, "192.0.2.2", "two");
	add_elem(s, "198.51.100.9", NULL);
	ruleset_add_set(have, "x", AF_INET, 0);
	c = ruleset_add_chain(have, "out", RS_HOOK_OUTPUT, 0, RS_VERDICT_ACCEPT);
	add_rule(c, 8080, "web (row 1): a -> b");
	add_rule(c, 443, "tls (row 2): a -> c");
	add_rule(c, 25, "foreign");
	ruleset_add_chain(have, "in", RS_HOOK_INPUT, 0, RS_VERDICT_ACCEPT);
	assert_int_equal(rsdiff_compute(want, have, &d), 0);
	assert_int_equal(d.n, 8);
	assert_int_equal(d.v[0].kind, RSD_ELEMS_MISSING);
	assert_int_equal(d.v[0].n_elems, 1);
	assert_string_equal(rs_addr_format(&d.v[0].elems[0]->addr, a, sizeof(a)), "192.0.2.1");
	assert_int_equal(d.v[1].kind, RSD_ELEMS_EXTRA);
	assert_string_equal(rs_addr_format(&d.v[1].elems[0]->addr, a, sizeof(a)), "198.51.100.9");
	assert_int_equal(d.v[2].kind, RSD_SET_EXTRA);
	assert_string_equal(d.v[2].have_set->name, "x");
	assert_int_equal(d.v[3].kind, RSD_CHAIN_POLICY);
	assert_int_equal(d.v[4].kind, RSD_RULE_MISSING);
	assert_int_equal(d.v[4].want_rule->dport, 22);
	assert_int_equal(d.v[5].kind, RSD_RULE_CHANGED);
	assert_int_equal(d.v[5].want_rule->dport, 80);
	assert_int_equal(d.v[5].have_rule->dport, 8080);
	assert_int_equal(d.v[6].kind, RSD_RULE_EXTRA);
	assert_int_equal(d.v[6].have_rule->dport, 25);
	assert_int_equal(d.v[7].kind, RSD_CHAIN_EXTRA);
	assert_string_equal(d.v[7].have_chain->name, "in");
	rsdiff_clear(&d);
	ruleset_free(want);
	ruleset_free(have);
}

static bool char_eq(const void *ctx, size_t i, size_t j)
{
	const char *const *s = ctx;

	return s[0][i] == s[1][j];
}

/* The edit script of two strings, as a string of ops. */
static void check_align(const char *a, const char *b, const char *want)
{
	const char *s[2] = { a, b };
	char *ops;
	size_t n;

	assert_int_equal(rsdiff_align(strlen(a), strlen(b), char_eq, s, &ops, &n), 0);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(ops, want, n);
	free(ops);
}

static void test_align(void **state)
{
	(void)state;
	check_align("", "", "");
	check_align("abc", "abc", "===");
	check_align("abc", "", "---");
	check_align("", "ab", "++");
	check_align("abcde", "abXde", "==-+==");
	check_align("abcdef", "acdXf", "=-==-+=");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_align),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
