/*
 * jsonenc.c: JSON output without jansson on the hot path.  A 256-entry table
 * says which bytes can be copied as they are; runs of those are copied with
 * one pass that copies as it scans.  Timestamps are formatted with integer
 * math only.
 */
#include <stdlib.h>
#include <string.h>

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

/*
 * Eight bytes at a time: nonzero when one of them is not copied as it is
 * (below 0x20, '"', '\\', DEL, or 0x80 and up).  The tests are exact for
 * "any byte": a borrow only spreads past a byte that matched.
 */
#define ONES		0x0101010101010101ULL
#define HIGHS		0x8080808080808080ULL
#define HASZERO(x)	(((x) - ONES) & ~(x) & HIGHS)
static inline uint64_t
swar_special(uint64_t x)
{
	return (((x - ONES * 0x20) & ~x) | HASZERO(x ^ (ONES * '"')) |
	    HASZERO(x ^ (ONES * '\\')) | HASZERO(x ^ (ONES * 0x7f)) | x) &
	    HIGHS;
}

/* See jsonenc.h: the bytes of s, escaped, at w; copied while scanned. */
char *
jsonenc_put_body(char *w, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n;
	unsigned char		 c;
	uint64_t		 x;

	while (i < len) {
		if (i + 8 <= len) {
			memcpy(&x, p + i, 8);
			if (swar_special(x) == 0) {
				memcpy(w, &x, 8);
				w += 8;
				i += 8;
				continue;
			}
		}
		if (cls[c = p[i]] == 0) {
			*w++ = (char)c;
			i++;
			continue;
		}
		if (cls[c] == 2 && (n = utf8_len(p + i, len - i)) > 0) {
			memcpy(w, p + i, n);
			w += n;
			i += n;
			continue;
		}
		*w++ = '\\';
		switch (c) {
		case '"': *w++ = '"'; break;
		case '\\': *w++ = '\\'; break;
		case '\n': *w++ = 'n'; break;
		case '\r': *w++ = 'r'; break;
		case '\t': *w++ = 't'; break;
		case '\b': *w++ = 'b'; break;
		case '\f': *w++ = 'f'; break;
		default:
			*w++ = 'u';
			if (c >= 0x80) {	/* invalid UTF-8: \udcXX */
				*w++ = 'd';
				*w++ = 'c';
			} else {
				*w++ = '0';
				*w++ = '0';
			}
			*w++ = hex[c >> 4];
			*w++ = hex[c & 0xf];
		}
		i++;
	}
	return w;
}

char *
jsonenc_put_str(char *w, const char *s, size_t len)
{
	*w++ = '"';
	w = jsonenc_put_body(w, s, len);
	*w++ = '"';
	return w;
}

int
jsonenc_body(struct obuf *o, const char *s, size_t len)
{
	if (obuf_reserve(o, JSONENC_BODY_MAX(len)) == -1)
		return -1;
	o->len = jsonenc_put_body(o->p + o->len, s, len) - o->p;
	return 0;
}

int
jsonenc_str(struct obuf *o, const char *s, size_t len)
{
	if (obuf_reserve(o, JSONENC_STR_MAX(len)) == -1)
		return -1;
	o->len = jsonenc_put_str(o->p + o->len, s, len) - o->p;
	return 0;
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

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		 era;
	unsigned	 doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static char *
put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/* "YYYY-MM-DD for a day since the epoch; 11 bytes. */
static void
format_day(int64_t days, char *p)
{
	int64_t		 y;
	unsigned	 m, d;

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999;
	*p++ = '"';
	p = put2(p, (unsigned)(y / 100));
	p = put2(p, (unsigned)(y % 100));
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	put2(p, d);
}

/*
 * No strftime or gmtime: the date is integer math, done once a day per
 * thread (the last dates are kept, four days apart at most: a line holds
 * the received date and the event's, which are often not the same day),
 * and the time of day is three divisions.
 */
#define DAY_CACHE	4
char *
jsonenc_put_time(char *w, int64_t us, int prec)
{
	static __thread int64_t	 cdays[DAY_CACHE] = { INT64_MIN, INT64_MIN,
				     INT64_MIN, INT64_MIN };
	static __thread char	 cdates[DAY_CACHE][11];
	int64_t			*cday;
	char			*cdate;
	int64_t			 sec = us / 1000000, frac = us % 1000000;
	int64_t			 days;
	char			*p = w + 11;
	unsigned		 sod, f;
	int			 i;

	if (frac < 0) {
		frac += 1000000;
		sec--;
	}
	days = sec / 86400;
	if (sec % 86400 < 0)
		days--;
	sod = (unsigned)(sec - days * 86400);
	cday = &cdays[(uint64_t)days % DAY_CACHE];
	cdate = cdates[(uint64_t)days % DAY_CACHE];
	if (days != *cday) {
		format_day(days, cdate);
		*cday = days;
	}
	memcpy(w, cdate, 11);
	*p++ = 'T';
	p = put2(p, sod / 3600);
	*p++ = ':';
	p = put2(p, sod / 60 % 60);
	*p++ = ':';
	p = put2(p, sod % 60);
	if (prec > 6)
		prec = 6;
	if (prec > 0) {
		*p++ = '.';
		f = (unsigned)frac;
		for (i = 5; i >= 0; i--) {	/* six digits, keep prec */
			p[i] = (char)('0' + f % 10);
			f /= 10;
		}
		p += prec;
	}
	*p++ = 'Z';
	*p++ = '"';
	return p;
}

int
jsonenc_time(struct obuf *o, int64_t us, int prec)
{
	if (obuf_reserve(o, JSONENC_TIME_MAX) == -1)
		return -1;
	o->len = jsonenc_put_time(o->p + o->len, us, prec) - o->p;
	return 0;
}
