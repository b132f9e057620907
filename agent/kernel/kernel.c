/* SPDX-License-Identifier: GPL-2.0-or-later */
/* apply / audit / disable / status on top of netlink/nft.h. Decisions are in kernel.h. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/kernel/kernel.h"
#include "agent/util/unit.h"
#include "netlink/nft.h"

/* How long disable waits for a signalled agent to release the table. */
#define DISABLE_WAIT_MS 5000

static bool env_on(const char *name)
{
	const char *v = getenv(name);

	return v && !strcmp(v, "1");
}

void kernel_opts_init(struct kernel_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->no_owner = env_on("FLOWGUARD_FORCE_NO_OWNER");
	o->no_persist = env_on("FLOWGUARD_FORCE_NO_PERSIST");
	o->no_destroy = env_on("FLOWGUARD_FORCE_NO_DESTROY");
	o->debug = env_on("FLOWGUARD_DEBUG_NETLINK");
}

/* Features forced off count as known: no probe and no refusal will turn them on. */
static void force_off(struct nft_ctx *ctx, unsigned int f)
{
	ctx->known |= f;
	ctx->features &= ~f;
}

int kernel_open(const struct kernel_opts *o, struct nft_ctx *ctx)
{
	uint32_t genid;
	int r;

	r = nft_open(ctx);
	if (r < 0)
		return r;
	if (o->no_owner)
		force_off(ctx, NFT_FEAT_OWNER | NFT_FEAT_PERSIST);
	if (o->no_persist)
		force_off(ctx, NFT_FEAT_PERSIST);
	if (o->no_destroy)
		force_off(ctx, NFT_FEAT_DESTROY);
	/*
	 * A daemon decides its table flags once and keeps them: it probes. One-shot apply
	 * does not (the probe's aborted batch costs 8-16 ms in the kernel, more than the
	 * commit): it asks for persist and learns from a refusal; a GETGEN round trip
	 * still fails early without nf_tables or CAP_NET_ADMIN.
	 */
	if (o->daemon || o->refresh_timeouts)
		r = nft_probe(ctx, o->refresh_timeouts ? NFT_FEAT_ELEM_REFRESH : 0);
	else
		r = nft_genid(ctx, &genid);
	if (r < 0) {
		nft_close(ctx);
		return r;
	}
	ctx->debug = o->debug;
	return 0;
}

static int open_probed(const struct kernel_opts *o, struct nft_ctx *ctx, FILE *log)
{
	int r = kernel_open(o, ctx);

	if (r < 0)
		fprintf(log, "flowguard: cannot talk to nf_tables: %s%s\n", strerror(-r),
			r == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
	return r;
}

/*
 * See kernel.h: owner(+persist) for a daemon; owner|persist or nothing for one-shot apply.
 * Persist not probed yet: ask for it (persist implies owner); a refusal makes it known.
 */
uint32_t kernel_table_flags(const struct nft_ctx *ctx, const struct kernel_opts *o)
{
	if ((ctx->features & NFT_FEAT_PERSIST) || !(ctx->known & NFT_FEAT_PERSIST))
		return NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST;
	if (o->daemon && (ctx->features & NFT_FEAT_OWNER))
		return NFT_TABLE_F_OWNER;
	return 0;
}

static const char *flags_text(uint32_t flags, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", flags & NFT_TABLE_F_OWNER ? "owner" : "",
		 (flags & NFT_TABLE_F_OWNER) && (flags & NFT_TABLE_F_PERSIST) ? "," : "",
		 flags & NFT_TABLE_F_PERSIST ? "persist" : "");
	if (!buf[0])
		snprintf(buf, len, "none");
	return buf;
}

/* "set 'x' (origin): kernel rejected it: Invalid argument (ext-ack text)"; seq 0: not the kernel's answer to a message. */
static void report(FILE *log, int r, const struct nft_error *err)
{
	fprintf(log, "flowguard: %s%s%s%s%s%s%s\n", err->object, err->object[0] ? ": " : "",
		err->seq ? "kernel rejected it: " : "", strerror(-r), err->msg[0] ? " (" : "",
		err->msg, err->msg[0] ? ")" : "");
}

static size_t count_rules(const struct ruleset *rs)
{
	size_t i, n = 0;

	for (i = 0; i < rs->n_chains; i++)
		n += rs->chains[i].n_rules;
	return n;
}

/*
 * A running agent holds the table (owner): the kernel refuses everyone else, root included.
 * Says so, and what to do instead, when the owner is a flowguard process.
 */
static bool held_by_agent(struct nft_ctx *ctx, const char *table, FILE *log)
{
	struct nft_table_state st;

	if (nft_table_state(ctx, table, &st) < 0 || !(st.flags & NFT_TABLE_F_OWNER) ||
	    !kernel_pid_is_flowguard((pid_t)st.owner))
		return false;
	fprintf(log,
		"flowguard: table inet %s is held by the running flowguard agent (pid %u), "
		"which keeps it as its configuration says; the kernel lets no other process "
		"change it. Edit the configuration and run 'systemctl reload flowguard' "
		"(without systemd: kill -HUP %u); 'flowguard disable' stops the agent and "
		"removes the table\n",
		table, st.owner, st.owner);
	return true;
}

int kernel_apply(const struct ruleset *desired, const struct kernel_opts *o, FILE *log)
{
	struct nft_commit_opts co = { .refresh_timeouts = o->refresh_timeouts,
				      .keep_orphan = !o->daemon };
	struct nft_error err;
	struct nft_ctx ctx;
	bool changed = false;
	char fl[32];
	int r;

	r = open_probed(o, &ctx, log);
	if (r < 0)
		return r;
	co.table_flags = kernel_table_flags(&ctx, o);
	r = nft_commit_ruleset(&ctx, desired, &co, &changed, &err);
	if (r < 0 && co.table_flags != kernel_table_flags(&ctx, o)) {
		/* persist refused: nothing of that batch was applied; once more without it */
		co.table_flags = kernel_table_flags(&ctx, o);
		r = nft_commit_ruleset(&ctx, desired, &co, &changed, &err);
	}
	if (r < 0 && !(r == -EPERM && held_by_agent(&ctx, desired->table, log)))
		report(log, r, &err);
	else if (r == 0)
		fprintf(log,
			"flowguard: %s table inet %s (%zu sets, %zu chains, %zu rules; flags %s)\n",
			changed ? "applied" : "unchanged:", desired->table, desired->n_sets,
			desired->n_chains, count_rules(desired),
			flags_text(co.table_flags, fl, sizeof(fl)));
	nft_close(&ctx);
	return r;
}

/* Whether pid is a flowguard process (its comm), so that disable may signal it. */
bool kernel_pid_is_flowguard(pid_t pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	return !strcmp(comm, "flowguard");
}

/* Polls until the table is no longer owned by another socket (or gone). */
static int wait_released(struct nft_ctx *ctx, const char *table)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	struct nft_table_state st;
	int i, r;

	for (i = 0; i < DISABLE_WAIT_MS / 50; i++) {
		r = nft_table_state(ctx, table, &st);
		if (r < 0 || !(st.flags & NFT_TABLE_F_OWNER))
			return r == -ENOENT ? 0 : r;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

/* The break-glass path for an owned table: stop its flowguard owner, never anyone else. */
static int release_owner(struct nft_ctx *ctx, const char *table, uint32_t owner, FILE *log)
{
	pid_t pid = (pid_t)owner;
	int r;

	if (!kernel_pid_is_flowguard(pid)) {
		fprintf(log,
			"flowguard: table inet %s is owned by netlink portid %u, which is not "
			"a flowguard process; stop its owner first\n",
			table, owner);
		return -EPERM;
	}
	fprintf(log, "flowguard: table inet %s is owned by flowguard pid %ld; stopping it\n", table,
		(long)pid);
	if (kill(pid, SIGTERM) < 0)
		return -errno;
	r = wait_released(ctx, table);
	if (r < 0)
		fprintf(log, "flowguard: pid %ld did not release table inet %s: %s\n", (long)pid,
			table, strerror(-r));
	return r;
}

/*
 * The journal keeps what disable did and who ran it; an enabled unit would start the agent
 * again (at boot, or with systemctl start), and with it the table: say so.
 */
static void disable_trail(const char *table, int r, long stopped, FILE *log)
{
	char agent[64] = "";

	if (stopped)
		snprintf(agent, sizeof(agent), "stopped the agent (pid %ld), ", stopped);
	if (r == 0 || r == -ENOENT)
		unit_journal("flowguard disable: %s%s table inet %s", agent,
			     r == 0 ? "removed" : "there was no", table);
	else
		unit_journal("flowguard disable failed: %s%s", agent, strerror(-r));
	if (unit_enabled(FG_UNIT))
		fprintf(log,
			"flowguard: %s is still enabled: it starts the agent again at the next "
			"boot (or systemctl start), which puts the table back; to turn flowguard "
			"off for good: systemctl disable --now flowguard\n",
			FG_UNIT);
}

int kernel_disable(const char *table, FILE *log)
{
	struct nft_table_state st;
	struct nft_error err;
	struct nft_ctx ctx = { 0 };
	long stopped = 0;
	int r;

	r = nft_open(&ctx);
	if (r == 0)
		r = nft_table_state(&ctx, table, &st);
	if (r == 0 && (st.flags & NFT_TABLE_F_OWNER) && st.owner != ctx.portid) {
		r = release_owner(&ctx, table, st.owner, log);
		stopped = r == 0 ? (long)st.owner : 0;
	}
	if (r == 0) {
		r = nft_delete_table(&ctx, table, &err);
		if (r < 0 && r != -ENOENT)
			report(log, r, &err);
	}
	if (r == 0)
		fprintf(log, "flowguard: disabled: table inet %s removed\n", table);
	else if (r == -ENOENT)
		fprintf(log, "flowguard: disabled: there is no table inet %s\n", table);
	else if (r != -EPERM)
		fprintf(log, "flowguard: disable failed: %s\n", strerror(-r));
	nft_close(&ctx);
	disable_trail(table, r, stopped, log);
	return r == -ENOENT ? 0 : r;
}

/* Whether an earlier counted rule of c has this comment (then it was summed there). */
static bool comment_seen(const struct rs_chain *c, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (c->rules[j].counter && c->rules[j].comment && c->rules[i].comment &&
		    !strcmp(c->rules[j].comment, c->rules[i].comment))
			return true;
	return false;
}

/* One line per flow: its rules (v4 and v6, each port) share the comment, so their sum. */
static void print_chain_counters(const struct rs_chain *ch, FILE *out)
{
	uint64_t packets, bytes;
	size_t i, j;

	fprintf(out, "\nchain %s\n  %20s %14s  rule\n", ch->name, "packets", "bytes");
	for (i = 0; i < ch->n_rules; i++) {
		const struct rs_rule *r = &ch->rules[i];

		if (!r->counter || comment_seen(ch, i))
			continue;
		packets = r->packets;
		bytes = r->bytes;
		for (j = i + 1; r->comment && j < ch->n_rules; j++) {
			if (ch->rules[j].counter && ch->rules[j].comment &&
			    !strcmp(ch->rules[j].comment, r->comment)) {
				packets += ch->rules[j].packets;
				bytes += ch->rules[j].bytes;
			}
		}
		fprintf(out, "  %20llu %14llu  %s\n", (unsigned long long)packets,
			(unsigned long long)bytes, r->comment ? r->comment : "");
	}
}

/* Per-flow counters of the live table: what each required flow has carried. */
static void print_counters(struct nft_ctx *ctx, const char *table, FILE *out)
{
	struct ruleset *rs = NULL;
	size_t c;

	if (nft_dump_table(ctx, table, &rs) < 0)
		return;
	for (c = 0; c < rs->n_chains; c++)
		print_chain_counters(&rs->chains[c], out);
	ruleset_free(rs);
}

int kernel_status(const char *table, FILE *out)
{
	struct kernel_opts o;
	struct nft_table_state st;
	struct nft_ctx ctx;
	char fl[32];
	int r;

	kernel_opts_init(&o);
	o.refresh_timeouts = true; /* probe that too: status reports every feature */
	r = open_probed(&o, &ctx, out);
	if (r < 0)
		return r;
	fprintf(out, "kernel: owner %s, persist %s, destroy %s, element refresh %s\n",
		ctx.features & NFT_FEAT_OWNER ? "yes" : "no",
		ctx.features & NFT_FEAT_PERSIST ? "yes" : "no",
		ctx.features & NFT_FEAT_DESTROY ? "yes" : "no",
		ctx.features & NFT_FEAT_ELEM_REFRESH ? "yes" : "no");
	r = nft_table_state(&ctx, table, &st);
	if (r == 0)
		fprintf(out, "table inet %s: flags %s%s", table,
			flags_text(st.flags, fl, sizeof(fl)), st.owner ? "" : "\n");
	if (r == 0 && st.owner)
		fprintf(out, " (owner: netlink portid %u)\n", st.owner);
	if (r == -ENOENT)
		fprintf(out, "table inet %s: not present\n", table);
	if (r == 0 && !(st.flags & NFT_TABLE_F_OWNER))
		fprintf(out, "table inet %s is not owned: other processes can change it\n", table);
	if (r == 0)
		print_counters(&ctx, table, out);
	nft_close(&ctx);
	return r == -ENOENT ? 0 : r;
}
