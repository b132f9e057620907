/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>

#include "agent/util/json.h"
#include "policies/text.h"

/* One character or byte of s that text_char_len() did not pass; returns the bytes used. */
static size_t put_escape(FILE *f, const char *s)
{
	uint32_t cp;
	size_t n = text_decode(s, &cp);

	if (n) { /* a control or separator: JSON's \u form, which YAML reads too */
		fprintf(f, "\\u%04x", (unsigned int)cp);
		return n;
	}
	/* Invalid UTF-8 has no JSON form: the text \xNN, as on a terminal. */
	fprintf(f, "\\\\x%02x", (unsigned char)*s);
	return 1;
}

void json_str(FILE *f, const char *s)
{
	size_t n;

	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	while (*s) {
		if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
			continue;
		}
		n = text_char_len(s);
		if (n)
			fwrite(s, 1, n, f);
		else
			n = put_escape(f, s);
		s += n;
	}
	fputc('"', f);
}
