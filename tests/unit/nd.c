/* unit tests for lib/nd: the line reader on nasty input, nd_parse messages;
 * with an argument, a driver for tests/nd-reader.t */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>

#include "msg.h"
#include "nd.h"
#include "tap.h"
#include "xmem.h"

/* ---- the driver modes, for tests/nd-reader.t ---- */

/* --dump: one output line per line the reader returns */
static int
dump(void)
{
	struct nd_reader r;
	char *line, err[1024];
	size_t len;
	json_t *v;
	int rc;

	nd_reader_init(&r, STDIN_FILENO, "stdin");
	while ((rc = nd_reader_next(&r, &line, &len)) > 0) {
		printf("%ld:%zu: ", r.lineno, len);
		if ((v = nd_parse(line, len, err, sizeof(err))) != NULL) {
			char *s = json_dumps(v, JSON_COMPACT);

			/* long values are summed up, not printed */
			if (strlen(s) > 200)
				printf("ok object of %zu keys, %zu bytes\n",
				    json_object_size(v), strlen(s));
			else
				printf("ok %s\n", s);
			free(s);
			json_decref(v);
		} else {
			printf("error %s\n", err);
		}
	}
	printf("end %d cap %zu\n", rc, r.cap);
	nd_reader_free(&r);
	return rc < 0 ? 7 : 0;
}

/* --run: nd_run with a pass-through callback; "fail" keys fail the
 * record, "stop":N stops the run with N */
static int
run_one(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	json_t *v;

	(void)arg;
	if (r->obj == NULL) {		/* raw mode */
		nd_write_raw(r->line, r->len);
		return 0;
	}
	if (json_object_get(r->obj, "fail") != NULL) {
		snprintf(err, errlen, "asked to fail");
		return ND_FAIL;
	}
	if ((v = json_object_get(r->obj, "stop")) != NULL) {
		snprintf(err, errlen, "asked to stop");
		return (int)json_integer_value(v);
	}
	json_object_set_new(r->obj, "seen", json_integer(r->lineno));
	nd_write(r->obj);
	return 0;
}

static int
run(int argc, char **argv)
{
	struct nd_opts o = {0};
	char err[1024];
	int i = 2;

	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "-e") == 0)
			o.eflag = 1;
		else if (strcmp(argv[i], "-r") == 0)
			o.raw = 1;
		else if (strcmp(argv[i], "--errors") == 0 && i + 1 < argc) {
			if (nd_errors_open(argv[++i], err, sizeof(err)) < 0)
				msg_die(EX_CONFIG, "%s", err);
		} else
			msg_die(EX_USAGE, "bad option %s", argv[i]);
	}
	return nd_run(argv + i, argc - i, run_one, NULL, &o);
}

/* ---- the unit tests ---- */

struct lines {
	char **p;
	size_t *len;
	long *lineno;
	size_t n, alloc;
	int rc;			/* the last nd_reader_next result */
	size_t cap;		/* the reader's buffer capacity at the end */
};

static void
lines_free(struct lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->p[i]);
	free(l->p);
	free(l->len);
	free(l->lineno);
	memset(l, 0, sizeof(*l));
}

static void
lines_add(struct lines *l, const char *s, size_t n, long lineno)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 16;
		l->p = xrealloc(l->p, l->alloc * sizeof(*l->p));
		l->len = xrealloc(l->len, l->alloc * sizeof(*l->len));
		l->lineno = xrealloc(l->lineno, l->alloc *
		    sizeof(*l->lineno));
	}
	l->p[l->n] = xmalloc(n + 1);
	memcpy(l->p[l->n], s, n);
	l->p[l->n][n] = '\0';
	l->len[l->n] = n;
	l->lineno[l->n] = lineno;
	l->n++;
}

/* what the reader should return: split at \n, drop one \r before it,
 * a last line without \n counts, nothing after a final \n */
static void
reference(const char *s, size_t n, struct lines *l)
{
	size_t i = 0, j, e;

	memset(l, 0, sizeof(*l));
	while (i < n) {
		for (j = i; j < n && s[j] != '\n'; j++)
			;
		e = j;
		if (e > i && s[e - 1] == '\r')
			e--;
		lines_add(l, s + i, e - i, (long)l->n + 1);
		i = j + 1;
	}
}

/* read everything from fd with nd_reader into l */
static void
read_all(int fd, struct lines *l)
{
	struct nd_reader r;
	char *line;
	size_t len;

	memset(l, 0, sizeof(*l));
	nd_reader_init(&r, fd, "test");
	while ((l->rc = nd_reader_next(&r, &line, &len)) > 0) {
		if (line[len] != '\0') {
			l->rc = -2;	/* not NUL terminated */
			break;
		}
		lines_add(l, line, len, r.lineno);
	}
	/* after the end, the end again */
	if (l->rc == 0 && nd_reader_next(&r, &line, &len) != 0)
		l->rc = -3;
	l->cap = r.cap;
	nd_reader_free(&r);
}

/* a child writing s to a pipe in chunks of k bytes; returns the read end */
static int
feeder(const char *s, size_t n, size_t k, pid_t *pid)
{
	int pfd[2];
	size_t off = 0, m;
	ssize_t w;

	if (pipe(pfd) < 0)
		return -1;
	fflush(stdout);
	if ((*pid = fork()) == 0) {
		close(pfd[0]);
		while (off < n) {
			m = n - off < k ? n - off : k;
			if ((w = write(pfd[1], s + off, m)) < 0) {
				if (errno == EINTR)
					continue;
				_exit(1);
			}
			off += (size_t)w;
		}
		_exit(0);
	}
	close(pfd[1]);
	return pfd[0];
}

static int
reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* compare l with want; say why they differ */
static int
same_lines(const struct lines *got, const struct lines *want, char *why,
    size_t whylen)
{
	size_t i;

	if (got->rc != 0) {
		snprintf(why, whylen, "reader ended with %d", got->rc);
		return 0;
	}
	if (got->n != want->n) {
		snprintf(why, whylen, "%zu lines, want %zu", got->n, want->n);
		return 0;
	}
	for (i = 0; i < got->n; i++) {
		if (got->len[i] != want->len[i] ||
		    memcmp(got->p[i], want->p[i], got->len[i]) != 0) {
			snprintf(why, whylen, "line %zu differs: %zu bytes, "
			    "want %zu", i + 1, got->len[i], want->len[i]);
			return 0;
		}
		if (got->lineno[i] != (long)i + 1) {
			snprintf(why, whylen, "line %zu numbered %ld", i + 1,
			    got->lineno[i]);
			return 0;
		}
	}
	why[0] = '\0';
	return 1;
}

/* read s through a temp file and through a pipe written k bytes at a time */
static void
reader_is(const char *name, const char *s, size_t n, size_t k)
{
	struct lines got, want;
	char tmpl[] = "/tmp/nd-test.XXXXXX", why[256];
	int fd;
	pid_t pid;

	reference(s, n, &want);
	if ((fd = mkstemp(tmpl)) < 0 || write(fd, s, n) != (ssize_t)n ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		ok(0, "%s: temp file: %s", name, strerror(errno));
		lines_free(&want);
		return;
	}
	unlink(tmpl);
	read_all(fd, &got);
	close(fd);
	if (!ok(same_lines(&got, &want, why, sizeof(why)), "%s (file)", name))
		printf("#   %s\n", why);
	lines_free(&got);

	fd = feeder(s, n, k, &pid);
	read_all(fd, &got);
	close(fd);
	if (!ok(same_lines(&got, &want, why, sizeof(why)) && reap(pid) == 0,
	    "%s (pipe, %zu-byte writes)", name, k))
		printf("#   %s\n", why);
	lines_free(&got);
	lines_free(&want);
}

#define S(lit) lit, sizeof(lit) - 1

static void
test_reader_shapes(void)
{
	struct lines l;

	reader_is("two lines", S("{\"a\":1}\n{\"b\":2}\n"), 1);
	reader_is("CRLF", S("{\"a\":1}\r\n{\"b\":2}\r\n"), 1);
	reader_is("last line without newline", S("{\"a\":1}\n{\"b\":2}"), 3);
	reader_is("last line CR without LF", S("{\"a\":1}\r"), 1);
	reader_is("empty input", S(""), 1);
	reader_is("only a newline", S("\n"), 1);
	reader_is("only newlines", S("\n\n\n"), 1);
	reader_is("only CRLF", S("\r\n\r\n"), 1);
	reader_is("blank and whitespace lines", S("\n  \t \n{}\n\r\n \r\n"),
	    2);
	reader_is("CR inside a line is kept", S("a\rb\n\r\r\n"), 1);
	reader_is("NUL bytes inside lines", S("x\0y\n\0\n{\"a\":1}\0\n\0"), 1);
	reader_is("invalid UTF-8", S("{\"a\":\"\xff\xfe\"}\n\xc3\n"), 1);

	/* the count and numbering directly, not only against reference() */
	{
		int pfd[2];

		if (pipe(pfd) == 0) {
			if (write(pfd[1], "\n\n", 2) != 2)
				ok(0, "write");
			close(pfd[1]);
			read_all(pfd[0], &l);
			close(pfd[0]);
			ok(l.rc == 0 && l.n == 2 && l.len[0] == 0 &&
			    l.len[1] == 0 && l.lineno[1] == 2,
			    "\"\\n\\n\" is two empty lines numbered 1 and 2");
			lines_free(&l);
		}
	}
	{
		int fd = open("/dev/null", O_RDONLY);

		read_all(fd, &l);
		close(fd);
		ok(l.rc == 0 && l.n == 0, "/dev/null has no lines");
		lines_free(&l);
	}
	{
		struct nd_reader r;
		char *line;
		size_t len;
		int fd = open(".", O_RDONLY | O_DIRECTORY), rc;

		nd_reader_init(&r, fd, ".");
		errno = 0;
		rc = nd_reader_next(&r, &line, &len);
		ok(rc == -1 && errno == EISDIR,
		    "reading a directory is -1 with EISDIR (got %d, %s)", rc,
		    strerror(errno));
		nd_reader_free(&r);
		close(fd);
	}
}

/* long lines: around the buffer sizes, 1 MB and 5 MB */
static char *
long_line(size_t n)
{
	char *s = xmalloc(n + 2);
	size_t i;

	s[0] = '{';
	s[1] = '"';
	s[2] = 'k';
	s[3] = '"';
	s[4] = ':';
	s[5] = '"';
	for (i = 6; i < n - 2; i++)
		s[i] = (char)('a' + i % 26);
	s[n - 2] = '"';
	s[n - 1] = '}';
	s[n] = '\n';
	s[n + 1] = '\0';
	return s;
}

static void
test_long_lines(void)
{
	static const size_t sizes[] = {
		65535, 65536, 65537, 131071, 131072, 131073, 262144,
		1024 * 1024, 5 * 1024 * 1024
	};
	size_t i, j, total;
	struct buf b = {0};
	char name[128], *s, err[256];
	json_t *v;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		s = long_line(sizes[i]);
		snprintf(name, sizeof(name), "one line of %zu bytes", sizes[i]);
		reader_is(name, s, sizes[i] + 1, 65536);
		snprintf(name, sizeof(name), "one line of %zu bytes, no "
		    "newline", sizes[i]);
		reader_is(name, s, sizes[i], 4093);
		snprintf(name, sizeof(name), "one line of %zu bytes, CRLF",
		    sizes[i]);
		s[sizes[i]] = '\r';
		buf_reset(&b);
		buf_add(&b, s, sizes[i] + 1);
		buf_addc(&b, '\n');
		reader_is(name, b.p, b.len, 100000);
		free(s);
	}

	/* short, 1 MB, short, 5 MB, short: the buffer shrinks back? no,
	 * but every line must come out whole and parse */
	buf_reset(&b);
	buf_adds(&b, "{\"n\":1}\n");
	s = long_line(1024 * 1024);
	buf_adds(&b, s);
	free(s);
	buf_adds(&b, "{\"n\":2}\n");
	s = long_line(5 * 1024 * 1024);
	buf_adds(&b, s);
	free(s);
	buf_adds(&b, "{\"n\":3}");
	reader_is("mixed short and 1 MB and 5 MB lines", b.p, b.len, 65536);
	{
		pid_t pid;
		int fd = feeder(b.p, b.len, 8191, &pid);
		struct lines l;

		read_all(fd, &l);
		close(fd);
		reap(pid);
		total = 0;
		for (j = 0; j < l.n; j++) {
			v = nd_parse(l.p[j], l.len[j], err, sizeof(err));
			if (v != NULL)
				total++;
			if (j == 3 && v != NULL)
				ok(json_string_length(json_object_get(v, "k"))
				    == 5 * 1024 * 1024 - 8,
				    "the 5 MB value is whole");
			json_decref(v);
		}
		ok(l.n == 5 && total == 5, "all 5 lines parse (%zu of %zu)",
		    total, l.n);
		ok(l.cap <= 16 * 1024 * 1024, "buffer for a 5 MB line stays "
		    "under 16 MB (%zu)", l.cap);
		lines_free(&l);
	}
	buf_free(&b);
}

/* random bytes from a small nasty alphabet, random write sizes */
static void
test_random(void)
{
	static const char alpha[] = "a{}\"\n\n\r\r\0 ";
	unsigned seed = 12345;
	char *s, name[64];
	size_t n, i, k;
	int round;

	for (round = 0; round < 60; round++) {
		seed = seed * 1103515245 + 12345;
		n = (seed >> 8) % (round < 50 ? 2000 : 300000);
		s = xmalloc(n + 1);
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			s[i] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		seed = seed * 1103515245 + 12345;
		k = 1 + (seed >> 8) % 70000;
		snprintf(name, sizeof(name), "random input %d, %zu bytes",
		    round, n);
		reader_is(name, s, n, k);
		free(s);
	}
}

/* 200 MB of 200-byte lines from a generator: memory does not grow */
static void
test_memory(void)
{
	enum { LINE = 200, LINES = 1024 * 1024 };
	char line[LINE + 1], block[LINE * 328], *p;
	struct nd_reader r;
	struct rusage ru0, ru1;
	size_t len, maxcap = 0, bad = 0;
	long n = 0;
	int pfd[2], i, rc;
	pid_t pid;

	/* {"i":"xxxx...x"}\n, 200 bytes with the newline */
	snprintf(line, sizeof(line), "{\"i\":\"%0*d\"}\n", LINE - 9, 0);
	for (i = 0; i < 328; i++)
		memcpy(block + i * LINE, line, LINE);
	getrusage(RUSAGE_SELF, &ru0);
	if (pipe(pfd) < 0) {
		ok(0, "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		long left = (long)LINE * LINES, m;

		close(pfd[0]);
		while (left > 0) {
			m = left < (long)sizeof(block) ? left :
			    (long)sizeof(block);
			if (write(pfd[1], block, (size_t)m) != m)
				_exit(1);
			left -= m;
		}
		_exit(0);
	}
	close(pfd[1]);
	nd_reader_init(&r, pfd[0], "generator");
	while ((rc = nd_reader_next(&r, &p, &len)) > 0) {
		n++;
		if (len != LINE - 1 || p[0] != '{' || p[len - 2] != '"')
			bad++;
		if (r.cap > maxcap)
			maxcap = r.cap;
	}
	close(pfd[0]);
	getrusage(RUSAGE_SELF, &ru1);
	ok(rc == 0 && reap(pid) == 0, "read 200 MB from a pipe to the end");
	ok(n == LINES, "all %d lines (got %ld)", LINES, n);
	ok(bad == 0, "every line is whole (%zu bad)", bad);
	ok(r.lineno == LINES, "lineno counts them (%ld)", r.lineno);
	ok(maxcap <= 256 * 1024, "buffer stays small: %zu bytes", maxcap);
	ok(ru1.ru_maxrss - ru0.ru_maxrss < 16 * 1024,
	    "peak RSS grew by less than 16 MB (%ld kB)",
	    ru1.ru_maxrss - ru0.ru_maxrss);
	nd_reader_free(&r);
}

/* ---- the line limit ---- */

/* s through a pipe in chunks of k, read with lines up to max bytes:
 * "lineno:text|" per line, "lineno:LONG|" per line over the limit */
static char *
limited(const char *s, size_t k, size_t max, size_t *cap)
{
	struct nd_reader r;
	struct buf out = {0};
	char *line;
	size_t len;
	pid_t pid;
	int fd, rc;

	fd = feeder(s, strlen(s), k, &pid);
	nd_reader_init(&r, fd, "test");
	r.max = max;
	while ((rc = nd_reader_next(&r, &line, &len)) > 0)
		buf_addf(&out, "%ld:%s|", r.lineno, rc == ND_LONG ? "LONG" :
		    line);
	buf_addf(&out, "rc=%d", rc);
	*cap = r.cap;
	nd_reader_free(&r);
	close(fd);
	reap(pid);
	return out.p;
}

static void
limit_is(const char *s, size_t max, const char *want, const char *name)
{
	static const size_t chunks[] = { 1, 3, 11, 65536 };
	char n[256], *got;
	size_t i, cap;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		got = limited(s, chunks[i], max, &cap);
		snprintf(n, sizeof(n), "%s (writes of %zu)", name, chunks[i]);
		is_str(got, want, n);
		free(got);
	}
}

/* the peak RSS in kB since peak_reset() (Linux: /proc/self/clear_refs) */
static int
peak_reset(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY), rc;

	rc = fd >= 0 && write(fd, "5", 1) == 1 ? 0 : -1;
	if (fd >= 0)
		close(fd);
	return rc;
}

static long
peak_kb(void)
{
	char l[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(l, sizeof(l), f) != NULL)
		if (strncmp(l, "VmHWM:", 6) == 0)
			kb = strtol(l + 6, NULL, 10);
	if (f != NULL)
		fclose(f);
	return kb;
}

static void
test_max_line(void)
{
	struct nd_reader r;
	char *line, block[65536];
	size_t len, maxcap = 0;
	int pfd[2], rc, i, nlong = 0, nshort = 0, reset;
	long longno = 0, lastno = 0, kb0, kb1;
	pid_t pid;

	ok(nd_max_line() == ND_MAX_LINE && ND_MAX_LINE == 64 << 20,
	    "the default line limit is 64 MiB");
	limit_is("0123456789\n01234567890\nab\n", 10,
	    "1:0123456789|2:LONG|3:ab|rc=0", "a line one byte over is refused");
	limit_is("0123456789\r\nx\r\n", 10, "1:0123456789|2:x|rc=0",
	    "the limit does not count \"\\r\\n\"");
	limit_is("ab\n0123456789012", 10, "1:ab|2:LONG|rc=0",
	    "a long last line without \"\\n\"");
	limit_is("0123456789012345678901234567890123456789\n\n{}", 10,
	    "1:LONG|2:|3:{}|rc=0", "a line four times over, then more");
	limit_is("01234567890", 10, "1:LONG|rc=0", "only a long line");

	/* 100 MB in one line: skipped without being held */
	memset(block, 'a', sizeof(block));
	reset = peak_reset();
	kb0 = peak_kb();
	if (pipe(pfd) < 0) {
		ok(0, "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(pfd[0]);
		if (write(pfd[1], "{\"n\":1}\n{\"a\":\"", 14) != 14)
			_exit(1);
		for (i = 0; i < 1600; i++)	/* 1600 * 64 KiB: 105 MB */
			if (write(pfd[1], block, sizeof(block)) < 0)
				_exit(1);
		if (write(pfd[1], "\"}\n{\"n\":3}\n", 11) != 11)
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	nd_reader_init(&r, pfd[0], "generator");
	r.max = 1 << 20;
	while ((rc = nd_reader_next(&r, &line, &len)) > 0) {
		if (rc == ND_LONG) {
			nlong++;
			longno = r.lineno;
		} else if (len == 7 && line[0] == '{') {
			nshort++;
			lastno = r.lineno;
		}
		if (r.cap > maxcap)
			maxcap = r.cap;
	}
	close(pfd[0]);
	kb1 = peak_kb();
	ok(rc == 0 && reap(pid) == 0, "read a 105 MB line from a pipe");
	ok(nlong == 1 && longno == 2, "it is one long line, line 2");
	ok(nshort == 2 && lastno == 3, "the lines around it come whole");
	ok(maxcap <= (1 << 20) + 2 * 65536, "buffer stays at the limit: %zu "
	    "bytes", maxcap);
	ok(reset == 0 && kb0 > 0 && kb1 - kb0 < 8 * 1024,
	    "peak RSS grew by less than 8 MB (%ld kB, from %ld kB)",
	    kb1 - kb0, kb0);
	nd_reader_free(&r);
}

static void
parse_is(const char *line, size_t len, const char *want)
{
	char err[512], name[600];
	json_t *v;

	snprintf(err, sizeof(err), "(no message)");
	v = nd_parse(line, len, err, sizeof(err));
	snprintf(name, sizeof(name), "nd_parse error: %s", want);
	ok(v == NULL, "%s: fails", name);
	is_str(err, want, name);
	json_decref(v);
}

static void
test_parse(void)
{
	char err[256];
	json_t *v;
	char *s;

	v = nd_parse(S("{\"a\":[1,{\"b\":null}],"
	    "\"\xc3\xa9\":\"\xe2\x82\xac\"}"), err, sizeof(err));
	s = v ? json_dumps(v, JSON_COMPACT) : NULL;
	is_str(s, "{\"a\":[1,{\"b\":null}],\"\xc3\xa9\":\"\xe2\x82\xac\"}",
	    "nd_parse of an object");
	free(s);
	json_decref(v);
	v = nd_parse(S("  {\"a\":1}\t "), err, sizeof(err));
	ok(v != NULL, "spaces around an object are fine");
	json_decref(v);
	/* len is what counts, not a NUL or what follows */
	v = nd_parse("{\"a\":1}garbage", 7, err, sizeof(err));
	ok(v != NULL, "nd_parse stops at len");
	json_decref(v);
	v = nd_parse(S("{\"a\":\"x\\u0000y\"}"), err, sizeof(err));
	/* valid JSON: jq takes it, so must we */
	ok(v != NULL && json_string_length(json_object_get(v, "a")) == 3,
	    "an escaped \\u0000 is a string with a NUL: %s",
	    v ? "ok" : err);
	json_decref(v);

	parse_is(S(""), "invalid JSON at column 1: unexpected token near "
	    "end of file");
	parse_is(S("{"), "invalid JSON at column 1: string or '}' expected "
	    "near end of file");
	parse_is(S("{\"a\":1,}"), "invalid JSON at column 8: string or '}' "
	    "expected near '}'");
	parse_is(S("{\"a\" 1}"), "invalid JSON at column 6: ':' expected "
	    "near '1'");
	parse_is(S("{\"a\":1} x"), "invalid JSON at column 9: end of file "
	    "expected near 'x'");
	parse_is(S("{\"a\":1}{\"b\":2}"), "invalid JSON at column 8: end of "
	    "file expected near '{'");
	/* columns count characters, not bytes */
	parse_is(S("  {\"\xc3\xa9\": tru}"), "invalid JSON at column 11: "
	    "invalid token near 'tru'");
	/* NUL bytes: an error, never a cut line */
	parse_is(S("{\"a\":\"x\0y\"}"), "invalid JSON at column 7: control "
	    "character 0x0 near '\"x'");
	parse_is(S("{\"a\":1}\0"), "invalid JSON at column 8: end of file "
	    "expected near end of file");
	parse_is(S("\0{\"a\":1}"), "invalid JSON at column 1: invalid token "
	    "near end of file");
	/* invalid UTF-8 */
	parse_is(S("{\"a\":\"\xff\"}"), "invalid JSON at column 6: unable to "
	    "decode byte 0xff near '\"'");
	parse_is(S("{\"a\":\"\xc3\"}"), "invalid JSON at column 6: unable to "
	    "decode byte 0xc3 near '\"'");
	parse_is(S("{\"a\":\"\xed\xa0\x80\"}"), "invalid JSON at column 6: "
	    "unable to decode byte 0xed near '\"'");
	parse_is(S("{\"a\":\"\\ud800\"}"), "invalid JSON at column 13: "
	    "invalid Unicode '\\uD800' near '\"\\ud800\"'");
	/* numbers jansson cannot hold */
	/* numbers too big for jansson are taken (see tests/unit/bignum.c);
	 * a syntax error after one is placed in the line as read */
	parse_is(S("{\"a\":1e999,\"b\":x}"), "invalid JSON at column 16: "
	    "invalid token near 'x'");
	parse_is(S("{\"a\":99999999999999999999, \"b\":[1e999,-]}"),
	    "invalid JSON at column 39: invalid token near '-'");
	parse_is(S("{\"a\":\"\\u00001\"}"), "invalid record: a string of "
	    "\\u0000 and a number, which stands for a big number here");
	/* not objects */
	parse_is(S("[1]"), "not a JSON object but an array");
	parse_is(S("[]"), "not a JSON object but an array");
	parse_is(S("\"s\""), "not a JSON object but a string");
	parse_is(S("1"), "not a JSON object but a number");
	parse_is(S("-1.5e3"), "not a JSON object but a number");
	parse_is(S("true"), "not a JSON object but a literal");
	parse_is(S("false"), "not a JSON object but a literal");
	parse_is(S("null"), "not a JSON object but a literal");
	/* a small error buffer is cut, not overrun */
	v = nd_parse(S("[1]"), err, 8);
	ok(v == NULL && strcmp(err, "not a J") == 0, "message cut to the "
	    "buffer: '%s'", err);
	/* deep nesting is an error, not a stack overflow */
	{
		struct buf b = {0};
		int i;

		buf_adds(&b, "{\"a\":");
		for (i = 0; i < 100000; i++)
			buf_addc(&b, '[');
		v = nd_parse(b.p, b.len, err, sizeof(err));
		ok(v == NULL && strstr(err, "maximum parsing depth") != NULL,
		    "100000 nested arrays: %s", err);
		json_decref(v);
		buf_free(&b);
	}
}

int
main(int argc, char **argv)
{
	int rc;

	msg_prog = "nd-test";
	if (argc > 1 && strcmp(argv[1], "--dump") == 0)
		return dump();
	if (argc > 1 && strcmp(argv[1], "--run") == 0)
		return run(argc, argv);
	if (argc > 1) {
		fprintf(stderr, "usage: nd [--dump | --run [-e] [-r] "
		    "[--errors FILE] [file ...]]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	test_memory();
	test_reader_shapes();
	test_long_lines();
	test_max_line();
	test_random();
	test_parse();
	rc = done_testing();
	/* out before a leak checker's exit can drop it */
	fflush(stdout);
	return rc;
}
