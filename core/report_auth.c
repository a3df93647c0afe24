/* core/report_auth.c — the report pieces of the authoritative servers and
 * of reverse DNS: the "authoritative" array and "authoritative_zone"
 * object, the per-address "ptr" object and their text (core/report.h).
 * Rendering layer (see mx_int.h): reads the model's values, computes
 * nothing the findings depend on. */
#include "mx_auth.h"
#include "mx_int.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *list_json(char *const *l, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, mx_json_text(l[i], strlen(l[i])));
	return arr;
}

json_t *mx_auth_json(const mx_auth *a)
{
	json_t *arr;

	if (!a)
		return NULL;
	arr = json_array();
	for (size_t i = 0; arr && i < a->nsrv; i++) {
		const mx_auth_server *s = &a->srv[i];
		json_t *o = json_object();
		json_object_set_new(o, "ns", mx_json_text(s->ns, strlen(s->ns)));
		json_object_set_new(o, "ip", mx_json_text(s->ip, strlen(s->ip)));
		json_object_set_new(o, "serial",
		                    s->has_serial ? json_integer(s->serial) : json_null());
		json_object_set_new(o, "rcode", json_string(mx_rcode_str(s->rc)));
		json_object_set_new(o, "aa", json_boolean(s->aa));
		json_object_set_new(o, "mx", list_json(s->mx, s->nmx));
		json_object_set_new(o, "mx_rcode", json_string(mx_rcode_str(s->mx_rc)));
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *mx_auth_zone_json(const mx_auth *a)
{
	json_t *o;

	if (!a || !(o = json_object()))
		return NULL;
	json_object_set_new(o, "zone", mx_json_text(a->zone, strlen(a->zone)));
	json_object_set_new(o, "ns_rcode", json_string(mx_rcode_str(a->ns_rc)));
	json_object_set_new(o, "resolver_rcode", json_string(mx_rcode_str(a->resolver_rc)));
	json_object_set_new(o, "resolver_mx", list_json(a->resolver_mx, a->nresolver_mx));
	json_object_set_new(o, "resolver_ttl", json_integer(a->resolver_ttl));
	return o;
}

/* The first word of the greeting (the name the host calls itself), or "". */
static void banner_name(const probe_result *r, char *out, size_t cap)
{
	size_t n = r && r->greeting ? strcspn(r->greeting, " \r\n") : 0;

	out[0] = '\0';
	if (n && n < cap) {
		memcpy(out, r->greeting, n);
		out[n] = '\0';
	}
}

static bool banner_in_ptr(const mx_ptr *p, const char *banner)
{
	for (size_t i = 0; i < p->nnames; i++)
		if (mxi_name_eq(p->names[i], banner))
			return true;
	return false;
}

json_t *mx_ptr_json(const mx_ptr *p, const probe_result *probe)
{
	json_t *o;
	char banner[256];

	if (!p)
		return NULL;
	o = json_object();
	json_object_set_new(o, "names", list_json(p->names, p->nnames));
	json_object_set_new(o, "forward_confirmed", json_boolean(p->forward_confirmed));
	json_object_set_new(o, "rcode", json_string(mx_rcode_str(p->rc)));
	banner_name(probe, banner, sizeof(banner));
	if (banner[0])
		json_object_set_new(o, "banner_matches", json_boolean(banner_in_ptr(p, banner)));
	return o;
}

char *mx_ptr_text(const mx_ptr *p, const probe_result *probe)
{
	char names[512], banner[256], *out = NULL;

	if (!p)
		return NULL;
	mxi_join(names, sizeof(names), p->names, p->nnames);
	banner_name(probe, banner, sizeof(banner));
	if (p->nnames == 0) {
		if (asprintf(&out, "PTR none (%s)", mx_rcode_str(p->rc)) < 0)
			out = NULL;
	} else if (asprintf(&out, "PTR %s (%sforward-confirmed)%s%s%s", names,
	                    p->forward_confirmed ? "" : "not ", banner[0] ? "; greets as " : "",
	                    banner,
	                    !banner[0]                 ? ""
	                    : banner_in_ptr(p, banner) ? ", the same"
	                                               : ", another name") < 0) {
		out = NULL;
	}
	return out;
}

char *mx_auth_text(const mx_auth *a)
{
	char *out = NULL, mx[512];
	size_t len = 0;
	FILE *f;

	if (!a || !(f = open_memstream(&out, &len)))
		return NULL;
	fprintf(f, "Authoritative servers of %s (NS %s)\n", a->zone, mx_rcode_str(a->ns_rc));
	for (size_t i = 0; i < a->nsrv; i++) {
		const mx_auth_server *s = &a->srv[i];
		mxi_join(mx, sizeof(mx), s->mx, s->nmx);
		fprintf(f, "  %-28s %-39s ", s->ns, s->ip);
		if (s->has_serial)
			fprintf(f, "serial %-10u", s->serial);
		else
			fprintf(f, "serial %-10s", "-");
		fprintf(f, " %s%s  MX %s\n", mx_rcode_str(s->rc), s->aa ? " aa" : "",
		        s->mx_rc == MX_RC_OK ? mx : mx_rcode_str(s->mx_rc));
	}
	if (a->nsrv == 0)
		fprintf(f, "  (no name server address to ask)\n");
	mxi_join(mx, sizeof(mx), a->resolver_mx, a->nresolver_mx);
	if (a->resolver_rc == MX_RC_OK)
		fprintf(f,
		        "  resolver (cached)  MX %s  ttl %u: mail will follow a new MX in at "
		        "most %u s\n",
		        mx, a->resolver_ttl, a->resolver_ttl);
	else
		fprintf(f, "  resolver (cached)  MX %s\n", mx_rcode_str(a->resolver_rc));
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
