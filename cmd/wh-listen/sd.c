/* wh-listen: systemd's socket activation (LISTEN_FDS) and readiness
 * (NOTIFY_SOCKET): the few lines of sd_listen_fds(3) and sd_notify(3)
 * the protocols need, so that no libsystemd is linked */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "opt.h"
#include "wh-listen.h"

#define SD_LISTEN_FDS_START 3	/* sd-daemon.h: the first fd passed */

/*
 * The listening socket systemd passed (LISTEN_PID is this process,
 * LISTEN_FDS is 1), or -1 when none was.  The variables are unset, as
 * sd_listen_fds(1) does, so the pipeline's other tools do not see them.
 * More than one socket, or one that is not a listening stream socket,
 * ends the run: serving another than the one meant would be worse.
 */
int
sd_listen_fd(void)
{
	const char *pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");
	int fd = SD_LISTEN_FDS_START, type = 0, acc = 0;
	socklen_t len = sizeof(type);
	long p, nfd;
	char err[128];

	if (pid == NULL || n == NULL)
		return -1;
	if (opt_long("LISTEN_PID", pid, 1, 0x7fffffffL, &p, err,
	    sizeof(err)) < 0 ||
	    p != (long)getpid()) {
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		return -1;	/* meant for another process */
	}
	if (opt_long("LISTEN_FDS", n, 0, 1024, &nfd, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (nfd == 0)
		return -1;
	if (nfd > 1)
		msg_die(EX_CONFIG, "systemd passed %ld sockets (LISTEN_FDS): "
		    "wh-listen serves one", nfd);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_STREAM || (len = sizeof(acc), getsockopt(fd,
	    SOL_SOCKET, SO_ACCEPTCONN, &acc, &len)) < 0 || !acc)
		msg_die(EX_CONFIG, "the socket systemd passed (fd %d) is not "
		    "a listening stream socket", fd);
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

/*
 * Tell systemd (Type=notify) the state: "READY=1", "STOPPING=1".  The
 * datagram goes to NOTIFY_SOCKET: a path, or an abstract name when it
 * begins with @.  Nothing to do without it; a failure is a warning,
 * systemd then times the start out and says so itself.
 */
void
sd_notify_state(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t len;
	size_t n;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return;
	if ((n = strlen(path)) >= sizeof(sun.sun_path)) {
		msg_warn("NOTIFY_SOCKET is too long, not notifying systemd");
		return;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, n);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len) < 0)
		msg_warn("cannot notify systemd at %s: %s", path,
		    strerror(errno));
	if (fd >= 0)
		close(fd);
}
