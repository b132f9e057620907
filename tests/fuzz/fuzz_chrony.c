/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: parse_chrony_conf on arbitrary bytes, as chrony.conf and as a .sources
 * file; include paths go through parse_conf_path as the detector's walk does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/detect/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_paths(void *ctx, enum conf_ref kind, const char *const *args, size_t n_args,
		       const struct loc *loc)
{
	char path[512];
	const char *why;
	size_t i;

	(void)ctx, (void)kind, (void)loc;
	for (i = 0; i < n_args; i++)
		parse_conf_path(args[i], path, sizeof(path), &why);
	return 0;
}

static void parse(const char *buf, unsigned int flags)
{
	struct detection *det;
	struct diag d = { 0 };

	det = calloc(1, sizeof(*det));
	if (!det)
		return;
	parse_chrony_conf(det, "/etc/chrony/chrony.conf", buf, flags, check_paths, NULL, &d);
	diag_clear(&d);
	detection_free(det);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;

	/* the parsers read C strings; the file loader refuses NUL bytes before them */
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	parse(buf, 0);
	parse(buf, CHRONY_SOURCES);
	free(buf);
	return 0;
}
