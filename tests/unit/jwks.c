/* jwks unit tests: a JWKS file opened, used and read again, the kid
 * lookup that decides a refetch (jwt_jwks_knows), Cache-Control max-age;
 * the URL source is tests/wh-listen-oidc.t's.  The key is RFC 7515
 * A.2's (tests/data/jwt/SOURCE). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "jwks.h"
#include "sys.h"
#include "tap.h"
#include "xmem.h"

#define D "tests/data/jwt/"

static char *pem;
static size_t pemlen;

/* the A.2 key's public JWK under kid, in a JWKS written to path */
static void
write_jwks(const char *path, const char *kid)
{
	json_error_t je;
	json_t *k = json_load_file(D "rfc7515-a2.jwk", 0, &je);

	if (k == NULL) {
		printf("Bail out! %s (run from the repo root)\n", je.text);
		exit(1);
	}
	json_object_del(k, "d");
	if (kid != NULL)
		json_object_set_new(k, "kid", json_string(kid));
	k = json_pack("{s:[o]}", "keys", k);
	json_dump_file(k, path, 0);
	json_decref(k);
}

/* a token for aud "a" signed with the A.2 key under kid (NULL: none) */
static char *
token(const char *kid)
{
	char err[JWT_ERR_MAX];
	json_t *c = json_pack("{s:s, s:I}", "aud", "a", "exp",
	    (json_int_t)time(NULL) + 600);
	char *t = jwt_sign(c, kid, pem, pemlen, err, sizeof(err));

	json_decref(c);
	if (t == NULL) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	return t;
}

static int
verifies(struct jwks *k, const char *tok, char *err, size_t errlen)
{
	struct jwt_check chk = { time(NULL), JWT_LEEWAY, "a", NULL, 0 };
	json_t *claims = NULL;
	int rc;

	err[0] = '\0';
	rc = jwks_verify(k, tok, strlen(tok), &chk, &claims, err, errlen);
	json_decref(claims);
	return rc == 0;
}

static void
test_file(void)
{
	char path[] = "/tmp/jwks-unit.XXXXXX", err[JWKS_ERR_MAX];
	char *t1 = token("k1"), *t2 = token("k2"), *t0 = token(NULL);
	struct jwks *k;
	json_error_t je;
	json_t *set;
	int fd = mkstemp(path);

	close(fd);
	write_jwks(path, "k1");
	k = jwks_open(path, NULL, err, sizeof(err));
	ok(k != NULL, "a JWKS file opens");
	ok(verifies(k, t1, err, sizeof(err)), "its kid's token verifies");
	ok(!verifies(k, t2, err, sizeof(err)) && strstr(err, "kid") != NULL,
	    "another kid's does not: %s", err);
	ok(verifies(k, t0, err, sizeof(err)), "a token without kid: any key");
	set = json_load_file(path, 0, &je);
	ok(jwt_jwks_knows(set, t1, strlen(t1)) == 1 &&
	    jwt_jwks_knows(set, t2, strlen(t2)) == 0 &&
	    jwt_jwks_knows(set, t0, strlen(t0)) == 1 &&
	    jwt_jwks_knows(set, "x.y.z", 5) == 1 &&
	    jwt_jwks_knows(set, "", 0) == 1,
	    "jwt_jwks_knows: a new kid only is worth a refetch");
	json_decref(set);
	write_jwks(path, "k2");
	ok(jwks_reload(k, err, sizeof(err)) == 0 &&
	    verifies(k, t2, err, sizeof(err)) &&
	    !verifies(k, t1, err, sizeof(err)), "read again: the new key");
	fd = open(path, O_WRONLY | O_TRUNC);
	ok(write(fd, "{\"keys\":[]}", 11) == 11, "the file emptied of keys");
	close(fd);
	ok(jwks_reload(k, err, sizeof(err)) == -1 &&
	    strstr(err, "no RSA key") != NULL &&
	    verifies(k, t2, err, sizeof(err)), "a bad file: refused, the "
	    "old keys stay");
	jwks_free(k);
	unlink(path);
	ok(jwks_open(path, NULL, err, sizeof(err)) == NULL &&
	    strstr(err, "cannot read the JWKS") != NULL, "a missing file: %s",
	    err);
	ok(jwks_open("http://127.0.0.1/certs", NULL, err, sizeof(err)) ==
	    NULL && strstr(err, "is not https") != NULL, "http: refused");
	free(t0);
	free(t1);
	free(t2);
}

static void
test_max_age(void)
{
	ok(jwks_max_age(NULL) == JWKS_TTL, "no Cache-Control: an hour");
	ok(jwks_max_age("public, max-age=19930, must-revalidate, "
	    "no-transform") == 19930, "Google's: its max-age");
	ok(jwks_max_age("max-age=5") == JWKS_TTL_MIN, "a minute at least");
	ok(jwks_max_age("max-age=99999999999") == JWKS_TTL_MAX,
	    "a day at most");
	ok(jwks_max_age("no-store") == JWKS_TTL_MIN, "no-store: a minute");
	ok(jwks_max_age("s-maxage=100, private") == JWKS_TTL,
	    "s-maxage is not max-age");
	ok(jwks_max_age("max-age=x") == JWKS_TTL, "a bad max-age: an hour");
}

int
main(void)
{
	char err[256];

	if ((pem = sys_slurp(D "rfc7515-a2.pem", 0, &pemlen, err,
	    sizeof(err))) == NULL) {
		printf("Bail out! %s (run from the repo root)\n", err);
		return 1;
	}
	printf("1..17\n");
	test_file();
	test_max_age();
	free(pem);
	return tap_failed != 0;
}
