/* core/name.c — turning what a person typed into a name we can ask DNS about,
 * or saying exactly why it cannot be one. */
#include "name.h"

#include <ctype.h>
#include <idn2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAME_MAX_LEN  253
#define LABEL_MAX_LEN 63

static bool is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* Shows a label in a message without letting a long one swamp the line. */
static void label_preview(char *dst, size_t cap, const char *label, size_t len)
{
	size_t n = len < 20 ? len : 20;

	memcpy(dst, label, n < cap - 4 ? n : cap - 4);
	dst[n < cap - 4 ? n : cap - 4] = '\0';
	if (len > n)
		strcat(dst, "...");
}

static mxs_status check_ldh(const char *name, const char *shown, char **why)
{
	const char *label = name;
	size_t total = strlen(name);
	char prev[32];

	if (total > NAME_MAX_LEN) {
		mxs_why(why, "name \"%.40s...\" is %zu characters long; the limit is %d", shown,
		        total, NAME_MAX_LEN);
		return MXS_ERR_INVALID;
	}
	for (;;) {
		const char *dot = strchr(label, '.');
		size_t len = dot ? (size_t)(dot - label) : strlen(label);

		if (len == 0) {
			mxs_why(why, "name \"%s\" has an empty label", shown);
			return MXS_ERR_INVALID;
		}
		if (len > LABEL_MAX_LEN) {
			label_preview(prev, sizeof(prev), label, len);
			mxs_why(why,
			        "label \"%s\" in \"%.60s\" is %zu characters long; the limit is %d",
			        prev, shown, len, LABEL_MAX_LEN);
			return MXS_ERR_INVALID;
		}
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)label[i];
			if (!isalnum(c) && c != '-' && c != '_') {
				mxs_why(
				    why,
				    "name \"%.60s\" contains %s%c%s at position %zu; only letters, "
				    "digits, '-' and '_' may appear in a label",
				    shown, isprint(c) ? "'" : "", isprint(c) ? c : '?',
				    isprint(c) ? "'" : " (a control character)",
				    (size_t)(label - name) + i + 1);
				return MXS_ERR_INVALID;
			}
		}
		if (label[0] == '-' || label[len - 1] == '-') {
			label_preview(prev, sizeof(prev), label, len);
			mxs_why(why, "label \"%s\" in \"%.60s\" starts or ends with '-'", prev,
			        shown);
			return MXS_ERR_INVALID;
		}
		if (!dot)
			break;
		label = dot + 1;
	}
	return MXS_OK;
}

mxs_status mx_name_normalize(const char *in, char **out, char **why)
{
	mxs_status st = MXS_OK;
	char *trimmed = NULL, *ascii = NULL;
	size_t n;
	const char *s = in;

	*out = NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n > 1024) {
		mxs_why(why, "name is %zu bytes long; the limit is %d characters", n, NAME_MAX_LEN);
		return MXS_ERR_INVALID;
	}
	trimmed = strndup(s, n);
	if (!trimmed)
		return MXS_ERR_NOMEM;
	if (n == 0) {
		mxs_why(why, "empty domain name");
		st = MXS_ERR_INVALID;
		goto done;
	}
	if (n > 1 && trimmed[n - 1] == '.')
		trimmed[--n] = '\0';
	if (strcmp(trimmed, ".") == 0) {
		mxs_why(why, "\".\" is the DNS root, not a mail domain");
		st = MXS_ERR_INVALID;
		goto done;
	}
	if (!is_ascii(trimmed)) {
		int rc = idn2_to_ascii_8z(trimmed, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		if (rc != IDN2_OK) {
			/* The input may be invalid UTF-8 too: don't echo raw bytes. */
			mxs_why(why,
			        "cannot convert non-ASCII name to its A-label (punycode) form: %s",
			        idn2_strerror(rc));
			st = MXS_ERR_INVALID;
			goto done;
		}
	} else {
		ascii = strdup(trimmed);
		if (!ascii) {
			st = MXS_ERR_NOMEM;
			goto done;
		}
	}
	for (char *p = ascii; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	/* messages quote the name: never echo a control byte to the terminal */
	for (char *p = trimmed; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	st = check_ldh(ascii, is_ascii(trimmed) ? trimmed : ascii, why);
	if (st != MXS_OK)
		goto done;
	*out = ascii;
	ascii = NULL;
done:
	free(ascii);
	free(trimmed);
	return st;
}

int mx_name_cmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int c;

	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	c = strncasecmp(a, b, la < lb ? la : lb);
	if (c)
		return c;
	return la < lb ? -1 : la > lb;
}

bool mx_name_is_host(const char *s, size_t len)
{
	size_t label = 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)s[i] : '.';

		if (c == '.') {
			if (label == 0 || label > LABEL_MAX_LEN || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		/* ASCII only: isalnum() follows the locale, and the explorer sets one */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
		if (c == '-' && label == 0)
			return false;
		label++;
	}
	return true;
}
