/*
 * input_tail_read.c: the reading half of type = tail (input_tail.c): pread
 * from the first byte not taken, split at LF (a line without its LF stays
 * in the file), joined by multiline_start, handed to the intake with the
 * file's position noted per batch number; a size below what was read is a
 * truncation (bytes seen and not read counted lost, the next event marked
 * "stream":"gap"); a rotated file is closed once its writer is done; at
 * max_open_files files take turns.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "input.h"
#include "input_tail_int.h"
#include "logrec.h"
#include "multiline.h"
#include "tailstate.h"

/* Note that after batch no is durable, the file is stored up to off. */
static void
note(struct tfile *tf, uint64_t no, uint64_t off)
{
	if (tf->nnotes > 0 && tf->notes[tf->nnotes - 1].no == no) {
		tf->notes[tf->nnotes - 1].off = off;
		return;
	}
	/* Full: the newest stands for a later batch (coarser, still safe). */
	if (tf->nnotes == NOTES)
		tf->nnotes--;
	tf->notes[tf->nnotes].no = no;
	tf->notes[tf->nnotes++].off = off;
}

/* Hand an event on (room was made); the file is taken up to end_off. */
static void
emit(struct tail *t, struct tfile *tf, const struct mlevent *ev,
    uint64_t end_off)
{
	struct logrec	*r;

	r = intake_add(t->l, ev->p, ev->len, ev->truncated, LRT_FILE,
	    tf->path, tf->plen);
	if (r == NULL) {
		t->st.nomem++;
		diag_rate(&t->rate, "input %s: out of memory: an event of %s "
		    "dropped", t->in->name, tf->path);
		return;
	}
	if (tf->gap) {
		r->stream = LRS_GAP;
		tf->gap = 0;
	}
	t->st.events++;
	note(tf, intake_batchno(t->l), end_off);
}

/* Hand on the joined event in progress (due, rotated away, cut). */
int
tailread_flush(struct tail *t, struct tfile *tf, uint64_t end_off)
{
	struct mlevent	 ev;

	if (!multiline_pending(tf->ml))
		return 0;
	if (!intake_room(t->l))
		return -1;
	if (multiline_flush(tf->ml, &ev))
		emit(t, tf, &ev, end_off);
	return 0;
}

/*
 * One line of the file, at line_off, the next one at next_off.  0, or -1
 * when the queue is full (the line is not taken: read again on resume).
 */
static int
tfile_line(struct tail *t, struct tfile *tf, const char *p, size_t len,
    int trunc, uint64_t line_off, uint64_t next_off)
{
	struct mlevent	 ev;
	int		 rc;

	if (multiline_due(tf->ml, t->now) && tailread_flush(t, tf, line_off) ==
	    -1)
		return -1;
	for (;;) {
		if (!intake_room(t->l))
			return -1;
		if (!multiline_pending(tf->ml))
			tf->held_start = line_off;
		rc = multiline_feed(tf->ml, p, len, trunc, t->now, &ev);
		if (rc & ML_EVENT)
			emit(t, tf, &ev, (rc & ML_TAKEN) ? next_off : line_off);
		if (rc & ML_TAKEN)
			return 0;
	}
}

/*
 * Take the lines of buf[0..n), read at tf->off.  0 when all complete
 * lines are taken (a partial one stays in the file), -1 when the queue
 * filled up (tf->off is the first line not taken).
 */
static int
tfile_lines(struct tail *t, struct tfile *tf, const char *buf, size_t n)
{
	const char	*p = buf, *end = buf + n, *lf;
	size_t		 len;
	uint64_t	 at;
	int		 trunc;

	while (p < end) {
		at = tf->off;
		if ((lf = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			len = (size_t)(end - p);
			if (!tf->skip && len < t->max)
				return 0;	/* wait for its LF */
			/* Longer than max_message: cut, the rest skipped. */
			if (!tf->skip && tfile_line(t, tf, p, t->max, 1, at,
			    at + len) == -1)
				return -1;
			tf->skip = 1;
			tf->off += len;
			return 0;
		}
		len = (size_t)(lf - p);
		if (tf->skip) {
			tf->skip = 0;
		} else {
			if (len > 0 && p[len - 1] == '\r')
				len--;
			trunc = len > t->max;
			if ((len > 0 || t->re != NULL) && tfile_line(t, tf, p,
			    trunc ? t->max : len, trunc, at, at +
			    (size_t)(lf + 1 - p)) == -1)
				return -1;
		}
		tf->off += (size_t)(lf + 1 - p);
		p = lf + 1;
	}
	return 0;
}

/* A size below what was read, or first bytes that changed: copytruncate. */
static void
tfile_truncated(struct tail *t, struct tfile *tf, uint64_t size)
{
	uint64_t	 lost = tf->size_seen > tf->off ? tf->size_seen -
			    tf->off : 0;

	t->st.truncations++;
	if (lost > 0) {
		t->st.truncated_bytes += lost;
		/* at least one event lost: received and dropped at once */
		COUNT_ADD(counters.received[LRT_FILE], 1);
		COUNT_ADD(counters.dropped[DROP_TRUNCATED_FILE], 1);
		tf->gap = 1;
	}
	diag_rate(&t->rate, "input %s: %s was truncated to %" PRIu64 " bytes "
	    "at offset %" PRIu64 " (copytruncate?): %" PRIu64 " bytes not read "
	    "are lost", t->in->name, tf->path, size, tf->off, lost);
	/* A joined event in progress is complete: hand it on (a full queue:
	 * it stays held and goes with its next start line or timeout). */
	(void)tailread_flush(t, tf, tf->off);
	tf->off = tf->held_start = 0;
	tf->skip = 0;
	tf->size_seen = size;
	tf->fplen = 0;
	note(tf, intake_batchno(t->l), 0);
	if (tail_fingerprint(tf->fd, size, &tf->fp, &tf->fplen) == -1)
		tf->fplen = 0;
	t->dirty = 1;
}

/* At EOF or a poll: was it cut, did it grow? */
void
tailread_check(struct tail *t, struct tfile *tf)
{
	struct stat	 sb;

	if (tf->fd == -1 || fstat(tf->fd, &sb) == -1)
		return;
	if ((uint64_t)sb.st_size < tf->size_seen ||
	    (uint64_t)sb.st_size < tf->off ||
	    tail_same_start(tf->fd, tf->fp, tf->fplen) == 0) {
		tfile_truncated(t, tf, (uint64_t)sb.st_size);
		tf->ready = 1;
		return;
	}
	if ((uint64_t)sb.st_size > tf->size_seen) {
		tf->size_seen = (uint64_t)sb.st_size;
		tf->ready = 1;
	}
	if (tf->fplen < TAILSTATE_FP_MAX && (uint64_t)sb.st_size >
	    tf->fplen && tail_fingerprint(tf->fd, (uint64_t)sb.st_size, &tf->fp,
	    &tf->fplen) == -1)
		tf->fplen = 0;
}

/* Read what the file has, up to *budget bytes.  -1: the queue is full. */
static int
tfile_read(struct tail *t, struct tfile *tf, size_t *budget)
{
	ssize_t		 n;
	uint64_t	 before;

	while (*budget > 0) {
		n = pread(tf->fd, t->rbuf, t->rcap, (off_t)tf->off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			t->st.read_errors++;
			diag_rate(&t->rate, "input %s: read %s: %s",
			    t->in->name, tf->path, strerror(errno));
			tf->ready = 0;
			return 0;
		}
		if (tf->off + (uint64_t)n > tf->size_seen)
			tf->size_seen = tf->off + (uint64_t)n;
		if (n == 0 || (n < (ssize_t)t->rcap &&
		    memchr(t->rbuf, '\n', (size_t)n) == NULL && !tf->skip &&
		    (size_t)n < t->max)) {
			tf->ready = 0;
			tf->eof = 1;
			t->at_end = 1;
			tailread_check(t, tf);
			return 0;
		}
		tf->eof = 0;
		tf->last_data = t->now;
		before = tf->off;
		if (tfile_lines(t, tf, t->rbuf, (size_t)n) == -1) {
			t->st.bytes += tf->off - before;
			return -1;
		}
		t->st.bytes += tf->off - before;
		*budget = *budget > (size_t)n ? *budget - (size_t)n : 0;
		if (n < (ssize_t)t->rcap) {
			tf->ready = 0;	/* at its end, a partial line left */
			tf->eof = 1;
			t->at_end = 1;
			return 0;
		}
	}
	tf->ready = 1;
	return 0;
}

/*
 * A rotated file at its end for ROTATE_WAIT: the writer has moved on.  Its
 * last line without LF is an event now, the event in progress too; then
 * it is closed (freed once what it gave is durable).
 */
int
tailread_finish(struct tail *t, struct tfile *tf)
{
	ssize_t		 n = 0;
	size_t		 len, budget = READ_BUDGET;
	uint64_t	 before = tf->off;

	/* Lines written since it was last read: the writer is not done. */
	if (tf->fd != -1 && tfile_read(t, tf, &budget) == -1)
		return -1;
	if (tf->ready || tf->off != before)
		return 0;
	if (tf->fd != -1 && !tf->skip &&
	    (n = pread(tf->fd, t->rbuf, t->rcap, (off_t)tf->off)) > 0) {
		if (memchr(t->rbuf, '\n', (size_t)n) != NULL) {
			tf->ready = 1;		/* lines came meanwhile */
			return 0;
		}
		len = (size_t)n > t->max ? t->max : (size_t)n;
		if (tfile_line(t, tf, t->rbuf, len, (size_t)n > t->max,
		    tf->off, tf->off + (uint64_t)n) == -1)
			return -1;
		tf->off += (uint64_t)n;
	}
	if (tailread_flush(t, tf, tf->off) == -1)
		return -1;
	if (tf->fd != -1) {
		close(tf->fd);
		tf->fd = -1;
		t->nopen--;
	}
	tf->done = 1;
	t->dirty = 1;
	return 0;
}

/*
 * At max_open_files: a file read to its end (not a rotated one) is closed
 * for one that waits with bytes to read, so every file gets its turn.
 * How many were opened.
 */
static size_t
open_waiting(struct tail *t)
{
	struct tfile	*tf, *victim = TAILQ_FIRST(&t->files);
	size_t		 opened = 0;

	TAILQ_FOREACH(tf, &t->files, entry) {
		if (t->nwaiting == 0)
			break;
		if (!tf->waiting)
			continue;
		if (t->nopen >= t->max_open) {
			for (; victim != NULL; victim = TAILQ_NEXT(victim,
			    entry))
				if (victim->fd != -1 && victim->eof &&
				    !victim->ready && !victim->rotated)
					break;
			if (victim == NULL)
				break;
			close(victim->fd);
			victim->fd = -1;
			victim->parked = 1;
			t->nopen--;
		}
		if (tail_open(t, tf) == 0) {
			tf->waiting = 0;
			t->nwaiting--;
			opened++;
		}
	}
	return opened;
}

/* Once a second: a parked file that grew (or changed) waits for a slot. */
void
tailread_unpark(struct tail *t, struct tfile *tf)
{
	struct stat	 sb;

	if (stat(tf->path, &sb) == -1 || ((uint64_t)sb.st_size == tf->off &&
	    (uint64_t)sb.st_ino == tf->ino))
		return;
	tf->parked = 0;
	tf->waiting = 1;
	t->nwaiting++;
}

/* Read every file that may have bytes, rotated ones first; files that
 * wait for max_open_files take turns. */
void
tailread_all(struct tail *t)
{
	struct tfile	*tf;
	size_t		 budget = READ_BUDGET;
	int		 round, full = 0;

	if (t->paused || t->stopped)
		return;
	t->now = diag_mono_ns();
	for (round = 0; round < 64 && !full && budget > 0; round++) {
		TAILQ_FOREACH(tf, &t->files, entry) {
			if (tf->fd == -1 || !tf->ready)
				continue;
			if (tfile_read(t, tf, &budget) == -1) {
				full = 1;	/* paused */
				break;
			}
			if (budget == 0)
				break;
		}
		if (full || t->nwaiting == 0 || !t->at_end ||
		    open_waiting(t) == 0)
			break;
		t->at_end = 0;
	}
	if (budget == 0 || (!full && t->nwaiting > 0 && round == 64))
		tail_kick(t);			/* the rest next turn */
	intake_handoff(t->l);
}
