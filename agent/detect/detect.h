/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host detection: what this host is in an SWP deployment, read from the host itself
 * (every path under a root directory, so tests use fixture trees). Each fact carries
 * the evidence it came from; what was looked for and not found is evidence too.
 * Detection never guesses: a fact without evidence stays unknown.
 */
#ifndef FLOWGUARD_DETECT_H
#define FLOWGUARD_DETECT_H

#include <stdbool.h>
#include <stdio.h>

#include "policies/diag.h"
#include "policies/model.h"

/* Caps what one host file or tool may add; a real host has a handful of each. */
#define DETECT_MAX_ITEMS 256

struct evidence {
	char *fact;   /* "role agent", "region", "dns-servers", "relay", ... */
	char *value;  /* what was found ("de-1", "192.0.2.53"), or NULL when not found */
	char *source; /* "/etc/resolv.conf:3", "/opt/ds_agent/dsa_query -c GetAgentStatus" */
	char *note;   /* why it matters or why it was not used; may be NULL */
};

/* Another firewall's base chain on a hook we use: its drop overrides our accept. */
struct fw_conflict {
	char *where; /* "table ip filter chain OUTPUT" or "iptables-legacy filter" */
	char *hook;  /* "output", "input" */
	int priority;
	char *policy;  /* "drop", "accept" */
	char *meaning; /* plain words: what it does to the required flows */
};

struct detection {
	unsigned int roles; /* 1U << enum fg_role; relay implies agent */
	char *region;	    /* NULL: unknown */
	bool legacy_dsaas;  /* manager URL on *.deepsecurity.trendmicro.com */
	bool comm_known;
	enum fg_comm comm;
	/* dns-servers, ntp-servers, proxy, vcenter, active-directory, relays, ... */
	struct endpoint_list lists[FACT_MAX];
	struct evidence *ev;
	size_t n_ev, cap_ev;
	struct fw_conflict *conflicts;
	size_t n_conflicts, cap_conflicts;
	char *manager_url; /* as the agent reports it, or NULL */
	char **strings;	   /* owned copies that loc.file in lists points to */
	size_t n_strings, cap_strings;
};

/*
 * Detects under root ("/" for the real host). Problems with host files (garbage, a
 * tool that fails) are warnings in d naming the file and line, never fatal: the fact
 * stays unknown. 0, or -ENOMEM.
 */
int detect_host(const char *root, struct detection **ret, struct diag *d);
/*
 * Only the firewall detector (other nftables tables, iptables rules): what `status` shows
 * as conflicts. 0 or -ENOMEM.
 */
int detect_firewalls(struct detection *det, const char *root, struct diag *d);
void detection_free(struct detection *det);

/* Human-readable report (detect) and JSON (detect --json). 0 or -errno. */
int detection_print(const struct detection *det, FILE *out);
int detection_print_json(const struct detection *det, FILE *out);

/* "agent-initiated", "manager-initiated", "bidirectional" (enum fg_comm), NULL-terminated. */
extern const char *const detect_comm_names[];

/*
 * The facts file (agent/detect/load.c): detect --save writes what detect --json prints,
 * atomically (a temporary file renamed into place), mode 0644. 0 or -errno.
 */
int detection_save(const struct detection *det, const char *path);
/*
 * Reads a facts file back into *ret. Refuses (an error in d, file:line:col where there
 * is one) a missing file, one not owned by root or writable by group or others, one
 * written before this boot (stale), and one that is not exactly what detect --json
 * writes. 0, -ENOMEM, or -EINVAL (reasons in d).
 */
int detection_load(const char *path, struct detection **ret, struct diag *d);

#endif
