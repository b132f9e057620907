/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TEMPORARY while resolver.c and names.c are written in parallel: weak fallbacks so the tree links. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "agent/names.h"
#include "agent/resolver.h"

struct resolver {
	int unused;
};

struct names {
	int unused;
};

__attribute__((weak)) int resolver_new(const struct resolver_opts *o, resolver_cb cb,
				       void *userdata, struct resolver **ret)
{
	(void)o, (void)cb, (void)userdata;
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}
__attribute__((weak)) void resolver_free(struct resolver *r)
{
	free(r);
}
__attribute__((weak)) int resolver_query(struct resolver *r, const char *fqdn)
{
	(void)r, (void)fqdn;
	return 0;
}
__attribute__((weak)) size_t resolver_fds(struct resolver *r, struct pollfd *pfd, size_t max)
{
	(void)r, (void)pfd, (void)max;
	return 0;
}
__attribute__((weak)) int resolver_timeout_ms(struct resolver *r)
{
	(void)r;
	return -1;
}
__attribute__((weak)) void resolver_process(struct resolver *r, const struct pollfd *pfd,
					    size_t n)
{
	(void)r, (void)pfd, (void)n;
}

__attribute__((weak)) int names_new(const struct plan *p, const struct names_opts *o,
				    struct names **ret)
{
	(void)p, (void)o;
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}
__attribute__((weak)) void names_free(struct names *ns)
{
	free(ns);
}
__attribute__((weak)) size_t names_due(struct names *ns, uint64_t now_ms, const char **ret,
				       size_t max)
{
	(void)ns, (void)now_ms, (void)ret, (void)max;
	return 0;
}
__attribute__((weak)) uint64_t names_next_deadline(const struct names *ns)
{
	(void)ns;
	return UINT64_MAX;
}
__attribute__((weak)) int names_answer(struct names *ns, const struct res_answer *a,
				       uint64_t now_ms, struct names_event *ev)
{
	(void)ns, (void)a, (void)now_ms, (void)ev;
	return -ENOENT;
}
__attribute__((weak)) size_t names_expire(struct names *ns, uint64_t now_ms)
{
	(void)ns, (void)now_ms;
	return 0;
}
__attribute__((weak)) int names_fill_set(const struct names *ns, const char *set,
					 uint64_t now_ms, struct rs_set *out)
{
	(void)ns, (void)set, (void)now_ms, (void)out;
	return 0;
}
__attribute__((weak)) size_t names_count(const struct names *ns)
{
	(void)ns;
	return 0;
}
__attribute__((weak)) const struct name_state *names_get(const struct names *ns, size_t i)
{
	(void)ns, (void)i;
	return NULL;
}
__attribute__((weak)) int names_save(const struct names *ns, const char *path, uint64_t now_ms,
				     uint64_t wall_now_s)
{
	(void)ns, (void)path, (void)now_ms, (void)wall_now_s;
	return 0;
}
__attribute__((weak)) int names_load(struct names *ns, const char *path, uint64_t now_ms,
				     uint64_t wall_now_s)
{
	(void)ns, (void)path, (void)now_ms, (void)wall_now_s;
	return -ENOENT;
}
