/* lab/trainer.c — the trainer's command language (trainer.h). One table row
 * per command; the line is split into words here and each handler gets the
 * words after the command name, already counted against the table. */
#include "trainer.h"

#include "num.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRAINER_MAX_WORDS 4   /* the command and at most three arguments */
#define TRAINER_LINE_MAX  256 /* longer than any legal command line */
#define TRAINER_HOST_MAX  300 /* a 253-byte name plus a domain suffix that is cut */

struct lab {
	lab_world *world;
	lab_smtp *smtp;
};

/* What a handler gets: the lab, the selected domain (checked when the table
 * says the command needs one), the arguments and where to say what it did. */
struct call {
	lab *l;
	const char *domain;
	char **arg;
	size_t narg;
	char **why;
};

typedef mxs_status (*trainer_fn)(const struct call *c);

struct entry {
	struct lab_trainer_cmd cmd;
	size_t min_args, max_args;
	trainer_fn fn;
};

lab *lab_new(lab_world *world, lab_smtp *smtp)
{
	lab *l = calloc(1, sizeof(*l));

	if (l) {
		l->world = world;
		l->smtp = smtp;
	}
	return l;
}

void lab_free(lab *l)
{
	free(l);
}

/* A host as the trainer typed it: a bare label is under the domain ("mx2"),
 * anything with a dot is a full name. */
static void full_host(const char *word, const char *domain, char *out, size_t cap)
{
	if (strchr(word, '.'))
		snprintf(out, cap, "%s", word);
	else
		snprintf(out, cap, "%s.%s", word, domain);
}

static mxs_status need_smtp(const struct call *c)
{
	if (c->l->smtp)
		return MXS_OK;
	mxs_why(c->why, "this lab runs no SMTP hosts");
	return MXS_ERR_INVALID;
}

static mxs_status need_world(const struct call *c)
{
	if (c->l->world)
		return MXS_OK;
	mxs_why(c->why, "this lab has no records to change");
	return MXS_ERR_INVALID;
}

static mxs_status do_down_up(const struct call *c, const char *word, const char *said)
{
	mxs_status st = need_smtp(c);

	if (st == MXS_OK)
		st = lab_smtp_set_behaviour(c->l->smtp, c->arg[0], word, c->why);
	if (st == MXS_OK)
		mxs_why(c->why, "%s is %s", c->arg[0], said);
	return st;
}

static mxs_status do_down(const struct call *c)
{
	return do_down_up(c, "down", "down (connections refused)");
}

static mxs_status do_up(const struct call *c)
{
	return do_down_up(c, "up", "up again");
}

/* "behave mta-sts.DOMAIN WORD": the MTA-STS policy host of DOMAIN (the
 * lab's HTTPS server) serves another policy: a mode, a way of failing, or
 * one more mx= pattern. */
static mxs_status do_policy_host(const struct call *c, const char *domain)
{
	mxs_status st = need_world(c);
	bool mx = strncmp(c->arg[1], "mx=", 3) == 0;

	if (st == MXS_OK && mx)
		st = lab_world_add_sts_mx(c->l->world, domain, c->arg[1] + 3, c->why);
	else if (st == MXS_OK)
		st = lab_world_set_sts(c->l->world, domain, c->arg[1], c->why);
	if (st == MXS_OK)
		mxs_why(c->why, "%s: the MTA-STS policy %s %s", domain,
		        mx ? "now covers" : "is now", mx ? c->arg[1] + 3 : c->arg[1]);
	return st;
}

static mxs_status do_behave(const struct call *c)
{
	char beh[64];
	mxs_status st;

	if (strncmp(c->arg[0], "mta-sts.", 8) == 0 && c->narg == 2)
		return do_policy_host(c, c->arg[0] + 8);
	st = need_smtp(c);
	if (st != MXS_OK)
		return st;
	snprintf(beh, sizeof(beh), "%s%s%s", c->arg[1], c->narg == 3 ? " " : "",
	         c->narg == 3 ? c->arg[2] : "");
	/* rcpt=WORD: how the host answers RCPT TO (the recipient stage);
	 * key=N: the key its certificate carries, as $SMTP's key=N */
	if (strncmp(beh, "rcpt=", 5) == 0)
		st = lab_smtp_set_rcpt(c->l->smtp, c->arg[0], beh + 5, c->why);
	else if (strncmp(beh, "key=", 4) == 0) {
		unsigned long key = 0;
		if (!mx_num_parse(beh + 4, 1000, &key)) {
			mxs_why(c->why, "key= takes a key number 0-1000, not \"%.20s\"", beh + 4);
			return MXS_ERR_INVALID;
		}
		st = lab_smtp_set_key(c->l->smtp, c->arg[0], (unsigned)key, c->why);
		if (st == MXS_OK)
			mxs_why(c->why,
			        "%s presents a certificate with key %lu: a TLSA record for another "
			        "key is stale",
			        c->arg[0], key);
		return st;
	} else
		st = lab_smtp_set_behaviour(c->l->smtp, c->arg[0], beh, c->why);
	if (st == MXS_OK)
		mxs_why(c->why, "%s now behaves: %s", c->arg[0], beh);
	return st;
}

/* pref, add-mx and del-mx share the checks; which one is which argument
 * order: "pref HOST N", "add-mx N HOST", "del-mx HOST". */
static mxs_status do_mx(const struct call *c, int add, int del)
{
	char host[TRAINER_HOST_MAX];
	const char *hw = add ? c->arg[1] : c->arg[0], *pw = add ? c->arg[0] : c->arg[1];
	unsigned long pref = 0;
	mxs_status st = need_world(c);

	if (st != MXS_OK)
		return st;
	if (!del && !mx_num_parse(pw, 65535, &pref)) {
		mxs_why(c->why, "a preference is a number 0-65535, not \"%.40s\"", pw);
		return MXS_ERR_INVALID;
	}
	full_host(hw, c->domain, host, sizeof(host));
	if (del)
		st = lab_world_remove_mx(c->l->world, c->domain, host, c->why);
	else if (add)
		st = lab_world_add_mx(c->l->world, c->domain, (unsigned)pref, host, c->why);
	else
		st = lab_world_set_mx_preference(c->l->world, c->domain, host, (unsigned)pref,
		                                 c->why);
	if (st == MXS_OK && del)
		mxs_why(c->why, "%s: MX %s removed", c->domain, host);
	else if (st == MXS_OK)
		mxs_why(c->why, "%s: MX %lu %s %s", c->domain, pref, host,
		        add ? "added" : "(new preference)");
	return st;
}

static mxs_status do_pref(const struct call *c)
{
	return do_mx(c, 0, 0);
}

static mxs_status do_add_mx(const struct call *c)
{
	return do_mx(c, 1, 0);
}

static mxs_status do_del_mx(const struct call *c)
{
	return do_mx(c, 0, 1);
}

static mxs_status do_reset(const struct call *c)
{
	mxs_status st = need_world(c);

	if (st == MXS_OK)
		st = lab_world_reset(c->l->world, c->why);
	if (st == MXS_OK && c->l->smtp)
		st = lab_smtp_reset(c->l->smtp, c->why);
	if (st == MXS_OK)
		mxs_why(c->why, "reset: every record and host as the scenarios say");
	return st;
}

/* The one description of the language. Order is the order of the help. */
static const struct entry commands[] = {
    {{"down", "ADDR", "the SMTP host at ADDR refuses connections", false}, 1, 1, do_down},
    {{"up", "ADDR", "the SMTP host at ADDR acts as its scenario says again", false}, 1, 1, do_up},
    {{"behave", "ADDR WORD [N]",
      "the SMTP host at ADDR gets another behaviour: accept, refuse, silent, tempfail, "
      "reject, slow N, or any other `$SMTP` word (docs/lab.md); rcpt=accept, rcpt=reject, "
      "rcpt=tempfail or rcpt=silent for its answer to RCPT TO. As ADDR, mta-sts.DOMAIN is the "
      "MTA-STS "
      "policy host: WORD enforce, testing or none; ok, missing, redirect, html, huge or "
      "silent; or mx=PATTERN, one more host covered. key=N: the host's certificate gets "
      "its key N (a new key: its TLSA record goes stale)",
      false},
     2,
     3,
     do_behave},
    {{"pref", "HOST N", "the MX record for HOST gets preference N", true}, 2, 2, do_pref},
    {{"add-mx", "N HOST", "adds an MX record for HOST with preference N", true}, 2, 2, do_add_mx},
    {{"del-mx", "HOST", "removes the MX record for HOST", true}, 1, 1, do_del_mx},
    {{"reset", "", "every record and host back as the scenarios say", false}, 0, 0, do_reset},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

size_t lab_trainer_cmd_count(void)
{
	return NCOMMANDS;
}

const struct lab_trainer_cmd *lab_trainer_cmd_at(size_t i)
{
	return i < NCOMMANDS ? &commands[i].cmd : NULL;
}

size_t lab_trainer_help(char *buf, size_t cap)
{
	size_t need = 0;

	if (cap)
		buf[0] = '\0';
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct lab_trainer_cmd *c = &commands[i].cmd;
		int n = snprintf(buf ? buf + (need < cap ? need : cap) : NULL,
		                 need < cap ? cap - need : 0, "%s%s%s%s", i ? ", " : "", c->name,
		                 c->args[0] ? " " : "", c->args);

		if (n > 0)
			need += (size_t)n;
	}
	return need;
}

static const struct entry *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].cmd.name, name) == 0)
			return &commands[i];
	return NULL;
}

mxs_status lab_trainer_run(lab *l, const char *domain, const char *line, char **why)
{
	char buf[TRAINER_LINE_MAX], *w[TRAINER_MAX_WORDS], *save = NULL;
	size_t n = 0;
	const struct entry *e;
	struct call c;

	if (!l || !line) {
		mxs_why(why, "no lab");
		return MXS_ERR_INVALID;
	}
	if (strlen(line) >= sizeof(buf)) {
		mxs_why(why, "the command is longer than %zu characters", sizeof(buf) - 1);
		return MXS_ERR_INVALID;
	}
	memcpy(buf, line, strlen(line) + 1);
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == TRAINER_MAX_WORDS) {
			mxs_why(why, "too many words");
			return MXS_ERR_INVALID;
		}
		w[n++] = t;
	}
	if (n == 0) {
		char help[256];

		lab_trainer_help(help, sizeof(help));
		mxs_why(why, "no command; try %s", help);
		return MXS_ERR_INVALID;
	}
	e = find(w[0]);
	if (!e) {
		char help[256];

		lab_trainer_help(help, sizeof(help));
		mxs_why(why, "unknown command \"%.40s\"; try %s", w[0], help);
		return MXS_ERR_INVALID;
	}
	if (n - 1 < e->min_args || n - 1 > e->max_args) {
		mxs_why(why, "usage: %s%s%s", e->cmd.name, e->cmd.args[0] ? " " : "", e->cmd.args);
		return MXS_ERR_INVALID;
	}
	if (e->cmd.needs_domain && (!domain || !*domain)) {
		mxs_why(why, "%s: select a domain first", e->cmd.name);
		return MXS_ERR_INVALID;
	}
	c = (struct call){l, domain, w + 1, n - 1, why};
	return e->fn(&c);
}
