/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Capabilities for flowguard run, with capget/capset and prctl directly (no libcap: three
 * system calls do not justify a dependency). Only CAP_NET_ADMIN stays: nf_tables needs it,
 * and so does SO_RCVBUFFORCE. Under the unit the agent is already the user flowguard
 * with only that capability (ambient); started by hand as root it stays uid 0 (it owns
 * the state and run directories it was given) with the same single capability.
 *
 * What to drop is decided from the capabilities the process holds, never from the
 * environment: NOTIFY_SOCKET or INVOCATION_ID are set by whoever starts the process, so
 * they cannot vouch that a service manager already took the rest away.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/util/privs.h"

#define KEEP_BIT (1U << CAP_NET_ADMIN) /* CAP_NET_ADMIN (12) is in the first 32-bit word */
#define LAST_CAP 63

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

/* Whether an ambient capability other than CAP_NET_ADMIN is raised. */
static bool ambient_others(void)
{
	int c, r;

	for (c = 0; c <= LAST_CAP; c++) {
		if (c == CAP_NET_ADMIN)
			continue;
		r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, (unsigned long)c, 0, 0);
		if (r < 0) /* EINVAL: past the kernel's last capability, or no ambient sets */
			break;
		if (r == 1)
			return true;
	}
	return false;
}

/* Whether any set holds a capability other than CAP_NET_ADMIN. */
static bool holds_others(const struct __user_cap_data_struct d[static 2])
{
	return ((d[0].effective | d[0].permitted | d[0].inheritable) & ~KEEP_BIT) ||
	       d[1].effective || d[1].permitted || d[1].inheritable || ambient_others();
}

/* Empties the bounding set but for CAP_NET_ADMIN; needs CAP_SETPCAP, so before capset. */
static int drop_bounding(void)
{
	int c;

	for (c = 0; c <= LAST_CAP; c++) {
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

/* Keeps CAP_NET_ADMIN effective and permitted (if held), nothing else anywhere. */
static int drop_others(const struct __user_cap_data_struct held[static 2])
{
	struct __user_cap_data_struct d[2] = { { 0 } };
	int r;

	/* Without CAP_SETPCAP the bounding set stays; no_new_privs makes it moot. */
	if (held[0].effective & (1U << CAP_SETPCAP)) {
		r = drop_bounding();
		if (r < 0)
			return r;
	}
	/* Ambient needs no privilege to clear; EINVAL means a kernel without ambient sets. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	d[0].effective = held[0].permitted & KEEP_BIT;
	d[0].permitted = held[0].permitted & KEEP_BIT;
	return cap_set(d);
}

int privs_restrict(void)
{
	struct __user_cap_data_struct d[2];
	int r;

	r = cap_get(d);
	if (r == 0 && holds_others(d)) {
		r = drop_others(d);
		if (r == 0)
			r = cap_get(d);
	}
	if (r < 0)
		return r;
	if (!(d[0].effective & KEEP_BIT))
		return -EPERM;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
}
