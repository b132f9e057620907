/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/gen/gen.h"
#include "agent/util/log.h"

/* Detection runs when the configuration leaves something to it. */
static bool needs_detection(const struct config *cfg)
{
	return cfg->roles_auto || !cfg->region || cfg->facts[FACT_DNS_SERVERS].is_auto ||
	       cfg->facts[FACT_NTP_SERVERS].is_auto;
}

/*
 * The loaders refuse a file that is missing (-ENOENT), insecure (-EPERM), oversized
 * (-E2BIG) or invalid (-EINVAL), each with its reason in d: to every caller that is one
 * thing, invalid input. Kept apart from what the kernel may say with the same errnos.
 */
static int input_refused(int r)
{
	return r == -ENOENT || r == -EPERM || r == -E2BIG ? -EINVAL : r;
}

int gen_load_config(const struct gen_opts *o, struct gen *g, struct diag *d)
{
	int r;

	r = catalog_load_checked(o->catalog, o->strict_catalog, &g->cat, d);
	if (r == 0)
		r = config_load(o->config, o->strict, g->cat, &g->cfg, d);
	return input_refused(r);
}

int gen_detect(const struct gen_opts *o, struct gen *g, struct diag *d)
{
	if (g->det || !needs_detection(g->cfg))
		return 0;
	if (o->facts)
		return input_refused(detection_load(o->facts, &g->det, d));
	return detect_host(o->root, o->run_tools ? DETECT_RUN_TOOLS : 0, &g->det, d);
}

bool gen_facts_incomplete(const struct gen *g)
{
	return (g->cfg->roles_auto && (!g->det || !g->det->roles)) ||
	       (!g->cfg->region && (!g->det || !g->det->region));
}

static int resolve_facts(struct gen *g, struct diag *d)
{
	struct host_detected hd = { 0 };
	size_t i;

	if (!g->det)
		return facts_resolve(g->cfg, g->cat, NULL, &g->facts, d);
	hd.roles = g->det->roles;
	hd.region = g->det->region;
	hd.legacy_dsaas = g->det->legacy_dsaas;
	hd.comm_known = g->det->comm_known;
	hd.comm = g->det->comm;
	for (i = 0; i < FACT_MAX; i++)
		hd.lists[i] = &g->det->lists[i];
	return facts_resolve(g->cfg, g->cat, &hd, &g->facts, d);
}

int gen_compile(const struct gen_opts *o, struct gen *g, struct diag *d)
{
	int r;

	r = gen_detect(o, g, d);
	if (r == 0)
		r = resolve_facts(g, d);
	g->facts.cannot_queue = o->cannot_queue;
	if (r == 0)
		r = compile(g->cat, g->cfg, &g->facts, &g->plan, d);
	return input_refused(r);
}

int gen_build(const struct gen_opts *o, struct gen *g, struct diag *d)
{
	int r;

	r = gen_load_config(o, g, d);
	if (r == 0)
		r = gen_compile(o, g, d);
	return r;
}

void gen_clear(struct gen *g)
{
	plan_free(g->plan);
	detection_free(g->det);
	config_free(g->cfg);
	catalog_free(g->cat);
	memset(g, 0, sizeof(*g));
}

struct ruleset *gen_take_ruleset(struct gen *g)
{
	struct ruleset *rs = g->plan->rs;

	g->plan->rs = NULL;
	gen_clear(g);
	return rs;
}

void gen_free(struct gen *g)
{
	if (!g)
		return;
	gen_clear(g);
	free(g);
}

/* Every diagnostic is one log line; errors carry file:line:col from the loader. */
static void log_diag(const struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		log_located(d->msgs[i].level == DIAG_ERROR, d->msgs[i].text);
	}
	if (d->oom)
		log_err(-ENOMEM, "some diagnostics were lost: %m");
}

int gen_load(const struct gen_opts *o, struct gen **ret)
{
	struct diag d = { 0 };
	struct gen *g;
	int r;

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	r = gen_build(o, g, &d);
	if (r == 0 && diag_failed(&d))
		r = -EINVAL;
	log_diag(&d);
	diag_clear(&d);
	if (r < 0) {
		gen_free(g);
		return r;
	}
	*ret = g;
	return 0;
}

/* A per-host seed, so that a fleet does not refresh the same names in lock-step. */
static uint32_t host_seed(void)
{
	char buf[256] = "";
	uint32_t h = 2166136261u; /* FNV-1a */
	FILE *f;
	size_t i;

	f = fopen("/etc/machine-id", "re");
	if (!f || !fgets(buf, sizeof(buf), f))
		gethostname(buf, sizeof(buf) - 1);
	if (f)
		fclose(f);
	for (i = 0; buf[i]; i++)
		h = (h ^ (uint8_t)buf[i]) * 16777619u;
	return h;
}

void gen_names_opts(const struct gen *g, struct names_opts *ret)
{
	const struct resolver_cfg *rc = &g->cfg->resolver;

	memset(ret, 0, sizeof(*ret));
	ret->min_ttl_ms = rc->min_ttl * 1000;
	ret->max_ttl_ms = rc->max_ttl * 1000;
	ret->grace_ms = rc->grace * 1000;
	ret->max_stale_ms = rc->max_stale * 1000;
	ret->max_addresses = rc->max_addresses;
	ret->harvest_max = g->cfg->harvest.max_addresses;
	ret->jitter_seed = host_seed();
}

/* "agent,relay de-1": what STATUS= and the log call this host. */
void gen_summary(const struct gen *g, char *buf, size_t len)
{
	char roles[128];

	snprintf(buf, len, "%s %s", roles_format(g->facts.roles, roles, sizeof(roles)),
		 g->facts.region ? g->facts.region->code : "-");
}

/* What plan's resolution reports: "flowguard: plan: 30 of 33 names resolved; ..." */
static void resolve_report(const struct dns_once *o, FILE *log)
{
	size_t i;

	if (o->answered == o->names)
		return;
	fprintf(log, "flowguard: plan: %zu of %zu names resolved", o->answered, o->names);
	for (i = 0; i < o->n_failed && i < 4; i++)
		fprintf(log, "%s%s (%s)", i ? ", " : "; not: ", o->failed[i].fqdn,
			resolver_error_text(o->failed[i].error));
	if (o->n_failed > 4)
		fprintf(log, " and %zu more", o->n_failed - 4);
	if (o->unanswered)
		fprintf(log, "; %zu without an answer in time", o->unanswered);
	fputs("; their sets show what did resolve (--no-resolve: the offline view)\n", log);
}

int gen_plan_resolve(struct gen *g, FILE *log)
{
	struct resolver_opts ro = { .servers = &g->cfg->resolver.servers,
				    .timeout_ms = GEN_RESOLVE_TRY_MS,
				    .tries = 2 };
	struct names_opts no;
	struct dns_once o;
	int r;

	gen_names_opts(g, &no);
	r = dns_once_fill(g->plan, &no, &ro, GEN_RESOLVE_MS, &o);
	if (r < 0)
		fprintf(log, "flowguard: plan: cannot resolve: %s; DNS-fed sets left empty\n",
			strerror(-r));
	else
		resolve_report(&o, log);
	dns_once_clear(&o);
	return r == -ENOMEM ? r : 0;
}
