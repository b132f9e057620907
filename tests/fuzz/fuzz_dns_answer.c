/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the harvest reader on arbitrary bytes. The first byte picks the
 * entry: even, the rest is a DNS message; odd, a UDP datagram as the table copied it
 * (harvest_udp_payload() first). The message is read as a query (harvest_parse_query())
 * and as an answer (harvest_parse()); a parsed answer is matched against the query, then
 * against a small store with a wildcard, and its addresses harvested into it. The input
 * sits in a buffer of exactly its length, so any read past it is ASan's to report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/dns/harvest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fqdn_binding bindings[] = {
	{ (char *)"web.test", (char *)"w_v4", (char *)"w_v6" },
	{ (char *)"*.test", (char *)"t_v4", (char *)"t_v6" },
};

/* The message as a query too: if it is one, the answer must match it as its own. */
static void as_query(const struct harvest_answer *a, const uint8_t *msg, size_t len)
{
	struct harvest_flow f = { .client_port = 1, .server_port = 53 };
	struct harvest_queries *qs;
	struct harvest_query q;

	if (harvest_queries_new(&qs) < 0)
		return;
	if (harvest_parse_query(msg, len, &q) == HARVEST_OK)
		harvest_queries_add(qs, &f, &q, 1000);
	(void)harvest_queries_take(qs, &f, a, len, 1000);
	harvest_queries_free(qs);
}

static void match_and_take(const struct harvest_answer *a, const uint8_t *msg, size_t len)
{
	static const struct names_opts o = { .min_ttl_ms = 1000,
					     .max_ttl_ms = 3600000,
					     .grace_ms = 60000,
					     .max_stale_ms = 3600000,
					     .max_addresses = 8,
					     .harvest_max = 4 };
	struct plan p = { .names = bindings, .n_names = 2 };
	size_t idx[HARVEST_MATCH_MAX], n, i;
	struct names_event ev;
	struct names *ns;

	as_query(a, msg, len);
	if (names_new(&p, &o, &ns) < 0)
		return;
	n = harvest_match(ns, a, idx, HARVEST_MATCH_MAX);
	for (i = 0; i < n; i++)
		(void)names_harvest(ns, idx[i], a->addrs, a->n_addrs, a->ttl, 1000000, &ev);
	names_free(ns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct harvest_answer *a;
	const uint8_t *msg;
	uint8_t *copy;
	size_t len;
	bool udp;

	if (size < 1 || size > 70000)
		return 0;
	udp = data[0] & 1;
	copy = malloc(size - 1 ? size - 1 : 1);
	a = malloc(sizeof(*a));
	if (!copy || !a)
		goto out;
	memcpy(copy, data + 1, size - 1);
	msg = copy;
	len = size - 1;
	if (udp && harvest_udp_payload(copy, size - 1, &msg, &len) != HARVEST_OK)
		goto out;
	if (harvest_parse(msg, len, a) == HARVEST_OK)
		match_and_take(a, msg, len);
out:
	free(a);
	free(copy);
	return 0;
}
