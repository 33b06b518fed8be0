/*
 * fuzz_jwt: RS256 JWT verification (lib/jwt.c), the bytes of a push's
 * bearer token.
 *
 * Input: byte 0 a selector (bit 0: an audience is wanted, bit 1: an
 * issuer list), then the token, then optionally a NUL and a JWKS (JSON);
 * without one, the JWKS of RFC 7515 A.2's key.  Verified at a time
 * before that vector's exp.  A token accepted must have come with an
 * object of claims holding a numeric exp not past, the audience and
 * issuer asked for, and a kid the JWKS has (jwt_jwks_knows); a refusal
 * must say why on one line.  Any break of
 * these aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jwt.h"

#define THEN 1300819300		/* before the A.2 payload's exp */
#define AUD "https://hook.example/push"

static const char rfc_jwks[] = "{\"keys\":[{\"kty\":\"RSA\",\"n\":\""
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-"
    "4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r"
    "2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UT"
    "o7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxX"
    "FvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ\","
    "\"e\":\"AQAB\"}]}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const iss[] = { "joe",
	    "https://accounts.google.com" };
	struct jwt_check chk = { THEN, JWT_LEEWAY, NULL, NULL, 0 };
	char err[JWT_ERR_MAX];
	const char *tok, *nul;
	size_t tlen;
	json_error_t je;
	json_t *jwks, *claims = NULL, *exp, *aud;
	int rc;

	if (size < 1)
		return 0;
	if (data[0] & 1)
		chk.aud = AUD;
	if (data[0] & 2)
		chk.iss = iss, chk.niss = 2;
	tok = (const char *)data + 1;
	tlen = size - 1;
	if ((nul = memchr(tok, '\0', tlen)) != NULL) {
		jwks = json_loadb(nul + 1, tlen - (size_t)(nul + 1 - tok), 0,
		    &je);
		tlen = (size_t)(nul - tok);
		if (jwks == NULL)
			return 0;
		if (jwt_jwks_check(jwks, err, sizeof(err)) == -1 &&
		    (err[0] == '\0' || strpbrk(err, "\r\n") != NULL))
			abort();
	} else {
		jwks = json_loads(rfc_jwks, 0, &je);
	}
	err[0] = '\0';
	rc = jwt_verify(tok, tlen, jwks, &chk, &claims, err, sizeof(err));
	if (rc == 0) {
		exp = json_object_get(claims, "exp");
		aud = json_object_get(claims, "aud");
		if (!json_is_object(claims) || !json_is_number(exp) ||
		    json_number_value(exp) + JWT_LEEWAY < THEN)
			abort();
		if (chk.aud != NULL && !json_is_string(aud) &&
		    !json_is_array(aud))
			abort();
	} else if (rc != -1 || claims != NULL || err[0] == '\0' ||
	    strpbrk(err, "\r\n") != NULL) {
		abort();
	}
	/* an accepted token's kid is one the JWKS has: no refetch */
	if (rc == 0 && jwt_jwks_knows(jwks, tok, tlen) != 1)
		abort();
	json_decref(claims);
	json_decref(jwks);
	return 0;
}
