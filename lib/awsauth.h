/* awsauth: every AWS request signed at one clock, corrected from the
 * servers' Date when they say it is off; which AWS errors mean "later" */
#ifndef AWSAUTH_H
#define AWSAUTH_H

#include <stddef.h>
#include <time.h>

#include "aws.h"
#include "sigv4.h"

/*
 * A skew under this many seconds is left alone: the services accept 5
 * minutes (S3 15), and the AWS SDKs (aws-sdk-js-v3, aws-sdk-swift)
 * correct only past it.
 */
#define AWSAUTH_SKEW_MIN 300

/* The time to sign with: time(NULL) plus the offset learnt so far. */
time_t awsauth_now(void);

/* The offset learnt so far, in seconds (server minus local). */
long awsauth_offset(void);

/*
 * Sign r with c for service in region at awsauth_now() (sigv4_sign);
 * flags are SIGV4_*.  The one place the tools sign a request.
 */
int awsauth_sign(const struct aws_creds *c, const char *region,
    const char *service, int flags, const struct sigv4_req *r,
    struct sigv4_out *o, char *err, size_t errlen);

/*
 * An error answer: code is the AWS error code (NULL if none), date the
 * answer's Date header (NULL if none).  When code is one the SDKs call a
 * clock skew error (RequestTimeTooSkewed, RequestExpired,
 * RequestInTheFuture, InvalidSignatureException, SignatureDoesNotMatch,
 * AuthFailure) and date is AWSAUTH_SKEW_MIN or more away from
 * awsauth_now(), the offset is set from date and 1 is returned: sign
 * again and retry.  Else 0 (a wrong secret stays a refusal).
 */
int awsauth_skewed(const char *code, const char *date);

/* Whether an AWS error code means "try again later" whatever the status
 * (ThrottlingException, RequestThrottled, SlowDown, InternalError...). */
int awsauth_temp_code(const char *code);

/* The longest wait between two AWS retries, ms (the cap_ms of their
 * http_retry_init). */
#define AWSAUTH_BACKOFF_MAX 20000

#endif
