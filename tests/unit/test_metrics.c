/* SPDX-License-Identifier: GPL-2.0-or-later */
/* metrics_label_value(): the exposition format's three escapes, and nothing else changed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "agent/report/metrics.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
