/* core/addr.c — classifying textual IP addresses: family, canonical text,
 * loopback, and the special-purpose ranges of RFC 6890. Tables, not chains
 * of comparisons, so a range is added in one line. */
#include "addr.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* Longest name mx_is_ip_literal looks at: a literal is never longer. */
#define LITERAL_MAX 64

int mx_ip_family(const char *ip)
{
	unsigned char bin[16];

	if (!ip)
		return 0;
	if (inet_pton(AF_INET, ip, bin) == 1)
		return 4;
	if (inet_pton(AF_INET6, ip, bin) == 1)
		return 6;
	return 0;
}

int mx_ip_canonical(const char *ip, char *out, size_t cap)
{
	unsigned char bin[16];
	int fam = mx_ip_family(ip);

	if (cap)
		out[0] = '\0';
	if (!fam || !cap)
		return 0;
	inet_pton(fam == 4 ? AF_INET : AF_INET6, ip, bin);
	if (!inet_ntop(fam == 4 ? AF_INET : AF_INET6, bin, out, (socklen_t)cap)) {
		out[0] = '\0';
		return 0;
	}
	return fam;
}

bool mx_is_ip_literal(const char *name)
{
	char buf[LITERAL_MAX];
	unsigned char bin[16];
	size_t n = strlen(name);

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, name, n + 1);
	if (n && buf[n - 1] == '.')
		buf[--n] = '\0';
	if (n >= 2 && buf[0] == '[' && buf[n - 1] == ']') {
		buf[n - 1] = '\0';
		memmove(buf, buf + 1, n - 1);
		if (strncasecmp(buf, "ipv6:", 5) == 0)
			memmove(buf, buf + 5, strlen(buf + 5) + 1);
	}
	return inet_pton(AF_INET, buf, bin) == 1 || inet_pton(AF_INET6, buf, bin) == 1;
}

/* Why an address is not reachable from the Internet (RFC 6890), or NULL. */
static const char *v4_special(const unsigned char a[4], bool allow_loopback)
{
	static const struct {
		unsigned char net[4];
		int bits;
		const char *why;
	} r[] = {
	    {{0, 0, 0, 0}, 8, "\"this network\" (RFC 1122)"},
	    {{10, 0, 0, 0}, 8, "private (RFC 1918)"},
	    {{100, 64, 0, 0}, 10, "shared carrier-grade NAT space (RFC 6598)"},
	    {{127, 0, 0, 0}, 8, "loopback (RFC 1122)"},
	    {{169, 254, 0, 0}, 16, "link-local (RFC 3927)"},
	    {{172, 16, 0, 0}, 12, "private (RFC 1918)"},
	    {{192, 0, 0, 0}, 24, "IETF protocol assignments (RFC 6890)"},
	    {{192, 0, 2, 0}, 24, "documentation (RFC 5737)"},
	    {{192, 168, 0, 0}, 16, "private (RFC 1918)"},
	    {{198, 18, 0, 0}, 15, "benchmarking (RFC 2544)"},
	    {{198, 51, 100, 0}, 24, "documentation (RFC 5737)"},
	    {{203, 0, 113, 0}, 24, "documentation (RFC 5737)"},
	    {{224, 0, 0, 0}, 4, "multicast (RFC 5771)"},
	    {{240, 0, 0, 0}, 4, "reserved (RFC 1112)"},
	};
	uint32_t ip = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		uint32_t net = (uint32_t)r[i].net[0] << 24 | (uint32_t)r[i].net[1] << 16 |
		               (uint32_t)r[i].net[2] << 8 | r[i].net[3];
		uint32_t mask = 0xffffffffu << (32 - r[i].bits);
		if ((ip & mask) == net) {
			if (allow_loopback && r[i].net[0] == 127)
				return NULL;
			return r[i].why;
		}
	}
	return NULL;
}

static const char *v6_special(const unsigned char a[16], bool allow_loopback)
{
	static const unsigned char zero[16];
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (memcmp(a, zero, 15) == 0 && a[15] == 1)
		return allow_loopback ? NULL : "loopback (RFC 4291)";
	if (memcmp(a, zero, 16) == 0)
		return "unspecified (RFC 4291)";
	if (memcmp(a, mapped, 12) == 0)
		return v4_special(a + 12, allow_loopback);
	if ((a[0] & 0xfe) == 0xfc)
		return "unique local (RFC 4193)";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return "link-local (RFC 4291)";
	if (a[0] == 0xff)
		return "multicast (RFC 4291)";
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
		return "documentation (RFC 3849)";
	if (a[0] == 0x01 && a[1] == 0 && memcmp(a + 2, zero, 6) == 0)
		return "discard-only (RFC 6666)";
	return NULL;
}

const char *mx_ip_non_public_why(const char *ip, bool allow_loopback)
{
	unsigned char bin[16];

	if (inet_pton(AF_INET, ip, bin) == 1)
		return v4_special(bin, allow_loopback);
	if (inet_pton(AF_INET6, ip, bin) == 1)
		return v6_special(bin, allow_loopback);
	return "not an address";
}

bool mx_ip_is_loopback(const char *ip)
{
	static const unsigned char one[16] = {[15] = 1};
	unsigned char b[16];

	if (inet_pton(AF_INET, ip, b) == 1)
		return b[0] == 127;
	return inet_pton(AF_INET6, ip, b) == 1 && memcmp(b, one, 16) == 0;
}

bool mx_ip_is_non_public(const char *ip, bool allow_loopback)
{
	return mx_ip_non_public_why(ip, allow_loopback) != NULL;
}
