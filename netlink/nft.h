/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The wire API: one libmnl socket talking nf_tables, driven by the ruleset IR.
 *
 * Every change is one batch (NFNL_MSG_BATCH_BEGIN .. END) that the kernel applies
 * atomically; every message carries NLM_F_ACK and its own seq, and every ACK is drained
 * and checked (seq range, portid, extended ACK). Errors come back as -errno plus a
 * struct nft_error naming the IR object (and policy item) the kernel refused.
 * No file-scope state: everything lives in struct nft_ctx.
 */
#ifndef FLOWGUARD_NFT_H
#define FLOWGUARD_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ruleset.h"
#include "setdiff.h"

struct mnl_socket;

/* Kernel features found by nft_probe(). */
enum {
	NFT_FEAT_OWNER = 1U << 0,	 /* NFT_TABLE_F_OWNER (5.12) */
	NFT_FEAT_PERSIST = 1U << 1,	 /* NFT_TABLE_F_PERSIST (6.9) */
	NFT_FEAT_DESTROY = 1U << 2,	 /* NFT_MSG_DESTROYSETELEM (6.3) */
	NFT_FEAT_ELEM_REFRESH = 1U << 3, /* NEWSETELEM with an expiration re-arms a live element */
	NFT_FEAT_QUEUE = 1U << 4,	 /* nft_queue: the queue expression */
	NFT_FEAT_QUEUE_COMPAT = 1U << 5, /* nft_compat with xt_NFQUEUE rev 3 (iptables-nft's way) */
};

struct nft_ctx {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq; /* last seq used */
	unsigned int features;
	unsigned int known; /* NFT_FEAT_* bits whose value in features is established */
	char *buf;	    /* receive buffer */
	size_t buf_len;
	bool debug; /* dump every outgoing batch to stderr (mnl_nlmsg_fprintf) */
};

#define NFT_ERR_MSG_MAX 256
#define NFT_ERR_OBJ_MAX 512

struct nft_error {
	int err;	 /* -errno of the first failure */
	uint32_t seq;	 /* message the kernel refused; 0 if not a batch message */
	uint32_t offset; /* extended ACK: offending attribute's offset in that message; 0: none */
	char msg[NFT_ERR_MSG_MAX];    /* extended ACK text, or "" */
	char object[NFT_ERR_OBJ_MAX]; /* "set 'x' (file:line:col (id))", or "" */
};

/* Opens and binds the socket (NETLINK_EXT_ACK and NETLINK_CAP_ACK on). 0 or -errno. */
int nft_open(struct nft_ctx *ret_ctx);
void nft_close(struct nft_ctx *ctx);

/*
 * Sets the ctx->features not yet in ctx->known from what the kernel accepts, and marks
 * them known. Owner, persist, DESTROYSETELEM and both ways to queue are probed in one batch that the kernel
 * always aborts (no trace, generation id unchanged), at a price: the kernel's abort path
 * waits for RCU, 8-16 ms. NFT_FEAT_ELEM_REFRESH only if asked for in what, as it has to
 * commit (on a scratch table with a unique name, deleted again). The caller may clear bits
 * afterwards (tests force the paths without them). 0 or -errno (e.g. -EPERM without
 * CAP_NET_ADMIN).
 *
 * A process need not probe. Unknown features are then learnt when needed: DESTROYSETELEM
 * by nft_set_apply_diff() on its first delete (a commit deletes with DELSETELEM and
 * re-reads on ENOENT); persist from the kernel's refusal of a commit's table flags
 * (see nft_commit_ruleset()).
 */
int nft_probe(struct nft_ctx *ctx, unsigned int what);

/*
 * Fits the queue rules of rs (rs_rule.queue_num) to the kernel: nft_queue where it has
 * it, else the compat target (queue_compat); probes first if that is not known. 0, or
 * -EOPNOTSUPP when the kernel can do neither (rs unchanged).
 */
int nft_fit_queue(struct nft_ctx *ctx, struct ruleset *rs);

/* The ruleset generation id (NFT_MSG_GETGEN). 0 or -errno. */
int nft_genid(struct nft_ctx *ctx, uint32_t *ret_genid);

/* What the kernel says about table inet NAME: its flags and owning portid (0: none). */
struct nft_table_state {
	uint32_t flags;
	uint32_t owner;
};
/* 0, -ENOENT if there is no such table, or -errno. */
int nft_table_state(struct nft_ctx *ctx, const char *table, struct nft_table_state *ret);

/*
 * Reads table inet NAME back into a new IR: chains, rules, sets and elements with their
 * comments, timeouts and expiry. Rules flowguard would not generate are kept with a comment
 * that says so ("[unrecognised: meta cmp ...]"), so a comparison never hides them.
 * The caller owns *ret_rs. 0, -ENOENT (no table), -EINTR (changed while dumping), -errno.
 */
int nft_dump_table(struct nft_ctx *ctx, const char *table, struct ruleset **ret_rs);
/*
 * The same for a transaction: 0 with *ret_rs NULL when there is no such table, and the
 * generation id the read belongs to, for the batch that acts on it (NFNL_BATCH_GENID).
 */
int nft_read_table(struct nft_ctx *ctx, const char *table, struct ruleset **ret_rs,
		   uint32_t *ret_genid);

/*
 * Makes table inet desired->table equal to desired, with table flags co->table_flags, in one
 * batch guarded by the generation id: a fresh read, a comparison, and only the changes
 * (a rebuild of changed chains and sets, element diffs for the rest; the whole table only
 * if its flags or comment cannot be updated). Retries a bounded number of times when
 * another process changed the ruleset meanwhile. Dynamic sets' elements are replaced too,
 * and their timeouts re-armed (co->refresh_timeouts). *ret_changed (may be NULL) says whether
 * a batch was sent. 0 or -errno with *err filled.
 *
 * If persist is not known and the kernel refuses the table message of a batch that sets
 * NFT_TABLE_F_PERSIST with -EOPNOTSUPP (an unknown table flag) or -EINVAL (what older
 * kernels gave), the whole batch was aborted: NFT_FEAT_PERSIST is then known to be absent, and
 * the caller may commit again with other flags.
 */
struct nft_commit_opts {
	uint32_t table_flags;  /* NFT_TABLE_F_OWNER / _PERSIST as the caller decided */
	bool refresh_timeouts; /* re-arm the timeouts of elements that are already there */
	bool keep_orphan;      /* one-shot: an orphaned persist table is not adopted */
};
int nft_commit_ruleset(struct nft_ctx *ctx, const struct ruleset *desired,
		       const struct nft_commit_opts *co, bool *ret_changed, struct nft_error *err);

/*
 * Applies one element diff of set (in table inet TABLE) in one batch. Idempotent: deletes
 * use DESTROYSETELEM where the kernel has it; otherwise an ENOENT makes it re-read the set,
 * recompute against d's desired side and retry once. 0 or -errno with *err filled.
 */
int nft_set_apply_diff(struct nft_ctx *ctx, const char *table, const struct rs_set *set,
		       const struct setdiff *d, struct nft_error *err);
/* The diffs d[i] of sets[i] (n of them) in one batch, as nft_set_apply_diff() does one. */
int nft_sets_apply_diffs(struct nft_ctx *ctx, const char *table, const struct rs_set *const *sets,
			 const struct setdiff *d, size_t n, struct nft_error *err);

/*
 * Appends the kernel's elements of set (looked up by name, decoded by its family and flags)
 * to set->elems, sorted; interval starts and ends come back as prefixes. 0 or -errno.
 */
int nft_dump_set_elems(struct nft_ctx *ctx, const char *table, struct rs_set *set);

/* Deletes table inet NAME in one batch. 0, -ENOENT, -EPERM (owned by another socket). */
int nft_delete_table(struct nft_ctx *ctx, const char *table, struct nft_error *err);

#endif
