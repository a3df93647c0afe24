/* tests/check_json.h — reading what `mxscope check --json` prints, for the
 * tests that run the real binary against the lab process (tests/harness.h). */
#ifndef MXSCOPE_CHECK_JSON_H
#define MXSCOPE_CHECK_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "harness.h"

/* `check --no-probe --json --allow-loopback --seed SEED -s LAB DOMAIN [--as AS]`
 * against lab; r gets the run (free with hrun_free), the result is the one JSON
 * object it printed (json_decref it). Fails the test when it is not one. */
json_t *check_json(const hlab *lab, const char *domain, const char *as, const char *seed, hrun *r);

/* The same with probes on (the lab's SMTP port and CA), --timeout TIMEOUT. */
json_t *probe_json_run(const hlab *lab, const char *domain, const char *timeout, hrun *r);

/* The finding codes of a report, sorted, space separated, into out. */
void codes_of(json_t *j, char *out, size_t cap);

/* The severity of the first finding with code in a report, or NULL. */
const char *severity_of(json_t *j, const char *code);

/* The probe object of address ip in a report, or NULL. */
json_t *probe_of(json_t *j, const char *ip);

#endif
