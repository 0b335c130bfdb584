/*
 * input_tail_int.h: what input_tail.c (keys, files and their identity,
 * globs, inotify, the poll, the input's entry points) and input_tail_read.c
 * (reading lines, handing events on, positions per batch, truncation, the
 * end of a rotated file, turns at max_open_files) share.  Private to those
 * two files.
 */
#ifndef INPUT_TAIL_INT_H
#define INPUT_TAIL_INT_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct event;
struct event_base;
struct input;
struct listener;
struct multiline;
struct multiline_re;
struct tailpos;

#define READ_CHUNK	(256 * 1024)	/* one pread, past max_message */
#define READ_BUDGET	(8 * 1024 * 1024) /* bytes per callback, all files */
#define POLL_MS		1000
#define ROTATE_WAIT_NS	(2 * 1000000000ULL) /* a rotated file is read on
					 * for this long after its last byte */
#define NOTES		16		/* positions per file not yet durable */
#define MAX_PATHS	64
#define MAX_WATCH	64

enum { START_END, START_BEGINNING };

struct note {
	uint64_t	 no;		/* after this batch is durable ... */
	uint64_t	 off;		/* ... the file is stored up to here */
};

struct tfile {
	TAILQ_ENTRY(tfile) entry;
	char		*path;		/* its source label */
	size_t		 plen;
	const char	*base;		/* in path */
	int		 wd;		/* of its directory, or -1 */
	uint64_t	 dev, ino;
	uint64_t	 fp;		/* fingerprint of the first fplen */
	uint32_t	 fplen;
	int		 fd;		/* -1: waiting or idle-closed */
	uint64_t	 off;		/* first byte not taken */
	uint64_t	 size_seen;	/* the largest size seen */
	uint64_t	 held_start;	/* where the joined event began */
	uint64_t	 saved;		/* durable position (state file) */
	uint64_t	 last_data;	/* mono ns of its last bytes */
	uint64_t	 rotated_at;
	struct note	 notes[NOTES];
	int		 nnotes;
	struct multiline *ml;
	unsigned	 seen:1;	/* matched by this scan */
	unsigned	 ready:1;	/* may have bytes to read */
	unsigned	 skip:1;	/* discarding a line cut at max */
	unsigned	 gap:1;		/* mark the next event */
	unsigned	 rotated:1;	/* renamed away or deleted */
	unsigned	 done:1;	/* closed for good: freed when durable */
	unsigned	 symlink:1;	/* a symlink not followed */
	unsigned	 eof:1;
	unsigned	 waiting:1;	/* closed, with bytes: wants a slot */
	unsigned	 parked:1;	/* closed at its end for a waiter */
};
TAILQ_HEAD(tfiles, tfile);

struct tailstats {
	uint64_t	 bytes;
	uint64_t	 events;
	uint64_t	 rotations;
	uint64_t	 truncations;
	uint64_t	 truncated_bytes;
	uint64_t	 symlinks_skipped;
	uint64_t	 waited;		/* found at max_open_files */
	uint64_t	 joined;
	uint64_t	 cut_lines;
	uint64_t	 state_errors;
	uint64_t	 read_errors;
	uint64_t	 nomem;
};

struct tail {
	struct input		*in;
	/* config */
	char			*paths[MAX_PATHS];
	size_t			 npaths;
	char			*state;
	char			*ml_start;
	int64_t			 ml_timeout_ms;
	int			 start;
	int			 follow;
	uint64_t		 max_open;
	size_t			 max;		/* [listen] max_message */
	/* running */
	struct event_base	*base;
	struct listener		*l;
	struct multiline_re	*re;
	struct tfiles		 files;
	size_t			 nopen;
	size_t			 nwaiting;
	char			*rbuf;
	size_t			 rcap;
	int			 ifd;		/* inotify */
	struct event		*iev;
	struct event		*poll_ev;
	struct event		*kick_ev;
	int			 wd[MAX_WATCH];
	char			*wdir[MAX_WATCH];
	size_t			 nwd;
	int			 first_scan;
	int			 rescan;
	int			 paused;
	int			 stopped;
	int			 dirty;		/* the state file is behind */
	int			 at_end;	/* a file got to its end: a
						 * waiting one may take its turn */
	uint64_t		 durable;	/* the last batch durable */
	uint64_t		 now;		/* mono ns of this callback */
	struct tailpos		*loaded;	/* the state file at start */
	size_t			 nloaded;
	struct tailstats	 st;
	struct diag_rate	 rate;
};

/* input_tail.c */
/* Open a file found by the scan (its identity as stat said); 0 or -1. */
int	 tail_open(struct tail *, struct tfile *);
/* The fingerprint of fd's first min(size, TAILSTATE_FP_MAX) bytes. */
int	 tail_fingerprint(int fd, uint64_t size, uint64_t *fp, uint32_t *len);
/* Do fd's first len bytes still hash to fp?  1, 0, or -1 on error. */
int	 tail_same_start(int fd, uint64_t fp, uint32_t len);
/* Read again on the next turn of the event loop. */
void	 tail_kick(struct tail *);

/* input_tail_read.c */
/* Read every file that may have bytes, then hand the batch on. */
void	 tailread_all(struct tail *);
/* At EOF or a poll: was it cut, did it grow? */
void	 tailread_check(struct tail *, struct tfile *);
/* Hand on the joined event in progress; 0, or -1 when the queue is full. */
int	 tailread_flush(struct tail *, struct tfile *, uint64_t end_off);
/* Close a rotated file its writer is done with; 0, or -1 (queue full). */
int	 tailread_finish(struct tail *, struct tfile *);
/* A parked file that grew waits for a slot again. */
void	 tailread_unpark(struct tail *, struct tfile *);

#endif
