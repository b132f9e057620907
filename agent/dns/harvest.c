/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A strict reader of DNS responses (rules in harvest.h). c-ares 1.18's ares_parse_a_reply()
 * would follow a CNAME whatever its owner and does not say which name each record had, so
 * the answer section is read here, bounds-checked at every step, and the chain is walked
 * from the question the way resolver_chain_check() demands of c-ares' own answers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/dns/harvest.h"
#include "agent/dns/names_int.h"

#define DNS_HEADER_LEN 12
#define DNS_QR 0x8000
#define DNS_OPCODE(f) (((f) >> 11) & 0xf)
#define DNS_RCODE(f) ((f)&0xf)
#define DNS_CLASS_IN 1
#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_OPT 41
#define DNS_TC 0x0200
/* RFC 1035 4.2.1: what a UDP answer may be without EDNS. */
#define DNS_UDP_MAX 512
/* RFC 1035 4.1.4: a name on the wire is at most 255 bytes, a label at most 63. */
#define DNS_WIRE_NAME_MAX 255
#define UDP_HEADER_LEN 8

const char *const harvest_reject_names[HARVEST_REJ_MAX] = {
	[HARVEST_OK] = "",
	[HARVEST_REJ_MALFORMED] = "malformed",
	[HARVEST_REJ_NOT_ANSWER] = "not_answer",
	[HARVEST_REJ_CHAIN] = "chain",
	[HARVEST_REJ_CUT] = "cut",
	[HARVEST_REJ_NOT_UDP] = "not_udp",
	[HARVEST_REJ_NO_QUERY] = "no_query",
	[HARVEST_REJ_OVERSIZE] = "oversize",
	[HARVEST_REJ_TRUNCATED] = "truncated",
};

/* One record of the answer section: where its owner and data are. */
struct rr {
	uint16_t type;
	uint32_t ttl;
	size_t owner; /* offset of the owner name */
	size_t rdata; /* offset of the data */
	uint16_t rdlen;
	bool used; /* part of the chain */
};

struct msg {
	const uint8_t *b;
	size_t len;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool label_byte_ok(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* Appends one label (lower case) to out at *n; -EBADMSG for a byte we do not read. */
static int put_label(const uint8_t *p, size_t k, char *out, size_t *n)
{
	size_t i;

	if (*n + (*n ? 1 : 0) + k >= HARVEST_NAME_MAX)
		return -EBADMSG;
	if (*n)
		out[(*n)++] = '.';
	for (i = 0; i < k; i++) {
		if (!label_byte_ok(p[i]))
			return -EBADMSG;
		out[(*n)++] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
	}
	return 0;
}

/*
 * Reads the name at *off into out ("" for the root) and moves *off past it as it lies in
 * place (a compression pointer ends it there). Every pointer must lead before everything
 * read so far, so no pointer can loop; the name stays within DNS_WIRE_NAME_MAX.
 */
static int read_name(const struct msg *m, size_t *off, char out[HARVEST_NAME_MAX])
{
	size_t pos = *off, lowest, wire = 0, n = 0, end = 0, ptr;
	uint8_t c;

	lowest = pos;
	for (;;) {
		if (pos >= m->len)
			return -EBADMSG;
		c = m->b[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= m->len)
				return -EBADMSG;
			ptr = (size_t)(c & 0x3f) << 8 | m->b[pos + 1];
			if (ptr >= lowest)
				return -EBADMSG;
			if (!end)
				end = pos + 2;
			pos = lowest = ptr;
			continue;
		}
		if (c & 0xc0)
			return -EBADMSG; /* extended label types (RFC 6891 retired them) */
		wire += (size_t)c + 1;
		if (wire > DNS_WIRE_NAME_MAX || pos + 1 + c > m->len)
			return -EBADMSG;
		if (c == 0)
			break;
		if (put_label(m->b + pos + 1, c, out, &n) < 0)
			return -EBADMSG;
		pos += (size_t)c + 1;
	}
	out[n] = '\0';
	*off = end ? end : pos + 1;
	return 0;
}

/* The name at off (already read once, so it parses). */
static void name_at(const struct msg *m, size_t off, char out[HARVEST_NAME_MAX])
{
	if (read_name(m, &off, out) < 0)
		out[0] = '\0';
}

static enum harvest_reject read_question(const struct msg *m, size_t *off, struct harvest_answer *a)
{
	if (read_name(m, off, a->chain[0]) < 0 || *off + 4 > m->len)
		return HARVEST_REJ_MALFORMED;
	a->qtype = get16(m->b + *off);
	if (get16(m->b + *off + 2) != DNS_CLASS_IN)
		return HARVEST_REJ_NOT_ANSWER;
	*off += 4;
	a->n_chain = 1;
	return HARVEST_OK;
}

/* The answer section into rrs (class IN only; the others are skipped). */
static enum harvest_reject read_answers(const struct msg *m, size_t off, size_t count,
					struct rr *rrs, size_t *ret_n)
{
	char name[HARVEST_NAME_MAX];
	size_t i, n = 0, owner;
	struct rr r;

	if (count > HARVEST_RRS_MAX)
		return HARVEST_REJ_MALFORMED;
	for (i = 0; i < count; i++) {
		owner = off;
		if (read_name(m, &off, name) < 0 || off + 10 > m->len)
			return HARVEST_REJ_MALFORMED;
		memset(&r, 0, sizeof(r));
		r.type = get16(m->b + off);
		r.ttl = get32(m->b + off + 4);
		r.rdlen = get16(m->b + off + 8);
		r.owner = owner;
		r.rdata = off + 10;
		if (r.rdata + r.rdlen > m->len)
			return HARVEST_REJ_MALFORMED;
		off = r.rdata + r.rdlen;
		if (get16(m->b + r.rdata - 8) == DNS_CLASS_IN)
			rrs[n++] = r;
	}
	*ret_n = n;
	return HARVEST_OK;
}

static void ttl_min(uint32_t ttl, uint32_t *min)
{
	/* RFC 2181 8: a TTL with the top bit set means zero. */
	if (ttl & 0x80000000U)
		ttl = 0;
	if (ttl < *min)
		*min = ttl;
}

/* The CNAME owned by name, if any; two of them make no chain. -1: none, -2: two. */
static int find_cname(const struct msg *m, struct rr *rrs, size_t n, const char *name)
{
	char owner[HARVEST_NAME_MAX];
	int hit = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (rrs[i].type != DNS_TYPE_CNAME)
			continue;
		name_at(m, rrs[i].owner, owner);
		if (strcmp(owner, name))
			continue;
		if (hit >= 0)
			return -2;
		hit = (int)i;
	}
	return hit;
}

static bool in_chain(const struct harvest_answer *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n_chain; i++)
		if (!strcmp(a->chain[i], name))
			return true;
	return false;
}

/* Follows the CNAMEs from the question; the target must fill its record exactly. */
static enum harvest_reject walk_chain(const struct msg *m, struct rr *rrs, size_t n,
				      struct harvest_answer *a)
{
	char target[HARVEST_NAME_MAX];
	size_t off;
	int k;

	for (;;) {
		k = find_cname(m, rrs, n, a->chain[a->n_chain - 1]);
		if (k == -1)
			return HARVEST_OK;
		if (k < 0)
			return HARVEST_REJ_CHAIN;
		off = rrs[k].rdata;
		if (read_name(m, &off, target) < 0 || off != rrs[k].rdata + rrs[k].rdlen)
			return HARVEST_REJ_MALFORMED;
		if (in_chain(a, target) || a->n_chain == HARVEST_CHAIN_MAX)
			return HARVEST_REJ_CHAIN;
		rrs[k].used = true;
		ttl_min(rrs[k].ttl, &a->ttl);
		snprintf(a->chain[a->n_chain++], HARVEST_NAME_MAX, "%s", target);
	}
}

static void addr_put(struct harvest_answer *a, const struct rr *r, const struct msg *m)
{
	struct rs_addr *v = &a->addrs[a->n_addrs];

	if (a->n_addrs == HARVEST_ADDRS_MAX) {
		a->n_dropped++;
		return;
	}
	memset(v, 0, sizeof(*v));
	v->family = r->type == DNS_TYPE_A ? AF_INET : AF_INET6;
	v->prefix = r->type == DNS_TYPE_A ? 32 : 128;
	memcpy(v->addr, m->b + r->rdata, r->rdlen);
	a->n_addrs++;
}

static int addr_cmp(const void *x, const void *y)
{
	return rs_addr_cmp(x, y);
}

/* Every CNAME must be in the chain, every address record owned by its last name. */
static enum harvest_reject take_addrs(const struct msg *m, const struct rr *rrs, size_t n,
				      struct harvest_answer *a)
{
	const char *last = a->chain[a->n_chain - 1];
	char owner[HARVEST_NAME_MAX];
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (rrs[i].type == DNS_TYPE_CNAME && !rrs[i].used)
			return HARVEST_REJ_CHAIN;
		if (rrs[i].type != DNS_TYPE_A && rrs[i].type != DNS_TYPE_AAAA)
			continue;
		if (rrs[i].rdlen != (rrs[i].type == DNS_TYPE_A ? 4 : 16))
			return HARVEST_REJ_MALFORMED;
		name_at(m, rrs[i].owner, owner);
		if (strcmp(owner, last))
			return HARVEST_REJ_CHAIN;
		ttl_min(rrs[i].ttl, &a->ttl);
		addr_put(a, &rrs[i], m);
	}
	qsort(a->addrs, a->n_addrs, sizeof(a->addrs[0]), addr_cmp);
	for (i = 1, k = a->n_addrs ? 1 : 0; i < a->n_addrs; i++)
		if (rs_addr_cmp(&a->addrs[k - 1], &a->addrs[i]))
			a->addrs[k++] = a->addrs[i];
	a->n_addrs = k;
	return HARVEST_OK;
}

enum harvest_reject harvest_parse(const uint8_t *msg, size_t len, struct harvest_answer *ret)
{
	const struct msg m = { msg, len };
	enum harvest_reject r;
	struct rr *rrs;
	size_t off = DNS_HEADER_LEN, n = 0;
	uint16_t flags;

	memset(ret, 0, sizeof(*ret));
	if (len < DNS_HEADER_LEN)
		return HARVEST_REJ_MALFORMED;
	flags = get16(msg + 2);
	if (!(flags & DNS_QR) || DNS_OPCODE(flags) != 0 || get16(msg + 4) != 1)
		return HARVEST_REJ_NOT_ANSWER;
	ret->id = get16(msg);
	ret->rcode = (uint8_t)DNS_RCODE(flags);
	ret->truncated = flags & DNS_TC;
	ret->ttl = UINT32_MAX;
	r = read_question(&m, &off, ret);
	if (r != HARVEST_OK)
		return r;
	rrs = calloc(HARVEST_RRS_MAX, sizeof(*rrs));
	if (!rrs)
		return HARVEST_REJ_MALFORMED;
	r = read_answers(&m, off, get16(msg + 6), rrs, &n);
	if (r == HARVEST_OK)
		r = walk_chain(&m, rrs, n, ret);
	if (r == HARVEST_OK)
		r = take_addrs(&m, rrs, n, ret);
	free(rrs);
	if (ret->ttl == UINT32_MAX)
		ret->ttl = 0;
	return r;
}

/* Skips count records from *off; an OPT record's class is its sender's UDP size. */
static int skip_records(const struct msg *m, size_t *off, size_t count, uint16_t *udp_max)
{
	char name[HARVEST_NAME_MAX];
	size_t i;

	for (i = 0; i < count; i++) {
		if (read_name(m, off, name) < 0 || *off + 10 > m->len)
			return -EBADMSG;
		if (get16(m->b + *off) == DNS_TYPE_OPT && get16(m->b + *off + 2) > *udp_max)
			*udp_max = get16(m->b + *off + 2);
		*off += 10 + (size_t)get16(m->b + *off + 8);
		if (*off > m->len)
			return -EBADMSG;
	}
	return 0;
}

enum harvest_reject harvest_parse_query(const uint8_t *msg, size_t len, struct harvest_query *ret)
{
	const struct msg m = { msg, len };
	size_t off = DNS_HEADER_LEN;
	uint16_t flags;

	memset(ret, 0, sizeof(*ret));
	if (len < DNS_HEADER_LEN)
		return HARVEST_REJ_MALFORMED;
	flags = get16(msg + 2);
	if ((flags & DNS_QR) || DNS_OPCODE(flags) != 0 || get16(msg + 4) != 1)
		return HARVEST_REJ_NOT_ANSWER;
	ret->id = get16(msg);
	ret->udp_max = DNS_UDP_MAX;
	if (read_name(&m, &off, ret->qname) < 0 || off + 4 > len)
		return HARVEST_REJ_MALFORMED;
	ret->qtype = get16(msg + off);
	if (get16(msg + off + 2) != DNS_CLASS_IN)
		return HARVEST_REJ_NOT_ANSWER;
	off += 4;
	if (skip_records(&m, &off, (size_t)get16(msg + 6) + get16(msg + 8) + get16(msg + 10),
			 &ret->udp_max) < 0)
		return HARVEST_REJ_MALFORMED;
	return HARVEST_OK;
}

/* ---- queries awaiting their answer ---- */

struct waiting {
	struct harvest_flow f;
	struct harvest_query q;
	uint64_t sent_ms; /* 0: a free slot */
};

struct harvest_queries {
	struct waiting v[HARVEST_QUERIES_MAX];
};

int harvest_queries_new(struct harvest_queries **ret)
{
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

void harvest_queries_free(struct harvest_queries *q)
{
	free(q);
}

static bool flow_eq(const struct harvest_flow *a, const struct harvest_flow *b)
{
	return a->client_port == b->client_port && a->server_port == b->server_port &&
	       !rs_addr_cmp(&a->client, &b->client) && !rs_addr_cmp(&a->server, &b->server);
}

static bool live(const struct waiting *w, uint64_t now)
{
	return w->sent_ms && now < w->sent_ms + HARVEST_QUERY_WAIT_MS;
}

void harvest_queries_add(struct harvest_queries *q, const struct harvest_flow *f,
			 const struct harvest_query *hq, uint64_t now_ms)
{
	struct waiting *w, *slot = NULL;
	size_t i;

	for (i = 0; i < HARVEST_QUERIES_MAX; i++) {
		w = &q->v[i];
		if (live(w, now_ms) && w->q.id == hq->id && flow_eq(&w->f, f)) {
			slot = w; /* a resent query */
			break;
		}
		if (!slot || (!live(w, now_ms) && live(slot, now_ms)) ||
		    (live(w, now_ms) == live(slot, now_ms) && w->sent_ms < slot->sent_ms))
			slot = w; /* the first free one, else the oldest */
	}
	slot->f = *f;
	slot->q = *hq;
	slot->sent_ms = now_ms ? now_ms : 1;
}

enum harvest_reject harvest_queries_take(struct harvest_queries *q, const struct harvest_flow *f,
					 const struct harvest_answer *a, size_t len,
					 uint64_t now_ms)
{
	struct waiting *w;
	size_t i;

	if (a->truncated)
		return HARVEST_REJ_TRUNCATED;
	for (i = 0; i < HARVEST_QUERIES_MAX; i++) {
		w = &q->v[i];
		if (!live(w, now_ms) || w->q.id != a->id || w->q.qtype != a->qtype ||
		    !flow_eq(&w->f, f) || strcmp(w->q.qname, a->chain[0]))
			continue;
		w->sent_ms = 0;
		return len > w->q.udp_max ? HARVEST_REJ_OVERSIZE : HARVEST_OK;
	}
	return HARVEST_REJ_NO_QUERY;
}

size_t harvest_queries_waiting(const struct harvest_queries *q, uint64_t now_ms)
{
	size_t i, n = 0;

	for (i = 0; i < HARVEST_QUERIES_MAX; i++)
		n += live(&q->v[i], now_ms);
	return n;
}

enum harvest_reject harvest_udp_payload(const uint8_t *l4, size_t l4_len, const uint8_t **ret_msg,
					size_t *ret_len)
{
	size_t udp_len;

	if (!l4 || l4_len < UDP_HEADER_LEN)
		return l4 ? HARVEST_REJ_CUT : HARVEST_REJ_NOT_UDP;
	udp_len = get16(l4 + 4);
	if (udp_len < UDP_HEADER_LEN + DNS_HEADER_LEN)
		return HARVEST_REJ_MALFORMED;
	if (l4_len < udp_len)
		return HARVEST_REJ_CUT;
	*ret_msg = l4 + UDP_HEADER_LEN;
	*ret_len = udp_len - UDP_HEADER_LEN;
	return HARVEST_OK;
}

static size_t add_unique(size_t *v, size_t n, size_t max, size_t idx)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == idx)
			return n;
	if (n < max)
		v[n++] = idx;
	return n;
}

/* name itself, then "*.parent" for each parent domain of name. */
static size_t match_one(const struct names *ns, const char *name, size_t *ret, size_t n, size_t max)
{
	char wild[HARVEST_NAME_MAX + 2];
	const char *p;
	size_t idx;

	if (names_find(ns, name, &idx))
		n = add_unique(ret, n, max, idx);
	for (p = strchr(name, '.'); p; p = strchr(p + 1, '.')) {
		snprintf(wild, sizeof(wild), "*%s", p);
		if (names_find(ns, wild, &idx))
			n = add_unique(ret, n, max, idx);
	}
	return n;
}

size_t harvest_match(const struct names *ns, const struct harvest_answer *a, size_t *ret,
		     size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < a->n_chain; i++)
		n = match_one(ns, a->chain[i], ret, n, max);
	return n;
}
