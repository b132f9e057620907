/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Planning one transaction. Everything goes in one batch, so packets see either the old
 * table or the new one: never no table, never a set with a hole.
 */
#include <errno.h>
#include <string.h>
#include <linux/netfilter/nf_tables.h>

#include "txn.h"
#include "rscmp.h"
#include "setdiff.h"

#define TABLE_F_KNOWN (NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST)

static bool same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

/*
 * Whether NEWTABLE can turn cur's flags into want's. The kernel refuses to add or drop
 * persist, to drop owner, and to add owner unless the table is an orphan (persist only).
 */
static bool table_updatable(const struct ruleset *cur, uint32_t want)
{
	if ((cur->flags ^ want) & ~TABLE_F_KNOWN)
		return false;
	if ((cur->flags ^ want) & NFT_TABLE_F_PERSIST)
		return false;
	if (cur->flags & NFT_TABLE_F_OWNER)
		return want & NFT_TABLE_F_OWNER;
	if (want & NFT_TABLE_F_OWNER)
		return cur->flags & NFT_TABLE_F_PERSIST;
	return true;
}

static bool set_kept(const struct ruleset *want, const struct rs_set *cs)
{
	const struct rs_set *ws = ruleset_find_set(want, cs->name);

	return ws && rscmp_set_shape_equal(cs, ws);
}

static bool chain_kept(const struct ruleset *want, const struct rs_chain *cc)
{
	const struct rs_chain *wc = ruleset_find_chain(want, cc->name);

	return wc && rscmp_chain_shape_equal(cc, wc);
}

/* Kept objects stay where they are and new ones are appended: is that want's order? */
static bool order_ok(const struct ruleset *cur, const struct ruleset *want)
{
	size_t i, k = 0;

	for (i = 0; i < cur->n_sets; i++)
		if (set_kept(want, &cur->sets[i]) &&
		    (k >= want->n_sets || strcmp(want->sets[k++].name, cur->sets[i].name)))
			return false;
	for (i = k; i < want->n_sets; i++)
		if (ruleset_find_set(cur, want->sets[i].name) &&
		    set_kept(want, ruleset_find_set(cur, want->sets[i].name)))
			return false;
	for (i = 0, k = 0; i < cur->n_chains; i++)
		if (chain_kept(want, &cur->chains[i]) &&
		    (k >= want->n_chains || strcmp(want->chains[k++].name, cur->chains[i].name)))
			return false;
	for (i = k; i < want->n_chains; i++)
		if (ruleset_find_chain(cur, want->chains[i].name) &&
		    chain_kept(want, ruleset_find_chain(cur, want->chains[i].name)))
			return false;
	return true;
}

static int add_chain_full(struct nl_batch *b, const struct ruleset *want, const struct rs_chain *c)
{
	size_t i;
	int r;

	r = batch_chain(b, NFT_MSG_NEWCHAIN, want->table, c);
	for (i = 0; r == 0 && i < c->n_rules; i++)
		r = batch_rule(b, want, c, i);
	return r;
}

/* The whole table anew: delete + add in one transaction (no instant without it). */
static int txn_rebuild(struct nl_batch *b, const struct ruleset *cur, const struct ruleset *want,
		       const struct txn_opts *o)
{
	size_t i;
	int r = 0;

	if (cur)
		r = batch_table(b, NFT_MSG_DELTABLE, cur, 0);
	if (r == 0)
		r = batch_table(b, NFT_MSG_NEWTABLE, want, o->table_flags);
	for (i = 0; r == 0 && i < want->n_sets; i++) {
		r = batch_set(b, NFT_MSG_NEWSET, want->table, &want->sets[i]);
		if (r == 0)
			r = batch_set_elems(b, want->table, &want->sets[i]);
	}
	for (i = 0; r == 0 && i < want->n_chains; i++)
		r = add_chain_full(b, want, &want->chains[i]);
	return r;
}

static bool any_set_reshaped(const struct ruleset *cur, const struct ruleset *want)
{
	size_t i;

	for (i = 0; i < cur->n_sets; i++)
		if (!set_kept(want, &cur->sets[i]))
			return true;
	return false;
}

/* Whether chain cc's rules must be flushed and re-added. */
static bool chain_rewrite(const struct ruleset *want, const struct rs_chain *cc, bool reshaped)
{
	const struct rs_chain *wc = ruleset_find_chain(want, cc->name);

	return reshaped || !wc || !rscmp_chain_shape_equal(cc, wc) || !rscmp_rules_equal(cc, wc);
}

/* Flush the rules that change, then drop the chains and sets that go or change shape. */
static int txn_removals(struct nl_batch *b, const struct ruleset *cur, const struct ruleset *want,
			bool reshaped)
{
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < cur->n_chains; i++)
		if (cur->chains[i].n_rules && chain_rewrite(want, &cur->chains[i], reshaped))
			r = batch_chain_flush(b, cur->table, &cur->chains[i]);
	for (i = 0; r == 0 && i < cur->n_chains; i++)
		if (!chain_kept(want, &cur->chains[i]))
			r = batch_chain(b, NFT_MSG_DELCHAIN, cur->table, &cur->chains[i]);
	for (i = 0; r == 0 && i < cur->n_sets; i++)
		if (!set_kept(want, &cur->sets[i]))
			r = batch_set(b, NFT_MSG_DELSET, cur->table, &cur->sets[i]);
	return r;
}

static int txn_set(struct nl_batch *b, const struct ruleset *cur, const struct rs_set *ws,
		   const struct txn_opts *o)
{
	const struct rs_set *cs = ruleset_find_set(cur, ws->name);
	struct setdiff d;
	int r;

	if (!cs || !rscmp_set_shape_equal(cs, ws)) {
		r = batch_set(b, NFT_MSG_NEWSET, cur->table, ws);
		return r ? r : batch_set_elems(b, cur->table, ws);
	}
	r = setdiff_compute(cs->elems, cs->n_elems, ws->elems, ws->n_elems,
			    o->refresh_timeouts ? SETDIFF_REFRESH_TIMEOUTS : 0, &d);
	if (r < 0)
		return r;
	r = batch_setdiff(b, cur->table, ws, &d, o->use_destroy, o->can_refresh);
	setdiff_clear(&d);
	return r;
}

static int txn_chain(struct nl_batch *b, const struct ruleset *cur, const struct ruleset *want,
		     const struct rs_chain *wc, bool reshaped)
{
	const struct rs_chain *cc = ruleset_find_chain(cur, wc->name);
	size_t i;
	int r = 0;

	if (!cc || !rscmp_chain_shape_equal(cc, wc))
		return add_chain_full(b, want, wc);
	if (cc->policy != wc->policy)
		r = batch_chain(b, NFT_MSG_NEWCHAIN, want->table, wc);
	if (!chain_rewrite(want, cc, reshaped))
		return r;
	for (i = 0; r == 0 && i < wc->n_rules; i++)
		r = batch_rule(b, want, wc, i);
	return r;
}

static int txn_in_place(struct nl_batch *b, const struct ruleset *cur, const struct ruleset *want,
			const struct txn_opts *o)
{
	bool reshaped = any_set_reshaped(cur, want);
	uint32_t flags = o->table_flags;
	size_t i;
	int r = 0;

	/* Adopting an orphan only matters to a process that stays; apply exits right away. */
	if (o->keep_orphan && cur->flags == NFT_TABLE_F_PERSIST)
		flags = cur->flags;
	if (cur->flags != flags)
		r = batch_table(b, NFT_MSG_NEWTABLE, want, flags);
	if (r == 0)
		r = txn_removals(b, cur, want, reshaped);
	for (i = 0; r == 0 && i < want->n_sets; i++)
		r = txn_set(b, cur, &want->sets[i], o);
	for (i = 0; r == 0 && i < want->n_chains; i++)
		r = txn_chain(b, cur, want, &want->chains[i], reshaped);
	return r;
}

int txn_build(struct nl_batch *b, const struct ruleset *cur, const struct ruleset *want,
	      const struct txn_opts *o)
{
	int r;

	r = batch_begin(b, o->with_genid, o->genid);
	if (r < 0)
		return r;
	if (cur && same_str(cur->comment, want->comment) && table_updatable(cur, o->table_flags) &&
	    order_ok(cur, want))
		r = txn_in_place(b, cur, want, o);
	else
		r = txn_rebuild(b, cur, want, o);
	return r ? r : batch_end(b);
}
