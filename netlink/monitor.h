/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reading end of nf_tables change events (NFNLGRP_NFTABLES), what `nft monitor` reads:
 * the kernel sends one message per object a transaction touched, each carrying the
 * committing socket's portid in nlmsg_pid (0: the kernel itself, e.g. an element whose
 * timeout ran out), then NFT_MSG_NEWGEN with the committer's pid and process name. Each
 * message is decoded into a struct monitor_event; what it means is the caller's business.
 * Pure parsing (monitor_parse) is separate from the socket so tests feed it messages.
 */
#ifndef FLOWGUARD_MONITOR_H
#define FLOWGUARD_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/netlink.h>

/* One decoded message. Strings point into the message: valid during the callback only. */
struct monitor_event {
	bool lost;	   /* the kernel dropped events (socket overrun): what changed is
			       unknown; no other field is set */
	uint16_t type;	   /* NFT_MSG_* */
	uint8_t family;	   /* the object's NFPROTO_* (nfgen_family) */
	uint32_t portid;   /* the committing socket (nlmsg_pid); 0: the kernel */
	const char *table; /* object events: the table it is in; NULL if absent and for NEWGEN */
	uint32_t pid;	   /* NEWGEN: the committer's pid (NFTA_GEN_PROC_PID); 0 if absent */
	const char *comm;  /* NEWGEN: its name (NFTA_GEN_PROC_NAME); NULL if absent */
};

struct monitor;

/* Opens a non-blocking socket subscribed to NFNLGRP_NFTABLES. 0 or -errno. */
int monitor_open(struct monitor **ret);
/* NULL is fine. */
void monitor_close(struct monitor *m);
int monitor_fd(const struct monitor *m);

/*
 * Reads everything pending without blocking and calls cb once per nf_tables message, in
 * the kernel's order; a socket overrun (ENOBUFS) is one event with lost set, where it
 * happened. Returns the number of events delivered, or -errno. A malformed datagram spoils
 * only itself.
 */
int monitor_read(struct monitor *m, void (*cb)(void *data, const struct monitor_event *ev),
		 void *data);

/*
 * Decodes one message whose nlmsg_len the caller has checked against the buffer
 * (mnl_nlmsg_ok). 0, or -EINVAL: not an nf_tables message, or shorter than its nfgenmsg.
 * Attributes that fail validation are left out (their fields stay NULL / 0).
 */
int monitor_parse(const struct nlmsghdr *nlh, struct monitor_event *ret);

#endif
