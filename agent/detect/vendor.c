/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Vendor software on this host: the Deep Security Agent (manager URL, region, proxy), its
 * relay role and communication direction (from the sockets it listens on), and the Data
 * Center Gateway (its destination allow list). Paths, ports, output formats and the
 * confidence of each signal come from swp-flows.md section (d).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "agent/detect/vendor.h"
#include "policies/ynode.h"

/* A status line or XML attribute holds a field name and a URL; longer is garbage. */
#define LINE_MAX_LEN 1024
/* A garbage file would otherwise add a warning per line; the first few say enough. */
#define WARN_MAX 8
/* Manager and proxy URLs are short; this also bounds what a hostile tool makes us copy. */
#define URL_MAX 512
/* XML attribute names in GetConfiguration are short identifiers. */
#define ATTR_NAME_MAX 64
/*
 * The kernel lists listening sockets before all others, so this prefix holds every
 * listener even on a busy host (~25000 sockets); only later inbound sessions are cut.
 */
#define PROC_NET_TCP_MAX (4 * 1024 * 1024)
/* How often a tool that closed its stdout is checked for having exited. */
#define TOOL_REAP_POLL_MS 10
/* Descriptors closed one by one in the tool's child when close_range() is missing. */
#define TOOL_FD_SCAN_MAX 65536
/* First output buffer: status and configuration output is a few KiB; it doubles from here. */
#define TOOL_OUT_START 16384

#define DSA_CONTROL "/opt/ds_agent/dsa_control"
#define DSA_QUERY "/opt/ds_agent/dsa_query"
#define SEND_COMMAND "/opt/ds_agent/sendCommand"
#define AGENT_DATA_DIR "/var/opt/ds_agent"
#define RELAY_REPO "/var/opt/ds_agent/relay/www/dsa"
#define DCGW_CONF "/var/opt/c1ws-dcgateway/conf"

/* Where the text being parsed came from, for warnings and evidence. */
struct src {
	struct detection *det;
	const char *name; /* the host file or the command line, as the user knows it */
	struct diag *d;
	unsigned int n_warn;
};

struct cursor {
	const char *start, *p, *end;
	unsigned int line;
};

/* ---- small helpers ------------------------------------------------------------------ */

static __attribute__((format(printf, 3, 4))) void src_warn(struct src *s, unsigned int line,
							  const char *fmt, ...)
{
	struct loc loc = { s->name, line, line ? 1 : 0 };
	char msg[LINE_MAX_LEN];
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

/* Printable text: no NUL or control bytes (a tab and a trailing CR are fine). */
static bool printable(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\t' && !(c == '\r' && i == n - 1)) || c == 0x7f)
			return false;
	}
	return true;
}

/*
 * Copies the next line into buf without its line end and trailing blanks; false at the
 * end of the text. *ok is false (and buf empty) for a line too long or not printable.
 */
static bool next_line(struct cursor *c, char buf[static LINE_MAX_LEN], bool *ok)
{
	const char *nl;
	size_t n;

	if (c->p >= c->end)
		return false;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	n = (size_t)((nl ? nl : c->end) - c->p);
	c->line++;
	*ok = n < LINE_MAX_LEN && printable(c->p, n);
	if (!*ok)
		n = 0;
	memcpy(buf, c->p, n);
	while (n && (buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	c->p = nl ? nl + 1 : c->end;
	return true;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n, k;

	n = strlen(s);
	k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

static bool exists(const char *root, const char *path)
{
	char full[PATH_MAX];
	struct stat st;

	return det_path(root, path, full, sizeof(full)) == 0 && stat(full, &st) == 0;
}

/* "/opt/ds_agent/dsa_query -c GetAgentStatus": how evidence names a command. */
static void join_argv(const char *const argv[], char *buf, size_t len)
{
	size_t used = 0;
	int n;

	buf[0] = '\0';
	for (; *argv && used < len; argv++) {
		n = snprintf(buf + used, len - used, "%s%s", used ? " " : "", *argv);
		if (n < 0)
			return;
		used += (size_t)n;
	}
}

/* ---- running a vendor tool ---------------------------------------------------------- */

/* A clean environment: a tool must not see our variables, nor take a locale from them. */
static const char *const tool_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C",
					NULL };

struct tool {
	pid_t pid;
	int fd; /* read end of the tool's stdout */
	struct timespec deadline;
	char *out;
	size_t len, cap;
};

/* The child between fork() and execve(): async-signal-safe calls only. Never returns. */
static void tool_exec(const char *path, const char *const argv[], int out_fd, int null_fd)
{
	sigset_t none;
	int fd;

	setsid(); /* its own process group, so a timeout kills what it started too */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(null_fd, 2) < 0)
		_exit(127);
	if (close_range(3, ~0U, 0) < 0)
		for (fd = 3; fd < TOOL_FD_SCAN_MAX; fd++)
			close(fd);
	/* execve() takes char *const[]; it does not write through them. */
	execve(path, (char *const *)(uintptr_t)argv, (char *const *)(uintptr_t)tool_env);
	_exit(127);
}

static int tool_start(const char *path, const char *const argv[], struct tool *t)
{
	int p[2], null_fd, r;

	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		return -errno;
	if (pipe2(p, O_CLOEXEC) < 0) {
		close(null_fd);
		return -errno;
	}
	t->pid = fork();
	if (t->pid == 0)
		tool_exec(path, argv, p[1], null_fd);
	r = t->pid < 0 ? -errno : 0;
	close(p[1]);
	close(null_fd);
	if (r < 0) {
		close(p[0]);
		return r;
	}
	t->fd = p[0];
	clock_gettime(CLOCK_MONOTONIC, &t->deadline);
	t->deadline.tv_sec += DETECT_TOOL_TIMEOUT_MS / 1000;
	t->deadline.tv_nsec += (DETECT_TOOL_TIMEOUT_MS % 1000) * 1000000L;
	return 0;
}

/* Milliseconds left until the deadline; 0 once it has passed. */
static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

/*
 * Reads what is available into t->out (one byte stays free for the NUL): 1 for more, 0 at
 * end of file, or -errno.
 */
static int tool_read_some(struct tool *t)
{
	size_t cap;
	ssize_t n;
	char *p;

	if (t->len + 1 >= t->cap) {
		cap = t->cap ? t->cap * 2 : TOOL_OUT_START;
		p = realloc(t->out, cap);
		if (!p)
			return -ENOMEM;
		t->out = p;
		t->cap = cap;
	}
	n = read(t->fd, t->out + t->len, t->cap - t->len - 1);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -errno;
	t->len += (size_t)n;
	if (t->len > DETECT_MAX_FILE)
		return -EFBIG;
	return n > 0;
}

/* The tool's stdout until it closes it, within the deadline. */
static int tool_collect(struct tool *t)
{
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
	int left, n, r;

	for (;;) {
		left = ms_left(&t->deadline);
		if (!left)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		r = tool_read_some(t);
		if (r <= 0)
			return r;
	}
}

/* Waits (within the deadline) until the tool has exited, without reaping it yet. */
static int tool_exited(const struct tool *t)
{
	const struct timespec nap = { 0, TOOL_REAP_POLL_MS * 1000000L };
	siginfo_t si;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)t->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 &&
		    errno != EINTR)
			return -errno;
		if (si.si_pid == t->pid)
			return 0;
		if (!ms_left(&t->deadline))
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
}

/*
 * Kills what is left of the tool's process group (all of it on a timeout), reaps the tool
 * and turns its exit status into the result: r, or -EIO for a non-zero exit.
 */
static int tool_finish(struct tool *t, int r)
{
	int status = 0;

	if (r == 0)
		r = tool_exited(t);
	/* The tool is a zombie or still running, so its pid and group id are still ours. */
	kill(-t->pid, SIGKILL);
	kill(t->pid, SIGKILL); /* in case it had not reached setsid() yet */
	while (waitpid(t->pid, &status, 0) < 0 && errno == EINTR)
		;
	close(t->fd);
	if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		r = -EIO;
	return r;
}

int det_run_tool(const char *root, const char *path, const char *const argv[], char **ret,
		 size_t *ret_len)
{
	struct tool t = { 0 };
	char full[PATH_MAX];
	int r;

	r = det_path(root, path, full, sizeof(full));
	if (r < 0)
		return r;
	if (access(full, F_OK) < 0)
		return -errno;
	r = tool_start(full, argv, &t);
	if (r < 0)
		return r;
	r = tool_finish(&t, tool_collect(&t));
	if (r < 0) {
		free(t.out);
		return r;
	}
	if (!t.out) {
		t.out = calloc(1, 1);
		if (!t.out)
			return -ENOMEM;
	}
	t.out[t.len] = '\0';
	*ret = t.out;
	*ret_len = t.len;
	return 0;
}

/* ---- manager URL and region --------------------------------------------------------- */

/*
 * https://host[:port][/...]: the only form the agent reports. e->text is the host (lower
 * case), e->is_addr says whether it is an address literal. -EINVAL for anything else,
 * including credentials in the URL (a manager URL never has them).
 */
static int parse_https_url(const char *url, struct endpoint *e)
{
	char auth[URL_MAX];
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
	if (endpoint_parse(auth, e, &why) < 0)
		return -EINVAL;
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

	if (!has_suffix(host, suffix) || strncmp(p, "agents", 6) != 0)
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

int region_from_url(const char *url, char *buf, size_t len)
{
	struct endpoint e;

	if (parse_https_url(url, &e) < 0)
		return -EINVAL;
	if (e.is_addr)
		return -ENOENT;
	return region_from_host(e.text, buf, len);
}

/* What the manager's host says: the region, the legacy service, or neither (and why). */
static int classify_manager(struct src *s, const char *url, const struct endpoint *e)
{
	char region[VENDOR_REGION_MAX + 1];

	if (!e->is_addr && has_suffix(e->text, ".deepsecurity.trendmicro.com")) {
		s->det->legacy_dsaas = true;
		return det_evidence(s->det, "legacy-dsaas", e->text, s->name,
				    "legacy Deep Security as a Service: its names are allowed; "
				    "the URL names no region, so set region: in the config");
	}
	if (region_from_url(url, region, sizeof(region)) == 0) {
		s->det->region = strdup(region);
		if (!s->det->region)
			return -ENOMEM;
		return det_evidence(s->det, "region", region, s->name,
				    "from the manager URL's host");
	}
	if (e->is_addr)
		return det_evidence(s->det, "region", NULL, s->name,
				    "the manager is an IP address (an on-premises Deep Security "
				    "Manager?), not an SWP region: set region: if it is SWP");
	return det_evidence(s->det, "region", NULL, s->name,
			    "the manager host is not agents[-NNN].workload.<region>.cloudone."
			    "trendmicro.com: set region: in the config");
}

/* The first valid manager URL found wins; a different later one is recorded as such. */
static int take_manager_url(struct src *s, unsigned int line, const char *url)
{
	struct endpoint e;
	int r;

	if (parse_https_url(url, &e) < 0) {
		/* Shown unless it may hold credentials; long ones are cut. */
		src_warn(s, line, "manager URL '%.*s' is not https://host[:port]/, ignoring", 128,
			 strchr(url, '@') ? "(not shown: it has an '@')" : url);
		return 0;
	}
	if (s->det->manager_url) {
		if (!strcmp(s->det->manager_url, url))
			return 0;
		return det_evidence(s->det, "manager-url", url, s->name,
				    "differs from the URL found first, which is used");
	}
	s->det->manager_url = strdup(url);
	if (!s->det->manager_url)
		return -ENOMEM;
	r = det_evidence(s->det, "manager-url", url, s->name, NULL);
	return r < 0 ? r : classify_manager(s, url, &e);
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
static int status_line(struct src *s, unsigned int no, char *line, struct status_seen *seen)
{
	char *key, *colon, *value;
	int r;

	if (!line[0])
		return 0;
	colon = strchr(line, ':');
	if (strncmp(line, "AgentStatus.", 12) != 0 || !colon || colon == line + 12) {
		src_warn(s, no, "not 'AgentStatus.field: value', ignoring");
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
		return det_evidence(s->det, "agent-state", value, s->name,
				    strcmp(value, "green") != 0 ? "the agent reports a problem"
								: NULL);
	if (strcmp(key, "dsmUrl") != 0 || !value[0])
		return 0;
	if (seen->found) {
		if (strcmp(s->det->manager_url, value) != 0)
			src_warn(s, no, "a second, different dsmUrl, ignoring");
		return 0;
	}
	r = take_manager_url(s, no, value);
	seen->found = s->det->manager_url != NULL; /* a bad URL does not hide a later one */
	return r;
}

int parse_agent_status(struct detection *det, const char *source, const char *buf, size_t len,
		       struct diag *d)
{
	struct src s = { det, source, d, 0 };
	struct cursor c = { buf, buf, buf + len, 0 };
	struct status_seen seen = { false, false };
	char line[LINE_MAX_LEN];
	bool ok;
	int r = 0;

	while (r == 0 && next_line(&c, line, &ok)) {
		if (ok)
			r = status_line(&s, c.line, line, &seen);
		else
			src_warn(&s, c.line, "line too long or not text, ignoring");
	}
	if (r == 0 && !seen.found)
		r = det_evidence(det, "manager-url", NULL, source,
				 seen.listed ? "the index lists dsmUrl but no line gives its value "
					       "(agent not activated?)"
					     : "no AgentStatus.dsmUrl line (agent not activated?)");
	return r;
}

/* ---- proxies ------------------------------------------------------------------------ */

/* Schemes a proxy setting may carry: dsa_control's own, and those the console offers. */
static const char *const proxy_schemes[] = { "http", "https", "socks4", "socks4a", "socks5",
					     "socks5h", "dsm_proxy", "relay_proxy", NULL };

static bool proxy_scheme(const char *s, size_t n)
{
	size_t i;

	for (i = 0; proxy_schemes[i]; i++)
		if (strlen(proxy_schemes[i]) == n && !strncasecmp(s, proxy_schemes[i], n))
			return true;
	return false;
}

/*
 * "[scheme://][user:pw@]host:port[/]" into "host:port" (IPv6 bracketed). Credentials are
 * dropped: they must never reach evidence or warnings. -EINVAL without a port.
 */
static int proxy_hostport(const char *value, char *buf, size_t len)
{
	char auth[URL_MAX];
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
	if (endpoint_parse(auth, &e, &why) < 0 || !e.port)
		return -EINVAL;
	n = (size_t)snprintf(buf, len, strchr(e.text, ':') ? "[%s]:%u" : "%s:%u", e.text, e.port);
	return n < len ? 0 : -EINVAL;
}

/* ---- sendCommand --get GetConfiguration --------------------------------------------- */

struct attr {
	char name[ATTR_NAME_MAX];
	char value[LINE_MAX_LEN];
	unsigned int line;
};

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == ':';
}

/* The attribute name that ends just before c->p (at '='); false if there is none. */
static bool attr_name(const struct cursor *c, struct attr *a)
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
static bool attr_value(struct cursor *c, struct src *s, struct attr *a)
{
	const char q = c->p[1], *v = c->p + 2, *e = v;
	size_t n;

	while (e < c->end && *e != q && *e != '\n')
		e++;
	n = (size_t)(e - v);
	if (e >= c->end || *e != q || n >= LINE_MAX_LEN || !printable(v, n)) {
		src_warn(s, c->line, "attribute '%s': value unterminated, too long or not text, "
			 "ignoring", a->name);
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
static bool next_attr(struct cursor *c, struct src *s, struct attr *a)
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
static const char *const proxy_not_address[] = { "user", "pass", "pwd", "cred", "auth",
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
static int config_proxy(struct src *s, const struct attr *a, unsigned int *n_proxies)
{
	char hostport[300], where[ATTR_NAME_MAX + 128];

	if (!strchr(a->value, ':'))
		return 0; /* "true", "", a host without a port: not an address to allow */
	if (name_word(a->name, "pac") || has_suffix(a->value, ".pac") ||
	    has_suffix(a->value, "wpad.dat")) {
		src_warn(s, a->line, "attribute '%s': a PAC file cannot be turned into addresses; "
			 "set proxy: in the config", a->name);
		return 0;
	}
	if (proxy_hostport(a->value, hostport, sizeof(hostport)) < 0) {
		src_warn(s, a->line, "attribute '%s' is not host:port or a proxy URL, ignoring",
			 a->name);
		return 0;
	}
	(*n_proxies)++;
	snprintf(where, sizeof(where), "%s, attribute %s", s->name, a->name);
	return det_endpoint(s->det, FACT_PROXY, hostport, where, 0, s->d);
}

/* dsmUrls='https://...:443/': one URL, or several separated by blanks, commas or ';'. */
static int config_urls(struct src *s, struct attr *a)
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

static int config_attr(struct src *s, struct attr *a, struct config_seen *seen)
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

int parse_get_configuration(struct detection *det, const char *source, const char *buf,
			    size_t len, struct diag *d)
{
	struct src s = { det, source, d, 0 };
	struct cursor c = { buf, buf, buf + len, 1 };
	struct config_seen seen = { 0, 0, 0 };
	struct attr a;
	int r = 0;

	while (r == 0 && next_attr(&c, &s, &a))
		r = config_attr(&s, &a, &seen);
	if (r < 0)
		return r;
	if (!seen.n_attrs)
		src_warn(&s, 0, "no name='value' attributes: not the GetConfiguration XML, "
			 "ignoring");
	if (!seen.n_urls)
		r = det_evidence(det, "manager-url", NULL, source, "no dsmUrls attribute");
	if (r == 0 && !seen.n_proxies)
		r = det_evidence(det, "proxy", NULL, source,
				 "no proxy attribute in the agent's runtime configuration (its "
				 "on-disk proxy store is undocumented and not read): set proxy: "
				 "in the config if the agent uses one");
	return r;
}

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
static const char *addr_port(const char *p, int family, uint8_t addr[static 16],
			     uint16_t *port)
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

static void tcp_keep(struct src *s, unsigned int no, const char *line, struct tcp_out *o)
{
	struct tcp_sock t = { .file = s->name, .line = no };

	if (tcp_line(line, &t) < 0) {
		src_warn(s, no, "not a socket line ('sl: local remote st ...'), ignoring");
		return;
	}
	if (!tcp_wanted(&t))
		return;
	if (o->n == o->max) {
		if (!o->dropped++)
			src_warn(s, no, "more than %zu sockets on the agent's ports; the rest are "
				 "not looked at", o->max);
		return;
	}
	o->v[o->n++] = t;
}

int parse_proc_net_tcp(const char *file, const char *buf, size_t len, struct tcp_sock *v,
		       size_t max, size_t *ret_n, struct diag *d)
{
	struct src s = { NULL, file, d, 0 };
	struct cursor c = { buf, buf, buf + len, 0 };
	struct tcp_out o = { v, 0, max, 0 };
	char line[LINE_MAX_LEN];
	bool ok;

	while (next_line(&c, line, &ok)) {
		if (!ok)
			src_warn(&s, c.line, "line too long or not text, ignoring");
		else if (c.line == 1 && strstr(line, "local_address"))
			continue; /* the header */
		else if (line[0])
			tcp_keep(&s, c.line, line, &o);
	}
	*ret_n = o.n;
	return 0;
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
		if (!exists(root, p->path))
			continue;
		r = det_evidence(det, "ds_agent", p->what, p->path, NULL);
		if (r < 0)
			return r;
		if (p->installed && !*ret_path)
			*ret_path = p->path;
		*ret_data |= !p->installed;
	}
	return 0;
}

typedef int (*vendor_parse_fn)(struct detection *det, const char *source, const char *buf,
			       size_t len, struct diag *d);

struct agent_tool {
	const char *const *argv;
	const char *fact;     /* what it answers: the evidence when it cannot */
	const char *fallback; /* what detection does without it */
	vendor_parse_fn parse;
};

static const char *const status_argv[] = { DSA_QUERY, "-c", "GetAgentStatus", NULL };
static const char *const config_argv[] = { SEND_COMMAND, "--get", "GetConfiguration", NULL };
static const struct agent_tool agent_tools[] = {
	{ status_argv, "manager-url",
	  "manager URL and region from GetConfiguration, else from the config (region:)",
	  parse_agent_status },
	{ config_argv, "proxy",
	  "the agent's proxy is unknown: set proxy: in the config if it uses one",
	  parse_get_configuration },
};

static void tool_error(int r, char *buf, size_t len)
{
	if (r == -ETIMEDOUT)
		snprintf(buf, len, "gave no answer within %d ms and was killed",
			 DETECT_TOOL_TIMEOUT_MS);
	else if (r == -EIO)
		snprintf(buf, len, "failed (non-zero exit)");
	else if (r == -EFBIG)
		snprintf(buf, len, "printed more than %d bytes", DETECT_MAX_FILE);
	else
		snprintf(buf, len, "could not run: %s", strerror(-r));
}

/* Runs one tool and parses its output; a missing or failing tool is evidence and a warning. */
static int agent_tool(struct detection *det, const char *root, const struct agent_tool *t,
		      struct diag *d)
{
	char cmd[128], why[128], note[384], *out = NULL;
	struct loc loc;
	size_t len = 0;
	int r;

	join_argv(t->argv, cmd, sizeof(cmd));
	r = det_run_tool(root, t->argv[0], t->argv, &out, &len);
	if (r == 0) {
		r = t->parse(det, cmd, out, len, d);
		free(out);
		return r;
	}
	if (r == -ENOMEM)
		return r;
	if (r == -ENOENT)
		snprintf(why, sizeof(why), "not installed");
	else
		tool_error(r, why, sizeof(why));
	snprintf(note, sizeof(note), "%s; %s", why, t->fallback);
	loc = (struct loc){ r == -ENOENT ? t->argv[0] : cmd, 0, 0 };
	if (r != -ENOENT)
		diag_warn(d, &loc, "%s", note);
	return det_evidence(det, t->fact, NULL, loc.file, note);
}

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
		return det_evidence(det, "role agent", NULL, "/opt/ds_agent, ds_agent service",
				    data ? "only the data directory, which an uninstall leaves "
					   "behind: not enough for the role"
					 : "no Deep Security Agent files or service");
	r = det_role(det, ROLE_AGENT, "Deep Security Agent installed", installed);
	for (i = 0; r == 0 && i < sizeof(agent_tools) / sizeof(agent_tools[0]); i++)
		r = agent_tool(det, root, &agent_tools[i], d);
	return r;
}

/* ---- detect_relay: relay role and communication direction from the sockets ---------- */

/* Up to max bytes of root/path, NUL-terminated; a longer file is cut there. */
static int read_prefix(const char *root, const char *path, size_t max, char **ret,
		       size_t *ret_len)
{
	char full[PATH_MAX], *buf;
	size_t len = 0;
	ssize_t n = 0;
	int fd, r = 0;

	if (det_path(root, path, full, sizeof(full)) < 0)
		return -ENAMETOOLONG;
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	buf = malloc(max + 1); /* large but backed lazily: only what is read costs memory */
	while (buf && len < max) {
		n = read(fd, buf + len, max - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	r = !buf ? -ENOMEM : n < 0 ? -errno : 0;
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
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
	nl = len == PROC_NET_TCP_MAX ? memrchr(buf, '\n', len) : NULL;
	if (nl)
		len = (size_t)(nl + 1 - buf); /* cut: drop the partial last line */
	parse_proc_net_tcp(file, buf, len, sc->v + sc->n, DETECT_MAX_ITEMS - sc->n, &n, d);
	free(buf);
	sc->n += n;
	sc->files_read++;
	if (!nl)
		return 0;
	return det_evidence(det, "listeners", "cut", file,
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
	bool repo;         /* medium: a populated relay repository */
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
	return det_evidence(det, "relay", value, source, note);
}

static int relay_repo(struct detection *det, const char *root, struct relay_signs *rs)
{
	char full[PATH_MAX], value[64];
	struct dirent *de;
	size_t n = 0;
	DIR *dir = NULL;

	if (det_path(root, RELAY_REPO, full, sizeof(full)) == 0)
		dir = opendir(full);
	if (!dir)
		return det_evidence(det, "relay", NULL, RELAY_REPO, "no relay repository");
	while ((de = readdir(dir)))
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(dir);
	if (!n)
		return det_evidence(det, "relay", "empty", RELAY_REPO,
				    "not counted: the relay repository is empty");
	rs->repo = true;
	snprintf(value, sizeof(value), "%zu entries", n);
	return det_evidence(det, "relay", value, RELAY_REPO,
			    "medium: a populated relay repository");
}

/* A relay needs the strong sign, or both medium ones (swp-flows.md (d) ranks them). */
static int relay_decide(struct detection *det, const struct relay_signs *rs)
{
	unsigned int medium = (unsigned int)rs->relay_local + (unsigned int)rs->repo;

	if (rs->relay_public)
		return det_role(det, ROLE_RELAY, "4122 open to other hosts", "/proc/net/tcp{,6}");
	if (medium == 2)
		return det_role(det, ROLE_RELAY, "4123 listener and a populated repository",
				"/proc/net/tcp{,6}, " RELAY_REPO);
	return det_evidence(det, "role relay", NULL, "/proc/net/tcp{,6}, " RELAY_REPO,
			    medium ? "one medium sign is not enough: a relay needs 4122 open to "
				     "other hosts, or 4123 and a populated repository; set roles: "
				     "if it is one"
				   : "no relay listener or repository");
}

struct comm_signs {
	bool listen_public; /* 4118 listening beyond loopback */
	bool listen_lo;     /* 4118 listening on loopback */
	bool inbound;       /* a session from a remote host on local port 4118 */
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
	return det_evidence(det, "communication", value, source, note);
}

static int comm_decide(struct detection *det, const struct comm_signs *cs)
{
	static const char source[] = "/proc/net/tcp{,6}";

	if (cs->listen_public && cs->inbound) {
		det->comm_known = true;
		det->comm = COMM_BIDIRECTIONAL;
		return det_evidence(det, "communication", "bidirectional", source,
				    "manager-initiated or bidirectional (both need inbound 4118; "
				    "they cannot be told apart locally): the port is open and a "
				    "remote host used it");
	}
	if (cs->listen_lo && !cs->listen_public) {
		det->comm_known = true;
		det->comm = COMM_AGENT_INITIATED;
		return det_evidence(det, "communication", "agent-initiated", source,
				    "the agent listens on loopback only: the manager cannot "
				    "connect in");
	}
	return det_evidence(det, "communication", NULL, source,
			    cs->listen_public ? "4118 is open but no inbound session was seen: "
						"left to the config (communication:)"
					      : "no listener on 4118 (agent not running?): left to "
						"the config (communication:)");
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
		r = det_evidence(det, "listeners", NULL, "/proc/net/tcp{,6}",
				 "not readable: no relay or communication evidence from sockets");
	if (r == 0)
		r = rank_sockets(det, root, &sc);
	free(sc.v);
	return r;
}

/* ---- detect_dcgw -------------------------------------------------------------------- */

static const char *const dcgw_units[] = {
	"/etc/systemd/system/c1ws-dcgw.service",
	"/lib/systemd/system/c1ws-dcgw.service",
	"/usr/lib/systemd/system/c1ws-dcgw.service",
	NULL,
};
/* The vendor's page spells the file both ways (swp-flows.md (d)); the right one wins. */
static const char *const dcgw_lists[] = {
	DCGW_CONF "/destination_allow_list.yaml",
	DCGW_CONF "/destiantion_allow_list.yaml",
	NULL,
};

/*
 * The YAML loader and its typed getters report errors; in a host file they are warnings
 * (detection goes on), so the messages move to d as warnings.
 */
static void warn_instead(const struct diag *from, struct diag *to)
{
	static const char *const levels[] = { ": error: ", ": warning: " };
	const char *text, *sep;
	char *where;
	size_t i, k;

	for (i = 0; i < from->n; i++) {
		text = from->msgs[i].text;
		sep = NULL;
		for (k = 0; k < 2 && !sep; k++)
			sep = strstr(text, levels[k]);
		where = sep ? strndup(text, (size_t)(sep - text)) : NULL;
		if (where) /* "file:line:col" as the location, the message after the level */
			diag_add(to, DIAG_WARNING, &(struct loc){ where, 0, 0 }, "%s",
				 sep + strlen(levels[k - 1]));
		else
			diag_add(to, DIAG_WARNING, NULL, "%s", text);
		free(where);
	}
	to->oom |= from->oom;
}

/* "", or a plain ~ or null: YAML's ways to write "none". */
static bool yaml_null(const struct ynode *n)
{
	if (n->type != YN_SCALAR)
		return false;
	return !n->value[0] || (n->plain && (!strcmp(n->value, "~") || !strcmp(n->value, "null")));
}

/* 443 is vCenter, 389 and 636 Active Directory (the vendor's table, rows 28-30). */
static int dcgw_fact(uint64_t port, enum host_fact *ret)
{
	if (port == 443)
		*ret = FACT_VCENTER;
	else if (port == 389 || port == 636)
		*ret = FACT_AD;
	else
		return -EINVAL;
	return 0;
}

/* One `destinations` item: HostName and Port, and maybe a Proxy of its own. */
static int dcgw_destination(struct detection *det, const struct ynode *item, struct diag *yd)
{
	const struct ynode *host, *port, *proxy;
	enum host_fact fact;
	uint64_t p;

	if (ynode_expect(item, YN_MAP, "a destination", yd) < 0)
		return 0;
	host = ymap_get(item, "HostName");
	port = ymap_get(item, "Port");
	proxy = ymap_get(item, "Proxy");
	if (!host || !port) {
		diag_err(yd, &item->loc, "a destination needs HostName and Port, ignoring it");
		return 0;
	}
	if (ynode_expect(host, YN_SCALAR, "HostName", yd) < 0 ||
	    ynode_uint(port, "Port", 1, 65535, &p, yd) < 0)
		return 0;
	if (dcgw_fact(p, &fact) < 0) {
		diag_err(yd, &port->loc, "port %u of '%s' is neither vCenter (443) nor Active "
			 "Directory (389, 636): not allowed; add an allow: entry", (unsigned)p,
			 host->value);
		return 0;
	}
	if (proxy && !yaml_null(proxy)) {
		diag_err(yd, &proxy->loc, "'%s' is reached through its own proxy: not allowed "
			 "directly; add an allow: entry for that proxy", host->value);
		return 0;
	}
	return det_endpoint(det, fact, host->value, item->loc.file, host->loc.line, yd);
}

/* gateway_proxy: a URL or host:port, or a mapping with HostName and Port. */
static int dcgw_proxy(struct detection *det, const struct ynode *n, struct diag *yd)
{
	const struct ynode *host, *port;
	char hostport[300];
	uint64_t p;

	if (yaml_null(n))
		return 0;
	if (n->type == YN_MAP) {
		host = ymap_get(n, "HostName");
		port = ymap_get(n, "Port");
		if (!host || !port || ynode_expect(host, YN_SCALAR, "HostName", yd) < 0 ||
		    ynode_uint(port, "Port", 1, 65535, &p, yd) < 0) {
			diag_err(yd, &n->loc, "gateway_proxy needs HostName and Port, ignoring it");
			return 0;
		}
		snprintf(hostport, sizeof(hostport), strchr(host->value, ':') ? "[%s]:%u" : "%s:%u",
			 host->value, (unsigned)p);
	} else if (n->type != YN_SCALAR ||
		   proxy_hostport(n->value, hostport, sizeof(hostport)) < 0) {
		/* The value is not echoed: a proxy URL may carry a password. */
		diag_err(yd, &n->loc, "gateway_proxy is not host:port or a proxy URL, ignoring it");
		return 0;
	}
	return det_endpoint(det, FACT_PROXY, hostport, n->loc.file, n->loc.line, yd);
}

static int dcgw_doc(struct detection *det, const struct ydoc *doc, struct diag *yd)
{
	const struct ynode *root = doc->root, *dests, *proxy;
	struct loc loc = { doc->file, 0, 0 };
	size_t i;
	int r = 0;

	if (!root || ynode_expect(root, YN_MAP, "the allow list", yd) < 0) {
		diag_err(yd, &loc, "no destinations taken from it");
		return 0;
	}
	dests = ymap_get(root, "destinations");
	proxy = ymap_get(root, "gateway_proxy");
	if (!dests || yaml_null(dests))
		r = det_evidence(det, "vcenter", NULL, doc->file,
				 "the allow list has no destinations");
	else if (ynode_expect(dests, YN_SEQ, "destinations", yd) == 0)
		for (i = 0; r == 0 && i < dests->n; i++)
			r = dcgw_destination(det, dests->items[i], yd);
	if (r == 0 && proxy)
		r = dcgw_proxy(det, proxy, yd);
	return r;
}

int parse_dcgw_allow_list(struct detection *det, const char *file, const char *buf, size_t len,
			  struct diag *d)
{
	struct loc loc = { file, 0, 0 };
	struct diag yd = { 0 };
	struct ydoc *doc = NULL;
	int r;

	r = ydoc_parse(file, buf, len, &doc, &yd);
	if (r == 0)
		r = dcgw_doc(det, doc, &yd);
	else if (r != -ENOMEM)
		diag_err(&yd, &loc, "not read: no destinations taken from it");
	warn_instead(&yd, d);
	diag_clear(&yd);
	ydoc_free(doc);
	return r == -ENOMEM ? r : 0;
}

static const char *first_existing(const char *root, const char *const paths[])
{
	for (; *paths; paths++)
		if (exists(root, *paths))
			return *paths;
	return NULL;
}

static int dcgw_allow_list(struct detection *det, const char *root, bool role, struct diag *d)
{
	struct loc loc = { NULL, 0, 0 };
	char *buf;
	size_t len, i;
	int r = -ENOENT;

	for (i = 0; dcgw_lists[i] && r == -ENOENT; i++)
		r = det_read_file(root, dcgw_lists[i], &buf, &len, d);
	if (r == 0) {
		r = parse_dcgw_allow_list(det, dcgw_lists[i - 1], buf, len, d);
		free(buf);
		return r;
	}
	if (r == -ENOENT)
		return !role ? 0 : det_evidence(det, "vcenter", NULL, dcgw_lists[0],
					       "no allow list: no vCenter or Active Directory "
					       "destinations");
	loc.file = dcgw_lists[i - 1];
	if (r != -EFBIG && r != -ENOMEM) /* det_read_file() warned about the size itself */
		diag_warn(d, &loc, "cannot read: %s, ignoring", strerror(-r));
	return r == -ENOMEM ? r : 0;
}

int detect_dcgw(struct detection *det, const char *root, struct diag *d)
{
	const char *unit;
	int r;

	unit = first_existing(root, dcgw_units);
	if (unit)
		r = det_role(det, ROLE_DC_GATEWAY, "c1ws-dcgw service", unit);
	else
		r = det_evidence(det, "role dc-gateway", NULL, "c1ws-dcgw.service",
				 "no Data Center Gateway service unit");
	return r < 0 ? r : dcgw_allow_list(det, root, unit != NULL, d);
}
