/* pubsub: Google Cloud Pub/Sub's REST API (v1 JSON) on one kept-alive
 * connection with the one retry policy: the endpoint, the emulator, the
 * Authorization hook, resource names, and the calls of the pubsub tools */
#ifndef PUBSUB_H
#define PUBSUB_H

#include <stddef.h>
#include <jansson.h>

#include "gcpauth.h"
#include "http.h"
#include "xmem.h"

/* Pub/Sub's limits: a publish request holds 1,000 messages and 10 MB;
 * a message 100 attributes, names of 256 bytes, values of 1,024, an
 * ordering key of 1,024; a pull takes 1,000 at most; an ack deadline is
 * 0 to 600 seconds. */
#define PUBSUB_BATCH_MSGS	1000
#define PUBSUB_BATCH_BYTES	10000000
#define PUBSUB_ATTRS_MAX	100
#define PUBSUB_ATTR_NAME_MAX	256
#define PUBSUB_ATTR_VALUE_MAX	1024
#define PUBSUB_KEY_MAX		1024
#define PUBSUB_PULL_MAX		1000
#define PUBSUB_DEADLINE_MAX	600
#define PUBSUB_ACK_BATCH	1000

#define PUBSUB_ENDPOINT_DEFAULT	"https://pubsub.googleapis.com"

/* Why the last call failed (pubsub_client.fail). */
enum {
	PUBSUB_FAIL_NONE,
	PUBSUB_FAIL_REMOTE,	/* refused for good: 4xx, a bad answer */
	PUBSUB_FAIL_TEMP,	/* network, timeout, 5xx, UNAVAILABLE and the
				 * other codes worth a retry, no token:
				 * after the retries */
	PUBSUB_FAIL_CANCELED	/* *stop was set while nothing had come */
};

/*
 * The Authorization hook.  auth fills hdr with the header's value
 * ("Bearer ya29...") before each request and returns 0; or, with err,
 * -1 when no value can be had for now (the token endpoint unreachable,
 * a 5xx: the call fails as PUBSUB_FAIL_TEMP) or -2 when the credentials
 * were refused (a bad key: PUBSUB_FAIL_REMOTE, c->auth_refused set).
 * invalidate (may be NULL) says the last value was refused (HTTP 401):
 * the next auth call must get a fresh one.  The request is sent once
 * more after a 401.  pubsub_setup wires lib/gcpauth in as both.
 */
typedef int (*pubsub_auth_fn)(void *arg, char *hdr, size_t hdrlen,
    char *err, size_t errlen);
typedef void (*pubsub_invalidate_fn)(void *arg);

struct pubsub_client {
	char *endpoint;		/* scheme://host[:port], no "/" at the end */
	int emulator;		/* PUBSUB_EMULATOR_HOST: no Authorization */
	pubsub_auth_fn auth;	/* NULL: no Authorization header */
	pubsub_invalidate_fn invalidate;
	void *auth_arg;
	struct gcp_auth gcp;	/* the tools' credentials (pubsub_setup) */
	struct http_client http;	/* 3 retries, 200 ms doubling to 20 s */
	long timeout;		/* seconds per attempt, beyond any wait (30) */
	volatile int *stop;	/* abortable calls end when it is set */
	/* told before each retry */
	void (*on_retry)(const char *why, int n, int of, long wait_ms);

	/* the last call */
	int fail;		/* PUBSUB_FAIL_* */
	long status;		/* HTTP status, 0 if none */
	char code[64];		/* the error's status ("NOT_FOUND"), or "" */
	int refreshed;		/* the token was refreshed after a 401 */
	int auth_refused;	/* auth said -2: the credentials refused */
	struct buf resp;	/* response body */
};

/*
 * Set c up: the endpoint (explicit, else PUBSUB_ENDPOINT, else
 * http://$PUBSUB_EMULATOR_HOST, else PUBSUB_ENDPOINT_DEFAULT), whether
 * it is the emulator, a curl handle, the retry policy.  Call
 * curl_global_init() first.  Returns 0, or -1 with err (configuration:
 * exit 3; c needs no pubsub_close then).  No Authorization is wired in:
 * pubsub_setup does that.
 */
int pubsub_open(struct pubsub_client *c, const char *explicit_url,
    char *err, size_t errlen);
void pubsub_close(struct pubsub_client *c);

/* What a tool's client starts with (pubsub_setup). */
struct pubsub_setup {
	const char *errors;	/* --errors file (nd_errors_open), or NULL */
	const char *endpoint;	/* --endpoint, or NULL */
	/* told before each retry (msg_retry) */
	void (*on_retry)(const char *why, int n, int of, long wait_ms);
	volatile int *stop;	/* cancels abortable calls, or NULL */
};

/*
 * A tool's start: its --errors file, curl_global_init, pubsub_open,
 * and the Authorization: none when PUBSUB_EMULATOR_HOST is set (whatever
 * the endpoint, as Google's client libraries do), else Google
 * credentials in c->gcp (gcp_auth_init GCP_AUTH_ENV: the key file of
 * GOOGLE_APPLICATION_CREDENTIALS, else the metadata server), fetched at
 * the first call.  Returns 0, or -1 with err and *code the exit code
 * the tool dies with (EX_CONFIG, EX_SYSTEM).
 */
int pubsub_setup(struct pubsub_client *c, const struct pubsub_setup *s,
    int *code, char *err, size_t errlen);

/* The exit code of c's last failure: EX_TEMPFAIL for PUBSUB_FAIL_TEMP,
 * else EX_REMOTE. */
int pubsub_fail_exit(const struct pubsub_client *c);

/*
 * The full name of a topic or subscription (kind "topics" or
 * "subscriptions"): name itself when it is "projects/P/KIND/N", else
 * "projects/PROJECT/KIND/NAME" when project is given.  Returns the
 * malloc'd name, or NULL with err.
 */
char *pubsub_name(const char *kind, const char *project, const char *name,
    char *err, size_t errlen);

/*
 * One call: method ("PUT", or NULL for POST) on /v1/NAME[:verb] with
 * the request object req (NULL: none); *resp gets the answer object
 * (new reference) when resp is not NULL.  wait is added to the timeout
 * (a pull that waits); abortable lets *c->stop cancel it while no byte
 * has come back.  Returns 0, or -1 with c->fail and err ("NOT_FOUND:
 * Topic not found").
 */
int pubsub_call(struct pubsub_client *c, const char *method,
    const char *name, const char *verb, json_t *req, json_t **resp,
    long wait, int abortable, char *err, size_t errlen);

/* The ack deadline of ids (an array of ack ids) on subscription sub
 * (modifyAckDeadline; 0 gives the messages back at once).  Returns 0,
 * or -1 as pubsub_call. */
int pubsub_deadline(struct pubsub_client *c, const char *sub, json_t *ids,
    long seconds, char *err, size_t errlen);

#endif
