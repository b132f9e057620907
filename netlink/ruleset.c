/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ruleset IR: construction, ownership, addresses. Pure; no kernel access. */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ruleset.h"

/* Grows *arr so that it holds at least n + 1 items of size sz. */
static int grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	void *p;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	p = realloc(*arr, ncap * sz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

int rs_strset(char **dst, const char *src)
{
	char *s = NULL;

	if (src) {
		s = strdup(src);
		if (!s)
			return -ENOMEM;
	}
	free(*dst);
	*dst = s;
	return 0;
}

struct ruleset *ruleset_new(const char *table)
{
	struct ruleset *rs;

	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return NULL;
	if (rs_strset(&rs->table, table) < 0) {
		free(rs);
		return NULL;
	}
	return rs;
}

static void set_clear(struct rs_set *s)
{
	size_t i;

	for (i = 0; i < s->n_elems; i++)
		free(s->elems[i].comment);
	free(s->elems);
	free(s->name);
	free(s->comment);
	free(s->origin);
}

static void rule_clear(struct rs_rule *r)
{
	free(r->set);
	free(r->log_prefix);
	free(r->comment);
	free(r->origin);
}

static void chain_clear(struct rs_chain *c)
{
	size_t i;

	for (i = 0; i < c->n_rules; i++)
		rule_clear(&c->rules[i]);
	free(c->rules);
	free(c->name);
	free(c->comment);
}

void ruleset_free(struct ruleset *rs)
{
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < rs->n_sets; i++)
		set_clear(&rs->sets[i]);
	for (i = 0; i < rs->n_chains; i++)
		chain_clear(&rs->chains[i]);
	free(rs->sets);
	free(rs->chains);
	free(rs->table);
	free(rs->comment);
	free(rs);
}

struct rs_set *ruleset_add_set(struct ruleset *rs, const char *name, uint8_t family,
			       unsigned int flags)
{
	struct rs_set *s;

	if (grow((void **)&rs->sets, &rs->cap_sets, rs->n_sets, sizeof(*s)) < 0)
		return NULL;
	s = &rs->sets[rs->n_sets];
	memset(s, 0, sizeof(*s));
	if (rs_strset(&s->name, name) < 0)
		return NULL;
	s->family = family;
	s->flags = flags;
	rs->n_sets++;
	return s;
}

struct rs_chain *ruleset_add_chain(struct ruleset *rs, const char *name, enum rs_hook hook,
				   int priority, enum rs_verdict policy)
{
	struct rs_chain *c;

	if (grow((void **)&rs->chains, &rs->cap_chains, rs->n_chains, sizeof(*c)) < 0)
		return NULL;
	c = &rs->chains[rs->n_chains];
	memset(c, 0, sizeof(*c));
	if (rs_strset(&c->name, name) < 0)
		return NULL;
	c->hook = hook;
	c->priority = priority;
	c->policy = policy;
	rs->n_chains++;
	return c;
}

int rs_set_reserve(struct rs_set *set, size_t n)
{
	struct rs_elem *p;

	if (set->cap_elems - set->n_elems >= n)
		return 0;
	p = realloc(set->elems, (set->n_elems + n) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	set->elems = p;
	set->cap_elems = set->n_elems + n;
	return 0;
}

int rs_set_add_elem(struct rs_set *set, const struct rs_elem *elem)
{
	struct rs_elem *e;

	if (grow((void **)&set->elems, &set->cap_elems, set->n_elems, sizeof(*e)) < 0)
		return -ENOMEM;
	e = &set->elems[set->n_elems];
	*e = *elem;
	e->comment = NULL;
	if (rs_strset(&e->comment, elem->comment) < 0)
		return -ENOMEM;
	set->n_elems++;
	return 0;
}

struct rs_rule *rs_chain_add_rule(struct rs_chain *chain)
{
	struct rs_rule *r;

	if (grow((void **)&chain->rules, &chain->cap_rules, chain->n_rules, sizeof(*r)) < 0)
		return NULL;
	r = &chain->rules[chain->n_rules++];
	memset(r, 0, sizeof(*r));
	r->icmp_type = -1;
	r->icmp_code = -1;
	r->log_group = -1;
	r->queue_num = -1;
	return r;
}

struct rs_set *ruleset_find_set(const struct ruleset *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->n_sets; i++)
		if (!strcmp(rs->sets[i].name, name))
			return &rs->sets[i];
	return NULL;
}

struct rs_chain *ruleset_find_chain(const struct ruleset *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->n_chains; i++)
		if (!strcmp(rs->chains[i].name, name))
			return &rs->chains[i];
	return NULL;
}

/* -1, 0, 1 as memcmp() of 8 bytes: sorting 10,000 addresses calls it 130,000 times. */
static int cmp_be64(const uint8_t *a, const uint8_t *b)
{
	uint64_t x, y;

	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	x = be64toh(x);
	y = be64toh(y);
	return (x > y) - (x < y);
}

int rs_addr_cmp(const struct rs_addr *a, const struct rs_addr *b)
{
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = cmp_be64(a->addr, b->addr);
	if (!r)
		r = cmp_be64(a->addr + 8, b->addr + 8);
	if (r)
		return r;
	return (int)a->prefix - (int)b->prefix;
}

static int elem_cmp(const void *a, const void *b)
{
	return rs_addr_cmp(&((const struct rs_elem *)a)->addr, &((const struct rs_elem *)b)->addr);
}

static int index_cmp(const void *a, const void *b, void *elems)
{
	const struct rs_elem *e = elems;

	return rs_addr_cmp(&e[*(const uint32_t *)a].addr, &e[*(const uint32_t *)b].addr);
}

/*
 * Sorts the elements through an array of 4-byte indexes, then puts each element in its
 * place by following the permutation's cycles: qsort() of the 48-byte elements themselves
 * allocates a copy of the whole array (fresh pages) and moves each element log n times.
 */
static void sort_elems(struct rs_elem *elems, size_t n)
{
	uint32_t *idx = n <= UINT32_MAX ? malloc(n * sizeof(*idx)) : NULL;
	struct rs_elem tmp;
	size_t i, j, k;

	if (!idx) {
		qsort(elems, n, sizeof(*elems), elem_cmp);
		return;
	}
	for (i = 0; i < n; i++)
		idx[i] = (uint32_t)i;
	qsort_r(idx, n, sizeof(*idx), index_cmp, elems);
	/* Position j takes the element at idx[j]; a placed one gets idx[j] == j. */
	for (i = 0; i < n; i++) {
		if (idx[i] == i)
			continue;
		tmp = elems[i];
		for (j = i; idx[j] != i; j = k) {
			k = idx[j];
			elems[j] = elems[k];
			idx[j] = (uint32_t)j;
		}
		elems[j] = tmp;
		idx[j] = (uint32_t)j;
	}
	free(idx);
}

/* Strictly increasing: a copy of a sorted set, or a sorted dump, needs no sort. */
static bool set_sorted(const struct rs_set *set)
{
	size_t i;

	for (i = 1; i < set->n_elems; i++)
		if (rs_addr_cmp(&set->elems[i - 1].addr, &set->elems[i].addr) >= 0)
			return false;
	return true;
}

/*
 * A static hash set of this many elements or more gets a size. With one, the kernel keeps
 * the set in a hash table of fixed size (nft_hash) that it fills without locking or resizing;
 * without one, in a resizable table that grows by rehashing while the elements arrive: about
 * 4 ms of a 10,000-address commit here, for flowguard and `nft -f` alike. Smaller sets keep
 * nft's default and show no size line.
 */
#define RS_SET_SIZED_MIN 1024

/*
 * Twice the elements, rounded up to a power of two: a reload's in-place diff adds the new
 * elements before it deletes the old ones, and the kernel counts both until the commit, so
 * any change from one such set to another of the same size fits.
 */
void rs_set_fit_size(struct rs_set *set)
{
	uint32_t size = RS_SET_SIZED_MIN;

	set->size = 0;
	if (set->dynamic || set->flags || set->n_elems < RS_SET_SIZED_MIN ||
	    set->n_elems > UINT32_MAX / 4)
		return;
	while (size < 2 * set->n_elems)
		size *= 2;
	set->size = size;
}

void rs_set_sort(struct rs_set *set)
{
	size_t i, n = 0;

	if (!set->n_elems || set_sorted(set))
		return;
	sort_elems(set->elems, set->n_elems);
	for (i = 1; i < set->n_elems; i++) {
		if (!rs_addr_cmp(&set->elems[n].addr, &set->elems[i].addr)) {
			free(set->elems[i].comment);
			continue;
		}
		set->elems[++n] = set->elems[i];
	}
	set->n_elems = n + 1;
}

bool rs_set_has(const struct rs_set *set, const struct rs_addr *a)
{
	size_t lo = 0, hi = set->n_elems, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = rs_addr_cmp(&set->elems[mid].addr, a);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool rs_addr_covers(const struct rs_addr *a, const struct rs_addr *b)
{
	unsigned int full = a->prefix / 8, rest = a->prefix % 8;

	if (a->family != b->family || a->prefix > b->prefix)
		return false;
	if (memcmp(a->addr, b->addr, full))
		return false;
	return !rest || !((a->addr[full] ^ b->addr[full]) & (uint8_t)(0xff << (8 - rest)));
}

void rs_set_drop_covered(struct rs_set *set)
{
	size_t i, n = 0;

	rs_set_sort(set);
	for (i = 1; i < set->n_elems; i++) {
		if (rs_addr_covers(&set->elems[n].addr, &set->elems[i].addr)) {
			free(set->elems[i].comment);
			continue;
		}
		set->elems[++n] = set->elems[i];
	}
	if (set->n_elems)
		set->n_elems = n + 1;
}

/* Clears the host bits beyond a->prefix; returns true if any were set. */
static bool mask_host_bits(struct rs_addr *a)
{
	unsigned int len = a->family == AF_INET ? 4 : 16;
	bool dirty = false;
	unsigned int i;

	for (i = 0; i < len; i++) {
		unsigned int bits = a->prefix > i * 8 ? a->prefix - i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if (a->addr[i] & ~mask)
			dirty = true;
		a->addr[i] &= mask;
	}
	return dirty;
}

static int parse_prefix(const char *s, unsigned int max, uint8_t *ret)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max || (s[0] == '0' && s[1]))
		return -EINVAL;
	*ret = (uint8_t)v;
	return 0;
}

int rs_addr_parse(const char *s, struct rs_addr *ret)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct rs_addr a;
	char *slash;
	int r;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, buf, a.addr) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, buf, a.addr) == 1)
		a.family = AF_INET6;
	else
		return -EINVAL;
	a.prefix = a.family == AF_INET ? 32 : 128;
	if (slash) {
		r = parse_prefix(slash + 1, a.prefix, &a.prefix);
		if (r < 0)
			return r;
	}
	r = mask_host_bits(&a) ? -ERANGE : 0;
	*ret = a;
	return r;
}

/* Appends v (0-255) in decimal at p; returns the new end. */
static char *put_octet(char *p, unsigned int v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/*
 * IPv4 by hand: inet_ntop formats it through sprintf, which made formatting most of the
 * cost of loading a list of 10,000 addresses. The same text: "%u.%u.%u.%u".
 */
static void format_v4(const uint8_t *a, char *tmp)
{
	char *p = tmp;
	int i;

	for (i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = put_octet(p, a[i]);
	}
	*p = '\0';
}

const char *rs_addr_format(const struct rs_addr *a, char *buf, size_t len)
{
	unsigned int full = a->family == AF_INET ? 32 : 128;
	char tmp[INET6_ADDRSTRLEN];
	size_t n;

	if (a->family == AF_INET)
		format_v4(a->addr, tmp);
	else if (!inet_ntop(a->family, a->addr, tmp, sizeof(tmp)))
		snprintf(tmp, sizeof(tmp), "?");
	if (a->prefix != full) {
		snprintf(buf, len, "%s/%u", tmp, a->prefix);
		return buf;
	}
	n = strnlen(tmp, len - 1); /* snprintf's truncation, without its cost per address */
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return buf;
}
