/* core/ev_tlsrpt.c — an SMTP TLS report (RFC 8460 §4) as evidence (ev.h):
 * each policies[].failure-details[] entry is one item, standing for its
 * failed-session-count sessions. A "tlsa" policy's failures happen to DANE
 * senders, an "sts" policy's to MTA-STS senders (§4.3). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "ev.h"

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static void set(char *dst, size_t cap, const char *s)
{
	ev_copy(dst, cap, s, strlen(s));
}

/* §4.3's result types and where in the delivery each one fails */
static ev_phase phase_of(const char *result)
{
	static const struct {
		const char *type;
		ev_phase phase;
	} map[] = {
	    {"starttls-not-supported", EV_PH_STARTTLS},
	    {"dnssec-invalid", EV_PH_DNS},
	    {"certificate-host-mismatch", EV_PH_TLS_POLICY},
	    {"certificate-expired", EV_PH_TLS_POLICY},
	    {"certificate-not-trusted", EV_PH_TLS_POLICY},
	    {"validation-failure", EV_PH_TLS_POLICY},
	    {"tlsa-invalid", EV_PH_TLS_POLICY},
	    {"dane-required", EV_PH_TLS_POLICY},
	    {"sts-policy-fetch-error", EV_PH_TLS_POLICY},
	    {"sts-policy-invalid", EV_PH_TLS_POLICY},
	    {"sts-webpki-invalid", EV_PH_TLS_POLICY},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].type, result) == 0)
			return map[i].phase;
	return EV_PH_TLS_POLICY;
}

mxs_status ev_tlsrpt_parse(const char *doc, size_t len, const char *label, ev_item_fn fn, void *arg,
                           char **why)
{
	json_error_t err;
	json_t *o = json_loadb(doc, len, 0, &err), *pols, *pol;
	const char *start, *org;
	size_t i;

	if (!o || !json_is_object(o)) {
		mxs_why(why, "line %d: not JSON: %s", err.line, err.text);
		json_decref(o);
		return MXS_ERR_INVALID;
	}
	if (!json_is_array(pols = json_object_get(o, "policies"))) {
		mxs_why(why, "no \"policies\" list: not an RFC 8460 report");
		json_decref(o);
		return MXS_ERR_INVALID;
	}
	start = str(json_object_get(o, "date-range"), "start-datetime");
	org = str(o, "organization-name");
	json_array_foreach(pols, i, pol)
	{
		json_t *p = json_object_get(pol, "policy"), *fails, *f;
		const char *type = str(p, "policy-type"), *domain = str(p, "policy-domain");
		char tlsa[300] = "", sts[400] = "";
		size_t k, tl = 0, sl = 0;
		json_t *ps = json_object_get(p, "policy-string"), *rec;
		if (!json_is_array(fails = json_object_get(pol, "failure-details")))
			continue;
		if (strcmp(type, "tlsa") == 0 && json_is_array(ps))
			json_array_foreach(ps, k, rec)
			{
				const char *r = json_string_value(rec);
				if (r && tl < sizeof(tlsa))
					tl += (size_t)snprintf(tlsa + tl, sizeof(tlsa) - tl, "%s%s",
					                       tl ? "; " : "", r);
			}
		if (strcmp(type, "sts") == 0 && json_is_array(ps))
			json_array_foreach(ps, k, rec)
			{
				const char *r = json_string_value(rec);
				if (r && sl < sizeof(sts))
					sl += (size_t)snprintf(sts + sl, sizeof(sts) - sl, "%s\r\n",
					                       r);
			}
		for (char *c = tlsa; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		json_array_foreach(fails, k, f)
		{
			ev_item it;
			const char *result = str(f, "result-type");
			const char *code = str(f, "failure-reason-code");
			const char *info = str(f, "additional-information");
			json_int_t n =
			    json_integer_value(json_object_get(f, "failed-session-count"));
			ev_item_init(&it);
			snprintf(it.source, sizeof(it.source),
			         "%.80s#policies[%zu].failure-details[%zu]", label, i, k);
			set(it.when, sizeof(it.when), start);
			set(it.domain, sizeof(it.domain), domain);
			for (char *c = it.domain; *c; c++)
				*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
			set(it.mx_host, sizeof(it.mx_host), str(f, "receiving-mx-hostname"));
			set(it.ip, sizeof(it.ip), str(f, "receiving-ip"));
			set(it.status, sizeof(it.status), "failed");
			it.phase = phase_of(result);
			it.policy = strcmp(type, "tlsa") == 0  ? EV_POL_DANE
			            : strcmp(type, "sts") == 0 ? EV_POL_MTA_STS
			                                       : EV_POL_NONE;
			it.count = n > 0 ? (unsigned long)n : 1;
			memcpy(it.tlsa, tlsa, sizeof(it.tlsa));
			if (sl < sizeof(sts)) /* a cut policy is no policy */
				memcpy(it.sts, sts, sizeof(it.sts));
			snprintf(it.text, sizeof(it.text), "%s%s%s%s%s (reported by %s)", result,
			         code[0] ? ": " : "", code, info[0] ? "; " : "", info,
			         org[0] ? org : "?");
			fn(&it, arg);
		}
	}
	json_decref(o);
	return MXS_OK;
}
