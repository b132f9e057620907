/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the libFuzzer targets share: the entry point, the input as a C string (the text
 * parsers read those; the file loader refuses NUL bytes before them) and the input behind
 * a path (for loaders that open one) without touching the disk.
 */
#ifndef FLOWGUARD_FUZZ_H
#define FLOWGUARD_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input (free it), or NULL. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);

	if (buf) {
		memcpy(buf, data, size);
		buf[size] = '\0';
	}
	return buf;
}

/*
 * The input in a memfd of the given mode, and its path ("/proc/self/fd/N") in path: the
 * fd to close afterwards, or -1.
 */
static inline int fuzz_memfd(const void *data, size_t size, mode_t mode, char *path, size_t len)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) < 0 || write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

#endif
