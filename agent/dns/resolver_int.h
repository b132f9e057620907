/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The resolver's pure parts, kept apart so tests/unit/test_resolver.c can check them
 * without a DNS server. Only agent/resolver.c and that test include this.
 */
#ifndef FLOWGUARD_RESOLVER_INT_H
#define FLOWGUARD_RESOLVER_INT_H

#include <stddef.h>
#include <stdint.h>

#include <ares.h>

#include "agent/dns/resolver.h"

/* c-ares holds a UDP and a TCP socket per server; ares_getsock() reports RESOLVER_MAX_FDS. */
#define RESOLVER_MAX_SERVERS (RESOLVER_MAX_FDS / 2)

/* The res_answer status for an ares_getaddrinfo() outcome (timeouts: its callback's count). */
int resolver_errno(int ares_status, int timeouts);

/*
 * 0 if every CNAME of ai continues the chain from fqdn (its owner is fqdn or an earlier
 * CNAME's target); -EBADMSG for one that does not (an answer we must not use).
 */
int resolver_chain_check(const struct ares_addrinfo *ai, const char *fqdn);

/* The minimum TTL over every address and every CNAME of ai; 0 when it holds none. */
uint32_t resolver_chain_ttl(const struct ares_addrinfo *ai);

/*
 * The addresses of ai, deduplicated and sorted by rs_addr_cmp(), in a new array the caller
 * frees (NULL when there are none). 0 or -ENOMEM.
 */
int resolver_collect(const struct ares_addrinfo *ai, struct rs_addr **ret_addrs, size_t *ret_n);

/*
 * Fills nodes (linked in order) from the configured servers: single addresses with an
 * optional port (0: 53). Returns how many, or -EINVAL for a name, a prefix or too many.
 */
int resolver_servers_to_ares(const struct endpoint_list *l,
			     struct ares_addr_port_node nodes[static RESOLVER_MAX_SERVERS]);

#endif
