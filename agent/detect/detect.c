/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Host detection: the fact store, the detector sequence, and its two reports. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/detect/detect_int.h"

/* Appends one item of size sz to *arr (n used, cap allocated). NULL on OOM. */
static void *push(void **arr, size_t *n, size_t *cap, size_t sz)
{
	char *p;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;

		p = realloc(*arr, ncap * sz);
		if (!p)
			return NULL;
		*arr = p;
		*cap = ncap;
	}
	p = (char *)*arr + (*n)++ * sz;
	memset(p, 0, sz);
	return p;
}

const char *detect_intern(struct detection *det, const char *s)
{
	char **slot;
	size_t i;

	for (i = det->n_strings; i-- > 0;)
		if (!strcmp(det->strings[i], s))
			return det->strings[i];
	slot = push((void **)&det->strings, &det->n_strings, &det->cap_strings, sizeof(*slot));
	if (!slot)
		return NULL;
	*slot = strdup(s);
	if (!*slot) {
		det->n_strings--;
		return NULL;
	}
	return *slot;
}

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int detect_evidence(struct detection *det, const char *fact, const char *value, const char *source,
		    const char *note)
{
	struct evidence *ev;

	if (det->n_ev >= DETECT_MAX_ITEMS * 4)
		return 0; /* bounded: a hostile host cannot grow the report without end */
	ev = push((void **)&det->ev, &det->n_ev, &det->cap_ev, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	if (dup_opt(&ev->fact, fact) < 0 || dup_opt(&ev->value, value) < 0 ||
	    dup_opt(&ev->source, source) < 0 || dup_opt(&ev->note, note) < 0)
		return -ENOMEM;
	return 0;
}

static bool list_has(const struct endpoint_list *l, const char *text)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].text, text))
			return true;
	return false;
}

int detect_endpoint(struct detection *det, enum host_fact fact, const char *text, const char *file,
		    unsigned int line, struct diag *d)
{
	return detect_endpoint_note(det, fact, text, file, line, NULL, d);
}

static void source_of(char *buf, size_t len, const char *file, unsigned int line)
{
	if (line)
		snprintf(buf, len, "%s:%u", file, line);
	else
		snprintf(buf, len, "%s", file);
}

const char *detect_endpoint_refused(const struct endpoint *e, enum host_fact fact)
{
	const char *why = endpoint_kind_error(e, fact_kinds[fact]);

	if (!why && e->is_addr && e->addr.prefix == 0)
		why = "is every address: only the configuration may open a port to everyone";
	return why;
}

int detect_endpoint_note(struct detection *det, enum host_fact fact, const char *text,
			 const char *file, unsigned int line, const char *note, struct diag *d)
{
	struct endpoint_list *l = &det->lists[fact];
	struct loc loc = { detect_intern(det, file), line, 1 };
	char source[512];
	const char *why;
	struct endpoint e, *v;
	int r;

	if (!loc.file)
		return -ENOMEM;
	r = endpoint_parse(text, &e, &why);
	if (r < 0 && r != -ENOMEM)
		diag_warn(d, &loc, "%s '%s': %s, ignoring", fact_names[fact], text, why);
	else if (r == 0 && (why = detect_endpoint_refused(&e, fact)))
		diag_warn(d, &loc, "%s '%s' %s; ignoring", fact_names[fact], text, why);
	if (r < 0 || why) {
		endpoint_clear(&e);
		return r == -ENOMEM ? r : 0;
	}
	source_of(source, sizeof(source), file, line);
	/* A repeat adds nothing to the list, but a note about it is still evidence. */
	if (list_has(l, e.text) || l->n >= DETECT_MAX_ITEMS) {
		endpoint_clear(&e);
		return note ? detect_evidence(det, fact_names[fact], text, source, note) : 0;
	}
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v) {
		endpoint_clear(&e);
		return -ENOMEM;
	}
	l->v = v;
	e.loc = loc;
	l->v[l->n++] = e;
	l->set = true;
	return detect_evidence(det, fact_names[fact], text, source, note);
}

int detect_role(struct detection *det, enum fg_role role, const char *value, const char *source)
{
	char fact[64];

	det->roles |= 1U << role;
	snprintf(fact, sizeof(fact), "role %s", role_names[role]);
	return detect_evidence(det, fact, value, source, NULL);
}

int detect_conflict(struct detection *det, const char *where, const char *hook, int priority,
		    const char *policy, const char *meaning)
{
	struct fw_conflict *c;

	if (det->n_conflicts >= DETECT_MAX_ITEMS)
		return 0;
	c = push((void **)&det->conflicts, &det->n_conflicts, &det->cap_conflicts, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->priority = priority;
	if (dup_opt(&c->where, where) < 0 || dup_opt(&c->hook, hook) < 0 ||
	    dup_opt(&c->policy, policy) < 0 || dup_opt(&c->meaning, meaning) < 0)
		return -ENOMEM;
	return 0;
}

int detect_path(const char *root, const char *path, char *buf, size_t len)
{
	int n;

	if (!root || !strcmp(root, "/"))
		root = "";
	n = snprintf(buf, len, "%s%s", root, path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int detect_host(const char *root, unsigned int flags, struct detection **ret, struct diag *d)
{
	static int (*const detectors[])(struct detection *, const char *, struct diag *) = {
		detect_agent, detect_relay, detect_dcgw, detect_dns, detect_ntp, detect_firewalls,
	};
	struct detection *det;
	size_t i;
	int r;

	det = calloc(1, sizeof(*det));
	if (!det)
		return -ENOMEM;
	det->run_tools = flags & DETECT_RUN_TOOLS;
	for (i = 0; i < sizeof(detectors) / sizeof(detectors[0]); i++) {
		r = detectors[i](det, root, d);
		if (r < 0) {
			detection_free(det);
			return r;
		}
	}
	if (!det->roles)
		r = detect_evidence(det, "roles", NULL, "all detectors",
				    "no SWP software found: configure the roles (roles: [...])");
	*ret = det;
	return r < 0 ? r : 0;
}

void detection_free(struct detection *det)
{
	size_t i;

	if (!det)
		return;
	for (i = 0; i < det->n_ev; i++) {
		free(det->ev[i].fact);
		free(det->ev[i].value);
		free(det->ev[i].source);
		free(det->ev[i].note);
	}
	for (i = 0; i < det->n_conflicts; i++) {
		free(det->conflicts[i].where);
		free(det->conflicts[i].hook);
		free(det->conflicts[i].policy);
		free(det->conflicts[i].meaning);
	}
	for (i = 0; i < FACT_MAX; i++)
		endpoint_list_clear(&det->lists[i]);
	for (i = 0; i < det->n_strings; i++)
		free(det->strings[i]);
	free(det->strings);
	free(det->ev);
	free(det->conflicts);
	free(det->region);
	free(det->manager_url);
	free(det);
}
