/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What is blocked and why (issue 7): the final rules log to NFLOG group blocked.log-group
 * (rate-limited in the kernel); the daemon binds that group, aggregates every packet in the
 * blocked store (agent/report/blocked.h) and explains it against the current plan and names.
 * A new flow is one journal line at once (notice); repeats are one summary line per flow
 * at most every blocked.report-interval. The status file follows at most once a second, never
 * per packet. Another listener on the group (ulogd2, a second flowguard) is a warning:
 * enforcement does not depend on it.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent/daemon/daemon_int.h"
#include "agent/util/clock.h"
#include "agent/util/json.h"
#include "agent/util/log.h"

/* Headers are all the explanation reads; 256 bytes hold IPv6 with extension headers. */
#define EVENTS_SNAPLEN 256
/* The status file lists this many flows, most recent first (the store may hold 65536). */
#define STATUS_FLOWS_MAX 1024

static void ctx_now(const struct plan *p, const struct names *ns, struct blocked_ctx *c)
{
	*c = (struct blocked_ctx){ .plan = p,
				   .names = ns,
				   .now_ms = now_ms(),
				   .wall_ms = wall_ms() };
}

static void listen_group(struct events *ev, uint16_t group)
{
	int r;

	ev->group = group;
	r = nflog_open(group, EVENTS_SNAPLEN, true, &ev->nl);
	ev->error = r;
	if (r == -EBUSY)
		log_warn(r,
			 "NFLOG group %u is taken by another listener (ulogd2 or another "
			 "flowguard?): blocked flows are not reported; set blocked.log-group to "
			 "a free group, ignoring",
			 group);
	else if (r < 0)
		log_warn(r,
			 "Failed to listen on NFLOG group %u: %m; blocked flows are not "
			 "reported, ignoring",
			 group);
	else
		log_debug("Listening for blocked flows on NFLOG group %u", group);
	if (r < 0)
		ev->nl = NULL;
}

int events_open(struct events *ev, const struct events_cfg *c)
{
	int r;

	*ev = (struct events){ 0 };
	r = blocked_new(c->max_tracked, &ev->store);
	if (r < 0)
		return log_err(r, "Failed to set up the blocked-flow store: %m");
	ev->max_tracked = c->max_tracked;
	blocked_set_report_ms(ev->store, c->report_interval * 1000);
	listen_group(ev, (uint16_t)c->log_group);
	return 0;
}

void events_close(struct events *ev)
{
	nflog_close(ev->nl);
	ev->nl = NULL;
	blocked_free(ev->store);
	ev->store = NULL;
}

void events_reexplain(struct events *ev, const struct plan *p, const struct names *ns)
{
	struct blocked_ctx c;

	if (!ev->store || !blocked_count(ev->store))
		return;
	ctx_now(p, ns, &c);
	blocked_reexplain(ev->store, &c);
}

/* A new size starts a new store: the old entries are given up, the totals too. */
static void resize_store(struct events *ev, size_t max)
{
	struct blocked *b;
	int r;

	r = blocked_new(max, &b);
	if (r < 0) {
		log_warn(r,
			 "Failed to resize the blocked-flow store to %zu: %m; keeping %zu, "
			 "ignoring",
			 max, ev->max_tracked);
		return;
	}
	blocked_free(ev->store);
	ev->store = b;
	ev->max_tracked = max;
}

void events_release(struct events *ev, const struct events_cfg *c)
{
	if (c->max_tracked != ev->max_tracked)
		resize_store(ev, c->max_tracked);
	blocked_set_report_ms(ev->store, c->report_interval * 1000);
	if (ev->nl && c->log_group != ev->group) {
		nflog_close(ev->nl);
		ev->nl = NULL;
	}
}

void events_reload(struct events *ev, const struct events_cfg *c, const struct plan *p,
		   const struct names *ns)
{
	if (!ev->nl)
		listen_group(ev, (uint16_t)c->log_group);
	events_reexplain(ev, p, ns);
}

int events_fd(const struct events *ev)
{
	return ev->nl ? nflog_fd(ev->nl) : -1;
}

struct read_ctx {
	struct events *ev;
	struct blocked_ctx c;
	size_t n;
};

static void on_packet(void *data, const struct nflog_pkt *p)
{
	struct read_ctx *rc = data;
	struct blocked_entry *e;
	char line[BLOCKED_EXPLAIN_MAX + 256];
	bool is_new;

	rc->n++;
	if (blocked_add(rc->ev->store, p, &rc->c, &e, &is_new) < 0 || !e || !is_new)
		return;
	blocked_format(e, line, sizeof(line));
	log_notice("%s", line);
	blocked_mark_reported(e, rc->c.now_ms);
}

bool events_read(struct events *ev, const struct plan *p, const struct names *ns)
{
	struct read_ctx rc = { .ev = ev };
	uint64_t lost = 0;
	int r;

	if (!ev->nl)
		return false;
	/* One clock reading per batch: a burst is read in well under a millisecond. */
	ctx_now(p, ns, &rc.c);
	r = nflog_read(ev->nl, on_packet, &rc, &lost);
	if (r < 0 && r != -EAGAIN)
		log_warn(r, "Failed to read NFLOG group %u: %m, ignoring", ev->group);
	if (lost)
		blocked_count_lost(ev->store, lost);
	return rc.n || lost;
}

struct flush_ctx {
	uint64_t now;
};

/* "blocked tcp ... : why; 523 more packets in the last 60 s" */
static void on_summary(void *data, const struct blocked_entry *e, uint64_t new_packets)
{
	const struct flush_ctx *fc = data;
	char line[BLOCKED_EXPLAIN_MAX + 256];
	uint64_t since = e->reported_ms && fc->now > e->reported_ms ? fc->now - e->reported_ms : 0;

	if (!new_packets)
		return;
	blocked_format(e, line, sizeof(line));
	log_notice("%s; %" PRIu64 " more packet%s in the last %" PRIu64 " s", line, new_packets,
		   new_packets == 1 ? "" : "s", (since + 500) / 1000);
}

void events_flush(struct events *ev, uint64_t now)
{
	struct flush_ctx fc = { .now = now };

	if (ev->store)
		blocked_flush(ev->store, now, on_summary, &fc);
}

uint64_t events_next_deadline(const struct events *ev)
{
	return ev->store ? blocked_next_deadline(ev->store) : NEVER;
}

/* ---- status file ---- */

/* "2026-11-28T03:04:05Z", or null for 0. */
static void json_time(FILE *f, uint64_t wall_ms)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	char buf[32];

	if (!wall_ms || !gmtime_r(&t, &tm)) {
		fputs("null", f);
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "\"%s\"", buf);
}

static const char *proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	case IPPROTO_SCTP:
		return "sctp";
	default:
		snprintf(buf, len, "%u", p);
		return buf;
	}
}

static void write_flow(FILE *f, const struct blocked_entry *e)
{
	const struct blocked_why *w = &e->why;
	char a[64], p[8];

	fprintf(f,
		"      {\"chain\": \"%s\", \"verdict\": \"%s\", \"protocol\": \"%s\", "
		"\"source\": \"%s\", \"source_port\": %u, ",
		e->egress ? "egress" : "ingress", e->audit ? "would block" : "blocked",
		proto_name(e->l4proto, p, sizeof(p)), rs_addr_format(&e->saddr, a, sizeof(a)),
		e->sport);
	fprintf(f, "\"destination\": \"%s\", \"port\": %u, \"icmp_type\": ",
		rs_addr_format(&e->daddr, a, sizeof(a)), e->dport);
	if (e->icmp_type >= 0)
		fprintf(f, "%d", e->icmp_type);
	else
		fputs("null", f);
	fputs(", \"uid\": ", f);
	if (e->has_uid)
		fprintf(f, "%" PRIu32, e->uid);
	else
		fputs("null", f);
	fprintf(f,
		", \"packets\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"first_seen\": ", e->packets,
		e->bytes);
	json_time(f, e->first_wall_ms);
	fputs(", \"last_seen\": ", f);
	json_time(f, e->last_wall_ms);
	fputs(", \"name\": ", f);
	if (w->name[0])
		json_str(f, w->name);
	else
		fputs("null", f);
	fprintf(f, ", \"name_current\": %s, \"name_until\": ", w->name_current ? "true" : "false");
	json_time(f, w->name_current ? 0 : w->name_until_wall_ms);
	fputs(", \"port_flows\": ", f);
	json_str(f, w->port_flows);
	fputs(", \"closest\": ", f);
	json_str(f, w->closest);
	fputs(", \"explanation\": ", f);
	json_str(f, w->text);
	fputc('}', f);
}

static void write_totals(FILE *f, const struct events *ev)
{
	const struct blocked_stats *st = blocked_get_stats(ev->store);

	fprintf(f,
		"    \"totals\": {\"egress_blocked\": %" PRIu64 ", \"egress_would_block\": %" PRIu64
		", \"ingress_blocked\": %" PRIu64 ", \"ingress_would_block\": %" PRIu64
		", \"flows\": %zu, \"flows_created\": %" PRIu64 ", \"evicted\": %" PRIu64
		", \"lost\": %" PRIu64 ", \"foreign\": %" PRIu64 "},\n",
		st->packets[1][0], st->packets[1][1], st->packets[0][0], st->packets[0][1],
		blocked_count(ev->store), st->entries_created, st->evicted, st->lost, st->foreign);
}

void events_write_status(FILE *f, const struct events *ev)
{
	size_t i, n;

	fprintf(f,
		"  \"blocked\": {\n    \"log_group\": %u,\n    \"listening\": %s,\n"
		"    \"error\": ",
		ev->group, ev->nl ? "true" : "false");
	json_str(f, ev->error == -EBUSY ? "group taken by another listener" :
		    ev->error < 0	? strerror(-ev->error) :
					  "");
	fputs(",\n", f);
	if (!ev->store) {
		fputs("    \"totals\": {},\n    \"flows\": []\n  },\n", f);
		return;
	}
	write_totals(f, ev);
	fputs("    \"flows\": [", f);
	n = blocked_count(ev->store);
	for (i = 0; i < n && i < STATUS_FLOWS_MAX; i++) {
		fputs(i ? ",\n" : "\n", f);
		write_flow(f, blocked_get(ev->store, i));
	}
	fputs(n ? "\n    ]\n  },\n" : "]\n  },\n", f);
}
