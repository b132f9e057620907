/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DNS and NTP detection: the pure parsers of agent/detect/parse.c, table-driven (input,
 * servers recorded, include callbacks, the exact warnings with file:line:col), then
 * detect_read_file's confinement to the root, then detect_dns/detect_ntp on the fixture trees
 * tests/detect/<name>/root. No root needed; paths are relative to the repository root.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/detect/parse.h"

#define FIXTURES "tests/detect"

/* ---- helpers ------------------------------------------------------------------------- */

/* The list's texts, space-separated, in order. */
static const char *list_str(const struct detection *det, enum host_fact fact)
{
	static char buf[4096];
	const struct endpoint_list *l = &det->lists[fact];
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < l->n; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? " " : "",
					l->v[i].text);
	return buf;
}

/* The diagnostics, one a line. */
static const char *diag_str(const struct diag *d)
{
	static char buf[16384];
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < d->n && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s\n", d->msgs[i].text);
	return buf;
}

static const struct evidence *find_ev(const struct detection *det, const char *value,
				      const char *source, const char *note)
{
	const struct evidence *e;
	size_t i;

	for (i = 0; i < det->n_ev; i++) {
		e = &det->ev[i];
		if ((value ? e->value && !strcmp(e->value, value) : !e->value) &&
		    (!source || (e->source && !strcmp(e->source, source))) &&
		    (!note || (e->note && strstr(e->note, note))))
			return e;
	}
	return NULL;
}

static struct detection *det_new(void)
{
	struct detection *det = calloc(1, sizeof(*det));

	assert_non_null(det);
	return det;
}

/* Records include-type callbacks as "kind:arg,arg@line:col;". */
struct ref_log {
	char buf[1024];
	size_t off;
};

static int log_ref(void *ctx, enum conf_ref kind, const char *const *args, size_t n_args,
		   const struct loc *loc)
{
	static const char *const kinds[] = { "include", "confdir", "sourcedir", "includefile" };
	struct ref_log *log = ctx;
	size_t i;

	log->off += (size_t)snprintf(log->buf + log->off, sizeof(log->buf) - log->off,
				     "%s:", kinds[kind]);
	for (i = 0; i < n_args; i++)
		log->off += (size_t)snprintf(log->buf + log->off, sizeof(log->buf) - log->off,
					     "%s%s", i ? "," : "", args[i]);
	log->off += (size_t)snprintf(log->buf + log->off, sizeof(log->buf) - log->off, "@%u:%u;",
				     loc->line, loc->col);
	return 0;
}

/* ---- resolv.conf --------------------------------------------------------------------- */

struct resolv_case {
	const char *name;
	const char *input;
	unsigned int flags;
	int ret;
	const char *servers;
	bool stub;
	const char *warnings; /* exact, one a line */
};

#define RC "/etc/resolv.conf"

static const struct resolv_case resolv_cases[] = {
	{ "plain", "nameserver 192.0.2.1\nnameserver 2001:db8::1\n", 0, 2, "192.0.2.1 2001:db8::1",
	  false, "" },
	{ "comments, options, CRLF, no final newline",
	  "# c\n; c\nsearch example.com\noptions ndots:2 edns0\ndomain example.com\n"
	  "nameserver 192.0.2.1 # trailing words are ignored\r\nnameserver\t192.0.2.2",
	  0, 2, "192.0.2.1 192.0.2.2", false, "" },
	{ "glibc MAXNS: the fourth is ignored",
	  "nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\n"
	  "nameserver 192.0.2.4\n",
	  0, 3, "192.0.2.1 192.0.2.2 192.0.2.3", false, "" },
	{ "bad lines do not count towards MAXNS",
	  "nameserver 192.0.2.300\nnameserver 192.0.2.1\nnameserver 192.0.2.2\n"
	  "nameserver 192.0.2.3\n",
	  0, 3, "192.0.2.1 192.0.2.2 192.0.2.3", false,
	  RC ":1:12: warning: nameserver '192.0.2.300' is not an IP address, ignoring\n" },
	{ "resolved's upstream list has no MAXNS",
	  "nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\n"
	  "nameserver 192.0.2.4\n",
	  RESOLV_UPSTREAM, 4, "192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.4", false, "" },
	{ "stub", "nameserver 127.0.0.53\noptions edns0 trust-ad\n", 0, 1, "127.0.0.53", true, "" },
	{ "proxy stub", "nameserver 127.0.0.54\n", 0, 1, "127.0.0.54", true, "" },
	{ "stub in the upstream file is no chain", "nameserver 127.0.0.53\n", RESOLV_UPSTREAM, 1,
	  "127.0.0.53", false, "" },
	{ "loopback kept", "nameserver 127.0.0.1\nnameserver ::1\n", 0, 2, "127.0.0.1 ::1", false,
	  "" },
	{ "scoped IPv6", "nameserver fe80::1%eth0\n", 0, 1, "fe80::1", false, "" },
	{ "duplicates", "nameserver 192.0.2.1\nnameserver 192.0.2.1\n", 0, 2, "192.0.2.1", false,
	  "" },
	{ "not addresses",
	  "nameserver dns.example.com\nnameserver 192.0.2.1:53\nnameserver 10.0.0.0/8\n"
	  "nameserver 192.0.2.1%eth0\nnameserver fe80::1%\nnameserver \n",
	  0, 0, "", false,
	  RC ":1:12: warning: nameserver 'dns.example.com' is not an IP address, ignoring\n" RC
	     ":2:12: warning: nameserver '192.0.2.1:53' is not an IP address, ignoring\n" RC
	     ":3:12: warning: nameserver '10.0.0.0/8' is not an IP address, ignoring\n" RC
	     ":4:12: warning: nameserver '192.0.2.1%eth0' is not an IP address, ignoring\n" RC
	     ":5:12: warning: nameserver 'fe80::1%' is not an IP address, ignoring\n" RC
	     ":6:1: warning: nameserver without an address, ignoring\n" },
	{ "keyword at the start of the line only",
	  "  nameserver 192.0.2.1\nnameserver192.0.2.2\nNAMESERVER 192.0.2.3\n", 0, 0, "", false,
	  RC ":1:3: warning: indented: glibc reads keywords at the start of a line only, "
	     "ignoring\n" },
	{ "binary junk and non-ASCII",
	  "nameserver 192.0.2.1\x01\x1b[0m\nnameserver \xff\xfe\nnameserver 192.0.2.2\n", 0, 1,
	  "192.0.2.2", false,
	  RC ":1:21: warning: control character 0x01 (binary data?), ignoring the line\n" RC
	     ":2:12: warning: nameserver: bytes that are not printable ASCII, ignoring\n" },
	{ "empty", "", 0, 0, "", false, "" },
	{ "only newlines", "\n\n\n", 0, 0, "", false, "" },
};

static void check_resolv_case(const struct resolv_case *c)
{
	struct detection *det = det_new();
	struct diag d = { 0 };
	bool stub = !c->stub;
	int r;

	r = detect_parse_resolv_conf(det, RC, c->input, c->flags, &stub, &d);
	if (r != c->ret || strcmp(list_str(det, FACT_DNS_SERVERS), c->servers) || stub != c->stub ||
	    strcmp(diag_str(&d), c->warnings))
		fail_msg("case '%s': ret %d (want %d), servers '%s' (want '%s'), stub %d, "
			 "warnings:\n%s-- want:\n%s",
			 c->name, r, c->ret, list_str(det, FACT_DNS_SERVERS), c->servers, stub,
			 diag_str(&d), c->warnings);
	diag_clear(&d);
	detection_free(det);
}

static void test_resolv_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(resolv_cases) / sizeof(resolv_cases[0]); i++)
		check_resolv_case(&resolv_cases[i]);
}

static void test_resolv_notes(void **state)
{
	struct detection *det = det_new();
	struct diag d = { 0 };
	bool stub;

	(void)state;
	assert_int_equal(detect_parse_resolv_conf(det, RC,
						  "nameserver 127.0.0.53\nnameserver fe80::1%eth0\n"
						  "nameserver 192.0.2.1\nnameserver 192.0.2.2\n",
						  0, &stub, &d),
			 3);
	assert_non_null(find_ev(det, "127.0.0.53", RC ":1", "systemd-resolved stub"));
	assert_non_null(find_ev(det, "fe80::1", RC ":2", "scope 'eth0' dropped"));
	assert_non_null(find_ev(det, "192.0.2.2", RC ":4", "glibc uses only the first 3"));
	assert_int_equal(det->lists[FACT_DNS_SERVERS].v[1].loc.line, 2);
	assert_string_equal(det->lists[FACT_DNS_SERVERS].v[1].loc.file, RC);
	assert_int_equal(d.n, 0);
	diag_clear(&d);
	detection_free(det);
}

/* Overlong lines and a flood of bad lines: bounded warnings, parsing goes on. */
static void test_resolv_overlong_and_flood(void **state)
{
	struct detection *det = det_new();
	struct diag d = { 0 };
	char *buf, *p;
	bool stub;
	int i;

	(void)state;
	buf = malloc(PARSE_MAX_LINE * 2 + 40 * 32 + 64);
	assert_non_null(buf);
	p = buf + sprintf(buf, "nameserver ");
	memset(p, '9', PARSE_MAX_LINE);
	p += PARSE_MAX_LINE;
	p += sprintf(p, "\nnameserver 192.0.2.1\n");
	for (i = 0; i < 30; i++)
		p += sprintf(p, "nameserver bad%d\n", i);
	assert_int_equal(detect_parse_resolv_conf(det, RC, buf, 0, &stub, &d), 1);
	assert_string_equal(list_str(det, FACT_DNS_SERVERS), "192.0.2.1");
	assert_string_equal(d.msgs[0].text,
			    RC ":1:1: warning: line longer than 2048 bytes, ignoring");
	/* 16 warnings, then one line saying the rest are not shown */
	assert_int_equal(d.n, 17);
	assert_string_equal(d.msgs[16].text,
			    RC ":18:12: warning: more problems in this file are not reported");
	free(buf);
	diag_clear(&d);
	detection_free(det);
}

/* ---- chrony.conf and ntp.conf -------------------------------------------------------- */

struct conf_case {
	const char *name;
	const char *input;
	unsigned int flags;
	int ret;
	const char *servers;
	const char *refs;
	const char *warnings;
};

#define CC "/etc/chrony/chrony.conf"
#define NC "/etc/ntp.conf"

static const struct conf_case chrony_cases[] = {
	{ "Debian default",
	  "# Welcome\nconfdir /etc/chrony/conf.d\npool 2.debian.pool.ntp.org iburst\n"
	  "sourcedir /run/chrony-dhcp\nsourcedir /etc/chrony/sources.d\n"
	  "keyfile /etc/chrony/chrony.keys\ndriftfile /var/lib/chrony/chrony.drift\n"
	  "makestep 1 3\nleapsectz right/UTC\n",
	  0, 1, "2.debian.pool.ntp.org",
	  "confdir:/etc/chrony/conf.d@2:9;sourcedir:/run/chrony-dhcp@4:11;"
	  "sourcedir:/etc/chrony/sources.d@5:11;",
	  "" },
	{ "sources, options, case, comment characters",
	  "server ntp1.example.net iburst prefer\nPOOL pool.example.org maxsources 2\n"
	  "peer 2001:db8::123\n  server 192.0.2.123 minpoll 4\n! c\n; c\n% c\n# c\n"
	  "refclock PHC /dev/ptp0 poll 3\ninitstepslew 30 192.0.2.99\n",
	  0, 4, "ntp1.example.net pool.example.org 2001:db8::123 192.0.2.123", "", "" },
	{ "include and confdir with several directories",
	  "include /etc/chrony/conf.d/*.conf\nconfdir /etc/a /usr/lib/b\n"
	  "include relative.conf\n",
	  0, 0, "",
	  "include:/etc/chrony/conf.d/*.conf@1:9;confdir:/etc/a,/usr/lib/b@2:9;"
	  "include:relative.conf@3:9;",
	  "" },
	{ "bad include directives",
	  "include\ninclude a b\nconfdir\nsourcedir a b c d e f g h i j k\n", 0, 0, "", "",
	  CC ":1:1: warning: 'include' takes 1 to 1 paths, ignoring\n" CC
	     ":2:1: warning: 'include' takes 1 to 1 paths, ignoring\n" CC
	     ":3:1: warning: 'confdir' takes 1 to 10 paths, ignoring\n" CC
	     ":4:1: warning: 'sourcedir' takes 1 to 10 paths, ignoring\n" },
	{ "bad servers",
	  "server\nserver 10.0.0.999 iburst\npool bad_name!.example.com\nserver [2001:db8::1]\n"
	  "server 192.0.2.0/24\nserver ntp.example.net:123\nserver \xc3\xa9t\xc3\xa9.example\n"
	  "server good.example.net\n",
	  0, 1, "good.example.net", "",
	  CC
	  ":1:1: warning: 'server' needs a host name or address, ignoring\n" CC
	  ":2:8: warning: server '10.0.0.999' is not an IP address or host name, ignoring\n" CC
	  ":3:6: warning: pool 'bad_name!.example.com' is not an IP address or host name, "
	  "ignoring\n" CC
	  ":4:8: warning: server '[2001:db8::1]' is not an IP address or host name, "
	  "ignoring\n" CC ":5:8: warning: server '192.0.2.0/24' is not an IP address or host name, "
	  "ignoring\n" CC
	  ":6:8: warning: server 'ntp.example.net:123' is not an IP address or host name, "
	  "ignoring\n" CC ":7:8: warning: server: bytes that are not printable ASCII, ignoring\n" },
	{ "a .sources file takes sources only",
	  "server 198.51.100.7 iburst\ninclude /etc/x.conf\nallow all\n", CHRONY_SOURCES, 1,
	  "198.51.100.7", "",
	  CC ":2:1: warning: 'include' is not allowed in a .sources file, ignoring\n" CC
	     ":3:1: warning: 'allow' is not allowed in a .sources file, ignoring\n" },
	{ "refclock address skipped", "server 127.127.1.0\nserver 127.0.0.1\n", 0, 1, "127.0.0.1",
	  "", "" },
	{ "binary line",
	  "server a.example\n\x7f"
	  "ELF\x02\x01\nserver b.example\n",
	  0, 2, "a.example b.example", "",
	  CC ":2:1: warning: control character 0x7f (binary data?), ignoring the line\n" },
};

static const struct conf_case ntp_cases[] = {
	{ "ntpsec default",
	  "driftfile /var/lib/ntpsec/ntp.drift\ntos maxclock 11\n"
	  "pool 0.debian.pool.ntp.org iburst\npool 1.debian.pool.ntp.org iburst\n"
	  "restrict default kod nomodify nopeer noquery limited\nrestrict 127.0.0.1\n",
	  0, 2, "0.debian.pool.ntp.org 1.debian.pool.ntp.org", "", "" },
	{ "qualifiers, comments, refclock, peer",
	  "server -4 ntp.example.net iburst # site\nserver -6 -4 2001:db8::7b\n"
	  "server 127.127.1.0 # local clock\nfudge 127.127.1.0 stratum 10\npeer 192.0.2.77\n"
	  "#server commented.example.net\nSERVER upper.example.net\n",
	  0, 3, "ntp.example.net 2001:db8::7b 192.0.2.77", "", "" },
	{ "includefile", "includefile /etc/ntpsec/ntp.d/\nincludefile\nincludefile a b\n", 0, 0, "",
	  "includefile:/etc/ntpsec/ntp.d/@1:13;",
	  NC ":2:1: warning: 'includefile' takes 1 to 1 paths, ignoring\n" NC
	     ":3:1: warning: 'includefile' takes 1 to 1 paths, ignoring\n" },
	{ "bad servers", "server\nserver -4\npool 300.1.1.1\nserver good.example.net\n", 0, 1,
	  "good.example.net", "",
	  NC ":1:1: warning: 'server' needs a host name or address, ignoring\n" NC
	     ":2:1: warning: 'server' needs a host name or address, ignoring\n" NC
	     ":3:6: warning: pool '300.1.1.1' is not an IP address or host name, ignoring\n" },
};

static void check_conf_case(const struct conf_case *c, bool ntpd)
{
	struct detection *det = det_new();
	struct ref_log log = { .off = 0 };
	struct diag d = { 0 };
	int r;

	log.buf[0] = '\0';
	if (ntpd)
		r = detect_parse_ntp_conf(det, NC, c->input, log_ref, &log, &d);
	else
		r = detect_parse_chrony_conf(det, CC, c->input, c->flags, log_ref, &log, &d);
	if (r != c->ret || strcmp(list_str(det, FACT_NTP_SERVERS), c->servers) ||
	    strcmp(log.buf, c->refs) || strcmp(diag_str(&d), c->warnings))
		fail_msg("case '%s': ret %d (want %d), servers '%s' (want '%s'), refs '%s' "
			 "(want '%s'), warnings:\n%s-- want:\n%s",
			 c->name, r, c->ret, list_str(det, FACT_NTP_SERVERS), c->servers, log.buf,
			 c->refs, diag_str(&d), c->warnings);
	diag_clear(&d);
	detection_free(det);
}

static void test_chrony_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(chrony_cases) / sizeof(chrony_cases[0]); i++)
		check_conf_case(&chrony_cases[i], false);
}

static void test_ntp_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ntp_cases) / sizeof(ntp_cases[0]); i++)
		check_conf_case(&ntp_cases[i], true);
}

static void test_chrony_notes(void **state)
{
	static const char conf[] = "server nts.example.com iburst nts\n"
				   "server odd.example.com port 1123\n"
				   "server std.example.com port 123\nserver 127.127.28.0\n"
				   "server both.example.com nts ntsport 4461 port 1123\n"
				   "server bad.example.com port x123\n"
				   "server 127.0.0.53\nserver 127.0.0.53 nts\n";
	struct detection *det = det_new();
	struct diag d = { 0 };

	(void)state;
	assert_int_equal(detect_parse_chrony_conf(det, CC, conf, 0, NULL, NULL, &d), 7);
	assert_non_null(find_ev(det, "nts.example.com", CC ":1", "TCP 4460"));
	assert_non_null(find_ev(det, "odd.example.com", CC ":2", "NTP to UDP 1123"));
	assert_non_null(find_ev(det, "std.example.com", CC ":3", NULL));
	assert_null(find_ev(det, "std.example.com", NULL, "UDP"));
	assert_non_null(find_ev(det, "127.127.28.0", CC ":4", "local reference clock"));
	assert_non_null(find_ev(det, "both.example.com", CC ":5",
				"nts: the key exchange also needs TCP 4461; NTP to UDP 1123"));
	/* a duplicate records no evidence of its own, so its note stands alone */
	assert_non_null(find_ev(det, "127.0.0.53", CC ":8", "TCP 4460"));
	assert_string_equal(diag_str(&d), CC ":6:29: warning: 'port' takes a port number, "
					     "ignoring\n");
	diag_clear(&d);
	detection_free(det);
}

/* ---- timesyncd.conf ------------------------------------------------------------------ */

struct ts_case {
	const char *name;
	const char *files[4][2]; /* path, text; applied in order */
	const char *servers;
	const char *fallback_note; /* a FallbackNTP= evidence note, or NULL */
	const char *none_note;	   /* the "nothing set" evidence note, or NULL */
	const char *warnings;
};

#define TC "/etc/systemd/timesyncd.conf"
#define TD "/etc/systemd/timesyncd.conf.d/50-site.conf"

static const struct ts_case ts_cases[] = {
	{ "NTP= and an unused fallback",
	  { { TC, "[Time]\nNTP=a.example.net 192.0.2.1\nFallbackNTP=f.example.net\n" } },
	  "a.example.net 192.0.2.1",
	  "not used",
	  NULL,
	  "" },
	{ "fallback only",
	  { { TC, "[Time]\n#NTP=\nFallbackNTP=f.example.net g.example.net\n" } },
	  "f.example.net g.example.net",
	  "used only while",
	  NULL,
	  "" },
	{ "nothing set: compiled-in defaults",
	  { { TC, "[Time]\n#NTP=\n#FallbackNTP=x\n" } },
	  "",
	  NULL,
	  "compiled-in",
	  "" },
	{ "both empty", { { TC, "[Time]\nNTP=\nFallbackNTP=\n" } }, "", NULL, "only DHCP", "" },
	{ "later lines add, duplicates once",
	  { { TC, "[Time]\nNTP=a.example.net\nNTP=b.example.net a.example.net\n" } },
	  "a.example.net b.example.net",
	  NULL,
	  NULL,
	  "" },
	{ "a drop-in empties, then sets",
	  { { TC, "[Time]\nNTP=a.example.net\n" },
	    { TD, "[Time]\nNTP=\nNTP=site.example.net 2001:db8::7b\n" } },
	  "site.example.net 2001:db8::7b",
	  NULL,
	  NULL,
	  "" },
	{ "a drop-in without the reset adds",
	  { { TC, "[Time]\nNTP=a.example.net\n" }, { TD, "[Time]\nNTP=b.example.net\n" } },
	  "a.example.net b.example.net",
	  NULL,
	  NULL,
	  "" },
	{ "other sections and keys, spacing",
	  { { TC, "NTP=outside.example.net\n[Network]\nNTP=net.example.net\n[Time]\n"
		  "  NTP =  t.example.net \nRootDistanceMaxSec=5\n[time]\n"
		  "NTP=lower.example.net\n" } },
	  "t.example.net",
	  NULL,
	  NULL,
	  "" },
	{ "garbage",
	  { { TC, "[Time]\nNTP=ok.example.net bad..name 192.0.2.300\nnot a key value\n"
		  "FallbackNTP=x.example.net \\\n\x01\x02\n" } },
	  "ok.example.net",
	  NULL,
	  NULL,
	  TC ":2:20: warning: NTP= 'bad..name' is not an IP address or host name, ignoring\n" TC
	     ":2:30: warning: NTP= '192.0.2.300' is not an IP address or host name, ignoring\n" TC
	     ":3:1: warning: not a 'Key=Value' line, ignoring\n" TC
	     ":4:1: warning: line continuation is not followed, ignoring\n" TC
	     ":5:1: warning: control character 0x01 (binary data?), ignoring the line\n" },
};

static void check_ts_case(const struct ts_case *c)
{
	struct timesyncd_state *st = calloc(1, sizeof(*st));
	struct detection *det = det_new();
	struct diag d = { 0 };
	size_t i;

	assert_non_null(st);
	for (i = 0; i < 4 && c->files[i][0]; i++)
		assert_int_equal(detect_parse_timesyncd_conf(det, st, c->files[i][0],
							     c->files[i][1], &d),
				 0);
	assert_int_equal(detect_timesyncd_record(det, st, TC, &d), 0);
	if (strcmp(list_str(det, FACT_NTP_SERVERS), c->servers) ||
	    strcmp(diag_str(&d), c->warnings) ||
	    (c->fallback_note && !find_ev(det, "f.example.net", NULL, c->fallback_note)) ||
	    (c->none_note && !find_ev(det, NULL, TC, c->none_note)))
		fail_msg("case '%s': servers '%s' (want '%s'), warnings:\n%s-- want:\n%s", c->name,
			 list_str(det, FACT_NTP_SERVERS), c->servers, diag_str(&d), c->warnings);
	free(st);
	diag_clear(&d);
	detection_free(det);
}

static void test_timesyncd_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ts_cases) / sizeof(ts_cases[0]); i++)
		check_ts_case(&ts_cases[i]);
}

static void test_timesyncd_source_lines(void **state)
{
	struct timesyncd_state *st = calloc(1, sizeof(*st));
	struct detection *det = det_new();
	struct diag d = { 0 };

	(void)state;
	assert_non_null(st);
	assert_int_equal(detect_parse_timesyncd_conf(det, st, TC, "[Time]\n\nNTP=a.example.net\n",
						     &d),
			 0);
	assert_int_equal(detect_parse_timesyncd_conf(det, st, TD, "[Time]\nNTP=b.example.net\n",
						     &d),
			 0);
	assert_int_equal(detect_timesyncd_record(det, st, TC, &d), 0);
	assert_non_null(find_ev(det, "a.example.net", TC ":3", NULL));
	assert_non_null(find_ev(det, "b.example.net", TD ":2", NULL));
	free(st);
	diag_clear(&d);
	detection_free(det);
}

/* ---- include paths ------------------------------------------------------------------- */

static void test_conf_path(void **state)
{
	static const struct {
		const char *in, *out;
		int ret;
	} cases[] = {
		{ "/etc/chrony/conf.d", "/etc/chrony/conf.d", 0 },
		{ "/etc/chrony/conf.d/", "/etc/chrony/conf.d", 0 },
		{ "relative.conf", "/relative.conf", 0 },
		{ "/", "/", 0 },
		{ "/etc/..hidden/x", "/etc/..hidden/x", 0 },
		{ "/etc/x..", "/etc/x..", 0 },
		{ "..", NULL, -EINVAL },
		{ "../../etc/shadow", NULL, -EINVAL },
		{ "/etc/chrony/../../../etc/passwd", NULL, -EINVAL },
		{ "/etc/..", NULL, -EINVAL },
		{ "", NULL, -EINVAL },
		{ "/etc/a\tb", NULL, -EINVAL },
	};
	const char *why;
	char buf[64];
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = detect_parse_conf_path(cases[i].in, buf, sizeof(buf), &why);
		if (r != cases[i].ret || (r == 0 && strcmp(buf, cases[i].out)) || (r < 0 && !why))
			fail_msg("'%s': %d '%s'", cases[i].in, r, r == 0 ? buf : why);
	}
	assert_int_equal(detect_parse_conf_path("/a/very/long/path/that/does/not/fit/into/sixty/"
						"four/bytes/of/buffer",
						buf, sizeof(buf), &why),
			 -ENAMETOOLONG);
}

/* ---- detect_read_file under a root --------------------------------------------------- */

struct tmp_root {
	char dir[64];
	char outside[80];
};

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void run(const char *cmd)
{
	assert_int_equal(system(cmd), 0);
}

static int tmp_root_setup(void **state)
{
	struct tmp_root *t = calloc(1, sizeof(*t));
	char p[256];

	assert_non_null(t);
	snprintf(t->dir, sizeof(t->dir), "/tmp/fg-detect-net.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->outside, sizeof(t->outside), "%s.outside", t->dir);
	write_file(t->outside, "outside\n", 8);
	snprintf(p, sizeof(p), "%s/etc", t->dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/etc/real", t->dir);
	write_file(p, "inside\n", 7);
	*state = t;
	return 0;
}

static int tmp_root_teardown(void **state)
{
	struct tmp_root *t = *state;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", t->dir, t->outside);
	run(cmd);
	free(t);
	return 0;
}

static int read_rel(struct tmp_root *t, const char *path, char **buf, struct diag *d)
{
	size_t len;

	return detect_read_file(t->dir, path, buf, &len, d);
}

/* Absolute symlinks and ".." resolve inside the root, as if it were "/". */
static void test_read_file_stays_in_root(void **state)
{
	struct tmp_root *t = *state;
	struct diag d = { 0 };
	char p[256], target[256], *buf;

	snprintf(p, sizeof(p), "%s/etc/abs", t->dir);
	assert_int_equal(symlink("/etc/real", p), 0);
	assert_int_equal(read_rel(t, "/etc/abs", &buf, &d), 0);
	assert_string_equal(buf, "inside\n");
	free(buf);
	/* the host's file by absolute path: under the root it does not exist */
	snprintf(p, sizeof(p), "%s/etc/escape", t->dir);
	assert_int_equal(symlink(t->outside, p), 0);
	assert_int_equal(read_rel(t, "/etc/escape", &buf, &d), -ENOENT);
	/* and by enough ".." to leave it: they stop at the root */
	snprintf(target, sizeof(target), "../../../../../../../..%s", t->outside);
	snprintf(p, sizeof(p), "%s/etc/dotdot", t->dir);
	assert_int_equal(symlink(target, p), 0);
	assert_int_equal(read_rel(t, "/etc/dotdot", &buf, &d), -ENOENT);
	assert_int_equal(read_rel(t, "/../../../../etc/real", &buf, &d), 0);
	free(buf);
	assert_int_equal(d.n, 0);
}

static void test_read_file_refuses(void **state)
{
	struct tmp_root *t = *state;
	struct diag d = { 0 };
	char p[256], *buf, *big;

	assert_int_equal(read_rel(t, "/etc/missing", &buf, &d), -ENOENT);
	assert_int_equal(read_rel(t, "/etc", &buf, &d), -EISDIR);
	/* a FIFO must not block detection */
	snprintf(p, sizeof(p), "%s/etc/fifo", t->dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(read_rel(t, "/etc/fifo", &buf, &d), -EINVAL);
	assert_int_equal(d.n, 0);
	big = malloc(DETECT_MAX_FILE + 1);
	assert_non_null(big);
	memset(big, '#', DETECT_MAX_FILE + 1);
	snprintf(p, sizeof(p), "%s/etc/big", t->dir);
	write_file(p, big, DETECT_MAX_FILE + 1);
	free(big);
	assert_int_equal(read_rel(t, "/etc/big", &buf, &d), -EFBIG);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0].text,
			    "/etc/big: warning: larger than 262144 bytes, ignoring");
	diag_clear(&d);
}

/* A file of exactly DETECT_MAX_FILE bytes is read, NUL-terminated. */
static void test_read_file_limit(void **state)
{
	struct tmp_root *t = *state;
	struct diag d = { 0 };
	char p[256], *buf, *big;
	size_t len;

	big = malloc(DETECT_MAX_FILE);
	assert_non_null(big);
	memset(big, '#', DETECT_MAX_FILE);
	snprintf(p, sizeof(p), "%s/etc/limit", t->dir);
	write_file(p, big, DETECT_MAX_FILE);
	free(big);
	assert_int_equal(detect_read_file(t->dir, "/etc/limit", &buf, &len, &d), 0);
	assert_int_equal(len, DETECT_MAX_FILE);
	assert_int_equal(buf[len], '\0');
	free(buf);
	assert_int_equal(d.n, 0);
}

/* ---- the fixture trees --------------------------------------------------------------- */

struct fixture_run {
	struct detection *det;
	struct diag d;
};

static void detect_fixture(const char *name, struct fixture_run *f)
{
	char root[256];

	snprintf(root, sizeof(root), FIXTURES "/%s/root", name);
	memset(f, 0, sizeof(*f));
	f->det = det_new();
	assert_int_equal(detect_dns(f->det, root, &f->d), 0);
	assert_int_equal(detect_ntp(f->det, root, &f->d), 0);
}

static void fixture_done(struct fixture_run *f)
{
	diag_clear(&f->d);
	detection_free(f->det);
}

static void test_fixture_resolved(void **state)
{
	struct fixture_run f;

	(void)state;
	detect_fixture("resolved", &f);
	assert_string_equal(list_str(f.det, FACT_DNS_SERVERS),
			    "127.0.0.53 192.0.2.53 2001:db8::53 fe80::1");
	assert_string_equal(diag_str(&f.d), "");
	assert_non_null(find_ev(f.det, "127.0.0.53", "/etc/resolv.conf:21", "stub"));
	assert_non_null(find_ev(f.det, "192.0.2.53", "/run/systemd/resolve/resolv.conf:17", NULL));
	assert_non_null(find_ev(f.det, "fe80::1", "/run/systemd/resolve/resolv.conf:19",
				"scope 'eth0' dropped"));
	assert_string_equal(list_str(f.det, FACT_NTP_SERVERS), "");
	assert_non_null(find_ev(f.det, NULL, NULL, "no NTP client configuration found"));
	fixture_done(&f);
}

static void test_fixture_chrony(void **state)
{
	struct fixture_run f;

	(void)state;
	detect_fixture("chrony-pools", &f);
	assert_string_equal(list_str(f.det, FACT_NTP_SERVERS),
			    "ntp2.example.net site-ntp.example.net vendor.pool.example.net "
			    "2.debian.pool.ntp.org time.example.org ntp1.example.net 192.0.2.123 "
			    "2001:db8::123 nts.example.com 198.51.100.7 203.0.113.5");
	assert_string_equal(diag_str(&f.d), "");
	assert_non_null(find_ev(f.det, "198.51.100.7", "/run/chrony-dhcp/eth0.sources:1", NULL));
	assert_non_null(find_ev(f.det, "chrony", "/etc/chrony/chrony.conf",
				"enabled: /etc/systemd/system/multi-user.target.wants/"));
	assert_non_null(find_ev(f.det, "nts.example.com", NULL, "TCP 4460"));
	fixture_done(&f);
}

static void test_fixture_timesyncd(void **state)
{
	struct fixture_run f;

	(void)state;
	detect_fixture("timesyncd", &f);
	assert_string_equal(list_str(f.det, FACT_NTP_SERVERS), "ntp.site.example 2001:db8::7b");
	assert_string_equal(diag_str(&f.d), "");
	assert_non_null(find_ev(f.det, "ntp.site.example",
				"/etc/systemd/timesyncd.conf.d/50-site.conf:4", NULL));
	assert_non_null(
		find_ev(f.det, "time.example.org", "/etc/systemd/timesyncd.conf:21", "not used"));
	assert_non_null(
		find_ev(f.det, "systemd-timesyncd", "/etc/systemd/timesyncd.conf", "enabled"));
	fixture_done(&f);
}

static void test_fixture_ntpd(void **state)
{
	struct fixture_run f;

	(void)state;
	detect_fixture("ntpd", &f);
	assert_string_equal(list_str(f.det, FACT_NTP_SERVERS),
			    "0.debian.pool.ntp.org 1.debian.pool.ntp.org ntp.example.net "
			    "192.0.2.77 ntp-b.example.net");
	assert_string_equal(diag_str(&f.d), "");
	assert_non_null(find_ev(f.det, "127.127.1.0", "/etc/ntpsec/ntp.conf:18", "reference"));
	assert_non_null(find_ev(f.det, "ntpd", "/etc/ntpsec/ntp.conf", "ntpsec.service"));
	fixture_done(&f);
}

static void test_fixture_garbage(void **state)
{
	static const char *const want[] = {
		"/etc/resolv.conf:2:12: warning: nameserver '10.0.0.300' is not an IP address",
		"/etc/resolv.conf:6:3: warning: indented",
		"/etc/resolv.conf:8:20: warning: control character 0x01",
		"/etc/resolv.conf:9:1: warning: line longer than 2048 bytes",
		"/etc/resolv.conf:12:12: warning: nameserver: bytes that are not printable ASCII",
		"/etc/chrony/chrony.conf:3:8: warning: server '10.0.0.999' is not an IP address",
		"/etc/chrony/chrony.conf:7:9: warning: include '../../etc/shadow': a '..'",
		"/etc/chrony/chrony.conf:8:9: warning: include '/etc/chrony/../../../etc/passwd'",
		"/etc/chrony/chrony.conf:9:9: warning: '/etc/*/conf.d': wildcards in directory",
		"/etc/chrony/chrony.conf:11:1: warning: control character 0x7f",
		"/etc/chrony/chrony.conf:12:1: warning: line longer than 2048 bytes",
		"/etc/ntp.conf:1:1: warning: NUL byte: binary data",
		"/etc/systemd/timesyncd.conf:2:20: warning: NTP= 'bad..name' is not",
		"/etc/systemd/timesyncd.conf:3:1: warning: not a 'Key=Value' line",
	};
	struct fixture_run f;
	size_t i;

	(void)state;
	detect_fixture("garbage", &f);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(diag_str(&f.d), want[i]))
			fail_msg("missing '%s' in:\n%s", want[i], diag_str(&f.d));
	assert_string_equal(list_str(f.det, FACT_DNS_SERVERS), "192.0.2.10 192.0.2.11");
	assert_string_equal(list_str(f.det, FACT_NTP_SERVERS), "good.example.net ok.example.net");
	fixture_done(&f);
}

/* An empty root: nothing found, and the evidence says where it looked. */
static void test_empty_root(void **state)
{
	struct tmp_root *t = *state;
	struct detection *det = det_new();
	struct diag d = { 0 };

	assert_int_equal(detect_dns(det, t->dir, &d), 0);
	assert_int_equal(detect_ntp(det, t->dir, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(det->lists[FACT_DNS_SERVERS].n + det->lists[FACT_NTP_SERVERS].n, 0);
	assert_non_null(find_ev(det, NULL, "/etc/resolv.conf", "not found"));
	assert_non_null(find_ev(det, NULL, NULL, "no NTP client configuration found"));
	detection_free(det);
}

/* An include loop and a chain deeper than the bound end, with a warning for the depth. */
static void test_include_loop_and_depth(void **state)
{
	struct tmp_root *t = *state;
	struct detection *det = det_new();
	struct diag d = { 0 };
	char p[256], text[128];
	int i;

	snprintf(p, sizeof(p), "mkdir -p '%s/etc/chrony'", t->dir);
	run(p);
	snprintf(p, sizeof(p), "%s/etc/chrony/chrony.conf", t->dir);
	snprintf(text, sizeof(text),
		 "include /etc/chrony/chrony.conf\ninclude /etc/chrony/d0.conf\n");
	write_file(p, text, strlen(text));
	for (i = 0; i < 12; i++) {
		snprintf(p, sizeof(p), "%s/etc/chrony/d%d.conf", t->dir, i);
		snprintf(text, sizeof(text),
			 "server d%d.example.net\ninclude /etc/chrony/d%d.conf\n", i, i + 1);
		write_file(p, text, strlen(text));
	}
	assert_int_equal(detect_ntp(det, t->dir, &d), 0);
	assert_string_equal(list_str(det, FACT_NTP_SERVERS),
			    "d0.example.net d1.example.net d2.example.net d3.example.net "
			    "d4.example.net d5.example.net d6.example.net");
	assert_string_equal(diag_str(&d),
			    "/etc/chrony/chrony.conf:1:9: warning: '/etc/chrony/chrony.conf' is "
			    "read already (an include loop?), ignoring\n"
			    "/etc/chrony/d6.conf:2:9: warning: '/etc/chrony/d7.conf' not read: "
			    "more than 8 levels of includes or 64 files, ignoring\n");
	diag_clear(&d);
	detection_free(det);
}

/* Listings: hidden and unprintable names are left out; a file without sources is evidence. */
static void test_listing_names(void **state)
{
	struct tmp_root *t = *state;
	struct detection *det = det_new();
	struct diag d = { 0 };
	char p[256];

	snprintf(p, sizeof(p), "mkdir -p '%s/etc/chrony/conf.d'", t->dir);
	run(p);
	snprintf(p, sizeof(p), "%s/etc/chrony/chrony.conf", t->dir);
	write_file(p, "confdir /etc/chrony/conf.d\n", 27);
	snprintf(p, sizeof(p), "%s/etc/chrony.conf", t->dir);
	write_file(p, "# nothing\n", 10);
	snprintf(p, sizeof(p), "%s/etc/chrony/conf.d/a.conf", t->dir);
	write_file(p, "server a.example.net\n", 21);
	snprintf(p, sizeof(p), "%s/etc/chrony/conf.d/.hidden.conf", t->dir);
	write_file(p, "server hidden.example.net\n", 26);
	snprintf(p, sizeof(p), "%s/etc/chrony/conf.d/b.txt", t->dir);
	write_file(p, "server txt.example.net\n", 23);
	snprintf(p, sizeof(p), "%s/etc/chrony/conf.d/\x1b[31m.conf", t->dir);
	write_file(p, "server esc.example.net\n", 23);
	assert_int_equal(detect_ntp(det, t->dir, &d), 0);
	assert_string_equal(list_str(det, FACT_NTP_SERVERS), "a.example.net");
	assert_string_equal(diag_str(&d), "/etc/chrony/conf.d: warning: a file name that is not "
					  "printable ASCII, ignoring\n");
	assert_null(find_ev(det, NULL, "/etc/chrony/chrony.conf", "no server"));
	assert_non_null(find_ev(det, NULL, "/etc/chrony.conf", "no server, pool or peer line"));
	assert_non_null(find_ev(det, "chrony", "/etc/chrony.conf", "no systemd enablement"));
	diag_clear(&d);
	detection_free(det);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolv_table),
		cmocka_unit_test(test_resolv_notes),
		cmocka_unit_test(test_resolv_overlong_and_flood),
		cmocka_unit_test(test_chrony_table),
		cmocka_unit_test(test_ntp_table),
		cmocka_unit_test(test_chrony_notes),
		cmocka_unit_test(test_timesyncd_table),
		cmocka_unit_test(test_timesyncd_source_lines),
		cmocka_unit_test(test_conf_path),
		cmocka_unit_test_setup_teardown(test_read_file_stays_in_root, tmp_root_setup,
						tmp_root_teardown),
		cmocka_unit_test_setup_teardown(test_read_file_refuses, tmp_root_setup,
						tmp_root_teardown),
		cmocka_unit_test_setup_teardown(test_read_file_limit, tmp_root_setup,
						tmp_root_teardown),
		cmocka_unit_test(test_fixture_resolved),
		cmocka_unit_test(test_fixture_chrony),
		cmocka_unit_test(test_fixture_timesyncd),
		cmocka_unit_test(test_fixture_ntpd),
		cmocka_unit_test(test_fixture_garbage),
		cmocka_unit_test_setup_teardown(test_empty_root, tmp_root_setup, tmp_root_teardown),
		cmocka_unit_test_setup_teardown(test_include_loop_and_depth, tmp_root_setup,
						tmp_root_teardown),
		cmocka_unit_test_setup_teardown(test_listing_names, tmp_root_setup,
						tmp_root_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
