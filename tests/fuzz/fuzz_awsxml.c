/*
 * fuzz_awsxml: S3, SQS and SNS XML bodies (errors, initiate, complete,
 * publish, list-uploads answers) through aws_xml_error, aws_xml_text
 * (lib/awsxml.c, expat), s3mpu_parse (lib/s3mpu.c) and s3list_parse
 * (lib/s3list.c, v2 and v1) on the same walk, and the same bytes as a JSON error through aws_json_error.
 *
 * Checks: the XML entry points agree on what is XML; an error document
 * found has an Error element, and its Code and Message exist as
 * elements; blanks before and after the document change nothing (S3
 * keeps connections alive with leading blanks); every upload listed has
 * a key and an upload id, and a next upload id comes with a next key;
 * every object listed has a key, an ETag and a size, and a next page
 * token is never empty; a
 * JSON error code is the part after the last '#'.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "s3list.h"
#include "s3mpu.h"
#include "xmem.h"

/* names the tools read: s3-put, sns-publish, lib/sqs.c */
static const char *const names[] = { "Error", "Code", "Message", "UploadId",
    "ETag", "MessageId", "Key" };
#define NNAMES (sizeof(names) / sizeof(names[0]))

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* ListMultipartUploadsResult: 0 or -1 (not XML when rc is -1) */
static void
mpu_check(const char *body, size_t len, int rc)
{
	struct s3mpu *u = NULL;
	size_t n = 0, i;
	char *nk, *ni;

	if (s3mpu_parse(body, len, &u, &n, &nk, &ni) == 0) {
		if (rc == -1 || (ni != NULL && nk == NULL))
			abort();
	} else if (nk != NULL || ni != NULL) {
		abort();
	}
	for (i = 0; i < n; i++)
		if (u[i].key == NULL || u[i].upload_id == NULL)
			abort();
	s3mpu_free(u, n);
	free(u);
	free(nk);
	free(ni);
}

/* ListBucketResult, v2 then v1: 0 or -1 (not XML when rc is -1) */
static void
list_check(const char *body, size_t len, int rc)
{
	struct s3obj *o;
	size_t n, i;
	char *next;
	int v1;

	for (v1 = 0; v1 < 2; v1++) {
		o = NULL;
		n = 0;
		if (s3list_parse(body, len, v1, &o, &n, &next) == 0) {
			if (rc == -1 || (next != NULL && *next == '\0'))
				abort();
		} else if (next != NULL)
			abort();
		for (i = 0; i < n; i++)
			if (o[i].key == NULL || o[i].etag == NULL ||
			    o[i].size < 0)
				abort();
		s3list_free(o, n);
		free(o);
		free(next);
	}
}

static void
json_check(const char *body, size_t len)
{
	char *code, *message;
	int rc = aws_json_error(body, len, &code, &message);

	if (rc == 1 ? code == NULL || strchr(code, '#') != NULL :
	    code != NULL || message != NULL)
		abort();
	free(code);
	free(message);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	char *code, *message, *c2, *m2, *t, *t2, *padded;
	size_t i, plen;
	int rc, rc2;

	rc = aws_xml_error(body, size, &code, &message);
	if (rc < -1 || rc > 1 || (rc != 1 && (code != NULL ||
	    message != NULL)))
		abort();
	/* the same document with blanks around it */
	plen = size + 8;
	padded = xmalloc(plen);
	memcpy(padded, " \r\n\t", 4);
	memcpy(padded + 4, body, size);
	memcpy(padded + 4 + size, "\n \r\n", 4);
	rc2 = aws_xml_error(padded, plen, &c2, &m2);
	if (rc2 != rc || !same(code, c2) || !same(message, m2))
		abort();
	free(c2);
	free(m2);
	for (i = 0; i < NNAMES; i++) {
		t = aws_xml_text(body, size, names[i]);
		t2 = aws_xml_text(padded, plen, names[i]);
		if (!same(t, t2) || (t != NULL && rc == -1))
			abort();
		/* what the error parser found is there as an element */
		if (rc == 1 && t == NULL && (i == 0 ||
		    (i == 1 && code != NULL) || (i == 2 && message != NULL)))
			abort();
		free(t);
		free(t2);
	}
	mpu_check(body, size, rc);
	list_check(body, size, rc);
	free(padded);
	free(code);
	free(message);
	json_check(body, size);
	return 0;
}
