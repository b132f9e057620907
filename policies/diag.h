/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Diagnostics from loading and validation: "file:line:col: message" lines, collected so
 * that every error of a file is reported, not only the first. policies/ never prints;
 * agent/ decides where the lines go.
 */
#ifndef FLOWGUARD_DIAG_H
#define FLOWGUARD_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum diag_level { DIAG_WARNING, DIAG_ERROR };

struct diag_msg {
	enum diag_level level;
	char *text; /* "file:line:col: error: message" */
};

struct diag {
	struct diag_msg *msgs;
	size_t n, cap;
	size_t n_errors;
	bool oom; /* a message was lost to OOM; callers treat it as an error */
};

/* Source position of a YAML node; line and col are 1-based. */
struct loc {
	const char *file; /* borrowed; lives as long as the loaded tree */
	unsigned int line, col;
};

void diag_clear(struct diag *d);
/* Records a message at loc (loc may be NULL for file-less messages). */
__attribute__((format(printf, 4, 5))) void diag_add(struct diag *d, enum diag_level level,
						    const struct loc *loc, const char *fmt, ...);
#define diag_err(d, loc, ...) diag_add((d), DIAG_ERROR, (loc), __VA_ARGS__)
#define diag_warn(d, loc, ...) diag_add((d), DIAG_WARNING, (loc), __VA_ARGS__)
bool diag_failed(const struct diag *d);
void diag_print(const struct diag *d, FILE *out);

#endif
