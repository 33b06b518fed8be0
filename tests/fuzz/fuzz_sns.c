/*
 * fuzz_sns: Amazon SNS messages and signing certificates (lib/snsverify.c).
 *
 * Input: byte 0 a selector (bits 0-1: the x-amz-sns-message-type header,
 * Notification, SubscriptionConfirmation, UnsubscribeConfirmation or an
 * unknown one; bit 2: the test hosts setting instead of the SNS pattern;
 * bit 3: a topic list), then the message, then optionally a NUL and a
 * certificate PEM.  The message is parsed and checked, the PEM's key taken
 * at the real certificate's delivery time, and when both hold the
 * signature is checked.  A message accepted must have a string to sign,
 * SignatureVersion 1 or 2, a signature and an allowed SigningCertURL;
 * any break of these aborts.  No network: the fetch is never reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snsverify.h"

#define THEN 1673995200		/* 2023-01-17T22:40:00Z */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "Notification",
	    "SubscriptionConfirmation", "UnsubscribeConfirmation", "Other" };
	static const char *const topics[] = {
	    "arn:aws:sns:us-west-2:024726604032:AshtonTest" };
	struct sns_config c = {0};
	char err[SNS_ERR_MAX];
	const char *body, *pem = NULL;
	const uint8_t *nul;
	size_t blen, plen = 0;
	struct sns_msg m;
	EVP_PKEY *k = NULL;
	int rc;

	if (size < 1)
		return 0;
	if (data[0] & 4)
		c.hosts = "127.0.0.1,localhost";
	if (data[0] & 8)
		c.topics = topics, c.ntopics = 1;
	body = (const char *)data + 1;
	blen = size - 1;
	if ((nul = memchr(body, '\0', blen)) != NULL) {
		pem = (const char *)nul + 1;
		plen = blen - (size_t)((const char *)nul + 1 - body);
		blen = (size_t)((const char *)nul - body);
	}
	rc = sns_msg_parse(&c, body, blen, types[data[0] & 3], &m, err,
	    sizeof(err));
	if (rc == SNS_OK && (m.tbs.len == 0 || m.siglen == 0 ||
	    (m.version != 1 && m.version != 2) || m.type == NULL ||
	    m.topic == NULL || m.message_id == NULL ||
	    !sns_url_ok(&c, m.cert_url, 1)))
		abort();
	if (rc != SNS_OK && rc != SNS_BAD_MESSAGE && rc != SNS_BAD_SIGNATURE)
		abort();
	if (rc != SNS_OK && err[0] == '\0')
		abort();
	if (pem != NULL)
		k = sns_cert_key(pem, plen, THEN, err, sizeof(err));
	if (rc == SNS_OK && k != NULL) {
		rc = sns_sig_check(&m, k, err, sizeof(err));
		if (rc != SNS_OK && rc != SNS_BAD_SIGNATURE)
			abort();
	}
	EVP_PKEY_free(k);
	if (m.json != NULL)
		sns_msg_free(&m);
	return 0;
}
