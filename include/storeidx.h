/*
 * storeidx.h: the index of a rotated store file, a small JSON sidecar
 * ".NAME.idx" beside NAME (NAME without ".gz"; hidden, so globs of the
 * store do not take it) written by the rotation worker: received time
 * range, lines, bytes, lines it could not read, counts per host and per
 * class.  `logstreamd query` reads it to skip files that cannot match.
 */
#ifndef STOREIDX_H
#define STOREIDX_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define STOREIDX_MAX_KEYS	1024	/* hosts or classes listed per file */

struct storeidx {
	int64_t		 first_us;	/* received; INT64_MAX if no line */
	int64_t		 last_us;	/* INT64_MIN if no line */
	uint64_t	 lines;		/* events read */
	uint64_t	 bad;		/* lines that were not events */
	json_t		*hosts;		/* name -> count; NULL: too many */
	json_t		*classes;	/* name -> count; NULL: too many */
};

/* The index name of rotated file path (a directory part is kept) into
 * buf: dir/.BASE.idx.  0, or -1 if it does not fit. */
int		 storeidx_name(char *buf, size_t len, const char *path);
/* The received time of a stored JSON line (its first key, as the writer
 * puts it).  0, or -1 if the line does not start so. */
int		 storeidx_received(const char *line, size_t len, int64_t *us);
/*
 * A line as the writer puts it: {"received":"...",...}, its keys up to
 * "message" (received time source transport format facility severity
 * host app pid msgid class message) plain strings in that order, objects
 * and other values only after them.  The n keys asked for (of those)
 * found in place, without decoding: sp[i].v (NULL: the line has none),
 * sp[i].len; the scan stops at the first value that is not a string.  0,
 * or -1 if the line is not of that form or a value holds an escape
 * (decode it).
 */
struct storeidx_span {
	const char	*v;
	size_t		 len;
};
int		 storeidx_scan(const char *line, size_t len,
		    const char *const *keys, size_t n,
		    struct storeidx_span *sp);
/* The received time of a decoded stored event.  0, or -1 if it has
 * none. */
int		 storeidx_event_time(const json_t *o, int64_t *us);
/* Read rotated file name in directory dfd (plain or gzip) and write its
 * index (a temporary name, then rename).  0, or -1 (errno). */
int		 storeidx_build(int dfd, const char *name);
/* Remove the index of rotated file name in dfd (AT_FDCWD: name is a
 * path), if there is one. */
void		 storeidx_unlink(int dfd, const char *name);
/* The index of rotated file path into *ix (freed by storeidx_clear).
 * 0, or -1 if there is none or it is not readable. */
int		 storeidx_read(const char *path, struct storeidx *ix);
void		 storeidx_clear(struct storeidx *ix);
/* Whether the file may hold an event received in [since_us, until_us]
 * with that host and class (NULL: any).  1 or 0. */
int		 storeidx_may_match(const struct storeidx *ix, int64_t since_us,
		    int64_t until_us, const char *host, const char *cls);

#endif
