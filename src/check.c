/* src/check.c — the check command: hands names to the scan pipeline
 * (net/scan.h) with at most --concurrency domains in flight, prints each
 * report as soon as its domain has settled (or, with --keep-order, once
 * every earlier one has) and forgets it, so memory stays flat however long
 * the list is. The reports of one loop turn leave in one write: a reader at
 * the end of a pipe sees each before the loop waits again, and a bulk run
 * does not pay a system call per domain. --shard K/N keeps the names whose
 * hash (core/hash.h) picks shard K. */
#include "check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bl.h"
#include "commands.h"
#include "config.h"
#include "flist.h"
#include "hash.h"
#include "inorder.h"
#include "mx.h"
#include "mx_auth.h"
#include "name.h"
#include "record.h"
#include "report.h"
#include "scan.h"
#include "settings.h"

typedef struct check_ctx {
	uv_loop_t *loop;
	const cli_opts *o;
	FILE *out;
	scan *s;
	blr_config *blcfg; /* blocklist providers; outlives the scan */
	char *ca_pem;      /* --cafile's contents */
	mx_report_opts ro;
	char *const *names;
	size_t nnames, next_name;
	flist *rd;       /* -f, or NULL */
	size_t inflight; /* names in the scan, not yet reported */
	size_t reports;
	int worst_exit; /* 0, 1 or 2 so far */
	bool done;
	bool feeding; /* inside feed: the loop that starts names */
	bool out_failed;
	int out_errno; /* why writing failed */
	/* a name listed twice waits until the first is reported */
	char *held, *held_where;
	unsigned long held_line;
	int record_fd; /* --record FILE, or -1 */
	/* port 25 egress: settled domains whose every probe timed out at connect
	 * wait here while nothing in the run has answered; if nothing ever does,
	 * the run says egress-blocked once instead of blaming each domain */
	char **eg_wait;
	size_t neg, capeg;
	bool egress_open; /* some probe of the run got further than connect */
	bool egress;      /* the run reads as egress-blocked (scan_set_egress_blocked) */
	/* what the reports wrote since the loop last waited: out_flush at the
	 * end of the turn (the prepare handle), or when OUT_BATCH is reached */
	char *obuf;
	size_t olen, ocap;
	uv_prepare_t flusher;
	bool flusher_open;
	inorder *order; /* --keep-order, else NULL */
} check_ctx;

/* Bytes of reports gathered before they are written without waiting for
 * the end of the loop turn. */
#define OUT_BATCH (64 * 1024)

static void feed(check_ctx *x);
static void feed_names(check_ctx *x);

static void raise_exit(check_ctx *x, int code)
{
	if (code > x->worst_exit)
		x->worst_exit = code;
}

/* ---- output ------------------------------------------------------------ */

static void out_flush(check_ctx *x)
{
	if (x->flusher_open)
		uv_prepare_stop(&x->flusher);
	if (x->olen && !x->out_failed &&
	    (fwrite(x->obuf, 1, x->olen, x->out) != x->olen || fflush(x->out) != 0)) {
		x->out_failed = true;
		x->out_errno = errno;
	}
	x->olen = 0;
}

/* The loop is about to wait: what this turn reported goes out now. */
static void on_flush(uv_prepare_t *p)
{
	out_flush(p->data);
}

static void out_put(check_ctx *x, const char *s, size_t n)
{
	if (x->out_failed)
		return;
	if (x->olen + n > x->ocap) {
		size_t cap = x->ocap ? x->ocap : OUT_BATCH;
		char *b;
		while (cap < x->olen + n)
			cap *= 2;
		if (!(b = realloc(x->obuf, cap))) {
			/* no room to gather: what there is goes out, then this */
			out_flush(x);
			if (!x->out_failed && fwrite(s, 1, n, x->out) != n) {
				x->out_failed = true;
				x->out_errno = errno;
			}
			return;
		}
		x->obuf = b;
		x->ocap = cap;
	}
	memcpy(x->obuf + x->olen, s, n);
	x->olen += n;
	if (x->olen >= OUT_BATCH)
		out_flush(x);
	else if (x->flusher_open)
		uv_prepare_start(&x->flusher, on_flush);
	else
		out_flush(x); /* no handle: every report goes out as it comes */
}

/* One report onto the output, after the one before it. */
static void write_report(check_ctx *x, const char *text)
{
	if (!x->o->set.json && x->reports)
		out_put(x, "\n", 1);
	out_put(x, text, strlen(text));
	if (x->o->set.json)
		out_put(x, "\n", 1);
	x->reports++;
}

/* A report waiting in the --keep-order window: what goes to the output
 * and the line for --record, each written when its turn comes. */
typedef struct held_report {
	char *text, *rec;
} held_report;

static void held_free(void *p)
{
	held_report *h = p;

	free(h->text);
	free(h->rec);
	free(h);
}

static void write_held(check_ctx *x, held_report *h)
{
	char *why = NULL;

	if (h->rec && rec_append(x->record_fd, h->rec, &why) != MXS_OK) {
		cli_error("--record %s", why);
		free(why);
	}
	if (h->text)
		write_report(x, h->text);
}

/* A settled domain: its report is printed (or, with --keep-order, waits
 * for the earlier ones of the input, its recording line with it) and it
 * leaves the scan. */
static void report(check_ctx *x, scan *s, const char *name, const mx_domain *d)
{
	held_report *h;
	char *text = NULL;
	void *item;

	if (mx_domain_worst(d) == MX_SEV_ERROR)
		raise_exit(x, 1);
	/* --keep-order records a line when it is written, in order */
	text = check_render(x->o, s, d, &x->ro, x->blcfg, x->order ? NULL : &x->record_fd);
	if (!text) {
		cli_error("%s: out of memory while rendering", name);
		raise_exit(x, 1);
	}
	if (!x->order) {
		if (text)
			write_report(x, text);
		free(text);
		scan_remove(s, name);
		return;
	}
	if (!(h = calloc(1, sizeof(*h)))) {
		cli_error("%s: out of memory", name);
		raise_exit(x, 1);
		free(text);
	} else {
		h->text = text;
		if (x->record_fd >= 0)
			h->rec = check_record_line(
			    x->o, s, d, x->o->set.json && !x->o->set.commands ? text : NULL);
	}
	if (inorder_done(x->order, name, h) != MXS_OK)
		cli_error("%s: reported but never started", name);
	while (inorder_next(x->order, &item)) {
		if (item)
			write_held(x, item);
		if (item)
			held_free(item);
	}
	scan_remove(s, name);
}

/* ---- port 25 egress --------------------------------------------------------- */

/* More domains than this waiting on the egress question: it is decided
 * at once (memory stays flat; later domains stream as they settle). */
#define EGRESS_WAIT_MAX 32

static void egress_flush(check_ctx *x)
{
	for (size_t i = 0; i < x->neg; i++) {
		const mx_domain *d = scan_domain(x->s, x->eg_wait[i]);
		if (d)
			report(x, x->s, x->eg_wait[i], d);
		free(x->eg_wait[i]);
	}
	x->neg = 0;
}

/* Two or more domains, every address of each timed out and nothing
 * answered: the network, not the hosts. The waiting domains are analysed
 * again (on_domain prints them with egress-blocked) and the run says so
 * once. One domain alone may just have every host down: it is judged as
 * usual, with a hint. */
static void egress_decide(check_ctx *x)
{
	int port = x->o->set.smtp_port > 0 ? x->o->set.smtp_port : 25;
	scan_counters c;
	mx_egress_seen seen;

	scan_get_counters(x->s, &c);
	/* check probes each address once: its timeouts are distinct addresses */
	seen = (mx_egress_seen){x->neg, c.probes_connect_timeout,
	                        c.probes_done - c.probes_connect_timeout};
	if (!mx_egress_blocked(&seen)) {
		if (c.probes_connect_timeout >= 2)
			cli_error(
			    "every SMTP connection timed out at connect; if this network blocks "
			    "outbound port %d, mxscope doctor HOST shows it",
			    port);
		egress_flush(x);
		return;
	}
	cli_error("egress-blocked: all %lu SMTP connections of this run timed out at connect: "
	          "this network probably blocks outbound port %d; probes from here cannot "
	          "judge these hosts (mxscope doctor HOST checks one; --no-probe skips them)",
	          c.probes_connect_timeout, port);
	x->egress = true;
	scan_set_egress_blocked(x->s, true);
}

static bool egress_waiting(check_ctx *x, const char *name, bool take)
{
	for (size_t i = 0; i < x->neg; i++)
		if (strcmp(x->eg_wait[i], name) == 0) {
			if (take) {
				free(x->eg_wait[i]);
				x->eg_wait[i] = x->eg_wait[--x->neg];
			}
			return true;
		}
	return false;
}

/* Whether a just-settled domain waits on the egress question. */
static bool egress_hold(check_ctx *x, const char *name, const mx_domain *d)
{
	scan_counters c;
	char **g;

	scan_get_counters(x->s, &c);
	if (!x->egress_open && c.probes_done > c.probes_connect_timeout) {
		/* something answered: the network lets port 25 out after all */
		x->egress_open = true;
		egress_flush(x);
		if (x->egress)
			scan_set_egress_blocked(x->s, false);
		x->egress = false;
	}
	if (x->egress_open || x->egress || !mx_domain_only_connect_timeouts(d))
		return false;
	g = x->neg == x->capeg ? realloc(x->eg_wait, (x->capeg ? x->capeg * 2 : 8) * sizeof(*g))
	                       : x->eg_wait;
	if (!g)
		return false;
	if (x->neg == x->capeg)
		x->capeg = x->capeg ? x->capeg * 2 : 8;
	x->eg_wait = g;
	if (!(x->eg_wait[x->neg] = strdup(name)))
		return false;
	x->neg++;
	if (x->neg >= EGRESS_WAIT_MAX)
		egress_decide(x);
	return true;
}

static void on_domain(scan *s, const char *name, const mx_domain *d, unsigned changes, void *arg)
{
	check_ctx *x = arg;

	if (changes & SCAN_CH_SETTLED) {
		x->inflight--;
		if (!egress_hold(x, name, d))
			report(x, s, name, d);
	} else if ((changes & SCAN_CH_ANALYSIS) && egress_waiting(x, name, true)) {
		report(x, s, name, d);
	} else {
		return;
	}
	feed(x);
}

char *check_record_line(const cli_opts *o, const scan *s, const mx_domain *d, const char *json)
{
	char at[32];
	rec_meta m;

	if (json)
		return strdup(json);
	m = settings_record_meta(&o->set, s, MXSCOPE_VERSION, at, sizeof(at));
	return rec_line(d, &m);
}

char *check_render(const cli_opts *o, const scan *s, const mx_domain *d, const mx_report_opts *ro,
                   const blr_config *bl, int *record_fd)
{
	char at[32], *line = NULL, *why = NULL, *text;
	int none = -1;

	if (!record_fd)
		record_fd = &none; /* the caller records the line itself */
	if (o->set.json || *record_fd >= 0) {
		/* the JSON line is a recording: it says when and how it was made */
		rec_meta m = settings_record_meta(&o->set, s, MXSCOPE_VERSION, at, sizeof(at));
		line = rec_line(d, &m);
		if (line && *record_fd >= 0 && rec_append(*record_fd, line, &why) != MXS_OK) {
			cli_error("--record %s", why);
			free(why);
			close(*record_fd);
			*record_fd =
			    CHECK_RECORD_FAILED; /* the run ends 3: the recording is not whole */
		}
	}
	if (o->set.commands) {
		commands_opts co = settings_commands_opts(&o->set, s, bl);
		text = commands_text(d, &co);
	} else if (o->set.json) {
		return line;
	} else {
		text = mx_report_text(d, ro);
	}
	free(line);
	return text;
}

/* Whether the normalized name is this run's (--shard K/N): the same name
 * lands in the same shard on every machine, whatever its place in the list. */
static bool in_shard(const check_ctx *x, const char *name)
{
	const settings *st = &x->o->set;

	return st->shard_n <= 1 || mx_hash(name, MX_HASH_BASIS) % st->shard_n == st->shard_k - 1;
}

/* A line that is no name is reported by one shard only: the one its line
 * number picks. */
static bool line_in_shard(const check_ctx *x, unsigned long lineno)
{
	const settings *st = &x->o->set;

	return st->shard_n <= 1 || lineno % st->shard_n == st->shard_k - 1;
}

/* Starts one name; a name that cannot be a domain is reported and skipped
 * (with --shard, by the shard that lineno picks, so a list's junk is
 * reported once over all shards; 0 for a name of the command line, which
 * check_run has refused before anything starts). false when the name is
 * being checked already, or the --keep-order window is full: it waits its
 * turn. */
static bool start_name(check_ctx *x, const char *raw, const char *where, unsigned long lineno)
{
	char *why = NULL, *name = NULL;
	mxs_status st = mx_name_normalize(raw, &name, &why);

	if ((st == MXS_OK && !in_shard(x, name)) ||
	    (st == MXS_ERR_INVALID && !line_in_shard(x, lineno))) {
		free(name);
		free(why);
		return true;
	}
	if (st == MXS_OK && x->order && inorder_count(x->order) >= x->o->set.concurrency) {
		free(name);
		return false; /* --keep-order: the window is full; it waits */
	}
	/* counted and placed before it is added: a scan may report a domain
	 * from inside scan_add (a server already known to refuse) */
	if (st == MXS_OK && x->order && inorder_add(x->order, name) != MXS_OK) {
		st = MXS_ERR_NOMEM;
		why = strdup("out of memory");
	}
	if (st == MXS_OK) {
		x->inflight++;
		st = scan_add(x->s, name, &why);
		if (st != MXS_OK) {
			x->inflight--;
			if (x->order)
				inorder_drop_newest(x->order);
		}
	}
	free(name);
	if (st == MXS_OK) {
		return true;
	} else if (st == MXS_ERR_LIMIT) {
		free(why);
		return false;
	} else if (st == MXS_ERR_INVALID) {
		cli_error("%s%s%s", where ? where : "", where ? ": " : "",
		          why ? why : "invalid domain name");
		raise_exit(x, 2);
	} else if (st != MXS_OK) {
		cli_error("%s", why ? why : "out of memory");
		raise_exit(x, 1);
	}
	free(why);
	return true;
}

/* ---- the -f file --------------------------------------------------------- */

static void on_wake(void *arg)
{
	feed(arg);
}

/* Returns false when the line's name must wait (it is being checked). */
static bool handle_line(check_ctx *x, flist_line *l)
{
	char where[300], *line = l->text, *hash;
	size_t n;
	bool started = true;

	if (l->flags & FLIST_READ_ERROR) {
		cli_error("%s", l->text ? l->text : "out of memory");
		raise_exit(x, 2);
		return true;
	}
	snprintf(where, sizeof(where), "%s:%lu", flist_label(x->rd), l->lineno);
	if ((l->flags & (LINE_TOO_LONG | LINE_HAS_NUL)) && !line_in_shard(x, l->lineno))
		return true;
	if (l->flags & LINE_TOO_LONG) {
		cli_error("%s: line is longer than %d bytes; skipped", where, (int)FLIST_LINE_MAX);
		raise_exit(x, 2);
		return true;
	}
	if (l->flags & LINE_HAS_NUL) {
		/* a NUL would silently cut the name short: refuse the line */
		cli_error("%s: line holds a NUL byte; skipped", where);
		raise_exit(x, 2);
		return true;
	}
	/* blank lines and comments are for people; "# ..." may follow a name */
	hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	n = strlen(line);
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n == 0)
		return true;
	if (strpbrk(line, " \t")) {
		if (!line_in_shard(x, l->lineno))
			return true;
		cli_error("%s: expected one domain name per line", where);
		raise_exit(x, 2);
		return true;
	}
	if (!start_name(x, line, where, l->lineno)) {
		x->held_line = l->lineno;
		free(x->held);
		free(x->held_where);
		x->held = strdup(line);
		x->held_where = strdup(where);
		started = false;
		if (!x->held || !x->held_where) {
			cli_error("%s: out of memory", where);
			raise_exit(x, 1);
			started = true;
		}
	}
	return started;
}

static void finish(check_ctx *x)
{
	x->done = true;
}

/* Keeps up to --concurrency domains in flight from argv, then the file. */
static void feed(check_ctx *x)
{
	/* a domain settled inside scan_add reports and feeds from within this
	 * loop: the loop goes on, a second one would start its name again */
	if (x->done || x->feeding)
		return;
	x->feeding = true;
	feed_names(x);
	x->feeding = false;
}

static void feed_names(check_ctx *x)
{
	/* nobody reads the reports any more: stop asking */
	if (x->out_failed) {
		finish(x);
		return;
	}
	while (x->inflight < x->o->set.concurrency) {
		flist_line l;
		if (x->held) {
			/* a repeated name: its turn comes once the first is reported */
			char *where = x->held_where;
			if (!start_name(x, x->held, where[0] ? where : NULL, x->held_line))
				break;
			free(x->held);
			free(x->held_where);
			x->held = x->held_where = NULL;
			continue;
		}
		if (x->next_name < x->nnames) {
			if (!start_name(x, x->names[x->next_name], NULL, 0)) {
				x->held_line = 0;
				x->held = strdup(x->names[x->next_name]);
				x->held_where = strdup("");
				if (!x->held || !x->held_where) {
					free(x->held);
					free(x->held_where);
					x->held = x->held_where = NULL;
					cli_error("out of memory");
					raise_exit(x, 1);
				}
			}
			x->next_name++;
			continue;
		}
		if (!x->rd || !flist_next(x->rd, &l))
			break;
		handle_line(x, &l);
		free(l.text);
	}
	if (x->inflight == 0 && !x->held && x->next_name >= x->nnames &&
	    (!x->rd || flist_done(x->rd))) {
		if (x->neg && !x->egress) {
			egress_decide(x); /* the waiting domains come back re-analysed */
			if (x->neg)
				return;
		}
		if (!x->neg)
			finish(x);
	}
}

int check_blocklist_config(const cli_opts *o, blr_config **out)
{
	char *why = NULL, *warning = NULL;
	blr_config *cfg = blr_config_new();
	int code = 0;

	*out = NULL;
	if (!cfg) {
		cli_error("out of memory");
		return 3;
	}
	if (conffile_blocklists(o->conf, cfg, &warning, &why) != MXS_OK) {
		cli_error("--config %s", why ? why : "cannot be read");
		code = 2;
		goto done;
	}
	if (warning)
		cli_error("warning: %s", warning);
	if (o->set.blocklist_text && blr_config_parse(cfg, "lab", o->set.blocklist_text, 0, NULL,
	                                              NULL, NULL, &why) != MXS_OK) {
		cli_error("lab blocklist: %s", why);
		code = 3;
		goto done;
	}
	for (size_t i = 0; i < o->set.nblocklists; i++)
		if (blr_config_add_spec(cfg, o->set.blocklists[i], &why) != MXS_OK) {
			cli_error("--blocklist %s", why);
			code = 2;
			goto done;
		}
done:
	if (code)
		blr_config_free(cfg);
	else
		*out = cfg;
	free(warning);
	free(why);
	return code;
}

/* The CA file for --cafile, whole (bounded: 1 MiB of PEM is plenty). */
char *check_read_cafile(const char *path, char **why)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n;

	if (!f) {
		mxs_why(why, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc((1u << 20) + 1);
	if (!buf) {
		fclose(f);
		mxs_why(why, "%s: out of memory", path);
		return NULL;
	}
	n = fread(buf, 1, 1u << 20, f);
	fclose(f);
	buf[n] = '\0';
	if (!strstr(buf, "-----BEGIN CERTIFICATE-----")) {
		free(buf);
		mxs_why(why, "%s: no PEM certificate in it", path);
		return NULL;
	}
	return buf;
}

int check_run(uv_loop_t *loop, const cli_opts *o, char *const *names, size_t nnames, FILE *out)
{
	check_ctx x = {
	    .loop = loop, .o = o, .out = out, .names = names, .nnames = nnames, .record_fd = -1};
	scan_config sc = {0};
	scan_counters cnt;
	char *why = NULL;
	mxs_status st;
	int code;

	x.ro = (mx_report_opts){.color = o->set.color, .ascii = o->set.ascii};
	if (o->set.as_host) {
		char *as = NULL;
		if (mx_name_normalize(o->set.as_host, &as, &why) != MXS_OK) {
			cli_error("--as: %s", why);
			code = 2;
			goto done;
		}
		free(as);
	}
	/* every name on the command line is checked before anything is asked */
	for (size_t i = 0; i < nnames; i++) {
		char *n = NULL;
		if (mx_name_normalize(names[i], &n, &why) != MXS_OK) {
			cli_error("%s", why);
			code = 2;
			goto done;
		}
		free(n);
	}
	if (o->set.file && !(x.rd = flist_open(loop, o->set.file, on_wake, &x, &why))) {
		cli_error("%s", why);
		code = 2;
		goto done;
	}
	if (!o->set.no_probe && o->set.cafile && !o->set.ca_pem) {
		x.ca_pem = check_read_cafile(o->set.cafile, &why);
		if (!x.ca_pem) {
			cli_error("--cafile %s", why);
			code = 2;
			goto done;
		}
	}
	code = check_blocklist_config(o, &x.blcfg);
	if (code)
		goto done;
	if (o->set.record && (x.record_fd = rec_open(o->set.record, &why)) < 0) {
		cli_error("--record %s", why);
		code = 2;
		goto done;
	}
	sc = settings_scan_config(&o->set, SCAN_ONCE, x.ca_pem, x.blcfg);
	sc.on_domain = on_domain;
	sc.arg = &x;
	x.s = scan_new(loop, &sc, &st, &why);
	if (!x.s) {
		/* bad input in the options is a usage error; anything else could not run */
		code = st == MXS_ERR_INVALID ? 2 : 3;
		cli_error("%s", why ? why : "cannot start");
		goto done;
	}
	if (o->set.keep_order && !(x.order = inorder_new(o->set.concurrency, held_free))) {
		cli_error("out of memory");
		code = 3;
		goto done;
	}
	if (uv_prepare_init(loop, &x.flusher) == 0) {
		x.flusher.data = &x;
		x.flusher_open = true;
	}
	feed(&x);
	while (!x.done)
		uv_run(loop, UV_RUN_ONCE);
	out_flush(&x);
	code = x.worst_exit;
	/* the probes could not judge anything: not a verdict on the domains */
	if (x.egress)
		code = 3;
	scan_get_counters(x.s, &cnt);
	if (cnt.dns_questions > 0 && cnt.dns_replies == 0) {
		const char *f = scan_dns_last_failure(x.s);
		cli_error("no DNS server answered (%s): %s", scan_dns_servers(x.s),
		          f ? f : "no reply");
		code = 3;
	}
	if (x.record_fd == CHECK_RECORD_FAILED)
		code = 3;
	/* a reader that went away (| head) ends the run quietly */
	if (x.out_failed && x.out_errno != EPIPE) {
		cli_error("cannot write the reports: %s", strerror(x.out_errno));
		code = 3;
	}
done:
	x.done = true; /* a read that still ends feeds nothing */
	if (x.flusher_open)
		uv_close((uv_handle_t *)&x.flusher, NULL);
	scan_free(x.s);              /* cancels what is still on the wire: no callbacks */
	uv_run(loop, UV_RUN_NOWAIT); /* let the clients' handles close */
	blr_config_free(x.blcfg);    /* after the scan's client, which reads it */
	flist_close(x.rd);
	uv_run(loop, UV_RUN_NOWAIT); /* a closed stream lets go of its memory */
	free(x.held);
	free(x.held_where);
	for (size_t i = 0; i < x.neg; i++)
		free(x.eg_wait[i]);
	free(x.eg_wait);
	free(x.ca_pem);
	free(x.obuf);
	inorder_free(x.order);
	free(why);
	if (x.record_fd >= 0)
		close(x.record_fd);
	return code;
}
