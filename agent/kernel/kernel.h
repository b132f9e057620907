/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CLI's kernel side: apply, audit, disable, status. Each opens its own netlink socket,
 * probes the kernel, and prints what it did or why it failed to the FILE it is given.
 *
 * Decisions (issue 3):
 *
 * Ownership. A long-running agent (o->daemon) sets NFT_TABLE_F_OWNER, plus
 * NFT_TABLE_F_PERSIST where the kernel has it: while it runs nobody else can change or
 * delete the table (EPERM); when it exits the kernel keeps the table, un-owned (fail
 * closed), and the next start adopts it in place (NEWTABLE owner|persist on the orphan),
 * without a gap. The one-shot "apply" also sets owner|persist where persist exists, so the
 * table is protected for the duration of the transaction and is left behind as such an
 * orphan, which the daemon adopts; an orphan stays an orphan on re-apply (no needless
 * batch). Where only owner exists (5.12 .. 6.8), apply sets no flags: an owned table would
 * die with apply's socket. Without owner support, or with FLOWGUARD_FORCE_NO_OWNER=1
 * (tests), the table carries no flags; kernel_status() says which flags are in use.
 * Apply does not probe (issue 8: the probe cost more than the commit): it sends
 * owner|persist, and a kernel without persist refuses the table message (EOPNOTSUPP for
 * an unknown flag; EINVAL on older kernels), which aborts the whole batch; apply then commits
 * once more without flags.
 *
 * Audit compares the kernel's table with the desired one object by object (netlink/rsdiff.h),
 * ignoring handles, counter values and element expiry, and says what drifted in words before
 * the diff of the nft text. Sets filled from DNS (rs_set.dynamic) are compared by existence,
 * type, flags and comment; their elements only against a running agent's current answers
 * (the desired side has none at plan time, and the kernel's come and go with TTLs),
 * leaving out addresses within seconds of expiry on either side. Table flags count when an
 * agent runs (it must own the table) or a process other than flowguard owns it.
 *
 * Disable deletes the table. If a running agent owns it, the kernel refuses everyone
 * else, so disable asks that agent to stop: the owner's netlink portid is the pid of the
 * process (an agent opens its table socket first); if /proc/PID/comm is "flowguard" it
 * gets SIGTERM, and once the kernel has released the table (orphaned or gone) disable
 * deletes it. It never signals any other process: it reports who owns the table instead.
 */
#ifndef FLOWGUARD_KERNEL_H
#define FLOWGUARD_KERNEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "netlink/ruleset.h"
#include "policies/compile.h"

struct kernel_opts {
	bool daemon;	      /* a long-running process: keep the table owned */
	bool no_owner;	      /* never set owner/persist (FLOWGUARD_FORCE_NO_OWNER=1) */
	bool no_persist;      /* pretend persist is missing (FLOWGUARD_FORCE_NO_PERSIST=1) */
	bool no_destroy;      /* pretend DESTROYSETELEM is missing (FLOWGUARD_FORCE_NO_DESTROY=1) */
	bool no_queue;	      /* pretend no way to queue (FLOWGUARD_FORCE_NO_QUEUE=1) */
	bool no_queue_native; /* pretend nft_queue is missing (FLOWGUARD_FORCE_NO_NFT_QUEUE=1) */
	bool debug;	      /* print each outgoing batch (FLOWGUARD_DEBUG_NETLINK=1) */
	bool refresh_timeouts; /* re-arm timeouts of elements already in the kernel */
};

/* Defaults for a one-shot process, with the FLOWGUARD_FORCE_* test switches applied. */
void kernel_opts_init(struct kernel_opts *o);

struct nft_ctx;
/*
 * Opens the nf_tables socket with the features o forces off marked known and absent.
 * A daemon (or a process re-arming timeouts) then probes the rest; one-shot apply only
 * checks that the kernel answers, and learns persist from the commit (kernel_apply). The
 * first netlink socket a process opens gets its pid as portid (disable relies on it for
 * the daemon). 0 or -errno (-EPERM without CAP_NET_ADMIN); nothing printed.
 */
int kernel_open(const struct kernel_opts *o, struct nft_ctx *ctx);
/* Whether process pid is a flowguard (its /proc/PID/comm says so). */
bool kernel_pid_is_flowguard(pid_t pid);
/* The table flags this process sets: see the ownership decision above. */
uint32_t kernel_table_flags(const struct nft_ctx *ctx, const struct kernel_opts *o);

/*
 * Programs desired in one transaction (no-op if the kernel already has it) and reports on
 * log: "flowguard: applied table inet flowguard (...)" or, for a refused object,
 * "flowguard: set 'x' (origin): kernel rejected it: Invalid argument (detail)".
 * 0 or -errno.
 */
int kernel_apply(const struct ruleset *desired, const struct kernel_opts *o, FILE *log);

/* One address a running agent's name resolves to now, and how long it stays allowed. */
struct audit_answer {
	char *fqdn;
	struct rs_addr addr;
	uint64_t left_ms;
};

/* What the running agent says about the table (its status file); pid 0: no agent runs. */
struct audit_agent {
	long pid;
	uint32_t table_flags; /* NFT_TABLE_F_* it committed the table with */
	bool answers_known;   /* answers below are its current ones */
	struct audit_answer *answers;
	size_t n_answers;
	unsigned int changes; /* foreign changes it saw (and undid) */
	uint32_t change_pid;  /* the last one: who, what, how long ago */
	char change_comm[32];
	char change_what[128];
	uint64_t change_ago_s;
};
void kernel_audit_agent_clear(struct audit_agent *a);

struct audit_opts {
	/* The plan's DNS bindings: with the agent's answers, what each DNS-fed set holds. */
	const struct fqdn_binding *names;
	size_t n_names;
	const struct audit_agent *agent; /* NULL or pid 0: DNS-fed elements are not compared */
	bool json;
};

/*
 * Compares the kernel's table with desired and prints, on out, what drifted in words (one
 * line per rule missing, extra or changed, with flow id and vendor row; elements missing
 * or extra per set; set, chain, policy, table comment, owner), who changed it if the
 * agent saw it, then a unified diff with 3 lines of context; or all of it as one JSON
 * object (o->json). o may be NULL. 0 in sync, 1 drift (or no table), -errno.
 */
int kernel_audit(const struct ruleset *desired, const struct audit_opts *o, FILE *out);

/* How kernel_drift_words() names the two sides. */
enum kernel_drift_view {
	KERNEL_DRIFT_AUDIT,  /* want: the plan, have: the kernel ("missing", "extra") */
	KERNEL_DRIFT_RELOAD, /* want: the new plan, have: the old ("added", "removed") */
};
typedef void (*kernel_line_fn)(void *data, const char *line);
/*
 * The differences from want to have in words, one call of fn per line (fn NULL: counted
 * only); the elements of DNS-fed sets (want's) are left out. Returns how many, or -ENOMEM.
 */
int kernel_drift_words(const struct ruleset *want, const struct ruleset *have,
		       enum kernel_drift_view view, kernel_line_fn fn, void *data);

/* Removes table inet TABLE (see the header comment). 0 (also if absent) or -errno. */
int kernel_disable(const char *table, FILE *log);

/* Prints the table's flags and owner and the kernel features found. 0 or -errno. */
int kernel_status(const char *table, FILE *out);

#endif
