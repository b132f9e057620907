/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The nfnetlink listeners' socket: open, configure with ACKs, read without blocking. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>

#include "nfsock.h"

static void set_rcvbuf(int fd, int size)
{
	/* FORCE ignores rmem_max but needs CAP_NET_ADMIN; plain RCVBUF is capped by it. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

int nfsock_open(struct nfsock *s, size_t buf_len, int rcvbuf)
{
	memset(s, 0, sizeof(*s));
	/* Room past the end: libmnl may look at an unaligned message's padding (nfqueue.c). */
	s->buf = calloc(1, buf_len + MNL_ALIGNTO);
	if (!s->buf)
		return -ENOMEM;
	s->buf_len = buf_len;
	s->sock = mnl_socket_open(NETLINK_NETFILTER);
	if (!s->sock)
		return -errno;
	if (mnl_socket_bind(s->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	set_rcvbuf(mnl_socket_get_fd(s->sock), rcvbuf);
	return 0;
}

void nfsock_close(struct nfsock *s)
{
	if (s->sock)
		mnl_socket_close(s->sock);
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

int nfsock_fd(const struct nfsock *s)
{
	return mnl_socket_get_fd(s->sock);
}

int nfsock_set_nonblock(struct nfsock *s)
{
	int fd = nfsock_fd(s), fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

struct nlmsghdr *nfsock_request(struct nfsock *s, void *buf, uint16_t type, uint16_t res_id,
				bool ack)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | (ack ? NLM_F_ACK : 0);
	nlh->nlmsg_seq = ++s->seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(res_id);
	return nlh;
}

/* The kernel's answer to seq: 0 or -errno. Packets that arrive meanwhile are dropped. */
static int wait_ack(struct nfsock *s, uint32_t seq)
{
	const struct nlmsghdr *nlh;
	const struct nlmsgerr *e;
	ssize_t n;
	int len;

	for (;;) {
		n = mnl_socket_recvfrom(s->sock, s->buf, s->buf_len);
		if (n < 0 && errno == ENOBUFS)
			continue;
		if (n < 0)
			return -errno;
		len = (int)n;
		for (nlh = (void *)s->buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq != seq ||
			    nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			return e->error;
		}
	}
}

int nfsock_send(struct nfsock *s, const struct nlmsghdr *nlh)
{
	return mnl_socket_sendto(s->sock, nlh, nlh->nlmsg_len) < 0 ? -errno : 0;
}

int nfsock_send_wait(struct nfsock *s, const struct nlmsghdr *nlh)
{
	int r = nfsock_send(s, nlh);

	return r < 0 ? r : wait_ack(s, nlh->nlmsg_seq);
}

int nfsock_busy_or_eperm(struct nfsock *s)
{
	uint64_t buf[NFSOCK_REQ_WORDS] = { 0 }; /* no stack bytes leak into a message */
	struct nlmsghdr *nlh = nfsock_request(s, buf,
					      (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 |
							 NFT_MSG_GETGEN),
					      0, true);

	return nfsock_send_wait(s, nlh) == 0 ? -EBUSY : -EPERM;
}

int nfsock_read(struct nfsock *s, size_t max, int (*cb)(void *data, const char *buf, int len),
		void *data, uint64_t *lost)
{
	int fd = nfsock_fd(s), total = 0;
	struct sockaddr_nl from;
	socklen_t flen;
	ssize_t n;

	while (!max || (size_t)total < max) {
		memset(&from, 0, sizeof(from));
		flen = sizeof(from);
		n = recvfrom(fd, s->buf, s->buf_len, MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&from, &flen);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return total;
		if (n < 0 && errno == ENOBUFS) {
			(*lost)++; /* at least one; the kernel does not say how many */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n > s->buf_len) {
			(*lost)++; /* larger than any batch we configured: cut, not parsed */
			continue;
		}
		if (flen != sizeof(from) || from.nl_pid != 0)
			continue; /* not from the kernel */
		total += cb(data, s->buf, (int)n);
	}
	return total;
}
