/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef FG_PRIVS_H
#define FG_PRIVS_H

/*
 * Least privilege for flowguard run, called after detection and before any network input.
 * If the process holds any capability but CAP_NET_ADMIN (effective, permitted,
 * inheritable or ambient; whatever started it, and whatever its environment says), it
 * drops every other one from the permitted, effective, inheritable and ambient sets, and
 * from the bounding set when it may (CAP_SETPCAP). Then it checks that CAP_NET_ADMIN is
 * effective and sets no_new_privs. Under the unit (CAP_NET_ADMIN only, ambient) nothing
 * changes. Returns 0, -EPERM when CAP_NET_ADMIN is missing, or another -errno.
 */
int privs_restrict(void);

#endif
