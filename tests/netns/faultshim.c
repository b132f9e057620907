/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LD_PRELOAD fault injection for the netns tests: makes sendto() of an nf_tables batch
 * (a message stream that opens with NFNL_MSG_BATCH_BEGIN) fail with an errno, so the
 * transaction never reaches the kernel. Other netlink traffic (dumps, and the feature
 * probes' batches, which name their fg_probe_* scratch tables) is untouched.
 *   FG_FAULT_ERRNO    the errno (a number), e.g. 105 for ENOBUFS
 *   FG_FAULT_BATCHES  how many batches fail, from the first; -1: all of them
 * Each injected fault is counted in the file FG_FAULT_LOG, one line each, when set.
 *   FG_FAULT_NO_PERSIST=1  a kernel without NFT_TABLE_F_PERSIST (before 6.9): in every
 *                          batch (probes too), a NEWTABLE that asks for persist asks for an
 *                          unknown flag (bit 31) instead, which the real kernel refuses as
 *                          such a kernel refuses persist (EOPNOTSUPP); each such batch is
 *                          logged as "persist sent as an unknown flag".
 *   FG_FAULT_RACE=CMD      another process changes the ruleset between the read and the
 *                          commit: CMD runs through system() once, just before the first
 *                          batch is sent (without the preload), and is logged as
 *                          "race: CMD".
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

/* Older headers lack it (Debian 12's); the value is the kernel's ABI (6.9). */
#ifndef NFT_TABLE_F_PERSIST
#define NFT_TABLE_F_PERSIST 0x4
#endif

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen);

static int failed;

/* A transaction's batch: a message stream opening with BATCH_BEGIN, not a probe's. */
static int is_commit(const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;

	return len >= sizeof(*nlh) && nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN &&
	       !memmem(buf, len, "fg_probe_", 9);
}

static int should_fail(const void *buf, size_t len)
{
	const char *e = getenv("FG_FAULT_ERRNO"), *n = getenv("FG_FAULT_BATCHES");
	int max;

	if (!e || !is_commit(buf, len))
		return 0;
	max = n ? atoi(n) : -1;
	if (max >= 0 && failed >= max)
		return 0;
	failed++;
	return atoi(e);
}

static void note(const char *what)
{
	const char *log = getenv("FG_FAULT_LOG");
	FILE *f;

	if (log && (f = fopen(log, "a"))) {
		fprintf(f, "%s\n", what);
		fclose(f);
	}
}

/* In a NEWTABLE message: persist becomes bit 31, a flag no kernel knows. */
static int unpersist_table(struct nlmsghdr *nlh)
{
	struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(nlh) +
					     NLMSG_ALIGN(sizeof(struct nfgenmsg)));
	char *end = (char *)nlh + nlh->nlmsg_len;
	uint32_t v;

	for (; (char *)a + sizeof(*a) <= end && a->nla_len >= sizeof(*a);
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
		if ((a->nla_type & NLA_TYPE_MASK) != NFTA_TABLE_FLAGS ||
		    a->nla_len < NLA_HDRLEN + 4)
			continue;
		memcpy(&v, (char *)a + NLA_HDRLEN, 4);
		if (!(ntohl(v) & NFT_TABLE_F_PERSIST))
			return 0;
		v = htonl((ntohl(v) & ~(uint32_t)NFT_TABLE_F_PERSIST) | 0x80000000U);
		memcpy((char *)a + NLA_HDRLEN, &v, 4);
		return 1;
	}
	return 0;
}

/* A copy of the batch with persist turned into an unknown flag, or NULL if none asks for it. */
static void *unpersist(const void *buf, size_t len)
{
	const struct nlmsghdr *first = buf;
	struct nlmsghdr *nlh;
	size_t left = len;
	int n = 0;
	char *c;

	if (!getenv("FG_FAULT_NO_PERSIST") || len < sizeof(*first) ||
	    first->nlmsg_type != NFNL_MSG_BATCH_BEGIN || !(c = malloc(len)))
		return NULL;
	memcpy(c, buf, len);
	for (nlh = (struct nlmsghdr *)c; NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left))
		if (nlh->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE))
			n += unpersist_table(nlh);
	if (!n) {
		free(c);
		return NULL;
	}
	note("persist sent as an unknown flag");
	return c;
}

/* Runs FG_FAULT_RACE's command once, before the first batch (not a probe's) goes out. */
static void race(const void *buf, size_t len)
{
	const char *v = getenv("FG_FAULT_RACE");
	char *cmd, line[600];

	if (!v || !is_commit(buf, len) || !(cmd = strdup(v)))
		return;
	unsetenv("FG_FAULT_RACE");
	unsetenv("LD_PRELOAD");
	snprintf(line, sizeof(line), "race: %s%s", cmd, system(cmd) ? " (failed)" : "");
	note(line);
	free(cmd);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen)
{
	static ssize_t (*real)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
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
	void *copy;
	ssize_t n;

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "sendto");
	race(buf, len);
	copy = unpersist(buf, len);
	n = real(fd, copy ? copy : buf, len, flags, to, tolen);
	free(copy);
	return n;
}
