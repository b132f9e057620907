/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The facts file (agent/detect/load.c): a detection with awkward strings (quotes,
 * backslashes, control bytes, UTF-8, null values, IPv6 with a port, a negative priority)
 * survives detection_save + detection_load byte for byte in its JSON; wrong types and
 * missing fields are refused with file:line:col. Loading needs a root-owned file, so the
 * tests skip when not run as root (the package build runs them unprivileged).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/detect/detect_int.h"

static char dir[64];
static char path[96];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fg-test-facts.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/f.json", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(dir);
}

static char *json_of(const struct detection *det)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(detection_print_json(det, f), 0);
	fclose(f);
	return buf;
}

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0644), 0);
}

static const char *diag_str(const struct diag *d)
{
	static char buf[4096];
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < d->n && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s\n", d->msgs[i].text);
	return buf;
}

static void test_roundtrip(void **state)
{
	struct detection *det = calloc(1, sizeof(*det)), *back = NULL;
	struct diag d = { 0 };
	char *a, *b;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_non_null(det);
	assert_int_equal(detect_role(det, ROLE_RELAY, "4122 \"open\"", "/proc/net/tcp{,6}"), 0);
	det->region = strdup("de-1");
	det->manager_url = strdup("https://m.example/\\path?q=\"x\"\x01\t\xc3\xa9");
	det->legacy_dsaas = true;
	det->comm_known = true;
	det->comm = COMM_BIDIRECTIONAL;
	assert_int_equal(detect_endpoint(det, FACT_PROXY, "[2001:db8::1]:3128", "/etc/x", 3, &d),
			 0);
	assert_int_equal(detect_endpoint(det, FACT_DNS_SERVERS, "192.0.2.53", "/etc/resolv.conf", 1,
					 &d),
			 0);
	assert_int_equal(detect_evidence(det, "firewall", NULL, "nf_tables \\ dump", NULL), 0);
	assert_int_equal(detect_conflict(det, "table ip filter chain OUTPUT", "output", -150,
					 "drop", "drops \"everything\""),
			 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(detection_save(det, path), 0);
	assert_int_equal(detection_load(path, &back, &d), 0);
	assert_string_equal(diag_str(&d), "");
	a = json_of(det);
	b = json_of(back);
	assert_string_equal(a, b);
	assert_true(back->roles & (1U << ROLE_RELAY));
	assert_true(back->legacy_dsaas);
	assert_int_equal(back->comm, COMM_BIDIRECTIONAL);
	assert_int_equal(back->lists[FACT_PROXY].n, 1);
	assert_string_equal(back->lists[FACT_PROXY].v[0].text, "2001:db8::1");
	assert_int_equal(back->lists[FACT_PROXY].v[0].port, 3128);
	assert_true(back->lists[FACT_PROXY].set);
	assert_int_equal(back->conflicts[0].priority, -150);
	assert_null(back->ev[back->n_ev - 1].value);
	free(a);
	free(b);
	detection_free(det);
	detection_free(back);
	diag_clear(&d);
}

/* Each case: a facts file and the one error it must produce. */
static void test_refused(void **state)
{
	static const char *const base = "{\"roles\": [], \"region\": null, \"legacy_dsaas\": "
					"false, \"communication\": null, \"manager_url\": null, ";
	static const struct {
		const char *tail, *error;
	} cases[] = {
		{ "\"facts\": {}, \"evidence\": [], \"conflicts\": [{\"where\": \"w\", \"hook\": "
		  "\"output\", \"priority\": \"high\", \"policy\": \"drop\", \"meaning\": \"m\"}]}",
		  ":1:186: error: priority must be an integer, not 'high'" },
		{ "\"facts\": {}, \"evidence\": [{\"fact\": \"x\", \"value\": null, \"note\": null}], "
		  "\"conflicts\": []}",
		  ":1:124: error: evidence: missing 'source'" },
		{ "\"facts\": {\"dns-server\": [\"192.0.2.1\"]}, \"evidence\": [], \"conflicts\": []}",
		  ":1:108: error: unknown host fact 'dns-server'; did you mean 'dns-servers'?" },
		{ "\"facts\": {\"dns-servers\": \"192.0.2.1\"}, \"evidence\": [], \"conflicts\": []}",
		  ":1:123: error: dns-servers must be a list, not '192.0.2.1'" },
		{ "\"facts\": [], \"evidence\": [], \"conflicts\": []}",
		  ":1:107: error: facts must be a mapping, not a list" },
	};
	char text[1024], want[256];
	struct detection *det = NULL;
	struct diag d = { 0 };
	size_t i;

	(void)state;
	if (geteuid() != 0)
		skip();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s%s\n", base, cases[i].tail);
		write_file(text);
		assert_int_equal(detection_load(path, &det, &d), -EINVAL);
		assert_null(det);
		snprintf(want, sizeof(want), "%s%s\n", path, cases[i].error);
		assert_string_equal(diag_str(&d), want);
		diag_clear(&d);
	}
	/* legacy_dsaas as YAML's "yes" is not JSON's true */
	snprintf(text, sizeof(text),
		 "{\"roles\": [], \"region\": null, \"legacy_dsaas\": yes, "
		 "\"communication\": null, \"manager_url\": null, \"facts\": {}, \"evidence\": [], "
		 "\"conflicts\": []}\n");
	write_file(text);
	assert_int_equal(detection_load(path, &det, &d), -EINVAL);
	snprintf(want, sizeof(want), "%s:1:47: error: legacy_dsaas must be true or false\n", path);
	assert_string_equal(diag_str(&d), want);
	diag_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
