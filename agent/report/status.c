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
#include "agent/util/paths.h"
#include "netlink/nft.h"
#include "policies/compile.h"
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

static void print_addr(FILE *out, const struct ynode *a, uint64_t now)
{
	uint64_t ttl_end = num(a, "ttl_end_ms"), until = num(a, "allowed_until_ms");

	if (ttl_end > now)
		fprintf(out, "    %-40s TTL %llu s left\n", str(a, "address"),
			(unsigned long long)left_s(ttl_end, now));
	else
		fprintf(out, "    %-40s TTL over; allowed %llu s more (grace or stale)\n",
			str(a, "address"), (unsigned long long)left_s(until, now));
}

static void print_name(FILE *out, const struct ynode *n, uint64_t now)
{
	const struct ynode *addrs = ymap_get(n, "addresses");
	uint64_t good = num(n, "last_good_ms"), next = num(n, "next_query_ms");
	size_t i;

	fprintf(out, "  %s: TTL %s s", str(n, "fqdn"), str(n, "ttl"));
	if (good)
		fprintf(out, ", last good answer %llu s ago", (unsigned long long)ago_s(good, now));
	else
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
			str(r, "last_heal_pid"), str(r, "last_heal_comm"), str(r, "last_heal_what"));
	print_commits(out, ymap_get(r, "metrics"));
	if (reload && str(r, "reload_error")[0])
		fprintf(out, "last reload %llu s ago was REFUSED: %s (the table before it stays)\n",
			(unsigned long long)ago_s(reload, v->now), str(r, "reload_error"));
	else if (reload)
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
	fprintf(out, " (%s, %s packets, last %s)\n    %s\n", str(fl, "chain"),
		str(fl, "packets"), str(fl, "last_seen"), str(fl, "explanation"));
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
		fprintf(out, "blocked flows (NFLOG group %s): egress %s blocked, %s would be; "
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
		fprintf(out, "  ... %zu more (flowguard status --json)\n", flows->n - TEXT_FLOWS);
}

static void print_text(FILE *out, const struct view *v)
{
	const struct ynode *r = v->root, *names = ymap_get(r, "names");
	uint64_t refresh = num(r, "last_refresh_ms");
	size_t i;

	fprintf(out, "agent: running, pid %ld, version %s, up %llu s\n", v->pid,
		str(r, "version"), (unsigned long long)ago_s(num(r, "started_ms"), v->now));
	fprintf(out, "roles %s, region %s, mode %s (config %s)\n", str(r, "roles"),
		str(r, "region"), str(r, "mode"), str(r, "config"));
	fprintf(out, "table inet %s: flags %s as the agent set them\n", str(r, "table"),
		str(r, "table_flags"));
	fprintf(out, "%s names, %s addresses from DNS, ", str(r, "names_count"),
		str(r, "addresses_count"));
	if (refresh)
		fprintf(out, "last answer %llu s ago\n", (unsigned long long)ago_s(refresh, v->now));
	else
		fputs("no answer yet\n", out);
	print_events(out, v);
	print_blocked(out, ymap_get(r, "blocked"));
	if (names && names->type == YN_SEQ && names->n)
		fputs("names:\n", out);
	for (i = 0; names && names->type == YN_SEQ && i < names->n; i++)
		print_name(out, names->items[i], v->now);
}

static void emit(FILE *out, const struct ynode *n, uint64_t now);

static void emit_scalar(FILE *out, const struct ynode *n)
{
	const char *s;

	if (n->plain) {
		fputs(n->value, out);
		return;
	}
	fputc('"', out);
	for (s = n->value; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
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
		emit_scalar(out, n->items[i]);
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
	fprintf(out, "{\"features\": {\"owner\": %s, \"persist\": %s, \"destroy\": %s, "
		     "\"element_refresh\": %s}, ", f & NFT_FEAT_OWNER ? "true" : "false",
		f & NFT_FEAT_PERSIST ? "true" : "false", f & NFT_FEAT_DESTROY ? "true" : "false",
		f & NFT_FEAT_ELEM_REFRESH ? "true" : "false");
	r = nft_table_state(&ctx, FG_TABLE, &st);
	fprintf(out, "\"table\": {\"name\": \"%s\", \"present\": %s, \"owner\": %s, "
		     "\"persist\": %s, \"owner_portid\": %u}}", FG_TABLE, r == 0 ? "true" : "false",
		st.flags & NFT_TABLE_F_OWNER ? "true" : "false",
		st.flags & NFT_TABLE_F_PERSIST ? "true" : "false", st.owner);
	nft_close(&ctx);
}

static void print_json(FILE *out, const struct view *v)
{
	fprintf(out, "{\"running\": %s, \"now_ms\": %llu, \"agent\": ",
		v->running ? "true" : "false", (unsigned long long)v->now);
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
	for (i = 0; r == 0 && i < det->n_conflicts; i++)
		fprintf(out, "  %s:\n    %s\n", det->conflicts[i].where, det->conflicts[i].meaning);
	if (r == 0 && !det->n_conflicts)
		fputs("\nother firewalls: no conflicting base chain found\n", out);
	detection_free(det);
	return r;
}

int status_print(const char *run_dir, bool json, FILE *out)
{
	struct view v = { .now = wall_now_ms() };
	struct diag d = { 0 };
	struct ydoc *doc = NULL;
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s/%s", run_dir ? run_dir : FG_RUN_DIR,
		 FG_STATUS_FILE);
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
		if (v.running)
			print_text(out, &v);
		else
			print_not_running(out, &v, path);
		r = kernel_status(FG_TABLE, out);
		if (r == 0)
			r = print_conflicts(out);
	}
	ydoc_free(doc);
	return r < 0 ? r : !v.running;
}
