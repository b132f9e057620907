/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Compiles the catalog's flows for this host's roles into one inet table: an egress chain
 * (hook output), an ingress chain (hook input) when ingress is managed, one named set
 * per destination and address family, one commented rule per flow, port and protocol.
 */
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter.h>

#include "policies/compile.h"
#include "policies/prefault.h"
#include "policies/text.h"

/* Who made each set: two owners whose names map to one set name are refused. */
struct set_owner {
	const char *set; /* the set's own name, owned by the ruleset */
	char *who;
};

struct emit {
	struct plan *p;
	const struct catalog *cat;
	const struct config *cfg;
	const struct host_facts *f;
	struct rs_chain *out, *in;
	struct diag *d;
	struct set_owner *owners;
	size_t n_owners;
	unsigned int auto_none_warned; /* 1U << FACT_*: said once per generation */
};

/* Addresses of one destination as sets: static (addresses, prefixes) and resolved. */
enum { DS_V4, DS_V6, DS_NAMES_V4, DS_NAMES_V6, DS_ANSWERS_V4, DS_ANSWERS_V6, DS_MAX };
struct dest_sets {
	/* DS_*: literal addresses, names polled (and harvested), wildcards harvested; "": none */
	char name[DS_MAX][RS_NAME_MAX];
	size_t static_idx[2]; /* index + 1 of the v4 / v6 set in the ruleset; 0: not yet */
	bool any;	      /* no address match at all (peer kind any) */
	char who[600];	      /* the destination, allow entry or key they stand for */
	struct loc loc;	      /* where that is written */
};

/* What the harvest rules copy of each DNS answer: EDNS answers up to 4096 bytes, plus headers. */
#define HARVEST_SNAPLEN 4352

const char *roles_format(unsigned int roles, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < ROLE_MAX; i++)
		if (roles & (1U << i))
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s",
						off ? "," : "", role_names[i]);
	return buf;
}

/* Appends a formatted line to a growing array of strings (the plan's notes or warnings). */
static int push_text(char ***v, size_t *n, size_t *cap, const char *fmt, va_list ap)
{
	char **nv;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;

		nv = realloc(*v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	if (vasprintf(&(*v)[*n], fmt, ap) < 0)
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int add_note(struct plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_note(struct plan *p, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = push_text(&p->notes, &p->n_notes, &p->cap_notes, fmt, ap);
	va_end(ap);
	return r;
}

static int add_warning(struct plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_warning(struct plan *p, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = push_text(&p->warnings, &p->n_warnings, &p->cap_warnings, fmt, ap);
	va_end(ap);
	return r;
}

static void binding_clear(struct fqdn_binding *b)
{
	free(b->fqdn);
	free(b->set_v4);
	free(b->set_v6);
}

static int add_binding(struct plan *p, const char *fqdn, const char *v4, const char *v6)
{
	struct fqdn_binding *b;

	if (p->n_names == p->cap_names) {
		size_t ncap = p->cap_names ? p->cap_names * 2 : 32;

		b = realloc(p->names, ncap * sizeof(*b));
		if (!b)
			return -ENOMEM;
		p->names = b;
		p->cap_names = ncap;
	}
	b = &p->names[p->n_names];
	memset(b, 0, sizeof(*b));
	if (rs_strset(&b->fqdn, fqdn) < 0 || rs_strset(&b->set_v4, v4) < 0 ||
	    rs_strset(&b->set_v6, v6) < 0) {
		binding_clear(b);
		return -ENOMEM;
	}
	p->n_names++;
	return 0;
}

/* "swp-region" + "_names_v4" -> "swp_region_names_v4": nft names read best with '_'. */
static void set_name(char *buf, const char *base, const char *suffix)
{
	char *c;

	snprintf(buf, RS_NAME_MAX, "%s%s", base, suffix);
	for (c = buf; *c; c++)
		if (*c == '-')
			*c = '_';
}

static void loc_origin(char *buf, size_t len, const struct loc *loc, const char *what,
		       const char *id)
{
	snprintf(buf, len, "%s:%u:%u (%s %s)", loc->file, loc->line, loc->col, what, id);
}

static int owner_add(struct emit *e, const char *set, const char *who)
{
	struct set_owner *v = realloc(e->owners, (e->n_owners + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	e->owners = v;
	v[e->n_owners].set = set;
	v[e->n_owners].who = strdup(who);
	if (!v[e->n_owners].who)
		return -ENOMEM;
	e->n_owners++;
	return 0;
}

/*
 * Set names are made from destination ids and allow entry names with '-' turned into
 * '_' and a suffix added, so two of them can meet ("x" + "_names_v4" and "x-names" +
 * "_v4"): the second would add its addresses to the first's set (a DNS set, or its
 * ports to the first's addresses). Refused, naming both, rather than merged.
 */
static bool owner_clash(struct emit *e, const char *set, const struct dest_sets *ds)
{
	size_t i;

	for (i = 0; i < e->n_owners; i++) {
		if (strcmp(e->owners[i].set, set))
			continue;
		if (!strcmp(e->owners[i].who, ds->who))
			return false;
		diag_err(e->d, &ds->loc, "the set name %s is taken by %s; rename one", set,
			 e->owners[i].who);
		return true;
	}
	return false;
}

/* The set, created on first use: 0, -ENOMEM, or -EINVAL when another owner has its name. */
static int get_set(struct emit *e, const char *name, uint8_t family, bool dynamic,
		   const char *comment, const char *origin, const struct dest_sets *ds,
		   struct rs_set **ret)
{
	struct rs_set *s = ruleset_find_set(e->p->rs, name);

	*ret = s;
	if (s)
		return owner_clash(e, name, ds) ? -EINVAL : 0;
	s = ruleset_add_set(e->p->rs, name, family, dynamic ? RS_SET_TIMEOUT : RS_SET_INTERVAL);
	if (!s)
		return -ENOMEM;
	s->dynamic = dynamic;
	if (rs_strset(&s->comment, comment) < 0 || rs_strset(&s->origin, origin) < 0 ||
	    owner_add(e, s->name, ds->who) < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

/* Replaces "{region}" in tmpl; -EINVAL if the name needs a region and there is none. */
static int expand_name(const char *tmpl, const struct cat_region *reg, char *buf, size_t len)
{
	const char *hole = strstr(tmpl, "{region}");

	if (!hole) {
		snprintf(buf, len, "%s", tmpl);
		return 0;
	}
	if (!reg)
		return -EINVAL;
	snprintf(buf, len, "%.*s%s%s", (int)(hole - tmpl), tmpl, reg->code, hole + 8);
	return 0;
}

/*
 * Two timeout sets fed by DNS: for names (ds->name[DS_NAMES_*], polled and harvested), or
 * for wildcards (ds->name[DS_ANSWERS_*], only ever filled from the answers harvested).
 */
static int names_sets(struct emit *e, const char *base, const char *title, const char *origin,
		      struct dest_sets *ds, bool suffix_names, bool wildcard)
{
	const char *sfx4 = wildcard ? "_answers_v4" : suffix_names ? "_names_v4" : "_v4";
	const char *sfx6 = wildcard ? "_answers_v6" : suffix_names ? "_names_v6" : "_v6";
	int k = wildcard ? DS_ANSWERS_V4 : DS_NAMES_V4;
	char comment[RS_COMMENT_MAX];
	struct rs_set *s;
	int r;

	set_name(ds->name[k], base, sfx4);
	set_name(ds->name[k + 1], base, sfx6);
	if (wildcard)
		snprintf(comment, sizeof(comment),
			 "%s: wildcard names, filled from DNS answers "
			 "only (empty until one is seen)",
			 title);
	else
		snprintf(comment, sizeof(comment), "%s: addresses from DNS", title);
	r = get_set(e, ds->name[k], AF_INET, true, comment, origin, ds, &s);
	return r ? r : get_set(e, ds->name[k + 1], AF_INET6, true, comment, origin, ds, &s);
}

/*
 * fqdn (or "*.domain") feeds the sets ds->name[k] (v4) and ds->name[k + 1] (v6). Repeats
 * are dropped once at the end (names_dedup): a scan here would be quadratic.
 */
static int bind_name(struct emit *e, const struct dest_sets *ds, int k, const char *fqdn)
{
	return add_binding(e->p, fqdn, ds->name[k], ds->name[k + 1]);
}

static int fqdn_dest_sets(struct emit *e, const struct cat_dest *dst, const char *origin,
			  struct dest_sets *ds)
{
	char fqdn[256], base[RS_NAME_MAX];
	size_t i;
	int r;

	if (dst->kind == DEST_REGION_FQDN) {
		const struct cat_dest *list = catalog_region_list(e->cat, e->f->region, dst->key);

		if (!list)
			return -ENOENT;
		snprintf(base, sizeof(base), "%s", dst->id);
		dst = list;
	} else {
		snprintf(base, sizeof(base), "%s", dst->id);
	}
	r = names_sets(e, base, dst->title, origin, ds, false, false);
	for (i = 0; r == 0 && i < dst->n_names; i++) {
		if (expand_name(dst->names[i].name, e->f->region, fqdn, sizeof(fqdn)) < 0)
			return -EINVAL;
		r = bind_name(e, ds, DS_NAMES_V4, fqdn);
	}
	return r;
}

/*
 * Adds one address or prefix to the static interval set of its family (ds->name[0..1]).
 * Repeats and covered prefixes stay until static_sets_finish(): sorting the set on
 * every add made a list of n addresses cost n sorts.
 */
static int add_addr(struct emit *e, const char *base, const char *title, const char *origin,
		    const struct rs_addr *addr, struct dest_sets *ds)
{
	int fam = addr->family == AF_INET ? DS_V4 : DS_V6;
	struct rs_elem el;
	struct rs_set *s;
	int r;

	if (ds->static_idx[fam]) {
		s = &e->p->rs->sets[ds->static_idx[fam] - 1];
	} else {
		set_name(ds->name[fam], base, fam ? "_v6" : "_v4");
		r = get_set(e, ds->name[fam], addr->family, false, title, origin, ds, &s);
		if (r < 0)
			return r;
		/* An index, not the pointer: adding a set may move the array. */
		ds->static_idx[fam] = (size_t)(s - e->p->rs->sets) + 1;
	}
	memset(&el, 0, sizeof(el));
	el.addr = *addr;
	return rs_set_add_elem(s, &el);
}

/* Whether every element is one address (a /32 or /128), none a wider prefix. */
static bool set_hosts_only(const struct rs_set *s)
{
	unsigned int host = s->family == AF_INET ? 32 : 128;
	size_t i;

	for (i = 0; i < s->n_elems; i++)
		if (s->elems[i].addr.prefix != host)
			return false;
	return true;
}

/*
 * Sorts each static set once and drops repeats and prefixes inside others. A set of
 * single addresses needs no interval flag: a hash set holds each as one element, where an
 * interval set holds a start and an end, and the kernel inserts it in a hash, not a tree.
 */
static void static_sets_finish(struct ruleset *rs)
{
	struct rs_set *s;
	size_t i;

	for (i = 0; i < rs->n_sets; i++) {
		s = &rs->sets[i];
		if (s->dynamic || !s->n_elems)
			continue;
		rs_set_drop_covered(s);
		if (set_hosts_only(s))
			s->flags &= ~RS_SET_INTERVAL;
		rs_set_fit_size(s);
	}
}

static int binding_cmp(const void *a, const void *b)
{
	const struct fqdn_binding *x = *(const struct fqdn_binding *const *)a;
	const struct fqdn_binding *y = *(const struct fqdn_binding *const *)b;
	int r = strcmp(x->fqdn, y->fqdn);

	if (!r)
		r = strcmp(x->set_v4, y->set_v4);
	return r ? r : (x > y) - (x < y);
}

/* Drops every binding that repeats an earlier one (same name, same sets); keeps the order. */
static int names_dedup(struct plan *p)
{
	struct fqdn_binding **v, *keep;
	size_t i, n = 0;

	if (p->n_names < 2)
		return 0;
	v = malloc(p->n_names * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < p->n_names; i++)
		v[i] = &p->names[i];
	/* Equal keys sort by position, so the first of a run is the one to keep. */
	qsort(v, p->n_names, sizeof(*v), binding_cmp);
	for (keep = v[0], i = 1; i < p->n_names; i++) {
		if (strcmp(v[i]->fqdn, keep->fqdn) || strcmp(v[i]->set_v4, keep->set_v4)) {
			keep = v[i];
			continue;
		}
		binding_clear(v[i]);
		v[i]->fqdn = NULL;
	}
	free(v);
	for (i = 0; i < p->n_names; i++)
		if (p->names[i].fqdn)
			p->names[n++] = p->names[i];
	p->n_names = n;
	return 0;
}

/*
 * Room in the address's static set for the rest of a list: one allocation, not doublings,
 * faulted in at once when it is new.
 */
static int reserve_rest(struct emit *e, const struct dest_sets *ds, const struct rs_addr *addr,
			size_t rest)
{
	size_t idx = ds->static_idx[addr->family == AF_INET ? 0 : 1], cap;
	struct rs_set *s;
	int r;

	if (!idx)
		return 0;
	s = &e->p->rs->sets[idx - 1];
	cap = s->cap_elems;
	r = rs_set_reserve(s, rest);
	if (r == 0 && s->cap_elems != cap)
		prefault_write(s->elems + s->n_elems, rest * sizeof(*s->elems));
	return r;
}

/* Sets for a list of endpoints: literal addresses, DNS names and wildcard names. */
static int endpoint_sets(struct emit *e, const char *base, const char *title, const char *origin,
			 const struct endpoint_list *l, struct dest_sets *ds)
{
	bool wild;
	size_t i;
	int r = 0, k;

	for (i = 0; r == 0 && i < l->n; i++) {
		if (l->v[i].is_addr) {
			r = add_addr(e, base, title, origin, &l->v[i].addr, ds);
			if (r == 0)
				r = reserve_rest(e, ds, &l->v[i].addr, l->n - i - 1);
			continue;
		}
		wild = l->v[i].is_wildcard;
		k = wild ? DS_ANSWERS_V4 : DS_NAMES_V4;
		if (!ds->name[k][0])
			r = names_sets(e, base, title, origin, ds, true, wild);
		if (r == 0)
			r = bind_name(e, ds, k, l->v[i].text);
	}
	return r;
}

/* The region's published ranges; -EINVAL without a region, -ENOENT if it has none. */
static int region_sets(struct emit *e, const struct cat_dest *dst, const char *origin,
		       struct dest_sets *ds)
{
	const struct cat_region *reg = e->f->region, *also;
	char title[RS_COMMENT_MAX];
	size_t i;
	int r = 0;

	if (!reg)
		return -EINVAL;
	also = reg->also ? catalog_find_region(e->cat, reg->also) : NULL;
	if (!reg->n_cidrs && !(also && also->n_cidrs))
		return -ENOENT;
	snprintf(title, sizeof(title), "%s (%s%s%s, published ranges)", dst->title, reg->code,
		 also ? " and " : "", also ? also->code : "");
	for (i = 0; r == 0 && i < reg->n_cidrs; i++)
		r = add_addr(e, dst->id, title, origin, &reg->cidrs[i].addr, ds);
	for (i = 0; r == 0 && also && i < also->n_cidrs; i++)
		r = add_addr(e, dst->id, title, origin, &also->cidrs[i].addr, ds);
	return r;
}

/* The sets a flow's peer maps to. -ENOENT: nothing configured (flow skipped). */
static int dest_sets(struct emit *e, const struct cat_dest *dst, const char *origin,
		     struct dest_sets *ds)
{
	memset(ds, 0, sizeof(*ds));
	loc_origin(ds->who, sizeof(ds->who), &dst->loc, "destination", dst->id);
	ds->loc = dst->loc;
	switch (dst->kind) {
	case DEST_FQDN:
	case DEST_REGION_FQDN:
		return fqdn_dest_sets(e, dst, origin, ds);
	case DEST_REGION_CIDRS:
		return region_sets(e, dst, origin, ds);
	case DEST_HOST:
		if (e->f->lists[dst->fact] && e->f->lists[dst->fact]->n)
			return endpoint_sets(e, dst->id, dst->title, origin, e->f->lists[dst->fact],
					     ds);
		ds->any = dst->unset_any;
		return dst->unset_any ? 0 : -ENOENT;
	case DEST_ANY:
	case DEST_LOCALHOST:
		ds->any = true;
		return 0;
	}
	return -EINVAL;
}

static bool same_rule(const struct rs_rule *a, const struct rs_rule *b)
{
	return !strcmp(a->oifname, b->oifname) && !strcmp(a->iifname, b->iifname) &&
	       a->set_dir == b->set_dir && !a->set == !b->set &&
	       (!a->set || !strcmp(a->set, b->set)) && a->l4proto == b->l4proto &&
	       a->dport == b->dport && a->sport == b->sport && a->verdict == b->verdict;
}

static void rule_free_strings(struct rs_rule *r)
{
	free(r->set);
	free(r->comment);
	free(r->origin);
}

/* Whether the ", "-separated list list[0..len) holds item[0..n) as one of its items. */
static bool has_item(const char *list, size_t len, const char *item, size_t n)
{
	const char *p = list, *end;

	while (p <= list + len) {
		end = memmem(p, (size_t)(list + len - p), ", ", 2);
		if (!end)
			end = list + len;
		if ((size_t)(end - p) == n && !memcmp(p, item, n))
			return true;
		p = end + 2;
	}
	return false;
}

/* side[0..side_len) into buf, then each ", "-separated item of add that side lacks. */
static void merge_items(char *buf, size_t len, const char *side, size_t side_len, const char *add,
			size_t add_len)
{
	const char *item = add, *end;
	size_t n, off;

	off = (size_t)snprintf(buf, len, "%.*s", (int)side_len, side);
	while (item < add + add_len && off < len) {
		end = memmem(item, (size_t)(add + add_len - item), ", ", 2);
		n = end ? (size_t)(end - item) : (size_t)(add + add_len - item);
		if (!has_item(side, side_len, item, n))
			off += (size_t)snprintf(buf + off, len - off, ", %.*s", (int)n, item);
		item += n + 2;
	}
}

/* "TAGS: FROM -> TO" into its three parts; false if c is not such a comment. */
static bool comment_split(const char *c, const char **tags_end, const char **arrow)
{
	*tags_end = c ? strstr(c, ": ") : NULL;
	*arrow = *tags_end ? strstr(*tags_end, " -> ") : NULL;
	return *arrow != NULL;
}

/*
 * Two flows that make the same rule share it; the comment then names both flows and each
 * origin, e.g. "agent-relay (row 11), relay-parent (row 20): Agents, Relays -> Relays", so
 * that no vendor row or origin disappears from the table an admin reads. Left as it was
 * if the result would not fit.
 */
static int merge_comment(struct rs_rule *r, const char *other)
{
	const char *at, *arrow, *o_at, *o_arrow;
	char tags[RS_COMMENT_MAX], from[RS_COMMENT_MAX], to[RS_COMMENT_MAX], *c;

	if (!comment_split(r->comment, &at, &arrow) || !comment_split(other, &o_at, &o_arrow))
		return 0;
	merge_items(tags, sizeof(tags), r->comment, (size_t)(at - r->comment), other,
		    (size_t)(o_at - other));
	merge_items(from, sizeof(from), at + 2, (size_t)(arrow - at - 2), o_at + 2,
		    (size_t)(o_arrow - o_at - 2));
	merge_items(to, sizeof(to), arrow + 4, strlen(arrow + 4), o_arrow + 4, strlen(o_arrow + 4));
	if (asprintf(&c, "%s: %s -> %s", tags, from, to) < 0)
		return -ENOMEM;
	if (strlen(c) >= RS_COMMENT_MAX) {
		free(c);
		return 0;
	}
	free(r->comment);
	r->comment = c;
	return 0;
}

/* Appends *tmpl (taking its strings) unless an identical match exists already. */
static int push_rule(struct rs_chain *c, struct rs_rule *tmpl)
{
	struct rs_rule *r;
	size_t i;
	int ret;

	for (i = 0; i < c->n_rules; i++) {
		if (same_rule(&c->rules[i], tmpl)) {
			ret = merge_comment(&c->rules[i], tmpl->comment);
			rule_free_strings(tmpl);
			return ret;
		}
	}
	r = rs_chain_add_rule(c);
	if (!r) {
		rule_free_strings(tmpl);
		return -ENOMEM;
	}
	*r = *tmpl;
	return 0;
}

struct rule_shape {
	struct rs_chain *chain;
	enum rs_dir dir;
	bool lo;
	const char *comment;
	const char *origin;
};

/* ip daddr @set tcp dport 443 counter accept comment "..." (or saddr, or no set) */
static int port_rule(const struct rule_shape *sh, const char *set, uint8_t l4, uint16_t port)
{
	struct rs_rule r;

	memset(&r, 0, sizeof(r));
	r.icmp_type = r.icmp_code = -1;
	r.log_group = r.queue_num = -1;
	if (sh->lo)
		snprintf(r.oifname, sizeof(r.oifname), "lo");
	r.set_dir = set ? sh->dir : RS_DIR_NONE;
	r.l4proto = l4;
	r.dport = port;
	r.counter = true;
	r.verdict = RS_VERDICT_ACCEPT;
	if ((set && rs_strset(&r.set, set) < 0) || rs_strset(&r.comment, sh->comment) < 0 ||
	    rs_strset(&r.origin, sh->origin) < 0) {
		rule_free_strings(&r);
		return -ENOMEM;
	}
	return push_rule(sh->chain, &r);
}

/* One rule per set x protocol x port. */
static int emit_ports(const struct rule_shape *sh, const struct dest_sets *ds, unsigned int protos,
		      const uint16_t *ports, size_t n_ports)
{
	static const uint8_t l4[2] = { IPPROTO_TCP, IPPROTO_UDP };
	size_t s, p, k;
	int r;

	for (s = 0; s < DS_MAX; s++) {
		/* Peer kind any is one rule without a set; otherwise one per non-empty set. */
		if (ds->any ? s > 0 : !ds->name[s][0])
			continue;
		for (p = 0; p < 2; p++) {
			if (!(protos & (1U << p)))
				continue;
			for (k = 0; k < n_ports; k++) {
				r = port_rule(sh, ds->name[s][0] ? ds->name[s] : NULL, l4[p],
					      ports[k]);
				if (r < 0)
					return r;
			}
		}
	}
	return 0;
}

/* The built-in conditions (WHEN_*) that hold on this host. */
static unsigned int conditions_held(const struct emit *e)
{
	bool proxy = e->f->lists[FACT_PROXY] && e->f->lists[FACT_PROXY]->n;
	bool syslog = e->f->lists[FACT_SYSLOG] && e->f->lists[FACT_SYSLOG]->n;
	unsigned int held = proxy ? WHEN_PROXY : WHEN_DIRECT;

	if (e->f->comm != COMM_AGENT_INITIATED)
		held |= WHEN_MANAGER_INITIATED;
	if (syslog)
		held |= e->cfg->syslog_transport == SYSLOG_TLS ? WHEN_SYSLOG_TLS : WHEN_SYSLOG_UDP;
	return held;
}

/* Why a flow for one of this host's roles does not apply (into buf); NULL when it does. */
static const char *flow_skip_reason(const struct emit *e, const struct cat_flow *fl, char *buf,
				    size_t len)
{
	unsigned int held = conditions_held(e), missing = fl->when & ~held;
	uint32_t excluded = fl->unless_features & e->f->features;
	bool syslog = held & (WHEN_SYSLOG_UDP | WHEN_SYSLOG_TLS);
	size_t i;

	if (missing & WHEN_DIRECT)
		return "a proxy is configured";
	if (missing & WHEN_PROXY)
		return "no proxy configured";
	if (missing & WHEN_MANAGER_INITIATED)
		return "communication is agent-initiated";
	if (missing & (WHEN_SYSLOG_UDP | WHEN_SYSLOG_TLS))
		return !syslog		      ? "no syslog configured" :
		       held & WHEN_SYSLOG_TLS ? "the syslog transport is tls" :
						"the syslog transport is udp";
	if ((fl->when_features & e->f->features) != fl->when_features)
		return "an opt-in feature it needs is not enabled";
	for (i = 0; excluded && i < e->cat->n_features; i++) {
		if (excluded & (1U << i)) {
			snprintf(buf, len, "feature %s is enabled", e->cat->features[i].id);
			return buf;
		}
	}
	if (fl->unless & held)
		return "a condition in its 'unless' holds";
	return NULL;
}

/* The titles of this host's roles the flow serves, joined with ", ". */
static void role_titles(const struct emit *e, unsigned int roles, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < ROLE_MAX; i++)
		if (roles & e->f->roles & (1U << i))
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s",
						off ? ", " : "", e->cat->roles[i].title);
}

static void flow_comment(const struct emit *e, const struct cat_flow *fl, char *buf, size_t len)
{
	const char *peer = e->cat->dests[fl->peer].title;
	char row[24] = "", role[RS_COMMENT_MAX];

	role_titles(e, fl->roles, role, sizeof(role));
	if (fl->row)
		snprintf(row, sizeof(row), " (row %u)", fl->row);
	if (fl->dir == DIR_INGRESS)
		snprintf(buf, len, "%s%s: %s -> %s", fl->id, row, peer, role);
	else
		snprintf(buf, len, "%s%s: %s -> %s", fl->id, row, role, peer);
}

/* The distinct ports of l's entries, at most FLOW_MAX_PORTS; an entry without one has def. */
static size_t endpoint_ports(const struct endpoint_list *l, const uint16_t *def, size_t n_def,
			     uint16_t *ports)
{
	size_t i, j, k, n = 0;

	for (i = 0; i < l->n; i++) {
		for (j = 0; j < (l->v[i].port ? 1 : n_def); j++) {
			uint16_t port = l->v[i].port ? l->v[i].port : def[j];

			for (k = 0; k < n && ports[k] != port; k++)
				;
			if (k == n && n < FLOW_MAX_PORTS)
				ports[n++] = port;
		}
	}
	return n;
}

/*
 * A host peer left unset that means any address: said at every generation, not silently,
 * on stderr or in the log (d) and in the plan (its header, the agent's status).
 */
static int warn_any(struct emit *e, const struct cat_flow *fl, const char *comment,
		    const uint16_t *ports, size_t n_ports)
{
	struct loc loc = { e->cfg->n_docs ? e->cfg->docs[0]->file : "config", 0, 0 };
	const char *fact = fact_names[e->cat->dests[fl->peer].fact];
	char list[FLOW_MAX_PORTS * 7] = "";
	size_t i, off = 0;

	for (i = 0; i < n_ports; i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%u", i ? ", " : "",
					ports[i]);
	diag_warn(e->d, &loc,
		  "%s is not set: any address may connect to port %s (%s); list the "
		  "networks that need it under %s",
		  fact, list, comment, fact);
	return add_warning(e->p, "%s is not set: any address may connect to port %s (%s)", fact,
			   list, comment);
}

/*
 * A host fact left to 'auto' that detection did not find (no DNS or NTP server): the flow
 * is left out, and enforce mode then drops that traffic. Said in the plan, and once per
 * fact as a warning (check, plan, the agent's log).
 */
static int note_auto_none(struct emit *e, const char *comment, unsigned int fact)
{
	struct loc loc = { e->cfg->n_docs ? e->cfg->docs[0]->file : "config", 0, 0 };

	if (!(e->auto_none_warned & (1U << fact))) {
		e->auto_none_warned |= 1U << fact;
		diag_warn(e->d, &loc,
			  "%s: auto, and detection found none: no rule allows them "
			  "(%s, and any other flow to them; in enforce mode that traffic is "
			  "dropped); set %s",
			  fact_names[fact], comment, fact_names[fact]);
	}
	return add_note(e->p, "%s: %s: auto found none", comment, fact_names[fact]);
}

static int emit_flow(struct emit *e, const struct cat_flow *fl)
{
	const struct cat_dest *dst = &e->cat->dests[fl->peer];
	const struct endpoint_list *from = e->f->lists[fl->port_fact];
	char comment[RS_COMMENT_MAX], origin[512];
	struct rule_shape sh = { .comment = comment, .origin = origin };
	uint16_t configured[FLOW_MAX_PORTS];
	const uint16_t *ports = fl->ports;
	struct dest_sets ds;
	size_t n_ports = fl->n_ports;
	int r;

	flow_comment(e, fl, comment, sizeof(comment));
	if (fl->dir == DIR_INGRESS && !e->in)
		return add_note(e->p, "%s: ingress is not managed ('ingress: off')", comment);
	if (fl->port_configured && !(from && from->n))
		return add_note(e->p, "%s: no %s configured", comment, fact_names[fl->port_fact]);
	loc_origin(origin, sizeof(origin), &fl->loc, "flow", fl->id);
	r = dest_sets(e, dst, origin, &ds);
	if (r == -ENOENT && dst->kind == DEST_REGION_FQDN)
		return add_note(e->p, "%s: the catalog has no %s list for region %s", comment,
				dst->key, e->f->region->code);
	if (r == -ENOENT && dst->kind == DEST_HOST && e->cfg->facts[dst->fact].is_auto)
		return note_auto_none(e, comment, dst->fact);
	if (r == -ENOENT)
		return add_note(e->p, "%s: no %s configured", comment, dst->id);
	if (r == -EINVAL) {
		diag_err(e->d, &fl->loc, "flow '%s' needs the region (set 'region:')", fl->id);
		return r;
	}
	if (r < 0)
		return r;
	if (fl->port_configured) {
		n_ports = endpoint_ports(from, fl->ports, fl->n_ports, configured);
		ports = configured;
	}
	if (ds.any && dst->kind == DEST_HOST && warn_any(e, fl, comment, ports, n_ports) < 0)
		return -ENOMEM;
	sh.chain = fl->dir == DIR_INGRESS ? e->in : e->out;
	sh.dir = fl->dir == DIR_INGRESS ? RS_DIR_SRC : RS_DIR_DST;
	sh.lo = fl->dir == DIR_LOCAL;
	return emit_ports(&sh, &ds, fl->protos, ports, n_ports);
}

/* Local flows go before the generic loopback rule, so their counters show them. */
static int emit_flows(struct emit *e, bool local)
{
	size_t i;
	int r;

	for (i = 0; i < e->cat->n_flows; i++) {
		const struct cat_flow *fl = &e->cat->flows[i];
		char comment[RS_COMMENT_MAX], buf[96];
		const char *why;

		if ((fl->dir == DIR_LOCAL) != local || !(fl->roles & e->f->roles))
			continue;
		why = flow_skip_reason(e, fl, buf, sizeof(buf));
		if (why) {
			flow_comment(e, fl, comment, sizeof(comment));
			r = add_note(e->p, "%s: %s", comment, why);
		} else {
			r = emit_flow(e, fl);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int emit_allow(struct emit *e)
{
	char comment[RS_COMMENT_MAX], origin[512], base[RS_NAME_MAX];
	struct rule_shape sh = { .comment = comment, .origin = origin };
	struct dest_sets ds;
	size_t i;
	int r;

	for (i = 0; i < e->cfg->n_allow; i++) {
		const struct allow_entry *a = &e->cfg->allow[i];

		if (a->ingress && !e->in) {
			add_note(e->p, "allow %s: ingress is not managed ('ingress: off')",
				 a->name);
			continue;
		}
		memset(&ds, 0, sizeof(ds));
		loc_origin(origin, sizeof(origin), &a->loc, "allow", a->name);
		snprintf(ds.who, sizeof(ds.who), "%s", origin);
		ds.loc = a->loc;
		snprintf(comment, sizeof(comment), "allow %s (local configuration)", a->name);
		snprintf(base, sizeof(base), "allow_%s", a->name);
		r = endpoint_sets(e, base, comment, origin, &a->peers, &ds);
		if (r < 0)
			return r;
		sh.chain = a->ingress ? e->in : e->out;
		sh.dir = a->ingress ? RS_DIR_SRC : RS_DIR_DST;
		r = emit_ports(&sh, &ds, a->protos, a->ports, a->n_ports);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The sets of flowguard's own resolver (resolver.servers): title, and the base of their names. */
#define RESOLVER_SETS_BASE "resolver"
#define RESOLVER_SETS_TITLE "DNS servers flowguard resolves with"

/*
 * flowguard's own resolver, when resolver.servers names servers other than the host's:
 * DNS over UDP and TCP to them. Servers on different ports share one set, so each is
 * reachable on every port listed (a bounded over-allowance among the admin's own DNS
 * servers, for one rule per port instead of one per server).
 */
static int emit_resolver(struct emit *e)
{
	static const uint16_t dns_port = 53;
	const struct endpoint_list *l = &e->cfg->resolver.servers;
	struct rule_shape sh = { .chain = e->out, .dir = RS_DIR_DST };
	uint16_t ports[FLOW_MAX_PORTS];
	char origin[512];
	struct dest_sets ds;
	int r;

	if (!l->n)
		return 0;
	memset(&ds, 0, sizeof(ds));
	loc_origin(origin, sizeof(origin), &l->v[0].loc, "resolver", "servers");
	snprintf(ds.who, sizeof(ds.who), "%s", origin);
	ds.loc = l->v[0].loc;
	sh.comment = "flowguard resolver: resolver.servers";
	sh.origin = origin;
	r = endpoint_sets(e, RESOLVER_SETS_BASE, RESOLVER_SETS_TITLE, origin, l, &ds);
	return r ? r :
		   emit_ports(&sh, &ds, PROTO_UDP | PROTO_TCP, ports,
			      endpoint_ports(l, &dns_port, 1, ports));
}

/* Appends a base rule; comment is a literal. */
static struct rs_rule *base_rule(struct rs_chain *c, const char *comment, enum rs_verdict v)
{
	struct rs_rule *r = rs_chain_add_rule(c);

	if (!r)
		return NULL;
	r->counter = true;
	r->verdict = v;
	if (rs_strset(&r->comment, comment) < 0)
		return NULL;
	return r;
}

/* ct state established,related counter accept */
static int rule_ct(struct rs_chain *c)
{
	struct rs_rule *r = base_rule(c, "replies and live connections", RS_VERDICT_ACCEPT);

	if (!r)
		return -ENOMEM;
	r->ct_state = RS_CT_ESTABLISHED | RS_CT_RELATED;
	return 0;
}

/* icmp type T [icmp code C] counter accept / icmpv6 type T counter accept */
static int rule_icmp(struct rs_chain *c, uint8_t l4, int type, int code, const char *comment)
{
	struct rs_rule *r = base_rule(c, comment, RS_VERDICT_ACCEPT);

	if (!r)
		return -ENOMEM;
	r->l4proto = l4;
	r->icmp_type = type;
	r->icmp_code = code;
	return 0;
}

/* [meta nfproto ipv6] udp sport S udp dport D counter accept */
static int rule_udp_pair(struct rs_chain *c, uint8_t nfproto, uint16_t sport, uint16_t dport,
			 const char *comment)
{
	struct rs_rule *r = base_rule(c, comment, RS_VERDICT_ACCEPT);

	if (!r)
		return -ENOMEM;
	r->nfproto = nfproto;
	r->l4proto = IPPROTO_UDP;
	r->sport = sport;
	r->dport = dport;
	return 0;
}

/* oifname "lo" / iifname "lo" [udp dport 53] counter accept */
static int rule_lo(struct rs_chain *c, bool out, uint8_t l4, uint16_t dport, const char *comment)
{
	struct rs_rule *r = base_rule(c, comment, RS_VERDICT_ACCEPT);

	if (!r)
		return -ENOMEM;
	snprintf(out ? r->oifname : r->iifname, RS_IFNAME_MAX, "lo");
	r->l4proto = l4;
	r->dport = dport;
	return 0;
}

/*
 * The DHCP client's exchanges for the families in dhcp (DHCP_V4 | DHCP_V6); both by
 * default, since a host that cannot renew its lease loses its address, and the rules
 * match only the client's port pairs.
 * meta nfproto ipv4 udp sport 68 udp dport 67 counter accept (and the reverse, and 546/547)
 */
static int dhcp_rules(struct rs_chain *c, bool out, unsigned int dhcp)
{
	int r = 0;

	if (dhcp & DHCP_V4)
		r |= out ? rule_udp_pair(c, NFPROTO_IPV4, 68, 67, "DHCPv4 lease and renewal") :
			   rule_udp_pair(c, NFPROTO_IPV4, 67, 68, "DHCPv4 server replies");
	if (dhcp & DHCP_V6)
		r |= out ? rule_udp_pair(c, NFPROTO_IPV6, 546, 547, "DHCPv6 lease and renewal") :
			   rule_udp_pair(c, NFPROTO_IPV6, 547, 546, "DHCPv6 server replies");
	return r ? -ENOMEM : 0;
}

/* What any host needs to stay reachable under a default drop (both directions). */
static int host_essentials(struct rs_chain *c, bool out, unsigned int dhcp)
{
	int r = 0;

	r |= rule_icmp(c, IPPROTO_ICMP, 3, 4, "PMTU: fragmentation needed (vendor: needed on AWS)");
	r |= rule_icmp(c, IPPROTO_ICMPV6, 2, -1, "PMTU: IPv6 packet too big");
	r |= rule_icmp(c, IPPROTO_ICMPV6, 135, -1, "IPv6 neighbour discovery");
	r |= rule_icmp(c, IPPROTO_ICMPV6, 136, -1, "IPv6 neighbour discovery");
	r |= rule_icmp(c, IPPROTO_ICMPV6, out ? 133 : 134, -1, "IPv6 router discovery");
	if (out)
		r |= rule_icmp(c, IPPROTO_ICMPV6, 143, -1, "IPv6 multicast listener report");
	return r ? -ENOMEM : dhcp_rules(c, out, dhcp);
}

static int loopback_rules(struct emit *e)
{
	int r = 0;

	if (e->in)
		r |= rule_lo(e->in, false, 0, 0, "loopback");
	if (e->cfg->loopback == LOOPBACK_ALLOW)
		return r | rule_lo(e->out, true, 0, 0, "loopback");
	r |= rule_lo(e->out, true, IPPROTO_UDP, 53, "local DNS stub (loopback: restrict)");
	r |= rule_lo(e->out, true, IPPROTO_TCP, 53, "local DNS stub (loopback: restrict)");
	return r ? -ENOMEM : 0;
}

/*
 * limit rate R/second burst 2R packets log prefix "flowguard drop egress: " group G
 * counter drop comment "..."   (audit: prefix "flowguard audit egress: ", accept)
 * The agent reads group G (blocked.log-group); the prefix tells it chain and mode, and
 * the counter on the last rule counts every packet, logged or not.
 */
static int final_rules(struct rs_chain *c, const struct events_cfg *ev, bool enforce,
		       const char *dir)
{
	char prefix[64], comment[RS_COMMENT_MAX];
	struct rs_rule *r;

	snprintf(prefix, sizeof(prefix), "flowguard %s %s: ", enforce ? "drop" : "audit", dir);
	snprintf(comment, sizeof(comment), "log what %s (rate-limited)",
		 enforce ? "is blocked" : "would be blocked");
	r = base_rule(c, comment, RS_VERDICT_NONE);
	if (!r || rs_strset(&r->log_prefix, prefix) < 0)
		return -ENOMEM;
	r->counter = false;
	r->limit_rate = (uint32_t)ev->log_rate;
	r->limit_burst = (uint32_t)ev->log_rate * 2;
	r->log_group = (int32_t)ev->log_group;
	r = base_rule(c,
		      enforce ? "enforce: not an allowed flow" :
				"audit: not an allowed flow, accepted for now",
		      enforce ? RS_VERDICT_DROP : RS_VERDICT_ACCEPT);
	return r ? 0 : -ENOMEM;
}

/*
 * The two halves of harvest: queries go out (output hook, to the resolver's port), their
 * answers come in (input hook, from it, as the reply conntrack expects). Answers are held
 * instead of copied under harvest.hold; queries are always copied.
 */
struct harvest_side {
	struct rs_chain *c;
	bool queries;
	bool hold;
};

/*
 * answers: [iifname "lo"] ct state established [ip saddr @SET] udp sport P counter
 *	log prefix "flowguard dns: " group G snaplen S accept comment "..."
 *   hold:  ... counter queue flags bypass to Q comment "..."
 * queries: [oifname "lo"] [ip daddr @SET] udp dport P counter
 *	log prefix "flowguard dns query: " group G snaplen S accept comment "..."
 * accept ends this chain only (policy accept): the packet still meets the other chains, and
 * a packet that two rules match is copied once.
 */
static int harvest_rule(const struct harvest_side *hs, const struct harvest_cfg *h, const char *set,
			uint16_t port, const char *what)
{
	bool hold = hs->hold && !hs->queries;
	char comment[RS_COMMENT_MAX];
	struct rs_rule *r;

	snprintf(comment, sizeof(comment), "%s: %s %s", hold ? "hold" : "harvest",
		 hs->queries ? "queries to" : "answers of", what);
	r = base_rule(hs->c, comment, hold ? RS_VERDICT_NONE : RS_VERDICT_ACCEPT);
	if (!r || (set && rs_strset(&r->set, set) < 0))
		return -ENOMEM;
	if (!set)
		snprintf(hs->queries ? r->oifname : r->iifname, RS_IFNAME_MAX, "lo");
	r->set_dir = !set ? RS_DIR_NONE : hs->queries ? RS_DIR_DST : RS_DIR_SRC;
	r->ct_state = hs->queries ? 0 : RS_CT_ESTABLISHED;
	r->l4proto = IPPROTO_UDP;
	*(hs->queries ? &r->dport : &r->sport) = port;
	if (hold) {
		r->queue_num = (int32_t)h->queue;
		return 0;
	}
	r->log_group = (int32_t)h->log_group;
	r->log_snaplen = HARVEST_SNAPLEN;
	return rs_strset(&r->log_prefix, hs->queries ? FG_DNS_QUERY_PREFIX : FG_DNS_ANSWER_PREFIX);
}

/* The catalog's destination for the host's DNS servers, if it has one. */
static const struct cat_dest *dns_servers_dest(const struct catalog *cat)
{
	size_t i;

	for (i = 0; i < cat->n_dests; i++)
		if (cat->dests[i].kind == DEST_HOST && cat->dests[i].fact == FACT_DNS_SERVERS)
			return &cat->dests[i];
	return NULL;
}

/*
 * The trusted resolvers of list l: their literal addresses in the sets base_v4/base_v6
 * (the same sets their flows use, if any), and one harvest rule per set and port.
 */
static int harvest_trusted(struct emit *e, const struct harvest_side *hs, const char *base,
			   const char *title, const struct endpoint_list *l, const char *who)
{
	static const uint16_t dns_port = 53;
	uint16_t ports[FLOW_MAX_PORTS];
	struct dest_sets ds = { 0 };
	char origin[512];
	size_t i, k, n;
	int r = 0, s;

	/* The sets' owner is the flow's (catalog destination or resolver.servers), not a new one. */
	snprintf(ds.who, sizeof(ds.who), "%s", who);
	if (l->n)
		ds.loc = l->v[0].loc;
	for (i = 0; r == 0 && i < l->n; i++) {
		loc_origin(origin, sizeof(origin), &l->v[i].loc, "harvest", title);
		if (l->v[i].is_addr)
			r = add_addr(e, base, title, origin, &l->v[i].addr, &ds);
	}
	/* As emit_resolver(): each port listed, for every server of the set. */
	n = endpoint_ports(l, &dns_port, 1, ports);
	for (s = DS_V4; r == 0 && s <= DS_V6; s++)
		for (k = 0; r == 0 && ds.name[s][0] && k < n; k++)
			r = harvest_rule(hs, &e->cfg->harvest, ds.name[s], ports[k], title);
	return r;
}

/* One side's chain and rules: the local stub, the host's DNS servers, flowguard's own. */
static int harvest_chain(struct emit *e, struct harvest_side *hs, const char *name,
			 const char *comment)
{
	const struct cat_dest *dst = dns_servers_dest(e->cat);
	const struct endpoint_list *res = &e->cfg->resolver.servers;
	char who[512] = "destination dns-servers";
	int r;

	hs->c = ruleset_add_chain(e->p->rs, name, hs->queries ? RS_HOOK_OUTPUT : RS_HOOK_INPUT, -1,
				  RS_VERDICT_ACCEPT);
	if (!hs->c || rs_strset(&hs->c->comment, comment) < 0)
		return -ENOMEM;
	r = harvest_rule(hs, &e->cfg->harvest, NULL, 53, "the local DNS stub");
	if (dst)
		loc_origin(who, sizeof(who), &dst->loc, "destination", dst->id);
	if (r == 0 && e->f->lists[FACT_DNS_SERVERS])
		r = harvest_trusted(e, hs, dst ? dst->id : "dns-servers",
				    dst ? dst->title : "DNS server", e->f->lists[FACT_DNS_SERVERS],
				    who);
	if (r == 0 && res->n) {
		/* emit_resolver()'s owner of the same sets */
		loc_origin(who, sizeof(who), &res->v[0].loc, "resolver", "servers");
		r = harvest_trusted(e, hs, RESOLVER_SETS_BASE, RESOLVER_SETS_TITLE, res, who);
	}
	return r;
}

/*
 * The chains that show flowguard the DNS answers this host receives (harvest.enabled),
 * and the queries they answer: from and to the local stub on lo (its cache hits never
 * cross the wire), the host's DNS servers and flowguard's own.
 */
static int emit_harvest(struct emit *e)
{
	struct harvest_side hs = { .hold = e->cfg->harvest.hold && !e->f->cannot_queue };
	int r = 0;

	if (!e->cfg->harvest.enabled)
		return 0;
	if (e->cfg->harvest.hold && !hs.hold)
		r = add_note(e->p, "harvest.hold: this kernel has neither nft_queue nor nft_compat "
				   "with xt_NFQUEUE; DNS answers are copied (harvest), not held");
	if (r == 0)
		r = harvest_chain(e, &hs, "dns_answers",
				  hs.hold ?
					  "DNS answers wait until flowguard's sets hold their addresses" :
					  "DNS answers this host receives, copied to flowguard");
	hs.queries = true;
	if (r == 0)
		r = harvest_chain(e, &hs, "dns_queries",
				  "DNS queries this host sends, copied to "
				  "flowguard to match their answers");
	return r;
}

static int make_chains(struct emit *e)
{
	const struct config *cfg = e->cfg;
	bool ein = cfg->ingress == INGRESS_ENFORCE;
	bool eout = cfg->mode == MODE_ENFORCE;

	e->out = ruleset_add_chain(e->p->rs, "egress", RS_HOOK_OUTPUT, 0,
				   eout ? RS_VERDICT_DROP : RS_VERDICT_ACCEPT);
	if (!e->out || rs_strset(&e->out->comment, "connections this host opens") < 0)
		return -ENOMEM;
	if (cfg->ingress == INGRESS_OFF)
		return 0;
	/* ruleset_add_chain() may move the array: look egress up again afterwards. */
	e->in = ruleset_add_chain(e->p->rs, "ingress", RS_HOOK_INPUT, 0,
				  ein ? RS_VERDICT_DROP : RS_VERDICT_ACCEPT);
	if (!e->in || rs_strset(&e->in->comment, "connections to this host") < 0)
		return -ENOMEM;
	e->out = ruleset_find_chain(e->p->rs, "egress");
	return 0;
}

static int build(struct emit *e)
{
	int r;

	r = make_chains(e);
	if (r == 0)
		r = rule_ct(e->out);
	if (r == 0 && e->in)
		r = rule_ct(e->in);
	if (r == 0)
		r = emit_flows(e, true);
	if (r == 0)
		r = loopback_rules(e);
	if (r == 0)
		r = host_essentials(e->out, true, e->cfg->dhcp);
	if (r == 0 && e->in)
		r = host_essentials(e->in, false, e->cfg->dhcp);
	if (r == 0)
		r = emit_flows(e, false);
	if (r == 0)
		r = emit_resolver(e);
	if (r == 0)
		r = emit_allow(e);
	if (r == 0)
		r = final_rules(e->out, &e->cfg->events, e->cfg->mode == MODE_ENFORCE, "egress");
	if (r == 0 && e->in)
		r = final_rules(e->in, &e->cfg->events, e->cfg->ingress == INGRESS_ENFORCE,
				"ingress");
	/* Last: adding a chain may move the array e->out and e->in point into. */
	if (r == 0)
		r = emit_harvest(e);
	return r;
}

/* Whether binding b feeds set (by name). */
static bool feeds(const struct fqdn_binding *b, const char *set)
{
	return !strcmp(b->set_v4, set) || !strcmp(b->set_v6, set);
}

/*
 * "Server & Workload Protection: addresses of a.example, b.example": a DNS-fed set's
 * comment names the names that feed it when they fit the kernel's comment (127 bytes);
 * else it counts them, and plan and status list them.
 */
static int name_dns_set(const struct plan *p, struct rs_set *s)
{
	const char *title_end = s->comment ? strstr(s->comment, ": addresses from DNS") : NULL;
	char buf[RS_COMMENT_MAX + 256];
	size_t i, n = 0, off;

	if (!title_end)
		return 0;
	off = (size_t)snprintf(buf, sizeof(buf), "%.*s: addresses of",
			       (int)(title_end - s->comment), s->comment);
	for (i = 0; i < p->n_names; i++) {
		if (!feeds(&p->names[i], s->name))
			continue;
		if (off < sizeof(buf))
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s %s", n ? "," : "",
						p->names[i].fqdn);
		n++;
	}
	if (!n)
		return 0;
	if (off >= RS_COMMENT_MAX)
		snprintf(buf, sizeof(buf),
			 "%.*s: addresses of %zu DNS names (flowguard status "
			 "lists them)",
			 (int)(title_end - s->comment), s->comment, n);
	return rs_strset(&s->comment, buf);
}

static int name_dns_sets(struct plan *p)
{
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < p->rs->n_sets; i++)
		if (p->rs->sets[i].dynamic)
			r = name_dns_set(p, &p->rs->sets[i]);
	return r;
}

static int make_summary(struct plan *p, const struct catalog *cat, const struct config *cfg,
			const struct host_facts *f)
{
	static const char *const ing[] = { "off", "audit", "enforce" };
	char roles[128];

	if (asprintf(&p->summary,
		     "flowguard: roles %s; region %s; mode %s; ingress %s; "
		     "catalog %s %s",
		     roles_format(f->roles, roles, sizeof(roles)),
		     f->region ? f->region->code : "none",
		     cfg->mode == MODE_ENFORCE ? "enforce" : "audit", ing[cfg->ingress], cat->name,
		     cat->version) < 0) {
		p->summary = NULL;
		return -ENOMEM;
	}
	return rs_strset(&p->rs->comment, p->summary);
}

static void owners_free(struct emit *e)
{
	size_t i;

	for (i = 0; i < e->n_owners; i++)
		free(e->owners[i].who);
	free(e->owners);
}

int compile(const struct catalog *cat, const struct config *cfg, const struct host_facts *f,
	    struct plan **ret, struct diag *d)
{
	struct emit e = { .cat = cat, .cfg = cfg, .f = f, .d = d };
	int r;

	e.p = calloc(1, sizeof(*e.p));
	if (!e.p)
		return -ENOMEM;
	e.p->rs = ruleset_new(FG_TABLE);
	r = e.p->rs ? make_summary(e.p, cat, cfg, f) : -ENOMEM;
	if (r == 0)
		r = build(&e);
	owners_free(&e);
	if (r == 0) {
		static_sets_finish(e.p->rs);
		r = names_dedup(e.p);
	}
	if (r == 0)
		r = name_dns_sets(e.p);
	if (r == 0 && diag_failed(d))
		r = -EINVAL;
	if (r < 0) {
		plan_free(e.p);
		return r;
	}
	*ret = e.p;
	return 0;
}

void plan_free(struct plan *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n_names; i++)
		binding_clear(&p->names[i]);
	for (i = 0; i < p->n_notes; i++)
		free(p->notes[i]);
	for (i = 0; i < p->n_warnings; i++)
		free(p->warnings[i]);
	free(p->names);
	free(p->notes);
	free(p->warnings);
	free(p->summary);
	ruleset_free(p->rs);
	free(p);
}

static unsigned int expand_roles(const struct catalog *cat, unsigned int roles)
{
	unsigned int prev;
	size_t i;

	do {
		prev = roles;
		for (i = 0; i < ROLE_MAX; i++)
			if (roles & (1U << i))
				roles |= cat->roles[i].includes;
	} while (roles != prev);
	return roles;
}

static int resolve_roles(const struct config *cfg, const struct catalog *cat,
			 const struct host_detected *det, struct host_facts *f, struct diag *d)
{
	unsigned int roles = cfg->roles_auto ? (det ? det->roles : 0) : cfg->roles;

	if (!roles) {
		diag_err(d, &cfg->roles_loc,
			 "roles: auto, and no SWP role was detected on this "
			 "host; set the roles (e.g. roles: [agent])");
		return -EINVAL;
	}
	f->roles = expand_roles(cat, roles);
	return 0;
}

static int resolve_region(const struct config *cfg, const struct catalog *cat,
			  const struct host_detected *det, struct host_facts *f, struct diag *d)
{
	const char *code = cfg->region ? cfg->region : det ? det->region : NULL;

	if (!code) {
		diag_err(d, &cfg->region_loc,
			 "region: auto, and no region was detected (from "
			 "the agent's manager URL); set the region (e.g. region: de-1)");
		return -EINVAL;
	}
	f->region = catalog_find_region(cat, code);
	if (!f->region) {
		diag_err(d, &cfg->region_loc,
			 "detected region '%s' is not in catalog %s %s; "
			 "set the region",
			 code, cat->name, cat->version);
		return -EINVAL;
	}
	return 0;
}

/* A list set in the config (and not 'auto') wins; otherwise the detected one. */
static void resolve_lists(const struct config *cfg, const struct host_detected *det,
			  struct host_facts *f)
{
	size_t i;

	for (i = 0; i < FACT_MAX; i++) {
		const struct endpoint_list *c = &cfg->facts[i];

		f->lists[i] = c;
		if ((!c->set || c->is_auto) && det && det->lists[i] && det->lists[i]->n)
			f->lists[i] = det->lists[i];
	}
}

int facts_resolve(const struct config *cfg, const struct catalog *cat,
		  const struct host_detected *det, struct host_facts *ret, struct diag *d)
{
	struct host_facts f;
	size_t i;
	int idx, r;

	memset(&f, 0, sizeof(f));
	r = resolve_roles(cfg, cat, det, &f, d);
	if (resolve_region(cfg, cat, det, &f, d) < 0)
		r = -EINVAL;
	if (r < 0)
		return r;
	resolve_lists(cfg, det, &f);
	f.comm = cfg->comm_set || !det || !det->comm_known ? cfg->comm : det->comm;
	for (i = 0; i < cfg->n_features; i++) {
		idx = catalog_find_feature(cat, cfg->features[i]);
		if (idx >= 0)
			f.features |= 1U << idx;
	}
	idx = det && det->legacy_dsaas ? catalog_find_feature(cat, "legacy-dsaas") : -1;
	if (idx >= 0)
		f.features |= 1U << idx;
	*ret = f;
	return 0;
}

int facts_from_config(const struct config *cfg, const struct catalog *cat, struct host_facts *ret,
		      struct diag *d)
{
	return facts_resolve(cfg, cat, NULL, ret, d);
}

/* The same names feed both sets (a destination's v4 and v6 sets share their bindings). */
static bool same_feeds(const struct plan *p, const struct rs_set *a, const struct rs_set *b)
{
	size_t i;

	for (i = 0; i < p->n_names; i++)
		if (feeds(&p->names[i], a->name) != feeds(&p->names[i], b->name))
			return false;
	return true;
}

/*
 * Inside each DNS-fed set: "# from DNS: a.example", one line per name that feeds it; the
 * v6 twin of a set with the same names says so in one line.
 */
static void set_names_lines(FILE *out, const struct rs_set *set, const void *data)
{
	const struct plan *p = data;
	const struct rs_set *prev = set > p->rs->sets ? set - 1 : NULL;
	size_t i;

	if (!set->dynamic)
		return;
	if (prev && prev->dynamic && same_feeds(p, prev, set)) {
		fprintf(out, "\t\t# from DNS: the names of %s\n", prev->name);
		return;
	}
	for (i = 0; i < p->n_names; i++)
		if (feeds(&p->names[i], set->name))
			fprintf(out, "\t\t# from DNS: %s\n", p->names[i].fqdn);
}

static bool dns_filled(const struct ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->n_sets; i++)
		if (rs->sets[i].dynamic && rs->sets[i].n_elems)
			return true;
	return false;
}

/* A "# " comment line of the plan: one line whatever s holds (nft reads on after it). */
static void put_comment(FILE *out, const char *prefix, const char *s)
{
	fputs(prefix, out);
	text_put(out, s);
	fputc('\n', out);
}

int plan_print(const struct plan *p, FILE *out)
{
	struct rs_print_hooks h = { .set_lines = set_names_lines, .data = p };
	size_t i;

	fputs("#!/usr/sbin/nft -f\n", out);
	put_comment(out, "# ", p->summary);
	if (dns_filled(p->rs))
		fputs("# Sets with 'flags timeout' hold what their names resolved to now; the agent "
		      "keeps them current.\n",
		      out);
	else
		fputs("# Sets with 'flags timeout' are filled from DNS at run time; they are empty "
		      "here.\n",
		      out);
	for (i = 0; i < p->n_warnings; i++)
		put_comment(out, "# warning: ", p->warnings[i]);
	for (i = 0; i < p->n_notes; i++)
		put_comment(out, "# not applied: ", p->notes[i]);
	/* Makes the script re-runnable: nft -f replaces the table in one transaction. */
	fprintf(out, "table inet %s\ndelete table inet %s\n\n", p->rs->table, p->rs->table);
	return ruleset_print_nft_hooks(p->rs, &h, out);
}
