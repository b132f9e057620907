/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sha256: the FIPS 180-4 example vectors (one block, two blocks, a million bytes fed in
 * uneven pieces), padding at every length around a block boundary against one-shot
 * hashing, and config_sha256() over two files equal to the digest of their digest lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policies/model.h"
#include "policies/sha256.h"

static void hex_of(const void *p, size_t n, char hex[SHA256_HEX_LEN])
{
	uint8_t d[SHA256_LEN];

	sha256_buf(p, n, d);
	sha256_hex(d, hex);
}

static void test_vectors(void **state)
{
	char hex[SHA256_HEX_LEN];
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	(void)state;
	hex_of("abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hex_of("", 0, hex);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_of(two, strlen(two), hex);
	assert_string_equal(hex,
			    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_million(void **state)
{
	static char a[1000];
	uint8_t d[SHA256_LEN];
	char hex[SHA256_HEX_LEN];
	struct sha256 s;
	size_t done = 0, step = 1;

	(void)state;
	memset(a, 'a', sizeof(a));
	sha256_init(&s);
	while (done < 1000000) {
		size_t n = step < 1000000 - done ? step : 1000000 - done;

		sha256_update(&s, a, n);
		done += n;
		step = step % 990 + 7; /* pieces that straddle block boundaries */
	}
	sha256_final(&s, d);
	sha256_hex(d, hex);
	assert_string_equal(hex,
			    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Every length 0..130 (the 55/56/64-byte padding edges): piecewise equals one-shot. */
static void test_lengths(void **state)
{
	uint8_t buf[130], d1[SHA256_LEN], d2[SHA256_LEN];
	struct sha256 s;
	size_t n, i;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 1);
	for (n = 0; n <= sizeof(buf); n++) {
		sha256_buf(buf, n, d1);
		sha256_init(&s);
		for (i = 0; i < n; i++)
			sha256_update(&s, buf + i, 1);
		sha256_final(&s, d2);
		assert_memory_equal(d1, d2, SHA256_LEN);
	}
}

static void test_config(void **state)
{
	struct ydoc a = { .bytes = "mode: audit\n", .len = 12 };
	struct ydoc b = { .bytes = "allow: []\n", .len = 10 }, *docs[2] = { &a, &b };
	struct config cfg = { .docs = docs, .n_docs = 2 };
	char ha[SHA256_HEX_LEN], hb[SHA256_HEX_LEN], lines[2 * SHA256_HEX_LEN + 1],
		want[SHA256_HEX_LEN], got[SHA256_HEX_LEN];
	uint8_t da[SHA256_LEN], db[SHA256_LEN];

	(void)state;
	sha256_buf("mode: audit\n", 12, da);
	sha256_buf("allow: []\n", 10, db);
	sha256_hex(da, ha);
	sha256_hex(db, hb);
	snprintf(lines, sizeof(lines), "%s\n%s\n", ha, hb);
	hex_of(lines, strlen(lines), want);
	config_sha256(&cfg, got);
	assert_string_equal(got, want);
	/* The order of the files is part of the identity. */
	docs[0] = &b;
	docs[1] = &a;
	config_sha256(&cfg, got);
	assert_string_not_equal(got, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_million),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
