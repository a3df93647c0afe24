/* tests/test_net_scan.c — the real scan pipeline (net/scan.h: c-ares,
 * libcurl, the blocklist client) against the real lab DNS, SMTP and HTTP
 * servers, all on one loop in this process, on loopback only: a domain
 * settles once with its probes and blocklist answers attached; two domains
 * that share an address share one probe and one blocklist lookup; a refresh
 * asks DNS again and shows the new answer; a removal cancels what only that
 * domain needed; the loopback policy; the monitor's re-probing. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lab.h"
#include "scan.h"

static const char scenario[] = "$ORIGIN s.lab.test.\n"
                               "$TTL 30\n"
                               "$SCENARIO net-scan-test\n"
                               "$TITLE domains for tests/test_net_scan.c\n"
                               "$DOMAIN one.s.lab.test.\n"
                               "$DOMAIN two.s.lab.test.\n"
                               "$DOMAIN listed.s.lab.test.\n"
                               "$DOMAIN slow.s.lab.test.\n"
                               "$DOMAIN mixed.s.lab.test.\n"
                               "$DOMAIN none.s.lab.test.\n"
                               "none MX 0 .\n"
                               /* one and two share their only MX host, hence its address */
                               "one MX 10 shared\n"
                               "two MX 10 shared\n"
                               "shared A 127.0.41.1\n"
                               "$SMTP 127.0.41.1 accept name=shared.s.lab.test\n"
                               "listed MX 10 mx.listed\n"
                               "mx.listed A 127.0.40.2\n"
                               "$SMTP 127.0.40.2 accept name=mx.listed.s.lab.test\n"
                               "slow MX 10 mx.slow\n"
                               "mx.slow A 127.0.41.3\n"
                               "$SMTP 127.0.41.3 silent name=mx.slow.s.lab.test\n"
                               "mixed MX 10 mx.mixed\n"
                               "mx.mixed A 127.0.41.4\n"
                               "mx.mixed A 192.0.2.1\n"
                               "$SMTP 127.0.41.4 accept name=mx.mixed.s.lab.test\n"
                               "spare A 127.0.41.5\n"
                               "$SMTP 127.0.41.5 accept name=spare.s.lab.test\n";

/* Two lab scenarios, each with its own IPv6 host: ::1 is the only IPv6
 * address, so the lab gives each its own port (lab_smtp_overrides) and the
 * scan must keep them apart, in the monitor too. */
static const char v6a[] = "$ORIGIN v6a.test.\n$SCENARIO v6a\n$TITLE a\n$DOMAIN v6a.test.\n"
                          "@ MX 10 mx\nmx AAAA ::1\n$SMTP ::1 accept\n";
static const char v6b[] = "$ORIGIN v6b.test.\n$SCENARIO v6b\n$TITLE b\n$DOMAIN v6b.test.\n"
                          "@ MX 10 mx\nmx AAAA ::1\n$SMTP ::1 tempfail\n";

#define MAX_CALLS 64

typedef struct call {
	char name[64];
	unsigned changes;
	size_t hosts;
} call;

typedef struct fixture {
	uv_loop_t loop;
	lab_world *w;
	lab_dns *dns;
	lab_smtp *smtp;
	lab_http *http;
	char server[64], bltext[512];
	blr_config *bl;
	scan *s;
	call calls[MAX_CALLS];
	size_t ncalls;
	unsigned long answers; /* SCAN_EV_DNS_ANSWER events */
	bool remove_in_cb;     /* scan_remove the domain from its own callback */
} fixture;

static void on_domain(scan *s, const char *name, const mx_domain *d, unsigned changes, void *arg)
{
	fixture *f = arg;

	assert_non_null(d);
	assert_string_equal(name, mx_domain_name(d));
	if (f->ncalls < MAX_CALLS) {
		call *c = &f->calls[f->ncalls++];
		snprintf(c->name, sizeof(c->name), "%s", name);
		c->changes = changes;
		c->hosts = mx_domain_host_count(d);
	}
	if (f->remove_in_cb)
		scan_remove(s, name);
}

static void on_event(scan *s, const scan_event *ev, void *arg)
{
	fixture *f = arg;

	(void)s;
	if (ev->kind == SCAN_EV_DNS_ANSWER)
		f->answers++;
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	char *why = NULL;

	assert_non_null(f);
	assert_int_equal(scan_global_init(&why), MXS_OK);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->w = lab_world_new();
	if (lab_world_load_string(f->w, "test:net-scan", scenario, &why) != MXS_OK ||
	    lab_world_load_string(f->w, "test:v6a", v6a, &why) != MXS_OK ||
	    lab_world_load_string(f->w, "test:v6b", v6b, &why) != MXS_OK) {
		print_error("scenario: %s\n", why);
		fail();
	}
	f->dns = lab_dns_new(&f->loop, f->w, "127.0.0.1", 0, &why);
	f->smtp = f->dns ? lab_smtp_new(&f->loop, f->w, 0, &why) : NULL;
	f->http = f->smtp ? lab_http_new(&f->loop, "127.0.0.1", 0, &why) : NULL;
	if (!f->http) {
		print_error("lab: %s\n", why);
		fail();
	}
	snprintf(f->server, sizeof(f->server), "127.0.0.1:%d", lab_dns_port(f->dns));
	snprintf(f->bltext, sizeof(f->bltext),
	         "[blocklist lab]\ntype = dnsbl-doh\nzone = " LAB_HTTP_ZONE "\n"
	         "url = http://%s/dns-query\ncodes = 127.0.0.2:spam source\n"
	         "rate = 100/s\nenabled = yes\n",
	         lab_http_address(f->http));
	f->bl = blr_config_new();
	assert_non_null(f->bl);
	if (blr_config_parse(f->bl, "lab", f->bltext, 0, NULL, NULL, NULL, &why) != MXS_OK) {
		print_error("blocklist: %s\n", why);
		fail();
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	scan_free(f->s);
	lab_dns_close(f->dns);
	lab_smtp_close(f->smtp);
	lab_http_close(f->http);
	uv_run(&f->loop, UV_RUN_DEFAULT); /* returns once every handle has closed */
	assert_int_equal(uv_loop_close(&f->loop), 0);
	blr_config_free(f->bl);
	lab_world_free(f->w);
	scan_global_cleanup();
	free(f);
	return 0;
}

static void start(fixture *f, scan_mode mode, unsigned interval_ms)
{
	const char *servers[] = {f->server};
	scan_config c = {.mode = mode,
	                 .servers = servers,
	                 .nservers = 1,
	                 .timeout_ms = 1500,
	                 .smtp_port = lab_smtp_port(f->smtp),
	                 .ehlo_name = "probe.mxscope.test",
	                 .ca_pem = lab_smtp_ca_pem(f->smtp),
	                 .interval_ms = interval_ms,
	                 .blocklists = f->bl,
	                 .loopback_only = true,
	                 .allow_loopback = true,
	                 .seed = 1,
	                 .on_domain = on_domain,
	                 .on_event = on_event,
	                 .arg = f};
	char *why = NULL;
	mxs_status hint = MXS_OK;

	/* as `mxscope lab` does: each scenario's ::1 host on its own port */
	c.smtp_overrides = lab_smtp_overrides(f->smtp, &c.nsmtp_overrides);
	f->s = scan_new(&f->loop, &c, &hint, &why);
	if (!f->s) {
		print_error("scan_new: %s\n", why);
		fail();
	}
}

static void add(fixture *f, const char *name)
{
	char *why = NULL;

	if (scan_add(f->s, name, &why) != MXS_OK) {
		print_error("scan_add %s: %s\n", name, why);
		fail();
	}
}

/* Runs the loop until every domain in the scan has settled; the lab's
 * listeners keep the loop alive, so a hang is caught by meson's timeout. */
static void run_settled(fixture *f)
{
	while (!scan_settled(f->s))
		uv_run(&f->loop, UV_RUN_ONCE);
}

static size_t calls_for(const fixture *f, const char *name, unsigned bit)
{
	size_t n = 0;

	for (size_t i = 0; i < f->ncalls; i++)
		if (strcmp(f->calls[i].name, name) == 0 && (f->calls[i].changes & bit))
			n++;
	return n;
}

static const mx_addr *only_addr(const mx_domain *d)
{
	assert_int_equal(mx_domain_host_count(d), 1);
	assert_int_equal(mx_domain_host(d, 0)->naddrs, 1);
	return &mx_domain_host(d, 0)->addrs[0];
}

/* One domain: settles exactly once, with its probe and blocklist answer. */
static void test_settles_once_with_results(void **state)
{
	fixture *f = *state;
	const mx_domain *d;
	const mx_addr *a;
	scan_domain_info info;
	scan_history h;

	start(f, SCAN_ONCE, 0);
	add(f, "Listed.S.Lab.Test.");   /* normalised on the way in */
	assert_int_equal(f->ncalls, 0); /* never called from inside scan_add */
	run_settled(f);
	assert_int_equal(f->ncalls, 1);
	assert_int_equal(calls_for(f, "listed.s.lab.test", SCAN_CH_SETTLED), 1);
	/* SCAN_ONCE: the one call carries what happened on the way */
	assert_true(f->calls[0].changes & SCAN_CH_ANSWER);
	assert_true(f->calls[0].changes & SCAN_CH_PROBE);
	assert_true(f->calls[0].changes & SCAN_CH_BLOCKLIST);
	d = scan_domain(f->s, "listed.s.lab.test");
	assert_non_null(d);
	a = only_addr(d);
	assert_string_equal(a->ip, "127.0.40.2");
	assert_non_null(a->probe);
	assert_int_equal(a->probe->state, PROBE_ACCEPTED);
	assert_int_equal(a->probe->code, 220);
	assert_int_equal(a->nblocklists, 1);
	assert_int_equal(a->blocklists[0]->state, BLR_LISTED);
	/* analysed: the walk ends at the one host, the listing is a finding */
	assert_true(mx_domain_walked(d));
	assert_non_null(mx_domain_delivered(d));
	{
		bool listed = false;
		for (size_t i = 0; i < mx_domain_finding_count(d); i++)
			listed |= mx_domain_finding(d, i)->id == MX_F_IP_LISTED;
		assert_true(listed);
	}
	assert_true(scan_domain_get_info(f->s, "listed.s.lab.test", &info));
	assert_true(info.settled && info.answered && !info.resolving);
	assert_int_equal(info.pending, 0);
	assert_true(scan_history_get(f->s, "127.0.40.2", NULL, &h));
	assert_true(h.watched);
	assert_int_equal(h.sent, 1);
	assert_int_equal(h.last_state, PROBE_ACCEPTED);
	/* nothing more happens: run the loop without blocking a few turns */
	for (int i = 0; i < 5; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(f->ncalls, 1);
}

/* Two domains with the same MX host: one probe, one blocklist lookup, and
 * both domains get the results. */
static void test_shared_address_one_probe(void **state)
{
	fixture *f = *state;
	unsigned long http0 = lab_http_requests(f->http);
	scan_counters c;
	const mx_addr *a1, *a2;
	size_t n = 0;

	start(f, SCAN_ONCE, 0);
	add(f, "one.s.lab.test");
	add(f, "two.s.lab.test");
	run_settled(f);
	assert_int_equal(calls_for(f, "one.s.lab.test", SCAN_CH_SETTLED), 1);
	assert_int_equal(calls_for(f, "two.s.lab.test", SCAN_CH_SETTLED), 1);
	scan_get_counters(f->s, &c);
	assert_int_equal(c.probes_done, 1);
	assert_int_equal(c.bl_transfers, 1);
	assert_int_equal(lab_http_requests(f->http) - http0, 1);
	assert_int_equal(c.addresses, 1);
	a1 = only_addr(scan_domain(f->s, "one.s.lab.test"));
	a2 = only_addr(scan_domain(f->s, "two.s.lab.test"));
	assert_non_null(a1->probe);
	assert_non_null(a2->probe);
	assert_int_equal(a1->probe->state, PROBE_ACCEPTED);
	assert_string_equal(a1->probe->greeting, a2->probe->greeting);
	assert_int_equal(a1->nblocklists, 1);
	assert_int_equal(a2->nblocklists, 1);
	assert_int_equal(a2->blocklists[0]->state, BLR_NOT_LISTED);
	assert_non_null(scan_blocklist_results(f->s, "127.0.41.1", &n));
	assert_int_equal(n, 1);
	/* the address goes with the last domain that shows it */
	scan_remove(f->s, "one.s.lab.test");
	scan_get_counters(f->s, &c);
	assert_int_equal(c.addresses, 1);
	scan_remove(f->s, "two.s.lab.test");
	scan_get_counters(f->s, &c);
	assert_int_equal(c.addresses, 0);
	assert_null(scan_blocklist_results(f->s, "127.0.41.1", &n));
	assert_int_equal(scan_domain_count(f->s), 0);
}

/* A refresh asks DNS again: a change in the lab shows, and the domain
 * settles a second time. */
static void test_refresh_reresolves(void **state)
{
	fixture *f = *state;
	const mx_domain *d;
	char *why = NULL;
	scan_counters c0, c1;

	start(f, SCAN_ONCE, 0);
	add(f, "one.s.lab.test");
	run_settled(f);
	assert_int_equal(mx_domain_host_count(scan_domain(f->s, "one.s.lab.test")), 1);
	scan_get_counters(f->s, &c0);
	if (lab_world_add_mx(f->w, "one.s.lab.test", 20, "spare.s.lab.test", &why) != MXS_OK) {
		print_error("add_mx: %s\n", why);
		fail();
	}
	assert_int_equal(scan_refresh(f->s, "one.s.lab.test"), MXS_OK);
	assert_false(scan_settled(f->s));
	/* the old answer stays shown until the new one comes */
	assert_int_equal(mx_domain_host_count(scan_domain(f->s, "one.s.lab.test")), 1);
	run_settled(f);
	assert_int_equal(calls_for(f, "one.s.lab.test", SCAN_CH_SETTLED), 2);
	d = scan_domain(f->s, "one.s.lab.test");
	assert_int_equal(mx_domain_host_count(d), 2);
	assert_non_null(mx_domain_host(d, 1)->addrs[0].probe);
	scan_get_counters(f->s, &c1);
	assert_true(c1.dns_questions > c0.dns_questions);
	/* the address only this domain showed was probed anew, the new one too */
	assert_int_equal(c1.probes_done, c0.probes_done + 2);
	assert_int_equal(f->answers, 2);
	assert_int_equal(scan_refresh(f->s, "nothere.s.lab.test"), MXS_ERR_INVALID);
}

/* Removing a domain cancels its probe (the silent host would hold it for
 * the whole timeout); removing one that is still resolving means its
 * answer is dropped; removing from inside the callback is safe. */
static void test_remove_cancels(void **state)
{
	fixture *f = *state;
	scan_counters c;
	scan_history h;

	start(f, SCAN_ONCE, 0);
	add(f, "slow.s.lab.test");
	/* wait for the answer: the probe of the silent host is then running */
	while (f->answers == 0)
		uv_run(&f->loop, UV_RUN_ONCE);
	scan_get_counters(f->s, &c);
	assert_int_equal(c.probes_busy, 1);
	assert_true(scan_history_get(f->s, "127.0.41.3", NULL, &h));
	assert_true(h.in_flight);
	scan_remove(f->s, "slow.s.lab.test");
	scan_get_counters(f->s, &c);
	assert_int_equal(c.probes_busy, 0);
	assert_int_equal(c.addresses, 0);
	assert_false(scan_history_get(f->s, "127.0.41.3", NULL, &h));
	assert_null(scan_domain(f->s, "slow.s.lab.test"));

	/* removed while its question is on the wire: no callback, ever */
	add(f, "two.s.lab.test");
	scan_remove(f->s, "two.s.lab.test");
	f->remove_in_cb = true;
	add(f, "listed.s.lab.test");
	run_settled(f);
	assert_int_equal(calls_for(f, "listed.s.lab.test", SCAN_CH_SETTLED), 1);
	assert_int_equal(calls_for(f, "two.s.lab.test", SCAN_CH_SETTLED), 0);
	assert_int_equal(calls_for(f, "slow.s.lab.test", SCAN_CH_SETTLED), 0);
	/* the callback removed it */
	assert_int_equal(scan_domain_count(f->s), 0);
	assert_false(scan_domain_get_info(f->s, "listed.s.lab.test", &(scan_domain_info){0}));
	assert_int_equal(scan_add(f->s, "listed.s.lab.test", NULL), MXS_OK);
	assert_int_equal(scan_add(f->s, "listed.s.lab.test", NULL), MXS_ERR_LIMIT);
	assert_int_equal(scan_add(f->s, "not a name", NULL), MXS_ERR_INVALID);
}

/* Looking a listed domain up by name (the explorer does it for every
 * domain on every key and redraw) compares about one name, not the whole
 * list: the index follows adds and removals. */
static void test_lookup_by_name_indexed(void **state)
{
	enum { N = 3000 };
	fixture *f = *state;
	scan_domain_info info;
	scan_counters c0, c1;
	char name[64];

	start(f, SCAN_ONCE, 0);
	for (unsigned i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "n%u.s.lab.test", i);
		add(f, name);
	}
	scan_get_counters(f->s, &c0);
	for (unsigned i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "n%u.s.lab.test", i);
		assert_true(scan_domain_get_info(f->s, name, &info));
	}
	assert_true(scan_domain_get_info(f->s, "N17.S.Lab.Test.", &info)); /* the raw form */
	assert_false(scan_domain_get_info(f->s, "n3000.s.lab.test", &info));
	scan_get_counters(f->s, &c1);
	/* a walk of the list would be N * N / 2 */
	assert_true(c1.name_compares - c0.name_compares < 3 * N);

	for (unsigned i = 0; i < N; i += 2) {
		snprintf(name, sizeof(name), "n%u.s.lab.test", i);
		scan_remove(f->s, name);
	}
	assert_int_equal(scan_domain_count(f->s), N / 2);
	assert_false(scan_domain_get_info(f->s, "n0.s.lab.test", &info));
	assert_true(scan_domain_get_info(f->s, "n1.s.lab.test", &info));
	assert_int_equal(scan_add(f->s, "n0.s.lab.test", NULL), MXS_OK);
	assert_int_equal(scan_add(f->s, "n1.s.lab.test", NULL), MXS_ERR_LIMIT);
	assert_true(scan_domain_get_info(f->s, "n0.s.lab.test", &info));
}

/* An address's news (its probe, blocklist answer) is attached to the
 * domains that show it, not looked for in every listed domain: with
 * thousands listed, each probe's end once walked them all. */
static void test_probe_news_to_its_domains(void **state)
{
	enum { N = 2000 };
	fixture *f = *state;
	scan_counters c0, c1;
	char name[64];

	start(f, SCAN_ONCE, 0);
	for (unsigned i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "n%u.s.lab.test", i);
		add(f, name);
	}
	run_settled(f);
	scan_get_counters(f->s, &c0);
	add(f, "listed.s.lab.test");
	run_settled(f);
	scan_get_counters(f->s, &c1);
	assert_true(c1.probes_done > c0.probes_done);
	assert_true(c1.sync_visits > c0.sync_visits); /* its news was attached */
	/* a walk of the list: N + 1 a piece of news */
	assert_true(c1.sync_visits - c0.sync_visits < 20);
}

/* The lab's rule: an address outside 127.0.0.0/8 and ::1 is shown but
 * never probed or asked about. */
static void test_loopback_policy(void **state)
{
	fixture *f = *state;
	const mx_domain *d;
	const mx_host *h;
	scan_history hist;

	start(f, SCAN_ONCE, 0);
	add(f, "mixed.s.lab.test");
	run_settled(f);
	d = scan_domain(f->s, "mixed.s.lab.test");
	h = mx_domain_host(d, 0);
	assert_int_equal(h->naddrs, 2);
	for (size_t k = 0; k < h->naddrs; k++) {
		bool loop = strcmp(h->addrs[k].ip, "127.0.41.4") == 0;
		assert_int_equal(h->addrs[k].probe != NULL, loop);
		assert_int_equal(h->addrs[k].nblocklists, loop ? 1 : 0);
	}
	assert_false(scan_history_get(f->s, "192.0.2.1", NULL, &hist));
}

/* The monitor: settles once, then keeps probing every interval and says so. */
static void test_monitor_reprobes(void **state)
{
	fixture *f = *state;
	scan_history h;

	start(f, SCAN_MONITOR, 50);
	add(f, "one.s.lab.test");
	run_settled(f);
	assert_int_equal(calls_for(f, "one.s.lab.test", SCAN_CH_SETTLED), 1);
	do {
		uv_run(&f->loop, UV_RUN_ONCE);
		assert_true(scan_history_get(f->s, "127.0.41.1", "shared.s.lab.test", &h));
	} while (h.sent < 3);
	assert_int_equal(h.lost, 0);
	assert_int_equal(h.last_state, PROBE_ACCEPTED);
	assert_true(calls_for(f, "one.s.lab.test", SCAN_CH_PROBE) >= 2);
	assert_int_equal(calls_for(f, "one.s.lab.test", SCAN_CH_SETTLED), 1);
	/* frozen: the history shown stands still while probes go on */
	scan_freeze(f->s, true);
	{
		scan_history before = h;
		size_t calls = f->ncalls;
		scan_counters c0, c1;
		scan_get_counters(f->s, &c0);
		do {
			uv_run(&f->loop, UV_RUN_ONCE);
			scan_get_counters(f->s, &c1);
		} while (c1.probes_done < c0.probes_done + 2);
		assert_true(scan_history_get(f->s, "127.0.41.1", NULL, &h));
		assert_int_equal(h.sent, before.sent);
		assert_int_equal(f->ncalls, calls);
	}
	scan_freeze(f->s, false);
	while (!(f->ncalls && (f->calls[f->ncalls - 1].changes & SCAN_CH_ANALYSIS)))
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_true(scan_history_get(f->s, "127.0.41.1", NULL, &h));
	assert_true(h.sent >= 5);
}

/* Each scenario's ::1 is its own host: one accepts, the other greets 421,
 * and neither domain shows the other's greeting or state (the store and
 * the monitor key an address by ip and port). It once showed one host for
 * both: whichever scenario's ::1 came first. */
static void test_ipv6_per_scenario(void **state)
{
	fixture *f = *state;
	const char *hosts[] = {"mx.v6a.test", "mx.v6b.test"};
	const probe_result *r[2];
	scan_history h[2];
	size_t n = 0;

	assert_int_equal((lab_smtp_overrides(f->smtp, &n), n), 2);
	for (int mode = 0; mode < 2; mode++) {
		start(f, mode ? SCAN_MONITOR : SCAN_ONCE, 50);
		add(f, "v6a.test");
		add(f, "v6b.test");
		run_settled(f);
		for (int i = 0; i < 2; i++) {
			assert_true(scan_history_get(f->s, "::1", hosts[i], &h[i]));
			r[i] = scan_probe_last(f->s, "::1", hosts[i]);
			assert_non_null(r[i]);
			assert_non_null(r[i]->greeting);
			assert_non_null(strstr(r[i]->greeting, hosts[i])); /* its own name */
		}
		assert_int_equal(h[0].last_state, PROBE_ACCEPTED);
		assert_int_equal(h[1].last_state, PROBE_TEMPFAIL);
		assert_int_not_equal(r[0]->port, r[1]->port);
		/* the analysed domains carry their own host's probe */
		for (int i = 0; i < 2; i++) {
			const mx_domain *d = scan_domain(f->s, i ? "v6b.test" : "v6a.test");
			assert_non_null(d);
			assert_non_null(mx_domain_host(d, 0)->addrs[0].probe);
			assert_int_equal(mx_domain_host(d, 0)->addrs[0].probe->state,
			                 i ? PROBE_TEMPFAIL : PROBE_ACCEPTED);
		}
		scan_free(f->s);
		f->s = NULL;
		uv_run(&f->loop, UV_RUN_NOWAIT);
	}
}

/* Without probes or blocklists a domain settles on its DNS answer; a new
 * seed re-analyses it from the loop; bad configurations say which kind. */
static void test_plain_and_reseed(void **state)
{
	fixture *f = *state;
	const char *bad[] = {"not-an-address"};
	scan_config c = {.servers = bad, .nservers = 1, .on_domain = on_domain, .arg = f};
	const char *servers[] = {f->server};
	char *why = NULL;
	mxs_status hint = MXS_OK;
	scan_domain_info info;

	assert_null(scan_new(&f->loop, &c, &hint, &why));
	assert_non_null(why);
	assert_int_equal(hint, MXS_ERR_INVALID); /* the user's -s: bad input */
	free(why);
	uv_run(&f->loop, UV_RUN_NOWAIT); /* the failed scan's timer closes */

	c = (scan_config){.servers = servers,
	                  .nservers = 1,
	                  .timeout_ms = 1500,
	                  .no_probe = true,
	                  .seed = 1,
	                  .on_domain = on_domain,
	                  .arg = f};
	f->s = scan_new(&f->loop, &c, &hint, &why);
	assert_non_null(f->s);
	assert_false(scan_probing(f->s));
	assert_false(scan_blocklisting(f->s));
	add(f, "none.s.lab.test");
	add(f, "one.s.lab.test");
	run_settled(f);
	assert_int_equal(f->ncalls, 2);
	assert_true(mx_domain_null_mx(scan_domain(f->s, "none.s.lab.test")));
	assert_null(only_addr(scan_domain(f->s, "one.s.lab.test"))->probe);
	assert_int_equal(mx_domain_seed(scan_domain(f->s, "one.s.lab.test")), 1);
	assert_int_equal(scan_set_seed(f->s, "one.s.lab.test", 42), MXS_OK);
	assert_int_equal(f->ncalls, 2); /* not from inside the call */
	/* NOWAIT: a due timer runs before UV_RUN_ONCE would block in poll with
	 * nothing else to come on this idle loop */
	while (f->ncalls < 3)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_string_equal(f->calls[2].name, "one.s.lab.test");
	assert_int_equal(f->calls[2].changes, SCAN_CH_ANALYSIS);
	assert_int_equal(mx_domain_seed(scan_domain(f->s, "one.s.lab.test")), 42);
	assert_true(scan_domain_get_info(f->s, "one.s.lab.test", &info));
	assert_int_equal(info.seed, 42);
	assert_int_equal(scan_set_seed(f->s, "nothere.s.lab.test", 1), MXS_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_settles_once_with_results, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shared_address_one_probe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refresh_reresolves, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove_cancels, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_probe_news_to_its_domains, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lookup_by_name_indexed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loopback_policy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_monitor_reprobes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6_per_scenario, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_plain_and_reseed, setup, teardown),
	};

	/* a probe that hangs up on the lab must not kill the lab's side */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
