/* tests/test_replay_scan.c — the scan pipeline with a recording as its
 * source (net/scan.h): no client at all; a recorded domain is answered
 * from the loop, its recorded probes become the store's first probes and
 * the history; a reshuffle re-analyses, a later line replaces an earlier
 * one (its probes too), and nothing can make it ask (scan_add of another
 * name refused, refresh changes nothing, no DNS question counted). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "record.h"
#include "scan.h"

/* primary-down as the lab shows it: mx1 refused, mx2 accepted */
static const char line_fmt[] =
    "{\"domain\":\"pd.test\",\"mx_rcode\":\"NOERROR\",\"seed\":%d,\"mx\":["
    "{\"preference\":10,\"exchange\":\"mx1.pd.test\",\"ttl\":30,\"a_rcode\":\"NOERROR\","
    "\"aaaa_rcode\":\"NODATA\",\"addresses\":[{\"ip\":\"127.0.16.1\",\"family\":4,\"ttl\":30,"
    "\"probe\":{\"state\":\"%s\",\"port\":25}}]},"
    "{\"preference\":20,\"exchange\":\"mx2.pd.test\",\"ttl\":30,\"a_rcode\":\"NOERROR\","
    "\"aaaa_rcode\":\"NODATA\",\"addresses\":[{\"ip\":\"127.0.16.2\",\"family\":4,\"ttl\":30,"
    "\"probe\":{\"state\":\"accepted\",\"port\":25,\"code\":220}}]}],"
    "\"recorded\":{\"allow_loopback\":true}}";

typedef struct seen {
	unsigned calls, settled, analysis;
	char delivered[64];
	uint64_t seed;
} seen;

static void on_domain(scan *s, const char *name, const mx_domain *d, unsigned changes, void *arg)
{
	seen *x = arg;
	const mx_attempt *a = mx_domain_delivered(d);

	(void)s;
	assert_string_equal(name, "pd.test");
	x->calls++;
	x->settled += (changes & SCAN_CH_SETTLED) != 0;
	x->analysis += (changes & SCAN_CH_ANALYSIS) != 0;
	x->seed = mx_domain_seed(d);
	snprintf(x->delivered, sizeof(x->delivered), "%s",
	         a ? mx_domain_host(d, a->host)->exchange : "-");
}

static mx_domain *domain(int seed, const char *state)
{
	char line[2048], *why = NULL;
	mx_domain *d = NULL;

	snprintf(line, sizeof(line), line_fmt, seed, state);
	if (rec_parse(line, strlen(line), &d, NULL, &why) != MXS_OK)
		fail_msg("%s", why);
	return d;
}

static void test_replay_scan(void **state)
{
	uv_loop_t loop;
	seen x = {0};
	scan_config c = {.mode = SCAN_MONITOR,
	                 .recording = true,
	                 .allow_loopback = true,
	                 .on_domain = on_domain,
	                 .arg = &x};
	scan_counters cnt;
	char *why = NULL;
	scan *s;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	scan_history h;

	s = scan_new(&loop, &c, NULL, &why);
	assert_non_null(s);
	assert_true(scan_recorded(s));
	assert_true(scan_probing(s)); /* recorded with probes */
	assert_false(scan_blocklisting(s));
	/* nothing is delivered from inside a scan_ call */
	assert_int_equal(scan_add_recorded(s, domain(7, "refused"), &why), MXS_OK);
	assert_int_equal(x.calls, 0);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(x.settled, 1);
	assert_true(scan_settled(s));
	assert_string_equal(x.delivered, "mx2.pd.test");
	assert_int_equal(x.seed, 7);
	/* the recorded probe is the history the store holds, as a live first probe */
	assert_true(scan_history_get(s, "127.0.16.1", "mx1.pd.test", &h));
	assert_true(h.watched);
	assert_int_equal(h.sent, 1);
	assert_int_equal(h.lost, 1);
	assert_int_equal(h.last_state, PROBE_REFUSED);
	assert_non_null(scan_probe_last(s, "127.0.16.2", "mx2.pd.test"));
	/* a reshuffle re-analyses the recorded domain */
	assert_int_equal(scan_set_seed(s, "pd.test", 99), MXS_OK);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(x.analysis, 1);
	assert_int_equal(x.seed, 99);
	/* a later line of the same domain replaces it: now mx1 takes the mail */
	assert_int_equal(scan_add_recorded(s, domain(7, "accepted"), &why), MXS_OK);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_string_equal(x.delivered, "mx1.pd.test");
	assert_int_equal(scan_domain_count(s), 1);
	assert_true(scan_history_get(s, "127.0.16.1", "mx1.pd.test", &h));
	assert_int_equal(h.last_state, PROBE_ACCEPTED);
	/* nothing makes a replay ask */
	assert_int_equal(scan_add(s, "example.test", &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, "replay"));
	free(why);
	why = NULL;
	x.calls = 0;
	assert_int_equal(scan_refresh(s, "pd.test"), MXS_OK);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(x.calls, 0); /* nothing newer: nothing changed */
	scan_get_counters(s, &cnt);
	assert_int_equal(cnt.dns_questions, 0);
	assert_int_equal(cnt.probes_done, 4); /* two first probes, two of the newer line */
	assert_string_equal(scan_dns_servers(s), "none (replay)");
	scan_free(s);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* A live scan takes no recorded domain (and frees it). */
static void test_live_refuses(void **state)
{
	uv_loop_t loop;
	const char *servers[] = {"127.0.0.1:9"};
	scan_config c = {.mode = SCAN_ONCE, .servers = servers, .nservers = 1, .no_probe = true};
	char *why = NULL;
	scan *s;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	s = scan_new(&loop, &c, NULL, &why);
	assert_non_null(s);
	assert_int_equal(scan_add_recorded(s, domain(1, "refused"), &why), MXS_ERR_INVALID);
	free(why);
	scan_free(s);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_replay_scan),
	    cmocka_unit_test(test_live_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
