/* jwks: a JSON Web Key Set (RFC 7517) from a file or an https URL, kept
 * current, for verifying RS256 JWTs (lib/jwt) on server threads */
/*
 * A file is read when opened and by jwks_reload (SIGHUP).  A URL (Google's
 * https://www.googleapis.com/oauth2/v3/certs) is fetched when opened,
 * then again once its answer's Cache-Control max-age has passed (hourly
 * without one; 60 s to a day), by the first request to need it; a
 * request whose token names a kid the keys lack (the signer rotated them)
 * fetches it again at once, at most once a JWKS_REFETCH seconds (the
 * fetch of jwks_open and jwks_reload not counted: the first may follow
 * at once).  A stale JWKS whose fetch fails is tried again a minute on.  One
 * thread fetches at a time: the others go on with the keys they have,
 * and when a fetch fails the old keys stay.  Every JWKS is checked with
 * jwt_jwks_check before it is used.  Nothing prints or exits; thread-safe.
 */
#ifndef JWKS_H
#define JWKS_H

#include <stddef.h>
#include <jansson.h>

#include "jwt.h"

#define JWKS_GET_MAX 65536	/* bytes of a JWKS, file or URL */
#define JWKS_TTL 3600		/* s a fetched JWKS is used without max-age */
#define JWKS_TTL_MIN 60		/* the shortest max-age obeyed, s */
#define JWKS_TTL_MAX 86400	/* the longest, s */
#define JWKS_REFETCH 60		/* s between fetches for an unknown kid */
#define JWKS_ERR_MAX 512	/* an err buffer this size holds any reason */

struct jwks;

/*
 * A source: src is an https URL or a file name (http:// is refused: the
 * keys would come unauthenticated); ca_file a CA bundle for the fetch
 * (NULL: libcurl's).  Reads or fetches it now.  Returns the source or
 * NULL with err (curl_global_init must have been done).
 */
struct jwks *jwks_open(const char *src, const char *ca_file, char *err,
    size_t errlen);
/* Read the file (or fetch the URL) again; on failure the keys in use
 * stay.  0, or -1 with err. */
int jwks_reload(struct jwks *k, char *err, size_t errlen);
/* The source as given (for messages). */
const char *jwks_source(const struct jwks *k);
/*
 * jwt_verify tok[0..len) against the keys, refreshed as above.  0 with
 * *claims (json_decref it), or -1 with err, which never quotes the token.
 */
int jwks_verify(struct jwks *k, const char *tok, size_t len,
    const struct jwt_check *chk, json_t **claims, char *err, size_t errlen);
void jwks_free(struct jwks *k);

/* Seconds of a Cache-Control value's max-age, clamped to JWKS_TTL_MIN ..
 * JWKS_TTL_MAX; JWKS_TTL without one (or with no-cache, no-store). */
long jwks_max_age(const char *cache_control);

#endif
