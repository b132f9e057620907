/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Vendor-software detection (agent/detect/vendor_*.c): the parsers on captured-format and
 * broken text, detect_run_tool() on small scripts (exit codes, clean environment, output cap,
 * a hung tool and what it started), the relay and communication-direction thresholds on
 * generated socket tables, and detect_agent/relay/dcgw on the fixture trees under
 * tests/detect/NAME/root. No root needed; paths are relative to the repository root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/detect/vendor.h"

#define FIXTURES "tests/detect"

/* ---- helpers ------------------------------------------------------------------------- */

/* The fixture trees' tools are ours: they run (DETECT_RUN_TOOLS), as with --run-tools. */
static struct detection *det_new(void)
{
	struct detection *det = calloc(1, sizeof(*det));

	assert_non_null(det);
	det->run_tools = true;
	return det;
}

/* The number of diagnostics containing s (all are warnings here: none may be an error). */
static size_t diag_count(const struct diag *d, const char *s)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		n += strstr(d->msgs[i].text, s) != NULL;
	return n;
}

static void diag_dump(const struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		print_message("  diag: %s\n", d->msgs[i].text);
}

static void assert_warned(const struct diag *d, const char *s)
{
	if (!diag_count(d, s)) {
		diag_dump(d);
		fail_msg("no diagnostic contains '%s'", s);
	}
}

/* Evidence for fact with value (NULL: the "not found" kind); NULL if there is none. */
static const struct evidence *ev_find(const struct detection *det, const char *fact,
				      const char *value)
{
	size_t i;

	for (i = 0; i < det->n_ev; i++) {
		const struct evidence *ev = &det->ev[i];

		if (strcmp(ev->fact, fact) != 0)
			continue;
		if (value ? ev->value && !strcmp(ev->value, value) : !ev->value)
			return ev;
	}
	return NULL;
}

static void assert_ev(const struct detection *det, const char *fact, const char *value)
{
	if (!ev_find(det, fact, value))
		fail_msg("no evidence '%s' = '%s'", fact, value ? value : "(not found)");
}

static bool has_endpoint(const struct endpoint_list *l, const char *text, uint16_t port)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].text, text) && l->v[i].port == port)
			return true;
	return false;
}

/* No evidence, note or warning may repeat a secret found in the input. */
static void assert_nowhere(const struct detection *det, const struct diag *d, const char *s)
{
	size_t i;

	for (i = 0; i < det->n_ev; i++) {
		const struct evidence *ev = &det->ev[i];

		assert_null(ev->value ? strstr(ev->value, s) : NULL);
		assert_null(ev->source ? strstr(ev->source, s) : NULL);
		assert_null(ev->note ? strstr(ev->note, s) : NULL);
	}
	assert_int_equal(diag_count(d, s), 0);
}

static void mkdir_p(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
}

/* Writes root/rel (making its directories) with the given mode. */
static void put(const char *root, const char *rel, const char *text, mode_t mode)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	mkdir_p(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static char *tmp_root(void)
{
	char *dir = strdup("/tmp/fg-vendor-XXXXXX");

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static void rm_root(char *root)
{
	char cmd[PATH_MAX + 16];

	/* Only ever a mkdtemp() directory of ours. */
	assert_int_equal(strncmp(root, "/tmp/fg-vendor-", 15), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	free(root);
}

/* A root that has an agent installed (dsa_control), for the relay and socket tests. */
static char *agent_root(void)
{
	char *root = tmp_root();

	put(root, "/opt/ds_agent/dsa_control", "#!/bin/sh\nexit 0\n", 0755);
	return root;
}

/* Runs the three vendor detectors in detect_host()'s order. */
static void detect_vendor(const char *root, struct detection *det, struct diag *d)
{
	assert_int_equal(detect_agent(det, root, d), 0);
	assert_int_equal(detect_relay(det, root, d), 0);
	assert_int_equal(detect_dcgw(det, root, d), 0);
	assert_int_equal(d->n_errors, 0);
}

/* What most tests start from: an empty detection and no diagnostics (root: a tmp_root()). */
struct vendor_fixture {
	struct detection *det;
	struct diag d;
	char *root;
};

static int setup(void **state)
{
	struct vendor_fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->det = det_new();
	*state = f;
	return 0;
}

/* The vendor detectors on the fixture tree tests/detect/NAME/root: no diagnostic allowed. */
static struct detection *fixture_tree(void **state, const char *name)
{
	struct vendor_fixture *f = *state;
	char root[PATH_MAX];

	snprintf(root, sizeof(root), FIXTURES "/%s/root", name);
	detect_vendor(root, f->det, &f->d);
	if (f->d.n) {
		diag_dump(&f->d);
		fail_msg("%s: %zu diagnostics", name, f->d.n);
	}
	return f->det;
}

static int teardown(void **state)
{
	struct vendor_fixture *f = *state;

	detection_free(f->det);
	diag_clear(&f->d);
	if (f->root)
		rm_root(f->root);
	free(f);
	return 0;
}

static const char TCP_HEADER[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
	"timeout inode\n";
/* sl, local (hex addr:port), remote, state; the rest of a kernel line is ignored. */
#define TCP_LINE(sl, local, remote, st)                                                        \
	"   " sl ": " local " " remote " " st " 00000000:00000000 00:00000000 00000000     0 " \
	"       0 1234 1 0000000000000000 100 0 0 10 0\n"

/* ---- detect_region_from_url ----------------------------------------------------------- */

static void test_region_from_url(void **state)
{
	static const struct {
		const char *url;
		int r;
		const char *region;
	} cases[] = {
		{ "https://agents-004.workload.de-1.cloudone.trendmicro.com:443/", 0, "de-1" },
		{ "https://agents.workload.jp-1.cloudone.trendmicro.com:443/", 0, "jp-1" },
		{ "https://AGENTS-001.Workload.US-1.CloudOne.TrendMicro.com/", 0, "us-1" },
		{ "https://agents-12.workload.trend-us-1.cloudone.trendmicro.com", 0,
		  "trend-us-1" },
		{ "https://agents.deepsecurity.trendmicro.com:443/", -ENOENT, NULL },
		{ "https://192.168.100.48:4120/", -ENOENT, NULL },
		{ "https://[2001:db8::1]:4120/", -ENOENT, NULL },
		{ "https://dsm.corp.example:4119/", -ENOENT, NULL },
		{ "https://agents-0001.workload.de-1.cloudone.trendmicro.com/", -ENOENT, NULL },
		{ "https://agents-004.workload.a.cloudone.trendmicro.com/", -ENOENT, NULL },
		{ "https://agents-004.workload.abcdefghijklmnopqrstu.cloudone.trendmicro.com/",
		  -ENOENT, NULL },
		{ "https://agents-004.workload.de.1.cloudone.trendmicro.com/", -ENOENT, NULL },
		{ "https://agents.workload.cloudone.trendmicro.com/", -ENOENT, NULL },
		{ "https://evil.example/agents.workload.de-1.cloudone.trendmicro.com", -ENOENT,
		  NULL },
		{ "http://agents-004.workload.de-1.cloudone.trendmicro.com/", -EINVAL, NULL },
		{ "dsm://agents.workload.de-1.cloudone.trendmicro.com:443/", -EINVAL, NULL },
		{ "https://user@agents.workload.de-1.cloudone.trendmicro.com/", -EINVAL, NULL },
		{ "https://agents.workload.de-1.cloudone.trendmicro.com:99999/", -EINVAL, NULL },
		{ "https://2001:db8::1/", -EINVAL, NULL },
		{ "https://bad_host!/", -EINVAL, NULL },
		{ "https:///", -EINVAL, NULL },
		{ "", -EINVAL, NULL },
	};
	char buf[VENDOR_REGION_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = detect_region_from_url(cases[i].url, buf, sizeof(buf));

		if (r != cases[i].r)
			fail_msg("%s: %d, expected %d", cases[i].url, r, cases[i].r);
		if (!r)
			assert_string_equal(buf, cases[i].region);
	}
	assert_int_equal(detect_region_from_url(cases[0].url, buf, 4), -ENAMETOOLONG);
}

/* ---- detect_parse_agent_status -------------------------------------------------------- */

static const char STATUS_DE1[] =
	"AgentStatus.0: agentState\n"
	"AgentStatus.1: dsmUrl\n"
	"AgentStatus.agentState: green\n"
	"AgentStatus.dsmUrl: https://agents-004.workload.de-1.cloudone.trendmicro.com:443/\n"
	"AgentStatus.dsmDN: CN=DSM/TenantID=5BAB243A-4310-4EBE-81C7-E5FDDF6D5292\n";

static void test_status_region(void **state)
{
	struct vendor_fixture *f = *state;
	struct detection *det = f->det;
	struct diag *d = &f->d;

	assert_int_equal(detect_parse_agent_status(det, "dsa_query", STATUS_DE1, strlen(STATUS_DE1),
						   d),
			 0);
	assert_int_equal(d->n, 0);
	assert_string_equal(det->region, "de-1");
	assert_string_equal(det->manager_url,
			    "https://agents-004.workload.de-1.cloudone.trendmicro.com:443/");
	assert_false(det->legacy_dsaas);
	assert_ev(det, "region", "de-1");
	assert_ev(det, "agent-state", "green");
}

/* One captured script prints "AgentStatus.dsmUrl:https://..." without the space; CRLF too. */
static void test_status_no_space_crlf(void **state)
{
	static const char out[] = "AgentStatus.dsmUrl:https://agents.workload.au-1.cloudone."
				  "trendmicro.com:443/\r\n";
	struct vendor_fixture *f = *state;
	struct detection *det = f->det;
	struct diag *d = &f->d;

	assert_int_equal(detect_parse_agent_status(det, "q", out, strlen(out), d), 0);
	assert_int_equal(d->n, 0);
	assert_string_equal(det->region, "au-1");
}

static void test_status_legacy(void **state)
{
	static const char out[] =
		"AgentStatus.dsmUrl: https://agents.deepsecurity.trendmicro.com:443/\n";
	static const char host[] = "agents.deepsecurity.trendmicro.com";
	struct vendor_fixture *f = *state;
	struct detection *det = f->det;
	struct diag *d = &f->d;

	assert_int_equal(detect_parse_agent_status(det, "q", out, strlen(out), d), 0);
	assert_true(det->legacy_dsaas);
	assert_null(det->region);
	assert_ev(det, "legacy-dsaas", host);
	assert_non_null(strstr(ev_find(det, "legacy-dsaas", host)->note, "region"));
}

static void test_status_on_prem(void **state)
{
	static const char out[] = "AgentStatus.dsmUrl: https://192.168.100.48:4120/\n";
	struct vendor_fixture *f = *state;
	struct detection *det = f->det;
	struct diag *d = &f->d;

	assert_int_equal(detect_parse_agent_status(det, "q", out, strlen(out), d), 0);
	assert_null(det->region);
	assert_false(det->legacy_dsaas);
	assert_string_equal(det->manager_url, "https://192.168.100.48:4120/");
	assert_non_null(strstr(ev_find(det, "region", NULL)->note, "on-premises"));
}

static void test_status_garbage(void **state)
{
	static const char out[] = "Welcome\n"
				  "AgentStatus.dsmUrl: http://agents.workload.de-1.cloudone."
				  "trendmicro.com/\n"
				  "AgentStatus.: x\n"
				  "AgentStatus.agentState red\n"
				  "\x01\x02 binary\n"
				  "AgentStatus.dsmUrl: https://agents.workload.sg-1.cloudone."
				  "trendmicro.com/\n";
	struct vendor_fixture *f = *state;
	struct detection *det = f->det;
	struct diag *d = &f->d;

	assert_int_equal(detect_parse_agent_status(det, "/opt/ds_agent/dsa_query -c GetAgentStatus",
						   out, sizeof(out) - 1, d),
			 0);
	assert_int_equal(d->n_errors, 0);
	assert_warned(d, "/opt/ds_agent/dsa_query -c GetAgentStatus:1:1: warning: not "
			 "'AgentStatus.field: value'");
	assert_warned(d, ":2:1: warning: manager URL 'http://agents.workload.de-1");
	assert_warned(d, ":3:1: warning: not 'AgentStatus.field: value'");
	assert_warned(d, ":4:1: warning: not 'AgentStatus.field: value'");
	assert_warned(d, ":5:1: warning: line too long or not text");
	/* A bad first dsmUrl does not hide a good later one. */
	assert_string_equal(det->region, "sg-1");
}

static void test_status_not_activated(void **state)
{
	static const char out[] = "AgentStatus.0: dsmUrl\nAgentStatus.dsmUrl: \n";
	struct vendor_fixture *f = *state;
	struct detection *det = f->det;
	struct diag *d = &f->d;

	assert_int_equal(detect_parse_agent_status(det, "q", out, strlen(out), d), 0);
	assert_null(det->manager_url);
	assert_non_null(strstr(ev_find(det, "manager-url", NULL)->note, "index lists dsmUrl"));
}

/* Embedded NUL bytes and an overlong line: warnings, never a read past the buffer. */
static void test_status_binary(void **state)
{
	char out[3000];
	struct vendor_fixture *f = *state;
	struct detection *det = f->det;
	struct diag *d = &f->d;

	memset(out, 'A', sizeof(out));
	memcpy(out, "AgentStatus.dsmUrl: https://x\0y\n", 33);
	assert_int_equal(detect_parse_agent_status(det, "q", out, sizeof(out), d), 0);
	assert_int_equal(diag_count(d, "line too long or not text"), 2);
	assert_null(det->manager_url);
}

/* ---- detect_parse_get_configuration --------------------------------------------------- */

static const char CONFIG_XML[] =
	"<?xml version='1.0' encoding='UTF-8'?>\n"
	"<Configuration hostID='2047' tenantName='t' dsmUrls='https://agents-002.workload.jp-1."
	"cloudone.trendmicro.com:443/' sensorActivityEnabled='true'>\n"
	"<Network dsmProxy='http://flowguard:s3cret@proxy.jp.example.com:3128/' relayProxy=''\n"
	"  relayProxyUser='bob' otherProxy=\"socks5://[2001:db8::8]:1080\" "
	"pacProxyUrl='http://wpad/p.pac'/>\n"
	"<Bad brokenProxy='not a proxy: at all'/>\n"
	"<Auth dsmProxyPassword='abc:1234' proxyUser='u:9' noProxyHosts='intra.example:80'\n"
	"  proxyBypass='x.example:1' packageProxy='pkg.example.com:8080'/>\n"
	"</Configuration>\n";

static void test_config_urls_and_proxies(void **state)
{
	struct vendor_fixture *f = *state;
	struct detection *det = f->det;
	struct diag *d = &f->d;

	assert_int_equal(detect_parse_get_configuration(det, "sendCommand", CONFIG_XML,
							strlen(CONFIG_XML), d),
			 0);
	assert_string_equal(det->region, "jp-1");
	assert_true(has_endpoint(&det->lists[FACT_PROXY], "proxy.jp.example.com", 3128));
	assert_true(has_endpoint(&det->lists[FACT_PROXY], "2001:db8::8", 1080));
	assert_true(has_endpoint(&det->lists[FACT_PROXY], "pkg.example.com", 8080));
	assert_int_equal(det->lists[FACT_PROXY].n, 3);
	assert_warned(d, "sendCommand:4:1: warning: attribute 'pacProxyUrl': a PAC file");
	assert_warned(d, "sendCommand:5:1: warning: attribute 'brokenProxy' is not host:port");
	assert_int_equal(d->n, 2);
	assert_nowhere(det, d, "s3cret");
	assert_nowhere(det, d, "flowguard:");
	assert_nowhere(det, d, "abc");
	assert_nowhere(det, d, "intra.example");
}

/* GetConfiguration after GetAgentStatus: the same URL adds nothing, another one is noted. */
static void test_config_second_url(void **state)
{
	static const char xml[] = "<C dsmUrls='https://agents-002.workload.jp-1.cloudone.trendmicro"
				  ".com:443/, https://agents-003.workload.jp-1.cloudone.trendmicro."
				  "com:443/'/>";
	struct vendor_fixture *f = *state;
	struct detection *det = f->det;
	struct diag *d = &f->d;

	assert_int_equal(detect_parse_get_configuration(det, "s", xml, strlen(xml), d), 0);
	assert_string_equal(det->manager_url,
			    "https://agents-002.workload.jp-1.cloudone.trendmicro.com:443/");
	assert_non_null(strstr(ev_find(det, "manager-url",
				       "https://agents-003.workload.jp-1."
				       "cloudone.trendmicro.com:443/")
				       ->note,
			       "differs"));
	assert_ev(det, "proxy", NULL);
}

static void test_config_garbage(void **state)
{
	static const char xml[] = "Error: unable to contact ds_agent\n<X a='unterminated\n b='ok'/>";
	struct detection *det = det_new();
	struct diag d = { 0 };

	(void)state;
	assert_int_equal(detect_parse_get_configuration(det, "s", xml, strlen(xml), &d), 0);
	assert_warned(&d, "s:2:1: warning: attribute 'a': value unterminated");
	assert_int_equal(d.n_errors, 0);
	assert_ev(det, "manager-url", NULL);
	assert_null(det->manager_url);
	detection_free(det);
	diag_clear(&d);
	det = det_new();
	assert_int_equal(detect_parse_get_configuration(det, "s", "no xml", 6, &d), 0);
	assert_warned(&d, "s: warning: no name='value' attributes");
	detection_free(det);
	diag_clear(&d);
}

/* ---- detect_parse_proc_net_tcp -------------------------------------------------------- */

static void test_proc_net_tcp_v4(void **state)
{
	static const char tcp[] = "  sl  local_address rem_address   st tx_queue ...\n" TCP_LINE(
		"0", "00000000:101A", "00000000:0000",
		"0A") TCP_LINE("1", "0100007F:101B", "00000000:0000",
			       "0A") TCP_LINE("2", "00000000:0016", "00000000:0000",
					      "0A") TCP_LINE("3", "0F00140A:1016", "2903140A:C4EC",
							     "01")
		TCP_LINE("4", "0F00140A:C4EC", "0800140A:1016",
			 "01") "   5: garbage\n"
			       "   6: 0100007F:101 00000000:0000 0A\n" TCP_LINE("7",
										"0100007F:1016",
										"00000000:0000",
										"0a") "\n";
	struct tcp_sock v[8];
	struct diag d = { 0 };
	size_t n;

	(void)state;
	assert_int_equal(detect_parse_proc_net_tcp("/proc/net/tcp", tcp, strlen(tcp), v, 8, &n, &d),
			 0);
	assert_int_equal(n, 4); /* 4122, 4123, the session on 4118, the 4118 listener */
	assert_string_equal(v[0].local, "0.0.0.0");
	assert_int_equal(v[0].lport, VENDOR_PORT_RELAY);
	assert_false(v[0].local_lo);
	assert_int_equal(v[0].line, 2);
	assert_true(v[1].local_lo);
	assert_int_equal(v[1].lport, VENDOR_PORT_RELAY_LOCAL);
	assert_string_equal(v[2].local, "10.20.0.15");
	assert_string_equal(v[2].remote, "10.20.3.41");
	assert_int_equal(v[2].rport, 50412);
	assert_int_equal(v[2].state, 1);
	assert_int_equal(v[3].state, 10);
	assert_warned(&d, "/proc/net/tcp:7:1: warning: not a socket line");
	assert_warned(&d, "/proc/net/tcp:8:1: warning: not a socket line");
	assert_int_equal(d.n, 2);
	diag_clear(&d);
}

static void test_proc_net_tcp_v6(void **state)
{
	static const char tcp6[] = TCP_LINE("0", "00000000000000000000000000000000:101A",
					    "00000000000000000000000000000000:0000", "0A")
		TCP_LINE("1", "00000000000000000000000001000000:1016",
			 "00000000000000000000000000000000:0000", "0A")
			TCP_LINE("2", "0000000000000000FFFF00000500000A:1016",
				 "0000000000000000FFFF00000A05CD22:C822", "01")
				TCP_LINE("3", "0000000000000000FFFF00000500000A:1016",
					 "0000000000000000FFFF00000100007F:C822", "06");
	struct tcp_sock v[8];
	struct diag d = { 0 };
	size_t n;

	(void)state;
	assert_int_equal(detect_parse_proc_net_tcp("/proc/net/tcp6", tcp6, strlen(tcp6), v, 8, &n,
						   &d),
			 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(n, 4);
	assert_string_equal(v[0].local, "::");
	assert_false(v[0].local_lo);
	assert_string_equal(v[1].local, "::1");
	assert_true(v[1].local_lo);
	assert_string_equal(v[2].remote, "::ffff:34.205.5.10");
	assert_false(v[2].remote_lo);
	assert_true(v[3].remote_lo); /* ::ffff:127.0.0.1 */

	/* More sockets than room: one warning, the first ones kept. */
	assert_int_equal(detect_parse_proc_net_tcp("/proc/net/tcp6", tcp6, strlen(tcp6), v, 1, &n,
						   &d),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(diag_count(&d, "more than 1 sockets"), 1);
	diag_clear(&d);
}

/* ---- detect_parse_dcgw_allow_list ----------------------------------------------------- */

static void test_dcgw_list(void **state)
{
	static const char yaml[] = "destinations:\n"
				   "  - HostName: vcenter01.corp.example.com\n"
				   "    Port: 443\n"
				   "  - HostName: 10.10.0.21\n"
				   "    Port: \"636\"\n"
				   "  - HostName: dc01.corp.example.com\n"
				   "    Port: 389\n"
				   "  - HostName: esx.corp.example.com\n"
				   "    Port: 902\n"
				   "  - HostName: dc02.corp.example.com\n"
				   "    Port: 636\n"
				   "    Proxy: http://p2.corp.example.com:3128\n"
				   "  - HostName: vcenter01.corp.example.com\n"
				   "    Port: 443\n"
				   "  - HostName: no-port.corp.example.com\n"
				   "  - just a string\n"
				   "  - HostName: bad_name!\n"
				   "    Port: 443\n"
				   "gateway_proxy:\n"
				   "  HostName: 2001:db8::3\n"
				   "  Port: 8080\n";
	struct vendor_fixture *f = *state;
	struct detection *det = f->det;
	struct diag *d = &f->d;

	assert_int_equal(detect_parse_dcgw_allow_list(det, "/conf/destination_allow_list.yaml",
						      yaml, strlen(yaml), d),
			 0);
	assert_int_equal(d->n_errors, 0);
	assert_int_equal(det->lists[FACT_VCENTER].n, 1);
	assert_true(has_endpoint(&det->lists[FACT_VCENTER], "vcenter01.corp.example.com", 0));
	assert_int_equal(det->lists[FACT_AD].n, 2);
	assert_true(has_endpoint(&det->lists[FACT_AD], "10.10.0.21", 0));
	assert_true(has_endpoint(&det->lists[FACT_AD], "dc01.corp.example.com", 0));
	assert_true(has_endpoint(&det->lists[FACT_PROXY], "2001:db8::3", 8080));
	assert_warned(d, "/conf/destination_allow_list.yaml:9:11: warning: port 902 of "
			 "'esx.corp.example.com' is neither vCenter (443) nor Active Directory");
	assert_warned(d, ":12:12: warning: 'dc02.corp.example.com' is reached through its own "
			 "proxy");
	assert_warned(d, ":15:5: warning: a destination needs HostName and Port");
	assert_warned(d, ":16:5: warning:");
	assert_warned(d, ":17:1: warning: vcenter 'bad_name!'");
	assert_int_equal(d->n, 5);
}

static void test_dcgw_broken(void **state)
{
	static const char *const docs[] = {
		"destinations: [unclosed\n",
		"- a list\n",
		"destinations: 12\n",
		("destinations:\n  - HostName: a.example\n    Port: 443\ngateway_proxy: "
		 "http://user:pw@proxy\n"),
		"\xff\xfe binary",
		"",
	};
	struct detection *det;
	struct diag d = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		det = det_new();
		assert_int_equal(detect_parse_dcgw_allow_list(det, "/c.yaml", docs[i],
							      strlen(docs[i]), &d),
				 0);
		assert_int_equal(d.n_errors, 0);
		if (i < 5 && !diag_count(&d, "/c.yaml")) {
			diag_dump(&d);
			fail_msg("document %zu: no warning naming the file", i);
		}
		assert_nowhere(det, &d, "user:pw");
		detection_free(det);
		diag_clear(&d);
	}
}

/* ---- detect_run_tool ------------------------------------------------------------------ */

static void test_run_tool(void **state)
{
	static const char *const argv[] = { "/bin/tool", "-c", "Get Status", NULL };
	char *root = tmp_root(), *out = NULL;
	size_t len;

	(void)state;
	put(root, "/bin/tool", "#!/bin/sh\nprintf '%s|' \"$@\"\n", 0755);
	assert_int_equal(detect_run_tool(root, "/bin/tool", argv, &out, &len), 0);
	assert_string_equal(out, "-c|Get Status|");
	assert_int_equal(len, 14);
	free(out);
	put(root, "/bin/tool", "#!/bin/sh\necho partial\nexit 1\n", 0755);
	assert_int_equal(detect_run_tool(root, "/bin/tool", argv, &out, &len), -EIO);
	put(root, "/bin/tool", "#!/bin/sh\nkill -9 $$\n", 0755);
	assert_int_equal(detect_run_tool(root, "/bin/tool", argv, &out, &len), -EIO);
	put(root, "/bin/tool", "#!/bin/sh\nexit 0\n", 0644); /* not executable */
	assert_int_equal(detect_run_tool(root, "/bin/tool", argv, &out, &len), -EIO);
	assert_int_equal(detect_run_tool(root, "/bin/missing", argv, &out, &len), -ENOENT);
	put(root, "/bin/tool", "#!/bin/sh\nexit 0\n", 0755);
	assert_int_equal(detect_run_tool(root, "/bin/tool", argv, &out, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(out, "");
	free(out);
	rm_root(root);
}

/*
 * The tool sees only PATH and LC_ALL, /dev/null as stdin and stderr, and no fd of ours.
 * The fd check uses shell builtins only: a pipeline would show the shell's own pipe fds.
 */
static void test_run_tool_isolated(void **state)
{
	static const char *const argv[] = { "/bin/tool", NULL };
	static const char expect[] = "fd 0\nfd 1\nfd 2\n"
				     "LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin ";
	char *root = tmp_root(), *out = NULL;
	size_t len;
	int leak;

	(void)state;
	leak = open("/dev/null", O_RDONLY); /* without O_CLOEXEC: the child must close it */
	assert_true(leak > 2 && leak < 10);
	setenv("FG_SECRET", "x", 1);
	put(root, "/bin/tool",
	    "#!/bin/sh\n"
	    "for n in 0 1 2 3 4 5 6 7 8 9; do [ -e /proc/$$/fd/$n ] && echo \"fd $n\"; done\n"
	    "env | sort | tr '\\n' ' '\n"
	    "echo\n"
	    "cat\n" /* stdin: must be at its end at once */
	    "readlink /proc/$$/fd/2\n",
	    0755);
	assert_int_equal(detect_run_tool(root, "/bin/tool", argv, &out, &len), 0);
	assert_int_equal(strncmp(out, expect, sizeof(expect) - 1), 0);
	assert_null(strstr(out, "FG_SECRET"));
	assert_non_null(strstr(out, "\n/dev/null\n"));
	free(out);
	close(leak);
	unsetenv("FG_SECRET");
	rm_root(root);
}

static void test_run_tool_too_much(void **state)
{
	static const char *const argv[] = { "/bin/tool", NULL };
	char *root = tmp_root(), *out = NULL;
	size_t len;

	(void)state;
	/* `yes` would never stop: the cap, not the tool, ends this. */
	put(root, "/bin/tool", "#!/bin/sh\nexec yes flowguard\n", 0755);
	assert_int_equal(detect_run_tool(root, "/bin/tool", argv, &out, &len), -EFBIG);
	rm_root(root);
}

/* The process is gone, or a zombie its new parent has not reaped yet. */
static bool gone(int pid)
{
	char path[64], buf[256], *p;
	int tries;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (tries = 0; tries < 100; tries++) {
		f = fopen(path, "r");
		if (!f)
			return true;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p && p[1] == ' ' && p[2] == 'Z')
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * A hung dsa_query that started a child of its own: detect_agent() gives up after
 * DETECT_TOOL_TIMEOUT_MS, warns, still detects the agent, and nothing of the tool is left.
 * The one test that costs the whole timeout.
 */
static void test_tool_hangs(void **state)
{
	struct timespec t0, t1;
	char *root = agent_root(), path[PATH_MAX];
	struct detection *det = det_new();
	struct diag d = { 0 };
	FILE *f;
	long ms;
	int pid = 0;

	(void)state;
	put(root, "/opt/ds_agent/dsa_query",
	    "#!/bin/sh\nsleep 30 &\necho $! > \"${0%/*}/sleep.pid\"\nwait\n", 0755);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(detect_agent(det, root, &d), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= DETECT_TOOL_TIMEOUT_MS && ms < DETECT_TOOL_TIMEOUT_MS + 2000);
	assert_true(det->roles & (1U << ROLE_AGENT));
	assert_warned(&d, "/opt/ds_agent/dsa_query -c GetAgentStatus: warning: gave no answer "
			  "within 5000 ms and was killed; manager URL and region from "
			  "GetConfiguration, else from the config");
	assert_int_equal(d.n_errors, 0);
	snprintf(path, sizeof(path), "%s/opt/ds_agent/sleep.pid", root);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);
	assert_true(pid > 1);
	assert_true(gone(pid)); /* the tool's own child was killed with it */
	detection_free(det);
	diag_clear(&d);
	rm_root(root);
}

/*
 * Under a root other than "/", the tree's programs are not run without DETECT_RUN_TOOLS
 * (detect --root IMAGE ran IMAGE/opt/ds_agent/dsa_query as root): a tool that would leave
 * a mark does not, and the evidence says why; with the flag it runs.
 */
static void test_root_runs_nothing(void **state)
{
	char *root = agent_root(), mark[PATH_MAX];
	struct detection *det = det_new();
	struct diag d = { 0 };
	size_t i;

	(void)state;
	put(root, "/opt/ds_agent/dsa_query", "#!/bin/sh\ntouch \"${0%/*}/ran\"\n", 0755);
	put(root, "/opt/ds_agent/sendCommand", "#!/bin/sh\ntouch \"${0%/*}/ran\"\n", 0755);
	snprintf(mark, sizeof(mark), "%s/opt/ds_agent/ran", root);
	det->run_tools = false;
	assert_int_equal(detect_agent(det, root, &d), 0);
	assert_int_equal(access(mark, F_OK), -1);
	assert_true(det->roles & (1U << ROLE_AGENT));
	for (i = 0; i < det->n_ev; i++)
		if (det->ev[i].note &&
		    strstr(det->ev[i].note, "not run: under --root the tree's "
					    "programs are not run (--run-tools runs them)"))
			break;
	assert_true(i < det->n_ev);
	assert_int_equal(d.n, 0); /* evidence, not a warning */
	detection_free(det);
	det = det_new();
	assert_int_equal(detect_agent(det, root, &d), 0);
	assert_int_equal(access(mark, F_OK), 0);
	detection_free(det);
	diag_clear(&d);
	rm_root(root);
}

/* On "/", a tool runs only if root owns it and its directory and nobody else can write them. */
static void test_tool_trusted(void **state)
{
	char *root = tmp_root(), tool[PATH_MAX], dir[PATH_MAX], why[256];

	(void)state;
	if (geteuid() != 0) {
		rm_root(root);
		skip();
	}
	put(root, "/opt/t/tool", "#!/bin/sh\n", 0755);
	snprintf(tool, sizeof(tool), "%s/opt/t/tool", root);
	snprintf(dir, sizeof(dir), "%s/opt/t", root);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(detect_tool_trusted(tool, why, sizeof(why)), 0);
	assert_int_equal(chmod(tool, 0775), 0);
	assert_int_equal(detect_tool_trusted(tool, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "/opt/t/tool is writable by its group (mode 0775)"));
	assert_int_equal(chmod(tool, 0755), 0);
	assert_int_equal(chown(tool, 1, 1), 0);
	assert_int_equal(detect_tool_trusted(tool, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "/opt/t/tool is owned by uid 1, not root"));
	assert_int_equal(chown(tool, 0, 0), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(detect_tool_trusted(tool, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "/opt/t is writable by others (mode 0777)"));
	assert_int_equal(detect_tool_trusted(dir, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "/opt/t is not a regular file"));
	rm_root(root);
}

/* ---- relay and communication thresholds ----------------------------------------------- */

static void detect_in(const char *root, const char *tcp, bool repo, struct detection *det,
		      struct diag *d)
{
	char *text;

	if (tcp) {
		assert_true(asprintf(&text, "%s%s", TCP_HEADER, tcp) > 0);
		put(root, "/proc/net/tcp", text, 0644);
		free(text);
	}
	if (repo)
		put(root, "/var/opt/ds_agent/relay/www/dsa/Agent-Core.zip", "x", 0644);
	detect_vendor(root, det, d);
}

static void test_relay_thresholds(void **state)
{
	static const struct {
		const char *tcp;
		bool repo, relay;
	} cases[] = {
		{ TCP_LINE("0", "00000000:101A", "00000000:0000", "0A"), false, true },
		{ TCP_LINE("0", "0100007F:101B", "00000000:0000", "0A"), true, true },
		{ TCP_LINE("0", "0100007F:101B", "00000000:0000", "0A"), false, false },
		{ TCP_LINE("0", "0100007F:101A", "00000000:0000", "0A"), false, false },
		{ TCP_LINE("0", "0100007F:101A", "00000000:0000", "0A"), true, false },
		{ TCP_LINE("0", "0F00140A:101A", "2903140A:C4EC", "01"), true, false },
		{ NULL, true, false },
		{ "", false, false },
	};
	struct detection *det;
	struct diag d = { 0 };
	char *root;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		root = agent_root();
		det = det_new();
		detect_in(root, cases[i].tcp, cases[i].repo, det, &d);
		if (!!(det->roles & (1U << ROLE_RELAY)) != cases[i].relay)
			fail_msg("case %zu: relay %s expected", i, cases[i].relay ? "" : "not");
		if (!cases[i].relay)
			assert_ev(det, "role relay", NULL);
		detection_free(det);
		diag_clear(&d);
		rm_root(root);
	}
}

/* Without an agent, a 4122 listener is some other program's. */
static void test_relay_needs_agent(void **state)
{
	struct vendor_fixture *f = *state;

	f->root = tmp_root();
	detect_in(f->root, TCP_LINE("0", "00000000:101A", "00000000:0000", "0A"), true, f->det,
		  &f->d);
	assert_int_equal(f->det->roles, 0);
}

static void test_comm_direction(void **state)
{
	static const struct {
		const char *tcp;
		bool known;
		enum fg_comm comm;
	} cases[] = {
		/* loopback only: the manager cannot connect in */
		{ TCP_LINE("0", "0100007F:1016", "00000000:0000", "0A"), true,
		  COMM_AGENT_INITIATED },
		/* open, but nobody came: not enough */
		{ TCP_LINE("0", "00000000:1016", "00000000:0000", "0A"), false, 0 },
		/* open and used from outside */
		{ TCP_LINE("0", "00000000:1016", "00000000:0000", "0A")
			  TCP_LINE("1", "0500000A:1016", "0A05CD22:C822", "06"),
		  true, COMM_BIDIRECTIONAL },
		/* a session from loopback proves nothing */
		{ TCP_LINE("0", "00000000:1016", "00000000:0000", "0A")
			  TCP_LINE("1", "0100007F:1016", "0100007F:C822", "01"),
		  false, 0 },
		/* a session without the listener beyond loopback: not enough */
		{ TCP_LINE("1", "0500000A:1016", "0A05CD22:C822", "01"), false, 0 },
		{ "", false, 0 },
		{ NULL, false, 0 },
	};
	struct detection *det;
	struct diag d = { 0 };
	char *root;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		root = agent_root();
		det = det_new();
		detect_in(root, cases[i].tcp, false, det, &d);
		if (det->comm_known != cases[i].known)
			fail_msg("case %zu: comm_known %d", i, det->comm_known);
		if (cases[i].known)
			assert_int_equal(det->comm, cases[i].comm);
		detection_free(det);
		diag_clear(&d);
		rm_root(root);
	}
}

/* ---- the fixtures --------------------------------------------------------------------- */

static void test_fixture_agent_de1(void **state)
{
	const struct detection *det = fixture_tree(state, "agent-de1");

	assert_int_equal(det->roles, 1U << ROLE_AGENT);
	assert_string_equal(det->region, "de-1");
	assert_string_equal(det->manager_url,
			    "https://agents-004.workload.de-1.cloudone.trendmicro.com:443/");
	assert_true(det->comm_known);
	assert_int_equal(det->comm, COMM_AGENT_INITIATED);
	assert_ev(det, "ds_agent", "ds_agent service unit");
	assert_ev(det, "proxy", NULL);
}

static void test_fixture_relay_jp1(void **state)
{
	const struct detection *det = fixture_tree(state, "relay-jp1-proxy");
	struct vendor_fixture *f = *state;

	assert_int_equal(det->roles, (1U << ROLE_AGENT) | (1U << ROLE_RELAY));
	assert_string_equal(det->region, "jp-1");
	assert_true(has_endpoint(&det->lists[FACT_PROXY], "proxy.jp.example.com", 3128));
	assert_int_equal(det->lists[FACT_PROXY].n, 1);
	assert_nowhere(det, &f->d, "s3cret");
	assert_ev(det, "relay", "0.0.0.0:4122 listening");
	assert_ev(det, "relay", "127.0.0.1:4123 listening");
	assert_ev(det, "relay", "2 entries");
	assert_int_equal(det->comm, COMM_AGENT_INITIATED);
}

static void test_fixture_us1_manager_initiated(void **state)
{
	const struct detection *det = fixture_tree(state, "agent-us1-manager-initiated");

	assert_int_equal(det->roles, 1U << ROLE_AGENT);
	assert_string_equal(det->region, "us-1");
	assert_true(det->comm_known);
	assert_int_equal(det->comm, COMM_BIDIRECTIONAL);
	assert_ev(det, "communication", "[::]:4118 listening");
	assert_ev(det, "communication", "[::ffff:10.0.0.5]:4118 from [::ffff:34.205.5.10]:51234");
	assert_ev(det, "ds_agent", "ds_agent init script");
}

static void test_fixture_legacy(void **state)
{
	const struct detection *det = fixture_tree(state, "legacy-dsaas");

	assert_int_equal(det->roles, 1U << ROLE_AGENT);
	assert_true(det->legacy_dsaas);
	assert_null(det->region);
	assert_false(det->comm_known);
	assert_ev(det, "listeners", NULL);
}

static void test_fixture_dcgw(void **state)
{
	const struct detection *det = fixture_tree(state, "dcgw");

	assert_int_equal(det->roles, 1U << ROLE_DC_GATEWAY);
	assert_true(has_endpoint(&det->lists[FACT_VCENTER], "vcenter01.corp.example.com", 0));
	assert_true(has_endpoint(&det->lists[FACT_AD], "10.10.0.21", 0));
	assert_true(has_endpoint(&det->lists[FACT_AD], "dc01.corp.example.com", 0));
	assert_true(has_endpoint(&det->lists[FACT_PROXY], "proxy.corp.example.com", 8080));
	assert_ev(det, "vcenter", "vcenter01.corp.example.com");
}

/* The vendor's page also spells the file "destiantion_allow_list.yaml". */
static void test_dcgw_misspelled_file(void **state)
{
	struct vendor_fixture *f = *state;
	struct detection *det = f->det;
	struct diag *d = &f->d;
	char *root = f->root = tmp_root();

	put(root, "/lib/systemd/system/c1ws-dcgw.service", "[Service]\n", 0644);
	put(root, "/var/opt/c1ws-dcgateway/conf/destiantion_allow_list.yaml",
	    "destinations:\n  - {HostName: vc.example.com, Port: 443}\n", 0644);
	detect_vendor(root, det, d);
	assert_int_equal(det->roles, 1U << ROLE_DC_GATEWAY);
	assert_true(has_endpoint(&det->lists[FACT_VCENTER], "vc.example.com", 0));
}

static void test_fixture_no_vendor(void **state)
{
	const struct detection *det = fixture_tree(state, "no-vendor");

	assert_int_equal(det->roles, 0);
	assert_null(det->region);
	assert_null(det->manager_url);
	assert_ev(det, "role agent", NULL);
	assert_ev(det, "role dc-gateway", NULL);
}

static void test_fixture_tool_fails(void **state)
{
	struct vendor_fixture *f = *state;
	struct detection *det = f->det;
	struct diag *d = &f->d;

	detect_vendor(FIXTURES "/tool-fails/root", det, d);
	assert_int_equal(det->roles, 1U << ROLE_AGENT);
	assert_null(det->region);
	assert_null(det->manager_url);
	assert_warned(d, "/opt/ds_agent/dsa_query -c GetAgentStatus: warning: failed (non-zero "
			 "exit); manager URL and region from GetConfiguration, else from the "
			 "config");
	assert_warned(d, "/opt/ds_agent/sendCommand --get GetConfiguration: warning: no "
			 "name='value' attributes");
	assert_int_equal(d->n, 2);
}

/* A test that starts from struct vendor_fixture. */
#define T(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_region_from_url),
		T(test_status_region),
		T(test_status_no_space_crlf),
		T(test_status_legacy),
		T(test_status_on_prem),
		T(test_status_garbage),
		T(test_status_not_activated),
		T(test_status_binary),
		T(test_config_urls_and_proxies),
		T(test_config_second_url),
		cmocka_unit_test(test_config_garbage),
		cmocka_unit_test(test_proc_net_tcp_v4),
		cmocka_unit_test(test_proc_net_tcp_v6),
		T(test_dcgw_list),
		cmocka_unit_test(test_dcgw_broken),
		cmocka_unit_test(test_run_tool),
		cmocka_unit_test(test_run_tool_isolated),
		cmocka_unit_test(test_run_tool_too_much),
		cmocka_unit_test(test_tool_hangs),
		cmocka_unit_test(test_root_runs_nothing),
		cmocka_unit_test(test_tool_trusted),
		cmocka_unit_test(test_relay_thresholds),
		T(test_relay_needs_agent),
		cmocka_unit_test(test_comm_direction),
		T(test_fixture_agent_de1),
		T(test_fixture_relay_jp1),
		T(test_fixture_us1_manager_initiated),
		T(test_fixture_legacy),
		T(test_fixture_dcgw),
		T(test_dcgw_misspelled_file),
		T(test_fixture_no_vendor),
		T(test_fixture_tool_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
