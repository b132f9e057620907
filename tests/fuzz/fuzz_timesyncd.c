/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: parse_timesyncd_conf on arbitrary bytes, applied as the main file and
 * again as a drop-in (the lists carry over), then timesyncd_record. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/detect/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char main_file[] = "/etc/systemd/timesyncd.conf";
	struct timesyncd_state *st;
	struct detection *det;
	struct diag d = { 0 };
	char *buf;

	/* the parsers read C strings; the file loader refuses NUL bytes before them */
	buf = malloc(size + 1);
	det = calloc(1, sizeof(*det));
	st = calloc(1, sizeof(*st));
	if (buf && det && st) {
		memcpy(buf, data, size);
		buf[size] = '\0';
		if (parse_timesyncd_conf(det, st, main_file, buf, &d) == 0 &&
		    parse_timesyncd_conf(det, st, "/etc/systemd/timesyncd.conf.d/50-x.conf", buf,
					 &d) == 0)
			timesyncd_record(det, st, main_file, &d);
	}
	diag_clear(&d);
	detection_free(det);
	free(st);
	free(buf);
	return 0;
}
