/* fetchfile: the digests of a download (SHA-256, an S3 ETag's MD5,
 * whole or of its parts), for fetchfile.c */
#include <stdio.h>

#include "fetchfile.h"
#include "fetchfileint.h"

/* a part's MD5 ends: into the MD5 of the parts' MD5s */
static void
md5_part_end(struct fetchfile *f)
{
	unsigned char d[16];
	unsigned int dl;

	EVP_DigestFinal_ex(f->md5, d, &dl);
	EVP_DigestUpdate(f->mpmd, d, sizeof(d));
	EVP_DigestInit_ex(f->md5, EVP_md5(), NULL);
	f->mpparts++;
	f->mpin = 0;
}

void
fetchfile_digest(struct fetchfile *f, const void *p, size_t n)
{
	const char *c = p;
	size_t k;

	EVP_DigestUpdate(f->md, p, n);
	if (f->md5 == NULL)
		return;
	while (f->mpmd != NULL && n > 0 && f->mpin + (long long)n >=
	    f->mpsize) {
		k = (size_t)(f->mpsize - f->mpin);
		EVP_DigestUpdate(f->md5, c, k);
		md5_part_end(f);
		c += k;
		n -= k;
	}
	EVP_DigestUpdate(f->md5, c, n);
	f->mpin += (long long)n;
}

int
fetchfile_digest_reset(struct fetchfile *f)
{
	f->mpin = 0;
	f->mpparts = 0;
	return EVP_DigestInit_ex(f->md, EVP_sha256(), NULL) == 1 &&
	    (f->md5 == NULL || EVP_DigestInit_ex(f->md5, EVP_md5(), NULL) ==
	    1) && (f->mpmd == NULL || EVP_DigestInit_ex(f->mpmd, EVP_md5(),
	    NULL) == 1) ? 0 : -1;
}

int
fetchfile_md5_parts(struct fetchfile *f, long long partsize)
{
	if (f->md5 == NULL || partsize <= 0 || (f->mpmd == NULL &&
	    (f->mpmd = EVP_MD_CTX_new()) == NULL))
		return -1;
	f->mpsize = partsize;
	return fetchfile_digest_reset(f);
}

void
fetchfile_digest_end(struct fetchfile *f)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	EVP_DigestFinal_ex(f->md, md, &mdlen);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(f->sha256 + 2 * i, 3, "%02x", md[i]);
	f->sha256[2 * i] = '\0';
	if (f->mpmd != NULL) {
		if (f->mpin > 0 || f->mpparts == 0)
			md5_part_end(f);
		EVP_DigestFinal_ex(f->mpmd, f->md5sum, &mdlen);
	} else if (f->md5 != NULL)
		EVP_DigestFinal_ex(f->md5, f->md5sum, &mdlen);
}

void
fetchfile_no_md5(struct fetchfile *f)
{
	EVP_MD_CTX_free(f->md5);
	EVP_MD_CTX_free(f->mpmd);
	f->md5 = f->mpmd = NULL;
}
