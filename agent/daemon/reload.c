/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loading the configuration: at start, and on SIGHUP into a new generation (catalog,
 * config, detection, plan), a new names store that keeps what the running one knows, and
 * a new resolver. Only once the new table is committed does it replace the running one;
 * anything failing before leaves the running generation and the table exactly as they were.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/daemon/daemon_int.h"
#include "agent/util/clock.h"
#include "agent/util/log.h"
#include "agent/util/notify.h"

int reload_gen(const struct daemon_opts *o, unsigned int features, struct gen **ret)
{
	struct gen_opts go = {
		o->catalog,	   o->config,
		o->root,	   o->strict,
		o->strict_catalog, o->facts,
		o->run_tools,	   !(features & (NFT_FEAT_QUEUE | NFT_FEAT_QUEUE_COMPAT))
	};

	return gen_load(&go, ret);
}

void reload_clear(struct current *cur)
{
	resolver_free(cur->res);
	names_free(cur->names);
	gen_free(cur->gen);
	cur->res = NULL;
	cur->names = NULL;
	cur->gen = NULL;
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
static int reload_names(const struct names *old, const char *run_dir, const struct gen *g,
			struct names **ret)
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
	snprintf(path, sizeof(path), "%s/names.reload", run_dir);
	r = names_save(old, path, now, wall_ms() / 1000);
	if (r == 0)
		r = names_load(ns, path, now, wall_ms() / 1000);
	unlink(path);
	if (r < 0 && r != -ENOENT) {
		log_warn(r,
			 "Failed to carry the known answers over through '%s': %m; carrying "
			 "the allowed addresses over as fresh answers",
			 path);
		carry_by_answers(old, ns, now);
	}
	*ret = ns;
	return 0;
}

/* More differences than this are counted, not listed: a log line each is enough to read. */
#define DRIFT_LOG_MAX 40

struct drift_log {
	const char *prefix;
	size_t n;
};

static void drift_line(void *data, const char *line)
{
	struct drift_log *dl = data;

	if (dl->n++ < DRIFT_LOG_MAX)
		log_notice("%s: %s", dl->prefix, line);
}

void reload_log_drift(const struct ruleset *want, const struct ruleset *have,
		      enum kernel_drift_view view, const char *prefix)
{
	struct drift_log dl = { .prefix = prefix };
	int r;

	r = kernel_drift_words(want, have, view, drift_line, &dl);
	if (r < 0)
		log_warn(r, "%s: cannot list the changes: %m", prefix);
	else if (dl.n > DRIFT_LOG_MAX)
		log_notice("%s: and %zu more changes", prefix, dl.n - DRIFT_LOG_MAX);
}

/* "/etc/flowguard/flowguard.yaml, /etc/flowguard/conf.d/10-backup.yaml" */
static void files_read(const struct gen *g, const struct daemon_opts *o, char *buf, size_t len)
{
	size_t i, off;

	off = (size_t)snprintf(buf, len, "catalog %s; configuration", o->catalog);
	for (i = 0; i < g->cfg->n_docs && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s %s", i ? "," : "",
					g->cfg->docs[i]->file);
	if (o->facts && off < len)
		snprintf(buf + off, len - off, "; facts %s", o->facts);
}

static void reload_refused(struct daemon *dm, int r, const char *why)
{
	char line[320];

	dm->rl.refused++;
	snprintf(dm->rl.error, sizeof(dm->rl.error), "%s: %s", why, strerror(-r));
	dm->rl.wall_ms = wall_ms();
	log_err(r, "Reload failed: %s: %m; the running table is kept as it was", why);
	state_status_line(dm, line, sizeof(line));
	notify_ready(line);
	state_changed(dm);
}

static void reload_swap(struct daemon *dm, const struct current *next)
{
	struct current *cur = &dm->cur;
	char line[320];

	reload_clear(cur);
	*cur = *next;
	gen_summary(cur->gen, cur->summary, sizeof(cur->summary));
	dm->rl.ok++;
	dm->rl.error[0] = '\0';
	dm->rl.wall_ms = wall_ms();
	dnshealth_reset(&dm->dns, cur->res);
	textfile_arm(&dm->tf, &cur->gen->cfg->metrics);
	/* The blocked-flow reader and harvest may trade NFLOG groups (blocked.log-group moves
	 * onto harvest's default, its + 1): each lets go of its old group before either binds. */
	events_release(&dm->ev, &cur->gen->cfg->events);
	harvest_reload(&dm->hv, &cur->gen->cfg->harvest, dm->sets.nft.features);
	events_reload(&dm->ev, &cur->gen->cfg->events, cur->gen->plan, cur->names);
	log_info("Reloaded: %s", cur->summary);
	state_status_line(dm, line, sizeof(line));
	notify_ready(line);
	state_changed(dm);
}

void reload_run(struct daemon *dm)
{
	struct current next = { 0 };
	char files[2048];
	int r;

	notify_reloading();
	log_info("Reloading '%s' and '%s'", dm->opts->config, dm->opts->catalog);
	r = reload_gen(dm->opts, dm->sets.nft.features, &next.gen);
	if (r < 0) {
		reload_refused(dm, r, "the configuration is invalid");
		return;
	}
	r = reload_names(dm->cur.names, dm->opts->run_dir, next.gen, &next.names);
	if (r == 0)
		r = refresh_resolver_new(next.gen, dm, &next.res);
	if (r == 0)
		r = sets_commit_all(&dm->sets, next.gen->plan, next.names, "reload");
	if (r < 0) {
		reload_clear(&next);
		reload_refused(dm, r, "the new table could not be programmed");
		return;
	}
	files_read(next.gen, dm->opts, files, sizeof(files));
	log_notice("Reload read %s", files);
	reload_log_drift(next.gen->plan->rs, dm->cur.gen->plan->rs, KERNEL_DRIFT_RELOAD, "reload");
	reload_swap(dm, &next);
}
