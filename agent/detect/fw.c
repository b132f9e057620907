/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Other firewalls on the host (issue 4). nftables runs every base chain on a hook, in
 * priority order, and a drop in any of them is final: an accept in ours ends only our
 * chain. So another table's base chain on input or output that drops (by policy, by a
 * drop or reject rule, in a chain it jumps to, or possibly through a verdict map) can
 * drop what flowguard allows, whatever the priorities: that is a conflict. Chains that
 * only accept coexist and are evidence. Legacy iptables (x_tables) runs beside nftables
 * and its verdicts cannot be read over nf_tables, so any legacy table is a conflict.
 *
 * The kernel's ruleset is read only for the live host (root "/"): a fixture tree has no
 * kernel of its own. Detection never fails because of another firewall: an unreadable
 * ruleset is a warning and evidence, and the rest of detection goes on.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>

#include "agent/detect/detect_int.h"
#include "netlink/tables.h"
#include "policies/compile.h"

#define FW_FACT "firewall"
#define NFT_SOURCE "nf_tables ruleset (netlink dump)"
/* A meaning names the chain, its verdicts and the table's origin: a few hundred bytes. */
#define FW_TEXT_MAX 768
/* x_tables table names are at most XT_TABLE_MAXNAMELEN - 1 (31) characters. */
#define XT_NAME_MAX 31
/* netlink/probe.c's scratch tables: ours, and gone again within one batch. */
#define FG_PROBE_PREFIX "fg_probe_"

/* The ports the Deep Security Agent opens itself through iptables (swp-flows.md (a)). */
static const unsigned int vendor_ports[] = { 4118, 4122 };

/* Tables other software is known to create under a fixed name. */
static const struct {
	uint8_t family;
	const char *name;
	const char *what;
} known_tables[] = {
	{ NFPROTO_INET, "firewalld", "firewalld's own table" },
	{ NFPROTO_INET, "filter", "the table of nftables.service's default /etc/nftables.conf" },
	{ NFPROTO_INET, "nftables_svc", "the table of nftables.service (Fedora's /etc/nftables)" },
	{ NFPROTO_INET, "netavark", "Podman's (netavark) table" },
	{ NFPROTO_IPV4, "kube-proxy", "Kubernetes kube-proxy's table (nftables mode)" },
	{ NFPROTO_IPV6, "kube-proxy", "Kubernetes kube-proxy's table (nftables mode)" },
	{ NFPROTO_IPV4, "docker-bridges", "Docker's table (nftables firewall backend)" },
	{ NFPROTO_IPV6, "docker-bridges", "Docker's table (nftables firewall backend)" },
};

/* Chain name prefixes that say which tool filled an iptables-nft table. */
static const struct {
	const char *prefix;
	const char *who;
} chain_owners[] = {
	{ "ufw-", "ufw" },	{ "ufw6-", "ufw" },	   { "DOCKER", "Docker" },
	{ "f2b-", "fail2ban" }, { "KUBE-", "Kubernetes" },
};

/* x_tables hook priorities (NF_IP_PRI_*): where a legacy table runs among nftables chains. */
static const struct {
	const char *table;
	int priority;
} legacy_prios[] = {
	{ "raw", -300 }, { "mangle", -150 }, { "nat", -100 }, { "filter", 0 }, { "security", 50 },
};

static const struct {
	const char *file;
	const char *tool;
} legacy_files[] = {
	{ "/proc/net/ip_tables_names", "iptables-legacy" },
	{ "/proc/net/ip6_tables_names", "ip6tables-legacy" },
};

__attribute__((format(printf, 3, 4))) static void append(char *buf, size_t len, const char *fmt,
							 ...)
{
	size_t used;
	va_list ap;

	used = strlen(buf);
	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static int legacy_priority(const char *table)
{
	size_t i;

	for (i = 0; i < sizeof(legacy_prios) / sizeof(legacy_prios[0]); i++)
		if (!strcmp(table, legacy_prios[i].table))
			return legacy_prios[i].priority;
	return 0;
}

static bool xt_name_ok(const char *s)
{
	size_t n;

	n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");
	return n > 0 && n <= XT_NAME_MAX && !s[n];
}

/* One line of ip_tables_names: a legacy table in use, a conflict whatever its rules. */
static int legacy_table(struct detection *det, const char *tool, const char *table,
			const char *source)
{
	char where[64], meaning[FW_TEXT_MAX];
	int r;

	snprintf(where, sizeof(where), "%s table %s", tool, table);
	snprintf(meaning, sizeof(meaning),
		 "legacy iptables rules run beside nftables; flowguard cannot see their verdicts: "
		 "check `%s%s%s -S`",
		 tool, strcmp(table, "filter") ? " -t " : "", strcmp(table, "filter") ? table : "");
	r = detect_evidence(det, FW_FACT, where, source, "legacy x_tables table in use");
	if (r == 0)
		r = detect_conflict(det, where, "netfilter (x_tables)", legacy_priority(table),
				    "unknown", meaning);
	return r;
}

/* Each line names one table; anything else is garbage, warned about and skipped. */
static int legacy_lines(struct detection *det, const char *file, const char *tool, char *buf,
			struct diag *d)
{
	struct loc loc = { file, 0, 1 };
	char source[256], *line, *next = buf;
	int r = 0;

	while (r == 0 && (line = strsep(&next, "\n"))) {
		loc.line++;
		if (!*line)
			continue; /* the final newline */
		if (!xt_name_ok(line)) {
			/* not echoed: a hostile file's bytes do not go to the terminal */
			diag_warn(d, &loc, "not an x_tables table name, ignoring");
			continue;
		}
		snprintf(source, sizeof(source), "%s:%u", file, loc.line);
		r = legacy_table(det, tool, line, source);
	}
	return r;
}

static int detect_legacy(struct detection *det, const char *root, size_t i, struct diag *d)
{
	const char *file = legacy_files[i].file;
	char *buf = NULL, note[128];
	size_t len = 0;
	int r;

	r = detect_read_file(root, file, &buf, &len, d);
	if (r == -ENOMEM)
		return r;
	if (r == -ENOENT)
		return detect_evidence(det, FW_FACT, NULL, file,
				       "no legacy iptables tables (x_tables not loaded)");
	if (r < 0) {
		snprintf(note, sizeof(note), "unreadable: %s; legacy iptables unknown",
			 strerror(-r));
		return detect_evidence(det, FW_FACT, NULL, file, note);
	}
	r = legacy_lines(det, file, legacy_files[i].tool, buf, d);
	free(buf);
	return r;
}

static bool ours(uint8_t family, const char *table)
{
	return family == NFPROTO_INET &&
	       (!strcmp(table, FG_TABLE) ||
		!strncmp(table, FG_PROBE_PREFIX, strlen(FG_PROBE_PREFIX)));
}

/* iptables-nft keeps iptables' table names in families ip and ip6. */
static bool iptables_nft(uint8_t family, const char *table)
{
	static const char *const names[] = { "filter", "nat", "mangle", "raw", "security" };
	size_t i;

	if (family != NFPROTO_IPV4 && family != NFPROTO_IPV6)
		return false;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(table, names[i]))
			return true;
	return false;
}

/* "ufw, Docker" from the table's chain names, or "" if none is telling. */
static void chain_owner_names(const struct tables *t, uint8_t family, const char *table, char *buf,
			      size_t len)
{
	size_t i, k;

	buf[0] = '\0';
	for (i = 0; i < t->n_chains; i++) {
		const struct tables_chain *c = &t->chains[i];

		if (c->family != family || strcmp(c->table, table))
			continue;
		for (k = 0; k < sizeof(chain_owners) / sizeof(chain_owners[0]); k++) {
			if (strncmp(c->name, chain_owners[k].prefix,
				    strlen(chain_owners[k].prefix)) ||
			    strstr(buf, chain_owners[k].who))
				continue;
			append(buf, len, "%s%s", buf[0] ? ", " : "", chain_owners[k].who);
		}
	}
}

/* Who made this table, in words for the report. */
static void table_origin(const struct tables *t, uint8_t family, const char *table, char *buf,
			 size_t len)
{
	char who[128];
	size_t i;

	if (iptables_nft(family, table)) {
		chain_owner_names(t, family, table, who, sizeof(who));
		snprintf(buf, len, "iptables-nft table created by %s", who[0] ? who : "iptables");
		return;
	}
	for (i = 0; i < sizeof(known_tables) / sizeof(known_tables[0]); i++) {
		if (family == known_tables[i].family && !strcmp(table, known_tables[i].name)) {
			snprintf(buf, len, "%s", known_tables[i].what);
			return;
		}
	}
	snprintf(buf, len, "an nftables table of unknown origin");
}

static int report_tables(struct detection *det, const struct tables *t)
{
	char value[300], origin[FW_TEXT_MAX];
	size_t i;
	int r = 0;

	/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): t is set when tables_dump returned 0 */
	for (i = 0; r == 0 && i < t->n_tables; i++) {
		const struct tables_table *x = &t->tables[i];

		if (ours(x->family, x->name))
			continue;
		snprintf(value, sizeof(value), "table %s %s", tables_family_name(x->family),
			 x->name);
		table_origin(t, x->family, x->name, origin, sizeof(origin));
		r = detect_evidence(det, FW_FACT, value, NFT_SOURCE, origin);
	}
	return r;
}

/* Base chains of ip, ip6 and inet on the hooks flowguard uses: output, and input for ingress. */
static bool on_our_hooks(const struct tables_chain *c)
{
	if (!c->base || ours(c->family, c->table))
		return false;
	if (c->family != NFPROTO_INET && c->family != NFPROTO_IPV4 && c->family != NFPROTO_IPV6)
		return false;
	return c->hooknum == NF_INET_LOCAL_IN || c->hooknum == NF_INET_LOCAL_OUT;
}

static bool may_drop(const struct tables_chain *c)
{
	return c->policy_drop || c->n_drops || c->reach_drops || c->n_vmaps || c->reach_vmaps;
}

/* What a conflicting chain does to the flows flowguard allows, in plain words. */
static void conflict_meaning(const struct tables_chain *c, const char *where, const char *origin,
			     char *buf, size_t len)
{
	snprintf(buf, len,
		 "a drop there overrides any accept of ours: traffic flowguard allows can still be "
		 "dropped by %s (hook %s, priority %d, policy %s)",
		 where, tables_hook_name(c->family, c->hooknum), c->priority,
		 c->policy_drop ? "drop" : "accept");
	if (c->n_drops)
		append(buf, len, "; %u drop/reject rule%s of its own", c->n_drops,
		       c->n_drops == 1 ? "" : "s");
	if (c->drop_via)
		append(buf, len, "; drops in chain %s it jumps to", c->drop_via);
	if (c->n_vmaps + c->reach_vmaps)
		append(buf, len, "; %u verdict map%s flowguard does not read, which may drop",
		       c->n_vmaps + c->reach_vmaps, c->n_vmaps + c->reach_vmaps == 1 ? "" : "s");
	if (c->hooknum == NF_INET_LOCAL_IN)
		append(buf, len, "; on input that includes the replies to the agent's connections");
	append(buf, len, "; %s", origin);
}

/* The Deep Security Agent's "iptables -I INPUT -p tcp --dport 4118 -j ACCEPT" rules. */
static int report_vendor_rules(struct detection *det, const struct tables_chain *c,
			       const char *where)
{
	char value[FW_TEXT_MAX];
	size_t i, k;
	int r = 0;

	if (!iptables_nft(c->family, c->table) || strcmp(c->table, "filter") ||
	    strcmp(c->name, "INPUT"))
		return 0;
	for (i = 0; r == 0 && i < c->n_tcp_accepts; i++) {
		for (k = 0; r == 0 && k < sizeof(vendor_ports) / sizeof(vendor_ports[0]); k++) {
			if (c->tcp_accepts[i] != vendor_ports[k])
				continue;
			snprintf(value, sizeof(value), "tcp dport %u accept in %s", vendor_ports[k],
				 where);
			r = detect_evidence(det, FW_FACT, value, NFT_SOURCE,
					    "the Deep Security Agent's own iptables rule; "
					    "suppressed by /etc/do_not_open_ports_on_iptables");
		}
	}
	return r;
}

static int report_chain(struct detection *det, const struct tables *t, const struct tables_chain *c)
{
	const char *policy = c->policy_drop ? "drop" : "accept";
	char where[600], origin[FW_TEXT_MAX], text[FW_TEXT_MAX * 2];
	const char *hook;
	int r;

	hook = tables_hook_name(c->family, c->hooknum);
	snprintf(where, sizeof(where), "table %s %s chain %s", tables_family_name(c->family),
		 c->table, c->name);
	table_origin(t, c->family, c->table, origin, sizeof(origin));
	if (may_drop(c)) {
		conflict_meaning(c, where, origin, text, sizeof(text));
		r = detect_conflict(det, where, hook, c->priority, policy, text);
	} else {
		snprintf(text, sizeof(text), "%s (hook %s, priority %d, policy %s)", where, hook,
			 c->priority, policy);
		append(origin, sizeof(origin),
		       "; coexists: policy accept and no drop or reject rule");
		r = detect_evidence(det, FW_FACT, text, NFT_SOURCE, origin);
	}
	return r ? r : report_vendor_rules(det, c, where);
}

/* The ruleset could not be read: say so, and what that leaves unknown. */
static int unreadable(struct detection *det, int err, struct diag *d)
{
	char note[256];

	snprintf(note, sizeof(note),
		 "cannot read the nftables ruleset: %s%s; other firewalls "
		 "on the host are unknown",
		 strerror(-err), err == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
	diag_warn(d, NULL, "%s", note);
	return detect_evidence(det, FW_FACT, NULL, NFT_SOURCE, note);
}

static int detect_nftables(struct detection *det, struct diag *d)
{
	struct tables *t = NULL;
	struct nft_ctx ctx;
	size_t i;
	int r;

	r = nft_open(&ctx);
	if (r == 0) {
		r = tables_dump(&ctx, &t);
		nft_close(&ctx);
	}
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return unreadable(det, r, d);
	r = report_tables(det, t);
	for (i = 0; r == 0 && i < t->n_chains; i++)
		if (on_our_hooks(&t->chains[i]))
			r = report_chain(det, t, &t->chains[i]);
	tables_free(t);
	return r;
}

int detect_firewalls(struct detection *det, const char *root, struct diag *d)
{
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < sizeof(legacy_files) / sizeof(legacy_files[0]); i++)
		r = detect_legacy(det, root, i, d);
	if (r < 0)
		return r;
	if (root && strcmp(root, "/"))
		return detect_evidence(det, FW_FACT, NULL, NFT_SOURCE, "not the live host");
	return detect_nftables(det, d);
}
