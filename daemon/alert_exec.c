/*
 * alert_exec.c: alert outputs beside the alerts file.  exec runs a program
 * without a shell (posix_spawn) with the alert as JSON on stdin (a memfd, so
 * no pipe can fill and block us) and as ALERT_* variables, at most exec_max
 * at once, killed with its process group at its timeout, reaped by polling
 * from the pipeline's tick; journal sends one structured journald entry.
 */
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "alerter_int.h"
#include "diag.h"

#define EXEC_MAX_CAP	256
#define ENV_MSG_MAX	4096		/* ALERT_MESSAGE bytes, escaped */
#define JOURNAL_MSG_MAX	8192

struct child {
	pid_t		 pid;
	uint64_t	 deadline_ns;	/* monotonic */
	int		 killed;
};

struct alert_exec {
	struct child	 c[EXEC_MAX_CAP];
	size_t		 n;
	size_t		 max;
	struct diag_rate rate;
};

struct alert_exec *
alert_exec_new(size_t max)
{
	struct alert_exec	*x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	alert_exec_max(x, max);
	return x;
}

void
alert_exec_max(struct alert_exec *x, size_t max)
{
	x->max = max == 0 ? 1 : max > EXEC_MAX_CAP ? EXEC_MAX_CAP : max;
}

void
alert_exec_free(struct alert_exec *x)
{
	free(x);
}

size_t
alert_exec_running(const struct alert_exec *x)
{
	return x->n;
}

void
alert_exec_reap(struct alert_exec *x)
{
	struct child	*c;
	uint64_t	 now = diag_mono_ns();
	size_t		 i = 0;
	pid_t		 r;
	int		 st;

	while (i < x->n) {
		c = &x->c[i];
		r = waitpid(c->pid, &st, WNOHANG);
		if (r == 0) {
			if (!c->killed && now >= c->deadline_ns) {
				/* The group: what the program started, too. */
				kill(-c->pid, SIGKILL);
				kill(c->pid, SIGKILL);
				c->killed = 1;
				COUNT_ADD(counters.alert_exec_timeouts, 1);
				diag_rate(&x->rate, "alert exec: pid %d killed "
				    "at its timeout", (int)c->pid);
			}
			i++;
			continue;
		}
		if (r == c->pid && !c->killed && (!WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)) {
			COUNT_ADD(counters.alert_exec_failed, 1);
			diag_rate(&x->rate, "alert exec: pid %d %s %d",
			    (int)c->pid, WIFEXITED(st) ? "exited" :
			    "killed by signal", WIFEXITED(st) ?
			    WEXITSTATUS(st) : WTERMSIG(st));
		}
		x->c[i] = x->c[--x->n];
	}
}

static void
iso_time(int64_t us, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 t = (time_t)(us / 1000000);

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Text of an event, escaped as in the alert line (no NUL, no control
 * bytes), cut at max bytes; into b, NUL-terminated. */
static const char *
escaped(struct abuf *b, const char *s, size_t len, size_t max)
{
	b->len = 0;
	alerter_escape(b, s, len, 0);
	if (b->len > max)
		b->len = max;
	alerter_buf_put(b, "", 1);
	return b->oom ? "" : b->p;
}

/* The ALERT_* environment into buf/env (env has room for 16). */
static void
make_env(const struct alerter_firing *f, char *buf, size_t len,
    char **env, struct abuf *tmp)
{
	char		 first[64], now[64];
	size_t		 off = 0, n = 0;
	int		 w;

	iso_time(f->first_us, first, sizeof(first));
	iso_time(f->now_us, now, sizeof(now));
#define ENV(...) do {							\
	w = snprintf(buf + off, len - off, __VA_ARGS__);		\
	if (w >= 0 && (size_t)w < len - off) {				\
		env[n++] = buf + off;					\
		off += (size_t)w + 1;					\
	}								\
} while (0)
	ENV("PATH=/usr/local/bin:/usr/bin:/bin");
	ENV("ALERT_NAME=%s", f->alert);
	ENV("ALERT_TYPE=%s", f->type != NULL ? f->type : "threshold");
	ENV("ALERT_CLASS=%s", f->cls);
	ENV("ALERT_COUNT=%llu", (unsigned long long)f->count);
	ENV("ALERT_WINDOW=%s", f->window);
	ENV("ALERT_FIRST=%s", first);
	ENV("ALERT_TIME=%s", now);
	if (f->host != NULL)
		ENV("ALERT_HOST=%s", escaped(tmp, f->host, f->hostlen, 512));
	if (f->gkey != NULL && f->gval != NULL)
		ENV("ALERT_GROUP=%s=%s", f->gkey, escaped(tmp, f->gval,
		    f->gvallen, 512));
	ENV("ALERT_MESSAGE=%s", escaped(tmp, f->msg, f->msglen,
	    ENV_MSG_MAX));
#undef ENV
	env[n] = NULL;
}

/* A memfd holding json, at offset 0; -1 on failure. */
static int
stdin_fd(const char *json, size_t len)
{
	size_t	 off = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = memfd_create("logstreamd-alert", MFD_CLOEXEC)) == -1)
		return -1;
	while (off < len) {
		if ((n = write(fd, json + off, len - off)) == -1 &&
		    errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
spawn(pid_t *pid, const char *path, int in, char **env)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 none, dfl;
	char				*argv[2];
	int				 rc;

	argv[0] = (char *)path;
	argv[1] = NULL;
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGCHLD);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGUSR1);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	rc = posix_spawn(pid, path, &fa, &at, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

int
alert_exec_run(struct alert_exec *x, const char *path, int64_t timeout_us,
    const char *json, size_t len, const struct alerter_firing *f)
{
	char		 buf[ENV_MSG_MAX + 2048], *env[16];
	struct abuf	 tmp = { NULL, 0, 0, 0 };
	pid_t		 pid;
	int		 in, rc;

	alert_exec_reap(x);
	if (x->n >= x->max) {
		COUNT_ADD(counters.alert_exec_skipped, 1);
		diag_rate(&x->rate, "alert %s: %zu programs still running, "
		    "%s not started", f->alert, x->n, path);
		return -1;
	}
	make_env(f, buf, sizeof(buf), env, &tmp);
	free(tmp.p);
	if ((in = stdin_fd(json, len)) == -1) {
		rc = errno;
		goto fail;
	}
	rc = spawn(&pid, path, in, env);
	close(in);
	if (rc != 0)
		goto fail;
	COUNT_ADD(counters.alert_exec_started, 1);
	x->c[x->n].pid = pid;
	x->c[x->n].deadline_ns = diag_mono_ns() + (uint64_t)timeout_us * 1000;
	x->c[x->n].killed = 0;
	x->n++;
	return 0;
fail:
	COUNT_ADD(counters.alert_exec_failed, 1);
	diag_rate(&x->rate, "alert %s: cannot run %s: %s", f->alert, path,
	    strerror(rc));
	return -1;
}

int
alert_journal(const struct alerter_firing *f, const char *text,
    size_t textlen)
{
	static struct diag_rate	 rate;
	struct iovec		 iov[10];
	struct abuf		 tmp = { NULL, 0, 0, 0 };
	char			 b[9][600], *msg;
	size_t			 n = 0, i, ml;
	int			 rc;

	ml = textlen > 0 && text[textlen - 1] == '\n' ? textlen - 1 : textlen;
	if (ml > JOURNAL_MSG_MAX)
		ml = JOURNAL_MSG_MAX;
	if ((msg = malloc(ml + 8)) == NULL)
		return -1;
	memcpy(msg, "MESSAGE=", 8);
	memcpy(msg + 8, text, ml);
	iov[n].iov_base = msg;
	iov[n++].iov_len = ml + 8;
	snprintf(b[0], sizeof(b[0]), "PRIORITY=4");
	snprintf(b[1], sizeof(b[1]), "SYSLOG_IDENTIFIER=logstreamd");
	snprintf(b[2], sizeof(b[2]), "ALERT=%s", f->alert);
	snprintf(b[3], sizeof(b[3]), "ALERT_TYPE=%s", f->type != NULL ?
	    f->type : "threshold");
	snprintf(b[4], sizeof(b[4]), "CLASS=%s", f->cls);
	snprintf(b[5], sizeof(b[5]), "COUNT=%llu",
	    (unsigned long long)f->count);
	snprintf(b[6], sizeof(b[6]), "WINDOW=%s", f->window);
	i = 7;
	if (f->host != NULL)
		snprintf(b[i++], sizeof(b[0]), "HOST=%s",
		    escaped(&tmp, f->host, f->hostlen, 512));
	if (f->gkey != NULL && f->gval != NULL)
		snprintf(b[i++], sizeof(b[0]), "GROUP=%s=%s", f->gkey,
		    escaped(&tmp, f->gval, f->gvallen, 400));
	free(tmp.p);
	for (; n <= i; n++) {
		iov[n].iov_base = b[n - 1];
		iov[n].iov_len = strlen(b[n - 1]);
	}
	rc = sd_journal_sendv(iov, (int)n);
	free(msg);
	if (rc < 0) {
		COUNT_ADD(counters.alert_journal_errors, 1);
		diag_rate(&rate, "alert %s: journal: %s", f->alert,
		    strerror(-rc));
		return -1;
	}
	return 0;
}
