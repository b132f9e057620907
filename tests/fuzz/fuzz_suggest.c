/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: suggest_doc() on arbitrary status files. Besides memory errors it
 * traps when what it writes is not the drop-in it claims to be: the text must parse to
 * exactly the allow entries suggest_doc() says it wrote (same names, direction, peer,
 * protocol and ports, in order) and nothing else; every name unique by the config's
 * rules, every peer an address or DNS name. A status field that escaped its comment or
 * its quotes (a line break YAML honours, such as U+2028) would add a key or an entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/report/suggest.h"
#include "policies/model.h"
#include "policies/ynode.h"
#include "tests/fuzz/fuzz.h"

static void check_name(const struct ynode *n, const char *want, const char **seen, size_t i)
{
	size_t k, len;

	if (!n || n->type != YN_SCALAR || strcmp(n->value, want))
		abort();
	len = strlen(n->value);
	if (len == 0 || len > 32 ||
	    strspn(n->value, "abcdefghijklmnopqrstuvwxyz0123456789-") != len)
		abort();
	for (k = 0; k < i; k++)
		if (!strcmp(seen[k], n->value))
			abort();
	seen[i] = n->value;
}

static void check_entry(const struct ynode *e, const struct suggest_entry *want, const char **seen,
			size_t i)
{
	const struct ynode *to = ymap_get(e, "to"), *from = ymap_get(e, "from");
	const struct ynode *peers = to ? to : from, *proto = ymap_get(e, "protocol");
	uint16_t ports[FLOW_MAX_PORTS];
	struct endpoint ep;
	struct diag d = { 0 };
	const char *why;
	size_t n;

	if (e->type != YN_MAP || e->n != 8 || !peers || (to && from) || !from != !want->ingress ||
	    peers->type != YN_SEQ || peers->n != 1 || peers->items[0]->type != YN_SCALAR ||
	    strcmp(peers->items[0]->value, want->peer))
		abort();
	check_name(ymap_get(e, "name"), want->name, seen, i);
	if (endpoint_parse(peers->items[0]->value, &ep, &why) < 0 || ep.port)
		abort();
	endpoint_clear(&ep);
	if (!proto || proto->type != YN_SCALAR || strcmp(proto->value, want->udp ? "udp" : "tcp"))
		abort();
	if (!ymap_get(e, "ports") ||
	    ynode_ports(ymap_get(e, "ports"), ports, FLOW_MAX_PORTS, &n, &d) < 0)
		abort();
	if (n != want->n_ports || memcmp(ports, want->ports, n * sizeof(*ports)))
		abort();
	diag_clear(&d);
}

static void check_output(const char *buf, size_t len, const struct suggest_list *listed)
{
	const struct ynode *allow;
	struct ydoc *out = NULL;
	struct diag d = { 0 };
	const char **seen;
	size_t i;

	if (ydoc_parse("suggested.yaml", buf, len, &out, &d) < 0)
		abort();
	diag_clear(&d);
	if (!out->root != !listed->n)
		abort();
	if (out->root) {
		allow = ymap_get(out->root, "allow");
		if (out->root->type != YN_MAP || out->root->n != 2 || !allow ||
		    allow->type != YN_SEQ || allow->n != listed->n)
			abort();
		seen = calloc(allow->n + 1, sizeof(*seen));
		for (i = 0; seen && i < allow->n; i++)
			check_entry(allow->items[i], &listed->v[i], seen, i);
		free(seen);
	}
	ydoc_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct suggest_list listed = { 0 };
	struct ydoc *doc = NULL;
	struct diag d = { 0 };
	char *buf = NULL;
	size_t len = 0;

	if (ydoc_parse("status.json", (const char *)data, size, &doc, &d) == 0 &&
	    suggest_doc(doc, NULL, 0, &buf, &len, &listed, &d) == 0 && buf)
		check_output(buf, len, &listed);
	free(listed.v);
	free(buf);
	ydoc_free(doc);
	diag_clear(&d);
	return 0;
}
