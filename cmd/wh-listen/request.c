/* wh-listen: the request pipeline: a request whose headers are in is
 * served or refused; once its body is in its bearer token and its
 * signature are verified, it is decoded,
 * answered if a handshake, identified, checked against the replay
 * memory, recorded, written, and answered.  Every refusal goes through
 * refuse(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <netinet/in.h>

#include "pubsubmsg.h"
#include "whbody.h"
#include "wh-listen.h"

/* Each refusal's status, the answer's text, and a header it must carry
 * (RFC 9110: a 405's Allow; RFC 6750: a bearer 401's challenge). */
static const struct {
	int status;
	const char *text;
	const char *hdr;
} refusals[] = {
	[NO_FRAMING] = { 400, "bad request framing\n", NULL },
	[NO_CODING] = { 501, "transfer coding not implemented\n", NULL },
	[NO_PATH] = { 404, "not found\n", NULL },
	[NO_METHOD] = { 405, "method not allowed\n", "Allow: POST, PUT" },
	[NO_HEALTH_METHOD] = { 405, "method not allowed\n",
	    "Allow: GET, HEAD" },
	[NO_TOO_BIG] = { 413, big_msg, NULL },
	[NO_TOKEN] = { 401, "bearer token verification failed\n",
	    "WWW-Authenticate: Bearer realm=\"wh-listen\", "
	    "error=\"invalid_token\"" },
	[NO_SIGNATURE] = { 401, "signature verification failed\n", NULL },
	[NO_OBJECT] = { 400, "body is not a JSON object\n", NULL },
	[NO_PUSH] = { 400, "body is not a Pub/Sub push\n", NULL },
	[NO_STORE] = { 503, "cannot store the event\n", NULL },
	[NO_CONFIRM] = { 502, "cannot confirm the subscription\n", NULL },
	[NO_ACK] = { 504, "event written but not acknowledged in time\n",
	    NULL },
	[NO_ADDR] = { 403, "forbidden: address not allowed\n", NULL },
	[NO_HEADER_BIG] = { 431, "request header fields too large\n",
	    NULL },
};

/* The status refusal r answers with, its text and its extra header. */
int
refusal_of(enum refusal r, const char **text, const char **hdr)
{
	*text = refusals[r].text;
	*hdr = refusals[r].hdr;
	return refusals[r].status;
}

/* One line on stderr about a request, saying why (never secrets). */
void
req_note(struct req *q, int status, const char *why)
{
	char ip[INET6_ADDRSTRLEN + 8], text[1024];
	struct msg_fields f = {0};
	struct buf b = {0};
	size_t i;

	/* the path comes from the client: keep control bytes off the tty */
	for (i = 0; q->url[i] && i < 200; i++)
		buf_addc(&b, (unsigned char)q->url[i] < 0x20 ||
		    q->url[i] == 0x7f ? '?' : q->url[i]);
	if (b.p == NULL)
		buf_adds(&b, "");
	snprintf(text, sizeof(text), "%s %s from %s: %d %s", q->method, b.p,
	    q->addr[0] ? q->addr :
	    srv_remote(q->conn, ip, sizeof(ip)), status, why);
	f.status = status;
	msg_report("error", &f, text);
	buf_free(&b);
}

/*
 * Refuse q for reason r: why goes to stderr (NULL: the refusal is
 * ordinary, nothing said), the answer to the client.  Returns -1: a
 * step's "stop here".
 */
int
refuse(struct req *q, enum refusal r, const char *why)
{
	if (why)
		req_note(q, refusals[r].status, why);
	wm_refused(r);
	q->rc = srv_reply(q, refusals[r].status, refusals[r].text,
	    refusals[r].hdr);
	return -1;
}

/* Answer q with a success (text NULL: no body); -1 as refuse. */
static int
respond(struct req *q, int status, const char *text)
{
	q->rc = srv_reply(q, status, text, NULL);
	return -1;
}

/* The headers are in: refuse what needs no body to be refused.
 * Returns 1 to go on, 0 to cut the connection. */
int
req_begin(struct req *q)
{
	const char *cl;
	unsigned long long n;
	char *end;
	int big = 0;

	q->cf = config_get();
	proxy_client(q);
	if ((cl = srv_hdr(q->conn, "Content-Length")) != NULL) {
		errno = 0;
		n = strtoull(cl, &end, 10);
		big = errno == 0 && end != cl && n > max_body;
	}
	if ((q->rt = route_find(q->cf, q->url)) == NULL)
		refuse(q, NO_PATH, NULL);
	else if (!proxy_allowed(q))
		refuse(q, NO_ADDR, "address not in --allow");
	else if (strcmp(q->method, "POST") && strcmp(q->method, "PUT"))
		refuse(q, NO_METHOD, NULL);
	else if (outq_dead())
		refuse(q, NO_STORE, NULL);
	else if (big)
		refuse(q, NO_TOO_BIG, big_note);
	return q->rc;
}

/*
 * The whole body, read in by the server (h2o reads it before the
 * handler), kept where the server holds it until req_free: a copy was a
 * malloc and a memcpy a request.  One over --max-body is refused.
 */
void
req_body(struct req *q, const char *body, size_t len)
{
	if (len > max_body)
		q->too_big = 1;
	else {
		q->body = body;
		q->blen = len;
	}
}

/*
 * A verified SubscriptionConfirmation is confirmed by fetching its
 * SubscribeURL; an UnsubscribeConfirmation is only logged (fetching its
 * URL would subscribe again).  Neither is written.
 */
static int
sns_confirm(struct req *q, const struct sns_msg *m)
{
	char e[CURL_ERROR_SIZE + 64], why[CURL_ERROR_SIZE + 600];
	struct buf b = {0};
	int rc;

	if (strcmp(m->type, "UnsubscribeConfirmation") == 0) {
		snprintf(why, sizeof(why), "SNS unsubscribed from %.300s, "
		    "not subscribing again", m->topic);
		req_note(q, 200, why);
		return respond(q, 200, NULL);
	}
	rc = sns_get(sns_cfg.ca_file, m->subscribe_url, &b, e, sizeof(e));
	buf_free(&b);
	if (rc < 0) {
		snprintf(why, sizeof(why), "cannot confirm the SNS "
		    "subscription to %.300s: %s", m->topic, e);
		return refuse(q, NO_CONFIRM, why);
	}
	snprintf(why, sizeof(why), "confirmed the SNS subscription to %.300s",
	    m->topic);
	req_note(q, 200, why);
	return respond(q, 200, NULL);
}

/* An SNS message of type stype: SNS signs with RSA, not --verify's. */
static int
verify_sns(struct req *q, struct event *e, const char *stype)
{
	struct sns_msg m;
	const char *hid;
	char why[512];
	int rc;

	if (sns_verify(&sns_cfg, q->body, q->blen, stype, time(NULL),
	    &m, why, sizeof(why)) != SNS_OK)
		return refuse(q, NO_SIGNATURE, why);
	if (strcmp(stype, "Notification") != 0) {
		rc = sns_confirm(q, &m);
		sns_msg_free(&m);
		return rc;
	}
	/* the id must be the signed one, or replays pass as new */
	hid = srv_hdr(q->conn, "x-amz-sns-message-id");
	if (*m.message_id == '\0' || strlen(m.message_id) >= sizeof(e->sid) ||
	    (hid != NULL && strcmp(hid, m.message_id) != 0)) {
		sns_msg_free(&m);
		return refuse(q, NO_SIGNATURE, "x-amz-sns-message-id does "
		    "not match the signed MessageId");
	}
	snprintf(e->sid, sizeof(e->sid), "%s", m.message_id);
	sns_msg_free(&m);
	return 0;
}

/* The route's secrets in turn, each MAC compared in constant time: the
 * first that verifies is e->secret; else -1, why being the first
 * secret's reason (the others fail the same way but for the MAC). */
static int
verify_any(struct req *q, struct event *e, char *why, size_t whylen)
{
	const struct route *rt = q->rt;
	char other[512];
	time_t now = time(NULL);
	size_t i;

	for (i = 0; i < rt->nw; i++)
		if (whsig_verify_ts(&rt->w[i], srv_hdr, q->conn, q->body,
		    q->blen, now, &e->signed_at, i ? other : why,
		    i ? sizeof(other) : whylen) == 0) {
			e->secret = (int)i;
			return 0;
		}
	return -1;
}

/* Step: the signature, SNS's or the route's scheme's. */
static int
verify(struct req *q, struct event *e)
{
	const struct route *rt = q->rt;
	const char *stype;
	char why[512];

	stype = rt->sns ? srv_hdr(q->conn, "x-amz-sns-message-type") : NULL;
	if (stype != NULL)
		return verify_sns(q, e, stype);
	if (rt->sns && !rt->verify)
		return refuse(q, NO_SIGNATURE, "not an SNS message (no "
		    "x-amz-sns-message-type) and no --verify scheme");
	if (rt->verify && verify_any(q, e, why, sizeof(why)) < 0)
		return refuse(q, NO_SIGNATURE, why);
	return 0;
}

/* The claims' email is o's, and verified (Google's advice for push
 * tokens: the push service account's); 0, or -1 with why. */
static int
oidc_email(const struct oidc *o, json_t *claims, const char **why)
{
	const char *em;

	if (o->email == NULL)
		return 0;
	em = json_string_value(json_object_get(claims, "email"));
	if (em == NULL || strcmp(em, o->email) != 0)
		*why = "bearer token refused: its email is not --oidc-email";
	else if (!json_is_true(json_object_get(claims, "email_verified")))
		*why = "bearer token refused: its email_verified is not true";
	else
		return 0;
	return -1;
}

/* Step: --oidc-audience: an "Authorization: Bearer" JWT, checked
 * against the path's JWKS, audience, issuers and email. */
static int
bearer(struct req *q)
{
	const struct oidc *o = q->rt->oidc;
	struct jwt_check chk = { .leeway = JWT_LEEWAY };
	char e[JWKS_ERR_MAX], why[JWKS_ERR_MAX + 32];
	const char *h, *w;
	json_t *claims;
	int rc;

	if (o == NULL)
		return 0;
	if ((h = srv_hdr(q->conn, "Authorization")) == NULL)
		return refuse(q, NO_TOKEN, "no Authorization header: a "
		    "bearer token is wanted");
	if (strncasecmp(h, "Bearer ", 7) != 0)
		return refuse(q, NO_TOKEN, "Authorization is not a Bearer "
		    "token");
	for (h += 7; *h == ' '; h++)
		;
	chk.now = time(NULL);
	chk.aud = o->aud;
	chk.iss = (const char *const *)o->iss;
	chk.niss = o->niss;
	if (jwks_verify(o->jwks, h, strlen(h), &chk, &claims, e,
	    sizeof(e)) < 0) {
		snprintf(why, sizeof(why), "bearer token refused: %s", e);
		return refuse(q, NO_TOKEN, why);
	}
	rc = oidc_email(o, claims, &w);
	json_decref(claims);
	return rc < 0 ? refuse(q, NO_TOKEN, w) : 0;
}

/* --pubsub: the push's message as the record's pubsub fields and body
 * (e->ps), its id subscription/messageId; 400 for what is not a push. */
static int
push(struct req *q, struct event *e)
{
	json_t *ps;
	char why[512];
	int n;

	if ((e->ps = pubsubmsg_push(q->body, q->blen, why,
	    sizeof(why))) == NULL)
		return refuse(q, NO_PUSH, why);
	ps = json_object_get(e->ps, "pubsub");
	n = snprintf(e->sid, sizeof(e->sid), "%s/%s",
	    json_string_value(json_object_get(ps, "subscription")),
	    json_string_value(json_object_get(ps, "message_id")));
	if (n < 0 || (size_t)n >= sizeof(e->sid))
		return refuse(q, NO_PUSH, "not a push: subscription and "
		    "messageId too long");
	if (body_only && !json_is_object(json_object_get(e->ps, "body")))
		return refuse(q, NO_OBJECT, "the message's data is not a "
		    "JSON object");
	return 0;
}

/* 1 if the text holds "url_verification" (Slack's handshake), found by
 * its '_' with memchr: glibc's memmem on a 1 KB body was 0.7% of the
 * CPU (perf, issue 18). */
static int
may_handshake(const char *p, size_t n)
{
	const char *s = p, *end = p + n;

	while (end - s >= 13 && (s = memchr(s, '_', (size_t)(end - s) -
	    12)) != NULL) {
		if (s - p >= 3 && memcmp(s - 3, "url_verification", 16) == 0)
			return 1;
		s++;
	}
	return 0;
}

/* Step: the body as compact JSON text in e->bt, parsed only when an id
 * or a handshake may be in it; with --pubsub, the push unwrapped. */
static int
decode(struct req *q, struct event *e)
{
	const struct route *rt = q->rt;
	json_error_t je;

	if (rt->pubsub)
		return push(q, e);
	e->btype = whbody_decode(q->body, q->blen, srv_hdr(q->conn,
	    "content-type"), &e->bj, &e->bt, &e->btl, &e->body);
	if (e->btype == '{' && e->body == NULL && ((rt->verify &&
	    (rt->w[0].scheme == WHSIG_STRIPE || rt->w[0].scheme == WHSIG_SLACK)) ||
	    ((!rt->verify || rt->w[0].scheme == WHSIG_SLACK) &&
	    may_handshake(e->bt, e->btl))))
		e->body = json_loadb(e->bt, e->btl, JSON_ALLOW_NUL |
		    JSON_DECODE_INT_AS_REAL, &je);
	if (body_only && e->btype != '{')
		return refuse(q, NO_OBJECT, "body is not a JSON object");
	return 0;
}

/* Step: Slack's handshake: the challenge echoed, no record. */
static int
handshake(struct req *q, struct event *e)
{
	json_t *t, *ch;

	if (!json_is_object(e->body) || (q->rt->verify &&
	    q->rt->w[0].scheme != WHSIG_SLACK))
		return 0;
	t = json_object_get(e->body, "type");
	ch = json_object_get(e->body, "challenge");
	if (json_is_string(t) && json_is_string(ch) &&
	    strcmp(json_string_value(t), "url_verification") == 0)
		return respond(q, 200, json_string_value(ch));
	return 0;
}

/* Step: the delivery id: SNS's signed one, the sender's, or a new one. */
static int
identify(struct req *q, struct event *e)
{
	if (e->sid[0] != '\0')
		e->id = e->sid;
	else if ((e->id = sender_id(q, e->body)) == NULL) {
		if (uuid4(e->uid) < 0)
			return refuse(q, NO_STORE, "cannot get random bytes "
			    "for an id");
		e->id = e->uid;
	}
	return 0;
}

/* Step: a replay is answered as before and written once (with
 * --ack-fifo, once acknowledged). */
static int
dedupe(struct req *q, struct event *e)
{
	int rc;

	if (e->id == e->uid)
		return 0;	/* made here: new */
	rc = replay_seen(q->url, e->id, replay_until(q->rt, e->signed_at),
	    !ack_fifo);
	if (rc < 0)
		return refuse(q, NO_STORE, NULL);
	if (rc > 0) {
		wm_replay();
		return respond(q, ok_status, NULL);
	}
	if (!ack_fifo)
		q->rid = xstrdup(e->id);
	return 0;
}

/* The record is not written: its id is forgotten, so that the sender's
 * retry is written rather than taken for a replay. */
static void
forget(struct req *q)
{
	if (q->rid == NULL)
		return;
	replay_unsee(q->url, q->rid);
	free(q->rid);
	q->rid = NULL;
}

/* Step: the record line. */
static int
record(struct req *q, struct event *e)
{
	record_line(q, e);
	return 0;
}

/* Step: the record line to the queue; the request sleeps until its fate
 * is known when it has to wait. */
static int
write_out(struct req *q, struct event *e)
{
	/* before e->body goes: a Stripe or Slack id points into it */
	if (ack_fifo)
		q->w = ack_add(q->conn, e->id, replay_until(q->rt,
		    e->signed_at));
	if ((q->o = spool_add(q, &e->line)) == NULL) {
		forget(q);
		if (q->w) {
			ack_free(q->w);
			q->w = NULL;
		}
		return refuse(q, NO_STORE, "cannot allocate memory for the "
		    "record");
	}
	if (outq_state(q->o) == OUTQ_QUEUED)
		return -1;	/* suspended until its fate is known */
	return 0;
}

/* After --ack-fifo's wait: 2xx if the id came back, else 504. */
static int
answer_ack(struct req *q)
{
	int state = ack_state(q->w);

	if (state == W_WAIT)
		return -1;
	if (state == W_ACKED) {
		ack_remember(q->w, q->url);
		return respond(q, ok_status, NULL);
	}
	return refuse(q, NO_ACK, "no acknowledgement in time");
}

/* Step: the record was written, or could not be: answer, or wait for
 * the ack. */
static int
answer(struct req *q)
{
	int st = outq_state(q->o);

	if (st == OUTQ_QUEUED)
		return -1;
	q->o_seen = 1;
	wm_output(st);
	if (st != OUTQ_WRITTEN) {
		forget(q);
		if (q->w) {
			ack_free(q->w);
			q->w = NULL;
		}
		return refuse(q, NO_STORE, st == OUTQ_FAILED ?
		    "stdout is closed" : stopping ? "output stalled, "
		    "stopping: not written" : "output stalled: not written "
		    "within --write-timeout");
	}
	if (q->w == NULL)
		return respond(q, ok_status, NULL);
	if (ack_hold(q->w))
		return -1;
	return answer_ack(q);	/* settled already */
}

/* The whole request is in: its run of steps, each going on (0) or
 * ending it (-1: answered, refused or asleep). */
static void
run(struct req *q)
{
	struct event e = { .signed_at = -1, .secret = -1 };

	srv_busy(q, 1);
	if (q->body == NULL)
		q->body = "";
	if (bearer(q) == 0 && verify(q, &e) == 0 && decode(q, &e) == 0 &&
	    handshake(q, &e) == 0 && identify(q, &e) == 0 &&
	    dedupe(q, &e) == 0) {
		if (record(q, &e) == 0 && write_out(q, &e) == 0)
			(void)answer(q);
	}
	json_decref(e.body);
	json_decref(e.ps);
	buf_free(&e.bj);
	buf_free(&e.line);
}

/* The body is in, or the request woke: carry on where it stopped.
 * Returns 1 to go on, 0 to cut the connection. */
int
req_end(struct req *q)
{
	if (q->o && !q->o_seen)
		(void)answer(q);
	else if (q->w)
		(void)answer_ack(q);
	else if (q->too_big)
		(void)refuse(q, NO_TOO_BIG, big_note);
	else
		run(q);
	return q->rc;
}

/* The server is done with q. */
void
req_free(struct req *q)
{
	outq_done(q->o);
	if (q->w)
		ack_free(q->w);
	if (q->cf)
		config_put(q->cf);
	free(q->rid);
	free(q);
}
