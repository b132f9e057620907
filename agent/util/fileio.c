/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/util/fileio.h"

/* Fills fd (closed on return) and syncs it. */
static int fill_fd(int fd, mode_t mode, int (*fill)(FILE *f, const void *data), const void *data)
{
	FILE *f;
	int r;

	f = fchmod(fd, mode) < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		return r;
	}
	r = fill(f, data);
	/* fflush and fclose set errno: a full disk says ENOSPC, not a vague EIO. */
	if (r == 0 && fflush(f) != 0)
		r = errno ? -errno : -EIO;
	else if (r == 0 && ferror(f))
		r = -EIO;
	if (r == 0 && fsync(fileno(f)) < 0)
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = errno ? -errno : -EIO;
	return r;
}

/* The rename is only durable once the directory is synced too. */
static int sync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd, r = 0;

	if ((size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir))
		return -ENAMETOOLONG;
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

int file_replace(const char *path, mode_t mode, int (*fill)(FILE *f, const void *data),
		 const void *data)
{
	char tmp[PATH_MAX];
	int fd, r;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = fill_fd(fd, mode, fill, data);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	return sync_dir(path);
}
