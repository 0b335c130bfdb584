/*
 * conn.c: one TCP, TLS or unix stream peer.  Its bytes arrive in a
 * bufferevent (a socket one, or bufferevent_openssl after the handshake);
 * each callback frames every complete event buffered (bounded by the read
 * high-water mark) into the listener's batch.  When the queue is full the
 * listener stops reading every peer; the bytes wait in the socket, so TCP
 * slows the sender and nothing is lost.  A peer is freed in exactly one
 * place, conn_free.
 *
 * Progress is a complete event, not a byte: peers sit in a list ordered by
 * their last complete event, and one timer closes those that completed none
 * for idle_timeout, however many bytes they trickle (slowloris).  At
 * max_connections a newcomer takes the place of the peer that has gone
 * longest without an event, if that is at least EVICT_MIN.
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "listen_int.h"
#include "logrec.h"
#include "multiline.h"
#include "sources.h"
#include "srclimit.h"
#include "tls.h"

#define READ_CHUNK	(128 * 1024)
#define HANDSHAKE_MS	10000		/* a TLS handshake ends by then */
#define EVICT_MIN	1000000000ULL	/* ns without an event, at the least */
#define MS		1000000ULL

static void	conn_read_cb(struct bufferevent *, void *);
static void	conn_event_cb(struct bufferevent *, short, void *);
static void	conn_handshake_timeout_cb(evutil_socket_t, short, void *);

/*
 * A TLS peer has HANDSHAKE_MS (or idle_timeout, if shorter) for the whole
 * handshake: a deadline, not a read timeout that each byte would renew.
 */
static int
conn_handshake_start(struct conn *c)
{
	int64_t		 ms = HANDSHAKE_MS;
	struct timeval	 tv;

	if (c->l->idle_ms > 0 && c->l->idle_ms < ms)
		ms = c->l->idle_ms;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if ((c->hs_ev = evtimer_new(c->l->base, conn_handshake_timeout_cb,
	    c)) == NULL || evtimer_add(c->hs_ev, &tv) == -1)
		return -1;
	bufferevent_disable(c->bev, EV_WRITE);	/* we never send data */
	return 0;
}

static void
lru_remove(struct conn *c)
{
	if (!c->in_lru)
		return;
	TAILQ_REMOVE(&c->l->lru, c, lru);
	c->in_lru = 0;
}

/*
 * The peer is gone or sent away: take what it sent, the part of a line
 * too (as at EOF), and free it.  0 if freed; -1 if a full queue holds it
 * until conn_resume.
 */
static int
conn_close(struct conn *c)
{
	struct listener	*l = c->l;

	c->eof = 1;
	lru_remove(c);
	bufferevent_disable(c->bev, EV_READ);
	if (!l->paused && conn_drain(c) == 0) {
		conn_free(c);
		return 0;
	}
	return -1;
}

/*
 * max_connections is reached: close the peer that has gone longest without
 * a complete event, if that is EVICT_MIN or more (a sender that completes
 * events keeps its place; one that trickles or idles gives it up).
 */
static int
conn_evict(struct listener *l, const char *newcomer)
{
	struct conn	*c = TAILQ_FIRST(&l->lru);
	uint64_t	 age;
	int64_t		 floor = EVICT_MIN;

	if (l->idle_ms > 0 && (uint64_t)l->idle_ms * MS < EVICT_MIN)
		floor = l->idle_ms * (int64_t)MS;
	if (c == NULL || l->paused)
		return -1;
	age = listener_progress_clock(l) - c->progress;
	if (age < (uint64_t)floor)
		return -1;
	diag_rate(&l->rate_evict, "max_connections (%llu) reached: closed "
	    "%s (no complete event for %llu ms) for %s",
	    (unsigned long long)l->max_connections, c->source,
	    (unsigned long long)(age / MS), newcomer);
	COUNT_ADD(counters.evicted, 1);
	return conn_close(c);
}

/* May sa become a peer?  ACL, max_per_source, then max_connections, making
 * room where it can; -1 refused (counted, said at a limited rate). */
static int
conn_admit(struct listener *l, const struct sockaddr *sa, const char *addr,
    struct srcent **se)
{
	int	 rc;

	if (!listener_allowed(l, sa)) {
		COUNT_ADD(counters.refused_acl, 1);
		diag_rate(&l->rate_refused, "refused %s: not in allow", addr);
		return -1;
	}
	/* Local peers are one host: max_connections bounds them. */
	if ((rc = srclimit_take(l->srcs, sa, sa->sa_family == AF_UNIX ? 0 :
	    l->max_per_source, se)) != SRC_TAKEN) {
		if (rc == -1) {
			diag_rate(&l->rate_accept, "accept %s: out of memory",
			    addr);
			return -1;
		}
		COUNT_ADD(counters.refused_source, 1);
		diag_rate(&l->rate_source, "refused %s: its source holds "
		    "max_per_source (%llu) connections", addr,
		    (unsigned long long)l->max_per_source);
		return -1;
	}
	if (l->nconns >= l->max_connections && conn_evict(l, addr) == -1) {
		srclimit_put(l->srcs, *se);
		COUNT_ADD(counters.refused_limit, 1);
		diag_rate(&l->rate_refused, "refused %s: max_connections "
		    "(%llu) reached", addr,
		    (unsigned long long)l->max_connections);
		return -1;
	}
	return 0;
}

void
conn_accept(struct listener *l, int fd, const struct sockaddr *sa,
    const struct lsock *s)
{
	struct conn	*c;
	struct srcent	*se;
	char		 addr[64];
	int		 tls = s->tls;

	listener_clock(l);
	listener_format_addr(sa, addr, sizeof(addr));
	if (conn_admit(l, sa, addr, &se) == -1) {
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto nomem;
	c->l = l;
	if (tls)
		c->bev = l->tls != NULL ? tls_accept(l->tls, l->base, fd) :
		    NULL;
	else
		c->bev = bufferevent_socket_new(l->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		goto nomem;
	if ((tls && conn_handshake_start(c) == -1) ||
	    (l->mlre != NULL && (c->ml = multiline_new(l->mlre,
	    l->max_message, l->ml_timeout)) == NULL))
		goto nomem_bev;
	c->transport = tls ? LRT_TLS : LRT_TCP;
	c->se = se;
	c->slen = strlen(addr);
	memcpy(c->source, addr, c->slen);
	if (s->local)
		listen_unix_accepted(c, s, fd);
	c->src_gen = UINT64_MAX;
	c->progress = listener_progress_clock(l);
	bufferevent_setcb(c->bev, conn_read_cb, NULL, conn_event_cb, c);
	conn_limits(c);
	bufferevent_set_max_single_read(c->bev, READ_CHUNK);
	/* A TLS handshake runs either way; reading waits for room. */
	if (l->paused)
		bufferevent_disable(c->bev, EV_READ);
	else
		bufferevent_enable(c->bev, EV_READ);
	TAILQ_INSERT_TAIL(&l->conns, c, entry);
	TAILQ_INSERT_TAIL(&l->lru, c, lru);
	c->in_lru = 1;
	l->nconns++;
	COUNT_ADD(counters.connections, 1);
	COUNT_ADD(counters.accepted, 1);
	conn_sweep_arm(l, 0);
	diag_debug("connection from %s%s", addr, tls ? " (tls)" : "");
	return;
nomem_bev:
	if (c->hs_ev != NULL)
		event_free(c->hs_ev);
	bufferevent_free(c->bev);	/* closes fd */
	free(c);
	srclimit_put(l->srcs, se);
	diag_rate(&l->rate_accept, "accept %s: out of memory", addr);
	return;
nomem:
	free(c);
	close(fd);
	srclimit_put(l->srcs, se);
	diag_rate(&l->rate_accept, "accept %s: out of memory", addr);
}

/*
 * The input may hold an event of max_message and two reads more.  Set again
 * when a reload changes max_message: at the old mark a peer is never read
 * again while its frame waits for bytes past it.  What is buffered is
 * framed at once under the new limit, since a lower mark stops reading
 * without a callback to frame what is held.
 */
void
conn_limits(struct conn *c)
{
	struct listener	*l = c->l;

	bufferevent_setwatermark(c->bev, EV_READ, 0,
	    l->max_message + 2 * READ_CHUNK);
	if (!l->paused && !c->eof && c->hs_ev == NULL)
		conn_drain(c);
}

void
conn_free(struct conn *c)
{
	struct listener	*l = c->l;

	TAILQ_REMOVE(&l->conns, c, entry);
	lru_remove(c);
	srclimit_put(l->srcs, c->se);
	l->nconns--;
	COUNT_SUB(counters.connections, 1);
	COUNT_ADD(counters.bad_frames, c->fr.bad);
	if (c->hs_ev != NULL)
		event_free(c->hs_ev);
	multiline_free(c->ml);
	bufferevent_free(c->bev);
	free(c);
}

/* The peer's source (and a unix peer's credentials) in the batch being
 * filled; 0 or -1 (ENOMEM). */
static int
conn_src(struct conn *c)
{
	struct listener	*l = c->l;

	if (c->src_gen == l->batch_gen)
		return 0;
	if (lsbatch_append(l->batch, c->source, c->slen, &c->src) == -1 ||
	    (c->tlen > 0 && lsbatch_append(l->batch, c->trusted, c->tlen,
	    &c->tru) == -1))
		return -1;
	c->src_gen = l->batch_gen;
	return 0;
}

/* An event of c (conn_src done); 0, or -1 (ENOMEM). */
static int
conn_add(struct conn *c, const char *p, size_t len, int trunc)
{
	struct logrec	*r;

	if ((r = listener_add(c->l, p, len, trunc, c->transport, &c->src)) ==
	    NULL)
		return -1;
	r->trusted = c->tru;
	return 0;
}

/* Room for an event of len bytes from c: a slot, its source, the bytes
 * (so the add after the joiner handed an event out cannot fail). */
static int
conn_room(struct conn *c, size_t len)
{
	return listener_room(c->l) && conn_src(c) == 0 &&
	    lsbatch_reserve(c->l->batch, len) == 0 ? 0 : -1;
}

/*
 * The joined event in progress, handed on (its timeout passed, the peer
 * left, a stop).  1 added, 0 none held, -1 no room (it stays held).
 */
int
conn_flush(struct conn *c)
{
	struct mlevent	 ev;

	if (c->ml == NULL || !multiline_pending(c->ml))
		return 0;
	if (conn_room(c, multiline_held(c->ml)) == -1)
		return -1;
	multiline_flush(c->ml, &ev);
	conn_add(c, ev.p, ev.len, ev.truncated);	/* room was made */
	return 1;
}

/*
 * One framed line through the joiner: *nev events added.  0 taken, -1
 * not taken (no room: framed again later).
 */
static int
conn_join(struct conn *c, const char *p, size_t len, int trunc, size_t *nev)
{
	struct listener	*l = c->l;
	struct mlevent	 ev;
	int		 rc;

	if (multiline_due(c->ml, l->now_mono)) {
		if ((rc = conn_flush(c)) == -1)
			return -1;
		*nev += (size_t)rc;
	}
	for (;;) {
		if (conn_room(c, multiline_held(c->ml) + len + 1) == -1)
			return -1;
		rc = multiline_feed(c->ml, p, len, trunc, l->now_mono, &ev);
		if (rc & ML_EVENT) {
			conn_add(c, ev.p, ev.len, ev.truncated);
			(*nev)++;
		}
		if (rc & ML_TAKEN)
			return 0;
	}
}

/*
 * Frame and take every event buffered.  0 when all is consumed, -1 when a
 * full queue stopped it (the rest stays buffered for conn_resume).
 */
int
conn_drain(struct conn *c)
{
	struct listener	*l = c->l;
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	struct frame	 f;
	size_t		 len, pos = 0, used, n = 0, nev = 0;
	const char	*p;
	int		 rc = 0;

	if ((len = evbuffer_get_length(in)) == 0)
		return c->eof && conn_flush(c) == -1 ? -1 : 0;
	p = (const char *)evbuffer_pullup(in, -1);
	while (pos < len) {
		if (!listener_room(l)) {
			rc = -1;
			break;
		}
		if (frame_next(&c->fr, p + pos, len - pos, l->max_message,
		    c->eof, &f, &used) == FRAME_NEED_MORE) {
			pos += used;
			break;
		}
		if (c->ml != NULL) {
			if (conn_join(c, p + pos + f.off, f.len, f.truncated,
			    &nev) == -1) {
				rc = -1;
				break;
			}
		} else if (conn_src(c) == -1 || conn_add(c, p + pos + f.off,
		    f.len, f.truncated) == -1) {
			rc = -1;
			break;
		} else
			nev++;
		pos += used;
		n++;
	}
	/* The peer left: its joined event is complete. */
	if (rc == 0 && c->eof && pos == len && conn_flush(c) == -1)
		rc = -1;
	evbuffer_drain(in, pos);
	if (n > 0 && c->in_lru) {
		c->progress = listener_progress_clock(l);
		TAILQ_REMOVE(&l->lru, c, lru);
		TAILQ_INSERT_TAIL(&l->lru, c, lru);
	}
	COUNT_ADD(counters.bytes, pos);
	sources_add(c->source, c->slen, nev, pos);
	return rc;
}

/* The queue has room again: take what is buffered, then read on. */
void
conn_resume(struct conn *c)
{
	if (conn_drain(c) == -1)
		return;
	if (c->eof)
		conn_free(c);
	else
		bufferevent_enable(c->bev, EV_READ);
}

void
conn_pause(struct conn *c)
{
	bufferevent_disable(c->bev, EV_READ);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	struct listener	*l = c->l;

	if (l->paused)
		return;
	listener_clock(l);
	conn_drain(c);
	listener_handoff(l);
}

static void
conn_handshake_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	tls_handshake_failed(c->bev, BEV_EVENT_TIMEOUT, c->source);
	conn_free(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;
	struct listener	*l = c->l;

	if (c->hs_ev != NULL) {			/* TLS handshake */
		if (what & BEV_EVENT_CONNECTED) {
			event_free(c->hs_ev);
			c->hs_ev = NULL;
			tls_handshake_done(bev, c->source);
		} else {
			tls_handshake_failed(bev, what, c->source);
			conn_free(c);
		}
		return;
	}

	if (what & BEV_EVENT_ERROR)
		diag_debug("connection from %s: %s", c->source,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	listener_clock(l);
	conn_close(c);
	listener_handoff(l);
}

/*
 * Close the peers that completed no event for idle_timeout: "idle" if they
 * hold nothing, "slow" if they hold part of an event, a TLS handshake not
 * done as its deadline (the two timers end together; whichever runs first,
 * it is counted as a handshake timeout).  Not while the queue
 * is full: then nobody is read, and the progress clock stands still.
 */
static void
conn_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener	*l = arg;
	struct conn	*c;
	uint64_t	 now, idle = (uint64_t)l->idle_ms * MS;
	size_t		 held;

	if (l->idle_ms <= 0)
		return;
	listener_clock(l);
	now = listener_progress_clock(l);
	while (!l->paused && (c = TAILQ_FIRST(&l->lru)) != NULL &&
	    now - c->progress >= idle) {
		if (c->hs_ev != NULL) {	/* TLS: its handshake deadline */
			conn_handshake_timeout_cb(-1, EV_TIMEOUT, c);
			continue;
		}
		held = evbuffer_get_length(bufferevent_get_input(c->bev));
		if (held > 0) {
			COUNT_ADD(counters.slow_closed, 1);
			diag_rate(&l->rate_slow, "closed %s: no complete event "
			    "in idle_timeout (%lld ms), %zu bytes of one held "
			    "(slow sender)", c->source, (long long)l->idle_ms,
			    held);
		} else {
			COUNT_ADD(counters.idle_closed, 1);
			diag_debug("closing idle connection from %s",
			    c->source);
		}
		conn_close(c);
	}
	listener_handoff(l);
	conn_sweep_arm(l, 0);
}

/*
 * Have the sweep run when the oldest peer's idle_timeout ends (again: the
 * timeout changed, re-arm).  The head only gets younger between runs, so an
 * armed timer is never late.
 */
void
conn_sweep_arm(struct listener *l, int again)
{
	struct conn	*c = TAILQ_FIRST(&l->lru);
	struct timeval	 tv;
	uint64_t	 wait, idle = (uint64_t)l->idle_ms * MS, age;

	if (l->sweep_ev == NULL && (l->sweep_ev = evtimer_new(l->base,
	    conn_sweep_cb, l)) == NULL)
		return;
	if (again)
		evtimer_del(l->sweep_ev);
	if (l->idle_ms <= 0 || l->stopping || c == NULL ||
	    evtimer_pending(l->sweep_ev, NULL))
		return;
	age = listener_progress_clock(l) - c->progress;
	wait = l->paused ? 1000 * MS : age >= idle ? 0 : idle - age;
	tv.tv_sec = (time_t)(wait / 1000000000);
	tv.tv_usec = (suseconds_t)(wait % 1000000000 / 1000) + 1000;
	evtimer_add(l->sweep_ev, &tv);
}
