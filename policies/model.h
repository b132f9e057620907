/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The validated model: the vendor catalog (policies/catalog/swp.yaml) and this host's
 * configuration (/etc/flowguard/flowguard.yaml + conf.d/). Pure data.
 *
 * Strings are borrowed from the YAML trees the catalog / config own, so one *_free()
 * releases everything; struct loc points at the file and position an item came from.
 */
#ifndef FLOWGUARD_MODEL_H
#define FLOWGUARD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/ruleset.h"
#include "policies/diag.h"
#include "policies/ynode.h"

/* Role names are part of the config contract; the catalog describes them. */
enum fg_role {
	ROLE_ADMIN_WORKSTATION,
	ROLE_AGENT,
	ROLE_RELAY,
	ROLE_SIEM,
	ROLE_DC_GATEWAY,
	ROLE_SERVICE_GATEWAY,
	ROLE_API_CLIENT,
	ROLE_MAX
};
extern const char *const role_names[ROLE_MAX + 1];

/* Where a host destination's addresses come from (config today, detection later). */
enum host_fact {
	FACT_DNS_SERVERS,
	FACT_NTP_SERVERS,
	FACT_RELAYS,
	FACT_PROXY,
	FACT_SPS,
	FACT_SERVICE_GATEWAY,
	FACT_SYSLOG,
	FACT_VCENTER,
	FACT_AD,
	FACT_RELAY_CLIENTS,
	FACT_SYSLOG_AGENTS,   /* agents that forward syslog directly to this SIEM */
	FACT_DOWNLOAD_MIRROR, /* a local web server mirroring the Download Center */
	FACT_MAX
};
extern const char *const fact_names[FACT_MAX + 1];

enum dest_kind {
	DEST_FQDN,
	DEST_REGION_CIDRS,
	DEST_REGION_FQDN,
	DEST_HOST,
	DEST_LOCALHOST,
	DEST_ANY
};
enum flow_dir { DIR_EGRESS, DIR_INGRESS, DIR_LOCAL };

enum {
	PROTO_TCP = 1U << 0,
	PROTO_UDP = 1U << 1,
};

/* Built-in conditions of a flow's `when:`; catalog features follow as feature bits. */
enum {
	WHEN_DIRECT = 1U << 0,		  /* no proxy configured */
	WHEN_PROXY = 1U << 1,		  /* a proxy is configured */
	WHEN_MANAGER_INITIATED = 1U << 2, /* communication: manager-initiated or bidirectional */
	WHEN_SYSLOG_UDP = 1U << 3,	  /* syslog configured with transport udp */
	WHEN_SYSLOG_TLS = 1U << 4,	  /* syslog configured with transport tls */
};

/* A feature bit per catalog feature; bounds the catalog to 32 features. */
#define CAT_MAX_FEATURES 32
#define FLOW_MAX_PORTS 16
/* Per-region fqdn lists (regions.<r>.<key>) a region may name. */
#define CAT_REGION_LISTS 8

struct cat_name {
	const char *name; /* may contain "{region}" */
	const char *source;
	struct loc loc;
};

struct cat_dest {
	const char *id;
	const char *title;
	const char *description;
	enum dest_kind kind;
	enum host_fact fact; /* DEST_HOST */
	bool unset_any;	     /* DEST_HOST: no value means any address, not "skip the flow" */
	const char *key;     /* DEST_REGION_FQDN: the region's key naming an fqdn destination */
	struct cat_name *names;
	size_t n_names;
	struct loc loc;
};

struct cat_cidr {
	struct rs_addr addr;
	const char *source;
	struct loc loc;
};

struct cat_region {
	const char *code;
	const char *name;
	struct cat_cidr *cidrs;
	size_t n_cidrs;
	struct cat_region_list {
		const char *key;  /* a region-fqdn destination's key, e.g. endpoint-sensor */
		const char *dest; /* id of an fqdn destination */
		struct loc loc;
	} lists[CAT_REGION_LISTS];
	size_t n_lists;
	const char *also; /* another region whose ranges are allowed too */
	struct loc loc;
};

struct cat_flow {
	const char *id;
	unsigned int row;   /* vendor table row; 0: not a vendor row */
	unsigned int roles; /* 1U << enum fg_role */
	enum flow_dir dir;
	size_t peer; /* index into catalog.dests */
	unsigned int protos;
	uint16_t ports[FLOW_MAX_PORTS];
	size_t n_ports;
	bool port_configured; /* ports come from the entries of port_fact (else: ports) */
	enum host_fact port_fact;
	unsigned int when, unless; /* all of when must hold, none of unless */
	uint32_t when_features, unless_features;
	const char *description;
	const char *source;
	const char *confidence;
	struct loc loc;
};

struct cat_role {
	const char *title;
	const char *description;
	unsigned int includes; /* 1U << enum fg_role */
	unsigned int row;
	struct loc loc;
};

struct cat_feature {
	const char *id;
	const char *description;
};

struct catalog {
	struct ydoc *doc;
	const char *name;
	const char *version;
	struct cat_role roles[ROLE_MAX];
	struct cat_feature features[CAT_MAX_FEATURES];
	size_t n_features;
	struct cat_region *regions;
	size_t n_regions;
	struct cat_dest *dests;
	size_t n_dests;
	struct cat_flow *flows;
	size_t n_flows;
};

/* Loads and validates a catalog file. On failure returns -EINVAL (details in d). */
int catalog_load(const char *path, struct catalog **ret, struct diag *d);
/* The same; strict_perms (the default path) refuses a file others could write (-EPERM). */
int catalog_load_checked(const char *path, bool strict_perms, struct catalog **ret, struct diag *d);
void catalog_free(struct catalog *cat);
const struct cat_region *catalog_find_region(const struct catalog *cat, const char *code);
const struct cat_dest *catalog_find_dest(const struct catalog *cat, const char *id);
/* The fqdn destination a region names under key (regions.<r>.<key>), or NULL. */
const struct cat_dest *catalog_region_list(const struct catalog *cat, const struct cat_region *reg,
					   const char *key);
int catalog_find_feature(const struct catalog *cat, const char *id);

enum fg_mode { MODE_ENFORCE, MODE_AUDIT };
enum fg_ingress { INGRESS_OFF, INGRESS_AUDIT, INGRESS_ENFORCE };
enum fg_comm { COMM_AGENT_INITIATED, COMM_MANAGER_INITIATED, COMM_BIDIRECTIONAL };
enum fg_loopback { LOOPBACK_ALLOW, LOOPBACK_RESTRICT };
enum fg_syslog_transport { SYSLOG_UDP, SYSLOG_TLS };
enum { DHCP_V4 = 1U << 0, DHCP_V6 = 1U << 1 };

/* The longest host part endpoint_parse() takes, with its NUL (DNS names <= 253). */
#define ENDPOINT_TEXT_MAX 256

/*
 * An address, prefix or DNS name, with an optional port. Its text is its own (malloc'ed,
 * endpoint_clear() frees it): a list of 100,000 addresses with a name-sized buffer each was
 * most of the configuration's memory and of a large apply's page faults. A configuration's
 * endpoint whose text is the YAML scalar as written borrows that (endpoint_parse_borrow()):
 * the tree lives as long as the configuration, and 10,000 copies of it were 10,000 mallocs.
 */
struct endpoint {
	const char *text; /* the host part as written, without the port; NULL only when cleared */
	bool is_addr;	  /* addr is valid; otherwise text is an FQDN to resolve */
	bool is_wildcard; /* text is "*.domain": names below it, learned from DNS answers only */
	bool borrowed;	  /* text is the string endpoint_parse_borrow() took, not freed */
	struct rs_addr addr;
	uint16_t port; /* 0: none given */
	struct loc loc;
};

struct endpoint_list {
	struct endpoint *v;
	size_t n;
	bool is_auto; /* "auto": filled by detection */
	bool set;     /* given in some file */
};

struct allow_entry {
	const char *name;
	bool ingress; /* `from:` rather than `to:` */
	struct endpoint_list peers;
	uint16_t ports[FLOW_MAX_PORTS];
	size_t n_ports;
	unsigned int protos;
	struct loc loc;
};

/*
 * resolver.servers: at most this many. c-ares holds a UDP and a TCP socket per server and
 * the daemon polls what ares_getsock() reports (16): one limit for check and the resolver.
 */
#define RESOLVER_SERVERS_MAX 8

struct resolver_cfg {
	struct endpoint_list servers;
	uint64_t min_ttl, max_ttl; /* seconds: clamp of answer TTLs */
	uint64_t grace;		   /* seconds an address stays after leaving the answer */
	uint64_t max_stale;	   /* seconds last-good answers survive resolver failure */
	uint64_t max_addresses;	   /* per name; more is a warning, never silent truncation */
};

/* Blocked-flow reporting (issue 7): the final rules' NFLOG group and the kernel's rate. */
struct events_cfg {
	uint64_t log_group;   /* NFLOG group, 0-65535 */
	uint64_t log_rate;    /* packets per second the kernel passes up; burst is twice that */
	uint64_t max_tracked; /* aggregated (destination, port) entries kept; more are counted */
	uint64_t report_interval; /* seconds between summary lines of one flow's repeats */
};

/*
 * DNS answer harvest: the table copies the DNS answers this host receives from its
 * resolvers to NFLOG group log_group, and the agent adds the addresses of allowed names to
 * their sets. hold: the answers wait in NFQUEUE `queue` instead, at most hold_timeout_ms,
 * until the sets hold their addresses.
 */
struct harvest_cfg {
	bool enabled;
	uint64_t log_group; /* 0-65535; default blocked.log-group + 1 */
	bool log_group_set;
	uint64_t max_addresses; /* per name, learned from answers and held at once */
	bool hold;
	uint64_t queue; /* NFQUEUE number, 0-65535; default log_group */
	bool queue_set;
	uint64_t hold_timeout_ms; /* the longest an answer waits for its verdict */
	struct loc loc;		  /* the harvest key, for errors about it */
};

/* Prometheus textfile export; off while textfile is NULL. */
struct metrics_cfg {
	const char *textfile; /* absolute path, e.g. for node-exporter's textfile collector */
	uint64_t interval;    /* seconds between rewrites (counters are read then) */
	struct loc loc;
};

struct config {
	struct ydoc **docs;
	size_t n_docs;
	enum fg_mode mode;
	bool roles_auto;
	unsigned int roles;
	const char *region;		  /* NULL: auto */
	struct loc roles_loc, region_loc; /* where they were set (line 0: defaults) */
	struct loc mode_loc, ingress_loc;
	struct loc syslog_loc; /* a syslog mapping that lacks the server (line 0: none) */
	struct endpoint_list facts[FACT_MAX];
	enum fg_comm comm;
	bool comm_set; /* given in a file (else detection may decide) */
	enum fg_ingress ingress;
	enum fg_loopback loopback;
	enum fg_syslog_transport syslog_transport;
	unsigned int dhcp; /* DHCP_V4 | DHCP_V6: the client's lease traffic is allowed */
	const char *features[CAT_MAX_FEATURES];
	struct loc feature_locs[CAT_MAX_FEATURES];
	size_t n_features;
	struct resolver_cfg resolver;
	struct events_cfg events;
	struct harvest_cfg harvest;
	struct metrics_cfg metrics;
	struct allow_entry *allow;
	size_t n_allow;
};

/*
 * Loads path, then every .yaml file in the conf.d directory beside it, in name order; scalars in a later file
 * override, lists extend. strict_perms refuses files writable by group/others or not
 * owned by root (used for the real config path). With cat, also runs config_validate().
 * All errors of all files go to d.
 */
int config_load(const char *path, bool strict_perms, const struct catalog *cat, struct config **ret,
		struct diag *d);
void config_free(struct config *cfg);
/*
 * The configuration's identity: SHA-256 over the lower-case hex digest of each file read,
 * in load order, each followed by a newline. A shell gets the same in the main file's
 * directory with "sha256sum" of flowguard.yaml and then of every conf.d drop-in in C
 * collation order, piped through "cut -c1-64 | sha256sum". Each file is hashed on the
 * first call (ydoc_sha256()).
 */
void config_sha256(const struct config *cfg, char hex[SHA256_HEX_LEN]);
/* Cross-checks config against the catalog (regions, features). */
int config_validate(const struct config *cfg, const struct catalog *cat, struct diag *d);
/*
 * Parses "host", "host:port", "[2001:db8::1]:port", "10.0.0.0/8" and "*.domain" into *e
 * (DNS names in lower case). Returns 0, or a negative errno with a message for the user
 * in why (-ERANGE: host bits set).
 */
int endpoint_parse(const char *s, struct endpoint *e, const char **why);
/* The same, with e->text pointing to s when that is its text: s must outlive e. */
int endpoint_parse_borrow(const char *s, struct endpoint *e, const char **why);
/* Frees e's text, whatever endpoint_parse() returned; e may then be parsed again. */
void endpoint_clear(struct endpoint *e);
/* Clears every endpoint of l and frees its array; l is empty afterwards. */
void endpoint_list_clear(struct endpoint_list *l);
/* What an endpoint may be, per config key and host fact. */
enum {
	EP_ADDR = 1U << 0,   /* a single address */
	EP_PREFIX = 1U << 1, /* a CIDR */
	EP_NAME = 1U << 2,   /* a DNS name */
	EP_PORT = 1U << 3,   /* may carry :port */
	EP_NEED_PORT = 1U << 4,
	EP_WILDCARD = 1U << 5, /* "*.domain" (filled from DNS answers only) */
};
/* EP_* per host fact: its config key's rule, which detection and the facts file share. */
extern const unsigned int fact_kinds[FACT_MAX];
/* Why e is not of the kinds allowed ("must be a single address, not a prefix"), or NULL. */
const char *endpoint_kind_error(const struct endpoint *e, unsigned int allowed);
/* RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, not all
 * digits in the last label (that is a mistyped address). */
bool endpoint_name_valid(const char *s);
/* "*.domain" with domain a valid name: every name below it (see struct endpoint). */
bool endpoint_wildcard_valid(const char *s);

#endif
