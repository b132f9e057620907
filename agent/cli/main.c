/* SPDX-License-Identifier: GPL-2.0-or-later */
/* flowguard: command line. The only place that exits. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "agent/daemon/daemon.h"
#include "agent/detect/detect.h"
#include "agent/kernel/kernel.h"
#include "agent/gen/gen.h"
#include "agent/report/report.h"
#include "policies/compile.h"
#include "agent/util/paths.h"
#include "agent/util/version.h"

#define EXIT_RUNTIME 1
#define EXIT_INVALID 2

/* Every option; a command takes the ones its entry in commands[] names. */
enum opt {
	OPT_CONFIG,
	OPT_CATALOG,
	OPT_ROOT,
	OPT_NO_RESOLVE,
	OPT_JSON,
	OPT_STATE_DIR,
	OPT_RUN_DIR,
	OPT_FACTS,
	OPT_SAVE,
	OPT_STATUS,
	OPT_OUTPUT,
	OPT_FORCE,
	OPT_RUN_TOOLS,
	OPT_HELP,
	OPT_VERSION,
	OPT_MAX,
};

#define OPT_BIT(opt) (1U << (opt))
/* What loading a generation reads: plan, check, apply, audit and run take them all. */
#define OPTS_GEN                                                                                   \
	(OPT_BIT(OPT_CONFIG) | OPT_BIT(OPT_CATALOG) | OPT_BIT(OPT_ROOT) | OPT_BIT(OPT_RUN_TOOLS) | \
	 OPT_BIT(OPT_FACTS))

/* getopt_long's table, indexed by enum opt; a long option's val is OPT_VAL + its index. */
#define OPT_VAL 256
static const struct option longopts[] = {
	[OPT_CONFIG] = { "config", required_argument, NULL, 'c' },
	[OPT_CATALOG] = { "catalog", required_argument, NULL, OPT_VAL + OPT_CATALOG },
	[OPT_ROOT] = { "root", required_argument, NULL, OPT_VAL + OPT_ROOT },
	[OPT_NO_RESOLVE] = { "no-resolve", no_argument, NULL, OPT_VAL + OPT_NO_RESOLVE },
	[OPT_JSON] = { "json", no_argument, NULL, OPT_VAL + OPT_JSON },
	[OPT_STATE_DIR] = { "state-dir", required_argument, NULL, OPT_VAL + OPT_STATE_DIR },
	[OPT_RUN_DIR] = { "run-dir", required_argument, NULL, OPT_VAL + OPT_RUN_DIR },
	[OPT_FACTS] = { "facts", required_argument, NULL, OPT_VAL + OPT_FACTS },
	[OPT_SAVE] = { "save", required_argument, NULL, OPT_VAL + OPT_SAVE },
	[OPT_STATUS] = { "status", required_argument, NULL, OPT_VAL + OPT_STATUS },
	[OPT_OUTPUT] = { "output", required_argument, NULL, 'o' },
	[OPT_FORCE] = { "force", no_argument, NULL, OPT_VAL + OPT_FORCE },
	[OPT_RUN_TOOLS] = { "run-tools", no_argument, NULL, OPT_VAL + OPT_RUN_TOOLS },
	[OPT_HELP] = { "help", no_argument, NULL, 'h' },
	[OPT_VERSION] = { "version", no_argument, NULL, OPT_VAL + OPT_VERSION },
	[OPT_MAX] = { NULL, 0, NULL, 0 },
};

/* How a command's usage line shows each option's argument ("" for a flag). */
static const char *const opt_args[OPT_MAX] = {
	[OPT_CONFIG] = "FILE",	 [OPT_CATALOG] = "FILE", [OPT_ROOT] = "DIR",
	[OPT_STATE_DIR] = "DIR", [OPT_RUN_DIR] = "DIR",	 [OPT_FACTS] = "FILE",
	[OPT_SAVE] = "FILE",	 [OPT_STATUS] = "FILE",	 [OPT_OUTPUT] = "FILE",
};

struct command;

struct opts {
	const struct command *cmd;
	const char *arg[OPT_MAX]; /* each option's argument ("" for a flag); NULL: not given */
	unsigned int given;	  /* OPT_BIT() of every option given */
	char config[PATH_MAX];
	char catalog[PATH_MAX];
	char root[PATH_MAX]; /* the host to detect: "/" or a fixture tree */
	bool strict;	     /* the real config path: refuse files others could have written */
	bool strict_catalog; /* the default catalog path: the same */
};

/*
 * One command: what it does (NULL: not listed in the help) and the options it takes;
 * any other option is a usage error naming the command. fn returns 0, a positive value
 * (drift: 1), or -errno, -EINVAL meaning invalid usage or configuration.
 */
struct command {
	const char *name;
	int (*fn)(const struct opts *o, struct diag *d);
	unsigned int opts;
	const char *summary;
};

static bool has(const struct opts *o, enum opt opt)
{
	return o->given & OPT_BIT(opt);
}

static int set_path(char *dst, const char *root, const char *path)
{
	int n = snprintf(dst, PATH_MAX, "%s%s", root ? root : "", path);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* getopt_long's answer as an enum opt; OPT_MAX for an unknown option. */
static void usage(FILE *out);

static void gen_opts_of(const struct opts *o, struct gen_opts *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->catalog = o->catalog;
	ret->config = o->config;
	ret->root = o->root;
	ret->strict = o->strict;
	ret->strict_catalog = o->strict_catalog;
	ret->facts = o->arg[OPT_FACTS];
	ret->run_tools = has(o, OPT_RUN_TOOLS);
}

/* Catalog, config, detection, facts and plan for one command. */
static int load(const struct opts *o, struct gen *g, struct diag *d)
{
	struct gen_opts go;

	gen_opts_of(o, &go);
	return gen_build(&go, g, d);
}

/* load() with its diagnostics printed first: they come before what the kernel says. */
static int load_shown(const struct opts *o, struct gen *g, struct diag *d)
{
	int r = load(o, g, d);

	diag_print(d, stderr);
	diag_clear(d);
	return r;
}

/* What went wrong after the input was accepted is reported; it is a runtime failure (1). */
static int runtime(int r)
{
	return r < 0 && r != -ENOMEM ? -EIO : r;
}

static int cmd_plan(const struct opts *o, struct diag *d)
{
	struct gen l = { 0 };
	int r;

	r = load(o, &l, d);
	if (r == 0 && !has(o, OPT_NO_RESOLVE))
		r = gen_plan_resolve(&l, stderr);
	if (r == 0)
		r = plan_print(l.plan, stdout);
	gen_clear(&l);
	return r;
}

/* What the agent reports once it runs these files (status, metrics): fleet tools compare. */
static void check_print_sha256(const struct config *cfg)
{
	char sha[SHA256_HEX_LEN];

	config_sha256(cfg, sha);
	printf("config sha256 %s (%zu file%s)\n", sha, cfg->n_docs, cfg->n_docs == 1 ? "" : "s");
}

/* check validates; what detection cannot tell on this host is reported, not an error. */
static int cmd_check(const struct opts *o, struct diag *d)
{
	struct gen_opts go;
	struct gen l = { 0 };
	char roles[128];
	size_t rules = 0, i;
	int r;

	gen_opts_of(o, &go);
	r = gen_load_config(&go, &l, d);
	if (r == 0)
		check_print_sha256(l.cfg);
	if (r == 0)
		r = gen_detect(&go, &l, d);
	if (r == 0 && gen_facts_incomplete(&l)) {
		printf("%s: ok; roles or region are auto and not detected on this host, so "
		       "plan and apply need them set\n",
		       o->config);
		goto out;
	}
	if (r == 0)
		r = gen_compile(&go, &l, d);
	if (r == 0) {
		for (i = 0; i < l.plan->rs->n_chains; i++)
			rules += l.plan->rs->chains[i].n_rules;
		printf("%s: ok (roles %s, region %s, %zu sets, %zu rules)\n", o->config,
		       roles_format(l.facts.roles, roles, sizeof(roles)), l.facts.region->code,
		       l.plan->rs->n_sets, rules);
	}
out:
	gen_clear(&l);
	return r;
}

static int cmd_apply(const struct opts *o, struct diag *d)
{
	struct ruleset *rs = NULL;
	struct kernel_opts ko;
	struct gen l = { 0 };
	int r;

	r = load_shown(o, &l, d);
	if (r == 0) {
		/* The config's tree is freed before the commit, which then reuses its memory. */
		rs = gen_take_ruleset(&l);
		kernel_opts_init(&ko);
		r = runtime(kernel_apply(rs, &ko, stderr));
	}
	gen_clear(&l);
	ruleset_free(rs);
	return r;
}

/*
 * 0 in sync, 1 drift (as a positive return), or -errno. The running agent's answers and
 * what it saw come from its status file.
 */
static int cmd_audit(const struct opts *o, struct diag *d)
{
	struct audit_agent ag = { 0 };
	struct audit_opts ao = { .agent = &ag, .json = has(o, OPT_JSON) };
	struct gen l = { 0 };
	int r;

	r = load_shown(o, &l, d);
	if (r == 0 && status_agent_read(o->arg[OPT_RUN_DIR], &ag) < 0)
		fprintf(stderr, "flowguard: the agent's status file is damaged; DNS-fed sets are "
				"not compared\n");
	if (r == 0) {
		ao.names = l.plan->names;
		ao.n_names = l.plan->n_names;
		r = runtime(kernel_audit(l.plan->rs, &ao, stdout));
	}
	kernel_audit_agent_clear(&ag);
	gen_clear(&l);
	return r;
}

/*
 * Validates the configuration as the agent will (the same facts), then tells the agent
 * and waits for its verdict; an invalid configuration is told too, so that the agent's
 * STATUS= and status say the reload was refused. 2 when invalid, 1 when refused otherwise.
 */
static int cmd_reload(const struct opts *o, struct diag *d)
{
	struct gen l = { 0 };
	int r, k;

	r = load_shown(o, &l, d);
	gen_clear(&l);
	k = status_reload_agent(o->arg[OPT_RUN_DIR], stderr);
	if (r == -ENOMEM || k == -ENOMEM)
		return -ENOMEM;
	if (r < 0 || k == -EINVAL)
		return -EINVAL;
	return k < 0 ? -EIO : 0;
}

/* Detected here, or read from --facts (what the daemon would use); printed or --save'd. */
static int cmd_detect(const struct opts *o, struct diag *d)
{
	const char *facts = o->arg[OPT_FACTS], *save = o->arg[OPT_SAVE];

	struct detection *det = NULL;
	int r;

	r = facts ? detection_load(facts, &det, d) :
		    detect_host(o->root, has(o, OPT_RUN_TOOLS) ? DETECT_RUN_TOOLS : 0, &det, d);
	if (r < 0)
		return r == -ENOMEM || facts ? r : -EIO;
	if (save) {
		r = detection_save(det, save);
		if (r < 0)
			fprintf(stderr, "flowguard: cannot write %s: %s\n", save, strerror(-r));
	} else {
		r = has(o, OPT_JSON) ? detection_print_json(det, stdout) :
				       detection_print(det, stdout);
	}
	detection_free(det);
	return runtime(r);
}

static int cmd_run(const struct opts *o, struct diag *d)
{
	struct daemon_opts dop = { .config = o->config,
				   .catalog = o->catalog,
				   .root = o->root,
				   .strict = o->strict,
				   .strict_catalog = o->strict_catalog,
				   .state_dir = o->arg[OPT_STATE_DIR],
				   .run_dir = o->arg[OPT_RUN_DIR],
				   .facts = o->arg[OPT_FACTS],
				   .run_tools = has(o, OPT_RUN_TOOLS) };

	(void)d; /* the daemon logs its own */
	return daemon_run(&dop);
}

/* Every failure is a runtime one (1): the status file is the agent's, not the admin's. */
static int cmd_suggest(const struct opts *o, struct diag *d)
{
	struct suggest_opts so = { .status = o->arg[OPT_STATUS],
				   .output = o->arg[OPT_OUTPUT],
				   .force = has(o, OPT_FORCE),
				   .now_s = (int64_t)time(NULL) };
	const char *run_dir = o->arg[OPT_RUN_DIR];
	struct gen_opts go;
	char path[PATH_MAX];
	int r;

	if (so.force && !so.output) {
		fprintf(stderr, "flowguard: --force needs -o FILE\n");
		return -EINVAL;
	}
	if (!so.status) {
		snprintf(path, sizeof(path), "%s/%s", run_dir ? run_dir : FG_RUN_DIR,
			 FG_STATUS_FILE);
		so.status = path;
	}
	gen_opts_of(o, &go);
	so.gen = &go;
	r = suggest_run(&so, d);
	return runtime(r);
}

static int cmd_disable(const struct opts *o, struct diag *d)
{
	(void)o;
	(void)d;
	return kernel_disable(FG_TABLE, stderr) < 0 ? -EIO : 0;
}

static int cmd_status(const struct opts *o, struct diag *d)
{
	int r;

	(void)d;
	r = status_print(o->arg[OPT_RUN_DIR], has(o, OPT_JSON), stdout);
	return runtime(r);
}

static int cmd_help(const struct opts *o, struct diag *d)
{
	(void)o;
	(void)d;
	usage(stdout);
	return 0;
}

static int cmd_version(const struct opts *o, struct diag *d)
{
	(void)o;
	(void)d;
	printf("flowguard %s\n", fg_version);
	return 0;
}

static const struct command commands[] = {
	{ "plan", cmd_plan, OPTS_GEN | OPT_BIT(OPT_NO_RESOLVE),
	  "print the table as nft syntax, DNS-fed sets resolved once (no kernel access)" },
	{ "check", cmd_check, OPTS_GEN, "validate the configuration and the catalog" },
	{ "apply", cmd_apply, OPTS_GEN, "program the table in one transaction and exit" },
	{ "audit", cmd_audit, OPTS_GEN | OPT_BIT(OPT_JSON) | OPT_BIT(OPT_RUN_DIR),
	  "what drifted from the desired table, in words, then a diff (1: drift)" },
	{ "disable", cmd_disable, 0, "remove the table (break-glass)" },
	{ "run", cmd_run, OPTS_GEN | OPT_BIT(OPT_STATE_DIR) | OPT_BIT(OPT_RUN_DIR),
	  "the agent: keep the table current as DNS, config and kernel change" },
	{ "reload", cmd_reload, OPTS_GEN | OPT_BIT(OPT_RUN_DIR),
	  "validate, have the running agent reload, and its verdict (2: invalid)" },
	{ "status", cmd_status, OPT_BIT(OPT_RUN_DIR) | OPT_BIT(OPT_JSON),
	  "a summary (agent, table, DNS health), then what the agent applied" },
	{ "detect", cmd_detect,
	  OPT_BIT(OPT_ROOT) | OPT_BIT(OPT_RUN_TOOLS) | OPT_BIT(OPT_FACTS) | OPT_BIT(OPT_JSON) |
		  OPT_BIT(OPT_SAVE),
	  "show the detected roles, region and host facts, with evidence" },
	{ "suggest", cmd_suggest,
	  OPT_BIT(OPT_CONFIG) | OPT_BIT(OPT_CATALOG) | OPT_BIT(OPT_ROOT) | OPT_BIT(OPT_RUN_DIR) |
		  OPT_BIT(OPT_STATUS) | OPT_BIT(OPT_OUTPUT) | OPT_BIT(OPT_FORCE),
	  "print allow entries (a conf.d/ file) for what the agent blocked" },
	{ "help", cmd_help, 0, NULL },
	{ "version", cmd_version, 0, NULL },
	{ NULL, NULL, 0, NULL },
};

static void usage(FILE *out)
{
	const struct command *c;

	fputs("Usage: flowguard COMMAND [OPTIONS]\n"
	      "\n"
	      "Commands:\n",
	      out);
	for (c = commands; c->name; c++)
		if (c->summary)
			fprintf(out, "  %-8s %s\n", c->name, c->summary);
	fputs("\n"
	      "Options:\n"
	      "  -c, --config FILE    configuration (default " FG_CONFIG ")\n"
	      "      --catalog FILE   vendor catalog (default " FG_CATALOG_DIR "/swp.yaml)\n"
	      "      --root DIR       read the host under DIR instead of / (its files only)\n"
	      "      --run-tools      with --root: run DIR's vendor tools too, as this user\n"
	      "      --no-resolve     plan: leave DNS-fed sets empty (the offline view)\n"
	      "      --json           detect, status, audit: print JSON\n"
	      "      --state-dir DIR  run: last good answers (default " FG_STATE_DIR ")\n"
	      "      --run-dir DIR    run, status, suggest, audit, reload: status file\n"
	      "                       (default " FG_RUN_DIR ")\n"
	      "      --facts FILE     host facts from FILE (written by detect --save) instead\n"
	      "                       of detecting; the unit's way to run unprivileged\n"
	      "      --save FILE      detect: write the JSON report to FILE (atomically, 0644)\n"
	      "      --status FILE    suggest: the agent's status file (default RUN-DIR/status.json)\n"
	      "  -o, --output FILE    suggest: write FILE (atomically, 0644) instead of stdout\n"
	      "      --force          suggest: replace an existing -o FILE\n"
	      "  -h, --help           show this help\n"
	      "      --version        show the version\n"
	      "\n"
	      "Exit status: 0 ok; 1 runtime failure or drift; 2 invalid usage or configuration.\n",
	      out);
}

/* "Usage: flowguard plan [--config FILE] [--catalog FILE] ...": the options it takes. */
static void usage_command(const struct command *c, FILE *out)
{
	unsigned int i;

	fprintf(out, "Usage: flowguard %s", c->name);
	for (i = 0; i < OPT_MAX; i++)
		if (c->opts & OPT_BIT(i))
			fprintf(out, " [--%s%s%s]", longopts[i].name, opt_args[i] ? " " : "",
				opt_args[i] ? opt_args[i] : "");
	fputc('\n', out);
}

static enum opt opt_of(int c)
{
	switch (c) {
	case 'c':
		return OPT_CONFIG;
	case 'o':
		return OPT_OUTPUT;
	case 'h':
		return OPT_HELP;
	}
	return c >= OPT_VAL && c < OPT_VAL + OPT_MAX ? (enum opt)(c - OPT_VAL) : OPT_MAX;
}

static const struct command *command_find(const char *name)
{
	const struct command *c;

	for (c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* Options in any order around the command; --help and --version end the parsing. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum opt opt;
	int c;

	while ((c = getopt_long(argc, argv, "c:ho:", longopts, NULL)) != -1) {
		opt = opt_of(c);
		if (opt == OPT_MAX)
			return -EINVAL; /* getopt_long said why */
		if (opt == OPT_HELP || opt == OPT_VERSION) {
			o->cmd = command_find(opt == OPT_HELP ? "help" : "version");
			return 1;
		}
		o->arg[opt] = optarg ? optarg : "";
		o->given |= OPT_BIT(opt);
	}
	return 0;
}

/* The command given, or NULL (usage printed). */
static const struct command *parse_command(int argc, char **argv)
{
	const struct command *c;

	if (optind != argc - 1) {
		usage(stderr);
		return NULL;
	}
	c = command_find(argv[optind]);
	if (!c) {
		fprintf(stderr, "flowguard: unknown command '%s'\n", argv[optind]);
		usage(stderr);
	}
	return c;
}

/* An option the command does not take: named, with the command's own usage line. */
static int check_opts(const struct opts *o)
{
	unsigned int extra = o->given & ~o->cmd->opts, i;

	for (i = 0; i < OPT_MAX; i++) {
		if (extra & OPT_BIT(i)) {
			fprintf(stderr, "flowguard: %s does not take --%s\n", o->cmd->name,
				longopts[i].name);
			usage_command(o->cmd, stderr);
			return -EINVAL;
		}
	}
	return 0;
}

/* The command and its options; -EINVAL (with the usage printed) for anything wrong. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	const char *config, *catalog, *root;
	int r;

	r = parse_opts(argc, argv, o);
	if (r < 0)
		usage(stderr);
	if (r != 0)
		return r < 0 ? r : 0;
	o->cmd = parse_command(argc, argv);
	if (!o->cmd || check_opts(o) < 0)
		return -EINVAL;
	config = o->arg[OPT_CONFIG];
	catalog = o->arg[OPT_CATALOG];
	root = o->arg[OPT_ROOT];
	o->strict = !config;
	o->strict_catalog = !catalog;
	snprintf(o->root, sizeof(o->root), "%s", root ? root : "/");
	if (set_path(o->config, config ? NULL : root, config ? config : FG_CONFIG) < 0 ||
	    set_path(o->catalog, catalog ? NULL : root,
		     catalog ? catalog : FG_CATALOG_DIR "/swp.yaml") < 0) {
		usage(stderr);
		return -ENAMETOOLONG;
	}
	return 0;
}

/*
 * Invalid usage or configuration (2) is -EINVAL: the generation maps every refusal of its
 * input to it (agent/gen/gen.h). Anything else, whatever the kernel said, is runtime (1).
 */
static int exit_code(int r)
{
	if (r >= 0)
		return r ? EXIT_RUNTIME : 0;
	return r == -EINVAL ? EXIT_INVALID : EXIT_RUNTIME;
}

/*
 * A command that exits soon keeps what it frees for its next allocations. glibc gives large
 * blocks back to the kernel (mmap'ed from 128 KiB on, the heap's top trimmed), and each page
 * of a fresh block costs a page fault, which on a VM costs more than filling the page: a
 * third of apply's time with 10,000 addresses. The agent keeps the defaults, so that its
 * RSS shrinks again after a reload.
 */
static void malloc_keep_freed(void)
{
	mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
}

#define HUGE_PAGE ((uintptr_t)2 * 1024 * 1024)
/* The heap a command starts with: apply of 10,000 addresses uses about 4 MiB. */
#define HEAP_START_SIZE (16 * 1024 * 1024)

/*
 * Backs a command's heap with transparent huge pages (where the kernel offers them for
 * madvise()d memory). On these VMs (shadow page tables) the first write to each 4 KiB page
 * costs 6-15 us even after MADV_POPULATE_WRITE; a 2 MiB page costs one fault and its
 * zeroing, about 0.2 ms: apply of 10,000 addresses wrote some 550 fresh pages. A range can
 * only become a huge page while none of it is mapped, so the heap starts one page below a
 * 2 MiB boundary (malloc writes its first headers there) and is advised before malloc
 * writes anything above it. Only a hint: without THP the pages fault one by one as before.
 */
static void heap_huge_pages(void)
{
	uintptr_t page = (uintptr_t)getpagesize(), brk0, lo, hi;
	void *volatile first;

	brk0 = (uintptr_t)sbrk(0);
	lo = ((brk0 + page + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1)) - page;
	if (sbrk((intptr_t)(lo - brk0)) == (void *)-1)
		return;
	/* malloc() grows the heap by M_TOP_PAD beyond a request, once. */
	mallopt(M_TOP_PAD, HEAP_START_SIZE);
	first = malloc(1);
	hi = (uintptr_t)sbrk(0) & ~(HUGE_PAGE - 1);
	if (hi > lo + page)
		(void)madvise((void *)(lo + page), hi - lo - page, MADV_HUGEPAGE);
	free(first);
	mallopt(M_TOP_PAD, 128 * 1024); /* glibc's default */
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct diag d = { 0 };
	int r;

	if (parse_args(argc, argv, &o) < 0)
		return EXIT_INVALID;
	if (o.cmd->fn != cmd_run) {
		heap_huge_pages();
		malloc_keep_freed();
	}
	r = o.cmd->fn(&o, &d);
	diag_print(&d, stderr);
	diag_clear(&d);
	if (r == -ENOMEM)
		fprintf(stderr, "flowguard: out of memory\n");
	return exit_code(r);
}
