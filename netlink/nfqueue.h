/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The listening end of `queue ... bypass`: one nfnetlink_queue socket bound to one queue.
 * Each packet waits in the kernel until nfq_verdict() names its id. Set up so that it
 * fails open: a full queue or a full socket buffer lets packets through (NFQA_CFG_F_FAIL_OPEN)
 * and, once the socket is gone, the rule's bypass does. Packets held at the moment the
 * socket closes are dropped by the kernel: nfq_close() accepts nothing by itself, the
 * owner gives every verdict first. Pure parsing (nfq_parse) is separate from the socket.
 */
#ifndef FLOWGUARD_NFQUEUE_H
#define FLOWGUARD_NFQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/netlink.h>

#include "netlink/nflog.h"

/* One queued packet: its id for the verdict and the copy, parsed as NFLOG's are. */
struct nfq_pkt {
	uint32_t id;
	struct nflog_pkt ip; /* prefix and uid empty; ip.l4 points into the read buffer */
};

struct nfq;

/*
 * Opens a socket, binds queue num, copies copy_range bytes of each packet, holds at most
 * maxlen packets (more pass: fail open). 0, -EBUSY (another listener has the queue),
 * -EPERM (no CAP_NET_ADMIN), or another -errno. The socket is non-blocking.
 */
int nfq_open(uint16_t num, uint32_t copy_range, uint32_t maxlen, struct nfq **ret);
/* Unbinds and closes (held packets are dropped by the kernel); NULL is fine. */
void nfq_close(struct nfq *q);
/*
 * Frees this process's copy after fork() handed the socket to the other one: closes the
 * descriptor here only; the binding and the held packets stay with the other process.
 */
void nfq_release(struct nfq *q);
int nfq_fd(const struct nfq *q);

/*
 * Reads what is pending without blocking, at most max packets (0: all); cb once per
 * packet. Returns the number of packets delivered or -errno. -ENOBUFS and unparsable
 * messages count in *lost (with fail-open, the kernel let those packets through).
 */
int nfq_read(struct nfq *q, size_t max, void (*cb)(void *data, const struct nfq_pkt *p), void *data,
	     uint64_t *lost);

/* Lets packet id go on (NF_ACCEPT: the next hook sees it). 0 or -errno. */
int nfq_accept(struct nfq *q, uint32_t id);

/*
 * Parses one NFQNL_MSG_PACKET message whose nlmsg_len the caller checked. 0, or -EINVAL:
 * not a packet, unaligned, no packet header or payload, a payload nflog_parse_ip() refuses.
 * ret->id is the packet's id whenever its header was read (ids start at 1), else 0: a
 * packet that does not parse must still be given its verdict.
 */
int nfq_parse(const struct nlmsghdr *nlh, struct nfq_pkt *ret);

#endif
