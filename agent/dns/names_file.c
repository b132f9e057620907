/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The names store's state file (names_save/names_load in names.h): one line per address of
 * a name's last good answer, "fqdn address seen ttl", seen in wall-clock seconds. Written
 * atomically; read whole and checked line by line before the store (names_restore) takes
 * any of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/util/fileio.h"
#include "agent/dns/names_int.h"
#include "policies/fileread.h"

#define STATE_MAGIC "flowguard-names 1"
/* fqdn (253) + IPv6 text (45) + seen (20 digits) + TTL (10 digits) + 3 spaces + '\n'. */
#define STATE_LINE_MAX 384
/* A few hundred names x max_addresses; a file with more lines is not one we wrote. */
#define STATE_LINES_MAX 65536
#define STATE_BYTES_MAX ((size_t)STATE_LINE_MAX * (STATE_LINES_MAX + 1))
/* RFC 1035's limit on a name's text form. */
#define FQDN_MAX 253

static bool fqdn_valid(const char *s)
{
	size_t n = strlen(s);

	return n && n <= FQDN_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n;
}

/* Writes name i's last good addresses, while *lines stays within the bound. */
static void write_name(const struct names *ns, size_t name, FILE *f, uint64_t now, uint64_t wall_s,
		       size_t *lines)
{
	const struct name_state *st = names_get(ns, name);
	uint64_t age_ms, age_s, seen_s;
	char buf[64];
	size_t i;

	if (!names_answer_age(ns, name, now, &age_ms) || !fqdn_valid(st->fqdn))
		return;
	/* Rounded up: a name must never come back younger than it went. */
	age_s = age_ms / 1000 + !!(age_ms % 1000);
	seen_s = wall_s > age_s ? wall_s - age_s : 0;
	for (i = 0; i < st->n_addrs && *lines < STATE_LINES_MAX; i++) {
		if (!st->addrs[i].current || st->addrs[i].allowed_until_ms <= now)
			continue;
		fprintf(f, "%s %s %" PRIu64 " %" PRIu32 "\n", st->fqdn,
			rs_addr_format(&st->addrs[i].addr, buf, sizeof(buf)), seen_s, st->ttl_s);
		(*lines)++;
	}
}

struct save_args {
	const struct names *ns;
	uint64_t now, wall_s;
};

static int write_state(FILE *f, const void *data)
{
	const struct save_args *a = data;
	size_t i, lines = 0;

	fprintf(f, "%s\n", STATE_MAGIC);
	for (i = 0; i < names_count(a->ns); i++)
		write_name(a->ns, i, f, a->now, a->wall_s, &lines);
	return 0;
}

int names_save(const struct names *ns, const char *path, uint64_t now_ms, uint64_t wall_now_s)
{
	const struct save_args a = { ns, now_ms, wall_now_s };

	return file_replace(path, 0600, write_state, &a);
}

/* The whole file, NUL-terminated; a file too large to be ours is -EINVAL. */
static int read_file(const char *path, char **ret, size_t *ret_len)
{
	struct stat stb;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &stb) < 0)
		r = -errno;
	else if (!S_ISREG(stb.st_mode) || (uint64_t)stb.st_size > STATE_BYTES_MAX)
		r = -EINVAL;
	else
		r = file_read_bounded(fd, STATE_BYTES_MAX, 0, ret, ret_len);
	close(fd);
	return r == -EFBIG ? -EINVAL : r;
}

/* Splits line at single spaces into exactly n non-empty fields. */
static int split(char *line, char **f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		f[i] = line;
		line = strchr(line, ' ');
		if ((i + 1 < n) != !!line)
			return -EINVAL;
		if (line)
			*line++ = '\0';
		if (!*f[i])
			return -EINVAL;
	}
	return 0;
}

/* Decimal digits only: no sign, no spaces, no overflow. */
static int parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return 0;
}

/* "fqdn address seen ttl": 0, 1 for a name the plan does not have, or -EINVAL. */
static int parse_line(const struct names *ns, char *line, struct names_loaded *ret)
{
	uint64_t ttl;
	char *f[4];

	if (split(line, f, 4) < 0 || !fqdn_valid(f[0]) || strchr(f[1], '/'))
		return -EINVAL;
	if (rs_addr_parse(f[1], &ret->addr) < 0 || !names_addr_valid(&ret->addr))
		return -EINVAL;
	if (parse_u64(f[2], UINT64_MAX, &ret->seen_s) < 0 || parse_u64(f[3], UINT32_MAX, &ttl) < 0)
		return -EINVAL;
	ret->ttl_s = (uint32_t)ttl;
	return names_find(ns, f[0], &ret->name) ? 0 : 1;
}

/* Every line checked before anything is used: a damaged file changes nothing. */
static int parse_state(const struct names *ns, char *buf, size_t len, struct names_loaded **ret,
		       size_t *ret_n)
{
	size_t n_lines = 0, n = 0, i;
	char *line = buf, *end;
	struct names_loaded *v;
	int r = 0;

	if (!len || buf[len - 1] != '\n' || memchr(buf, '\0', len))
		return -EINVAL;
	for (i = 0; i < len; i++)
		n_lines += buf[i] == '\n';
	if (!n_lines || n_lines > STATE_LINES_MAX + 1)
		return -EINVAL;
	v = calloc(n_lines, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n_lines && r >= 0; i++, line = end + 1) {
		end = strchr(line, '\n');
		*end = '\0';
		if (end - line > STATE_LINE_MAX)
			r = -EINVAL;
		else if (i == 0)
			r = strcmp(line, STATE_MAGIC) ? -EINVAL : 0;
		else if ((r = parse_line(ns, line, &v[n])) == 0)
			n++;
	}
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int loaded_cmp(const void *x, const void *y)
{
	const struct names_loaded *a = x, *b = y;
	int c;

	if (a->name != b->name)
		return a->name < b->name ? -1 : 1;
	c = rs_addr_cmp(&a->addr, &b->addr);
	if (c)
		return c;
	/* The newest sighting of an address first. */
	return (a->seen_s < b->seen_s) - (a->seen_s > b->seen_s);
}

int names_load(struct names *ns, const char *path, uint64_t now_ms, uint64_t wall_now_s)
{
	struct names_loaded *v = NULL;
	size_t len = 0, n = 0, i, j;
	char *buf = NULL;
	int r;

	r = read_file(path, &buf, &len);
	if (r < 0)
		return r;
	r = parse_state(ns, buf, len, &v, &n);
	free(buf);
	if (r < 0)
		return r;
	qsort(v, n, sizeof(*v), loaded_cmp);
	for (i = 0; i < n && r == 0; i = j) {
		for (j = i + 1; j < n && v[j].name == v[i].name; j++)
			;
		r = names_restore(ns, v[i].name, &v[i], j - i, now_ms, wall_now_s);
	}
	free(v);
	return r;
}
