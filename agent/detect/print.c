/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The two reports of "flowguard detect": for a person, and as JSON for tools and tests. */
#include <errno.h>
#include <string.h>

#include "agent/util/json.h"
#include "agent/detect/detect.h"

const char *const detect_comm_names[] = { "agent-initiated", "manager-initiated", "bidirectional",
					  NULL };

static void json_roles(FILE *out, unsigned int roles)
{
	const char *sep = "";
	size_t i;

	fputs("  \"roles\": [", out);
	for (i = 0; i < ROLE_MAX; i++) {
		if (!(roles & (1U << i)))
			continue;
		fputs(sep, out);
		json_str(out, role_names[i]);
		sep = ", ";
	}
	fputs("],\n", out);
}

static void json_facts(FILE *out, const struct detection *det)
{
	const char *sep = "\n";
	size_t i, k;

	fputs("  \"facts\": {", out);
	for (i = 0; i < FACT_MAX; i++) {
		const struct endpoint_list *l = &det->lists[i];

		if (!l->n)
			continue;
		fprintf(out, "%s    ", sep);
		json_str(out, fact_names[i]);
		fputs(": [", out);
		for (k = 0; k < l->n; k++) {
			char buf[300];

			/* host:port where a port was found (a proxy); [v6]:port for IPv6 */
			if (l->v[k].port)
				snprintf(buf, sizeof(buf),
					 strchr(l->v[k].text, ':') ? "[%s]:%u" : "%s:%u",
					 l->v[k].text, l->v[k].port);
			else
				snprintf(buf, sizeof(buf), "%s", l->v[k].text);
			fputs(k ? ", " : "", out);
			json_str(out, buf);
		}
		fputs("]", out);
		sep = ",\n";
	}
	fputs(*sep == ',' ? "\n  },\n" : "},\n", out);
}

static void json_evidence(FILE *out, const struct detection *det)
{
	size_t i;

	fputs("  \"evidence\": [", out);
	for (i = 0; i < det->n_ev; i++) {
		const struct evidence *ev = &det->ev[i];

		fputs(i ? ",\n    {\"fact\": " : "\n    {\"fact\": ", out);
		json_str(out, ev->fact);
		fputs(", \"value\": ", out);
		json_str(out, ev->value);
		fputs(", \"source\": ", out);
		json_str(out, ev->source);
		fputs(", \"note\": ", out);
		json_str(out, ev->note);
		fputs("}", out);
	}
	fputs(det->n_ev ? "\n  ],\n" : "],\n", out);
}

static void json_conflicts(FILE *out, const struct detection *det)
{
	size_t i;

	fputs("  \"conflicts\": [", out);
	for (i = 0; i < det->n_conflicts; i++) {
		const struct fw_conflict *c = &det->conflicts[i];

		fputs(i ? ",\n    {\"where\": " : "\n    {\"where\": ", out);
		json_str(out, c->where);
		fputs(", \"hook\": ", out);
		json_str(out, c->hook);
		fprintf(out, ", \"priority\": %d, \"policy\": ", c->priority);
		json_str(out, c->policy);
		fputs(", \"meaning\": ", out);
		json_str(out, c->meaning);
		fputs("}", out);
	}
	fputs(det->n_conflicts ? "\n  ]\n" : "]\n", out);
}

int detection_print_json(const struct detection *det, FILE *out)
{
	fputs("{\n", out);
	json_roles(out, det->roles);
	fputs("  \"region\": ", out);
	json_str(out, det->region);
	fprintf(out, ",\n  \"legacy_dsaas\": %s,\n  \"communication\": ",
		det->legacy_dsaas ? "true" : "false");
	json_str(out, det->comm_known ? detect_comm_names[det->comm] : NULL);
	fputs(",\n  \"manager_url\": ", out);
	json_str(out, det->manager_url);
	fputs(",\n", out);
	json_facts(out, det);
	json_evidence(out, det);
	json_conflicts(out, det);
	fputs("}\n", out);
	return ferror(out) ? -EIO : 0;
}

static void print_roles(FILE *out, unsigned int roles)
{
	size_t i;
	bool any = false;

	fputs("roles:         ", out);
	for (i = 0; i < ROLE_MAX; i++) {
		if (roles & (1U << i)) {
			fprintf(out, "%s%s", any ? ", " : "", role_names[i]);
			any = true;
		}
	}
	fputs(any ? "\n" : "none detected (configure one: roles: [agent])\n", out);
}

int detection_print(const struct detection *det, FILE *out)
{
	size_t i;

	print_roles(out, det->roles);
	fprintf(out, "region:        %s\n", det->region ? det->region : "not detected");
	fprintf(out, "manager URL:   %s%s\n", det->manager_url ? det->manager_url : "not found",
		det->legacy_dsaas ? " (legacy Deep Security as a Service)" : "");
	fprintf(out, "communication: %s\n",
		det->comm_known ? detect_comm_names[det->comm] : "no evidence (config decides)");
	fputs("\nevidence:\n", out);
	for (i = 0; i < det->n_ev; i++) {
		const struct evidence *ev = &det->ev[i];

		fprintf(out, "  %-18s %s", ev->fact, ev->value ? ev->value : "(not found)");
		fprintf(out, "  [%s]%s%s\n", ev->source, ev->note ? "  " : "",
			ev->note ? ev->note : "");
	}
	if (det->n_conflicts)
		fputs("\nother firewalls that can drop what flowguard allows:\n", out);
	for (i = 0; i < det->n_conflicts; i++) {
		const struct fw_conflict *c = &det->conflicts[i];

		/* The meaning already names hook, priority and policy in plain words. */
		fprintf(out, "  %s:\n    %s\n", c->where, c->meaning);
	}
	return ferror(out) ? -EIO : 0;
}
