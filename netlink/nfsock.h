/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the nfnetlink listeners (nflog.c, nfqueue.c) share: one NETLINK_NETFILTER socket
 * with a receive buffer, configuration requests answered by an ACK, and the non-blocking
 * read of everything the kernel has queued for us. Internal to netlink/.
 */
#ifndef FLOWGUARD_NFSOCK_H
#define FLOWGUARD_NFSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

/* Our requests are a header and a few attributes; 8-byte words keep them aligned. */
#define NFSOCK_REQ_WORDS 32

struct mnl_socket;

struct nfsock {
	struct mnl_socket *sock;
	uint32_t seq;
	char *buf;
	size_t buf_len;
};

/* Opens and binds the socket (receive buffer rcvbuf bytes) and a read buffer. 0 or -errno. */
int nfsock_open(struct nfsock *s, size_t buf_len, int rcvbuf);
/* Closes what nfsock_open() opened (also a half-open one). */
void nfsock_close(struct nfsock *s);
int nfsock_fd(const struct nfsock *s);
int nfsock_set_nonblock(struct nfsock *s);

/* A request header for SUBSYS << 8 | MSG in buf (NFSOCK_REQ_WORDS), with the next seq. */
struct nlmsghdr *nfsock_request(struct nfsock *s, void *buf, uint16_t type, uint16_t res_id,
				bool ack);
/* Sends nlh and waits for its ACK (packets arriving meanwhile are dropped). 0 or -errno. */
int nfsock_send_wait(struct nfsock *s, const struct nlmsghdr *nlh);
/* Sends nlh without waiting. 0 or -errno. */
int nfsock_send(struct nfsock *s, const struct nlmsghdr *nlh);

/*
 * Binding a group or queue another socket holds fails with -EPERM, as does lacking
 * CAP_NET_ADMIN: a read-only request that needs the capability too tells them apart.
 * Returns -EBUSY or -EPERM.
 */
int nfsock_busy_or_eperm(struct nfsock *s);

/*
 * Reads the datagrams the kernel has for us without blocking and hands each to cb
 * (which returns how many packets it delivered), until none is left or (max > 0) max
 * packets were delivered. -ENOBUFS (the kernel dropped messages) and datagrams larger
 * than the buffer count in *lost. Returns the packets delivered, or -errno.
 */
int nfsock_read(struct nfsock *s, size_t max, int (*cb)(void *data, const char *buf, int len),
		void *data, uint64_t *lost);

#endif
