/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The names store (rules in names.h): answers in; query times, expiry and the desired
 * elements of each DNS-fed set out; and what a state file read by names_file.c restores.
 * Pure: time is the caller's "now" (CLOCK_BOOTTIME ms), and nothing here touches a file.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/util/hash.h"
#include "agent/dns/names_int.h"

/* The first retry after a failure waits this long; each further failure doubles it... */
#define BACKOFF_MIN_MS 1000ULL
/* ...up to this (or max_ttl if smaller): a name that comes back is picked up within it. */
#define BACKOFF_MAX_MS (5 * 60 * 1000ULL)
/* One name is never asked more often than this, whatever min_ttl and the TTL say. */
#define REFRESH_MIN_MS 1000ULL
/* A refresh is due at 80-90% of the TTL; where in that window is fixed per name and seed. */
#define REFRESH_PERMILLE_LO 800U
#define REFRESH_PERMILLE_SPAN 100U
/*
 * An address of the last good answer outlives its TTL by at least this: its refresh is in
 * flight meanwhile, and c-ares' worst case with the default 2 s x 3 tries over 4 servers
 * is 24 s. A slow failure then still finds it, and the stale bound takes over.
 */
#define ANSWER_WAIT_MS 30000ULL

/* An address that stopped being allowed, and when. */
struct npast {
	struct rs_addr addr;
	uint64_t until_ms;
};

struct nentry {
	struct name_state st;
	struct npast past[NAMES_PAST_MAX]; /* oldest first */
	size_t n_past;
	uint64_t ttl_ms;	 /* the clamped TTL of the last good answer, unrounded */
	uint64_t stale_end_ms;	 /* last good answer + max_stale: what failures extend to */
	unsigned int refresh_pm; /* per mille of the TTL after which to ask again */
	uint64_t asked_ms;	 /* when the query in flight was sent */
};

struct nset {
	char *name;
	uint8_t family;
	size_t *names; /* indices into names.v, whose order is alphabetical */
	size_t n_names, cap_names;
};

struct names {
	struct names_opts o;
	struct nentry *v; /* sorted by fqdn */
	size_t n;
	struct nset *sets; /* sorted by name */
	size_t n_sets;
};

/* A set as the plan names it, before the store owns a copy. */
struct set_ref {
	const char *name;
	uint8_t family;
};

/* One candidate element of a set: an address and the name that allows it. */
struct pick {
	const struct name_addr *a;
	size_t name;
};

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint32_t name_hash(uint32_t seed, const char *s)
{
	return hash_final(hash_bytes(HASH_INIT ^ seed, s, strlen(s)));
}

static struct nentry *find_name(const struct names *ns, const char *fqdn)
{
	size_t lo = 0, hi = ns->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(fqdn, ns->v[mid].st.fqdn);
		if (!c)
			return &ns->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static struct nset *find_set(const struct names *ns, const char *name)
{
	size_t lo = 0, hi = ns->n_sets, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, ns->sets[mid].name);
		if (!c)
			return &ns->sets[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* ---- history ---- */

/*
 * Remembers that a stopped being allowed at until (at most now). An address already
 * remembered moves to the newest place; when full, the oldest goes.
 */
static void past_add(struct nentry *e, const struct rs_addr *a, uint64_t until, uint64_t now)
{
	size_t i;

	until = min_u64(until, now);
	for (i = 0; i < e->n_past && rs_addr_cmp(&e->past[i].addr, a); i++)
		;
	if (i == e->n_past && e->n_past == NAMES_PAST_MAX)
		i = 0;
	if (i < e->n_past) {
		memmove(&e->past[i], &e->past[i + 1], (e->n_past - i - 1) * sizeof(e->past[0]));
		e->n_past--;
	}
	e->past[e->n_past].addr = *a;
	e->past[e->n_past++].until_ms = until;
}

/* Forgets what is older than NAMES_PAST_MS; entries are in time order. */
static void past_prune(struct nentry *e, uint64_t now)
{
	size_t i;

	for (i = 0; i < e->n_past && sat_add(e->past[i].until_ms, NAMES_PAST_MS) <= now; i++)
		;
	memmove(e->past, &e->past[i], (e->n_past - i) * sizeof(e->past[0]));
	e->n_past -= i;
}

/* ---- construction ---- */

/* Each binding's fqdn once, sorted, with its refresh point. */
static int make_names(struct names *ns, const struct plan *p)
{
	const char **v;
	size_t i;

	v = calloc(p->n_names ? p->n_names : 1, sizeof(*v));
	ns->v = calloc(p->n_names ? p->n_names : 1, sizeof(*ns->v));
	if (!v || !ns->v) {
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < p->n_names; i++)
		v[i] = p->names[i].fqdn;
	qsort(v, p->n_names, sizeof(*v), str_cmp);
	for (i = 0; i < p->n_names; i++) {
		struct nentry *e = &ns->v[ns->n];

		/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): entry n-1 was filled above */
		if (ns->n && !strcmp(v[i], ns->v[ns->n - 1].st.fqdn))
			continue;
		e->st.fqdn = strdup(v[i]);
		if (!e->st.fqdn) {
			free(v);
			return -ENOMEM;
		}
		e->refresh_pm = REFRESH_PERMILLE_LO +
				name_hash(ns->o.jitter_seed, v[i]) % REFRESH_PERMILLE_SPAN;
		ns->n++;
	}
	free(v);
	return 0;
}

static int set_ref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct set_ref *)a)->name, ((const struct set_ref *)b)->name);
}

/* The plan's sets, sorted, each once; -EINVAL if one is bound with both families. */
static int set_refs(const struct plan *p, struct set_ref *v, size_t *ret_n)
{
	const struct fqdn_binding *b;
	size_t i, k, n = 0;

	for (i = 0; i < 2 * p->n_names; i++) {
		b = &p->names[i / 2];
		v[n].name = i % 2 ? b->set_v6 : b->set_v4;
		v[n].family = i % 2 ? AF_INET6 : AF_INET;
		n += v[n].name != NULL;
	}
	qsort(v, n, sizeof(*v), set_ref_cmp);
	for (i = 0, k = 0; i < n; i++) {
		if (k && !strcmp(v[i].name, v[k - 1].name)) {
			if (v[i].family != v[k - 1].family)
				return -EINVAL;
			continue;
		}
		v[k++] = v[i];
	}
	*ret_n = k;
	return 0;
}

static int make_sets(struct names *ns, const struct plan *p)
{
	struct set_ref *v;
	size_t n, i;
	int r;

	v = calloc(2 * p->n_names + 1, sizeof(*v));
	ns->sets = calloc(2 * p->n_names + 1, sizeof(*ns->sets));
	r = v && ns->sets ? set_refs(p, v, &n) : -ENOMEM;
	for (i = 0; r == 0 && i < n; i++, ns->n_sets++) {
		ns->sets[i].family = v[i].family;
		ns->sets[i].name = strdup(v[i].name);
		if (!ns->sets[i].name)
			r = -ENOMEM;
	}
	free(v);
	return r;
}

static int set_add_name(struct nset *s, size_t idx)
{
	size_t i, *v;

	for (i = 0; i < s->n_names; i++)
		if (s->names[i] == idx)
			return 0;
	if (s->n_names == s->cap_names) {
		s->cap_names = s->cap_names ? 2 * s->cap_names : 4;
		v = realloc(s->names, s->cap_names * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->names = v;
	}
	s->names[s->n_names++] = idx;
	return 0;
}

static int bind_sets(struct names *ns, const struct plan *p)
{
	const struct fqdn_binding *b;
	const char *set;
	size_t i;
	int r;

	for (i = 0; i < 2 * p->n_names; i++) {
		b = &p->names[i / 2];
		set = i % 2 ? b->set_v6 : b->set_v4;
		if (!set)
			continue;
		r = set_add_name(find_set(ns, set), (size_t)(find_name(ns, b->fqdn) - ns->v));
		if (r < 0)
			return r;
	}
	return 0;
}

int names_new(const struct plan *p, const struct names_opts *o, struct names **ret)
{
	struct names *ns;
	int r;

	if (o->min_ttl_ms > o->max_ttl_ms || !o->max_addresses)
		return -EINVAL;
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	ns->o = *o;
	r = make_names(ns, p);
	if (r == 0)
		r = make_sets(ns, p);
	if (r == 0)
		r = bind_sets(ns, p);
	if (r < 0) {
		names_free(ns);
		return r;
	}
	*ret = ns;
	return 0;
}

void names_free(struct names *ns)
{
	size_t i;

	if (!ns)
		return;
	for (i = 0; i < ns->n; i++) {
		free(ns->v[i].st.fqdn);
		free(ns->v[i].st.addrs);
	}
	for (i = 0; i < ns->n_sets; i++) {
		free(ns->sets[i].name);
		free(ns->sets[i].names);
	}
	free(ns->v);
	free(ns->sets);
	free(ns);
}

/* ---- scheduling ---- */

size_t names_due(struct names *ns, uint64_t now_ms, const char **ret, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < ns->n && n < max; i++) {
		struct name_state *st = &ns->v[i].st;

		if (st->in_flight || st->next_query_ms > now_ms)
			continue;
		st->in_flight = true;
		st->next_query_ms = UINT64_MAX;
		ns->v[i].asked_ms = now_ms;
		ret[n++] = st->fqdn;
	}
	return n;
}

uint64_t names_next_deadline(const struct names *ns)
{
	uint64_t t = UINT64_MAX;
	size_t i, j;

	for (i = 0; i < ns->n; i++) {
		const struct name_state *st = &ns->v[i].st;

		if (!st->in_flight)
			t = min_u64(t, st->next_query_ms);
		for (j = 0; j < st->n_addrs; j++)
			t = min_u64(t, st->addrs[j].allowed_until_ms);
	}
	return t;
}

static uint64_t clamp_ttl(const struct names_opts *o, uint32_t ttl_s)
{
	uint64_t t = (uint64_t)ttl_s * 1000;

	return min_u64(max_u64(t, o->min_ttl_ms), o->max_ttl_ms);
}

static uint64_t refresh_delay(const struct nentry *e, uint64_t ttl_ms)
{
	uint64_t d = ttl_ms / 1000 * e->refresh_pm + ttl_ms % 1000 * e->refresh_pm / 1000;

	return max_u64(d, REFRESH_MIN_MS);
}

static uint64_t backoff(const struct names_opts *o, unsigned int failures)
{
	uint64_t cap = max_u64(min_u64(o->max_ttl_ms, BACKOFF_MAX_MS), BACKOFF_MIN_MS);

	/* 1 s << 19 is far past any cap; stopping there keeps the shift defined. */
	if (failures > 20)
		return cap;
	return min_u64(BACKOFF_MIN_MS << (failures - 1), cap);
}

/* ---- answers ---- */

/* How long an address of the last good answer stays after its TTL (names.h). */
static uint64_t current_hold(const struct names_opts *o)
{
	return max_u64(o->grace_ms, ANSWER_WAIT_MS);
}

bool names_addr_valid(const struct rs_addr *a)
{
	return (a->family == AF_INET && a->prefix == 32) ||
	       (a->family == AF_INET6 && a->prefix == 128);
}

static int addr_cmp(const void *a, const void *b)
{
	return rs_addr_cmp(a, b);
}

/* The answer's addresses, sorted, deduplicated, cut to max (*ret_dropped says how many). */
static int answer_addrs(const struct res_answer *a, size_t max, struct rs_addr **ret, size_t *ret_n,
			size_t *ret_dropped)
{
	struct rs_addr *v;
	size_t i, n = 0;

	v = calloc(a->n_addrs ? a->n_addrs : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < a->n_addrs; i++)
		if (names_addr_valid(&a->addrs[i]))
			v[n++] = a->addrs[i];
	qsort(v, n, sizeof(*v), addr_cmp);
	for (i = 1, *ret_n = n ? 1 : 0; i < n; i++)
		if (rs_addr_cmp(&v[*ret_n - 1], &v[i]))
			v[(*ret_n)++] = v[i];
	*ret_dropped = *ret_n > max ? *ret_n - max : 0;
	*ret_n -= *ret_dropped;
	*ret = v;
	return 0;
}

/*
 * One address in the merge of the held list (old) and the answer (fresh), either may be
 * NULL. Writes *out and returns true if the address stays held.
 */
static bool merge_one(const struct names_opts *o, const struct name_addr *old,
		      const struct rs_addr *fresh, uint64_t now, uint64_t ttl,
		      struct name_addr *out, struct names_event *ev)
{
	if (fresh) {
		out->addr = *fresh;
		out->ttl_end_ms = max_u64(sat_add(now, ttl), 1);
		out->allowed_until_ms = sat_add(out->ttl_end_ms, current_hold(o));
		out->current = true;
	} else {
		/* Left the answer: grace after its own TTL, whatever a failure had granted. */
		assert(old);
		*out = *old;
		out->allowed_until_ms = old->ttl_end_ms ? sat_add(old->ttl_end_ms, o->grace_ms) : 0;
		out->current = false;
	}
	if (out->allowed_until_ms <= now)
		ev->removed++;
	else if (!old || old->allowed_until_ms <= now)
		ev->added++;
	else if (old->allowed_until_ms != out->allowed_until_ms)
		ev->sets_changed = true;
	return out->allowed_until_ms > now;
}

static int merge_answer(struct names *ns, struct nentry *e, const struct rs_addr *fresh,
			size_t n_fresh, uint64_t now, uint64_t ttl, struct names_event *ev)
{
	const struct name_addr *old = e->st.addrs;
	size_t i = 0, j = 0, k = 0, n_old = e->st.n_addrs;
	struct name_addr *out;
	int c;

	out = calloc(n_old + n_fresh ? n_old + n_fresh : 1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	while (i < n_old || j < n_fresh) {
		if (i == n_old)
			c = 1;
		else if (j == n_fresh)
			c = -1;
		else
			c = rs_addr_cmp(&old[i].addr, &fresh[j]);
		if (merge_one(&ns->o, c <= 0 ? &old[i] : NULL, c >= 0 ? &fresh[j] : NULL, now, ttl,
			      &out[k], ev))
			k++;
		else
			past_add(e, &out[k].addr, out[k].allowed_until_ms, now);
		i += c <= 0;
		j += c >= 0;
	}
	free(e->st.addrs);
	e->st.addrs = out;
	e->st.n_addrs = k;
	e->st.cap_addrs = n_old + n_fresh;
	return 0;
}

static int answer_good(struct names *ns, struct nentry *e, const struct res_answer *a, uint64_t now,
		       struct names_event *ev)
{
	struct rs_addr *fresh;
	size_t n_fresh;
	uint64_t ttl;
	int r;

	r = answer_addrs(a, ns->o.max_addresses, &fresh, &n_fresh, &ev->dropped);
	if (r < 0)
		return r;
	ttl = clamp_ttl(&ns->o, a->ttl);
	r = merge_answer(ns, e, fresh, n_fresh, now, ttl, ev);
	free(fresh);
	if (r < 0)
		return r;
	if (ev->added || ev->removed)
		ev->sets_changed = true;
	e->ttl_ms = ttl;
	e->stale_end_ms = sat_add(now, ns->o.max_stale_ms);
	e->st.ttl_s = (uint32_t)((ttl + 999) / 1000);
	e->st.last_good_ms = max_u64(now, 1);
	e->st.failures = 0;
	e->st.last_error = 0;
	e->st.last_dropped = ev->dropped;
	e->st.next_query_ms = sat_add(now, refresh_delay(e, ttl));
	return 0;
}

/*
 * Keeps the last good addresses up to the stale bound and drops whatever is past its
 * allowed time.
 */
static void hold_stale(struct nentry *e, uint64_t now, struct names_event *ev)
{
	struct name_state *st = &e->st;
	size_t i, k = 0;
	uint64_t until;

	for (i = 0; i < st->n_addrs; i++) {
		until = st->addrs[i].allowed_until_ms;
		if (st->addrs[i].current)
			until = max_u64(until, e->stale_end_ms);
		if (until <= now) {
			past_add(e, &st->addrs[i].addr, until, now);
			ev->removed++;
			continue;
		}
		if (until != st->addrs[i].allowed_until_ms)
			ev->sets_changed = true;
		st->addrs[k] = st->addrs[i];
		st->addrs[k++].allowed_until_ms = until;
	}
	st->n_addrs = k;
	if (ev->removed)
		ev->sets_changed = true;
}

static void answer_failed(struct names *ns, struct nentry *e, int status, uint64_t now,
			  struct names_event *ev)
{
	e->st.failures++;
	e->st.last_error = status;
	e->st.next_query_ms = sat_add(now, backoff(&ns->o, e->st.failures));
	ev->error = status;
	hold_stale(e, now, ev);
}

int names_answer(struct names *ns, const struct res_answer *a, uint64_t now_ms,
		 struct names_event *ev)
{
	struct names_event e = { 0 };
	struct nentry *n;
	int r = 0;

	n = find_name(ns, a->fqdn);
	if (!n)
		return -ENOENT;
	n->st.in_flight = false;
	if (a->status == -ECANCELED)
		n->st.next_query_ms = now_ms;
	else if (a->status == 0)
		r = answer_good(ns, n, a, now_ms, &e);
	else
		answer_failed(ns, n, a->status, now_ms, &e);
	if (r < 0) {
		n->st.next_query_ms = sat_add(now_ms, BACKOFF_MIN_MS);
		return r;
	}
	e.fqdn = n->st.fqdn;
	*ev = e;
	return 0;
}

/*
 * A current address whose name's refresh was sent moments ago and is not answered yet.
 * Normally the 30 s past the TTL cover the wait; after a suspend (the boot clock jumped
 * past TTL and those 30 s at once) the query only goes out now. Expiring the address then
 * would drop the last good answer before a failure could keep it until max_stale.
 */
static bool awaits_answer(const struct nentry *e, const struct name_addr *a, uint64_t now)
{
	return a->current && now < e->stale_end_ms && e->st.in_flight &&
	       now < e->asked_ms + ANSWER_WAIT_MS;
}

size_t names_expire(struct names *ns, uint64_t now_ms)
{
	size_t i, n = 0;

	for (i = 0; i < ns->n; i++) {
		struct name_state *st = &ns->v[i].st;
		size_t j, k = 0;
		bool changed = false;

		past_prune(&ns->v[i], now_ms);
		for (j = 0; j < st->n_addrs; j++) {
			if (st->addrs[j].allowed_until_ms > now_ms) {
				st->addrs[k++] = st->addrs[j];
			} else if (awaits_answer(&ns->v[i], &st->addrs[j], now_ms)) {
				st->addrs[j].allowed_until_ms = now_ms + ANSWER_WAIT_MS;
				st->addrs[k++] = st->addrs[j];
				changed = true;
			} else {
				past_add(&ns->v[i], &st->addrs[j].addr,
					 st->addrs[j].allowed_until_ms, now_ms);
			}
		}
		if (k != st->n_addrs || changed)
			n++;
		st->n_addrs = k;
	}
	return n;
}

/* ---- desired set elements ---- */

/* Ties go by name index: names are stored sorted, so a run starts with the first name. */
static int pick_cmp(const void *x, const void *y)
{
	const struct pick *p = x, *q = y;
	int c;

	c = rs_addr_cmp(&p->a->addr, &q->a->addr);
	if (c)
		return c;
	return (p->name > q->name) - (p->name < q->name);
}

/* The allowed addresses of s's family from every name bound to s; counts only if !out. */
static size_t collect(const struct names *ns, const struct nset *s, uint64_t now, struct pick *out)
{
	const struct name_state *st;
	size_t i, j, n = 0;

	for (i = 0; i < s->n_names; i++) {
		st = &ns->v[s->names[i]].st;
		for (j = 0; j < st->n_addrs; j++) {
			if (st->addrs[j].addr.family != s->family ||
			    st->addrs[j].allowed_until_ms <= now)
				continue;
			if (out) {
				out[n].a = &st->addrs[j];
				out[n].name = s->names[i];
			}
			n++;
		}
	}
	return n;
}

static void clear_elems(struct rs_set *s)
{
	size_t i;

	for (i = 0; i < s->n_elems; i++)
		free(s->elems[i].comment);
	free(s->elems);
	s->elems = NULL;
	s->n_elems = s->cap_elems = 0;
}

/* Sorted picks to elements: one per address, the latest time, the first name. */
static int build_elems(const struct names *ns, const struct pick *p, size_t n, uint64_t now,
		       struct rs_set *tmp)
{
	struct rs_elem el;
	uint64_t until;
	size_t i, j;

	for (i = 0; i < n; i = j) {
		until = p[i].a->allowed_until_ms;
		for (j = i + 1; j < n && !rs_addr_cmp(&p[j].a->addr, &p[i].a->addr); j++)
			until = max_u64(until, p[j].a->allowed_until_ms);
		memset(&el, 0, sizeof(el));
		el.addr = p[i].a->addr;
		el.timeout_ms = until - now;
		el.comment = ns->v[p[i].name].st.fqdn;
		if (rs_set_add_elem(tmp, &el) < 0) {
			clear_elems(tmp);
			return -ENOMEM;
		}
	}
	return 0;
}

int names_fill_set(const struct names *ns, const char *set, uint64_t now_ms, struct rs_set *out)
{
	struct rs_set tmp = { 0 };
	const struct nset *s;
	struct pick *picks;
	size_t n;
	int r;

	s = find_set(ns, set);
	if (!s)
		return -ENOENT;
	n = collect(ns, s, now_ms, NULL);
	picks = calloc(n ? n : 1, sizeof(*picks));
	if (!picks)
		return -ENOMEM;
	collect(ns, s, now_ms, picks);
	qsort(picks, n, sizeof(*picks), pick_cmp);
	r = build_elems(ns, picks, n, now_ms, &tmp);
	free(picks);
	if (r < 0)
		return r;
	clear_elems(out);
	out->elems = tmp.elems;
	out->n_elems = tmp.n_elems;
	out->cap_elems = tmp.cap_elems;
	return 0;
}

/* ---- what the state file restores (names_file.c reads and writes it) ---- */

bool names_find(const struct names *ns, const char *fqdn, size_t *ret)
{
	const struct nentry *e = find_name(ns, fqdn);

	if (!e)
		return false;
	*ret = (size_t)(e - ns->v);
	return true;
}

/* The age comes from the stale bound, which a load sets from the file's age (names_int.h). */
bool names_answer_age(const struct names *ns, size_t name, uint64_t now_ms, uint64_t *ret_age_ms)
{
	const struct nentry *e = &ns->v[name];
	uint64_t bound = sat_add(now_ms, ns->o.max_stale_ms);

	if (e->stale_end_ms <= now_ms)
		return false;
	*ret_age_ms = bound > e->stale_end_ms ? bound - e->stale_end_ms : 0;
	return true;
}

/* Wall-clock age; a time "from the future" (the clock went back) counts as now. */
static uint64_t wall_age_ms(uint64_t wall_now_s, uint64_t seen_s)
{
	uint64_t d;

	if (seen_s >= wall_now_s)
		return 0;
	d = wall_now_s - seen_s;
	return d > UINT64_MAX / 1000 ? UINT64_MAX : d * 1000;
}

/*
 * now - age + ttl: when a loaded address's TTL ran out. Before this boot's clock began,
 * 0 marks it long over (no grace left); 1 keeps the little grace left, rounded up.
 */
static uint64_t loaded_ttl_end(uint64_t now, uint64_t age, uint64_t ttl, uint64_t grace)
{
	uint64_t past;

	if (ttl >= age)
		return sat_add(now, ttl - age);
	past = age - ttl;
	if (past < now)
		return now - past;
	return past < grace ? 1 : 0;
}

static void load_addr(const struct names *ns, struct nentry *e, const struct names_loaded *l,
		      uint64_t age, uint64_t now, struct name_addr *out)
{
	uint64_t ttl, stale_end;

	ttl = clamp_ttl(&ns->o, l->ttl_s);
	stale_end = sat_add(now, ns->o.max_stale_ms - age);
	out->addr = l->addr;
	out->current = true;
	out->ttl_end_ms = loaded_ttl_end(now, age, ttl, ns->o.grace_ms);
	out->allowed_until_ms = stale_end;
	if (out->ttl_end_ms)
		out->allowed_until_ms = max_u64(stale_end,
						sat_add(out->ttl_end_ms, current_hold(&ns->o)));
	e->stale_end_ms = max_u64(e->stale_end_ms, stale_end);
	e->ttl_ms = max_u64(e->ttl_ms, ttl);
	e->st.ttl_s = (uint32_t)((e->ttl_ms + 999) / 1000);
	e->st.last_good_ms = max_u64(e->st.last_good_ms, now > age ? now - age : 1);
}

int names_restore(struct names *ns, size_t name, const struct names_loaded *l, size_t k,
		  uint64_t now, uint64_t wall_s)
{
	struct nentry *e = &ns->v[name];
	struct name_addr *v;
	size_t i, n = 0;
	uint64_t age;

	if (e->st.last_good_ms)
		return 0;
	v = calloc(k, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < k; i++) {
		age = wall_age_ms(wall_s, l[i].seen_s);
		if ((i && !rs_addr_cmp(&l[i].addr, &l[i - 1].addr)) || age >= ns->o.max_stale_ms)
			continue;
		if (n == ns->o.max_addresses) {
			e->st.last_dropped++;
			continue;
		}
		load_addr(ns, e, &l[i], age, now, &v[n++]);
	}
	if (!n) {
		free(v);
		return 0;
	}
	e->st.addrs = v;
	e->st.n_addrs = n;
	e->st.cap_addrs = k;
	return 0;
}

/* ---- reverse lookup ---- */

static bool is_current(const struct name_state *st, const struct rs_addr *a, uint64_t now,
		       uint64_t *until)
{
	size_t i;

	for (i = 0; i < st->n_addrs; i++) {
		if (st->addrs[i].allowed_until_ms > now && !rs_addr_cmp(&st->addrs[i].addr, a)) {
			*until = st->addrs[i].allowed_until_ms;
			return true;
		}
	}
	return false;
}

/* Inserts m into ret[lo..*n), kept most recent first, dropping the oldest past max. */
static void insert_past(struct name_match *ret, size_t lo, size_t *n, size_t max,
			const struct name_match *m)
{
	size_t i;

	for (i = lo; i < *n && ret[i].until_ms >= m->until_ms; i++)
		;
	if (i == max)
		return;
	if (*n == max)
		(*n)--;
	memmove(&ret[i + 1], &ret[i], (*n - i) * sizeof(*ret));
	ret[i] = *m;
	(*n)++;
}

/* The newest past entry of e for a that is not older than NAMES_PAST_MS, or NULL. */
static const struct npast *past_find(const struct nentry *e, const struct rs_addr *a, uint64_t now)
{
	size_t i;

	for (i = e->n_past; i-- > 0;)
		if (!rs_addr_cmp(&e->past[i].addr, a))
			return sat_add(e->past[i].until_ms, NAMES_PAST_MS) > now ? &e->past[i] :
										   NULL;
	return NULL;
}

size_t names_reverse(const struct names *ns, const struct rs_addr *a, uint64_t now_ms,
		     struct name_match *ret, size_t max)
{
	struct name_match m;
	const struct npast *p;
	size_t i, n = 0, n_cur;

	for (i = 0; i < ns->n && n < max; i++) {
		if (is_current(&ns->v[i].st, a, now_ms, &m.until_ms)) {
			ret[n].fqdn = ns->v[i].st.fqdn;
			ret[n].current = true;
			ret[n++].until_ms = m.until_ms;
		}
	}
	n_cur = n;
	for (i = 0; i < ns->n && n_cur < max; i++) {
		p = past_find(&ns->v[i], a, now_ms);
		if (!p || is_current(&ns->v[i].st, a, now_ms, &m.until_ms))
			continue;
		m.fqdn = ns->v[i].st.fqdn;
		m.current = false;
		m.until_ms = p->until_ms;
		insert_past(ret, n_cur, &n, max, &m);
	}
	return n;
}

size_t names_of_set(const struct names *ns, const char *set, const char **ret, size_t max)
{
	const struct nset *s = find_set(ns, set);
	size_t i;

	if (!s)
		return 0;
	for (i = 0; i < s->n_names && i < max; i++)
		ret[i] = ns->v[s->names[i]].st.fqdn;
	return s->n_names;
}

size_t names_count(const struct names *ns)
{
	return ns->n;
}

const struct name_state *names_get(const struct names *ns, size_t i)
{
	return i < ns->n ? &ns->v[i].st : NULL;
}
