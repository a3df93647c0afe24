/* src/conffile.c — reading the config file (conffile.h). The file is read
 * once: the lines that are ours (set, bind, unbind) are taken out and the
 * rest, with those lines blanked so line numbers stay true, goes to the
 * blocklist providers' reader. */
#include "conffile.h"

#include <stdlib.h>
#include <string.h>

#include "bl.h"
#include "cli.h"
#include "opts.h"
#include "tui_keymap.h"

struct conffile {
	char *path;
	char *text; /* the providers' part: our lines blanked */
	size_t len;
	unsigned mode;
	char *words;      /* a copy of the file, cut into the words our lines hold */
	tui_keymap *keys; /* the defaults with the bind and unbind lines applied */
};

void conffile_free(conffile *cf)
{
	if (!cf)
		return;
	bl_config_wipe(cf->text, cf->len);
	bl_config_wipe(cf->words, cf->len);
	tui_keymap_free(cf->keys);
	free(cf->path);
	free(cf);
}

/* Cuts the next blank-separated word off *s; NULL at the end. */
static char *word(char **s)
{
	char *w = *s + strspn(*s, " \t\r");

	if (!*w)
		return NULL;
	*s = w + strcspn(w, " \t\r");
	if (**s)
		*(*s)++ = '\0';
	return w;
}

typedef enum { LINE_OTHER, LINE_SET, LINE_BIND, LINE_UNBIND } line_kind;

/* One of our lines: the first word is set, bind or unbind and the line is
 * not a provider's "key = value" (a provider has no key of those names,
 * but "set = x" must still be the providers' reader's to refuse). */
static line_kind kind_of(const char *line)
{
	static const struct {
		const char *word;
		line_kind kind;
	} kinds[] = {{"set", LINE_SET}, {"bind", LINE_BIND}, {"unbind", LINE_UNBIND}};
	const char *s = line + strspn(line, " \t");
	size_t n = strcspn(s, " \t\r=");

	if (strchr(s, '='))
		return LINE_OTHER;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].word) == n && strncmp(s, kinds[i].word, n) == 0)
			return kinds[i].kind;
	return LINE_OTHER;
}

/* A line of ours, cut into words in place. Returns 0 or 2 (printed). */
static int take_line(conffile *cf, settings *st, char *line, line_kind k, unsigned long no)
{
	char *rest = line, *w[4] = {0}, *why = NULL;
	size_t n = 0, want = k == LINE_SET ? 3 : k == LINE_BIND ? 3 : 2;
	int code = 0;

	/* "set timeout 3   # why": a comment may end the line */
	for (char *h = strchr(line, '#'); h; h = strchr(h + 1, '#'))
		if (h > line && (h[-1] == ' ' || h[-1] == '\t')) {
			*h = '\0';
			break;
		}
	while (n < 4 && (w[n] = word(&rest)))
		n++;
	if (n != want) {
		cli_error("%s:%lu: expected %s", cf->path, no,
		          k == LINE_SET    ? "set OPTION VALUE"
		          : k == LINE_BIND ? "bind KEY ACTION"
		                           : "unbind KEY");
		return 2;
	}
	if (k == LINE_SET) {
		if (opts_set(st, w[1], w[2], &why) != MXS_OK) {
			cli_error("%s:%lu: %s", cf->path, no, why);
			code = 2;
		}
		free(why);
		return code;
	}
	/* checked now, so a bad line stops every command, not only the
	 * explorer, and names its line */
	if (!cf->keys && !(cf->keys = tui_keymap_new())) {
		cli_error("out of memory");
		return 3;
	}
	if ((k == LINE_BIND ? tui_keymap_bind(cf->keys, w[1], w[2], &why)
	                    : tui_keymap_unbind(cf->keys, w[1], &why)) != MXS_OK) {
		cli_error("%s:%lu: %s: %s", cf->path, no, k == LINE_BIND ? "bind" : "unbind", why);
		code = 2;
	}
	free(why);
	return code;
}

int conffile_load(const char *path, settings *st, conffile **out)
{
	conffile *cf = calloc(1, sizeof(*cf));
	char *why = NULL, *line, *next;
	unsigned long no = 1;
	int code = 0;

	*out = NULL;
	if (!cf || !(cf->path = path ? strdup(path) : bl_config_default_path())) {
		/* no default path (no HOME, no XDG_CONFIG_HOME): no file */
		code = cf && !path ? 0 : 3;
		if (code)
			cli_error("out of memory");
		goto done;
	}
	if (bl_config_read(cf->path, path != NULL, &cf->text, &cf->len, &cf->mode, &why) !=
	    MXS_OK) {
		cli_error("--config %s", why ? why : "cannot be read");
		code = 2;
		goto done;
	}
	if (!cf->text)
		goto done; /* the default file is not there: nothing to read */
	if (!(cf->words = malloc(cf->len + 1))) {
		cli_error("out of memory");
		code = 3;
		goto done;
	}
	memcpy(cf->words, cf->text, cf->len + 1);
	for (line = cf->words; line; line = next, no++) {
		char *nl = strchr(line, '\n');
		size_t off = (size_t)(line - cf->words);
		line_kind k;
		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		k = kind_of(line);
		if (k == LINE_OTHER)
			continue;
		/* the providers' reader sees an empty line here */
		memset(cf->text + off, ' ', strlen(line));
		if ((code = take_line(cf, st, line, k, no)) != 0)
			goto done;
	}
done:
	if (code || !cf || !cf->text) {
		conffile_free(cf);
		cf = NULL;
	}
	*out = cf;
	free(why);
	return code;
}

mxs_status conffile_blocklists(const conffile *cf, blr_config *c, char **warning, char **why)
{
	if (!cf)
		return MXS_OK;
	return bl_config_parse_text(c, cf->path, cf->text, cf->mode, warning, why);
}

const char *conffile_path(const conffile *cf)
{
	return cf ? cf->path : NULL;
}

const tui_keymap *conffile_keys(const conffile *cf)
{
	return cf ? cf->keys : NULL;
}
