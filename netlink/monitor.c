/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nf_tables change events: the subscribed socket and the decoder; see monitor.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>

#include "monitor.h"

/* Events for one big commit can be many; nft monitor uses the same size of buffer. */
#define MONITOR_BUF (128 * 1024)
#define MONITOR_RCVBUF (8 * 1024 * 1024)

struct monitor {
	struct mnl_socket *nl;
	char *buf;
};

/* A bigger buffer than the default: SO_RCVBUFFORCE with CAP_NET_ADMIN, else up to rmem_max. */
static void set_rcvbuf(int fd)
{
	int size = MONITOR_RCVBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

int monitor_open(struct monitor **ret)
{
	struct monitor *m = calloc(1, sizeof(*m));
	int grp = NFNLGRP_NFTABLES, r;

	if (!m)
		return -ENOMEM;
	m->buf = malloc(MONITOR_BUF);
	m->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!m->buf || !m->nl) {
		r = m->buf ? -errno : -ENOMEM;
		goto close_monitor;
	}
	set_rcvbuf(mnl_socket_get_fd(m->nl));
	if (mnl_socket_bind(m->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(m->nl, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0) {
		r = -errno;
		goto close_monitor;
	}
	*ret = m;
	return 0;

close_monitor:
	monitor_close(m);
	return r;
}

void monitor_close(struct monitor *m)
{
	if (!m)
		return;
	if (m->nl)
		mnl_socket_close(m->nl);
	free(m->buf);
	free(m);
}

int monitor_fd(const struct monitor *m)
{
	return mnl_socket_get_fd(m->nl);
}

static const char *attr_str(const struct nlattr *a)
{
	return mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 ? mnl_attr_get_str(a) : NULL;
}

/*
 * Every object message (table, chain, rule, set, element list, object, flowtable) names
 * its table in attribute 1 (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, NFTA_RULE_TABLE,
 * NFTA_SET_TABLE, NFTA_SET_ELEM_LIST_TABLE, ...); NEWGEN has the committer instead.
 */
static void parse_attrs(const struct nlmsghdr *nlh, struct monitor_event *ev)
{
	struct nlattr *a; /* not const: mnl_attr_for_each casts it to char * */
	uint16_t t;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		t = mnl_attr_get_type(a);
		if (ev->type != NFT_MSG_NEWGEN) {
			if (t == 1 && !ev->table)
				ev->table = attr_str(a);
		} else if (t == NFTA_GEN_PROC_PID && mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			ev->pid = ntohl(mnl_attr_get_u32(a));
		} else if (t == NFTA_GEN_PROC_NAME && attr_str(a)) {
			ev->comm = attr_str(a);
		}
	}
}

int monitor_parse(const struct nlmsghdr *nlh, struct monitor_event *ret)
{
	const struct nfgenmsg *nfg;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*nfg)))
		return -EINVAL;
	nfg = mnl_nlmsg_get_payload(nlh);
	*ret = (struct monitor_event){ .type = NFNL_MSG_TYPE(nlh->nlmsg_type),
				       .family = nfg->nfgen_family,
				       .portid = nlh->nlmsg_pid };
	parse_attrs(nlh, ret);
	return 0;
}

struct read_ctx {
	void (*cb)(void *data, const struct monitor_event *ev);
	void *data;
	int n;
};

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct read_ctx *rc = data;
	struct monitor_event ev;

	if (monitor_parse(nlh, &ev) == 0) {
		rc->cb(rc->data, &ev);
		rc->n++;
	}
	return MNL_CB_OK;
}

int monitor_read(struct monitor *m, void (*cb)(void *data, const struct monitor_event *ev),
		 void *data)
{
	struct read_ctx rc = { .cb = cb, .data = data };
	const struct monitor_event lost = { .lost = true };
	ssize_t n;

	for (;;) {
		n = mnl_socket_recvfrom(m->nl, m->buf, MONITOR_BUF);
		if (n < 0 && errno == ENOBUFS) {
			cb(data, &lost);
			rc.n++;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return rc.n;
		if (n < 0)
			return -errno;
		/* A malformed datagram spoils only itself; the next one is read as usual. */
		mnl_cb_run(m->buf, (size_t)n, 0, 0, msg_cb, &rc);
	}
}
