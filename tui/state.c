/* tui/state.c — reading and writing the explorer's state file atomically. */
#include "tui_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "name.h"

#define STATE_HEADER    "# mxscope state 1"
#define STATE_MAX_BYTES (1u << 20)
#define STATE_MAX_LINE  512

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

static mxs_status add_domain(tui_state *st, const char *name)
{
	char **nd = realloc(st->domains, (st->ndomains + 1) * sizeof(*nd));

	if (!nd)
		return MXS_ERR_NOMEM;
	st->domains = nd;
	if (!(st->domains[st->ndomains] = strdup(name)))
		return MXS_ERR_NOMEM;
	st->ndomains++;
	return MXS_OK;
}

/* Parses one line; returns NULL when fine or a static reason. */
static const char *parse_line(tui_state *st, char *line, unsigned long lineno, mxs_status *st_out)
{
	char *val, *norm = NULL, *why = NULL;

	*st_out = MXS_OK;
	if (lineno == 1)
		return strcmp(line, STATE_HEADER) == 0 ? NULL : "not an mxscope state file";
	if (line[0] == '\0' || line[0] == '#')
		return NULL;
	val = strchr(line, ' ');
	if (!val)
		return "expected \"theme NAME\" or \"domain NAME\"";
	*val++ = '\0';
	if (strcmp(line, "theme") == 0) {
		if (!val[0] || strlen(val) > 255)
			return "a theme needs a name";
		free(st->theme);
		st->theme = strdup(val);
		if (!st->theme)
			*st_out = MXS_ERR_NOMEM;
		return NULL;
	}
	if (strcmp(line, "domain") != 0)
		return "expected \"theme NAME\" or \"domain NAME\"";
	if (mx_name_normalize(val, &norm, &why) != MXS_OK) {
		free(why);
		return "not a domain name";
	}
	*st_out = add_domain(st, norm);
	free(norm);
	return NULL;
}

mxs_status tui_state_load(const char *path, tui_state *st, char **why)
{
	FILE *f = NULL;
	char line[STATE_MAX_LINE + 2], broken[4096];
	const char *bad = NULL;
	unsigned long lineno = 0;
	size_t total = 0;
	mxs_status rc = MXS_OK;

	memset(st, 0, sizeof(*st));
	f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return MXS_OK;
		mxs_why(why, "%s: cannot read: %s", path, strerror(errno));
		return MXS_ERR_IO;
	}
	while (!bad && fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		lineno++;
		total += n;
		if (total > STATE_MAX_BYTES) {
			bad = "the file is too large";
			break;
		}
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		else if (!feof(f)) {
			bad = "line too long";
			break;
		}
		if (memchr(line, '\0', n) || strlen(line) != n) {
			bad = "a NUL byte";
			break;
		}
		bad = parse_line(st, line, lineno, &rc);
		if (rc != MXS_OK)
			goto done;
	}
	if (!bad && lineno == 0)
		bad = "the file is empty";
	if (bad) {
		/* set aside, never fatal: the next save starts afresh */
		time_t now = time(NULL);
		struct tm tm;
		char stamp[32];
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(broken, sizeof(broken), "%s.broken-%s", path, stamp);
		tui_state_clear(st);
		if (rename(path, broken) == 0)
			mxs_why(why, "%s:%lu: %s; set aside as %s", path, lineno, bad, broken);
		else
			mxs_why(why, "%s:%lu: %s (and it cannot be renamed: %s)", path, lineno, bad,
			        strerror(errno));
		rc = MXS_ERR_INVALID;
	}
done:
	if (rc == MXS_ERR_NOMEM) {
		tui_state_clear(st);
		mxs_why(why, "%s: out of memory", path);
	}
	fclose(f);
	return rc;
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

mxs_status tui_state_save(const char *path, const tui_state *st, char **why)
{
	char tmp[4200] = "";
	FILE *f = NULL;
	int fd = -1, failed = 0;
	mxs_status rc = MXS_ERR_IO;

	if (make_parent(path) != 0) {
		mxs_why(why, "%s: cannot create its directory: %s", path, strerror(errno));
		goto done;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		mxs_why(why, "%s: cannot write: %s", path, strerror(errno));
		goto done;
	}
	f = fdopen(fd, "w");
	if (!f) {
		mxs_why(why, "%s: cannot write: %s", path, strerror(errno));
		goto done;
	}
	fd = -1;
	failed |= fprintf(f, "%s\n", STATE_HEADER) < 0;
	if (st->theme)
		failed |= fprintf(f, "theme %s\n", st->theme) < 0;
	for (size_t i = 0; i < st->ndomains; i++)
		failed |= fprintf(f, "domain %s\n", st->domains[i]) < 0;
	failed |= fflush(f) != 0;
	failed |= fsync(fileno(f)) != 0;
	failed |= fclose(f) != 0;
	f = NULL;
	if (failed || rename(tmp, path) != 0) {
		mxs_why(why, "%s: cannot write: %s", path, strerror(errno));
		goto done;
	}
	tmp[0] = '\0';
	rc = MXS_OK;
done:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (rc != MXS_OK && tmp[0] && strstr(tmp, ".tmp-"))
		unlink(tmp);
	return rc;
}
