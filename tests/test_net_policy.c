/* tests/test_net_policy.c — the MTA-STS fetch (net/policy.c) against the
 * lab's servers in this process: the DNS server, the SMTP hosts' CA and the
 * HTTPS policy server (lab/sts_server.c); the trainer's `sts` command
 * changing what is served; cancelling and freeing with fetches in flight;
 * the $MTA-STS directive's errors; and the scan's MTA-STS stage across a
 * freeze (net/scan_stages.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "../net/policy.h" /* and core/policy.h through it */
#include "scan.h"
#include "trainer.h"

typedef struct got {
	int calls;
	policy_fetch_result *r;
} got;

static void on_result(policy_fetch_result *r, void *arg)
{
	got *g = arg;
	g->calls++;
	policy_fetch_result_free(g->r);
	g->r = r;
}

typedef struct fixture {
	uv_loop_t loop;
	hlab_here lab;
	dns_client *dns;
	policy_fetcher *f;
	lab *trainer;
} fixture;

static int setup(void **state)
{
	fixture *x = calloc(1, sizeof(*x));
	const char *servers[1];
	dns_config dc = {0};
	policy_fetch_config pc = {0};
	char *why = NULL;

	h_lab_open(&x->lab, &x->loop, NULL, NULL, H_DNS | H_SMTP | H_STS);
	servers[0] = x->lab.server;
	dc = (dns_config){.servers = servers, .nservers = 1, .timeout_ms = 2000};
	assert_int_equal(dns_client_new(&x->loop, &dc, &x->dns, &why), MXS_OK);
	pc = (policy_fetch_config){.timeout_ms = 2000,
	                           .port = x->lab.sts_port,
	                           .ca_pem = lab_smtp_ca_pem(x->lab.smtp),
	                           .loopback_only = true};
	x->f = policy_fetcher_new(&x->loop, x->dns, &pc, &why);
	assert_non_null(x->f);
	x->trainer = lab_new(x->lab.world, x->lab.smtp);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fixture *x = *state;

	lab_free(x->trainer);
	policy_fetcher_free(x->f);
	dns_client_free(x->dns);
	h_lab_close(&x->lab);
	free(x);
	return 0;
}

/* Fetches domain and turns the loop until the result is in (bounded). */
static policy_fetch_result *fetch(fixture *x, const char *domain, got *g)
{
	*g = (got){0};
	assert_non_null(policy_fetch(x->f, domain, on_result, g));
	for (int i = 0; i < 5000 && g->calls == 0; i++)
		uv_run(&x->loop, UV_RUN_ONCE);
	assert_int_equal(g->calls, 1);
	return g->r;
}

static void train(fixture *x, const char *domain, const char *line)
{
	char *why = NULL;
	mxs_status st = lab_trainer_run(x->trainer, domain, line, &why);
	if (st != MXS_OK)
		fail_msg("trainer \"%s\": %s", line, why ? why : "?");
	free(why);
}

static void test_fetch_and_trainer(void **state)
{
	fixture *x = *state;
	got g;
	policy_fetch_result *r = fetch(x, "sts-enforce.lab.test", &g);

	assert_non_null(r->policy);
	assert_int_equal(r->policy->mode, POLICY_MODE_ENFORCE);
	assert_int_equal(r->policy->nmx, 1);
	assert_string_equal(r->policy->mx[0], "mx1.sts-enforce.lab.test");
	assert_string_equal(r->id, "20261129T1");
	assert_non_null(strstr(r->tls_rpt, "v=TLSRPTv1"));
	assert_null(r->error);
	policy_fetch_result_free(g.r);

	/* the trainer's changes are served at once */
	train(x, NULL, "behave mta-sts.sts-enforce.lab.test testing");
	train(x, NULL, "behave mta-sts.sts-enforce.lab.test mx=backup.sts-enforce.lab.test");
	r = fetch(x, "sts-enforce.lab.test", &g);
	assert_int_equal(r->policy->mode, POLICY_MODE_TESTING);
	assert_int_equal(r->policy->nmx, 2);
	assert_true(policy_covers(r->policy, "backup.sts-enforce.lab.test"));
	policy_fetch_result_free(g.r);

	train(x, NULL, "behave mta-sts.sts-enforce.lab.test redirect");
	r = fetch(x, "sts-enforce.lab.test", &g);
	assert_null(r->policy);
	assert_non_null(strstr(r->error, "HTTP 301 redirect, refused"));
	policy_fetch_result_free(g.r);

	train(x, NULL, "reset");
	r = fetch(x, "sts-enforce.lab.test", &g);
	assert_int_equal(r->policy->mode, POLICY_MODE_ENFORCE);
	assert_int_equal(r->policy->nmx, 1);
	policy_fetch_result_free(g.r);

	/* a domain without a policy: nothing, and no error */
	r = fetch(x, "preference.lab.test", &g);
	assert_null(r->txt);
	assert_null(r->policy);
	assert_null(r->error);
	policy_fetch_result_free(g.r);
}

static void test_trainer_refusals(void **state)
{
	fixture *x = *state;
	char *why = NULL;

	assert_int_equal(
	    lab_trainer_run(x->trainer, NULL, "behave mta-sts.preference.lab.test testing", &why),
	    MXS_ERR_INVALID);
	assert_non_null(strstr(why, "has no $MTA-STS policy"));
	free(why);
	why = NULL;
	assert_int_equal(
	    lab_trainer_run(x->trainer, NULL, "behave mta-sts.sts-enforce.lab.test strict", &why),
	    MXS_ERR_INVALID);
	assert_non_null(strstr(why, "expected enforce, testing, none"));
	free(why);
	why = NULL;
	assert_int_equal(lab_trainer_run(x->trainer, NULL,
	                                 "behave mta-sts.sts-enforce.lab.test mx=*.*.bad", &why),
	                 MXS_ERR_INVALID);
	free(why);
	why = NULL;
	assert_int_equal(lab_trainer_run(x->trainer, NULL, "behave 127.0.62.2 rcpt=maybe", &why),
	                 MXS_ERR_INVALID);
	assert_non_null(strstr(why, "expected accept, reject, tempfail or silent"));
	free(why);
}

/* A cancelled fetch never calls back; freeing the fetcher with fetches in
 * flight calls nothing either, and leaks nothing (ASan). */
static void test_cancel_and_free(void **state)
{
	fixture *x = *state;
	got g1 = {0}, g2 = {0};
	policy_job *j = policy_fetch(x->f, "sts-enforce.lab.test", on_result, &g1);

	assert_non_null(j);
	assert_non_null(policy_fetch(x->f, "sts-testing.lab.test", on_result, &g2));
	assert_int_equal(policy_fetcher_busy(x->f), 2);
	policy_fetch_cancel(j);
	assert_int_equal(policy_fetcher_busy(x->f), 1);
	for (int i = 0; i < 5000 && g2.calls == 0; i++)
		uv_run(&x->loop, UV_RUN_ONCE);
	assert_int_equal(g1.calls, 0);
	assert_int_equal(g2.calls, 1);
	assert_int_equal(g2.r->policy->mode, POLICY_MODE_TESTING);
	policy_fetch_result_free(g2.r);
	g2 = (got){0};
	/* in flight when the fetcher goes */
	assert_non_null(policy_fetch(x->f, "sts-testing.lab.test", on_result, &g2));
	for (int i = 0; i < 3; i++)
		uv_run(&x->loop, UV_RUN_NOWAIT);
	policy_fetcher_free(x->f);
	x->f = NULL;
	for (int i = 0; i < 50; i++)
		uv_run(&x->loop, UV_RUN_NOWAIT);
	assert_int_equal(g2.calls, 0);
}

static void test_directive_errors(void **state)
{
	static const struct {
		const char *line, *why;
	} cases[] = {
	    {"$MTA-STS d.t.test. mode=strict mx=a.t.test",
	     "expected mode=enforce, testing or none"},
	    {"$MTA-STS d.t.test. mode=enforce", "mode enforce needs at least one mx="},
	    {"$MTA-STS d.t.test. mx=*.*.t.test", "expected mx=HOST or mx=*.DOMAIN"},
	    {"$MTA-STS d.t.test. mx=a.t.test max_age=31557601", "expected max_age=SECONDS"},
	    {"$MTA-STS d.t.test. mx=a.t.test serve=teapot", "expected serve=ok, missing"},
	    {"$MTA-STS d.t.test. mx=a.t.test colour=red", "unknown $MTA-STS option"},
	    {"$MTA-STS", "expected \"$MTA-STS DOMAIN"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512], *why = NULL;
		lab_world *w = lab_world_new();
		snprintf(text, sizeof(text),
		         "$ORIGIN t.test.\n$SCENARIO e\n$TITLE e\n$DOMAIN d.t.test.\nd MX 10 a\n"
		         "a A 127.0.0.9\n%s\n",
		         cases[i].line);
		assert_int_equal(lab_world_load_string(w, "e.zone", text, &why), MXS_ERR_INVALID);
		if (!why || !strstr(why, cases[i].why) || !strstr(why, "e.zone:7:")) {
			print_error("\"%s\": got \"%s\", want \"%s\"\n", cases[i].line,
			            why ? why : "(nothing)", cases[i].why);
			fail();
		}
		free(why);
		lab_world_free(w);
	}
	/* a second line for the same domain */
	{
		char *why = NULL;
		lab_world *w = lab_world_new();
		const char text[] = "$ORIGIN t.test.\n$SCENARIO e\n$TITLE e\n$DOMAIN d.t.test.\n"
		                    "$MTA-STS d mx=a.t.test\n$MTA-STS d mx=b.t.test\n";
		assert_int_equal(lab_world_load_string(w, "e.zone", text, &why), MXS_ERR_INVALID);
		assert_non_null(strstr(why, "a second $MTA-STS line for d.t.test"));
		free(why);
		lab_world_free(w);
	}
}

/* ---- the scan's MTA-STS stage across a freeze ----------------------------- */

typedef struct sts_watch {
	bool settled;
	bool freeze_on_answer; /* freeze in the first answer call after a refresh */
	bool froze;            /* ... and the policy was still out then */
	bool thawed;           /* a SCAN_CH_ANALYSIS call came after the thaw */
} sts_watch;

static void on_sts_domain(scan *s, const char *name, const mx_domain *d, unsigned changes,
                          void *arg)
{
	sts_watch *w = arg;
	scan_domain_info info;

	(void)d;
	w->settled |= (changes & SCAN_CH_SETTLED) != 0;
	w->thawed |= (changes & SCAN_CH_ANALYSIS) != 0;
	if (w->freeze_on_answer && (changes & SCAN_CH_ANSWER)) {
		w->freeze_on_answer = false;
		assert_true(scan_domain_get_info(s, name, &info));
		if (!info.resolving &&
		    info.pending > 0) { /* the new answer is in, the policy not */
			scan_freeze(s, true);
			w->froze = true;
		}
	}
}

static policy_mode shown_mode(scan *s)
{
	const mx_domain *d = scan_domain(s, "sts-enforce.lab.test");
	const mx_mta_sts *m = d ? mx_domain_mta_sts(d) : NULL;

	assert_non_null(m);
	assert_non_null(m->policy);
	return m->policy->mode;
}

/* A policy that comes while the explorer is frozen shows once it thaws,
 * also when the MX answer it belongs to was installed before the freeze
 * (the thaw used to attach only the address stages and the authoritative
 * answers, so the shown domain kept the old policy until the next answer). */
static void test_scan_policy_across_freeze(void **state)
{
	fixture *x = *state;
	const char *servers[1] = {x->lab.server};
	sts_watch w = {0};
	scan_config sc = {.mode = SCAN_MONITOR,
	                  .servers = servers,
	                  .nservers = 1,
	                  .timeout_ms = 2000,
	                  .no_probe = true,
	                  .loopback_only = true,
	                  .allow_loopback = true,
	                  .mta_sts = true,
	                  .mta_sts_port = x->lab.sts_port,
	                  .ca_pem = lab_smtp_ca_pem(x->lab.smtp),
	                  .on_domain = on_sts_domain,
	                  .arg = &w};
	char *why = NULL;
	scan *s = scan_new(&x->loop, &sc, NULL, &why);
	scan_domain_info info;

	assert_non_null(s);
	assert_int_equal(scan_add(s, "sts-enforce.lab.test", NULL), MXS_OK);
	for (int i = 0; i < 5000 && !w.settled; i++)
		uv_run(&x->loop, UV_RUN_ONCE);
	assert_true(w.settled);
	assert_int_equal(shown_mode(s), POLICY_MODE_ENFORCE);
	/* the policy changes; asked again, the MX answer (one question) comes
	 * before the policy (TXT, then HTTPS): freeze between the two. A few
	 * tries, each flipping the mode, in case the policy ever wins. */
	for (int k = 0; k < 4 && !w.froze; k++) {
		policy_mode want = k % 2 ? POLICY_MODE_ENFORCE : POLICY_MODE_TESTING;
		train(x, NULL, k % 2 ? "reset" : "behave mta-sts.sts-enforce.lab.test testing");
		w.freeze_on_answer = true;
		assert_int_equal(scan_refresh(s, "sts-enforce.lab.test"), MXS_OK);
		do
			uv_run(&x->loop, UV_RUN_ONCE);
		while (scan_domain_get_info(s, "sts-enforce.lab.test", &info) &&
		       (info.resolving || info.pending > 0));
		if (!w.froze) {
			assert_int_equal(shown_mode(s), want);
			continue;
		}
		/* frozen: the policy came and is kept, the shown domain stands still */
		assert_int_not_equal(shown_mode(s), want);
		w.thawed = false;
		scan_freeze(s, false);
		for (int i = 0; i < 5000 && !w.thawed; i++)
			uv_run(&x->loop, UV_RUN_ONCE);
		assert_true(w.thawed);
		assert_int_equal(shown_mode(s), want);
	}
	assert_true(w.froze);
	scan_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fetch_and_trainer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trainer_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_and_free, setup, teardown),
	    cmocka_unit_test(test_directive_errors),
	    cmocka_unit_test_setup_teardown(test_scan_policy_across_freeze, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
