/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * talk_batch() against canned kernel replies: mnl_socket_sendto, mnl_socket_recvfrom and
 * poll are wrapped (-Wl,--wrap), so no kernel and no root are needed.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>

#include "netlink/batch.h"
#include "netlink/talk.h"

#define PORTID 4242
#define MAX_REPLIES 8

/* The canned replies, one per recvfrom; len -1 means "fail with errno". */
static struct {
	char buf[MAX_REPLIES][4096];
	ssize_t len[MAX_REPLIES];
	int err[MAX_REPLIES];
	int n, next;
	size_t sent;
	int send_err; /* nonzero: sendto fails with this errno */
} io;

ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl, const void *buf, size_t len);
ssize_t __wrap_mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t len);
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout);

ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl, const void *buf, size_t len)
{
	(void)nl;
	(void)buf;
	if (io.send_err) {
		errno = io.send_err;
		return -1;
	}
	io.sent = len;
	return (ssize_t)len;
}

ssize_t __wrap_mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t len)
{
	int i = io.next++;

	(void)nl;
	assert_true(i < io.n);
	if (io.len[i] < 0) {
		errno = io.err[i];
		return -1;
	}
	assert_true((size_t)io.len[i] <= len);
	memcpy(buf, io.buf[i], (size_t)io.len[i]);
	return io.len[i];
}

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	(void)fds;
	(void)n;
	(void)timeout;
	return io.next < io.n ? 1 : 0;
}

/* Appends an ACK (error 0) or error for seq to reply r; msg adds an extended ACK. */
static void put_ack(int r, uint32_t seq, uint32_t portid, int error, const char *msg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(io.buf[r] + io.len[r]);
	struct nlmsgerr *me;

	nlh = mnl_nlmsg_put_header(nlh);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = portid;
	nlh->nlmsg_flags = NLM_F_CAPPED;
	me = mnl_nlmsg_put_extra_header(nlh, sizeof(*me));
	me->error = error;
	me->msg.nlmsg_len = sizeof(struct nlmsghdr);
	me->msg.nlmsg_seq = seq;
	me->msg.nlmsg_pid = portid;
	if (msg) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 20);
	}
	io.len[r] += nlh->nlmsg_len;
	if (r >= io.n)
		io.n = r + 1;
}

static void put_errno(int r, int err)
{
	io.len[r] = -1;
	io.err[r] = err;
	if (r >= io.n)
		io.n = r + 1;
}

/* BEGIN(seq 100), table(101), set(102), chain(103), END(104). */
static struct nl_batch *batch(struct ruleset **rs)
{
	struct nl_batch *b = batch_new(100);
	struct rs_set *s;

	memset(&io, 0, sizeof(io));
	*rs = ruleset_new("flowguard");
	s = ruleset_add_set(*rs, "swp_region_v4", AF_INET, RS_SET_TIMEOUT);
	rs_strset(&s->origin, "policies/catalog/swp.yaml:120:5 (flow agent-swp)");
	ruleset_add_chain(*rs, "input", RS_HOOK_INPUT, 0, RS_VERDICT_DROP);
	assert_int_equal(batch_begin(b, true, 7), 0);
	assert_int_equal(batch_table(b, NFT_MSG_NEWTABLE, *rs, 0), 0);
	assert_int_equal(batch_set(b, NFT_MSG_NEWSET, "flowguard", &(*rs)->sets[0]), 0);
	assert_int_equal(batch_chain(b, NFT_MSG_NEWCHAIN, "flowguard", &(*rs)->chains[0]), 0);
	assert_int_equal(batch_end(b), 0);
	return b;
}

static struct nft_ctx ctx(void)
{
	struct nft_ctx c = { .portid = PORTID, .buf_len = 65536 };

	/* a real, unbound socket: only its fd is used, by the wrapped poll() */
	c.nl = mnl_socket_open(NETLINK_NETFILTER);
	assert_non_null(c.nl);
	c.buf = malloc(c.buf_len);
	return c;
}

static int run(struct nl_batch *b, struct nft_error *err)
{
	struct nft_ctx c = ctx();
	int r;

	r = talk_batch(&c, b, err);
	nft_close(&c);
	return r;
}

static void test_all_acked(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = batch(&rs);
	struct nft_error err;

	(void)state;
	put_ack(0, 101, PORTID, 0, NULL);
	put_ack(1, 102, PORTID, 0, NULL); /* ACKs may come in several reads */
	put_ack(1, 103, PORTID, 0, NULL);
	assert_int_equal(run(b, &err), 0);
	assert_int_equal(io.sent, b->len);
	assert_int_equal(io.next, 2);
	batch_free(b);
	ruleset_free(rs);
}

/* The refused set is named with its policy origin and the extended ACK text. */
static void test_error_ext_ack(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = batch(&rs);
	struct nft_error err;

	(void)state;
	put_ack(0, 101, PORTID, 0, NULL);
	put_ack(0, 102, PORTID, -EINVAL, "Attribute failed policy validation");
	put_ack(0, 103, PORTID, -ENOENT, NULL); /* a consequence: the first error wins */
	assert_int_equal(run(b, &err), -EINVAL);
	assert_int_equal(err.seq, 102);
	assert_string_equal(err.object,
			    "set 'swp_region_v4' (policies/catalog/swp.yaml:120:5 (flow agent-swp))");
	assert_string_equal(err.msg, "Attribute failed policy validation");
	assert_int_equal(err.offset, 20);
	assert_int_equal(b->objs[2].err, -EINVAL);
	assert_int_equal(b->objs[3].err, -ENOENT);
	batch_free(b);
	ruleset_free(rs);
}

static void test_wrong_seq(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = batch(&rs);
	struct nft_error err;

	(void)state;
	put_ack(0, 101, PORTID, 0, NULL);
	put_ack(0, 99, PORTID, 0, NULL); /* before the batch */
	put_ack(0, 102, PORTID, 0, NULL);
	put_ack(0, 103, PORTID, 0, NULL);
	assert_int_equal(run(b, &err), -EPROTO);
	batch_free(b);
	ruleset_free(rs);
}

/*
 * A reply addressed to another socket among ours, carrying an error: -EPROTO, after every ACK
 * of ours was read (the last one in a later read: nothing is left queued for the next
 * request), and the foreign error is nobody's: no seq, object or text is blamed, no message
 * marked refused. Every message was ACKed, so the batch did commit; the caller is told it
 * failed all the same and re-reads the table.
 */
static void test_wrong_portid(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = batch(&rs);
	struct nft_error err;
	size_t i;

	(void)state;
	put_ack(0, 101, PORTID + 1, -ENOENT, "not ours");
	put_ack(0, 101, PORTID, 0, NULL);
	put_ack(0, 102, PORTID, 0, NULL);
	put_ack(1, 103, PORTID, 0, NULL);
	assert_int_equal(run(b, &err), -EPROTO);
	assert_int_equal(io.next, io.n);
	assert_int_equal(err.err, -EPROTO);
	assert_int_equal(err.seq, 0);
	assert_int_equal(err.offset, 0);
	assert_string_equal(err.object, "");
	assert_string_equal(err.msg, "");
	for (i = 0; i < b->n_objs; i++)
		assert_int_equal(b->objs[i].err, 0);
	batch_free(b);
	ruleset_free(rs);
}

/* Lost ACKs: the outcome is unknown, the caller must re-read. */
static void test_enobufs(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = batch(&rs);
	struct nft_error err;

	(void)state;
	put_ack(0, 101, PORTID, 0, NULL);
	put_errno(1, ENOBUFS);
	assert_int_equal(run(b, &err), -ENOBUFS);
	assert_int_equal(io.next, 2);
	batch_free(b);
	ruleset_free(rs);
}

/* A stale genid: the kernel refuses BATCH_BEGIN and answers nothing else; no waiting. */
static void test_genid_refused(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = batch(&rs);
	struct nft_error err;

	(void)state;
	put_ack(0, 100, PORTID, -ERESTART, NULL);
	assert_int_equal(run(b, &err), -ERESTART);
	assert_string_equal(err.object, "batch 'begin'");
	batch_free(b);
	ruleset_free(rs);
}

/* No answer at all where one is owed: time out instead of hanging. */
static void test_missing_acks(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = batch(&rs);
	struct nft_error err;

	(void)state;
	put_ack(0, 101, PORTID, 0, NULL);
	assert_int_equal(run(b, &err), -ETIMEDOUT);
	batch_free(b);
	ruleset_free(rs);
}

/*
 * Injected faults, one test each (issue 9). The kernel applies a batch all or nothing, so
 * what talk_batch owes its callers is a clear error, never 0, for every one of them; the
 * callers (kernel.c, daemon_sets.c) then keep the last good table or retry.
 */

/* Without CAP_NET_ADMIN the kernel refuses BATCH_BEGIN with EPERM: no table at all. */
static void test_fault_eperm_apply(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = batch(&rs);
	struct nft_error err;

	(void)state;
	put_ack(0, 100, PORTID, -EPERM, NULL);
	assert_int_equal(run(b, &err), -EPERM);
	assert_string_equal(err.object, "batch 'begin'");
	batch_free(b);
	ruleset_free(rs);
}

/* An object the kernel is busy with (EBUSY: a set in use): the batch is refused, named. */
static void test_fault_ebusy_apply(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = batch(&rs);
	struct nft_error err;

	(void)state;
	put_ack(0, 101, PORTID, 0, NULL);
	put_ack(0, 102, PORTID, -EBUSY, NULL);
	put_ack(0, 103, PORTID, 0, NULL);
	assert_int_equal(run(b, &err), -EBUSY);
	assert_int_equal(err.seq, 102);
	assert_non_null(strstr(err.object, "set 'swp_region_v4'"));
	batch_free(b);
	ruleset_free(rs);
}

/* The kernel out of memory for one object: the whole batch fails with ENOMEM. */
static void test_fault_enomem_apply(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = batch(&rs);
	struct nft_error err;

	(void)state;
	put_ack(0, 101, PORTID, -ENOMEM, NULL);
	put_ack(0, 102, PORTID, 0, NULL);
	put_ack(0, 103, PORTID, 0, NULL);
	assert_int_equal(run(b, &err), -ENOMEM);
	assert_int_equal(err.seq, 101);
	batch_free(b);
	ruleset_free(rs);
}

/* recvfrom itself fails with ENOMEM (no skb for the ACKs): an error, not a success. */
static void test_fault_enomem_recv(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = batch(&rs);
	struct nft_error err;

	(void)state;
	put_errno(0, ENOMEM);
	assert_int_equal(run(b, &err), -ENOMEM);
	assert_int_equal(err.err, -ENOMEM);
	batch_free(b);
	ruleset_free(rs);
}

/* sendto fails (EAGAIN: the socket buffer is full): nothing reached the kernel. */
static void test_fault_eagain_send(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = batch(&rs);
	struct nft_error err;

	(void)state;
	io.send_err = EAGAIN;
	assert_int_equal(run(b, &err), -EAGAIN);
	assert_non_null(strstr(err.object, "batch of"));
	assert_int_equal(io.next, 0); /* no ACK was waited for */
	batch_free(b);
	ruleset_free(rs);
}

/* The last ACK is cut short: it is not taken as an answer; the wait times out. */
static void test_fault_truncated_ack(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = batch(&rs);
	struct nft_error err;

	(void)state;
	put_ack(0, 101, PORTID, 0, NULL);
	put_ack(0, 102, PORTID, 0, NULL);
	put_ack(0, 103, PORTID, 0, NULL);
	io.len[0] -= 10;
	assert_int_equal(run(b, &err), -ETIMEDOUT);
	batch_free(b);
	ruleset_free(rs);
}

/* ACKs in another order than sent, all inside the batch: that is fine. */
static void test_fault_reordered_acks(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = batch(&rs);
	struct nft_error err;

	(void)state;
	put_ack(0, 103, PORTID, 0, NULL);
	put_ack(0, 101, PORTID, 0, NULL);
	put_ack(0, 102, PORTID, 0, NULL);
	assert_int_equal(run(b, &err), 0);
	batch_free(b);
	ruleset_free(rs);
}

/* An ACK for a seq after the batch (a stale or forged reply): refused as EPROTO. */
static void test_fault_out_of_sequence_ack(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = batch(&rs);
	struct nft_error err;

	(void)state;
	put_ack(0, 101, PORTID, 0, NULL);
	put_ack(0, 102, PORTID, 0, NULL);
	put_ack(0, 105, PORTID, 0, NULL);
	put_ack(0, 103, PORTID, 0, NULL);
	assert_int_equal(run(b, &err), -EPROTO);
	batch_free(b);
	ruleset_free(rs);
}

/* A set update (NEWSETELEM) batch: BEGIN(100), elements(101), END(102). */
static struct nl_batch *elem_batch(struct ruleset **rs)
{
	struct nl_batch *b = batch_new(100);
	struct rs_elem e = { .addr = { .family = AF_INET, .prefix = 32, .addr = { 192, 0, 2, 1 } },
			     .timeout_ms = 60000 };
	struct rs_set *s;

	memset(&io, 0, sizeof(io));
	*rs = ruleset_new("flowguard");
	s = ruleset_add_set(*rs, "swp_region_v4", AF_INET, RS_SET_TIMEOUT);
	s->elems = calloc(1, sizeof(*s->elems));
	assert_non_null(s->elems);
	s->elems[0] = e;
	s->n_elems = 1;
	assert_int_equal(batch_begin(b, true, 7), 0);
	assert_int_equal(batch_set_elems(b, "flowguard", s), 0);
	assert_int_equal(batch_end(b), 0);
	return b;
}

static void test_fault_eperm_set_update(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = elem_batch(&rs);
	struct nft_error err;

	(void)state;
	put_ack(0, 100, PORTID, -EPERM, NULL);
	assert_int_equal(run(b, &err), -EPERM);
	batch_free(b);
	ruleset_free(rs);
}

static void test_fault_ebusy_set_update(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = elem_batch(&rs);
	struct nft_error err;

	(void)state;
	put_ack(0, 101, PORTID, -EBUSY, NULL);
	assert_int_equal(run(b, &err), -EBUSY);
	assert_int_equal(err.seq, 101);
	batch_free(b);
	ruleset_free(rs);
}

static void test_fault_enobufs_set_update(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = elem_batch(&rs);
	struct nft_error err;

	(void)state;
	put_errno(0, ENOBUFS);
	assert_int_equal(run(b, &err), -ENOBUFS);
	batch_free(b);
	ruleset_free(rs);
}

static void test_fault_truncated_ack_set_update(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = elem_batch(&rs);
	struct nft_error err;

	(void)state;
	put_ack(0, 101, PORTID, 0, NULL);
	io.len[0] -= 4;
	assert_int_equal(run(b, &err), -ETIMEDOUT);
	batch_free(b);
	ruleset_free(rs);
}

static void test_fault_out_of_sequence_ack_set_update(void **state)
{
	struct ruleset *rs;
	struct nl_batch *b = elem_batch(&rs);
	struct nft_error err;

	(void)state;
	put_ack(0, 99, PORTID, 0, NULL);
	put_ack(0, 101, PORTID, 0, NULL);
	assert_int_equal(run(b, &err), -EPROTO);
	batch_free(b);
	ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_acked),     cmocka_unit_test(test_error_ext_ack),
		cmocka_unit_test(test_wrong_seq),     cmocka_unit_test(test_wrong_portid),
		cmocka_unit_test(test_enobufs),	      cmocka_unit_test(test_genid_refused),
		cmocka_unit_test(test_missing_acks),
		cmocka_unit_test(test_fault_eperm_apply),
		cmocka_unit_test(test_fault_ebusy_apply),
		cmocka_unit_test(test_fault_enomem_apply),
		cmocka_unit_test(test_fault_enomem_recv),
		cmocka_unit_test(test_fault_eagain_send),
		cmocka_unit_test(test_fault_truncated_ack),
		cmocka_unit_test(test_fault_reordered_acks),
		cmocka_unit_test(test_fault_out_of_sequence_ack),
		cmocka_unit_test(test_fault_eperm_set_update),
		cmocka_unit_test(test_fault_ebusy_set_update),
		cmocka_unit_test(test_fault_enobufs_set_update),
		cmocka_unit_test(test_fault_truncated_ack_set_update),
		cmocka_unit_test(test_fault_out_of_sequence_ack_set_update),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
