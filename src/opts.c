/* src/opts.c — the options table and everything made from it (opts.h). */
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "num.h"
#include "mta.h"
#include "sender.h"

/* The sections of --help, in the order printed. */
enum { SEC_COMMON, SEC_EXPLORER, SEC_LAB, SEC_RECORD, SEC_DNS, SEC_COUNT };

static const char *const section_title[SEC_COUNT] = {"Options", "Explorer options", "Lab options",
                                                     "Recordings (docs/replay.md)",
                                                     "DNS beside the walk"};

/* A value from the command line or the config file into its field (val is
 * NULL for a flag on the command line). false with what was expected
 * ("expected a port from 0 to 65535") in err. */
typedef bool (*opts_parse_fn)(const opts_entry *e, settings *st, const char *val, char *err,
                              size_t cap);

struct opts_entry {
	const char *name;  /* long name without "--"; NULL for short-only (-4) */
	int short_name;    /* 's', or 0 */
	const char *arg;   /* the argument's name, NULL for a flag */
	const char *dflt;  /* default, parsed into the field by opts_defaults */
	unsigned commands; /* OPTS_ bits of the commands that take it */
	int section;       /* SEC_ */
	size_t field;      /* offsetof(settings, ...) */
	size_t count;      /* lists: offsetof the count; numbers: unused */
	opts_parse_fn parse;
	unsigned long lo, hi; /* numbers, lists (hi = most entries) */
	const char *help;     /* lines separated by '\n' */
	opts_action action;   /* --help, --version */
	bool no_set;          /* not for the config file's `set` (help, config) */
};

#define F(x)  offsetof(settings, x)
#define SCAN  (OPTS_EXPLORE | OPTS_CHECK | OPTS_LAB | OPTS_EXPLAIN)
#define SHOW  (OPTS_EXPLORE | OPTS_CHECK | OPTS_LAB | OPTS_REPLAY | OPTS_EXPLAIN)
#define PRINT (SHOW | OPTS_DIFF)

static bool p_flag(const opts_entry *e, settings *st, const char *val, char *err, size_t cap);
static bool p_unflag(const opts_entry *e, settings *st, const char *val, char *err, size_t cap);
static bool p_string(const opts_entry *e, settings *st, const char *val, char *err, size_t cap);
static bool p_list(const opts_entry *e, settings *st, const char *val, char *err, size_t cap);
static bool p_uint(const opts_entry *e, settings *st, const char *val, char *err, size_t cap);
static bool p_port(const opts_entry *e, settings *st, const char *val, char *err, size_t cap);
static bool p_ms(const opts_entry *e, settings *st, const char *val, char *err, size_t cap);
static bool p_seed(const opts_entry *e, settings *st, const char *val, char *err, size_t cap);
static bool p_family(const opts_entry *e, settings *st, const char *val, char *err, size_t cap);
static bool p_sender(const opts_entry *e, settings *st, const char *val, char *err, size_t cap);
static bool p_rcpt(const opts_entry *e, settings *st, const char *val, char *err, size_t cap);
static bool p_shard(const opts_entry *e, settings *st, const char *val, char *err, size_t cap);
static bool p_mta(const opts_entry *e, settings *st, const char *val, char *err, size_t cap);
static bool p_mta_config(const opts_entry *e, settings *st, const char *val, char *err, size_t cap);

static const opts_entry table[] = {
    {"server", 's', "HOST[:PORT]", NULL, SCAN | OPTS_DOCTOR, SEC_COMMON, F(servers), F(nservers),
     p_list, 0, SETTINGS_MAX_SERVERS,
     "DNS server to ask (IP address; repeatable, up to 8;\ndefault: the system resolver)",
     .no_set = false},
    {"file", 'f', "FILE|-", NULL, OPTS_CHECK | OPTS_EXPLORE, SEC_COMMON, F(file), 0, p_string, 0, 0,
     "read domains from FILE or stdin, one a line; blank\nlines and '#' comments are "
     "ignored, junk lines\nare reported with file and line",
     .no_set = true},
    {"shard", 0, "K/N", NULL, OPTS_CHECK, SEC_COMMON, F(shard_k), 0, p_shard, 1, 1000000,
     "check only the domains of shard K of N (1 <= K\n<= N): a stable hash of each name "
     "picks its\nshard, so N runs with the same list and --seed\nsplit it with no "
     "coordination (docs/bulk.md)",
     .no_set = true},
    {"keep-order", 0, NULL, NULL, OPTS_CHECK, SEC_COMMON, F(keep_order), 0, p_flag, 0, 0,
     "write the reports in input order, not as each\ndomain settles (at most --concurrency "
     "wait)",
     .no_set = false},
    {"json", 0, NULL, NULL, PRINT, SEC_COMMON, F(json), 0, p_flag, 0, 0,
     "one JSON object per domain per line", .no_set = false},
    {"seed", 0, "N", NULL, SCAN, SEC_COMMON, F(seed), 0, p_seed, 0, 0,
     "seed for the random order within a tier (0..2^53);\nthe same seed gives the same "
     "order",
     .no_set = false},
    {"as", 0, "HOST", NULL, SCAN, SEC_COMMON, F(as_host), 0, p_string, 0, 0,
     "relay view: route as the MX host HOST would (it\ndrops its own preference and every "
     "less\npreferred MX)",
     .no_set = false},
    {"timeout", 0, "SEC", "5", SCAN | OPTS_DOCTOR, SEC_COMMON, F(timeout_ms), 0, p_ms, 100, 300000,
     "per DNS question, retries included, and each\nSMTP phase (connect, each reply); the "
     "lab's\nreports use 2 unless told",
     .no_set = false},
    {"concurrency", 0, "N", "256", SCAN, SEC_COMMON, F(concurrency), 0, p_uint, 1, 100000,
     "domains resolved at once", .no_set = false},
    {"max-probes", 0, "N", NULL, SCAN, SEC_COMMON, F(max_probes), 0, p_uint, 1, 500,
     "SMTP probes in flight at once, each a connection\n(1..500, default 200); the rest "
     "wait their turn",
     .no_set = false},
    {"qps", 0, "N", NULL, SCAN, SEC_COMMON, F(qps), 0, p_uint, 1, 10000000,
     "at most N DNS questions a second, retries\nincluded (default: paced by the answers "
     "only)",
     .no_set = false},
    {"srv", 0, NULL, NULL, SCAN, SEC_COMMON, F(srv), 0, p_flag, 0, 0,
     "also ask the mail client SRV records (RFC 6186)", .no_set = false},
    {NULL, '4', NULL, NULL, SCAN, SEC_COMMON, F(family), 0, p_family, 4, 0,
     "only IPv4 (A) addresses, and probes over IPv4 only", .no_set = false},
    {NULL, '6', NULL, NULL, SCAN, SEC_COMMON, F(family), 0, p_family, 6, 0,
     "only IPv6 (AAAA) addresses, and probes over IPv6\nonly", .no_set = false},
    {"no-probe", 0, NULL, NULL, SCAN, SEC_COMMON, F(no_probe), 0, p_flag, 0, 0,
     "do not probe the MX addresses over SMTP: DNS only", .no_set = false},
    {"smtp-port", 0, "N", NULL, SCAN | OPTS_DOCTOR, SEC_COMMON, F(smtp_port), 0, p_port, 0, 65535,
     "port to probe (default 25; the lab's own in lab\nmode, 2525 for lab --serve)",
     .no_set = false},
    {"ehlo", 0, "NAME", NULL, SCAN, SEC_COMMON, F(ehlo_name), 0, p_string, 0, 0,
     "name to give in EHLO (default: this machine's name\nif it has a dot, else "
     "localhost.localdomain)",
     .no_set = false},
    {"cafile", 0, "FILE", NULL, SHOW, SEC_COMMON, F(cafile), 0, p_string, 0, 0,
     "also trust this CA for STARTTLS certificates\n(lab --serve prints the path of its "
     "own)",
     .no_set = false},
    {"dane", 0, NULL, NULL, SCAN, SEC_COMMON, F(dane), 0, p_flag, 0, 0,
     "ask TLSA (_25._tcp.HOST) also where the MX answer is\nnot DNSSEC-secure, to show the "
     "records DANE senders\nignore (secure ones are always asked; on in the lab)",
     .no_set = false},
    {"blocklist", 0, "ZONE@URL|NAME", NULL, SHOW, SEC_COMMON, F(blocklists), F(nblocklists), p_list,
     0, SETTINGS_MAX_BLOCKLISTS,
     "ask the DNSBL ZONE about every MX address through\nthe DNS-over-HTTPS endpoint URL, "
     "or the provider\nNAME from the config file (repeatable, up to 16)",
     .no_set = false},
    {"config", 0, "FILE", NULL, OPTS_ALL, SEC_COMMON, F(config), 0, p_string, 0, 0,
     "the config file (default\n$XDG_CONFIG_HOME/mxscope/config): set, bind, unbind\nand "
     "blocklist providers; docs/config.md",
     .no_set = true},
    {"sender", 0, "PROFILE", NULL, SHOW, SEC_COMMON, F(sender), 0, p_sender, 0, 0,
     "delivered_to and the walk on screen follow\nopportunistic (default), mta-sts, dane "
     "(DANE\nalone) or dane-mta-sts",
     .no_set = false},
    {"mta", 0, "NAME", "rfc", SHOW, SEC_COMMON, F(mta), 0, p_mta, 0, 0,
     "walk as this MTA does: rfc (RFC 5321 alone,\ndefault), postfix (3.7) or exim (4.96); M "
     "in\nthe explorer cycles them",
     .no_set = false},
    {"mta-config", 0, "FILE", NULL, SHOW, SEC_COMMON, F(mta_config), 0, p_mta_config, 0, 0,
     "the Postfix parameters of --mta postfix from\n`postconf -n` output or a main.cf (limits,\n"
     "smtp_skip_5xx_greeting, smtp_address_preference,\ninet_protocols, TLS and DNS support "
     "levels)",
     .no_set = false},
    {"rcpt", 0, "ADDR|LOCALPART", NULL, SCAN, SEC_COMMON, F(rcpt), 0, p_rcpt, 0, 0,
     "also MAIL FROM:<>, RCPT TO, RSET (never DATA)", .no_set = false},
    {"mta-sts-port", 0, "N", NULL, SCAN, SEC_COMMON, F(mta_sts_port), 0, p_port, 1, 65535,
     "HTTPS port of MTA-STS policy hosts (default 443)", .no_set = false},
    {"allow-loopback", 0, NULL, NULL, SCAN, SEC_COMMON, F(allow_loopback), 0, p_flag, 0, 0,
     "count 127.0.0.0/8 and ::1 as ordinary addresses\n(the lab lives there; mxscope lab "
     "sets it)",
     .no_set = false},
    {"no-color", 0, NULL, NULL, PRINT, SEC_COMMON, F(color), 0, p_unflag, 0, 0,
     "no colours (also when NO_COLOR is set)", .no_set = false},
    {"color", 0, NULL, NULL, PRINT, SEC_COMMON, F(color), 0, p_flag, 0, 0,
     "colours in reports also when stdout is not a\nterminal", .no_set = false},
    {"ascii", 0, NULL, NULL, PRINT, SEC_COMMON, F(ascii), 0, p_flag, 0, 0, "no Unicode symbols",
     .no_set = false},
    {"help", 'h', NULL, NULL, OPTS_ALL, SEC_COMMON, 0, 0, NULL, 0, 0,
     "this text (mxscope help COMMAND: one command's)", OPTS_ACT_HELP, true},
    {"version", 'V', NULL, NULL, OPTS_ALL, SEC_COMMON, 0, 0, NULL, 0, 0,
     "the version, and those of the libraries", OPTS_ACT_VERSION, true},
    {"interval", 0, "SEC", "10", OPTS_EXPLORE | OPTS_LAB, SEC_EXPLORER, F(interval_ms), 0, p_ms,
     500, 86400000, "re-probe every address this often", .no_set = false},
    {"mouse", 0, NULL, NULL, OPTS_EXPLORE | OPTS_LAB | OPTS_REPLAY, SEC_EXPLORER, F(mouse), 0,
     p_flag, 0, 0, "click to select, wheel to scroll", .no_set = false},
    {"resume", 0, NULL, NULL, OPTS_EXPLORE, SEC_EXPLORER, F(resume), 0, p_flag, 0, 0,
     "also show (and save back) the saved domain list\nwhen domains are named; without a "
     "domain it\nalways is",
     .no_set = false},
    {"theme", 0, "NAME|FILE", NULL, OPTS_EXPLORE | OPTS_LAB | OPTS_REPLAY, SEC_EXPLORER, F(theme),
     0, p_string, 0, 0,
     "colour theme (default, light, high-contrast, mono,\ncolorblind, or a .theme file); t "
     "cycles them",
     .no_set = false},
    {"serve", 0, NULL, NULL, OPTS_LAB, SEC_LAB, F(serve), 0, p_flag, 0, 0,
     "only serve DNS, SMTP and HTTP until interrupted", .no_set = true},
    {"tour", 0, NULL, NULL, OPTS_LAB, SEC_LAB, F(tour), 0, p_flag, 0, 0,
     "guided: one scenario at a time (N/P in the explorer;\nevery report under a \"Tour "
     "i/n\" heading otherwise)",
     .no_set = false},
    {"port", 0, "N", NULL, OPTS_LAB, SEC_LAB, F(port), 0, p_port, 0, 65535,
     "lab DNS port (default 5300 for --serve, else any\nfree port; 0 = any free port)",
     .no_set = false},
    {"http-port", 0, "N", NULL, OPTS_LAB, SEC_LAB, F(http_port), 0, p_port, 0, 65535,
     "lab blocklist HTTP port (default 8053, or any free\nport with --port 0; 0 = any free "
     "port)",
     .no_set = false},
    {"bind", 0, "ADDR", "127.0.0.1", OPTS_LAB, SEC_LAB, F(bind), 0, p_string, 0, 0,
     "lab listen address, loopback only", .no_set = false},
    {"list", 0, NULL, NULL, OPTS_LAB, SEC_LAB, F(list), 0, p_flag, 0, 0,
     "one line per built-in scenario", .no_set = true},
    {"from", 0, "FILE", NULL, OPTS_LAB, SEC_LAB, F(from), 0, p_string, 0, 0,
     "a recording as a lab scenario file, on stdout", .no_set = true},
    {"record", 0, "FILE", NULL, OPTS_EXPLORE | OPTS_CHECK | OPTS_LAB, SEC_RECORD, F(record), 0,
     p_string, 0, 0, "append each domain's result to FILE as it comes", .no_set = false},
    {"commands", 0, NULL, NULL, OPTS_EXPLORE | OPTS_CHECK | OPTS_LAB | OPTS_REPLAY, SEC_RECORD,
     F(commands), 0, p_flag, 0, 0,
     "every DNS question and probe as a dig, swaks,\nopenssl or curl command to run",
     .no_set = false},
    {"replay", 0, "RECORDING", NULL, OPTS_EXPLAIN, SEC_RECORD, F(replay), 0, p_string, 0, 0,
     "explain: judge the evidence against a recording\n(check --json, --record) instead of the "
     "network",
     .no_set = true},
    {"ptr", 0, NULL, NULL, SCAN, SEC_DNS, F(ptr), 0, p_flag, 0, 0,
     "reverse DNS of every MX address, forward-confirmed", .no_set = false},
    {"authoritative", 0, NULL, NULL, SCAN, SEC_DNS, F(authoritative), 0, p_flag, 0, 0,
     "ask every name server of the zone directly: serials\nand MX sets side by side",
     .no_set = false},
    {"ns-port", 0, "N", NULL, SCAN, SEC_DNS, F(ns_port), 0, p_port, 1, 65535,
     "port to ask name servers on (default 53)", .no_set = false},
};

#define NOPTS (sizeof(table) / sizeof(table[0]))
_Static_assert(NOPTS <= 64, "opts_parse_result.given has a bit per option");

/* ---- values ------------------------------------------------------------- */

static void *field(const opts_entry *e, settings *st)
{
	return (char *)st + e->field;
}

/* "yes" and friends: how a config file writes a flag. */
static int truth(const char *val)
{
	static const struct {
		const char *word;
		int value;
	} words[] = {{"yes", 1}, {"on", 1},  {"true", 1},  {"1", 1},
	             {"no", 0},  {"off", 0}, {"false", 0}, {"0", 0}};

	if (!val)
		return 1; /* the flag on the command line */
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(val, words[i].word) == 0)
			return words[i].value;
	return -1;
}

static bool set_flag(const opts_entry *e, settings *st, const char *val, bool invert, char *err,
                     size_t cap)
{
	int t = truth(val);

	if (t < 0) {
		snprintf(err, cap, "expected yes or no");
		return false;
	}
	*(bool *)field(e, st) = invert ? !t : t;
	/* the explorer's mono follows what was said, reports follow color */
	if (e->field == F(color))
		st->no_color = !*(bool *)field(e, st);
	return true;
}

static bool p_flag(const opts_entry *e, settings *st, const char *val, char *err, size_t cap)
{
	return set_flag(e, st, val, false, err, cap);
}

static bool p_unflag(const opts_entry *e, settings *st, const char *val, char *err, size_t cap)
{
	return set_flag(e, st, val, true, err, cap);
}

static bool p_string(const opts_entry *e, settings *st, const char *val, char *err, size_t cap)
{
	(void)err;
	(void)cap;
	*(const char **)field(e, st) = val;
	return true;
}

static bool p_list(const opts_entry *e, settings *st, const char *val, char *err, size_t cap)
{
	size_t *n = (size_t *)((char *)st + e->count);

	if (*n == e->hi) {
		snprintf(err, cap, "at most %lu %s", e->hi,
		         e->field == F(servers) ? "DNS servers" : "blocklists");
		return false;
	}
	if (!val[0] && e->field == F(blocklists)) {
		snprintf(err, cap, "expected ZONE@URL or a provider NAME");
		return false;
	}
	((const char **)field(e, st))[(*n)++] = val;
	return true;
}

static bool p_uint(const opts_entry *e, settings *st, const char *val, char *err, size_t cap)
{
	unsigned long v;

	if (!mx_num_parse(val, e->hi, &v) || v < e->lo) {
		snprintf(err, cap, "expected a number from %lu to %lu", e->lo, e->hi);
		return false;
	}
	*(unsigned *)field(e, st) = (unsigned)v;
	return true;
}

static bool p_port(const opts_entry *e, settings *st, const char *val, char *err, size_t cap)
{
	unsigned long v;

	if (!mx_num_parse(val, e->hi, &v) || v < e->lo) {
		snprintf(err, cap, "expected a port from %lu to %lu", e->lo, e->hi);
		return false;
	}
	*(int *)field(e, st) = (int)v;
	return true;
}

/* Seconds with a fraction, into milliseconds: lo and hi are milliseconds. */
static bool p_ms(const opts_entry *e, settings *st, const char *val, char *err, size_t cap)
{
	char *end;
	double secs;

	errno = 0;
	secs = strtod(val, &end);
	if (errno || *end || end == val || !(secs * 1000 >= (double)e->lo) ||
	    !(secs * 1000 <= (double)e->hi)) {
		snprintf(err, cap, "expected seconds from %g to %g", e->lo / 1000.0,
		         e->hi / 1000.0);
		return false;
	}
	*(unsigned *)field(e, st) = (unsigned)(secs * 1000);
	if (e->field == F(timeout_ms))
		st->timeout_given = true;
	return true;
}

static bool p_seed(const opts_entry *e, settings *st, const char *val, char *err, size_t cap)
{
	unsigned long v;

	(void)e;
	if (!mx_num_parse(val, 1UL << 53, &v)) {
		snprintf(err, cap, "expected a whole number from 0 to 2^53");
		return false;
	}
	st->seed = v;
	st->seed_given = true;
	return true;
}

/* "K/N": shard_k and shard_n, 1 <= K <= N <= hi. */
static bool p_shard(const opts_entry *e, settings *st, const char *val, char *err, size_t cap)
{
	const char *slash = val ? strchr(val, '/') : NULL;
	char k[24];
	unsigned long vk, vn;

	if (!slash || (size_t)(slash - val) >= sizeof(k))
		goto bad;
	memcpy(k, val, (size_t)(slash - val));
	k[slash - val] = '\0';
	if (!mx_num_parse(k, e->hi, &vk) || !mx_num_parse(slash + 1, e->hi, &vn) || vk < e->lo ||
	    vk > vn)
		goto bad;
	st->shard_k = (unsigned)vk;
	st->shard_n = (unsigned)vn;
	return true;
bad:
	snprintf(err, cap, "expected K/N with 1 <= K <= N <= %lu", e->hi);
	return false;
}

static bool p_family(const opts_entry *e, settings *st, const char *val, char *err, size_t cap)
{
	int want = (int)e->lo;

	if (val && truth(val) == 0) {
		if (st->family == want)
			st->family = 0;
		return true;
	}
	if (st->family && st->family != want) {
		snprintf(err, cap, "-4 and -6 exclude each other (give neither for both)");
		return false;
	}
	st->family = want;
	return true;
}

static bool p_sender(const opts_entry *e, settings *st, const char *val, char *err, size_t cap)
{
	int p = sender_profile_lookup(val);

	(void)e;
	if (p < 0) {
		snprintf(err, cap, "expected opportunistic, mta-sts, dane or dane-mta-sts");
		return false;
	}
	st->sender = p;
	return true;
}

static bool p_rcpt(const opts_entry *e, settings *st, const char *val, char *err, size_t cap)
{
	char *why = NULL;

	(void)e;
	if (!sender_rcpt_valid(val, &why)) {
		/* its reason starts "--rcpt: ", said once by the caller here */
		snprintf(err, cap, "%s", why && strlen(why) > 8 ? why + 8 : "not an address");
		free(why);
		return false;
	}
	st->rcpt = val;
	return true;
}

static bool p_mta(const opts_entry *e, settings *st, const char *val, char *err, size_t cap)
{
	int k = mta_lookup(val);

	(void)e;
	if (k < 0) {
		snprintf(err, cap, "expected rfc, postfix or exim");
		return false;
	}
	st->mta = k;
	return true;
}

/* The file is read here, once: its parameters are a value in the settings
 * and a bad one is a usage error named FILE:LINE, before anything runs. */
static bool p_mta_config(const opts_entry *e, settings *st, const char *val, char *err, size_t cap)
{
	enum { MAX = 1 << 20 }; /* a main.cf is a few kB */
	FILE *f = fopen(val, "r");
	char *text = NULL, *why = NULL;
	size_t n = 0;
	bool ok = false;

	(void)e;
	if (!f) {
		snprintf(err, cap, "--mta-config %.80s: cannot read: %s", val, strerror(errno));
		return false;
	}
	text = malloc(MAX + 1);
	if (text)
		n = fread(text, 1, MAX + 1, f);
	if (!text || ferror(f) || n > MAX) {
		snprintf(err, cap, "--mta-config %.80s: %s", val,
		         !text     ? "out of memory"
		         : n > MAX ? "over 1 MiB"
		                   : "read error");
		goto done;
	}
	text[n] = '\0';
	mta_params_default(MTA_POSTFIX, &st->postfix);
	if (!mta_config_read(text, val, &st->postfix, &why)) {
		snprintf(err, cap, "%s", why ? why : val);
		goto done;
	}
	st->mta_config = val;
	st->postfix_given = true;
	ok = true;
done:
	free(why);
	free(text);
	fclose(f);
	return ok;
}

/* ---- defaults, parsing ---------------------------------------------------- */

void opts_defaults(settings *st)
{
	char err[128];

	memset(st, 0, sizeof(*st));
	/* not given: each command picks its own (25 or the lab's port, ...) */
	st->port = st->smtp_port = st->http_port = st->ns_port = st->mta_sts_port = -1;
	st->no_color = getenv("NO_COLOR") != NULL;
	st->color = isatty(STDOUT_FILENO) && !st->no_color;
	for (size_t i = 0; i < NOPTS; i++)
		if (table[i].dflt &&
		    !table[i].parse(&table[i], st, table[i].dflt, err, sizeof(err)))
			abort(); /* the table's own default must parse: a build mistake */
	st->timeout_given = false;
}

/* How the option is named in messages: as --help lists it. */
static void display_name(const opts_entry *e, char *out, size_t cap)
{
	if (e->name)
		snprintf(out, cap, "--%s", e->name);
	else
		snprintf(out, cap, "-%c", e->short_name);
}

static bool apply(const opts_entry *e, settings *st, const char *val)
{
	char err[160], name[40];

	if (e->parse(e, st, val, err, sizeof(err)))
		return true;
	display_name(e, name, sizeof(name));
	if (e->field == F(family) || e->field == F(mta_config))
		cli_error("%s", err);
	else if (e->field == F(servers))
		cli_error("-s \"%.80s\": %s (see mxscope --help)", val, err);
	else
		cli_error("%s \"%.80s\": %s (see mxscope --help)", name, val ? val : "", err);
	return false;
}

int opts_parse(int argc, char **argv, int first, settings *st, opts_parse_result *res)
{
	struct option longs[NOPTS + 1];
	char shorts[3 * NOPTS + 2], *sp = shorts;
	size_t nl = 0;
	int c, idx;

	memset(res, 0, sizeof(*res));
	*sp++ = ':';
	for (size_t i = 0; i < NOPTS; i++) {
		if (table[i].name)
			longs[nl++] = (struct option){
			    table[i].name, table[i].arg ? required_argument : no_argument, NULL,
			    (int)(256 + i)};
		if (table[i].short_name) {
			*sp++ = (char)table[i].short_name;
			if (table[i].arg)
				*sp++ = ':';
		}
	}
	*sp = '\0';
	longs[nl] = (struct option){0};
	optind = first;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const opts_entry *e = NULL;
		if (c >= 256)
			e = &table[c - 256];
		for (size_t i = 0; !e && c != ':' && c != '?' && i < NOPTS; i++)
			if (table[i].short_name == c)
				e = &table[i];
		if (c == ':') {
			cli_error("option %s needs a value (see mxscope --help)", argv[optind - 1]);
			return 2;
		}
		if (!e) {
			if (optopt)
				cli_error("unknown option -%c (see mxscope --help)", optopt);
			else
				cli_error("unknown option %s (see mxscope --help)",
				          argv[optind - 1]);
			return 2;
		}
		idx = (int)(e - table);
		if (e->action) {
			res->action = e->action;
			res->given |= UINT64_C(1) << idx;
			continue;
		}
		/* a list on the command line replaces the config file's */
		if (e->count && !(res->given & (UINT64_C(1) << idx)))
			*(size_t *)((char *)st + e->count) = 0;
		res->given |= UINT64_C(1) << idx;
		if (!apply(e, st, e->arg ? optarg : NULL))
			return 2;
	}
	res->args = argv + optind;
	res->nargs = (size_t)(argc - optind);
	return 0;
}

mxs_status opts_set(settings *st, const char *name, const char *value, char **why)
{
	char err[160];

	for (size_t i = 0; i < NOPTS; i++) {
		const opts_entry *e = &table[i];
		if (!e->name || strcmp(e->name, name) != 0)
			continue;
		if (e->no_set || !e->parse) {
			mxs_why(why, "--%s cannot be set in the config file", name);
			return MXS_ERR_INVALID;
		}
		if (!e->parse(e, st, value, err, sizeof(err))) {
			mxs_why(why, "set %s \"%.80s\": %s", name, value, err);
			return MXS_ERR_INVALID;
		}
		return MXS_OK;
	}
	mxs_why(why, "set: unknown option \"%.80s\" (mxscope help lists them)", name);
	return MXS_ERR_INVALID;
}

/* "mxscope lab" or "mxscope check, lab": the commands whose bits are in mask. */
static void command_names(unsigned mask, char *out, size_t cap)
{
	static const char *const names[] = {"mxscope", "check",  "lab",  "replay",
	                                    "diff",    "doctor", "help", "explain"};
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (mask & (1u << i))
			len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s%s%s",
			                        len ? ", " : "", i ? "mxscope " : "", names[i]);
}

int opts_check_command(const opts_parse_result *res, unsigned command)
{
	for (size_t i = 0; i < NOPTS; i++) {
		char name[40], which[160];
		if (!(res->given & (UINT64_C(1) << i)) || (table[i].commands & command))
			continue;
		display_name(&table[i], name, sizeof(name));
		command_names(table[i].commands, which, sizeof(which));
		cli_error("%s is an option of %s only (see mxscope help)", name, which);
		return 2;
	}
	return 0;
}

/* ---- documents ------------------------------------------------------------ */

/* "  -s, --server HOST[:PORT]" or "      --json": --help's left column. */
static void left_column(const opts_entry *e, char *out, size_t cap)
{
	if (e->short_name && e->name)
		snprintf(out, cap, "  -%c, --%s%s%s", e->short_name, e->name, e->arg ? " " : "",
		         e->arg ? e->arg : "");
	else if (e->short_name)
		snprintf(out, cap, "  -%c", e->short_name);
	else
		snprintf(out, cap, "      --%s%s%s", e->name, e->arg ? " " : "",
		         e->arg ? e->arg : "");
}

#define HELP_COL 28

static void print_help_lines(FILE *to, const char *help, const char *dflt)
{
	size_t last = 0;

	for (const char *s = help; *s;) {
		size_t len = strcspn(s, "\n");
		fprintf(to, "%.*s", (int)len, s);
		last = len;
		s += len;
		if (*s) {
			fprintf(to, "\n%*s", HELP_COL, "");
			s++;
		}
	}
	/* the default on a line of its own when it would pass 80 columns */
	if (dflt && HELP_COL + last + strlen(dflt) + 11 > 80)
		fprintf(to, "\n%*s(default %s)", HELP_COL, "", dflt);
	else if (dflt)
		fprintf(to, " (default %s)", dflt);
	fputc('\n', to);
}

void opts_print_help(FILE *to, unsigned mask)
{
	for (int sec = 0; sec < SEC_COUNT; sec++) {
		bool any = false;
		for (size_t i = 0; i < NOPTS; i++) {
			char left[80];
			if (table[i].section != sec || !(table[i].commands & mask))
				continue;
			if (!any)
				fprintf(to, "\n%s:\n", section_title[sec]);
			any = true;
			left_column(&table[i], left, sizeof(left));
			if (strlen(left) < HELP_COL - 1)
				fprintf(to, "%-*s", HELP_COL, left);
			else
				fprintf(to, "%s\n%*s", left, HELP_COL, "");
			print_help_lines(to, table[i].help, table[i].dflt);
		}
	}
}

/* The help text as one line (documents wrap it themselves). */
static void print_flat(FILE *to, const char *help, const char *dflt, const char *escape_dash)
{
	for (const char *s = help; *s; s++) {
		if (*s == '\n')
			fputc(' ', to);
		else if (*s == '-' && escape_dash)
			fputs(escape_dash, to);
		else if (*s == '|' && !escape_dash)
			fputs("\\|", to);
		else
			fputc(*s, to);
	}
	if (dflt)
		fprintf(to, " (default %s)", dflt);
}

void opts_print_readme(FILE *to)
{
	static const char *const words[] = {"explorer", "check",  "lab",  "replay",
	                                    "diff",     "doctor", "help", "explain"};

	fputs("| option | meaning | taken by |\n|---|---|---|\n", to);
	for (size_t i = 0; i < NOPTS; i++) {
		const opts_entry *e = &table[i];
		char left[80];
		left_column(e, left, sizeof(left));
		/* the column's indent is --help's, not the table's */
		fputs("| `", to);
		fputs(left + strspn(left, " "), to);
		fputs("` | ", to);
		print_flat(to, e->help, e->dflt, NULL);
		fputs(" | ", to);
		if ((e->commands & OPTS_ALL) == OPTS_ALL) {
			fputs("all", to);
		} else {
			bool first = true;
			for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
				if (e->commands & (1u << k)) {
					fprintf(to, "%s%s", first ? "" : ", ", words[k]);
					first = false;
				}
		}
		fputs(" |\n", to);
	}
}

/* roff: every '-' of an option name as "\-". */
static void man_dashes(FILE *to, const char *s)
{
	for (; *s; s++)
		if (*s == '-')
			fputs("\\-", to);
		else
			fputc(*s, to);
}

void opts_print_man(FILE *to)
{
	for (size_t i = 0; i < NOPTS; i++) {
		const opts_entry *e = &table[i];
		fputs(".TP\n", to);
		if (e->short_name) {
			fprintf(to, "\\fB\\-%c\\fR", e->short_name);
			if (e->name)
				fputs(", ", to);
		}
		if (e->name) {
			fputs("\\fB\\-\\-", to);
			man_dashes(to, e->name);
			fputs("\\fR", to);
		}
		if (e->arg) {
			fputs(" \\fI", to);
			man_dashes(to, e->arg);
			fputs("\\fR", to);
		}
		fputc('\n', to);
		print_flat(to, e->help, e->dflt, "\\-");
		fputc('\n', to);
	}
}

void opts_print_names(FILE *to)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (table[i].name && !table[i].no_set && table[i].parse)
			fprintf(to, "- `set %s %s`\n", table[i].name,
			        table[i].arg ? table[i].arg : "yes|no");
}

bool opts_name(size_t i, const char **long_name, int *short_name)
{
	if (i >= NOPTS)
		return false;
	*long_name = table[i].name;
	*short_name = table[i].short_name;
	return true;
}
