/* whsig unit tests: official vectors, refusals, round trips; oracle CLI */
/*
 * With no arguments: TAP unit tests (run from the repo root).
 *
 * With arguments, a small tool for tests/whsig-oracle.t:
 *
 *   whsig sign SCHEME SECRETFILE BODYFILE [ID [TS]]
 *	print the headers lib/whsig adds, one "Name: value" a line; TS
 *	defaults to now; exit 0, or 1 with the error on stderr.
 *   whsig verify SCHEME SECRETFILE BODYFILE HEADERSFILE [NOW]
 *	check a request whose headers are "Name: value" lines; exit 0 if
 *	whsig_verify accepts it, else 1 with the reason on stderr.
 *
 * The secret is read from a file, never argv.  For hmac-sha256 the
 * environment gives WHSIG_HEADER, WHSIG_PREFIX and WHSIG_ENCODING; any
 * scheme takes WHSIG_TOLERANCE (seconds).  Usage errors exit 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../hdrs.h"
#include "tap.h"
#include "whsig.h"
#include "xmem.h"

/* hdrs from up to three name/value pairs (NULL name ends) */
static struct hdrs
H(const char *n1, const char *v1, const char *n2, const char *v2,
    const char *n3, const char *v3)
{
	struct hdrs h = { 0, { 0 }, { 0 } };

	if (n1) { h.name[h.n] = n1; h.value[h.n++] = v1; }
	if (n2) { h.name[h.n] = n2; h.value[h.n++] = v2; }
	if (n3) { h.name[h.n] = n3; h.value[h.n++] = v3; }
	return h;
}

/* hdrs from a whsig_sign result */
static struct hdrs
from_signed(const struct whsig_headers *s)
{
	struct hdrs h = { 0, { 0 }, { 0 } };
	int i;

	for (i = 0; i < s->n && i < WHSIG_HEADERS_MAX; i++) {
		h.name[h.n] = s->h[i].name;
		h.value[h.n++] = s->h[i].value;
	}
	return h;
}

static const char *
hval(const struct whsig_headers *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->h[i].name, name) == 0)
			return s->h[i].value;
	return NULL;
}

static void
setup(struct whsig *w, int scheme, const char *secret)
{
	char err[200];

	whsig_init(w, scheme);
	if (whsig_load_secret(w, secret, strlen(secret), err,
	    sizeof(err)) < 0) {
		printf("# cannot load secret: %s\n", err);
		exit(1);
	}
}

static char why[256];

static int
vfy(const struct whsig *w, struct hdrs h, const char *body, time_t now)
{
	why[0] = '\0';
	return whsig_verify(w, hdrs_get, &h, body, strlen(body), now, why,
	    sizeof(why));
}

/* verify fails and the reason is want */
static void
refused(const struct whsig *w, struct hdrs h, const char *body, time_t now,
    const char *want, const char *name)
{
	int rc = vfy(w, h, body, now);

	ok(rc == -1, "%s: refused", name);
	is_str(why, want, name);
}

/* ---- Standard Webhooks ---- */

#define SW_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SW_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SW_TS "1614265330"
#define SW_BODY "{\"test\": 2432232314}"
#define SW_B64 "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
#define SW_SIG "v1," SW_B64

static struct hdrs
sw(const char *id, const char *ts, const char *sig)
{
	return H("webhook-id", id, "webhook-timestamp", ts,
	    "webhook-signature", sig);
}

static void
test_standard(void)
{
	struct whsig w, w2;
	struct whsig_headers out;
	char err[200], big[4096], *huge;
	time_t now = 1614265330;
	size_t i;

	setup(&w, WHSIG_STANDARD, SW_SECRET);
	ok(w.keylen == 24, "standard: whsec_ secret decodes to 24 bytes");
	ok(vfy(&w, sw(SW_ID, SW_TS, SW_SIG), SW_BODY, now) == 0,
	    "standard: official vector verifies (%s)", why);
	ok(whsig_sign(&w, SW_ID, now, SW_BODY, strlen(SW_BODY), &out, err,
	    sizeof(err)) == 0 && out.n == 3, "standard: sign");
	is_str(hval(&out, "webhook-signature"), SW_SIG,
	    "standard: sign gives the official signature");
	is_str(hval(&out, "webhook-id"), SW_ID, "standard: webhook-id");
	is_str(hval(&out, "webhook-timestamp"), SW_TS,
	    "standard: webhook-timestamp");
	refused(&w, sw(SW_ID, SW_TS,
	    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="), SW_BODY, now,
	    "signature mismatch", "standard: official negative vector");

	/* the prefix is optional, as in the libraries */
	setup(&w2, WHSIG_STANDARD, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
	ok(w2.keylen == w.keylen && memcmp(w.key, w2.key, w.keylen) == 0,
	    "standard: secret without whsec_ and with a newline, same key");
	/* raw_key: the secret's bytes as the key (format "raw") */
	whsig_init(&w2, WHSIG_STANDARD);
	w2.raw_key = 1;
	ok(whsig_load_secret(&w2, "not base64!", 11, err, sizeof(err)) == 0 &&
	    w2.keylen == 11 && memcmp(w2.key, "not base64!", 11) == 0,
	    "standard: raw_key keeps the bytes");
	whsig_init(&w2, WHSIG_STANDARD);
	ok(whsig_load_secret(&w2, "whsec_not base64!", 17, err,
	    sizeof(err)) == -1 && strstr(err, "not base64") == NULL,
	    "standard: bad base64 secret refused, not quoted (%s)", err);
	ok(whsig_load_secret(&w2, "whsec_abc", 9, err, sizeof(err)) == -1,
	    "standard: unpadded base64 secret refused");
	ok(whsig_load_secret(&w2, "whsec_", 6, err, sizeof(err)) == -1,
	    "standard: whsec_ alone refused");
	ok(whsig_load_secret(&w2, "\n", 1, err, sizeof(err)) == -1 &&
	    strcmp(err, "secret is empty") == 0, "standard: empty refused");

	setup(&w2, WHSIG_STANDARD,
	    "whsec_dGhpcyBpcyBub3QgdGhlIHJpZ2h0IGtleQ==");
	refused(&w2, sw(SW_ID, SW_TS, SW_SIG), SW_BODY, now,
	    "signature mismatch", "standard: wrong secret");
	refused(&w, sw(SW_ID, SW_TS, SW_SIG), "{\"test\": 2432232315}", now,
	    "signature mismatch", "standard: tampered body");
	refused(&w, sw("msg_other", SW_TS, SW_SIG), SW_BODY, now,
	    "signature mismatch", "standard: other id");
	refused(&w, sw(SW_ID, "1614265331", SW_SIG), SW_BODY, now,
	    "signature mismatch", "standard: other timestamp");

	/* tolerance: 5 minutes both ways */
	ok(vfy(&w, sw(SW_ID, SW_TS, SW_SIG), SW_BODY, now + 300) == 0,
	    "standard: 300 s old accepted");
	refused(&w, sw(SW_ID, SW_TS, SW_SIG), SW_BODY, now + 301,
	    "timestamp too old (301 s)", "standard: 301 s old");
	ok(vfy(&w, sw(SW_ID, SW_TS, SW_SIG), SW_BODY, now - 300) == 0,
	    "standard: 300 s ahead accepted");
	refused(&w, sw(SW_ID, SW_TS, SW_SIG), SW_BODY, now - 301,
	    "timestamp too new (301 s ahead)", "standard: 301 s ahead");
	ok(vfy(&w, sw(SW_ID, SW_TS, SW_SIG), SW_BODY, time(NULL)) == -1 &&
	    strncmp(why, "timestamp too old (", 19) == 0,
	    "standard: today vs 2021 (%s)", why);
	w2 = w;
	w2.tolerance = 10;
	refused(&w2, sw(SW_ID, SW_TS, SW_SIG), SW_BODY, now + 11,
	    "timestamp too old (11 s)", "standard: tolerance 10");
	w2.tolerance = -1;
	ok(vfy(&w2, sw(SW_ID, SW_TS, SW_SIG), SW_BODY, time(NULL)) == 0,
	    "standard: tolerance -1 skips the time check");

	/* Svix's names for the same headers, as the svix library sends */
	ok(vfy(&w, H("svix-id", SW_ID, "svix-timestamp", SW_TS,
	    "svix-signature", SW_SIG), SW_BODY, now) == 0,
	    "standard: the official vector under svix-* names (%s)", why);
	refused(&w, H("svix-id", SW_ID, "webhook-timestamp", SW_TS,
	    "webhook-signature", SW_SIG), SW_BODY, now,
	    "no svix-timestamp header", "standard: svix-id with webhook-* "
	    "others: one set, not a mix");
	refused(&w, H("svix-id", SW_ID, "svix-timestamp", SW_TS,
	    "svix-signature", "v1,abc"), SW_BODY, now,
	    "malformed signature in svix-signature header",
	    "standard: svix-signature named in the reason");

	/* missing headers */
	refused(&w, H("webhook-timestamp", SW_TS, "webhook-signature", SW_SIG,
	    NULL, NULL), SW_BODY, now, "no webhook-id (or svix-id) header",
	    "standard: no webhook-id");
	refused(&w, H("webhook-id", SW_ID, "webhook-signature", SW_SIG,
	    NULL, NULL), SW_BODY, now, "no webhook-timestamp header",
	    "standard: no webhook-timestamp");
	refused(&w, H("webhook-id", SW_ID, "webhook-timestamp", SW_TS,
	    NULL, NULL), SW_BODY, now, "no webhook-signature header",
	    "standard: no webhook-signature");
	refused(&w, sw(SW_ID, SW_TS, ""), SW_BODY, now,
	    "no webhook-signature header", "standard: empty signature");
	refused(&w, sw(SW_ID, SW_TS, "   "), SW_BODY, now,
	    "no webhook-signature header", "standard: blank signature");
	ok(vfy(&w, H("Webhook-Id", SW_ID, "WEBHOOK-TIMESTAMP", SW_TS,
	    "Webhook-Signature", SW_SIG), SW_BODY, now) == 0,
	    "standard: header names looked up case-insensitively");

	/* rotation: any v1 entry may match */
	ok(vfy(&w, sw(SW_ID, SW_TS, "v1,dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3"
	    "nIsEPhc= " SW_SIG), SW_BODY, now) == 0,
	    "standard: second of two signatures matches");
	ok(vfy(&w, sw(SW_ID, SW_TS, SW_SIG " v1,dXEH6g6yUJ/CESIczphLijdXC211"
	    "hsIsRvQ3nIsEPhc="), SW_BODY, now) == 0,
	    "standard: first of two signatures matches");
	ok(vfy(&w, sw(SW_ID, SW_TS, "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVl"
	    "NIOLJ1OE= v1,!!  garbage   " SW_SIG " v2,x"), SW_BODY, now) == 0,
	    "standard: v1a, junk and extra spaces skipped");
	ok(vfy(&w, sw(SW_ID, SW_TS, SW_SIG ",trailing"), SW_BODY, now) == 0,
	    "standard: text after a second comma ignored (as the libraries)");
	ok(vfy(&w, sw(SW_ID, " " SW_TS "\t", " " SW_SIG " "), SW_BODY,
	    now) == 0, "standard: blanks around header values ignored");
	ok(vfy(&w, sw(SW_ID, "0" SW_TS, SW_SIG), SW_BODY, now) == 0,
	    "standard: leading zero in timestamp signs the number (libraries)");

	/* malformed */
	refused(&w, sw(SW_ID, SW_TS, "v2," SW_B64), SW_BODY, now,
	    "no v1 signature in webhook-signature header", "standard: v2 only");
	refused(&w, sw(SW_ID, SW_TS, "garbage"), SW_BODY, now,
	    "no v1 signature in webhook-signature header", "standard: garbage");
	refused(&w, sw(SW_ID, SW_TS, "V1," SW_B64), SW_BODY, now,
	    "no v1 signature in webhook-signature header",
	    "standard: version is case-sensitive");
	refused(&w, sw(SW_ID, SW_TS, "v1,"), SW_BODY, now,
	    "malformed signature in webhook-signature header",
	    "standard: empty v1 signature");
	refused(&w, sw(SW_ID, SW_TS, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVl"
	    "NIOLJ1OE"), SW_BODY, now,
	    "malformed signature in webhook-signature header",
	    "standard: unpadded base64");
	refused(&w, sw(SW_ID, SW_TS, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVl"
	    "NIOLJ1OF="), SW_BODY, now,
	    "malformed signature in webhook-signature header",
	    "standard: non-canonical base64 (unused bits set)");
	refused(&w, sw(SW_ID, SW_TS, "v1,g0hM9SsE-OTPJTGt_tmIKtSyZlE3uFJELVl"
	    "NIOLJ1OE="), SW_BODY, now,
	    "malformed signature in webhook-signature header",
	    "standard: url-safe base64 refused");
	refused(&w, sw(SW_ID, SW_TS, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVl"
	    "NIOLJ1O=E="), SW_BODY, now,
	    "malformed signature in webhook-signature header",
	    "standard: padding inside");
	refused(&w, sw(SW_ID, SW_TS, "v1,AAAA"), SW_BODY, now,
	    "malformed signature in webhook-signature header",
	    "standard: short MAC");
	refused(&w, sw(SW_ID, SW_TS, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVl"
	    "NIOLJ1OEAAAA"), SW_BODY, now,
	    "malformed signature in webhook-signature header",
	    "standard: long MAC");
	refused(&w, sw(SW_ID, SW_TS, "v1,==== v1,===="), SW_BODY, now,
	    "malformed signature in webhook-signature header",
	    "standard: only padding");
	refused(&w, sw(SW_ID, "abc", SW_SIG), SW_BODY, now,
	    "malformed webhook-timestamp header", "standard: ts abc");
	refused(&w, sw(SW_ID, "-1614265330", SW_SIG), SW_BODY, now,
	    "malformed webhook-timestamp header", "standard: ts negative");
	refused(&w, sw(SW_ID, "1614265330abc", SW_SIG), SW_BODY, now,
	    "malformed webhook-timestamp header", "standard: ts with junk");
	refused(&w, sw(SW_ID, "1.6e9", SW_SIG), SW_BODY, now,
	    "malformed webhook-timestamp header", "standard: ts float");
	refused(&w, sw(SW_ID, "1234567890123456789", SW_SIG), SW_BODY, now,
	    "malformed webhook-timestamp header", "standard: ts 19 digits");
	/* huge list of wrong entries: refused, no crash */
	huge = xmalloc(1 << 20);
	for (i = 0; i + 48 < (1 << 20); i += 48) {
		memcpy(huge + i, SW_SIG " ", 48);
		huge[i + 5] = 'A';	/* a wrong MAC, well-formed */
	}
	huge[i] = '\0';
	refused(&w, sw(SW_ID, SW_TS, huge), SW_BODY, now,
	    "signature mismatch", "standard: 1 MiB of wrong signatures");
	/* ... and the right one at the end */
	memcpy(huge + i - 48, SW_SIG " ", 48);
	ok(vfy(&w, sw(SW_ID, SW_TS, huge), SW_BODY, now) == 0,
	    "standard: right signature after %zu wrong ones", i / 48 - 1);
	memset(huge, 'x', (1 << 20) - 1);
	huge[(1 << 20) - 1] = '\0';
	refused(&w, sw(SW_ID, SW_TS, huge), SW_BODY, now,
	    "no v1 signature in webhook-signature header",
	    "standard: 1 MiB of x");
	free(huge);

	/* signing refuses ids that would break the signed content */
	ok(whsig_sign(&w, "a.b", now, "", 0, &out, err, sizeof(err)) == -1,
	    "standard: sign refuses an id with a dot (%s)", err);
	ok(whsig_sign(&w, "a\r\nX-Evil: 1", now, "", 0, &out, err,
	    sizeof(err)) == -1, "standard: sign refuses an id with CR LF");
	ok(whsig_sign(&w, NULL, now, "", 0, &out, err, sizeof(err)) == -1,
	    "standard: sign needs an id");
	memset(big, 'a', 257);
	big[257] = '\0';
	ok(whsig_sign(&w, big, now, "", 0, &out, err, sizeof(err)) == -1,
	    "standard: sign refuses a 257-byte id");
	big[256] = '\0';
	ok(whsig_sign(&w, big, now, "", 0, &out, err, sizeof(err)) == 0 &&
	    vfy(&w, from_signed(&out), "", now) == 0,
	    "standard: 256-byte id and empty body round trip");
	ok(whsig_sign(&w, "x", -1, "", 0, &out, err, sizeof(err)) == -1,
	    "standard: sign refuses a negative timestamp");
}

/* ---- GitHub ---- */

#define GH_SECRET "It's a Secret to Everybody"
#define GH_BODY "Hello, World!"
#define GH_SIG "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4" \
	"379c8b043e17"

static struct hdrs
gh(const char *sig)
{
	return H("X-Hub-Signature-256", sig, NULL, NULL, NULL, NULL);
}

static void
test_github(void)
{
	struct whsig w, w2;
	struct whsig_headers out;
	char err[200];

	setup(&w, WHSIG_GITHUB, GH_SECRET);
	ok(vfy(&w, gh(GH_SIG), GH_BODY, 0) == 0,
	    "github: official vector verifies (%s)", why);
	ok(vfy(&w, gh(GH_SIG), GH_BODY, time(NULL)) == 0,
	    "github: no timestamp, any time");
	ok(whsig_sign(&w, NULL, 0, GH_BODY, strlen(GH_BODY), &out, err,
	    sizeof(err)) == 0 && out.n == 1, "github: sign without id");
	is_str(hval(&out, "X-Hub-Signature-256"), GH_SIG,
	    "github: sign gives the official signature");
	ok(whsig_sign(&w, "72d3162e-cc78-11e3-81ab-4c9367dc0958", 0, GH_BODY,
	    strlen(GH_BODY), &out, err, sizeof(err)) == 0 && out.n == 2,
	    "github: sign with id");
	is_str(hval(&out, "X-GitHub-Delivery"),
	    "72d3162e-cc78-11e3-81ab-4c9367dc0958",
	    "github: X-GitHub-Delivery carries the id");
	ok(vfy(&w, gh("sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22"
	    "C46F4379C8B043E17"), GH_BODY, 0) == 0,
	    "github: upper-case hex accepted");
	setup(&w2, WHSIG_GITHUB, "It's a Secret to Everybody!");
	refused(&w2, gh(GH_SIG), GH_BODY, 0, "signature mismatch",
	    "github: wrong secret");
	/* the secret file's newline is not part of the secret */
	setup(&w2, WHSIG_GITHUB, GH_SECRET "\r\n");
	ok(vfy(&w2, gh(GH_SIG), GH_BODY, 0) == 0,
	    "github: secret file CR LF stripped");
	refused(&w, gh(GH_SIG), "Hello, World?", 0, "signature mismatch",
	    "github: tampered body");
	refused(&w, H("X-Hub-Signature", "sha1=01234", NULL, NULL, NULL, NULL),
	    GH_BODY, 0, "no X-Hub-Signature-256 header", "github: sha1 only");
	refused(&w, gh("sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c"
	    "46f4379c8b043e17"), GH_BODY, 0,
	    "X-Hub-Signature-256 header does not start with \"sha256=\"",
	    "github: wrong prefix");
	refused(&w, gh("sha256="), GH_BODY, 0,
	    "malformed signature in X-Hub-Signature-256 header",
	    "github: empty MAC");
	refused(&w, gh(GH_SIG "00"), GH_BODY, 0,
	    "malformed signature in X-Hub-Signature-256 header",
	    "github: hex too long");
	refused(&w, gh("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c2"
	    "2c46f4379c8b043e1"), GH_BODY, 0,
	    "malformed signature in X-Hub-Signature-256 header",
	    "github: odd hex length");
	refused(&w, gh("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c2"
	    "2c46f4379c8b043e1g"), GH_BODY, 0,
	    "malformed signature in X-Hub-Signature-256 header",
	    "github: non-hex digit");
	refused(&w, gh("sha256=dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nIsEPhc="),
	    GH_BODY, 0, "malformed signature in X-Hub-Signature-256 header",
	    "github: base64 where hex is due");
	refused(&w, gh(""), GH_BODY, 0, "no X-Hub-Signature-256 header",
	    "github: empty header");
}

/* ---- Slack ---- */

#define SL_SECRET "8f742231b10e8888abcd99yyyzzz85a5"
#define SL_TS "1531420618"
#define SL_BODY "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_doma" \
	"in=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2C" \
	"ERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&respon" \
	"se_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F39770" \
	"0885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.4744562" \
	"9121.803a0bc887a14d10d2c447fce8b6703c"
#define SL_SIG "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666" \
	"489c69b503"

static struct hdrs
sl(const char *ts, const char *sig)
{
	return H("X-Slack-Request-Timestamp", ts, "X-Slack-Signature", sig,
	    NULL, NULL);
}

static void
test_slack(void)
{
	struct whsig w, w2;
	struct whsig_headers out;
	char err[200];
	time_t now = 1531420618;

	setup(&w, WHSIG_SLACK, SL_SECRET);
	ok(vfy(&w, sl(SL_TS, SL_SIG), SL_BODY, now) == 0,
	    "slack: official vector verifies (%s)", why);
	ok(whsig_sign(&w, NULL, now, SL_BODY, strlen(SL_BODY), &out, err,
	    sizeof(err)) == 0 && out.n == 2, "slack: sign");
	is_str(hval(&out, "X-Slack-Signature"), SL_SIG,
	    "slack: sign gives the official signature");
	is_str(hval(&out, "X-Slack-Request-Timestamp"), SL_TS,
	    "slack: timestamp header");
	ok(vfy(&w, sl(SL_TS, SL_SIG), SL_BODY, now + 300) == 0 &&
	    vfy(&w, sl(SL_TS, SL_SIG), SL_BODY, now - 300) == 0,
	    "slack: 300 s either way accepted");
	refused(&w, sl(SL_TS, SL_SIG), SL_BODY, now + 301,
	    "timestamp too old (301 s)", "slack: stale");
	refused(&w, sl(SL_TS, SL_SIG), SL_BODY, now - 301,
	    "timestamp too new (301 s ahead)", "slack: future");
	setup(&w2, WHSIG_SLACK, "8f742231b10e8888abcd99yyyzzz85a6");
	refused(&w2, sl(SL_TS, SL_SIG), SL_BODY, now, "signature mismatch",
	    "slack: wrong secret");
	refused(&w, sl(SL_TS, SL_SIG), SL_BODY "&x=1", now,
	    "signature mismatch", "slack: tampered body");
	refused(&w, sl("1531420619", SL_SIG), SL_BODY, now,
	    "signature mismatch", "slack: other timestamp");
	/* Slack signs the header text: "0..." is a different message */
	refused(&w, sl("0" SL_TS, SL_SIG), SL_BODY, now,
	    "signature mismatch", "slack: leading zero changes the basestring");
	refused(&w, H("X-Slack-Signature", SL_SIG, NULL, NULL, NULL, NULL),
	    SL_BODY, now, "no X-Slack-Request-Timestamp header",
	    "slack: no timestamp header");
	refused(&w, H("X-Slack-Request-Timestamp", SL_TS, NULL, NULL, NULL,
	    NULL), SL_BODY, now, "no X-Slack-Signature header",
	    "slack: no signature header");
	refused(&w, sl("yesterday", SL_SIG), SL_BODY, now,
	    "malformed X-Slack-Request-Timestamp header", "slack: bad ts");
	refused(&w, sl(SL_TS, "v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a1"
	    "0bd27519666489c69b503"), SL_BODY, now,
	    "no v0 signature in X-Slack-Signature header", "slack: v1=");
	refused(&w, sl(SL_TS, "v0=zz"), SL_BODY, now,
	    "malformed signature in X-Slack-Signature header",
	    "slack: bad hex");
	refused(&w, sl(SL_TS, "v0"), SL_BODY, now,
	    "no v0 signature in X-Slack-Signature header", "slack: v0 alone");
}

/* ---- Stripe ---- */

/* made by stripe-node 23.1.0 generateTestHeaderString, see oracle/ */
#define ST_SECRET "whsec_test_secret_0123456789"
#define ST_BODY "{\"id\":\"evt_1\",\"object\":\"event\"}"
#define ST_MAC "0f06c232d18bc676bfacfc5240a2cfe4559e99421aacd50637b2ba2c72" \
	"62e338"
#define ST_SIG "t=1700000000,v1=" ST_MAC
#define ST_BAD "v1=0f06c232d18bc676bfacfc5240a2cfe4559e99421aacd50637b2ba2" \
	"c7262e339"

static struct hdrs
st(const char *sig)
{
	return H("Stripe-Signature", sig, NULL, NULL, NULL, NULL);
}

static void
test_stripe(void)
{
	struct whsig w, w2;
	struct whsig_headers out;
	char err[200];
	time_t now = 1700000000;

	setup(&w, WHSIG_STRIPE, ST_SECRET);
	ok(w.keylen == strlen(ST_SECRET),
	    "stripe: key is the whole whsec_ string");
	ok(vfy(&w, st(ST_SIG), ST_BODY, now) == 0,
	    "stripe: library vector verifies (%s)", why);
	ok(whsig_sign(&w, "evt_1", now, ST_BODY, strlen(ST_BODY), &out, err,
	    sizeof(err)) == 0 && out.n == 1, "stripe: sign");
	is_str(hval(&out, "Stripe-Signature"), ST_SIG,
	    "stripe: sign gives the library's header");
	ok(vfy(&w, st("t=1700000000," ST_BAD ",v1=" ST_MAC ",v0=abc"), ST_BODY,
	    now) == 0, "stripe: second v1 matches (rotation), v0 ignored");
	ok(vfy(&w, st("v1=" ST_MAC ",t=1700000000"), ST_BODY, now) == 0,
	    "stripe: t after v1");
	ok(vfy(&w, st("t=1700000000,foo=bar,v1=" ST_MAC ",,"), ST_BODY,
	    now) == 0, "stripe: unknown and empty items ignored");
	refused(&w, st("t=1700000000," ST_BAD), ST_BODY, now,
	    "signature mismatch", "stripe: one bit off");
	refused(&w, st("t=1700000000,v0=" ST_MAC), ST_BODY, now,
	    "no v1 signature in Stripe-Signature header", "stripe: v0 only");
	refused(&w, st("v1=" ST_MAC), ST_BODY, now,
	    "no timestamp in Stripe-Signature header", "stripe: no t");
	refused(&w, st("t=1700000000,t=1700000001,v1=" ST_MAC), ST_BODY, now,
	    "several timestamps in Stripe-Signature header", "stripe: two t");
	refused(&w, st("t=17e8,v1=" ST_MAC), ST_BODY, now,
	    "malformed timestamp in Stripe-Signature header", "stripe: t=17e8");
	refused(&w, st("t=,v1=" ST_MAC), ST_BODY, now,
	    "malformed timestamp in Stripe-Signature header", "stripe: t=");
	refused(&w, st("t=1700000000,v1=" ST_MAC "00"), ST_BODY, now,
	    "malformed signature in Stripe-Signature header",
	    "stripe: long hex");
	refused(&w, st("garbage"), ST_BODY, now,
	    "no timestamp in Stripe-Signature header", "stripe: garbage");
	refused(&w, H("X-Stripe-Signature", ST_SIG, NULL, NULL, NULL, NULL),
	    ST_BODY, now, "no Stripe-Signature header", "stripe: no header");
	refused(&w, st("t=1700000001,v1=" ST_MAC), ST_BODY, now,
	    "signature mismatch", "stripe: other t");
	refused(&w, st(ST_SIG), ST_BODY " ", now, "signature mismatch",
	    "stripe: tampered body");
	setup(&w2, WHSIG_STRIPE, "whsec_test_secret_0123456788");
	refused(&w2, st(ST_SIG), ST_BODY, now, "signature mismatch",
	    "stripe: wrong secret");
	/* time: only too old is refused, as in the library */
	ok(vfy(&w, st(ST_SIG), ST_BODY, now + 300) == 0,
	    "stripe: 300 s old accepted");
	refused(&w, st(ST_SIG), ST_BODY, now + 301,
	    "timestamp too old (301 s)", "stripe: 301 s old");
	ok(vfy(&w, st(ST_SIG), ST_BODY, now - 86400) == 0,
	    "stripe: a day ahead accepted (library rule)");
	w2 = w;
	w2.tolerance = -1;
	ok(vfy(&w2, st(ST_SIG), ST_BODY, now + 86400) == 0,
	    "stripe: tolerance -1 skips the time check");
}

/* ---- generic hmac-sha256 ---- */

static void
test_hmac(void)
{
	struct whsig w;
	struct whsig_headers out;
	char err[200];

	setup(&w, WHSIG_HMAC_SHA256, GH_SECRET);
	refused(&w, gh(GH_SIG), GH_BODY, 0,
	    "hmac-sha256 has no header configured", "hmac: no header set");
	ok(whsig_sign(&w, NULL, 0, GH_BODY, strlen(GH_BODY), &out, err,
	    sizeof(err)) == -1, "hmac: sign needs a header too");
	ok(whsig_set_header(&w, "X-Hub-Signature-256", "sha256=", "hex", err,
	    sizeof(err)) == 0, "hmac: configured like github");
	ok(vfy(&w, gh(GH_SIG), GH_BODY, 0) == 0,
	    "hmac: github vector verifies (%s)", why);
	ok(whsig_set_header(&w, "X-Signature", NULL, "base64", err,
	    sizeof(err)) == 0, "hmac: base64, no prefix");
	ok(whsig_sign(&w, NULL, 0, GH_BODY, strlen(GH_BODY), &out, err,
	    sizeof(err)) == 0 && out.n == 1, "hmac: sign");
	is_str(out.h[0].name, "X-Signature", "hmac: configured header name");
	is_str(out.h[0].value, "dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nIsEPhc=",
	    "hmac: base64 of the github vector MAC");
	ok(vfy(&w, H("x-signature", "dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nIs"
	    "EPhc=", NULL, NULL, NULL, NULL), GH_BODY, 0) == 0,
	    "hmac: base64 verifies");
	refused(&w, H("x-signature", "dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nI"
	    "sEPhc", NULL, NULL, NULL, NULL), GH_BODY, 0,
	    "malformed signature in X-Signature header", "hmac: no padding");
	refused(&w, H("x-signature", &GH_SIG[7], NULL, NULL, NULL, NULL),
	    GH_BODY, 0, "malformed signature in X-Signature header",
	    "hmac: hex where base64 is due");
	refused(&w, H("x-other", "x", NULL, NULL, NULL, NULL), GH_BODY, 0,
	    "no X-Signature header", "hmac: missing header");
	ok(whsig_set_header(&w, "X-Sig", "SHA256=", "hex", err,
	    sizeof(err)) == 0 && vfy(&w, H("x-sig", GH_SIG, NULL, NULL, NULL,
	    NULL), GH_BODY, 0) == 0, "hmac: prefix compared without case");
	ok(whsig_set_header(&w, "X Sig", NULL, NULL, err, sizeof(err)) == -1,
	    "hmac: space in header name refused (%s)", err);
	ok(whsig_set_header(&w, "X-Sig\r\nEvil", NULL, NULL, err,
	    sizeof(err)) == -1, "hmac: CR LF in header name refused");
	ok(whsig_set_header(&w, "", NULL, NULL, err, sizeof(err)) == -1,
	    "hmac: empty header name refused");
	ok(whsig_set_header(&w, "X-Sig", "a b", NULL, err, sizeof(err)) == -1,
	    "hmac: space in prefix refused");
	ok(whsig_set_header(&w, "X-Sig", NULL, "base32", err,
	    sizeof(err)) == -1, "hmac: encoding base32 refused (%s)", err);
	ok(whsig_set_header(&w, "X-A-Very-Long-Header-Name-That-Goes-On-And-"
	    "On-And-On-Forever-More", NULL, NULL, err, sizeof(err)) == -1,
	    "hmac: 65-byte header name refused");
}

/* ---- all schemes ---- */

static void
test_common(void)
{
	static const int all[] = { WHSIG_STANDARD, WHSIG_GITHUB, WHSIG_SLACK,
	    WHSIG_STRIPE, WHSIG_HMAC_SHA256 };
	struct whsig w;
	struct whsig_headers out;
	struct hdrs h;
	char err[200], *body, *secret;
	size_t i, j, blen = 3 << 20;
	time_t now = 1750000000;
	int s, good;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		is_str(whsig_scheme_name(all[i]), whsig_scheme_name(
		    whsig_scheme(whsig_scheme_name(all[i]))), "scheme name");
		ok(whsig_scheme(whsig_scheme_name(all[i])) == all[i],
		    "whsig_scheme(%s)", whsig_scheme_name(all[i]));
	}
	ok(whsig_scheme("Standard") == -1 && whsig_scheme("") == -1 &&
	    whsig_scheme(NULL) == -1 && whsig_scheme_name(99) == NULL,
	    "unknown scheme names");
	is_str(whsig_id_header(WHSIG_STANDARD), "webhook-id",
	    "id header standard");
	is_str(whsig_id_header(WHSIG_GITHUB), "x-github-delivery",
	    "id header github");
	ok(whsig_id_header(WHSIG_STRIPE) == NULL &&
	    whsig_id_header(WHSIG_SLACK) == NULL &&
	    whsig_id_header(WHSIG_HMAC_SHA256) == NULL, "no id header");

	/* binary body with NULs and every byte value, 3 MiB */
	body = xmalloc(blen);
	for (j = 0; j < blen; j++)
		body[j] = (char)(j * 7 + (j >> 8));
	secret = "whsec_c2VjcmV0LWtleS1mb3Itcm91bmQtdHJpcHMtMTIzNDU2";
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		s = all[i];
		setup(&w, s, secret);
		if (s == WHSIG_HMAC_SHA256)
			whsig_set_header(&w, "X-Body-MAC", "mac=", "base64",
			    err, sizeof(err));
		ok(whsig_sign(&w, "msg_round_trip", now, body, blen, &out, err,
		    sizeof(err)) == 0, "%s: sign 3 MiB binary body",
		    whsig_scheme_name(s));
		h = from_signed(&out);
		why[0] = '\0';
		ok(whsig_verify(&w, hdrs_get, &h, body, blen, now + 5, why,
		    sizeof(why)) == 0, "%s: round trip (%s)",
		    whsig_scheme_name(s), why);
		body[blen / 2] ^= 1;
		good = whsig_verify(&w, hdrs_get, &h, body, blen, now + 5, why,
		    sizeof(why));
		body[blen / 2] ^= 1;
		ok(good == -1 && strcmp(why, "signature mismatch") == 0,
		    "%s: one bit flipped in the body", whsig_scheme_name(s));
		ok(whsig_sign(&w, "e", now, NULL, 0, &out, err,
		    sizeof(err)) == 0, "%s: sign empty body",
		    whsig_scheme_name(s));
		h = from_signed(&out);
		ok(whsig_verify(&w, hdrs_get, &h, "", 0, now, why,
		    sizeof(why)) == 0, "%s: empty body round trip (%s)",
		    whsig_scheme_name(s), why);
		/* reasons never show the secret or the expected MAC */
		good = whsig_verify(&w, hdrs_get, &h, "x", 1, now, why,
		    sizeof(why)) == -1 && strstr(why, "c2VjcmV0") == NULL &&
		    strstr(why, "secret-key") == NULL;
		for (j = 0; j < (size_t)out.n; j++)
			if (strlen(out.h[j].value) >= 40 && strstr(why,
			    out.h[j].value + strlen(out.h[j].value) - 40))
				good = 0;
		ok(good, "%s: reason shows no secret, no MAC (%s)",
		    whsig_scheme_name(s), why);
		whsig_clear(&w);
		ok(whsig_verify(&w, hdrs_get, &h, "", 0, now, why,
		    sizeof(why)) == -1 && strcmp(why, "no secret loaded") == 0,
		    "%s: cleared key refuses", whsig_scheme_name(s));
		ok(whsig_sign(&w, "e", now, "", 0, &out, err,
		    sizeof(err)) == -1, "%s: cleared key cannot sign",
		    whsig_scheme_name(s));
	}
	free(body);

	/* secret size limits */
	secret = xmalloc(WHSIG_KEY_MAX + 2);
	memset(secret, 'k', WHSIG_KEY_MAX + 1);
	whsig_init(&w, WHSIG_GITHUB);
	ok(whsig_load_secret(&w, secret, WHSIG_KEY_MAX, err, sizeof(err)) ==
	    0, "secret of WHSIG_KEY_MAX bytes");
	ok(whsig_load_secret(&w, secret, WHSIG_KEY_MAX + 1, err,
	    sizeof(err)) == -1 && w.keylen == 0, "secret one byte longer");
	ok(whsig_load_secret(&w, "\0bin\0", 5, err, sizeof(err)) == 0 &&
	    w.keylen == 5, "binary secret kept whole");
	free(secret);
	ok(whsig_verify(&w, hdrs_get, &h, "", 0, now, NULL, 0) == -1,
	    "NULL reason buffer tolerated");
}

/* ---- command line modes for tests/whsig-oracle.t ---- */

static char *
slurp(const char *path, size_t *len)
{
	FILE *f;
	struct buf b = { 0 };
	char chunk[65536];
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "whsig: cannot open %s: %s\n", path,
		    strerror(errno));
		exit(2);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	buf_add(&b, "", 0);
	*len = b.len;
	return b.p;
}

static int
cli(int argc, char *argv[])
{
	struct whsig w;
	struct whsig_headers out;
	struct hdrs h = { 0, { 0 }, { 0 } };
	char err[256], *secret, *body, *hfile;
	const char *e;
	size_t slen, blen, hlen;
	time_t t;
	int s, i;

	if (argc < 5 || (s = whsig_scheme(argv[2])) < 0) {
		fprintf(stderr, "usage: whsig sign SCHEME SECRETFILE BODYFILE "
		    "[ID [TS]]\n       whsig verify SCHEME SECRETFILE BODYFILE "
		    "HEADERSFILE [NOW]\n");
		return 2;
	}
	whsig_init(&w, s);
	if ((e = getenv("WHSIG_TOLERANCE")) != NULL)
		w.tolerance = strtol(e, NULL, 10);
	if (s == WHSIG_HMAC_SHA256 && whsig_set_header(&w,
	    getenv("WHSIG_HEADER"), getenv("WHSIG_PREFIX"),
	    getenv("WHSIG_ENCODING"), err, sizeof(err)) < 0) {
		fprintf(stderr, "whsig: %s\n", err);
		return 2;
	}
	secret = slurp(argv[3], &slen);
	i = whsig_load_secret(&w, secret, slen, err, sizeof(err));
	free(secret);
	if (i < 0) {
		fprintf(stderr, "whsig: %s\n", err);
		return 2;
	}
	body = slurp(argv[4], &blen);
	if (strcmp(argv[1], "sign") == 0) {
		t = argc > 6 ? (time_t)strtoll(argv[6], NULL, 10) : time(NULL);
		i = whsig_sign(&w, argc > 5 ? argv[5] : NULL, t, body, blen,
		    &out, err, sizeof(err));
		free(body);
		if (i < 0) {
			fprintf(stderr, "whsig: %s\n", err);
			return 1;
		}
		for (i = 0; i < out.n; i++)
			printf("%s: %s\n", out.h[i].name, out.h[i].value);
		return 0;
	}
	if (strcmp(argv[1], "verify") != 0 || argc < 6) {
		free(body);
		return cli(0, argv);
	}
	hfile = slurp(argv[5], &hlen);
	hdrs_split(hfile, &h);
	t = argc > 6 ? (time_t)strtoll(argv[6], NULL, 10) : time(NULL);
	i = whsig_verify(&w, hdrs_get, &h, body, blen, t, err, sizeof(err));
	free(body);
	free(hfile);
	whsig_clear(&w);
	if (i < 0) {
		fprintf(stderr, "whsig: %s\n", err);
		return 1;
	}
	return 0;
}

/* A secrets text, one a line: CR LF, LF, blank lines, no final LF. */
static void
test_next_secret(void)
{
	const char *t = "old\r\n\nnew\n\r\nlast", *p;
	char got[64] = "";
	size_t pos = 0, n;
	int k = 0;

	while (whsig_next_secret(t, strlen(t), &pos, &p, &n) && k++ < 8)
		snprintf(got + strlen(got), sizeof(got) - strlen(got),
		    "[%.*s]", (int)n, p);
	is_str(got, "[old][new][last]", "next_secret: lines, CR LF and "
	    "blank lines dropped");
	pos = 0;
	ok(whsig_next_secret("\n\r\n", 3, &pos, &p, &n) == 0,
	    "next_secret: only blank lines: none");
	pos = 0;
	ok(whsig_next_secret("a=b\n", 4, &pos, &p, &n) == 1 && n == 3 &&
	    whsig_next_secret("a=b\n", 4, &pos, &p, &n) == 0,
	    "next_secret: one line with its LF: one secret");
}

int
main(int argc, char *argv[])
{
	if (argc > 1)
		return cli(argc, argv);
	test_standard();
	test_github();
	test_slack();
	test_stripe();
	test_hmac();
	test_common();
	test_next_secret();
	return done_testing();
}
