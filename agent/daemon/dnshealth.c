/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DNS failures, summarised. Each failed answer is a debug line; what the journal gets is
 * one warning when the resolvers stop answering (timeouts or refusals, and no answer at
 * all in the first DNSHEALTH_WINDOW_MS: an outage), naming the servers, how many names are
 * affected and when the next retry goes out, and one line when they answer again. Names
 * that fail on their own (NXDOMAIN, no address, a bad answer) while others resolve get one
 * line per window for the names that started failing in it; names that resolve again
 * after failing, one line per window too.
 * Failures are retried with backoff (names.h), so nothing here says "ignoring".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/daemon/daemon_int.h"
#include "agent/util/log.h"

/* Failures are collected this long before the summary: the first round of queries. */
#define DNSHEALTH_WINDOW_MS 2000

void dnshealth_reset(struct dnshealth *h, const struct resolver *res)
{
	bool outage = h->outage;
	uint64_t since = h->since_ms, wall = h->since_wall_ms;
	int err = h->error;

	/* A reload keeps an outage going: the servers may be the same ones. */
	memset(h, 0, sizeof(*h));
	h->due_ms = NEVER;
	h->outage = outage;
	h->since_ms = since;
	h->since_wall_ms = wall;
	h->error = err;
	resolver_servers_text(res, h->servers, sizeof(h->servers));
	if (!h->servers[0])
		snprintf(h->servers, sizeof(h->servers), "the host's resolvers");
}

/* The resolver's fault (no answer), not the name's. */
static bool server_error(int err)
{
	return err == -ETIMEDOUT || err == -ECONNREFUSED;
}

static void open_window(struct dnshealth *h, uint64_t now)
{
	if (h->due_ms == NEVER)
		h->due_ms = now + DNSHEALTH_WINDOW_MS;
}

void dnshealth_answer(struct dnshealth *h, const struct res_answer *a, unsigned int prior_failures,
		      uint64_t now, uint64_t wall)
{
	/* Any answer but silence or a refusal means the servers answer. */
	if (!server_error(a->status))
		h->window_ok++;
	if (a->status == 0) {
		if (h->outage) {
			log_info("DNS: %s answer%s again after %llu s", h->servers,
				 strchr(h->servers, ',') ? "" : "s",
				 (unsigned long long)(now - h->since_ms) / 1000);
			h->outage = false;
		}
		if (prior_failures) {
			if (h->n_back < DNSHEALTH_SAMPLES)
				snprintf(h->back_names[h->n_back++], sizeof(h->back_names[0]), "%s",
					 a->fqdn);
			h->back_total++;
			open_window(h, now);
		}
		return;
	}
	if (h->outage)
		return;
	if (server_error(a->status) && !h->window_server++) {
		h->window_since_ms = now;
		h->window_since_wall_ms = wall;
		h->error = a->status;
	}
	if (!prior_failures) {
		if (h->n_new < DNSHEALTH_SAMPLES)
			snprintf(h->new_names[h->n_new++], sizeof(h->new_names[0]), "%s (%s)",
				 a->fqdn, resolver_error_text(a->status));
		h->new_total++;
	}
	open_window(h, now);
}

/* Over the names that fail now: how many, the addresses they keep, the next retry. */
static void failing(const struct names *ns, size_t *ret_n, size_t *ret_kept, uint64_t *ret_next)
{
	const struct name_state *s;
	size_t i, n = 0, kept = 0;
	uint64_t next = NEVER;

	for (i = 0; i < names_count(ns); i++) {
		s = names_get(ns, i);
		if (!s || !s->failures)
			continue;
		n++;
		kept += s->n_addrs;
		if (!s->in_flight && s->next_query_ms < next)
			next = s->next_query_ms;
	}
	*ret_n = n;
	*ret_kept = kept;
	*ret_next = next;
}

void dnshealth_summary(const struct names *ns, uint64_t now, struct dnshealth_summary *ret)
{
	failing(ns, &ret->failing, &ret->kept, &ret->next_retry_ms);
	ret->names = names_count(ns);
	ret->next_retry_s = ret->next_retry_ms == NEVER ? 0 :
			    ret->next_retry_ms > now	? (ret->next_retry_ms - now + 999) / 1000 :
							  0;
}

static void report_outage(struct dnshealth *h, const struct dnshealth_summary *sum)
{
	h->outage = true;
	h->since_ms = h->window_since_ms;
	h->since_wall_ms = h->window_since_wall_ms;
	log_warn(0,
		 "DNS: %s do%s not answer (%s): %zu of %zu names affected, %zu cached "
		 "addresses kept; retrying with backoff, next in %llu s",
		 h->servers, strchr(h->servers, ',') ? "" : "es", resolver_error_text(h->error),
		 sum->failing, sum->names, sum->kept, (unsigned long long)sum->next_retry_s);
}

/* "a (NXDOMAIN), b (timeout) and 3 more" */
static void sample_list(char (*v)[300], size_t n, size_t total, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", v[i]);
	if (total > n && off < len)
		snprintf(buf + off, len - off, " and %zu more", total - n);
}

static void report_names(struct dnshealth *h, const struct dnshealth_summary *sum)
{
	char list[DNSHEALTH_SAMPLES * 300];

	sample_list(h->new_names, h->n_new, h->new_total, list, sizeof(list));
	log_warn(0,
		 "DNS: %zu name%s started failing: %s; %zu of %zu names fail now, %zu cached "
		 "addresses kept; retrying with backoff, next in %llu s",
		 h->new_total, h->new_total == 1 ? "" : "s", list, sum->failing, sum->names,
		 sum->kept, (unsigned long long)sum->next_retry_s);
}

static void report_back(struct dnshealth *h)
{
	char list[DNSHEALTH_SAMPLES * 300];

	sample_list(h->back_names, h->n_back, h->back_total, list, sizeof(list));
	log_info("DNS: %zu name%s resolve%s again: %s", h->back_total,
		 h->back_total == 1 ? "" : "s", h->back_total == 1 ? "s" : "", list);
}

void dnshealth_flush(struct dnshealth *h, const struct names *ns, uint64_t now)
{
	struct dnshealth_summary sum;

	dnshealth_summary(ns, now, &sum);
	/* Timeouts while other names resolve are those names' own trouble. */
	if (h->window_server && !h->window_ok)
		report_outage(h, &sum);
	else if (h->new_total)
		report_names(h, &sum);
	if (h->back_total)
		report_back(h);
	h->due_ms = NEVER;
	h->window_server = h->window_ok = 0;
	h->n_new = h->new_total = h->n_back = h->back_total = 0;
}
