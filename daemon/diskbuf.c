/*
 * diskbuf.c: an output's disk buffer.  The pipeline thread appends framed
 * records ([len][magic][crc32][payload]) to the newest segment with one
 * write per batch; the output's thread reads them back, sends them and
 * acknowledges what its peer confirmed.  Segments wholly behind the
 * acknowledgement cursor are deleted.  Recovery keeps every whole record and
 * cuts a torn tail, so a crash costs at most what was being written; a
 * damaged record in the middle is skipped (counted, logged) by scanning for
 * the next record's magic, so one bad byte costs one record.  Every file is
 * opened relative to the directory with O_NOFOLLOW.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "diag.h"
#include "diskbuf.h"
#include "jsonenc.h"
#include "livefile.h"

#define RBUF_MIN	(256 * 1024)
#define ACK_MAGIC	"LSDBACK1"
#define ACK_LEN		28		/* magic, seg, off, crc */
#define SEG_NAME_MAX	32		/* NNNNNNNNNNNNNNNN.seg */

/*
 * Record formats.  V2 (written now): [u32 len][u32 magic][u32 crc][payload],
 * crc over len, magic and payload; the magic lets a reader find the next
 * record after damage.  V1 (before 0.x): [u32 len][u32 crc][payload], crc
 * over len and payload; still read, without resynchronisation.  A segment's
 * format is told by its first record: a v2 header never passes as a v1 one
 * (its magic would be a v1 crc).
 */
enum { FMT_V1 = 1, FMT_V2 = 2 };
#define V1_HDR		8

struct seg {
	uint64_t	 seq;
	uint64_t	 size;		/* bytes written (committed) */
	uint64_t	 nrec;
	int		 fmt;
};

/* A window of one segment file in memory (reader, recovery). */
struct win {
	int		 fd;
	uint64_t	 seq;		/* whose bytes p holds */
	char		*p;
	size_t		 cap;
	uint64_t	 off;		/* file offset of p[0] */
	size_t		 len;
};

struct diskbuf {
	char			*dir;
	struct diskbuf_conf	 c;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cv;
	struct seg		*segs;		/* oldest first; last: writing */
	size_t			 nsegs;
	size_t			 capsegs;
	int			 dfd;		/* the directory */
	int			 wfd;
	int			 ackfd;
	uint64_t		 total;		/* bytes of all segments */
	struct dbpos		 ack;
	uint64_t		 ack_nth;	/* records of ack.seg acked */
	/* reader */
	int			 rfd;
	uint64_t		 rfd_seq;
	struct dbpos		 rd;
	uint64_t		 rd_nth;
	struct win		 rw;
	struct dbpos		 bad_seen;	/* damage counted up to here */
	/* sync */
	int			 unsynced;
	int64_t			 last_sync_ms;
	int			 woken;
	struct diskbuf_stats	 st;
	struct diag_rate	 rate;
};

static int64_t
now_ms(void)
{
	return (int64_t)(diag_mono_ns() / 1000000);
}

static void
put32(char *p, uint32_t v)
{
	memcpy(p, &v, 4);		/* host order: the file stays local */
}

static uint32_t
get32(const char *p)
{
	uint32_t	 v;

	memcpy(&v, p, 4);
	return v;
}

/* crc32 over the first hl header bytes and the payload. */
static uint32_t
rec_crc(const char *h, size_t hl, const char *payload, uint32_t len)
{
	uLong	 c = crc32(0L, Z_NULL, 0);

	c = crc32(c, (const Bytef *)h, (uInt)hl);
	return (uint32_t)crc32(c, (const Bytef *)payload, len);
}

static size_t
hdr_len(int fmt)
{
	return fmt == FMT_V1 ? V1_HDR : DISKBUF_HDR;
}

size_t
diskbuf_rec_begin(struct obuf *o)
{
	size_t	 start = o->len;

	obuf_add(o, "\0\0\0\0\0\0\0\0\0\0\0\0", DISKBUF_HDR);
	return start;
}

void
diskbuf_rec_end(struct obuf *o, size_t start)
{
	uint32_t	 len = (uint32_t)(o->len - start - DISKBUF_HDR);

	if (o->len < start + DISKBUF_HDR)
		return;			/* ENOMEM on begin */
	put32(o->p + start, len);
	put32(o->p + start + 4, DISKBUF_MAGIC);
	put32(o->p + start + 8, rec_crc(o->p + start, 8, o->p + start +
	    DISKBUF_HDR, len));
}

static void
seg_name(uint64_t seq, char *buf, size_t len)
{
	snprintf(buf, len, "%016" PRIu64 ".seg", seq);
}

/* Open name in the buffer's directory, never through a symlink; a refusal
 * or failure is logged with the path. */
static int
db_openat(struct diskbuf *db, const char *name, int flags)
{
	return livefile_openat(db->dfd, "buffer", db->dir, name, flags,
	    &db->rate);
}

static void
sync_dir(const struct diskbuf *db)
{
	if (db->c.sync_ms >= 0)
		fsync(db->dfd);
}

/* Bytes [off, off + need) of segment seq (open as fd) in w; a pointer to
 * them, valid until the next call, or NULL (short read, ENOMEM). */
static const char *
win_get(struct win *w, int fd, uint64_t seq, uint64_t off, size_t need,
    uint64_t limit)
{
	size_t		 want;
	ssize_t		 n;
	char		*nb;

	if (w->len > 0 && w->seq == seq && w->fd == fd && off >= w->off &&
	    off + need <= w->off + w->len)
		return w->p + (off - w->off);
	want = need > RBUF_MIN ? need : RBUF_MIN;
	if (want > limit - off)
		want = (size_t)(limit - off);
	if (want > w->cap) {
		if ((nb = realloc(w->p, want)) == NULL)
			return NULL;
		w->p = nb;
		w->cap = want;
	}
	w->len = 0;
	n = pread(fd, w->p, want, (off_t)off);
	if (n < (ssize_t)need)
		return NULL;
	w->fd = fd;
	w->seq = seq;
	w->off = off;
	w->len = (size_t)n;
	return w->p;
}

/*
 * Is there a whole, good record at off of a segment of limit bytes?  1 with
 * *len (its payload) set, 0 (no), -1 (I/O error).
 */
static int
rec_at(struct win *w, int fd, uint64_t seq, int fmt, uint64_t off,
    uint64_t limit, uint32_t *len)
{
	const char	*h;
	size_t		 hl = hdr_len(fmt);

	if (limit - off < hl)
		return 0;
	if ((h = win_get(w, fd, seq, off, hl, limit)) == NULL)
		return -1;
	*len = get32(h);
	if (*len == 0 || *len > DISKBUF_MAXREC || limit - off - hl < *len ||
	    (fmt == FMT_V2 && get32(h + 4) != DISKBUF_MAGIC))
		return 0;
	if ((h = win_get(w, fd, seq, off, hl + *len, limit)) == NULL)
		return -1;
	return rec_crc(h, hl - 4, h + hl, *len) == get32(h + hl - 4);
}

/*
 * After damage at from: the offset of the next good v2 record, found by its
 * magic, or limit when there is none; -1 on an I/O error.
 */
static int64_t
rec_resync(struct win *w, int fd, uint64_t seq, uint64_t from,
    uint64_t limit)
{
	const char	*h, *q;
	uint64_t	 pos = from + 1, c;
	uint32_t	 magic = DISKBUF_MAGIC, len;
	size_t		 chunk;
	int		 r;

	while (limit - pos >= DISKBUF_HDR) {
		chunk = limit - pos > RBUF_MIN ? RBUF_MIN : (size_t)(limit -
		    pos);
		if ((h = win_get(w, fd, seq, pos, chunk, limit)) == NULL)
			return -1;
		if ((q = memmem(h + 4, chunk - 4, &magic, 4)) == NULL) {
			if (chunk == limit - pos)
				break;
			pos += chunk - 7;	/* a magic across the edge */
			continue;
		}
		c = pos + (uint64_t)(q - 4 - h);
		if ((r = rec_at(w, fd, seq, FMT_V2, c, limit, &len)) == -1)
			return -1;
		if (r == 1)
			return (int64_t)c;
		pos = c + 1;
	}
	return (int64_t)limit;
}

/* Count and log (rate-limited) damage [from, to) of segment seq once (a
 * rewind reads it again). */
static void
note_damage(struct diskbuf *db, uint64_t seq, uint64_t from, uint64_t to,
    uint64_t limit)
{
	char	 name[SEG_NAME_MAX];

	if (seq < db->bad_seen.seg || (seq == db->bad_seen.seg &&
	    to <= db->bad_seen.off))
		return;
	db->bad_seen = (struct dbpos){ seq, to };
	db->st.corrupt++;
	db->st.corrupt_bytes += to - from;
	seg_name(seq, name, sizeof(name));
	diag_rate(&db->rate, "buffer %s/%s: a damaged record at offset %"
	    PRIu64 ": skipped %" PRIu64 " bytes to %s", db->dir, name, from,
	    to - from, to < limit ? "the next good record" : "the end");
}

static void
ack_persist(struct diskbuf *db)
{
	char	 b[ACK_LEN];

	memcpy(b, ACK_MAGIC, 8);
	memcpy(b + 8, &db->ack.seg, 8);
	memcpy(b + 16, &db->ack.off, 8);
	put32(b + 24, (uint32_t)crc32(0L, (const Bytef *)b, 24));
	/* One small pwrite at offset 0: a crash leaves the old or the new
	 * cursor, and a cursor that is behind only sends duplicates. */
	if (pwrite(db->ackfd, b, ACK_LEN, 0) != ACK_LEN)
		diag_rate(&db->rate, "buffer %s: ack: %s", db->dir,
		    strerror(errno));
	db->unsynced = 1;
}

static int
ack_load(struct diskbuf *db)
{
	char	 b[ACK_LEN];

	if (pread(db->ackfd, b, ACK_LEN, 0) != ACK_LEN ||
	    memcmp(b, ACK_MAGIC, 8) != 0 ||
	    get32(b + 24) != (uint32_t)crc32(0L, (const Bytef *)b, 24))
		return -1;
	memcpy(&db->ack.seg, b + 8, 8);
	memcpy(&db->ack.off, b + 16, 8);
	return 0;
}

static int
seg_push(struct diskbuf *db, uint64_t seq, uint64_t size, uint64_t nrec,
    int fmt)
{
	struct seg	*v;
	size_t		 cap;

	if (db->nsegs == db->capsegs) {
		cap = db->capsegs ? db->capsegs * 2 : 16;
		if ((v = reallocarray(db->segs, cap, sizeof(*v))) == NULL)
			return -1;
		db->segs = v;
		db->capsegs = cap;
	}
	db->segs[db->nsegs++] = (struct seg){ seq, size, nrec, fmt };
	db->total += size;
	return 0;
}

/*
 * Scan one segment: count the good records, skip damaged ones in the
 * middle (v2: to the next good record; counted, logged) and cut the file
 * after the last good one (a torn tail).  On the ack segment, also count
 * the records up to the cursor (and move a cursor that points past the
 * good part back).
 */
static int
seg_recover(struct diskbuf *db, struct win *w, uint64_t seq)
{
	char		 name[SEG_NAME_MAX];
	uint64_t	 off = 0, end = 0, nrec = 0, acked = 0, ackoff = 0, lim;
	struct stat	 sb;
	uint32_t	 len;
	int64_t		 nxt;
	int		 fd, r, fmt, rc = -1;

	seg_name(seq, name, sizeof(name));
	if ((fd = db_openat(db, name, O_RDWR)) == -1)
		goto out;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		diag_err("buffer %s/%s: not a regular file", db->dir, name);
		goto out;
	}
	lim = (uint64_t)sb.st_size;
	fmt = rec_at(w, fd, seq, FMT_V1, 0, lim, &len) == 1 ? FMT_V1 : FMT_V2;
	while (off < lim) {
		if ((r = rec_at(w, fd, seq, fmt, off, lim, &len)) == -1)
			goto ioerr;
		if (r == 1) {
			off += hdr_len(fmt) + len;
			end = off;
			nrec++;
		} else {
			if (fmt == FMT_V1 || (nxt = rec_resync(w, fd, seq,
			    off, lim)) == (int64_t)lim)
				break;		/* a torn tail */
			if (nxt == -1)
				goto ioerr;
			if (seq > db->ack.seg || off >= db->ack.off)
				note_damage(db, seq, off, (uint64_t)nxt, lim);
			off = (uint64_t)nxt;
		}
		if (seq == db->ack.seg && off <= db->ack.off) {
			acked = nrec;
			ackoff = off;
		}
	}
	if (end < lim) {
		diag_warn("buffer %s/%s: cut %" PRIu64 " bytes of a torn or "
		    "corrupt tail after %" PRIu64 " whole records", db->dir,
		    name, lim - end, nrec);
		db->st.torn_bytes += lim - end;
		if (ftruncate(fd, (off_t)end) == -1) {
			diag_err("buffer %s/%s: truncate: %s", db->dir, name,
			    strerror(errno));
			goto out;
		}
		if (ackoff > end)
			ackoff = end;
	}
	/* The cursor goes to the record boundary at or before where it was
	 * written (a cursor past the good part moves back). */
	if (seq == db->ack.seg) {
		db->ack_nth = acked;
		db->ack.off = ackoff;
	}
	rc = seg_push(db, seq, end, nrec, fmt);
	goto out;
ioerr:
	diag_err("buffer %s/%s: read: %s", db->dir, name, strerror(errno));
out:
	w->len = 0;
	if (fd != -1)
		close(fd);
	return rc;
}

/* A new, empty segment to write to, after the last one.  O_EXCL: nothing
 * is there (recovery took every segment), and a planted file or symlink is
 * refused, never truncated. */
static int
seg_roll(struct diskbuf *db)
{
	char		 name[SEG_NAME_MAX];
	uint64_t	 seq = db->nsegs ? db->segs[db->nsegs - 1].seq + 1 :
			    (db->ack.seg ? db->ack.seg : 1);
	int		 fd;

	seg_name(seq, name, sizeof(name));
	if ((fd = db_openat(db, name, O_WRONLY | O_APPEND | O_CREAT |
	    O_EXCL)) == -1)
		return -1;
	if (seg_push(db, seq, 0, 0, FMT_V2) == -1) {
		close(fd);
		unlinkat(db->dfd, name, 0);
		return -1;
	}
	if (db->wfd != -1) {
		if (db->c.sync_ms >= 0 && fdatasync(db->wfd) == 0)
			db->st.syncs++;
		close(db->wfd);
	}
	db->wfd = fd;
	sync_dir(db);
	return 0;
}

/* Records of segment i not yet acknowledged. */
static uint64_t
seg_unacked(const struct diskbuf *db, size_t i)
{
	const struct seg	*s = &db->segs[i];

	if (s->seq == db->ack.seg)
		return s->nrec > db->ack_nth ? s->nrec - db->ack_nth : 0;
	return s->seq < db->ack.seg ? 0 : s->nrec;
}

/* Delete the oldest segment (never the one being written). */
static void
seg_drop_first(struct diskbuf *db)
{
	char	 name[SEG_NAME_MAX];

	seg_name(db->segs[0].seq, name, sizeof(name));
	if (unlinkat(db->dfd, name, 0) == -1 && errno != ENOENT)
		diag_rate(&db->rate, "buffer %s/%s: unlink: %s", db->dir, name,
		    strerror(errno));
	db->total -= db->segs[0].size;
	db->nsegs--;
	memmove(db->segs, db->segs + 1, db->nsegs * sizeof(*db->segs));
	if (db->ack.seg < db->segs[0].seq) {
		db->ack = (struct dbpos){ db->segs[0].seq, 0 };
		db->ack_nth = 0;
		ack_persist(db);
	}
}

static int
seq_cmp(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The segment numbers in the directory, sorted; *n of them. */
static uint64_t *
seg_list(struct diskbuf *db, size_t *n)
{
	DIR		*d;
	struct dirent	*e;
	uint64_t	*v = NULL, *nv, seq;
	size_t		 cap = 0;
	char		 tail[8];
	int		 fd;

	*n = 0;
	if ((fd = dup(db->dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return NULL;
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		if (sscanf(e->d_name, "%16" SCNu64 "%7s", &seq, tail) != 2 ||
		    strcmp(tail, ".seg") != 0 || strlen(e->d_name) != 20)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				break;
			v = nv;
		}
		v[(*n)++] = seq;
	}
	closedir(d);
	if (v != NULL)
		qsort(v, *n, sizeof(*v), seq_cmp);
	return v;
}

/* Read the cursor, recover the segments at or after it, delete the rest. */
static int
recover(struct diskbuf *db)
{
	struct win	 w = { .fd = -1 };
	uint64_t	*seqs;
	size_t		 n, i;
	char		 name[SEG_NAME_MAX];
	int		 rc = 0;

	if (ack_load(db) == -1)
		db->ack = (struct dbpos){ 0, 0 };
	seqs = seg_list(db, &n);
	for (i = 0; i < n && rc == 0; i++) {
		if (seqs[i] < db->ack.seg) {
			seg_name(seqs[i], name, sizeof(name));
			unlinkat(db->dfd, name, 0);
			continue;
		}
		rc = seg_recover(db, &w, seqs[i]);
	}
	free(seqs);
	free(w.p);
	if (rc == -1)
		return -1;
	if (db->nsegs > 0 && db->ack.seg < db->segs[0].seq) {
		db->ack = (struct dbpos){ db->segs[0].seq, 0 };
		db->ack_nth = 0;
	}
	for (i = 0; i < db->nsegs; i++)
		db->st.recovered += seg_unacked(db, i);
	return seg_roll(db);
}

/* The directory, made if missing; never through a symlink at its name. */
static int
open_dir(struct diskbuf *db)
{
	struct stat	 sb;

	livefile_mkdirs(db->dir, 0);
	db->dfd = open(db->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (db->dfd == -1 && errno == ENOTDIR && lstat(db->dir, &sb) == 0 &&
	    S_ISLNK(sb.st_mode))
		errno = ELOOP;		/* O_NOFOLLOW|O_DIRECTORY on a link */
	if (db->dfd == -1) {
		diag_err("buffer %s: %s%s", db->dir, strerror(errno),
		    errno == ELOOP ? " (a symlink: refused)" : "");
		return -1;
	}
	return 0;
}

struct diskbuf *
diskbuf_open(const struct diskbuf_conf *c)
{
	struct diskbuf	*db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	db->c = *c;
	db->dfd = db->wfd = db->ackfd = db->rfd = -1;
	db->rw.fd = -1;
	pthread_mutex_init(&db->mtx, NULL);
	pthread_cond_init(&db->cv, NULL);
	if ((db->dir = strdup(c->dir)) == NULL || open_dir(db) == -1)
		goto fail;
	if ((db->ackfd = db_openat(db, "ack", O_RDWR | O_CREAT)) == -1)
		goto fail;
	/* One owner: two instances (reuse_port) need a buffer each. */
	if (flock(db->ackfd, LOCK_EX | LOCK_NB) == -1) {
		diag_err("buffer %s: in use by another process", db->dir);
		goto fail;
	}
	if (recover(db) == -1)
		goto fail;
	db->rd = db->ack;
	db->rd_nth = db->ack_nth;
	db->last_sync_ms = now_ms();
	if (db->st.recovered > 0 || db->st.torn_bytes > 0)
		diag_info("buffer %s: %" PRIu64 " records to send from an "
		    "earlier run", db->dir, db->st.recovered);
	return db;
fail:
	diskbuf_free(db);
	return NULL;
}

static void
do_sync(struct diskbuf *db)
{
	if (db->unsynced && db->wfd != -1) {
		if (fdatasync(db->wfd) == 0)
			db->st.syncs++;
		fdatasync(db->ackfd);
	}
	db->unsynced = 0;
	db->last_sync_ms = now_ms();
}

void
diskbuf_free(struct diskbuf *db)
{
	if (db == NULL)
		return;
	if (db->c.sync_ms >= 0)
		do_sync(db);
	if (db->wfd != -1)
		close(db->wfd);
	if (db->ackfd != -1)
		close(db->ackfd);
	if (db->rfd != -1)
		close(db->rfd);
	if (db->dfd != -1)
		close(db->dfd);
	pthread_cond_destroy(&db->cv);
	pthread_mutex_destroy(&db->mtx);
	free(db->segs);
	free(db->rw.p);
	free(db->dir);
	free(db);
}

/*
 * How many bytes of whole records from p go into the write segment now:
 * up to segment_size; 0 means roll first.  A record larger than a segment
 * goes alone into an empty one.  *nrec gets their count.
 */
static size_t
chunk_len(const struct diskbuf *db, const char *p, size_t len,
    uint64_t *nrec)
{
	uint64_t	 have = db->segs[db->nsegs - 1].size;
	size_t		 off = 0, r;

	*nrec = 0;
	while (len - off >= DISKBUF_HDR) {
		r = DISKBUF_HDR + get32(p + off);
		if (r > len - off)
			break;			/* not framed: ignore */
		if (have + off + r > db->c.segment_size &&
		    (have > 0 || off > 0))
			break;
		off += r;
		(*nrec)++;
	}
	return off;
}

/* Make room for need bytes: drop the oldest segments, or say no. */
static int
make_room(struct diskbuf *db, uint64_t need)
{
	while (db->total + need > db->c.max_size) {
		if (!db->c.drop_oldest)
			return -1;
		if (db->nsegs == 1 && (db->segs[0].size == 0 ||
		    seg_roll(db) == -1))
			return -1;
		db->st.dropped += seg_unacked(db, 0);
		seg_drop_first(db);
	}
	return 0;
}

ssize_t
diskbuf_write(struct diskbuf *db, const char *p, size_t len)
{
	struct seg	*s;
	size_t		 taken = 0, n;
	uint64_t	 nrec;
	ssize_t		 rc = 0;

	pthread_mutex_lock(&db->mtx);
	while (taken < len) {
		if ((n = chunk_len(db, p + taken, len - taken, &nrec)) == 0) {
			if (len - taken < DISKBUF_HDR ||
			    DISKBUF_HDR + get32(p + taken) > len - taken) {
				taken = len;	/* a bad frame: not ours */
				break;
			}
			if (seg_roll(db) == -1)
				goto fail;
			continue;
		}
		if (make_room(db, n) == -1) {
			db->st.full++;
			break;
		}
		s = &db->segs[db->nsegs - 1];
		if (livefile_append(db->wfd, p + taken, n,
		    (off_t)s->size) == -1) {
			diag_rate(&db->rate, "buffer %s: write: %s", db->dir,
			    strerror(errno));
			goto fail;
		}
		s->size += n;
		s->nrec += nrec;
		db->total += n;
		taken += n;
		db->unsynced = 1;
	}
	if (db->c.sync_ms == 0 || (db->c.sync_ms > 0 &&
	    now_ms() - db->last_sync_ms >= db->c.sync_ms))
		do_sync(db);
	rc = (ssize_t)taken;
	goto out;
fail:
	rc = taken > 0 ? (ssize_t)taken : -1;
out:
	if (taken > 0)
		pthread_cond_broadcast(&db->cv);
	pthread_mutex_unlock(&db->mtx);
	return rc;
}

void
diskbuf_tick(struct diskbuf *db)
{
	pthread_mutex_lock(&db->mtx);
	if (db->c.sync_ms > 0 && db->unsynced &&
	    now_ms() - db->last_sync_ms >= db->c.sync_ms)
		do_sync(db);
	pthread_mutex_unlock(&db->mtx);
}

static const struct seg *
seg_find(const struct diskbuf *db, uint64_t seq)
{
	size_t	 i;

	for (i = 0; i < db->nsegs; i++)
		if (db->segs[i].seq == seq)
			return &db->segs[i];
	return NULL;
}

/* The read segment open in rfd; 0 or -1 (logged). */
static int
reader_open(struct diskbuf *db)
{
	char	 name[SEG_NAME_MAX];

	if (db->rfd != -1 && db->rfd_seq == db->rd.seg)
		return 0;
	if (db->rfd != -1)
		close(db->rfd);
	db->rw.len = 0;
	seg_name(db->rd.seg, name, sizeof(name));
	if ((db->rfd = db_openat(db, name, O_RDONLY)) == -1)
		return -1;
	db->rfd_seq = db->rd.seg;
	return 0;
}

/* One record at the read cursor of segment s: 1 (r filled), 0 (a damaged
 * stretch skipped) or -1. */
static int
read_one(struct diskbuf *db, struct dbrec *r, const struct seg *s)
{
	uint64_t	 limit = s->size, from = db->rd.off;
	uint32_t	 len;
	int64_t		 nxt;
	size_t		 hl = hdr_len(s->fmt);
	int		 ok;

	if (reader_open(db) == -1 || (ok = rec_at(&db->rw, db->rfd, s->seq,
	    s->fmt, from, limit, &len)) == -1)
		goto ioerr;
	if (ok) {
		r->p = db->rw.p + (from - db->rw.off) + hl;
		r->len = len;
		db->rd.off += hl + len;
		r->end = db->rd;
		r->nth = ++db->rd_nth;
		return 1;
	}
	/* Written whole by us: the disk changed it.  Skip to the next good
	 * record (v1 has no magic: the rest of the segment), counted. */
	nxt = s->fmt == FMT_V2 ? rec_resync(&db->rw, db->rfd, s->seq, from,
	    limit) : (int64_t)limit;
	if (nxt == -1)
		goto ioerr;
	note_damage(db, s->seq, from, (uint64_t)nxt, limit);
	db->rd.off = (uint64_t)nxt;
	return 0;
ioerr:
	diag_rate(&db->rate, "buffer %s: segment %" PRIu64 ": short read",
	    db->dir, s->seq);
	return -1;
}

int
diskbuf_next(struct diskbuf *db, struct dbrec *r, int timeout_ms)
{
	const struct seg	*s;
	struct timespec		 ts;
	int			 rc = 0, waited = 0;

	pthread_mutex_lock(&db->mtx);
	for (;;) {
		if (db->rd.seg < db->segs[0].seq) {	/* dropped under us */
			db->rd = (struct dbpos){ db->segs[0].seq, 0 };
			db->rd_nth = 0;
		}
		if ((s = seg_find(db, db->rd.seg)) == NULL)
			break;
		if (db->rd.off < s->size) {
			if ((rc = read_one(db, r, s)) != 0)
				break;
			continue;
		}
		if (s != &db->segs[db->nsegs - 1]) {
			db->rd = (struct dbpos){ s[1].seq, 0 };
			db->rd_nth = 0;
			continue;
		}
		if (waited || timeout_ms <= 0 || db->woken)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += timeout_ms / 1000;
		ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_clockwait(&db->cv, &db->mtx, CLOCK_MONOTONIC,
		    &ts);
		waited = 1;
	}
	db->woken = 0;
	pthread_mutex_unlock(&db->mtx);
	return rc;
}

void
diskbuf_ack(struct diskbuf *db, const struct dbpos *end, uint64_t nth)
{
	const struct seg	*s;

	pthread_mutex_lock(&db->mtx);
	if (end->seg < db->ack.seg || (end->seg == db->ack.seg &&
	    end->off <= db->ack.off) || (s = seg_find(db, end->seg)) ==
	    NULL)
		goto out;		/* behind the cursor, or dropped */
	db->ack = *end;
	db->ack_nth = nth;
	/* A finished segment that is not being written goes too. */
	if (s != &db->segs[db->nsegs - 1] && end->off >= s->size) {
		db->ack = (struct dbpos){ s[1].seq, 0 };
		db->ack_nth = 0;
	}
	while (db->nsegs > 1 && db->segs[0].seq < db->ack.seg)
		seg_drop_first(db);
	ack_persist(db);
out:
	pthread_mutex_unlock(&db->mtx);
}

void
diskbuf_rewind(struct diskbuf *db)
{
	pthread_mutex_lock(&db->mtx);
	db->rd = db->ack;
	db->rd_nth = db->ack_nth;
	db->rw.len = 0;
	pthread_mutex_unlock(&db->mtx);
}

void
diskbuf_wake(struct diskbuf *db)
{
	pthread_mutex_lock(&db->mtx);
	db->woken = 1;
	pthread_cond_broadcast(&db->cv);
	pthread_mutex_unlock(&db->mtx);
}

void
diskbuf_stats(struct diskbuf *db, struct diskbuf_stats *st)
{
	size_t	 i;

	pthread_mutex_lock(&db->mtx);
	*st = db->st;
	st->bytes = db->total;
	st->segments = db->nsegs;
	st->records = 0;
	for (i = 0; i < db->nsegs; i++)
		st->records += seg_unacked(db, i);
	pthread_mutex_unlock(&db->mtx);
}
