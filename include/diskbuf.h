/*
 * diskbuf.h: a disk buffer for one output.  Append-only segment files
 * (NNNNNNNNNNNNNNNN.seg) of records framed as
 * [u32 len][u32 DISKBUF_MAGIC][u32 crc][payload], crc = zlib crc32 over
 * len, magic and payload (segments of the older [len][crc][payload] form
 * are still read); bounded total size; an acknowledgement cursor persisted
 * in the file "ack".  One thread appends (the pipeline), one reads and
 * acknowledges (the output's thread).
 */
#ifndef DISKBUF_H
#define DISKBUF_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct obuf;
struct diskbuf;

#define DISKBUF_HDR	12		/* len, magic, crc before a payload */
#define DISKBUF_MAGIC	0xd91be5a7u	/* finds a record after damage */
#define DISKBUF_MAXREC	(64u << 20)	/* a longer record is corruption */

struct diskbuf_conf {
	const char	*dir;		/* made if missing */
	uint64_t	 max_size;	/* all segments together */
	uint64_t	 segment_size;	/* a segment is closed past this */
	int64_t		 sync_ms;	/* fdatasync at most this late; 0: every
					 * write; -1: never (the OS decides) */
	int		 drop_oldest;	/* full: drop the oldest segment (else
					 * refuse the write: block) */
};

/* A place in the buffer: the byte after a record. */
struct dbpos {
	uint64_t	 seg;
	uint64_t	 off;
};

/* One record handed to the reader. */
struct dbrec {
	const char	*p;		/* payload; valid until the next read */
	uint32_t	 len;
	struct dbpos	 end;
	uint64_t	 nth;		/* its number in its segment, from 1 */
};

/* What a recovery found and what happened since; plain copies. */
struct diskbuf_stats {
	uint64_t	 bytes;		/* on disk now */
	uint64_t	 records;	/* written, not yet acknowledged */
	uint64_t	 segments;
	uint64_t	 recovered;	/* whole records found at open */
	uint64_t	 torn_bytes;	/* cut off at open (torn tail, bad crc) */
	uint64_t	 corrupt;	/* damaged stretches skipped (each
					 * one record, or a few) */
	uint64_t	 corrupt_bytes;	/* their bytes */
	uint64_t	 dropped;	/* records dropped by drop_oldest */
	uint64_t	 full;		/* writes refused: full (block) */
	uint64_t	 syncs;
};

/* Open (create) the buffer in c->dir and recover it: every whole record
 * after the ack cursor is kept, a damaged one in the middle is skipped
 * (counted in corrupt), a torn tail is cut off.  A symlink at the
 * directory or at a file of it is refused.  NULL with a logged reason.
 * Caller frees with diskbuf_free. */
struct diskbuf	*diskbuf_open(const struct diskbuf_conf *);
/* Sync, close and free; the files stay.  NULL is a no-op. */
void		 diskbuf_free(struct diskbuf *);

/* Start a record in o (reserves its header); returns where it starts. */
size_t		 diskbuf_rec_begin(struct obuf *);
/* Finish the record begun at start: fill in its length and crc. */
void		 diskbuf_rec_end(struct obuf *, size_t start);

/* Append framed records p[0..len) (from rec_begin/rec_end).  Returns the
 * bytes taken (whole records, maybe fewer than len when the buffer is full
 * and the policy is block; 0 when nothing fits), or -1 on an I/O error. */
ssize_t		 diskbuf_write(struct diskbuf *, const char *p, size_t len);
/* fsync what the sync policy says is due; the reader's thread calls it. */
void		 diskbuf_tick(struct diskbuf *);

/* The next record after the read cursor, waiting up to timeout_ms: 1 (r
 * filled), 0 (none yet) or -1 (I/O error, logged). */
int		 diskbuf_next(struct diskbuf *, struct dbrec *r, int timeout_ms);
/* Everything up to and including r (a record from diskbuf_next) is done
 * with: move the cursor (persisted), delete segments wholly behind it. */
void		 diskbuf_ack(struct diskbuf *, const struct dbpos *end,
		    uint64_t nth);
/* Read again from the ack cursor (after a connection was lost). */
void		 diskbuf_rewind(struct diskbuf *);
/* Wake a reader waiting in diskbuf_next (at stop). */
void		 diskbuf_wake(struct diskbuf *);
/* A copy of the figures. */
void		 diskbuf_stats(struct diskbuf *, struct diskbuf_stats *);

#endif
