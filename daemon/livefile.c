/*
 * livefile.c: the one file engine.  A live file is opened with O_NOFOLLOW
 * (a symlink planted at its name is refused), appended to with one write()
 * per batch and cut back to where the write began if it tears, closed when
 * it is found unlinked, rotated through rotate.c (after a sync, so the
 * rotated file is complete) and fdatasync'ed.  The store, each templated
 * store file, the alerts file and the disk buffer's segments use it.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "livefile.h"
#include "syncer.h"
#include "rotate.h"

#define ROT_RETRY_US	1000000		/* after a failed rotation */

struct livefile {
	char			*path;
	const char		*what;
	int			 flags;
	int			 fd;
	off_t			 size;		/* where the next write begins */
	int64_t			 born_us;	/* birth, monotonic */
	int64_t			 rot_retry_us;	/* no rotation before (mono) */
	int			 dirty;		/* written since the last sync */
	int			 started;	/* its rotation worker asked */
	ino_t			 ino;		/* of the file last opened */
	dev_t			 dev;
	struct rotate_policy	 pol;
	struct rotate		*rot;		/* NULL: never rotated */
	struct syncer		*sy;		/* counts failed syncs, or NULL */
	struct diag_rate	 rate;
};

static int64_t
mono_us(void)
{
	return (int64_t)(diag_mono_ns() / 1000);
}

int
livefile_openat(int dfd, const char *what, const char *dir, const char *name,
    int flags, struct diag_rate *rate)
{
	int	 fd;

	fd = openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd == -1)
		diag_rate(rate, "%s %s/%s: %s%s", what, dir, name,
		    strerror(errno), errno == ELOOP ?
		    " (a symlink: refused)" : "");
	return fd;
}

int
livefile_append(int fd, const char *p, size_t len, off_t size)
{
	size_t	 off = 0;
	ssize_t	 n;
	int	 e;

	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n == 0 ? EIO : errno;
			/* No torn line: cut back what got in. */
			if (off > 0 && ftruncate(fd, size) == -1)
				diag_warn("cannot cut back a partial write: "
				    "%s", strerror(errno));
			errno = e;
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

int
livefile_mkdirs(const char *dir, size_t top)
{
	char	*d, *s;
	int	 rc = 0;

	if ((d = strdup(dir)) == NULL)
		return -1;
	for (s = d + top; rc == 0 && s != NULL && *s != '\0'; ) {
		while (*s == '/')
			s++;
		if ((s = strchr(s, '/')) != NULL)
			*s = '\0';
		if (mkdir(d, 0750) == -1 && errno != EEXIST)
			rc = -1;
		if (s != NULL)
			*s = '/';
	}
	free(d);
	return rc;
}

struct livefile *
livefile_new(const char *path, const char *what,
    const struct rotate_policy *pol, int flags)
{
	struct livefile	*lf;

	if ((lf = calloc(1, sizeof(*lf))) == NULL)
		return NULL;
	lf->fd = -1;
	lf->what = what;
	lf->flags = flags;
	if ((lf->path = strdup(path)) == NULL ||
	    (pol != NULL && (lf->rot = rotate_new(path, pol)) == NULL)) {
		livefile_free(lf);
		return NULL;
	}
	if (pol != NULL)
		lf->pol = *pol;
	return lf;
}

void
livefile_configure(struct livefile *lf, const struct rotate_policy *pol)
{
	if (lf->rot == NULL)
		return;
	lf->pol = *pol;
	rotate_configure(lf->rot, pol);
}

/* A crash may leave a last line without its LF: cut it off, say so. */
static void
repair_tail(struct livefile *lf)
{
	char	 buf[4096];
	off_t	 end = lf->size, pos;
	ssize_t	 n, i;

	if (end == 0 || pread(lf->fd, buf, 1, end - 1) != 1 || buf[0] == '\n')
		return;
	for (pos = end; pos > 0;) {
		n = pos < (off_t)sizeof(buf) ? pos : (off_t)sizeof(buf);
		pos -= n;
		if (pread(lf->fd, buf, n, pos) != n)
			return;
		for (i = n - 1; i >= 0; i--)
			if (buf[i] == '\n') {
				pos += i + 1;
				goto found;
			}
	}
found:
	if (ftruncate(lf->fd, pos) == 0) {
		diag_warn("%s: removed a torn last line (%lld bytes) left by "
		    "an earlier crash", lf->path, (long long)(end - pos));
		lf->size = pos;
	}
}

int
livefile_open(struct livefile *lf)
{
	struct stat	 st;
	int		 fd;

	/* O_RDWR: repair_tail reads the end back. */
	fd = open(lf->path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0640);
	if (fd == -1) {
		diag_rate(&lf->rate, "%s %s: %s%s", lf->what, lf->path,
		    strerror(errno), errno == ELOOP ?
		    " (a symlink: refused)" : "");
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		diag_rate(&lf->rate, "%s %s: not a regular file", lf->what,
		    lf->path);
		close(fd);
		errno = EINVAL;
		return -1;
	}
	livefile_sync(lf);
	if (lf->fd != -1)
		close(lf->fd);
	lf->fd = fd;
	lf->size = st.st_size;
	lf->dirty = 0;
	/* A torn tail is an earlier run's: looked for at the first open.
	 * The birth is the file's: kept while it is the same file. */
	if (lf->flags & LF_REPAIR)
		repair_tail(lf);
	lf->flags &= ~LF_REPAIR;
	if (lf->ino != st.st_ino || lf->dev != st.st_dev || lf->size == 0)
		lf->born_us = rotate_born_mono(fd, lf->size);
	lf->ino = st.st_ino;
	lf->dev = st.st_dev;
	/* The first open looks at the directory (leftovers to compress,
	 * retention); later ones need not: rotations queue that work. */
	if (lf->rot != NULL && !lf->started && rotate_start(lf->rot) == 0)
		lf->started = 1;
	return 0;
}

void
livefile_close(struct livefile *lf)
{
	if (lf->fd != -1)
		close(lf->fd);
	lf->fd = -1;
	lf->dirty = 0;
}

int
livefile_check(struct livefile *lf)
{
	struct stat	 st;

	if (lf->fd == -1 || fstat(lf->fd, &st) == -1 || st.st_nlink > 0)
		return 0;
	diag_warn("%s %s: the live file was removed; opening it anew",
	    lf->what, lf->path);
	livefile_close(lf);
	return 1;
}

int
livefile_write(struct livefile *lf, const char *p, size_t len)
{
	if (livefile_append(lf->fd, p, len, lf->size) == -1) {
		diag_rate(&lf->rate, "%s %s: write: %s", lf->what, lf->path,
		    strerror(errno));
		return -1;
	}
	lf->size += (off_t)len;
	lf->dirty = 1;
	return 0;
}

int
livefile_due(const struct livefile *lf, uint64_t add, int64_t now_us)
{
	return lf->rot != NULL && lf->fd != -1 &&
	    rotate_due(&lf->pol, (uint64_t)lf->size, add, lf->born_us, now_us);
}

int
livefile_rotate(struct livefile *lf)
{
	int64_t	 now = mono_us();

	if (lf->rot == NULL || now < lf->rot_retry_us) {
		errno = EAGAIN;
		return -1;
	}
	livefile_sync(lf);
	if (rotate_file(lf->rot, diag_now_us()) == -1) {
		lf->rot_retry_us = now + ROT_RETRY_US;
		return -1;
	}
	livefile_close(lf);
	return livefile_open(lf);
}

void
livefile_set_syncer(struct livefile *lf, struct syncer *sy)
{
	lf->sy = sy;
}

int
livefile_sync(struct livefile *lf)
{
	if (!lf->dirty || lf->fd == -1)
		return 0;
	if (syncer_sync_fd(lf->sy, lf->fd, 0) == -1) {
		diag_rate(&lf->rate, "%s %s: fsync: %s", lf->what, lf->path,
		    strerror(errno));
		return -1;
	}
	lf->dirty = 0;
	return 0;
}

int
livefile_sync_fd(struct livefile *lf)
{
	int	 fd;

	if (!lf->dirty || lf->fd == -1 ||
	    (fd = fcntl(lf->fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	return fd;
}

void
livefile_synced(struct livefile *lf)
{
	lf->dirty = 0;
}

int
livefile_fd(const struct livefile *lf)
{
	return lf->fd;
}

off_t
livefile_size(const struct livefile *lf)
{
	return lf->size;
}

dev_t
livefile_dev(const struct livefile *lf)
{
	return lf->dev;
}

const char *
livefile_path(const struct livefile *lf)
{
	return lf->path;
}

int
livefile_dirty(const struct livefile *lf)
{
	return lf->dirty;
}

void
livefile_free(struct livefile *lf)
{
	if (lf == NULL)
		return;
	livefile_sync(lf);
	if (lf->fd != -1)
		close(lf->fd);
	rotate_free(lf->rot);
	free(lf->path);
	free(lf);
}
