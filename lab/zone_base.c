/* lab/zone_base.c — the zone-file reader's primitives that the directives
 * (scenario.c, sts.c) and the trainer's live changes (world_live.c) share:
 * messages naming ORIGIN:LINE, names to wire format, TTLs, and adding one
 * record to a load with the checks every record gets. The bottom of the
 * reader: it calls the world (world.c) and core only, never the reader
 * (zone.c) or a directive, so the files that call it are layered one way:
 * world.c < zone_base.c < scenario.c, sts.c < zone.c, world_live.c. */
#include "zone_internal.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages and names ----------------------------------------------- */

const char *lab_zone_show(char *buf, size_t bufsz, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 8 < bufsz; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 12 >= bufsz || i >= 60) {
			strcpy(buf + o, "...");
			return buf;
		}
		if (c < 0x20 || c == 0x7f)
			o += (size_t)sprintf(buf + o, "\\%03u", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

mxs_status lab_zone_err(struct parser *p, mxs_status st, int line, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return MXS_ERR_NOMEM;
	mxs_why(p->why, "%s:%d: %s", p->origin_label, line, msg);
	free(msg);
	return st;
}

mxs_status lab_zone_nomem(struct parser *p)
{
	mxs_why(p->why, "%s: out of memory", p->origin_label);
	return MXS_ERR_NOMEM;
}

/* Text to lower-cased wire format, relative names completed with the current
 * origin. err gets a short description on failure. */
int lab_zone_name(const struct parser *p, const char *s, size_t len, uint8_t out[256],
                  size_t *outlen, const char **err)
{
	size_t o = 0;
	size_t i = 0;
	int absolute = 0;

	if (len == 1 && s[0] == '@') {
		if (p->originlen == 0) {
			*err = "\"@\" used before any $ORIGIN";
			return -1;
		}
		memcpy(out, p->origin, p->originlen);
		*outlen = p->originlen;
		return 0;
	}
	if (len == 0) {
		*err = "an empty name";
		return -1;
	}
	if (len == 1 && s[0] == '.') {
		out[0] = 0;
		*outlen = 1;
		return 0;
	}
	while (i < len) {
		size_t lstart = o++;
		size_t ll = 0;

		if (o >= 255) {
			*err = "a name longer than 255 bytes";
			return -1;
		}
		while (i < len && s[i] != '.') {
			unsigned c = (unsigned char)s[i++];

			if (c == '\\') {
				if (i >= len) {
					*err = "a name ending in a backslash";
					return -1;
				}
				if (s[i] >= '0' && s[i] <= '9') {
					if (i + 2 >= len || s[i + 1] < '0' || s[i + 1] > '9' ||
					    s[i + 2] < '0' || s[i + 2] > '9') {
						*err = "a bad \\DDD escape in a name (three "
						       "digits, 000-255)";
						return -1;
					}
					c = (unsigned)(s[i] - '0') * 100 +
					    (unsigned)(s[i + 1] - '0') * 10 +
					    (unsigned)(s[i + 2] - '0');
					if (c > 255) {
						*err = "a \\DDD escape above 255 in a name";
						return -1;
					}
					i += 3;
				} else {
					c = (unsigned char)s[i++];
				}
			}
			if (++ll > 63) {
				*err = "a label longer than 63 bytes";
				return -1;
			}
			if (o >= 255) {
				*err = "a name longer than 255 bytes";
				return -1;
			}
			out[o++] = lab_name_lower((uint8_t)c);
		}
		if (ll == 0) {
			*err = "an empty label (two dots in a row?)";
			return -1;
		}
		out[lstart] = (uint8_t)ll;
		if (i < len) { /* at a dot */
			i++;
			if (i == len)
				absolute = 1;
		}
	}
	if (absolute) {
		if (o + 1 > 255) {
			*err = "a name longer than 255 bytes";
			return -1;
		}
		out[o++] = 0;
	} else {
		if (p->originlen == 0) {
			*err = "a relative name (no final dot) before any $ORIGIN";
			return -1;
		}
		if (o + p->originlen > 255) {
			*err = "a name longer than 255 bytes once the origin is added";
			return -1;
		}
		memcpy(out + o, p->origin, p->originlen);
		o += p->originlen;
	}
	*outlen = o;
	return 0;
}

/* Seconds, or BIND-style units ("1h30m"). */
int lab_zone_ttl(const char *s, size_t len, uint32_t *v)
{
	uint64_t total = 0, cur = 0;
	int digits = 0, units = 0;

	if (len == 0 || len > 32)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		uint64_t mul = 0;

		if (c >= '0' && c <= '9') {
			cur = cur * 10 + (uint64_t)(c - '0');
			digits++;
			if (cur > LAB_MAX_TTL)
				return -1;
			continue;
		}
		switch (c | 0x20) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		case 'w': mul = 604800; break;
		default: return -1;
		}
		if (digits == 0)
			return -1;
		total += cur * mul;
		cur = 0;
		digits = 0;
		units++;
		if (total > LAB_MAX_TTL)
			return -1;
	}
	if (digits > 0 && units > 0)
		return -1; /* "1h30": a unit is missing */
	total += cur;
	if (total > LAB_MAX_TTL)
		return -1;
	*v = (uint32_t)total;
	return 0;
}

/* ---- records ---------------------------------------------------------- */

mxs_status lab_zone_add_rr(struct parser *p, const uint8_t *owner, size_t ownerlen, int line,
                           uint16_t type, uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	struct lab_node *n;
	struct lab_rr *r;
	char nb[4 * 256];

	if (p->w->nrr + p->frag.nrr >= p->w->max_records)
		return lab_zone_err(p, MXS_ERR_LIMIT, line, "more than %zu records in the lab",
		                    p->w->max_records);
	n = lab_world_node_get(&p->frag, owner, ownerlen, line);
	if (!n)
		return lab_zone_nomem(p);
	if (n->has_cname) {
		lab_name_to_text(owner, nb);
		return lab_zone_err(
		    p, MXS_ERR_INVALID, line,
		    "\"%s\" already has a CNAME, so it can have no other record (RFC 1034 §3.6.2)",
		    nb);
	}
	if (type == LAB_T_CNAME && n->rrs) {
		lab_name_to_text(owner, nb);
		return lab_zone_err(
		    p, MXS_ERR_INVALID, line,
		    "\"%s\" already has other records, so it cannot be a CNAME (RFC 1034 §3.6.2)",
		    nb);
	}
	r = malloc(sizeof(*r) + rdlen);
	if (!r)
		return lab_zone_nomem(p);
	r->next = NULL;
	r->ttl = ttl;
	r->type = type;
	r->rdlen = (uint16_t)rdlen;
	memcpy(r->rdata, rdata, rdlen);
	if (!n->rrs)
		n->line = line;
	*n->tail = r;
	n->tail = &r->next;
	p->frag.nrr++;
	if (type == LAB_T_CNAME)
		n->has_cname = 1;
	if (type == LAB_T_SOA) {
		n->has_soa = 1;
		p->nsoa++;
	}
	return MXS_OK;
}

int lab_zone_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}
