/*
 * multiline.h: joining lines into events (multiline_start), a pure module
 * beside the framer: no I/O, no clock of its own.  A line that matches the
 * start regex begins a new event; a line that does not joins the event
 * before it, with "\n" between.  The event in progress is handed out when
 * the next start line comes, when the caller's clock passes its last line
 * by the timeout (multiline_due, multiline_flush), and at EOF or a stop
 * (multiline_flush).  An event is at most max bytes: the join is cut
 * there, marked truncated, and the rest of that event's continuation
 * lines are dropped (counted in mlstats) until the next start line or
 * the timeout: a runaway trace becomes one bounded event, not a flood of
 * fragments that each look like an event.
 */
#ifndef MULTILINE_H
#define MULTILINE_H

#include <stddef.h>
#include <stdint.h>

/* A compiled start regex (PCRE2 with JIT), shared by any number of
 * joiners of one thread: it holds the match data they all use. */
struct multiline_re;
/* One stream's joiner (a file, a connection). */
struct multiline;

/* An event handed out: valid until the next call on its joiner. */
struct mlevent {
	const char	*p;
	size_t		 len;
	int		 truncated;	/* cut at max (or a line was) */
	uint32_t	 lines;		/* lines joined in it */
};

/* What a joiner has done so far. */
struct mlstats {
	uint64_t	 events;	/* handed out */
	uint64_t	 joined;	/* events of more than one line */
	uint64_t	 truncated;	/* events cut at max */
	uint64_t	 cut_lines;	/* continuation lines dropped past max */
	uint64_t	 cut_bytes;	/* bytes of lines past max, all told */
	uint64_t	 nomem;		/* ENOMEM: an event handed out early */
};

/* multiline_feed's answer: bits. */
#define ML_TAKEN	0x01		/* the line is consumed */
#define ML_EVENT	0x02		/* an event is in *out */

/*
 * Compile pattern (PCRE2, UTF with invalid UTF-8 allowed, as the classes'
 * regexes); NULL with a message in err on a bad pattern or ENOMEM.  Caller
 * frees with multiline_re_free.
 */
struct multiline_re *multiline_re_new(const char *pattern, char *err,
		    size_t errlen);
/* NULL is a no-op.  Every joiner using it must be freed first. */
void		 multiline_re_free(struct multiline_re *);
/* Does line p[0..len) start an event?  1 or 0 (a match that runs past the
 * match limit counts as no match). */
int		 multiline_re_match(struct multiline_re *, const char *p,
		    size_t len);

/*
 * A joiner for events of at most max bytes (max >= 1), flushed timeout_ns
 * after its last line (0: never by time).  re NULL: every line is an event
 * (handed straight back, not copied).  re is borrowed: it must outlive the
 * joiner.  NULL on ENOMEM.  Caller frees with multiline_free.
 */
struct multiline *multiline_new(struct multiline_re *re, size_t max,
		    uint64_t timeout_ns);
/* A reload: the regex, bound and timeout of lines fed from now on (an
 * event in progress is cut at the new max; with re NULL it is handed out
 * by the next feed or flush).  re is borrowed as by multiline_new. */
void		 multiline_set(struct multiline *, struct multiline_re *re,
		    size_t max, uint64_t timeout_ns);
/* Free it and the event it holds; NULL is a no-op. */
void		 multiline_free(struct multiline *);

/*
 * Feed one line (its bytes without the LF; truncated: the caller cut it)
 * read at monotonic time now_ns.  Returns ML_TAKEN (held), ML_EVENT (the
 * event before it is in *out; the line was not taken: feed it again after
 * handing the event on), or both (no regex, or ENOMEM: the line itself is
 * the event).  Ask multiline_due first, so an event past its timeout is
 * not joined with a line that came after it.
 */
int		 multiline_feed(struct multiline *, const char *line,
		    size_t len, int truncated, uint64_t now_ns,
		    struct mlevent *out);
/* Is the event in progress due at now_ns (its timeout has passed)?  1 or
 * 0; also 0 when none is held. */
int		 multiline_due(const struct multiline *, uint64_t now_ns);
/* When the event in progress falls due (monotonic ns), for a timer;
 * UINT64_MAX when none is held or there is no timeout. */
uint64_t	 multiline_deadline(const struct multiline *);
/* Hand out the event in progress now (due, EOF, a stop): 1 with *out set,
 * 0 when none is held.  It also ends the dropping of a cut event's
 * continuation lines. */
int		 multiline_flush(struct multiline *, struct mlevent *out);
/* Bytes held in the event in progress (0: none). */
size_t		 multiline_held(const struct multiline *);
/* Is an event in progress (it may be empty)?  1 or 0. */
int		 multiline_pending(const struct multiline *);
/* Its figures so far. */
void		 multiline_stats(const struct multiline *, struct mlstats *);

#endif
