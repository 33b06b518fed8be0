/* httpint: what lib/http.c and lib/httpxfer.c share: the curl
 * callbacks of a transfer.  Not for the tools: they use http.h. */
#ifndef HTTPINT_H
#define HTTPINT_H

#include <stddef.h>

#include "http.h"

/* Forget the last answer's headers (a new response, a new attempt). */
void http_xfer_clear_resp(struct http_xfer *x);
/* CURLOPT_HEADERFUNCTION and CURLOPT_WRITEFUNCTION of a transfer (its
 * data: x). */
size_t http_xfer_on_header(char *p, size_t size, size_t n, void *arg);
size_t http_xfer_on_body(char *p, size_t size, size_t n, void *arg);
/* CURLOPT_READFUNCTION and CURLOPT_SEEKFUNCTION of an upload (x). */
size_t http_xfer_on_read(char *p, size_t size, size_t n, void *arg);
int http_xfer_on_seek(void *arg, curl_off_t off, int origin);

#endif
