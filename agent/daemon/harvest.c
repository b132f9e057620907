/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DNS answer harvest, the daemon's part (harvest_int.h): read the answers the table
 * copied or holds, take the addresses of allowed names into the store, and, once
 * refresh.c has committed the sets that changed, let the held answers go.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "agent/daemon/daemon_int.h"
#include "agent/util/clock.h"
#include "agent/util/json.h"
#include "agent/util/log.h"

/*
 * Copies taken per read: the sets are committed before more are read, so a steady stream
 * of answers cannot keep the first one's addresses waiting.
 */
#define HARVEST_READ_MAX 32
/* What the listener copies of each answer: as much as the rules' snaplen. */
#define HARVEST_COPY 4352

static const char *const reject_words[HARVEST_REJ_MAX] = {
	[HARVEST_REJ_MALFORMED] = "not a DNS message flowguard reads",
	[HARVEST_REJ_NOT_ANSWER] = "not an answer to one IN question",
	[HARVEST_REJ_CHAIN] = "a CNAME or address record outside the chain from the question",
	[HARVEST_REJ_CUT] = "the copy ends before the datagram does",
	[HARVEST_REJ_NOT_UDP] = "not a UDP datagram",
	[HARVEST_REJ_NO_QUERY] = "no query this host sent has its id, question and addresses",
	[HARVEST_REJ_OVERSIZE] = "larger than its query takes over UDP",
	[HARVEST_REJ_TRUNCATED] = "truncated (the asker retries over TCP, which is not seen)",
};

/* Counted always; said in the log the first time for each reason. */
static void reject(struct harvest *hv, enum harvest_reject why, const char *qname)
{
	hv->st.rejected[why]++;
	if (hv->logged & (1U << why))
		return;
	hv->logged |= 1U << why;
	log_notice("DNS answer harvest: rejected an answer%s%s%s: %s; further ones are counted "
		   "in flowguard status",
		   qname && qname[0] ? " for '" : "", qname ? qname : "",
		   qname && qname[0] ? "'" : "", reject_words[why]);
}

static void mark_changed(struct harvest_batch *b, size_t idx)
{
	size_t i;

	for (i = 0; i < b->n_changed; i++)
		if (b->changed[i] == idx)
			return;
	b->changed[b->n_changed++] = idx;
	b->full = b->n_changed == HARVEST_BATCH_NAMES;
}

struct take {
	struct harvest *hv;
	struct names *ns;
	const struct resolver *res; /* flowguard's own: its answers are not harvested */
	struct harvest_batch *b;
};

/* The flow of packet p as its query went: an answer comes back from the server. */
static void flow_of(const struct nflog_pkt *p, bool answer, struct harvest_flow *ret)
{
	ret->client = answer ? p->daddr : p->saddr;
	ret->server = answer ? p->saddr : p->daddr;
	ret->client_port = answer ? p->dport : p->sport;
	ret->server_port = answer ? p->sport : p->dport;
}

/* A query this host sent: remembered until its answer comes (or it is too old). */
static void take_query(const struct take *t, const struct nflog_pkt *p)
{
	struct harvest_flow f;
	struct harvest_query q;
	const uint8_t *msg;
	size_t len;

	if (harvest_udp_payload(p->l4, p->l4_len, &msg, &len) != HARVEST_OK ||
	    harvest_parse_query(msg, len, &q) != HARVEST_OK)
		return;
	flow_of(p, false, &f);
	/* The resolver takes its own answers in, under its own rules (resolver.max-addresses). */
	if (t->res && resolver_owns_port(t->res, f.client_port, t->b->now))
		return;
	t->hv->st.queries++;
	harvest_queries_add(t->hv->waiting, &f, &q, t->b->now);
}

/* One answer (the packet p, UDP datagram l4) into the store. */
static void take_answer(const struct take *t, const struct nflog_pkt *p, const uint8_t *l4,
			size_t l4_len)
{
	struct harvest_flow f;
	size_t idx[HARVEST_MATCH_MAX], n, i;
	struct harvest_stats *st = &t->hv->st;
	struct harvest_answer a;
	struct names_event ev;
	enum harvest_reject r;
	const uint8_t *msg;
	size_t len;
	bool changed = false;

	a.chain[0][0] = '\0';
	flow_of(p, true, &f);
	if (t->res && resolver_owns_port(t->res, f.client_port, t->b->now)) {
		st->own++;
		return;
	}
	st->seen++;
	r = harvest_udp_payload(l4, l4_len, &msg, &len);
	if (r == HARVEST_OK)
		r = harvest_parse(msg, len, &a);
	if (r == HARVEST_OK)
		r = harvest_queries_take(t->hv->waiting, &f, &a, len, t->b->now);
	if (r != HARVEST_OK) {
		reject(t->hv, r, r >= HARVEST_REJ_CHAIN ? a.chain[0] : NULL);
		return;
	}
	n = harvest_match(t->ns, &a, idx, HARVEST_MATCH_MAX);
	if (!n || !a.n_addrs) {
		st->ignored++;
		return;
	}
	st->harvested++;
	for (i = 0; i < n && !t->b->full; i++) {
		if (names_harvest(t->ns, idx[i], a.addrs, a.n_addrs, a.ttl, t->b->now, &ev) < 0)
			continue;
		st->added += ev.added;
		st->dropped += ev.dropped;
		if (ev.sets_changed) {
			mark_changed(t->b, idx[i]);
			changed = true;
		}
	}
	t->b->n_timed += changed;
	log_debug("DNS answer for '%s': %zu addresses, TTL %u s, %zu names%s", a.chain[0],
		  a.n_addrs, a.ttl, n, changed ? ", sets changed" : "");
}

static void on_copy(void *data, const struct nflog_pkt *p)
{
	const struct take *t = data;
	bool query = !strcmp(p->prefix, FG_DNS_QUERY_PREFIX);

	if (p->l4proto == IPPROTO_UDP && query) {
		take_query(t, p);
		return;
	}
	if (t->b->full) {
		t->hv->st.lost++; /* this read's names are full: the answer is not taken */
		return;
	}
	if (p->l4proto != IPPROTO_UDP) {
		reject(t->hv, HARVEST_REJ_NOT_UDP, NULL);
		return;
	}
	take_answer(t, p, p->l4, p->l4_len);
}

static void on_held(void *data, uint32_t id, const struct nflog_pkt *p)
{
	const struct take *t = data;

	/* Past the batch's room: it goes on unharvested now, rather than wait. */
	if (t->b->n_ids == HARVEST_BATCH_HELD || t->b->full) {
		hold_release(&t->hv->hold, id);
		t->hv->st.lost++;
		return;
	}
	t->b->ids[t->b->n_ids++] = id;
	take_answer(t, p, p->l4, p->l4_len);
}

void harvest_read(struct harvest *hv, struct names *ns, const struct resolver *res,
		  struct harvest_batch *b)
{
	struct take t = { hv, ns, res, b };
	uint64_t lost = 0;
	int r = 0;

	memset(b, 0, sizeof(*b));
	b->now = now_ms();
	b->t0 = mono_s();
	/* The copies first: they hold the queries that the held answers answer. */
	if (hv->nl)
		r = nflog_read_max(hv->nl, HARVEST_READ_MAX, on_copy, &t, &lost);
	if (r < 0 && r != -EAGAIN)
		log_warn(r, "Failed to read NFLOG group %u: %m, ignoring", hv->group);
	if (hv->mode == HARVEST_HOLD && (r = hold_read(&hv->hold, on_held, &t)) < 0 && r != -EAGAIN)
		log_warn(r, "Failed to read queue %u: %m, ignoring", hv->queue);
	hv->st.lost += lost;
}

/* The helper died (killed): the bound is not kept without it; start another. */
static void helper_gone(struct harvest *hv)
{
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

void harvest_done(struct harvest *hv, const struct harvest_batch *b, bool ok)
{
	uint64_t us;
	size_t i;

	/* The sets hold them now (or the commit failed, and waiting longer would not help). */
	for (i = 0; i < b->n_ids; i++)
		hold_release(&hv->hold, b->ids[i]);
	if (b->n_changed) {
		hv->st.commits++;
		hv->st.commit_failures += !ok;
		us = (uint64_t)((mono_s() - b->t0) * 1e6);
		for (i = 0; i < b->n_timed; i++)
			latency_add(&hv->st.lat, us);
	}
	if (hv->mode == HARVEST_HOLD && !hold_alive(&hv->hold))
		helper_gone(hv);
}

void harvest_fds(const struct harvest *hv, int ret[2])
{
	ret[0] = hv->nl ? nflog_fd(hv->nl) : -1;
	ret[1] = hv->mode == HARVEST_HOLD ? hold_fd(&hv->hold) : -1;
}

/* The NFLOG group: queries always, answers too unless they are held. */
static void open_copy(struct harvest *hv, bool hold)
{
	int r = nflog_open(hv->group, HARVEST_COPY, false, &hv->nl);

	if (r == -EBUSY)
		snprintf(hv->error, sizeof(hv->error),
			 "NFLOG group %u is taken by another "
			 "listener; set harvest.log-group to a free group",
			 hv->group);
	else if (r < 0)
		snprintf(hv->error, sizeof(hv->error), "cannot listen on NFLOG group %u: %s",
			 hv->group, strerror(-r));
	if (r < 0) {
		hv->nl = NULL;
		log_warn(r,
			 "DNS answer harvest: %s; the sets follow flowguard's own queries only, "
			 "ignoring",
			 hv->error);
		return;
	}
	hv->mode = hold ? HARVEST_HOLD : HARVEST_COPY;
	log_debug("Harvesting DNS %s from NFLOG group %u", hold ? "queries" : "answers", hv->group);
}

/* Without the queries' copies no answer could be matched: the queue is not bound then. */
static void open_hold(struct harvest *hv, unsigned int features)
{
	int r;

	open_copy(hv, true);
	if (!hv->nl) {
		hv->mode = HARVEST_OFF;
		return;
	}
	hv->mode = HARVEST_OFF;
	hv->hold_via = features & NFT_FEAT_QUEUE ? "nft_queue" : "nft_compat";
	r = hold_start(hv->queue, hv->bound_us, &hv->hold);
	if (r < 0) {
		snprintf(hv->error, sizeof(hv->error), "%s",
			 r == -EBUSY ?
				 "the queue is taken by another listener; set harvest.queue to a free one" :
				 strerror(-r));
		log_err(r,
			"DNS answer hold: cannot listen on queue %u: %s; answers pass without "
			"being held or harvested (bypass)",
			hv->queue, hv->error);
		return;
	}
	hv->mode = HARVEST_HOLD;
	log_info("Holding DNS answers in queue %u (%s) until their sets are committed, at most "
		 "%" PRIu64 " ms each",
		 hv->queue, hv->hold_via, hv->bound_us / 1000);
}

void harvest_open(struct harvest *hv, const struct harvest_cfg *c, unsigned int features)
{
	*hv = (struct harvest){ .hold.pipe = -1 };
	if (!c->enabled)
		return;
	if (harvest_queries_new(&hv->waiting) < 0) {
		snprintf(hv->error, sizeof(hv->error), "out of memory");
		log_err(-ENOMEM, "DNS answer harvest: %m; the sets follow flowguard's own queries "
				 "only");
		return;
	}
	hv->group = (uint16_t)c->log_group;
	hv->queue = (uint16_t)c->queue;
	hv->bound_us = c->hold_timeout_ms * 1000;
	hv->hold_wanted = c->hold;
	/* The same test as the plan's (reload_gen): the table queues only if the kernel can. */
	if (c->hold && (features & (NFT_FEAT_QUEUE | NFT_FEAT_QUEUE_COMPAT))) {
		open_hold(hv, features);
		return;
	}
	if (c->hold) {
		snprintf(hv->error, sizeof(hv->error),
			 "hold unavailable: the kernel has neither "
			 "nft_queue nor nft_compat with xt_NFQUEUE; harvest only");
		log_warn(0, "DNS answer hold: %s", hv->error);
	}
	open_copy(hv, false);
}

void harvest_close(struct harvest *hv)
{
	if (hv->hold.sh)
		hold_stop(&hv->hold);
	nflog_close(hv->nl);
	harvest_queries_free(hv->waiting);
	*hv = (struct harvest){ .hold.pipe = -1 };
}

static bool same_settings(const struct harvest *hv, const struct harvest_cfg *c)
{
	if (!c->enabled)
		return !hv->group && !hv->queue && !hv->bound_us;
	return hv->group == c->log_group && hv->queue == c->queue && hv->hold_wanted == c->hold &&
	       hv->bound_us == c->hold_timeout_ms * 1000;
}

void harvest_reload(struct harvest *hv, const struct harvest_cfg *c, unsigned int features)
{
	struct harvest_stats st;

	if (same_settings(hv, c))
		return;
	st = hv->st;
	harvest_close(hv);
	harvest_open(hv, c, features);
	hv->st = st;
}

/* ---- status and metrics ---- */

static const char *mode_name(enum harvest_mode m)
{
	return m == HARVEST_HOLD ? "hold" : m == HARVEST_COPY ? "copy" : "off";
}

static void write_hold(FILE *f, const struct harvest *hv)
{
	const struct hold_shared *sh = hv->hold.sh;
	static const struct hold_shared none;

	if (!sh)
		sh = &none;
	fprintf(f,
		"    \"hold\": {\"requested\": %s, \"via\": ", hv->hold_wanted ? "true" : "false");
	json_str(f, hv->mode == HARVEST_HOLD ? hv->hold_via : "");
	fprintf(f,
		", \"timeout_ms\": %" PRIu64 ", \"held\": %" PRIu64 ", \"on_time\": %" PRIu64
		", \"late\": %" PRIu64 ", \"unheld\": %" PRIu64 ", \"lost\": %" PRIu64
		", \"latency_p50_us\": %u, \"latency_p99_us\": %u},\n",
		hv->bound_us / 1000, sh->held, sh->on_time, sh->late, sh->unheld, sh->lost,
		latency_percentile(&hv->hold.lat, 50), latency_percentile(&hv->hold.lat, 99));
}

static void write_answers(FILE *f, const struct harvest_stats *st)
{
	int k;

	fprintf(f,
		"    \"queries\": %" PRIu64 ",\n    \"answers\": {\"seen\": %" PRIu64
		", \"harvested\": %" PRIu64 ", \"ignored\": %" PRIu64 ", \"lost\": %" PRIu64
		", \"own\": %" PRIu64 ", \"rejected\": {",
		st->queries, st->seen, st->harvested, st->ignored, st->lost, st->own);
	for (k = 1; k < HARVEST_REJ_MAX; k++)
		fprintf(f, "%s\"%s\": %" PRIu64, k > 1 ? ", " : "", harvest_reject_names[k],
			st->rejected[k]);
	fputs("}},\n", f);
}

void harvest_write_status(FILE *f, const struct harvest *hv, bool enabled)
{
	const struct harvest_stats *st = &hv->st;

	fprintf(f,
		"  \"harvest\": {\n    \"enabled\": %s,\n    \"mode\": \"%s\",\n"
		"    \"log_group\": %u,\n    \"queue\": %u,\n    \"error\": ",
		enabled ? "true" : "false", mode_name(hv->mode), hv->group, hv->queue);
	json_str(f, hv->error);
	fputs(",\n", f);
	write_hold(f, hv);
	write_answers(f, st);
	fprintf(f,
		"    \"addresses_added\": %" PRIu64 ",\n    \"addresses_dropped\": %" PRIu64
		",\n    \"commits\": %" PRIu64 ",\n    \"commit_failures\": %" PRIu64
		",\n    \"latency_p50_us\": %u,\n    \"latency_p99_us\": %u\n  },\n",
		st->added, st->dropped, st->commits, st->commit_failures,
		latency_percentile(&st->lat, 50), latency_percentile(&st->lat, 99));
}

void harvest_metrics(const struct harvest *hv, struct metrics_harvest *ret)
{
	const struct hold_shared *sh = hv->hold.sh;
	int k;

	memset(ret, 0, sizeof(*ret));
	ret->mode = mode_name(hv->mode);
	ret->queries = hv->st.queries;
	ret->seen = hv->st.seen;
	ret->harvested = hv->st.harvested;
	ret->ignored = hv->st.ignored;
	ret->lost = hv->st.lost;
	for (k = 1; k < HARVEST_REJ_MAX && k < METRICS_REJECT_KINDS; k++) {
		ret->rejected[k - 1] = hv->st.rejected[k];
		ret->reject_names[k - 1] = harvest_reject_names[k];
	}
	ret->added = hv->st.added;
	ret->latency_p50_s = latency_percentile(&hv->st.lat, 50) / 1e6;
	ret->latency_p99_s = latency_percentile(&hv->st.lat, 99) / 1e6;
	if (!sh)
		return;
	ret->held = sh->held;
	ret->on_time = sh->on_time;
	ret->late = sh->late;
	ret->unheld = sh->unheld;
	ret->hold_p50_s = latency_percentile(&hv->hold.lat, 50) / 1e6;
	ret->hold_p99_s = latency_percentile(&hv->hold.lat, 99) / 1e6;
}
