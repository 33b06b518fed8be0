/* sns: the SNS API calls of the tools (query protocol) */
#include <string.h>

#include "enc.h"
#include "sns.h"

#define SNS_FORM_TYPE	"application/x-www-form-urlencoded; charset=utf-8"

int
sns_open(struct sqs_client *c, const char *explicit_url, char *err,
    size_t errlen)
{
	return sqs_open(c, "sns", explicit_url, err, errlen);
}

int
sns_query(struct sqs_client *c, const char *form, size_t len, char *err,
    size_t errlen)
{
	return sqs_post(c, SNS_FORM_TYPE, NULL, form, len, 0, 0, err, errlen);
}

/* form encoding as botocore (and moto, which re-encodes the form to
 * check the signature) does it: AWS UriEncode, but space as '+' */
static void
form_encode(struct buf *b, const char *s)
{
	const char *sp;

	while ((sp = strchr(s, ' ')) != NULL) {
		enc_pct(b, s, (size_t)(sp - s), 0);
		buf_addc(b, '+');
		s = sp + 1;
	}
	enc_pct(b, s, strlen(s), 0);
}

void
sns_form_add(struct buf *b, const char *name, const char *value)
{
	if (b->len > 0)
		buf_addc(b, '&');
	form_encode(b, name);
	buf_addc(b, '=');
	form_encode(b, value);
}
