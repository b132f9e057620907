/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Vendor software on the host, one file per product: vendor_agent.c (Deep Security Agent:
 * dsa_query, sendCommand, manager URL and region), vendor_relay.c (relay role and
 * communication direction from /proc/net/tcp{,6} and the relay repository), vendor_dcgw.c
 * (Data Center Gateway allow list), vendor_tool.c (running the vendor's query tools), and
 * vendor.c (the text helpers they share).
 *
 * The parsers behind detect_agent(), detect_relay() and detect_dcgw() are exported for unit
 * tests and fuzzing. Each takes text from the host (a file, or a tool's output named by its
 * command line), records facts and evidence in det, and reports every problem as a warning
 * in d naming the file (or command) and line. Bad input never fails them: they return 0, or
 * -ENOMEM.
 */
#ifndef FLOWGUARD_DETECT_VENDOR_H
#define FLOWGUARD_DETECT_VENDOR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/detect/detect_int.h"

/* The agent's ports (swp-flows.md (d), "What listens locally"). */
#define VENDOR_PORT_AGENT 4118
#define VENDOR_PORT_RELAY 4122
#define VENDOR_PORT_RELAY_LOCAL 4123

/* Region codes as the catalog spells them: [a-z0-9-]{2,20}. */
#define VENDOR_REGION_MAX 20

/* A status line or XML attribute holds a field name and a URL; longer is garbage. */
#define VENDOR_LINE_MAX 1024
/* Manager and proxy URLs are short; this also bounds what a hostile tool makes us copy. */
#define VENDOR_URL_MAX 512

/* ---- shared by the vendor_*.c files ---- */

/* Where the text being parsed came from, for warnings and evidence. */
struct vendor_src {
	struct detection *det;
	const char *name; /* the host file or the command line, as the user knows it */
	struct diag *d;
	unsigned int n_warn;
};

/* A position in the text being parsed; line counts the lines read so far. */
struct vendor_cursor {
	const char *start, *p, *end;
	unsigned int line;
};

/* A warning at s->name:line (line 0: none); after the first few, one "more problems". */
__attribute__((format(printf, 3, 4))) void detect_src_warn(struct vendor_src *s, unsigned int line,
							   const char *fmt, ...);

/* Printable text: no NUL or control bytes (a tab and a trailing CR are fine). */
bool detect_printable(const char *p, size_t n);

/*
 * Copies the next line into buf without its line end and trailing blanks; false at the
 * end of the text. *ok is false (and buf empty) for a line too long or not printable.
 */
bool detect_next_line(struct vendor_cursor *c, char buf[static VENDOR_LINE_MAX], bool *ok);

bool detect_has_suffix(const char *s, const char *suffix);

/* Whether root/path exists (anything stat() succeeds on). */
bool detect_exists(const char *root, const char *path);

/*
 * A proxy setting, "[scheme://][user:pw@]host:port[/]", into "host:port" (IPv6 bracketed).
 * Credentials are dropped: they must never reach evidence or warnings. -EINVAL without a
 * port or with a scheme a proxy does not use.
 */
int detect_proxy_hostport(const char *value, char *buf, size_t len);

/* Parses a tool's output; source names the command line. As the parsers below. */
typedef int (*vendor_parse_fn)(struct detection *det, const char *source, const char *buf,
			       size_t len, struct diag *d);

/* A vendor query tool, what it answers and what detection does without it. */
struct vendor_tool {
	const char *const *argv; /* argv[0] is the tool's host path */
	const char *fact;	 /* what it answers: the evidence when it cannot */
	const char *fallback;	 /* what detection does without it */
	vendor_parse_fn parse;
};

/*
 * Runs the tool under root and parses its output. A missing tool is evidence; one that
 * fails, hangs or prints too much is evidence and a warning. 0 or -ENOMEM.
 */
int detect_tool_answer(struct detection *det, const char *root, const struct vendor_tool *t,
		       struct diag *d);

/* ---- the parsers ---- */

/*
 * The region in an SWP manager URL, https://agents[-NNN].workload.<region>.cloudone.
 * trendmicro.com[:port]/, into buf. 0; -ENOENT for a valid https URL whose host names no
 * region (legacy DSaaS, an on-premises manager); -EINVAL when url is not https://host
 * [:port]/ with a sane host; -ENAMETOOLONG when buf is too small.
 */
int detect_region_from_url(const char *url, char *buf, size_t len);

/*
 * `dsa_query -c GetAgentStatus` output: an index of field names ("AgentStatus.NN:
 * fieldName"), then value lines ("AgentStatus.fieldName: value"). Takes the manager URL
 * (dsmUrl) and from it the region or the legacy flag. source is the command line.
 */
int detect_parse_agent_status(struct detection *det, const char *source, const char *buf,
			      size_t len, struct diag *d);

/*
 * `sendCommand --get GetConfiguration` XML: the manager URLs (attribute dsmUrls) and the
 * agent's proxies. The XML schema is not published: a proxy is an attribute whose name
 * contains "proxy" (but no credential or bypass word) and whose value is host:port or a
 * proxy URL; credentials in it are dropped, never recorded. A PAC setting is a warning.
 * source is the command line.
 */
int detect_parse_get_configuration(struct detection *det, const char *source, const char *buf,
				   size_t len, struct diag *d);

/* A socket on one of the agent's ports, from /proc/net/tcp or /proc/net/tcp6. */
struct tcp_sock {
	const char *file; /* borrowed: the file name given to the parser */
	unsigned int line;
	int family; /* AF_INET, AF_INET6 */
	char local[INET6_ADDRSTRLEN], remote[INET6_ADDRSTRLEN];
	uint16_t lport, rport;
	uint8_t state;		  /* TCP_LISTEN, TCP_ESTABLISHED, ... (netinet/tcp.h) */
	bool local_lo, remote_lo; /* loopback addresses (v4-mapped ones too) */
};

/*
 * The listeners on the agent's ports, and every other socket on local port 4118, from
 * /proc/net/tcp{,6} text (the kernel's hex format, in this host's byte order) into v (at
 * most max; more is a warning). *ret_n is how many were kept. Always 0.
 */
int detect_parse_proc_net_tcp(const char *file, const char *buf, size_t len, struct tcp_sock *v,
			      size_t max, size_t *ret_n, struct diag *d);

/*
 * The Data Center Gateway's destination_allow_list.yaml: `destinations` (HostName, Port)
 * become vCenter (443) or Active Directory (389, 636) endpoints, `gateway_proxy` (a URL,
 * host:port, or HostName and Port) the proxy. file is the host path, without the root.
 */
int detect_parse_dcgw_allow_list(struct detection *det, const char *file, const char *buf,
				 size_t len, struct diag *d);

#endif
