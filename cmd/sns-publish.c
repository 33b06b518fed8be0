/* sns-publish: publish each record to an SNS topic */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arg.h"
#include "bignum.h"
#include "httprun.h"
#include "msg.h"
#include "nd.h"
#include "sns.h"
#include "sqs.h"
#include "tmpl.h"
#include "xmem.h"

static const char usage[] =
    "usage: sns-publish [-ehV] --topic arn [--subject template] "
    "[--message template] [--attr name=template]... [--endpoint url] "
    "[--errors file] [--max-line bytes] [file ...]";

#define SNS_MAX 262144		/* bytes of a message with its attributes */
#define SUBJECT_MAX 100


static struct sqs_client cl;
static struct tmpl *ttopic, *tsubject, *tmessage;
static struct tmpl_attr *attrs;
static size_t nattrs;

/* errors about the request as a whole: the next record fares no better */
static int
fatal_code(const char *code)
{
	static const char *const f[] = {
		"SignatureDoesNotMatch", "InvalidClientTokenId",
		"UnrecognizedClientException", "AccessDenied",
		"AccessDeniedException", "AuthorizationError",
		"InvalidAccessKeyId", "MissingAuthenticationToken",
		"ExpiredToken", "IncompleteSignature", "NotFound",
		"InvalidAction", "OptInRequired", NULL
	};
	int i;

	if (*code == '\0')
		return 1;
	for (i = 0; f[i] != NULL; i++)
		if (strcmp(code, f[i]) == 0)
			return 1;
	return 0;
}

static int
publish_one(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	struct buf form = {0};
	char *topic = NULL, *message = NULL, *s, name[96], why[1024];
	char *mid;
	size_t size, i;
	int rc = ND_FAIL;

	(void)arg;
	if ((topic = tmpl_string(ttopic, r->obj, err, errlen)) == NULL)
		goto out;
	if (tmessage != NULL)
		message = tmpl_string(tmessage, r->obj, err, errlen);
	else
		message = bignum_dumps(r->obj, JSON_COMPACT);
	if (message == NULL)
		goto out;
	if (*message == '\0') {
		snprintf(err, errlen, "empty message");
		goto out;
	}
	size = strlen(message);
	sns_form_add(&form, "Action", "Publish");
	sns_form_add(&form, "Version", "2010-03-31");
	sns_form_add(&form, "TopicArn", topic);
	sns_form_add(&form, "Message", message);
	if (tsubject != NULL) {
		if ((s = tmpl_string(tsubject, r->obj, err,
		    errlen)) == NULL)
			goto out;
		if (strlen(s) > SUBJECT_MAX || *s == '\0') {
			snprintf(err, errlen, "subject is %zu bytes: SNS "
			    "wants 1 to %d", strlen(s), SUBJECT_MAX);
			free(s);
			goto out;
		}
		sns_form_add(&form, "Subject", s);
		free(s);
	}
	for (i = 0; i < nattrs; i++) {
		if ((s = tmpl_string(attrs[i].t, r->obj, err,
		    errlen)) == NULL)
			goto out;
		size += strlen(attrs[i].name) + strlen("String") + strlen(s);
		snprintf(name, sizeof(name),
		    "MessageAttributes.entry.%zu.Name", i + 1);
		sns_form_add(&form, name, attrs[i].name);
		snprintf(name, sizeof(name),
		    "MessageAttributes.entry.%zu.Value.DataType", i + 1);
		sns_form_add(&form, name, "String");
		snprintf(name, sizeof(name),
		    "MessageAttributes.entry.%zu.Value.StringValue", i + 1);
		sns_form_add(&form, name, s);
		free(s);
	}
	if (size > SNS_MAX) {
		snprintf(err, errlen, "message is %zu bytes, over the SNS "
		    "limit of %d (256 KiB)", size, SNS_MAX);
		goto out;
	}
	if (sns_query(&cl, form.p, form.len, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "cannot publish to %s: %s", topic, why);
		/* a temporary failure fails this record, reported and
		 * ready to replay; the next may get through */
		rc = http_record_fail(HTTP_OK, cl.fail == SQS_FAIL_TEMP,
		    cl.fail != SQS_FAIL_TEMP && fatal_code(cl.code));
		goto out;
	}
	mid = aws_xml_text(cl.resp.p ? cl.resp.p : "", cl.resp.len,
	    "MessageId");
	if (mid == NULL) {
		snprintf(err, errlen, "no MessageId in the answer from %s",
		    cl.endpoint);
		goto out;
	}
	json_object_set_new(r->obj, "sns_published",
	    json_pack("{s:s}", "message_id", mid));
	free(mid);
	nd_write(r->obj);
	rc = 0;
out:
	buf_free(&form);
	free(topic);
	free(message);
	return rc;
}

int
main(int argc, char *argv[])
{
	enum { O_TOPIC = 256, O_SUBJECT, O_MESSAGE, O_ATTR, O_ENDPOINT,
	    O_ERRORS };
	static const struct option longopts[] = {
		{"topic", required_argument, NULL, O_TOPIC},
		{"subject", required_argument, NULL, O_SUBJECT},
		{"message", required_argument, NULL, O_MESSAGE},
		{"attr", required_argument, NULL, O_ATTR},
		{"endpoint", required_argument, NULL, O_ENDPOINT},
		{"errors", required_argument, NULL, O_ERRORS},
		ND_LONGOPT_MAX_LINE,
		ND_LONGOPTS_COMMON,
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	struct nd_opts o;
	struct sqs_setup s = { .service = "sns", .on_retry = msg_retry };
	char err[1024];
	int c, rc, code;

	msg_prog = "sns-publish";
	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "ehV", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': o.eflag = 1; break;
		case O_TOPIC:
			ttopic = arg_tmpl("--topic", optarg, usage);
			break;
		case O_SUBJECT:
			tsubject = arg_tmpl("--subject", optarg, usage);
			break;
		case O_MESSAGE:
			tmessage = arg_tmpl("--message", optarg, usage);
			break;
		case O_ATTR:
			if (tmpl_attr_add(&attrs, &nattrs, optarg, err,
			    sizeof(err)) == -1)
				arg_bad("--attr", err, usage);
			break;
		case O_ENDPOINT: s.endpoint = optarg; break;
		case O_ERRORS: s.errors = optarg; break;
		case ND_OPT_MAX_LINE:
			nd_max_line_opt(optarg, usage);
			break;
		ND_CASES_COMMON
			nd_common_opt(c, optarg, usage);
			break;
		case 'h': msg_help(usage);
		case 'V': msg_version();
		default: msg_usage(usage);
		}
	}
	if (ttopic == NULL)
		msg_usage(usage);
	if (nattrs > 10)
		msg_die(EX_USAGE, "at most 10 --attr (an SNS limit)");
	if (sqs_setup(&cl, &s, &code, err, sizeof(err)) == -1)
		msg_die(code, "%s", err);
	rc = nd_run(argv + optind, argc - optind, publish_one, NULL, &o);
	tmpl_attrs_free(attrs, nattrs);
	tmpl_free(ttopic);
	tmpl_free(tsubject);
	tmpl_free(tmessage);
	sqs_close(&cl);
	curl_global_cleanup();
	return rc;
}
