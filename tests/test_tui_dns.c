/* tests/test_tui_dns.c — DNS beside the walk in the explorer: the real app on a
 * virtual terminal against lab DNS and SMTP servers in this process, on
 * loopback. SRV asked only for a domain whose details were shown (counted
 * at the lab server), the V key's authoritative table on a stale secondary
 * with a lame and a silent server, reverse DNS per address, a port 25 that
 * is dropped for several unrelated domains (egress-blocked once, taken back
 * by one host that answers), and -4 / -6 with an IPv6 path that fails. */
#include "test_tui_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define T_SRV 33 /* the SRV question type */

/* ---- 1. SRV only when the details pane shows it ----------------------- */

/* Two lab domains: the first is selected, so its details (and its SRV
 * section) are on screen from the start; the second is never shown. */
static void test_srv_on_demand(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"single", "srv"};
	tui_config c = base_config(f, 160, 60);
	unsigned long first;
	char *s, row[400];

	start(f, &c, sc, 2);
	s = screen(f);
	/* single.lab.test: asked, none published (nothing shown, as in a replay) */
	assert_lacks(s, "Mail client services (SRV): asking...");
	first = lab_dns_questions(f->dns, T_SRV);
	/* the six RFC 6186 services of the one domain shown, none of srv.lab.test */
	assert_int_equal(first, 6);
	assert_lacks(s, "_submission._tcp");
	free(s);
	/* a domain added later and not shown asks no SRV either (SRV is asked
	 * per domain, not switched on for the whole scan) */
	tf_add_scenario(f, "preference");
	settle(f);
	assert_int_equal(lab_dns_questions(f->dns, T_SRV), first);

	/* srv.lab.test shown: asked once, its records shown, its probe not redone */
	key(f, 'j');
	settle(f);
	s = screen(f);
	assert_int_equal(lab_dns_questions(f->dns, T_SRV), first + 6);
	assert_has(s, "Mail client services");
	assert_has(s, "_submission._tcp  mail.srv.lab.test:587  prio 0 weight 1");
	assert_has(s, "_imaps._tcp  mail.srv.lab.test:993");
	assert_has(s, "_pop3._tcp  . (not offered)");
	/* the tiers pane's "sent" column: one probe, as before the SRV answer */
	tf_row_of(s, "127.0.50.1", row, sizeof(row));
	if (!strstr(row, " 0%    1 "))
		fail_screen("probed once", row, s);
	free(s);
	/* showing it again asks nothing more */
	key(f, 'k');
	key(f, 'j');
	settle(f);
	assert_int_equal(lab_dns_questions(f->dns, T_SRV), first + 6);
}

/* --srv on the command line: every domain's SRV at once, shown or not. */
static void test_srv_all(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"single", "srv", "preference"};
	tui_config c = base_config(f, 160, 60);

	c.set.srv = true;
	start(f, &c, sc, 3);
	assert_int_equal(lab_dns_questions(f->dns, T_SRV), 18);
	key(f, 'j');
	settle(f);
	/* already there: nothing asked again for the details */
	assert_int_equal(lab_dns_questions(f->dns, T_SRV), 18);
	{
		char *s = screen(f);
		assert_has(s, "_submission._tcp  mail.srv.lab.test:587");
		free(s);
	}
}

/* ---- 2. V: the authoritative servers side by side --------------------- */

/* A primary (serial 2, the new MX), a secondary that stopped transferring
 * (serial 1, the old MX), a server without the zone (REFUSED) and an
 * address where nothing answers (timeout): stale.test's four NS. */
#define STALE_HEAD                                                                                 \
	"$ORIGIN stale.test.\n$TTL 300\n$DOMAIN stale.test.\n"                                     \
	"@ NS ns1\n@ NS ns2\n@ NS ns3\n@ NS ns4\n"                                                 \
	"ns1 A 127.0.57.1\nns2 A 127.0.57.2\nns3 A 127.0.57.3\nns4 A 127.0.57.4\n"
static const char stale_new[] = "$SCENARIO stale-new\n$TITLE primary\n" STALE_HEAD
                                "@ SOA ns1 hostmaster 2024060102 3600 600 86400 30\n"
                                "@ MX 10 mx-new\nmx-new A 127.0.57.10\n";
static const char stale_old[] = "$SCENARIO stale-old\n$TITLE stale secondary\n" STALE_HEAD
                                "@ SOA ns1 hostmaster 2024060101 3600 600 86400 30\n"
                                "@ MX 10 mx-old\nmx-old A 127.0.57.11\n";
static const char other[] = "$ORIGIN other.test.\n$TTL 30\n$SCENARIO other\n$TITLE other\n"
                            "$DOMAIN other.test.\n@ MX 10 mx\nmx A 127.0.57.20\n";

typedef struct auth_lab {
	lab_world *w[3];
	lab_dns *dns[3];
	int silent; /* a UDP socket on ns4's address that never reads: a timeout */
	char primary[40];
	int port;
} auth_lab;

static void auth_lab_open(fixture *f, auth_lab *l)
{
	const char *text[] = {stale_new, stale_old, other};
	const char *ip[] = {"127.0.57.1", "127.0.57.2", "127.0.57.3"};
	char *why = NULL;

	l->port = 0;
	for (int i = 0; i < 3; i++) {
		l->w[i] = lab_world_new();
		if (lab_world_load_string(l->w[i], "auth", text[i], &why) != MXS_OK)
			fail_msg("zone %d: %s", i, why);
		/* every server on one port: the name servers are asked on ns_port */
		l->dns[i] = lab_dns_new(&f->loop, l->w[i], ip[i], l->port, &why);
		if (!l->dns[i])
			fail_msg("lab dns %s: %s", ip[i], why);
		l->port = lab_dns_port(l->dns[i]);
	}
	snprintf(l->primary, sizeof(l->primary), "127.0.57.1:%d", l->port);
	/* bound, so the kernel does not refuse (that would be a quick
	 * "error"); never read, so every question to it times out */
	{
		struct sockaddr_in sa = {.sin_family = AF_INET,
		                         .sin_port = htons((uint16_t)l->port)};
		inet_pton(AF_INET, "127.0.57.4", &sa.sin_addr);
		l->silent = socket(AF_INET, SOCK_DGRAM, 0);
		assert_true(l->silent >= 0);
		assert_int_equal(bind(l->silent, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
}

static void auth_lab_close(fixture *f, auth_lab *l)
{
	tui_app_free(f->app); /* its questions first, then the servers */
	f->app = NULL;
	for (int i = 0; i < 3; i++)
		lab_dns_close(l->dns[i]);
	for (int i = 0; i < 20; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	for (int i = 0; i < 3; i++)
		lab_world_free(l->w[i]);
	close(l->silent);
}

static tui_config auth_config(fixture *f, auth_lab *l)
{
	tui_config c = base_config(f, 170, 60);

	c.set.servers[0] = l->primary; /* the primary is the resolver here */
	c.set.ns_port = l->port;
	c.set.no_probe = true;
	c.lab = NULL;
	return c;
}

static void assert_auth_table(fixture *f, const char *s)
{
	(void)f;
	assert_has(s, "Authoritative servers of stale.test (NS NOERROR)");
	assert_has(s, "ns1.stale.test 127.0.57.1 2024060102 NOERROR   yes 10 mx-new.stale.test");
	assert_has(s, "ns2.stale.test 127.0.57.2 2024060101 NOERROR   yes 10 mx-old.stale.test");
	assert_has(s, "ns3.stale.test 127.0.57.3 -          REFUSED   no  REFUSED");
	assert_has(s, "ns4.stale.test 127.0.57.4 -          timeout   no  no answer");
	/* the mismatch named: which server, which serial, against which */
	assert_has(s, "authoritative-mismatch: name server ns2.stale.test (127.0.57.2) serves "
	              "serial 2024060101");
	assert_has(s, "but ns1.stale.test (127.0.57.1) serves serial 2024060102");
	assert_has(s, "authoritative-lame: name server ns3.stale.test (127.0.57.3) refuses");
	assert_has(s, "authoritative-lame: name server ns4.stale.test (127.0.57.4) does not "
	              "answer");
	/* the resolver's cached answer and how long it may stay */
	assert_has(s, "resolver's cached MX: 10 mx-new.stale.test, TTL 300 s left when asked");
	assert_has(s, "a changed MX reaches senders in at most 300 s");
	/* the findings pane says it too */
	assert_has(s, "authoritative-mismatch 127.0.57.2");
	assert_has(s, "authoritative-lame x2  127.0.57.3, 127.0.57.4");
	/* colours: the servers that disagree or are lame in the warning colour,
	 * the agreeing primary as any other row */
	tf_assert_role(L"ns2.stale.test 127.0.57.2", THEME_WARN);
	tf_assert_role(L"ns3.stale.test 127.0.57.3", THEME_WARN);
	tf_assert_role(L"ns4.stale.test 127.0.57.4", THEME_WARN);
	tf_assert_role(L"ns1.stale.test 127.0.57.1", THEME_NORMAL);
}

/* stale.test on auth_lab's servers: its table asked for with V (by_key)
 * or from the start (--authoritative), then checked. */
static void authoritative_case(fixture *f, bool by_key)
{
	const char *const names[] = {"stale.test"};
	auth_lab l;
	tui_config c;
	char *s;

	auth_lab_open(f, &l);
	c = auth_config(f, &l);
	c.set.authoritative = !by_key;
	tf_start_names(f, &c, names, 1);
	if (by_key) {
		s = screen(f);
		/* not asked before the key */
		assert_lacks(s, "Authoritative servers");
		assert_lacks(s, "authoritative-mismatch");
		free(s);
		key(f, 'V');
		assert_non_null(
		    strstr(tui_app_message(f->app), "asking its authoritative servers"));
	}
	s = tf_wait_for(f, "authoritative-lame: name server ns4", 10);
	assert_auth_table(f, s);
	free(s);
	auth_lab_close(f, &l);
}

static void test_authoritative_key(void **state)
{
	authoritative_case(*state, true);
}

/* --authoritative: every domain's table without the key. */
static void test_authoritative_option(void **state)
{
	authoritative_case(*state, false);
}

/* ---- 3. reverse DNS per address -------------------------------------- */

static void test_ptr_details(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"reverse"};
	tui_config c = base_config(f, 160, 60);
	static const struct {
		int down; /* 'j' presses in the tiers pane from its first row */
		const char *line;
	} rows[] = {
	    {2, "PTR mx1.reverse.lab.test (forward-confirmed); greets as mx1.reverse.lab.test, "
	        "the same"},
	    {5, "PTR none (NXDOMAIN)"},
	    {8, "PTR elsewhere.reverse.lab.test (not forward-confirmed); greets as "
	        "mx3.reverse.lab.test, another"},
	};
	char *s;

	start(f, &c, sc, 1);
	s = screen(f);
	assert_has(s, "ptr-missing            mx2.reverse.lab.test (127.0.65.2)");
	assert_has(s, "ptr-not-forward-confirmed mx3.reverse.lab.test (127.0.65.3)");
	assert_has(s, "ipv4-unreachable       mx4.reverse.lab.test");
	free(s);
	key(f, '\t'); /* the tiers pane: its rows' details */
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		key(f, 'g');
		for (int k = 0; k < rows[i].down; k++)
			key(f, 'j');
		s = screen(f);
		assert_has(s, rows[i].line);
		tf_assert_role(i == 0   ? L"PTR mx1"
		               : i == 1 ? L"PTR none"
		                        : L"PTR elsewhere",
		               i == 0 ? THEME_OK : THEME_WARN);
		free(s);
	}
}

/* ---- 4. port 25 dropped on the way ------------------------------------ */

/* 127.0.171.0/24: no built-in scenario's address, so no lab of a test run
 * beside this one holds it on the port h_blackhole takes. */

static const char egress_zone[] = "$ORIGIN eg.test.\n$TTL 30\n$SCENARIO eg\n$TITLE egress\n"
                                  "$DOMAIN one.eg.test.\n"
                                  "one MX 10 mx.one\nmx.one A 127.0.171.1\n"
                                  "two MX 10 mx.two\nmx.two A 127.0.171.2\n"
                                  "open MX 10 mx.open\nmx.open A 127.0.171.3\n"
                                  "$SMTP 127.0.171.3 accept\n";

static int setup_egress(void **state)
{
	return tf_setup_zone(state, "egress", egress_zone);
}

static void test_egress_blocked(void **state)
{
	fixture *f = *state;
	const char *const names[] = {"one.eg.test", "two.eg.test"};
	tui_config c = base_config(f, 160, 50);
	int h1[3], h2[3];
	char *s, *why = NULL;

	h_blackhole("127.0.171.1", lab_smtp_port(f->smtp), h1);
	h_blackhole("127.0.171.2", lab_smtp_port(f->smtp), h2);
	c.lab = NULL;
	tf_start_names(f, &c, names, 2);
	key(f, 'L'); /* the log */
	s = screen(f);
	assert_has(s, "EGRESS BLOCKED? port 25 times out everywhere");
	assert_int_equal(tf_count(s, "this network probably blocks outbound port 25"), 1);
	/* each domain: egress-blocked, a warning, nobody blamed */
	assert_has(s, "egress-blocked         one.eg.test");
	assert_has(s, "warning  one.eg.test");
	assert_has(s, "warning  two.eg.test");
	assert_lacks(s, "primary-unreachable");
	assert_lacks(s, "no-accepting-mx");
	assert_lacks(s, "smtp-unreachable");
	assert_lacks(s, "error ");
	/* the details do not judge the hosts either */
	assert_has(s, "not judged: every connection timed out, as for other domains");
	assert_lacks(s, "no host accepts the mail");
	/* nor does any sender's end: no red "deferred" beside it */
	assert_has(s, "> opportunistic not judged: port 25 blocked from here");
	assert_lacks(s, "deferred: every host failed");
	free(s);
	tf_assert_role(L"> opportunistic not judged", THEME_WARN);

	/* one host that answers: port 25 gets out, the dead hosts are blamed */
	assert_int_equal(tui_app_add(f->app, "open.eg.test", -1, &why), MXS_OK);
	settle(f);
	s = screen(f);
	assert_lacks(s, "EGRESS BLOCKED");
	assert_has(s, "port 25 is not blocked after all");
	assert_has(s, "error    one.eg.test");
	assert_has(s, "error    two.eg.test");
	assert_has(s, "ok       open.eg.test");
	assert_has(s, "no-accepting-mx");
	assert_lacks(s, "egress-blocked         one");
	assert_lacks(s, "not judged");
	free(s);
	for (int i = 0; i < 3; i++) {
		close(h1[i]);
		close(h2[i]);
	}
}

/* One domain alone timing out is a host that is down: judged as usual. */
static void test_egress_one_domain(void **state)
{
	fixture *f = *state;
	const char *const names[] = {"one.eg.test"};
	tui_config c = base_config(f, 160, 50);
	int h1[3];
	char *s;

	h_blackhole("127.0.171.1", lab_smtp_port(f->smtp), h1);
	c.lab = NULL;
	tf_start_names(f, &c, names, 1);
	s = screen(f);
	assert_lacks(s, "EGRESS BLOCKED");
	assert_lacks(s, "egress-blocked");
	assert_has(s, "error    one.eg.test");
	assert_has(s, "no-accepting-mx");
	free(s);
	for (int i = 0; i < 3; i++)
		close(h1[i]);
}

/* ---- 5. -4 / -6 and an IPv6 path that fails --------------------------- */

static const char v6_zone[] = "$ORIGIN v6f.test.\n$TTL 30\n$SCENARIO v6f\n$TITLE v6 down\n"
                              "$DOMAIN v6f.test.\n"
                              "@ MX 10 mx\nmx A 127.0.72.1\nmx AAAA ::1\n"
                              "$SMTP 127.0.72.1 accept\n";

static int setup_v6(void **state)
{
	return tf_setup_zone(state, "v6fail", v6_zone);
}

static void test_families(void **state)
{
	fixture *f = *state;
	const char *const names[] = {"v6f.test"};
	static const struct {
		int family;
		bool v4, v6, finding;
	} rows[] = {
	    {0, true, true, true}, /* both: IPv6 fails while IPv4 works */
	    {4, true, false, false},
	    {6, false, true, false},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		tui_config c = base_config(f, 160, 50);
		char *s;
		c.lab = NULL;
		c.set.family = rows[i].family;
		tf_start_names(f, &c, names, 1);
		s = screen(f);
		if (rows[i].v4)
			assert_has(s, "127.0.72.1");
		else
			assert_lacks(s, "127.0.72.1");
		if (rows[i].v6)
			assert_has(s, "::1");
		else
			assert_lacks(s, "::1");
		if (rows[i].finding)
			assert_has(s, "ipv6-unreachable       mx.v6f.test");
		else
			assert_lacks(s, "ipv6-unreachable");
		free(s);
		tf_stop(f);
	}
}

/* The lab's own scenario for it, with the lab's address map (each
 * scenario's ::1 host on its own port, as `mxscope lab` runs it). */
static void test_ipv6_down_scenario(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"ipv6-down"};
	tui_config c = base_config(f, 160, 50);
	char *s;

	c.set.smtp_overrides = lab_smtp_overrides(f->smtp, &c.set.nsmtp_overrides);
	start(f, &c, sc, 1);
	s = screen(f);
	assert_has(s, "warning  v6down.lab.test");
	assert_has(s, "ipv6-unreachable       mx.v6down.lab.test");
	assert_has(s, "smtp-unreachable       mx.v6down.lab.test (::1)");
	assert_lacks(s, "ipv4-unreachable");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    tf_test(test_srv_on_demand),
	    tf_test(test_srv_all),
	    tf_test(test_authoritative_key),
	    tf_test(test_authoritative_option),
	    tf_test(test_ptr_details),
	    cmocka_unit_test_setup_teardown(test_egress_blocked, setup_egress, teardown),
	    cmocka_unit_test_setup_teardown(test_egress_one_domain, setup_egress, teardown),
	    cmocka_unit_test_setup_teardown(test_families, setup_v6, teardown),
	    tf_test(test_ipv6_down_scenario),
	};

	return tf_run(tests);
}
