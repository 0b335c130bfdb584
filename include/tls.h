/*
 * tls.h: the server side of RFC 5425 (syslog over TLS).  One OpenSSL
 * context is built from the [listen] tls_* keys at start and on every
 * reload; each accepted peer gets a bufferevent in the server handshake.
 * Peers keep the context they began with (OpenSSL counts its references).
 */
#ifndef TLS_H
#define TLS_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct bufferevent;
struct config;
struct event_base;
struct tls;

/* enum tls_fail (why a handshake did not complete) and its counters are
 * in diag.h, for metrics to read. */

/* Check cf's tls keys and load the files as a listener would; problems
 * are recorded in cf as file:line.  0, or -1.  No tls listener: 0. */
int		 tls_check(struct config *);
/* A context from cf's tls keys; NULL on failure, logged as file:line.
 * Caller frees with tls_free. */
struct tls	*tls_new(const struct config *);
/* Drop the caller's reference; peers that use it keep theirs.  NULL is a
 * no-op. */
void		 tls_free(struct tls *);
/* A bufferevent for the peer on fd, in the server handshake; it owns fd
 * once returned (closed on free).  NULL on failure: the caller closes fd. */
struct bufferevent *tls_accept(struct tls *, struct event_base *, int fd);
/* The handshake on bev completed: count it (and log the peer's
 * certificate when verbose). */
void		 tls_handshake_done(struct bufferevent *, const char *peer);
/* The handshake on bev failed (what: the bufferevent event, or
 * BEV_EVENT_TIMEOUT for the handshake bound): count it by reason and log
 * it, rate-limited, with the peer and OpenSSL's reason. */
void		 tls_handshake_failed(struct bufferevent *, short what,
		    const char *peer);
/* Figures for the metrics: handshakes completed, failures by reason. */
void		 tls_stats(uint64_t *done, uint64_t failed[TLSF__COUNT]);
/* The reason label of a failure kind. */
const char	*tls_fail_name(int);

#endif
