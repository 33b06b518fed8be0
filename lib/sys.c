/* sys: whole-file reads, whole-buffer writes, the monotonic clock, error
 * messages */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"
#include "xmem.h"

char *
sys_slurp(const char *path, size_t max, size_t *lenp, char *err,
    size_t errlen)
{
	struct buf b = {0};
	char tmp[4096];
	ssize_t n;
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (max != 0 && b.len + (size_t)n > max) {
			snprintf(err, errlen, "%s: over %zu bytes", path, max);
			n = -2;
			break;
		}
		buf_add(&b, tmp, (size_t)n);
	}
	e = errno;
	explicit_bzero(tmp, sizeof(tmp));
	close(fd);
	if (n < 0) {
		if (n == -1)
			snprintf(err, errlen, "cannot read %s: %s", path,
			    strerror(e));
		if (b.p != NULL)
			explicit_bzero(b.p, b.len);
		buf_free(&b);
		return NULL;
	}
	if (b.p == NULL)
		buf_adds(&b, "");
	*lenp = b.len;
	return b.p;
}

int
sys_write_all(int fd, const void *p, size_t n, size_t *done)
{
	const char *s = p;
	size_t off = 0;
	ssize_t w;
	int rc = 0;

	while (off < n) {
		w = write(fd, s + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -1;
			break;
		}
		off += (size_t)w;
	}
	if (done != NULL)
		*done = off;
	return rc;
}

int
sys_write_atomic(const char *path, const void *p, size_t n, mode_t mode,
    char *err, size_t errlen)
{
	const char *base = strrchr(path, '/');
	char *tmp;
	int fd, e;
	size_t dl;

	base = base != NULL ? base + 1 : path;
	dl = (size_t)(base - path);
	tmp = xmalloc(strlen(path) + 10);
	snprintf(tmp, strlen(path) + 10, "%.*s.%s.XXXXXX", (int)dl, path,
	    base);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		e = errno;
		free(tmp);
		return sys_err(err, errlen, "cannot write %s: %s", path,
		    strerror(e));
	}
	if (fchmod(fd, mode) < 0 || sys_write_all(fd, p, n, NULL) < 0 ||
	    fsync(fd) < 0) {
		e = errno;
		close(fd);
	} else if (close(fd) < 0 || rename(tmp, path) < 0)
		e = errno;
	else
		e = 0;
	if (e != 0)
		unlink(tmp);
	free(tmp);
	if (e != 0)
		return sys_err(err, errlen, "cannot write %s: %s", path,
		    strerror(e));
	return 0;
}

ssize_t
sys_read_full(int fd, void *p, size_t n)
{
	char *s = p;
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, s + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

void
sys_free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

int64_t
sys_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
sys_one_line(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

int
sys_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		sys_one_line(err);
	}
	return -1;
}
