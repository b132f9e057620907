/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of agent/daemon/ (no other folder includes this). The daemon is made of parts,
 * each owning its state, opened and closed on its own, and none calling another:
 *   sets.c      struct sets      the table socket and the DNS-fed sets as last sent
 *   heal.c      struct heal      other processes' changes to our table; when to restore it
 *   blocked.c   struct events    the NFLOG reader and the blocked-flow store
 *   state.c     struct state     STATE_DIR/names and RUN_DIR/status.json
 *   textfile.c  struct textfile  the metrics file and its timer
 *   dnshealth.c struct dnshealth DNS failures and outages, for the log and the status
 *   harvest.c   struct harvest   DNS answers the host receives (harvest_int.h, hold.c)
 * Three files combine parts, each calling only downwards: refresh.c (queries, answers,
 * expiry), reload.c (SIGHUP) and loop.c (poll, timers, signals); daemon.c opens and
 * closes the whole. state.c's views (status.json, STATUS=, the metrics snapshot) read
 * across the parts and change none of them. Clocks: agent/util/clock.h.
 */
#ifndef FLOWGUARD_DAEMON_INT_H
#define FLOWGUARD_DAEMON_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/daemon/daemon.h"
#include "agent/daemon/harvest_int.h"
#include "agent/dns/dns.h"
#include "agent/gen/gen.h"
#include "agent/kernel/kernel.h"
#include "agent/report/report.h"
#include "netlink/monitor.h"
#include "netlink/nft.h"
#include "policies/compile.h"

/* A deadline that is not set. */
#define NEVER UINT64_MAX

/* ---- sets.c: keeping the kernel's DNS-fed sets equal to the names store ---- */

struct sets {
	struct nft_ctx nft;	 /* opened before other netlink sockets: its portid is our pid */
	uint32_t table_flags;	 /* NFT_TABLE_F_* the table is committed with */
	struct ruleset *applied; /* DNS-fed sets as last sent; element timeout_ms: absolute end */
	struct metrics_apply apply[METRICS_APPLY_KINDS]; /* commits by kind */
};

int sets_open(struct sets *s);
void sets_close(struct sets *s);
/* The whole table of p, its DNS-fed sets filled from ns; why names the commit in the log. */
int sets_commit_all(struct sets *s, struct plan *p, const struct names *ns, const char *why);
/*
 * The sets fqdn feeds (sets_sync_all: every DNS-fed set) made equal to ns with element
 * diffs. *ret_refused: the kernel refused one (logged); it holds what it had, not what
 * applied says, until the next sets_commit_all().
 */
int sets_sync_name(struct sets *s, struct plan *p, const struct names *ns, const char *fqdn,
		   bool *ret_refused);
int sets_sync_all(struct sets *s, struct plan *p, const struct names *ns, bool *ret_refused);
/* The sets of fqdns[0..n) in one batch (harvested answers); -E2BIG for more than 64 sets. */
int sets_sync_names(struct sets *s, struct plan *p, const struct names *ns,
		    const char *const *fqdns, size_t n, bool *ret_refused);
size_t sets_count_addrs(const struct sets *s);
/* The table as the kernel has it now, and its flags and owner. 0, -ENOENT (none), -errno. */
int sets_read_table(struct sets *s, struct nft_table_state *ret_st, struct ruleset **ret);

/* ---- heal.c: restoring the table when another process changes it ---- */

/* The last foreign change, for the log and the status file. */
struct heal_info {
	uint64_t wall_ms;
	uint32_t pid;
	char comm[32];
	char what[128];
	unsigned int count; /* foreign changes seen */
};

struct heal {
	struct monitor *mon;
	uint32_t our_portid; /* our own commits carry it */
	uint64_t foreign;    /* 1ULL << NFT_MSG_* seen on our table from others, until NEWGEN */
	struct heal_info last;
	uint64_t due_ms;   /* the next restore; NEVER: none */
	uint64_t last_ms;  /* when the last restore started */
	uint64_t restores; /* whole-table restores run (foreign changes or failed updates) */
};

int heal_open(struct heal *h, uint32_t our_portid);
void heal_close(struct heal *h);
int heal_fd(const struct heal *h);
/* Reads pending nf_tables events; another process's change is logged, a restore set due. */
void heal_read(struct heal *h);
/* A restore starts at now (counted); heal_failed(): it did not work, try again later. */
void heal_start(struct heal *h, uint64_t now);
void heal_failed(struct heal *h, uint64_t now);

/* ---- blocked.c: blocked flows (the NFLOG reader and what it aggregated) ---- */

struct events {
	struct nflog *nl; /* NULL: not listening (error says why) */
	struct blocked *store;
	size_t max_tracked; /* the store's size, to see whether a reload changes it */
	uint16_t group;
	int error; /* 0 or the -errno of the last nflog_open */
};

/* Opens the store and the reader of c's group; a taken group is a warning, not fatal. */
int events_open(struct events *ev, const struct events_cfg *c);
void events_close(struct events *ev);
/* After a reload, first: the store's size and interval; lets go of the group if c moves
 * it (harvest may be moving onto it). */
void events_release(struct events *ev, const struct events_cfg *c);
/* Then, after harvest took its groups: binds c's group if not bound, re-explains. */
void events_reload(struct events *ev, const struct events_cfg *c, const struct plan *p,
		   const struct names *ns);
/* After the names changed: the explanations follow ("was x until ..."). */
void events_reexplain(struct events *ev, const struct plan *p, const struct names *ns);
int events_fd(const struct events *ev);
/* Reads every pending packet; new flows are logged at once. True if the store changed. */
bool events_read(struct events *ev, const struct plan *p, const struct names *ns);
/* Summary lines due by now; the deadline of the next one (NEVER: none). */
void events_flush(struct events *ev, uint64_t now);
uint64_t events_next_deadline(const struct events *ev);
/* The "blocked" object of the status file. */
void events_write_status(FILE *f, const struct events *ev);

/* ---- textfile.c: metrics.textfile ---- */

struct textfile {
	char path[PATH_MAX]; /* the file being kept; "" while off */
	uint64_t due_ms;     /* NEVER while off: no wake-ups */
	uint64_t interval_s;
	bool failing;
};

/* Follows c (start, reload): due now, or off (the file of an earlier setting is removed). */
void textfile_arm(struct textfile *tf, const struct metrics_cfg *c);
/* Rewrites the file from snap and sets the next deadline. */
void textfile_write(struct textfile *tf, const struct metrics_snapshot *snap);

/* ---- dnshealth.c: DNS failures summarised (one line per outage, debug per name) ---- */

#define DNSHEALTH_SAMPLES 4

struct dnshealth {
	char servers[256];		  /* what the resolver asks: "127.0.0.1:5399" */
	bool outage;			  /* announced: the servers do not answer */
	int error;			  /* the outage's failure (-ETIMEDOUT, -ECONNREFUSED) */
	uint64_t since_ms, since_wall_ms; /* when its first failure came */
	uint64_t due_ms;		  /* the open window's summary; NEVER: none open */
	size_t window_server, window_ok;  /* in the window: no answer; an answer (maybe NXDOMAIN) */
	uint64_t window_since_ms, window_since_wall_ms;
	char new_names[DNSHEALTH_SAMPLES][300]; /* names that started failing: "x (NXDOMAIN)" */
	size_t n_new, new_total;
	char back_names[DNSHEALTH_SAMPLES][300]; /* names that resolve again */
	size_t n_back, back_total;
};

/* Where the names stand now, for the log, the status file and STATUS=. */
struct dnshealth_summary {
	size_t names, failing, kept; /* failing: with failures in a row; kept: their addresses */
	uint64_t next_retry_ms;	     /* the earliest retry of a failing name; NEVER: none */
	uint64_t next_retry_s;	     /* from now, rounded up */
};

/* Start, and a reload's new resolver (an outage under way stays announced). */
void dnshealth_reset(struct dnshealth *h, const struct resolver *res);
/* One answer; prior_failures: the name's failures in a row before it. Logs a recovery. */
void dnshealth_answer(struct dnshealth *h, const struct res_answer *a, unsigned int prior_failures,
		      uint64_t now, uint64_t wall);
/* The window's summary line, once due (h->due_ms). */
void dnshealth_flush(struct dnshealth *h, const struct names *ns, uint64_t now);
void dnshealth_summary(const struct names *ns, uint64_t now, struct dnshealth_summary *ret);

/* ---- the daemon: the parts, and what the combining files keep ---- */

/* The configuration in force and what runs from it; a reload that succeeds replaces it. */
struct current {
	struct gen *gen;
	struct names *names;
	struct resolver *res;
	char summary[256]; /* "agent,relay de-1" */
};

/* SIGHUP's results, for the status file and metrics. */
struct reloads {
	uint64_t ok, refused;
	uint64_t wall_ms; /* when the last one ran */
	char error[256];  /* why the last one was refused; "" if it was not */
};

/* state.c: what the daemon leaves for others. */
struct state {
	char names_path[PATH_MAX]; /* the last good answers, for the next fast boot */
	uint64_t save_due_ms, last_save_ms;
	bool save_failing;
	char status_path[PATH_MAX];		/* what `flowguard status` reads */
	uint64_t status_due_ms, last_status_ms; /* rewrites for blocked flows: at most 1/s */
	bool status_failing;
};

/* loop.c: signals and the systemd watchdog. */
struct loop {
	int sigfd;
	uint64_t watchdog_ms, watchdog_due_ms; /* watchdog_ms 0: systemd does not watch */
	bool stop;
};

struct daemon {
	const struct daemon_opts *opts;
	uint64_t started_wall_s;
	uint64_t last_answer_ms; /* CLOCK_BOOTTIME of the last good answer; 0: none yet */
	struct current cur;
	struct reloads rl;
	struct sets sets;
	struct heal heal;
	struct events ev;
	struct dnshealth dns;
	struct state st;
	struct textfile tf;
	struct loop loop;
	struct harvest hv;
};

/* state.c: the two files. */
/* Creates the (private) directories; the paths of the files in them. 0 or -ENAMETOOLONG. */
int state_open(struct state *st, const char *state_dir, const char *run_dir);
/* Fast boot: the last good answers into ns; a missing or damaged file is logged. */
void state_load_names(const struct state *st, struct names *ns);
void state_save_now(struct state *st, const struct names *ns);
/* The status file lags behind: rewrite it when a second has passed since the last. */
void state_status_soon(struct state *st);
/* The names file within a few seconds (it is rate-limited). */
void state_save_soon(struct state *st);
void state_remove_status(const struct state *st);
/* state.c: views of the whole daemon. */
/* Something changed: status file and STATUS= now, the names file within a few seconds. */
void state_changed(struct daemon *dm);
/* The held-back rewrite of state_status_soon(), once due. */
void state_status_due(struct daemon *dm);
/* "agent,relay de-1: 42 names, 118 addresses, last refresh 3 s ago" */
void state_status_line(const struct daemon *dm, char *buf, size_t len);
/* A snapshot (one dump of the live table's counters) into the metrics file. */
void state_metrics_write(struct daemon *dm);

/* refresh.c: keeping the names current. */
int refresh_resolver_new(const struct gen *g, struct daemon *dm, struct resolver **ret);
/* Queries what is due and expires what ran out; the sets follow. */
void refresh_due(struct daemon *dm, uint64_t now);
/* The answers harvest read into the store; the sets follow, then held answers go. */
void refresh_harvest(struct daemon *dm);

/* reload.c */
/*
 * gen_load() with the daemon's paths and what the kernel can do (features: NFT_FEAT_*):
 * at start and on every reload.
 */
int reload_gen(const struct daemon_opts *o, unsigned int features, struct gen **ret);
/* SIGHUP: a new generation, names carried over, committed and swapped in; or refused. */
void reload_run(struct daemon *dm);
/* The differences from want to have, one notice line each ("prefix: rule added ..."). */
void reload_log_drift(const struct ruleset *want, const struct ruleset *have,
		      enum kernel_drift_view view, const char *prefix);
void reload_clear(struct current *cur);

/* loop.c */
int loop_open(struct loop *l);
void loop_close(struct loop *l);
/* Pings systemd at half its watchdog period, if it set one. */
void loop_watchdog_arm(struct loop *l);
int loop_run(struct daemon *dm);

#endif
