/* src/cli.c — parsing and checking the command line (DESIGN.md "Interfaces"). */
#include "cli.h"
#include "num.h"

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "report.h"
#include "sender.h"

enum {
	OPT_NO_PROBE = 256,
	OPT_SEED,
	OPT_AS,
	OPT_TIMEOUT,
	OPT_CONCURRENCY,
	OPT_MAX_PROBES,
	OPT_NO_COLOR,
	OPT_ASCII,
	OPT_JSON,
	OPT_SERVE,
	OPT_LIST,
	OPT_TOUR,
	OPT_PORT,
	OPT_BIND,
	OPT_ALLOW_LOOPBACK,
	OPT_COLOR,
	OPT_SMTP_PORT,
	OPT_EHLO,
	OPT_CAFILE,
	OPT_INTERVAL,
	OPT_MOUSE,
	OPT_THEME,
	OPT_BLOCKLIST,
	OPT_CONFIG,
	OPT_HTTP_PORT,
	OPT_RECORD,
	OPT_COMMANDS,
	OPT_FROM,
	OPT_PTR,
	OPT_AUTHORITATIVE,
	OPT_NS_PORT,
	OPT_DANE,
	OPT_SENDER,
	OPT_MTA_STS_PORT,
	OPT_RCPT,
	OPT_SRV,
	OPT_QPS,
};

static const struct option long_opts[] = {
    {"server", required_argument, NULL, 's'},
    {"file", required_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"no-probe", no_argument, NULL, OPT_NO_PROBE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"as", required_argument, NULL, OPT_AS},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"max-probes", required_argument, NULL, OPT_MAX_PROBES},
    {"no-color", no_argument, NULL, OPT_NO_COLOR},
    {"color", no_argument, NULL, OPT_COLOR},
    {"ascii", no_argument, NULL, OPT_ASCII},
    {"json", no_argument, NULL, OPT_JSON},
    {"serve", no_argument, NULL, OPT_SERVE},
    {"list", no_argument, NULL, OPT_LIST},
    {"tour", no_argument, NULL, OPT_TOUR},
    {"port", required_argument, NULL, OPT_PORT},
    {"bind", required_argument, NULL, OPT_BIND},
    {"allow-loopback", no_argument, NULL, OPT_ALLOW_LOOPBACK},
    {"smtp-port", required_argument, NULL, OPT_SMTP_PORT},
    {"ehlo", required_argument, NULL, OPT_EHLO},
    {"cafile", required_argument, NULL, OPT_CAFILE},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"mouse", no_argument, NULL, OPT_MOUSE},
    {"theme", required_argument, NULL, OPT_THEME},
    {"blocklist", required_argument, NULL, OPT_BLOCKLIST},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"http-port", required_argument, NULL, OPT_HTTP_PORT},
    {"record", required_argument, NULL, OPT_RECORD},
    {"commands", no_argument, NULL, OPT_COMMANDS},
    {"from", required_argument, NULL, OPT_FROM},
    {"ptr", no_argument, NULL, OPT_PTR},
    {"authoritative", no_argument, NULL, OPT_AUTHORITATIVE},
    {"ns-port", required_argument, NULL, OPT_NS_PORT},
    {"dane", no_argument, NULL, OPT_DANE},
    {"sender", required_argument, NULL, OPT_SENDER},
    {"mta-sts-port", required_argument, NULL, OPT_MTA_STS_PORT},
    {"rcpt", required_argument, NULL, OPT_RCPT},
    {"srv", no_argument, NULL, OPT_SRV},
    {"qps", required_argument, NULL, OPT_QPS},
    {NULL, 0, NULL, 0},
};

void cli_usage(FILE *to)
{
	fprintf(to,
	        "mxscope %s — where would mail for a domain go, in what order, and why?\n"
	        "\n"
	        "Usage:\n"
	        "  mxscope [OPTIONS] [DOMAIN...]        explore domains on screen (reports when\n"
	        "                                       stdout is not a terminal)\n"
	        "  mxscope check [OPTIONS] DOMAIN...    one report per domain, text or --json\n"
	        "  mxscope check [OPTIONS] -f FILE|-    many domains, one a line; results stream\n"
	        "  mxscope lab [SCENARIO|FILE...]       start the embedded lab and explore it\n"
	        "                                       (reports when stdout is not a terminal)\n"
	        "  mxscope lab --serve [--port N]       run only the lab servers, print where\n"
	        "  mxscope lab --list                   list the built-in scenarios\n"
	        "  mxscope lab --tour                   step through the scenarios one by one\n"
	        "\n"
	        "Options:\n"
	        "  -s, --server HOST[:PORT]  DNS server to ask (IP address; repeatable;\n"
	        "                            default: the system resolver)\n"
	        "  -f, --file FILE|-         read domains from FILE or stdin; blank lines and\n"
	        "                            '#' comments are ignored\n"
	        "      --json                one JSON object per domain per line\n"
	        "      --seed N              seed for the random order within a tier (0..2^53);\n"
	        "                            the same seed gives the same order\n"
	        "      --as HOST             relay view: route as the MX host HOST would\n"
	        "      --timeout SEC         per DNS question, retries included (default 5);\n"
	        "      --concurrency N       domains resolved at once (default 256)\n"
	        "      --max-probes N        SMTP probes in flight at once, each a connection\n"
	        "                            (1..500, default 200)\n"
	        "      --qps N               at most N DNS questions a second, retries\n"
	        "                            included (default: paced by the answers only)\n"
	        "      --srv                 also ask the mail client SRV records (RFC 6186)\n"
	        "  -4, -6                    only IPv4 (A) or only IPv6 (AAAA) addresses,\n"
	        "                            and probes over that family only\n"
	        "                            also each SMTP phase (connect, each reply)\n"
	        "      --no-probe            do not probe the MX addresses over SMTP\n"
	        "      --smtp-port N         port to probe (default 25; the lab's in lab mode)\n"
	        "      --ehlo NAME           name to give in EHLO (default: this machine's)\n"
	        "      --cafile FILE         also trust this CA for STARTTLS certificates\n"
	        "                            (lab --serve prints the path of its own)\n"
	        "      --dane                ask TLSA (_25._tcp.HOST) also where the MX answer is\n"
	        "                            not DNSSEC-secure, to show the records DANE senders\n"
	        "                            ignore (secure ones are always asked; on in the lab)\n"
	        "      --blocklist ZONE@URL  ask the DNSBL ZONE about every MX address through\n"
	        "                            the DNS-over-HTTPS endpoint URL (repeatable)\n"
	        "      --blocklist NAME      ask the provider NAME from the config file\n"
	        "      --config FILE         blocklist providers (default\n"
	        "                            $XDG_CONFIG_HOME/mxscope/config); docs/blocklists.md\n"
	        "      --sender PROFILE      delivered_to and the walk on screen follow\n"
	        "                            opportunistic (default), mta-sts or dane\n"
	        "      --rcpt ADDR|LOCALPART also MAIL FROM:<>, RCPT TO, RSET (never DATA)\n"
	        "      --mta-sts-port N      HTTPS port of MTA-STS policy hosts (443)\n"
	        "      --allow-loopback      count 127.0.0.0/8 and ::1 as ordinary addresses\n"
	        "      --no-color            no colours (also when NO_COLOR is set)\n"
	        "      --ascii               no Unicode symbols\n",
	        MXSCOPE_VERSION);
	/* a separate call: one literal stays under the 4095 bytes C17 promises */
	fprintf(
	    to,
	    "Explorer options:\n"
	    "      --interval SEC        re-probe every address this often (default 10)\n"
	    "      --mouse               click to select, wheel to scroll\n"
	    "      --theme NAME|FILE     colour theme (default, light, high-contrast, mono,\n"
	    "                            colorblind, or a .theme file); t cycles them\n"
	    "  -h, --help                this text\n"
	    "  -V, --version             the version\n"
	    "Lab options:\n"
	    "      --serve               only serve DNS and SMTP until interrupted\n"
	    "      --tour                guided: one scenario at a time (N/P in the explorer;\n"
	    "                            every report under a \"Tour i/n\" heading otherwise)\n"
	    "      --port N              lab DNS port (default 5300; 0 = any free port)\n"
	    "      --smtp-port N         lab SMTP port (default 2525; 0 = any free port)\n"
	    "      --http-port N         lab blocklist HTTP port (default 8053, or any free\n"
	    "                            port with --port 0; 0 = any free port)\n"
	    "      --bind ADDR           lab listen address, loopback only (default 127.0.0.1)\n"
	    "      --list                one line per built-in scenario\n"
	    "\n"
	    "Exit status: 0 all good, 1 a finding of severity error, 2 usage error,\n"
	    "3 could not run at all (no DNS server answered, lab port in use, ...).\n"
	    "Findings are explained in docs/findings.md.\n");
	/* a second call: one string literal this long would pass the 4095
	 * bytes C17 compilers must support */
	fprintf(to, "\n"
	            "Recordings (docs/replay.md):\n"
	            "  mxscope replay FILE...    a recording explored again, no network (the\n"
	            "                            reports, --json or --commands off a terminal)\n"
	            "  mxscope diff OLD NEW      what changed between two recordings, per domain\n"
	            "                            (--json; exit 0 same, 1 different, 2 trouble)\n"
	            "  mxscope lab --from FILE   a recording as a lab scenario file\n"
	            "      --record FILE         append each domain's result to FILE as it comes\n"
	            "      --commands            check: every DNS question and probe as a dig,\n"
	            "                            swaks, openssl or curl command to run\n");
	/* a separate call: one literal stays under the 4095 bytes C17 promises */
	fprintf(to,
	        "\n"
	        "DNS beside the walk, and this machine:\n"
	        "      --ptr                 reverse DNS of every MX address, forward-confirmed\n"
	        "      --authoritative       ask every name server of the zone directly: serials\n"
	        "                            and MX sets side by side\n"
	        "      --ns-port N           port to ask name servers on (default 53)\n"
	        "  mxscope doctor [HOST[:PORT]]  check this machine: the resolver answers, a\n"
	        "                            connection to HOST on port 25 opens, IPv6 route\n");
}

void cli_error(const char *fmt, ...)
{
	char text[1024], *clean;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	clean = mx_sanitize(text);
	fprintf(stderr, "mxscope: %s\n", clean ? clean : "(out of memory)");
	free(clean);
}

static int bad(const char *opt, const char *val, const char *what)
{
	cli_error("%s \"%.80s\": %s (see mxscope --help)", opt, val, what);
	return 2;
}

/* Whole numbers through core's one parser (digits only, no sign or blanks). */
static int parse_ulong(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long v;

	if (!mx_num_parse(s, (unsigned long)max, &v))
		return -1;
	*out = v;
	return 0;
}

/* The subcommands, once: the first word names one, or the first word left
 * after the options does ("mxscope --ascii lab"). */
static const struct {
	const char *word;
	cli_command cmd;
} commands[] = {
    {"check", CLI_CHECK}, {"lab", CLI_LAB},       {"replay", CLI_REPLAY},
    {"diff", CLI_DIFF},   {"doctor", CLI_DOCTOR},
};

static bool command_word(const char *word, cli_command *cmd)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(word, commands[i].word) == 0) {
			*cmd = commands[i].cmd;
			return true;
		}
	return false;
}

int cli_parse(int argc, char **argv, cli_opts *o)
{
	int first = 1, c;
	unsigned long long v;
	double secs;
	char *end;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = 5000;
	o->concurrency = 256;
	o->port = -1;
	o->smtp_port = -1;
	o->http_port = -1;
	o->ns_port = -1;
	o->mta_sts_port = -1;
	o->bind = "127.0.0.1";
	o->interval_ms = 10000;
	o->color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	if (argc > 1 && command_word(argv[1], &o->command))
		first = 2;
	optind = first;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:f:hV46", long_opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (o->nservers == CLI_MAX_SERVERS)
				return bad("-s", optarg, "at most 8 DNS servers");
			o->servers[o->nservers++] = optarg;
			break;
		case 'f': o->file = optarg; break;
		case 'h': o->command = CLI_HELP; return 0;
		case 'V': o->command = CLI_VERSION; return 0;
		case OPT_NO_PROBE: o->no_probe = true; break;
		case '4':
		case '6':
			if (o->family && o->family != c - '0') {
				cli_error("-4 and -6 exclude each other (give neither for both)");
				return 2;
			}
			o->family = c - '0';
			break;
		case OPT_SRV: o->srv = true; break;
		case OPT_QPS:
			if (parse_ulong(optarg, 10000000, &v) || v == 0)
				return bad("--qps", optarg, "expected a number from 1 to 10000000");
			o->qps = (unsigned)v;
			break;
		case OPT_DANE: o->dane = true; break;
		case OPT_SEED:
			if (parse_ulong(optarg, (1ULL << 53), &v))
				return bad("--seed", optarg,
				           "expected a whole number from 0 to 2^53");
			o->seed = v;
			o->seed_given = true;
			break;
		case OPT_AS: o->as_host = optarg; break;
		case OPT_TIMEOUT:
			errno = 0;
			secs = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(secs >= 0.1 && secs <= 300))
				return bad("--timeout", optarg, "expected seconds from 0.1 to 300");
			o->timeout_ms = (unsigned)(secs * 1000);
			o->timeout_given = true;
			break;
		case OPT_CONCURRENCY:
			if (parse_ulong(optarg, 100000, &v) || v == 0)
				return bad("--concurrency", optarg,
				           "expected a number from 1 to 100000");
			o->concurrency = (unsigned)v;
			break;
		case OPT_MAX_PROBES:
			/* each is an open socket: 500 leaves room under the usual
			 * limit of 1,024 descriptors */
			if (parse_ulong(optarg, 500, &v) || v == 0)
				return bad("--max-probes", optarg,
				           "expected a number from 1 to 500");
			o->max_probes = (unsigned)v;
			break;
		case OPT_NO_COLOR: o->color = false; break;
		case OPT_COLOR: o->color = true; break;
		case OPT_ASCII: o->ascii = true; break;
		case OPT_JSON: o->json = true; break;
		case OPT_SERVE: o->serve = true; break;
		case OPT_LIST: o->list = true; break;
		case OPT_TOUR: o->tour = true; break;
		case OPT_PORT:
			if (parse_ulong(optarg, 65535, &v))
				return bad("--port", optarg, "expected a port from 0 to 65535");
			o->port = (int)v;
			break;
		case OPT_BIND: o->bind = optarg; break;
		case OPT_ALLOW_LOOPBACK: o->allow_loopback = true; break;
		case OPT_SMTP_PORT:
			if (parse_ulong(optarg, 65535, &v))
				return bad("--smtp-port", optarg,
				           "expected a port from 0 to 65535");
			o->smtp_port = (int)v;
			break;
		case OPT_EHLO: o->ehlo_name = optarg; break;
		case OPT_CAFILE: o->cafile = optarg; break;
		case OPT_INTERVAL:
			errno = 0;
			secs = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(secs >= 0.5 && secs <= 86400))
				return bad("--interval", optarg,
				           "expected seconds from 0.5 to 86400");
			o->interval_ms = (unsigned)(secs * 1000);
			break;
		case OPT_MOUSE: o->mouse = true; break;
		case OPT_THEME: o->theme = optarg; break;
		case OPT_BLOCKLIST:
			if (o->nblocklists == CLI_MAX_BLOCKLISTS)
				return bad("--blocklist", optarg, "at most 16 blocklists");
			if (!optarg[0])
				return bad("--blocklist", optarg,
				           "expected ZONE@URL or a provider NAME");
			o->blocklists[o->nblocklists++] = optarg;
			break;
		case OPT_CONFIG: o->config = optarg; break;
		case OPT_HTTP_PORT:
			if (parse_ulong(optarg, 65535, &v))
				return bad("--http-port", optarg,
				           "expected a port from 0 to 65535");
			o->http_port = (int)v;
			break;
		case OPT_RECORD: o->record = optarg; break;
		case OPT_COMMANDS: o->commands = true; break;
		case OPT_FROM: o->from = optarg; break;
		case OPT_PTR: o->ptr = true; break;
		case OPT_AUTHORITATIVE: o->authoritative = true; break;
		case OPT_NS_PORT:
			if (parse_ulong(optarg, 65535, &v) || v == 0)
				return bad("--ns-port", optarg, "expected a port from 1 to 65535");
			o->ns_port = (int)v;
			break;
		case OPT_SENDER:
			if (sender_profile_lookup(optarg) < 0)
				return bad("--sender", optarg,
				           "expected opportunistic, mta-sts or dane");
			o->sender = sender_profile_lookup(optarg);
			break;
		case OPT_RCPT: {
			char *why = NULL;
			if (!sender_rcpt_valid(optarg, &why)) {
				int code = bad("--rcpt", optarg, why ? why + 8 : "not an address");
				free(why);
				return code;
			}
			o->rcpt = optarg;
			break;
		}
		case OPT_MTA_STS_PORT:
			if (parse_ulong(optarg, 65535, &v) || v == 0)
				return bad("--mta-sts-port", optarg,
				           "expected a port from 1 to 65535");
			o->mta_sts_port = (int)v;
			break;
		case ':':
			cli_error("option %s needs a value (see mxscope --help)", argv[optind - 1]);
			return 2;
		default:
			if (optopt)
				cli_error("unknown option -%c (see mxscope --help)", optopt);
			else
				cli_error("unknown option %s (see mxscope --help)",
				          argv[optind - 1]);
			return 2;
		}
	}
	o->args = argv + optind;
	o->nargs = (size_t)(argc - optind);
	/* options may come before the subcommand too ("mxscope --ascii lab",
	 * "mxscope --json replay F"): getopt has moved the words to the end,
	 * the first is the command, not a domain named "lab" */
	if (o->command == CLI_EXPLORE && o->nargs > 0 && first == 1) {
		if (command_word(o->args[0], &o->command)) {
			o->args++;
			o->nargs--;
		}
	}
	if (!o->seed_given) {
		/* a fresh shuffle each run, short enough to retype with --seed */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		o->seed = ((uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16)) % 1000000;
	}
	if (o->command != CLI_LAB && o->smtp_port == 0) {
		cli_error("--smtp-port 0 (any free port) is only for mxscope lab");
		return 2;
	}
	if (o->command != CLI_LAB &&
	    (o->serve || o->list || o->tour || o->port >= 0 || o->http_port >= 0)) {
		cli_error("--serve, --list, --tour, --port and --http-port are "
		          "options of mxscope lab");
		return 2;
	}
	if (o->from && o->command != CLI_LAB) {
		cli_error("--from is an option of mxscope lab");
		return 2;
	}
	if (o->command == CLI_REPLAY && o->nargs == 0) {
		cli_error("replay needs at least one recording FILE (see mxscope --help)");
		return 2;
	}
	if (o->command == CLI_DIFF && o->nargs != 2) {
		cli_error("diff needs two recordings: OLD NEW (see mxscope --help)");
		return 2;
	}
	if (o->command == CLI_DOCTOR && o->nargs > 1) {
		cli_error("doctor takes at most one HOST[:PORT] (see mxscope --help)");
		return 2;
	}
	if (o->command == CLI_CHECK && !o->file && o->nargs == 0) {
		cli_error("check needs at least one DOMAIN or -f FILE (see mxscope "
		          "--help)");
		return 2;
	}
	return 0;
}
