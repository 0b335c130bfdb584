/*
 * listen_unix.c: the unix sockets of [listen] (unix, unix_stream) and those
 * systemd hands over (syslog.socket): binding a path safely (a stale socket
 * there is replaced, anything else refused and never removed), datagrams
 * read with recvmmsg and each sender's SCM_CREDENTIALS, a stream peer's
 * SO_PEERCRED taken at accept.  Every event has "transport":"unix", the
 * socket's path as source and the kernel's word on the sender (pid, uid,
 * gid) under "trusted": the sender cannot forge it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "listen_int.h"
#include "logrec.h"
#include "sources.h"

#define UNIX_ROUNDS	4		/* recvmmsg calls per callback */
#define UNIX_CBUF	256		/* control bytes per datagram: the
					 * credentials, and room for what
					 * PassSecurity= adds */

struct unixstate {
	struct listener	*l;
	struct lsock	*s;
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path) + 2];
	size_t		 plen;
	int		 own;		/* we bound it: unlink at the end */
	dev_t		 dev;		/* the socket file we bound */
	ino_t		 ino;
	int		 paused;
	int		 draining;	/* closing: read even when full */
	uint64_t	 gen;		/* batch whose arena has path */
	struct lsslice	 src;
	struct ucred	 last;		/* the credentials of tru */
	uint64_t	 tgen;		/* batch whose arena has tru */
	struct lsslice	 tru;
	uint64_t	 mn, mbytes;	/* for metrics, once per read */
};

static void	unix_read_cb(evutil_socket_t, short, void *);

void
listen_unix_name(const struct sockaddr *sa, socklen_t salen, char *buf,
    size_t len)
{
	const struct sockaddr_un	*su = (const void *)sa;
	size_t				 n;

	if (salen <= offsetof(struct sockaddr_un, sun_path) ||
	    sa->sa_family != AF_UNIX) {
		snprintf(buf, len, "unix");
		return;
	}
	n = salen - offsetof(struct sockaddr_un, sun_path);
	if (n > sizeof(su->sun_path))
		n = sizeof(su->sun_path);
	if (su->sun_path[0] == '\0')		/* abstract: no file */
		snprintf(buf, len, "@%.*s", (int)(n - 1), su->sun_path + 1);
	else
		snprintf(buf, len, "%.*s", (int)strnlen(su->sun_path, n),
		    su->sun_path);
}

/* A decimal number into p; how many bytes. */
static size_t
put_num(char *p, unsigned long v)
{
	char	 t[24];
	size_t	 n = 0, i;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (i = 0; i < n; i++)
		p[i] = t[n - 1 - i];
	return n;
}

size_t
listen_unix_trusted(const struct ucred *uc, char *buf, size_t len)
{
	char	 t[64];
	size_t	 n = 0;

	memcpy(t + n, "{\"pid\":", 7);
	n += 7;
	n += put_num(t + n, (unsigned long)(uint32_t)uc->pid);
	memcpy(t + n, ",\"uid\":", 7);
	n += 7;
	n += put_num(t + n, (unsigned long)uc->uid);
	memcpy(t + n, ",\"gid\":", 7);
	n += 7;
	n += put_num(t + n, (unsigned long)uc->gid);
	t[n++] = '}';
	if (n >= len)
		return 0;
	memcpy(buf, t, n);
	buf[n] = '\0';
	return n;
}

int
listen_unix_creds(const struct msghdr *mh, struct ucred *uc)
{
	struct msghdr	*m = (struct msghdr *)(uintptr_t)mh;
	struct cmsghdr	*cm;

	for (cm = CMSG_FIRSTHDR(m); cm != NULL; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_CREDENTIALS ||
		    cm->cmsg_len < CMSG_LEN(sizeof(*uc)))
			continue;
		memcpy(uc, CMSG_DATA(cm), sizeof(*uc));
		/* pid 0 (uid and gid the overflow ids): sent before
		 * SO_PASSCRED was set, the kernel had none to give */
		return uc->pid != 0;
	}
	return 0;
}

static struct unixstate *
unixstate_new(struct lsock *s, const char *path)
{
	struct unixstate	*ux;

	if ((ux = calloc(1, sizeof(*ux))) == NULL)
		return NULL;
	ux->s = s;
	ux->gen = ux->tgen = UINT64_MAX;
	snprintf(ux->path, sizeof(ux->path), "%s", path);
	ux->plen = strlen(ux->path);
	return ux;
}

/*
 * Is the socket file at sun served by a process?  A connect tells: one
 * left by a program that died is refused (ECONNREFUSED).  1 in use, 0
 * stale.
 */
static int
sock_in_use(const struct sockaddr_un *sun, int type)
{
	int	 fd, rc;

	if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) ==
	    -1)
		return 1;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	return rc == 0 || (errno != ECONNREFUSED && errno != ENOENT);
}

/*
 * What is at path may be replaced: nothing, or a socket nobody serves.  A
 * regular file, a directory, a symlink (/dev/log is journald's) or a
 * socket in use is left alone and the bind refused.  0; -2 refused
 * (logged); -1 failed (errno).
 */
static int
path_prepare(const char *path, const struct sockaddr_un *sun, int type,
    const char *kind)
{
	struct stat	 st;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		diag_err("listen %s %s: exists and is not a socket: not "
		    "removed (remove it or choose another path)", kind, path);
		errno = EEXIST;
		return -2;
	}
	if (sock_in_use(sun, type)) {
		diag_err("listen %s %s: a socket another program serves: not "
		    "replaced", kind, path);
		errno = EADDRINUSE;
		return -2;
	}
	if (unlink(path) == -1 && errno != ENOENT)
		return -1;
	diag_info("listen %s %s: replaced a stale socket", kind, path);
	return 0;
}

struct lsock *
listen_unix_open(const char *path, int stream, unsigned mode)
{
	struct sockaddr_un	 sun;
	struct lsock		*s;
	struct stat		 st;
	const char		*kind = stream ? "unix_stream" : "unix";
	int			 type = stream ? SOCK_STREAM : SOCK_DGRAM, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		diag_err("listen %s %s: path too long", kind, path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto syserr;
	s->fd = -1;
	s->local = 1;
	s->udp = !stream;
	if ((s->text = strdup(path)) == NULL ||
	    (s->ux = unixstate_new(s, path)) == NULL)
		goto syserr;
	if ((s->fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		goto syserr;
	if ((rc = path_prepare(path, &sun, type, kind)) == -2)
		goto fail;
	if (rc == -1)
		goto syserr;
	/*
	 * The file takes the socket inode's mode (less the umask) at bind:
	 * set it first, so that it is never reachable wider than asked; the
	 * chmod after bind gives what the umask took away.
	 */
	if (fchmod(s->fd, mode & 0777) == -1 ||
	    bind(s->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto syserr;
	s->ux->own = 1;
	if (stat(path, &st) == 0) {
		s->ux->dev = st.st_dev;
		s->ux->ino = st.st_ino;
	}
	if (chmod(path, mode & 0777) == -1 ||
	    (stream && listen(s->fd, 1024) == -1))
		goto syserr;
	s->mode = mode & 0777;
	return s;
syserr:
	diag_err("listen %s %s: %s", kind, path, strerror(errno));
fail:
	listen_unix_free(s);
	if (s != NULL) {
		if (s->fd != -1)
			close(s->fd);
		free(s->text);
		free(s);
	}
	return NULL;
}

int
listen_unix_inherit(struct lsock *s)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	char			 name[sizeof(((struct sockaddr_un *)0)->
				    sun_path) + 2];

	if (getsockname(s->fd, (struct sockaddr *)&ss, &len) == -1 ||
	    ss.ss_family != AF_UNIX)
		return 0;
	listen_unix_name((struct sockaddr *)&ss, len, name, sizeof(name));
	if ((s->ux = unixstate_new(s, name)) == NULL)
		return -1;
	s->local = 1;
	return 1;
}

struct lsock *
listen_unix_find(struct lsock **v, size_t n, const char *path, int stream)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (v[i]->local && v[i]->ux != NULL && v[i]->udp == !stream &&
		    strcmp(v[i]->ux->path, path) == 0)
			return v[i];
	return NULL;
}

int
listen_unix_start(struct listener *l, struct lsock *s)
{
	int	 one = 1;

	s->ux->l = l;
	if (!s->udp)
		return 0;
	/* The sender's pid, uid and gid with every datagram. */
	if (setsockopt(s->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ==
	    -1)
		return -1;
	evutil_make_socket_nonblocking(s->fd);
	s->ev = event_new(l->base, s->fd, EV_READ | EV_PERSIST, unix_read_cb,
	    s->ux);
	return s->ev == NULL ? -1 : 0;
}

int
listen_unix_serve(struct lsock *s)
{
	if (s->ux->l->paused) {
		s->ux->paused = 1;
		return 0;
	}
	return event_add(s->ev, NULL);
}

void
listen_unix_chmod(struct lsock *s, unsigned mode)
{
	if (s->ux == NULL || !s->ux->own || s->mode == (mode & 0777))
		return;
	if (chmod(s->ux->path, mode & 0777) == -1)
		diag_err("listen %s %s: chmod %o: %s", s->udp ? "unix" :
		    "unix_stream", s->ux->path, mode & 0777, strerror(errno));
	else
		s->mode = mode & 0777;
}

void
listen_unix_pause(struct listener *l, int on)
{
	size_t		 i;
	struct lsock	*s;

	for (i = 0; i < l->nsocks; i++) {
		s = l->socks[i];
		if (!s->local || !s->udp || s->ev == NULL || s->fresh ||
		    s->ux->paused == on)
			continue;
		s->ux->paused = on;
		if (on)
			event_del(s->ev);
		else
			event_add(s->ev, NULL);
	}
}

void
listen_unix_free(struct lsock *s)
{
	struct unixstate	*ux;
	struct stat		 st;

	if (s == NULL || (ux = s->ux) == NULL)
		return;
	/* Only the file we bound: another may have taken the path since. */
	if (ux->own && lstat(ux->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == ux->dev && st.st_ino == ux->ino)
		unlink(ux->path);
	free(ux);
	s->ux = NULL;
}

void
listen_unix_accepted(struct conn *c, const struct lsock *s, int fd)
{
	struct ucred	 uc;
	socklen_t	 len = sizeof(uc);

	c->transport = LRT_UNIX;
	c->slen = s->ux->plen < sizeof(c->source) ? s->ux->plen :
	    sizeof(c->source) - 1;
	memcpy(c->source, s->ux->path, c->slen);
	c->source[c->slen] = '\0';
	c->tlen = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 &&
	    len == sizeof(uc))
		c->tlen = listen_unix_trusted(&uc, c->trusted,
		    sizeof(c->trusted));
}

/* The source and trusted slices of the batch being filled, for uc. */
static int
unix_slices(struct unixstate *ux, const struct ucred *uc, int has)
{
	struct listener	*l = ux->l;
	char		 t[64];
	size_t		 n;

	if (ux->gen != l->batch_gen) {
		if (lsbatch_append(l->batch, ux->path, ux->plen, &ux->src) ==
		    -1)
			return -1;
		ux->gen = l->batch_gen;
	}
	if (!has) {
		memset(&ux->tru, 0, sizeof(ux->tru));
		ux->tgen = UINT64_MAX;
		return 0;
	}
	if (ux->tgen == l->batch_gen && memcmp(uc, &ux->last,
	    sizeof(*uc)) == 0)
		return 0;
	n = listen_unix_trusted(uc, t, sizeof(t));
	if (lsbatch_append(l->batch, t, n, &ux->tru) == -1)
		return -1;
	ux->last = *uc;
	ux->tgen = l->batch_gen;
	return 0;
}

/* One datagram, one event; the caller made room for it. */
static void
unix_take(struct unixstate *ux, struct msghdr *mh, size_t len)
{
	struct listener	*l = ux->l;
	const char	*p = mh->msg_iov[0].iov_base;
	struct ucred	 uc;
	struct logrec	*r;
	int		 trunc, has;

	COUNT_ADD(counters.bytes, len);
	trunc = (mh->msg_flags & MSG_TRUNC) != 0;
	if (!trunc)
		len = listener_dgram_len(p, len);
	if (len == 0)
		return;
	if (len > l->max_message) {
		len = l->max_message;
		trunc = 1;
	}
	has = listen_unix_creds(mh, &uc);
	if (unix_slices(ux, &uc, has) == -1 ||
	    (r = listener_add(l, p, len, trunc, LRT_UNIX, &ux->src)) ==
	    NULL) {
		/* no memory for the batch: as if the queue were full */
		listener_dropped(ux->s, LRT_UNIX, DROP_QUEUE_FULL, 1);
		return;
	}
	r->trusted = ux->tru;
	ux->s->events++;
	ux->mn++;
	ux->mbytes += len;
}

/*
 * A socket being closed while the queue is full (a reload removed it):
 * what it holds would be lost with it, so read and count it as dropped.
 */
static int
unix_discard(struct unixstate *ux)
{
	struct mmsghdr	 msgs[UDP_VLEN];
	struct iovec	 iov[UDP_VLEN];
	int		 i, n;

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < UDP_VLEN; i++) {
		iov[i].iov_base = ux->l->udpbuf + (size_t)i * UDP_BUFLEN;
		iov[i].iov_len = UDP_BUFLEN;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	if ((n = recvmmsg(ux->s->fd, msgs, UDP_VLEN, MSG_DONTWAIT, NULL)) <= 0)
		return 0;
	listener_dropped(ux->s, LRT_UNIX, DROP_QUEUE_FULL, (uint64_t)n);
	return n;
}

/*
 * Read up to UNIX_ROUNDS batches of datagrams; how many were read.  Only
 * as many as the batch has free records are read at a time, and none when
 * the queue is full (then reading pauses: the datagrams wait in the
 * socket and senders are slowed, as TCP peers are; nothing is dropped).
 */
static int
unix_read(struct unixstate *ux)
{
	struct listener		*l = ux->l;
	struct mmsghdr		 msgs[UDP_VLEN];
	struct iovec		 iov[UDP_VLEN];
	char			 cbuf[UDP_VLEN][UNIX_CBUF];
	int			 i, n, round, total = 0;
	unsigned		 vlen;

	listener_clock(l);
	for (round = 0; round < UNIX_ROUNDS; round++) {
		if (!listener_room(l)) {	/* paused */
			if (ux->draining)
				total += unix_discard(ux);
			break;
		}
		vlen = l->batch->max - l->batch->n;
		if (vlen > UDP_VLEN)
			vlen = UDP_VLEN;
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < (int)vlen; i++) {
			iov[i].iov_base = l->udpbuf + (size_t)i * UDP_BUFLEN;
			iov[i].iov_len = UDP_BUFLEN;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = cbuf[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(cbuf[i]);
		}
		if ((n = recvmmsg(ux->s->fd, msgs, vlen, MSG_DONTWAIT,
		    NULL)) <= 0)
			break;
		total += n;
		for (i = 0; i < n; i++)
			unix_take(ux, &msgs[i].msg_hdr, msgs[i].msg_len);
		if (n < (int)vlen)
			break;
	}
	sources_add(ux->path, ux->plen, ux->mn, ux->mbytes);
	ux->mn = ux->mbytes = 0;
	listener_handoff(l);
	return total;
}

static void
unix_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct unixstate	*ux = arg;

	if (!ux->l->paused)
		unix_read(ux);
}

void
listen_unix_drain(struct lsock *s)
{
	int	 i;

	if (s->ux == NULL || !s->udp || s->fd == -1 || s->ux->l == NULL)
		return;
	if (s->ev != NULL)
		event_del(s->ev);
	s->ux->draining = 1;
	for (i = 0; i < 1024; i++)
		if (unix_read(s->ux) == 0)
			break;
}
