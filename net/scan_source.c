/* net/scan_source.c — the network source of the scan (scan_int.h): DNS
 * answers from the MX job on the scan's DNS client, first probes from its
 * SMTP prober. Its clients are made and freed with the scan (scan.c); the
 * recording source, which stands in its place for a replay, is
 * scan_replay.c. */
#include "scan_int.h"

static mxs_status net_resolve(scan *s, sdom *m, bool srv, char **why)
{
	mx_domain *d = mx_domain_new(m->name);
	mxjob_config jc = {.srv = srv, .family = s->cfg.family, .tlsa = s->cfg.dane};

	if (!d || mxjob_resolve(s->dns, d, &jc, s->deliver_answer, m) != MXS_OK) {
		mx_domain_free(d);
		mxs_why(why, "%s: out of memory", m->name);
		return MXS_ERR_NOMEM;
	}
	return MXS_OK;
}

static bool net_can_probe(const scan *s, const char *host, const char *ip)
{
	(void)host;
	(void)ip;
	return s->smtp != NULL;
}

static bool net_probe(scan *s, sslot *sl, const char *rcpt)
{
	return smtp_probe_rcpt(s->smtp, sl->host, sl->a->ip, rcpt, s->deliver_probe, sl) == MXS_OK;
}

static void net_cancel_probe(scan *s, sslot *sl)
{
	smtp_cancel_at(s->smtp, sl->a->ip, s->deliver_probe, sl);
}

static bool net_reprobe(scan *s, sslot *sl)
{
	if (!s->mon)
		return false;
	smtp_monitor_probe_now(s->mon, sl->a->ip, sl->a->port, sl->host);
	return true;
}

static bool net_probing(const scan *s)
{
	return s->smtp != NULL;
}

static const char *net_servers(const scan *s)
{
	return dns_client_servers(s->dns);
}

static void net_close(scan *s)
{
	(void)s; /* the clients go with the scan's teardown */
}

const scan_source scani_network = {
    .name = "network",
    .live = true,
    .resolve = net_resolve,
    .can_probe = net_can_probe,
    .probe = net_probe,
    .cancel_probe = net_cancel_probe,
    .reprobe = net_reprobe,
    .probing = net_probing,
    .servers = net_servers,
    .close = net_close,
};
