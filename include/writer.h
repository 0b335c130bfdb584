/*
 * writer.h: the last stage.  Encodes every event of a batch as one JSON line
 * (or the raw line) into the buffer of its file (one file, or one per
 * expanded templated path, store.h) and appends each file's lines with one
 * write(); fsyncs so that no event waits longer than `sync` after receipt,
 * in whichever file.  A failed write leaves no partial line behind.
 */
#ifndef WRITER_H
#define WRITER_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct lsbatch;
struct logrec;
struct obuf;
struct writer;

/* A writer for cf's [storage]; does not open the file.  Caller frees. */
struct writer	*writer_new(const struct config *);
/* Take the settings of cf (on reload), reopening if the path changed. */
int		 writer_configure(struct writer *, const struct config *);
/* Open (create 0640, O_APPEND|O_NOFOLLOW) the live file of a plain path;
 * repairs a torn last line left by a crash (a templated path's files are
 * opened at their first line).  0, or -1 with errno (and a logged line). */
int		 writer_open(struct writer *);
/* Close and open again (SIGHUP/SIGUSR1, logrotate); a templated path's
 * files are closed, to open anew at their next line.  0 or -1. */
int		 writer_reopen(struct writer *);
/* Write every event of b not flagged LR_DROP.  0, or -1 if storage failed
 * (nothing of b is in the file then; call again later). */
int		 writer_process(struct writer *, struct lsbatch *);
/* fsync when due; returns ms until the next sync is due, or -1 if none. */
int		 writer_tick(struct writer *, uint64_t now_mono_ns);
/* fsync now if anything is unsynced.  0 or -1. */
int		 writer_sync(struct writer *);
/* The number (lsbatch.no) of the last intake batch whose events are all
 * written and synced (or dropped); any thread may ask. */
uint64_t	 writer_durable(struct writer *);
/* Append r as the JSON line storage writes (outputs send it too). */
void		 writer_encode_json(struct obuf *, const struct lsbatch *,
		    const struct logrec *);
/* Close (after a final sync) and free; NULL is a no-op. */
void		 writer_free(struct writer *);

#endif
