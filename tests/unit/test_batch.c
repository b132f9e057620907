/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Batch round trips without a kernel: build a batch from an IR, walk it with
 * mnl_nlmsg_next, parse each message back with libnftnl and compare with the IR.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "netlink/batch.h"
#include "netlink/expr.h"
#include "netlink/rscmp.h"
#include "netlink/txn.h"

static struct ruleset *sample(void)
{
	struct ruleset *rs = ruleset_new("flowguard");
	struct rs_elem e = { 0 };
	struct rs_chain *c;
	struct rs_set *s;
	struct rs_rule *r;

	rs_strset(&rs->comment, "t");
	s = ruleset_add_set(rs, "v4", AF_INET, RS_SET_INTERVAL);
	rs_strset(&s->origin, "x.yaml:1:2 (flow)");
	rs_addr_parse("10.0.0.0/8", &e.addr);
	rs_set_add_elem(s, &e);
	s = ruleset_add_set(rs, "d6", AF_INET6, RS_SET_TIMEOUT);
	c = ruleset_add_chain(rs, "input", RS_HOOK_INPUT, 0, RS_VERDICT_DROP);
	r = rs_chain_add_rule(c);
	r->ct_state = RS_CT_ESTABLISHED | RS_CT_RELATED;
	r->verdict = RS_VERDICT_ACCEPT;
	r = rs_chain_add_rule(c);
	strcpy(r->iifname, "lo");
	rs_strset(&r->set, "v4");
	r->set_dir = RS_DIR_SRC;
	r->l4proto = IPPROTO_UDP;
	r->sport = 547;
	r->dport = 546;
	r->counter = true;
	rs_strset(&r->comment, "a \"quoted\" comment");
	r->verdict = RS_VERDICT_ACCEPT;
	r = rs_chain_add_rule(c);
	r->l4proto = IPPROTO_ICMPV6;
	r->icmp_type = 2;
	r->limit_rate = 10;
	r->limit_burst = 5;
	rs_strset(&r->log_prefix, "fg: ");
	r->log_group = 7;
	r->verdict = RS_VERDICT_DROP;
	r = rs_chain_add_rule(c);
	rs_strset(&r->set, "d6");
	r->set_dir = RS_DIR_DST;
	r->nfproto = NFPROTO_IPV6; /* implied by the set: not stored after a round trip */
	r->verdict = RS_VERDICT_ACCEPT;
	return rs;
}

static uint16_t msg_type(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_type >> 8 == NFNL_SUBSYS_NFTABLES ? nlh->nlmsg_type & 0xff :
							      nlh->nlmsg_type;
}

/* Framing: BEGIN (with genid) first, END last, consecutive seqs, an ACK asked of the last. */
static void test_framing(void **state)
{
	struct txn_opts o = { .with_genid = true,
			      .genid = 42,
			      .table_flags = NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST };
	static const uint16_t want[] = { NFNL_MSG_BATCH_BEGIN, NFT_MSG_NEWTABLE,  NFT_MSG_NEWSET,
					 NFT_MSG_NEWSETELEM,   NFT_MSG_NEWSET,	  NFT_MSG_NEWCHAIN,
					 NFT_MSG_NEWRULE,      NFT_MSG_NEWRULE,	  NFT_MSG_NEWRULE,
					 NFT_MSG_NEWRULE,      NFNL_MSG_BATCH_END };
	struct ruleset *rs = sample();
	struct nl_batch *b = batch_new(1000);
	const struct nlmsghdr *nlh;
	struct nlattr *genid;
	struct nftnl_table *t;
	int len, i = 0;

	(void)state;
	assert_int_equal(txn_build(b, NULL, rs, &o), 0);
	assert_int_equal(b->n_msgs, 9);
	assert_int_equal(b->seq_acked, 1009);
	len = (int)b->len;
	for (nlh = (void *)b->buf; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len), i++) {
		assert_true(i < (int)(sizeof(want) / sizeof(want[0])));
		assert_int_equal(msg_type(nlh), want[i]);
		assert_int_equal(nlh->nlmsg_seq, 1000 + (unsigned int)i);
		assert_int_equal(!!(nlh->nlmsg_flags & NLM_F_ACK), i == 9);
	}
	assert_int_equal(i, sizeof(want) / sizeof(want[0]));
	assert_int_equal(len, 0);
	nlh = (void *)b->buf;
	genid = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct nfgenmsg));
	assert_int_equal(mnl_attr_get_type(genid), NFNL_BATCH_GENID);
	assert_int_equal(ntohl(mnl_attr_get_u32(genid)), 42);
	t = nftnl_table_alloc();
	nlh = mnl_nlmsg_next(nlh, &(int){ (int)b->len });
	assert_int_equal(nftnl_table_nlmsg_parse(nlh, t), 0);
	assert_string_equal(nftnl_table_get_str(t, NFTNL_TABLE_NAME), "flowguard");
	assert_int_equal(nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS), 6);
	nftnl_table_free(t);
	assert_non_null(batch_find(b, 1002));
	assert_string_equal(batch_find(b, 1002)->kind, "set");
	assert_null(batch_find(b, 999));
	batch_free(b);
	ruleset_free(rs);
}

/* Every NEWRULE parses back (libnftnl, then expr_rule_parse) into the same rule. */
static void test_rules_round_trip(void **state)
{
	struct txn_opts o = { 0 };
	struct ruleset *rs = sample(), *canon = rscmp_canonical(rs, 0), *back = ruleset_new("b");
	struct rs_chain *c = ruleset_add_chain(back, "input", RS_HOOK_INPUT, 0, RS_VERDICT_DROP);
	struct nl_batch *b = batch_new(1);
	const struct nlmsghdr *nlh;
	struct nftnl_rule *nr;
	char what[128];
	size_t n = 0;
	int len;

	(void)state;
	assert_int_equal(txn_build(b, NULL, rs, &o), 0);
	len = (int)b->len;
	for (nlh = (void *)b->buf; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (msg_type(nlh) != NFT_MSG_NEWRULE)
			continue;
		nr = nftnl_rule_alloc();
		assert_int_equal(nftnl_rule_nlmsg_parse(nlh, nr), 0);
		assert_int_equal(expr_rule_parse(nr, rs_chain_add_rule(c), what, sizeof(what)), 0);
		nftnl_rule_free(nr);
		assert_true(rscmp_rule_equal(&c->rules[n], &canon->chains[0].rules[n]));
		n++;
	}
	assert_int_equal(n, 4);
	assert_string_equal(c->rules[1].comment, "a 'quoted' comment");
	assert_int_equal(c->rules[3].nfproto, 0);
	assert_int_equal(c->rules[2].log_group, 7);
	assert_int_equal(c->rules[0].log_group, -1);
	c->rules[2].log_group = -1; /* the kernel log is another rule */
	assert_false(rscmp_rule_equal(&c->rules[2], &canon->chains[0].rules[2]));
	batch_free(b);
	ruleset_free(back);
	ruleset_free(canon);
	ruleset_free(rs);
}

/* Interval elements as nft sends them: 0.0.0.0 interval-end, start, end. */
static void test_interval_elems(void **state)
{
	struct txn_opts o = { 0 };
	struct ruleset *rs = sample();
	struct nl_batch *b = batch_new(1);
	const struct nlmsghdr *nlh;
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;
	struct nftnl_set *s;
	static const uint8_t keys[3][4] = { { 0, 0, 0, 0 }, { 10, 0, 0, 0 }, { 11, 0, 0, 0 } };
	static const bool ends[3] = { true, false, true };
	const void *k;
	uint32_t klen;
	int len, i = 0;

	(void)state;
	assert_int_equal(txn_build(b, NULL, rs, &o), 0);
	len = (int)b->len;
	for (nlh = (void *)b->buf; msg_type(nlh) != NFT_MSG_NEWSETELEM;)
		nlh = mnl_nlmsg_next(nlh, &len);
	s = nftnl_set_alloc();
	assert_int_equal(nftnl_set_elems_nlmsg_parse(nlh, s), 0);
	it = nftnl_set_elems_iter_create(s);
	/* iter_next() returns the current element, then advances */
	for (; (e = nftnl_set_elems_iter_next(it)); i++) {
		k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);
		assert_int_equal(klen, 4);
		assert_memory_equal(k, keys[i], 4);
		assert_int_equal(nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) &&
					 nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS),
				 ends[i]);
	}
	assert_int_equal(i, 3);
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	batch_free(b);
	ruleset_free(rs);
}

/* A static set of n single addresses 10.0.x.y; its size as rs_set_fit_size() gives it. */
static uint32_t fitted(struct ruleset *rs, const char *name, size_t n, unsigned int flags)
{
	struct rs_set *s = ruleset_add_set(rs, name, AF_INET, flags);
	struct rs_elem e = { .addr = { .family = AF_INET, .prefix = 32, .addr = { 10 } } };
	size_t i;

	for (i = 0; i < n; i++) {
		e.addr.addr[2] = (uint8_t)(i >> 8);
		e.addr.addr[3] = (uint8_t)i;
		assert_int_equal(rs_set_add_elem(s, &e), 0);
	}
	rs_set_fit_size(s);
	return s->size;
}

/*
 * Sizes: none below 1,024 addresses, for interval and DNS-fed sets; else twice the
 * addresses as a power of two. NEWSET carries the size, and only then.
 */
static void test_set_size(void **state)
{
	struct ruleset *rs = ruleset_new("flowguard");
	struct txn_opts o = { 0 };
	struct nl_batch *b = batch_new(1);
	const struct nlmsghdr *nlh;
	struct nftnl_set *s;
	const char *name;
	int len, seen = 0;

	(void)state;
	assert_int_equal(fitted(rs, "small", 1023, 0), 0);
	assert_int_equal(fitted(rs, "edge", 1024, 0), 2048);
	assert_int_equal(fitted(rs, "odd", 1025, 0), 4096);
	assert_int_equal(fitted(rs, "big", 10000, 0), 32768);
	assert_int_equal(fitted(rs, "ranges", 2000, RS_SET_INTERVAL), 0);
	assert_int_equal(fitted(rs, "dns", 2000, RS_SET_TIMEOUT), 0);
	assert_int_equal(txn_build(b, NULL, rs, &o), 0);
	len = (int)b->len;
	for (nlh = (void *)b->buf; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (msg_type(nlh) != NFT_MSG_NEWSET)
			continue;
		s = nftnl_set_alloc();
		assert_int_equal(nftnl_set_nlmsg_parse(nlh, s), 0);
		name = nftnl_set_get_str(s, NFTNL_SET_NAME);
		assert_int_equal(nftnl_set_is_set(s, NFTNL_SET_DESC_SIZE),
				 !strcmp(name, "edge") || !strcmp(name, "odd") ||
					 !strcmp(name, "big"));
		if (!strcmp(name, "big"))
			assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_DESC_SIZE), 32768);
		nftnl_set_free(s);
		seen++;
	}
	assert_int_equal(seen, 6);
	batch_free(b);
	ruleset_free(rs);
}

/*
 * A DNS-fed element as libnftnl reads it back: key, timeout, expiration (refresh only)
 * and the comment; a DELSETELEM carries the key alone.
 */
static void test_elem_attrs(void **state)
{
	struct ruleset *rs = ruleset_new("t");
	struct rs_set *set = ruleset_add_set(rs, "d4", AF_INET, RS_SET_TIMEOUT);
	struct rs_elem e = { .addr = { .family = AF_INET, .prefix = 32, .addr = { 192, 0, 2, 7 } },
			     .timeout_ms = 3600000,
			     .comment = (char *)"web.example.com" };
	const struct rs_elem *v[1] = { &e };
	static const uint16_t types[3] = { NFT_MSG_NEWSETELEM, NFT_MSG_NEWSETELEM,
					   NFT_MSG_DELSETELEM };
	static const unsigned int flags[3] = { 0, BATCH_ELEM_REFRESH, 0 };
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *se;
	struct nftnl_set *s;
	struct nl_batch *b;
	const void *p;
	char *comment;
	uint32_t len;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		b = batch_new(1);
		assert_int_equal(batch_elems(b, types[i], "t", set, v, 1, flags[i]), 0);
		s = nftnl_set_alloc();
		assert_int_equal(nftnl_set_elems_nlmsg_parse((const void *)b->buf, s), 0);
		it = nftnl_set_elems_iter_create(s);
		se = nftnl_set_elems_iter_next(it);
		assert_non_null(se);
		p = nftnl_set_elem_get(se, NFTNL_SET_ELEM_KEY, &len);
		assert_int_equal(len, 4);
		assert_memory_equal(p, e.addr.addr, 4);
		assert_false(nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_FLAGS));
		assert_int_equal(nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_TIMEOUT), i < 2);
		assert_int_equal(nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_EXPIRATION), i == 1);
		assert_int_equal(nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_USERDATA), i < 2);
		if (i < 2) {
			assert_int_equal(nftnl_set_elem_get_u64(se, NFTNL_SET_ELEM_TIMEOUT),
					 3600000);
			p = nftnl_set_elem_get(se, NFTNL_SET_ELEM_USERDATA, &len);
			comment = NULL;
			assert_int_equal(expr_udata_get_comment(p, len,
								NFTNL_UDATA_SET_ELEM_COMMENT,
								&comment),
					 0);
			assert_string_equal(comment, "web.example.com");
			free(comment);
		}
		if (i == 1)
			assert_int_equal(nftnl_set_elem_get_u64(se, NFTNL_SET_ELEM_EXPIRATION),
					 3600000);
		assert_null(nftnl_set_elems_iter_next(it));
		nftnl_set_elems_iter_destroy(it);
		nftnl_set_free(s);
		batch_free(b);
	}
	ruleset_free(rs);
}

static size_t count_elems(struct nftnl_set *s)
{
	struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(s);
	struct nftnl_set_elem *e;
	size_t n = 0;

	while ((e = nftnl_set_elems_iter_next(it)))
		n++;
	nftnl_set_elems_iter_destroy(it);
	return n;
}

/* 100,000 elements with comments: split so no element nest passes UINT16_MAX, none lost. */
static void test_split(void **state)
{
	struct ruleset *rs = ruleset_new("t");
	struct rs_set *set = ruleset_add_set(rs, "big", AF_INET6, RS_SET_TIMEOUT);
	struct rs_elem e = { .addr = { .family = AF_INET6, .prefix = 128 },
			     .timeout_ms = 60000,
			     .comment = (char *)"a-rather-long-fqdn-for-an-address.example.com" };
	const struct nlmsghdr *nlh;
	struct nl_batch *b = batch_new(1);
	struct nftnl_set *s;
	size_t total = 0, msgs = 0, idx = 0, full = 0;
	struct nlattr *a; /* not const: mnl_attr_for_each casts it to char * */
	uint32_t i, v;
	int len;

	(void)state;
	for (i = 0; i < 100000; i++) {
		v = htonl(i);
		memcpy(e.addr.addr + 12, &v, 4);
		assert_int_equal(rs_set_add_elem(set, &e), 0);
	}
	assert_int_equal(batch_set_elems(b, "t", set), 0);
	len = (int)b->len;
	for (nlh = (void *)b->buf; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
				full += mnl_attr_get_len(a) > 65000;
		s = nftnl_set_alloc();
		assert_int_equal(nftnl_set_elems_nlmsg_parse(nlh, s), 0);
		assert_int_equal(b->objs[msgs].index, idx);
		idx += b->objs[msgs].count;
		msgs++;
		total += count_elems(s);
		nftnl_set_free(s);
	}
	print_message("100000 elements in %zu messages\n", msgs);
	assert_true(msgs > 100);
	assert_true(full >= msgs - 1); /* filled up to just below the u16 nest length */
	assert_int_equal(total, 100000);
	assert_int_equal(idx, 100000);
	batch_free(b);
	ruleset_free(rs);
}

/* In place: an unchanged table plans nothing; one new element plans one NEWSETELEM. */
static void test_plan_in_place(void **state)
{
	struct txn_opts o = { .table_flags = 0 };
	struct ruleset *rs = sample(), *cur = rscmp_canonical(rs, 0), *want;
	struct rs_elem e = { 0 };
	struct nl_batch *b = batch_new(1);

	(void)state;
	want = rscmp_canonical(rs, 0);
	assert_int_equal(txn_build(b, cur, want, &o), 0);
	assert_int_equal(b->n_msgs, 0);
	batch_free(b);
	rs_addr_parse("2001:db8::1", &e.addr);
	rs_set_add_elem(&want->sets[1], &e);
	b = batch_new(1);
	assert_int_equal(txn_build(b, cur, want, &o), 0);
	assert_int_equal(b->n_msgs, 1);
	assert_string_equal(b->objs[1].kind, "elements");
	assert_string_equal(b->objs[1].name, "d6");
	batch_free(b);
	/* different table flags that cannot be updated: delete + add in one batch */
	o.table_flags = NFT_TABLE_F_OWNER;
	b = batch_new(1);
	assert_int_equal(txn_build(b, cur, want, &o), 0);
	assert_int_equal(b->objs[1].type, NFT_MSG_DELTABLE);
	assert_int_equal(b->objs[2].type, NFT_MSG_NEWTABLE);
	batch_free(b);
	ruleset_free(want);
	ruleset_free(cur);
	ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing),	       cmocka_unit_test(test_rules_round_trip),
		cmocka_unit_test(test_interval_elems), cmocka_unit_test(test_split),
		cmocka_unit_test(test_plan_in_place),  cmocka_unit_test(test_elem_attrs),
		cmocka_unit_test(test_set_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
