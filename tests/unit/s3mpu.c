/* s3mpu unit test: the ListMultipartUploadsResult of the S3 API
 * Reference, pages, and which uploads are stale */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3mpu.h"
#include "xmem.h"
#include "tap.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b = { 0 };
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	buf_adds(&b, "");
	*len = b.len;
	return b.p;
}

int
main(void)
{
	struct s3mpu *u = NULL;
	size_t n = 0, len;
	char *body = slurp("tests/data/aws/s3-list-uploads.xml", &len);
	char *nk, *ni;
	const char *last = "<ListMultipartUploadsResult><IsTruncated>false"
	    "</IsTruncated><NextKeyMarker>x</NextKeyMarker><Upload><Key>a"
	    "</Key><UploadId>1</UploadId><Initiated>not a time</Initiated>"
	    "</Upload><Upload><Key>b</Key></Upload></ListMultipartUploadsResult>";
	const char *err = "<Error><Code>X</Code></Error>";
	const char *dtd = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a "
	    "\"b\">]><ListMultipartUploadsResult/>";
	time_t t0 = 1289422113;	/* 2010-11-10T20:48:33Z */

	ok(body != NULL, "fixture read");
	ok(s3mpu_parse(body, len, &u, &n, &nk, &ni) == 0, "AWS example parses");
	ok(n == 2, "two uploads (got %zu)", n);
	if (n == 2) {
		is_str(u[0].key, "my-divisor", "first key");
		is_str(u[0].upload_id,
		    "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw",
		    "first upload id");
		is_str(u[1].key, "my-movie.m2ts", "second key");
		is_str(u[0].initiated, "2010-11-10T20:48:33.000Z",
		    "Initiated as sent");
		ok(u[0].when == t0, "Initiated parsed");
		ok(s3mpu_stale(&u[0], t0 + 3600, 3600), "an hour old, age 1h: "
		    "stale");
		ok(!s3mpu_stale(&u[0], t0 + 3599, 3600), "younger than the "
		    "age: kept (may still be under way)");
		ok(s3mpu_stale(&u[0], t0, 0), "age 0: every upload");
	} else {
		int i;

		for (i = 0; i < 7; i++)
			ok(0, "skipped: no uploads");
	}
	is_str(nk, "my-movie.m2ts", "truncated: NextKeyMarker");
	is_str(ni, "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ",
	    "truncated: NextUploadIdMarker");
	free(nk);
	free(ni);
	s3mpu_free(u, n);
	free(u);
	u = NULL;
	n = 0;
	ok(s3mpu_parse(last, strlen(last), &u, &n, &nk, &ni) == 0,
	    "last page parses");
	ok(nk == NULL && ni == NULL, "not truncated: no next page");
	ok(n == 1, "an Upload without UploadId is skipped");
	ok(n == 1 && u[0].when == 0 && !s3mpu_stale(&u[0], t0, 0),
	    "an Initiated that does not parse is never stale");
	s3mpu_free(u, n);
	free(u);
	u = NULL;
	n = 0;
	ok(s3mpu_parse(err, strlen(err), &u, &n, &nk, &ni) == -1,
	    "an <Error> is not a listing");
	ok(s3mpu_parse(dtd, strlen(dtd), &u, &n, &nk, &ni) == -1,
	    "a DTD is refused");
	free(body);
	return done_testing();
}
