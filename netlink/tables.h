/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every table and chain in the kernel, of every family, summarised enough to tell whether
 * another firewall can drop what flowguard accepts: a base chain's hook, priority and
 * policy, whether its rules (or the chains they jump to) drop or reject, and which
 * "tcp dport N accept" rules it holds (the shape iptables -p tcp --dport N -j ACCEPT takes).
 * Plain data, so agent/ reads it without libnftnl.
 *
 * Ownership: struct tables owns every string and array in it; tables_free() releases all.
 */
#ifndef FLOWGUARD_TABLES_H
#define FLOWGUARD_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nft.h"

/* The vendor agent opens one or two ports; more "tcp dport N accept" rules are not kept. */
#define TABLES_MAX_PORTS 8

struct tables_table {
	uint8_t family; /* NFPROTO_INET, NFPROTO_IPV4, ... */
	char *name;
	uint32_t flags; /* NFT_TABLE_F_* */
	uint32_t owner; /* owning netlink portid, 0: none */
};

struct tables_chain {
	uint8_t family;
	char *table;
	char *name;
	char *type;	  /* "filter", "nat", "route"; NULL for a regular chain */
	bool base;	  /* attached to a hook */
	uint32_t hooknum; /* NF_INET_LOCAL_OUT, ... (base chains) */
	int32_t priority;
	bool policy_drop;
	unsigned int n_rules;
	unsigned int n_drops;			/* rules of its own ending in drop or reject */
	unsigned int n_vmaps;			/* verdict maps: verdicts not read, may drop */
	uint16_t tcp_accepts[TABLES_MAX_PORTS]; /* "tcp dport N [counter] accept" rules */
	unsigned int n_tcp_accepts;
	size_t *jumps; /* indices into tables.chains of the chains it jumps or goes to */
	size_t n_jumps, cap_jumps;
	/* Base chains only: what the chains reachable through jumps add. */
	unsigned int reach_drops, reach_vmaps;
	const char *drop_via; /* the first reachable chain that drops (borrowed), or NULL */
};

struct tables {
	struct tables_table *tables;
	size_t n_tables, cap_tables;
	struct tables_chain *chains; /* sorted by family, table, name */
	size_t n_chains, cap_chains;
};

/*
 * Reads every table, chain and rule of every family in one consistent view (the generation
 * id is checked around it; an interrupted read is redone a bounded number of times).
 * The caller owns *ret (tables_free). 0, -EINTR (the ruleset kept changing), -EPERM
 * (no CAP_NET_ADMIN) or another -errno.
 */
int tables_dump(struct nft_ctx *ctx, struct tables **ret);
void tables_free(struct tables *t);

/* "ip", "ip6", "inet", "arp", "bridge", "netdev", or "unknown". */
const char *tables_family_name(uint8_t family);
/* The hook's name in nft syntax for that family ("input", "output", "ingress", ...). */
const char *tables_hook_name(uint8_t family, uint32_t hooknum);

#endif
