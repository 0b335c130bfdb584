/*
 * parser.c: format detection and dispatch for the parser stage, and what the
 * format parsers share: PRI, RFC 3339 and epoch timestamps, days-from-civil,
 * the cached local UTC offset, arena helpers and the well-known key table.
 */
#include <math.h>
#include <string.h>
#include <time.h>

#define PARSER_INTERNAL
#include "parser.h"

#define US_PER_SEC	1000000LL
#define NOMINUTE	INT64_MIN
#define EPOCH_TEXT_MAX	1000000000000000LL	/* > any epoch ms up to 9999 */

/* The local offset is looked up at most once per minute of receipt time. */
static _Thread_local int64_t	 tz_minute = NOMINUTE;
static _Thread_local long	 tz_offset;

static int
isdig(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* n digits at s as a number, or -1. */
static int
digits(const char *s, size_t n)
{
	int	 v = 0;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (!isdig(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t	 q = a / b;

	if ((a % b) != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Days since the epoch; Howard Hinnant's days_from_civil. */
int64_t
parser_days(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = floordiv(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Local UTC offset at utc_sec, looked up again only in a new minute. */
long
parser_tzoff(int64_t utc_sec)
{
	int64_t		 m = floordiv(utc_sec, 60);
	time_t		 t = (time_t)utc_sec;
	struct tm	 tm;

	if (m == tz_minute)
		return tz_offset;
	if (localtime_r(&t, &tm) == NULL)
		tz_offset = 0;
	else
		tz_offset = tm.tm_gmtoff;
	tz_minute = m;
	return tz_offset;
}

/* Forget the cached offset, so the next event reads TZ again. */
void
parser_tzflush(void)
{
	tz_minute = NOMINUTE;
}

/* Fraction digits: all are consumed, the first six are kept. */
size_t
parser_fraction(const char *s, size_t len, int64_t *us, uint8_t *prec)
{
	size_t	 i;
	int64_t	 v = 0;
	uint8_t	 n = 0;

	for (i = 0; i < len && isdig(s[i]); i++) {
		if (n < 6) {
			v = v * 10 + (s[i] - '0');
			n++;
		}
	}
	*prec = n;
	while (n++ < 6)
		v *= 10;
	*us = v;
	return i;
}

/* "Z", "+hh:mm", "-hh:mm" or "+hhmm" at s: bytes used and *off, or -1. */
static int
zone(const char *s, size_t len, long *off)
{
	int	 h, m, n;

	if (len >= 1 && (s[0] == 'Z' || s[0] == 'z')) {
		*off = 0;
		return 1;
	}
	if (len < 5 || (s[0] != '+' && s[0] != '-'))
		return -1;
	if ((h = digits(s + 1, 2)) == -1)
		return -1;
	n = s[3] == ':' ? 4 : 3;
	if ((size_t)n + 2 > len || (m = digits(s + n, 2)) == -1)
		return -1;
	if (h > 23 || m > 59)
		return -1;
	*off = (h * 3600L + m * 60L) * (s[0] == '-' ? -1 : 1);
	return n + 2;
}

static int
month_days(int y, int m)
{
	static const int mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return mdays[m - 1];
}

/* YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm) to UTC µs (RFC 3339 5.6). */
int
parser_rfc3339(const char *s, size_t len, int flags, int64_t *us,
    uint8_t *prec)
{
	int	 y, mo, d, h, mi, sec, zn;
	size_t	 p = 19;
	int64_t	 frac = 0, t;
	long	 off;

	*prec = 0;
	if (len < 19 || s[4] != '-' || s[7] != '-' || s[13] != ':' ||
	    s[16] != ':')
		return -1;
	if (s[10] != 'T' && s[10] != 't' &&
	    !(s[10] == ' ' && (flags & PARSER_TS_SPACE)))
		return -1;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	if (y == -1 || mo < 1 || mo > 12 || d < 1 || h == -1 || h > 23 ||
	    mi == -1 || mi > 59 || sec == -1 || sec > 60 ||
	    d > month_days(y, mo))
		return -1;
	if (p < len && (s[p] == '.' || s[p] == ',')) {
		if (p + 1 >= len || !isdig(s[p + 1]))
			return -1;
		p += 1 + parser_fraction(s + p + 1, len - p - 1, &frac, prec);
	}
	t = parser_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	if ((zn = zone(s + p, len - p, &off)) == -1) {
		if (!(flags & PARSER_TS_NOZONE))
			return -1;
		off = parser_tzoff(t);
		zn = 0;
	}
	*us = (t - off) * US_PER_SEC + frac;
	return (int)p + zn;
}

/* Epoch seconds or milliseconds (a JSON number) to UTC µs. */
int
parser_time_number(double v, int isint, int64_t *us, uint8_t *prec)
{
	/* Epoch seconds up to year 9999; above 1e11 it is milliseconds. */
	if (!isfinite(v) || v < 0 || v >= 253402300800000.0)
		return -1;
	if (v > 1e11) {
		*us = (int64_t)(v * 1000.0);
		*prec = isint ? 3 : 6;
	} else {
		*us = (int64_t)llround(v * 1e6);
		*prec = isint ? 0 : 6;
	}
	return 0;
}

/* A time written as text: RFC 3339 or epoch digits, whole string. */
int
parser_time_text(const char *s, size_t len, int64_t *us, uint8_t *prec)
{
	size_t	 i, dots = 0;
	int64_t	 whole = 0, frac;
	uint8_t	 fp = 0;

	if (len >= 19 && isdig(s[0]) && s[4] == '-') {
		if (parser_rfc3339(s, len, PARSER_TS_NOZONE | PARSER_TS_SPACE,
		    &whole, &fp) != (int)len)
			return -1;
		*us = whole;
		*prec = fp;
		return 0;
	}
	/* Epoch seconds or milliseconds, with an optional fraction.  Past
	 * EPOCH_TEXT_MAX the value stays there (20 digits overflowed int64;
	 * leading zeros are fine): parser_time_number refuses it. */
	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len && isdig(s[i]); i++)
		if ((whole = whole * 10 + (s[i] - '0')) > EPOCH_TEXT_MAX)
			whole = EPOCH_TEXT_MAX;
	if (i == 0)
		return -1;
	if (i < len) {
		if (s[i] != '.' || i + 1 == len)
			return -1;
		dots = i + 1 + parser_fraction(s + i + 1, len - i - 1, &frac,
		    &fp);
		if (dots != len)
			return -1;
		return parser_time_number((double)whole + frac / 1e6, 0, us,
		    prec);
	}
	return parser_time_number((double)whole, 1, us, prec);
}

/* Room at the arena end inside the reservation, or NULL. */
char *
parser_tail(struct lsbatch *b, size_t n)
{
	if (b->used + n > b->cap)
		return NULL;
	return b->arena + b->used;
}

/* Claim n bytes written at parser_tail. */
void
parser_commit(struct lsbatch *b, size_t n, struct lsslice *out)
{
	out->off = (uint32_t)b->used;
	out->len = (uint32_t)n;
	b->used += n;
}

/* A slice into raw text that starts at arena offset base. */
struct lsslice
parser_slice(uint32_t base, size_t off, size_t len)
{
	struct lsslice	 s;

	s.off = base + (uint32_t)off;
	s.len = (uint32_t)len;
	return s;
}

static const struct {
	const char	*name;
	size_t		 len;
	enum parser_wk	 wk;
} wellknown[] = {
	{ "host", 4, PWK_HOST }, { "hostname", 8, PWK_HOST },
	{ "app", 3, PWK_APP }, { "program", 7, PWK_APP },
	{ "appname", 7, PWK_APP }, { "service", 7, PWK_APP },
	{ "msg", 3, PWK_MESSAGE }, { "message", 7, PWK_MESSAGE },
	{ "level", 5, PWK_SEVERITY }, { "severity", 8, PWK_SEVERITY },
	{ "time", 4, PWK_TIME }, { "timestamp", 9, PWK_TIME },
	{ "@timestamp", 10, PWK_TIME }, { "ts", 2, PWK_TIME },
	{ "facility", 8, PWK_FACILITY }, { "pid", 3, PWK_PID },
	{ "msgid", 5, PWK_MSGID }, { "log", 3, PWK_LOG }
};

/* The SPEC key mapping, exact case. */
enum parser_wk
parser_wellknown(const char *k, size_t len)
{
	size_t	 i;

	if (len < 2 || len > 10)
		return PWK_NONE;
	for (i = 0; i < sizeof(wellknown) / sizeof(wellknown[0]); i++)
		if (wellknown[i].len == len &&
		    memcmp(wellknown[i].name, k, len) == 0)
			return wellknown[i].wk;
	return PWK_NONE;
}

/* "<PRI>" at s: bytes used and *pri, or -1 when malformed or > 191. */
static int
pri(const char *s, size_t len, int *out)
{
	size_t	 i;
	int	 v = 0;

	for (i = 1; i < len && i <= 4 && isdig(s[i]); i++)
		v = v * 10 + (s[i] - '0');
	if (i == 1 || i > 4 || i >= len || s[i] != '>' || v > 191)
		return -1;
	*out = v;
	return (int)i + 1;
}

static void
set_plain(struct logrec *r)
{
	r->format = LRF_PLAIN;
	r->message = r->raw;
}

/* Undo what a format parser that gave up left behind. */
static void
reset(struct lsbatch *b, struct logrec *r, size_t used)
{
	b->used = used;
	b->nfields = r->field_first;
	r->time_us = LR_NOTIME;
	r->time_prec = 0;
	r->facility = r->severity = -1;
	memset(&r->host, 0, sizeof(r->host));
	r->app = r->pid = r->msgid = r->message = r->host;
}

/*
 * Try the formats in the order of the SPEC; 1, 0 (none) or -1 (ENOMEM).
 * The JSON parser may grow the arena, so s is taken again after it.
 */
static int
detect(struct lsbatch *b, struct logrec *r)
{
	const char	*s = LS_PTR(b, r->raw);
	size_t		 i, len = r->raw.len, used = b->used;
	int		 n, v, rc;

	for (i = 0; i < len && (s[i] == ' ' || s[i] == '\t' ||
	    s[i] == '\r' || s[i] == '\n'); i++)
		;
	if (i < len && s[i] == '{') {
		if ((rc = parser_json(b, r, s, len)) != 0)
			return rc;
		reset(b, r, used);
		s = LS_PTR(b, r->raw);
	}
	if (len > 0 && s[0] == '<') {
		if ((n = pri(s, len, &v)) == -1)
			return 0;
		if ((size_t)n + 1 < len && s[n] == '1' && s[n + 1] == ' ')
			return parser_rfc5424(b, r, s, len, (size_t)n, v);
		return parser_rfc3164(b, r, s, len, (size_t)n, v);
	}
	if ((rc = parser_rfc3164(b, r, s, len, 0, -1)) != 0)
		return rc;
	reset(b, r, used);
	return parser_logfmt(b, r, s, len);
}

/* Parse one record; see parser.h. */
int
parser_parse(struct lsbatch *b, struct logrec *r)
{
	size_t	 used;
	int	 rc;

	r->field_first = b->nfields;
	r->field_count = 0;
	if (lsbatch_reserve(b, (size_t)r->raw.len + 256) == -1) {
		set_plain(r);
		return -1;
	}
	used = b->used;
	rc = detect(b, r);
	if (rc != 1) {
		reset(b, r, used);
		set_plain(r);
	}
	r->field_count = b->nfields - r->field_first;
	return rc == -1 ? -1 : 0;
}

/* Parse a batch, skipping dropped records. */
void
parser_process(struct lsbatch *b)
{
	uint32_t	 i;

	for (i = 0; i < b->n; i++)
		if (!(b->recs[i].flags & (LR_DROP | LR_PARSED)))
			(void)parser_parse(b, &b->recs[i]);
}
