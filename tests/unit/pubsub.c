/* unit tests for lib/pubsub: resource names, the endpoint's precedence,
 * and (with PUBSUB_TEST_URL, from tests/pubsub-faults.t: the fault proxy
 * in front of the emulator answering 401) the Authorization hook */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pubsub.h"
#include "tap.h"

static void
test_names(void)
{
	char err[256], *n;

	n = pubsub_name("topics", NULL, "projects/p-1/topics/t.x~y", err,
	    sizeof(err));
	is_str(n, "projects/p-1/topics/t.x~y", "a full name as it is");
	free(n);
	n = pubsub_name("subscriptions", "p-1", "s-1", err, sizeof(err));
	is_str(n, "projects/p-1/subscriptions/s-1", "a short name and project");
	free(n);
	n = pubsub_name("topics", "example.com:p-1", "top", err, sizeof(err));
	is_str(n, "projects/example.com:p-1/topics/top", "a domain project");
	free(n);
	ok(pubsub_name("topics", NULL, "top", err, sizeof(err)) == NULL &&
	    strstr(err, "no --project") != NULL, "short without a project");
	ok(pubsub_name("topics", "p", "bt", err, sizeof(err)) == NULL,
	    "a name of 2 characters");
	ok(pubsub_name("topics", "p", "1st", err, sizeof(err)) == NULL,
	    "a name that starts with a digit");
	ok(pubsub_name("subscriptions", NULL, "projects/p/subscriptions/goog1",
	    err, sizeof(err)) == NULL, "a name that starts with goog");
	ok(pubsub_name("topics", "p", "a:b", err, sizeof(err)) == NULL,
	    "a colon in a name");
	ok(pubsub_name("topics", NULL, "projects/p/subscriptions/s", err,
	    sizeof(err)) == NULL, "a subscription for a topic");
	ok(pubsub_name("topics", NULL, "projects/p/topics/", err,
	    sizeof(err)) == NULL, "an empty name");
	ok(pubsub_name("topics", NULL, "projects/p/topics/a/b", err,
	    sizeof(err)) == NULL, "a slash in the name");
	ok(pubsub_name("topics", "p", "a?b", err, sizeof(err)) == NULL,
	    "a query in a short name");
	ok(pubsub_name("topics", "p/q", "t", err, sizeof(err)) == NULL,
	    "a slash in the project");
}

static const char *
endpoint(const char *explicit, int *emu)
{
	static char got[300];
	struct pubsub_client c;
	char err[256];

	if (pubsub_open(&c, explicit, err, sizeof(err)) == -1) {
		snprintf(got, sizeof(got), "error: %s", err);
		*emu = -1;
		return got;
	}
	snprintf(got, sizeof(got), "%s", c.endpoint);
	*emu = c.emulator;
	pubsub_close(&c);
	return got;
}

static void
test_endpoint(void)
{
	int emu;

	unsetenv("PUBSUB_EMULATOR_HOST");
	unsetenv("PUBSUB_ENDPOINT");
	is_str(endpoint(NULL, &emu), "https://pubsub.googleapis.com",
	    "default endpoint");
	ok(emu == 0, "default: not the emulator");
	setenv("PUBSUB_EMULATOR_HOST", "127.0.0.1:8085", 1);
	is_str(endpoint(NULL, &emu), "http://127.0.0.1:8085",
	    "PUBSUB_EMULATOR_HOST: plain http");
	ok(emu == 1, "PUBSUB_EMULATOR_HOST: the emulator");
	setenv("PUBSUB_ENDPOINT", "http://127.0.0.1:9/", 1);
	is_str(endpoint(NULL, &emu), "http://127.0.0.1:9",
	    "PUBSUB_ENDPOINT before the emulator's host, no final slash");
	is_str(endpoint("https://eu-pubsub.example", &emu),
	    "https://eu-pubsub.example", "--endpoint first");
	unsetenv("PUBSUB_ENDPOINT");
	setenv("PUBSUB_EMULATOR_HOST", "host/path", 1);
	ok(strncmp(endpoint(NULL, &emu), "error: bad PUBSUB_EMULATOR_HOST",
	    31) == 0, "PUBSUB_EMULATOR_HOST not host:port");
	unsetenv("PUBSUB_EMULATOR_HOST");
	ok(strncmp(endpoint("ftp://x", &emu), "error: bad URL", 14) == 0,
	    "not an http(s) URL");
}

static int auth_calls, invalidations;

static int
auth(void *arg, char *hdr, size_t hdrlen, char *err, size_t errlen)
{
	(void)arg;
	(void)err;
	(void)errlen;
	snprintf(hdr, hdrlen, "Bearer token-%d", invalidations);
	auth_calls++;
	return 0;
}

static void
invalidate(void *arg)
{
	(void)arg;
	invalidations++;
}

/* against the proxy: 401 once (refreshed, then sent) or always */
static void
test_auth(const char *url, const char *topic, const char *mode)
{
	struct pubsub_client c;
	json_t *req, *resp;
	char err[512];
	int rc;

	setenv("HOOKPIPE_BACKOFF", "10", 1);
	if (pubsub_open(&c, url, err, sizeof(err)) == -1) {
		ok(0, "pubsub_open: %s", err);
		return;
	}
	c.auth = auth;
	c.invalidate = invalidate;
	req = json_pack("{s:[{s:s}]}", "messages", "data", "YXV0aA==");
	rc = pubsub_call(&c, NULL, topic, "publish", req, &resp, 0, 0, err,
	    sizeof(err));
	json_decref(req);
	if (strcmp(mode, "once") == 0) {
		ok(rc == 0 && json_array_size(json_object_get(resp,
		    "messageIds")) == 1, "401 once: published after a refresh");
		ok(auth_calls == 2 && invalidations == 1,
		    "401 once: one invalidate, a token asked for each attempt");
	} else {
		ok(rc == -1 && c.fail == PUBSUB_FAIL_REMOTE && c.status == 401,
		    "401 always: refused for good");
		ok(auth_calls == 2 && invalidations == 1,
		    "401 always: one refresh, no more");
		ok(strstr(err, "UNAUTHENTICATED") != NULL,
		    "401 always: Google's status in the reason");
	}
	json_decref(resp);
	pubsub_close(&c);
}

int
main(void)
{
	const char *url = getenv("PUBSUB_TEST_URL");

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (url != NULL) {
		test_auth(url, getenv("PUBSUB_TEST_TOPIC"),
		    getenv("PUBSUB_TEST_401"));
	} else {
		test_names();
		test_endpoint();
	}
	curl_global_cleanup();
	return done_testing();
}
