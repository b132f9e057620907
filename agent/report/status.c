/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flowguard status. The file is JSON that the daemon writes and libyaml reads back (JSON's
 * flow syntax is YAML), so there is no second parser. Text for people, JSON for tools:
 * the JSON is the file's own object under "agent", each address with the seconds it has
 * left added, and the live kernel side under "kernel".
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/detect/detect.h"
#include "agent/kernel/kernel.h"
#include "agent/report/status.h"
#include "agent/util/json.h"
#include "agent/util/paths.h"
#include "netlink/nft.h"
#include "policies/compile.h"
#include "policies/text.h"
#include "policies/ynode.h"

struct view {
	const struct ynode *root;
	uint64_t now; /* wall-clock ms */
	bool running;
	long pid;
};

static const char *str(const struct ynode *map, const char *key)
{
	const struct ynode *n = map ? ymap_get(map, key) : NULL;

	return n && n->type == YN_SCALAR ? n->value : "";
}

static uint64_t num(const struct ynode *map, const char *key)
{
	return strtoull(str(map, key), NULL, 10);
}

/* Seconds from now until wall-clock ms t, never negative. */
static uint64_t left_s(uint64_t t, uint64_t now)
{
	return t > now ? (t - now + 999) / 1000 : 0;
}

static uint64_t ago_s(uint64_t t, uint64_t now)
{
	return now > t ? (now - t) / 1000 : 0;
}

static uint64_t wall_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The file's writer still runs: its pid exists and is a flowguard process. */
static bool agent_alive(long pid)
{
	return pid > 0 && kernel_pid_is_flowguard((pid_t)pid);
}

/* "  from query", "  from answer", "  from query,answer": who vouched for it. */
static void print_addr(FILE *out, const struct ynode *a, uint64_t now)
{
	uint64_t ttl_end = num(a, "ttl_end_ms"), until = num(a, "allowed_until_ms");
	const char *src = str(a, "source")[0] ? str(a, "source") : "query";

	if (ttl_end > now)
		fprintf(out, "    %-40s TTL %llu s left, from %s\n", str(a, "address"),
			(unsigned long long)left_s(ttl_end, now), src);
	else
		fprintf(out, "    %-40s TTL over; allowed %llu s more (grace or stale), from %s\n",
			str(a, "address"), (unsigned long long)left_s(until, now), src);
}

static void print_name(FILE *out, const struct ynode *n, uint64_t now)
{
	const struct ynode *addrs = ymap_get(n, "addresses");
	uint64_t good = num(n, "last_good_ms"), next = num(n, "next_query_ms");
	bool wild = !strcmp(str(n, "wildcard"), "true");
	size_t i;

	fprintf(out, "  %s: ", str(n, "fqdn"));
	if (wild)
		fputs("wildcard, filled from DNS answers only", out);
	else
		fprintf(out, "TTL %s s", str(n, "ttl"));
	if (num(n, "harvested"))
		fprintf(out, ", %s answers harvested (last %llu s ago)", str(n, "harvested"),
			(unsigned long long)ago_s(num(n, "last_harvest_ms"), now));
	if (!wild && good)
		fprintf(out, ", last good answer %llu s ago", (unsigned long long)ago_s(good, now));
	else if (!wild)
		fputs(", no good answer yet", out);
	if (!strcmp(str(n, "in_flight"), "true"))
		fputs(", query in flight", out);
	else if (next)
		fprintf(out, ", next query in %llu s", (unsigned long long)left_s(next, now));
	if (str(n, "error")[0])
		fprintf(out, "\n    last error: %s (%s failures in a row)", str(n, "error"),
			str(n, "failures"));
	if (num(n, "dropped"))
		fprintf(out, "\n    %s addresses over resolver.max-addresses were left out",
			str(n, "dropped"));
	fputc('\n', out);
	for (i = 0; addrs && addrs->type == YN_SEQ && i < addrs->n; i++)
		print_addr(out, addrs->items[i], now);
}

/* "commits: full 3 (0 failed, last 2.1 ms), sets 41 (0 failed, last 0.4 ms)" */
static void print_commits(FILE *out, const struct ynode *m)
{
	const struct ynode *ap = m ? ymap_get(m, "applies") : NULL, *k;
	static const char *const kinds[] = { "full", "sets" };
	size_t i;

	if (!ap)
		return;
	fputs("commits:", out);
	for (i = 0; i < 2; i++) {
		k = ymap_get(ap, kinds[i]);
		fprintf(out, "%s %s %s (%s failed, last %.1f ms)", i ? "," : "", kinds[i],
			str(k, "count")[0] ? str(k, "count") : "0",
			str(k, "failures")[0] ? str(k, "failures") : "0",
			strtod(str(k, "last_duration_s"), NULL) * 1000);
	}
	fprintf(out, "; reloads %s ok, %s refused\n", str(ymap_get(m, "reloads"), "ok"),
		str(ymap_get(m, "reloads"), "refused"));
	if (str(m, "textfile")[0])
		fprintf(out, "metrics: %s\n", str(m, "textfile"));
}

static void print_events(FILE *out, const struct view *v)
{
	const struct ynode *r = v->root;
	uint64_t heal = num(r, "last_heal_ms"), reload = num(r, "last_reload_ms");

	if (num(r, "heals"))
		fprintf(out, "restored the table %s times; last %llu s ago: process %s ('%s') %s\n",
			str(r, "heals"), (unsigned long long)ago_s(heal, v->now),
			str(r, "last_heal_pid"), str(r, "last_heal_comm"),
			str(r, "last_heal_what"));
	print_commits(out, ymap_get(r, "metrics"));
	/* A refused one is in the summary at the top. */
	if (reload && !str(r, "reload_error")[0])
		fprintf(out, "last reload %llu s ago: applied\n",
			(unsigned long long)ago_s(reload, v->now));
}

/* How many flows the text shows; --json has them all. */
#define TEXT_FLOWS 5

static void print_flow(FILE *out, const struct ynode *fl)
{
	const char *proto = str(fl, "protocol");
	bool ports = !strcmp(proto, "tcp") || !strcmp(proto, "udp") || !strcmp(proto, "sctp");

	fprintf(out, "  %s %s %s -> %s", str(fl, "verdict"), proto, str(fl, "source"),
		str(fl, "destination"));
	if (ports)
		fprintf(out, ":%s", str(fl, "port"));
	fprintf(out, " (%s, %s packets, last %s)\n    %s\n", str(fl, "chain"), str(fl, "packets"),
		str(fl, "last_seen"), str(fl, "explanation"));
}

/* "rejected: malformed 3, chain 1" (only the reasons that occurred); "" for none. */
static void print_rejected(FILE *out, const struct ynode *rej)
{
	const char *sep = ", rejected: ";
	size_t i;

	for (i = 0; rej && rej->type == YN_MAP && i + 1 < rej->n; i += 2) {
		if (!strtoull(rej->items[i + 1]->value, NULL, 10))
			continue;
		fprintf(out, "%s%s %s", sep, rej->items[i]->value, rej->items[i + 1]->value);
		sep = ", ";
	}
}

/* DNS answer harvest: mode, counts, latencies; hold: who let the answers go. */
static void print_harvest(FILE *out, const struct ynode *h)
{
	const struct ynode *a = h ? ymap_get(h, "answers") : NULL, *hold;

	if (!h || strcmp(str(h, "enabled"), "true")) {
		fputs("DNS answer harvest: off (harvest.enabled: false)\n", out);
		return;
	}
	hold = ymap_get(h, "hold");
	if (!strcmp(str(h, "mode"), "hold"))
		fprintf(out,
			"DNS answers: held in queue %s (%s) up to %s ms until their sets "
			"are committed",
			str(h, "queue"), str(hold, "via"), str(hold, "timeout_ms"));
	else if (!strcmp(str(h, "mode"), "copy"))
		fprintf(out, "DNS answers: copied from NFLOG group %s (harvest)",
			str(h, "log_group"));
	else
		fputs("DNS answers: NOT read", out);
	if (str(h, "error")[0])
		fprintf(out, " -- %s", str(h, "error"));
	fprintf(out,
		"\n  %s queries out; %s answers seen, %s harvested, %s ignored (no allowed "
		"name or no address)",
		str(h, "queries"), str(a, "seen"), str(a, "harvested"), str(a, "ignored"));
	print_rejected(out, ymap_get(a, "rejected"));
	if (num(a, "lost"))
		fprintf(out, ", %s lost", str(a, "lost"));
	fprintf(out, "\n  %s addresses added; answer to committed p50 %s us, p99 %s us\n",
		str(h, "addresses_added"), str(h, "latency_p50_us"), str(h, "latency_p99_us"));
	if (!strcmp(str(h, "mode"), "hold"))
		fprintf(out,
			"  held %s: %s let go on time, %s late (the bound), %s unheld; "
			"p50 %s us, p99 %s us\n",
			str(hold, "held"), str(hold, "on_time"), str(hold, "late"),
			str(hold, "unheld"), str(hold, "latency_p50_us"),
			str(hold, "latency_p99_us"));
}

/* Blocked-flow totals and the most recent flows with their explanation. */
static void print_blocked(FILE *out, const struct ynode *b)
{
	const struct ynode *t = b ? ymap_get(b, "totals") : NULL, *flows;
	size_t i;

	if (!b)
		return;
	if (strcmp(str(b, "listening"), "true")) {
		fprintf(out, "blocked flows: NOT listening on NFLOG group %s (%s)\n",
			str(b, "log_group"), str(b, "error"));
	} else {
		fprintf(out,
			"blocked flows (NFLOG group %s): egress %s blocked, %s would be; "
			"ingress %s blocked, %s would be; %s flows tracked",
			str(b, "log_group"), str(t, "egress_blocked"), str(t, "egress_would_block"),
			str(t, "ingress_blocked"), str(t, "ingress_would_block"), str(t, "flows"));
		if (num(t, "lost") || num(t, "evicted"))
			fprintf(out, ", %s lost, %s evicted", str(t, "lost"), str(t, "evicted"));
		fputc('\n', out);
	}
	flows = ymap_get(b, "flows");
	for (i = 0; flows && flows->type == YN_SEQ && i < flows->n && i < TEXT_FLOWS; i++)
		print_flow(out, flows->items[i]);
	if (flows && flows->type == YN_SEQ && flows->n > TEXT_FLOWS)
		fprintf(out, "  ... %zu more (flowguard status --json)\n",
			(size_t)flows->n - TEXT_FLOWS);
}

/* "a.example (NXDOMAIN), b.example (timeout)": the first few names that fail. */
static void failing_names(const struct ynode *names, char *buf, size_t len)
{
	const struct ynode *n;
	size_t i, k = 0, off = 0;

	buf[0] = '\0';
	for (i = 0; names && names->type == YN_SEQ && i < names->n && off < len; i++) {
		n = names->items[i];
		if (!num(n, "failures"))
			continue;
		if (k++ == 3) {
			snprintf(buf + off, len - off, ", ...");
			break;
		}
		off += (size_t)snprintf(buf + off, len - off, "%s%s (%s)", k > 1 ? ", " : "",
					str(n, "fqdn"), str(n, "error"));
	}
}

/* DNS health in one line: an outage, names failing, or all well. */
static void print_dns(FILE *out, const struct view *v)
{
	const struct ynode *r = v->root, *dns = ymap_get(r, "dns");
	uint64_t next = num(dns, "next_retry_ms"), refresh = num(r, "last_refresh_ms");
	char list[512];

	if (!dns)
		return;
	if (!strcmp(str(dns, "outage"), "true")) {
		fprintf(out,
			"DNS: %s not answering (%s) for %llu s: %s of %s names affected, %s "
			"cached addresses kept",
			str(dns, "servers"), str(dns, "error"),
			(unsigned long long)ago_s(num(dns, "since_ms"), v->now),
			str(dns, "failing"), str(dns, "names"), str(dns, "kept"));
	} else if (num(dns, "failing")) {
		failing_names(ymap_get(r, "names"), list, sizeof(list));
		fprintf(out, "DNS: %s of %s names fail: %s; %s cached addresses kept",
			str(dns, "failing"), str(dns, "names"), list, str(dns, "kept"));
	} else {
		fprintf(out, "DNS: ok, %s names resolve (%s), ", str(dns, "names"),
			str(dns, "servers"));
		if (refresh)
			fprintf(out, "last answer %llu s ago\n",
				(unsigned long long)ago_s(refresh, v->now));
		else
			fputs("no answer yet\n", out);
		return;
	}
	if (next)
		fprintf(out, "; next retry in %llu s", (unsigned long long)left_s(next, v->now));
	fputc('\n', out);
}

/* The table as the kernel has it, against what the agent (if any) should hold. */
static void print_table(FILE *out, const struct view *v)
{
	struct nft_table_state st = { 0 };
	struct nft_ctx ctx;
	int r;

	r = nft_open(&ctx);
	if (r == 0) {
		r = nft_table_state(&ctx, FG_TABLE, &st);
		nft_close(&ctx);
	}
	if (r == -ENOENT)
		fprintf(out, "table inet %s: MISSING%s\n", FG_TABLE,
			v->running ? " (the agent restores it)" : "");
	else if (r < 0)
		fprintf(out, "table inet %s: cannot read it: %s\n", FG_TABLE, strerror(-r));
	else if (!v->running)
		fprintf(out,
			"table inet %s: KEPT (fail closed) but NO LONGER MAINTAINED: nothing "
			"follows DNS, its DNS-fed addresses age out at their timeouts, and nothing "
			"restores it; start the agent (systemctl status flowguard and journalctl -u "
			"flowguard say why it stopped) or remove the table (flowguard disable)\n",
			FG_TABLE);
	else if ((st.flags & NFT_TABLE_F_OWNER) && st.owner == (uint32_t)v->pid)
		fprintf(out, "table inet %s: present, held by the agent\n", FG_TABLE);
	else if (st.flags & NFT_TABLE_F_OWNER)
		fprintf(out, "table inet %s: present, owned by netlink portid %u, NOT the agent\n",
			FG_TABLE, st.owner);
	else
		fprintf(out,
			"table inet %s: present, maintained by the agent (not owned: others "
			"can change it; the agent restores it)\n",
			FG_TABLE);
}

/* The first lines: agent, table, DNS, a refused reload. Details follow. */
static void print_summary(FILE *out, const struct view *v)
{
	const struct ynode *r = v->root;
	uint64_t reload = num(r, "last_reload_ms");

	fprintf(out, "agent: running, pid %ld, version %s, up %llu s, mode %s\n", v->pid,
		str(r, "version"), (unsigned long long)ago_s(num(r, "started_ms"), v->now),
		str(r, "mode"));
	print_table(out, v);
	print_dns(out, v);
	if (reload && str(r, "reload_error")[0])
		fprintf(out,
			"last reload %llu s ago was REFUSED: %s (the table before it stays; "
			"journalctl -u flowguard has every error)\n",
			(unsigned long long)ago_s(reload, v->now), str(r, "reload_error"));
	fputc('\n', out);
}

static bool same_names(const struct ynode *a, const struct ynode *b)
{
	size_t i;

	if (!a || !b || a->type != YN_SEQ || b->type != YN_SEQ || a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->items[i]->type != YN_SCALAR || b->items[i]->type != YN_SCALAR ||
		    strcmp(a->items[i]->value, b->items[i]->value))
			return false;
	return true;
}

/* Each DNS-fed set (v4 and v6 together when the same names feed both) and its names. */
static void print_sets(FILE *out, const struct ynode *sets)
{
	const struct ynode *s, *names, *next;
	size_t i, k;

	if (!sets || sets->type != YN_SEQ || !sets->n)
		return;
	fputs("DNS-fed sets and the names that feed them:\n", out);
	for (i = 0; i < sets->n; i++) {
		s = sets->items[i];
		names = ymap_get(s, "names");
		next = i + 1 < sets->n ? sets->items[i + 1] : NULL;
		fprintf(out, "  %s", str(s, "name"));
		if (next && same_names(names, ymap_get(next, "names"))) {
			fprintf(out, ", %s", str(next, "name"));
			i++;
		}
		fputs(":", out);
		for (k = 0; names && names->type == YN_SEQ && k < names->n; k++)
			fprintf(out, "%s%s", k ? ", " : " ", names->items[k]->value);
		fputc('\n', out);
	}
}

static void print_text(FILE *out, const struct view *v)
{
	const struct ynode *r = v->root, *names = ymap_get(r, "names");
	const struct ynode *warnings = ymap_get(r, "warnings");
	uint64_t refresh = num(r, "last_refresh_ms");
	size_t i;

	print_summary(out, v);
	fprintf(out, "roles %s, region %s, mode %s (config %s)\n", str(r, "roles"),
		str(r, "region"), str(r, "mode"), str(r, "config"));
	for (i = 0; warnings && warnings->type == YN_SEQ && i < warnings->n; i++)
		if (warnings->items[i]->type == YN_SCALAR)
			fprintf(out, "warning: %s\n", warnings->items[i]->value);
	fprintf(out, "table inet %s: flags %s as the agent set them\n", str(r, "table"),
		str(r, "table_flags"));
	fprintf(out, "%s names, %s addresses from DNS, ", str(r, "names_count"),
		str(r, "addresses_count"));
	if (refresh)
		fprintf(out, "last answer %llu s ago\n",
			(unsigned long long)ago_s(refresh, v->now));
	else
		fputs("no answer yet\n", out);
	print_events(out, v);
	print_blocked(out, ymap_get(r, "blocked"));
	print_sets(out, ymap_get(r, "sets"));
	print_harvest(out, ymap_get(r, "harvest"));
	if (names && names->type == YN_SEQ && names->n)
		fputs("names:\n", out);
	for (i = 0; names && names->type == YN_SEQ && i < names->n; i++)
		print_name(out, names->items[i], v->now);
}

static void emit(FILE *out, const struct ynode *n, uint64_t now);

/* A JSON number as the agent writes them: -?digits, an optional fraction and exponent. */
static bool json_number(const char *s)
{
	size_t n;

	s += *s == '-';
	n = strspn(s, "0123456789");
	if (!n || (s[0] == '0' && n > 1))
		return false;
	s += n;
	if (*s == '.') {
		n = strspn(++s, "0123456789");
		if (!n)
			return false;
		s += n;
	}
	if (*s == 'e' || *s == 'E') {
		s += 1 + (s[1] == '+' || s[1] == '-');
		n = strspn(s, "0123456789");
		if (!n)
			return false;
		s += n;
	}
	return !*s;
}

/*
 * The file is the agent's, but whoever can write it (the agent's user, or a copy from
 * another host) must not make this output invalid JSON: an unquoted scalar is copied
 * only when it is a JSON literal, anything else becomes a string.
 */
static void emit_scalar(FILE *out, const struct ynode *n)
{
	const char *v = n->value;

	if (n->plain &&
	    (!strcmp(v, "true") || !strcmp(v, "false") || !strcmp(v, "null") || json_number(v)))
		fputs(v, out);
	else
		json_str(out, v);
}

/*
 * A name's TTL left (the latest TTL end among its current addresses) and whether it is
 * stale (queries fail and a current address is past its TTL): both move with the clock,
 * so they are worked out at print time, not when the file was written.
 */
static uint64_t name_ttl_end(const struct ynode *n, bool *stale, uint64_t now)
{
	const struct ynode *addrs = ymap_get(n, "addresses"), *a;
	uint64_t end = 0, t;
	size_t i;

	*stale = false;
	for (i = 0; addrs && addrs->type == YN_SEQ && i < addrs->n; i++) {
		a = addrs->items[i];
		if (strcmp(str(a, "current"), "true"))
			continue;
		t = num(a, "ttl_end_ms");
		end = t > end ? t : end;
		*stale = *stale || (num(n, "failures") && t <= now);
	}
	return end;
}

/* An address map gets what is left of it, in seconds, next to its absolute times. */
static void emit_map(FILE *out, const struct ynode *n, uint64_t now)
{
	bool stale;
	uint64_t end;
	size_t i;

	fputc('{', out);
	for (i = 0; i + 1 < n->n; i += 2) {
		fputs(i ? ", " : "", out);
		/* JSON keys are strings; a YAML key may be a list or a map: "" then. */
		json_str(out, n->items[i]->type == YN_SCALAR ? n->items[i]->value : "");
		fputs(": ", out);
		emit(out, n->items[i + 1], now);
	}
	if (ymap_get(n, "ttl_end_ms"))
		fprintf(out, ", \"ttl_left_s\": %llu, \"allowed_left_s\": %llu",
			(unsigned long long)left_s(num(n, "ttl_end_ms"), now),
			(unsigned long long)left_s(num(n, "allowed_until_ms"), now));
	if (ymap_get(n, "fqdn")) {
		end = name_ttl_end(n, &stale, now);
		fprintf(out, ", \"ttl_remaining_s\": %llu, \"stale\": %s",
			(unsigned long long)left_s(end, now), stale ? "true" : "false");
	}
	fputc('}', out);
}

static void emit(FILE *out, const struct ynode *n, uint64_t now)
{
	size_t i;

	if (n->type == YN_SCALAR) {
		emit_scalar(out, n);
	} else if (n->type == YN_MAP) {
		emit_map(out, n, now);
	} else {
		fputc('[', out);
		for (i = 0; i < n->n; i++) {
			fputs(i ? ", " : "", out);
			emit(out, n->items[i], now);
		}
		fputc(']', out);
	}
}

/* The live kernel side as JSON: features, and the table's flags and owner. */
static void emit_kernel(FILE *out)
{
	struct nft_table_state st = { 0 };
	struct kernel_opts o;
	struct nft_ctx ctx;
	unsigned int f;
	int r;

	kernel_opts_init(&o);
	r = nft_open(&ctx);
	if (r < 0) {
		fprintf(out, "{\"error\": \"%s\"}", strerror(-r));
		return;
	}
	r = nft_probe(&ctx, NFT_FEAT_ELEM_REFRESH);
	f = r < 0 ? 0 : ctx.features;
	if (o.no_owner)
		f &= ~(unsigned int)(NFT_FEAT_OWNER | NFT_FEAT_PERSIST);
	fprintf(out,
		"{\"features\": {\"owner\": %s, \"persist\": %s, \"destroy\": %s, "
		"\"element_refresh\": %s}, ",
		f & NFT_FEAT_OWNER ? "true" : "false", f & NFT_FEAT_PERSIST ? "true" : "false",
		f & NFT_FEAT_DESTROY ? "true" : "false",
		f & NFT_FEAT_ELEM_REFRESH ? "true" : "false");
	r = nft_table_state(&ctx, FG_TABLE, &st);
	fprintf(out,
		"\"table\": {\"name\": \"%s\", \"present\": %s, \"owner\": %s, "
		"\"persist\": %s, \"owner_portid\": %u}}",
		FG_TABLE, r == 0 ? "true" : "false",
		st.flags & NFT_TABLE_F_OWNER ? "true" : "false",
		st.flags & NFT_TABLE_F_PERSIST ? "true" : "false", st.owner);
	nft_close(&ctx);
}

static void print_json(FILE *out, const struct view *v)
{
	fprintf(out,
		"{\"running\": %s, \"now_ms\": %llu, \"agent\": ", v->running ? "true" : "false",
		(unsigned long long)v->now);
	if (v->running)
		emit(out, v->root, v->now);
	else
		fputs("null", out);
	fputs(", \"kernel\": ", out);
	emit_kernel(out);
	fputs("}\n", out);
}

static void print_not_running(FILE *out, const struct view *v, const char *path)
{
	if (v->pid)
		fprintf(out, "agent: NOT running (%s was left by pid %ld, which has exited)\n",
			path, v->pid);
	else
		fprintf(out, "agent: NOT running (no %s)\n", path);
}

/* Other firewalls whose drops override our accepts (issue 4): read live, every time. */
static int print_conflicts(FILE *out)
{
	struct detection *det;
	struct diag d = { 0 };
	size_t i;
	int r;

	det = calloc(1, sizeof(*det));
	if (!det)
		return -ENOMEM;
	r = detect_firewalls(det, "/", &d);
	diag_print(&d, stderr);
	diag_clear(&d);
	if (r == 0 && det->n_conflicts)
		fputs("\nother firewalls that can drop what flowguard allows:\n", out);
	for (i = 0; r == 0 && i < det->n_conflicts; i++) {
		/* Names of other tables and chains: anyone with CAP_NET_ADMIN chose them. */
		fputs("  ", out);
		text_put(out, det->conflicts[i].where);
		fputs(":\n    ", out);
		text_put(out, det->conflicts[i].meaning);
		fputc('\n', out);
	}
	if (r == 0 && !det->n_conflicts)
		fputs("\nother firewalls: no conflicting base chain found\n", out);
	detection_free(det);
	return r;
}

/* The escaped copies a text report points the tree's scalars at. */
struct pool {
	char **v;
	size_t n;
};

/*
 * For the text report, every string of the file escaped in place (a process or DNS name
 * with a line break or a terminal escape in it is shown as \xNN); the JSON report escapes
 * as it writes instead.
 */
static void escape_scalars(struct ynode *n, struct pool *pool)
{
	size_t i, len;
	char *esc, **v;

	for (i = 0; n->type != YN_SCALAR && i < n->n; i++)
		escape_scalars(n->items[i], pool);
	if (n->type != YN_SCALAR || text_is_clean(n->value))
		return;
	len = text_escape(NULL, 0, n->value);
	esc = malloc(len + 1);
	v = esc ? realloc(pool->v, (pool->n + 1) * sizeof(*v)) : NULL;
	if (!v) {
		free(esc);
		n->value[0] = '\0'; /* shown as empty rather than raw */
		return;
	}
	pool->v = v;
	pool->v[pool->n++] = esc;
	text_escape(esc, len + 1, n->value);
	n->value = esc; /* the old text is the tree's (its arena) */
}

static void pool_free(struct pool *pool)
{
	while (pool->n)
		free(pool->v[--pool->n]);
	free(pool->v);
}

/* The running agent's answers: every address of every name, with what it has left. */
static int read_answers(const struct ynode *names, uint64_t now, struct audit_agent *ag)
{
	const struct ynode *n, *addrs, *a;
	struct audit_answer *v;
	size_t i, k, total = 0;

	for (i = 0; names && names->type == YN_SEQ && i < names->n; i++) {
		addrs = ymap_get(names->items[i], "addresses");
		total += addrs && addrs->type == YN_SEQ ? addrs->n : 0;
	}
	ag->answers_known = true;
	if (!total)
		return 0;
	v = calloc(total, sizeof(*v));
	if (!v)
		return -ENOMEM;
	ag->answers = v;
	for (i = 0; i < names->n; i++) {
		n = names->items[i];
		addrs = ymap_get(n, "addresses");
		for (k = 0; addrs && addrs->type == YN_SEQ && k < addrs->n; k++) {
			a = addrs->items[k];
			if (rs_addr_parse(str(a, "address"), &v[ag->n_answers].addr) < 0 ||
			    num(a, "allowed_until_ms") <= now)
				continue;
			v[ag->n_answers].left_ms = num(a, "allowed_until_ms") - now;
			v[ag->n_answers].fqdn = strdup(str(n, "fqdn"));
			if (!v[ag->n_answers++].fqdn)
				return -ENOMEM;
		}
	}
	return 0;
}

static void read_change(const struct ynode *r, uint64_t now, struct audit_agent *ag)
{
	ag->changes = (unsigned int)num(r, "heals");
	ag->change_pid = (uint32_t)num(r, "last_heal_pid");
	snprintf(ag->change_comm, sizeof(ag->change_comm), "%s", str(r, "last_heal_comm"));
	snprintf(ag->change_what, sizeof(ag->change_what), "%s", str(r, "last_heal_what"));
	ag->change_ago_s = ago_s(num(r, "last_heal_ms"), now);
}

static uint32_t read_flags(const char *s)
{
	return (strstr(s, "owner") ? NFT_TABLE_F_OWNER : 0) |
	       (strstr(s, "persist") ? NFT_TABLE_F_PERSIST : 0);
}

int status_agent_read(const char *run_dir, struct audit_agent *ret)
{
	struct diag d = { 0 };
	struct ydoc *doc = NULL;
	const struct ynode *root;
	char path[4096];
	uint64_t now = wall_now_ms();
	int r;

	memset(ret, 0, sizeof(*ret));
	snprintf(path, sizeof(path), "%s/%s", run_dir ? run_dir : FG_RUN_DIR, FG_STATUS_FILE);
	r = ydoc_load_max(path, YAML_MAX_STATUS_BYTES, NULL, NULL, &doc, &d);
	diag_clear(&d);
	if (r < 0)
		return r == -ENOENT || r == -EACCES ? 0 : r;
	root = doc->root && doc->root->type == YN_MAP ? doc->root : NULL;
	if (root && agent_alive((long)num(root, "pid"))) {
		ret->pid = (long)num(root, "pid");
		ret->table_flags = read_flags(str(root, "table_flags"));
		read_change(root, now, ret);
		r = read_answers(ymap_get(root, "names"), now, ret);
	}
	ydoc_free(doc);
	if (r < 0)
		kernel_audit_agent_clear(ret);
	return r;
}

/* How long reload waits for the agent's verdict: a reload compiles and commits once. */
#define RELOAD_WAIT_MS 30000
#define RELOAD_POLL_MS 50

/* The agent's pid (0: none alive), when its last reload ran, and why it was refused. */
static int reload_mark(const char *path, long *ret_pid, uint64_t *ret_ms, char *err, size_t len)
{
	struct diag d = { 0 };
	struct ydoc *doc = NULL;
	const struct ynode *root;
	int r;

	*ret_pid = 0;
	r = ydoc_load_max(path, YAML_MAX_STATUS_BYTES, NULL, NULL, &doc, &d);
	diag_clear(&d);
	if (r < 0)
		return r;
	root = doc->root && doc->root->type == YN_MAP ? doc->root : NULL;
	if (root && agent_alive((long)num(root, "pid")))
		*ret_pid = (long)num(root, "pid");
	*ret_ms = num(root, "last_reload_ms");
	snprintf(err, len, "%s", str(root, "reload_error"));
	ydoc_free(doc);
	return 0;
}

int status_reload_agent(const char *run_dir, FILE *log)
{
	struct timespec ts = { 0, RELOAD_POLL_MS * 1000000L };
	char path[4096], err[256];
	uint64_t before, after = 0;
	long pid, now_pid;
	int i, r;

	snprintf(path, sizeof(path), "%s/%s", run_dir ? run_dir : FG_RUN_DIR, FG_STATUS_FILE);
	r = reload_mark(path, &pid, &before, err, sizeof(err));
	if (r < 0 || !pid) {
		fprintf(log, "flowguard: no agent runs (%s: %s): nothing to reload\n", path,
			r < 0 ? strerror(-r) : "its pid has exited");
		return -ESRCH;
	}
	if (kill((pid_t)pid, SIGHUP) < 0)
		return -errno;
	for (i = 0, r = -ETIMEDOUT; i < RELOAD_WAIT_MS / RELOAD_POLL_MS; i++) {
		nanosleep(&ts, NULL);
		if (reload_mark(path, &now_pid, &after, err, sizeof(err)) == 0 && after != before) {
			r = 0;
			break;
		}
	}
	if (r < 0)
		fprintf(log, "flowguard: the agent (pid %ld) did not report a reload within %d s\n",
			pid, RELOAD_WAIT_MS / 1000);
	else if (err[0])
		fprintf(log,
			"flowguard: the agent (pid %ld) refused the reload: %s; its table "
			"stays as it was\n",
			pid, err);
	else
		fprintf(log, "flowguard: the agent (pid %ld) reloaded\n", pid);
	if (r == 0 && err[0])
		r = strstr(err, "is invalid") ? -EINVAL : -EIO;
	return r;
}

int status_print(const char *run_dir, bool json, FILE *out)
{
	struct view v = { .now = wall_now_ms() };
	struct pool pool = { 0 };
	struct diag d = { 0 };
	struct ydoc *doc = NULL;
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s/%s", run_dir ? run_dir : FG_RUN_DIR, FG_STATUS_FILE);
	r = ydoc_load_max(path, YAML_MAX_STATUS_BYTES, NULL, NULL, &doc, &d);
	if (r < 0 && r != -ENOENT)
		diag_print(&d, stderr);
	diag_clear(&d);
	if (r < 0 && r != -ENOENT)
		return r;
	r = 0;
	v.root = doc && doc->root && doc->root->type == YN_MAP ? doc->root : NULL;
	v.pid = v.root ? (long)num(v.root, "pid") : 0;
	v.running = v.root && agent_alive(v.pid);
	if (json) {
		print_json(out, &v);
	} else {
		if (v.root)
			escape_scalars(doc->root, &pool);
		if (v.running) {
			print_text(out, &v);
		} else {
			print_not_running(out, &v, path);
			print_table(out, &v);
		}
		r = kernel_status(FG_TABLE, out);
		if (r == 0)
			r = print_conflicts(out);
	}
	ydoc_free(doc);
	pool_free(&pool);
	return r < 0 ? r : !v.running;
}
