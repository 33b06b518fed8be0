/* wh-listen: the TLS certificate and key, given to libmicrohttpd by its
 * certificate callback so that SIGHUP can swap them on the running
 * server: each new handshake gets the pair current then, connections up
 * already keep theirs.  The one file that knows GnuTLS, the library
 * libmicrohttpd does TLS with (Debian's libmicrohttpd-dev pulls in its
 * headers); it has no call to change the certificate of a running daemon. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "sys.h"
#include "wh-listen.h"

#define CHAIN_MAX 16		/* certificates in a chain file */

/* A certificate chain and its key, current or retired. */
struct cert {
	gnutls_pcert_st pc[CHAIN_MAX];
	unsigned npc;
	gnutls_privkey_t key;
	unsigned long until;	/* retired: the generation replacing it */
	struct cert *next;	/* the retired, newest first */
};

/* GnuTLS keeps no copy of what the callback hands it: a retired pair
 * lives until no connection older than its replacement is left. */
static pthread_mutex_t tls_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cert *cur, *retired;
static unsigned long gen;	/* bumped at each swap */

static void
cert_free(struct cert *c)
{
	unsigned i;

	for (i = 0; i < c->npc; i++)
		gnutls_pcert_deinit(&c->pc[i]);
	if (c->key)
		gnutls_privkey_deinit(c->key);
	free(c);
}

/* Does c's key belong to its first certificate?  0, or -1 with err. */
static int
cert_match(struct cert *c, char *err, size_t errlen)
{
	gnutls_datum_t a = { NULL, 0 }, b = { NULL, 0 };
	gnutls_pubkey_t pk = NULL;
	int ok;

	ok = gnutls_pubkey_init(&pk) == 0 &&
	    gnutls_pubkey_import_privkey(pk, c->key, 0, 0) == 0 &&
	    gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, &a) == 0 &&
	    gnutls_pubkey_export2(c->pc[0].pubkey, GNUTLS_X509_FMT_DER,
	    &b) == 0 && a.size == b.size && memcmp(a.data, b.data,
	    a.size) == 0;
	gnutls_free(a.data);
	gnutls_free(b.data);
	if (pk)
		gnutls_pubkey_deinit(pk);
	return ok ? 0 : sys_err(err, errlen, "the key in %s is not the "
	    "certificate's in %s", tls_key, tls_cert);
}

/* --tls-cert and --tls-key read now, or NULL with err. */
static struct cert *
cert_load(char *err, size_t errlen)
{
	struct cert *c = xcalloc(1, sizeof(*c));
	gnutls_datum_t d;
	char *pem, e[512];
	size_t n;
	int rc;

	if ((pem = sys_slurp(tls_cert, 0, &n, e, sizeof(e))) == NULL)
		goto fail;
	d = (gnutls_datum_t){ (unsigned char *)pem, (unsigned)n };
	c->npc = CHAIN_MAX;
	rc = gnutls_pcert_list_import_x509_raw(c->pc, &c->npc, &d,
	    GNUTLS_X509_FMT_PEM, 0);
	free(pem);
	if (rc < 0 || c->npc == 0) {
		c->npc = 0;
		snprintf(e, sizeof(e), "%s: not a PEM certificate chain (of "
		    "%d at most): %s", tls_cert, CHAIN_MAX, rc < 0 ?
		    gnutls_strerror(rc) : "none in it");
		goto fail;
	}
	if ((pem = sys_slurp(tls_key, 0, &n, e, sizeof(e))) == NULL)
		goto fail;
	d = (gnutls_datum_t){ (unsigned char *)pem, (unsigned)n };
	rc = gnutls_privkey_init(&c->key);
	if (rc == 0)
		rc = gnutls_privkey_import_x509_raw(c->key, &d,
		    GNUTLS_X509_FMT_PEM, NULL, 0);
	OPENSSL_cleanse(pem, n);
	free(pem);
	if (rc < 0) {
		snprintf(e, sizeof(e), "%s: not a PEM private key: %s",
		    tls_key, gnutls_strerror(rc));
		goto fail;
	}
	if (cert_match(c, e, sizeof(e)) < 0)
		goto fail;
	return c;
fail:
	snprintf(err, errlen, "%s", e);
	cert_free(c);
	return NULL;
}

/* libmicrohttpd's MHD_OPTION_HTTPS_CERT_CALLBACK: the current pair. */
static int
retrieve(gnutls_session_t s, const gnutls_datum_t *req_ca, int nreq,
    const gnutls_pk_algorithm_t *algos, int nalgos, gnutls_pcert_st **pc,
    unsigned *npc, gnutls_privkey_t *key)
{
	(void)s;
	(void)req_ca;
	(void)nreq;
	(void)algos;
	(void)nalgos;
	pthread_mutex_lock(&tls_mu);
	*pc = cur->pc;
	*npc = cur->npc;
	*key = cur->key;
	pthread_mutex_unlock(&tls_mu);
	return 0;
}

/* At start, before anything listens: the pair, or exit 3. */
void
tls_load(void)
{
	char err[1024];

	if (tls_cert == NULL)
		return;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES ||
	    MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK) !=
	    MHD_YES)
		msg_die(EX_SYSTEM, "libmicrohttpd was built without TLS or "
		    "its certificate callback");
	if (gnutls_global_init() < 0)
		msg_die(EX_SYSTEM, "cannot initialise GnuTLS");
	if ((cur = cert_load(err, sizeof(err))) == NULL)
		msg_die(EX_CONFIG, "%s", err);
}

/* The callback for libmicrohttpd's option (a pointer there: POSIX
 * makes function and object pointers the same size). */
void *
tls_callback(void)
{
	return (void *)retrieve;
}

/* SIGHUP: the files read again; new handshakes get the new pair.  A bad
 * pair keeps the old one, said on stderr. */
void
tls_reload(void)
{
	struct cert *c;
	char err[1024];

	if (tls_cert == NULL)
		return;
	if ((c = cert_load(err, sizeof(err))) == NULL) {
		msg_err("cannot reload the TLS certificate, keeping the old "
		    "one: %s", err);
		return;
	}
	pthread_mutex_lock(&tls_mu);
	cur->until = ++gen;
	cur->next = retired;
	retired = cur;
	cur = c;
	pthread_mutex_unlock(&tls_mu);
}

/* The generation a connection starting now is of. */
unsigned long
tls_gen(void)
{
	unsigned long g;

	pthread_mutex_lock(&tls_mu);
	g = gen;
	pthread_mutex_unlock(&tls_mu);
	return g;
}

/* The oldest connection left is of generation oldest (ULONG_MAX: none):
 * free the pairs retired at or before it, which no handshake can use. */
void
tls_sweep(unsigned long oldest)
{
	struct cert **pp, *c;

	pthread_mutex_lock(&tls_mu);
	for (pp = &retired; (c = *pp) != NULL; )
		if (c->until <= oldest) {
			*pp = c->next;
			cert_free(c);
		} else
			pp = &c->next;
	pthread_mutex_unlock(&tls_mu);
}
