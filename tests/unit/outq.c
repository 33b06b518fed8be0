/* unit tests for lib/outq: a line is written in outq_add while the way is
 * free, and after outq_defer only by outq_flush (group commit), in order */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outq.h"
#include "tap.h"
#include "xmem.h"

static struct outq_line *
add(const char *s)
{
	return outq_add(xstrdup(s), strlen(s), 5.0, NULL, NULL);
}

int
main(void)
{
	struct outq_line *l[4];
	char err[256], got[256];
	ssize_t n;
	size_t have = 0;
	int fd[2], i, queued = 0;

	if (!ok(pipe(fd) == 0, "pipe"))
		return done_testing();
	if (!ok(outq_start(fd[1], err, sizeof(err)) == 0, "outq_start: %s",
	    err))
		return done_testing();

	l[0] = add("{\"n\":0}\n");
	ok(outq_state(l[0]) == OUTQ_WRITTEN,
	    "not deferred: the line is written in outq_add");

	outq_defer();
	for (i = 1; i < 4; i++) {
		char s[16];

		snprintf(s, sizeof(s), "{\"n\":%d}\n", i);
		l[i] = add(s);
	}
	/* the writer thread looks every 50 ms; three adds take far less */
	for (i = 1; i < 4; i++)
		queued += outq_state(l[i]) == OUTQ_QUEUED;
	ok(queued == 3, "deferred: the lines wait for outq_flush (%d of 3)",
	    queued);

	outq_flush();
	for (i = 1; i < 4; i++)
		ok(outq_state(l[i]) == OUTQ_WRITTEN, "line %d written by "
		    "outq_flush", i);
	for (i = 0; i < 4; i++)
		outq_done(l[i]);

	while (have < 32 && (n = read(fd[0], got + have,
	    sizeof(got) - 1 - have)) > 0)
		have += (size_t)n;
	got[have] = '\0';
	is_str(got, "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n",
	    "every line whole, in order");
	return done_testing();
}
