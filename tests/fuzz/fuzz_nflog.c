/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: nflog_parse() on arbitrary messages. The first byte picks what the
 * rest is: even, the attributes after nfgenmsg (attribute parsing); odd, an NFULA_PAYLOAD
 * after a valid prefix (the IPv4/IPv6/L4 walk). The message sits in a buffer of exactly
 * its (padded) length, so any read past it is ASan's to report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include <libmnl/libmnl.h>

#include "netlink/nflog.h"
#include "tests/fuzz/fuzz.h"

#define HDR (MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)))
#define PREFIX_ATTR 12 /* "fuzz: " with its NUL, aligned */

static void put_attr(uint8_t *at, uint16_t type, const void *v, size_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(MNL_ATTR_HDRLEN + len), .nla_type = type };

	memcpy(at, &a, sizeof(a));
	memcpy(at + MNL_ATTR_HDRLEN, v, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlmsghdr nlh = { .nlmsg_type = NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET };
	bool payload_mode;
	struct nflog_pkt p;
	size_t len, body;
	uint8_t *m;

	if (size < 1 || size > 60000)
		return 0;
	payload_mode = data[0] & 1;
	data++;
	size--;
	body = payload_mode ? PREFIX_ATTR + MNL_ATTR_HDRLEN + size : size;
	len = HDR + MNL_ALIGN(body); /* the kernel's messages are padded; calloc zeroes it */
	m = calloc(1, len);
	if (!m)
		return 0;
	nlh.nlmsg_len = (uint32_t)len;
	memcpy(m, &nlh, sizeof(nlh));
	if (payload_mode) {
		put_attr(m + HDR, NFULA_PREFIX, "fuzz: ", 7);
		put_attr(m + HDR + PREFIX_ATTR, NFULA_PAYLOAD, data, size);
	} else {
		memcpy(m + HDR, data, size);
	}
	(void)nflog_parse((const struct nlmsghdr *)(void *)m, &p);
	free(m);
	return 0;
}
