/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fgres: the netns tests' driver for agent/resolver.c, with the poll loop the daemon will
 * have. Only ever run inside a network namespace the test made.
 *
 *   fgres [-s SERVER]... [-t MS] [-r TRIES] [-c MS] NAME...   resolve NAMEs at once
 *   fgres [-s SERVER]... [-t MS] [-r TRIES] -i                each stdin line is a batch
 *
 * -c frees the resolver MS after the queries start (pending answers: ECANCELED).
 * Prints a line per answer, "NAME STATUS ttl=T n=N ms=E ADDR... [detail='...']" with STATUS
 * "ok" or an errno name, and "." after each -i batch. Exit 0 when every query got exactly
 * one callback and none came from inside resolver_query(); 1: usage; 2: contract broken.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/dns/resolver.h"
#include "policies/model.h"

#define MAX_SERVERS 8
#define MAX_PENDING 4096
/* Longer than any timeout the tests set: a query still open then is a resolver bug. */
#define WAIT_MS 60000

struct pending {
	char *name;
	long start_ms;
	bool answered;
};

struct drv {
	struct pending v[MAX_PENDING];
	size_t n, open;
	bool in_query;
	int broken;
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_answer(void *userdata, const struct res_answer *a)
{
	struct drv *d = userdata;
	char buf[64];
	size_t i;

	if (d->in_query) {
		fprintf(stderr, "fgres: callback for '%s' inside resolver_query()\n", a->fqdn);
		d->broken = 1;
	}
	for (i = 0; i < d->n && (d->v[i].answered || strcmp(d->v[i].name, a->fqdn)); i++)
		;
	if (i == d->n) {
		fprintf(stderr, "fgres: extra callback for '%s'\n", a->fqdn);
		d->broken = 1;
		return;
	}
	d->v[i].answered = true;
	d->open--;
	printf("%s %s ttl=%u n=%zu ms=%ld", a->fqdn, a->status ? strerrorname_np(-a->status) : "ok",
	       a->ttl, a->n_addrs, now_ms() - d->v[i].start_ms);
	for (i = 0; i < a->n_addrs; i++)
		printf(" %s", rs_addr_format(&a->addrs[i], buf, sizeof(buf)));
	if (a->detail)
		printf(" detail='%s'", a->detail);
	printf("\n");
	fflush(stdout);
}

static int query(struct resolver *r, struct drv *d, const char *name)
{
	int err;

	if (d->n == MAX_PENDING)
		return -ENOSPC;
	d->v[d->n].name = strdup(name);
	d->v[d->n].start_ms = now_ms();
	d->v[d->n].answered = false;
	if (!d->v[d->n].name)
		return -ENOMEM;
	d->in_query = true;
	err = resolver_query(r, name);
	d->in_query = false;
	if (err < 0) {
		free(d->v[d->n].name);
		return err;
	}
	d->n++;
	d->open++;
	return 0;
}

/* One poll round over the resolver's sockets, at most limit_ms long. */
static int poll_once(struct resolver *r, int limit_ms)
{
	struct pollfd pfd[RESOLVER_MAX_FDS];
	size_t n;
	int t;

	n = resolver_fds(r, pfd, RESOLVER_MAX_FDS);
	t = resolver_timeout_ms(r);
	if (t < 0 || t > limit_ms)
		t = limit_ms;
	if (poll(pfd, n, t) < 0 && errno != EINTR)
		return -errno;
	resolver_process(r, pfd, n);
	return 0;
}

/* Polls until every answer is in, or for wait_ms; -ETIME when that is not enough. */
static int wait_all(struct resolver *r, struct drv *d, long wait_ms)
{
	long end = now_ms() + wait_ms;
	int err;

	while (d->open && now_ms() < end) {
		err = poll_once(r, (int)(end - now_ms()));
		if (err < 0)
			return err;
	}
	return d->open ? -ETIME : 0;
}

/* Queries each space-separated name of line. */
static int query_line(struct resolver *r, struct drv *d, char *line)
{
	char *save = NULL, *name;
	int err;

	for (name = strtok_r(line, " \t\n", &save); name; name = strtok_r(NULL, " \t\n", &save)) {
		err = query(r, d, name);
		if (err < 0)
			return err;
	}
	return 0;
}

/* -i: a line of names, then its answers and ".", until stdin ends. */
static int interactive(struct resolver *r, struct drv *d)
{
	char line[8192];
	int err;

	while (fgets(line, sizeof(line), stdin)) {
		err = query_line(r, d, line);
		if (!err)
			err = wait_all(r, d, WAIT_MS);
		if (err < 0)
			return err;
		printf(".\n");
		fflush(stdout);
	}
	return 0;
}

static int add_server(struct endpoint *v, size_t *n, const char *s)
{
	const char *why = NULL;

	if (*n == MAX_SERVERS || endpoint_parse(s, &v[*n], &why) < 0) {
		fprintf(stderr, "fgres: bad server '%s': %s\n", s, why ? why : "too many");
		if (*n < MAX_SERVERS)
			endpoint_clear(&v[*n]);
		return -EINVAL;
	}
	(*n)++;
	return 0;
}

int main(int argc, char **argv)
{
	static struct drv d;
	struct endpoint srv[MAX_SERVERS];
	struct endpoint_list servers = { .v = srv };
	struct resolver_opts o = { .servers = &servers };
	struct resolver *r;
	int c, err, cancel_ms = -1, i;
	bool inter = false;

	while ((c = getopt(argc, argv, "s:t:r:c:i")) != -1) {
		switch (c) {
		case 's':
			if (add_server(srv, &servers.n, optarg) < 0)
				return 1;
			break;
		case 't':
			o.timeout_ms = (unsigned int)atoi(optarg);
			break;
		case 'r':
			o.tries = (unsigned int)atoi(optarg);
			break;
		case 'c':
			cancel_ms = atoi(optarg);
			break;
		case 'i':
			inter = true;
			break;
		default:
			return 1;
		}
	}
	err = resolver_new(&o, on_answer, &d, &r);
	/* The resolver copies the servers' addresses: their texts are not needed after. */
	while (servers.n > 0)
		endpoint_clear(&srv[--servers.n]);
	if (err < 0) {
		fprintf(stderr, "fgres: resolver_new: %s\n", strerror(-err));
		return 1;
	}
	for (i = optind; i < argc && !err; i++)
		err = query(r, &d, argv[i]);
	if (!err && inter)
		err = interactive(r, &d);
	else if (!err)
		err = wait_all(r, &d, cancel_ms >= 0 ? cancel_ms : WAIT_MS);
	if (err == -ETIME && cancel_ms >= 0)
		err = 0;
	resolver_free(r);
	if (err < 0)
		fprintf(stderr, "fgres: %s\n", strerror(-err));
	if (d.open) {
		fprintf(stderr, "fgres: %zu queries never called back\n", d.open);
		d.broken = 1;
	}
	for (i = 0; i < (int)d.n; i++)
		free(d.v[i].name);
	return d.broken ? 2 : err < 0;
}
