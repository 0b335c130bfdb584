/*
 * query_gz.c: a rotated .gz of the store inflated at once (libdeflate,
 * two to three times zlib's speed) for query_files_next_line, which then
 * reads its lines in place; and, for a query or replay that does not
 * follow (-f), a worker thread that reads and inflates each group's next
 * .gz while the main thread decodes the lines of the current one (the
 * machine's second core).  What cannot be inflated so is read through
 * zlib by the caller, as before: the same lines and the same messages.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query_int.h"

enum { PF_IDLE, PF_QUEUED, PF_DONE };

/* The bytes held inflated grow by delta (or shrink); 0, or -1 past
 * WHOLE_MAX. */
static int
budget(struct query *q, long long delta)
{
	int	 rc = 0;

	if (q->pf_started)
		pthread_mutex_lock(&q->pf_mu);
	if (delta > 0 && (size_t)delta > WHOLE_MAX - q->wbytes)
		rc = -1;
	else
		q->wbytes += delta;
	if (q->pf_started)
		pthread_mutex_unlock(&q->pf_mu);
	return rc;
}

/* Whether a line of s[0..len) is longer than streaming could take: past
 * LINE_MAX_B - CHUNK / 2 bytes, query_files_next_line's buffer may have
 * stopped growing before the line's end (and skipped the rest). */
static int
has_long_line(const char *s, size_t len)
{
	const char	*end = s + len, *nl;

	for (; s < end; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		if ((size_t)(nl - s) > LINE_MAX_B - CHUNK / 2)
			return 1;
	}
	return 0;
}

/*
 * The .gz open at fd, of one gzip member, inflated into *buf (kept from
 * file to file, *cap bytes; its size known from the trailer, ISIZE) by
 * in's decompressor.  0 with *len set, or -1: not gzip, more than one
 * member, damaged or truncated (zlib reads what it can and says where it
 * stopped), past WHOLE_MAX, or a line longer than streaming takes.  Only
 * pread: fd's offset stays at 0 for zlib.
 */
static int
inflate_whole(struct query *q, struct qinflater *in, int fd, char **buf,
    size_t *cap, size_t *len)
{
	struct stat	 st;
	unsigned char	 tr[4];
	size_t		 size, isize, in_used, out_used, got;
	ssize_t		 n;
	char		*nb;

	/* The magic first: a plain rotated file (compress = none) is not
	 * read twice, nor held in a buffer of its size. */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size < 18 ||
	    (uint64_t)st.st_size > WHOLE_MAX ||
	    pread(fd, tr, 2, 0) != 2 || tr[0] != 0x1f || tr[1] != 0x8b ||
	    pread(fd, tr, 4, st.st_size - 4) != 4)
		return -1;
	size = (size_t)st.st_size;
	isize = (size_t)tr[0] | (size_t)tr[1] << 8 | (size_t)tr[2] << 16 |
	    (size_t)tr[3] << 24;
	if (in->d == NULL && (in->d = libdeflate_alloc_decompressor()) == NULL)
		return -1;
	/* The compressed bytes count in the bound as well. */
	if (in->zincap < size) {
		if (budget(q, (long long)size - (long long)in->zincap) == -1)
			return -1;
		if ((nb = realloc(in->zin, size)) == NULL) {
			budget(q, -((long long)size - (long long)in->zincap));
			return -1;
		}
		in->zin = nb;
		in->zincap = size;
	}
	/* (a file changed since its magic was read fails in libdeflate,
	 * which reads the header again) */
	for (got = 0; got < size; got += (size_t)n)
		if ((n = pread(fd, in->zin + got, size - got, (off_t)got)) <= 0)
			return -1;
	if (isize > *cap) {
		if (budget(q, (long long)isize - (long long)*cap) == -1)
			return -1;
		free(*buf);
		if ((*buf = malloc(isize)) == NULL) {
			budget(q, -(long long)isize);
			*cap = 0;
			return -1;
		}
		*cap = isize;
	}
	if (libdeflate_gzip_decompress_ex(in->d, in->zin, size, *buf, isize,
	    &in_used, &out_used) != LIBDEFLATE_SUCCESS || in_used != size ||
	    out_used != isize || (isize > LINE_MAX_B - CHUNK / 2 &&
	    has_long_line(*buf, isize)))
		return -1;
	*len = isize;
	return 0;
}

/* The worker's job: g->pf's file read and inflated.  1 or 0. */
static int
ahead_read(struct query *q, struct qgroup *g)
{
	struct qprefetch	*pf = &g->pf;
	struct stat		 st;
	char			 alt[PATH_MAX + 4];
	int			 fd, ok;

	fd = open(pf->path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {	/* compressed since the scan */
		snprintf(alt, sizeof(alt), "%s.gz", pf->path);
		fd = open(alt, O_RDONLY | O_CLOEXEC);
	}
	if (fd == -1)
		return 0;
	ok = 0;
	if (fstat(fd, &st) == 0 && inflate_whole(q, &q->pf_inf, fd,
	    &pf->buf, &pf->cap, &pf->len) == 0) {
		pf->dev = st.st_dev;
		pf->ino = st.st_ino;
		ok = 1;
	}
	close(fd);
	return ok;
}

static void *
ahead_main(void *arg)
{
	struct query	*q = arg;
	struct qgroup	*g;
	int		 ok;

	pthread_mutex_lock(&q->pf_mu);
	for (;;) {
		while (q->pf_n == 0 && !q->pf_quit)
			pthread_cond_wait(&q->pf_cv, &q->pf_mu);
		if (q->pf_quit)
			break;
		g = q->pf_ring[q->pf_head];
		q->pf_head = (q->pf_head + 1) % q->ng;
		q->pf_n--;
		pthread_mutex_unlock(&q->pf_mu);
		ok = ahead_read(q, g);
		pthread_mutex_lock(&q->pf_mu);
		g->pf.ok = ok;
		g->pf.state = PF_DONE;
		pthread_cond_broadcast(&q->pf_done);
	}
	pthread_mutex_unlock(&q->pf_mu);
	return NULL;
}

/* g's read ahead, once done, back to the main thread: whether it holds
 * file fi (then the caller may take its buffer). */
static int
ahead_reap(struct query *q, struct qgroup *g, size_t fi)
{
	int	 r;

	if (!q->pf_started)
		return 0;
	pthread_mutex_lock(&q->pf_mu);
	while (g->pf.state == PF_QUEUED)
		pthread_cond_wait(&q->pf_done, &q->pf_mu);
	r = g->pf.state == PF_DONE && g->pf.ok && g->pf.fi == fi;
	g->pf.state = PF_IDLE;
	pthread_mutex_unlock(&q->pf_mu);
	free(g->pf.path);
	g->pf.path = NULL;
	return r;
}

int
query_gz_take(struct query *q, struct qgroup *g, int fd)
{
	struct stat	 st;
	char		*b;
	size_t		 c;

	if (ahead_reap(q, g, g->cur) && fstat(fd, &st) == 0 &&
	    st.st_dev == g->pf.dev && st.st_ino == g->pf.ino) {
		b = g->wb;		/* the buffers swap */
		c = g->wcap;
		g->wb = g->pf.buf;
		g->wcap = g->pf.cap;
		g->wlen = g->pf.len;
		g->pf.buf = b;
		g->pf.cap = c;
	} else if (inflate_whole(q, &q->inf, fd, &g->wb, &g->wcap,
	    &g->wlen) == -1)
		return -1;
	g->whole = 1;
	g->woff = 0;
	return 0;
}

void
query_gz_ahead(struct query *q, struct qgroup *g)
{
	struct qfile	*f;
	size_t		 i, len;
	int		 busy;

	if (q->follow || q->pf_failed)
		return;
	/* the worker writes the state under pf_mu once it runs */
	if (q->pf_started)
		pthread_mutex_lock(&q->pf_mu);
	busy = g->pf.state != PF_IDLE;
	if (q->pf_started)
		pthread_mutex_unlock(&q->pf_mu);
	if (busy)
		return;
	for (i = g->cur + 1; i < g->nf; i++) {
		f = &g->f[i];
		if (f->live)
			return;
		if (query_files_wanted(q, f))
			break;
	}
	len = i < g->nf ? strlen(g->f[i].path) : 0;
	if (len < 3 || strcmp(g->f[i].path + len - 3, ".gz") != 0)
		return;			/* plain files: zlib copies them */
	if (!q->pf_started) {
		if ((q->pf_ring = calloc(q->ng, sizeof(*q->pf_ring))) == NULL ||
		    pthread_mutex_init(&q->pf_mu, NULL) != 0) {
			q->pf_failed = 1;
			return;
		}
		pthread_cond_init(&q->pf_cv, NULL);
		pthread_cond_init(&q->pf_done, NULL);
		if (pthread_create(&q->pf_thread, NULL, ahead_main, q) != 0) {
			pthread_cond_destroy(&q->pf_cv);
			pthread_cond_destroy(&q->pf_done);
			pthread_mutex_destroy(&q->pf_mu);
			q->pf_failed = 1;
			return;
		}
		q->pf_started = 1;
	}
	if ((g->pf.path = strdup(g->f[i].path)) == NULL)
		return;
	g->pf.fi = i;
	pthread_mutex_lock(&q->pf_mu);
	g->pf.state = PF_QUEUED;
	q->pf_ring[(q->pf_head + q->pf_n) % q->ng] = g;
	q->pf_n++;
	pthread_cond_signal(&q->pf_cv);
	pthread_mutex_unlock(&q->pf_mu);
}

void
query_gz_done(struct query *q, struct qgroup *g)
{
	ahead_reap(q, g, (size_t)-1);
	free(g->wb);
	free(g->pf.buf);
	budget(q, -(long long)(g->wcap + g->pf.cap));
	g->wb = g->pf.buf = NULL;
	g->wcap = g->pf.cap = g->wlen = g->woff = 0;
	g->whole = 0;
}

static void
inflater_free(struct qinflater *in)
{
	if (in->d != NULL)
		libdeflate_free_decompressor(in->d);
	free(in->zin);
	memset(in, 0, sizeof(*in));
}

void
query_gz_stop(struct query *q)
{
	size_t	 i;

	if (q->pf_started) {
		pthread_mutex_lock(&q->pf_mu);
		q->pf_quit = 1;
		pthread_cond_signal(&q->pf_cv);
		pthread_mutex_unlock(&q->pf_mu);
		pthread_join(q->pf_thread, NULL);
		q->pf_started = 0;
		pthread_cond_destroy(&q->pf_cv);
		pthread_cond_destroy(&q->pf_done);
		pthread_mutex_destroy(&q->pf_mu);
	}
	for (i = 0; i < q->ng; i++) {
		free(q->g[i].wb);
		free(q->g[i].pf.buf);
		free(q->g[i].pf.path);
		q->g[i].wb = q->g[i].pf.buf = q->g[i].pf.path = NULL;
	}
	free(q->pf_ring);
	q->pf_ring = NULL;
	inflater_free(&q->inf);
	inflater_free(&q->pf_inf);
}
