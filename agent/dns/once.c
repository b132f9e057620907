/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One round of the daemon's first resolution, blocking: every name of a plan asked once
 * through the same resolver and names store, and the plan's DNS-fed sets filled with the
 * answers as the daemon would fill them (each address with the name as comment and the
 * timeout it stays allowed). For `flowguard plan`, which shows what the table would hold.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "agent/dns/once.h"
#include "agent/util/clock.h"

struct once_ctx {
	struct names *ns;
	struct dns_once *res;
	size_t pending;
};

static int failed_add(struct dns_once *o, const char *fqdn, int err)
{
	struct dns_once_failure *v;

	v = realloc(o->failed, (o->n_failed + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	o->failed = v;
	v[o->n_failed].fqdn = strdup(fqdn);
	if (!v[o->n_failed].fqdn)
		return -ENOMEM;
	v[o->n_failed++].error = err;
	return 0;
}

static void on_answer(void *userdata, const struct res_answer *a)
{
	struct once_ctx *c = userdata;
	struct names_event ev;

	c->pending--;
	if (a->status == -ECANCELED)
		return;
	names_answer(c->ns, a, now_ms(), &ev);
	if (a->status == 0)
		c->res->answered++;
	else
		failed_add(c->res, a->fqdn, a->status);
}

static int ask_all(struct resolver *r, struct once_ctx *c)
{
	const char *due[64];
	size_t n, i;
	int err;

	while ((n = names_due(c->ns, now_ms(), due, 64)) > 0) {
		for (i = 0; i < n; i++) {
			err = resolver_query(r, due[i]);
			if (err < 0)
				return err;
			c->pending++;
		}
	}
	return 0;
}

/* Polls the resolver until every query is answered or the deadline passes. */
static void wait_answers(struct resolver *r, struct once_ctx *c, uint64_t deadline)
{
	struct pollfd pfd[RESOLVER_MAX_FDS];
	uint64_t now;
	size_t n;
	int t, rt;

	while (c->pending && (now = now_ms()) < deadline) {
		n = resolver_fds(r, pfd, RESOLVER_MAX_FDS);
		t = (int)(deadline - now);
		rt = resolver_timeout_ms(r);
		if (rt >= 0 && rt < t)
			t = rt;
		if (poll(pfd, n, t) < 0 && errno != EINTR)
			return;
		resolver_process(r, pfd, n);
	}
}

static int fill_sets(struct plan *p, const struct names *ns)
{
	struct rs_set *s;
	size_t i;
	int r;

	for (i = 0; i < p->rs->n_sets; i++) {
		s = &p->rs->sets[i];
		if (!s->dynamic)
			continue;
		r = names_fill_set(ns, s->name, now_ms(), s);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	return 0;
}

int dns_once_fill(struct plan *p, const struct names_opts *no, const struct resolver_opts *ro,
		  unsigned int timeout_ms, struct dns_once *ret)
{
	struct once_ctx c = { .res = ret };
	struct resolver *r = NULL;
	int err;

	memset(ret, 0, sizeof(*ret));
	err = names_new(p, no, &c.ns);
	if (err < 0)
		return err;
	ret->names = names_count(c.ns);
	err = resolver_new(ro, on_answer, &c, &r);
	if (err == 0)
		err = ask_all(r, &c);
	if (err == 0)
		wait_answers(r, &c, now_ms() + timeout_ms);
	ret->unanswered = c.pending;
	resolver_free(r);
	if (err == 0)
		err = fill_sets(p, c.ns);
	names_free(c.ns);
	return err;
}

void dns_once_clear(struct dns_once *o)
{
	size_t i;

	for (i = 0; i < o->n_failed; i++)
		free(o->failed[i].fqdn);
	free(o->failed);
	memset(o, 0, sizeof(*o));
}
