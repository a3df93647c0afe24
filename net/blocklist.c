/* net/blocklist.c — blocklist lookups over HTTP: DoH (RFC 8484) for DNSBL
 * zones and JSON APIs, through one libcurl multi handle driven by libuv
 * polls and timers (net/curlloop.c, as for net/smtp.c), with a cache, a token
 * bucket per provider and a bound on transfers in flight. What the answers
 * mean is decided in core/blocklist.c. */
#include "bl.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "curlloop.h"
#include "dns.h"
#include "hash.h"
#include "addr.h"

#define CACHE_BUCKETS 256
#define CACHE_MAX     4096 /* entries; beyond it answers are not cached */
#define TXT_PHASE     16

typedef struct prov prov;
typedef struct lookup lookup;

struct lookup {
	bl_client *c;
	prov *pv;
	bl_done_cb cb;
	void *arg;
	blr_result *r;
	char ip[INET6_ADDRSTRLEN];
	char qname[160];
	int qtype; /* DoH: 1 (A) then 16 (TXT); 0 for JSON */
	CURL *easy;
	CURLU *curlu; /* the parsed URL the transfer uses: what bl_url_check judged */
	struct curl_slist *headers;
	unsigned char *post; /* DoH POST body */
	char *body;          /* what came back, at most BLR_BODY_MAX */
	size_t blen;
	bool too_big;
	uint64_t t0, deadline; /* uv_now() ms */
	lookup *next, *prev;   /* provider queue (next), running list or due list */
	char errbuf[CURL_ERROR_SIZE];
};

struct prov {
	const blr_provider *p;
	size_t index;
	double tokens;
	uint64_t refilled; /* uv_now() at the last refill */
	lookup *qhead, *qtail;
	size_t nqueued;
};

typedef struct centry {
	size_t prov;
	char ip[INET6_ADDRSTRLEN];
	uint64_t expires; /* uv_now() ms */
	blr_result *r;
	struct centry *next;
} centry;

struct bl_client {
	uv_loop_t *loop;
	curlloop *cl;    /* libcurl on the loop; NULL once torn down */
	uv_timer_t rate; /* the next token */
	/* cache hits are handed over after the next poll (check phase); the idle
	 * handle keeps that poll from blocking. A timer would run them before
	 * the poll, and a caller looping on uv_run(UV_RUN_ONCE) until its last
	 * result came would then sleep in the poll with nothing left to wake it */
	uv_check_t deliver;
	uv_idle_t deliver_idle;
	prov *provs;
	size_t nprovs, rr; /* rr: the provider pump() looks at first */
	unsigned timeout_ms, max_transfers, peak;
	char *ca_pem;
	lookup *running, *due, *due_tail;
	size_t nrunning, nqueued, ndue;
	centry *cache[CACHE_BUCKETS];
	size_t ncache;
	unsigned long transfers, hits;
	bool freeing;
	unsigned open_handles; /* rate, deliver, deliver_idle and cl */
};

/* ---- small helpers ------------------------------------------------------- */

size_t bl_base64url(const uint8_t *in, size_t len, char *out)
{
	return blr_base64(in, len, true, out);
}

static unsigned hash_key(size_t prov_index, const char *ip)
{
	return mx_hash(ip, MX_HASH_BASIS ^ (uint32_t)prov_index) % CACHE_BUCKETS;
}

/* ---- the URL rule ---------------------------------------------------------- */

/* Parses url with libcurl's URL API, the parser that will make the request,
 * and applies the one rule for blocklist URLs (net/bl.h). The handle is the
 * caller's (curl_url_cleanup); NULL with *why. */
static CURLU *url_parse(const char *url, char **why)
{
	CURLU *u = NULL;
	CURLUcode rc;
	char *scheme = NULL, *host = NULL, *part = NULL;
	bool ok = false;

	if (!url || !url[0]) {
		mxs_why(why, "no URL");
		return NULL;
	}
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= ' ' || *p == 0x7f) {
			mxs_why(why, "the URL holds a blank or control byte");
			return NULL;
		}
	/* WHATWG parsers read "\" as "/", libcurl as a plain byte: a URL whose
	 * host depends on who reads it is refused */
	if (strchr(url, '\\')) {
		mxs_why(why, "the URL holds a backslash, which URL parsers read differently");
		return NULL;
	}
	u = curl_url();
	if (!u) {
		mxs_why(why, "out of memory");
		return NULL;
	}
	rc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (rc != CURLUE_OK) {
		mxs_why(why, "libcurl cannot read the URL: %s", curl_url_strerror(rc));
		goto done;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		mxs_why(why, "the URL has no scheme or no host");
		goto done;
	}
	if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
		mxs_why(why, "the URL is %s://, expected https://", scheme);
		goto done;
	}
	/* "http://127.0.0.1:80@evil/" asks evil: whatever stands before an @
	 * only hides which host is asked, and credentials belong in header = */
	if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_OPTIONS, &part, 0) == CURLUE_OK) {
		mxs_why(why, "the URL has a user or password part (before an @), which hides "
		             "the host it asks");
		goto done;
	}
	if (curl_url_get(u, CURLUPART_ZONEID, &part, 0) == CURLUE_OK) {
		mxs_why(why, "the URL has an IPv6 zone id");
		goto done;
	}
	if (strcmp(scheme, "http") == 0) {
		/* libcurl answers "localhost" itself, without DNS (7.78+) */
		size_t hl = strlen(host);
		bool loop = strcasecmp(host, "localhost") == 0;
		if (!loop && hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
			host[hl - 1] = '\0';
			loop = mx_ip_is_loopback(host + 1);
		} else if (!loop) {
			loop = mx_ip_is_loopback(host);
		}
		if (!loop) {
			mxs_why(why, "plain http:// goes only to this machine (127.0.0.0/8, [::1], "
			             "localhost): elsewhere the request travels in clear; use "
			             "https://");
			goto done;
		}
	}
	ok = true;
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(part);
	if (!ok) {
		curl_url_cleanup(u);
		u = NULL;
	}
	return u;
}

mxs_status bl_url_check(const char *url, char **why)
{
	CURLU *u = url_parse(url, why);

	curl_url_cleanup(u);
	return u ? MXS_OK : MXS_ERR_INVALID;
}

/* The provider's URL as it will be asked: a JSON template is expanded for
 * a sample address first, so a placeholder in the host is judged too. */
static mxs_status provider_url_check(const blr_provider *p, char **why)
{
	char *url = p->kind == BLR_JSON_API ? blr_expand_url(p, "192.0.2.1") : NULL;
	mxs_status st;

	if (p->kind == BLR_JSON_API && !url) {
		mxs_why(why, "the url template has an unknown {placeholder}");
		return MXS_ERR_INVALID;
	}
	st = bl_url_check(url ? url : p->url, why);
	free(url);
	return st;
}

/* ---- DoH answers ----------------------------------------------------------- */

/* The negative-caching TTL of an NXDOMAIN or NODATA answer (RFC 2308 §5):
 * min(SOA TTL, SOA MINIMUM) of the SOA in the authority section; 0 without
 * one. c-ares 1.18 cannot give it (see net/dns.h): dns_walk reads the
 * records, and MINIMUM is the SOA RDATA's last field (RFC 1035 §3.3.13). */
static bool on_soa(const dns_rr *rr, void *arg)
{
	uint32_t *ttl = arg, minimum;

	if (rr->section != DNS_SECTION_AUTHORITY || rr->type != ns_t_soa || rr->rdlen < 22)
		return true;
	minimum = dns_ttl((uint32_t)rr->rdata[rr->rdlen - 4] << 24 |
	                  (uint32_t)rr->rdata[rr->rdlen - 3] << 16 |
	                  (uint32_t)rr->rdata[rr->rdlen - 2] << 8 | rr->rdata[rr->rdlen - 1]);
	*ttl = rr->ttl < minimum ? rr->ttl : minimum;
	return false;
}

static uint32_t negative_ttl(const uint8_t *m, size_t len)
{
	uint32_t ttl = 0;

	dns_walk(m, len, on_soa, &ttl);
	return ttl < BLR_MAX_TTL ? ttl : BLR_MAX_TTL;
}

/* The TXT answer of a listing: its strings are the reason. */
static mxs_status read_txt(blr_result *r, const char *qname, const uint8_t *msg, size_t len)
{
	struct ares_txt_reply *txt = NULL;
	char reason[BLR_REASON_MAX + 1];
	size_t n = 0;
	int rcode = -1;
	mxs_status st = MXS_OK;

	/* c-ares checks the header's size, the one question and every record;
	 * whether it answers our question is ours to see. A TXT only adds a
	 * reason: anything wrong keeps the verdict and drops the reason */
	if (ares_parse_txt_reply(msg, (int)len, &txt) != ARES_SUCCESS)
		return MXS_OK;
	if (!dns_reply_to(msg, len, qname, ns_t_txt, &rcode) || rcode != 0)
		goto done;
	/* strings of one record are one text (RFC 7208 style); records are
	 * joined with "; " */
	for (struct ares_txt_reply *t = txt; t && n < BLR_REASON_MAX; t = t->next) {
		size_t k = t->length;
		if (n && t != txt && n + 2 < BLR_REASON_MAX) {
			memcpy(reason + n, "; ", 2);
			n += 2;
		}
		if (k > BLR_REASON_MAX - n)
			k = BLR_REASON_MAX - n;
		memcpy(reason + n, t->txt, k);
		n += k;
	}
	if (n)
		st = blr_result_set_reason(r, reason, n);
done:
	ares_free_data(txt);
	return st;
}

mxs_status bl_doh_read(blr_result *r, const blr_provider *p, const char *qname, int qtype,
                       const uint8_t *msg, size_t len)
{
	dns_addrs got;
	uint32_t addrs[BLR_MAX_CODES], ttl = BLR_MAX_TTL;
	size_t n;
	int rcode = 0;
	mx_rcode rc;
	mxs_status st;

	if (len > BLR_BODY_MAX)
		return qtype == ns_t_txt
		           ? MXS_OK
		           : blr_result_fail(r, "the answer is not a DNS reply to %s", qname);
	if (qtype == ns_t_txt)
		return read_txt(r, qname, msg, len);
	/* c-ares reads the message (header size, one question, the records);
	 * NODATA is a well-formed answer without an A record */
	rc = dns_addrs_read(msg, (int)len, 4, &got, NULL);
	if (rc == MX_RC_FORMERR) {
		/* "not a reply to" when even the header or question is wrong */
		if (!dns_reply_to(msg, len, qname, ns_t_a, NULL))
			return blr_result_fail(r, "the answer is not a DNS reply to %s", qname);
		return blr_result_fail(r, "the answer is not a valid DNS message (%s)",
		                       ares_strerror(ARES_EBADRESP));
	}
	if (!dns_reply_to(msg, len, qname, ns_t_a, &rcode))
		return blr_result_fail(r, "the answer is not a DNS reply to %s", qname);
	if (rcode != 0) {
		blr_interpret_a(r, p, rcode, NULL, 0);
		if (r->state == BLR_NOT_LISTED)
			r->ttl = negative_ttl(msg, len);
		return MXS_OK;
	}
	/* the return codes a provider defines: the first BLR_MAX_CODES */
	n = got.n < BLR_MAX_CODES ? got.n : BLR_MAX_CODES;
	for (size_t i = 0; i < n; i++) {
		memcpy(&addrs[i], got.a[i].bin, 4);
		if (got.a[i].ttl < ttl)
			ttl = got.a[i].ttl;
	}
	st = blr_interpret_a(r, p, 0, addrs, n);
	if (r->state != BLR_UNAVAILABLE)
		r->ttl = n ? ttl : negative_ttl(msg, len);
	return st;
}

/* ---- the cache ------------------------------------------------------------- */

static centry *cache_find(bl_client *c, size_t pi, const char *ip)
{
	uint64_t now = uv_now(c->loop);
	centry **pp = &c->cache[hash_key(pi, ip)];

	while (*pp) {
		centry *e = *pp;
		if (e->expires <= now) {
			/* expired entries go as they are met */
			*pp = e->next;
			blr_result_free(e->r);
			free(e);
			c->ncache--;
			continue;
		}
		if (e->prov == pi && strcmp(e->ip, ip) == 0)
			return e;
		pp = &e->next;
	}
	return NULL;
}

static void cache_put(bl_client *c, size_t pi, const blr_result *r)
{
	centry *e;
	unsigned b;

	if (r->ttl == 0 || r->state == BLR_UNAVAILABLE || c->ncache >= CACHE_MAX)
		return;
	if ((e = cache_find(c, pi, r->ip))) {
		blr_result_free(e->r);
	} else {
		e = calloc(1, sizeof(*e));
		if (!e)
			return;
		b = hash_key(pi, r->ip);
		e->prov = pi;
		snprintf(e->ip, sizeof(e->ip), "%s", r->ip);
		e->next = c->cache[b];
		c->cache[b] = e;
		c->ncache++;
	}
	e->expires = uv_now(c->loop) + (uint64_t)r->ttl * 1000u;
	e->r = blr_result_dup(r);
	if (!e->r)
		e->expires = 0; /* dropped at the next look */
}

static void cache_clear(bl_client *c)
{
	for (size_t b = 0; b < CACHE_BUCKETS; b++)
		while (c->cache[b]) {
			centry *e = c->cache[b];
			c->cache[b] = e->next;
			blr_result_free(e->r);
			free(e);
		}
	c->ncache = 0;
}

/* ---- lookups ----------------------------------------------------------------- */

static void pump(bl_client *c);

static void lookup_free(lookup *l)
{
	if (l->easy)
		curl_easy_cleanup(l->easy);
	curl_url_cleanup(l->curlu);
	curl_slist_free_all(l->headers);
	if (l->post)
		ares_free_string(l->post);
	free(l->body);
	blr_result_free(l->r);
	free(l);
}

static void running_unlink(bl_client *c, lookup *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		c->running = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->next = l->prev = NULL;
	c->nrunning--;
}

/* Hands the result to its owner; l is gone afterwards. */
static void deliver(bl_client *c, lookup *l)
{
	blr_result *r = l->r;
	const blr_provider *p = l->pv->p;

	l->r = NULL;
	/* last line of defence: whatever a server echoed, the key does not leave */
	if (blr_result_redact(r, p->key) != MXS_OK) {
		blr_result_free(r);
		r = NULL;
	}
	if (r && l->t0)
		r->ms = (long)(uv_now(c->loop) - l->t0);
	if (r && !r->from_cache)
		cache_put(c, l->pv->index, r);
	if (r && !c->freeing)
		l->cb(r, l->arg);
	else
		blr_result_free(r);
	lookup_free(l);
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	lookup *l = arg;
	size_t len = size * n;
	char *g;

	if (l->blen + len > BLR_BODY_MAX) {
		l->too_big = true;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	g = realloc(l->body, l->blen + len + 1);
	if (!g)
		return 0;
	l->body = g;
	memcpy(l->body + l->blen, data, len);
	l->blen += len;
	l->body[l->blen] = '\0';
	return len;
}

/* Sets up the transfer for l's current question; false when out of memory
 * or the request cannot be made (*why says which, when known). */
static bool make_easy(bl_client *c, lookup *l, char **why)
{
	const blr_provider *p = l->pv->p;
	CURL *e = curl_easy_init();
	char *url = NULL, *hdr = NULL;
	bool ok = false;
	uint64_t now = uv_now(c->loop);
	long left = l->deadline > now ? (long)(l->deadline - now) : 1;

	if (!e)
		return false;
	l->easy = e;
	free(l->body);
	l->body = NULL;
	l->blen = 0;
	l->too_big = false;
	curl_slist_free_all(l->headers);
	l->headers = NULL;
	if (p->kind == BLR_DNSBL_DOH) {
		unsigned char *q = NULL;
		int qlen = 0;
		/* RFC 8484 §4.1: ID 0 makes GET answers cacheable by HTTP caches */
		if (ares_create_query(l->qname, ns_c_in, l->qtype, 0, 1, &q, &qlen, 0) !=
		    ARES_SUCCESS)
			goto done;
		if (p->post) {
			if (l->post)
				ares_free_string(l->post);
			l->post = q;
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, (char *)q);
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)qlen);
			l->headers =
			    curl_slist_append(l->headers, "Content-Type: application/dns-message");
			url = strdup(p->url);
		} else {
			char *b64 = malloc((size_t)qlen / 3 * 4 + 8);
			if (b64) {
				bl_base64url(q, (size_t)qlen, b64);
				if (asprintf(&url, "%s%sdns=%s", p->url,
				             strchr(p->url, '?') ? "&" : "?", b64) < 0)
					url = NULL;
			}
			free(b64);
			ares_free_string(q);
		}
		l->headers = curl_slist_append(l->headers, "Accept: application/dns-message");
	} else {
		url = blr_expand_url(p, l->ip);
		l->headers = curl_slist_append(l->headers, "Accept: application/json");
		hdr = blr_expand_header(p);
		if (p->header && !hdr)
			goto done;
		if (hdr) {
			struct curl_slist *h = curl_slist_append(l->headers, hdr);
			if (!h)
				goto done;
			l->headers = h;
		}
	}
	if (!url || !l->headers)
		goto done;
	/* the URL as it is asked, parsed once: the handle that was checked is
	 * the one libcurl connects with */
	curl_url_cleanup(l->curlu);
	l->curlu = url_parse(url, why);
	if (!l->curlu || curl_easy_setopt(e, CURLOPT_CURLU, l->curlu) != CURLE_OK)
		goto done;
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_PRIVATE, l);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, l->headers);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 16384L);
	curlloop_easy_bounded(e, left, (long)BLR_BODY_MAX, c->ca_pem, on_body, l, l->errbuf);
	ok = curl_multi_add_handle(curlloop_multi(c->cl), e) == CURLM_OK;
	if (ok)
		c->transfers++;
done:
	if (hdr) {
		/* the expanded header holds the key: wipe before freeing */
		volatile char *v = hdr;
		for (size_t i = 0; v[i]; i++)
			v[i] = 0;
		free(hdr);
	}
	free(url);
	if (!ok) {
		curl_easy_cleanup(e);
		l->easy = NULL;
	}
	return ok;
}

static void start(bl_client *c, lookup *l)
{
	char *why = NULL;

	l->t0 = uv_now(c->loop);
	l->deadline = l->t0 + c->timeout_ms;
	l->next = c->running;
	l->prev = NULL;
	if (c->running)
		c->running->prev = l;
	c->running = l;
	if (++c->nrunning > c->peak)
		c->peak = (unsigned)c->nrunning;
	if (!make_easy(c, l, &why)) {
		running_unlink(c, l);
		if (why)
			blr_result_fail(l->r, "URL refused: %s", why);
		else
			blr_result_fail(l->r, "cannot set up the HTTP request (out of memory?)");
		deliver(c, l);
	}
	free(why);
}

/* Reads a finished transfer; may start the TXT question of a listing. */
static void finish(bl_client *c, lookup *l, CURLcode rc)
{
	long status = 0;
	char *ctype = NULL;
	blr_result *r = l->r;
	const blr_provider *p = l->pv->p;

	curl_easy_getinfo(l->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(l->easy, CURLINFO_CONTENT_TYPE, &ctype);
	if (l->qtype == TXT_PHASE) {
		if (rc == CURLE_OK && status == 200)
			bl_doh_read(r, p, l->qname, ns_t_txt, (uint8_t *)l->body, l->blen);
		goto done;
	}
	if (l->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		blr_result_fail(r, "the response is larger than %d KiB", BLR_BODY_MAX / 1024);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		blr_result_fail(r, "no answer within %.1f s", c->timeout_ms / 1000.0);
	} else if (rc != CURLE_OK) {
		blr_result_fail(r, "%s", l->errbuf[0] ? l->errbuf : curl_easy_strerror(rc));
	} else if (status != 200) {
		blr_result_fail(r, "HTTP %ld%s", status,
		                status == 429                    ? " (rate limited)"
		                : status == 401 || status == 403 ? " (the key was not accepted)"
		                                                 : "");
	} else if (p->kind == BLR_DNSBL_DOH) {
		if (!ctype || strncasecmp(ctype, "application/dns-message", 23) != 0)
			blr_result_fail(r, "the answer is not application/dns-message");
		else
			bl_doh_read(r, p, l->qname, ns_t_a, (uint8_t *)l->body, l->blen);
		if (r->state == BLR_LISTED) {
			/* RFC 5782 §2.1: the TXT record says why; same deadline */
			curl_multi_remove_handle(curlloop_multi(c->cl), l->easy);
			curl_easy_cleanup(l->easy);
			l->easy = NULL;
			l->qtype = TXT_PHASE;
			if (make_easy(c, l, NULL))
				return;
			goto done;
		}
	} else {
		blr_interpret_json(r, p, l->body ? l->body : "", l->blen);
		if (r->state != BLR_UNAVAILABLE)
			r->ttl = p->ttl;
	}
done:
	running_unlink(c, l);
	if (l->easy) {
		curl_multi_remove_handle(curlloop_multi(c->cl), l->easy);
		curl_easy_cleanup(l->easy);
		l->easy = NULL;
	}
	deliver(c, l);
}

/* ---- the pump: tokens and slots ---------------------------------------------- */

static void refill(bl_client *c, prov *pv)
{
	uint64_t now = uv_now(c->loop);
	double cap = pv->p->rate > 1 ? pv->p->rate : 1;

	pv->tokens += (double)(now - pv->refilled) / 1000.0 * pv->p->rate;
	if (pv->tokens > cap)
		pv->tokens = cap;
	pv->refilled = now;
}

static void on_rate(uv_timer_t *t)
{
	pump(t->data);
}

static void pump(bl_client *c)
{
	uint64_t wait_ms = 0;
	bool progress = true;

	while (!c->freeing && progress && c->nrunning < c->max_transfers && c->nqueued) {
		progress = false;
		for (size_t k = 0; k < c->nprovs && c->nrunning < c->max_transfers; k++) {
			prov *pv = &c->provs[(c->rr + k) % c->nprovs];
			lookup *l;
			if (!pv->qhead)
				continue;
			refill(c, pv);
			if (pv->tokens < 1.0) {
				uint64_t ms =
				    (uint64_t)((1.0 - pv->tokens) / pv->p->rate * 1000.0) + 1;
				if (!wait_ms || ms < wait_ms)
					wait_ms = ms;
				continue;
			}
			pv->tokens -= 1.0;
			l = pv->qhead;
			pv->qhead = l->next;
			if (!pv->qhead)
				pv->qtail = NULL;
			l->next = NULL;
			pv->nqueued--;
			c->nqueued--;
			start(c, l);
			progress = true;
		}
		c->rr = (c->rr + 1) % (c->nprovs ? c->nprovs : 1);
	}
	if (!c->freeing && wait_ms && c->nrunning < c->max_transfers)
		uv_timer_start(&c->rate, on_rate, wait_ms, 0);
}

static void on_idle(uv_idle_t *h)
{
	(void)h;
}

static void on_deliver(uv_check_t *t);

static void deliver_soon(bl_client *c)
{
	uv_check_start(&c->deliver, on_deliver);
	uv_idle_start(&c->deliver_idle, on_idle);
}

static void on_deliver(uv_check_t *t)
{
	bl_client *c = t->data;

	uv_check_stop(&c->deliver);
	uv_idle_stop(&c->deliver_idle);

	curlloop_enter(c->cl);
	while (c->due && !c->freeing) {
		lookup *l = c->due;
		c->due = l->next;
		if (!c->due)
			c->due_tail = NULL;
		l->next = NULL;
		c->ndue--;
		deliver(c, l);
	}
	curlloop_leave(c->cl);
}

/* ---- libcurl ↔ libuv: net/curlloop.c's hooks ---------------------------- */

static void on_done(void *arg, CURL *easy, CURLcode rc)
{
	lookup *l = NULL;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&l);
	if (l)
		finish(arg, l, rc);
}

static void on_drained(void *arg)
{
	pump(arg);
}

static void on_release(void *arg)
{
	bl_client_free(arg);
}

static void maybe_free(bl_client *c)
{
	if (c->freeing && c->open_handles == 0 && !c->cl)
		free(c);
}

static void on_loop_closed(void *arg)
{
	bl_client *c = arg;

	c->open_handles--;
	maybe_free(c);
}

static void on_handle_closed(uv_handle_t *h)
{
	bl_client *c = h->data;

	c->open_handles--;
	maybe_free(c);
}

/* ---- public -------------------------------------------------------------- */

bl_client *bl_client_new(uv_loop_t *loop, const blr_config *providers, const bl_config *cfg,
                         char **why)
{
	static const curlloop_hooks hooks = {.done = on_done,
	                                     .drained = on_drained,
	                                     .release = on_release,
	                                     .closed = on_loop_closed};
	bl_client *c = calloc(1, sizeof(*c));
	size_t n = 0;

	if (!c) {
		mxs_why(why, "out of memory");
		return NULL;
	}
	c->loop = loop;
	c->timeout_ms = cfg && cfg->timeout_ms ? cfg->timeout_ms : BL_DEFAULT_TIMEOUT_MS;
	c->max_transfers = cfg && cfg->max_transfers ? cfg->max_transfers : BL_DEFAULT_TRANSFERS;
	if (blr_config_check(providers, why) != MXS_OK)
		goto fail;
	/* the last gate: whichever way a provider was configured (file,
	 * --blocklist, the lab), no request goes to a URL the rule refuses */
	for (size_t i = 0; i < blr_config_count(providers); i++) {
		const blr_provider *p = blr_config_provider(providers, i);
		char *uwhy = NULL;
		if (!p->enabled || provider_url_check(p, &uwhy) == MXS_OK)
			continue;
		if (p->line)
			mxs_why(why, "blocklist %s (line %d): URL refused: %s", p->name,
			        p->url_line ? p->url_line : p->line, uwhy);
		else
			mxs_why(why, "--blocklist %s: URL refused: %s", p->name, uwhy);
		free(uwhy);
		goto fail;
	}
	c->provs = calloc(blr_config_count(providers) + 1, sizeof(*c->provs));
	if (!c->provs || (cfg && cfg->ca_pem && !(c->ca_pem = strdup(cfg->ca_pem)))) {
		mxs_why(why, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < blr_config_count(providers); i++) {
		const blr_provider *p = blr_config_provider(providers, i);
		if (!p->enabled)
			continue;
		c->provs[n] = (prov){.p = p, .index = n, .refilled = uv_now(loop)};
		c->provs[n].tokens = p->rate > 1 ? p->rate : 1;
		n++;
	}
	c->nprovs = n;
	/* made last: once it exists, c goes only through its closed hooks */
	c->cl = curlloop_new(loop, &hooks, c, why);
	if (!c->cl)
		goto fail;
	/* a few providers: keeping their connections saves handshakes */
	curl_multi_setopt(curlloop_multi(c->cl), CURLMOPT_MAXCONNECTS, (long)c->max_transfers);
	uv_timer_init(loop, &c->rate);
	uv_check_init(loop, &c->deliver);
	uv_idle_init(loop, &c->deliver_idle);
	c->rate.data = c->deliver.data = c->deliver_idle.data = c;
	c->open_handles = 4;
	return c;
fail:
	free(c->provs);
	free(c->ca_pem);
	free(c);
	return NULL;
}

size_t bl_client_provider_count(const bl_client *c)
{
	return c->nprovs;
}

mxs_status bl_lookup(bl_client *c, const char *ip, bl_done_cb cb, void *arg, size_t *ncb)
{
	unsigned char bin[16];
	char canon[INET6_ADDRSTRLEN];
	int af = ip && strchr(ip, ':') ? AF_INET6 : AF_INET;
	size_t made = 0;
	mxs_status st = MXS_OK;

	if (ncb)
		*ncb = 0;
	if (c->freeing || !cb || !ip || inet_pton(af, ip, bin) != 1 ||
	    !inet_ntop(af, bin, canon, sizeof(canon)))
		return MXS_ERR_INVALID;
	for (size_t i = 0; i < c->nprovs; i++) {
		prov *pv = &c->provs[i];
		centry *e = cache_find(c, i, canon);
		lookup *l = calloc(1, sizeof(*l));
		if (!l) {
			st = MXS_ERR_NOMEM;
			break;
		}
		l->c = c;
		l->pv = pv;
		l->cb = cb;
		l->arg = arg;
		snprintf(l->ip, sizeof(l->ip), "%s", canon);
		l->r = e ? blr_result_dup(e->r) : blr_result_new(pv->p->name, pv->p->kind, canon);
		if (!l->r) {
			free(l);
			st = MXS_ERR_NOMEM;
			break;
		}
		made++;
		if (e) {
			uint64_t left = (e->expires - uv_now(c->loop)) / 1000u;
			l->r->from_cache = true;
			l->r->ms = -1;
			l->r->ttl = (uint32_t)left;
			c->hits++;
			if (c->due_tail)
				c->due_tail->next = l;
			else
				c->due = l;
			c->due_tail = l;
			c->ndue++;
			deliver_soon(c);
			continue;
		}
		if (pv->p->kind == BLR_DNSBL_DOH) {
			if (blr_query_name(canon, pv->p->zone, l->qname, sizeof(l->qname)) !=
			    MXS_OK) {
				/* cannot happen for a checked zone; reported, not dropped */
				blr_result_fail(l->r, "cannot build the query name");
				if (c->due_tail)
					c->due_tail->next = l;
				else
					c->due = l;
				c->due_tail = l;
				c->ndue++;
				deliver_soon(c);
				continue;
			}
			l->qtype = ns_t_a;
		}
		if (pv->qtail)
			pv->qtail->next = l;
		else
			pv->qhead = l;
		pv->qtail = l;
		pv->nqueued++;
		c->nqueued++;
	}
	if (ncb)
		*ncb = made;
	/* started from a timer so no callback ever runs inside bl_lookup */
	if (c->nqueued)
		uv_timer_start(&c->rate, on_rate, 0, 0);
	return st;
}

/* Frees the lookups of (cb, arg) from a singly linked queue and mends its
 * tail; returns how many went. */
static size_t drop_queued(lookup **head, lookup **tail, bl_done_cb cb, void *arg)
{
	lookup **pp = head, *last = NULL;
	size_t n = 0;

	while (*pp) {
		lookup *l = *pp;
		if (l->cb == cb && l->arg == arg) {
			*pp = l->next;
			lookup_free(l);
			n++;
		} else {
			last = l;
			pp = &l->next;
		}
	}
	*tail = last;
	return n;
}

size_t bl_cancel(bl_client *c, bl_done_cb cb, void *arg)
{
	size_t n = 0;

	for (lookup *l = c->running, *next; l; l = next) {
		next = l->next;
		if (l->cb == cb && l->arg == arg) {
			running_unlink(c, l);
			if (l->easy)
				curl_multi_remove_handle(curlloop_multi(c->cl), l->easy);
			lookup_free(l);
			n++;
		}
	}
	for (size_t i = 0; i < c->nprovs; i++) {
		prov *pv = &c->provs[i];
		size_t k = drop_queued(&pv->qhead, &pv->qtail, cb, arg);
		pv->nqueued -= k;
		c->nqueued -= k;
		n += k;
	}
	{
		size_t k = drop_queued(&c->due, &c->due_tail, cb, arg);
		c->ndue -= k;
		n += k;
	}
	if (n)
		uv_timer_start(&c->rate, on_rate, 0, 0);
	return n;
}

size_t bl_client_busy(const bl_client *c)
{
	return c->nrunning + c->nqueued + c->ndue;
}

unsigned long bl_client_transfers(const bl_client *c)
{
	return c->transfers;
}

unsigned bl_client_peak(const bl_client *c)
{
	return c->peak;
}

unsigned long bl_client_cache_hits(const bl_client *c)
{
	return c->hits;
}

void bl_client_free(bl_client *c)
{
	if (!c)
		return;
	c->freeing = true;
	if (!c->cl || curlloop_defer_release(c->cl))
		return; /* the outermost loop callback finishes the job */
	while (c->running) {
		lookup *l = c->running;
		running_unlink(c, l);
		if (l->easy)
			curl_multi_remove_handle(curlloop_multi(c->cl), l->easy);
		lookup_free(l);
	}
	for (size_t i = 0; i < c->nprovs; i++)
		while (c->provs[i].qhead) {
			lookup *l = c->provs[i].qhead;
			c->provs[i].qhead = l->next;
			lookup_free(l);
		}
	while (c->due) {
		lookup *l = c->due;
		c->due = l->next;
		lookup_free(l);
	}
	cache_clear(c);
	curlloop_free(c->cl);
	c->cl = NULL;
	free(c->provs);
	c->provs = NULL;
	free(c->ca_pem);
	uv_timer_stop(&c->rate);
	uv_check_stop(&c->deliver);
	uv_idle_stop(&c->deliver_idle);
	uv_close((uv_handle_t *)&c->rate, on_handle_closed);
	uv_close((uv_handle_t *)&c->deliver, on_handle_closed);
	uv_close((uv_handle_t *)&c->deliver_idle, on_handle_closed);
}

/* ---- configuration files --------------------------------------------------- */

char *bl_config_default_path(void)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *out = NULL;

	/* XDG: a relative XDG_CONFIG_HOME is invalid and ignored */
	if (x && x[0] == '/') {
		if (asprintf(&out, "%s/mxscope/config", x) < 0)
			return NULL;
	} else if (home && home[0]) {
		if (asprintf(&out, "%s/.config/mxscope/config", home) < 0)
			return NULL;
	}
	return out;
}

static const char *env_lookup(const char *name, void *arg)
{
	(void)arg;
	return getenv(name);
}

mxs_status bl_config_read(const char *path, bool must_exist, char **text_out, size_t *len_out,
                          unsigned *mode, char **why)
{
	/* O_NONBLOCK: a FIFO would block open() until a writer came; it is
	 * refused below as not a regular file instead */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat sb;
	char *text = NULL;
	size_t len = 0;
	mxs_status st = MXS_OK;

	*text_out = NULL;
	*len_out = 0;
	if (fd < 0) {
		if (errno == ENOENT && !must_exist)
			return MXS_OK;
		mxs_why(why, "%s: cannot open: %s", path, strerror(errno));
		return MXS_ERR_IO;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		mxs_why(why, "%s: not a regular file", path);
		st = MXS_ERR_IO;
		goto done;
	}
	if (sb.st_size > BLR_CONFIG_MAX) {
		mxs_why(why, "%s:1: the file is larger than %d KiB", path, BLR_CONFIG_MAX / 1024);
		st = MXS_ERR_INVALID;
		goto done;
	}
	text = malloc(BLR_CONFIG_MAX + 1);
	if (!text) {
		st = MXS_ERR_NOMEM;
		goto done;
	}
	while (len < BLR_CONFIG_MAX) {
		ssize_t n = read(fd, text + len, BLR_CONFIG_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mxs_why(why, "%s: cannot read: %s", path, strerror(errno));
			st = MXS_ERR_IO;
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	text[len] = '\0';
	if (strlen(text) != len) {
		mxs_why(why, "%s: a NUL byte: not a text file", path);
		st = MXS_ERR_INVALID;
		goto done;
	}
	*mode = (unsigned)sb.st_mode;
done:
	if (st == MXS_OK) {
		*text_out = text;
		*len_out = len;
	} else {
		bl_config_wipe(text, len);
	}
	close(fd);
	return st;
}

void bl_config_wipe(char *text, size_t len)
{
	if (text) {
		volatile char *v = text; /* it may hold a key */
		for (size_t i = 0; i < len; i++)
			v[i] = 0;
	}
	free(text);
}

mxs_status bl_config_parse_text(blr_config *c, const char *path, const char *text, unsigned mode,
                                char **warning, char **why)
{
	mxs_status st = blr_config_parse(c, path, text, mode, env_lookup, NULL, warning, why);

	/* every provider of the file, used or not: a bad url = is named with
	 * its line now rather than when the provider is first enabled */
	for (size_t i = 0; st == MXS_OK && i < blr_config_count(c); i++) {
		const blr_provider *p = blr_config_provider(c, i);
		char *uwhy = NULL;
		if (!p->url_line || provider_url_check(p, &uwhy) == MXS_OK)
			continue;
		mxs_why(why, "%s:%d: url refused: %s", path, p->url_line, uwhy);
		free(uwhy);
		st = MXS_ERR_INVALID;
	}
	return st;
}

mxs_status bl_config_load(blr_config *c, const char *path, bool must_exist, char **warning,
                          char **why)
{
	char *text = NULL;
	size_t len = 0;
	unsigned mode = 0;
	mxs_status st = bl_config_read(path, must_exist, &text, &len, &mode, why);

	if (st == MXS_OK && text)
		st = bl_config_parse_text(c, path, text, mode, warning, why);
	bl_config_wipe(text, len);
	return st;
}
