/* SPDX-License-Identifier: GPL-2.0-or-later */
/* apply / audit / disable / status on top of netlink/nft.h. Decisions are in kernel.h. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/kernel/kernel.h"
#include "netlink/nft.h"
#include "netlink/rscmp.h"

/* How long disable waits for a signalled agent to release the table. */
#define DISABLE_WAIT_MS 5000
/* Above this many cells the audit diff skips alignment and lists removed, then added. */
#define DIFF_MAX_CELLS (4U * 1000 * 1000)
#define DIFF_CONTEXT 3

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
	if (r < 0)
		report(log, r, &err);
	else
		fprintf(log, "flowguard: %s table inet %s (%zu sets, %zu chains, %zu rules; flags %s)\n",
			changed ? "applied" : "unchanged:", desired->table, desired->n_sets,
			desired->n_chains, count_rules(desired),
			flags_text(co.table_flags, fl, sizeof(fl)));
	nft_close(&ctx);
	return r;
}

/* Text lines of a buffer, split in place. */
struct lines {
	char **v;
	size_t n;
};

static int split_lines(char *buf, struct lines *ret)
{
	size_t cap = 1;
	char **v;
	char *p;

	for (p = buf; *p; p++)
		cap += *p == '\n';
	v = malloc(cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	ret->v = v;
	ret->n = 0;
	for (p = buf; *p; p++) {
		ret->v[ret->n++] = p;
		p = strchrnul(p, '\n');
		if (!*p)
			break;
		*p = '\0';
	}
	return 0;
}

/* Prints a[0..n) vs b[0..m) aligned by longest common subsequence, or plainly if big. */
static void diff_middle(FILE *out, char **a, size_t n, char **b, size_t m)
{
	size_t i, j, w = m + 1;
	unsigned int *L = NULL;

	if (n * m <= DIFF_MAX_CELLS)
		L = calloc((n + 1) * w, sizeof(*L));
	if (!L) {
		for (i = 0; i < n; i++)
			fprintf(out, "-%s\n", a[i]);
		for (j = 0; j < m; j++)
			fprintf(out, "+%s\n", b[j]);
		return;
	}
	for (i = n; i-- > 0;)
		for (j = m; j-- > 0;)
			L[i * w + j] = !strcmp(a[i], b[j]) ? L[(i + 1) * w + j + 1] + 1 :
			       L[(i + 1) * w + j] > L[i * w + j + 1] ? L[(i + 1) * w + j] :
									 L[i * w + j + 1];
	for (i = 0, j = 0; i < n || j < m;) {
		if (i < n && j < m && !strcmp(a[i], b[j])) {
			fprintf(out, " %s\n", a[i++]);
			j++;
		} else if (j < m && (i == n || L[i * w + j + 1] >= L[(i + 1) * w + j])) {
			fprintf(out, "+%s\n", b[j++]);
		} else {
			fprintf(out, "-%s\n", a[i++]);
		}
	}
	free(L);
}

/* One hunk: the common head and tail are trimmed to DIFF_CONTEXT lines of context. */
static void diff_lines(FILE *out, const struct lines *a, const struct lines *b)
{
	size_t pre = 0, suf = 0, ctx_pre, ctx_suf, i;

	while (pre < a->n && pre < b->n && !strcmp(a->v[pre], b->v[pre]))
		pre++;
	while (suf < a->n - pre && suf < b->n - pre &&
	       !strcmp(a->v[a->n - 1 - suf], b->v[b->n - 1 - suf]))
		suf++;
	ctx_pre = pre < DIFF_CONTEXT ? pre : DIFF_CONTEXT;
	ctx_suf = suf < DIFF_CONTEXT ? suf : DIFF_CONTEXT;
	fprintf(out, "@@ -%zu,%zu +%zu,%zu @@\n", pre - ctx_pre + 1,
		a->n - pre - suf + ctx_pre + ctx_suf, pre - ctx_pre + 1,
		b->n - pre - suf + ctx_pre + ctx_suf);
	for (i = pre - ctx_pre; i < pre; i++)
		fprintf(out, " %s\n", a->v[i]);
	diff_middle(out, a->v + pre, a->n - pre - suf, b->v + pre, b->n - pre - suf);
	for (i = a->n - suf; i < a->n - suf + ctx_suf; i++)
		fprintf(out, " %s\n", a->v[i]);
}

/* The canonical nft text of rs, as audit compares it. *ret is malloc'ed. */
static int audit_text(const struct ruleset *rs, const struct ruleset *dyn_ref, char **ret)
{
	struct ruleset *c, *d = NULL;
	size_t len = 0;
	FILE *mem;
	int r;

	c = rscmp_canonical(rs, 0);
	if (c) {
		rscmp_copy_dynamic(c, dyn_ref);
		d = rscmp_canonical(c, RSCMP_DROP_DYNAMIC_ELEMS | RSCMP_DROP_EXPIRY);
	}
	ruleset_free(c);
	if (!d)
		return -ENOMEM;
	mem = open_memstream(ret, &len);
	r = mem ? ruleset_print_nft(d, mem) : -ENOMEM;
	if (mem && fclose(mem) != 0 && r == 0)
		r = -EIO;
	ruleset_free(d);
	return r;
}

static int compare(const struct ruleset *desired, const struct ruleset *cur, FILE *out)
{
	struct lines la = { 0 }, lb = { 0 };
	char *a = NULL, *b = NULL;
	int r;

	r = audit_text(desired, desired, &a);
	if (r == 0)
		r = audit_text(cur, desired, &b);
	if (r == 0 && strcmp(a, b) && !out) {
		r = 1;
	} else if (r == 0 && strcmp(a, b)) {
		r = split_lines(a, &la);
		if (r == 0)
			r = split_lines(b, &lb);
		if (r == 0) {
			fprintf(out, "--- desired (flowguard plan)\n+++ kernel (table inet %s)\n",
				desired->table);
			diff_lines(out, &la, &lb);
			r = 1;
		}
	}
	free(la.v);
	free(lb.v);
	free(a);
	free(b);
	return r;
}

int kernel_table_matches(const struct ruleset *desired, const struct ruleset *cur)
{
	int r = compare(desired, cur, NULL);

	return r < 0 ? r : !r;
}

int kernel_audit(const struct ruleset *desired, FILE *out)
{
	struct ruleset *cur = NULL;
	struct nft_ctx ctx;
	int r;

	r = nft_open(&ctx);
	if (r < 0) {
		fprintf(out, "flowguard: cannot talk to nf_tables: %s\n", strerror(-r));
		return r;
	}
	r = nft_dump_table(&ctx, desired->table, &cur);
	nft_close(&ctx);
	if (r == -ENOENT) {
		fprintf(out, "flowguard: table inet %s does not exist\n", desired->table);
		return 1;
	}
	if (r < 0) {
		fprintf(out, "flowguard: cannot read table inet %s: %s\n", desired->table,
			strerror(-r));
		return r;
	}
	r = compare(desired, cur, out);
	if (r == 0)
		fprintf(out, "flowguard: table inet %s matches the desired ruleset\n",
			desired->table);
	ruleset_free(cur);
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
		fprintf(log, "flowguard: table inet %s is owned by netlink portid %u, which is not "
			     "a flowguard process; stop its owner first\n", table, owner);
		return -EPERM;
	}
	fprintf(log, "flowguard: table inet %s is owned by flowguard pid %ld; stopping it\n",
		table, (long)pid);
	if (kill(pid, SIGTERM) < 0)
		return -errno;
	r = wait_released(ctx, table);
	if (r < 0)
		fprintf(log, "flowguard: pid %ld did not release table inet %s: %s\n", (long)pid,
			table, strerror(-r));
	return r;
}

int kernel_disable(const char *table, FILE *log)
{
	struct nft_table_state st;
	struct nft_error err;
	struct nft_ctx ctx = { 0 };
	int r;

	r = nft_open(&ctx);
	if (r == 0)
		r = nft_table_state(&ctx, table, &st);
	if (r == 0 && (st.flags & NFT_TABLE_F_OWNER) && st.owner != ctx.portid)
		r = release_owner(&ctx, table, st.owner, log);
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
	return r == -ENOENT ? 0 : r;
}

/* Per-rule counters of the live table: what each required flow has carried. */
static void print_counters(struct nft_ctx *ctx, const char *table, FILE *out)
{
	struct ruleset *rs = NULL;
	size_t c, i;

	if (nft_dump_table(ctx, table, &rs) < 0)
		return;
	for (c = 0; c < rs->n_chains; c++) {
		const struct rs_chain *ch = &rs->chains[c];

		fprintf(out, "\nchain %s\n  %20s %14s  rule\n", ch->name, "packets", "bytes");
		for (i = 0; i < ch->n_rules; i++) {
			const struct rs_rule *r = &ch->rules[i];

			if (r->counter)
				fprintf(out, "  %20llu %14llu  %s\n", (unsigned long long)r->packets,
					(unsigned long long)r->bytes, r->comment ? r->comment : "");
		}
	}
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
		fprintf(out, "table inet %s: flags %s%s", table, flags_text(st.flags, fl, sizeof(fl)),
			st.owner ? "" : "\n");
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
