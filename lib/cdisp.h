/* cdisp: the file name a server gives in Content-Disposition (RFC 6266,
 * with RFC 8187's filename*=UTF-8''...), and a name that stays in a
 * directory */
#ifndef CDISP_H
#define CDISP_H

#include <stddef.h>

/*
 * The filename parameter of the Content-Disposition value v, as sent:
 * filename*=UTF-8'[language]'... first (percent-decoded; a decoded %00
 * ends the name), else filename= (a token, or a quoted string with
 * \-escapes); whitespace after '=' is allowed.
 * Returns 0 with *name allocated (not yet safe to use as a path: see
 * cdisp_safe_name), or -1 with err if v names no file.
 */
int cdisp_filename(const char *v, char **name, char *err, size_t errlen);

/*
 * A file name made from s that stays in its directory: the last part
 * after any '/' or '\', control characters dropped, a leading '.' made
 * '_', at most 200 bytes.  Returns 0 with *out allocated, or -1 with err
 * if nothing is left.
 */
int cdisp_safe_name(const char *s, char **out, char *err, size_t errlen);

#endif
