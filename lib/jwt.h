/* jwt: RS256 JSON Web Tokens (RFC 7519 on RFC 7515's compact JWS):
 * signing with a PEM private key, verifying against a JWKS (RFC 7517) */
/*
 * Only RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 section 3.3),
 * both ways: a token naming any other "alg" (none, HS256: the algorithm
 * confusions) is refused before any key is looked at.  Verification
 * meets outside bytes (a push's bearer token): it refuses, never
 * crashes, on bad base64url, bad or duplicate-key JSON, huge numbers and
 * huge tokens.  Nothing prints or exits; safe on server threads.
 */
#ifndef JWT_H
#define JWT_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>

#define JWT_MAX 16384		/* longest token verified, bytes */
#define JWT_LEEWAY 60		/* clock skew allowed on exp, nbf, iat, s */
#define JWT_ERR_MAX 256		/* an err buffer this size holds any reason */

/*
 * Sign the JWS signing input BASE64URL(hdr) "." BASE64URL(payload), the
 * bytes as given, with the RSA private key in pem (PKCS#8 or PKCS#1 PEM
 * text, unencrypted, 2048 bits or more).  Returns the compact token
 * (caller frees), or NULL with err, which never quotes the key.
 */
char *jwt_sign_raw(const char *hdr, size_t hdrlen, const char *payload,
    size_t paylen, const char *pem, size_t pemlen, char *err,
    size_t errlen);

/*
 * Sign the claims (a JSON object) under the header {"alg":"RS256",
 * "typ":"JWT"} and, when kid is not NULL, "kid"; both dumped compact.
 * Returns the token (caller frees) or NULL with err.
 */
char *jwt_sign(const json_t *claims, const char *kid, const char *pem,
    size_t pemlen, char *err, size_t errlen);

/* What jwt_verify checks besides the signature. */
struct jwt_check {
	time_t now;		/* wall-clock seconds */
	long leeway;		/* seconds either way (JWT_LEEWAY) */
	const char *aud;	/* the one audience wanted ("aud" a string
				 * equal to it, or an array holding it);
				 * NULL: not checked */
	const char *const *iss;	/* "iss" must be one of these */
	size_t niss;		/* 0: not checked */
};

/*
 * Verify token tok[0..len) against jwks ({"keys": [{"kty": "RSA",
 * "kid", "n", "e", "alg", "use"}, ...]}): three base64url parts, a
 * header with "alg" RS256 and no "crit", the key whose "kid" is the
 * header's (a header without kid: any RSA key), that key's RS256
 * signature, then the claims: an object, "exp" required and not past
 * (now - leeway), "nbf" and "iat" not after now + leeway, "aud" and
 * "iss" as chk says.  Keys of another kty or alg, or "use" other than
 * "sig", are passed over.  Returns 0 with *claims (a new reference:
 * json_decref it), or -1 with a one-line reason in err that never
 * quotes the token.
 */
int jwt_verify(const char *tok, size_t len, const json_t *jwks,
    const struct jwt_check *chk, json_t **claims, char *err, size_t errlen);

/*
 * Check a JWKS once (a config's): an object with a "keys" array whose
 * RSA keys all decode to public keys of 2048 to 8192 bits, at least one
 * of them usable for RS256.  Returns 0, or -1 with err.
 */
int jwt_jwks_check(const json_t *jwks, char *err, size_t errlen);

/*
 * Whether a JWKS of newer keys could help token tok[0..len): 0 when its
 * header names a kid that no RS256 key of jwks has (the signer rotated
 * its keys: fetch the JWKS again), 1 otherwise (a kid jwks has, no kid,
 * or a token that no JWKS would make good).
 */
int jwt_jwks_knows(const json_t *jwks, const char *tok, size_t len);

#endif
