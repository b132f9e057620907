/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replacing a file so a reader sees the old one or the new one, never half of one. The
 * reading side, file_read_bounded(), is in policies/fileread.h: policies/ reads files too
 * and may not include agent/.
 */
#ifndef FLOWGUARD_FILEIO_H
#define FLOWGUARD_FILEIO_H

#include <stdio.h>
#include <sys/types.h>

/*
 * fill() writes the new contents into a temporary file beside path ("path.XXXXXX": the
 * same file system, and never a name a collector globbing *.prom would read), which is
 * given mode (umask does not apply), synced, renamed over path, and the directory synced.
 * 0, fill()'s error, or the first I/O error as -errno (a full disk is -ENOSPC, not -EIO).
 * On failure path is untouched and the temporary file is gone.
 */
int file_replace(const char *path, mode_t mode, int (*fill)(FILE *f, const void *data),
		 const void *data);

#endif
