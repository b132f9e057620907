/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers the unit tests share; include after <cmocka.h> (they assert).
 */
#ifndef FLOWGUARD_UNIT_TEXT_H
#define FLOWGUARD_UNIT_TEXT_H

#include <stdio.h>

/* The first 4 KiB of a file the test wrote, as a string (a static buffer: the next call's). */
static inline char *read_text(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

#endif
