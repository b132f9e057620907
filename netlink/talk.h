/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Send and receive on the nf_tables socket. Internal to netlink/ (and its unit tests). */
#ifndef FLOWGUARD_TALK_H
#define FLOWGUARD_TALK_H

#include <libmnl/libmnl.h>

#include "batch.h"
#include "nft.h"

/* How long to wait for an ACK the kernel owes us; it answers within sendmsg() normally. */
#define TALK_TIMEOUT_MS 5000

/*
 * Sends the whole batch with one sendmsg and drains the answers (errors, and the ACK of the
 * last message): checks portid and that each seq lies within the batch, parses extended
 * ACKs and maps the first error to its object; each error is also stored in its message's
 * nl_batch_obj.err (0: the message ran).
 * 0 or -errno (-ERESTART: the generation id changed; -ENOBUFS: ACKs were lost, so the
 * outcome is unknown; -EPROTO: a reply that is not ours).
 */
int talk_batch(struct nft_ctx *ctx, struct nl_batch *b, struct nft_error *err);

/*
 * Sends one request (a dump or a GET with NLM_F_ACK) and runs cb on each reply until
 * done, checking seq and portid. -EINTR when the kernel flags the dump as interrupted or
 * replies were lost (redo it). 0 or -errno.
 */
int talk_request(struct nft_ctx *ctx, const struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/* The next seq for a message of ours. */
uint32_t talk_seq(struct nft_ctx *ctx);

/*
 * A request of type for family into buf (MNL_SOCKET_BUFFER_SIZE bytes), naming table when
 * it is not NULL (NFTA_{TABLE_NAME,CHAIN_TABLE,RULE_TABLE,SET_TABLE,...}_TABLE are all 1).
 * buf is zeroed first: attribute padding is never written, so no stale stack bytes are sent.
 */
struct nlmsghdr *talk_msg(struct nft_ctx *ctx, char *buf, uint16_t type, uint8_t family,
			  uint16_t flags, const char *table);

/*
 * Called with each object of a dump: a struct nftnl_table, _chain, _rule or _set (as the
 * kind says) that lives until it returns. 0, or -errno to end the dump with that error.
 */
typedef int (*talk_obj_fn)(void *obj, void *data);

/*
 * Dumps every object of one kind in family (NFPROTO_UNSPEC: every family), only table's
 * when table is not NULL, and hands each to fn as libnftnl parsed it. 0, fn's error,
 * -ENOMEM, -EPROTO for a reply libnftnl cannot parse, or talk_request()'s error.
 */
int talk_dump_objs(struct nft_ctx *ctx, enum nl_obj_kind kind, uint8_t family, const char *table,
		   talk_obj_fn fn, void *data);

#endif
