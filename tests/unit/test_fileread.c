/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * file_read_bounded(): the limit is what is read, not what fstat says (a memfd grown past
 * the limit, a pipe, /proc), exactly max is fine, one byte more is -EFBIG or a cut.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "policies/fileread.h"

/* A memfd holding n bytes 'a'..'z' over and over, positioned at its start. */
static int memfd_of(size_t n)
{
	char chunk[4096];
	size_t i, k;
	int fd;

	fd = memfd_create("fileread", MFD_CLOEXEC);
	assert_true(fd >= 0);
	for (i = 0; i < sizeof(chunk); i++)
		chunk[i] = (char)('a' + i % 26);
	for (i = 0; i < n; i += k) {
		k = n - i < sizeof(chunk) ? n - i : sizeof(chunk);
		assert_int_equal(write(fd, chunk, k), (ssize_t)k);
	}
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void expect_read(size_t size, size_t max, unsigned int flags, int want_r, size_t want_len)
{
	int fd = memfd_of(size), r;
	size_t len = 12345, i;
	char *buf = NULL;

	r = file_read_bounded(fd, max, flags, &buf, &len);
	close(fd);
	assert_int_equal(r, want_r);
	if (r < 0) {
		assert_null(buf);
		assert_int_equal(len, 12345);
		return;
	}
	assert_int_equal(len, want_len);
	for (i = 0; i < len; i++)
		if (buf[i] != (char)('a' + i % 4096 % 26))
			fail_msg("byte %zu is '%c'", i, buf[i]);
	assert_int_equal(buf[len], '\0');
	free(buf);
}

static void test_limits(void **state)
{
	(void)state;
	expect_read(0, 100, 0, 0, 0);
	expect_read(100, 100, 0, 0, 100);
	expect_read(101, 100, 0, -EFBIG, 0);
	expect_read(101, 100, FILE_READ_CUT, 1, 100);
	expect_read(100, 100, FILE_READ_CUT, 0, 100);
	/* Past the first buffer and its doublings. */
	expect_read(100000, 1 << 20, 0, 0, 100000);
	expect_read(100000, 65536, 0, -EFBIG, 0);
	expect_read(100000, 65536, FILE_READ_CUT, 1, 65536);
	expect_read(0, 0, 0, 0, 0);
	expect_read(1, 0, 0, -EFBIG, 0);
}

/* A pipe has no size at all: the bound must hold on what arrives. */
static void test_pipe(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "0123456789", 10), 10);
	close(p[1]);
	assert_int_equal(file_read_bounded(p[0], 9, 0, &buf, &len), -EFBIG);
	close(p[0]);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "0123456789", 10), 10);
	close(p[1]);
	assert_int_equal(file_read_bounded(p[0], 10, 0, &buf, &len), 0);
	close(p[0]);
	assert_string_equal(buf, "0123456789");
	free(buf);
}

/* /proc files say size 0 in fstat; they are read like any other. */
static void test_proc(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	int fd;

	(void)state;
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(file_read_bounded(fd, 1 << 20, 0, &buf, &len), 0);
	close(fd);
	assert_true(len > 0);
	assert_non_null(strstr(buf, "Name:"));
	free(buf);
}

static void test_bad_fd(void **state)
{
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(file_read_bounded(-1, 10, 0, &buf, &len), -EBADF);
	assert_null(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_proc),
		cmocka_unit_test(test_bad_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
