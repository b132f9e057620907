/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The desired-ruleset IR: plain C data, no libnftnl or libmnl types.
 *
 * policies/ compiles a policy into this; netlink/ turns it into one nf_tables batch and
 * dumps the kernel's table back into it; ruleset_print_nft() renders it as nft syntax.
 * A rule is a fixed sequence of optional matches (rs_rule), not a free expression list:
 * flowguard only ever needs these, and a fixed shape keeps the text printer and the
 * bytecode builder in lock-step.
 *
 * Ownership: a struct ruleset owns every string, set, element, chain and rule in it;
 * ruleset_free() releases the whole graph.
 */
#ifndef FLOWGUARD_RULESET_H
#define FLOWGUARD_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* nft's NFT_NAME_MAXLEN is 256; ours are generated and stay short, and nft list stays readable. */
#define RS_NAME_MAX 64
/* nft's NFTNL_UDATA_COMMENT_MAXLEN: the kernel stores at most this many comment bytes. */
#define RS_COMMENT_MAX 128
#define RS_IFNAME_MAX 16

#ifndef NFT_TABLE_F_OWNER
#define NFT_TABLE_F_OWNER 0x2
#endif
/* Not in Debian 12's linux-libc-dev 6.1 headers; kernels from 6.9 on know it. */
#ifndef NFT_TABLE_F_PERSIST
#define NFT_TABLE_F_PERSIST 0x4
#endif

struct rs_addr {
	uint8_t family;	  /* AF_INET or AF_INET6 */
	uint8_t prefix;	  /* 32 or 128 for a single address */
	uint8_t addr[16]; /* network byte order; host bits are zero */
};

struct rs_elem {
	struct rs_addr addr;
	uint64_t timeout_ms; /* 0: none (or the set's default) */
	uint64_t expires_ms; /* read back from the kernel only; 0 when unknown */
	char *comment;	     /* the FQDN for resolved addresses; NULL: none */
};

enum {
	RS_SET_INTERVAL = 1U << 0, /* flags interval: holds prefixes */
	RS_SET_TIMEOUT = 1U << 1,  /* flags timeout: resolved addresses age out in the kernel */
};

struct rs_set {
	char *name;
	uint8_t family; /* AF_INET: type ipv4_addr; AF_INET6: type ipv6_addr */
	unsigned int flags;
	char *comment;
	char *origin;  /* policy item that made it ("file:line:col (id)"), for error mapping */
	bool dynamic;  /* filled from DNS at run time; plan prints it empty */
	uint32_t size; /* nft's "size N": the kernel's element limit; 0 = none (rs_set_fit_size()) */
	struct rs_elem *elems;
	size_t n_elems, cap_elems;
};

enum rs_verdict { RS_VERDICT_NONE, RS_VERDICT_ACCEPT, RS_VERDICT_DROP };
enum rs_dir { RS_DIR_NONE, RS_DIR_SRC, RS_DIR_DST };

/* ct state bits, as the kernel's NF_CT_STATE_BIT() values. */
enum {
	RS_CT_INVALID = 1U << 0,
	RS_CT_ESTABLISHED = 1U << 1,
	RS_CT_RELATED = 1U << 2,
	RS_CT_NEW = 1U << 3,
};

/*
 * Matches are emitted in field order; a zero/empty field does not match. nfproto is
 * implied by a set lookup or an ICMP type and only needs setting on its own for
 * rules such as DHCPv6 ("meta nfproto ipv6 udp sport 546 udp dport 547").
 */
struct rs_rule {
	char iifname[RS_IFNAME_MAX]; /* iifname "lo" */
	char oifname[RS_IFNAME_MAX]; /* oifname "lo" */
	unsigned int ct_state;	     /* ct state established,related */
	uint8_t nfproto;	     /* NFPROTO_IPV4/IPV6: meta nfproto ipv4 */
	enum rs_dir set_dir;	     /* ip daddr @set / ip6 saddr @set */
	char *set;		     /* named set looked up; family from the set */
	uint8_t l4proto;	     /* IPPROTO_TCP/UDP/ICMP/ICMPV6 */
	uint16_t sport, dport;	     /* tcp dport 443 (host order) */
	int icmp_type,
		icmp_code; /* icmp type destination-unreachable icmp code frag-needed; -1: any */
	bool counter;
	uint64_t packets, bytes; /* the counter's values; read back from the kernel only */
	uint32_t limit_rate;	 /* limit rate N/second burst B packets; 0: none */
	uint32_t limit_burst;
	char *log_prefix;     /* log prefix "..."; NULL: no log */
	int32_t log_group;    /* log prefix "..." group N (NFLOG, 0-65535); -1: kernel log */
	uint32_t log_snaplen; /* log ... snaplen N: bytes of each packet copied to NFLOG; 0: unset */
	int32_t queue_num; /* queue flags bypass to N (NFQUEUE; no listener: the packet goes on); -1: none */
	bool queue_compat; /* that queue as xt target NFQUEUE rev 3, for kernels without nft_queue */
	enum rs_verdict verdict;
	char *comment;
	char *origin;
};

enum rs_hook { RS_HOOK_INPUT, RS_HOOK_OUTPUT };

struct rs_chain {
	char *name;
	enum rs_hook hook;
	int priority;
	enum rs_verdict policy;
	char *comment;
	struct rs_rule *rules;
	size_t n_rules, cap_rules;
};

struct ruleset {
	char *table;	    /* family is always inet */
	unsigned int flags; /* NFT_TABLE_F_*; set by netlink/, never printed by plan */
	uint32_t owner;	    /* read back: the owning socket's portid when flags has owner */
	char *comment;
	struct rs_set *sets;
	size_t n_sets, cap_sets;
	struct rs_chain *chains;
	size_t n_chains, cap_chains;
};

/* Returns a new empty ruleset for "table inet NAME", or NULL on OOM. */
struct ruleset *ruleset_new(const char *table);
void ruleset_free(struct ruleset *rs);

/*
 * Appends an empty set / chain; the returned pointer is borrowed and stays valid only
 * until the next add of the same kind. NULL on OOM.
 */
struct rs_set *ruleset_add_set(struct ruleset *rs, const char *name, uint8_t family,
			       unsigned int flags);
struct rs_chain *ruleset_add_chain(struct ruleset *rs, const char *name, enum rs_hook hook,
				   int priority, enum rs_verdict policy);

/* Copies *elem (and its comment) into the set. 0 or -ENOMEM. */
int rs_set_add_elem(struct rs_set *set, const struct rs_elem *elem);
/*
 * Room for n more elements in one allocation, when the caller knows how many come: growing
 * by doubling copies a large set about twice and touches twice the fresh pages. 0 or -ENOMEM.
 */
int rs_set_reserve(struct rs_set *set, size_t n);
/* Returns a zeroed rule (icmp fields, log_group and queue_num -1) owned by the chain, or NULL on OOM. */
struct rs_rule *rs_chain_add_rule(struct rs_chain *chain);

struct rs_set *ruleset_find_set(const struct ruleset *rs, const char *name);
struct rs_chain *ruleset_find_chain(const struct ruleset *rs, const char *name);

/* Replaces *dst with a copy of src (NULL allowed). 0 or -ENOMEM. */
int rs_strset(char **dst, const char *src);

/* Sorts elements by (family, address, prefix) and drops exact duplicates. */
void rs_set_sort(struct rs_set *set);
int rs_addr_cmp(const struct rs_addr *a, const struct rs_addr *b);
/* Whether a sorted set (rs_set_sort) holds exactly the address a; binary search. */
bool rs_set_has(const struct rs_set *set, const struct rs_addr *a);
/* True if b (an address or prefix) lies inside prefix a. */
bool rs_addr_covers(const struct rs_addr *a, const struct rs_addr *b);
/*
 * Sorts, then drops every prefix that lies inside an earlier one (10.1.0.0/16 after
 * 10.0.0.0/8): an interval set refuses overlapping elements.
 */
void rs_set_drop_covered(struct rs_set *set);
/*
 * Gives a large static hash set its size (see RS_SET_SIZED_MIN); other sets get none. Called
 * once the set holds its final elements.
 */
void rs_set_fit_size(struct rs_set *set);

/*
 * Parses "192.0.2.1", "2001:db8::/32", "10.0.0.0/8" into *ret. 0 on success; -EINVAL if
 * not an address; -ERANGE if host bits are set beyond the prefix (the caller decides
 * whether to normalise: *ret then holds the masked network).
 */
int rs_addr_parse(const char *s, struct rs_addr *ret);
/* Formats an address as nft prints it ("10.0.0.0/8", "192.0.2.1"). buf >= 64 bytes. */
const char *rs_addr_format(const struct rs_addr *a, char *buf, size_t len);

/*
 * One rule as nft syntax, as it appears in a chain ("ip daddr @x tcp dport 443 counter
 * accept comment \"...\""), into a malloc'ed *ret_text. 0, -ENOENT (its set is not in rs), -ENOMEM.
 */
int ruleset_format_rule(const struct ruleset *rs, const struct rs_rule *r, char **ret_text);

/* Writes the ruleset as an nft script that "nft -f" accepts. 0 or -errno (I/O). */
int ruleset_print_nft(const struct ruleset *rs, FILE *out);

/* What a caller adds to the printed script: '#' lines nft skips. */
struct rs_print_hooks {
	/* Lines printed first in each set's block ("\t\t# ...\n"). */
	void (*set_lines)(FILE *out, const struct rs_set *set, const void *data);
	const void *data;
};
int ruleset_print_nft_hooks(const struct ruleset *rs, const struct rs_print_hooks *h, FILE *out);

#endif
