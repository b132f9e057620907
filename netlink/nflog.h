/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The listening end of the final rules' `log group N`: one nfnetlink_log socket bound to
 * one NFLOG group, copying only the first bytes of each packet (headers are all the
 * agent reads). Only one process per network namespace can bind a group: -EBUSY then.
 * Pure parsing (nflog_parse) is separate from the socket so tests feed it messages.
 */
#ifndef FLOWGUARD_NFLOG_H
#define FLOWGUARD_NFLOG_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/netlink.h>

#include "netlink/ruleset.h"

#define NFLOG_PREFIX_MAX 64

/* One logged packet, reduced to what attribution needs. */
struct nflog_pkt {
	char prefix[NFLOG_PREFIX_MAX]; /* the rule's log prefix, e.g. "flowguard drop egress: " */
	struct rs_addr saddr, daddr;   /* prefix 32/128 */
	uint8_t l4proto;       /* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6, or another; IPPROTO_NONE:
					  the copy ends inside IPv6 extension headers */
	uint16_t sport, dport; /* host order; 0 where the protocol has none, in later
					  fragments, and where the copy ends before them */
	int icmp_type;	       /* -1 unless ICMP/ICMPv6 (and in the copy) */
	bool has_uid;	       /* the sending socket's owner, where the kernel knows it */
	uint32_t uid;
	uint32_t len; /* the packet's length on the wire */
};

struct nflog;

/*
 * Opens a socket and binds group with copy range `snaplen` bytes. 0, -EBUSY (another
 * listener has the group; the kernel says -EPERM, nflog_open tells it from a missing
 * CAP_NET_ADMIN), -EPERM, or another -errno. The socket is non-blocking.
 */
int nflog_open(uint16_t group, uint32_t snaplen, struct nflog **ret);
/* Unbinds and closes; NULL is fine. */
void nflog_close(struct nflog *nl);
int nflog_fd(const struct nflog *nl);

/*
 * Reads everything pending without blocking and calls cb once per parsed packet.
 * Returns the number of packets delivered, or -errno. -ENOBUFS (the kernel dropped
 * messages because we were slow) is not returned: it is counted in *lost and reading
 * goes on. Messages that do not parse are counted in *lost too.
 */
int nflog_read(struct nflog *nl, void (*cb)(void *data, const struct nflog_pkt *p), void *data,
	       uint64_t *lost);

/*
 * Parses one NFULNL_MSG_PACKET message whose nlmsg_len the caller has checked against the
 * buffer (mnl_nlmsg_ok). 0, or -EINVAL: not a packet, a length that is not a multiple
 * of 4 (the kernel pads its messages), no NUL-terminated prefix, no payload, a payload
 * shorter than its IP header or not IPv4/IPv6, more than 8 IPv6 extension headers, a
 * malformed NFULA_UID. A copy cut inside the L4 header still parses
 * (addresses and protocol are there); the fields it lacks stay 0 / -1.
 */
int nflog_parse(const struct nlmsghdr *nlh, struct nflog_pkt *ret);

#endif
