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
 * Hold (harvest.hold): the table queues the answers instead (`queue ... bypass`). A helper
 * process, forked at start, owns the queue: it passes each answer's UDP datagram to the
 * daemon and lets the answer go once the daemon says its sets are committed, or once
 * harvest.hold-timeout-ms has passed, whichever comes first. The daemon never holds a
 * packet itself, so a daemon that is stopped (SIGSTOP), wedged in a slow commit or busy
 * costs each answer at most the bound. The helper blocks SIGTERM and friends and exits
 * when the daemon's end of their socket closes (the daemon stopped, or was killed),
 * after letting every held answer go; with the queue unbound, `bypass` passes answers
 * untouched. A full queue or socket buffer passes answers too (NFQA_CFG_F_FAIL_OPEN).
 * What the helper counts (held, on time, late, passed unheld) and its latencies live in
 * a shared page the daemon reads for status and metrics.
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

/* Written by the helper, read by the daemon (a torn read costs one sample, no more). */
struct hold_shared {
	uint64_t held;	  /* answers held for the daemon */
	uint64_t on_time; /* let go when the daemon said so, within the bound */
	uint64_t late;	  /* let go by the bound: the daemon did not answer in time */
	uint64_t unheld;  /* let go at once: unreadable, or the daemon's socket was full */
	uint64_t lost;	  /* queue messages lost (the kernel let those answers pass) */
	struct latency lat; /* held -> let go, microseconds */
};

struct holder {
	pid_t pid;		/* 0: not running */
	int fd;			/* our end of the socket pair; -1: none */
	struct hold_shared *sh; /* the shared page; NULL: none */
};

/*
 * Binds NFQUEUE queue and forks the helper that holds its answers at most bound_us.
 * 0, -EBUSY (another listener has the queue), or another -errno (nothing started).
 */
int hold_start(uint16_t queue, uint64_t bound_us, struct holder *ret);
/* Closes our end (the helper lets every held answer go and exits) and reaps it. */
void hold_stop(struct holder *h);
/*
 * One answer from the helper: its id and its UDP datagram (at most len bytes into buf).
 * Returns the datagram's length, -EAGAIN when nothing is pending, or another -errno
 * (-EPIPE: the helper is gone).
 */
ssize_t hold_recv(struct holder *h, uint32_t *ret_id, uint8_t *buf, size_t len);
/* Tells the helper that answer id may go. 0 or -errno. */
int hold_release(struct holder *h, uint32_t id);

enum harvest_mode {
	HARVEST_OFF,  /* harvest.enabled: false, or no listener */
	HARVEST_COPY, /* NFLOG copies */
	HARVEST_HOLD, /* NFQUEUE through the helper */
};

struct harvest_stats {
	uint64_t seen;	    /* answers read */
	uint64_t harvested; /* answers whose chain named an allowed name */
	uint64_t ignored;   /* well-formed answers for no allowed name, or without addresses */
	uint64_t rejected[HARVEST_REJ_MAX];
	uint64_t lost;	    /* copies lost before they were read (socket overrun) */
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
	uint8_t *buf;	     /* one answer from the helper */
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
