/*
 * out_forward.c: type = forward.  Events go out as RFC 5424 messages over
 * TCP with octet counting (RFC 6587 3.4.1: "LEN SP MSG"), to another
 * logstreamd, rsyslog (imtcp) or syslog-ng.  The output's thread reads its
 * disk buffer, writes, and reconnects with back-off.  A record leaves the
 * buffer once the peer's TCP stack acknowledged its bytes (SIOCOUTQ) and
 * then `resend` more bytes: TCP acknowledged is not read by the peer (a
 * hung peer's kernel takes bytes its program never reads, and waiting
 * proves nothing, so resend_hold no longer lets a record go), so after
 * a broken connection that tail is sent again (at least once; see
 * docs-outputs.md).  At a stop, a peer that closes after our FIN has read
 * everything: then the tail leaves the buffer too.
 */
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "confmap.h"
#include "diag.h"
#include "logrec.h"
#include "output_int.h"

#define SEND_CHUNK	(256 * 1024)	/* bytes framed per write */
#define RING_MAX	(1 << 18)	/* records sent, not yet acked */
#define CONNECT_MS	2000
#define BACKOFF_MIN_MS	100
#define SD_ID		"fields@32473"	/* 32473: RFC 5612's example PEN */

struct sent {
	uint64_t	 stream_end;	/* byte of the connection after it */
	struct dbpos	 end;
	uint64_t	 nth;
};

struct fwd {
	char		 host[256];
	char		 port[16];
	uint64_t	 resend;
	int64_t		 backoff_max_ms;
	int		 fd;
	int		 fin;		/* shutdown(SHUT_WR) sent (at stop) */
	uint64_t	 stream;	/* bytes written on this connection */
	struct sent	*ring;
	size_t		 head, npeer, n;	/* npeer: TCP-acked, from head */
	struct obuf	 out;
	struct diag_rate rate;
};

/* The type's state with its defaults, made on first use; NULL: ENOMEM. */
static void *
fwd_impl(struct output *o)
{
	struct fwd	*f = o->impl;

	if (f == NULL && (f = calloc(1, sizeof(*f))) != NULL) {
		f->fd = -1;
		f->resend = 1 << 20;
		f->backoff_max_ms = 10000;
		o->impl = f;
	}
	return f;
}

static int
set_target(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	struct fwd	*f = obj;

	if (conf_split_addr(kv->val, f->host, sizeof(f->host), f->port,
	    sizeof(f->port)) == -1 || f->port[0] == '\0') {
		f->host[0] = '\0';
		return -1;
	}
	return 0;
}

static int
set_resend_hold(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	diag_warn("%s:%d: [output %s]: resend_hold is no longer used (a hung "
	    "peer reads nothing however long we wait); the tail kept is "
	    "`resend` bytes", cf->file, kv->line, s->name);
	return 0;
}

static int
set_tls(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	config_error(cf, kv->line, "[output %s]: tls is not supported by this "
	    "version (see docs-outputs.md: stunnel or a local relay)",
	    s->name);
	return CM_REPORTED;
}

#define F(f)	offsetof(struct fwd, f)

/* The keys of type = forward (docs-outputs.md): one row each. */
static const struct conf_map fwd_map[] = {
	{ "target", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL,
	    "HOST:PORT or [IPv6]:PORT", 0, set_target },
	{ "resend", CM_SIZE, F(resend), NULL, 0, UINT64_MAX, NULL,
	    "a size such as 1M", 0, NULL },
	{ "resend_hold", CM_MS, CM_NOVALUE, NULL, 0, INT64_MAX, NULL,
	    "a duration (no longer used)", 0, set_resend_hold },
	{ "reconnect_max", CM_MS, F(backoff_max_ms), NULL, BACKOFF_MIN_MS,
	    INT64_MAX, NULL, "a duration of at least 100ms", 0, NULL },
	{ "tls", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL, NULL, 0, set_tls },
};

static int
fwd_finish(struct output *o, struct config *cf, int line)
{
	struct fwd	*f;

	if ((f = fwd_impl(o)) == NULL)
		return -1;
	if (f->host[0] == '\0') {
		config_error(cf, line, "[output %s]: target = HOST:PORT is "
		    "required for type = forward", o->name);
		return -1;
	}
	/* The tail kept for a resend must leave the buffer room to fill,
	 * or a full buffer (overflow = block) would wait on itself. */
	if (f->resend > o->dbc.max_size / 4)
		f->resend = o->dbc.max_size / 4;
	return 0;
}

/* An RFC 5424 header field: PRINTUSASCII, at most max, or "-". */
static void
add_token(struct obuf *o, const char *p, size_t len, size_t max)
{
	size_t	 i;
	char	 c;

	if (len == 0) {
		obuf_add(o, "-", 1);
		return;
	}
	if (len > max)
		len = max;
	obuf_reserve(o, len);
	for (i = 0; i < len; i++) {
		c = p[i];
		if ((unsigned char)c < 33 || (unsigned char)c > 126)
			c = '_';
		o->p[o->len++] = c;
	}
}

/* Fields other than RFC 5424 SD go out as one SD element, so a JSON
 * event's keys (seq included) reach the peer. */
static void
add_sd(struct obuf *o, const struct lsbatch *b, const struct logrec *r)
{
	const struct lsfield	*f = b->fields + r->field_first;
	const char		*k, *v;
	uint32_t		 i, j, n = 0;

	for (i = 0; i < r->field_count; i++) {
		k = LS_PTR(b, f[i].key);
		if (f[i].type == LSFT_SD || f[i].key.len == 0 ||
		    f[i].key.len > 32 || memchr(k, '=', f[i].key.len) ||
		    memchr(k, ' ', f[i].key.len) || memchr(k, ']',
		    f[i].key.len) || memchr(k, '"', f[i].key.len))
			continue;
		if (n++ == 0)
			OBUF_LIT(o, "[" SD_ID);
		OBUF_LIT(o, " ");
		add_token(o, k, f[i].key.len, 32);
		OBUF_LIT(o, "=\"");
		v = LS_PTR(b, f[i].val);
		for (j = 0; j < f[i].val.len; j++) {
			if (v[j] == '"' || v[j] == '\\' || v[j] == ']')
				obuf_add(o, "\\", 1);
			obuf_add(o, &v[j], 1);
		}
		OBUF_LIT(o, "\"");
	}
	if (n > 0)
		OBUF_LIT(o, "]");
	else
		OBUF_LIT(o, "-");
}

static void
add_time(struct obuf *o, int64_t us)
{
	struct tm	 tm;
	time_t		 t = (time_t)(us / 1000000);
	char		 s[40];
	int		 n;

	gmtime_r(&t, &tm);
	n = snprintf(s, sizeof(s), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(us % 1000000));
	obuf_add(o, s, (size_t)n);
}

/* The payload: an RFC 5424 event as received stays as it was; the rest
 * are written as RFC 5424 from the parsed record. */
static void
fwd_encode(struct output *out, struct obuf *o, const struct lsbatch *b,
    const struct logrec *r)
{
	char	 pri[16];
	int	 fac = r->facility >= 0 ? r->facility : 1;
	int	 sev = r->severity >= 0 ? r->severity : 5;

	if (r->format == LRF_RFC5424 && !(r->flags & LR_TRUNCATED)) {
		obuf_add(o, LS_PTR(b, r->raw), r->raw.len);
		return;
	}
	obuf_add(o, pri, (size_t)snprintf(pri, sizeof(pri), "<%d>1 ",
	    fac * 8 + sev));
	add_time(o, r->time_us != LR_NOTIME ? r->time_us : r->received_us);
	OBUF_LIT(o, " ");
	add_token(o, LS_PTR(b, r->host), r->host.len, 255);
	OBUF_LIT(o, " ");
	add_token(o, LS_PTR(b, r->app), r->app.len, 48);
	OBUF_LIT(o, " ");
	add_token(o, LS_PTR(b, r->pid), r->pid.len, 128);
	OBUF_LIT(o, " ");
	add_token(o, LS_PTR(b, r->msgid), r->msgid.len, 32);
	OBUF_LIT(o, " ");
	add_sd(o, b, r);
	if (r->message.len > 0) {
		OBUF_LIT(o, " ");
		obuf_add(o, LS_PTR(b, r->message), r->message.len);
	}
}

static void
fwd_close(struct output *o, struct fwd *f, const char *why)
{
	if (f->fd == -1)
		return;
	diag_rate(&f->rate, "output %s: connection to %s:%s lost (%s); "
	    "reconnecting, unacknowledged events will be sent again",
	    o->name, f->host, f->port, why);
	close(f->fd);
	f->fd = -1;
	atomic_store(&o->up, 0);
}

/* Wait up to CONNECT_MS for fd to be writable, less at a stop. */
static int
fwd_wait_out(struct output *o, int fd)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLOUT };
	int		 ms, rc = 0;

	for (ms = 0; ms < CONNECT_MS && rc == 0 && !atomic_load(&o->stop);
	    ms += 100)
		rc = poll(&pfd, 1, 100);
	return rc;
}

static int
fwd_connect(struct output *o, struct fwd *f)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	socklen_t	 sl = sizeof(int);
	int		 fd = -1, err = 0, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((err = getaddrinfo(f->host, f->port, &hints, &res)) != 0) {
		diag_rate(&f->rate, "output %s: %s: %s", o->name, f->host,
		    gai_strerror(err));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS && fwd_wait_out(o, fd) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == 0 &&
		    err == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		diag_rate(&f->rate, "output %s: cannot connect to %s:%s; "
		    "events wait in the buffer", o->name, f->host, f->port);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	f->fd = fd;
	f->fin = 0;
	f->stream = 0;
	f->head = f->npeer = f->n = 0;
	diskbuf_rewind(o->db);
	COUNT_ADD(o->connects, 1);
	atomic_store(&o->up, 1);
	diag_info("output %s: connected to %s:%s", o->name, f->host, f->port);
	return 0;
}

/* Frame records from the buffer into f->out, up to SEND_CHUNK. */
static void
fwd_fill(struct output *o, struct fwd *f, int wait_ms)
{
	struct dbrec	 r;
	struct sent	*s;
	char		 len[16];

	f->out.len = 0;
	while (f->out.len < SEND_CHUNK && f->n < RING_MAX &&
	    diskbuf_next(o->db, &r, f->out.len == 0 ? wait_ms : 0) == 1) {
		obuf_add(&f->out, len, (size_t)snprintf(len, sizeof(len),
		    "%u ", r.len));
		obuf_add(&f->out, r.p, r.len);
		s = &f->ring[(f->head + f->n++) % RING_MAX];
		*s = (struct sent){ f->stream + f->out.len, r.end, r.nth };
	}
}

static int
fwd_send(struct output *o, struct fwd *f)
{
	struct pollfd	 pfd = { .fd = f->fd, .events = POLLOUT };
	size_t		 off = 0;
	ssize_t		 n;
	uint64_t	 stop_at = 0;

	while (off < f->out.len) {
		n = send(f->fd, f->out.p + off, f->out.len - off,
		    MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			fwd_close(o, f, strerror(errno));
			return -1;
		}
		if (atomic_load(&o->stop)) {
			if (stop_at == 0)
				stop_at = diag_mono_ns() / 1000000 +
				    OUT_STOP_GRACE_MS;
			else if (diag_mono_ns() / 1000000 > stop_at)
				return -1;
		}
		poll(&pfd, 1, 100);
	}
	f->stream += f->out.len;
	return 0;
}

/* Is the peer gone?  It never sends; readable means EOF or an error. */
static int
fwd_alive(struct output *o, struct fwd *f)
{
	struct pollfd	 pfd = { .fd = f->fd, .events = POLLIN };
	char		 junk[512];
	ssize_t		 n;

	if (poll(&pfd, 1, 0) != 1)
		return 1;
	n = recv(f->fd, junk, sizeof(junk), MSG_DONTWAIT);
	if (n > 0 || (n == -1 && (errno == EAGAIN || errno == EINTR)))
		return 1;
	fwd_close(o, f, n == 0 ? "closed by the peer" : strerror(errno));
	return 0;
}

/* Acknowledge what the peer's TCP took and is past the resend window (all
 * it took, when the peer has read everything).  Bytes, not time: a peer
 * that hangs leaves what it took unread however long we wait.  A full
 * ring lets its oldest go (at most RING_MAX records are kept). */
static void
fwd_ack(struct output *o, struct fwd *f, int all)
{
	struct sent	*s, *last = NULL;
	uint64_t	 peer, acked = 0;
	int		 q = 0;

	if (ioctl(f->fd, SIOCOUTQ, &q) == -1)
		return;
	peer = f->stream - (uint64_t)q;
	while (f->npeer < f->n) {
		s = &f->ring[(f->head + f->npeer) % RING_MAX];
		if (s->stream_end > peer)
			break;
		f->npeer++;
	}
	while (f->npeer > 0) {
		s = &f->ring[f->head];
		if (!all && s->stream_end + f->resend > peer &&
		    f->n < RING_MAX - 1)
			break;
		last = s;
		f->head = (f->head + 1) % RING_MAX;
		f->npeer--;
		f->n--;
		acked++;
	}
	if (last != NULL) {
		diskbuf_ack(o->db, &last->end, last->nth);
		COUNT_ADD(o->sent, acked);
	}
}

/* Our FIN sent, does the peer close (its EOF) before until?  Then it read
 * all we sent: the one acknowledgement a plain TCP stream has. */
static int
fwd_peer_read_all(struct fwd *f, uint64_t until)
{
	struct pollfd	 pfd = { .fd = f->fd, .events = POLLIN };
	char		 junk[512];
	ssize_t		 n;

	if (!f->fin && shutdown(f->fd, SHUT_WR) == -1)
		return 0;
	f->fin = 1;
	while (diag_mono_ns() / 1000000 < until) {
		if (poll(&pfd, 1, 50) != 1)
			continue;
		if ((n = recv(f->fd, junk, sizeof(junk), MSG_DONTWAIT)) == 0)
			return 1;
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return 0;
	}
	return 0;
}

/* At stop: send on for a moment, then leave the rest to the next start
 * (what the peer may not have read, too). */
static int
fwd_done(struct output *o, struct fwd *f, uint64_t *stop_at)
{
	uint64_t	 now = diag_mono_ns() / 1000000;

	if (!atomic_load(&o->stop))
		return 0;
	if (*stop_at == 0)
		*stop_at = now + OUT_STOP_GRACE_MS;
	if (f->fd != -1 && f->out.len == 0 && f->n == f->npeer) {
		if (f->n > 0 && fwd_peer_read_all(f, *stop_at))
			fwd_ack(o, f, 1);
		return 1;
	}
	return now >= *stop_at || f->fd == -1;
}

static void *
fwd_run(void *arg)
{
	struct output	*o = arg;
	struct fwd	*f = o->impl;
	int64_t		 backoff = BACKOFF_MIN_MS;
	uint64_t	 stop_at = 0;

	pthread_setname_np(pthread_self(), "ls-forward");
	if ((f->ring = calloc(RING_MAX, sizeof(*f->ring))) == NULL) {
		diag_err("output %s: out of memory", o->name);
		return NULL;
	}
	while (!fwd_done(o, f, &stop_at)) {
		diskbuf_tick(o->db);
		if (f->fd == -1) {
			if (fwd_connect(o, f) == -1) {
				output_nap(o, (int)backoff);
				backoff = backoff * 2 > f->backoff_max_ms ?
				    f->backoff_max_ms : backoff * 2;
				continue;
			}
			backoff = BACKOFF_MIN_MS;
		}
		fwd_fill(o, f, 100);
		if (f->out.len > 0 && fwd_send(o, f) == -1)
			continue;
		if (f->fd != -1 && fwd_alive(o, f)) {
			fwd_ack(o, f, 0);
			if (f->out.len == 0 && f->n > 0)
				output_nap(o, 10);
		}
	}
	return NULL;
}

static void
fwd_free(struct output *o)
{
	struct fwd	*f = o->impl;

	if (f == NULL)
		return;
	if (f->fd != -1)
		close(f->fd);
	free(f->ring);
	obuf_free(&f->out);
	free(f);
	o->impl = NULL;
}

const struct out_ops out_forward_ops = {
	.type = "forward",
	.map = fwd_map,
	.nmap = CM_N(fwd_map),
	.impl = fwd_impl,
	.finish = fwd_finish,
	.encode = fwd_encode,
	.run = fwd_run,
	.free = fwd_free,
};
