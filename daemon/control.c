/*
 * control.c: `logstreamd reload` and the daemon's side of it.  The daemon
 * holds a pid file locked (flock) in its runtime directory, named after its
 * config's absolute path, and replaces a state file beside it after every
 * reload; the command signals that pid and reads the state until the
 * reload it asked for is done.  Also: is the config on disk still the one
 * running (FNV-1a of the bytes, as config_load read them).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "diag.h"

#define STATE_MAX	65536		/* bytes of a state file read */
#define POLL_MS		20
#define MAX_ERRORS	20		/* error lines in a state file */

struct control {
	char		*config;	/* absolute */
	char		 pidpath[PATH_MAX];
	char		 statepath[PATH_MAX];
	int		 fd;		/* pid file, locked; -1: none */
	uint64_t	 gen;		/* reloads done */
	uint64_t	 hash;		/* of the running config's bytes */
	struct stat	 seen;		/* the file as last hashed */
	int		 seen_ok;
	int		 changed;
};

/* What a state file says. */
struct state {
	long		 pid;
	uint64_t	 gen;
	uint64_t	 started;	/* monotonic µs the reload began */
	char		 result[16];
	char		 reason[512];
	char		 errors[4096];	/* one a line */
};

static uint64_t
mono_us(void)
{
	return diag_mono_ns() / 1000;
}

/*
 * The runtime directory, in order: $RUNTIME_DIRECTORY (systemd's
 * RuntimeDirectory=), /run/logstreamd for root, $XDG_RUNTIME_DIR/logstreamd,
 * /tmp/logstreamd-UID.  The daemon takes the first; the command also looks
 * in /run/logstreamd, where the service's files are when root asks.
 */
static int
rt_dir(int i, char *buf, size_t len)
{
	const char	*e;

	switch (i) {
	case 0:
		if ((e = getenv("RUNTIME_DIRECTORY")) == NULL || *e == '\0')
			return -1;
		snprintf(buf, len, "%.*s", (int)strcspn(e, ":"), e);
		return 0;
	case 1:
		if (geteuid() == 0)
			snprintf(buf, len, "/run/logstreamd");
		else if ((e = getenv("XDG_RUNTIME_DIR")) != NULL && *e == '/')
			snprintf(buf, len, "%s/logstreamd", e);
		else
			snprintf(buf, len, "/tmp/logstreamd-%u",
			    (unsigned)geteuid());
		return 0;
	case 2:
		snprintf(buf, len, "/run/logstreamd");
		return 0;
	}
	return -1;
}

/* "<dir>/<config's name>-<hash of its absolute path><ext>" */
static void
file_name(char *buf, size_t len, const char *dir, const char *config,
    const char *ext)
{
	const char	*base = strrchr(config, '/');

	snprintf(buf, len, "%s/%.64s-%016" PRIx64 "%s", dir,
	    base ? base + 1 : config,
	    config_hash(CONFIG_HASH_INIT, config, strlen(config)), ext);
}

/* The directory of the daemon's files: made if missing (its parent must
 * exist), and it must be ours. */
static int
dir_ready(const char *dir)
{
	struct stat	 st;

	if (mkdir(dir, 0750) == -1 && errno != EEXIST)
		return -1;
	if (lstat(dir, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

static void
put_line(FILE *fp, const char *key, const char *s)
{
	fprintf(fp, "%s=", key);
	for (; *s != '\0'; s++)
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, fp);
	fputc('\n', fp);
}

/* Replace the state file (write aside, rename). */
static void
state_write(struct control *c, uint64_t started, const char *result,
    const char *why, const char *errors)
{
	char		 tmp[PATH_MAX + 8], line[1024];
	const char	*p;
	size_t		 len;
	FILE		*fp;
	int		 fd, i;

	if (c->fd == -1)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", c->statepath);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0640)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		diag_warn("control: %s: %s", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		return;
	}
	fprintf(fp, "pid=%ld\ngeneration=%" PRIu64 "\nstarted=%" PRIu64
	    "\nresult=%s\n", (long)getpid(), c->gen, started, result);
	put_line(fp, "config", c->config);
	put_line(fp, "reason", why ? why : "");
	for (p = errors, i = 0; p != NULL && *p != '\0' && i < MAX_ERRORS;
	    p += len + (p[len] == '\n'), i++) {
		len = strcspn(p, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		put_line(fp, "error", line);
	}
	if (fclose(fp) != 0 || rename(tmp, c->statepath) == -1) {
		diag_warn("control: %s: %s", c->statepath, strerror(errno));
		unlink(tmp);
	}
}

struct control *
control_new(const char *config, uint64_t hash)
{
	struct control	*c;
	char		 dir[PATH_MAX], buf[32];
	ssize_t		 n;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->fd = -1;
	c->hash = hash;
	if ((c->config = realpath(config, NULL)) == NULL &&
	    (c->config = strdup(config)) == NULL) {
		free(c);
		return NULL;
	}
	if (rt_dir(0, dir, sizeof(dir)) == -1)
		rt_dir(1, dir, sizeof(dir));
	file_name(c->pidpath, sizeof(c->pidpath), dir, c->config, ".pid");
	file_name(c->statepath, sizeof(c->statepath), dir, c->config,
	    ".state");
	if (dir_ready(dir) == -1 || (c->fd = open(c->pidpath, O_RDWR |
	    O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640)) == -1) {
		diag_warn("control: %s: %s; `logstreamd reload` cannot reach "
		    "this instance (kill -HUP %ld still reloads)", dir,
		    strerror(errno), (long)getpid());
		return c;
	}
	if (flock(c->fd, LOCK_EX | LOCK_NB) == -1) {
		n = pread(c->fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		diag_warn("control: another logstreamd (pid %s) runs %s; "
		    "`logstreamd reload` reaches that one, not this one",
		    buf, c->config);
		close(c->fd);
		c->fd = -1;
		return c;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(c->fd, 0) == -1 || pwrite(c->fd, buf, n, 0) != n)
		diag_warn("control: %s: %s", c->pidpath, strerror(errno));
	state_write(c, 0, "started", NULL, NULL);
	diag_info("config %s (pid file %s)", c->config, c->pidpath);
	return c;
}

void
control_free(struct control *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1) {
		unlink(c->statepath);
		unlink(c->pidpath);
		close(c->fd);
	}
	free(c->config);
	free(c);
}

const char *
control_config(const struct control *c)
{
	return c->config;
}

void
control_reloaded(struct control *c, uint64_t started, const char *why,
    const char *errors, uint64_t hash)
{
	c->gen++;
	if (why == NULL) {
		c->hash = hash;
		c->seen_ok = 0;		/* hash the file again */
	}
	state_write(c, started, why ? "failed" : "ok", why, errors);
}

/* 0 with the hash of the file's bytes, or -1. */
static int
hash_file(const char *path, uint64_t *h)
{
	char	 buf[8192];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	*h = CONFIG_HASH_INIT;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		*h = config_hash(*h, buf, n);
	close(fd);
	return n == 0 ? 0 : -1;
}

/*
 * stat decides when to look, the bytes decide: a touch or a rewrite with
 * the same text is no change; an edit is one even if it kept the size and
 * mtime.  A file changed within the last second is hashed again next time
 * (a second write in the same clock tick would show no new stat).
 */
int
control_file_changed(struct control *c)
{
	struct stat	 st;
	uint64_t	 h;

	if (stat(c->config, &st) == -1) {
		c->seen_ok = 0;
		return c->changed = 1;
	}
	if (c->seen_ok && st.st_ino == c->seen.st_ino &&
	    st.st_dev == c->seen.st_dev && st.st_size == c->seen.st_size &&
	    st.st_mtim.tv_sec == c->seen.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == c->seen.st_mtim.tv_nsec &&
	    st.st_ctim.tv_sec == c->seen.st_ctim.tv_sec &&
	    st.st_ctim.tv_nsec == c->seen.st_ctim.tv_nsec)
		return c->changed;
	c->seen = st;
	c->seen_ok = st.st_mtim.tv_sec < time(NULL) - 1;
	if (hash_file(c->config, &h) == -1)
		return c->changed = 1;
	return c->changed = h != c->hash;
}

/* The command's side. */

static int
state_read(const char *path, struct state *s)
{
	char	*buf, *line, *next, *eq;
	ssize_t	 n;
	size_t	 off = 0, el;
	int	 fd;

	memset(s, 0, sizeof(*s));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((buf = malloc(STATE_MAX + 1)) == NULL) {
		close(fd);
		return -1;
	}
	while (off < STATE_MAX &&
	    (n = read(fd, buf + off, STATE_MAX - off)) > 0)
		off += n;
	close(fd);
	buf[off] = '\0';
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq++ = '\0';
		if (strcmp(line, "pid") == 0)
			s->pid = strtol(eq, NULL, 10);
		else if (strcmp(line, "generation") == 0)
			s->gen = strtoull(eq, NULL, 10);
		else if (strcmp(line, "started") == 0)
			s->started = strtoull(eq, NULL, 10);
		else if (strcmp(line, "result") == 0)
			snprintf(s->result, sizeof(s->result), "%s", eq);
		else if (strcmp(line, "reason") == 0)
			snprintf(s->reason, sizeof(s->reason), "%s", eq);
		else if (strcmp(line, "error") == 0 &&
		    (el = strlen(s->errors)) < sizeof(s->errors) - 1)
			snprintf(s->errors + el, sizeof(s->errors) - el,
			    "logstreamd:   %s\n", eq);
	}
	free(buf);
	return 0;
}

/* 1 while the daemon holds its pid file locked. */
static int
alive(int fd)
{
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		flock(fd, LOCK_UN);
		return 0;
	}
	return errno == EWOULDBLOCK;
}

/* The pid file of config, opened, from the first directory that has it. */
static int
find_pidfile(const char *config, char *pidpath, char *statepath)
{
	char	 dir[PATH_MAX];
	int	 i, fd;

	for (i = 0; i < 3; i++) {
		if (rt_dir(i, dir, sizeof(dir)) == -1)
			continue;
		file_name(pidpath, PATH_MAX, dir, config, ".pid");
		file_name(statepath, PATH_MAX, dir, config, ".state");
		if ((fd = open(pidpath, O_RDONLY | O_CLOEXEC)) != -1)
			return fd;
	}
	if (rt_dir(0, dir, sizeof(dir)) == -1)
		rt_dir(1, dir, sizeof(dir));
	file_name(pidpath, PATH_MAX, dir, config, ".pid");
	return -1;
}

static void
sleep_ms(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

int
control_reload(const char *config, int wait_s)
{
	char		 pidpath[PATH_MAX], statepath[PATH_MAX], buf[32];
	char		*abs;
	struct state	 s0, s;
	uint64_t	 t0, deadline;
	long		 pid;
	ssize_t		 n;
	int		 fd = -1, rc = 2;

	if ((abs = realpath(config, NULL)) == NULL) {
		fprintf(stderr, "logstreamd: reload: %s: %s\n", config,
		    strerror(errno));
		return 2;
	}
	if ((fd = find_pidfile(abs, pidpath, statepath)) == -1 ||
	    !alive(fd)) {
		fprintf(stderr, "logstreamd: reload: no logstreamd runs %s "
		    "(%s %s)\n", abs, pidpath, fd == -1 ? "does not exist" :
		    "is left from one that has exited");
		goto out;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	if ((pid = strtol(buf, NULL, 10)) <= 0) {
		fprintf(stderr, "logstreamd: reload: %s holds no pid yet (the "
		    "daemon is starting); try again\n", pidpath);
		goto out;
	}
	state_read(statepath, &s0);
	t0 = mono_us();
	if (kill((pid_t)pid, SIGHUP) == -1) {
		fprintf(stderr, "logstreamd: reload: cannot signal pid %ld: "
		    "%s\n", pid, strerror(errno));
		goto out;
	}
	deadline = t0 + (uint64_t)wait_s * 1000000;
	for (;;) {
		if (state_read(statepath, &s) == 0 && s.gen > s0.gen &&
		    s.started >= t0)
			break;
		if (!alive(fd)) {
			fprintf(stderr, "logstreamd: reload: logstreamd (pid "
			    "%ld) of %s exited before it answered\n", pid, abs);
			goto out;
		}
		if (mono_us() >= deadline) {
			fprintf(stderr, "logstreamd: reload: no answer from "
			    "logstreamd (pid %ld) of %s within %d s; it may "
			    "still reload (see its log)\n", pid, abs, wait_s);
			goto out;
		}
		sleep_ms(POLL_MS);
	}
	if (strcmp(s.result, "ok") == 0) {
		printf("logstreamd: reloaded %s (pid %ld, reload %" PRIu64
		    ")\n", abs, pid, s.gen);
		rc = 0;
	} else {
		fprintf(stderr, "logstreamd: reload of %s refused (pid %ld): "
		    "%s; it runs on the previous config\n%s", abs, pid,
		    s.reason, s.errors);
		rc = 1;
	}
out:
	if (fd != -1)
		close(fd);
	free(abs);
	return rc;
}
