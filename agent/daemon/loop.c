/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The event loop: one poll() over the signalfd, the nf_tables monitor socket, the NFLOG
 * socket of blocked flows and the resolver's sockets. Its timeout is the nearest deadline
 * (a name due or expiring, a resolver retry, a pending restore or save, the watchdog, the
 * metrics file when it is on, a blocked flow's summary line, a status rewrite held back),
 * so an idle agent sleeps.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "agent/daemon/daemon_int.h"
#include "agent/util/clock.h"
#include "agent/util/log.h"
#include "agent/util/notify.h"

/* A deadline that is already due still sleeps this long, so a store that keeps a past
 * deadline cannot make the loop spin. */
#define MIN_SLEEP_MS 5

/* SIGHUP, SIGTERM, SIGINT and SIGUSR1 arrive through the signalfd, never as handlers. */
int loop_open(struct loop *l)
{
	sigset_t mask;

	*l = (struct loop){ .sigfd = -1 };
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	/* sd_notify and c-ares never need SIGPIPE; a closed peer is an error return. */
	signal(SIGPIPE, SIG_IGN);
	l->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	return l->sigfd < 0 ? -errno : 0;
}

void loop_close(struct loop *l)
{
	if (l->sigfd >= 0)
		close(l->sigfd);
	l->sigfd = -1;
}

void loop_watchdog_arm(struct loop *l)
{
	/* Pinging at half the period leaves the other half for a slow commit. */
	l->watchdog_ms = notify_watchdog_usec() / 2000;
	l->watchdog_due_ms = now_ms() + l->watchdog_ms;
}

/* Restores the whole table; a failure is retried (heal.c), the status follows either way. */
static void heal(struct daemon *dm, uint64_t now)
{
	heal_start(&dm->heal, now);
	if (sets_commit_all(&dm->sets, dm->cur.gen->plan, dm->cur.names, "restore") < 0)
		heal_failed(&dm->heal, now);
	state_changed(dm);
}

static void watchdog(struct daemon *dm, uint64_t now)
{
	char line[320];

	notify_watchdog();
	state_status_line(dm, line, sizeof(line));
	notify_status(line);
	dm->loop.watchdog_due_ms = now + dm->loop.watchdog_ms;
}

static void run_timers(struct daemon *dm)
{
	uint64_t now = now_ms();

	refresh_due(dm, now);
	if (dm->dns.due_ms <= now)
		dnshealth_flush(&dm->dns, dm->cur.names, now);
	if (dm->heal.due_ms <= now)
		heal(dm, now);
	if (dm->st.save_due_ms <= now)
		state_save_now(&dm->st, dm->cur.names);
	if (dm->tf.due_ms <= now)
		state_metrics_write(dm);
	if (events_next_deadline(&dm->ev) <= now)
		events_flush(&dm->ev, now);
	if (dm->st.status_due_ms <= now)
		state_status_due(dm);
	if (dm->loop.watchdog_ms && dm->loop.watchdog_due_ms <= now)
		watchdog(dm, now);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static int poll_timeout(const struct daemon *dm)
{
	uint64_t now = now_ms(), t;
	int res = resolver_timeout_ms(dm->cur.res);

	t = min_u64(names_next_deadline(dm->cur.names), dm->heal.due_ms);
	t = min_u64(t, dm->st.save_due_ms);
	t = min_u64(t, dm->tf.due_ms);
	t = min_u64(t, events_next_deadline(&dm->ev));
	t = min_u64(t, dm->st.status_due_ms);
	t = min_u64(t, dm->dns.due_ms);
	if (dm->loop.watchdog_ms)
		t = min_u64(t, dm->loop.watchdog_due_ms);
	if (t == NEVER && res < 0)
		return -1;
	t = t == NEVER ? NEVER : (t > now + MIN_SLEEP_MS ? t - now : MIN_SLEEP_MS);
	if (res >= 0)
		t = min_u64(t, (uint64_t)res);
	return t > INT_MAX ? INT_MAX : (int)t;
}

static void log_summary(struct daemon *dm)
{
	char line[320];

	state_status_line(dm, line, sizeof(line));
	log_info("%s", line);
	state_changed(dm);
}

static int on_signal(struct daemon *dm)
{
	struct signalfd_siginfo si;
	ssize_t n;

	for (;;) {
		n = read(dm->loop.sigfd, &si, sizeof(si));
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n != (ssize_t)sizeof(si))
			continue;
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_info("Stopping on signal %u; the table stays in place", si.ssi_signo);
			dm->loop.stop = true;
		} else if (si.ssi_signo == SIGHUP) {
			reload_run(dm);
		} else if (si.ssi_signo == SIGUSR1) {
			log_summary(dm);
		}
	}
}

/* Blocked flows are read into the store; the status file follows within a second. */
static void on_events(struct daemon *dm)
{
	if (events_read(&dm->ev, dm->cur.gen->plan, dm->cur.names))
		state_status_soon(&dm->st);
}

int loop_run(struct daemon *dm)
{
	struct pollfd pfd[3 + RESOLVER_MAX_FDS];
	size_t nres;
	int r;

	while (!dm->loop.stop) {
		run_timers(dm);
		pfd[0] = (struct pollfd){ .fd = dm->loop.sigfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = heal_fd(&dm->heal), .events = POLLIN };
		/* -1 while not listening: poll() skips it. */
		pfd[2] = (struct pollfd){ .fd = events_fd(&dm->ev), .events = POLLIN };
		nres = resolver_fds(dm->cur.res, pfd + 3, RESOLVER_MAX_FDS);
		r = poll(pfd, 3 + nres, poll_timeout(dm));
		if (r < 0 && errno != EINTR)
			return log_err(-errno, "poll failed: %m");
		if (r < 0)
			continue;
		if (pfd[1].revents)
			heal_read(&dm->heal);
		if (pfd[2].revents)
			on_events(dm);
		/* Also without ready sockets: it handles the resolver's own timeouts. */
		resolver_process(dm->cur.res, pfd + 3, nres);
		/* Last: a reload replaces the resolver whose fds are in pfd. */
		if (pfd[0].revents && (r = on_signal(dm)) < 0)
			return log_err(r, "Failed to read signals: %m");
	}
	return 0;
}
