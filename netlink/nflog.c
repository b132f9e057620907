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
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include <libmnl/libmnl.h>

#include "nflog.h"

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
/* Our requests are a header and a few attributes; 8-byte words keep them aligned. */
#define REQ_WORDS 32

struct nflog {
	struct mnl_socket *sock;
	uint16_t group;
	uint32_t seq;
	bool bound; /* the group is ours: unbind on close */
	char *buf;
};

static struct nlmsghdr *put_hdr(void *buf, uint16_t subsys_type, uint16_t res_id, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = subsys_type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(res_id);
	return nlh;
}

/* The kernel's answer to seq: 0 or -errno. Packets that arrive meanwhile are dropped. */
static int wait_ack(struct nflog *nl, uint32_t seq)
{
	const struct nlmsghdr *nlh;
	const struct nlmsgerr *e;
	ssize_t n;
	int len;

	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, NFLOG_BUF);
		if (n < 0 && errno == ENOBUFS)
			continue;
		if (n < 0)
			return -errno;
		len = (int)n;
		for (nlh = (void *)nl->buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq != seq ||
			    nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			return e->error;
		}
	}
}

static int send_wait(struct nflog *nl, const struct nlmsghdr *nlh)
{
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return wait_ack(nl, nlh->nlmsg_seq);
}

static uint16_t ulog_type(uint8_t msg)
{
	return (uint16_t)(NFNL_SUBSYS_ULOG << 8 | msg);
}

/* NFULNL_CFG_CMD_BIND or _UNBIND for our group. */
static int config_cmd(struct nflog *nl, uint8_t command, bool wait)
{
	uint64_t buf[REQ_WORDS] = { 0 }; /* no stack bytes leak into a message */
	struct nfulnl_msg_config_cmd cmd = { .command = command };
	struct nlmsghdr *nlh = put_hdr(buf, ulog_type(NFULNL_MSG_CONFIG), nl->group, ++nl->seq);

	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	if (!wait) {
		nlh->nlmsg_flags &= (uint16_t)~NLM_F_ACK;
		return mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0 ? -errno : 0;
	}
	return send_wait(nl, nlh);
}

/* Copy `snaplen` bytes of each packet; flush after NFLOG_QTHRESH packets or NFLOG_TIMEOUT. */
static int config_mode(struct nflog *nl, uint32_t snaplen)
{
	uint64_t buf[REQ_WORDS] = { 0 }; /* no stack bytes leak into a message */
	struct nfulnl_msg_config_mode mode;
	struct nlmsghdr *nlh = put_hdr(buf, ulog_type(NFULNL_MSG_CONFIG), nl->group, ++nl->seq);

	memset(&mode, 0, sizeof(mode)); /* its padding goes to the kernel too */
	mode.copy_range = htonl(snaplen);
	mode.copy_mode = NFULNL_COPY_PACKET;

	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(NFLOG_QTHRESH));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(NFLOG_TIMEOUT));
	return send_wait(nl, nlh);
}

/*
 * Binding a group another socket holds fails with -EPERM, as does lacking CAP_NET_ADMIN.
 * A read-only request that needs the capability too (NFT_MSG_GETGEN) tells them apart.
 */
static int busy_or_eperm(struct nflog *nl)
{
	uint64_t buf[REQ_WORDS] = { 0 }; /* no stack bytes leak into a message */
	struct nlmsghdr *nlh = put_hdr(buf, (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETGEN),
				       0, ++nl->seq);

	return send_wait(nl, nlh) == 0 ? -EBUSY : -EPERM;
}

static void set_rcvbuf(int fd)
{
	int size = NFLOG_RCVBUF;

	/* FORCE ignores rmem_max but needs CAP_NET_ADMIN; plain RCVBUF is capped by it. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

static int open_socket(struct nflog *nl)
{
	nl->sock = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	set_rcvbuf(mnl_socket_get_fd(nl->sock));
	return 0;
}

static int set_nonblock(struct nflog *nl)
{
	int fd = mnl_socket_get_fd(nl->sock), fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int nflog_open(uint16_t group, uint32_t snaplen, struct nflog **ret)
{
	struct nflog *nl = calloc(1, sizeof(*nl));
	int r;

	if (!nl)
		return -ENOMEM;
	nl->group = group;
	nl->buf = malloc(NFLOG_BUF);
	r = nl->buf ? open_socket(nl) : -ENOMEM;
	if (r == 0) {
		r = config_cmd(nl, NFULNL_CFG_CMD_BIND, true);
		if (r == -EPERM)
			r = busy_or_eperm(nl);
		nl->bound = r == 0;
	}
	if (r == 0)
		r = config_mode(nl, snaplen);
	if (r == 0)
		r = set_nonblock(nl);
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
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	free(nl);
}

int nflog_fd(const struct nflog *nl)
{
	return mnl_socket_get_fd(nl->sock);
}

static bool is_packet(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_type == ulog_type(NFULNL_MSG_PACKET);
}

/* One datagram: every packet message parsed and delivered; anything else skipped. */
static int read_msgs(const char *buf, int len, void (*cb)(void *, const struct nflog_pkt *),
		     void *data, uint64_t *lost)
{
	const struct nlmsghdr *nlh;
	struct nflog_pkt p;
	int n = 0;

	for (nlh = (const void *)buf; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		/* Packets come from the kernel (portid 0) and carry no sequence number. */
		if (!is_packet(nlh) || nlh->nlmsg_pid != 0 || nlh->nlmsg_seq != 0)
			continue;
		if (nflog_parse(nlh, &p) < 0) {
			(*lost)++;
			continue;
		}
		cb(data, &p);
		n++;
	}
	return n;
}

int nflog_read(struct nflog *nl, void (*cb)(void *data, const struct nflog_pkt *p), void *data,
	       uint64_t *lost)
{
	int fd = mnl_socket_get_fd(nl->sock), total = 0;
	struct sockaddr_nl from;
	socklen_t flen;
	ssize_t n;

	for (;;) {
		memset(&from, 0, sizeof(from));
		flen = sizeof(from);
		n = recvfrom(fd, nl->buf, NFLOG_BUF, MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&from, &flen);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return total;
		if (n < 0 && errno == ENOBUFS) {
			(*lost)++; /* at least one; the kernel does not say how many */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n > NFLOG_BUF) {
			(*lost)++; /* larger than any batch we configured: cut, not parsed */
			continue;
		}
		if (flen != sizeof(from) || from.nl_pid != 0)
			continue; /* not from the kernel */
		total += read_msgs(nl->buf, (int)n, cb, data, lost);
	}
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

static int parse_payload(const uint8_t *b, size_t n, struct nflog_pkt *p)
{
	struct l4 l4 = { 0 };
	int r;

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
	memset(&p, 0, sizeof(p));
	p.icmp_type = -1;
	snprintf(p.prefix, sizeof(p.prefix), "%s", mnl_attr_get_str(tb[NFULA_PREFIX]));
	r = parse_payload(mnl_attr_get_payload(tb[NFULA_PAYLOAD]),
			  mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]), &p);
	if (r < 0)
		return r;
	if (tb[NFULA_UID]) {
		if (mnl_attr_validate(tb[NFULA_UID], MNL_TYPE_U32) < 0)
			return -EINVAL;
		p.has_uid = true;
		p.uid = ntohl(mnl_attr_get_u32(tb[NFULA_UID]));
	}
	*ret = p;
	return 0;
}
