/*
 * parse_json.c: an event that is one JSON object.  A single-pass scanner
 * that validates RFC 8259 strictly (UTF-8 included) and fills the record
 * without a malloc: strings without escapes, numbers and literals are
 * slices of the raw text; only escaped strings and nested objects/arrays
 * (as compact JSON text) are written to the arena, never more bytes than
 * the input has, so the reservation made by parser_parse always holds.
 *
 * Well-known keys fill the record's slots when their value has a usable
 * type; every other key becomes a field with its JSON type, in the
 * object's order; a repeated key keeps its first place and its last value.
 * Anything but one object (or nested deeper than MAX_DEPTH) is left to the
 * other formats.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PARSER_INTERNAL
#include "hexval.h"
#include "parser.h"

#define MAX_DEPTH	2048	/* as jansson's parser: deeper is not JSON */
#define HASH_FROM	16	/* fields before repeated keys are hashed */

/* Slots already filled, by enum parser_wk. */
#define SEEN(wk)	(1u << (wk))

enum jkind {
	JK_STRING,
	JK_NUMBER,
	JK_INT,			/* a number without fraction or exponent */
	JK_TRUE,
	JK_FALSE,
	JK_NULL,
	JK_NESTED		/* object or array */
};

/* A scanned value: where it is in the raw text, what it is. */
struct jval {
	size_t		 off;		/* first byte (the quote of a string) */
	size_t		 end;		/* one past the last */
	enum jkind	 kind;
	int		 escaped;	/* a string with a backslash */
};

struct jp {
	const char	*s;
	size_t		 len;
	size_t		 i;
	uint32_t	 base;		/* arena offset of s */
	struct lsbatch	*b;
	struct logrec	*r;
	unsigned	 seen;
	long		 logf;		/* field index of a "log" used as message */
	struct lsslice	 logval;	/* its whole value, for the field */
	int		 logpending;	/* add_field takes logval */
	uint32_t	*htab;		/* field index + 1, or 0; see field_find */
	uint32_t	 hcap;
};

static int	value(struct jp *, struct jval *, int depth);

static void
ws(struct jp *p)
{
	while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
	    p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static long
hex4(const char *s)
{
	long	 v = 0;
	int	 i, h;

	for (i = 0; i < 4; i++) {
		if ((h = hexval((unsigned char)s[i])) == -1)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Length of the valid UTF-8 sequence at s (2..4), or 0 (as jansson). */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t	 c;
	size_t		 k, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((k == 3 && c < 0x800) || (k == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return k;
}

/*
 * The string at p->i (its opening quote): validated, and decoded to out
 * when out is not NULL (out has room for the raw length).  Returns the
 * decoded length, or -1 when it is not a JSON string.  *esc: a backslash
 * seen; *nul: a decoded NUL.
 */
static long
string(struct jp *p, char *out, int *esc, int *nul)
{
	const unsigned char	*s = (const unsigned char *)p->s;
	size_t			 i = p->i + 1, n = 0, k;
	long			 u, lo;

	*esc = *nul = 0;
	for (;;) {
		if (i >= p->len)
			return -1;
		if (s[i] == '"')
			break;
		if (s[i] < 0x20)
			return -1;
		if (s[i] < 0x80 && s[i] != '\\') {
			if (out != NULL)
				out[n] = (char)s[i];
			n++, i++;
			continue;
		}
		if (s[i] >= 0x80) {
			if ((k = utf8_len(s + i, p->len - i)) == 0)
				return -1;
			if (out != NULL)
				memcpy(out + n, s + i, k);
			n += k, i += k;
			continue;
		}
		*esc = 1;
		if (++i >= p->len)
			return -1;
		switch (s[i]) {
		case '"': case '\\': case '/':
			u = s[i];
			break;
		case 'b': u = '\b'; break;
		case 'f': u = '\f'; break;
		case 'n': u = '\n'; break;
		case 'r': u = '\r'; break;
		case 't': u = '\t'; break;
		case 'u':
			if (i + 4 >= p->len || (u = hex4(p->s + i + 1)) == -1)
				return -1;
			i += 4;
			if (u >= 0xdc00 && u <= 0xdfff)
				return -1;	/* a lone low surrogate */
			if (u >= 0xd800 && u <= 0xdbff) {
				if (i + 6 >= p->len || s[i + 1] != '\\' ||
				    s[i + 2] != 'u' ||
				    (lo = hex4(p->s + i + 3)) == -1 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return -1;
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 6;
			}
			break;
		default:
			return -1;
		}
		i++;
		if (u == 0)
			*nul = 1;
		if (out == NULL)
			n += u < 0x80 ? 1 : u < 0x800 ? 2 : u < 0x10000 ? 3 : 4;
		else if (u < 0x80)
			out[n++] = (char)u;
		else if (u < 0x800) {
			out[n++] = (char)(0xc0 | (u >> 6));
			out[n++] = (char)(0x80 | (u & 0x3f));
		} else if (u < 0x10000) {
			out[n++] = (char)(0xe0 | (u >> 12));
			out[n++] = (char)(0x80 | ((u >> 6) & 0x3f));
			out[n++] = (char)(0x80 | (u & 0x3f));
		} else {
			out[n++] = (char)(0xf0 | (u >> 18));
			out[n++] = (char)(0x80 | ((u >> 12) & 0x3f));
			out[n++] = (char)(0x80 | ((u >> 6) & 0x3f));
			out[n++] = (char)(0x80 | (u & 0x3f));
		}
	}
	p->i = i + 1;
	return (long)n;
}

static int
digits(struct jp *p)
{
	size_t	 start = p->i;

	while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9')
		p->i++;
	return p->i > start ? 0 : -1;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
number(struct jp *p, struct jval *v)
{
	v->kind = JK_INT;
	if (p->i < p->len && p->s[p->i] == '-')
		p->i++;
	if (p->i < p->len && p->s[p->i] == '0')
		p->i++;
	else if (digits(p) == -1)
		return -1;
	if (p->i < p->len && p->s[p->i] == '.') {
		p->i++;
		if (digits(p) == -1)
			return -1;
		v->kind = JK_NUMBER;
	}
	if (p->i < p->len && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->len && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (digits(p) == -1)
			return -1;
		v->kind = JK_NUMBER;
	}
	return 0;
}

static int
literal(struct jp *p, const char *w, size_t n)
{
	if (p->len - p->i < n || memcmp(p->s + p->i, w, n) != 0)
		return -1;
	p->i += n;
	return 0;
}

/* The members of an object or elements of an array after its bracket. */
static int
nested(struct jp *p, int depth)
{
	struct jval	 v;
	int		 obj = p->s[p->i] == '{', esc, nul;
	char		 close = obj ? '}' : ']';

	if (depth >= MAX_DEPTH)
		return -1;
	p->i++;
	ws(p);
	if (p->i < p->len && p->s[p->i] == close) {
		p->i++;
		return 0;
	}
	for (;;) {
		if (obj) {
			if (p->i >= p->len || p->s[p->i] != '"' ||
			    string(p, NULL, &esc, &nul) == -1 || nul)
				return -1;
			ws(p);
			if (p->i >= p->len || p->s[p->i] != ':')
				return -1;
			p->i++;
			ws(p);
		}
		if (value(p, &v, depth + 1) == -1)
			return -1;
		ws(p);
		if (p->i >= p->len)
			return -1;
		if (p->s[p->i] == close) {
			p->i++;
			return 0;
		}
		if (p->s[p->i] != ',')
			return -1;
		p->i++;
		ws(p);
	}
}

/* Scan the value at p->i into *v. */
static int
value(struct jp *p, struct jval *v, int depth)
{
	int	 esc, nul, rc;

	if (p->i >= p->len)
		return -1;
	v->off = p->i;
	v->escaped = 0;
	switch (p->s[p->i]) {
	case '"':
		v->kind = JK_STRING;
		rc = string(p, NULL, &esc, &nul) == -1 ? -1 : 0;
		v->escaped = esc;
		break;
	case '{':
	case '[':
		v->kind = JK_NESTED;
		rc = nested(p, depth);
		break;
	case 't':
		v->kind = JK_TRUE;
		rc = literal(p, "true", 4);
		break;
	case 'f':
		v->kind = JK_FALSE;
		rc = literal(p, "false", 5);
		break;
	case 'n':
		v->kind = JK_NULL;
		rc = literal(p, "null", 4);
		break;
	default:
		rc = number(p, v);
	}
	v->end = p->i;
	return rc;
}

/* A string value's bytes: a slice of the raw text, or decoded. */
static int
put_string(struct jp *p, const struct jval *v, struct lsslice *out)
{
	struct jp	 q = *p;
	char		*dst;
	long		 n;
	int		 esc, nul;

	if (!v->escaped) {
		*out = parser_slice(p->base, v->off + 1, v->end - v->off - 2);
		return 0;
	}
	if ((dst = parser_tail(p->b, v->end - v->off)) == NULL)
		return -1;
	q.i = v->off;
	n = string(&q, dst, &esc, &nul);
	parser_commit(p->b, (size_t)n, out);
	return 0;
}

/* An object or array as compact JSON text: blanks outside strings go. */
static int
put_nested(struct jp *p, const struct jval *v, struct lsslice *out)
{
	const char	*s = p->s;
	char		*dst;
	size_t		 i, n = 0;
	int		 instr = 0;

	if ((dst = parser_tail(p->b, v->end - v->off)) == NULL)
		return -1;
	for (i = v->off; i < v->end; i++) {
		if (instr) {
			if (s[i] == '\\')
				dst[n++] = s[i++];
			else if (s[i] == '"')
				instr = 0;
		} else if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
		    s[i] == '\r')
			continue;
		else if (s[i] == '"')
			instr = 1;
		dst[n++] = s[i];
	}
	parser_commit(p->b, n, out);
	return 0;
}

/* Any value as field text, with its type. */
static int
put_value(struct jp *p, const struct jval *v, struct lsslice *out,
    uint8_t *type)
{
	switch (v->kind) {
	case JK_STRING:
		*type = LSFT_STRING;
		return put_string(p, v, out);
	case JK_NESTED:
		*type = LSFT_JSON;
		return put_nested(p, v, out);
	case JK_TRUE:
	case JK_FALSE:
		*type = LSFT_BOOL;
		break;
	case JK_NULL:
		*type = LSFT_NULL;
		break;
	default:
		*type = LSFT_NUMBER;
	}
	*out = parser_slice(p->base, v->off, v->end - v->off);
	return 0;
}

/* A decoded string for reading only: raw bytes or scratch arena space. */
static const char *
peek_string(struct jp *p, const struct jval *v, size_t *len)
{
	struct jp	 q = *p;
	char		*dst;
	long		 n;
	int		 esc, nul;

	if (!v->escaped) {
		*len = v->end - v->off - 2;
		return p->s + v->off + 1;
	}
	if ((dst = parser_tail(p->b, v->end - v->off)) == NULL)
		return NULL;
	q.i = v->off;
	n = string(&q, dst, &esc, &nul);
	*len = (size_t)n;
	return dst;
}

/* An integer value that fits; 0 or -1. */
static int
intval(const struct jp *p, const struct jval *v, long long *out)
{
	size_t		 i = v->off;
	long long	 x = 0;
	int		 neg = 0;

	if (v->kind != JK_INT)
		return -1;
	if (p->s[i] == '-')
		neg = 1, i++;
	for (; i < v->end; i++) {
		if (x > (INT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (p->s[i] - '0');
	}
	*out = neg ? -x : x;
	return 0;
}

/* Severity or facility from a name or a number. */
static int
level(struct jp *p, const struct jval *v,
    int (*byname)(const char *, size_t), int max)
{
	const char	*t;
	size_t		 n;
	long long	 i;

	if (v->kind == JK_STRING)
		return (t = peek_string(p, v, &n)) == NULL ? -1 : byname(t, n);
	if (intval(p, v, &i) == 0 && i >= 0 && i <= max)
		return (int)i;
	return -1;
}

static int
set_time(struct jp *p, const struct jval *v)
{
	struct logrec	*r = p->r;
	const char	*t;
	char		 buf[64];
	size_t		 n;

	if (v->kind == JK_STRING)
		return (t = peek_string(p, v, &n)) == NULL ? -1 :
		    parser_time_text(t, n, &r->time_us, &r->time_prec);
	if (v->kind != JK_INT && v->kind != JK_NUMBER)
		return -1;
	if ((n = v->end - v->off) >= sizeof(buf))
		return -1;
	memcpy(buf, p->s + v->off, n);
	buf[n] = '\0';
	return parser_time_number(strtod(buf, NULL), v->kind == JK_INT,
	    &r->time_us, &r->time_prec);
}

/* A text slot: a string (or, with intok, an integer); 0, 1 or -1. */
static int
set_text(struct jp *p, const struct jval *v, int intok, struct lsslice *out)
{
	uint8_t	 type;

	if (v->kind == JK_STRING || (intok && v->kind == JK_INT))
		return put_value(p, v, out, &type);
	return 1;
}

/* A well-known key into its slot: 0, 1 (not usable: a field) or -1. */
static int
map(struct jp *p, enum parser_wk wk, const struct jval *v)
{
	struct logrec	*r = p->r;
	int		 x;

	if (wk == PWK_NONE || (p->seen & SEEN(wk)) || (wk == PWK_LOG &&
	    (p->logf != -1 || (p->seen & SEEN(PWK_MESSAGE)))))
		return 1;
	switch (wk) {
	case PWK_HOST:
		x = set_text(p, v, 0, &r->host);
		break;
	case PWK_APP:
		x = set_text(p, v, 0, &r->app);
		break;
	case PWK_MESSAGE:
		x = set_text(p, v, 0, &r->message);
		break;
	case PWK_LOG:
		/*
		 * Docker json-file: the first "log" is the message unless
		 * msg/message come; a later one is a repeat of its field.
		 */
		p->seen |= SEEN(PWK_LOG);
		if (v->kind != JK_STRING || put_string(p, v, &p->logval) == -1)
			return 1;
		r->message = p->logval;
		p->logpending = 1;
		if (r->message.len > 0 &&
		    p->b->arena[r->message.off + r->message.len - 1] == '\n')
			r->message.len--;
		return 1;		/* also a field, dropped at the end */
	case PWK_PID:
		x = set_text(p, v, 1, &r->pid);
		break;
	case PWK_MSGID:
		x = set_text(p, v, 0, &r->msgid);
		break;
	case PWK_TIME:
		x = set_time(p, v) == 0 ? 0 : 1;
		break;
	case PWK_SEVERITY:
		x = (r->severity = (int8_t)level(p, v, lr_severity_parse, 7)) ==
		    -1 ? 1 : 0;
		break;
	case PWK_FACILITY:
		x = (r->facility = (int8_t)level(p, v, lr_facility_parse, 23)) ==
		    -1 ? 1 : 0;
		break;
	default:
		x = 1;
	}
	if (x == 0)
		p->seen |= SEEN(wk);
	return x;
}

static uint32_t
keyhash(const char *k, size_t n)
{
	uint32_t	 h = 2166136261u;

	while (n-- > 0)
		h = (h ^ (unsigned char)*k++) * 16777619u;
	return h;
}

/* (Re)build the table of this record's field keys; 0 or -1. */
static int
hash_build(struct jp *p, uint32_t cap)
{
	static __thread uint32_t	*tab;
	static __thread uint32_t	 tabcap;
	struct lsfield			*f;
	uint32_t			 i, h;

	if (cap > tabcap) {
		free(tab);
		tabcap = 0;
		if ((tab = calloc(cap, sizeof(*tab))) == NULL)
			return -1;
		tabcap = cap;
	}
	memset(tab, 0, cap * sizeof(*tab));
	p->htab = tab;
	p->hcap = cap;
	for (i = p->r->field_first; i < p->b->nfields; i++) {
		f = &p->b->fields[i];
		h = keyhash(LS_PTR(p->b, f->key), f->key.len) & (cap - 1);
		while (tab[h] != 0)
			h = (h + 1) & (cap - 1);
		tab[h] = i + 1;
	}
	return 0;
}

/* The field of this record with key k, or NULL; keeps the table. */
static struct lsfield *
field_find(struct jp *p, const char *k, size_t n)
{
	struct lsbatch	*b = p->b;
	struct lsfield	*f;
	uint32_t	 i, h, count = b->nfields - p->r->field_first;

	if (count < HASH_FROM) {
		for (i = p->r->field_first; i < b->nfields; i++) {
			f = &b->fields[i];
			if (f->key.len == n &&
			    memcmp(LS_PTR(b, f->key), k, n) == 0)
				return f;
		}
		return NULL;
	}
	if ((p->htab == NULL || count * 2 >= p->hcap) &&
	    hash_build(p, p->hcap ? p->hcap * 4 : HASH_FROM * 4) == -1)
		return NULL;		/* then a repeat stays a repeat */
	h = keyhash(k, n) & (p->hcap - 1);
	for (; p->htab[h] != 0; h = (h + 1) & (p->hcap - 1)) {
		f = &b->fields[p->htab[h] - 1];
		if (f->key.len == n && memcmp(LS_PTR(b, f->key), k, n) == 0)
			return f;
	}
	return NULL;
}

/* Note a new last field in the key table, if there is one. */
static void
field_added(struct jp *p)
{
	struct lsfield	*f = &p->b->fields[p->b->nfields - 1];
	uint32_t	 h;

	if (p->htab == NULL)
		return;
	h = keyhash(LS_PTR(p->b, f->key), f->key.len) & (p->hcap - 1);
	while (p->htab[h] != 0)
		h = (h + 1) & (p->hcap - 1);
	p->htab[h] = p->b->nfields;
}

static int
add_field(struct jp *p, const struct lsslice *k, const struct jval *v)
{
	struct lsfield	*f;
	struct lsslice	 val;
	uint8_t		 type;
	int		 logf;

	if ((logf = p->logpending)) {
		val = p->logval;	/* one copy for message and field */
		type = LSFT_STRING;
		p->logpending = 0;
	} else if (put_value(p, v, &val, &type) == -1)
		return -1;
	if ((f = field_find(p, LS_PTR(p->b, *k), k->len)) != NULL) {
		if (f - p->b->fields == p->logf)
			p->logf = -1;	/* the message keeps the first log */
		f->val = val;
		f->type = type;
		return 0;
	}
	if ((f = lsbatch_add_field(p->b)) == NULL)
		return -1;
	f->key = *k;
	f->val = val;
	f->type = type;
	field_added(p);
	if (logf)
		p->logf = (long)(f - p->b->fields);
	return 0;
}

/* One member: its key at p->i; 0, or -1 (not JSON, or no memory). */
static int
member(struct jp *p)
{
	struct jval	 kv, v;
	struct lsslice	 k;
	int		 x;

	if (p->i >= p->len || p->s[p->i] != '"' || value(p, &kv, 1) == -1)
		return -1;
	if (kv.escaped) {
		/* A key with a NUL is refused, as by jansson. */
		if (put_string(p, &kv, &k) == -1 ||
		    memchr(LS_PTR(p->b, k), '\0', k.len) != NULL)
			return -1;
	} else
		k = parser_slice(p->base, kv.off + 1, kv.end - kv.off - 2);
	ws(p);
	if (p->i >= p->len || p->s[p->i] != ':')
		return -1;
	p->i++;
	ws(p);
	if (value(p, &v, 1) == -1)
		return -1;
	x = map(p, parser_wellknown(LS_PTR(p->b, k), k.len), &v);
	if (x == -1 || (x == 1 && add_field(p, &k, &v) == -1))
		return -1;
	return 0;
}

/* One JSON object; 0 lets the other formats try, -1 is ENOMEM. */
int
parser_json(struct lsbatch *b, struct logrec *r, const char *s, size_t len)
{
	struct jp	 p;
	size_t		 n;

	memset(&p, 0, sizeof(p));
	p.s = s;
	p.len = len;
	p.base = r->raw.off;
	p.b = b;
	p.r = r;
	p.logf = -1;
	ws(&p);
	if (p.i >= len || s[p.i] != '{')
		return 0;
	p.i++;
	ws(&p);
	if (p.i < len && s[p.i] == '}')
		p.i++;
	else {
		for (;;) {
			if (member(&p) == -1)
				return 0;
			ws(&p);
			if (p.i >= len)
				return 0;
			if (s[p.i] == '}') {
				p.i++;
				break;
			}
			if (s[p.i] != ',')
				return 0;
			p.i++;
			ws(&p);
		}
	}
	ws(&p);
	if (p.i != len)
		return 0;
	/* A "log" that stayed the message is not also a field. */
	if (p.logf != -1 && !(p.seen & SEEN(PWK_MESSAGE)) &&
	    (uint32_t)p.logf < b->nfields) {
		n = b->nfields - (uint32_t)p.logf - 1;
		memmove(&b->fields[p.logf], &b->fields[p.logf + 1],
		    n * sizeof(b->fields[0]));
		b->nfields--;
	}
	r->format = LRF_JSON;
	return 1;
}
