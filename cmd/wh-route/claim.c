/* wh-route: remember and recall in the state file, --settle */
#include "wh-route.h"

/* the state file, when a route remembers or recalls */
void
open_state(const char *file, const char *path)
{
	char err[1024];
	size_t i;
	int need = 0;

	for (i = 0; i < rules.n; i++)
		if (rules.route[i].remember || rules.route[i].recall)
			need = 1;
	if (!need)
		return;
	if (path == NULL)
		path = rules.state;
	if (path == NULL)
		msg_die(EX_CONFIG, "%s: routes remember or recall, but no "
		    "state file is given (state: or --state)", file);
	if ((state = state_open(path, state_flags, err, sizeof(err))) ==
	    NULL)
		msg_die(EX_CONFIG, "cannot open state file %s: %s", path,
		    err);
}

/*
 * recall: the stored value for the route's key, or NULL (no match).  With
 * forget, the entry is claimed, not deleted: *claim is {"key", "id"} for
 * the record to carry to wh-route --settle at the end of the pipeline.
 */
int
recall(const struct rules_route *rt, json_t *rec, json_t **val,
    json_t **claim, char *err, size_t errlen)
{
	struct buf key = {0};
	char *v, id[STATE_CLAIM_LEN];
	int rc;

	*val = *claim = NULL;
	if (tmpl_render(rt->recall, rec, &key, err, errlen) < 0) {
		buf_free(&key);
		return -1;
	}
	if (rt->forget)
		rc = state_claim(state, key.p, lease, time(NULL), &v, id, err,
		    errlen);
	else
		rc = state_get(state, key.p, time(NULL), &v, err, errlen);
	if (rc == 0 && v != NULL && rt->forget)
		*claim = json_pack("{s:s, s:s}", "key", key.p, "id", id);
	buf_free(&key);
	if (rc < 0)
		return -1;
	if (v != NULL) {
		*val = bignum_loads(v, JSON_DECODE_ANY, NULL);
		if (*val == NULL)
			*val = json_string(v);
		free(v);
	}
	return 0;
}

/* --settle: a record that made it to the end of the pipeline settles
 * its claim; every record is passed on */
static int
settle_one(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	json_t *c = json_object_get(r->obj, "claim");
	json_t *k = json_object_get(c, "key"), *id = json_object_get(c, "id");
	int settled;

	(void)arg;
	if (c != NULL && (!json_is_string(k) || !json_is_string(id))) {
		snprintf(err, errlen, "claim is not {\"key\": ..., \"id\": "
		    "...}");
		return ND_FAIL;
	}
	if (c != NULL && state_settle(state, json_string_value(k),
	    json_string_value(id), &settled, err, errlen) < 0)
		return ND_FAIL;
	nd_write_raw(r->line, r->len);
	return 0;
}

int
remember(const struct rules_route *rt, json_t *rec, char *err, size_t errlen)
{
	struct buf key = {0};
	json_t *v;
	char *text;
	int rc = -1;

	if (tmpl_render(rt->remember, rec, &key, err, errlen) < 0)
		goto out;
	if ((v = jtmpl_render(rt->rvalue, rec, err, errlen)) == NULL)
		goto out;
	text = bignum_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	rc = state_put(state, key.p, text, rt->ttl, time(NULL), err, errlen);
	free(text);
out:
	buf_free(&key);
	return rc;
}

/* wh-route --settle --state file */
int
settle_main(const char *statefile, int routing, const char *errors,
    char **files, int nfiles, struct nd_opts *o)
{
	char err[1024];
	int rc;

	if (routing) {
		msg_err("--settle goes without -c and -w");
		msg_usage(usage);
	}
	if (statefile == NULL) {
		msg_err("--settle needs the --state file");
		msg_usage(usage);
	}
	if (errors != NULL && nd_errors_open(errors, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	if ((state = state_open(statefile, state_flags, err, sizeof(err))) ==
	    NULL)
		msg_die(EX_CONFIG, "cannot open state file %s: %s", statefile,
		    err);
	rc = nd_run(files, nfiles, settle_one, NULL, o);
	state_close(state);
	return rc;
}
