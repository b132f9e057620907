/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: suggest_doc() on arbitrary status files. Besides memory errors it
 * traps when what it writes is not the drop-in it claims to be: the text must parse, hold
 * nothing but 'allow', and every entry must have a unique name by the config's rules, a
 * peer that parses as an address or DNS name, protocol tcp or udp and 1-16 ports. A status
 * field that escaped its comment or its quotes would break one of these.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/report/suggest.h"
#include "policies/model.h"
#include "policies/ynode.h"
#include "tests/fuzz/fuzz.h"

static void check_name(const struct ynode *n, const char **seen, size_t i)
{
	size_t k, len;

	if (!n || n->type != YN_SCALAR)
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

static void check_entry(const struct ynode *e, const char **seen, size_t i)
{
	const struct ynode *to = ymap_get(e, "to"), *from = ymap_get(e, "from");
	const struct ynode *peers = to ? to : from, *proto = ymap_get(e, "protocol");
	uint16_t ports[FLOW_MAX_PORTS];
	struct endpoint ep;
	struct diag d = { 0 };
	const char *why;
	size_t n;

	if (e->type != YN_MAP || e->n != 8 || !peers || (to && from) || peers->type != YN_SEQ ||
	    peers->n != 1 || peers->items[0]->type != YN_SCALAR)
		abort();
	check_name(ymap_get(e, "name"), seen, i);
	if (endpoint_parse(peers->items[0]->value, &ep, &why) < 0 || ep.port)
		abort();
	if (!proto || proto->type != YN_SCALAR ||
	    (strcmp(proto->value, "tcp") && strcmp(proto->value, "udp")))
		abort();
	if (!ymap_get(e, "ports") ||
	    ynode_ports(ymap_get(e, "ports"), ports, FLOW_MAX_PORTS, &n, &d) < 0)
		abort();
	diag_clear(&d);
}

static void check_output(const char *buf, size_t len)
{
	const struct ynode *allow;
	struct ydoc *out = NULL;
	struct diag d = { 0 };
	const char **seen;
	size_t i;

	if (ydoc_parse("suggested.yaml", buf, len, &out, &d) < 0)
		abort();
	diag_clear(&d);
	if (out->root) {
		allow = ymap_get(out->root, "allow");
		if (out->root->type != YN_MAP || out->root->n != 2 || !allow ||
		    allow->type != YN_SEQ)
			abort();
		seen = calloc(allow->n + 1, sizeof(*seen));
		for (i = 0; seen && i < allow->n; i++)
			check_entry(allow->items[i], seen, i);
		free(seen);
	}
	ydoc_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ydoc *doc = NULL;
	struct diag d = { 0 };
	char *buf = NULL;
	size_t len = 0;

	if (ydoc_parse("status.json", (const char *)data, size, &doc, &d) == 0 &&
	    suggest_doc(doc, NULL, 0, &buf, &len, &d) == 0 && buf)
		check_output(buf, len);
	free(buf);
	ydoc_free(doc);
	diag_clear(&d);
	return 0;
}
