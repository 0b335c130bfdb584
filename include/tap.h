/*
 * tap.h: the live tap (GET /tap?where=EXPR).  The pipeline thread, after
 * the writer stage and only while a client is attached, encodes each
 * stored event that a client's filter matches (the stored JSON line) into
 * that client's bounded buffer; the event loop takes the buffer and sends
 * it as a chunk.  A full buffer drops the line, counts it (per client and
 * in counters.tap_dropped) and reports {"tap_dropped":N} in-band once the
 * client has caught up.
 */
#ifndef TAP_H
#define TAP_H

#include <stddef.h>
#include <stdint.h>

#define TAP_MAX_CLIENTS	16
#define TAP_BUF_MAX	(1024 * 1024)	/* bytes waiting per client */

struct evbuffer;
struct expr;
struct lsbatch;
struct tap_client;

/* Whether a client is attached: one relaxed load, for every batch. */
int			 tap_active(void);
/* Hand the stored events of b to the clients whose filter matches
 * (pipeline thread only). */
void			 tap_batch(const struct lsbatch *);
/* Attach a client filtering with e (the tap owns e from now on, also on
 * failure); NULL at TAP_MAX_CLIENTS or ENOMEM.  Event loop only. */
struct tap_client	*tap_attach(struct expr *);
/* Move c's waiting lines to out, then {"tap_dropped":N} if lines were
 * dropped since the last report; returns the bytes moved. */
size_t			 tap_take(struct tap_client *, struct evbuffer *);
/* Detach and free c; NULL is a no-op. */
void			 tap_detach(struct tap_client *);

#endif
