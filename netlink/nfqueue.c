/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NFQUEUE listener: bind, fail-open configuration, packets in, verdicts out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include <libmnl/libmnl.h>

#include "nfqueue.h"
#include "nfsock.h"

/* Room for a burst of held answers (each a few hundred bytes to 4 KiB). */
#define NFQ_RCVBUF (4 << 20)
/* One read: a packet copy (at most 64 KiB) with its attributes. */
#define NFQ_BUF ((64 << 10) + 4096)

struct nfq {
	struct nfsock s;
	uint16_t num;
	bool bound;
};

static uint16_t queue_type(uint8_t msg)
{
	return (uint16_t)(NFNL_SUBSYS_QUEUE << 8 | msg);
}

static int config_cmd(struct nfq *q, uint8_t command, bool wait)
{
	uint64_t buf[NFSOCK_REQ_WORDS] = { 0 }; /* no stack bytes leak into a message */
	struct nfqnl_msg_config_cmd cmd = { .command = command };
	struct nlmsghdr *nlh = nfsock_request(&q->s, buf, queue_type(NFQNL_MSG_CONFIG), q->num,
					      wait);

	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);
	return wait ? nfsock_send_wait(&q->s, nlh) : nfsock_send(&q->s, nlh);
}

/* Copy range and mode, the queue's length, and fail open when it or our buffer is full. */
static int config_params(struct nfq *q, uint32_t copy_range, uint32_t maxlen)
{
	uint64_t buf[NFSOCK_REQ_WORDS] = { 0 }; /* no stack bytes leak into a message */
	struct nfqnl_msg_config_params params;
	struct nlmsghdr *nlh = nfsock_request(&q->s, buf, queue_type(NFQNL_MSG_CONFIG), q->num,
					      true);

	memset(&params, 0, sizeof(params)); /* its padding goes to the kernel too */
	params.copy_range = htonl(copy_range);
	params.copy_mode = NFQNL_COPY_PACKET;
	mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(params), &params);
	mnl_attr_put_u32(nlh, NFQA_CFG_QUEUE_MAXLEN, htonl(maxlen));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_FAIL_OPEN));
	return nfsock_send_wait(&q->s, nlh);
}

int nfq_open(uint16_t num, uint32_t copy_range, uint32_t maxlen, struct nfq **ret)
{
	struct nfq *q = calloc(1, sizeof(*q));
	int r;

	if (!q)
		return -ENOMEM;
	q->num = num;
	r = nfsock_open(&q->s, NFQ_BUF, NFQ_RCVBUF);
	if (r == 0) {
		r = config_cmd(q, NFQNL_CFG_CMD_BIND, true);
		if (r == -EPERM)
			r = nfsock_busy_or_eperm(&q->s);
		q->bound = r == 0;
	}
	if (r == 0)
		r = config_params(q, copy_range, maxlen);
	if (r == 0)
		r = nfsock_set_nonblock(&q->s);
	if (r < 0) {
		nfq_close(q);
		return r;
	}
	*ret = q;
	return 0;
}

void nfq_close(struct nfq *q)
{
	if (!q)
		return;
	if (q->bound)
		(void)config_cmd(q, NFQNL_CFG_CMD_UNBIND, false);
	nfsock_close(&q->s);
	free(q);
}

void nfq_release(struct nfq *q)
{
	if (!q)
		return;
	nfsock_close(&q->s);
	free(q);
}

int nfq_fd(const struct nfq *q)
{
	return nfsock_fd(&q->s);
}

int nfq_accept(struct nfq *q, uint32_t id)
{
	uint64_t buf[NFSOCK_REQ_WORDS] = { 0 }; /* no stack bytes leak into a message */
	struct nfqnl_msg_verdict_hdr vh = { .verdict = htonl(NF_ACCEPT), .id = htonl(id) };
	struct nlmsghdr *nlh = nfsock_request(&q->s, buf, queue_type(NFQNL_MSG_VERDICT), q->num,
					      false);

	mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(vh), &vh);
	return nfsock_send(&q->s, nlh);
}

struct attrs {
	const struct nlattr *tb[NFQA_MAX + 1];
	const char *end; /* the message's end as nlmsg_len says */
};

/*
 * The kernel does not pad the payload, the last attribute: nlmsg_len is often unaligned,
 * and libmnl bounds attributes by the aligned length. Each must end within nlmsg_len.
 */
static int attr_cb(const struct nlattr *a, void *data)
{
	struct attrs *at = data;
	uint16_t type = mnl_attr_get_type(a);

	if ((const char *)a + a->nla_len > at->end)
		return MNL_CB_ERROR;
	if (type <= NFQA_MAX)
		at->tb[type] = a;
	return MNL_CB_OK;
}

int nfq_parse(const struct nlmsghdr *nlh, struct nfq_pkt *ret)
{
	struct attrs at = { .end = (const char *)nlh + nlh->nlmsg_len };
	const struct nlattr *const *tb = at.tb;
	const struct nfqnl_msg_packet_hdr *ph;
	struct nfq_pkt p;
	int r;

	ret->id = 0;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg) ||
	    nlh->nlmsg_type != queue_type(NFQNL_MSG_PACKET))
		return -EINVAL;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, &at) < 0)
		return -EINVAL;
	if (!tb[NFQA_PACKET_HDR] || mnl_attr_get_payload_len(tb[NFQA_PACKET_HDR]) < sizeof(*ph) ||
	    !tb[NFQA_PAYLOAD])
		return -EINVAL;
	ph = mnl_attr_get_payload(tb[NFQA_PACKET_HDR]);
	ret->id = ntohl(ph->packet_id);
	r = nflog_parse_ip(mnl_attr_get_payload(tb[NFQA_PAYLOAD]),
			   mnl_attr_get_payload_len(tb[NFQA_PAYLOAD]), &p.ip);
	if (r < 0)
		return r;
	p.id = ret->id;
	*ret = p;
	return 0;
}

struct read_ctx {
	struct nfq *q;
	void (*cb)(void *, const struct nfq_pkt *);
	void *data;
	uint64_t *lost;
};

/*
 * One datagram. A packet that does not parse still waits in the kernel: it goes on at
 * once (counted as lost), never held for nothing.
 */
static int read_msgs(void *data, const char *buf, int len)
{
	const struct read_ctx *rc = data;
	const struct nlmsghdr *nlh;
	struct nfq_pkt p;
	int n = 0;

	for (nlh = (const void *)buf; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type != queue_type(NFQNL_MSG_PACKET) || nlh->nlmsg_pid != 0)
			continue;
		if (nfq_parse(nlh, &p) == 0) {
			rc->cb(rc->data, &p);
			n++;
			continue;
		}
		(*rc->lost)++;
		if (p.id)
			(void)nfq_accept(rc->q, p.id);
	}
	return n;
}

int nfq_read(struct nfq *q, size_t max, void (*cb)(void *data, const struct nfq_pkt *p), void *data,
	     uint64_t *lost)
{
	struct read_ctx rc = { q, cb, data, lost };

	return nfsock_read(&q->s, max, read_msgs, &rc, lost);
}
