/*
 * syncer.h: fdatasync on a thread of its own, so the stage thread never
 * waits for the disk on the periodic sync (a sync of a second's worth of
 * writes takes tens of milliseconds: that was the p99 latency).
 */
#ifndef SYNCER_H
#define SYNCER_H

#include <stddef.h>
#include <stdint.h>

struct syncer;

/* A syncer thread; what names the file in diagnostics (copied).  NULL on
 * failure.  Caller frees. */
struct syncer	*syncer_new(const char *what);
/* Hand fd over to be fdatasync'ed and closed: 0 (the syncer owns fd now),
 * or -1 if a sync is still running (fd stays the caller's). */
int		 syncer_request(struct syncer *, int fd);
/* The same for n descriptors (fds copied; the syncer owns them on 0);
 * whole_fs: make their filesystems durable with syncfs() (a directory's
 * descriptor then stands for every file written there). */
int		 syncer_request_many(struct syncer *, const int *fds, size_t n,
		    int whole_fs);
/* Whether a sync still runs.  1 or 0. */
int		 syncer_busy(struct syncer *);
/* Wait until no sync is running. */
void		 syncer_wait(struct syncer *);
/* Wait, stop the thread, free; NULL is a no-op. */
void		 syncer_free(struct syncer *);
/* One fdatasync (syncfs if whole_fs) of fd: counted; a failure counted
 * in s's errors (s may be NULL).  0, or -1 with errno. */
int		 syncer_sync_fd(struct syncer *s, int fd, int whole_fs);
uint64_t	 syncer_errors(struct syncer *);

#endif
