/*
 * store.c: the live files of a storage path.  A plain path is one file.
 * A templated path (storepath.c) is one file per expanded path: a chained
 * hash table finds the file of an event by the key of its placeholders'
 * values (the path is expanded only for a key not seen yet; a second table
 * finds the file by its path then), the open ones sit on an LRU list
 * and at most max_open_files are open; the least recently written is
 * closed to make room (counted).  A file closed with lines not yet synced
 * keeps a dup for the next sync (bounded too: past the bound they are
 * fsync'ed at once), so `sync` holds for every file.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "hash.h"
#include "livefile.h"
#include "logrec.h"
#include "rotate.h"
#include "store.h"
#include "storepath.h"
#include "syncer.h"

#define NBUCKETS	4096		/* a power of two */
#define PATH_MAX_LEN	4096
#define KEY_MAX		512		/* longer: expanded each time */
#define KEY_WALK	32		/* a longer chain: SipHash from now */
#define SPARE_MAX	64		/* line buffers kept for reuse */
#define SPARE_CAP	(256 * 1024)	/* a bigger one is freed */
#define CHECK_NS	100000000ULL	/* 100 ms */
/* The open-file metrics are the storage's. */
#define FILES_ADD(s, c, n)	do {					\
	if ((s)->count)							\
		COUNT_ADD(c, n);					\
} while (0)
#define FILES_SUB(s, c, n)	do {					\
	if ((s)->count)							\
		COUNT_SUB(c, n);					\
} while (0)

struct store {
	char			*tmpl;
	const char		*what;		/* "storage", "alerts" */
	int			 count;		/* in the storage metrics */
	struct storepath	*sp;		/* tmpl compiled */
	size_t			 rootlen;
	int			 templated;
	uint64_t		 hkey[2];	/* keys come from senders */
	int			 ksip;		/* keys hashed with SipHash */
	struct rotate_policy	 pol;		/* of each file */
	struct rotate		*tree;		/* max_total of a template */
	size_t			 max_open;
	struct store_file	**tab;		/* by path */
	struct store_file	**ktab;		/* by key */
	size_t			 nfiles;
	TAILQ_HEAD(, store_file) lru;		/* open, least recent first */
	size_t			 nopen;
	TAILQ_HEAD(, store_file) cold;		/* closed, kept known */
	size_t			 ncold;
	struct store_file	*batch, **btail;
	struct obuf		 spare[SPARE_MAX];	/* of files parked */
	size_t			 nspare;
	int			*tosync;	/* dups of closed dirty files */
	size_t			 ntosync;
	int			 root_fd;	/* the storage directory */
	dev_t			 root_dev;
	int			 fs_dirty;	/* closed files unsynced there */
	int			 root_ok;	/* the storage directory seen */
	struct store_file	*plain;
	struct syncer		*sy;		/* NULL: sync inline */
	struct diag_rate	 rate;
};

static uint64_t
path_hash(const struct store *s, const char *path)
{
	return hash_sip(s->hkey, path, strlen(path));
}

/* A template's file extension: ".log" of ".../{date}.log", or "". */
static const char *
tmpl_ext(const char *tmpl)
{
	const char	*base = strrchr(tmpl, '/'), *dot;

	base = base != NULL ? base + 1 : tmpl;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base || strchr(dot, '}') != NULL)
		return "";
	return dot;
}

/* The policies: a template's max_total bounds its whole tree (one pass
 * over the tree), not each file. */
static int
set_policy(struct store *s, const struct rotate_policy *pol)
{
	char	*root;

	s->pol = *pol;
	if (!s->templated)
		return 0;
	s->pol.max_total = 0;
	if (s->tree != NULL) {
		rotate_configure(s->tree, pol);
		return 0;
	}
	if (pol->max_total == 0)
		return 0;
	if ((root = strndup(s->tmpl, s->rootlen ? s->rootlen : 1)) == NULL)
		return -1;
	if (s->rootlen == 0)
		root[0] = '.';
	s->tree = rotate_tree_new(root, tmpl_ext(s->tmpl), pol);
	free(root);
	return s->tree != NULL ? 0 : -1;
}

struct store *
store_new(const char *tmpl, const char *what, const struct rotate_policy *pol,
    size_t max_open, struct syncer *sy)
{
	struct store	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->what = what;
	s->count = strcmp(what, "storage") == 0;
	TAILQ_INIT(&s->lru);
	TAILQ_INIT(&s->cold);
	s->btail = &s->batch;
	s->root_fd = -1;
	s->sy = sy;
	s->max_open = max_open > 0 ? max_open : 1;
	s->templated = storepath_templated(tmpl);
	s->rootlen = s->templated ? storepath_root_len(tmpl) : 0;
	hash_seed(s->hkey);
	if ((s->tmpl = strdup(tmpl)) == NULL ||
	    (s->tab = calloc(NBUCKETS, sizeof(*s->tab))) == NULL ||
	    (s->templated &&
	    ((s->sp = storepath_new(tmpl)) == NULL ||
	    (s->ktab = calloc(NBUCKETS, sizeof(*s->ktab))) == NULL)) ||
	    (s->tosync = calloc(s->max_open, sizeof(int))) == NULL ||
	    set_policy(s, pol) == -1) {
		store_free(s);
		return NULL;
	}
	return s;
}

/* The dups of closed files, past their bound: to the sync thread (waiting
 * for the one it runs), or synced here (here: always; a failure counted in
 * the store's syncer).  0, or -1 if one failed. */
static int
tosync_flush(struct store *s, int here)
{
	size_t	 i;
	int	 rc = 0;

	if (!here && s->sy != NULL && s->ntosync > 0) {
		syncer_wait(s->sy);
		if (syncer_request_many(s->sy, s->tosync, s->ntosync,
		    0) == 0) {
			s->ntosync = 0;
			return 0;
		}
	}
	for (i = 0; i < s->ntosync; i++) {
		if (syncer_sync_fd(s->sy, s->tosync[i], 0) == -1)
			rc = -1;	/* counted in the syncer's errors */
		close(s->tosync[i]);
	}
	s->ntosync = 0;
	return rc;
}

void
store_configure(struct store *s, const struct rotate_policy *pol,
    size_t max_open)
{
	struct store_file	*f;
	size_t			 i;
	int			*v;

	set_policy(s, pol);
	for (i = 0; i < NBUCKETS; i++)
		for (f = s->tab[i]; f != NULL; f = f->hnext)
			livefile_configure(f->lf, &s->pol);
	if (max_open == 0 || max_open == s->max_open)
		return;
	tosync_flush(s, 0);
	if ((v = reallocarray(s->tosync, max_open, sizeof(int))) == NULL)
		return;
	s->tosync = v;
	s->max_open = max_open;
}

static void
file_free(struct store *s, struct store_file *f)
{
	struct store_file	**pp;

	for (pp = &s->tab[f->hash & (NBUCKETS - 1)]; *pp != f;
	    pp = &(*pp)->hnext)
		;
	*pp = f->hnext;
	if (f->key != NULL) {
		for (pp = &s->ktab[f->khash & (NBUCKETS - 1)]; *pp != f;
		    pp = &(*pp)->knext)
			;
		*pp = f->knext;
		if (f->key != f->kbuf)
			free(f->key);
	}
	if (f->open) {
		TAILQ_REMOVE(&s->lru, f, lru);
		s->nopen--;
	}
	if (f->cold) {
		TAILQ_REMOVE(&s->cold, f, lru);
		s->ncold--;
	}
	if (s->plain == f)
		s->plain = NULL;
	livefile_free(f->lf);
	obuf_free(&f->out);
	free(f);
	s->nfiles--;
}

/*
 * A closed file no batch holds is kept known (its rotation state, its
 * directories made) up to COLD_FACTOR times max_open_files, the least
 * recently closed freed first: a file closed to make room and written
 * again soon is opened without a new rotation instance or directory scan.
 */
#define COLD_FACTOR	4

static void
park(struct store *s, struct store_file *f)
{
	if (f == s->plain || f->cold)
		return;
	/* Its line buffer goes to the next file that gathers lines: not
	 * grown again from nothing (a copy at each doubling). */
	if (f->out.p != NULL && f->out.cap <= SPARE_CAP &&
	    s->nspare < SPARE_MAX) {
		s->spare[s->nspare] = f->out;
		s->spare[s->nspare++].len = 0;
		memset(&f->out, 0, sizeof(f->out));
	} else
		obuf_free(&f->out);
	f->cold = 1;
	TAILQ_INSERT_TAIL(&s->cold, f, lru);
	s->ncold++;
	while (s->ncold > COLD_FACTOR * s->max_open)
		file_free(s, TAILQ_FIRST(&s->cold));
}

static struct store_file *
file_get(struct store *s, const char *path)
{
	struct store_file	*f;
	uint64_t		 h = path_hash(s, path);

	for (f = s->tab[h & (NBUCKETS - 1)]; f != NULL; f = f->hnext)
		if (f->hash == h && strcmp(livefile_path(f->lf), path) == 0)
			return f;
	if (posix_memalign((void **)&f, 64, sizeof(*f)) != 0)
		return NULL;
	memset(f, 0, sizeof(*f));
	if ((f->lf = livefile_new(path, s->what, &s->pol, LF_REPAIR)) ==
	    NULL) {
		free(f);
		return NULL;
	}
	livefile_set_syncer(f->lf, s->sy);
	f->hash = h;
	f->hnext = s->tab[h & (NBUCKETS - 1)];
	s->tab[h & (NBUCKETS - 1)] = f;
	s->nfiles++;
	return f;
}

/*
 * Keys are hashed by storepath_key as they are made, with a seeded
 * multiply-xorshift (a few ns, where SipHash cost a tenth of the stage's
 * time per event).  Keys come from senders: once a chain is found longer
 * than a fair share plus KEY_WALK (keys made to collide), the table is
 * hashed again with SipHash, for good.
 */

/* Every key hashed again with SipHash. */
static void
key_rehash(struct store *s)
{
	struct store_file	*f, *next, *all = NULL;
	size_t			 i;

	s->ksip = 1;
	for (i = 0; i < NBUCKETS; i++) {
		for (f = s->ktab[i]; f != NULL; f = next) {
			next = f->knext;
			f->knext = all;
			all = f;
		}
		s->ktab[i] = NULL;
	}
	for (f = all; f != NULL; f = next) {
		next = f->knext;
		f->khash = hash_sip(s->hkey, f->key, f->klen);
		f->knext = s->ktab[f->khash & (NBUCKETS - 1)];
		s->ktab[f->khash & (NBUCKETS - 1)] = f;
	}
	diag_warn("%s %s: many keys in one hash chain; hashed with SipHash "
	    "from now on", s->what, s->tmpl);
}

/* Whether a and b hold the same n bytes (b just written: compared by
 * bytes, not words read over fresh byte stores). */
static int
key_eq(const char *a, const char *b, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* The file of key k (klen bytes, fast hash *h), if one has it; *h the
 * key's hash in the table. */
static struct store_file *
key_get(struct store *s, const char *k, size_t klen, uint64_t *h)
{
	struct store_file	*f;
	size_t			 walk = 0;

	if (s->ksip)
		*h = hash_sip(s->hkey, k, klen);
	for (f = s->ktab[*h & (NBUCKETS - 1)]; f != NULL; f = f->knext) {
		if (f->khash == *h && f->klen == klen &&
		    key_eq(f->key, k, klen))
			break;
		walk++;
	}
	if (walk > KEY_WALK + 2 * s->nfiles / NBUCKETS && !s->ksip) {
		key_rehash(s);
		return key_get(s, k, klen, h);
	}
	return f;
}

/* The file of r's expanded path; given key k if it has none (a second
 * key of the same path is not kept: that one is expanded each time). */
static struct store_file *
path_get(struct store *s, const struct lsbatch *b, const struct logrec *r,
    const char *k, int klen, uint64_t h)
{
	char			 path[PATH_MAX_LEN];
	struct store_file	*f;

	if (storepath_path(s->sp, path, sizeof(path), b, r) == -1) {
		diag_rate(&s->rate, "%s %s: an expanded path is too long",
		    s->what, s->tmpl);
		return NULL;
	}
	if ((f = file_get(s, path)) == NULL || klen < 0 || f->key != NULL)
		return f;
	if ((size_t)klen <= sizeof(f->kbuf))
		f->key = f->kbuf;
	else if ((f->key = malloc((size_t)klen)) == NULL)
		return f;
	memcpy(f->key, k, (size_t)klen);
	f->klen = (uint32_t)klen;
	f->khash = h;
	f->knext = s->ktab[h & (NBUCKETS - 1)];
	s->ktab[h & (NBUCKETS - 1)] = f;
	return f;
}

struct store_file *
store_file_for(struct store *s, const struct lsbatch *b,
    const struct logrec *r)
{
	char			 k[KEY_MAX];
	struct store_file	*f;
	uint64_t		 h = 0;
	int			 klen;

	if (!s->templated) {
		if (s->plain == NULL)
			s->plain = file_get(s, s->tmpl);
		f = s->plain;
	} else {
		klen = storepath_key(s->sp, k, sizeof(k), b, r, s->hkey, &h);
		f = NULL;
		if (klen >= 0)
			f = key_get(s, k, (size_t)klen, &h);
		if (f == NULL)
			f = path_get(s, b, r, k, klen, h);
	}
	if (f != NULL && !f->in_batch) {
		if (f->out.p == NULL && s->nspare > 0)
			f->out = s->spare[--s->nspare];
		f->in_batch = 1;
		f->bnext = NULL;
		f->done = 0;
		f->out.len = 0;
		f->events = 0;
		f->oldest = UINT64_MAX;
		*s->btail = f;
		s->btail = &f->bnext;
	}
	return f;
}

struct store_file *
store_batch(const struct store *s)
{
	return s->batch;
}

/*
 * The storage directory, made when missing only if its parent exists: a
 * mistyped path fails at start instead of growing a tree of directories,
 * and one that is made is said so.  -1 (errno ENOENT) if it cannot be.
 */
static int
root_dir(struct store *s, const char *path)
{
	struct stat	 st;
	char		*d, *sl;
	int		 rc = 0;

	if ((d = strdup(path)) == NULL)
		return -1;
	if (s->templated)
		d[s->rootlen] = '\0';
	else if ((sl = strrchr(d, '/')) != NULL)
		*sl = '\0';
	if (d[0] == '\0' || (stat(d, &st) == 0) || errno != ENOENT)
		goto done;
	if (mkdir(d, 0750) == 0)
		diag_warn("%s: made the directory %s (it did not exist; "
		    "its parent does)", s->what, d);
	else if (errno == ENOENT) {
		diag_rate(&s->rate, "%s %s: the directory %s does not "
		    "exist, nor its parent: not made (check [%s] path)",
		    s->what, path, d, s->what);
		rc = -1;
	}
done:
	free(d);
	if (rc == -1)
		errno = ENOENT;
	return rc;
}

/* The directories of a templated file, below the storage directory. */
static int
file_dirs(struct store *s, const char *path)
{
	char	*d, *sl;
	int	 rc = 0;

	if ((d = strdup(path)) == NULL)
		return -1;
	if ((sl = strrchr(d, '/')) != NULL && (size_t)(sl - d) > s->rootlen) {
		*sl = '\0';
		rc = livefile_mkdirs(d, s->rootlen);
	}
	free(d);
	return rc;
}

/* The storage directory open, for one syncfs() that stands for every
 * file closed there with lines unsynced. */
static void
root_open(struct store *s, const char *path)
{
	struct stat	 st;
	char		*d;

	if (!s->templated || s->root_fd != -1 ||
	    (d = strndup(path, s->rootlen ? s->rootlen : 1)) == NULL)
		return;
	if (s->rootlen == 0)
		d[0] = '.';
	s->root_fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->root_fd != -1 && fstat(s->root_fd, &st) == 0)
		s->root_dev = st.st_dev;
	else if (s->root_fd != -1) {
		close(s->root_fd);
		s->root_fd = -1;
	}
	free(d);
}

/* Whether f is on the storage directory's filesystem. */
static int
on_root_fs(const struct store *s, const struct store_file *f)
{
	return s->root_fd != -1 && livefile_dev(f->lf) == s->root_dev;
}

/* Close f (the least recently written, to make room). */
static void
file_close(struct store *s, struct store_file *f)
{
	int	 fd;

	if (livefile_dirty(f->lf) && on_root_fs(s, f)) {
		s->fs_dirty = 1;	/* one syncfs() at the next sync */
		livefile_synced(f->lf);
	} else if (livefile_dirty(f->lf) &&
	    (fd = livefile_sync_fd(f->lf)) != -1) {
		if (s->ntosync == s->max_open)
			tosync_flush(s, 0);
		s->tosync[s->ntosync++] = fd;
		livefile_synced(f->lf);
	} else
		livefile_sync(f->lf);	/* a failure: counted by the syncer */
	livefile_close(f->lf);
	TAILQ_REMOVE(&s->lru, f, lru);
	f->open = 0;
	s->nopen--;
	FILES_ADD(s, counters.files_closed, 1);
	FILES_SUB(s, counters.files_open, 1);
	if (!f->in_batch)
		park(s, f);
}

/*
 * The open file to close to make room: of the VICTIM_SCAN least recently
 * written, the one with the fewest lines waiting for it (the least
 * recently written of those).  A file is written when it has gathered
 * enough, so the one just written is the one needed last: with more hosts
 * than open files written in turn, plain LRU would close every file just
 * before its next write.
 */
#define VICTIM_SCAN	128

static struct store_file *
victim(struct store *s)
{
	struct store_file	*f, *v = NULL;
	size_t			 best = SIZE_MAX, w, n = 0;

	TAILQ_FOREACH(f, &s->lru, lru) {
		if (n++ == VICTIM_SCAN)
			break;
		w = f->in_batch ? f->out.len - f->done : 0;
		if (w < best) {
			best = w;
			v = f;
			if (w == 0)
				break;
		}
	}
	return v;
}

int
store_use(struct store *s, struct store_file *f)
{
	const char	*path = livefile_path(f->lf);
	uint64_t	 now = diag_mono_ns();

	/* Is it unlinked?  A plain file is looked at every batch, each
	 * file of a template at most every CHECK_NS (an fstat each). */
	if ((!s->templated || now - f->checked_ns >= CHECK_NS) &&
	    (f->checked_ns = now, livefile_check(f->lf)) && f->open) {
		TAILQ_REMOVE(&s->lru, f, lru);
		f->open = 0;
		s->nopen--;
		FILES_SUB(s, counters.files_open, 1);
	}
	if (f->open) {
		TAILQ_REMOVE(&s->lru, f, lru);
		TAILQ_INSERT_TAIL(&s->lru, f, lru);
		return 0;
	}
	/* Only the first open makes the storage directory: one removed
	 * later (or an unmounted filesystem) holds events until it is back. */
	if (!s->root_ok && root_dir(s, path) == -1)
		return -1;
	while (s->nopen >= s->max_open && !TAILQ_EMPTY(&s->lru))
		file_close(s, victim(s));
	/* A templated file's directories (a host's) are made as needed:
	 * at its first open, and again after an open found them gone. */
	if (s->templated && !f->dirs_ok && file_dirs(s, path) == -1 &&
	    errno != EEXIST)
		diag_rate(&s->rate, "%s %s: mkdir: %s", s->what, path,
		    strerror(errno));
	if (livefile_open(f->lf) == -1) {
		f->dirs_ok = 0;
		return -1;
	}
	f->dirs_ok = 1;
	root_open(s, path);
	if (f->cold) {
		TAILQ_REMOVE(&s->cold, f, lru);
		f->cold = 0;
		s->ncold--;
	}
	s->root_ok = 1;
	f->open = 1;
	TAILQ_INSERT_TAIL(&s->lru, f, lru);
	s->nopen++;
	FILES_ADD(s, counters.files_opened, 1);
	FILES_ADD(s, counters.files_open, 1);
	return 0;
}

void
store_rotated(struct store *s)
{
	if (s->tree != NULL)
		rotate_start(s->tree);
}

int
store_templated(const struct store *s)
{
	return s->templated;
}

/* End the batch; with keep_held, files with lines not yet written stay
 * on the list (a template's held files). */
static void
batch_end(struct store *s, int keep_held)
{
	struct store_file	*f, *next;

	f = s->batch;
	s->batch = NULL;
	s->btail = &s->batch;
	for (; f != NULL; f = next) {
		next = f->bnext;
		if (keep_held && f->done < f->out.len) {
			f->bnext = NULL;
			*s->btail = f;
			s->btail = &f->bnext;
			continue;
		}
		f->in_batch = 0;
		f->out.len = 0;
		f->done = 0;
		f->events = 0;
		if (!f->open)
			park(s, f);
	}
}

void
store_batch_end(struct store *s)
{
	batch_end(s, s->templated);
}

void
store_batch_drop(struct store *s)
{
	batch_end(s, 0);
}

int
store_open_plain(struct store *s)
{
	if (s->templated)	/* the storage directory is there, or made */
		return s->root_ok ? 0 : root_dir(s, s->tmpl);
	if (s->plain == NULL && (s->plain = file_get(s, s->tmpl)) == NULL)
		return -1;
	if (s->plain->open)
		return store_reopen(s);
	return store_use(s, s->plain);
}

int
store_reopen(struct store *s)
{
	struct store_file	*f, *next;

	if (!s->templated) {
		if (s->plain == NULL || !s->plain->open)
			return s->plain == NULL ? 0 : store_use(s, s->plain);
		return livefile_open(s->plain->lf);	/* old kept on -1 */
	}
	for (f = TAILQ_FIRST(&s->lru); f != NULL; f = next) {
		next = TAILQ_NEXT(f, lru);
		file_close(s, f);
	}
	return 0;
}

struct store_file *
store_next_open(const struct store *s, const struct store_file *f)
{
	return f == NULL ? TAILQ_FIRST(&s->lru) : TAILQ_NEXT(f, lru);
}

void
store_sync_fds(struct store *s, int *fds, size_t max, size_t *n,
    int *whole_fs)
{
	struct store_file	*f;
	int			 fd;

	*n = 0;
	*whole_fs = 0;
	if (s->fs_dirty && max > 0 &&
	    (fd = fcntl(s->root_fd, F_DUPFD_CLOEXEC, 0)) != -1) {
		fds[(*n)++] = fd;
		*whole_fs = 1;
		s->fs_dirty = 0;
	}
	while (s->ntosync > 0 && *n < max)
		fds[(*n)++] = s->tosync[--s->ntosync];
	TAILQ_FOREACH(f, &s->lru, lru) {
		if (*n == max)
			break;
		if ((fd = livefile_sync_fd(f->lf)) == -1)
			continue;
		fds[(*n)++] = fd;
		livefile_synced(f->lf);
	}
}

int
store_sync(struct store *s)
{
	struct store_file	*f;
	int			 rc = 0;

	if (tosync_flush(s, 1) == -1)
		rc = -1;
	if (s->fs_dirty) {
		if (syncer_sync_fd(s->sy, s->root_fd, 1) == -1)
			rc = -1;
		s->fs_dirty = 0;
	}
	TAILQ_FOREACH(f, &s->lru, lru)
		if (livefile_sync(f->lf) == -1)
			rc = -1;
	return rc;
}

int
store_dirty(const struct store *s)
{
	struct store_file	*f;

	if (s->ntosync > 0 || s->fs_dirty)
		return 1;
	TAILQ_FOREACH(f, &s->lru, lru)
		if (livefile_dirty(f->lf))
			return 1;
	return 0;
}

void
store_stats(const struct store *s, struct store_stats *st)
{
	st->open = s->nopen;
	st->known = s->nfiles;
}

size_t
store_busiest(const struct store *s, const char **paths, uint64_t *bytes,
    size_t n)
{
	struct store_file	*f;
	size_t			 k = 0, i;

	if (n == 0)
		return 0;
	TAILQ_FOREACH(f, &s->lru, lru) {
		if (k == n && bytes[n - 1] >= f->bytes)
			continue;
		/* Insert into the top n, most bytes first. */
		i = k < n ? k++ : n - 1;
		for (; i > 0 && bytes[i - 1] < f->bytes; i--) {
			bytes[i] = bytes[i - 1];
			paths[i] = paths[i - 1];
		}
		bytes[i] = f->bytes;
		paths[i] = livefile_path(f->lf);
	}
	return k;
}

void
store_free(struct store *s)
{
	struct store_file	*f;
	size_t			 i;

	if (s == NULL)
		return;
	if (s->tab != NULL) {
		for (i = 0; i < NBUCKETS; i++)
			while ((f = s->tab[i]) != NULL) {
				if (f->open)
					FILES_SUB(s, counters.files_open, 1);
				file_free(s, f);
			}
	}
	if (s->tosync != NULL)
		tosync_flush(s, 1);
	if (s->fs_dirty)
		syncer_sync_fd(s->sy, s->root_fd, 1);
	if (s->root_fd != -1)
		close(s->root_fd);
	rotate_free(s->tree);
	free(s->tosync);
	while (s->nspare > 0)
		obuf_free(&s->spare[--s->nspare]);
	free(s->tab);
	free(s->ktab);
	storepath_free(s->sp);
	free(s->tmpl);
	free(s);
}
