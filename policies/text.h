/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text that leaves the program. Strings from outside (a foreign table's name, a process
 * name, a status file copied from another host) may hold control bytes, invalid UTF-8, or
 * characters that end a line for some reader: YAML ends lines at U+0085, U+2028 and
 * U+2029 as well as at CR and LF, a terminal obeys escape sequences, libyaml refuses a
 * file with a non-printable character. One rule serves every writer: "printable" is ASCII
 * 0x20-0x7e and well-formed UTF-8 for a character YAML calls printable, less the line and
 * paragraph separators and the invisible format characters (bidi overrides, zero-width
 * marks, the byte order mark). Everything else is escaped, byte by byte, as \xNN.
 *
 * It lives in policies/, the lowest folder agent/ and policies/ share (diagnostics use it).
 */
#ifndef FLOWGUARD_TEXT_H
#define FLOWGUARD_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The well-formed UTF-8 sequence at s (never overlong, no surrogate, at most U+10FFFF):
 * its length 1-4 with the code point in *ret_cp, or 0 for an invalid byte or a NUL.
 */
size_t text_decode(const char *s, uint32_t *ret_cp);
/* Whether cp passes unescaped (see above). */
bool text_printable(uint32_t cp);
/* The length of the printable character at s, or 0: s[0] must then be escaped. */
size_t text_char_len(const char *s);
/* s with every byte outside a printable character as \xNN. */
void text_put(FILE *out, const char *s);
/*
 * The same into buf (always terminated when room > 0); returns the length the whole
 * escaped text needs, like snprintf. An escape is never cut in half.
 */
size_t text_escape(char *buf, size_t room, const char *s);
/* Whether s needs no escape at all. */
bool text_is_clean(const char *s);

#endif
