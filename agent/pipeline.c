/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "agent/pipeline.h"

/* Detection runs when the configuration leaves something to it. */
static bool needs_detection(const struct config *cfg)
{
	return cfg->roles_auto || !cfg->region || cfg->facts[FACT_DNS_SERVERS].is_auto ||
	       cfg->facts[FACT_NTP_SERVERS].is_auto;
}

int gen_load_config(const struct gen_opts *o, struct gen *g, struct diag *d)
{
	int r;

	r = catalog_load_checked(o->catalog, o->strict_catalog, &g->cat, d);
	if (r == 0)
		r = config_load(o->config, o->strict, g->cat, &g->cfg, d);
	return r;
}

int gen_detect(const struct gen_opts *o, struct gen *g, struct diag *d)
{
	if (g->det || !needs_detection(g->cfg))
		return 0;
	if (o->facts)
		return detection_load(o->facts, &g->det, d);
	return detect_host(o->root, &g->det, d);
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
	if (r == 0)
		r = compile(g->cat, g->cfg, &g->facts, &g->plan, d);
	return r;
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
