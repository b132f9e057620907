/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The names store: every DNS name of the compiled plan, what it resolved to, until when
 * each address stays allowed, and when to ask again. The store (names.c) is pure: time
 * comes in as "now" (CLOCK_BOOTTIME milliseconds, so a wall-clock jump changes nothing),
 * no I/O, no netlink. Only its state file (names_save/names_load, names_file.c) touches
 * the disk. The daemon feeds it answers and asks it for the desired elements of each
 * DNS-fed set; netlink/setdiff.c turns those into element diffs.
 *
 * Rules (issue 5):
 * - An answer's TTL (already the CNAME chain's minimum) is clamped to [min_ttl, max_ttl].
 * - The name is asked again shortly before the TTL runs out (at 80-90% of it, jittered
 *   per name so a fleet does not resolve in lock-step); after a failure, with exponential
 *   backoff from 1 s up to min(max_ttl, 5 min).
 * - An address that leaves the answer stays allowed for `grace` after its TTL ran out.
 *   One still in the last good answer stays at least 30 s past its TTL, whatever grace
 *   says: its refresh query is in flight meanwhile, and a slow failure must still find it.
 *   After a suspend (the boot clock jumps past all of that at once) the refresh goes out
 *   first and the address waits up to 30 s more for its answer (bounded by max_stale).
 * - On failure the last good addresses stay until max_stale after the last good answer;
 *   each failure is reported (the daemon logs a warning naming the name and reason).
 *   NXDOMAIN is a failure like SERVFAIL or a timeout: a name the policy allows vanishing
 *   is far more often a resolver or zone glitch than a real retirement, and max_stale
 *   bounds the cost. -ECANCELED (resolver shut down) is no failure: the name is due again.
 * - More than max_addresses in one answer: the first max_addresses (sorted) are kept
 *   and the cut is reported, never silent.
 * - Kernel element timeouts: each element's timeout is the time it stays allowed (TTL end
 *   or grace/stale end, whichever is later), so the kernel removes it if the agent dies.
 * - The state file's times are wall-clock seconds and the wall clock can jump. An entry
 *   "from the future" (clock set back, or a board without RTC booting in 1970) counts as
 *   seen now: fresh, but still bounded by max_stale from the load; one that looks older
 *   than max_stale (clock jumped forward) is dropped. Re-saving keeps an entry's age, so
 *   restarts without DNS do not make it younger.
 */
#ifndef FLOWGUARD_NAMES_H
#define FLOWGUARD_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/dns/resolver.h"
#include "policies/compile.h"

struct names_opts {
	uint64_t min_ttl_ms, max_ttl_ms;
	uint64_t grace_ms;
	uint64_t max_stale_ms;
	size_t max_addresses;
	uint32_t jitter_seed; /* tests fix it; the daemon uses something per host */
};

struct name_addr {
	struct rs_addr addr;
	uint64_t ttl_end_ms; /* now + TTL when last seen in an answer; 0: ran out before boot */
	uint64_t allowed_until_ms; /* ttl_end + grace, or the stale bound on failures */
	bool current; /* in the last good answer (or the state file); false: in grace */
};

struct name_state {
	char *fqdn;
	struct name_addr *addrs;
	size_t n_addrs, cap_addrs;
	uint32_t ttl_s;		/* the clamped TTL of the last good answer */
	uint64_t next_query_ms; /* when to ask again; UINT64_MAX while a query is in flight */
	uint64_t last_good_ms;	/* 0: never */
	unsigned int failures;	/* consecutive */
	int last_error;		/* 0 or the res_answer status */
	size_t last_dropped;	/* addresses cut by max_addresses in the last answer */
	bool in_flight;
};

/* What one call changed, for the daemon to log and to push to the kernel. */
struct names_event {
	const char *fqdn;
	int error;	       /* 0, or the failure that keeps stale addresses */
	size_t added, removed; /* addresses that became / stopped being allowed */
	size_t dropped;	       /* cut by max_addresses */
	bool sets_changed;     /* the desired elements of the name's sets changed */
};

struct names;

/*
 * One store for the plan's bindings (each name once, with every set it feeds). 0, -ENOMEM,
 * -EINVAL (min_ttl > max_ttl, max_addresses 0, a set bound as both v4 and v6).
 */
int names_new(const struct plan *p, const struct names_opts *o, struct names **ret);
void names_free(struct names *ns);

/* The names due for a query at now (marked in flight); returns how many (<= max). */
size_t names_due(struct names *ns, uint64_t now_ms, const char **ret, size_t max);
/* The earliest moment anything needs doing (query or expiry); UINT64_MAX: nothing. */
uint64_t names_next_deadline(const struct names *ns);

/*
 * Takes an answer in. *ev says what changed (ev->fqdn is the store's, valid until
 * names_free). 0, -ENOENT (unknown name), -ENOMEM (the name stays as it was and is due
 * again in 1 s). sets_changed is also true when only timeouts moved: the kernel's must
 * be re-armed.
 */
int names_answer(struct names *ns, const struct res_answer *a, uint64_t now_ms,
		 struct names_event *ev);
/* Drops addresses whose allowed_until passed. Returns how many names changed. */
size_t names_expire(struct names *ns, uint64_t now_ms);

/*
 * The desired elements of DNS-fed set `set` at now: the union of the allowed addresses of
 * every name bound to it, each with timeout (allowed_until - now) and the name as comment
 * (the alphabetically first name, if several resolve to the same address). Replaces
 * out->elems, sorted as rs_set_sort() sorts. 0, -ENOENT (no name feeds `set`) or -ENOMEM
 * (out untouched).
 */
int names_fill_set(const struct names *ns, const char *set, uint64_t now_ms, struct rs_set *out);

/*
 * Addresses that stopped being allowed are remembered per name, so a blocked packet can
 * be explained ("was x.example until 5 min ago"): at most NAMES_PAST_MAX per name (the
 * oldest goes first), none older than NAMES_PAST_MS. Memory stays fixed per name.
 */
#define NAMES_PAST_MAX 16
#define NAMES_PAST_MS (24 * 3600 * 1000ULL)

/* One name an address belongs to (current) or belonged to (past). */
struct name_match {
	const char *fqdn;  /* the store's, valid until names_free */
	bool current;	   /* allowed now: in the answer or in grace */
	uint64_t until_ms; /* current: when it stops being allowed; past: when it stopped */
};

/*
 * The names address a (exactly, /32 or /128) belongs to at now: current ones first (in
 * name order), then past ones, most recent first; a name current for a is not listed as
 * past too. Returns how many were written to ret (at most max).
 */
size_t names_reverse(const struct names *ns, const struct rs_addr *a, uint64_t now_ms,
		     struct name_match *ret, size_t max);
/*
 * The names that feed DNS-fed set `set`: writes up to max of them (the store's strings)
 * and returns how many there are in all; 0 if no name feeds it.
 */
size_t names_of_set(const struct names *ns, const char *set, const char **ret, size_t max);

/* Iteration for status and persistence. */
size_t names_count(const struct names *ns);
const struct name_state *names_get(const struct names *ns, size_t i);

/*
 * The state file (names_file.c): last known good answers, so the next start can fill the
 * sets before DNS is up: a small text file written atomically (temp file, fsync, rename).
 * Load ignores names the plan does not have, entries older than max_stale and names that
 * already have an answer; a damaged file is -EINVAL and changes nothing (the daemon logs
 * and starts without it); no file is -ENOENT. Save writes mode 0600; names whose
 * addresses are all past max_stale are left out. 0 or -errno.
 */
int names_save(const struct names *ns, const char *path, uint64_t now_ms, uint64_t wall_now_s);
int names_load(struct names *ns, const char *path, uint64_t now_ms, uint64_t wall_now_s);

#endif
