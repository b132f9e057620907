/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which messages turn the kernel's table into the desired one. Pure: both sides are IR
 * (canonical, see rscmp_canonical()), the result is a batch. Internal to netlink/.
 */
#ifndef FLOWGUARD_TXN_H
#define FLOWGUARD_TXN_H

#include <stdbool.h>
#include <stdint.h>

#include "batch.h"
#include "ruleset.h"

struct txn_opts {
	uint32_t table_flags;
	bool with_genid;
	uint32_t genid;
	bool use_destroy;      /* kernel has DESTROYSETELEM */
	bool can_refresh;      /* kernel re-arms a live element given an expiration */
	bool refresh_timeouts; /* re-arm every desired element that has a timeout */
	bool keep_orphan;      /* one-shot: leave an orphaned persist table un-adopted */
};

/*
 * Fills the new batch b: BEGIN, the changes, END. cur NULL: no table yet. Changes are made
 * in place where the kernel allows (element diffs; only changed chains are flushed and
 * refilled); the table is deleted and re-created in the same batch when its flags or
 * comment cannot be updated or the object order would differ from want's.
 * b->n_msgs == 0 afterwards means there is nothing to do. 0 or -errno.
 */
int txn_build(struct nl_batch *b, const struct ruleset *cur, const struct ruleset *want,
	      const struct txn_opts *o);

#endif
