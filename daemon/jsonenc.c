/*
 * jsonenc.c: JSON output without jansson on the hot path.  A 256-entry table
 * says which bytes can be copied as they are; runs of those are copied with
 * one memcpy.  Timestamps format the date and time once per second and add
 * the fraction with integer math.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonenc.h"

/* 0: copy; 1: escape as a control; 2: start of a UTF-8 sequence. */
static const uint8_t cls[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* '"' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,	/* '\\' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,	/* DEL */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

static const char hex[] = "0123456789abcdef";

int
obuf_reserve(struct obuf *o, size_t n)
{
	size_t	 cap = o->cap ? o->cap : 4096;
	char	*p;

	if (o->len + n <= o->cap)
		return 0;
	while (cap < o->len + n)
		cap *= 2;
	if ((p = realloc(o->p, cap)) == NULL)
		return -1;
	o->p = p;
	o->cap = cap;
	return 0;
}

void
obuf_free(struct obuf *o)
{
	free(o->p);
	o->p = NULL;
	o->len = o->cap = 0;
}

/* Length of a valid UTF-8 sequence at p (RFC 3629), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char	 c = p[0];

	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f))
			return 0;	/* overlong, surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
			return 0;	/* overlong, past U+10FFFF */
		return 4;
	}
	return 0;
}

int
jsonenc_body(struct obuf *o, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, run, n;
	char			*w;

	/* worst case: 6 output bytes per input byte */
	if (obuf_reserve(o, len * 6) == -1)
		return -1;
	w = o->p + o->len;
	while (i < len) {
		for (run = i; run < len && cls[p[run]] == 0; run++)
			;
		memcpy(w, p + i, run - i);
		w += run - i;
		if ((i = run) == len)
			break;
		if (cls[p[i]] == 2 && (n = utf8_len(p + i, len - i)) > 0) {
			memcpy(w, p + i, n);
			w += n;
			i += n;
			continue;
		}
		*w++ = '\\';
		switch (p[i]) {
		case '"': *w++ = '"'; break;
		case '\\': *w++ = '\\'; break;
		case '\n': *w++ = 'n'; break;
		case '\r': *w++ = 'r'; break;
		case '\t': *w++ = 't'; break;
		case '\b': *w++ = 'b'; break;
		case '\f': *w++ = 'f'; break;
		default:
			*w++ = 'u';
			if (p[i] >= 0x80) {	/* invalid UTF-8: \udcXX */
				*w++ = 'd';
				*w++ = 'c';
			} else {
				*w++ = '0';
				*w++ = '0';
			}
			*w++ = hex[p[i] >> 4];
			*w++ = hex[p[i] & 0xf];
		}
		i++;
	}
	o->len = w - o->p;
	return 0;
}

int
jsonenc_str(struct obuf *o, const char *s, size_t len)
{
	if (obuf_add(o, "\"", 1) == -1 || jsonenc_body(o, s, len) == -1)
		return -1;
	return obuf_add(o, "\"", 1);
}

int
jsonenc_uint(struct obuf *o, uint64_t v)
{
	char	 buf[24], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return obuf_add(o, p, buf + sizeof(buf) - p);
}

int
jsonenc_time(struct obuf *o, int64_t us, int prec)
{
	static __thread int64_t	 cached_sec = INT64_MIN;
	static __thread char	 cached[24];
	int64_t			 sec = us / 1000000, frac = us % 1000000;
	struct tm		 tm;
	time_t			 t;
	char			 buf[40];
	int			 i, div;
	size_t			 n;

	if (frac < 0) {
		frac += 1000000;
		sec--;
	}
	if (sec != cached_sec) {
		t = (time_t)sec;
		if (gmtime_r(&t, &tm) == NULL)
			memset(&tm, 0, sizeof(tm));
		strftime(cached, sizeof(cached), "\"%Y-%m-%dT%H:%M:%S", &tm);
		cached_sec = sec;
	}
	n = strlen(cached);
	memcpy(buf, cached, n);
	if (prec > 6)
		prec = 6;
	if (prec > 0) {
		buf[n++] = '.';
		for (i = 0, div = 100000; i < prec; i++, div /= 10)
			buf[n++] = (char)('0' + (frac / div) % 10);
	}
	buf[n++] = 'Z';
	buf[n++] = '"';
	return obuf_add(o, buf, n);
}
