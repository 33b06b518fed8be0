/* awsauth: one clock for signing, corrected from the servers' Date */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "awsauth.h"

/* seconds: server minus local; read by workers, set by the loop */
static atomic_long offset;

time_t
awsauth_now(void)
{
	return time(NULL) + (time_t)atomic_load(&offset);
}

long
awsauth_offset(void)
{
	return atomic_load(&offset);
}

int
awsauth_sign(const struct aws_creds *c, const char *region,
    const char *service, int flags, const struct sigv4_req *r,
    struct sigv4_out *o, char *err, size_t errlen)
{
	struct sigv4_signer s;

	memset(&s, 0, sizeof(s));
	s.key = c->key;
	s.secret = c->secret;
	s.token = c->token;
	s.region = region;
	s.service = service;
	s.flags = flags;
	return sigv4_sign(&s, r, awsauth_now(), o, err, errlen);
}

static int
in_list(const char *code, const char *const *list)
{
	size_t i;

	if (code == NULL)
		return 0;
	for (i = 0; list[i] != NULL; i++)
		if (strcmp(code, list[i]) == 0)
			return 1;
	return 0;
}

int
awsauth_skewed(const char *code, const char *date)
{
	/* aws-sdk-js-v3 service-error-classification CLOCK_SKEW_ERROR_CODES */
	static const char *const skew[] = {
		"AuthFailure", "InvalidSignatureException", "RequestExpired",
		"RequestInTheFuture", "RequestTimeTooSkewed",
		"SignatureDoesNotMatch", NULL
	};
	time_t server, now;
	long d;

	if (!in_list(code, skew) || date == NULL)
		return 0;
	if ((server = curl_getdate(date, NULL)) == (time_t)-1)
		return 0;
	now = time(NULL);
	d = (long)(server - (now + atomic_load(&offset)));
	if (labs(d) < AWSAUTH_SKEW_MIN)
		return 0;
	atomic_store(&offset, (long)(server - now));
	return 1;
}

int
awsauth_temp_code(const char *code)
{
	/* throttling (aws-sdk-js-v3 THROTTLING_ERROR_CODES) and transient
	 * service errors, which may come with a 4xx status */
	static const char *const temp[] = {
		"BandwidthLimitExceeded", "ProvisionedThroughputExceededException",
		"RequestLimitExceeded", "RequestThrottled",
		"RequestThrottledException", "SlowDown", "ThrottledException",
		"Throttling", "ThrottlingException", "TooManyRequestsException",
		"KmsThrottled", "ServiceUnavailable", "InternalError",
		"InternalFailure", "RequestTimeout", NULL
	};

	return in_list(code, temp);
}
