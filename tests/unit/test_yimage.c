/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The catalogs compiled into the binary (struct yimage, policies/yimages.c): a file with
 * an image's exact bytes loads as the same tree libyaml builds, node for node (type,
 * style, text, position, children); the catalog in the tree has an image (the build
 * regenerated it); and a file that differs by one byte is parsed, not taken from it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "policies/model.h"

#define CATALOG "policies/catalog/swp.yaml"

static char dir[] = "/tmp/fg-yimage-XXXXXX";
static char path[64];

static void write_bytes(const char *bytes, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Whether doc was built from im: its texts are im's own, not copies libyaml made. */
static bool from_image(const struct ydoc *doc, const struct yimage *im)
{
	const struct ynode *n = doc->root;

	while (n && n->type != YN_SCALAR)
		n = n->n ? n->items[0] : NULL;
	return n && n->value >= im->strings && n->value < im->strings + im->len + im->n_nodes;
}

static size_t n_compared;

static void assert_same_tree(const struct ynode *a, const struct ynode *b)
{
	size_t i;

	n_compared++;
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->plain, b->plain);
	assert_int_equal(a->loc.line, b->loc.line);
	assert_int_equal(a->loc.col, b->loc.col);
	assert_string_equal(a->loc.file, b->loc.file);
	if (a->type == YN_SCALAR)
		assert_string_equal(a->value, b->value);
	else
		assert_null(b->value);
	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++)
		assert_same_tree(a->items[i], b->items[i]);
}

/* Every image: ydoc_load() of its bytes gives libyaml's tree, and from the image. */
static void test_image_equals_parse(void **state)
{
	size_t k;

	(void)state;
	assert_true(yimages_n > 0);
	for (k = 0; k < yimages_n; k++) {
		const struct yimage *im = &yimages[k];
		struct ydoc *parsed = NULL, *loaded = NULL;
		struct diag d = { 0 };

		write_bytes(im->bytes, im->len);
		assert_int_equal(ydoc_parse(path, im->bytes, im->len, &parsed, &d), 0);
		assert_int_equal(ydoc_load(path, NULL, NULL, &loaded, &d), 0);
		assert_int_equal(d.n, 0);
		assert_false(from_image(parsed, im));
		assert_true(from_image(loaded, im));
		n_compared = 0;
		assert_same_tree(parsed->root, loaded->root);
		assert_int_equal(n_compared, im->n_nodes);
		print_message("%s: %zu bytes, %zu nodes, the same tree\n", im->source, im->len,
			      n_compared);
		ydoc_free(parsed);
		ydoc_free(loaded);
	}
}

static char *read_all(const char *file, size_t *ret_len)
{
	FILE *f = fopen(file, "rb");
	size_t cap = 1 << 20, len;
	char *buf = malloc(cap);

	assert_non_null(f);
	assert_non_null(buf);
	len = fread(buf, 1, cap, f);
	assert_true(len < cap);
	fclose(f);
	*ret_len = len;
	return buf;
}

/* The catalog shipped in the tree loads from the image: the build did not go stale. */
static void test_catalog_has_image(void **state)
{
	struct catalog *cat = NULL;
	struct diag d = { 0 };

	(void)state;
	assert_int_equal(catalog_load(CATALOG, &cat, &d), 0);
	assert_true(from_image(cat->doc, &yimages[0]));
	assert_string_equal(cat->flows[0].loc.file, CATALOG);
	catalog_free(cat);
	diag_clear(&d);
}

/* One byte changed (the last; one in the middle) or missing: parsed by libyaml. */
static void test_changed_byte_is_parsed(void **state)
{
	struct ydoc *doc = NULL;
	struct diag d = { 0 };
	size_t len, pos[2], i;
	char *buf = read_all(CATALOG, &len);

	(void)state;
	pos[0] = len - 1;
	pos[1] = len / 2;
	for (i = 0; i < 2; i++) {
		char was = buf[pos[i]];

		/* Either libyaml refuses the file, or it parses it: an image never answers. */
		buf[pos[i]] = was == 'x' ? 'y' : 'x';
		write_bytes(buf, len);
		if (ydoc_load(path, NULL, NULL, &doc, &d) == 0) {
			assert_false(from_image(doc, &yimages[0]));
			ydoc_free(doc);
			doc = NULL;
		}
		diag_clear(&d);
		memset(&d, 0, sizeof(d));
		buf[pos[i]] = was;
	}
	/* Shorter or longer by one byte: no image either. */
	write_bytes(buf, len - 1);
	if (ydoc_load(path, NULL, NULL, &doc, &d) == 0)
		assert_false(from_image(doc, &yimages[0]));
	ydoc_free(doc);
	diag_clear(&d);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_equals_parse),
		cmocka_unit_test(test_catalog_has_image),
		cmocka_unit_test(test_changed_byte_is_parsed),
	};
	int r;

	if (access(CATALOG, F_OK) != 0 && chdir("../..") != 0)
		return 1;
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	r = cmocka_run_group_tests_name("yimage", tests, NULL, NULL);
	unlink(path);
	rmdir(dir);
	return r;
}
