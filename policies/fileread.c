/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileread.h"
#include "prefault.h"

/* The first buffer; most files read this way are a few KiB. It doubles from here. */
#define READ_FIRST 8192

/*
 * The first buffer: a regular file's size and one byte (to see the end in one read), so a
 * large file is not read into a buffer doubled and copied again and again.
 */
static size_t first_size(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= READ_FIRST)
		return (size_t)st.st_size + 1;
	return READ_FIRST;
}

/* Room for cap bytes (and the NUL): first, then twice the old, at most limit. */
static int grow(char **buf, size_t *cap, size_t first, size_t limit)
{
	size_t want = *cap ? *cap * 2 : first;
	char *p;

	if (want > limit)
		want = limit;
	p = realloc(*buf, want + 1);
	if (!p)
		return -ENOMEM;
	prefault_write(p, want + 1);
	*buf = p;
	*cap = want;
	return 0;
}

int file_read_bounded(int fd, size_t max, unsigned int flags, char **ret, size_t *ret_len)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	ssize_t n;
	int r;

	r = grow(&buf, &cap, first_size(fd), max + 1);
	if (r < 0)
		return r;
	/* One byte past max is read, if there is one, to tell "exactly max" from "longer". */
	for (;;) {
		if (len == cap) {
			if (cap == max + 1)
				break;
			r = grow(&buf, &cap, 0, max + 1);
			if (r < 0)
				goto out_free;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out_free;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		r = -EFBIG;
		if (!(flags & FILE_READ_CUT))
			goto out_free;
		len = max;
		r = 1;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return r;

out_free:
	free(buf);
	return r;
}
