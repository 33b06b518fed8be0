/* snsverify: Amazon SNS HTTP(S) messages checked by their RSA signature */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "enc.h"
#include "http.h"
#include "snsverify.h"

#define SNS_CERT_MAX 16		/* certificates cached, by URL */
#define SNS_CERT_TTL 86400.0	/* seconds (of now) before a refetch */

struct sns_cert {
	char *url;
	EVP_PKEY *key;
	double at;
};

struct sns_cache {
	pthread_mutex_t mu;
	struct sns_cert certs[SNS_CERT_MAX];
	unsigned next;
};

static int
sns_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* 1 if host h (n bytes) may serve SNS certificates and confirmations. */
static int
sns_host_ok(const struct sns_config *cfg, const char *h, size_t n)
{
	const char *p, *e;
	size_t i, len;

	if (cfg->hosts != NULL) {
		/* the test setting replaces the pattern, not adds to it */
		for (p = cfg->hosts;; p = e + 1) {
			e = strchr(p, ',');
			len = e ? (size_t)(e - p) : strlen(p);
			if (len == n && n > 0 && strncasecmp(p, h, n) == 0)
				return 1;
			if (e == NULL)
				return 0;
		}
	}
	/* ^sns\.[a-zA-Z0-9-]{3,}\.amazonaws\.com(\.cn)?$ */
	if (n < 4 || strncasecmp(h, "sns.", 4) != 0)
		return 0;
	h += 4, n -= 4;
	for (i = 0; i < n && (sns_alnum(h[i]) || h[i] == '-'); i++)
		;
	if (i < 3)
		return 0;
	h += i, n -= i;
	return (n == 14 && strncasecmp(h, ".amazonaws.com", 14) == 0) ||
	    (n == 17 && strncasecmp(h, ".amazonaws.com.cn", 17) == 0);
}

/*
 * 1 if url is https on an allowed host, with no user part, at most a
 * numeric port, and (pem) a path ending in .pem with no query.
 */
int
sns_url_ok(const struct sns_config *cfg, const char *url, int pem)
{
	const char *a, *end, *colon, *path;
	size_t i, n;

	if (url == NULL)
		return 0;
	for (i = 0; url[i]; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] >= 0x7f ||
		    url[i] == '\\')
			return 0;
	if (strncasecmp(url, "https://", 8) != 0)
		return 0;
	a = url + 8;
	end = a + strcspn(a, "/?#");
	if (memchr(a, '@', end - a) != NULL)
		return 0;
	colon = memchr(a, ':', end - a);
	if (colon != NULL) {
		n = end - colon - 1;
		if (n < 1 || n > 5 || strspn(colon + 1, "0123456789") != n)
			return 0;
	} else
		colon = end;
	if (!sns_host_ok(cfg, a, colon - a))
		return 0;
	if (!pem)
		return 1;
	path = end;
	n = strlen(path);
	return *path == '/' && strcspn(path, "?#") == n && n >= 5 &&
	    strcmp(path + n - 4, ".pem") == 0;
}

int
sns_get(const char *ca_file, const char *url, struct buf *out, char *err,
    size_t errlen)
{
	struct http_client c;
	struct http_call q;
	int rc;

	if (http_client_init(&c, err, errlen) < 0)
		return -1;
	c.protocols = "https";
	c.connect_timeout_ms = 5000;
	c.timeout_ms = 10000;
	c.user_agent = "wh-listen (hookpipe)";
	c.ca_file = ca_file;
	c.body_max = SNS_GET_MAX;
	memset(&q, 0, sizeof(q));
	q.url = url;
	q.out = out;
	rc = http_once(&c, &q);
	http_client_free(&c);
	if (rc < 0)
		snprintf(err, errlen, "%s", q.err);
	return rc;
}

struct sns_cache *
sns_cache_new(void)
{
	struct sns_cache *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->mu, NULL);
	return c;
}

void
sns_cache_free(struct sns_cache *c)
{
	unsigned i;

	if (c == NULL)
		return;
	for (i = 0; i < SNS_CERT_MAX; i++) {
		free(c->certs[i].url);
		EVP_PKEY_free(c->certs[i].key);
	}
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* url's key from c, a reference taken; or NULL. */
static EVP_PKEY *
cache_get(struct sns_cache *c, const char *url, double now)
{
	EVP_PKEY *k = NULL;
	unsigned i;

	if (c == NULL)
		return NULL;
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < SNS_CERT_MAX; i++) {
		if (c->certs[i].url && strcmp(c->certs[i].url, url) == 0 &&
		    now - c->certs[i].at < SNS_CERT_TTL) {
			EVP_PKEY_up_ref(c->certs[i].key);
			k = c->certs[i].key;
			break;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return k;
}

static void
cache_put(struct sns_cache *c, const char *url, EVP_PKEY *k, double now)
{
	struct sns_cert *e;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	e = &c->certs[c->next++ % SNS_CERT_MAX];	/* oldest goes */
	free(e->url);
	EVP_PKEY_free(e->key);
	e->url = xstrdup(url);
	e->key = k;
	e->at = now;
	EVP_PKEY_up_ref(k);
	pthread_mutex_unlock(&c->mu);
}

EVP_PKEY *
sns_cert_key(const char *pem, size_t len, time_t now, char *err,
    size_t errlen)
{
	EVP_PKEY *k;
	X509 *x = NULL;
	BIO *bio;

	if (len > SNS_GET_MAX)
		len = SNS_GET_MAX;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio != NULL)
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x == NULL) {
		snprintf(err, errlen, "no PEM certificate at the URL");
		return NULL;
	}
	if (X509_cmp_time(X509_get0_notBefore(x), &now) >= 0 ||
	    X509_cmp_time(X509_get0_notAfter(x), &now) <= 0) {
		snprintf(err, errlen, "certificate expired or not yet valid");
		X509_free(x);
		return NULL;
	}
	k = X509_get_pubkey(x);
	X509_free(x);
	if (k == NULL || EVP_PKEY_base_id(k) != EVP_PKEY_RSA) {
		snprintf(err, errlen, "certificate key is not RSA");
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

static const char *
sns_str(json_t *m, const char *key)
{
	json_t *v = json_object_get(m, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* m->tbs: "Key\nValue\n" for each signed key of m->type in SNS's order */
static int
string_to_sign(struct sns_msg *m, char *err, size_t errlen)
{
	static const char *const knote[] = { "Message", "MessageId",
	    "Subject", "Timestamp", "TopicArn", "Type", NULL };
	static const char *const kconf[] = { "Message", "MessageId",
	    "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type", NULL };
	const char *const *keys;
	json_t *v;
	size_t i;

	if (strcmp(m->type, "Notification") == 0)
		keys = knote;
	else if (strcmp(m->type, "SubscriptionConfirmation") == 0 ||
	    strcmp(m->type, "UnsubscribeConfirmation") == 0)
		keys = kconf;
	else {
		snprintf(err, errlen, "unknown SNS message type");
		return -1;
	}
	m->version = 0;
	if (sns_str(m->json, "SignatureVersion") != NULL) {
		if (strcmp(sns_str(m->json, "SignatureVersion"), "1") == 0)
			m->version = 1;
		else if (strcmp(sns_str(m->json, "SignatureVersion"),
		    "2") == 0)
			m->version = 2;
	}
	if (m->version == 0) {
		snprintf(err, errlen, "SNS SignatureVersion is not 1 or 2");
		return -1;
	}
	for (i = 0; keys[i]; i++) {
		v = json_object_get(m->json, keys[i]);
		if ((v == NULL || json_is_null(v)) &&
		    strcmp(keys[i], "Subject") == 0)
			continue;
		if (!json_is_string(v)) {
			snprintf(err, errlen, "SNS message without %s",
			    keys[i]);
			return -1;
		}
		buf_adds(&m->tbs, keys[i]);
		buf_addc(&m->tbs, '\n');
		buf_add(&m->tbs, json_string_value(v), json_string_length(v));
		buf_addc(&m->tbs, '\n');
	}
	return 0;
}

/* The topic and URLs of m, checked against cfg. */
static int
check_fields(const struct sns_config *cfg, struct sns_msg *m, char *err,
    size_t errlen)
{
	size_t i;

	m->topic = sns_str(m->json, "TopicArn");
	m->message_id = sns_str(m->json, "MessageId");
	if (cfg->ntopics > 0) {
		for (i = 0; i < cfg->ntopics; i++)
			if (strcmp(cfg->topics[i], m->topic) == 0)
				break;
		if (i == cfg->ntopics) {
			snprintf(err, errlen, "SNS topic is not one of "
			    "--sns-topic");
			return -1;
		}
	}
	m->cert_url = sns_str(m->json, "SigningCertURL");
	if (sns_str(m->json, "Signature") == NULL || m->cert_url == NULL) {
		snprintf(err, errlen, "SNS message without Signature or "
		    "SigningCertURL");
		return -1;
	}
	if (!sns_url_ok(cfg, m->cert_url, 1)) {
		snprintf(err, errlen, "SNS SigningCertURL is not an https "
		    ".pem URL on an SNS host");
		return -1;
	}
	m->subscribe_url = sns_str(m->json, "SubscribeURL");
	if (strcmp(m->type, "SubscriptionConfirmation") == 0 &&
	    !sns_url_ok(cfg, m->subscribe_url, 0)) {
		snprintf(err, errlen, "SNS SubscribeURL is not an https URL "
		    "on an SNS host");
		return -1;
	}
	return 0;
}

/* m->sig: Signature's base64, possibly wrapped (line breaks and blanks
 * are dropped first); SNS_OK, or SNS_BAD_SIGNATURE */
static int
decode_sig(struct sns_msg *m, char *err, size_t errlen)
{
	const char *sig = sns_str(m->json, "Signature");
	size_t n = strlen(sig), i, k = 0;
	char *s = xmalloc(n + 1);
	long len;

	for (i = 0; i < n; i++)
		if (strchr(" \t\r\n", sig[i]) == NULL)
			s[k++] = sig[i];
	m->sig = xmalloc(k / 4 * 3 + 1);
	len = enc_unbase64(s, k, m->sig, k / 4 * 3 + 1, ENC_B64, 0);
	free(s);
	if (len <= 0) {
		snprintf(err, errlen, "SNS Signature is not base64");
		return SNS_BAD_SIGNATURE;
	}
	m->siglen = (size_t)len;
	return SNS_OK;
}

void
sns_msg_free(struct sns_msg *m)
{
	json_decref(m->json);
	buf_free(&m->tbs);
	free(m->sig);
	memset(m, 0, sizeof(*m));
}

int
sns_msg_parse(const struct sns_config *cfg, const char *body, size_t len,
    const char *htype, struct sns_msg *m, char *err, size_t errlen)
{
	json_error_t je;
	int rc = SNS_BAD_MESSAGE;

	memset(m, 0, sizeof(*m));
	m->json = json_loadb(body, len, 0, &je);
	if (!json_is_object(m->json)) {
		snprintf(err, errlen, "SNS message is not a JSON object");
		goto fail;
	}
	m->type = sns_str(m->json, "Type");
	if (m->type == NULL || htype == NULL || strcmp(m->type, htype) != 0) {
		snprintf(err, errlen, "SNS Type does not match "
		    "x-amz-sns-message-type");
		goto fail;
	}
	if (string_to_sign(m, err, errlen) < 0 ||
	    check_fields(cfg, m, err, errlen) < 0)
		goto fail;
	if ((rc = decode_sig(m, err, errlen)) != SNS_OK)
		goto fail;
	return SNS_OK;
fail:
	sns_msg_free(m);
	return rc;
}

int
sns_sig_check(const struct sns_msg *m, EVP_PKEY *key, char *err,
    size_t errlen)
{
	const EVP_MD *md = m->version == 2 ? EVP_sha256() : EVP_sha1();
	EVP_MD_CTX *mc;
	int ok;

	if ((mc = EVP_MD_CTX_new()) == NULL) {
		snprintf(err, errlen, "cannot allocate a digest");
		return SNS_BAD_SIGNATURE;
	}
	ok = EVP_DigestVerifyInit(mc, NULL, md, NULL, key) == 1 &&
	    EVP_DigestVerify(mc, m->sig, m->siglen,
	    (const unsigned char *)m->tbs.p, m->tbs.len) == 1;
	EVP_MD_CTX_free(mc);
	if (!ok) {
		snprintf(err, errlen, "SNS signature mismatch");
		return SNS_BAD_SIGNATURE;
	}
	return SNS_OK;
}

/* The key of the certificate at url, cached or fetched; or NULL, *rc
 * saying why (SNS_TEMP: not fetched; SNS_BAD_SIGNATURE: not usable). */
static EVP_PKEY *
sns_key(const struct sns_config *cfg, const char *url, time_t now, int *rc,
    char *err, size_t errlen)
{
	struct buf pem = {0};
	double t = (double)now;
	EVP_PKEY *k;
	int got;

	if ((k = cache_get(cfg->cache, url, t)) != NULL)
		return k;
	got = cfg->fetch != NULL ?
	    cfg->fetch(cfg->fetch_arg, url, &pem, err, errlen) :
	    sns_get(cfg->ca_file, url, &pem, err, errlen);
	if (got < 0) {
		buf_free(&pem);
		*rc = SNS_TEMP;
		return NULL;
	}
	k = sns_cert_key(pem.p ? pem.p : "", pem.len, now, err, errlen);
	buf_free(&pem);
	if (k == NULL) {
		*rc = SNS_BAD_SIGNATURE;
		return NULL;
	}
	cache_put(cfg->cache, url, k, t);
	return k;
}

int
sns_verify(const struct sns_config *cfg, const char *body, size_t len,
    const char *htype, time_t now, struct sns_msg *m, char *err,
    size_t errlen)
{
	char e[CURL_ERROR_SIZE + 64];
	EVP_PKEY *k;
	int rc;

	if ((rc = sns_msg_parse(cfg, body, len, htype, m, err, errlen)) !=
	    SNS_OK)
		return rc;
	if ((k = sns_key(cfg, m->cert_url, now, &rc, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "cannot get the SNS certificate: %s", e);
		sns_msg_free(m);
		return rc;
	}
	rc = sns_sig_check(m, k, err, errlen);
	EVP_PKEY_free(k);
	if (rc != SNS_OK)
		sns_msg_free(m);
	return rc;
}
