/* fuzz/fuzz_url_rule.c — the blocklist URL rule (net/bl.h bl_url_check) on
 * any string. Whatever it accepts must, read again by libcurl's URL API (the
 * parser that makes the request), be https, or http to a loopback host, and
 * carry no user or password part; nor may the authority as written hold an
 * '@' or a '\' that some other parser could read as one. */
#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bl.h"
#include "addr.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return 0;
}

static void must_hold(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL, *pass = NULL;
	const char *auth = strchr(url, ':');
	size_t alen;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		__builtin_trap();
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK)
		__builtin_trap();
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		__builtin_trap();
	if (strcmp(scheme, "http") == 0) {
		size_t hl = strlen(host);
		if (hl > 2 && host[0] == '[') {
			host[hl - 1] = '\0';
			if (!mx_ip_is_loopback(host + 1))
				__builtin_trap();
		} else if (strcasecmp(host, "localhost") != 0 && !mx_ip_is_loopback(host)) {
			__builtin_trap();
		}
	} else if (strcmp(scheme, "https") != 0) {
		__builtin_trap();
	}
	if (auth) {
		/* the authority as written: after "scheme:" and its slashes */
		auth += strspn(auth + 1, "/") + 1;
		alen = strcspn(auth, "/?#");
		if (memchr(auth, '@', alen) || strchr(url, '\\'))
			__builtin_trap();
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(pass);
	curl_url_cleanup(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url = malloc(size + 1), *why = NULL;

	if (!url)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0'; /* a NUL inside ends the string, as it would in a config line */
	if (bl_url_check(url, &why) == MXS_OK) {
		if (why)
			__builtin_trap();
		must_hold(url);
	} else if (!why || strchr(why, '\n')) {
		__builtin_trap(); /* a refusal always says why, in one line */
	}
	free(why);
	free(url);
	return 0;
}
