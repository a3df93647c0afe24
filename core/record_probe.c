/* core/record_probe.c — one address's recorded probe read back (record_int.h):
 * the SMTP conversation, the TLS handshake, the DANE verdict, the recipient
 * stage, and the blocklist answers. Every text is cut at the limit the live
 * probe keeps (core/probe.h), so nothing read is bigger than a probe. */
#include "record_int.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocklist.h"
#include "probe.h"

static const char *state_word(int i)
{
	return probe_state_word((probe_state)i);
}
static const char *bl_kind_word(int i)
{
	return blr_kind_str((blr_kind)i);
}
static const char *bl_state_word(int i)
{
	return blr_state_str((blr_state)i);
}
static const char *dane_word(int i)
{
	return probe_dane_str((probe_dane)i);
}

/* "rcpt": {to, code, reply} through the setter the RCPT stage uses. */
static mxs_status read_rcpt(rd *r, json_t *o, probe_result *p)
{
	mxs_status st = MXS_OK;
	const char *to, *reply;
	size_t len, n;
	json_int_t code = 0;

	if (!o || json_is_null(o))
		return MXS_OK;
	if (!json_is_object(o))
		return rec_fail(r, "rcpt", "expected an object");
	n = rec_push(r, "rcpt", (size_t)-1);
	TRY(rec_get_str(r, o, "to", true, &to, NULL));
	if (strlen(to) > 320) { /* RFC 5321 §4.5.3.1: 64 + @ + 255 */
		st = rec_fail(r, "to", "longer than a mail address");
		goto done;
	}
	TRY(rec_check_name(r, "to", to)); /* --rcpt takes a dot-atom and a host name */
	TRY(rec_get_int(r, o, "code", false, 0, 999, &code));
	TRY(rec_get_str(r, o, "reply", false, &reply, &len));
	if (reply)
		len = rec_cut_utf8(reply, len, PROBE_RCPT_REPLY_MAX);
	TRY(probe_rcpt_set(p, to, (int)code, reply, len));
done:
	rec_pop(r, n);
	return st;
}

/* A certificate's hash, hex: at most 64 characters into out[65]. */
static mxs_status read_hash(rd *r, json_t *o, const char *key, char *out)
{
	const char *s;
	size_t len;
	mxs_status st = rec_get_str(r, o, key, false, &s, &len);

	if (st != MXS_OK || !s)
		return st;
	if (len > 64 || strspn(s, "0123456789abcdefABCDEF") != len)
		return rec_fail(r, key, "expected at most 64 hex digits");
	memcpy(out, s, len + 1);
	return MXS_OK;
}

/* One certificate of "chain" (the server's own first). The DER bytes DANE
 * matched are not recorded: the verdict is ("dane"). */
static mxs_status read_cert(rd *r, json_t *o, probe_cert *c)
{
	mxs_status st = MXS_OK;
	const char **san = NULL;
	size_t nsan = 0;

	if (!json_is_object(o))
		return rec_fail(r, NULL, "expected an object");
	TRY(rec_take_str(r, o, "subject", &c->subject));
	TRY(rec_take_str(r, o, "issuer", &c->issuer));
	TRY(rec_take_time(r, o, "not_before", &c->not_before));
	TRY(rec_take_time(r, o, "not_after", &c->not_after));
	TRY(read_hash(r, o, "spki_sha256", c->spki_sha256));
	TRY(read_hash(r, o, "cert_sha256", c->cert_sha256));
	TRY(rec_get_strings(r, o, "san", PROBE_SAN_MAX, 1024, &san, &nsan));
	if (nsan && !(c->san = calloc(nsan, sizeof(*c->san)))) {
		st = MXS_ERR_NOMEM;
		goto done;
	}
	for (; c->nsan < nsan; c->nsan++)
		if (!(c->san[c->nsan] = strdup(san[c->nsan]))) {
			st = MXS_ERR_NOMEM;
			goto done;
		}
done:
	free(san);
	return st;
}

/* "chain": the certificates as the server sent them; tls.san, spki_sha256
 * and cert_sha256 are its first one's, written from it again. */
static mxs_status read_chain(rd *r, json_t *o, probe_tls *t)
{
	mxs_status st;
	json_t *arr;

	if ((st = rec_get_array(r, o, "chain", PROBE_CHAIN_MAX, &arr)) != MXS_OK || !arr ||
	    !json_array_size(arr))
		return st;
	if (!(t->chain = calloc(json_array_size(arr), sizeof(*t->chain))))
		return MXS_ERR_NOMEM;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		size_t n = rec_push(r, "chain", i);
		t->nchain = i + 1; /* freed with the probe even when half read */
		st = read_cert(r, json_array_get(arr, i), &t->chain[i]);
		rec_pop(r, n);
		if (st != MXS_OK)
			return st;
	}
	return MXS_OK;
}

static mxs_status read_tls(rd *r, json_t *o, probe_tls *t)
{
	mxs_status st = MXS_OK;
	size_t n;

	if (!o)
		return MXS_OK;
	if (!json_is_object(o))
		return rec_fail(r, "tls", "expected an object");
	n = strlen(r->path);
	snprintf(r->path + n, sizeof(r->path) - n, ".tls");
	TRY(rec_get_bool(r, o, "offered", &t->offered));
	TRY(rec_get_bool(r, o, "done", &t->done));
	TRY(rec_get_bool(r, o, "verified", &t->verified));
	TRY(rec_take_str(r, o, "verify_error", &t->verify_error));
	TRY(rec_take_str(r, o, "subject", &t->subject));
	TRY(rec_take_str(r, o, "issuer", &t->issuer));
	TRY(rec_take_time(r, o, "not_before", &t->not_before));
	TRY(rec_take_time(r, o, "not_after", &t->not_after));
	TRY(rec_take_str(r, o, "version", &t->version));
	TRY(read_chain(r, o, t));
done:
	rec_pop(r, n);
	return st;
}

static mxs_status read_times(rd *r, json_t *o, probe_times *t)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
	    {"connect_ms", offsetof(probe_times, connect)},
	    {"greeting_ms", offsetof(probe_times, greeting)},
	    {"ehlo_ms", offsetof(probe_times, ehlo)},
	    {"tls_ms", offsetof(probe_times, tls)},
	    {"total_ms", offsetof(probe_times, total)},
	};
	mxs_status st;

	if (!o)
		return MXS_OK;
	if (!json_is_object(o))
		return rec_fail(r, "times", "expected an object");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_int_t v = -1;
		if ((st = rec_get_int(r, o, keys[i].key, false, -1, 86400000, &v)) != MXS_OK)
			return st;
		*(long *)((char *)t + keys[i].off) = (long)v;
	}
	return MXS_OK;
}

mxs_status rec_read_probe(rd *r, json_t *o, const char *host, const char *ip, probe_result **out)
{
	probe_result *p = NULL;
	mxs_status st = MXS_OK;
	json_int_t port = 0, code = 0;
	int state = 0;
	const char *s;
	size_t len, n = strlen(r->path);
	json_t *ehlo;

	*out = NULL;
	snprintf(r->path + n, sizeof(r->path) - n, ".probe");
	if (!json_is_object(o)) {
		st = rec_fail(r, NULL, "expected an object");
		goto done;
	}
	TRY(rec_get_int(r, o, "port", true, 0, 65535, &port));
	if (!(p = probe_result_new(host, ip, (int)port))) {
		st = MXS_ERR_NOMEM;
		goto done;
	}
	TRY(rec_word_of(r, o, "state", state_word, PROBE_STATE_COUNT, &state));
	p->state = (probe_state)state;
	TRY(rec_get_int(r, o, "code", false, 0, 999, &code));
	p->code = (int)code;
	TRY(rec_get_str(r, o, "greeting", false, &s, &len));
	if (s) {
		len = rec_cut_utf8(s, len, PROBE_GREETING_MAX);
		if (!(p->greeting = rec_dup_n(s, len))) {
			st = MXS_ERR_NOMEM;
			goto done;
		}
		p->greeting_len = len;
	}
	TRY(rec_get_array(r, o, "ehlo", PROBE_EHLO_MAX_LINES, &ehlo));
	for (size_t i = 0; ehlo && i < json_array_size(ehlo); i++) {
		json_t *e = json_array_get(ehlo, i);
		if (!json_is_string(e)) {
			st = rec_fail(r, "ehlo", "expected strings");
			goto done;
		}
		TRY(probe_ehlo_add(p, json_string_value(e),
		                   rec_cut_utf8(json_string_value(e), json_string_length(e),
		                                PROBE_EHLO_LINE_MAX)));
	}
	TRY(read_tls(r, json_object_get(o, "tls"), &p->tls));
	TRY(read_times(r, json_object_get(o, "times"), &p->t));
	TRY(rec_take_str(r, o, "error", &p->error));
	TRY(rec_get_str(r, o, "transcript", false, &s, &len));
	if (s) {
		len = rec_cut_utf8(s, len, PROBE_TRANSCRIPT_MAX);
		if (!(p->transcript = rec_dup_n(s, len))) {
			st = MXS_ERR_NOMEM;
			goto done;
		}
		p->transcript_len = len;
	}
	TRY(rec_get_bool(r, o, "transcript_cut", &p->transcript_cut));
	if (json_object_get(o, "dane")) {
		int dane = 0;
		TRY(rec_word_of(r, o, "dane", dane_word, PROBE_DANE_MISMATCH + 1, &dane));
		p->dane = (probe_dane)dane;
	}
	TRY(read_rcpt(r, json_object_get(o, "rcpt"), p));
	*out = p;
	p = NULL;
done:
	probe_result_free(p);
	rec_pop(r, n);
	return st;
}

mxs_status rec_read_blocklist(rd *r, json_t *o, const char *ip, blr_result **out)
{
	blr_result *b = NULL;
	mxs_status st = MXS_OK;
	const char *prov;
	int kind = 0, state = 0;
	json_int_t ttl = 0;
	json_t *codes;

	*out = NULL;
	if (!json_is_object(o))
		return rec_fail(r, NULL, "expected an object");
	TRY(rec_get_str(r, o, "provider", true, &prov, NULL));
	TRY(rec_word_of(r, o, "kind", bl_kind_word, 2, &kind));
	TRY(rec_word_of(r, o, "state", bl_state_word, 3, &state));
	if (!(b = blr_result_new(prov, (blr_kind)kind, ip))) {
		st = MXS_ERR_NOMEM;
		goto done;
	}
	b->state = (blr_state)state;
	TRY(rec_get_array(r, o, "codes", BLR_MAX_CODES, &codes));
	for (size_t i = 0; codes && i < json_array_size(codes); i++) {
		json_t *c = json_array_get(codes, i);
		const char *code, *meaning;
		if (!json_is_object(c)) {
			st = rec_fail(r, "codes", "expected objects");
			goto done;
		}
		TRY(rec_get_str(r, c, "code", true, &code, NULL));
		TRY(rec_get_str(r, c, "meaning", false, &meaning, NULL));
		if (!b->meanings && !(b->meanings = calloc(BLR_MAX_CODES, sizeof(*b->meanings)))) {
			st = MXS_ERR_NOMEM;
			goto done;
		}
		snprintf(b->codes[i].code, sizeof(b->codes[i].code), "%s", code);
		if (meaning && !(b->meanings[i] = strdup(meaning))) {
			st = MXS_ERR_NOMEM;
			goto done;
		}
		b->codes[i].meaning = b->meanings[i];
		b->ncodes = i + 1;
	}
	TRY(rec_take_str(r, o, "reason", &b->reason));
	TRY(rec_take_str(r, o, "error", &b->error));
	TRY(rec_get_int(r, o, "ttl", false, 0, UINT32_MAX, &ttl));
	b->ttl = (uint32_t)ttl;
	TRY(rec_get_bool(r, o, "from_cache", &b->from_cache));
	*out = b;
	b = NULL;
done:
	blr_result_free(b);
	return st;
}
