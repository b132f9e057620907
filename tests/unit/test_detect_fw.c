/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * detect_firewalls() on fixture trees: legacy iptables tables are conflicts, garbage in
 * ip_tables_names is a warning naming file:line, and the kernel's ruleset is not read for
 * a tree that is not the live host. detect_read_file is wrapped (-Wl,--wrap) with a plain
 * reader, so this tests the firewall detector alone; the live part is tests/netns/t_conflict.sh.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/detect/detect_int.h"

#define LEGACY_ROOT "tests/detect/legacy-iptables/root"

int __wrap_detect_read_file(const char *root, const char *path, char **ret, size_t *ret_len,
			    struct diag *d);

int __wrap_detect_read_file(const char *root, const char *path, char **ret, size_t *ret_len,
			    struct diag *d)
{
	char full[4096], *buf;
	size_t n;
	FILE *f;

	(void)d;
	snprintf(full, sizeof(full), "%s%s", root, path);
	f = fopen(full, "r");
	if (!f)
		return -errno;
	buf = calloc(1, DETECT_MAX_FILE + 1);
	assert_non_null(buf);
	n = fread(buf, 1, DETECT_MAX_FILE, f);
	fclose(f);
	*ret = buf;
	*ret_len = n;
	return 0;
}

static const struct evidence *find_ev(const struct detection *det, const char *value,
				      const char *note)
{
	size_t i;

	for (i = 0; i < det->n_ev; i++) {
		const struct evidence *e = &det->ev[i];

		if ((value ? e->value && !strcmp(e->value, value) : !e->value) &&
		    (!note || (e->note && strstr(e->note, note))))
			return e;
	}
	return NULL;
}

static void test_legacy(void **state)
{
	struct detection *det;
	struct diag d = { 0 };
	const struct evidence *e;

	(void)state;
	det = calloc(1, sizeof(*det));
	assert_non_null(det);
	assert_int_equal(detect_firewalls(det, LEGACY_ROOT, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(det->n_conflicts, 2);
	assert_string_equal(det->conflicts[0].where, "iptables-legacy table filter");
	assert_string_equal(det->conflicts[0].hook, "netfilter (x_tables)");
	assert_int_equal(det->conflicts[0].priority, 0);
	assert_string_equal(det->conflicts[0].meaning,
			    "legacy iptables rules run beside nftables; flowguard cannot see "
			    "their verdicts: check `iptables-legacy -S`");
	assert_string_equal(det->conflicts[1].where, "iptables-legacy table nat");
	assert_int_equal(det->conflicts[1].priority, -100);
	assert_non_null(strstr(det->conflicts[1].meaning, "`iptables-legacy -t nat -S`"));
	e = find_ev(det, "iptables-legacy table nat", NULL);
	assert_non_null(e);
	assert_string_equal(e->source, "/proc/net/ip_tables_names:2");
	/* no ip6_tables_names in the tree: looked for, not found */
	e = find_ev(det, NULL, "no legacy iptables tables");
	assert_non_null(e);
	assert_string_equal(e->source, "/proc/net/ip6_tables_names");
	assert_non_null(find_ev(det, NULL, "not the live host"));
	diag_clear(&d);
	detection_free(det);
}

/* A tree of its own under /tmp with ip6_tables_names holding text. */
static void make_tree(char root[static 64], const char *text)
{
	char path[128];
	FILE *f;

	snprintf(root, 64, "/tmp/fg_fw_XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/proc", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/net", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/net/ip6_tables_names", root);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void remove_tree(const char *root)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/proc/net/ip6_tables_names", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/proc/net", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/proc", root);
	rmdir(path);
	rmdir(root);
}

static void test_garbage(void **state)
{
	struct detection *det;
	struct diag d = { 0 };
	char root[64];

	(void)state;
	det = calloc(1, sizeof(*det));
	assert_non_null(det);
	make_tree(root, "raw\nNOT a table;\n\n\x01\xff\nmangle");
	assert_int_equal(detect_firewalls(det, root, &d), 0);
	assert_int_equal(det->n_conflicts, 2);
	assert_string_equal(det->conflicts[0].where, "ip6tables-legacy table raw");
	assert_int_equal(det->conflicts[0].priority, -300);
	assert_string_equal(det->conflicts[1].where, "ip6tables-legacy table mangle");
	assert_non_null(strstr(det->conflicts[1].meaning, "`ip6tables-legacy -t mangle -S`"));
	assert_int_equal(d.n, 2);
	assert_non_null(strstr(d.msgs[0].text, "/proc/net/ip6_tables_names:2"));
	assert_non_null(strstr(d.msgs[1].text, "/proc/net/ip6_tables_names:4"));
	remove_tree(root);
	diag_clear(&d);
	detection_free(det);
}

static void test_empty(void **state)
{
	struct detection *det;
	struct diag d = { 0 };
	char root[64];

	(void)state;
	det = calloc(1, sizeof(*det));
	assert_non_null(det);
	make_tree(root, "");
	assert_int_equal(detect_firewalls(det, root, &d), 0);
	assert_int_equal(det->n_conflicts, 0);
	assert_int_equal(d.n, 0);
	remove_tree(root);
	diag_clear(&d);
	detection_free(det);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_legacy),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
