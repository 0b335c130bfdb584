/*
 * diag.h: the daemon's own diagnostics on stderr (journald under systemd,
 * with sd-daemon priority prefixes there), rate limiting for messages that
 * a flood could repeat, and the counters every module adds to.
 */
#ifndef DIAG_H
#define DIAG_H

#include <stdatomic.h>
#include <stdint.h>

#include "logrec.h"

enum drop_reason {
	DROP_QUEUE_FULL = 0,	/* UDP datagram found the queue full */
	DROP_KERNEL,		/* UDP: the socket buffer overflowed */
	DROP_ACL,		/* UDP datagram from a source not allowed */
	DROP_STORAGE,		/* storage failed and we had to give up */
	DROP_DUPLICATE,		/* [streams] drop_duplicates */
	DROP_REPEAT,		/* [streams] collapse_repeats: a repeat */
	DROP_RULE,		/* [class] store = no */
	DROP_RATE_LIMIT,	/* over a [limit] */
	DROP_TRUNCATED_FILE,	/* tail: a truncation took bytes not read */
	DROP__COUNT
};

/* Why a handshake did not complete: the reason label of the metric. */
enum tls_fail {
	TLSF_TIMEOUT = 0,	/* not done within the handshake bound */
	TLSF_CLOSED,		/* peer closed or reset the connection */
	TLSF_VERSION,		/* protocol version below tls_min_version */
	TLSF_NO_CERT,		/* tls_client_auth = require, none sent */
	TLSF_BAD_CERT,		/* client certificate did not verify */
	TLSF_PEER_ALERT,	/* the peer refused us (e.g. our cert) */
	TLSF_PROTOCOL,		/* anything else: not TLS, no shared cipher */
	TLSF__COUNT
};

/* Counters shared by the threads; all relaxed atomics, added per batch. */
struct counters {
	_Atomic uint64_t received[LRT__COUNT];
	_Atomic uint64_t bytes;
	_Atomic uint64_t stored;
	_Atomic uint64_t dropped[DROP__COUNT];
	_Atomic uint64_t truncated;
	_Atomic uint64_t bad_frames;
	_Atomic uint64_t connections;		/* open now */
	_Atomic uint64_t accepted;
	_Atomic uint64_t refused_limit;		/* max_connections */
	_Atomic uint64_t refused_acl;
	_Atomic uint64_t refused_source;	/* max_per_source */
	_Atomic uint64_t idle_closed;		/* nothing held at idle_timeout */
	_Atomic uint64_t slow_closed;		/* part of an event held */
	_Atomic uint64_t evicted;		/* made room at max_connections */
	_Atomic uint64_t formats[LRF__COUNT];
	_Atomic uint64_t inflight;		/* read, not yet queued */
	_Atomic uint64_t write_errors;
	_Atomic uint64_t syncs;
	_Atomic uint64_t sync_errors;		/* storage syncs that failed */
	_Atomic uint64_t rotations;		/* live files rotated */
	_Atomic uint64_t rotate_errors;		/* rotations that failed */
	_Atomic uint64_t compressed;		/* rotated files gzipped */
	_Atomic uint64_t compress_errors;
	_Atomic uint64_t retention_deleted;	/* rotated files deleted */
	_Atomic uint64_t files_open;		/* live store files open now */
	_Atomic uint64_t files_opened;		/* live store files opened */
	_Atomic uint64_t files_closed;		/* ...closed for another */
	_Atomic uint64_t store_bytes;		/* bytes written to storage */
	_Atomic uint64_t store_pending;		/* events gathered or held for
						 * a templated file, not yet
						 * written (a gauge) */
	_Atomic uint64_t stream_kinds[LRS__COUNT]; /* events by stream mark */
	_Atomic uint64_t streams_evicted;	/* at max_streams, LRU */
	_Atomic uint64_t streams_restarts;	/* sequence back to the start */
	_Atomic uint64_t streams_wraps;		/* 2147483647 -> 1 */
	_Atomic uint64_t repeats_summaries;	/* "repeated N times" written */
	_Atomic uint64_t repeats_lost;		/* summaries with no room */
	_Atomic uint64_t limit_summaries;	/* "rate limit X: N ... dropped" */
	_Atomic uint64_t limit_summaries_lost;	/* with no room */
	_Atomic uint64_t alert_exec_started;
	_Atomic uint64_t alert_exec_failed;	/* spawn error, exit != 0 */
	_Atomic uint64_t alert_exec_timeouts;	/* killed at exec_timeout */
	_Atomic uint64_t alert_exec_skipped;	/* exec_max already running */
	_Atomic uint64_t alert_journal_errors;	/* sd_journal_send failed */
	_Atomic uint64_t alert_late;		/* time = event: too late */
	_Atomic uint64_t alert_future;		/* time = event: dated past
						 * receipt + lateness */
	_Atomic uint64_t tap_clients;		/* /tap clients now (a gauge) */
	_Atomic uint64_t tap_sent;		/* lines queued for /tap clients */
	_Atomic uint64_t tap_dropped;		/* ...dropped: a client's buffer
						 * full (tap.h) */
	_Atomic uint64_t tls_handshakes;	/* completed (tls.c) */
	_Atomic uint64_t tls_failed[TLSF__COUNT];
};

extern struct counters counters;

#define COUNT_ADD(f, n)	atomic_fetch_add_explicit(&(f), (n), \
			    memory_order_relaxed)
#define COUNT_SUB(f, n)	atomic_fetch_sub_explicit(&(f), (n), \
			    memory_order_relaxed)
#define COUNT_GET(f)	atomic_load_explicit(&(f), memory_order_relaxed)

/* A message that may repeat: at most one per interval, the rest counted. */
struct diag_rate {
	int64_t		 last_ms;
	uint64_t	 suppressed;
};

/* The name of a drop reason, as in metrics labels. */
const char	*diag_drop_name(int);
/* The name of an enum tls_fail, as in metrics labels. */
const char	*diag_tls_fail_name(int);
void		 diag_init(int verbose);
void		 diag_err(const char *, ...) __attribute__((format(printf, 1, 2)));
void		 diag_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void		 diag_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void		 diag_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* A warning at most once every 10 s for this rate state. */
void		 diag_rate(struct diag_rate *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* From now on, this thread's error lines are also kept in buf, one a line,
 * cut at len (the caller's, till diag_capture(NULL, 0) stops it). */
void		 diag_capture(char *buf, size_t len);
/* Keep line as diag_err would, for errors printed another way. */
void		 diag_captured(const char *line);
/* Wall clock µs and monotonic ns. */
int64_t		 diag_now_us(void);
uint64_t	 diag_mono_ns(void);

#endif
