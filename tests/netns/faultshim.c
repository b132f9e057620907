/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LD_PRELOAD fault injection for the netns tests: makes sendto() of an nf_tables batch
 * (a message stream that opens with NFNL_MSG_BATCH_BEGIN) fail with an errno, so the
 * transaction never reaches the kernel. Other netlink traffic (dumps, and the feature
 * probes' batches, which name their fg_probe_* scratch tables) is untouched.
 *   FG_FAULT_ERRNO    the errno (a number), e.g. 105 for ENOBUFS
 *   FG_FAULT_BATCHES  how many batches fail, from the first; -1: all of them
 * Each injected fault is counted in the file FG_FAULT_LOG, one line each, when set.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen);

static int failed;

static int should_fail(const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	const char *e = getenv("FG_FAULT_ERRNO"), *n = getenv("FG_FAULT_BATCHES");
	int max;

	if (!e || len < sizeof(*nlh) || nlh->nlmsg_type != NFNL_MSG_BATCH_BEGIN ||
	    memmem(buf, len, "fg_probe_", 9))
		return 0;
	max = n ? atoi(n) : -1;
	if (max >= 0 && failed >= max)
		return 0;
	failed++;
	return atoi(e);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen)
{
	static ssize_t (*real)(int, const void *, size_t, int, const struct sockaddr *,
			       socklen_t);
	const char *log = getenv("FG_FAULT_LOG");
	int err = should_fail(buf, len);
	FILE *f;

	if (err) {
		if (log && (f = fopen(log, "a"))) {
			fprintf(f, "injected errno %d\n", err);
			fclose(f);
		}
		errno = err;
		return -1;
	}
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "sendto");
	return real(fd, buf, len, flags, to, tolen);
}
