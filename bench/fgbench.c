/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fgbench: the benchmark driver (issue 8). Links the same objects as flowguard and only
 * ever runs inside a network namespace that bench/run.sh made. Each timed comparison
 * alternates flowguard and the baseline (ours first on even runs, nft first on odd ones)
 * and prints one line per scenario that run.sh turns into the table:
 *   RESULT <key> <ours_ms> <base_ms> <ours_min> <base_min> <runs> <extra...>
 *
 *   fgbench s1 CONFIG CATALOG PERSET RUNS   full apply: relay plan + PERSET synthetic
 *                                           addresses in every DNS-fed set, vs nft -f
 *   fgbench s2 N4 N6 RUNS                   large set initial load, vs nft -f
 *   fgbench s3 N RUNS                       one address changes in an N-element set:
 *                                           element diff vs flush set + re-add (nft -f)
 *   fgbench commit1 CONFIG CATALOG PERSET   (child) commit the s1 table, print netlink us
 *   fgbench commit2 N4 N6                   (child) commit the s2 table, print netlink us
 *   fgbench s1real FG CONFIG CATALOG RUNS [KEY]
 *                                           `FG apply` (the real binary) vs nft -f of the
 *                                           same plan (DNS-fed sets empty, as apply leaves them),
 *                                           without and then with a keeper of the hook keys
 *   fgbench s7cfg N DIR                     a relay config with N static addresses in
 *                                           DIR/flowguard.yaml + DIR/conf.d/
 *   fgbench s7 FG DIR CATALOG N             `FG check` of DIR's config: wall, CPU, peak RSS
 *   fgbench s6 MODE CONFIG CATALOG PERSET FILE
 *                                           commit the packet-path table (the s1 relay table
 *                                           plus tcp and udp 5201 to 10.232.0.2; MODE walk:
 *                                           without the ct shortcut, real: as it is) and
 *                                           write it as nft text to FILE (linearize.py's input)
 *   fgbench count SET                       elements of SET in table inet flowguard
 *   fgbench s4 CTLCONF FQDN SET N           N record changes via unbound-control; ms from
 *                                           the change until SET holds the new address
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* argv arrays for posix_spawn take char *; the strings are never written. */
#pragma GCC diagnostic ignored "-Wcast-qual"

#include "agent/kernel/kernel.h"
#include "netlink/nft.h"
#include "netlink/setdiff.h"
#include "policies/compile.h"

extern char **environ;

static const char *self_path;
static char tmpdir[256] = "/tmp";

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The p-quantile (0..1) of v[0..n), by linear interpolation; v itself stays in run order. */
static double quantile(const double *v, size_t n, double p)
{
	double *c = malloc(n * sizeof(*c)), x, q;
	size_t i;

	if (!c || !n) {
		free(c);
		return 0;
	}
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_double);
	x = p * (double)(n - 1);
	i = (size_t)x;
	q = i + 1 < n ? c[i] + (c[i + 1] - c[i]) * (x - (double)i) : c[i];
	free(c);
	return q;
}

static double median(const double *v, size_t n)
{
	return quantile(v, n, 0.5);
}

static double minimum(const double *v, size_t n)
{
	double m = v[0];
	size_t i;

	for (i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

static void die(const char *what, int r)
{
	fprintf(stderr, "fgbench: %s: %s\n", what, strerror(r < 0 ? -r : r));
	exit(1);
}

static bool quiet_stderr;
/* The last run_timed() child's resource usage (CPU time, peak RSS). */
static struct rusage last_usage;

/*
 * Runs argv to completion and returns its wall time in ms; its stdout goes to out (may
 * be NULL: /dev/null). Exits on failure: a benchmark of a failing command means nothing.
 */
static double run_timed(char *const argv[], char *out, size_t out_len)
{
	posix_spawn_file_actions_t fa;
	int p[2], st;
	pid_t pid;
	double t0, t1;
	size_t got = 0;
	ssize_t n;

	if (pipe(p) < 0)
		die("pipe", errno);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	if (quiet_stderr) /* flowguard apply's one-line report, once per run */
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	t0 = now_ms();
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ))
		die(argv[0], errno);
	close(p[1]);
	while ((n = read(p[0], out ? out + got : (char[256]){ 0 }, out ? out_len - 1 - got : 256)) >
	       0)
		if (out)
			got += (size_t)n;
	wait4(pid, &st, 0, &last_usage);
	t1 = now_ms();
	close(p[0]);
	posix_spawn_file_actions_destroy(&fa);
	if (out)
		out[got] = '\0';
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "fgbench: %s failed (status %d)\n", argv[0], st);
		exit(1);
	}
	return t1 - t0;
}

static const char *nft_path(void)
{
	return access("/usr/sbin/nft", X_OK) == 0 ? "/usr/sbin/nft" : "/sbin/nft";
}

/*
 * The kernel frees a deleted table's elements afterwards, in a work queue that competes
 * with the next timed run for the CPU: wait settle_ms after each delete.
 */
static unsigned int settle_ms = 50;

static void delete_table(void)
{
	struct nft_error err;
	struct nft_ctx ctx;
	int r = nft_open(&ctx);

	if (r < 0)
		die("nft_open", r);
	r = nft_delete_table(&ctx, FG_TABLE, &err);
	if (r < 0 && r != -ENOENT)
		die("delete table", r);
	nft_close(&ctx);
	if (r == 0) {
		struct timespec ts = { settle_ms / 1000, (long)(settle_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
}

static size_t count_set(const char *set, uint8_t family, unsigned int flags)
{
	struct ruleset *rs = ruleset_new(FG_TABLE);
	struct rs_set *s = ruleset_add_set(rs, set, family, flags);
	struct nft_ctx ctx;
	size_t n;
	int r = nft_open(&ctx);

	if (r == 0)
		r = nft_dump_set_elems(&ctx, FG_TABLE, s);
	nft_close(&ctx);
	n = r == 0 ? s->n_elems : 0;
	ruleset_free(rs);
	return n;
}

/*
 * Commits rs as flowguard apply does it (kernel_apply: open, a GETGEN round trip, read +
 * compare + one batch with owner|persist; no probe), or with FGBENCH_PROBE=1 as apply did
 * before issue 8 and as the daemon does at start: the feature probe first.
 */
static bool probe_first;

static double commit_timed(const struct ruleset *rs)
{
	struct nft_commit_opts co = { .keep_orphan = true };
	struct kernel_opts ko;
	struct nft_error err = { 0 };
	struct nft_ctx ctx;
	FILE *devnull = fopen("/dev/null", "w");
	double t0 = now_ms(), t1;
	int r;

	kernel_opts_init(&ko);
	if (!devnull)
		die("/dev/null", errno);
	if (probe_first) {
		r = nft_open(&ctx);
		if (r == 0)
			r = nft_probe(&ctx, 0);
		co.table_flags = kernel_table_flags(&ctx, &ko);
		if (r == 0)
			r = nft_commit_ruleset(&ctx, rs, &co, NULL, &err);
		nft_close(&ctx);
	} else {
		r = kernel_apply(rs, &ko, devnull);
	}
	t1 = now_ms();
	fclose(devnull);
	if (r < 0) {
		fprintf(stderr, "fgbench: commit: %s: %s (%s)\n", err.object, strerror(-r),
			err.msg);
		exit(1);
	}
	return t1 - t0;
}

static void write_nft(const struct ruleset *rs, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f || ruleset_print_nft(rs, f) < 0 || fclose(f))
		die(path, errno);
}

static void add_v4(struct rs_set *s, uint32_t host, uint64_t timeout, const char *comment)
{
	struct rs_elem e = { .addr = { .family = AF_INET, .prefix = 32 },
			     .timeout_ms = timeout,
			     .comment = (char *)(uintptr_t)comment };
	uint32_t a = htonl(host);

	memcpy(e.addr.addr, &a, 4);
	if (rs_set_add_elem(s, &e) < 0)
		die("add elem", ENOMEM);
}

static void add_v6(struct rs_set *s, uint32_t hi, uint32_t lo, uint64_t timeout,
		   const char *comment)
{
	struct rs_elem e = { .addr = { .family = AF_INET6, .prefix = 128 },
			     .timeout_ms = timeout,
			     .comment = (char *)(uintptr_t)comment };
	uint32_t a = htonl(0x20010db8), b = htonl(hi), c = htonl(lo);

	memcpy(e.addr.addr, &a, 4);
	memcpy(e.addr.addr + 8, &b, 4);
	memcpy(e.addr.addr + 12, &c, 4);
	if (rs_set_add_elem(s, &e) < 0)
		die("add elem", ENOMEM);
}

/* ---- scenario 1: the relay plan, its DNS-fed sets filled with synthetic answers ---- */

static struct plan *relay_plan(const char *config, const char *catalog, unsigned int perset)
{
	struct host_facts facts;
	struct catalog *cat = NULL;
	struct config *cfg = NULL;
	struct plan *p = NULL;
	struct diag d = { 0 };
	char name[64];
	size_t i;
	unsigned int j;
	int r;

	r = catalog_load(catalog, &cat, &d);
	if (r == 0)
		r = config_load(config, false, cat, &cfg, &d);
	if (r == 0)
		r = config_validate(cfg, cat, &d);
	if (r == 0)
		r = facts_from_config(cfg, cat, &facts, &d);
	if (r == 0)
		r = compile(cat, cfg, &facts, &p, &d);
	if (r < 0)
		diag_print(&d, stderr);
	diag_clear(&d);
	config_free(cfg);
	catalog_free(cat);
	if (r < 0)
		die("compile", r);
	for (i = 0; i < p->rs->n_sets; i++) {
		struct rs_set *s = &p->rs->sets[i];

		if (!s->dynamic)
			continue;
		for (j = 0; j < perset; j++) {
			snprintf(name, sizeof(name), "host%u.set%zu.example.com", j % 5, i);
			if (s->family == AF_INET)
				add_v4(s, 0xc6120000U + ((uint32_t)i << 8) + j + 1, 3600000, name);
			else
				add_v6(s, (uint32_t)i, j + 1, 3600000, name);
		}
		rs_set_sort(s);
	}
	return p;
}

static void plan_stats(const struct ruleset *rs, size_t *sets, size_t *elems, size_t *rules)
{
	size_t i;

	*sets = rs->n_sets;
	*elems = *rules = 0;
	for (i = 0; i < rs->n_sets; i++)
		*elems += rs->sets[i].n_elems;
	for (i = 0; i < rs->n_chains; i++)
		*rules += rs->chains[i].n_rules;
}

/*
 * Runs, times each, in a rotating order: `self child-args` (as flowguard apply: no probe),
 * the same with FGBENCH_PROBE=1 (the probe first: apply before issue 8, the daemon's start),
 * and `nft -f file`, each on a deleted table. All are whole processes, timed from spawn to
 * exit; the children also report their netlink part (net[], net2[]).
 */
static void compare_apply(char *const ours[], const char *file, unsigned int runs, double *o,
			  double *o2, double *b, double *net, double *net2)
{
	char *nft[] = { (char *)nft_path(), "-f", (char *)file, NULL };
	char out[256];
	unsigned int i;

	for (i = 0; i < runs; i++) {
		int k;

		for (k = 0; k < 3; k++) {
			int which = (int)((i + (unsigned int)k) % 3);

			delete_table();
			if (which == 0) {
				o[i] = run_timed(ours, out, sizeof(out));
				net[i] = strtod(out, NULL);
			} else if (which == 1) {
				setenv("FGBENCH_PROBE", "1", 1);
				o2[i] = run_timed(ours, out, sizeof(out));
				unsetenv("FGBENCH_PROBE");
				net2[i] = strtod(out, NULL);
			} else {
				b[i] = run_timed(nft, NULL, 0);
			}
		}
	}
}

/*
 * The noise of the run: interquartile ranges of both sides, and of the per-run ratios
 * (run i of ours against run i of the baseline, next to each other in time).
 */
static void spread(const char *pfx, const double *o, const double *b, unsigned int runs, char *buf,
		   size_t len)
{
	double *r = calloc(runs, sizeof(*r));
	unsigned int i, n = 0;

	if (!r)
		die("calloc", ENOMEM);
	for (i = 0; i < runs; i++)
		if (b && b[i] > 0)
			r[n++] = o[i] / b[i];
	snprintf(buf, len, "%so_q1=%.3f %so_q3=%.3f", pfx, quantile(o, runs, 0.25), pfx,
		 quantile(o, runs, 0.75));
	if (b)
		snprintf(buf + strlen(buf), len - strlen(buf),
			 " %sb_q1=%.3f %sb_q3=%.3f %sr_q1=%.3f %sr_med=%.3f %sr_q3=%.3f", pfx,
			 quantile(b, runs, 0.25), pfx, quantile(b, runs, 0.75), pfx,
			 quantile(r, n, 0.25), pfx, quantile(r, n, 0.5), pfx, quantile(r, n, 0.75));
	free(r);
}

static void result(const char *key, double *o, double *b, unsigned int runs, const char *extra)
{
	double mo = minimum(o, runs), mb = minimum(b, runs);
	char sp[256];

	spread("", o, b, runs, sp, sizeof(sp));
	printf("RESULT %s %.3f %.3f %.3f %.3f %u %s %s\n", key, median(o, runs), median(b, runs),
	       mo, mb, runs, extra, sp);
	fflush(stdout);
}

static int cmd_s1(const char *config, const char *catalog, unsigned int perset, unsigned int runs)
{
	struct plan *p = relay_plan(config, catalog, perset);
	double *o = calloc(runs, sizeof(double)), *b = calloc(runs, sizeof(double)),
	       *net = calloc(runs, sizeof(double)), *o2 = calloc(runs, sizeof(double)),
	       *net2 = calloc(runs, sizeof(double));
	char file[300], ps[16], extra[480], sp[256];
	char *ours[] = { (char *)self_path, "commit1", (char *)config, (char *)catalog, ps, NULL };
	size_t ns, ne, nr;

	snprintf(ps, sizeof(ps), "%u", perset);
	snprintf(file, sizeof(file), "%s/s1.nft", tmpdir);
	write_nft(p->rs, file);
	plan_stats(p->rs, &ns, &ne, &nr);
	compare_apply(ours, file, runs, o, o2, b, net, net2);
	delete_table();
	spread("net_", net, b, runs, sp, sizeof(sp));
	snprintf(extra, sizeof(extra), "net_ms=%.3f sets=%zu elems=%zu rules=%zu %s",
		 median(net, runs), ns, ne, nr, sp);
	result("s1", o, b, runs, extra);
	snprintf(extra, sizeof(extra), "net_ms=%.3f sets=%zu elems=%zu rules=%zu",
		 median(net2, runs), ns, ne, nr);
	result("s1_probe", o2, b, runs, extra);
	free(o2);
	free(net2);
	plan_free(p);
	free(o);
	free(b);
	free(net);
	return 0;
}

static int cmd_commit1(const char *config, const char *catalog, unsigned int perset)
{
	struct plan *p = relay_plan(config, catalog, perset);

	printf("%.3f\n", commit_timed(p->rs));
	plan_free(p);
	return 0;
}

static double usage_cpu_ms(const struct rusage *u)
{
	return (double)(u->ru_utime.tv_sec + u->ru_stime.tv_sec) * 1e3 +
	       (double)(u->ru_utime.tv_usec + u->ru_stime.tv_usec) / 1e3;
}

/* The plan exactly as `flowguard plan --no-resolve` prints it (the replace preamble too). */
static void write_plan(const struct plan *p, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f || plan_print(p, f) < 0 || fclose(f))
		die(path, errno);
}

/* One side of s1real: a command, its wall and CPU times per round. */
struct side {
	char **argv;
	double *wall, *cpu;
};

static void side_alloc(struct side *s, char **argv, unsigned int runs)
{
	s->argv = argv;
	s->wall = calloc(runs, sizeof(double));
	s->cpu = calloc(runs, sizeof(double));
	if (!s->wall || !s->cpu)
		die("calloc", ENOMEM);
}

static void side_free(struct side *s)
{
	free(s->wall);
	free(s->cpu);
}

/*
 * RESULT key: ours against one baseline. CPU time (user + sys of the whole process) beside
 * the wall time: on a loaded VM a process mostly waits for a core, and the wait, not the
 * work, fills the wall time.
 */
static void side_result(const char *key, const struct side *o, const struct side *b,
			unsigned int runs, const char *stats)
{
	char extra[480], sp[256];

	spread("cpu_", o->cpu, b->cpu, runs, sp, sizeof(sp));
	snprintf(extra, sizeof(extra), "%s cpu_o=%.3f cpu_b=%.3f %s", stats, median(o->cpu, runs),
		 median(b->cpu, runs), sp);
	result(key, o->wall, b->wall, runs, extra);
}

/*
 * The n commands of s1real rotate from round to round, each on a deleted table; a
 * side's round i gets its wall and CPU times.
 */
static void rotate(struct side *sd, unsigned int n, unsigned int runs)
{
	unsigned int i, k;

	quiet_stderr = true;
	for (i = 0; i < runs; i++) {
		for (k = 0; k < n; k++) {
			struct side *s = &sd[(i + k) % n];

			delete_table();
			s->wall[i] = run_timed(s->argv, NULL, 0);
			s->cpu[i] = usage_cpu_ms(&last_usage);
		}
	}
	quiet_stderr = false;
	delete_table();
}

/*
 * The first netfilter hook of a kind on the whole machine turns a kernel static key on,
 * and the last one off: code patching with IPIs to every CPU, 1.6 ms of a 2 ms commit on
 * this VM for the relay's chains and conntrack's hooks, and much of the noise. Keys are
 * shared by all namespaces, so on a host that has any firewall loaded (or flowguard's own
 * table, which a re-apply replaces in one transaction) they are already on. The keeper: a
 * child in a network namespace of its own that loads PLAN with nft -f and holds it until
 * *hold (a pipe's write end) is closed; it dies with fgbench.
 */
static pid_t keeper_start(const char *plan, int *hold)
{
	char *argv[] = { (char *)nft_path(), "-f", (char *)plan, NULL };
	int ready[2], held[2];
	pid_t pid;
	char c;

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(held, O_CLOEXEC) < 0)
		die("pipe", errno);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		close(ready[0]);
		close(held[1]);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || unshare(CLONE_NEWNET) < 0)
			die("keeper", errno);
		run_timed(argv, NULL, 0);
		if (write(ready[1], "1", 1) != 1)
			_exit(1);
		while (read(held[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(held[0]);
	if (read(ready[0], &c, 1) != 1)
		die("keeper: nft -f of the plan in its namespace failed", EIO);
	close(ready[0]);
	*hold = held[1];
	return pid;
}

/* Ends the keeper: its namespace and the table in it go, and with them the keys it held. */
static void keeper_stop(pid_t pid, int hold)
{
	close(hold);
	waitpid(pid, NULL, 0);
}

/*
 * The real binary: `FG apply -c CONFIG --catalog CATALOG` (exec, catalog and config load,
 * compile, commit; its DNS-fed sets empty, as apply leaves them) against `nft -f` of the
 * same plan as `flowguard plan` prints it (KEY: the comparison; its first lines
 * replace the table, as apply does) and of the table alone (KEY_table: a stricter baseline
 * that can only create). Two passes: first with nothing else holding the plan's hooks
 * (KEY_cold: each commit turns the machine's hook keys on), then with a keeper holding them
 * (KEY and KEY_table), as on any host where a firewall is already loaded.
 */
static int cmd_s1real(const char *fg, const char *config, const char *catalog, unsigned int runs,
		      const char *key)
{
	struct plan *p = relay_plan(config, catalog, 0);
	char *ours[] = { (char *)fg,  "apply",	       "-c", (char *)config,
			 "--catalog", (char *)catalog, NULL };
	char planf[300], tablef[300], stats[128], tkey[64];
	char *nft_plan[] = { (char *)nft_path(), "-f", planf, NULL };
	char *nft_table[] = { (char *)nft_path(), "-f", tablef, NULL };
	struct side sd[3];
	size_t ns, ne, nr;
	unsigned int k;
	pid_t keeper;
	int hold;

	side_alloc(&sd[0], ours, runs);
	side_alloc(&sd[1], nft_plan, runs);
	side_alloc(&sd[2], nft_table, runs);
	snprintf(planf, sizeof(planf), "%s/%s.nft", tmpdir, key);
	snprintf(tablef, sizeof(tablef), "%s/%s_table.nft", tmpdir, key);
	write_plan(p, planf);
	write_nft(p->rs, tablef);
	plan_stats(p->rs, &ns, &ne, &nr);
	settle_ms = 50 + (unsigned int)(ne / 50);
	snprintf(stats, sizeof(stats), "sets=%zu elems=%zu rules=%zu", ns, ne, nr);
	rotate(sd, 3, runs);
	snprintf(tkey, sizeof(tkey), "%s_cold", key);
	side_result(tkey, &sd[0], &sd[1], runs, stats);
	keeper = keeper_start(planf, &hold);
	rotate(sd, 3, runs);
	keeper_stop(keeper, hold);
	side_result(key, &sd[0], &sd[1], runs, stats);
	snprintf(tkey, sizeof(tkey), "%s_table", key);
	side_result(tkey, &sd[0], &sd[2], runs, stats);
	plan_free(p);
	for (k = 0; k < 3; k++)
		side_free(&sd[k]);
	return 0;
}

/* ---- scenario 7: check at 1k, 10k, 100k static addresses (and apply of 10k: s8) ---- */

/* Up to this many addresses per drop-in file: a flow list of them stays under 1 MiB. */
#define S7_PER_FILE 50000

/*
 * DIR/flowguard.yaml: a relay (the catalog's flows, as relay-jp1) and DIR/conf.d/NN.yaml,
 * each one allow entry of up to S7_PER_FILE distinct IPv4 addresses in a scattered order
 * (10.0.0.0/8, the multiplicative hash of the index), so that nothing arrives sorted.
 */
static int cmd_s7cfg(unsigned int n, const char *dir)
{
	char path[512];
	unsigned int i = 0, k;
	FILE *f;

	snprintf(path, sizeof(path), "%s/conf.d", dir);
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) || (mkdir(path, 0755) < 0 && errno != EEXIST))
		die(dir, errno);
	snprintf(path, sizeof(path), "%s/flowguard.yaml", dir);
	f = fopen(path, "w");
	if (!f)
		die(path, errno);
	fputs("mode: enforce\nroles: [relay]\nregion: jp-1\ningress: enforce\n"
	      "dns-servers: [10.30.0.2]\nntp-servers: [10.30.0.3]\n"
	      "relays: [relay-parent.corp.example]\nrelay-clients: [10.30.0.0/16]\n",
	      f);
	if (fclose(f))
		die(path, errno);
	for (k = 0; i < n; k++) {
		snprintf(path, sizeof(path), "%s/conf.d/%02u.yaml", dir, k);
		f = fopen(path, "w");
		if (!f)
			die(path, errno);
		fprintf(f, "allow:\n  - name: bulk%u\n    ports: [443]\n    to: [", k);
		for (; i < n && i < (k + 1) * S7_PER_FILE; i++) {
			/* Knuth's multiplicative hash: a permutation of 0..2^24-1, so no repeats. */
			uint32_t x = (i * 2654435761U) & 0xffffff;

			fprintf(f, "%s10.%u.%u.%u", i % S7_PER_FILE ? ", " : "", x >> 16,
				(x >> 8) & 255, x & 255);
		}
		fputs("]\n", f);
		if (fclose(f))
			die(path, errno);
	}
	return 0;
}

/*
 * `FG check -c DIR/flowguard.yaml` RUNS times (whole processes): wall time, CPU time and
 * peak RSS. check loads catalog and configuration, compiles, and prints one line.
 */
static int cmd_s7(const char *fg, const char *dir, const char *catalog, unsigned int n)
{
	unsigned int runs = 7, i;
	double *wall = calloc(runs, sizeof(double)), *cpu = calloc(runs, sizeof(double)),
	       *rss = calloc(runs, sizeof(double));
	char config[512], key[32], extra[160], sp[256];
	char *argv[] = { (char *)fg, "check", "-c", config, "--catalog", (char *)catalog, NULL };

	if (!wall || !cpu || !rss)
		die("calloc", ENOMEM);
	snprintf(config, sizeof(config), "%s/flowguard.yaml", dir);
	for (i = 0; i < runs; i++) {
		wall[i] = run_timed(argv, NULL, 0);
		cpu[i] = usage_cpu_ms(&last_usage);
		rss[i] = (double)last_usage.ru_maxrss;
	}
	snprintf(key, sizeof(key), "s7_%u", n);
	spread("", wall, NULL, runs, sp, sizeof(sp));
	snprintf(extra, sizeof(extra),
		 "cpu_ms=%.3f cpu_q1=%.3f cpu_q3=%.3f maxrss_kb=%.0f addrs=%u", median(cpu, runs),
		 quantile(cpu, runs, 0.25), quantile(cpu, runs, 0.75), median(rss, runs), n);
	printf("RESULT %s %.3f 0 %.3f 0 %u %s %s\n", key, median(wall, runs), minimum(wall, runs),
	       runs, extra, sp);
	fflush(stdout);
	free(wall);
	free(cpu);
	free(rss);
	return 0;
}

/* ---- scenario 2: one big IPv4 and one big IPv6 set ---- */

static struct ruleset *big_rs(unsigned int n4, unsigned int n6)
{
	struct ruleset *rs = ruleset_new(FG_TABLE);
	struct rs_set *s4, *s6;
	struct rs_chain *c;
	struct rs_rule *r;
	unsigned int i;

	ruleset_add_set(rs, "big_v4", AF_INET, 0);
	ruleset_add_set(rs, "big_v6", AF_INET6, 0);
	s4 = &rs->sets[0];
	s6 = &rs->sets[1];
	for (i = 0; i < n4; i++)
		add_v4(s4, 0x0a000000U + i, 0, NULL);
	for (i = 0; i < n6; i++)
		add_v6(s6, i >> 16, i, 0, NULL);
	rs_set_sort(s4);
	rs_set_sort(s6);
	/*
	 * As compile() gives a large static set: a size, so the kernel's fixed hash. Without
	 * one the kernel's resizable hash goes on rehashing in a work queue after the commit,
	 * and a dump then misses elements (the check below counted 82k-94k of 100k).
	 */
	rs_set_fit_size(s4);
	rs_set_fit_size(s6);
	c = ruleset_add_chain(rs, "output", RS_HOOK_OUTPUT, 0, RS_VERDICT_ACCEPT);
	r = rs_chain_add_rule(c);
	rs_strset(&r->set, "big_v4");
	r->set_dir = RS_DIR_DST;
	r->verdict = RS_VERDICT_ACCEPT;
	r = rs_chain_add_rule(c);
	rs_strset(&r->set, "big_v6");
	r->set_dir = RS_DIR_DST;
	r->verdict = RS_VERDICT_ACCEPT;
	return rs;
}

static int cmd_s2(unsigned int n4, unsigned int n6, unsigned int runs)
{
	struct ruleset *rs = big_rs(n4, n6);
	double *o = calloc(runs, sizeof(double)), *b = calloc(runs, sizeof(double)),
	       *net = calloc(runs, sizeof(double)), *o2 = calloc(runs, sizeof(double)),
	       *net2 = calloc(runs, sizeof(double));
	char file[300], a4[16], a6[16], extra[160];
	char *ours[] = { (char *)self_path, "commit2", a4, a6, NULL };
	size_t got4, got6;

	snprintf(a4, sizeof(a4), "%u", n4);
	snprintf(a6, sizeof(a6), "%u", n6);
	snprintf(file, sizeof(file), "%s/s2.nft", tmpdir);
	write_nft(rs, file);
	settle_ms = 50 + (n4 + n6) / 50;
	compare_apply(ours, file, runs, o, o2, b, net, net2);
	/* The last run of each: both loaded every element. */
	got4 = count_set("big_v4", AF_INET, 0);
	got6 = count_set("big_v6", AF_INET6, 0);
	delete_table();
	if (got4 != n4 || got6 != n6) {
		fprintf(stderr, "fgbench: s2: kernel holds %zu + %zu elements\n", got4, got6);
		return 1;
	}
	snprintf(extra, sizeof(extra), "net_ms=%.3f elems=%u+%u", median(net, runs), n4, n6);
	result("s2", o, b, runs, extra);
	snprintf(extra, sizeof(extra), "net_ms=%.3f elems=%u+%u", median(net2, runs), n4, n6);
	result("s2_probe", o2, b, runs, extra);
	free(o2);
	free(net2);
	ruleset_free(rs);
	free(o);
	free(b);
	free(net);
	return 0;
}

static int cmd_commit2(unsigned int n4, unsigned int n6)
{
	struct ruleset *rs = big_rs(n4, n6);

	printf("%.3f\n", commit_timed(rs));
	ruleset_free(rs);
	return 0;
}

/* ---- scenario 3: one address of a DNS-fed N-element set changes ---- */

/* State v (0/1) of the set: element 0 is 10.1.0.0 (v0) or 10.255.0.0 (v1); the rest fixed. */
static struct ruleset *dns_rs(unsigned int n, int v)
{
	struct ruleset *rs = ruleset_new(FG_TABLE);
	struct rs_set *s;
	struct rs_chain *c;
	struct rs_rule *r;
	char name[64];
	unsigned int i;

	s = ruleset_add_set(rs, "allow_dns_v4", AF_INET, RS_SET_TIMEOUT);
	s->dynamic = true;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "n%u.bench.test", i / 50);
		add_v4(s, i == 0 ? (v ? 0x0aff0000U : 0x0a010000U) : 0x0a010000U + i, 3600000,
		       name);
	}
	rs_set_sort(s);
	c = ruleset_add_chain(rs, "output", RS_HOOK_OUTPUT, 0, RS_VERDICT_ACCEPT);
	r = rs_chain_add_rule(c);
	rs_strset(&r->set, "allow_dns_v4");
	r->set_dir = RS_DIR_DST;
	r->l4proto = IPPROTO_TCP;
	r->dport = 443;
	r->verdict = RS_VERDICT_ACCEPT;
	return rs;
}

/* The usual DNS-to-set script's file: flush set + re-add of every element, one transaction. */
static void write_reload(const struct rs_set *s, const char *path)
{
	FILE *f = fopen(path, "w");
	char buf[64];
	size_t i;

	if (!f)
		die(path, errno);
	fprintf(f, "flush set inet %s %s\nadd element inet %s %s {", FG_TABLE, s->name, FG_TABLE,
		s->name);
	for (i = 0; i < s->n_elems; i++)
		fprintf(f, "%s\n\t%s timeout 1h comment \"%s\"", i ? "," : "",
			rs_addr_format(&s->elems[i].addr, buf, sizeof(buf)), s->elems[i].comment);
	fputs("\n}\n", f);
	if (fclose(f))
		die(path, errno);
}

static bool set_has(const char *set, uint32_t host)
{
	struct ruleset *rs = ruleset_new(FG_TABLE);
	struct rs_set *s = ruleset_add_set(rs, set, AF_INET, RS_SET_TIMEOUT);
	struct nft_ctx ctx;
	uint32_t a = htonl(host);
	bool found = false;
	size_t i;
	int r = nft_open(&ctx);

	if (r == 0)
		r = nft_dump_set_elems(&ctx, FG_TABLE, s);
	nft_close(&ctx);
	for (i = 0; r == 0 && i < s->n_elems; i++)
		if (s->elems[i].addr.family == AF_INET && !memcmp(s->elems[i].addr.addr, &a, 4))
			found = true;
	ruleset_free(rs);
	return found;
}

static int cmd_s3(unsigned int n, unsigned int runs)
{
	struct ruleset *st[2] = { dns_rs(n, 0), dns_rs(n, 1) };
	double *o = calloc(runs, sizeof(double)), *b = calloc(runs, sizeof(double)),
	       *cmp = calloc(runs, sizeof(double));
	char file[2][300], extra[160];
	struct nft_error err;
	struct nft_ctx ctx;
	unsigned int i;
	int cur = 0, r;

	for (i = 0; i < 2; i++) {
		snprintf(file[i], sizeof(file[i]), "%s/s3_%u.nft", tmpdir, i);
		write_reload(&st[i]->sets[0], file[i]);
	}
	delete_table();
	commit_timed(st[0]);
	/* The daemon's long-lived socket; it knows what it applied (no dump per change). */
	if ((r = nft_open(&ctx)) < 0 || (r = nft_probe(&ctx, 0)) < 0)
		die("nft_open", r);
	for (i = 0; i < 2 * runs; i++) {
		int next = !cur;
		bool ours = (i % 2 == 0) == ((i / 2) % 2 == 0);
		unsigned int slot = i / 2;

		if (ours) {
			struct rs_set *c = &st[cur]->sets[0], *w = &st[next]->sets[0];
			struct setdiff d;
			double t0 = now_ms(), t1;

			r = setdiff_compute(c->elems, c->n_elems, w->elems, w->n_elems, 0, &d);
			t1 = now_ms();
			if (r == 0)
				r = nft_set_apply_diff(&ctx, FG_TABLE, w, &d, &err);
			o[slot] = now_ms() - t0;
			cmp[slot] = t1 - t0;
			if (r < 0)
				die("set diff", r);
			if (d.n_add != 1 || d.n_del != 1) {
				fprintf(stderr, "fgbench: s3: diff %zu add %zu del\n", d.n_add,
					d.n_del);
				return 1;
			}
			setdiff_clear(&d);
		} else {
			char *nft[] = { (char *)nft_path(), "-f", file[next], NULL };

			b[slot] = run_timed(nft, NULL, 0);
		}
		cur = next;
	}
	nft_close(&ctx);
	if (count_set("allow_dns_v4", AF_INET, RS_SET_TIMEOUT) != n ||
	    !set_has("allow_dns_v4", cur ? 0x0aff0000U : 0x0a010000U) ||
	    set_has("allow_dns_v4", cur ? 0x0a010000U : 0x0aff0000U)) {
		fprintf(stderr, "fgbench: s3: the kernel's set is not the last state\n");
		return 1;
	}
	delete_table();
	snprintf(extra, sizeof(extra), "diff_compute_ms=%.3f elems=%u", median(cmp, runs), n);
	result("s3", o, b, runs, extra);
	ruleset_free(st[0]);
	ruleset_free(st[1]);
	free(o);
	free(b);
	free(cmp);
	return 0;
}

/* ---- scenario 6: the packet-path table ---- */

static struct rs_chain *output_chain(struct ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->n_chains; i++)
		if (rs->chains[i].hook == RS_HOOK_OUTPUT)
			return &rs->chains[i];
	die("relay plan: no output chain", ENOENT);
	return NULL;
}

/* ip daddr @allow_iperf_names_v4 PROTO dport 5201 counter accept */
static void add_iperf_rule(struct rs_chain *c, uint8_t proto)
{
	struct rs_rule *r = rs_chain_add_rule(c);

	if (!r || rs_strset(&r->set, "allow_iperf_names_v4") < 0 ||
	    rs_strset(&r->comment, "bench: iperf3") < 0)
		die("add rule", ENOMEM);
	r->set_dir = RS_DIR_DST;
	r->l4proto = proto;
	r->dport = 5201;
	r->counter = true;
	r->verdict = RS_VERDICT_ACCEPT;
}

/*
 * The iperf3 flows come last among the accepts, after the relay's whole allowlist and
 * before its log and drop rules. walk: the ct shortcut goes too, so that every packet
 * walks the chain, as the first packet of every flow does.
 */
static void packet_path_chain(struct rs_chain *c, bool walk)
{
	struct rs_rule tmp;
	size_t tail = 0, i;

	if (walk && c->n_rules && c->rules[0].ct_state) {
		tmp = c->rules[0];
		memmove(&c->rules[0], &c->rules[1], (c->n_rules - 1) * sizeof(tmp));
		c->n_rules--;
		free(tmp.set);
		free(tmp.log_prefix);
		free(tmp.comment);
		free(tmp.origin);
	}
	while (tail < c->n_rules && c->rules[c->n_rules - 1 - tail].verdict != RS_VERDICT_ACCEPT)
		tail++;
	add_iperf_rule(c, IPPROTO_TCP);
	add_iperf_rule(c, IPPROTO_UDP);
	/* rotate [.. tail rules, tcp, udp] into [.. tcp, udp, tail rules] */
	for (i = 0; i < tail; i++) {
		tmp = c->rules[c->n_rules - 3 - i];
		memmove(&c->rules[c->n_rules - 3 - i], &c->rules[c->n_rules - 2 - i],
			(i + 2) * sizeof(tmp));
		c->rules[c->n_rules - 1 - i] = tmp;
	}
}

static int cmd_s6(const char *mode, const char *config, const char *catalog, unsigned int perset,
		  const char *file)
{
	struct plan *p = relay_plan(config, catalog, perset);
	struct rs_set *s;

	s = ruleset_add_set(p->rs, "allow_iperf_names_v4", AF_INET, RS_SET_TIMEOUT);
	if (!s)
		die("add set", ENOMEM);
	s->dynamic = true;
	add_v4(s, 0x0ae80002U, 3600000, "iperf.bench.test"); /* 10.232.0.2, the server */
	packet_path_chain(output_chain(p->rs), !strcmp(mode, "walk"));
	write_nft(p->rs, file);
	delete_table();
	commit_timed(p->rs);
	plan_free(p);
	return 0;
}

/* ---- scenario 4: DNS change to kernel, with the real daemon ---- */

static int cmd_s4(const char *ctlconf, const char *fqdn, const char *set, unsigned int n)
{
	double *lat = calloc(n, sizeof(double)), *ctl = calloc(n, sizeof(double));
	unsigned int i, seed = 12345, polls = 0;
	char rr[256], addr[32];

	for (i = 0; i < n; i++) {
		uint32_t host = 0x0a620000U + 10 + i; /* 10.98.0.10 + i: new each time */
		char *rm[] = { "/usr/sbin/unbound-control", "-c",	  (char *)ctlconf,
			       "local_data_remove",	    (char *)fqdn, NULL };
		char *add[] = {
			"/usr/sbin/unbound-control", "-c", (char *)ctlconf, "local_data", rr, NULL
		};
		struct timespec ts;
		double t0, t1, deadline;
		unsigned int wait_ms;

		/* A random phase against the daemon's refresh cycle (TTL 1 s). */
		seed = seed * 1103515245U + 12345U;
		wait_ms = (seed >> 8) % 1000;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)wait_ms * 1000000L;
		nanosleep(&ts, NULL);
		snprintf(addr, sizeof(addr), "%u.%u.%u.%u", host >> 24, (host >> 16) & 255,
			 (host >> 8) & 255, host & 255);
		snprintf(rr, sizeof(rr), "%s. 1 IN A %s", fqdn, addr);
		t0 = now_ms();
		run_timed(rm, NULL, 0);
		/* The clock starts when the new record is being added: it cannot be served earlier. */
		t1 = now_ms();
		run_timed(add, NULL, 0);
		ctl[i] = now_ms() - t0;
		deadline = t1 + 5000;
		for (;;) {
			polls++;
			if (set_has(set, host))
				break;
			if (now_ms() > deadline) {
				fprintf(stderr, "fgbench: s4: %s not in %s after 5 s\n", addr, set);
				return 1;
			}
			ts.tv_nsec = 5000000L; /* 5 ms */
			nanosleep(&ts, NULL);
		}
		lat[i] = now_ms() - t1;
		fprintf(stderr, "  change %u: %s in the kernel after %.1f ms\n", i + 1, addr,
			lat[i]);
	}
	qsort(lat, n, sizeof(double), cmp_double);
	printf("RESULT s4 %.3f %.3f %.3f %.3f %u p90_ms=%.1f max_ms=%.1f ctl_ms=%.1f polls=%u\n",
	       median(lat, n), 0.0, lat[0], 0.0, n, lat[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1],
	       lat[n - 1], median(ctl, n), polls);
	free(lat);
	free(ctl);
	return 0;
}

int main(int argc, char **argv)
{
	const char *t = getenv("FGBENCH_TMP");
	const char *cmd = argc > 1 ? argv[1] : "";

	self_path = "/proc/self/exe";
	{
		static char buf[4096];
		ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

		if (n > 0) {
			buf[n] = '\0';
			self_path = buf;
		}
	}
	probe_first = getenv("FGBENCH_PROBE") != NULL;
	if (t)
		snprintf(tmpdir, sizeof(tmpdir), "%s", t);
	if (!strcmp(cmd, "s1") && argc == 6)
		return cmd_s1(argv[2], argv[3], (unsigned int)atoi(argv[4]),
			      (unsigned int)atoi(argv[5]));
	if (!strcmp(cmd, "commit1") && argc == 5)
		return cmd_commit1(argv[2], argv[3], (unsigned int)atoi(argv[4]));
	if (!strcmp(cmd, "s2") && argc == 5)
		return cmd_s2((unsigned int)atoi(argv[2]), (unsigned int)atoi(argv[3]),
			      (unsigned int)atoi(argv[4]));
	if (!strcmp(cmd, "commit2") && argc == 4)
		return cmd_commit2((unsigned int)atoi(argv[2]), (unsigned int)atoi(argv[3]));
	if (!strcmp(cmd, "s3") && argc == 4)
		return cmd_s3((unsigned int)atoi(argv[2]), (unsigned int)atoi(argv[3]));
	if (!strcmp(cmd, "s1real") && (argc == 6 || argc == 7))
		return cmd_s1real(argv[2], argv[3], argv[4], (unsigned int)atoi(argv[5]),
				  argc == 7 ? argv[6] : "s1_real");
	if (!strcmp(cmd, "s7cfg") && argc == 4)
		return cmd_s7cfg((unsigned int)atoi(argv[2]), argv[3]);
	if (!strcmp(cmd, "s7") && argc == 6)
		return cmd_s7(argv[2], argv[3], argv[4], (unsigned int)atoi(argv[5]));
	if (!strcmp(cmd, "s6") && argc == 7)
		return cmd_s6(argv[2], argv[3], argv[4], (unsigned int)atoi(argv[5]), argv[6]);
	if (!strcmp(cmd, "count") && argc == 3) {
		printf("%zu\n", count_set(argv[2], AF_INET, RS_SET_TIMEOUT));
		return 0;
	}
	if (!strcmp(cmd, "s4") && argc == 6)
		return cmd_s4(argv[2], argv[3], argv[4], (unsigned int)atoi(argv[5]));
	fputs("usage: fgbench s1 CONFIG CATALOG PERSET RUNS | s2 N4 N6 RUNS | s3 N RUNS |"
	      " s1real FG CONFIG CATALOG RUNS [KEY] | s7cfg N DIR | s7 FG DIR CATALOG N |"
	      " s4 CTLCONF FQDN SET N |"
	      " s6 real|walk CONFIG CATALOG PERSET FILE | count SET\n",
	      stderr);
	return 2;
}
