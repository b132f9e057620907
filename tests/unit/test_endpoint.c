/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * endpoint_parse() reads a plain dotted quad directly (most of a long allow list) and
 * everything else through rs_addr_parse(): both routes must give the same endpoint. A
 * dotted quad is borrowed as written exactly when it is the text rs_addr_format() gives
 * its address; other spellings (leading zeros, five parts, a port, a prefix) go the
 * general way, which accepts or refuses them as before.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "policies/model.h"

/* s is a single IPv4 address given as written: borrowed, with inet_pton()'s bytes. */
static void assert_plain_v4(const char *s)
{
	unsigned char want[4];
	const char *why = "unset";
	struct endpoint e;

	assert_int_equal(inet_pton(AF_INET, s, want), 1);
	assert_int_equal(endpoint_parse_borrow(s, &e, &why), 0);
	assert_null(why);
	assert_true(e.is_addr);
	assert_false(e.is_wildcard);
	assert_true(e.borrowed);
	assert_ptr_equal(e.text, s);
	assert_int_equal(e.addr.family, AF_INET);
	assert_int_equal(e.addr.prefix, 32);
	assert_memory_equal(e.addr.addr, want, sizeof(want));
	assert_int_equal(e.port, 0);
	endpoint_clear(&e);
}

static void test_every_octet(void **state)
{
	char s[32];
	unsigned int v, pos;

	(void)state;
	for (pos = 0; pos < 4; pos++) {
		for (v = 0; v < 256; v++) {
			snprintf(s, sizeof(s), "%u.%u.%u.%u", pos == 0 ? v : 255 - v,
				 pos == 1 ? v : 1, pos == 2 ? v : 0, pos == 3 ? v : 10);
			assert_plain_v4(s);
		}
	}
}

/* Not plain dotted quads: what the general parse makes of them (unchanged). */
static void test_other_spellings(void **state)
{
	static const struct {
		const char *s;
		int r;
		const char *text;    /* NULL: refused */
		unsigned int prefix; /* 0: a name */
		uint16_t port;
	} cases[] = {
		{ "01.2.3.4", -EINVAL, NULL, 0, 0 },
		{ "1.2.3.04", -EINVAL, NULL, 0, 0 },
		{ "1.2.3.00", -EINVAL, NULL, 0, 0 },
		{ "256.1.1.1", -EINVAL, NULL, 0, 0 },
		{ "1.2.3.1000", -EINVAL, NULL, 0, 0 },
		{ "1.2.3", -EINVAL, NULL, 0, 0 },
		{ "1.2.3.", -EINVAL, NULL, 0, 0 },
		{ "1..2.3", -EINVAL, NULL, 0, 0 },
		{ "1.2.3.4.5", -EINVAL, NULL, 0, 0 },
		{ ".1.2.3.4", -EINVAL, NULL, 0, 0 },
		{ "", -EINVAL, NULL, 0, 0 },
		{ "1.2.3.4/32", 0, "1.2.3.4", 32, 0 },
		{ "10.0.0.0/8", 0, "10.0.0.0/8", 8, 0 },
		{ "10.0.0.1/8", -ERANGE, "10.0.0.0/8", 8, 0 },
		{ "1.2.3.4:443", 0, "1.2.3.4", 32, 443 },
		{ "1.2.3.4a", 0, "1.2.3.4a", 0, 0 }, /* a DNS name: its last label is not digits */
	};
	const char *why;
	struct endpoint e;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = endpoint_parse_borrow(cases[i].s, &e, &why);
		assert_int_equal(r, cases[i].r);
		if (!cases[i].text) {
			endpoint_clear(&e);
			continue;
		}
		assert_string_equal(e.text, cases[i].text);
		assert_int_equal(e.borrowed, !strcmp(cases[i].text, cases[i].s));
		assert_int_equal(e.is_addr, cases[i].prefix != 0); /* addr valid: also a prefix */
		if (cases[i].prefix)
			assert_int_equal(e.addr.prefix, cases[i].prefix);
		assert_int_equal(e.port, cases[i].port);
		endpoint_clear(&e);
	}
}

/* endpoint_parse() keeps a copy of its own, whichever way the address was read. */
static void test_copy(void **state)
{
	char s[] = "192.0.2.1";
	const char *why;
	struct endpoint e;

	(void)state;
	assert_int_equal(endpoint_parse(s, &e, &why), 0);
	assert_false(e.borrowed);
	assert_ptr_not_equal(e.text, s);
	s[0] = '9';
	assert_string_equal(e.text, "192.0.2.1");
	assert_true(e.is_addr);
	endpoint_clear(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_octet),
		cmocka_unit_test(test_other_spellings),
		cmocka_unit_test(test_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
