/* core/mx_rules.c — the findings: RFC 5321 §5.1, RFC 7505 (null MX),
 * RFC 2181 §10.3 (no CNAME targets), the probe and blocklist findings.
 * Rules layer (see mx_int.h): each check reads the model (and what the
 * ordering steps stored in it) and adds findings; core/mx_analyze.c runs
 * them in turn. */
#include "mx_int.h"
#include "name.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether an MX or SRV target, as the resolver wrote it, is a host name
 * (RFC 1123 §2.1). c-ares 1.18 writes a label's other bytes as \DDD or
 * \c, so anything outside letters, digits, '-' and '.' fails here. */
static bool target_is_host(const char *name)
{
	return mx_name_is_host(name, strlen(name));
}

static const char *host_dns_detail(const mx_host *h)
{
	if (h->a_rc == MX_RC_NXDOMAIN || h->aaaa_rc == MX_RC_NXDOMAIN)
		return "the name does not exist (NXDOMAIN)";
	return "the name has no A or AAAA record (NODATA)";
}

static bool host_temporary(const mx_host *h)
{
	return mx_rcode_is_temporary(h->a_rc) || mx_rcode_is_temporary(h->aaaa_rc);
}

/* Findings about each record on its own: aliases, literals, missing and
 * non-public addresses, duplicates. They describe the zone, so they are
 * reported in the relay view too. */
mxs_status mxi_check_hosts(mxi_analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;

	for (size_t i = 0; i < d->nhosts; i++) {
		const mx_host *h = &d->hosts[i];
		bool dup_reported = false;

		if (h->exchange[0] == '\0')
			continue;
		for (size_t j = 0; j < i; j++) {
			if (!mxi_name_eq(d->hosts[j].exchange, h->exchange))
				continue;
			/* report each duplicated name once, at its second appearance */
			for (size_t k = 0; k < j; k++)
				if (mxi_name_eq(d->hosts[k].exchange, h->exchange))
					dup_reported = true;
			if (!dup_reported)
				TRY(mxi_add_finding(
				    d, MX_F_MX_DUPLICATE, h->exchange,
				    "%s is listed more than once (preferences %u and %u); "
				    "senders use it once, at its best preference",
				    h->exchange, d->hosts[j].preference, h->preference));
			break;
		}
		if (mx_is_ip_literal(h->exchange)) {
			TRY(mxi_add_finding(
			    d, MX_F_MX_IP_LITERAL, h->exchange,
			    "MX %u %s is an address literal; an MX target must be a host name "
			    "with its own A/AAAA record",
			    h->preference, h->exchange));
		} else if (!h->implicit && !target_is_host(h->exchange)) {
			/* never looked up (net/dns.c): asked as c-ares writes it, it
			 * would be another name, and every answer a false one */
			TRY(mxi_add_finding(
			    d, MX_F_MX_INVALID_NAME, h->exchange,
			    "MX %u %s is not a valid host name (letters, digits and hyphens "
			    "only): senders cannot look it up and skip it",
			    h->preference, h->exchange));
			continue;
		} else if (h->cname_loop) {
			/* the alias never ends in an address: say so rather than "point
			 * the MX at the alias's target", which is an alias too */
			TRY(mxi_add_finding(
			    d, MX_F_MX_CNAME_LOOP, h->exchange,
			    "MX %u %s is a CNAME loop (%s): the name never reaches an address, "
			    "so senders skip it",
			    h->preference, h->exchange, h->cname_loop));
			continue;
		} else if (h->cname) {
			TRY(mxi_add_finding(
			    d, MX_F_MX_CNAME, h->exchange,
			    "MX %u %s is an alias (CNAME) for %s; point the MX at %s directly",
			    h->preference, h->exchange, h->cname, h->cname));
		}
		if (h->naddrs == 0 && !h->implicit && !mx_is_ip_literal(h->exchange)) {
			if (host_temporary(h))
				TRY(mxi_add_finding(
				    d, MX_F_DNS_TEMPORARY, h->exchange,
				    "address lookup for %s failed: A %s, AAAA %s; senders will "
				    "retry later",
				    h->exchange, mx_rcode_str(h->a_rc), mx_rcode_str(h->aaaa_rc)));
			else
				TRY(mxi_add_finding(d, MX_F_MX_NO_ADDRESS, h->exchange,
				                    "MX %u %s has no address: %s", h->preference,
				                    h->exchange, host_dns_detail(h)));
		}
		for (size_t k = 0; k < h->naddrs; k++) {
			const char *why =
			    mx_ip_non_public_why(h->addrs[k].ip, a->opt->allow_loopback);
			if (why)
				TRY(mxi_add_finding(
				    d, MX_F_MX_NON_PUBLIC, h->addrs[k].ip,
				    "%s (%s) has address %s, which is %s: senders on the "
				    "Internet cannot reach it",
				    h->exchange, h->implicit ? "implicit MX" : "MX", h->addrs[k].ip,
				    why));
		}
	}
done:
	return st;
}

/* Findings about the record set as a whole: redundancy and whether any
 * route exists at all. Judged on the sender view, whatever --as says. */
mxs_status mxi_check_route(mxi_analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;
	size_t distinct = 0, with_addr = 0, temp = 0;
	long best = -1;
	size_t nbackup = 0;
	char *list = NULL;
	size_t len = 0;

	for (size_t i = 0; i < d->nhosts; i++) {
		const mx_host *h = &d->hosts[i];
		bool first = true;

		if (h->exchange[0] == '\0')
			continue;
		for (size_t j = 0; j < i; j++)
			if (mxi_name_eq(d->hosts[j].exchange, h->exchange))
				first = false;
		if (!first)
			continue;
		distinct++;
		if (h->naddrs)
			with_addr++;
		else if (host_temporary(h))
			temp++;
		if (best < 0 || h->preference < best)
			best = h->preference;
	}
	if (distinct == 0 || d->implicit_mx)
		goto done;
	if (with_addr == 0 && temp == 0) {
		TRY(mxi_add_finding(
		    d, MX_F_NO_MAIL_ROUTE, d->name,
		    "none of the %zu MX target%s of %s has an address: mail to it cannot be "
		    "delivered",
		    distinct, distinct == 1 ? "" : "s", d->name));
		goto done;
	}
	if (distinct == 1) {
		TRY(mxi_add_finding(
		    d, MX_F_SINGLE_MX, d->name,
		    "%s has a single MX host; while it is down, senders queue and retry", d->name));
		goto done;
	}
	for (size_t i = 0; i < d->nhosts; i++) {
		const mx_host *h = &d->hosts[i];
		int n;
		char *grown;

		if (h->exchange[0] == '\0' || h->preference == best)
			continue;
		n = snprintf(NULL, 0, "%s%s (%u)", nbackup ? ", " : "", h->exchange, h->preference);
		grown = realloc(list, len + (size_t)n + 1);
		if (!grown) {
			st = MXS_ERR_NOMEM;
			goto done;
		}
		list = grown;
		snprintf(list + len, (size_t)n + 1, "%s%s (%u)", nbackup ? ", " : "", h->exchange,
		         h->preference);
		len += (size_t)n;
		nbackup++;
	}
	if (nbackup)
		TRY(mxi_add_finding(
		    d, MX_F_BACKUP_MX, d->name,
		    "%zu backup MX record%s behind preference %ld: %s; they queue mail while "
		    "the primary is down, and need the same spam filtering and recipient "
		    "checks or they attract spam and cause backscatter",
		    nbackup, nbackup == 1 ? "" : "s", best, list));
done:
	free(list);
	return st;
}

/* SRV targets for mail clients (RFC 6186): "." means "not offered"; any
 * other target must be a host name a client can look up (RFC 2782). */
mxs_status mxi_check_srv(mxi_analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;

	for (size_t i = 0; i < d->nsrv; i++) {
		const mx_srv *s = &d->srv[i];
		if (s->target[0] == '\0' || target_is_host(s->target))
			continue;
		TRY(mxi_add_finding(d, MX_F_SRV_INVALID_NAME, s->target,
		                    "SRV %s priority %u target %s is not a valid host name "
		                    "(letters, digits and hyphens only): mail clients cannot "
		                    "use it",
		                    s->service, s->priority, s->target));
	}
done:
	return st;
}

mxs_status mxi_check_domain(mxi_analysis *a, bool *stop)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;
	const char *why = d->mx_why ? d->mx_why : mx_rcode_str(d->mx_rc);

	*stop = true;
	switch (d->mx_rc) {
	case MX_RC_NXDOMAIN:
		return mxi_add_finding(
		    d, MX_F_NXDOMAIN, d->name,
		    "%s does not exist (NXDOMAIN): senders bounce mail to it at once", d->name);
	case MX_RC_NOT_ASKED: return MXS_OK;
	case MX_RC_OK:
	case MX_RC_NODATA: break;
	default:
		return mxi_add_finding(
		    d, MX_F_DNS_TEMPORARY, d->name,
		    "MX lookup for %s failed (%s): senders queue mail and retry later", d->name,
		    why);
	}
	*stop = false;
	if (a->nnull == 1 && d->nhosts == 1) {
		d->null_mx = true;
		*stop = true;
		return mxi_add_finding(
		    d, MX_F_NULL_MX, d->name,
		    "%s publishes a null MX (MX 0 .): it accepts no mail, and senders must "
		    "not fall back to its address",
		    d->name);
	}
	if (a->nnull > 0)
		TRY(mxi_add_finding(
		    d, MX_F_NULL_MX_MIXED, d->name,
		    "%s publishes a null MX beside %zu other MX record%s; the null MX must "
		    "stand alone, senders ignore it here",
		    d->name, d->nhosts - a->nnull, d->nhosts - a->nnull == 1 ? "" : "s"));
	for (size_t i = 0; i < d->nhosts; i++) {
		const mx_host *h = &d->hosts[i];
		if (!h->implicit)
			continue;
		d->implicit_mx = true;
		if (h->naddrs)
			TRY(mxi_add_finding(
			    d, MX_F_IMPLICIT_MX, d->name,
			    "%s has no MX records; senders fall back to its own address "
			    "(implicit MX)",
			    d->name));
		else if (host_temporary(h))
			TRY(mxi_add_finding(
			    d, MX_F_DNS_TEMPORARY, d->name,
			    "address lookup for %s failed: A %s, AAAA %s; senders will retry "
			    "later",
			    d->name, mx_rcode_str(h->a_rc), mx_rcode_str(h->aaaa_rc)));
		else
			TRY(mxi_add_finding(
			    d, MX_F_NO_MAIL_ROUTE, d->name,
			    "%s has no MX and no A or AAAA record: there is nowhere to deliver "
			    "mail",
			    d->name));
	}
	if (d->mx_rc == MX_RC_NODATA && !d->implicit_mx)
		TRY(mxi_add_finding(d, MX_F_NO_MAIL_ROUTE, d->name,
		                    "%s has no MX records and its address was not looked up",
		                    d->name));
done:
	return st;
}

/* Whether the greeting's first word, the name the server greets with
 * (RFC 5321 §4.2), is the MX name or its canonical name. */
static bool banner_names(const probe_result *r, const mx_host *h, char *got, size_t cap)
{
	const char *g = r->greeting, *p;
	size_t n;

	/* probe.h: the greeting text starts after the reply code */
	if (!g || !*g)
		return true;
	p = g;
	n = strcspn(p, " \r\n");
	if (n == 0 || n >= cap)
		return true;
	memcpy(got, p, n);
	got[n] = '\0';
	return mxi_name_eq(got, h->exchange) || (h->cname && mxi_name_eq(got, h->cname));
}

/* A short, bounded quote of the greeting's first line for a message; a
 * NUL the server sent is quoted as "\0" (the message is a C string). */
static void first_line(const probe_result *r, char *out, size_t cap)
{
	size_t len = r->greeting ? probe_greeting_len(r) : 0, n = 0, total = 0, o = 0;

	while (n < len && r->greeting[n] != '\r' && r->greeting[n] != '\n')
		total += r->greeting[n++] ? 1 : 2;
	for (size_t i = 0; i < n; i++) {
		size_t need = r->greeting[i] ? 1 : 2;
		if (total >= cap && o + need > cap - 4)
			break;
		if (!r->greeting[i])
			out[o++] = '\\';
		out[o++] = r->greeting[i] ? r->greeting[i] : '0';
	}
	snprintf(out + o, cap - o, "%s", total >= cap ? "..." : "");
}

static mxs_status check_probe(mxi_analysis *a, const mx_host *h, const mx_addr *ad)
{
	mx_domain *d = a->d;
	const probe_result *r = ad->probe;
	mxs_status st = MXS_OK;
	char line[84], name[256];

	switch (r->state) {
	case PROBE_REFUSED:
	case PROBE_CONNECT_TIMEOUT:
	case PROBE_GREETING_TIMEOUT:
	case PROBE_UNREACHABLE:
	case PROBE_GARBAGE:
		/* libcurl's words add something only where the state alone is vague */
		TRY(mxi_add_finding(d, MX_F_SMTP_UNREACHABLE, ad->ip, "%s (%u) at %s: %s%s%s",
		                    h->exchange, h->preference, ad->ip,
		                    probe_state_meaning(r->state),
		                    r->state == PROBE_GARBAGE && r->error ? "; " : "",
		                    r->state == PROBE_GARBAGE && r->error ? r->error : ""));
		break;
	case PROBE_TEMPFAIL:
		first_line(r, line, sizeof(line));
		TRY(mxi_add_finding(
		    d, MX_F_SMTP_TEMPFAIL, ad->ip,
		    "%s (%u) at %s greets with \"%s\": senders try the next address and "
		    "retry later",
		    h->exchange, h->preference, ad->ip, line));
		break;
	case PROBE_REJECTED:
		first_line(r, line, sizeof(line));
		TRY(mxi_add_finding(d, MX_F_SMTP_REJECT, ad->ip,
		                    "%s (%u) at %s greets with \"%s\": it will take no mail",
		                    h->exchange, h->preference, ad->ip, line));
		break;
	case PROBE_DROPPED:
		/* the greeting alone looks fine: the finding says what broke */
		TRY(mxi_add_finding(d, MX_F_SMTP_UNREACHABLE, ad->ip,
		                    "%s (%u) at %s greets, then takes no mail: %s%s%s", h->exchange,
		                    h->preference, ad->ip, r->error ? r->error : "",
		                    r->error ? "; " : "", "senders try the next address"));
		break;
	case PROBE_TLS_FAILED:
		TRY(mxi_add_finding(d, MX_F_TLS_CERTIFICATE_INVALID, ad->ip,
		                    "%s (%u) at %s: the STARTTLS handshake failed%s%s", h->exchange,
		                    h->preference, ad->ip, r->error ? ": " : "",
		                    r->error ? r->error : ""));
		break;
	case PROBE_ACCEPTED:
		if (r->t.greeting > MX_SLOW_BANNER_MS)
			TRY(mxi_add_finding(
			    d, MX_F_SMTP_SLOW_BANNER, ad->ip,
			    "%s (%u) at %s took %ld ms to greet; senders wait, but slow "
			    "greetings often mean an overloaded or tarpitting server",
			    h->exchange, h->preference, ad->ip, r->t.greeting));
		/* only an EHLO reply can say STARTTLS is missing: a host that
		 * hung up before answering EHLO has not said anything about it */
		if (!r->tls.offered && r->nehlo > 0)
			TRY(mxi_add_finding(
			    d, MX_F_SMTP_NO_STARTTLS, ad->ip,
			    "%s (%u) at %s does not offer STARTTLS: mail to it crosses the "
			    "network in clear text",
			    h->exchange, h->preference, ad->ip));
		if (r->tls.offered && !r->tls.verified)
			TRY(mxi_add_finding(
			    d, MX_F_TLS_CERTIFICATE_INVALID, ad->ip,
			    "%s (%u) at %s: the certificate does not verify for %s%s%s",
			    h->exchange, h->preference, ad->ip, h->exchange,
			    r->tls.verify_error ? ": " : "",
			    r->tls.verify_error ? r->tls.verify_error : ""));
		if (!banner_names(r, h, name, sizeof(name)))
			TRY(mxi_add_finding(d, MX_F_BANNER_NAME_MISMATCH, ad->ip,
			                    "%s (%u) at %s greets as %s", h->exchange,
			                    h->preference, ad->ip, name));
		break;
	default: break;
	}
done:
	return st;
}

/* Whether host i repeats the name of an earlier host (mx-duplicate): its
 * addresses are the same ones, probed as the same name, so what they
 * found is reported once, at the first appearance. */
static bool host_repeats(const mx_domain *d, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (d->hosts[i].exchange[0] &&
		    mxi_name_eq(d->hosts[j].exchange, d->hosts[i].exchange))
			return true;
	return false;
}

/* Findings from..nfindings are about host i: when the same name is listed
 * again, each says so once instead of being repeated for every record. */
static mxs_status note_repeats(mx_domain *d, size_t i, size_t from)
{
	char more[96] = "";
	size_t len = 0;

	for (size_t j = i + 1; j < d->nhosts && len < sizeof(more) - 16; j++)
		if (mxi_name_eq(d->hosts[j].exchange, d->hosts[i].exchange))
			len += (size_t)snprintf(more + len, sizeof(more) - len, "%s%u",
			                        len ? ", " : "", d->hosts[j].preference);
	if (!len)
		return MXS_OK;
	for (size_t f = from; f < d->nfindings; f++) {
		char *m = NULL;
		if (asprintf(&m,
		             "%s (the same host is listed again at preference %s: reported "
		             "once)",
		             d->findings[f].message, more) < 0)
			return MXS_ERR_NOMEM;
		free(d->findings[f].message);
		d->findings[f].message = m;
	}
	return MXS_OK;
}

/* Findings from the blocklists: one per (address, provider) that listed
 * it or could not answer. RFC 5782 §2.1: only 127.0.0.2 and up is a
 * listing, so an unavailable answer never becomes ip-listed. */
mxs_status mxi_check_blocklists(mxi_analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;

	for (size_t i = 0; i < d->nhosts; i++) {
		const mx_host *h = &d->hosts[i];
		size_t from = d->nfindings;
		if (host_repeats(d, i))
			continue;
		for (size_t k = 0; k < h->naddrs; k++) {
			const mx_addr *ad = &h->addrs[k];
			for (size_t b = 0; b < ad->nblocklists; b++) {
				const blr_result *r = ad->blocklists[b];
				char codes[160] = "";
				for (size_t c = 0; c < r->ncodes; c++) {
					size_t at = strlen(codes);
					snprintf(codes + at, sizeof(codes) - at, "%s%s%s%s%s",
					         c ? ", " : "", r->codes[c].code,
					         r->codes[c].meaning ? " (" : "",
					         r->codes[c].meaning ? r->codes[c].meaning : "",
					         r->codes[c].meaning ? ")" : "");
				}
				if (r->state == BLR_LISTED)
					TRY(mxi_add_finding(
					    d, MX_F_IP_LISTED, ad->ip,
					    "%s (%u) at %s is listed by %s%s%s%s%s%s", h->exchange,
					    h->preference, ad->ip, r->provider,
					    codes[0] ? ": " : "", codes, r->reason ? " \"" : "",
					    r->reason ? r->reason : "", r->reason ? "\"" : ""));
				else if (r->state == BLR_UNAVAILABLE)
					TRY(mxi_add_finding(
					    d, MX_F_BLOCKLIST_UNAVAILABLE, ad->ip,
					    "%s (%u) at %s: blocklist %s did not answer: %s",
					    h->exchange, h->preference, ad->ip, r->provider,
					    r->error ? r->error : "no answer"));
			}
		}
		TRY(note_repeats(d, i, from));
	}
done:
	return st;
}

/* Findings from the probes: each address on its own, then the walk. */
mxs_status mxi_check_probes(mxi_analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;

	for (size_t i = 0; i < d->nhosts; i++) {
		size_t from = d->nfindings;
		if (host_repeats(d, i))
			continue;
		for (size_t k = 0; k < d->hosts[i].naddrs; k++)
			if (d->hosts[i].addrs[k].probe &&
			    !(mxi_egress_blocked(a) &&
			      d->hosts[i].addrs[k].probe->state == PROBE_CONNECT_TIMEOUT))
				TRY(check_probe(a, &d->hosts[i], &d->hosts[i].addrs[k]));
		TRY(note_repeats(d, i, from));
	}
	/* egress-blocked (mx_auth.c) says why nothing answered: no blame here */
	if (!d->walked || (mxi_egress_blocked(a) && d->delivered < 0))
		goto done;
	if (d->delivered < 0) {
		TRY(mxi_add_finding(
		    d, MX_F_NO_ACCEPTING_MX, d->name,
		    "none of the %zu addresses a sender would try for %s accepts mail: "
		    "it queues the mail and retries later",
		    d->nattempts, d->name));
	} else {
		const mx_host *h = &d->hosts[d->attempts[d->delivered].host];
		if (d->ntiers && h->preference != d->tiers[0].preference)
			TRY(mxi_add_finding(
			    d, MX_F_PRIMARY_UNREACHABLE, d->name,
			    "no address of the most preferred tier (%u) of %s accepts; the "
			    "mail goes to %s (%u) instead",
			    d->tiers[0].preference, d->name, h->exchange, h->preference));
	}
done:
	return st;
}
