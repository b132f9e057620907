/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: detect_parse_resolv_conf on arbitrary bytes, as /etc/resolv.conf and as
 * systemd-resolved's upstream list.
 */
#include "tests/fuzz/detect.h"

static void parse(const char *buf, unsigned int flags)
{
	struct detection *det;
	struct diag d = { 0 };
	bool stub;

	det = calloc(1, sizeof(*det));
	if (!det)
		return;
	detect_parse_resolv_conf(det, "/etc/resolv.conf", buf, flags, &stub, &d);
	diag_clear(&d);
	detection_free(det);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_cstr(data, size);

	if (!buf)
		return 0;
	parse(buf, 0);
	parse(buf, RESOLV_UPSTREAM);
	free(buf);
	return 0;
}
