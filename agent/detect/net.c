/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DNS and NTP servers of the host: which files name them, read strictly under the
 * detection root and handed to the pure parsers of agent/detect/parse.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/detect/parse.h"
#include "policies/fileread.h"

/* Include nesting: real configurations nest one or two deep; deeper is a loop or hostile. */
#define NET_MAX_DEPTH 8
/* Files one NTP client's configuration may span (a handful of drop-ins and DHCP sources). */
#define NET_MAX_FILES 64
/* Configuration paths are short; a longer include path is garbage. */
#define NET_MAX_PATH 512
/* openat2 RESOLVE_IN_ROOT says EAGAIN when a rename races a ".." lookup: try again, briefly. */
#define OPEN_RETRIES 3

static const char RESOLV_CONF[] = "/etc/resolv.conf";
static const char RESOLVED_UPSTREAM[] = "/run/systemd/resolve/resolv.conf";

/* An NTP client: its configuration files and the links that show it is enabled. */
struct ntp_client {
	const char *name;
	bool ntpd; /* ntp.conf syntax, else chrony */
	const char *const *conf;
	const char *const *wants;
};

static const char *const chrony_conf[] = { "/etc/chrony/chrony.conf", "/etc/chrony.conf", NULL };
static const char *const chrony_wants[] = {
	"/etc/systemd/system/multi-user.target.wants/chrony.service",
	"/etc/systemd/system/multi-user.target.wants/chronyd.service",
	NULL,
};
static const char *const ntpd_conf[] = { "/etc/ntpsec/ntp.conf", "/etc/ntp.conf", NULL };
static const char *const ntpd_wants[] = {
	"/etc/systemd/system/multi-user.target.wants/ntpsec.service",
	"/etc/systemd/system/multi-user.target.wants/ntp.service",
	"/etc/systemd/system/multi-user.target.wants/ntpd.service",
	NULL,
};
static const char *const timesyncd_wants[] = {
	"/etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service",
	NULL,
};
/* systemd's search path: the first main file found is used; drop-ins are merged by name. */
static const char *const timesyncd_main[] = {
	"/etc/systemd/timesyncd.conf",
	"/run/systemd/timesyncd.conf",
	"/usr/local/lib/systemd/timesyncd.conf",
	"/usr/lib/systemd/timesyncd.conf",
	NULL,
};
static const char *const timesyncd_dropins[] = {
	"/etc/systemd/timesyncd.conf.d",
	"/run/systemd/timesyncd.conf.d",
	"/usr/local/lib/systemd/timesyncd.conf.d",
	"/usr/lib/systemd/timesyncd.conf.d",
};

static const struct ntp_client chrony = { "chrony", false, chrony_conf, chrony_wants };
static const struct ntp_client ntpd = { "ntpd", true, ntpd_conf, ntpd_wants };
static const struct ntp_client timesyncd = { "systemd-timesyncd", false, timesyncd_main,
					     timesyncd_wants };

/* A file a directory listing found. */
struct listed {
	char name[NAME_MAX + 1];
	size_t dir;  /* index into the directories listed: the first one holding the name */
	bool masked; /* a symlink to /dev/null: systemd's way to disable a lower file */
};

/* The files of one or more directories, sorted by name; the first directory wins a name. */
struct listing {
	struct listed v[NET_MAX_FILES];
	size_t n;
};

/* One NTP client's walk through its configuration and everything it includes. */
struct walk {
	struct detection *det;
	const char *root;
	struct diag *d;
	const struct ntp_client *client;
	unsigned int depth;
	size_t n_files;
	int n_servers;
	struct {
		dev_t dev;
		ino_t ino;
	} seen[NET_MAX_FILES];
};

/* ---- files under the root ---------------------------------------------------------------- */

/*
 * Without openat2 (Linux < 5.6, or a seccomp filter): the resolved path must stay in root.
 * realpath() follows every symlink, so an absolute one fails here instead of resolving
 * under root, and O_NOFOLLOW cannot see a dangling link.
 */
static int open_checked(const char *root, const char *path, int flags)
{
	char full[PATH_MAX], real[PATH_MAX], real_root[PATH_MAX];
	size_t n;
	int r;

	r = detect_path(root, path, full, sizeof(full));
	if (r < 0)
		return r;
	if (!realpath(full, real) || !realpath(root, real_root))
		return -errno;
	n = strlen(real_root);
	if (strcmp(real_root, "/") &&
	    (strncmp(real, real_root, n) || (real[n] != '/' && real[n] != '\0')))
		return -EXDEV;
	r = open(real, flags | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

/*
 * Opens path under root as if root were "/": absolute symlinks and ".." stay inside it
 * (openat2 RESOLVE_IN_ROOT). An fd, or -errno.
 */
static int open_in_root(const char *root, const char *path, int flags)
{
	struct open_how how = { 0 };
	int dfd, fd = -EAGAIN, i;

	if (!root || !*root)
		root = "/";
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	for (i = 0; i < OPEN_RETRIES; i++) {
		fd = (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
		if (fd < 0)
			fd = -errno;
		if (fd != -EAGAIN)
			break;
	}
	close(dfd);
	if (fd == -ENOSYS || fd == -EPERM)
		fd = open_checked(root, path, flags);
	return fd;
}

static int read_in_root(const char *root, const char *path, char **ret, size_t *ret_len,
			struct stat *ret_st, struct diag *d)
{
	struct loc loc = { path, 0, 0 };
	struct stat st;
	int fd, r;

	/* O_NONBLOCK: a FIFO in place of a configuration file must not hang detection */
	fd = open_in_root(root, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (S_ISDIR(st.st_mode))
		r = -EISDIR;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if (st.st_size > DETECT_MAX_FILE)
		r = -EFBIG;
	else
		r = file_read_bounded(fd, DETECT_MAX_FILE, 0, ret, ret_len);
	close(fd);
	if (r == -EFBIG)
		diag_warn(d, &loc, "larger than %d bytes, ignoring", DETECT_MAX_FILE);
	else if (r >= 0)
		*ret_st = st;
	return r;
}

int detect_read_file(const char *root, const char *path, char **ret, size_t *ret_len,
		     struct diag *d)
{
	struct stat st;

	return read_in_root(root, path, ret, ret_len, &st, d);
}

/* A NUL byte means binary data: the parsers read C strings and would stop there silently. */
static int check_text(const char *path, const char *buf, size_t len, struct diag *d)
{
	const char *nul = memchr(buf, '\0', len), *p;
	struct loc loc = { path, 1, 1 };

	if (!nul)
		return 0;
	for (p = buf; p < nul; p++) {
		if (*p == '\n') {
			loc.line++;
			loc.col = 1;
		} else {
			loc.col++;
		}
	}
	diag_warn(d, &loc, "NUL byte: binary data, not a configuration file, ignoring the file");
	return -EINVAL;
}

static const char *read_error(int r)
{
	switch (r) {
	case -EINVAL:
		return "not a regular file";
	case -EXDEV:
		return "a symlink that leads outside the root";
	default:
		return strerror(-r);
	}
}

/* Reads a host file for a parser: 0, -ENOENT (silently), -ENOMEM, or -errno (warned). */
static int load(const char *root, const char *path, char **ret, struct stat *ret_st, struct diag *d)
{
	struct loc loc = { path, 0, 0 };
	size_t len;
	char *buf;
	int r;

	r = read_in_root(root, path, &buf, &len, ret_st, d);
	if (r == -ENOENT || r == -ENOMEM || r == -EFBIG)
		return r;
	if (r < 0) {
		diag_warn(d, &loc, "%s, ignoring", read_error(r));
		return r;
	}
	/* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage): set when read_in_root returned 0 */
	r = check_text(path, buf, len, d);
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	return 0;
}

/* ---- directory listings ---------------------------------------------------------------- */

static bool is_masked(int dfd, const char *name)
{
	char target[sizeof("/dev/null")];
	ssize_t n;

	n = readlinkat(dfd, name, target, sizeof(target));
	return n == sizeof(target) - 1 && !memcmp(target, "/dev/null", (size_t)n);
}

static bool is_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static bool listing_has(const struct listing *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return true;
	return false;
}

/* Adds the names in dir matching pattern that no earlier directory had. */
static int list_dir(const char *root, const char *dir, size_t index, const char *pattern,
		    struct listing *l, struct diag *d)
{
	struct loc loc = { dir, 0, 0 };
	struct dirent *de;
	DIR *dp;
	int fd;

	fd = open_in_root(root, dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		if (fd != -ENOENT)
			diag_warn(d, &loc, "cannot list: %s, ignoring", strerror(-fd));
		return fd == -ENOMEM ? fd : 0;
	}
	dp = fdopendir(fd);
	if (!dp) {
		close(fd);
		return -ENOMEM;
	}
	while ((de = readdir(dp))) {
		/* FNM_PERIOD: hidden files are left out, as glob(3) and systemd leave them out */
		if (fnmatch(pattern, de->d_name, FNM_PERIOD) || listing_has(l, de->d_name))
			continue;
		/* the name goes into messages and evidence: never a terminal escape */
		if (!is_printable(de->d_name)) {
			diag_warn(d, &loc, "a file name that is not printable ASCII, ignoring");
			continue;
		}
		if (l->n == NET_MAX_FILES) {
			diag_warn(d, &loc, "more than %d files, ignoring the rest", NET_MAX_FILES);
			break;
		}
		snprintf(l->v[l->n].name, sizeof(l->v[l->n].name), "%s", de->d_name);
		l->v[l->n].dir = index;
		l->v[l->n++].masked = is_masked(dirfd(dp), de->d_name);
	}
	closedir(dp);
	return 0;
}

static int listed_cmp(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->name, ((const struct listed *)b)->name);
}

/* Lists dirs in order (earlier directories win a name), sorted by name. *ret: free() it. */
static int list_dirs(const char *root, const char *const *dirs, size_t n_dirs, const char *pattern,
		     struct listing **ret, struct diag *d)
{
	struct listing *l;
	size_t i;
	int r;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	for (i = 0; i < n_dirs; i++) {
		r = list_dir(root, dirs[i], i, pattern, l, d);
		if (r < 0) {
			free(l);
			return r;
		}
	}
	qsort(l->v, l->n, sizeof(l->v[0]), listed_cmp);
	*ret = l;
	return 0;
}

static int path_join(char *buf, size_t len, const char *dir, const char *name)
{
	int n;

	n = snprintf(buf, len, "%s/%s", strcmp(dir, "/") ? dir : "", name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* ---- chrony and ntpd: a configuration and its includes --------------------------------- */

static bool walk_seen(struct walk *w, const struct stat *st)
{
	size_t i;

	for (i = 0; i < w->n_files; i++)
		if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
			return true;
	return false;
}

static int walk_ref(void *ctx, enum conf_ref kind, const char *const *args, size_t n_args,
		    const struct loc *loc);

/* Records that a client's configuration is there, and whether systemd starts the client. */
static int client_evidence(struct detection *det, const char *root, const struct ntp_client *c,
			   const char *path)
{
	char text[NET_MAX_PATH + 64];
	const char *const *link;
	int fd;

	for (link = c->wants; *link; link++) {
		/* O_PATH | O_NOFOLLOW: the enablement link itself, wherever it points */
		fd = open_in_root(root, *link, O_PATH | O_NOFOLLOW);
		if (fd >= 0) {
			close(fd);
			break;
		}
	}
	snprintf(text, sizeof(text), "configuration found; %s%s",
		 *link ? "enabled: " : "no systemd enablement link found", *link ? *link : "");
	return detect_evidence(det, "ntp-client", c->name, path, text);
}

/* Parses a file read by walk_file(); the servers it and its includes name, or -ENOMEM. */
static int walk_parse(struct walk *w, const char *path, const char *buf, unsigned int flags,
		      const struct stat *st)
{
	int r;

	w->seen[w->n_files].dev = st->st_dev;
	w->seen[w->n_files++].ino = st->st_ino;
	w->depth++;
	if (w->client->ntpd)
		r = detect_parse_ntp_conf(w->det, path, buf, walk_ref, w, w->d);
	else
		r = detect_parse_chrony_conf(w->det, path, buf, flags, walk_ref, w, w->d);
	w->depth--;
	if (r > 0)
		w->n_servers += r;
	return r;
}

/* Reads one file (from: the directive naming it; NULL at the top). 1 if read, 0, -ENOMEM. */
static int walk_file(struct walk *w, const char *path, unsigned int flags, const struct loc *from)
{
	struct stat st;
	char *buf;
	int r;

	if (w->depth >= NET_MAX_DEPTH || w->n_files >= NET_MAX_FILES) {
		diag_warn(w->d, from,
			  "'%s' not read: more than %d levels of includes or %d files, "
			  "ignoring",
			  path, NET_MAX_DEPTH, NET_MAX_FILES);
		return 0;
	}
	r = load(w->root, path, &buf, &st, w->d);
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	if (walk_seen(w, &st)) {
		if (from)
			diag_warn(w->d, from, "'%s' is read already (an include loop?), ignoring",
				  path);
		free(buf);
		return 0;
	}
	r = from ? 0 : client_evidence(w->det, w->root, w->client, path);
	if (r == 0)
		r = walk_parse(w, path, buf, flags, &st);
	free(buf);
	return r < 0 ? r : 1;
}

/* Parses the files of a listing in name order. 0 or -ENOMEM. */
static int walk_listing(struct walk *w, const char *const *dirs, size_t n_dirs, const char *pattern,
			unsigned int flags, const struct loc *from)
{
	char path[NET_MAX_PATH + NAME_MAX + 2];
	struct listing *l = NULL;
	size_t i;
	int r;

	r = list_dirs(w->root, dirs, n_dirs, pattern, &l, w->d);
	for (i = 0; r >= 0 && i < l->n; i++) {
		if (l->v[i].masked ||
		    path_join(path, sizeof(path), dirs[l->v[i].dir], l->v[i].name) < 0)
			continue;
		r = walk_file(w, path, flags, from);
	}
	free(l);
	return r < 0 ? r : 0;
}

/* chrony confdir/sourcedir: the matching files of up to CHRONY_MAX_DIRS directories. */
static int walk_dirs(struct walk *w, const char *const *args, size_t n_args, const char *pattern,
		     unsigned int flags, const struct loc *from)
{
	char dirs[CHRONY_MAX_DIRS][NET_MAX_PATH];
	const char *dp[CHRONY_MAX_DIRS], *why;
	size_t i, n = 0;

	for (i = 0; i < n_args && i < CHRONY_MAX_DIRS; i++) {
		if (detect_parse_conf_path(args[i], dirs[n], sizeof(dirs[n]), &why) < 0) {
			diag_warn(w->d, from, "'%s': %s, ignoring", args[i], why);
			continue;
		}
		if (strpbrk(dirs[n], "*?[")) {
			diag_warn(w->d, from,
				  "'%s': wildcards in directory names are not "
				  "followed, ignoring",
				  args[i]);
			continue;
		}
		dp[n] = dirs[n];
		n++;
	}
	return walk_listing(w, dp, n, pattern, flags, from);
}

/* chrony include: a path whose file name may hold wildcards (glob(3) in chrony). */
static int walk_include(struct walk *w, const char *arg, const struct loc *from)
{
	char path[NET_MAX_PATH], *slash;
	const char *why, *dir;
	int r;

	if (detect_parse_conf_path(arg, path, sizeof(path), &why) < 0) {
		diag_warn(w->d, from, "include '%s': %s, ignoring", arg, why);
		return 0;
	}
	slash = strrchr(path, '/');
	*slash = '\0';
	if (strpbrk(path, "*?[")) {
		diag_warn(w->d, from,
			  "include '%s': wildcards in directory names are not "
			  "followed, ignoring",
			  arg);
		return 0;
	}
	if (!strpbrk(slash + 1, "*?[")) {
		*slash = '/';
		r = walk_file(w, path, 0, from);
		return r < 0 ? r : 0;
	}
	dir = path[0] ? path : "/";
	return walk_listing(w, &dir, 1, slash + 1, 0, from);
}

/* ntpd includefile: a file, or (ntpsec) the *.conf files of a directory. */
static int walk_includefile(struct walk *w, const char *arg, const struct loc *from)
{
	char path[NET_MAX_PATH];
	const char *why, *dir = path;
	int fd, r;

	if (detect_parse_conf_path(arg, path, sizeof(path), &why) < 0) {
		diag_warn(w->d, from, "includefile '%s': %s, ignoring", arg, why);
		return 0;
	}
	fd = open_in_root(w->root, path, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		close(fd);
		return walk_listing(w, &dir, 1, "*.conf", 0, from);
	}
	r = walk_file(w, path, 0, from);
	return r < 0 ? r : 0;
}

static int walk_ref(void *ctx, enum conf_ref kind, const char *const *args, size_t n_args,
		    const struct loc *loc)
{
	struct walk *w = ctx;

	switch (kind) {
	case CONF_INCLUDE:
		return walk_include(w, args[0], loc);
	case CONF_CONFDIR:
		return walk_dirs(w, args, n_args, "*.conf", 0, loc);
	case CONF_SOURCEDIR:
		return walk_dirs(w, args, n_args, "*.sources", CHRONY_SOURCES, loc);
	case CONF_INCLUDEFILE:
		return walk_includefile(w, args[0], loc);
	}
	return 0;
}

/* ---- NTP clients ------------------------------------------------------------------------ */

/* chrony or ntpd: every configuration file it may read, with its includes. */
static int detect_client(struct detection *det, const char *root, const struct ntp_client *c,
			 bool *found, struct diag *d)
{
	struct walk w = { .det = det, .root = root, .d = d, .client = c };
	int before, r;
	size_t i;

	for (i = 0; c->conf[i]; i++) {
		before = w.n_servers;
		r = walk_file(&w, c->conf[i], 0, NULL);
		if (r < 0)
			return r;
		*found |= r > 0;
		if (r > 0 && w.n_servers == before)
			r = detect_evidence(det, fact_names[FACT_NTP_SERVERS], NULL, c->conf[i],
					    "no server, pool or peer line in it or its includes");
		if (r < 0)
			return r;
	}
	return 0;
}

/* One timesyncd file: 1 if read, 0 if not there or unreadable, or -ENOMEM. */
static int timesyncd_file(struct detection *det, const char *root, struct timesyncd_state *st,
			  const char *path, struct diag *d)
{
	struct stat sb;
	char *buf;
	int r;

	r = load(root, path, &buf, &sb, d);
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	r = detect_parse_timesyncd_conf(det, st, path, buf, d);
	free(buf);
	return r < 0 ? r : 1;
}

/*
 * The main file (the first found), then the drop-ins in name order; first gets the path
 * of the first file read. The number of files read, or -ENOMEM.
 */
static int timesyncd_files(struct detection *det, const char *root, struct timesyncd_state *st,
			   char *first, size_t len, struct diag *d)
{
	const size_t n_dirs = sizeof(timesyncd_dropins) / sizeof(timesyncd_dropins[0]);
	char path[NET_MAX_PATH + NAME_MAX + 2];
	struct listing *l = NULL;
	int r = 0, n;
	size_t i;

	for (i = 0; timesyncd_main[i] && r == 0; i++)
		r = timesyncd_file(det, root, st, timesyncd_main[i], d);
	if (r < 0)
		return r;
	if (r > 0)
		snprintf(first, len, "%s", timesyncd_main[i - 1]);
	n = r;
	r = list_dirs(root, timesyncd_dropins, n_dirs, "*.conf", &l, d);
	for (i = 0; r >= 0 && i < l->n; i++) {
		if (l->v[i].masked ||
		    path_join(path, sizeof(path), timesyncd_dropins[l->v[i].dir], l->v[i].name) < 0)
			continue;
		r = timesyncd_file(det, root, st, path, d);
		if (r > 0 && n++ == 0)
			snprintf(first, len, "%s", path);
	}
	free(l);
	return r < 0 ? r : n;
}

static int detect_timesyncd(struct detection *det, const char *root, bool *found, struct diag *d)
{
	char first[NET_MAX_PATH + NAME_MAX + 2];
	struct timesyncd_state *st;
	int r;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	r = timesyncd_files(det, root, st, first, sizeof(first), d);
	if (r > 0) {
		*found = true;
		r = client_evidence(det, root, &timesyncd, first);
		if (r == 0)
			r = detect_timesyncd_record(det, st, first, d);
	}
	free(st);
	return r < 0 ? r : 0;
}

int detect_ntp(struct detection *det, const char *root, struct diag *d)
{
	bool found = false;
	int r;

	r = detect_client(det, root, &chrony, &found, d);
	if (r == 0)
		r = detect_timesyncd(det, root, &found, d);
	if (r == 0)
		r = detect_client(det, root, &ntpd, &found, d);
	if (r < 0 || found)
		return r;
	return detect_evidence(det, fact_names[FACT_NTP_SERVERS], NULL,
			       "/etc/chrony/chrony.conf /etc/chrony.conf "
			       "/etc/systemd/timesyncd.conf /etc/ntpsec/ntp.conf /etc/ntp.conf",
			       "no NTP client configuration found; configure ntp-servers");
}

/* ---- DNS ------------------------------------------------------------------------------- */

/* systemd-resolved's upstream servers, when /etc/resolv.conf points at its stub. */
static int detect_resolved(struct detection *det, const char *root, struct diag *d)
{
	const char *fact = fact_names[FACT_DNS_SERVERS];
	struct stat st;
	bool stub;
	char *buf;
	int r;

	r = load(root, RESOLVED_UPSTREAM, &buf, &st, d);
	if (r < 0)
		return r == -ENOMEM ?
			       r :
			       detect_evidence(det, fact, NULL, RESOLVED_UPSTREAM,
					       r == -ENOENT ?
						       "not found: the stub's upstream servers are "
						       "unknown; configure dns-servers" :
						       "unreadable: the stub's upstream servers are "
						       "unknown; configure dns-servers");
	r = detect_parse_resolv_conf(det, RESOLVED_UPSTREAM, buf, RESOLV_UPSTREAM, &stub, d);
	free(buf);
	if (r != 0)
		return r < 0 ? r : 0;
	return detect_evidence(det, fact, NULL, RESOLVED_UPSTREAM,
			       "no nameserver line: systemd-resolved knows no upstream server; "
			       "configure dns-servers");
}

int detect_dns(struct detection *det, const char *root, struct diag *d)
{
	const char *fact = fact_names[FACT_DNS_SERVERS];
	struct stat st;
	bool stub;
	char *buf;
	int r;

	r = load(root, RESOLV_CONF, &buf, &st, d);
	if (r < 0)
		return r == -ENOMEM ?
			       r :
			       detect_evidence(det, fact, NULL, RESOLV_CONF,
					       r == -ENOENT ?
						       "not found: glibc then queries 127.0.0.1 "
						       "(loopback, allowed by the loopback rule)" :
						       "unreadable, see the warning");
	r = detect_parse_resolv_conf(det, RESOLV_CONF, buf, 0, &stub, d);
	free(buf);
	if (r < 0)
		return r;
	if (r == 0)
		return detect_evidence(det, fact, NULL, RESOLV_CONF,
				       "no nameserver line: glibc then queries 127.0.0.1 "
				       "(loopback, allowed by the loopback rule)");
	return stub ? detect_resolved(det, root, d) : 0;
}
