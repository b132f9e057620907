/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fgnl: the netns tests' driver for netlink/ and agent/kernel.c, until "flowguard apply"
 * exists. Only ever run inside a network namespace the test made.
 *
 *   fgnl print|apply|audit|audit-json|hold SRC   SRC: "sample", "sample-dyn" or a config (catalog: $FG_CATALOG)
 *   fgnl bad SRC                      apply SRC plus one set the kernel rejects
 *   fgnl disable | status | genid
 *   fgnl big N                        apply a table with an N-element set
 *   fgnl bigdiff N M                  change M elements of it with one diff, then verify
 *   fgnl conflicts                    other firewalls alone (as status runs it), one per line
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/netfilter.h>

#include "agent/detect/detect_int.h"
#include "agent/kernel/kernel.h"
#include "netlink/nft.h"
#include "netlink/setdiff.h"
#include "policies/compile.h"

static int add_addr(struct rs_set *s, const char *a, uint64_t timeout, const char *comment)
{
	struct rs_elem e = { .timeout_ms = timeout, .comment = (char *)(uintptr_t)comment };

	if (rs_addr_parse(a, &e.addr) < 0)
		return -EINVAL;
	return rs_set_add_elem(s, &e);
}

static struct rs_rule *rule(struct rs_chain *c, const char *comment, enum rs_verdict v)
{
	struct rs_rule *r = rs_chain_add_rule(c);

	r->verdict = v;
	rs_strset(&r->comment, comment);
	return r;
}

/* Every rule shape the IR can express, every set kind. */
static void sample_sets(struct ruleset *rs, bool dyn)
{
	struct rs_set *s;

	s = ruleset_add_set(rs, "ranges_v4", AF_INET, RS_SET_INTERVAL);
	rs_strset(&s->comment, "published ranges");
	rs_strset(&s->origin, "sample.yaml:3:5 (ranges)");
	add_addr(s, "10.0.0.0/8", 0, NULL);
	add_addr(s, "192.0.2.1", 0, "one host");
	add_addr(s, "198.51.100.0/24", 0, NULL);
	s = ruleset_add_set(rs, "ranges_v6", AF_INET6, RS_SET_INTERVAL);
	add_addr(s, "2001:db8::/32", 0, NULL);
	add_addr(s, "ff00::/8", 0, "multicast, to the top");
	add_addr(s, "::1", 0, NULL);
	s = ruleset_add_set(rs, "dns_v4", AF_INET, RS_SET_TIMEOUT);
	rs_strset(&s->comment, "api.example.com: addresses from DNS");
	s->dynamic = true;
	if (dyn) {
		add_addr(s, "192.0.2.7", 300000, "api.example.com");
		add_addr(s, "192.0.2.9", 3600000, "\"quoted\" api.example.com");
	}
	s = ruleset_add_set(rs, "dns_v6", AF_INET6, RS_SET_TIMEOUT);
	s->dynamic = true;
	if (dyn)
		add_addr(s, "2001:db8::7", 60000, "api.example.com");
}

static void sample_input(struct ruleset *rs)
{
	struct rs_chain *c = ruleset_add_chain(rs, "input", RS_HOOK_INPUT, 0, RS_VERDICT_DROP);
	struct rs_rule *r;

	rs_strset(&c->comment, "inbound");
	r = rule(c, "replies", RS_VERDICT_ACCEPT);
	r->ct_state = RS_CT_ESTABLISHED | RS_CT_RELATED;
	r = rule(c, NULL, RS_VERDICT_DROP);
	r->ct_state = RS_CT_INVALID;
	r = rule(c, "relay local", RS_VERDICT_ACCEPT);
	strcpy(r->iifname, "lo");
	r->l4proto = IPPROTO_TCP;
	r->dport = 4123;
	r->counter = true;
	r = rule(c, NULL, RS_VERDICT_ACCEPT);
	strcpy(r->iifname, "lo");
	r = rule(c, "dhcpv6", RS_VERDICT_ACCEPT);
	r->nfproto = NFPROTO_IPV6;
	r->l4proto = IPPROTO_UDP;
	r->sport = 547;
	r->dport = 546;
	r = rule(c, "manager -> agent 4118/tcp", RS_VERDICT_ACCEPT);
	rs_strset(&r->set, "ranges_v4");
	r->set_dir = RS_DIR_SRC;
	r->l4proto = IPPROTO_TCP;
	r->dport = 4118;
	r->counter = true;
	rs_strset(&r->origin, "sample.yaml:9:5 (agent-manager)");
	r = rule(c, NULL, RS_VERDICT_ACCEPT);
	r->nfproto = NFPROTO_IPV6;
	rs_strset(&r->set, "ranges_v6");
	r->set_dir = RS_DIR_SRC;
	r->l4proto = IPPROTO_TCP;
	r->sport = 80;
	r = rule(c, "pmtu", RS_VERDICT_ACCEPT);
	r->l4proto = IPPROTO_ICMP;
	r->icmp_type = 3;
	r->icmp_code = 4;
	r->counter = true;
	r = rule(c, "nd", RS_VERDICT_ACCEPT);
	r->l4proto = IPPROTO_ICMPV6;
	r->icmp_type = 135;
	r = rule(c, NULL, RS_VERDICT_ACCEPT);
	r->l4proto = IPPROTO_ICMPV6;
	r = rule(c, NULL, RS_VERDICT_ACCEPT);
	r->nfproto = NFPROTO_IPV4;
	r->l4proto = IPPROTO_UDP;
	r = rule(c, NULL, RS_VERDICT_DROP);
	r->limit_rate = 10;
	r->limit_burst = 5;
	r->counter = true;
	rs_strset(&r->log_prefix, "flowguard drop: ");
	r->log_group = 4100; /* the audit rule below logs to the kernel log: both shapes */
}

static void sample_output(struct ruleset *rs)
{
	struct rs_chain *c = ruleset_add_chain(rs, "output", RS_HOOK_OUTPUT, -5, RS_VERDICT_ACCEPT);
	struct rs_rule *r;

	r = rule(c, NULL, RS_VERDICT_ACCEPT);
	strcpy(r->oifname, "lo");
	r = rule(c, "agent -> SWP 443/tcp", RS_VERDICT_ACCEPT);
	rs_strset(&r->set, "dns_v4");
	r->set_dir = RS_DIR_DST;
	r->l4proto = IPPROTO_TCP;
	r->dport = 443;
	r->counter = true;
	r = rule(c, NULL, RS_VERDICT_ACCEPT);
	rs_strset(&r->set, "dns_v6");
	r->set_dir = RS_DIR_DST;
	r->ct_state = RS_CT_NEW;
	r = rule(c, "audit", RS_VERDICT_ACCEPT);
	r->counter = true;
	rs_strset(&r->log_prefix, "flowguard audit: ");
}

static struct ruleset *sample(bool dyn)
{
	struct ruleset *rs = ruleset_new(FG_TABLE);

	rs_strset(&rs->comment, "flowguard sample");
	sample_sets(rs, dyn);
	sample_input(rs);
	sample_output(rs);
	return rs;
}

static struct ruleset *from_config(const char *path, struct plan **ret_plan)
{
	const char *catpath = getenv("FG_CATALOG") ? getenv("FG_CATALOG") :
						     "policies/catalog/swp.yaml";
	struct host_facts facts;
	struct catalog *cat = NULL;
	struct config *cfg = NULL;
	struct diag d = { 0 };
	int r;

	r = catalog_load(catpath, &cat, &d);
	if (r == 0)
		r = config_load(path, false, cat, &cfg, &d);
	if (r == 0)
		r = config_validate(cfg, cat, &d);
	if (r == 0)
		r = facts_from_config(cfg, cat, &facts, &d);
	if (r == 0)
		r = compile(cat, cfg, &facts, ret_plan, &d);
	diag_print(&d, stderr);
	diag_clear(&d);
	config_free(cfg);
	catalog_free(cat);
	return r == 0 ? (*ret_plan)->rs : NULL;
}

/* A table with one N-element set, addresses 10.0.0.0 + 2*i (so i+1 odd ones stay free). */
static struct ruleset *big(unsigned int n, unsigned int shift)
{
	struct ruleset *rs = ruleset_new(FG_TABLE);
	struct rs_set *s = ruleset_add_set(rs, "big_v4", AF_INET, RS_SET_TIMEOUT);
	struct rs_chain *c = ruleset_add_chain(rs, "output", RS_HOOK_OUTPUT, 0, RS_VERDICT_ACCEPT);
	struct rs_rule *r = rs_chain_add_rule(c);
	struct rs_elem e = { .addr = { .family = AF_INET, .prefix = 32 } };
	uint32_t a;
	unsigned int i;

	rs_strset(&r->set, "big_v4");
	r->set_dir = RS_DIR_DST;
	r->verdict = RS_VERDICT_ACCEPT;
	for (i = 0; i < n; i++) {
		a = htonl(0x0a000000U + 2 * (i + shift));
		memcpy(e.addr.addr, &a, 4);
		rs_set_add_elem(s, &e);
	}
	rs_set_sort(s);
	return rs;
}

static int cmd_hold(struct ruleset *rs, int secs)
{
	struct nft_commit_opts co = { .table_flags = NFT_TABLE_F_OWNER };
	struct nft_error err;
	struct nft_ctx ctx;
	int r;

	/* disable signals only processes named flowguard */
	prctl(PR_SET_NAME, "flowguard", 0, 0, 0);
	r = nft_open(&ctx);
	if (r == 0)
		r = nft_probe(&ctx, 0);
	if (r == 0 && (ctx.features & NFT_FEAT_PERSIST) && !getenv("FGNL_NO_PERSIST"))
		co.table_flags |= NFT_TABLE_F_PERSIST;
	if (r == 0)
		r = nft_commit_ruleset(&ctx, rs, &co, NULL, &err);
	if (r < 0) {
		fprintf(stderr, "hold: %s: %s (%s)\n", err.object, strerror(-r), err.msg);
		return 1;
	}
	printf("holding portid %u pid %ld\n", ctx.portid, (long)getpid());
	fflush(stdout);
	sleep((unsigned int)secs);
	nft_close(&ctx);
	return 0;
}

static int cmd_bigdiff(unsigned int n, unsigned int m)
{
	struct ruleset *want = big(n, m), *cur = big(0, 0);
	struct rs_set *ws = &want->sets[0], *cs = &cur->sets[0];
	struct nft_error err;
	struct setdiff d;
	struct nft_ctx ctx;
	int r;

	r = nft_open(&ctx);
	if (r == 0)
		r = nft_probe(&ctx, 0);
	if (r == 0 && getenv("FLOWGUARD_FORCE_NO_DESTROY"))
		ctx.features &= ~(unsigned int)NFT_FEAT_DESTROY;
	if (r == 0)
		r = nft_dump_set_elems(&ctx, FG_TABLE, cs);
	if (r == 0)
		r = setdiff_compute(cs->elems, cs->n_elems, ws->elems, ws->n_elems, 0, &d);
	if (r == 0) {
		printf("diff: %zu add, %zu del\n", d.n_add, d.n_del);
		r = nft_set_apply_diff(&ctx, FG_TABLE, ws, &d, &err);
		if (r < 0)
			fprintf(stderr, "bigdiff: %s: %s\n", err.object, strerror(-r));
		setdiff_clear(&d);
	}
	ruleset_free(cur);
	cur = big(0, 0);
	if (r == 0)
		r = nft_dump_set_elems(&ctx, FG_TABLE, &cur->sets[0]);
	if (r == 0 && (cur->sets[0].n_elems != n ||
		       rs_addr_cmp(&cur->sets[0].elems[0].addr, &ws->elems[0].addr) ||
		       rs_addr_cmp(&cur->sets[0].elems[n - 1].addr, &ws->elems[n - 1].addr)))
		r = -EPROTO;
	printf("after: %zu elements\n", cur->sets[0].n_elems);
	ruleset_free(cur);
	ruleset_free(want);
	nft_close(&ctx);
	return r < 0 ? 1 : 0;
}

/* detect_firewalls() without the rest of detection, the way "status" can call it. */
static int cmd_conflicts(void)
{
	struct detection *det;
	struct diag d = { 0 };
	size_t i;
	int r;

	det = calloc(1, sizeof(*det));
	if (!det)
		return 1;
	r = detect_firewalls(det, "/", &d);
	for (i = 0; r == 0 && i < det->n_conflicts; i++)
		printf("conflict: %s | hook %s | priority %d | policy %s | %s\n",
		       det->conflicts[i].where, det->conflicts[i].hook, det->conflicts[i].priority,
		       det->conflicts[i].policy, det->conflicts[i].meaning);
	for (i = 0; r == 0 && i < det->n_ev; i++)
		printf("evidence: %s | %s\n", det->ev[i].value ? det->ev[i].value : "-",
		       det->ev[i].note ? det->ev[i].note : "");
	diag_print(&d, stderr);
	diag_clear(&d);
	detection_free(det);
	return r < 0;
}

/* Adds a set whose name the kernel refuses (longer than NFT_SET_MAXNAMELEN). */
static void add_bad_set(struct ruleset *rs)
{
	char name[300];
	struct rs_set *s;

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	s = ruleset_add_set(rs, name, AF_INET, 0);
	rs_strset(&s->origin, "bad.yaml:7:3 (flow too-long-name)");
}

static struct ruleset *source(const char *src, struct plan **p)
{
	if (!strcmp(src, "sample"))
		return sample(false);
	if (!strcmp(src, "sample-dyn"))
		return sample(true);
	return from_config(src, p);
}

static int run(int argc, char **argv, struct ruleset **rsp, struct plan **p)
{
	const char *cmd = argv[1];
	struct kernel_opts o;
	uint32_t genid;
	struct nft_ctx ctx;

	kernel_opts_init(&o);
	if (!strcmp(cmd, "disable"))
		return kernel_disable(FG_TABLE, stdout) < 0;
	if (!strcmp(cmd, "status"))
		return kernel_status(FG_TABLE, stdout) < 0;
	if (!strcmp(cmd, "genid")) {
		if (nft_open(&ctx) < 0 || nft_genid(&ctx, &genid) < 0)
			return 1;
		printf("%u\n", genid);
		nft_close(&ctx);
		return 0;
	}
	if (!strcmp(cmd, "big") && argc > 2) {
		*rsp = big((unsigned int)atoi(argv[2]), 0);
		return kernel_apply(*rsp, &o, stdout) < 0;
	}
	if (!strcmp(cmd, "conflicts"))
		return cmd_conflicts();
	if (!strcmp(cmd, "bigdiff") && argc > 3)
		return cmd_bigdiff((unsigned int)atoi(argv[2]), (unsigned int)atoi(argv[3]));
	if (argc < 3 || !(*rsp = source(argv[2], p)))
		return 2;
	if (!strcmp(cmd, "print"))
		return ruleset_print_nft(*rsp, stdout) < 0;
	if (!strcmp(cmd, "apply"))
		return kernel_apply(*rsp, &o, stdout) < 0;
	if (!strcmp(cmd, "audit") || !strcmp(cmd, "audit-json")) {
		struct audit_opts ao = { .json = !strcmp(cmd, "audit-json") };

		return kernel_audit(*rsp, &ao, stdout) ? 1 : 0;
	}
	if (!strcmp(cmd, "hold"))
		return cmd_hold(*rsp, argc > 3 ? atoi(argv[3]) : 3);
	if (!strcmp(cmd, "bad")) {
		add_bad_set(*rsp);
		return kernel_apply(*rsp, &o, stdout) < 0;
	}
	return 2;
}

int main(int argc, char **argv)
{
	struct ruleset *rs = NULL;
	struct plan *p = NULL;
	int r;

	if (argc < 2) {
		fputs("usage: fgnl print|apply|audit|audit-json|hold|bad SRC | disable | status | genid |"
		      " big N | bigdiff N M | conflicts\n",
		      stderr);
		return 2;
	}
	r = run(argc, argv, &rs, &p);
	if (p)
		plan_free(p);
	else
		ruleset_free(rs);
	return r;
}
