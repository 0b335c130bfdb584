/*
 * alerter_int.h: what alerter.c (rules, groups, the file) shares with
 * alert_config.c (the keys of [alert NAME]) and alert_format.c (escaping,
 * the text and JSON alert lines).  Private to those three files.
 */
#ifndef ALERTER_INT_H
#define ALERTER_INT_H

#include <sys/queue.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct classifier;
struct conf_sect;
struct config;

#define KEY_MAX		512		/* group key bytes kept (see key_eq) */
#define MAX_GROUPS	1000000
#define RING_BUDGET	(1ULL << 26)	/* threshold x groups: 512 MiB */

enum alert_type {
	AT_THRESHOLD,
	AT_ABSENCE
};

#define EVTIME_SLOTS	4	/* time = event: times kept per threshold */

enum groupby {
	GB_NONE,
	GB_HOST,
	GB_SOURCE,
	GB_APP,
	GB_FIELD
};

struct group {
	struct group	*hnext;		/* hash chain */
	TAILQ_ENTRY(group) lru;		/* LRU list, head is newest */
	uint64_t	 hash;		/* of the whole key */
	int64_t		 last_us;	/* last event seen (wall, written) */
	int64_t		 last_mono;	/* the same, monotonic us */
	int64_t		 quiet_until;	/* suppressed before this (mono us) */
	int64_t		 wm;		/* time = event: newest event time */
	int64_t		*ring;		/* receive times (mono us), oldest at
					 * head; time = event: sorted event
					 * times */
	uint32_t	 cap;
	uint32_t	 n;
	uint32_t	 head;
	uint32_t	 keylen;	/* whole key, tag byte included */
	char		 key[];		/* tag, then up to KEY_MAX bytes */
};

struct rule {
	char			*name;
	char			*cls;
	int			 cls_id;
	uint32_t		 threshold;
	int64_t			 window_us;
	int64_t			 suppress_us;
	char			 window[24];
	int			 gb;		/* enum groupby */
	char			*gbkey;		/* "source", "field.user" */
	int			 type;		/* enum alert_type */
	int			 evtime;	/* time = event */
	int64_t			 lateness_us;	/* allowed_lateness */
	char			*exec;		/* program, or NULL */
	int64_t			 exec_timeout_us;
	int			 journal;	/* journal = yes */
	size_t			 max_groups;
	struct group		**tab;
	size_t			 nbuckets;	/* power of two */
	size_t			 ngroups;
	TAILQ_HEAD(grouplru, group) lru;	/* newest first */
	_Atomic uint64_t	 fired;
	_Atomic uint64_t	 suppressed;
	_Atomic uint64_t	 evicted;
	_Atomic uint64_t	 late;		/* time = event: too late */
	_Atomic uint64_t	 future;	/* time = event: too early */
};

/* A growable output buffer; oom set once an append failed. */
struct abuf {
	char		*p;
	size_t		 len;
	size_t		 cap;
	int		 oom;
};

/* The seconds part of a timestamp, formatted once per second. */
struct alerter_tcache {
	int64_t		 sec;
	char		 text[24];	/* "2026-11-23T20:14:15" */
};

/* One firing, as written: pointers into the rule and the batch. */
struct alerter_firing {
	int64_t		 now_us;
	const char	*alert;
	const char	*cls;
	const char	*host;		/* NULL: absent */
	size_t		 hostlen;
	const char	*gkey;		/* "source", "field.user"; NULL: none */
	const char	*gval;		/* NULL: the event lacks it */
	size_t		 gvallen;
	uint64_t	 count;
	const char	*window;	/* as conf_format_duration writes it */
	int64_t		 first_us;
	const char	*msg;
	size_t		 msglen;
	const char	*type;		/* "absence"; NULL: threshold */
};

struct alert_exec;

/* Append bytes; on ENOMEM sets b->oom and drops them. */
void	alerter_buf_put(struct abuf *b, const void *p, size_t len);
/* Append one alert line (with its newline) in the text or JSON format. */
void	alerter_line_text(struct abuf *b, struct alerter_tcache *tc,
	    const struct alerter_firing *f);
void	alerter_line_json(struct abuf *b, struct alerter_tcache *tc,
	    const struct alerter_firing *f);
/* Escape for a quoted text value (json 0) or a JSON string (json 1). */
void	alerter_escape(struct abuf *b, const char *s, size_t len, int json);

/* Children of exec outputs, at most max at once; NULL on ENOMEM. */
struct alert_exec *alert_exec_new(size_t max);
/* Set the bound again (reload). */
void	alert_exec_max(struct alert_exec *, size_t max);
/* Free the table; children still running are left to finish (their
 * deadline no longer enforced).  NULL is a no-op. */
void	alert_exec_free(struct alert_exec *);
/* Start path without a shell: json (len bytes) on stdin, the firing in
 * ALERT_* variables; never waits.  0, or -1 (counted). */
int	alert_exec_run(struct alert_exec *, const char *path,
	    int64_t timeout_us, const char *json, size_t len,
	    const struct alerter_firing *f);
/* Reap children that ended; kill those past their deadline.  No wait. */
void	alert_exec_reap(struct alert_exec *);
/* Children running now. */
size_t	alert_exec_running(const struct alert_exec *);
/* One journal entry for the firing; text is the alert line (MESSAGE=).
 * 0, or -1 (counted). */
int	alert_journal(const struct alerter_firing *f, const char *text,
	    size_t textlen);

/* Defaults and keys of [alert NAME] s into rules[n] (the caller counts it
 * in, also on failure, so it is freed); 0, -1 config error, -2 ENOMEM. */
int	alerter_conf_rule(struct config *cf, const struct classifier *cl,
	    struct rule *rules, size_t n, const struct conf_sect *s);

#endif
