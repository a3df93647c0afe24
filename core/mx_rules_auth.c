/* core/mx_rules_auth.c — the findings that compare things across servers,
 * families and the whole run: authoritative-mismatch and -lame, ptr-missing
 * and ptr-not-forward-confirmed, ipv6-/ipv4-unreachable and egress-blocked.
 * Rules layer (see mx_int.h): reads the model, adds findings to it. */
#include "mx_auth.h"
#include "mx_int.h"

#include <stdio.h>
#include <string.h>

bool mxi_egress_blocked(const mxi_analysis *a)
{
	return a->opt->egress_blocked;
}

bool mx_domain_only_connect_timeouts(const mx_domain *d)
{
	size_t probed = 0, timeouts = 0;

	for (size_t i = 0; i < d->nhosts; i++)
		for (size_t k = 0; k < d->hosts[i].naddrs; k++) {
			const probe_result *r = d->hosts[i].addrs[k].probe;
			probed += r && r->state != PROBE_PENDING;
			timeouts += r && r->state == PROBE_CONNECT_TIMEOUT;
		}
	return probed && probed == timeouts;
}

bool mx_egress_blocked(const mx_egress_seen *seen)
{
	return seen->domains >= 2 && seen->addresses >= 2 && seen->answered == 0;
}

/* A server that answered for the zone with authority and its SOA. */
static bool auth_good(const mx_auth_server *s)
{
	return (s->rc == MX_RC_OK || s->rc == MX_RC_NODATA) && s->aa && s->has_serial;
}

static bool same_list(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/* RFC 1982 serial arithmetic: a is newer than b. */
static bool serial_newer(uint32_t a, uint32_t b)
{
	return a != b && (int32_t)(a - b) > 0;
}

static mxs_status check_authoritative(mx_domain *d, const mx_auth *au)
{
	const mx_auth_server *ref = NULL;
	mxs_status st = MXS_OK;
	char mine[512], theirs[512];

	for (size_t i = 0; i < au->nsrv; i++)
		if (auth_good(&au->srv[i]) &&
		    (!ref || serial_newer(au->srv[i].serial, ref->serial)))
			ref = &au->srv[i];
	for (size_t i = 0; i < au->nsrv; i++) {
		const mx_auth_server *s = &au->srv[i];
		if (!auth_good(s)) {
			const char *how = s->rc == MX_RC_TIMEOUT || s->rc == MX_RC_ERROR
			                      ? "does not answer"
			                  : s->rc == MX_RC_REFUSED ? "refuses to answer"
			                  : !s->aa && (s->rc == MX_RC_OK || s->rc == MX_RC_NODATA)
			                      ? "answers without authority (AA bit clear)"
			                      : NULL;
			if (how)
				TRY(mxi_add_finding(d, MX_F_AUTHORITATIVE_LAME, s->ip,
				                    "name server %s (%s) %s for %s: it is lame, "
				                    "resolvers asking it lose time",
				                    s->ns, s->ip, how, au->zone));
			else
				TRY(mxi_add_finding(
				    d, MX_F_AUTHORITATIVE_LAME, s->ip,
				    "name server %s (%s) answers %s for the SOA of %s", s->ns,
				    s->ip, mx_rcode_str(s->rc), au->zone));
			continue;
		}
		if (s == ref ||
		    (s->serial == ref->serial && same_list(s->mx, s->nmx, ref->mx, ref->nmx)))
			continue;
		mxi_join(mine, sizeof(mine), s->mx, s->nmx);
		mxi_join(theirs, sizeof(theirs), ref->mx, ref->nmx);
		TRY(mxi_add_finding(
		    d, MX_F_AUTHORITATIVE_MISMATCH, s->ip,
		    "name server %s (%s) serves serial %u with MX %s, but %s (%s) "
		    "serves serial %u with MX %s: resolvers that ask %s get %s",
		    s->ns, s->ip, s->serial, mine, ref->ns, ref->ip, ref->serial, theirs, s->ns,
		    serial_newer(ref->serial, s->serial) ? "the old answer" : "another answer"));
	}
	if (ref && au->resolver_rc == MX_RC_OK &&
	    !same_list(au->resolver_mx, au->nresolver_mx, ref->mx, ref->nmx)) {
		mxi_join(mine, sizeof(mine), au->resolver_mx, au->nresolver_mx);
		mxi_join(theirs, sizeof(theirs), ref->mx, ref->nmx);
		TRY(mxi_add_finding(d, MX_F_AUTHORITATIVE_MISMATCH, "resolver",
		                    "the resolver still answers MX %s for %s where serial %u says "
		                    "%s: mail will follow the new MX in at most %u s",
		                    mine, mx_domain_name(d), ref->serial, theirs,
		                    au->resolver_ttl));
	}
done:
	return st;
}

static mxs_status check_ptr(mx_domain *d)
{
	mxs_status st = MXS_OK;

	for (size_t i = 0; i < d->nhosts; i++) {
		const mx_host *h = &d->hosts[i];
		for (size_t k = 0; k < h->naddrs; k++) {
			const mx_ptr *p = h->addrs[k].ptr;
			const char *ip = h->addrs[k].ip;
			if (!p || mx_rcode_is_temporary(p->rc) || p->rc == MX_RC_NOT_ASKED)
				continue;
			if (p->nnames == 0)
				TRY(mxi_add_finding(
				    d, MX_F_PTR_MISSING, ip,
				    "%s (%u) at %s has no PTR record (%s): receivers "
				    "and spam filters distrust a host without reverse "
				    "DNS when it sends mail",
				    h->exchange, h->preference, ip, mx_rcode_str(p->rc)));
			else if (!p->forward_confirmed)
				TRY(mxi_add_finding(
				    d, MX_F_PTR_NOT_FORWARD_CONFIRMED, ip,
				    "%s (%u) at %s: its PTR name %s%s has no A/AAAA "
				    "record holding %s",
				    h->exchange, h->preference, ip, p->names[0],
				    p->nnames > 1 ? " (and the others)" : "", ip));
		}
	}
done:
	return st;
}

static bool answered(const probe_result *r)
{
	return r && (r->code > 0 || r->state == PROBE_ACCEPTED || r->state == PROBE_TEMPFAIL ||
	             r->state == PROBE_REJECTED || r->state == PROBE_TLS_FAILED);
}

/* Refused or timed out on the way to the host. "No route" is left out: it
 * is what a machine without an IPv6 route of its own gets for every IPv6
 * address, and that says nothing about the host (mxscope doctor says it). */
static bool no_connection(const probe_result *r)
{
	return r && (r->state == PROBE_REFUSED || r->state == PROBE_CONNECT_TIMEOUT);
}

/* A host whose addresses of one family all fail to connect while one of
 * the other family answers: senders that prefer that family (IPv6, as
 * RFC 8305 clients do) lose a timeout on every message. */
static mxs_status check_families(mx_domain *d)
{
	mxs_status st = MXS_OK;

	for (size_t i = 0; i < d->nhosts; i++) {
		const mx_host *h = &d->hosts[i];
		size_t tried[2] = {0}, failed[2] = {0}, ok[2] = {0};
		for (size_t k = 0; k < h->naddrs; k++) {
			const probe_result *r = h->addrs[k].probe;
			int f = h->addrs[k].family == 6;
			if (!r || r->state == PROBE_PENDING || r->state == PROBE_ERROR)
				continue;
			tried[f]++;
			failed[f] += no_connection(r);
			ok[f] += answered(r);
		}
		for (int f = 0; f < 2; f++)
			if (tried[f] && failed[f] == tried[f] && ok[!f])
				TRY(mxi_add_finding(
				    d, f ? MX_F_IPV6_UNREACHABLE : MX_F_IPV4_UNREACHABLE,
				    h->exchange,
				    "%s (%u): %s%zu IPv%d address%s can%s be reached while IPv%d "
				    "works: senders trying IPv%d first lose time on every message",
				    h->exchange, h->preference,
				    tried[f] > 1 ? "none of its " : "its ", tried[f], f ? 6 : 4,
				    tried[f] > 1 ? "es" : "", tried[f] > 1 ? "" : "not", f ? 4 : 6,
				    f ? 6 : 4));
	}
done:
	return st;
}

mxs_status mxi_check_auth(mxi_analysis *a)
{
	mx_domain *d = a->d;
	mxs_status st = MXS_OK;
	size_t timeouts = 0;

	if (d->auth)
		TRY(check_authoritative(d, d->auth));
	TRY(check_ptr(d));
	if (!mxi_egress_blocked(a)) {
		TRY(check_families(d));
		goto done;
	}
	for (size_t i = 0; i < d->nhosts; i++)
		for (size_t k = 0; k < d->hosts[i].naddrs; k++)
			if (d->hosts[i].addrs[k].probe &&
			    d->hosts[i].addrs[k].probe->state == PROBE_CONNECT_TIMEOUT)
				timeouts++;
	if (timeouts)
		TRY(mxi_add_finding(d, MX_F_EGRESS_BLOCKED, d->name,
		                    "every SMTP connection from here timed out (%zu for %s, and "
		                    "every other domain of the run alike): this network "
		                    "probably blocks outbound port 25; probes from here cannot "
		                    "judge these hosts",
		                    timeouts, d->name));
done:
	return st;
}
