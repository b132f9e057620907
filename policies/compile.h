/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The compiler: (catalog, config, host facts) -> the desired ruleset. Pure: no I/O, no
 * kernel, no DNS. DNS names become empty timeout sets plus bindings (name -> sets) that
 * the resolver fills at run time.
 */
#ifndef FLOWGUARD_COMPILE_H
#define FLOWGUARD_COMPILE_H

#include "netlink/ruleset.h"
#include "policies/model.h"

#define FG_TABLE "flowguard"

/* What compile() needs to know about the host. Lists are borrowed. */
struct host_facts {
	unsigned int roles; /* 1U << enum fg_role, includes already expanded */
	const struct cat_region *region;
	const struct endpoint_list *lists[FACT_MAX];
	uint32_t features; /* catalog feature bits */
	enum fg_comm comm;
};

/* What host detection found (agent/detect.c fills it); every part optional. */
struct host_detected {
	unsigned int roles;
	const char *region;
	bool legacy_dsaas; /* turns on the catalog feature "legacy-dsaas" */
	bool comm_known;
	enum fg_comm comm;
	const struct endpoint_list *lists[FACT_MAX];
};

/* One DNS name feeding the sets of one destination. */
struct fqdn_binding {
	char *fqdn;
	char *set_v4;
	char *set_v6;
};

struct plan {
	struct ruleset *rs;
	struct fqdn_binding *names;
	size_t n_names, cap_names;
	char **notes; /* why flows were left out, for the admin */
	size_t n_notes, cap_notes;
	char **warnings; /* what the admin should narrow (a peer that means any address) */
	size_t n_warnings, cap_warnings;
	char *summary;
};

/*
 * The facts compile() uses: what the configuration sets explicitly wins; what it leaves
 * 'auto' (or unset) comes from det (may be NULL). -EINVAL, with a located reason, when
 * a needed fact is neither configured nor detected (roles, region).
 */
int facts_resolve(const struct config *cfg, const struct catalog *cat,
		  const struct host_detected *det, struct host_facts *ret, struct diag *d);
/* facts_resolve() without detection. */
int facts_from_config(const struct config *cfg, const struct catalog *cat, struct host_facts *ret,
		      struct diag *d);
/* Compiles; on success *ret owns a new plan. -ENOMEM or -EINVAL (reasons in d). */
int compile(const struct catalog *cat, const struct config *cfg, const struct host_facts *f,
	    struct plan **ret, struct diag *d);
void plan_free(struct plan *p);
/* Prints the plan as an nft script with '#' header lines. 0 or -errno. */
int plan_print(const struct plan *p, FILE *out);
/* Role names joined with ',' into buf. */
const char *roles_format(unsigned int roles, char *buf, size_t len);

#endif
