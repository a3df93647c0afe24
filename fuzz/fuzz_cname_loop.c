/* fuzz/fuzz_cname_loop.c — an A/AAAA answer from an untrusted server, read
 * the way net/dns.c reads it for CNAME loops (dns_cname_loop): the alias
 * chain from the asked name, bounded, and a loop said only when a name
 * comes back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *chain = (char *)data; /* must be replaced by NULL or a string */

	if (dns_cname_loop(data, size, "mail.loop.lab.test", &chain)) {
		/* a loop starts at the asked name and has at least one arrow */
		if (!chain || strncmp(chain, "mail.loop.lab.test -> ", 22) != 0)
			__builtin_trap();
	} else if (chain) {
		__builtin_trap();
	}
	free(chain);
	return 0;
}
