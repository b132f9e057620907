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
#include "agent/report/report.h"
#include "agent/util/latency.h"
#include "netlink/nflog.h"

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
	struct latency lat; /* read -> let go, microseconds (late ones count as the bound) */
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
 * Reads every queued answer and marks it held; cb gets each one's id and packet (answers
 * without a UDP datagram in the copy go on at once). Returns the number read or -errno.
 */
int hold_read(struct holder *h, void (*cb)(void *data, uint32_t id, const struct nflog_pkt *p),
	      void *data);
/* Lets held answer id go (if the helper has not already). */
void hold_release(struct holder *h, uint32_t id);

enum harvest_mode {
	HARVEST_OFF = 0, /* harvest.enabled: false, or no listener */
	HARVEST_COPY,	 /* NFLOG copies */
	HARVEST_HOLD,	 /* NFQUEUE, held */
};

struct harvest_stats {
	uint64_t queries;   /* queries this host sent (their copies) */
	uint64_t seen;	    /* answers read */
	uint64_t own;	    /* answers to flowguard's own queries: its resolver reads them */
	uint64_t harvested; /* answers whose chain named an allowed name */
	uint64_t ignored;   /* well-formed answers for no allowed name, or without addresses */
	uint64_t rejected[HARVEST_REJ_MAX];
	uint64_t lost;	  /* answers not taken in (socket overrun, a read's room full) */
	uint64_t added;	  /* addresses that became allowed through answers */
	uint64_t dropped; /* addresses cut by harvest.max-addresses */
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
	struct nflog *nl;		 /* copies: queries, and answers unless held */
	struct harvest_queries *waiting; /* queries awaiting their answer */
	struct holder hold;
	struct harvest_stats st;
	unsigned int logged; /* 1 << reason: that rejection was logged once already */
};

/* What one read of answers changed, for refresh.c to commit (store indices), and the
 * held answers it must let go afterwards. */
#define HARVEST_BATCH_NAMES 64
#define HARVEST_BATCH_HELD 256

struct harvest_batch {
	uint64_t now; /* CLOCK_BOOTTIME ms, for the store */
	double t0;    /* CLOCK_MONOTONIC s when the read began */
	size_t changed[HARVEST_BATCH_NAMES];
	size_t n_changed;
	size_t n_timed; /* answers that changed a set: one latency sample each */
	bool full;	/* changed[] is full: the rest of this read is not taken */
	uint32_t ids[HARVEST_BATCH_HELD];
	size_t n_ids;
};

/* harvest.c: the part. Nothing here is fatal: failures are logged and in status. */
/* Opens what c asks for that the kernel (features: NFT_FEAT_*) can do. */
void harvest_open(struct harvest *hv, const struct harvest_cfg *c, unsigned int features);
void harvest_close(struct harvest *hv);
/* After a reload: reopens when the settings changed; the counters carry over. */
void harvest_reload(struct harvest *hv, const struct harvest_cfg *c, unsigned int features);
/* The sockets to poll: [0] NFLOG copies, [1] the queue of held answers; -1: none. */
void harvest_fds(const struct harvest *hv, int ret[2]);
/*
 * Takes every pending answer into ns, but those to res's own queries (res may be NULL);
 * *b says which entries changed (and what is held).
 */
void harvest_read(struct harvest *hv, struct names *ns, const struct resolver *res,
		  struct harvest_batch *b);
/* After the sets of b are committed (ok: without a failure): lets held answers go. */
void harvest_done(struct harvest *hv, const struct harvest_batch *b, bool ok);
/* The "harvest" object of the status file. */
void harvest_write_status(FILE *f, const struct harvest *hv, bool enabled);
/* The counters of the metrics file. */
void harvest_metrics(const struct harvest *hv, struct metrics_harvest *ret);

#endif
