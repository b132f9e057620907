/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One blocking round of resolution for a plan's DNS-fed sets (flowguard plan); see once.c. */
#ifndef FLOWGUARD_ONCE_H
#define FLOWGUARD_ONCE_H

#include "agent/dns/names.h"
#include "agent/dns/resolver.h"

struct dns_once_failure {
	char *fqdn;
	int error; /* the res_answer status */
};

struct dns_once {
	size_t names, answered, unanswered; /* unanswered: still in flight at the deadline */
	struct dns_once_failure *failed;
	size_t n_failed;
};

/*
 * Asks every name of p once (ro: the resolver's servers, timeout, tries) and waits at most
 * timeout_ms; then fills p's DNS-fed sets from the answers (no says how, as the daemon's
 * store does). What failed is in ret (dns_once_clear() frees it). 0 or -errno.
 */
int dns_once_fill(struct plan *p, const struct names_opts *no, const struct resolver_opts *ro,
		  unsigned int timeout_ms, struct dns_once *ret);
void dns_once_clear(struct dns_once *o);

#endif
