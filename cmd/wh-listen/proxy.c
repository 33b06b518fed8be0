/* wh-listen: who sent a request: the peer, or with --trusted-proxy the
 * client its proxies report (X-Forwarded-For or Forwarded); and
 * --allow's address ranges, the command line's or a path's */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wh-listen.h"

struct cidr_set trusted;	/* --trusted-proxy */
struct cidr_set allow;		/* --allow, for paths without their own */
int proxy_header = CIDR_XFF;	/* --proxy-header */

/* Add the range s to set; 0, or -1 with err. */
int
range_add(struct cidr_set *set, const char *s, char *err, size_t errlen)
{
	struct cidr c;

	if (cidr_parse(&c, s, err, errlen) < 0)
		return -1;
	set->c = xrealloc(set->c, (set->n + 1) * sizeof(*set->c));
	set->c[set->n++] = c;
	return 0;
}

struct joined {
	const char *name;
	struct buf b;
};

/* The lines of one header, joined with commas (RFC 9110 5.3). */
static void
join_cb(void *cls, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	struct joined *j = cls;

	if (strlen(j->name) != klen || strncasecmp(key, j->name, klen) != 0)
		return;
	if (j->b.len > 0)
		buf_addc(&j->b, ',');
	buf_add(&j->b, val ? val : "", val ? vlen : 0);
}

/* q->addr, the client, and q->peer, the socket's peer. */
void
proxy_client(struct req *q)
{
	struct joined j = { proxy_header == CIDR_FORWARDED ? "forwarded" :
	    "x-forwarded-for", { 0 } };
	unsigned char peer[16], out[16];

	srv_remote(q->conn, q->peer, sizeof(q->peer));
	memcpy(q->addr, q->peer, sizeof(q->addr));
	if (cidr_addr(q->peer, strlen(q->peer), peer) < 0)
		return;		/* "unknown": neither trusted nor allowed */
	q->have_addr = 1;
	memcpy(q->a, peer, 16);
	if (trusted.n == 0 || !cidr_match(trusted.c, trusted.n, peer))
		return;
	srv_each(q->conn, 0, join_cb, &j);
	cidr_client(proxy_header, j.b.p, j.b.len, trusted.c, trusted.n,
	    peer, out);
	buf_free(&j.b);
	memcpy(q->a, out, 16);
	cidr_format(out, q->addr);
}

/* Is q's client allowed on its path?  The path's --allow (-c allow:),
 * else the command line's; none: every address. */
int
proxy_allowed(const struct req *q)
{
	const struct cidr_set *s = q->rt->allow.n > 0 ? &q->rt->allow :
	    &allow;

	if (s->n == 0)
		return 1;
	return q->have_addr && cidr_match(s->c, s->n, q->a);
}
