/*
 * store.h: the live files of a storage path.  One file for a plain path;
 * for a templated one (storepath.h) one per expanded path, found by a hash
 * of its placeholders' values (then of the path), at most max_open_files
 * of them open (the least recently written is closed to make room).
 * Each batch is grouped by file: every file's lines are gathered in its
 * out buffer, then written with one write() (writer.c does that).
 */
#ifndef STORE_H
#define STORE_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "jsonenc.h"

struct lsbatch;
struct livefile;
struct logrec;
struct rotate_policy;
struct store;
struct syncer;

/* One live file; writer.c uses the second group of members. */
struct store_file {
	/* store.c's lookup by key: one cache line */
	uint64_t		 khash;
	struct store_file	*knext;
	char			*key;		/* its placeholders' values */
	uint32_t		 klen;
	int			 in_batch;
	char			 kbuf[32];	/* key, when it fits */
	/* writer.c's */
	struct livefile		*lf;
	struct obuf		 out;		/* this batch's lines for it */
	size_t			 done;		/* bytes of out in the file */
	uint64_t		 oldest;	/* receipt of the oldest in out */
	uint32_t		 events;	/* lines in out */
	struct store_file	*bnext;		/* the batch's next file */
	/* store.c's */
	uint64_t		 hash;
	struct store_file	*hnext;
	TAILQ_ENTRY(store_file)	 lru;
	int			 open;		/* in the LRU */
	int			 cold;		/* closed, on the cold list */
	int			 dirs_ok;	/* its directories are there */
	uint64_t		 checked_ns;	/* last looked for an unlink */
	uint64_t		 failed_ns;	/* its last write failed (0: ok) */
	uint64_t		 gather_ns;	/* its first unwritten line came */
	uint64_t		 bytes;		/* written since it was made */
};

/* Totals for the metrics (counters.h has the process-wide ones). */
struct store_stats {
	uint64_t	 open;		/* files open now */
	uint64_t	 known;		/* files with a state (open or pending) */
};

/* The store of tmpl (copied), named what ("storage", "alerts": static)
 * in its diagnostics, its files counted in the storage metrics if it is
 * "storage"; opens nothing; sy (NULL: none) fsyncs the files closed to
 * make room.  Caller frees (before sy). */
struct store	*store_new(const char *tmpl, const char *what,
		    const struct rotate_policy *, size_t max_open,
		    struct syncer *sy);
/* Take a new rotation policy and open-file bound (reload). */
void		 store_configure(struct store *, const struct rotate_policy *,
		    size_t max_open);
/* The file r goes to, put on the batch's list; NULL if its path does not
 * fit or memory is short (counted by the caller).  Lives until
 * store_batch_end at least. */
struct store_file *store_file_for(struct store *, const struct lsbatch *,
		    const struct logrec *);
/* The first file of the batch's list (then ->bnext). */
struct store_file *store_batch(const struct store *);
/* Open f if it is not (closing the least recently written file past
 * max_open_files; making its directories below the storage directory),
 * and mark it the most recently written.  0 or -1 (logged). */
int		 store_use(struct store *, struct store_file *);
/* A file of the store was rotated: a template's tree retention
 * (max_total) runs on the rotation thread. */
void		 store_rotated(struct store *);
/* Whether the path is templated.  1 or 0. */
int		 store_templated(const struct store *);
/* The batch is written: empty every out buffer, end the list, free the
 * files that are closed; a template's files with lines not yet written
 * (held: their storage failed) stay on the list for the next try. */
void		 store_batch_end(struct store *);
/* Forget the batch, held lines too (reload, a plain path's give-up). */
void		 store_batch_drop(struct store *);
/* Open the one file of a plain path now (at start).  0 or -1. */
int		 store_open_plain(struct store *);
/* SIGHUP/SIGUSR1: a plain path is opened again (the old file kept if
 * that fails); a templated store's files are closed, to be opened anew at
 * their next line.  0 or -1. */
int		 store_reopen(struct store *);
/* The next open file after f (NULL: the first). */
struct store_file *store_next_open(const struct store *,
		    const struct store_file *);
/* Hand out dups of every file written since the last sync, and of files
 * closed since with lines unsynced, into fds (up to max); *n their count;
 * *whole_fs set if one stands for its filesystem (the storage directory:
 * files closed there, to be synced with syncfs()).  Marks them synced.
 * The caller owns the dups. */
void		 store_sync_fds(struct store *, int *fds, size_t max,
		    size_t *n, int *whole_fs);
/* fdatasync every file written since the last sync, now.  0 or -1. */
int		 store_sync(struct store *);
/* Whether anything written is not yet synced.  1 or 0. */
int		 store_dirty(const struct store *);
void		 store_stats(const struct store *, struct store_stats *);
/* The busiest files (most bytes since opened), up to n: their paths
 * (valid until the next store call) and bytes.  The count. */
size_t		 store_busiest(const struct store *, const char **paths,
		    uint64_t *bytes, size_t n);
/* Sync, close and free every file; NULL is a no-op. */
void		 store_free(struct store *);

#endif
