/*
 * diskbuf.c: an output's disk buffer.  The pipeline thread appends framed
 * records ([len][crc32][payload]) to the newest segment with one write per
 * batch; the output's thread reads them back, sends them and acknowledges
 * what its peer confirmed.  Segments wholly behind the acknowledgement
 * cursor are deleted.  Recovery keeps every whole record and cuts a torn or
 * corrupt tail, so a crash costs at most what was being written.
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

#define RBUF_MIN	(256 * 1024)
#define ACK_MAGIC	"LSDBACK1"
#define ACK_LEN		28		/* magic, seg, off, crc */

struct seg {
	uint64_t	 seq;
	uint64_t	 size;		/* bytes written (committed) */
	uint64_t	 nrec;
};

struct diskbuf {
	char			*dir;
	struct diskbuf_conf	 c;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cv;
	struct seg		*segs;		/* oldest first; last: writing */
	size_t			 nsegs;
	size_t			 capsegs;
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
	char			*rbuf;
	size_t			 rcap;
	uint64_t		 rbuf_off;	/* file offset of rbuf[0] */
	size_t			 rbuf_len;
	uint64_t		 rbuf_seq;
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

/* crc32 over the length field and the payload. */
static uint32_t
rec_crc(const char *lenp, const char *payload, uint32_t len)
{
	uLong	 c = crc32(0L, Z_NULL, 0);

	c = crc32(c, (const Bytef *)lenp, 4);
	return (uint32_t)crc32(c, (const Bytef *)payload, len);
}

size_t
diskbuf_rec_begin(struct obuf *o)
{
	size_t	 start = o->len;

	obuf_add(o, "\0\0\0\0\0\0\0\0", DISKBUF_HDR);
	return start;
}

void
diskbuf_rec_end(struct obuf *o, size_t start)
{
	uint32_t	 len = (uint32_t)(o->len - start - DISKBUF_HDR);

	if (o->len < start + DISKBUF_HDR)
		return;			/* ENOMEM on begin */
	put32(o->p + start, len);
	put32(o->p + start + 4, rec_crc(o->p + start, o->p + start +
	    DISKBUF_HDR, len));
}

static void
seg_path(const struct diskbuf *db, uint64_t seq, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%016" PRIu64 ".seg", db->dir, seq);
}

static void
sync_dir(const struct diskbuf *db)
{
	int	 fd;

	if (db->c.sync_ms < 0 ||
	    (fd = open(db->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	fsync(fd);
	close(fd);
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
seg_push(struct diskbuf *db, uint64_t seq, uint64_t size, uint64_t nrec)
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
	db->segs[db->nsegs++] = (struct seg){ seq, size, nrec };
	db->total += size;
	return 0;
}

/*
 * Scan one segment: count whole records with a good crc and cut the file
 * after the last one.  On the ack segment, also count the records up to
 * the cursor (and move a cursor that points past the good part back).
 */
static int
seg_recover(struct diskbuf *db, uint64_t seq)
{
	char		 path[4096], hdr[DISKBUF_HDR], *pl = NULL;
	uint64_t	 off = 0, nrec = 0, acked = 0, ackoff = 0;
	struct stat	 sb;
	uint32_t	 len;
	int		 fd, rc = -1;

	seg_path(db, seq, path, sizeof(path));
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1 || fstat(fd, &sb) ==
	    -1) {
		diag_err("buffer %s: %s", path, strerror(errno));
		goto out;
	}
	while ((uint64_t)sb.st_size - off >= DISKBUF_HDR &&
	    pread(fd, hdr, DISKBUF_HDR, (off_t)off) == DISKBUF_HDR) {
		len = get32(hdr);
		if (len == 0 || len > DISKBUF_MAXREC ||
		    (uint64_t)sb.st_size - off - DISKBUF_HDR < len)
			break;
		free(pl);
		if ((pl = malloc(len)) == NULL ||
		    pread(fd, pl, len, (off_t)(off + DISKBUF_HDR)) != len ||
		    rec_crc(hdr, pl, len) != get32(hdr + 4))
			break;
		off += DISKBUF_HDR + len;
		nrec++;
		if (seq == db->ack.seg && off <= db->ack.off) {
			acked = nrec;
			ackoff = off;
		}
	}
	if (off < (uint64_t)sb.st_size) {
		diag_warn("buffer %s: cut %" PRIu64 " bytes of a torn or "
		    "corrupt tail after %" PRIu64 " whole records", path,
		    (uint64_t)sb.st_size - off, nrec);
		db->st.torn_bytes += (uint64_t)sb.st_size - off;
		if (ftruncate(fd, (off_t)off) == -1) {
			diag_err("buffer %s: truncate: %s", path,
			    strerror(errno));
			goto out;
		}
	}
	/* The cursor goes to the record boundary at or before where it was
	 * written (a cursor past the good part moves back). */
	if (seq == db->ack.seg) {
		db->ack_nth = acked;
		db->ack.off = ackoff;
	}
	rc = seg_push(db, seq, off, nrec);
out:
	free(pl);
	if (fd != -1)
		close(fd);
	return rc;
}

/* A new, empty segment to write to, after the last one. */
static int
seg_roll(struct diskbuf *db)
{
	char		 path[4096];
	uint64_t	 seq = db->nsegs ? db->segs[db->nsegs - 1].seq + 1 :
			    (db->ack.seg ? db->ack.seg : 1);
	int		 fd;

	seg_path(db, seq, path, sizeof(path));
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0640);
	if (fd == -1) {
		diag_rate(&db->rate, "buffer %s: %s", path, strerror(errno));
		return -1;
	}
	if (seg_push(db, seq, 0, 0) == -1) {
		close(fd);
		unlink(path);
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
	char	 path[4096];

	seg_path(db, db->segs[0].seq, path, sizeof(path));
	if (unlink(path) == -1 && errno != ENOENT)
		diag_rate(&db->rate, "buffer %s: unlink: %s", path,
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

	*n = 0;
	if ((d = opendir(db->dir)) == NULL)
		return NULL;
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

static void
mkdirs(const char *path)
{
	char	*d, *s;

	if ((d = strdup(path)) == NULL)
		return;
	for (s = d + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(d, 0750) == -1 && errno != EEXIST)
			break;
		*s = '/';
	}
	free(d);
	mkdir(path, 0750);
}

/* Read the cursor, recover the segments at or after it, delete the rest. */
static int
recover(struct diskbuf *db)
{
	uint64_t	*seqs;
	size_t		 n, i;
	char		 path[4096];
	int		 rc = 0;

	if (ack_load(db) == -1)
		db->ack = (struct dbpos){ 0, 0 };
	seqs = seg_list(db, &n);
	for (i = 0; i < n && rc == 0; i++) {
		if (seqs[i] < db->ack.seg) {
			seg_path(db, seqs[i], path, sizeof(path));
			unlink(path);
			continue;
		}
		rc = seg_recover(db, seqs[i]);
	}
	free(seqs);
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

struct diskbuf *
diskbuf_open(const struct diskbuf_conf *c)
{
	struct diskbuf	*db;
	char		 path[4096];

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	db->c = *c;
	db->wfd = db->ackfd = db->rfd = -1;
	pthread_mutex_init(&db->mtx, NULL);
	pthread_cond_init(&db->cv, NULL);
	if ((db->dir = strdup(c->dir)) == NULL)
		goto fail;
	mkdirs(db->dir);
	snprintf(path, sizeof(path), "%s/ack", db->dir);
	if ((db->ackfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) ==
	    -1) {
		diag_err("buffer %s: %s", path, strerror(errno));
		goto fail;
	}
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
	pthread_cond_destroy(&db->cv);
	pthread_mutex_destroy(&db->mtx);
	free(db->segs);
	free(db->rbuf);
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

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
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
		if (write_all(db->wfd, p + taken, n) == -1) {
			diag_rate(&db->rate, "buffer %s: write: %s", db->dir,
			    strerror(errno));
			if (ftruncate(db->wfd, (off_t)s->size) == -1)
				diag_rate(&db->rate, "buffer %s: cannot cut "
				    "back a partial write", db->dir);
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

/* Have bytes [off, off + need) of the read segment in rbuf; 0 or -1. */
static int
rbuf_fill(struct diskbuf *db, uint64_t off, size_t need, uint64_t limit)
{
	char		 path[4096], *nb;
	size_t		 want;
	ssize_t		 n;

	if (db->rbuf_seq == db->rd.seg && off >= db->rbuf_off &&
	    off + need <= db->rbuf_off + db->rbuf_len)
		return 0;
	if (db->rfd == -1 || db->rfd_seq != db->rd.seg) {
		if (db->rfd != -1)
			close(db->rfd);
		seg_path(db, db->rd.seg, path, sizeof(path));
		if ((db->rfd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			diag_rate(&db->rate, "buffer %s: %s", path,
			    strerror(errno));
			return -1;
		}
		db->rfd_seq = db->rd.seg;
	}
	want = need > RBUF_MIN ? need : RBUF_MIN;
	if (want > limit - off)
		want = (size_t)(limit - off);
	if (want > db->rcap) {
		if ((nb = realloc(db->rbuf, want)) == NULL)
			return -1;
		db->rbuf = nb;
		db->rcap = want;
	}
	n = pread(db->rfd, db->rbuf, want, (off_t)off);
	if (n < (ssize_t)need) {
		diag_rate(&db->rate, "buffer %s: short read", db->dir);
		return -1;
	}
	db->rbuf_off = off;
	db->rbuf_len = (size_t)n;
	db->rbuf_seq = db->rd.seg;
	return 0;
}

/* One record at the read cursor of a segment holding `limit` bytes. */
static int
read_one(struct diskbuf *db, struct dbrec *r, uint64_t limit)
{
	const char	*h;
	uint32_t	 len;

	if (rbuf_fill(db, db->rd.off, DISKBUF_HDR, limit) == -1)
		return -1;
	h = db->rbuf + (db->rd.off - db->rbuf_off);
	len = get32(h);
	if (len == 0 || len > DISKBUF_MAXREC ||
	    limit - db->rd.off - DISKBUF_HDR < len)
		goto bad;
	if (rbuf_fill(db, db->rd.off, DISKBUF_HDR + len, limit) == -1)
		return -1;
	h = db->rbuf + (db->rd.off - db->rbuf_off);
	if (rec_crc(h, h + DISKBUF_HDR, len) != get32(h + 4))
		goto bad;
	r->p = h + DISKBUF_HDR;
	r->len = len;
	db->rd.off += DISKBUF_HDR + len;
	r->end = db->rd;
	r->nth = ++db->rd_nth;
	return 1;
bad:
	/* Written by us and never cut: the disk changed it.  Skip the
	 * rest of the segment (counted) rather than stall forever. */
	diag_rate(&db->rate, "buffer %s: bad record in segment %" PRIu64
	    "; skipping %" PRIu64 " bytes", db->dir, db->rd.seg,
	    limit - db->rd.off);
	db->st.torn_bytes += limit - db->rd.off;
	db->rd.off = limit;
	return 0;
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
			if ((rc = read_one(db, r, s->size)) != 0)
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
	db->rbuf_len = 0;
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
