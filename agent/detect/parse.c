/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parsers of resolv.conf, chrony.conf, timesyncd.conf and ntp.conf: text in, facts out.
 * No I/O here (agent/detect/net.c reads the files), so the fuzzers reach every line.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "agent/detect/parse.h"

/* Words a directive line can carry: a server and its options, or confdir's 10 directories. */
#define PARSE_MAX_WORDS 32
/* A broken file is reported, not dumped into the log: one line says the rest are not shown. */
#define PARSE_MAX_WARNINGS 16
/* An evidence source: a host path and ":line". */
#define PARSE_MAX_SOURCE (PATH_MAX + 16)
/* RFC 1035: a DNS name is at most 253 characters; no server word is longer. */
#define PARSE_MAX_HOST 253

/* One file being parsed: the current line (a writable copy) and where it is. */
struct lines {
	struct detection *det;
	struct diag *d;
	const char *file;
	const char *p; /* next unread byte; NULL at the end */
	unsigned int line;
	unsigned int n_warnings;
	char buf[PARSE_MAX_LINE + 1];
};

enum host_kind { HOST_BAD, HOST_ADDR, HOST_NAME };

static void lines_init(struct lines *l, struct detection *det, const char *file, const char *buf,
		       struct diag *d)
{
	l->det = det;
	l->d = d;
	l->file = file;
	l->p = buf;
	l->line = 0;
	l->n_warnings = 0;
}

/* Warns at word's column (word points into l->buf; NULL: column 1). */
static __attribute__((format(printf, 3, 4))) void warn(struct lines *l, const char *word,
						       const char *fmt, ...)
{
	struct loc loc = { l->file, l->line, word ? (unsigned int)(word - l->buf) + 1 : 1 };
	char msg[512];
	va_list ap;

	l->n_warnings++;
	if (l->n_warnings > PARSE_MAX_WARNINGS + 1)
		return;
	if (l->n_warnings > PARSE_MAX_WARNINGS) {
		diag_warn(l->d, &loc, "more problems in this file are not reported");
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_warn(l->d, &loc, "%s", msg);
}

/* Control characters other than tab and CR mean binary data, not configuration. */
static const char *find_control(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t' && *s != '\r') || *s == 0x7f)
			return s;
	return NULL;
}

/* Copies the next line into l->buf; false at the end. Overlong and binary lines are skipped. */
static bool lines_next(struct lines *l)
{
	const char *start, *end, *bad;
	size_t len;

	while (l->p && *l->p) {
		start = l->p;
		end = strchr(start, '\n');
		len = end ? (size_t)(end - start) : strlen(start);
		l->p = end ? end + 1 : NULL;
		l->line++;
		if (len > PARSE_MAX_LINE) {
			warn(l, NULL, "line longer than %d bytes, ignoring", PARSE_MAX_LINE);
			continue;
		}
		memcpy(l->buf, start, len);
		l->buf[len] = '\0';
		bad = find_control(l->buf);
		if (bad) {
			warn(l, bad, "control character 0x%02x (binary data?), ignoring the line",
			     (unsigned char)*bad);
			continue;
		}
		return true;
	}
	return false;
}

/* Splits s at blanks into at most max words; extra words are dropped. */
static size_t split_words(char *s, char **words, size_t max)
{
	char *save = NULL, *w;
	size_t n = 0;

	for (w = strtok_r(s, " \t\r", &save); w && n < max; w = strtok_r(NULL, " \t\r", &save))
		words[n++] = w;
	return n;
}

/* A word we may quote in a message: printable ASCII of a sane length. Warns otherwise. */
static bool word_ok(struct lines *l, const char *what, const char *word)
{
	const char *p;

	if (strlen(word) > PARSE_MAX_HOST) {
		warn(l, word, "%s: a word longer than %d characters, ignoring", what,
		     PARSE_MAX_HOST);
		return false;
	}
	for (p = word; *p; p++) {
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) {
			warn(l, word, "%s: bytes that are not printable ASCII, ignoring", what);
			return false;
		}
	}
	return true;
}

/* Records evidence at the current line. */
static int note(struct lines *l, enum host_fact fact, const char *value, const char *text)
{
	char source[PARSE_MAX_SOURCE];

	snprintf(source, sizeof(source), "%s:%u", l->file, l->line);
	return detect_evidence(l->det, fact_names[fact], value, source, text);
}

static bool is_full_addr(const char *s, struct rs_addr *a)
{
	return rs_addr_parse(s, a) == 0 && a->prefix == (a->family == AF_INET ? 32 : 128);
}

/* A server word: an address or a DNS name, no port or prefix. Warns if neither. */
static enum host_kind host_check(struct lines *l, const char *what, const char *word)
{
	struct endpoint e;
	struct rs_addr a;
	const char *why;
	int r;

	if (!word_ok(l, what, word))
		return HOST_BAD;
	if (is_full_addr(word, &a))
		return HOST_ADDR;
	r = -EINVAL;
	if (!strpbrk(word, ":/[]")) {
		r = endpoint_parse(word, &e, &why);
		endpoint_clear(&e);
	}
	if (r < 0) {
		warn(l, word, "%s '%s' is not an IP address or host name, ignoring", what, word);
		return HOST_BAD;
	}
	return HOST_NAME;
}

/* ntpd's 127.127.t.u pseudo-addresses name local reference clocks, not servers. */
static bool is_refclock(const char *word)
{
	struct rs_addr a;

	return is_full_addr(word, &a) && a.family == AF_INET && a.addr[0] == 127 &&
	       a.addr[1] == 127;
}

/* Adds an NTP server found at file:line; 1 if recorded, 0 if skipped, or -ENOMEM. */
static int ntp_server_add(struct detection *det, const char *word, const char *file,
			  unsigned int line, const char *note, struct diag *d)
{
	char source[PARSE_MAX_SOURCE];
	int r;

	if (is_refclock(word)) {
		snprintf(source, sizeof(source), "%s:%u", file, line);
		r = detect_evidence(det, fact_names[FACT_NTP_SERVERS], word, source,
				    "skipped: 127.127.t.u is a local reference clock, "
				    "not a server");
		return r < 0 ? r : 0;
	}
	r = detect_endpoint_note(det, FACT_NTP_SERVERS, word, file, line, note, d);
	return r < 0 ? r : 1;
}

static int ntp_server(struct lines *l, const char *what, const char *word, const char *note)
{
	if (host_check(l, what, word) == HOST_BAD)
		return 0;
	return ntp_server_add(l->det, word, l->file, l->line, note, l->d);
}

/* ---- resolv.conf ----------------------------------------------------------------------- */

/* The systemd-resolved stubs: 127.0.0.53 (the full stub), 127.0.0.54 (proxy only). */
static bool is_resolved_stub(const char *addr)
{
	return !strcmp(addr, "127.0.0.53") || !strcmp(addr, "127.0.0.54");
}

/*
 * "fe80::1%eth0" into addr "fe80::1" and its scope; glibc takes the zone for link-local
 * servers, nft address sets cannot hold one. false (warned) if it is not an address.
 */
static bool resolv_addr(struct lines *l, const char *word, char *addr, size_t len,
			const char **ret_scope)
{
	const char *pct = strchr(word, '%');
	size_t n = pct ? (size_t)(pct - word) : strlen(word);
	struct rs_addr a;

	if (!word_ok(l, "nameserver", word))
		return false;
	if (n < len) {
		memcpy(addr, word, n);
		addr[n] = '\0';
	}
	if (n >= len || !is_full_addr(addr, &a) || (pct && (a.family != AF_INET6 || !pct[1]))) {
		warn(l, word, "nameserver '%s' is not an IP address, ignoring", word);
		return false;
	}
	*ret_scope = pct ? pct + 1 : NULL;
	return true;
}

/* One nameserver word; 1 if it is in use, 0 if not, or -ENOMEM. */
static int resolv_nameserver(struct lines *l, const char *word, unsigned int flags, int n_used,
			     bool *stub)
{
	char addr[64], text[PARSE_MAX_HOST + 128];
	const char *scope, *why = NULL;
	int r;

	if (!resolv_addr(l, word, addr, sizeof(addr), &scope))
		return 0;
	if (!(flags & RESOLV_UPSTREAM) && n_used >= RESOLV_MAXNS) {
		r = note(l, FACT_DNS_SERVERS, word,
			 "ignored: glibc uses only the first 3 nameservers (MAXNS)");
		return r < 0 ? r : 0;
	}
	if (scope) {
		snprintf(text, sizeof(text),
			 "scope '%s' dropped: nft address sets hold addresses without a zone",
			 scope);
		why = text;
	} else if (!(flags & RESOLV_UPSTREAM) && is_resolved_stub(addr)) {
		*stub = true;
		why = "systemd-resolved stub: queries leave through its upstream servers "
		      "(/run/systemd/resolve/resolv.conf)";
	}
	r = detect_endpoint_note(l->det, FACT_DNS_SERVERS, addr, l->file, l->line, why, l->d);
	return r < 0 ? r : 1;
}

/* glibc matches a keyword at the very start of a line, followed by a blank. */
static bool resolv_keyword(const char *line, const char *kw)
{
	size_t n = strlen(kw);

	return !strncmp(line, kw, n) && (line[n] == ' ' || line[n] == '\t');
}

/* "  nameserver x" looks right but glibc skips it: say so. */
static void resolv_indented(struct lines *l)
{
	char *words[1];

	if (split_words(l->buf, words, 1) == 1 && words[0] != l->buf &&
	    !strcmp(words[0], "nameserver"))
		warn(l, words[0],
		     "indented: glibc reads keywords at the start of a line only, "
		     "ignoring");
}

int detect_parse_resolv_conf(struct detection *det, const char *file, const char *buf,
			     unsigned int flags, bool *ret_stub, struct diag *d)
{
	struct lines l;
	char *words[2];
	bool stub = false;
	int n = 0, r;

	lines_init(&l, det, file, buf, d);
	while (lines_next(&l)) {
		if (!resolv_keyword(l.buf, "nameserver")) {
			resolv_indented(&l);
			continue;
		}
		if (split_words(l.buf + strlen("nameserver"), words, 1) == 0) {
			warn(&l, NULL, "nameserver without an address, ignoring");
			continue;
		}
		r = resolv_nameserver(&l, words[0], flags, n, &stub);
		if (r < 0)
			return r;
		n += r;
	}
	*ret_stub = stub;
	return n;
}

/* ---- chrony.conf and ntp.conf ---------------------------------------------------------- */

/* Calls ref for an include-type directive whose arguments are words[1..n). */
static int conf_ref(struct lines *l, enum conf_ref kind, char **words, size_t n, size_t max,
		    conf_ref_fn ref, void *ctx)
{
	struct loc loc = { l->file, l->line, 1 };
	size_t i;

	if (n < 2 || n > max + 1) {
		warn(l, words[0], "'%s' takes 1 to %zu paths, ignoring", words[0], max);
		return 0;
	}
	for (i = 1; i < n; i++)
		if (!word_ok(l, words[0], words[i]))
			return 0;
	if (!ref)
		return 0;
	loc.col = (unsigned int)(words[1] - l->buf) + 1;
	return ref(ctx, kind, (const char *const *)(words + 1), n - 1, &loc);
}

static bool is_port(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= 5 && !s[n];
}

/* What a chrony source's options add (NTS key exchange, a port other than 123), or NULL. */
static const char *chrony_options(struct lines *l, char **words, size_t n, char *buf, size_t len)
{
	const char *port = NULL, *ntsport = "4460";
	bool nts = false;
	size_t i;

	for (i = 2; i < n; i++) {
		if (!strcasecmp(words[i], "nts")) {
			nts = true;
		} else if (i + 1 < n &&
			   (!strcasecmp(words[i], "port") || !strcasecmp(words[i], "ntsport"))) {
			if (!is_port(words[++i]))
				warn(l, words[i], "'%s' takes a port number, ignoring",
				     words[i - 1]);
			else if (tolower((unsigned char)words[i - 1][0]) == 'n')
				ntsport = words[i];
			else if (strcmp(words[i], "123"))
				port = words[i];
		}
	}
	if (!nts && !port)
		return NULL;
	snprintf(buf, len, "%s%s%s%s%s", nts ? "nts: the key exchange also needs TCP " : "",
		 nts ? ntsport : "", nts && port ? "; " : "", port ? "NTP to UDP " : "",
		 port ? port : "");
	return buf;
}

/* server, pool, peer NAME [options]: 1 if recorded, 0 if not, or -ENOMEM. */
static int chrony_source(struct lines *l, char **words, size_t n)
{
	const char *note;
	char text[128];

	if (n < 2) {
		warn(l, words[0], "'%s' needs a host name or address, ignoring", words[0]);
		return 0;
	}
	if (host_check(l, words[0], words[1]) == HOST_BAD)
		return 0;
	note = chrony_options(l, words, n, text, sizeof(text));
	return ntp_server_add(l->det, words[1], l->file, l->line, note, l->d);
}

static bool is_any(const char *word, const char *const *set, bool icase)
{
	for (; *set; set++)
		if (icase ? !strcasecmp(word, *set) : !strcmp(word, *set))
			return true;
	return false;
}

static const char *const ntp_sources[] = { "server", "pool", "peer", NULL };

static int chrony_line(struct lines *l, char **words, size_t n, unsigned int flags, conf_ref_fn ref,
		       void *ctx)
{
	/* chrony directives are case-insensitive (strcasecmp in conf.c) */
	if (is_any(words[0], ntp_sources, true))
		return chrony_source(l, words, n);
	if (flags & CHRONY_SOURCES) {
		if (word_ok(l, "directive", words[0]))
			warn(l, words[0], "'%s' is not allowed in a .sources file, ignoring",
			     words[0]);
		return 0;
	}
	if (!strcasecmp(words[0], "include"))
		return conf_ref(l, CONF_INCLUDE, words, n, 1, ref, ctx);
	if (!strcasecmp(words[0], "confdir"))
		return conf_ref(l, CONF_CONFDIR, words, n, CHRONY_MAX_DIRS, ref, ctx);
	if (!strcasecmp(words[0], "sourcedir"))
		return conf_ref(l, CONF_SOURCEDIR, words, n, CHRONY_MAX_DIRS, ref, ctx);
	return 0;
}

int detect_parse_chrony_conf(struct detection *det, const char *file, const char *buf,
			     unsigned int flags, conf_ref_fn ref, void *ctx, struct diag *d)
{
	char *words[PARSE_MAX_WORDS];
	struct lines l;
	int count = 0, r;
	size_t n;

	lines_init(&l, det, file, buf, d);
	while (lines_next(&l)) {
		n = split_words(l.buf, words, PARSE_MAX_WORDS);
		/* chrony: a line whose first character is one of these is a comment */
		if (n == 0 || strchr("!;#%", words[0][0]))
			continue;
		r = chrony_line(&l, words, n, flags, ref, ctx);
		if (r < 0)
			return r;
		/* conf_ref() returns 0, so only sources count */
		count += r;
	}
	return count;
}

static int ntp_line(struct lines *l, char **words, size_t n, conf_ref_fn ref, void *ctx)
{
	size_t i = 1;

	if (!strcmp(words[0], "includefile"))
		return conf_ref(l, CONF_INCLUDEFILE, words, n, 1, ref, ctx);
	if (!is_any(words[0], ntp_sources, false))
		return 0;
	/* "server -4 name": the address family qualifier comes first */
	while (i < n && (!strcmp(words[i], "-4") || !strcmp(words[i], "-6")))
		i++;
	if (i >= n) {
		warn(l, words[0], "'%s' needs a host name or address, ignoring", words[0]);
		return 0;
	}
	return ntp_server(l, words[0], words[i], NULL);
}

int detect_parse_ntp_conf(struct detection *det, const char *file, const char *buf, conf_ref_fn ref,
			  void *ctx, struct diag *d)
{
	char *words[PARSE_MAX_WORDS], *hash;
	struct lines l;
	int count = 0, r;
	size_t n;

	lines_init(&l, det, file, buf, d);
	while (lines_next(&l)) {
		/* ntpd: '#' starts a comment anywhere on a line */
		hash = strchr(l.buf, '#');
		if (hash)
			*hash = '\0';
		n = split_words(l.buf, words, PARSE_MAX_WORDS);
		if (n == 0)
			continue;
		r = ntp_line(&l, words, n, ref, ctx);
		if (r < 0)
			return r;
		count += r;
	}
	return count;
}

/* ---- timesyncd.conf -------------------------------------------------------------------- */

static char *trim(char *s)
{
	char *end;

	s += strspn(s, " \t\r");
	end = s + strlen(s);
	while (end > s && strchr(" \t\r", end[-1]))
		*--end = '\0';
	return s;
}

static bool ts_has(const struct timesyncd_server *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return true;
	return false;
}

/* Adds one name; -ENOSPC once the list is full. */
static int ts_add(struct lines *l, struct timesyncd_server *v, size_t *n, const char *word)
{
	const char *name, *file;

	if (ts_has(v, *n, word))
		return 0;
	if (*n >= TIMESYNCD_MAX_SERVERS) {
		warn(l, word, "more than %d servers, ignoring the rest", TIMESYNCD_MAX_SERVERS);
		return -ENOSPC;
	}
	name = detect_intern(l->det, word);
	file = detect_intern(l->det, l->file);
	if (!name || !file)
		return -ENOMEM;
	v[(*n)++] = (struct timesyncd_server){ name, file, l->line };
	return 0;
}

/* NTP=a b c adds to the list, NTP= empties it (systemd's config_parse_servers). */
static int ts_assign(struct lines *l, const char *key, char *value, struct timesyncd_server *v,
		     size_t *n)
{
	char *words[TIMESYNCD_MAX_SERVERS + 1];
	size_t i, nw;
	int r;

	nw = split_words(value, words, TIMESYNCD_MAX_SERVERS + 1);
	if (nw == 0)
		*n = 0;
	for (i = 0; i < nw; i++) {
		if (host_check(l, key, words[i]) == HOST_BAD)
			continue;
		r = ts_add(l, v, n, words[i]);
		if (r == -ENOSPC)
			break;
		if (r < 0)
			return r;
	}
	return 0;
}

/* One "Key=Value" line of the [Time] section. */
static int ts_line(struct lines *l, struct timesyncd_state *st, char *s)
{
	char *eq = strchr(s, '='), *key;

	if (s[strlen(s) - 1] == '\\') {
		warn(l, s, "line continuation is not followed, ignoring");
		return 0;
	}
	if (!eq) {
		warn(l, s, "not a 'Key=Value' line, ignoring");
		return 0;
	}
	*eq = '\0';
	key = trim(s);
	if (!strcmp(key, "NTP"))
		return ts_assign(l, "NTP=", eq + 1, st->ntp, &st->n_ntp);
	if (!strcmp(key, "FallbackNTP")) {
		st->fallback_set = true;
		return ts_assign(l, "FallbackNTP=", eq + 1, st->fallback, &st->n_fallback);
	}
	return 0;
}

int detect_parse_timesyncd_conf(struct detection *det, struct timesyncd_state *st, const char *file,
				const char *buf, struct diag *d)
{
	bool in_time = false;
	struct lines l;
	char *s;
	int r;

	lines_init(&l, det, file, buf, d);
	while (lines_next(&l)) {
		s = trim(l.buf);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			in_time = !strcmp(s, "[Time]");
			continue;
		}
		if (!in_time)
			continue;
		r = ts_line(&l, st, s);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char ts_only_dhcp[] =
	"NTP= and FallbackNTP= are empty: timesyncd uses only DHCP-given servers, which are not "
	"detected; configure ntp-servers";
static const char ts_defaults[] =
	"no NTP=: timesyncd uses DHCP-given servers or its compiled-in FallbackNTP= list "
	"(distribution-specific); neither is detected, configure ntp-servers";

static int ts_note(struct detection *det, const struct timesyncd_server *s, const char *text)
{
	char source[PARSE_MAX_SOURCE];

	snprintf(source, sizeof(source), "%s:%u", s->file, s->line);
	return detect_evidence(det, fact_names[FACT_NTP_SERVERS], s->name, source, text);
}

/* FallbackNTP= servers: recorded when NTP= names none, as timesyncd may then use them. */
static int ts_record_fallbacks(struct detection *det, const struct timesyncd_state *st,
			       struct diag *d)
{
	const struct timesyncd_server *s;
	size_t i;
	int r = 0;

	for (i = 0; i < st->n_fallback && r >= 0; i++) {
		s = &st->fallback[i];
		if (st->n_ntp) {
			r = ts_note(det, s, "FallbackNTP= not used: NTP= names servers");
			continue;
		}
		r = ntp_server_add(det, s->name, s->file, s->line,
				   "FallbackNTP=: used only while neither NTP= nor DHCP "
				   "(systemd-networkd) gives a server",
				   d);
	}
	return r < 0 ? r : 0;
}

int detect_timesyncd_record(struct detection *det, const struct timesyncd_state *st,
			    const char *file, struct diag *d)
{
	size_t i;
	int r;

	for (i = 0; i < st->n_ntp; i++) {
		r = ntp_server_add(det, st->ntp[i].name, st->ntp[i].file, st->ntp[i].line, NULL, d);
		if (r < 0)
			return r;
	}
	r = ts_record_fallbacks(det, st, d);
	if (r < 0 || st->n_ntp || st->n_fallback)
		return r;
	return detect_evidence(det, fact_names[FACT_NTP_SERVERS], NULL, file,
			       st->fallback_set ? ts_only_dhcp : ts_defaults);
}

/* ---- include paths --------------------------------------------------------------------- */

static bool has_dotdot(const char *path)
{
	const char *p;

	for (p = strstr(path, ".."); p; p = strstr(p + 1, ".."))
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
	return false;
}

int detect_parse_conf_path(const char *arg, char *buf, size_t len, const char **why)
{
	const char *p;
	size_t n;
	int r;

	*why = NULL;
	for (p = arg; *p; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f) {
			*why = "control characters in a path";
			return -EINVAL;
		}
	}
	if (!*arg || has_dotdot(arg)) {
		*why = *arg ? "a '..' component is not followed: detection stays inside the root" :
			      "an empty path";
		return -EINVAL;
	}
	/* relative paths: the daemons run in "/" */
	r = snprintf(buf, len, "%s%s", arg[0] == '/' ? "" : "/", arg);
	if (r < 0 || (size_t)r >= len) {
		*why = "the path is too long";
		return -ENAMETOOLONG;
	}
	for (n = strlen(buf); n > 1 && buf[n - 1] == '/'; n--)
		buf[n - 1] = '\0';
	return 0;
}
