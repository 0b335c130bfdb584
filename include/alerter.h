/*
 * alerter.h: the third stage.  Counts events per [alert NAME] rule and
 * group in a sliding window and, when a rule's threshold is reached, writes
 * one alert line (text or JSON) to the alerts file.  Text lines are
 * key=value; a value is written bare only when it is non-empty printable
 * UTF-8 without space, '"', '=' or '\', otherwise it is double-quoted with
 * \\, \", \xNN (C0, DEL, invalid UTF-8) and \uNNNN (C1, bidi) escapes.
 * Rules are threshold (on receive or event time) or absence; a firing may
 * also run a program (exec) and go to the journal.
 */
#ifndef ALERTER_H
#define ALERTER_H

#include <stddef.h>
#include <stdint.h>

#include "classifier.h"
#include "config.h"
#include "logrec.h"

#define ALERTER_MAX_THRESHOLD	1000000

struct alerter;
struct histogram;

/* Build from cf's [alert NAME] sections, resolving classes against cl
 * (which the alerter does not keep); NULL on error (config_error) or
 * ENOMEM.  Opens nothing.  Caller frees. */
struct alerter	*alerter_new(struct config *cf, const struct classifier *cl);
/* Open (create 0640) cf->alerts_path for appending; 0, or -1 with errno. */
int		 alerter_open(struct alerter *);
/* Reopen the alerts file (logrotate); on failure the old file stays in
 * use.  0, or -1 with errno. */
int		 alerter_reopen(struct alerter *);
/* Move the groups, windows, suppression and counters of old's same-named
 * rules to nw (config reload).  old keeps nothing but stays valid to free. */
void		 alerter_adopt(struct alerter *nw, struct alerter *old);
/* From now on, add the latency of each alert written (from its event's
 * receipt) to h (the caller's, which outlives a and the alerters that
 * adopt it; pipeline thread only).  NULL: none. */
void		 alerter_set_latency(struct alerter *, struct histogram *h);
/* Count the non-dropped records of b (classified) and write the alert
 * lines that fire with one write(); now_us (wall) stamps the lines.  The
 * windows of receive time run on each record's recv_mono_ns. */
void		 alerter_process(struct alerter *, struct lsbatch *b,
		    int64_t now_us);
/* At least once a second, events or not: fire absence rules whose groups
 * went silent (by now_mono_ns, CLOCK_MONOTONIC), reap (or kill at their
 * timeout) exec outputs, flush; now_us (wall) stamps the lines. */
void		 alerter_tick(struct alerter *, int64_t now_us,
		    uint64_t now_mono_ns);
/* Dry mode (config tests): firings are counted (alerter_fired), no line
 * is written, no program run, nothing sent to the journal. */
void		 alerter_dry(struct alerter *);
/* Print mode (replay): each alert line, as it would be written, goes to
 * fn (with its newline) instead of the file; no program is run, nothing
 * sent to the journal.  Firings are counted as ever. */
typedef void	(*alerter_print_fn)(void *arg, const char *line, size_t len);
void		 alerter_print(struct alerter *, alerter_print_fn fn,
		    void *arg);
/* Close the file and free everything; NULL is a no-op.  Exec programs
 * still running are left to finish on their own. */
void		 alerter_free(struct alerter *);

/* Figures for the metrics, safe to read from another thread.  Names are
 * static for the alerter's life. */
size_t		 alerter_count(const struct alerter *);
const char	*alerter_name(const struct alerter *, size_t i);
uint64_t	 alerter_fired(const struct alerter *, size_t i);
uint64_t	 alerter_suppressed(const struct alerter *, size_t i);
uint64_t	 alerter_evicted(const struct alerter *, size_t i);
/* Failed alert writes (each also logged, rate-limited, on stderr). */
uint64_t	 alerter_write_errors(const struct alerter *);

#endif
