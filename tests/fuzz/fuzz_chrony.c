/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: detect_parse_chrony_conf on arbitrary bytes, as chrony.conf and as a
 * .sources file; include paths go through detect_parse_conf_path as the detector's walk does.
 */
#include "tests/fuzz/detect.h"

static void parse(const char *buf, unsigned int flags)
{
	struct detection *det;
	struct diag d = { 0 };

	det = calloc(1, sizeof(*det));
	if (!det)
		return;
	detect_parse_chrony_conf(det, "/etc/chrony/chrony.conf", buf, flags, fuzz_conf_paths, NULL,
				 &d);
	diag_clear(&d);
	detection_free(det);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_cstr(data, size);

	if (!buf)
		return 0;
	parse(buf, 0);
	parse(buf, CHRONY_SOURCES);
	free(buf);
	return 0;
}
