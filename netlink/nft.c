/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket lifetime, feature probes, and the transactions: commit, set diff, delete. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>

#include "nft.h"
#include "txn.h"
#include "rscmp.h"
#include "talk.h"

/* Big enough for the largest dump message the kernel builds for a large receive buffer. */
#define NFT_RECV_BUF (256 * 1024)
/* Socket receive buffer: ACKs of a big batch and dump bursts; nft uses similar sizes. */
#define NFT_RCVBUF_SIZE (16 * 1024 * 1024)
/* Fresh read + compare + commit attempts when another process keeps changing the ruleset. */
#define COMMIT_RETRIES 4

static void set_bufsize(struct mnl_socket *nl, int force, int plain, size_t size)
{
	int v = size > (size_t)(1 << 30) ? 1 << 30 : (int)size;
	int fd = mnl_socket_get_fd(nl);

	/* FORCE needs CAP_NET_ADMIN, which we need anyway; the plain one is capped by sysctl. */
	if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, plain, &v, sizeof(v));
}

int nft_open(struct nft_ctx *ret_ctx)
{
	struct nft_ctx c = { 0 };
	int one = 1, r;

	c.nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!c.nl)
		return -errno;
	if (mnl_socket_bind(c.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out_close;
	}
	/* Both are optional: without them errors still arrive, just less detailed or bigger. */
	mnl_socket_setsockopt(c.nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(c.nl, NETLINK_CAP_ACK, &one, sizeof(one));
	set_bufsize(c.nl, SO_RCVBUFFORCE, SO_RCVBUF, NFT_RCVBUF_SIZE);
	c.buf_len = NFT_RECV_BUF;
	c.buf = malloc(c.buf_len);
	if (!c.buf) {
		r = -ENOMEM;
		goto out_close;
	}
	c.portid = mnl_socket_get_portid(c.nl);
	c.seq = (uint32_t)time(NULL);
	*ret_ctx = c;
	return 0;
out_close:
	mnl_socket_close(c.nl);
	return r;
}

void nft_close(struct nft_ctx *ctx)
{
	if (!ctx || !ctx->nl)
		return;
	mnl_socket_close(ctx->nl);
	free(ctx->buf);
	ctx->nl = NULL;
	ctx->buf = NULL;
}

/* Sends a built batch: sizes the send buffer, keeps ctx->seq past the batch's seqs. */
static int send_batch(struct nft_ctx *ctx, struct nl_batch *b, struct nft_error *err)
{
	set_bufsize(ctx->nl, SO_SNDBUFFORCE, SO_SNDBUF, b->len + 65536);
	ctx->seq = b->seq_next;
	return talk_batch(ctx, b, err);
}

static struct nl_batch *new_batch(struct nft_ctx *ctx)
{
	return batch_new(ctx->seq + 1);
}

int nft_delete_table(struct nft_ctx *ctx, const char *table, struct nft_error *err)
{
	struct ruleset rs = { .table = (char *)(uintptr_t)table };
	struct nl_batch *b;
	int r;

	memset(err, 0, sizeof(*err));
	b = new_batch(ctx);
	if (!b)
		return -ENOMEM;
	r = batch_begin(b, false, 0);
	if (r == 0)
		r = batch_table(b, NFT_MSG_DELTABLE, &rs, 0);
	if (r == 0)
		r = batch_end(b);
	if (r == 0)
		r = send_batch(ctx, b, err);
	batch_free(b);
	return r;
}

/* Fails with -EPERM and a readable error if another socket owns the table read (cur). */
static int check_owner(const struct nft_ctx *ctx, const struct ruleset *cur, struct nft_error *err)
{
	if (!cur || !(cur->flags & NFT_TABLE_F_OWNER) || cur->owner == ctx->portid)
		return 0;
	err->err = -EPERM;
	snprintf(err->object, sizeof(err->object), "table '%s'", cur->table);
	snprintf(err->msg, sizeof(err->msg), "owned by another process (netlink portid %u)",
		 cur->owner);
	return -EPERM;
}

/*
 * Reads the table (NULL if absent) canonically, with the genid that read belongs to: the
 * batch carries it, so whatever changed after the read makes the kernel refuse the batch.
 */
static int read_current(struct nft_ctx *ctx, const char *table, struct ruleset **ret_cur,
			uint32_t *ret_genid)
{
	struct ruleset *raw = NULL;
	int r;

	*ret_cur = NULL;
	r = nft_read_table(ctx, table, &raw, ret_genid);
	if (r == 0 && raw) {
		*ret_cur = rscmp_canonical(raw, RSCMP_DROP_EXPIRY);
		if (!*ret_cur)
			r = -ENOMEM;
	}
	ruleset_free(raw);
	return r;
}

/*
 * Whether the kernel refused the table flags of batch b because it lacks persist: the
 * table message failed with the error a kernel gives for a flag it does not know. Then
 * that is known, and the caller can try other flags (the whole batch was aborted).
 */
static bool persist_refused(struct nft_ctx *ctx, struct nl_batch *b, uint32_t flags, int r,
			    const struct nft_error *err)
{
	const struct nl_batch_obj *o = batch_find(b, err->seq);

	if ((r != -EOPNOTSUPP && r != -EINVAL) || !o || o->type != NFT_MSG_NEWTABLE ||
	    !(flags & NFT_TABLE_F_PERSIST) || (ctx->known & NFT_FEAT_PERSIST))
		return false;
	ctx->known |= NFT_FEAT_PERSIST;
	ctx->features &= ~(unsigned int)NFT_FEAT_PERSIST;
	return true;
}

static int commit_once(struct nft_ctx *ctx, struct ruleset *want, const struct txn_opts *po,
		       bool *sent, struct nft_error *err)
{
	struct txn_opts o = *po;
	struct ruleset *cur = NULL;
	struct nl_batch *b = NULL;
	int r;

	*sent = false;
	r = read_current(ctx, want->table, &cur, &o.genid);
	if (r == 0)
		r = check_owner(ctx, cur, err);
	if (r == 0 && cur)
		rscmp_copy_dynamic(cur, want);
	if (r == 0 && !(b = new_batch(ctx)))
		r = -ENOMEM;
	if (r == 0)
		r = txn_build(b, cur, want, &o);
	if (r == 0 && b->n_msgs) {
		*sent = true;
		r = send_batch(ctx, b, err);
		if (r < 0 && persist_refused(ctx, b, o.table_flags, r, err))
			*sent = false;
	}
	batch_free(b);
	ruleset_free(cur);
	return r;
}

/* Worth another fresh read: the ruleset moved, ACKs were lost, an element expired. */
static bool retryable(int r, const struct nft_ctx *ctx)
{
	if (r == -ERESTART || r == -EINTR || r == -ENOBUFS)
		return true;
	return r == -ENOENT && !(ctx->features & NFT_FEAT_DESTROY);
}

int nft_commit_ruleset(struct nft_ctx *ctx, const struct ruleset *desired,
		       const struct nft_commit_opts *co, bool *ret_changed, struct nft_error *err)
{
	struct txn_opts o = {
		.table_flags = co->table_flags,
		.with_genid = true,
		.use_destroy = ctx->features & NFT_FEAT_DESTROY,
		.can_refresh = ctx->features & NFT_FEAT_ELEM_REFRESH,
		.refresh_timeouts = co->refresh_timeouts,
		.keep_orphan = co->keep_orphan,
	};
	bool sent = false, any = false;
	struct ruleset *want;
	int r = -ERESTART, i;

	memset(err, 0, sizeof(*err));
	want = rscmp_canonical(desired, 0);
	if (!want)
		return -ENOMEM;
	want->flags = co->table_flags;
	r = nft_fit_queue(ctx, want);
	if (r < 0) {
		snprintf(err->msg, sizeof(err->msg),
			 "the kernel has neither nft_queue nor "
			 "nft_compat with xt_NFQUEUE");
		ruleset_free(want);
		return r;
	}
	r = -ERESTART;
	for (i = 0; i < COMMIT_RETRIES && retryable(r, ctx); i++) {
		memset(err, 0, sizeof(*err));
		r = commit_once(ctx, want, &o, &sent, err);
		any |= sent;
	}
	ruleset_free(want);
	if (r == 0 && ret_changed)
		*ret_changed = any;
	return r;
}

/* The diffs of n sets in one transaction. */
static int send_diffs(struct nft_ctx *ctx, const char *table, const struct rs_set *const *sets,
		      const struct setdiff *d, size_t n, struct nft_error *err)
{
	struct nl_batch *b;
	size_t i;
	int r;

	b = new_batch(ctx);
	if (!b)
		return -ENOMEM;
	r = batch_begin(b, false, 0);
	for (i = 0; r == 0 && i < n; i++)
		r = batch_setdiff(b, table, sets[i], &d[i], ctx->features & NFT_FEAT_DESTROY,
				  ctx->features & NFT_FEAT_ELEM_REFRESH);
	if (r == 0)
		r = batch_end(b);
	if (r == 0 && b->n_msgs)
		r = send_batch(ctx, b, err);
	batch_free(b);
	return r;
}

/* Splits v into the elements the kernel still has (*keep) and those it lost (*lost). */
static void split_present(const struct rs_set *cur, const struct rs_elem *const *v, size_t n,
			  const struct rs_elem **keep, size_t *nk, const struct rs_elem **lost,
			  size_t *nl)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (rs_set_has(cur, &v[i]->addr))
			keep[(*nk)++] = v[i];
		else if (lost)
			lost[(*nl)++] = v[i];
	}
}

/* Re-plans d against the kernel's current elements: gone ones are not deleted, only re-added. */
static int replan(const struct rs_set *cur, const struct setdiff *d, struct setdiff *e)
{
	size_t n = d->n_add + d->n_refresh + d->n_replace;

	memset(e, 0, sizeof(*e));
	e->add = malloc((n + 1) * sizeof(*e->add));
	e->del = malloc((d->n_del + 1) * sizeof(*e->del));
	e->refresh = malloc((d->n_refresh + 1) * sizeof(*e->refresh));
	e->replace = malloc((d->n_replace + 1) * sizeof(*e->replace));
	if (!e->add || !e->del || !e->refresh || !e->replace)
		return -ENOMEM;
	memcpy(e->add, d->add, d->n_add * sizeof(*e->add));
	e->n_add = d->n_add;
	split_present(cur, d->del, d->n_del, e->del, &e->n_del, NULL, NULL);
	split_present(cur, d->refresh, d->n_refresh, e->refresh, &e->n_refresh, e->add, &e->n_add);
	split_present(cur, d->replace, d->n_replace, e->replace, &e->n_replace, e->add, &e->n_add);
	return 0;
}

/* Without DESTROYSETELEM a vanished element fails the batch: re-read and send the rest. */
static int retry_diff(struct nft_ctx *ctx, const char *table, const struct rs_set *set,
		      const struct setdiff *d, struct nft_error *err)
{
	struct setdiff e = { 0 };
	struct ruleset *tmp;
	struct rs_set *cur;
	int r = -ENOMEM;

	tmp = ruleset_new(table);
	cur = tmp ? ruleset_add_set(tmp, set->name, set->family, set->flags) : NULL;
	if (cur)
		r = nft_dump_set_elems(ctx, table, cur);
	if (r == 0)
		r = replan(cur, d, &e);
	if (r == 0) {
		memset(err, 0, sizeof(*err));
		r = send_diffs(ctx, table, &set, &e, 1, err);
	}
	setdiff_clear(&e);
	ruleset_free(tmp);
	return r;
}

int nft_sets_apply_diffs(struct nft_ctx *ctx, const char *table, const struct rs_set *const *sets,
			 const struct setdiff *d, size_t n, struct nft_error *err)
{
	bool deletes = false;
	size_t i;
	int r;

	memset(err, 0, sizeof(*err));
	for (i = 0; i < n; i++)
		deletes |= d[i].n_del || d[i].n_replace || d[i].n_refresh;
	/* DESTROYSETELEM matters only to deletes: probe it the first time one may be due. */
	if (deletes && !(ctx->known & NFT_FEAT_DESTROY) && nft_probe(ctx, 0) < 0) {
		ctx->known |= NFT_FEAT_DESTROY; /* the ENOENT re-read below copes without */
		ctx->features &= ~(unsigned int)NFT_FEAT_DESTROY;
	}
	r = send_diffs(ctx, table, sets, d, n, err);
	if (r != -ENOENT || (ctx->features & NFT_FEAT_DESTROY))
		return r;
	/* Nothing of the batch was applied: each set on its own, re-read. */
	for (i = 0, r = 0; r == 0 && i < n; i++)
		r = retry_diff(ctx, table, sets[i], &d[i], err);
	return r;
}

int nft_set_apply_diff(struct nft_ctx *ctx, const char *table, const struct rs_set *set,
		       const struct setdiff *d, struct nft_error *err)
{
	return nft_sets_apply_diffs(ctx, table, &set, d, 1, err);
}
