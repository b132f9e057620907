/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the YAML loader and config validator on arbitrary bytes. */
#include "policies/model.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	struct diag d = { 0 };
	char path[64];
	int fd;

	fd = fuzz_memfd(data, size, 0600, path, sizeof(path));
	if (fd < 0)
		return 0;
	if (config_load(path, false, NULL, &cfg, &d) == 0)
		config_free(cfg);
	diag_clear(&d);
	close(fd);
	return 0;
}
