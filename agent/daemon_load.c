/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Configuration to plan for the daemon: load and validate catalog and config, detect what
 * the configuration leaves to detection, compile. The same steps as `flowguard plan`; the
 * daemon repeats them on every reload into a fresh struct gen, so a failure never touches
 * the running one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/daemon_int.h"
#include "agent/log.h"

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

int gen_load(const struct daemon_opts *o, struct gen **ret)
{
	struct gen_opts go = { o->catalog, o->config, o->root, o->strict, o->strict_catalog,
			       o->facts };
	struct diag d = { 0 };
	struct gen *g;
	int r;

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	r = gen_build(&go, g, &d);
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
	ret->jitter_seed = host_seed();
}

/* "agent,relay de-1": what STATUS= and the log call this host. */
void gen_summary(const struct gen *g, char *buf, size_t len)
{
	char roles[128];

	snprintf(buf, len, "%s %s", roles_format(g->facts.roles, roles, sizeof(roles)),
		 g->facts.region ? g->facts.region->code : "-");
}
