/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running the vendor's query tools (dsa_query, sendCommand): a clean environment, stdin
 * from /dev/null, a deadline that kills the tool's whole process group, and a cap on what
 * it may print. What a tool that cannot answer means is evidence, not a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/detect/vendor.h"

/* How often a tool that closed its stdout is checked for having exited. */
#define TOOL_REAP_POLL_MS 10
/* Descriptors closed one by one in the tool's child when close_range() is missing. */
#define TOOL_FD_SCAN_MAX 65536
/* First output buffer: status and configuration output is a few KiB; it doubles from here. */
#define TOOL_OUT_START 16384

/* A clean environment: a tool must not see our variables, nor take a locale from them. */
static const char *const tool_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };

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

int detect_run_tool(const char *root, const char *path, const char *const argv[], char **ret,
		    size_t *ret_len)
{
	struct tool t = { 0 };
	char full[PATH_MAX];
	int r;

	r = detect_path(root, path, full, sizeof(full));
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

/* ---- what a tool said, or why it could not ------------------------------------------ */

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

/* Why a tool that ran gave no answer, for its evidence and warning. */
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

int detect_tool_answer(struct detection *det, const char *root, const struct vendor_tool *t,
		       struct diag *d)
{
	char cmd[128], why[128], note[384], *out = NULL;
	struct loc loc;
	size_t len = 0;
	int r;

	join_argv(t->argv, cmd, sizeof(cmd));
	r = detect_run_tool(root, t->argv[0], t->argv, &out, &len);
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
	return detect_evidence(det, t->fact, NULL, loc.file, note);
}
