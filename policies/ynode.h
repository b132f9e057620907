/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A YAML file as a small tree with source positions. Built from libyaml's event API so
 * that anchors/aliases (and the billion-laughs expansion they allow) are refused
 * up front, duplicate keys are caught, and sizes stay bounded. Only this file and
 * ynode.c see yaml.h.
 */
#ifndef FLOWGUARD_YNODE_H
#define FLOWGUARD_YNODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "sha256.h"

/* Bounds on untrusted input: a real config is a few KiB; the catalog ~40 KiB. */
#define YAML_MAX_BYTES (1024 * 1024)
/* The status file: 10,000+ addresses and 1024 explained flows fit. */
#define YAML_MAX_STATUS_BYTES (16 * 1024 * 1024)
#define YAML_MAX_DEPTH 32
#define YAML_MAX_NODES 200000

enum ynode_type { YN_SCALAR, YN_SEQ, YN_MAP };

/* 40 bytes: a list of 10,000 addresses is as many nodes, and each new page costs a fault. */
struct ynode {
	struct loc loc;
	char *value;	      /* YN_SCALAR: the text */
	struct ynode **items; /* YN_SEQ: items; YN_MAP: key, value, key, value, ... */
	uint32_t n;	      /* number of items (a map has n/2 pairs); at most YAML_MAX_NODES */
	enum ynode_type type : 8;
	bool plain; /* YN_SCALAR: unquoted (so "null" or "123" may be typed) */
};

struct yarena;

struct ydoc {
	char *file;
	struct ynode *root; /* NULL for an empty document */
	/* The nodes, their item arrays and texts: freed together (texts of a yimage aside). */
	struct yarena *arena;
	/*
	 * The file's bytes as parsed, kept until ydoc_sha256() hashes them: only check, status
	 * and metrics show the hash, and hashing a 150 KB drop-in was a tenth of an apply.
	 */
	char *buf;	   /* owned: the bytes read from the file; NULL once hashed */
	const char *bytes; /* buf, or an image's bytes */
	size_t len;
	bool hashed;
	uint8_t sha256[SHA256_LEN]; /* valid once hashed */
};

/*
 * A YAML file parsed at build time (policies/gen/catgen.c writes policies/yimages.c for
 * the catalogs): the file's exact bytes and its tree, flattened. ydoc_load() of a file
 * whose bytes equal an image's builds the tree from it instead of running libyaml, which
 * was most of the work of loading the 47 KB catalog. Any other byte makes it a miss.
 */
struct yimage_node {
	uint8_t type; /* enum ynode_type */
	uint8_t plain;
	uint32_t line, col;
	uint32_t value;	   /* YN_SCALAR: offset of its text in strings */
	uint32_t first, n; /* items: yimage.items[first .. first + n) */
};

struct yimage {
	const char *source; /* the file it was made from, for the record */
	const char *bytes;
	size_t len;
	const struct yimage_node *nodes; /* nodes[0] is the root; none: an empty document */
	size_t n_nodes;
	const uint32_t *items; /* node indexes */
	size_t n_items;
	char *strings; /* scalars' texts, each NUL-terminated; never written */
};

extern const struct yimage yimages[];
extern const size_t yimages_n;

/* Parses buf (len bytes) named file. On error returns -EINVAL with diagnostics in d. */
int ydoc_parse(const char *file, const char *buf, size_t len, struct ydoc **ret, struct diag *d);
struct stat;
/* Vets an opened file before it is read (ownership, mode); 0 or -errno, reported. */
typedef int (*ydoc_check_fn)(const char *path, const struct stat *st, void *userdata);
/* Reads and parses path; check may be NULL. -errno on I/O error (reported in d too). */
int ydoc_load(const char *path, ydoc_check_fn check, void *userdata, struct ydoc **ret,
	      struct diag *d);
/* The same with another size limit than YAML_MAX_BYTES (files the agent wrote itself). */
int ydoc_load_max(const char *path, size_t max, ydoc_check_fn check, void *userdata,
		  struct ydoc **ret, struct diag *d);
void ydoc_free(struct ydoc *doc);
/* SHA-256 of the file's bytes, computed on the first call (the bytes are then freed). */
const uint8_t *ydoc_sha256(struct ydoc *doc);
/*
 * Refuses what another user could have written (it decides what the host may reach): a
 * file or directory not owned by root, or writable by group or others. 0 or -EPERM,
 * reported in d. The _cb form is a ydoc_check_fn whose userdata is the struct diag.
 */
int ydoc_check_perms(const char *path, const struct stat *st, struct diag *d);
int ydoc_check_perms_cb(const char *path, const struct stat *st, void *userdata);

/* Returns the value for key in a map, or NULL. */
const struct ynode *ymap_get(const struct ynode *map, const char *key);
/* Reports every key of map not in allowed (NULL-terminated), with a "did you mean" hint. */
void ymap_check_keys(const struct ynode *map, const char *const *allowed, const char *what,
		     struct diag *d);
/*
 * Returns the allowed[] entry closest to s (a small edit distance for its length), or NULL.
 * An entry that differs from s only in case is the closest of all.
 */
const char *closest_word(const char *s, const char *const *allowed);
/*
 * "; did you mean 'x'?" for the closest_word() of s into buf, with "(only the case differs)"
 * after it when that is the only difference; "" when nothing is close. Returns buf.
 */
const char *closest_hint(const char *s, const char *const *allowed, char *buf, size_t len);

/* Typed access; each reports a located error and returns -EINVAL on a type mismatch. */
int ynode_expect(const struct ynode *n, enum ynode_type type, const char *what, struct diag *d);
int ynode_str(const struct ynode *n, const char *what, const char **ret, struct diag *d);
int ynode_uint(const struct ynode *n, const char *what, uint64_t min, uint64_t max, uint64_t *ret,
	       struct diag *d);
/* Index of the value in names (NULL-terminated). */
int ynode_enum(const struct ynode *n, const char *what, const char *const *names, int *ret,
	       struct diag *d);
/*
 * A list (or, with scalar_ok, one value) of names[] entries as a bit mask (1U << index).
 * Reports every unknown and repeated entry.
 */
int ynode_enum_mask(const struct ynode *n, const char *what, const char *const *names,
		    bool scalar_ok, unsigned int *ret, struct diag *d);
/* A list of 1..max ports, each 1-65535, into ports[]. */
int ynode_ports(const struct ynode *n, uint16_t *ports, size_t max, size_t *ret_n, struct diag *d);
/* true or false. */
int ynode_bool(const struct ynode *n, const char *what, bool *ret, struct diag *d);
/* Seconds from "90", "30s", "5m", "2h" or "1d", within [min, max]. */
int ynode_duration(const struct ynode *n, const char *what, uint64_t min, uint64_t max,
		   uint64_t *ret, struct diag *d);

#endif
