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
	char *summary;
};

/*
 * Host facts from the configuration alone (explicit roles and region); detection
 * refines them later. -EINVAL with a located reason when something is 'auto'.
 */
int facts_from_config(const struct config *cfg, const struct catalog *cat,
		      struct host_facts *ret, struct diag *d);
/* Compiles; on success *ret owns a new plan. -ENOMEM or -EINVAL (reasons in d). */
int compile(const struct catalog *cat, const struct config *cfg, const struct host_facts *f,
	    struct plan **ret, struct diag *d);
void plan_free(struct plan *p);
/* Prints the plan as an nft script with '#' header lines. 0 or -errno. */
int plan_print(const struct plan *p, FILE *out);
/* Role names joined with ',' into buf. */
const char *roles_format(unsigned int roles, char *buf, size_t len);

#endif
