/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sd_notify's protocol without libsystemd (agent/util/notify.c): datagrams to a path and
 * to an abstract NOTIFY_SOCKET, silence without one, refusal of a malformed one, and
 * WATCHDOG_USEC / WATCHDOG_PID read as sd_watchdog_enabled(3) reads them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/util/notify.h"

/* A datagram socket bound at name ("@x": abstract); returns the fd. */
static int listener(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)),
			 0);
	return fd;
}

static void expect_datagram(int fd, const char *want)
{
	char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void test_path_and_abstract(void **state)
{
	char dir[] = "/tmp/fg-notify-XXXXXX", path[64], abstract[64];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify.sock", dir);
	fd = listener(path);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(notify_ready("agent de-1"), 0);
	expect_datagram(fd, "READY=1\nSTATUS=agent de-1");
	assert_int_equal(notify_watchdog(), 0);
	expect_datagram(fd, "WATCHDOG=1");
	close(fd);
	unlink(path);
	rmdir(dir);

	snprintf(abstract, sizeof(abstract), "@fg-notify-%d", (int)getpid());
	fd = listener(abstract);
	setenv("NOTIFY_SOCKET", abstract, 1);
	assert_int_equal(notify_stopping(), 0);
	expect_datagram(fd, "STOPPING=1\nSTATUS=stopping");
	close(fd);
	/* Nobody listens there any more: the error comes back, nothing else happens. */
	assert_true(notify_status("x") < 0);
}

static void test_no_or_bad_socket(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_ready(NULL), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_int_equal(notify_ready(NULL), 0);
	setenv("NOTIFY_SOCKET", "relative/notify.sock", 1);
	assert_int_equal(notify_ready(NULL), -EINVAL);
	setenv("NOTIFY_SOCKET", "@", 1);
	assert_int_equal(notify_ready(NULL), -EINVAL);
	unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog_usec(void **state)
{
	char pid[32];

	(void)state;
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	assert_int_equal(notify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "600000", 1);
	assert_int_equal(notify_watchdog_usec(), 600000);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(notify_watchdog_usec(), 600000);
	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(notify_watchdog_usec(), 0); /* meant for another process */
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "6s", 1);
	assert_int_equal(notify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "-1", 1);
	assert_int_equal(notify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_and_abstract),
		cmocka_unit_test(test_no_or_bad_socket),
		cmocka_unit_test(test_watchdog_usec),
	};

	return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
