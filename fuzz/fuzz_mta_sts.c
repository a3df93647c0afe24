/* fuzz/fuzz_mta_sts.c — libFuzzer target: an MTA-STS policy body and a
 * _mta-sts TXT record are network bytes (core/policy.c). Neither parser may
 * crash or hang; a policy it accepts must keep its promises: a mode it
 * knows, max_age in range, at most POLICY_MX_MAX patterns, each one a host
 * name or "*." and one, lower-case, matching itself; an error always has a
 * reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *why = NULL, *id = NULL, *txt;
	policy_sts *p = policy_parse((const char *)data, size, &why), *d;

	if (!p && !why)
		abort();
	if (p) {
		if (p->mode > POLICY_MODE_ENFORCE || p->max_age > POLICY_MAX_AGE_MAX ||
		    p->nmx > POLICY_MX_MAX || (p->mode != POLICY_MODE_NONE && p->nmx == 0))
			abort();
		for (size_t i = 0; i < p->nmx; i++) {
			const char *host = p->mx[i][0] == '*' ? p->mx[i] + 2 : p->mx[i];
			for (const char *c = p->mx[i]; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					abort();
			if (p->mx[i][0] != '*' && !policy_mx_matches(p->mx[i], host))
				abort();
		}
		d = policy_dup(p);
		if (d && d->nmx != p->nmx)
			abort();
		policy_free(d);
	}
	policy_free(p);
	free(why);
	why = NULL;
	txt = malloc(size + 1);
	if (!txt)
		return 0;
	memcpy(txt, data, size);
	txt[size] = '\0';
	if (policy_txt_parse(txt, &id, &why)) {
		if (!id || strlen(id) == 0 || strlen(id) > 32)
			abort();
	} else if (!why || id) {
		abort();
	}
	free(id);
	free(why);
	free(txt);
	return 0;
}
