/*
 * jsonenc.h: a growable output buffer and a fast JSON string encoder for the
 * hot write path.  Escaping keeps every byte: control characters become
 * \uXXXX (\n \r \t \b \f short forms), valid UTF-8 passes as is, and each
 * byte of invalid UTF-8 becomes \udcXX (PEP 383 "surrogateescape"), so a
 * decoder that knows the rule gets the original bytes back.
 */
#ifndef JSONENC_H
#define JSONENC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct obuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

/* Room for n more bytes; 0 or -1 (ENOMEM). */
int	obuf_reserve(struct obuf *, size_t n);
/* Free the buffer's memory; the struct may be reused. */
void	obuf_free(struct obuf *);

static inline int
obuf_add(struct obuf *o, const void *p, size_t n)
{
	if (o->len + n > o->cap && obuf_reserve(o, n) == -1)
		return -1;
	memcpy(o->p + o->len, p, n);
	o->len += n;
	return 0;
}

/* Append a string literal (only a literal: its size is taken). */
#define OBUF_LIT(o, s)	obuf_add((o), "" s, sizeof(s) - 1)

/* Append p[0..len) as a quoted JSON string. 0 or -1. */
int	jsonenc_str(struct obuf *, const char *p, size_t len);
/* Append the string's contents only, without the quotes. 0 or -1. */
int	jsonenc_body(struct obuf *, const char *p, size_t len);
/* Append "YYYY-MM-DDThh:mm:ss[.frac]Z" (quoted) for µs since the epoch,
 * with prec fraction digits (0..6). 0 or -1. */
int	jsonenc_time(struct obuf *, int64_t us, int prec);
/*
 * The same without checks, for a caller that reserved the room (at most
 * the *_MAX bytes): each writes at w and returns the new end.
 */
#define JSONENC_BODY_MAX(len)	((size_t)(len) * 6)
#define JSONENC_STR_MAX(len)	((size_t)(len) * 6 + 2)
#define JSONENC_TIME_MAX	32
char	*jsonenc_put_body(char *w, const char *p, size_t len);
char	*jsonenc_put_str(char *w, const char *p, size_t len);
char	*jsonenc_put_time(char *w, int64_t us, int prec);
/* Append an unsigned decimal number. 0 or -1. */
int	jsonenc_uint(struct obuf *, uint64_t);

#endif
