/*
 * listen.c: listening sockets (TCP, TLS and unix stream through
 * evconnlistener, UDP through recvmmsg; unix sockets are listen_unix.c's),
 * the batch being filled, and backpressure: a refused push pauses every
 * TCP peer until the pipeline thread reports room (through an eventfd,
 * so the event loop never blocks on the queue).
 */
#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <systemd/sd-daemon.h>

#include "input.h"
#include "listen.h"
#include "listen_int.h"
#include "logrec.h"
#include "multiline.h"
#include "parser.h"
#include "privport.h"
#include "queue.h"
#include "sources.h"
#include "srclimit.h"
#include "stats.h"
#include "tls.h"

#define BATCH_MAX	512
#define UDP_ROUNDS	4		/* recvmmsg calls per callback */
#define UDP_RCVBUF	(8 * 1024 * 1024)
#define ACCEPT_BURST	32		/* accepts before peers are read */

struct udpstate {
	struct listener		*l;
	struct lsock		*s;
	struct sockaddr_storage	 last;
	socklen_t		 lastlen;
	char			 src[64];
	size_t			 slen;
	uint64_t		 gen;
	struct lsslice		 slice;
};

static void	wake_cb(evutil_socket_t, short, void *);

/* Called from the pipeline thread: poke the event loop. */
void
listener_wake(int why, void *arg)
{
	struct listener	*l = arg;
	uint64_t	 one = 1;

	atomic_fetch_or(&l->wake_why, why);
	if (write(l->wake_fd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		diag_err("eventfd write: %s", strerror(errno));
}

static stats_read_fn listener_stats_read;

struct listener *
listener_new(struct event_base *base, struct queue *q)
{
	struct listener	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL || sources_start() == -1) {
		free(l);
		return NULL;
	}
	l->base = base;
	l->q = q;
	TAILQ_INIT(&l->conns);
	TAILQ_INIT(&l->lru);
	l->clock_stale = 1;
	l->batch_max = queue_capacity(q) < BATCH_MAX ?
	    (uint32_t)queue_capacity(q) : BATCH_MAX;
	l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	l->udpbuf = malloc((size_t)UDP_VLEN * UDP_BUFLEN);
	l->srcs = srclimit_new();
	if (l->wake_fd == -1 || l->udpbuf == NULL || l->srcs == NULL ||
	    (l->wake_ev = event_new(base, l->wake_fd, EV_READ | EV_PERSIST,
	    wake_cb, l)) == NULL || event_add(l->wake_ev, NULL) == -1 ||
	    stats_add(STATS_SOCKET, listener_stats_read, l) == -1) {
		diag_err("listener: %s", strerror(errno));
		listener_free(l);
		return NULL;
	}
	return l;
}

void
listener_format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char	 host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host,
			    sizeof(host));
			snprintf(buf, len, "%s:%u", host, ntohs(s6->sin6_port));
		} else {
			inet_ntop(AF_INET6, &s6->sin6_addr, host,
			    sizeof(host));
			snprintf(buf, len, "[%s]:%u", host,
			    ntohs(s6->sin6_port));
		}
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(s4->sin_port));
	} else
		snprintf(buf, len, "local");
}

static int
cidr_match(const struct conf_cidr *c, const uint8_t *a)
{
	int	 full = c->prefix / 8, rest = c->prefix % 8;

	if (memcmp(c->addr, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((c->addr[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}

int
listener_allowed(const struct listener *l, const struct sockaddr *sa)
{
	const uint8_t	*a;
	int		 fam;
	size_t		 i;

	if (l->nallow == 0)
		return 1;
	if (sa->sa_family == AF_INET) {
		fam = AF_INET;
		a = (const uint8_t *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr.s6_addr;
		fam = AF_INET6;
		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a)) {
			fam = AF_INET;
			a += 12;
		}
	} else
		return 1;
	for (i = 0; i < l->nallow; i++)
		if (l->allow[i].family == fam && cidr_match(&l->allow[i], a))
			return 1;
	return 0;
}

/* Pause every TCP peer and every input: the queue is full. */
void
listener_pause(struct listener *l)
{
	struct conn	*c;

	if (l->paused)
		return;
	l->paused = 1;
	l->paused_at = diag_mono_ns();
	TAILQ_FOREACH(c, &l->conns, entry)
		conn_pause(c);
	listen_unix_pause(l, 1);
	inputs_pause(l->inputs);
	diag_debug("queue full: pausing %zu connections", l->nconns);
}

/*
 * Local senders (a unix socket: syslog(3), logger; a tailed file) name no
 * host: theirs is this machine, as rsyslog fills it in.  One copy of the
 * name per batch, shared by its records.
 */
static void
local_host(struct lsbatch *b)
{
	static char	 name[256];
	static size_t	 len;
	struct lsslice	 sl = { 0, 0 };
	struct logrec	*r;
	uint32_t	 i;

	if (len == 0) {
		if (gethostname(name, sizeof(name) - 1) == -1 || *name == '\0')
			snprintf(name, sizeof(name), "localhost");
		len = strlen(name);
	}
	for (i = 0; i < b->n; i++) {
		r = &b->recs[i];
		if (r->host.len > 0 || (r->flags & LR_DROP) ||
		    (r->transport != LRT_UNIX && r->transport != LRT_FILE))
			continue;
		if (sl.len == 0 && lsbatch_append(b, name, len, &sl) == -1)
			return;		/* no memory: left without a host */
		r->host = sl;
	}
}

/*
 * The parse, on this thread, once per batch (the listener's and every
 * input's events alike): the parser is called here directly, not through
 * the stage table; records an input filled itself (LR_PARSED) are left
 * alone and counted by their format.
 */
static void
intake_parse(struct lsbatch *b)
{
	uint64_t	 formats[LRF__COUNT] = { 0 };
	uint32_t	 i;
	int		 f;

	if (b->prepared)
		return;
	parser_process(b);
	local_host(b);
	for (i = 0; i < b->n; i++)
		formats[b->recs[i].format]++;
	for (f = 0; f < LRF__COUNT; f++)
		if (formats[f])
			COUNT_ADD(counters.formats[f], formats[f]);
	b->prepared = 1;
}

/* Push the batch being filled, numbered; 0, or -1 when the queue is full. */
static int
listener_push(struct listener *l)
{
	struct lsbatch	*b = l->batch;
	uint32_t	 n;

	if (b == NULL || b->n == 0)
		return 0;
	intake_parse(b);
	n = b->n;		/* b is the pipeline's once pushed */
	b->no = l->batch_no + 1;
	if (queue_push(l->q, b) == -1)
		return -1;
	l->batch_no++;
	COUNT_SUB(counters.inflight, n);
	l->batch = NULL;
	return 0;
}

/*
 * Make sure the batch being filled has a free slot, pushing a full one.
 * 1 if there is room; 0 if the queue is full (then every peer is paused,
 * unless stopping, when it waits for the pipeline instead).
 */
int
listener_room(struct listener *l)
{
	if (l->batch != NULL && !lsbatch_full(l->batch))
		return 1;
	while (listener_push(l) == -1) {
		if (!l->stopping) {
			listener_pause(l);
			return 0;
		}
		usleep(1000);
	}
	if ((l->batch = queue_get_batch(l->q, l->batch_max)) == NULL) {
		diag_rate(&l->rate_accept, "out of memory for a batch");
		listener_pause(l);
		return 0;
	}
	l->batch_gen++;
	return 1;
}

/* Add a record for len bytes at p; the caller made room first. */
struct logrec *
listener_add(struct listener *l, const char *p, size_t len, int truncated,
    int transport, const struct lsslice *src)
{
	struct lsbatch	*b = l->batch;
	struct logrec	*r;
	struct lsslice	 raw;

	if (lsbatch_append(b, p, len, &raw) == -1 ||
	    (r = lsbatch_add_rec(b)) == NULL)
		return NULL;
	r->raw = raw;
	r->source = *src;
	r->transport = (uint8_t)transport;
	r->received_us = l->now_us;
	r->recv_mono_ns = l->now_mono;
	if (truncated) {
		r->flags |= LR_TRUNCATED;
		COUNT_ADD(counters.truncated, 1);
	}
	l->nrecv[transport]++;
	return r;
}

/*
 * The end of a callback: give the records read to the stages now if they
 * are idle, else hold them (the batch grows) until the queue runs dry.
 */
void
listener_handoff(struct listener *l)
{
	int	 t;

	l->clock_stale = 1;
	for (t = 0; t < LRT__COUNT; t++) {
		if (l->nrecv[t] == 0)
			continue;
		COUNT_ADD(counters.received[t], l->nrecv[t]);
		COUNT_ADD(counters.inflight, l->nrecv[t]);
		l->nrecv[t] = 0;
	}
	if (l->batch == NULL || l->batch->n == 0)
		return;
	if (queue_depth(l->q) == 0 || lsbatch_full(l->batch)) {
		if (listener_push(l) == 0)
			return;
	}
	queue_hold(l->q);
}

/* ---- the intake (input.h): the inputs' way in, the listener's own ---- */

/* The clock is taken at the first event of a callback (handoff ends one). */
int
intake_room(struct listener *l)
{
	if (l->clock_stale)
		listener_clock(l);
	return listener_room(l);
}

struct logrec *
intake_add(struct listener *l, const char *p, size_t len, int truncated,
    int t, const char *source, size_t slen)
{
	struct lsslice	 src;

	if (t < 0 || t >= LRT__COUNT ||
	    lsbatch_append(l->batch, source, slen, &src) == -1)
		return NULL;
	return listener_add(l, p, len, truncated, t, &src);
}

int
intake_slice(struct listener *l, const char *p, size_t len,
    struct lsslice *out)
{
	return lsbatch_append(l->batch, p, len, out);
}

struct lsfield *
intake_field(struct listener *l)
{
	struct lsbatch	*b = l->batch;

	if (b == NULL || b->n == 0)
		return NULL;
	return lsbatch_add_rec_field(b, &b->recs[b->n - 1]);
}

uint64_t
intake_batchno(struct listener *l)
{
	return l->batch_no + 1;	/* batches are pushed in order */
}

uint64_t
intake_filled(struct listener *l)
{
	return l->batch != NULL && l->batch->n > 0 ? l->batch_no + 1 :
	    l->batch_no;
}

void
intake_handoff(struct listener *l)
{
	listener_handoff(l);
}

void
listener_inputs(struct listener *l, struct inputs *ins)
{
	l->inputs = ins;
	if (ins != NULL && l->paused)
		inputs_pause(ins);
}

/*
 * Time for idle_timeout: the monotonic clock of the last listener_clock,
 * less the time the queue was full (no peer is read then, so none can be
 * blamed for not completing an event).
 */
uint64_t
listener_progress_clock(const struct listener *l)
{
	return (l->paused ? l->paused_at : l->now_mono) - l->paused_ns;
}

/* Take time once per callback, not per event. */
void
listener_clock(struct listener *l)
{
	l->now_us = diag_now_us();
	l->now_mono = diag_mono_ns();
	l->clock_stale = 0;
}

static void
listener_resume(struct listener *l)
{
	struct conn	*c, *next;

	if (listener_push(l) == -1)
		return;			/* still full: wait for the next wake */
	listener_clock(l);
	l->paused = 0;
	l->paused_ns += l->now_mono - l->paused_at;
	for (c = TAILQ_FIRST(&l->conns); c != NULL && !l->paused; c = next) {
		next = TAILQ_NEXT(c, entry);
		conn_resume(c);
	}
	if (!l->paused) {
		listen_unix_pause(l, 0);
		inputs_resume(l->inputs);
	}
	listener_handoff(l);
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener	*l = arg;
	uint64_t	 v;
	int		 why;

	while (read(fd, &v, sizeof(v)) > 0)
		;
	why = atomic_exchange(&l->wake_why, 0);
	if (l->paused)
		listener_resume(l);
	else if (why & QUEUE_DRY)
		listener_handoff(l);
}

/* Accept on every TCP/TLS socket, or on none (burst, EMFILE back-off). */
static void
accepting(struct listener *l, int on)
{
	size_t	 i;

	for (i = 0; i < l->nsocks; i++) {
		if (l->socks[i]->evl == NULL)
			continue;
		if (on)
			evconnlistener_enable(l->socks[i]->evl);
		else
			evconnlistener_disable(l->socks[i]->evl);
	}
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener	*l = arg;

	l->naccept = 0;
	accepting(l, 1);
}

static void
accept_peer(struct listener *l, evutil_socket_t fd, struct sockaddr *sa,
    const struct lsock *s)
{
	static const struct timeval now = { 0, 0 };

	if (l->stopping) {
		close(fd);
		return;
	}
	conn_accept(l, fd, sa, s);
	listener_handoff(l);		/* what an evicted peer held */
	/*
	 * libevent accepts until the backlog is empty.  Let the peers taken
	 * so far be read first, or a source that connects, sends and closes
	 * in a loop would hold (for max_per_source and max_connections) every
	 * connection the backlog held, already closed but not yet seen to be.
	 */
	if (++l->naccept < ACCEPT_BURST)
		return;
	l->naccept = 0;
	accepting(l, 0);
	if (l->retry_ev == NULL)
		l->retry_ev = evtimer_new(l->base, retry_cb, l);
	if (l->retry_ev != NULL)
		evtimer_add(l->retry_ev, &now);
}

static void
accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct lsock	*s = arg;

	accept_peer(s->l, fd, sa, s);
}

/* accept() failed (EMFILE...): back off 100 ms rather than spin. */
static void
accept_error_cb(struct evconnlistener *evl, void *arg)
{
	struct listener	*l = ((struct lsock *)arg)->l;
	struct timeval	 tv = { 0, 100000 };
	int		 err = EVUTIL_SOCKET_ERROR();

	diag_rate(&l->rate_accept, "accept: %s; backing off",
	    evutil_socket_error_to_string(err));
	accepting(l, 0);
	if (l->retry_ev == NULL)
		l->retry_ev = evtimer_new(l->base, retry_cb, l);
	if (l->retry_ev != NULL)
		evtimer_add(l->retry_ev, &tv);
}

/*
 * A datagram that arrived and was dropped is received too (so received =
 * stored + dropped + in flight holds for every reason), counted at once.
 */
void
listener_dropped(struct lsock *s, int t, int reason, uint64_t n)
{
	COUNT_ADD(counters.received[t], n);
	COUNT_ADD(counters.dropped[reason], n);
	s->events += n;
	s->dropped[reason] += n;
}

/* The kernel's count of datagrams it dropped on this socket, if sent. */
static void
udp_overflow(struct lsock *s, struct msghdr *mh)
{
	struct cmsghdr	*cm;
	uint32_t	 v;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type !=
		    SO_RXQ_OVFL)
			continue;
		memcpy(&v, CMSG_DATA(cm), sizeof(v));
		if (v != (uint32_t)s->ovfl) {
			listener_dropped(s, LRT_UDP, DROP_KERNEL, (uint32_t)(v -
			    (uint32_t)s->ovfl));
			s->ovfl = v;
		}
	}
}

/* One datagram, one event (listener_dgram_len). */
static void
udp_take(struct udpstate *u, const struct sockaddr *sa, socklen_t salen,
    const char *p, size_t len)
{
	struct listener	*l = u->l;
	int		 trunc = 0;

	COUNT_ADD(counters.bytes, len);
	if (!listener_allowed(l, sa)) {
		listener_dropped(u->s, LRT_UDP, DROP_ACL, 1);
		return;
	}
	if ((len = listener_dgram_len(p, len)) == 0)
		return;
	if (len > l->max_message) {
		len = l->max_message;
		trunc = 1;
	}
	if (!listener_room(l)) {
		listener_dropped(u->s, LRT_UDP, DROP_QUEUE_FULL, 1);
		diag_rate(&l->rate_udp, "queue full: dropping UDP datagrams");
		return;
	}
	if (salen != u->lastlen || memcmp(sa, &u->last, salen) != 0) {
		memcpy(&u->last, sa, salen);
		u->lastlen = salen;
		listener_format_addr(sa, u->src, sizeof(u->src));
		u->slen = strlen(u->src);
		u->gen = UINT64_MAX;
	}
	if (u->gen != l->batch_gen) {
		if (lsbatch_append(l->batch, u->src, u->slen, &u->slice) == -1)
			return;
		u->gen = l->batch_gen;
	}
	if (listener_add(l, p, len, trunc, LRT_UDP, &u->slice) != NULL) {
		u->s->events++;
		sources_add(u->src, u->slen, 1, len);
	}
}

/*
 * Read up to UDP_ROUNDS batches of datagrams; how many were read (a full
 * UDP_ROUNDS * UDP_VLEN means more may be waiting).
 */
static int
udp_read(struct udpstate *u, int fd)
{
	struct listener		*l = u->l;
	struct mmsghdr		 msgs[UDP_VLEN];
	struct iovec		 iov[UDP_VLEN];
	struct sockaddr_storage	 addrs[UDP_VLEN];
	char			 cbuf[UDP_VLEN][CMSG_SPACE(sizeof(uint32_t))];
	int			 i, n, round, total = 0;

	listener_clock(l);
	for (round = 0; round < UDP_ROUNDS; round++) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < UDP_VLEN; i++) {
			iov[i].iov_base = l->udpbuf + (size_t)i * UDP_BUFLEN;
			iov[i].iov_len = UDP_BUFLEN;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &addrs[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(addrs[i]);
			msgs[i].msg_hdr.msg_control = cbuf[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(cbuf[i]);
		}
		if ((n = recvmmsg(fd, msgs, UDP_VLEN, MSG_DONTWAIT, NULL)) <= 0)
			break;
		total += n;
		for (i = 0; i < n; i++) {
			udp_overflow(u->s, &msgs[i].msg_hdr);
			udp_take(u, (struct sockaddr *)&addrs[i],
			    msgs[i].msg_hdr.msg_namelen, iov[i].iov_base,
			    msgs[i].msg_len);
		}
		if (n < UDP_VLEN)
			break;
	}
	listener_handoff(l);
	return total;
}

static void
udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	udp_read(arg, fd);
}

/*
 * Make an open socket ready to serve, but not serving yet: TCP accepts once
 * sock_serve enables it, UDP is read once its event is added.
 */
static int
sock_start(struct listener *l, struct lsock *s)
{
	int	 one = 1, sz = UDP_RCVBUF;

	s->l = l;
	if (s->local && listen_unix_start(l, s) == -1)
		return -1;
	if (!s->udp) {
		s->evl = evconnlistener_new(l->base, accept_cb, s,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
		    LEV_OPT_DISABLED, 0, s->fd);
		if (s->evl == NULL)
			return -1;
		evconnlistener_set_error_cb(s->evl, accept_error_cb);
		return 0;
	}
	if (s->local)
		return 0;
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) ==
	    -1)
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(s->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	evutil_make_socket_nonblocking(s->fd);
	if ((s->us = calloc(1, sizeof(*s->us))) == NULL)
		return -1;
	s->us->l = l;
	s->us->s = s;
	s->us->gen = UINT64_MAX;
	s->ev = event_new(l->base, s->fd, EV_READ | EV_PERSIST, udp_read_cb,
	    s->us);
	return s->ev == NULL ? -1 : 0;
}

/* Serve a socket sock_start made ready; 0 or -1 (errno). */
static int
sock_serve(struct lsock *s)
{
	if (s->evl != NULL)
		return evconnlistener_enable(s->evl);
	if (s->local)
		return listen_unix_serve(s);
	return event_add(s->ev, NULL);
}

static void
sock_free(struct lsock *s)
{
	if (s == NULL)
		return;
	if (s->evl != NULL)
		evconnlistener_free(s->evl);	/* closes fd */
	else if (s->fd != -1)
		close(s->fd);
	if (s->ev != NULL)
		event_free(s->ev);
	listen_unix_free(s);
	free(s->us);
	free(s->text);
	free(s);
}

/*
 * Close a socket that served.  A UDP socket is read dry first: what the
 * kernel holds for it was received, and closing would lose it uncounted.
 * The cap only stops a sender that outruns the reads for ever (an 8 MB
 * buffer holds far fewer datagrams).
 */
static void
sock_close(struct listener *l, struct lsock *s)
{
	int	 i;

	if (s->local)
		listen_unix_drain(s);
	else if (s->udp && s->us != NULL && s->fd != -1) {
		if (s->ev != NULL)
			event_del(s->ev);
		for (i = 0; i < 1024; i++)
			if (udp_read(s->us, s->fd) < UDP_ROUNDS * UDP_VLEN)
				break;
	}
	sock_free(s);
}

static const char *
sock_proto(const struct lsock *s)
{
	if (s->local)
		return s->udp ? "unix" : "unix_stream";
	return s->udp ? "udp" : s->tls ? "tls" : "tcp";
}

/* The address text names: the first getaddrinfo answer, as bound. */
static int
sock_resolve(const char *text, int udp, int tls, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct addrinfo	 hints, *res = NULL;
	char		 host[256], port[16];
	int		 e;
	const char	*proto = udp ? "udp" : tls ? "tls" : "tcp";

	if (conf_split_addr(text, host, sizeof(host), port, sizeof(port)) ==
	    -1) {
		diag_err("listen %s %s: bad address", proto, text);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = udp ? SOCK_DGRAM : SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		diag_err("listen %s %s: %s", proto, text, gai_strerror(e));
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Same family, address and port (the rest of a sockaddr is not identity). */
static int
sockaddr_same(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	const struct sockaddr_in	*a4 = (const void *)a;
	const struct sockaddr_in	*b4 = (const void *)b;
	const struct sockaddr_in6	*a6 = (const void *)a;
	const struct sockaddr_in6	*b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		    a6->sin6_scope_id == b6->sin6_scope_id &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0;
	return 0;
}

/* Open and bind one resolved address; NULL with the cause logged. */
static struct lsock *
sock_open(const char *text, const struct sockaddr_storage *sa,
    socklen_t salen, int udp, int tls, int reuse_port)
{
	struct lsock	*s;
	int		 one = 1, e, what = udp ? SOCK_DGRAM : SOCK_STREAM;
	const char	*proto = udp ? "udp" : tls ? "tls" : "tcp";

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->fd = -1;
	s->udp = udp;
	s->tls = tls;
	s->sa = *sa;
	s->salen = salen;
	if ((s->text = strdup(text)) == NULL)
		goto syserr;
	if ((s->fd = socket(sa->ss_family, what | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		goto syserr;
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Several instances on one port: the kernel spreads connections and
	 * datagrams over them (docs-outputs.md). */
	if (reuse_port && setsockopt(s->fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) == -1)
		goto syserr;
	if (sa->ss_family == AF_INET6)
		setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(s->fd, (const struct sockaddr *)sa, salen) == -1 ||
	    (!udp && listen(s->fd, 1024) == -1))
		goto syserr;
	return s;
syserr:
	e = errno;
	diag_err("listen %s %s: %s%s", proto, text, strerror(e), e == EACCES ?
	    privport_hint(ntohs(((const struct sockaddr_in *)sa)->sin_port)) :
	    "");
	sock_free(s);
	return NULL;
}

/* The state a config asks of the listener, built aside by
 * listener_prepare and put in force by listener_commit. */
struct lsprep {
	struct lsock		**socks;	/* all, in the new order */
	size_t			 nsocks;
	struct tls		*tls;
	struct conf_cidr	*allow;
	size_t			 nallow;
	uint64_t		 max_message;
	uint64_t		 max_connections;
	uint64_t		 max_per_source;
	int64_t			 idle_ms;
	unsigned		 unix_mode;
	struct multiline_re	*mlre;
	uint64_t		 ml_timeout;
};

static int
prep_add(struct lsprep *p, struct lsock *s)
{
	struct lsock	**v;

	if ((v = reallocarray(p->socks, p->nsocks + 1, sizeof(*v))) == NULL)
		return -1;
	p->socks = v;
	p->socks[p->nsocks++] = s;
	return 0;
}

/* A socket of v[0..n) bound to sa, or NULL. */
static struct lsock *
sock_find(struct lsock **v, size_t n, const struct sockaddr_storage *sa,
    int udp, int tls)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (v[i]->udp == udp && v[i]->tls == tls &&
		    !v[i]->inherited && sockaddr_same(&v[i]->sa, sa))
			return v[i];
	return NULL;
}

/* A socket just bound into p, ready but not serving; -1: freed, logged. */
static int
prep_fresh(struct listener *l, struct lsprep *p, struct lsock *s)
{
	s->fresh = 1;
	if (sock_start(l, s) == -1) {
		diag_err("listen %s %s: %s", sock_proto(s), s->text,
		    strerror(errno));
		sock_free(s);
		return -1;
	}
	if (prep_add(p, s) == -1) {
		sock_free(s);
		return -1;
	}
	return 0;
}

/*
 * Add what a[0..n) lists to p: a running socket bound to the same resolved
 * address is kept (127.0.0.1:514 and localhost:514 are one socket), others
 * are bound now, ready but not serving.
 */
static int
prep_list(struct listener *l, struct lsprep *p, const struct conf_addr *a,
    size_t n, int udp, int tls, int reuse_port)
{
	struct sockaddr_storage	 sa;
	socklen_t		 salen;
	struct lsock		*s;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (sock_resolve(a[i].text, udp, tls, &sa, &salen) == -1)
			return -1;
		if (sock_find(p->socks, p->nsocks, &sa, udp, tls) != NULL)
			continue;		/* listed twice */
		if ((s = sock_find(l->socks, l->nsocks, &sa, udp, tls)) !=
		    NULL) {
			if (prep_add(p, s) == -1)
				return -1;
			continue;
		}
		if ((s = sock_open(a[i].text, &sa, salen, udp, tls,
		    reuse_port)) == NULL || prep_fresh(l, p, s) == -1)
			return -1;
	}
	return 0;
}

/* The unix paths a[0..n) into p, kept by path as prep_list keeps
 * addresses (a socket from systemd on the path is that socket). */
static int
prep_unix(struct listener *l, struct lsprep *p, const struct conf_addr *a,
    size_t n, int stream, unsigned mode)
{
	struct lsock	*s;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (listen_unix_find(p->socks, p->nsocks, a[i].text, stream) !=
		    NULL)
			continue;		/* listed twice, or inherited */
		if ((s = listen_unix_find(l->socks, l->nsocks, a[i].text,
		    stream)) != NULL) {
			if (prep_add(p, s) == -1)
				return -1;
			continue;
		}
		if ((s = listen_unix_open(a[i].text, stream, mode)) == NULL ||
		    prep_fresh(l, p, s) == -1)
			return -1;
	}
	return 0;
}

void
listener_abort(struct lsprep *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nsocks; i++)
		if (p->socks[i]->fresh)
			sock_free(p->socks[i]);
	free(p->socks);
	tls_free(p->tls);
	free(p->allow);
	multiline_re_free(p->mlre);
	free(p);
}

struct lsprep *
listener_prepare(struct listener *l, const struct config *cf)
{
	struct lsprep	*p;
	size_t		 i, inherited = 0, inherited_tls = 0;
	char		 err[256];

	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto nomem;
	/*
	 * Sockets from systemd replace the tcp and udp addresses of cf; its
	 * tls addresses too when one of them is named "tls", else those
	 * are opened here.  They stay whatever cf says.  A unix socket from
	 * systemd (syslog.socket) replaces nothing: it serves beside cf's
	 * addresses, and is the socket of a unix path of cf that names it.
	 */
	for (i = 0; i < l->nsocks; i++) {
		if (!l->socks[i]->inherited)
			continue;
		if (!l->socks[i]->local)
			inherited++;
		inherited_tls += l->socks[i]->tls;
		if (prep_add(p, l->socks[i]) == -1)
			goto nomem;
	}
	if ((cf->ntls > 0 || inherited_tls > 0) &&
	    (p->tls = tls_new(cf)) == NULL)
		goto fail;
	if ((inherited == 0 && (prep_list(l, p, cf->tcp, cf->ntcp, 0, 0,
	    cf->reuse_port) == -1 || prep_list(l, p, cf->udp, cf->nudp, 1, 0,
	    cf->reuse_port) == -1)) || (inherited_tls == 0 &&
	    prep_list(l, p, cf->tls, cf->ntls, 0, 1, cf->reuse_port) == -1) ||
	    prep_unix(l, p, cf->unix_dgram, cf->nunix_dgram, 0,
	    (unsigned)cf->unix_mode) == -1 || prep_unix(l, p, cf->unix_stream,
	    cf->nunix_stream, 1, (unsigned)cf->unix_mode) == -1)
		goto fail;
	p->unix_mode = (unsigned)cf->unix_mode;
	if (cf->nallow > 0) {
		if ((p->allow = calloc(cf->nallow, sizeof(*p->allow))) == NULL)
			goto nomem;
		memcpy(p->allow, cf->allow, cf->nallow * sizeof(*p->allow));
		p->nallow = cf->nallow;
	}
	p->max_message = cf->max_message;
	p->max_connections = cf->max_connections;
	p->max_per_source = cf->max_per_source;
	p->idle_ms = cf->idle_timeout_ms;
	p->ml_timeout = (uint64_t)cf->ml_timeout_ms * 1000000;
	if (cf->ml_start != NULL && (p->mlre = multiline_re_new(cf->ml_start,
	    err, sizeof(err))) == NULL) {
		diag_err("listen: multiline_start: %s", err);
		goto fail;
	}
	return p;
nomem:
	diag_err("listen: %s", strerror(errno));
fail:
	listener_abort(p);
	return NULL;
}

int
listener_prep_count(const struct lsprep *p)
{
	return (int)p->nsocks;
}

static int
prep_has(const struct lsprep *p, const struct lsock *s)
{
	size_t	 i;

	for (i = 0; i < p->nsocks; i++)
		if (p->socks[i] == s)
			return 1;
	return 0;
}

/* Hand on the joined events whose multiline_timeout has passed. */
static void
listener_ml_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener	*l = arg;
	struct conn	*c;

	if (l->paused)
		return;
	listener_clock(l);
	TAILQ_FOREACH(c, &l->conns, entry)
		if (c->ml != NULL && multiline_due(c->ml, l->now_mono) &&
		    conn_flush(c) == -1)
			break;
	listener_handoff(l);
}

/*
 * multiline_start and its timeout of a new config: every peer's joiner
 * takes the new regex (a peer without one keeps lines as they are), then
 * the old regex goes.  The timer runs while there is a regex (or an
 * event it joined may still be held), at a quarter of the timeout.
 */
static void
listener_multiline(struct listener *l, struct lsprep *p)
{
	struct multiline_re	*old = l->mlre;
	struct conn		*c;
	struct timeval		 tv;
	uint64_t		 tick;

	l->mlre = p->mlre;
	p->mlre = NULL;
	l->ml_timeout = p->ml_timeout;
	TAILQ_FOREACH(c, &l->conns, entry)
		if (c->ml != NULL)
			multiline_set(c->ml, l->mlre, l->max_message,
			    l->ml_timeout);
	multiline_re_free(old);
	if (l->mlre == NULL && old == NULL)
		return;
	if (l->ml_ev == NULL && (l->ml_ev = event_new(l->base, -1,
	    EV_PERSIST, listener_ml_cb, l)) == NULL) {
		diag_err("listen: multiline_timeout: out of memory");
		return;
	}
	tick = l->ml_timeout / 4;
	if (tick < 10000000)
		tick = 10000000;
	if (tick > 250000000)
		tick = 250000000;
	tv.tv_sec = 0;
	tv.tv_usec = (suseconds_t)(tick / 1000);
	evtimer_add(l->ml_ev, &tv);
}

void
listener_commit(struct listener *l, struct lsprep *p)
{
	struct conn	*c;
	size_t		 i;

	tls_free(l->tls);		/* its peers keep their reference */
	l->tls = p->tls;
	free(l->allow);
	l->allow = p->allow;
	l->nallow = p->nallow;
	l->max_connections = p->max_connections;
	l->max_per_source = p->max_per_source;
	if (l->max_message != p->max_message) {
		l->max_message = p->max_message;
		listener_clock(l);
		TAILQ_FOREACH(c, &l->conns, entry)
			conn_limits(c);
		listener_handoff(l);
	}
	if (l->idle_ms != p->idle_ms) {
		l->idle_ms = p->idle_ms;
		listener_clock(l);
		conn_sweep_arm(l, 1);
	}
	listener_multiline(l, p);
	/* The sockets last: what p drops first, then the new ones serve. */
	for (i = 0; i < l->nsocks; i++) {
		if (prep_has(p, l->socks[i]))
			continue;
		diag_info("no longer listening on %s %s",
		    sock_proto(l->socks[i]), l->socks[i]->text);
		sock_close(l, l->socks[i]);
	}
	free(l->socks);
	l->socks = p->socks;
	l->nsocks = p->nsocks;
	for (i = 0; i < l->nsocks; i++) {
		struct lsock *s = l->socks[i];

		if (s->local && !s->inherited)
			listen_unix_chmod(s, p->unix_mode);
		if (!s->fresh)
			continue;
		s->fresh = 0;
		if (sock_serve(s) == -1)
			diag_err("listen %s %s: cannot serve: %s",
			    sock_proto(s), s->text, strerror(errno));
		else
			diag_info("listening on %s %s", sock_proto(s),
			    s->text);
	}
	free(p);
}

static int
sock_add(struct listener *l, struct lsock *s)
{
	struct lsock	**v;

	if ((v = reallocarray(l->socks, l->nsocks + 1, sizeof(*v))) == NULL)
		return -1;
	l->socks = v;
	l->socks[l->nsocks++] = s;
	return 0;
}

/* Sockets passed by systemd. */
int
listener_inherit(struct listener *l)
{
	char	**names = NULL;
	int	 n, i, type, rc = 0;
	socklen_t len = sizeof(type);
	struct lsock *s;

	if ((n = sd_listen_fds_with_names(1, &names)) <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (rc == -1 || (s = calloc(1, sizeof(*s))) == NULL) {
			rc = -1;
			if (names != NULL)
				free(names[i]);
			continue;
		}
		s->fd = SD_LISTEN_FDS_START + i;
		s->inherited = 1;
		if (getsockopt(s->fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1)
			type = SOCK_STREAM;
		s->udp = type == SOCK_DGRAM;
		/* A unix socket (syslog.socket's): its path is the source. */
		if (listen_unix_inherit(s) == -1)
			rc = -1;
		/* FileDescriptorName=tls: a TLS listener (tls_cert needed). */
		s->tls = !s->udp && names != NULL && names[i] != NULL &&
		    strcmp(names[i], "tls") == 0;
		if (asprintf(&s->text, "systemd:%s", names != NULL &&
		    names[i] != NULL ? names[i] : "unknown") == -1)
			s->text = NULL;
		if (names != NULL)
			free(names[i]);
		/*
		 * Accept=yes in a .socket unit passes one accepted connection
		 * to one instance per peer: each would open the same store
		 * and ports.  Only listening sockets are served (as rsyslog
		 * and syslog-ng take only listening/datagram sockets).
		 */
		if (!s->udp && sd_is_socket(s->fd, AF_UNSPEC, SOCK_STREAM,
		    1) <= 0) {
			diag_err("socket from systemd (%s, fd %d) is a "
			    "connection, not a listening socket: Accept=yes "
			    "in the .socket unit is not supported; set "
			    "Accept=no", s->text ? s->text : "?", s->fd);
			sock_free(s);
			rc = -1;
			continue;
		}
		evutil_make_socket_nonblocking(s->fd);
		evutil_make_socket_closeonexec(s->fd);
		if (sock_start(l, s) == -1 || sock_serve(s) == -1 ||
		    sock_add(l, s) == -1) {
			diag_err("socket from systemd (%s): cannot use it",
			    s->text);
			sock_free(s);
			rc = -1;
			continue;
		}
		diag_info("listening on socket from systemd: %s %s",
		    sock_proto(s), s->text);
	}
	free(names);
	return rc;
}

/* The STATS_SOCKET provider: each datagram socket (event loop only). */
static void
listener_stats_read(void *arg, stats_see_fn *see, void *ctx)
{
	struct listener		*l = arg;
	struct stats_socket	 v;
	size_t			 i;

	for (i = 0; i < l->nsocks; i++)
		if (l->socks[i]->udp) {		/* datagram sockets: udp, unix */
			v.proto = sock_proto(l->socks[i]);
			v.addr = l->socks[i]->text ? l->socks[i]->text : "?";
			v.events = l->socks[i]->events;
			v.dropped = l->socks[i]->dropped;
			see(ctx, &v);
		}
}

int
listener_count(const struct listener *l)
{
	return (int)l->nsocks;
}

void
listener_shutdown(struct listener *l)
{
	struct conn	*c;
	size_t		 i;

	l->stopping = 1;
	if (l->sweep_ev != NULL)
		evtimer_del(l->sweep_ev);
	if (l->ml_ev != NULL)
		evtimer_del(l->ml_ev);
	for (i = 0; i < l->nsocks; i++)
		sock_close(l, l->socks[i]);
	l->nsocks = 0;
	listener_clock(l);
	/* The inputs hand over what they read (room is waited for now). */
	inputs_stop(l->inputs);
	listener_clock(l);
	/*
	 * Take every complete event buffered.  A peer still connected may
	 * have sent part of a line: that is no event yet, so it is not
	 * stored (a peer that closed has its last line taken as an event).
	 */
	while ((c = TAILQ_FIRST(&l->conns)) != NULL) {
		bufferevent_disable(c->bev, EV_READ);
		conn_drain(c);		/* waits for room: stopping */
		conn_flush(c);		/* a joined event is complete */
		conn_free(c);
	}
	l->paused = 0;
	while (l->batch != NULL && l->batch->n > 0 && listener_push(l) == -1)
		usleep(1000);
	listener_handoff(l);
}

void
listener_free(struct listener *l)
{
	struct conn	*c;
	size_t		 i;

	if (l == NULL)
		return;
	stats_remove(listener_stats_read, l);
	sources_stop();
	while ((c = TAILQ_FIRST(&l->conns)) != NULL)
		conn_free(c);
	for (i = 0; i < l->nsocks; i++)
		sock_free(l->socks[i]);
	free(l->socks);
	if (l->wake_ev != NULL)
		event_free(l->wake_ev);
	if (l->retry_ev != NULL)
		event_free(l->retry_ev);
	if (l->sweep_ev != NULL)
		event_free(l->sweep_ev);
	if (l->ml_ev != NULL)
		event_free(l->ml_ev);
	multiline_re_free(l->mlre);
	srclimit_free(l->srcs);
	if (l->wake_fd != -1)
		close(l->wake_fd);
	lsbatch_free(l->batch);
	free(l->udpbuf);
	free(l->allow);
	tls_free(l->tls);
	free(l);
}
