/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent/resolver.c without a DNS server: status mapping, the CNAME chain's TTL, dedup and
 * sort, server lists, the answer queue, cancellation and allocation failures. malloc,
 * calloc and realloc are wrapped (-Wl,--wrap), and c-ares gets the same failing allocator,
 * so every allocation on the way can be made to fail. Nothing here sends a packet: the
 * names are address literals (answered without DNS) or refused by c-ares before sending.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>
#include <ares.h>

#include "agent/dns/resolver.h"
#include "agent/dns/resolver_int.h"

/* A label of 64 characters: c-ares refuses it while building the query, before any I/O. */
#define BAD_NAME "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test"

/* Allocation n_alloc == fail_at (counted from 1 after arming) fails; 0: none fails. */
static struct {
	unsigned long fail_at, n_alloc;
	bool failed;
} inj;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static bool inject(void)
{
	if (!inj.fail_at || ++inj.n_alloc != inj.fail_at)
		return false;
	inj.failed = true;
	return true;
}

void *__wrap_malloc(size_t n)
{
	return inject() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return inject() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return inject() ? NULL : __real_realloc(p, n);
}

static void *ares_test_malloc(size_t n)
{
	return inject() ? NULL : __real_malloc(n);
}

static void *ares_test_realloc(void *p, size_t n)
{
	return inject() ? NULL : __real_realloc(p, n);
}

/* ---- pure helpers ---- */

static void test_errno(void **state)
{
	static const struct {
		int ares, timeouts, want;
	} t[] = {
		{ ARES_SUCCESS, 0, 0 },
		{ ARES_SUCCESS, 2, 0 },
		{ ARES_ENODATA, 0, -ENODATA },
		{ ARES_ENODATA, 1, -ETIMEDOUT },
		{ ARES_ENOTFOUND, 0, -ENOENT },
		{ ARES_ETIMEOUT, 3, -ETIMEDOUT },
		{ ARES_ECONNREFUSED, 0, -ECONNREFUSED },
		{ ARES_EREFUSED, 0, -ECONNREFUSED },
		{ ARES_ESERVFAIL, 0, -EIO },
		{ ARES_EFORMERR, 0, -EIO },
		{ ARES_EBADRESP, 0, -EIO },
		{ ARES_ENOTIMP, 0, -EIO },
		{ ARES_EOF, 0, -EIO },
		{ ARES_EFILE, 0, -EIO },
		{ ARES_ENOMEM, 0, -ENOMEM },
		{ ARES_EDESTRUCTION, 0, -ECANCELED },
		{ ARES_ECANCELLED, 0, -ECANCELED },
		{ ARES_EBADNAME, 0, -EINVAL },
		{ 999, 0, -EIO },
	};
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		got = resolver_errno(t[i].ares, t[i].timeouts);
		if (got != t[i].want)
			fail_msg("ares status %d (timeouts %d): got %d, want %d", t[i].ares,
				 t[i].timeouts, got, t[i].want);
	}
}

/* An ares_addrinfo built by hand, the way ares__parse_into_addrinfo() links it. */
struct fake {
	struct ares_addrinfo ai;
	struct ares_addrinfo_node nodes[8];
	struct sockaddr_in6 sa[8]; /* large enough for either family */
	struct ares_addrinfo_cname cnames[4];
	size_t n_nodes, n_cnames;
};

static void fake_addr(struct fake *f, const char *text, int ttl)
{
	struct ares_addrinfo_node *n = &f->nodes[f->n_nodes];
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&f->sa[f->n_nodes];
	struct sockaddr_in6 *sin6 = &f->sa[f->n_nodes];

	memset(n, 0, sizeof(*n));
	n->ai_ttl = ttl;
	n->ai_addr = (struct sockaddr *)(void *)sin6;
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		n->ai_family = AF_INET;
		n->ai_addrlen = sizeof(*sin);
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, &sin6->sin6_addr), 1);
		sin6->sin6_family = AF_INET6;
		n->ai_family = AF_INET6;
		n->ai_addrlen = sizeof(*sin6);
	}
	if (f->n_nodes)
		f->nodes[f->n_nodes - 1].ai_next = n;
	else
		f->ai.nodes = n;
	f->n_nodes++;
}

static void fake_cname(struct fake *f, int ttl)
{
	struct ares_addrinfo_cname *c = &f->cnames[f->n_cnames];

	memset(c, 0, sizeof(*c));
	c->ttl = ttl;
	if (f->n_cnames)
		f->cnames[f->n_cnames - 1].next = c;
	else
		f->ai.cnames = c;
	f->n_cnames++;
}

static void test_chain_ttl(void **state)
{
	struct fake f;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(resolver_chain_ttl(&f.ai), 0);
	fake_addr(&f, "192.0.2.1", 60);
	fake_addr(&f, "2001:db8::1", 45);
	assert_int_equal(resolver_chain_ttl(&f.ai), 45);
	/* c1 300 CNAME c2, c2 200 CNAME inner, inner 5 A: the inner record wins. */
	memset(&f, 0, sizeof(f));
	fake_cname(&f, 300);
	fake_cname(&f, 200);
	fake_addr(&f, "192.0.2.40", 5);
	assert_int_equal(resolver_chain_ttl(&f.ai), 5);
	/* c3 7 CNAME inner2, inner2 100 A: the CNAME wins, for both queries of AF_UNSPEC. */
	memset(&f, 0, sizeof(f));
	fake_cname(&f, 7);
	fake_cname(&f, 7);
	fake_addr(&f, "192.0.2.41", 100);
	fake_addr(&f, "2001:db8::41", 100);
	assert_int_equal(resolver_chain_ttl(&f.ai), 7);
	/* A CNAME alone (its target has no addresses) still has a TTL. */
	memset(&f, 0, sizeof(f));
	fake_cname(&f, 30);
	assert_int_equal(resolver_chain_ttl(&f.ai), 30);
	/* Top bit set (RFC 2181 8): zero. */
	memset(&f, 0, sizeof(f));
	fake_addr(&f, "192.0.2.1", 60);
	fake_addr(&f, "192.0.2.2", INT_MIN);
	assert_int_equal(resolver_chain_ttl(&f.ai), 0);
	memset(&f, 0, sizeof(f));
	fake_addr(&f, "192.0.2.1", INT_MAX);
	assert_int_equal(resolver_chain_ttl(&f.ai), INT_MAX);
}

/* fake_cname() plus the owner (alias) and target (name) the chain check reads. */
static void fake_link(struct fake *f, const char *alias, const char *name)
{
	fake_cname(f, 60);
	f->cnames[f->n_cnames - 1].alias = (char *)(uintptr_t)alias;
	f->cnames[f->n_cnames - 1].name = (char *)(uintptr_t)name;
}

static void test_chain_check(void **state)
{
	struct fake f;

	(void)state;
	memset(&f, 0, sizeof(f));
	fake_addr(&f, "192.0.2.1", 60);
	assert_int_equal(resolver_chain_check(&f.ai, "web.test"), 0);
	/* c1 -> c2 -> inner, listed once for A and once for AAAA; case and a dot ignored. */
	fake_link(&f, "c1.test", "c2.test");
	fake_link(&f, "C2.test", "inner.test");
	fake_link(&f, "c1.test", "c2.test");
	fake_link(&f, "c2.test", "inner.test");
	assert_int_equal(resolver_chain_check(&f.ai, "C1.test."), 0);
	/* The chain must start at the name asked. */
	assert_int_equal(resolver_chain_check(&f.ai, "web.test"), -EBADMSG);
	/* A CNAME whose owner nothing leads to: a hijack, wherever it is in the list. */
	memset(&f, 0, sizeof(f));
	fake_link(&f, "web.test", "a.test");
	fake_link(&f, "other.test", "evil.test");
	fake_addr(&f, "10.99.0.9", 60);
	assert_int_equal(resolver_chain_check(&f.ai, "web.test"), -EBADMSG);
	memset(&f, 0, sizeof(f));
	fake_link(&f, "other.test", "evil.test");
	assert_int_equal(resolver_chain_check(&f.ai, "web.test"), -EBADMSG);
	/* A target named before its own link does not count ("a.test" comes later). */
	memset(&f, 0, sizeof(f));
	fake_link(&f, "a.test", "b.test");
	fake_link(&f, "web.test", "a.test");
	assert_int_equal(resolver_chain_check(&f.ai, "web.test"), -EBADMSG);
	/* Names c-ares did not fill are not trusted. */
	memset(&f, 0, sizeof(f));
	fake_link(&f, NULL, "a.test");
	assert_int_equal(resolver_chain_check(&f.ai, "web.test"), -EBADMSG);
	memset(&f, 0, sizeof(f));
	fake_link(&f, "web.test", NULL);
	assert_int_equal(resolver_chain_check(&f.ai, "web.test"), -EBADMSG);
}

static void expect_addrs(const struct rs_addr *v, size_t n, const char *want)
{
	char buf[512] = "", a[64];
	size_t i;

	for (i = 0; i < n; i++) {
		strcat(buf, i ? " " : "");
		strcat(buf, rs_addr_format(&v[i], a, sizeof(a)));
	}
	if (strcmp(buf, want))
		fail_msg("got '%s', want '%s'", buf, want);
}

static void test_collect(void **state)
{
	struct rs_addr *v;
	struct fake f;
	size_t n;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(resolver_collect(&f.ai, &v, &n), 0);
	assert_null(v);
	assert_int_equal(n, 0);
	/* Out of order and repeated, as A and AAAA answers of one name can come. */
	fake_addr(&f, "2001:db8::1", 60);
	fake_addr(&f, "192.0.2.2", 60);
	fake_addr(&f, "192.0.2.10", 60);
	fake_addr(&f, "192.0.2.2", 60);
	fake_addr(&f, "10.0.0.1", 60);
	fake_addr(&f, "2001:db8::1", 60);
	fake_addr(&f, "::ffff:192.0.2.2", 60);
	assert_int_equal(resolver_collect(&f.ai, &v, &n), 0);
	expect_addrs(v, n, "10.0.0.1 192.0.2.2 192.0.2.10 ::ffff:192.0.2.2 2001:db8::1");
	assert_int_equal(v[0].prefix, 32);
	assert_int_equal(v[n - 1].prefix, 128);
	free(v);
	/* A node of another family is skipped; with nothing left, no array. */
	memset(&f, 0, sizeof(f));
	fake_addr(&f, "192.0.2.1", 60);
	f.nodes[0].ai_family = AF_UNIX;
	assert_int_equal(resolver_collect(&f.ai, &v, &n), 0);
	assert_null(v);
	assert_int_equal(n, 0);
	/* A short sockaddr is not read past its end. */
	memset(&f, 0, sizeof(f));
	fake_addr(&f, "2001:db8::1", 60);
	f.nodes[0].ai_addrlen = sizeof(struct sockaddr_in);
	assert_int_equal(resolver_collect(&f.ai, &v, &n), 0);
	assert_int_equal(n, 0);
}

static void test_collect_enomem(void **state)
{
	struct rs_addr *v = (struct rs_addr *)&v;
	struct fake f;
	size_t n = 7;

	(void)state;
	memset(&f, 0, sizeof(f));
	fake_addr(&f, "192.0.2.1", 60);
	inj.fail_at = 1;
	inj.n_alloc = 0;
	assert_int_equal(resolver_collect(&f.ai, &v, &n), -ENOMEM);
	inj.fail_at = 0;
	/* ret_* untouched on failure */
	assert_ptr_equal(v, (struct rs_addr *)&v);
	assert_int_equal(n, 7);
}

/* ---- server lists ---- */

static void nop_cb(void *userdata, const struct res_answer *a)
{
	(void)userdata;
	(void)a;
}

/* resolver_new() on the servers in text (space-separated, as endpoint_parse() reads each). */
static int new_with(const char *text, struct resolver **ret)
{
	struct endpoint v[RESOLVER_SERVERS_MAX + 2];
	struct endpoint_list l = { .v = v };
	struct resolver_opts o = { .servers = &l };
	char buf[512], *save = NULL, *s;
	const char *why;
	int r;

	strcpy(buf, text);
	for (r = 0, s = strtok_r(buf, " ", &save); r == 0 && s; s = strtok_r(NULL, " ", &save)) {
		assert_true(l.n < RESOLVER_SERVERS_MAX + 2);
		r = endpoint_parse(s, &v[l.n++], &why);
	}
	if (r == 0)
		r = resolver_new(&o, nop_cb, NULL, ret);
	while (l.n > 0)
		endpoint_clear(&v[--l.n]);
	return r;
}

#define EIGHT "1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8"

static void test_servers(void **state)
{
	static const struct {
		const char *servers;
		int want;
	} t[] = {
		{ "127.0.0.1:5399", 0 },
		{ "[::1]:5399", 0 },
		{ "192.0.2.53", 0 },
		{ "2001:db8::53", 0 },
		{ "192.0.2.53 [2001:db8::53]:5353 198.51.100.1:53", 0 },
		{ EIGHT, 0 },
		{ EIGHT " 1.1.1.9", -EINVAL }, /* the sockets of a ninth would not be polled */
		{ "dns.example", -EINVAL },    /* the resolver cannot resolve its own server */
		{ "dns.example:53", -EINVAL },
		{ "192.0.2.53 dns.example", -EINVAL },
		{ "10.0.0.0/8", -EINVAL }, /* endpoint_parse takes it; a server it is not */
		{ "2001:db8::/64", -EINVAL },
		{ "[::1]", -EINVAL }, /* from here endpoint_parse refuses */
		{ "127.0.0.1:0", -EINVAL },
		{ "127.0.0.1:65536", -EINVAL },
		{ "300.1.1.1", -EINVAL },
		{ "[192.0.2.1]:53", -EINVAL },
		{ "", 0 }, /* none: the host's resolv.conf */
	};
	struct resolver *r;
	size_t i;
	int err;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = NULL;
		err = new_with(t[i].servers, &r);
		if (err != t[i].want)
			fail_msg("'%s': got %d, want %d", t[i].servers, err, t[i].want);
		if (err)
			assert_null(r);
		resolver_free(r);
	}
}

static void test_servers_to_ares(void **state)
{
	struct ares_addr_port_node nodes[RESOLVER_SERVERS_MAX];
	struct endpoint v[2];
	struct endpoint_list l = { .v = v, .n = 2 };
	const char *why;
	uint8_t want6[16];

	(void)state;
	assert_int_equal(endpoint_parse("192.0.2.53", &v[0], &why), 0);
	assert_int_equal(endpoint_parse("[2001:db8::53]:5353", &v[1], &why), 0);
	assert_int_equal(resolver_servers_to_ares(&l, nodes), 2);
	assert_ptr_equal(nodes[0].next, &nodes[1]);
	assert_null(nodes[1].next);
	assert_int_equal(nodes[0].family, AF_INET);
	assert_int_equal(ntohl(nodes[0].addr.addr4.s_addr), 0xc0000235);
	assert_int_equal(nodes[0].udp_port, 0);
	assert_int_equal(nodes[1].family, AF_INET6);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::53", want6), 1);
	assert_memory_equal(&nodes[1].addr.addr6, want6, 16);
	assert_int_equal(nodes[1].udp_port, 5353);
	assert_int_equal(nodes[1].tcp_port, 5353);
	endpoint_clear(&v[0]);
	endpoint_clear(&v[1]);
}

static void test_bad_options(void **state)
{
	struct resolver_opts o = { .timeout_ms = (unsigned int)INT_MAX + 1 };
	struct resolver *r = NULL;

	(void)state;
	assert_int_equal(resolver_new(&o, nop_cb, NULL, &r), -EINVAL);
	o.timeout_ms = 0;
	o.tries = (unsigned int)INT_MAX + 1;
	assert_int_equal(resolver_new(&o, nop_cb, NULL, &r), -EINVAL);
	assert_null(r);
}

/* ---- the answer queue ---- */

#define MAX_SEEN 16

struct seen {
	struct resolver *r;
	struct {
		char fqdn[300];
		int status;
		size_t n_addrs;
		uint32_t ttl;
		char addr[64];
		bool detail;
	} v[MAX_SEEN];
	size_t n;
	const char *requery; /* asked again from inside the first callback */
};

static void record(void *userdata, const struct res_answer *a)
{
	struct seen *s = userdata;

	assert_true(s->n < MAX_SEEN);
	strcpy(s->v[s->n].fqdn, a->fqdn);
	s->v[s->n].status = a->status;
	s->v[s->n].n_addrs = a->n_addrs;
	s->v[s->n].ttl = a->ttl;
	s->v[s->n].detail = a->detail != NULL;
	if (a->n_addrs)
		rs_addr_format(&a->addrs[0], s->v[s->n].addr, sizeof(s->v[s->n].addr));
	s->n++;
	if (s->requery) {
		assert_int_equal(resolver_query(s->r, s->requery), 0);
		s->requery = NULL;
	}
}

/* A resolver that would ask 127.0.0.1:9 (discard), but no test here sends to it. */
static int new_local_err(struct seen *s)
{
	struct endpoint v;
	struct endpoint_list l = { .v = &v, .n = 1 };
	struct resolver_opts o = { .servers = &l };
	const char *why;

	int r;

	assert_int_equal(endpoint_parse("127.0.0.1:9", &v, &why), 0);
	memset(s, 0, sizeof(*s));
	r = resolver_new(&o, record, s, &s->r);
	endpoint_clear(&v);
	return r;
}

static struct resolver *new_local(struct seen *s)
{
	assert_int_equal(new_local_err(s), 0);
	return s->r;
}

static void test_queue(void **state)
{
	struct pollfd pfd[RESOLVER_MAX_FDS];
	struct seen s;
	struct resolver *r;

	(void)state;
	r = new_local(&s);
	assert_int_equal(resolver_timeout_ms(r), -1);
	assert_int_equal(resolver_fds(r, pfd, RESOLVER_MAX_FDS), 0);
	assert_int_equal(resolver_query(r, "192.0.2.7"), 0);
	assert_int_equal(resolver_query(r, "2001:db8::7"), 0);
	/* c-ares calls back from inside ares_getaddrinfo() here; the answer must wait. */
	assert_int_equal(resolver_query(r, BAD_NAME), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(resolver_timeout_ms(r), 0);
	assert_int_equal(resolver_fds(r, pfd, RESOLVER_MAX_FDS), 0);
	resolver_process(r, NULL, 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.v[0].fqdn, "192.0.2.7");
	assert_int_equal(s.v[0].status, 0);
	assert_int_equal(s.v[0].n_addrs, 1);
	assert_int_equal(s.v[0].ttl, 0);
	assert_string_equal(s.v[0].addr, "192.0.2.7");
	assert_false(s.v[0].detail);
	assert_string_equal(s.v[1].addr, "2001:db8::7");
	assert_string_equal(s.v[2].fqdn, BAD_NAME);
	assert_int_equal(s.v[2].status, -EINVAL);
	assert_int_equal(s.v[2].n_addrs, 0);
	assert_true(s.v[2].detail);
	assert_int_equal(resolver_timeout_ms(r), -1);
	resolver_process(r, NULL, 0);
	assert_int_equal(s.n, 3);
	resolver_free(r);
	assert_int_equal(s.n, 3);
}

/* A query made from a callback is answered by the next resolver_process(), not this one. */
static void test_requery_from_callback(void **state)
{
	struct seen s;
	struct resolver *r;

	(void)state;
	r = new_local(&s);
	s.requery = "192.0.2.8";
	assert_int_equal(resolver_query(r, "192.0.2.7"), 0);
	resolver_process(r, NULL, 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(resolver_timeout_ms(r), 0);
	resolver_process(r, NULL, 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[1].addr, "192.0.2.8");
	resolver_free(r);
}

static void test_free_cancels(void **state)
{
	struct seen s;
	struct resolver *r;
	size_t i;

	(void)state;
	r = new_local(&s);
	assert_int_equal(resolver_query(r, "192.0.2.7"), 0);
	assert_int_equal(resolver_query(r, BAD_NAME), 0);
	resolver_free(r);
	assert_int_equal(s.n, 2);
	for (i = 0; i < s.n; i++) {
		assert_int_equal(s.v[i].status, -ECANCELED);
		assert_int_equal(s.v[i].n_addrs, 0);
		assert_true(s.v[i].detail);
	}
	resolver_free(NULL);
}

/*
 * Fails the 1st, 2nd, ... allocation of a whole life (new, queries, process, free) until
 * one runs without a failure: every path must return -ENOMEM or answer -ENOMEM, call each
 * accepted query back exactly once, and (under valgrind) leak nothing.
 */
static void test_enomem(void **state)
{
	static const char *const names[] = { "192.0.2.7", "2001:db8::7", BAD_NAME };
	struct seen s;
	size_t i, accepted;
	int err;

	(void)state;
	assert_int_equal(ares_library_init_mem(ARES_LIB_INIT_ALL, ares_test_malloc, free,
					       ares_test_realloc),
			 ARES_SUCCESS);
	for (inj.fail_at = 1;; inj.fail_at++) {
		inj.n_alloc = 0;
		inj.failed = false;
		memset(&s, 0, sizeof(s));
		err = new_local_err(&s);
		if (err < 0) {
			assert_int_equal(err, -ENOMEM);
			continue;
		}
		for (i = 0, accepted = 0; i < 3; i++) {
			err = resolver_query(s.r, names[i]);
			assert_true(err == 0 || err == -ENOMEM);
			accepted += err == 0;
		}
		resolver_process(s.r, NULL, 0);
		resolver_free(s.r);
		assert_int_equal(s.n, accepted);
		for (i = 0; i < s.n; i++)
			assert_true(s.v[i].status == 0 || s.v[i].status == -ENOMEM ||
				    s.v[i].status == -EINVAL);
		if (!inj.failed)
			break;
	}
	/* resolver_new, three queries and c-ares' own: far more than a handful. */
	assert_true(inj.fail_at > 10);
	inj.fail_at = 0;
	ares_library_cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno),
		cmocka_unit_test(test_chain_ttl),
		cmocka_unit_test(test_chain_check),
		cmocka_unit_test(test_collect),
		cmocka_unit_test(test_collect_enomem),
		cmocka_unit_test(test_servers),
		cmocka_unit_test(test_servers_to_ares),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_requery_from_callback),
		cmocka_unit_test(test_free_cancels),
		cmocka_unit_test(test_enomem),
	};

	return cmocka_run_group_tests_name("resolver", tests, NULL, NULL);
}
