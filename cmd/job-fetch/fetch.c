/* job-fetch: one transfer: its request, its bytes, its report */
#include "job-fetch.h"

static int restart(struct fetch *f, struct http_xfer *x);

static int
exists(const char *name)
{
	struct stat st;

	return fstatat(dirfd_, name, &st, 0) == 0;
}

/* the final name: --name, the server's, else the id */
char *
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
	if (f->async)
		hash_quiesce(f);
	if (f->fd >= 0) {
		close(f->fd);
		if (f->tmp[0] != '\0')
			unlinkat(dirfd_, f->tmp, 0);
	}
	EVP_MD_CTX_free(f->md);
	free(f->id);
	free(f->name);
	free(f->final);
	free(f);
}

static int
prepare(struct http_xfer *x, CURL *e)
{
	static unsigned long n;
	struct fetch *f = x->user;
	int tries = 0;

	/* a file with no name until it is complete (O_TMPFILE): nothing is
	 * left behind by a crash, and the directory changes once per file
	 * (the link), not twice (create, rename) */
	if (f->fd < 0 && anon_ok) {
		f->fd = openat(dirfd_, ".", O_TMPFILE | O_RDWR | O_CLOEXEC,
		    0666);
		if (f->fd >= 0)
			f->tmp[0] = '\0';
		else if (errno == EOPNOTSUPP || errno == EISDIR ||
		    errno == EINVAL)
			anon_ok = 0;	/* not here: named files */
	}
	/* else a name of our own, O_EXCL: no mkostemp path building and no
	 * fchmod (the mode is 0666 less the umask, as for any new file) */
	while (f->fd < 0) {
		snprintf(f->tmp, sizeof(f->tmp), ".job-fetch.%ld.%lu",
		    (long)getpid(), n++);
		f->fd = openat(dirfd_, f->tmp, O_RDWR | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0666);
		if (f->fd < 0 && (errno != EEXIST || ++tries > 100)) {
			snprintf(x->err, sizeof(x->err), "cannot create a "
			    "file in %s: %s", dir, strerror(errno));
			f->ioerr = 1;
			return -1;
		}
	}
	/* after a cut: ask for the rest, unless the server said 200 to
	 * that before (libcurl then refuses the body: CURLE_RANGE_ERROR);
	 * then the file starts over */
	if (x->prev_code == CURLE_RANGE_ERROR)
		f->norange = 1;
	if (f->norange && f->bytes > 0 && restart(f, x) < 0)
		return -1;
	curl_easy_setopt(e, CURLOPT_RESUME_FROM_LARGE,
	    (curl_off_t)(f->norange ? 0 : f->bytes));
	return 0;
}

static int
restart(struct fetch *f, struct http_xfer *x)
{
	if (f->async) {
		hash_quiesce(f);
		f->async = 0;
		f->herr = 0;
	}
	if (ftruncate(f->fd, 0) < 0 || lseek(f->fd, 0, SEEK_SET) < 0) {
		snprintf(x->err, sizeof(x->err), "cannot truncate a file in "
		    "%s: %s", dir, strerror(errno));
		f->ioerr = 1;
		return -1;
	}
	f->bytes = f->kicked = f->hashed = 0;
	EVP_DigestInit_ex(f->md, EVP_sha256(), NULL);
	return 0;
}

static int
sink(struct http_xfer *x, const char *p, size_t n)
{
	struct fetch *f = x->user;
	long long start;
	size_t done;
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
		if (x->status == 206) {
			if (x->crange == NULL || sscanf(x->crange,
			    "bytes %lld-", &start) != 1 || start != f->bytes) {
				snprintf(x->err, sizeof(x->err), "the server "
				    "resumed at the wrong place");
				return -1;
			}
		} else if (f->bytes > 0 && restart(f, x) < 0) {
			return -1;	/* a 200: it all comes again */
		}
	}
	if (!f->async && hstarted && f->bytes + (long long)n > HASH_INLINE) {
		f->async = 1;	/* from here on the hasher reads it back */
		f->hashed = f->bytes;
	}
	if (!f->async)
		EVP_DigestUpdate(f->md, p, n);
	if (sys_write_all(f->fd, p, n, &done) < 0) {
		f->bytes += (long long)done;
		snprintf(x->err, sizeof(x->err), "cannot write to %s: %s",
		    dir, strerror(errno));
		f->ioerr = 1;
		return -1;
	}
	f->bytes += (long long)n;
	/* start writeback while the bytes come (no wait): the fsync at the
	 * end then has little left, a big file streams to the disk */
	if (f->bytes - f->kicked >= KICK_BYTES) {
		sync_file_range(f->fd, f->kicked, f->bytes - f->kicked,
		    SYNC_FILE_RANGE_WRITE);
		f->kicked = f->bytes;
	}
	if (f->async)
		hash_post(f);
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
	f->fd = -1;
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
	if ((f->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(f->md, EVP_sha256(), NULL) != 1) {
		snprintf(err, errlen, "cannot start SHA-256");
		drop(x, NULL);
		x->user = NULL;
		http_xfer_free(x);
		return NULL;
	}
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
		f->x = x;
		x->ended = ended;
		atomic_store(&x->held, 1);
		commit_hold(f);
	}
	return x;
bad:
	buf_free(&b);
	buf_free(&u);
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
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char hex[2 * EVP_MAX_MD_SIZE + 1], why[512], *show, *name = NULL;
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
	if (x->result != HTTP_OK && f->ioerr) {
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
	name = f->final;	/* the committer has been */
	if (f->outcome == C_SKIPPED) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		json_object_set_new(out, "fetch", json_pack("{s:s, s:b}",
		    "path", path, "skipped", 1));
		nd_write(out);
		goto out;
	}
	if (f->outcome != C_OK) {
		snprintf(err, errlen, "%s", f->cerr[0] != '\0' ? f->cerr :
		    "the file was not committed");
		nd_set_status(EX_SYSTEM);
		rc = ND_FAIL;
		goto out;
	}
	EVP_DigestFinal_ex(f->md, md, &mdlen);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * mdlen] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fe = json_pack("{s:s, s:I, s:s, s:s?, s:s}", "path", path, "bytes",
	    (json_int_t)f->bytes, "sha256", hex, "content_type", x->ctype,
	    "url", show);
	if (fe == NULL)	/* a name that is not UTF-8 */
		fe = json_pack("{s:s, s:I, s:s}", "path", "(not UTF-8)",
		    "bytes", (json_int_t)f->bytes, "sha256", hex);
	json_object_set_new(out, "fetch", fe);
	nd_write(out);
out:
	free(show);
	json_decref(out);
	return rc;
}
