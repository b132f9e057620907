/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: detect_parse_ntp_conf (ntpd, ntpsec) on arbitrary bytes; includefile
 * paths go through detect_parse_conf_path as the detector's walk does.
 */
#include "tests/fuzz/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct detection *det = calloc(1, sizeof(*det));
	char *buf = fuzz_cstr(data, size);
	struct diag d = { 0 };

	if (buf && det)
		detect_parse_ntp_conf(det, "/etc/ntpsec/ntp.conf", buf, fuzz_conf_paths, NULL, &d);
	diag_clear(&d);
	detection_free(det);
	free(buf);
	return 0;
}
