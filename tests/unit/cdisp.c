/* unit tests for lib/cdisp: RFC 6266 section 5's examples, then names
 * that try to leave the directory or carry bytes a file name must not */
#include <stdlib.h>
#include <string.h>

#include "cdisp.h"
#include "tap.h"

/* the raw filename of v, or "(none)" */
static void
raw_is(const char *v, const char *want, const char *name)
{
	char err[256], *n;

	if (cdisp_filename(v, &n, err, sizeof(err)) < 0) {
		ok(n == NULL && err[0] != '\0', "%s: refused with a reason",
		    name);
		is_str("(none)", want, name);
		return;
	}
	is_str(n, want, name);
	free(n);
}

/* the name job-fetch would use from v: filename, then made safe */
static void
safe_is(const char *v, const char *want, const char *name)
{
	char err[256], *raw, *n = NULL;

	if (cdisp_filename(v, &raw, err, sizeof(err)) == 0) {
		if (cdisp_safe_name(raw, &n, err, sizeof(err)) < 0)
			ok(n == NULL && err[0] != '\0',
			    "%s: unsafe name refused with a reason", name);
		free(raw);
	}
	is_str(n ? n : "(none)", want, name);
	free(n);
}

static void
test_rfc6266(void)
{
	/* RFC 6266 section 5, the header field values verbatim (the
	 * folded ones unfolded onto one line) */
	raw_is("Attachment; filename=example.html", "example.html",
	    "RFC 6266 5: Attachment; filename=example.html");
	raw_is("INLINE; FILENAME= \"an example.html\"", "an example.html",
	    "RFC 6266 5: INLINE; FILENAME= \"an example.html\"");
	raw_is("attachment; filename*= UTF-8''%e2%82%ac%20rates",
	    "\xe2\x82\xac rates",
	    "RFC 6266 5: filename*= UTF-8''%e2%82%ac%20rates");
	raw_is("attachment; filename=\"EURO rates\"; "
	    "filename*=utf-8''%e2%82%ac%20rates", "\xe2\x82\xac rates",
	    "RFC 6266 5: filename* is preferred to filename");
	/* RFC 8187 3.2.3's language tag */
	raw_is("attachment; filename*=UTF-8'en'%e2%82%ac%20rates",
	    "\xe2\x82\xac rates", "RFC 8187: a language tag");
	raw_is("attachment; filename*=iso-8859-1'en'%A3%20rates; "
	    "filename=\"pound rates\"", "pound rates",
	    "a charset other than UTF-8: filename= instead");
	raw_is("attachment; filename=\"a \\\"quoted\\\" name\"",
	    "a \"quoted\" name", "quoted-pair in a quoted string");
	raw_is("attachment; filename=a.txt; size=3", "a.txt",
	    "a token ends at ';'");
	raw_is("attachment; xfilename=a.txt", "(none)",
	    "a parameter that only ends in filename is not it");
	raw_is("attachment", "(none)", "no filename parameter");
	raw_is("attachment; filename=\"\"", "(none)", "an empty quoted name");
	raw_is("attachment; filename=", "(none)", "an empty token");
	raw_is("", "(none)", "an empty value");
}

static void
test_traversal(void)
{
	char err[256], *n, long_name[400];

	safe_is("attachment; filename=\"../../etc/passwd\"", "passwd",
	    "../ parts are dropped");
	safe_is("attachment; filename=\"/etc/passwd\"", "passwd",
	    "an absolute path keeps its last part");
	safe_is("attachment; filename=\"..\\\\..\\\\boot.ini\"", "boot.ini",
	    "backslash parts are dropped");
	safe_is("attachment; filename*=UTF-8''..%2F..%2Fetc%2Fshadow",
	    "shadow", "percent-encoded slashes are dropped too");
	safe_is("attachment; filename*=UTF-8''..%5Cwin.ini", "win.ini",
	    "a percent-encoded backslash is dropped");
	safe_is("attachment; filename=\"..\"", "_.", "'..' alone is not the "
	    "parent");
	safe_is("attachment; filename=.", "_", "'.' alone is not the directory");
	safe_is("attachment; filename=.bashrc", "_bashrc",
	    "no hidden file");
	safe_is("attachment; filename=\"dir/\"", "(none)",
	    "a name that is only a directory");
	safe_is("attachment; filename*=UTF-8''%00evil", "(none)",
	    "%00 first: nothing left");
	safe_is("attachment; filename*=UTF-8''good%00.sh", "good",
	    "%00 ends the name");
	safe_is("attachment; filename*=UTF-8''a%01b%1bc%7fd%0a%0de", "abcde",
	    "control bytes are dropped");
	safe_is("attachment; filename=\"a\tb\"", "ab", "a tab is dropped");
	safe_is("attachment; filename*=UTF-8''%0a%0d", "(none)",
	    "only control bytes: nothing left");
	safe_is("attachment; filename*=UTF-8''%2e%2e%2f", "(none)",
	    "an encoded ../ alone: nothing left");
	safe_is("attachment; filename=r%C3%A9sum%C3%A9.pdf",
	    "r%C3%A9sum%C3%A9.pdf", "percent signs in filename= stay as sent");

	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ok(cdisp_safe_name(long_name, &n, err, sizeof(err)) == 0 &&
	    strlen(n) == 200, "a long name is cut to 200 bytes");
	free(n);
	ok(cdisp_safe_name("", &n, err, sizeof(err)) == -1 && n == NULL &&
	    err[0] != '\0', "an empty name is refused with a reason");
	ok(cdisp_safe_name("job-42", &n, err, sizeof(err)) == 0 &&
	    strcmp(n, "job-42") == 0, "a plain name is kept");
	free(n);
}

int
main(void)
{
	int rc;

	test_rfc6266();
	test_traversal();
	rc = done_testing();
	fflush(stdout);
	return rc;
}
