/* gcpauth unit test: key files, the metadata URL, none mode */
/*
 * Without arguments: the TAP test, run from the repository root; it
 * never touches the network (nothing is fetched).  With arguments it is
 * a driver for tests/gcpauth.t, using the environment as it finds it:
 *
 *   gcpauth drive [none] CMD...	gcp_auth_init, then each CMD:
 *     get		gcp_auth_header: prints "get RC TOKEN fetches=N"
 *			(TOKEN "-" when there is none), or "get -1
 *			fetches=N temp=T" and the error on stderr
 *     invalidate	gcp_auth_invalidate
 *     until-new SECS	get every 50 ms until the token differs from
 *			the last one: "new after N gets", or "same" on
 *			stderr when SECS pass
 *   Exit 0, 3 when init fails (its error on stderr), 1 when a get does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "gcpauth.h"
#include "sys.h"
#include "tap.h"
#include "xmem.h"

#define PEM_FILE "tests/data/jwt/rfc7515-a2.pem"

static const char *
token_of(const char *line)
{
	const char *p = line != NULL ? strstr(line, "Bearer ") : NULL;

	return p != NULL ? p + 7 : "-";
}

static int
drive_get(struct gcp_auth *a, char *last, size_t lastlen)
{
	char err[512] = "";
	const char *line;
	int rc = gcp_auth_header(a, &line, err, sizeof(err));

	if (rc == -1) {
		printf("get -1 fetches=%d temp=%d\n", a->fetches, a->temp);
		fprintf(stderr, "gcpauth: %s\n", err);
		return -1;
	}
	if (rc == 1)
		fprintf(stderr, "gcpauth: warning: %s\n", err);
	printf("get %d %s fetches=%d\n", rc, token_of(line), a->fetches);
	snprintf(last, lastlen, "%s", token_of(line));
	return 0;
}

static int
drive_until_new(struct gcp_auth *a, const char *secs, char *last,
    size_t lastlen)
{
	int64_t end = sys_now_ms() + strtol(secs, NULL, 10) * 1000;
	struct timespec ts = { 0, 50 * 1000000L };
	char was[256], err[512];
	const char *line;
	int n = 0;

	snprintf(was, sizeof(was), "%s", last);
	while (sys_now_ms() < end) {
		n++;
		if (gcp_auth_header(a, &line, err, sizeof(err)) == -1) {
			fprintf(stderr, "gcpauth: %s\n", err);
			return -1;
		}
		if (strcmp(token_of(line), was) != 0) {
			snprintf(last, lastlen, "%s", token_of(line));
			printf("new after %d gets fetches=%d\n", n,
			    a->fetches);
			return 0;
		}
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "gcpauth: same token after %s s\n", secs);
	return -1;
}

static int
drive(int argc, char **argv)
{
	struct gcp_auth a;
	char err[512], last[256] = "";
	int i = 2, rc = 0;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (argc > 2 && strcmp(argv[2], "none") == 0)
		i++;
	if (gcp_auth_init(&a, i == 3 ? GCP_AUTH_NONE : GCP_AUTH_ENV, NULL,
	    err, sizeof(err)) == -1) {
		fprintf(stderr, "gcpauth: %s\n", err);
		return 3;
	}
	for (; i < argc && rc == 0; i++) {
		if (strcmp(argv[i], "get") == 0)
			rc = drive_get(&a, last, sizeof(last));
		else if (strcmp(argv[i], "invalidate") == 0)
			gcp_auth_invalidate(&a);
		else if (strcmp(argv[i], "until-new") == 0 && i + 1 < argc)
			rc = drive_until_new(&a, argv[++i], last,
			    sizeof(last));
		else {
			fprintf(stderr, "gcpauth: unknown command %s\n",
			    argv[i]);
			rc = -1;
		}
	}
	gcp_auth_free(&a);
	curl_global_cleanup();
	return rc == 0 ? 0 : 1;
}

/* a key file at path: the RFC 7515 A.2 key's PEM with the fields given
 * (fmt gets the PEM, JSON-escaped, as its one %s) */
static void
key_file(const char *path, const char *fmt)
{
	char err[256];
	size_t len, i;
	char *pem = sys_slurp(PEM_FILE, 0, &len, err, sizeof(err));
	struct buf esc = { 0 };
	FILE *f;

	if (pem == NULL || (f = fopen(path, "w")) == NULL) {
		printf("Bail out! %s\n", pem == NULL ? err : path);
		exit(1);
	}
	for (i = 0; i < len; i++)
		if (pem[i] == '\n')
			buf_adds(&esc, "\\n");
		else
			buf_addc(&esc, pem[i]);
	fprintf(f, fmt, esc.p);
	fclose(f);
	buf_free(&esc);
	free(pem);
}

/* init with key file path; the error, or "" */
static const char *
init_err(const char *path, struct gcp_auth *a)
{
	static char err[512];

	err[0] = '\0';
	setenv("GOOGLE_APPLICATION_CREDENTIALS", path, 1);
	if (gcp_auth_init(a, GCP_AUTH_ENV, NULL, err, sizeof(err)) == 0)
		return "";
	return err;
}

/* a key file of fmt is refused: err names path, says want, not hide */
static void
refused(const char *path, const char *fmt, const char *want,
    const char *hide, const char *name)
{
	struct gcp_auth a;
	const char *e;

	key_file(path, fmt);
	e = init_err(path, &a);
	if (!ok(strstr(e, path) != NULL && strstr(e, want) != NULL &&
	    (hide == NULL || strstr(e, hide) == NULL) &&
	    strstr(e, "PRIVATE") == NULL, "%s", name))
		printf("#   err '%s', want '%s'\n", e, want);
}

#define GOOD "{\"type\": \"service_account\", \"project_id\": \"proj-1\", " \
	"\"private_key_id\": \"kid-1\", \"private_key\": \"%s\", " \
	"\"client_email\": \"sa@proj-1.iam.gserviceaccount.com\", " \
	"\"client_id\": \"1\", \"token_uri\": " \
	"\"https://oauth2.googleapis.com/token\"}"

static void
key_files(const char *dir)
{
	struct gcp_auth a;
	char path[512];
	const char *e;

	snprintf(path, sizeof(path), "%s/key.json", dir);
	key_file(path, GOOD);
	ok(*init_err(path, &a) == '\0', "a service-account key file is "
	    "taken");
	ok(a.mode == GCP_AUTH_KEY, "mode: key file");
	is_str(a.email, "sa@proj-1.iam.gserviceaccount.com", "client_email");
	is_str(a.token_uri, "https://oauth2.googleapis.com/token",
	    "token_uri as the file names it");
	is_str(a.key_id, "kid-1", "private_key_id, the JWT's kid");
	is_str(a.project, "proj-1", "project_id");
	ok(a.fetches == 0 && a.header == NULL, "nothing fetched at init");
	gcp_auth_free(&a);

	e = init_err("/nonexistent/key.json", &a);
	ok(strstr(e, "/nonexistent/key.json") != NULL &&
	    strstr(e, "cannot open") != NULL, "missing file: named (%s)", e);
	refused(path, "{\"type\": \"service_account\", \"private_key\": "
	    "\"%s\", SECRET-SYNTAX", "not a JSON object", "SECRET",
	    "not JSON: the file named, its text not shown");
	refused(path, "{\"type\": \"authorized_user\", \"x\": \"%s\"}",
	    "authorized_user is not supported", NULL, "another type: refused");
	refused(path, "{\"type\": \"service_account\", \"private_key\": "
	    "\"%s\", \"token_uri\": \"https://oauth2.googleapis.com/token\"}",
	    "no client_email", NULL, "no client_email: refused");
	refused(path, "{\"type\": \"service_account\", \"private_key\": "
	    "\"-----BEGIN PRIVATE KEY-----\\nU0VDUkVUU0VDUkVU\\n-----END "
	    "PRIVATE KEY-----\\n\", \"client_email\": \"a@b\", \"token_uri\": "
	    "\"https://oauth2.googleapis.com/token\", \"y\": \"%s\"}",
	    "private_key: not an unencrypted PEM", "U0VDUkVU",
	    "a bad private_key: the file named, the key not shown");
	refused(path, "{\"type\": \"service_account\", \"private_key\": "
	    "\"%s\", \"client_email\": \"a@b\", \"token_uri\": \"file:///x\"}",
	    "token_uri: bad URL", NULL, "a token_uri that is not http(s): "
	    "refused");
	unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
}

static void
metadata(void)
{
	struct gcp_auth a;
	char err[512] = "";
	const char *line = "x";

	unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
	unsetenv("GCE_METADATA_HOST");
	ok(gcp_auth_init(&a, GCP_AUTH_ENV, NULL, err, sizeof(err)) == 0 &&
	    a.mode == GCP_AUTH_METADATA, "no key file: the metadata server");
	is_str(a.token_uri, "http://metadata.google.internal/computeMetadata/"
	    "v1/instance/service-accounts/default/token?scopes=https%3A%2F%2F"
	    "www.googleapis.com%2Fauth%2Fpubsub", "its default URL, the "
	    "scope asked for");
	gcp_auth_free(&a);
	setenv("GCE_METADATA_HOST", "127.0.0.1:8089", 1);
	ok(gcp_auth_init(&a, GCP_AUTH_ENV, "s", err, sizeof(err)) == 0 &&
	    strcmp(a.token_uri, "http://127.0.0.1:8089/computeMetadata/v1/"
	    "instance/service-accounts/default/token?scopes=s") == 0,
	    "GCE_METADATA_HOST honoured");
	gcp_auth_free(&a);
	setenv("GCE_METADATA_HOST", "evil.example/x?", 1);
	ok(gcp_auth_init(&a, GCP_AUTH_ENV, NULL, err, sizeof(err)) == -1 &&
	    strstr(err, "GCE_METADATA_HOST") != NULL, "a GCE_METADATA_HOST "
	    "that is not host[:port]: refused");
	unsetenv("GCE_METADATA_HOST");

	setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent", 1);
	ok(gcp_auth_init(&a, GCP_AUTH_NONE, NULL, err, sizeof(err)) == 0 &&
	    gcp_auth_header(&a, &line, err, sizeof(err)) == 0 &&
	    line == NULL && a.fetches == 0, "none (an emulator): no header, "
	    "no key file read, nothing fetched");
	gcp_auth_free(&a);
	unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/gcpauth-unit.XXXXXX", path[600];

	if (argc > 1 && strcmp(argv[1], "drive") == 0)
		return drive(argc, argv);
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	key_files(dir);
	metadata();
	snprintf(path, sizeof(path), "%s/key.json", dir);
	unlink(path);
	rmdir(dir);
	curl_global_cleanup();
	return done_testing();
}
