/*
 * kdec.c: a stored event's JSON line read back into a record (kdec.h).
 * The line is what writer_encode_json makes: one object whose members are
 * the record's slots ("received", "source", "transport", ..., "fields",
 * "sd", "trusted", "stream").  Any other member, a missing "received" or
 * "transport", or text that is not strict JSON means it is not such a
 * line: the caller parses it as a line instead.  Unescaped strings stay
 * slices of the line; escaped ones are decoded into a scratch buffer.
 * Values of "fields" that are not strings (numbers, objects...) and
 * "trusted" are kept as their JSON text, validated here.
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>		/* the string scan, 16 bytes a step */
#endif

#define PARSER_INTERNAL		/* parser_rfc3339: one RFC 3339 reader */
#include "hexval.h"
#include "input.h"
#include "kdec.h"
#include "logrec.h"
#include "parser.h"

#define MAX_DEPTH	64	/* of a value under "fields" or "trusted" */
#define MAX_FIELDS	4096

struct kp {
	const char	*s;
	size_t		 len;
	size_t		 i;
	struct kdec	*d;
	int		 check;		/* escapes checked, not decoded */
};

static inline void
ws(struct kp *p)
{
	while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
	    p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static inline int
eat(struct kp *p, char c)
{
	if (p->i < p->len && p->s[p->i] != c)
		ws(p);
	if (p->i < p->len && p->s[p->i] == c) {
		p->i++;
		return 1;
	}
	return 0;
}

/* Length of a valid UTF-8 sequence at s (RFC 3629), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t	 k, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4;
	else
		return 0;
	if (n < k)
		return 0;
	for (i = 1; i < k; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;		/* overlong, surrogate, past U+10FFFF */
	return k;
}

/* No byte of x is a quote, a backslash, below 0x20 or 0x80 and up (the
 * exact SWAR test of jsonenc.c, without DEL, which JSON lets be). */
#define ONES		0x0101010101010101ULL
#define HIGHS		0x8080808080808080ULL
#define HASZERO(x)	(((x) - ONES) & ~(x) & HIGHS)
static inline int
plain8(uint64_t x)
{
	return ((((x - ONES * 0x20) & ~x) | HASZERO(x ^ (ONES * '"')) |
	    HASZERO(x ^ (ONES * '\\')) | x) & HIGHS) == 0;
}

static int
hex4(const char *s, unsigned *v)
{
	int	 i, h;

	*v = 0;
	for (i = 0; i < 4; i++) {
		if ((h = hexval((unsigned char)s[i])) == -1)
			return -1;
		*v = *v << 4 | (unsigned)h;
	}
	return 0;
}

static int
scratch_put(struct kdec *d, const char *p, size_t n)
{
	char	*np;
	size_t	 cap;

	if (n == 0)
		return 0;
	if (d->slen + n > d->scap) {
		cap = d->scap ? d->scap : 1024;
		while (cap < d->slen + n)
			cap *= 2;
		if ((np = realloc(d->scratch, cap)) == NULL)
			return -1;
		d->scratch = np;
		d->scap = cap;
	}
	memcpy(d->scratch + d->slen, p, n);
	d->slen += n;
	return 0;
}

/* Bytes into the scratch (none while only checking): 1, or -1 (ENOMEM). */
static int
put(struct kp *p, const char *b, size_t n)
{
	if (p->check)
		return 1;
	return scratch_put(p->d, b, n) == 0 ? 1 : -1;
}

/* One escape at s[*i] (after the backslash) into the scratch: 1, 0 (not
 * a JSON escape) or -1 (ENOMEM). */
static int
unescape(struct kp *p, size_t *i)
{
	const char	*s = p->s;
	unsigned	 u, lo;
	char		 c, out[4];
	size_t		 n;

	if (*i >= p->len)
		return 0;
	c = s[(*i)++];
	switch (c) {
	case '"': case '\\': case '/':
		return put(p, &c, 1);
	case 'b': return put(p, "\b", 1);
	case 'f': return put(p, "\f", 1);
	case 'n': return put(p, "\n", 1);
	case 'r': return put(p, "\r", 1);
	case 't': return put(p, "\t", 1);
	case 'u': break;
	default: return 0;
	}
	if (*i + 4 > p->len || hex4(s + *i, &u) == -1)
		return 0;
	*i += 4;
	if (u >= 0xd800 && u <= 0xdbff) {
		if (*i + 6 > p->len || s[*i] != '\\' || s[*i + 1] != 'u' ||
		    hex4(s + *i + 2, &lo) == -1 || lo < 0xdc00 || lo > 0xdfff)
			return 0;
		*i += 6;
		u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
	} else if (u >= 0xdc80 && u <= 0xdcff) {
		/* the writer's escape of a byte that is not UTF-8 (as
		 * Python's surrogateescape): that byte again */
		out[0] = (char)(u & 0xff);
		return put(p, out, 1);
	} else if (u >= 0xdc00 && u <= 0xdfff)
		return 0;
	if (u < 0x80) {
		out[0] = (char)u;
		n = 1;
	} else if (u < 0x800) {
		out[0] = (char)(0xc0 | (u >> 6));
		out[1] = (char)(0x80 | (u & 0x3f));
		n = 2;
	} else if (u < 0x10000) {
		out[0] = (char)(0xe0 | (u >> 12));
		out[1] = (char)(0x80 | ((u >> 6) & 0x3f));
		out[2] = (char)(0x80 | (u & 0x3f));
		n = 3;
	} else {
		out[0] = (char)(0xf0 | (u >> 18));
		out[1] = (char)(0x80 | ((u >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((u >> 6) & 0x3f));
		out[3] = (char)(0x80 | (u & 0x3f));
		n = 4;
	}
	return put(p, out, n);
}

/* The index of the first byte at or after i that is special in a string
 * (a quote, a backslash, below 0x20 or 0x80 and up), or len. */
static inline size_t
plain_end(const unsigned char *s, size_t i, size_t len)
{
#ifdef __SSE2__
	/* Sixteen bytes at a time (both kinds of control byte are below
	 * 0x20 when taken as signed). */
	while (i + 16 <= len) {
		__m128i	 x = _mm_loadu_si128((const __m128i *)(s + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
		    _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
		    _mm_cmplt_epi8(x, _mm_set1_epi8(0x20))));

		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
#endif
	/* Eight bytes at a time while none is special (see plain8). */
	while (i + 8 <= len) {
		uint64_t	 x;

		memcpy(&x, s + i, 8);
		if (!plain8(x))
			break;
		i += 8;
	}
	while (i < len && s[i] != '"' && s[i] != '\\' && s[i] >= 0x20 &&
	    s[i] < 0x80)
		i++;
	return i;
}

/* The rest of a string that holds escapes or UTF-8 from i on (it began
 * at start): see string(). */
static int
string_slow(struct kp *p, struct kpiece *out, size_t start, size_t i)
{
	const unsigned char	*s = (const unsigned char *)p->s;
	size_t			 run, n;
	int			 rc;

	/* Escapes or UTF-8: decoded into the scratch when kept. */
	n = p->d->slen;
	run = start;
	while (i < p->len && s[i] != '"') {
		if (s[i] < 0x20)
			return 0;
		if (s[i] >= 0x80) {
			if ((run = utf8_seq(s + i, p->len - i)) == 0)
				return 0;
			i += run;
			continue;
		}
		if (s[i] != '\\') {
			i++;
			continue;
		}
		if (out != NULL && scratch_put(p->d, p->s + start, i - start) ==
		    -1)
			return -1;
		i++;
		p->check = out == NULL;	/* then only its shape */
		rc = unescape(p, &i);
		p->check = 0;
		if (rc != 1)
			return rc;
		start = i;
	}
	if (i >= p->len)
		return 0;
	if (out != NULL) {
		if (p->d->slen == n) {		/* UTF-8 only: in the line */
			*out = (struct kpiece){ (uint32_t)(p->i + 1),
			    (uint32_t)(i - p->i - 1), 0 };
		} else {
			if (scratch_put(p->d, p->s + start, i - start) == -1)
				return -1;
			*out = (struct kpiece){ (uint32_t)n,
			    (uint32_t)(p->d->slen - n), 1 };
		}
	}
	p->i = i + 1;
	return 1;
}

/*
 * A string at p->i (after whitespace): its decoded bytes as a piece (in
 * the line when it has no escape).  With out NULL only checked.  1, 0
 * (not a string), -1 (ENOMEM).  Inline: the common string (no escape,
 * ASCII) is most of a line's work.
 */
static inline int
string(struct kp *p, struct kpiece *out)
{
	const unsigned char	*s = (const unsigned char *)p->s;
	size_t			 i, start;

	if (p->i < p->len && s[p->i] != '"')
		ws(p);
	if (p->i >= p->len || s[p->i] != '"')
		return 0;
	start = p->i + 1;
	i = plain_end(s, start, p->len);
	if (i < p->len && s[i] == '"') {	/* the common case */
		if (out != NULL)
			*out = (struct kpiece){ (uint32_t)start,
			    (uint32_t)(i - start), 0 };
		p->i = i + 1;
		return 1;
	}
	return string_slow(p, out, start, i);
}

static int	 value(struct kp *, int depth, uint8_t *type);

static int
digits(struct kp *p)
{
	size_t	 at = p->i;

	while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9')
		p->i++;
	return p->i > at;
}

/* A JSON value checked (RFC 8259), its type in *type; 1 or 0 (bad). */
static int
value(struct kp *p, int depth, uint8_t *type)
{
	uint8_t	 t;
	int	 first;
	char	 close;

	ws(p);
	if (p->i >= p->len || depth > MAX_DEPTH)
		return 0;
	switch (p->s[p->i]) {
	case '"':
		*type = LSFT_STRING;
		return string(p, NULL) == 1;
	case '{':
	case '[':
		close = p->s[p->i] == '{' ? '}' : ']';
		p->i++;
		*type = LSFT_JSON;
		if (eat(p, close))
			return 1;
		for (first = 1;; first = 0) {
			if (!first && !eat(p, ','))
				break;
			if (close == '}' && (string(p, NULL) != 1 ||
			    !eat(p, ':')))
				return 0;
			if (!value(p, depth + 1, &t))
				return 0;
		}
		return eat(p, close);
	case 't':
	case 'f':
	case 'n':
		*type = p->s[p->i] == 'n' ? LSFT_NULL : LSFT_BOOL;
		if (p->len - p->i >= 4 && (memcmp(p->s + p->i, "true", 4) ==
		    0 || memcmp(p->s + p->i, "null", 4) == 0)) {
			p->i += 4;
			return 1;
		}
		if (p->len - p->i >= 5 && memcmp(p->s + p->i, "false", 5) ==
		    0) {
			p->i += 5;
			return 1;
		}
		return 0;
	}
	*type = LSFT_NUMBER;
	if (p->s[p->i] == '-')
		p->i++;
	if (p->i < p->len && p->s[p->i] == '0')
		p->i++;
	else if (!digits(p))
		return 0;
	if (p->i < p->len && p->s[p->i] == '.' && (p->i++, !digits(p)))
		return 0;
	if (p->i < p->len && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->len && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (!digits(p))
			return 0;
	}
	return 1;
}

/* A new field in *out: 1, 0 (more than a stored line has) or -1. */
static int
field_new(struct kdec *d, struct kfield **out)
{
	struct kfield	*f;
	uint32_t	 cap;

	if (d->nfields == d->capfields) {
		if (d->capfields >= MAX_FIELDS)
			return 0;
		cap = d->capfields ? d->capfields * 2 : 32;
		if ((f = reallocarray(d->fields, cap, sizeof(*f))) == NULL)
			return -1;
		d->fields = f;
		d->capfields = cap;
	}
	f = &d->fields[d->nfields++];
	memset(f, 0, sizeof(*f));
	*out = f;
	return 1;
}

/* "fields":{"k":value,...}: strings decoded, the rest as JSON text. */
static int
fields(struct kp *p)
{
	struct kfield	*f;
	struct kpiece	 k;
	size_t		 at;
	uint8_t		 t;
	int		 first, rc;

	if (!eat(p, '{'))
		return 0;
	if (eat(p, '}'))
		return 1;
	for (first = 1; first || eat(p, ','); first = 0) {
		if ((rc = string(p, &k)) != 1)
			return rc;
		if (!eat(p, ':'))
			return 0;
		ws(p);
		at = p->i;
		if ((rc = field_new(p->d, &f)) != 1)
			return rc;
		f->key = k;
		if (p->i < p->len && p->s[p->i] == '"') {
			if ((rc = string(p, &f->val)) != 1)
				return rc;
			f->type = LSFT_STRING;
			continue;
		}
		if (!value(p, 1, &t))
			return 0;
		f->type = t;
		f->val = (struct kpiece){ (uint32_t)at, (uint32_t)(p->i - at),
		    0 };
	}
	return eat(p, '}');
}

/* "sd":{"id":{"k":"v",...},...}: SD fields (an empty element: a field
 * with no key, as the parser makes it). */
static int
sd(struct kp *p)
{
	struct kfield	*f;
	struct kpiece	 id, k, v;
	int		 first, pfirst, rc;

	if (!eat(p, '{'))
		return 0;
	if (eat(p, '}'))
		return 1;
	for (first = 1; first || eat(p, ','); first = 0) {
		if ((rc = string(p, &id)) != 1 || !eat(p, ':') ||
		    !eat(p, '{'))
			return rc == -1 ? -1 : 0;
		if (eat(p, '}')) {
			if ((rc = field_new(p->d, &f)) != 1)
				return rc;
			f->sdid = id;
			f->type = LSFT_SD;
			continue;
		}
		for (pfirst = 1; pfirst || eat(p, ','); pfirst = 0) {
			if ((rc = string(p, &k)) != 1 || !eat(p, ':') ||
			    (rc = string(p, &v)) != 1)
				return rc == -1 ? -1 : 0;
			if ((rc = field_new(p->d, &f)) != 1)
				return rc;
			*f = (struct kfield){ k, v, id, LSFT_SD };
		}
		if (!eat(p, '}'))
			return 0;
	}
	return eat(p, '}');
}

/* The memo (kdec.h): one for each time member, then NAME_SLOTS for each
 * named one, a name's slot chosen by its length and end letters. */
#define NAME_SLOTS	8
enum { KM_RECEIVED, KM_TIME, KM_TRANSPORT, KM_FORMAT = KM_TRANSPORT +
	NAME_SLOTS, KM_FACILITY = KM_FORMAT + NAME_SLOTS, KM_SEVERITY =
	KM_FACILITY + NAME_SLOTS, KM_STREAM = KM_SEVERITY + NAME_SLOTS,
	KM__COUNT = KM_STREAM + NAME_SLOTS };
_Static_assert(KM__COUNT == KDEC_MEMOS, "KDEC_MEMOS: the memo's slots");

/* Whether m holds text s[0..len), which gave m->v (and m->prec). */
static inline int
memo_hit(const struct kmemo *m, const char *s, size_t len)
{
	return len > 0 && len == m->len && memcmp(s, m->s, len) == 0;
}

static void
memo_put(struct kmemo *m, const char *s, size_t len, int64_t v,
    uint8_t prec)
{
	if (len == 0 || len > sizeof(m->s))
		return;
	memcpy(m->s, s, len);
	m->len = (uint8_t)len;
	m->v = v;
	m->prec = prec;
}

/* A string member whose text is a name: the parse function's value (a
 * text read before most often, so the memo's: tab holds NAME_SLOTS). */
static int
named(struct kp *p, int (*parse)(const char *, size_t), struct kmemo *tab,
    int *v)
{
	struct kpiece	 k;
	struct kmemo	*m;
	const char	*t;

	if (string(p, &k) != 1 || k.scratch)
		return 0;
	t = p->s + k.off;
	m = &tab[k.len == 0 ? 0 : (k.len + (unsigned char)t[0] * 3 +
	    (unsigned char)t[k.len - 1]) % NAME_SLOTS];
	if (memo_hit(m, t, k.len)) {
		*v = (int)m->v;
		return 1;
	}
	if ((*v = parse(t, k.len)) < 0)
		return 0;
	memo_put(m, t, k.len, *v, 0);
	return 1;
}

/* An RFC 3339 time, the whole string (the memo's if the same text). */
static int
timestamp(struct kp *p, struct kmemo *m, int64_t *us, uint8_t *prec)
{
	struct kpiece	 k;
	const char	*t;
	uint8_t		 pr = 0;

	if (string(p, &k) != 1 || k.scratch || k.len == 0)
		return 0;
	t = p->s + k.off;
	if (memo_hit(m, t, k.len)) {
		*us = m->v;
		pr = m->prec;
	} else {
		if (parser_rfc3339(t, k.len, 0, us, &pr) != (int)k.len)
			return 0;
		memo_put(m, t, k.len, *us, pr);
	}
	if (prec != NULL)
		*prec = pr;
	return 1;
}

enum { M_RECEIVED = 1, M_TRANSPORT = 2 };

/* One member; 1 ok, 0 not a stored line, -1 ENOMEM. */
static int
member(struct kp *p, unsigned *seen)
{
	struct kdec	*d = p->d;
	struct kpiece	 k;
	const char	*key;
	size_t		 at;
	uint8_t		 t;
	int		 v;

	/* The key: a member's name is plain ASCII, so a string with an
	 * escape or UTF-8 (or no string) cannot name one. */
	if (p->i < p->len && p->s[p->i] != '"')
		ws(p);
	if (p->i >= p->len || p->s[p->i] != '"')
		return 0;
	at = p->i + 1;
	p->i = plain_end((const unsigned char *)p->s, at, p->len);
	if (p->i >= p->len || p->s[p->i] != '"')
		return 0;
	k.len = (uint32_t)(p->i - at);
	key = p->s + at;
	p->i++;
	if (!eat(p, ':'))
		return 0;
#define IS(name)	(k.len == sizeof(name) - 1 && \
			    memcmp(key, name, sizeof(name) - 1) == 0)
	if (IS("received")) {
		*seen |= M_RECEIVED;
		return timestamp(p, &d->memo[KM_RECEIVED], &d->received_us,
		    NULL);
	}
	if (IS("time"))
		return timestamp(p, &d->memo[KM_TIME], &d->time_us,
		    &d->time_prec);
	if (IS("source"))
		return string(p, &d->source);
	if (IS("host"))
		return string(p, &d->host);
	if (IS("app"))
		return string(p, &d->app);
	if (IS("pid"))
		return string(p, &d->pid);
	if (IS("msgid"))
		return string(p, &d->msgid);
	if (IS("message")) {
		d->has_message = 1;
		return string(p, &d->message);
	}
	if (IS("class"))			/* the worker's classes decide */
		return string(p, &k);
	if (IS("transport")) {
		*seen |= M_TRANSPORT;
		if (!named(p, lr_transport_parse, &d->memo[KM_TRANSPORT],
		    &v))
			return 0;
		d->transport = (uint8_t)v;
		return 1;
	}
	if (IS("format")) {
		if (!named(p, lr_format_parse, &d->memo[KM_FORMAT], &v))
			return 0;
		d->format = (uint8_t)v;
		return 1;
	}
	if (IS("facility")) {
		if (!named(p, lr_facility_parse, &d->memo[KM_FACILITY], &v))
			return 0;
		d->facility = (int8_t)v;
		return 1;
	}
	if (IS("severity")) {
		if (!named(p, lr_severity_parse, &d->memo[KM_SEVERITY], &v))
			return 0;
		d->severity = (int8_t)v;
		return 1;
	}
	if (IS("stream")) {
		if (!named(p, lr_stream_parse, &d->memo[KM_STREAM], &v))
			return 0;
		d->stream = (uint8_t)v;
		return 1;
	}
	if (IS("missing")) {
		ws(p);
		at = p->i;
		if (!value(p, 0, &t) || t != LSFT_NUMBER)
			return 0;
		d->missing = (uint32_t)strtoul(p->s + at, NULL, 10);
		return 1;
	}
	if (IS("truncated")) {
		ws(p);
		if (p->len - p->i < 4 || memcmp(p->s + p->i, "true", 4) != 0)
			return 0;
		p->i += 4;
		d->flags |= LR_TRUNCATED;
		return 1;
	}
	if (IS("fields"))
		return fields(p);
	if (IS("sd"))
		return sd(p);
	if (IS("trusted")) {
		ws(p);
		at = p->i;
		if (p->i >= p->len || p->s[p->i] != '{' || !value(p, 0, &t))
			return 0;
		d->trusted = (struct kpiece){ (uint32_t)at,
		    (uint32_t)(p->i - at), 0 };
		return 1;
	}
#undef IS
	return 0;		/* not a member of a stored line */
}

static void
reset(struct kdec *d)
{
	struct kpiece	 none = { 0, 0, 0 };

	d->received_us = 0;
	d->time_us = LR_NOTIME;
	d->time_prec = 0;
	d->transport = LRT_TCP;
	d->format = LRF_PLAIN;
	d->stream = LRS_OK;
	d->flags = 0;
	d->facility = d->severity = -1;
	d->missing = 0;
	d->source = d->host = d->app = d->pid = d->msgid = d->message =
	    d->trusted = none;
	d->has_message = 0;
	d->nfields = 0;
	d->slen = 0;
}

int
kdec_parse(struct kdec *d, const char *s, size_t len)
{
	struct kp	 p = { s, len, 0, d, 0 };
	unsigned	 seen = 0;
	int		 first, rc;

	reset(d);
	/* Cheap refusal first: a stored line starts with its received. */
	if (len < 14 || len > UINT32_MAX || memcmp(s, "{\"received\":", 12)
	    != 0)
		return 0;
	p.i = 1;
	for (first = 1; first || eat(&p, ','); first = 0)
		if ((rc = member(&p, &seen)) != 1)
			return rc;
	if (!eat(&p, '}'))
		return 0;
	ws(&p);
	if (p.i != len || seen != (M_RECEIVED | M_TRANSPORT))
		return 0;
	return 1;
}

/* Where a record goes: the intake of listener l, or batch b (l NULL). */
struct kdest {
	struct listener	*l;
	struct lsbatch	*b;
	struct logrec	*r;
};

/* A piece as a slice of the record: raw is where the line was copied. */
static int
slice(struct kdec *d, const struct kdest *to, struct lsslice raw,
    const struct kpiece *k, struct lsslice *out)
{
	if (k->len == 0) {
		*out = (struct lsslice){ 0, 0 };
		return 0;
	}
	if (!k->scratch) {
		*out = (struct lsslice){ raw.off + k->off, k->len };
		return 0;
	}
	if (to->l == NULL)
		return lsbatch_append(to->b, d->scratch + k->off, k->len,
		    out);
	return intake_slice(to->l, d->scratch + k->off, k->len, out);
}

/* The pieces of d into the record just added (its raw set). */
static struct logrec *
fill(struct kdec *d, const struct kdest *to)
{
	struct logrec	*r = to->r;
	struct lsfield	*f;
	struct kfield	*kf;
	struct lsslice	 src;
	uint32_t	 i;

	if (slice(d, to, r->raw, &d->source, &src) == -1 ||
	    slice(d, to, r->raw, &d->host, &r->host) == -1 ||
	    slice(d, to, r->raw, &d->app, &r->app) == -1 ||
	    slice(d, to, r->raw, &d->pid, &r->pid) == -1 ||
	    slice(d, to, r->raw, &d->msgid, &r->msgid) == -1 ||
	    slice(d, to, r->raw, &d->message, &r->message) == -1 ||
	    slice(d, to, r->raw, &d->trusted, &r->trusted) == -1)
		goto nomem;
	r->source = src;
	for (i = 0; i < d->nfields; i++) {
		kf = &d->fields[i];
		if ((f = to->l != NULL ? intake_field(to->l) :
		    lsbatch_add_rec_field(to->b, r)) == NULL)
			goto nomem;
		f->type = kf->type;
		if (slice(d, to, r->raw, &kf->key, &f->key) == -1 ||
		    slice(d, to, r->raw, &kf->val, &f->val) == -1 ||
		    slice(d, to, r->raw, &kf->sdid, &f->sdid) == -1)
			goto nomem;
	}
	r->received_us = d->received_us;
	r->time_us = d->time_us;
	r->time_prec = d->time_prec;
	r->format = d->format;
	r->facility = d->facility;
	r->severity = d->severity;
	r->stream = d->stream;
	r->missing = d->stream == LRS_GAP ? d->missing : 0;
	/* Parsed and judged at the edge: neither again here. */
	r->flags |= LR_PARSED | LR_STREAMED | d->flags;
	return r;
nomem:
	/* Still stored, as the line it came as: never lost for memory. */
	r->field_count = 0;
	r->host = r->app = r->pid = r->msgid = r->trusted =
	    (struct lsslice){ 0, 0 };
	r->message = r->raw;
	r->format = LRF_PLAIN;
	r->flags |= LR_PARSED;
	return r;
}

struct logrec *
kdec_apply(struct kdec *d, struct listener *l, const char *s, size_t len)
{
	struct kdest	 to = { l, NULL, NULL };

	/* The source is given again as a slice of the line, in fill(). */
	if ((to.r = intake_add(l, s, len, 0, d->transport, "", 0)) == NULL)
		return NULL;
	return fill(d, &to);
}

struct logrec *
kdec_batch(struct kdec *d, struct lsbatch *b, const char *s, size_t len)
{
	struct kdest	 to = { NULL, b, NULL };
	struct lsslice	 raw;

	if (d->transport >= LRT__COUNT ||
	    lsbatch_append(b, s, len, &raw) == -1 ||
	    (to.r = lsbatch_add_rec(b)) == NULL)
		return NULL;
	to.r->raw = raw;
	to.r->transport = d->transport;
	return fill(d, &to);
}

void
kdec_free(struct kdec *d)
{
	free(d->fields);
	free(d->scratch);
	d->fields = NULL;
	d->scratch = NULL;
	d->capfields = 0;
	d->scap = 0;
}
