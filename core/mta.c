/* core/mta.c — the sending MTAs' rule tables and the reader of an admin's
 * Postfix parameters (see mta.h). Every row names where the behaviour is
 * written down: postconf(5) for Postfix 3.7 parameters, the Exim 4.96
 * specification's chapters (by title: the numbers move between releases)
 * for Exim, the RFC for rfc. */
#include "mta.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

static const struct {
	const char *name, *who;
} kinds[MTA_COUNT] = {
    [MTA_RFC] = {"rfc", "the letter of RFC 5321 §5.1: every address in turn, no limits"},
    [MTA_POSTFIX] = {"postfix", "Postfix 3.7 (its defaults, or --mta-config)"},
    [MTA_EXIM] = {"exim", "Exim 4.96: dnslookup router, smtp transport defaults"},
};

const char *mta_name(mta_kind k)
{
	return (unsigned)k < MTA_COUNT ? kinds[k].name : "?";
}

const char *mta_who(mta_kind k)
{
	return (unsigned)k < MTA_COUNT ? kinds[k].who : "?";
}

int mta_lookup(const char *name)
{
	for (int i = 0; i < MTA_COUNT; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return i;
	return -1;
}

void mta_params_default(mta_kind k, mta_params *p)
{
	*p = (mta_params){.addr_pref = MTA_PREF_IPV6, .tls = MTA_TLS_MAY};
	switch (k) {
	case MTA_POSTFIX:
		/* postconf(5): smtp_mx_address_limit 5, smtp_mx_session_limit 2,
		 * smtp_skip_5xx_greeting yes, smtp_address_preference any,
		 * smtp_balance_inet_protocols yes, smtp_randomize_addresses yes;
		 * Debian's main.cf sets smtp_tls_security_level = may */
		p->address_limit = 5;
		p->session_limit = 2;
		p->skip_5xx_greeting = true;
		p->addr_pref = MTA_PREF_ANY;
		p->balance = true;
		p->dedup = true;
		p->shuffle_addr = true;
		break;
	case MTA_EXIM:
		/* smtp transport: hosts_max_try = 5 */
		p->address_limit = 5;
		break;
	case MTA_RFC:
	case MTA_COUNT: p->skip_5xx_greeting = true; break;
	}
}

/* ---- the tables --------------------------------------------------------- */

/* clang-format off */
static const mta_rule rfc_rules[MTA_C_COUNT] = {
    [MTA_C_NULL_MX_MIXED] = {MTA_A_IGNORE, "the null MX is left out and the other MX records are used (RFC 7505 §3 calls the mix an error, §4.1 leaves the sender's choice open)"},
    [MTA_C_NULL_MX] = {MTA_A_BOUNCE, "null MX: the domain accepts no mail, the sender returns it at once (RFC 7505 §4.1)"},
    [MTA_C_NUMERIC_MX] = {MTA_A_IGNORE, "an MX target must be a host name; an address there names no host and is left out (RFC 5321 §5.1)"},
    [MTA_C_NO_ADDRESS] = {MTA_A_BOUNCE, "no MX host has an address: the domain cannot receive mail, the mail bounces (RFC 5321 §5.1)"},
    [MTA_C_DNS_TEMPORARY] = {MTA_A_DEFER, "an MX host's address lookup failed temporarily: the sender queues the mail and retries (RFC 5321 §5.1)"},
    [MTA_C_GREETING_4XX] = {MTA_A_NEXT, "4xx greeting: a temporary failure, try the next address"},
    [MTA_C_GREETING_5XX] = {MTA_A_NEXT, "5xx greeting: this host will not talk, try the next address"},
    [MTA_C_CONNECT_FAILED] = {MTA_A_NEXT, "no SMTP session: try the next address (RFC 5321 §5.1)"},
    [MTA_C_TLS_FAILED] = {MTA_A_NEXT, "the TLS handshake failed: try the next address"},
    [MTA_C_RCPT_4XX] = {MTA_A_DEFER, "4xx at RCPT: the mail is deferred, the sender queues it and retries later"},
    [MTA_C_RCPT_5XX] = {MTA_A_BOUNCE, "5xx at RCPT: the recipient is refused, the mail bounces (no other host is tried)"},
    [MTA_C_ACCEPTED] = {MTA_A_DELIVER, "2xx greeting: the sender hands the mail over here and stops"},
    [MTA_C_ADDRESS_LIMIT] = {MTA_A_DEFER, "no address limit (RFC 5321 §5.1)"},
    [MTA_C_SESSION_LIMIT] = {MTA_A_DEFER, "no session limit"},
    [MTA_C_EXHAUSTED] = {MTA_A_DEFER, "no address takes the mail: the sender queues it and retries later"},
    [MTA_C_EXHAUSTED_5XX] = {MTA_A_DEFER, "no address takes the mail: the sender queues it and retries later"},
    [MTA_C_ORDER] = {MTA_A_NEXT, "hosts of one preference in random order, each host's IPv6 addresses first (RFC 5321 §5.1)"},
};

static const mta_rule postfix_rules[MTA_C_COUNT] = {
    [MTA_C_NULL_MX_MIXED] = {MTA_A_BOUNCE, "Postfix: a null MX beside other MX records, the mail bounces: \"does not accept mail (nullMX)\" (smtp(8), RFC 7505)"},
    [MTA_C_NULL_MX] = {MTA_A_BOUNCE, "Postfix: null MX, the mail bounces: \"does not accept mail (nullMX)\" (smtp(8), RFC 7505)"},
    [MTA_C_NUMERIC_MX] = {MTA_A_USE, "Postfix: logs \"numeric domain name in resource data of MX record\" and connects to the address (smtp(8))"},
    [MTA_C_NO_ADDRESS] = {MTA_A_BOUNCE, "Postfix: no MX host has a valid address record, the mail bounces (postconf(5) smtp_defer_if_no_mx_address_found = no)"},
    [MTA_C_DNS_TEMPORARY] = {MTA_A_DEFER, "Postfix: an MX host's address lookup failed temporarily (or loops), the mail is deferred (smtp(8))"},
    [MTA_C_GREETING_4XX] = {MTA_A_NEXT, "Postfix: 4xx greeting, on to the next address (smtp(8))"},
    [MTA_C_GREETING_5XX] = {MTA_A_NEXT, "Postfix: 5xx greeting, on to the next MX (postconf(5) smtp_skip_5xx_greeting = yes)"},
    [MTA_C_CONNECT_FAILED] = {MTA_A_NEXT, "Postfix: no SMTP session, on to the next address (smtp(8))"},
    [MTA_C_TLS_FAILED] = {MTA_A_DELIVER, "Postfix: the TLS handshake failed; at smtp_tls_security_level = may the host is retried in clear and takes the mail (TLS_README, opportunistic TLS)"},
    [MTA_C_RCPT_4XX] = {MTA_A_NEXT, "Postfix: 4xx at RCPT, the recipient is retried at the next MX while sessions last (postconf(5) smtp_mx_session_limit)"},
    [MTA_C_RCPT_5XX] = {MTA_A_BOUNCE, "Postfix: 5xx at RCPT, the recipient bounces (smtp(8))"},
    [MTA_C_ACCEPTED] = {MTA_A_DELIVER, "Postfix: 2xx greeting, EHLO and TLS done: the mail is handed over here"},
    [MTA_C_ADDRESS_LIMIT] = {MTA_A_DEFER, "Postfix: the addresses past smtp_mx_address_limit are never tried: deferred (postconf(5))"},
    [MTA_C_SESSION_LIMIT] = {MTA_A_DEFER, "Postfix: smtp_mx_session_limit sessions reached MAIL without delivery: deferred (postconf(5))"},
    [MTA_C_EXHAUSTED] = {MTA_A_DEFER, "Postfix: no address takes the mail: deferred, retried from the queue"},
    [MTA_C_EXHAUSTED_5XX] = {MTA_A_DEFER, "Postfix: no MX takes the mail; smtp_skip_5xx_greeting = yes made the 5xx greetings soft errors: deferred (postconf(5); a real Postfix 3.7 answers 4.x.x)"},
    [MTA_C_ORDER] = {MTA_A_NEXT, "Postfix: the addresses of one preference shuffled together, each once (postconf(5) smtp_randomize_addresses = yes, smtp_address_preference)"},
};

static const mta_rule exim_rules[MTA_C_COUNT] = {
    /* rows marked (oracle) are what a real Exim 4.96 did in
     * tests/test_mta_oracle_exim.sh, where the specification leaves it open */
    [MTA_C_NULL_MX_MIXED] = {MTA_A_IGNORE, "Exim: the null MX is ignored beside other MX records and the others are used (spec, The dnslookup router; oracle)"},
    [MTA_C_NULL_MX] = {MTA_A_BOUNCE, "Exim: null MX, the dnslookup router declines and routing fails: bounce (spec, The dnslookup router: Declining addresses)"},
    [MTA_C_NUMERIC_MX] = {MTA_A_IGNORE, "Exim: an MX record that points to an IP address is ignored (allow_mx_to_ip = false) and the other MX records are used (spec, Main configuration: allow_mx_to_ip; oracle)"},
    [MTA_C_NO_ADDRESS] = {MTA_A_BOUNCE, "Exim: \"all relevant MX records point to non-existent hosts or (invalidly) to IP addresses\": routing fails, bounce (spec, The dnslookup router; oracle)"},
    [MTA_C_DNS_TEMPORARY] = {MTA_A_DEFER, "Exim: \"host lookup did not complete\" (a temporary failure or a CNAME loop): the address is deferred (spec, The dnslookup router; oracle)"},
    [MTA_C_GREETING_4XX] = {MTA_A_NEXT, "Exim: 4xx greeting, a temporary error: on to the next host (spec, The smtp transport)"},
    [MTA_C_GREETING_5XX] = {MTA_A_NEXT, "Exim: 5xx greeting, an error of this host: on to the next host; the last host's error decides (spec, The smtp transport; oracle)"},
    [MTA_C_CONNECT_FAILED] = {MTA_A_NEXT, "Exim: no SMTP session, a temporary error: on to the next host (spec, The smtp transport)"},
    [MTA_C_TLS_FAILED] = {MTA_A_DELIVER, "Exim: the TLS handshake failed; tls_tempfail_tryclear = true retries the host in clear and it takes the mail (spec, Encrypted SMTP connections)"},
    [MTA_C_RCPT_4XX] = {MTA_A_NEXT, "Exim: 4xx at RCPT, a temporary error: the address is tried at the next host (spec, The smtp transport; oracle)"},
    [MTA_C_RCPT_5XX] = {MTA_A_BOUNCE, "Exim: 5xx at RCPT, the address bounces (spec, The smtp transport)"},
    [MTA_C_ACCEPTED] = {MTA_A_DELIVER, "Exim: 2xx greeting, the mail is handed over here"},
    [MTA_C_ADDRESS_LIMIT] = {MTA_A_DEFER, "Exim: hosts_max_try = 5 addresses tried with temporary errors, the rest not: deferred (spec, The smtp transport)"},
    [MTA_C_SESSION_LIMIT] = {MTA_A_DEFER, "Exim: no session limit"},
    [MTA_C_EXHAUSTED] = {MTA_A_DEFER, "Exim: every host had a temporary error: deferred, retried later"},
    [MTA_C_EXHAUSTED_5XX] = {MTA_A_BOUNCE, "Exim: the last host tried greeted with a 5xx, a permanent error: the mail bounces (spec, The smtp transport; oracle)"},
    [MTA_C_ORDER] = {MTA_A_NEXT, "Exim: MX records of equal priority in random order, IPv6 addresses before IPv4 (spec, The dnslookup router)"},
};
/* clang-format on */

static const mta_rule bounce_5xx_greeting = {
    MTA_A_BOUNCE, "Postfix: 5xx greeting, the mail bounces at once (postconf(5) "
                  "smtp_skip_5xx_greeting = no)"};

mta_rule mta_rule_for(mta_kind k, const mta_params *p, mta_case c)
{
	static const mta_rule *const tables[MTA_COUNT] = {rfc_rules, postfix_rules, exim_rules};

	if ((unsigned)c >= MTA_C_COUNT)
		c = MTA_C_EXHAUSTED;
	if ((unsigned)k >= MTA_COUNT)
		k = MTA_RFC;
	if (k == MTA_POSTFIX && c == MTA_C_GREETING_5XX && p && !p->skip_5xx_greeting)
		return bounce_5xx_greeting;
	return tables[k][c];
}

/* ---- postconf -n / main.cf ------------------------------------------------ */

typedef bool (*param_fn)(mta_params *p, const char *v, char *err, size_t cap);

static bool p_limit(unsigned *out, const char *v, char *err, size_t cap)
{
	char *end;
	unsigned long n;

	if (!isdigit((unsigned char)*v))
		goto bad;
	n = strtoul(v, &end, 10);
	if (*end || n > 100000)
		goto bad;
	*out = (unsigned)n;
	return true;
bad:
	snprintf(err, cap, "expected a number from 0 to 100000, got \"%s\"", v);
	return false;
}

static bool p_addr_limit(mta_params *p, const char *v, char *err, size_t cap)
{
	return p_limit(&p->address_limit, v, err, cap);
}

static bool p_session_limit(mta_params *p, const char *v, char *err, size_t cap)
{
	return p_limit(&p->session_limit, v, err, cap);
}

static int yes_no(const char *v)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		return 1;
	if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		return 0;
	return -1;
}

static bool p_skip_5xx(mta_params *p, const char *v, char *err, size_t cap)
{
	int b = yes_no(v);

	if (b < 0) {
		snprintf(err, cap, "expected yes or no, got \"%s\"", v);
		return false;
	}
	p->skip_5xx_greeting = b;
	return true;
}

static bool p_balance(mta_params *p, const char *v, char *err, size_t cap)
{
	int b = yes_no(v);

	if (b < 0) {
		snprintf(err, cap, "expected yes or no, got \"%s\"", v);
		return false;
	}
	p->balance = b;
	return true;
}

static bool p_addr_pref(mta_params *p, const char *v, char *err, size_t cap)
{
	static const struct {
		const char *word;
		mta_addr_pref pref;
	} words[] = {{"any", MTA_PREF_ANY}, {"ipv6", MTA_PREF_IPV6}, {"ipv4", MTA_PREF_IPV4}};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(v, words[i].word)) {
			p->addr_pref = words[i].pref;
			return true;
		}
	snprintf(err, cap, "expected any, ipv6 or ipv4, got \"%s\"", v);
	return false;
}

/* "ipv4", "ipv6", "all", or "ipv4, ipv6" in either order */
static bool p_inet(mta_params *p, const char *v, char *err, size_t cap)
{
	bool v4 = false, v6 = false;
	const char *s = v;

	if (!strcmp(v, "all")) {
		p->families = 0;
		return true;
	}
	while (*s) {
		size_t n = strcspn(s, ", \t");
		if (n == 4 && !strncmp(s, "ipv4", 4))
			v4 = true;
		else if (n == 4 && !strncmp(s, "ipv6", 4))
			v6 = true;
		else if (n) {
			snprintf(err, cap, "expected all, ipv4 or ipv6 (or both), got \"%s\"", v);
			return false;
		}
		s += n;
		s += strspn(s, ", \t");
	}
	if (!v4 && !v6) {
		snprintf(err, cap, "expected all, ipv4 or ipv6 (or both)");
		return false;
	}
	p->families = v4 && v6 ? 0 : v4 ? 4 : 6;
	return true;
}

static bool p_tls(mta_params *p, const char *v, char *err, size_t cap)
{
	static const struct {
		const char *word;
		mta_tls_level level;
	} words[] = {{"may", MTA_TLS_MAY},   {"none", MTA_TLS_NONE},
	             {"", MTA_TLS_NONE},     {"encrypt", MTA_TLS_ENCRYPT},
	             {"dane", MTA_TLS_DANE}, {"dane-only", MTA_TLS_DANE_ONLY}};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(v, words[i].word)) {
			p->tls = words[i].level;
			return true;
		}
	if (!strcmp(v, "fingerprint") || !strcmp(v, "verify") || !strcmp(v, "secure"))
		snprintf(err, cap,
		         "level \"%s\" is not modelled (none, may, encrypt, dane, dane-only)", v);
	else
		snprintf(err, cap, "expected none, may, encrypt, dane or dane-only, got \"%s\"", v);
	return false;
}

static bool p_dns(mta_params *p, const char *v, char *err, size_t cap)
{
	if (!strcmp(v, "") || !strcmp(v, "enabled")) {
		p->dnssec = false;
		return true;
	}
	if (!strcmp(v, "dnssec")) {
		p->dnssec = true;
		return true;
	}
	if (!strcmp(v, "disabled"))
		snprintf(err, cap,
		         "\"disabled\" looks up no MX at all: there is no MX walk to show");
	else
		snprintf(err, cap, "expected enabled, dnssec or disabled, got \"%s\"", v);
	return false;
}

static const struct {
	const char *name;
	param_fn fn;
} params[] = {
    {"smtp_mx_address_limit", p_addr_limit},    {"smtp_mx_session_limit", p_session_limit},
    {"smtp_skip_5xx_greeting", p_skip_5xx},     {"smtp_address_preference", p_addr_pref},
    {"smtp_balance_inet_protocols", p_balance}, {"inet_protocols", p_inet},
    {"smtp_tls_security_level", p_tls},         {"smtp_dns_support_level", p_dns},
};

/* One logical line "name = value" (continuations already joined), trimmed. */
static bool one_param(mta_params *p, char *line, const char *file, unsigned long lineno, char **why)
{
	char *eq = strchr(line, '='), *name = line, *v, *end;
	char err[160];

	if (!eq) {
		mxs_why(why, "%s:%lu: expected \"parameter = value\"", file, lineno);
		return false;
	}
	for (end = eq; end > name && isspace((unsigned char)end[-1]); end--)
		;
	*end = '\0';
	v = eq + 1;
	v += strspn(v, " \t");
	for (end = v + strlen(v); end > v && isspace((unsigned char)end[-1]); end--)
		;
	*end = '\0';
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		if (strcmp(params[i].name, name) != 0)
			continue;
		if (!params[i].fn(p, v, err, sizeof(err))) {
			mxs_why(why, "%s:%lu: %s: %s", file, lineno, name, err);
			return false;
		}
		return true;
	}
	return true; /* a parameter the walk does not model */
}

bool mta_config_read(const char *text, const char *file, mta_params *p, char **why)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	unsigned long lineno = 0, start = 0;
	bool ok = true;
	const char *s = text;

	while (ok && *s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		bool cont = n && (s[0] == ' ' || s[0] == '\t');
		bool blank = strspn(s, " \t\r") >= n || s[strspn(s, " \t")] == '#';

		lineno++;
		if (!cont && !blank && len) {
			ok = one_param(p, buf, file, start, why);
			len = 0;
		}
		if (!blank && ok) {
			if (len + n + 2 > cap) {
				char *nb = realloc(buf, cap = len + n + 64);
				if (!nb) {
					mxs_why(why, "%s: out of memory", file);
					ok = false;
					break;
				}
				buf = nb;
			}
			if (!len)
				start = lineno;
			if (len)
				buf[len++] = ' ';
			memcpy(buf + len, s, n);
			len += n;
			while (len && buf[len - 1] == '\r')
				len--;
			buf[len] = '\0';
		}
		s += n + (nl ? 1 : 0);
	}
	if (ok && len)
		ok = one_param(p, buf, file, start, why);
	free(buf);
	return ok;
}
