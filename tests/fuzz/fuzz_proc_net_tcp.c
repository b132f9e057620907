/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the /proc/net/tcp{,6} socket-table parser on arbitrary bytes. */
#include "tests/fuzz/detect.h"

/* Small, so the "more sockets than room" path runs too. */
#define FUZZ_MAX_SOCKS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_sock v[FUZZ_MAX_SOCKS];
	struct diag d = { 0 };
	size_t n;

	detect_parse_proc_net_tcp("/proc/net/tcp", (const char *)data, size, v, FUZZ_MAX_SOCKS, &n,
				  &d);
	if (n > FUZZ_MAX_SOCKS)
		abort();
	diag_clear(&d);
	return 0;
}
