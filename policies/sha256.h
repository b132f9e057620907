/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SHA-256 (FIPS 180-4), for the configuration's identity: the agent reports which files it
 * runs (status, metrics, `flowguard check`), and a fleet tool compares that with what it
 * wrote. Not used for anything secret.
 */
#ifndef FLOWGUARD_SHA256_H
#define FLOWGUARD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN (2 * SHA256_LEN + 1)

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;
	uint8_t block[64];
	size_t n; /* bytes in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);
/* One buffer's digest. */
void sha256_buf(const void *data, size_t len, uint8_t out[SHA256_LEN]);
/* Lower-case hex of a digest, NUL-terminated. */
void sha256_hex(const uint8_t digest[SHA256_LEN], char hex[SHA256_HEX_LEN]);

#endif
