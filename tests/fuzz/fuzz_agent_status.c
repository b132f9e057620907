/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the dsa_query GetAgentStatus parser on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "agent/detect/vendor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct detection *det;
	struct diag d = { 0 };

	det = calloc(1, sizeof(*det));
	if (!det)
		return 0;
	parse_agent_status(det, "dsa_query -c GetAgentStatus", (const char *)data, size, &d);
	detection_free(det);
	diag_clear(&d);
	return 0;
}
