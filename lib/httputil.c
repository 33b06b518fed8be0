/* httputil: the small HTTP helpers of the network tools: URLs checked
 * and shown without secrets, header and secret files */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "sys.h"
#include "xmem.h"

/* ---- URLs ---- */

int
http_url_check(const char *url, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	CURLUcode uc;
	char *scheme = NULL, *host = NULL, *show;
	int rc = -1;

	if (u == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	uc = curl_url_set(u, CURLUPART_URL, url, 0);
	show = http_url_show(url, 0);
	if (uc != CURLUE_OK) {
		snprintf(err, errlen, "bad URL '%s': %s", show ? show : url,
		    curl_url_strerror(uc));
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	if (scheme == NULL || (strcmp(scheme, "http") != 0 &&
	    strcmp(scheme, "https") != 0)) {
		snprintf(err, errlen, "bad URL '%s': not http or https",
		    show);
		goto out;
	}
	if (host == NULL || *host == '\0') {
		snprintf(err, errlen, "bad URL '%s': no host", show);
		goto out;
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	free(show);
	curl_url_cleanup(u);
	return rc;
}

char *
http_url_show(const char *url, int secret_path)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *r;
	struct buf b = {0};

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		/* unparsable: show what precedes any '?' and '@' */
		r = xstrndup(url, strcspn(url, "?#"));
		if (strchr(r, '@') != NULL) {
			free(r);
			r = xstrdup("(URL hidden)");
		}
		return r;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	buf_addf(&b, "%s://%s", scheme ? scheme : "http", host);
	if (port != NULL)
		buf_addf(&b, ":%s", port);
	if (secret_path)
		buf_adds(&b, "/***");
	else
		buf_adds(&b, path ? path : "/");
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return b.p;
}

char *
http_url_origin(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *r = NULL, *s;
	struct buf b = {0};

	if (u == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
	    CURLUE_OK) {
		buf_addf(&b, "%s://%s:%s", scheme, host, port);
		for (s = b.p; *s != '\0'; s++)
			*s = (char)tolower((unsigned char)*s);
		r = b.p;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return r;
}

/* ---- small helpers ---- */

int
http_header_ok(const char *line)
{
	const char *s = line;

	/* an RFC 9110 token, then ':' */
	for (; *s != '\0' && *s != ':'; s++)
		if (!isalnum((unsigned char)*s) &&
		    strchr("!#$%&'*+-.^_`|~", *s) == NULL)
			return 0;
	if (s == line || *s != ':')
		return 0;
	for (; *s != '\0'; s++)
		if (*s == '\r' || *s == '\n')
			return 0;
	return 1;
}

int
http_header_file(const char *path, struct curl_slist **list, char *err,
    size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	struct curl_slist *l;
	int rc = 0;

	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (!http_header_ok(line)) {
			/* never quote the line: it may hold a secret */
			snprintf(err, errlen, "%s:%ld: not a header line "
			    "(Name: value)", path, lineno);
			rc = -1;
			break;
		}
		if ((l = curl_slist_append(*list, line)) == NULL) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
		*list = l;
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		rc = -1;
	}
	if (line != NULL)
		memset(line, 0, cap);
	free(line);
	fclose(f);
	return rc;
}

char *
http_secret_file(const char *path, char *err, size_t errlen)
{
	struct buf b = {0};

	if ((b.p = sys_slurp(path, 0, &b.len, err, errlen)) == NULL)
		return NULL;
	b.cap = b.len + 1;
	while (b.len > 0 && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\r'
	    || b.p[b.len - 1] == ' '))
		b.p[--b.len] = '\0';
	if (b.len == 0 || memchr(b.p, '\n', b.len) != NULL ||
	    strlen(b.p) != b.len) {
		snprintf(err, errlen, "%s: %s", path, b.len == 0 ?
		    "empty" : "must hold one line");
		buf_free(&b);
		return NULL;
	}
	return b.p;
}
