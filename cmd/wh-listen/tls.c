/* wh-listen: the TLS certificate and key, given to each handshake by
 * OpenSSL's certificate callback so that SIGHUP can swap them on the
 * running server: each new handshake gets the pair current then,
 * connections up already keep theirs.  The one file that knows OpenSSL's
 * TLS (h2o drives the handshake with the SSL_CTX made here). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "sys.h"
#include "wh-listen.h"

#define CHAIN_MAX 16		/* certificates in a chain file */

/* A certificate, the rest of its chain and its key.  OpenSSL counts
 * references: a handshake takes its own on each, so a pair swapped out
 * is freed here at once and lives on in the connections using it. */
struct cert {
	X509 *leaf;
	STACK_OF(X509) *chain;
	EVP_PKEY *key;
};

static pthread_mutex_t tls_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cert *cur;
static SSL_CTX *ctx;

static void
cert_free(struct cert *c)
{
	X509_free(c->leaf);
	sk_X509_pop_free(c->chain, X509_free);
	EVP_PKEY_free(c->key);
	free(c);
}

/* OpenSSL's last error, as text, its queue emptied. */
static const char *
ssl_why(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r ? r : "unreadable";
}

/* No passphrase prompt on the terminal: an encrypted key is refused. */
static int
no_pass(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return 0;
}

/* The chain in pem: leaf first, at most CHAIN_MAX.  0, or -1 with e. */
static int
read_chain(struct cert *c, const char *pem, size_t n, char *e, size_t elen)
{
	BIO *b = BIO_new_mem_buf(pem, (int)n);
	unsigned long e0;
	X509 *x;
	int count = 0;

	if (b == NULL)
		return sys_err(e, elen, "out of memory");
	c->chain = sk_X509_new_null();
	while (c->chain != NULL &&
	    (x = PEM_read_bio_X509(b, NULL, no_pass, NULL)) != NULL) {
		if (++count > CHAIN_MAX) {
			X509_free(x);
			break;
		}
		if (c->leaf == NULL)
			c->leaf = x;
		else if (!sk_X509_push(c->chain, x))
			X509_free(x);
	}
	BIO_free(b);
	e0 = ERR_peek_last_error();
	if (c->leaf == NULL || count > CHAIN_MAX || (ERR_GET_LIB(e0) ==
	    ERR_LIB_PEM && ERR_GET_REASON(e0) != PEM_R_NO_START_LINE)) {
		const char *why = count > CHAIN_MAX ? "too many" :
		    e0 == 0 || ERR_GET_REASON(e0) == PEM_R_NO_START_LINE ?
		    "none in it" : ssl_why();

		ERR_clear_error();
		return sys_err(e, elen, "%s: not a PEM certificate chain (of "
		    "%d at most): %s", tls_cert, CHAIN_MAX, why);
	}
	ERR_clear_error();	/* the end of the file reads as "no start line" */
	return 0;
}

/* --tls-cert and --tls-key read now, or NULL with err. */
static struct cert *
cert_load(char *err, size_t errlen)
{
	struct cert *c = xcalloc(1, sizeof(*c));
	char *pem, e[512];
	size_t n;
	BIO *b;
	int enc;

	if ((pem = sys_slurp(tls_cert, 0, &n, e, sizeof(e))) == NULL)
		goto fail;
	ERR_clear_error();
	if (read_chain(c, pem, n, e, sizeof(e)) < 0) {
		free(pem);
		goto fail;
	}
	free(pem);
	if ((pem = sys_slurp(tls_key, 0, &n, e, sizeof(e))) == NULL)
		goto fail;
	enc = memmem(pem, n, "ENCRYPTED", 9) != NULL;
	if ((b = BIO_new_mem_buf(pem, (int)n)) != NULL) {
		c->key = PEM_read_bio_PrivateKey(b, NULL, no_pass, NULL);
		BIO_free(b);
	}
	OPENSSL_cleanse(pem, n);
	free(pem);
	if (c->key == NULL) {
		snprintf(e, sizeof(e), "%s: not a PEM private key: %s",
		    tls_key, enc ? "it is encrypted, and wh-listen asks for "
		    "no passphrase" : ssl_why());
		ERR_clear_error();
		goto fail;
	}
	if (X509_check_private_key(c->leaf, c->key) != 1) {
		ERR_clear_error();
		snprintf(e, sizeof(e), "the key in %s is not the "
		    "certificate's in %s", tls_key, tls_cert);
		goto fail;
	}
	return c;
fail:
	snprintf(err, errlen, "%s", e);
	cert_free(c);
	return NULL;
}

/* SSL_CTX_set_cert_cb: the current pair, each piece's count raised. */
static int
on_cert(SSL *ssl, void *arg)
{
	int ok;

	(void)arg;
	pthread_mutex_lock(&tls_mu);
	ok = SSL_use_certificate(ssl, cur->leaf) == 1 &&
	    SSL_use_PrivateKey(ssl, cur->key) == 1 &&
	    SSL_set1_chain(ssl, cur->chain) == 1;
	pthread_mutex_unlock(&tls_mu);
	return ok;
}

/* At start, before anything listens: the pair and the SSL_CTX, or exit
 * 3 (the files) or 6 (OpenSSL). */
void
tls_load(void)
{
	char err[1024];

	if (tls_cert == NULL)
		return;
	if ((cur = cert_load(err, sizeof(err))) == NULL)
		msg_die(EX_CONFIG, "%s", err);
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		msg_die(EX_SYSTEM, "cannot set up TLS: %s", ssl_why());
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_cert_cb(ctx, on_cert, NULL);
}

/* The context every handshake is made with; NULL with no TLS. */
void *
tls_ssl_ctx(void)
{
	return ctx;
}

/* SIGHUP: the files read again; new handshakes get the new pair.  A bad
 * pair keeps the old one, said on stderr. */
void
tls_reload(void)
{
	struct cert *c, *old;
	char err[1024];

	if (tls_cert == NULL)
		return;
	if ((c = cert_load(err, sizeof(err))) == NULL) {
		msg_err("cannot reload the TLS certificate, keeping the old "
		    "one: %s", err);
		return;
	}
	pthread_mutex_lock(&tls_mu);
	old = cur;
	cur = c;
	pthread_mutex_unlock(&tls_mu);
	cert_free(old);
}
