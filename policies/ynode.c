/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "fileread.h"
#include "prefault.h"
#include "ynode.h"

/* Every scalar key seen, by (map, text): one hash table for the whole document. */
struct key_slot {
	const struct ynode *map, *key; /* key NULL: empty slot */
};

struct builder {
	struct ydoc *doc;
	struct diag *d;
	struct ynode *stack[YAML_MAX_DEPTH + 1];
	/*
	 * The items of the open collections, innermost last; stack[i]'s start at base[i]. A
	 * collection gets its array in the arena once it ends, at its final size: arrays grown
	 * by doubling in the arena left the old ones there, twice the memory of a long list.
	 */
	struct ynode **pending;
	size_t base[YAML_MAX_DEPTH + 1];
	size_t n_pending, cap_pending;
	unsigned int depth;
	size_t n_nodes;
	bool failed;
	struct key_slot *keys;
	size_t n_keys, cap_keys; /* cap_keys: a power of two, at most half full */
};

/*
 * A tree's memory in a few large zeroed chunks: a node and its text were two allocations
 * each and as many frees, most of the cost of loading and freeing a long list beyond
 * libyaml's own.
 */
struct yarena {
	struct yarena *next;
	size_t used, cap;
	max_align_t data[];
};

#define ARENA_MIN (16 * 1024)
#define ARENA_MAX (1024 * 1024)

/* n zeroed bytes aligned to align (a power of two) that live until ydoc_free(); NULL on OOM. */
static void *arena_alloc(struct ydoc *doc, size_t n, size_t align)
{
	struct yarena *a = doc->arena;
	size_t cap, at = a ? (a->used + align - 1) & ~(align - 1) : 0;

	if (!a || at > a->cap || a->cap - at < n) {
		cap = a ? (a->cap < ARENA_MAX ? a->cap * 2 : ARENA_MAX) : ARENA_MIN;
		if (cap < n)
			cap = n; /* a long list's item array or a long text: a chunk of its own */
		/*
		 * Not calloc(), nor one memset() of the chunk: each allocation is zeroed as it
		 * is handed out, so the part of the last chunk the document does not reach
		 * is mapped, not written to: on these VMs a first write to a page is the cost.
		 */
		a = malloc(sizeof(*a) + cap);
		if (!a)
			return NULL;
		prefault_write(a, sizeof(*a) + cap);
		a->cap = cap;
		a->next = doc->arena;
		doc->arena = a;
		at = 0;
	}
	a->used = at + n;
	return memset((char *)a->data + at, 0, n);
}

void ydoc_free(struct ydoc *doc)
{
	struct yarena *a, *next;

	if (!doc)
		return;
	for (a = doc->arena; a; a = next) {
		next = a->next;
		free(a);
	}
	free(doc->buf);
	free(doc->file);
	free(doc);
}

const uint8_t *ydoc_sha256(struct ydoc *doc)
{
	if (!doc->hashed) {
		sha256_buf(doc->bytes, doc->len, doc->sha256);
		doc->hashed = true;
		free(doc->buf);
		doc->buf = NULL;
		doc->bytes = NULL;
	}
	return doc->sha256;
}

static void mark_loc(const struct builder *b, const yaml_mark_t *m, struct loc *ret)
{
	ret->file = b->doc->file;
	ret->line = (unsigned int)m->line + 1;
	ret->col = (unsigned int)m->column + 1;
}

/* Continuation bytes after lead byte c: 0-3, or 4 for a byte no sequence starts with. */
static size_t utf8_need(unsigned char c)
{
	return c < 0x80		  ? 0 :
	       (c & 0xe0) == 0xc0 ? 1 :
	       (c & 0xf0) == 0xe0 ? 2 :
	       (c & 0xf8) == 0xf0 ? 3 :
				    4;
}

/*
 * Offset of the first byte that is not valid UTF-8, or len. ASCII goes 8 bytes at a time:
 * a byte-by-byte loop that also counted lines was a tenth of loading 10,000 addresses.
 */
static size_t utf8_bad_at(const unsigned char *s, size_t len)
{
	size_t i = 0, k, need;
	uint64_t w;

	while (i < len) {
		if (i + sizeof(w) <= len) {
			memcpy(&w, s + i, sizeof(w));
			if (!(w & 0x8080808080808080ULL)) {
				i += sizeof(w);
				continue;
			}
		}
		need = utf8_need(s[i]);
		if (need == 4 || s[i] == 0xc0 || s[i] == 0xc1 || (need && i + need >= len))
			return i;
		for (k = 1; k <= need; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
		i += need + 1;
	}
	return len;
}

/* Reports the first byte that is not valid UTF-8 (libyaml's message has no position). */
static int check_utf8(const char *file, const unsigned char *s, size_t len, struct diag *d)
{
	size_t bad = utf8_bad_at(s, len), i;
	struct loc loc = { file, 1, 1 };

	if (bad == len)
		return 0;
	/* Its line and column (in characters): everything before it is valid. */
	for (i = 0; i < bad; i += utf8_need(s[i]) + 1, loc.col++) {
		if (s[i] == '\n') {
			loc.line++;
			loc.col = 0;
		}
	}
	diag_err(d, &loc, "invalid UTF-8 byte 0x%02x (the file must be UTF-8 text)", s[bad]);
	return -EINVAL;
}

static int attach(struct builder *b, struct ynode *n)
{
	struct ynode **pending;
	size_t ncap;

	if (++b->n_nodes > YAML_MAX_NODES) {
		diag_err(b->d, &n->loc, "document has more than %d nodes", YAML_MAX_NODES);
		return -E2BIG;
	}
	if (b->depth == 0) {
		b->doc->root = n;
		return 0;
	}
	if (b->n_pending == b->cap_pending) {
		ncap = b->cap_pending ? b->cap_pending * 2 : 64;
		pending = realloc(b->pending, ncap * sizeof(*pending));
		if (!pending)
			return -ENOMEM;
		b->pending = pending;
		b->cap_pending = ncap;
	}
	b->pending[b->n_pending++] = n;
	b->stack[b->depth - 1]->n++;
	return 0;
}

/* The collection on top of the stack is complete: its items move to the arena. */
static int close_collection(struct builder *b)
{
	struct ynode *c;
	size_t first;

	if (!b->depth) /* an end without a start: libyaml never sends one */
		return -EINVAL;
	c = b->stack[--b->depth];
	first = b->base[b->depth];
	b->n_pending = first;
	if (!c->n)
		return 0;
	c->items = arena_alloc(b->doc, c->n * sizeof(*c->items), _Alignof(struct ynode *));
	if (!c->items)
		return -ENOMEM;
	memcpy(c->items, b->pending + first, c->n * sizeof(*c->items));
	return 0;
}

/* FNV-1a of the key's text, mixed with its map's address. */
static size_t key_hash(const struct ynode *map, const char *s)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)map;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 32));
}

/* The slot of (map, text): where it is, or the empty one where it would go. */
static struct key_slot *key_find(const struct builder *b, const struct ynode *map, const char *s)
{
	size_t mask = b->cap_keys - 1, i = key_hash(map, s) & mask;

	while (b->keys[i].key && (b->keys[i].map != map || strcmp(b->keys[i].key->value, s)))
		i = (i + 1) & mask;
	return &b->keys[i];
}

static int keys_grow(struct builder *b)
{
	struct key_slot *old = b->keys;
	size_t i, old_cap = b->cap_keys;

	b->cap_keys = old_cap ? old_cap * 2 : 64;
	b->keys = calloc(b->cap_keys, sizeof(*b->keys));
	if (!b->keys) {
		b->keys = old;
		b->cap_keys = old_cap;
		return -ENOMEM;
	}
	for (i = 0; i < old_cap; i++)
		if (old[i].key)
			*key_find(b, old[i].map, old[i].key->value) = old[i];
	free(old);
	return 0;
}

/*
 * A duplicate key silently overrides the first in most YAML readers; we refuse it. A hash
 * of the keys seen keeps this linear: comparing each key with its map's earlier ones took
 * seconds for a map of 90,000 keys (a status file may be 16 MiB).
 */
static int check_duplicate_key(struct builder *b, const struct ynode *key)
{
	const struct ynode *map = b->stack[b->depth - 1];
	struct key_slot *slot;

	if (map->type != YN_MAP || map->n % 2 == 0 || key->type != YN_SCALAR)
		return 0;
	if (2 * (b->n_keys + 1) > b->cap_keys && keys_grow(b) < 0)
		return -ENOMEM;
	slot = key_find(b, map, key->value);
	if (slot->key) {
		diag_err(b->d, &key->loc, "duplicate key '%s' (first at line %u)", key->value,
			 slot->key->loc.line);
		return -EINVAL;
	}
	slot->map = map;
	slot->key = key;
	b->n_keys++;
	return 0;
}

static struct ynode *node_new(struct builder *b, enum ynode_type type, const yaml_mark_t *m)
{
	struct ynode *n = arena_alloc(b->doc, sizeof(*n), _Alignof(struct ynode));

	if (!n)
		return NULL;
	n->type = type;
	mark_loc(b, m, &n->loc);
	return n;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	size_t len = ev->data.scalar.length;
	struct ynode *n;
	int r;

	n = node_new(b, YN_SCALAR, &ev->start_mark);
	if (!n)
		return -ENOMEM;
	n->value = arena_alloc(b->doc, len + 1, 1); /* zeroed: the NUL is there */
	if (!n->value)
		return -ENOMEM;
	memcpy(n->value, ev->data.scalar.value, len);
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	/* Only an escape in a double-quoted string makes one: libyaml refuses a raw NUL. */
	if (ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE &&
	    memchr(n->value, '\0', len)) {
		diag_err(b->d, &n->loc, "NUL byte in a string");
		return -EINVAL;
	}
	r = attach(b, n);
	if (r < 0)
		return r;
	return b->depth ? check_duplicate_key(b, n) : 0;
}

static int on_start(struct builder *b, enum ynode_type type, const yaml_event_t *ev)
{
	struct ynode *n;
	int r;

	n = node_new(b, type, &ev->start_mark);
	if (!n)
		return -ENOMEM;
	if (b->depth >= YAML_MAX_DEPTH) {
		diag_err(b->d, &n->loc, "nesting deeper than %d levels", YAML_MAX_DEPTH);
		return -E2BIG;
	}
	r = attach(b, n);
	if (r < 0)
		return r;
	b->base[b->depth] = b->n_pending;
	b->stack[b->depth++] = n;
	return 0;
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
	struct loc loc;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, YN_SEQ, ev);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, YN_MAP, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return close_collection(b);
	case YAML_ALIAS_EVENT:
		mark_loc(b, &ev->start_mark, &loc);
		diag_err(b->d, &loc, "YAML aliases ('*%s') are not supported",
			 (const char *)ev->data.alias.anchor);
		return -EINVAL;
	case YAML_DOCUMENT_START_EVENT:
		if (!b->doc->root)
			return 0;
		mark_loc(b, &ev->start_mark, &loc);
		diag_err(b->d, &loc, "more than one YAML document in the file");
		return -EINVAL;
	default:
		return 0;
	}
}

static int anchor_check(struct builder *b, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL;
	struct loc loc;

	if (ev->type == YAML_SCALAR_EVENT)
		anchor = ev->data.scalar.anchor;
	else if (ev->type == YAML_SEQUENCE_START_EVENT)
		anchor = ev->data.sequence_start.anchor;
	else if (ev->type == YAML_MAPPING_START_EVENT)
		anchor = ev->data.mapping_start.anchor;
	if (!anchor)
		return 0;
	mark_loc(b, &ev->start_mark, &loc);
	diag_err(b->d, &loc, "YAML anchors ('&%s') are not supported", (const char *)anchor);
	return -EINVAL;
}

static void syntax_error(struct builder *b, const yaml_parser_t *p)
{
	struct loc loc;

	mark_loc(b, &p->problem_mark, &loc);
	if (p->error == YAML_READER_ERROR) {
		loc.line = 0;
		diag_err(b->d, &loc, "%s at byte %zu", p->problem ? p->problem : "read error",
			 p->problem_offset);
	} else if (p->context) {
		diag_err(b->d, &loc, "YAML syntax error: %s %s (line %zu)", p->problem, p->context,
			 p->context_mark.line + 1);
	} else {
		diag_err(b->d, &loc, "YAML syntax error: %s", p->problem ? p->problem : "unknown");
	}
}

static int build(struct builder *b, yaml_parser_t *p)
{
	yaml_event_t ev;
	bool done = false;
	int r = 0;

	while (!done) {
		if (!yaml_parser_parse(p, &ev)) {
			syntax_error(b, p);
			return -EINVAL;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		r = anchor_check(b, &ev);
		if (r == 0)
			r = on_event(b, &ev);
		yaml_event_delete(&ev);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_max(const char *file, const char *buf, size_t len, size_t max, struct ydoc **ret,
		     struct diag *d)
{
	struct builder b = { .d = d };
	yaml_parser_t p;
	struct loc loc = { file, 0, 0 };
	int r;

	if (len > max) {
		diag_err(d, &loc, "file is %zu bytes, larger than the limit of %zu", len, max);
		return -E2BIG;
	}
	r = check_utf8(file, (const unsigned char *)buf, len, d);
	if (r < 0)
		return r;
	b.doc = calloc(1, sizeof(*b.doc));
	if (!b.doc || !(b.doc->file = strdup(file))) {
		free(b.doc);
		return -ENOMEM;
	}
	if (!yaml_parser_initialize(&p)) {
		ydoc_free(b.doc);
		return -ENOMEM;
	}
	/*
	 * A node takes a few bytes of text at least, so len / 8 slots hold the items of a long
	 * list: grown by doubling instead, its copies took 20 of the 210 page faults of an
	 * apply of 10,000 addresses. Pages the list does not reach are never touched.
	 */
	b.cap_pending = len / 8 + 64;
	b.pending = malloc(b.cap_pending * sizeof(*b.pending));
	if (!b.pending) {
		yaml_parser_delete(&p);
		ydoc_free(b.doc);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	r = build(&b, &p);
	yaml_parser_delete(&p);
	free(b.keys);
	free(b.pending);
	if (r < 0) {
		ydoc_free(b.doc);
		return r == -ENOMEM ? r : -EINVAL;
	}
	*ret = b.doc;
	return 0;
}

int ydoc_parse(const char *file, const char *buf, size_t len, struct ydoc **ret, struct diag *d)
{
	int r = parse_max(file, buf, len, YAML_MAX_BYTES, ret, d);

	/* buf is the caller's: hashed now, while it is there. */
	if (r == 0) {
		(*ret)->bytes = buf;
		(*ret)->len = len;
		ydoc_sha256(*ret);
	}
	return r;
}

static const struct yimage *image_find(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < yimages_n; i++)
		/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): file_read_bounded() set buf */
		if (yimages[i].len == len && !memcmp(yimages[i].bytes, buf, len))
			return &yimages[i];
	return NULL;
}

/* The tree of im as ydoc_parse() would build it, in the arena; scalars point into im. */
static int doc_from_image(const char *file, const struct yimage *im, struct ydoc **ret)
{
	struct ydoc *doc = calloc(1, sizeof(*doc));
	struct ynode *nodes, **items;
	size_t i, k;

	if (!doc || !(doc->file = strdup(file)))
		goto fail;
	doc->bytes = im->bytes;
	doc->len = im->len;
	if (!im->n_nodes) {
		*ret = doc;
		return 0;
	}
	nodes = arena_alloc(doc, im->n_nodes * sizeof(*nodes), _Alignof(struct ynode));
	items = arena_alloc(doc, (im->n_items ? im->n_items : 1) * sizeof(*items),
			    _Alignof(struct ynode *));
	if (!nodes || !items)
		goto fail;
	for (k = 0; k < im->n_items; k++)
		items[k] = &nodes[im->items[k]];
	for (i = 0; i < im->n_nodes; i++) {
		const struct yimage_node *in = &im->nodes[i];
		struct ynode *n = &nodes[i];

		n->type = (enum ynode_type)in->type;
		n->loc = (struct loc){ doc->file, in->line, in->col };
		n->value = in->type == YN_SCALAR ? im->strings + in->value : NULL;
		n->plain = in->plain;
		n->items = in->n ? &items[in->first] : NULL;
		n->n = in->n;
	}
	doc->root = &nodes[0];
	*ret = doc;
	return 0;
fail:
	ydoc_free(doc);
	return -ENOMEM;
}

static int load_fd(int fd, const char *path, size_t max, ydoc_check_fn check, void *userdata,
		   struct ydoc **ret, struct diag *d)
{
	struct loc loc = { path, 0, 0 };
	const struct yimage *im;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (fstat(fd, &st) < 0) {
		r = -errno;
		diag_err(d, &loc, "cannot stat: %s", strerror(-r));
		return r;
	}
	/* A FIFO would block the reader (check, reload, status, suggest) forever. */
	if (!S_ISREG(st.st_mode)) {
		diag_err(d, &loc, "not a regular file");
		return -EINVAL;
	}
	/* fstat of the open file: what is checked is what is read. */
	if (check) {
		r = check(path, &st, userdata);
		if (r < 0)
			return r;
	}
	if ((size_t)st.st_size > max) {
		diag_err(d, &loc, "file is %lld bytes, larger than the limit of %zu",
			 (long long)st.st_size, max);
		return -E2BIG;
	}
	r = file_read_bounded(fd, max, 0, &buf, &len);
	if (r == -EFBIG) { /* it grew since fstat */
		diag_err(d, &loc, "file is larger than the limit of %zu", max);
		return -E2BIG;
	}
	if (r < 0) {
		diag_err(d, &loc, "cannot read: %s", strerror(-r));
		return r;
	}
	im = len <= max ? image_find(buf, len) : NULL;
	r = im ? doc_from_image(path, im, ret) : parse_max(path, buf, len, max, ret, d);
	if (r == 0 && !im) {
		(*ret)->buf = buf;
		(*ret)->bytes = buf;
		(*ret)->len = len;
		return 0;
	}
	free(buf);
	return r;
}

int ydoc_load_max(const char *path, size_t max, ydoc_check_fn check, void *userdata,
		  struct ydoc **ret, struct diag *d)
{
	struct loc loc = { path, 0, 0 };
	int fd, r;

	/* O_NONBLOCK: opening a FIFO with no writer would wait for one (fstat refuses it). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		diag_err(d, &loc, "cannot open: %s", strerror(-r));
		return r;
	}
	r = load_fd(fd, path, max, check, userdata, ret, d);
	close(fd);
	return r;
}

int ydoc_load(const char *path, ydoc_check_fn check, void *userdata, struct ydoc **ret,
	      struct diag *d)
{
	return ydoc_load_max(path, YAML_MAX_BYTES, check, userdata, ret, d);
}

const struct ynode *ymap_get(const struct ynode *map, const char *key)
{
	size_t i;

	if (!map || map->type != YN_MAP)
		return NULL;
	for (i = 0; i + 1 < map->n; i += 2)
		if (map->items[i]->type == YN_SCALAR && !strcmp(map->items[i]->value, key))
			return map->items[i + 1];
	return NULL;
}

static unsigned int edit_distance(const char *a, const char *b)
{
	unsigned int row[64], i, j, prev, tmp;
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 63 || lb >= 63)
		return UINT_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = a[i - 1] == b[j - 1] ?
					 prev :
					 1 + (prev < row[j] ?
						      (prev < row[j - 1] ? prev : row[j - 1]) :
						      (row[j] < row[j - 1] ? row[j] : row[j - 1]));
			prev = tmp;
		}
	}
	return row[lb];
}

const char *closest_word(const char *s, const char *const *allowed)
{
	/* Short words are all close to each other: 'xx-9' is no typo of 'us-1'. */
	size_t len = strlen(s);
	unsigned int best = len <= 8 ? 3 : 4, dist;
	const char *hit = NULL;

	for (; *allowed; allowed++) {
		if (!strcasecmp(s, *allowed))
			return *allowed;
		dist = edit_distance(s, *allowed);
		if (dist < best) {
			best = dist;
			hit = *allowed;
		}
	}
	return hit;
}

const char *closest_hint(const char *s, const char *const *allowed, char *buf, size_t len)
{
	const char *hit = closest_word(s, allowed);

	if (!hit)
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, "; did you mean '%s'?%s", hit,
			 strcasecmp(s, hit) ? "" : " (only the case differs)");
	return buf;
}

static bool word_in(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

void ymap_check_keys(const struct ynode *map, const char *const *allowed, const char *what,
		     struct diag *d)
{
	const struct ynode *k;
	char hint[128];
	size_t i;

	for (i = 0; map && map->type == YN_MAP && i < map->n; i += 2) {
		k = map->items[i];
		if (k->type != YN_SCALAR) {
			diag_err(d, &k->loc, "%s: keys must be plain strings", what);
			continue;
		}
		if (word_in(k->value, allowed))
			continue;
		diag_err(d, &k->loc, "unknown key '%s' in %s%s", k->value, what,
			 closest_hint(k->value, allowed, hint, sizeof(hint)));
	}
}

static const char *type_name(enum ynode_type t)
{
	return t == YN_SCALAR ? "a single value" : t == YN_SEQ ? "a list" : "a mapping";
}

int ynode_expect(const struct ynode *n, enum ynode_type type, const char *what, struct diag *d)
{
	if (n->type == type)
		return 0;
	if (n->type == YN_SCALAR)
		diag_err(d, &n->loc, "%s must be %s, not '%s'", what, type_name(type), n->value);
	else
		diag_err(d, &n->loc, "%s must be %s, not %s", what, type_name(type),
			 type_name(n->type));
	return -EINVAL;
}

int ynode_str(const struct ynode *n, const char *what, const char **ret, struct diag *d)
{
	if (ynode_expect(n, YN_SCALAR, what, d) < 0)
		return -EINVAL;
	*ret = n->value;
	return 0;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	*ret = v;
	return *end ? (int)(end - s) : 0; /* >0: index of the first non-digit */
}

int ynode_uint(const struct ynode *n, const char *what, uint64_t min, uint64_t max, uint64_t *ret,
	       struct diag *d)
{
	uint64_t v;
	int r;

	if (ynode_expect(n, YN_SCALAR, what, d) < 0)
		return -EINVAL;
	r = parse_u64(n->value, &v);
	if (r != 0 && r != -ERANGE) {
		diag_err(d, &n->loc, "%s must be a number, not '%s'", what, n->value);
		return -EINVAL;
	}
	if (r == -ERANGE || v < min || v > max) {
		diag_err(d, &n->loc, "%s '%s' is out of range (%llu-%llu)", what, n->value,
			 (unsigned long long)min, (unsigned long long)max);
		return -ERANGE;
	}
	*ret = v;
	return 0;
}

int ynode_enum(const struct ynode *n, const char *what, const char *const *names, int *ret,
	       struct diag *d)
{
	char hint[128];
	int i;

	if (ynode_expect(n, YN_SCALAR, what, d) < 0)
		return -EINVAL;
	if (!n->value[0]) {
		diag_err(d, &n->loc, "%s needs a value", what);
		return -EINVAL;
	}
	for (i = 0; names[i]; i++) {
		if (!strcmp(n->value, names[i])) {
			*ret = i;
			return 0;
		}
	}
	diag_err(d, &n->loc, "unknown %s '%s'%s", what, n->value,
		 closest_hint(n->value, names, hint, sizeof(hint)));
	return -EINVAL;
}

int ynode_bool(const struct ynode *n, const char *what, bool *ret, struct diag *d)
{
	static const char *const names[] = { "false", "true", NULL };
	int v = 0;

	if (ynode_enum(n, what, names, &v, d) < 0)
		return -EINVAL;
	*ret = v == 1;
	return 0;
}

int ynode_duration(const struct ynode *n, const char *what, uint64_t min, uint64_t max,
		   uint64_t *ret, struct diag *d)
{
	static const char units[] = "smhd";
	static const uint64_t mult[] = { 1, 60, 3600, 86400 };
	const char *u;
	uint64_t v;
	int r;

	if (ynode_expect(n, YN_SCALAR, what, d) < 0)
		return -EINVAL;
	r = parse_u64(n->value, &v);
	if (r > 0 && n->value[r + 1] == '\0' && (u = strchr(units, n->value[r])) != NULL) {
		r = v > UINT64_MAX / mult[u - units] ? -ERANGE : 0;
		v *= mult[u - units];
	}
	if (r != 0) {
		diag_err(d, &n->loc, "%s must be a duration such as 30s, 5m, 2h or 1d, not '%s'",
			 what, n->value);
		return -EINVAL;
	}
	if (v < min || v > max) {
		diag_err(d, &n->loc, "%s '%s' is out of range (%llus-%llus)", what, n->value,
			 (unsigned long long)min, (unsigned long long)max);
		return -ERANGE;
	}
	*ret = v;
	return 0;
}

int ynode_ports(const struct ynode *n, uint16_t *ports, size_t max, size_t *ret_n, struct diag *d)
{
	uint64_t v = 0;
	size_t i;
	int r = 0;

	if (ynode_expect(n, YN_SEQ, "ports", d) < 0)
		return -EINVAL;
	if (n->n == 0 || n->n > max) {
		diag_err(d, &n->loc, "ports: give 1 to %zu ports", max);
		return -EINVAL;
	}
	for (i = 0; i < n->n; i++) {
		if (ynode_uint(n->items[i], "port", 1, 65535, &v, d) < 0)
			r = -EINVAL;
		ports[i] = (uint16_t)v;
	}
	if (r == 0)
		*ret_n = n->n;
	return r;
}

int ynode_enum_mask(const struct ynode *n, const char *what, const char *const *names,
		    bool scalar_ok, unsigned int *ret, struct diag *d)
{
	const struct ynode *const *items = &n;
	unsigned int mask = 0;
	size_t i, count = 1;
	int idx, r = 0;

	if (n->type == YN_SEQ) {
		items = (const struct ynode *const *)n->items;
		count = n->n;
	} else if (!scalar_ok && ynode_expect(n, YN_SEQ, what, d) < 0) {
		return -EINVAL;
	}
	for (i = 0; i < count; i++) {
		if (ynode_enum(items[i], what, names, &idx, d) < 0) {
			r = -EINVAL;
			continue;
		}
		if (mask & (1U << idx))
			diag_err(d, &items[i]->loc, "%s '%s' listed twice", what, names[idx]);
		mask |= 1U << idx;
	}
	if (r == 0 && !mask) {
		diag_err(d, &n->loc, "%s: empty list", what);
		r = -EINVAL;
	}
	if (r == 0)
		*ret = mask;
	return r;
}

int ydoc_check_perms(const char *path, const struct stat *st, struct diag *d)
{
	struct loc loc = { path, 0, 0 };

	if (st->st_uid != 0) {
		diag_err(d, &loc, "refusing a %s owned by uid %u, not root",
			 S_ISDIR(st->st_mode) ? "directory" : "file", (unsigned)st->st_uid);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		diag_err(d, &loc, "refusing a %s writable by %s (mode %04o); chmod go-w",
			 S_ISDIR(st->st_mode) ? "directory" : "file",
			 st->st_mode & S_IWOTH ? "others" : "its group",
			 (unsigned)(st->st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/*
 * Every directory above path, to "/": whoever can write one of them can swap the file
 * for their own. Root's and not writable by group or others; or root's and sticky (as
 * /tmp is), where only root may rename what root owns below it.
 */
static int check_parents(const char *path, struct diag *d)
{
	char dir[PATH_MAX], *slash;
	struct stat st;
	bool top = false;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	while (!top && (slash = strrchr(dir, '/'))) {
		top = slash == dir;
		slash[top] = '\0'; /* "/etc/x" -> "/etc", "/etc" -> "/" */
		/* The file itself was opened: a parent that cannot be stat'ed tells nothing. */
		if (stat(dir, &st) < 0 || (st.st_uid == 0 && (st.st_mode & S_ISVTX)))
			continue;
		if (ydoc_check_perms(dir, &st, d) < 0)
			return -EPERM;
	}
	return 0;
}

int ydoc_check_perms_cb(const char *path, const struct stat *st, void *userdata)
{
	int r = ydoc_check_perms(path, st, userdata);

	return r < 0 ? r : check_parents(path, userdata);
}
