/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The event loop: one poll() over the signalfd, the nf_tables monitor socket, the NFLOG
 * socket of blocked flows and the resolver's sockets. Its timeout is the nearest deadline (a name due or expiring, a
 * resolver retry, a pending restore or save, the watchdog, the metrics file when it is
 * on, a blocked flow's summary line, a status rewrite held back), so an idle agent sleeps.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "agent/daemon/daemon_int.h"
#include "agent/util/log.h"
#include "agent/util/notify.h"

/* Restores closer together than this would be a fight with another tool; 4 a second is enough. */
#define HEAL_MIN_INTERVAL_MS 250
/* A restore that failed (e.g. the kernel refused) is tried again this much later. */
#define HEAL_RETRY_MS 1000
/* Queries started per round; more stay due and start on the next round, right after. */
#define DUE_BATCH 64
/* A deadline that is already due still sleeps this long, so a store that keeps a past
 * deadline cannot make the loop spin. */
#define MIN_SLEEP_MS 5

int loop_new_resolver(const struct gen *g, struct daemon *dm, struct resolver **ret)
{
	struct resolver_opts o = { .servers = &g->cfg->resolver.servers };

	return resolver_new(&o, loop_answer, dm, ret);
}

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

static void log_answer(const struct daemon *dm, const struct res_answer *a,
		       const struct names_event *ev)
{
	const struct name_state *s = find_name(dm->names, a->fqdn);
	const char *why = a->detail ? a->detail : state_error_text(a->status);
	size_t kept = s ? s->n_addrs : 0;

	if (a->status < 0 && kept)
		log_warn(a->status, "Failed to resolve '%s': %s, keeping %zu cached addresses, "
				    "ignoring", a->fqdn, why, kept);
	else if (a->status < 0)
		log_warn(a->status, "Failed to resolve '%s': %s, no addresses to keep, ignoring",
			 a->fqdn, why);
	if (ev->dropped)
		log_warn(0, "'%s' has %zu addresses, more than resolver.max-addresses (%llu): "
			    "allowed the first %zu, ignoring %zu", a->fqdn, a->n_addrs,
			 (unsigned long long)dm->gen->cfg->resolver.max_addresses,
			 a->n_addrs - ev->dropped, ev->dropped);
	if (a->status == 0)
		log_debug("'%s': %zu addresses, TTL %u s (+%zu -%zu)", a->fqdn, a->n_addrs, a->ttl,
			  ev->added, ev->removed);
}

void loop_answer(void *userdata, const struct res_answer *ans)
{
	struct daemon *dm = userdata;
	struct names_event ev = { 0 };
	uint64_t now;
	int r;

	/* Only resolver_free() cancels: the store it answered for is being replaced. */
	if (ans->status == -ECANCELED)
		return;
	now = now_ms();
	r = names_answer(dm->names, ans, now, &ev);
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
	log_answer(dm, ans, &ev);
	r = sets_sync_name(dm, ans->fqdn);
	if (r < 0 && dm->heal_due_ms == NEVER) {
		log_err(r, "Failed to update the sets of '%s': %m; restoring the whole table",
			ans->fqdn);
		dm->heal_due_ms = now;
	}
	if (ev.added || ev.removed)
		events_reexplain(dm);
	state_changed(dm);
}

static void heal(struct daemon *dm, uint64_t now)
{
	int r;

	dm->heal_due_ms = NEVER;
	dm->last_heal_ms = now;
	dm->ctr.heals++;
	r = sets_commit_all(dm, dm->gen, dm->names, "restore");
	if (r < 0)
		dm->heal_due_ms = now + HEAL_RETRY_MS;
	state_changed(dm);
}

static void on_monitor(struct daemon *dm)
{
	struct heal_info h;
	uint64_t now, at;
	int r;

	r = monitor_read(&dm->mon, &h);
	if (r < 0)
		log_warn(r, "Failed to read nf_tables events: %m, ignoring");
	if (r <= 0)
		return;
	now = now_ms();
	h.wall_ms = wall_ms();
	h.count = dm->heal.count + 1;
	dm->heal = h;
	if (h.pid)
		log_warn(0, "table inet %s: process %u ('%s') %s; restoring it", FG_TABLE, h.pid,
			 h.comm, h.what);
	else
		log_warn(0, "table inet %s: %s; checking it", FG_TABLE, h.what);
	at = dm->last_heal_ms + HEAL_MIN_INTERVAL_MS;
	if (dm->heal_due_ms == NEVER)
		dm->heal_due_ms = at > now ? at : now;
}

static void query_due(struct daemon *dm, uint64_t now)
{
	const char *due[DUE_BATCH];
	size_t n, i;
	int r;

	n = names_due(dm->names, now, due, DUE_BATCH);
	for (i = 0; i < n; i++) {
		r = resolver_query(dm->res, due[i]);
		if (r < 0)
			log_err(r, "Failed to start resolving '%s': %m", due[i]);
	}
}

static void run_timers(struct daemon *dm)
{
	uint64_t now = now_ms();
	char line[320];

	if (names_next_deadline(dm->names) <= now) {
		/* Ask first: after a suspend, what is due now must be in flight when expiry
		 * looks, so the last good answer waits for it (names_expire). */
		query_due(dm, now);
		if (names_expire(dm->names, now) > 0 && sets_sync_all(dm) == 0) {
			events_reexplain(dm);
			state_changed(dm);
		}
	}
	if (dm->heal_due_ms <= now)
		heal(dm, now);
	if (dm->save_due_ms <= now)
		state_save_now(dm);
	if (dm->metrics_due_ms <= now)
		state_metrics_write(dm);
	if (events_next_deadline(dm) <= now)
		events_flush(dm, now);
	if (dm->status_due_ms <= now)
		state_status_due(dm);
	if (dm->watchdog_ms && dm->watchdog_due_ms <= now) {
		notify_watchdog();
		state_status_line(dm, line, sizeof(line));
		notify_status(line);
		dm->watchdog_due_ms = now + dm->watchdog_ms;
	}
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static int poll_timeout(struct daemon *dm)
{
	uint64_t now = now_ms(), t;
	int res = resolver_timeout_ms(dm->res);

	t = min_u64(names_next_deadline(dm->names), dm->heal_due_ms);
	t = min_u64(t, dm->save_due_ms);
	t = min_u64(t, dm->metrics_due_ms);
	t = min_u64(t, events_next_deadline(dm));
	t = min_u64(t, dm->status_due_ms);
	if (dm->watchdog_ms)
		t = min_u64(t, dm->watchdog_due_ms);
	if (t == NEVER && res < 0)
		return -1;
	t = t == NEVER ? NEVER : (t > now + MIN_SLEEP_MS ? t - now : MIN_SLEEP_MS);
	if (res >= 0)
		t = min_u64(t, (uint64_t)res);
	return t > INT_MAX ? INT_MAX : (int)t;
}

/*
 * Fallback when the file route fails: each name's allowed addresses go into the new store
 * as a fresh answer. Grace timing is lost (they count as current again), but nothing that
 * is allowed now blinks while the new table is committed.
 */
static void carry_by_answers(const struct names *old, struct names *ns, uint64_t now)
{
	const struct name_state *s;
	struct res_answer a = { 0 };
	struct names_event ev;
	struct rs_addr *v;
	uint64_t end;
	size_t i, j;

	for (i = 0; i < names_count(old); i++) {
		s = names_get(old, i);
		v = s && s->n_addrs ? calloc(s->n_addrs, sizeof(*v)) : NULL;
		if (!v)
			continue;
		a = (struct res_answer){ .fqdn = s->fqdn, .addrs = v };
		for (j = 0, end = now; j < s->n_addrs; j++) {
			if (s->addrs[j].allowed_until_ms <= now)
				continue;
			v[a.n_addrs++] = s->addrs[j].addr;
			end = s->addrs[j].ttl_end_ms > end ? s->addrs[j].ttl_end_ms : end;
		}
		a.ttl = (uint32_t)((end - now) / 1000) + 1;
		if (a.n_addrs)
			names_answer(ns, &a, now, &ev);
		free(v);
	}
}

/*
 * A fresh store for the new plan with what the running one knows: saved and loaded
 * through a file, so names that remain keep their addresses, TTLs and grace, and names
 * the new plan lacks are left out (names_load's rules).
 */
static int reload_names(struct daemon *dm, const struct gen *g, struct names **ret)
{
	char path[PATH_MAX];
	struct names_opts o;
	struct names *ns;
	uint64_t now = now_ms();
	int r;

	gen_names_opts(g, &o);
	r = names_new(g->plan, &o, &ns);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/names.reload", dm->opts->run_dir);
	r = names_save(dm->names, path, now, wall_ms() / 1000);
	if (r == 0)
		r = names_load(ns, path, now, wall_ms() / 1000);
	unlink(path);
	if (r < 0 && r != -ENOENT) {
		log_warn(r, "Failed to carry the known answers over through '%s': %m; carrying "
			    "the allowed addresses over as fresh answers", path);
		carry_by_answers(dm->names, ns, now);
	}
	*ret = ns;
	return 0;
}

static void reload_refused(struct daemon *dm, int r, const char *why)
{
	char line[320];

	dm->ctr.reloads_refused++;
	snprintf(dm->reload_error, sizeof(dm->reload_error), "%s: %s", why, strerror(-r));
	dm->reload_wall_ms = wall_ms();
	log_err(r, "Reload failed: %s: %m; the running table is kept as it was", why);
	state_status_line(dm, line, sizeof(line));
	notify_ready(line);
	state_changed(dm);
}

static void reload_swap(struct daemon *dm, struct gen *g, struct names *ns, struct resolver *res)
{
	char line[320];

	resolver_free(dm->res);
	names_free(dm->names);
	gen_free(dm->gen);
	dm->gen = g;
	dm->names = ns;
	dm->res = res;
	gen_summary(g, dm->summary, sizeof(dm->summary));
	dm->ctr.reloads_ok++;
	dm->reload_error[0] = '\0';
	dm->reload_wall_ms = wall_ms();
	state_metrics_arm(dm);
	events_reload(dm);
	log_info("Reloaded: %s", dm->summary);
	state_status_line(dm, line, sizeof(line));
	notify_ready(line);
	state_changed(dm);
}

static void reload(struct daemon *dm)
{
	struct resolver *res = NULL;
	struct names *ns = NULL;
	struct gen *g = NULL;
	int r;

	notify_reloading();
	log_info("Reloading '%s' and '%s'", dm->opts->config, dm->opts->catalog);
	r = daemon_gen_load(dm->opts, &g);
	if (r < 0) {
		reload_refused(dm, r, "the configuration is invalid");
		return;
	}
	r = reload_names(dm, g, &ns);
	if (r == 0)
		r = loop_new_resolver(g, dm, &res);
	if (r == 0)
		r = sets_commit_all(dm, g, ns, "reload");
	if (r < 0) {
		resolver_free(res);
		names_free(ns);
		gen_free(g);
		reload_refused(dm, r, "the new table could not be programmed");
		return;
	}
	reload_swap(dm, g, ns, res);
}

static void log_summary(struct daemon *dm)
{
	char line[320];

	state_status_line(dm, line, sizeof(line));
	log_info("%s", line);
	state_changed(dm);
}

static int on_signal(struct daemon *dm)
{
	struct signalfd_siginfo si;
	ssize_t n;

	for (;;) {
		n = read(dm->sigfd, &si, sizeof(si));
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n != (ssize_t)sizeof(si))
			continue;
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_info("Stopping on signal %u; the table stays in place", si.ssi_signo);
			dm->stop = true;
		} else if (si.ssi_signo == SIGHUP) {
			reload(dm);
		} else if (si.ssi_signo == SIGUSR1) {
			log_summary(dm);
		}
	}
}

int loop_run(struct daemon *dm)
{
	struct pollfd pfd[3 + RESOLVER_MAX_FDS];
	size_t nres;
	int r;

	while (!dm->stop) {
		run_timers(dm);
		pfd[0] = (struct pollfd){ .fd = dm->sigfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = monitor_fd(&dm->mon), .events = POLLIN };
		/* -1 while not listening: poll() skips it. */
		pfd[2] = (struct pollfd){ .fd = events_fd(dm), .events = POLLIN };
		nres = resolver_fds(dm->res, pfd + 3, RESOLVER_MAX_FDS);
		r = poll(pfd, 3 + nres, poll_timeout(dm));
		if (r < 0 && errno != EINTR)
			return log_err(-errno, "poll failed: %m");
		if (r < 0)
			continue;
		if (pfd[1].revents)
			on_monitor(dm);
		if (pfd[2].revents)
			events_read(dm);
		/* Also without ready sockets: it handles the resolver's own timeouts. */
		resolver_process(dm->res, pfd + 3, nres);
		/* Last: a reload replaces the resolver whose fds are in pfd. */
		if (pfd[0].revents && (r = on_signal(dm)) < 0)
			return log_err(r, "Failed to read signals: %m");
	}
	return 0;
}
