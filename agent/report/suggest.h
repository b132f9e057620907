/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flowguard suggest: turns what the agent blocked (or, in audit mode, would block), as
 * listed in its status file's "blocked" object, into a conf.d/ drop-in of allow entries
 * for an admin to review. It never installs anything: it prints the file, or writes it
 * where -o says (atomically, 0644, never over an existing file without --force).
 */
#ifndef FLOWGUARD_SUGGEST_H
#define FLOWGUARD_SUGGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/gen/gen.h"
#include "policies/diag.h"

struct suggest_opts {
	const char *status; /* the agent's status file (RUN_DIR/status.json) */
	/*
	 * The configuration as it is now (catalog and config paths): flows an allow entry
	 * already covers are left out, and its entry names are not reused. NULL: not read.
	 * When it cannot be read, a warning says so and every flow is suggested.
	 */
	const struct gen_opts *gen;
	const char *output; /* NULL: stdout */
	bool force;	    /* replace an existing output file */
	int64_t now_s;	    /* the header's "generated" time (Unix seconds) */
};

/*
 * 0: the drop-in was written, or nothing (new) was seen (said on stderr; nothing written).
 * -EINVAL or -E2BIG: the status file is malformed (located errors in d). -EEXIST: the
 * output exists and force is off. Other -errno: I/O (reported on stderr or in d).
 */
int suggest_run(const struct suggest_opts *o, struct diag *d);

struct ydoc;
struct config;
/*
 * The drop-in for a parsed status file (named doc->file in the header), leaving out what
 * cfg allows (cfg may be NULL), into *ret (malloc'ed, *ret_len bytes). *ret is NULL when
 * nothing (new) was seen: that is said on stderr. 0, -EINVAL or -ENOMEM.
 */
int suggest_doc(const struct ydoc *doc, const struct config *cfg, int64_t now_s, char **ret,
		size_t *ret_len, struct diag *d);

#endif
