/* redact.h: connection strings and URLs as they may be shown (exit reasons,
 * logs, attributes): passwords replaced.  Licence: GPL-2.0-or-later. */
#ifndef RA_REDACT_H
#define RA_REDACT_H

#include <stddef.h>

/* A libpq conninfo (keyword=value or URI form) with its password replaced
 * by "***", as "keyword=value ..." pairs (quoted as libpq reads them: a
 * value with blanks as 'a b'), cut at a pair boundary when out is short;
 * "(unparsable conninfo)" when libpq
 * cannot parse it (nothing of it is shown then).  Returns out. */
const char *ra_redact_conninfo(const char *conninfo, char *out, size_t len);

/* A URL as libcurl reads it, with its user information replaced by "***"
 * and its query and fragment dropped ("?token=..."): scheme://host:port/path;
 * "(unparsable URL)" when libcurl cannot parse it.  Returns out. */
const char *ra_redact_url(const char *url, char *out, size_t len);

#endif
