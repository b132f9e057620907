/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Asynchronous, TTL-aware DNS for the daemon's event loop (c-ares underneath). It speaks
 * to the rest only through struct res_answer; it never touches netlink or the names store.
 * No threads: the loop polls the fds resolver_fds() returns and calls resolver_process().
 */
#ifndef FLOWGUARD_RESOLVER_H
#define FLOWGUARD_RESOLVER_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/ruleset.h"
#include "policies/model.h"

/* c-ares holds a UDP and a TCP socket per server (resolver.servers: RESOLVER_SERVERS_MAX). */
#define RESOLVER_MAX_FDS (2 * RESOLVER_SERVERS_MAX)

/* The outcome of one name: A and AAAA together. */
struct res_answer {
	const char *fqdn;
	/*
	 * 0: an answer with at least one address (a literal needs none);
	 * -ENODATA: no address: NODATA, or c-ares could not use the answer (records for
	 * another name, an A record of the wrong length, a malformed A answer hidden by the
	 * AAAA's NODATA: 1.18.1 reports only the last of the pair); -ENOENT: NXDOMAIN;
	 * -ETIMEDOUT: no server answered; -ECONNREFUSED: refused, unreachable or SERVFAIL
	 * (c-ares 1.18.1 moves on to the next server after each and cannot tell them apart);
	 * -ECANCELED: resolver_free(); -ENOMEM; -EINVAL: not a DNS name; -EBADMSG: a CNAME
	 * that does not continue the chain from the name asked; -EIO: a malformed answer, or
	 * anything else.
	 */
	int status;
	const struct rs_addr *addrs; /* deduplicated, sorted; valid during the callback only */
	size_t n_addrs;
	uint32_t ttl;	    /* seconds: the minimum over every record of the CNAME chain; 0: none */
	const char *detail; /* words for a failure (mostly c-ares'), or NULL; static */
};

/* Called exactly once per resolver_query(), from resolver_process() or resolver_free(). */
typedef void (*resolver_cb)(void *userdata, const struct res_answer *ans);

struct resolver_opts {
	const struct endpoint_list *servers; /* NULL or empty: the host's /etc/resolv.conf */
	unsigned int timeout_ms;	     /* per try; 0: 2000 */
	unsigned int tries;		     /* 0: 3 */
};

struct resolver;

/* 0 or -errno (-ENOMEM; -EINVAL for a bad server or more than 8; -EIO: c-ares setup). */
int resolver_new(const struct resolver_opts *o, resolver_cb cb, void *userdata,
		 struct resolver **ret);
/* Cancels what is in flight (each callback runs with -ECANCELED) and frees. NULL ok. */
void resolver_free(struct resolver *r);

/* A res_answer status in words: "NXDOMAIN", "timeout", ...; "" for 0. */
const char *resolver_error_text(int err);

/* The servers it asks, as an admin writes them ("127.0.0.1:5399, 192.0.2.53"), into buf. */
const char *resolver_servers_text(const struct resolver *r, char *buf, size_t len);

/* Starts resolving fqdn (A and AAAA). 0 or -ENOMEM (and then no callback). */
int resolver_query(struct resolver *r, const char *fqdn);

/* Fills pfd with the sockets to poll and their events; returns how many (<= max). */
size_t resolver_fds(struct resolver *r, struct pollfd *pfd, size_t max);
/*
 * Milliseconds until c-ares needs resolver_process() for a timeout (0 also when answers
 * wait to be handed out); -1: none pending.
 */
int resolver_timeout_ms(struct resolver *r);
/* Handles ready sockets (pfd from the last poll, revents set) and expired timeouts. */
void resolver_process(struct resolver *r, const struct pollfd *pfd, size_t n);

/* Sockets whose ports resolver_owns_port() remembers: the open ones, then the last closed. */
#define RESOLVER_PORTS_MAX (2 * RESOLVER_MAX_FDS)
/* How long a closed socket's port stays its own: its answers' copies are read by then. */
#define RESOLVER_PORT_LINGER_MS 10000

/*
 * Whether local port port (at now, now_ms()) is one of the resolver's own sockets, open or
 * closed less than RESOLVER_PORT_LINGER_MS ago: the flow of its own queries, whose answers
 * it reads itself (DNS answer harvest leaves them to it).
 */
bool resolver_owns_port(const struct resolver *r, uint16_t port, uint64_t now);

#endif
