/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the Data Center Gateway allow-list parser on arbitrary bytes. */
#include "tests/fuzz/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_vendor(detect_parse_dcgw_allow_list,
			   "/var/opt/c1ws-dcgateway/conf/destination_allow_list.yaml", data, size);
}
