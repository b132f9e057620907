/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nflogcat: the netns tests' driver for netlink/nflog.c. Binds one NFLOG group and prints
 * a line per logged packet until it has seen COUNT packets or SECONDS have passed:
 *
 *   nflogcat -g GROUP [-s SNAPLEN] [-n COUNT] [-t SECONDS]
 *
 *   ready                                  (once bound; stdout is flushed per line)
 *   prefix="flowguard drop egress: " proto=tcp src=10.77.0.1 dst=10.77.0.9 sport=40000
 *     dport=9999 icmp=-1 uid=0 len=60      (one line; uid=- without NFULA_UID)
 *
 * Exit 0; 1: usage; 2: nflog_open failed (stderr names the errno: "EBUSY"); 3: read error.
 * The last line on stderr is "packets=N lost=N".
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "netlink/nflog.h"

struct cat {
	unsigned long seen;
};

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	default:
		return "other";
	}
}

static void on_packet(void *data, const struct nflog_pkt *p)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], uid[16];
	struct cat *c = data;

	inet_ntop(p->saddr.family, p->saddr.addr, src, sizeof(src));
	inet_ntop(p->daddr.family, p->daddr.addr, dst, sizeof(dst));
	if (p->has_uid)
		snprintf(uid, sizeof(uid), "%u", p->uid);
	else
		snprintf(uid, sizeof(uid), "-");
	printf("prefix=\"%s\" proto=%s src=%s dst=%s sport=%u dport=%u icmp=%d uid=%s len=%u\n",
	       p->prefix, proto_name(p->l4proto), src, dst, p->sport, p->dport, p->icmp_type, uid,
	       p->len);
	fflush(stdout);
	c->seen++;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *errno_name(int e)
{
	switch (e) {
	case EBUSY:
		return "EBUSY";
	case EPERM:
		return "EPERM";
	default:
		return strerror(e);
	}
}

static int loop(struct nflog *nl, unsigned long count, long deadline, uint64_t *lost)
{
	struct pollfd pfd = { .fd = nflog_fd(nl), .events = POLLIN };
	struct cat c = { 0 };
	long left;
	int r;

	while (c.seen < count && (left = deadline - now_ms()) > 0) {
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		r = nflog_read(nl, on_packet, &c, lost);
		if (r < 0)
			return r;
	}
	fprintf(stderr, "packets=%lu lost=%llu\n", c.seen, (unsigned long long)*lost);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long group = 0, snaplen = 128, count = ~0UL, seconds = 10;
	bool have_group = false;
	struct nflog *nl;
	uint64_t lost = 0;
	int opt, r;

	while ((opt = getopt(argc, argv, "g:s:n:t:")) != -1) {
		switch (opt) {
		case 'g':
			group = strtoul(optarg, NULL, 10);
			have_group = true;
			break;
		case 's':
			snaplen = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 't':
			seconds = strtoul(optarg, NULL, 10);
			break;
		default:
			return 1;
		}
	}
	if (!have_group || group > 65535 || optind != argc)
		return 1;
	r = nflog_open((uint16_t)group, (uint32_t)snaplen, true, &nl);
	if (r < 0) {
		fprintf(stderr, "nflogcat: group %lu: %s\n", group, errno_name(-r));
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	r = loop(nl, count, now_ms() + (long)seconds * 1000, &lost);
	nflog_close(nl);
	if (r < 0) {
		fprintf(stderr, "nflogcat: read: %s\n", strerror(-r));
		return 3;
	}
	return 0;
}
