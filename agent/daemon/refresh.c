/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Keeping the names current: the resolver's answers, and the DNS answers the host's
 * programs receive (harvest.c), go into the names store and from there into the kernel's sets (one element diff per set that changed); queries start when
 * the store says a name is due, and addresses leave the sets when the store expires them.
 * A set update the kernel refuses makes the whole table due for a restore (heal.c).
 */
#include <errno.h>
#include <string.h>

#include "agent/daemon/daemon_int.h"
#include "agent/util/clock.h"
#include "agent/util/log.h"

/* Queries started per round; more stay due and start on the next round, right after. */
#define DUE_BATCH 64

static const struct name_state *find_name(const struct names *ns, const char *fqdn)
{
	const struct name_state *s;
	size_t i, n = names_count(ns);

	for (i = 0; i < n; i++) {
		s = names_get(ns, i);
		if (s && !strcmp(s->fqdn, fqdn))
			return s;
	}
	return NULL;
}

/* Failures are summarised by dnshealth.c; each one is a debug line here. */
static void log_answer(const struct current *cur, const struct res_answer *a,
		       const struct names_event *ev)
{
	const struct name_state *s = find_name(cur->names, a->fqdn);
	const char *why = a->detail ? a->detail : resolver_error_text(a->status);
	size_t kept = s ? s->n_addrs : 0;
	uint64_t next = s && s->next_query_ms > now_ms() ? s->next_query_ms - now_ms() : 0;

	if (a->status < 0)
		log_debug("Failed to resolve '%s': %s, keeping %zu cached addresses; next try in "
			  "%llu s",
			  a->fqdn, why, kept, (unsigned long long)(next + 999) / 1000);
	if (ev->dropped)
		log_warn(0,
			 "'%s' has %zu addresses, more than resolver.max-addresses (%llu): "
			 "allowed the first %zu, ignoring %zu",
			 a->fqdn, a->n_addrs,
			 (unsigned long long)cur->gen->cfg->resolver.max_addresses,
			 a->n_addrs - ev->dropped, ev->dropped);
	if (a->status == 0)
		log_debug("'%s': %zu addresses, TTL %u s (+%zu -%zu)", a->fqdn, a->n_addrs, a->ttl,
			  ev->added, ev->removed);
}

static void on_answer(void *userdata, const struct res_answer *ans)
{
	struct daemon *dm = userdata;
	struct current *cur = &dm->cur;
	const struct name_state *prior;
	struct names_event ev = { 0 };
	unsigned int failures;
	bool refused;
	uint64_t now;
	int r;

	/* Only resolver_free() cancels: the store it answered for is being replaced. */
	if (ans->status == -ECANCELED)
		return;
	now = now_ms();
	prior = find_name(cur->names, ans->fqdn);
	failures = prior ? prior->failures : 0;
	r = names_answer(cur->names, ans, now, &ev);
	if (r == -ENOENT) {
		log_debug("answer for '%s', which is no longer configured, ignoring", ans->fqdn);
		return;
	}
	if (r < 0) {
		log_err(r, "Failed to take in the answer for '%s': %m", ans->fqdn);
		return;
	}
	if (ans->status == 0)
		dm->last_answer_ms = now;
	log_answer(cur, ans, &ev);
	dnshealth_answer(&dm->dns, ans, failures, now, wall_ms());
	r = sets_sync_name(&dm->sets, cur->gen->plan, cur->names, ans->fqdn, &refused);
	/* A refusal is logged where it happened; anything else is logged here. */
	if (refused)
		dm->heal.due_ms = now_ms();
	if (r < 0 && dm->heal.due_ms == NEVER) {
		log_err(r, "Failed to update the sets of '%s': %m; restoring the whole table",
			ans->fqdn);
		dm->heal.due_ms = now;
	}
	if (ev.added || ev.removed)
		events_reexplain(&dm->ev, cur->gen->plan, cur->names);
	/*
	 * Answers come in bursts (start, a refresh round): the files follow within a second,
	 * not once per answer, so a held DNS answer never waits behind file writes.
	 */
	state_status_soon(&dm->st);
	state_save_soon(&dm->st);
}

/*
 * Harvested answers: what they changed in the store goes to the sets (every set's diff in
 * one batch), then the held answers go on; a refusal makes the table due for a restore.
 */
void refresh_harvest(struct daemon *dm)
{
	const char *fqdns[HARVEST_BATCH_NAMES];
	struct current *cur = &dm->cur;
	const struct name_state *s;
	struct harvest_batch b = { 0 };
	bool refused = false;
	size_t i, n = 0;
	int r = 0;

	harvest_read(&dm->hv, cur->names, cur->res, &b);
	for (i = 0; i < b.n_changed; i++)
		if ((s = names_get(cur->names, b.changed[i])))
			fqdns[n++] = s->fqdn;
	if (n)
		r = sets_sync_names(&dm->sets, cur->gen->plan, cur->names, fqdns, n, &refused);
	harvest_done(&dm->hv, &b, !r && !refused);
	if ((r || refused) && dm->heal.due_ms == NEVER)
		dm->heal.due_ms = now_ms();
	/* The counters moved: the status file follows within a second. */
	state_status_soon(&dm->st);
	if (!b.n_changed)
		return;
	events_reexplain(&dm->ev, cur->gen->plan, cur->names);
	state_save_soon(&dm->st);
}

int refresh_resolver_new(const struct gen *g, struct daemon *dm, struct resolver **ret)
{
	struct resolver_opts o = { .servers = &g->cfg->resolver.servers };

	return resolver_new(&o, on_answer, dm, ret);
}

static void query_due(struct current *cur, uint64_t now)
{
	const char *due[DUE_BATCH];
	size_t n, i;
	int r;

	n = names_due(cur->names, now, due, DUE_BATCH);
	for (i = 0; i < n; i++) {
		r = resolver_query(cur->res, due[i]);
		if (r < 0)
			log_err(r, "Failed to start resolving '%s': %m", due[i]);
	}
}

void refresh_due(struct daemon *dm, uint64_t now)
{
	struct current *cur = &dm->cur;
	bool refused;

	if (names_next_deadline(cur->names) > now)
		return;
	/* Ask first: after a suspend, what is due now must be in flight when expiry looks,
	 * so the last good answer waits for it (names_expire). */
	query_due(cur, now);
	if (names_expire(cur->names, now) == 0)
		return;
	if (sets_sync_all(&dm->sets, cur->gen->plan, cur->names, &refused) == 0) {
		events_reexplain(&dm->ev, cur->gen->plan, cur->names);
		state_changed(dm);
	}
	if (refused)
		dm->heal.due_ms = now_ms();
}
