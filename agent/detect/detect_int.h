/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals shared by the detectors (the .c files of agent/detect/): recording facts with their
 * evidence, reading host files and running vendor tools under the detection root.
 */
#ifndef FLOWGUARD_DETECT_INT_H
#define FLOWGUARD_DETECT_INT_H

#include <stddef.h>

#include "agent/detect/detect.h"

/* Host files are small; a bigger one is garbage or hostile and is skipped with a warning. */
#define DETECT_MAX_FILE (256 * 1024)
/* Vendor tools answer in well under a second; a hung tool must not hang detection. */
#define DETECT_TOOL_TIMEOUT_MS 5000

/* Copies s into the detection's string pool; the pointer lives as long as det. */
const char *detect_intern(struct detection *det, const char *s);

/* Records one piece of evidence (value NULL: looked for, not found). 0 or -ENOMEM. */
int detect_evidence(struct detection *det, const char *fact, const char *value, const char *source,
		    const char *note);

/*
 * Adds an address or name to one of det->lists, unless present already, and records
 * the evidence. file:line says where it was found (line 0: a command's output). An entry
 * that does not parse is a warning in d naming file:line, not an error. 0 or -ENOMEM.
 */
int detect_endpoint(struct detection *det, enum host_fact fact, const char *text, const char *file,
		    unsigned int line, struct diag *d);

/* detect_endpoint() with a note on its evidence (NULL: none); a repeat with a note is recorded. */
int detect_endpoint_note(struct detection *det, enum host_fact fact, const char *text,
			 const char *file, unsigned int line, const char *note, struct diag *d);

/* Marks a role as detected, with its evidence. 0 or -ENOMEM. */
int detect_role(struct detection *det, enum fg_role role, const char *value, const char *source);

/* Records another firewall's conflicting base chain. 0 or -ENOMEM. */
int detect_conflict(struct detection *det, const char *where, const char *hook, int priority,
		    const char *policy, const char *meaning);

/* "root" + "/etc/resolv.conf" into buf; -ENAMETOOLONG if it does not fit. */
int detect_path(const char *root, const char *path, char *buf, size_t len);

/*
 * Reads root/path into a NUL-terminated *ret (caller frees). -ENOENT if absent,
 * -EFBIG (with a warning in d) if larger than DETECT_MAX_FILE, -EISDIR for a directory,
 * -EINVAL for anything but a regular file, other -errno on error.
 */
int detect_read_file(const char *root, const char *path, char **ret, size_t *ret_len,
		     struct diag *d);

/*
 * Runs root/path with argv (argv[0] included) in a clean environment (PATH and LC_ALL=C
 * only), stdin from /dev/null, killing its process group after DETECT_TOOL_TIMEOUT_MS;
 * its stdout goes to *ret. 0 when it ran and exited 0; -ENOENT if it is not there;
 * -ETIMEDOUT; -EFBIG if it printed more than DETECT_MAX_FILE; -EIO for a non-zero exit.
 */
int detect_run_tool(const char *root, const char *path, const char *const argv[], char **ret,
		    size_t *ret_len);

/* The detectors; each reads under root and records what it finds. 0 or -ENOMEM. */
int detect_dns(struct detection *det, const char *root, struct diag *d);
int detect_ntp(struct detection *det, const char *root, struct diag *d);
int detect_agent(struct detection *det, const char *root, struct diag *d);
int detect_relay(struct detection *det, const char *root, struct diag *d);
int detect_dcgw(struct detection *det, const char *root, struct diag *d);

#endif
