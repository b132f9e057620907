/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: detect_parse_timesyncd_conf on arbitrary bytes, applied as the main file
 * and again as a drop-in (the lists carry over), then detect_timesyncd_record.
 */
#include "tests/fuzz/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char main_file[] = "/etc/systemd/timesyncd.conf";
	struct timesyncd_state *st = calloc(1, sizeof(*st));
	struct detection *det = calloc(1, sizeof(*det));
	char *buf = fuzz_cstr(data, size);
	struct diag d = { 0 };

	if (buf && det && st && detect_parse_timesyncd_conf(det, st, main_file, buf, &d) == 0 &&
	    detect_parse_timesyncd_conf(det, st, "/etc/systemd/timesyncd.conf.d/50-x.conf", buf,
					&d) == 0)
		detect_timesyncd_record(det, st, main_file, &d);
	diag_clear(&d);
	detection_free(det);
	free(st);
	free(buf);
	return 0;
}
