/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Compile cost must grow no faster than n log n in the number of addresses, prefixes and
 * names of a configuration. Work is counted, not timed, so a busy machine cannot make the
 * test flaky: every comparison a qsort() makes, and every strcmp() and memcmp() that
 * config_load() and compile() call (test_scale.ldflags wraps them). libyaml's own work is
 * not counted; it is linear in the file's bytes.
 *
 * The same configuration shape is compiled at n and at 16n entries per list. The added
 * work, beyond the work of the same configuration without the lists, must grow by less
 * than twice the n log n ratio (16 * log2(16n) / log2(n), about 22 at n = 1000); one sort
 * of the whole set per added element, or a scan of all names per added name, gives 250
 * and more.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "policies/compile.h"

#define CATALOG "policies/catalog/swp.yaml"
#define SCALE_N 1000
#define SCALE_FACTOR 16

static unsigned long long work;

/* Wrapped at link time (test_scale.ldflags); the real functions do the work. */
void __wrap_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
int __wrap_strcmp(const char *a, const char *b);
int __wrap_memcmp(const void *a, const void *b, size_t n);
int __real_strcmp(const char *a, const char *b);
int __real_memcmp(const void *a, const void *b, size_t n);

struct cmp_fn {
	int (*cmp)(const void *, const void *);
};

static int counting_cmp(const void *a, const void *b, void *arg)
{
	const struct cmp_fn *f = arg;

	work++;
	return f->cmp(a, b);
}

void __wrap_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	struct cmp_fn f = { cmp };

	qsort_r(base, n, size, counting_cmp, &f);
}

int __wrap_strcmp(const char *a, const char *b)
{
	work++;
	return __real_strcmp(a, b);
}

int __wrap_memcmp(const void *a, const void *b, size_t n)
{
	work++;
	return __real_memcmp(a, b, n);
}

static char dir[] = "/tmp/fg-scale-XXXXXX";

/*
 * A relay with n addresses (in a scattered order), n/8 prefixes that cover some of them,
 * every 10th address repeated, and n DNS names, in allow entries of their own; n = 0:
 * the same relay without those entries.
 */
static void write_config(const char *path, unsigned int n)
{
	FILE *f = fopen(path, "w");
	unsigned int i, x;

	assert_non_null(f);
	fputs("mode: enforce\nroles: [relay]\nregion: jp-1\ndns-servers: [10.30.0.2]\n"
	      "ntp-servers: [10.30.0.3]\nrelays: [relay-parent.corp.example]\n",
	      f);
	if (n) {
		fputs("allow:\n  - name: addrs\n    ports: [443]\n    to: [", f);
		for (i = 0; i < n; i++) {
			x = (i * 2654435761U) & 0xffffff;
			fprintf(f, "%s10.%u.%u.%u", i ? ", " : "", x >> 16, (x >> 8) & 255,
				x & 255);
			if (i % 10 == 0)
				fprintf(f, ", 10.%u.%u.%u", x >> 16, (x >> 8) & 255, x & 255);
			if (i % 8 == 0)
				fprintf(f, ", 10.%u.%u.0/24", x >> 16, (x >> 8) & 255);
		}
		fputs("]\n  - name: names\n    ports: [443]\n    to: [", f);
		for (i = 0; i < n; i++)
			fprintf(f, "%sh%u.bulk.example", i ? ", " : "",
				(i * 2654435761U) % (n * 4));
		fputs("]\n", f);
	}
	assert_int_equal(fclose(f), 0);
}

/* The counted work of loading the configuration at path and compiling it. */
static unsigned long long compile_work(const struct catalog *cat, const char *path,
				       size_t *ret_elems)
{
	struct host_facts facts;
	struct config *cfg = NULL;
	struct plan *p = NULL;
	struct diag d = { 0 };
	unsigned long long w;
	size_t i;
	int r;

	work = 0;
	r = config_load(path, false, cat, &cfg, &d);
	if (r == 0)
		r = facts_from_config(cfg, cat, &facts, &d);
	if (r == 0)
		r = compile(cat, cfg, &facts, &p, &d);
	w = work;
	for (i = 0; i < d.n; i++)
		print_error("%s\n", d.msgs[i].text);
	assert_int_equal(r, 0);
	*ret_elems = 0;
	for (i = 0; i < p->rs->n_sets; i++)
		*ret_elems += p->rs->sets[i].n_elems;
	*ret_elems += p->n_names;
	plan_free(p);
	config_free(cfg);
	diag_clear(&d);
	return w;
}

static void test_compile_n_log_n(void **state)
{
	const unsigned int n = SCALE_N, big = SCALE_N * SCALE_FACTOR;
	unsigned long long w0, w1, w16;
	double ratio, bound;
	struct catalog *cat = NULL;
	struct diag d = { 0 };
	char path[64];
	size_t e0, e1, e16;

	(void)state;
	assert_int_equal(catalog_load(CATALOG, &cat, &d), 0);
	diag_clear(&d);
	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	write_config(path, 0);
	w0 = compile_work(cat, path, &e0);
	write_config(path, n);
	w1 = compile_work(cat, path, &e1);
	write_config(path, big);
	w16 = compile_work(cat, path, &e16);
	catalog_free(cat);
	unlink(path);

	/* The plans hold what was written: the lists really were compiled. */
	assert_true(e1 > e0 + n && e16 > e0 + big);
	ratio = (double)(w16 - w0) / (double)(w1 - w0);
	bound = 2.0 * SCALE_FACTOR * log2(big) / log2(n);
	print_message("work: base %llu, n=%u: %llu, n=%u: %llu; ratio %.1f (bound %.1f; "
		      "quadratic: %u)\n",
		      w0, n, w1 - w0, big, w16 - w0, ratio, bound, SCALE_FACTOR * SCALE_FACTOR);
	assert_true(ratio < bound);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compile_n_log_n),
	};
	int r;

	if (access(CATALOG, F_OK) != 0 && chdir("../..") != 0)
		return 1;
	if (!mkdtemp(dir))
		return 1;
	r = cmocka_run_group_tests_name("scale", tests, NULL, NULL);
	rmdir(dir);
	return r;
}
