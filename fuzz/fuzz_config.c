/* fuzz/fuzz_config.c — libFuzzer target: the blocklist config parser reads a
 * file a user wrote (or was handed). It must never crash, and what it says
 * back must never carry the key it was given. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blocklist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fake_env(const char *name, void *arg)
{
	(void)name;
	(void)arg;
	return "SECRETKEY-from-env";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *why = NULL, *warning = NULL;
	blr_config *c = blr_config_new();

	if (!text || !c)
		goto done;
	memcpy(text, data, size);
	text[size] = '\0';
	blr_config_parse(c, "fuzz.conf", text, 0644, fake_env, NULL, &warning, &why);
	/* the environment's key may be named, never shown (unless the file
	 * itself holds the same text, which a message may quote) */
	if (!strstr(text, "SECRETKEY-from-env") &&
	    ((why && strstr(why, "SECRETKEY-from-env")) ||
	     (warning && strstr(warning, "SECRETKEY-from-env"))))
		abort();
done:
	free(why);
	free(warning);
	blr_config_free(c);
	free(text);
	return 0;
}
