/*
 * expr.c: the filter language of `logstreamd query --where` and the tap.
 * A filter is a list of conditions that must all hold; each names a key
 * (a stored top-level key, field.NAME, trusted.NAME or sd.ID.PARAM), an
 * operator and a value.  Regexes are PCRE2 as the classifier compiles
 * them (UTF, invalid UTF matched as bytes, JIT, a match limit); severity
 * and facility compare by their syslog rank; other keys compare as
 * numbers when the value is a number, else as text.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "expr.h"
#include "logrec.h"

#define MATCH_LIMIT	1000000		/* bounds a pathological regex */
#define EXPR_MAX	256		/* conditions in one filter */

enum op { OP_EQ, OP_NE, OP_RE, OP_NRE, OP_LT, OP_LE, OP_GT, OP_GE };

struct cond {
	struct expr_key	 key;
	enum op		 op;
	char		*name;		/* key.name's storage */
	char		*val;		/* NUL-terminated, vlen bytes */
	size_t		 vlen;
	double		 num;		/* val as a number, if isnum */
	int		 isnum;
	int		 rank;		/* severity/facility: val's, else -1 */
	pcre2_code	*re;
	int		 jit;
};

struct expr {
	struct cond		*c;
	size_t			 n;
	pcre2_match_data	*md;
	pcre2_match_context	*mctx;
};

static const char *const top_names[EXPR_K__COUNT] = {
	[EXPR_K_RECEIVED] = "received", [EXPR_K_TIME] = "time",
	[EXPR_K_SOURCE] = "source", [EXPR_K_TRANSPORT] = "transport",
	[EXPR_K_FORMAT] = "format", [EXPR_K_FACILITY] = "facility",
	[EXPR_K_SEVERITY] = "severity", [EXPR_K_HOST] = "host",
	[EXPR_K_APP] = "app", [EXPR_K_PID] = "pid", [EXPR_K_MSGID] = "msgid",
	[EXPR_K_CLASS] = "class", [EXPR_K_MESSAGE] = "message",
	[EXPR_K_TRUNCATED] = "truncated", [EXPR_K_STREAM] = "stream",
	[EXPR_K_MISSING] = "missing",
};

/* A parse in progress: the text and where the cursor is. */
struct pstate {
	const char	*s;
	size_t		 pos;
	char		*err;
	size_t		 errlen;
};

const char *
expr_top_name(enum expr_top k)
{
	return (unsigned)k < EXPR_K__COUNT ? top_names[k] : NULL;
}

int
expr_top_parse(const char *name, size_t len)
{
	int	 i;

	for (i = 0; i < EXPR_K__COUNT; i++)
		if (strlen(top_names[i]) == len &&
		    memcmp(top_names[i], name, len) == 0)
			return i;
	return -1;
}

static int
perr(struct pstate *ps, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record "at N: message" (N 1-based); -1. */
static int
perr(struct pstate *ps, size_t at, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	n = snprintf(ps->err, ps->errlen, "at %zu: ", at + 1);
	if (n < 0 || (size_t)n >= ps->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static void
skip_ws(struct pstate *ps)
{
	ps->pos += strspn(ps->s + ps->pos, " \t");
}

static int
is_rank_key(const struct expr_key *k)
{
	return k->space == EXPR_TOP && (k->top == EXPR_K_SEVERITY ||
	    k->top == EXPR_K_FACILITY);
}

/* The key at the cursor into c. */
static int
parse_key(struct pstate *ps, struct cond *c)
{
	static const struct { const char *pfx; enum expr_space sp; } sub[] = {
		{ "field.", EXPR_FIELD }, { "fields.", EXPR_FIELD },
		{ "trusted.", EXPR_TRUSTED }, { "sd.", EXPR_SD },
	};
	const char	*k = ps->s + ps->pos;
	size_t		 len = strcspn(k, " \t=!~<>&\""), i, pl;
	int		 t;

	if (len == 0)
		return perr(ps, ps->pos, *k == '\0' ? "a condition is missing "
		    "(FIELD=VALUE, FIELD~REGEX, severity<=warning...)" :
		    "a key is missing before '%c'", *k);
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		pl = strlen(sub[i].pfx);
		if (len < pl || memcmp(k, sub[i].pfx, pl) != 0)
			continue;
		if (len == pl || (sub[i].sp == EXPR_SD &&
		    memchr(k + pl, '.', len - pl) == NULL))
			return perr(ps, ps->pos + len, "%.*s needs a name "
			    "after it (%s)", (int)pl, k, sub[i].sp == EXPR_SD ?
			    "sd.ID.PARAM" : sub[i].sp == EXPR_FIELD ?
			    "field.NAME" : "trusted.NAME");
		if ((c->name = strndup(k + pl, len - pl)) == NULL)
			return perr(ps, ps->pos, "out of memory");
		c->key.space = sub[i].sp;
		c->key.name = c->name;
		ps->pos += len;
		return 0;
	}
	if ((t = expr_top_parse(k, len)) == -1)
		return perr(ps, ps->pos, "unknown key '%.*s' (a stored key: "
		    "host, app, class, severity, message, source...; or "
		    "field.NAME, trusted.NAME, sd.ID.PARAM)", (int)len, k);
	c->key.space = EXPR_TOP;
	c->key.top = (enum expr_top)t;
	ps->pos += len;
	return 0;
}

static int
parse_op(struct pstate *ps, struct cond *c)
{
	const char	*o = ps->s + ps->pos;
	size_t		 n = 1;

	if (o[0] == '=' && o[1] == '~')
		return perr(ps, ps->pos, "'=~' is not an operator: use "
		    "FIELD~REGEX (or FIELD=VALUE for an exact match)");
	if (o[0] == '=')
		c->op = OP_EQ, n = o[1] == '=' ? 2 : 1;
	else if (o[0] == '!' && o[1] == '=')
		c->op = OP_NE, n = 2;
	else if (o[0] == '!' && o[1] == '~')
		c->op = OP_NRE, n = 2;
	else if (o[0] == '~')
		c->op = OP_RE;
	else if (o[0] == '<')
		c->op = o[1] == '=' ? OP_LE : OP_LT, n = 1 + (o[1] == '=');
	else if (o[0] == '>')
		c->op = o[1] == '=' ? OP_GE : OP_GT, n = 1 + (o[1] == '=');
	else if (o[0] == '\0')
		return perr(ps, ps->pos, "an operator is missing (=, !=, ~, "
		    "!~, <, <=, >, >=)");
	else
		return perr(ps, ps->pos, "'%c' is not an operator (=, !=, ~, "
		    "!~, <, <=, >, >=)", o[0]);
	ps->pos += n;
	return 0;
}

/* A double-quoted value: \" and \\ are escapes.  Into c->val. */
static int
parse_quoted(struct pstate *ps, struct cond *c)
{
	size_t		 start = ps->pos, n = 0;
	const char	*p = ps->s + ps->pos + 1;

	if ((c->val = malloc(strlen(p) + 1)) == NULL)
		return perr(ps, start, "out of memory");
	for (; *p != '"'; p++) {
		if (*p == '\0')
			return perr(ps, start, "the quote opened here is "
			    "never closed");
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		c->val[n++] = *p;
	}
	c->val[n] = '\0';
	c->vlen = n;
	ps->pos = (size_t)(p + 1 - ps->s);
	return 0;
}

/* The value: quoted, or up to "&&" or the end, outer blanks trimmed. */
static int
parse_value(struct pstate *ps, struct cond *c)
{
	const char	*v = ps->s + ps->pos, *amp;
	size_t		 len;

	if (*v == '"')
		return parse_quoted(ps, c);
	amp = strstr(v, "&&");
	len = amp != NULL ? (size_t)(amp - v) : strlen(v);
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if ((c->val = strndup(v, len)) == NULL)
		return perr(ps, ps->pos, "out of memory");
	c->vlen = len;
	ps->pos += len;
	return 0;
}

static int
to_number(const char *s, size_t len, double *d)
{
	char	 buf[64], *end;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] == ' ' || buf[0] == '\t')
		return -1;
	errno = 0;
	*d = strtod(buf, &end);
	if (*end != '\0' || errno == ERANGE || isnan(*d))
		return -1;
	return 0;
}

/* What the value means for the key and operator: a rank, a number, a
 * compiled regex. */
static int
check_value(struct pstate *ps, size_t at, struct cond *c)
{
	PCRE2_UCHAR	 msg[256];
	PCRE2_SIZE	 off;
	int		 err;

	c->rank = -1;
	if (is_rank_key(&c->key) && c->op != OP_RE && c->op != OP_NRE) {
		c->rank = c->key.top == EXPR_K_SEVERITY ?
		    lr_severity_parse(c->val, c->vlen) :
		    lr_facility_parse(c->val, c->vlen);
		if (c->rank == -1)
			return perr(ps, at, "'%s' is not a %s (a syslog name "
			    "or number)", c->val, top_names[c->key.top]);
		return 0;
	}
	c->isnum = to_number(c->val, c->vlen, &c->num) == 0;
	if (c->op == OP_RE || c->op == OP_NRE) {
		c->re = pcre2_compile((PCRE2_SPTR)c->val, c->vlen, PCRE2_UTF |
		    PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
		if (c->re == NULL) {
			pcre2_get_error_message(err, msg, sizeof(msg));
			return perr(ps, at + off, "bad regex: %s", (char *)msg);
		}
		c->jit = pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE) == 0;
	} else if (c->op >= OP_LT && c->vlen == 0)
		return perr(ps, at, "a value is missing after the comparison");
	return 0;
}

static void
cond_free(struct cond *c)
{
	free(c->name);
	free(c->val);
	pcre2_code_free(c->re);
}

/* One condition at the cursor. */
static int
parse_cond(struct pstate *ps, struct cond *c)
{
	size_t	 at;

	memset(c, 0, sizeof(*c));
	skip_ws(ps);
	if (parse_key(ps, c) == -1)
		goto fail;
	skip_ws(ps);
	if (parse_op(ps, c) == -1)
		goto fail;
	skip_ws(ps);
	at = ps->pos + (ps->s[ps->pos] == '"');
	if (parse_value(ps, c) == -1 || check_value(ps, at, c) == -1)
		goto fail;
	skip_ws(ps);
	return 0;
fail:
	cond_free(c);
	memset(c, 0, sizeof(*c));
	return -1;
}

struct expr *
expr_new(void)
{
	struct expr	*e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if ((e->md = pcre2_match_data_create(1, NULL)) == NULL ||
	    (e->mctx = pcre2_match_context_create(NULL)) == NULL) {
		expr_free(e);
		return NULL;
	}
	pcre2_set_match_limit(e->mctx, MATCH_LIMIT);
	return e;
}

int
expr_add(struct expr *e, const char *s, char *err, size_t errlen)
{
	struct pstate	 ps = { .s = s, .err = err, .errlen = errlen };
	struct cond	*nc;
	size_t		 n0 = e->n;

	for (;;) {
		if (e->n == EXPR_MAX) {
			perr(&ps, ps.pos, "more than %d conditions", EXPR_MAX);
			goto fail;
		}
		if ((nc = reallocarray(e->c, e->n + 1, sizeof(*nc))) == NULL) {
			perr(&ps, ps.pos, "out of memory");
			goto fail;
		}
		e->c = nc;
		if (parse_cond(&ps, &e->c[e->n]) == -1)
			goto fail;
		e->n++;
		if (s[ps.pos] == '\0')
			return 0;
		if (s[ps.pos] != '&' || s[ps.pos + 1] != '&') {
			perr(&ps, ps.pos, "'&&' or the end expected after a "
			    "condition");
			goto fail;
		}
		ps.pos += 2;
	}
fail:
	while (e->n > n0)
		cond_free(&e->c[--e->n]);
	return -1;
}

size_t
expr_count(const struct expr *e)
{
	return e->n;
}

static int
cmp_ord(enum op op, int c)
{
	switch (op) {
	case OP_EQ:
		return c == 0;
	case OP_NE:
		return c != 0;
	case OP_LT:
		return c < 0;
	case OP_LE:
		return c <= 0;
	case OP_GT:
		return c > 0;
	default:
		return c >= 0;
	}
}

static int
cond_rank(const struct cond *c, const struct expr_val *v, int present)
{
	int	 r = -1;

	if (present)
		r = c->key.top == EXPR_K_SEVERITY ?
		    lr_severity_parse(v->s, v->len) :
		    lr_facility_parse(v->s, v->len);
	if (r == -1)
		return c->op == OP_NE;
	return cmp_ord(c->op, (r > c->rank) - (r < c->rank));
}

static int
cond_regex(struct expr *e, const struct cond *c, const struct expr_val *v)
{
	const char	*s = v->s != NULL ? v->s : "";
	int		 rc;

	if (c->jit)
		rc = pcre2_jit_match(c->re, (PCRE2_SPTR)s, v->len, 0, 0, e->md,
		    e->mctx);
	else
		rc = pcre2_match(c->re, (PCRE2_SPTR)s, v->len, 0, 0, e->md,
		    e->mctx);
	return (rc >= 0) == (c->op == OP_RE);
}

static int
cond_holds(struct expr *e, const struct cond *c, expr_get_fn get, void *arg)
{
	struct expr_val	 v = { .s = "", .len = 0 };
	double		 d;
	size_t		 m;
	int		 present, r;

	present = get(arg, &c->key, &v);
	if (!present)
		v.s = "", v.len = 0, v.isnum = 0;
	if (c->rank != -1)
		return cond_rank(c, &v, present);
	if (c->op == OP_RE || c->op == OP_NRE)
		return cond_regex(e, c, &v);
	if (c->isnum && (v.isnum || to_number(v.s, v.len, &v.num) == 0)) {
		d = v.num;
		return cmp_ord(c->op, (d > c->num) - (d < c->num));
	}
	if (c->op >= OP_LT && (!present || c->isnum))
		return 0;
	m = v.len < c->vlen ? v.len : c->vlen;
	r = memcmp(v.s, c->val, m);
	if (r == 0)
		r = (v.len > c->vlen) - (v.len < c->vlen);
	return cmp_ord(c->op, r);
}

int
expr_match(struct expr *e, expr_get_fn get, void *arg)
{
	size_t	 i;

	for (i = 0; i < e->n; i++)
		if (!cond_holds(e, &e->c[i], get, arg))
			return 0;
	return 1;
}

/* o's value as text into v (numbers into buf).  1, or 0 if it has none. */
static int
json_val(const json_t *o, char *buf, size_t len, struct expr_val *v)
{
	memset(v, 0, sizeof(*v));
	switch (json_typeof(o)) {
	case JSON_STRING:
		v->s = json_string_value(o);
		v->len = json_string_length(o);
		return 1;
	case JSON_INTEGER:
		v->isnum = 1;
		v->num = (double)json_integer_value(o);
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(o));
		break;
	case JSON_REAL:
		v->isnum = 1;
		v->num = json_real_value(o);
		snprintf(buf, len, "%.17g", v->num);
		break;
	case JSON_TRUE:
		snprintf(buf, len, "true");
		break;
	case JSON_FALSE:
		snprintf(buf, len, "false");
		break;
	default:
		return 0;	/* null, objects and arrays: no value */
	}
	v->s = buf;
	v->len = strlen(buf);
	return 1;
}

int
expr_json_get(void *arg, const struct expr_key *k, struct expr_val *v)
{
	struct expr_json	*j = arg;
	const json_t		*o = j->obj, *sub;
	const char		*dot;
	char			 id[256];

	switch (k->space) {
	case EXPR_TOP:
		o = json_object_get(o, top_names[k->top]);
		break;
	case EXPR_FIELD:
		o = json_object_get(json_object_get(o, "fields"), k->name);
		break;
	case EXPR_TRUSTED:
		o = json_object_get(json_object_get(o, "trusted"), k->name);
		break;
	case EXPR_SD:
		/* SD-IDs hold no '.' in practice; PARAM is after the last. */
		dot = strrchr(k->name, '.');
		if (dot == NULL || (size_t)(dot - k->name) >= sizeof(id))
			return 0;
		memcpy(id, k->name, (size_t)(dot - k->name));
		id[dot - k->name] = '\0';
		sub = json_object_get(json_object_get(o, "sd"), id);
		o = json_object_get(sub, dot + 1);
		break;
	}
	return o != NULL && json_val(o, j->buf, sizeof(j->buf), v);
}

int
expr_match_json(struct expr *e, const json_t *obj)
{
	struct expr_json	 j = { .obj = obj };

	return expr_match(e, expr_json_get, &j);
}

struct expr_key *
expr_key_new(const char *s)
{
	char		 err[256];
	struct pstate	 ps = { .s = s, .err = err, .errlen = sizeof(err) };
	struct expr_key	*k = NULL;
	struct cond	 c;
	size_t		 nl;

	memset(&c, 0, sizeof(c));
	if (parse_key(&ps, &c) == -1)
		return NULL;
	if (s[ps.pos] == '\0') {
		nl = c.name != NULL ? strlen(c.name) + 1 : 0;
		if ((k = malloc(sizeof(*k) + nl)) != NULL) {
			*k = c.key;
			if (nl > 0) {
				memcpy(k + 1, c.name, nl);
				k->name = (const char *)(k + 1);
			}
		}
	}
	free(c.name);
	return k;
}

const char *
expr_required(const struct expr *e, enum expr_top k)
{
	size_t	 i;

	for (i = 0; i < e->n; i++)
		if (e->c[i].key.space == EXPR_TOP && e->c[i].key.top == k &&
		    e->c[i].op == OP_EQ && e->c[i].rank == -1)
			return e->c[i].val;
	return NULL;
}

void
expr_free(struct expr *e)
{
	size_t	 i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++)
		cond_free(&e->c[i]);
	free(e->c);
	pcre2_match_data_free(e->md);
	pcre2_match_context_free(e->mctx);
	free(e);
}
