/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The facts file: what "flowguard detect --json" prints, saved by a short privileged step
 * ("detect --save", run as root by the unit) and read back by the daemon, which runs as
 * an unprivileged user and cannot read the vendor's files or run its tools. JSON is YAML
 * flow syntax, so the project's own bounded loader reads it (policies/ynode.c); the file
 * decides what the host may reach, so it is held to the config files' rule: owned by
 * root, writable by nobody else.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/util/fileio.h"
#include "agent/detect/detect_int.h"
#include "policies/ynode.h"

static const char *const top_keys[] = { "roles",	 "region",	"legacy_dsaas",
					"communication", "manager_url", "facts",
					"evidence",	 "conflicts",	NULL };
static const char *const ev_keys[] = { "fact", "value", "source", "note", NULL };
static const char *const fw_keys[] = { "where", "hook", "priority", "policy", "meaning", NULL };

/*
 * Wall-clock second the machine booted: now minus the time since boot, rounded down (a
 * file written in the boot's first second is not "before" it).
 */
static time_t boot_time(void)
{
	struct timespec now, up;
	time_t boot;

	if (clock_gettime(CLOCK_REALTIME, &now) < 0 || clock_gettime(CLOCK_BOOTTIME, &up) < 0)
		return 0;
	boot = now.tv_sec - up.tv_sec;
	return now.tv_nsec < up.tv_nsec ? boot - 1 : boot;
}

/*
 * The config files' ownership rule, and freshness: a file written before this boot
 * describes a host that may have changed since (the unit rewrites it on every start and
 * reload, in /run, so only a --facts path on persistent storage can be stale).
 */
static int check_facts(const char *path, const struct stat *st, void *userdata)
{
	struct diag *d = userdata;
	struct loc loc = { path, 0, 0 };
	time_t boot = boot_time();
	char when[32];
	struct tm tm;

	if (!S_ISREG(st->st_mode)) {
		diag_err(d, &loc, "not a regular file");
		return -EINVAL;
	}
	if (ydoc_check_perms(path, st, d) < 0)
		return -EPERM;
	if (boot && st->st_mtime < boot) {
		if (!gmtime_r(&st->st_mtime, &tm) ||
		    !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm))
			snprintf(when, sizeof(when), "@%lld", (long long)st->st_mtime);
		diag_err(d, &loc,
			 "stale: written %s, before this boot; detect again with "
			 "'flowguard detect --save %s' (systemctl reload flowguard does)",
			 when, path);
		return -ESTALE;
	}
	return 0;
}

/* A JSON string: quoted (a plain 7 or true is another JSON type). */
static int get_str(const struct ynode *n, const char *what, const char **ret, struct diag *d)
{
	if (ynode_str(n, what, ret, d) < 0)
		return -EINVAL;
	if (n->plain) {
		diag_err(d, &n->loc, "%s must be a string, not %s", what, n->value);
		return -EINVAL;
	}
	return 0;
}

/* A string or null. *ret is NULL for null. */
static int opt_str(const struct ynode *n, const char *what, const char **ret, struct diag *d)
{
	*ret = NULL;
	if (n->type == YN_SCALAR && n->plain && !strcmp(n->value, "null"))
		return 0;
	return get_str(n, what, ret, d);
}

static int get_bool(const struct ynode *n, const char *what, bool *ret, struct diag *d)
{
	if (n->type == YN_SCALAR && n->plain && !strcmp(n->value, "true"))
		*ret = true;
	else if (n->type == YN_SCALAR && n->plain && !strcmp(n->value, "false"))
		*ret = false;
	else {
		diag_err(d, &n->loc, "%s must be true or false", what);
		return -EINVAL;
	}
	return 0;
}

static int get_int(const struct ynode *n, const char *what, int *ret, struct diag *d)
{
	char *end;
	long v;

	if (ynode_expect(n, YN_SCALAR, what, d) < 0)
		return -EINVAL;
	errno = 0;
	v = strtol(n->value, &end, 10);
	if (!n->plain || !n->value[0] || *end || errno || v < INT_MIN || v > INT_MAX) {
		diag_err(d, &n->loc, "%s must be an integer, not '%s'", what, n->value);
		return -EINVAL;
	}
	*ret = (int)v;
	return 0;
}

/* Copies an optional string into a newly allocated one (NULL stays NULL). */
static int dup_str(const char *s, char **ret)
{
	*ret = NULL;
	if (!s)
		return 0;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int load_comm(const struct ynode *n, struct detection *det, struct diag *d)
{
	const char *s;
	int idx;

	if (opt_str(n, "communication", &s, d) < 0)
		return -EINVAL;
	if (!s)
		return 0;
	if (ynode_enum(n, "communication", detect_comm_names, &idx, d) < 0)
		return -EINVAL;
	det->comm_known = true;
	det->comm = (enum fg_comm)idx;
	return 0;
}

/* Appends a parsed entry to its list (which then owns it); -EINVAL if refused. */
static int endpoint_take(struct detection *det, enum host_fact fact, const struct ynode *n,
			 struct endpoint *e, struct diag *d)
{
	struct endpoint_list *l = &det->lists[fact];
	const char *why;
	struct endpoint *v;

	/* What detection would have ignored: the file is not what detect --json writes. */
	why = detect_endpoint_refused(e, fact);
	if (why) {
		diag_err(d, &n->loc, "%s '%s' %s", fact_names[fact], n->value, why);
		return -EINVAL;
	}
	if (l->n >= DETECT_MAX_ITEMS) {
		diag_err(d, &n->loc, "%s: more than %d entries", fact_names[fact],
			 DETECT_MAX_ITEMS);
		return -EINVAL;
	}
	/* Where it came from is now this file; the evidence keeps the host file and line. */
	e->loc.file = detect_intern(det, n->loc.file);
	e->loc.line = n->loc.line;
	e->loc.col = n->loc.col;
	if (!e->loc.file)
		return -ENOMEM;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	l->v[l->n++] = *e;
	l->set = true;
	return 0;
}

/* One entry of a facts list, "host", "host:port" or "[v6]:port", as detection wrote it. */
static int load_endpoint(struct detection *det, enum host_fact fact, const struct ynode *n,
			 struct diag *d)
{
	const char *text, *why;
	struct endpoint e;
	int r;

	if (get_str(n, fact_names[fact], &text, d) < 0)
		return -EINVAL;
	r = endpoint_parse(text, &e, &why);
	if (r == 0)
		r = endpoint_take(det, fact, n, &e, d);
	else if (r != -ENOMEM)
		diag_err(d, &n->loc, "%s '%s': %s", fact_names[fact], text, why);
	if (r < 0)
		endpoint_clear(&e);
	return r < 0 && r != -ENOMEM ? -EINVAL : r;
}

static int load_facts(const struct ynode *map, struct detection *det, struct diag *d)
{
	size_t i, k;
	int fact, r = 0;

	if (ynode_expect(map, YN_MAP, "facts", d) < 0)
		return -EINVAL;
	for (i = 0; r == 0 && i + 1 < map->n; i += 2) {
		const struct ynode *list = map->items[i + 1];

		if (ynode_enum(map->items[i], "host fact", fact_names, &fact, d) < 0 ||
		    ynode_expect(list, YN_SEQ, fact_names[fact], d) < 0)
			return -EINVAL;
		for (k = 0; r == 0 && k < list->n; k++)
			r = load_endpoint(det, (enum host_fact)fact, list->items[k], d);
	}
	return r;
}

/* A map with exactly keys[] (every one present), for the lists of records. */
static int check_record(const struct ynode *n, const char *const *keys, const char *what,
			struct diag *d)
{
	size_t errors = d->n_errors;

	if (ynode_expect(n, YN_MAP, what, d) < 0)
		return -EINVAL;
	ymap_check_keys(n, keys, what, d);
	for (; *keys; keys++)
		if (!ymap_get(n, *keys))
			diag_err(d, &n->loc, "%s: missing '%s'", what, *keys);
	return d->n_errors > errors ? -EINVAL : 0;
}

static int load_evidence(const struct ynode *seq, struct detection *det, struct diag *d)
{
	const char *f[4];
	size_t i, k;

	if (ynode_expect(seq, YN_SEQ, "evidence", d) < 0)
		return -EINVAL;
	for (i = 0; i < seq->n; i++) {
		const struct ynode *n = seq->items[i];

		if (check_record(n, ev_keys, "evidence", d) < 0)
			return -EINVAL;
		for (k = 0; k < 4; k++)
			if (opt_str(ymap_get(n, ev_keys[k]), ev_keys[k], &f[k], d) < 0)
				return -EINVAL;
		if (!f[0] || !f[2]) {
			diag_err(d, &n->loc, "evidence needs a fact and a source");
			return -EINVAL;
		}
		if (detect_evidence(det, f[0], f[1], f[2], f[3]) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int load_conflicts(const struct ynode *seq, struct detection *det, struct diag *d)
{
	const char *where, *hook, *policy, *meaning;
	size_t i;
	int prio;

	if (ynode_expect(seq, YN_SEQ, "conflicts", d) < 0)
		return -EINVAL;
	for (i = 0; i < seq->n; i++) {
		const struct ynode *n = seq->items[i];

		if (check_record(n, fw_keys, "conflict", d) < 0 ||
		    get_str(ymap_get(n, "where"), "where", &where, d) < 0 ||
		    get_str(ymap_get(n, "hook"), "hook", &hook, d) < 0 ||
		    get_int(ymap_get(n, "priority"), "priority", &prio, d) < 0 ||
		    get_str(ymap_get(n, "policy"), "policy", &policy, d) < 0 ||
		    get_str(ymap_get(n, "meaning"), "meaning", &meaning, d) < 0)
			return -EINVAL;
		if (detect_conflict(det, where, hook, prio, policy, meaning) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int load_scalars(const struct ynode *root, struct detection *det, struct diag *d)
{
	const struct ynode *roles = ymap_get(root, "roles");
	const char *region, *url;

	/* [] is "none detected", which ynode_enum_mask() (made for configs) refuses. */
	if (ynode_expect(roles, YN_SEQ, "roles", d) < 0 ||
	    (roles->n && ynode_enum_mask(roles, "role", role_names, false, &det->roles, d) < 0) ||
	    opt_str(ymap_get(root, "region"), "region", &region, d) < 0 ||
	    get_bool(ymap_get(root, "legacy_dsaas"), "legacy_dsaas", &det->legacy_dsaas, d) < 0 ||
	    load_comm(ymap_get(root, "communication"), det, d) < 0 ||
	    opt_str(ymap_get(root, "manager_url"), "manager_url", &url, d) < 0)
		return -EINVAL;
	if (dup_str(region, &det->region) < 0 || dup_str(url, &det->manager_url) < 0)
		return -ENOMEM;
	return 0;
}

static int load_doc(const struct ydoc *doc, struct detection *det, struct diag *d)
{
	struct loc loc = { doc->file, 0, 0 };
	int r;

	if (!doc->root) {
		diag_err(d, &loc, "empty facts file");
		return -EINVAL;
	}
	r = check_record(doc->root, top_keys, "the facts file", d);
	if (r == 0)
		r = load_scalars(doc->root, det, d);
	if (r == 0)
		r = load_facts(ymap_get(doc->root, "facts"), det, d);
	if (r == 0)
		r = load_evidence(ymap_get(doc->root, "evidence"), det, d);
	if (r == 0)
		r = load_conflicts(ymap_get(doc->root, "conflicts"), det, d);
	return r;
}

int detection_load(const char *path, struct detection **ret, struct diag *d)
{
	struct detection *det;
	struct ydoc *doc = NULL;
	int r;

	r = ydoc_load(path, check_facts, d, &doc, d);
	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;
	det = calloc(1, sizeof(*det));
	if (!det) {
		ydoc_free(doc);
		return -ENOMEM;
	}
	r = load_doc(doc, det, d);
	ydoc_free(doc);
	if (r < 0) {
		detection_free(det);
		return r;
	}
	*ret = det;
	return 0;
}

static int write_json(FILE *f, const void *det)
{
	return detection_print_json(det, f);
}

int detection_save(const struct detection *det, const char *path)
{
	/* 0644: the daemon's user reads it; only root writes it (the loader insists). */
	return file_replace(path, 0644, write_json, det);
}
