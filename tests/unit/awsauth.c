/* awsauth unit test: the clock offset learnt from a skew refusal's Date,
 * and the codes that mean "later" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awsauth.h"
#include "tap.h"

/* an HTTP date (RFC 9110 IMF-fixdate) of t */
static void
http_date(time_t t, char *out, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

int
main(void)
{
	char d[64];
	time_t now = time(NULL);
	long off;

	ok(awsauth_offset() == 0, "no offset to begin with");
	http_date(now + 3600, d, sizeof(d));
	ok(!awsauth_skewed("AccessDenied", d), "AccessDenied: not a skew");
	ok(!awsauth_skewed("RequestTimeTooSkewed", NULL), "no Date: no "
	    "correction");
	ok(!awsauth_skewed("RequestTimeTooSkewed", "yesterday"), "a Date "
	    "that does not parse: no correction");
	http_date(now + 60, d, sizeof(d));
	ok(!awsauth_skewed("SignatureDoesNotMatch", d), "a Date a minute "
	    "off: a wrong secret, not a skew");
	ok(awsauth_offset() == 0, "offset still 0");
	http_date(now + 3600, d, sizeof(d));
	ok(awsauth_skewed("RequestTimeTooSkewed", d), "S3's skew, server an "
	    "hour ahead: corrected");
	off = awsauth_offset();
	ok(off >= 3598 && off <= 3602, "offset about an hour (%ld)", off);
	ok(awsauth_now() - time(NULL) == off, "awsauth_now adds it");
	ok(!awsauth_skewed("InvalidSignatureException", d), "the same Date "
	    "again: nothing more to correct");
	http_date(now - 1800, d, sizeof(d));
	ok(awsauth_skewed("InvalidSignatureException", d), "SQS's expired "
	    "signature, server half an hour behind: corrected");
	off = awsauth_offset();
	ok(off >= -1802 && off <= -1798, "offset about -1800 (%ld)", off);
	ok(awsauth_temp_code("ThrottlingException") &&
	    awsauth_temp_code("RequestThrottled") &&
	    awsauth_temp_code("SlowDown") && awsauth_temp_code("Throttling"),
	    "throttling codes mean later");
	ok(!awsauth_temp_code("AccessDenied") && !awsauth_temp_code(NULL) &&
	    !awsauth_temp_code("SignatureDoesNotMatch"),
	    "refusals do not");
	return done_testing();
}
