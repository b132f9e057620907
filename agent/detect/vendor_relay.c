/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The relay role and the agent's communication direction, from the sockets on the agent's
 * ports (/proc/net/tcp and tcp6) and the relay repository. A relay is an agent with the
 * relay feature on; the ranking of the signs comes from swp-flows.md section (d).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "agent/detect/vendor.h"
#include "policies/fileread.h"

/*
 * The kernel lists listening sockets before all others, so this prefix holds every
 * listener even on a busy host (~25000 sockets); only later inbound sessions are cut.
 */
#define PROC_NET_TCP_MAX (4 * 1024 * 1024)

#define RELAY_REPO "/var/opt/ds_agent/relay/www/dsa"

/* ---- /proc/net/tcp and tcp6 --------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Exactly n hex digits at p into *ret (n <= 8). */
static bool hex_n(const char *p, size_t n, uint32_t *ret)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (hexval(p[i]) < 0)
			return false;
		v = v << 4 | (uint32_t)hexval(p[i]);
	}
	*ret = v;
	return true;
}

/*
 * "0100007F:1F90" (v4) or 32 hex digits ":port" (v6). The kernel prints each 32-bit word
 * of the address as a number in this host's byte order, so copying the number back into
 * memory restores the address bytes. Returns the end of the field, or NULL.
 */
static const char *addr_port(const char *p, int family, uint8_t addr[static 16], uint16_t *port)
{
	size_t words = family == AF_INET ? 1 : 4, i;
	uint32_t w, v;

	for (i = 0; i < words; i++) {
		if (!hex_n(p + i * 8, 8, &w))
			return NULL;
		memcpy(addr + i * 4, &w, 4);
	}
	p += words * 8;
	if (*p != ':' || !hex_n(p + 1, 4, &v) || (p[5] != ' ' && p[5] != '\0'))
		return NULL;
	*port = (uint16_t)v;
	return p + 5;
}

static bool is_loopback(int family, const uint8_t a[static 16])
{
	static const uint8_t lo6[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (family == AF_INET)
		return a[0] == 127;
	return !memcmp(a, lo6, 16) || (!memcmp(a, mapped, 12) && a[12] == 127);
}

/* One socket line: "  0: 0100007F:1F90 00000000:0000 0A ...". -EINVAL if malformed. */
static int tcp_line(const char *line, struct tcp_sock *t)
{
	uint8_t local[16] = { 0 }, remote[16] = { 0 };
	const char *p;
	uint32_t st;
	int family;
	size_t n;

	p = line + strspn(line, " ");
	n = strspn(p, "0123456789");
	if (!n || p[n] != ':')
		return -EINVAL;
	p += n + 1;
	p += strspn(p, " ");
	/* The address length says the family: 8 hex digits for v4, 32 for v6. */
	family = strspn(p, "0123456789abcdefABCDEF") == 32 ? AF_INET6 : AF_INET;
	p = addr_port(p, family, local, &t->lport);
	if (p && *p == ' ')
		p = addr_port(p + 1, family, remote, &t->rport);
	if (!p || *p != ' ' || !hex_n(p + 1, 2, &st) || (p[3] != ' ' && p[3] != '\0'))
		return -EINVAL;
	t->family = family;
	t->state = (uint8_t)st;
	t->local_lo = is_loopback(family, local);
	t->remote_lo = is_loopback(family, remote);
	inet_ntop(family, local, t->local, sizeof(t->local));
	inet_ntop(family, remote, t->remote, sizeof(t->remote));
	return 0;
}

/* Listeners on the agent's ports, and sessions on 4118 (communication direction). */
static bool tcp_wanted(const struct tcp_sock *t)
{
	if (t->state == TCP_LISTEN)
		return t->lport == VENDOR_PORT_AGENT || t->lport == VENDOR_PORT_RELAY ||
		       t->lport == VENDOR_PORT_RELAY_LOCAL;
	return t->lport == VENDOR_PORT_AGENT;
}

struct tcp_out {
	struct tcp_sock *v;
	size_t n, max, dropped;
};

static void tcp_keep(struct vendor_src *s, unsigned int no, const char *line, struct tcp_out *o)
{
	struct tcp_sock t = { .file = s->name, .line = no };

	if (tcp_line(line, &t) < 0) {
		detect_src_warn(s, no, "not a socket line ('sl: local remote st ...'), ignoring");
		return;
	}
	if (!tcp_wanted(&t))
		return;
	if (o->n == o->max) {
		if (!o->dropped++)
			detect_src_warn(s, no,
					"more than %zu sockets on the agent's ports; the rest are "
					"not looked at",
					o->max);
		return;
	}
	o->v[o->n++] = t;
}

int detect_parse_proc_net_tcp(const char *file, const char *buf, size_t len, struct tcp_sock *v,
			      size_t max, size_t *ret_n, struct diag *d)
{
	struct vendor_src s = { NULL, file, d, 0 };
	struct vendor_cursor c = { buf, buf, buf + len, 0 };
	struct tcp_out o = { v, 0, max, 0 };
	char line[VENDOR_LINE_MAX];
	bool ok;

	while (detect_next_line(&c, line, &ok)) {
		if (!ok)
			detect_src_warn(&s, c.line, "line too long or not text, ignoring");
		else if (c.line == 1 && strstr(line, "local_address"))
			continue; /* the header */
		else if (line[0])
			tcp_keep(&s, c.line, line, &o);
	}
	*ret_n = o.n;
	return 0;
}

/* ---- detect_relay: relay role and communication direction from the sockets ---------- */

/* Up to max bytes of root/path, NUL-terminated: 0, 1 when the file was longer and is cut. */
static int read_prefix(const char *root, const char *path, size_t max, char **ret, size_t *ret_len)
{
	char full[PATH_MAX];
	int fd, r;

	if (detect_path(root, path, full, sizeof(full)) < 0)
		return -ENAMETOOLONG;
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = file_read_bounded(fd, max, FILE_READ_CUT, ret, ret_len);
	close(fd);
	return r;
}

static const char *const sock_files[] = { "/proc/net/tcp", "/proc/net/tcp6" };

struct sock_scan {
	struct tcp_sock *v;
	size_t n;
	unsigned int files_read;
};

/* One of the socket tables into sc; a missing one (no IPv6) is not a problem. */
static int read_sock_file(struct detection *det, const char *root, const char *file,
			  struct sock_scan *sc, struct diag *d)
{
	struct loc loc = { file, 0, 0 };
	char *buf = NULL, *nl;
	size_t len = 0, n;
	int r;

	r = read_prefix(root, file, PROC_NET_TCP_MAX, &buf, &len);
	if (r == -ENOENT || r == -ENOMEM)
		return r == -ENOMEM ? r : 0;
	if (r < 0) {
		diag_warn(d, &loc, "cannot read: %s, ignoring", strerror(-r));
		return 0;
	}
	nl = r == 1 && buf ? memrchr(buf, '\n', len) : NULL;
	if (nl)
		len = (size_t)(nl + 1 - buf); /* cut: drop the partial last line */
	detect_parse_proc_net_tcp(file, buf, len, sc->v + sc->n, DETECT_MAX_ITEMS - sc->n, &n, d);
	free(buf);
	sc->n += n;
	sc->files_read++;
	if (!nl)
		return 0;
	return detect_evidence(det, "listeners", "cut", file,
			       "a very long socket table was read in part: listeners come first, "
			       "so only later inbound sessions on 4118 may be missed");
}

/* "0.0.0.0:4122 listening" or "10.0.0.5:4118 from 34.205.5.10:51234". */
static void sock_text(const struct tcp_sock *t, char *buf, size_t len, char *src, size_t slen)
{
	const char *lb = t->family == AF_INET6 ? "[" : "", *rb = t->family == AF_INET6 ? "]" : "";

	if (t->state == TCP_LISTEN)
		snprintf(buf, len, "%s%s%s:%u listening", lb, t->local, rb, t->lport);
	else
		snprintf(buf, len, "%s%s%s:%u from %s%s%s:%u", lb, t->local, rb, t->lport, lb,
			 t->remote, rb, t->rport);
	snprintf(src, slen, "%s:%u", t->file, t->line);
}

struct relay_signs {
	bool relay_public; /* strong: 4122 listening beyond loopback */
	bool relay_local;  /* medium: 4123 listening */
	bool repo;	   /* medium: a populated relay repository */
};

static int relay_socket(struct detection *det, const struct tcp_sock *t, struct relay_signs *rs)
{
	char value[2 * INET6_ADDRSTRLEN + 48], source[64];
	const char *note;

	if (t->state != TCP_LISTEN)
		return 0;
	if (t->lport == VENDOR_PORT_RELAY && !t->local_lo) {
		rs->relay_public = true;
		note = "strong: the relay port, open to other hosts";
	} else if (t->lport == VENDOR_PORT_RELAY) {
		note = "weak, not counted: the relay port on loopback only";
	} else if (t->lport == VENDOR_PORT_RELAY_LOCAL) {
		rs->relay_local = true;
		note = "medium: the relay's local port (4123)";
	} else {
		return 0;
	}
	sock_text(t, value, sizeof(value), source, sizeof(source));
	return detect_evidence(det, "relay", value, source, note);
}

static int relay_repo(struct detection *det, const char *root, struct relay_signs *rs)
{
	char full[PATH_MAX], value[64];
	struct dirent *de;
	size_t n = 0;
	DIR *dir = NULL;

	if (detect_path(root, RELAY_REPO, full, sizeof(full)) == 0)
		dir = opendir(full);
	if (!dir)
		return detect_evidence(det, "relay", NULL, RELAY_REPO, "no relay repository");
	while ((de = readdir(dir)))
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(dir);
	if (!n)
		return detect_evidence(det, "relay", "empty", RELAY_REPO,
				       "not counted: the relay repository is empty");
	rs->repo = true;
	snprintf(value, sizeof(value), "%zu entries", n);
	return detect_evidence(det, "relay", value, RELAY_REPO,
			       "medium: a populated relay repository");
}

/* A relay needs the strong sign, or both medium ones (swp-flows.md (d) ranks them). */
static int relay_decide(struct detection *det, const struct relay_signs *rs)
{
	unsigned int medium = (unsigned int)rs->relay_local + (unsigned int)rs->repo;

	if (rs->relay_public)
		return detect_role(det, ROLE_RELAY, "4122 open to other hosts",
				   "/proc/net/tcp{,6}");
	if (medium == 2)
		return detect_role(det, ROLE_RELAY, "4123 listener and a populated repository",
				   "/proc/net/tcp{,6}, " RELAY_REPO);
	return detect_evidence(det, "role relay", NULL, "/proc/net/tcp{,6}, " RELAY_REPO,
			       medium ? "one medium sign is not enough: a relay needs 4122 open "
					"to other hosts, or 4123 and a populated repository; set "
					"roles: if it is one" :
					"no relay listener or repository");
}

struct comm_signs {
	bool listen_public; /* 4118 listening beyond loopback */
	bool listen_lo;	    /* 4118 listening on loopback */
	bool inbound;	    /* a session from a remote host on local port 4118 */
};

/*
 * Local port 4118 on a non-listening socket is an inbound session: 4118 is below the
 * kernel's ephemeral port range, so our own outgoing connections never use it.
 */
static int comm_socket(struct detection *det, const struct tcp_sock *t, struct comm_signs *cs)
{
	char value[2 * INET6_ADDRSTRLEN + 48], source[64];
	const char *note;

	if (t->lport != VENDOR_PORT_AGENT)
		return 0;
	if (t->state == TCP_LISTEN && !t->local_lo) {
		cs->listen_public = true;
		note = "medium: the agent's port is open to other hosts (manager-initiated needs "
		       "it, but an agent-initiated agent may listen there too)";
	} else if (t->state == TCP_LISTEN) {
		cs->listen_lo = true;
		note = "the agent's port on loopback only";
	} else if (!t->remote_lo && t->rport && !cs->inbound) {
		cs->inbound = true;
		note = "a remote host connected to the agent's port";
	} else {
		return 0;
	}
	sock_text(t, value, sizeof(value), source, sizeof(source));
	return detect_evidence(det, "communication", value, source, note);
}

static int comm_decide(struct detection *det, const struct comm_signs *cs)
{
	static const char source[] = "/proc/net/tcp{,6}";

	if (cs->listen_public && cs->inbound) {
		det->comm_known = true;
		det->comm = COMM_BIDIRECTIONAL;
		return detect_evidence(det, "communication", "bidirectional", source,
				       "manager-initiated or bidirectional (both need inbound "
				       "4118; they cannot be told apart locally): the port is "
				       "open and a remote host used it");
	}
	if (cs->listen_lo && !cs->listen_public) {
		det->comm_known = true;
		det->comm = COMM_AGENT_INITIATED;
		return detect_evidence(det, "communication", "agent-initiated", source,
				       "the agent listens on loopback only: the manager cannot "
				       "connect in");
	}
	return detect_evidence(det, "communication", NULL, source,
			       cs->listen_public ? "4118 is open but no inbound session was "
						   "seen: left to the config (communication:)" :
						   "no listener on 4118 (agent not running?): left "
						   "to the config (communication:)");
}

static int rank_sockets(struct detection *det, const char *root, const struct sock_scan *sc)
{
	struct relay_signs rs = { false, false, false };
	struct comm_signs cs = { false, false, false };
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < sc->n; i++) {
		r = relay_socket(det, &sc->v[i], &rs);
		if (r == 0)
			r = comm_socket(det, &sc->v[i], &cs);
	}
	if (r == 0)
		r = relay_repo(det, root, &rs);
	if (r == 0)
		r = relay_decide(det, &rs);
	if (r == 0 && sc->files_read)
		r = comm_decide(det, &cs);
	return r;
}

int detect_relay(struct detection *det, const char *root, struct diag *d)
{
	struct sock_scan sc = { NULL, 0, 0 };
	size_t i;
	int r = 0;

	if (!(det->roles & (1U << ROLE_AGENT)))
		return 0; /* a relay is an agent with the relay feature; detect_agent said why */
	sc.v = calloc(DETECT_MAX_ITEMS, sizeof(*sc.v));
	if (!sc.v)
		return -ENOMEM;
	for (i = 0; r == 0 && i < sizeof(sock_files) / sizeof(sock_files[0]); i++)
		r = read_sock_file(det, root, sock_files[i], &sc, d);
	if (r == 0 && !sc.files_read)
		r = detect_evidence(det, "listeners", NULL, "/proc/net/tcp{,6}",
				    "not readable: no relay or communication evidence from "
				    "sockets");
	if (r == 0)
		r = rank_sockets(det, root, &sc);
	free(sc.v);
	return r;
}
