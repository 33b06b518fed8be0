/* slackresp: what Slack's answer to a post says: an incoming webhook's
 * "ok", or the Web API's {"ok":true,...} / {"ok":false,"error":"..."};
 * posted, refused for now, or refused for good */
#ifndef SLACKRESP_H
#define SLACKRESP_H

#include <stddef.h>
#include <jansson.h>

enum {
	SLACKRESP_OK,		/* posted */
	SLACKRESP_HTTP,		/* refused by HTTP: the reason is the body */
	SLACKRESP_API		/* refused by the Web API: the reason is its
				 * error code */
};

struct slackresp {
	int kind;		/* SLACKRESP_* */
	int temp;		/* the HTTP status says try again later
				 * (408, 429, 5xx) */
	int fatal;		/* no later message can succeed either (a bad
				 * token, a revoked webhook): stop the run */
	json_t *ts, *channel;	/* posted through the Web API: its values
				 * (new references), or NULL */
};

/*
 * The answer to one post: HTTP status and body, to an incoming webhook
 * (webhook != 0, success is 200 and the text "ok") or to
 * chat.postMessage.  Returns 0 if posted, else -1 with r->kind and the
 * reason in err: the body on one line (control bytes as spaces, at most
 * 100 bytes) or "(no body)", or the API's error code (on one line
 * too; "unknown" if none or empty).
 */
int slackresp_parse(int webhook, long status, const char *body,
    size_t len, struct slackresp *r, char *err, size_t errlen);
void slackresp_free(struct slackresp *r);

#endif
