/*
 * clockshift.c: an LD_PRELOAD shim that steps a process's wall clock, for
 * tests/integration/t_faults_time.sh.  CI cannot set the machine's clock,
 * so this mocks the clock and nothing else: the daemon runs as built.
 *
 * CLOCKSHIFT_FILE names a file holding a signed offset in seconds; it is
 * read again at most every 20 ms, so a test steps the clock mid-run by
 * writing a new figure.  CLOCK_REALTIME (and _COARSE), gettimeofday() and
 * time() return the real wall time plus the offset; CLOCK_MONOTONIC and
 * the rest pass through untouched, as on a real step.
 *
 * pthread_cond_timedwait() takes an absolute CLOCK_REALTIME deadline (the
 * default condition clock) that the kernel would hold against its own wall
 * clock, which this shim cannot step.  So it is replaced by waits of at
 * most 20 ms on the monotonic clock, ending in ETIMEDOUT only once the
 * shifted wall clock has passed the deadline; a slice that ends early
 * returns 0, a spurious wakeup that POSIX allows and every caller loops on.
 * A step during a wait thus moves its end, as a real step moves a real
 * CLOCK_REALTIME wait.  Waits on the monotonic clock (pthread_cond_clockwait
 * with CLOCK_MONOTONIC, epoll, libevent timers) are not touched.
 */
#define _GNU_SOURCE
#include <sys/time.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define REREAD_NS	20000000LL
#define SLICE_NS	20000000LL

typedef int	(*cgt_fn)(clockid_t, struct timespec *);

static _Atomic int64_t	 offset_ns;
static _Atomic int64_t	 read_at = -1;	/* monotonic ns of the last read */

static int
real_clock(clockid_t id, struct timespec *ts)
{
	static cgt_fn	 fn;

	if (fn == NULL)
		fn = (cgt_fn)dlsym(RTLD_NEXT, "clock_gettime");
	return fn(id, ts);
}

static int64_t
mono_ns(void)
{
	struct timespec	 ts;

	real_clock(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The offset now, from CLOCKSHIFT_FILE (0 without one). */
static int64_t
offset(void)
{
	const char	*path;
	char		 buf[32];
	int64_t		 now = mono_ns(), last = atomic_load(&read_at);
	ssize_t		 n;
	int		 fd, saved = errno;

	if (last >= 0 && now - last < REREAD_NS)
		return atomic_load(&offset_ns);
	atomic_store(&read_at, now);
	if ((path = getenv("CLOCKSHIFT_FILE")) != NULL &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			atomic_store(&offset_ns, strtoll(buf, NULL, 10) *
			    1000000000LL);
		}
	}
	errno = saved;
	return atomic_load(&offset_ns);
}

static void
shift(struct timespec *ts, int64_t ns)
{
	int64_t	 t = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec + ns;

	ts->tv_sec = (time_t)(t / 1000000000);
	ts->tv_nsec = (long)(t % 1000000000);
	if (ts->tv_nsec < 0) {
		ts->tv_sec--;
		ts->tv_nsec += 1000000000;
	}
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int	 rc = real_clock(id, ts);

	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		shift(ts, offset());
	return rc;
}

int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec	 ts;

	(void)tz;
	clock_gettime(CLOCK_REALTIME, &ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t
time(time_t *t)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (t != NULL)
		*t = ts.tv_sec;
	return ts.tv_sec;
}

int
pthread_cond_timedwait(pthread_cond_t *restrict c,
    pthread_mutex_t *restrict m, const struct timespec *restrict abstime)
{
	struct timespec	 now, until;
	int64_t		 left;
	int		 rc;

	clock_gettime(CLOCK_REALTIME, &now);
	left = ((int64_t)abstime->tv_sec - now.tv_sec) * 1000000000 +
	    (abstime->tv_nsec - now.tv_nsec);
	if (left <= 0)
		return ETIMEDOUT;
	real_clock(CLOCK_MONOTONIC, &until);
	shift(&until, left < SLICE_NS ? left : SLICE_NS);
	rc = pthread_cond_clockwait(c, m, CLOCK_MONOTONIC, &until);
	if (rc != ETIMEDOUT)
		return rc;
	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec > abstime->tv_sec || (now.tv_sec == abstime->tv_sec &&
	    now.tv_nsec >= abstime->tv_nsec))
		return ETIMEDOUT;
	return 0;
}
