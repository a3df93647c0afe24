/* tui/state.c — reading and writing the explorer's state file atomically. */
#include "tui_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "line.h"
#include "name.h"

#define STATE_HEADER "# mxscope state 1"
/* per line, not per file: "domain " and a 253-byte name fit with room */
#define STATE_MAX_LINE  1024
#define STATE_MAX_THEME 255

char *tui_state_default_path(void)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *p = NULL;
	size_t n;

	if (xdg && xdg[0] == '/') {
		n = strlen(xdg) + sizeof("/mxscope/state");
		if ((p = malloc(n)))
			snprintf(p, n, "%s/mxscope/state", xdg);
	} else if (home && home[0]) {
		n = strlen(home) + sizeof("/.local/state/mxscope/state");
		if ((p = malloc(n)))
			snprintf(p, n, "%s/.local/state/mxscope/state", home);
	}
	return p;
}

void tui_state_clear(tui_state *st)
{
	if (!st)
		return;
	free(st->theme);
	for (size_t i = 0; i < st->ndomains; i++)
		free(st->domains[i]);
	free(st->domains);
	memset(st, 0, sizeof(*st));
}

static mxs_status add_domain(tui_state *st, size_t *cap, const char *name)
{
	if (st->ndomains == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		char **nd = realloc(st->domains, nc * sizeof(*nd));
		if (!nd)
			return MXS_ERR_NOMEM;
		st->domains = nd;
		*cap = nc;
	}
	if (!(st->domains[st->ndomains] = strdup(name)))
		return MXS_ERR_NOMEM;
	st->ndomains++;
	return MXS_OK;
}

/* What the line callback keeps between lines. */
typedef struct loader {
	tui_state *st;
	size_t cap;
	const char *bad;    /* why the file cannot be used, or NULL */
	unsigned long line; /* where */
	mxs_status rc;      /* MXS_ERR_NOMEM stops everything */
} loader;

/* One line of the file; non-zero stops the reading. */
static int on_line(const char *text, size_t len, unsigned long lineno, unsigned flags, void *arg)
{
	loader *ld = arg;
	const char *val;
	char *norm = NULL, *why = NULL;

	ld->line = lineno;
	if (flags & LINE_TOO_LONG)
		ld->bad = "line too long";
	else if (flags & LINE_HAS_NUL)
		ld->bad = "a NUL byte";
	else if (lineno == 1)
		ld->bad = strcmp(text, STATE_HEADER) == 0 ? NULL : "not an mxscope state file";
	else if (len == 0 || text[0] == '#')
		return 0;
	else if (strncmp(text, "theme ", 6) == 0) {
		val = text + 6;
		if (!val[0] || strlen(val) > STATE_MAX_THEME)
			ld->bad = "a theme needs a name";
		else {
			free(ld->st->theme);
			if (!(ld->st->theme = strdup(val)))
				ld->rc = MXS_ERR_NOMEM;
		}
	} else if (strncmp(text, "domain ", 7) == 0) {
		if (mx_name_normalize(text + 7, &norm, &why) != MXS_OK)
			ld->bad = "not a domain name";
		else
			ld->rc = add_domain(ld->st, &ld->cap, norm);
		free(norm);
		free(why);
	} else {
		ld->bad = "expected \"theme NAME\" or \"domain NAME\"";
	}
	return ld->bad || ld->rc != MXS_OK;
}

/* Renames a file that cannot be read as a state file out of the way, so
 * that the next save starts afresh without destroying it. */
static void set_aside(const char *path, const loader *ld, char **why)
{
	char broken[4200], stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(broken, sizeof(broken), "%s.broken-%s", path, stamp);
	if (rename(path, broken) == 0)
		mxs_why(why, "%s:%lu: %s; set aside as %s", path, ld->line, ld->bad, broken);
	else
		mxs_why(why, "%s:%lu: %s (and it cannot be renamed: %s)", path, ld->line, ld->bad,
		        strerror(errno));
}

mxs_status tui_state_load(const char *path, tui_state *st, char **why)
{
	loader ld = {.st = st, .rc = MXS_OK};
	struct stat sb;
	mxs_status rc;

	memset(st, 0, sizeof(*st));
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT)
			return MXS_OK;
		mxs_why(why, "%s: cannot read: %s", path, strerror(errno));
		return MXS_ERR_IO;
	}
	if (!S_ISREG(sb.st_mode)) {
		/* a FIFO would block at open, a device would feed us forever */
		mxs_why(why, "%s: not a regular file; the state is neither read nor saved", path);
		return MXS_ERR_IO;
	}
	/* streamed, bounded per line: a file of any length the save wrote reads back */
	rc = line_read_file(path, STATE_MAX_LINE, on_line, &ld, why);
	if (ld.rc == MXS_ERR_NOMEM) {
		tui_state_clear(st);
		mxs_why(why, "%s: out of memory", path);
		return MXS_ERR_NOMEM;
	}
	if (rc != MXS_OK && !ld.bad) {
		tui_state_clear(st);
		return rc; /* could not read it: *why says so; it stays as it is */
	}
	if (!ld.bad && ld.line == 0)
		ld.bad = "the file is empty";
	if (ld.bad) {
		/* set aside, never fatal: the next save starts afresh */
		tui_state_clear(st);
		set_aside(path, &ld, why);
		return MXS_ERR_INVALID;
	}
	return MXS_OK;
}

/* mkdir -p for the directory part of path. */
static int make_parent(const char *path)
{
	char dir[4096];
	size_t n = strlen(path);

	if (n >= sizeof(dir))
		return -1;
	memcpy(dir, path, n + 1);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

/* A value goes into the file only when the loader will read it back as it
 * is: one line, within the line bound. */
static bool storable(const char *v, size_t max)
{
	size_t n = strlen(v);

	return n > 0 && n <= max && !memchr(v, '\n', n) && !memchr(v, '\r', n);
}

mxs_status tui_state_save(const char *path, const tui_state *st, char **why)
{
	char tmp[4200] = "";
	FILE *f = NULL;
	int fd = -1, err = 0;
	mxs_status rc = MXS_ERR_IO;
	struct stat sb;

	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		mxs_why(why, "%s: not a regular file; the state is not saved", path);
		goto done;
	}
	for (size_t i = 0; i < st->ndomains; i++)
		if (!storable(st->domains[i], STATE_MAX_LINE - 8)) {
			mxs_why(why, "%s: domain %zu cannot be stored in one line", path, i + 1);
			rc = MXS_ERR_INVALID;
			goto done;
		}
	if (make_parent(path) != 0) {
		mxs_why(why, "%s: cannot create its directory: %s", path, strerror(errno));
		goto done;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp)) {
		mxs_why(why, "%s: path too long", path);
		tmp[0] = '\0';
		goto done;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		mxs_why(why, "%s: cannot write: %s", path, strerror(errno));
		tmp[0] = '\0';
		goto done;
	}
	f = fdopen(fd, "w");
	if (!f) {
		mxs_why(why, "%s: cannot write: %s", path, strerror(errno));
		goto done;
	}
	fd = -1;
	/* the first error's errno is the one worth telling (ENOSPC, EDQUOT, EFBIG) */
	if (fprintf(f, "%s\n", STATE_HEADER) < 0)
		err = err ? err : errno;
	if (st->theme && storable(st->theme, STATE_MAX_THEME) &&
	    fprintf(f, "theme %s\n", st->theme) < 0)
		err = err ? err : errno;
	for (size_t i = 0; i < st->ndomains && !err; i++)
		if (fprintf(f, "domain %s\n", st->domains[i]) < 0)
			err = errno;
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		err = err ? err : errno;
	if (fclose(f) != 0)
		err = err ? err : errno;
	f = NULL;
	if (!err && rename(tmp, path) != 0)
		err = errno;
	if (err) {
		mxs_why(why, "%s: cannot write: %s", path, strerror(err));
		goto done;
	}
	tmp[0] = '\0';
	rc = MXS_OK;
done:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (rc != MXS_OK && tmp[0])
		unlink(tmp);
	return rc;
}
