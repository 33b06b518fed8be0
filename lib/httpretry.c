/* httpretry: the one retry policy of every HTTP request of the tools:
 * which outcomes are worth another attempt, and how long to wait */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "opt.h"
#include "sys.h"

int
http_retry_init(struct http_retry *rp, int retries, long base_ms,
    long cap_ms, char *err, size_t errlen)
{
	const char *b;
	long v;

	memset(rp, 0, sizeof(*rp));
	rp->retries = retries;
	rp->base_ms = base_ms;
	rp->cap_ms = cap_ms;
	rp->jitter = 1;
	rp->retry_after_max = 120;
	rp->seed = (unsigned int)(sys_now_ms() ^ getpid());
	/* tests shorten the waits; not worth an option */
	if ((b = getenv("HOOKPIPE_BACKOFF")) == NULL || *b == '\0')
		return 0;
	if (opt_long("HOOKPIPE_BACKOFF", b, 0, HTTP_BACKOFF_MAX, &v, err,
	    errlen) < 0)
		return -1;
	rp->base_ms = v;
	if (rp->cap_ms < v)
		rp->cap_ms = v;
	return 0;
}

long
http_retry_wait(struct http_retry *rp, int n, long retry_after)
{
	long backoff;
	int shift;

	if (retry_after >= 0)
		return retry_after > rp->retry_after_max ? -1 :
		    retry_after * 1000;
	shift = n - 1 < 20 ? (n > 0 ? n - 1 : 0) : 20;
	backoff = rp->base_ms << shift;
	if (backoff > rp->cap_ms || backoff < 0)
		backoff = rp->cap_ms;
	if (!rp->jitter)
		return backoff;
	/* jitter: half fixed, half random */
	return backoff / 2 + (long)(rand_r(&rp->seed) %
	    (unsigned long)(backoff / 2 + 1));
}

int
http_retry_temp(const struct http_retry *rp, CURLcode code, long status,
    int idempotent)
{
	if (code != CURLE_OK)
		return http_connect_error(code) || idempotent || rp->all;
	if (status == 429)
		return 1;
	if (http_status_temp(status))
		return idempotent || rp->all || (status == 503 && !rp->no_5xx);
	return 0;
}

int
http_connect_error(CURLcode c)
{
	return c == CURLE_COULDNT_CONNECT || c == CURLE_COULDNT_RESOLVE_HOST ||
	    c == CURLE_COULDNT_RESOLVE_PROXY;
}

long
http_retry_after(const char *v, long now)
{
	const char *s;
	char *end;
	long n;
	time_t t;

	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '\0')
		return -1;
	for (s = v; isdigit((unsigned char)*s); s++)
		;
	if (s > v && (*s == '\0' || *s == ' ' || *s == '\t')) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno != 0)
			return 1000000;	/* absurdly far: the cap handles it */
		return n;
	}
	t = curl_getdate(v, NULL);
	if (t == (time_t)-1)
		return -1;
	return t > now ? (long)(t - now) : 0;
}

int
http_status_temp(long status)
{
	return status == 408 || status == 429 || (status >= 500 &&
	    status <= 599);
}
