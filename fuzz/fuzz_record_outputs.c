/* fuzz/fuzz_record_outputs.c — a recording line from someone else through
 * to every output it can reach: the text report, the JSON line and the
 * --commands text. Whatever the line holds, the text and the commands never
 * carry a byte a terminal acts on (the terminal rule, core/text.h), the
 * JSON never a raw control (mx_json_dump), and every line of the commands
 * is a comment or starts with the tool it runs (the shell rule,
 * net/commands.c): a field cannot start a command of its own. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "record.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* C0 but '\n', DEL, C1 as UTF-8, the bidi controls, and a raw byte that
 * mx_sanitize_lines would have escaped (so: the text changed under it). */
static void no_controls(const char *s)
{
	char *again = mx_sanitize_lines(s, strlen(s));

	if (again && strcmp(again, s) != 0)
		__builtin_trap();
	free(again);
}

static void commands_shape(const char *s)
{
	static const char *const tools[] = {"dig ", "swaks ", "openssl ", "curl "};

	for (const char *p = s; *p;) {
		const char *nl = strchr(p, '\n');
		bool ok = *p == '#';
		for (size_t i = 0; !ok && i < sizeof(tools) / sizeof(tools[0]); i++)
			ok = strncmp(p, tools[i], strlen(tools[i])) == 0;
		if (!ok)
			__builtin_trap();
		if (!nl)
			break;
		p = nl + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mx_domain *d = NULL;
	rec_meta m = {0};
	char *why = NULL, *text = NULL, *json = NULL, *cmds = NULL;
	mx_report_opts ro = {0};
	commands_opts co = {0};

	if (rec_parse((const char *)data, size, &d, &m, &why) != MXS_OK)
		goto done;
	co.resolver = m.resolver;
	co.ehlo_name = m.ehlo;
	co.smtp_port = m.smtp_port > 0 ? m.smtp_port : 25;
	co.timeout_ms = m.timeout_ms;
	co.dane = m.dane;
	if ((text = mx_report_text(d, &ro)))
		no_controls(text);
	if ((json = rec_line(d, m.present ? &m : NULL)))
		no_controls(json); /* one line: not even a newline */
	if (json && strchr(json, '\n'))
		__builtin_trap();
	if ((cmds = commands_text(d, &co))) {
		no_controls(cmds);
		commands_shape(cmds);
	}
done:
	free(why);
	free(text);
	free(json);
	free(cmds);
	mx_domain_free(d);
	rec_meta_clear(&m);
	return 0;
}
