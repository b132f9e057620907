/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DNS for the daemon's loop on c-ares 1.18.1: one ares_getaddrinfo() (A and AAAA) per name,
 * driven by the caller's poll(). Finished queries wait in a queue that resolver_process()
 * empties: c-ares calls back from inside ares_getaddrinfo() for literals, /etc/hosts hits
 * and early failures, and the daemon must never be re-entered from resolver_query().
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>

#include <ares.h>

#include "agent/dns/resolver.h"
#include "agent/dns/resolver_int.h"
#include "agent/util/clock.h"

#define DEFAULT_TIMEOUT_MS 2000
#define DEFAULT_TRIES 3
/* Answers handed out per resolver_process(); more wait for the next, right after. */
#define DELIVER_BATCH 8

struct res_query {
	struct res_query *next; /* in r->done once c-ares is finished with it */
	struct resolver *r;
	struct res_answer ans;
	struct rs_addr *addrs;	/* owned; ans.addrs points here or at literal */
	struct rs_addr literal; /* the answer when the name is an address */
	char fqdn[];
};

/* One socket c-ares opened: its local port, and when it was closed (0: open). */
struct own_port {
	int fd; /* -1: slot free */
	uint16_t port;
	uint64_t closed_ms;
};

struct resolver {
	ares_channel ch;
	resolver_cb cb;
	void *userdata;
	struct res_query *done, **done_tail; /* answers waiting for resolver_process() */
	bool closing;
	struct own_port ports[RESOLVER_PORTS_MAX];
};

int resolver_errno(int ares_status, int timeouts)
{
	switch (ares_status) {
	case ARES_SUCCESS:
		return 0;
	case ARES_ENODATA:
		/*
		 * No address. 1.18.1 reports only the last of the A/AAAA pair, and says NODATA
		 * for an answer it could not use (records for another name, an A of 5 bytes):
		 * NODATA for AAAA can hide a malformed A answer or a timeout. So it is a
		 * failure, which keeps the last good addresses (as NXDOMAIN does).
		 */
		return timeouts > 0 ? -ETIMEDOUT : -ENODATA;
	case ARES_ENOTFOUND:
		return -ENOENT;
	case ARES_ETIMEOUT:
		return -ETIMEDOUT;
	case ARES_ECONNREFUSED:
	case ARES_EREFUSED:
		return -ECONNREFUSED;
	case ARES_ENOMEM:
		return -ENOMEM;
	case ARES_EDESTRUCTION:
	case ARES_ECANCELLED:
		return -ECANCELED;
	case ARES_EBADNAME:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static void ttl_min(int ttl, int *min)
{
	if (ttl < *min)
		*min = ttl;
}

uint32_t resolver_chain_ttl(const struct ares_addrinfo *ai)
{
	const struct ares_addrinfo_node *n;
	const struct ares_addrinfo_cname *c;
	int min = INT_MAX;
	bool any = false;

	for (n = ai->nodes; n; n = n->ai_next) {
		ttl_min(n->ai_ttl, &min);
		any = true;
	}
	for (c = ai->cnames; c; c = c->next) {
		ttl_min(c->ttl, &min);
		any = true;
	}
	/* RFC 2181 8: a TTL with the top bit set (negative here) means zero. */
	return any && min > 0 ? (uint32_t)min : 0;
}

/* 0 and *a filled for an IPv4 or IPv6 node; -EAFNOSUPPORT for anything else. */
static int node_addr(const struct ares_addrinfo_node *n, struct rs_addr *a)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)n->ai_addr;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)n->ai_addr;

	memset(a, 0, sizeof(*a));
	if (n->ai_family == AF_INET && n->ai_addrlen >= sizeof(*sin)) {
		a->family = AF_INET;
		a->prefix = 32;
		memcpy(a->addr, &sin->sin_addr, sizeof(sin->sin_addr));
		return 0;
	}
	if (n->ai_family == AF_INET6 && n->ai_addrlen >= sizeof(*sin6)) {
		a->family = AF_INET6;
		a->prefix = 128;
		memcpy(a->addr, &sin6->sin6_addr, sizeof(sin6->sin6_addr));
		return 0;
	}
	return -EAFNOSUPPORT;
}

static int addr_cmp(const void *a, const void *b)
{
	return rs_addr_cmp(a, b);
}

/* Sorts v and squeezes out repeats (AF_UNSPEC can list an address once per query). */
static size_t sort_unique(struct rs_addr *v, size_t n)
{
	size_t i, out;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), addr_cmp);
	for (i = 1, out = 1; i < n; i++)
		if (rs_addr_cmp(&v[out - 1], &v[i]))
			v[out++] = v[i];
	return out;
}

int resolver_collect(const struct ares_addrinfo *ai, struct rs_addr **ret_addrs, size_t *ret_n)
{
	const struct ares_addrinfo_node *node;
	struct rs_addr *v;
	size_t n = 0;

	for (node = ai->nodes; node; node = node->ai_next)
		n++;
	v = n ? calloc(n, sizeof(*v)) : NULL;
	if (n && !v)
		return -ENOMEM;
	n = 0;
	for (node = ai->nodes; node; node = node->ai_next)
		if (node_addr(node, &v[n]) == 0)
			n++;
	n = sort_unique(v, n);
	if (n == 0) {
		free(v);
		v = NULL;
	}
	*ret_addrs = v;
	*ret_n = n;
	return 0;
}

static int server_to_ares(const struct endpoint *e, struct ares_addr_port_node *node)
{
	memset(node, 0, sizeof(*node));
	if (!e->is_addr)
		return -EINVAL;
	node->family = e->addr.family;
	if (e->addr.family == AF_INET && e->addr.prefix == 32)
		memcpy(&node->addr.addr4, e->addr.addr, sizeof(node->addr.addr4));
	else if (e->addr.family == AF_INET6 && e->addr.prefix == 128)
		memcpy(&node->addr.addr6, e->addr.addr, sizeof(node->addr.addr6));
	else
		return -EINVAL;
	/* 0 makes c-ares use the channel's port, 53. */
	node->udp_port = e->port;
	node->tcp_port = e->port;
	return 0;
}

int resolver_servers_to_ares(const struct endpoint_list *l,
			     struct ares_addr_port_node nodes[static RESOLVER_SERVERS_MAX])
{
	size_t i;
	int r;

	/* More would not fit in what ares_getsock() reports: their sockets would go unpolled. */
	if (l->n > RESOLVER_SERVERS_MAX)
		return -EINVAL;
	for (i = 0; i < l->n; i++) {
		r = server_to_ares(&l->v[i], &nodes[i]);
		if (r < 0)
			return r;
		nodes[i].next = i + 1 < l->n ? &nodes[i + 1] : NULL;
	}
	return (int)l->n;
}

static int ares_to_errno_init(int status)
{
	if (status == ARES_SUCCESS)
		return 0;
	return status == ARES_ENOMEM ? -ENOMEM : -EIO;
}

/* ---- c-ares' sockets, so that resolver_owns_port() knows their ports ---- */

/* A slot for a new socket: a free one, else the one closed longest ago (never an open one). */
static struct own_port *port_slot(struct resolver *r)
{
	struct own_port *best = NULL, *p;

	for (p = r->ports; p < r->ports + RESOLVER_PORTS_MAX; p++) {
		if (p->fd < 0)
			return p;
		if (p->closed_ms && (!best || p->closed_ms < best->closed_ms))
			best = p;
	}
	return best;
}

/* c-ares sets no option on sockets it did not create itself: non-blocking is ours to set. */
static ares_socket_t sock_open(int domain, int type, int protocol, void *data)
{
	(void)data;
	return socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
}

/* The local port of a connected (or connecting) socket; 0 if it has none. */
static uint16_t sock_port(int fd)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} local;
	socklen_t len = sizeof(local);

	memset(&local, 0, sizeof(local));
	if (getsockname(fd, &local.sa, &len) < 0)
		return 0;
	return ntohs(local.sa.sa_family == AF_INET6 ? local.in6.sin6_port : local.in.sin_port);
}

static int sock_connect(ares_socket_t fd, const struct sockaddr *sa, ares_socklen_t len, void *data)
{
	struct resolver *r = data;
	struct own_port *p;
	int ret = connect(fd, sa, len);
	int err = errno; /* c-ares reads EINPROGRESS from it */
	uint16_t port;

	/* The port is bound now (a TCP socket's too, while EINPROGRESS). */
	if ((ret == 0 || err == EINPROGRESS) && (port = sock_port(fd)) && (p = port_slot(r)))
		*p = (struct own_port){ .fd = fd, .port = port };
	errno = err;
	return ret;
}

static int sock_close(ares_socket_t fd, void *data)
{
	struct resolver *r = data;
	struct own_port *p;

	for (p = r->ports; p < r->ports + RESOLVER_PORTS_MAX; p++)
		if (p->fd == fd && !p->closed_ms)
			p->closed_ms = now_ms();
	return close(fd);
}

static ares_ssize_t sock_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
				  struct sockaddr *from, ares_socklen_t *from_len, void *data)
{
	(void)data;
	return recvfrom(fd, buf, len, flags, from, from_len);
}

static ares_ssize_t sock_sendv(ares_socket_t fd, const struct iovec *iov, int n, void *data)
{
	(void)data;
	return writev(fd, iov, n);
}

static const struct ares_socket_functions sock_funcs = {
	.asocket = sock_open,
	.aclose = sock_close,
	.aconnect = sock_connect,
	.arecvfrom = sock_recvfrom,
	.asendv = sock_sendv,
};

bool resolver_owns_port(const struct resolver *r, uint16_t port, uint64_t now)
{
	const struct own_port *p;

	for (p = r->ports; p < r->ports + RESOLVER_PORTS_MAX; p++)
		if (p->fd >= 0 && p->port == port &&
		    (!p->closed_ms || now - p->closed_ms < RESOLVER_PORT_LINGER_MS))
			return true;
	return false;
}

/*
 * Configured servers mean DNS only ("b"), without /etc/hosts. Search domains never apply:
 * policy names are fully qualified, and "api.example.com.corp.lan" must not be allowed
 * in their place.
 */
static int channel_open(struct resolver *r, const struct resolver_opts *o)
{
	struct ares_addr_port_node nodes[RESOLVER_SERVERS_MAX];
	struct ares_options ao;
	char lookups[] = "b";
	int n = 0, mask, err;

	if (o->servers && o->servers->n)
		n = resolver_servers_to_ares(o->servers, nodes);
	if (n < 0 || o->timeout_ms > INT_MAX || o->tries > INT_MAX)
		return -EINVAL;
	memset(&ao, 0, sizeof(ao));
	ao.timeout = o->timeout_ms ? (int)o->timeout_ms : DEFAULT_TIMEOUT_MS;
	ao.tries = o->tries ? (int)o->tries : DEFAULT_TRIES;
	ao.ndomains = 0;
	mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_DOMAINS;
	if (n > 0) {
		ao.lookups = lookups;
		mask |= ARES_OPT_LOOKUPS;
	}
	err = ares_to_errno_init(ares_init_options(&r->ch, &ao, mask));
	if (err < 0)
		return err;
	ares_set_socket_functions(r->ch, &sock_funcs, r);
	if (n > 0) {
		err = ares_to_errno_init(ares_set_servers_ports(r->ch, nodes));
		if (err < 0) {
			ares_destroy(r->ch);
			return err;
		}
	}
	return 0;
}

/* One server as an admin writes it: "192.0.2.53", "127.0.0.1:5399", "[2001:db8::53]:5353". */
static size_t server_text(const struct ares_addr_port_node *n, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	int port = n->udp_port && n->udp_port != 53 ? n->udp_port : 0;
	int w;

	inet_ntop(n->family,
		  n->family == AF_INET ? (const void *)&n->addr.addr4 :
					 (const void *)&n->addr.addr6,
		  a, sizeof(a));
	if (!port)
		w = snprintf(buf, len, "%s", a);
	else if (n->family == AF_INET6)
		w = snprintf(buf, len, "[%s]:%d", a, port);
	else
		w = snprintf(buf, len, "%s:%d", a, port);
	return w < 0 ? 0 : (size_t)w;
}

const char *resolver_servers_text(const struct resolver *r, char *buf, size_t len)
{
	struct ares_addr_port_node *servers = NULL, *n;
	size_t off = 0;

	buf[0] = '\0';
	if (!r || ares_get_servers_ports(r->ch, &servers) != ARES_SUCCESS)
		return buf;
	for (n = servers; n && off < len; n = n->next) {
		if (off)
			off += (size_t)snprintf(buf + off, len - off, ", ");
		if (off < len)
			off += server_text(n, buf + off, len - off);
	}
	ares_free_data(servers);
	return buf;
}

int resolver_new(const struct resolver_opts *o, resolver_cb cb, void *userdata,
		 struct resolver **ret)
{
	struct resolver *r;
	size_t i;
	int err;

	assert(o && cb && ret);
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cb = cb;
	r->userdata = userdata;
	r->done_tail = &r->done;
	for (i = 0; i < RESOLVER_PORTS_MAX; i++)
		r->ports[i].fd = -1;
	/* A counter on Linux; it matters for WinSock only, but the API asks for the pair. */
	err = ares_to_errno_init(ares_library_init(ARES_LIB_INIT_ALL));
	if (err < 0)
		goto out_free;
	err = channel_open(r, o);
	if (err < 0)
		goto out_cleanup;
	*ret = r;
	return 0;

out_cleanup:
	ares_library_cleanup();
out_free:
	free(r);
	return err;
}

static void done_push(struct resolver *r, struct res_query *q)
{
	q->next = NULL;
	*r->done_tail = q;
	r->done_tail = &q->next;
}

static void query_free(struct res_query *q)
{
	free(q->addrs);
	free(q);
}

static const char *detail_for(int ares_status, int status)
{
	if (status == 0)
		return NULL;
	if (ares_status == ARES_ENODATA && status == -ETIMEDOUT)
		return "no addresses, and a query timed out";
	if (ares_status == ARES_ENODATA)
		return "no usable address record (NODATA, or an answer for another name or malformed)";
	if (status == -EBADMSG)
		return "an answer's CNAME does not continue the chain from the name asked";
	/* 1.18.1 ends here after SERVFAIL or REFUSED from every server, too. */
	if (ares_status == ARES_ECONNREFUSED)
		return "no server answered usefully (unreachable, refused or SERVFAIL)";
	return ares_strerror(ares_status);
}

/* a and b name the same DNS name: no case, one trailing dot ignored. */
static bool name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	la -= la && a[la - 1] == '.';
	lb -= lb && b[lb - 1] == '.';
	return la == lb && strncasecmp(a, b, la) == 0;
}

/*
 * 1.18.1 follows any CNAME in an answer, whatever its owner: "other.test CNAME evil.test"
 * plus "evil.test A x" in the answer to web.test yields x. Every CNAME must continue the
 * chain: its owner is the name asked or an earlier CNAME's target (the A and AAAA
 * answers' chains are listed one after the other, each from the name asked).
 */
int resolver_chain_check(const struct ares_addrinfo *ai, const char *fqdn)
{
	const struct ares_addrinfo_cname *c, *p;
	bool ok;

	for (c = ai->cnames; c; c = c->next) {
		if (!c->alias || !c->name)
			return -EBADMSG;
		ok = name_eq(c->alias, fqdn);
		for (p = ai->cnames; !ok && p != c; p = p->next)
			ok = p->name && name_eq(c->alias, p->name);
		if (!ok)
			return -EBADMSG;
	}
	return 0;
}

/* c-ares is done with q (exactly once): record the outcome and queue it. */
static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct res_query *q = arg;
	int r;

	q->ans.status = resolver_errno(status, timeouts);
	if (q->ans.status == 0 && ai)
		q->ans.status = resolver_chain_check(ai, q->fqdn);
	if (q->ans.status == 0 && ai) {
		r = resolver_collect(ai, &q->addrs, &q->ans.n_addrs);
		if (r < 0) {
			q->ans.status = r;
			status = ARES_ENOMEM;
		} else {
			q->ans.addrs = q->addrs;
			q->ans.ttl = resolver_chain_ttl(ai);
		}
	}
	q->ans.detail = detail_for(status, q->ans.status);
	ares_freeaddrinfo(ai);
	done_push(q->r, q);
}

/*
 * An address given as a name is its own answer (TTL 0: none). c-ares 1.18.1 would send a
 * dotted quad to DNS under AF_UNSPEC (its literal check only stops IPv6).
 */
static bool answer_literal(struct res_query *q)
{
	struct rs_addr *a = &q->literal;

	if (rs_addr_parse(q->fqdn, a) != 0 || a->prefix != (a->family == AF_INET ? 32 : 128))
		return false;
	q->ans.addrs = a;
	q->ans.n_addrs = 1;
	return true;
}

int resolver_query(struct resolver *r, const char *fqdn)
{
	struct ares_addrinfo_hints hints;
	struct res_query *q;
	size_t len;

	assert(!r->closing);
	len = strlen(fqdn);
	q = calloc(1, sizeof(*q) + len + 1);
	if (!q)
		return -ENOMEM;
	memcpy(q->fqdn, fqdn, len + 1);
	q->r = r;
	q->ans.fqdn = q->fqdn;
	if (answer_literal(q)) {
		done_push(r, q);
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = ARES_AI_NOSORT;
	ares_getaddrinfo(r->ch, q->fqdn, NULL, &hints, on_addrinfo, q);
	return 0;
}

/*
 * Hands out what is queued now, at most DELIVER_BATCH unless cancelling: the rest waits
 * for the next call (resolver_timeout_ms() says 0 then), so a burst of answers (start, a
 * refresh round) never keeps the daemon's loop from its other sockets for long, and one
 * call cannot loop forever on answers queued by the callbacks themselves.
 */
static void deliver(struct resolver *r, bool cancel)
{
	struct res_query *q, *next, **cut = &r->done;
	size_t n = 0;

	while (*cut && (cancel || n < DELIVER_BATCH)) {
		cut = &(*cut)->next;
		n++;
	}
	q = r->done;
	r->done = *cut;
	*cut = NULL;
	if (!r->done)
		r->done_tail = &r->done;
	for (; q; q = next) {
		next = q->next;
		if (cancel) {
			q->ans.status = -ECANCELED;
			q->ans.addrs = NULL;
			q->ans.n_addrs = 0;
			q->ans.ttl = 0;
			q->ans.detail = ares_strerror(ARES_ECANCELLED);
		}
		r->cb(r->userdata, &q->ans);
		query_free(q);
	}
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	r->closing = true;
	/* Every query still in c-ares calls back with ARES_EDESTRUCTION into the queue. */
	ares_destroy(r->ch);
	deliver(r, true);
	ares_library_cleanup();
	free(r);
}

size_t resolver_fds(struct resolver *r, struct pollfd *pfd, size_t max)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	unsigned int bits, i;
	size_t n = 0;

	/* ares.h's READABLE/WRITABLE macros shift a signed 1 into the sign bit. */
	bits = (unsigned int)ares_getsock(r->ch, socks, ARES_GETSOCK_MAXNUM);
	for (i = 0; i < ARES_GETSOCK_MAXNUM && n < max; i++) {
		pfd[n].events = 0;
		if (bits & (1U << i))
			pfd[n].events |= POLLIN;
		if (bits & (1U << (i + ARES_GETSOCK_MAXNUM)))
			pfd[n].events |= POLLOUT;
		if (!pfd[n].events)
			break;
		pfd[n].fd = socks[i];
		pfd[n].revents = 0;
		n++;
	}
	return n;
}

int resolver_timeout_ms(struct resolver *r)
{
	struct timeval tv, *t;
	long ms;

	if (r->done)
		return 0;
	t = ares_timeout(r->ch, NULL, &tv);
	if (!t)
		return -1;
	/* c-ares truncates to whole ms: one more keeps poll() from waking just before. */
	ms = (long)t->tv_sec * 1000 + t->tv_usec / 1000 + 1;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

void resolver_process(struct resolver *r, const struct pollfd *pfd, size_t n)
{
	ares_socket_t rfd, wfd;
	size_t i;

	for (i = 0; i < n; i++) {
		/* An error or hangup is read so that c-ares sees it and moves on. */
		rfd = pfd[i].revents & (POLLIN | POLLERR | POLLHUP) ? pfd[i].fd : ARES_SOCKET_BAD;
		wfd = pfd[i].revents & POLLOUT ? pfd[i].fd : ARES_SOCKET_BAD;
		if (rfd != ARES_SOCKET_BAD || wfd != ARES_SOCKET_BAD)
			ares_process_fd(r->ch, rfd, wfd);
	}
	/* Expired timeouts: retries, the next server, or the end of a query. */
	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	deliver(r, false);
}

const char *resolver_error_text(int err)
{
	switch (err) {
	case 0:
		return "";
	case -ENOENT:
		return "NXDOMAIN";
	case -ETIMEDOUT:
		return "timeout";
	case -ECONNREFUSED:
		return "refused, unreachable or SERVFAIL";
	case -EINVAL:
		return "not a DNS name";
	case -EIO:
		return "malformed answer";
	default:
		return strerror(-err);
	}
}
