/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one bounded file reader: config and catalog files (ynode.c), host files and the
 * socket tables of detection, the names store's state file. It lives in policies/, the
 * lowest folder that reads files: agent/ may include policies/, policies/ may not include
 * agent/ (agent/util/fileio.h holds the writing side).
 */
#ifndef FLOWGUARD_FILEREAD_H
#define FLOWGUARD_FILEREAD_H

#include <stddef.h>

enum file_read_flags {
	/* A file longer than max is cut there (and 1 returned) instead of being -EFBIG. */
	FILE_READ_CUT = 1U << 0,
};

/*
 * Reads fd from where it stands to its end into a NUL-terminated *ret (caller frees) of
 * *ret_len bytes. The buffer grows as data comes: fstat's size is not trusted (a /proc
 * file says 0, any file may grow while it is read), so the bound is what is read. At most
 * max bytes: 0; a longer file is -EFBIG, or with FILE_READ_CUT its first max bytes and 1.
 * -ENOMEM, or read()'s -errno; on error nothing is allocated.
 */
int file_read_bounded(int fd, size_t max, unsigned int flags, char **ret, size_t *ret_len);

#endif
