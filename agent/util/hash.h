/* SPDX-License-Identifier: GPL-2.0-or-later */
/* FNV-1a with murmur3's finaliser: FNV's low bits alone are poorly mixed for a modulo. */
#ifndef FLOWGUARD_HASH_H
#define FLOWGUARD_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_INIT 2166136261u

static inline uint32_t hash_bytes(uint32_t h, const void *p, size_t n)
{
	const uint8_t *c = p;

	while (n--) {
		h ^= *c++;
		h *= 16777619u;
	}
	return h;
}

static inline uint32_t hash_final(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

#endif
