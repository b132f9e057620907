/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hold helper (harvest_int.h): a child process that owns the NFQUEUE of DNS answers
 * and gives every answer its verdict within the bound, whatever the daemon does.
 *
 * Daemon <-> helper: one SOCK_SEQPACKET pair. Helper to daemon: a 4-byte answer id, then
 * the answer's UDP datagram. Daemon to helper: a 4-byte id, "its sets are committed".
 * The helper runs nothing of the daemon after fork(): no allocation, no c-ares, no
 * netlink except its own queue socket, whose other descriptors it closes.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "agent/daemon/harvest_int.h"
#include "netlink/nfqueue.h"

/* Answers held at once; more pass at once (the kernel's queue is as long). */
#define HOLD_MAX 1024
/* What the helper copies of each answer: EDNS answers up to 4096 bytes, plus headers. */
#define HOLD_COPY 4352
/* The pair's buffers: a burst of answers waits there while the daemon commits. */
#define HOLD_SOCKBUF (1 << 20)

struct pend {
	uint32_t id;
	uint64_t t0_ns, due_ns;
};

struct helper {
	struct nfq *q;
	int fd;
	uint64_t bound_ns;
	struct hold_shared *sh;
	struct pend v[HOLD_MAX]; /* in arrival order, so by due time */
	size_t n;
	uint8_t msg[4 + HOLD_COPY];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

/* Lets pending answer k go and forgets it; on_time says who decided. */
static void release(struct helper *h, size_t k, bool on_time)
{
	uint64_t now = mono_ns();

	(void)nfq_accept(h->q, h->v[k].id);
	count(on_time ? &h->sh->on_time : &h->sh->late);
	latency_add(&h->sh->lat, (now - h->v[k].t0_ns) / 1000);
	memmove(&h->v[k], &h->v[k + 1], (h->n - k - 1) * sizeof(h->v[0]));
	h->n--;
}

/* A queued answer: to the daemon and held, or on at once if it cannot be held. */
static void on_packet(void *data, const struct nfq_pkt *p)
{
	struct helper *h = data;
	size_t len = p->ip.l4 ? p->ip.l4_len : 0;
	uint64_t now = mono_ns();

	if (len > HOLD_COPY)
		len = HOLD_COPY;
	memcpy(h->msg, &p->id, 4);
	if (len)
		memcpy(h->msg + 4, p->ip.l4, len);
	if (!len || h->n == HOLD_MAX || send(h->fd, h->msg, 4 + len, MSG_DONTWAIT) < 0) {
		(void)nfq_accept(h->q, p->id);
		count(&h->sh->unheld);
		return;
	}
	h->v[h->n++] = (struct pend){ p->id, now, now + h->bound_ns };
	count(&h->sh->held);
}

/* The daemon's releases; false once it is gone. */
static bool read_releases(struct helper *h)
{
	uint32_t id;
	ssize_t n;
	size_t k;

	for (;;) {
		n = recv(h->fd, &id, sizeof(id), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (n <= 0)
			return false;
		if (n != sizeof(id))
			continue;
		/* An id let go by the bound already is no longer here: nothing to do. */
		for (k = 0; k < h->n && h->v[k].id != id; k++)
			;
		if (k < h->n)
			release(h, k, true);
	}
}

static void expire(struct helper *h)
{
	uint64_t now = mono_ns();

	while (h->n && h->v[0].due_ns <= now)
		release(h, 0, false);
}

/* Until the daemon's end closes; then every held answer goes, and so does the helper. */
static void __attribute__((noreturn)) helper_run(struct helper *h)
{
	struct pollfd pfd[2] = { { .fd = nfq_fd(h->q), .events = POLLIN },
				 { .fd = h->fd, .events = POLLIN } };
	struct timespec ts, *tp;
	uint64_t lost = 0, now;

	for (;;) {
		tp = NULL;
		if (h->n) {
			now = mono_ns();
			now = h->v[0].due_ns > now ? h->v[0].due_ns - now : 0;
			ts.tv_sec = (time_t)(now / 1000000000ULL);
			ts.tv_nsec = (long)(now % 1000000000ULL);
			tp = &ts;
		}
		if (ppoll(pfd, 2, tp, NULL) < 0 && errno != EINTR)
			break;
		if ((pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) && !read_releases(h))
			break;
		if (pfd[0].revents) {
			(void)nfq_read(h->q, on_packet, h, &lost);
			__atomic_store_n(&h->sh->lost, lost, __ATOMIC_RELAXED);
		}
		expire(h);
	}
	while (h->n)
		release(h, 0, false);
	_exit(0);
}

/* Every descriptor but stdio, the queue's and ours: the daemon's sockets are not ours. */
static void close_others(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo > 3)
		close_range(3, (unsigned int)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned int)lo + 1, (unsigned int)hi - 1, 0);
	close_range((unsigned int)hi + 1, ~0U, 0);
}

static void helper_start(struct nfq *q, int fd, uint64_t bound_us, struct hold_shared *sh)
{
	static struct helper h;

	close_others(nfq_fd(q), fd);
	prctl(PR_SET_NAME, "flowguard-hold");
	h.q = q;
	h.fd = fd;
	h.bound_ns = bound_us * 1000;
	h.sh = sh;
	helper_run(&h);
}

static void set_bufs(int fd)
{
	int size = HOLD_SOCKBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

int hold_start(uint16_t queue, uint64_t bound_us, struct holder *ret)
{
	struct hold_shared *sh;
	struct nfq *q = NULL;
	int sv[2], r;
	pid_t pid;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -errno;
	memset(sh, 0, sizeof(*sh));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		goto out_unmap;
	}
	set_bufs(sv[0]);
	set_bufs(sv[1]);
	r = nfq_open(queue, HOLD_COPY, HOLD_MAX, &q);
	if (r < 0)
		goto out_close;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		nfq_close(q);
		goto out_close;
	}
	if (pid == 0) {
		close(sv[0]);
		helper_start(q, sv[1], bound_us, sh);
	}
	/* The queue is the helper's now: our copy goes without unbinding it. */
	nfq_release(q);
	close(sv[1]);
	*ret = (struct holder){ .pid = pid, .fd = sv[0], .sh = sh };
	return 0;

out_close:
	close(sv[0]);
	close(sv[1]);
out_unmap:
	munmap(sh, sizeof(*sh));
	return r;
}

void hold_stop(struct holder *h)
{
	if (h->fd >= 0)
		close(h->fd);
	if (h->pid > 0)
		while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
			;
	if (h->sh)
		munmap(h->sh, sizeof(*h->sh));
	*h = (struct holder){ .fd = -1 };
}

ssize_t hold_recv(struct holder *h, uint32_t *ret_id, uint8_t *buf, size_t len)
{
	struct iovec iov[2] = { { ret_id, sizeof(*ret_id) }, { buf, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;

	n = recvmsg(h->fd, &mh, MSG_DONTWAIT);
	if (n < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	if (n == 0)
		return -EPIPE;
	if ((size_t)n < sizeof(*ret_id))
		return -EBADMSG;
	return n - (ssize_t)sizeof(*ret_id);
}

int hold_release(struct holder *h, uint32_t id)
{
	return send(h->fd, &id, sizeof(id), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -errno : 0;
}
