/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: names_load() on arbitrary bytes, then the store it leaves behind.
 * Besides memory errors it traps on broken promises: a damaged file changes nothing, and
 * whatever loads is sorted, capped and allowed for no longer than the bound.
 */
#include <errno.h>

#include "agent/dns/names.h"
#include "tests/fuzz/fuzz.h"

/* The wall clock the seed corpus is written around. */
#define WALL 1700000000ULL

static struct fqdn_binding bindings[] = {
	{ "a.example", "web_v4", "web_v6" },
	{ "b.example", "web_v4", "web_v6" },
	{ "www.example.com", "www_v4", "www_v6" },
	{ "api.example.net", "www_v4", "www_v6" },
};

static const struct names_opts opts = {
	.min_ttl_ms = 10000,
	.max_ttl_ms = 3600000,
	.grace_ms = 60000,
	.max_stale_ms = 86400000,
	.max_addresses = 4,
	.jitter_seed = 1,
};

static void check_name(const struct name_state *st, uint64_t now, bool damaged)
{
	/* Longest a loaded address may stay: the stale bound or TTL + 30 s (names.h). */
	uint64_t bound = now + opts.max_stale_ms + opts.max_ttl_ms + opts.grace_ms + 30000;
	size_t i;

	if (damaged && st->n_addrs)
		__builtin_trap();
	if (st->n_addrs > opts.max_addresses)
		__builtin_trap();
	for (i = 0; i < st->n_addrs; i++) {
		if (st->addrs[i].allowed_until_ms <= now || st->addrs[i].allowed_until_ms > bound)
			__builtin_trap();
		if (i && rs_addr_cmp(&st->addrs[i - 1].addr, &st->addrs[i].addr) >= 0)
			__builtin_trap();
	}
}

static void fill_all(const struct names *ns, uint64_t now)
{
	static const char *const sets[] = { "web_v4", "web_v6", "www_v4", "www_v6" };
	struct rs_set s = { 0 };
	size_t i, j;

	for (i = 0; i < 4; i++) {
		if (names_fill_set(ns, sets[i], now, &s) < 0)
			continue;
		for (j = 0; j < s.n_elems; j++)
			if (!s.elems[j].timeout_ms || !s.elems[j].comment)
				__builtin_trap();
	}
	for (j = 0; j < s.n_elems; j++)
		free(s.elems[j].comment);
	free(s.elems);
}

/* Early boot (the file is older than the clock) and a long-running clock. */
static void one_load(const char *path, uint64_t now)
{
	struct plan p = { .names = bindings, .n_names = 4 };
	struct names *ns = NULL;
	size_t i;
	int r;

	if (names_new(&p, &opts, &ns) < 0)
		return;
	r = names_load(ns, path, now, WALL);
	if (r < 0 && r != -EINVAL && r != -ENOMEM)
		__builtin_trap();
	for (i = 0; i < names_count(ns); i++)
		check_name(names_get(ns, i), now, r == -EINVAL);
	fill_all(ns, now);
	names_expire(ns, now + opts.max_stale_ms);
	names_free(ns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd;

	fd = fuzz_memfd(data, size, 0600, path, sizeof(path));
	if (fd < 0)
		return 0;
	one_load(path, 5000);
	one_load(path, 1000000000);
	close(fd);
	return 0;
}
