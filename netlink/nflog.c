/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NFLOG listener: one NETLINK_NETFILTER socket bound to one nfnetlink_log group, and the
 * parser that reduces each logged packet to addresses, ports, protocol and owner.
 *
 * The kernel always sends NFULA_UID (and GID) when the packet's socket has an owner;
 * there is no flag to ask for it (NFQUEUE's F_UID_GID has no NFLOG twin), so has_uid
 * simply reflects the attribute's presence.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include <libmnl/libmnl.h>

#include "nflog.h"
#include "nfsock.h"

/* Large enough that a burst at blocked.log-rate's top (10000/s) waits while we work. */
#define NFLOG_RCVBUF (4 << 20)
/*
 * One read holds a whole datagram: the kernel sends a batch before it outgrows its buffer
 * (NFULA_CFG_NLBUFSIZ, about a page), so only one packet copied at over 64 KiB would not fit.
 */
#define NFLOG_BUF (64 << 10)
/* Flush to us after this many packets or this many 1/100 s, whichever comes first. */
#define NFLOG_QTHRESH 8
#define NFLOG_TIMEOUT 5
/* More IPv6 extension headers than this is not a packet we attribute. */
#define NFLOG_V6_EXT_MAX 8

struct nflog {
	struct nfsock s;
	uint16_t group;
	bool bound; /* the group is ours: unbind on close */
};

static uint16_t ulog_type(uint8_t msg)
{
	return (uint16_t)(NFNL_SUBSYS_ULOG << 8 | msg);
}

/* NFULNL_CFG_CMD_BIND or _UNBIND for our group. */
static int config_cmd(struct nflog *nl, uint8_t command, bool wait)
{
	uint64_t buf[NFSOCK_REQ_WORDS] = { 0 }; /* no stack bytes leak into a message */
	struct nfulnl_msg_config_cmd cmd = { .command = command };
	struct nlmsghdr *nlh = nfsock_request(&nl->s, buf, ulog_type(NFULNL_MSG_CONFIG), nl->group,
					      wait);

	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	return wait ? nfsock_send_wait(&nl->s, nlh) : nfsock_send(&nl->s, nlh);
}

/* Copy `snaplen` bytes of each packet; batch: flush after NFLOG_QTHRESH packets or NFLOG_TIMEOUT. */
static int config_mode(struct nflog *nl, uint32_t snaplen, bool batch)
{
	uint64_t buf[NFSOCK_REQ_WORDS] = { 0 }; /* no stack bytes leak into a message */
	struct nfulnl_msg_config_mode mode;
	struct nlmsghdr *nlh = nfsock_request(&nl->s, buf, ulog_type(NFULNL_MSG_CONFIG), nl->group,
					      true);

	memset(&mode, 0, sizeof(mode)); /* its padding goes to the kernel too */
	mode.copy_range = htonl(snaplen);
	mode.copy_mode = NFULNL_COPY_PACKET;

	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(batch ? NFLOG_QTHRESH : 1));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(batch ? NFLOG_TIMEOUT : 0));
	return nfsock_send_wait(&nl->s, nlh);
}

int nflog_open(uint16_t group, uint32_t snaplen, bool batch, struct nflog **ret)
{
	struct nflog *nl = calloc(1, sizeof(*nl));
	int r;

	if (!nl)
		return -ENOMEM;
	nl->group = group;
	r = nfsock_open(&nl->s, NFLOG_BUF, NFLOG_RCVBUF);
	if (r == 0) {
		r = config_cmd(nl, NFULNL_CFG_CMD_BIND, true);
		if (r == -EPERM)
			r = nfsock_busy_or_eperm(&nl->s);
		nl->bound = r == 0;
	}
	if (r == 0)
		r = config_mode(nl, snaplen, batch);
	if (r == 0)
		r = nfsock_set_nonblock(&nl->s);
	if (r < 0) {
		nflog_close(nl);
		return r;
	}
	*ret = nl;
	return 0;
}

void nflog_close(struct nflog *nl)
{
	if (!nl)
		return;
	/* Closing the socket frees the group too; unbinding first says so explicitly. */
	if (nl->bound)
		(void)config_cmd(nl, NFULNL_CFG_CMD_UNBIND, false);
	nfsock_close(&nl->s);
	free(nl);
}

int nflog_fd(const struct nflog *nl)
{
	return nfsock_fd(&nl->s);
}

static bool is_packet(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_type == ulog_type(NFULNL_MSG_PACKET);
}

struct read_ctx {
	void (*cb)(void *, const struct nflog_pkt *);
	void *data;
	uint64_t *lost;
};

/* One datagram: every packet message parsed and delivered; anything else skipped. */
static int read_msgs(void *data, const char *buf, int len)
{
	const struct read_ctx *rc = data;
	const struct nlmsghdr *nlh;
	struct nflog_pkt p;
	int n = 0;

	for (nlh = (const void *)buf; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		/* Packets come from the kernel (portid 0) and carry no sequence number. */
		if (!is_packet(nlh) || nlh->nlmsg_pid != 0 || nlh->nlmsg_seq != 0)
			continue;
		if (nflog_parse(nlh, &p) < 0) {
			(*rc->lost)++;
			continue;
		}
		rc->cb(rc->data, &p);
		n++;
	}
	return n;
}

int nflog_read_max(struct nflog *nl, size_t max, void (*cb)(void *data, const struct nflog_pkt *p),
		   void *data, uint64_t *lost)
{
	struct read_ctx rc = { cb, data, lost };

	return nfsock_read(&nl->s, max, read_msgs, &rc, lost);
}

int nflog_read(struct nflog *nl, void (*cb)(void *data, const struct nflog_pkt *p), void *data,
	       uint64_t *lost)
{
	return nflog_read_max(nl, 0, cb, data, lost);
}

/* Parsing: every read is checked against the copied length first. */

struct l4 {
	const uint8_t *p; /* the L4 header, or NULL when it is not in the copy */
	size_t len;	  /* bytes of it in the copy */
	bool first;	  /* not a later fragment: ports and types are there */
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void set_addr(struct rs_addr *a, uint8_t family, const uint8_t *src)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	a->prefix = family == AF_INET ? 32 : 128;
	memcpy(a->addr, src, family == AF_INET ? 4 : 16);
}

static int parse_ipv4(const uint8_t *b, size_t n, struct nflog_pkt *p, struct l4 *l4)
{
	size_t ihl;

	if (n < 20)
		return -EINVAL;
	ihl = (size_t)(b[0] & 0x0f) * 4;
	if (ihl < 20)
		return -EINVAL;
	set_addr(&p->saddr, AF_INET, b + 12);
	set_addr(&p->daddr, AF_INET, b + 16);
	p->l4proto = b[9];
	p->len = get16(b + 2);
	l4->first = (get16(b + 6) & 0x1fff) == 0;
	if (ihl <= n) {
		l4->p = b + ihl;
		l4->len = n - ihl;
	}
	return 0;
}

static bool is_v6_ext(uint8_t h)
{
	return h == IPPROTO_HOPOPTS || h == IPPROTO_ROUTING || h == IPPROTO_DSTOPTS ||
	       h == IPPROTO_FRAGMENT;
}

/*
 * Walks hop-by-hop, routing, destination options and fragment headers to the L4 header.
 * Stops (l4->p NULL) where the copy ends; a later fragment has no L4 header at all.
 */
static int walk_v6_ext(const uint8_t *b, size_t n, uint8_t *next, struct l4 *l4)
{
	size_t off = 40, hl;
	int i;

	for (i = 0; is_v6_ext(*next); i++) {
		if (i == NFLOG_V6_EXT_MAX)
			return -EINVAL;
		if (off + 8 > n)
			return 0;
		hl = *next == IPPROTO_FRAGMENT ? 8 : ((size_t)b[off + 1] + 1) * 8;
		if (*next == IPPROTO_FRAGMENT && (get16(b + off + 2) & 0xfff8))
			l4->first = false;
		*next = b[off];
		off += hl;
		if (!l4->first)
			break;
	}
	if (off <= n) {
		l4->p = b + off;
		l4->len = n - off;
	}
	return 0;
}

static int parse_ipv6(const uint8_t *b, size_t n, struct nflog_pkt *p, struct l4 *l4)
{
	uint8_t next;
	int r;

	if (n < 40)
		return -EINVAL;
	set_addr(&p->saddr, AF_INET6, b + 8);
	set_addr(&p->daddr, AF_INET6, b + 24);
	p->len = 40U + get16(b + 4);
	next = b[6];
	l4->first = true;
	r = walk_v6_ext(b, n, &next, l4);
	if (r < 0)
		return r;
	/* Cut short inside the extension headers: the protocol is not known. */
	p->l4proto = is_v6_ext(next) && l4->first ? IPPROTO_NONE : next;
	if (p->l4proto == IPPROTO_NONE)
		l4->p = NULL;
	return 0;
}

static void parse_l4(const struct l4 *l4, struct nflog_pkt *p)
{
	if (!l4->p || !l4->first)
		return;
	p->l4 = l4->p;
	p->l4_len = l4->len;
	switch (p->l4proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		if (l4->len >= 4) {
			p->sport = get16(l4->p);
			p->dport = get16(l4->p + 2);
		}
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (l4->len >= 1 && (p->l4proto == IPPROTO_ICMP) == (p->saddr.family == AF_INET))
			p->icmp_type = l4->p[0];
		break;
	default:
		break;
	}
}

int nflog_parse_ip(const uint8_t *b, size_t n, struct nflog_pkt *p)
{
	struct l4 l4 = { 0 };
	int r;

	memset(p, 0, sizeof(*p));
	p->icmp_type = -1;
	if (n < 1)
		return -EINVAL;
	switch (b[0] >> 4) {
	case 4:
		r = parse_ipv4(b, n, p, &l4);
		break;
	case 6:
		r = parse_ipv6(b, n, p, &l4);
		break;
	default:
		return -EINVAL;
	}
	if (r == 0)
		parse_l4(&l4, p);
	return r;
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= NFULA_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

int nflog_parse(const struct nlmsghdr *nlh, struct nflog_pkt *ret)
{
	const struct nlattr *tb[NFULA_MAX + 1] = { 0 };
	struct nflog_pkt p;
	int r;

	/*
	 * libmnl bounds attributes by the aligned message length: an unaligned one (the kernel
	 * pads every attribute, so never its own) would let the last attribute reach past it.
	 */
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg) ||
	    nlh->nlmsg_len % MNL_ALIGNTO || !is_packet(nlh))
		return -EINVAL;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb) < 0)
		return -EINVAL;
	if (!tb[NFULA_PREFIX] || mnl_attr_validate(tb[NFULA_PREFIX], MNL_TYPE_NUL_STRING) < 0 ||
	    !tb[NFULA_PAYLOAD])
		return -EINVAL;
	r = nflog_parse_ip(mnl_attr_get_payload(tb[NFULA_PAYLOAD]),
			   mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]), &p);
	if (r < 0)
		return r;
	snprintf(p.prefix, sizeof(p.prefix), "%s", mnl_attr_get_str(tb[NFULA_PREFIX]));
	if (tb[NFULA_UID]) {
		if (mnl_attr_validate(tb[NFULA_UID], MNL_TYPE_U32) < 0)
			return -EINVAL;
		p.has_uid = true;
		p.uid = ntohl(mnl_attr_get_u32(tb[NFULA_UID]));
	}
	*ret = p;
	return 0;
}
