/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * monitor_parse() on nf_tables event messages built by hand, as the kernel's
 * nf_tables_fill_*_info() lays them out: nfgenmsg (family, version, res_id = the low 16
 * bits of the generation), then the object's attributes, the committer's portid in
 * nlmsg_pid; NFT_MSG_NEWGEN closes the transaction with the generation id, pid and
 * process name.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>

#include "netlink/monitor.h"

static uint64_t buf[1024];

static struct nlmsghdr *header(uint16_t subsys, uint16_t type, uint8_t family, uint32_t portid)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (uint16_t)(subsys << 8 | type);
	nlh->nlmsg_pid = portid;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(42);
	return nlh;
}

/* "nft add table inet flowguard" by portid 3000 */
static struct nlmsghdr *newtable(const char *name, uint32_t portid)
{
	struct nlmsghdr *nlh = header(NFNL_SUBSYS_NFTABLES, NFT_MSG_NEWTABLE, NFPROTO_INET, portid);

	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, name);
	mnl_attr_put_u32(nlh, NFTA_TABLE_FLAGS, htonl(0));
	mnl_attr_put_u32(nlh, NFTA_TABLE_USE, htonl(2));
	mnl_attr_put_u64(nlh, NFTA_TABLE_HANDLE, htobe64(7));
	return nlh;
}

/* A rule with one (empty) expression list, as the kernel echoes it. */
static struct nlmsghdr *newrule(uint8_t family, const char *table, uint32_t portid)
{
	struct nlmsghdr *nlh = header(NFNL_SUBSYS_NFTABLES, NFT_MSG_NEWRULE, family, portid);
	struct nlattr *nest;

	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "egress");
	mnl_attr_put_u64(nlh, NFTA_RULE_HANDLE, htobe64(12));
	nest = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_u64(nlh, NFTA_RULE_POSITION, htobe64(11));
	return nlh;
}

static struct nlmsghdr *newgen(uint32_t portid, long pid, const char *comm)
{
	struct nlmsghdr *nlh = header(NFNL_SUBSYS_NFTABLES, NFT_MSG_NEWGEN, AF_UNSPEC, portid);

	mnl_attr_put_u32(nlh, NFTA_GEN_ID, htonl(42));
	if (pid >= 0)
		mnl_attr_put_u32(nlh, NFTA_GEN_PROC_PID, htonl((uint32_t)pid));
	if (comm)
		mnl_attr_put_strz(nlh, NFTA_GEN_PROC_NAME, comm);
	return nlh;
}

static void parse(const struct nlmsghdr *nlh, struct monitor_event *ev)
{
	memset(ev, 0xa5, sizeof(*ev));
	assert_int_equal(monitor_parse(nlh, ev), 0);
}

static void test_newtable(void **state)
{
	struct monitor_event ev;

	(void)state;
	parse(newtable("flowguard", 3000), &ev);
	assert_false(ev.lost);
	assert_int_equal(ev.type, NFT_MSG_NEWTABLE);
	assert_int_equal(ev.family, NFPROTO_INET);
	assert_int_equal(ev.portid, 3000);
	assert_non_null(ev.table);
	assert_string_equal(ev.table, "flowguard");
	assert_int_equal(ev.pid, 0);
	assert_null(ev.comm);
}

static void test_newrule(void **state)
{
	struct monitor_event ev;

	(void)state;
	parse(newrule(NFPROTO_IPV4, "filter", 0), &ev);
	assert_int_equal(ev.type, NFT_MSG_NEWRULE);
	assert_int_equal(ev.family, NFPROTO_IPV4);
	assert_int_equal(ev.portid, 0);
	assert_string_equal(ev.table, "filter");
	assert_null(ev.comm);
}

static void test_newgen(void **state)
{
	struct monitor_event ev;

	(void)state;
	parse(newgen(3000, 4321, "nft"), &ev);
	assert_int_equal(ev.type, NFT_MSG_NEWGEN);
	assert_int_equal(ev.portid, 3000);
	assert_int_equal(ev.pid, 4321);
	assert_non_null(ev.comm);
	assert_string_equal(ev.comm, "nft");
	/* Attribute 1 of NEWGEN is the generation id, not a table name. */
	assert_null(ev.table);
}

/* A kernel without NFTA_GEN_PROC_*: the transaction closes, the committer is unknown. */
static void test_newgen_anonymous(void **state)
{
	struct monitor_event ev;

	(void)state;
	parse(newgen(0, -1, NULL), &ev);
	assert_int_equal(ev.type, NFT_MSG_NEWGEN);
	assert_int_equal(ev.pid, 0);
	assert_null(ev.comm);
}

/* A table name without its NUL, a pid of the wrong size: left out, the rest decoded. */
static void test_malformed_attrs(void **state)
{
	struct nlmsghdr *nlh;
	struct monitor_event ev;

	(void)state;
	nlh = header(NFNL_SUBSYS_NFTABLES, NFT_MSG_DELTABLE, NFPROTO_INET, 9);
	mnl_attr_put(nlh, NFTA_TABLE_NAME, 4, "abcd");
	parse(nlh, &ev);
	assert_int_equal(ev.type, NFT_MSG_DELTABLE);
	assert_null(ev.table);

	nlh = header(NFNL_SUBSYS_NFTABLES, NFT_MSG_NEWGEN, AF_UNSPEC, 9);
	mnl_attr_put_u16(nlh, NFTA_GEN_PROC_PID, 77);
	mnl_attr_put_strz(nlh, NFTA_GEN_PROC_NAME, "iptables");
	parse(nlh, &ev);
	assert_int_equal(ev.pid, 0);
	assert_string_equal(ev.comm, "iptables");
}

static void test_not_nftables(void **state)
{
	struct monitor_event ev;
	struct nlmsghdr *nlh;

	(void)state;
	/* An nfnetlink_log message on the same kind of socket. */
	nlh = header(NFNL_SUBSYS_ULOG, NFT_MSG_NEWTABLE, NFPROTO_INET, 0);
	assert_int_equal(monitor_parse(nlh, &ev), -EINVAL);
	/* Too short for its nfgenmsg. */
	nlh = newtable("flowguard", 1);
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg)) - 1;
	assert_int_equal(monitor_parse(nlh, &ev), -EINVAL);
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
	parse(nlh, &ev);
	assert_null(ev.table);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newtable),	cmocka_unit_test(test_newrule),
		cmocka_unit_test(test_newgen),		cmocka_unit_test(test_newgen_anonymous),
		cmocka_unit_test(test_malformed_attrs), cmocka_unit_test(test_not_nftables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
