/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by the files of agent/daemon/ (and, until it reads a snapshot, report/metrics.c). */
#ifndef FLOWGUARD_DAEMON_INT_H
#define FLOWGUARD_DAEMON_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/report/report.h"
#include "agent/daemon/daemon.h"
#include "agent/detect/detect.h"
#include "agent/gen/gen.h"
#include "agent/dns/dns.h"
#include "netlink/nft.h"
#include "policies/compile.h"

#define NEVER UINT64_MAX

/* One loaded configuration and everything compiled from it; replaced whole on reload. */

/* Another process's changes to our table, collected until its NEWGEN names it. */
struct monitor {
	struct mnl_socket *nl;
	uint32_t our_portid;
	uint64_t foreign;	/* 1ULL << NFT_MSG_* seen on our table from others */
	char *buf;
};

/* The last foreign change we undid, for the log and the status file. */
struct heal_info {
	uint64_t wall_ms;
	uint32_t pid;
	char comm[32];
	char what[128];
	unsigned int count;
};

/* Commits by kind, for metrics and status: the whole table, or one DNS-fed set's diff. */
enum apply_kind { APPLY_FULL, APPLY_SETS, APPLY_KINDS };

struct apply_stats {
	uint64_t count;	   /* attempts, failed ones included */
	uint64_t failures;
	double sum_s, last_s; /* CLOCK_MONOTONIC seconds spent in the netlink commit */
};

struct daemon_counters {
	struct apply_stats apply[APPLY_KINDS];
	uint64_t heals;	/* whole-table restores run (after foreign changes or failed updates) */
	uint64_t reloads_ok, reloads_refused;
};

/* Blocked-flow events (issue 7): the NFLOG reader and what it aggregated. */
struct events {
	struct nflog *nl;	/* NULL: not listening (error says why) */
	struct blocked *store;
	size_t max_tracked;	/* the store's size, to see whether a reload changes it */
	uint16_t group;
	int error;		/* 0 or the -errno of the last nflog_open */
	bool dirty;		/* the status file lags behind the store */
};

struct daemon {
	const struct daemon_opts *opts;
	struct nft_ctx nft;
	uint32_t table_flags;
	struct monitor mon;
	int sigfd;
	struct gen *gen;
	struct names *names;
	struct resolver *res;
	/* DNS-fed sets as last sent to the kernel; element timeout_ms holds the absolute end. */
	struct ruleset *applied;
	uint64_t started_wall_s;
	uint64_t last_answer_ms; /* CLOCK_BOOTTIME of the last answer; 0: none yet */
	uint64_t heal_due_ms, last_heal_ms;
	uint64_t save_due_ms, last_save_ms;
	uint64_t status_due_ms, last_status_ms; /* status rewrites for events: at most 1/s */
	uint64_t watchdog_ms, watchdog_due_ms;
	bool save_failing, status_failing;
	bool stop;
	struct heal_info heal;
	char reload_error[256]; /* why the last reload was refused; "" if it was not */
	uint64_t reload_wall_ms;
	char state_path[PATH_MAX];
	char status_path[PATH_MAX];
	char summary[256];	/* "agent,relay de-1" */
	struct daemon_counters ctr;
	uint64_t metrics_due_ms; /* NEVER while metrics.textfile is off: no wake-ups */
	char metrics_path[PATH_MAX]; /* the file being kept; "" while off */
	struct events ev;
	bool metrics_failing;
};

/* Clocks: CLOCK_BOOTTIME (deadlines; a suspend counts) and wall milliseconds. */
uint64_t now_ms(void);
uint64_t wall_ms(void);
/* CLOCK_MONOTONIC in seconds, for durations. */
double mono_s(void);
/* Counts one commit of kind k that took `took` seconds and returned r. */
void count_apply(struct daemon *dm, enum apply_kind k, double took, int r);

/* daemon.c: gen_load() with the daemon's paths. */
int daemon_gen_load(const struct daemon_opts *o, struct gen **ret);

/* daemon_sets.c */
int sets_commit_all(struct daemon *dm, struct gen *g, struct names *ns, const char *why);
int sets_sync_name(struct daemon *dm, const char *fqdn);
int sets_sync_all(struct daemon *dm);
size_t sets_count_addrs(const struct daemon *dm);

/* daemon_blocked.c */
/* Opens the store and the reader of cfg's group; a taken group is a warning, not fatal. */
int events_open(struct daemon *dm);
void events_close(struct daemon *dm);
/* After a reload: re-binds if the group changed (or was not bound), re-explains. */
void events_reload(struct daemon *dm);
/* After the names changed: the explanations follow ("was x until ..."). */
void events_reexplain(struct daemon *dm);
int events_fd(const struct daemon *dm);
/* Reads every pending packet; new flows are logged at once. */
void events_read(struct daemon *dm);
/* Summary lines due by now; the deadline of the next one (NEVER: none). */
void events_flush(struct daemon *dm, uint64_t now);
uint64_t events_next_deadline(const struct daemon *dm);
/* The "blocked" object of the status file. */
void events_write_status(FILE *f, const struct daemon *dm);

/* daemon_monitor.c */
int monitor_open(struct monitor *m, uint32_t our_portid);
void monitor_close(struct monitor *m);
int monitor_fd(const struct monitor *m);
/* Reads pending events; 1 if another process changed our table (heal), else 0 or -errno. */
int monitor_read(struct monitor *m, struct heal_info *ret);

/* daemon_state.c */
/* A resolver failure in words: "NXDOMAIN", "timeout", ...; "" for 0. */
const char *state_error_text(int err);
void state_changed(struct daemon *dm);
/* The status file lags behind: rewrite it now, or a second after the last rewrite. */
void state_status_soon(struct daemon *dm);
/* The deferred rewrite of state_status_soon(), once due. */
void state_status_due(struct daemon *dm);
void state_save_now(struct daemon *dm);
int state_write_status(struct daemon *dm);
void state_remove_status(struct daemon *dm);
void state_status_line(const struct daemon *dm, char *buf, size_t len);
/* Follows metrics.textfile of the current configuration (start, reload): due now, or off. */
void state_metrics_arm(struct daemon *dm);
/* Rewrites the metrics file and sets the next deadline. */
void state_metrics_write(struct daemon *dm);

/* daemon_loop.c */
int loop_run(struct daemon *dm);
void loop_answer(void *userdata, const struct res_answer *ans);
int loop_new_resolver(const struct gen *g, struct daemon *dm, struct resolver **ret);

#endif
