/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Untrusted text on its way out (policies/text.c and its users): what a terminal, the
 * journal, a YAML comment or a JSON string gets for control bytes, DEL, invalid UTF-8 and
 * the characters YAML ends a line at (U+0085, U+2028, U+2029). json_str() output must load
 * back with libyaml whatever the input (a foreign table's name with DEL or a 0xff byte
 * made the facts file unloadable); a diagnostic and a log line never carry a line break.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/util/json.h"
#include "agent/util/log.h"
#include "policies/diag.h"
#include "policies/text.h"
#include "policies/ynode.h"

/* The nasty ones: C0, DEL, C1 (NEL), line/paragraph separators, BOM, bidi, bad UTF-8. */
static const char *const nasty[] = {
	"a\nb",
	"a\rb",
	"a\tb",
	"del\x7f",
	"nel\xc2\x85x",
	"ls\xe2\x80\xa8x",
	"ps\xe2\x80\xa9x",
	"bom\xef\xbb\xbfx",
	"rlo\xe2\x80\xaex",
	"c1\xc2\x9b[31m",
	"esc\x1b[2J",
	"ff\xff",
	"cut\xe2\x80",
	"overlong\xc0\xaf",
	"surrogate\xed\xa0\x80",
	"big\xf4\x90\x80\x80",
	"nonchar\xef\xbf\xbe",
};

static char *put_of(void (*put)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	put(f, s);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_decode(void **state)
{
	uint32_t cp = 0;

	(void)state;
	assert_int_equal(text_decode("A", &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(text_decode("\xc3\xa9", &cp), 2);
	assert_int_equal(cp, 0xe9);
	assert_int_equal(text_decode("\xe2\x80\xa8", &cp), 3);
	assert_int_equal(cp, 0x2028);
	assert_int_equal(text_decode("\xf0\x9f\x98\x80", &cp), 4);
	assert_int_equal(cp, 0x1f600);
	assert_int_equal(text_decode("", &cp), 0);
	assert_int_equal(text_decode("\xc0\xaf", &cp), 0);	   /* overlong '/' */
	assert_int_equal(text_decode("\xe0\x80\xaf", &cp), 0);	   /* overlong, 3 bytes */
	assert_int_equal(text_decode("\xed\xa0\x80", &cp), 0);	   /* surrogate */
	assert_int_equal(text_decode("\xf4\x90\x80\x80", &cp), 0); /* past U+10FFFF */
	assert_int_equal(text_decode("\xe2\x80", &cp), 0);	   /* cut short */
	assert_int_equal(text_decode("\x80", &cp), 0);
	assert_int_equal(text_decode("\xff", &cp), 0);
}

static void test_put(void **state)
{
	static const char *const want[] = {
		"a\\x0ab",
		"a\\x0db",
		"a\\x09b",
		"del\\x7f",
		"nel\\xc2\\x85x",
		"ls\\xe2\\x80\\xa8x",
		"ps\\xe2\\x80\\xa9x",
		"bom\\xef\\xbb\\xbfx",
		"rlo\\xe2\\x80\\xaex",
		"c1\\xc2\\x9b[31m",
		"esc\\x1b[2J",
		"ff\\xff",
		"cut\\xe2\\x80",
		"overlong\\xc0\\xaf",
		"surrogate\\xed\\xa0\\x80",
		"big\\xf4\\x90\\x80\\x80",
		"nonchar\\xef\\xbf\\xbe",
	};
	char buf[64];
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++) {
		s = put_of(text_put, nasty[i]);
		assert_string_equal(s, want[i]);
		assert_int_equal(text_escape(buf, sizeof(buf), nasty[i]), strlen(want[i]));
		assert_string_equal(buf, want[i]);
		assert_false(text_is_clean(nasty[i]));
		free(s);
	}
	/* Printable UTF-8 and a backslash pass as they are. */
	s = put_of(text_put, "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac c:\\x \xf0\x9f\x98\x80");
	assert_string_equal(s, "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac c:\\x \xf0\x9f\x98\x80");
	assert_true(text_is_clean(s));
	free(s);
}

/* An escape is never cut: what does not fit is left out whole. */
static void test_escape_room(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(text_escape(buf, sizeof(buf), "abcd\n"), 8);
	assert_string_equal(buf, "abcd");
	assert_int_equal(text_escape(buf, sizeof(buf), "abc\n"), 7);
	assert_string_equal(buf, "abc\\x0a");
	assert_int_equal(text_escape(buf, 1, "abc"), 3);
	assert_string_equal(buf, "");
	assert_int_equal(text_escape(NULL, 0, "\xe2\x80\xa8"), 12);
}

/* Every JSON string loads back with libyaml as one scalar, and control bytes survive. */
static void test_json_loads(void **state)
{
	struct ydoc *doc = NULL;
	struct diag d = { 0 };
	char *s, *doc_text;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++) {
		s = put_of(json_str, nasty[i]);
		assert_true(asprintf(&doc_text, "{\"k\": %s}", s) > 0);
		if (ydoc_parse("t.json", doc_text, strlen(doc_text), &doc, &d) < 0) {
			diag_print(&d, stderr);
			fail_msg("%s does not load", s);
		}
		assert_non_null(ymap_get(doc->root, "k"));
		ydoc_free(doc);
		free(doc_text);
		free(s);
	}
	s = put_of(json_str, "del\x7f \xff \xe2\x80\xa8 \"q\" \\");
	assert_string_equal(s, "\"del\\u007f \\\\xff \\u2028 \\\"q\\\" \\\\\"");
	free(s);
	diag_clear(&d);
}

static void test_diag(void **state)
{
	struct diag d = { 0 };
	struct loc loc = { "f.yaml", 2, 3 };

	(void)state;
	diag_err(&d, &loc, "bad '%s'", "x\nf.yaml:1:1: error: forged\xe2\x80\xa8");
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0].text, "f.yaml:2:3: error: bad 'x\\x0af.yaml:1:1: error: "
					    "forged\\xe2\\x80\\xa8'");
	diag_clear(&d);
}

/* A process name with a line break cannot forge a second journal line. */
static void test_log(void **state)
{
	char path[] = "/tmp/fg-test-log.XXXXXX", line[512];
	int fd = mkstemp(path), saved = dup(2);
	FILE *f;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	setenv("JOURNAL_STREAM", "1:1", 1);
	log_init();
	assert_int_equal(dup2(fd, 2), 2);
	log_warn(0, "process 42 ('%s') deleted the table", "nft\n<3>flowguard: forged\x1b[2J");
	assert_int_equal(dup2(saved, 2), 2);
	f = fdopen(fd, "r");
	assert_non_null(f);
	rewind(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "<4>process 42 ('nft\\x0a<3>flowguard: forged\\x1b[2J') deleted "
				  "the table\n");
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(path);
	close(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),	    cmocka_unit_test(test_put),
		cmocka_unit_test(test_escape_room), cmocka_unit_test(test_json_loads),
		cmocka_unit_test(test_diag),	    cmocka_unit_test(test_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
