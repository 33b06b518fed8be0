/* wh-listen: the record of an accepted request: its id, time, headers
 * (credentials left out), query and body, as one line of JSON */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "bignum.h"
#include "enc.h"
#include "whbody.h"
#include "wh-listen.h"

/* RFC 3339 UTC time with milliseconds, e.g. 2024-05-01T12:00:00.123Z */
void
stamp(char out[32])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	/* the seconds part is the same for every request in a second */
	static _Thread_local time_t last = -1;
	static _Thread_local char secs[24];
	static _Thread_local size_t nsecs;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != last) {
		gmtime_r(&ts.tv_sec, &tm);
		nsecs = strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S",
		    &tm);
		last = ts.tv_sec;
	}
	n = nsecs;
	memcpy(out, secs, n);
	snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* A random (version 4) UUID: 0, or -1 when there are no random bytes. */
int
uuid4(char out[37])
{
	/* RAND_bytes a few KiB at a time: it checks the pid (a system
	 * call) on every call */
	static _Thread_local unsigned char pool[4096];
	static _Thread_local size_t left;
	unsigned char r[16];
	char hex[33];
	int i, j;

	if (left < sizeof(r)) {
		if (RAND_bytes(pool, sizeof(pool)) != 1)
			return -1;
		left = sizeof(pool);
	}
	left -= sizeof(r);
	memcpy(r, pool + left, sizeof(r));
	OPENSSL_cleanse(pool + left, sizeof(r));
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	enc_hex(hex, r, sizeof(r));
	for (i = 0, j = 0; i < 32; i += 2) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			out[j++] = '-';
		out[j++] = hex[i];
		out[j++] = hex[i + 1];
	}
	out[j] = '\0';
	return 0;
}

/*
 * A JSON string from bytes that may not be UTF-8 (header values, paths):
 * bytes that do not form UTF-8 are taken as ISO 8859-1, as HTTP's
 * obs-text historically was.
 */
static json_t *
jstr(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	struct buf b = {0};
	json_t *v;
	size_t i = 0, k;

	if (enc_utf8_ok(p, n))
		return json_stringn(p, n);
	while (i < n) {
		if (s[i] >= 0x80 && (k = enc_utf8_seq(s + i, n - i)) == 0) {
			buf_addc(&b, 0xc0 | s[i] >> 6);
			buf_addc(&b, 0x80 | (s[i] & 0x3f));
			i++;
			continue;
		}
		k = s[i] < 0x80 ? 1 : enc_utf8_seq(s + i, n - i);
		buf_add(&b, s + i, k);
		i += k;
	}
	v = json_stringn(b.p, b.len);
	buf_free(&b);
	return v;
}

/*
 * Request headers that carry credentials, left out of records (and so of
 * every file and log the records reach); --keep-header keeps one and
 * --redact-header adds one.  Signatures (MACs) stay: they prove nothing
 * without the secret and later stages may check them again.
 */
static const char *const secret_headers[] = {
	"authorization", "proxy-authorization", "cookie", "set-cookie",
	"x-api-key", "api-key", "x-auth-token", "x-access-token",
	"x-amz-security-token", "x-gitlab-token",
	"x-telegram-bot-api-secret-token", NULL
};

/* 1 if the lower-case header name is kept out of records. */
static int
hdr_secret(const char *name)
{
	size_t i;

	for (i = 0; i < nkeep_hdrs; i++)
		if (strcmp(keep_hdrs[i], name) == 0)
			return 0;
	for (i = 0; i < nredact_hdrs; i++)
		if (strcmp(redact_hdrs[i], name) == 0)
			return 1;
	for (i = 0; secret_headers[i]; i++)
		if (strcmp(secret_headers[i], name) == 0)
			return 1;
	return 0;
}

/* A header name option's value, lower case, appended to *list. */
void
hdr_list_add(char ***list, size_t *n, const char *name)
{
	char *s = xstrdup(name);
	size_t i;

	for (i = 0; s[i]; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] += 32;
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = s;
}

/* The record's headers, and the names of those left out. */
struct hdrs {
	json_t *h;
	json_t *gone;		/* array, NULL until one is left out */
};

static void
add_header(void *cls, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	struct hdrs *hs = cls;
	json_t *h = hs->h, *old;
	char name[256];
	size_t i;

	if (klen >= sizeof(name))
		klen = sizeof(name) - 1;
	for (i = 0; i < klen; i++)
		name[i] = key[i] >= 'A' && key[i] <= 'Z' ? key[i] + 32 :
		    key[i];
	name[klen] = '\0';
	if (hdr_secret(name)) {
		if (hs->gone == NULL)
			hs->gone = json_array();
		for (i = 0; i < json_array_size(hs->gone); i++)
			if (strcmp(json_string_value(json_array_get(hs->gone,
			    i)), name) == 0)
				return;
		json_array_append_new(hs->gone, json_string(name));
		return;
	}
	if (val == NULL)
		val = "", vlen = 0;
	if ((old = json_object_get(h, name)) != NULL) {
		/* repeated header: one value, comma-joined (RFC 9110 5.3) */
		struct buf b = {0};

		buf_adds(&b, json_string_value(old));
		buf_adds(&b, ", ");
		buf_add(&b, val, vlen);
		json_object_set_new(h, name, jstr(b.p, b.len));
		buf_free(&b);
	} else
		json_object_set_new(h, name, jstr(val, vlen));
}

static void
add_query(void *cls, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	json_t *ks;

	ks = jstr(key, klen);
	whbody_add_arg(cls, json_string_value(ks), val ? jstr(val, vlen) :
	    json_string(""));
	json_decref(ks);
}

static int
dump_cb(const char *p, size_t n, void *arg)
{
	buf_add(arg, p, n);
	return 0;
}

static const char *const id_headers[] = {
	"webhook-id", "svix-id", "x-github-delivery", "x-gitea-delivery",
	"x-gitlab-event-uuid", "x-amz-sns-message-id",
	"x-shopify-webhook-id", NULL
};

/* The sender's delivery id, or NULL. */
const char *
sender_id(struct req *q, json_t *body)
{
	const struct route *rt = q->rt;
	const char *v;
	json_t *j = NULL;
	int i;

	for (i = 0; id_headers[i]; i++)
		if ((v = srv_hdr(q->conn, id_headers[i])) != NULL && *v)
			return v;
	/* Stripe and Slack put the event id in the body */
	if (rt->verify && rt->w[0].scheme == WHSIG_STRIPE)
		j = json_object_get(body, "id");
	else if (rt->verify && rt->w[0].scheme == WHSIG_SLACK)
		j = json_object_get(body, "event_id");
	if (json_is_string(j) && *json_string_value(j))
		return json_string_value(j);
	return NULL;
}

/* The record's members but the body, as a JSON object. */
static json_t *
record_head(struct req *q, struct event *e)
{
	char ip[INET6_ADDRSTRLEN + 8];
	struct hdrs hs = { json_object(), NULL };
	json_t *rec = json_object(), *qo = json_object();

	json_object_set_new(rec, "id", jstr(e->id, strlen(e->id)));
	json_object_set_new(rec, "received_at", json_string(q->at));
	json_object_set_new(rec, "method", json_string(q->method));
	json_object_set_new(rec, "path", jstr(q->url, strlen(q->url)));
	srv_each(q->conn, 1, add_query, qo);
	json_object_set_new(rec, "query", qo);
	srv_each(q->conn, 0, add_header, &hs);
	json_object_set_new(rec, "headers", hs.h);
	if (hs.gone)
		json_object_set_new(rec, "headers_redacted", hs.gone);
	json_object_set_new(rec, "remote_addr", json_string(q->addr[0] ?
	    q->addr : srv_remote(q->conn, ip, sizeof(ip))));
	if (trusted.n > 0)	/* who handed it over: a proxy, or not */
		json_object_set_new(rec, "peer_addr", json_string(q->peer));
	/* which secret verified (rotation), never the secret */
	if (e->secret >= 0)
		json_object_set_new(rec, "verified", json_pack("{s:s,s:i}",
		    "scheme", whsig_scheme_name(q->rt->w[0].scheme), "secret",
		    e->secret));
	return rec;
}

/* e->line for a Pub/Sub push: the record's members, the message's
 * pubsub fields and its data as the body (the push's envelope is only
 * in raw_body, with --raw-body); with --body-only the data alone. */
static void
push_line(struct req *q, struct event *e)
{
	json_t *rec;

	if (body_only) {
		bignum_dump(json_object_get(e->ps, "body"), JSON_COMPACT,
		    dump_cb, &e->line);
		buf_addc(&e->line, '\n');
		return;
	}
	rec = record_head(q, e);
	/* a push parsed as JSON: it is UTF-8 */
	if (raw_body)
		json_object_set_new(rec, "raw_body",
		    json_stringn(q->body.p, q->body.len));
	json_object_update(rec, e->ps);
	bignum_dump(rec, JSON_COMPACT, dump_cb, &e->line);
	json_decref(rec);
	buf_addc(&e->line, '\n');
}

/* e->line: the record, or with --body-only the body, and a newline. */
void
record_line(struct req *q, struct event *e)
{
	json_t *rec;

	if (e->ps != NULL) {
		push_line(q, e);
		return;
	}
	if (body_only) {
		buf_add(&e->line, e->bj.p, e->bj.len);
		buf_addc(&e->line, '\n');
		return;
	}
	rec = record_head(q, e);
	if (raw_body && e->btype != 0 && enc_utf8_ok(q->body.p, q->body.len))
		/* --raw-body: the bytes as signed, for checking again */
		json_object_set_new(rec, "raw_body",
		    json_stringn(q->body.p, q->body.len));
	else if (e->btype == 0 || raw_body) {
		/* not UTF-8: the bytes, base64 */
		struct buf b64 = {0};

		enc_base64(&b64, q->body.p, q->body.len, ENC_B64);
		json_object_set_new(rec, "body_base64",
		    json_stringn(b64.p ? b64.p : "", b64.len));
		buf_free(&b64);
	}
	json_dump_callback(rec, dump_cb, &e->line, JSON_COMPACT);
	json_decref(rec);
	if (e->btype != 0) {
		/* splice the body text in as the last member */
		e->line.len--;	/* the closing brace */
		buf_adds(&e->line, ",\"body\":");
		buf_add(&e->line, e->bj.p, e->bj.len);
		buf_addc(&e->line, '}');
	}
	buf_addc(&e->line, '\n');
}
