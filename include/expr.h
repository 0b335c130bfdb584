/*
 * expr.h: the filter language of `logstreamd query --where` (and of the
 * live tap): conditions FIELD=VALUE, FIELD!=VALUE, FIELD~REGEX,
 * FIELD!~REGEX and FIELD<VALUE (also <=, >, >=), all of which must hold.
 * The evaluator asks an accessor for the value of a key, so the same
 * compiled filter runs over a decoded stored event (expr_match_json) or
 * over any other view of an event that supplies the accessor.
 */
#ifndef EXPR_H
#define EXPR_H

#include <stddef.h>

#include <jansson.h>

/* Where a key lives: a stored top-level key, or a name below one. */
enum expr_space {
	EXPR_TOP,		/* host, app, class, severity... */
	EXPR_FIELD,		/* field.NAME: "fields" of the stored event */
	EXPR_TRUSTED,		/* trusted.NAME */
	EXPR_SD,		/* sd.ID.PARAM */
};

/* The top-level keys of a stored event (SPEC "Stored event"). */
enum expr_top {
	EXPR_K_RECEIVED, EXPR_K_TIME, EXPR_K_SOURCE, EXPR_K_TRANSPORT,
	EXPR_K_FORMAT, EXPR_K_FACILITY, EXPR_K_SEVERITY, EXPR_K_HOST,
	EXPR_K_APP, EXPR_K_PID, EXPR_K_MSGID, EXPR_K_CLASS, EXPR_K_MESSAGE,
	EXPR_K_TRUNCATED, EXPR_K_STREAM, EXPR_K_MISSING,
	EXPR_K__COUNT
};

/* A key as the accessor is asked for it. */
struct expr_key {
	enum expr_space	 space;
	enum expr_top	 top;		/* EXPR_TOP */
	const char	*name;		/* field/trusted name, or "ID.PARAM" */
};

/* A value handed back by an accessor: text (not NUL-terminated), valid
 * until the next call of the accessor; isnum if it is a JSON number (then
 * num holds it and s its text as well). */
struct expr_val {
	const char	*s;
	size_t		 len;
	double		 num;
	int		 isnum;
};

/* The accessor: 1 with *v filled if the event has key k, else 0 (an
 * absent key compares as the empty string). */
typedef int	(*expr_get_fn)(void *arg, const struct expr_key *k,
		    struct expr_val *v);

struct expr;

/* An empty filter (matches everything).  NULL: ENOMEM.  Caller frees. */
struct expr	*expr_new(void);
/* Add the conditions of s (one or more, joined by "&&") to e.  0, or -1
 * with a message in err: "at N: ..." (N the 1-based byte offset in s).
 * A failed call adds nothing. */
int		 expr_add(struct expr *e, const char *s, char *err,
		    size_t errlen);
/* How many conditions e holds. */
size_t		 expr_count(const struct expr *e);
/* Whether every condition holds for the event get/arg gives: 1 or 0.
 * Uses match data of e: one thread at a time per expr. */
int		 expr_match(struct expr *e, expr_get_fn get, void *arg);
/* expr_match over a decoded stored event (a JSON object). */
int		 expr_match_json(struct expr *e, const json_t *obj);
/* The value that every event matching e must have at top key k, if e
 * holds a condition k=VALUE: that VALUE (lives as long as e), else NULL.
 * (The query skips files whose index has no such value.) */
const char	*expr_required(const struct expr *e, enum expr_top k);
/* The name of top key k ("host"). */
const char	*expr_top_name(enum expr_top k);
/* The top key called name[0..len): its enum, or -1. */
int		 expr_top_parse(const char *name, size_t len);
/* The accessor over a JSON object; arg is a struct expr_json. */
struct expr_json {
	const json_t	*obj;
	char		 buf[64];	/* the text of a number */
};
int		 expr_json_get(void *arg, const struct expr_key *k,
		    struct expr_val *v);
/* The accessor over an event in flight (the tap): record r of batch b,
 * each key as the writer would store it; arg is a struct expr_logrec. */
struct lsbatch;
struct logrec;
struct expr_logrec {
	const struct lsbatch	*b;
	const struct logrec	*r;
	char			 buf[256];	/* a time, a number's text */
};
int		 expr_logrec_get(void *arg, const struct expr_key *k,
		    struct expr_val *v);
/* The key named s ("host", "field.user"), for --count-by: one
 * allocation (free() it), or NULL if s is not a key (or ENOMEM). */
struct expr_key	*expr_key_new(const char *s);
/* Free e and its regexes; NULL is a no-op. */
void		 expr_free(struct expr *e);

#endif
