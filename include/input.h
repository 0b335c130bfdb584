/*
 * input.h: [input NAME] sections, the sources the daemon reads by itself
 * beside the listener's sockets: type = journal (input_journal.c), type =
 * tail (input_tail.c), and room for more (kafka).  One table of types, as
 * the outputs have (input.c); each type is a module with the entry points
 * of struct input_ops.
 *
 * Every input runs on the event loop and hands its events over through the
 * intake (below), which is the listener's own way in: the same batches, the
 * same parse on the listener thread, the same queue and backpressure, the
 * same received{transport} counts and balance.
 *
 * Positions (a journal cursor, a file's offset) are saved only once the
 * events before them are stored and synced: the intake numbers the batches
 * it hands to the queue, an input notes "after batch N, my position is P",
 * and once the pipeline reports that every batch up to D is durable (written
 * and fdatasync'ed, or dropped by a rule), each input is told D through
 * ops->durable on the event loop and saves what it noted up to D.
 */
#ifndef INPUT_H
#define INPUT_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct conf_map;
struct event_base;
struct input;
struct inputs;
struct listener;
struct logrec;
struct lsfield;
struct lsslice;

/* ---- the intake: how events enter the queue (listen.c) ---- */

/*
 * Room for one more event in the batch being filled: 1; or 0 when the
 * queue is full (then every peer and every input is paused: an input must
 * stop reading until its ops->resume is called).
 */
int		 intake_room(struct listener *);
/*
 * Add an event of len bytes (copied) with transport t (enum lr_transport)
 * and source (copied; "path" for a file, "journal", a peer's address);
 * call intake_room first.  The record is returned for the input to fill
 * in more (received time and raw are set; an input that fills host, app,
 * time, message... itself sets LR_PARSED so the parser leaves it alone;
 * trusted may be set with intake_slice).  NULL on ENOMEM (counted by the
 * caller as dropped).
 */
struct logrec	*intake_add(struct listener *, const char *p, size_t len,
		    int truncated, int t, const char *source, size_t slen);
/* Copy len bytes into the arena of the batch being filled, for a slice of
 * the record intake_add returned last.  0, or -1 on ENOMEM. */
int		 intake_slice(struct listener *, const char *p, size_t len,
		    struct lsslice *out);
/* A new zeroed field of the record intake_add returned last (its key and
 * value made with intake_slice); valid until the next intake call.  NULL
 * on ENOMEM. */
struct lsfield	*intake_field(struct listener *);
/* The number of the batch being filled: the one the record intake_add
 * returned last belongs to (batches are numbered from 1 in queue order
 * when pushed; see inputs_durable). */
uint64_t	 intake_batchno(struct listener *);
/* The number of the last batch that holds an event: the one being filled
 * if it has any, else the last one pushed (0: none yet). */
uint64_t	 intake_filled(struct listener *);
/* The end of an input's callback: count what was added and hand the batch
 * to the queue as the listener does after reading its sockets. */
void		 intake_handoff(struct listener *);

/* ---- the input types (input.c and input_TYPE.c) ---- */

struct input_ops {
	const char	*type;			/* "journal", "tail" */
	/* The type's keys (name and type are input.c's), read into what
	 * impl returns: the type's state (NULL: ENOMEM); input.c stores it
	 * in impl and applies the map's defaults (def) before the keys. */
	const struct conf_map *map;
	size_t		 nmap;
	void		*(*impl)(struct input *);
	/* All keys read: check what is required, resolve paths against the
	 * config's directory; 0 or -1 (reported with config_error). */
	int		 (*finish)(struct input *, struct config *, int line);
	/* Load the state file (a corrupt one is reported and started over
	 * safely), open, and start reading on base through l.  0 or -1
	 * (logged: the daemon does not start). */
	int		 (*start)(struct input *, struct event_base *,
			    struct listener *);
	/* The queue is full: stop reading; resume: read again. */
	void		 (*pause)(struct input *);
	void		 (*resume)(struct input *);
	/* Every batch up to and including batchno is durable: save the
	 * positions noted for batches <= batchno (atomically: a temp file
	 * renamed over the state file, then fsync'ed). */
	void		 (*durable)(struct input *, uint64_t batchno);
	/* Stop reading (a stop, or a reload that removes it); hand what is
	 * read to the intake first. */
	void		 (*stop)(struct input *);
	/* Free what impl, finish and start made. */
	void		 (*free)(struct input *);
	/* Its figures for /stats: one JSON object's members (no braces),
	 * written to buf; returns the length written.  input.c hands them on
	 * as the input's STATS_INPUT provider (stats.h) while it runs. */
	size_t		 (*stats)(struct input *, char *buf, size_t len);
	/* Optional: 0 when healthy, else -1 with the reason (one line) in
	 * why; for /health, on the event loop. */
	int		 (*health)(struct input *, char *why, size_t len);
};

struct input {
	char			 name[64];
	const struct input_ops	*ops;
	int			 line;		/* of its section */
	void			*impl;		/* the type's own state */
};

/* The types (input.c declares them weak: a type whose file is not built
 * is refused by name). */
extern const struct input_ops input_journal_ops;
extern const struct input_ops input_tail_ops;
extern const struct input_ops input_kafka_ops;

/* ---- the set of inputs of a config (input.c) ---- */

/* Check cf's [input X] sections (errors through config_error) and build
 * them, not started.  NULL when there are none or on errors (see
 * cf->nerrors).  Caller frees. */
struct inputs	*inputs_new(struct config *cf);
/* Start every input on base through l; 0, or -1 (logged). */
int		 inputs_start(struct inputs *, struct event_base *,
		    struct listener *);
/* The listener paused or resumed: tell every input. */
void		 inputs_pause(struct inputs *);
void		 inputs_resume(struct inputs *);
/* The pipeline reports: batches up to batchno are durable (event loop). */
void		 inputs_durable(struct inputs *, uint64_t batchno);
/* Stop every input (before the queue closes); then, once the pipeline has
 * joined and everything is synced, inputs_durable with the last batch and
 * inputs_free. */
void		 inputs_stop(struct inputs *);
void		 inputs_free(struct inputs *);
/* Names and types for the start-up lines: "journal (journal), app (tail)". */
size_t		 inputs_describe(struct inputs *, char *buf, size_t len);
/*
 * A reload: nw (inputs_new of the new config, not started; NULL: none)
 * replaces *cur.  An input whose name and keys are unchanged goes on
 * running (moved into nw); the new ones are started; the others are
 * stopped and kept until what they read is durable (their positions are
 * saved by inputs_durable), and a changed one (same name) starts only then,
 * so two never share a state file.  0 (*cur is the new set, the old one
 * freed, the listener told), or -1: a new input did not start (logged);
 * nw is freed and *cur runs on unchanged.
 */
int		 inputs_reload(struct inputs **cur, struct inputs *nw,
		    struct event_base *, struct listener *);

#endif
