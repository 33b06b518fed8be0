/* job-fetch: one transfer: its request, its bytes, its report */
#include "job-fetch.h"

static int
exists(const char *name)
{
	struct stat st;

	return fstatat(fdir.fd, name, &st, 0) == 0;
}

/* the final name: --name, the server's, else the id */
static char *
final_name(struct fetch *f, struct http_xfer *x)
{
	char *n = NULL, *d, err[128];

	if (f->name != NULL)
		return xstrdup(f->name);
	if (x->cdisp != NULL &&
	    cdisp_filename(x->cdisp, &d, err, sizeof(err)) == 0) {
		(void)cdisp_safe_name(d, &n, err, sizeof(err));
		free(d);
	}
	if (n == NULL)
		(void)cdisp_safe_name(f->id, &n, err, sizeof(err));
	return n ? n : xstrdup("output");
}

void
drop(struct http_xfer *x, void *arg)
{
	struct fetch *f = x->user;

	(void)arg;
	if (f == NULL)
		return;
	fetchfile_drop(&f->ff);
	free(f->id);
	free(f->name);
	free(f);
}

static int
prepare(struct http_xfer *x, CURL *e)
{
	struct fetch *f = x->user;

	return fetchfile_resume(&f->ff, x, e);
}

/* the transfer ended (loop thread): a file to keep goes to be synced
 * and committed under its final name */
static void
ended(struct http_xfer *x)
{
	struct fetch *f = x->user;
	int keep;

	keep = x->result == HTTP_OK && x->status >= 200 &&
	    x->status <= 299 && f->ff.fd >= 0;
	if (keep)
		f->ff.final = final_name(f, x);
	fetchfile_ended(&f->ff, keep);
}

static int
sink(struct http_xfer *x, const char *p, size_t n)
{
	struct fetch *f = x->user;
	char *name;

	if (x->sink_first) {
		if (skip_existing && f->name == NULL) {
			name = final_name(f, x);
			if (exists(name)) {
				f->skipped = 1;
				f->name = name;
				return 1;
			}
			free(name);
		}
		if (fetchfile_answer(&f->ff, x) < 0)
			return -1;
	}
	if (fetchfile_write(&f->ff, p, n, x->err, sizeof(x->err)) < 0) {
		f->ff.ioerr = 1;
		return -1;
	}
	return 0;
}

struct http_xfer *
build(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	struct http_xfer *x;
	struct fetch *f;
	struct buf b = {0}, u = {0};
	const struct curl_slist *l;

	(void)arg;
	f = xcalloc(1, sizeof(*f));
	if (fetchfile_init(&f->ff, &fdir, 0, err, errlen) < 0) {
		free(f);
		return NULL;
	}
	if (tmpl_render(idt, r->obj, &b, err, errlen) < 0) {
		if (urlt != NULL) {	/* the id only names the file */
			buf_reset(&b);
			buf_adds(&b, "output");
		}
		else
			goto bad;
	}
	f->id = b.p ? b.p : xstrdup("");
	memset(&b, 0, sizeof(b));
	if (urlt != NULL) {
		if (tmpl_render(urlt, r->obj, &u, err, errlen) < 0)
			goto bad;
	} else {
		if (f->id[0] == '\0') {
			snprintf(err, errlen, "empty job id");
			goto bad;
		}
		buf_addf(&u, "%s/v1/jobs/", api);
		enc_pct(&u, f->id, strlen(f->id), 0);
		buf_adds(&u, "/output");
	}
	if (http_url_check(u.p ? u.p : "", err, errlen) < 0)
		goto bad;
	if (namet != NULL) {
		if (tmpl_render(namet, r->obj, &b, err, errlen) < 0)
			goto bad;
		if (cdisp_safe_name(b.p ? b.p : "", &f->name, err,
		    errlen) < 0) {
			snprintf(err, errlen, "name template '%s' gave no "
			    "usable name", tmpl_text(namet));
			goto bad;
		}
		buf_free(&b);
	}
	x = http_xfer_new();
	x->url = u.p;
	x->follow = 1;
	x->user = f;
	x->sink = sink;
	x->prepare = prepare;
	if (token != NULL) {
		buf_addf(&b, "Authorization: Bearer %s", token);
		x->secret = curl_slist_append(x->secret, b.p);
		memset(b.p, 0, b.len);
		buf_free(&b);
	}
	for (l = secret; l != NULL; l = l->next)
		x->secret = curl_slist_append(x->secret, l->data);
	if (nflag) {
		x->done = 1;
		x->result = HTTP_SKIPPED;
	} else if (skip_existing && f->name != NULL && exists(f->name)) {
		f->skipped = 1;
		x->done = 1;
		x->result = HTTP_SKIPPED;
	} else {
		/* held until the committer has had its turn on it */
		x->ended = ended;
		fetchfile_hold(&f->ff, x);
	}
	return x;
bad:
	buf_free(&b);
	buf_free(&u);
	fetchfile_drop(&f->ff);
	free(f->id);
	free(f->name);
	free(f);
	return NULL;
}

int
done(struct nd_rec *r, struct http_xfer *x, void *arg, char *err,
    size_t errlen)
{
	struct fetch *f = x->user;
	char why[512], *show, *name = NULL;
	char path[4096];
	json_t *out, *fe;
	int rc = 0;

	(void)arg;
	show = http_url_show(x->final_url ? x->final_url : x->url, 0);
	out = json_copy(r->obj);
	if (nflag) {
		json_t *req = json_object(), *h = json_array();
		const struct curl_slist *l;
		char *c;

		json_object_set_new(req, "method", json_string("GET"));
		json_object_set_new(req, "url", json_string(x->url));
		for (l = x->secret; l != NULL; l = l->next) {
			c = strchr(l->data, ':');
			json_array_append_new(h, json_sprintf("%.*s: ***",
			    (int)(c - l->data), l->data));
		}
		json_object_set_new(req, "headers", h);
		json_object_set_new(out, "request", req);
		nd_write(out);
		goto out;
	}
	if (f->skipped) {
		snprintf(path, sizeof(path), "%s/%s", dir, f->name);
		json_object_set_new(out, "fetch", json_pack("{s:s, s:b}",
		    "path", path, "skipped", 1));
		nd_write(out);
		goto out;
	}
	if (x->result != HTTP_OK && f->ff.ioerr) {
		snprintf(err, errlen, "job %s: %s", f->id, x->err);
		nd_set_status(EX_SYSTEM);
		rc = ND_FAIL;
		goto out;
	}
	if (x->result != HTTP_OK) {
		snprintf(err, errlen, "cannot fetch job %s from %s: %s",
		    f->id, show, http_reason(x, why, sizeof(why)));
		rc = http_record_fail(x->result, 0, 0);
		goto out;
	}
	if (x->status < 200 || x->status > 299) {
		if (x->status == 404 || x->status == 410)
			snprintf(err, errlen, "job %s is expired or missing "
			    "(HTTP %ld from %s)", f->id, x->status, show);
		else
			snprintf(err, errlen, "cannot fetch job %s: HTTP %ld "
			    "from %s", f->id, x->status, show);
		rc = http_status_fail(x->status);
		goto out;
	}
	name = f->ff.final;	/* the committer has been */
	if (f->ff.outcome == FETCHFILE_SKIPPED) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		json_object_set_new(out, "fetch", json_pack("{s:s, s:b}",
		    "path", path, "skipped", 1));
		nd_write(out);
		goto out;
	}
	if (f->ff.outcome != FETCHFILE_OK) {
		snprintf(err, errlen, "%s", f->ff.cerr[0] != '\0' ? f->ff.cerr :
		    "the file was not committed");
		nd_set_status(EX_SYSTEM);
		rc = ND_FAIL;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fe = json_pack("{s:s, s:I, s:s, s:s?, s:s}", "path", path, "bytes",
	    (json_int_t)f->ff.bytes, "sha256", f->ff.sha256, "content_type", x->ctype,
	    "url", show);
	if (fe == NULL)	/* a name that is not UTF-8 */
		fe = json_pack("{s:s, s:I, s:s}", "path", "(not UTF-8)",
		    "bytes", (json_int_t)f->ff.bytes, "sha256", f->ff.sha256);
	json_object_set_new(out, "fetch", fe);
	nd_write(out);
out:
	free(show);
	json_decref(out);
	return rc;
}
