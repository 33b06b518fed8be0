/* jwt unit tests: RFC 7515 appendix A.2 (its RS256 JWS verbatim, signed
 * again byte for byte), a sign/verify round trip on a fresh key, and each
 * kind of refusal (see tests/data/jwt/SOURCE) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "enc.h"
#include "jwt.h"
#include "sys.h"
#include "tap.h"
#include "xmem.h"

#define D "tests/data/jwt/"
#define RFC_EXP 1300819380	/* the A.2 payload's exp */
#define NOW 1764000000

static char *
slurp(const char *path, size_t *len)
{
	char err[256];
	char *p = sys_slurp(path, 0, len, err, sizeof(err));

	if (p == NULL) {
		printf("Bail out! %s (run from the repo root)\n", err);
		exit(1);
	}
	return p;
}

/* verify tok at now with chk's aud and iss; 0 or -1, err and claims */
static int
verify(const char *tok, const json_t *jwks, time_t now, const char *aud,
    const char *iss, json_t **claims, char *err, size_t errlen)
{
	const char *const issv[] = { "https://issuer.example", iss };
	struct jwt_check chk = { now, JWT_LEEWAY, aud, issv, iss ? 2 : 0 };

	err[0] = '\0';
	return jwt_verify(tok, strlen(tok), jwks, &chk, claims, err, errlen);
}

/* the token fails with a reason matching want */
static void
refused(const char *tok, const json_t *jwks, time_t now, const char *aud,
    const char *iss, const char *want, const char *name)
{
	char err[JWT_ERR_MAX];
	json_t *c = NULL;
	int rc = verify(tok, jwks, now, aud, iss, &c, err, sizeof(err));

	if (!ok(rc == -1 && c == NULL && strstr(err, want) != NULL, "%s",
	    name))
		printf("#   rc %d, err '%s', want '%s'\n", rc, err, want);
	json_decref(c);
}

static void
rfc_vector(void)
{
	size_t jlen, tlen, plen;
	char *jwk = slurp(D "rfc7515-a2.jwk", &jlen);
	char *tok = slurp(D "rfc7515-a2.jws", &tlen);
	char *pem = slurp(D "rfc7515-a2.pem", &plen);
	static const char hdr[] = "{\"alg\":\"RS256\"}";
	static const char pay[] = "{\"iss\":\"joe\",\r\n \"exp\":1300819380,"
	    "\r\n \"http://example.com/is_root\":true}";
	char err[JWT_ERR_MAX] = "", *signed_;
	json_error_t je;
	json_t *k = json_loads(jwk, 0, &je), *jwks, *c = NULL;

	json_object_del(k, "d");	/* the public half only */
	jwks = json_pack("{s:[o]}", "keys", k);
	ok(jwt_jwks_check(jwks, err, sizeof(err)) == 0, "RFC 7515 A.2: JWKS "
	    "of its key passes the check (%s)", err);
	ok(verify(tok, jwks, RFC_EXP - 80, NULL, NULL, &c, err,
	    sizeof(err)) == 0, "RFC 7515 A.2: the JWS verifies (%s)", err);
	is_str(json_string_value(json_object_get(c, "iss")), "joe",
	    "RFC 7515 A.2: claims iss joe");
	ok(json_is_true(json_object_get(c, "http://example.com/is_root")),
	    "RFC 7515 A.2: claims is_root true");
	json_decref(c);
	ok(verify(tok, jwks, RFC_EXP + JWT_LEEWAY - 1, NULL, NULL, &c, err,
	    sizeof(err)) == 0, "RFC 7515 A.2: within the leeway after exp");
	json_decref(c);
	refused(tok, jwks, RFC_EXP + JWT_LEEWAY + 1, NULL, NULL, "expired",
	    "RFC 7515 A.2: refused past exp and the leeway");
	refused(tok, jwks, RFC_EXP - 80, "someone", NULL, "aud",
	    "RFC 7515 A.2: refused when an audience is wanted");
	refused(tok, jwks, RFC_EXP - 80, NULL, "https://example.com", "iss",
	    "RFC 7515 A.2: refused when joe is not an allowed issuer");
	ok(verify(tok, jwks, RFC_EXP - 80, NULL, "joe", &c, err,
	    sizeof(err)) == 0, "RFC 7515 A.2: joe allowed");
	json_decref(c);

	signed_ = jwt_sign_raw(hdr, strlen(hdr), pay, strlen(pay), pem, plen,
	    err, sizeof(err));
	is_str(signed_, tok, "RFC 7515 A.2: signing its input with its key "
	    "gives its JWS byte for byte");
	free(signed_);
	json_decref(jwks);
	free(jwk);
	free(tok);
	free(pem);
}

/* a fresh 2048-bit key: its PEM and its public JWK with kid */
static json_t *
fresh_key(const char *kid, struct buf *pem)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	BIGNUM *n = NULL, *e = NULL;
	unsigned char nb[512], eb[8];
	struct buf ns = { 0 }, es = { 0 };
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long len;
	json_t *j;

	if (k == NULL || bio == NULL ||
	    !EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) ||
	    !PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL)) {
		printf("Bail out! cannot make an RSA key\n");
		exit(1);
	}
	len = BIO_get_mem_data(bio, &p);
	buf_add(pem, p, (size_t)len);
	enc_base64(&ns, nb, (size_t)BN_bn2bin(n, nb), ENC_B64URL);
	enc_base64(&es, eb, (size_t)BN_bn2bin(e, eb), ENC_B64URL);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "RSA", "alg",
	    "RS256", "use", "sig", "kid", kid, "n", ns.p, "e", es.p);
	buf_free(&ns);
	buf_free(&es);
	BN_free(n);
	BN_free(e);
	BIO_free(bio);
	EVP_PKEY_free(k);
	return j;
}

/* a token of pem over claims; the caller frees */
static char *
token(const struct buf *pem, const char *kid, json_t *claims)
{
	char err[JWT_ERR_MAX];
	char *t = jwt_sign(claims, kid, pem->p, pem->len, err, sizeof(err));

	json_decref(claims);
	if (t == NULL)
		printf("# jwt_sign: %s\n", err);
	return t != NULL ? t : xstrdup("");
}

/* a header and claims as given, with a garbage signature */
static char *
unsigned_token(const char *hdr, const char *claims)
{
	struct buf b = { 0 };

	enc_base64(&b, hdr, strlen(hdr), ENC_B64URL);
	buf_addc(&b, '.');
	enc_base64(&b, claims, strlen(claims), ENC_B64URL);
	buf_adds(&b, ".c2lnbmF0dXJl");
	return b.p;
}

#define GOOD(e) json_pack("{s:s, s:s, s:I, s:I}", "iss", \
	"https://accounts.google.com", "aud", "https://hook.example/push", \
	"iat", (json_int_t)NOW - 10, "exp", (json_int_t)(e))

static void
round_trip(void)
{
	struct buf pem = { 0 }, pem2 = { 0 };
	json_t *k1 = fresh_key("k1", &pem), *k2 = fresh_key("k2", &pem2);
	json_t *jwks = json_pack("{s:[O, O]}", "keys", k1, k2);
	json_t *other = json_pack("{s:[O]}", "keys", k2), *c = NULL;
	const char *aud = "https://hook.example/push";
	char err[JWT_ERR_MAX] = "", *t, *bad;
	size_t n;

	t = token(&pem, "k1", GOOD(NOW + 3600));
	ok(verify(t, jwks, NOW, aud, "https://accounts.google.com", &c, err,
	    sizeof(err)) == 0, "round trip: signed, then verified with aud "
	    "and iss (%s)", err);
	is_str(json_string_value(json_object_get(c, "aud")), aud,
	    "round trip: the claims come back");
	json_decref(c);
	refused(t, other, NOW, aud, NULL, "kid",
	    "no key with the token's kid: refused");
	refused(t, jwks, NOW, "https://other.example/", NULL, "aud",
	    "wrong aud: refused");
	refused(t, jwks, NOW, aud, "https://evil.example", "iss",
	    "iss not allowed: refused");
	bad = xstrdup(t);
	n = strlen(bad);
	bad[n - 5] = bad[n - 5] == 'A' ? 'B' : 'A';
	refused(bad, jwks, NOW, aud, NULL, "signature", "a changed signature "
	    "does not verify");
	memcpy(bad, t, n);
	bad[strchr(bad, '.') - bad + 3] ^= 1;
	refused(bad, jwks, NOW, aud, NULL, "signature", "changed claims do "
	    "not verify");
	free(bad);
	free(t);

	/* the kid of one key, signed by the other */
	t = token(&pem2, "k1", GOOD(NOW + 3600));
	refused(t, jwks, NOW, aud, NULL, "signature", "signed by another "
	    "key than its kid's: refused");
	free(t);
	t = token(&pem, NULL, GOOD(NOW + 3600));
	ok(verify(t, jwks, NOW, aud, NULL, &c, err, sizeof(err)) == 0,
	    "no kid: any key of the JWKS may verify it (%s)", err);
	json_decref(c);
	free(t);
	t = token(&pem, "k1", GOOD(NOW - JWT_LEEWAY - 1));
	refused(t, jwks, NOW, aud, NULL, "expired", "expired: refused");
	free(t);
	t = token(&pem, "k1", json_pack("{s:s, s:I, s:I}", "aud", aud,
	    "exp", (json_int_t)NOW + 600, "nbf", (json_int_t)NOW + 300));
	refused(t, jwks, NOW, aud, NULL, "nbf", "nbf ahead: refused");
	free(t);
	t = token(&pem, "k1", json_pack("{s:s, s:I, s:I}", "aud", aud,
	    "exp", (json_int_t)NOW + 600, "iat", (json_int_t)NOW + 300));
	refused(t, jwks, NOW, aud, NULL, "iat", "iat ahead: refused");
	free(t);
	t = token(&pem, "k1", json_pack("{s:[s, s], s:I}", "aud", "x", aud,
	    "exp", (json_int_t)NOW + 600));
	ok(verify(t, jwks, NOW, aud, NULL, &c, err, sizeof(err)) == 0,
	    "aud as an array holding the audience: accepted (%s)", err);
	json_decref(c);
	free(t);
	t = token(&pem, "k1", json_pack("{s:s}", "aud", aud));
	refused(t, jwks, NOW, aud, NULL, "no exp", "no exp: refused");
	free(t);
	t = token(&pem, "k1", json_pack("{s:s, s:s}", "aud", aud, "exp",
	    "tomorrow"));
	refused(t, jwks, NOW, aud, NULL, "not a number", "exp a string: "
	    "refused");
	free(t);

	json_decref(jwks);
	json_decref(other);
	json_decref(k1);
	json_decref(k2);
	buf_free(&pem);
	buf_free(&pem2);
}

static void
malformed(void)
{
	size_t jlen;
	char *jwk = slurp(D "rfc7515-a2.jwk", &jlen), *t, *big;
	json_error_t je;
	json_t *jwks = json_pack("{s:[o]}", "keys", json_loads(jwk, 0, &je));
	json_t *empty;
	char err[JWT_ERR_MAX];
	struct buf pem = { 0 };

	t = unsigned_token("{\"alg\":\"none\"}", "{\"exp\":9999999999}");
	refused(t, jwks, NOW, NULL, NULL, "alg", "alg none: refused");
	free(t);
	t = unsigned_token("{\"alg\":\"HS256\"}", "{\"exp\":9999999999}");
	refused(t, jwks, NOW, NULL, NULL, "alg", "alg HS256: refused");
	free(t);
	t = unsigned_token("{\"alg\":\"RS256\",\"crit\":[\"x\"]}", "{}");
	refused(t, jwks, NOW, NULL, NULL, "crit", "crit header: refused");
	free(t);
	t = unsigned_token("{\"alg\":\"RS256\",\"alg\":\"none\"}", "{}");
	refused(t, jwks, NOW, NULL, NULL, "JSON", "duplicate header key: "
	    "refused");
	free(t);
	refused("eyJhbGciOiJSUzI1NiJ9.e30", jwks, NOW, NULL, NULL, "compact",
	    "two parts: refused");
	refused("eyJhbGciOiJSUzI1NiJ9.e30.c2ln.c2ln", jwks, NOW, NULL, NULL,
	    "compact", "four parts: refused");
	refused("eyJhbGciOiJSUzI1NiJ9.e30=.c2ln", jwks, NOW, NULL, NULL,
	    "compact", "padding: refused");
	refused("eyJhbGciOiJSUzI1NiJ9.e30.c2l*", jwks, NOW, NULL, NULL,
	    "base64url", "bad base64url signature: refused");
	refused("e!JhbGciOiJSUzI1NiJ9.e30.c2ln", jwks, NOW, NULL, NULL,
	    "base64url", "bad base64url header: refused");
	big = xcalloc(JWT_MAX + 2, 1);
	memset(big, 'A', JWT_MAX + 1);
	big[10] = big[20] = '.';
	refused(big, jwks, NOW, NULL, NULL, "over", "a token over JWT_MAX: "
	    "refused");
	free(big);

	empty = json_object();
	ok(jwt_jwks_check(empty, err, sizeof(err)) == -1 &&
	    strstr(err, "keys") != NULL, "JWKS without keys: refused");
	json_decref(empty);
	json_object_set_new(json_array_get(json_object_get(jwks, "keys"), 0),
	    "n", json_string("AQAB"));
	ok(jwt_jwks_check(jwks, err, sizeof(err)) == -1 &&
	    strstr(err, "2048") != NULL, "JWKS with a small key: refused");
	buf_adds(&pem, "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n"
	    "-----END PRIVATE KEY-----\n");
	t = jwt_sign_raw("{}", 2, "{}", 2, pem.p, pem.len, err, sizeof(err));
	ok(t == NULL && strstr(err, "PEM") != NULL &&
	    strstr(err, "c2VjcmV0") == NULL, "a bad key: refused, not quoted "
	    "(%s)", err);
	free(t);
	buf_free(&pem);
	json_decref(jwks);
	free(jwk);
}

int
main(void)
{
	rfc_vector();
	round_trip();
	malformed();
	return done_testing();
}
