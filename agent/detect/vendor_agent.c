/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Deep Security Agent: its files and service (the agent role), its manager URL and from
 * it the region (dsa_query -c GetAgentStatus), and its proxies (sendCommand --get
 * GetConfiguration). Paths, output formats and the confidence of each signal come from
 * swp-flows.md section (d).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/detect/vendor.h"

/* XML attribute names in GetConfiguration are short identifiers. */
#define ATTR_NAME_MAX 64

#define DSA_CONTROL "/opt/ds_agent/dsa_control"
#define DSA_QUERY "/opt/ds_agent/dsa_query"
#define SEND_COMMAND "/opt/ds_agent/sendCommand"
#define AGENT_DATA_DIR "/var/opt/ds_agent"

/* ---- manager URL and region --------------------------------------------------------- */

/*
 * https://host[:port][/...]: the only form the agent reports. e->text is the host (lower
 * case), e->is_addr says whether it is an address literal. -EINVAL for anything else,
 * including credentials in the URL (a manager URL never has them). On 0, the caller
 * clears e (endpoint_clear()).
 */
static int parse_https_url(const char *url, struct endpoint *e)
{
	char auth[VENDOR_URL_MAX];
	const char *why;
	size_t n, i;

	if (strncasecmp(url, "https://", 8) != 0)
		return -EINVAL;
	url += 8;
	n = strcspn(url, "/?#");
	if (n == 0 || n >= sizeof(auth) || memchr(url, '@', n))
		return -EINVAL;
	for (i = 0; i < n; i++)
		auth[i] = (char)((url[i] >= 'A' && url[i] <= 'Z') ? url[i] - 'A' + 'a' : url[i]);
	auth[n] = '\0';
	if (auth[0] == '[' && auth[n - 1] == ']') { /* [v6] without a port */
		memmove(auth, auth + 1, n - 2);
		auth[n - 2] = '\0';
	} else if (auth[0] != '[' && strchr(auth, ':') != strrchr(auth, ':')) {
		return -EINVAL; /* an IPv6 literal must be bracketed */
	}
	if (endpoint_parse(auth, e, &why) < 0) {
		endpoint_clear(e);
		return -EINVAL;
	}
	return 0;
}

static bool valid_region(const char *s, size_t n)
{
	size_t i;

	if (n < 2 || n > VENDOR_REGION_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* agents.workload.<r>.cloudone.trendmicro.com or agents-NNN.workload.<r>.... */
static int region_from_host(const char *host, char *buf, size_t len)
{
	static const char suffix[] = ".cloudone.trendmicro.com";
	const char *p = host, *region;
	size_t digits, n;

	if (!detect_has_suffix(host, suffix) || strncmp(p, "agents", 6) != 0)
		return -ENOENT;
	p += 6;
	if (*p == '-') {
		digits = strspn(p + 1, "0123456789");
		if (digits < 1 || digits > 3)
			return -ENOENT;
		p += 1 + digits;
	}
	if (strncmp(p, ".workload.", 10) != 0)
		return -ENOENT;
	region = p + 10;
	n = strlen(region);
	if (n < sizeof(suffix) - 1)
		return -ENOENT;
	n -= sizeof(suffix) - 1;
	if (memchr(region, '.', n) || !valid_region(region, n))
		return -ENOENT;
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(buf, region, n);
	buf[n] = '\0';
	return 0;
}

int detect_region_from_url(const char *url, char *buf, size_t len)
{
	struct endpoint e;
	int r;

	if (parse_https_url(url, &e) < 0)
		return -EINVAL;
	r = e.is_addr ? -ENOENT : region_from_host(e.text, buf, len);
	endpoint_clear(&e);
	return r;
}

/* What the manager's host says: the region, the legacy service, or neither (and why). */
static int classify_manager(struct vendor_src *s, const char *url, const struct endpoint *e)
{
	char region[VENDOR_REGION_MAX + 1];

	if (!e->is_addr && detect_has_suffix(e->text, ".deepsecurity.trendmicro.com")) {
		s->det->legacy_dsaas = true;
		return detect_evidence(s->det, "legacy-dsaas", e->text, s->name,
				       "legacy Deep Security as a Service: its names are allowed; "
				       "the URL names no region, so set region: in the config");
	}
	if (detect_region_from_url(url, region, sizeof(region)) == 0) {
		s->det->region = strdup(region);
		if (!s->det->region)
			return -ENOMEM;
		return detect_evidence(s->det, "region", region, s->name,
				       "from the manager URL's host");
	}
	if (e->is_addr)
		return detect_evidence(s->det, "region", NULL, s->name,
				       "the manager is an IP address (an on-premises Deep Security "
				       "Manager?), not an SWP region: set region: if it is SWP");
	return detect_evidence(s->det, "region", NULL, s->name,
			       "the manager host is not agents[-NNN].workload.<region>.cloudone."
			       "trendmicro.com: set region: in the config");
}

/* The first valid manager URL found wins; a different later one is recorded as such. */
static int take_manager_url(struct vendor_src *s, unsigned int line, const char *url)
{
	struct endpoint e;
	int r;

	if (parse_https_url(url, &e) < 0) {
		/* Shown unless it may hold credentials; long ones are cut. */
		detect_src_warn(s, line, "manager URL '%.*s' is not https://host[:port]/, ignoring",
				128, strchr(url, '@') ? "(not shown: it has an '@')" : url);
		return 0;
	}
	if (s->det->manager_url) {
		r = strcmp(s->det->manager_url, url) ?
			    detect_evidence(s->det, "manager-url", url, s->name,
					    "differs from the URL found first, which is used") :
			    0;
	} else if (!(s->det->manager_url = strdup(url))) {
		r = -ENOMEM;
	} else {
		r = detect_evidence(s->det, "manager-url", url, s->name, NULL);
		if (r == 0)
			r = classify_manager(s, url, &e);
	}
	endpoint_clear(&e);
	return r;
}

/* ---- dsa_query -c GetAgentStatus ---------------------------------------------------- */

struct status_seen {
	bool listed; /* the index names dsmUrl */
	bool found;  /* a dsmUrl value line */
};

static bool all_digits(const char *s)
{
	return *s && s[strspn(s, "0123456789")] == '\0';
}

/* One "AgentStatus.key: value" line (the space after the colon is optional). */
static int status_line(struct vendor_src *s, unsigned int no, char *line, struct status_seen *seen)
{
	char *key, *colon, *value;
	int r;

	if (!line[0])
		return 0;
	colon = strchr(line, ':');
	if (strncmp(line, "AgentStatus.", 12) != 0 || !colon || colon == line + 12) {
		detect_src_warn(s, no, "not 'AgentStatus.field: value', ignoring");
		return 0;
	}
	key = line + 12;
	*colon = '\0';
	value = colon + 1 + strspn(colon + 1, " \t");
	if (all_digits(key)) {
		seen->listed |= !strcmp(value, "dsmUrl");
		return 0;
	}
	if (!strcmp(key, "agentState"))
		return detect_evidence(s->det, "agent-state", value, s->name,
				       strcmp(value, "green") != 0 ? "the agent reports a problem" :
								     NULL);
	if (strcmp(key, "dsmUrl") != 0 || !value[0])
		return 0;
	if (seen->found) {
		if (strcmp(s->det->manager_url, value) != 0)
			detect_src_warn(s, no, "a second, different dsmUrl, ignoring");
		return 0;
	}
	r = take_manager_url(s, no, value);
	seen->found = s->det->manager_url != NULL; /* a bad URL does not hide a later one */
	return r;
}

int detect_parse_agent_status(struct detection *det, const char *source, const char *buf,
			      size_t len, struct diag *d)
{
	struct vendor_src s = { det, source, d, 0 };
	struct vendor_cursor c = { buf, buf, buf + len, 0 };
	struct status_seen seen = { false, false };
	char line[VENDOR_LINE_MAX];
	bool ok;
	int r = 0;

	while (r == 0 && detect_next_line(&c, line, &ok)) {
		if (ok)
			r = status_line(&s, c.line, line, &seen);
		else
			detect_src_warn(&s, c.line, "line too long or not text, ignoring");
	}
	if (r == 0 && !seen.found)
		r = detect_evidence(det, "manager-url", NULL, source,
				    seen.listed ? "the index lists dsmUrl but no line gives its "
						  "value (agent not activated?)" :
						  "no AgentStatus.dsmUrl line (agent not "
						  "activated?)");
	return r;
}

/* ---- sendCommand --get GetConfiguration --------------------------------------------- */

struct attr {
	char name[ATTR_NAME_MAX];
	char value[VENDOR_LINE_MAX];
	unsigned int line;
};

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == ':';
}

/* The attribute name that ends just before c->p (at '='); false if there is none. */
static bool attr_name(const struct vendor_cursor *c, struct attr *a)
{
	const char *b = c->p;
	size_t n;

	while (b > c->start && name_char(b[-1]) && c->p - b < ATTR_NAME_MAX)
		b--;
	n = (size_t)(c->p - b);
	if (n == 0 || n >= ATTR_NAME_MAX || (b > c->start && name_char(b[-1])))
		return false;
	memcpy(a->name, b, n);
	a->name[n] = '\0';
	return true;
}

/*
 * The quoted value after "=" at c->p, on one line; advances past it. false (with a
 * warning) when it is unterminated, too long or not text.
 */
static bool attr_value(struct vendor_cursor *c, struct vendor_src *s, struct attr *a)
{
	const char q = c->p[1], *v = c->p + 2, *e = v;
	size_t n;

	while (e < c->end && *e != q && *e != '\n')
		e++;
	n = (size_t)(e - v);
	if (e >= c->end || *e != q || n >= VENDOR_LINE_MAX || !detect_printable(v, n)) {
		detect_src_warn(s, c->line,
				"attribute '%s': value unterminated, too long or not text, "
				"ignoring",
				a->name);
		c->p = e - 1; /* the caller's step lands on e, so a newline there is counted */
		return false;
	}
	memcpy(a->value, v, n);
	a->value[n] = '\0';
	a->line = c->line;
	c->p = e + 1;
	return true;
}

/* The next name='value' (or name="value"); false at the end of the text. */
static bool next_attr(struct vendor_cursor *c, struct vendor_src *s, struct attr *a)
{
	for (; c->p < c->end; c->p++) {
		if (*c->p == '\n')
			c->line++;
		if (*c->p != '=' || c->p + 1 >= c->end || (c->p[1] != '\'' && c->p[1] != '"'))
			continue;
		if (attr_name(c, a) && attr_value(c, s, a))
			return true;
	}
	return false;
}

/* word in a camelCase or snake_case name: "pacUrl", "proxyPAC", "pac_url", not "package". */
static bool name_word(const char *name, const char *word)
{
	const char *p;
	size_t n;

	n = strlen(word);
	for (p = strcasestr(name, word); p; p = strcasestr(p + 1, word)) {
		bool start = p == name || (*p >= 'A' && *p <= 'Z') ||
			     !((p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z'));

		if (start && !(p[n] >= 'a' && p[n] <= 'z'))
			return true;
	}
	return false;
}

/*
 * Proxy attributes that are not the proxy's address: credentials (a password may look
 * like host:port and must never be recorded) and the hosts that bypass the proxy.
 */
static const char *const proxy_not_address[] = { "user",   "pass",  "pwd",	 "cred",  "auth",
						 "secret", "token", "exception", "exclu", NULL };

static bool proxy_address_attr(const char *name)
{
	size_t i;

	if (!strcasestr(name, "proxy") || name_word(name, "no"))
		return false;
	for (i = 0; proxy_not_address[i]; i++)
		if (strcasestr(name, proxy_not_address[i]))
			return false;
	return true;
}

/* An attribute named like a proxy address, if its value is an address to allow. */
static int config_proxy(struct vendor_src *s, const struct attr *a, unsigned int *n_proxies)
{
	char hostport[300], where[ATTR_NAME_MAX + 128];

	if (!strchr(a->value, ':'))
		return 0; /* "true", "", a host without a port: not an address to allow */
	if (name_word(a->name, "pac") || detect_has_suffix(a->value, ".pac") ||
	    detect_has_suffix(a->value, "wpad.dat")) {
		detect_src_warn(s, a->line,
				"attribute '%s': a PAC file cannot be turned into addresses; "
				"set proxy: in the config",
				a->name);
		return 0;
	}
	if (detect_proxy_hostport(a->value, hostport, sizeof(hostport)) < 0) {
		detect_src_warn(s, a->line,
				"attribute '%s' is not host:port or a proxy URL, ignoring",
				a->name);
		return 0;
	}
	(*n_proxies)++;
	snprintf(where, sizeof(where), "%s, attribute %s", s->name, a->name);
	return detect_endpoint(s->det, FACT_PROXY, hostport, where, 0, s->d);
}

/* dsmUrls='https://...:443/': one URL, or several separated by blanks, commas or ';'. */
static int config_urls(struct vendor_src *s, struct attr *a)
{
	char *tok, *save = NULL;
	int r = 0;

	for (tok = strtok_r(a->value, " ,;", &save); tok && r == 0;
	     tok = strtok_r(NULL, " ,;", &save))
		r = take_manager_url(s, a->line, tok);
	return r;
}

struct config_seen {
	unsigned int n_attrs, n_urls, n_proxies;
};

static int config_attr(struct vendor_src *s, struct attr *a, struct config_seen *seen)
{
	seen->n_attrs++;
	if (!strcmp(a->name, "dsmUrls") || !strcmp(a->name, "dsmUrl")) {
		seen->n_urls++;
		return config_urls(s, a);
	}
	if (proxy_address_attr(a->name))
		return config_proxy(s, a, &seen->n_proxies);
	return 0;
}

int detect_parse_get_configuration(struct detection *det, const char *source, const char *buf,
				   size_t len, struct diag *d)
{
	struct vendor_src s = { det, source, d, 0 };
	struct vendor_cursor c = { buf, buf, buf + len, 1 };
	struct config_seen seen = { 0, 0, 0 };
	struct attr a;
	int r = 0;

	while (r == 0 && next_attr(&c, &s, &a))
		r = config_attr(&s, &a, &seen);
	if (r < 0)
		return r;
	if (!seen.n_attrs)
		detect_src_warn(&s, 0,
				"no name='value' attributes: not the GetConfiguration XML, "
				"ignoring");
	if (!seen.n_urls)
		r = detect_evidence(det, "manager-url", NULL, source, "no dsmUrls attribute");
	if (r == 0 && !seen.n_proxies)
		r = detect_evidence(det, "proxy", NULL, source,
				    "no proxy attribute in the agent's runtime configuration (its "
				    "on-disk proxy store is undocumented and not read): set proxy: "
				    "in the config if the agent uses one");
	return r;
}

/* ---- detect_agent ------------------------------------------------------------------- */

/* Files that show an installed agent (swp-flows.md (d), "Package, paths and service"). */
static const struct agent_probe {
	const char *path;
	const char *what;
	bool installed; /* enough for the role on its own; an uninstall leaves the data dir */
} agent_probes[] = {
	{ DSA_CONTROL, "agent command-line tool", true },
	{ "/etc/systemd/system/ds_agent.service", "ds_agent service unit", true },
	{ "/lib/systemd/system/ds_agent.service", "ds_agent service unit", true },
	{ "/usr/lib/systemd/system/ds_agent.service", "ds_agent service unit", true },
	{ "/etc/init.d/ds_agent", "ds_agent init script", true },
	{ AGENT_DATA_DIR, "agent data directory", false },
};

/* Records each agent file found; *ret_path is the first one that shows an install. */
static int agent_files(struct detection *det, const char *root, const char **ret_path,
		       bool *ret_data)
{
	const struct agent_probe *p;
	size_t i;
	int r;

	*ret_path = NULL;
	*ret_data = false;
	for (i = 0; i < sizeof(agent_probes) / sizeof(agent_probes[0]); i++) {
		p = &agent_probes[i];
		if (!detect_exists(root, p->path))
			continue;
		r = detect_evidence(det, "ds_agent", p->what, p->path, NULL);
		if (r < 0)
			return r;
		if (p->installed && !*ret_path)
			*ret_path = p->path;
		*ret_data |= !p->installed;
	}
	return 0;
}

static const char *const status_argv[] = { DSA_QUERY, "-c", "GetAgentStatus", NULL };
static const char *const config_argv[] = { SEND_COMMAND, "--get", "GetConfiguration", NULL };
static const struct vendor_tool agent_tools[] = {
	{ status_argv, "manager-url",
	  "manager URL and region from GetConfiguration, else from the config (region:)",
	  detect_parse_agent_status },
	{ config_argv, "proxy",
	  "the agent's proxy is unknown: set proxy: in the config if it uses one",
	  detect_parse_get_configuration },
};

int detect_agent(struct detection *det, const char *root, struct diag *d)
{
	const char *installed;
	bool data;
	size_t i;
	int r;

	r = agent_files(det, root, &installed, &data);
	if (r < 0)
		return r;
	if (!installed)
		return detect_evidence(det, "role agent", NULL, "/opt/ds_agent, ds_agent service",
				       data ? "only the data directory, which an uninstall leaves "
					      "behind: not enough for the role" :
					      "no Deep Security Agent files or service");
	r = detect_role(det, ROLE_AGENT, "Deep Security Agent installed", installed);
	for (i = 0; r == 0 && i < sizeof(agent_tools) / sizeof(agent_tools[0]); i++)
		r = detect_tool_answer(det, root, &agent_tools[i], d);
	return r;
}
