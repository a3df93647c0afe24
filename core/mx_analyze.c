/* core/mx_analyze.c — mx_domain_analyze(): the one place that runs every
 * step of an analysis in order. The top of the analysis layers (see
 * mx_int.h): it calls the rules (core/mx_rules*.c), the ordering
 * (core/mx_order.c) and the sender walks (core/sender.c), and nothing in
 * core below it calls back up here. */
#include "mx_int.h"

#include <stdlib.h>

mxs_status mx_domain_analyze(mx_domain *d, const mx_options *opt)
{
	static const mx_options defaults = {0};
	mxs_status st = MXS_OK;
	mxi_analysis a = {.d = d, .opt = opt ? opt : &defaults};
	bool stop = false;

	mxi_clear_analysis(d);
	d->run_seed = a.opt->seed;
	d->seed = mx_seed_for(a.opt->seed, d->name);
	if (a.opt->as_host && !(d->as_host = mxi_dup_lower_name(a.opt->as_host)))
		return MXS_ERR_NOMEM;
	a.routable = calloc(d->nhosts ? d->nhosts : 1, sizeof(*a.routable));
	if (!a.routable)
		return MXS_ERR_NOMEM;
	for (size_t i = 0; i < d->nhosts; i++)
		if (d->hosts[i].exchange[0] == '\0')
			a.nnull++;
	TRY(mxi_check_domain(&a, &stop));
	TRY(mxi_check_srv(&a));
	if (stop)
		goto finished;
	a.nnull = 0;
	TRY(mxi_choose_routable(&a));
	TRY(mxi_check_hosts(&a));
	TRY(mxi_check_route(&a));
	TRY(mxi_build_tiers(&a));
	TRY(mxi_walk(&a));
	TRY(mxi_check_probes(&a));
	TRY(mxi_check_blocklists(&a));
finished:
	/* also after a stop: a stale secondary can be why the domain looks gone */
	TRY(mxi_check_auth(&a));
	d->sender = (unsigned)a.opt->sender < SENDER_COUNT ? a.opt->sender : SENDER_OPPORTUNISTIC;
	d->mta = (unsigned)a.opt->mta < MTA_COUNT ? a.opt->mta : MTA_RFC;
	/* an admin's Postfix at smtp_tls_security_level = dane (with the
	 * DNSSEC support it needs) is a DANE sender unless told otherwise */
	if (d->mta == MTA_POSTFIX && a.opt->postfix && d->sender == SENDER_OPPORTUNISTIC &&
	    a.opt->postfix->dnssec &&
	    (a.opt->postfix->tls == MTA_TLS_DANE || a.opt->postfix->tls == MTA_TLS_DANE_ONLY))
		d->sender = SENDER_DANE;
	TRY(mxi_check_send(&a));
	/* last: every MTA walks every profile (the explorer's M and S switch
	 * between them without another analysis) */
	for (int k = 0; k < MTA_COUNT; k++)
		for (int p = 0; p < SENDER_COUNT; p++) {
			mxs_status ws = sender_walk_mta(d, (mta_kind)k,
			                                k == MTA_POSTFIX ? a.opt->postfix : NULL,
			                                (sender_profile)p, &d->walks[k][p]);
			if (ws == MXS_ERR_NOMEM)
				TRY(ws);
			d->walk_ok[k][p] = ws == MXS_OK;
		}
	d->analyzed = true;
done:
	free(a.routable);
	return st;
}
