/*
 * http.h: the HTTP endpoint on the event loop (libevent evhttp): GET
 * /metrics, /health, /stats and / (a live page).  Bounded: header and body
 * sizes, a timeout, at most [http] max_clients connections at once.
 */
#ifndef HTTP_H
#define HTTP_H

struct config;
struct event_base;
struct http;
struct metrics;

/* An endpoint on base serving m (both must outlive it), not listening
 * yet; NULL on ENOMEM.  Caller frees. */
struct http	*http_new(struct event_base *, struct metrics *);
/* Listen on cf's [http] listen ("" turns it off) with its limits; on a
 * new address the old one is kept until the new one is bound.  0, or -1
 * with one line naming the address and cause (logged). */
int		 http_configure(struct http *, const struct config *);
/* Close every connection and the socket; NULL is a no-op. */
void		 http_free(struct http *);

#endif
