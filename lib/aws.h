/*
 * aws: the AWS basics every AWS tool shares, one header for the modules
 * that own them: lib/awscfg.c (the shared files, profiles, region,
 * endpoints), lib/awscreds.c (credentials), lib/s3.c (S3 addressing,
 * the multipart ETag, an S3 tool's set-up), lib/awsxml.c (XML and JSON
 * answers, error bodies, ISO 8601 times).
 */
#ifndef AWS_H
#define AWS_H

#include <stddef.h>
#include <time.h>

/*
 * Everything here reads the environment and the shared files the way the
 * AWS CLI does.  Files: AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials,
 * sections [name]) and AWS_CONFIG_FILE (~/.aws/config, sections [default]
 * and [profile name]).  A profile argument NULL means AWS_PROFILE, else
 * "default".  Network (container, IMDS) uses libcurl: call
 * curl_global_init() first.
 */

#define AWS_REFRESH_MARGIN 300	/* refresh this many seconds early */

/* Credentials and where they came from. */
struct aws_creds {
	char *key;		/* access key id */
	char *secret;		/* secret access key */
	char *token;		/* session token, NULL if none */
	time_t expires;		/* 0: they do not expire */
	const char *source;	/* "env", "profile", "container", "imds" */
	char *profile;		/* the profile argument, kept for refresh */
	time_t tried;		/* last refresh attempt */
};

/*
 * Find credentials, first found wins: AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), skipped when profile is
 * given explicitly; the profile in the credentials file, then in the
 * config file; container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
 * or _FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)); EC2 IMDSv2
 * (AWS_EC2_METADATA_DISABLED, AWS_EC2_METADATA_SERVICE_ENDPOINT(_MODE),
 * AWS_EC2_METADATA_V1_DISABLED; 1 s timeouts, so off EC2 this costs up to
 * a second before failing).  c is overwritten (free it before reuse).
 */
int aws_creds_load(struct aws_creds *c, const char *profile, char *err,
    size_t errlen);

/*
 * For long runs: when c expires within AWS_REFRESH_MARGIN of now, load
 * again.  Returns 1 if refreshed, 0 if not needed, -1 on failure, in
 * which case c is left as it was (usable until c->expires).
 */
int aws_creds_refresh(struct aws_creds *c, time_t now, char *err,
    size_t errlen);

/* Free what c holds; safe on a zeroed or freed struct. */
void aws_creds_free(struct aws_creds *c);

/* The profile name in force: profile, AWS_PROFILE or "default". */
const char *aws_profile_name(const char *profile);

/*
 * A setting of the profile in the config file, malloc'd, or NULL.  Nested
 * settings are named parent.child: "s3.addressing_style".
 */
char *aws_config_get(const char *profile, const char *name);

/* Region: AWS_REGION, AWS_DEFAULT_REGION, profile region, us-east-1. */
char *aws_region(const char *profile);

/*
 * Endpoint URL of service ("s3", "sqs", "sns"), malloc'd into *url without
 * a trailing '/'; region NULL means aws_region(profile).  Order: explicit
 * (an option) if not NULL, else
 * AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's services
 * section, the profile's endpoint_url (all four skipped when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or ignore_configured_endpoint_urls
 * is true), else https://<service>.<region>.amazonaws.com (".com.cn" for
 * cn- regions).  Fails on a URL that is not http(s)://host...
 */
int aws_endpoint(char **url, const char *service, const char *region,
    const char *explicit_url, const char *profile, char *err, size_t errlen);

/* S3 addressing styles. */
enum { AWS_S3_AUTO, AWS_S3_PATH, AWS_S3_VIRTUAL };

/* "auto", "path", "virtual" (NULL: auto) to AWS_S3_*, -1 if unknown. */
int aws_s3_style(const char *s);

/* Where an S3 request goes. */
struct aws_s3_loc {
	char *url;		/* scheme://host[:port]/path, no query */
	char *host;		/* Host header: host[:port], default port
				 * left out as curl does */
	char *path;		/* percent-encoded path: request line and
				 * sigv4_req.path */
	int path_style;		/* 1 if the bucket is in the path */
};

/*
 * Address bucket/key at endpoint (from aws_endpoint).  AWS_S3_AUTO picks
 * path style for endpoints outside amazonaws.com, IP addresses, and
 * bucket names that are not plain DNS labels (dots, upper case, '_');
 * virtual-hosted style otherwise.  bucket NULL: the service ("/"); key
 * NULL: the bucket itself.  The key is raw; it is encoded here.
 */
int aws_s3_address(struct aws_s3_loc *loc, const char *endpoint,
    const char *bucket, const char *key, int style, char *err,
    size_t errlen);

/* Free what loc holds. */
void aws_s3_loc_free(struct aws_s3_loc *loc);

/*
 * S3 multipart ETag from the parts' MD5 sums (16 bytes each, in order):
 * hex MD5 of their concatenation, "-", the part count; out >= 48 bytes.
 */
void aws_s3_etag_multipart(const unsigned char *md5s, size_t nparts,
    char *out, size_t outlen);

/*
 * What an S3 tool sets up before its first request (s3-put, s3-sign):
 * region (aws_region), endpoint (aws_endpoint of "s3", explicit_url
 * first) and its scheme, the addressing style of the profile's
 * s3.addressing_style, and with want_creds the credentials
 * (aws_creds_load).  Returns 0, or -1 with err, the message to stop
 * with.  Call curl_global_init() first.
 */
struct aws_s3_conf {
	char *region;
	char *endpoint;
	const char *scheme;	/* "http" or "https" */
	int style;		/* AWS_S3_* */
	struct aws_creds creds;	/* zero when not loaded */
};
int aws_s3_conf_load(struct aws_s3_conf *s, const char *explicit_url,
    int want_creds, char *err, size_t errlen);

/* Free what s holds. */
void aws_s3_conf_free(struct aws_s3_conf *s);

/*
 * Parse an AWS XML error: S3's <Error> (also inside a 200 answer to
 * CompleteMultipartUpload) or SQS/SNS's <ErrorResponse><Error>.  Returns
 * 1 if body is an error document, with *code and *message malloc'd (NULL
 * when absent), 0 if it is XML but no error, -1 if it is not XML.
 */
int aws_xml_error(const char *body, size_t len, char **code,
    char **message);

/*
 * Walk an AWS XML body with expat: any DTD refused, leading blanks
 * skipped (S3 sends some before a late <Error>), element names without
 * their namespace ("Key").  on_open (may be NULL) is called at each
 * start tag with its depth (the root is 1); on_close at its end tag with
 * text, all the character data inside the element, its children's
 * included, entities decoded, and leaf 1 when it has no child element.
 * arg is passed to both.  Returns 0, or -1 if body is not well-formed
 * XML or has a DTD.
 */
typedef void aws_xml_open_fn(void *arg, int depth, const char *name);
typedef void aws_xml_close_fn(void *arg, int depth, const char *name,
    const char *text, int leaf);
int aws_xml_walk(const char *body, size_t len, aws_xml_open_fn *on_open,
    aws_xml_close_fn *on_close, void *arg);

/*
 * Text of the first element called name at any depth, namespaces
 * ignored and entities decoded ("UploadId", "ETag"), malloc'd; NULL if
 * absent or not XML.
 */
char *aws_xml_text(const char *body, size_t len, const char *name);

/*
 * Parse an AWS JSON-protocol error ({"__type":"com.amazonaws.sqs#X",
 * "message":...}): 1 with *code ("X") and *message malloc'd, 0 if JSON
 * without __type, -1 if not JSON.
 */
int aws_json_error(const char *body, size_t len, char **code,
    char **message);

/* Parse an ISO 8601 UTC time ("2026-11-23T01:02:03Z", fractions and
 * +hh:mm allowed) into *t. */
int aws_parse_time(const char *s, time_t *t);

#endif
