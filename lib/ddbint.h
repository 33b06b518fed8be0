/* ddbint: what lib/ddbstate and lib/ddbscan share: one table, one signed
 * client (lib/sqs's AWS JSON 1.0 calls), its requests */
#ifndef DDBINT_H
#define DDBINT_H

#include <pthread.h>
#include <jansson.h>

#include "sqs.h"

#define CCF	"ConditionalCheckFailedException"

struct ddbstate {
	struct sqs_client c;
	char *table;
	pthread_mutex_t mu;
};

/* One call of op with req (taken; TableName added): 0 with *resp (new
 * reference), 1 when its condition failed (a lost race, not an error),
 * -1 with err (d->c.code the AWS code). */
int ddb_call(struct ddbstate *d, const char *op, json_t *req, json_t **resp,
    char *err, size_t errlen);
/* {"k": {"S": k}} */
json_t *ddb_key(const char *k);
/* {"N": "n"} */
json_t *ddb_num(long long n);
/* item's attribute a of type ("S", "N") as a string, or NULL */
const char *ddb_attr(json_t *item, const char *a, const char *type);

#endif
