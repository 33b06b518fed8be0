/* sns: the SNS API calls of the tools (the query protocol: a form body,
 * an XML answer), signed and retried by lib/sqs's client */
#ifndef SNS_H
#define SNS_H

#include <stddef.h>

#include "sqs.h"
#include "xmem.h"

/* Set c up for SNS (sqs_open with "sns"); 0, or -1 with err (exit 3). */
int sns_open(struct sqs_client *c, const char *explicit_url, char *err,
    size_t errlen);

/*
 * One query-protocol call: form is the urlencoded body
 * ("Action=Publish&..."); the XML answer is left in c->resp.  Returns 0,
 * or -1 with c->fail and err.
 */
int sns_query(struct sqs_client *c, const char *form, size_t len,
    char *err, size_t errlen);

/* Append "&name=value" (or "name=value" first) to b, form-encoded the
 * way botocore does (space as "+"). */
void sns_form_add(struct buf *b, const char *name, const char *value);

#endif
