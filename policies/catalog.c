/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loads the vendor catalog: roles, features, regions, destinations and flows. The file
 * is data the admin can read; this code knows its shape, never a vendor hostname.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policies/model.h"

const char *const role_names[ROLE_MAX + 1] = {
	"admin-workstation", "agent",		"relay",      "siem",
	"dc-gateway",	     "service-gateway", "api-client", NULL,
};

const char *const fact_names[FACT_MAX + 1] = {
	"dns-servers",
	"ntp-servers",
	"relays",
	"proxy",
	"smart-protection-server",
	"service-gateway",
	"syslog",
	"vcenter",
	"active-directory",
	"relay-clients",
	"syslog-agents",
	"download-mirror",
	NULL,
};

static const char *const kind_names[] = {
	"fqdn", "region-cidrs", "region-fqdn", "host", "localhost", "any", NULL,
};
static const char *const dir_names[] = { "egress", "ingress", "local", NULL };
static const char *const proto_names[] = { "tcp", "udp", NULL };
static const char *const when_names[] = { "direct",	"proxy",      "manager-initiated",
					  "syslog-udp", "syslog-tls", NULL };
static const char *const confidence_names[] = {
	"verified",
	"verified-caveat",
	"inferred-high",
	"inferred-medium",
	"inferred-low",
	"community",
	NULL,
};

/* Optional string member; -EINVAL (reported) if present but not a scalar. */
static int opt_str(const struct ynode *map, const char *key, const char **ret, struct diag *d)
{
	const struct ynode *n = ymap_get(map, key);

	if (!n)
		return 0;
	return ynode_str(n, key, ret, d);
}

static int req_str(const struct ynode *map, const char *key, const char *what, const char **ret,
		   struct diag *d)
{
	if (!ymap_get(map, key)) {
		diag_err(d, &map->loc, "%s: missing '%s'", what, key);
		return -EINVAL;
	}
	return opt_str(map, key, ret, d);
}

/* Iterates a YN_MAP's pairs: k is the key node, v the value node. */
#define for_each_pair(map, i, k, v)                                              \
	for ((i) = 0; (map) && (i) + 1 < (map)->n &&                             \
		      ((k) = (map)->items[(i)], (v) = (map)->items[(i) + 1], 1); \
	     (i) += 2)

static int load_role(struct catalog *cat, const struct ynode *k, const struct ynode *v,
		     struct diag *d)
{
	static const char *const keys[] = { "title", "description", "includes",
					    "row",   "source",	    NULL };
	const struct ynode *n;
	struct cat_role *role;
	uint64_t row;
	int idx;

	if (ynode_enum(k, "role", role_names, &idx, d) < 0 ||
	    ynode_expect(v, YN_MAP, "a role", d) < 0)
		return -EINVAL;
	role = &cat->roles[idx];
	role->loc = k->loc;
	ymap_check_keys(v, keys, "a role", d);
	req_str(v, "title", "role", &role->title, d);
	req_str(v, "description", "role", &role->description, d);
	n = ymap_get(v, "includes");
	if (n)
		ynode_enum_mask(n, "role", role_names, false, &role->includes, d);
	n = ymap_get(v, "row");
	if (n && ynode_uint(n, "row", 1, 99, &row, d) == 0)
		role->row = (unsigned int)row;
	return 0;
}

static int load_feature(struct catalog *cat, const struct ynode *k, const struct ynode *v,
			struct diag *d)
{
	static const char *const keys[] = { "description", NULL };
	struct cat_feature *f;

	if (cat->n_features == CAT_MAX_FEATURES) {
		diag_err(d, &k->loc, "more than %d features", CAT_MAX_FEATURES);
		return -E2BIG;
	}
	if (ynode_expect(k, YN_SCALAR, "feature name", d) < 0 ||
	    ynode_expect(v, YN_MAP, "a feature", d) < 0)
		return -EINVAL;
	f = &cat->features[cat->n_features++];
	f->id = k->value;
	ymap_check_keys(v, keys, "a feature", d);
	return req_str(v, "description", "feature", &f->description, d);
}

static int load_cidr(struct cat_cidr *c, const struct ynode *v, struct diag *d)
{
	static const char *const keys[] = { "cidr", "source", NULL };
	const char *s = NULL;
	int r;

	if (ynode_expect(v, YN_MAP, "a region CIDR", d) < 0)
		return -EINVAL;
	ymap_check_keys(v, keys, "a region CIDR", d);
	c->loc = v->loc;
	req_str(v, "source", "region CIDR", &c->source, d);
	if (req_str(v, "cidr", "region CIDR", &s, d) < 0)
		return -EINVAL;
	r = rs_addr_parse(s, &c->addr);
	if (r == -EINVAL)
		diag_err(d, &ymap_get(v, "cidr")->loc, "'%s' is not an address or prefix", s);
	else if (r == -ERANGE)
		diag_err(d, &ymap_get(v, "cidr")->loc, "'%s' has host bits set", s);
	return r;
}

/* A region key other than name, cidrs, also-ranges-of: a per-region fqdn list (checked later). */
static int load_region_list(struct cat_region *reg, const struct ynode *k, const struct ynode *v,
			    struct diag *d)
{
	struct cat_region_list *l;

	if (ynode_expect(k, YN_SCALAR, "a region key", d) < 0)
		return -EINVAL;
	if (reg->n_lists == CAT_REGION_LISTS) {
		diag_err(d, &k->loc, "region '%s': more than %d lists", reg->code,
			 CAT_REGION_LISTS);
		return -E2BIG;
	}
	l = &reg->lists[reg->n_lists];
	l->dest = v->type == YN_SCALAR ? v->value : NULL; /* a typo's value may be anything */
	l->key = k->value;
	l->loc = k->loc;
	reg->n_lists++;
	return 0;
}

static int load_region(struct cat_region *reg, const struct ynode *k, const struct ynode *v,
		       struct diag *d)
{
	const struct ynode *cidrs, *key;
	size_t i;

	if (ynode_expect(k, YN_SCALAR, "region code", d) < 0 ||
	    ynode_expect(v, YN_MAP, "a region", d) < 0)
		return -EINVAL;
	reg->code = k->value;
	reg->loc = k->loc;
	req_str(v, "name", "region", &reg->name, d);
	opt_str(v, "also-ranges-of", &reg->also, d);
	for (i = 0; i + 1 < v->n; i += 2) {
		key = v->items[i];
		if (key->type != YN_SCALAR ||
		    (strcmp(key->value, "name") && strcmp(key->value, "cidrs") &&
		     strcmp(key->value, "also-ranges-of")))
			load_region_list(reg, key, v->items[i + 1], d);
	}
	cidrs = ymap_get(v, "cidrs");
	if (!cidrs || ynode_expect(cidrs, YN_SEQ, "cidrs", d) < 0)
		return cidrs ? -EINVAL : 0;
	reg->cidrs = calloc(cidrs->n ? cidrs->n : 1, sizeof(*reg->cidrs));
	if (!reg->cidrs)
		return -ENOMEM;
	for (i = 0; i < cidrs->n; i++)
		if (load_cidr(&reg->cidrs[reg->n_cidrs], cidrs->items[i], d) == 0)
			reg->n_cidrs++;
	return 0;
}

static int load_name(struct cat_name *nm, const struct ynode *v, const char *def_source,
		     struct diag *d)
{
	static const char *const keys[] = { "name", "source", "note", NULL };

	nm->loc = v->loc;
	nm->source = def_source;
	if (v->type == YN_SCALAR) {
		nm->name = v->value;
		return 0;
	}
	if (ynode_expect(v, YN_MAP, "a name", d) < 0)
		return -EINVAL;
	ymap_check_keys(v, keys, "a name", d);
	opt_str(v, "source", &nm->source, d);
	return req_str(v, "name", "name entry", &nm->name, d);
}

static int load_names(struct cat_dest *dst, const struct ynode *v, struct diag *d)
{
	const struct ynode *names = ymap_get(v, "names");
	const char *source = NULL;
	size_t i;

	opt_str(v, "source", &source, d);
	if (!names) {
		diag_err(d, &v->loc, "destination '%s': kind fqdn needs 'names'", dst->id);
		return -EINVAL;
	}
	if (ynode_expect(names, YN_SEQ, "names", d) < 0)
		return -EINVAL;
	dst->names = calloc(names->n ? names->n : 1, sizeof(*dst->names));
	if (!dst->names)
		return -ENOMEM;
	for (i = 0; i < names->n; i++)
		if (load_name(&dst->names[dst->n_names], names->items[i], source, d) == 0)
			dst->n_names++;
	if (!dst->n_names)
		diag_err(d, &names->loc, "destination '%s': empty names list", dst->id);
	return 0;
}

static int load_dest(struct cat_dest *dst, const struct ynode *k, const struct ynode *v,
		     struct diag *d)
{
	static const char *const keys[] = { "kind", "title", "description", "source", "names",
					    "fact", "key",   "if-unset",    NULL };
	static const char *const unset_names[] = { "skip", "any", NULL };
	const struct ynode *n;
	int kind, fact, unset;

	if (ynode_expect(k, YN_SCALAR, "destination id", d) < 0 ||
	    ynode_expect(v, YN_MAP, "a destination", d) < 0)
		return -EINVAL;
	dst->id = k->value;
	dst->loc = k->loc;
	ymap_check_keys(v, keys, "a destination", d);
	req_str(v, "title", "destination", &dst->title, d);
	req_str(v, "description", "destination", &dst->description, d);
	n = ymap_get(v, "kind");
	if (!n) {
		diag_err(d, &v->loc, "destination '%s': missing 'kind'", dst->id);
		return -EINVAL;
	}
	if (ynode_enum(n, "destination kind", kind_names, &kind, d) < 0)
		return -EINVAL;
	dst->kind = (enum dest_kind)kind;
	if (dst->kind == DEST_FQDN)
		return load_names(dst, v, d);
	if (dst->kind == DEST_REGION_FQDN)
		return req_str(v, "key", "destination", &dst->key, d);
	if (dst->kind != DEST_HOST)
		return 0;
	n = ymap_get(v, "fact");
	if (!n) {
		diag_err(d, &v->loc, "destination '%s': kind host needs 'fact'", dst->id);
		return -EINVAL;
	}
	if (ynode_enum(n, "host fact", fact_names, &fact, d) < 0)
		return -EINVAL;
	dst->fact = (enum host_fact)fact;
	n = ymap_get(v, "if-unset");
	if (n && ynode_enum(n, "if-unset", unset_names, &unset, d) < 0)
		return -EINVAL;
	dst->unset_any = n && unset == 1;
	return 0;
}

/* Loads a map section into a freshly allocated array via fn, one item per pair. */
static int load_section(const struct ynode *root, const char *key, size_t item_size, void **ret_arr,
			size_t *ret_n,
			int (*fn)(void *item, const struct ynode *k, const struct ynode *v,
				  struct diag *d),
			struct diag *d)
{
	const struct ynode *sec = ymap_get(root, key), *k, *v;
	size_t i, n = 0;
	char *arr;

	if (!sec) {
		diag_err(d, &root->loc, "catalog: missing section '%s'", key);
		return -EINVAL;
	}
	if (ynode_expect(sec, YN_MAP, key, d) < 0)
		return -EINVAL;
	arr = calloc(sec->n / 2 + 1, item_size);
	if (!arr)
		return -ENOMEM;
	for_each_pair(sec, i, k, v)
		if (fn(arr + n * item_size, k, v, d) == 0)
			n++;
	*ret_arr = arr;
	*ret_n = n;
	return 0;
}

static int region_cb(void *item, const struct ynode *k, const struct ynode *v, struct diag *d)
{
	return load_region(item, k, v, d);
}

static int dest_cb(void *item, const struct ynode *k, const struct ynode *v, struct diag *d)
{
	return load_dest(item, k, v, d);
}

const struct cat_region *catalog_find_region(const struct catalog *cat, const char *code)
{
	size_t i;

	for (i = 0; i < cat->n_regions; i++)
		if (!strcmp(cat->regions[i].code, code))
			return &cat->regions[i];
	return NULL;
}

const struct cat_dest *catalog_find_dest(const struct catalog *cat, const char *id)
{
	size_t i;

	for (i = 0; i < cat->n_dests; i++)
		if (!strcmp(cat->dests[i].id, id))
			return &cat->dests[i];
	return NULL;
}

const struct cat_dest *catalog_region_list(const struct catalog *cat, const struct cat_region *reg,
					   const char *key)
{
	size_t i;

	for (i = 0; reg && i < reg->n_lists; i++)
		if (!strcmp(reg->lists[i].key, key))
			return catalog_find_dest(cat, reg->lists[i].dest);
	return NULL;
}

int catalog_find_feature(const struct catalog *cat, const char *id)
{
	size_t i;

	for (i = 0; i < cat->n_features; i++)
		if (!strcmp(cat->features[i].id, id))
			return (int)i;
	return -ENOENT;
}

/* A `when:` or `unless:` list: built-in conditions into *mask, catalog features into *features. */
static int load_when(struct catalog *cat, const struct ynode *n, const char *what,
		     unsigned int *mask, uint32_t *features, struct diag *d)
{
	char hint[128];
	size_t i;
	int idx;

	if (ynode_expect(n, YN_SEQ, what, d) < 0)
		return -EINVAL;
	for (i = 0; i < n->n; i++) {
		const struct ynode *t = n->items[i];

		if (ynode_expect(t, YN_SCALAR, "a condition", d) < 0)
			return -EINVAL;
		for (idx = 0; when_names[idx]; idx++)
			if (!strcmp(when_names[idx], t->value))
				break;
		if (when_names[idx]) {
			*mask |= 1U << idx;
			continue;
		}
		idx = catalog_find_feature(cat, t->value);
		if (idx >= 0) {
			*features |= 1U << idx;
			continue;
		}
		diag_err(d, &t->loc,
			 "unknown condition '%s'%s (conditions: direct, proxy, "
			 "manager-initiated, syslog-udp, syslog-tls, or a feature)",
			 t->value, closest_hint(t->value, when_names, hint, sizeof(hint)));
		return -EINVAL;
	}
	return 0;
}

static int flow_peer(struct catalog *cat, struct cat_flow *f, const struct ynode *v, struct diag *d)
{
	const struct ynode *n = ymap_get(v, "peer");
	const struct cat_dest *dst;

	if (!n) {
		diag_err(d, &v->loc, "flow '%s': missing 'peer'", f->id ? f->id : "?");
		return -EINVAL;
	}
	if (ynode_expect(n, YN_SCALAR, "peer", d) < 0)
		return -EINVAL;
	dst = catalog_find_dest(cat, n->value);
	if (!dst) {
		diag_err(d, &n->loc, "flow '%s': unknown destination '%s'", f->id, n->value);
		return -EINVAL;
	}
	f->peer = (size_t)(dst - cat->dests);
	if ((f->dir == DIR_LOCAL) != (dst->kind == DEST_LOCALHOST)) {
		diag_err(d, &n->loc,
			 "flow '%s': direction local goes with peer kind localhost, "
			 "and only with it",
			 f->id);
		return -EINVAL;
	}
	return 0;
}

/*
 * ports: [..] or ports: configured. port-from: FACT takes the ports from that config list's
 * entries (the listed ports serve entries without one); `configured` alone means the peer's.
 */
static int flow_ports(struct cat_flow *f, const struct catalog *cat, const struct ynode *v,
		      struct diag *d)
{
	const struct ynode *n = ymap_get(v, "ports"), *from = ymap_get(v, "port-from");
	const struct cat_dest *dst = &cat->dests[f->peer];
	int fact;

	if (!n) {
		diag_err(d, &v->loc, "flow '%s': missing 'ports'", f->id);
		return -EINVAL;
	}
	if (from) {
		if (ynode_enum(from, "host fact", fact_names, &fact, d) < 0)
			return -EINVAL;
		f->port_fact = (enum host_fact)fact;
		f->port_configured = true;
	} else if (dst->kind == DEST_HOST) {
		f->port_fact = dst->fact;
	}
	if (n->type != YN_SCALAR || strcmp(n->value, "configured"))
		return ynode_ports(n, f->ports, FLOW_MAX_PORTS, &f->n_ports, d);
	if (!from && dst->kind != DEST_HOST) {
		diag_err(d, &n->loc,
			 "flow '%s': 'ports: configured' needs a host peer or "
			 "'port-from'",
			 f->id);
		return -EINVAL;
	}
	if (f->port_fact != FACT_PROXY && f->port_fact != FACT_SYSLOG) {
		diag_err(d, &n->loc,
			 "flow '%s': 'ports: configured' needs the port of proxy or "
			 "syslog, which always carry one",
			 f->id);
		return -EINVAL;
	}
	f->port_configured = true;
	return 0;
}

static int load_flow(struct catalog *cat, struct cat_flow *f, const struct ynode *v, struct diag *d)
{
	static const char *const keys[] = { "id",	  "row",      "roles",	     "direction",
					    "peer",	  "protocol", "ports",	     "port-from",
					    "when",	  "unless",   "description", "source",
					    "confidence", NULL };
	const struct ynode *n;
	uint64_t row;
	int idx, r = 0;

	if (ynode_expect(v, YN_MAP, "a flow", d) < 0)
		return -EINVAL;
	f->loc = v->loc;
	ymap_check_keys(v, keys, "a flow", d);
	if (req_str(v, "id", "flow", &f->id, d) < 0)
		return -EINVAL;
	req_str(v, "description", "flow", &f->description, d);
	req_str(v, "source", "flow", &f->source, d);
	n = ymap_get(v, "confidence");
	if (!n)
		r = req_str(v, "confidence", "flow", &f->confidence, d);
	else if (ynode_enum(n, "confidence", confidence_names, &idx, d) == 0)
		f->confidence = n->value;
	else
		r = -EINVAL;
	n = ymap_get(v, "row");
	if (n && ynode_uint(n, "row", 1, 99, &row, d) == 0)
		f->row = (unsigned int)row;
	n = ymap_get(v, "roles");
	if (!n || ynode_enum_mask(n, "role", role_names, false, &f->roles, d) < 0) {
		diag_err(d, &v->loc, "flow '%s': needs a non-empty 'roles' list", f->id);
		r = -EINVAL;
	}
	n = ymap_get(v, "direction");
	if (!n || ynode_enum(n, "direction", dir_names, &idx, d) < 0) {
		diag_err(d, &v->loc, "flow '%s': needs 'direction'", f->id);
		return -EINVAL;
	}
	f->dir = (enum flow_dir)idx;
	n = ymap_get(v, "protocol");
	if (!n || ynode_enum_mask(n, "protocol", proto_names, true, &f->protos, d) < 0) {
		diag_err(d, &v->loc, "flow '%s': needs 'protocol'", f->id);
		r = -EINVAL;
	}
	n = ymap_get(v, "when");
	if (n && load_when(cat, n, "when", &f->when, &f->when_features, d) < 0)
		r = -EINVAL;
	n = ymap_get(v, "unless");
	if (n && load_when(cat, n, "unless", &f->unless, &f->unless_features, d) < 0)
		r = -EINVAL;
	if (flow_peer(cat, f, v, d) < 0 || flow_ports(f, cat, v, d) < 0)
		r = -EINVAL;
	return r;
}

static int load_flows(struct catalog *cat, const struct ynode *root, struct diag *d)
{
	const struct ynode *sec = ymap_get(root, "flows");
	size_t i, j;

	if (!sec || ynode_expect(sec, YN_SEQ, "flows", d) < 0) {
		if (!sec)
			diag_err(d, &root->loc, "catalog: missing section 'flows'");
		return -EINVAL;
	}
	cat->flows = calloc(sec->n + 1, sizeof(*cat->flows));
	if (!cat->flows)
		return -ENOMEM;
	for (i = 0; i < sec->n; i++) {
		struct cat_flow *f = &cat->flows[cat->n_flows];

		if (load_flow(cat, f, sec->items[i], d) < 0)
			continue;
		for (j = 0; j < cat->n_flows; j++)
			if (!strcmp(cat->flows[j].id, f->id))
				diag_err(d, &f->loc, "duplicate flow id '%s' (first at line %u)",
					 f->id, cat->flows[j].loc.line);
		cat->n_flows++;
	}
	return 0;
}

/* The keys region-fqdn destinations use: what a region may name besides its fixed keys. */
static size_t region_list_keys(const struct catalog *cat, const char **keys, size_t max)
{
	size_t i, n = 0;

	keys[n++] = "name";
	keys[n++] = "cidrs";
	keys[n++] = "also-ranges-of";
	for (i = 0; i < cat->n_dests && n + 1 < max; i++)
		if (cat->dests[i].kind == DEST_REGION_FQDN)
			keys[n++] = cat->dests[i].key;
	keys[n] = NULL;
	return n;
}

static void check_region_list(const struct catalog *cat, const struct cat_region *reg,
			      const struct cat_region_list *l, const char *const *keys,
			      struct diag *d)
{
	const struct cat_dest *dst;
	char hint[128];
	size_t k;

	for (k = 3; keys[k] && strcmp(keys[k], l->key); k++)
		;
	if (!keys[k]) {
		diag_err(d, &l->loc, "unknown key '%s' in a region%s", l->key,
			 closest_hint(l->key, keys, hint, sizeof(hint)));
		return;
	}
	dst = l->dest ? catalog_find_dest(cat, l->dest) : NULL;
	if (!dst || dst->kind != DEST_FQDN)
		diag_err(d, &l->loc, "region '%s': %s '%s' is not an fqdn destination", reg->code,
			 l->key, l->dest ? l->dest : "(not a single value)");
}

static void check_region_refs(const struct catalog *cat, struct diag *d)
{
	const char *keys[CAT_REGION_LISTS + 8];
	size_t i, j;

	region_list_keys(cat, keys, sizeof(keys) / sizeof(keys[0]));
	for (i = 0; i < cat->n_regions; i++) {
		const struct cat_region *reg = &cat->regions[i];

		if (reg->also && !catalog_find_region(cat, reg->also))
			diag_err(d, &reg->loc, "region '%s': also-ranges-of '%s' is not a region",
				 reg->code, reg->also);
		for (j = 0; j < reg->n_lists; j++)
			check_region_list(cat, reg, &reg->lists[j], keys, d);
	}
}

static int load_roles_features(struct catalog *cat, const struct ynode *root, struct diag *d)
{
	const struct ynode *sec, *k, *v;
	size_t i;

	sec = ymap_get(root, "roles");
	if (!sec || ynode_expect(sec, YN_MAP, "roles", d) < 0) {
		diag_err(d, &root->loc, "catalog: missing or bad section 'roles'");
		return -EINVAL;
	}
	for_each_pair(sec, i, k, v)
		load_role(cat, k, v, d);
	for (i = 0; i < ROLE_MAX; i++)
		if (!cat->roles[i].title)
			diag_err(d, &sec->loc, "catalog: role '%s' is not described",
				 role_names[i]);
	sec = ymap_get(root, "features");
	if (sec && ynode_expect(sec, YN_MAP, "features", d) == 0)
		for_each_pair(sec, i, k, v)
			load_feature(cat, k, v, d);
	return 0;
}

static int catalog_build(struct catalog *cat, struct diag *d)
{
	static const char *const keys[] = { "catalog",	    "version",	"sources",
					    "roles",	    "features", "regions",
					    "destinations", "flows",	NULL };
	const struct ynode *root = cat->doc->root;
	int r;

	if (!root || ynode_expect(root, YN_MAP, "the catalog", d) < 0) {
		struct loc loc = { cat->doc->file, 0, 0 };

		if (!root)
			diag_err(d, &loc, "empty catalog");
		return -EINVAL;
	}
	ymap_check_keys(root, keys, "the catalog", d);
	req_str(root, "catalog", "catalog", &cat->name, d);
	req_str(root, "version", "catalog", &cat->version, d);
	load_roles_features(cat, root, d);
	r = load_section(root, "regions", sizeof(*cat->regions), (void **)&cat->regions,
			 &cat->n_regions, region_cb, d);
	if (r == -ENOMEM)
		return r;
	r = load_section(root, "destinations", sizeof(*cat->dests), (void **)&cat->dests,
			 &cat->n_dests, dest_cb, d);
	if (r == -ENOMEM)
		return r;
	check_region_refs(cat, d);
	return load_flows(cat, root, d);
}

int catalog_load(const char *path, struct catalog **ret, struct diag *d)
{
	return catalog_load_checked(path, false, ret, d);
}

int catalog_load_checked(const char *path, bool strict_perms, struct catalog **ret, struct diag *d)
{
	struct catalog *cat;
	int r;

	cat = calloc(1, sizeof(*cat));
	if (!cat)
		return -ENOMEM;
	r = ydoc_load(path, strict_perms ? ydoc_check_perms_cb : NULL, d, &cat->doc, d);
	if (r == 0)
		r = catalog_build(cat, d);
	if (r == 0 && diag_failed(d))
		r = -EINVAL;
	if (r < 0) {
		catalog_free(cat);
		return r;
	}
	*ret = cat;
	return 0;
}

void catalog_free(struct catalog *cat)
{
	size_t i;

	if (!cat)
		return;
	for (i = 0; i < cat->n_regions; i++)
		free(cat->regions[i].cidrs);
	for (i = 0; i < cat->n_dests; i++)
		free(cat->dests[i].names);
	free(cat->regions);
	free(cat->dests);
	free(cat->flows);
	ydoc_free(cat->doc);
	free(cat);
}
