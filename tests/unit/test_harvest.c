/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The DNS answer reader of harvest (agent/dns/harvest.h) on messages built by hand: the
 * chain rules, every rejection, the UDP framing, and matching against a names store
 * (exact, CNAME, wildcard). Then names_harvest(): a second source that adds, extends and
 * never removes, bounded per name.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "tests/unit/unit_text.h"

#include "agent/dns/harvest.h"
#include "agent/dns/names_int.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define T_A 1
#define T_CNAME 5
#define T_AAAA 28
#define T_RRSIG 46

/* ---- a tiny DNS message builder ---- */

struct msg {
	uint8_t b[4096];
	size_t n;
};

static void put16(struct msg *m, uint16_t v)
{
	m->b[m->n++] = (uint8_t)(v >> 8);
	m->b[m->n++] = (uint8_t)v;
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, (uint16_t)(v >> 16));
	put16(m, (uint16_t)v);
}

static void put_name(struct msg *m, const char *name)
{
	const char *p = name, *dot;
	size_t k;

	while (*p) {
		dot = strchr(p, '.');
		k = dot ? (size_t)(dot - p) : strlen(p);
		m->b[m->n++] = (uint8_t)k;
		memcpy(m->b + m->n, p, k);
		m->n += k;
		p += k + (dot ? 1 : 0);
	}
	m->b[m->n++] = 0;
}

/* Header: a response (QR, RD, RA) with one question and an answer count. */
static void header(struct msg *m, uint16_t flags, uint16_t qd, uint16_t an)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
}

static void question(struct msg *m, const char *name, uint16_t type, uint16_t class)
{
	put_name(m, name);
	put16(m, type);
	put16(m, class);
}

/* One record; owner NULL: a pointer to the question's name (offset 12). */
static void rr(struct msg *m, const char *owner, uint16_t type, uint32_t ttl, const void *rdata,
	       uint16_t rdlen)
{
	if (owner) {
		put_name(m, owner);
	} else {
		m->b[m->n++] = 0xc0;
		m->b[m->n++] = 12;
	}
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	put16(m, rdlen);
	memcpy(m->b + m->n, rdata, rdlen);
	m->n += rdlen;
}

static void rr_a(struct msg *m, const char *owner, uint32_t ttl, const char *addr)
{
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, addr, a), 1);
	rr(m, owner, T_A, ttl, a, 4);
}

static void rr_cname(struct msg *m, const char *owner, uint32_t ttl, const char *target)
{
	struct msg t = { .n = 0 };

	put_name(&t, target);
	rr(m, owner, T_CNAME, ttl, t.b, (uint16_t)t.n);
}

#define RESPONSE 0x8180
#define S 1000ULL
#define T0 (1000000 * S)

static enum harvest_reject parse(const struct msg *m, struct harvest_answer *a)
{
	return harvest_parse(m->b, m->n, a);
}

static void assert_addr(const struct rs_addr *a, const char *text)
{
	char buf[64];

	assert_string_equal(rs_addr_format(a, buf, sizeof(buf)), text);
}

/* ---- the reader ---- */

static void test_one_a(void **state)
{
	struct harvest_answer a;
	struct msg m;

	(void)state;
	header(&m, RESPONSE, 1, 2);
	question(&m, "Web.Test", T_A, 1);
	rr_a(&m, NULL, 30, "192.0.2.2");
	rr_a(&m, NULL, 20, "192.0.2.1");
	assert_int_equal(parse(&m, &a), HARVEST_OK);
	assert_int_equal(a.n_chain, 1);
	assert_string_equal(a.chain[0], "web.test");
	assert_int_equal(a.n_addrs, 2);
	assert_addr(&a.addrs[0], "192.0.2.1");
	assert_addr(&a.addrs[1], "192.0.2.2");
	assert_int_equal(a.ttl, 20);
	assert_int_equal(a.qtype, T_A);
}

static void test_cname_chain(void **state)
{
	struct harvest_answer a;
	struct msg m;

	(void)state;
	header(&m, RESPONSE, 1, 4);
	question(&m, "www.cdn.test", T_A, 1);
	rr_cname(&m, NULL, 60, "mid.cdn.test");
	rr_cname(&m, "mid.cdn.test", 300, "EDGE.cdn.test");
	rr_a(&m, "edge.cdn.test", 9, "10.0.0.1");
	rr_a(&m, "edge.cdn.test", 7, "10.0.0.2");
	assert_int_equal(parse(&m, &a), HARVEST_OK);
	assert_int_equal(a.n_chain, 3);
	assert_string_equal(a.chain[1], "mid.cdn.test");
	assert_string_equal(a.chain[2], "edge.cdn.test");
	assert_int_equal(a.n_addrs, 2);
	assert_int_equal(a.ttl, 7);
}

/* Records may come in any order; the chain is walked from the question, not the list. */
static void test_cname_out_of_order(void **state)
{
	struct harvest_answer a;
	struct msg m;

	(void)state;
	header(&m, RESPONSE, 1, 3);
	question(&m, "www.cdn.test", T_A, 1);
	rr_a(&m, "edge.cdn.test", 9, "10.0.0.1");
	rr_cname(&m, "mid.cdn.test", 8, "edge.cdn.test");
	rr_cname(&m, NULL, 60, "mid.cdn.test");
	assert_int_equal(parse(&m, &a), HARVEST_OK);
	assert_int_equal(a.n_chain, 3);
	assert_int_equal(a.ttl, 8);
}

/* The resolver's own rule (resolver_chain_check): a CNAME whose owner is off the chain. */
static void test_cname_hijack(void **state)
{
	struct harvest_answer a;
	struct msg m;

	(void)state;
	header(&m, RESPONSE, 1, 2);
	question(&m, "web.test", T_A, 1);
	rr_cname(&m, "other.test", 60, "evil.test");
	rr_a(&m, "evil.test", 60, "10.99.0.9");
	assert_int_equal(parse(&m, &a), HARVEST_REJ_CHAIN);
	assert_string_equal(a.chain[0], "web.test");
}

static void test_address_of_other_name(void **state)
{
	struct harvest_answer a;
	struct msg m;

	(void)state;
	header(&m, RESPONSE, 1, 2);
	question(&m, "web.test", T_A, 1);
	rr_a(&m, NULL, 60, "192.0.2.1");
	rr_a(&m, "evil.test", 60, "10.99.0.9");
	assert_int_equal(parse(&m, &a), HARVEST_REJ_CHAIN);
	/* An address owned by the question when the chain moved on is off the chain too. */
	header(&m, RESPONSE, 1, 2);
	question(&m, "web.test", T_A, 1);
	rr_cname(&m, NULL, 60, "edge.test");
	rr_a(&m, NULL, 60, "10.99.0.9");
	assert_int_equal(parse(&m, &a), HARVEST_REJ_CHAIN);
}

static void test_cname_fork_and_loop(void **state)
{
	struct harvest_answer a;
	struct msg m;

	(void)state;
	header(&m, RESPONSE, 1, 2);
	question(&m, "web.test", T_A, 1);
	rr_cname(&m, NULL, 60, "a.test");
	rr_cname(&m, NULL, 60, "b.test");
	assert_int_equal(parse(&m, &a), HARVEST_REJ_CHAIN);
	header(&m, RESPONSE, 1, 2);
	question(&m, "web.test", T_A, 1);
	rr_cname(&m, NULL, 60, "a.test");
	rr_cname(&m, "a.test", 60, "web.test");
	assert_int_equal(parse(&m, &a), HARVEST_REJ_CHAIN);
}

static void test_chain_too_long(void **state)
{
	struct harvest_answer a;
	char from[32], to[32];
	struct msg m;
	int i;

	(void)state;
	header(&m, RESPONSE, 1, HARVEST_CHAIN_MAX);
	question(&m, "n0.test", T_A, 1);
	for (i = 0; i < HARVEST_CHAIN_MAX; i++) {
		snprintf(from, sizeof(from), "n%d.test", i);
		snprintf(to, sizeof(to), "n%d.test", i + 1);
		rr_cname(&m, from, 60, to);
	}
	assert_int_equal(parse(&m, &a), HARVEST_REJ_CHAIN);
	/* One fewer fits. */
	header(&m, RESPONSE, 1, HARVEST_CHAIN_MAX - 1);
	question(&m, "n0.test", T_A, 1);
	for (i = 0; i < HARVEST_CHAIN_MAX - 1; i++) {
		snprintf(from, sizeof(from), "n%d.test", i);
		snprintf(to, sizeof(to), "n%d.test", i + 1);
		rr_cname(&m, from, 60, to);
	}
	assert_int_equal(parse(&m, &a), HARVEST_OK);
	assert_int_equal(a.n_chain, HARVEST_CHAIN_MAX);
}

static void test_not_answers(void **state)
{
	struct harvest_answer a;
	struct msg m;

	(void)state;
	header(&m, 0x0100, 1, 0); /* a query */
	question(&m, "web.test", T_A, 1);
	assert_int_equal(parse(&m, &a), HARVEST_REJ_NOT_ANSWER);
	header(&m, RESPONSE | 0x2800, 1, 0); /* opcode UPDATE */
	question(&m, "web.test", T_A, 1);
	assert_int_equal(parse(&m, &a), HARVEST_REJ_NOT_ANSWER);
	header(&m, RESPONSE, 2, 0);
	question(&m, "web.test", T_A, 1);
	question(&m, "web.test", T_AAAA, 1);
	assert_int_equal(parse(&m, &a), HARVEST_REJ_NOT_ANSWER);
	header(&m, RESPONSE, 1, 1);
	question(&m, "web.test", T_A, 3); /* class CH */
	rr_a(&m, NULL, 60, "192.0.2.1");
	assert_int_equal(parse(&m, &a), HARVEST_REJ_NOT_ANSWER);
}

static void test_malformed(void **state)
{
	struct harvest_answer a;
	uint8_t five[5] = { 10, 99, 0, 9, 1 };
	struct msg m;

	(void)state;
	header(&m, RESPONSE, 1, 0);
	assert_int_equal(harvest_parse(m.b, 11, &a), HARVEST_REJ_MALFORMED);
	/* ANCOUNT says 2, one is there. */
	header(&m, RESPONSE, 1, 2);
	question(&m, "web.test", T_A, 1);
	rr_a(&m, NULL, 60, "192.0.2.1");
	assert_int_equal(parse(&m, &a), HARVEST_REJ_MALFORMED);
	/* Data cut short. */
	header(&m, RESPONSE, 1, 1);
	question(&m, "web.test", T_A, 1);
	rr_a(&m, NULL, 60, "192.0.2.1");
	assert_int_equal(harvest_parse(m.b, m.n - 2, &a), HARVEST_REJ_MALFORMED);
	/* An A record of 5 bytes. */
	header(&m, RESPONSE, 1, 1);
	question(&m, "web.test", T_A, 1);
	rr(&m, NULL, T_A, 60, five, 5);
	assert_int_equal(parse(&m, &a), HARVEST_REJ_MALFORMED);
	/* More records than any 4 KiB answer can hold. */
	header(&m, RESPONSE, 1, HARVEST_RRS_MAX + 1);
	question(&m, "web.test", T_A, 1);
	assert_int_equal(parse(&m, &a), HARVEST_REJ_MALFORMED);
	/* A CNAME whose target does not fill its data exactly. */
	header(&m, RESPONSE, 1, 1);
	question(&m, "web.test", T_A, 1);
	rr(&m, NULL, T_CNAME, 60, "\x01x\x00\x00", 4);
	assert_int_equal(parse(&m, &a), HARVEST_REJ_MALFORMED);
}

static void test_names_that_lie(void **state)
{
	struct harvest_answer a;
	struct msg m;
	size_t at;

	(void)state;
	/* A label with a dot in it would read as two labels. */
	header(&m, RESPONSE, 1, 0);
	put_name(&m, "x");
	m.b[m.n - 2] = '.';
	put16(&m, T_A);
	put16(&m, 1);
	assert_int_equal(parse(&m, &a), HARVEST_REJ_MALFORMED);
	/* A compression pointer to itself. */
	header(&m, RESPONSE, 1, 1);
	question(&m, "web.test", T_A, 1);
	at = m.n;
	m.b[m.n++] = 0xc0;
	m.b[m.n++] = (uint8_t)at;
	put16(&m, T_A);
	put16(&m, 1);
	put32(&m, 60);
	put16(&m, 4);
	put32(&m, 0x0a630009);
	assert_int_equal(parse(&m, &a), HARVEST_REJ_MALFORMED);
	/* A pointer forward, past the end. */
	m.b[at] = 0xff;
	m.b[at + 1] = 0xf0;
	assert_int_equal(parse(&m, &a), HARVEST_REJ_MALFORMED);
	/* A name longer than 255 bytes on the wire. */
	header(&m, RESPONSE, 1, 0);
	for (at = 0; at < 5; at++) {
		m.b[m.n++] = 63;
		memset(m.b + m.n, 'a', 63);
		m.n += 63;
	}
	m.b[m.n++] = 0;
	put16(&m, T_A);
	put16(&m, 1);
	assert_int_equal(parse(&m, &a), HARVEST_REJ_MALFORMED);
}

static void test_nxdomain_and_others(void **state)
{
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct harvest_answer a;
	struct msg m;

	(void)state;
	header(&m, RESPONSE | 3, 1, 0);
	question(&m, "gone.test", T_A, 1);
	assert_int_equal(parse(&m, &a), HARVEST_OK);
	assert_int_equal(a.rcode, 3);
	assert_int_equal(a.n_addrs, 0);
	/* AAAA; an RRSIG of any owner is skipped; a TTL with the top bit set is 0. */
	header(&m, RESPONSE, 1, 2);
	question(&m, "web.test", T_AAAA, 1);
	rr(&m, NULL, T_AAAA, 0x80000000U, v6, 16);
	rr(&m, "else.test", T_RRSIG, 60, "xyz", 3);
	assert_int_equal(parse(&m, &a), HARVEST_OK);
	assert_int_equal(a.n_addrs, 1);
	assert_addr(&a.addrs[0], "2001:db8::1");
	assert_int_equal(a.ttl, 0);
}

static void test_many_addresses(void **state)
{
	struct harvest_answer a;
	char addr[32];
	struct msg m;
	int i;

	(void)state;
	header(&m, RESPONSE, 1, HARVEST_ADDRS_MAX + 6);
	question(&m, "big.test", T_A, 1);
	for (i = 0; i < HARVEST_ADDRS_MAX + 6; i++) {
		snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 200, i % 200 + 1);
		rr_a(&m, NULL, 60, addr);
	}
	rr_a(&m, NULL, 60, "10.1.0.1"); /* a repeat: counted once */
	m.b[7]++;
	assert_int_equal(parse(&m, &a), HARVEST_OK);
	assert_int_equal(a.n_addrs, HARVEST_ADDRS_MAX);
	assert_int_equal(a.n_dropped, 7);
}

static void test_udp(void **state)
{
	uint8_t d[8 + 20] = { 0, 53, 0x9c, 0x40, 0, 28, 0, 0 };
	const uint8_t *msg;
	size_t len;

	(void)state;
	assert_int_equal(harvest_udp_payload(d, sizeof(d), &msg, &len), HARVEST_OK);
	assert_ptr_equal(msg, d + 8);
	assert_int_equal(len, 20);
	assert_int_equal(harvest_udp_payload(d, 27, &msg, &len), HARVEST_REJ_CUT);
	assert_int_equal(harvest_udp_payload(d, 4, &msg, &len), HARVEST_REJ_CUT);
	assert_int_equal(harvest_udp_payload(NULL, 0, &msg, &len), HARVEST_REJ_NOT_UDP);
	d[5] = 12; /* a datagram too short for a DNS header */
	assert_int_equal(harvest_udp_payload(d, sizeof(d), &msg, &len), HARVEST_REJ_MALFORMED);
}

/* ---- queries and the answers they wait for ---- */

static void query_msg(struct msg *m, uint16_t id, const char *name, uint16_t type, int edns)
{
	header(m, 0x0100, 1, 0);
	m->b[0] = (uint8_t)(id >> 8);
	m->b[1] = (uint8_t)id;
	question(m, name, type, 1);
	if (edns < 0)
		return;
	m->b[11] = 1;		  /* ARCOUNT */
	m->b[m->n++] = 0;	  /* root */
	put16(m, 41);		  /* OPT */
	put16(m, (uint16_t)edns); /* the UDP size */
	put32(m, 0);
	put16(m, 0);
}

static struct harvest_flow flow(const char *client, uint16_t cport)
{
	struct harvest_flow f = { .client_port = cport, .server_port = 53 };

	assert_int_equal(rs_addr_parse(client, &f.client), 0);
	assert_int_equal(rs_addr_parse("192.0.2.53", &f.server), 0);
	return f;
}

static void test_query_parse(void **state)
{
	struct harvest_query q;
	struct msg m;

	(void)state;
	query_msg(&m, 0x4242, "WWW.Cdn.Test", T_A, -1);
	assert_int_equal(harvest_parse_query(m.b, m.n, &q), HARVEST_OK);
	assert_int_equal(q.id, 0x4242);
	assert_string_equal(q.qname, "www.cdn.test");
	assert_int_equal(q.udp_max, 512);
	query_msg(&m, 1, "web.test", T_AAAA, 1232);
	assert_int_equal(harvest_parse_query(m.b, m.n, &q), HARVEST_OK);
	assert_int_equal(q.qtype, T_AAAA);
	assert_int_equal(q.udp_max, 1232);
	/* An answer is no query; a cut one is malformed. */
	header(&m, RESPONSE, 1, 0);
	question(&m, "web.test", T_A, 1);
	assert_int_equal(harvest_parse_query(m.b, m.n, &q), HARVEST_REJ_NOT_ANSWER);
	query_msg(&m, 1, "web.test", T_A, 1232);
	assert_int_equal(harvest_parse_query(m.b, m.n - 3, &q), HARVEST_REJ_MALFORMED);
}

/* What the asker checks: same flow, id and question; once; not larger than it takes. */
static void test_queries_match(void **state)
{
	struct harvest_flow f = flow("10.0.0.1", 40000), other = flow("10.0.0.1", 40001);
	struct harvest_queries *qs;
	struct harvest_answer a;
	struct harvest_query q;
	struct msg m;

	(void)state;
	assert_int_equal(harvest_queries_new(&qs), 0);
	query_msg(&m, 0x1234, "web.test", T_A, -1);
	assert_int_equal(harvest_parse_query(m.b, m.n, &q), HARVEST_OK);
	harvest_queries_add(qs, &f, &q, T0);
	assert_int_equal(harvest_queries_waiting(qs, T0), 1);
	header(&m, RESPONSE, 1, 1); /* id 0x1234 */
	question(&m, "web.test", T_A, 1);
	rr_a(&m, NULL, 60, "192.0.2.1");
	assert_int_equal(parse(&m, &a), HARVEST_OK);
	/* Another port, another id, another question, truncated: not its answer. */
	assert_int_equal(harvest_queries_take(qs, &other, &a, m.n, T0), HARVEST_REJ_NO_QUERY);
	a.id ^= 1;
	assert_int_equal(harvest_queries_take(qs, &f, &a, m.n, T0), HARVEST_REJ_NO_QUERY);
	a.id ^= 1;
	snprintf(a.chain[0], sizeof(a.chain[0]), "evil.test");
	assert_int_equal(harvest_queries_take(qs, &f, &a, m.n, T0), HARVEST_REJ_NO_QUERY);
	snprintf(a.chain[0], sizeof(a.chain[0]), "web.test");
	a.truncated = true;
	assert_int_equal(harvest_queries_take(qs, &f, &a, m.n, T0), HARVEST_REJ_TRUNCATED);
	a.truncated = false;
	/* Too late, then in time; then the same answer again. */
	assert_int_equal(harvest_queries_take(qs, &f, &a, m.n, T0 + HARVEST_QUERY_WAIT_MS),
			 HARVEST_REJ_NO_QUERY);
	assert_int_equal(harvest_queries_take(qs, &f, &a, m.n, T0 + 5), HARVEST_OK);
	assert_int_equal(harvest_queries_take(qs, &f, &a, m.n, T0 + 6), HARVEST_REJ_NO_QUERY);
	/* Over 512 bytes without EDNS: oversize (the query is used up as well). */
	harvest_queries_add(qs, &f, &q, T0);
	assert_int_equal(harvest_queries_take(qs, &f, &a, 513, T0), HARVEST_REJ_OVERSIZE);
	assert_int_equal(harvest_queries_waiting(qs, T0), 0);
	harvest_queries_free(qs);
}

/* Full: the oldest query goes first. */
static void test_queries_full(void **state)
{
	struct harvest_flow f = flow("10.0.0.1", 40000);
	struct harvest_queries *qs;
	struct harvest_answer a = { .qtype = T_A };
	struct harvest_query q = { .qtype = T_A, .udp_max = 512 };
	uint16_t i;

	(void)state;
	assert_int_equal(harvest_queries_new(&qs), 0);
	snprintf(q.qname, sizeof(q.qname), "web.test");
	for (i = 0; i <= HARVEST_QUERIES_MAX; i++) {
		q.id = i;
		harvest_queries_add(qs, &f, &q, T0 + i);
	}
	assert_int_equal(harvest_queries_waiting(qs, T0 + i), HARVEST_QUERIES_MAX);
	snprintf(a.chain[0], sizeof(a.chain[0]), "web.test");
	a.id = 0;
	assert_int_equal(harvest_queries_take(qs, &f, &a, 100, T0 + i), HARVEST_REJ_NO_QUERY);
	a.id = 1;
	assert_int_equal(harvest_queries_take(qs, &f, &a, 100, T0 + i), HARVEST_OK);
	harvest_queries_free(qs);
}

/* ---- matching and the store ---- */

static struct fqdn_binding bindings[] = {
	{ "www.cdn.test", "cdn_v4", "cdn_v6" },
	{ "*.wild.test", "wild_v4", "wild_v6" },
	{ "deep.wild.test", "deep_v4", "deep_v6" },
	{ "edge.cdn.test", "edge_v4", "edge_v6" },
};

static struct names *store(size_t harvest_max)
{
	struct names_opts o = { .min_ttl_ms = 10 * S,
				.max_ttl_ms = 3600 * S,
				.grace_ms = 60 * S,
				.max_stale_ms = 3600 * S,
				.max_addresses = 8,
				.harvest_max = harvest_max };
	struct plan p = { .names = bindings, .n_names = 4 };
	struct names *ns = NULL;

	assert_int_equal(names_new(&p, &o, &ns), 0);
	return ns;
}

static size_t match(const struct names *ns, const char *const *chain, size_t n, const char **ret)
{
	struct harvest_answer a = { .n_chain = n };
	size_t idx[HARVEST_MATCH_MAX], k, i;

	for (i = 0; i < n; i++)
		snprintf(a.chain[i], sizeof(a.chain[i]), "%s", chain[i]);
	k = harvest_match(ns, &a, idx, HARVEST_MATCH_MAX);
	for (i = 0; i < k; i++)
		ret[i] = names_get(ns, idx[i])->fqdn;
	return k;
}

static void test_match(void **state)
{
	static const char *const cname[] = { "alias.other", "www.cdn.test", "edge.cdn.test" };
	static const char *const one[] = { "a.wild.test" };
	static const char *const deep[] = { "deep.wild.test" };
	static const char *const two[] = { "x.y.wild.test" };
	static const char *const bare[] = { "wild.test" };
	static const char *const none[] = { "cdn.test" };
	struct names *ns = store(0);
	const char *got[HARVEST_MATCH_MAX];

	(void)state;
	assert_int_equal(match(ns, cname, 3, got), 2);
	assert_string_equal(got[0], "www.cdn.test");
	assert_string_equal(got[1], "edge.cdn.test");
	assert_int_equal(match(ns, one, 1, got), 1);
	assert_string_equal(got[0], "*.wild.test");
	assert_int_equal(match(ns, deep, 1, got), 2);
	assert_string_equal(got[0], "deep.wild.test");
	assert_string_equal(got[1], "*.wild.test");
	assert_int_equal(match(ns, two, 1, got), 1); /* one or more labels */
	assert_int_equal(match(ns, bare, 1, got), 0);
	assert_int_equal(match(ns, none, 1, got), 0);
	names_free(ns);
}

/* The store's index of fqdn; fails the test if there is none. */
static size_t idx_of(const struct names *ns, const char *fqdn)
{
	size_t i = 0;

	assert_true(names_find(ns, fqdn, &i));
	return i;
}

static const struct name_addr *find_addr(const struct name_state *st, const char *text)
{
	char buf[64];
	size_t i;

	for (i = 0; i < st->n_addrs; i++)
		if (!strcmp(rs_addr_format(&st->addrs[i].addr, buf, sizeof(buf)), text))
			return &st->addrs[i];
	return NULL;
}

static struct rs_addr addr(const char *text)
{
	struct rs_addr a;

	assert_int_equal(rs_addr_parse(text, &a), 0);
	return a;
}

static void test_store_second_source(void **state)
{
	struct names *ns = store(0);
	size_t i = idx_of(ns, "www.cdn.test"), none;
	struct rs_addr v[2] = { addr("10.0.0.1"), addr("10.0.0.2") };
	struct rs_addr p = addr("10.0.0.1");
	struct res_answer poll = { .fqdn = "www.cdn.test", .addrs = &p, .n_addrs = 1, .ttl = 30 };
	const struct name_state *st;
	const struct name_addr *a;
	struct names_event ev;

	(void)state;
	assert_false(names_find(ns, "nope.test", &none));
	/* Wildcards are never asked. */
	st = names_get(ns, idx_of(ns, "*.wild.test"));
	assert_true(st->wildcard);
	assert_int_equal(st->next_query_ms, UINT64_MAX);
	/* An answer adds; TTL clamped to min_ttl (10 s), plus grace (60 s). */
	assert_int_equal(names_harvest(ns, i, v, 2, 1, T0, &ev), 0);
	assert_int_equal(ev.added, 2);
	assert_true(ev.sets_changed);
	st = names_get(ns, i);
	a = find_addr(st, "10.0.0.2");
	assert_non_null(a);
	assert_int_equal(a->sources, NAME_SRC_ANSWER);
	assert_false(a->current);
	assert_int_equal(a->allowed_until_ms, T0 + 70 * S);
	assert_int_equal(st->harvested, 1);
	/* The same answer a moment later: nothing for the kernel (re-arm slack). */
	assert_int_equal(names_harvest(ns, i, v, 2, 1, T0 + S / 2, &ev), 0);
	assert_false(ev.sets_changed);
	/* A poll that names only .1: .2 is not removed, it keeps its own end. */
	assert_int_equal(names_answer(ns, &poll, T0 + S, &ev), 0);
	st = names_get(ns, i);
	assert_int_equal(st->n_addrs, 2);
	a = find_addr(st, "10.0.0.1");
	assert_int_equal(a->sources, NAME_SRC_QUERY | NAME_SRC_ANSWER);
	assert_true(a->current);
	a = find_addr(st, "10.0.0.2");
	assert_int_equal(a->sources, NAME_SRC_ANSWER);
	assert_int_equal(a->allowed_until_ms, T0 + 70 * S);
	/* Expiry takes .2 at its end, not before. */
	assert_int_equal(names_expire(ns, T0 + 70 * S - 1), 0);
	assert_int_equal(names_expire(ns, T0 + 70 * S), 1);
	assert_null(find_addr(names_get(ns, i), "10.0.0.2"));
	assert_int_equal(names_harvest(ns, 99, v, 2, 1, T0, &ev), -ENOENT);
	names_free(ns);
}

/* harvest_max bounds the addresses only answers vouch for: the one ending first goes. */
static void test_store_bound(void **state)
{
	struct names *ns = store(2);
	size_t i = idx_of(ns, "*.wild.test");
	struct rs_addr a1 = addr("10.0.0.1"), a2 = addr("10.0.0.2"), a3 = addr("10.0.0.3");
	const struct name_state *st;
	struct names_event ev;

	(void)state;
	assert_int_equal(names_harvest(ns, i, &a1, 1, 20, T0, &ev), 0);
	assert_int_equal(names_harvest(ns, i, &a2, 1, 600, T0, &ev), 0);
	assert_int_equal(names_harvest(ns, i, &a3, 1, 300, T0, &ev), 0);
	assert_int_equal(ev.dropped, 1);
	assert_int_equal(ev.removed, 1);
	st = names_get(ns, i);
	assert_int_equal(st->n_addrs, 2);
	assert_null(find_addr(st, "10.0.0.1"));
	assert_non_null(find_addr(st, "10.0.0.2"));
	assert_non_null(find_addr(st, "10.0.0.3"));
	names_free(ns);
}

/*
 * The state file keeps what answers taught: a restart (or a reload, which goes through the
 * file) brings each address back with the TTL it had left plus grace, the wildcard's too,
 * and a file of the older four-field form still loads.
 */
static void test_state_file(void **state)
{
	char path[] = "/tmp/fg-harvest-state-XXXXXX";
	struct rs_addr a = addr("10.0.0.7"), w = addr("10.0.0.8");
	const struct name_state *st;
	struct names_event ev;
	struct names *ns = store(0), *back = store(0);
	const char *text;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(names_harvest(ns, idx_of(ns, "www.cdn.test"), &a, 1, 40, T0, &ev), 0);
	assert_int_equal(names_harvest(ns, idx_of(ns, "*.wild.test"), &w, 1, 20, T0, &ev), 0);
	/* Saved 5 s later: 35 s and 15 s of TTL left. */
	assert_int_equal(names_save(ns, path, T0 + 5 * S, 1700000000), 0);
	text = read_text(path);
	assert_non_null(strstr(text, "\nwww.cdn.test 10.0.0.7 1700000000 35 answer\n"));
	assert_non_null(strstr(text, "\n*.wild.test 10.0.0.8 1700000000 15 answer\n"));
	/* Loaded 10 s (wall) later on a fresh boot clock: 25 s left, plus 60 s of grace. */
	assert_int_equal(names_load(back, path, 7 * S, 1700000010), 0);
	st = names_get(back, idx_of(back, "www.cdn.test"));
	assert_int_equal(st->n_addrs, 1);
	assert_false(st->addrs[0].current);
	assert_int_equal(st->addrs[0].sources, NAME_SRC_ANSWER);
	assert_int_equal(st->addrs[0].ttl_end_ms, 32 * S);
	assert_int_equal(st->addrs[0].allowed_until_ms, 92 * S);
	assert_int_equal(st->last_good_ms, 0); /* an answer is no query: it is still asked */
	st = names_get(back, idx_of(back, "*.wild.test"));
	assert_int_equal(st->n_addrs, 1);
	assert_int_equal(st->addrs[0].allowed_until_ms, (7 + 5 + 60) * S);
	names_free(back);
	/* Past TTL and grace: nothing comes back. */
	back = store(0);
	assert_int_equal(names_load(back, path, 7 * S, 1700000100), 0);
	assert_int_equal(names_get(back, idx_of(back, "www.cdn.test"))->n_addrs, 0);
	names_free(back);
	/* A fifth field that is not "answer" is damage: the whole file is refused. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(write(fd, "flowguard-names 1\nwww.cdn.test 10.0.0.7 1700000000 35 query\n",
			  60) == 60);
	close(fd);
	back = store(0);
	assert_int_equal(names_load(back, path, 7 * S, 1700000010), -EINVAL);
	names_free(back);
	names_free(ns);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_a),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_cname_out_of_order),
		cmocka_unit_test(test_cname_hijack),
		cmocka_unit_test(test_address_of_other_name),
		cmocka_unit_test(test_cname_fork_and_loop),
		cmocka_unit_test(test_chain_too_long),
		cmocka_unit_test(test_not_answers),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_names_that_lie),
		cmocka_unit_test(test_nxdomain_and_others),
		cmocka_unit_test(test_many_addresses),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_query_parse),
		cmocka_unit_test(test_queries_match),
		cmocka_unit_test(test_queries_full),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_store_second_source),
		cmocka_unit_test(test_store_bound),
		cmocka_unit_test(test_state_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
