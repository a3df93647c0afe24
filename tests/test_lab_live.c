/* tests/test_lab_live.c — the trainer's live changes: MX records changed in
 * the world are in the very next lab_dns_answer, a reset brings the
 * scenario back, and an SMTP host taken down refuses connections until it
 * is brought up again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <ares.h>
#include <arpa/nameser.h>

#include "harness.h"
#include "lab.h"

static const char world_text[] = "$ORIGIN live.test.\n"
                                 "$TTL 30\n"
                                 "$SCENARIO live\n"
                                 "$TITLE Live changes\n"
                                 "$DOMAIN live.test.\n"
                                 "@ SOA ns hostmaster 1 3600 600 86400 30\n"
                                 "@ NS ns\n"
                                 "ns A 127.0.0.1\n"
                                 "@ MX 10 mx1\n"
                                 "@ MX 20 mx2\n"
                                 "mx1 A 127.0.98.1\n"
                                 "mx2 A 127.0.98.2\n"
                                 "$SMTP 127.0.98.1 refuse\n"
                                 "$SMTP 127.0.98.2 accept\n";

/* ---- DNS: the MX answer as "PREF NAME" lines ------------------------------------ */

/* The MX answer for name, "10 mx1.live.test.\n..." in answer order, as
 * c-ares (the resolver mxscope uses) reads the lab's answer. */
static void mx_answer(const lab_world *w, const char *name, char *out, size_t cap)
{
	unsigned char *q = NULL, a[4096];
	int ql = 0;
	size_t al;
	struct ares_mx_reply *mx = NULL;

	assert_int_equal(ares_create_query(name, ns_c_in, ns_t_mx, 0x1234, 1, &q, &ql, 0),
	                 ARES_SUCCESS);
	al = lab_dns_answer(w, q, (size_t)ql, a, sizeof(a), 0);
	ares_free_string(q);
	assert_true(al >= 12);
	out[0] = '\0';
	if (ares_parse_mx_reply(a, (int)al, &mx) != ARES_SUCCESS)
		return; /* no MX records: NODATA or NXDOMAIN */
	for (struct ares_mx_reply *m = mx; m; m = m->next)
		snprintf(out + strlen(out), cap - strlen(out), "%u %s.\n", m->priority, m->host);
	ares_free_data(mx);
}

static void test_dns_mutations(void **state)
{
	lab_world *w = lab_world_new();
	char *why = NULL, ans[1024];

	(void)state;
	assert_int_equal(lab_world_load_string(w, "live.zone", world_text, &why), MXS_OK);
	mx_answer(w, "live.test", ans, sizeof(ans));
	assert_string_equal(ans, "10 mx1.live.test.\n20 mx2.live.test.\n");

	assert_int_equal(lab_world_set_mx_preference(w, "live.test", "mx2.live.test", 5, &why),
	                 MXS_OK);
	mx_answer(w, "live.test", ans, sizeof(ans));
	assert_string_equal(ans, "10 mx1.live.test.\n5 mx2.live.test.\n");

	assert_int_equal(lab_world_add_mx(w, "live.test.", 30, "mx3.live.test", &why), MXS_OK);
	assert_int_equal(lab_world_remove_mx(w, "live.test", "mx1.live.test.", &why), MXS_OK);
	mx_answer(w, "live.test", ans, sizeof(ans));
	assert_string_equal(ans, "5 mx2.live.test.\n30 mx3.live.test.\n");

	/* what is not there is an error that names it */
	assert_int_equal(lab_world_remove_mx(w, "live.test", "mx1.live.test", &why),
	                 MXS_ERR_INVALID);
	assert_non_null(strstr(why, "no MX record for mx1.live.test"));
	free(why);
	why = NULL;
	assert_int_equal(lab_world_add_mx(w, "live.test", 1, "mx2.live.test", &why),
	                 MXS_ERR_INVALID);
	free(why);
	why = NULL;
	assert_int_equal(lab_world_add_mx(w, "nowhere.test", 1, "mx.live.test", &why),
	                 MXS_ERR_INVALID);
	assert_non_null(strstr(why, "not a name in the lab"));
	free(why);
	why = NULL;
	assert_int_equal(lab_world_set_mx_preference(w, "live.test", "mx2.live.test", 70000, &why),
	                 MXS_ERR_INVALID);
	free(why);
	why = NULL;

	/* remove every MX: NODATA, then reset brings the scenario back */
	assert_int_equal(lab_world_remove_mx(w, "live.test", "mx2.live.test", &why), MXS_OK);
	assert_int_equal(lab_world_remove_mx(w, "live.test", "mx3.live.test", &why), MXS_OK);
	mx_answer(w, "live.test", ans, sizeof(ans));
	assert_string_equal(ans, "");
	assert_int_equal(lab_world_add_mx(w, "live.test", 7, "mx9.live.test", &why), MXS_OK);
	mx_answer(w, "live.test", ans, sizeof(ans));
	assert_string_equal(ans, "7 mx9.live.test.\n");

	assert_int_equal(lab_world_reset(w, &why), MXS_OK);
	mx_answer(w, "live.test", ans, sizeof(ans));
	assert_string_equal(ans, "10 mx1.live.test.\n20 mx2.live.test.\n");
	assert_string_equal(lab_scenario_name(w, 0), "live");
	lab_world_free(w);
}

/* ---- SMTP: down, up, behave ------------------------------------------------------- */

static void test_smtp_behaviour(void **state)
{
	uv_loop_t loop;
	hlab_here lab; /* the shared lab fixture (tests/harness.h) */
	lab_smtp *s;
	char *why = NULL, g[512];
	int port;

	(void)state;
	h_lab_open(&lab, &loop, "live.zone", world_text, H_SMTP);
	s = lab.smtp;
	port = lab.smtp_port;
	assert_true(port > 0);

	/* the scenario: mx1 down, mx2 up */
	assert_int_equal(h_dial(&loop, "127.0.98.1", port), -ECONNREFUSED);
	h_greeting(&loop, "127.0.98.2", port, g, sizeof(g));
	assert_non_null(strstr(g, "220 "));

	/* up: the scenario had it refuse, so it comes up accepting */
	assert_int_equal(lab_smtp_set_behaviour(s, "127.0.98.1", "up", &why), MXS_OK);
	h_greeting(&loop, "127.0.98.1", port, g, sizeof(g));
	assert_non_null(strstr(g, "220 "));
	assert_int_equal(lab_smtp_listener_count(s), 2);

	/* down: refused at once */
	assert_int_equal(lab_smtp_set_behaviour(s, "127.0.98.2", "down", &why), MXS_OK);
	assert_int_equal(h_dial(&loop, "127.0.98.2", port), -ECONNREFUSED);
	assert_int_equal(lab_smtp_set_behaviour(s, "127.0.98.2", "up", &why), MXS_OK);
	h_greeting(&loop, "127.0.98.2", port, g, sizeof(g));
	assert_non_null(strstr(g, "220 "));

	/* the greeting follows the behaviour */
	assert_int_equal(lab_smtp_set_behaviour(s, "127.0.98.2", "tempfail", &why), MXS_OK);
	h_greeting(&loop, "127.0.98.2", port, g, sizeof(g));
	assert_non_null(strstr(g, "421 "));
	assert_int_equal(lab_smtp_set_behaviour(s, "127.0.98.2", "reject", &why), MXS_OK);
	h_greeting(&loop, "127.0.98.2", port, g, sizeof(g));
	assert_non_null(strstr(g, "554 "));
	assert_int_equal(lab_smtp_set_behaviour(s, "127.0.98.2", "slow 0.2", &why), MXS_OK);
	{
		long t0 = h_now_ms();

		h_greeting(&loop, "127.0.98.2", port, g, sizeof(g));
		assert_non_null(strstr(g, "220 "));
		assert_true(h_now_ms() - t0 >= 150);
	}
	assert_int_equal(lab_smtp_set_behaviour(s, "127.0.98.2", "refuse", &why), MXS_OK);
	assert_int_equal(h_dial(&loop, "127.0.98.2", port), -ECONNREFUSED);

	/* bad input names what is wrong */
	assert_int_equal(lab_smtp_set_behaviour(s, "127.0.98.9", "accept", &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, "not a lab SMTP host"));
	free(why);
	why = NULL;
	assert_int_equal(lab_smtp_set_behaviour(s, "127.0.98.2", "dance", &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, "unknown behaviour"));
	free(why);
	why = NULL;
	assert_int_equal(lab_smtp_set_behaviour(s, "127.0.98.2", "slow x", &why), MXS_ERR_INVALID);
	free(why);
	why = NULL;

	/* reset: as the scenario says again */
	assert_int_equal(lab_smtp_reset(s, &why), MXS_OK);
	assert_int_equal(h_dial(&loop, "127.0.98.1", port), -ECONNREFUSED);
	h_greeting(&loop, "127.0.98.2", port, g, sizeof(g));
	assert_non_null(strstr(g, "220 "));
	assert_int_equal(lab_smtp_listener_count(s), 1);

	h_lab_close(&lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dns_mutations),
	    cmocka_unit_test(test_smtp_behaviour),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
