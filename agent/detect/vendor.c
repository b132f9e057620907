/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the vendor_*.c files share: warnings that name the host file or command and line,
 * reading text a line at a time, and a proxy setting turned into host:port.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "agent/detect/vendor.h"

/* A garbage file would otherwise add a warning per line; the first few say enough. */
#define WARN_MAX 8

void detect_src_warn(struct vendor_src *s, unsigned int line, const char *fmt, ...)
{
	struct loc loc = { s->name, line, line ? 1 : 0 };
	char msg[VENDOR_LINE_MAX];
	va_list ap;

	if (s->n_warn++ > WARN_MAX)
		return;
	if (s->n_warn > WARN_MAX) {
		diag_warn(s->d, &loc, "more problems, not reported");
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_warn(s->d, &loc, "%s", msg);
}

bool detect_printable(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\t' && !(c == '\r' && i == n - 1)) || c == 0x7f)
			return false;
	}
	return true;
}

bool detect_next_line(struct vendor_cursor *c, char buf[static VENDOR_LINE_MAX], bool *ok)
{
	const char *nl;
	size_t n;

	if (c->p >= c->end)
		return false;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	n = (size_t)((nl ? nl : c->end) - c->p);
	c->line++;
	*ok = n < VENDOR_LINE_MAX && detect_printable(c->p, n);
	if (!*ok)
		n = 0;
	memcpy(buf, c->p, n);
	while (n && (buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	c->p = nl ? nl + 1 : c->end;
	return true;
}

bool detect_has_suffix(const char *s, const char *suffix)
{
	size_t n, k;

	n = strlen(s);
	k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

bool detect_exists(const char *root, const char *path)
{
	char full[PATH_MAX];
	struct stat st;

	return detect_path(root, path, full, sizeof(full)) == 0 && stat(full, &st) == 0;
}

/* Schemes a proxy setting may carry: dsa_control's own, and those the console offers. */
static const char *const proxy_schemes[] = { "http",	  "https",	 "socks4",
					     "socks4a",	  "socks5",	 "socks5h",
					     "dsm_proxy", "relay_proxy", NULL };

static bool proxy_scheme(const char *s, size_t n)
{
	size_t i;

	for (i = 0; proxy_schemes[i]; i++)
		if (strlen(proxy_schemes[i]) == n && !strncasecmp(s, proxy_schemes[i], n))
			return true;
	return false;
}

int detect_proxy_hostport(const char *value, char *buf, size_t len)
{
	char auth[VENDOR_URL_MAX];
	const char *p = value, *sep, *at, *why;
	struct endpoint e;
	size_t n;

	sep = strstr(p, "://");
	if (sep) {
		if (!proxy_scheme(p, (size_t)(sep - p)))
			return -EINVAL;
		p = sep + 3;
	}
	n = strcspn(p, "/?#");
	at = memrchr(p, '@', n);
	if (at) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	if (n == 0 || n >= sizeof(auth) || (sep && p[n] && strcmp(p + n, "/") != 0))
		return -EINVAL;
	memcpy(auth, p, n);
	auth[n] = '\0';
	if (endpoint_parse(auth, &e, &why) < 0 || !e.port) {
		endpoint_clear(&e);
		return -EINVAL;
	}
	n = (size_t)snprintf(buf, len, strchr(e.text, ':') ? "[%s]:%u" : "%s:%u", e.text, e.port);
	endpoint_clear(&e);
	return n < len ? 0 : -EINVAL;
}
