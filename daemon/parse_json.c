/*
 * parse_json.c: an event that is one JSON object (jansson).  Well-known keys
 * fill the record's slots when their value has a usable type; every other
 * key becomes a field with its JSON type, in the object's order.  Anything
 * but an object (or deeper than jansson's limit) is left to other formats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define PARSER_INTERNAL
#include "parser.h"

/* Slots already filled, by enum parser_wk. */
#define SEEN(wk)	(1u << (wk))

struct jctx {
	struct lsbatch	*b;
	struct logrec	*r;
	unsigned	 seen;
	int		 has_msg;
};

static int
put(struct lsbatch *b, const char *p, size_t n, struct lsslice *out)
{
	return lsbatch_append(b, p, n, out);
}

/* A real as the shortest text that reads back the same. */
static int
put_real(struct lsbatch *b, double v, struct lsslice *out)
{
	char	 buf[64];
	int	 prec, n = 0;

	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return put(b, buf, (size_t)n, out);
}

/* The value as field text, and its type; 0 or -1 (ENOMEM). */
static int
put_value(struct lsbatch *b, json_t *v, struct lsslice *out, uint8_t *type)
{
	char	 buf[32];
	char	*d;
	int	 n, rc;

	switch (json_typeof(v)) {
	case JSON_STRING:
		*type = LSFT_STRING;
		return put(b, json_string_value(v), json_string_length(v), out);
	case JSON_INTEGER:
		*type = LSFT_NUMBER;
		n = snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return put(b, buf, (size_t)n, out);
	case JSON_REAL:
		*type = LSFT_NUMBER;
		return put_real(b, json_real_value(v), out);
	case JSON_TRUE:
	case JSON_FALSE:
		*type = LSFT_BOOL;
		return json_is_true(v) ? put(b, "true", 4, out) :
		    put(b, "false", 5, out);
	case JSON_NULL:
		*type = LSFT_NULL;
		return put(b, "null", 4, out);
	default:
		*type = LSFT_JSON;
		if ((d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) ==
		    NULL)
			return -1;
		rc = put(b, d, strlen(d), out);
		free(d);
		return rc;
	}
}

static int
add_field(struct jctx *c, const char *key, size_t klen, json_t *v)
{
	struct lsslice	 k, val;
	struct lsfield	*f;
	uint8_t		 type;

	if (put(c->b, key, klen, &k) == -1 ||
	    put_value(c->b, v, &val, &type) == -1 ||
	    (f = lsbatch_add_field(c->b)) == NULL)
		return -1;
	f->key = k;
	f->val = val;
	f->type = type;
	return 0;
}

/* Severity or facility from a name or a number. */
static int
level(json_t *v, int (*byname)(const char *, size_t), int max)
{
	json_int_t	 i;

	if (json_is_string(v))
		return byname(json_string_value(v), json_string_length(v));
	if (json_is_integer(v) && (i = json_integer_value(v)) >= 0 && i <= max)
		return (int)i;
	return -1;
}

static int
set_time(struct logrec *r, json_t *v)
{
	if (json_is_string(v))
		return parser_time_text(json_string_value(v),
		    json_string_length(v), &r->time_us, &r->time_prec);
	if (json_is_integer(v))
		return parser_time_number((double)json_integer_value(v), 1,
		    &r->time_us, &r->time_prec);
	if (json_is_real(v))
		return parser_time_number(json_real_value(v), 0, &r->time_us,
		    &r->time_prec);
	return -1;
}

static int
set_text(struct lsbatch *b, json_t *v, int intok, struct lsslice *out)
{
	uint8_t	 type;

	if (json_is_string(v) || (intok && json_is_integer(v)))
		return put_value(b, v, out, &type);
	return 1;
}

/* Docker json-file ends each line's log with its newline: drop that one. */
static int
set_log(struct lsbatch *b, json_t *v, struct lsslice *out)
{
	size_t	 n;

	if (!json_is_string(v))
		return 1;
	n = json_string_length(v);
	if (n > 0 && json_string_value(v)[n - 1] == '\n')
		n--;
	return put(b, json_string_value(v), n, out);
}

/* A well-known key into its slot: 0, 1 (not usable: a field) or -1. */
static int
map(struct jctx *c, enum parser_wk wk, json_t *v)
{
	struct logrec	*r = c->r;
	int		 x;

	if (wk == PWK_NONE || (c->seen & SEEN(wk)) ||
	    (wk == PWK_LOG && (c->has_msg || (c->seen & SEEN(PWK_MESSAGE)))))
		return 1;
	switch (wk) {
	case PWK_HOST:
		x = set_text(c->b, v, 0, &r->host);
		break;
	case PWK_APP:
		x = set_text(c->b, v, 0, &r->app);
		break;
	case PWK_MESSAGE:
		x = set_text(c->b, v, 0, &r->message);
		break;
	case PWK_LOG:
		x = set_log(c->b, v, &r->message);
		wk = PWK_MESSAGE;
		break;
	case PWK_PID:
		x = set_text(c->b, v, 1, &r->pid);
		break;
	case PWK_MSGID:
		x = set_text(c->b, v, 0, &r->msgid);
		break;
	case PWK_TIME:
		x = set_time(r, v) == 0 ? 0 : 1;
		break;
	case PWK_SEVERITY:
		x = (r->severity = (int8_t)level(v, lr_severity_parse, 7)) ==
		    -1 ? 1 : 0;
		break;
	case PWK_FACILITY:
		x = (r->facility = (int8_t)level(v, lr_facility_parse, 23)) ==
		    -1 ? 1 : 0;
		break;
	default:
		x = 1;
	}
	if (x == 0)
		c->seen |= SEEN(wk);
	return x;
}

/* One JSON object; 0 lets the other formats try. */
int
parser_json(struct lsbatch *b, struct logrec *r, const char *s, size_t len)
{
	struct jctx	 c;
	json_error_t	 err;
	json_t		*root, *v;
	const char	*key;
	size_t		 klen;
	int		 x, rc = 1;

	/*
	 * On ENOMEM jansson returns NULL (the event goes to the other formats);
	 * but 2.14 asserts when its token buffer cannot grow mid-token, which
	 * no caller can prevent (docs-security.md, failmalloc.c).
	 */
	if ((root = json_loadb(s, len, JSON_ALLOW_NUL, &err)) == NULL)
		return 0;
	if (!json_is_object(root)) {
		json_decref(root);
		return 0;
	}
	c.b = b;
	c.r = r;
	c.seen = 0;
	c.has_msg = json_is_string(json_object_get(root, "msg")) ||
	    json_is_string(json_object_get(root, "message"));
	json_object_keylen_foreach(root, key, klen, v) {
		x = map(&c, parser_wellknown(key, klen), v);
		if (x == -1 || (x == 1 && add_field(&c, key, klen, v) == -1)) {
			rc = -1;
			break;
		}
	}
	json_decref(root);
	r->format = LRF_JSON;
	return rc;
}
