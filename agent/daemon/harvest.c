/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's side of DNS answer harvest and hold (harvest_int.h): read the answers,
 * take the addresses of allowed names into the store, commit the sets that changed once
 * per read, then let the held answers go.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "agent/daemon/daemon_int.h"
#include "agent/util/json.h"
#include "agent/util/log.h"

/* What the listener copies of each answer: as much as the rules' snaplen. */
#define HARVEST_COPY 4352
/* Store entries one read may change before the rest waits for the next read. */
#define BATCH_NAMES 64
/* Held answers one read takes before it commits and lets them go. */
#define BATCH_HELD 256

struct batch {
	struct daemon *dm;
	uint64_t now;	/* CLOCK_BOOTTIME ms, for the store */
	double t0;	/* CLOCK_MONOTONIC s when the read began */
	size_t changed[BATCH_NAMES];
	size_t n_changed;
	size_t n_timed; /* answers that changed a set: one latency sample each */
	bool full;	/* changed[] is full: stop taking answers in this read */
};

static const char *const reject_words[HARVEST_REJ_MAX] = {
	[HARVEST_REJ_MALFORMED] = "not a DNS message flowguard reads",
	[HARVEST_REJ_NOT_ANSWER] = "not an answer to one IN question",
	[HARVEST_REJ_CHAIN] = "a CNAME or address record outside the chain from the question",
	[HARVEST_REJ_CUT] = "the copy ends before the datagram does",
	[HARVEST_REJ_NOT_UDP] = "not a UDP datagram",
};

/* Counted always; said in the log the first time for each reason. */
static void reject(struct harvest *hv, enum harvest_reject why, const char *qname)
{
	hv->st.rejected[why]++;
	if (hv->logged & (1U << why))
		return;
	hv->logged |= 1U << why;
	log_notice("DNS answer harvest: rejected an answer%s%s%s: %s; further ones are counted "
		   "in flowguard status", qname && qname[0] ? " for '" : "",
		   qname ? qname : "", qname && qname[0] ? "'" : "", reject_words[why]);
}

static void mark_changed(struct batch *b, size_t idx)
{
	size_t i;

	for (i = 0; i < b->n_changed; i++)
		if (b->changed[i] == idx)
			return;
	b->changed[b->n_changed++] = idx;
	b->full = b->n_changed == BATCH_NAMES;
}

/* One answer's UDP datagram (l4) into the store. */
static void take_answer(struct batch *b, const uint8_t *l4, size_t l4_len)
{
	struct harvest *hv = b->dm->hv;
	size_t idx[HARVEST_MATCH_MAX], n, i;
	struct harvest_answer a;
	struct names_event ev;
	enum harvest_reject r;
	const uint8_t *msg;
	size_t len;
	bool changed = false;

	a.chain[0][0] = '\0';
	hv->st.seen++;
	r = harvest_udp_payload(l4, l4_len, &msg, &len);
	if (r == HARVEST_OK)
		r = harvest_parse(msg, len, &a);
	if (r != HARVEST_OK) {
		reject(hv, r, r == HARVEST_REJ_CHAIN ? a.chain[0] : NULL);
		return;
	}
	n = harvest_match(b->dm->names, &a, idx, HARVEST_MATCH_MAX);
	if (!n || !a.n_addrs) {
		hv->st.ignored++;
		return;
	}
	hv->st.harvested++;
	for (i = 0; i < n && !b->full; i++) {
		if (names_harvest(b->dm->names, idx[i], a.addrs, a.n_addrs, a.ttl, b->now, &ev) < 0)
			continue;
		hv->st.added += ev.added;
		hv->st.dropped += ev.dropped;
		if (ev.sets_changed) {
			mark_changed(b, idx[i]);
			changed = true;
		}
	}
	b->n_timed += changed;
	log_debug("DNS answer for '%s': %zu addresses, TTL %u s, %zu names%s", a.chain[0],
		  a.n_addrs, a.ttl, n, changed ? ", sets changed" : "");
}

/* The sets of every name the read changed, then the latency of the answers that did it. */
static void commit(struct batch *b)
{
	struct daemon *dm = b->dm;
	struct harvest *hv = dm->hv;
	const struct name_state *s;
	size_t i;
	int r, fail = 0;
	uint64_t us;

	for (i = 0; i < b->n_changed; i++) {
		s = names_get(dm->names, b->changed[i]);
		r = s ? sets_sync_name(dm, s->fqdn) : 0;
		if (r < 0 && !fail)
			fail = r;
	}
	if (!b->n_changed)
		return;
	hv->st.commits++;
	if (fail) {
		hv->st.commit_failures++;
		if (dm->heal_due_ms == NEVER)
			dm->heal_due_ms = now_ms();
	}
	us = (uint64_t)((mono_s() - b->t0) * 1e6);
	for (i = 0; i < b->n_timed; i++)
		latency_add(&hv->st.lat, us);
}

/* After the commit: the blocked-flow explanations and the files follow, rate-limited. */
static void after(struct batch *b)
{
	if (!b->n_changed)
		return;
	events_reexplain(b->dm);
	state_changed_soon(b->dm);
}

static void batch_init(struct batch *b, struct daemon *dm)
{
	memset(b, 0, sizeof(*b));
	b->dm = dm;
	b->now = now_ms();
	b->t0 = mono_s();
}

static void on_copy(void *data, const struct nflog_pkt *p)
{
	struct batch *b = data;

	if (b->full) {
		b->dm->hv->st.lost++; /* this read's names are full: the answer is not taken */
		return;
	}
	if (p->l4proto != IPPROTO_UDP) {
		reject(b->dm->hv, HARVEST_REJ_NOT_UDP, NULL);
		return;
	}
	take_answer(b, p->l4, p->l4_len);
}

static void read_copies(struct daemon *dm)
{
	struct harvest *hv = dm->hv;
	uint64_t lost = 0;
	struct batch b;
	int r;

	batch_init(&b, dm);
	r = nflog_read(hv->nl, on_copy, &b, &lost);
	if (r < 0 && r != -EAGAIN)
		log_warn(r, "Failed to read NFLOG group %u: %m, ignoring", hv->group);
	hv->st.lost += lost;
	commit(&b);
	after(&b);
}

/* The helper died (killed): the bound is not kept without it; start another. */
static void helper_gone(struct daemon *dm)
{
	struct harvest *hv = dm->hv;
	int r;

	log_err(-ECHILD, "The hold helper is gone: DNS answers wait without a bound; "
			 "restarting it");
	hold_stop(&hv->hold);
	r = hold_start(hv->queue, hv->bound_us, &hv->hold);
	if (r < 0) {
		hv->mode = HARVEST_OFF;
		snprintf(hv->error, sizeof(hv->error), "hold helper gone, restart failed: %s",
			 strerror(-r));
		log_err(r, "Failed to restart the hold helper: %m; answers pass without being "
			   "held or harvested (bypass)");
	}
}

struct held {
	struct batch b;
	uint32_t ids[BATCH_HELD];
	size_t n;
};

static void on_held(void *data, uint32_t id, const uint8_t *l4, size_t len)
{
	struct held *hd = data;

	/* Past the batch's room: it goes on unharvested now, rather than wait. */
	if (hd->n == BATCH_HELD || hd->b.full) {
		hold_release(&hd->b.dm->hv->hold, id);
		hd->b.dm->hv->st.lost++;
		return;
	}
	hd->ids[hd->n++] = id;
	take_answer(&hd->b, l4, len);
}

static void read_held(struct daemon *dm)
{
	struct harvest *hv = dm->hv;
	struct held hd;
	size_t i;
	int r;

	batch_init(&hd.b, dm);
	hd.n = 0;
	r = hold_read(&hv->hold, on_held, &hd);
	if (r < 0 && r != -EAGAIN)
		log_warn(r, "Failed to read queue %u: %m, ignoring", hv->queue);
	commit(&hd.b);
	/* The sets hold them now (or the commit failed, and waiting longer would not help). */
	for (i = 0; i < hd.n; i++)
		hold_release(&hv->hold, hd.ids[i]);
	after(&hd.b);
	if (!hold_alive(&hv->hold))
		helper_gone(dm);
}

void harvest_read(struct daemon *dm)
{
	if (!dm->hv)
		return;
	if (dm->hv->mode == HARVEST_HOLD)
		read_held(dm);
	else if (dm->hv->mode == HARVEST_COPY)
		read_copies(dm);
}

int harvest_fd(const struct daemon *dm)
{
	const struct harvest *hv = dm->hv;

	if (!hv || hv->mode == HARVEST_OFF)
		return -1;
	return hv->mode == HARVEST_HOLD ? hold_fd(&hv->hold) : nflog_fd(hv->nl);
}

static void open_copy(struct harvest *hv)
{
	int r = nflog_open(hv->group, HARVEST_COPY, false, &hv->nl);

	if (r == -EBUSY)
		snprintf(hv->error, sizeof(hv->error), "NFLOG group %u is taken by another "
			 "listener; set harvest.log-group to a free group", hv->group);
	else if (r < 0)
		snprintf(hv->error, sizeof(hv->error), "cannot listen on NFLOG group %u: %s",
			 hv->group, strerror(-r));
	if (r < 0) {
		hv->nl = NULL;
		log_warn(r, "DNS answer harvest: %s; the sets follow flowguard's own queries only, "
			    "ignoring", hv->error);
		return;
	}
	hv->mode = HARVEST_COPY;
	log_debug("Harvesting DNS answers from NFLOG group %u", hv->group);
}

static void open_hold(struct harvest *hv, unsigned int features)
{
	int r;

	hv->hold_via = features & NFT_FEAT_QUEUE ? "nft_queue" : "nft_compat";
	r = hold_start(hv->queue, hv->bound_us, &hv->hold);
	if (r < 0) {
		snprintf(hv->error, sizeof(hv->error), "%s", r == -EBUSY ?
			 "the queue is taken by another listener; set harvest.queue to a free one" :
			 strerror(-r));
		log_err(r, "DNS answer hold: cannot listen on queue %u: %s; answers pass without "
			   "being held or harvested (bypass)", hv->queue, hv->error);
		return;
	}
	hv->mode = HARVEST_HOLD;
	log_info("Holding DNS answers in queue %u (%s) until their sets are committed, at most "
		 "%" PRIu64 " ms each", hv->queue, hv->hold_via, hv->bound_us / 1000);
}

int harvest_open(struct daemon *dm)
{
	const struct harvest_cfg *c = &dm->gen->cfg->harvest;
	unsigned int f = dm->nft.features;
	struct harvest *hv;

	hv = calloc(1, sizeof(*hv));
	if (!hv)
		return log_err(-ENOMEM, "Failed to set up DNS answer harvest: %m");
	hv->hold.pipe = -1;
	dm->hv = hv;
	if (!c->enabled)
		return 0;
	hv->group = (uint16_t)c->log_group;
	hv->queue = (uint16_t)c->queue;
	hv->bound_us = c->hold_timeout_ms * 1000;
	hv->hold_wanted = c->hold;
	/* The same test as the plan's (daemon_gen_load): the table queues only if we can. */
	if (c->hold && (f & (NFT_FEAT_QUEUE | NFT_FEAT_QUEUE_COMPAT))) {
		open_hold(hv, f);
		return 0;
	}
	if (c->hold) {
		snprintf(hv->error, sizeof(hv->error), "hold unavailable: the kernel has neither "
			 "nft_queue nor nft_compat with xt_NFQUEUE; harvest only");
		log_warn(0, "DNS answer hold: %s", hv->error);
	}
	open_copy(hv);
	return 0;
}

void harvest_close(struct daemon *dm)
{
	struct harvest *hv = dm->hv;

	if (!hv)
		return;
	if (hv->hold.sh)
		hold_stop(&hv->hold);
	nflog_close(hv->nl);
	free(hv);
	dm->hv = NULL;
}

static bool same_settings(const struct harvest *hv, const struct harvest_cfg *c)
{
	if (!c->enabled)
		return !hv->group && !hv->queue;
	return hv->group == c->log_group && hv->queue == c->queue && hv->hold_wanted == c->hold &&
	       hv->bound_us == c->hold_timeout_ms * 1000;
}

void harvest_reload(struct daemon *dm)
{
	struct harvest_stats st;

	if (dm->hv && same_settings(dm->hv, &dm->gen->cfg->harvest))
		return;
	if (dm->hv)
		st = dm->hv->st;
	else
		memset(&st, 0, sizeof(st));
	harvest_close(dm);
	if (harvest_open(dm) == 0)
		dm->hv->st = st;
}

/* ---- status file ---- */

static const char *mode_name(enum harvest_mode m)
{
	return m == HARVEST_HOLD ? "hold" : m == HARVEST_COPY ? "copy" : "off";
}

static void write_hold(FILE *f, const struct harvest *hv)
{
	const struct hold_shared *sh = hv->hold.sh;
	struct hold_shared z = { 0 };

	if (!sh)
		sh = &z;
	fprintf(f, "    \"hold\": {\"requested\": %s, \"via\": ", hv->hold_wanted ? "true" : "false");
	json_str(f, hv->mode == HARVEST_HOLD ? hv->hold_via : "");
	fprintf(f, ", \"timeout_ms\": %" PRIu64 ", \"held\": %" PRIu64 ", \"on_time\": %" PRIu64
		   ", \"late\": %" PRIu64 ", \"unheld\": %" PRIu64 ", \"lost\": %" PRIu64
		   ", \"latency_p50_us\": %u, \"latency_p99_us\": %u},\n",
		hv->bound_us / 1000, sh->held, sh->on_time, sh->late, sh->unheld, sh->lost,
		latency_percentile(&hv->hold.lat, 50), latency_percentile(&hv->hold.lat, 99));
}

static void write_answers(FILE *f, const struct harvest_stats *st)
{
	int k;

	fprintf(f, "    \"answers\": {\"seen\": %" PRIu64 ", \"harvested\": %" PRIu64
		   ", \"ignored\": %" PRIu64 ", \"lost\": %" PRIu64 ", \"rejected\": {",
		st->seen, st->harvested, st->ignored, st->lost);
	for (k = 1; k < HARVEST_REJ_MAX; k++)
		fprintf(f, "%s\"%s\": %" PRIu64, k > 1 ? ", " : "", harvest_reject_names[k],
			st->rejected[k]);
	fputs("}},\n", f);
}

void harvest_write_status(FILE *f, const struct daemon *dm)
{
	const struct harvest *hv = dm->hv;
	const struct harvest_stats *st;

	if (!hv) {
		fputs("  \"harvest\": {\"enabled\": false, \"mode\": \"off\"},\n", f);
		return;
	}
	st = &hv->st;
	fprintf(f, "  \"harvest\": {\n    \"enabled\": %s,\n    \"mode\": \"%s\",\n"
		   "    \"log_group\": %u,\n    \"queue\": %u,\n    \"error\": ",
		dm->gen->cfg->harvest.enabled ? "true" : "false", mode_name(hv->mode), hv->group,
		hv->queue);
	json_str(f, hv->error);
	fputs(",\n", f);
	write_hold(f, hv);
	write_answers(f, st);
	fprintf(f, "    \"addresses_added\": %" PRIu64 ",\n    \"addresses_dropped\": %" PRIu64
		   ",\n    \"commits\": %" PRIu64 ",\n    \"commit_failures\": %" PRIu64
		   ",\n    \"latency_p50_us\": %u,\n    \"latency_p99_us\": %u\n  },\n",
		st->added, st->dropped, st->commits, st->commit_failures,
		latency_percentile(&st->lat, 50), latency_percentile(&st->lat, 99));
}
