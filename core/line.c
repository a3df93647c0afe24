/* core/line.c — the line reader: one way to split input into bounded lines.
 *
 * Why a push splitter and not fgets/getline: the -f list arrives in chunks
 * from libuv's file reads, the state file and scenario files are read at
 * once; one state machine serves both and keeps per-line bounds, line
 * numbers and NUL detection in one place. */
#include "line.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct line_reader {
	size_t max;           /* bytes kept per line */
	size_t len;           /* bytes kept of the current line */
	unsigned flags;       /* of the current line */
	unsigned long lineno; /* lines delivered */
	bool stopped;         /* cb asked to stop */
	char buf[];           /* max + 1 */
};

line_reader *line_reader_new(size_t max_line)
{
	line_reader *r;

	if (max_line == 0)
		max_line = 1;
	r = calloc(1, sizeof(*r) + max_line + 1);
	if (r)
		r->max = max_line;
	return r;
}

void line_reader_free(line_reader *r)
{
	free(r);
}

unsigned long line_count(const line_reader *r)
{
	return r->lineno;
}

static void deliver(line_reader *r, line_cb cb, void *arg)
{
	size_t n = r->len;

	if (n > 0 && r->buf[n - 1] == '\r' && !(r->flags & LINE_TOO_LONG))
		n--;
	r->buf[n] = '\0';
	r->lineno++;
	if (cb(r->buf, n, r->lineno, r->flags, arg) != 0)
		r->stopped = true;
	r->len = 0;
	r->flags = 0;
}

mxs_status line_feed(line_reader *r, const char *buf, size_t len, line_cb cb, void *arg)
{
	size_t i = 0;

	while (i < len && !r->stopped) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - buf) : len;
		size_t take = end - i;

		if (memchr(buf + i, '\0', take))
			r->flags |= LINE_HAS_NUL;
		if (take > r->max - r->len) {
			take = r->max - r->len;
			r->flags |= LINE_TOO_LONG;
		}
		memcpy(r->buf + r->len, buf + i, take);
		r->len += take;
		if (!nl)
			break;
		deliver(r, cb, arg);
		i = end + 1;
	}
	return r->stopped ? MXS_ERR_INVALID : MXS_OK;
}

mxs_status line_finish(line_reader *r, line_cb cb, void *arg)
{
	if (!r->stopped && (r->len > 0 || r->flags))
		deliver(r, cb, arg);
	return r->stopped ? MXS_ERR_INVALID : MXS_OK;
}

mxs_status line_read_file(const char *path, size_t max_line, line_cb cb, void *arg, char **why)
{
	mxs_status st = MXS_OK;
	line_reader *r = NULL;
	struct stat sb;
	char chunk[16384];
	int fd;

	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		mxs_why(why, "%s: %s", path, strerror(errno));
		return MXS_ERR_IO;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		mxs_why(why, "%s: not a regular file", path);
		st = MXS_ERR_IO;
		goto done;
	}
	r = line_reader_new(max_line);
	if (!r) {
		st = MXS_ERR_NOMEM;
		goto done;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mxs_why(why, "%s: %s", path, strerror(errno));
			st = MXS_ERR_IO;
			goto done;
		}
		if (n == 0)
			break;
		st = line_feed(r, chunk, (size_t)n, cb, arg);
		if (st != MXS_OK)
			goto done;
	}
	st = line_finish(r, cb, arg);
done:
	line_reader_free(r);
	close(fd);
	return st;
}
