/* sqs: signed requests to one AWS endpoint on one kept-alive connection,
 * with retries, and the SQS (AWS JSON 1.0) calls of the queue tools;
 * lib/sns has SNS's, lib/ddbstate DynamoDB's */
#ifndef SQS_H
#define SQS_H

#include <stddef.h>
#include <curl/curl.h>
#include <jansson.h>

#include "aws.h"
#include "http.h"
#include "nd.h"
#include "tmpl.h"
#include "xmem.h"

/* SQS sizes: a queue's MaximumMessageSize is 1 KiB to 1 MiB (256 KiB
 * before August 2025, still the limit a queue may keep); a batch holds
 * 1 MiB in all. */
#define SQS_SIZE_MIN	1024
#define SQS_SIZE_MAX	1048576
#define SQS_SIZE_OLD	262144
#define SQS_BATCH_MAX	1048576

/* Why the last request failed (sqs_client.fail). */
enum {
	SQS_FAIL_NONE,
	SQS_FAIL_REMOTE,	/* refused for good: auth, 4xx, bad answer */
	SQS_FAIL_TEMP,		/* network, timeout, 5xx, throttling, after
				 * the retries */
	SQS_FAIL_CANCELED	/* *stop was set while nothing had come */
};

/* One endpoint of one service, signed with the environment's credentials. */
struct sqs_client {
	const char *service;	/* "sqs" or "sns" */
	char *endpoint;		/* scheme://host[:port][/path] */
	char *host;		/* Host header as curl sends it */
	char *path;		/* request path, "/" at least */
	char *region;
	struct aws_creds creds;
	struct http_client http;	/* one kept-alive connection; 3
					 * retries, 200 ms doubling to 20 s */
	long timeout;		/* seconds per attempt, beyond any wait (30) */
	volatile int *stop;	/* abortable requests end when it is set */
	/* told before each retry */
	void (*on_retry)(const char *why, int n, int of, long wait_ms);

	/* the last request */
	int fail;		/* SQS_FAIL_* */
	long status;		/* HTTP status, 0 if none */
	char code[128];		/* AWS error code, "" if none */
	char date[64];		/* the answer's Date header, "" if none */
	struct buf resp;	/* response body */
};

/*
 * Set up c for service ("sqs", "sns"): region, credentials (lib/aws),
 * endpoint (explicit, else AWS_ENDPOINT_URL_<SERVICE>, ...), a curl
 * handle.  Call curl_global_init() first.  Returns 0, or -1 with err
 * (configuration: exit 3).
 */
int sqs_open(struct sqs_client *c, const char *service,
    const char *explicit_url, char *err, size_t errlen);
void sqs_close(struct sqs_client *c);

/* What a tool's client starts with (sqs_setup). */
struct sqs_setup {
	const char *errors;	/* --errors file (nd_errors_open), or NULL */
	const char *service;	/* "sqs", "sns" */
	const char *endpoint;	/* --endpoint, or NULL */
	const char *queue;	/* the queue to find (-q), or NULL */
	char **url;		/* gets its URL (malloc'd) */
	/* told before each retry (msg_retry) */
	void (*on_retry)(const char *why, int n, int of, long wait_ms);
	volatile int *stop;	/* cancels finding the queue, or NULL */
};

/*
 * A tool's start: its --errors file (nd_errors_open), curl_global_init,
 * sqs_open (for "sqs" at the endpoint sqs_endpoint_for gives for the
 * queue), on_retry and stop set, then the queue's URL (sqs_queue_url)
 * if one is named.  Returns 0, or -1 with err and *code the exit code
 * the tool dies with: EX_CONFIG, EX_SYSTEM (libcurl), or sqs_fail_exit
 * ("cannot find queue Q: why"); *code is EX_OK when stop cancelled the
 * search.
 */
int sqs_setup(struct sqs_client *c, const struct sqs_setup *s, int *code,
    char *err, size_t errlen);

/* The exit code of c's last failure: EX_TEMPFAIL if it was temporary
 * (SQS_FAIL_TEMP), else EX_REMOTE. */
int sqs_fail_exit(const struct sqs_client *c);

/*
 * One SQS JSON-protocol call: op ("ReceiveMessage") with the request
 * object req; *resp gets the answer object (new reference).  wait is
 * added to the timeout (long polls); abortable lets *c->stop cancel it
 * while no byte has come back.  Returns 0, or -1 with c->fail and err
 * ("QueueDoesNotExist: The specified queue does not exist").
 */
int sqs_call(struct sqs_client *c, const char *op, json_t *req,
    json_t **resp, long wait, int abortable, char *err, size_t errlen);
/* The same for any AWS JSON 1.0 service: target is the X-Amz-Target
 * ("DynamoDB_20120810.PutItem"); lib/ddbstate uses it. */
int aws_json_call(struct sqs_client *c, const char *target, json_t *req,
    json_t **resp, long wait, int abortable, char *err, size_t errlen);

/*
 * One signed POST of body to c's endpoint, with retries, on c's
 * kept-alive connection (lib/http's http_once): ctype and target (NULL
 * for none) are signed headers; wait is added to the timeout, abortable
 * lets *c->stop cancel it while nothing has come back.  The answer is
 * left in c->resp.  Returns 0 for a 2xx, or -1 with c->fail and err (on
 * an error answer c->code is its AWS code).  sqs_call and sns_query use it.
 */
int sqs_post(struct sqs_client *c, const char *ctype, const char *target,
    const char *body, size_t len, long wait, int abortable, char *err,
    size_t errlen);

/* The entry of a batch answer's Successful or Failed list whose Id is
 * id, or NULL. */
json_t *sqs_batch_entry(json_t *list, const char *id);
/* Whether the Failed list of a batch answer has id: 1 with *code (its
 * Code, or "failed") and *message (its Message, or NULL), else 0 with
 * both as they were. */
int sqs_batch_error(json_t *failed, const char *id, const char **code,
    const char **message);
/*
 * After a batch call failed and each of its records was reported: 0
 * for a temporary failure, with EX_TEMPFAIL the run's status (later
 * batches may get through), else EX_REMOTE (the run ends).
 */
int sqs_batch_fail(const struct sqs_client *c);

/*
 * The endpoint to use for queue q when none is configured: the origin
 * (scheme://host[:port]) of q if it is an http(s) URL and neither
 * explicit nor AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL is set; else
 * explicit as it is.  The result is malloc'd or NULL.
 */
char *sqs_endpoint_for(const char *explicit, const char *q);

/*
 * The queue URL for q: q itself if it is an http(s) URL, else the answer
 * of GetQueueUrl (malloc'd into *url).  Returns 0, or -1 as sqs_call;
 * *c->stop cancels it (SQS_FAIL_CANCELED) while nothing has come.
 */
int sqs_queue_url(struct sqs_client *c, const char *q, char **url,
    char *err, size_t errlen);

/*
 * The queue's MaximumMessageSize (GetQueueAttributes) into *max: SQS
 * allows 1,024 to 1,048,576 bytes a message.  Returns 0, or -1 as
 * sqs_call (also for an answer without a number in that range).
 */
int sqs_max_size(struct sqs_client *c, const char *qurl, long *max,
    char *err, size_t errlen);

#endif
