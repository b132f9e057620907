/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DNS answer harvest in the daemon (harvest.c) and the helper process that holds answers
 * for it (hold.c). Internal to agent/daemon/.
 *
 * Harvest: the table copies every DNS answer from a trusted resolver to NFLOG group
 * harvest.log-group; the daemon reads the copy, takes the addresses of allowed names into
 * the names store (agent/dns/harvest.h says which) and commits the sets that changed.
 * The answer itself went on at once: a program that connects within the commit's
 * fraction of a millisecond can still race it.
 *
 * Hold (harvest.hold): the table queues the answers instead (`queue ... bypass`). The
 * daemon reads the queue and lets each answer go once its sets are committed; a helper
 * process forked at start shares the queue and lets go any answer still held when
 * harvest.hold-timeout-ms has passed, and reads and lets go what the daemon does not read
 * in that time (hold.c). So a daemon that is stopped (SIGSTOP), wedged in a slow commit
 * or busy costs each answer at most the bound. When the daemon stops or dies, the helper
 * lets everything go and exits, and `bypass` passes answers untouched. A full queue or
 * socket buffer passes answers too (NFQA_CFG_F_FAIL_OPEN). What both count (held, on
 * time, late, passed unheld) lives in a page they share.
 */
#ifndef FLOWGUARD_HARVEST_INT_H
#define FLOWGUARD_HARVEST_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "agent/dns/dns.h"
#include "agent/util/latency.h"
#include "netlink/nflog.h"

struct daemon;

/* Answers held at once; the kernel's queue is as long (more pass: fail open). */
#define HOLD_SLOTS 1024

/* One held answer: id << 8 | state, and when the daemon read it (CLOCK_MONOTONIC ns). */
struct hold_slot {
	uint64_t word;
	uint64_t t0_ns;
};

/* Shared by the daemon and the helper; counters are atomic, slots change by CAS. */
struct hold_shared {
	uint64_t held;	  /* answers the daemon read and held */
	uint64_t on_time; /* let go by the daemon, its sets committed */
	uint64_t late;	  /* let go by the helper at the bound */
	uint64_t unheld;  /* let go at once: unreadable, no free slot, or never read (stall) */
	uint64_t lost;	  /* queue messages lost (the kernel let those answers pass) */
	uint64_t reads;	  /* the daemon's reads of the queue: its progress, for the helper */
	struct hold_slot slot[HOLD_SLOTS]; /* by id % HOLD_SLOTS */
};

struct nfq;

struct holder {
	pid_t pid;		/* the helper; 0: not running */
	int pipe;		/* our end: closing it tells the helper to go; -1: none */
	struct nfq *q;		/* our copy of the queue socket */
	struct hold_shared *sh; /* the shared page; NULL: none */
	uint64_t bound_us;
	struct latency lat;	/* read -> let go, microseconds (late ones count as the bound) */
};

/*
 * Binds NFQUEUE queue and forks the helper that lets answers go after bound_us.
 * 0, -EBUSY (another listener has the queue), or another -errno (nothing started).
 */
int hold_start(uint16_t queue, uint64_t bound_us, struct holder *ret);
/* Lets the helper let every held answer go and exit, and reaps it. */
void hold_stop(struct holder *h);
/* Whether the helper still runs (reaps it if not). */
bool hold_alive(struct holder *h);
/* The queue socket to poll. */
int hold_fd(const struct holder *h);
/*
 * Reads every queued answer and marks it held; cb gets each one's id and UDP datagram
 * (answers without one go on at once). Returns the number read or -errno.
 */
int hold_read(struct holder *h, void (*cb)(void *data, uint32_t id, const uint8_t *l4, size_t len),
	      void *data);
/* Lets held answer id go (if the helper has not already). */
void hold_release(struct holder *h, uint32_t id);

enum harvest_mode {
	HARVEST_OFF,  /* harvest.enabled: false, or no listener */
	HARVEST_COPY, /* NFLOG copies */
	HARVEST_HOLD, /* NFQUEUE, held */
};

struct harvest_stats {
	uint64_t seen;	    /* answers read */
	uint64_t harvested; /* answers whose chain named an allowed name */
	uint64_t ignored;   /* well-formed answers for no allowed name, or without addresses */
	uint64_t rejected[HARVEST_REJ_MAX];
	uint64_t lost;	    /* answers not taken in (socket overrun, a read's room full) */
	uint64_t added;	    /* addresses that became allowed through answers */
	uint64_t dropped;   /* addresses cut by harvest.max-addresses */
	uint64_t commits, commit_failures;
	struct latency lat; /* answer read -> its sets committed, microseconds */
};

struct harvest {
	enum harvest_mode mode;
	bool hold_wanted;     /* harvest.hold */
	const char *hold_via; /* "nft_queue", "nft_compat" (xt NFQUEUE), or NULL */
	char error[192];      /* why harvest or hold is not what the configuration asks */
	uint16_t group, queue;
	uint64_t bound_us;
	struct nflog *nl;
	struct holder hold;
	struct harvest_stats st;
	unsigned int logged; /* 1 << reason: that rejection was logged once already */
};

/* harvest.c: the daemon's side. Nothing here is fatal: failures are logged and in status. */
int harvest_open(struct daemon *dm);
void harvest_close(struct daemon *dm);
/* After a reload: reopens when the harvest settings changed. */
void harvest_reload(struct daemon *dm);
/* The socket to poll (NFLOG copies, or the helper's answers); -1: none. */
int harvest_fd(const struct daemon *dm);
/* Takes every pending answer in; commits the sets once; lets held answers go. */
void harvest_read(struct daemon *dm);
/* The "harvest" object of the status file. */
void harvest_write_status(FILE *f, const struct daemon *dm);

#endif
