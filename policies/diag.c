/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "text.h"

void diag_clear(struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->msgs[i].text);
	free(d->msgs);
	memset(d, 0, sizeof(*d));
}

static int diag_push(struct diag *d, enum diag_level level, char *text)
{
	struct diag_msg *m;

	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;

		m = realloc(d->msgs, ncap * sizeof(*m));
		if (!m)
			return -1;
		d->msgs = m;
		d->cap = ncap;
	}
	d->msgs[d->n].level = level;
	d->msgs[d->n].text = text;
	d->n++;
	return 0;
}

/*
 * Messages quote what was read (a key, a value, a file name), which may hold a line break
 * or a terminal's escape sequence: they are escaped here, once, for every place a
 * message goes (terminal, journal, the status file's warnings).
 */
static int escape_text(char **text)
{
	size_t len = text_escape(NULL, 0, *text);
	char *esc = malloc(len + 1);

	if (!esc) {
		free(*text);
		*text = NULL;
		return -1;
	}
	text_escape(esc, len + 1, *text);
	free(*text);
	*text = esc;
	return 0;
}

void diag_add(struct diag *d, enum diag_level level, const struct loc *loc, const char *fmt, ...)
{
	const char *lvl = level == DIAG_ERROR ? "error" : "warning";
	char *msg = NULL, *text = NULL;
	va_list ap;
	int r;

	if (level == DIAG_ERROR)
		d->n_errors++;
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		d->oom = true;
		return;
	}
	if (loc && loc->line)
		r = asprintf(&text, "%s:%u:%u: %s: %s", loc->file, loc->line, loc->col, lvl, msg);
	else if (loc)
		r = asprintf(&text, "%s: %s: %s", loc->file, lvl, msg);
	else
		r = asprintf(&text, "%s: %s", lvl, msg);
	free(msg);
	if (r >= 0 && !text_is_clean(text))
		r = escape_text(&text);
	if (r < 0 || diag_push(d, level, text) < 0) {
		if (r >= 0)
			free(text);
		d->oom = true;
	}
}

bool diag_failed(const struct diag *d)
{
	return d->n_errors > 0 || d->oom;
}

void diag_print(const struct diag *d, FILE *out)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		fprintf(out, "%s\n", d->msgs[i].text);
	if (d->oom)
		fprintf(out, "error: out of memory while reporting errors\n");
}
