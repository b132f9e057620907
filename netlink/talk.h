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
 * Sends the whole batch with one sendmsg and drains every ACK: checks portid and that each
 * seq lies within the batch, parses extended ACKs and maps the first error to its object;
 * every message's answer is also stored in its nl_batch_obj.err.
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

#endif
