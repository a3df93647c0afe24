/* tui/copy.c — copying out what the explorer shows: `y` puts the selected
 * address's SMTP transcript (or, elsewhere, the domain's text report) on
 * the terminal's clipboard with OSC 52, `s` saves the same text to a file
 * in the current directory; with the commands view on (c), both take the
 * commands the details pane shows. Network text is sanitised line by line first
 * (mx_sanitize), so nothing pasted later carries a terminal escape. */
#include "tui_app_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

#define COPY_MAX (1u << 20) /* OSC 52 payloads beyond this are refused by terminals */

/* RFC 4648 §4 base64 of len bytes into a new string; NULL without memory. */
static char *base64(const char *in, size_t len)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *u = (const unsigned char *)in;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)u[i] << 16 | (i + 1 < len ? (unsigned)u[i + 1] << 8 : 0) |
		             (i + 2 < len ? u[i + 2] : 0);
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = i + 1 < len ? tab[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* The selected address's transcript, sanitised line by line; NULL when the
 * cursor is not on an address with one. */
static char *transcript_text(tui_app *a, const tui_entry *e, char **what)
{
	size_t n = tui_rows(e, NULL, 0), cap, o = 0;
	tui_row *rows = n ? calloc(n, sizeof(*rows)) : NULL;
	const probe_result *p = NULL;
	const mx_host *h = NULL;
	char *out = NULL;

	if (!rows)
		return NULL;
	tui_rows(e, rows, n);
	if (a->m.focus != TUI_P_DOMAINS && a->m.sel_row < n &&
	    rows[a->m.sel_row].kind == TUI_ROW_ADDR) {
		h = mx_domain_host(e->d, rows[a->m.sel_row].host);
		p = h->addrs[rows[a->m.sel_row].addr].probe;
	}
	if (!p || !p->transcript)
		goto done;
	cap = strlen(p->transcript) * 4 + 256;
	if (!(out = malloc(cap)))
		goto done;
	o = (size_t)snprintf(out, cap, "SMTP transcript of %s (%s)\n", p->ip ? p->ip : "",
	                     h->exchange);
	for (const char *s = p->transcript; *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char *line = mx_sanitize_n(s, len);
		if (line && o + strlen(line) + 2 < cap)
			o += (size_t)snprintf(out + o, cap - o, "%s\n", line);
		free(line);
		s += len + (nl ? 1 : 0);
	}
	*what = "transcript";
done:
	free(rows);
	return out;
}

/* What y and s copy: the transcript under the cursor, else the report. */
static char *selected_text(tui_app *a, const char **what)
{
	tui_entry *e = tui_selected(&a->m);
	mx_report_opts ro = {.color = false, .ascii = a->m.ascii};
	char *t, *w = NULL;

	if (!e || !e->d)
		return NULL;
	if (a->m.cmds) {
		*what = "commands";
		return tui_cmdview_text(&a->m, e);
	}
	if ((t = transcript_text(a, e, &w))) {
		*what = w;
		return t;
	}
	*what = "report";
	return mx_report_text(e->d, &ro);
}

void tui_copy_out(tui_app *a, bool to_file)
{
	const char *what = "";
	char *text = selected_text(a, &what), *b64 = NULL;
	FILE *out = a->cfg.out ? a->cfg.out : stdout;

	if (!text) {
		tui_msg(&a->m, true, "%s: nothing to copy yet (no answer for the selected domain)",
		        to_file ? "s" : "y");
		return;
	}
	if (to_file) {
		char path[512];
		time_t t = time(NULL);
		struct tm tm;
		FILE *f;
		localtime_r(&t, &tm);
		snprintf(path, sizeof(path), "mxscope-%s-%s-%04d%02d%02d-%02d%02d%02d.txt",
		         tui_selected(&a->m)->name, what, tm.tm_year + 1900, tm.tm_mon + 1,
		         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		f = fopen(path, "wx");
		if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
			tui_msg(&a->m, true, "s: cannot write %s: %s", path, strerror(errno));
			if (f)
				remove(path);
		} else {
			tui_msg(&a->m, false, "s: %s saved to %s", what, path);
			tui_log(&a->m, "%s saved to %s", what, path);
		}
		free(text);
		return;
	}
	if (strlen(text) > COPY_MAX || !(b64 = base64(text, strlen(text)))) {
		tui_msg(&a->m, true, "y: the %s is too large for the clipboard; s saves it", what);
		free(text);
		return;
	}
	/* OSC 52: the terminal (or tmux with set-clipboard) takes it; it moves
	 * no cursor, so ncurses' idea of the screen stays right */
	fprintf(out, "\033]52;c;%s\a", b64);
	fflush(out);
	tui_msg(&a->m, false, "y: %s copied to the clipboard (OSC 52, %zu bytes)", what,
	        strlen(text));
	free(b64);
	free(text);
}
