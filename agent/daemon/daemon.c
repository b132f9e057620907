/* SPDX-License-Identifier: GPL-2.0-or-later */
/* flowguard run: start-up and shutdown around the event loop (daemon_loop.c). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/daemon/daemon_int.h"
#include "agent/kernel/kernel.h"
#include "agent/util/log.h"
#include "agent/util/notify.h"
#include "agent/util/privs.h"
#include "agent/util/paths.h"

int daemon_gen_load(const struct daemon_opts *o, struct gen **ret)
{
	struct gen_opts go = { o->catalog, o->config, o->root, o->strict, o->strict_catalog,
			       o->facts };

	return gen_load(&go, ret);
}

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t now_ms(void)
{
	return clock_ms(CLOCK_BOOTTIME);
}

uint64_t wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void count_apply(struct daemon *dm, enum apply_kind k, double took, int r)
{
	struct apply_stats *s = &dm->ctr.apply[k];

	s->count++;
	s->failures += r < 0;
	s->sum_s += took;
	s->last_s = took;
}

/*
 * Opens the table socket before any other netlink socket, so that its portid is our pid:
 * disable finds the agent that owns the table that way (kernel.h).
 */
static int open_nft(struct daemon *dm)
{
	struct kernel_opts ko;
	int r;

	kernel_opts_init(&ko);
	ko.daemon = true;
	ko.refresh_timeouts = true;
	r = kernel_open(&ko, &dm->nft);
	if (r < 0)
		return log_err(r, "Cannot talk to nf_tables: %m%s",
			       r == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
	dm->table_flags = kernel_table_flags(&dm->nft, &ko);
	if (dm->nft.portid != (uint32_t)getpid())
		log_warn(0, "netlink portid %u is not our pid %ld: flowguard disable will not find "
			    "this agent, ignoring", dm->nft.portid, (long)getpid());
	return 0;
}

/* SIGHUP, SIGTERM, SIGINT and SIGUSR1 arrive through the signalfd, never as handlers. */
static int open_signals(struct daemon *dm)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	/* sd_notify and c-ares never need SIGPIPE; a closed peer is an error return. */
	signal(SIGPIPE, SIG_IGN);
	dm->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	return dm->sigfd < 0 ? -errno : 0;
}

/* A private directory: status.json lists what this host may reach. */
static int make_dir(const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return chmod(dir, 0700) < 0 ? -errno : 0;
}

static int set_paths(struct daemon *dm)
{
	const struct daemon_opts *o = dm->opts;
	int r;

	r = make_dir(o->run_dir);
	if (r < 0)
		log_warn(r, "Failed to create '%s': %m; flowguard status cannot show this agent, "
			    "ignoring", o->run_dir);
	r = make_dir(o->state_dir);
	if (r < 0)
		log_warn(r, "Failed to create '%s': %m; the next start waits for DNS, ignoring",
			 o->state_dir);
	if (snprintf(dm->state_path, sizeof(dm->state_path), "%s/names", o->state_dir) >=
		    (int)sizeof(dm->state_path) ||
	    snprintf(dm->status_path, sizeof(dm->status_path), "%s/%s", o->run_dir,
		     FG_STATUS_FILE) >= (int)sizeof(dm->status_path))
		return log_err(-ENAMETOOLONG, "state or run directory: %m");
	return 0;
}

/* Fast boot: the last good answers fill the first table before DNS is reachable. */
static int load_saved(struct daemon *dm)
{
	struct names_opts no;
	int r;

	gen_names_opts(dm->gen, &no);
	r = names_new(dm->gen->plan, &no, &dm->names);
	if (r < 0)
		return log_err(r, "Failed to set up the names: %m");
	r = names_load(dm->names, dm->state_path, now_ms(), wall_ms() / 1000);
	if (r == -ENOENT)
		log_info("No saved answers in '%s': the sets fill as names resolve",
			 dm->state_path);
	else if (r < 0)
		log_warn(r, "Failed to load the saved answers from '%s': %m; the sets fill as "
			    "names resolve, ignoring", dm->state_path);
	return 0;
}

/* Only CAP_NET_ADMIN from here on (privs.h); SIGHUP's detection runs with just that. */
static int restrict_privs(void)
{
	int r;

	r = privs_restrict();
	if (r == -EPERM)
		return log_err(r, "CAP_NET_ADMIN is not in the effective set: nf_tables needs it "
				  "(in the unit: AmbientCapabilities=CAP_NET_ADMIN, or run as root)");
	if (r < 0)
		return log_err(r, "Failed to drop capabilities and set no_new_privs: %m");
	log_debug("Capabilities: CAP_NET_ADMIN only, no_new_privs set");
	return 0;
}

static int setup(struct daemon *dm)
{
	int r;

	dm->started_wall_s = wall_ms() / 1000;
	r = open_signals(dm);
	if (r < 0)
		return log_err(r, "Failed to set up signals: %m");
	r = open_nft(dm);
	if (r == 0)
		r = set_paths(dm);
	if (r == 0)
		r = daemon_gen_load(dm->opts, &dm->gen);
	/* Detection (gen_load) is done; what follows reads the network. */
	if (r == 0)
		r = restrict_privs();
	if (r == 0 && (r = monitor_open(&dm->mon, dm->nft.portid)) < 0)
		log_err(r, "Failed to subscribe to nf_tables events: %m");
	if (r == 0)
		r = events_open(dm);
	if (r < 0)
		return r;
	gen_summary(dm->gen, dm->summary, sizeof(dm->summary));
	r = load_saved(dm);
	if (r == 0)
		r = sets_commit_all(dm, dm->gen, dm->names, "start");
	if (r == 0 && (r = loop_new_resolver(dm->gen, dm, &dm->res)) < 0)
		log_err(r, "Failed to set up the resolver: %m");
	return r;
}

static void teardown(struct daemon *dm)
{
	events_close(dm);
	resolver_free(dm->res);
	names_free(dm->names);
	gen_free(dm->gen);
	ruleset_free(dm->applied);
	if (dm->mon.nl)
		monitor_close(&dm->mon);
	nft_close(&dm->nft);
	if (dm->sigfd >= 0)
		close(dm->sigfd);
}

static void ready(struct daemon *dm)
{
	char line[320];
	uint64_t wd = notify_watchdog_usec();

	/* Pinging at half the period leaves the other half for a slow commit. */
	dm->watchdog_ms = wd / 2000;
	dm->watchdog_due_ms = now_ms() + dm->watchdog_ms;
	state_status_line(dm, line, sizeof(line));
	notify_ready(line);
	log_info("Ready: %s", line);
	state_metrics_arm(dm);
	state_changed(dm);
}

int daemon_run(const struct daemon_opts *o)
{
	struct daemon_opts opts = *o;
	struct daemon dm = { .opts = &opts, .sigfd = -1, .heal_due_ms = NEVER,
			     .save_due_ms = NEVER, .metrics_due_ms = NEVER,
			     .status_due_ms = NEVER };
	int r;

	if (!opts.state_dir)
		opts.state_dir = FG_STATE_DIR;
	if (!opts.run_dir)
		opts.run_dir = FG_RUN_DIR;
	log_init();
	r = setup(&dm);
	if (r == 0) {
		ready(&dm);
		r = loop_run(&dm);
		notify_stopping();
		state_save_now(&dm);
		state_remove_status(&dm);
	}
	teardown(&dm);
	return r;
}
