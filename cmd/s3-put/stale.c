/* s3-put: --list-uploads and --abort-stale, the incomplete uploads */
#include <stdlib.h>

#include "awsauth.h"
#include "s3mpu.h"
#include "s3-put.h"

/*
 * --list-uploads, --abort-stale: the incomplete multipart uploads under
 * the bucket and key prefix, one record each; with age >= 0, those
 * initiated at least age seconds ago are aborted.
 */
int
uploads(long age)
{
	struct s3mpu_ctx c = {0};
	struct s3mpu *u;
	size_t n, i;
	char err[1024];
	json_t *rec;
	int rc = 0, failed;

	c.creds = &opt.s3.creds;
	c.region = opt.s3.region;
	c.endpoint = opt.s3.endpoint;
	c.style = opt.s3.style;
	c.timeout = opt.timeout;
	c.retries = opt.retries;
	c.backoff_ms = opt.retry.base_ms;
	c.backoff_max_ms = opt.retry.cap_ms;
	if (s3mpu_list(&c, opt.bucket, opt.key, &u, &n, err, sizeof(err)) < 0)
		msg_die(c.temp ? EX_TEMPFAIL : EX_REMOTE, "cannot list the "
		    "multipart uploads of s3://%s/%s: %s", opt.bucket,
		    opt.key ? opt.key : "", err);
	for (i = 0; i < n && !nd_stop; i++) {
		failed = 0;
		if (age >= 0 && s3mpu_stale(&u[i], awsauth_now(), age)) {
			if (opt.nflag) {
				/* dry run: say what would go */
			} else if (s3mpu_abort(&c, opt.bucket, &u[i], err,
			    sizeof(err)) < 0) {
				msg_err("cannot abort the upload of s3://%s/%s "
				    "(upload ID %s): %s", opt.bucket, u[i].key,
				    u[i].upload_id, err);
				nd_set_status(c.temp ? EX_TEMPFAIL :
				    EX_PARTIAL);
				failed = 1;
			}
			if (failed)
				continue;
		} else if (age >= 0) {
			continue;	/* young: may still be under way */
		}
		rec = json_pack("{s:{s:s, s:s, s:s, s:s?, s:b}}", "s3_upload",
		    "bucket", opt.bucket, "key", u[i].key, "upload_id",
		    u[i].upload_id, "initiated", u[i].initiated, "aborted",
		    age >= 0 && !opt.nflag);
		if (rec == NULL) {
			msg_err("cannot write the record of s3://%s/%s: not "
			    "UTF-8", opt.bucket, u[i].key);
			nd_set_status(EX_PARTIAL);
			continue;
		}
		nd_write(rec);
		json_decref(rec);
	}
	s3mpu_free(u, n);
	free(u);
	nd_flush();
	rc = nd_status();
	return rc;
}
