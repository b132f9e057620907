/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DNS answer harvest, the pure part: what a DNS response the host received says, read
 * strictly, and which names of the store it feeds. No I/O: the daemon hands in the UDP
 * payload the table copied (NFLOG) or held (NFQUEUE) and takes the addresses to the store.
 *
 * Rules (the resolver's, agent/dns/resolver.c, applied to answers it did not ask for):
 * - An answer counts only as the answer to a query this host sent (the table copies
 *   queries on their way out too): same addresses and ports, same id, same question
 *   (name and type), at most as large as the query said it takes over UDP (512 bytes,
 *   or its EDNS size), and only once. Truncated answers (TC) are left alone: the asker
 *   retries over TCP, which is not seen.
 * - A response (QR), opcode QUERY, exactly one question of class IN. Anything else, and
 *   anything that does not parse to the last byte of the answer section, is rejected.
 * - Only the CNAME chain that starts at the question counts: each CNAME's owner is the
 *   question or the previous CNAME's target, and the addresses (A, AAAA) belong to its
 *   last name. A CNAME or an address record owned by any other name rejects the answer
 *   (a resolver never sends one; a forger might). Other record types are skipped.
 * - The TTL is the minimum over the records used (RFC 2181 8: a TTL with the top bit set
 *   is 0).
 * - Names compare in lower case; a label with a byte outside letters, digits, '-' and '_'
 *   is rejected, so that no text form can make two different names look alike.
 * - Every name of the chain is matched against the store: exactly, and against the
 *   wildcards "*.parent" of each parent domain (a wildcard matches one or more labels).
 */
#ifndef FLOWGUARD_HARVEST_H
#define FLOWGUARD_HARVEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/dns/names.h"
#include "netlink/ruleset.h"

/* A name's text form with its NUL (RFC 1035: 255 bytes on the wire, 253 in text). */
#define HARVEST_NAME_MAX 254
/* Names in one CNAME chain, the question's included; longer chains are rejected. */
#define HARVEST_CHAIN_MAX 12
/* Address records taken from one answer; more are counted in n_dropped. */
#define HARVEST_ADDRS_MAX 64
/* Resource records read from one answer section; a 4096-byte answer holds at most 256. */
#define HARVEST_RRS_MAX 256

/* Why an answer was not used. */
enum harvest_reject {
	HARVEST_OK,
	HARVEST_REJ_MALFORMED,	/* not a DNS message, or a name flowguard does not read */
	HARVEST_REJ_NOT_ANSWER, /* a query, another opcode, not one IN question */
	HARVEST_REJ_CHAIN,	/* a CNAME or address record outside the question's chain */
	HARVEST_REJ_CUT,	/* the copy ends before the UDP datagram does */
	HARVEST_REJ_NOT_UDP,	/* not a UDP datagram from port 53 (or a later fragment) */
	HARVEST_REJ_NO_QUERY,	/* no query this host sent matches it (id, question, ports) */
	HARVEST_REJ_OVERSIZE,	/* larger than its query takes over UDP */
	HARVEST_REJ_TRUNCATED,	/* TC set: the asker retries over TCP */
	HARVEST_REJ_MAX
};

/* The counters' names, for status and metrics ("malformed", ...); "" for HARVEST_OK. */
extern const char *const harvest_reject_names[HARVEST_REJ_MAX];

struct harvest_answer {
	uint16_t id;
	uint8_t rcode;
	bool truncated; /* TC */
	uint16_t qtype;
	/* chain[0] is the question, then each CNAME target; lower case, no trailing dot. */
	char chain[HARVEST_CHAIN_MAX][HARVEST_NAME_MAX];
	size_t n_chain;
	struct rs_addr addrs[HARVEST_ADDRS_MAX]; /* of chain[n_chain - 1], sorted, unique */
	size_t n_addrs;
	size_t n_dropped; /* address records past HARVEST_ADDRS_MAX */
	uint32_t ttl;	  /* seconds: the minimum over the chain's CNAMEs and the addresses */
};

/* Parses one DNS message (the UDP payload). HARVEST_OK, or why it was rejected. */
enum harvest_reject harvest_parse(const uint8_t *msg, size_t len, struct harvest_answer *ret);

/*
 * The DNS message in an IP packet as the table copied it (the first snaplen bytes):
 * checks the UDP header and that the copy holds the whole datagram. l4 points at the UDP
 * header, l4_len bytes of it copied. HARVEST_OK with the message in *ret_msg and *ret_len, or why not.
 */
enum harvest_reject harvest_udp_payload(const uint8_t *l4, size_t l4_len, const uint8_t **ret_msg,
					size_t *ret_len);

/* A query this host sent, as the table copied it on its way out. */
struct harvest_query {
	uint16_t id;
	uint16_t qtype;
	uint16_t udp_max; /* the largest answer it takes over UDP: 512, or its EDNS size */
	char qname[HARVEST_NAME_MAX];
};

/* Parses one DNS query (QR clear, opcode QUERY, one IN question). HARVEST_OK or why not. */
enum harvest_reject harvest_parse_query(const uint8_t *msg, size_t len, struct harvest_query *ret);

/* Where a query went, seen from the asker: an answer travels it backwards. */
struct harvest_flow {
	struct rs_addr client, server;
	uint16_t client_port, server_port;
};

/* Queries awaiting their answer: the oldest goes when full; none waits longer than this. */
#define HARVEST_QUERIES_MAX 512
#define HARVEST_QUERY_WAIT_MS 10000

struct harvest_queries;

int harvest_queries_new(struct harvest_queries **ret);
void harvest_queries_free(struct harvest_queries *q);
/* Remembers a query sent at now (a repeat of one already waiting replaces it). */
void harvest_queries_add(struct harvest_queries *q, const struct harvest_flow *f,
			 const struct harvest_query *hq, uint64_t now_ms);
/*
 * The query answer a (len bytes) answers on flow f, taken out of the waiting ones:
 * HARVEST_OK; HARVEST_REJ_NO_QUERY; HARVEST_REJ_OVERSIZE (the query is taken all the same:
 * its asker drops the answer too); HARVEST_REJ_TRUNCATED (the query keeps waiting: a
 * retry over TCP may not be seen, but a resent UDP query replaces it).
 */
enum harvest_reject harvest_queries_take(struct harvest_queries *q, const struct harvest_flow *f,
					 const struct harvest_answer *a, size_t len,
					 uint64_t now_ms);
/* Queries waiting now. */
size_t harvest_queries_waiting(const struct harvest_queries *q, uint64_t now_ms);

/* The largest number of store entries one answer can feed. */
#define HARVEST_MATCH_MAX 32

/*
 * The store entries (names_get() indices) that the answer's chain names: each name
 * exactly, and each wildcard above it. Writes up to max indices, each once; returns how
 * many.
 */
size_t harvest_match(const struct names *ns, const struct harvest_answer *a, size_t *ret,
		     size_t max);

#endif
