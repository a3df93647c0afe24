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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* ---- a server that drops answers ------------------------------------------ */

#define RELAY_KEYS 64

/* A UDP relay on 127.0.0.1 in front of the lab's DNS server, run by this
 * loop: the first sighting of every distinct question (its RD bit and
 * question section) is dropped, as a lossy path or a busy server does;
 * asked again, it is passed on, and the answer comes back to the asker. */
typedef struct relay {
	struct sockaddr_in lab;
	int front, back; /* front: where the clients ask; back: towards the lab */
	int port;        /* front's */
	uv_poll_t pfront, pback;
	struct {
		uint16_t id;
		struct sockaddr_in from;
	} asker[256]; /* by the low byte of the question's ID */
	unsigned char key[RELAY_KEYS][300];
	size_t keylen[RELAY_KEYS], nkeys;
	unsigned dropped, passed;
} relay;

/* Whether this question was seen before; remembers it when not. */
static bool relay_seen(relay *rl, const unsigned char *q, size_t n)
{
	unsigned char k[300];
	size_t kl = n - 12 + 1;

	if (kl > sizeof(k))
		return true; /* too long to remember: passed on */
	k[0] = q[2] & 0x01;  /* RD: the resolver's question and the name server's differ */
	for (size_t i = 12; i < n; i++)
		k[i - 11] = (unsigned char)(q[i] >= 'A' && q[i] <= 'Z' ? q[i] + 32 : q[i]);
	for (size_t i = 0; i < rl->nkeys; i++)
		if (rl->keylen[i] == kl && memcmp(rl->key[i], k, kl) == 0)
			return true;
	assert_true(rl->nkeys < RELAY_KEYS);
	memcpy(rl->key[rl->nkeys], k, kl);
	rl->keylen[rl->nkeys++] = kl;
	return false;
}

static void on_front(uv_poll_t *h, int status, int events)
{
	relay *rl = h->data;
	unsigned char q[1500];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	(void)status;
	(void)events;
	while ((n = recvfrom(rl->front, q, sizeof(q), MSG_DONTWAIT, (struct sockaddr *)&from,
	                     &fl)) >= 12) {
		if (!relay_seen(rl, q, (size_t)n)) {
			rl->dropped++;
		} else {
			rl->passed++;
			rl->asker[q[1]].id = (uint16_t)(q[0] << 8 | q[1]);
			rl->asker[q[1]].from = from;
			sendto(rl->back, q, (size_t)n, 0, (struct sockaddr *)&rl->lab,
			       sizeof(rl->lab));
		}
		fl = sizeof(from);
	}
}

static void on_back(uv_poll_t *h, int status, int events)
{
	relay *rl = h->data;
	unsigned char a[4096];
	ssize_t n;

	(void)status;
	(void)events;
	while ((n = recv(rl->back, a, sizeof(a), MSG_DONTWAIT)) >= 12)
		if (rl->asker[a[1]].id == (uint16_t)(a[0] << 8 | a[1]))
			sendto(rl->front, a, (size_t)n, 0, (struct sockaddr *)&rl->asker[a[1]].from,
			       sizeof(rl->asker[a[1]].from));
}

static void relay_open(fixture *f, relay *rl)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);

	memset(rl, 0, sizeof(*rl));
	rl->lab = sa;
	rl->lab.sin_port = htons((uint16_t)f->port);
	rl->front = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	rl->back = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(rl->front >= 0 && rl->back >= 0);
	assert_int_equal(bind(rl->front, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(rl->front, (struct sockaddr *)&sa, &len), 0);
	rl->port = ntohs(sa.sin_port);
	assert_int_equal(uv_poll_init(&f->loop, &rl->pfront, rl->front), 0);
	assert_int_equal(uv_poll_init(&f->loop, &rl->pback, rl->back), 0);
	rl->pfront.data = rl->pback.data = rl;
	assert_int_equal(uv_poll_start(&rl->pfront, UV_READABLE, on_front), 0);
	assert_int_equal(uv_poll_start(&rl->pback, UV_READABLE, on_back), 0);
}

static void relay_close(fixture *f, relay *rl)
{
	uv_close((uv_handle_t *)&rl->pfront, NULL);
	uv_close((uv_handle_t *)&rl->pback, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	close(rl->front);
	close(rl->back);
}

/* Every question's first answer lost, the resolver's and the name
 * server's alike: each is asked again within its budget, and the zone's
 * view is the one of a server that answers every time. Asked once, the NS
 * question would time out and there would be no name server at all. */
static void test_zone_through_loss(void **state)
{
	fixture *f = *state;
	relay rl;
	char spec[40], *why = NULL;
	const char *servers[1] = {spec};
	auth_config ac;
	auth_client *c;
	const mx_auth_server *s;

	relay_open(f, &rl);
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", rl.port);
	/* three tries of 300 ms each; one is lost */
	ac =
	    (auth_config){.servers = servers, .nservers = 1, .timeout_ms = 900, .ns_port = rl.port};
	c = auth_client_new(&f->loop, &ac, &why);
	assert_non_null(c);
	assert_int_equal(auth_zone(c, "z.test", on_zone, f), MXS_OK);
	for (int i = 0; i < 100000 && auth_busy(c) > 0; i++)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(auth_busy(c), 0);
	auth_client_free(c);
	relay_close(f, &rl);
	/* NS and MX at the resolver, A and AAAA of ns.z.test, SOA and MX at it */
	assert_int_equal(rl.dropped, 6);
	assert_int_equal(f->nzone, 1);
	assert_int_equal(f->zone->ns_rc, MX_RC_OK);
	assert_int_equal(f->zone->resolver_rc, MX_RC_OK);
	assert_int_equal(f->zone->nresolver_mx, 2);
	assert_int_equal(f->zone->nsrv, 1);
	s = &f->zone->srv[0];
	assert_string_equal(s->ip, "127.0.0.1");
	assert_int_equal(s->rc, MX_RC_OK);
	assert_true(s->aa);
	assert_true(s->has_serial);
	assert_int_equal(s->serial, 77);
	assert_int_equal(s->mx_rc, MX_RC_OK);
	assert_int_equal(s->nmx, 2);
	assert_string_equal(s->mx[0], "10 mx1.z.test");
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
	    cmocka_unit_test_setup_teardown(test_zone_through_loss, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_zone_walk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_and_free, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan_stages, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
