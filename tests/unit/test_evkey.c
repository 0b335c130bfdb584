/*
 * test_evkey.c: the key of a [limit] or [lookup]: the config value parsed
 * (host, source, app, field.NAME; anything else refused) and the key taken
 * from a record (a missing field is an empty key; with EVKEY_SCALAR a
 * field holding JSON is too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "evkey.h"
#include "logrec.h"

static struct lsslice
sl(struct lsbatch *b, const char *s)
{
	struct lsslice	 out = { 0, 0 };

	assert_int_equal(lsbatch_append(b, s, strlen(s), &out), 0);
	return out;
}

static void
field(struct lsbatch *b, struct logrec *r, int type, const char *key,
    const char *val)
{
	struct lsfield	*f = lsbatch_add_field(b);

	assert_non_null(f);
	f->type = (uint8_t)type;
	f->key = sl(b, key);
	f->val = sl(b, val);
	r->field_count++;
}

/* The key's value in r as a string (static buffer). */
static const char *
val(const struct evkey *k, const struct lsbatch *b, const struct logrec *r,
    int flags)
{
	static char	 buf[64];
	struct lsslice	 s = evkey_of(k, b, r, flags);

	assert_true(s.len < sizeof(buf));
	memcpy(buf, s.len ? LS_PTR(b, s) : "", s.len);
	buf[s.len] = '\0';
	return buf;
}

static void
test_parse(void **state)
{
	struct evkey	 k = { 0, NULL };

	assert_int_equal(evkey_parse(&k, "source"), 0);
	assert_int_equal(k.kind, EVKEY_SOURCE);
	assert_int_equal(evkey_parse(&k, "field.user"), 0);
	assert_int_equal(k.kind, EVKEY_FIELD);
	assert_string_equal(k.field, "user");
	assert_int_equal(evkey_parse(&k, "field.ip"), 0);	/* replaces */
	assert_string_equal(k.field, "ip");
	assert_int_equal(evkey_parse(&k, "field."), -1);
	assert_int_equal(evkey_parse(&k, "hostname"), -1);
	assert_int_equal(evkey_parse(&k, "app"), 0);
	assert_int_equal(k.kind, EVKEY_APP);
	evkey_clear(&k);
	assert_null(k.field);
	assert_int_equal(k.kind, EVKEY_HOST);
}

static void
test_of(void **state)
{
	struct lsbatch	*b = lsbatch_new(8);
	struct logrec	*r;
	struct evkey	 k = { 0, NULL };

	assert_non_null(b);
	memset(b->arena, 0, b->cap);
	assert_non_null(r = lsbatch_add_rec(b));
	r->host = sl(b, "web1");
	r->app = sl(b, "sshd");
	r->field_first = b->nfields;
	field(b, r, LSFT_STRING, "ip", "10.0.0.1");
	field(b, r, LSFT_JSON, "req", "{\"a\":1}");
	assert_int_equal(evkey_parse(&k, "host"), 0);
	assert_string_equal(val(&k, b, r, 0), "web1");
	assert_int_equal(evkey_parse(&k, "source"), 0);
	assert_string_equal(val(&k, b, r, 0), "");
	assert_int_equal(evkey_parse(&k, "field.ip"), 0);
	assert_string_equal(val(&k, b, r, EVKEY_SCALAR), "10.0.0.1");
	assert_int_equal(evkey_parse(&k, "field.nope"), 0);
	assert_string_equal(val(&k, b, r, 0), "");
	assert_int_equal(evkey_parse(&k, "field.req"), 0);
	assert_string_equal(val(&k, b, r, 0), "{\"a\":1}");
	assert_string_equal(val(&k, b, r, EVKEY_SCALAR), "");
	evkey_clear(&k);
	lsbatch_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_of),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
