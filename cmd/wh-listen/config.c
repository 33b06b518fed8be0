/* wh-listen: the per-path settings (-c), swapped whole on SIGHUP, and
 * --sns's settings */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "sys.h"
#include "wh-listen.h"

/* hosts: WH_LISTEN_SNS_HOSTS, for tests; ca_file: WH_LISTEN_SNS_CA or
 * CURL_CA_BUNDLE; topics: --sns-topic */
struct sns_config sns_cfg;

static pthread_mutex_t cf_mu = PTHREAD_MUTEX_INITIALIZER;
static struct config *cf_cur;

#define OIDC_ISS_MAX 8		/* oidc-issuer values a path may list */

/* The issuers of Pub/Sub push tokens: Google's "Authentication for push
 * subscriptions" names both spellings. */
static const char *const google_iss[] = { "https://accounts.google.com",
    "accounts.google.com" };

/* The CA bundle for fetching a JWKS: WH_LISTEN_OIDC_CA, CURL_CA_BUNDLE,
 * or NULL (the system's). */
static const char *
oidc_ca(void)
{
	const char *f = getenv("WH_LISTEN_OIDC_CA");

	if (f == NULL || *f == '\0')
		f = getenv("CURL_CA_BUNDLE");
	return f != NULL && *f != '\0' ? f : NULL;
}

void
oidc_free(struct oidc *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->niss; i++)
		free(o->iss[i]);
	free(o->iss);
	free(o->aud);
	free(o->email);
	jwks_free(o->jwks);
	free(o);
}

/*
 * r's bearer token check: the audience aud and the JWKS jwks (file or
 * https URL, read or fetched now), the issuers (none: Google's), the
 * service account's email or NULL; all NULL: none.  0, or -1 with err.
 */
int
route_oidc(struct route *r, const char *aud, const char *jwks,
    const char *const *iss, size_t niss, const char *email, char *err,
    size_t errlen)
{
	char e[JWKS_ERR_MAX];
	struct oidc *o;

	if (aud == NULL && jwks == NULL) {
		if (niss == 0 && email == NULL)
			return 0;
		snprintf(err, errlen, "oidc-issuer and oidc-email go with "
		    "oidc-audience and oidc-jwks");
		return -1;
	}
	if (aud == NULL || jwks == NULL || *aud == '\0' || *jwks == '\0') {
		snprintf(err, errlen, "oidc-audience and oidc-jwks go "
		    "together");
		return -1;
	}
	if (niss == 0) {
		iss = google_iss;
		niss = 2;
	}
	o = xcalloc(1, sizeof(*o));
	o->aud = xstrdup(aud);
	o->iss = xcalloc(niss, sizeof(*o->iss));
	for (o->niss = 0; o->niss < niss; o->niss++)
		o->iss[o->niss] = xstrdup(iss[o->niss]);
	o->email = email ? xstrdup(email) : NULL;
	if ((o->jwks = jwks_open(jwks, oidc_ca(), e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "%s", e);
		oidc_free(o);
		return -1;
	}
	r->oidc = o;
	return 0;
}

/* The secrets in the file or variable name, one a line, added to r->w
 * (each a copy of r->w[0]'s settings); 0 or -1 with err. */
static int
route_source(struct route *r, const char *name, int env, char *err,
    size_t errlen)
{
	char e[256];
	const char *text, *p;
	char *file = NULL;
	size_t len, pos = 0, n, got = 0;
	int rc = 0;

	if (!env) {
		if ((file = sys_slurp(name, 0, &len, e, sizeof(e))) == NULL)
			return sys_err(err, errlen, "secret file: %s", e);
		text = file;
	} else if ((text = getenv(name)) == NULL)
		return sys_err(err, errlen, "environment variable %s is not "
		    "set", name);
	else
		len = strlen(text);
	while (rc == 0 && whsig_next_secret(text, len, &pos, &p, &n)) {
		if (r->nw == SECRETS_MAX) {
			rc = sys_err(e, sizeof(e), "more than %d secrets",
			    SECRETS_MAX);
			break;
		}
		if (r->nw > 0)
			r->w[r->nw] = r->w[0];
		if ((rc = whsig_load_secret(&r->w[r->nw], p, n, e,
		    sizeof(e))) == 0)
			r->nw++, got++;
	}
	if (rc == 0 && got == 0)
		rc = sys_err(e, sizeof(e), "secret is empty");
	if (rc < 0)
		snprintf(err, errlen, "secret from %s %s: %s", env ?
		    "environment variable" : "file", name, e);
	if (file) {
		OPENSSL_cleanse(file, len);
		free(file);
	}
	return rc;
}

/*
 * Fill r's verification from a scheme name and the secrets' sources
 * (one at least; a delivery verifies when any secret matches).  Returns
 * 0 or -1 with err.
 */
int
route_set(struct route *r, const char *scheme,
    const struct secret_src *src, const char *hdr, const char *prefix,
    const char *enc, long tolerance, char *err, size_t errlen)
{
	char e[256];
	size_t i;
	int s;

	r->tolerance = tolerance;
	if (scheme == NULL) {
		if (src->n > 0 || hdr || prefix || enc) {
			snprintf(err, errlen, "a secret or signature header "
			    "is given without a verify scheme");
			return -1;
		}
		return 0;
	}
	if ((s = whsig_scheme(scheme)) < 0) {
		snprintf(err, errlen, "unknown verify scheme %s", scheme);
		return -1;
	}
	whsig_init(&r->w[0], s);
	r->w[0].tolerance = tolerance;
	if (s == WHSIG_HMAC_SHA256) {
		if (hdr == NULL) {
			snprintf(err, errlen, "hmac-sha256 needs a sig-header");
			return -1;
		}
		if (whsig_set_header(&r->w[0], hdr, prefix, enc, e,
		    sizeof(e)) < 0) {
			snprintf(err, errlen, "%s", e);
			return -1;
		}
	} else if (hdr || prefix || enc) {
		snprintf(err, errlen, "sig-header, sig-prefix and "
		    "sig-encoding only go with hmac-sha256");
		return -1;
	}
	if (src->n == 0) {
		snprintf(err, errlen, "verify %s needs a secret-file or "
		    "secret-env", scheme);
		return -1;
	}
	for (i = 0; i < src->n; i++)
		if (route_source(r, src->name[i], src->env[i], err,
		    errlen) < 0)
			return -1;
	r->verify = 1;
	return 0;
}

static void
config_free(struct config *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->nroutes; i++) {
		for (j = 0; j < c->routes[i].nw; j++)
			whsig_clear(&c->routes[i].w[j]);
		oidc_free(c->routes[i].oidc);
		free(c->routes[i].allow.c);
		free(c->routes[i].path);
	}
	free(c->routes);
	free(c);
}

/* An empty configuration: no -c. */
struct config *
config_new(void)
{
	struct config *c = xcalloc(1, sizeof(*c));

	c->refs = 1;
	return c;
}

static const char *
conf_str(json_t *o, const char *key, int *bad)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return NULL;
	if (!json_is_string(v)) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

/* The secret-file or secret-env setting (key) of v, a string or a list
 * of them, added to src; *bad set for another type or too many. */
static void
conf_sources(json_t *v, const char *key, int env, struct secret_src *src,
    int *bad)
{
	json_t *t = json_object_get(v, key), *x;
	size_t i;

	if (t == NULL)
		return;
	if (json_is_string(t))
		t = json_pack("[O]", t);
	else if (json_is_array(t) && json_array_size(t) > 0)
		json_incref(t);
	else {
		*bad = 1;
		return;
	}
	json_array_foreach(t, i, x) {
		if (!json_is_string(x) || src->n == SECRETS_MAX) {
			*bad = 1;
			break;
		}
		/* the strings live in v, which outlives route_set */
		src->name[src->n] = json_string_value(x);
		src->env[src->n++] = env;
	}
	json_decref(t);
}

/* v's keys are all settings a path takes: 0, or -1 with err. */
static int
settings_known(const char *file, json_t *v, int line, char *err,
    size_t errlen)
{
	static const char *keys[] = { "verify", "secret-file", "secret-env",
	    "tolerance", "sig-header", "sig-prefix", "sig-encoding", "sns",
	    "pubsub", "oidc-audience", "oidc-jwks", "oidc-issuer",
	    "oidc-email", "allow", NULL };
	const char *k;
	json_t *kv;
	size_t i;

	json_object_foreach(v, k, kv) {
		for (i = 0; keys[i] && strcmp(keys[i], k); i++)
			;
		if (keys[i] == NULL) {
			snprintf(err, errlen, "%s:%d: unknown setting %s",
			    file, conf_line(kv) ? conf_line(kv) : line, k);
			return -1;
		}
	}
	return 0;
}

/* A path's oidc- settings into r: 0, or -1 with err. */
static int
route_load_oidc(struct route *r, const char *file, const char *p,
    json_t *v, int line, char *err, size_t errlen)
{
	const char *iss[OIDC_ISS_MAX], *aud, *jw, *em;
	json_t *t = json_object_get(v, "oidc-issuer"), *x;
	char e[JWKS_ERR_MAX + 128];
	size_t n = 0, i;
	int bad = 0;

	aud = conf_str(v, "oidc-audience", &bad);
	jw = conf_str(v, "oidc-jwks", &bad);
	em = conf_str(v, "oidc-email", &bad);
	if (json_is_string(t))
		iss[n++] = json_string_value(t);
	else if (json_is_array(t) && json_array_size(t) > 0 &&
	    json_array_size(t) <= OIDC_ISS_MAX) {
		json_array_foreach(t, i, x) {
			if (!json_is_string(x))
				bad = 1;
			iss[n++] = json_string_value(x);
		}
	} else if (t != NULL)
		bad = 1;
	if (bad) {
		snprintf(err, errlen, "%s:%d: %s: oidc- settings must be "
		    "strings (oidc-issuer: one, or a list of 1 to %d)", file,
		    line, p, OIDC_ISS_MAX);
		return -1;
	}
	if (route_oidc(r, aud, jw, iss, n, em, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "%s:%d: %s: %s", file, line, p, e);
		return -1;
	}
	return 0;
}

/* A path's allow: one range or a list of them, into r->allow; 0, or -1
 * with err. */
static int
route_load_allow(struct route *r, const char *file, const char *p,
    json_t *v, int line, char *err, size_t errlen)
{
	json_t *t = json_object_get(v, "allow"), *x;
	char e[256];
	size_t i;

	if (t == NULL)
		return 0;
	if (json_is_string(t))
		return range_add(&r->allow, json_string_value(t), e,
		    sizeof(e)) < 0 ? sys_err(err, errlen, "%s:%d: %s: allow: "
		    "%s", file, line, p, e) : 0;
	if (!json_is_array(t) || json_array_size(t) == 0)
		return sys_err(err, errlen, "%s:%d: %s: allow must be an "
		    "address range or a list of them", file, line, p);
	json_array_foreach(t, i, x) {
		if (!json_is_string(x))
			return sys_err(err, errlen, "%s:%d: %s: allow must be "
			    "an address range or a list of them", file, line,
			    p);
		if (range_add(&r->allow, json_string_value(x), e,
		    sizeof(e)) < 0)
			return sys_err(err, errlen, "%s:%d: %s: allow: %s",
			    file, line, p, e);
	}
	return 0;
}

/* One path's settings v (NULL: none) into r: 0, or -1 with err. */
static int
route_load(struct route *r, const char *file, const char *p, json_t *v,
    int line, char *err, size_t errlen)
{
	struct secret_src src = { .n = 0 };
	const char *sch, *sh, *sp, *sn;
	long tol = WHSIG_TOLERANCE;
	char e[512];
	json_t *t;
	int bad = 0;

	if (settings_known(file, v, line, err, errlen) < 0)
		return -1;
	if ((t = json_object_get(v, "tolerance")) != NULL) {
		if (!json_is_integer(t) || json_integer_value(t) < 1 ||
		    json_integer_value(t) > 2000000000L) {
			snprintf(err, errlen, "%s:%d: tolerance must be "
			    "whole seconds", file, line);
			return -1;
		}
		tol = (long)json_integer_value(t);
	}
	if (((t = json_object_get(v, "sns")) != NULL && !json_is_boolean(t)) ||
	    ((t = json_object_get(v, "pubsub")) != NULL &&
	    !json_is_boolean(t))) {
		snprintf(err, errlen, "%s:%d: sns and pubsub must be true or "
		    "false", file, line);
		return -1;
	}
	sch = conf_str(v, "verify", &bad);
	sh = conf_str(v, "sig-header", &bad);
	sp = conf_str(v, "sig-prefix", &bad);
	sn = conf_str(v, "sig-encoding", &bad);
	conf_sources(v, "secret-file", 0, &src, &bad);
	conf_sources(v, "secret-env", 1, &src, &bad);
	if (bad) {
		snprintf(err, errlen, "%s:%d: settings of %s must be strings "
		    "(secret-file and secret-env: one, or a list of %d at "
		    "most)", file, line, p, SECRETS_MAX);
		return -1;
	}
	r->path = xstrdup(p);
	if (route_set(r, sch, &src, sh, sp, sn, tol, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "%s:%d: %s: %s", file, line, p, e);
		return -1;
	}
	r->sns = json_is_true(json_object_get(v, "sns"));
	r->pubsub = json_is_true(json_object_get(v, "pubsub"));
	if (r->sns && r->pubsub) {
		snprintf(err, errlen, "%s:%d: %s: sns and pubsub do not go "
		    "together", file, line, p);
		return -1;
	}
	if (route_load_allow(r, file, p, v, line, err, errlen) < 0)
		return -1;
	return route_load_oidc(r, file, p, v, line, err, errlen);
}

/* The "paths" mapping of root into c->routes: 0, or -1 with err. */
static int
paths_load(struct config *c, const char *file, json_t *root, char *err,
    size_t errlen)
{
	json_t *ps = json_object_get(root, "paths"), *v;
	const char *p;
	int line;

	if (!json_is_object(ps)) {
		snprintf(err, errlen, "%s:%d: paths must be a mapping of "
		    "paths to settings", file, ps ? conf_line(ps) : 1);
		return -1;
	}
	c->routes = xcalloc(json_object_size(ps) + 1, sizeof(*c->routes));
	json_object_foreach(ps, p, v) {
		line = conf_line(v) ? conf_line(v) : conf_line(ps);
		if (p[0] != '/') {
			snprintf(err, errlen, "%s:%d: path %s does not start "
			    "with /", file, line, p);
			return -1;
		}
		if (json_is_null(v))
			v = NULL;
		else if (!json_is_object(v)) {
			snprintf(err, errlen, "%s:%d: settings of %s must be "
			    "a mapping", file, line, p);
			return -1;
		}
		/* counted first: config_free clears what was begun */
		if (route_load(&c->routes[c->nroutes++], file, p, v, line,
		    err, errlen) < 0)
			return -1;
	}
	return 0;
}

/*
 * Load the -c file:
 *   paths:
 *     /github: {verify: github, secret-env: GITHUB_SECRET}
 * Returns the config or NULL with "file:line: problem" in err.
 */
struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct config *c;
	json_t *root, *v;
	const char *k;
	char e[512];

	if (conf_load(path, &root, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "%s", e);
		return NULL;
	}
	c = config_new();
	if (!json_is_object(root)) {
		snprintf(err, errlen, "%s:%d: not a mapping", path,
		    conf_line(root));
		goto fail;
	}
	json_object_foreach(root, k, v) {
		if (strcmp(k, "paths") != 0) {
			snprintf(err, errlen, "%s:%d: unknown key %s", path,
			    conf_line(v), k);
			goto fail;
		}
	}
	if (paths_load(c, path, root, err, errlen) < 0)
		goto fail;
	json_decref(root);
	return c;
fail:
	json_decref(root);
	config_free(c);
	return NULL;
}

struct config *
config_get(void)
{
	struct config *c;

	pthread_mutex_lock(&cf_mu);
	c = cf_cur;
	c->refs++;
	pthread_mutex_unlock(&cf_mu);
	return c;
}

void
config_put(struct config *c)
{
	int last;

	pthread_mutex_lock(&cf_mu);
	last = --c->refs == 0;
	pthread_mutex_unlock(&cf_mu);
	if (last)
		config_free(c);
}

/* Replace the current config; requests in flight keep the old one. */
void
config_swap(struct config *c)
{
	struct config *old;

	pthread_mutex_lock(&cf_mu);
	old = cf_cur;
	cf_cur = c;
	pthread_mutex_unlock(&cf_mu);
	if (old)
		config_put(old);
}

/* SIGHUP: read -c again; a bad file keeps the settings in use.  The
 * command line's JWKS is read (or fetched) again too, and the TLS
 * certificate and key. */
void
config_reload(void)
{
	struct config *c;
	char err[1024];

	tls_reload();
	if (dflt.oidc != NULL && jwks_reload(dflt.oidc->jwks, err,
	    sizeof(err)) < 0)
		msg_err("cannot reload --oidc-jwks, keeping the old keys: %s",
		    err);
	if (cfile == NULL)
		return;
	if ((c = config_load(cfile, err, sizeof(err))) == NULL)
		msg_err("cannot reload %s, keeping the old settings: %s",
		    cfile, err);
	else
		config_swap(c);
}

/* The route serving url, or NULL when the path is not served (404). */
const struct route *
route_find(const struct config *c, const char *url)
{
	size_t i;

	for (i = 0; i < c->nroutes; i++)
		if (strcmp(c->routes[i].path, url) == 0)
			return &c->routes[i];
	for (i = 0; i < npaths; i++)
		if (strcmp(paths[i], url) == 0)
			return &dflt;
	if (npaths == 0 && cfile == NULL)
		return &dflt;
	return NULL;
}

/* sns_cfg from the environment and --sns-topic */
void
sns_setup(void)
{
	if ((sns_cfg.ca_file = getenv("WH_LISTEN_SNS_CA")) == NULL ||
	    *sns_cfg.ca_file == '\0')
		sns_cfg.ca_file = getenv("CURL_CA_BUNDLE");
	if (sns_cfg.ca_file != NULL && *sns_cfg.ca_file == '\0')
		sns_cfg.ca_file = NULL;
	if ((sns_cfg.hosts = getenv("WH_LISTEN_SNS_HOSTS")) != NULL &&
	    *sns_cfg.hosts == '\0')
		sns_cfg.hosts = NULL;
	if (sns_cfg.hosts != NULL)
		msg_warn("WH_LISTEN_SNS_HOSTS is set: SNS certificates and "
		    "confirmations are fetched from %s only, a test setting",
		    sns_cfg.hosts);
	sns_cfg.topics = (const char *const *)sns_topics;
	sns_cfg.ntopics = nsns_topics;
	sns_cfg.cache = sns_cache_new();
}
