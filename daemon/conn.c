/*
 * conn.c: one TCP or TLS peer.  Its bytes arrive in a bufferevent (a socket
 * one, or bufferevent_openssl after the handshake); each callback frames
 * every complete event buffered (bounded by the read high-water mark) into
 * the listener's batch.  When the queue is full the listener stops reading
 * every peer; the bytes wait in the socket, so TCP slows the sender and
 * nothing is lost.  A peer is freed in exactly one place, conn_free.
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
#include "metrics.h"
#include "tls.h"

#define READ_CHUNK	(128 * 1024)
#define HANDSHAKE_MS	10000		/* a TLS handshake ends by then */

static void	conn_read_cb(struct bufferevent *, void *);
static void	conn_event_cb(struct bufferevent *, short, void *);
static void	conn_handshake_timeout_cb(evutil_socket_t, short, void *);

/* Idle peers are closed at idle_timeout (a read timeout; 0: never). */
static void
conn_timeouts(struct conn *c)
{
	struct timeval	 tv;

	if (c->l->idle_ms <= 0)
		return;
	tv.tv_sec = c->l->idle_ms / 1000;
	tv.tv_usec = (c->l->idle_ms % 1000) * 1000;
	bufferevent_set_timeouts(c->bev, &tv, NULL);
}

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

void
conn_accept(struct listener *l, int fd, const struct sockaddr *sa, int tls)
{
	struct conn	*c;
	char		 addr[64];

	listener_format_addr(sa, addr, sizeof(addr));
	if (l->nconns >= l->max_connections) {
		close(fd);
		COUNT_ADD(counters.refused_limit, 1);
		diag_rate(&l->rate_refused, "refused %s: max_connections "
		    "(%llu) reached", addr,
		    (unsigned long long)l->max_connections);
		return;
	}
	if (!listener_allowed(l, sa)) {
		close(fd);
		COUNT_ADD(counters.refused_acl, 1);
		diag_rate(&l->rate_refused, "refused %s: not in allow", addr);
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
	if (tls && conn_handshake_start(c) == -1) {
		if (c->hs_ev != NULL)
			event_free(c->hs_ev);
		bufferevent_free(c->bev);	/* closes fd */
		free(c);
		diag_rate(&l->rate_accept, "accept %s: out of memory", addr);
		return;
	}
	c->transport = tls ? LRT_TLS : LRT_TCP;
	c->slen = strlen(addr);
	memcpy(c->source, addr, c->slen);
	c->src_gen = UINT64_MAX;
	bufferevent_setcb(c->bev, conn_read_cb, NULL, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0,
	    l->max_message + 2 * READ_CHUNK);
	bufferevent_set_max_single_read(c->bev, READ_CHUNK);
	if (!tls)
		conn_timeouts(c);
	/* A TLS handshake runs either way; reading waits for room. */
	if (l->paused)
		bufferevent_disable(c->bev, EV_READ);
	else
		bufferevent_enable(c->bev, EV_READ);
	TAILQ_INSERT_TAIL(&l->conns, c, entry);
	l->nconns++;
	COUNT_ADD(counters.connections, 1);
	COUNT_ADD(counters.accepted, 1);
	diag_debug("connection from %s%s", addr, tls ? " (tls)" : "");
	return;
nomem:
	free(c);
	close(fd);
	diag_rate(&l->rate_accept, "accept %s: out of memory", addr);
}

void
conn_free(struct conn *c)
{
	struct listener	*l = c->l;

	TAILQ_REMOVE(&l->conns, c, entry);
	l->nconns--;
	COUNT_SUB(counters.connections, 1);
	COUNT_ADD(counters.bad_frames, c->fr.bad);
	if (c->hs_ev != NULL)
		event_free(c->hs_ev);
	bufferevent_free(c->bev);
	free(c);
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
	size_t		 len, pos = 0, used, n = 0;
	const char	*p;
	int		 rc = 0;

	if ((len = evbuffer_get_length(in)) == 0)
		return 0;
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
		if (c->src_gen != l->batch_gen) {
			if (lsbatch_append(l->batch, c->source, c->slen,
			    &c->src) == -1) {
				rc = -1;
				break;
			}
			c->src_gen = l->batch_gen;
		}
		if (listener_add(l, p + pos + f.off, f.len, f.truncated,
		    c->transport, &c->src) == NULL) {
			rc = -1;
			break;
		}
		pos += used;
		n++;
	}
	evbuffer_drain(in, pos);
	COUNT_ADD(counters.bytes, pos);
	metrics_source_add(c->source, c->slen, n, pos);
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
			conn_timeouts(c);
		} else {
			tls_handshake_failed(bev, what, c->source);
			conn_free(c);
		}
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		COUNT_ADD(counters.idle_closed, 1);
		diag_debug("closing idle connection from %s", c->source);
	} else if (what & BEV_EVENT_ERROR)
		diag_debug("connection from %s: %s", c->source,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	c->eof = 1;
	bufferevent_disable(bev, EV_READ);
	listener_clock(l);
	if (!l->paused && conn_drain(c) == 0)
		conn_free(c);
	listener_handoff(l);
}
