/* tests/test_check_probe.c — the real `mxscope check` with probes on,
 * against the lab process's DNS and SMTP hosts on loopback: every SMTP
 * scenario end to end, every catalogue scenario's walk, probe details (TLS,
 * the transcript), hostile hosts (bounded memory, nothing raw on a terminal)
 * and a reader that goes away mid-run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <jansson.h>

#include "check_json.h"
#include "harness.h"
#include "probe.h"

typedef struct probe_scen {
	const char *domain;
	const char *timeout;
	const char *delivered; /* host label, or NULL: nobody accepts */
	const char *findings;  /* sorted codes */
	const char *states;    /* "IP=state ..." for the addresses that matter */
	int exit_status;
	const char *floor; /* "IP=MS": that address's greeting_ms is at least MS, the
	                      lab's own delay (no ceiling: speed is bench/'s) */
} probe_scen;

/* clang-format off */
static const probe_scen probe_scenarios[] = {
	{"primary-down.lab.test", "1", "mx2", "backup-mx primary-unreachable smtp-unreachable",
	 "127.0.16.1=refused 127.0.16.2=accepted", 0, NULL},
	{"tier-down.lab.test", "1", "backup", "backup-mx primary-unreachable smtp-unreachable smtp-unreachable",
	 "127.0.17.1=refused 127.0.17.2=greeting-timeout 127.0.17.3=accepted", 0, NULL},
	{"tempfail.lab.test", "1", "mx2", "backup-mx primary-unreachable smtp-tempfail",
	 "127.0.18.1=tempfail 127.0.18.2=accepted", 0, NULL},
	{"reject.lab.test", "1", NULL, "backup-mx no-accepting-mx smtp-reject smtp-reject",
	 "127.0.19.1=rejected 127.0.19.2=rejected", 1, NULL},
	{"tarpit.lab.test", "4", "mx2", "backup-mx primary-unreachable smtp-slow-banner smtp-unreachable",
	 "127.0.20.1=greeting-timeout 127.0.20.2=accepted 127.0.20.3=accepted", 0, "127.0.20.2=2900"},
	{"tls.lab.test", "2", "good", "backup-mx smtp-no-starttls tls-certificate-invalid tls-certificate-invalid tls-certificate-invalid",
	 "127.0.21.1=accepted 127.0.21.2=accepted 127.0.21.5=accepted", 0, NULL},
	{"hostile.lab.test", "2", "esc",
	 "backup-mx banner-name-mismatch smtp-unreachable smtp-unreachable smtp-unreachable smtp-unreachable tls-certificate-invalid",
	 "127.0.22.1=accepted 127.0.22.2=accepted 127.0.22.4=garbage 127.0.22.5=dropped 127.0.22.7=accepted", 0, NULL},
	{"backscatter.lab.test", "2", "mx1", "backup-mx smtp-no-starttls",
	 "127.0.51.1=accepted 127.0.51.2=accepted", 0, NULL},
	{"greylist.lab.test", "1", NULL, "backup-mx no-accepting-mx smtp-tempfail smtp-tempfail",
	 "127.0.52.1=tempfail 127.0.52.2=tempfail", 1, NULL},
	{"srv.lab.test", "1", "mail", "single-mx", "127.0.50.1=accepted", 0, NULL},
};
/* clang-format on */

static void test_probe_scenarios(void **state)
{
	const hlab *lab = *state;

	for (size_t i = 0; i < sizeof(probe_scenarios) / sizeof(probe_scenarios[0]); i++) {
		const probe_scen *s = &probe_scenarios[i];
		hrun r;
		json_t *j = probe_json_run(lab, s->domain, s->timeout, &r), *to;
		char got[1024], buf[512], *save = NULL;

		to = json_object_get(j, "delivered_to");
		if (s->delivered) {
			char want[128];
			snprintf(want, sizeof(want), "%s.%s", s->delivered, s->domain);
			if (!json_is_object(to) ||
			    strcmp(json_string_value(json_object_get(to, "host")), want) != 0) {
				print_error("%s: delivered_to %s, want %s\n", s->domain,
				            json_is_object(to)
				                ? json_string_value(json_object_get(to, "host"))
				                : "null",
				            want);
				fail();
			}
		} else {
			assert_true(json_is_null(to));
		}
		codes_of(j, got, sizeof(got));
		if (strcmp(got, s->findings)) {
			print_error("%s: findings \"%s\", want \"%s\"\n", s->domain, got,
			            s->findings);
			fail();
		}
		snprintf(buf, sizeof(buf), "%s", s->states);
		for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			char *eq = strchr(t, '=');
			json_t *p;
			*eq = '\0';
			p = probe_of(j, t);
			assert_non_null(p);
			if (strcmp(json_string_value(json_object_get(p, "state")), eq + 1)) {
				print_error("%s %s: state %s, want %s\n", s->domain, t,
				            json_string_value(json_object_get(p, "state")), eq + 1);
				fail();
			}
		}
		if (s->floor) {
			char ip[64];
			long ms;
			json_t *fp;
			assert_int_equal(sscanf(s->floor, "%63[^=]=%ld", ip, &ms), 2);
			fp = probe_of(j, ip);
			assert_non_null(fp);
			assert_true(json_integer_value(json_object_get(json_object_get(fp, "times"),
			                                               "greeting_ms")) >= ms);
		}
		/* the transcript never carries a mail transaction */
		assert_null(strstr(r.out, "C: MAIL"));
		assert_null(strstr(r.out, "C: RCPT"));
		assert_null(strstr(r.out, "C: DATA"));
		assert_int_equal(r.status, s->exit_status);
		json_decref(j);
		hrun_free(&r);
	}
}

/* Every catalogue scenario, probes on, in one `check -f` run: where the mail
 * goes (the preference of delivered_to, -1 when no address accepts, -2 when
 * there is no walk at all) and how many attempts it takes. The list comes
 * from `lab --list`, so a new scenario without a row here fails. */
static void test_every_scenario_walk(void **state)
{
	const hlab *lab = *state;
	static const struct {
		const char *domain;
		int pref, steps;
	} want[] = {
	    {"preference.lab.test", 10, 1},
	    {"equal.lab.test", 10, 1},
	    {"implicit.lab.test", 0, 1},
	    {"null.lab.test", -2, 0},
	    {"null-mixed.lab.test", 10, 1},
	    {"cname.lab.test", 10, 1},
	    {"literal.lab.test", 20, 1},
	    {"dangling.lab.test", 20, 1},
	    {"duplicate.lab.test", 10, 1},
	    {"v6.lab.test", 10, 1},
	    {"many.lab.test", 10, 1},
	    {"relay.lab.test", 10, 1},
	    {"missing.nxdomain.lab.test", -2, 0},
	    {"single.lab.test", 10, 1},
	    {"noroute.lab.test", -2, 0},
	    {"primary-down.lab.test", 20, 2},
	    {"tier-down.lab.test", 20, 3},
	    {"tempfail.lab.test", 20, 2},
	    {"reject.lab.test", -1, 2},
	    {"tarpit.lab.test", 20, 2},
	    {"tls.lab.test", 10, 1},
	    {"hostile.lab.test", 10, 1},
	    {"blocklisted.lab.test", 10, 1},
	    {"backscatter.lab.test", 10, 1},
	    {"srv.lab.test", 10, 1},
	    {"greylist.lab.test", -1, 2},
	    {"reverse.lab.test", 10, 1},
	    {"v6down.lab.test", 10, 1},
	    {"dane.lab.test", 10, 1},
	    {"dane-stale.lab.test", 10, 1}, /* the opportunistic walk; dane: test_dane_lab */
	    {"dane-insecure.lab.test", 10, 1},
	    {"sts-enforce.lab.test", 20, 2},
	    {"sts-testing.lab.test", 10, 1},
	    {"rcpt-relay.lab.test", 10, 1},
	};
	const char *list[] = {"lab", "--list", NULL};
	char path[] = "/tmp/mxscope-all-XXXXXX";
	hargv args;
	size_t n = sizeof(want) / sizeof(want[0]), seen = 0;
	bool any_error = false;
	int fd = mkstemp(path);
	hrun r;

	assert_true(fd >= 0);
	h_run(list, NULL, 10000, &r);
	for (char *line = r.out; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char name[64], dom[128];
		if (sscanf(line, "%63s %127s", name, dom) != 2)
			continue;
		assert_true(write(fd, dom, strlen(dom)) > 0 && write(fd, "\n", 1) == 1);
	}
	close(fd);
	hrun_free(&r);
	h_run(h_lab_check(&args, lab, HA_PROBE, "--json", "--timeout", "4", "-f", path), NULL,
	      60000, &r);
	for (char *line = r.out; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		json_t *j = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL), *to;
		const char *d;
		size_t i;
		int pref;
		if (!j)
			continue;
		d = json_string_value(json_object_get(j, "domain"));
		for (i = 0; i < n && strcmp(want[i].domain, d) != 0; i++)
			;
		if (i == n)
			fail_msg("scenario domain %s has no row in test_every_scenario_walk", d);
		to = json_object_get(j, "delivered_to");
		pref = !to ? -2
		       : json_is_null(to)
		           ? -1
		           : (int)json_integer_value(json_object_get(to, "preference"));
		if (pref != want[i].pref ||
		    (int)json_array_size(json_object_get(j, "walk")) != want[i].steps)
			fail_msg("%s: delivered at %d in %zu steps, want %d in %d", d, pref,
			         json_array_size(json_object_get(j, "walk")), want[i].pref,
			         want[i].steps);
		/* one rule everywhere: the status word is the worst finding's
		 * severity (primary-down once said warning beside an error) */
		{
			const char *st = json_string_value(json_object_get(j, "status")),
			           *want_st = "ok";
			json_t *fs = json_object_get(j, "findings"), *f;
			size_t k;
			json_array_foreach(fs, k, f)
			{
				const char *sev = json_string_value(json_object_get(f, "severity"));
				if (strcmp(sev, "error") == 0)
					want_st = "error";
				else if (strcmp(sev, "warning") == 0 &&
				         strcmp(want_st, "error") != 0)
					want_st = "warning";
			}
			any_error |= strcmp(want_st, "error") == 0;
			if (strcmp(st, want_st) != 0 && strcmp(st, "no mail") != 0)
				fail_msg("%s: status %s, but its worst finding says %s", d, st,
				         want_st);
		}
		seen++;
		json_decref(j);
	}
	assert_int_equal(seen, n);
	/* and the exit status says the same: 1 when some finding is an error */
	assert_int_equal(r.status, any_error ? 1 : 0);
	hrun_free(&r);
	unlink(path);
}

/* Details of single probes: times, TLS against the MX name, EHLO. */
static void test_probe_details(void **state)
{
	const hlab *lab = *state;
	hrun r;
	json_t *j = probe_json_run(lab, "tls.lab.test", "2", &r), *p;

	/* (the slow host's time: test_probe_scenarios, tarpit.lab.test's floor) */
	p = probe_of(j, "127.0.21.1");
	assert_true(json_is_true(json_object_get(json_object_get(p, "tls"), "verified")));
	assert_non_null(
	    strstr(json_string_value(json_object_get(json_object_get(p, "tls"), "subject")),
	           "good.tls.lab.test"));
	assert_non_null(strstr(json_string_value(json_object_get(p, "transcript")), "C: QUIT"));
	p = probe_of(j, "127.0.21.2");
	assert_non_null(
	    strstr(json_string_value(json_object_get(json_object_get(p, "tls"), "verify_error")),
	           "expired"));
	{
		/* the certificate is shown although it does not verify */
		json_t *tls = json_object_get(p, "tls"), *chain = json_object_get(tls, "chain");
		const char *na = json_string_value(json_object_get(tls, "not_after"));
		assert_true(json_is_true(json_object_get(tls, "done")));
		assert_non_null(strstr(json_string_value(json_object_get(tls, "subject")),
		                       "expired.tls.lab.test"));
		assert_non_null(json_string_value(json_object_get(tls, "issuer")));
		assert_string_equal(
		    json_string_value(json_array_get(json_object_get(tls, "san"), 0)),
		    "expired.tls.lab.test");
		assert_non_null(na);
		assert_int_equal(strlen(na), 20); /* 2026-10-30T13:16:38Z */
		assert_int_equal(na[10], 'T');
		assert_int_equal(na[19], 'Z');
		assert_int_equal(strlen(json_string_value(json_object_get(tls, "spki_sha256"))),
		                 64);
		assert_int_equal(strlen(json_string_value(json_object_get(tls, "cert_sha256"))),
		                 64);
		assert_true(json_array_size(chain) >= 1);
		assert_string_equal(
		    json_string_value(json_object_get(json_array_get(chain, 0), "cert_sha256")),
		    json_string_value(json_object_get(tls, "cert_sha256")));
	}
	p = probe_of(j, "127.0.21.5");
	assert_true(json_is_false(json_object_get(json_object_get(p, "tls"), "offered")));
	json_decref(j);
	hrun_free(&r);
}

/* Hostile servers: bounded memory and time, nothing raw on the terminal. */
static void test_probe_hostile(void **state)
{
	const hlab *lab = *state;
	hargv args;
	hrun r;
	json_t *j = probe_json_run(lab, "hostile.lab.test", "2", &r), *p;

	p = probe_of(j, "127.0.22.1"); /* escape: kept raw in JSON, escaped by jansson */
	assert_non_null(strstr(json_string_value(json_object_get(p, "greeting")), "\x1b[2J"));
	assert_non_null(strstr(r.out, "\\u001B[2J")); /* jansson's escape */
	/* long-line never ends a line, so nothing is kept; mega's megabyte is cut */
	for (size_t i = 0; i < 2; i++) {
		const char *ip = i ? "127.0.22.6" : "127.0.22.3", *t;
		p = probe_of(j, ip);
		assert_string_equal(json_string_value(json_object_get(p, "state")), "garbage");
		t = json_string_value(json_object_get(p, "transcript"));
		assert_true(!t || strlen(t) <= PROBE_TRANSCRIPT_MAX);
	}
	assert_true(json_is_true(json_object_get(probe_of(j, "127.0.22.6"), "transcript_cut")));
	/* drop greets with 220 and hangs up at EHLO: dropped, and a finding
	 * says so (it was "accepted" with no finding) */
	p = probe_of(j, "127.0.22.5");
	assert_string_equal(json_string_value(json_object_get(p, "state")), "dropped");
	assert_non_null(strstr(r.out, "\"subject\":\"127.0.22.5\""));
	assert_true(r.maxrss_kb < 64 * 1024);
	json_decref(j);
	hrun_free(&r);

	h_run(h_lab_check(&args, lab, HA_PROBE, "--ascii", "--timeout", "2", "hostile.lab.test"),
	      NULL, 30000, &r);
	assert_non_null(strstr(r.out, "greets as other.invalid"));
	for (const char *c = r.out; *c; c++)
		assert_true((unsigned char)*c >= 0x20 || *c == '\n');
	assert_non_null(strstr(r.out, "\\x1b[2J"));
	assert_true(r.maxrss_kb < 64 * 1024);
	hrun_free(&r);
}

/* A reader that goes away (| head -1) ends the run at once and quietly,
 * with nothing leaked (the ASan build checks) though probes were running. */
static void test_reader_goes_away(void **state)
{
	const hlab *lab = *state;
	hargv args;
	int in_w, out_r, err_r, st;
	char buf[4096], err[4096] = "";
	pid_t pid =
	    h_spawn(h_lab_check(&args, lab, HA_PROBE, "--json", "--timeout", "3", "-f", "-"), &in_w,
	            &out_r, &err_r);
	struct pollfd p = {.fd = out_r, .events = POLLIN};
	ssize_t n;

	for (int i = 0; i < 60; i++) {
		const char *d = i % 3 == 0   ? "single.lab.test\n"
		                : i % 3 == 1 ? "tier-down.lab.test\n"
		                             : "equal.lab.test\n";
		assert_true(write(in_w, d, strlen(d)) > 0);
	}
	close(in_w);
	assert_int_equal(poll(&p, 1, 10000), 1);
	assert_true(read(out_r, buf, sizeof(buf)) > 0);
	close(out_r);
	assert_int_equal(h_wait(pid, &st), pid);
	n = read(err_r, err, sizeof(err) - 1);
	err[n > 0 ? n : 0] = '\0';
	close(err_r);
	if (!WIFEXITED(st) || WEXITSTATUS(st) > 1 || err[0]) {
		print_error("status 0x%x, stderr \"%s\"\n", st, err);
		fail();
	}
}

/* --max-probes N: never more than N probe connections at once. The four
 * hosts are this test's own listeners, which accept and never greet, so
 * every probe hangs until --timeout and one probe too many would show as a
 * third connection open at the same time. */
static void test_max_probes(void **state)
{
	static const char zone[] = "$SCENARIO mp\n$TITLE max probes\n$DOMAIN mp.test.\n"
	                           "$ORIGIN mp.test.\n$TTL 30\n"
	                           "@ MX 10 h1\n@ MX 10 h2\n@ MX 20 h3\n@ MX 20 h4\n"
	                           "h1 A 127.0.73.1\nh2 A 127.0.73.2\nh3 A 127.0.73.3\n"
	                           "h4 A 127.0.73.4\n";
	char dir[] = "/tmp/mxscope-mp-XXXXXX", path[300], port[16];
	int ls[4], conn[16], nconn = 0, peak = 0, open_now = 0, accepted = 0, st = 0;
	int in_w, out_r, err_r;
	siginfo_t info = {0};
	const char *extra[] = {path, NULL};
	hlab lab2;
	hargv a = {0};
	pid_t pid;
	long deadline;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mp.zone", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(zone, f);
	fclose(f);
	h_lab_start(&lab2, extra);
	for (int i = 0; i < 4; i++) {
		struct sockaddr_in sa = {.sin_family = AF_INET};
		socklen_t sl = sizeof(sa);
		char ip[32];
		int one = 1;
		snprintf(ip, sizeof(ip), "127.0.73.%d", i + 1);
		inet_pton(AF_INET, ip, &sa.sin_addr);
		sa.sin_port = i ? htons((uint16_t)atoi(port)) : 0;
		ls[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		assert_true(ls[i] >= 0);
		setsockopt(ls[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		assert_int_equal(bind(ls[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(listen(ls[i], 16), 0);
		if (!i) {
			assert_int_equal(getsockname(ls[0], (struct sockaddr *)&sa, &sl), 0);
			snprintf(port, sizeof(port), "%d", ntohs(sa.sin_port));
		}
	}
	pid = h_spawn(h_lab_check(&a, &lab2, 0, "--smtp-port", port, "--timeout", "1",
	                          "--max-probes", "2", "--json", "mp.test"),
	              &in_w, &out_r, &err_r);
	deadline = h_now_ms() + 20000;
	/* WNOWAIT: it stays for h_wait to reap (and the harness to forget) */
	while (h_now_ms() < deadline &&
	       waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && !info.si_pid) {
		struct pollfd p[20];
		int n = 0;
		for (int i = 0; i < 4; i++)
			p[n++] = (struct pollfd){.fd = ls[i], .events = POLLIN};
		for (int i = 0; i < nconn; i++)
			p[n++] = (struct pollfd){.fd = conn[i], .events = POLLIN};
		if (poll(p, (nfds_t)n, 50) <= 0)
			continue;
		/* hang-ups first: the prober closes one before it opens the next */
		for (int i = 4; i < n; i++) {
			char b[256];
			/* the prober hung up (its timeout): that connection is done */
			if ((p[i].revents & (POLLIN | POLLHUP)) &&
			    read(p[i].fd, b, sizeof(b)) <= 0) {
				for (int k = 0; k < nconn; k++)
					if (conn[k] == p[i].fd)
						conn[k] = -1;
				close(p[i].fd);
				open_now--;
			}
		}
		for (int i = 0; i < 4; i++)
			if ((p[i].revents & POLLIN) && nconn < 16) {
				int c = accept4(ls[i], NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
				if (c < 0)
					continue;
				conn[nconn++] = c;
				accepted++;
				if (++open_now > peak)
					peak = open_now;
			}
		for (int k = 0; k < nconn;) /* drop the closed ones */
			if (conn[k] < 0)
				conn[k] = conn[--nconn];
			else
				k++;
	}
	assert_true(info.si_pid == pid); /* it ended before the deadline */
	h_wait(pid, &st);
	assert_true(WIFEXITED(st));
	close(in_w);
	close(out_r);
	close(err_r);
	for (int i = 0; i < nconn; i++)
		close(conn[i]);
	for (int i = 0; i < 4; i++)
		close(ls[i]);
	h_lab_stop(&lab2);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
	assert_int_equal(accepted, 4); /* every host was probed, */
	assert_int_equal(peak, 2);     /* never more than two at once */
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_probe_scenarios),  cmocka_unit_test(test_every_scenario_walk),
	    cmocka_unit_test(test_probe_details),    cmocka_unit_test(test_probe_hostile),
	    cmocka_unit_test(test_reader_goes_away), cmocka_unit_test(test_max_probes),
	};
	return h_run_group(argc, argv, "check_probe", tests, sizeof(tests) / sizeof(tests[0]),
	                   h_lab_group_setup, h_lab_group_teardown);
}
