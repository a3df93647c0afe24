/* lab/tcp.c — the connection layer the lab's DNS-over-TCP, SMTP and HTTP
 * servers share: the connection list, the one accept-limit policy, the idle
 * timeout, the write queue and the close sequence; around it, the server's own life (its
 * handles counted, freed once the last of them and of its connections has
 * closed) and the one listen code of the HTTP and MTA-STS servers
 * (lab_internal.h).
 *
 * The list is kept in order of activity, so the connection idle the longest
 * is at its head: at the limit it makes room for a newcomer. Without that,
 * a few hundred clients that connect and say nothing lock everybody else out
 * until their idle timeout. */
#include "lab_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void free_handle(uv_handle_t *h)
{
	free(h);
}

/* Takes one pending connection off the backlog and closes it: a server
 * that cannot take a client must still accept, or the backlog stays full
 * and every later client hangs instead of being refused. */
static void drop_pending(uv_loop_t *loop, uv_stream_t *listener)
{
	uv_tcp_t *extra = malloc(sizeof(*extra));

	if (!extra)
		return;
	uv_tcp_init(loop, extra);
	uv_accept(listener, (uv_stream_t *)extra);
	uv_close((uv_handle_t *)extra, free_handle);
}

static void unlink_conn(struct lab_conns *set, struct lab_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		set->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		set->tail = c->prev;
	c->prev = c->next = NULL;
}

static void append_conn(struct lab_conns *set, struct lab_conn *c)
{
	c->prev = set->tail;
	c->next = NULL;
	if (set->tail)
		set->tail->next = c;
	else
		set->head = c;
	set->tail = c;
}

static void conns_init(struct lab_conns *set, uv_loop_t *loop, size_t max, uint64_t idle_ms,
                       void (*freed)(struct lab_conn *c, void *arg), void *arg)
{
	*set = (struct lab_conns){
	    .loop = loop, .max = max, .idle_ms = idle_ms, .freed = freed, .arg = arg};
}

static void on_closed(uv_handle_t *h)
{
	struct lab_conn *c = h->data;
	struct lab_conns *set = c->set;

	if (--c->open > 0)
		return;
	unlink_conn(set, c);
	set->n--;
	if (set->freed)
		set->freed(c, set->arg); /* may free the server: set is not used after */
	free(c);
}

void lab_conn_close(struct lab_conn *c)
{
	if (!c || c->closing)
		return;
	c->closing = 1;
	uv_close((uv_handle_t *)&c->tcp, on_closed);
	uv_close((uv_handle_t *)&c->idle, on_closed);
	uv_close((uv_handle_t *)&c->act, on_closed);
}

static void conns_close_all(struct lab_conns *set)
{
	for (struct lab_conn *c = set->head; c; c = c->next)
		lab_conn_close(c);
}

static void on_idle(uv_timer_t *t)
{
	lab_conn_close(t->data);
}

void lab_conn_idle_after(struct lab_conn *c, uint64_t ms)
{
	if (!c->closing)
		uv_timer_start(&c->idle, on_idle, ms, 0);
}

void lab_conn_touch(struct lab_conn *c)
{
	if (c->closing)
		return;
	if (c->set->tail != c) {
		unlink_conn(c->set, c);
		append_conn(c->set, c);
	}
	lab_conn_idle_after(c, c->set->idle_ms);
}

/* The connection idle the longest: the first in activity order that has no
 * work under way (nothing being written, no answer due) and is not closing
 * already. */
static struct lab_conn *oldest_idle(struct lab_conns *set)
{
	for (struct lab_conn *c = set->head; c; c = c->next)
		if (!c->closing && !c->busy && c->writes == 0)
			return c;
	return NULL;
}

/* Connections already closing still count until their handles are closed,
 * so the limit is checked against the open ones only. */
static size_t open_count(const struct lab_conns *set)
{
	size_t n = 0;

	for (const struct lab_conn *c = set->head; c; c = c->next)
		n += !c->closing;
	return n;
}

static struct lab_conn *conns_accept(struct lab_conns *set, uv_stream_t *listener, size_t size)
{
	struct lab_conn *c;

	if (set->n >= set->max && open_count(set) >= set->max) {
		struct lab_conn *old = oldest_idle(set);

		if (!old) {
			drop_pending(set->loop, listener);
			return NULL;
		}
		lab_conn_close(old);
		set->dropped++;
	}
	c = size >= sizeof(*c) ? calloc(1, size) : NULL;
	if (!c) {
		drop_pending(set->loop, listener);
		return NULL;
	}
	c->set = set;
	uv_tcp_init(set->loop, &c->tcp);
	uv_timer_init(set->loop, &c->idle);
	uv_timer_init(set->loop, &c->act);
	c->tcp.data = c->idle.data = c->act.data = c;
	c->open = 3;
	append_conn(set, c);
	set->n++;
	if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
		lab_conn_close(c);
		return NULL;
	}
	lab_conn_idle_after(c, set->idle_ms);
	return c;
}

/* ---- writing ------------------------------------------------------------ */

struct lab_write {
	uv_write_t req;
	struct lab_conn *c;
	void (*done)(struct lab_conn *c);
	size_t len;
	char data[];
};

/* libuv calls this for every write, also one cancelled by the close (before
 * the close callback), so c is still there. */
static void on_written(uv_write_t *req, int status)
{
	struct lab_write *w = (struct lab_write *)req;
	struct lab_conn *c = w->c;
	void (*done)(struct lab_conn * c) = w->done;

	c->outq -= w->len;
	c->writes--;
	free(w);
	if (c->closing)
		return;
	if (status < 0)
		lab_conn_close(c);
	else if (done)
		done(c);
}

int lab_conn_write(struct lab_conn *c, const void *data, size_t len,
                   void (*done)(struct lab_conn *c))
{
	struct lab_write *w;
	uv_buf_t b;

	if (c->closing)
		return -1;
	if (len == 0)
		return 0;
	w = malloc(sizeof(*w) + len);
	if (!w) {
		lab_conn_close(c);
		return -1;
	}
	w->c = c;
	w->done = done;
	w->len = len;
	memcpy(w->data, data, len);
	b = uv_buf_init(w->data, (unsigned)len);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
		free(w);
		lab_conn_close(c);
		return -1;
	}
	c->outq += len;
	c->writes++;
	return 0;
}

/* ---- the server around the connections ---------------------------------- */

/* Frees the server once it is closing and nothing of it is open. The last
 * thing called on sv: the server's memory holds it. */
static void maybe_free(struct lab_server *sv)
{
	if (sv->closing && sv->handles == 0 && sv->conns.n == 0)
		sv->free(sv->server);
}

static void server_conn_freed(struct lab_conn *c, void *arg)
{
	struct lab_server *sv = arg;

	if (sv->conn_freed)
		sv->conn_freed(c, sv->server);
	maybe_free(sv);
}

void lab_server_init(struct lab_server *sv, uv_loop_t *loop, size_t max_conns, uint64_t idle_ms,
                     void (*conn_freed)(struct lab_conn *c, void *server),
                     void (*free_server)(void *server), void *server)
{
	*sv = (struct lab_server){.conn_freed = conn_freed, .free = free_server, .server = server};
	conns_init(&sv->conns, loop, max_conns, idle_ms, server_conn_freed, sv);
}

void lab_server_hold(struct lab_server *sv)
{
	sv->handles++;
}

void lab_server_release(struct lab_server *sv)
{
	sv->handles--;
	maybe_free(sv);
}

struct lab_conn *lab_server_accept(struct lab_server *sv, uv_stream_t *listener, int status,
                                   size_t size)
{
	if (status < 0 || sv->closing)
		return NULL;
	return conns_accept(&sv->conns, listener, size);
}

void lab_server_close(struct lab_server *sv)
{
	if (sv->closing)
		return;
	sv->closing = 1;
	conns_close_all(&sv->conns);
	maybe_free(sv);
}

/* ---- listening ------------------------------------------------------------- */

static void on_listener_closed(uv_handle_t *h)
{
	struct lab_listener *l = (struct lab_listener *)h; /* tcp is its first member */

	lab_server_release(l->sv);
}

int lab_listener_open(struct lab_listener *l, struct lab_server *sv, void *data, const char *addr,
                      int port, int backlog, uv_connection_cb cb, char **why)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss), rc;
	bool v6;

	l->sv = sv;
	if (!addr)
		addr = "127.0.0.1";
	v6 = strchr(addr, ':') != NULL;
	rc = v6 ? uv_ip6_addr(addr, port, (struct sockaddr_in6 *)&ss)
	        : uv_ip4_addr(addr, port, (struct sockaddr_in *)&ss);
	if (rc != 0) {
		mxs_why(why, "%s: not an address", addr);
		return -1;
	}
	uv_tcp_init(sv->conns.loop, &l->tcp);
	l->tcp.data = data;
	l->open = 1;
	lab_server_hold(sv);
	rc = uv_tcp_bind(&l->tcp, (const struct sockaddr *)&ss, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&l->tcp, backlog, cb);
	if (rc == 0)
		rc = uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss, &len);
	if (rc != 0) {
		mxs_why(why, v6 ? "[%s]:%d: %s" : "%s:%d: %s", addr, port, uv_strerror(rc));
		lab_listener_close(l);
		return -1;
	}
	l->port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                   : ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(l->where, sizeof(l->where), v6 ? "[%s]:%d" : "%s:%d", addr, l->port);
	return 0;
}

void lab_listener_close(struct lab_listener *l)
{
	if (!l->open)
		return;
	l->open = 0;
	uv_close((uv_handle_t *)&l->tcp, on_listener_closed);
}
