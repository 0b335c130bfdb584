/*
 * kdec.h: a stored event's JSON line (writer_encode_json: what logstreamd
 * writes to its store and its Kafka output produces) read back into a
 * record, so a worker keeps the edge's received time, source, transport
 * and parsed fields instead of parsing the line again.
 */
#ifndef KDEC_H
#define KDEC_H

#include <stddef.h>
#include <stdint.h>

struct listener;
struct logrec;
struct lsbatch;

/* A piece of the decoded event: in the line (s + off) or, unescaped, in
 * the scratch buffer. */
struct kpiece {
	uint32_t	 off;
	uint32_t	 len;
	uint8_t		 scratch;
};

struct kfield {
	struct kpiece	 key, val, sdid;
	uint8_t		 type;		/* enum lsfield_type */
};

/* A name or time read before and what its text gave: the next line most
 * often holds the same text (kdec.c's memo: one for each time member,
 * eight names for each named one). */
#define KDEC_MEMOS	(2 + 5 * 8)
struct kmemo {
	int64_t		 v;
	uint8_t		 prec;
	uint8_t		 len;		/* 0: empty */
	char		 s[38];
};

/* The decoder's state, reused from message to message (zero it first). */
struct kdec {
	/* the event last parsed */
	int64_t		 received_us, time_us;
	uint8_t		 time_prec, transport, format, stream, flags;
	int8_t		 facility, severity;
	uint32_t	 missing;
	struct kpiece	 source, host, app, pid, msgid, message, trusted;
	int		 has_message;
	struct kfield	*fields;
	uint32_t	 nfields, capfields;
	char		*scratch;
	size_t		 slen, scap;
	struct kmemo	 memo[KDEC_MEMOS];
};

/* 1 if s[0..len) is a stored event's line (its pieces are then in d), 0
 * if it is anything else, -1 on ENOMEM. */
int		 kdec_parse(struct kdec *d, const char *s, size_t len);
/* The event kdec_parse read from s, added to the intake (s as its raw
 * text, LR_PARSED): the record, or NULL on ENOMEM (nothing added). */
struct logrec	*kdec_apply(struct kdec *d, struct listener *l, const char *s,
		    size_t len);
/* The same into batch b (replay): s copied into its arena.  The record,
 * or NULL when b is full or memory short (nothing added but arena text). */
struct logrec	*kdec_batch(struct kdec *d, struct lsbatch *b, const char *s,
		    size_t len);
/* Free what d holds (not d). */
void		 kdec_free(struct kdec *d);

#endif
