/* tests/test_net_auth.c — net/auth.c and the scan's PTR and authoritative
 * stages against the real lab DNS server in this process, on loopback: the
 * reverse DNS of present, missing and unconfirmed addresses; many requests
 * at once (the in-flight bound queues them, none is lost); a zone found by
 * walking up from a name below its apex; cancel and free with questions on
 * the wire (no callback, nothing leaked: run under ASan); the scan settling
 * only when both stages are in, and a removal while they are out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "lab.h"
#include "scan.h"

static const char zone[] = "$ORIGIN z.test.\n"
                           "$TTL 60\n"
                           "$SCENARIO net-auth-test\n"
                           "$TITLE names for tests/test_net_auth.c\n"
                           "$DOMAIN z.test.\n"
                           "@ SOA ns hostmaster 77 3600 600 86400 30\n"
                           "@ NS ns\n"
                           "@ MX 10 mx1\n"
                           "@ MX 20 mx2\n"
                           "ns A 127.0.0.1\n"
                           "mx1 A 127.0.62.1\n"
                           "mx2 A 127.0.62.2\n"
                           "www A 127.0.62.9\n"
                           "$ORIGIN 62.0.127.in-addr.arpa.\n"
                           "@ SOA ns.z.test. hostmaster.z.test. 1 3600 600 86400 30\n"
                           "1 PTR mx1.z.test.\n"
                           "2 PTR nowhere.z.test.\n";

typedef struct fixture {
	uv_loop_t loop;
	lab_world *w;
	lab_dns *dns;
	char server[40];
	int port;
	auth_client *c;
	/* results */
	size_t nptr, nzone;
	mx_ptr *ptr[256];
	char ptr_ip[256][48];
	mx_auth *zone;
	/* the scan */
	scan *s;
	unsigned changes;
	size_t settled;
	bool saw_ptr, saw_auth;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	const char *servers[1];
	auth_config ac;
	char *why = NULL;

	assert_non_null(f);
	assert_int_equal(scan_global_init(&why), MXS_OK);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->w = lab_world_new();
	if (lab_world_load_string(f->w, "test:net-auth", zone, &why) != MXS_OK) {
		print_error("zone: %s\n", why);
		fail();
	}
	f->dns = lab_dns_new(&f->loop, f->w, "127.0.0.1", 0, &why);
	assert_non_null(f->dns);
	f->port = lab_dns_port(f->dns);
	snprintf(f->server, sizeof(f->server), "127.0.0.1:%d", f->port);
	servers[0] = f->server;
	ac = (auth_config){
	    .servers = servers, .nservers = 1, .timeout_ms = 2000, .ns_port = f->port};
	f->c = auth_client_new(&f->loop, &ac, &why);
	assert_non_null(f->c);
	*state = f;
	return 0;
}

static void on_close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static int teardown(void **state)
{
	fixture *f = *state;

	scan_free(f->s);
	auth_client_free(f->c);
	lab_dns_close(f->dns);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	uv_walk(&f->loop, on_close_walk, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	lab_world_free(f->w);
	for (size_t i = 0; i < f->nptr; i++)
		mx_ptr_free(f->ptr[i]);
	mx_auth_free(f->zone);
	scan_global_cleanup();
	free(f);
	return 0;
}

static void on_ptr(const char *ip, mx_ptr *p, void *arg)
{
	fixture *f = arg;

	assert_true(f->nptr < 256);
	snprintf(f->ptr_ip[f->nptr], sizeof(f->ptr_ip[0]), "%s", ip);
	f->ptr[f->nptr++] = p;
}

static void on_zone(const char *domain, mx_auth *a, void *arg)
{
	fixture *f = arg;

	(void)domain;
	mx_auth_free(f->zone);
	f->zone = a;
	f->nzone++;
}

static void run_until(fixture *f, bool (*done)(fixture *))
{
	for (int i = 0; i < 100000 && !done(f); i++)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_true(done(f));
}

static bool idle(fixture *f)
{
	return auth_busy(f->c) == 0;
}

static const mx_ptr *ptr_of(fixture *f, const char *ip)
{
	for (size_t i = 0; i < f->nptr; i++)
		if (strcmp(f->ptr_ip[i], ip) == 0)
			return f->ptr[i];
	return NULL;
}

static void test_ptr(void **state)
{
	fixture *f = *state;
	const mx_ptr *p;

	assert_int_equal(auth_ptr(f->c, "127.0.62.1", on_ptr, f), MXS_OK);
	assert_int_equal(auth_ptr(f->c, "127.0.62.2", on_ptr, f), MXS_OK);
	assert_int_equal(auth_ptr(f->c, "127.0.62.3", on_ptr, f), MXS_OK);
	assert_int_equal(auth_ptr(f->c, "not-an-ip", on_ptr, f), MXS_ERR_INVALID);
	assert_int_equal(f->nptr, 0); /* never from inside the call */
	run_until(f, idle);
	assert_int_equal(f->nptr, 3);
	p = ptr_of(f, "127.0.62.1");
	assert_non_null(p);
	assert_int_equal(p->nnames, 1);
	assert_string_equal(p->names[0], "mx1.z.test");
	assert_true(p->forward_confirmed);
	p = ptr_of(f, "127.0.62.2");
	assert_string_equal(p->names[0], "nowhere.z.test");
	assert_false(p->forward_confirmed);
	p = ptr_of(f, "127.0.62.3");
	assert_int_equal(p->nnames, 0);
	assert_int_equal(p->rc, MX_RC_NXDOMAIN);
}

/* More requests than may be on the wire: they wait, and every one ends. */
static void test_many(void **state)
{
	fixture *f = *state;
	char ip[32];

	for (int i = 0; i < 200; i++) {
		snprintf(ip, sizeof(ip), "127.0.62.%d", i + 1);
		assert_int_equal(auth_ptr(f->c, ip, on_ptr, f), MXS_OK);
	}
	run_until(f, idle);
	assert_int_equal(f->nptr, 200);
	assert_true(ptr_of(f, "127.0.62.1")->forward_confirmed);
	assert_int_equal(ptr_of(f, "127.0.62.200")->rc, MX_RC_NXDOMAIN);
}

static void test_zone_walk(void **state)
{
	fixture *f = *state;
	const mx_auth_server *s;

	/* www.z.test has no NS: the zone is z.test, one level up */
	assert_int_equal(auth_zone(f->c, "www.z.test", on_zone, f), MXS_OK);
	run_until(f, idle);
	assert_int_equal(f->nzone, 1);
	assert_string_equal(f->zone->zone, "z.test");
	assert_int_equal(f->zone->ns_rc, MX_RC_OK);
	assert_int_equal(f->zone->nsrv, 1);
	s = &f->zone->srv[0];
	assert_string_equal(s->ns, "ns.z.test");
	assert_string_equal(s->ip, "127.0.0.1");
	assert_true(s->aa);
	assert_true(s->has_serial);
	assert_int_equal(s->serial, 77);
	/* www has no MX: asked directly, the server says so */
	assert_int_equal(s->mx_rc, MX_RC_NODATA);
	assert_int_equal(f->zone->resolver_rc, MX_RC_NODATA);

	assert_int_equal(auth_zone(f->c, "z.test", on_zone, f), MXS_OK);
	run_until(f, idle);
	assert_int_equal(f->zone->srv[0].nmx, 2);
	assert_string_equal(f->zone->srv[0].mx[0], "10 mx1.z.test");
	assert_string_equal(f->zone->srv[0].mx[1], "20 mx2.z.test");
	assert_int_equal(f->zone->nresolver_mx, 2);
	assert_int_equal(f->zone->resolver_ttl, 60);
}

static void on_other(const char *ip, mx_ptr *p, void *arg)
{
	(void)ip;
	(*(int *)arg)++;
	mx_ptr_free(p);
}

static void test_cancel_and_free(void **state)
{
	fixture *f = *state;
	int other = 0;

	assert_int_equal(auth_ptr(f->c, "127.0.62.1", on_ptr, f), MXS_OK);
	assert_int_equal(auth_zone(f->c, "z.test", on_zone, f), MXS_OK);
	assert_int_equal(auth_ptr(f->c, "127.0.62.2", on_other, &other), MXS_OK);
	auth_cancel(f->c, f);
	run_until(f, idle);
	assert_int_equal(f->nzone, 0);
	assert_int_equal(f->nptr, 0);
	/* the request of another arg was not cancelled: it called back */
	assert_int_equal(other, 1);
	/* freed with questions on the wire and in the queue: no callback */
	for (int i = 0; i < 100; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "127.0.62.%d", i + 1);
		assert_int_equal(auth_ptr(f->c, ip, on_ptr, f), MXS_OK);
	}
	assert_int_equal(auth_zone(f->c, "z.test", on_zone, f), MXS_OK);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	auth_client_free(f->c);
	f->c = NULL;
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(f->nzone, 0);
	assert_int_equal(f->nptr, 0);
}

static void on_domain(scan *s, const char *name, const mx_domain *d, unsigned changes, void *arg)
{
	fixture *f = arg;

	(void)s;
	(void)name;
	f->changes |= changes;
	if (changes & SCAN_CH_SETTLED) {
		f->settled++;
		f->saw_auth = mx_domain_auth(d) != NULL;
		f->saw_ptr = mx_addr_ptr(d, 0, 0) != NULL && mx_addr_ptr(d, 1, 0) != NULL;
	}
}

static bool settled(fixture *f)
{
	return f->settled > 0;
}

static void start_scan(fixture *f)
{
	const char *servers[1] = {f->server};
	scan_config sc = {.mode = SCAN_ONCE,
	                  .servers = servers,
	                  .nservers = 1,
	                  .timeout_ms = 2000,
	                  .no_probe = true,
	                  .allow_loopback = true,
	                  .ptr = true,
	                  .authoritative = true,
	                  .ns_port = f->port,
	                  .on_domain = on_domain,
	                  .arg = f};
	char *why = NULL;

	f->s = scan_new(&f->loop, &sc, NULL, &why);
	assert_non_null(f->s);
}

static void test_scan_stages(void **state)
{
	fixture *f = *state;
	scan_domain_info info;

	start_scan(f);
	assert_int_equal(scan_add(f->s, "z.test", NULL), MXS_OK);
	run_until(f, settled);
	/* settled once, with both stages in */
	assert_int_equal(f->settled, 1);
	assert_true(f->saw_auth);
	assert_true(f->saw_ptr);
	assert_true(scan_domain_get_info(f->s, "z.test", &info));
	assert_int_equal(info.pending, 0);
	/* the removal of a domain whose stages are out: no callback, no leak */
	f->settled = 0;
	assert_int_equal(scan_refresh(f->s, "z.test"), MXS_OK);
	scan_remove(f->s, "z.test");
	for (int i = 0; i < 50; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(f->settled, 0);
	/* and a scan freed while they are out */
	assert_int_equal(scan_add(f->s, "z.test", NULL), MXS_OK);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	scan_free(f->s);
	f->s = NULL;
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(f->settled, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ptr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_zone_walk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_and_free, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan_stages, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
