/* core/status.c — status words and the `why` helper shared by all modules. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *mxs_str(mxs_status st)
{
	switch (st) {
	case MXS_OK: return "ok";
	case MXS_ERR_NOMEM: return "out of memory";
	case MXS_ERR_INVALID: return "invalid input";
	case MXS_ERR_IO: return "input/output error";
	case MXS_ERR_NET: return "network error";
	case MXS_ERR_LIMIT: return "limit reached";
	}
	return "unknown status";
}

void mxs_why(char **why, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (!why)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(*why);
	*why = s;
}
