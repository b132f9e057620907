/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One generation of policy: catalog + config -> (detection) -> facts -> plan. The CLI
 * builds one per command; the daemon builds a fresh one on every reload, so a failure
 * never touches the running one. The same steps everywhere, so plan, apply, check and
 * run cannot disagree about what the host gets.
 */
#ifndef FLOWGUARD_PIPELINE_H
#define FLOWGUARD_PIPELINE_H

#include <stdbool.h>
#include <stdio.h>

#include "agent/detect/detect.h"
#include "agent/dns/dns.h"
#include "policies/compile.h"

struct gen {
	struct catalog *cat;
	struct config *cfg;
	struct detection *det; /* NULL when the config left nothing to detection */
	struct host_facts facts;
	struct plan *plan;
};

struct gen_opts {
	const char *catalog;
	const char *config;
	const char *root;    /* "/" or a fixture tree for detection */
	bool strict;	     /* the real config path: refuse files others could write */
	bool strict_catalog; /* the default catalog path: the same for the catalog */
	const char *facts;   /* a facts file (detect --save) instead of detecting; NULL: detect */
	bool run_tools;	     /* under a root other than /: run its tools (DETECT_RUN_TOOLS) */
	bool cannot_queue;   /* the kernel was probed and cannot queue (no harvest.hold) */
};

/*
 * Every step below returns 0, -EINVAL when it refused its input (a missing, insecure,
 * oversized or invalid file; the reasons in d), -ENOMEM, or another -errno (a file that
 * could not be read). -EINVAL is what the command line calls invalid configuration (2).
 */

/* Loads and validates catalog and config into g (zeroed by the caller). */
int gen_load_config(const struct gen_opts *o, struct gen *g, struct diag *d);
/*
 * Runs detection if the config leaves something to it and it has not run yet; with
 * o->facts, reads that file instead (refused when missing, damaged, insecure or stale:
 * no silent fallback to a narrower unprivileged detection).
 */
int gen_detect(const struct gen_opts *o, struct gen *g, struct diag *d);
/* True if roles or region are left to detection and it found none. */
bool gen_facts_incomplete(const struct gen *g);
/* Detection (if needed), facts, compile. */
int gen_compile(const struct gen_opts *o, struct gen *g, struct diag *d);
/* All of the above. */
int gen_build(const struct gen_opts *o, struct gen *g, struct diag *d);
/* Frees what g holds and zeroes it. */
void gen_clear(struct gen *g);
/* The plan's ruleset, now the caller's; the rest of g is cleared (gen_clear()). */
struct ruleset *gen_take_ruleset(struct gen *g);

/*
 * gen_build() into a new struct gen, every diagnostic logged (errors with file:line:col).
 * The daemon calls it at start and on every reload, so a failure never touches the
 * running generation. 0 or -errno (-EINVAL: invalid configuration).
 */
int gen_load(const struct gen_opts *o, struct gen **ret);
/* gen_clear() and free(); NULL is fine. */
void gen_free(struct gen *g);
/* The names store's options from g's resolver settings, with a per-host jitter seed. */
void gen_names_opts(const struct gen *g, struct names_opts *ret);
/*
 * plan's view of the DNS-fed sets: every name resolved once as the daemon does at start
 * (its resolver settings; GEN_RESOLVE_TRY_MS a try, 2 tries, GEN_RESOLVE_MS in all), the
 * sets filled with the answers; what did not resolve is said on log. 0 (a resolver that
 * fails leaves the sets empty, said on log) or -ENOMEM.
 */
#define GEN_RESOLVE_TRY_MS 1500
#define GEN_RESOLVE_MS 4000
int gen_plan_resolve(struct gen *g, FILE *log);

/* "agent,relay de-1": what STATUS= and the log call this host. */
void gen_summary(const struct gen *g, char *buf, size_t len);

#endif
