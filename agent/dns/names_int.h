/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to agent/dns/: what the state file (names_file.c) needs of the pure store
 * (names.c). The file side reads and checks lines; the store decides what they restore.
 */
#ifndef FLOWGUARD_NAMES_INT_H
#define FLOWGUARD_NAMES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/dns/names.h"

/* One line of the state file, parsed. */
struct names_loaded {
	size_t name; /* the name's index (names_get()) */
	struct rs_addr addr;
	uint64_t seen_s; /* wall-clock seconds of the answer it was in */
	uint32_t ttl_s;
};

/* An address as the store keeps one: a single host (/32 or /128). */
bool names_addr_valid(const struct rs_addr *a);

/* The index of fqdn (as names_get() counts), in *ret; false if the plan has no such name. */
bool names_find(const struct names *ns, const char *fqdn, size_t *ret);

/*
 * How long ago name's last good answer was, in *ret_age_ms: derived from its stale bound,
 * so an entry that came from the file keeps its age when saved again, even before a boot's
 * clock could express it. false once that answer is past max_stale (nothing to save).
 */
bool names_answer_age(const struct names *ns, size_t name, uint64_t now_ms, uint64_t *ret_age_ms);

/*
 * Restores name's addresses from its k lines l (sorted by address, the newest sighting of
 * an address first), under names.h's rules for wall-clock ages; a name that already has
 * an answer keeps it. 0 or -ENOMEM.
 */
int names_restore(struct names *ns, size_t name, const struct names_loaded *l, size_t k,
		  uint64_t now_ms, uint64_t wall_now_s);

#endif
