/*
 * listen.h: the listener.  It owns the TCP and UDP sockets on the event
 * loop, frames what peers send, fills batches of records and hands them to
 * the queue; when the queue is full it stops reading TCP peers and drops
 * (and counts) UDP datagrams until the stages catch up.
 */
#ifndef LISTEN_H
#define LISTEN_H

#include <stdint.h>

struct config;
struct event_base;
struct inputs;
struct listener;
struct lsprep;
struct queue;

/* A listener on base feeding q; NULL on failure (logged).  Caller frees. */
struct listener	*listener_new(struct event_base *, struct queue *);
/*
 * What cf asks of the listener, built aside; nothing running changes.
 * Every [listen] address is resolved; a socket already bound to the same
 * address is kept, the others are bound (not yet serving); certificates,
 * allow and limits are copied.  NULL with one line naming the address and
 * cause (logged).  Give it to listener_commit or listener_abort.
 */
struct lsprep	*listener_prepare(struct listener *, const struct config *);
/* Sockets the listener will have once p is committed. */
int		 listener_prep_count(const struct lsprep *);
/* Put p in force and free it: limits (open peers included), allow and
 * certificates, then the sockets: those p no longer lists are closed (UDP
 * read dry first), the new ones serve.  Cannot fail. */
void		 listener_commit(struct listener *, struct lsprep *);
/* Drop p, closing what it bound; NULL is a no-op. */
void		 listener_abort(struct lsprep *);
/* Sockets passed by systemd (LISTEN_FDS), serving at once; 0, or -1
 * (logged) if one cannot be used: a connected socket (Accept=yes) too.
 * Call before listener_prepare. */
int		 listener_inherit(struct listener *);
/* Number of listening sockets. */
int		 listener_count(const struct listener *);
/* Stop accepting and reading; frame what is buffered and hand every read
 * record to the queue, waiting for room as needed. */
void		 listener_shutdown(struct listener *);
/* Free it and close every socket; NULL is a no-op. */
void		 listener_free(struct listener *);
/* (Its UDP sockets' figures are its STATS_SOCKET provider, and what each
 * address sent is sources.h's: stats.h.) */
/* The inputs that feed the intake (input.h), paused and resumed with the
 * peers and stopped by listener_shutdown; NULL: none.  Not owned. */
void		 listener_inputs(struct listener *, struct inputs *);
/* The queue's wake callback (pass it to queue_new with the listener). */
void		 listener_wake(int why, void *listener);

#endif
