/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nf_tables change events (NFNLGRP_NFTABLES) for self-healing. The kernel sends one event
 * per object a transaction touched, each with the committing socket's portid in
 * nlmsg_pid, then NFT_MSG_NEWGEN carrying the committer's pid and process name. We collect
 * what others did to our table and report it when their NEWGEN arrives; our own commits
 * carry our portid and are skipped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>

#include "agent/daemon/daemon_int.h"

/* Events for one big commit can be many; nft monitor uses the same size of buffer. */
#define MONITOR_BUF (128 * 1024)
#define MONITOR_RCVBUF (8 * 1024 * 1024)

int monitor_open(struct monitor *m, uint32_t our_portid)
{
	int grp = NFNLGRP_NFTABLES, size = MONITOR_RCVBUF, fd, r;

	memset(m, 0, sizeof(*m));
	m->our_portid = our_portid;
	m->buf = malloc(MONITOR_BUF);
	m->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!m->buf || !m->nl) {
		r = m->buf ? -errno : -ENOMEM;
		monitor_close(m);
		return r;
	}
	fd = mnl_socket_get_fd(m->nl);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (mnl_socket_bind(m->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(m->nl, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0) {
		r = -errno;
		monitor_close(m);
		return r;
	}
	return 0;
}

void monitor_close(struct monitor *m)
{
	if (m->nl)
		mnl_socket_close(m->nl);
	free(m->buf);
	m->nl = NULL;
	m->buf = NULL;
}

int monitor_fd(const struct monitor *m)
{
	return mnl_socket_get_fd(m->nl);
}

/*
 * The table an object event is about: every object message (table, chain, rule, set,
 * element list, object, flowtable) carries it as attribute 1 (NFTA_TABLE_NAME,
 * NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE, NFTA_SET_ELEM_LIST_TABLE, ...).
 */
static const char *event_table(const struct nlmsghdr *nlh)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == 1 && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(a);
	}
	return NULL;
}

static const char *verb(unsigned int type)
{
	switch (type) {
	case NFT_MSG_NEWTABLE:
		return "changed the table";
	case NFT_MSG_DELTABLE:
		return "deleted the table";
	case NFT_MSG_NEWCHAIN:
		return "added or changed a chain";
	case NFT_MSG_DELCHAIN:
		return "deleted a chain";
	case NFT_MSG_NEWRULE:
		return "added a rule";
	case NFT_MSG_DELRULE:
		return "deleted a rule";
	case NFT_MSG_NEWSET:
		return "added a set";
	case NFT_MSG_DELSET:
		return "deleted a set";
	case NFT_MSG_NEWSETELEM:
		return "added elements";
	case NFT_MSG_DELSETELEM:
		return "deleted elements";
	default:
		return "changed objects";
	}
}

/* "deleted the table, deleted a rule" from the bit mask of event types. */
static void describe(uint64_t mask, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int t;

	buf[0] = '\0';
	/* Deleting a table deletes everything in it, event by event; one verb says it all. */
	if (mask & (1ULL << NFT_MSG_DELTABLE))
		mask = 1ULL << NFT_MSG_DELTABLE;
	for (t = 0; t < 64 && off < len; t++) {
		if (!(mask & (1ULL << t)))
			continue;
		if (strstr(buf, verb(t)))
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", verb(t));
	}
}

struct event_ctx {
	struct monitor *m;
	struct heal_info *heal;
	int found;
};

/* NEWGEN closes a transaction: if it touched our table, it names who did it. */
static void gen_event(struct event_ctx *c, const struct nlmsghdr *nlh)
{
	const struct nlattr *a;
	struct heal_info *h = c->heal;

	if (!c->m->foreign || nlh->nlmsg_pid == c->m->our_portid) {
		c->m->foreign = 0;
		return;
	}
	memset(h, 0, sizeof(*h));
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFTA_GEN_PROC_PID &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			h->pid = ntohl(mnl_attr_get_u32(a));
		if (mnl_attr_get_type(a) == NFTA_GEN_PROC_NAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(h->comm, sizeof(h->comm), "%s", mnl_attr_get_str(a));
	}
	describe(c->m->foreign, h->what, sizeof(h->what));
	c->m->foreign = 0;
	c->found = 1;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct event_ctx *c = data;
	const struct nfgenmsg *nfg;
	unsigned int type = NFNL_MSG_TYPE(nlh->nlmsg_type);
	const char *table;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*nfg)))
		return MNL_CB_OK;
	if (type == NFT_MSG_NEWGEN) {
		gen_event(c, nlh);
		return MNL_CB_OK;
	}
	nfg = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_pid == c->m->our_portid || nfg->nfgen_family != NFPROTO_INET)
		return MNL_CB_OK;
	/* portid 0 is the kernel itself: elements whose timeout ran out, not a person. */
	if (nlh->nlmsg_pid == 0 && type == NFT_MSG_DELSETELEM)
		return MNL_CB_OK;
	table = event_table(nlh);
	if (table && !strcmp(table, FG_TABLE) && type < 64)
		c->m->foreign |= 1ULL << type;
	return MNL_CB_OK;
}

int monitor_read(struct monitor *m, struct heal_info *ret)
{
	struct event_ctx c = { .m = m, .heal = ret };
	ssize_t n;

	for (;;) {
		n = mnl_socket_recvfrom(m->nl, m->buf, MONITOR_BUF);
		if (n < 0 && errno == ENOBUFS) {
			/* Events were dropped: we cannot tell what happened, so check it all. */
			memset(ret, 0, sizeof(*ret));
			snprintf(ret->what, sizeof(ret->what), "unknown changes (events lost)");
			m->foreign = 0;
			c.found = 1;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return c.found;
		if (n < 0)
			return -errno;
		/* A malformed datagram spoils only itself; the next one is read as usual. */
		mnl_cb_run(m->buf, (size_t)n, 0, 0, event_cb, &c);
	}
}
