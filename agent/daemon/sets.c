/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Keeping the DNS-fed sets equal to the names store. s->applied remembers what each set
 * holds in the kernel as we last sent it, with each element's absolute end (CLOCK_BOOTTIME
 * ms): the timeout the kernel counts down. An element needs re-arming only when the store
 * moved its end, so an answer that changes nothing for a set sends nothing.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/daemon/daemon_int.h"
#include "agent/kernel/kernel.h"
#include "agent/util/clock.h"
#include "agent/util/log.h"
#include "netlink/setdiff.h"

/* How many addresses one log line lists before it says "and N more". */
#define LOG_MAX_ADDRS 8

static void elems_clear(struct rs_set *s)
{
	size_t i;

	for (i = 0; i < s->n_elems; i++)
		free(s->elems[i].comment);
	s->n_elems = 0;
}

/* Also gives the array back: thousands of addresses per set add up (RSS target, issue 8). */
static void elems_release(struct rs_set *s)
{
	elems_clear(s);
	free(s->elems);
	s->elems = NULL;
	s->cap_elems = 0;
}

/* Copies want's elements into app with absolute ends (now + the timeout sent). */
static int applied_replace(struct rs_set *app, const struct rs_set *want, uint64_t now)
{
	struct rs_elem e;
	size_t i;
	int r = 0;

	elems_release(app);
	/* Sized exactly: growth by doubling would keep up to twice the addresses' memory. */
	if (want->n_elems) {
		app->elems = malloc(want->n_elems * sizeof(*app->elems));
		if (!app->elems)
			return -ENOMEM;
		app->cap_elems = want->n_elems;
	}
	for (i = 0; r == 0 && i < want->n_elems; i++) {
		e = want->elems[i];
		e.timeout_ms = e.timeout_ms ? now + e.timeout_ms : NEVER;
		e.expires_ms = 0;
		r = rs_set_add_elem(app, &e);
	}
	return r;
}

/* A new s->applied from a committed ruleset whose DNS-fed sets were filled at now. */
static int applied_build(const struct ruleset *rs, uint64_t now, struct ruleset **ret)
{
	struct ruleset *a;
	struct rs_set *s;
	size_t i;
	int r = 0;

	a = ruleset_new(rs->table);
	if (!a)
		return -ENOMEM;
	for (i = 0; r == 0 && i < rs->n_sets; i++) {
		if (!rs->sets[i].dynamic)
			continue;
		s = ruleset_add_set(a, rs->sets[i].name, rs->sets[i].family, rs->sets[i].flags);
		r = s ? applied_replace(s, &rs->sets[i], now) : -ENOMEM;
	}
	if (r < 0) {
		ruleset_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

/* The store's elements for one DNS-fed set; a set no name feeds is empty. */
static int fill_one(const struct names *ns, struct rs_set *set, uint64_t now)
{
	int r;

	r = names_fill_set(ns, set->name, now, set);
	if (r == -ENOENT) {
		elems_clear(set);
		r = 0;
	}
	rs_set_sort(set);
	return r;
}

static void release_dynamic(struct ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->n_sets; i++)
		if (rs->sets[i].dynamic)
			elems_release(&rs->sets[i]);
}

static int fill_dynamic(struct ruleset *rs, const struct names *ns, uint64_t now)
{
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < rs->n_sets; i++) {
		if (!rs->sets[i].dynamic)
			continue;
		r = fill_one(ns, &rs->sets[i], now);
	}
	return r;
}

/* "set 'x' (origin): kernel rejected it: Invalid argument (ext-ack text)" */
static void log_nft_error(int r, const struct nft_error *err, const char *what)
{
	log_err(r, "%s: %s%s%s%m%s%s%s", what, err->object, err->object[0] ? ": " : "",
		err->seq ? "kernel rejected it: " : "", err->msg[0] ? " (" : "", err->msg,
		err->msg[0] ? ")" : "");
}

/*
 * Opens the table socket before any other netlink socket, so that its portid is our pid:
 * disable finds the agent that owns the table that way (kernel.h).
 */
int sets_open(struct sets *s)
{
	struct kernel_opts ko;
	int r;

	kernel_opts_init(&ko);
	ko.daemon = true;
	ko.refresh_timeouts = true;
	r = kernel_open(&ko, &s->nft);
	if (r < 0)
		return log_err(r, "Cannot talk to nf_tables: %m%s",
			       r == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
	s->table_flags = kernel_table_flags(&s->nft, &ko);
	if (s->nft.portid != (uint32_t)getpid())
		log_warn(0,
			 "netlink portid %u is not our pid %ld: flowguard disable will not find "
			 "this agent, ignoring",
			 s->nft.portid, (long)getpid());
	return 0;
}

void sets_close(struct sets *s)
{
	ruleset_free(s->applied);
	s->applied = NULL;
	nft_close(&s->nft);
}

int sets_read_table(struct sets *s, struct nft_table_state *ret_st, struct ruleset **ret)
{
	int r;

	r = nft_table_state(&s->nft, FG_TABLE, ret_st);
	if (r == 0)
		r = nft_dump_table(&s->nft, FG_TABLE, ret);
	return r;
}

static void count_apply(struct sets *s, enum metrics_apply_kind k, double took, int r)
{
	struct metrics_apply *a = &s->apply[k];

	a->count++;
	a->failures += r < 0;
	a->sum_s += took;
	a->last_s = took;
}

int sets_commit_all(struct sets *s, struct plan *p, const struct names *ns, const char *why)
{
	struct nft_commit_opts co = { .table_flags = s->table_flags };
	struct ruleset *app = NULL;
	struct nft_error err = { 0 };
	bool changed = false;
	uint64_t now;
	double t0;
	int r;

	now = now_ms();
	r = fill_dynamic(p->rs, ns, now);
	if (r == 0) {
		t0 = mono_s();
		r = nft_commit_ruleset(&s->nft, p->rs, &co, &changed, &err);
		count_apply(s, METRICS_APPLY_FULL, mono_s() - t0, r);
	}
	if (r < 0 && r != -ENOMEM) {
		log_nft_error(r, &err, why);
		return r;
	}
	if (r == 0)
		r = applied_build(p->rs, now, &app);
	release_dynamic(p->rs);
	if (r < 0)
		return log_err(r, "%s: %m", why);
	ruleset_free(s->applied);
	s->applied = app;
	malloc_trim(0); /* a whole-table commit frees a lot at once: hand it back */
	log_info("%s: table inet %s %s (%zu sets, %zu addresses from DNS)", why, FG_TABLE,
		 changed ? "programmed" : "already up to date", p->rs->n_sets, sets_count_addrs(s));
	return 0;
}

/* What the kernel holds of app at now: shallow copies, timeouts as what is left. */
static int kernel_view(const struct rs_set *app, uint64_t now, struct rs_elem **ret, size_t *ret_n)
{
	struct rs_elem *v;
	size_t i, n = 0;

	v = malloc((app->n_elems + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < app->n_elems; i++) {
		/*
		 * What ran out by our clock may still be in the kernel: its element timeouts
		 * do not count a suspend, our boot clock does. Keep it in the view (1 ms left)
		 * so it is deleted explicitly; one the kernel already dropped is no error
		 * (DESTROYSETELEM, or nft_set_apply_diff's re-read without it).
		 */
		v[n] = app->elems[i];
		if (app->elems[i].timeout_ms == NEVER)
			v[n++].timeout_ms = 0;
		else
			v[n++].timeout_ms = app->elems[i].timeout_ms > now ?
						    app->elems[i].timeout_ms - now :
						    1;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* "192.0.2.20 (web.test), 192.0.2.21 (web.test) and 3 more" into buf. */
static void format_elems(const struct rs_elem *const *v, size_t n, char *buf, size_t len)
{
	char a[64];
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && i < LOG_MAX_ADDRS && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s ('%s')", i ? ", " : "",
					rs_addr_format(&v[i]->addr, a, sizeof(a)),
					v[i]->comment ? v[i]->comment : "?");
	if (n > LOG_MAX_ADDRS && off < len)
		snprintf(buf + off, len - off, " and %zu more", n - LOG_MAX_ADDRS);
}

static void log_diff(const struct rs_set *set, const struct setdiff *d)
{
	char add[1024], del[1024];

	if (!d->n_add && !d->n_del && !d->n_replace) {
		log_debug("set '%s': re-armed the timeouts of %zu addresses", set->name,
			  d->n_refresh);
		return;
	}
	format_elems(d->add, d->n_add, add, sizeof(add));
	format_elems(d->del, d->n_del, del, sizeof(del));
	log_info("set '%s': allowed %s; removed %s%s", set->name, d->n_add ? add : "nothing",
		 d->n_del ? del : "nothing", d->n_replace ? "; renamed some" : "");
}

/* Failing to update a set leaves the kernel as it was; a full commit repairs it soon. */
static void log_sync_failed(int r, const struct rs_set *set, const struct setdiff *d,
			    const struct nft_error *err)
{
	char add[1024], del[1024];

	format_elems(d->add, d->n_add, add, sizeof(add));
	format_elems(d->del, d->n_del, del, sizeof(del));
	log_err(r,
		"Failed to update set '%s' (allow %s; remove %s): %m%s%s%s; the kernel keeps "
		"what it had, restoring the whole table",
		set->name, d->n_add ? add : "nothing", d->n_del ? del : "nothing",
		err->msg[0] ? " (" : "", err->msg, err->msg[0] ? ")" : "");
}

/* The kernel drops an element when its timeout runs out; the log says so all the same. */
static void log_expired(const struct rs_set *app, const struct rs_set *want, uint64_t now)
{
	const struct rs_elem *v[LOG_MAX_ADDRS];
	char buf[1024];
	size_t i, n = 0, total = 0;

	for (i = 0; i < app->n_elems; i++) {
		if (app->elems[i].timeout_ms > now || rs_set_has(want, &app->elems[i].addr))
			continue;
		if (n < LOG_MAX_ADDRS)
			v[n++] = &app->elems[i];
		total++;
	}
	if (!total)
		return;
	format_elems(v, n, buf, sizeof(buf));
	if (total > n)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " and %zu more", total - n);
	log_info("set '%s': removed %s (grace or staleness bound over)", app->name, buf);
}

/* Makes the kernel's set `want` (a DNS-fed set of the plan) equal to ns at now. */
static int sync_set(struct sets *s, struct rs_set *want, const struct names *ns, uint64_t now,
		    bool *refused)
{
	struct rs_set *app = ruleset_find_set(s->applied, want->name);
	struct setdiff d = { 0 };
	struct rs_elem *cur = NULL;
	struct nft_error err;
	size_t n_cur = 0;
	double t0;
	int r;

	if (!app)
		return -ENOENT;
	r = fill_one(ns, want, now);
	if (r == 0)
		r = kernel_view(app, now, &cur, &n_cur);
	if (r == 0)
		r = setdiff_compute(cur, n_cur, want->elems, want->n_elems, 0, &d);
	if (r == 0 && setdiff_count(&d)) {
		t0 = mono_s();
		r = nft_set_apply_diff(&s->nft, FG_TABLE, want, &d, &err);
		count_apply(s, METRICS_APPLY_SETS, mono_s() - t0, r);
		*refused = *refused || r < 0;
		if (r < 0)
			log_sync_failed(r, want, &d, &err);
		else
			log_diff(want, &d);
	}
	if (r == 0)
		log_expired(app, want, now);
	if (r == 0)
		r = applied_replace(app, want, now);
	/* s->applied keeps the copy; the plan's set is refilled on the next change. */
	elems_release(want);
	setdiff_clear(&d);
	free(cur);
	return r;
}

static int sync_by_name(struct sets *s, struct plan *p, const struct names *ns, const char *set,
			uint64_t now, bool *refused)
{
	struct rs_set *want;

	if (!set)
		return 0;
	want = ruleset_find_set(p->rs, set);
	return want ? sync_set(s, want, ns, now, refused) : -ENOENT;
}

int sets_sync_name(struct sets *s, struct plan *p, const struct names *ns, const char *fqdn,
		   bool *ret_refused)
{
	uint64_t now = now_ms();
	size_t i;
	int r = 0, k;

	*ret_refused = false;
	for (i = 0; i < p->n_names; i++) {
		if (strcmp(p->names[i].fqdn, fqdn))
			continue;
		k = sync_by_name(s, p, ns, p->names[i].set_v4, now, ret_refused);
		r = r ? r : k;
		k = sync_by_name(s, p, ns, p->names[i].set_v6, now, ret_refused);
		r = r ? r : k;
	}
	return r;
}

int sets_sync_all(struct sets *s, struct plan *p, const struct names *ns, bool *ret_refused)
{
	struct ruleset *rs = p->rs;
	uint64_t now = now_ms();
	size_t i;
	int r = 0, k;

	*ret_refused = false;
	for (i = 0; i < rs->n_sets; i++) {
		if (!rs->sets[i].dynamic)
			continue;
		k = sync_set(s, &rs->sets[i], ns, now, ret_refused);
		r = r ? r : k;
	}
	return r;
}

size_t sets_count_addrs(const struct sets *s)
{
	size_t i, n = 0;

	for (i = 0; s->applied && i < s->applied->n_sets; i++)
		n += s->applied->sets[i].n_elems;
	return n;
}
