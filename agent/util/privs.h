/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef FG_PRIVS_H
#define FG_PRIVS_H

#include <stdbool.h>

/* Whether systemd started us (NOTIFY_SOCKET or INVOCATION_ID in the environment). */
bool privs_under_systemd(void);

/*
 * Least privilege for flowguard run, called after detection and before any network input.
 * As root outside systemd: drops every capability but CAP_NET_ADMIN from the bounding,
 * permitted, effective, inheritable and ambient sets. Under systemd (which set the sets
 * from the unit): checks that CAP_NET_ADMIN is effective. Both then set no_new_privs.
 * Returns 0, -EPERM when CAP_NET_ADMIN is missing, or another -errno from the kernel.
 */
int privs_restrict(void);

#endif
