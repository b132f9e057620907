/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Blocked (or, in audit mode, would-be-blocked) flows, as the final rules' NFLOG group
 * reports them: aggregated per (chain, audit or not, peer, protocol, port) in a table of
 * fixed size (the peer is the remote end: the destination on egress, the source on ingress,
 * where the port is the local destination port; ICMP aggregates by type instead of port), each with the first packet's 5-tuple, counts, times, and an explanation worked
 * out once when the entry is created. Pure: no I/O; time comes in as arguments.
 *
 * Memory is bounded by max_tracked entries: when full, the entry seen least recently is
 * evicted (and counted), so a flood to one destination cannot hide a new one.
 *
 * Logging: a new entry is reported at once; repeats are reported as one summary line per
 * entry at most every BLOCKED_REPORT_MS ("... 523 more packets in the last 60 s").
 */
#ifndef FLOWGUARD_BLOCKED_H
#define FLOWGUARD_BLOCKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/dns/dns.h"
#include "netlink/nflog.h"
#include "policies/compile.h"

#define BLOCKED_REPORT_MS 60000
#define BLOCKED_EXPLAIN_MAX 512

/* What the explanation found, in parts (status JSON) and in words (the log line). */
struct blocked_why {
	/* The destination's reverse match: a name it resolves (or resolved) to. */
	char name[256];	   /* "" if none */
	bool name_current; /* still in the name's answer (or grace): then the port is wrong */
	uint64_t name_until_wall_ms; /* when it stopped being allowed; 0 if current */
	/* Flows that allow this protocol/port to other destinations (comma-joined comments). */
	char port_flows[256];
	/* The closest flow: allows this destination on another port, or this port elsewhere. */
	char closest[256];
	char text[BLOCKED_EXPLAIN_MAX]; /* everything above in one sentence for the log */
};

struct blocked_entry {
	bool egress; /* egress chain (else ingress) */
	bool audit;  /* "would block": the rule logged with the audit prefix */
	struct rs_addr saddr, daddr;
	uint8_t l4proto;
	uint16_t sport, dport;
	int icmp_type;
	bool has_uid;
	uint32_t uid;
	uint64_t packets; /* every packet the kernel passed up for this key */
	uint64_t bytes;
	uint64_t reported;    /* packets already covered by a log line */
	uint64_t reported_ms; /* CLOCK_BOOTTIME of that line; 0: none yet */
	uint64_t first_wall_ms, last_wall_ms;
	uint64_t last_ms;	/* CLOCK_BOOTTIME of the last packet */
	uint64_t report_due_ms; /* next summary line; UINT64_MAX: nothing new to say */
	struct blocked_why why;
};

/* Totals since start, for status and metrics. */
struct blocked_stats {
	uint64_t packets[2][2]; /* [egress][audit] */
	uint64_t entries_created;
	uint64_t evicted;
	uint64_t lost;	  /* NFLOG messages the kernel or the parser dropped */
	uint64_t foreign; /* packets with a prefix that is not ours (ignored) */
};

/* What explanations are computed against; all borrowed, may change between calls. */
struct blocked_ctx {
	const struct plan *plan;   /* the desired ruleset (static sets hold their elements) */
	const struct names *names; /* DNS-fed sets: current, grace and past addresses */
	uint64_t now_ms, wall_ms;  /* CLOCK_BOOTTIME and wall milliseconds */
};

struct blocked;

/* 0, -ENOMEM, -EINVAL (max_tracked 0 or above 2^24). */
int blocked_new(size_t max_tracked, struct blocked **ret);
void blocked_free(struct blocked *b);

/*
 * Takes one logged packet. Unknown prefixes count as foreign and are ignored (returns 0,
 * *ret NULL). Otherwise *ret is the entry (valid until the next call) and *is_new says
 * whether it was just created (then the caller logs it at once and marks it reported;
 * until marked, it is due at once). Returns 0: every slot is allocated by blocked_new.
 */
int blocked_add(struct blocked *b, const struct nflog_pkt *p, const struct blocked_ctx *ctx,
		struct blocked_entry **ret, bool *is_new);
/* Summaries of one flow's repeats at most every ms (default BLOCKED_REPORT_MS). */
void blocked_set_report_ms(struct blocked *b, uint64_t ms);
/* Marks everything seen so far on e as reported; the next summary waits for new packets. */
void blocked_mark_reported(struct blocked_entry *e, uint64_t now_ms);
/* The earliest summary due; UINT64_MAX if nothing is pending (no wake-ups when idle). */
uint64_t blocked_next_deadline(const struct blocked *b);
/* Calls cb for every entry whose summary is due at now_ms, then marks it reported. */
void blocked_flush(struct blocked *b, uint64_t now_ms,
		   void (*cb)(void *data, const struct blocked_entry *e, uint64_t new_packets),
		   void *data);
/* Recomputes every entry's explanation (after a reload or a DNS change). */
void blocked_reexplain(struct blocked *b, const struct blocked_ctx *ctx);

/* One line for the journal: "blocked tcp 10.0.0.1:40000 -> 192.0.2.7:443 (egress, uid 0): why". */
void blocked_format(const struct blocked_entry *e, char *buf, size_t len);

/* Iteration for status/metrics/suggest, most recent first. */
size_t blocked_count(const struct blocked *b);
const struct blocked_entry *blocked_get(const struct blocked *b, size_t i);
const struct blocked_stats *blocked_get_stats(const struct blocked *b);
void blocked_count_lost(struct blocked *b, uint64_t lost);

/* The explanation on its own (used by blocked_add; exposed for tests). */
void blocked_explain(const struct blocked_ctx *ctx, const struct blocked_entry *e,
		     struct blocked_why *ret);

#endif
