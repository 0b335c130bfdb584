/*
 * syncer.c: one thread that fdatasyncs the descriptors it is handed (dups of
 * the live files', so a rotation, reopen or LRU close may close the original
 * meanwhile) and closes them.  One sync at a time: a request while one runs is refused
 * and the caller asks again shortly.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "syncer.h"

struct syncer {
	pthread_t		 thr;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	int			*fds;		/* to sync */
	size_t			 nfds;
	int			 whole_fs;	/* syncfs() them */
	size_t			 cap;
	int			 busy;		/* a sync is running */
	int			 stop;
	_Atomic uint64_t	 errors;	/* syncs that failed */
	char			*what;
	struct diag_rate	 rate;
};

/*
 * Test-only: while the file LOGSTREAMD_TEST_FSYNC_FAIL_FILE names exists,
 * every sync fails with EIO.  A failing disk cannot be made on a machine
 * without device-mapper (dm-error) or a FUSE filesystem at hand, and what
 * must be shown is what logstreamd does after the kernel says EIO.
 */
static const char	*fail_file;
static pthread_once_t	 fail_once = PTHREAD_ONCE_INIT;

static void
fail_init(void)
{
	fail_file = getenv("LOGSTREAMD_TEST_FSYNC_FAIL_FILE");
}

static void	 syncer_failed(struct syncer *);

int
syncer_sync_fd(struct syncer *s, int fd, int whole_fs)
{
	int	 rc;

	pthread_once(&fail_once, fail_init);
	if (fail_file != NULL && access(fail_file, F_OK) == 0) {
		errno = EIO;
		rc = -1;
	} else
		rc = whole_fs ? syncfs(fd) : fdatasync(fd);
	if (rc == 0)
		COUNT_ADD(counters.syncs, 1);
	else
		syncer_failed(s);
	return rc;
}

static void
syncer_failed(struct syncer *s)
{
	if (s != NULL)
		atomic_fetch_add(&s->errors, 1);
}

uint64_t
syncer_errors(struct syncer *s)
{
	return s != NULL ? atomic_load(&s->errors) : 0;
}

/*
 * Many files (a templated store): one syncfs() per filesystem they are on
 * instead of an fdatasync each; it makes each of them durable as well, at
 * the cost of one journal commit.
 */
#define SYNCFS_MIN	8
#define DEVS_MAX	8

static void
sync_fs(struct syncer *s, const int *fds, size_t n)
{
	struct stat	 st;
	dev_t		 devs[DEVS_MAX];
	size_t		 i, j, nd = 0;

	for (i = 0; i < n; i++) {
		if (fstat(fds[i], &st) == -1)
			continue;
		for (j = 0; j < nd && devs[j] != st.st_dev; j++)
			;
		if (j < nd)
			continue;
		if (nd < DEVS_MAX) {
			if (syncer_sync_fd(NULL, fds[i], 1) == 0) {
				devs[nd++] = st.st_dev;
				continue;
			}
			/* A failed syncfs is a failure (an fdatasync of a
			 * directory after it would succeed and hide it);
			 * only a kernel without it goes one by one. */
			if (errno != ENOSYS && errno != EINVAL &&
			    errno != EOPNOTSUPP) {
				syncer_failed(s);
				diag_rate(&s->rate, "storage %s: syncfs: %s",
				    s->what, strerror(errno));
				continue;
			}
		}
		/* Too many filesystems, or no syncfs: one by one. */
		if (syncer_sync_fd(s, fds[i], 0) == -1)
			diag_rate(&s->rate, "storage %s: fsync: %s",
			    s->what, strerror(errno));
	}
}

static void *
syncer_main(void *arg)
{
	struct syncer	*s = arg;
	size_t		 i, n;

	pthread_setname_np(pthread_self(), "ls-sync");
	pthread_mutex_lock(&s->mtx);
	for (;;) {
		while (s->nfds == 0 && !s->stop)
			pthread_cond_wait(&s->cond, &s->mtx);
		if (s->nfds == 0)
			break;
		n = s->nfds;
		pthread_mutex_unlock(&s->mtx);
		/* fds and nfds are not touched by others while busy. */
		if (n >= SYNCFS_MIN || s->whole_fs)
			sync_fs(s, s->fds, n);
		else
			for (i = 0; i < n; i++) {
				if (syncer_sync_fd(s, s->fds[i], 0) == -1)
					diag_rate(&s->rate, "storage %s: "
					    "fsync: %s", s->what,
					    strerror(errno));
			}
		for (i = 0; i < n; i++)
			close(s->fds[i]);
		pthread_mutex_lock(&s->mtx);
		s->nfds = 0;
		s->busy = 0;
		pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&s->mtx);
	return NULL;
}

struct syncer *
syncer_new(const char *what)
{
	struct syncer	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	pthread_mutex_init(&s->mtx, NULL);
	pthread_cond_init(&s->cond, NULL);
	if ((s->what = strdup(what)) == NULL ||
	    pthread_create(&s->thr, NULL, syncer_main, s) != 0) {
		free(s->what);
		free(s);
		return NULL;
	}
	return s;
}

int
syncer_request_many(struct syncer *s, const int *fds, size_t n, int whole_fs)
{
	int	*v;
	int	 rc = -1;

	pthread_mutex_lock(&s->mtx);
	if (!s->busy && n > 0) {
		if (n > s->cap) {
			if ((v = reallocarray(s->fds, n, sizeof(int))) == NULL)
				goto out;
			s->fds = v;
			s->cap = n;
		}
		memcpy(s->fds, fds, n * sizeof(int));
		s->nfds = n;
		s->whole_fs = whole_fs;
		s->busy = 1;
		pthread_cond_broadcast(&s->cond);
		rc = 0;
	}
out:
	pthread_mutex_unlock(&s->mtx);
	return rc;
}

int
syncer_request(struct syncer *s, int fd)
{
	return syncer_request_many(s, &fd, 1, 0);
}

int
syncer_busy(struct syncer *s)
{
	int	 busy;

	pthread_mutex_lock(&s->mtx);
	busy = s->busy;
	pthread_mutex_unlock(&s->mtx);
	return busy;
}

void
syncer_wait(struct syncer *s)
{
	pthread_mutex_lock(&s->mtx);
	while (s->busy)
		pthread_cond_wait(&s->cond, &s->mtx);
	pthread_mutex_unlock(&s->mtx);
}

void
syncer_free(struct syncer *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mtx);
	s->stop = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mtx);
	pthread_join(s->thr, NULL);	/* a pending sync runs first */
	pthread_mutex_destroy(&s->mtx);
	pthread_cond_destroy(&s->cond);
	free(s->fds);
	free(s->what);
	free(s);
}
