/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: detection_load() (the facts file the privileged detect step writes and
 * the unprivileged daemon reads) on arbitrary bytes. Besides memory errors it traps on a
 * broken round trip: whatever loads must print as JSON that loads again and prints the same.
 */
#include "agent/detect/detect.h"
#include "tests/fuzz/fuzz.h"

/* Loads size bytes of data as a facts file (0644, as the loader wants); NULL if refused. */
static struct detection *load(const void *data, size_t size)
{
	struct detection *det = NULL;
	struct diag d = { 0 };
	char path[64];
	int fd;

	fd = fuzz_memfd(data, size, 0644, path, sizeof(path));
	if (fd < 0)
		return NULL;
	if (detection_load(path, &det, &d) < 0)
		det = NULL;
	diag_clear(&d);
	close(fd);
	return det;
}

/* det as detect --json prints it, in a malloc'ed buffer. */
static char *json(const struct detection *det, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	if (detection_print_json(det, f) < 0) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct detection *det = load(data, size), *again;
	char *a, *b;
	size_t na = 0, nb = 0;

	if (!det)
		return 0;
	a = json(det, &na);
	detection_free(det);
	if (!a)
		return 0;
	again = load(a, na);
	if (!again)
		__builtin_trap(); /* what we print, we must read back */
	b = json(again, &nb);
	detection_free(again);
	if (b && (na != nb || memcmp(a, b, na) != 0))
		__builtin_trap();
	free(a);
	free(b);
	return 0;
}
