/*
 * logrec.h: the one record type for an event in flight, and the batch that
 * carries a run of them through the stages.  All text of a batch lives in one
 * arena; records refer to it by offset, so the arena may grow (realloc)
 * without invalidating anything.
 */
#ifndef LOGREC_H
#define LOGREC_H

#include <stddef.h>
#include <stdint.h>

#define LR_NOTIME	INT64_MIN

/* Offset and length of a run of bytes in a batch's arena. */
struct lsslice {
	uint32_t	 off;
	uint32_t	 len;
};

enum lr_format {
	LRF_PLAIN = 0,
	LRF_RFC5424,
	LRF_RFC3164,
	LRF_JSON,
	LRF_LOGFMT,
	LRF_JOURNAL,		/* a journal entry's fields (not parsed) */
	LRF__COUNT
};

enum lr_transport {
	LRT_TCP = 0,
	LRT_UDP,
	LRT_TLS,		/* RFC 5425 */
	LRT_UNIX,		/* unix socket, datagram or stream */
	LRT_JOURNAL,		/* [input] type = journal */
	LRT_FILE,		/* [input] type = tail */
	LRT_KAFKA,		/* [input] type = kafka: a message that is
				 * not an edge's stored event */
	LRT__COUNT
};

/* Stream health marks (the streams module sets them). */
enum lr_stream {
	LRS_OK = 0,
	LRS_GAP,
	LRS_DUPLICATE,
	LRS_OUT_OF_ORDER,
	LRS_DELAYED,
	LRS__COUNT
};

/* Value types of a field; strings hold decoded bytes, the rest JSON text. */
enum lsfield_type {
	LSFT_STRING = 0,
	LSFT_NUMBER,
	LSFT_BOOL,
	LSFT_NULL,
	LSFT_JSON,		/* object or array, as compact JSON text */
	LSFT_SD			/* RFC 5424 SD-PARAM: string value, sdid set */
};

struct lsfield {
	struct lsslice	 key;
	struct lsslice	 val;
	struct lsslice	 sdid;		/* LSFT_SD only */
	uint8_t		 type;
};

#define LR_TRUNCATED	0x01		/* cut at max_message */
#define LR_DROP		0x02		/* a stage dropped it (counted there) */
#define LR_PARSED	0x04		/* its input filled it: the parser
					 * leaves it alone (journal, kafka) */
#define LR_STREAMED	0x08		/* its stream mark came with it (an
					 * edge's, through Kafka): the streams
					 * stage leaves it alone */

struct logrec {
	int64_t		 received_us;	/* wall clock at read, µs since epoch */
	int64_t		 time_us;	/* the event's own time, or LR_NOTIME */
	uint64_t	 recv_mono_ns;	/* monotonic clock at read */
	struct lsslice	 raw;		/* the frame as received */
	struct lsslice	 source;	/* "addr:port" of the peer */
	struct lsslice	 host;
	struct lsslice	 app;
	struct lsslice	 pid;
	struct lsslice	 msgid;
	struct lsslice	 message;
	struct lsslice	 trusted;	/* what the kernel or journald vouches
					 * for: a compact JSON object, stored
					 * as "trusted" (empty: none) */
	const char	*cls;		/* class name (classifier-owned), or NULL */
	uint16_t	 cls_id;	/* 0: other, 1..n: classes in file order */
	uint32_t	 field_first;	/* fields[field_first .. +field_count] */
	uint32_t	 field_count;
	uint32_t	 missing;	/* with LRS_GAP: how many */
	int8_t		 facility;	/* 0..23, or -1 */
	int8_t		 severity;	/* 0..7, or -1 */
	uint8_t		 format;	/* enum lr_format */
	uint8_t		 transport;	/* enum lr_transport */
	uint8_t		 time_prec;	/* digits of fraction in time (0..6) */
	uint8_t		 flags;		/* LR_* */
	uint8_t		 stream;	/* enum lr_stream */
};

struct lsbatch {
	struct lsbatch	*next;		/* queue and pool link */
	struct logrec	*recs;
	uint32_t	 n;
	uint32_t	 max;		/* records it may hold */
	char		*arena;
	size_t		 used;
	size_t		 cap;
	struct lsfield	*fields;
	uint32_t	 nfields;
	uint32_t	 capfields;
	int		 prepared;	/* the listener's stages ran */
	uint64_t	 no;		/* the intake's number for it: 1, 2,
					 * ... in queue order (input.h) */
	size_t		 mem_max;	/* full past this many bytes (0: never) */
	size_t		 qbytes;	/* what the queue counted at push */
};

/* Pointer to a slice's bytes; valid until the arena next grows. */
#define LS_PTR(b, s)	((b)->arena + (s).off)

/*
 * The memory a batch's events take: arena text, field records and event
 * records in use.  O(1); the queue bounds it ([queue] max_bytes).
 */
static inline size_t
lsbatch_mem(const struct lsbatch *b)
{
	return b->used + (size_t)b->nfields * sizeof(struct lsfield) +
	    (size_t)b->n * sizeof(struct logrec);
}

/* No room for another event: max records, or mem_max bytes (so one
 * batch of long lines cannot outgrow the queue's bound before a push). */
static inline int
lsbatch_full(const struct lsbatch *b)
{
	return b->n >= b->max ||
	    (b->mem_max > 0 && lsbatch_mem(b) >= b->mem_max);
}

/* The heap a batch holds, allocated but maybe unused (the pool's cost). */
size_t		 lsbatch_capmem(const struct lsbatch *);
/* A new empty batch for up to max records; NULL on ENOMEM.  Caller frees. */
struct lsbatch	*lsbatch_new(uint32_t max);
/* Free a batch and all it holds; NULL is a no-op. */
void		 lsbatch_free(struct lsbatch *);
/* Empty it for reuse; shrinks an arena that grew past its usual size. */
void		 lsbatch_reset(struct lsbatch *);
/* The same, keeping all it holds: for a batch that is refilled at once
 * (replay; a shrunk arena's pages are faulted in again at every batch). */
void		 lsbatch_clear(struct lsbatch *);
/* Make room for len more arena bytes; 0, or -1 on ENOMEM. */
int		 lsbatch_reserve(struct lsbatch *, size_t len);
/* Copy len bytes to the arena; fills *out.  0, or -1 on ENOMEM. */
int		 lsbatch_append(struct lsbatch *, const void *, size_t len,
		    struct lsslice *out);
/* A zeroed new field of the batch; valid until the next call.  NULL: ENOMEM. */
struct lsfield	*lsbatch_add_field(struct lsbatch *);
/* A zeroed new field of record r (r's fields are moved to the end of the
 * batch's list first if others follow them); valid until the next call.
 * NULL: ENOMEM (r keeps what it had). */
struct lsfield	*lsbatch_add_rec_field(struct lsbatch *, struct logrec *r);
/* The next record slot, zeroed with absent values set; NULL when full. */
struct logrec	*lsbatch_add_rec(struct lsbatch *);

/* Names, both ways.  *_name returns a static string, NULL if out of range. */
const char	*lr_severity_name(int);
const char	*lr_facility_name(int);
const char	*lr_format_name(int);
const char	*lr_transport_name(int);
const char	*lr_stream_name(int);
/* Name (with common aliases: warn, error, fatal...) or number to value; -1. */
int		 lr_severity_parse(const char *, size_t);
int		 lr_facility_parse(const char *, size_t);
int		 lr_format_parse(const char *, size_t);
int		 lr_transport_parse(const char *, size_t);
int		 lr_stream_parse(const char *, size_t);

#endif
