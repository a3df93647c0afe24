/* src/check.c — the check command: feeds names to the resolver with at most
 * --concurrency domains in flight, prints each report as soon as its domain
 * is done and forgets it, so memory stays flat however long the list is. */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bl.h"
#include "dns.h"
#include "mx.h"
#include "name.h"
#include "report.h"
#include "smtp.h"

#define READ_CHUNK 65536

/* Lines of a file read through libuv's thread pool, so a slow pipe on
 * stdin never stalls the questions already on the wire. */
typedef struct reader {
	uv_fs_t req;
	int fd;
	int own_fd;
	const char *label; /* the file name for messages, "stdin" for - */
	char buf[READ_CHUNK];
	size_t pos, len;
	unsigned long lineno;
	bool reading, eof, skipping; /* skipping: the rest of an over-long line */
} reader;

typedef struct check_ctx {
	uv_loop_t *loop;
	const cli_opts *o;
	FILE *out;
	dns_client *dns;
	smtp_prober *smtp; /* NULL with --no-probe */
	blr_config *blcfg; /* blocklist providers; outlives bl */
	bl_client *bl;     /* NULL unless a blocklist is enabled */
	size_t inflight;   /* domains started and not yet reported */
	char *ca_pem;      /* --cafile's contents */
	mx_options mxo;
	mx_report_opts ro;
	char *const *names;
	size_t nnames, next_name;
	reader *rd;
	size_t reports;
	int worst_exit; /* 0, 1 or 2 so far */
	bool done;
	bool out_failed;
	int out_errno;           /* why writing failed */
	struct probing *probing; /* domains waiting for their probes */
} check_ctx;

static void feed(check_ctx *x);

static void raise_exit(check_ctx *x, int code)
{
	if (code > x->worst_exit)
		x->worst_exit = code;
}

/* Analyses a finished domain, prints its report and forgets it. */
static void report_domain(check_ctx *x, mx_domain *d)
{
	char *text = NULL;

	if (mx_domain_analyze(d, &x->mxo) != MXS_OK) {
		fprintf(stderr, "mxscope: %s: out of memory while analysing\n", mx_domain_name(d));
		raise_exit(x, 1);
		goto done;
	}
	if (mx_domain_worst(d) == MX_SEV_ERROR)
		raise_exit(x, 1);
	text = x->o->json ? mx_report_json(d) : mx_report_text(d, &x->ro);
	if (!text) {
		fprintf(stderr, "mxscope: %s: out of memory while rendering\n", mx_domain_name(d));
		raise_exit(x, 1);
		goto done;
	}
	if (!x->out_failed) {
		if (!x->o->json && x->reports)
			fputc('\n', x->out);
		fputs(text, x->out);
		if (x->o->json)
			fputc('\n', x->out);
		/* stream: a reader at the other end of a pipe sees each result now */
		if (fflush(x->out) != 0) {
			x->out_failed = true;
			x->out_errno = errno;
		}
	}
	x->reports++;
done:
	free(text);
	mx_domain_free(d);
	x->inflight--;
	feed(x);
}

/* The probes of one domain: its report waits until the last one ends.
 * Kept on a list so a run that stops early (the reader went away) can free
 * what the cancelled probes will never hand back. */
typedef struct probe_arg {
	struct probing *p;
	size_t host, addr;
} probe_arg;

typedef struct probing {
	check_ctx *x;
	mx_domain *d;
	size_t left;
	probe_arg *args; /* one per probe asked for */
	struct probing *prev, *next;
} probing;

static void probing_unlink_free(probing *p, bool free_domain)
{
	check_ctx *x = p->x;

	if (p->prev)
		p->prev->next = p->next;
	else
		x->probing = p->next;
	if (p->next)
		p->next->prev = p->prev;
	if (free_domain)
		mx_domain_free(p->d);
	free(p->args);
	free(p);
}

static void done_one(probing *p)
{
	if (--p->left == 0) {
		check_ctx *x = p->x;
		mx_domain *d = p->d;
		probing_unlink_free(p, false);
		report_domain(x, d);
	}
}

static void on_probe(probe_result *r, void *arg)
{
	probe_arg *pa = arg;

	mx_host_set_probe(pa->p->d, pa->host, pa->addr, r);
	done_one(pa->p);
}

/* One per enabled provider; pa is the address's slot, shared with its probe. */
static void on_blocklist(blr_result *r, void *arg)
{
	probe_arg *pa = arg;

	mx_host_add_blocklist(pa->p->d, pa->host, pa->addr, r);
	done_one(pa->p);
}

/* Probes every address of every MX host (the walk needs those in the
 * attempt order; the others are shown too) and asks the blocklists about
 * it, all at once. In the lab only loopback addresses are probed or looked
 * up, whatever a scenario file says. */
static void start_probes(check_ctx *x, mx_domain *d)
{
	probing *p = calloc(1, sizeof(*p));
	size_t n = 0, used = 0;

	for (size_t i = 0; i < mx_domain_host_count(d); i++)
		n += mx_domain_host(d, i)->naddrs;
	if (!p || !(p->args = calloc(n ? n : 1, sizeof(*p->args)))) {
		free(p);
		report_domain(x, d);
		return;
	}
	p->x = x;
	p->d = d;
	p->next = x->probing;
	if (x->probing)
		x->probing->prev = p;
	x->probing = p;
	p->left = 1; /* held until every probe is asked for */
	for (size_t i = 0; i < mx_domain_host_count(d); i++) {
		const mx_host *h = mx_domain_host(d, i);
		for (size_t k = 0; k < h->naddrs; k++) {
			probe_arg *pa = &p->args[used];
			if (x->o->loopback_probes && !mx_ip_is_loopback(h->addrs[k].ip))
				continue;
			*pa = (probe_arg){.p = p, .host = i, .addr = k};
			used++;
			if (x->bl) {
				size_t nb = 0;
				bl_lookup(x->bl, h->addrs[k].ip, on_blocklist, pa, &nb);
				p->left += nb;
			}
			if (x->smtp && smtp_probe(x->smtp, h->exchange, h->addrs[k].ip, on_probe,
			                          pa) == MXS_OK)
				p->left++;
		}
	}
	if (--p->left == 0) {
		probing_unlink_free(p, false);
		report_domain(x, d);
	}
}

static void on_domain(mx_domain *d, void *arg)
{
	check_ctx *x = arg;

	if (x->smtp || x->bl)
		start_probes(x, d);
	else
		report_domain(x, d);
}

/* Starts one name; a name that cannot be a domain is reported and skipped. */
static void start_name(check_ctx *x, const char *raw, const char *where)
{
	char *name = NULL, *why = NULL;
	mx_domain *d = NULL;

	if (mx_name_normalize(raw, &name, &why) != MXS_OK) {
		fprintf(stderr, "mxscope: %s%s%s\n", where ? where : "", where ? ": " : "",
		        why ? why : "invalid domain name");
		raise_exit(x, 2);
		goto done;
	}
	d = mx_domain_new(name);
	if (!d || dns_resolve(x->dns, d, on_domain, x) != MXS_OK) {
		fprintf(stderr, "mxscope: %s: out of memory\n", name);
		mx_domain_free(d);
		raise_exit(x, 1);
		goto done;
	}
	x->inflight++;
done:
	free(name);
	free(why);
}

/* ---- reading the -f file ------------------------------------------------ */

static void on_read(uv_fs_t *req)
{
	reader *r = req->data;
	check_ctx *x = r->req.loop->data;

	r->reading = false;
	if (req->result < 0) {
		fprintf(stderr, "mxscope: %s: cannot read: %s\n", r->label,
		        uv_strerror((int)req->result));
		raise_exit(x, 2);
		r->eof = true;
	} else if (req->result == 0) {
		r->eof = true;
	} else {
		r->len += (size_t)req->result;
	}
	uv_fs_req_cleanup(req);
	feed(x);
}

static void start_read(check_ctx *x, reader *r)
{
	uv_buf_t b;

	/* keep the unread part, then fill the rest of the buffer */
	memmove(r->buf, r->buf + r->pos, r->len - r->pos);
	r->len -= r->pos;
	r->pos = 0;
	b = uv_buf_init(r->buf + r->len, (unsigned)(sizeof(r->buf) - r->len));
	r->req.data = r;
	r->reading = true;
	if (uv_fs_read(x->loop, &r->req, r->fd, &b, 1, -1, on_read) != 0) {
		r->reading = false;
		r->eof = true;
	}
}

/* Hands out the next line, or returns false when none is ready yet. */
static bool next_line(check_ctx *x, reader *r, char **line)
{
	for (;;) {
		char *start = r->buf + r->pos, *nl = memchr(start, '\n', r->len - r->pos);
		if (nl) {
			bool was_skipping = r->skipping;
			*nl = '\0';
			r->pos = (size_t)(nl - r->buf) + 1;
			r->skipping = false;
			if (was_skipping)
				continue;
			r->lineno++;
			*line = start;
			return true;
		}
		if (r->eof) {
			if (r->pos < r->len && !r->skipping) {
				r->buf[r->len < sizeof(r->buf) ? r->len : sizeof(r->buf) - 1] =
				    '\0';
				*line = start;
				r->lineno++;
				r->pos = r->len;
				return true;
			}
			return false;
		}
		if (r->pos == 0 && r->len == sizeof(r->buf)) {
			/* a line longer than the whole buffer is not a domain name */
			r->lineno++;
			fprintf(stderr, "mxscope: %s:%lu: line is longer than %d bytes; skipped\n",
			        r->label, r->lineno, READ_CHUNK);
			raise_exit(x, 2);
			r->skipping = true;
			r->pos = r->len;
		}
		if (!r->reading)
			start_read(x, r);
		return false;
	}
}

static void handle_line(check_ctx *x, reader *r, char *line)
{
	char where[300];
	size_t n;

	/* blank lines and comments are for people; "# ..." may follow a name */
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	n = strlen(line);
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n == 0)
		return;
	if (strpbrk(line, " \t")) {
		fprintf(stderr, "mxscope: %s:%lu: expected one domain name per line\n", r->label,
		        r->lineno);
		raise_exit(x, 2);
		return;
	}
	snprintf(where, sizeof(where), "%s:%lu", r->label, r->lineno);
	start_name(x, line, where);
}

static void finish(check_ctx *x);

/* Keeps up to --concurrency domains in flight from argv, then the file. */
static void feed(check_ctx *x)
{
	/* nobody reads the reports any more: stop asking */
	if (x->out_failed) {
		finish(x);
		return;
	}
	while (x->inflight < x->o->concurrency) {
		char *line;
		if (x->next_name < x->nnames) {
			start_name(x, x->names[x->next_name], NULL);
			x->next_name++;
			continue;
		}
		if (!x->rd || !next_line(x, x->rd, &line))
			break;
		handle_line(x, x->rd, line);
	}
	if (x->inflight == 0 && x->next_name >= x->nnames &&
	    (!x->rd || (x->rd->eof && !x->rd->reading && x->rd->pos >= x->rd->len)))
		finish(x);
}

static void finish(check_ctx *x)
{
	x->done = true;
}

int check_blocklist_config(const cli_opts *o, blr_config **out)
{
	char *why = NULL, *warning = NULL, *path = NULL;
	blr_config *cfg = blr_config_new();
	int code = 0;

	*out = NULL;
	if (!cfg) {
		fprintf(stderr, "mxscope: out of memory\n");
		return 3;
	}
	path = o->config ? strdup(o->config) : bl_config_default_path();
	if (path && bl_config_load(cfg, path, o->config != NULL, &warning, &why) != MXS_OK) {
		fprintf(stderr, "mxscope: --config %s\n", why ? why : "cannot be read");
		code = 2;
		goto done;
	}
	if (warning)
		fprintf(stderr, "mxscope: warning: %s\n", warning);
	if (o->blocklist_text &&
	    blr_config_parse(cfg, "lab", o->blocklist_text, 0, NULL, NULL, NULL, &why) != MXS_OK) {
		fprintf(stderr, "mxscope: lab blocklist: %s\n", why);
		code = 3;
		goto done;
	}
	for (size_t i = 0; i < o->nblocklists; i++)
		if (blr_config_add_spec(cfg, o->blocklists[i], &why) != MXS_OK) {
			fprintf(stderr, "mxscope: --blocklist %s\n", why);
			code = 2;
			goto done;
		}
done:
	if (code)
		blr_config_free(cfg);
	else
		*out = cfg;
	free(path);
	free(warning);
	free(why);
	return code;
}

/* The blocklist client, when any provider is enabled (off by default).
 * Returns 0, or the exit status after printing why. */
static int setup_blocklists(check_ctx *x)
{
	bl_config bc = {.timeout_ms = x->o->timeout_ms};
	char *why = NULL;
	int code = check_blocklist_config(x->o, &x->blcfg);

	if (code || blr_config_enabled_count(x->blcfg) == 0)
		return code;
	x->bl = bl_client_new(x->loop, x->blcfg, &bc, &why);
	if (!x->bl) {
		fprintf(stderr, "mxscope: %s\n", why);
		code = 2;
	}
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

static reader *reader_open(const char *path, char **why)
{
	reader *r = calloc(1, sizeof(*r));

	if (!r) {
		mxs_why(why, "out of memory");
		return NULL;
	}
	if (strcmp(path, "-") == 0) {
		r->fd = STDIN_FILENO;
		r->label = "stdin";
	} else {
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			mxs_why(why, "%s: cannot open: %s", path, strerror(errno));
			free(r);
			return NULL;
		}
		r->own_fd = 1;
		r->label = path;
	}
	return r;
}

int check_run(uv_loop_t *loop, const cli_opts *o, char *const *names, size_t nnames, FILE *out)
{
	check_ctx x = {.loop = loop, .o = o, .out = out, .names = names, .nnames = nnames};
	dns_config cfg = {.servers = o->servers,
	                  .nservers = o->nservers,
	                  .timeout_ms = o->timeout_ms,
	                  .max_outstanding = 0};
	char *why = NULL;
	void *saved = loop->data;
	int code;

	x.mxo = (mx_options){
	    .seed = o->seed, .as_host = o->as_host, .allow_loopback = o->allow_loopback};
	x.ro = (mx_report_opts){.color = o->color, .ascii = o->ascii};
	if (o->as_host) {
		char *as = NULL;
		if (mx_name_normalize(o->as_host, &as, &why) != MXS_OK) {
			fprintf(stderr, "mxscope: --as: %s\n", why);
			code = 2;
			goto done;
		}
		free(as);
	}
	/* every name on the command line is checked before anything is asked */
	for (size_t i = 0; i < nnames; i++) {
		char *n = NULL;
		if (mx_name_normalize(names[i], &n, &why) != MXS_OK) {
			fprintf(stderr, "mxscope: %s\n", why);
			code = 2;
			goto done;
		}
		free(n);
	}
	if (o->file && !(x.rd = reader_open(o->file, &why))) {
		fprintf(stderr, "mxscope: %s\n", why);
		code = 2;
		goto done;
	}
	x.dns = dns_client_new(loop, &cfg, &why);
	if (!x.dns) {
		fprintf(stderr, "mxscope: %s\n", why);
		code = strstr(why, "DNS server \"") ? 2 : 3;
		goto done;
	}
	if (!o->no_probe) {
		smtp_config sc = {.port = o->smtp_port > 0 ? o->smtp_port : 25,
		                  .timeout_ms = o->timeout_ms,
		                  .max_probes = 0,
		                  .ehlo_name = o->ehlo_name,
		                  .ca_pem = o->ca_pem};
		if (o->cafile && !o->ca_pem) {
			x.ca_pem = check_read_cafile(o->cafile, &why);
			if (!x.ca_pem) {
				fprintf(stderr, "mxscope: --cafile %s\n", why);
				code = 2;
				goto done;
			}
			sc.ca_pem = x.ca_pem;
		}
		x.smtp = smtp_prober_new(loop, &sc, &why);
		if (!x.smtp) {
			fprintf(stderr, "mxscope: %s\n", why);
			code = 3;
			goto done;
		}
	}
	code = setup_blocklists(&x);
	if (code)
		goto done;
	loop->data = &x;
	feed(&x);
	while (!x.done)
		uv_run(loop, UV_RUN_ONCE);
	code = x.worst_exit;
	if (dns_client_questions(x.dns) > 0 && dns_client_replies(x.dns) == 0) {
		const char *f = dns_client_last_failure(x.dns);
		fprintf(stderr, "mxscope: no DNS server answered (%s): %s\n",
		        dns_client_servers(x.dns), f ? f : "no reply");
		code = 3;
	}
	/* a reader that went away (| head) ends the run quietly */
	if (x.out_failed && x.out_errno != EPIPE) {
		fprintf(stderr, "mxscope: cannot write the reports: %s\n", strerror(x.out_errno));
		code = 3;
	}
done:
	smtp_prober_free(x.smtp); /* cancels: the probes' domains are freed below */
	bl_client_free(x.bl);     /* the same for the blocklist lookups */
	blr_config_free(x.blcfg); /* after the client, which reads it */
	while (x.probing)
		probing_unlink_free(x.probing, true);
	dns_client_free(x.dns);
	uv_run(loop, UV_RUN_NOWAIT); /* let the resolver's handles close */
	loop->data = saved;
	if (x.rd && x.rd->own_fd)
		close(x.rd->fd);
	free(x.rd);
	free(x.ca_pem);
	free(why);
	return code;
}
