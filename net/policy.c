/* net/policy.c — the MTA-STS fetch (see policy.h): two TXT questions, the
 * policy host's addresses, then one pinned HTTPS GET through libcurl on the
 * loop (net/curlloop.c). Every answer is untrusted: TXT records are joined
 * with a bound, the body is capped, the time is capped, and each failure
 * becomes one line in the result's error. */
#include "policy.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdarg.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "curlloop.h"

#define TXT_MAX  4096 /* bytes kept of one TXT record (all its strings) */
#define TXT_KEEP 16   /* TXT records looked at per name */

typedef struct ticket ticket;

/* One DNS question in flight. The DNS client calls back exactly once, so
 * the ticket is freed there; a cancelled job only cuts the link. */
typedef enum tkind { K_STS, K_RPT, K_A, K_AAAA, K_COUNT } tkind;

struct ticket {
	policy_job *j; /* NULL once the job is gone */
	tkind kind;
};

struct policy_job {
	policy_fetcher *f;
	char *domain;
	policy_fetch_cb cb;
	void *arg;
	policy_fetch_result *r;
	ticket *t[K_COUNT]; /* questions still on the wire */
	unsigned pending;   /* questions and the transfer not yet ended */
	char ip[MX_IP_MAX]; /* the policy host's address, "" until found */
	int ip_family;
	mx_rcode a_rc, aaaa_rc;
	CURL *easy;
	struct curl_slist *pin;
	char *body;
	size_t blen;
	bool too_big;
	char errbuf[CURL_ERROR_SIZE];
	policy_job *prev, *next;
};

struct policy_fetcher {
	uv_loop_t *loop;
	dns_client *dns;
	curlloop *cl;
	unsigned timeout_ms;
	int port;
	char *ca_pem;
	bool loopback_only;
	policy_job *jobs;
	size_t busy;
	bool freeing;
};

void policy_fetch_result_free(policy_fetch_result *r)
{
	if (!r)
		return;
	free(r->txt);
	free(r->id);
	policy_free(r->policy);
	free(r->error);
	free(r->tls_rpt);
	free(r);
}

void policy_fetch_apply(const policy_fetch_result *r, mx_domain *d)
{
	policy_sts *p;

	if (!r || !d)
		return;
	p = policy_dup(r->policy);
	if (!r->policy || p)
		mx_domain_set_mta_sts(d, r->txt, r->id, p, r->error);
	mx_domain_set_tls_rpt(d, r->tls_rpt);
}

/* ---- jobs --------------------------------------------------------------- */

static void job_unlink(policy_fetcher *f, policy_job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		f->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	j->prev = j->next = NULL;
	f->busy--;
}

/* Frees j without a callback; its questions are cut loose, its transfer
 * removed. */
static void job_free(policy_job *j)
{
	for (int k = 0; k < K_COUNT; k++)
		if (j->t[k])
			j->t[k]->j = NULL;
	if (j->easy) {
		if (j->f->cl)
			curl_multi_remove_handle(curlloop_multi(j->f->cl), j->easy);
		curl_easy_cleanup(j->easy);
	}
	curl_slist_free_all(j->pin);
	policy_fetch_result_free(j->r);
	free(j->body);
	free(j->domain);
	free(j);
}

static void set_error(policy_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_error(policy_job *j, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (j->r->error)
		return; /* the first failure is the one that matters */
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	j->r->error = s;
}

/* One question or the transfer ended: when nothing is left, the result goes
 * to its owner. */
static void job_step(policy_job *j)
{
	policy_fetch_result *r;

	if (--j->pending > 0)
		return;
	if (j->f->freeing) {
		/* the owner is going away: it hears nothing more */
		job_unlink(j->f, j);
		job_free(j);
		return;
	}
	r = j->r;
	j->r = NULL;
	job_unlink(j->f, j);
	j->cb(r, j->arg);
	job_free(j);
}

/* ---- DNS ---------------------------------------------------------------- */

static void start_transfer(policy_job *j);

static mxs_status ask(policy_job *j, tkind kind, const char *name, int type);
static void on_answer(mx_rcode rc, const unsigned char *abuf, int alen, void *arg);

/* The TXT records of an answer that start with prefix, each joined from its
 * strings (RFC 7208 §3.3 style); *n of them, at most TXT_KEEP. */
static size_t txt_records(const unsigned char *abuf, int alen, const char *prefix, char **out)
{
	struct ares_txt_ext *txt = NULL;
	char cur[TXT_MAX + 1];
	size_t clen = 0, n = 0;
	bool have = false;

	if (ares_parse_txt_reply_ext(abuf, alen, &txt) != ARES_SUCCESS)
		return 0;
	for (struct ares_txt_ext *t = txt;; t = t->next) {
		if (!t || t->record_start) {
			if (have && n < TXT_KEEP && clen >= strlen(prefix) &&
			    strncmp(cur, prefix, strlen(prefix)) == 0 &&
			    (cur[strlen(prefix)] == ';' || cur[strlen(prefix)] == ' ' ||
			     cur[strlen(prefix)] == '\0') &&
			    !memchr(cur, '\0', clen) && (out[n] = strndup(cur, clen)))
				n++; /* out of memory: as if the record were not there */
			clen = 0;
			have = t != NULL;
			if (!t)
				break;
		}
		if (clen + t->length <= TXT_MAX) {
			memcpy(cur + clen, t->txt, t->length);
			clen += t->length;
		}
		cur[clen] = '\0';
	}
	ares_free_data(txt);
	return n;
}

static void on_sts_txt(policy_job *j, mx_rcode rc, const unsigned char *abuf, int alen)
{
	char *recs[TXT_KEEP] = {0}, *why = NULL;
	size_t n = 0;

	if (rc == MX_RC_NXDOMAIN || rc == MX_RC_NODATA)
		return; /* no MTA-STS: the common case */
	if (rc != MX_RC_OK) {
		set_error(j, "_mta-sts.%s TXT: %s", j->domain, mx_rcode_str(rc));
		return;
	}
	n = txt_records(abuf, alen, "v=STSv1", recs);
	if (n == 0)
		goto done;
	j->r->txt = recs[0];
	recs[0] = NULL;
	if (n > 1) {
		/* §3.1: more than one record is as good as none */
		set_error(j, "_mta-sts.%s has %zu v=STSv1 TXT records; senders use none", j->domain,
		          n);
		goto done;
	}
	if (!policy_txt_parse(j->r->txt, &j->r->id, &why)) {
		set_error(j, "_mta-sts.%s TXT: %s", j->domain, why ? why : "not STSv1");
		goto done;
	}
	{
		char host[300];
		snprintf(host, sizeof(host), "mta-sts.%s", j->domain);
		if (ask(j, K_A, host, ns_t_a) != MXS_OK ||
		    ask(j, K_AAAA, host, ns_t_aaaa) != MXS_OK)
			set_error(j, "out of memory");
	}
done:
	for (size_t i = 0; i < n; i++)
		free(recs[i]);
	free(why);
}

static void on_rpt_txt(policy_job *j, mx_rcode rc, const unsigned char *abuf, int alen)
{
	char *recs[TXT_KEEP] = {0};
	size_t n;

	if (rc != MX_RC_OK)
		return; /* shown only: nothing to say when it is missing */
	n = txt_records(abuf, alen, "v=TLSRPTv1", recs);
	if (n)
		j->r->tls_rpt = recs[0];
	for (size_t i = 1; i < n; i++)
		free(recs[i]);
}

/* The first address of the answer (A or AAAA) the policy allows. */
static void on_addr(policy_job *j, int family, mx_rcode rc, const unsigned char *abuf, int alen)
{
	dns_addrs got;

	if (family == 4)
		j->a_rc = rc;
	else
		j->aaaa_rc = rc;
	if (rc != MX_RC_OK)
		return;
	if (dns_addrs_read(abuf, alen, family, &got, NULL) != MX_RC_OK)
		return;
	for (size_t i = 0; i < got.n; i++) {
		const char *text = got.a[i].ip;
		if (j->f->loopback_only && !mx_ip_is_loopback(text))
			continue;
		/* IPv4 first: what most senders' happy eyeballs end on */
		if (!j->ip[0] || (family == 4 && j->ip_family == 6)) {
			snprintf(j->ip, sizeof(j->ip), "%s", text);
			j->ip_family = family;
		}
		break;
	}
}

static void on_answer(mx_rcode rc, const unsigned char *abuf, int alen, void *arg)
{
	ticket *t = arg;
	policy_job *j = t->j;
	tkind kind = t->kind;
	policy_fetcher *f;

	free(t);
	if (!j)
		return; /* the job was cancelled */
	j->t[kind] = NULL;
	f = j->f;
	curlloop_enter(f->cl); /* a callback may free the fetcher: it waits */
	if (rc == MX_RC_NOT_ASKED) {
		set_error(j, "the DNS client closed before %s answered", j->domain);
	} else {
		switch (kind) {
		case K_STS: on_sts_txt(j, rc, abuf, alen); break;
		case K_RPT: on_rpt_txt(j, rc, abuf, alen); break;
		case K_A: on_addr(j, 4, rc, abuf, alen); break;
		case K_AAAA: on_addr(j, 6, rc, abuf, alen); break;
		case K_COUNT: break;
		}
		if ((kind == K_A || kind == K_AAAA) && !j->t[K_A] && !j->t[K_AAAA]) {
			if (j->ip[0])
				start_transfer(j);
			else
				set_error(j, "mta-sts.%s has no %saddress (A %s, AAAA %s)",
				          j->domain, j->f->loopback_only ? "loopback " : "",
				          mx_rcode_str(j->a_rc), mx_rcode_str(j->aaaa_rc));
		}
	}
	job_step(j);
	curlloop_leave(f->cl);
}

static mxs_status ask(policy_job *j, tkind kind, const char *name, int type)
{
	ticket *t = calloc(1, sizeof(*t));

	if (!t)
		return MXS_ERR_NOMEM;
	t->j = j;
	t->kind = kind;
	j->t[kind] = t;
	j->pending++;
	if (dns_query_raw(j->f->dns, name, type, 0, on_answer, t) != MXS_OK) {
		j->t[kind] = NULL;
		j->pending--;
		free(t);
		return MXS_ERR_NOMEM;
	}
	return MXS_OK;
}

/* ---- HTTPS -------------------------------------------------------------- */

static size_t on_body(char *ptr, size_t size, size_t n, void *arg)
{
	policy_job *j = arg;
	size_t len = size * n;
	char *g;

	if (j->blen + len > POLICY_BODY_MAX) {
		j->too_big = true;
		return 0; /* stops the transfer: bounded, whatever the server sends */
	}
	g = realloc(j->body, j->blen + len + 1);
	if (!g)
		return 0;
	j->body = g;
	memcpy(j->body + j->blen, ptr, len);
	j->blen += len;
	j->body[j->blen] = '\0';
	return len;
}

static void start_transfer(policy_job *j)
{
	policy_fetcher *f = j->f;
	char url[400], pin[400];
	CURL *e = curl_easy_init();

	if (!e) {
		set_error(j, "out of memory");
		return;
	}
	snprintf(url, sizeof(url), "https://mta-sts.%s/.well-known/mta-sts.txt", j->domain);
	/* the URL keeps the name TLS verifies and the Host header says; the
	 * connection goes to the address our DNS client found */
	snprintf(pin, sizeof(pin),
	         j->ip_family == 6 ? "mta-sts.%s:443:[%s]:%d" : "mta-sts.%s:443:%s:%d", j->domain,
	         j->ip, f->port);
	j->pin = curl_slist_append(NULL, pin);
	if (!j->pin || curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK) {
		curl_easy_cleanup(e);
		set_error(j, "out of memory");
		return;
	}
	curl_easy_setopt(e, CURLOPT_CONNECT_TO, j->pin);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_PROXY, ""); /* never through an environment proxy */
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	/* no redirects: RFC 8461 §3.3; the CA blob replaces the CA file, but
	 * OpenSSL still reads the system CA path, so it adds a CA */
	curlloop_easy_bounded(e, (long)f->timeout_ms, (long)POLICY_BODY_MAX, f->ca_pem, on_body, j,
	                      j->errbuf);
	if (curl_multi_add_handle(curlloop_multi(f->cl), e) != CURLM_OK) {
		curl_easy_cleanup(e);
		set_error(j, "cannot start the HTTPS transfer");
		return;
	}
	j->easy = e;
	j->pending++;
}

/* The transfer's verdict on the body. */
static void judge(policy_job *j, CURLcode rc)
{
	long code = 0;
	const char *ctype = NULL;
	char *why = NULL;
	const char *url_fmt = "https://mta-sts.%s/.well-known/mta-sts.txt";
	char url[400];

	snprintf(url, sizeof(url), url_fmt, j->domain);
	if (j->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		set_error(j, "%s: the policy is larger than %d bytes", url, POLICY_BODY_MAX);
		return;
	}
	if (rc != CURLE_OK) {
		set_error(j, "%s (%s): %s", url, j->ip,
		          j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc));
		return;
	}
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(j->easy, CURLINFO_CONTENT_TYPE, &ctype);
	if (code >= 300 && code < 400) {
		set_error(j, "%s: HTTP %ld redirect, refused (RFC 8461 §3.3: no redirects)", url,
		          code);
		return;
	}
	if (code != 200) {
		set_error(j, "%s: HTTP %ld", url, code);
		return;
	}
	if (ctype && strncasecmp(ctype, "text/plain", 10) != 0) {
		set_error(j, "%s: Content-Type \"%.60s\", expected text/plain", url, ctype);
		return;
	}
	j->r->policy = policy_parse(j->body ? j->body : "", j->blen, &why);
	if (!j->r->policy)
		set_error(j, "%s: %s", url, why ? why : "not a policy");
	free(why);
}

static void on_done(void *arg, CURL *easy, CURLcode rc)
{
	policy_fetcher *f = arg;
	policy_job *j = NULL;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&j);
	if (!j)
		return;
	judge(j, rc);
	curl_multi_remove_handle(curlloop_multi(f->cl), easy);
	curl_easy_cleanup(easy);
	j->easy = NULL;
	job_step(j);
}

static void on_release(void *arg)
{
	policy_fetcher_free(arg);
}

static void on_closed(void *arg)
{
	free(arg);
}

/* ---- public ------------------------------------------------------------- */

policy_fetcher *policy_fetcher_new(uv_loop_t *loop, dns_client *dns, const policy_fetch_config *cfg,
                                   char **why)
{
	static const curlloop_hooks hooks = {
	    .done = on_done, .release = on_release, .closed = on_closed};
	policy_fetcher *f = calloc(1, sizeof(*f));

	if (!f) {
		mxs_why(why, "out of memory");
		return NULL;
	}
	f->loop = loop;
	f->dns = dns;
	f->timeout_ms = cfg && cfg->timeout_ms ? cfg->timeout_ms : POLICY_FETCH_DEFAULT_TIMEOUT_MS;
	f->port = cfg && cfg->port > 0 ? cfg->port : POLICY_FETCH_PORT;
	f->loopback_only = cfg && cfg->loopback_only;
	if (cfg && cfg->ca_pem && !(f->ca_pem = strdup(cfg->ca_pem))) {
		mxs_why(why, "out of memory");
		free(f);
		return NULL;
	}
	f->cl = curlloop_new(loop, &hooks, f, why);
	if (!f->cl) {
		free(f->ca_pem);
		free(f);
		return NULL;
	}
	return f;
}

policy_job *policy_fetch(policy_fetcher *f, const char *domain, policy_fetch_cb cb, void *arg)
{
	policy_job *j;
	char name[300];

	if (f->freeing || strlen(domain) > 253)
		return NULL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->f = f;
	j->cb = cb;
	j->arg = arg;
	j->domain = strdup(domain);
	j->r = calloc(1, sizeof(*j->r));
	if (!j->domain || !j->r) {
		job_free(j);
		return NULL;
	}
	j->next = f->jobs;
	if (f->jobs)
		f->jobs->prev = j;
	f->jobs = j;
	f->busy++;
	/* one count held while the questions are asked, so an answer that
	 * comes at once cannot end the job half set up */
	j->pending = 1;
	snprintf(name, sizeof(name), "_mta-sts.%s", domain);
	if (ask(j, K_STS, name, ns_t_txt) != MXS_OK)
		set_error(j, "out of memory");
	snprintf(name, sizeof(name), "_smtp._tls.%s", domain);
	if (ask(j, K_RPT, name, ns_t_txt) != MXS_OK)
		set_error(j, "out of memory");
	j->pending--; /* answers come from the loop, never from in here */
	if (j->pending == 0) {
		policy_fetch_cancel(j); /* nothing could be asked */
		return NULL;
	}
	return j;
}

void policy_fetch_cancel(policy_job *j)
{
	if (!j)
		return;
	job_unlink(j->f, j);
	job_free(j);
}

size_t policy_fetcher_busy(const policy_fetcher *f)
{
	return f ? f->busy : 0;
}

void policy_fetcher_free(policy_fetcher *f)
{
	if (!f)
		return;
	f->freeing = true;
	if (curlloop_defer_release(f->cl))
		return; /* the outermost callback returns first */
	while (f->jobs) {
		policy_job *j = f->jobs;
		job_unlink(f, j);
		job_free(j);
	}
	free(f->ca_pem);
	f->ca_pem = NULL;
	curlloop_free(f->cl); /* on_closed frees f */
}
