/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One nf_tables transaction in memory: NFNL_MSG_BATCH_BEGIN .. END in a contiguous buffer,
 * built from the IR through libnftnl objects, plus the seq -> object table that maps a
 * kernel error back to the set, chain or rule (and policy item) that caused it.
 * Pure: no socket. Internal to netlink/ (and its unit tests).
 */
#ifndef FLOWGUARD_BATCH_H
#define FLOWGUARD_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ruleset.h"
#include "setdiff.h"

/* Kernel 6.3 added the DESTROY* messages (delete, no error if absent); Debian 12's headers lack them. */
#ifndef NFT_MSG_DESTROYTABLE
#define NFT_MSG_DESTROYTABLE 26
#define NFT_MSG_DESTROYSETELEM 30
#endif

/* What one message of the batch stands for. Strings are borrowed from the IR. */
struct nl_batch_obj {
	uint32_t seq;
	uint16_t type;	    /* NFT_MSG_*, or NFNL_MSG_BATCH_BEGIN */
	const char *kind;   /* "table", "set", "elements", "chain", "rule", "batch" */
	const char *name;   /* object name; for a rule, its chain */
	const char *origin; /* policy item ("file:line:col (id)"), may be NULL */
	const char *comment;
	size_t index; /* rule number in its chain; first element of the message */
	size_t count; /* elements in the message */
	int err;      /* filled by talk_batch(): the kernel's answer to this message */
};

struct nl_batch {
	char *buf;
	size_t len, cap;
	size_t zeroed;	    /* buf[len, zeroed) is zero: the room the next message may use */
	uint32_t seq_first; /* BATCH_BEGIN's seq; every other message follows it */
	uint32_t seq_next;
	unsigned int n_msgs; /* messages between BATCH_BEGIN and BATCH_END; 0: nothing to send */
	size_t last;	     /* offset of the last of them */
	uint32_t seq_acked;  /* its seq: batch_end() asks the kernel to ACK it */
	uint32_t set_id;
	struct nl_batch_obj *objs;
	size_t n_objs, cap_objs;
};

enum {
	BATCH_ELEM_ZERO_END = 1U << 0, /* a new interval set: nft also sends 0.0.0.0 interval-end */
	BATCH_ELEM_REFRESH = 1U << 1,  /* also send the expiration: re-arms a live element */
};

/* The libnftnl objects a message carries (or a dump reads, talk_dump_objs()). */
enum nl_obj_kind { NL_OBJ_TABLE, NL_OBJ_CHAIN, NL_OBJ_RULE, NL_OBJ_SET };

/* Frees a struct nftnl_table, _chain, _rule or _set, as kind says; NULL is fine. */
void batch_obj_free(enum nl_obj_kind kind, void *obj);

/* Returns an empty batch whose first message gets seq; NULL on OOM. */
struct nl_batch *batch_new(uint32_t seq);
void batch_free(struct nl_batch *b);

/* BATCH_BEGIN; with_genid: the kernel refuses it (ERESTART) unless the ruleset is at genid. */
int batch_begin(struct nl_batch *b, bool with_genid, uint32_t genid);
int batch_end(struct nl_batch *b);

/* NEWTABLE (no NLM_F_EXCL: updates flags of an existing one) or DELTABLE. */
int batch_table(struct nl_batch *b, uint16_t type, const struct ruleset *rs, uint32_t flags);
int batch_set(struct nl_batch *b, uint16_t type, const char *table, const struct rs_set *set);
/*
 * NEWSETELEM / DELSETELEM / DESTROYSETELEM for elems (pointers into any IR), split across
 * messages before the element nest overflows its u16 length.
 */
int batch_elems(struct nl_batch *b, uint16_t type, const char *table, const struct rs_set *set,
		const struct rs_elem *const *elems, size_t n, unsigned int flags);
/* All elements of set, as at creation. */
int batch_set_elems(struct nl_batch *b, const char *table, const struct rs_set *set);
int batch_chain(struct nl_batch *b, uint16_t type, const char *table, const struct rs_chain *c);
/* DELRULE without a handle: flushes the chain. */
int batch_chain_flush(struct nl_batch *b, const char *table, const struct rs_chain *c);
/* NEWRULE (append) for rule number idx of chain c. */
int batch_rule(struct nl_batch *b, const struct ruleset *rs, const struct rs_chain *c, size_t idx);

/*
 * The messages of one set diff: adds, then deletes (DESTROYSETELEM when use_destroy),
 * refreshes (re-add with expiration when can_refresh, else delete + add) and replacements
 * (delete + add). One transaction, so a refreshed element is never absent.
 */
int batch_setdiff(struct nl_batch *b, const char *table, const struct rs_set *set,
		  const struct setdiff *d, bool use_destroy, bool can_refresh);

/* The object a seq belongs to, or NULL when it is outside this batch. */
struct nl_batch_obj *batch_find(struct nl_batch *b, uint32_t seq);
/* "set 'swp_v4' (policies/catalog/swp.yaml:12:5 (flow x))" */
void batch_describe(const struct nl_batch_obj *o, char *buf, size_t len);

#endif
