/*
 * query_int.h: what daemon/query.c (the command, the filter, the output,
 * -f) and daemon/query_files.c (finding the files of the store and
 * reading their lines) share.  Not a module interface: the query's own.
 */
#ifndef QUERY_INT_H
#define QUERY_INT_H

#include <sys/types.h>

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <libdeflate.h>
#include <zlib.h>

#include "alerter_int.h"
#include "expr.h"
#include "storeidx.h"

#define CHUNK		(128 * 1024)
#define LINE_MAX_B	(64u << 20)	/* a longer line is not an event */
#define COUNT_BY_MAX	8
#define FOLLOW_MS	200
#define RESCAN_MS	1000
#define REPORT_MAX	20		/* skipped lines named, then a total */
#define WHOLE_MAX	(256u << 20)	/* the groups' inflated .gz files */

/* One file of a live path. */
struct qfile {
	char		*path;
	time_t		 sec;		/* rotated: from the name */
	unsigned	 idx;
	int		 live;
	int		 want;		/* its index read: 1 read it, -1 not */
};

/* A libdeflate decompressor and the .gz it reads (query_gz.c). */
struct qinflater {
	struct libdeflate_decompressor *d;
	char		*zin;
	size_t		 zincap;
};

/* A group's next .gz, read and inflated ahead by the worker. */
struct qprefetch {
	int		 state;		/* PF_*, under pf_mu */
	int		 ok;
	size_t		 fi;		/* the file of the group */
	char		*path;
	dev_t		 dev;		/* the file read */
	ino_t		 ino;
	char		*buf;		/* the worker's while queued */
	size_t		 cap, len;
};

/* The files of one live path, read as one time-ordered stream. */
struct qgroup {
	char		*live;
	struct qfile	*f;
	size_t		 nf;
	size_t		 cur;		/* the file being read */
	gzFile		 gz;
	int		 gz_live;	/* gz reads the live file */
	char		*wb;		/* or a whole .gz, inflated at once */
	size_t		 wcap, wlen, woff;
	int		 whole;		/* wb holds the file being read */
	struct qprefetch pf;
	char		*buf;
	size_t		 cap, len, off;
	uint64_t	 lineno;
	const char	*line;		/* the current event (in buf) */
	size_t		 linelen;
	int64_t		 us;
	char		 rtext[40];	/* the received text us was read from */
	size_t		 rlen;		/* (0: none) */
	json_t		*obj;		/* it decoded, or NULL */
	int		 bad;		/* it is not JSON */
	int		 scanned;	/* sp holds its early keys... */
	int		 scan_ok;	/* ...if it is of the writer's form */
	struct storeidx_span sp[EXPR_K_MESSAGE + 1];
	struct expr_json j;
	int		 done;
	/* -f: the live file held open */
	dev_t		 dev;
	ino_t		 ino;
	int		 seen;		/* dev/ino are set */
	time_t		 last_sec;	/* -f: the newest rotated name seen */
	unsigned	 last_idx;
};

struct query {
	const char	*config;
	char		*tmpl;		/* [storage] path */
	int		 templated;
	struct expr	*ex;
	int64_t		 since, until;
	struct expr_key	*cb[COUNT_BY_MAX];
	size_t		 ncb;
	int64_t		 bucket_us;
	uint64_t	 last_n;
	int		 n_set;
	int		 follow, text, text_set, strict, stats;
	int		 cb_decode;	/* a --count-by key needs decoding */
	const char	*req_host, *req_class;	/* from --where X=V */
	char		*needle[EXPR_K__COUNT];	/* "KEY":"V" every match has */
	size_t		 nneedle;
	struct qgroup	*g;
	size_t		 ng;
	size_t		 old_ng;	/* -f's rescan: groups known */
	struct qgroup	**heap;
	/* query_gz.c: the whole .gz files and the worker inflating ahead */
	struct qinflater inf, pf_inf;
	size_t		 wbytes;	/* the groups' wcap and pf.cap */
	pthread_t	 pf_thread;
	pthread_mutex_t	 pf_mu;
	pthread_cond_t	 pf_cv;		/* a job queued, or quit */
	pthread_cond_t	 pf_done;	/* a job done */
	struct qgroup	**pf_ring;	/* the groups queued */
	size_t		 pf_head, pf_n;
	int		 pf_started, pf_failed, pf_quit;
	size_t		 nheap;
	char		**ring;		/* -n: the last N lines */
	uint64_t	 nring;
	json_t		*counts;
	struct abuf	 out;
	/* replay: every event that passes, as its stored line, to sink */
	void		(*sink)(void *arg, const char *line, size_t len);
	void		*sink_arg;
	uint64_t	 files, opened, skipped, lines, bad, matched, reported;
};

/* A skipped line (line > 0) or file, named on stderr (the first
 * REPORT_MAX), and counted. */
void	 query_files_report(struct query *, const char *path, uint64_t line,
	    const char *what);
/* Find every file of the store (q->tmpl) into q->g; 0 or -1. */
int	 query_files_scan(struct query *);
/* -f: a template's tree again, for live paths not known yet.  0 or -1. */
int	 query_files_rescan(struct query *);
/* The next line of g (g->line, g->linelen, g->lineno), opening its files
 * in turn; 1, or 0 when they are done (-f: at the live file's end, which
 * stays open). */
int	 query_files_next_line(struct query *, struct qgroup *);
/* Whether rotated file f must be read: no index, or one that allows it
 * (read once). */
int	 query_files_wanted(struct query *, struct qfile *f);
/* The .gz open at fd (g's file g->cur) inflated whole into g->wb (read
 * ahead, or now); 0, or -1: read it through zlib (fd's offset is 0). */
int	 query_gz_take(struct query *, struct qgroup *g, int fd);
/* Not -f: g's next .gz to be read and inflated by the worker thread
 * (started here the first time). */
void	 query_gz_ahead(struct query *, struct qgroup *g);
/* g's files are done: its buffers given back. */
void	 query_gz_done(struct query *, struct qgroup *g);
/* The worker stopped and joined, every buffer freed; before the groups
 * are freed. */
void	 query_gz_stop(struct query *);
/* -f: g's list ends with its live file (which may not exist yet). */
int	 query_files_ensure_live(struct query *, struct qgroup *);
/* -f: note the newest rotated name of g's list. */
void	 query_files_note_newest(struct qgroup *);
/* -f: g's live file was renamed: list what came since (see the file). */
void	 query_files_catch_up(struct query *, struct qgroup *);

/* The --since (ch 'S') or --until (ch 'U') TIME of the command cmd
 * (RFC 3339, a date, now, -2h) into *since or *until; 0, or -1 said on
 * stderr. */
int	 query_time_opt(const char *cmd, int ch, const char *arg,
	    int64_t *since, int64_t *until);
/* replay: every event of the store q->tmpl between q->since and q->until
 * (q->ex filters), in received-time order, to q->sink; 0, or -1 (the store
 * cannot be read, or ENOMEM). */
int	 query_walk(struct query *);
/* Free what q holds (not q). */
void	 query_free(struct query *);

#endif
