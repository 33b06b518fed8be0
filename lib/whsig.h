/* whsig: webhook HMAC signatures, verified by wh-listen, made by wh-send */
#ifndef WHSIG_H
#define WHSIG_H

#include <stddef.h>
#include <time.h>

/*
 * Schemes, as wh-listen(1) lists them; rules follow the official libraries:
 *
 * standard     Standard Webhooks v1 (standardwebhooks on npm, Go, Python).
 *              Key: secret without its optional "whsec_" prefix, base64
 *              decoded (padding required), as the libraries do; a secret
 *              that is not base64 is refused, unless raw_key is set (the
 *              libraries' format "raw").  Signed: "id.ts.body".  Headers
 *              webhook-id, webhook-timestamp, webhook-signature (a space
 *              separated list; any "v1,<base64>" entry may match, others
 *              such as "v1a," are ignored); without webhook-id, Svix's
 *              names svix-id, svix-timestamp, svix-signature, as the svix
 *              library takes them.  Timestamp within tolerance in both
 *              directions.
 * github       X-Hub-Signature-256: sha256=<hex>, over the body; key is
 *              the secret's bytes; no timestamp, so no replay check.
 * slack        X-Slack-Signature: v0=<hex> over "v0:ts:body" with
 *              X-Slack-Request-Timestamp; key is the secret's bytes;
 *              timestamp within tolerance in both directions (the Python
 *              SDK's abs(now - ts) > 300 rule).
 * stripe       Stripe-Signature: t=<ts>,v1=<hex>[,v1=...][,v0=...] over
 *              "ts.body"; key is the whole "whsec_..." string's bytes,
 *              never decoded.  As in stripe-node and stripe-python only a
 *              too old timestamp is refused, a future one is accepted (a
 *              valid MAC for a future time can only come from the key
 *              holder).  Two t= items are refused (stripe-node takes
 *              the last, stripe-python the first).
 * hmac-sha256  a configured header holding <prefix><hex or base64> of the
 *              HMAC-SHA256 of the body; key is the secret's bytes; no
 *              timestamp.
 *
 * Hex signatures are accepted in either case; base64 ones must be the
 * canonical padded encoding.  Decoded MACs are compared with
 * CRYPTO_memcmp.  Timestamps are decimal digits only.
 */
enum whsig_scheme {
	WHSIG_STANDARD,
	WHSIG_GITHUB,
	WHSIG_SLACK,
	WHSIG_STRIPE,
	WHSIG_HMAC_SHA256
};

enum whsig_encoding {
	WHSIG_HEX,
	WHSIG_BASE64
};

#define WHSIG_TOLERANCE 300	/* seconds, every library's default */
#define WHSIG_KEY_MAX 1024	/* longest secret accepted, bytes */
#define WHSIG_NAME_MAX 64	/* header name, with its NUL */
#define WHSIG_PREFIX_MAX 32	/* hmac-sha256 value prefix, with its NUL */
#define WHSIG_ID_MAX 256	/* webhook id accepted by whsig_sign */
#define WHSIG_VALUE_MAX 320	/* any header value whsig_sign makes */
#define WHSIG_HEADERS_MAX 4

struct whsig {
	int scheme;		/* enum whsig_scheme */
	/* the HMAC key, set by whsig_load_secret */
	unsigned char key[WHSIG_KEY_MAX];
	size_t keylen;
	int raw_key;		/* standard: use the secret's bytes as is */
	long tolerance;	/* seconds; 0: WHSIG_TOLERANCE; <0: no check */
	/* hmac-sha256 only, set by whsig_set_header */
	char header[WHSIG_NAME_MAX];	/* as given, e.g. X-Signature */
	char prefix[WHSIG_PREFIX_MAX];	/* e.g. "sha256=", may be "" */
	int encoding;		/* enum whsig_encoding */
};

/* Header pairs a sender adds to its request, filled by whsig_sign. */
struct whsig_headers {
	int n;
	struct {
		char name[WHSIG_NAME_MAX];
		char value[WHSIG_VALUE_MAX];
	} h[WHSIG_HEADERS_MAX];
};

/* Look up a request header by lower-case name; NULL when absent. */
typedef const char *(*whsig_header_fn)(void *arg, const char *name);

/* The scheme called name ("standard", "github", ...), or -1. */
int whsig_scheme(const char *name);

/* The name of a scheme, or NULL. */
const char *whsig_scheme_name(int scheme);

/* Zero w and set its scheme, tolerance 0 (default) and hex encoding. */
void whsig_init(struct whsig *w, int scheme);

/*
 * Set w's key from a secret (file contents: trailing CR and LF dropped);
 * standard decodes it as described above.  An empty secret is refused.
 * The error never quotes the secret.
 */
int whsig_load_secret(struct whsig *w, const char *bytes, size_t len,
    char *err, size_t errlen);

/*
 * The secrets of a secret file or variable, one a line (for rotation:
 * the first is the one signed with, any may verify): from *pos on, the
 * next one's start and length in *p and *n, without its CR LF or LF;
 * blank lines are skipped.  Returns 1, or 0 at the end of text.
 */
int whsig_next_secret(const char *text, size_t len, size_t *pos,
    const char **p, size_t *n);

/*
 * hmac-sha256: the header carrying the MAC (an HTTP token), the prefix
 * before it (printable ASCII, NULL for none) and the encoding ("hex" or
 * "base64", NULL for hex).
 */
int whsig_set_header(struct whsig *w, const char *header, const char *prefix,
    const char *encoding, char *err, size_t errlen);

/*
 * Check the request's headers (via get_header) and raw body against w at
 * time now.  Returns 0 when authentic and fresh, else -1 with a one-line
 * reason in why ("no webhook-signature header", "signature mismatch",
 * "timestamp too old (412 s)"); the reason never holds the secret, the
 * expected MAC or the header values received.
 */
int whsig_verify(const struct whsig *w, whsig_header_fn get_header,
    void *arg, const char *body, size_t len, time_t now, char *why,
    size_t whylen);

/*
 * whsig_verify, also setting *ts to the timestamp the signature covers
 * (standard, slack, stripe), or to -1 for a scheme that signs none or a
 * request refused before its timestamp was read.
 */
int whsig_verify_ts(const struct whsig *w, whsig_header_fn get_header,
    void *arg, const char *body, size_t len, time_t now, long long *ts,
    char *why, size_t whylen);

/*
 * Sign a body sent at time ts, filling out with the headers to add:
 * standard: webhook-id (id is required: printable ASCII, no "." or space,
 * at most WHSIG_ID_MAX bytes), webhook-timestamp, webhook-signature;
 * github: X-Hub-Signature-256, plus X-GitHub-Delivery when id is given;
 * slack: X-Slack-Request-Timestamp, X-Slack-Signature; stripe:
 * Stripe-Signature; hmac-sha256: the configured header.  id is ignored
 * by the schemes that have no id header.
 */
int whsig_sign(const struct whsig *w, const char *id, time_t ts,
    const char *body, size_t len, struct whsig_headers *out, char *err,
    size_t errlen);

/*
 * The lower-case header that carries the delivery id (stable across
 * retries, for dedupe) in a scheme: webhook-id, x-github-delivery; NULL
 * for slack, stripe (the id is in the body) and hmac-sha256.
 */
const char *whsig_id_header(int scheme);

/* Wipe the key from w (OPENSSL_cleanse). */
void whsig_clear(struct whsig *w);

#endif
