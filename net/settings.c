/* net/settings.c — the one settings value and what each front end derives
 * from it (settings.h). */
#include "settings.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "record.h"
#include "smtp.h" /* SMTP_DEFAULT_MAX_PROBES */

void settings_defaults(settings *st)
{
	memset(st, 0, sizeof(*st));
	st->timeout_ms = 5000;
	st->concurrency = 256;
	st->port = -1;
	st->smtp_port = -1;
	st->http_port = -1;
	st->ns_port = -1;
	st->mta_sts_port = -1;
	st->bind = "127.0.0.1";
	st->interval_ms = 10000;
	st->no_color = getenv("NO_COLOR") != NULL;
	st->color = isatty(STDOUT_FILENO) && !st->no_color;
}

/* Probes in flight within the descriptors this process may open: under
 * `ulimit -n 64` the 200 default would have every socket() past the limit
 * fail, and a host that accepts shown as unreachable. Half of what is left
 * after a reserve (stdio, c-ares, curl's own, the policy and blocklist
 * fetches, a recording) goes to probes; the rest wait in the queue, so a
 * low limit makes a run slower, never wrong. */
static unsigned fd_bounded_probes(unsigned asked)
{
	enum { RESERVE = 24 };
	struct rlimit rl;
	unsigned want = asked ? asked : SMTP_DEFAULT_MAX_PROBES;
	rlim_t room;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return asked;
	room = rl.rlim_cur > 2 * RESERVE ? (rl.rlim_cur - RESERVE) / 2 : 1;
	return room < want ? (unsigned)room : asked;
}

scan_config settings_scan_config(const settings *st, scan_mode mode, const char *ca_pem,
                                 const blr_config *bl)
{
	const char *ca = st->ca_pem ? st->ca_pem : ca_pem;
	bool probe = !st->no_probe;

	return (scan_config){
	    .mode = mode,
	    .servers = st->servers,
	    .nservers = st->nservers,
	    .timeout_ms = st->timeout_ms,
	    /* the explorer asks SRV for one domain once its details show them,
	       for every domain only when asked to */
	    .srv = st->srv,
	    .family = st->family,
	    .qps = st->qps,
	    .max_probes = fd_bounded_probes(st->max_probes),
	    .no_probe = st->no_probe,
	    .dane = st->dane,
	    .smtp_port = st->smtp_port,
	    .ehlo_name = st->ehlo_name,
	    .ca_pem = ca,
	    .interval_ms = st->interval_ms,
	    .blocklists = bl,
	    .bl_ca_pem = ca,
	    .loopback_only = st->loopback_probes,
	    .allow_loopback = st->allow_loopback,
	    .seed = st->seed,
	    .as_host = st->as_host,
	    .smtp_overrides = st->smtp_overrides,
	    .nsmtp_overrides = st->nsmtp_overrides,
	    /* a few domains on screen: reverse DNS is cheap there; a bulk
	       check asks it only when told to */
	    .ptr = st->ptr || mode == SCAN_MONITOR,
	    .authoritative = st->authoritative,
	    .ns_port = st->ns_port,
	    /* every sender profile is shown: the mta-sts one needs the policy;
	       without probes there is no walk, so nothing to ask */
	    .mta_sts = probe,
	    .mta_sts_port = st->mta_sts_port,
	    .rcpt = probe ? st->rcpt : NULL,
	    .sender = st->sender >= 0 && st->sender < SENDER_COUNT ? (sender_profile)st->sender
	                                                           : SENDER_OPPORTUNISTIC,
	    .mta = st->mta >= 0 && st->mta < MTA_COUNT ? (mta_kind)st->mta : MTA_RFC,
	    .postfix = st->postfix_given ? &st->postfix : NULL,
	};
}

commands_opts settings_commands_opts(const settings *st, const scan *s, const blr_config *bl)
{
	/* a recording asks nobody: what its run asked is in st
	 * (settings_from_recorded) */
	const char *resolver = s && !scan_recorded(s) ? scan_dns_servers(s)
	                       : st->nservers         ? st->servers[0]
	                                              : NULL;

	return (commands_opts){.resolver = resolver,
	                       .smtp_port = st->smtp_port > 0 ? st->smtp_port : 25,
	                       .cafile = st->cafile,
	                       .timeout_ms = st->timeout_ms,
	                       .blocklists = bl,
	                       .ehlo_name =
	                           s && scan_ehlo_name(s) ? scan_ehlo_name(s) : st->ehlo_name,
	                       .mta_sts_port = st->mta_sts_port,
	                       .ns_port = st->ns_port,
	                       .dane = st->dane};
}

commands_opts settings_commands_opts_recorded(const settings *st, const rec_meta *m,
                                              const blr_config *bl)
{
	return (commands_opts){.resolver = m->resolver,
	                       .smtp_port = m->smtp_port > 0 ? m->smtp_port : 25,
	                       .cafile = st->cafile,
	                       .timeout_ms = m->timeout_ms,
	                       .blocklists = bl,
	                       .ehlo_name = m->ehlo,
	                       .mta_sts_port = m->mta_sts_port,
	                       .ns_port = m->ns_port,
	                       .dane = m->dane};
}

rec_meta settings_record_meta(const settings *st, const scan *s, const char *version, char *at,
                              size_t atcap)
{
	rec_now(at, atcap);
	/* rec_meta's strings are not const because a parsed one owns them;
	   this one borrows, and rec_line only reads */
	return (rec_meta){.at = at,
	                  .version = (char *)version,
	                  .resolver = (char *)scan_dns_servers(s),
	                  .smtp_port = st->smtp_port > 0 ? st->smtp_port : 25,
	                  .no_probe = st->no_probe,
	                  .allow_loopback = st->allow_loopback,
	                  .timeout_ms = st->timeout_ms,
	                  .ehlo = (char *)scan_ehlo_name(s),
	                  .mta_sts_port = st->mta_sts_port,
	                  .ns_port = st->ns_port,
	                  .dane = st->dane};
}

void settings_from_recorded(settings *st, const rec_meta *m)
{
	if (m->resolver) {
		st->servers[0] = m->resolver;
		st->nservers = 1;
	}
	st->smtp_port = m->smtp_port > 0 ? m->smtp_port : 25;
	st->no_probe = m->no_probe;
	st->allow_loopback = m->allow_loopback;
	if (m->timeout_ms)
		st->timeout_ms = m->timeout_ms;
	st->ehlo_name = m->ehlo;
	st->mta_sts_port = m->mta_sts_port;
	st->ns_port = m->ns_port;
	st->dane = m->dane;
}
