/*
 * input_tail.c: [input NAME] type = tail, files that programs write.  The
 * globs of `path` are matched at start, on inotify events of their
 * directories and on a one-second poll (the safety net: globs in a
 * directory part, missed events, NFS).  Each file is read with pread from
 * the first byte not yet taken, split at LF, joined by multiline_start
 * (multiline.c) and handed to the intake; a line without its LF is left in
 * the file until the LF comes.  A file is known by device, inode and a
 * fingerprint of its first bytes: a rename rotation is seen as another
 * inode at the path (the old file is read to its end first, then closed),
 * a copy-truncate as a size below what was read or first bytes that
 * changed (bytes not read by then are counted lost and the next event is
 * marked "stream":"gap").  Positions are noted per batch number and saved
 * (tailstate.c) only for batches that are durable.  This file: keys,
 * files and their identity, globs, inotify, the poll and the input's entry
 * points; the reading half is input_tail_read.c.
 */
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/queue.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "confmap.h"
#include "diag.h"
#include "input.h"
#include "input_tail_int.h"
#include "logrec.h"
#include "multiline.h"
#include "tailstate.h"

/* ---- keys ---- */

static int
set_path(struct config *cf, void *obj, const struct conf_sect *s,
    const struct conf_kv *kv)
{
	struct tail	*t = obj;

	if (kv->val[0] == '\0')
		return -1;
	if (t->npaths == MAX_PATHS) {
		config_error(cf, kv->line, "[input %s]: at most %d path keys",
		    s != NULL ? s->name : "?", MAX_PATHS);
		return CM_REPORTED;
	}
	if ((t->paths[t->npaths] = config_path(cf, kv->val)) == NULL)
		return -2;
	t->npaths++;
	return 0;
}

static const char *const starts[] = { "end", "beginning", NULL };

#define T(f)	offsetof(struct tail, f)

/* The keys of type = tail (docs-inputs.md): one row each. */
static const struct conf_map tail_map[] = {
	{ "path", CM_CUSTOM, CM_NOVALUE, NULL, 0, 0, NULL,
	    "a file or a glob (repeatable), relative to the config",
	    CM_REPEAT, set_path },
	{ "state", CM_PATH, T(state), NULL, 1, 0, NULL,
	    "the positions file (none: a restart begins as start says)", 0,
	    NULL },
	{ "start", CM_ENUM, T(start), "end", 0, 0, starts,
	    "end or beginning: where a file found at the first start (no "
	    "position saved) begins; files that appear later are read whole",
	    0, NULL },
	{ "multiline_start", CM_STRING, T(ml_start), NULL, 1, 0, NULL,
	    "a regex: a line that does not match joins the event before it",
	    0, NULL },
	{ "multiline_timeout", CM_MS, T(ml_timeout_ms), "1s", 1, 3600000,
	    NULL, "a joined event is handed on this long after its last line",
	    0, NULL },
	{ "follow_symlinks", CM_BOOL, T(follow), "no", 0, 0, NULL,
	    "yes or no: read a matched path that is a symlink", 0, NULL },
	{ "max_open_files", CM_UINT, T(max_open), "1024", 1, 65536, NULL,
	    "files read at once; the others wait (counted)", 0, NULL },
};

static void *
tail_impl(struct input *in)
{
	struct tail	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->in = in;
	t->ifd = -1;
	TAILQ_INIT(&t->files);
	return t;
}

static int
tail_finish(struct input *in, struct config *cf, int line)
{
	struct tail	*t = in->impl;
	char		 err[256];

	if (t->npaths == 0) {
		config_error(cf, line, "[input %s]: type = tail needs a path",
		    in->name);
		return -1;
	}
	t->max = cf->max_message > 0 ? cf->max_message : 64 * 1024;
	if (t->ml_start != NULL) {
		if ((t->re = multiline_re_new(t->ml_start, err,
		    sizeof(err))) == NULL) {
			config_error(cf, conf_sect_line(conf_sect_find(cf,
			    "input", in->name), "multiline_start"),
			    "[input %s]: multiline_start: %s", in->name, err);
			return -1;
		}
	}
	return 0;
}

/* ---- files ---- */

static void
tfile_free(struct tfile *tf)
{
	if (tf == NULL)
		return;
	if (tf->fd != -1)
		close(tf->fd);
	multiline_free(tf->ml);
	free(tf->path);
	free(tf);
}

static void
tfile_remove(struct tail *t, struct tfile *tf)
{
	struct mlstats	 ms;

	if (tf->ml != NULL) {
		multiline_stats(tf->ml, &ms);
		t->st.joined += ms.joined;
		t->st.cut_lines += ms.cut_lines;
	}
	TAILQ_REMOVE(&t->files, tf, entry);
	if (tf->fd != -1)
		t->nopen--;
	if (tf->waiting)
		t->nwaiting--;
	if (!tf->symlink)
		t->dirty = 1;
	tfile_free(tf);
}

/* The inotify watch of path's directory, or -1. */
static int
watch_of(struct tail *t, const char *path)
{
	char	*copy, *dir;
	size_t	 i;
	int	 wd = -1;

	if ((copy = strdup(path)) == NULL)
		return -1;
	dir = dirname(copy);
	for (i = 0; i < t->nwd; i++)
		if (strcmp(t->wdir[i], dir) == 0) {
			wd = t->wd[i];
			break;
		}
	free(copy);
	return wd;
}

static int
tfile_set_path(struct tfile *tf, const char *path)
{
	char	*p, *slash;

	if ((p = strdup(path)) == NULL)
		return -1;
	free(tf->path);
	tf->path = p;
	tf->plen = strlen(p);
	slash = strrchr(p, '/');
	tf->base = slash != NULL ? slash + 1 : p;
	return 0;
}

static struct tfile *
tfile_new(struct tail *t, const char *path)
{
	struct tfile	*tf;

	if ((tf = calloc(1, sizeof(*tf))) == NULL)
		return NULL;
	tf->fd = -1;
	if (tfile_set_path(tf, path) == -1 ||
	    (tf->ml = multiline_new(t->re, t->max, (uint64_t)t->ml_timeout_ms *
	    1000000)) == NULL) {
		tfile_free(tf);
		return NULL;
	}
	tf->wd = watch_of(t, path);
	return tf;
}

/* The fingerprint of fd's first min(size, FP_MAX) bytes; -1 on error. */
int
tail_fingerprint(int fd, uint64_t size, uint64_t *fp, uint32_t *len)
{
	char	 buf[TAILSTATE_FP_MAX];
	size_t	 want = size < sizeof(buf) ? (size_t)size : sizeof(buf);
	ssize_t	 n;

	if ((n = pread(fd, buf, want, 0)) < 0)
		return -1;
	*fp = tailstate_fingerprint(buf, (size_t)n);
	*len = (uint32_t)n;
	return 0;
}

/* Do fd's first len bytes still hash to fp?  1, 0, or -1 on error. */
int
tail_same_start(int fd, uint64_t fp, uint32_t len)
{
	char	 buf[TAILSTATE_FP_MAX];
	ssize_t	 n;

	if (len == 0)
		return 1;
	if ((n = pread(fd, buf, len, 0)) < 0)
		return -1;
	return (size_t)n == len && tailstate_fingerprint(buf, len) == fp;
}

/* Open a file found by the scan; its identity must be what stat said. */
int
tail_open(struct tail *t, struct tfile *tf)
{
	struct stat	 sb;
	int		 fd, flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;

	if (!t->follow)
		flags |= O_NOFOLLOW;
	if ((fd = open(tf->path, flags)) == -1) {
		diag_rate(&t->rate, "input %s: %s: %s", t->in->name, tf->path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_dev != tf->dev || (uint64_t)sb.st_ino !=
	    tf->ino) {
		close(fd);		/* replaced since: the next scan */
		t->rescan = 1;
		return -1;
	}
	tf->fd = fd;
	tf->parked = 0;
	tf->ready = 1;
	tf->eof = 0;
	tf->last_data = t->now;
	if ((uint64_t)sb.st_size > tf->size_seen)
		tf->size_seen = (uint64_t)sb.st_size;
	if (tf->fplen < TAILSTATE_FP_MAX && tail_fingerprint(fd,
	    (uint64_t)sb.st_size, &tf->fp, &tf->fplen) == -1)
		tf->fplen = 0;
	t->nopen++;
	return 0;
}

/* The position a state file saved for this file, if it is the same. */
static int
saved_position(struct tail *t, struct tfile *tf, uint64_t size,
    uint64_t *off)
{
	struct tailpos	*p;
	size_t		 i;
	int		 fd, same;

	for (i = 0; i < t->nloaded; i++) {
		p = &t->loaded[i];
		if (p->dev != tf->dev || p->ino != tf->ino)
			continue;
		if ((fd = open(tf->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) ==
		    -1 && (!t->follow || (fd = open(tf->path, O_RDONLY |
		    O_CLOEXEC)) == -1))
			return 0;
		same = tail_same_start(fd, p->fp, p->fplen) == 1;
		close(fd);
		if (!same)
			return 0;		/* inode reused: a new file */
		if (p->off > size) {
			/* Cut while we were away: read it all again. */
			t->st.truncations++;
			tf->gap = 1;
			*off = 0;
		} else
			*off = p->off;
		return 1;
	}
	return 0;
}

/* A file the scan found that no entry has. */
static void
tfile_found(struct tail *t, const char *path, const struct stat *sb)
{
	struct tfile	*tf;
	uint64_t	 off = 0;

	if ((tf = tfile_new(t, path)) == NULL) {
		t->st.nomem++;
		return;
	}
	tf->dev = (uint64_t)sb->st_dev;
	tf->ino = (uint64_t)sb->st_ino;
	tf->seen = 1;
	if (t->first_scan && !saved_position(t, tf, (uint64_t)sb->st_size,
	    &off) && t->start == START_END)
		off = (uint64_t)sb->st_size;
	tf->off = tf->saved = tf->held_start = off;
	tf->size_seen = off;
	TAILQ_INSERT_TAIL(&t->files, tf, entry);
	t->dirty = 1;
	diag_debug("input %s: %s from offset %" PRIu64, t->in->name, path,
	    off);
	if (t->nopen < t->max_open && tail_open(t, tf) == 0)
		return;
	if (t->nopen >= t->max_open)
		t->st.waited++;
	tf->waiting = 1;
	t->nwaiting++;
}

/* A file renamed away or deleted: read on to its end, then closed. */
static void
tfile_rotated(struct tail *t, struct tfile *tf)
{
	if (tf->rotated)
		return;
	tf->rotated = 1;
	tf->ready = 1;
	tf->rotated_at = t->now;
	t->st.rotations++;
	if (tf->fd == -1) {		/* never read, or parked */
		tf->done = 1;
		if (tf->waiting)
			t->nwaiting--;
		tf->waiting = tf->parked = 0;
	}
	/* read before the file that took its place */
	TAILQ_REMOVE(&t->files, tf, entry);
	TAILQ_INSERT_HEAD(&t->files, tf, entry);
	diag_debug("input %s: %s rotated", t->in->name, tf->path);
}

static struct tfile *
find_path(struct tail *t, const char *path)
{
	struct tfile	*tf;

	TAILQ_FOREACH(tf, &t->files, entry)
		if (!tf->rotated && strcmp(tf->path, path) == 0)
			return tf;
	return NULL;
}

static struct tfile *
find_id(struct tail *t, uint64_t dev, uint64_t ino)
{
	struct tfile	*tf;

	TAILQ_FOREACH(tf, &t->files, entry)
		if (!tf->symlink && !tf->done && tf->dev == dev &&
		    tf->ino == ino)
			return tf;
	return NULL;
}

/* A symlink matched and follow_symlinks is off: said once, counted. */
static void
symlink_skipped(struct tail *t, const char *path)
{
	struct tfile	*tf;

	TAILQ_FOREACH(tf, &t->files, entry)
		if (tf->symlink && strcmp(tf->path, path) == 0) {
			tf->seen = 1;
			return;
		}
	t->st.symlinks_skipped++;
	diag_warn("input %s: %s is a symlink: not followed "
	    "(follow_symlinks = no)", t->in->name, path);
	if ((tf = calloc(1, sizeof(*tf))) == NULL ||
	    tfile_set_path(tf, path) == -1) {
		free(tf);
		return;
	}
	tf->fd = -1;
	tf->symlink = 1;
	tf->seen = 1;
	TAILQ_INSERT_TAIL(&t->files, tf, entry);
}

static void
scan_match(struct tail *t, const char *path)
{
	struct stat	 sb;
	struct tfile	*tf, *moved;

	if (lstat(path, &sb) == -1)
		return;
	if (S_ISLNK(sb.st_mode)) {
		if (!t->follow) {
			if ((tf = find_path(t, path)) != NULL &&
			    !tf->symlink)
				tfile_rotated(t, tf);
			symlink_skipped(t, path);
			return;
		}
		if (stat(path, &sb) == -1)
			return;
	}
	if (!S_ISREG(sb.st_mode))
		return;
	if ((tf = find_path(t, path)) != NULL && !tf->symlink) {
		if (tf->dev == (uint64_t)sb.st_dev &&
		    tf->ino == (uint64_t)sb.st_ino) {
			tf->seen = 1;
			return;
		}
		tfile_rotated(t, tf);	/* another file took the name */
	}
	if ((moved = find_id(t, (uint64_t)sb.st_dev,
	    (uint64_t)sb.st_ino)) != NULL) {
		/* renamed to another name the globs match: the same file */
		if (tfile_set_path(moved, path) == 0) {
			moved->rotated = 0;
			moved->seen = 1;
			moved->wd = watch_of(t, path);
			t->dirty = 1;
		}
		return;
	}
	tfile_found(t, path, &sb);
}

static void
scan(struct tail *t)
{
	struct tfile	*tf, *next;
	glob_t		 g;
	size_t		 i, k;

	t->rescan = 0;
	TAILQ_FOREACH(tf, &t->files, entry)
		tf->seen = 0;
	for (i = 0; i < t->npaths; i++) {
		memset(&g, 0, sizeof(g));
		if (glob(t->paths[i], GLOB_NOSORT, NULL, &g) == 0)
			for (k = 0; k < g.gl_pathc; k++)
				scan_match(t, g.gl_pathv[k]);
		globfree(&g);
	}
	for (tf = TAILQ_FIRST(&t->files); tf != NULL; tf = next) {
		next = TAILQ_NEXT(tf, entry);
		if (tf->seen || tf->rotated || tf->done)
			continue;
		if (tf->symlink)
			tfile_remove(t, tf);
		else
			tfile_rotated(t, tf);
	}
	t->first_scan = 0;
}

/*
 * A file of the state file that no glob matches now, found again in its
 * directory by device and inode with the same first bytes (rotated while
 * the daemon was stopped: app.log renamed to app.log.1): read on from its
 * position to its end, then closed, so what was written before the
 * rotation is not skipped.  Its path (the source) is its new name.
 */
static void
rotated_away(struct tail *t, const struct tailpos *p)
{
	struct tfile	*tf;
	struct dirent	*de;
	struct stat	 sb;
	char		*copy, *dir, path[PATH_MAX];
	DIR		*d;
	int		 fd = -1;

	if ((copy = strdup(p->path)) == NULL)
		return;
	dir = dirname(copy);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if ((uint64_t)de->d_ino != p->ino ||
			    snprintf(path, sizeof(path), "%s/%s", dir,
			    de->d_name) >= (int)sizeof(path) ||
			    (fd = open(path, O_RDONLY | O_CLOEXEC |
			    O_NOFOLLOW | O_NONBLOCK)) == -1)
				continue;
			if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
			    (uint64_t)sb.st_dev == p->dev &&
			    (uint64_t)sb.st_ino == p->ino &&
			    (uint64_t)sb.st_size > p->off &&
			    tail_same_start(fd, p->fp, p->fplen) == 1)
				break;
			close(fd);
			fd = -1;
		}
		closedir(d);
	}
	free(copy);
	if (fd == -1)
		return;
	if (t->nopen >= t->max_open || (tf = tfile_new(t, path)) == NULL) {
		diag_warn("input %s: %s (rotated while stopped) not read: "
		    "max_open_files or out of memory", t->in->name, path);
		close(fd);
		return;
	}
	tf->dev = p->dev;
	tf->ino = p->ino;
	tf->fp = p->fp;
	tf->fplen = p->fplen;
	tf->off = tf->saved = tf->held_start = tf->size_seen = p->off;
	tf->fd = fd;
	tf->ready = tf->rotated = tf->seen = 1;
	tf->rotated_at = tf->last_data = t->now;
	t->nopen++;
	t->st.rotations++;
	TAILQ_INSERT_HEAD(&t->files, tf, entry);
	diag_info("input %s: %s was rotated to %s while stopped: read on from "
	    "offset %" PRIu64, t->in->name, p->path, path, p->off);
}

static void
tail_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	tailread_all(arg);
}

void
tail_kick(struct tail *t)
{
	if (t->kick_ev != NULL && !t->stopped)
		event_active(t->kick_ev, EV_TIMEOUT, 0);
}

/* ---- inotify and the poll ---- */

/* Events lost (every file may have grown) or a directory gone (its watch
 * is added again by the poll once it is back). */
static void
inotify_lost(struct tail *t, const struct inotify_event *ev)
{
	struct tfile	*tf;
	size_t		 i;

	for (i = 0; i < t->nwd; i++)
		if ((ev->mask & IN_IGNORED) && t->wd[i] == ev->wd)
			t->wd[i] = -1;
	if (ev->mask & IN_Q_OVERFLOW)
		TAILQ_FOREACH(tf, &t->files, entry)
			if (tf->fd != -1)
				tf->ready = 1;
}

static void
tail_inotify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tail			*t = arg;
	char				 buf[16384]
					    __attribute__((aligned(8)));
	const struct inotify_event	*ev;
	struct tfile			*tf;
	ssize_t				 n;
	char				*p;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & (IN_Q_OVERFLOW | IN_IGNORED))
				inotify_lost(t, ev);
			if (!(ev->mask & IN_MODIFY) || ev->len == 0) {
				t->rescan = 1;
				continue;
			}
			TAILQ_FOREACH(tf, &t->files, entry)
				if (tf->wd == ev->wd && tf->fd != -1 &&
				    strcmp(tf->base, ev->name) == 0)
					tf->ready = 1;
		}
	}
	t->now = diag_mono_ns();
	if (t->rescan && !t->stopped)
		scan(t);
	tailread_all(t);
}

/* Add the inotify watches not in place yet (a directory made later). */
static void
watch_dirs(struct tail *t)
{
	size_t	 i;

	for (i = 0; t->ifd != -1 && i < t->nwd; i++) {
		if (t->wd[i] != -1)
			continue;
		t->wd[i] = inotify_add_watch(t->ifd, t->wdir[i], IN_CREATE |
		    IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY |
		    IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
		if (t->wd[i] != -1)
			t->rescan = 1;
	}
}

/* Every second (and at multiline_timeout): what inotify may miss. */
static void
tail_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tail	*t = arg;
	struct tfile	*tf, *next;

	if (t->stopped)
		return;
	t->now = diag_mono_ns();
	watch_dirs(t);
	scan(t);
	for (tf = TAILQ_FIRST(&t->files); tf != NULL && !t->paused;
	    tf = next) {
		next = TAILQ_NEXT(tf, entry);
		if (tf->symlink)
			continue;
		if (tf->fd != -1)
			tailread_check(t, tf);	/* rotated ones too: the
						 * writer may not have moved on */
		else if (tf->parked)
			tailread_unpark(t, tf);
		if (multiline_due(tf->ml, t->now) &&
		    tailread_flush(t, tf, tf->off) == -1)
			break;
		if (tf->rotated && !tf->done && (tf->fd == -1 || (tf->eof &&
		    !tf->ready && t->now - tf->last_data >= ROTATE_WAIT_NS)) &&
		    tailread_finish(t, tf) == -1)
			break;
		if (tf->done && tf->nnotes == 0)
			tfile_remove(t, tf);
	}
	t->at_end = 1;		/* the waiting files' sizes, once a second */
	tailread_all(t);
}

/* ---- the input's entry points ---- */

static int
tail_watches(struct tail *t)
{
	char	*copy, *dir;
	size_t	 i, k;

	if ((t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		diag_warn("input %s: inotify: %s: polling once a second",
		    t->in->name, strerror(errno));
		return 0;
	}
	for (i = 0; i < t->npaths && t->nwd < MAX_WATCH; i++) {
		if ((copy = strdup(t->paths[i])) == NULL)
			return -1;
		dir = dirname(copy);
		for (k = 0; k < t->nwd && strcmp(t->wdir[k], dir) != 0; k++)
			;
		/* a glob in the directory part: the poll finds its files */
		if (k < t->nwd || strpbrk(dir, "*?[") != NULL) {
			free(copy);
			continue;
		}
		if ((t->wdir[t->nwd] = strdup(dir)) == NULL) {
			free(copy);
			return -1;
		}
		free(copy);
		t->wd[t->nwd++] = -1;
	}
	watch_dirs(t);
	return 0;
}

static int
tail_start(struct input *in, struct event_base *base, struct listener *l)
{
	struct tail	*t = in->impl;
	struct timeval	 tv;
	char		 err[512];
	int64_t		 ms = POLL_MS;
	size_t		 i;

	t->base = base;
	t->l = l;
	t->rcap = READ_CHUNK + t->max + 1;
	if ((t->rbuf = malloc(t->rcap)) == NULL)
		goto nomem;
	if (t->state != NULL && tailstate_load(t->state, &t->loaded,
	    &t->nloaded, err, sizeof(err)) == -1) {
		t->st.state_errors++;
		diag_err("input %s: state %s: starting over (start = %s)",
		    in->name, err, starts[t->start]);
	}
	if (tail_watches(t) == -1)
		goto nomem;
	if (t->ifd != -1 && ((t->iev = event_new(base, t->ifd, EV_READ |
	    EV_PERSIST, tail_inotify_cb, t)) == NULL ||
	    event_add(t->iev, NULL) == -1))
		goto nomem;
	if (t->re != NULL && t->ml_timeout_ms < ms)
		ms = t->ml_timeout_ms;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if ((t->poll_ev = event_new(base, -1, EV_PERSIST, tail_poll_cb, t)) ==
	    NULL || event_add(t->poll_ev, &tv) == -1 ||
	    (t->kick_ev = event_new(base, -1, 0, tail_kick_cb, t)) == NULL)
		goto nomem;
	t->now = diag_mono_ns();
	t->first_scan = 1;
	scan(t);
	for (i = 0; i < t->nloaded; i++)
		if (find_id(t, t->loaded[i].dev, t->loaded[i].ino) == NULL)
			rotated_away(t, &t->loaded[i]);
	tailstate_free(t->loaded, t->nloaded);
	t->loaded = NULL;
	t->nloaded = 0;
	t->dirty = 1;
	diag_info("input %s: %zu files (%zu open, %zu waiting)", in->name,
	    t->nopen + t->nwaiting, t->nopen, t->nwaiting);
	tail_kick(t);
	return 0;
nomem:
	diag_err("input %s: out of memory", in->name);
	return -1;
}

static void
tail_pause(struct input *in)
{
	struct tail	*t = in->impl;

	t->paused = 1;
}

static void
tail_resume(struct input *in)
{
	struct tail	*t = in->impl;

	t->paused = 0;
	tail_kick(t);
}

/* The positions of the files being followed, to the state file. */
static void
save(struct tail *t)
{
	struct tailpos	*v;
	struct tfile	*tf;
	size_t		 n = 0;
	char		 err[512];

	TAILQ_FOREACH(tf, &t->files, entry)
		n++;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		t->st.state_errors++;
		diag_rate(&t->rate, "input %s: state: out of memory",
		    t->in->name);
		return;
	}
	n = 0;
	TAILQ_FOREACH(tf, &t->files, entry) {
		if (tf->symlink || tf->done)
			continue;
		v[n].dev = tf->dev;
		v[n].ino = tf->ino;
		v[n].off = tf->saved;
		v[n].fp = tf->fp;
		v[n].fplen = tf->fplen;
		v[n++].path = tf->path;
	}
	if (tailstate_save(t->state, v, n, err, sizeof(err)) == -1) {
		t->st.state_errors++;
		diag_rate(&t->rate, "input %s: state not saved: %s",
		    t->in->name, err);
	} else
		t->dirty = 0;
	free(v);
}

static void
tail_durable(struct input *in, uint64_t no)
{
	struct tail	*t = in->impl;
	struct tfile	*tf;
	int		 k;

	t->durable = no;
	TAILQ_FOREACH(tf, &t->files, entry) {
		for (k = 0; k < tf->nnotes && tf->notes[k].no <= no; k++)
			;
		if (k == 0)
			continue;
		if (tf->notes[k - 1].off != tf->saved) {
			tf->saved = tf->notes[k - 1].off;
			t->dirty = 1;
		}
		memmove(tf->notes, tf->notes + k, (size_t)(tf->nnotes - k) *
		    sizeof(tf->notes[0]));
		tf->nnotes -= k;
	}
	if (t->dirty && t->state != NULL)
		save(t);
}

static void
tail_stop(struct input *in)
{
	struct tail	*t = in->impl;

	/* Joined events in progress and lines without their LF are not
	 * handed on: the saved position is before them, so the next start
	 * reads them again, whole. */
	t->stopped = 1;
	if (t->iev != NULL)
		event_del(t->iev);
	if (t->poll_ev != NULL)
		event_del(t->poll_ev);
	if (t->kick_ev != NULL)
		event_del(t->kick_ev);
}

static void
tail_free(struct input *in)
{
	struct tail	*t = in->impl;
	struct tfile	*tf;
	size_t		 i;

	if (t == NULL)
		return;
	while ((tf = TAILQ_FIRST(&t->files)) != NULL) {
		TAILQ_REMOVE(&t->files, tf, entry);
		tfile_free(tf);
	}
	if (t->iev != NULL)
		event_free(t->iev);
	if (t->poll_ev != NULL)
		event_free(t->poll_ev);
	if (t->kick_ev != NULL)
		event_free(t->kick_ev);
	if (t->ifd != -1)
		close(t->ifd);
	for (i = 0; i < t->nwd; i++)
		free(t->wdir[i]);
	for (i = 0; i < t->npaths; i++)
		free(t->paths[i]);
	tailstate_free(t->loaded, t->nloaded);
	multiline_re_free(t->re);
	free(t->state);
	free(t->ml_start);
	free(t->rbuf);
	free(t);
	in->impl = NULL;
}

static size_t
tail_stats(struct input *in, char *buf, size_t len)
{
	struct tail	*t = in->impl;
	struct tfile	*tf;
	struct mlstats	 ms;
	uint64_t	 joined = 0, cut = 0, pending = 0;
	int		 n;

	TAILQ_FOREACH(tf, &t->files, entry) {
		if (tf->ml == NULL)
			continue;
		if (tf->fd != -1 && tf->size_seen > tf->off)
			pending += tf->size_seen - tf->off;
		multiline_stats(tf->ml, &ms);
		joined += ms.joined;
		cut += ms.cut_lines;
	}
	n = snprintf(buf, len, "\"files_open\":%zu,\"files_waiting\":%zu,"
	    "\"bytes\":%" PRIu64 ",\"events\":%" PRIu64 ",\"rotations\":%"
	    PRIu64 ",\"truncations\":%" PRIu64 ",\"truncated_bytes\":%" PRIu64
	    ",\"symlinks_skipped\":%" PRIu64 ",\"waited\":%" PRIu64
	    ",\"multiline_joined\":%" PRIu64 ",\"multiline_cut_lines\":%"
	    PRIu64 ",\"state_errors\":%" PRIu64 ",\"read_errors\":%" PRIu64
	    ",\"nomem\":%" PRIu64 ",\"pending_bytes\":%" PRIu64, t->nopen,
	    t->nwaiting, t->st.bytes,
	    t->st.events, t->st.rotations, t->st.truncations,
	    t->st.truncated_bytes, t->st.symlinks_skipped, t->st.waited,
	    t->st.joined + joined, t->st.cut_lines + cut, t->st.state_errors,
	    t->st.read_errors, t->st.nomem, pending);
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : len > 0 ? len - 1 : 0;
}

const struct input_ops input_tail_ops = {
	.type = "tail",
	.map = tail_map,
	.nmap = CM_N(tail_map),
	.impl = tail_impl,
	.finish = tail_finish,
	.start = tail_start,
	.pause = tail_pause,
	.resume = tail_resume,
	.durable = tail_durable,
	.stop = tail_stop,
	.free = tail_free,
	.stats = tail_stats,
};
