/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loads /etc/flowguard/flowguard.yaml and its conf.d/ drop-ins into struct config.
 * Every error of every file is reported; nothing is half-loaded: the caller gets a
 * config only when all files are valid.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policies/model.h"
#include "policies/prefault.h"

/* Caps one list's share of the table; a host with more belongs in a CIDR. */
#define CONFIG_MAX_LIST 1024
/*
 * An allow entry's addresses, prefixes and names: a sanity bound, no longer a cost guard
 * (compile is n log n). 65,536 addresses fit in one file (YAML_MAX_BYTES) as a flow list.
 */
#define CONFIG_MAX_ALLOW_PEERS 65536
#define CONFIG_MAX_ALLOW 256
#define CONFIG_MAX_FILES 64
#define ALLOW_NAME_MAX 32

static const char *const top_keys[] = {
	"mode",
	"roles",
	"region",
	"proxy",
	"relays",
	"smart-protection-server",
	"service-gateway",
	"syslog",
	"communication",
	"ingress",
	"loopback",
	"features",
	"dns-servers",
	"ntp-servers",
	"dc-gateway",
	"relay-clients",
	"resolver",
	"allow",
	"blocked",
	"harvest",
	"metrics",
	"dhcp",
	"download-mirror",
	NULL,
};
static const char *const mode_names[] = { "enforce", "audit", NULL };
static const char *const ingress_names[] = { "off", "audit", "enforce", NULL };
static const char *const comm_names[] = { "agent-initiated", "manager-initiated", "bidirectional",
					  NULL };
static const char *const loopback_names[] = { "allow", "restrict", NULL };
static const char *const transport_names[] = { "udp", "tls", NULL };
/* dhcp: index -> DHCP_* mask (both = 3, v4 = 1, v6 = 2, off = 0) */
static const char *const dhcp_names[] = { "off", "v4", "v6", "both", NULL };

/*
 * What each host fact may hold: the config key's rule, and detection's (a detected fact
 * gets the check of the key it stands for, so a vendor file cannot widen it).
 */
const unsigned int fact_kinds[FACT_MAX] = {
	[FACT_DNS_SERVERS] = EP_ADDR,
	[FACT_NTP_SERVERS] = EP_ADDR | EP_NAME,
	[FACT_RELAYS] = EP_ADDR | EP_PREFIX | EP_NAME,
	[FACT_PROXY] = EP_ADDR | EP_NAME | EP_PORT | EP_NEED_PORT,
	[FACT_SPS] = EP_ADDR | EP_NAME,
	[FACT_SERVICE_GATEWAY] = EP_ADDR | EP_NAME,
	[FACT_SYSLOG] = EP_ADDR | EP_NAME | EP_PORT | EP_NEED_PORT,
	[FACT_VCENTER] = EP_ADDR | EP_NAME,
	[FACT_AD] = EP_ADDR | EP_NAME,
	[FACT_RELAY_CLIENTS] = EP_ADDR | EP_PREFIX,
	[FACT_SYSLOG_AGENTS] = EP_ADDR | EP_PREFIX,
	[FACT_DOWNLOAD_MIRROR] = EP_ADDR | EP_NAME | EP_PORT,
};

const char *endpoint_kind_error(const struct endpoint *e, unsigned int allowed)
{
	if (e->is_addr && e->addr.prefix != (e->addr.family == 2 ? 32 : 128)) {
		if (!(allowed & EP_PREFIX))
			return "must be a single address, not a prefix";
	} else if (e->is_addr) {
		if (!(allowed & EP_ADDR))
			return "must be a DNS name";
	} else if (e->is_wildcard) {
		if (!(allowed & EP_WILDCARD))
			return "cannot be a wildcard (only allow entries take one)";
	} else if (!(allowed & EP_NAME)) {
		return "must be an IP address, not a DNS name";
	}
	if (e->port && !(allowed & EP_PORT))
		return "takes no port";
	if (!e->port && (allowed & EP_NEED_PORT))
		return "needs a port (host:port)";
	return NULL;
}

static int one_endpoint(const struct ynode *n, unsigned int allowed, const char *what,
			struct endpoint *e, struct diag *d)
{
	const char *why = NULL;
	int r;

	if (ynode_expect(n, YN_SCALAR, what, d) < 0)
		return -EINVAL;
	r = endpoint_parse_borrow(n->value, e, &why); /* the tree is the config's */
	e->loc = n->loc;
	if (r == -ERANGE)
		diag_err(d, &n->loc, "%s '%s': %s; write the network address (e.g. '%s')", what,
			 n->value, why, e->text);
	else if (r < 0)
		diag_err(d, &n->loc, "%s '%s': %s", what, n->value, why);
	else if ((why = endpoint_kind_error(e, allowed)))
		diag_err(d, &n->loc, "%s '%s' %s", what, n->value, why);
	if (r == 0 && why)
		r = -EINVAL;
	if (r < 0)
		endpoint_clear(e); /* not kept: the list does not count it */
	return r;
}

/* Appends the endpoints in n (a scalar or a list, or "auto" if allowed) to l; at most max. */
static int endpoint_list_max(const struct ynode *n, unsigned int allowed, bool may_auto,
			     const char *what, size_t max, struct endpoint_list *l, struct diag *d)
{
	const struct ynode *const *items = &n;
	size_t i, count = 1;
	struct endpoint *v;

	l->set = true;
	if (may_auto && n->type == YN_SCALAR && !strcmp(n->value, "auto")) {
		l->is_auto = true;
		return 0;
	}
	if (n->type == YN_SEQ) {
		items = (const struct ynode *const *)n->items;
		count = n->n;
	} else if (ynode_expect(n, YN_SCALAR, what, d) < 0) {
		return -EINVAL;
	}
	if (count == 0) {
		diag_err(d, &n->loc, "%s: empty list%s", what,
			 may_auto ? " (use 'auto' or "
				    "remove the key)" :
				    " (remove the key instead)");
		return -EINVAL;
	}
	if (l->n + count > max) {
		diag_err(d, &n->loc, "%s: %zu entries, more than the limit of %zu", what,
			 l->n + count, max);
		return -E2BIG;
	}
	v = realloc(l->v, (l->n + count) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	prefault_write(v + l->n, count * sizeof(*v));
	l->v = v;
	l->is_auto = false;
	for (i = 0; i < count; i++)
		if (one_endpoint(items[i], allowed, what, &l->v[l->n], d) == 0)
			l->n++;
	return 0;
}

static int endpoint_list(const struct ynode *n, unsigned int allowed, bool may_auto,
			 const char *what, struct endpoint_list *l, struct diag *d)
{
	return endpoint_list_max(n, allowed, may_auto, what, CONFIG_MAX_LIST, l, d);
}

static int load_roles(struct config *cfg, const struct ynode *n, struct diag *d)
{
	if (n->type == YN_SCALAR && !strcmp(n->value, "auto")) {
		cfg->roles_auto = true;
		cfg->roles = 0;
		return 0;
	}
	if (ynode_expect(n, YN_SEQ, "roles ('auto' or a list)", d) < 0)
		return -EINVAL;
	if (n->n == 0) {
		diag_err(d, &n->loc, "roles: empty list (use 'auto' or name the roles)");
		return -EINVAL;
	}
	cfg->roles_auto = false;
	return ynode_enum_mask(n, "role", role_names, false, &cfg->roles, d);
}

static int load_features(struct config *cfg, const struct ynode *n, struct diag *d)
{
	size_t i;

	if (ynode_expect(n, YN_SEQ, "features", d) < 0)
		return -EINVAL;
	for (i = 0; i < n->n; i++) {
		size_t k;

		if (ynode_expect(n->items[i], YN_SCALAR, "a feature", d) < 0)
			continue;
		for (k = 0; k < cfg->n_features; k++)
			if (!strcmp(cfg->features[k], n->items[i]->value))
				break;
		if (k < cfg->n_features) {
			diag_err(d, &n->items[i]->loc, "feature '%s' listed twice",
				 n->items[i]->value);
			continue;
		}
		if (cfg->n_features == CAT_MAX_FEATURES) {
			diag_err(d, &n->items[i]->loc, "more than %d features", CAT_MAX_FEATURES);
			return -E2BIG;
		}
		cfg->feature_locs[cfg->n_features] = n->items[i]->loc;
		cfg->features[cfg->n_features++] = n->items[i]->value;
	}
	return 0;
}

static int load_dc_gateway(struct config *cfg, const struct ynode *n, struct diag *d)
{
	static const char *const keys[] = { "vcenter", "active-directory", NULL };
	const struct ynode *v;

	if (ynode_expect(n, YN_MAP, "dc-gateway", d) < 0)
		return -EINVAL;
	ymap_check_keys(n, keys, "dc-gateway", d);
	v = ymap_get(n, "vcenter");
	if (v)
		endpoint_list(v, fact_kinds[FACT_VCENTER], false, "dc-gateway.vcenter",
			      &cfg->facts[FACT_VCENTER], d);
	v = ymap_get(n, "active-directory");
	if (v)
		endpoint_list(v, fact_kinds[FACT_AD], false, "dc-gateway.active-directory",
			      &cfg->facts[FACT_AD], d);
	return 0;
}

static void load_resolver(struct config *cfg, const struct ynode *n, struct diag *d)
{
	static const char *const keys[] = { "servers",	 "min-ttl",	  "max-ttl", "grace",
					    "max-stale", "max-addresses", NULL };
	struct resolver_cfg *rc = &cfg->resolver;
	const struct ynode *v;

	if (ynode_expect(n, YN_MAP, "resolver", d) < 0)
		return;
	ymap_check_keys(n, keys, "resolver", d);
	if ((v = ymap_get(n, "servers")))
		endpoint_list(v, EP_ADDR | EP_PORT, false, "resolver.servers", &rc->servers, d);
	if ((v = ymap_get(n, "min-ttl")))
		ynode_duration(v, "resolver.min-ttl", 0, 86400, &rc->min_ttl, d);
	if ((v = ymap_get(n, "max-ttl")))
		ynode_duration(v, "resolver.max-ttl", 1, 7 * 86400, &rc->max_ttl, d);
	if ((v = ymap_get(n, "grace")))
		ynode_duration(v, "resolver.grace", 0, 7 * 86400, &rc->grace, d);
	if ((v = ymap_get(n, "max-stale")))
		ynode_duration(v, "resolver.max-stale", 0, 30 * 86400, &rc->max_stale, d);
	if ((v = ymap_get(n, "max-addresses")))
		ynode_uint(v, "resolver.max-addresses", 1, 1024, &rc->max_addresses, d);
}

static void load_blocked(struct config *cfg, const struct ynode *n, struct diag *d)
{
	static const char *const keys[] = { "log-group", "log-rate", "max-tracked",
					    "report-interval", NULL };
	struct events_cfg *ec = &cfg->events;
	const struct ynode *v;

	if (ynode_expect(n, YN_MAP, "blocked", d) < 0)
		return;
	ymap_check_keys(n, keys, "blocked", d);
	if ((v = ymap_get(n, "log-group")))
		ynode_uint(v, "blocked.log-group", 0, 65535, &ec->log_group, d);
	if ((v = ymap_get(n, "log-rate")))
		ynode_uint(v, "blocked.log-rate", 1, 10000, &ec->log_rate, d);
	if ((v = ymap_get(n, "max-tracked")))
		ynode_uint(v, "blocked.max-tracked", 1, 65536, &ec->max_tracked, d);
	if ((v = ymap_get(n, "report-interval")))
		ynode_duration(v, "blocked.report-interval", 1, 3600, &ec->report_interval, d);
}

static void load_harvest(struct config *cfg, const struct ynode *n, struct diag *d)
{
	static const char *const keys[] = { "enabled", "log-group", "max-addresses",
					    "hold",    "queue",	    "hold-timeout-ms",
					    NULL };
	struct harvest_cfg *hc = &cfg->harvest;
	const struct ynode *v;

	if (ynode_expect(n, YN_MAP, "harvest", d) < 0)
		return;
	hc->loc = n->loc;
	ymap_check_keys(n, keys, "harvest", d);
	if ((v = ymap_get(n, "enabled")))
		ynode_bool(v, "harvest.enabled", &hc->enabled, d);
	if ((v = ymap_get(n, "log-group")) &&
	    ynode_uint(v, "harvest.log-group", 0, 65535, &hc->log_group, d) == 0)
		hc->log_group_set = true;
	if ((v = ymap_get(n, "max-addresses")))
		ynode_uint(v, "harvest.max-addresses", 1, 65536, &hc->max_addresses, d);
	if ((v = ymap_get(n, "hold")))
		ynode_bool(v, "harvest.hold", &hc->hold, d);
	if ((v = ymap_get(n, "queue")) &&
	    ynode_uint(v, "harvest.queue", 0, 65535, &hc->queue, d) == 0)
		hc->queue_set = true;
	if ((v = ymap_get(n, "hold-timeout-ms")))
		ynode_uint(v, "harvest.hold-timeout-ms", 1, 1000, &hc->hold_timeout_ms, d);
}

static void load_metrics(struct config *cfg, const struct ynode *n, struct diag *d)
{
	static const char *const keys[] = { "textfile", "interval", NULL };
	struct metrics_cfg *mc = &cfg->metrics;
	const struct ynode *v;

	if (ynode_expect(n, YN_MAP, "metrics", d) < 0)
		return;
	ymap_check_keys(n, keys, "metrics", d);
	v = ymap_get(n, "textfile");
	if (v && ynode_str(v, "metrics.textfile", &mc->textfile, d) == 0) {
		mc->loc = v->loc;
		if (!strcmp(mc->textfile, "off")) {
			mc->textfile = NULL;
		} else if (mc->textfile[0] != '/' || strlen(mc->textfile) >= PATH_MAX - 16) {
			diag_err(d, &v->loc,
				 "metrics.textfile '%s': needs an absolute path "
				 "(or 'off')",
				 mc->textfile);
			mc->textfile = NULL;
		}
	}
	if ((v = ymap_get(n, "interval")))
		ynode_duration(v, "metrics.interval", 1, 3600, &mc->interval, d);
}

static bool valid_allow_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > ALLOW_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

static int allow_peers(struct allow_entry *a, const struct ynode *n, struct diag *d)
{
	const struct ynode *to = ymap_get(n, "to"), *from = ymap_get(n, "from");

	if (to && from) {
		diag_err(d, &from->loc,
			 "allow '%s': give either 'to' (egress) or 'from' (ingress), "
			 "not both",
			 a->name);
		return -EINVAL;
	}
	if (!to && !from) {
		diag_err(d, &n->loc, "allow '%s': needs 'to' (egress) or 'from' (ingress)",
			 a->name);
		return -EINVAL;
	}
	a->ingress = from != NULL;
	return endpoint_list_max(to ? to : from, EP_ADDR | EP_PREFIX | EP_NAME | EP_WILDCARD, false,
				 to ? "allow.to" : "allow.from", CONFIG_MAX_ALLOW_PEERS, &a->peers,
				 d);
}

static int load_allow_entry(struct allow_entry *a, const struct ynode *n, struct diag *d)
{
	static const char *const keys[] = { "name", "to", "from", "ports", "protocol", NULL };
	static const char *const protos[] = { "tcp", "udp", NULL };
	const struct ynode *v;
	int r;

	if (ynode_expect(n, YN_MAP, "an allow entry", d) < 0)
		return -EINVAL;
	a->loc = n->loc;
	ymap_check_keys(n, keys, "an allow entry", d);
	v = ymap_get(n, "name");
	if (!v || ynode_str(v, "allow.name", &a->name, d) < 0) {
		if (!v)
			diag_err(d, &n->loc, "allow entry: missing 'name'");
		return -EINVAL;
	}
	if (!valid_allow_name(a->name)) {
		/* No '_': set names turn '-' into '_', so 'db-a' and 'db_a' would share a set. */
		diag_err(d, &v->loc, "allow name '%s': use 1-%d of a-z, 0-9 and '-'", a->name,
			 ALLOW_NAME_MAX);
		return -EINVAL;
	}
	r = allow_peers(a, n, d);
	v = ymap_get(n, "ports");
	if (!v) {
		diag_err(d, &n->loc, "allow '%s': missing 'ports'", a->name);
		r = -EINVAL;
	} else if (ynode_ports(v, a->ports, FLOW_MAX_PORTS, &a->n_ports, d) < 0) {
		r = -EINVAL;
	}
	a->protos = PROTO_TCP;
	v = ymap_get(n, "protocol");
	if (v && ynode_enum_mask(v, "protocol", protos, true, &a->protos, d) < 0)
		r = -EINVAL;
	return r;
}

static int load_allow(struct config *cfg, const struct ynode *n, struct diag *d)
{
	struct allow_entry *v;
	size_t i, j;

	if (ynode_expect(n, YN_SEQ, "allow", d) < 0)
		return -EINVAL;
	if (cfg->n_allow + n->n > CONFIG_MAX_ALLOW) {
		diag_err(d, &n->loc, "allow: more than %d entries", CONFIG_MAX_ALLOW);
		return -E2BIG;
	}
	v = realloc(cfg->allow, (cfg->n_allow + n->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	cfg->allow = v;
	for (i = 0; i < n->n; i++) {
		struct allow_entry *a = &cfg->allow[cfg->n_allow];

		memset(a, 0, sizeof(*a));
		if (load_allow_entry(a, n->items[i], d) < 0) {
			endpoint_list_clear(&a->peers);
			continue;
		}
		for (j = 0; j < cfg->n_allow; j++)
			if (!strcmp(cfg->allow[j].name, a->name))
				diag_err(d, &a->loc, "duplicate allow name '%s' (first at %s:%u)",
					 a->name, cfg->allow[j].loc.file, cfg->allow[j].loc.line);
		cfg->n_allow++;
	}
	return 0;
}

static int load_enum(const struct ynode *root, const char *key, const char *const *names, int *ret,
		     struct diag *d)
{
	const struct ynode *n = ymap_get(root, key);

	if (!n)
		return 0;
	return ynode_enum(n, key, names, ret, d);
}

/* Host destinations taken as plain lists: key -> fact (what each entry may be: fact_kinds). */
static const struct {
	const char *key;
	enum host_fact fact;
	bool may_auto;
} list_keys[] = {
	{ "dns-servers", FACT_DNS_SERVERS, true },
	{ "ntp-servers", FACT_NTP_SERVERS, true },
	{ "relays", FACT_RELAYS, false },
	{ "smart-protection-server", FACT_SPS, false },
	{ "service-gateway", FACT_SERVICE_GATEWAY, false },
	{ "relay-clients", FACT_RELAY_CLIENTS, false },
	{ "proxy", FACT_PROXY, false },
	{ "download-mirror", FACT_DOWNLOAD_MIRROR, false },
};

static void load_lists(struct config *cfg, const struct ynode *root, struct diag *d)
{
	const struct ynode *n;
	size_t i;

	for (i = 0; i < sizeof(list_keys) / sizeof(list_keys[0]); i++) {
		struct endpoint_list *l = &cfg->facts[list_keys[i].fact];

		n = ymap_get(root, list_keys[i].key);
		if (!n)
			continue;
		/* proxy is one endpoint: a later file replaces, not extends. */
		if (list_keys[i].fact == FACT_PROXY) {
			if (ynode_expect(n, YN_SCALAR, list_keys[i].key, d) < 0)
				continue;
			endpoint_list_clear(l);
		}
		endpoint_list(n, fact_kinds[list_keys[i].fact], list_keys[i].may_auto,
			      list_keys[i].key, l, d);
	}
}

/*
 * syslog: SERVER:PORT, or the vendor's Syslog Configuration as a mapping (server, transport,
 * and on a SIEM the agents that forward to it directly). A later file replaces the server
 * and the transport and extends the agents.
 */
static void load_syslog(struct config *cfg, const struct ynode *n, struct diag *d)
{
	static const char *const keys[] = { "server", "transport", "agents", NULL };
	const struct ynode *server = n, *v;
	const char *what = "syslog";
	int t;

	if (n->type == YN_MAP) {
		ymap_check_keys(n, keys, "syslog", d);
		server = ymap_get(n, "server");
		what = "syslog.server";
		v = ymap_get(n, "transport");
		if (v && ynode_enum(v, "syslog.transport", transport_names, &t, d) == 0)
			cfg->syslog_transport = (enum fg_syslog_transport)t;
		v = ymap_get(n, "agents");
		if (v)
			endpoint_list(v, fact_kinds[FACT_SYSLOG_AGENTS], false, "syslog.agents",
				      &cfg->facts[FACT_SYSLOG_AGENTS], d);
	}
	if (!server) {
		cfg->syslog_loc = n->loc; /* an error unless another file names the server */
		return;
	}
	cfg->syslog_loc.line = 0;
	if (ynode_expect(server, YN_SCALAR, what, d) < 0)
		return;
	endpoint_list_clear(&cfg->facts[FACT_SYSLOG]);
	endpoint_list(server, fact_kinds[FACT_SYSLOG], false, what, &cfg->facts[FACT_SYSLOG], d);
}

static void apply_doc(struct config *cfg, const struct ydoc *doc, struct diag *d)
{
	const struct ynode *root = doc->root, *n;
	int v = 0;

	if (!root)
		return; /* an empty drop-in is fine */
	if (ynode_expect(root, YN_MAP, "the configuration", d) < 0)
		return;
	ymap_check_keys(root, top_keys, "the configuration", d);
	if (load_enum(root, "mode", mode_names, &v, d) == 0 && (n = ymap_get(root, "mode"))) {
		cfg->mode = (enum fg_mode)v;
		cfg->mode_loc = n->loc;
	}
	if (load_enum(root, "ingress", ingress_names, &v, d) == 0 &&
	    (n = ymap_get(root, "ingress"))) {
		cfg->ingress = (enum fg_ingress)v;
		cfg->ingress_loc = n->loc;
	}
	if (load_enum(root, "dhcp", dhcp_names, &v, d) == 0 && ymap_get(root, "dhcp"))
		cfg->dhcp = (unsigned int)v;
	if (load_enum(root, "communication", comm_names, &v, d) == 0 &&
	    ymap_get(root, "communication")) {
		cfg->comm = (enum fg_comm)v;
		cfg->comm_set = true;
	}
	if (load_enum(root, "loopback", loopback_names, &v, d) == 0 && ymap_get(root, "loopback"))
		cfg->loopback = (enum fg_loopback)v;
	if ((n = ymap_get(root, "roles"))) {
		cfg->roles_loc = n->loc;
		load_roles(cfg, n, d);
	}
	if ((n = ymap_get(root, "region")) && ynode_str(n, "region", &cfg->region, d) == 0) {
		cfg->region_loc = n->loc;
		if (!strcmp(cfg->region, "auto"))
			cfg->region = NULL;
	}
	load_lists(cfg, root, d);
	if ((n = ymap_get(root, "syslog")))
		load_syslog(cfg, n, d);
	if ((n = ymap_get(root, "features")))
		load_features(cfg, n, d);
	if ((n = ymap_get(root, "dc-gateway")))
		load_dc_gateway(cfg, n, d);
	if ((n = ymap_get(root, "resolver")))
		load_resolver(cfg, n, d);
	if ((n = ymap_get(root, "allow")))
		load_allow(cfg, n, d);
	if ((n = ymap_get(root, "blocked")))
		load_blocked(cfg, n, d);
	if ((n = ymap_get(root, "harvest")))
		load_harvest(cfg, n, d);
	if ((n = ymap_get(root, "metrics")))
		load_metrics(cfg, n, d);
}

static int check_perms(const char *path, const struct stat *st, struct diag *d)
{
	return ydoc_check_perms(path, st, d);
}

static int add_doc(struct config *cfg, const char *path, bool strict, struct diag *d)
{
	struct ydoc *doc, **docs;
	int r;

	if (cfg->n_docs == CONFIG_MAX_FILES) {
		struct loc loc = { path, 0, 0 };

		diag_err(d, &loc, "more than %d configuration files", CONFIG_MAX_FILES);
		return -E2BIG;
	}
	r = ydoc_load(path, strict ? ydoc_check_perms_cb : NULL, d, &doc, d);
	if (r < 0)
		return r;
	docs = realloc(cfg->docs, (cfg->n_docs + 1) * sizeof(*docs));
	if (!docs) {
		ydoc_free(doc);
		return -ENOMEM;
	}
	cfg->docs = docs;
	cfg->docs[cfg->n_docs++] = doc;
	apply_doc(cfg, doc, d);
	return 0;
}

static int yaml_filter(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return de->d_name[0] != '.' && n > 5 && !strcmp(de->d_name + n - 5, ".yaml");
}

static int load_dropins(struct config *cfg, const char *path, bool strict, struct diag *d)
{
	char dir[PATH_MAX], file[PATH_MAX + 256], *tmp;
	struct dirent **list;
	struct stat st;
	int i, n, r = 0;

	tmp = strdup(path);
	if (!tmp)
		return -ENOMEM;
	snprintf(dir, sizeof(dir), "%s/conf.d", dirname(tmp));
	free(tmp);
	if (strict && stat(dir, &st) == 0 && check_perms(dir, &st, d) < 0)
		return -EPERM;
	n = scandir(dir, &list, yaml_filter, alphasort);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	for (i = 0; i < n; i++) {
		snprintf(file, sizeof(file), "%s/%s", dir, list[i]->d_name);
		if (r != -ENOMEM)
			r = add_doc(cfg, file, strict, d);
		free(list[i]);
	}
	free(list);
	return r == -ENOMEM ? r : 0;
}

static void set_defaults(struct config *cfg)
{
	cfg->mode = MODE_ENFORCE;
	cfg->roles_auto = true;
	cfg->ingress = INGRESS_OFF;
	cfg->comm = COMM_AGENT_INITIATED;
	cfg->loopback = LOOPBACK_ALLOW;
	cfg->syslog_transport = SYSLOG_UDP;
	cfg->dhcp = DHCP_V4 | DHCP_V6;
	cfg->facts[FACT_DNS_SERVERS].is_auto = true;
	cfg->facts[FACT_NTP_SERVERS].is_auto = true;
	cfg->resolver.min_ttl = 30;
	cfg->resolver.max_ttl = 86400;
	cfg->resolver.grace = 3600;
	cfg->resolver.max_stale = 86400;
	cfg->resolver.max_addresses = 64;
	cfg->events.log_group = 4100;
	cfg->events.log_rate = 10;
	cfg->events.max_tracked = 1024;
	cfg->events.report_interval = 60;
	cfg->harvest.enabled = true;
	cfg->harvest.max_addresses = 256;
	cfg->harvest.hold_timeout_ms = 5;
	cfg->metrics.interval = 30;
}

/* Defaults that follow other keys, once every file is read: the group next to blocked's. */
static void harvest_defaults(struct config *cfg)
{
	struct harvest_cfg *hc = &cfg->harvest;

	if (!hc->log_group_set)
		hc->log_group = cfg->events.log_group < 65535 ? cfg->events.log_group + 1 :
								cfg->events.log_group - 1;
	if (!hc->queue_set)
		hc->queue = hc->log_group;
}

/* A wildcard name is served by harvest alone: without it, its sets would stay empty. */
static void check_wildcards(const struct config *cfg, struct diag *d)
{
	size_t i, k;

	for (i = 0; i < cfg->n_allow && !cfg->harvest.enabled; i++)
		for (k = 0; k < cfg->allow[i].peers.n; k++)
			if (cfg->allow[i].peers.v[k].is_wildcard)
				diag_err(d, &cfg->allow[i].peers.v[k].loc,
					 "allow '%s': '%s' is "
					 "filled from DNS answers only, and harvest.enabled is false",
					 cfg->allow[i].name, cfg->allow[i].peers.v[k].text);
}

static void check_conflicts(const struct config *cfg, struct diag *d)
{
	const struct resolver_cfg *rc = &cfg->resolver;
	struct loc loc = { cfg->n_docs ? cfg->docs[0]->file : "config", 0, 0 };

	if (cfg->ingress == INGRESS_ENFORCE && cfg->mode == MODE_AUDIT)
		diag_err(d, &cfg->ingress_loc,
			 "conflicting settings: 'ingress: enforce' with "
			 "'mode: audit' (set at %s:%u:%u); enforce egress first, or use 'ingress: audit'",
			 cfg->mode_loc.file, cfg->mode_loc.line, cfg->mode_loc.col);
	if (cfg->syslog_loc.line && !cfg->facts[FACT_SYSLOG].n)
		diag_err(d, &cfg->syslog_loc,
			 "syslog: missing 'server' (host:port, the Syslog "
			 "Configuration's server and port)");
	if (rc->servers.n > RESOLVER_SERVERS_MAX)
		diag_err(d, &rc->servers.v[RESOLVER_SERVERS_MAX].loc,
			 "resolver.servers: more than "
			 "%d servers (the resolver polls a UDP and a TCP socket for each)",
			 RESOLVER_SERVERS_MAX);
	if (rc->min_ttl > rc->max_ttl)
		diag_err(d, &loc,
			 "conflicting settings: resolver.min-ttl (%llus) is above "
			 "resolver.max-ttl (%llus)",
			 (unsigned long long)rc->min_ttl, (unsigned long long)rc->max_ttl);
	if (cfg->harvest.enabled && cfg->harvest.log_group == cfg->events.log_group)
		diag_err(d, &loc,
			 "conflicting settings: harvest.log-group and blocked.log-group "
			 "are both %llu; give them different groups",
			 (unsigned long long)cfg->events.log_group);
	check_wildcards(cfg, d);
	if (cfg->comm != COMM_AGENT_INITIATED && cfg->ingress == INGRESS_OFF)
		diag_warn(d, &loc,
			  "communication is %s but 'ingress: off': flowguard leaves "
			  "inbound 4118 to other firewalls",
			  comm_names[cfg->comm]);
}

/* A /0 prefix is legal (the admin may mean it) but opens a port to everyone: said. */
static void warn_whole(const struct endpoint_list *l, const char *what, const char *name,
		       struct diag *d)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].is_addr && l->v[i].addr.prefix == 0)
			diag_warn(d, &l->v[i].loc,
				  "%s%s%s: '%s' is every IPv%c address; list the "
				  "networks that need it",
				  what, name ? " " : "", name ? name : "", l->v[i].text,
				  l->v[i].addr.family == 2 ? '4' : '6');
}

static void warn_whole_space(const struct config *cfg, struct diag *d)
{
	size_t i;

	for (i = 0; i < cfg->n_allow; i++)
		warn_whole(&cfg->allow[i].peers, "allow", cfg->allow[i].name, d);
	warn_whole(&cfg->facts[FACT_RELAYS], "relays", NULL, d);
	warn_whole(&cfg->facts[FACT_RELAY_CLIENTS], "relay-clients", NULL, d);
	warn_whole(&cfg->facts[FACT_SYSLOG_AGENTS], "syslog.agents", NULL, d);
}

int config_load(const char *path, bool strict_perms, const struct catalog *cat, struct config **ret,
		struct diag *d)
{
	struct config *cfg;
	int r;

	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return -ENOMEM;
	set_defaults(cfg);
	cfg->roles_loc.file = cfg->region_loc.file = path;
	r = add_doc(cfg, path, strict_perms, d);
	if (r != -ENOMEM)
		r = load_dropins(cfg, path, strict_perms, d);
	if (r != -ENOMEM) {
		harvest_defaults(cfg);
		check_conflicts(cfg, d);
		warn_whole_space(cfg, d);
	}
	if (r != -ENOMEM && cat)
		config_validate(cfg, cat, d);
	if (r == 0 && diag_failed(d))
		r = -EINVAL;
	if (r < 0) {
		config_free(cfg);
		return r;
	}
	*ret = cfg;
	return 0;
}

int config_validate(const struct config *cfg, const struct catalog *cat, struct diag *d)
{
	const char *names[CAT_MAX_FEATURES + 1];
	const struct ynode *n;
	char hint[128];
	size_t i;

	for (i = 0; i < cat->n_features; i++)
		names[i] = cat->features[i].id;
	names[i] = NULL;
	for (i = 0; i < cfg->n_features; i++)
		if (catalog_find_feature(cat, cfg->features[i]) < 0)
			diag_err(d, &cfg->feature_locs[i], "unknown feature '%s' (catalog %s %s)%s",
				 cfg->features[i], cat->name, cat->version,
				 closest_hint(cfg->features[i], names, hint, sizeof(hint)));
	if (!cfg->region || catalog_find_region(cat, cfg->region))
		return diag_failed(d) ? -EINVAL : 0;
	for (i = cfg->n_docs; i-- > 0;) {
		n = ymap_get(cfg->docs[i]->root, "region");
		if (n && n->value == cfg->region)
			break;
	}
	if (i < cfg->n_docs) {
		const char *codes[64];
		size_t k;

		for (k = 0; k < cat->n_regions && k < 63; k++)
			codes[k] = cat->regions[k].code;
		codes[k] = NULL;
		diag_err(d, &n->loc, "unknown region '%s'%s", cfg->region,
			 closest_hint(cfg->region, codes, hint, sizeof(hint)));
	}
	return -EINVAL;
}

void config_sha256(const struct config *cfg, char hex[SHA256_HEX_LEN])
{
	uint8_t digest[SHA256_LEN];
	char file_hex[SHA256_HEX_LEN];
	struct sha256 s;
	size_t i;

	sha256_init(&s);
	for (i = 0; i < cfg->n_docs; i++) {
		sha256_hex(ydoc_sha256(cfg->docs[i]), file_hex);
		sha256_update(&s, file_hex, SHA256_HEX_LEN - 1);
		sha256_update(&s, "\n", 1);
	}
	sha256_final(&s, digest);
	sha256_hex(digest, hex);
}

void config_free(struct config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < FACT_MAX; i++)
		endpoint_list_clear(&cfg->facts[i]);
	for (i = 0; i < cfg->n_allow; i++)
		endpoint_list_clear(&cfg->allow[i].peers);
	free(cfg->allow);
	endpoint_list_clear(&cfg->resolver.servers);
	for (i = 0; i < cfg->n_docs; i++)
		ydoc_free(cfg->docs[i]);
	free(cfg->docs);
	free(cfg);
}
