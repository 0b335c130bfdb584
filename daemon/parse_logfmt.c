/*
 * parse_logfmt.c: `key=value key2="quoted value" flag` lines.  A line counts
 * only when it starts with `ident=` and tokenises as pairs to the end.  One
 * pass, no allocation: values point into raw, quoted ones with escapes are
 * decoded into the arena space reserved by parser_parse.
 */
#include <string.h>

#define PARSER_INTERNAL
#include "parser.h"

struct lctx {
	struct lsbatch	*b;
	struct logrec	*r;
	const char	*s;
	size_t		 len;
	size_t		 p;
	unsigned	 seen;		/* by enum parser_wk */
	struct lsslice	 truth;		/* "true" for bare keys, once */
};

static int
blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
ident_char(unsigned char c, int first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
		return 1;
	return !first && ((c >= '0' && c <= '9') || c == '.' || c == '@' ||
	    c == '-');
}

/* Decode \" \\ \n \t; other backslashes stay. */
static int
decode(struct lsbatch *b, const char *v, size_t n, struct lsslice *out)
{
	char	*d;
	size_t	 i, o = 0;

	if ((d = parser_tail(b, n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] == '\\' && i + 1 < n) {
			switch (v[i + 1]) {
			case '"':
			case '\\':
				d[o++] = v[++i];
				continue;
			case 'n':
				d[o++] = '\n';
				i++;
				continue;
			case 't':
				d[o++] = '\t';
				i++;
				continue;
			}
		}
		d[o++] = v[i];
	}
	parser_commit(b, o, out);
	return 0;
}

/* A quoted value from its '"'; 0 or -1 (unterminated, or no room). */
static int
quoted(struct lctx *c, struct lsslice *out)
{
	size_t	 q, start = c->p + 1;
	int	 esc = 0;

	for (q = start; q < c->len && c->s[q] != '"'; q++) {
		if (c->s[q] == '\\' && q + 1 < c->len) {
			esc = 1;
			q++;
		}
	}
	if (q >= c->len || (q + 1 < c->len && !blank(c->s[q + 1])))
		return -1;
	c->p = q + 1;
	if (!esc) {
		*out = parser_slice(c->r->raw.off, start, q - start);
		return 0;
	}
	return decode(c->b, c->s + start, q - start, out);
}

/* A well-known key's text value into its slot: 0, or 1 (not usable). */
static int
map(struct lctx *c, enum parser_wk wk, struct lsslice v)
{
	struct logrec	*r = c->r;
	const char	*t = LS_PTR(c->b, v);
	int		 x = 0;

	if (wk == PWK_NONE || wk == PWK_LOG || (c->seen & (1u << wk)))
		return 1;
	switch (wk) {
	case PWK_HOST:
		r->host = v;
		break;
	case PWK_APP:
		r->app = v;
		break;
	case PWK_MESSAGE:
		r->message = v;
		break;
	case PWK_PID:
		r->pid = v;
		break;
	case PWK_MSGID:
		r->msgid = v;
		break;
	case PWK_TIME:
		x = parser_time_text(t, v.len, &r->time_us, &r->time_prec);
		break;
	case PWK_SEVERITY:
		r->severity = (int8_t)lr_severity_parse(t, v.len);
		x = r->severity;
		break;
	case PWK_FACILITY:
		r->facility = (int8_t)lr_facility_parse(t, v.len);
		x = r->facility;
		break;
	default:
		break;
	}
	if (x == -1)
		return 1;
	c->seen |= 1u << wk;
	return 0;
}

static int
add(struct lctx *c, struct lsslice k, struct lsslice v, uint8_t type)
{
	struct lsfield	*f;

	if ((f = lsbatch_add_field(c->b)) == NULL)
		return -1;
	f->key = k;
	f->val = v;
	f->type = type;
	return 0;
}

/* One pair or bare key at c->p: 0, 1 (not logfmt) or -1 (ENOMEM). */
static int
pair(struct lctx *c)
{
	struct lsslice	 k, v;
	size_t		 start = c->p;
	char		*d;

	while (c->p < c->len && ident_char(c->s[c->p], c->p == start))
		c->p++;
	if (c->p == start)
		return 1;
	k = parser_slice(c->r->raw.off, start, c->p - start);
	if (c->p < c->len && !blank(c->s[c->p]) && c->s[c->p] != '=')
		return 1;
	if (c->p == c->len || blank(c->s[c->p])) {
		if (c->truth.len == 0) {
			if ((d = parser_tail(c->b, 4)) == NULL)
				return 1;
			memcpy(d, "true", 4);
			parser_commit(c->b, 4, &c->truth);
		}
		return add(c, k, c->truth, LSFT_BOOL);
	}
	c->p++;
	if (c->p < c->len && c->s[c->p] == '"') {
		if (quoted(c, &v) == -1)
			return 1;
	} else {
		for (start = c->p; c->p < c->len && !blank(c->s[c->p]); c->p++)
			;
		v = parser_slice(c->r->raw.off, start, c->p - start);
	}
	if (map(c, parser_wellknown(LS_PTR(c->b, k), k.len), v) == 0)
		return 0;
	return add(c, k, v, LSFT_STRING);
}

/* A whole line of logfmt pairs, or 0. */
int
parser_logfmt(struct lsbatch *b, struct logrec *r, const char *s, size_t len)
{
	struct lctx	 c;
	size_t		 q;
	int		 rc;

	memset(&c, 0, sizeof(c));
	c.b = b;
	c.r = r;
	c.s = s;
	c.len = len;
	while (c.p < len && blank(s[c.p]))
		c.p++;
	for (q = c.p; q < len && ident_char(s[q], q == c.p); q++)
		;
	if (q == c.p || q >= len || s[q] != '=')
		return 0;
	while (c.p < len) {
		if ((rc = pair(&c)) != 0)
			return rc == 1 ? 0 : -1;
		while (c.p < len && blank(s[c.p]))
			c.p++;
	}
	r->format = LRF_LOGFMT;
	return 1;
}
