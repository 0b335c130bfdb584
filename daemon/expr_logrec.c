/*
 * expr_logrec.c: the filter (expr.h) over an event in flight, record r
 * of batch b, for the live tap: each key read from the record as the
 * writer would store it (names of enums, times in RFC 3339, fields by
 * their type), so a filter means the same over the stream as over the
 * store (test_expr checks the two side by side).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "expr.h"
#include "jsonenc.h"
#include "logrec.h"

static int
text(struct expr_val *v, const char *s, size_t len)
{
	memset(v, 0, sizeof(*v));
	v->s = s;
	v->len = len;
	return 1;
}

static int
slice(const struct lsbatch *b, struct lsslice s, struct expr_val *v)
{
	return s.len > 0 && text(v, LS_PTR(b, s), s.len);
}

static int
name(const char *n, struct expr_val *v)
{
	return n != NULL && text(v, n, strlen(n));
}

/* A time as stored ("2026-11-23T20:14:14.906034Z"), into buf. */
static int
stamp(char *buf, int64_t us, int prec, struct expr_val *v)
{
	char	*e = jsonenc_put_time(buf, us, prec);

	return text(v, buf + 1, (size_t)(e - buf) - 2);	/* no quotes */
}

static int
number(char *buf, size_t len, const char *s, size_t n, struct expr_val *v)
{
	char	*end;

	if (n >= len)
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	text(v, buf, n);
	v->num = strtod(buf, &end);
	v->isnum = *end == '\0';
	return 1;
}

/* A field's value as its JSON would read: strings, numbers, booleans;
 * null, objects and arrays have none. */
static int
field_val(struct expr_logrec *x, const struct lsfield *f,
    struct expr_val *v)
{
	const struct lsbatch	*b = x->b;

	switch (f->type) {
	case LSFT_STRING:
	case LSFT_SD:
		return text(v, LS_PTR(b, f->val), f->val.len);
	case LSFT_NUMBER:
		return number(x->buf, sizeof(x->buf), LS_PTR(b, f->val),
		    f->val.len, v);
	case LSFT_BOOL:
		return text(v, LS_PTR(b, f->val), f->val.len);
	default:
		return 0;
	}
}

/* The last field (as a JSON object keeps the last) named key, of SD-ID
 * sdid (NULL: not an SD field). */
static const struct lsfield *
find_field(const struct lsbatch *b, const struct logrec *r, const char *key,
    size_t klen, const char *sdid, size_t slen)
{
	const struct lsfield	*f, *hit = NULL;
	uint32_t		 i;

	for (i = 0; i < r->field_count; i++) {
		f = &b->fields[r->field_first + i];
		if ((f->type == LSFT_SD) != (sdid != NULL) ||
		    f->key.len != klen || memcmp(LS_PTR(b, f->key), key,
		    klen) != 0)
			continue;
		if (sdid != NULL && (f->sdid.len != slen ||
		    memcmp(LS_PTR(b, f->sdid), sdid, slen) != 0))
			continue;
		hit = f;
	}
	return hit;
}

/* trusted.NAME: the record holds the object as JSON text. */
static int
trusted(struct expr_logrec *x, const char *key, struct expr_val *v)
{
	struct expr_json	 j;
	json_t			*o;
	int			 rc = 0;

	if (x->r->trusted.len == 0 || (o = json_loadb(LS_PTR(x->b,
	    x->r->trusted), x->r->trusted.len, 0, NULL)) == NULL)
		return 0;
	j.obj = json_object_get(o, key);
	if (j.obj != NULL && (json_is_string(j.obj) || json_is_number(j.obj) ||
	    json_is_boolean(j.obj))) {
		if (json_is_string(j.obj))
			snprintf(x->buf, sizeof(x->buf), "%s",
			    json_string_value(j.obj));
		else if (json_is_integer(j.obj))
			snprintf(x->buf, sizeof(x->buf), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(j.obj));
		else if (json_is_real(j.obj))
			snprintf(x->buf, sizeof(x->buf), "%.17g",
			    json_real_value(j.obj));
		else
			snprintf(x->buf, sizeof(x->buf), "%s",
			    json_is_true(j.obj) ? "true" : "false");
		rc = text(v, x->buf, strlen(x->buf));
		v->isnum = json_is_number(j.obj);
		v->num = json_number_value(j.obj);
	}
	json_decref(o);
	return rc;
}

static int
top(struct expr_logrec *x, enum expr_top k, struct expr_val *v)
{
	const struct lsbatch	*b = x->b;
	const struct logrec	*r = x->r;

	switch (k) {
	case EXPR_K_RECEIVED:
		return stamp(x->buf, r->received_us, 6, v);
	case EXPR_K_TIME:
		return r->time_us != LR_NOTIME && stamp(x->buf, r->time_us,
		    r->time_prec, v);
	case EXPR_K_SOURCE:
		return slice(b, r->source, v);
	case EXPR_K_TRANSPORT:
		return name(lr_transport_name(r->transport), v);
	case EXPR_K_FORMAT:
		return name(lr_format_name(r->format), v);
	case EXPR_K_FACILITY:
		return name(lr_facility_name(r->facility), v);
	case EXPR_K_SEVERITY:
		return name(lr_severity_name(r->severity), v);
	case EXPR_K_HOST:
		return slice(b, r->host, v);
	case EXPR_K_APP:
		return slice(b, r->app, v);
	case EXPR_K_PID:
		return slice(b, r->pid, v);
	case EXPR_K_MSGID:
		return slice(b, r->msgid, v);
	case EXPR_K_CLASS:
		return name(r->cls, v);
	case EXPR_K_MESSAGE:
		return (r->message.len > 0 || r->format == LRF_PLAIN) &&
		    text(v, LS_PTR(b, r->message), r->message.len);
	case EXPR_K_TRUNCATED:
		return (r->flags & LR_TRUNCATED) && text(v, "true", 4);
	case EXPR_K_STREAM:
		return r->stream != LRS_OK && name(lr_stream_name(r->stream),
		    v);
	case EXPR_K_MISSING:
		snprintf(x->buf, sizeof(x->buf), "%u", r->missing);
		return r->stream == LRS_GAP && number(x->buf + 32, 32, x->buf,
		    strlen(x->buf), v);
	default:
		return 0;
	}
}

int
expr_logrec_get(void *arg, const struct expr_key *k, struct expr_val *v)
{
	struct expr_logrec	*x = arg;
	const struct lsfield	*f;
	const char		*dot;

	switch (k->space) {
	case EXPR_TOP:
		return top(x, k->top, v);
	case EXPR_FIELD:
		f = find_field(x->b, x->r, k->name, strlen(k->name), NULL, 0);
		return f != NULL && field_val(x, f, v);
	case EXPR_SD:
		if ((dot = strrchr(k->name, '.')) == NULL)
			return 0;
		f = find_field(x->b, x->r, dot + 1, strlen(dot + 1), k->name,
		    (size_t)(dot - k->name));
		return f != NULL && field_val(x, f, v);
	case EXPR_TRUSTED:
		return trusted(x, k->name, v);
	}
	return 0;
}
