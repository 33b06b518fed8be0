/* snsverify: Amazon SNS HTTP(S) messages checked by their RSA signature */
/*
 * Follows AWS's "Verifying the signatures of Amazon SNS messages" (Amazon
 * SNS Developer Guide, sns-verify-signature-of-message): SignatureVersion
 * 1 is SHA1withRSA, 2 is SHA256withRSA, over "Name\nValue\n" for the
 * fields of the message's type in that guide's order (Subject left out
 * when absent); the key is that of the certificate at SigningCertURL,
 * which is only fetched over https from an SNS host
 * (sns.<region>.amazonaws.com or .amazonaws.com.cn), so a forged message
 * can neither make us fetch from elsewhere (SSRF) nor bring its own key.
 * The certificate is trusted through that TLS fetch (cfg->ca_file); it is
 * not checked against a CA itself.
 *
 * The parts go apart so that the pure ones run without network:
 * sns_msg_parse (bytes -> checked message and string to sign),
 * sns_cert_key + sns_sig_check (certificate PEM -> key -> signature), and
 * sns_verify, which adds the fetch (or a cached key).  Nothing prints or
 * exits; safe on server threads.
 */
#ifndef SNSVERIFY_H
#define SNSVERIFY_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "xmem.h"

#define SNS_GET_MAX 65536	/* bytes of a certificate or confirmation */
#define SNS_ERR_MAX 400		/* an err buffer this size holds any reason */

enum sns_status {
	SNS_OK = 0,
	SNS_BAD_MESSAGE = -1,	/* not an SNS message we accept */
	SNS_BAD_SIGNATURE = -2,	/* the signature or its certificate fails */
	SNS_TEMP = -3		/* the certificate could not be had */
};

/* GET url into out (at most SNS_GET_MAX bytes); 0, or -1 with err. */
typedef int (*sns_fetch_fn)(void *arg, const char *url, struct buf *out,
    char *err, size_t errlen);

struct sns_cache;		/* signing keys by URL, thread-safe */

struct sns_config {
	const char *const *topics;	/* the only TopicArns accepted */
	size_t ntopics;			/* 0: any topic */
	const char *hosts;	/* "h1,h2": replaces the SNS host pattern
				 * (tests); NULL: the pattern */
	const char *ca_file;	/* CA bundle for the https fetch, or NULL */
	sns_fetch_fn fetch;	/* NULL: sns_get with ca_file */
	void *fetch_arg;
	struct sns_cache *cache;	/* NULL: fetched every time */
};

/* A parsed, checked message. */
struct sns_msg {
	json_t *json;		/* the whole message */
	const char *type, *topic, *message_id, *cert_url, *subscribe_url;
	int version;		/* SignatureVersion: 1 or 2 */
	struct buf tbs;		/* the string to sign */
	unsigned char *sig;	/* Signature, decoded */
	size_t siglen;
};

/*
 * Parse body as an SNS message of type htype (the x-amz-sns-message-type
 * header): its type, SignatureVersion, signed fields, topic (cfg's list),
 * SigningCertURL and SubscribeURL (cfg's hosts), Signature's base64.
 * SNS_OK with m filled (free with sns_msg_free), or SNS_BAD_MESSAGE /
 * SNS_BAD_SIGNATURE with err (m then needs no freeing).
 */
int sns_msg_parse(const struct sns_config *cfg, const char *body,
    size_t len, const char *htype, struct sns_msg *m, char *err,
    size_t errlen);
void sns_msg_free(struct sns_msg *m);

/* The RSA key of certificate pem, valid at now; NULL with err. */
EVP_PKEY *sns_cert_key(const char *pem, size_t len, time_t now, char *err,
    size_t errlen);
/* SNS_OK if m's signature verifies with key, else SNS_BAD_SIGNATURE. */
int sns_sig_check(const struct sns_msg *m, EVP_PKEY *key, char *err,
    size_t errlen);

/* sns_msg_parse, then the key of m->cert_url (cached, or fetched and
 * checked at now), then sns_sig_check: any sns_status.  A cached key is
 * kept for a day of now (wall-clock seconds, also the validity time). */
int sns_verify(const struct sns_config *cfg, const char *body, size_t len,
    const char *htype, time_t now, struct sns_msg *m, char *err,
    size_t errlen);

/* 1 if url is https on an allowed host (pem: a path ending in .pem). */
int sns_url_ok(const struct sns_config *cfg, const char *url, int pem);

/* GET url (https only, no redirects, 5 s to connect, 10 s in all) with
 * the CA bundle ca_file (NULL: libcurl's); 0, or -1 with err. */
int sns_get(const char *ca_file, const char *url, struct buf *out,
    char *err, size_t errlen);

struct sns_cache *sns_cache_new(void);
void sns_cache_free(struct sns_cache *c);

#endif
