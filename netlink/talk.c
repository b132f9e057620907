/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one place that sends and receives. A batch is one sendmsg; the kernel processes it
 * inside that call, so every answer is queued when it returns: an error for each message
 * that failed and the ACK of the last one (the genid check and a failed commit answer on
 * BATCH_BEGIN's seq). We read until the ACK came, then whatever else is queued.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "talk.h"

struct acks {
	struct nl_batch *b;
	uint32_t portid;
	bool acked;	   /* the last message answered: the batch ran to its end */
	bool begin_failed; /* the kernel refused the batch as a whole */
	bool foreign;	   /* a reply with a wrong seq or portid */
	struct nft_error *err;
};

uint32_t talk_seq(struct nft_ctx *ctx)
{
	return ++ctx->seq;
}

static const struct nlattr *next_attr(const struct nlattr *a, int *rest)
{
	*rest -= (int)MNL_ALIGN(a->nla_len);
	return (const struct nlattr *)((const char *)a + MNL_ALIGN(a->nla_len));
}

/* NLMSGERR_ATTR_MSG / _OFFS after the (possibly capped) copy of our message. */
static void parse_ext_ack(const struct nlmsghdr *nlh, struct nft_error *e)
{
	const struct nlmsgerr *me = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*me), total = mnl_nlmsg_get_payload_len(nlh);
	const struct nlattr *a;
	int rest;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += me->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (off >= total)
		return;
	a = (const struct nlattr *)((const char *)me + off);
	for (rest = (int)(total - off); mnl_attr_ok(a, rest); a = next_attr(a, &rest)) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(e->msg, sizeof(e->msg), "%s", mnl_attr_get_str(a));
		else if (mnl_attr_get_type(a) == NLMSGERR_ATTR_OFFS &&
			 mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			e->offset = mnl_attr_get_u32(a);
	}
}

static void record_error(struct acks *st, const struct nlmsghdr *nlh, int error, uint32_t seq)
{
	const struct nl_batch_obj *o;

	if (st->err->err)
		return; /* keep the first: later ones are usually its consequences */
	memset(st->err, 0, sizeof(*st->err));
	st->err->err = error;
	st->err->seq = seq;
	o = batch_find(st->b, seq);
	if (o)
		batch_describe(o, st->err->object, sizeof(st->err->object));
	parse_ext_ack(nlh, st->err);
}

static void on_ack(struct acks *st, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *me = mnl_nlmsg_get_payload(nlh);
	uint32_t seq = nlh->nlmsg_seq;
	struct nl_batch_obj *o;

	if (nlh->nlmsg_pid != st->portid || seq < st->b->seq_first || seq >= st->b->seq_next ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*me)) {
		st->foreign = true;
		return;
	}
	if (me->error)
		record_error(st, nlh, me->error, seq);
	o = batch_find(st->b, seq);
	if (o)
		o->err = me->error;
	if (seq == st->b->seq_first)
		st->begin_failed = true;
	else if (seq == st->b->seq_acked)
		st->acked = true;
}

static void walk(struct acks *st, const char *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int rest = (int)len;

	while (mnl_nlmsg_ok(nlh, rest)) {
		if (nlh->nlmsg_type == NLMSG_ERROR)
			on_ack(st, nlh);
		else
			st->foreign = true;
		nlh = mnl_nlmsg_next(nlh, &rest);
	}
}

/* Waits for data: up to TALK_TIMEOUT_MS while an answer is owed, else only what is queued. */
static int wait_readable(struct nft_ctx *ctx, bool owed)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(ctx->nl), .events = POLLIN };
	int r;

	do
		r = poll(&pfd, 1, owed ? TALK_TIMEOUT_MS : 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return owed ? -ETIMEDOUT : 0;
	return 1;
}

static int drain_acks(struct nft_ctx *ctx, struct acks *st)
{
	bool lost = false;
	ssize_t n;
	int r;

	for (;;) {
		/* A refused BATCH_BEGIN (genid, commit) may be followed by other answers. */
		r = wait_readable(ctx, st->b->n_msgs && !st->acked && !st->begin_failed && !lost);
		if (r <= 0)
			break;
		n = mnl_socket_recvfrom(ctx->nl, ctx->buf, ctx->buf_len);
		if (n < 0 && errno == ENOBUFS) {
			lost = true; /* the socket overran: ACKs are gone, the outcome is unknown */
			continue;
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		walk(st, ctx->buf, (size_t)n);
	}
	if (lost)
		return -ENOBUFS;
	return r;
}

int talk_batch(struct nft_ctx *ctx, struct nl_batch *b, struct nft_error *err)
{
	struct acks st = { .b = b, .portid = ctx->portid, .err = err };
	ssize_t n;
	int r;

	memset(err, 0, sizeof(*err));
	if (ctx->debug)
		mnl_nlmsg_fprintf(stderr, b->buf, b->len, sizeof(struct nfgenmsg));
	n = mnl_socket_sendto(ctx->nl, b->buf, b->len);
	if (n < 0) {
		err->err = -errno;
		snprintf(err->object, sizeof(err->object), "batch of %zu bytes", b->len);
		return err->err;
	}
	r = drain_acks(ctx, &st);
	if (r == 0 && st.foreign)
		r = -EPROTO;
	if (r == 0 && err->err)
		r = err->err;
	if (r < 0 && !err->err)
		err->err = r;
	return r;
}

struct req {
	mnl_cb_t cb;
	void *data;
	bool intr;
};

static int req_cb(const struct nlmsghdr *nlh, void *data)
{
	struct req *q = data;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		q->intr = true;
	return q->cb ? q->cb(nlh, q->data) : MNL_CB_OK;
}

/* Reads and drops whatever is still queued (the rest of an abandoned dump). */
static void drain(struct nft_ctx *ctx)
{
	while (wait_readable(ctx, false) > 0)
		if (mnl_socket_recvfrom(ctx->nl, ctx->buf, ctx->buf_len) < 0 && errno != ENOBUFS)
			break;
}

int talk_request(struct nft_ctx *ctx, const struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	struct req q = { .cb = cb, .data = data };
	ssize_t n;
	int r;

	if (mnl_socket_sendto(ctx->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		r = wait_readable(ctx, true);
		if (r < 0)
			break;
		n = mnl_socket_recvfrom(ctx->nl, ctx->buf, ctx->buf_len);
		if (n < 0) {
			r = errno == ENOBUFS ? -EINTR : -errno;
			break;
		}
		r = mnl_cb_run(ctx->buf, (size_t)n, nlh->nlmsg_seq, ctx->portid, req_cb, &q);
		if (r < 0)
			r = errno == ESRCH || errno == EPROTO ? -EPROTO : -errno;
	} while (r > 0);
	if (r < 0)
		drain(ctx);
	if (r == 0 && q.intr)
		r = -EINTR;
	return r;
}

struct nlmsghdr *talk_msg(struct nft_ctx *ctx, char *buf, uint16_t type, uint8_t family,
			  uint16_t flags, const char *table)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, MNL_SOCKET_BUFFER_SIZE);
	nlh = nftnl_nlmsg_build_hdr(buf, type, family, flags, talk_seq(ctx));
	if (table)
		mnl_attr_put_strz(nlh, 1, table);
	return nlh;
}

/* ---- dumps of objects: libnftnl's alloc, parse and table name per kind (batch.c frees) ---- */

struct obj_dump {
	enum nl_obj_kind kind;
	const char *table; /* NULL: every table */
	talk_obj_fn fn;
	void *data;
	int err;
};

static const uint16_t obj_msg[] = {
	[NL_OBJ_TABLE] = NFT_MSG_GETTABLE,
	[NL_OBJ_CHAIN] = NFT_MSG_GETCHAIN,
	[NL_OBJ_RULE] = NFT_MSG_GETRULE,
	[NL_OBJ_SET] = NFT_MSG_GETSET,
};

static void *obj_alloc(enum nl_obj_kind kind)
{
	switch (kind) {
	case NL_OBJ_TABLE:
		return nftnl_table_alloc();
	case NL_OBJ_CHAIN:
		return nftnl_chain_alloc();
	case NL_OBJ_RULE:
		return nftnl_rule_alloc();
	case NL_OBJ_SET:
		return nftnl_set_alloc();
	}
	return NULL;
}

static int obj_parse(enum nl_obj_kind kind, const struct nlmsghdr *nlh, void *o)
{
	switch (kind) {
	case NL_OBJ_TABLE:
		return nftnl_table_nlmsg_parse(nlh, o);
	case NL_OBJ_CHAIN:
		return nftnl_chain_nlmsg_parse(nlh, o);
	case NL_OBJ_RULE:
		return nftnl_rule_nlmsg_parse(nlh, o);
	case NL_OBJ_SET:
		return nftnl_set_nlmsg_parse(nlh, o);
	}
	return -1;
}

static const char *obj_table(enum nl_obj_kind kind, const void *o)
{
	switch (kind) {
	case NL_OBJ_TABLE:
		return nftnl_table_get_str(o, NFTNL_TABLE_NAME);
	case NL_OBJ_CHAIN:
		return nftnl_chain_get_str(o, NFTNL_CHAIN_TABLE);
	case NL_OBJ_RULE:
		return nftnl_rule_get_str(o, NFTNL_RULE_TABLE);
	case NL_OBJ_SET:
		return nftnl_set_get_str(o, NFTNL_SET_TABLE);
	}
	return NULL;
}

static int obj_cb(const struct nlmsghdr *nlh, void *data)
{
	struct obj_dump *od = data;
	const char *table;
	void *o;

	o = obj_alloc(od->kind);
	if (!o)
		od->err = -ENOMEM;
	else if (obj_parse(od->kind, nlh, o) < 0)
		od->err = -EPROTO;
	else if (!od->table || ((table = obj_table(od->kind, o)) && !strcmp(table, od->table)))
		od->err = od->fn(o, od->data);
	batch_obj_free(od->kind, o);
	return od->err ? MNL_CB_ERROR : MNL_CB_OK;
}

int talk_dump_objs(struct nft_ctx *ctx, enum nl_obj_kind kind, uint8_t family, const char *table,
		   talk_obj_fn fn, void *data)
{
	struct obj_dump od = { kind, table, fn, data, 0 };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int r;

	r = talk_request(ctx, talk_msg(ctx, buf, obj_msg[kind], family, NLM_F_DUMP, table), obj_cb,
			 &od);
	return r < 0 && od.err ? od.err : r;
}
