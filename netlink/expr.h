/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Rule bytecode: rs_rule <-> libnftnl expressions, exactly as nft 1.0.6 generates them
 * for the text ruleset_print_nft() prints (checked with "nft --debug=netlink").
 * Internal to netlink/.
 */
#ifndef FLOWGUARD_EXPR_H
#define FLOWGUARD_EXPR_H

#include <stdint.h>

#include "ruleset.h"

struct nftnl_rule;
struct nftnl_udata_buf;

/* nft's NFT_USERDATA_MAXLEN: the most userdata the kernel keeps for one object. */
#define EXPR_UDATA_MAX 256
/* struct xt_NFQ_info_v3 (6 bytes) padded to XT_ALIGN, as nft_compat sends and dumps it. */
#define EXPR_NFQ_INFO_LEN 8

/*
 * Appends the expressions and the comment of rule r to nr. The rule's set must exist in rs
 * (its family picks ip/ip6). 0, -ENOENT (unknown set) or -ENOMEM.
 */
int expr_rule_build(struct nftnl_rule *nr, const struct ruleset *rs, const struct rs_rule *r);

/*
 * Parses nr back into *r (a rule from rs_chain_add_rule()). The implied "meta nfproto"
 * dependency of a set lookup or an ICMP type is not stored (see rs_rule).
 * 0; -EOPNOTSUPP for bytecode flowguard never generates (what[] then names it); -ENOMEM.
 */
int expr_rule_parse(const struct nftnl_rule *nr, struct rs_rule *r, char *what, size_t len);

/* The nfproto a rule's matches imply (set family, ICMP version), or 0. */
uint8_t expr_implied_nfproto(const struct ruleset *rs, const struct rs_rule *r);

/* Userdata holding one comment TLV of the given type, as nft writes it; NULL on OOM. */
struct nftnl_udata_buf *expr_udata_comment(uint8_t type, const char *comment);
/* Copies the comment TLV of the given type out of a userdata blob; *ret stays NULL if none. */
int expr_udata_get_comment(const void *data, uint32_t len, uint8_t type, char **ret);
/* The comment exactly as nft stores it after parsing our printed text. */
void expr_comment_clean(const char *in, char out[static RS_COMMENT_MAX]);

#endif
