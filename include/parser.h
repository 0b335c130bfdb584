/*
 * parser.h: the first stage.  Reads each event's raw text (RFC 5424, RFC 3164,
 * a JSON object, logfmt or plain text, detected per event) into the fields of
 * its struct logrec.  The parser keeps no state but a cached UTC offset.
 */
#ifndef PARSER_H
#define PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "logrec.h"

/* Parse r->raw (bytes in b's arena) into r's fields.  Never rejects an event: what it cannot parse becomes LRF_PLAIN with message = the whole raw text.  0, or -1 on ENOMEM only. */
int	parser_parse(struct lsbatch *b, struct logrec *r);
/* Parse every record of the batch not flagged LR_DROP or LR_PARSED. */
void	parser_process(struct lsbatch *b);

#ifdef PARSER_INTERNAL
/*
 * Shared by daemon/parse*.c and the unit test only.  Each format parser gets
 * the raw bytes s[0..len) (stable: parser_parse reserved raw.len + 256 bytes
 * of arena, and parsers other than JSON never append more than that; see
 * parser_tail) and returns 1 (parsed), 0 (not this format) or -1 (ENOMEM).
 * On 0 or -1 the caller rolls back the arena and the fields.
 */

/* Flags for parser_rfc3339. */
#define PARSER_TS_NOZONE	0x01	/* no offset: read as local time */
#define PARSER_TS_SPACE		0x02	/* ' ' may separate date and time */

/* RFC 5424 from pos, the "1 " after "<PRI>". */
int	parser_rfc5424(struct lsbatch *, struct logrec *, const char *,
	    size_t, size_t pos, int pri);
/* RFC 3164 / BSD from pos (after "<PRI>", or 0 when pri is -1). */
int	parser_rfc3164(struct lsbatch *, struct logrec *, const char *,
	    size_t, size_t pos, int pri);
/* A JSON object (jansson); appends freely. */
int	parser_json(struct lsbatch *, struct logrec *, const char *, size_t);
/* key=value logfmt. */
int	parser_logfmt(struct lsbatch *, struct logrec *, const char *, size_t);

/* RFC 3339 timestamp at s: bytes used (>0) and *us, *prec; or -1. */
int	parser_rfc3339(const char *, size_t, int flags, int64_t *us,
	    uint8_t *prec);
/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t	parser_days(int64_t y, int m, int d);
/* Local UTC offset in seconds at utc_sec; cached per minute, per thread. */
long	parser_tzoff(int64_t utc_sec);
/* Forget the cached offset (after tzset(), for SIGHUP and tests). */
void	parser_tzflush(void);
/* Fraction digits at s: bytes used, *us (µs) and *prec (digits kept). */
size_t	parser_fraction(const char *, size_t, int64_t *us, uint8_t *prec);

/*
 * The free arena space at the end of the batch for n more bytes, or NULL
 * when the reservation made by parser_parse would be exceeded (never, by
 * the invariant above).  Commit with parser_commit after writing.
 */
char	*parser_tail(struct lsbatch *, size_t n);
/* Make the n bytes written at parser_tail part of the arena; fills *out. */
void	parser_commit(struct lsbatch *, size_t n, struct lsslice *out);
/* A slice of raw text s, which starts at arena offset base. */
struct lsslice parser_slice(uint32_t base, size_t off, size_t len);

/* Well-known JSON/logfmt keys (SPEC "Stored event"). */
enum parser_wk {
	PWK_NONE = 0,
	PWK_HOST,
	PWK_APP,
	PWK_MESSAGE,
	PWK_SEVERITY,
	PWK_TIME,
	PWK_FACILITY,
	PWK_PID,
	PWK_MSGID,
	PWK_LOG			/* Docker json-file: message if no msg */
};

/* Which well-known slot a key names (exact case), or PWK_NONE. */
enum parser_wk parser_wellknown(const char *, size_t);
/* A time value given as text: RFC 3339 or epoch seconds/ms; 0 or -1. */
int	parser_time_text(const char *, size_t, int64_t *us, uint8_t *prec);
/* A time given as epoch seconds, or ms when > 1e11; 0 or -1. */
int	parser_time_number(double, int isint, int64_t *us, uint8_t *prec);
#endif

#endif
