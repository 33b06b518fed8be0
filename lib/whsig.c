/* whsig: webhook HMAC signatures (Standard Webhooks, GitHub, Slack, Stripe) */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "enc.h"
#include "sys.h"
#include "whsig.h"

#define MACLEN 32		/* HMAC-SHA256 */
#define TS_DIGITS 18		/* longer timestamps could overflow */

static const struct {
	const char *name;
	int scheme;
} schemes[] = {
	{ "standard", WHSIG_STANDARD },
	{ "github", WHSIG_GITHUB },
	{ "slack", WHSIG_SLACK },
	{ "stripe", WHSIG_STRIPE },
	{ "hmac-sha256", WHSIG_HMAC_SHA256 },
};
#define NSCHEMES (sizeof(schemes) / sizeof(schemes[0]))

/* A byte range: signed content is built from pieces, never copied. */
struct piece {
	const void *p;
	size_t len;
};

int
whsig_scheme(const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < NSCHEMES; i++)
		if (strcmp(name, schemes[i].name) == 0)
			return schemes[i].scheme;
	return -1;
}

const char *
whsig_scheme_name(int scheme)
{
	size_t i;

	for (i = 0; i < NSCHEMES; i++)
		if (schemes[i].scheme == scheme)
			return schemes[i].name;
	return NULL;
}

void
whsig_init(struct whsig *w, int scheme)
{
	memset(w, 0, sizeof(*w));
	w->scheme = scheme;
	w->encoding = WHSIG_HEX;
}

void
whsig_clear(struct whsig *w)
{
	OPENSSL_cleanse(w->key, sizeof(w->key));
	w->keylen = 0;
}

const char *
whsig_id_header(int scheme)
{
	switch (scheme) {
	case WHSIG_STANDARD: return "webhook-id";
	case WHSIG_GITHUB: return "x-github-delivery";
	default: return NULL;
	}
}

/* HMAC-SHA256 of the concatenated pieces; 0 or -1. */
static int
hmac(const struct whsig *w, const struct piece *pc, int n,
    unsigned char out[MACLEN])
{
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx = NULL;
	char digest[] = "SHA256";
	OSSL_PARAM params[2];
	size_t outlen = 0;
	int i, rc = -1;

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    !EVP_MAC_init(ctx, w->key, w->keylen, params))
		goto out;
	for (i = 0; i < n; i++)
		if (pc[i].len > 0 && !EVP_MAC_update(ctx, pc[i].p, pc[i].len))
			goto out;
	if (EVP_MAC_final(ctx, out, &outlen, MACLEN) && outlen == MACLEN)
		rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

/* Decode a received MAC in the given encoding and compare; 1 on a match. */
static int
mac_match(const unsigned char want[MACLEN], const char *s, size_t len,
    int encoding, int *wellformed)
{
	unsigned char got[MACLEN];
	int ok;

	if (encoding == WHSIG_BASE64) {
		if (enc_unbase64(s, len, got, sizeof(got), ENC_B64,
		    1) != MACLEN)
			return 0;
	} else if (enc_unhex(s, len, got, MACLEN) != MACLEN)
		return 0;
	*wellformed = 1;
	ok = CRYPTO_memcmp(got, want, MACLEN) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return ok;
}

/* A header value with surrounding blanks removed, as start and length. */
static const char *
header(whsig_header_fn get, void *arg, const char *name, size_t *len)
{
	const char *v = get(arg, name);
	size_t n;

	if (v == NULL)
		return NULL;
	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	*len = n;
	return n > 0 ? v : NULL;
}

/* Parse a decimal timestamp (digits only); 0 or -1. */
static int
parse_ts(const char *s, size_t len, long long *ts)
{
	long long v = 0;
	size_t i;

	if (len == 0 || len > TS_DIGITS)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*ts = v;
	return 0;
}

/* Is ts acceptable at now?  future: also refuse ts too far ahead. */
static int
check_time(const struct whsig *w, long long ts, time_t now, int future,
    char *why, size_t whylen)
{
	long long tol = w->tolerance != 0 ? w->tolerance : WHSIG_TOLERANCE;
	long long age = (long long)now - ts;

	if (tol < 0)
		return 0;
	if (age > tol)
		return sys_err(why, whylen, "timestamp too old (%lld s)", age);
	if (future && -age > tol)
		return sys_err(why, whylen, "timestamp too new (%lld s ahead)",
		    -age);
	return 0;
}

static int
verify_standard(const struct whsig *w, whsig_header_fn get, void *arg,
    const char *body, size_t len, time_t now, long long *tsp, char *why,
    size_t whylen)
{
	const char *id, *tsv, *sig, *end, *tok, *te, *comma, *s;
	size_t idlen = 0, tslen = 0, siglen = 0;
	unsigned char want[MACLEN];
	char tsbuf[32];
	long long ts;
	const char *pre = "webhook";	/* the header names' prefix */
	int found = 0, wellformed = 0, match = 0, tsn;

	/* Svix, the spec's origin, sends svix-* names: the svix library
	 * takes either; a request uses one set, never a mix */
	if ((id = header(get, arg, "webhook-id", &idlen)) != NULL) {
		tsv = header(get, arg, "webhook-timestamp", &tslen);
		sig = header(get, arg, "webhook-signature", &siglen);
	} else if ((id = header(get, arg, "svix-id", &idlen)) != NULL) {
		tsv = header(get, arg, "svix-timestamp", &tslen);
		sig = header(get, arg, "svix-signature", &siglen);
		pre = "svix";
	} else
		return sys_err(why, whylen,
		    "no webhook-id (or svix-id) header");
	if (tsv == NULL)
		return sys_err(why, whylen, "no %s-timestamp header", pre);
	if (sig == NULL)
		return sys_err(why, whylen, "no %s-signature header", pre);
	if (parse_ts(tsv, tslen, &ts) < 0)
		return sys_err(why, whylen, "malformed %s-timestamp header",
		    pre);
	/* the libraries sign the parsed number, so "007" signs as "7" */
	tsn = snprintf(tsbuf, sizeof(tsbuf), "%lld", ts);
	if (hmac(w, (const struct piece[]){ { id, idlen }, { ".", 1 },
	    { tsbuf, (size_t)tsn }, { ".", 1 }, { body, len } }, 5, want) < 0)
		return sys_err(why, whylen, "cannot compute HMAC-SHA256");
	/* "v1,SIG v1,SIG2 v1a,..." : any v1 entry may match */
	for (end = sig + siglen, tok = sig; tok < end; tok = te + 1) {
		if ((te = memchr(tok, ' ', (size_t)(end - tok))) == NULL)
			te = end;
		comma = memchr(tok, ',', (size_t)(te - tok));
		if (comma == NULL || comma - tok != 2 ||
		    memcmp(tok, "v1", 2) != 0)
			continue;
		found = 1;
		/* like the libraries, text after a second comma is ignored */
		s = comma + 1;
		if ((comma = memchr(s, ',', (size_t)(te - s))) == NULL)
			comma = te;
		match |= mac_match(want, s, (size_t)(comma - s), WHSIG_BASE64,
		    &wellformed);
	}
	OPENSSL_cleanse(want, sizeof(want));
	if (!found)
		return sys_err(why, whylen,
		    "no v1 signature in %s-signature header", pre);
	if (!match)
		return sys_err(why, whylen, wellformed ? "signature mismatch" :
		    "malformed signature in %s-signature header", pre);
	*tsp = ts;
	return check_time(w, ts, now, 1, why, whylen);
}

static int
verify_stripe(const struct whsig *w, whsig_header_fn get, void *arg,
    const char *body, size_t len, time_t now, long long *tsp, char *why,
    size_t whylen)
{
	const char *sig, *end, *item, *ie, *eq, *v, *ve;
	size_t siglen = 0;
	unsigned char want[MACLEN];
	char tsbuf[32];
	long long ts = 0;
	int nts = 0, badts = 0, found = 0, wellformed = 0, match = 0, tsn;

	if ((sig = header(get, arg, "stripe-signature", &siglen)) == NULL)
		return sys_err(why, whylen, "no Stripe-Signature header");
	end = sig + siglen;
	/* first pass: the timestamp, needed for the signed content */
	for (item = sig; item < end; item = ie + 1) {
		if ((ie = memchr(item, ',', (size_t)(end - item))) == NULL)
			ie = end;
		if (ie - item >= 2 && item[0] == 't' && item[1] == '=') {
			v = item + 2;
			if ((ve = memchr(v, '=', (size_t)(ie - v))) == NULL)
				ve = ie;
			nts++;
			if (parse_ts(v, (size_t)(ve - v), &ts) < 0)
				badts = 1;
		}
	}
	if (nts == 0)
		return sys_err(why, whylen,
		    "no timestamp in Stripe-Signature header");
	/* stripe-node takes the last t=, stripe-python the first: refuse */
	if (nts > 1)
		return sys_err(why, whylen,
		    "several timestamps in Stripe-Signature header");
	if (badts)
		return sys_err(why, whylen,
		    "malformed timestamp in Stripe-Signature header");
	tsn = snprintf(tsbuf, sizeof(tsbuf), "%lld", ts);
	if (hmac(w, (const struct piece[]){ { tsbuf, (size_t)tsn },
	    { ".", 1 }, { body, len } }, 3, want) < 0)
		return sys_err(why, whylen, "cannot compute HMAC-SHA256");
	for (item = sig; item < end; item = ie + 1) {
		if ((ie = memchr(item, ',', (size_t)(end - item))) == NULL)
			ie = end;
		if ((eq = memchr(item, '=', (size_t)(ie - item))) == NULL ||
		    eq - item != 2 || memcmp(item, "v1", 2) != 0)
			continue;
		found = 1;
		v = eq + 1;
		if ((ve = memchr(v, '=', (size_t)(ie - v))) == NULL)
			ve = ie;
		match |= mac_match(want, v, (size_t)(ve - v), WHSIG_HEX,
		    &wellformed);
	}
	OPENSSL_cleanse(want, sizeof(want));
	if (!found)
		return sys_err(why, whylen,
		    "no v1 signature in Stripe-Signature header");
	if (!match)
		return sys_err(why, whylen, wellformed ? "signature mismatch" :
		    "malformed signature in Stripe-Signature header");
	*tsp = ts;
	return check_time(w, ts, now, 0, why, whylen);
}

static int
verify_slack(const struct whsig *w, whsig_header_fn get, void *arg,
    const char *body, size_t len, time_t now, long long *tsp, char *why,
    size_t whylen)
{
	const char *tsv, *sig;
	size_t tslen = 0, siglen = 0;
	unsigned char want[MACLEN];
	long long ts;
	int wellformed = 0, match;

	if ((tsv = header(get, arg, "x-slack-request-timestamp", &tslen)) ==
	    NULL)
		return sys_err(why, whylen,
		    "no X-Slack-Request-Timestamp header");
	if ((sig = header(get, arg, "x-slack-signature", &siglen)) == NULL)
		return sys_err(why, whylen, "no X-Slack-Signature header");
	if (parse_ts(tsv, tslen, &ts) < 0)
		return sys_err(why, whylen,
		    "malformed X-Slack-Request-Timestamp header");
	if (siglen < 3 || memcmp(sig, "v0=", 3) != 0)
		return sys_err(why, whylen, "no v0 signature in "
		    "X-Slack-Signature header");
	/* the SDKs sign the header text itself, not the parsed number */
	if (hmac(w, (const struct piece[]){ { "v0:", 3 }, { tsv, tslen },
	    { ":", 1 }, { body, len } }, 4, want) < 0)
		return sys_err(why, whylen, "cannot compute HMAC-SHA256");
	match = mac_match(want, sig + 3, siglen - 3, WHSIG_HEX, &wellformed);
	OPENSSL_cleanse(want, sizeof(want));
	if (!match)
		return sys_err(why, whylen, wellformed ? "signature mismatch" :
		    "malformed signature in X-Slack-Signature header");
	*tsp = ts;
	return check_time(w, ts, now, 1, why, whylen);
}

/* github and hmac-sha256: <prefix><MAC of the body> in one header */
static int
verify_body(const struct whsig *w, whsig_header_fn get, void *arg,
    const char *body, size_t len, char *why, size_t whylen)
{
	const char *name, *prefix, *sig;
	char lname[WHSIG_NAME_MAX];
	size_t i, plen, siglen = 0;
	unsigned char want[MACLEN];
	int encoding, wellformed = 0, match;

	if (w->scheme == WHSIG_GITHUB) {
		name = "X-Hub-Signature-256";
		prefix = "sha256=";
		encoding = WHSIG_HEX;
	} else {
		name = w->header;
		prefix = w->prefix;
		encoding = w->encoding;
		if (name[0] == '\0')
			return sys_err(why, whylen,
			    "hmac-sha256 has no header configured");
	}
	for (i = 0; name[i] != '\0' && i < sizeof(lname) - 1; i++)
		lname[i] = (char)tolower((unsigned char)name[i]);
	lname[i] = '\0';
	if ((sig = header(get, arg, lname, &siglen)) == NULL)
		return sys_err(why, whylen, "no %s header", name);
	plen = strlen(prefix);
	if (siglen < plen || strncasecmp(sig, prefix, plen) != 0)
		return sys_err(why, whylen,
		    "%s header does not start with \"%s\"", name, prefix);
	if (hmac(w, (const struct piece[]){ { body, len } }, 1, want) < 0)
		return sys_err(why, whylen, "cannot compute HMAC-SHA256");
	match = mac_match(want, sig + plen, siglen - plen, encoding,
	    &wellformed);
	OPENSSL_cleanse(want, sizeof(want));
	if (!match)
		return sys_err(why, whylen, wellformed ? "signature mismatch" :
		    "malformed signature in %s header", name);
	return 0;
}

int
whsig_verify(const struct whsig *w, whsig_header_fn get_header, void *arg,
    const char *body, size_t len, time_t now, char *why, size_t whylen)
{
	long long ts;

	return whsig_verify_ts(w, get_header, arg, body, len, now, &ts, why,
	    whylen);
}

int
whsig_verify_ts(const struct whsig *w, whsig_header_fn get_header,
    void *arg, const char *body, size_t len, time_t now, long long *ts,
    char *why, size_t whylen)
{
	*ts = -1;
	if (w->keylen == 0)
		return sys_err(why, whylen, "no secret loaded");
	if (body == NULL && len > 0)
		return sys_err(why, whylen, "no body");
	switch (w->scheme) {
	case WHSIG_STANDARD:
		return verify_standard(w, get_header, arg, body, len, now,
		    ts, why, whylen);
	case WHSIG_STRIPE:
		return verify_stripe(w, get_header, arg, body, len, now,
		    ts, why, whylen);
	case WHSIG_SLACK:
		return verify_slack(w, get_header, arg, body, len, now,
		    ts, why, whylen);
	case WHSIG_GITHUB:
	case WHSIG_HMAC_SHA256:
		return verify_body(w, get_header, arg, body, len, why, whylen);
	}
	return sys_err(why, whylen, "unknown signature scheme");
}

int
whsig_load_secret(struct whsig *w, const char *bytes, size_t len, char *err,
    size_t errlen)
{
	long n;

	/* a secret file ends with a newline the secret does not have */
	while (len > 0 && (bytes[len - 1] == '\n' || bytes[len - 1] == '\r'))
		len--;
	whsig_clear(w);
	if (len == 0)
		return sys_err(err, errlen, "secret is empty");
	if (w->scheme == WHSIG_STANDARD && !w->raw_key) {
		if (len >= 6 && memcmp(bytes, "whsec_", 6) == 0) {
			bytes += 6;
			len -= 6;
		}
		n = enc_unbase64(bytes, len, w->key, sizeof(w->key), ENC_B64,
		    0);
		if (n <= 0) {
			whsig_clear(w);
			return sys_err(err, errlen, "standard secret is not "
			    "whsec_ followed by base64 (or is over %d bytes)",
			    WHSIG_KEY_MAX);
		}
		w->keylen = (size_t)n;
		return 0;
	}
	if (len > sizeof(w->key))
		return sys_err(err, errlen, "secret longer than %d bytes",
		    WHSIG_KEY_MAX);
	memcpy(w->key, bytes, len);
	w->keylen = len;
	return 0;
}

int
whsig_next_secret(const char *text, size_t len, size_t *pos,
    const char **p, size_t *n)
{
	const char *s, *nl;
	size_t l;

	while (*pos < len) {
		s = text + *pos;
		if ((nl = memchr(s, '\n', len - *pos)) == NULL)
			nl = text + len;
		l = (size_t)(nl - s);
		*pos += l + (nl < text + len);
		if (l > 0 && s[l - 1] == '\r')
			l--;
		if (l > 0) {
			*p = s;
			*n = l;
			return 1;
		}
	}
	return 0;
}

/* RFC 9110 token characters, the only ones allowed in a header name */
static int
tchar(int c)
{
	return isascii(c) && (isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) !=
	    NULL) && c != '\0';
}

int
whsig_set_header(struct whsig *w, const char *hdr, const char *prefix,
    const char *encoding, char *err, size_t errlen)
{
	size_t i;

	if (hdr == NULL || hdr[0] == '\0')
		return sys_err(err, errlen, "signature header name is empty");
	if (strlen(hdr) >= sizeof(w->header))
		return sys_err(err, errlen, "signature header name longer "
		    "than %d bytes", WHSIG_NAME_MAX - 1);
	for (i = 0; hdr[i] != '\0'; i++)
		if (!tchar((unsigned char)hdr[i]))
			return sys_err(err, errlen, "bad character in "
			    "signature header name");
	if (prefix == NULL)
		prefix = "";
	if (strlen(prefix) >= sizeof(w->prefix))
		return sys_err(err, errlen, "signature prefix longer than %d "
		    "bytes", WHSIG_PREFIX_MAX - 1);
	for (i = 0; prefix[i] != '\0'; i++)
		if (prefix[i] < 0x21 || prefix[i] > 0x7e)
			return sys_err(err, errlen, "signature prefix must be "
			    "printable ASCII without spaces");
	if (encoding == NULL || strcmp(encoding, "hex") == 0)
		w->encoding = WHSIG_HEX;
	else if (strcmp(encoding, "base64") == 0)
		w->encoding = WHSIG_BASE64;
	else
		return sys_err(err, errlen, "signature encoding must be hex "
		    "or base64, not %s", encoding);
	snprintf(w->header, sizeof(w->header), "%s", hdr);
	snprintf(w->prefix, sizeof(w->prefix), "%s", prefix);
	return 0;
}

static void
add(struct whsig_headers *out, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add(struct whsig_headers *out, const char *name, const char *fmt, ...)
{
	va_list ap;

	snprintf(out->h[out->n].name, sizeof(out->h[out->n].name), "%s",
	    name);
	va_start(ap, fmt);
	vsnprintf(out->h[out->n].value, sizeof(out->h[out->n].value), fmt,
	    ap);
	va_end(ap);
	out->n++;
}

/* An id fit for a header and for "id.ts.body": printable, no '.' */
static int
good_id(const char *id)
{
	size_t i;

	for (i = 0; id[i] != '\0'; i++)
		if (id[i] < 0x21 || id[i] > 0x7e || id[i] == '.')
			return 0;
	return i > 0 && i <= WHSIG_ID_MAX;
}

int
whsig_sign(const struct whsig *w, const char *id, time_t ts,
    const char *body, size_t len, struct whsig_headers *out, char *err,
    size_t errlen)
{
	unsigned char mac[MACLEN];
	char tsbuf[32], enc[2 * MACLEN + 1];
	int tsn, rc = -1;

	memset(out, 0, sizeof(*out));
	if (w->keylen == 0)
		return sys_err(err, errlen, "no secret loaded");
	if (body == NULL && len > 0)
		return sys_err(err, errlen, "no body");
	if (ts < 0)
		return sys_err(err, errlen, "negative timestamp");
	tsn = snprintf(tsbuf, sizeof(tsbuf), "%lld", (long long)ts);
	if (id != NULL && !good_id(id) && (w->scheme == WHSIG_STANDARD ||
	    w->scheme == WHSIG_GITHUB))
		return sys_err(err, errlen, "webhook id must be 1 to %d "
		    "printable ASCII characters without spaces or dots",
		    WHSIG_ID_MAX);
	switch (w->scheme) {
	case WHSIG_STANDARD:
		if (id == NULL)
			return sys_err(err, errlen,
			    "standard needs a webhook id");
		if (hmac(w, (const struct piece[]){ { id, strlen(id) },
		    { ".", 1 }, { tsbuf, (size_t)tsn }, { ".", 1 },
		    { body, len } }, 5, mac) < 0)
			break;
		EVP_EncodeBlock((unsigned char *)enc, mac, MACLEN);
		add(out, "webhook-id", "%s", id);
		add(out, "webhook-timestamp", "%s", tsbuf);
		add(out, "webhook-signature", "v1,%s", enc);
		rc = 0;
		break;
	case WHSIG_GITHUB:
		if (hmac(w, (const struct piece[]){ { body, len } }, 1,
		    mac) < 0)
			break;
		enc_hex(enc, mac, MACLEN);
		add(out, "X-Hub-Signature-256", "sha256=%s", enc);
		if (id != NULL)
			add(out, "X-GitHub-Delivery", "%s", id);
		rc = 0;
		break;
	case WHSIG_SLACK:
		if (hmac(w, (const struct piece[]){ { "v0:", 3 },
		    { tsbuf, (size_t)tsn }, { ":", 1 }, { body, len } }, 4,
		    mac) < 0)
			break;
		enc_hex(enc, mac, MACLEN);
		add(out, "X-Slack-Request-Timestamp", "%s", tsbuf);
		add(out, "X-Slack-Signature", "v0=%s", enc);
		rc = 0;
		break;
	case WHSIG_STRIPE:
		if (hmac(w, (const struct piece[]){ { tsbuf, (size_t)tsn },
		    { ".", 1 }, { body, len } }, 3, mac) < 0)
			break;
		enc_hex(enc, mac, MACLEN);
		add(out, "Stripe-Signature", "t=%s,v1=%s", tsbuf, enc);
		rc = 0;
		break;
	case WHSIG_HMAC_SHA256:
		if (w->header[0] == '\0')
			return sys_err(err, errlen,
			    "hmac-sha256 has no header configured");
		if (hmac(w, (const struct piece[]){ { body, len } }, 1,
		    mac) < 0)
			break;
		if (w->encoding == WHSIG_BASE64)
			EVP_EncodeBlock((unsigned char *)enc, mac, MACLEN);
		else
			enc_hex(enc, mac, MACLEN);
		add(out, w->header, "%s%s", w->prefix, enc);
		rc = 0;
		break;
	default:
		return sys_err(err, errlen, "unknown signature scheme");
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	if (rc < 0)
		return sys_err(err, errlen, "cannot compute HMAC-SHA256");
	return 0;
}
