/* lab/tcp.c — TCP plumbing the lab's servers share. */
#include "lab_internal.h"

#include <stdlib.h>

static void free_handle(uv_handle_t *h)
{
	free(h);
}

void lab_tcp_drop(uv_loop_t *loop, uv_stream_t *listener)
{
	uv_tcp_t *extra = malloc(sizeof(*extra));

	if (!extra)
		return;
	uv_tcp_init(loop, extra);
	uv_accept(listener, (uv_stream_t *)extra);
	uv_close((uv_handle_t *)extra, free_handle);
}
