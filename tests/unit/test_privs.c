/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * privs_restrict() in forked children (it changes the process for good), read back from
 * /proc/self/status. The drop is decided from the capabilities held: a full root with
 * INVOCATION_ID and NOTIFY_SOCKET set (anyone can set them) still ends with CAP_NET_ADMIN
 * only; a unit-like process (CAP_NET_ADMIN alone, ambient) keeps its ambient bit; one
 * with an extra capability and no CAP_SETPCAP loses the extra one; one without
 * CAP_NET_ADMIN gets -EPERM. Needs root; skipped otherwise.
 */
#include <errno.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/util/privs.h"

#define NET_ADMIN "0000000000001000"
#define NONE "0000000000000000"

/* The value of "Key:" in /proc/self/status, or "" */
static const char *proc_status(const char *key)
{
	static char val[64];
	char line[256];
	size_t n = strlen(key);
	FILE *f = fopen("/proc/self/status", "re");

	val[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':' &&
		    sscanf(line + n + 1, "%63s", val) == 1)
			break;
	if (f)
		fclose(f);
	return val;
}

/* In the child: each mismatch is printed, and the exit status counts them. */
static int expect(const char *key, const char *want)
{
	const char *got = proc_status(key);

	if (!strcmp(got, want))
		return 0;
	fprintf(stderr, "  %s is %s, want %s\n", key, got, want);
	return 1;
}

/* Sets effective = permitted = bits, inheritable = inh (first word only). */
static int cap_to(uint32_t bits, uint32_t inh)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { 0 } };

	d[0].effective = bits;
	d[0].permitted = bits;
	d[0].inheritable = inh;
	return (int)syscall(SYS_capset, &h, d);
}

static int run_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int root_with_env(void)
{
	int bad = 0;

	setenv("INVOCATION_ID", "0123456789abcdef0123456789abcdef", 1);
	setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
	if (privs_restrict() != 0)
		return 100;
	bad += expect("CapEff", NET_ADMIN) + expect("CapPrm", NET_ADMIN);
	bad += expect("CapBnd", NET_ADMIN) + expect("CapInh", NONE) + expect("CapAmb", NONE);
	return bad + expect("NoNewPrivs", "1");
}

static void test_env_does_not_decide(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(run_child(root_with_env), 0);
}

/* What the unit gives: CAP_NET_ADMIN in every set but bounding's others, ambient too. */
static int unit_like(void)
{
	int bad = 0, c;

	for (c = 0; c < 64; c++)
		if (c != CAP_NET_ADMIN && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno == EINVAL)
			break;
	if (cap_to(1U << CAP_NET_ADMIN, 1U << CAP_NET_ADMIN) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0) < 0)
		return 101;
	if (privs_restrict() != 0)
		return 100;
	bad += expect("CapEff", NET_ADMIN) + expect("CapPrm", NET_ADMIN);
	bad += expect("CapInh", NET_ADMIN) + expect("CapAmb", NET_ADMIN);
	return bad + expect("NoNewPrivs", "1");
}

static void test_unit_like_unchanged(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(run_child(unit_like), 0);
}

/* An extra capability and no CAP_SETPCAP: the extra one goes, the bounding set stays. */
static int extra_no_setpcap(void)
{
	setenv("INVOCATION_ID", "x", 1);
	if (cap_to(1U << CAP_NET_ADMIN | 1U << CAP_SYS_ADMIN, 0) < 0)
		return 101;
	if (privs_restrict() != 0)
		return 100;
	return expect("CapEff", NET_ADMIN) + expect("CapPrm", NET_ADMIN);
}

static void test_extra_dropped(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(run_child(extra_no_setpcap), 0);
}

static int without_net_admin(void)
{
	if (cap_to(1U << CAP_SYS_ADMIN, 0) < 0)
		return 101;
	return privs_restrict() == -EPERM ? 0 : 100;
}

static void test_no_net_admin(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(run_child(without_net_admin), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_does_not_decide),
		cmocka_unit_test(test_unit_like_unchanged),
		cmocka_unit_test(test_extra_dropped),
		cmocka_unit_test(test_no_net_admin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
