/*
 * parse_rfc3164.c: BSD syslog (RFC 3164) as real senders write it: optional
 * PRI, a BSD or RFC 3339 timestamp, optional HOST, optional TAG[PID]: and
 * the message; also Cisco IOS sequence numbers and %FAC-SEV-MNEMONIC.  One
 * pass, no allocation; every slice points into raw and no byte is lost.
 */
#include <string.h>

#define PARSER_INTERNAL
#include "parser.h"

#define US_PER_SEC	1000000LL
#define DAY		86400LL
#define FUTURE_MAX	(31 * DAY)	/* a clock this far ahead is last year */
#define PAST_MAX	(334 * DAY)	/* this far back is next year */

struct bsdtime {
	int	 year;			/* 0: infer */
	int	 mon, day, h, m, s;
	int64_t	 frac;
	uint8_t	 prec;
};

static int
isdig(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
num2(const char *s)
{
	if (!isdig(s[0]) || !isdig(s[1]))
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* "Jan".."Dec" in any case: 1..12, or 0. */
static int
month(const char *s)
{
	static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	char	 m[3];
	int	 i;

	for (i = 0; i < 3; i++)
		m[i] = (char)(s[i] | 0x20);
	for (i = 0; i < 12; i++)
		if (memcmp(names + i * 3, m, 3) == 0)
			return i + 1;
	return 0;
}

/* "hh:mm:ss[.frac]" at s: bytes used, or -1. */
static int
clock_time(const char *s, size_t len, struct bsdtime *t)
{
	size_t	 n = 8;

	if (len < 8 || s[2] != ':' || s[5] != ':')
		return -1;
	t->h = num2(s);
	t->m = num2(s + 3);
	t->s = num2(s + 6);
	if (t->h < 0 || t->h > 23 || t->m < 0 || t->m > 59 || t->s < 0 ||
	    t->s > 60)
		return -1;
	if (n + 1 < len && s[n] == '.' && isdig(s[n + 1]))
		n += 1 + parser_fraction(s + n + 1, len - n - 1, &t->frac,
		    &t->prec);
	return (int)n;
}

/* "Mmm dd [yyyy ]hh:mm:ss[.frac]", day padded or not: bytes used, or -1. */
static int
bsd_time(const char *s, size_t len, struct bsdtime *t)
{
	size_t	 p;
	int	 n;

	memset(t, 0, sizeof(*t));
	if (len < 14 || s[3] != ' ' || (t->mon = month(s)) == 0)
		return -1;
	p = 4;
	if (s[p] == ' ')
		p++;
	if (!isdig(s[p]))
		return -1;
	t->day = s[p++] - '0';
	if (isdig(s[p]))
		t->day = t->day * 10 + (s[p++] - '0');
	if (t->day < 1 || t->day > 31 || p >= len || s[p++] != ' ')
		return -1;
	/* Cisco "service timestamps ... year": "Mar  1 2026 00:00:31". */
	if (p + 5 < len && isdig(s[p]) && isdig(s[p + 1]) && isdig(s[p + 2]) &&
	    isdig(s[p + 3]) && s[p + 4] == ' ') {
		t->year = num2(s + p) * 100 + num2(s + p + 2);
		p += 5;
	}
	if ((n = clock_time(s + p, len - p, t)) == -1)
		return -1;
	return (int)p + n;
}

/* The civil year of a day number (Hinnant's civil_from_days). */
static int64_t
year_of(int64_t z)
{
	int64_t	 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return yoe + era * 400 + (mp >= 10);
}

/* The year that puts the local time nearest to, not far after, receipt. */
static int64_t
bsd_utc(const struct bsdtime *t, int64_t received_us)
{
	int64_t	 now, local, tod, y, civ;
	long	 off;

	now = received_us / US_PER_SEC;
	off = parser_tzoff(now);
	tod = t->h * 3600 + t->m * 60 + t->s;
	if ((y = t->year) == 0) {
		civ = now + off;
		y = year_of(civ >= 0 ? civ / DAY : (civ - DAY + 1) / DAY);
		local = parser_days(y, t->mon, t->day) * DAY + tod;
		if (local - (now + off) > FUTURE_MAX)
			y--;
		else if ((now + off) - local > PAST_MAX)
			y++;
	}
	local = parser_days(y, t->mon, t->day) * DAY + tod;
	return (local - off) * US_PER_SEC + t->frac;
}

/* A timestamp at s[p]: bytes used (r's time set), or 0 when none. */
static size_t
timestamp(struct logrec *r, const char *s, size_t len, size_t p)
{
	struct bsdtime	 t;
	int		 n;

	if (p < len && isdig(s[p])) {
		n = parser_rfc3339(s + p, len - p, PARSER_TS_NOZONE,
		    &r->time_us, &r->time_prec);
		return n > 0 ? (size_t)n : 0;
	}
	if ((n = bsd_time(s + p, len - p, &t)) == -1)
		return 0;
	r->time_us = bsd_utc(&t, r->received_us);
	r->time_prec = t.prec;
	return (size_t)n;
}

/* Cisco "123: " sequence number at s[p]: its length with ": ", or 0. */
static size_t
cisco_seq(const char *s, size_t len, size_t p)
{
	size_t	 q;

	for (q = p; q < len && q - p < 10 && isdig(s[q]); q++)
		;
	if (q == p || q + 1 >= len || s[q] != ':' || s[q + 1] != ' ')
		return 0;
	return q + 2 - p;
}

static int
add_seq(struct lsbatch *b, struct logrec *r, size_t p, size_t n)
{
	struct lsfield	*f;
	char		*k;

	if ((k = parser_tail(b, 9)) == NULL)
		return -1;
	memcpy(k, "cisco_seq", 9);
	if ((f = lsbatch_add_field(b)) == NULL)
		return -1;
	parser_commit(b, 9, &f->key);
	f->val = parser_slice(r->raw.off, p, n);
	f->type = LSFT_NUMBER;
	return 0;
}

/*
 * Cisco "show-timezone": " UTC:" or " CET:" after the time.  Returns the
 * bytes up to the ':', or 0.  UTC and GMT undo the local-time reading of a
 * BSD timestamp; other names cannot be trusted and leave it local.
 */
static size_t
zone_name(struct logrec *r, const char *s, size_t len, size_t q, int bsd)
{
	size_t	 e;

	if (q >= len || s[q] != ' ')
		return 0;
	for (e = q + 1; e < len && e - q <= 5 && s[e] >= 'A' && s[e] <= 'Z';
	    e++)
		;
	if (e - q < 3 || e >= len || s[e] != ':')
		return 0;
	if (bsd && e - q == 4 && (memcmp(s + q + 1, "UTC", 3) == 0 ||
	    memcmp(s + q + 1, "GMT", 3) == 0))
		r->time_us += (int64_t)parser_tzoff(r->received_us /
		    US_PER_SEC) * US_PER_SEC;
	return e - q;
}

/*
 * The timestamp, after an optional Cisco sequence number and '*' or '.'
 * (clock not synchronised).  Returns the position after it and its
 * separator, or 0 when there is none.  *cisco: it ended with ':'.
 */
static size_t
header_time(struct lsbatch *b, struct logrec *r, const char *s, size_t len,
    size_t p, int *cisco)
{
	size_t	 seq, q, n;
	int	 bsd;

	seq = cisco_seq(s, len, p);
	q = p + seq;
	if (q < len && (s[q] == '*' || s[q] == '.'))
		q++;
	bsd = q < len && !isdig(s[q]);
	if ((n = timestamp(r, s, len, q)) == 0) {
		r->time_us = LR_NOTIME;
		r->time_prec = 0;
		return 0;
	}
	q += n;
	q += zone_name(r, s, len, q, bsd);
	*cisco = q < len && s[q] == ':';
	/* Without memory for the field, the sequence number stays in text. */
	if ((q < len && s[q] != ' ' && !*cisco) ||
	    (seq > 0 && add_seq(b, r, p, seq - 2) == -1)) {
		r->time_us = LR_NOTIME;
		r->time_prec = 0;
		return 0;
	}
	if (*cisco)
		q++;
	while (q < len && s[q] == ' ')
		q++;
	return q;
}

/* TAG[PID]: or TAG: or TAG[PID] in token s[p..e); sets app and pid. */
static int
tag(struct logrec *r, const char *s, size_t p, size_t e)
{
	const char	*ob, *cb;
	uint32_t	 base = r->raw.off;

	if (p == e || s[p] == '[' || s[p] == '%' || s[p] == ':')
		return -1;
	if ((ob = memchr(s + p, '[', e - p)) == NULL) {
		if (s[e - 1] != ':')
			return -1;
		r->app = parser_slice(base, p, e - 1 - p);
		return 0;
	}
	if ((cb = memchr(ob, ']', (size_t)(s + e - ob))) == NULL)
		return -1;
	if (cb + 1 != s + e && !(cb + 2 == s + e && cb[1] == ':'))
		return -1;
	r->app = parser_slice(base, p, (size_t)(ob - s) - p);
	r->pid = parser_slice(base, (size_t)(ob + 1 - s), (size_t)(cb - ob - 1));
	return 0;
}

static size_t
token_end(const char *s, size_t len, size_t p)
{
	const char	*e = memchr(s + p, ' ', len - p);

	return e == NULL ? len : (size_t)(e - s);
}

/* Cisco "%FAC-SEV-MNEMONIC:" at s[p] becomes msgid; message keeps it. */
static void
mnemonic(struct logrec *r, const char *s, size_t len, size_t p)
{
	size_t	 e = token_end(s, len, p);

	if (e - p > 2 && s[p] == '%' && s[e - 1] == ':' &&
	    memchr(s + p, '-', e - p) != NULL)
		r->msgid = parser_slice(r->raw.off, p + 1, e - p - 2);
}

/* HOST and TAG after the timestamp; returns where the message starts. */
static size_t
host_tag(struct logrec *r, const char *s, size_t len, size_t p)
{
	size_t	 e;

	if (p >= len)
		return p;
	e = token_end(s, len, p);
	if (s[e - 1] != ':' && memchr(s + p, '[', e - p) == NULL &&
	    s[p] != '%') {
		r->host = parser_slice(r->raw.off, p, e - p);
		for (p = e; p < len && s[p] == ' '; p++)
			;
		if (p >= len)
			return p;
		e = token_end(s, len, p);
	}
	if (tag(r, s, p, e) == -1)
		return p;
	return e < len ? e + 1 : e;
}

/*
 * No timestamp after the PRI: "<12>myapp: text" or "<12>myapp[123]: text"
 * (Python's SysLogHandler, busybox and small devices send no time and no
 * host).  Like rsyslog, read a first word that ends in ':' as the TAG.
 */
static size_t
notime_tag(struct logrec *r, const char *s, size_t len, size_t p)
{
	size_t	 e;

	if (p >= len || s[p] == ' ')
		return p;
	e = token_end(s, len, p);
	if (s[e - 1] != ':' || tag(r, s, p, e) == -1)
		return p;
	return e < len ? e + 1 : e;
}

/* [timestamp [host] [tag[pid]:]] message after an optional PRI. */
int
parser_rfc3164(struct lsbatch *b, struct logrec *r, const char *s,
    size_t len, size_t pos, int pri)
{
	size_t	 p;
	int	 cisco = 0;

	p = header_time(b, r, s, len, pos, &cisco);
	if (p == 0) {
		if (pri == -1)
			return 0;
		p = notime_tag(r, s, len, pos);
	} else if (!cisco)
		p = host_tag(r, s, len, p);
	if (p < len)
		mnemonic(r, s, len, p);
	r->message = parser_slice(r->raw.off, p, len - p);
	r->format = LRF_RFC3164;
	if (pri >= 0) {
		r->facility = (int8_t)(pri / 8);
		r->severity = (int8_t)(pri % 8);
	}
	return 1;
}
