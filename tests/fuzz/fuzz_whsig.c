/*
 * fuzz_whsig: webhook signature headers of every scheme (lib/whsig.c).
 *
 * Input: NUL-separated fields
 *   scheme, now, tolerance, secret, hmac header, hmac prefix, hmac
 *   encoding, raw key ("1"), headers ("Name: value" lines), body (the
 *   rest, NULs and all).
 * The received headers are verified as they are; then the same secret
 * signs the body and the signature must verify, must stop verifying when
 * the body, the key or the time is off, and must be a whole header value.
 * Any break of these aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../hdrs.h"
#include "whsig.h"
#include "xmem.h"

#define NFIELDS 10
static void
check_why(const char *why, int rc)
{
	if (rc == 0)
		return;
	/* a refusal says why, on one line */
	if (why[0] == '\0' || strpbrk(why, "\r\n") != NULL)
		abort();
}

static int
vfy(const struct whsig *w, struct hdrs *h, const char *body, size_t len,
    long long now, char *why, size_t whylen)
{
	int rc;

	why[0] = '\0';
	rc = whsig_verify(w, hdrs_get, h, body, len, (time_t)now, why, whylen);
	check_why(why, rc);
	return rc;
}

/* A header set whsig_sign made, checked as header values. */
static void
from_sign(const struct whsig_headers *o, struct hdrs *h)
{
	int i;

	h->n = 0;
	for (i = 0; i < o->n; i++) {
		/* a value filling the buffer was cut short */
		if (strlen(o->h[i].value) + 1 >= sizeof(o->h[i].value) ||
		    strlen(o->h[i].name) == 0 ||
		    strpbrk(o->h[i].value, "\r\n") != NULL)
			abort();
		h->name[h->n] = o->h[i].name;
		h->value[h->n++] = o->h[i].value;
	}
}

/* Sign body with w at ts, then check what verifies and what must not. */
static void
round_trip(const struct whsig *w, const char *id, long long ts,
    const char *body, size_t len)
{
	struct whsig_headers out;
	struct whsig bad;
	struct hdrs h;
	char err[256], why[256], *more;
	long long tol = w->tolerance != 0 ? w->tolerance : WHSIG_TOLERANCE;
	int timed = w->scheme == WHSIG_STANDARD || w->scheme == WHSIG_SLACK ||
	    w->scheme == WHSIG_STRIPE;

	err[0] = '\0';
	if (whsig_sign(w, id, (time_t)ts, body, len, &out, err,
	    sizeof(err)) == -1) {
		check_why(err, -1);
		/* only a bad id (the schemes that send one) may fail */
		if (w->scheme != WHSIG_STANDARD && w->scheme != WHSIG_GITHUB)
			abort();
		return;
	}
	from_sign(&out, &h);
	if (vfy(w, &h, body, len, ts, why, sizeof(why)) != 0)
		abort();
	/* the body is covered: one more byte breaks it */
	more = xmalloc(len + 1);
	if (len > 0)
		memcpy(more, body, len);
	more[len] = 'x';
	if (vfy(w, &h, more, len + 1, ts, why, sizeof(why)) == 0 ||
	    strcmp(why, "signature mismatch") != 0)
		abort();
	free(more);
	/* the key is covered */
	bad = *w;
	bad.key[0] ^= 1;
	if (vfy(&bad, &h, body, len, ts, why, sizeof(why)) == 0)
		abort();
	whsig_clear(&bad);
	if (!timed || tol < 0)
		return;
	/* the window: tol seconds old passes, one more does not */
	if (vfy(w, &h, body, len, ts + tol, why, sizeof(why)) != 0 ||
	    vfy(w, &h, body, len, ts + tol + 1, why, sizeof(why)) == 0)
		abort();
	/* from the future: stripe accepts, the others have a limit */
	if (ts - tol - 1 >= 0 && (vfy(w, &h, body, len, ts - tol - 1, why,
	    sizeof(why)) == 0) != (w->scheme == WHSIG_STRIPE))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *f[NFIELDS], *p, *end, err[256], why[256];
	const char *id, *body;
	struct whsig w;
	struct hdrs h;
	long long now, tol;
	size_t len, slen;
	int i, scheme, rc;

	copy = xmalloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	end = copy + size;
	for (i = 0, p = copy; i < NFIELDS; i++) {
		f[i] = p;
		if (i < NFIELDS - 1 && p < end)
			p += strlen(p) + (p + strlen(p) < end);
	}
	body = f[NFIELDS - 1];
	len = (size_t)(end - body);
	if ((scheme = whsig_scheme(f[0])) < 0 ||
	    strcmp(whsig_scheme_name(scheme), f[0]) != 0) {
		free(copy);
		return 0;
	}
	/* times as a receiver's clock gives them, tolerance as configured */
	now = strtoll(f[1], NULL, 10);
	if (now < 0 || now > (1LL << 40))
		now = 1700000000;
	tol = strtoll(f[2], NULL, 10);
	if (tol < -1 || tol > 1000000000)
		tol = 0;

	whsig_init(&w, scheme);
	w.tolerance = (long)tol;
	w.raw_key = f[7][0] == '1';
	if (scheme == WHSIG_HMAC_SHA256) {
		err[0] = '\0';
		rc = whsig_set_header(&w, f[4], f[5][0] ? f[5] : NULL,
		    f[6][0] ? f[6] : NULL, err, sizeof(err));
		/* a configuration error may quote the configured text */
		if (rc == -1 && err[0] == '\0')
			abort();
		if (rc == 0 && (strcmp(w.header, f[4]) != 0 ||
		    strcmp(w.prefix, f[5]) != 0))
			abort();
	}
	err[0] = '\0';
	slen = strlen(f[3]);
	rc = whsig_load_secret(&w, f[3], slen, err, sizeof(err));
	check_why(err, rc);
	if (rc == -1 ? w.keylen != 0 : w.keylen == 0 ||
	    w.keylen > WHSIG_KEY_MAX)
		abort();
	/* keys that are not decoded are the secret's bytes, line end cut */
	while (slen > 0 && (f[3][slen - 1] == '\n' || f[3][slen - 1] == '\r'))
		slen--;
	if (rc == 0 && (scheme != WHSIG_STANDARD || w.raw_key) &&
	    (w.keylen != slen || memcmp(w.key, f[3], slen) != 0))
		abort();

	hdrs_split(f[8], &h);
	rc = vfy(&w, &h, body, len, now, why, sizeof(why));
	if (rc == 0) {
		/* accepted: then never with another key */
		struct whsig bad = w;

		bad.key[bad.keylen - 1] ^= 0x80;
		if (vfy(&bad, &h, body, len, now, why, sizeof(why)) == 0)
			abort();
		whsig_clear(&bad);
	}
	if (w.keylen > 0 && (scheme != WHSIG_HMAC_SHA256 || w.header[0])) {
		id = hdrs_get(&h, whsig_id_header(scheme) ?
		    whsig_id_header(scheme) : "webhook-id");
		while (id != NULL && (*id == ' ' || *id == '\t'))
			id++;
		round_trip(&w, id != NULL ? id : "msg_fuzz", now, body, len);
	}
	whsig_clear(&w);
	free(copy);
	return 0;
}
