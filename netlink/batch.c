/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IR -> libnftnl objects -> one contiguous nf_tables batch. Each message gets its own seq,
 * recorded with the IR object it came from; the last one before BATCH_END gets NLM_F_ACK.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "batch.h"
#include "expr.h"

/*
 * Free space guaranteed before each message: an element nest is closed once it passes
 * UINT16_MAX, so a message stays below 64 KiB plus one element and the headers.
 */
#define BATCH_MSG_ROOM (2 * 65536)
/* nft's set key datatypes (TYPE_IPADDR, TYPE_IP6ADDR) and its BYTEORDER_BIG_ENDIAN. */
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
#define NFT_BYTEORDER_BIG_ENDIAN 2

struct nl_batch *batch_new(uint32_t seq)
{
	struct nl_batch *b;

	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->seq_first = seq;
	b->seq_next = seq;
	b->set_id = 1;
	return b;
}

void batch_free(struct nl_batch *b)
{
	if (!b)
		return;
	free(b->buf);
	free(b->objs);
	free(b);
}

static int reserve(struct nl_batch *b)
{
	size_t ncap;
	char *p;

	if (b->cap - b->len < BATCH_MSG_ROOM) {
		ncap = b->cap ? b->cap * 2 : 4 * BATCH_MSG_ROOM;
		while (ncap - b->len < BATCH_MSG_ROOM)
			ncap *= 2;
		p = malloc(ncap);
		if (!p)
			return -ENOMEM;
		if (b->len)
			memcpy(p, b->buf, b->len);
		free(b->buf);
		b->buf = p;
		b->cap = ncap;
		b->zeroed = b->len;
	}
	/*
	 * Attribute padding is never written, so the room a message may use is zeroed first:
	 * no stale heap bytes are sent. Only that room, not the whole buffer: the buffer is
	 * mostly reused heap, and calloc() zeroed all 512 KiB of it for a 190 KiB batch of
	 * 10,000 elements, each first write to a page costly on these VMs.
	 */
	if (b->zeroed < b->len + BATCH_MSG_ROOM) {
		memset(b->buf + b->zeroed, 0, b->len + BATCH_MSG_ROOM - b->zeroed);
		b->zeroed = b->len + BATCH_MSG_ROOM;
	}
	return 0;
}

static int add_obj(struct nl_batch *b, const struct nl_batch_obj *o)
{
	struct nl_batch_obj *p;
	size_t ncap;

	if (b->n_objs == b->cap_objs) {
		ncap = b->cap_objs ? b->cap_objs * 2 : 32;
		p = realloc(b->objs, ncap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		b->objs = p;
		b->cap_objs = ncap;
	}
	b->objs[b->n_objs++] = *o;
	return 0;
}

/* Starts an nf_tables message for the inet family. */
static struct nlmsghdr *msg_start(struct nl_batch *b, uint16_t type, uint16_t flags)
{
	if (reserve(b) < 0)
		return NULL;
	return nftnl_nlmsg_build_hdr(b->buf + b->len, type, NFPROTO_INET, flags, b->seq_next++);
}

/* Commits the message to the buffer and records which object it is. */
static int msg_end(struct nl_batch *b, struct nlmsghdr *nlh, struct nl_batch_obj *o)
{
	o->seq = nlh->nlmsg_seq;
	o->type = nlh->nlmsg_type & 0xff;
	b->last = b->len;
	b->n_msgs++;
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	return add_obj(b, o);
}

void batch_obj_free(enum nl_obj_kind kind, void *obj)
{
	if (!obj)
		return;
	switch (kind) {
	case NL_OBJ_TABLE:
		nftnl_table_free(obj);
		break;
	case NL_OBJ_CHAIN:
		nftnl_chain_free(obj);
		break;
	case NL_OBJ_RULE:
		nftnl_rule_free(obj);
		break;
	case NL_OBJ_SET:
		nftnl_set_free(obj);
		break;
	}
}

/*
 * Every builder ends here: when fill (the object's setup) succeeded, one message of type
 * with obj's payload, recorded as o. obj is freed whatever happens. 0 or -errno.
 */
static int msg_put(struct nl_batch *b, uint16_t type, uint16_t flags, enum nl_obj_kind kind,
		   void *obj, int fill, struct nl_batch_obj *o)
{
	struct nlmsghdr *nlh = NULL;
	int r = fill;

	if (r == 0) {
		nlh = msg_start(b, type, flags);
		r = nlh ? 0 : -ENOMEM;
	}
	if (r == 0) {
		switch (kind) {
		case NL_OBJ_TABLE:
			nftnl_table_nlmsg_build_payload(nlh, obj);
			break;
		case NL_OBJ_CHAIN:
			nftnl_chain_nlmsg_build_payload(nlh, obj);
			break;
		case NL_OBJ_RULE:
			nftnl_rule_nlmsg_build_payload(nlh, obj);
			break;
		case NL_OBJ_SET:
			nftnl_set_nlmsg_build_payload(nlh, obj);
			break;
		}
		r = msg_end(b, nlh, o);
	}
	batch_obj_free(kind, obj);
	return r;
}

/* NFNL_MSG_BATCH_BEGIN / END: nfgenmsg with res_id = NFNL_SUBSYS_NFTABLES. */
static struct nlmsghdr *batch_marker(struct nl_batch *b, uint16_t type)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (reserve(b) < 0)
		return NULL;
	nlh = mnl_nlmsg_put_header(b->buf + b->len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = b->seq_next++;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(NFNL_SUBSYS_NFTABLES);
	return nlh;
}

int batch_begin(struct nl_batch *b, bool with_genid, uint32_t genid)
{
	struct nl_batch_obj o = { .kind = "batch", .name = "begin" };
	struct nlmsghdr *nlh;

	nlh = batch_marker(b, NFNL_MSG_BATCH_BEGIN);
	if (!nlh)
		return -ENOMEM;
	if (with_genid)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
	b->seq_first = nlh->nlmsg_seq;
	o.seq = nlh->nlmsg_seq;
	o.type = NFNL_MSG_BATCH_BEGIN;
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	return add_obj(b, &o);
}

/*
 * The kernel runs a batch inside our sendto() and answers every message that fails; an ACK
 * asked of the last message tells that it ran to the end. One answer to read instead of one
 * per message (each a poll() and a recvmsg(): a tenth of apply of the catalog's table).
 */
int batch_end(struct nl_batch *b)
{
	struct nlmsghdr *nlh;

	if (b->n_msgs) {
		nlh = (struct nlmsghdr *)(b->buf + b->last);
		nlh->nlmsg_flags |= NLM_F_ACK;
		b->seq_acked = nlh->nlmsg_seq;
	}
	nlh = batch_marker(b, NFNL_MSG_BATCH_END);
	if (!nlh)
		return -ENOMEM;
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	return 0;
}

/* A comment as nft's userdata TLV of the given type, copied out so any setter can take it. */
struct udata_blob {
	char data[EXPR_UDATA_MAX];
	uint32_t len;
};

static int comment_blob(uint8_t type, const char *comment, struct udata_blob *ret)
{
	struct nftnl_udata_buf *ud;

	ud = expr_udata_comment(type, comment);
	if (!ud)
		return -ENOMEM;
	ret->len = nftnl_udata_buf_len(ud);
	memcpy(ret->data, nftnl_udata_buf_data(ud), ret->len);
	nftnl_udata_buf_free(ud);
	return 0;
}

/* table inet NAME { flags ...; comment "..." } / delete table inet NAME */
static int table_fill(struct nftnl_table *t, uint16_t type, const struct ruleset *rs,
		      uint32_t flags)
{
	struct udata_blob ud;

	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, rs->table) < 0)
		return -ENOMEM;
	if (type != NFT_MSG_NEWTABLE)
		return 0;
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, flags);
	if (rs->comment && (comment_blob(NFTNL_UDATA_TABLE_COMMENT, rs->comment, &ud) < 0 ||
			    nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, ud.data, ud.len) < 0))
		return -ENOMEM;
	return 0;
}

int batch_table(struct nl_batch *b, uint16_t type, const struct ruleset *rs, uint32_t flags)
{
	struct nl_batch_obj o = { .kind = "table", .name = rs->table, .comment = rs->comment };
	struct nftnl_table *t = nftnl_table_alloc();

	return msg_put(b, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0, NL_OBJ_TABLE, t,
		       table_fill(t, type, rs, flags), &o);
}

/* Set userdata as nft writes it: key byte order, then the comment. */
static int set_udata(struct nftnl_set *s, const struct rs_set *set)
{
	char clean[RS_COMMENT_MAX];
	struct nftnl_udata_buf *ud;
	bool ok;
	int r;

	ud = nftnl_udata_buf_alloc(EXPR_UDATA_MAX);
	if (!ud)
		return -ENOMEM;
	ok = nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, NFT_BYTEORDER_BIG_ENDIAN);
	if (ok && set->comment) {
		expr_comment_clean(set->comment, clean);
		ok = nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_COMMENT, clean);
	}
	r = ok ? nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
				    nftnl_udata_buf_len(ud)) :
		 -1;
	nftnl_udata_buf_free(ud);
	return r < 0 ? -ENOMEM : 0;
}

/* set NAME { type ipv4_addr; flags interval,timeout; size 16384; comment "..." } */
static struct nftnl_set *set_obj(struct nl_batch *b, uint16_t type, const char *table,
				 const struct rs_set *set)
{
	bool v4 = set->family == AF_INET;
	uint32_t flags = 0;
	struct nftnl_set *s;

	s = nftnl_set_alloc();
	if (!s)
		return NULL;
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, table) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, set->name) < 0)
		goto out_free;
	if (type != NFT_MSG_NEWSET)
		return s;
	if (set->flags & RS_SET_INTERVAL)
		flags |= NFT_SET_INTERVAL;
	if (set->flags & RS_SET_TIMEOUT)
		flags |= NFT_SET_TIMEOUT;
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, v4 ? NFT_TYPE_IPADDR : NFT_TYPE_IP6ADDR);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, v4 ? 4 : 16);
	nftnl_set_set_u32(s, NFTNL_SET_ID, b->set_id++);
	if (set->size)
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, set->size);
	if (set_udata(s, set) == 0)
		return s;
out_free:
	nftnl_set_free(s);
	return NULL;
}

int batch_set(struct nl_batch *b, uint16_t type, const char *table, const struct rs_set *set)
{
	struct nl_batch_obj o = { .kind = "set",
				  .name = set->name,
				  .origin = set->origin,
				  .comment = set->comment };
	struct nftnl_set *s = set_obj(b, type, table, set);

	return msg_put(b, type, type == NFT_MSG_NEWSET ? NLM_F_CREATE : 0, NL_OBJ_SET, s,
		       s ? 0 : -ENOMEM, &o);
}

/* The first address after prefix a (the interval's end); false if it wraps. */
static bool interval_end(const struct rs_addr *a, uint8_t out[static 16])
{
	unsigned int bit, i;

	memcpy(out, a->addr, 16);
	if (a->prefix == 0)
		return false;
	bit = a->prefix - 1;
	i = bit / 8;
	if ((unsigned int)(out[i] + (1U << (7 - bit % 8))) <= 0xff) {
		out[i] += (uint8_t)(1U << (7 - bit % 8));
		return true;
	}
	out[i] += (uint8_t)(1U << (7 - bit % 8));
	while (i-- > 0)
		if (++out[i] != 0)
			return true;
	return false;
}

/* Starts an element nest with its key: NFTA_LIST_ELEM { NFTA_SET_ELEM_KEY { value } ... */
static struct nlattr *elem_start(struct nlmsghdr *nlh, const struct rs_set *set, const uint8_t *key)
{
	struct nlattr *elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	struct nlattr *nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);

	mnl_attr_put(nlh, NFTA_DATA_VALUE, set->family == AF_INET ? 4 : 16, key);
	mnl_attr_nest_end(nlh, nest);
	return elem;
}

/* An interval's end: the key and the interval-end flag. */
static void put_end(struct nlmsghdr *nlh, const struct rs_set *set, const uint8_t *key)
{
	struct nlattr *elem = elem_start(nlh, set, key);

	mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htonl(NFT_SET_ELEM_INTERVAL_END));
	mnl_attr_nest_end(nlh, elem);
}

/*
 * One element: key, then (new elements) timeout, expiration and comment. Written with
 * libmnl: a libnftnl element object per element (allocated, zeroed, set, built, freed)
 * was a quarter of the instructions of applying 10,000 addresses.
 */
static int put_elem(struct nlmsghdr *nlh, const struct rs_set *set, const struct rs_elem *e,
		    uint16_t type, unsigned int flags)
{
	bool add = type == NFT_MSG_NEWSETELEM;
	struct nftnl_udata_buf *ud = NULL;
	struct nlattr *elem;

	if (add && e->comment) {
		ud = expr_udata_comment(NFTNL_UDATA_SET_ELEM_COMMENT, e->comment);
		if (!ud)
			return -ENOMEM;
	}
	elem = elem_start(nlh, set, e->addr.addr);
	if (add && (set->flags & RS_SET_TIMEOUT) && e->timeout_ms) {
		mnl_attr_put_u64(nlh, NFTA_SET_ELEM_TIMEOUT, htobe64(e->timeout_ms));
		if (flags & BATCH_ELEM_REFRESH)
			mnl_attr_put_u64(nlh, NFTA_SET_ELEM_EXPIRATION, htobe64(e->timeout_ms));
	}
	if (ud)
		mnl_attr_put(nlh, NFTA_SET_ELEM_USERDATA, nftnl_udata_buf_len(ud),
			     nftnl_udata_buf_data(ud));
	mnl_attr_nest_end(nlh, elem);
	nftnl_udata_buf_free(ud);
	return 0;
}

/* 10.0.0.0/8 in an interval set is two elements: 10.0.0.0 and 11.0.0.0 interval-end. */
static int put_entry(struct nlmsghdr *nlh, const struct rs_set *set, const struct rs_elem *e,
		     uint16_t type, unsigned int flags)
{
	uint8_t end[16];
	int r;

	r = put_elem(nlh, set, e, type, flags);
	if (r == 0 && (set->flags & RS_SET_INTERVAL) && interval_end(&e->addr, end))
		put_end(nlh, set, end);
	return r;
}

static bool nest_overflows(const struct nlmsghdr *nlh, const struct nlattr *nest)
{
	return (const char *)mnl_nlmsg_get_payload_tail(nlh) - (const char *)nest > UINT16_MAX;
}

/* Fills one message from elems[*i]; leaves *i at the first element that did not fit. */
static int elems_msg(struct nl_batch *b, uint16_t type, const char *table, const struct rs_set *set,
		     const struct rs_elem *const *elems, size_t n, size_t *i, unsigned int flags)
{
	struct nl_batch_obj o = { .kind = "elements",
				  .name = set->name,
				  .origin = set->origin,
				  .index = *i };
	static const uint8_t zero[16];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	uint32_t mark;
	int r = 0;

	nlh = msg_start(b, type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
	if (!nlh)
		return -ENOMEM;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set->name);
	nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	if (flags & BATCH_ELEM_ZERO_END)
		put_end(nlh, set, zero);
	for (; r == 0 && *i < n; (*i)++) {
		mark = nlh->nlmsg_len;
		r = put_entry(nlh, set, elems[*i], type, flags);
		if (r == 0 && nest_overflows(nlh, nest)) {
			nlh->nlmsg_len = mark;
			break;
		}
	}
	if (r < 0)
		return r;
	mnl_attr_nest_end(nlh, nest);
	o.count = *i - o.index;
	return msg_end(b, nlh, &o);
}

int batch_elems(struct nl_batch *b, uint16_t type, const char *table, const struct rs_set *set,
		const struct rs_elem *const *elems, size_t n, unsigned int flags)
{
	size_t i = 0;
	int r = 0;

	if (!(set->flags & RS_SET_INTERVAL) || !n || elems[0]->addr.prefix == 0 ||
	    memcmp(elems[0]->addr.addr, (const uint8_t[16]){ 0 }, 16) == 0)
		flags &= ~BATCH_ELEM_ZERO_END;
	while (r == 0 && i < n) {
		r = elems_msg(b, type, table, set, elems, n, &i, flags);
		flags &= ~BATCH_ELEM_ZERO_END;
	}
	return r;
}

int batch_set_elems(struct nl_batch *b, const char *table, const struct rs_set *set)
{
	const struct rs_elem **v;
	size_t i;
	int r;

	if (!set->n_elems)
		return 0;
	v = malloc(set->n_elems * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < set->n_elems; i++)
		v[i] = &set->elems[i];
	r = batch_elems(b, NFT_MSG_NEWSETELEM, table, set, v, set->n_elems, BATCH_ELEM_ZERO_END);
	free(v);
	return r;
}

int batch_setdiff(struct nl_batch *b, const char *table, const struct rs_set *set,
		  const struct setdiff *d, bool use_destroy, bool can_refresh)
{
	uint16_t del = use_destroy ? NFT_MSG_DESTROYSETELEM : NFT_MSG_DELSETELEM;
	int r;

	r = batch_elems(b, NFT_MSG_NEWSETELEM, table, set, d->add, d->n_add, 0);
	if (!r)
		r = batch_elems(b, del, table, set, d->del, d->n_del, 0);
	if (!r && !can_refresh)
		r = batch_elems(b, del, table, set, d->refresh, d->n_refresh, 0);
	if (!r)
		r = batch_elems(b, NFT_MSG_NEWSETELEM, table, set, d->refresh, d->n_refresh,
				can_refresh ? BATCH_ELEM_REFRESH : 0);
	if (!r)
		r = batch_elems(b, del, table, set, d->replace, d->n_replace, 0);
	if (!r)
		r = batch_elems(b, NFT_MSG_NEWSETELEM, table, set, d->replace, d->n_replace, 0);
	return r;
}

/* chain NAME { type filter hook input priority P; policy drop; comment "..." } */
static int chain_fill(struct nftnl_chain *ch, uint16_t type, const char *table,
		      const struct rs_chain *c)
{
	struct udata_blob ud;

	if (!ch || nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, table) < 0 ||
	    nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, c->name) < 0)
		return -ENOMEM;
	if (type != NFT_MSG_NEWCHAIN)
		return 0;
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM,
			    c->hook == RS_HOOK_INPUT ? NF_INET_LOCAL_IN : NF_INET_LOCAL_OUT);
	nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, c->priority);
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY,
			    c->policy == RS_VERDICT_DROP ? NF_DROP : NF_ACCEPT);
	if (nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, "filter") < 0)
		return -ENOMEM;
	if (c->comment && (comment_blob(NFTNL_UDATA_CHAIN_COMMENT, c->comment, &ud) < 0 ||
			   nftnl_chain_set_data(ch, NFTNL_CHAIN_USERDATA, ud.data, ud.len) < 0))
		return -ENOMEM;
	return 0;
}

int batch_chain(struct nl_batch *b, uint16_t type, const char *table, const struct rs_chain *c)
{
	struct nl_batch_obj o = { .kind = "chain", .name = c->name, .comment = c->comment };
	struct nftnl_chain *ch = nftnl_chain_alloc();

	return msg_put(b, type, type == NFT_MSG_NEWCHAIN ? NLM_F_CREATE : 0, NL_OBJ_CHAIN, ch,
		       chain_fill(ch, type, table, c), &o);
}

/* A rule of chain in table, without expressions yet. */
static int rule_fill(struct nftnl_rule *nr, const char *table, const char *chain)
{
	if (!nr || nftnl_rule_set_str(nr, NFTNL_RULE_TABLE, table) < 0 ||
	    nftnl_rule_set_str(nr, NFTNL_RULE_CHAIN, chain) < 0)
		return -ENOMEM;
	return 0;
}

/* flush chain inet TABLE NAME */
int batch_chain_flush(struct nl_batch *b, const char *table, const struct rs_chain *c)
{
	struct nl_batch_obj o = { .kind = "chain", .name = c->name, .comment = "flush" };
	struct nftnl_rule *nr = nftnl_rule_alloc();

	return msg_put(b, NFT_MSG_DELRULE, 0, NL_OBJ_RULE, nr, rule_fill(nr, table, c->name), &o);
}

int batch_rule(struct nl_batch *b, const struct ruleset *rs, const struct rs_chain *c, size_t idx)
{
	const struct rs_rule *rule = &c->rules[idx];
	struct nl_batch_obj o = { .kind = "rule",
				  .name = c->name,
				  .origin = rule->origin,
				  .comment = rule->comment,
				  .index = idx };
	struct nftnl_rule *nr = nftnl_rule_alloc();
	int r;

	r = rule_fill(nr, rs->table, c->name);
	if (r == 0)
		r = expr_rule_build(nr, rs, rule);
	return msg_put(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, NL_OBJ_RULE, nr, r, &o);
}

struct nl_batch_obj *batch_find(struct nl_batch *b, uint32_t seq)
{
	size_t lo = 0, hi = b->n_objs, mid;

	/* Seqs are allocated in increasing order, so the table is sorted. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (b->objs[mid].seq == seq)
			return &b->objs[mid];
		if (b->objs[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void batch_describe(const struct nl_batch_obj *o, char *buf, size_t len)
{
	int n;

	if (!strcmp(o->kind, "rule"))
		n = snprintf(buf, len, "rule %zu in chain '%s'", o->index + 1, o->name);
	else if (!strcmp(o->kind, "elements"))
		n = snprintf(buf, len, "set '%s' (elements %zu..%zu)", o->name, o->index + 1,
			     o->index + o->count);
	else
		n = snprintf(buf, len, "%s '%s'", o->kind, o->name);
	if (n < 0 || (size_t)n >= len)
		return;
	if (o->origin)
		snprintf(buf + n, len - (size_t)n, " (%s)", o->origin);
	else if (o->comment && strcmp(o->kind, "table"))
		snprintf(buf + n, len - (size_t)n, " ('%s')", o->comment);
}
