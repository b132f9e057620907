/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Self-healing: nf_tables change events (netlink/monitor.h) tell us when another process
 * touched our table. Its events are collected until the NEWGEN that closes its
 * transaction names who did it; then the change is logged and a whole-table restore set
 * due (at most one per HEAL_MIN_INTERVAL_MS). Our own commits carry our portid and are
 * skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "agent/daemon/daemon_int.h"
#include "agent/util/clock.h"
#include "agent/util/log.h"

/* Restores closer together than this would be a fight with another tool; 4 a second is enough. */
#define HEAL_MIN_INTERVAL_MS 250
/* A restore that failed (e.g. the kernel refused) is tried again this much later. */
#define HEAL_RETRY_MS 1000

int heal_open(struct heal *h, uint32_t our_portid)
{
	*h = (struct heal){ .our_portid = our_portid, .due_ms = NEVER };
	return monitor_open(&h->mon);
}

void heal_close(struct heal *h)
{
	monitor_close(h->mon);
	h->mon = NULL;
}

int heal_fd(const struct heal *h)
{
	return monitor_fd(h->mon);
}

static const char *verb(unsigned int type)
{
	switch (type) {
	case NFT_MSG_NEWTABLE:
		return "changed the table";
	case NFT_MSG_DELTABLE:
		return "deleted the table";
	case NFT_MSG_NEWCHAIN:
		return "added or changed a chain";
	case NFT_MSG_DELCHAIN:
		return "deleted a chain";
	case NFT_MSG_NEWRULE:
		return "added a rule";
	case NFT_MSG_DELRULE:
		return "deleted a rule";
	case NFT_MSG_NEWSET:
		return "added a set";
	case NFT_MSG_DELSET:
		return "deleted a set";
	case NFT_MSG_NEWSETELEM:
		return "added elements";
	case NFT_MSG_DELSETELEM:
		return "deleted elements";
	default:
		return "changed objects";
	}
}

/* "deleted the table, deleted a rule" from the bit mask of event types. */
static void describe(uint64_t mask, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int t;

	buf[0] = '\0';
	/* Deleting a table deletes everything in it, event by event; one verb says it all. */
	if (mask & (1ULL << NFT_MSG_DELTABLE))
		mask = 1ULL << NFT_MSG_DELTABLE;
	for (t = 0; t < 64 && off < len; t++) {
		if (!(mask & (1ULL << t)))
			continue;
		if (strstr(buf, verb(t)))
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", verb(t));
	}
}

/* One read's outcome: the last foreign change it completed, if any. */
struct read_ctx {
	struct heal *h;
	struct heal_info found;
	bool any;
};

/* NEWGEN closes a transaction: if it touched our table, it names who did it. */
static void on_gen(struct read_ctx *c, const struct monitor_event *ev)
{
	struct heal_info *f = &c->found;

	if (!c->h->foreign || ev->portid == c->h->our_portid) {
		c->h->foreign = 0;
		return;
	}
	memset(f, 0, sizeof(*f));
	f->pid = ev->pid;
	if (ev->comm)
		snprintf(f->comm, sizeof(f->comm), "%s", ev->comm);
	describe(c->h->foreign, f->what, sizeof(f->what));
	c->h->foreign = 0;
	c->any = true;
}

static void on_event(void *data, const struct monitor_event *ev)
{
	struct read_ctx *c = data;

	if (ev->lost) {
		/* Events were dropped: we cannot tell what happened, so check it all. */
		memset(&c->found, 0, sizeof(c->found));
		snprintf(c->found.what, sizeof(c->found.what), "unknown changes (events lost)");
		c->h->foreign = 0;
		c->any = true;
		return;
	}
	if (ev->type == NFT_MSG_NEWGEN) {
		on_gen(c, ev);
		return;
	}
	if (ev->portid == c->h->our_portid || ev->family != NFPROTO_INET)
		return;
	/* portid 0 is the kernel itself: elements whose timeout ran out, not a person. */
	if (ev->portid == 0 && ev->type == NFT_MSG_DELSETELEM)
		return;
	if (ev->table && !strcmp(ev->table, FG_TABLE) && ev->type < 64)
		c->h->foreign |= 1ULL << ev->type;
}

void heal_read(struct heal *h)
{
	struct read_ctx c = { .h = h };
	uint64_t now, at;
	int r;

	r = monitor_read(h->mon, on_event, &c);
	if (r < 0)
		log_warn(r, "Failed to read nf_tables events: %m, ignoring");
	if (r < 0 || !c.any)
		return;
	now = now_ms();
	c.found.wall_ms = wall_ms();
	c.found.count = h->last.count + 1;
	h->last = c.found;
	if (c.found.pid)
		log_warn(0, "table inet %s: process %u ('%s') %s; restoring it", FG_TABLE,
			 c.found.pid, c.found.comm, c.found.what);
	else
		log_warn(0, "table inet %s: %s; checking it", FG_TABLE, c.found.what);
	at = h->last_ms + HEAL_MIN_INTERVAL_MS;
	if (h->due_ms == NEVER)
		h->due_ms = at > now ? at : now;
}

void heal_start(struct heal *h, uint64_t now)
{
	h->due_ms = NEVER;
	h->last_ms = now;
	h->restores++;
}

void heal_failed(struct heal *h, uint64_t now)
{
	h->due_ms = now + HEAL_RETRY_MS;
}
