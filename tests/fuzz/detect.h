/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the targets of detection's parsers share (fuzz.h for all targets). */
#ifndef FLOWGUARD_FUZZ_DETECT_H
#define FLOWGUARD_FUZZ_DETECT_H

#include "agent/detect/parse.h"
#include "agent/detect/vendor.h"
#include "tests/fuzz/fuzz.h"

/* A vendor parser on the input, into a fresh detection, as the command source printed it. */
static inline int fuzz_vendor(vendor_parse_fn parse, const char *source, const uint8_t *data,
			      size_t size)
{
	struct detection *det = calloc(1, sizeof(*det));
	struct diag d = { 0 };

	if (det)
		parse(det, source, (const char *)data, size, &d);
	detection_free(det);
	diag_clear(&d);
	return 0;
}

/* Include paths go through detect_parse_conf_path, as the detector's walk does. */
static inline int fuzz_conf_paths(void *ctx, enum conf_ref kind, const char *const *args,
				  size_t n_args, const struct loc *loc)
{
	char path[512];
	const char *why;
	size_t i;

	(void)ctx, (void)kind, (void)loc;
	for (i = 0; i < n_args; i++)
		detect_parse_conf_path(args[i], path, sizeof(path), &why);
	return 0;
}

#endif
