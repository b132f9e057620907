/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The loader/validator and compiler against the fixtures, one cmocka test per fixture:
 *
 *   tests/fixtures/bad/NAME.yaml (and bad/NAME/flowguard.yaml with a conf.d/):
 *     the file starts with comment lines naming every diagnostic it must produce:
 *       # expect: LINE:COL: error: MESSAGE   -> "tests/fixtures/bad/NAME.yaml:LINE:COL: error: MESSAGE"
 *       # expect: error: MESSAGE             -> "tests/fixtures/bad/NAME.yaml: error: MESSAGE"
 *       # expect-line: FULL LINE             -> the line as is (errors in a drop-in file)
 *     The set of error lines from loading, validating and (roles given) compiling must be
 *     exactly these: none missing, none extra.
 *   tests/fixtures/good/NAME.yaml (and good/NAME/flowguard.yaml):
 *     loads, validates and compiles without an error; its warnings are exactly its
 *     '# expect-warning: [LINE:COL: ]warning: MESSAGE' lines (none if it has none);
 *     if NAME.nft exists, plan_print()
 *     gives it byte for byte; if NAME.names exists, the DNS bindings (fqdn set_v4 set_v6,
 *     one a line, in plan order) match it.
 *
 * FG_UPDATE_GOLDENS=1 rewrites the .nft/.names goldens of the good fixtures that have them
 * (review the diff: a golden is only worth something if a human read it).
 *
 * Paths are relative to the repository root: the messages carry them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "policies/compile.h"
#include "policies/model.h"

#define CATALOG "policies/catalog/swp.yaml"
#define BAD_DIR "tests/fixtures/bad"
#define GOOD_DIR "tests/fixtures/good"
#define VENDOR_ROWS 35

/* ---- small helpers ------------------------------------------------------------------ */

static char *xstrdup(const char *s)
{
	char *r = strdup(s);

	assert_non_null(r);
	return r;
}

static __attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	assert_true(r >= 0);
	return s;
}

/* Reads a whole file; NULL if it does not exist. */
static char *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	return buf;
}

static void write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

struct lines {
	char **v;
	size_t n;
};

static void lines_add(struct lines *l, char *s)
{
	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	assert_non_null(l->v);
	l->v[l->n++] = s;
}

static void lines_free(struct lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of d at level (or all, with all), in the order they were reported. */
static void diag_lines(const struct diag *d, enum diag_level level, bool all, struct lines *out)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (all || d->msgs[i].level == level)
			lines_add(out, xstrdup(d->msgs[i].text));
	if (d->oom)
		lines_add(out, xstrdup("error: out of memory while reporting errors"));
}

static void print_diag(const char *what, const struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		print_error("%s: %s\n", what, d->msgs[i].text);
}

/* ---- the pipeline `flowguard check` runs ---------------------------------------------- */

struct run {
	struct catalog *cat;
	struct config *cfg;
	struct host_facts facts;
	struct plan *plan;
	struct diag d;
	int r;
};

static struct catalog *load_catalog(void)
{
	struct catalog *cat = NULL;
	struct diag d = { 0 };

	if (catalog_load(CATALOG, &cat, &d) < 0) {
		print_diag("catalog", &d);
		diag_clear(&d);
		fail_msg("catalog %s does not load", CATALOG);
	}
	diag_clear(&d);
	return cat;
}

/* catalog_load + config_load (validates too) (+ facts_from_config + compile with roles). */
static void run_pipeline(const char *path, bool strict, struct run *run)
{
	memset(run, 0, sizeof(*run));
	run->cat = load_catalog();
	run->r = config_load(path, strict, run->cat, &run->cfg, &run->d);
	if (run->r == 0 && !run->cfg->roles_auto)
		run->r = facts_from_config(run->cfg, run->cat, &run->facts, &run->d);
	if (run->r == 0 && !run->cfg->roles_auto)
		run->r = compile(run->cat, run->cfg, &run->facts, &run->plan, &run->d);
}

static void run_clear(struct run *run)
{
	plan_free(run->plan);
	config_free(run->cfg);
	catalog_free(run->cat);
	diag_clear(&run->d);
	memset(run, 0, sizeof(*run));
}

/* What a test holds, freed by teardown() even when an assertion jumps out of the test. */
static struct {
	struct run run;
	struct lines want, got;
	char *buf, *golden;
} cur;

static int teardown(void **state)
{
	(void)state;
	run_clear(&cur.run);
	lines_free(&cur.want);
	lines_free(&cur.got);
	free(cur.buf);
	free(cur.golden);
	memset(&cur, 0, sizeof(cur));
	return 0;
}

static void diag_errors(const struct diag *d, struct lines *out)
{
	diag_lines(d, DIAG_ERROR, false, out);
}

/* Asserts that the diagnostic lines are exactly want (as sets), listing what differs. */
static void assert_errors(const char *path, struct lines *want, struct lines *got)
{
	size_t i = 0, j = 0, bad = 0;

	if (want->n) /* qsort() wants a non-NULL array even for 0 items */
		qsort(want->v, want->n, sizeof(*want->v), cmp_str);
	if (got->n)
		qsort(got->v, got->n, sizeof(*got->v), cmp_str);
	while (i < want->n || j < got->n) {
		int c = i == want->n ? 1 : j == got->n ? -1 : strcmp(want->v[i], got->v[j]);

		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			print_error("%s: missing: %s\n", path, want->v[i++]);
			bad++;
		} else {
			print_error("%s: unexpected: %s\n", path, got->v[j++]);
			bad++;
		}
	}
	if (bad)
		fail_msg("%s: %zu diagnostic line(s) differ from the fixture's '# expect' lines",
			 path, bad);
}

/*
 * The "# expect:" lines at the top of a fixture (or its "# expect-warning:" lines, with
 * warnings), as full diagnostic lines.
 */
static void parse_expect(const char *path, bool warnings, struct lines *want)
{
	char *buf = read_file(path, NULL), *line, *save = NULL;

	assert_non_null(buf);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (warnings) {
			if (!strncmp(line, "# expect-warning: warning: ", 27))
				lines_add(want, xasprintf("%s: %s", path, line + 18));
			else if (!strncmp(line, "# expect-warning: ", 18))
				lines_add(want, xasprintf("%s:%s", path, line + 18));
			else if (line[0] != '#')
				break;
			continue;
		}
		if (!strncmp(line, "# expect-line: ", 15))
			lines_add(want, xstrdup(line + 15));
		else if (!strncmp(line, "# expect: error: ", 17))
			lines_add(want, xasprintf("%s: %s", path, line + 10));
		else if (!strncmp(line, "# expect: ", 10))
			lines_add(want, xasprintf("%s:%s", path, line + 10));
		else if (line[0] != '#')
			break; /* the expectations end with the leading comment block */
	}
	free(buf);
	if (!want->n && !warnings)
		fail_msg("%s: a bad fixture must start with '# expect:' lines", path);
}

/* ---- fixtures ----------------------------------------------------------------------- */

static void test_bad_fixture(void **state)
{
	const char *path = *state;

	parse_expect(path, false, &cur.want);
	run_pipeline(path, false, &cur.run);
	diag_errors(&cur.run.d, &cur.got);
	if (cur.run.r == 0)
		print_error("%s: the pipeline succeeded (flowguard check would exit 0)\n", path);
	assert_errors(path, &cur.want, &cur.got);
	assert_true(cur.run.r < 0);
}

/* The golden beside a good fixture: x.yaml -> x.SUFFIX, d/flowguard.yaml -> d/flowguard.SUFFIX. */
static void golden_path(char *buf, const char *path, const char *suffix)
{
	size_t n = strlen(path);

	assert_true(n > 5 && !strcmp(path + n - 5, ".yaml"));
	snprintf(buf, PATH_MAX, "%.*s.%s", (int)(n - 5), path, suffix);
}

static void compare_golden(const char *golden, const char *got, size_t got_len)
{
	size_t want_len = 0, line = 1, i;
	const char *w, *g;
	char *want;

	free(cur.golden);
	want = cur.golden = read_file(golden, &want_len);
	if (getenv("FG_UPDATE_GOLDENS")) {
		if (want)
			write_file(golden, got, got_len, 0644);
		return;
	}
	assert_non_null(want);
	if (want_len == got_len && !memcmp(want, got, got_len))
		return;
	for (i = 0; i < want_len && i < got_len && want[i] == got[i]; i++)
		if (want[i] == '\n')
			line++;
	w = want + i;
	g = got + i;
	while (w > want && w[-1] != '\n')
		w--;
	while (g > got && g[-1] != '\n')
		g--;
	print_error("%s:%zu: golden:  %.*s\n", golden, line, (int)strcspn(w, "\n"), w);
	print_error("%s:%zu: planned: %.*s\n", golden, line, (int)strcspn(g, "\n"), g);
	fail_msg("%s differs from the plan (FG_UPDATE_GOLDENS=1 rewrites it; review the diff)",
		 golden);
}

/* Prints into cur.buf. */
static FILE *membuf(size_t *len)
{
	FILE *f;

	free(cur.buf);
	cur.buf = NULL;
	f = open_memstream(&cur.buf, len);
	assert_non_null(f);
	return f;
}

static void test_good_fixture(void **state)
{
	const char *path = *state;
	const struct plan *p;
	char golden[PATH_MAX];
	size_t len = 0, i;
	FILE *f;

	run_pipeline(path, false, &cur.run);
	if (cur.run.r < 0 || diag_failed(&cur.run.d)) {
		print_diag(path, &cur.run.d);
		fail_msg("%s: a good fixture must load, validate and compile without errors", path);
	}
	parse_expect(path, true, &cur.want);
	diag_lines(&cur.run.d, DIAG_WARNING, true, &cur.got);
	assert_errors(path, &cur.want, &cur.got);
	assert_false(cur.run.cfg->roles_auto); /* detection is a later issue: roles are explicit */
	p = cur.run.plan;
	assert_non_null(p);

	golden_path(golden, path, "nft");
	if (access(golden, F_OK) == 0) {
		f = membuf(&len);
		assert_int_equal(plan_print(p, f), 0);
		assert_int_equal(fclose(f), 0);
		compare_golden(golden, cur.buf, len);
	}
	golden_path(golden, path, "names");
	if (access(golden, F_OK) == 0) {
		f = membuf(&len);
		for (i = 0; i < p->n_names; i++)
			fprintf(f, "%s %s %s\n", p->names[i].fqdn, p->names[i].set_v4,
				p->names[i].set_v6);
		assert_int_equal(fclose(f), 0);
		compare_golden(golden, cur.buf, len);
	}
}

/* ---- generated inputs: size and file permissions ------------------------------------ */

static const char valid_config[] = "mode: enforce\nroles: [agent]\nregion: de-1\n"
				   "dns-servers: [192.0.2.53]\nntp-servers: [192.0.2.123]\n";

/* A scratch directory: DIR/flowguard.yaml and DIR/conf.d/10-extra.yaml; teardown removes it. */
static struct tmp {
	char dir[64];
	char path[128];
	char dropin_dir[128];
	char dropin[160];
} tmp;

static void tmp_make(void)
{
	snprintf(tmp.dir, sizeof(tmp.dir), "/tmp/fg-test-config.XXXXXX");
	assert_non_null(mkdtemp(tmp.dir));
	snprintf(tmp.path, sizeof(tmp.path), "%s/flowguard.yaml", tmp.dir);
	snprintf(tmp.dropin_dir, sizeof(tmp.dropin_dir), "%s/conf.d", tmp.dir);
	snprintf(tmp.dropin, sizeof(tmp.dropin), "%s/10-extra.yaml", tmp.dropin_dir);
}

static int tmp_remove(void **state)
{
	if (tmp.dir[0]) {
		unlink(tmp.dropin);
		rmdir(tmp.dropin_dir);
		unlink(tmp.path);
		rmdir(tmp.dir);
	}
	memset(&tmp, 0, sizeof(tmp));
	return teardown(state);
}

/* Loads path like `flowguard check` and asserts the only error is want. */
static void expect_single_error(const char *path, bool strict, const char *want)
{
	teardown(NULL);
	run_pipeline(path, strict, &cur.run);
	diag_errors(&cur.run.d, &cur.got);
	lines_add(&cur.want, xstrdup(want));
	assert_errors(path, &cur.want, &cur.got);
	assert_true(cur.run.r < 0);
	teardown(NULL);
}

static void expect_loads(const char *path, bool strict)
{
	teardown(NULL);
	run_pipeline(path, strict, &cur.run);
	if (cur.run.r < 0 || diag_failed(&cur.run.d)) {
		print_diag(path, &cur.run.d);
		fail_msg("%s does not load", path);
	}
	teardown(NULL);
}

/* A file of exactly `size` bytes: a valid config padded with a comment. */
static void write_sized(const char *path, size_t size)
{
	size_t n = strlen(valid_config);

	assert_true(size > n + 2);
	free(cur.buf);
	cur.buf = malloc(size);
	assert_non_null(cur.buf);
	memcpy(cur.buf, valid_config, n);
	memset(cur.buf + n, '#', size - n - 1);
	cur.buf[size - 1] = '\n';
	write_file(path, cur.buf, size, 0644);
	free(cur.buf);
	cur.buf = NULL;
}

static void test_oversized(void **state)
{
	char want[512];

	(void)state;
	tmp_make();
	write_sized(tmp.path, YAML_MAX_BYTES);
	expect_loads(tmp.path, false); /* exactly the limit is fine */

	write_sized(tmp.path, YAML_MAX_BYTES + 1);
	snprintf(want, sizeof(want), "%s: error: file is %d bytes, larger than the limit of %d",
		 tmp.path, YAML_MAX_BYTES + 1, YAML_MAX_BYTES);
	expect_single_error(tmp.path, false, want);
}

static void test_strict_perms_mode(void **state)
{
	char want[512];

	(void)state;
	if (geteuid() != 0)
		skip(); /* only root can own a file as root */
	tmp_make();
	write_file(tmp.path, valid_config, strlen(valid_config), 0644);
	assert_int_equal(chown(tmp.path, 0, 0), 0);
	expect_loads(tmp.path, true);

	assert_int_equal(chmod(tmp.path, 0664), 0);
	snprintf(want, sizeof(want),
		 "%s: error: refusing a file writable by its group "
		 "(mode 0664); chmod go-w",
		 tmp.path);
	expect_single_error(tmp.path, true, want);

	assert_int_equal(chmod(tmp.path, 0646), 0);
	snprintf(want, sizeof(want),
		 "%s: error: refusing a file writable by others "
		 "(mode 0646); chmod go-w",
		 tmp.path);
	expect_single_error(tmp.path, true, want);

	/* Not strict (an explicit -c path): the same file loads. */
	expect_loads(tmp.path, false);

	/* A group-writable drop-in is refused too, under its own name. */
	assert_int_equal(chmod(tmp.path, 0644), 0);
	assert_int_equal(mkdir(tmp.dropin_dir, 0755), 0);
	write_file(tmp.dropin, "mode: audit\n", 12, 0664);
	assert_int_equal(chown(tmp.dropin, 0, 0), 0);
	snprintf(want, sizeof(want),
		 "%s: error: refusing a file writable by its group "
		 "(mode 0664); chmod go-w",
		 tmp.dropin);
	expect_single_error(tmp.path, true, want);
}

static void test_strict_perms_owner(void **state)
{
	char want[512];

	(void)state;
	if (geteuid() != 0)
		skip(); /* chown needs root */
	tmp_make();
	write_file(tmp.path, valid_config, strlen(valid_config), 0644);
	assert_int_equal(chown(tmp.path, 65534, 65534), 0);
	snprintf(want, sizeof(want), "%s: error: refusing a file owned by uid 65534, not root",
		 tmp.path);
	expect_single_error(tmp.path, true, want);
	expect_loads(tmp.path, false);

	/* A drop-in owned by another user is refused as well. */
	assert_int_equal(chown(tmp.path, 0, 0), 0);
	assert_int_equal(mkdir(tmp.dropin_dir, 0755), 0);
	write_file(tmp.dropin, "mode: audit\n", 12, 0644);
	assert_int_equal(chown(tmp.dropin, 65534, 65534), 0);
	snprintf(want, sizeof(want), "%s: error: refusing a file owned by uid 65534, not root",
		 tmp.dropin);
	expect_single_error(tmp.path, true, want);
}

/* ---- the catalog --------------------------------------------------------------------- */

/* Reports every scalar (key or value) holding a '"': it would end an nft comment early. */
static size_t find_quotes(const struct ynode *n)
{
	size_t i, bad = 0;

	if (!n)
		return 0;
	if (n->type == YN_SCALAR && strchr(n->value, '"')) {
		print_error("%s:%u:%u: a double quote in '%s'\n", n->loc.file, n->loc.line,
			    n->loc.col, n->value);
		return 1;
	}
	for (i = 0; i < n->n; i++)
		bad += find_quotes(n->items[i]);
	return bad;
}

static void test_catalog(void **state)
{
	static const char *const regions[] = { "us-1", "trend-us-1", "ca-1", "de-1", "gb-1", "au-1",
					       "in-1", "jp-1",	     "sg-1", "ae-1", NULL };
	bool covered[VENDOR_ROWS + 1] = { false };
	struct catalog *cat;
	size_t i, bad = 0;

	(void)state;
	cat = load_catalog();
	assert_true(cat->n_flows > 0);

	for (i = 0; i < cat->n_flows; i++) {
		const struct cat_flow *f = &cat->flows[i];

		if (f->row >= 1 && f->row <= VENDOR_ROWS)
			covered[f->row] = true;
		else if (f->row)
			print_error("flow %s: row %u is not a vendor row\n", f->id, f->row), bad++;
		if (!f->source || !f->source[0])
			print_error("flow %s: no source\n", f->id), bad++;
		if (!f->description || !f->description[0])
			print_error("flow %s: no description\n", f->id), bad++;
	}
	for (i = 0; i < ROLE_MAX; i++)
		if (cat->roles[i].row >= 1 && cat->roles[i].row <= VENDOR_ROWS)
			covered[cat->roles[i].row] = true;
	for (i = 1; i <= VENDOR_ROWS; i++)
		if (!covered[i])
			print_error("vendor row %zu: no flow or role carries it\n", i), bad++;

	for (i = 0; regions[i]; i++) {
		const struct cat_region *r = catalog_find_region(cat, regions[i]);

		if (!r)
			print_error("region %s is missing\n", regions[i]), bad++;
		else if (!r->n_cidrs)
			print_error("region %s has no published CIDRs\n", regions[i]), bad++;
	}
	bad += find_quotes(cat->doc->root);
	catalog_free(cat);
	if (bad)
		fail_msg("the catalog has %zu problem(s)", bad);
}

/*
 * The catalog with one text replaced must fail to load with exactly one error, whose
 * message (after "error: ") is want: the loader's checks of region lists, 'unless:' and
 * 'port-from:'.
 */
static void expect_catalog_error(const char *from, const char *to, const char *want)
{
	char *text, *hit, *mod, path[] = "/tmp/fg-test-catalog.XXXXXX";
	struct catalog *cat = NULL;
	struct diag d = { 0 };
	size_t len = 0;
	int fd;

	text = read_file(CATALOG, &len);
	assert_non_null(text);
	hit = strstr(text, from);
	if (!hit)
		fail_msg("the catalog has no '%s'", from);
	mod = xasprintf("%.*s%s%s", (int)(hit - text), text, to, hit + strlen(from));
	free(text);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path, mod, strlen(mod), 0644);
	free(mod);
	assert_int_equal(catalog_load(path, &cat, &d), -EINVAL);
	unlink(path);
	if (d.n_errors != 1 || !strstr(d.msgs[0].text, "error: ") ||
	    strcmp(strstr(d.msgs[0].text, "error: ") + 7, want)) {
		print_diag("catalog", &d);
		diag_clear(&d);
		fail_msg("want exactly: %s", want);
	}
	diag_clear(&d);
}

static void test_catalog_errors(void **state)
{
	(void)state;
	expect_catalog_error("    v1-portal: v1-portal-mea", "    v1-portals: v1-portal-mea",
			     "unknown key 'v1-portals' in a region; did you mean 'v1-portal'?");
	expect_catalog_error("    v1-portal: v1-portal-mea", "    v1-portal: v1-portal-xx",
			     "region 'ae-1': v1-portal 'v1-portal-xx' is not an fqdn destination");
	expect_catalog_error("    v1-portal: v1-portal-mea", "    v1-portal: [v1-portal-mea]",
			     "region 'ae-1': v1-portal '(not a single value)' is not an fqdn "
			     "destination");
	expect_catalog_error("    unless: [sg-spn-proxy]", "    unless: [sg-spn-prxy]",
			     "unknown condition 'sg-spn-prxy' (conditions: direct, proxy, "
			     "manager-initiated, syslog-udp, syslog-tls, or a feature)");
	expect_catalog_error("    port-from: download-mirror", "    port-from: download-mirrors",
			     "unknown host fact 'download-mirrors'; did you mean 'download-mirror'?");
	expect_catalog_error("    ports: [443]\n    port-from: download-mirror",
			     "    ports: configured\n    port-from: download-mirror",
			     "flow 'relay-download-mirror': 'ports: configured' needs the port of "
			     "proxy or syslog, which always carry one");
}

/* ---- the test list, from the fixture directories ----------------------------------- */

struct list {
	struct CMUnitTest *v;
	size_t n;
};

static void add_test(struct list *l, const char *name, CMUnitTestFunction fn, void *state)
{
	struct CMUnitTest *t;

	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	if (!l->v)
		abort();
	t = &l->v[l->n++];
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->test_func = fn;
	t->initial_state = state;
	t->teardown_func = teardown;
}

static int yaml_or_dir(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

/* dir/NAME.yaml and dir/NAME/flowguard.yaml, in name order, as tests "kind/NAME". */
static void add_fixtures(struct list *l, const char *dir, const char *kind, CMUnitTestFunction fn)
{
	struct dirent **ents;
	struct stat st;
	int i, n;

	n = scandir(dir, &ents, yaml_or_dir, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		exit(1);
	}
	for (i = 0; i < n; i++) {
		const char *e = ents[i]->d_name;
		size_t len = strlen(e);
		char *path = NULL, *name = NULL;

		if (len > 5 && !strcmp(e + len - 5, ".yaml")) {
			if (asprintf(&path, "%s/%s", dir, e) < 0 ||
			    asprintf(&name, "%s/%.*s", kind, (int)(len - 5), e) < 0)
				abort();
		} else {
			if (asprintf(&path, "%s/%s/flowguard.yaml", dir, e) < 0)
				abort();
			if (stat(path, &st) < 0) {
				free(path);
				path = NULL;
			} else if (asprintf(&name, "%s/%s", kind, e) < 0) {
				abort();
			}
		}
		if (path)
			add_test(l, name, fn, path);
		free(ents[i]);
	}
	free(ents);
}

/* Tests run from the repository root (the paths are in the messages). */
static void chdir_root(const char *argv0)
{
	char buf[PATH_MAX], *slash;

	if (access(BAD_DIR, F_OK) == 0)
		return;
	snprintf(buf, sizeof(buf), "%s", argv0);
	slash = strrchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (chdir(buf) == 0 && chdir("../..") == 0 && access(BAD_DIR, F_OK) == 0)
			return;
	}
	fprintf(stderr, "run from the repository root (no %s here)\n", BAD_DIR);
	exit(1);
}

int main(int argc, char **argv)
{
	struct list l = { 0 };
	size_t i;
	int r;

	chdir_root(argv[0]);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]); /* a pattern such as bad/port-zero */
	add_test(&l, xstrdup("catalog"), test_catalog, NULL);
	add_test(&l, xstrdup("oversized"), test_oversized, NULL);
	add_test(&l, xstrdup("strict-perms-mode"), test_strict_perms_mode, NULL);
	add_test(&l, xstrdup("strict-perms-owner"), test_strict_perms_owner, NULL);
	for (i = 1; i < 4; i++)
		l.v[i].teardown_func = tmp_remove;
	add_test(&l, xstrdup("catalog-errors"), test_catalog_errors, NULL);
	add_fixtures(&l, BAD_DIR, "bad", test_bad_fixture);
	add_fixtures(&l, GOOD_DIR, "good", test_good_fixture);

	r = _cmocka_run_group_tests("config", l.v, l.n, NULL, NULL);
	for (i = 0; i < l.n; i++) {
		free((void *)(uintptr_t)l.v[i].name);
		free(l.v[i].initial_state);
	}
	free(l.v);
	return r;
}
