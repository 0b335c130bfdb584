/*
 * parse_rfc5424.c: RFC 5424 syslog (section 6), one pass over the bytes with
 * no allocation.  Header fields and undecoded SD values point into raw; SD
 * values with escapes are decoded into the arena space reserved by
 * parser_parse.  Any malformed header or SD makes the whole event plain.
 */
#include <string.h>

#define PARSER_INTERNAL
#include "parser.h"

struct cur {
	const char	*s;
	size_t		 len;
	size_t		 p;
	uint32_t	 base;		/* arena offset of s[0] */
};

/* SD-NAME: PRINTUSASCII except '=', SP, ']' and '"' (RFC 5424 6.3). */
static int
sdname_char(unsigned char c)
{
	return c > 32 && c < 127 && c != '=' && c != ']' && c != '"';
}

/* A header field and the SP after it; "-" leaves *out empty.  0 or -1. */
static int
field(struct cur *c, struct lsslice *out)
{
	size_t	 start = c->p;
	const char *e;

	if (c->p >= c->len)
		return -1;
	if ((e = memchr(c->s + c->p, ' ', c->len - c->p)) == NULL)
		return -1;
	c->p = (size_t)(e - c->s);
	if (c->p == start)
		return -1;
	if (c->p - start != 1 || c->s[start] != '-')
		*out = parser_slice(c->base, start, c->p - start);
	c->p++;
	return 0;
}

static int
timestamp(struct cur *c, struct logrec *r)
{
	int	 n;

	if (c->p + 1 < c->len && c->s[c->p] == '-' && c->s[c->p + 1] == ' ') {
		c->p += 2;
		return 0;
	}
	n = parser_rfc3339(c->s + c->p, c->len - c->p, 0, &r->time_us,
	    &r->time_prec);
	if (n == -1 || c->p + n >= c->len || c->s[c->p + n] != ' ') {
		r->time_us = LR_NOTIME;
		r->time_prec = 0;
		return -1;
	}
	c->p += n + 1;
	return 0;
}

/* A run of SD-NAME bytes; 0 or -1 when empty. */
static int
sdname(struct cur *c, struct lsslice *out)
{
	size_t	 start = c->p;

	while (c->p < c->len && sdname_char(c->s[c->p]))
		c->p++;
	if (c->p == start)
		return -1;
	*out = parser_slice(c->base, start, c->p - start);
	return 0;
}

/* Decode \" \\ \] (RFC 5424 6.3.3); other backslashes stay. */
static int
decode(struct lsbatch *b, const char *v, size_t n, struct lsslice *out)
{
	char	*d;
	size_t	 i, o = 0;

	if ((d = parser_tail(b, n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] == '\\' && i + 1 < n && (v[i + 1] == '"' ||
		    v[i + 1] == '\\' || v[i + 1] == ']'))
			i++;
		d[o++] = v[i];
	}
	parser_commit(b, o, out);
	return 0;
}

/* PARAM-VALUE after the opening quote, and the closing quote. */
static int
value(struct cur *c, struct lsbatch *b, struct lsslice *out)
{
	size_t	 q, start = c->p;
	int	 esc = 0;

	for (q = start; q < c->len && c->s[q] != '"'; q++) {
		if (c->s[q] == '\\' && q + 1 < c->len) {
			esc = 1;
			q++;
		}
	}
	if (q >= c->len)
		return -1;
	c->p = q + 1;
	if (!esc) {
		*out = parser_slice(c->base, start, q - start);
		return 0;
	}
	return decode(b, c->s + start, q - start, out);
}

static int
add_sd(struct lsbatch *b, struct lsslice id, struct lsslice key,
    struct lsslice val)
{
	struct lsfield	*f;

	if ((f = lsbatch_add_field(b)) == NULL)
		return -1;
	f->type = LSFT_SD;
	f->sdid = id;
	f->key = key;
	f->val = val;
	return 0;
}

/* One SD-ELEMENT from its '['; 0, -1 malformed, -2 ENOMEM. */
static int
element(struct cur *c, struct lsbatch *b)
{
	struct lsslice	 id, key, val;
	int		 n = 0;

	c->p++;
	if (sdname(c, &id) == -1)
		return -1;
	for (;;) {
		if (c->p >= c->len)
			return -1;
		if (c->s[c->p] == ']')
			break;
		if (c->s[c->p] != ' ')
			return -1;
		while (c->p < c->len && c->s[c->p] == ' ')
			c->p++;
		if (c->p < c->len && c->s[c->p] == ']')
			break;
		if (sdname(c, &key) == -1 || c->p + 1 >= c->len ||
		    c->s[c->p] != '=' || c->s[c->p + 1] != '"')
			return -1;
		c->p += 2;
		memset(&val, 0, sizeof(val));
		if (value(c, b, &val) == -1)
			return -1;
		if (add_sd(b, id, key, val) == -1)
			return -2;
		n++;
	}
	c->p++;
	memset(&key, 0, sizeof(key));
	if (n == 0 && add_sd(b, id, key, key) == -1)
		return -2;
	return 0;
}

/* STRUCTURED-DATA: "-" or SD-ELEMENTs; 0, -1 malformed, -2 ENOMEM. */
static int
structured(struct cur *c, struct lsbatch *b)
{
	int	 rc;

	if (c->p >= c->len)
		return -1;
	if (c->s[c->p] == '-') {
		c->p++;
		return 0;
	}
	if (c->s[c->p] != '[')
		return -1;
	while (c->p < c->len && c->s[c->p] == '[')
		if ((rc = element(c, b)) != 0)
			return rc;
	return 0;
}

/* HEADER SP STRUCTURED-DATA [SP MSG] (RFC 5424 6). */
int
parser_rfc5424(struct lsbatch *b, struct logrec *r, const char *s,
    size_t len, size_t pos, int pri)
{
	struct cur	 c;
	int		 rc;

	c.s = s;
	c.len = len;
	c.p = pos + 2;
	c.base = r->raw.off;
	if (timestamp(&c, r) == -1 || field(&c, &r->host) == -1 ||
	    field(&c, &r->app) == -1 || field(&c, &r->pid) == -1 ||
	    field(&c, &r->msgid) == -1)
		return 0;
	if ((rc = structured(&c, b)) != 0)
		return rc == -2 ? -1 : 0;
	/* RFC 5424 wants SP before MSG; senders that omit it keep their text. */
	if (c.p < len && s[c.p] == ' ')
		c.p++;
	if (len - c.p >= 3 && memcmp(s + c.p, "\xef\xbb\xbf", 3) == 0)
		c.p += 3;
	r->message = parser_slice(c.base, c.p, len - c.p);
	r->format = LRF_RFC5424;
	r->facility = (int8_t)(pri / 8);
	r->severity = (int8_t)(pri % 8);
	return 1;
}
