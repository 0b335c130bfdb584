/*
 * rotate.h: rotation of a live file (storage, alerts).  Decides when the
 * live file is due, renames it to a sortable timestamped name beside it,
 * and on its own thread deletes what retention says and gzips the rest
 * (temporary name, fsync, rename), so the writer never waits on it.
 */
#ifndef ROTATE_H
#define ROTATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ROTATE_NAME_MAX	4096
#define ROTATE_IDX_MAX	999		/* rotations within one second */

struct config;

/* When to rotate and what to keep; 0 turns a limit off, except keep
 * (0: no rotated file is kept, as logrotate's "rotate 0"). */
struct rotate_policy {
	uint64_t	 size;		/* bytes */
	int64_t		 interval_ms;
	uint64_t	 keep;		/* rotated files */
	int64_t		 max_age_ms;
	uint64_t	 max_total;	/* bytes of rotated files */
	int		 compress;	/* COMPRESS_NONE, COMPRESS_GZIP */
	int		 index;		/* write storeidx sidecars (JSON store) */
};

/* Why retention deletes a rotated file. */
#define ROTATE_DEL_KEEP		1
#define ROTATE_DEL_AGE		2
#define ROTATE_DEL_TOTAL	3

/* A rotated file as retention sees it. */
struct rotate_entry {
	char		*name;		/* file name, no directory */
	time_t		 sec;		/* rotation time, from the name */
	time_t		 mtime;		/* last written; 0: unknown */
	unsigned	 idx;		/* same-second suffix, 0: none */
	int		 gz;
	uint64_t	 size;
	int		 del;		/* set by rotate_retain: why */
};

struct rotate;

/* The rotation of live file path (absolute) with pol.  Instances are
 * shared per path (refcounted), so an old and a new config never run two
 * workers on one file.  Starts no thread.  Caller frees. */
struct rotate	*rotate_new(const char *path, const struct rotate_policy *);
/* The retention of a templated store's whole tree below root: its
 * max_total bounds the rotated files (named like rotate_name's, with
 * extension ext) of every live file there together.  rotate_start runs
 * a pass; rotate_configure and rotate_free as for a file.  Caller frees. */
struct rotate	*rotate_tree_new(const char *root, const char *ext,
		    const struct rotate_policy *);
/* Take a new policy (reload). */
void		 rotate_configure(struct rotate *, const struct rotate_policy *);
/* Start the worker if not yet running and have it look at the directory:
 * stale temporary files, leftovers to compress, retention.  0 or -1. */
int		 rotate_start(struct rotate *);
/* Rename the live file (already synced by its writer) to its rotated
 * name, one that sorts after every rotated name there (rotate_next; taken
 * names are skipped), and wake the worker.  0, or -1 with errno (logged,
 * rate-limited); the live file is then untouched. */
int		 rotate_file(struct rotate *, int64_t now_us);
/* Drop a reference; the last one stops the worker (a compression in
 * progress is abandoned; its temporary file removed).  NULL: no-op. */
void		 rotate_free(struct rotate *);

/* The policies of cf's [storage] and [alerts]. */
void		 rotate_policy_storage(const struct config *,
		    struct rotate_policy *);
void		 rotate_policy_alerts(const struct config *,
		    struct rotate_policy *);

/* Warn (at -t, start and reload) when [storage] keep x rotate_size holds
 * less than a minute of the configured listeners at a nominal rate. */
void		 rotate_warn_retention(const struct config *);

/* When the live file fd (of size bytes) was made, in µs on the monotonic
 * clock, so that the interval trigger never stops when the wall clock
 * steps back: its age from its birth time where the filesystem keeps one,
 * a birth "in the future" (a clock that was ahead) counting as now; an
 * empty file is born now. */
int64_t		 rotate_born_mono(int fd, off_t size);

/* Pure helpers (unit-tested). */
/* Whether a live file of size bytes, born at born_us, must rotate before
 * add more bytes go in: only a non-empty file rotates.  born_us and now_us
 * on the monotonic clock (rotate_born_mono).  1 or 0. */
int		 rotate_due(const struct rotate_policy *, uint64_t size,
		    uint64_t add, int64_t born_us, int64_t now_us);
/* The rotated name of live file path at sec with suffix idx:
 * dir/base-YYYYMMDDTHHMMSSZ_NNNext, always the suffix, so that names sort
 * in time order in every locale.  0, or -1 if it does not fit. */
int		 rotate_name(char *, size_t, const char *path, time_t sec,
		    unsigned idx);
/* Parse file name (no directory) as a rotated name of live file path
 * (also the older form without "_NNN" for suffix 0); 0 with e's sec, idx
 * and gz set (name not copied), or -1. */
int		 rotate_parse(const char *path, const char *name,
		    struct rotate_entry *e);
/* The name after the newest one, last_sec with suffix last_idx, at wall
 * time now: now when it is later, else the next suffix of last_sec, else
 * (suffixes used up) last_sec + 1.  Never before last: a clock that steps
 * back or once ran ahead does not make a name sort before older files. */
void		 rotate_next(time_t now, time_t last_sec, unsigned last_idx,
		    time_t *sec, unsigned *idx);
/* Sort e oldest first (by name: the order they were rotated). */
void		 rotate_sort(struct rotate_entry *e, size_t n);
/* Mark (del, ROTATE_DEL_*) what pol says to delete of sorted e at now_us;
 * the count.
 * keep and max_total keep the newest names; max_age goes by the name's
 * time, or the mtime when that is earlier. */
size_t		 rotate_retain(struct rotate_entry *e, size_t n,
		    const struct rotate_policy *, int64_t now_us);

#endif
