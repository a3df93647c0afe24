/* src/doctorcmd.c — `mxscope doctor`: the command line of net/doctor.h.
 * Reads HOST[:PORT] into the checks' config, runs them, and prints the
 * three findings in a fixed order (resolver, port, IPv6) whatever order
 * they finished in, in columns: what, verdict, text. */
#include "doctorcmd.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "name.h"
#include "num.h"

#define FINDING_TEXT_MAX 700

typedef struct finding {
	bool seen, ok;
	char text[FINDING_TEXT_MAX];
} finding;

typedef struct target {
	char host[256];
	int port;
} target;

static void on_finding(doctor_what what, bool ok, const char *text, void *arg)
{
	finding *f = (finding *)arg + what;

	f->seen = true;
	f->ok = ok;
	snprintf(f->text, sizeof(f->text), "%s", text);
}

/* "HOST", "HOST:PORT", "[V6]:PORT" or a bare IPv6 address. */
static bool parse_target(target *t, const char *spec, int default_port)
{
	const char *colon = strrchr(spec, ':'), *port_s = NULL;
	unsigned char bin[16];
	unsigned long port = (unsigned long)default_port;
	size_t len;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');
		if (!end || (end[1] && end[1] != ':'))
			return false;
		len = (size_t)(end - spec - 1);
		port_s = end[1] ? end + 2 : NULL;
		spec++;
	} else if (colon && strchr(spec, ':') == colon) {
		len = (size_t)(colon - spec);
		port_s = colon + 1;
	} else {
		len = strlen(spec);
	}
	if (len == 0 || len >= sizeof(t->host))
		return false;
	memcpy(t->host, spec, len);
	t->host[len] = '\0';
	if (port_s && (!mx_num_parse(port_s, 65535, &port) || port == 0))
		return false;
	t->port = (int)port;
	if (inet_pton(AF_INET, t->host, bin) == 1 || inet_pton(AF_INET6, t->host, bin) == 1)
		return true;
	return mx_name_is_host(t->host, strlen(t->host));
}

/* "resolver   ok    ...": the check, its verdict, the text. A resolver or
 * port that fails is a FAIL; no IPv6 is only a "no": IPv4 still works. */
static void print_finding(const char *label, const finding *f, const char *no_word)
{
	printf("%-10s %-5s %s\n", label, f->ok ? "ok" : no_word, f->seen ? f->text : "not checked");
}

int doctorcmd_run(const cli_opts *o)
{
	finding f[DOCTOR_IPV6 + 1] = {0};
	target t = {.port = 0};
	doctor_config c = {.servers = o->set.servers,
	                   .nservers = o->set.nservers,
	                   .timeout_ms = o->set.timeout_ms};
	char *why = NULL, label[16];
	mxs_status st;

	if (o->nargs == 1) {
		if (!parse_target(&t, o->args[0], o->set.smtp_port > 0 ? o->set.smtp_port : 25)) {
			cli_error(
			    "doctor: \"%.80s\" is not HOST[:PORT] (a host name or an address, "
			    "a port from 1 to 65535)",
			    o->args[0]);
			return 2;
		}
		c.host = t.host;
		c.port = t.port;
	}
	st = doctor_run(&c, on_finding, f, &why);
	if (st != MXS_OK) {
		cli_error("%s", why ? why : mxs_str(st));
		free(why);
		return st == MXS_ERR_INVALID ? 2 : 3;
	}
	print_finding("resolver", &f[DOCTOR_RESOLVER], "FAIL");
	if (c.host) {
		snprintf(label, sizeof(label), "port %d", t.port);
		print_finding(label, &f[DOCTOR_PORT], "FAIL");
	} else {
		printf(
		    "port 25    skip  name a mail host to test it: mxscope doctor HOST[:PORT]\n");
	}
	print_finding("ipv6", &f[DOCTOR_IPV6], "no");
	return !f[DOCTOR_RESOLVER].ok || (c.host && !f[DOCTOR_PORT].ok) ? 1 : 0;
}
