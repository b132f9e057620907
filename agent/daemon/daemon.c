/* SPDX-License-Identifier: GPL-2.0-or-later */
/* flowguard run: opening the daemon's parts, the event loop (loop.c), closing them. */
#include <errno.h>

#include "agent/daemon/daemon_int.h"
#include "agent/util/clock.h"
#include "agent/util/log.h"
#include "agent/util/notify.h"
#include "agent/util/paths.h"
#include "agent/util/privs.h"

/* Only CAP_NET_ADMIN from here on (privs.h); SIGHUP's detection runs with just that. */
static int restrict_privs(void)
{
	int r;

	r = privs_restrict();
	if (r == -EPERM)
		return log_err(r,
			       "CAP_NET_ADMIN is not in the effective set: nf_tables needs it "
			       "(in the unit: AmbientCapabilities=CAP_NET_ADMIN, or run as root)");
	if (r < 0)
		return log_err(r, "Failed to drop capabilities and set no_new_privs: %m");
	log_debug("Capabilities: CAP_NET_ADMIN only, no_new_privs set");
	return 0;
}

/* Fast boot: the last good answers fill the first table before DNS is reachable. */
static int open_names(struct daemon *dm)
{
	struct names_opts no;
	int r;

	gen_names_opts(dm->cur.gen, &no);
	r = names_new(dm->cur.gen->plan, &no, &dm->cur.names);
	if (r < 0)
		return log_err(r, "Failed to set up the names: %m");
	state_load_names(&dm->st, dm->cur.names);
	return 0;
}

/*
 * What the first commit does to a table already there, for the journal: adopting one an
 * earlier agent left (persist, no owner) or taking over another, and what it repairs.
 */
static void log_start_table(struct daemon *dm)
{
	struct nft_table_state st = { 0 };
	struct ruleset *cur = NULL;
	int r;

	r = sets_read_table(&dm->sets, &st, &cur);
	if (r == -ENOENT) {
		log_notice("start: no table inet %s yet: programming it", FG_TABLE);
		return;
	}
	if (r < 0) {
		log_warn(r, "start: cannot read table inet %s: %m; programming it", FG_TABLE);
		return;
	}
	if ((st.flags & NFT_TABLE_F_PERSIST) && !(st.flags & NFT_TABLE_F_OWNER))
		log_notice("start: adopting table inet %s, left in place by an earlier agent "
			   "(persist, no owner)",
			   FG_TABLE);
	else
		log_notice("start: taking over table inet %s (flags %s%s, owner portid %u)",
			   FG_TABLE, st.flags & NFT_TABLE_F_OWNER ? "owner" : "none",
			   st.flags & NFT_TABLE_F_PERSIST ? ",persist" : "", st.owner);
	reload_log_drift(dm->cur.gen->plan->rs, cur, KERNEL_DRIFT_AUDIT, "start: repairing");
	ruleset_free(cur);
}

/* Everything that reads the network, after detection and with the privileges dropped. */
static int open_network(struct daemon *dm)
{
	const struct config *cfg = dm->cur.gen->cfg;
	int r;

	r = restrict_privs();
	if (r < 0)
		return r;
	r = heal_open(&dm->heal, dm->sets.nft.portid);
	if (r < 0)
		return log_err(r, "Failed to subscribe to nf_tables events: %m");
	r = events_open(&dm->ev, &cfg->events);
	if (r < 0)
		return r;
	gen_summary(dm->cur.gen, dm->cur.summary, sizeof(dm->cur.summary));
	r = open_names(dm);
	if (r == 0) {
		log_start_table(dm);
		r = sets_commit_all(&dm->sets, dm->cur.gen->plan, dm->cur.names, "start");
	}
	if (r == 0 && (r = refresh_resolver_new(dm->cur.gen, dm, &dm->cur.res)) < 0)
		log_err(r, "Failed to set up the resolver: %m");
	if (r == 0)
		dnshealth_reset(&dm->dns, dm->cur.res);
	return r;
}

/* The table socket first: its portid is our pid only if no other netlink socket came first. */
static int setup(struct daemon *dm)
{
	int r;

	dm->started_wall_s = wall_ms() / 1000;
	r = loop_open(&dm->loop);
	if (r < 0)
		return log_err(r, "Failed to set up signals: %m");
	r = sets_open(&dm->sets);
	if (r == 0)
		r = state_open(&dm->st, dm->opts->state_dir, dm->opts->run_dir);
	if (r == 0)
		r = reload_gen(dm->opts, &dm->cur.gen);
	/* Detection (reload_gen) is done; what follows reads the network. */
	return r < 0 ? r : open_network(dm);
}

/* Each close also takes a part that was never opened (zeroed; sigfd -1). */
static void teardown(struct daemon *dm)
{
	events_close(&dm->ev);
	reload_clear(&dm->cur);
	heal_close(&dm->heal);
	sets_close(&dm->sets);
	loop_close(&dm->loop);
}

static void ready(struct daemon *dm)
{
	char line[320];

	loop_watchdog_arm(&dm->loop);
	state_status_line(dm, line, sizeof(line));
	notify_ready(line);
	log_info("Ready: %s", line);
	textfile_arm(&dm->tf, &dm->cur.gen->cfg->metrics);
	state_changed(dm);
}

int daemon_run(const struct daemon_opts *o)
{
	struct daemon_opts opts = *o;
	struct daemon dm = { .opts = &opts, .loop.sigfd = -1, .dns.due_ms = NEVER };
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
		state_save_now(&dm.st, dm.cur.names);
		state_remove_status(&dm.st);
	}
	teardown(&dm);
	return r;
}
