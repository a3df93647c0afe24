/* tui/doc.c — pulling one finding's section out of the embedded findings.md. */
#include "tui_doc.h"

#include <stdlib.h>
#include <string.h>

char *tui_doc_finding(const char *code)
{
	const char *p = tui_findings_md, *start = NULL, *end;
	size_t clen = strlen(code);
	char *out;

	/* a heading is "## code" alone on its line */
	while ((p = strstr(p, "## ")) != NULL) {
		if ((p == tui_findings_md || p[-1] == '\n') && strncmp(p + 3, code, clen) == 0 &&
		    (p[3 + clen] == '\n' || p[3 + clen] == '\0')) {
			start = p;
			break;
		}
		p += 3;
	}
	if (!start)
		return NULL;
	end = strstr(start + 3, "\n## ");
	end = end ? end + 1 : start + strlen(start);
	while (end > start && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	out = malloc((size_t)(end - start) + 1);
	if (!out)
		return NULL;
	memcpy(out, start, (size_t)(end - start));
	out[end - start] = '\0';
	return out;
}
