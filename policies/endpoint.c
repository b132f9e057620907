/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Endpoints as admins write them: addresses, prefixes, DNS names, with optional ports. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policies/model.h"

static int parse_port(const char *s, uint16_t *ret)
{
	unsigned long v;
	char *end;

	if (*s < '1' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

bool endpoint_name_valid(const char *s)
{
	size_t len = strlen(s), label = 0;
	const char *p;

	if (len == 0 || len > 253)
		return false;
	for (p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || (*p == '-' && label > 0)))
			return false;
		if (++label > 63)
			return false;
	}
	if (label == 0 || p[-1] == '-')
		return false;
	/* An all-digit last label is a mistyped address (10.0.0.256, 1.2.3), not a name. */
	for (p -= label; *p && *p >= '0' && *p <= '9'; p++)
		;
	return *p != '\0';
}

bool endpoint_wildcard_valid(const char *s)
{
	return !strncmp(s, "*.", 2) && endpoint_name_valid(s + 2);
}

/* Splits "host:port" / "[v6]:port" into text and e->port. */
static int split_port(const char *s, struct endpoint *e, char *text, const char **why)
{
	const char *host = s, *port, *end;
	size_t hlen;

	if (s[0] == '[') {
		end = strstr(s, "]:");
		if (!end) {
			*why = "a bracketed IPv6 address needs ':port' after ']'";
			return -EINVAL;
		}
		host = s + 1;
		port = end + 2;
	} else {
		end = strrchr(s, ':');
		port = end + 1;
	}
	hlen = (size_t)(end - host);
	if (hlen == 0 || hlen >= ENDPOINT_TEXT_MAX) {
		*why = "empty or overlong host";
		return -EINVAL;
	}
	memcpy(text, host, hlen);
	text[hlen] = '\0';
	if (parse_port(port, &e->port) < 0) {
		*why = "the port must be a number from 1 to 65535";
		return -EINVAL;
	}
	return 0;
}

/* endpoint_parse() with the host part written to text (ENDPOINT_TEXT_MAX bytes). */
static int parse_into(const char *s, struct endpoint *e, char *text, const char **why)
{
	const char *colon = strchr(s, ':');
	char *p;
	int r;

	r = rs_addr_parse(s, &e->addr);
	if (r == 0 || r == -ERANGE) {
		/* On -ERANGE, text holds the masked network: the fix to suggest. */
		rs_addr_format(&e->addr, text, ENDPOINT_TEXT_MAX);
		e->is_addr = true;
		if (r == -ERANGE)
			*why = "host bits are set beyond the prefix length";
		return r;
	}
	if (s[0] == '[' || (colon && !strchr(colon + 1, ':'))) {
		r = split_port(s, e, text, why);
		if (r < 0)
			return r;
	} else if (strlen(s) < ENDPOINT_TEXT_MAX) {
		strcpy(text, s);
	}
	if (s[0] == '[' && (rs_addr_parse(text, &e->addr) != 0 || e->addr.family != AF_INET6)) {
		*why = "only IPv6 addresses go in brackets";
		return -EINVAL;
	}
	if (rs_addr_parse(text, &e->addr) == 0) {
		e->is_addr = e->addr.prefix == (e->addr.family == AF_INET ? 32 : 128);
		if (!e->is_addr)
			*why = "a prefix cannot have a port";
		return e->is_addr ? 0 : -EINVAL;
	}
	/* "*.example.com": every name below example.com (not example.com itself). */
	e->is_wildcard = !strncmp(text, "*.", 2) && !e->port;
	if (strchr(text, '/') || strchr(text, ':') ||
	    !(e->is_wildcard ? endpoint_wildcard_valid(text) : endpoint_name_valid(text))) {
		*why = "not an IP address, prefix or DNS name";
		return -EINVAL;
	}
	/* DNS names are case-insensitive; answers are matched in lower case. */
	for (p = text; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

/*
 * A single IPv4 address written as rs_addr_format() writes it (decimal octets, no leading
 * zeros), most of a long list: its text is s itself, so it needs neither the general
 * parse nor the formatting back to compare. false for anything else.
 */
static bool parse_plain_v4(const char *s, struct rs_addr *ret)
{
	unsigned int octet, v, digits;
	uint8_t b[4];

	for (octet = 0; octet < 4; octet++, s++) {
		for (v = 0, digits = 0; *s >= '0' && *s <= '9'; s++, digits++) {
			if (digits == 3 || (digits && v == 0))
				return false;
			v = v * 10 + (unsigned int)(*s - '0');
		}
		if (!digits || v > 255 || *s != (octet == 3 ? '\0' : '.'))
			return false;
		b[octet] = (uint8_t)v;
	}
	memset(ret, 0, sizeof(*ret));
	ret->family = AF_INET;
	ret->prefix = 32;
	memcpy(ret->addr, b, sizeof(b));
	return true;
}

static int parse_text(const char *s, struct endpoint *e, const char **why, bool borrow)
{
	char buf[ENDPOINT_TEXT_MAX];
	const char *text = s;
	int r = 0;

	memset(e, 0, sizeof(*e));
	*why = NULL;
	if (parse_plain_v4(s, &e->addr)) {
		e->is_addr = true;
	} else {
		memset(buf, 0, sizeof(buf));
		r = parse_into(s, e, buf, why);
		text = buf;
	}
	/* Also on failure: the caller's message may quote it (the masked network). */
	if (borrow && (text == s || !strcmp(text, s))) {
		e->text = s;
		e->borrowed = true;
		return r;
	}
	e->text = strdup(text);
	if (!e->text) {
		*why = "out of memory";
		return -ENOMEM;
	}
	return r;
}

int endpoint_parse(const char *s, struct endpoint *e, const char **why)
{
	return parse_text(s, e, why, false);
}

int endpoint_parse_borrow(const char *s, struct endpoint *e, const char **why)
{
	return parse_text(s, e, why, true);
}

void endpoint_clear(struct endpoint *e)
{
	if (!e->borrowed)
		free((char *)(uintptr_t)e->text);
	e->text = NULL;
	e->borrowed = false;
}

void endpoint_list_clear(struct endpoint_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		endpoint_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
