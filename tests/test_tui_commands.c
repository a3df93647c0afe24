/* tests/test_tui_commands.c — the explorer's commands view on a
 * virtual terminal against the in-process lab: `c` shows the selected
 * domain's questions as commands (a dig line naming the lab's resolver and
 * port), the selected address's probe as a swaks line, and `y` puts
 * exactly the shown commands on the clipboard with OSC 52. */
#include "test_tui_fixture.h"

#include <stdlib.h>

/* RFC 4648 base64 decoded (the test's own decoder: the app's encoder is
 * what is under test); NULL on a character outside the alphabet. */
static char *unb64(const char *in)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(in), o = 0;
	char *out = calloc(1, len / 4 * 3 + 4);
	unsigned v = 0, bits = 0;

	assert_non_null(out);
	for (size_t i = 0; i < len && in[i] != '='; i++) {
		const char *p = strchr(tab, in[i]);
		if (!p || !in[i]) {
			free(out);
			return NULL;
		}
		v = v << 6 | (unsigned)(p - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(v >> bits & 0xff);
		}
	}
	return out;
}

static char *read_all(FILE *f)
{
	long n;
	char *buf;

	fflush(f);
	n = ftell(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	rewind(f);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	return buf;
}

static void test_commands_view_and_copy(void **state)
{
	fixture *f = *state;
	const char *const sc[] = {"single"};
	tui_config c = base_config(f, 140, 40);
	char path[256], dig[200], line[220], *scr, *buf, *osc, *end, *payload, *text;
	const char *port = strrchr(f->server, ':') + 1;
	FILE *out;

	snprintf(path, sizeof(path), "%s/terminal", f->dir);
	out = fopen(path, "w+");
	assert_non_null(out);
	c.out = out;
	start(f, &c, sc, 1);
	snprintf(dig, sizeof(dig), "dig @127.0.0.1 -p %s single.lab.test MX +adflag", port);

	scr = screen(f);
	assert_lacks(scr, dig); /* not shown before c */
	free(scr);
	key(f, 'c');
	scr = screen(f);
	assert_has(scr, "Commands");
	assert_has(scr, dig);
	free(scr);

	/* y copies what the pane shows: the domain's commands, base64 in OSC 52 */
	key(f, 'y');
	assert_non_null(strstr(tui_app_message(f->app), "commands copied"));
	buf = read_all(out);
	osc = strstr(buf, "\033]52;c;");
	assert_non_null(osc);
	payload = osc + 7;
	end = strchr(payload, '\a');
	assert_non_null(end);
	*end = '\0';
	text = unb64(payload);
	assert_non_null(text);
	/* the whole domain's commands, the MX question first, the dig line whole */
	assert_int_equal(strncmp(text, "# single.lab.test: the MX question", 34), 0);
	snprintf(line, sizeof(line), "\n%s\n", dig);
	assert_non_null(strstr(text, line));
	assert_non_null(strstr(text, "\nswaks --server 127.0."));
	free(text);
	free(buf);

	/* on an address: its probe as a swaks line; c again: the details are back */
	keys(f, "\tjj");
	scr = screen(f);
	assert_has(scr, "swaks --server 127.0.");
	assert_lacks(scr, dig);
	free(scr);
	key(f, 'c');
	scr = screen(f);
	assert_lacks(scr, "swaks --server");
	free(scr);

	tf_stop(f);
	fclose(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    tf_test(test_commands_view_and_copy),
	};

	return tf_run(tests);
}
