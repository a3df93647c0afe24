/* src/flist.c — the -f domain list (see flist.h). */
#include "flist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status.h"

#define READ_CHUNK 16384

struct flist {
	uv_loop_t *loop;
	flist_wake_cb wake;
	void *arg;
	const char *label;
	int fd;
	bool own_fd;
	bool stream; /* a pipe or terminal read as a libuv stream */
	union {
		uv_handle_t h;
		uv_stream_t s;
		uv_pipe_t pipe;
		uv_tty_t tty;
	} u;
	uv_fs_t req;
	line_reader *lr;
	char buf[READ_CHUNK];
	flist_line *q; /* the lines of the last chunk, not handed out yet */
	size_t nq, qhead, capq;
	bool reading, eof, closing;
};

static int on_line(const char *line, size_t len, unsigned long lineno, unsigned flags, void *arg)
{
	flist *f = arg;
	flist_line l = {.lineno = lineno, .flags = flags};

	if (f->nq == f->capq) {
		size_t nc = f->capq ? f->capq * 2 : 64;
		flist_line *g = realloc(f->q, nc * sizeof(*g));
		if (!g)
			return 1;
		f->q = g;
		f->capq = nc;
	}
	if (!flags) {
		l.text = malloc(len + 1);
		if (!l.text)
			return 1;
		memcpy(l.text, line, len + 1);
	}
	f->q[f->nq++] = l;
	return 0;
}

/* The input failed or ran out of memory: one last line says so. */
static void fail(flist *f, const char *fmt, const char *detail)
{
	size_t n = strlen(fmt) + strlen(f->label) + strlen(detail) + 1;
	char *text = malloc(n);

	f->eof = true;
	if (text)
		snprintf(text, n, fmt, f->label, detail);
	if (on_line("", 0, 0, 0, f) == 0) {
		free(f->q[f->nq - 1].text);
		f->q[f->nq - 1] = (flist_line){.text = text, .flags = FLIST_READ_ERROR};
	} else {
		free(text);
	}
}

static void got(flist *f, const char *data, ssize_t n)
{
	if (n < 0) {
		fail(f, "%s: cannot read: %s", uv_strerror((int)n));
	} else if (n == 0) {
		f->eof = true;
		if (line_finish(f->lr, on_line, f) != MXS_OK)
			fail(f, "%s: %s while reading", "out of memory");
	} else if (line_feed(f->lr, data, (size_t)n, on_line, f) != MXS_OK) {
		fail(f, "%s: %s while reading", "out of memory");
	}
}

static void free_now(flist *f)
{
	if (f->own_fd && !f->stream)
		close(f->fd);
	for (size_t i = f->qhead; i < f->nq; i++)
		free(f->q[i].text);
	free(f->q);
	line_reader_free(f->lr);
	free(f);
}

static void on_fs_read(uv_fs_t *req)
{
	flist *f = req->data;
	ssize_t n = req->result;

	f->reading = false;
	uv_fs_req_cleanup(req);
	if (f->closing)
		return; /* flist_close frees f */
	got(f, f->buf, n);
	f->wake(f->arg);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	flist *f = h->data;

	(void)hint;
	*b = uv_buf_init(f->buf, sizeof(f->buf));
}

static void on_stream_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	flist *f = s->data;

	if (n == 0)
		return; /* EAGAIN: nothing yet */
	/* one chunk at a time: the next read starts when its lines are used */
	uv_read_stop(s);
	f->reading = false;
	got(f, b->base, n == UV_EOF ? 0 : n);
	f->wake(f->arg);
}

static void start_read(flist *f)
{
	uv_buf_t b = uv_buf_init(f->buf, sizeof(f->buf));
	int rc;

	f->reading = true;
	if (f->stream) {
		rc = uv_read_start(&f->u.s, on_alloc, on_stream_read);
	} else {
		f->req.data = f;
		rc = uv_fs_read(f->loop, &f->req, f->fd, &b, 1, -1, on_fs_read);
	}
	if (rc != 0) {
		f->reading = false;
		fail(f, "%s: cannot read: %s", uv_strerror(rc));
	}
}

flist *flist_open(uv_loop_t *loop, const char *path, flist_wake_cb wake, void *arg, char **why)
{
	flist *f = calloc(1, sizeof(*f));
	struct stat sb;
	uv_handle_type t;
	int rc = 0;

	if (!f || !(f->lr = line_reader_new(FLIST_LINE_MAX))) {
		free(f);
		mxs_why(why, "out of memory");
		return NULL;
	}
	f->loop = loop;
	f->wake = wake;
	f->arg = arg;
	if (strcmp(path, "-") == 0) {
		f->fd = STDIN_FILENO;
		f->label = "stdin";
	} else {
		/* O_NONBLOCK: a FIFO would otherwise wait for a writer at open */
		f->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (f->fd < 0) {
			mxs_why(why, "%s: cannot open: %s", path, strerror(errno));
			free_now(f);
			return NULL;
		}
		f->own_fd = true;
		f->label = path;
	}
	if (fstat(f->fd, &sb) != 0 || !(S_ISREG(sb.st_mode) || S_ISFIFO(sb.st_mode) ||
	                                S_ISCHR(sb.st_mode) || S_ISSOCK(sb.st_mode))) {
		mxs_why(why, "%s: not a file or a pipe", path);
		free_now(f);
		return NULL;
	}
	t = uv_guess_handle(f->fd);
	if (f->own_fd && S_ISFIFO(sb.st_mode)) {
		/* a FIFO nobody ever wrote to never signals readable or hung up:
		 * ask once, without blocking, whether a writer is there at all */
		ssize_t n = read(f->fd, f->buf, sizeof(f->buf));
		if (n >= 0)
			got(f, f->buf, n); /* 0: no writer, an empty list */
		if (f->eof)
			t = UV_FILE; /* nothing more to read: no stream needed */
	}
	if (t == UV_NAMED_PIPE) {
		f->stream = true;
		rc = uv_pipe_init(loop, &f->u.pipe, 0);
		if (rc == 0 && (rc = uv_pipe_open(&f->u.pipe, f->fd)) != 0)
			uv_close(&f->u.h,
			         NULL); /* the memory is f's: freed below after the close */
	} else if (t == UV_TTY) {
		f->stream = true;
		rc = uv_tty_init(loop, &f->u.tty, f->fd, 1);
	} else if (!S_ISREG(sb.st_mode)) {
		/* a device: its reads run on the thread pool and may block there */
		fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) & ~O_NONBLOCK);
	}
	if (rc != 0) {
		mxs_why(why, "%s: cannot read: %s", path, uv_strerror(rc));
		f->stream = false; /* closed above, or never opened */
		if (uv_is_closing(&f->u.h)) {
			uv_run(loop, UV_RUN_NOWAIT);
		}
		free_now(f);
		return NULL;
	}
	if (f->stream)
		f->u.h.data = f;
	return f;
}

const char *flist_label(const flist *f)
{
	return f->label;
}

bool flist_next(flist *f, flist_line *out)
{
	if (f->qhead < f->nq) {
		*out = f->q[f->qhead++];
		if (f->qhead == f->nq)
			f->qhead = f->nq = 0;
		return true;
	}
	if (!f->eof && !f->reading)
		start_read(f);
	/* a read that could not start queued its reason */
	if (f->qhead < f->nq)
		return flist_next(f, out);
	return false;
}

bool flist_done(const flist *f)
{
	return f->eof && !f->reading && f->qhead == f->nq;
}

static void on_closed(uv_handle_t *h)
{
	free_now(h->data);
}

void flist_close(flist *f)
{
	if (!f)
		return;
	f->closing = true;
	if (f->stream) {
		/* the stream owns the fd from uv_pipe_open on: closing closes it */
		uv_close(&f->u.h, on_closed);
	} else {
		/* a file read on the pool ends promptly; its callback frees f */
		while (f->reading)
			uv_run(f->loop, UV_RUN_ONCE);
		free_now(f);
	}
}
