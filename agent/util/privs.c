/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Capabilities for flowguard run, with capget/capset and prctl directly (no libcap: three
 * system calls do not justify a dependency). Only CAP_NET_ADMIN stays: nf_tables needs it,
 * and so does SO_RCVBUFFORCE. Under the unit the agent is already the user flowguard
 * with only that capability (ambient); started by hand as root it stays uid 0 (it owns
 * the state and run directories it was given) with the same single capability.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/util/privs.h"

#define KEEP_BIT (1U << CAP_NET_ADMIN) /* CAP_NET_ADMIN (12) is in the first 32-bit word */

bool privs_under_systemd(void)
{
	return getenv("NOTIFY_SOCKET") || getenv("INVOCATION_ID");
}

static int cap_get(struct __user_cap_data_struct d[static 2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capget, &h, d) < 0 ? -errno : 0;
}

static int cap_set(const struct __user_cap_data_struct d[static 2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

/* Empties the bounding set but for CAP_NET_ADMIN; needs CAP_SETPCAP, so before capset. */
static int drop_bounding(void)
{
	int c;

	for (c = 0; c < 64; c++) {
		if (c == CAP_NET_ADMIN)
			continue;
		if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0) {
			if (errno == EINVAL) /* past the kernel's last capability */
				break;
			return -errno;
		}
	}
	return 0;
}

static int drop_others(void)
{
	struct __user_cap_data_struct d[2] = { { 0 } };
	int r;

	r = drop_bounding();
	if (r < 0)
		return r;
	/* Ambient needs no privilege to clear; EINVAL means a kernel without ambient sets. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	d[0].effective = KEEP_BIT;
	d[0].permitted = KEEP_BIT;
	return cap_set(d);
}

int privs_restrict(void)
{
	struct __user_cap_data_struct d[2];
	int r;

	if (geteuid() == 0 && !privs_under_systemd()) {
		r = drop_others();
		if (r < 0)
			return r;
	}
	r = cap_get(d);
	if (r < 0)
		return r;
	if (!(d[0].effective & KEEP_BIT))
		return -EPERM;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
}
