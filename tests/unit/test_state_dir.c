/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's run and state directories (agent/daemon/state.c): created 0700, an existing
 * one of ours tightened to 0700; a symlink in their place is not followed (the agent may
 * still be root there: chmod through it changed the mode of whatever it named), and a
 * directory another user owns is left alone.
 */
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

#include "agent/daemon/daemon_int.h"

static char top[64], path_a[128], path_b[128];

static int setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/fg-test-statedir.XXXXXX");
	if (!mkdtemp(top))
		return -1;
	snprintf(path_a, sizeof(path_a), "%s/a", top);
	snprintf(path_b, sizeof(path_b), "%s/b", top);
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd);
}

static mode_t mode_of(const char *p)
{
	struct stat st;

	assert_int_equal(lstat(p, &st), 0);
	return st.st_mode & 07777;
}

static void test_created_private(void **state)
{
	struct state st;

	(void)state;
	assert_int_equal(chmod(top, 0755), 0);
	assert_int_equal(state_open(&st, path_a, path_b), 0);
	assert_int_equal(mode_of(path_a), 0700);
	assert_int_equal(mode_of(path_b), 0700);
	/* An existing one of ours is tightened. */
	assert_int_equal(chmod(path_b, 0755), 0);
	assert_int_equal(state_open(&st, path_a, path_b), 0);
	assert_int_equal(mode_of(path_b), 0700);
}

static void test_symlink_not_followed(void **state)
{
	char target[160];
	struct state st;

	(void)state;
	snprintf(target, sizeof(target), "%s/shared", top);
	assert_int_equal(mkdir(target, 0755), 0);
	assert_int_equal(chmod(target, 0755), 0);
	assert_int_equal(symlink(target, path_b), 0);
	assert_int_equal(state_open(&st, path_a, path_b), 0); /* a warning, not a stop */
	assert_int_equal(mode_of(target), 0755);
}

static void test_foreign_owner(void **state)
{
	struct state st;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(mkdir(path_b, 0755), 0);
	assert_int_equal(chmod(path_b, 0755), 0);
	assert_int_equal(chown(path_b, 1, 1), 0);
	assert_int_equal(state_open(&st, path_a, path_b), 0);
	assert_int_equal(mode_of(path_b), 0755);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_created_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_owner, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
