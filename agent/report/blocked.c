/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The blocked-flow store (rules in blocked.h): a fixed array of slots, a hash table of
 * slot indices for O(1) lookup, and a doubly linked recency list for least-recently-seen
 * eviction. Everything is allocated in blocked_new(): a packet never allocates.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h>

#include "agent/report/blocked.h"
#include "agent/util/hash.h"

#define NONE UINT32_MAX
/* Far more than blocked.max-tracked allows (65536); keeps indices in 32 bits. */
#define TRACKED_MAX (1U << 24)
/* Names one address is matched against; the first one is told. */
#define REVERSE_MAX 8
/* Names feeding one DNS-fed set that are compared with the peer's. */
#define SET_NAMES_MAX 64

/* What packets aggregate by: the peer is the remote end (daddr egress, saddr ingress). */
struct bkey {
	bool egress, audit;
	uint8_t l4proto;
	uint16_t dport;
	int icmp_type;
	struct rs_addr peer;
};

struct slot {
	struct blocked_entry e;
	uint32_t hash;
	uint32_t hnext;	     /* next slot in the same bucket */
	uint32_t prev, next; /* recency list: prev is more recent */
};

struct blocked {
	struct slot *slots;
	size_t max, n;
	uint32_t *buckets;
	uint32_t mask;
	uint32_t seed;
	uint32_t head, tail; /* most and least recently seen */
	uint64_t report_ms;
	struct blocked_stats stats;
};

static const struct {
	const char *prefix;
	bool egress, audit;
} prefixes[] = {
	{ "flowguard drop egress: ", true, false },
	{ "flowguard audit egress: ", true, true },
	{ "flowguard drop ingress: ", false, false },
	{ "flowguard audit ingress: ", false, true },
};

static bool is_icmp(uint8_t l4proto)
{
	return l4proto == IPPROTO_ICMP || l4proto == IPPROTO_ICMPV6;
}

/* ---- keys and hashing ---- */

static int key_of_pkt(const struct nflog_pkt *p, struct bkey *k)
{
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (strcmp(p->prefix, prefixes[i].prefix))
			continue;
		memset(k, 0, sizeof(*k));
		k->egress = prefixes[i].egress;
		k->audit = prefixes[i].audit;
		k->l4proto = p->l4proto;
		k->dport = p->dport;
		/* ICMP has no port: its type tells an echo request from an error. */
		k->icmp_type = is_icmp(p->l4proto) ? p->icmp_type : -1;
		k->peer = k->egress ? p->daddr : p->saddr;
		return 0;
	}
	return -ENOENT;
}

static void key_of_entry(const struct blocked_entry *e, struct bkey *k)
{
	memset(k, 0, sizeof(*k));
	k->egress = e->egress;
	k->audit = e->audit;
	k->l4proto = e->l4proto;
	k->dport = e->dport;
	k->icmp_type = is_icmp(e->l4proto) ? e->icmp_type : -1;
	k->peer = e->egress ? e->daddr : e->saddr;
}

static bool key_eq(const struct bkey *a, const struct bkey *b)
{
	return a->egress == b->egress && a->audit == b->audit && a->l4proto == b->l4proto &&
	       a->dport == b->dport && a->icmp_type == b->icmp_type &&
	       !rs_addr_cmp(&a->peer, &b->peer);
}

/* FNV-1a with murmur3's finaliser, seeded per store (see blocked_new). */
static uint32_t key_hash(uint32_t seed, const struct bkey *k)
{
	uint8_t flags[4] = { k->egress, k->audit, k->l4proto, k->peer.family };
	uint32_t h = HASH_INIT ^ seed;

	h = hash_bytes(h, flags, sizeof(flags));
	h = hash_bytes(h, &k->dport, sizeof(k->dport));
	h = hash_bytes(h, &k->icmp_type, sizeof(k->icmp_type));
	h = hash_bytes(h, k->peer.addr, k->peer.family == AF_INET ? 4 : 16);
	return hash_final(h);
}

/* ---- construction ---- */

int blocked_new(size_t max_tracked, struct blocked **ret)
{
	struct blocked *b;
	size_t nb = 2;

	if (!max_tracked || max_tracked > TRACKED_MAX)
		return -EINVAL;
	while (nb < 2 * max_tracked)
		nb *= 2;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->slots = calloc(max_tracked, sizeof(*b->slots));
	b->buckets = malloc(nb * sizeof(*b->buckets));
	if (!b->slots || !b->buckets) {
		blocked_free(b);
		return -ENOMEM;
	}
	memset(b->buckets, 0xff, nb * sizeof(*b->buckets));
	b->max = max_tracked;
	b->mask = (uint32_t)(nb - 1);
	/*
	 * A remote sender picks the ingress keys: a seed it cannot know (the heap address,
	 * randomised per process) keeps it from crafting one long bucket.
	 */
	b->seed = (uint32_t)((uintptr_t)b >> 4) ^ (uint32_t)((uint64_t)(uintptr_t)b >> 32);
	b->head = b->tail = NONE;
	b->report_ms = BLOCKED_REPORT_MS;
	*ret = b;
	return 0;
}

void blocked_set_report_ms(struct blocked *b, uint64_t ms)
{
	b->report_ms = ms;
}

void blocked_free(struct blocked *b)
{
	if (!b)
		return;
	free(b->slots);
	free(b->buckets);
	free(b);
}

/* ---- the recency list and the hash table ---- */

static void lru_unlink(struct blocked *b, uint32_t i)
{
	struct slot *s = &b->slots[i];

	if (s->prev != NONE)
		b->slots[s->prev].next = s->next;
	else
		b->head = s->next;
	if (s->next != NONE)
		b->slots[s->next].prev = s->prev;
	else
		b->tail = s->prev;
}

static void lru_push_front(struct blocked *b, uint32_t i)
{
	struct slot *s = &b->slots[i];

	s->prev = NONE;
	s->next = b->head;
	if (b->head != NONE)
		b->slots[b->head].prev = i;
	b->head = i;
	if (b->tail == NONE)
		b->tail = i;
}

static void hash_unlink(struct blocked *b, uint32_t i)
{
	uint32_t *p = &b->buckets[b->slots[i].hash & b->mask];

	while (*p != i)
		p = &b->slots[*p].hnext;
	*p = b->slots[i].hnext;
}

static uint32_t lookup(const struct blocked *b, const struct bkey *k, uint32_t h)
{
	struct bkey other;
	uint32_t i;

	for (i = b->buckets[h & b->mask]; i != NONE; i = b->slots[i].hnext) {
		if (b->slots[i].hash != h)
			continue;
		key_of_entry(&b->slots[i].e, &other);
		if (key_eq(k, &other))
			return i;
	}
	return NONE;
}

/* A free slot: the next unused one, or the least recently seen entry's (evicted). */
static uint32_t take_slot(struct blocked *b)
{
	uint32_t i;

	if (b->n < b->max)
		return (uint32_t)b->n++;
	i = b->tail;
	lru_unlink(b, i);
	hash_unlink(b, i);
	b->stats.evicted++;
	return i;
}

/* ---- packets ---- */

static void entry_init(struct blocked_entry *e, const struct bkey *k, const struct nflog_pkt *p,
		       const struct blocked_ctx *ctx)
{
	memset(e, 0, sizeof(*e));
	e->egress = k->egress;
	e->audit = k->audit;
	e->saddr = p->saddr;
	e->daddr = p->daddr;
	e->l4proto = p->l4proto;
	e->sport = p->sport;
	e->dport = p->dport;
	e->icmp_type = k->icmp_type;
	e->has_uid = p->has_uid;
	e->uid = p->uid;
	e->first_wall_ms = ctx->wall_ms;
	/* Due at once: the caller logs a new entry and marks it; if not, a flush does. */
	e->report_due_ms = ctx->now_ms;
	blocked_explain(ctx, e, &e->why);
}

int blocked_add(struct blocked *b, const struct nflog_pkt *p, const struct blocked_ctx *ctx,
		struct blocked_entry **ret, bool *is_new)
{
	struct blocked_entry *e;
	struct bkey k;
	uint32_t h, i;

	*ret = NULL;
	*is_new = false;
	if (key_of_pkt(p, &k) < 0) {
		b->stats.foreign++;
		return 0;
	}
	b->stats.packets[k.egress][k.audit]++;
	h = key_hash(b->seed, &k);
	i = lookup(b, &k, h);
	if (i == NONE) {
		i = take_slot(b);
		b->slots[i].hash = h;
		b->slots[i].hnext = b->buckets[h & b->mask];
		b->buckets[h & b->mask] = i;
		entry_init(&b->slots[i].e, &k, p, ctx);
		b->stats.entries_created++;
		*is_new = true;
	} else {
		lru_unlink(b, i);
	}
	lru_push_front(b, i);
	e = &b->slots[i].e;
	e->packets++;
	e->bytes += p->len;
	e->last_wall_ms = ctx->wall_ms;
	e->last_ms = ctx->now_ms;
	/* Something new to say: one summary a report interval after the last line. */
	if (e->report_due_ms == UINT64_MAX)
		e->report_due_ms = e->reported_ms + b->report_ms;
	*ret = e;
	return 0;
}

void blocked_mark_reported(struct blocked_entry *e, uint64_t now_ms)
{
	e->reported = e->packets;
	e->reported_ms = now_ms;
	e->report_due_ms = UINT64_MAX;
}

/* A scan of at most max_tracked entries; the daemon asks once per loop turn. */
uint64_t blocked_next_deadline(const struct blocked *b)
{
	uint64_t t = UINT64_MAX;
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->slots[i].e.report_due_ms < t)
			t = b->slots[i].e.report_due_ms;
	return t;
}

void blocked_flush(struct blocked *b, uint64_t now_ms,
		   void (*cb)(void *data, const struct blocked_entry *e, uint64_t new_packets),
		   void *data)
{
	struct blocked_entry *e;
	size_t i;

	for (i = 0; i < b->n; i++) {
		e = &b->slots[i].e;
		if (e->report_due_ms > now_ms)
			continue;
		cb(data, e, e->packets - e->reported);
		blocked_mark_reported(e, now_ms);
	}
}

void blocked_reexplain(struct blocked *b, const struct blocked_ctx *ctx)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		blocked_explain(ctx, &b->slots[i].e, &b->slots[i].e.why);
}

/* ---- iteration ---- */

size_t blocked_count(const struct blocked *b)
{
	return b->n;
}

/* Walks the recency list: O(i), over at most max_tracked entries. */
const struct blocked_entry *blocked_get(const struct blocked *b, size_t i)
{
	uint32_t k = b->head;

	if (i >= b->n)
		return NULL;
	while (i--)
		k = b->slots[k].next;
	return &b->slots[k].e;
}

const struct blocked_stats *blocked_get_stats(const struct blocked *b)
{
	return &b->stats;
}

void blocked_count_lost(struct blocked *b, uint64_t lost)
{
	b->stats.lost += lost;
}

/* ---- formatting ---- */

/* "tcp/443", "udp", "icmp type 8", "icmpv6", "proto 47", "any protocol". */
static void proto_port(char *buf, size_t len, uint8_t l4proto, uint16_t port, int icmp_type)
{
	const char *name = l4proto == IPPROTO_TCP    ? "tcp" :
			   l4proto == IPPROTO_UDP    ? "udp" :
			   l4proto == IPPROTO_ICMP   ? "icmp" :
			   l4proto == IPPROTO_ICMPV6 ? "icmpv6" :
						       NULL;

	if (!l4proto)
		snprintf(buf, len, "any protocol");
	else if (!name)
		snprintf(buf, len, "proto %u", l4proto);
	else if (is_icmp(l4proto) && icmp_type >= 0)
		snprintf(buf, len, "%s type %d", name, icmp_type);
	else if (port && !is_icmp(l4proto))
		snprintf(buf, len, "%s/%u", name, port);
	else
		snprintf(buf, len, "%s", name);
}

/* "10.0.0.1:40000", "[2001:db8::1]:443", or the bare address where there is no port. */
static void endpoint(char *buf, size_t len, const struct rs_addr *a, bool ports, uint16_t port)
{
	char s[64];

	rs_addr_format(a, s, sizeof(s));
	if (!ports)
		snprintf(buf, len, "%s", s);
	else if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", s, port);
	else
		snprintf(buf, len, "%s:%u", s, port);
}

void blocked_format(const struct blocked_entry *e, char *buf, size_t len)
{
	bool ports = e->l4proto == IPPROTO_TCP || e->l4proto == IPPROTO_UDP ||
		     e->l4proto == IPPROTO_SCTP || e->l4proto == IPPROTO_UDPLITE;
	char proto[32], src[80], dst[80], uid[24] = "", type[24] = "";

	proto_port(proto, sizeof(proto), e->l4proto, 0, -1);
	endpoint(src, sizeof(src), &e->saddr, ports, e->sport);
	endpoint(dst, sizeof(dst), &e->daddr, ports, e->dport);
	if (is_icmp(e->l4proto) && e->icmp_type >= 0)
		snprintf(type, sizeof(type), " type %d", e->icmp_type);
	if (e->has_uid)
		snprintf(uid, sizeof(uid), ", uid %" PRIu32, e->uid);
	snprintf(buf, len, "%s %s %s -> %s%s (%s%s): %s", e->audit ? "would block" : "blocked",
		 proto, src, dst, type, e->egress ? "egress" : "ingress", uid, e->why.text);
}

/* ---- explanation ---- */

/* What one explanation works with. */
struct explain {
	const struct blocked_ctx *ctx;
	const struct blocked_entry *e;
	const struct rs_chain *chain;
	struct rs_addr peer;
	struct name_match m[REVERSE_MAX];
	size_t n_m;
	char pkt[32]; /* "tcp/9090" */
};

static bool static_set_has(const struct rs_set *s, const struct rs_addr *a)
{
	size_t i;

	if (rs_set_has(s, a))
		return true;
	for (i = 0; i < s->n_elems; i++)
		if (s->elems[i].addr.prefix < a->prefix && rs_addr_covers(&s->elems[i].addr, a))
			return true;
	return false;
}

/* A DNS-fed set holds a when a name feeding it currently has a. */
static bool dns_set_has(const struct explain *x, const char *set)
{
	const char *v[SET_NAMES_MAX];
	size_t i, j, n;

	if (!x->ctx->names)
		return false;
	n = names_of_set(x->ctx->names, set, v, SET_NAMES_MAX);
	for (i = 0; i < n && i < SET_NAMES_MAX; i++)
		for (j = 0; j < x->n_m; j++)
			if (x->m[j].current && !strcmp(x->m[j].fqdn, v[i]))
				return true;
	return false;
}

static const struct rs_addr *rule_addr(const struct blocked_entry *e, const struct rs_rule *r)
{
	return r->set_dir == RS_DIR_SRC ? &e->saddr : &e->daddr;
}

/* The rule's set holds the packet's address on the side the rule looks at. */
static bool rule_has_peer(const struct explain *x, const struct rs_rule *r)
{
	const struct rs_set *s;
	const struct rs_addr *a = rule_addr(x->e, r);

	if (!r->set || !x->ctx->plan)
		return false;
	s = ruleset_find_set(x->ctx->plan->rs, r->set);
	if (!s || s->family != a->family || rs_addr_cmp(a, &x->peer))
		return false;
	return s->dynamic ? dns_set_has(x, r->set) : static_set_has(s, a);
}

/*
 * A rule that allows a flow: accept, not the ct-state, loopback or catch-all rules
 * (those say nothing about destinations and ports).
 */
static bool flow_rule(const struct rs_rule *r)
{
	return r->verdict == RS_VERDICT_ACCEPT && !r->ct_state && !r->iifname[0] &&
	       !r->oifname[0] && !r->log_prefix && r->comment && (r->l4proto || r->set);
}

static bool nfproto_ok(const struct rs_rule *r, uint8_t family)
{
	if (r->nfproto == NFPROTO_IPV4)
		return family == AF_INET;
	if (r->nfproto == NFPROTO_IPV6)
		return family == AF_INET6;
	return true;
}

/* The rule's protocol and port (0: any) take the packet. */
static bool rule_port_ok(const struct rs_rule *r, const struct blocked_entry *e)
{
	if (r->l4proto && r->l4proto != e->l4proto)
		return false;
	if ((r->dport && r->dport != e->dport) || (r->sport && r->sport != e->sport))
		return false;
	if (r->icmp_type >= 0 && r->icmp_type != e->icmp_type)
		return false;
	return nfproto_ok(r, e->daddr.family);
}

/* Appends the first n bytes of s to a ", "-joined list; false if it does not fit. */
static bool list_add(char *list, size_t len, const char *s, size_t n)
{
	size_t used = strlen(list);

	if (used + (used ? 2 : 0) + n + 1 > len)
		return false;
	snprintf(list + used, len - used, "%s%.*s", used ? ", " : "", (int)n, s);
	return true;
}

/* A flow's rules (one per set and port) share its comment: name it once. */
static bool port_flow_seen(const struct rs_chain *c, size_t i, const struct blocked_entry *e)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (flow_rule(&c->rules[j]) && rule_port_ok(&c->rules[j], e) &&
		    !strcmp(c->rules[j].comment, c->rules[i].comment))
			return true;
	return false;
}

/*
 * Every flow that allows the port, named in full ("agent-swp (row 10): Agents -> ...") when
 * all fit, else by their tags ("agent-swp (row 10)"); never one left out without a count.
 */
static size_t port_flows_list(const struct explain *x, struct blocked_why *w, bool tags)
{
	const struct rs_rule *r;
	const char *colon;
	size_t i, left = 0;

	w->port_flows[0] = '\0';
	for (i = 0; x->chain && i < x->chain->n_rules; i++) {
		r = &x->chain->rules[i];
		if (!flow_rule(r) || !rule_port_ok(r, x->e) || port_flow_seen(x->chain, i, x->e))
			continue;
		colon = tags ? strstr(r->comment, ": ") : NULL;
		if (left || !list_add(w->port_flows, sizeof(w->port_flows) - 24, r->comment,
				      colon ? (size_t)(colon - r->comment) : strlen(r->comment)))
			left++;
	}
	if (left)
		snprintf(w->port_flows + strlen(w->port_flows),
			 sizeof(w->port_flows) - strlen(w->port_flows), " and %zu more", left);
	return left;
}

static void find_port_flows(const struct explain *x, struct blocked_why *w)
{
	if (port_flows_list(x, w, false))
		port_flows_list(x, w, true);
}

/* The flow allowing this address elsewhere; else the first allowing the port elsewhere. */
static bool find_closest(const struct explain *x, struct blocked_why *w)
{
	const char *side = x->e->egress ? "to" : "from";
	const struct rs_rule *r, *port = NULL;
	char what[32];
	size_t i;

	for (i = 0; x->chain && i < x->chain->n_rules; i++) {
		r = &x->chain->rules[i];
		if (!flow_rule(r))
			continue;
		if (rule_has_peer(x, r)) {
			proto_port(what, sizeof(what), r->l4proto, r->dport, r->icmp_type);
			snprintf(w->closest, sizeof(w->closest), "%s (%s %s this address)",
				 r->comment, what, side);
			return true;
		}
		if (!port && rule_port_ok(r, x->e))
			port = r;
	}
	if (port)
		snprintf(w->closest, sizeof(w->closest), "%s (%s %s other %s)", port->comment,
			 x->pkt, side, x->e->egress ? "destinations" : "sources");
	return false;
}

/* "5 s", "12 min", "3 h" (names are forgotten after NAMES_PAST_MS, a day). */
static void age_text(char *buf, size_t len, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s < 60)
		snprintf(buf, len, "%" PRIu64 " s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 " min", s / 60);
	else
		snprintf(buf, len, "%" PRIu64 " h", s / 3600);
}

static void find_name(struct explain *x, struct blocked_why *w)
{
	const struct name_match *m = &x->m[0];
	uint64_t now = x->ctx->now_ms, ago;

	if (!x->ctx->names)
		return;
	x->n_m = names_reverse(x->ctx->names, &x->peer, now, x->m, REVERSE_MAX);
	if (!x->n_m)
		return;
	snprintf(w->name, sizeof(w->name), "%s", m->fqdn);
	w->name_current = m->current;
	if (m->current)
		return;
	ago = now > m->until_ms ? now - m->until_ms : 0;
	w->name_until_wall_ms = x->ctx->wall_ms > ago ? x->ctx->wall_ms - ago : 0;
}

/* Appends "; "-separated sentence parts to w->text. */
static void text_add(struct blocked_why *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void text_add(struct blocked_why *w, const char *fmt, ...)
{
	size_t n = strlen(w->text);
	va_list ap;

	if (n && n + 2 < sizeof(w->text))
		n += (size_t)snprintf(w->text + n, sizeof(w->text) - n, "; ");
	if (n >= sizeof(w->text) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(w->text + n, sizeof(w->text) - n, fmt, ap);
	va_end(ap);
}

static void compose(const struct explain *x, struct blocked_why *w, bool by_addr)
{
	const char *side = x->e->egress ? "to" : "from";
	char addr[64], age[32];

	rs_addr_format(&x->peer, addr, sizeof(addr));
	if (!w->name[0] && !w->port_flows[0] && !by_addr) {
		text_add(w, "no flow allows this address or %s", x->pkt);
		return;
	}
	if (w->name[0] && w->name_current) {
		text_add(w, "%s is %s (current answer)", addr, w->name);
	} else if (w->name[0]) {
		age_text(age, sizeof(age),
			 x->ctx->now_ms > x->m[0].until_ms ? x->ctx->now_ms - x->m[0].until_ms : 0);
		text_add(w, "%s was %s until %s ago", addr, w->name, age);
	}
	if (w->port_flows[0])
		text_add(w, "%s is allowed %s other %s: %s", x->pkt, side,
			 x->e->egress ? "destinations" : "sources", w->port_flows);
	else
		text_add(w, "%s is not allowed %s any %s", x->pkt, side,
			 x->e->egress ? "destination" : "source");
	if (by_addr)
		text_add(w, "closest flow: %s", w->closest);
}

void blocked_explain(const struct blocked_ctx *ctx, const struct blocked_entry *e,
		     struct blocked_why *ret)
{
	struct explain x = { .ctx = ctx, .e = e };
	struct blocked_why w;
	bool by_addr;

	memset(&w, 0, sizeof(w));
	x.peer = e->egress ? e->daddr : e->saddr;
	proto_port(x.pkt, sizeof(x.pkt), e->l4proto, e->dport, e->icmp_type);
	if (ctx->plan && ctx->plan->rs)
		x.chain = ruleset_find_chain(ctx->plan->rs, e->egress ? "egress" : "ingress");
	find_name(&x, &w);
	find_port_flows(&x, &w);
	by_addr = find_closest(&x, &w);
	compose(&x, &w, by_addr);
	*ret = w;
}
