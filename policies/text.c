/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "text.h"

/* The smallest code point each sequence length may carry: a smaller one is overlong. */
static const uint32_t seq_min[5] = { 0, 0, 0x80, 0x800, 0x10000 };

size_t text_decode(const char *s, uint32_t *ret_cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n, i;
	uint32_t cp;

	if (u[0] < 0x80) {
		*ret_cp = u[0];
		return u[0] ? 1 : 0;
	}
	if (u[0] >= 0xc0 && u[0] < 0xe0)
		n = 2, cp = u[0] & 0x1f;
	else if (u[0] >= 0xe0 && u[0] < 0xf0)
		n = 3, cp = u[0] & 0x0f;
	else if (u[0] >= 0xf0 && u[0] < 0xf8)
		n = 4, cp = u[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = cp << 6 | (u[i] & 0x3f);
	}
	if (cp < seq_min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return n;
}

bool text_printable(uint32_t cp)
{
	if (cp < 0x80)
		return cp >= 0x20 && cp < 0x7f;
	if (cp < 0xa0) /* C1 controls, U+0085 (NEL) among them */
		return false;
	if ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff)
		return false;
	return cp < 0xd800 || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
}

size_t text_char_len(const char *s)
{
	uint32_t cp;
	size_t n = text_decode(s, &cp);

	return n && text_printable(cp) ? n : 0;
}

static const char hex[] = "0123456789abcdef";

void text_put(FILE *out, const char *s)
{
	size_t n;

	while (*s) {
		n = text_char_len(s);
		if (n) {
			fwrite(s, 1, n, out);
			s += n;
			continue;
		}
		fputs("\\x", out);
		fputc(hex[(unsigned char)*s >> 4], out);
		fputc(hex[*s & 0xf], out);
		s++;
	}
}

size_t text_escape(char *buf, size_t room, const char *s)
{
	size_t need = 0, n, k;
	char esc[4];
	const char *piece;

	for (; *s; s += n, need += k) {
		n = text_char_len(s);
		piece = s;
		k = n;
		if (!n) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[(unsigned char)*s >> 4];
			esc[3] = hex[*s & 0xf];
			piece = esc;
			n = 1;
			k = 4;
		}
		if (need + k < room)
			memcpy(buf + need, piece, k);
		else if (need < room)
			room = need + 1; /* nothing after a piece that did not fit */
	}
	if (room)
		buf[need < room ? need : room - 1] = '\0';
	return need;
}

bool text_is_clean(const char *s)
{
	size_t n;

	for (;;) {
		/* Printable ASCII, nearly all of the catalog's 60 KB, needs no decoding. */
		while ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f)
			s++;
		if (!*s)
			return true;
		n = text_char_len(s);
		if (!n)
			return false;
		s += n;
	}
}
