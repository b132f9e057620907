/* SPDX-License-Identifier: GPL-2.0-or-later */
/* flowguard: command line. The only place that exits. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/daemon/daemon.h"
#include "agent/detect/detect.h"
#include "agent/kernel/kernel.h"
#include "agent/gen/gen.h"
#include "agent/report/report.h"
#include "policies/compile.h"
#include "agent/util/paths.h"

#define EXIT_RUNTIME 1
#define EXIT_INVALID 2

struct opts {
	const char *command;
	char config[PATH_MAX];
	char catalog[PATH_MAX];
	char root[PATH_MAX]; /* the host to detect: "/" or a fixture tree */
	bool strict; /* the real config path: refuse files others could have written */
	bool strict_catalog; /* the default catalog path: the same */
	bool no_resolve;
	bool json;
	const char *state_dir, *run_dir; /* run, status: NULL for the defaults */
	const char *facts; /* --facts: host facts from this file instead of detecting */
	const char *save;  /* detect --save: write the JSON report to this file */
	const char *status, *output; /* suggest: --status, -o */
	bool force;		     /* suggest: replace the -o file */
};


static void usage(FILE *out)
{
	fputs("Usage: flowguard COMMAND [OPTIONS]\n"
	      "\n"
	      "Commands:\n"
	      "  plan     print the table flowguard would apply, as nft syntax (no kernel access)\n"
	      "  check    validate the configuration and the catalog\n"
	      "  apply    program the table in one transaction and exit\n"
	      "  audit    compare the kernel's table with the desired one (1: drift)\n"
	      "  disable  remove the table (break-glass)\n"
	      "  run      the agent: keep the table current as DNS, config and kernel change\n"
	      "  status   what the running agent applied, and the table's flags and owner\n"
	      "  detect   show the detected roles, region and host facts, with evidence\n"
	      "  suggest  print allow entries (a conf.d/ file) for what the agent blocked\n"
	      "\n"
	      "Options:\n"
	      "  -c, --config FILE    configuration (default " FG_CONFIG ")\n"
	      "      --catalog FILE   vendor catalog (default " FG_CATALOG_DIR "/swp.yaml)\n"
	      "      --root DIR       read the host under DIR instead of /\n"
	      "      --no-resolve     plan: leave DNS-fed sets empty (the default for now)\n"
	      "      --json           detect, status: print JSON\n"
	      "      --state-dir DIR  run: last good answers (default " FG_STATE_DIR ")\n"
	      "      --run-dir DIR    run, status, suggest: status file (default " FG_RUN_DIR ")\n"
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

enum { OPT_CATALOG = 256, OPT_ROOT, OPT_NO_RESOLVE, OPT_VERSION, OPT_JSON, OPT_STATE_DIR,
       OPT_RUN_DIR, OPT_FACTS, OPT_SAVE, OPT_STATUS, OPT_FORCE };

static int set_path(char *dst, const char *root, const char *path)
{
	int n = snprintf(dst, PATH_MAX, "%s%s", root ? root : "", path);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "catalog", required_argument, NULL, OPT_CATALOG },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "no-resolve", no_argument, NULL, OPT_NO_RESOLVE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
		{ "facts", required_argument, NULL, OPT_FACTS },
		{ "save", required_argument, NULL, OPT_SAVE },
		{ "status", required_argument, NULL, OPT_STATUS },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *catalog = NULL, *root = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "c:ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case OPT_CATALOG:
			catalog = optarg;
			break;
		case OPT_ROOT:
			root = optarg;
			break;
		case OPT_NO_RESOLVE:
			o->no_resolve = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_STATE_DIR:
			o->state_dir = optarg;
			break;
		case OPT_RUN_DIR:
			o->run_dir = optarg;
			break;
		case OPT_FACTS:
			o->facts = optarg;
			break;
		case OPT_SAVE:
			o->save = optarg;
			break;
		case OPT_STATUS:
			o->status = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case 'h':
			o->command = "help";
			return 0;
		case OPT_VERSION:
			o->command = "version";
			return 0;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc - 1)
		return -EINVAL;
	o->command = argv[optind];
	o->strict = !config;
	o->strict_catalog = !catalog;
	snprintf(o->root, sizeof(o->root), "%s", root ? root : "/");
	if (set_path(o->config, config ? NULL : root, config ? config : FG_CONFIG) < 0 ||
	    set_path(o->catalog, catalog ? NULL : root,
		     catalog ? catalog : FG_CATALOG_DIR "/swp.yaml") < 0)
		return -ENAMETOOLONG;
	return 0;
}

static void gen_opts_of(const struct opts *o, struct gen_opts *ret)
{
	ret->catalog = o->catalog;
	ret->config = o->config;
	ret->root = o->root;
	ret->strict = o->strict;
	ret->strict_catalog = o->strict_catalog;
	ret->facts = o->facts;
}

/* Catalog, config, detection, facts and plan for one command. */
static int load(const struct opts *o, struct gen *g, struct diag *d)
{
	struct gen_opts go;

	gen_opts_of(o, &go);
	return gen_build(&go, g, d);
}

static int cmd_plan(const struct opts *o, struct diag *d)
{
	struct gen l = { 0 };
	int r;

	r = load(o, &l, d);
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
		       "plan and apply need them set\n", o->config);
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
	struct kernel_opts ko;
	struct gen l = { 0 };
	int r;

	r = load(o, &l, d);
	diag_print(d, stderr);
	diag_clear(d);
	if (r == 0) {
		kernel_opts_init(&ko);
		r = kernel_apply(l.plan->rs, &ko, stderr);
		/* Reported already; whatever the kernel said, it is a runtime failure (1). */
		if (r < 0 && r != -ENOMEM)
			r = -EIO;
	}
	gen_clear(&l);
	return r;
}

/* 0 in sync, 1 drift (as a positive return), or -errno. */
static int cmd_audit(const struct opts *o, struct diag *d)
{
	struct gen l = { 0 };
	int r;

	r = load(o, &l, d);
	diag_print(d, stderr);
	diag_clear(d);
	if (r == 0) {
		r = kernel_audit(l.plan->rs, stdout);
		if (r < 0 && r != -ENOMEM)
			r = -EIO;
	}
	gen_clear(&l);
	return r;
}

/* Detected here, or read from --facts (what the daemon would use); printed or --save'd. */
static int cmd_detect(const struct opts *o, struct diag *d)
{
	struct detection *det = NULL;
	int r;

	r = o->facts ? detection_load(o->facts, &det, d) : detect_host(o->root, &det, d);
	if (r < 0)
		return r == -ENOMEM || o->facts ? r : -EIO;
	if (o->save) {
		r = detection_save(det, o->save);
		if (r < 0)
			fprintf(stderr, "flowguard: cannot write %s: %s\n", o->save, strerror(-r));
	} else {
		r = o->json ? detection_print_json(det, stdout) : detection_print(det, stdout);
	}
	detection_free(det);
	return r < 0 && r != -ENOMEM ? -EIO : r;
}

static int cmd_run(const struct opts *o)
{
	struct daemon_opts d = { .config = o->config, .catalog = o->catalog, .root = o->root,
				 .strict = o->strict, .strict_catalog = o->strict_catalog, .state_dir = o->state_dir,
				 .run_dir = o->run_dir, .facts = o->facts };

	return daemon_run(&d);
}

/* Every failure is a runtime one (1): the status file is the agent's, not the admin's. */
static int cmd_suggest(const struct opts *o, struct diag *d)
{
	struct suggest_opts so = { .status = o->status, .output = o->output, .force = o->force,
				   .now_s = (int64_t)time(NULL) };
	struct gen_opts go;
	char path[PATH_MAX];
	int r;

	if (o->force && !o->output) {
		fprintf(stderr, "flowguard: --force needs -o FILE\n");
		return -EINVAL;
	}
	if (!so.status) {
		snprintf(path, sizeof(path), "%s/%s", o->run_dir ? o->run_dir : FG_RUN_DIR,
			 FG_STATUS_FILE);
		so.status = path;
	}
	gen_opts_of(o, &go);
	so.gen = &go;
	r = suggest_run(&so, d);
	return r < 0 && r != -ENOMEM ? -EIO : r;
}

/* -EINVAL from the policy side means "invalid input" (2); anything else is runtime (1). */
static int exit_code(int r)
{
	if (r >= 0)
		return r ? EXIT_RUNTIME : 0;
	return r == -EINVAL || r == -EPERM || r == -E2BIG || r == -ENOENT ? EXIT_INVALID :
									       EXIT_RUNTIME;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct diag d = { 0 };
	int r;

	if (parse_args(argc, argv, &o) < 0) {
		usage(stderr);
		return EXIT_INVALID;
	}
	if (!strcmp(o.command, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(o.command, "version")) {
		printf("flowguard %s\n", FG_VERSION);
		return 0;
	}
	if (!strcmp(o.command, "plan")) {
		r = cmd_plan(&o, &d);
	} else if (!strcmp(o.command, "check")) {
		r = cmd_check(&o, &d);
	} else if (!strcmp(o.command, "detect")) {
		r = cmd_detect(&o, &d);
	} else if (!strcmp(o.command, "apply")) {
		r = cmd_apply(&o, &d);
	} else if (!strcmp(o.command, "audit")) {
		r = cmd_audit(&o, &d);
	} else if (!strcmp(o.command, "disable")) {
		r = kernel_disable(FG_TABLE, stderr) < 0 ? -EIO : 0;
	} else if (!strcmp(o.command, "run")) {
		r = cmd_run(&o);
	} else if (!strcmp(o.command, "suggest")) {
		r = cmd_suggest(&o, &d);
	} else if (!strcmp(o.command, "status")) {
		r = status_print(o.run_dir, o.json, stdout);
		r = r < 0 && r != -ENOMEM ? -EIO : r;
	} else {
		fprintf(stderr, "flowguard: unknown command '%s'\n", o.command);
		usage(stderr);
		return EXIT_INVALID;
	}
	diag_print(&d, stderr);
	diag_clear(&d);
	if (r == -ENOMEM)
		fprintf(stderr, "flowguard: out of memory\n");
	return exit_code(r);
}
