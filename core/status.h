/* core/status.h — the one status enum every module returns.
 *
 * A status says what kind of failure happened; the human-readable reason
 * travels separately in a `char **why` (malloc'd, owned by the caller). */
#ifndef MXSCOPE_STATUS_H
#define MXSCOPE_STATUS_H

typedef enum mxs_status {
	MXS_OK = 0,
	MXS_ERR_NOMEM,   /* an allocation failed */
	MXS_ERR_INVALID, /* bad input: a name, an option, a file's contents */
	MXS_ERR_IO,      /* a file or socket operation failed */
	MXS_ERR_NET,     /* a network peer failed or misbehaved */
	MXS_ERR_LIMIT,   /* a bound was reached (size, count, depth) */
} mxs_status;

/* A short constant word for the status ("ok", "out of memory", ...). */
const char *mxs_str(mxs_status st);

/* printf into a new string for a `why` out-parameter; does nothing when why
 * is NULL. The string is malloc'd and owned by the caller. */
void mxs_why(char **why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
