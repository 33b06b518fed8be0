/* jwt: RS256 JSON Web Tokens: sign with a PEM key, verify with a JWKS */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "enc.h"
#include "jwt.h"
#include "sys.h"
#include "xmem.h"

#define RSA_MIN_BITS 2048	/* RFC 7518 section 3.3 */
#define RSA_MAX_BITS 8192
#define RSA_E_MAX 8		/* bytes of a public exponent */

/* never a terminal prompt for an encrypted key: it is refused */
static int
no_pass(char *buf, int size, int rw, void *arg)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)arg;
	return -1;
}

/* The RSA private key of pem, 2048 bits or more; NULL with err. */
static EVP_PKEY *
pem_key(const char *pem, size_t len, char *err, size_t errlen)
{
	BIO *bio;
	EVP_PKEY *k = NULL;

	if (len > 0 && len < 1024 * 1024 &&
	    (bio = BIO_new_mem_buf(pem, (int)len)) != NULL) {
		k = PEM_read_bio_PrivateKey(bio, NULL, no_pass, NULL);
		BIO_free(bio);
	}
	ERR_clear_error();
	if (k == NULL) {
		sys_err(err, errlen, "not an unencrypted PEM private key");
		return NULL;
	}
	if (EVP_PKEY_base_id(k) != EVP_PKEY_RSA ||
	    EVP_PKEY_get_bits(k) < RSA_MIN_BITS) {
		EVP_PKEY_free(k);
		sys_err(err, errlen, "not an RSA key of %d bits or more",
		    RSA_MIN_BITS);
		return NULL;
	}
	return k;
}

char *
jwt_sign_raw(const char *hdr, size_t hdrlen, const char *payload,
    size_t paylen, const char *pem, size_t pemlen, char *err,
    size_t errlen)
{
	struct buf b = { 0 };
	EVP_PKEY *k;
	EVP_MD_CTX *mc;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int ok;

	if ((k = pem_key(pem, pemlen, err, errlen)) == NULL)
		return NULL;
	enc_base64(&b, hdr, hdrlen, ENC_B64URL);
	buf_addc(&b, '.');
	enc_base64(&b, payload, paylen, ENC_B64URL);
	ok = (mc = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestSignInit(mc, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestSign(mc, NULL, &siglen, (unsigned char *)b.p,
	    b.len) == 1 &&
	    (sig = malloc(siglen)) != NULL &&
	    EVP_DigestSign(mc, sig, &siglen, (unsigned char *)b.p,
	    b.len) == 1;
	EVP_MD_CTX_free(mc);
	EVP_PKEY_free(k);
	ERR_clear_error();
	if (!ok) {
		free(sig);
		buf_free(&b);
		sys_err(err, errlen, "RSA signing failed");
		return NULL;
	}
	buf_addc(&b, '.');
	enc_base64(&b, sig, siglen, ENC_B64URL);
	free(sig);
	return b.p;
}

char *
jwt_sign(const json_t *claims, const char *kid, const char *pem,
    size_t pemlen, char *err, size_t errlen)
{
	json_t *h = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
	char *hs = NULL, *cs = NULL, *tok = NULL;

	if (h != NULL && kid != NULL)
		json_object_set_new(h, "kid", json_string(kid));
	if (!json_is_object(claims))
		sys_err(err, errlen, "the claims are not a JSON object");
	else if (h == NULL ||
	    (hs = json_dumps(h, JSON_COMPACT)) == NULL ||
	    (cs = json_dumps(claims, JSON_COMPACT)) == NULL)
		sys_err(err, errlen, "cannot serialize the JWT");
	else
		tok = jwt_sign_raw(hs, strlen(hs), cs, strlen(cs), pem,
		    pemlen, err, errlen);
	json_decref(h);
	free(hs);
	free(cs);
	return tok;
}

/* A big-endian base64url integer of a JWK, at most max bytes. */
static BIGNUM *
jwk_bn(const json_t *k, const char *name, size_t max)
{
	const char *s = json_string_value(json_object_get(k, name));
	unsigned char buf[RSA_MAX_BITS / 8];
	size_t n;
	long got;

	if (s == NULL || (n = strlen(s)) == 0 || n > 4 * (max + 2) / 3 ||
	    strchr(s, '=') != NULL ||
	    (got = enc_unbase64(s, n, buf, max, ENC_B64URL, 1)) <= 0)
		return NULL;
	return BN_bin2bn(buf, (int)got, NULL);
}

/* The public key of RSA JWK k, 2048 to 8192 bits; NULL with err. */
static EVP_PKEY *
jwk_key(const json_t *k, char *err, size_t errlen)
{
	BIGNUM *n = jwk_bn(k, "n", RSA_MAX_BITS / 8);
	BIGNUM *e = jwk_bn(k, "e", RSA_E_MAX);
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;

	if (n == NULL || e == NULL) {
		sys_err(err, errlen, "an RSA key's n or e is not base64url");
		goto out;
	}
	if (BN_num_bits(n) < RSA_MIN_BITS || !BN_is_odd(e) ||
	    BN_is_one(e)) {
		sys_err(err, errlen, "an RSA key is under %d bits or its "
		    "exponent is not odd", RSA_MIN_BITS);
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		EVP_PKEY_free(key);
		key = NULL;
		sys_err(err, errlen, "an RSA key cannot be loaded");
	}
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return key;
}

/* 1 if JWK k is an RSA key that may verify RS256; 0 if not. */
static int
jwk_usable(const json_t *k)
{
	const char *kty = json_string_value(json_object_get(k, "kty"));
	const json_t *alg = json_object_get(k, "alg");
	const json_t *use = json_object_get(k, "use");

	return kty != NULL && strcmp(kty, "RSA") == 0 &&
	    (alg == NULL || (json_is_string(alg) &&
	    strcmp(json_string_value(alg), "RS256") == 0)) &&
	    (use == NULL || (json_is_string(use) &&
	    strcmp(json_string_value(use), "sig") == 0));
}

int
jwt_jwks_check(const json_t *jwks, char *err, size_t errlen)
{
	const json_t *keys = json_object_get(jwks, "keys");
	const char *kty;
	EVP_PKEY *k;
	size_t i, usable = 0;

	if (!json_is_array(keys))
		return sys_err(err, errlen, "the JWKS has no \"keys\" array");
	for (i = 0; i < json_array_size(keys); i++) {
		kty = json_string_value(json_object_get(json_array_get(keys,
		    i), "kty"));
		if (kty == NULL || strcmp(kty, "RSA") != 0)
			continue;
		if ((k = jwk_key(json_array_get(keys, i), err, errlen)) ==
		    NULL)
			return -1;
		EVP_PKEY_free(k);
		usable += jwk_usable(json_array_get(keys, i));
	}
	if (usable == 0)
		return sys_err(err, errlen, "the JWKS has no RSA key for "
		    "RS256");
	return 0;
}

/* 1 if sig verifies tbs under the key of JWK k; 0 if not (or no key). */
static int
sig_ok(const json_t *k, const char *tbs, size_t tbslen,
    const unsigned char *sig, size_t siglen)
{
	char kerr[JWT_ERR_MAX];
	EVP_PKEY *key = jwk_key(k, kerr, sizeof(kerr));
	EVP_MD_CTX *mc = NULL;
	int ok;

	ok = key != NULL && (size_t)EVP_PKEY_get_size(key) == siglen &&
	    (mc = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(mc, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerify(mc, sig, siglen, (const unsigned char *)tbs,
	    tbslen) == 1;
	EVP_MD_CTX_free(mc);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return ok;
}

/* The signature check: the key of kid (or any key), 0 or -1 with err. */
static int
check_sig(const json_t *jwks, const char *kid, const char *tbs,
    size_t tbslen, const unsigned char *sig, size_t siglen, char *err,
    size_t errlen)
{
	const json_t *keys = json_object_get(jwks, "keys"), *k;
	const char *kk;
	size_t i;
	int found = 0;

	for (i = 0; i < json_array_size(keys); i++) {
		k = json_array_get(keys, i);
		if (!jwk_usable(k))
			continue;
		kk = json_string_value(json_object_get(k, "kid"));
		if (kid != NULL && (kk == NULL || strcmp(kk, kid) != 0))
			continue;
		found = 1;
		if (sig_ok(k, tbs, tbslen, sig, siglen))
			return 0;
	}
	if (!found)
		return sys_err(err, errlen, kid != NULL ? "no RS256 key in "
		    "the JWKS has the token's kid" : "no RS256 key in the "
		    "JWKS");
	return sys_err(err, errlen, "the signature does not verify");
}

/* Part s[0..n) decoded as a JSON object; NULL with err naming what. */
static json_t *
part_json(const char *s, size_t n, const char *what, char *err,
    size_t errlen)
{
	unsigned char *buf = xmalloc(n + 1);
	json_error_t je;
	json_t *j = NULL;
	long got;

	if ((got = enc_unbase64(s, n, buf, n, ENC_B64URL, 1)) < 0)
		sys_err(err, errlen, "the token's %s is not base64url", what);
	else if ((j = json_loadb((char *)buf, (size_t)got,
	    JSON_REJECT_DUPLICATES, &je)) == NULL || !json_is_object(j)) {
		json_decref(j);
		j = NULL;
		sys_err(err, errlen, "the token's %s is not a JSON object",
		    what);
	}
	free(buf);
	return j;
}

/* exp, nbf, iat against now: 0 or -1 with err */
static int
check_times(const json_t *c, const struct jwt_check *chk, char *err,
    size_t errlen)
{
	static const char *const names[] = { "exp", "nbf", "iat" };
	double now = (double)chk->now;
	double lw = chk->leeway > 0 ? (double)chk->leeway : 0;
	const json_t *v;
	double t;
	size_t i;

	for (i = 0; i < 3; i++) {
		v = json_object_get(c, names[i]);
		if (v == NULL && i == 0)
			return sys_err(err, errlen, "the token has no exp");
		if (v == NULL)
			continue;
		if (!json_is_number(v))
			return sys_err(err, errlen, "the token's %s is not a "
			    "number", names[i]);
		t = json_number_value(v);
		if (i == 0 && t + lw < now)
			return sys_err(err, errlen, "the token has expired");
		if (i == 1 && t > now + lw)
			return sys_err(err, errlen, "the token is not valid "
			    "yet (nbf)");
		if (i == 2 && t > now + lw)
			return sys_err(err, errlen, "the token is issued in "
			    "the future (iat)");
	}
	return 0;
}

/* aud and iss against chk: 0 or -1 with err */
static int
check_names(const json_t *c, const struct jwt_check *chk, char *err,
    size_t errlen)
{
	const json_t *aud = json_object_get(c, "aud"), *v;
	const char *iss = json_string_value(json_object_get(c, "iss"));
	size_t i;
	int hit = 0;

	if (chk->aud != NULL) {
		if (json_is_string(aud))
			hit = strcmp(json_string_value(aud), chk->aud) == 0;
		json_array_foreach(aud, i, v)
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), chk->aud) == 0)
				hit = 1;
		if (!hit)
			return sys_err(err, errlen, "the token's aud is not "
			    "the audience wanted");
	}
	if (chk->niss == 0)
		return 0;
	for (i = 0; iss != NULL && i < chk->niss; i++)
		if (strcmp(iss, chk->iss[i]) == 0)
			return 0;
	return sys_err(err, errlen, "the token's iss is not an allowed "
	    "issuer");
}

int
jwt_verify(const char *tok, size_t len, const json_t *jwks,
    const struct jwt_check *chk, json_t **claims, char *err, size_t errlen)
{
	const char *d1, *d2, *alg, *kid;
	json_t *h = NULL, *c = NULL;
	unsigned char *sig = NULL;
	size_t slen;
	long siglen;
	int rc = -1;

	*claims = NULL;
	if (len > JWT_MAX)
		return sys_err(err, errlen, "the token is over %d bytes",
		    JWT_MAX);
	if ((d1 = memchr(tok, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok))) ==
	    NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)) !=
	    NULL || memchr(tok, '=', len) != NULL)
		return sys_err(err, errlen, "the token is not a JWS in "
		    "compact form (three unpadded base64url parts)");
	if ((h = part_json(tok, (size_t)(d1 - tok), "header", err,
	    errlen)) == NULL)
		return -1;
	alg = json_string_value(json_object_get(h, "alg"));
	kid = json_string_value(json_object_get(h, "kid"));
	if (alg == NULL || strcmp(alg, "RS256") != 0) {
		sys_err(err, errlen, "the token's alg is not RS256");
		goto out;
	}
	if (json_object_get(h, "crit") != NULL ||
	    (json_object_get(h, "kid") != NULL && kid == NULL)) {
		sys_err(err, errlen, "the token's header has crit or a kid "
		    "that is not a string");
		goto out;
	}
	slen = len - (size_t)(d2 + 1 - tok);
	sig = xmalloc(slen + 1);
	if ((siglen = enc_unbase64(d2 + 1, slen, sig, slen, ENC_B64URL,
	    1)) <= 0) {
		sys_err(err, errlen, "the token's signature is not base64url");
		goto out;
	}
	if (check_sig(jwks, kid, tok, (size_t)(d2 - tok), sig,
	    (size_t)siglen, err, errlen) == -1 ||
	    (c = part_json(d1 + 1, (size_t)(d2 - d1 - 1), "claim set", err,
	    errlen)) == NULL ||
	    check_times(c, chk, err, errlen) == -1 ||
	    check_names(c, chk, err, errlen) == -1)
		goto out;
	*claims = c;
	c = NULL;
	rc = 0;
out:
	json_decref(h);
	json_decref(c);
	free(sig);
	return rc;
}

int
jwt_jwks_knows(const json_t *jwks, const char *tok, size_t len)
{
	const json_t *keys = json_object_get(jwks, "keys"), *k;
	char e[JWT_ERR_MAX];
	const char *d1, *kid, *kk;
	json_t *h;
	size_t i;
	int known = 0;

	if (len > JWT_MAX || (d1 = memchr(tok, '.', len)) == NULL ||
	    (h = part_json(tok, (size_t)(d1 - tok), "header", e,
	    sizeof(e))) == NULL)
		return 1;
	if ((kid = json_string_value(json_object_get(h, "kid"))) == NULL)
		known = 1;
	for (i = 0; !known && i < json_array_size(keys); i++) {
		k = json_array_get(keys, i);
		kk = json_string_value(json_object_get(k, "kid"));
		known = jwk_usable(k) && kk != NULL && strcmp(kk, kid) == 0;
	}
	json_decref(h);
	return known;
}
