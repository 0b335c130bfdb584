/*
 * query_files.c: the files `logstreamd query` reads.  Finds every file of
 * the store (a plain path's live and rotated names; for a template, every
 * file of its tree that the template can produce, or a rotated name of
 * one), groups them by live path in rotation order, skips a rotated file
 * whose index says it cannot match, and hands out their lines (a .gz
 * inflated whole by query_gz.c, or through zlib), naming what it cannot
 * read.  -f's catching up after a rotation is here too.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query_int.h"
#include "rotate.h"
#include "storepath.h"

static int	 rotated_since(const struct qgroup *);

/* A skipped line or file, named on stderr (the first REPORT_MAX). */
void
query_files_report(struct query *q, const char *path, uint64_t line, const char *what)
{
	q->bad++;
	if (q->reported++ >= REPORT_MAX)
		return;
	if (line > 0)
		fprintf(stderr, "logstreamd query: %s:%llu: %s, skipped\n",
		    path, (unsigned long long)line, what);
	else
		fprintf(stderr, "logstreamd query: %s: %s\n", path, what);
}

/* Files. */

static int
file_cmp(const void *a, const void *b)
{
	const struct qfile	*x = a, *y = b;

	if (x->live != y->live)
		return x->live - y->live;	/* the live file last */
	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static struct qgroup *
group_for(struct query *q, const char *live)
{
	struct qgroup	*ng;
	size_t		 i;

	for (i = q->ng; i > 0; i--)
		if (strcmp(q->g[i - 1].live, live) == 0)
			return &q->g[i - 1];
	if ((ng = reallocarray(q->g, q->ng + 1, sizeof(*ng))) == NULL)
		return NULL;
	q->g = ng;
	ng = &q->g[q->ng];
	memset(ng, 0, sizeof(*ng));
	if ((ng->live = strdup(live)) == NULL)
		return NULL;
	q->ng++;
	return ng;
}

/* Add file path of live path live (path == live: the live file).  A
 * rotated NAME beside its complete NAME.gz (a crash between the two) is
 * read once, as the .gz. */
static int
add_file(struct query *q, const char *live, const char *path,
    const struct rotate_entry *e)
{
	struct qgroup	*g;
	struct qfile	*nf;
	size_t		 i;

	if ((g = group_for(q, live)) == NULL)
		return -1;
	if ((size_t)(g - q->g) < q->old_ng)
		return 0;		/* -f's rescan: only new live paths */
	for (i = 0; e != NULL && i < g->nf; i++) {
		if (g->f[i].live || g->f[i].sec != e->sec ||
		    g->f[i].idx != e->idx)
			continue;
		if (e->gz) {		/* the .gz replaces the plain one */
			free(g->f[i].path);
			if ((g->f[i].path = strdup(path)) == NULL)
				return -1;
		}
		return 0;
	}
	if ((nf = reallocarray(g->f, g->nf + 1, sizeof(*nf))) == NULL)
		return -1;
	g->f = nf;
	nf = &g->f[g->nf];
	memset(nf, 0, sizeof(*nf));
	if ((nf->path = strdup(path)) == NULL)
		return -1;
	nf->live = e == NULL;
	if (e != NULL) {
		nf->sec = e->sec;
		nf->idx = e->idx;
	}
	g->nf++;
	q->files++;
	return 0;
}

/* The directory of path into dir. */
static void
dir_of(const char *path, char *dir, size_t len)
{
	const char	*sl = strrchr(path, '/');

	if (sl == path)
		snprintf(dir, len, "/");
	else if (sl == NULL)
		snprintf(dir, len, ".");
	else
		snprintf(dir, len, "%.*s", (int)(sl - path), path);
}

/* The files of a plain path: it and its rotated names beside it. */
static int
scan_plain(struct query *q)
{
	struct rotate_entry	 e;
	struct dirent		*de;
	struct stat		 st;
	char			 dir[PATH_MAX], p[PATH_MAX + 256];
	DIR			*d;

	dir_of(q->tmpl, dir, sizeof(dir));
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "logstreamd query: %s: %s\n", dir,
		    strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		memset(&e, 0, sizeof(e));
		if (rotate_parse(q->tmpl, de->d_name, &e) == -1)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (add_file(q, q->tmpl, p, &e) == -1)
			break;
	}
	closedir(d);
	if (stat(q->tmpl, &st) == 0 && S_ISREG(st.st_mode))
		return add_file(q, q->tmpl, q->tmpl, NULL);
	return 0;
}

/*
 * A templated path: every file below its storage directory that the
 * template can produce (each placeholder stands for one path component's
 * text without '/'), and the rotated names of those.
 */
static struct query	*walk_q;	/* nftw has no user pointer */
static char		 walk_pat[PATH_MAX * 2];

/* The template as an fnmatch pattern: {x} -> *, metacharacters quoted. */
static int
make_pattern(const char *tmpl, char *pat, size_t len)
{
	size_t	 n = 0;

	for (; *tmpl != '\0'; tmpl++) {
		if (n + 3 >= len)
			return -1;
		if (*tmpl == '{') {
			while (*tmpl != '\0' && *tmpl != '}')
				tmpl++;
			if (*tmpl == '\0')
				return -1;
			pat[n++] = '*';
			continue;
		}
		if (strchr("*?[\\", *tmpl) != NULL)
			pat[n++] = '\\';
		pat[n++] = *tmpl;
	}
	pat[n] = '\0';
	return 0;
}

/* Whether base (of path, at dir) is a rotated name of a live path the
 * template can produce: *e and live set. */
static int
rotated_of(const char *path, size_t base, struct rotate_entry *e,
    char *live, size_t len)
{
	const char	*b = path + base, *dash, *ext;
	size_t		 bl = strlen(b);

	for (dash = b + bl; dash > b; dash--) {
		if (dash[-1] != '-' || strlen(dash) < 16)
			continue;
		/* stem-STAMP[_NNN]EXT[.gz] */
		ext = dash + 16;
		if (*ext == '_')
			ext += 4;
		if (ext > b + bl)
			continue;
		if ((size_t)snprintf(live, len, "%.*s%.*s%.*s", (int)base, path,
		    (int)(dash - 1 - b), b, (int)(b + bl - ext) -
		    (bl > 3 && strcmp(b + bl - 3, ".gz") == 0 ? 3 : 0), ext) >=
		    len)
			continue;
		memset(e, 0, sizeof(*e));
		if (rotate_parse(live, b, e) == 0 &&
		    fnmatch(walk_pat, live, FNM_PATHNAME) == 0)
			return 0;
	}
	return -1;
}

static int
walk_visit(const char *path, const struct stat *st, int type, struct FTW *f)
{
	struct rotate_entry	 e;
	char			 live[PATH_MAX];

	if (type != FTW_F || !S_ISREG(st->st_mode) || path[f->base] == '.')
		return 0;
	/* A rotated name first: remote/{host}/{date}.log matches
	 * remote/web01/2026-11-23-20261123T201414Z_000.log as well. */
	if (rotated_of(path, (size_t)f->base, &e, live, sizeof(live)) == 0)
		return add_file(walk_q, live, path, &e) == -1;
	if (fnmatch(walk_pat, path, FNM_PATHNAME) == 0)
		return add_file(walk_q, path, path, NULL) == -1;
	return 0;
}

static int
scan_tree(struct query *q)
{
	char	 root[PATH_MAX];
	size_t	 rl = storepath_root_len(q->tmpl);
	int	 rc;

	if (make_pattern(q->tmpl, walk_pat, sizeof(walk_pat)) == -1)
		return -1;
	snprintf(root, sizeof(root), "%.*s", rl > 0 ? (int)rl : 1,
	    rl > 0 ? q->tmpl : ".");
	walk_q = q;
	rc = nftw(root, walk_visit, 16, FTW_PHYS);
	walk_q = NULL;
	if (rc == -1) {
		fprintf(stderr, "logstreamd query: %s: %s\n", root,
		    strerror(errno));
		return -1;
	}
	return rc == 0 ? 0 : -1;
}

int
query_files_scan(struct query *q)
{
	size_t	 i;
	int	 rc;

	rc = q->templated ? scan_tree(q) : scan_plain(q);
	for (i = 0; i < q->ng; i++) {
		qsort(q->g[i].f, q->g[i].nf, sizeof(*q->g[i].f), file_cmp);
		query_files_note_newest(&q->g[i]);
	}
	return rc;
}

int
query_files_rescan(struct query *q)
{
	size_t	 i;
	int	 rc;

	q->old_ng = q->ng;
	rc = scan_tree(q);
	for (i = q->old_ng; i < q->ng; i++) {
		qsort(q->g[i].f, q->g[i].nf, sizeof(*q->g[i].f), file_cmp);
		query_files_note_newest(&q->g[i]);
	}
	q->old_ng = 0;
	return rc;
}

/* Reading. */

int
query_files_wanted(struct query *q, struct qfile *f)
{
	struct storeidx	 ix;

	if (f->live)
		return 1;
	if (f->want == 0) {
		f->want = 1;
		if (storeidx_read(f->path, &ix) == 0) {
			if (!storeidx_may_match(&ix, q->since, q->until,
			    q->req_host, q->req_class))
				f->want = -1;
			storeidx_clear(&ix);
		}
	}
	return f->want == 1;
}

/* Open g's next file that must be read; 0, or -1 when none is left. */
static int
next_file(struct query *q, struct qgroup *g)
{
	struct qfile	*f;
	struct stat	 st;
	char		 alt[PATH_MAX + 4];
	int		 fd;

	for (; g->cur < g->nf; g->cur++) {
		f = &g->f[g->cur];
		if (!query_files_wanted(q, f)) {
			q->skipped++;
			continue;
		}
		if (f->live && q->follow && rotated_since(g)) {
			/* rotated after the list was made: those first */
			g->seen = 0;
			query_files_catch_up(q, g);
			g->cur = (size_t)-1;	/* ++: from the start */
			continue;
		}
		fd = open(f->path, O_RDONLY | O_CLOEXEC);
		if (fd == -1 && errno == ENOENT && !f->live) {
			/* compressed since the scan */
			snprintf(alt, sizeof(alt), "%s.gz", f->path);
			fd = open(alt, O_RDONLY | O_CLOEXEC);
		}
		if (fd == -1) {
			if (errno != ENOENT)	/* else: deleted since */
				query_files_report(q, f->path, 0, strerror(errno));
			continue;
		}
		if (f->live && q->follow && rotated_since(g)) {
			/* Rotated while being opened: the file opened may be
			 * among the rotated names; read those first.  Once
			 * none came, the file opened gets the first rotated
			 * name after g->last_*: catch_up relies on that. */
			close(fd);
			g->seen = 0;
			query_files_catch_up(q, g);
			g->cur = (size_t)-1;
			continue;
		}
		if (f->live && fstat(fd, &st) == 0) {
			g->dev = st.st_dev;
			g->ino = st.st_ino;
			g->seen = 1;
		}
		if (!f->live && query_gz_take(q, g, fd) == 0)
			close(fd);
		else if ((g->gz = gzdopen(fd, "rb")) == NULL) {
			close(fd);
			query_files_report(q, f->path, 0, "out of memory");
			continue;
		}
		query_gz_ahead(q, g);
		q->opened++;
		g->gz_live = f->live;
		g->len = g->off = 0;	/* a partial line of before: gone */
		g->lineno = 0;
		return 0;
	}
	return -1;
}

static void
close_file(struct qgroup *g)
{
	if (g->gz != NULL)
		gzclose(g->gz);
	g->gz = NULL;
	g->whole = 0;
	g->wlen = g->woff = 0;
	g->len = g->off = 0;
	g->cur++;
}

/* zlib's message without the "<fd:N>: " it puts first. */
static const char *
gz_why(gzFile gz)
{
	const char	*m, *c;
	int		 err;

	m = gzerror(gz, &err);
	if (m[0] == '<' && (c = strstr(m, ">: ")) != NULL)
		m = c + 3;
	return m;
}

/* The next line of g into g->line; 1, or 0 when g's files are done. */
int
query_files_next_line(struct query *q, struct qgroup *g)
{
	const char	*p, *nl;
	char		*nb;
	int		 n, err;

	if (g->buf == NULL) {
		if ((g->buf = malloc(CHUNK)) == NULL)
			return 0;
		g->cap = CHUNK;
	}
	for (;;) {
		if (g->gz == NULL && !g->whole && next_file(q, g) == -1) {
			query_gz_done(q, g);	/* g is done */
			return 0;
		}
		if (g->whole) {		/* a whole .gz: lines in place */
			if (g->woff < g->wlen) {
				p = g->wb + g->woff;
				if ((nl = memchr(p, '\n', g->wlen - g->woff)) !=
				    NULL) {
					g->line = p;
					g->linelen = (size_t)(nl - p);
					g->woff += g->linelen + 1;
					g->lineno++;
					return 1;
				}
				query_files_report(q, g->f[g->cur].path,
				    g->lineno + 1, "a torn last line (no line "
				    "end)");
			}
			close_file(g);
			continue;
		}
		p = g->buf + g->off;
		if (g->len > g->off && (nl = memchr(p, '\n', g->len - g->off)) !=
		    NULL) {
			g->line = p;
			g->linelen = (size_t)(nl - p);
			g->off += g->linelen + 1;
			g->lineno++;
			return 1;
		}
		memmove(g->buf, p, g->len - g->off);
		g->len -= g->off;
		g->off = 0;
		if (g->cap - g->len < CHUNK / 2) {
			if (g->cap >= LINE_MAX_B || (nb = realloc(g->buf,
			    g->cap ? g->cap * 2 : CHUNK)) == NULL) {
				query_files_report(q, g->f[g->cur].path, g->lineno + 1,
				    "a line too long (or out of memory)");
				close_file(g);
				continue;
			}
			g->buf = nb;
			g->cap = g->cap ? g->cap * 2 : CHUNK;
		}
		n = gzread(g->gz, g->buf + g->len, (unsigned)(g->cap - g->len));
		if (n > 0) {
			g->len += (size_t)n;
			continue;
		}
		if (n == 0)
			gzerror(g->gz, &err);	/* a truncated .gz ends so */
		if (n < 0 || (n == 0 && err != Z_OK && err != Z_STREAM_END)) {
			q->bad++;
			if (q->reported++ < REPORT_MAX)
				fprintf(stderr, "logstreamd query: %s: "
				    "unreadable after line %llu (%s); the rest "
				    "of it skipped\n", g->f[g->cur].path,
				    (unsigned long long)g->lineno,
				    gz_why(g->gz));
		} else if (g->len > 0 && !g->gz_live)
			query_files_report(q, g->f[g->cur].path, g->lineno + 1,
			    "a torn last line (no line end)");
		if (g->gz_live && q->follow)
			return 0;	/* -f reads on from here */
		close_file(g);
	}
}

/* g's file list ends with its live file (which may not exist yet). */
int
query_files_ensure_live(struct query *q, struct qgroup *g)
{
	if (g->nf > 0 && g->f[g->nf - 1].live)
		return 0;
	return add_file(q, g->live, g->live, NULL);
}

/* Note the newest rotated name of g's list. */
void
query_files_note_newest(struct qgroup *g)
{
	size_t	 i;

	for (i = 0; i < g->nf; i++)
		if (!g->f[i].live && (g->f[i].sec > g->last_sec ||
		    (g->f[i].sec == g->last_sec && g->f[i].idx > g->last_idx))) {
			g->last_sec = g->f[i].sec;
			g->last_idx = g->f[i].idx;
		}
}

/* Whether g's directory holds a rotated name of it newer than any g has
 * listed.  1 or 0. */
static int
rotated_since(const struct qgroup *g)
{
	struct rotate_entry	 e;
	struct dirent		*de;
	char			 dir[PATH_MAX];
	DIR			*d;
	int			 r = 0;

	dir_of(g->live, dir, sizeof(dir));
	if ((d = opendir(dir)) == NULL)
		return 0;
	while (!r && (de = readdir(d)) != NULL) {
		memset(&e, 0, sizeof(e));
		r = rotate_parse(g->live, de->d_name, &e) == 0 &&
		    (e.sec > g->last_sec || (e.sec == g->last_sec &&
		    e.idx > g->last_idx));
	}
	closedir(d);
	return r;
}

/*
 * g's live file was renamed (rotated), and read to its end through the
 * descriptor held.  Its list becomes the rotated names newer than any g
 * has listed, then the live file.  The first of those is the file just
 * read (see next_file): dropped, if it is (its inode, held open, cannot
 * have been reused; a .gz is taken to be it).  The others were rotated
 * while no one looked (a fast writer): read whole.
 */
void
query_files_catch_up(struct query *q, struct qgroup *g)
{
	struct rotate_entry	 e;
	struct dirent		*de;
	struct stat		 st;
	struct qfile		*old = g->f;
	char			 dir[PATH_MAX], p[PATH_MAX + 256];
	size_t			 nold = g->nf, i, len;
	DIR			*d;

	dir_of(g->live, dir, sizeof(dir));
	g->f = NULL;
	g->nf = 0;
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			memset(&e, 0, sizeof(e));
			if (rotate_parse(g->live, de->d_name, &e) == -1 ||
			    e.sec < g->last_sec || (e.sec == g->last_sec &&
			    e.idx <= g->last_idx))
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			add_file(q, g->live, p, &e);	/* to g's new list */
		}
		closedir(d);
	}
	qsort(g->f, g->nf, sizeof(*g->f), file_cmp);
	query_files_note_newest(g);
	len = g->nf > 0 ? strlen(g->f[0].path) : 0;
	if (g->seen && g->nf > 0 && ((len > 3 && strcmp(g->f[0].path + len -
	    3, ".gz") == 0) || (stat(g->f[0].path, &st) == 0 &&
	    st.st_dev == g->dev && st.st_ino == g->ino))) {
		free(g->f[0].path);
		memmove(g->f, g->f + 1, (g->nf - 1) * sizeof(*g->f));
		g->nf--;
	}
	for (i = 0; i < nold; i++)
		free(old[i].path);
	free(old);
	query_files_ensure_live(q, g);
	g->cur = 0;
	g->seen = 0;
}

