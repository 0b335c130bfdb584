/*
 * alert_format.c: the alert line, text or JSON.  Everything taken from an
 * event is escaped so that the alerts file never holds a raw control byte
 * (C0, DEL, C1), an ANSI escape or a bidi override: `tail -F` in a terminal
 * shows what was sent, and cannot be steered by it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerter_int.h"

static const char hexdig[] = "0123456789abcdef";

void
alerter_buf_put(struct abuf *b, const void *p, size_t len)
{
	size_t	 cap;
	char	*n;

	if (b->oom)
		return;
	if (b->len + len > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len)
			cap *= 2;
		if ((n = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = n;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void
put_str(struct abuf *b, const char *s)
{
	alerter_buf_put(b, s, strlen(s));
}

/* "\xNN", "\u00NN" or "\udcNN" style: prefix then two hex digits. */
static void
put_hex(struct abuf *b, const char *prefix, unsigned v)
{
	char	 t[8];
	size_t	 n = strlen(prefix);

	memcpy(t, prefix, n);
	t[n] = hexdig[(v >> 4) & 0xf];
	t[n + 1] = hexdig[v & 0xf];
	alerter_buf_put(b, t, n + 2);
}

static void
put_u4(struct abuf *b, unsigned cp)
{
	put_hex(b, "\\u", cp >> 8);
	put_hex(b, "", cp & 0xff);
}

/* Length of the valid UTF-8 sequence at s (2..4), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t left, unsigned *cp)
{
	unsigned	 c = s[0], lo = 0x80, hi = 0xbf;
	size_t		 n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (c == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (c == 0xf0)
		lo = 0x90;		/* overlong */
	else if (c == 0xf4)
		hi = 0x8f;		/* past U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	*cp = c & (0xff >> (n + 1));
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return n;
}

/* C1 controls and the bidi controls that can reorder what a terminal or
 * editor shows: embeddings, overrides, isolates and the marks. */
static int
hidden_cp(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c || cp == 0x200e ||
	    cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

void
alerter_escape(struct abuf *b, const char *s, size_t len, int json)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, run, n;
	unsigned		 cp;

	while (i < len) {
		for (run = i; run < len && p[run] >= 0x20 && p[run] < 0x7f &&
		    p[run] != '"' && p[run] != '\\'; run++)
			;
		alerter_buf_put(b, p + i, run - i);
		if ((i = run) >= len)
			break;
		if (p[i] == '"' || p[i] == '\\') {
			alerter_buf_put(b, "\\", 1);
			alerter_buf_put(b, p + i++, 1);
		} else if (p[i] < 0x80) {
			put_hex(b, json ? "\\u00" : "\\x", p[i++]);
		} else if ((n = utf8_len(p + i, len - i, &cp)) == 0) {
			put_hex(b, json ? "\\udc" : "\\x", p[i++]);
		} else if (hidden_cp(cp)) {
			put_u4(b, cp);
			i += n;
		} else {
			alerter_buf_put(b, p + i, n);
			i += n;
		}
	}
}

/*
 * " key=value" (or " value" without a key): bare when escaping changes
 * nothing and it holds no space or '=', else double-quoted.  Escape first,
 * then drop the opening quote if it was not needed.
 */
static void
put_text_value(struct abuf *b, const char *key, const char *s, size_t len)
{
	size_t	 at;

	alerter_buf_put(b, " ", 1);
	if (key != NULL) {
		put_str(b, key);
		alerter_buf_put(b, "=", 1);
	}
	alerter_buf_put(b, "\"", 1);
	at = b->len;
	alerter_escape(b, s, len, 0);
	if (!b->oom && len > 0 && b->len - at == len &&
	    memchr(s, ' ', len) == NULL && memchr(s, '=', len) == NULL) {
		memmove(b->p + at - 1, b->p + at, len);
		b->len--;
		return;
	}
	alerter_buf_put(b, "\"", 1);
}

static void
put_u64(struct abuf *b, uint64_t v)
{
	char	 t[24];
	size_t	 i = sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	alerter_buf_put(b, t + i, sizeof(t) - i);
}

/* "YYYY-MM-DDTHH:MM:SS" of a time in µs; gmtime_r once per second. */
static const char *
secs(struct alerter_tcache *tc, int64_t us)
{
	struct tm	 tm;
	time_t		 t;

	t = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
	if (t == tc->sec && tc->text[0] != '\0')
		return tc->text;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(tc->text, sizeof(tc->text), "%Y-%m-%dT%H:%M:%S",
	    &tm) == 0)
		strcpy(tc->text, "1970-01-01T00:00:00");
	tc->sec = t;
	return tc->text;
}

/* Now, with milliseconds; first, whole seconds (as SPEC shows them). */
static void
put_times(struct abuf *b, struct alerter_tcache *tc,
    const struct alerter_firing *f, int which)
{
	struct alerter_tcache	 tmp;
	char			 ms[6];
	int64_t			 frac;

	if (which == 0) {
		put_str(b, secs(tc, f->now_us));
		frac = ((f->now_us % 1000000) + 1000000) % 1000000 / 1000;
		ms[0] = '.';
		ms[1] = (char)('0' + frac / 100);
		ms[2] = (char)('0' + frac / 10 % 10);
		ms[3] = (char)('0' + frac % 10);
		ms[4] = 'Z';
		alerter_buf_put(b, ms, 5);
	} else {
		tmp.sec = 0;
		tmp.text[0] = '\0';
		put_str(b, secs(&tmp, f->first_us));
		alerter_buf_put(b, "Z", 1);
	}
}

void
alerter_line_text(struct abuf *b, struct alerter_tcache *tc,
    const struct alerter_firing *f)
{
	put_times(b, tc, f, 0);
	put_str(b, " ALERT");
	put_text_value(b, NULL, f->alert, strlen(f->alert));
	put_text_value(b, "class", f->cls, strlen(f->cls));
	if (f->host != NULL)
		put_text_value(b, "host", f->host, f->hostlen);
	if (f->gkey != NULL && f->gval != NULL)
		put_text_value(b, f->gkey, f->gval, f->gvallen);
	put_str(b, " count=");
	put_u64(b, f->count);
	put_str(b, " window=");
	put_str(b, f->window);
	put_str(b, " first=\"");
	put_times(b, tc, f, 1);
	put_str(b, "\" msg=\"");
	alerter_escape(b, f->msg, f->msglen, 0);
	put_str(b, "\"\n");
}

static void
put_json_str(struct abuf *b, const char *key, const char *s, size_t len)
{
	alerter_buf_put(b, ",\"", 2);
	alerter_escape(b, key, strlen(key), 1);
	alerter_buf_put(b, "\":\"", 3);
	alerter_escape(b, s, len, 1);
	alerter_buf_put(b, "\"", 1);
}

void
alerter_line_json(struct abuf *b, struct alerter_tcache *tc,
    const struct alerter_firing *f)
{
	put_str(b, "{\"time\":\"");
	put_times(b, tc, f, 0);
	alerter_buf_put(b, "\"", 1);
	put_json_str(b, "alert", f->alert, strlen(f->alert));
	put_json_str(b, "class", f->cls, strlen(f->cls));
	if (f->host != NULL)
		put_json_str(b, "host", f->host, f->hostlen);
	if (f->gkey != NULL && f->gval != NULL)
		put_json_str(b, f->gkey, f->gval, f->gvallen);
	put_str(b, ",\"count\":");
	put_u64(b, f->count);
	put_json_str(b, "window", f->window, strlen(f->window));
	put_str(b, ",\"first\":\"");
	put_times(b, tc, f, 1);
	alerter_buf_put(b, "\"", 1);
	put_json_str(b, "msg", f->msg, f->msglen);
	put_str(b, "}\n");
}
