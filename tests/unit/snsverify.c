/* snsverify unit tests: the real SNS message and certificate of
 * tests/data/sns, checked at its delivery time (no clock shim), and each
 * kind of refusal with its status */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "snsverify.h"
#include "tap.h"
#include "xmem.h"

#define D "tests/data/sns/"
#define CERT "SimpleNotificationService-56e67fcb41f6fec09b0196692625d385.pem"
#define THEN 1673995200		/* 2023-01-17T22:40:00Z, after delivery */
#define TOPIC "arn:aws:sns:us-west-2:024726604032:AshtonTest"

static struct buf pem;		/* what the fake fetch serves */
static int fetches, fetch_fails;

static void
slurp(const char *path, struct buf *b)
{
	char tmp[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		printf("Bail out! cannot open %s (run from the repo root)\n",
		    path);
		exit(1);
	}
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(b, tmp, n);
	fclose(f);
}

static int
fake_fetch(void *arg, const char *url, struct buf *out, char *err,
    size_t errlen)
{
	(void)arg, (void)url;
	fetches++;
	if (fetch_fails) {
		snprintf(err, errlen, "Could not resolve host");
		return -1;
	}
	buf_add(out, pem.p, pem.len);
	return 0;
}

/* The real message with field key set to val (NULL: as it is). */
static char *
msg_with(const char *key, const char *val)
{
	json_error_t je;
	json_t *m = json_load_file(D "notification.json", 0, &je);
	char *s;

	if (m == NULL) {
		printf("Bail out! %s\n", je.text);
		exit(1);
	}
	if (key != NULL)
		json_object_set_new(m, key, json_string(val));
	s = json_dumps(m, 0);
	json_decref(m);
	return s;
}

/* The real message with its Signature's base64 in lines of 64 (CRLF). */
static char *
msg_wrapped(void)
{
	json_error_t je;
	json_t *m = json_load_file(D "notification.json", 0, &je);
	const char *sig;
	struct buf b = {0};
	size_t i, n;
	char *s;

	if (m == NULL) {
		printf("Bail out! %s\n", je.text);
		exit(1);
	}
	sig = json_string_value(json_object_get(m, "Signature"));
	for (i = 0, n = strlen(sig); i < n; i += 64) {
		buf_add(&b, sig + i, n - i < 64 ? n - i : 64);
		buf_adds(&b, "\r\n");
	}
	json_object_set_new(m, "Signature", json_stringn(b.p, b.len));
	buf_free(&b);
	s = json_dumps(m, 0);
	json_decref(m);
	return s;
}

/* The real field key, byte i xor'ed with 1. */
static char *
msg_flip(const char *key, size_t i)
{
	json_error_t je;
	json_t *m = json_load_file(D "notification.json", 0, &je);
	char *v = xstrdup(json_string_value(json_object_get(m, key))), *s;

	v[i] ^= 1;
	json_decref(m);
	s = msg_with(key, v);
	free(v);
	return s;
}

static int
verify(const struct sns_config *c, char *body, time_t now, char *err)
{
	struct sns_msg m;
	int rc;

	rc = sns_verify(c, body, strlen(body), "Notification", now, &m, err,
	    SNS_ERR_MAX);
	if (rc == SNS_OK)
		sns_msg_free(&m);
	free(body);
	return rc;
}

/* A fresh self-signed RSA certificate: a key SNS never signed with. */
static void
other_cert(struct buf *out)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	BIO *b = BIO_new(BIO_s_mem());
	time_t then = THEN;
	char *p;
	long n;

	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_time_adj_ex(X509_getm_notBefore(x), -1, 0, &then);
	X509_time_adj_ex(X509_getm_notAfter(x), 2, 0, &then);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"sns.amazonaws.com", -1, -1,
	    0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_sign(x, k, EVP_sha256());
	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &p);
	buf_reset(out);
	buf_add(out, p, (size_t)n);
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_parts(const struct sns_config *c)
{
	char err[SNS_ERR_MAX] = "", *body = msg_with(NULL, NULL);
	struct sns_msg m;
	EVP_PKEY *k;

	ok(sns_msg_parse(c, body, strlen(body), "Notification", &m, err,
	    sizeof(err)) == SNS_OK, "parse: the real message (%s)", err);
	is_str(m.tbs.p, "Message\n{\"foo\": \"bar\"}\nMessageId\n"
	    "2023301a-1a24-528f-aae4-6c5b3e4ebe63\nTimestamp\n"
	    "2023-01-17T22:33:14.087Z\nTopicArn\n" TOPIC "\nType\n"
	    "Notification\n", "parse: the string to sign as AWS documents");
	ok(m.version == 1 && m.siglen == 256, "parse: version 1, 256 bytes");
	k = sns_cert_key(pem.p, pem.len, THEN, err, sizeof(err));
	ok(k != NULL, "the real certificate's key at delivery time (%s)",
	    err);
	ok(k && sns_sig_check(&m, k, err, sizeof(err)) == SNS_OK,
	    "sig_check: the real signature verifies");
	EVP_PKEY_free(k);
	ok(sns_cert_key(pem.p, pem.len, time(NULL), err, sizeof(err)) ==
	    NULL && strstr(err, "expired") != NULL,
	    "the certificate today: expired (%s)", err);
	ok(sns_cert_key("junk", 4, THEN, err, sizeof(err)) == NULL,
	    "not a PEM: refused");
	sns_msg_free(&m);
	ok(sns_msg_parse(c, body, strlen(body), "SubscriptionConfirmation",
	    &m, err, sizeof(err)) == SNS_BAD_MESSAGE,
	    "Type other than the header's: bad message");
	free(body);
}

int
main(void)
{
	struct sns_config c = {0};
	const char *topics[] = { "arn:aws:sns:us-east-1:1:other", TOPIC };
	char err[SNS_ERR_MAX] = "";

	slurp(D CERT, &pem);
	c.fetch = fake_fetch;
	c.cache = sns_cache_new();
	test_parts(&c);

	ok(verify(&c, msg_with(NULL, NULL), THEN, err) == SNS_OK,
	    "verify: the real message (%s)", err);
	ok(verify(&c, msg_with(NULL, NULL), THEN, err) == SNS_OK &&
	    fetches == 1, "verify again: the key came from the cache");
	ok(verify(&c, msg_flip("Message", 3), THEN, err) ==
	    SNS_BAD_SIGNATURE && strcmp(err, "SNS signature mismatch") == 0,
	    "one byte of Message flipped: bad signature");
	ok(verify(&c, msg_flip("Signature", 10), THEN, err) ==
	    SNS_BAD_SIGNATURE, "one byte of Signature flipped: bad signature");
	ok(verify(&c, msg_with("SignatureVersion", "2"), THEN, err) ==
	    SNS_BAD_SIGNATURE, "SignatureVersion 2 on a SHA1 signature: bad "
	    "signature");
	ok(verify(&c, msg_with("SignatureVersion", "3"), THEN, err) ==
	    SNS_BAD_MESSAGE, "SignatureVersion 3: bad message");
	ok(verify(&c, msg_wrapped(), THEN, err) == SNS_OK,
	    "Signature's base64 in lines: still verifies (%s)", err);
	ok(verify(&c, msg_with("Signature", ""), THEN, err) ==
	    SNS_BAD_SIGNATURE, "Signature empty: bad signature");
	ok(verify(&c, msg_with("Signature", "!!!"), THEN, err) ==
	    SNS_BAD_SIGNATURE, "Signature not base64: bad signature");
	ok(verify(&c, msg_with("SigningCertURL",
	    "https://sns.us-west-2.amazonaws.com.evil.example/" CERT), THEN,
	    err) == SNS_BAD_MESSAGE && fetches == 1,
	    "certificate host outside the allow-list: bad message, no fetch");
	ok(verify(&c, msg_with("SigningCertURL",
	    "http://sns.us-west-2.amazonaws.com/" CERT), THEN, err) ==
	    SNS_BAD_MESSAGE, "certificate over http: bad message");
	c.hosts = "127.0.0.1,localhost";
	ok(verify(&c, msg_with(NULL, NULL), THEN, err) == SNS_BAD_MESSAGE,
	    "hosts setting replaces the SNS pattern");
	ok(verify(&c, msg_with("SigningCertURL", "https://localhost/" CERT),
	    THEN, err) == SNS_OK, "... and allows its own hosts");
	c.hosts = NULL;
	c.topics = topics, c.ntopics = 1;
	ok(verify(&c, msg_with(NULL, NULL), THEN, err) == SNS_BAD_MESSAGE,
	    "a topic not in the list: bad message");
	c.ntopics = 2;
	ok(verify(&c, msg_with(NULL, NULL), THEN, err) == SNS_OK,
	    "the topic in the list: ok");

	sns_cache_free(c.cache);
	c.cache = NULL;			/* fetch every time from here on */
	ok(verify(&c, msg_with(NULL, NULL), time(NULL), err) ==
	    SNS_BAD_SIGNATURE && strstr(err, "expired") != NULL,
	    "verify today: certificate expired (%s)", err);
	fetch_fails = 1;
	ok(verify(&c, msg_with(NULL, NULL), THEN, err) == SNS_TEMP &&
	    strstr(err, "cannot get the SNS certificate: Could not") != NULL,
	    "certificate fetch fails: temporary (%s)", err);
	fetch_fails = 0;
	other_cert(&pem);
	ok(verify(&c, msg_with(NULL, NULL), THEN, err) == SNS_BAD_SIGNATURE,
	    "a certificate SNS did not sign with: bad signature");
	buf_free(&pem);
	return done_testing();
}
