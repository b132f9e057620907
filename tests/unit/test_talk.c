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

/* Each test's batch, the IR it came from, and the error talk_batch() fills in. */
struct talk_fixture {
	struct ruleset *rs;
	struct nl_batch *b;
	struct nft_error err;
};

/* A fixture with no replies queued yet; its batch starts at seq 100. */
static struct talk_fixture *fixture_new(void)
{
	struct talk_fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	memset(&io, 0, sizeof(io));
	f->rs = ruleset_new("flowguard");
	f->b = batch_new(100);
	assert_non_null(f->rs);
	assert_non_null(f->b);
	return f;
}

/* BEGIN(seq 100), table(101), set(102), chain(103), END(104). */
static int setup_batch(void **state)
{
	struct talk_fixture *f = fixture_new();
	struct rs_set *s;

	s = ruleset_add_set(f->rs, "swp_region_v4", AF_INET, RS_SET_TIMEOUT);
	rs_strset(&s->origin, "policies/catalog/swp.yaml:120:5 (flow agent-swp)");
	ruleset_add_chain(f->rs, "input", RS_HOOK_INPUT, 0, RS_VERDICT_DROP);
	assert_int_equal(batch_begin(f->b, true, 7), 0);
	assert_int_equal(batch_table(f->b, NFT_MSG_NEWTABLE, f->rs, 0), 0);
	assert_int_equal(batch_set(f->b, NFT_MSG_NEWSET, "flowguard", &f->rs->sets[0]), 0);
	assert_int_equal(batch_chain(f->b, NFT_MSG_NEWCHAIN, "flowguard", &f->rs->chains[0]), 0);
	assert_int_equal(batch_end(f->b), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct talk_fixture *f = *state;

	batch_free(f->b);
	ruleset_free(f->rs);
	free(f);
	return 0;
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

static int run(struct talk_fixture *f)
{
	struct nft_ctx c = ctx();
	int r;

	r = talk_batch(&c, f->b, &f->err);
	nft_close(&c);
	return r;
}

static void test_all_acked(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 101, PORTID, 0, NULL);
	put_ack(1, 102, PORTID, 0, NULL); /* ACKs may come in several reads */
	put_ack(1, 103, PORTID, 0, NULL);
	assert_int_equal(run(f), 0);
	assert_int_equal(io.sent, f->b->len);
	assert_int_equal(io.next, 2);
}

/* The refused set is named with its policy origin and the extended ACK text. */
static void test_error_ext_ack(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 101, PORTID, 0, NULL);
	put_ack(0, 102, PORTID, -EINVAL, "Attribute failed policy validation");
	put_ack(0, 103, PORTID, -ENOENT, NULL); /* a consequence: the first error wins */
	assert_int_equal(run(f), -EINVAL);
	assert_int_equal(f->err.seq, 102);
	assert_string_equal(f->err.object,
			    "set 'swp_region_v4' (policies/catalog/swp.yaml:120:5 (flow agent-swp))");
	assert_string_equal(f->err.msg, "Attribute failed policy validation");
	assert_int_equal(f->err.offset, 20);
	assert_int_equal(f->b->objs[2].err, -EINVAL);
	assert_int_equal(f->b->objs[3].err, -ENOENT);
}

static void test_wrong_seq(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 101, PORTID, 0, NULL);
	put_ack(0, 99, PORTID, 0, NULL); /* before the batch */
	put_ack(0, 102, PORTID, 0, NULL);
	put_ack(0, 103, PORTID, 0, NULL);
	assert_int_equal(run(f), -EPROTO);
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
	struct talk_fixture *f = *state;
	size_t i;

	put_ack(0, 101, PORTID + 1, -ENOENT, "not ours");
	put_ack(0, 101, PORTID, 0, NULL);
	put_ack(0, 102, PORTID, 0, NULL);
	put_ack(1, 103, PORTID, 0, NULL);
	assert_int_equal(run(f), -EPROTO);
	assert_int_equal(io.next, io.n);
	assert_int_equal(f->err.err, -EPROTO);
	assert_int_equal(f->err.seq, 0);
	assert_int_equal(f->err.offset, 0);
	assert_string_equal(f->err.object, "");
	assert_string_equal(f->err.msg, "");
	for (i = 0; i < f->b->n_objs; i++)
		assert_int_equal(f->b->objs[i].err, 0);
}

/* Lost ACKs: the outcome is unknown, the caller must re-read. */
static void test_enobufs(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 101, PORTID, 0, NULL);
	put_errno(1, ENOBUFS);
	assert_int_equal(run(f), -ENOBUFS);
	assert_int_equal(io.next, 2);
}

/* A stale genid: the kernel refuses BATCH_BEGIN and answers nothing else; no waiting. */
static void test_genid_refused(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 100, PORTID, -ERESTART, NULL);
	assert_int_equal(run(f), -ERESTART);
	assert_string_equal(f->err.object, "batch 'begin'");
}

/* No answer at all where one is owed: time out instead of hanging. */
static void test_missing_acks(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 101, PORTID, 0, NULL);
	assert_int_equal(run(f), -ETIMEDOUT);
}

/*
 * Injected faults, one test each (issue 9). The kernel applies a batch all or nothing, so
 * what talk_batch owes its callers is a clear error, never 0, for every one of them; the
 * callers (kernel.c, daemon_sets.c) then keep the last good table or retry.
 */

/* Without CAP_NET_ADMIN the kernel refuses BATCH_BEGIN with EPERM: no table at all. */
static void test_fault_eperm_apply(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 100, PORTID, -EPERM, NULL);
	assert_int_equal(run(f), -EPERM);
	assert_string_equal(f->err.object, "batch 'begin'");
}

/* An object the kernel is busy with (EBUSY: a set in use): the batch is refused, named. */
static void test_fault_ebusy_apply(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 101, PORTID, 0, NULL);
	put_ack(0, 102, PORTID, -EBUSY, NULL);
	put_ack(0, 103, PORTID, 0, NULL);
	assert_int_equal(run(f), -EBUSY);
	assert_int_equal(f->err.seq, 102);
	assert_non_null(strstr(f->err.object, "set 'swp_region_v4'"));
}

/* The kernel out of memory for one object: the whole batch fails with ENOMEM. */
static void test_fault_enomem_apply(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 101, PORTID, -ENOMEM, NULL);
	put_ack(0, 102, PORTID, 0, NULL);
	put_ack(0, 103, PORTID, 0, NULL);
	assert_int_equal(run(f), -ENOMEM);
	assert_int_equal(f->err.seq, 101);
}

/* recvfrom itself fails with ENOMEM (no skb for the ACKs): an error, not a success. */
static void test_fault_enomem_recv(void **state)
{
	struct talk_fixture *f = *state;

	put_errno(0, ENOMEM);
	assert_int_equal(run(f), -ENOMEM);
	assert_int_equal(f->err.err, -ENOMEM);
}

/* sendto fails (EAGAIN: the socket buffer is full): nothing reached the kernel. */
static void test_fault_eagain_send(void **state)
{
	struct talk_fixture *f = *state;

	io.send_err = EAGAIN;
	assert_int_equal(run(f), -EAGAIN);
	assert_non_null(strstr(f->err.object, "batch of"));
	assert_int_equal(io.next, 0); /* no ACK was waited for */
}

/* The last ACK is cut short: it is not taken as an answer; the wait times out. */
static void test_fault_truncated_ack(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 101, PORTID, 0, NULL);
	put_ack(0, 102, PORTID, 0, NULL);
	put_ack(0, 103, PORTID, 0, NULL);
	io.len[0] -= 10;
	assert_int_equal(run(f), -ETIMEDOUT);
}

/* Only the last message asks for an ACK: an error on it is its answer, nothing more comes. */
static void test_fault_last_refused(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 103, PORTID, -EEXIST, NULL);
	assert_int_equal(run(f), -EEXIST);
	assert_int_equal(f->err.seq, 103);
}

/* Errors of earlier messages and the last one's ACK, all queued at once: the first error. */
static void test_fault_error_then_ack(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 102, PORTID, -ENOENT, NULL);
	put_ack(0, 103, PORTID, 0, NULL);
	assert_int_equal(run(f), -ENOENT);
	assert_int_equal(f->err.seq, 102);
}

/* ACKs in another order than sent, all inside the batch: that is fine. */
static void test_fault_reordered_acks(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 103, PORTID, 0, NULL);
	put_ack(0, 101, PORTID, 0, NULL);
	put_ack(0, 102, PORTID, 0, NULL);
	assert_int_equal(run(f), 0);
}

/* An ACK for a seq after the batch (a stale or forged reply): refused as EPROTO. */
static void test_fault_out_of_sequence_ack(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 101, PORTID, 0, NULL);
	put_ack(0, 102, PORTID, 0, NULL);
	put_ack(0, 105, PORTID, 0, NULL);
	put_ack(0, 103, PORTID, 0, NULL);
	assert_int_equal(run(f), -EPROTO);
}

/* A set update (NEWSETELEM) batch: BEGIN(100), elements(101), END(102). */
static int setup_elem_batch(void **state)
{
	struct rs_elem e = { .addr = { .family = AF_INET, .prefix = 32, .addr = { 192, 0, 2, 1 } },
			     .timeout_ms = 60000 };
	struct talk_fixture *f = fixture_new();
	struct rs_set *s;

	s = ruleset_add_set(f->rs, "swp_region_v4", AF_INET, RS_SET_TIMEOUT);
	s->elems = calloc(1, sizeof(*s->elems));
	assert_non_null(s->elems);
	s->elems[0] = e;
	s->n_elems = 1;
	assert_int_equal(batch_begin(f->b, true, 7), 0);
	assert_int_equal(batch_set_elems(f->b, "flowguard", s), 0);
	assert_int_equal(batch_end(f->b), 0);
	*state = f;
	return 0;
}

static void test_fault_eperm_set_update(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 100, PORTID, -EPERM, NULL);
	assert_int_equal(run(f), -EPERM);
}

static void test_fault_ebusy_set_update(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 101, PORTID, -EBUSY, NULL);
	assert_int_equal(run(f), -EBUSY);
	assert_int_equal(f->err.seq, 101);
}

static void test_fault_enobufs_set_update(void **state)
{
	struct talk_fixture *f = *state;

	put_errno(0, ENOBUFS);
	assert_int_equal(run(f), -ENOBUFS);
}

static void test_fault_truncated_ack_set_update(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 101, PORTID, 0, NULL);
	io.len[0] -= 4;
	assert_int_equal(run(f), -ETIMEDOUT);
}

static void test_fault_out_of_sequence_ack_set_update(void **state)
{
	struct talk_fixture *f = *state;

	put_ack(0, 99, PORTID, 0, NULL);
	put_ack(0, 101, PORTID, 0, NULL);
	assert_int_equal(run(f), -EPROTO);
}

/* A test of the full batch, or of a set update. */
#define T(test) cmocka_unit_test_setup_teardown(test, setup_batch, teardown)
#define T_ELEM(test) cmocka_unit_test_setup_teardown(test, setup_elem_batch, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_all_acked),
		T(test_error_ext_ack),
		T(test_wrong_seq),
		T(test_wrong_portid),
		T(test_enobufs),
		T(test_genid_refused),
		T(test_missing_acks),
		T(test_fault_last_refused),
		T(test_fault_error_then_ack),
		T(test_fault_eperm_apply),
		T(test_fault_ebusy_apply),
		T(test_fault_enomem_apply),
		T(test_fault_enomem_recv),
		T(test_fault_eagain_send),
		T(test_fault_truncated_ack),
		T(test_fault_reordered_acks),
		T(test_fault_out_of_sequence_ack),
		T_ELEM(test_fault_eperm_set_update),
		T_ELEM(test_fault_ebusy_set_update),
		T_ELEM(test_fault_enobufs_set_update),
		T_ELEM(test_fault_truncated_ack_set_update),
		T_ELEM(test_fault_out_of_sequence_ack_set_update),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
