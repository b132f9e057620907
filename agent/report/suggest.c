/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flowguard suggest. The status file is JSON that libyaml reads through the project's
 * loader (JSON's flow syntax is YAML), so its limits hold here too: 16 MiB (the agent's
 * own file, larger than a configuration may be), 32 levels, 200,000 nodes. Every field a suggestion uses is checked, with its position; unknown
 * keys are ignored (newer agents may add some).
 *
 * What is written:
 *   - one allow entry per (chain, peer, protocol) with all its ports (split past
 *     FLOW_MAX_PORTS), sorted, so the same status gives the same file;
 *   - the peer is the DNS name the agent matched the address to, current or past, else
 *     the address. Names survive address rotation; an address that left its name's
 *     answer may be someone else's by now, so it is never allowed on its own;
 *   - other protocols (ICMP, ...) and port 0 only as comments: allow entries take TCP
 *     and UDP ports;
 *   - nothing the configuration allows now (the agent's entries outlive a reload), and
 *     no entry name the configuration uses, so a second run adds to the first.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/report/suggest.h"
#include "policies/model.h"
#include "policies/ynode.h"

/* policies/config.c: allow names are 1-32 of a-z, 0-9 and '-'; 256 entries in all. */
#define ENTRY_NAME_MAX 32
#define CONFIG_ALLOW_MAX 256

struct addr {
	int family;
	unsigned char b[16];
	char text[INET6_ADDRSTRLEN];
};

/* One element of blocked.flows; strings are borrowed from the parsed file. */
struct flow {
	bool ingress, audit, name_current;
	int l4; /* IPPROTO_TCP or IPPROTO_UDP with a port; 0: only a comment */
	const char *proto, *first, *last, *until, *why;
	char name[254]; /* lower-case: DNS names are case-insensitive; "" if none */
	struct addr src, dst;
	uint64_t sport, port, packets, bytes;
	int64_t icmp_type, uid; /* -1: none */
};

struct seen {
	struct flow *v;
	size_t n;
	const char *mode; /* the agent's mode, "" if the file does not say */
};

/* Entry names given so far: each must be unique. */
struct used {
	char (*v)[ENTRY_NAME_MAX + 1];
	size_t n, cap;
};

/* ---- reading ---- */

/* One flow's map while its fields are read; r turns -EINVAL at the first bad field. */
struct fctx {
	const struct ynode *m;
	size_t i;
	struct diag *d;
	int r;
};

/* JSON's null, as libyaml reads it: a plain scalar. */
static bool is_null(const struct ynode *n)
{
	return n && n->type == YN_SCALAR && n->plain && !strcmp(n->value, "null");
}

static const struct ynode *get(struct fctx *c, const char *key, bool required, char *what,
			       size_t len)
{
	const struct ynode *n = ymap_get(c->m, key);

	snprintf(what, len, "blocked.flows[%zu].%s", c->i, key);
	if (!n && required) {
		diag_err(c->d, &c->m->loc, "blocked.flows[%zu]: missing '%s'", c->i, key);
		c->r = -EINVAL;
	}
	return n;
}

/* A string; null is "" (the agent writes null for "none"). */
static const char *get_str(struct fctx *c, const char *key, bool required)
{
	const char *s = "";
	char what[80];
	const struct ynode *n = get(c, key, required, what, sizeof(what));

	if (n && !is_null(n) && ynode_str(n, what, &s, c->d) < 0)
		c->r = -EINVAL;
	return s;
}

static uint64_t get_uint(struct fctx *c, const char *key, bool required, uint64_t max)
{
	uint64_t v = 0;
	char what[80];
	const struct ynode *n = get(c, key, required, what, sizeof(what));

	if (n && !(is_null(n) && !required) && ynode_uint(n, what, 0, max, &v, c->d) < 0)
		c->r = -EINVAL;
	return v;
}

/* Optional; null, -1 or absent mean "none". */
static int64_t get_int(struct fctx *c, const char *key, uint64_t max)
{
	const struct ynode *n = ymap_get(c->m, key);

	if (!n || is_null(n) || (n->type == YN_SCALAR && !strcmp(n->value, "-1")))
		return -1;
	return (int64_t)get_uint(c, key, false, max);
}

static bool get_bool(struct fctx *c, const char *key)
{
	char what[80];
	const struct ynode *n = get(c, key, true, what, sizeof(what));

	if (!n || (ynode_expect(n, YN_SCALAR, what, c->d) == 0 &&
		   (!strcmp(n->value, "true") || !strcmp(n->value, "false"))))
		return n && !strcmp(n->value, "true");
	if (n->type == YN_SCALAR)
		diag_err(c->d, &n->loc, "%s must be true or false, not '%s'", what, n->value);
	c->r = -EINVAL;
	return false;
}

static int get_enum(struct fctx *c, const char *key, const char *const *names)
{
	char what[80];
	const struct ynode *n = get(c, key, true, what, sizeof(what));
	int v = 0;

	if (n && ynode_enum(n, what, names, &v, c->d) < 0)
		c->r = -EINVAL;
	return v;
}

static void get_addr(struct fctx *c, const char *key, struct addr *ret)
{
	char what[80];
	const struct ynode *n = get(c, key, true, what, sizeof(what));

	if (!n || ynode_expect(n, YN_SCALAR, what, c->d) < 0) {
		c->r = -EINVAL;
		return;
	}
	ret->family = strchr(n->value, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(ret->family, n->value, ret->b) != 1) {
		diag_err(c->d, &n->loc, "%s '%s' is not an IP address", what, n->value);
		c->r = -EINVAL;
		return;
	}
	inet_ntop(ret->family, ret->b, ret->text, sizeof(ret->text)); /* canonical form */
}

static void get_name(struct fctx *c, struct flow *f)
{
	const struct ynode *n = ymap_get(c->m, "name");
	const char *s = get_str(c, "name", false);
	size_t i;

	/* Not echoed: it is not a name, and may hold line breaks. */
	if (n && s[0] && !endpoint_name_valid(s)) {
		diag_err(c->d, &n->loc, "blocked.flows[%zu].name is not a DNS name", c->i);
		c->r = -EINVAL;
		s = "";
	}
	for (i = 0; s[i]; i++)
		f->name[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
	f->name[i] = '\0';
	f->name_current = get_bool(c, "name_current");
	f->until = get_str(c, "name_until", false);
}

static int flow_parse(const struct ynode *m, size_t i, struct flow *f, struct diag *d)
{
	static const char *const chains[] = { "egress", "ingress", NULL };
	static const char *const verdicts[] = { "blocked", "would block", NULL };
	struct fctx c = { .m = m, .i = i, .d = d };
	char what[40];

	snprintf(what, sizeof(what), "blocked.flows[%zu]", i);
	if (ynode_expect(m, YN_MAP, what, d) < 0)
		return -EINVAL;
	f->ingress = get_enum(&c, "chain", chains) == 1;
	f->audit = get_enum(&c, "verdict", verdicts) == 1;
	f->proto = get_str(&c, "protocol", true);
	get_addr(&c, "source", &f->src);
	get_addr(&c, "destination", &f->dst);
	f->sport = get_uint(&c, "source_port", false, 65535);
	f->port = get_uint(&c, "port", true, 65535);
	f->icmp_type = get_int(&c, "icmp_type", 255);
	f->uid = get_int(&c, "uid", UINT32_MAX);
	f->packets = get_uint(&c, "packets", true, UINT64_MAX);
	f->bytes = get_uint(&c, "bytes", true, UINT64_MAX);
	f->first = get_str(&c, "first_seen", true);
	f->last = get_str(&c, "last_seen", true);
	f->why = get_str(&c, "explanation", true);
	get_name(&c, f);
	if (f->port && (!strcmp(f->proto, "tcp") || !strcmp(f->proto, "udp")))
		f->l4 = f->proto[0] == 't' ? IPPROTO_TCP : IPPROTO_UDP;
	return c.r;
}

/* The "blocked" object's flows, checked; an agent that reads nothing is warned about. */
static int seen_load(const struct ydoc *doc, struct seen *s, struct diag *d)
{
	const struct ynode *b, *flows, *v;
	struct loc loc = { doc->file, 0, 0 };
	size_t i;
	int r = 0;

	if (!doc->root) {
		diag_err(d, &loc, "empty status file");
		return -EINVAL;
	}
	if (ynode_expect(doc->root, YN_MAP, "the status file", d) < 0)
		return -EINVAL;
	v = ymap_get(doc->root, "mode");
	s->mode = v && v->type == YN_SCALAR ? v->value : "";
	b = ymap_get(doc->root, "blocked");
	if (!b) {
		diag_err(d, &doc->root->loc,
			 "no 'blocked' object: the agent that wrote this file "
			 "does not report blocked flows");
		return -EINVAL;
	}
	if (ynode_expect(b, YN_MAP, "blocked", d) < 0)
		return -EINVAL;
	flows = ymap_get(b, "flows");
	if (!flows) {
		diag_err(d, &b->loc, "blocked: missing 'flows'");
		return -EINVAL;
	}
	if (ynode_expect(flows, YN_SEQ, "blocked.flows", d) < 0)
		return -EINVAL;
	v = ymap_get(b, "error");
	if (v && v->type == YN_SCALAR && v->value[0])
		fprintf(stderr,
			"flowguard: warning: the agent reported '%s' reading blocked "
			"flows: what it missed is not here\n",
			v->value);
	s->v = calloc(flows->n + 1, sizeof(*s->v));
	if (!s->v)
		return -ENOMEM;
	for (i = 0; i < flows->n; i++)
		if (flow_parse(flows->items[i], i, &s->v[i], d) < 0)
			r = -EINVAL;
	s->n = flows->n;
	return r;
}

static void put_text(FILE *out, const char *s);

/* ---- what the configuration allows already ---- */

static bool prefix_holds(const struct rs_addr *net, const struct addr *a)
{
	unsigned int full = net->prefix / 8, rest = net->prefix % 8;

	if (net->family != a->family || full > 16 || memcmp(net->addr, a->b, full))
		return false;
	return !rest || !((net->addr[full] ^ a->b[full]) & (uint8_t)(0xff << (8 - rest)));
}

enum { COVER_NONE, COVER_ADDR, COVER_NAME };

/* Same direction, protocol and port, and a peer that holds f's address or is its name. */
static int entry_covers(const struct allow_entry *a, const struct flow *f)
{
	unsigned int proto = f->l4 == IPPROTO_TCP ? PROTO_TCP : PROTO_UDP;
	const struct endpoint *p;
	size_t i;

	if (a->ingress != f->ingress || !(a->protos & proto))
		return COVER_NONE;
	for (i = 0; i < a->n_ports && a->ports[i] != f->port; i++)
		;
	if (i == a->n_ports)
		return COVER_NONE;
	for (p = a->peers.v; p < a->peers.v + a->peers.n; p++)
		if (p->is_addr && prefix_holds(&p->addr, f->ingress ? &f->src : &f->dst))
			return COVER_ADDR;
	for (p = a->peers.v; p < a->peers.v + a->peers.n; p++)
		if (!p->is_addr && f->name[0] && !strcasecmp(p->text, f->name))
			return COVER_NAME;
	return COVER_NONE;
}

/*
 * The name is allowed on this port, but the address had left its answer: nothing to
 * add (allowing the address is the wrong fix); the client has a stale answer.
 */
static void note_stale(const struct flow *f, const struct allow_entry *a)
{
	fprintf(stderr, "flowguard: %s %s port %llu was %s until ", f->proto,
		f->ingress ? f->src.text : f->dst.text, (unsigned long long)f->port, f->name);
	put_text(stderr, f->until[0] ? f->until : "recently");
	fprintf(stderr, "; '%s' allows %s on it already: the client used a stale answer\n", a->name,
		f->name);
}

/* Removes the flows an allow entry covers; the number removed. */
static size_t drop_covered(const struct config *cfg, struct seen *s)
{
	size_t i, j, k = 0;
	int c = COVER_NONE;

	for (i = 0; i < s->n; i++) {
		for (j = 0; s->v[i].l4 && j < cfg->n_allow; j++)
			if ((c = entry_covers(&cfg->allow[j], &s->v[i])) != COVER_NONE)
				break;
		if (!s->v[i].l4 || j == cfg->n_allow)
			s->v[k++] = s->v[i];
		else if (c == COVER_NAME && !s->v[i].name_current)
			note_stale(&s->v[i], &cfg->allow[j]);
	}
	j = s->n - k;
	s->n = k;
	return j;
}

/* ---- ordering ---- */

static const struct addr *peer_addr(const struct flow *f)
{
	return f->ingress ? &f->src : &f->dst;
}

/* Addresses first (by family, then numerically), then names. */
static int peer_cmp(const struct flow *x, const struct flow *y)
{
	const struct addr *a = peer_addr(x), *b = peer_addr(y);

	if (!x->name[0] != !y->name[0])
		return x->name[0] ? 1 : -1;
	if (x->name[0])
		return strcmp(x->name, y->name);
	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	return memcmp(a->b, b->b, a->family == AF_INET ? 4 : 16);
}

static int group_cmp(const struct flow *x, const struct flow *y)
{
	int c;

	if (x->ingress != y->ingress)
		return x->ingress ? 1 : -1;
	if ((!x->l4) != (!y->l4))
		return x->l4 ? -1 : 1;
	c = peer_cmp(x, y);
	if (c)
		return c;
	return x->l4 != y->l4 ? (x->l4 < y->l4 ? -1 : 1) : 0;
}

static int flow_cmp(const void *pa, const void *pb)
{
	const struct flow *x = pa, *y = pb;
	int c = group_cmp(x, y);

	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	c = strcmp(x->proto, y->proto);
	if (c)
		return c;
	c = memcmp(x->ingress ? x->dst.b : x->src.b, y->ingress ? y->dst.b : y->src.b, 16);
	return c ? c : strcmp(x->first, y->first);
}

/* ---- entry names ---- */

static bool used_has(const struct used *u, const char *s)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (!strcmp(u->v[i], s))
			return true;
	return false;
}

static int used_add(struct used *u, const char *s)
{
	char(*v)[ENTRY_NAME_MAX + 1];

	if (u->n == u->cap) {
		v = realloc(u->v, (u->cap ? u->cap * 2 : 32) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		u->v = v;
		u->cap = u->cap ? u->cap * 2 : 32;
	}
	snprintf(u->v[u->n++], sizeof(*u->v), "%s", s);
	return 0;
}

/* Lower-case letters and digits of s, every run of anything else as one '-', in room. */
static void slug(const char *s, char *buf, size_t room)
{
	size_t n = 0;
	char c;

	for (; *s && n < room; s++) {
		c = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			buf[n++] = c;
		else if (n && buf[n - 1] != '-')
			buf[n++] = '-';
	}
	while (n && buf[n - 1] == '-')
		n--;
	buf[n] = '\0';
}

/* "to-10-99-0-5-tcp", "from-web-test-udp"; "-2", "-3", ... on a clash; at most 32. */
static int entry_name(const struct flow *f, const char *peer, struct used *u, char *ret)
{
	const char *pre = f->ingress ? "from-" : "to-";
	const char *suf = f->l4 == IPPROTO_TCP ? "-tcp" : "-udp";
	char mid[ENTRY_NAME_MAX + 1], tag[16] = "", name[2 * ENTRY_NAME_MAX + 16];
	size_t room = ENTRY_NAME_MAX - strlen(pre) - strlen(suf);
	unsigned int k = 1;

	do {
		if (k > 1)
			snprintf(tag, sizeof(tag), "-%u", k);
		slug(peer, mid, room - strlen(tag));
		snprintf(name, sizeof(name), "%s%s%s%s", pre, mid, suf, tag);
		k++;
	} while (used_has(u, name));
	memcpy(ret, name, strlen(name) + 1); /* fits: room left space for pre, suf and tag */
	return used_add(u, ret);
}

/* ---- writing ---- */

/* s for a comment: control characters (a JSON "\n") would end the comment early. */
static void put_text(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s, out);
}

static void put_endpoint(FILE *out, const struct addr *a, bool port, uint64_t p)
{
	if (!port)
		fputs(a->text, out);
	else if (a->family == AF_INET6)
		fprintf(out, "[%s]:%llu", a->text, (unsigned long long)p);
	else
		fprintf(out, "%s:%llu", a->text, (unsigned long long)p);
}

/* The journal's words: "blocked tcp 10.99.0.1:40000 -> 10.99.0.5:9090 (egress, uid 0)". */
static void put_flow(FILE *out, const char *indent, const struct flow *f)
{
	bool ports = !strcmp(f->proto, "tcp") || !strcmp(f->proto, "udp");

	fprintf(out, "%s# %s %s", indent, f->audit ? "would block" : "blocked",
		f->proto[0] >= '0' && f->proto[0] <= '9' ? "proto " : "");
	put_text(out, f->proto);
	fputc(' ', out);
	put_endpoint(out, &f->src, ports, f->sport);
	fputs(" -> ", out);
	put_endpoint(out, &f->dst, ports, f->port);
	if (!ports && f->icmp_type >= 0)
		fprintf(out, " type %lld", (long long)f->icmp_type);
	fprintf(out, " (%s", f->ingress ? "ingress" : "egress");
	if (f->uid >= 0)
		fprintf(out, ", uid %lld", (long long)f->uid);
	fprintf(out, "): %llu packet%s, %llu byte%s\n%s#   first seen ",
		(unsigned long long)f->packets, f->packets == 1 ? "" : "s",
		(unsigned long long)f->bytes, f->bytes == 1 ? "" : "s", indent);
	put_text(out, f->first);
	fputs(", last seen ", out);
	put_text(out, f->last);
	fprintf(out, "\n%s#   why: ", indent);
	put_text(out, f->why[0] ? f->why : "(no explanation)");
	fputc('\n', out);
}

static void put_name_note(FILE *out, const struct flow *f)
{
	const char *a = peer_addr(f)->text;

	/* A current name is in the explanation already; a past one needs a warning. */
	if (!f->name[0] || f->name_current)
		return;
	fprintf(out, "  #   %s was %s until ", a, f->name);
	put_text(out, f->until[0] ? f->until : "recently");
	fprintf(out, ": this allows the name's current addresses, not %s\n", a);
}

/* One entry: the flows whose port is in ports[], then the entry itself. */
static int put_entry(FILE *out, const struct flow *g, size_t n, const uint64_t *ports,
		     size_t n_ports, struct used *u)
{
	const char *peer = g->name[0] ? g->name : peer_addr(g)->text;
	char name[ENTRY_NAME_MAX + 1];
	size_t i, k;
	int r;

	for (i = 0; i < n; i++) {
		for (k = 0; k < n_ports && ports[k] != g[i].port; k++)
			;
		if (k == n_ports)
			continue;
		put_flow(out, "  ", &g[i]);
		put_name_note(out, &g[i]);
	}
	r = entry_name(g, peer, u, name);
	if (r < 0)
		return r;
	fprintf(out, "  - name: %s\n    %s: [\"%s\"]\n    protocol: %s\n    ports: [", name,
		g->ingress ? "from" : "to", peer, g->l4 == IPPROTO_TCP ? "tcp" : "udp");
	for (k = 0; k < n_ports; k++)
		fprintf(out, "%s%llu", k ? ", " : "", (unsigned long long)ports[k]);
	fputs("]\n\n", out);
	return 0;
}

/* g[0..n): one (chain, peer, protocol), sorted by port; FLOW_MAX_PORTS ports an entry. */
static int put_group(FILE *out, const struct flow *g, size_t n, struct used *u)
{
	uint64_t ports[FLOW_MAX_PORTS];
	size_t i, k = 0;
	int r;

	for (i = 0; i < n; i++) {
		if (k && ports[k - 1] == g[i].port)
			continue;
		if (k == FLOW_MAX_PORTS) {
			r = put_entry(out, g, n, ports, k, u);
			if (r < 0)
				return r;
			k = 0;
		}
		ports[k++] = g[i].port;
	}
	return put_entry(out, g, n, ports, k, u);
}

static void put_header(FILE *out, const char *file, int64_t now_s, const struct seen *s,
		       bool ingress)
{
	char when[32];
	struct tm tm;
	time_t t = (time_t)now_s;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(out,
		"# flowguard suggest: allow entries for what the agent blocked or would block.\n"
		"# Generated %s from ",
		when);
	put_text(out, file);
	if (s->mode[0]) {
		fputs(" (agent mode: ", out);
		put_text(out, s->mode);
		fputc(')', out);
	}
	fputs(".\n"
	      "# Review every entry; flowguard never adds this by itself. Copy to\n"
	      "# /etc/flowguard/conf.d/ (a name ending in .yaml) and run flowguard check, then\n"
	      "# reload the agent (systemctl reload flowguard).\n"
	      "# Where the agent matched an address to a DNS name it resolves (now or before), the\n"
	      "# entry allows the name, not the address: addresses rotate, the name stays. An\n"
	      "# address that left its name's answer is not allowed on its own: it may be someone\n"
	      "# else's by now, and a client still using it has a stale answer.\n",
	      out);
	if (ingress)
		fputs("# 'from:' entries (inbound: the source, with the local port) take effect with\n"
		      "# 'ingress: audit' or 'ingress: enforce'.\n",
		      out);
}

static bool any(const struct seen *s, bool ingress, bool expressible)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if ((!ingress || s->v[i].ingress) && (!expressible || s->v[i].l4))
			return true;
	return false;
}

static int put_all(FILE *out, const char *file, int64_t now_s, const struct seen *s, struct used *u)
{
	size_t i = 0, j;
	int r = 0;

	put_header(out, file, now_s, s, any(s, true, true));
	if (any(s, false, true))
		fputs("allow:\n", out);
	while (r == 0 && i < s->n && s->v[i].l4) {
		for (j = i + 1; j < s->n && !group_cmp(&s->v[i], &s->v[j]); j++)
			;
		r = put_group(out, s->v + i, j - i, u);
		i = j;
	}
	for (j = i; j < s->n; j++) {
		if (j == i)
			fputs("# Seen, but not expressible as allow entries (they take TCP and UDP "
			      "ports only):\n",
			      out);
		put_flow(out, "", &s->v[j]);
	}
	return r;
}

/* ---- output ---- */

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * A hidden temporary file next to path (conf.d/ reads neither dot files nor other
 * suffixes), 0644, synced; then link() (fails if path exists: no overwrite, no race) or,
 * with force, rename().
 */
static int write_file(const char *path, const char *buf, size_t len, bool force)
{
	char tmp[PATH_MAX], copy[PATH_MAX];
	int fd, r;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -ENAMETOOLONG;
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dirname(copy),
		     strrchr(path, '/') ? strrchr(path, '/') + 1 : path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = fchmod(fd, 0644) < 0 ? -errno : write_all(fd, buf, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && (force ? rename(tmp, path) : link(tmp, path)) < 0)
		r = -errno;
	if (r < 0 || !force)
		unlink(tmp);
	return r;
}

static int output(const struct suggest_opts *o, const char *buf, size_t len, struct diag *d)
{
	struct loc loc = { o->output, 0, 0 };
	int r;

	if (!o->output)
		return fwrite(buf, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -EIO;
	r = write_file(o->output, buf, len, o->force);
	if (r == -EEXIST)
		diag_err(d, &loc, "exists; use --force to replace it");
	else if (r < 0)
		diag_err(d, &loc, "cannot write: %s", strerror(-r));
	return r;
}

static int render(const char *file, int64_t now_s, const struct config *cfg, struct seen *s,
		  char **buf, size_t *len)
{
	struct used u = { 0 };
	FILE *out;
	size_t i;
	int r = 0;

	out = open_memstream(buf, len);
	if (!out)
		return -ENOMEM;
	for (i = 0; cfg && r == 0 && i < cfg->n_allow; i++)
		r = used_add(&u, cfg->allow[i].name);
	qsort(s->v, s->n, sizeof(*s->v), flow_cmp);
	if (r == 0)
		r = put_all(out, file, now_s, s, &u);
	if (fclose(out) != 0 && r == 0)
		r = -ENOMEM;
	if (r == 0 && u.n > CONFIG_ALLOW_MAX)
		fprintf(stderr,
			"flowguard: warning: %zu entries with the configuration's; it takes "
			"at most %d allow entries in all: merge addresses into prefixes\n",
			u.n, CONFIG_ALLOW_MAX);
	free(u.v);
	return r;
}

/* Nothing to write: why, on stderr. */
static void say_nothing(const char *file, size_t covered)
{
	if (covered)
		fprintf(stderr,
			"flowguard: everything seen in %s (%zu flow%s) is allowed by the "
			"configuration now: no allow entries to suggest\n",
			file, covered, covered == 1 ? "" : "s");
	else
		fprintf(stderr,
			"flowguard: nothing blocked or would-be-blocked in %s: no allow "
			"entries to suggest\n",
			file);
}

int suggest_doc(const struct ydoc *doc, const struct config *cfg, int64_t now_s, char **ret,
		size_t *ret_len, struct diag *d)
{
	struct seen s = { 0 };
	size_t covered = 0;
	int r;

	*ret = NULL;
	*ret_len = 0;
	r = seen_load(doc, &s, d);
	if (r == 0 && s.n && cfg)
		covered = drop_covered(cfg, &s);
	if (r == 0 && covered && s.n)
		fprintf(stderr,
			"flowguard: left out what the configuration allows now: %zu "
			"flow%s\n",
			covered, covered == 1 ? "" : "s");
	if (r == 0 && !s.n)
		say_nothing(doc->file, covered);
	if (r == 0 && s.n)
		r = render(doc->file, now_s, cfg, &s, ret, ret_len);
	if (r < 0) {
		free(*ret);
		*ret = NULL;
	}
	free(s.v);
	return r;
}

/* The configuration as it is now, or NULL with a warning (never a reason to stop). */
static const struct config *load_config(const struct suggest_opts *o, struct gen *g)
{
	struct diag cd = { 0 };
	int r;

	if (!o->gen)
		return NULL;
	r = gen_load_config(o->gen, g, &cd);
	if (r < 0) {
		diag_print(&cd, stderr);
		fprintf(stderr,
			"flowguard: warning: cannot read the configuration %s: what it "
			"allows now is suggested again, and entry names may clash with its own\n",
			o->gen->config);
	}
	diag_clear(&cd);
	return r < 0 ? NULL : g->cfg;
}

int suggest_run(const struct suggest_opts *o, struct diag *d)
{
	struct gen g = { 0 };
	struct ydoc *doc = NULL;
	char *buf = NULL;
	size_t len = 0;
	int r;

	r = ydoc_load_max(o->status, YAML_MAX_STATUS_BYTES, NULL, NULL, &doc, d);
	if (r == 0)
		r = suggest_doc(doc, load_config(o, &g), o->now_s, &buf, &len, d);
	if (r == 0 && buf)
		r = output(o, buf, len, d);
	free(buf);
	ydoc_free(doc);
	gen_clear(&g);
	return r;
}
