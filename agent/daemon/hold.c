/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Holding DNS answers in NFQUEUE (harvest_int.h): the daemon reads the queue and gives
 * each answer its verdict itself once the sets are committed, one wake-up on the answer's
 * path; a helper process watches the clock so that no answer waits longer than the bound,
 * whatever the daemon does.
 *
 * Both hold the same queue socket (fork() shares it, and with it the queue's binding and
 * the right to give verdicts). For every answer it reads, the daemon first marks a slot
 * of a shared page "pending" (id and time); whoever turns the slot to "released" first,
 * by compare-and-swap, gives the verdict: the daemon when its commit is done, the helper
 * when the bound has passed. A verdict for an id already released is not sent twice.
 * When the queue socket has had something to read for a whole bound while the daemon
 * read nothing (stopped, wedged), the helper reads the answers itself and lets them go.
 *
 * The helper wakes when the queue becomes readable and when a bound runs out, never
 * otherwise. It blocks SIGTERM and friends (inherited) and ends when the daemon's end of
 * their pipe closes (the daemon stopped, or was killed): it lets every pending answer go,
 * reads what is queued and lets that go too, and exits; the queue is then unbound and the
 * rule's bypass passes answers. It runs nothing of the daemon after fork(): no allocation,
 * no c-ares, no other descriptor (it closes them).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "agent/daemon/harvest_int.h"
#include "agent/util/clock.h"
#include "netlink/nfqueue.h"

/* Answers the kernel queues at once; more pass at once (fail open). */
#define HOLD_MAX HOLD_SLOTS
/* Answers the daemon takes per read: it commits and lets them go before it reads more. */
#define HOLD_READ_MAX 64
/* What is copied of each answer: EDNS answers up to 4096 bytes, plus headers. */
#define HOLD_COPY 4352

enum { SLOT_FREE, SLOT_PENDING, SLOT_RELEASED };

static void count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static uint64_t slot_word(uint32_t id, uint64_t state)
{
	return (uint64_t)id << 8 | state;
}

/* Turns slot s from pending id to released; true if this caller did it. */
static bool slot_release(struct hold_slot *s, uint32_t id)
{
	uint64_t want = slot_word(id, SLOT_PENDING);

	return __atomic_compare_exchange_n(&s->word, &want, slot_word(id, SLOT_RELEASED), false,
					   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/* ---- the helper ---- */

struct helper {
	struct nfq *q;
	int pipe; /* the daemon's end closes: time to go */
	uint64_t bound_ns;
	struct hold_shared *sh;
	uint64_t stall_reads; /* the daemon's read count when the queue was seen readable */
	uint64_t stall_due;   /* when to look again; 0: not watching */
};

/* Lets every pending answer go whose bound has run out (all, if force); the next due time. */
static uint64_t expire(struct helper *h, uint64_t now, bool force)
{
	struct hold_slot *s;
	uint64_t w, due, next = UINT64_MAX;
	size_t i;

	for (i = 0; i < HOLD_SLOTS; i++) {
		s = &h->sh->slot[i];
		w = __atomic_load_n(&s->word, __ATOMIC_ACQUIRE);
		if ((w & 0xff) != SLOT_PENDING)
			continue;
		due = __atomic_load_n(&s->t0_ns, __ATOMIC_RELAXED) + h->bound_ns;
		if (!force && due > now) {
			next = due < next ? due : next;
			continue;
		}
		if (slot_release(s, (uint32_t)(w >> 8))) {
			(void)nfq_accept(h->q, (uint32_t)(w >> 8));
			count(&h->sh->late);
		}
	}
	return next;
}

/* An answer the daemon never read: it goes on now. */
static void on_stalled(void *data, const struct nfq_pkt *p)
{
	struct helper *h = data;

	(void)nfq_accept(h->q, p->id);
	count(&h->sh->unheld);
}

/* Reads and lets go what waits in the socket (the daemon read nothing for a bound). */
static void drain(struct helper *h)
{
	uint64_t lost = 0;

	(void)nfq_read(h->q, 0, on_stalled, h, &lost);
	__atomic_add_fetch(&h->sh->lost, lost, __ATOMIC_RELAXED);
}

/* The queue was readable: if the daemon has read nothing since, a bound later, drain it. */
static void check_stall(struct helper *h, uint64_t now, bool readable)
{
	uint64_t reads = __atomic_load_n(&h->sh->reads, __ATOMIC_ACQUIRE);

	if (h->stall_due && now >= h->stall_due) {
		if (readable && reads == h->stall_reads)
			drain(h);
		h->stall_due = 0;
	}
	if (readable && !h->stall_due) {
		h->stall_reads = reads;
		h->stall_due = now + h->bound_ns;
	}
}

static void to_timespec(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / 1000000000ULL);
	ts->tv_nsec = (long)(ns % 1000000000ULL);
}

static void __attribute__((noreturn)) helper_run(struct helper *h)
{
	struct pollfd pfd[2] = { { .fd = h->pipe, .events = POLLIN },
				 { .fd = nfq_fd(h->q), .events = POLLIN } };
	uint64_t now, next = UINT64_MAX;
	struct timespec ts;

	for (;;) {
		now = mono_ns();
		if (h->stall_due && h->stall_due < next)
			next = h->stall_due;
		to_timespec(next > now ? next - now : 0, &ts);
		/* While a stall is being timed, readability says nothing new: do not spin on it. */
		if (ppoll(pfd, h->stall_due ? 1 : 2, next == UINT64_MAX ? NULL : &ts, NULL) < 0 &&
		    errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		now = mono_ns();
		next = expire(h, now, false);
		pfd[1].revents = 0;
		(void)poll(&pfd[1], 1, 0);
		check_stall(h, now, pfd[1].revents & POLLIN);
	}
	expire(h, 0, true);
	drain(h);
	_exit(0);
}

/* Every descriptor but stdio, the queue's and the pipe: the daemon's sockets are not ours. */
static void close_others(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo > 3)
		close_range(3, (unsigned int)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned int)lo + 1, (unsigned int)hi - 1, 0);
	close_range((unsigned int)hi + 1, ~0U, 0);
}

static void __attribute__((noreturn))
helper_start(struct nfq *q, int pipe, uint64_t bound_us, struct hold_shared *sh)
{
	static struct helper h;

	close_others(nfq_fd(q), pipe);
	prctl(PR_SET_NAME, "flowguard-hold");
	h.q = q;
	h.pipe = pipe;
	h.bound_ns = bound_us * 1000;
	h.sh = sh;
	helper_run(&h);
}

/* ---- the daemon's side ---- */

int hold_start(uint16_t queue, uint64_t bound_us, struct holder *ret)
{
	struct hold_shared *sh;
	struct nfq *q = NULL;
	int fds[2], r;
	pid_t pid;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -errno;
	memset(sh, 0, sizeof(*sh));
	if (pipe2(fds, O_CLOEXEC) < 0) {
		r = -errno;
		goto out_unmap;
	}
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
		close(fds[1]);
		helper_start(q, fds[0], bound_us, sh);
	}
	close(fds[0]);
	*ret = (struct holder){ .pid = pid, .pipe = fds[1], .q = q, .sh = sh, .bound_us = bound_us };
	return 0;

out_close:
	close(fds[0]);
	close(fds[1]);
out_unmap:
	munmap(sh, sizeof(*sh));
	return r;
}

void hold_stop(struct holder *h)
{
	/* Our copy goes first without unbinding: the helper lets everything go, then exits. */
	nfq_release(h->q);
	if (h->pipe >= 0)
		close(h->pipe);
	if (h->pid > 0)
		while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
			;
	if (h->sh)
		munmap(h->sh, sizeof(*h->sh));
	*h = (struct holder){ .pipe = -1 };
}

bool hold_alive(struct holder *h)
{
	if (h->pid <= 0)
		return false;
	if (waitpid(h->pid, NULL, WNOHANG) == 0)
		return true;
	h->pid = 0;
	return false;
}

int hold_fd(const struct holder *h)
{
	return nfq_fd(h->q);
}

struct read_ctx {
	struct holder *h;
	void (*cb)(void *data, uint32_t id, const struct nflog_pkt *p);
	void *data;
	uint64_t now;
};

static void on_held(void *data, const struct nfq_pkt *p)
{
	struct read_ctx *rc = data;
	struct hold_slot *s = &rc->h->sh->slot[p->id % HOLD_SLOTS];
	uint64_t w = __atomic_load_n(&s->word, __ATOMIC_ACQUIRE);

	/* A slot still pending for another answer: this one cannot be watched, it goes on. */
	if ((w & 0xff) == SLOT_PENDING || !p->ip.l4) {
		(void)nfq_accept(rc->h->q, p->id);
		count(&rc->h->sh->unheld);
		return;
	}
	__atomic_store_n(&s->t0_ns, rc->now, __ATOMIC_RELAXED);
	__atomic_store_n(&s->word, slot_word(p->id, SLOT_PENDING), __ATOMIC_RELEASE);
	count(&rc->h->sh->held);
	rc->cb(rc->data, p->id, &p->ip);
}

int hold_read(struct holder *h, void (*cb)(void *data, uint32_t id, const struct nflog_pkt *p),
	      void *data)
{
	struct read_ctx rc = { h, cb, data, mono_ns() };
	uint64_t lost = 0;
	int r;

	/* Progress, for the helper: the daemon is reading. */
	__atomic_add_fetch(&h->sh->reads, 1, __ATOMIC_RELEASE);
	r = nfq_read(h->q, HOLD_READ_MAX, on_held, &rc, &lost);
	__atomic_add_fetch(&h->sh->lost, lost, __ATOMIC_RELAXED);
	return r;
}

void hold_release(struct holder *h, uint32_t id)
{
	struct hold_slot *s = &h->sh->slot[id % HOLD_SLOTS];
	uint64_t t0 = __atomic_load_n(&s->t0_ns, __ATOMIC_RELAXED);

	if (!slot_release(s, id)) {
		/* The helper let it go at the bound: it counts as that long. */
		latency_add(&h->lat, h->bound_us);
		return;
	}
	(void)nfq_accept(h->q, id);
	count(&h->sh->on_time);
	latency_add(&h->lat, (mono_ns() - t0) / 1000);
}
