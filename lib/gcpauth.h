/* gcpauth: Google OAuth 2.0 access tokens as Google's client libraries
 * get them: a service-account key file, the metadata server, or none */
/*
 * Sources, chosen by gcp_auth_init:
 *   - GOOGLE_APPLICATION_CREDENTIALS naming a service-account key file
 *     (JSON: "type": "service_account", "client_email", "private_key",
 *     "private_key_id", "token_uri", "project_id"): an RS256 JWT (iss the
 *     client_email, scope, aud the token_uri, iat, exp iat + 3600, kid
 *     the private_key_id) exchanged at the token_uri, whatever URL the
 *     file names (grant_type urn:ietf:params:oauth:grant-type:jwt-bearer;
 *     Google's "Using OAuth 2.0 for Server to Server Applications");
 *   - else the metadata server: GET http://$GCE_METADATA_HOST (default
 *     metadata.google.internal)/computeMetadata/v1/instance/
 *     service-accounts/default/token?scopes=SCOPE with Metadata-Flavor:
 *     Google, never through a proxy;
 *   - GCP_AUTH_NONE, which the caller asks for when an emulator is used
 *     (PUBSUB_EMULATOR_HOST: plain HTTP, no Authorization at all).
 * Tokens are fetched with http_once on the engine's retry policy
 * (HOOKPIPE_BACKOFF), kept until GCP_REFRESH_MARGIN seconds before their
 * expires_in ends, and dropped on a 401 (gcp_auth_invalidate).  Messages
 * name the key file and the token endpoint (http_url_show); never the
 * private key or a token, which are wiped when freed.  curl_global_init
 * first; one struct per thread.
 */
#ifndef GCPAUTH_H
#define GCPAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

#define GCP_SCOPE_PUBSUB "https://www.googleapis.com/auth/pubsub"
#define GCP_METADATA_HOST "metadata.google.internal"
#define GCP_REFRESH_MARGIN 60	/* a token this close to its end: anew */
#define GCP_KEYFILE_MAX 65536	/* key files are ~2.3 KiB */

enum gcp_auth_mode {
	GCP_AUTH_ENV,		/* init: key file, else metadata server */
	GCP_AUTH_NONE,		/* no token (an emulator) */
	GCP_AUTH_KEY,		/* a service-account key file */
	GCP_AUTH_METADATA	/* the metadata server */
};

struct gcp_auth {
	enum gcp_auth_mode mode;
	char *keyfile;		/* GOOGLE_APPLICATION_CREDENTIALS */
	char *email;		/* client_email */
	char *key;		/* private_key, PEM (wiped when freed) */
	char *key_id;		/* private_key_id, NULL if none */
	char *project;		/* project_id, NULL if none */
	char *token_uri;	/* the key's token_uri or the metadata URL */
	char *scope;
	char *header;		/* "Authorization: Bearer ...", NULL if none */
	int64_t expires_ms;	/* monotonic ms when the token ends */
	int64_t tried_ms;	/* when a refresh that failed began, or 0 */
	int fetches;		/* token requests made (answered or not) */
	int temp;		/* the last failure may pass (network, 5xx) */
	struct http_client http;	/* one kept-alive connection */
};

/*
 * Set a up: mode GCP_AUTH_NONE, or GCP_AUTH_ENV to read
 * GOOGLE_APPLICATION_CREDENTIALS (the key file is read and checked here,
 * its key parsed) or else GCE_METADATA_HOST; scope NULL means
 * GCP_SCOPE_PUBSUB.  Nothing is fetched yet.  Returns 0, or -1 with
 * "key file PATH: why" in err (a config error: exit 3).
 */
int gcp_auth_init(struct gcp_auth *a, enum gcp_auth_mode mode,
    const char *scope, char *err, size_t errlen);

/*
 * The "Authorization: Bearer TOKEN" header line to send (*line is a's,
 * good until the next call; NULL in GCP_AUTH_NONE mode), fetching a
 * token when there is none or it ends within GCP_REFRESH_MARGIN s.
 * Returns 0; 1 when a refresh failed but the token held is still valid
 * (err says why: a warning); -1 with err ("token endpoint URL: why")
 * and a->temp set when trying again later may help (exit 6, else 5).
 */
int gcp_auth_header(struct gcp_auth *a, const char **line, char *err,
    size_t errlen);

/* Drop the token held (the API answered 401): the next gcp_auth_header
 * fetches a new one. */
void gcp_auth_invalidate(struct gcp_auth *a);

/* Free and wipe what a holds; safe on a zeroed or freed struct. */
void gcp_auth_free(struct gcp_auth *a);

#endif
