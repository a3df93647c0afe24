/* tests/test_tui_senders.c — the sender profiles in the explorer: the walk on screen
 * as each kind of sender makes it (S picks the profile), which rule skipped
 * which host and where the mail ends, the domain list's delivers-to column
 * as the followed sender, and what real senders look at in the details
 * (DNSSEC, MTA-STS, TLSA, the certificate, DANE, the RCPT answer). The real
 * explorer on a virtual terminal against the in-process lab with its
 * MTA-STS policy server; words and the cells' colour pairs are asserted. */
#include "test_tui_fixture.h"

#include <stdlib.h>

#include "scan.h" /* SENDER_* */

static tui_config config(fixture *f, int rows)
{
	tui_config c = base_config(f, 120, rows);

	c.set.theme = "default";
	return c;
}

/* w, then steps to the walk's end (n pauses and steps). */
static void walk_to_end(fixture *f)
{
	key(f, 'w');
	tf_key_times(f, 'n', 8);
}

/* sts-enforce: mx1 is down, the backup is not in the enforce policy. An
 * opportunistic sender delivers to the backup; the mta-sts one skips it by
 * the policy's rule and the mail is deferred. The list's delivers-to column
 * and its title follow the chosen sender. */
static void test_sts_enforce(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"sts-enforce"};
	tui_config c = config(f, 80);
	char *s;

	start(f, &c, sc, 1);
	s = screen(f);
	assert_has(s, "Domains (1) ─");
	assert_has(s, "sts-enforce.lab.t… → backup backup");
	/* the details: every profile's end, which rule skipped which host */
	assert_has(s, "> opportunistic -> backup.sts-enforce.lab.test (127.0.60.2)");
	assert_has(s, "  mta-sts       deferred: every host failed or was skipped");
	assert_has(s, "    skips backup.sts-enforce.lab.test (127.0.60.2): MTA-STS");
	assert_has(s, "  mode enforce, max_age 86400 s");
	assert_has(s, "  mx mx1.sts-enforce.lab.test");
	assert_has(s, "  TLS-RPT v=TLSRPTv1; rua=mailto:tls-reports@sts-enforce.lab.test");
	assert_has(s, "DNSSEC: MX answer insecure");
	/* the lab vouches only for signed zones, and this one is not */
	assert_lacks(s, "the lab vouches");
	free(s);
	walk_to_end(f);
	s = screen(f);
	assert_has(s, "as opportunistic sender");
	assert_has(s, "=> delivered to backup.sts-enforce.lab.test (127.0.60.2)");
	assert_lacks(s, "skipped by");
	free(s);
	tf_assert_role(L"=> delivered to backup", THEME_WALK_DONE);

	key(f, 'S');
	tf_key_times(f, 'n', 8);
	s = screen(f);
	assert_has(s, "sender mta-sts");
	assert_has(s, "Domains (1) as mta-sts");
	assert_has(s, "sts-enforce.lab.test none");
	assert_has(s, "as mta-sts sender");
	assert_has(s, "   refused: connection refused: try the next address");
	assert_has(s, "   skipped by mta-sts: MTA-STS enforce: the host matches none of");
	assert_has(s, "=> no host accepts: every host failed or was skipped");
	assert_lacks(s, "=> delivered");
	free(s);
	/* the skipped host's step in the error role; the probe keeps its own
	 * colour in the tiers pane (the walk marks, never recolours),
	 * as does the refused primary */
	tf_assert_role(L"skipped by mta-sts", THEME_ERROR);
	tf_assert_role(L"=> no host accepts", THEME_ERROR);
	tf_assert_role(L"accepted", THEME_OK);
	tf_assert_role(L"refused", THEME_ERROR);
}

/* sts-testing: the policy only reports; the mta-sts sender delivers to the
 * primary and says why (the certificate would fail, delivered anyway). */
static void test_sts_testing(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"sts-testing"};
	tui_config c = config(f, 80);
	char *s;

	c.set.sender = SENDER_MTA_STS; /* as --sender mta-sts */
	start(f, &c, sc, 1);
	s = screen(f);
	assert_has(s, "sender mta-sts");
	assert_has(s, "Domains (1) as mta-sts");
	assert_has(s, "  mode testing");
	assert_has(s, "> mta-sts       -> in.mail.sts-testing.lab.test (127.0.61.1)");
	free(s);
	walk_to_end(f);
	s = screen(f);
	assert_has(s, "as mta-sts sender");
	assert_has(s, "   accepted: MTA-STS testing: the certificate would fail the");
	assert_has(s, "=> delivered to in.mail.sts-testing.lab.test (127.0.61.1)");
	assert_lacks(s, "skipped by");
	free(s);
	tf_assert_role(L"=> delivered to in.mail", THEME_WALK_DONE);
}

/* dane-stale: mx1's TLSA record is stale. The dane sender skips mx1 and
 * delivers to mx2; mta-sts and opportunistic senders deliver to mx1. The
 * details show DNSSEC secure with the lab's note, and mx1's certificate
 * whole with the DANE verdict. */
static void test_dane_stale(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"dane-stale"};
	tui_config c = config(f, 80);
	char *s;

	start(f, &c, sc, 1);
	s = screen(f);
	assert_has(s, "DNSSEC: MX answer secure");
	assert_has(s, "the lab vouches for signed zones; real validation comes from the");
	assert_has(s, "> opportunistic -> mx1.dane-stale.lab.test (127.0.71.1)");
	assert_has(s, "  mta-sts       -> mx1.dane-stale.lab.test (127.0.71.1)");
	assert_has(s, "  dane          -> mx2.dane-stale.lab.test (127.0.71.2)");
	assert_has(s, "    skips mx1.dane-stale.lab.test (127.0.71.1): DANE: the");
	assert_has(s, "dane-stale.lab.test mx1");
	free(s);
	key(f, 'S');
	key(f, 'S');
	walk_to_end(f);
	s = screen(f);
	assert_has(s, "Domains (1) as dane");
	assert_has(s, "dane-stale.lab.te… → backup mx2 (20)");
	assert_has(s, "as dane sender");
	assert_has(s, "   probe: accepted");
	assert_has(s, "   skipped by dane: DANE: the certificate matches none of the");
	assert_has(s, "=> delivered to mx2.dane-stale.lab.test (127.0.71.2)");
	free(s);
	tf_assert_role(L"skipped by dane", THEME_ERROR);
	tf_assert_role(L"=> delivered to mx2", THEME_WALK_DONE);
	key(f, 'S'); /* dane-mta-sts, then around to opportunistic: mx1 takes it */
	key(f, 'S');
	tf_key_times(f, 'n', 8);
	s = screen(f);
	assert_has(s, "=> delivered to mx1.dane-stale.lab.test (127.0.71.1)");
	assert_lacks(s, "skipped by");
	free(s);
	/* mx1's address: the certificate, always, and the DANE verdict */
	key(f, 27);  /* Esc: the walk stops, the tiers pane keeps the focus */
	key(f, 'g'); /* its first row, then down to mx1's address */
	key(f, KEY_DOWN);
	key(f, KEY_DOWN);
	s = screen(f);
	assert_has(s, "127.0.71.1  mx1.dane-stale.lab.test (IPv4)");
	assert_has(s, "  subject O = mxscope lab, CN = mx1.dane-stale.lab.test");
	assert_has(s, "  issuer  O = mxscope lab, CN = mxscope lab CA");
	assert_has(s, "  name    mx1.dane-stale.lab.test");
	assert_has(s, "  spki sha256 ");
	assert_has(s, "  cert sha256 ");
	assert_has(s, "  DANE: mismatch");
	free(s);
	tf_assert_role(L"DANE: mismatch", THEME_ERROR);
}

/* dane-insecure: TLSA in an unsigned zone is shown and ignored: the dane
 * sender delivers. */
static void test_dane_insecure(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"dane-insecure"};
	tui_config c = config(f, 80);
	char *s;

	c.set.sender = SENDER_DANE;
	start(f, &c, sc, 1);
	key(f, '\t');
	key(f, KEY_DOWN);
	s = screen(f);
	assert_has(s, "TLSA _25._tcp.mx.dane-insecure.lab.test (insecure: shown, ignored)");
	assert_has(s, "  3 1 1 54b0e057755919a83edcad38f9d28b8c4dc985ba6f07b94fc3425ad509");
	free(s);
	tf_assert_role(L"3 1 1 54b0e0", THEME_DIM);
	walk_to_end(f);
	s = screen(f);
	assert_has(s, "as dane sender");
	assert_has(s, "=> delivered to mx.dane-insecure.lab.test (127.0.72.1)");
	assert_lacks(s, "skipped by");
	free(s);
}

/* rcpt-relay with --rcpt postmaster, mx1 moved behind the backup (trainer:
 * pref 30): the backup answers 550 at RCPT, which is final. The walk ends
 * there with a bounce and never tries mx1, which would take the mail. */
static void test_rcpt_bounce_stops(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"rcpt-relay"};
	tui_config c = config(f, 80);
	lab *l = lab_new(f->w, f->smtp);
	char *s;

	assert_non_null(l);
	tf_lab_trainer(l, "rcpt-relay.lab.test", "pref mx1.rcpt-relay.lab.test 30");
	c.set.rcpt = "postmaster";
	start(f, &c, sc, 1);
	s = screen(f);
	assert_has(s, "rcpt-relay.lab.test none");
	assert_has(s, "> opportunistic bounce at RCPT of backup.rcpt-relay.lab.test");
	free(s);
	walk_to_end(f);
	s = screen(f);
	assert_has(s, "1. pref 20 backup.rcpt-relay.lab.test 127.0.62.2");
	assert_has(s, "   bounce at RCPT: 550 5.7.1 relaying denied");
	assert_has(s, "=> bounce at backup.rcpt-relay.lab.test (127.0.62.2): no other");
	/* the walk stopped: mx1 is never a step */
	assert_lacks(s, "2. pref 30");
	assert_lacks(s, "=> delivered");
	free(s);
	tf_assert_role(L"bounce at RCPT: 550", THEME_ERROR);
	tf_assert_role(L"=> bounce at", THEME_ERROR);
	/* the tiers pane marks the bounce's host, not mx1 as tried */
	tf_assert_role(L"▶", THEME_WALK_CURRENT);
	{
		int y1, x1, y2, x2;
		assert_true(tf_find_cells(L"▶✓ accepted         127.0.62.2", &y1, &x1));
		assert_true(tf_find_cells(L"  ✓ accepted         127.0.62.1", &y2, &x2));
	}
	/* the backup's address: the RCPT answer in the details */
	key(f, 27);
	key(f, 'g');
	key(f, KEY_DOWN);
	key(f, KEY_DOWN);
	s = screen(f);
	assert_has(s, "RCPT TO:<postmaster@rcpt-relay.lab.test>");
	assert_has(s, "  550 5.7.1 relaying denied: 5xx at RCPT");
	free(s);
	/* the backup fixed, r asks again: the recipient stage runs once more
	 * (a refresh, not the monitor's rounds) and the mail is delivered */
	tf_lab_trainer(l, "rcpt-relay.lab.test", "behave 127.0.62.2 rcpt=accept");
	key(f, 27);
	key(f, 'r');
	settle(f);
	s = screen(f);
	assert_has(s, "✓ ok       rcpt-relay.lab.test backup");
	assert_has(s, "> opportunistic -> backup.rcpt-relay.lab.test (127.0.62.2)");
	assert_lacks(s, "error    rcpt-rejected"); /* no longer a finding */
	free(s);
	lab_free(l);
}

/* sts-enforce whose policy host answers 404 (trainer: missing): the TXT
 * promises a policy that cannot be fetched; the details say why in the
 * finding's role (a warning), and with no policy to apply the mta-sts sender delivers to
 * the backup like any other. */
static void test_sts_policy_unavailable(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"sts-enforce"};
	tui_config c = config(f, 80);
	lab *l = lab_new(f->w, f->smtp);
	char *s;

	assert_non_null(l);
	tf_lab_trainer(l, "sts-enforce.lab.test", "behave mta-sts.sts-enforce.lab.test missing");
	c.set.sender = SENDER_MTA_STS;
	start(f, &c, sc, 1);
	s = screen(f);
	assert_has(s, "  TXT v=STSv1; id=");
	assert_has(s, "  policy error: ");
	assert_lacks(s, "  mode enforce");
	assert_has(s, "> mta-sts       -> backup.sts-enforce.lab.test (127.0.60.2)");
	assert_has(s, "warning  mta-sts-policy-unavailable");
	free(s);
	tf_assert_role(L"policy error: ", THEME_WARN); /* as the finding */
	lab_free(l);
}

/* 80x24: the walk pane is four lines; it keeps the first step's first line
 * (not a wrapped rest of it) and the end in sight. */
static void test_walk_at_80x24(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"sts-enforce"};
	tui_config c = base_config(f, 80, 24);
	char *s;

	c.set.sender = SENDER_MTA_STS;
	start(f, &c, sc, 1);
	walk_to_end(f);
	s = screen(f);
	assert_has(s, "Domains (1) as mta-sts");
	assert_has(s, "││ 1. pref 10 mx1.sts-enforce.lab.test");
	assert_has(s, "=> no host accepts: every host failed or");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_sts_enforce, tf_setup_sts, teardown),
	    cmocka_unit_test_setup_teardown(test_sts_testing, tf_setup_sts, teardown),
	    cmocka_unit_test_setup_teardown(test_dane_stale, tf_setup_sts, teardown),
	    cmocka_unit_test_setup_teardown(test_dane_insecure, tf_setup_sts, teardown),
	    cmocka_unit_test_setup_teardown(test_rcpt_bounce_stops, tf_setup_sts, teardown),
	    cmocka_unit_test_setup_teardown(test_walk_at_80x24, tf_setup_sts, teardown),
	    cmocka_unit_test_setup_teardown(test_sts_policy_unavailable, tf_setup_sts, teardown),
	};

	return tf_run(tests);
}
