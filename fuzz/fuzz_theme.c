/* fuzz/fuzz_theme.c — libFuzzer target: theme files come from users' config
 * directories and --theme FILE; theme_parse must not crash or read past the
 * text, and an error must always come with a message naming the origin. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "theme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *why = NULL;
	theme *t;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	t = theme_parse("fuzz.theme", s, &why);
	if (!t && (!why || strncmp(why, "fuzz.theme:", 11) != 0))
		abort();
	for (int r = 0; t && r < THEME_ROLE_COUNT; r++)
		(void)theme_attr(t, (theme_role)r); /* no screen: the mono path */
	for (const char *p = why; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort(); /* messages go to the screen: no control bytes */
	theme_free(t);
	free(why);
	free(s);
	return 0;
}
