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
struct listener;
struct queue;

/* A listener on base feeding q; NULL on failure (logged).  Caller frees. */
struct listener	*listener_new(struct event_base *, struct queue *);
/* Bind every [listen] address of cf (or take over inherited sockets where
 * they match); on reload, keep sockets whose address stays and close the
 * rest.  0, or -1 with one line naming the address and cause (logged). */
int		 listener_configure(struct listener *, const struct config *);
/* Sockets passed by systemd (LISTEN_FDS); 0 or -1.  Call before configure. */
int		 listener_inherit(struct listener *);
/* Number of listening sockets. */
int		 listener_count(const struct listener *);
/* Stop accepting and reading; frame what is buffered and hand every read
 * record to the queue, waiting for room as needed. */
void		 listener_shutdown(struct listener *);
/* Free it and close every socket; NULL is a no-op. */
void		 listener_free(struct listener *);
/* Call fn for every UDP socket with its figures (event loop only); addr
 * and dropped live for the call. */
void		 listener_foreach(struct listener *,
		    void (*fn)(void *, const char *proto, const char *addr,
		    uint64_t events, const uint64_t *dropped), void *);
/* The queue's wake callback (pass it to queue_new with the listener). */
void		 listener_wake(int why, void *listener);

#endif
