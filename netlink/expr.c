/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One helper per nft expression, each emitting what nft 1.0.6 emits for the text in its
 * comment. Matches load into register 1; the verdict goes to register 0.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>

#include "expr.h"

#define REG NFT_REG_1

static int add(struct nftnl_rule *nr, struct nftnl_expr *e)
{
	if (!e)
		return -ENOMEM;
	nftnl_rule_add_expr(nr, e);
	return 0;
}

/* meta load KEY => reg 1 */
static int expr_meta_load(struct nftnl_rule *nr, uint32_t key)
{
	struct nftnl_expr *e;

	e = nftnl_expr_alloc("meta");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, REG);
	}
	return add(nr, e);
}

/* cmp eq|neq reg 1 DATA */
static int expr_cmp(struct nftnl_rule *nr, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e;

	e = nftnl_expr_alloc("cmp");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, REG);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return add(nr, e);
}

/* payload load LENb @ network|transport header + OFF => reg 1 */
static int expr_payload(struct nftnl_rule *nr, uint32_t base, uint32_t off, uint32_t len)
{
	struct nftnl_expr *e;

	e = nftnl_expr_alloc("payload");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, REG);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	}
	return add(nr, e);
}

/* bitwise reg 1 = ( reg 1 & MASK ) ^ 0x00000000 */
static int expr_bitwise_mask(struct nftnl_rule *nr, uint32_t mask)
{
	uint32_t zero = 0;
	struct nftnl_expr *e;

	e = nftnl_expr_alloc("bitwise");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, REG);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, REG);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	}
	return add(nr, e);
}

/* lookup reg 1 set NAME */
static int expr_lookup(struct nftnl_rule *nr, const char *set)
{
	struct nftnl_expr *e;

	e = nftnl_expr_alloc("lookup");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, REG);
		if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set) < 0) {
			nftnl_expr_free(e);
			e = NULL;
		}
	}
	return add(nr, e);
}

/* ct load state => reg 1 */
static int expr_ct_load(struct nftnl_rule *nr, uint32_t key)
{
	struct nftnl_expr *e;

	e = nftnl_expr_alloc("ct");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, REG);
	}
	return add(nr, e);
}

/* counter */
static int expr_counter(struct nftnl_rule *nr)
{
	return add(nr, nftnl_expr_alloc("counter"));
}

/* log prefix "PREFIX" [group N [snaplen S]] (group: to NFLOG listeners, not the kernel log) */
static int expr_log(struct nftnl_rule *nr, const char *prefix, int32_t group, uint32_t snaplen)
{
	char clean[RS_COMMENT_MAX];
	struct nftnl_expr *e;

	expr_comment_clean(prefix, clean);
	e = nftnl_expr_alloc("log");
	if (e && nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, clean) < 0) {
		nftnl_expr_free(e);
		e = NULL;
	}
	if (e && group >= 0)
		nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, (uint16_t)group);
	if (e && group >= 0 && snaplen)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOG_SNAPLEN, snaplen);
	return add(nr, e);
}

/* queue flags bypass to N (nft_queue) */
static int expr_queue(struct nftnl_rule *nr, uint16_t num)
{
	struct nftnl_expr *e;

	e = nftnl_expr_alloc("queue");
	if (e) {
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, num);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, 1);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS, NFT_QUEUE_FLAG_BYPASS);
	}
	return add(nr, e);
}

/*
 * queue num N bypass, as iptables-nft builds it: target NFQUEUE rev 3 through nft_compat,
 * for kernels without nft_queue. The kernel wants the info padded to XT_ALIGN (8 bytes);
 * libnftnl takes ownership of the buffer.
 */
static int expr_queue_compat(struct nftnl_rule *nr, uint16_t num)
{
	struct xt_NFQ_info_v3 info = { .queuenum = num,
				       .queues_total = 1,
				       .flags = NFQ_FLAG_BYPASS };
	struct nftnl_expr *e;
	void *buf;

	buf = calloc(1, EXPR_NFQ_INFO_LEN);
	e = buf ? nftnl_expr_alloc("target") : NULL;
	if (!e) {
		free(buf);
		return -ENOMEM;
	}
	memcpy(buf, &info, sizeof(info));
	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, buf, EXPR_NFQ_INFO_LEN);
	/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): the expression owns buf now (freed with it) */
	return add(nr, e);
}

/* limit rate RATE/second burst BURST packets */
static int expr_limit(struct nftnl_rule *nr, uint32_t rate, uint32_t burst)
{
	struct nftnl_expr *e;

	e = nftnl_expr_alloc("limit");
	if (e) {
		nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, rate);
		nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, burst);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, 0);
	}
	return add(nr, e);
}

/* accept | drop */
static int expr_verdict(struct nftnl_rule *nr, enum rs_verdict v)
{
	struct nftnl_expr *e;

	e = nftnl_expr_alloc("immediate");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT,
				   v == RS_VERDICT_DROP ? NF_DROP : NF_ACCEPT);
	}
	return add(nr, e);
}

/* iifname "lo" / oifname "lo": compared as IFNAMSIZ bytes, zero padded */
static int match_ifname(struct nftnl_rule *nr, uint32_t key, const char *name)
{
	char buf[RS_IFNAME_MAX] = { 0 };
	int r;

	strncpy(buf, name, sizeof(buf) - 1);
	r = expr_meta_load(nr, key);
	return r ? r : expr_cmp(nr, NFT_CMP_EQ, buf, sizeof(buf));
}

/* ct state established,related: a bitmask type, so nft masks and tests for != 0 */
static int match_ct_state(struct nftnl_rule *nr, uint32_t bits)
{
	uint32_t zero = 0;
	int r;

	r = expr_ct_load(nr, NFT_CT_STATE);
	if (!r)
		r = expr_bitwise_mask(nr, bits);
	return r ? r : expr_cmp(nr, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/* meta nfproto ipv4 / meta l4proto tcp: one byte */
static int match_meta_u8(struct nftnl_rule *nr, uint32_t key, uint8_t v)
{
	int r;

	r = expr_meta_load(nr, key);
	return r ? r : expr_cmp(nr, NFT_CMP_EQ, &v, 1);
}

/* ip saddr @SET (4b @ nh + 12) / ip6 daddr @SET (16b @ nh + 24) */
static int match_set(struct nftnl_rule *nr, uint8_t family, enum rs_dir dir, const char *set)
{
	bool v4 = family == AF_INET;
	uint32_t off;
	int r;

	if (v4)
		off = dir == RS_DIR_SRC ? 12 : 16;
	else
		off = dir == RS_DIR_SRC ? 8 : 24;
	r = expr_payload(nr, NFT_PAYLOAD_NETWORK_HEADER, off, v4 ? 4 : 16);
	return r ? r : expr_lookup(nr, set);
}

/* tcp sport 546 tcp dport 547: nft merges adjacent port matches into one 4-byte compare */
static int match_ports(struct nftnl_rule *nr, uint16_t sport, uint16_t dport)
{
	uint16_t v[2] = { htons(sport), htons(dport) };
	uint32_t off = sport ? 0 : 2;
	uint32_t len = sport && dport ? 4 : 2;
	int r;

	r = expr_payload(nr, NFT_PAYLOAD_TRANSPORT_HEADER, off, len);
	return r ? r : expr_cmp(nr, NFT_CMP_EQ, sport ? &v[0] : &v[1], len);
}

/* icmp type destination-unreachable icmp code frag-needed: adjacent bytes, merged */
static int match_icmp(struct nftnl_rule *nr, int type, int code)
{
	uint8_t v[2] = { (uint8_t)type, (uint8_t)code };
	uint32_t off = type >= 0 ? 0 : 1;
	uint32_t len = type >= 0 && code >= 0 ? 2 : 1;
	int r;

	r = expr_payload(nr, NFT_PAYLOAD_TRANSPORT_HEADER, off, len);
	return r ? r : expr_cmp(nr, NFT_CMP_EQ, &v[off], len);
}

static bool is_icmp(uint8_t l4)
{
	return l4 == IPPROTO_ICMP || l4 == IPPROTO_ICMPV6;
}

uint8_t expr_implied_nfproto(const struct ruleset *rs, const struct rs_rule *r)
{
	const struct rs_set *s;

	if (r->set) {
		s = rs ? ruleset_find_set(rs, r->set) : NULL;
		if (s)
			return s->family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
	}
	if (is_icmp(r->l4proto) && (r->icmp_type >= 0 || r->icmp_code >= 0))
		return r->l4proto == IPPROTO_ICMP ? NFPROTO_IPV4 : NFPROTO_IPV6;
	return 0;
}

/* tcp dport 443 / icmp type echo-request / meta l4proto udp: l4proto first, as nft's dependency */
static int build_l4(struct nftnl_rule *nr, const struct rs_rule *r)
{
	int ret;

	ret = match_meta_u8(nr, NFT_META_L4PROTO, r->l4proto);
	if (ret)
		return ret;
	if (is_icmp(r->l4proto)) {
		if (r->icmp_type >= 0 || r->icmp_code >= 0)
			return match_icmp(nr, r->icmp_type, r->icmp_code);
		return 0;
	}
	if (r->sport || r->dport)
		return match_ports(nr, r->sport, r->dport);
	return 0;
}

/* The matches, in rs_rule field order (which is the printer's order). */
static int build_matches(struct nftnl_rule *nr, const struct ruleset *rs, const struct rs_rule *r)
{
	const struct rs_set *s = NULL;
	uint8_t nfproto;
	int ret = 0;

	if (r->set && !(s = ruleset_find_set(rs, r->set)))
		return -ENOENT;
	nfproto = r->nfproto ? r->nfproto : expr_implied_nfproto(rs, r);
	if (r->iifname[0])
		ret = match_ifname(nr, NFT_META_IIFNAME, r->iifname);
	if (!ret && r->oifname[0])
		ret = match_ifname(nr, NFT_META_OIFNAME, r->oifname);
	if (!ret && r->ct_state)
		ret = match_ct_state(nr, r->ct_state);
	if (!ret && nfproto)
		ret = match_meta_u8(nr, NFT_META_NFPROTO, nfproto);
	if (!ret && s)
		ret = match_set(nr, s->family, r->set_dir, s->name);
	if (!ret && r->l4proto)
		ret = build_l4(nr, r);
	return ret;
}

static int build_comment(struct nftnl_rule *nr, const char *comment)
{
	struct nftnl_udata_buf *ud;
	int r;

	ud = expr_udata_comment(NFTNL_UDATA_RULE_COMMENT, comment);
	if (!ud)
		return -ENOMEM;
	r = nftnl_rule_set_data(nr, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud),
				nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
	return r < 0 ? -ENOMEM : 0;
}

int expr_rule_build(struct nftnl_rule *nr, const struct ruleset *rs, const struct rs_rule *r)
{
	int ret;

	ret = build_matches(nr, rs, r);
	if (!ret && r->limit_rate)
		ret = expr_limit(nr, r->limit_rate, r->limit_burst);
	if (!ret && r->counter)
		ret = expr_counter(nr);
	if (!ret && r->log_prefix)
		ret = expr_log(nr, r->log_prefix, r->log_group, r->log_snaplen);
	if (!ret && r->queue_num >= 0 && r->queue_compat)
		ret = expr_queue_compat(nr, (uint16_t)r->queue_num);
	else if (!ret && r->queue_num >= 0)
		ret = expr_queue(nr, (uint16_t)r->queue_num);
	if (!ret && r->verdict != RS_VERDICT_NONE)
		ret = expr_verdict(nr, r->verdict);
	if (!ret && r->comment)
		ret = build_comment(nr, r->comment);
	return ret;
}

/* nfttext.c's put_quoted(): at most 127 bytes, '"' becomes '\''. */
void expr_comment_clean(const char *in, char out[static RS_COMMENT_MAX])
{
	size_t i;

	for (i = 0; i < RS_COMMENT_MAX - 1 && in[i]; i++)
		out[i] = in[i] == '"' ? '\'' : in[i];
	out[i] = '\0';
}

struct nftnl_udata_buf *expr_udata_comment(uint8_t type, const char *comment)
{
	char clean[RS_COMMENT_MAX];
	struct nftnl_udata_buf *ud;

	ud = nftnl_udata_buf_alloc(EXPR_UDATA_MAX);
	if (!ud)
		return NULL;
	expr_comment_clean(comment, clean);
	if (!nftnl_udata_put_strz(ud, type, clean)) {
		nftnl_udata_buf_free(ud);
		return NULL;
	}
	return ud;
}

struct udata_find {
	uint8_t type;
	const struct nftnl_udata *hit;
};

static int udata_find_cb(const struct nftnl_udata *attr, void *data)
{
	struct udata_find *f = data;

	if (nftnl_udata_type(attr) == f->type)
		f->hit = attr;
	return 0;
}

int expr_udata_get_comment(const void *data, uint32_t len, uint8_t type, char **ret)
{
	struct udata_find f = { .type = type };
	char buf[EXPR_UDATA_MAX];
	uint8_t n;

	if (!data || !len || nftnl_udata_parse(data, len, udata_find_cb, &f) < 0 || !f.hit)
		return 0;
	n = nftnl_udata_len(f.hit);
	memcpy(buf, nftnl_udata_get(f.hit), n);
	buf[n ? n - 1 : 0] = '\0';
	return rs_strset(ret, buf);
}
