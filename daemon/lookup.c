/*
 * lookup.c: [lookup NAME] (see lookup.h).  A table is immutable once read:
 * its strings in one buffer, its rows an array of offsets, an open-address
 * index over the keys (SipHash, keys come from files and events).  A
 * changed file is read aside and swapped in only whole; the stage thread is
 * the only one that uses a table, so the swap needs no lock.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classifier.h"
#include "config.h"
#include "confmap.h"
#include "diag.h"
#include "evkey.h"
#include "hash.h"
#include "logrec.h"
#include "lookup.h"

#define MAX_COLS	64
#define MAX_ROWS	10000000
#define CHECK_NS	1000000000ULL	/* look at the files this often */

struct lktable {
	char		*buf;		/* every value, NUL-terminated */
	size_t		 len, cap;
	uint32_t	*cells;		/* rows x cols offsets into buf */
	uint32_t	*lens;
	size_t		 rows, cols, caprows;
	uint32_t	*index;		/* row + 1, 0 empty; power of two */
	size_t		 nindex;
	uint64_t	 seed[2];
};

struct lookup {
	char		*name;
	char		*path;
	struct evkey	 key;
	uint64_t	 max_rows;
	struct lktable	*t;
	struct stat	 st;		/* of the file t was read from */
	struct stat	 seen;		/* a change seen, not yet read */
	uint64_t	 checked_ns;
	int		 failing;	/* the last read failed: said once */
	_Atomic uint64_t hits, misses, reloads, errors, rows;
};

struct lookups {
	struct lookup	*v;
	size_t		 n;
};

/* The CSV reader (RFC 4180: quotes, "" inside them, commas and line ends
 * inside quotes; a UTF-8 BOM and CRLF line ends are taken too). */

struct csv {
	FILE		*fp;
	int		 line;		/* of the character read last */
	int		 recline;	/* where the record began */
	char		*cell;
	size_t		 clen, ccap;
};

static int
cell_put(struct csv *c, int ch)
{
	char	*p;

	if (c->clen + 1 >= c->ccap) {
		if ((p = realloc(c->cell, c->ccap ? c->ccap * 2 : 256)) ==
		    NULL)
			return -1;
		c->cell = p;
		c->ccap = c->ccap ? c->ccap * 2 : 256;
	}
	c->cell[c->clen++] = (char)ch;
	c->cell[c->clen] = '\0';
	return 0;
}

static int
tab_put(struct lktable *t, const char *s, size_t n, uint32_t *off)
{
	char	*p;
	size_t	 cap = t->cap ? t->cap : 4096;

	while (t->len + n + 1 > cap)
		cap *= 2;
	if (cap > UINT32_MAX)
		return -1;
	if (cap != t->cap) {
		if ((p = realloc(t->buf, cap)) == NULL)
			return -1;
		t->buf = p;
		t->cap = cap;
	}
	*off = (uint32_t)t->len;
	memcpy(t->buf + t->len, s, n);
	t->buf[t->len + n] = '\0';
	t->len += n + 1;
	return 0;
}

/* One cell into c->cell; *term is what ended it (',', '\n' or EOF), *any
 * set once a byte was read.  0, or -1 with the error in err. */
static int
csv_cell(struct csv *c, int *term, int *any, char *err, size_t errlen)
{
	int	 ch, quoted = 0, after = 0;

	c->clen = 0;
	while ((ch = getc(c->fp)) != EOF) {
		*any = 1;
		if (quoted) {
			if (ch == '"' && (ch = getc(c->fp)) != '"') {
				quoted = 0;
				after = 1;
				if (ch == EOF)
					break;
				ungetc(ch, c->fp);
				continue;
			}
			if (ch == '\n')
				c->line++;
			if (cell_put(c, ch) == -1)
				goto nomem;
			continue;
		}
		if (ch == ',' || ch == '\n')
			break;
		if (ch == '\r') {		/* CRLF ends a line too */
			if ((ch = getc(c->fp)) == '\n')
				break;
			if (ch != EOF)
				ungetc(ch, c->fp);
			ch = '\r';
		}
		if (after) {
			snprintf(err, errlen, "text after a closing quote");
			return -1;
		}
		if (ch == '"' && c->clen == 0)
			quoted = 1;
		else if (cell_put(c, ch) == -1)
			goto nomem;
	}
	if (quoted) {
		snprintf(err, errlen, "a quoted value is not closed");
		return -1;
	}
	*term = ch;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* A row of n cells (their offsets and lengths) into t; 0 or -1. */
static int
row_add(struct lktable *t, const uint32_t *offs, const uint32_t *lens,
    int n, char *err, size_t errlen)
{
	uint32_t	*np;
	size_t		 i;

	if (t->cols == 0)
		t->cols = (size_t)n;
	else if ((size_t)n != t->cols) {
		snprintf(err, errlen, "%d values, the header has %zu", n,
		    t->cols);
		return -1;
	}
	if (t->rows == t->caprows) {
		i = t->caprows ? t->caprows * 2 : 64;
		if ((np = reallocarray(t->cells, i * t->cols,
		    sizeof(*np))) == NULL)
			goto nomem;
		t->cells = np;
		if ((np = reallocarray(t->lens, i * t->cols,
		    sizeof(*np))) == NULL)
			goto nomem;
		t->lens = np;
		t->caprows = i;
	}
	memcpy(t->cells + t->rows * t->cols, offs, n * sizeof(*offs));
	memcpy(t->lens + t->rows * t->cols, lens, n * sizeof(*lens));
	t->rows++;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/*
 * The next record into t (the header is row 0), blank lines skipped.
 * Returns its number of cells, 0 at the end of the file, -1 on an error
 * (in err; c->recline is the line where the record began).
 */
static int
csv_record(struct csv *c, struct lktable *t, char *err, size_t errlen)
{
	uint32_t	 offs[MAX_COLS], lens[MAX_COLS];
	int		 term, any, n;

	for (;;) {
		c->recline = c->line;
		any = n = 0;
		do {
			if (csv_cell(c, &term, &any, err, errlen) == -1)
				return -1;
			if (n == MAX_COLS) {
				snprintf(err, errlen, "more than %d columns",
				    MAX_COLS);
				return -1;
			}
			if (tab_put(t, c->clen ? c->cell : "", c->clen,
			    &offs[n]) == -1) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			lens[n++] = (uint32_t)c->clen;
		} while (term == ',');
		if (term == '\n')
			c->line++;
		if (!any)
			return 0;		/* the end of the file */
		if (n > 1 || lens[0] > 0)
			break;
		if (term == EOF)		/* a blank last line */
			return 0;
	}
	return row_add(t, offs, lens, n, err, errlen) == -1 ? -1 : n;
}

static size_t
index_find(const struct lktable *t, const char *key, size_t len, int *found)
{
	uint64_t	 h = hash_sip(t->seed, key, len);
	size_t		 i = h & (t->nindex - 1), r;

	for (;; i = (i + 1) & (t->nindex - 1)) {
		if (t->index[i] == 0) {
			*found = 0;
			return i;
		}
		r = t->index[i] - 1;
		if (t->lens[r * t->cols] == len &&
		    memcmp(t->buf + t->cells[r * t->cols], key, len) == 0) {
			*found = 1;
			return i;
		}
	}
}

/* The index over the keys; a later row with a key seen before wins. */
static int
index_build(struct lktable *t)
{
	size_t	 r, at;
	int	 found;

	for (t->nindex = 64; t->nindex < t->rows * 2; t->nindex *= 2)
		;
	if ((t->index = calloc(t->nindex, sizeof(*t->index))) == NULL)
		return -1;
	hash_seed(t->seed);
	for (r = 1; r < t->rows; r++) {
		at = index_find(t, t->buf + t->cells[r * t->cols],
		    t->lens[r * t->cols], &found);
		t->index[at] = (uint32_t)(r + 1);
	}
	return 0;
}

struct lktable *
lktable_read(const char *path, uint64_t max_rows, char *err, size_t errlen,
    int *line)
{
	struct lktable	*t;
	struct csv	 c;
	int		 ch, rc;

	*line = 0;
	memset(&c, 0, sizeof(c));
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((c.fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot read: %s", strerror(errno));
		goto fail;
	}
	c.line = 1;
	if ((ch = getc(c.fp)) == 0xef) {
		if (getc(c.fp) != 0xbb || getc(c.fp) != 0xbf) {
			snprintf(err, errlen, "not UTF-8 text");
			*line = 1;
			goto fail;
		}
	} else if (ch != EOF)
		ungetc(ch, c.fp);
	while ((rc = csv_record(&c, t, err, errlen)) > 0) {
		if (t->rows - 1 > max_rows) {
			snprintf(err, errlen, "more than max_rows = %llu "
			    "rows", (unsigned long long)max_rows);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(c.fp)) {
		snprintf(err, errlen, "read error: %s", strerror(errno));
		rc = -1;
	}
	if (rc == 0 && t->rows == 0) {
		snprintf(err, errlen, "no header line (column names)");
		rc = -1;
	} else if (rc == 0 && t->cols < 2) {
		snprintf(err, errlen, "one column: the key and at least one "
		    "value are needed");
		*line = 1;
		goto fail;
	}
	if (rc == -1) {
		*line = c.recline;
		goto fail;
	}
	if (index_build(t) == -1) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	fclose(c.fp);
	free(c.cell);
	return t;
fail:
	if (c.fp != NULL)
		fclose(c.fp);
	free(c.cell);
	lktable_free(t);
	return NULL;
}

void
lktable_free(struct lktable *t)
{
	if (t == NULL)
		return;
	free(t->buf);
	free(t->cells);
	free(t->lens);
	free(t->index);
	free(t);
}

size_t
lktable_rows(const struct lktable *t)
{
	return t->rows - 1;
}

size_t
lktable_cols(const struct lktable *t)
{
	return t->cols;
}

const char *
lktable_col(const struct lktable *t, size_t c)
{
	return c < t->cols ? t->buf + t->cells[c] : NULL;
}

/* The row of key (1.., the header is 0), or 0 if none. */
static size_t
row_of(const struct lktable *t, const char *key, size_t keylen)
{
	size_t	 at;
	int	 found;

	at = index_find(t, key, keylen, &found);
	return found ? t->index[at] - 1 : 0;
}

/* Cell c of row r and its length. */
static const char *
cell(const struct lktable *t, size_t r, size_t c, size_t *len)
{
	*len = t->lens[r * t->cols + c];
	return t->buf + t->cells[r * t->cols + c];
}

const char *
lktable_get(const struct lktable *t, const char *key, size_t keylen,
    size_t c, size_t *len)
{
	size_t	 r;

	if (c >= t->cols || (r = row_of(t, key, keylen)) == 0)
		return NULL;
	return cell(t, r, c, len);
}

/* The config. */

static int
set_key(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	return evkey_parse(&((struct lookup *)obj)->key, kv->val);
}

#define LO(f)	offsetof(struct lookup, f)

/* Every key of [lookup NAME]: one row each. */
static const struct conf_map lookup_map[] = {
	{ "file", CM_PATH, LO(path), NULL, 1, 0, NULL,
	    "a CSV file, first line the column names", 0, NULL },
	{ "key", CM_CUSTOM, CM_NOVALUE, "host", 0, 0, NULL,
	    "host, source, app or field.NAME", 0, set_key },
	{ "max_rows", CM_UINT, LO(max_rows), "1000000", 1, MAX_ROWS, NULL,
	    "1..10000000", 0, NULL },
};
/* For --keys (confkeys.c). */
const struct conf_table conf_lookup_keys = {
	"lookup", lookup_map, CM_N(lookup_map)
};

/* Read l's file; 0, or -1 with the error reported to cf (or logged). */
static int
lookup_load(struct lookup *l, struct config *cf, int line)
{
	struct lktable	*t;
	struct stat	 st;
	char		 err[256];
	int		 eline;

	if (stat(l->path, &st) == -1)
		memset(&st, 0, sizeof(st));
	if ((t = lktable_read(l->path, l->max_rows, err, sizeof(err),
	    &eline)) == NULL) {
		COUNT_ADD(l->errors, 1);
		if (cf != NULL)
			config_error(cf, line, "[lookup %s] %s%s%.0d: %s",
			    l->name, l->path, eline > 0 ? ":" : "", eline, err);
		else if (!l->failing)
			diag_err("lookup %s: %s%s%.0d: %s (the table read "
			    "before is kept)", l->name, l->path,
			    eline > 0 ? ":" : "", eline, err);
		l->failing = 1;
		l->st = st;	/* said once per change of the file */
		return -1;
	}
	if (l->t != NULL) {
		COUNT_ADD(l->reloads, 1);
		diag_info("lookup %s: %s read again: %zu rows", l->name,
		    l->path, lktable_rows(t));
	}
	lktable_free(l->t);
	l->t = t;
	l->st = st;
	l->failing = 0;
	atomic_store(&l->rows, lktable_rows(t));
	return 0;
}

struct lookups *
lookups_new(struct config *cf)
{
	struct lookups	*ls;
	struct lookup	*l;
	size_t		 i, n = 0;
	int		 bad = 0, rc;

	if ((ls = calloc(1, sizeof(*ls))) == NULL)
		return NULL;
	for (i = 0; i < cf->nsects; i++)
		n += strcmp(cf->sects[i].kind, "lookup") == 0;
	if ((ls->v = calloc(n + 1, sizeof(*ls->v))) == NULL)
		goto fail;
	for (i = 0; i < cf->nsects; i++) {
		if (strcmp(cf->sects[i].kind, "lookup") != 0)
			continue;
		l = &ls->v[ls->n++];
		if ((l->name = strdup(cf->sects[i].name)) == NULL ||
		    conf_map_defaults(cf, lookup_map, CM_N(lookup_map), l) ==
		    -2 || (rc = conf_map_apply(cf, &cf->sects[i], lookup_map,
		    CM_N(lookup_map), l, NULL, 0, NULL)) == -2)
			goto fail;
		if (rc == -1) {
			bad = 1;
			continue;
		}
		if (l->path == NULL) {
			config_error(cf, cf->sects[i].line, "[lookup %s] needs "
			    "'file'", l->name);
			bad = 1;
			continue;
		}
		if (lookup_load(l, cf, conf_sect_line(&cf->sects[i],
		    "file")) == -1)
			bad = 1;
	}
	if (bad)
		goto fail;
	return ls;
fail:
	lookups_free(ls);
	return NULL;
}

void
lookups_free(struct lookups *ls)
{
	size_t	 i;

	if (ls == NULL)
		return;
	for (i = 0; i < ls->n; i++) {
		lktable_free(ls->v[i].t);
		free(ls->v[i].name);
		free(ls->v[i].path);
		evkey_clear(&ls->v[i].key);
	}
	free(ls->v);
	free(ls);
}

/* Running. */

/* Row row's columns as fields of r; those r has keep their value. */
static void
add_row(const struct lookup *l, struct lsbatch *b, struct logrec *r,
    size_t row)
{
	const struct lktable	*t = l->t;
	struct lsfield		*f;
	struct lsslice		 ks, vs;
	const char		*v, *name;
	size_t			 c, vlen;

	for (c = 1; c < t->cols; c++) {
		name = lktable_col(t, c);
		v = cell(t, row, c, &vlen);
		if (vlen == 0 || *name == '\0' ||
		    classifier_field(b, r, name, strlen(name)) != NULL)
			continue;
		if (lsbatch_append(b, name, strlen(name), &ks) == -1 ||
		    lsbatch_append(b, v, vlen, &vs) == -1 ||
		    (f = lsbatch_add_rec_field(b, r)) == NULL)
			return;		/* ENOMEM: r keeps what it has */
		f->key = ks;
		f->val = vs;
		f->type = LSFT_STRING;
	}
}

void
lookups_process(struct lookups *ls, struct lsbatch *b)
{
	struct lookup	*l;
	struct logrec	*r;
	struct lsslice	 k;
	uint64_t	 hits, misses;
	size_t		 i, row;
	uint32_t	 j;

	for (i = 0; i < ls->n; i++) {
		l = &ls->v[i];
		hits = misses = 0;
		for (j = 0; j < b->n; j++) {
			r = &b->recs[j];
			if (r->flags & LR_DROP)
				continue;
			k = evkey_of(&l->key, b, r, EVKEY_SCALAR);
			if (k.len == 0 || (row = row_of(l->t, LS_PTR(b, k),
			    k.len)) == 0) {
				misses++;
				continue;
			}
			hits++;
			add_row(l, b, r, row);
		}
		COUNT_ADD(l->hits, hits);
		COUNT_ADD(l->misses, misses);
	}
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

void
lookups_tick(struct lookups *ls, uint64_t now_ns)
{
	struct lookup	*l;
	struct stat	 st;
	size_t		 i;

	for (i = 0; i < ls->n; i++) {
		l = &ls->v[i];
		if (now_ns - l->checked_ns < CHECK_NS)
			continue;
		l->checked_ns = now_ns;
		if (stat(l->path, &st) == -1)
			memset(&st, 0, sizeof(st));
		if (same_file(&st, &l->st))
			continue;
		/* Read it once it stayed the same for a check: a file
		 * being written is not read half-way. */
		if (!same_file(&st, &l->seen)) {
			l->seen = st;
			continue;
		}
		(void)lookup_load(l, NULL, 0);
	}
}

int
lookups_stat(const struct lookups *ls, size_t i, struct lookup_stat *st)
{
	const struct lookup	*l;

	if (ls == NULL || i >= ls->n)
		return -1;
	l = &ls->v[i];
	st->name = l->name;
	st->hits = atomic_load(&l->hits);
	st->misses = atomic_load(&l->misses);
	st->reloads = atomic_load(&l->reloads);
	st->errors = atomic_load(&l->errors);
	st->rows = atomic_load(&l->rows);
	return 0;
}
