/* slackresp: what Slack's answer to a post says: an incoming webhook's
 * "ok", or the Web API's {"ok":true,...} / {"ok":false,"error":"..."};
 * posted, refused for now, or refused for good */
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "slackresp.h"
#include "sys.h"

/* API errors that no later message can escape */
static int
fatal_api_error(const char *e)
{
	static const char *const list[] = {
		"invalid_auth", "not_authed", "account_inactive",
		"token_revoked", "token_expired", "missing_scope",
		"no_permission", "not_allowed_token_type", "ekm_access_denied"
	};
	size_t i;

	for (i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		if (strcmp(e, list[i]) == 0)
			return 1;
	return 0;
}

/* the body as one short line, or "(no body)" */
static void
body_line(const char *body, size_t len, char *out, size_t outlen)
{
	size_t i, n = 0;

	if (outlen == 0)
		return;
	for (i = 0; i < len && n + 1 < outlen && i < 100; i++) {
		unsigned char c = (unsigned char)body[i];

		out[n++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	out[n] = '\0';
	if (n == 0)
		snprintf(out, outlen, "(no body)");
}

static int
http_refusal(int webhook, long status, const char *body, size_t len,
    struct slackresp *r, char *err, size_t errlen)
{
	r->kind = SLACKRESP_HTTP;
	r->temp = http_status_temp(status);
	/* the webhook itself is revoked, archived or forbidden; the token
	 * is refused */
	if (webhook)
		r->fatal = status == 403 || status == 404 || status == 410;
	else
		r->fatal = status == 401 || status == 403;
	body_line(body, len, err, errlen);
	return -1;
}

int
slackresp_parse(int webhook, long status, const char *body, size_t len,
    struct slackresp *r, char *err, size_t errlen)
{
	json_t *resp = NULL, *v;
	const char *e;

	memset(r, 0, sizeof(*r));
	if (body == NULL)
		len = 0;
	if (webhook) {
		if (status == 200 && len == 2 && memcmp(body, "ok", 2) == 0)
			return 0;
		return http_refusal(1, status, body, len, r, err, errlen);
	}
	if (status == 200)
		resp = json_loadb(body ? body : "", len, 0, NULL);
	if (!json_is_object(resp)) {
		json_decref(resp);
		return http_refusal(0, status, body, len, r, err, errlen);
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		v = json_object_get(resp, "error");
		e = json_is_string(v) ? json_string_value(v) : "";
		r->kind = SLACKRESP_API;
		r->fatal = fatal_api_error(e);
		/* on one line, as every sys_err */
		sys_err(err, errlen, "%s", e[0] != '\0' ? e : "unknown");
		json_decref(resp);
		return -1;
	}
	if ((r->ts = json_object_get(resp, "ts")) != NULL)
		json_incref(r->ts);
	if ((r->channel = json_object_get(resp, "channel")) != NULL)
		json_incref(r->channel);
	json_decref(resp);
	return 0;
}

void
slackresp_free(struct slackresp *r)
{
	json_decref(r->ts);
	json_decref(r->channel);
	r->ts = r->channel = NULL;
}
