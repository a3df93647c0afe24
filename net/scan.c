/* net/scan.c — the scan pipeline (see scan.h). Stub: the API compiles; the
 * implementation follows. */
#include "scan.h"

#include <stdlib.h>

mxs_status scan_global_init(char **why)
{
	mxs_why(why, "not implemented");
	return MXS_ERR_INVALID;
}
void scan_global_cleanup(void) {}
const char *scan_versions(void)
{
	return "";
}
scan *scan_new(uv_loop_t *loop, const scan_config *cfg, int *code_hint, char **why)
{
	(void)loop;
	(void)cfg;
	if (code_hint)
		*code_hint = 3;
	mxs_why(why, "not implemented");
	return NULL;
}
void scan_free(scan *s)
{
	(void)s;
}
