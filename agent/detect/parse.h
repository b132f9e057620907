/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pure parsers of the host files that name DNS and NTP servers (agent/detect/parse.c).
 * Each reads a NUL-terminated buffer and records what it finds with detect_endpoint() and
 * detect_evidence(), naming file (the host path, without the detection root) and line. They
 * do no I/O: what a file includes is handed to a callback, which agent/detect/net.c
 * resolves under the root. Problems in the text are warnings in d ("file:line:col") and
 * parsing goes on with the next line.
 */
#ifndef FLOWGUARD_DETECT_PARSE_H
#define FLOWGUARD_DETECT_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/detect/detect_int.h"

/* glibc's MAXNS: the stub resolver uses the first 3 nameserver lines and ignores the rest. */
#define RESOLV_MAXNS 3
/* chrony's MAX_LINE_LENGTH; none of these formats has a meaningful longer line. */
#define PARSE_MAX_LINE 2048
/* chrony's MAX_CONF_DIRS: one confdir/sourcedir directive names at most 10 directories. */
#define CHRONY_MAX_DIRS 10
/* Servers one timesyncd list keeps; the defaults have 4, anything near 64 is garbage. */
#define TIMESYNCD_MAX_SERVERS 64

enum resolv_flags {
	/* systemd-resolved's upstream list: no MAXNS limit (resolved uses all), no stub chain */
	RESOLV_UPSTREAM = 1U << 0,
};

/*
 * nameserver lines of a resolv.conf. *ret_stub says whether one of the servers in use is
 * the systemd-resolved stub (127.0.0.53, 127.0.0.54). Returns the number of servers in use
 * (>= 0), or -ENOMEM.
 */
int detect_parse_resolv_conf(struct detection *det, const char *file, const char *buf,
			     unsigned int flags, bool *ret_stub, struct diag *d);

/* Directives that pull in other files; the callback decides what to read. */
enum conf_ref {
	CONF_INCLUDE,	  /* chrony include: one path, wildcards in its file name */
	CONF_CONFDIR,	  /* chrony confdir: *.conf of the directories, first directory wins */
	CONF_SOURCEDIR,	  /* chrony sourcedir: *.sources of the directories, same rule */
	CONF_INCLUDEFILE, /* ntpd includefile: a file, or the *.conf of a directory */
};

/* Called with a directive's arguments (n_args >= 1) and where it is. 0 or -ENOMEM. */
typedef int (*conf_ref_fn)(void *ctx, enum conf_ref kind, const char *const *args, size_t n_args,
			   const struct loc *loc);

enum chrony_flags {
	CHRONY_SOURCES = 1U << 0, /* a sourcedir .sources file: only server, pool and peer */
};

/*
 * chrony.conf: server, pool and peer lines; include, confdir and sourcedir go to ref
 * (NULL: ignored). Returns the number of server/pool/peer lines (>= 0), or -ENOMEM.
 */
int detect_parse_chrony_conf(struct detection *det, const char *file, const char *buf,
			     unsigned int flags, conf_ref_fn ref, void *ctx, struct diag *d);

/* ntp.conf of ntpd or ntpsec: server, pool, peer; includefile goes to ref. As above. */
int detect_parse_ntp_conf(struct detection *det, const char *file, const char *buf, conf_ref_fn ref,
			  void *ctx, struct diag *d);

/* One server name of a timesyncd list; strings are interned in the detection. */
struct timesyncd_server {
	const char *name;
	const char *file;
	unsigned int line;
};

/*
 * timesyncd's lists across its files: later files add to NTP= and FallbackNTP=, an empty
 * assignment empties the list (systemd's config_parse_servers). Zero-initialise it.
 */
struct timesyncd_state {
	struct timesyncd_server ntp[TIMESYNCD_MAX_SERVERS];
	struct timesyncd_server fallback[TIMESYNCD_MAX_SERVERS];
	size_t n_ntp, n_fallback;
	bool fallback_set; /* some file assigned FallbackNTP= (else: compiled-in list) */
};

/* Applies one timesyncd.conf or drop-in, in systemd's order, to st. 0 or -ENOMEM. */
int detect_parse_timesyncd_conf(struct detection *det, struct timesyncd_state *st, const char *file,
				const char *buf, struct diag *d);

/*
 * Records the outcome once every file is applied: NTP= servers, or the fallbacks with a
 * note saying when timesyncd uses them. file names the main file for "none set". 0 or -ENOMEM.
 */
int detect_timesyncd_record(struct detection *det, const struct timesyncd_state *st,
			    const char *file, struct diag *d);

/*
 * An include/confdir path as written into an absolute host path in buf (relative paths are
 * taken from "/", the daemons' working directory). -EINVAL with why for an empty path,
 * control characters or a ".." component (detection never leaves the root);
 * -ENAMETOOLONG if it does not fit.
 */
int detect_parse_conf_path(const char *arg, char *buf, size_t len, const char **why);

#endif
