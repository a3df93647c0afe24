/* core/record_dns.c — what DNS and the policy fetch said beside the MX walk,
 * read back from a recorded line (record_int.h): the DNSSEC status of the MX
 * answer, the MTA-STS TXT and policy, the TLS-RPT record, each host's TLSA
 * records, each address's reverse DNS and the zone's authoritative servers.
 * They go into the model through the setters the live stages use, so the
 * analysis derives the same findings and sender walks from them. */
#include "record_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx_auth.h"
#include "policy.h"

#define REC_MAX_TLSA     64
#define REC_TLSA_LEN_MAX (2 * 65535 + 16) /* "3 1 1 " and the hex of the largest RDATA */
#define REC_TXT_MAX      4096             /* a TXT record's text as shown */

static const char *dnssec_word(int i)
{
	return mx_dnssec_str((mx_dnssec)i);
}
static const char *mode_word(int i)
{
	return policy_mode_str((policy_mode)i);
}

/* An optional member that must be an object (or null / missing: *v NULL). */
static mxs_status get_object(rd *r, json_t *o, const char *key, json_t **v)
{
	*v = json_object_get(o, key);
	if (*v && json_is_null(*v))
		*v = NULL;
	if (*v && !json_is_object(*v))
		return rec_fail(r, key, "expected an object");
	return MXS_OK;
}

/* An optional text without NULs, at most max bytes (*s NULL when none). */
static mxs_status get_text(rd *r, json_t *o, const char *key, size_t max, const char **s)
{
	size_t len;
	mxs_status st = rec_get_str(r, o, key, false, s, &len);

	if (st == MXS_OK && *s && (len > max || strlen(*s) != len))
		return rec_fail(r, key, "longer than %zu bytes, or holds a NUL", max);
	return st;
}

mxs_status rec_read_tlsa(rd *r, mx_domain *d, size_t hi, json_t *o)
{
	mxs_status st = MXS_OK;
	const char **recs = NULL;
	size_t nrecs = 0, n;
	bool secure = false;
	json_t *t;

	TRY(get_object(r, o, "tlsa", &t));
	if (!t)
		return MXS_OK;
	n = rec_push(r, "tlsa", (size_t)-1);
	st = rec_get_strings(r, t, "records", REC_MAX_TLSA, REC_TLSA_LEN_MAX, &recs, &nrecs);
	if (st == MXS_OK)
		st = rec_get_bool(r, t, "secure", &secure);
	if (st == MXS_OK)
		st = mx_host_set_tlsa(d, hi, recs, nrecs, secure);
	rec_pop(r, n);
	free(recs);
done:
	return st;
}

mxs_status rec_read_ptr(rd *r, mx_domain *d, size_t hi, size_t k, json_t *o)
{
	mxs_status st = MXS_OK;
	const char **names = NULL;
	size_t nnames = 0, n;
	mx_ptr *p = NULL;
	int rc = MX_RC_NOT_ASKED;
	json_t *v;

	TRY(get_object(r, o, "ptr", &v));
	if (!v)
		return MXS_OK;
	n = rec_push(r, "ptr", (size_t)-1);
	if (!(p = mx_ptr_new())) {
		st = MXS_ERR_NOMEM;
		goto out;
	}
	if (json_object_get(v, "rcode")) {
		if ((st = rec_word_of(r, v, "rcode", rec_rcode_word, MX_RC_ERROR + 1, &rc)) !=
		    MXS_OK)
			goto out;
		p->rc = (mx_rcode)rc;
	}
	if ((st = rec_get_bool(r, v, "forward_confirmed", &p->forward_confirmed)) != MXS_OK ||
	    (st = rec_get_strings(r, v, "names", MX_PTR_NAMES_MAX, MX_NAME_MAX, &names, &nnames)) !=
	        MXS_OK)
		goto out;
	for (size_t i = 0; i < nnames; i++)
		if ((st = rec_check_name(r, "names", names[i])) != MXS_OK ||
		    (st = mx_ptr_add_name(p, names[i])) != MXS_OK)
			goto out;
	/* banner_matches is derived from the greeting: not read */
	st = mx_host_set_ptr(d, hi, k, p);
	p = NULL;
out:
	mx_ptr_free(p);
	free(names);
	rec_pop(r, n);
done:
	return st;
}

/* "policy": {mode, mx: [...], max_age} into a new policy (*out). */
static mxs_status read_policy(rd *r, json_t *o, policy_sts **out)
{
	mxs_status st = MXS_OK;
	policy_sts *p = calloc(1, sizeof(*p));
	const char **mx = NULL;
	size_t nmx = 0;
	json_int_t age = 0;
	int mode = 0;

	*out = NULL;
	if (!p)
		return MXS_ERR_NOMEM;
	TRY(rec_word_of(r, o, "mode", mode_word, POLICY_MODE_ENFORCE + 1, &mode));
	p->mode = (policy_mode)mode;
	TRY(rec_get_int(r, o, "max_age", true, 0, POLICY_MAX_AGE_MAX, &age));
	p->max_age = (unsigned long)age;
	TRY(rec_get_strings(r, o, "mx", POLICY_MX_MAX, MX_NAME_MAX, &mx, &nmx));
	if (nmx && !(p->mx = calloc(nmx, sizeof(*p->mx)))) {
		st = MXS_ERR_NOMEM;
		goto done;
	}
	for (size_t i = 0; i < nmx; i++)
		TRY(rec_check_name(r, "mx", mx[i]));
	for (; p->nmx < nmx; p->nmx++)
		if (!(p->mx[p->nmx] = strdup(mx[p->nmx]))) {
			st = MXS_ERR_NOMEM;
			goto done;
		}
	*out = p;
	p = NULL;
done:
	free(mx);
	policy_free(p);
	return st;
}

static mxs_status read_mta_sts(rd *r, mx_domain *d, json_t *o)
{
	mxs_status st = MXS_OK;
	const char *txt, *id, *error;
	policy_sts *p = NULL;
	json_t *pol;

	TRY(get_text(r, o, "txt", REC_TXT_MAX, &txt));
	TRY(get_text(r, o, "id", REC_TXT_MAX, &id));
	TRY(get_text(r, o, "error", REC_TXT_MAX, &error));
	TRY(get_object(r, o, "policy", &pol));
	if (pol) {
		size_t n = rec_push(r, "policy", (size_t)-1);
		st = read_policy(r, pol, &p);
		rec_pop(r, n);
		if (st != MXS_OK)
			goto done;
	}
	st = mx_domain_set_mta_sts(d, txt, id, p, error); /* takes p */
done:
	return st;
}

/* "PREF HOST" as mx_auth_json writes it, into a kept-sorted list. */
static mxs_status read_mx_list(rd *r, json_t *o, const char *key, char ***list, size_t *nlist)
{
	const char **mx = NULL;
	size_t nmx = 0;
	mxs_status st = rec_get_strings(r, o, key, MX_AUTH_MX_MAX, MX_NAME_MAX + 8, &mx, &nmx);

	for (size_t i = 0; st == MXS_OK && i < nmx; i++) {
		unsigned pref;
		int used = 0;
		if (sscanf(mx[i], "%5u %n", &pref, &used) != 1 || used == 0 || pref > 65535 ||
		    !mx[i][used] || strchr(mx[i] + used, ' ')) {
			st = rec_fail(r, key, "entry %zu: expected \"PREFERENCE HOST\"", i);
			break;
		}
		st = rec_check_name(r, key, mx[i] + used);
		if (st != MXS_OK)
			break;
		st = mx_auth_add_mx(list, nlist, pref,
		                    strcmp(mx[i] + used, ".") == 0 ? "" : mx[i] + used);
	}
	free(mx);
	return st;
}

static mxs_status read_auth_server(rd *r, mx_auth *a, json_t *o)
{
	mxs_status st = MXS_OK;
	const char *ns, *ip;
	mx_auth_server *s;
	json_int_t serial = 0;
	int rc = MX_RC_NOT_ASKED, mrc = MX_RC_NOT_ASKED;

	if (!json_is_object(o))
		return rec_fail(r, NULL, "expected an object");
	TRY(get_text(r, o, "ns", MX_NAME_MAX, &ns));
	TRY(rec_check_name(r, "ns", ns));
	TRY(get_text(r, o, "ip", MX_IP_MAX - 1, &ip));
	if (!ns || !ip || !mx_ip_family(ip)) {
		st = rec_fail(r, ns ? "ip" : "ns", "missing, or not an address");
		goto done;
	}
	TRY(rec_word_of(r, o, "rcode", rec_rcode_word, MX_RC_ERROR + 1, &rc));
	if (json_object_get(o, "mx_rcode"))
		TRY(rec_word_of(r, o, "mx_rcode", rec_rcode_word, MX_RC_ERROR + 1, &mrc));
	TRY(mx_auth_add_server(a, ns, ip, &s));
	s->rc = (mx_rcode)rc;
	s->mx_rc = (mx_rcode)mrc;
	TRY(rec_get_bool(r, o, "aa", &s->aa));
	if (json_object_get(o, "serial") && !json_is_null(json_object_get(o, "serial"))) {
		TRY(rec_get_int(r, o, "serial", true, 0, UINT32_MAX, &serial));
		s->has_serial = true;
		s->serial = (uint32_t)serial;
	}
	st = read_mx_list(r, o, "mx", &s->mx, &s->nmx);
done:
	return st;
}

/* "authoritative" (the servers) and "authoritative_zone" (the zone asked
 * about and the resolver's cached answer beside them). */
static mxs_status read_auth(rd *r, mx_domain *d, json_t *root, json_t *servers)
{
	mxs_status st = MXS_OK;
	const char *zone = NULL;
	json_t *z;
	mx_auth *a = NULL;
	json_int_t ttl = 0;
	int rc = MX_RC_NOT_ASKED;
	size_t n;

	TRY(get_object(r, root, "authoritative_zone", &z));
	if (z) {
		TRY(get_text(r, z, "zone", MX_NAME_MAX, &zone));
		TRY(rec_check_name(r, "zone", zone));
	}
	if (!(a = mx_auth_new(zone ? zone : mx_domain_name(d)))) {
		st = MXS_ERR_NOMEM;
		goto done;
	}
	if (z) {
		n = rec_push(r, "authoritative_zone", (size_t)-1);
		if ((st = rec_word_of(r, z, "ns_rcode", rec_rcode_word, MX_RC_ERROR + 1, &rc)) ==
		    MXS_OK) {
			a->ns_rc = (mx_rcode)rc;
			st = rec_word_of(r, z, "resolver_rcode", rec_rcode_word, MX_RC_ERROR + 1,
			                 &rc);
		}
		if (st == MXS_OK) {
			a->resolver_rc = (mx_rcode)rc;
			st = rec_get_int(r, z, "resolver_ttl", false, 0, UINT32_MAX, &ttl);
		}
		a->resolver_ttl = (uint32_t)ttl;
		if (st == MXS_OK)
			st = read_mx_list(r, z, "resolver_mx", &a->resolver_mx, &a->nresolver_mx);
		rec_pop(r, n);
		if (st != MXS_OK)
			goto done;
	}
	for (size_t i = 0; i < json_array_size(servers); i++) {
		n = rec_push(r, "authoritative", i);
		TRY(read_auth_server(r, a, json_array_get(servers, i)));
		rec_pop(r, n);
	}
	mx_auth_sort(a);
	st = mx_domain_set_auth(d, a);
	a = NULL;
done:
	mx_auth_free(a);
	return st;
}

mxs_status rec_read_domain_dns(rd *r, mx_domain *d, json_t *root)
{
	mxs_status st = MXS_OK;
	const char *rpt;
	json_t *sts, *servers;
	int sec = 0;

	if (json_object_get(root, "dnssec") && !json_is_null(json_object_get(root, "dnssec"))) {
		TRY(rec_word_of(r, root, "dnssec", dnssec_word, MX_DNSSEC_INDETERMINATE + 1, &sec));
		TRY(mx_domain_set_dnssec(d, (mx_dnssec)sec));
	}
	TRY(get_object(r, root, "mta_sts", &sts));
	if (sts) {
		size_t n = rec_push(r, "mta_sts", (size_t)-1);
		st = read_mta_sts(r, d, sts);
		rec_pop(r, n);
		if (st != MXS_OK)
			goto done;
	}
	TRY(get_text(r, root, "tls_rpt", REC_TXT_MAX, &rpt));
	if (rpt)
		TRY(mx_domain_set_tls_rpt(d, rpt));
	TRY(rec_get_array(r, root, "authoritative", MX_AUTH_NS_MAX, &servers));
	if (servers)
		TRY(read_auth(r, d, root, servers));
done:
	return st;
}
