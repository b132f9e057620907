/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the dsa_query GetAgentStatus parser on arbitrary bytes. */
#include "tests/fuzz/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_vendor(detect_parse_agent_status, "dsa_query -c GetAgentStatus", data, size);
}
