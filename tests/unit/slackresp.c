/* unit tests for lib/slackresp: Slack's documented answers to
 * chat.postMessage and to incoming webhooks, and what each decides */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "slackresp.h"
#include "tap.h"

/* chat.postMessage docs, "Example response" */
static const char post_ok[] =
    "{\n"
    "    \"ok\": true,\n"
    "    \"channel\": \"C123ABC456\",\n"
    "    \"ts\": \"1503435956.000247\",\n"
    "    \"message\": {\n"
    "        \"text\": \"Here's a message for you\",\n"
    "        \"username\": \"ecto1\",\n"
    "        \"bot_id\": \"B123ABC456\",\n"
    "        \"attachments\": [\n"
    "            {\n"
    "                \"text\": \"This is an attachment\",\n"
    "                \"id\": 1,\n"
    "                \"fallback\": \"This is an attachment's fallback\"\n"
    "            }\n"
    "        ],\n"
    "        \"type\": \"message\",\n"
    "        \"subtype\": \"bot_message\",\n"
    "        \"ts\": \"1503435956.000247\"\n"
    "    }\n"
    "}\n";

struct want {
	int rc, kind, temp, fatal;
	const char *reason;
};

static void
check(int webhook, long status, const char *body, const struct want *w,
    const char *name)
{
	struct slackresp r;
	char err[256] = "";
	int rc;

	rc = slackresp_parse(webhook, status, body, body ? strlen(body) : 0,
	    &r, err, sizeof(err));
	ok(rc == w->rc && r.kind == w->kind && r.temp == w->temp &&
	    r.fatal == w->fatal, "%s: rc %d kind %d temp %d fatal %d", name,
	    rc, r.kind, r.temp, r.fatal);
	if (w->reason != NULL)
		is_str(err, w->reason, name);
	slackresp_free(&r);
}

static void
test_api(void)
{
	static const struct {
		const char *error;
		int fatal;
	} errs[] = {
		{"channel_not_found", 0}, {"not_in_channel", 0},
		{"is_archived", 0}, {"msg_too_long", 0}, {"no_text", 0},
		{"too_many_attachments", 0}, {"ratelimited", 0},
		{"not_authed", 1}, {"invalid_auth", 1},
		{"account_inactive", 1}, {"token_revoked", 1},
		{"token_expired", 1}, {"missing_scope", 1},
		{"no_permission", 1}, {"not_allowed_token_type", 1},
		{"ekm_access_denied", 1},
	};
	struct slackresp r;
	char err[256], body[128];
	size_t i;

	ok(slackresp_parse(0, 200, post_ok, strlen(post_ok), &r, err,
	    sizeof(err)) == 0 && r.kind == SLACKRESP_OK,
	    "the documented ok response is a post");
	is_str(json_string_value(r.ts), "1503435956.000247", "its ts");
	is_str(json_string_value(r.channel), "C123ABC456", "its channel");
	slackresp_free(&r);
	ok(r.ts == NULL && r.channel == NULL, "freed");

	ok(slackresp_parse(0, 200, "{\"ok\":true}", 11, &r, err,
	    sizeof(err)) == 0 && r.ts == NULL && r.channel == NULL,
	    "ok without ts or channel");
	slackresp_free(&r);

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		struct want w = { -1, SLACKRESP_API, 0, errs[i].fatal,
		    errs[i].error };

		snprintf(body, sizeof(body), "{\n    \"ok\": false,\n    "
		    "\"error\": \"%s\"\n}", errs[i].error);
		check(0, 200, body, &w, errs[i].error);
	}
	{
		struct want w = { -1, SLACKRESP_API, 0, 0, "unknown" };

		check(0, 200, "{\"ok\":false}", &w, "ok:false, no error");
		check(0, 200, "{\"ok\":false,\"error\":7}", &w,
		    "ok:false, a number for error");
		check(0, 200, "{}", &w, "no ok");
		check(0, 200, "{\"ok\":\"true\"}", &w, "ok a string");
		check(0, 200, "{\"ok\":false,\"error\":\"\"}", &w,
		    "an empty error");
	}
	{
		struct want w = { -1, SLACKRESP_API, 0, 0, "bad  news" };

		check(0, 200, "{\"ok\":false,\"error\":\"bad\\r\\nnews\"}",
		    &w, "an error with CR LF: one line");
	}
	{
		struct want w = { -1, SLACKRESP_API, 0, 0,
		    "channel_not_found" };

		check(0, 200, "{\"ok\":false,\"error\":\"channel_not_found\","
		    "\"warning\":\"missing_charset\",\"response_metadata\":"
		    "{\"warnings\":[\"missing_charset\"]}}", &w,
		    "an error with warnings");
	}
}

static void
test_api_http(void)
{
	/* the Web API's rate limit: HTTP 429 with Retry-After (which
	 * lib/http obeys before the answer gets here) */
	struct want rl = { -1, SLACKRESP_HTTP, 1, 0,
	    "{\"ok\":false,\"error\":\"ratelimited\"}" };
	struct want s500 = { -1, SLACKRESP_HTTP, 1, 0, "(no body)" };
	struct want s401 = { -1, SLACKRESP_HTTP, 0, 1, "Unauthorized" };
	struct want s403 = { -1, SLACKRESP_HTTP, 0, 1, "(no body)" };
	struct want s404 = { -1, SLACKRESP_HTTP, 0, 0, "not found" };
	struct want html = { -1, SLACKRESP_HTTP, 0, 0, "<html> oops" };

	check(0, 429, "{\"ok\":false,\"error\":\"ratelimited\"}", &rl,
	    "429 ratelimited: try later");
	check(0, 503, "", &s500, "503 with no body: try later");
	check(0, 500, NULL, &s500, "500 with a NULL body");
	check(0, 401, "Unauthorized", &s401, "401: stop the run");
	check(0, 403, "", &s403, "403: stop the run");
	check(0, 404, "not found", &s404, "404: this message only");
	check(0, 200, "<html>\noops", &html,
	    "200 that is not JSON: the body on one line");
}

static void
test_webhook(void)
{
	/* "Sending messages using incoming webhooks", Handling errors */
	struct want okw = { 0, SLACKRESP_OK, 0, 0, NULL };
	struct want bad = { -1, SLACKRESP_HTTP, 0, 0, "invalid_payload" };
	struct want gone = { -1, SLACKRESP_HTTP, 0, 1, "channel_is_archived" };
	struct want nf = { -1, SLACKRESP_HTTP, 0, 1, "channel_not_found" };
	struct want ns = { -1, SLACKRESP_HTTP, 0, 1, "no_service" };
	struct want ap = { -1, SLACKRESP_HTTP, 0, 1, "action_prohibited" };
	struct want rl = { -1, SLACKRESP_HTTP, 1, 0, "(no body)" };
	struct want okish = { -1, SLACKRESP_HTTP, 0, 0, "ok " };
	struct want json = { -1, SLACKRESP_HTTP, 0, 0, "{\"ok\":true}" };
	struct want s201 = { -1, SLACKRESP_HTTP, 0, 0, "ok" };
	struct slackresp r;
	char err[16], long_body[300];

	check(1, 200, "ok", &okw, "webhook: 200 ok");
	check(1, 400, "invalid_payload", &bad, "webhook: 400 invalid_payload");
	check(1, 410, "channel_is_archived", &gone,
	    "webhook: 410 channel_is_archived stops the run");
	check(1, 404, "channel_not_found", &nf,
	    "webhook: 404 channel_not_found stops the run");
	check(1, 404, "no_service", &ns, "webhook: 404 no_service");
	check(1, 403, "action_prohibited", &ap,
	    "webhook: 403 action_prohibited");
	check(1, 429, "", &rl, "webhook: 429 try later");
	check(1, 200, "ok\n", &okish, "webhook: 'ok' and a newline is not ok");
	check(1, 200, "{\"ok\":true}", &json, "webhook: JSON is not 'ok'");
	check(1, 201, "ok", &s201, "webhook: only 200 is ok");

	memset(long_body, 'a', sizeof(long_body) - 1);
	long_body[sizeof(long_body) - 1] = '\0';
	ok(slackresp_parse(1, 500, long_body, strlen(long_body), &r, err,
	    sizeof(err)) == -1 && strlen(err) == sizeof(err) - 1,
	    "the reason fits its buffer");
	{
		char big[256];

		ok(slackresp_parse(1, 500, long_body, strlen(long_body), &r,
		    big, sizeof(big)) == -1 && strlen(big) == 100,
		    "the body is cut at 100 bytes");
	}
}

int
main(void)
{
	int rc;

	test_api();
	test_api_http();
	test_webhook();
	rc = done_testing();
	fflush(stdout);
	return rc;
}
