/* tests/test_core_ev.c — the evidence parsers (core/ev.h) on the real
 * corpus in tests/data/evidence/ (made by its regen.sh: Debian's Postfix
 * delivering to the lab) and on hand-written lines of the kinds the corpus
 * cannot hold (Exim, damaged lines). `--print FILE` dumps a file's items. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ev.h"

#define MAXI 256

typedef struct got {
	ev_item items[MAXI];
	size_t n;
} got;

static void collect(const ev_item *it, void *arg)
{
	got *g = arg;
	if (g->n < MAXI)
		g->items[g->n++] = *it;
}

static char *data_path(const char *name)
{
	static char buf[1024];
	const char *src = getenv("MXSCOPE_SRCDIR");
	snprintf(buf, sizeof(buf), "%s/tests/data/evidence/%s", src ? src : ".", name);
	return buf;
}

/* reads path through a reader in chunks of step bytes */
static ev_reader *read_file(const char *path, size_t step, got *g)
{
	FILE *f = fopen(path, "rb");
	char buf[4096];
	size_t n;
	ev_reader *r;
	char *why = NULL;

	assert_non_null(f);
	r = ev_reader_new(strrchr(path, '/') ? strrchr(path, '/') + 1 : path, EV_UNKNOWN, collect,
	                  g);
	assert_non_null(r);
	if (step > sizeof(buf))
		step = sizeof(buf);
	while ((n = fread(buf, 1, step, f)) > 0)
		assert_int_equal(ev_reader_feed(r, buf, n), MXS_OK);
	fclose(f);
	if (ev_reader_finish(r, &why) != MXS_OK)
		fail_msg("%s", why);
	return r;
}

static const ev_item *find(const got *g, const char *domain, const char *ip, ev_phase ph)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->items[i].domain, domain) == 0 &&
		    (!ip || strcmp(g->items[i].ip, ip) == 0) && g->items[i].phase == ph)
			return &g->items[i];
	return NULL;
}

static void print_items(const char *path)
{
	static got g;
	ev_reader *r = read_file(path, 4096, &g);
	const unsigned long *first;
	size_t nf;

	for (size_t i = 0; i < g.n; i++) {
		const ev_item *it = &g.items[i];
		printf(
		    "%s when=%s qid=%s rcpt=%s dom=%s mx=%s ip=%s port=%d phase=%s st=%s code=%d "
		    "dsn=%s pol=%s n=%lu text=%s\n",
		    it->source, it->when, it->queue_id, it->recipient, it->domain, it->mx_host,
		    it->ip, it->port, ev_phase_name(it->phase) ? ev_phase_name(it->phase) : "-",
		    it->status, it->code, it->dsn,
		    ev_policy_name(it->policy) ? ev_policy_name(it->policy) : "-", it->count,
		    it->text);
	}
	printf("kind=%s lines=%lu bad=%lu\n", ev_kind_name(ev_reader_kind(r)), ev_reader_lines(r),
	       ev_reader_bad(r, &first, &nf));
	ev_reader_free(r);
}

static got g; /* large: off the stack */

static void test_maillog(void **state)
{
	const ev_item *it;
	ev_reader *r;
	const unsigned long *first;
	size_t nf;
	(void)state;

	memset(&g, 0, sizeof(g));
	r = read_file(data_path("postfix-maillog"), 4096, &g);
	assert_int_equal(ev_reader_kind(r), EV_POSTFIX);
	assert_int_equal(ev_reader_bad(r, &first, &nf), 0);
	/* "connect to" has no queue id: its pid's status line names the recipient */
	it = find(&g, "primary-down.lab.test", "127.0.16.1", EV_PH_CONNECT);
	assert_non_null(it);
	assert_string_equal(it->mx_host, "mx1.primary-down.lab.test");
	assert_int_equal(it->port, 25);
	assert_string_equal(it->recipient, "bob@primary-down.lab.test");
	assert_string_equal(it->text, "Connection refused");
	assert_true(it->queue_id[0]);
	/* the backup took it and the lab refused DATA: a bounce at data */
	it = find(&g, "primary-down.lab.test", "127.0.16.2", EV_PH_DATA);
	assert_non_null(it);
	assert_string_equal(it->status, "bounced");
	assert_int_equal(it->code, 502);
	assert_string_equal(it->dsn, "5.5.1");
	it = find(&g, "tempfail.lab.test", "127.0.18.1", EV_PH_GREETING);
	assert_non_null(it);
	assert_int_equal(it->code, 421);
	assert_string_equal(it->dsn, "4.3.2");
	it = find(&g, "tier-down.lab.test", "127.0.17.2", EV_PH_GREETING);
	assert_non_null(it);
	assert_non_null(strstr(it->text, "timed out"));
	it = find(&g, "greylist.lab.test", "127.0.52.2", EV_PH_GREETING);
	assert_non_null(it);
	assert_string_equal(it->status, "deferred");
	/* DANE: the verification line names host and reason; Postfix's
	 * "Server certificate not verified" after it is the same failure */
	it = find(&g, "dane-stale.lab.test", "127.0.71.1", EV_PH_TLS_POLICY);
	assert_non_null(it);
	assert_int_equal(it->policy, EV_POL_DANE);
	assert_null(find(&g, "dane-stale.lab.test", "", EV_PH_TLS_POLICY));
	it = find(&g, "missing.nxdomain.lab.test", NULL, EV_PH_DNS);
	assert_non_null(it);
	assert_string_equal(it->status, "bounced");
	assert_non_null(find(&g, "null.lab.test", NULL, EV_PH_DNS));
	/* "from=<>, status=expired" names no recipient: the status lines did */
	it = NULL;
	for (size_t i = 0; i < g.n; i++)
		if (strcmp(g.items[i].status, "expired") == 0)
			it = &g.items[i];
	assert_non_null(it);
	assert_true(it->domain[0]);
	ev_reader_free(r);
}

/* the same items whatever the chunks: a line split anywhere is one line */
static void test_chunks(void **state)
{
	static got g2;
	ev_reader *r;
	(void)state;

	memset(&g, 0, sizeof(g));
	ev_reader_free(read_file(data_path("postfix-maillog"), 4096, &g));
	for (size_t step = 1; step < 40; step += 13) {
		memset(&g2, 0, sizeof(g2));
		r = read_file(data_path("postfix-maillog"), step, &g2);
		assert_int_equal(g2.n, g.n);
		for (size_t i = 0; i < g.n; i++)
			assert_memory_equal(&g.items[i], &g2.items[i], sizeof(ev_item));
		ev_reader_free(r);
	}
}

static void test_queue(void **state)
{
	const ev_item *it;
	ev_reader *r;
	(void)state;

	memset(&g, 0, sizeof(g));
	r = read_file(data_path("postfix-postqueue.json"), 100, &g);
	assert_int_equal(ev_reader_kind(r), EV_POSTQUEUE);
	assert_int_equal(g.n, 2);
	it = find(&g, "greylist.lab.test", "127.0.52.2", EV_PH_GREETING);
	assert_non_null(it);
	assert_int_equal(it->code, 421);
	assert_string_equal(it->status, "deferred");
	assert_string_equal(it->when + 10, "T00:15:39Z");
	ev_reader_free(r);

	memset(&g, 0, sizeof(g));
	r = read_file(data_path("postfix-mailq.txt"), 3, &g);
	assert_int_equal(ev_reader_kind(r), EV_MAILQ);
	assert_int_equal(ev_reader_bad(r, NULL, NULL), 0);
	assert_int_equal(g.n, 2);
	it = find(&g, "reject.lab.test", "127.0.19.2", EV_PH_GREETING);
	assert_non_null(it);
	assert_int_equal(it->code, 554);
	assert_string_equal(it->recipient, "bob@reject.lab.test");
	assert_true(it->queue_id[0]);
	ev_reader_free(r);
}

static void test_dsn(void **state)
{
	const ev_item *it;
	ev_reader *r;
	size_t bounced = 0;
	(void)state;

	memset(&g, 0, sizeof(g));
	r = read_file(data_path("postfix-bounces.mbox"), 512, &g);
	assert_int_equal(ev_reader_kind(r), EV_DSN);
	for (size_t i = 0; i < g.n; i++)
		bounced += strcmp(g.items[i].status, "bounced") == 0;
	/* one recipient per bounce Postfix sent back */
	assert_int_equal(bounced, g.n);
	assert_true(g.n >= 10);
	/* Remote-MTA names the host; the human part its address and the phase */
	it = find(&g, "primary-down.lab.test", "127.0.16.2", EV_PH_DATA);
	assert_non_null(it);
	assert_string_equal(it->mx_host, "mx2.primary-down.lab.test");
	assert_int_equal(it->code, 502);
	assert_string_equal(it->dsn, "5.5.1");
	assert_true(it->queue_id[0]);
	it = find(&g, "missing.nxdomain.lab.test", NULL, EV_PH_DNS);
	assert_non_null(it);
	it = find(&g, "greylist.lab.test", "127.0.52.2", EV_PH_GREETING);
	assert_non_null(it);
	assert_int_equal(it->code, 421);
	ev_reader_free(r);
}

static void test_tlsrpt(void **state)
{
	const ev_item *it;
	ev_reader *r;
	(void)state;

	memset(&g, 0, sizeof(g));
	r = read_file(data_path("tlsrpt-dane-stale.json"), 64, &g);
	assert_int_equal(ev_reader_kind(r), EV_TLSRPT);
	assert_int_equal(g.n, 1);
	it = &g.items[0];
	assert_string_equal(it->domain, "dane-stale.lab.test");
	assert_string_equal(it->mx_host, "mx1.dane-stale.lab.test");
	assert_string_equal(it->ip, "127.0.71.1");
	assert_int_equal(it->phase, EV_PH_TLS_POLICY);
	assert_int_equal(it->policy, EV_POL_DANE);
	assert_int_equal(it->count, 58);
	/* what the sender matched against, for a changed verdict */
	assert_string_equal(
	    it->tlsa, "3 1 1 0a86f1015b658307045bcd655713725c31da7ca71e969d050dadecb045587034");
	assert_string_equal(it->source, "tlsrpt-dane-stale.json#policies[0].failure-details[0]");
	ev_reader_free(r);
}

static ev_reader *read_text(const char *text, got *gg)
{
	ev_reader *r = ev_reader_new("t", EV_UNKNOWN, collect, gg);
	char *why = NULL;

	assert_non_null(r);
	assert_int_equal(ev_reader_feed(r, text, strlen(text)), MXS_OK);
	ev_reader_finish(r, &why);
	free(why);
	return r;
}

/* Exim's mainlog, as its spec writes the lines (no Exim on this machine:
 * Debian's exim4 and postfix exclude each other) */
static void test_exim(void **state)
{
	const ev_item *it;
	ev_reader *r;
	(void)state;

	memset(&g, 0, sizeof(g));
	r = read_text(
	    "2026-12-08 09:12:01 1tKb2c-000Abc-1x <= alice@sender.test U=alice P=local S=512\n"
	    "2026-12-08 09:12:02 1tKb2c-000Abc-1x H=mx1.example.test [127.0.0.10] Connection "
	    "refused\n"
	    "2026-12-08 09:12:02 1tKb2c-000Abc-1x == bob@example.test R=dnslookup T=remote_smtp "
	    "defer (111): Connection refused\n"
	    "2026-12-08 09:13:00 1tKb2d-000Abd-2y ** carol@example.test R=dnslookup "
	    "T=remote_smtp H=mx2.example.test [127.0.0.11]: SMTP error from remote mail server "
	    "after RCPT TO:<carol@example.test>: 550 5.1.1 <carol@example.test>: unknown user\n"
	    "2026-12-08 09:14:00 1tKb2e-000Abe-3z == dan@example.test R=dnslookup T=remote_smtp "
	    "defer (-44) H=mx1.example.test [127.0.0.10]: SMTP error from remote mail server "
	    "after initial connection: 421 4.3.2 try later\n"
	    "2026-12-08 09:15:00 1tKb2f-000Abf-4a => erin@example.test R=dnslookup T=remote_smtp "
	    "H=mx2.example.test [127.0.0.11] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 C=\"250 OK\"\n"
	    "2026-12-08 09:15:01 1tKb2f-000Abf-4a Completed\n",
	    &g);
	assert_int_equal(ev_reader_kind(r), EV_EXIM);
	assert_int_equal(ev_reader_bad(r, NULL, NULL), 0);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.items[0].recipient, "bob@example.test");
	assert_string_equal(g.items[0].status, "deferred");
	assert_int_equal(g.items[0].phase, EV_PH_CONNECT);
	it = find(&g, "example.test", "127.0.0.11", EV_PH_RCPT);
	assert_non_null(it);
	assert_string_equal(it->status, "bounced");
	assert_string_equal(it->mx_host, "mx2.example.test");
	assert_int_equal(it->code, 550);
	assert_string_equal(it->dsn, "5.1.1");
	it = find(&g, "example.test", "127.0.0.10", EV_PH_GREETING);
	assert_non_null(it);
	assert_int_equal(it->code, 421);
	assert_string_equal(g.items[3].status, "delivered");
	ev_reader_free(r);
}

/* junk between real lines is counted with its line numbers, never fatal */
static void test_damaged(void **state)
{
	static char big[EV_LINE_MAX + 100];
	const unsigned long *first;
	size_t nf;
	ev_reader *r;
	char *text;
	(void)state;

	memset(&g, 0, sizeof(g));
	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	text = malloc(sizeof(big) + 1024);
	assert_non_null(text);
	snprintf(text, sizeof(big) + 1024,
	         "Dec  8 00:12:47 h postfix/smtp[7]: connect to mx1.x.test[127.0.0.3]:25: "
	         "Connection refused\n"
	         "garbage \x01\x02 here\n"
	         "Dec  8 00:12:47 h postfix/smtp[7]: ABCDEF123: to=<a@x.test>, relay=none, "
	         "delay=1, dsn=4.4.1, status=deferred (connect to mx1.x.test[127.0.0.3]:25: "
	         "Connection refused)\n"
	         "Dec  8 00:12:47 h postfix/smtp[7]: ABCDEF124: to=<a@x.test>, status=deferred (\n"
	         "%s"
	         "another bad line\n",
	         big);
	r = read_text(text, &g);
	assert_int_equal(ev_reader_bad(r, &first, &nf), 3);
	assert_int_equal(nf, 3);
	assert_int_equal(first[0], 2);
	assert_int_equal(first[1], 5);
	assert_int_equal(first[2], 6);
	/* the connect line got its recipient; the cut status line still counts */
	assert_true(g.n >= 2);
	assert_string_equal(g.items[0].recipient, "a@x.test");
	assert_int_equal(g.items[0].phase, EV_PH_CONNECT);
	ev_reader_free(r);
	free(text);
}

/* "connect to" lines whose status line never comes: they go out as they
 * are once EV_PENDING_MAX wait, so memory stays flat */
static void test_pending_bound(void **state)
{
	static got many;
	ev_reader *r = ev_reader_new("t", EV_POSTFIX, collect, &many);
	char line[200];
	char *why = NULL;
	(void)state;

	memset(&many, 0, sizeof(many));
	assert_non_null(r);
	for (int i = 0; i < 200; i++) {
		int n = snprintf(
		    line, sizeof(line),
		    "Dec  8 00:12:47 h postfix/smtp[%d]: connect to mx.x.test[127.0.0.%d]:25: "
		    "Connection refused\n",
		    1000 + i, i % 250 + 1);
		ev_reader_feed(r, line, (size_t)n);
		if (i == EV_PENDING_MAX + 9)
			assert_int_equal(ev_reader_items(r), 10);
	}
	assert_int_equal(ev_reader_finish(r, &why), MXS_OK);
	assert_int_equal(ev_reader_items(r), 200);
	assert_string_equal(many.items[0].ip, "127.0.0.1");
	assert_string_equal(many.items[0].recipient, "");
	ev_reader_free(r);
}

/* a delay notification (Action: delayed), as an .eml: CRLF lines, a
 * Diagnostic-Code continued on the next line, Exim's Remote-MTA form */
static void test_dsn_delayed(void **state)
{
	ev_reader *r;
	(void)state;

	memset(&g, 0, sizeof(g));
	r = read_text("Return-Path: <>\r\n"
	              "From: Mail Delivery System <MAILER-DAEMON@relay.test>\r\n"
	              "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	              "\tboundary=\"b1\"\r\n"
	              "\r\n"
	              "--b1\r\n"
	              "Content-Type: text/plain\r\n"
	              "\r\n"
	              "Delivery to the following recipient has been delayed:\r\n"
	              "\r\n"
	              "--b1\r\n"
	              "Content-Type: message/delivery-status\r\n"
	              "\r\n"
	              "Reporting-MTA: dns; relay.test\r\n"
	              "\r\n"
	              "Final-Recipient: rfc822; Dana@Example.TEST\r\n"
	              "Action: delayed\r\n"
	              "Status: 4.4.1\r\n"
	              "Remote-MTA: dns; mx1.example.test [127.0.0.12]\r\n"
	              "Diagnostic-Code: smtp; 451 4.4.1 mailbox busy,\r\n"
	              "  try again later\r\n"
	              "Last-Attempt-Date: Tue, 8 Dec 2026 09:00:00 +0000\r\n"
	              "\r\n"
	              "--b1--\r\n",
	              &g);
	assert_int_equal(ev_reader_kind(r), EV_DSN);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.items[0].status, "deferred");
	assert_string_equal(g.items[0].domain, "example.test");
	assert_string_equal(g.items[0].mx_host, "mx1.example.test");
	assert_string_equal(g.items[0].ip, "127.0.0.12");
	assert_int_equal(g.items[0].code, 451);
	assert_string_equal(g.items[0].dsn, "4.4.1");
	assert_string_equal(g.items[0].text, "mailbox busy, try again later");
	assert_string_equal(g.items[0].when, "Tue, 8 Dec 2026 09:00:00 +0000");
	ev_reader_free(r);
}

static void test_tlsrpt_bad(void **state)
{
	ev_reader *r = ev_reader_new("r.json", EV_UNKNOWN, collect, &g);
	char *why = NULL;
	(void)state;

	assert_non_null(r);
	ev_reader_feed(r, "{\"policies\": 3}\n", 16);
	assert_int_equal(ev_reader_finish(r, &why), MXS_ERR_INVALID);
	assert_non_null(strstr(why, "r.json"));
	free(why);
	ev_reader_free(r);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_maillog),    cmocka_unit_test(test_chunks),
	    cmocka_unit_test(test_queue),      cmocka_unit_test(test_dsn),
	    cmocka_unit_test(test_tlsrpt),     cmocka_unit_test(test_exim),
	    cmocka_unit_test(test_damaged),    cmocka_unit_test(test_pending_bound),
	    cmocka_unit_test(test_tlsrpt_bad), cmocka_unit_test(test_dsn_delayed),
	};

	if (argc == 3 && strcmp(argv[1], "--print") == 0) {
		print_items(argv[2]);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
