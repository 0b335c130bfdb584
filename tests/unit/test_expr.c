/*
 * test_expr.c: the filter language of query --where and the tap, over
 * decoded stored events: =, != (an absent key is the empty string), ~ and
 * !~ (PCRE2, unanchored), severity and facility by rank, numbers as
 * numbers and other text in byte order, field./trusted./sd. keys, several
 * conditions with &&, quoting; and parse errors that name the position.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expr.h"
#include "jsonenc.h"
#include "logrec.h"
#include "parser.h"
#include "writer.h"

static const char *EV =
    "{\"received\":\"2026-11-23T20:14:14.906034Z\","
    "\"time\":\"2026-11-23T20:14:14Z\",\"source\":\"127.0.0.1:53422\","
    "\"transport\":\"tcp\",\"format\":\"rfc3164\",\"facility\":\"auth\","
    "\"severity\":\"warning\",\"host\":\"web01\",\"app\":\"sshd\","
    "\"pid\":\"1234\",\"class\":\"auth_failure\","
    "\"message\":\"Failed password for root from 203.0.113.9\","
    "\"sd\":{\"meta\":{\"sequenceId\":\"17\"}},"
    "\"fields\":{\"user\":\"root\",\"seq\":42,\"lat\":1.5,\"ok\":true,"
    "\"amp\":\"a&&b\",\"sp\":\"x y\"},"
    "\"trusted\":{\"uid\":0},\"truncated\":true,\"newer_key\":1}";

/* Whether filter s matches EV; a parse error fails the test. */
static int
m(const char *s)
{
	struct expr	*e;
	json_t		*o;
	char		 err[256];
	int		 r;

	assert_non_null(o = json_loads(EV, 0, NULL));
	assert_non_null(e = expr_new());
	if (expr_add(e, s, err, sizeof(err)) == -1)
		fail_msg("%s: %s", s, err);
	r = expr_match_json(e, o);
	expr_free(e);
	json_decref(o);
	return r;
}

/* The parse error of s (static). */
static const char *
bad(const char *s)
{
	static char	 err[256];
	struct expr	*e;

	assert_non_null(e = expr_new());
	assert_int_equal(expr_add(e, "host=a", err, sizeof(err)), 0);
	assert_int_equal(expr_add(e, s, err, sizeof(err)), -1);
	assert_int_equal(expr_count(e), 1);	/* nothing of s kept */
	expr_free(e);
	return err;
}

static void
test_equal(void **state)
{
	assert_true(m("host=web01"));
	assert_true(m("host == web01"));
	assert_false(m("host=web0"));
	assert_true(m("host!=web02"));
	assert_false(m("host!=web01"));
	assert_true(m("class=auth_failure"));
	assert_true(m("field.user=root"));
	assert_true(m("fields.user=root"));
	assert_true(m("field.seq=42"));
	assert_true(m("field.seq=42.0"));	/* numbers as numbers */
	assert_true(m("field.ok=true"));
	assert_true(m("truncated=true"));
	assert_true(m("trusted.uid=0"));
	assert_true(m("sd.meta.sequenceId=17"));
	assert_true(m("pid=1234"));
	/* absent: the empty string */
	assert_true(m("msgid="));
	assert_false(m("msgid!="));
	assert_true(m("field.nope!=x"));
	assert_false(m("field.nope=x"));
	assert_false(m("host="));
	/* quoting */
	assert_true(m("field.sp=\"x y\""));
	assert_true(m("field.amp=\"a&&b\""));
	assert_true(m("message=\"Failed password for root from 203.0.113.9\""));
	assert_true(m("field.sp=x y"));		/* unquoted: to && or end */
}

static void
test_regex(void **state)
{
	assert_true(m("message~Failed password"));
	assert_true(m("message~^Failed"));
	assert_false(m("message~^password"));
	assert_true(m("host~^web[0-9]+$"));
	assert_true(m("host!~^db"));
	assert_false(m("host!~web"));
	assert_true(m("field.seq~^4"));		/* a number's text */
	assert_true(m("msgid~^$"));		/* absent is empty */
	assert_true(m("message~(?i)FAILED"));
}

static void
test_rank(void **state)
{
	assert_true(m("severity<=warning"));
	assert_true(m("severity<=warn"));
	assert_true(m("severity=warning"));
	assert_true(m("severity=4"));
	assert_false(m("severity<warning"));
	assert_true(m("severity>=err"));	/* 4 >= 3 */
	assert_false(m("severity<=err"));
	assert_true(m("severity!=err"));
	assert_true(m("facility=auth"));
	assert_true(m("facility<=auth"));	/* 4 */
	assert_false(m("facility>auth"));
	assert_true(m("severity~^warn"));	/* a regex on the name */
}

static void
test_compare(void **state)
{
	assert_true(m("field.seq>41"));
	assert_true(m("field.seq>=42"));
	assert_false(m("field.seq>42"));
	assert_true(m("field.seq<100"));	/* not "42" < "100" as text */
	assert_true(m("field.lat<2"));
	assert_true(m("pid>999"));		/* a number in a string */
	assert_false(m("host>5"));		/* not a number: false */
	assert_false(m("field.nope<5"));	/* absent: false */
	assert_true(m("received>=2026-11-23T20"));
	assert_false(m("received>=2026-11-23T21"));
	assert_true(m("time<2026-11-24"));
}

static void
test_and(void **state)
{
	assert_true(m("host=web01 && app=sshd"));
	assert_true(m("host=web01&&app=sshd&&severity<=warning"));
	assert_false(m("host=web01 && app=cron"));
	assert_false(m("host=web02 && app=sshd"));
	assert_true(m("   host = web01   "));
}

static void
test_errors(void **state)
{
	const char	*e;

	e = bad("host=~x");
	assert_string_equal(e, "at 5: '=~' is not an operator: use "
	    "FIELD~REGEX (or FIELD=VALUE for an exact match)");
	e = bad("hots=web01");
	assert_non_null(strstr(e, "at 1: unknown key 'hots'"));
	e = bad("host");
	assert_non_null(strstr(e, "at 5: an operator is missing"));
	e = bad("host web01");
	assert_non_null(strstr(e, "at 6: 'w' is not an operator"));
	e = bad("=x");
	assert_non_null(strstr(e, "at 1: a key is missing"));
	e = bad("");
	assert_non_null(strstr(e, "at 1: a condition is missing"));
	e = bad("severity<=warnx");
	assert_non_null(strstr(e, "at 11: 'warnx' is not a severity"));
	e = bad("facility=nope");
	assert_non_null(strstr(e, "is not a facility"));
	e = bad("message~(ab");
	assert_non_null(strstr(e, "bad regex"));
	assert_non_null(strstr(e, "at "));
	e = bad("field.=x");
	assert_non_null(strstr(e, "needs a name"));
	e = bad("sd.meta=x");
	assert_non_null(strstr(e, "sd.ID.PARAM"));
	e = bad("host=\"web01");
	assert_non_null(strstr(e, "at 6: the quote opened here is never"));
	e = bad("host=\"a\" b");
	assert_non_null(strstr(e, "at 10: '&&' or the end expected"));
	e = bad("host=a && ");
	assert_non_null(strstr(e, "a condition is missing"));
	e = bad("field.seq>");
	assert_non_null(strstr(e, "a value is missing"));
}

static void
test_required(void **state)
{
	struct expr	*e;
	char		 err[128];

	assert_non_null(e = expr_new());
	assert_null(expr_required(e, EXPR_K_HOST));
	assert_int_equal(expr_add(e, "class~x && host=web07 && "
	    "severity=err", err, sizeof(err)), 0);
	assert_string_equal(expr_required(e, EXPR_K_HOST), "web07");
	assert_null(expr_required(e, EXPR_K_CLASS));	/* a regex */
	assert_null(expr_required(e, EXPR_K_SEVERITY));
	assert_int_equal(expr_count(e), 3);
	expr_free(e);
	expr_free(NULL);
	assert_string_equal(expr_top_name(EXPR_K_CLASS), "class");
	assert_int_equal(expr_top_parse("app", 3), EXPR_K_APP);
	assert_int_equal(expr_top_parse("apps", 4), -1);
}

/*
 * The tap's accessor (expr_logrec_get) against the store's: records
 * parsed from real lines, each stored as the writer would, and every
 * filter must give the same answer over the record and over its stored
 * JSON.
 */
static void
test_logrec(void **state)
{
	static const char *lines[] = {
		"<165>1 2026-11-23T20:14:14.003Z web01 sshd 1234 ID47 "
		    "[meta sequenceId=\"17\"][x@1 user=\"root\" n=\"5\"] "
		    "Failed password for root from 203.0.113.9",
		"<38>Nov 23 20:14:14 db01 cron[99]: (root) CMD (run-parts)",
		"{\"host\":\"web02\",\"app\":\"api\",\"level\":\"error\","
		    "\"msg\":\"slow\",\"seq\":42,\"lat\":1.5,\"ok\":true,"
		    "\"nil\":null,\"obj\":{\"a\":1},\"user\":\"bob\"}",
		"host=web03 app=worker level=warn msg=\"queue full\" "
		    "depth=1000 user=carol",
		"just some text",
	};
	static const char *exprs[] = {
		"host=web01", "host!=web01", "host=", "host~^web", "app=sshd",
		"severity<=warning", "severity>err", "severity=info",
		"facility=auth", "facility!=local4", "class=auth",
		"class=other", "format=rfc5424", "format=plain",
		"transport=tcp", "message~Failed", "message=slow",
		"message~^just", "pid=1234", "pid>1000", "msgid=ID47",
		"msgid=", "received>=2026-01-01", "time<2026-11-24",
		"time=", "source=10.0.0.1:514", "sd.meta.sequenceId=17",
		"sd.x@1.user=root", "sd.x@1.n>4", "field.seq=42",
		"field.seq>41", "field.lat<2", "field.ok=true", "field.nil=",
		"field.obj=", "field.user~^[bc]", "field.depth>=1000",
		"field.nope=", "truncated=true", "truncated=", "stream=",
		"missing=", "trusted.uid=0", "trusted.uid=",
		"host~web && severity<=warning", "field.user!=bob",
	};
	struct lsbatch		*b;
	struct logrec		*r;
	struct expr_logrec	 x;
	struct obuf		 o = { 0 };
	struct expr		*e;
	json_t			*j;
	char			 err[256];
	size_t			 i, k, same = 0;
	int			 a, c;

	assert_non_null(b = lsbatch_new(8));
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		assert_non_null(r = lsbatch_add_rec(b));
		assert_int_equal(lsbatch_append(b, lines[i], strlen(lines[i]),
		    &r->raw), 0);
		assert_int_equal(lsbatch_append(b, "10.0.0.1:514", 12,
		    &r->source), 0);
		r->received_us = INT64_C(1795464854906034);
		r->transport = LRT_TCP;
	}
	parser_process(b);
	b->recs[0].cls = "auth";
	b->recs[1].cls = "other";
	b->recs[2].flags |= LR_TRUNCATED;
	for (i = 0; i < b->n; i++) {
		o.len = 0;
		writer_encode_json(&o, b, &b->recs[i]);
		assert_non_null(j = json_loadb(o.p, o.len, 0, NULL));
		x.b = b;
		x.r = &b->recs[i];
		for (k = 0; k < sizeof(exprs) / sizeof(exprs[0]); k++) {
			assert_non_null(e = expr_new());
			assert_int_equal(expr_add(e, exprs[k], err,
			    sizeof(err)), 0);
			a = expr_match(e, expr_logrec_get, &x);
			c = expr_match_json(e, j);
			if (a != c)
				fail_msg("line %zu, '%s': record %d, stored %d "
				    "(%.*s)", i, exprs[k], a, c, (int)o.len,
				    o.p);
			same += a;
			expr_free(e);
		}
		json_decref(j);
	}
	assert_true(same > 40);		/* not all false */
	obuf_free(&o);
	lsbatch_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_regex),
		cmocka_unit_test(test_rank),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_and),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_logrec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
