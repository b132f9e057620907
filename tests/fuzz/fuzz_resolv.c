/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: parse_resolv_conf on arbitrary bytes, as /etc/resolv.conf and as
 * systemd-resolved's upstream list. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/detect/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse(const char *buf, unsigned int flags)
{
	struct detection *det;
	struct diag d = { 0 };
	bool stub;

	det = calloc(1, sizeof(*det));
	if (!det)
		return;
	parse_resolv_conf(det, "/etc/resolv.conf", buf, flags, &stub, &d);
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
	parse(buf, RESOLV_UPSTREAM);
	free(buf);
	return 0;
}
