/* net/curlloop.c — libcurl's multi socket API on the libuv loop: libcurl
 * names the sockets and the one timeout it wants, we poll and time them and
 * hand each finished transfer back to the owner. */
#include "curlloop.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

/* One socket libcurl asked us to watch. */
typedef struct sockctx {
	uv_poll_t poll;
	curl_socket_t fd;
	curlloop *cl;
	struct sockctx *prev, *next;
} sockctx;

struct curlloop {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer; /* libcurl's one timeout */
	curlloop_hooks hooks;
	void *arg;
	sockctx *socks;
	unsigned depth;      /* nesting of loop callbacks: teardown waits for 0 */
	bool releasing;      /* the owner is going: no more done calls */
	size_t open_handles; /* uv handles not yet closed; cl is freed at 0 */
};

static void drain(curlloop *cl)
{
	CURLMsg *m;
	int left;

	while (!cl->releasing && (m = curl_multi_info_read(cl->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		cl->hooks.done(cl->arg, m->easy_handle, m->data.result);
	}
	if (cl->hooks.drained)
		cl->hooks.drained(cl->arg);
}

void curlloop_enter(curlloop *cl)
{
	cl->depth++;
}

void curlloop_leave(curlloop *cl)
{
	/* the release hook frees cl (asynchronously): nothing may follow it */
	if (--cl->depth == 0 && cl->releasing && cl->hooks.release)
		cl->hooks.release(cl->arg);
}

bool curlloop_defer_release(curlloop *cl)
{
	cl->releasing = true;
	return cl->depth > 0;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	sockctx *s = h->data;
	curlloop *cl = s->cl;
	int flags = 0, running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	curlloop_enter(cl);
	curl_multi_socket_action(cl->multi, s->fd, flags, &running);
	drain(cl);
	curlloop_leave(cl);
}

static void on_handle_closed(curlloop *cl)
{
	void (*closed)(void *) = cl->hooks.closed;
	void *arg = cl->arg;

	if (--cl->open_handles > 0 || cl->multi)
		return;
	free(cl);
	if (closed)
		closed(arg);
}

static void on_sock_closed(uv_handle_t *h)
{
	sockctx *s = h->data;
	curlloop *cl = s->cl;

	free(s);
	on_handle_closed(cl);
}

static void on_timer_closed(uv_handle_t *h)
{
	on_handle_closed(h->data);
}

static void sock_close(curlloop *cl, sockctx *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		cl->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
	curlloop *cl = userp;
	sockctx *s = socketp;
	int ev = 0;

	if (what == CURL_POLL_REMOVE) {
		if (s) {
			curl_multi_assign(cl->multi, fd, NULL);
			sock_close(cl, s);
		}
		return 0;
	}
	if (cl->hooks.watch)
		cl->hooks.watch(cl->arg, e, fd, what);
	if (!s) {
		/* a new socket, even when the descriptor number is one libcurl
		 * closed a moment ago: that one's handle is already stopped */
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		s->fd = fd;
		s->cl = cl;
		s->poll.data = s;
		if (uv_poll_init_socket(cl->loop, &s->poll, fd) != 0) {
			free(s);
			return -1;
		}
		cl->open_handles++;
		s->next = cl->socks;
		if (cl->socks)
			cl->socks->prev = s;
		cl->socks = s;
		curl_multi_assign(cl->multi, fd, s);
	}
	if (what & CURL_POLL_IN)
		ev |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		ev |= UV_WRITABLE;
	uv_poll_start(&s->poll, ev, on_poll);
	return 0;
}

static void on_timer(uv_timer_t *t)
{
	curlloop *cl = t->data;
	int running;

	curlloop_enter(cl);
	curl_multi_socket_action(cl->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain(cl);
	curlloop_leave(cl);
}

static int on_curl_timer(CURLM *m, long timeout_ms, void *userp)
{
	curlloop *cl = userp;

	(void)m;
	if (timeout_ms < 0)
		uv_timer_stop(&cl->timer);
	else /* 0 too goes through the loop: libcurl must not be re-entered */
		uv_timer_start(&cl->timer, on_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

curlloop *curlloop_new(uv_loop_t *loop, const curlloop_hooks *hooks, void *arg, char **why)
{
	curlloop *cl = calloc(1, sizeof(*cl));

	if (!cl) {
		mxs_why(why, "out of memory");
		return NULL;
	}
	cl->multi = curl_multi_init();
	if (!cl->multi) {
		mxs_why(why, "cannot set up libcurl");
		free(cl);
		return NULL;
	}
	cl->loop = loop;
	cl->hooks = *hooks;
	cl->arg = arg;
	curl_multi_setopt(cl->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(cl->multi, CURLMOPT_SOCKETDATA, cl);
	curl_multi_setopt(cl->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(cl->multi, CURLMOPT_TIMERDATA, cl);
	uv_timer_init(loop, &cl->timer);
	cl->timer.data = cl;
	cl->open_handles = 1;
	return cl;
}

CURLM *curlloop_multi(const curlloop *cl)
{
	/* NULL in, NULL out: libcurl refuses a NULL multi handle gracefully */
	return cl ? cl->multi : NULL;
}

void curlloop_free(curlloop *cl)
{
	if (!cl)
		return;
	cl->releasing = true;
	/* libcurl may still report sockets gone while it cleans up: the polls
	 * stay until then */
	curl_multi_cleanup(cl->multi);
	cl->multi = NULL;
	while (cl->socks)
		sock_close(cl, cl->socks);
	uv_timer_stop(&cl->timer);
	uv_close((uv_handle_t *)&cl->timer, on_timer_closed);
}

void curlloop_easy_bounded(CURL *e, long timeout_ms, long max_body, const char *ca_pem,
                           curl_write_callback write, void *data, char *errbuf)
{
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "mxscope");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	/* a Content-Length above the bound stops the transfer before the body */
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE, max_body);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, data);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_VERBOSE, 0L);
	if (ca_pem) {
		/* NOCOPY: the blob's bytes are the caller's, the struct is read now */
		struct curl_blob blob = {(void *)ca_pem, strlen(ca_pem), CURL_BLOB_NOCOPY};
		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
	}
	errbuf[0] = '\0';
}
