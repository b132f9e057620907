/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Feature probes. Asking the kernel is the only reliable test: headers and version strings
 * lie (Debian 12's headers lack NFT_TABLE_F_PERSIST that its 6.x kernels have).
 *
 * The table-flag and DESTROYSETELEM probes share one batch that always fails at its last
 * message (deleting a table that does not exist): the kernel still answers each message,
 * so we learn what it accepts, yet the transaction is aborted, leaves nothing behind and
 * does not move the generation id. Only the element-refresh probe has to commit (its effect
 * is visible only afterwards), so it runs on request, on a scratch table it deletes again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netfilter/nf_tables.h>

#include "batch.h"
#include "nft.h"
#include "talk.h"

/* Probe element: TEST-NET-1, never a real destination. */
static const struct rs_elem probe_elem = {
	.addr = { .family = AF_INET, .prefix = 32, .addr = { 192, 0, 2, 1 } },
	.timeout_ms = 3600 * 1000,
};

/* Scratch names: unique per process and socket, so concurrent probes never collide. */
struct scratch {
	char owner[64], persist[64], destroy[64], absent[64];
};

static void scratch_names(const struct nft_ctx *ctx, struct scratch *s)
{
	long pid = (long)getpid();

	snprintf(s->owner, sizeof(s->owner), "fg_probe_%ld_%u_o", pid, ctx->portid);
	snprintf(s->persist, sizeof(s->persist), "fg_probe_%ld_%u_p", pid, ctx->portid);
	snprintf(s->destroy, sizeof(s->destroy), "fg_probe_%ld_%u_d", pid, ctx->portid);
	snprintf(s->absent, sizeof(s->absent), "fg_probe_%ld_%u_none", pid, ctx->portid);
}

/* chain q { type filter hook input priority 0; } with a queue rule, and a compat one. */
static int build_queue_probe(struct nl_batch *b, const char *table)
{
	struct rs_rule rules[2] = {
		{ .queue_num = 1, .icmp_type = -1, .icmp_code = -1, .log_group = -1 }
	};
	struct rs_chain c = { .name = (char *)"q", .rules = rules, .n_rules = 2 };
	struct ruleset t = { .table = (char *)(uintptr_t)table, .chains = &c, .n_chains = 1 };
	int r;

	rules[1] = rules[0];
	rules[1].queue_compat = true;
	r = batch_chain(b, NFT_MSG_NEWCHAIN, table, &c);
	if (r == 0)
		r = batch_rule(b, &t, &c, 0);
	return r ? r : batch_rule(b, &t, &c, 1);
}

/*
 * table T { flags owner }; table T2 { flags owner,persist }; destroy element; the queue
 * rules; delete absent
 */
static int build_probe(struct nl_batch *b, const struct scratch *n, const struct rs_set *set)
{
	struct ruleset t = { 0 };
	const struct rs_elem *e = &probe_elem;
	int r;

	r = batch_begin(b, false, 0);
	t.table = (char *)(uintptr_t)n->owner;
	if (r == 0)
		r = batch_table(b, NFT_MSG_NEWTABLE, &t, NFT_TABLE_F_OWNER);
	t.table = (char *)(uintptr_t)n->persist;
	if (r == 0)
		r = batch_table(b, NFT_MSG_NEWTABLE, &t, NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST);
	t.table = (char *)(uintptr_t)n->destroy;
	if (r == 0)
		r = batch_table(b, NFT_MSG_NEWTABLE, &t, 0);
	if (r == 0)
		r = batch_set(b, NFT_MSG_NEWSET, n->destroy, set);
	if (r == 0)
		r = batch_elems(b, NFT_MSG_DESTROYSETELEM, n->destroy, set, &e, 1, 0);
	if (r == 0)
		r = build_queue_probe(b, n->destroy);
	t.table = (char *)(uintptr_t)n->absent;
	if (r == 0)
		r = batch_table(b, NFT_MSG_DELTABLE, &t, 0);
	return r ? r : batch_end(b);
}

/* Messages in build_probe() order after BATCH_BEGIN. */
enum {
	P_OWNER = 1,
	P_PERSIST,
	P_TABLE,
	P_SET,
	P_DESTROY,
	P_CHAIN,
	P_QUEUE,
	P_QUEUE_COMPAT,
	P_ABSENT,
	P_MAX
};

static int probe_flags(struct nft_ctx *ctx, unsigned int *ret)
{
	struct rs_set set = { .name = (char *)"p", .family = AF_INET, .flags = RS_SET_TIMEOUT };
	struct nft_error err;
	struct scratch n = { 0 };
	struct nl_batch *b;
	int r;

	scratch_names(ctx, &n);
	b = batch_new(ctx->seq + 1);
	if (!b)
		return -ENOMEM;
	r = build_probe(b, &n, &set);
	ctx->seq = b->seq_next;
	if (r == 0)
		r = talk_batch(ctx, b, &err);
	/*
	 * The expected outcome: everything answered, the last message refused. The error
	 * returned is the first one, so a kernel that refuses a flag (EOPNOTSUPP for persist
	 * before 6.9) or an unknown message type (DESTROYSETELEM before 6.3) returns that.
	 */
	if (r < 0 && b->n_objs == P_MAX && b->objs[P_ABSENT].err == -ENOENT) {
		r = b->objs[P_TABLE].err;
		*ret = (b->objs[P_OWNER].err ? 0 : NFT_FEAT_OWNER) |
		       (b->objs[P_PERSIST].err ? 0 : NFT_FEAT_PERSIST) |
		       (b->objs[P_DESTROY].err ? 0 : NFT_FEAT_DESTROY) |
		       (b->objs[P_CHAIN].err || b->objs[P_QUEUE].err ? 0 : NFT_FEAT_QUEUE) |
		       (b->objs[P_CHAIN].err || b->objs[P_QUEUE_COMPAT].err ?
				0 :
				NFT_FEAT_QUEUE_COMPAT);
	} else if (r == 0) {
		r = -EPROTO; /* the kernel committed a batch it should have refused */
	}
	batch_free(b);
	return r;
}

static int one_elem(struct nft_ctx *ctx, const char *table, const struct rs_set *set,
		    const struct rs_elem *e, bool create)
{
	struct ruleset t = { .table = (char *)(uintptr_t)table };
	struct nft_error err;
	struct nl_batch *b;
	int r;

	b = batch_new(ctx->seq + 1);
	if (!b)
		return -ENOMEM;
	r = batch_begin(b, false, 0);
	if (r == 0 && create)
		r = batch_table(b, NFT_MSG_NEWTABLE, &t, 0);
	if (r == 0 && create)
		r = batch_set(b, NFT_MSG_NEWSET, table, set);
	if (r == 0)
		r = batch_elems(b, NFT_MSG_NEWSETELEM, table, set, &e, 1,
				create ? 0 : BATCH_ELEM_REFRESH);
	if (r == 0)
		r = batch_end(b);
	ctx->seq = b->seq_next;
	if (r == 0)
		r = talk_batch(ctx, b, &err);
	batch_free(b);
	return r;
}

/* Whether re-adding a live element with an expiration re-arms it (kernel 6.10). */
static bool probe_refresh(struct nft_ctx *ctx)
{
	struct rs_set set = { .name = (char *)"p", .family = AF_INET, .flags = RS_SET_TIMEOUT };
	struct rs_elem shorter = probe_elem;
	struct nft_error err;
	struct scratch n = { 0 };
	bool ok = false;

	scratch_names(ctx, &n);
	shorter.timeout_ms = 60 * 1000;
	if (one_elem(ctx, n.destroy, &set, &probe_elem, true) == 0 &&
	    one_elem(ctx, n.destroy, &set, &shorter, false) == 0 &&
	    nft_dump_set_elems(ctx, n.destroy, &set) == 0 && set.n_elems == 1)
		ok = set.elems[0].expires_ms <= 60 * 1000;
	nft_delete_table(ctx, n.destroy, &err);
	free(set.elems ? set.elems[0].comment : NULL);
	free(set.elems);
	return ok;
}

#define FEAT_BATCH                                                               \
	(NFT_FEAT_OWNER | NFT_FEAT_PERSIST | NFT_FEAT_DESTROY | NFT_FEAT_QUEUE | \
	 NFT_FEAT_QUEUE_COMPAT)

/* Keeps what is known already (learnt from a refusal, or forced off by the caller). */
static void learn(struct nft_ctx *ctx, unsigned int mask, unsigned int f)
{
	mask &= ~ctx->known;
	ctx->features = (ctx->features & ~mask) | (f & mask);
	ctx->known |= mask;
}

int nft_probe(struct nft_ctx *ctx, unsigned int what)
{
	unsigned int f = 0;
	int r;

	if ((ctx->known & FEAT_BATCH) != FEAT_BATCH) {
		r = probe_flags(ctx, &f);
		if (r < 0)
			return r; /* no nf_tables, or no CAP_NET_ADMIN: nothing else can work */
		learn(ctx, FEAT_BATCH, f);
	}
	if ((what & NFT_FEAT_ELEM_REFRESH) && !(ctx->known & NFT_FEAT_ELEM_REFRESH))
		learn(ctx, NFT_FEAT_ELEM_REFRESH, probe_refresh(ctx) ? NFT_FEAT_ELEM_REFRESH : 0);
	return 0;
}

int nft_fit_queue(struct nft_ctx *ctx, struct ruleset *rs)
{
	bool any = false, compat;
	size_t i, j;
	int r;

	for (i = 0; i < rs->n_chains; i++)
		for (j = 0; j < rs->chains[i].n_rules; j++)
			any |= rs->chains[i].rules[j].queue_num >= 0;
	if (!any)
		return 0;
	if ((ctx->known & FEAT_BATCH) != FEAT_BATCH && (r = nft_probe(ctx, 0)) < 0)
		return r;
	if (!(ctx->features & (NFT_FEAT_QUEUE | NFT_FEAT_QUEUE_COMPAT)))
		return -EOPNOTSUPP;
	compat = !(ctx->features & NFT_FEAT_QUEUE);
	for (i = 0; i < rs->n_chains; i++)
		for (j = 0; j < rs->chains[i].n_rules; j++)
			rs->chains[i].rules[j].queue_compat = compat;
	return 0;
}
