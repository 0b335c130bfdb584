/*
 * rotate.c: rotation of a live file.  rotate_file() renames it, never
 * replacing anything, to base-YYYYMMDDTHHMMSSZ_NNNext beside it, a name
 * that sorts after every rotated name already there (even one a clock that
 * was ahead wrote), so name order is the order files were written; one
 * worker thread for every live file (a templated store has many) then
 * applies retention and gzips rotated files under a hidden temporary name,
 * fsyncs and renames, so any .gz is complete.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "config.h"
#include "diag.h"
#include "rotate.h"
#include "storeidx.h"

#define CHUNK		(128 * 1024)
#define IDLE_S		60		/* max_age is looked at this often */
#define WORKER_NICE	10
#define TMP_SUFFIX	".gz.tmp"

struct rotate {
	struct rotate		*next;		/* registry */
	struct rotate		*qnext;		/* the worker's queue */
	int			 refs;		/* owners; under reg_mtx */
	int			 queued;	/* under reg_mtx */
	int			 busy;		/* the worker is on it */
	char			*path;
	char			*dir;
	int			 tree;		/* rotate_tree_new: dir's tree */
	pthread_mutex_t		 mtx;
	struct rotate_policy	 pol;		/* under mtx */
	time_t			 last_sec;	/* the newest rotated name */
	unsigned		 last_idx;
	int			 seeded;	/* last_* read from the dir */
	struct diag_rate	 rate;		/* rotation failures */
	struct diag_rate	 wrate;		/* worker failures */
};

/*
 * The registry of instances (one per live path) and the one worker: an
 * instance with work is queued; one whose owners are gone lives until its
 * queued work is done (a file closed to make room for another is still
 * compressed).  When the last owner of any instance goes (the daemon
 * stops), the worker stops, abandoning a compression in progress.
 */
static pthread_mutex_t	 reg_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 pool_cond = PTHREAD_COND_INITIALIZER;
static struct rotate	*reg;
static struct rotate	*q_head, **q_tail = &q_head;
static uint64_t		 owners;
static pthread_t	 pool_thr;
static int		 pool_running;
static _Atomic int	 pool_stop;

/* Names. */

/* The live file's name split: stem "events", extension ".log" (or ""). */
static void
split_base(const char *path, const char **stem, size_t *stemlen,
    const char **ext)
{
	const char	*base, *dot;

	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base)
		dot = base + strlen(base);
	*stem = base;
	*stemlen = (size_t)(dot - base);
	*ext = dot;
}

int
rotate_name(char *buf, size_t len, const char *path, time_t sec,
    unsigned idx)
{
	const char	*stem, *ext;
	size_t		 stemlen;
	struct tm	 tm;
	char		 ts[32], sfx[8] = "";
	int		 n;

	split_base(path, &stem, &stemlen, &ext);
	if (gmtime_r(&sec, &tm) == NULL || idx > ROTATE_IDX_MAX)
		return -1;
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	/* Always the suffix: names of one width sort in time order under
	 * any locale's collation (en_US.UTF-8 ignores '.' and '_', so a
	 * bare "Z.log" sorted after "Z_181.log"). */
	snprintf(sfx, sizeof(sfx), "_%03u", idx);
	n = snprintf(buf, len, "%.*s%.*s-%s%s%s", (int)(stem - path), path,
	    (int)stemlen, stem, ts, sfx, ext);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int
digits(const char *s, size_t n, int *out)
{
	size_t	 i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*out = *out * 10 + (s[i] - '0');
	}
	return 0;
}

/* "YYYYMMDDTHHMMSSZ" at s to seconds; 0 or -1. */
static int
parse_stamp(const char *s, time_t *sec)
{
	struct tm	 tm;
	int		 y, mo, d, h, mi, se;

	if (digits(s, 4, &y) || digits(s + 4, 2, &mo) || digits(s + 6, 2, &d) ||
	    s[8] != 'T' || digits(s + 9, 2, &h) || digits(s + 11, 2, &mi) ||
	    digits(s + 13, 2, &se) || s[15] != 'Z')
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*sec = timegm(&tm);
	return 0;
}

int
rotate_parse(const char *path, const char *name, struct rotate_entry *e)
{
	const char	*stem, *ext, *p;
	size_t		 stemlen, extlen = 0;
	int		 idx = 0;

	split_base(path, &stem, &stemlen, &ext);
	extlen = strlen(ext);
	if (strncmp(name, stem, stemlen) != 0 || name[stemlen] != '-')
		return -1;
	p = name + stemlen + 1;
	if (strlen(p) < 16 || parse_stamp(p, &e->sec) == -1)
		return -1;
	p += 16;
	if (*p == '_') {		/* none: a name from before 0.2 */
		if (digits(p + 1, 3, &idx) == -1)
			return -1;
		p += 4;
	}
	if (strncmp(p, ext, extlen) != 0)
		return -1;
	p += extlen;
	if (strcmp(p, ".gz") == 0)
		e->gz = 1;
	else if (*p == '\0')
		e->gz = 0;
	else
		return -1;
	e->idx = (unsigned)idx;
	return 0;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct rotate_entry	*x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return x->gz - y->gz;
}

void
rotate_sort(struct rotate_entry *e, size_t n)
{
	if (n > 1)	/* qsort(NULL, 0, ...) is undefined (nonnull) */
		qsort(e, n, sizeof(*e), entry_cmp);
}

void
rotate_next(time_t now, time_t last_sec, unsigned last_idx, time_t *sec,
    unsigned *idx)
{
	if (now > last_sec) {
		*sec = now;
		*idx = 0;
	} else if (last_idx < ROTATE_IDX_MAX) {
		*sec = last_sec;
		*idx = last_idx + 1;
	} else {
		*sec = last_sec + 1;	/* suffixes used up: a second on */
		*idx = 0;
	}
}

int64_t
rotate_born_mono(int fd, off_t size)
{
	struct statx	 stx;
	int64_t		 age = 0, now = (int64_t)(diag_mono_ns() / 1000);

	if (size > 0 && statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &stx) == 0 &&
	    (stx.stx_mask & STATX_BTIME))
		age = diag_now_us() - ((int64_t)stx.stx_btime.tv_sec * 1000000 +
		    stx.stx_btime.tv_nsec / 1000);
	return now - (age > 0 ? age : 0);
}

int
rotate_due(const struct rotate_policy *pol, uint64_t size, uint64_t add,
    int64_t born_us, int64_t now_us)
{
	if (size == 0)
		return 0;
	if (pol->size > 0 && size + add > pol->size)
		return 1;
	return pol->interval_ms > 0 &&
	    now_us - born_us >= pol->interval_ms * 1000;
}

size_t
rotate_retain(struct rotate_entry *e, size_t n,
    const struct rotate_policy *pol, int64_t now_us)
{
	uint64_t	 total = 0;
	size_t		 i, count = 0;
	time_t		 t;

	for (i = n; i-- > 0;) {
		if (e[i].del)
			continue;
		total += e[i].size;
		/* A name pushed past a clock that was once ahead is not its
		 * age: the mtime is, when it is earlier. */
		t = e[i].mtime > 0 && e[i].mtime < e[i].sec ? e[i].mtime :
		    e[i].sec;
		if (n - i > pol->keep)
			e[i].del = ROTATE_DEL_KEEP;
		else if (pol->max_age_ms > 0 && now_us - (int64_t)t * 1000000 >
		    pol->max_age_ms * 1000)
			e[i].del = ROTATE_DEL_AGE;
		else if (pol->max_total > 0 && total > pol->max_total)
			e[i].del = ROTATE_DEL_TOTAL;
		count += e[i].del != 0;
	}
	return count;
}

void
rotate_policy_storage(const struct config *cf, struct rotate_policy *pol)
{
	pol->size = cf->rotate_size;
	pol->interval_ms = cf->rotate_interval_ms;
	pol->keep = cf->keep;
	pol->max_age_ms = cf->max_age_ms;
	pol->max_total = cf->max_total;
	pol->compress = cf->compress;
	pol->index = cf->store_format == STORE_JSON;
}

void
rotate_policy_alerts(const struct config *cf, struct rotate_policy *pol)
{
	pol->size = cf->alerts_rotate_size;
	pol->interval_ms = cf->alerts_rotate_interval_ms;
	pol->keep = cf->alerts_keep;
	pol->max_age_ms = cf->alerts_max_age_ms;
	pol->max_total = cf->alerts_max_total;
	pol->compress = cf->alerts_compress;
	pol->index = 0;
}

/*
 * What a listener may bring in a minute, to judge retention by: a nominal
 * 10,000 events/s of 300 stored bytes (a busy sender; the benchmark does
 * several times that).
 */
#define NOMINAL_EPS		10000
#define NOMINAL_BYTES		300

/* n bytes as k/M/G, one decimal where it is not whole. */
static void
fmt_size(uint64_t n, char *buf, size_t len)
{
	static const char	 units[] = "kMGT";
	double			 v = (double)n;
	int			 u = -1;

	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)n);
	else if (v == (double)(uint64_t)v)
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
	else
		snprintf(buf, len, "%.1f%c", v, units[u]);
}

void
rotate_warn_retention(const struct config *cf)
{
	uint64_t	 nl, minute, kept;
	char		 a[32], b[32], c[32];

	nl = cf->ntcp + cf->nudp + cf->ntls;
	if (nl == 0)
		nl = 1;		/* sockets from systemd */
	minute = nl * 60 * NOMINAL_EPS * NOMINAL_BYTES;
	kept = cf->keep * cf->rotate_size;
	if (cf->rotate_size == 0 || (cf->keep > 0 && kept / cf->keep !=
	    cf->rotate_size) || kept >= minute)
		return;
	fmt_size(kept, a, sizeof(a));
	fmt_size(cf->rotate_size, b, sizeof(b));
	fmt_size(minute, c, sizeof(c));
	diag_warn("%s:%d: [storage] keep = %llu x rotate_size = %s keeps %s "
	    "of rotated events, less than a minute of %llu listener%s at "
	    "%d events/s (about %s): under such load older events are "
	    "deleted within the minute (each deletion is logged); raise keep "
	    "or rotate_size, or bound by max_total/max_age instead", cf->file,
	    config_line(cf, "storage", cf->keep ? "rotate_size" : "keep"),
	    (unsigned long long)cf->keep, b, a, (unsigned long long)nl,
	    nl == 1 ? "" : "s", NOMINAL_EPS, c);
}

/* Rotating. */

/* rename without replacing; link+unlink where renameat2 is unsupported. */
static int
rename_noreplace(int dfd, const char *from, const char *to)
{
	if (renameat2(dfd, from, dfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (linkat(dfd, from, dfd, to, 0) == -1)
		return -1;
	return unlinkat(dfd, from, 0);
}

/* Note a rotated name; last_* keeps the newest.  Under r->mtx. */
static void
note_name(struct rotate *r, time_t sec, unsigned idx)
{
	if (sec > r->last_sec || (sec == r->last_sec && idx > r->last_idx)) {
		r->last_sec = sec;
		r->last_idx = idx;
	}
}

/* The newest rotated name in the directory (once, at the first rotation;
 * the worker notes what it sees after that). */
static void
seed_last(struct rotate *r)
{
	struct rotate_entry	 e;
	struct dirent		*de;
	DIR			*d;

	r->seeded = 1;
	if ((d = opendir(r->dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		memset(&e, 0, sizeof(e));
		if (rotate_parse(r->path, de->d_name, &e) == 0)
			note_name(r, e.sec, e.idx);
	}
	closedir(d);
}

int
rotate_file(struct rotate *r, int64_t now_us)
{
	char		 to[ROTATE_NAME_MAX], gz[ROTATE_NAME_MAX + 4];
	struct stat	 st;
	time_t		 sec;
	unsigned	 idx, tries;
	int		 rc = -1;

	pthread_mutex_lock(&r->mtx);
	if (!r->seeded)
		seed_last(r);
	/* After every rotated name there is, even if the clock steps back
	 * or once ran ahead: names sort in the order files were written. */
	rotate_next((time_t)(now_us / 1000000), r->last_sec, r->last_idx,
	    &sec, &idx);
	errno = EEXIST;
	for (tries = 0; tries < 4 * (ROTATE_IDX_MAX + 1); tries++) {
		if (rotate_name(to, sizeof(to), r->path, sec, idx) == -1) {
			errno = ENAMETOOLONG;
			break;
		}
		snprintf(gz, sizeof(gz), "%s.gz", to);
		if (lstat(gz, &st) == 0)
			errno = EEXIST;
		else if (rename_noreplace(AT_FDCWD, r->path, to) == 0) {
			rc = 0;
			break;
		}
		if (errno != EEXIST)
			break;
		rotate_next(sec, sec, idx, &sec, &idx);	/* taken: the next */
	}
	if (rc == 0) {
		note_name(r, sec, idx);
		COUNT_ADD(counters.rotations, 1);
		diag_debug("rotated %s to %s", r->path, to);
	} else {
		COUNT_ADD(counters.rotate_errors, 1);
		diag_rate(&r->rate, "rotate %s: %s; writing on to the live "
		    "file", r->path, strerror(errno));
	}
	pthread_mutex_unlock(&r->mtx);
	if (rc == 0)
		rotate_start(r);
	return rc;
}

/* The worker. */

static int
compress_one(struct rotate *r, int dfd, const char *name)
{
	char		 tmp[ROTATE_NAME_MAX], gzname[ROTATE_NAME_MAX];
	char		*buf = NULL;
	gzFile		 gz = NULL;
	ssize_t		 n;
	int		 in = -1, out = -1, dup_fd, rc = -1, zerr;

	if ((size_t)snprintf(tmp, sizeof(tmp), ".%s" TMP_SUFFIX, name) >=
	    sizeof(tmp) || (size_t)snprintf(gzname, sizeof(gzname), "%s.gz",
	    name) >= sizeof(gzname)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	if ((buf = malloc(CHUNK)) == NULL ||
	    (in = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		goto fail;
	/* O_EXCL: never write through something planted at the name. */
	if ((out = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0640)) == -1)
		goto fail;
	if ((dup_fd = dup(out)) == -1)
		goto fail_tmp;
	if ((gz = gzdopen(dup_fd, "wb6")) == NULL) {
		close(dup_fd);
		goto fail_tmp;
	}
	while ((n = read(in, buf, CHUNK)) > 0) {
		if (atomic_load(&pool_stop)) {
			errno = ECANCELED;
			goto fail_tmp;
		}
		if (gzwrite(gz, buf, (unsigned)n) != n) {
			if (errno == 0)
				errno = EIO;
			goto fail_tmp;
		}
	}
	zerr = gzclose(gz);
	gz = NULL;
	if (n == -1 || zerr != Z_OK) {
		if (zerr != Z_OK && zerr != Z_ERRNO)
			errno = EIO;
		goto fail_tmp;
	}
	if (fsync(out) == -1 || rename_noreplace(dfd, tmp, gzname) == -1)
		goto fail_tmp;
	if (unlinkat(dfd, name, 0) == -1)
		goto fail;
	fsync(dfd);
	COUNT_ADD(counters.compressed, 1);
	rc = 0;
	goto done;
fail_tmp:
	if (gz != NULL)
		gzclose(gz);
	unlinkat(dfd, tmp, 0);
fail:
	if (errno != ECANCELED) {
		COUNT_ADD(counters.compress_errors, 1);
		diag_rate(&r->wrate, "compress %s/%s: %s; left uncompressed",
		    r->dir, name, strerror(errno));
	}
done:
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	free(buf);
	return rc;
}

static void
free_entries(struct rotate_entry *e, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(e[i].name);
	free(e);
}

/* A stale ".NAME.gz.tmp" of ours: a compression cut short by a crash
 * (sfx TMP_SUFFIX); or ".NAME.idx.tmp", an index (storeidx.h). */
static int
is_temp(const struct rotate *r, const char *name, const char *sfx)
{
	struct rotate_entry	 e;
	char			 mid[ROTATE_NAME_MAX];
	size_t			 len = strlen(name), sl = strlen(sfx);

	if (name[0] != '.' || len < sl + 2 || len - sl >= sizeof(mid) ||
	    strcmp(name + len - sl, sfx) != 0)
		return 0;
	memcpy(mid, name + 1, len - sl - 1);
	mid[len - sl - 1] = '\0';
	return rotate_parse(r->path, mid, &e) == 0 && e.gz == 0;
}

/* The rotated files of r in dfd; stale temporary files are removed. */
static int
scan(struct rotate *r, int dfd, struct rotate_entry **ep, size_t *np)
{
	struct rotate_entry	 e, *v = NULL, *nv;
	struct dirent		*de;
	struct stat		 st;
	size_t			 n = 0;
	DIR			*d;
	int			 fd;

	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (is_temp(r, de->d_name, TMP_SUFFIX)) {
			if (unlinkat(dfd, de->d_name, 0) == 0)
				diag_warn("%s/%s: removed a half-compressed "
				    "file left by an earlier run", r->dir,
				    de->d_name);
			continue;
		}
		if (is_temp(r, de->d_name, ".idx.tmp")) {
			unlinkat(dfd, de->d_name, 0);	/* made again */
			continue;
		}
		memset(&e, 0, sizeof(e));
		if (rotate_parse(r->path, de->d_name, &e) == -1 ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		e.size = (uint64_t)st.st_size;
		e.mtime = st.st_mtime;
		if ((nv = reallocarray(v, n + 1, sizeof(*v))) == NULL ||
		    (e.name = strdup(de->d_name)) == NULL) {
			v = nv != NULL ? nv : v;
			break;
		}
		v = nv;
		v[n++] = e;
	}
	closedir(d);
	rotate_sort(v, n);
	*ep = v;
	*np = n;
	return 0;
}

/* NAME beside a complete NAME.gz: a crash came between rename and unlink. */
static size_t
drop_doubles(int dfd, struct rotate_entry *e, size_t n)
{
	size_t	 i, k = 0;

	for (i = 0; i < n; i++) {
		if (!e[i].gz && i + 1 < n && e[i + 1].gz &&
		    e[i + 1].sec == e[i].sec && e[i + 1].idx == e[i].idx) {
			unlinkat(dfd, e[i].name, 0);
			free(e[i].name);
			continue;
		}
		e[k++] = e[i];
	}
	return k;
}

/* Retention never deletes in silence: each deletion is counted and
 * logged (at most a line per 10 s and reason, with how many more). */
static void
note_deleted(struct rotate *r, const struct rotate_entry *e,
    const struct rotate_policy *pol)
{
	static struct diag_rate	 rate[4];	/* the worker's alone */
	char			 why[64];

	COUNT_ADD(counters.retention_deleted, 1);
	if (e->del == ROTATE_DEL_KEEP)
		snprintf(why, sizeof(why), "keep = %llu",
		    (unsigned long long)pol->keep);
	else if (e->del == ROTATE_DEL_AGE)
		snprintf(why, sizeof(why), "older than max_age");
	else
		snprintf(why, sizeof(why), "past max_total%s",
		    r->tree ? " of the tree" : "");
	diag_rate(&rate[e->del & 3], "retention: deleted %s%s%s (%llu bytes; "
	    "%s)",
	    r->tree ? "" : r->dir, r->tree ? "" : "/", e->name,
	    (unsigned long long)e->size, why);
}

/* The index of a rotated file that has none yet (storeidx.h): read
 * before it is compressed, while it is in the page cache. */
static void
index_one(struct rotate *r, int dfd, const char *name)
{
	char	 idx[ROTATE_NAME_MAX + 8];

	if (storeidx_name(idx, sizeof(idx), name) == -1 ||
	    faccessat(dfd, idx, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return;
	if (storeidx_build(dfd, name) == -1)
		diag_rate(&r->wrate, "index %s/%s: %s; a query reads it whole",
		    r->dir, name, strerror(errno));
}

/* Retention, then indexing and compression, until nothing is left. */
static void
maintain(struct rotate *r, const struct rotate_policy *pol)
{
	struct rotate_entry	*e;
	size_t			 n, i;
	int			 dfd, again;

	if ((dfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		diag_rate(&r->wrate, "rotation: %s: %s", r->dir,
		    strerror(errno));
		return;
	}
	do {
		again = 0;
		if (scan(r, dfd, &e, &n) == -1)
			break;
		n = drop_doubles(dfd, e, n);
		if (n > 0) {
			pthread_mutex_lock(&r->mtx);
			note_name(r, e[n - 1].sec, e[n - 1].idx);
			pthread_mutex_unlock(&r->mtx);
		}
		rotate_retain(e, n, pol, diag_now_us());
		for (i = 0; i < n; i++)
			if (e[i].del && unlinkat(dfd, e[i].name, 0) == 0) {
				storeidx_unlink(dfd, e[i].name);
				note_deleted(r, &e[i], pol);
			}
		for (i = 0; i < n && pol->index && !atomic_load(&pool_stop);
		    i++)
			if (!e[i].del)
				index_one(r, dfd, e[i].name);
		for (i = 0; i < n && !atomic_load(&pool_stop); i++)
			if (pol->compress == COMPRESS_GZIP && !e[i].del &&
			    !e[i].gz && compress_one(r, dfd, e[i].name) == 0)
				again = 1;
		free_entries(e, n);
	} while (again && !atomic_load(&pool_stop));
	close(dfd);
}

/*
 * A templated store's tree: max_total bounds the rotated files of every
 * live file below dir together.  A rotated name there is any
 * NAME-YYYYMMDDTHHMMSSZ[_NNN]EXT[.gz] (EXT the template's), the same form
 * rotate_parse reads; nothing else is touched.
 */
struct tree_walk {
	const char		*ext;
	struct rotate_entry	*v;
	size_t			 n;
	size_t			 cap;
	int			 oom;
};

static struct tree_walk	*walk_state;	/* nftw has no user pointer */

/* Whether base (no directory) is a rotated name with extension ext. */
static int
tree_parse(const char *base, const char *ext, struct rotate_entry *e)
{
	char		 live[ROTATE_NAME_MAX];
	const char	*dash;
	size_t		 len = strlen(base);

	/* The stem is all before the last '-' that starts a stamp. */
	for (dash = base + len; dash > base; dash--) {
		if (dash[-1] != '-')
			continue;
		if ((size_t)(dash - 1 - base) + strlen(ext) >= sizeof(live))
			return -1;
		snprintf(live, sizeof(live), "%.*s%s", (int)(dash - 1 - base),
		    base, ext);
		if (rotate_parse(live, base, e) == 0)
			return 0;
	}
	return -1;
}

static int
tree_visit(const char *path, const struct stat *st, int type, struct FTW *f)
{
	struct tree_walk	*w = walk_state;
	struct rotate_entry	 e, *nv;

	memset(&e, 0, sizeof(e));
	if (type != FTW_F || !S_ISREG(st->st_mode) ||
	    tree_parse(path + f->base, w->ext, &e) == -1)
		return 0;
	if (w->n == w->cap) {
		if ((nv = reallocarray(w->v, w->cap ? w->cap * 2 : 256,
		    sizeof(*nv))) == NULL) {
			w->oom = 1;
			return 1;
		}
		w->v = nv;
		w->cap = w->cap ? w->cap * 2 : 256;
	}
	if ((e.name = strdup(path)) == NULL) {
		w->oom = 1;
		return 1;
	}
	e.size = (uint64_t)st->st_size;
	e.mtime = st->st_mtime;
	w->v[w->n++] = e;
	return 0;
}

static void
tree_retain(struct rotate *r, const struct rotate_policy *pol)
{
	static pthread_mutex_t	 walk_mtx = PTHREAD_MUTEX_INITIALIZER;
	struct tree_walk	 w = { .ext = r->path };
	struct rotate_policy	 p = { .keep = UINT64_MAX,
				    .max_total = pol->max_total };
	size_t			 i;

	if (pol->max_total == 0)
		return;
	pthread_mutex_lock(&walk_mtx);
	walk_state = &w;
	nftw(r->dir, tree_visit, 16, FTW_PHYS | FTW_MOUNT);
	walk_state = NULL;
	pthread_mutex_unlock(&walk_mtx);
	if (!w.oom) {
		rotate_sort(w.v, w.n);
		rotate_retain(w.v, w.n, &p, diag_now_us());
		for (i = 0; i < w.n; i++)
			if (w.v[i].del && unlink(w.v[i].name) == 0) {
				storeidx_unlink(AT_FDCWD, w.v[i].name);
				note_deleted(r, &w.v[i], pol);
			}
	}
	free_entries(w.v, w.n);
}

/* Unlink r from the registry and free it.  Under reg_mtx. */
static void
inst_free(struct rotate *r)
{
	struct rotate	**pp;

	for (pp = &reg; *pp != r; pp = &(*pp)->next)
		;
	*pp = r->next;
	pthread_mutex_destroy(&r->mtx);
	free(r->path);
	free(r->dir);
	free(r);
}

/* Queue r for the worker.  Under reg_mtx. */
static void
enqueue(struct rotate *r)
{
	if (r->queued)
		return;
	r->queued = 1;
	r->qnext = NULL;
	*q_tail = r;
	q_tail = &r->qnext;
	pthread_cond_signal(&pool_cond);
}

static struct rotate *
dequeue(void)
{
	struct rotate	*r;

	if ((r = q_head) == NULL)
		return NULL;
	if ((q_head = r->qnext) == NULL)
		q_tail = &q_head;
	r->queued = 0;
	return r;
}

/* Idle for a while: what keeps max_age looks at its directory again. */
static void
queue_aged(void)
{
	struct rotate	*r;

	for (r = reg; r != NULL; r = r->next)
		if (r->refs > 0 && r->pol.max_age_ms > 0)
			enqueue(r);
}

static void *
worker_main(void *arg)
{
	struct rotate		*r;
	struct rotate_policy	 pol;
	struct timespec		 ts;

	pthread_setname_np(pthread_self(), "ls-rotate");
	/* Compression yields the CPU to ingest. */
	setpriority(PRIO_PROCESS, (id_t)gettid(), WORKER_NICE);
	pthread_mutex_lock(&reg_mtx);
	while (!atomic_load(&pool_stop)) {
		if ((r = dequeue()) == NULL) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += IDLE_S;
			if (pthread_cond_clockwait(&pool_cond, &reg_mtx,
			    CLOCK_MONOTONIC, &ts) == ETIMEDOUT)
				queue_aged();
			continue;
		}
		r->busy = 1;
		pthread_mutex_unlock(&reg_mtx);
		pthread_mutex_lock(&r->mtx);
		pol = r->pol;
		pthread_mutex_unlock(&r->mtx);
		if (r->tree)
			tree_retain(r, &pol);
		else
			maintain(r, &pol);
		pthread_mutex_lock(&reg_mtx);
		r->busy = 0;
		if (r->refs == 0 && !r->queued)
			inst_free(r);
	}
	pthread_mutex_unlock(&reg_mtx);
	return NULL;
}

/* The instance. */

struct rotate *
rotate_new(const char *path, const struct rotate_policy *pol)
{
	struct rotate	*r;
	char		*slash;

	pthread_mutex_lock(&reg_mtx);
	for (r = reg; r != NULL; r = r->next)
		if (!r->tree && strcmp(r->path, path) == 0) {
			r->refs++;
			owners++;
			pthread_mutex_lock(&r->mtx);
			r->pol = *pol;
			pthread_mutex_unlock(&r->mtx);
			goto done;
		}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->path = strdup(path)) == NULL || (r->dir = strdup(path)) == NULL)
		goto fail;
	if ((slash = strrchr(r->dir, '/')) == NULL)
		strcpy(r->dir, ".");
	else if (slash == r->dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	pthread_mutex_init(&r->mtx, NULL);
	r->refs = 1;
	owners++;
	r->pol = *pol;
	r->next = reg;
	reg = r;
	goto done;
fail:
	if (r != NULL) {
		free(r->path);
		free(r->dir);
		free(r);
	}
	r = NULL;
done:
	pthread_mutex_unlock(&reg_mtx);
	return r;
}

struct rotate *
rotate_tree_new(const char *root, const char *ext,
    const struct rotate_policy *pol)
{
	struct rotate	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->path = strdup(ext)) == NULL || (r->dir = strdup(root)) == NULL) {
		free(r->path);
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->mtx, NULL);
	r->tree = 1;
	r->pol = *pol;
	pthread_mutex_lock(&reg_mtx);
	r->refs = 1;
	owners++;
	r->next = reg;
	reg = r;
	pthread_mutex_unlock(&reg_mtx);
	return r;
}

void
rotate_configure(struct rotate *r, const struct rotate_policy *pol)
{
	pthread_mutex_lock(&r->mtx);
	r->pol = *pol;
	pthread_mutex_unlock(&r->mtx);
	rotate_start(r);
}

int
rotate_start(struct rotate *r)
{
	int	 rc = 0, e;

	pthread_mutex_lock(&reg_mtx);
	enqueue(r);
	if (!pool_running) {
		atomic_store(&pool_stop, 0);
		if ((e = pthread_create(&pool_thr, NULL, worker_main,
		    NULL)) != 0) {
			diag_err("rotation %s: cannot start a thread: %s",
			    r->path, strerror(e));
			rc = -1;
		} else
			pool_running = 1;
	}
	pthread_mutex_unlock(&reg_mtx);
	return rc;
}

void
rotate_free(struct rotate *r)
{
	struct rotate	*o, *next;

	if (r == NULL)
		return;
	pthread_mutex_lock(&reg_mtx);
	r->refs--;
	owners--;
	if (r->refs == 0 && !r->queued && !r->busy)
		inst_free(r);
	if (owners > 0 || !pool_running) {
		pthread_mutex_unlock(&reg_mtx);
		return;
	}
	/* The last owner: stop the worker, drop what waits. */
	atomic_store(&pool_stop, 1);
	pthread_cond_broadcast(&pool_cond);
	pthread_mutex_unlock(&reg_mtx);
	pthread_join(pool_thr, NULL);
	pthread_mutex_lock(&reg_mtx);
	pool_running = 0;
	while (dequeue() != NULL)
		;
	for (o = reg; o != NULL; o = next) {
		next = o->next;
		if (o->refs == 0)
			inst_free(o);
	}
	pthread_mutex_unlock(&reg_mtx);
}
