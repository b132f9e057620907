/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON output shared by detect --json, the status file and status --json. */
#ifndef FLOWGUARD_JSON_H
#define FLOWGUARD_JSON_H

#include <stdio.h>

/*
 * Writes s as a JSON string that is also a YAML double-quoted scalar (the status and facts
 * files are read back with libyaml): quotes, backslashes and control bytes escaped; NULL
 * is null.
 */
void json_str(FILE *f, const char *s);

#endif
