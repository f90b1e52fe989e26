/*
 * rfc2231.h: MIME header parameters (RFC 2045 §5.1, RFC 2183) with RFC 2231
 * continuations, charsets and languages.
 *
 * A parsed field is kept as one packed blob: the lowercased leading value
 * ("text/plain", "attachment"), then for each parameter its lowercased name
 * and its unquoted value, every string NUL-terminated. This is compact (the
 * MIME tree stores one blob per field) and needs no per-parameter malloc.
 */
#ifndef MIME_RFC2231_H
#define MIME_RFC2231_H

#include <stddef.h>

#include "lib/buf.h"

/* A read-only view of a packed parameter list. */
struct mime_params {
	const char	*blob;	/* name\0value\0 pairs; NULL when count is 0 */
	size_t		 len;	/* bytes in blob */
	size_t		 count;	/* parameters */
};

/*
 * Parses a structured field value such as Content-Type or
 * Content-Disposition: appends to out the leading value (comments and
 * white space removed, lowercased) and a NUL, then name\0value\0 for each
 * "; name=value" parameter. Values may be tokens or quoted strings; the
 * usual breakage (missing quotes, spaces around '=', stray ';', unquoted
 * spaces) is tolerated, and NUL bytes are dropped. On success *lead_out
 * is the leading value and *params_out views the parameters; both point
 * into out and stay valid until out next changes (copy params_out->blob
 * to keep it). Returns 0, or -1 when out is full (out is then unchanged).
 */
int mime_params_parse(const char *value, size_t len, struct buf *out,
    const char **lead_out, struct mime_params *params_out,
    const char **errstr_out);

/*
 * Iterates: *pos starts at 0. Returns 1 with *name_out and *value_out set to
 * the raw (as parsed, RFC 2231 not applied) parameter, or 0 at the end.
 */
int mime_params_next(const struct mime_params *p, size_t *pos,
    const char **name_out, const char **value_out);

/* The first raw value of the parameter named name (any case), or NULL. */
const char *mime_params_get_raw(const struct mime_params *p, const char *name);

/*
 * The decoded value of parameter name, appended to out as UTF-8: RFC 2231
 * "name*" and "name*0", "name*1*", ... continuations joined in index order
 * (stopping at the first gap) and converted from the charset given in the
 * first segment; failing those, the plain "name" with any RFC 2047 encoded
 * words decoded (common practice in real mail). Returns 1 when found, 0 when
 * absent, -1 when out is full.
 */
int mime_params_get(const struct mime_params *p, const char *name,
    struct buf *out, const char **errstr_out);

#endif
