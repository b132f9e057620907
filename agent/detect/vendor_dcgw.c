/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Data Center Gateway: its service unit (the role) and its destination allow list
 * (vCenter and Active Directory endpoints, the gateway's proxy). Paths and the file's
 * format come from swp-flows.md section (d).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/detect/vendor.h"
#include "policies/ynode.h"

#define DCGW_CONF "/var/opt/c1ws-dcgateway/conf"

static const char *const dcgw_units[] = {
	"/etc/systemd/system/c1ws-dcgw.service",
	"/lib/systemd/system/c1ws-dcgw.service",
	"/usr/lib/systemd/system/c1ws-dcgw.service",
	NULL,
};
/* The vendor's page spells the file both ways (swp-flows.md (d)); the right one wins. */
static const char *const dcgw_lists[] = {
	DCGW_CONF "/destination_allow_list.yaml",
	DCGW_CONF "/destiantion_allow_list.yaml",
	NULL,
};

/*
 * The YAML loader and its typed getters report errors; in a host file they are warnings
 * (detection goes on), so the messages move to d as warnings.
 */
static void warn_instead(const struct diag *from, struct diag *to)
{
	static const char *const levels[] = { ": error: ", ": warning: " };
	const char *text, *sep;
	char *where;
	size_t i, k;

	for (i = 0; i < from->n; i++) {
		text = from->msgs[i].text;
		sep = NULL;
		for (k = 0; k < 2 && !sep; k++)
			sep = strstr(text, levels[k]);
		where = sep ? strndup(text, (size_t)(sep - text)) : NULL;
		if (where) /* "file:line:col" as the location, the message after the level */
			diag_add(to, DIAG_WARNING, &(struct loc){ where, 0, 0 }, "%s",
				 sep + strlen(levels[k - 1]));
		else
			diag_add(to, DIAG_WARNING, NULL, "%s", text);
		free(where);
	}
	to->oom |= from->oom;
}

/* "", or a plain ~ or null: YAML's ways to write "none". */
static bool yaml_null(const struct ynode *n)
{
	if (n->type != YN_SCALAR)
		return false;
	return !n->value[0] || (n->plain && (!strcmp(n->value, "~") || !strcmp(n->value, "null")));
}

/* 443 is vCenter, 389 and 636 Active Directory (the vendor's table, rows 28-30). */
static int dcgw_fact(uint64_t port, enum host_fact *ret)
{
	if (port == 443)
		*ret = FACT_VCENTER;
	else if (port == 389 || port == 636)
		*ret = FACT_AD;
	else
		return -EINVAL;
	return 0;
}

/* One `destinations` item: HostName and Port, and maybe a Proxy of its own. */
static int dcgw_destination(struct detection *det, const struct ynode *item, struct diag *yd)
{
	const struct ynode *host, *port, *proxy;
	enum host_fact fact;
	uint64_t p;

	if (ynode_expect(item, YN_MAP, "a destination", yd) < 0)
		return 0;
	host = ymap_get(item, "HostName");
	port = ymap_get(item, "Port");
	proxy = ymap_get(item, "Proxy");
	if (!host || !port) {
		diag_err(yd, &item->loc, "a destination needs HostName and Port, ignoring it");
		return 0;
	}
	if (ynode_expect(host, YN_SCALAR, "HostName", yd) < 0 ||
	    ynode_uint(port, "Port", 1, 65535, &p, yd) < 0)
		return 0;
	if (dcgw_fact(p, &fact) < 0) {
		diag_err(yd, &port->loc,
			 "port %u of '%s' is neither vCenter (443) nor Active "
			 "Directory (389, 636): not allowed; add an allow: entry",
			 (unsigned)p, host->value);
		return 0;
	}
	if (proxy && !yaml_null(proxy)) {
		diag_err(yd, &proxy->loc,
			 "'%s' is reached through its own proxy: not allowed "
			 "directly; add an allow: entry for that proxy",
			 host->value);
		return 0;
	}
	return detect_endpoint(det, fact, host->value, item->loc.file, host->loc.line, yd);
}

/* gateway_proxy: a URL or host:port, or a mapping with HostName and Port. */
static int dcgw_proxy(struct detection *det, const struct ynode *n, struct diag *yd)
{
	const struct ynode *host, *port;
	char hostport[300];
	uint64_t p;

	if (yaml_null(n))
		return 0;
	if (n->type == YN_MAP) {
		host = ymap_get(n, "HostName");
		port = ymap_get(n, "Port");
		if (!host || !port || ynode_expect(host, YN_SCALAR, "HostName", yd) < 0 ||
		    ynode_uint(port, "Port", 1, 65535, &p, yd) < 0) {
			diag_err(yd, &n->loc, "gateway_proxy needs HostName and Port, ignoring it");
			return 0;
		}
		snprintf(hostport, sizeof(hostport), strchr(host->value, ':') ? "[%s]:%u" : "%s:%u",
			 host->value, (unsigned)p);
	} else if (n->type != YN_SCALAR ||
		   detect_proxy_hostport(n->value, hostport, sizeof(hostport)) < 0) {
		/* The value is not echoed: a proxy URL may carry a password. */
		diag_err(yd, &n->loc, "gateway_proxy is not host:port or a proxy URL, ignoring it");
		return 0;
	}
	return detect_endpoint(det, FACT_PROXY, hostport, n->loc.file, n->loc.line, yd);
}

static int dcgw_doc(struct detection *det, const struct ydoc *doc, struct diag *yd)
{
	const struct ynode *root = doc->root, *dests, *proxy;
	struct loc loc = { doc->file, 0, 0 };
	size_t i;
	int r = 0;

	if (!root || ynode_expect(root, YN_MAP, "the allow list", yd) < 0) {
		diag_err(yd, &loc, "no destinations taken from it");
		return 0;
	}
	dests = ymap_get(root, "destinations");
	proxy = ymap_get(root, "gateway_proxy");
	if (!dests || yaml_null(dests))
		r = detect_evidence(det, "vcenter", NULL, doc->file,
				    "the allow list has no destinations");
	else if (ynode_expect(dests, YN_SEQ, "destinations", yd) == 0)
		for (i = 0; r == 0 && i < dests->n; i++)
			r = dcgw_destination(det, dests->items[i], yd);
	if (r == 0 && proxy)
		r = dcgw_proxy(det, proxy, yd);
	return r;
}

int detect_parse_dcgw_allow_list(struct detection *det, const char *file, const char *buf,
				 size_t len, struct diag *d)
{
	struct loc loc = { file, 0, 0 };
	struct diag yd = { 0 };
	struct ydoc *doc = NULL;
	int r;

	r = ydoc_parse(file, buf, len, &doc, &yd);
	if (r == 0)
		r = dcgw_doc(det, doc, &yd);
	else if (r != -ENOMEM)
		diag_err(&yd, &loc, "not read: no destinations taken from it");
	warn_instead(&yd, d);
	diag_clear(&yd);
	ydoc_free(doc);
	return r == -ENOMEM ? r : 0;
}

static const char *first_existing(const char *root, const char *const paths[])
{
	for (; *paths; paths++)
		if (detect_exists(root, *paths))
			return *paths;
	return NULL;
}

static int dcgw_allow_list(struct detection *det, const char *root, bool role, struct diag *d)
{
	struct loc loc = { NULL, 0, 0 };
	char *buf;
	size_t len, i;
	int r = -ENOENT;

	for (i = 0; dcgw_lists[i] && r == -ENOENT; i++)
		r = detect_read_file(root, dcgw_lists[i], &buf, &len, d);
	if (r == 0) {
		r = detect_parse_dcgw_allow_list(det, dcgw_lists[i - 1], buf, len, d);
		free(buf);
		return r;
	}
	if (r == -ENOENT)
		return !role ? 0 :
			       detect_evidence(det, "vcenter", NULL, dcgw_lists[0],
					       "no allow list: no vCenter or Active Directory "
					       "destinations");
	loc.file = dcgw_lists[i - 1];
	if (r != -EFBIG && r != -ENOMEM) /* detect_read_file() warned about the size itself */
		diag_warn(d, &loc, "cannot read: %s, ignoring", strerror(-r));
	return r == -ENOMEM ? r : 0;
}

int detect_dcgw(struct detection *det, const char *root, struct diag *d)
{
	const char *unit;
	int r;

	unit = first_existing(root, dcgw_units);
	if (unit)
		r = detect_role(det, ROLE_DC_GATEWAY, "c1ws-dcgw service", unit);
	else
		r = detect_evidence(det, "role dc-gateway", NULL, "c1ws-dcgw.service",
				    "no Data Center Gateway service unit");
	return r < 0 ? r : dcgw_allow_list(det, root, unit != NULL, d);
}
