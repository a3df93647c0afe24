/* fuzz/fuzz_scenario.c — libFuzzer target: arbitrary text as a scenario file.
 * A load either succeeds or fails with an "origin:line: ..." reason, and a
 * failed load must leave the world as it was. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	lab_world *w = lab_world_new();
	char *why = NULL;
	mxs_status st;
	uint8_t q[64] = {0x12, 0x34, 0x01, 0x00, 0,   1,   0, 0, 0,  0, 0,
	                 0,    4,    'f',  'u',  'z', 'z', 0, 0, 15, 0, 1},
	        a[1232];

	if (!text || !w)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (lab_world_load_builtin_named(w, "single", &why) != MXS_OK)
		abort();
	st = lab_world_load_string(w, "fuzz.zone", text, &why);
	if (st == MXS_OK) {
		if (lab_world_scenario_count(w) != 2 || why)
			abort();
		for (size_t j = 0; j < lab_scenario_domain_count(w, 1); j++)
			if (!lab_scenario_domain(w, 1, j))
				abort();
		(void)lab_dns_answer(w, q, 22, a, sizeof(a), 0);
	} else {
		if (!why || strncmp(why, "fuzz.zone:", 10) != 0 || lab_world_scenario_count(w) != 1)
			abort();
	}
	/* the scenario loaded first is untouched either way */
	if (strcmp(lab_scenario_name(w, 0), "single") != 0)
		abort();
	free(why);
	free(text);
	lab_world_free(w);
	return 0;
}
