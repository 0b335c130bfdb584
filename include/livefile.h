/*
 * livefile.h: one live, append-only file (the store, each templated store
 * file, the alerts file), the way Fluent Bit's out_file/file_rotate owns
 * one: opened never through a symlink (created 0640), a batch appended
 * with one write() and cut back if it tears, noticed when unlinked,
 * rotated through rotate.c, fdatasync'ed.  Also the file primitives the
 * disk buffer shares (open relative to a directory, append with rollback,
 * make directories).
 */
#ifndef LIVEFILE_H
#define LIVEFILE_H

#include <sys/types.h>

#include <stdint.h>

struct diag_rate;
struct rotate_policy;
struct livefile;
struct syncer;

#define LF_REPAIR	0x01	/* cut a torn last line at open, say so */

/* A live file at path (copied), named what ("storage", "alerts") in its
 * diagnostics; pol NULL: never rotated.  Opens nothing.  Caller frees. */
struct livefile	*livefile_new(const char *path, const char *what,
		    const struct rotate_policy *pol, int flags);
/* Take a new rotation policy (reload). */
void		 livefile_configure(struct livefile *,
		    const struct rotate_policy *);
/* Open (or open again in place of the current descriptor, which is kept
 * if this fails) and start its rotation worker.  0, or -1 with errno and
 * a logged line (rate-limited). */
int		 livefile_open(struct livefile *);
/* Close (no sync: see livefile_sync); the file stays known.  */
void		 livefile_close(struct livefile *);
/* If the open file was unlinked (its directory removed?), say so and
 * close it: writing on would lose what is written.  1 if closed, else 0. */
int		 livefile_check(struct livefile *);
/* Append len bytes with one write(); a torn write is cut back, so a line
 * is whole or absent.  0, or -1 with errno (logged, rate-limited). */
int		 livefile_write(struct livefile *, const char *, size_t);
/* Whether the file must rotate before add more bytes go in (size or
 * age on the monotonic clock, now_us).  1 or 0. */
int		 livefile_due(const struct livefile *, uint64_t add,
		    int64_t now_us);
/* Sync, rename to the rotated name (rotate_file), open a new one.  -1
 * with the file still open: the rename failed (logged; not retried for a
 * second), write on; -1 and closed: the new file cannot be opened. */
int		 livefile_rotate(struct livefile *);
/* fdatasync if anything written is unsynced.  0 or -1 (logged). */
int		 livefile_sync(struct livefile *);
/* Failed syncs of this file (before a rotation, a reopen, a close too)
 * are counted in sy's errors (storage: the writer's, for sync_broken). */
void		 livefile_set_syncer(struct livefile *, struct syncer *);
/* A dup of the descriptor for a sync elsewhere (syncer.c; the caller
 * owns it); -1 if nothing is unsynced or the dup fails. */
int		 livefile_sync_fd(struct livefile *);
/* The dup was handed to be synced: the file counts as synced. */
void		 livefile_synced(struct livefile *);
/* Accessors: the descriptor (-1: closed), bytes, the path (lives as long
 * as the livefile), whether written since the last sync. */
int		 livefile_fd(const struct livefile *);
off_t		 livefile_size(const struct livefile *);
/* The device of the file last opened (0: none yet). */
dev_t		 livefile_dev(const struct livefile *);
const char	*livefile_path(const struct livefile *);
int		 livefile_dirty(const struct livefile *);
/* Close (after a sync) and free; NULL is a no-op. */
void		 livefile_free(struct livefile *);

/* Primitives. */
/* openat(dfd, name) never through a symlink (O_NOFOLLOW|O_CLOEXEC,
 * 0640), dfd being dir; a failure is logged (rate-limited) as
 * "what dir/name: error (a symlink: refused)". */
int		 livefile_openat(int dfd, const char *what, const char *dir,
		    const char *name, int flags, struct diag_rate *);
/* Write p whole to fd, which held size bytes; if that fails part-way,
 * cut fd back to size.  0, or -1 with the write's errno. */
int		 livefile_append(int fd, const char *p, size_t len, off_t size);
/* Make every missing directory of dir (mode 0750) below the existing
 * directory top (a prefix of dir, never made here).  0 or -1. */
int		 livefile_mkdirs(const char *dir, size_t top);

#endif
