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
	long ms;

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
	/* ".mmmZ" by hand: snprintf was a tenth of the record's cost */
	ms = ts.tv_nsec / 1000000;
	out[n] = '.';
	out[n + 1] = (char)('0' + ms / 100);
	out[n + 2] = (char)('0' + ms / 10 % 10);
	out[n + 3] = (char)('0' + ms % 10);
	out[n + 4] = 'Z';
	out[n + 5] = '\0';
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
#define S(name) { name, sizeof(name) - 1 }
static const struct { const char *s; size_t n; } secret_headers[] = {
	S("authorization"), S("proxy-authorization"), S("cookie"),
	S("set-cookie"), S("x-api-key"), S("api-key"), S("x-auth-token"),
	S("x-access-token"), S("x-amz-security-token"), S("x-gitlab-token"),
	S("x-telegram-bot-api-secret-token"), { NULL, 0 }
};
#undef S

/* 1 if the lower-case header name (of length n) is kept out of records.
 * Lengths are compared first: eleven strcmps for each header of every
 * request were 1% of wh-listen's CPU (perf, issue 18). */
static int
hdr_secret(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < nkeep_hdrs; i++)
		if (strcmp(keep_hdrs[i], name) == 0)
			return 0;
	for (i = 0; i < nredact_hdrs; i++)
		if (strcmp(redact_hdrs[i], name) == 0)
			return 1;
	for (i = 0; secret_headers[i].s; i++)
		if (secret_headers[i].n == n &&
		    memcmp(secret_headers[i].s, name, n) == 0)
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

/* e->line for a Pub/Sub push: the record's members, the message's
 * pubsub fields and its data as the body (the push's envelope is only
 * in raw_body, with --raw-body); with --body-only the data alone. */
static void head_text(struct req *q, struct event *e, struct buf *b);

static void
push_line(struct req *q, struct event *e)
{
	const char *k;
	json_t *v;

	if (body_only) {
		bignum_dump(json_object_get(e->ps, "body"), JSON_COMPACT,
		    dump_cb, &e->line);
		buf_addc(&e->line, '\n');
		return;
	}
	head_text(q, e, &e->line);
	/* a push parsed as JSON: it is UTF-8 */
	if (raw_body) {
		buf_adds(&e->line, ",\"raw_body\":");
		enc_json_str(&e->line, q->body, q->blen);
	}
	json_object_foreach(e->ps, k, v) {
		buf_addc(&e->line, ',');
		enc_json_str(&e->line, k, strlen(k));
		buf_addc(&e->line, ':');
		bignum_dump(v, JSON_COMPACT | JSON_ENCODE_ANY, dump_cb,
		    &e->line);
	}
	buf_adds(&e->line, "}\n");
}

/* The record's headers, gathered for writing as text: repeated ones
 * joined, those left out named.  A value is the request's own until the
 * record is written; only a repeated one is copied, to be joined. */
struct hfield {
	char name[256];
	size_t nlen;
	const char *v;
	size_t vlen;
	struct buf join;	/* a repeated one's values, comma-joined */
	int gone;
};

#define HTEXT_LOCAL 16	/* fields kept on the stack, the rest malloc'd */

struct htext {
	struct hfield *f;
	size_t n, cap;
	struct hfield local[HTEXT_LOCAL];
};

static void
gather_header(void *cls, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	struct htext *ht = cls;
	struct hfield *f;
	char name[256];
	size_t i;

	if (klen >= sizeof(name))
		klen = sizeof(name) - 1;
	for (i = 0; i < klen; i++)
		name[i] = key[i] >= 'A' && key[i] <= 'Z' ? key[i] + 32 :
		    key[i];
	name[klen] = '\0';
	if (val == NULL)
		val = "", vlen = 0;
	for (i = 0; i < ht->n; i++)
		if (ht->f[i].nlen == klen &&
		    memcmp(ht->f[i].name, name, klen) == 0) {
			/* repeated: one value, comma-joined (RFC 9110 5.3) */
			f = &ht->f[i];
			if (f->gone)
				return;
			if (f->join.p == NULL)
				buf_add(&f->join, f->v, f->vlen);
			buf_adds(&f->join, ", ");
			buf_add(&f->join, val, vlen);
			return;
		}
	if (ht->n == ht->cap) {
		ht->cap *= 2;
		if (ht->f == ht->local) {
			ht->f = xmalloc(ht->cap * sizeof(*ht->f));
			memcpy(ht->f, ht->local, sizeof(ht->local));
		} else
			ht->f = xrealloc(ht->f, ht->cap * sizeof(*ht->f));
	}
	f = &ht->f[ht->n++];
	memcpy(f->name, name, klen + 1);
	f->nlen = klen;
	f->v = val;
	f->vlen = vlen;
	f->join = (struct buf){0};
	f->gone = hdr_secret(name, klen);
}

/* "headers":{...}[,"headers_redacted":[...]] */
static void
headers_text(struct req *q, struct buf *b)
{
	struct htext ht;
	struct hfield *f;
	size_t i, n = 0, gone = 0;

	ht.f = ht.local;
	ht.n = 0;
	ht.cap = HTEXT_LOCAL;
	srv_each(q->conn, 0, gather_header, &ht);
	buf_adds(b, ",\"headers\":{");
	for (i = 0; i < ht.n; i++) {
		f = &ht.f[i];
		if (f->gone) {
			gone++;
			continue;
		}
		if (n++ > 0)
			buf_addc(b, ',');
		enc_json_str(b, f->name, f->nlen);
		buf_addc(b, ':');
		if (f->join.p != NULL)
			enc_json_str(b, f->join.p, f->join.len);
		else
			enc_json_str(b, f->v, f->vlen);
	}
	buf_addc(b, '}');
	if (gone > 0) {
		buf_adds(b, ",\"headers_redacted\":[");
		for (i = 0, n = 0; i < ht.n; i++)
			if (ht.f[i].gone) {
				if (n++ > 0)
					buf_addc(b, ',');
				enc_json_str(b, ht.f[i].name, ht.f[i].nlen);
			}
		buf_addc(b, ']');
	}
	for (i = 0; i < ht.n; i++)
		buf_free(&ht.f[i].join);
	if (ht.f != ht.local)
		free(ht.f);
}

static void
query_arg(void *cls, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	json_t **qo = cls;

	if (*qo == NULL)
		*qo = json_object();
	add_query(*qo, key, klen, val, vlen);
}

/*
 * The record's members but the body, written as text without building
 * a tree: this is every request's path, and the
 * tree and its dump took a third of wh-listen's CPU (perf, issue 18).
 * Only a query string, rare, is built with jansson.
 */
static void
head_text(struct req *q, struct event *e, struct buf *b)
{
	char ip[INET6_ADDRSTRLEN + 8];
	json_t *qo = NULL;
	const char *ra;

	buf_adds(b, "{\"id\":");
	enc_json_str(b, e->id, strlen(e->id));
	buf_adds(b, ",\"received_at\":");
	enc_json_str(b, q->at, strlen(q->at));
	buf_adds(b, ",\"method\":");
	enc_json_str(b, q->method, strlen(q->method));
	buf_adds(b, ",\"path\":");
	enc_json_str(b, q->url, strlen(q->url));
	buf_adds(b, ",\"query\":");
	srv_each(q->conn, 1, query_arg, &qo);
	if (qo != NULL) {
		json_dump_callback(qo, dump_cb, b, JSON_COMPACT);
		json_decref(qo);
	} else
		buf_adds(b, "{}");
	headers_text(q, b);
	ra = q->addr[0] ? q->addr : srv_remote(q->conn, ip, sizeof(ip));
	buf_adds(b, ",\"remote_addr\":");
	enc_json_str(b, ra, strlen(ra));
	if (trusted.n > 0) {	/* who handed it over: a proxy, or not */
		buf_adds(b, ",\"peer_addr\":");
		enc_json_str(b, q->peer, strlen(q->peer));
	}
	/* which secret verified (rotation), never the secret */
	if (e->secret >= 0)
		buf_addf(b, ",\"verified\":{\"scheme\":\"%s\",\"secret\":%d}",
		    whsig_scheme_name(q->rt->w[0].scheme), e->secret);
}

/* e->line: the record, or with --body-only the body, and a newline. */
void
record_line(struct req *q, struct event *e)
{
	if (e->ps != NULL) {
		push_line(q, e);
		return;
	}
	if (body_only) {
		buf_add(&e->line, e->bt, e->btl);
		buf_addc(&e->line, '\n');
		return;
	}
	/* room for the lot at once: the body and some headers */
	buf_grow(&e->line, 1024 + e->btl);
	head_text(q, e, &e->line);
	if (raw_body && e->btype != 0 && enc_utf8_ok(q->body, q->blen)) {
		/* --raw-body: the bytes as signed, for checking again */
		buf_adds(&e->line, ",\"raw_body\":");
		enc_json_str(&e->line, q->body, q->blen);
	} else if (e->btype == 0 || raw_body) {
		/* not UTF-8: the bytes, base64 */
		buf_adds(&e->line, ",\"body_base64\":\"");
		enc_base64(&e->line, q->body, q->blen, ENC_B64);
		buf_addc(&e->line, '"');
	}
	if (e->btype != 0) {
		/* the body text as the last member */
		buf_adds(&e->line, ",\"body\":");
		buf_add(&e->line, e->bt, e->btl);
	}
	buf_adds(&e->line, "}\n");
}
