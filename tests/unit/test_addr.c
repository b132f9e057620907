/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rs_addr_format() formats IPv4 by hand (inet_ntop goes through sprintf): the same text
 * as inet_ntop for every octet value in every position, and prefixes as "a/len".
 * rs_set_sort() skips sorted sets: sorted input stays as it is, unsorted input with
 * repeats comes out sorted and unique either way. A long scattered set comes out sorted with
 * each element whole (it is sorted by index, then moved along the permutation's cycles).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "netlink/ruleset.h"

static void test_format_v4(void **state)
{
	struct rs_addr a = { .family = AF_INET, .prefix = 32 };
	char got[64], want[INET_ADDRSTRLEN];
	unsigned int v, pos;

	(void)state;
	for (pos = 0; pos < 4; pos++) {
		for (v = 0; v < 256; v++) {
			memset(a.addr, 0, sizeof(a.addr));
			a.addr[pos] = (uint8_t)v;
			a.addr[3 - pos] |= (uint8_t)(255 - v);
			assert_non_null(inet_ntop(AF_INET, a.addr, want, sizeof(want)));
			assert_string_equal(rs_addr_format(&a, got, sizeof(got)), want);
		}
	}
	assert_int_equal(rs_addr_parse("10.0.0.0/8", &a), 0);
	assert_string_equal(rs_addr_format(&a, got, sizeof(got)), "10.0.0.0/8");
	assert_int_equal(rs_addr_parse("2001:db8::/32", &a), 0);
	assert_string_equal(rs_addr_format(&a, got, sizeof(got)), "2001:db8::/32");
	assert_int_equal(rs_addr_parse("2001:DB8::1", &a), 0);
	assert_string_equal(rs_addr_format(&a, got, sizeof(got)), "2001:db8::1");
	/* Truncated as snprintf would: a short buffer gets a prefix of the text. */
	assert_int_equal(rs_addr_parse("192.168.100.200", &a), 0);
	assert_string_equal(rs_addr_format(&a, got, 8), "192.168");
}

static void add(struct rs_set *s, const char *text)
{
	struct rs_elem e = { 0 };

	assert_int_equal(rs_addr_parse(text, &e.addr), 0);
	assert_int_equal(rs_set_add_elem(s, &e), 0);
}

static void expect(const struct rs_set *s, const char *const *want, size_t n)
{
	char buf[64];
	size_t i;

	assert_int_equal(s->n_elems, n);
	for (i = 0; i < n; i++)
		assert_string_equal(rs_addr_format(&s->elems[i].addr, buf, sizeof(buf)), want[i]);
}

static void test_sort(void **state)
{
	static const char *const sorted[] = { "10.0.0.1", "10.0.0.2", "10.1.0.0/16", "192.0.2.1" };
	struct ruleset *rs = ruleset_new("t");
	struct rs_set *s;
	size_t i;

	(void)state;
	assert_non_null(rs);
	s = ruleset_add_set(rs, "a", AF_INET, RS_SET_INTERVAL);
	for (i = 0; i < 4; i++)
		add(s, sorted[i]);
	rs_set_sort(s);
	expect(s, sorted, 4);
	s = ruleset_add_set(rs, "b", AF_INET, RS_SET_INTERVAL);
	add(s, "192.0.2.1");
	add(s, "10.0.0.2");
	add(s, "10.1.0.0/16");
	add(s, "10.0.0.2");
	add(s, "10.0.0.1");
	rs_set_sort(s);
	expect(s, sorted, 4);
	s = ruleset_add_set(rs, "c", AF_INET, RS_SET_INTERVAL);
	add(s, "10.0.0.1");
	add(s, "10.0.0.1"); /* sorted but repeated: not strictly increasing, deduplicated */
	rs_set_sort(s);
	expect(s, sorted, 1);
	ruleset_free(rs);
}

/* 4,000 IPv6 addresses in a scattered order, each twice, the comment naming its address. */
static void test_sort_long(void **state)
{
	struct ruleset *rs = ruleset_new("t");
	struct rs_elem e = { 0 };
	char text[64], want[64];
	struct rs_set *s;
	size_t i, n = 4000;

	(void)state;
	assert_non_null(rs);
	s = ruleset_add_set(rs, "l", AF_INET6, 0);
	assert_non_null(s);
	for (i = 0; i < 2 * n; i++) {
		/* 2477 is prime to n: i * 2477 mod n visits every index once per n steps. */
		snprintf(text, sizeof(text), "2001:db8::%zx:%zx", (i * 2477 % n) >> 8,
			 (i * 2477 % n) & 0xff);
		assert_int_equal(rs_addr_parse(text, &e.addr), 0);
		e.comment = text;
		assert_int_equal(rs_set_add_elem(s, &e), 0);
	}
	rs_set_sort(s);
	assert_int_equal(s->n_elems, n);
	for (i = 0; i < n; i++) {
		if (i)
			assert_true(rs_addr_cmp(&s->elems[i - 1].addr, &s->elems[i].addr) < 0);
		rs_addr_format(&s->elems[i].addr, want, sizeof(want));
		assert_non_null(s->elems[i].comment);
		assert_int_equal(rs_addr_parse(s->elems[i].comment, &e.addr), 0);
		rs_addr_format(&e.addr, text, sizeof(text));
		assert_string_equal(text, want);
	}
	ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_v4),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_sort_long),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
