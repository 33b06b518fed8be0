/* jwks: a JWKS from a file or an https URL, kept current (lib/jwks.h) */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "jwks.h"
#include "sys.h"
#include "xmem.h"

struct jwks {
	pthread_mutex_t mu;
	char *src;
	int url;		/* src is an https URL */
	char *ca_file;
	json_t *keys;		/* the JWKS in use, checked */
	int64_t fresh_until;	/* url: monotonic ms, then fetched again */
	int64_t tried;		/* monotonic ms of the last refetch begun
				 * (opening and reloading do not count) */
	int busy;		/* a thread is fetching */
};

long
jwks_max_age(const char *cc)
{
	const char *p;
	char *end;
	long v;

	if (cc == NULL)
		return JWKS_TTL;
	for (p = cc; *p; p++) {
		if (p != cc && p[-1] != ',' && p[-1] != ' ')
			continue;
		if (strncasecmp(p, "no-cache", 8) == 0 ||
		    strncasecmp(p, "no-store", 8) == 0)
			return JWKS_TTL_MIN;
		if (strncasecmp(p, "max-age=", 8) == 0 &&
		    isdigit((unsigned char)p[8])) {
			v = strtol(p + 8, &end, 10);
			if (v < JWKS_TTL_MIN)
				return JWKS_TTL_MIN;
			return v > JWKS_TTL_MAX ? JWKS_TTL_MAX : v;
		}
	}
	return JWKS_TTL;
}

/* text[0..len) as a checked JWKS; NULL with err. */
static json_t *
jwks_parse(const char *text, size_t len, char *err, size_t errlen)
{
	char e[JWT_ERR_MAX];
	json_error_t je;
	json_t *j;

	if ((j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		sys_err(err, errlen, "not JSON: %s (line %d)", je.text,
		    je.line);
		return NULL;
	}
	if (jwt_jwks_check(j, e, sizeof(e)) < 0) {
		json_decref(j);
		sys_err(err, errlen, "%s", e);
		return NULL;
	}
	return j;
}

/* GET the URL: its JWKS and how long to keep it (ms); NULL with err. */
static json_t *
jwks_get(const struct jwks *k, int64_t *ttl_ms, char *err, size_t errlen)
{
	struct curl_header *h = NULL;
	struct http_client c;
	struct http_call q;
	struct buf b = {0};
	json_t *j = NULL;
	char e[JWKS_ERR_MAX];

	if (http_client_init(&c, err, errlen) < 0)
		return NULL;
	c.protocols = "https";
	c.connect_timeout_ms = 5000;
	c.timeout_ms = 10000;
	c.ca_file = k->ca_file;
	c.body_max = JWKS_GET_MAX;
	memset(&q, 0, sizeof(q));
	q.url = k->src;
	q.out = &b;
	if (http_once(&c, &q) < 0)
		sys_err(err, errlen, "%s", q.err);
	else if ((j = jwks_parse(b.p ? b.p : "", b.len, e, sizeof(e))) ==
	    NULL)
		sys_err(err, errlen, "the JWKS fetched is bad: %s", e);
	else {
		/* the handle keeps the answer's headers until reused */
		if (curl_easy_header(c.easy, "Cache-Control", 0, CURLH_HEADER,
		    -1, &h) != CURLHE_OK)
			h = NULL;
		*ttl_ms = (int64_t)jwks_max_age(h ? h->value : NULL) * 1000;
	}
	http_client_free(&c);
	buf_free(&b);
	return j;
}

/* Read or fetch the source: the new JWKS, NULL with err. */
static json_t *
jwks_load(const struct jwks *k, int64_t *ttl_ms, char *err, size_t errlen)
{
	char e[JWKS_ERR_MAX];
	json_t *j;
	size_t len;
	char *text;

	if (k->url) {
		if ((j = jwks_get(k, ttl_ms, e, sizeof(e))) == NULL)
			sys_err(err, errlen, "cannot fetch the JWKS %s: %s",
			    k->src, e);
		return j;
	}
	if ((text = sys_slurp(k->src, JWKS_GET_MAX, &len, e, sizeof(e))) ==
	    NULL) {
		sys_err(err, errlen, "cannot read the JWKS: %s", e);
		return NULL;
	}
	if ((j = jwks_parse(text, len, e, sizeof(e))) == NULL)
		sys_err(err, errlen, "bad JWKS in %s: %s", k->src, e);
	free(text);
	*ttl_ms = 0;
	return j;
}

/* Put j (a reference handed over) in use; the caller holds k->mu. */
static void
jwks_set(struct jwks *k, json_t *j, int64_t ttl_ms)
{
	json_decref(k->keys);
	k->keys = j;
	k->fresh_until = sys_now_ms() + ttl_ms;
}

struct jwks *
jwks_open(const char *src, const char *ca_file, char *err, size_t errlen)
{
	struct jwks *k;
	int64_t ttl;
	json_t *j;

	if (strncasecmp(src, "http://", 7) == 0) {
		sys_err(err, errlen, "the JWKS URL %s is not https", src);
		return NULL;
	}
	k = xcalloc(1, sizeof(*k));
	pthread_mutex_init(&k->mu, NULL);
	k->src = xstrdup(src);
	k->url = strncasecmp(src, "https://", 8) == 0;
	k->ca_file = ca_file ? xstrdup(ca_file) : NULL;
	k->tried = INT64_MIN / 2;	/* the first refetch may come at once */
	if ((j = jwks_load(k, &ttl, err, errlen)) == NULL) {
		jwks_free(k);
		return NULL;
	}
	jwks_set(k, j, ttl);
	return k;
}

int
jwks_reload(struct jwks *k, char *err, size_t errlen)
{
	int64_t ttl;
	json_t *j;

	if ((j = jwks_load(k, &ttl, err, errlen)) == NULL)
		return -1;
	pthread_mutex_lock(&k->mu);
	jwks_set(k, j, ttl);
	pthread_mutex_unlock(&k->mu);
	return 0;
}

const char *
jwks_source(const struct jwks *k)
{
	return k->src;
}

/*
 * The keys in use (a reference: json_decref them), fetched again first
 * when the URL's are stale, or (force) when a kid is missing and the
 * last fetch is JWKS_REFETCH s old.  A fetch that fails leaves the old
 * keys and its reason in err (else err is "").
 */
static json_t *
jwks_current(struct jwks *k, int force, char *err, size_t errlen)
{
	int64_t now = sys_now_ms(), ttl;
	json_t *j, *cur;
	int go;

	*err = '\0';
	pthread_mutex_lock(&k->mu);
	go = k->url && !k->busy && (force || now >= k->fresh_until) &&
	    now - k->tried >= (int64_t)(force ? JWKS_REFETCH : JWKS_TTL_MIN) *
	    1000;
	if (go) {
		k->busy = 1;
		k->tried = now;
	}
	pthread_mutex_unlock(&k->mu);
	if (go) {
		j = jwks_load(k, &ttl, err, errlen);
		pthread_mutex_lock(&k->mu);
		if (j != NULL)
			jwks_set(k, j, ttl);
		k->busy = 0;
		pthread_mutex_unlock(&k->mu);
	}
	pthread_mutex_lock(&k->mu);
	cur = json_incref(k->keys);
	pthread_mutex_unlock(&k->mu);
	return cur;
}

int
jwks_verify(struct jwks *k, const char *tok, size_t len,
    const struct jwt_check *chk, json_t **claims, char *err, size_t errlen)
{
	char fe[JWKS_ERR_MAX];
	json_t *keys, *again;
	int rc;

	keys = jwks_current(k, 0, fe, sizeof(fe));
	rc = jwt_verify(tok, len, keys, chk, claims, err, errlen);
	if (rc < 0 && k->url && !jwt_jwks_knows(keys, tok, len)) {
		/* a kid not seen: the signer may have rotated its keys */
		again = jwks_current(k, 1, fe, sizeof(fe));
		if (again != keys)
			rc = jwt_verify(tok, len, again, chk, claims, err,
			    errlen);
		else if (*fe != '\0')
			sys_err(err, errlen, "no RS256 key in the JWKS has "
			    "the token's kid (%s)", fe);
		json_decref(again);
	}
	json_decref(keys);
	return rc;
}

void
jwks_free(struct jwks *k)
{
	if (k == NULL)
		return;
	json_decref(k->keys);
	free(k->src);
	free(k->ca_file);
	pthread_mutex_destroy(&k->mu);
	free(k);
}
