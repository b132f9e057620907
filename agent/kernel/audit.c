/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * audit: what drifted, in words first (netlink/rsdiff.h finds it object by object), then a
 * unified diff of the nft text with DIFF_CONTEXT lines of context; or one JSON object.
 * kernel_drift_words() says the same for the daemon's log (start, reload).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/kernel/kernel.h"
#include "agent/util/json.h"
#include "netlink/nft.h"
#include "netlink/rscmp.h"
#include "netlink/rsdiff.h"
#include "policies/text.h"

#define DIFF_CONTEXT 3
/* How many addresses one line lists before it says "and N more". */
#define WORDS_MAX_ADDRS 8
/* Addresses this close to expiry (agent's answer or kernel element) are not compared. */
#define EXPIRY_MARGIN_MS 5000
#define LINE_MAX_LEN 2048

struct labels {
	const char *missing, *extra, *want, *have;
};

static const struct labels view_labels[] = {
	[KERNEL_DRIFT_AUDIT] = { "missing", "extra", "plan", "kernel" },
	[KERNEL_DRIFT_RELOAD] = { "added", "removed", "new", "old" },
};

/* One line being built; what does not fit ends in "...". */
struct line {
	char buf[LINE_MAX_LEN];
	size_t len;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	l->len += (size_t)n;
	if (l->len >= sizeof(l->buf) - 1) {
		l->len = sizeof(l->buf) - 1;
		memcpy(l->buf + l->len - 3, "...", 3);
	}
}

/* What a rule's comment says about its origin, parsed: "agent-swp (row 10): A -> B". */
struct origin {
	char flow[64]; /* "agent-swp"; "" when the comment is not a single flow's */
	unsigned int row;
	const char *rest; /* "A -> B" */
	int prefix_len;	  /* "agent-swp (row 10)" or "a (row 1), b (row 2)" */
};

static bool parse_origin(const char *c, struct origin *o)
{
	const char *colon = c ? strstr(c, ": ") : NULL, *row;

	memset(o, 0, sizeof(*o));
	if (!colon)
		return false;
	row = strstr(c, " (row ");
	if (!row || row > colon)
		return false;
	o->prefix_len = (int)(colon - c);
	o->rest = colon + 2;
	if (memchr(c, ',', (size_t)(colon - c)))
		return true;
	snprintf(o->flow, sizeof(o->flow), "%.*s", (int)(row - c), c);
	o->row = (unsigned int)strtoul(row + 6, NULL, 10);
	return true;
}

/* "flow agent-swp, vendor row 10 (A -> B)", "allow entry x", or the comment quoted. */
static void describe_rule(struct line *l, const struct rs_rule *r)
{
	struct origin o;

	if (parse_origin(r->comment, &o) && o.flow[0])
		add(l, "flow %s, vendor row %u (%s)", o.flow, o.row, o.rest);
	else if (parse_origin(r->comment, &o))
		add(l, "flows %.*s (%s)", o.prefix_len, r->comment, o.rest);
	else if (r->comment && !strncmp(r->comment, "allow ", 6))
		add(l, "allow entry %s", r->comment + 6);
	else
		add(l, "'%s'", r->comment);
}

/* The rule as nft prints it, without its comment (describe_rule() says that). */
static void add_rule_text(struct line *l, const struct ruleset *rs, const struct rs_rule *r)
{
	struct rs_rule bare;
	char *text = NULL;

	if (!r)
		return;
	bare = *r;
	bare.comment = NULL;
	if (ruleset_format_rule(rs, &bare, &text) == 0)
		add(l, "%s", text);
	else
		add(l, "(set %s is not in the table)", r->set ? r->set : "?");
	free(text);
}

/* What words() needs besides the item. */
struct words_ctx {
	const struct ruleset *want, *have;
	const struct labels *lb;
	const struct audit_opts *o; /* audit only: for "in the agent's answer for x" */
};

static void add_answer_names(struct line *l, const struct words_ctx *w, const struct rs_set *s,
			     const struct rs_addr *a)
{
	const struct audit_agent *ag = w->o ? w->o->agent : NULL;
	const struct fqdn_binding *b;
	bool any = false;
	size_t i, k;

	for (i = 0; ag && i < w->o->n_names; i++) {
		b = &w->o->names[i];
		if (strcmp(b->set_v4, s->name) && strcmp(b->set_v6, s->name))
			continue;
		for (k = 0; k < ag->n_answers; k++) {
			if (strcmp(ag->answers[k].fqdn, b->fqdn) ||
			    rs_addr_cmp(&ag->answers[k].addr, a))
				continue;
			add(l, "%s%s", any ? ", " : " (in the agent's current answer for ",
			    b->fqdn);
			any = true;
		}
	}
	if (any)
		add(l, ")");
}

static void add_elems(struct line *l, const struct words_ctx *w, const struct rsdiff_item *it)
{
	const struct rs_set *s = it->want_set;
	char a[64];
	size_t i;

	if (!s)
		return;
	add(l, "set %s: %zu element%s %s: ", s->name, it->n_elems, it->n_elems == 1 ? "" : "s",
	    it->kind == RSD_ELEMS_MISSING ? w->lb->missing : w->lb->extra);
	for (i = 0; i < it->n_elems && i < WORDS_MAX_ADDRS; i++) {
		add(l, "%s%s", i ? ", " : "", rs_addr_format(&it->elems[i]->addr, a, sizeof(a)));
		if (it->elems[i]->comment)
			add(l, " ('%s')", it->elems[i]->comment);
		else if (s->dynamic && it->kind == RSD_ELEMS_MISSING)
			add_answer_names(l, w, s, &it->elems[i]->addr);
	}
	if (it->n_elems > WORDS_MAX_ADDRS)
		add(l, " and %zu more", it->n_elems - WORDS_MAX_ADDRS);
	if (s->dynamic && it->kind == RSD_ELEMS_EXTRA && w->o)
		add(l, " (not in the agent's current answers)");
}

static void add_set_shape(struct line *l, const struct rs_set *s)
{
	add(l, "type %s, flags %s%s%s, comment '%s'",
	    s->family == AF_INET ? "ipv4_addr" : "ipv6_addr",
	    s->flags & RS_SET_INTERVAL ? "interval" : "",
	    (s->flags & RS_SET_INTERVAL) && (s->flags & RS_SET_TIMEOUT) ? "," : "",
	    s->flags & RS_SET_TIMEOUT ? "timeout" : "", s->comment ? s->comment : "");
	if (s->size)
		add(l, ", size %u", s->size);
}

static const char *verdict(enum rs_verdict v)
{
	return v == RS_VERDICT_DROP ? "drop" : "accept";
}

static void add_chain(struct line *l, const struct words_ctx *w, const struct rsdiff_item *it)
{
	const struct rs_chain *a = it->want_chain, *b = it->have_chain;

	/* rsdiff sets the sides each kind has; the analyzer cannot know which */
	if ((!a && it->kind != RSD_CHAIN_EXTRA) || (!b && it->kind != RSD_CHAIN_MISSING))
		return;
	switch (it->kind) {
	case RSD_CHAIN_MISSING:
		add(l, "chain %s %s", a->name, w->lb->missing);
		break;
	case RSD_CHAIN_EXTRA:
		add(l, "chain %s %s", b->name, w->lb->extra);
		break;
	case RSD_CHAIN_POLICY:
		add(l, "chain %s: policy %s in the %s, %s in the %s", a->name, verdict(b->policy),
		    w->lb->have, verdict(a->policy), w->lb->want);
		break;
	default:
		add(l,
		    "chain %s changed: %s: hook %s priority %d comment '%s'; %s: hook %s "
		    "priority %d comment '%s'",
		    a->name, w->lb->want, a->hook == RS_HOOK_INPUT ? "input" : "output",
		    a->priority, a->comment ? a->comment : "", w->lb->have,
		    b->hook == RS_HOOK_INPUT ? "input" : "output", b->priority,
		    b->comment ? b->comment : "");
	}
}

static void add_rule(struct line *l, const struct words_ctx *w, const struct rsdiff_item *it)
{
	const struct rs_rule *r = it->want_rule ? it->want_rule : it->have_rule;
	const struct rs_chain *c = it->want_chain ? it->want_chain : it->have_chain;
	const char *chain = c ? c->name : "?";

	add(l, "rule %s in chain %s: ",
	    it->kind == RSD_RULE_MISSING ? w->lb->missing :
	    it->kind == RSD_RULE_EXTRA	 ? w->lb->extra :
					   "changed",
	    chain);
	if (r->comment) {
		describe_rule(l, r);
		add(l, ": ");
	}
	if (it->kind == RSD_RULE_CHANGED) {
		add(l, "%s: ", w->lb->want);
		add_rule_text(l, w->want, it->want_rule);
		add(l, "; %s: ", w->lb->have);
		add_rule_text(l, w->have, it->have_rule);
		return;
	}
	add_rule_text(l, it->want_rule ? w->want : w->have, r);
}

/* One difference in words. */
static void words(struct line *l, const struct words_ctx *w, const struct rsdiff_item *it)
{
	l->len = 0;
	l->buf[0] = '\0';
	switch (it->kind) {
	case RSD_TABLE_COMMENT:
		add(l, "table comment changed: %s: '%s'; %s: '%s'", w->lb->want,
		    w->want->comment ? w->want->comment : "", w->lb->have,
		    w->have->comment ? w->have->comment : "");
		break;
	case RSD_SET_MISSING:
		if (it->want_set)
			add(l, "set %s %s (%s)", it->want_set->name, w->lb->missing,
			    it->want_set->comment ? it->want_set->comment : "");
		break;
	case RSD_SET_EXTRA:
		if (it->have_set)
			add(l, "set %s %s", it->have_set->name, w->lb->extra);
		break;
	case RSD_SET_CHANGED:
		if (!it->want_set || !it->have_set)
			break;
		add(l, "set %s changed: %s: ", it->want_set->name, w->lb->want);
		add_set_shape(l, it->want_set);
		add(l, "; %s: ", w->lb->have);
		add_set_shape(l, it->have_set);
		break;
	case RSD_ELEMS_MISSING:
	case RSD_ELEMS_EXTRA:
		add_elems(l, w, it);
		break;
	case RSD_CHAIN_MISSING:
	case RSD_CHAIN_EXTRA:
	case RSD_CHAIN_CHANGED:
	case RSD_CHAIN_POLICY:
		add_chain(l, w, it);
		break;
	default:
		add_rule(l, w, it);
	}
}

/*
 * A canonical copy with want's dynamic marks; their elements dropped, or kept with their
 * expiry (dns_sides() needs it to leave out what is about to expire, then drops it).
 */
static struct ruleset *canonical(const struct ruleset *rs, const struct ruleset *ref, bool dyn)
{
	struct ruleset *c, *d;

	c = rscmp_canonical(rs, 0);
	if (!c)
		return NULL;
	rscmp_copy_dynamic(c, ref);
	d = rscmp_canonical(c, dyn ? 0 : RSCMP_DROP_EXPIRY | RSCMP_DROP_DYNAMIC_ELEMS);
	ruleset_free(c);
	return d;
}

int kernel_drift_words(const struct ruleset *want, const struct ruleset *have,
		       enum kernel_drift_view view, kernel_line_fn fn, void *data)
{
	struct words_ctx w = { .lb = &view_labels[view] };
	struct ruleset *cw, *ch;
	struct rsdiff d = { 0 };
	struct line *l;
	size_t i;
	int r;

	cw = canonical(want, want, false);
	ch = canonical(have, want, false);
	l = malloc(sizeof(*l));
	r = cw && ch && l ? rsdiff_compute(cw, ch, &d) : -ENOMEM;
	w.want = cw;
	w.have = ch;
	for (i = 0; r == 0 && fn && i < d.n; i++) {
		words(l, &w, &d.v[i]);
		fn(data, l->buf);
	}
	if (r == 0)
		r = (int)d.n;
	rsdiff_clear(&d);
	ruleset_free(cw);
	ruleset_free(ch);
	free(l);
	return r;
}

/* ---- the agent's answers in the DNS-fed sets ---- */

void kernel_audit_agent_clear(struct audit_agent *a)
{
	size_t i;

	for (i = 0; i < a->n_answers; i++)
		free(a->answers[i].fqdn);
	free(a->answers);
	memset(a, 0, sizeof(*a));
}

static const char *binding_set(const struct fqdn_binding *b, const struct rs_addr *a)
{
	return a->family == AF_INET ? b->set_v4 : b->set_v6;
}

/* The desired DNS-fed elements: every answer of every name bound to the set. */
static int fill_answers(struct ruleset *cw, const struct audit_opts *o, struct rs_set *fuzzy)
{
	const struct audit_agent *ag = o->agent;
	struct rs_elem e = { 0 };
	struct rs_set *s;
	size_t i, k;
	int r = 0;

	for (i = 0; r == 0 && i < o->n_names; i++) {
		for (k = 0; r == 0 && k < ag->n_answers; k++) {
			if (strcmp(ag->answers[k].fqdn, o->names[i].fqdn))
				continue;
			e.addr = ag->answers[k].addr;
			s = ruleset_find_set(cw, binding_set(&o->names[i], &e.addr));
			if (s && s->dynamic)
				r = rs_set_add_elem(ag->answers[k].left_ms < EXPIRY_MARGIN_MS ?
							    fuzzy :
							    s,
						    &e);
		}
	}
	return r;
}

/* Kernel elements about to expire, and every comment and timeout: the answers carry none. */
static int strip_kernel(struct rs_set *s, struct rs_set *fuzzy)
{
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < s->n_elems; i++) {
		free(s->elems[i].comment);
		s->elems[i].comment = NULL;
		s->elems[i].timeout_ms = 0;
		if (s->elems[i].expires_ms && s->elems[i].expires_ms < EXPIRY_MARGIN_MS)
			r = rs_set_add_elem(fuzzy, &s->elems[i]);
		s->elems[i].expires_ms = 0;
	}
	return r;
}

/* Drops from s what fuzzy holds: close to expiry on one side, so either answer is right. */
static void drop_fuzzy(struct rs_set *s, const struct rs_set *fuzzy)
{
	size_t i, n = 0;

	for (i = 0; i < s->n_elems; i++) {
		if (rs_set_has(fuzzy, &s->elems[i].addr)) {
			free(s->elems[i].comment);
			continue;
		}
		s->elems[n++] = s->elems[i];
	}
	s->n_elems = n;
	rs_set_sort(s);
}

/* Both sides' DNS-fed sets made comparable: answers against kernel elements. */
static int dns_sides(struct ruleset *cw, struct ruleset *ch, const struct audit_opts *o)
{
	struct rs_set fuzzy = { .name = (char *)"fuzzy" };
	struct rs_set *k;
	size_t i;
	int r;

	r = fill_answers(cw, o, &fuzzy);
	for (i = 0; r == 0 && i < ch->n_sets; i++)
		if (ch->sets[i].dynamic)
			r = strip_kernel(&ch->sets[i], &fuzzy);
	rs_set_sort(&fuzzy);
	for (i = 0; r == 0 && i < cw->n_sets; i++) {
		if (!cw->sets[i].dynamic)
			continue;
		drop_fuzzy(&cw->sets[i], &fuzzy);
		k = ruleset_find_set(ch, cw->sets[i].name);
		if (k)
			drop_fuzzy(k, &fuzzy);
	}
	for (i = 0; i < fuzzy.n_elems; i++)
		free(fuzzy.elems[i].comment);
	free(fuzzy.elems);
	return r;
}

/* ---- the unified diff ---- */

struct lines {
	char **v;
	size_t n;
};

/* Text lines of a buffer, split in place. */
static int split_lines(char *buf, struct lines *ret)
{
	size_t cap = 1;
	char *p;

	for (p = buf; *p; p++)
		cap += *p == '\n';
	ret->v = malloc(cap * sizeof(*ret->v));
	if (!ret->v)
		return -ENOMEM;
	ret->n = 0;
	for (p = buf; *p; p++) {
		ret->v[ret->n++] = p;
		p = strchrnul(p, '\n');
		if (!*p)
			break;
		*p = '\0';
	}
	return 0;
}

struct line_pair {
	const struct lines *a, *b;
};

static bool line_eq(const void *ctx, size_t i, size_t j)
{
	const struct line_pair *p = ctx;

	return !strcmp(p->a->v[i], p->b->v[j]);
}

/* One diff line: its indent as it is, the rest escaped (another process may have written it). */
static void diff_put(FILE *out, char mark, const char *line)
{
	fputc(mark, out);
	while (*line == '\t')
		fputc(*line++, out);
	text_put(out, line);
	fputc('\n', out);
}

/* Ops [from, to) as one hunk; i, j: the lines of a and b at from. */
static void hunk(FILE *out, const struct line_pair *p, const char *ops, size_t from, size_t to,
		 size_t i, size_t j)
{
	size_t k, na = 0, nb = 0;

	for (k = from; k < to; k++) {
		na += ops[k] != '+';
		nb += ops[k] != '-';
	}
	fprintf(out, "@@ -%zu,%zu +%zu,%zu @@\n", na ? i + 1 : i, na, nb ? j + 1 : j, nb);
	for (k = from; k < to; k++) {
		if (ops[k] == '=')
			diff_put(out, ' ', p->a->v[i++]);
		else if (ops[k] == '-')
			diff_put(out, '-', p->a->v[i++]);
		else
			diff_put(out, '+', p->b->v[j++]);
		j += ops[k] == '=';
	}
}

/* The end of the hunk that has a change at c: changes less than 2 contexts apart join. */
static size_t hunk_end(const char *ops, size_t n, size_t c)
{
	size_t k, last = c;

	for (k = c + 1; k < n; k++) {
		if (ops[k] != '=')
			last = k;
		else if (k - last > 2 * DIFF_CONTEXT)
			break;
	}
	return last + 1 + DIFF_CONTEXT < n ? last + 1 + DIFF_CONTEXT : n;
}

static int unified_diff(FILE *out, const struct lines *a, const struct lines *b)
{
	struct line_pair p = { a, b };
	size_t n, k = 0, prev = 0, from, to, i = 0, j = 0;
	char *ops;
	int r;

	r = rsdiff_align(a->n, b->n, line_eq, &p, &ops, &n);
	if (r < 0)
		return r;
	while (k < n) {
		if (ops[k] == '=') {
			k++;
			i++;
			j++;
			continue;
		}
		/* ops[prev..k) are all '=': the context before the change comes from them */
		from = k - prev > DIFF_CONTEXT ? k - DIFF_CONTEXT : prev;
		i -= k - from;
		j -= k - from;
		to = hunk_end(ops, n, k);
		hunk(out, &p, ops, from, to, i, j);
		for (; from < to; from++) {
			i += ops[from] != '+';
			j += ops[from] != '-';
		}
		k = prev = to;
	}
	free(ops);
	return 0;
}

/* The nft text audit compares: canonical, without DNS-fed elements. *ret is malloc'ed. */
static int audit_text(const struct ruleset *rs, const struct ruleset *ref, char **ret)
{
	struct ruleset *c;
	size_t len = 0;
	FILE *mem;
	int r;

	c = canonical(rs, ref, false);
	if (!c)
		return -ENOMEM;
	mem = open_memstream(ret, &len);
	r = mem ? ruleset_print_nft(c, mem) : -ENOMEM;
	if (mem && fclose(mem) != 0 && r == 0)
		r = -EIO;
	ruleset_free(c);
	return r;
}

/* The diff of the texts into a malloc'ed string ("" when the texts are equal). */
static int diff_text(const struct ruleset *desired, const struct ruleset *cur, char **ret)
{
	struct lines la = { 0 }, lb = { 0 };
	char *a = NULL, *b = NULL;
	size_t len = 0;
	FILE *mem = NULL;
	int r;

	r = audit_text(desired, desired, &a);
	if (r == 0)
		r = audit_text(cur, desired, &b);
	if (r == 0)
		mem = open_memstream(ret, &len);
	if (r == 0 && !mem)
		r = -ENOMEM;
	if (r == 0 && strcmp(a, b)) {
		r = split_lines(a, &la);
		if (r == 0)
			r = split_lines(b, &lb);
		if (r == 0) {
			fprintf(mem, "--- desired (flowguard plan)\n+++ kernel (table inet %s)\n",
				desired->table);
			r = unified_diff(mem, &la, &lb);
		}
	}
	if (mem && fclose(mem) != 0 && r == 0)
		r = -ENOMEM;
	free(la.v);
	free(lb.v);
	free(a);
	free(b);
	return r;
}

/* ---- the report ---- */

struct report {
	const struct audit_opts *o;
	const char *table;
	bool present;
	struct nft_table_state st;
	char owner_line[256]; /* the table's owner is wrong: why; "" if not */
	struct words_ctx w;
	struct ruleset *cw, *ch; /* what w compares: canonical copies */
	struct rsdiff d;
	char *diff;
	bool dns_checked, dns_sets;
};

static const char *const kind_names[] = {
	[RSD_TABLE_COMMENT] = "table_comment",
	[RSD_SET_MISSING] = "set_missing",
	[RSD_SET_EXTRA] = "set_extra",
	[RSD_SET_CHANGED] = "set_changed",
	[RSD_ELEMS_MISSING] = "elements_missing",
	[RSD_ELEMS_EXTRA] = "elements_extra",
	[RSD_CHAIN_MISSING] = "chain_missing",
	[RSD_CHAIN_EXTRA] = "chain_extra",
	[RSD_CHAIN_CHANGED] = "chain_changed",
	[RSD_CHAIN_POLICY] = "chain_policy",
	[RSD_RULE_MISSING] = "rule_missing",
	[RSD_RULE_EXTRA] = "rule_extra",
	[RSD_RULE_CHANGED] = "rule_changed",
};

static const struct audit_agent *running_agent(const struct audit_opts *o)
{
	return o && o->agent && o->agent->pid ? o->agent : NULL;
}

/* The table must be the running agent's; with none, not a stranger's. */
static void check_owner(struct report *rp)
{
	const struct audit_agent *ag = running_agent(rp->o);
	uint32_t owner = rp->st.flags & NFT_TABLE_F_OWNER ? rp->st.owner : 0;

	if (ag && (ag->table_flags & NFT_TABLE_F_OWNER) && owner && owner != (uint32_t)ag->pid)
		snprintf(rp->owner_line, sizeof(rp->owner_line),
			 "table owner: netlink portid %u, not the running agent (pid %ld)", owner,
			 ag->pid);
	else if (ag && (ag->table_flags & NFT_TABLE_F_OWNER) && !owner)
		snprintf(rp->owner_line, sizeof(rp->owner_line),
			 "table owner: none, but the running agent (pid %ld) holds it with flags "
			 "owner",
			 ag->pid);
	else if (!ag && owner && !kernel_pid_is_flowguard((pid_t)owner))
		snprintf(rp->owner_line, sizeof(rp->owner_line),
			 "table owner: netlink portid %u, which is not a flowguard process", owner);
}

static void print_change_seen(FILE *out, const struct audit_agent *ag)
{
	fprintf(out,
		"the running agent (pid %ld) saw %u foreign change%s; the last, %llu s ago: "
		"process %u ('%s') %s\n",
		ag->pid, ag->changes, ag->changes == 1 ? "" : "s",
		(unsigned long long)ag->change_ago_s, ag->change_pid, ag->change_comm,
		ag->change_what);
}

static size_t drift_count(const struct report *rp)
{
	return rp->d.n + (rp->owner_line[0] ? 1 : 0) + !rp->present;
}

static void print_text(FILE *out, struct report *rp)
{
	const struct audit_agent *ag = running_agent(rp->o);
	struct line l;
	size_t i;

	if (!rp->present)
		fprintf(out, "flowguard: table inet %s is missing\n", rp->table);
	else if (!drift_count(rp))
		fprintf(out, "flowguard: table inet %s matches the desired ruleset\n", rp->table);
	else
		fprintf(out,
			"flowguard: table inet %s drifted from the desired ruleset (%zu "
			"change%s):\n",
			rp->table, drift_count(rp), drift_count(rp) == 1 ? "" : "s");
	if (rp->owner_line[0])
		fprintf(out, "  %s\n", rp->owner_line);
	for (i = 0; i < rp->d.n; i++) {
		words(&l, &rp->w, &rp->d.v[i]);
		fprintf(out, "  %s\n", l.buf);
	}
	if (rp->present && rp->dns_sets && !rp->dns_checked)
		fputs("DNS-fed sets: elements not compared: no agent runs whose answers say what "
		      "they should hold\n",
		      out);
	if (ag && ag->changes)
		print_change_seen(out, ag);
	if (rp->diff && rp->diff[0])
		fputs(rp->diff, out);
}

static void json_kv(FILE *out, const char *key, const char *val)
{
	fprintf(out, ", \"%s\": ", key);
	json_str(out, val);
}

static void json_rule(FILE *out, const char *key, const struct ruleset *rs, const struct rs_rule *r)
{
	char *text = NULL;
	struct origin o;

	if (!r)
		return;
	if (ruleset_format_rule(rs, r, &text) == 0)
		json_kv(out, key, text);
	free(text);
	if (strcmp(key, "rule"))
		return;
	json_kv(out, "comment", r->comment);
	if (parse_origin(r->comment, &o) && o.flow[0])
		fprintf(out, ", \"flow\": \"%s\", \"row\": %u", o.flow, o.row);
}

static void json_item(FILE *out, const struct report *rp, const struct rsdiff_item *it)
{
	const struct rs_set *s = it->want_set ? it->want_set : it->have_set;
	const struct rs_chain *c = it->want_chain ? it->want_chain : it->have_chain;
	struct line l;
	char a[64];
	size_t i;

	words(&l, &rp->w, it);
	fprintf(out, "{\"kind\": \"%s\"", kind_names[it->kind]);
	json_kv(out, "text", l.buf);
	if (s)
		fprintf(out, ", \"set\": \"%s\", \"dns\": %s", s->name,
			s->dynamic ? "true" : "false");
	if (c)
		fprintf(out, ", \"chain\": \"%s\"", c->name);
	json_rule(out, "rule", it->want_rule ? rp->w.want : rp->w.have,
		  it->want_rule ? it->want_rule : it->have_rule);
	if (it->kind == RSD_RULE_CHANGED)
		json_rule(out, "kernel_rule", rp->w.have, it->have_rule);
	if (it->n_elems)
		fputs(", \"elements\": [", out);
	for (i = 0; i < it->n_elems; i++)
		fprintf(out, "%s\"%s\"", i ? ", " : "",
			rs_addr_format(&it->elems[i]->addr, a, sizeof(a)));
	fputs(it->n_elems ? "]}" : "}", out);
}

static void json_agent(FILE *out, const struct audit_agent *ag)
{
	if (!ag) {
		fputs("null", out);
		return;
	}
	fprintf(out, "{\"pid\": %ld, \"foreign_changes\": %u, \"last_change\": ", ag->pid,
		ag->changes);
	if (!ag->changes) {
		fputs("null}", out);
		return;
	}
	fprintf(out, "{\"pid\": %u, \"comm\": ", ag->change_pid);
	json_str(out, ag->change_comm);
	json_kv(out, "what", ag->change_what);
	fprintf(out, ", \"ago_s\": %llu}}", (unsigned long long)ag->change_ago_s);
}

static void print_json(FILE *out, const struct report *rp)
{
	bool first = true;
	size_t i;

	fprintf(out, "{\"table\": \"%s\", \"present\": %s, \"in_sync\": %s, \"changes\": [",
		rp->table, rp->present ? "true" : "false", drift_count(rp) ? "false" : "true");
	if (!rp->present) {
		fprintf(out,
			"{\"kind\": \"table_missing\", \"text\": \"table inet %s is missing\"}",
			rp->table);
		first = false;
	}
	if (rp->owner_line[0]) {
		fprintf(out, "%s{\"kind\": \"table_owner\"", first ? "" : ", ");
		json_kv(out, "text", rp->owner_line);
		fputc('}', out);
		first = false;
	}
	for (i = 0; i < rp->d.n; i++) {
		fputs(first ? "" : ", ", out);
		json_item(out, rp, &rp->d.v[i]);
		first = false;
	}
	fprintf(out, "], \"dns_checked\": %s, \"agent\": ", rp->dns_checked ? "true" : "false");
	json_agent(out, running_agent(rp->o));
	fputs(", \"diff\": ", out);
	json_str(out, rp->diff ? rp->diff : "");
	fputs("}\n", out);
}

static bool has_dynamic(const struct ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->n_sets; i++)
		if (rs->sets[i].dynamic)
			return true;
	return false;
}

/* The words and the diff of a table that is there. */
static int compare(struct report *rp, const struct ruleset *desired, const struct ruleset *cur)
{
	int r;

	rp->dns_sets = has_dynamic(desired);
	rp->dns_checked = running_agent(rp->o) && rp->o->agent->answers_known;
	rp->cw = canonical(desired, desired, rp->dns_checked);
	rp->ch = canonical(cur, desired, rp->dns_checked);
	r = rp->cw && rp->ch ? 0 : -ENOMEM;
	if (r == 0 && rp->dns_checked)
		r = dns_sides(rp->cw, rp->ch, rp->o);
	if (r == 0)
		r = rsdiff_compute(rp->cw, rp->ch, &rp->d);
	if (r == 0)
		r = diff_text(desired, cur, &rp->diff);
	rp->w.want = rp->cw;
	rp->w.have = rp->ch;
	return r;
}

/*
 * The kernel's table into *ret; want (a copy of the plan) gets its queue rules as apply
 * builds them on this kernel (nft_queue, or the compat target), so that is no drift.
 */
static int read_table(struct report *rp, const char *table, struct ruleset *want,
		      struct ruleset **ret)
{
	struct nft_ctx ctx;
	int r;

	r = nft_open(&ctx);
	if (r < 0)
		return r;
	(void)nft_fit_queue(&ctx, want);
	r = nft_table_state(&ctx, table, &rp->st);
	if (r == 0)
		r = nft_dump_table(&ctx, table, ret);
	nft_close(&ctx);
	return r;
}

int kernel_audit(const struct ruleset *desired, const struct audit_opts *o, FILE *out)
{
	struct report rp = { .o = o, .table = desired->table, .present = true };
	struct ruleset *cur = NULL, *want;
	int r;

	rp.w = (struct words_ctx){ .lb = &view_labels[KERNEL_DRIFT_AUDIT], .o = o };
	want = rscmp_canonical(desired, 0);
	if (!want)
		return -ENOMEM;
	r = read_table(&rp, desired->table, want, &cur);
	if (r == -ENOENT)
		rp.present = false;
	else if (r < 0)
		fprintf(stderr, "flowguard: cannot read table inet %s: %s\n", desired->table,
			strerror(-r));
	if (r == 0) {
		check_owner(&rp);
		r = compare(&rp, want, cur);
	}
	if (r == 0 || r == -ENOENT) {
		if (o && o->json)
			print_json(out, &rp);
		else
			print_text(out, &rp);
		r = drift_count(&rp) ? 1 : 0;
	}
	rsdiff_clear(&rp.d);
	ruleset_free(rp.cw);
	ruleset_free(rp.ch);
	ruleset_free(cur);
	ruleset_free(want);
	free(rp.diff);
	return r;
}
