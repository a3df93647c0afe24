/* net/mxjob.c — the MX job (net/mxjob.h): what the questions about one mail
 * domain mean, asked through the DNS engine's public API only. The engine
 * paces, retries and falls back to TCP; this file decides what to ask next
 * and turns each answer into the domain's records.
 *
 * A job counts its questions on the wire; each answer handler runs with
 * its own question still counted, so the questions it asks (even one that
 * ends inside dns_query_raw) cannot end the job under it. */
#include "mxjob.h"
#include "name.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_MX_PER_DOMAIN 1000
#define MAX_TLSA_PER_HOST 32 /* bounds what one hostile TLSA answer can add */

/* the AD bit of a reply's header, in its fourth octet (RFC 4035 §3.2.2) */
#define HDR_AD 0x20

typedef struct mxjob {
	dns_client *c;
	mx_domain *d;
	mxjob_config cfg;
	mxjob_done_cb cb;
	void *arg;
	unsigned pending; /* questions not yet ended */
	bool cancelled;   /* the engine went away: d is freed, cb never called */
} mxjob;

/* Q_MX_CD: the MX question again with checking disabled, after a SERVFAIL,
 * to tell a bogus zone from a broken one. Q_TLSA: the DANE stage. */
typedef enum qkind { Q_MX, Q_A, Q_AAAA, Q_SRV, Q_MX_CD, Q_TLSA } qkind;

/* What each kind asks and with which header bits. */
static const struct {
	int type;
	unsigned flags;
} kinds[] = {
    [Q_MX] = {ns_t_mx, DNS_Q_AD},
    [Q_A] = {ns_t_a, 0},
    [Q_AAAA] = {ns_t_aaaa, 0},
    [Q_SRV] = {ns_t_srv, 0},
    [Q_MX_CD] = {ns_t_mx, DNS_Q_AD | DNS_Q_CD},
    [Q_TLSA] = {DNS_TYPE_TLSA, DNS_Q_AD},
};

/* The services mail clients look up (RFC 6186 §3, RFC 8314 §5.1). */
static const char *const srv_services[] = {
    "_submission._tcp", "_submissions._tcp", "_imap._tcp",
    "_imaps._tcp",      "_pop3._tcp",        "_pop3s._tcp",
};
#define NSRV_SERVICES (sizeof(srv_services) / sizeof(srv_services[0]))

/* One question of a job: the engine's callback argument. */
typedef struct mq {
	mxjob *j;
	qkind kind;
	size_t host; /* index in the domain (Q_A, Q_AAAA, Q_TLSA); in srv_services (Q_SRV) */
	char name[]; /* the name asked */
} mq;

static void on_answer(mx_rcode rc, const unsigned char *abuf, int alen, void *arg);

/* false when out of memory: the answer is missing, as a lost one would be */
static bool ask(mxjob *j, qkind kind, const char *name, size_t host)
{
	size_t n = strlen(name) + 1;
	mq *q = calloc(1, sizeof(*q) + n);

	if (!q)
		return false;
	q->j = j;
	q->kind = kind;
	q->host = host;
	memcpy(q->name, name, n);
	j->pending++;
	if (dns_query_raw(j->c, name, kinds[kind].type, kinds[kind].flags, on_answer, q) !=
	    MXS_OK) {
		j->pending--;
		free(q);
		return false;
	}
	return true;
}

/* ---- SRV -------------------------------------------------------------------- */

/* Asks the mail client services of a domain that exists. They share the
 * engine's FIFO with the address questions, so they go out beside them and
 * add no round trip to the domain. */
static void ask_srv(mxjob *j)
{
	char name[MX_NAME_MAX + 24];

	for (size_t i = 0; i < NSRV_SERVICES; i++) {
		if (snprintf(name, sizeof(name), "%s.%s", srv_services[i], mx_domain_name(j->d)) >=
		    (int)sizeof(name))
			continue; /* too long to be a DNS name: nothing to ask */
		ask(j, Q_SRV, name, i);
	}
}

/* NODATA and NXDOMAIN just mean the service is not published; failures are
 * not reported either, the SRV view is informational. */
static void on_srv(mxjob *j, size_t service, mx_rcode rc, const unsigned char *abuf, int alen)
{
	struct ares_srv_reply *srv = NULL;
	uint32_t ttl;
	size_t count = 0;

	if (rc != MX_RC_OK || ares_parse_srv_reply(abuf, alen, &srv) != ARES_SUCCESS)
		goto done;
	ttl = dns_answer_ttl(abuf, alen > 0 ? (size_t)alen : 0, ns_t_srv);
	for (struct ares_srv_reply *r = srv; r && count < MX_SRV_MAX; r = r->next, count++)
		if (mx_domain_add_srv(j->d, srv_services[service], r->priority, r->weight, r->port,
		                      r->host ? r->host : ".", ttl) != MXS_OK)
			break;
done:
	if (srv)
		ares_free_data(srv);
}

/* ---- DNSSEC status and TLSA (the DANE stage) ---------------------------- */

/* An answer the server gave, positive or negative. */
static bool answered(mx_rcode rc)
{
	return rc == MX_RC_OK || rc == MX_RC_NODATA || rc == MX_RC_NXDOMAIN;
}

/* What the AD bit of an answer says (RFC 4035 §3.2.3): a validating
 * resolver sets it only for data it validated. No AD is "insecure" as a
 * sender behind this resolver sees it, whether the zone is unsigned or the
 * resolver does not validate; a failure to answer says nothing. */
static mx_dnssec dnssec_of(mx_rcode rc, const unsigned char *abuf, int alen)
{
	if (!answered(rc) || !abuf || alen < HFIXEDSZ)
		return MX_DNSSEC_INDETERMINATE;
	return abuf[3] & HDR_AD ? MX_DNSSEC_SECURE : MX_DNSSEC_INSECURE;
}

/* TLSA at _25._tcp.<host> (RFC 7672 §2.2.1: port 25 whatever port we
 * probe). A DANE sender looks only where the MX answer is secure (§2.2.2),
 * which costs nothing for the many unsigned domains; mxjob_config.tlsa
 * asks everywhere, to show the records a sender ignores. */
static void ask_tlsa(mxjob *j, const char *host, size_t idx)
{
	char name[MX_NAME_MAX + 16];

	if (!j->cfg.tlsa && mx_domain_dnssec(j->d) != MX_DNSSEC_SECURE)
		return;
	if (snprintf(name, sizeof(name), "_25._tcp.%s", host) >= (int)sizeof(name))
		return;
	ask(j, Q_TLSA, name, idx);
}

static void on_tlsa(mxjob *j, size_t host, mx_rcode rc, const unsigned char *abuf, int alen)
{
	/* zeroed: gcc cannot see that mx_host_set_tlsa reads only the n filled */
	char *recs[MAX_TLSA_PER_HOST] = {NULL};
	size_t n = 0;
	bool secure;

	/* a failed lookup is not "no records": a DANE sender defers then
	 * (RFC 7672 §2.2.1); the host keeps "not asked" */
	if (!answered(rc))
		return;
	if (rc == MX_RC_OK)
		n = dns_tlsa_read(abuf, alen, recs, MAX_TLSA_PER_HOST);
	secure = dnssec_of(rc, abuf, alen) == MX_DNSSEC_SECURE;
	/* no records in an insecure zone (asked with --dane) tells a sender
	 * nothing: the host stays "not asked" and the reports stay quiet */
	if (n > 0 || secure)
		mx_host_set_tlsa(j->d, host, (const char *const *)recs, n, secure);
	for (size_t i = 0; i < n; i++)
		free(recs[i]);
}

/* The MX question asked again with CD set after a SERVFAIL: an answer now
 * means the data is there but does not validate (RFC 4035 §5.5). */
static void on_mx_cd(mxjob *j, mx_rcode rc)
{
	mx_domain_set_dnssec(j->d, answered(rc) ? MX_DNSSEC_BOGUS : MX_DNSSEC_INDETERMINATE);
}

/* ---- MX and the targets' addresses ------------------------------------------ */

/* An MX target written as an address ("MX 10 192.0.2.1."): no name to look
 * up, but Postfix connects to the digits themselves (core/mta.c), so they
 * become the host's one address and get probed. The plain walk tries
 * none of it (core/mx_order.c) and mx-ip-literal says why. */
static bool literal_target(mx_domain *d, size_t idx)
{
	const char *name = mx_domain_host(d, idx)->exchange;
	int fam = mx_ip_family(name);

	if (!mx_is_ip_literal(name) || !fam)
		return false;
	mx_host_add_addr(d, idx, fam, name, 0);
	mx_host_set_rcode(d, idx, fam, MX_RC_OK);
	mx_host_set_rcode(d, idx, fam == 4 ? 6 : 4, MX_RC_NODATA);
	return true;
}

/* A and AAAA of a target, or only the family asked for (-4, -6): the
 * other stays MX_RC_NOT_ASKED and has no addresses to probe. */
static void ask_addrs(mxjob *j, const char *host, size_t idx)
{
	if (j->cfg.family != 6)
		ask(j, Q_A, host, idx);
	if (j->cfg.family != 4)
		ask(j, Q_AAAA, host, idx);
}

static void on_mx(mxjob *j, mx_rcode rc, const unsigned char *abuf, int alen)
{
	mx_domain *d = j->d;
	struct ares_mx_reply *mx = NULL;
	size_t count = 0;
	const char *failure = dns_client_last_failure(j->c);

	if (rc == MX_RC_OK) {
		int prc = ares_parse_mx_reply(abuf, alen, &mx);
		if (prc == ARES_ENODATA || (prc == ARES_SUCCESS && !mx))
			rc = MX_RC_NODATA;
		else if (prc != ARES_SUCCESS)
			rc = MX_RC_FORMERR;
	}
	/* why no server answered, or sent bytes that are no DNS message (a
	 * FORMERR without a reply); a server's own FORMERR speaks for itself */
	mx_domain_set_mx_rcode(d, rc,
	                       rc == MX_RC_ERROR || rc == MX_RC_TIMEOUT ||
	                               (rc == MX_RC_FORMERR && !abuf)
	                           ? (failure ? failure : "")
	                           : NULL);
	mx_domain_set_dnssec(d, dnssec_of(rc, abuf, alen));
	if (rc == MX_RC_SERVFAIL)
		ask(j, Q_MX_CD, mx_domain_name(d), 0);
	if (rc == MX_RC_OK) {
		uint32_t ttl = dns_answer_ttl(abuf, alen > 0 ? (size_t)alen : 0, ns_t_mx);
		for (struct ares_mx_reply *m = mx; m && count < MAX_MX_PER_DOMAIN;
		     m = m->next, count++) {
			size_t idx;
			if (mx_domain_add_mx(d, m->priority, m->host, ttl, &idx) != MXS_OK)
				break;
			if (mx_domain_host(d, idx)->exchange[0] == '\0')
				continue; /* null MX: there is nothing to look up */
			if (!mx_name_is_host(m->host, strlen(m->host)))
				continue; /* \DDD text names another host: mx-invalid-name */
			if (literal_target(d, idx))
				continue;
			ask_addrs(j, mx_domain_host(d, idx)->exchange, idx);
			ask_tlsa(j, mx_domain_host(d, idx)->exchange, idx);
		}
	} else if (rc == MX_RC_NODATA) {
		size_t idx;
		/* RFC 5321 §5.1: no MX at all, so the domain itself is the target */
		if (mx_domain_add_implicit(d, &idx) == MXS_OK) {
			ask_addrs(j, mx_domain_name(d), idx);
			ask_tlsa(j, mx_domain_name(d), idx);
		}
	}
	if ((rc == MX_RC_OK || rc == MX_RC_NODATA) && j->cfg.srv)
		ask_srv(j);
	if (mx)
		ares_free_data(mx);
}

static void on_addr(mxjob *j, int family, size_t host, const char *asked, mx_rcode rc,
                    const unsigned char *abuf, int alen)
{
	mx_domain *d = j->d;
	dns_addrs got;
	char *canon = NULL;

	if (rc == MX_RC_OK) {
		rc = dns_addrs_read(abuf, alen, family, &got, &canon);
		for (size_t i = 0; i < got.n; i++)
			mx_host_add_addr(d, host, family, got.a[i].ip, got.a[i].ttl);
		/* an alias chain that comes back on itself has no canonical name */
		if (rc == MX_RC_NODATA && !mx_domain_host(d, host)->cname_loop) {
			char *chain = NULL;
			if (dns_cname_loop(abuf, (size_t)alen, asked, &chain))
				mx_host_set_cname_loop(d, host, chain);
			free(chain);
		}
		/* the canonical name differs when the asked name was an alias */
		if (canon && strcasecmp(canon, asked) != 0 && !mx_domain_host(d, host)->cname &&
		    !mx_domain_host(d, host)->cname_loop)
			mx_host_set_cname(d, host, canon);
		free(canon);
	}
	mx_host_set_rcode(d, host, family, rc);
}

/* ---- the job ------------------------------------------------------------------ */

/* One question (or the start's hold) ended; the last one ends the job. */
static void release(mxjob *j)
{
	if (--j->pending > 0)
		return;
	if (j->cancelled)
		mx_domain_free(j->d);
	else
		j->cb(j->d, j->arg);
	free(j);
}

static void on_answer(mx_rcode rc, const unsigned char *abuf, int alen, void *arg)
{
	mq *q = arg;
	mxjob *j = q->j;

	/* the engine is being freed: no more questions, no callback */
	if (rc == MX_RC_NOT_ASKED)
		j->cancelled = true;
	if (!j->cancelled)
		switch (q->kind) {
		case Q_MX: on_mx(j, rc, abuf, alen); break;
		case Q_A: on_addr(j, 4, q->host, q->name, rc, abuf, alen); break;
		case Q_AAAA: on_addr(j, 6, q->host, q->name, rc, abuf, alen); break;
		case Q_SRV: on_srv(j, q->host, rc, abuf, alen); break;
		case Q_MX_CD: on_mx_cd(j, rc); break;
		case Q_TLSA: on_tlsa(j, q->host, rc, abuf, alen); break;
		}
	free(q);
	release(j);
}

mxs_status mxjob_resolve(dns_client *c, mx_domain *d, const mxjob_config *cfg, mxjob_done_cb cb,
                         void *arg)
{
	mxjob *j = calloc(1, sizeof(*j));

	if (!j)
		return MXS_ERR_NOMEM;
	*j = (mxjob){.c = c, .d = d, .cb = cb, .arg = arg};
	if (cfg)
		j->cfg = *cfg;
	/* held while starting: an answer that ends inside dns_query_raw (a send
	 * that fails at once) must not end the job under this call */
	j->pending = 1;
	if (!ask(j, Q_MX, mx_domain_name(d), 0)) {
		free(j);
		return MXS_ERR_NOMEM;
	}
	release(j);
	return MXS_OK;
}
