/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the YAML loader and config validator on arbitrary bytes. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "policies/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	struct diag d = { 0 };
	char path[64];
	int fd;

	/* config_load() reads a path; a memfd gives it one without touching the disk. */
	fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (config_load(path, false, NULL, &cfg, &d) == 0)
			config_free(cfg);
	}
	diag_clear(&d);
	close(fd);
	return 0;
}
