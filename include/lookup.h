/*
 * lookup.h: [lookup NAME] enrichment tables, a stage after the classifier.
 * A CSV file (first line the column names) is read into a table keyed by
 * its first column; an event whose host, app, source or field.NAME equals
 * a key gets the row's other columns as string fields (a field the event
 * already has keeps its value).  The table is read again when its file
 * changes (checked once a second) and on SIGHUP; a file that cannot be
 * read, or holds a bad row, is reported with file:line and the old table
 * stays.  Bounded by max_rows.
 */
#ifndef LOOKUP_H
#define LOOKUP_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct lsbatch;
struct lookups;
struct lktable;

/* The figures of one lookup, for /metrics. */
struct lookup_stat {
	const char	*name;		/* valid while the lookups live */
	uint64_t	 hits;
	uint64_t	 misses;
	uint64_t	 reloads;	/* tables read after the first */
	uint64_t	 errors;	/* reads refused (the old table kept) */
	uint64_t	 rows;		/* in the table now */
};

/* Read a CSV table of at most max_rows rows; NULL with a message in err
 * and the line it is about in *line (0: the file as a whole). */
struct lktable	*lktable_read(const char *path, uint64_t max_rows, char *err,
		    size_t errlen, int *line);
void		 lktable_free(struct lktable *);
/* Rows and columns (the key column included) of a table. */
size_t		 lktable_rows(const struct lktable *);
size_t		 lktable_cols(const struct lktable *);
/* Column c of the row whose key is key: its bytes and length, NULL if no
 * such row (or column). */
const char	*lktable_get(const struct lktable *, const char *key,
		    size_t keylen, size_t c, size_t *len);
/* The name of column c (from the header), NULL past the last. */
const char	*lktable_col(const struct lktable *, size_t c);

/* Build from cf's [lookup NAME] sections, reading each file; NULL with
 * the errors recorded in cf (or on ENOMEM).  Caller frees. */
struct lookups	*lookups_new(struct config *cf);
void		 lookups_free(struct lookups *);
/* Add the fields of the rows the events of b match. */
void		 lookups_process(struct lookups *, struct lsbatch *b);
/* Once a second or so: read again the files that changed. */
void		 lookups_tick(struct lookups *, uint64_t now_ns);
/* The figures of lookup i (0..n-1); 0, or -1 past the last. */
int		 lookups_stat(const struct lookups *, size_t i,
		    struct lookup_stat *);

#endif
