/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nflog_parse() on NFULNL_MSG_PACKET messages built by hand, as the kernel's
 * __build_packet_message() lays them out: nfgenmsg, then attributes (prefix, uid in
 * network order, payload = the L3 packet from its first byte, cut at the copy range).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>

#include "netlink/nflog.h"

static uint64_t buf[1024];

struct msg {
	uint16_t type;	    /* nfnetlink message type; 0: NFULNL_MSG_PACKET */
	const char *prefix; /* NULL: no NFULA_PREFIX */
	long uid;	    /* -1: no NFULA_UID */
	const uint8_t *payload;
	size_t len; /* 0 with payload NULL: no NFULA_PAYLOAD */
};

static struct nlmsghdr *build(const struct msg *m)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = m->type ? m->type : NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(4100);
	if (m->prefix)
		mnl_attr_put_strz(nlh, NFULA_PREFIX, m->prefix);
	if (m->uid >= 0)
		mnl_attr_put_u32(nlh, NFULA_UID, htonl((uint32_t)m->uid));
	if (m->payload)
		mnl_attr_put(nlh, NFULA_PAYLOAD, m->len, m->payload);
	return nlh;
}

/* 10.0.0.2:40000 -> 10.77.0.9:9999 TCP SYN, 60 bytes on the wire, IHL 6 (one option word). */
static const uint8_t v4_tcp[] = {
	0x46, 0x00, 0x00, 0x3c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 10,
	0,    0,    2,	  10,	77,   0,    9,	  0x01, 0x01, 0x01, 0x00, /* options: nop nop nop eol */
	0x9c, 0x40, 0x27, 0x0f, 0,    0,    0,	  1,	0,    0,    0,	  0,	0x50,
	0x02, 0xff, 0xff,
};

/* 2001:db8::1:53000 -> 2001:db8::9:123 UDP behind a destination options header. */
static const uint8_t v6_udp[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 60,	  64, /* payload 24, next: dest opts */
	0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,	  0,	0, 0, 0, 0, 0, 0, 0, 1,	 0x20,
	0x01, 0x0d, 0xb8, 0,	0,    0,    0,	  0,	0, 0, 0, 0, 0, 0, 9, 17, 1,
	1,    4,    0,	  0,	0,    0,    1,	  2,	0, 0, 0, 0, 0, 0, /* next udp, 16 bytes: padn */
	0xcf, 0x08, 0x00, 0x7b, 0x00, 0x08, 0x00, 0x00,
};

/* 10.0.0.2 -> 10.77.0.9 ICMP echo request. */
static const uint8_t v4_icmp[] = {
	0x45, 0x00, 0x00, 0x54, 0, 1, 0x40, 0x00, 0x40, 0x01, 0, 0, 10, 0,
	0,    2,    10,	  77,	0, 9, 8,    0,	  0,	0,    0, 1, 0,	1,
};

static void ip4(const struct rs_addr *a, const char *want)
{
	uint8_t w[4];

	assert_int_equal(inet_pton(AF_INET, want, w), 1);
	assert_int_equal(a->family, AF_INET);
	assert_int_equal(a->prefix, 32);
	assert_memory_equal(a->addr, w, 4);
}

static void ip6(const struct rs_addr *a, const char *want)
{
	uint8_t w[16];

	assert_int_equal(inet_pton(AF_INET6, want, w), 1);
	assert_int_equal(a->family, AF_INET6);
	assert_int_equal(a->prefix, 128);
	assert_memory_equal(a->addr, w, 16);
}

static int parse(const struct msg *m, struct nflog_pkt *p)
{
	memset(p, 0xa5, sizeof(*p));
	return nflog_parse(build(m), p);
}

static void test_ipv4_tcp(void **state)
{
	struct msg m = { 0, "flowguard drop egress: ", 0, v4_tcp, sizeof(v4_tcp) };
	struct nflog_pkt p;

	(void)state;
	assert_int_equal(parse(&m, &p), 0);
	assert_string_equal(p.prefix, "flowguard drop egress: ");
	ip4(&p.saddr, "10.0.0.2");
	ip4(&p.daddr, "10.77.0.9");
	assert_int_equal(p.l4proto, IPPROTO_TCP);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 9999);
	assert_int_equal(p.icmp_type, -1);
	assert_true(p.has_uid);
	assert_int_equal(p.uid, 0);
	assert_int_equal(p.len, 60);
}

static void test_ipv6_udp_ext(void **state)
{
	struct msg m = { 0, "flowguard audit egress: ", 1000, v6_udp, sizeof(v6_udp) };
	struct nflog_pkt p;

	(void)state;
	assert_int_equal(parse(&m, &p), 0);
	assert_string_equal(p.prefix, "flowguard audit egress: ");
	ip6(&p.saddr, "2001:db8::1");
	ip6(&p.daddr, "2001:db8::9");
	assert_int_equal(p.l4proto, IPPROTO_UDP);
	assert_int_equal(p.sport, 53000);
	assert_int_equal(p.dport, 123);
	assert_true(p.has_uid);
	assert_int_equal(p.uid, 1000);
	assert_int_equal(p.len, 64);
}

/* A later fragment: the protocol is known, the ports are not in it. */
static void test_ipv6_later_fragment(void **state)
{
	uint8_t pkt[40 + 8 + 8];
	struct msg m = { 0, "p", -1, pkt, sizeof(pkt) };
	struct nflog_pkt p;

	(void)state;
	memcpy(pkt, v6_udp, 40);
	pkt[6] = IPPROTO_FRAGMENT;
	memcpy(pkt + 40, (const uint8_t[]){ IPPROTO_UDP, 0, 0x05, 0x01, 0, 0, 0, 7 }, 8);
	memcpy(pkt + 48, v6_udp + 56, 8);
	assert_int_equal(parse(&m, &p), 0);
	assert_int_equal(p.l4proto, IPPROTO_UDP);
	assert_int_equal(p.sport, 0);
	assert_int_equal(p.dport, 0);
	assert_false(p.has_uid);
	/* The first fragment (offset 0, more fragments) has them. */
	pkt[42] = 0;
	assert_int_equal(parse(&m, &p), 0);
	assert_int_equal(p.dport, 123);
}

static void test_icmp(void **state)
{
	struct msg m = { 0, "flowguard drop ingress: ", -1, v4_icmp, sizeof(v4_icmp) };
	struct nflog_pkt p;

	(void)state;
	assert_int_equal(parse(&m, &p), 0);
	assert_int_equal(p.l4proto, IPPROTO_ICMP);
	assert_int_equal(p.icmp_type, 8);
	assert_int_equal(p.sport, 0);
	assert_int_equal(p.dport, 0);
	assert_false(p.has_uid);
	assert_int_equal(p.len, 84);
}

/* Cut inside the TCP header (snaplen): addresses and protocol, no ports. */
static void test_truncated_l4(void **state)
{
	struct msg m = { 0, "x", -1, v4_tcp, 24 + 3 };
	struct nflog_pkt p;

	(void)state;
	assert_int_equal(parse(&m, &p), 0);
	ip4(&p.daddr, "10.77.0.9");
	assert_int_equal(p.l4proto, IPPROTO_TCP);
	assert_int_equal(p.sport, 0);
	assert_int_equal(p.dport, 0);
	assert_int_equal(p.len, 60);
	/* Cut inside the IPv4 options: no L4 header at all. */
	m.len = 22;
	assert_int_equal(parse(&m, &p), 0);
	assert_int_equal(p.dport, 0);
}

/* Cut inside the IPv6 extension header: the protocol is unknown. */
static void test_truncated_v6_ext(void **state)
{
	struct msg m = { 0, "x", -1, v6_udp, 40 + 7 };
	struct nflog_pkt p;

	(void)state;
	assert_int_equal(parse(&m, &p), 0);
	assert_int_equal(p.l4proto, IPPROTO_NONE);
	assert_int_equal(p.dport, 0);
	/* The extension header's length points past the copy. */
	m.len = 40 + 8;
	assert_int_equal(parse(&m, &p), 0);
	assert_int_equal(p.l4proto, IPPROTO_UDP);
	assert_int_equal(p.dport, 0);
}

static void test_truncated_ip(void **state)
{
	struct msg m4 = { 0, "x", -1, v4_tcp, 19 }, m6 = { 0, "x", -1, v6_udp, 39 };
	struct msg m0 = { 0, "x", -1, v4_tcp, 0 };
	struct nflog_pkt p;

	(void)state;
	assert_int_equal(parse(&m4, &p), -EINVAL);
	assert_int_equal(parse(&m6, &p), -EINVAL);
	assert_int_equal(parse(&m0, &p), -EINVAL);
}

static void test_bad_ip_header(void **state)
{
	uint8_t pkt[sizeof(v4_tcp)];
	struct msg m = { 0, "x", -1, pkt, sizeof(pkt) };
	struct nflog_pkt p;

	(void)state;
	memcpy(pkt, v4_tcp, sizeof(pkt));
	pkt[0] = 0x44; /* IHL 4: shorter than the fixed header */
	assert_int_equal(parse(&m, &p), -EINVAL);
	pkt[0] = 0x56; /* version 5 */
	assert_int_equal(parse(&m, &p), -EINVAL);
}

/* Nine hop-by-hop headers in a row: more than the walk follows. */
static void test_too_many_v6_ext(void **state)
{
	uint8_t pkt[40 + 9 * 8 + 8];
	struct msg m = { 0, "x", -1, pkt, sizeof(pkt) };
	struct nflog_pkt p;
	int i;

	(void)state;
	memset(pkt, 0, sizeof(pkt));
	memcpy(pkt, v6_udp, 40);
	pkt[6] = IPPROTO_DSTOPTS;
	for (i = 0; i < 9; i++)
		pkt[40 + i * 8] = i < 8 ? IPPROTO_DSTOPTS : IPPROTO_UDP;
	assert_int_equal(parse(&m, &p), -EINVAL);
	pkt[40 + 7 * 8] = IPPROTO_UDP; /* eight: still followed */
	assert_int_equal(parse(&m, &p), 0);
	assert_int_equal(p.l4proto, IPPROTO_UDP);
}

static void test_not_a_packet(void **state)
{
	struct msg m = { NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_CONFIG, "x", -1, v4_tcp,
			 sizeof(v4_tcp) };
	struct nflog_pkt p;

	(void)state;
	assert_int_equal(parse(&m, &p), -EINVAL);
	m.type = NLMSG_ERROR;
	assert_int_equal(parse(&m, &p), -EINVAL);
}

static void test_missing_prefix_or_payload(void **state)
{
	struct msg m = { 0, NULL, 0, v4_tcp, sizeof(v4_tcp) };
	struct nflog_pkt p;

	(void)state;
	assert_int_equal(parse(&m, &p), -EINVAL);
	m.prefix = "x";
	m.payload = NULL;
	assert_int_equal(parse(&m, &p), -EINVAL);
}

/* Attributes whose sizes lie: a prefix without its NUL, a 2-byte uid, a length past the end. */
static void test_malformed_attrs(void **state)
{
	struct msg m = { 0, NULL, -1, v4_tcp, sizeof(v4_tcp) };
	struct nlmsghdr *nlh;
	struct nlattr *a;
	struct nflog_pkt p;

	(void)state;
	nlh = build(&m);
	mnl_attr_put(nlh, NFULA_PREFIX, 3, "abc");
	assert_int_equal(nflog_parse(nlh, &p), -EINVAL);
	m.prefix = "x";
	nlh = build(&m);
	mnl_attr_put_u16(nlh, NFULA_UID, 0);
	assert_int_equal(nflog_parse(nlh, &p), -EINVAL);
	nlh = build(&m);
	a = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct nfgenmsg));
	a->nla_len = (uint16_t)(nlh->nlmsg_len + 64); /* the prefix claims more than there is */
	assert_int_equal(nflog_parse(nlh, &p), -EINVAL);
	/* An odd payload, then the message cut to end exactly where its padding would start. */
	m.len = sizeof(v4_icmp) - 1;
	m.payload = v4_icmp;
	nlh = build(&m);
	assert_int_equal(nflog_parse(nlh, &p), 0);
	nlh->nlmsg_len -= 1;
	assert_int_equal(nflog_parse(nlh, &p), -EINVAL);
}

/* A long prefix is cut to NFLOG_PREFIX_MAX - 1 bytes, NUL-terminated. */
static void test_long_prefix(void **state)
{
	char prefix[100];
	struct msg m = { 0, prefix, -1, v4_icmp, sizeof(v4_icmp) };
	struct nflog_pkt p;

	(void)state;
	memset(prefix, 'a', sizeof(prefix) - 1);
	prefix[sizeof(prefix) - 1] = '\0';
	assert_int_equal(parse(&m, &p), 0);
	assert_int_equal(strlen(p.prefix), NFLOG_PREFIX_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_tcp),
		cmocka_unit_test(test_ipv6_udp_ext),
		cmocka_unit_test(test_ipv6_later_fragment),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_truncated_l4),
		cmocka_unit_test(test_truncated_v6_ext),
		cmocka_unit_test(test_truncated_ip),
		cmocka_unit_test(test_bad_ip_header),
		cmocka_unit_test(test_too_many_v6_ext),
		cmocka_unit_test(test_not_a_packet),
		cmocka_unit_test(test_missing_prefix_or_payload),
		cmocka_unit_test(test_malformed_attrs),
		cmocka_unit_test(test_long_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
