/*
 * test_kdec.c: a stored event's JSON line read back (kdec.c).  Events of
 * every format are parsed, given the slots an edge fills (source, stream
 * mark, trusted, truncated), encoded by the writer as they are stored and
 * produced to Kafka, and read back: every slot and field must come back
 * byte for byte.  Lines that are not stored events must be refused (then
 * a worker parses them as lines).  kdec_batch (replay) gives the same
 * record in a batch of its own.  A decoder reused from line to line (its
 * memo) reads each line as a fresh one does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "jsonenc.h"
#include "kdec.h"
#include "logrec.h"
#include "parser.h"
#include "writer.h"

#define S(lit)		lit, sizeof(lit) - 1

/* The bytes of a piece of line s. */
static void
piece_eq(const struct kdec *d, const char *s, const struct kpiece *k,
    const char *want, size_t wlen)
{
	const char	*p = k->scratch ? d->scratch + k->off : s + k->off;

	assert_int_equal(k->len, wlen);
	assert_memory_equal(p, want, wlen);
}

#define SLICE_EQ(d, line, piece, b, sl) \
	piece_eq((d), (line), &(piece), LS_PTR((b), (sl)), (sl).len)

#define BSLICE_EQ(b2, s2, b, sl) do {					\
	assert_int_equal((s2).len, (sl).len);				\
	assert_memory_equal(LS_PTR((b2), (s2)), LS_PTR((b), (sl)), (sl).len); \
} while (0)

/* The line decoded into a batch of its own (kdec_batch, for replay): the
 * record of r again, slot for slot and field for field. */
static void
batch_eq(struct kdec *d, const char *line, size_t len,
    const struct lsbatch *b, const struct logrec *r)
{
	struct lsbatch		*b2 = lsbatch_new(2);
	const struct logrec	*r2;
	const struct lsfield	*f, *f2;
	uint32_t		 i;

	assert_non_null(b2);
	assert_non_null(r2 = kdec_batch(d, b2, line, len));
	assert_int_equal(b2->n, 1);
	assert_true(r2->received_us == r->received_us);
	assert_true(r2->time_us == r->time_us);
	assert_int_equal(r2->transport, r->transport);
	assert_int_equal(r2->format, r->format);
	assert_int_equal(r2->severity, r->severity);
	assert_int_equal(r2->facility, r->facility);
	assert_true(r2->flags & LR_PARSED);
	assert_int_equal(r2->raw.len, len);
	assert_memory_equal(LS_PTR(b2, r2->raw), line, len);
	BSLICE_EQ(b2, r2->source, b, r->source);
	BSLICE_EQ(b2, r2->host, b, r->host);
	BSLICE_EQ(b2, r2->app, b, r->app);
	BSLICE_EQ(b2, r2->message, b, r->message);
	BSLICE_EQ(b2, r2->trusted, b, r->trusted);
	assert_int_equal(r2->field_count, r->field_count);
	for (i = 0; i < r->field_count; i++) {
		f = &b->fields[r->field_first + i];
		f2 = &b2->fields[r2->field_first + i];
		assert_int_equal(f2->type, f->type);
		BSLICE_EQ(b2, f2->key, b, f->key);
		BSLICE_EQ(b2, f2->val, b, f->val);
		BSLICE_EQ(b2, f2->sdid, b, f->sdid);
	}
	lsbatch_free(b2);
}

/* Parse raw as a listener would, with the edge's extras; encode; read back;
 * compare. */
static void
roundtrip(const char *raw, size_t len, int extras)
{
	struct lsbatch	*b = lsbatch_new(4);
	struct logrec	*r;
	struct lsfield	*f;
	struct obuf	 o = { 0 };
	struct kdec	 d;
	char		*line;
	uint32_t	 i;

	memset(&d, 0, sizeof(d));
	assert_non_null(b);
	assert_non_null(r = lsbatch_add_rec(b));
	assert_int_equal(lsbatch_append(b, raw, len, &r->raw), 0);
	r->received_us = 1796300000123456LL;
	r->transport = LRT_TLS;
	assert_int_equal(parser_parse(b, r), 0);
	assert_int_equal(lsbatch_append(b, S("192.0.2.7:51514"), &r->source),
	    0);
	if (extras) {
		r->stream = LRS_GAP;
		r->missing = 42;
		r->flags |= LR_TRUNCATED;
		assert_int_equal(lsbatch_append(b,
		    S("{\"uid\":0,\"systemd_unit\":\"a\\\"b.service\"}"),
		    &r->trusted), 0);
	}
	writer_encode_json(&o, b, r);
	assert_true(o.len > 0 && o.p[o.len - 1] == '\n');
	o.len--;			/* as the Kafka output sends it */
	line = o.p;
	assert_int_equal(kdec_parse(&d, line, o.len), 1);

	assert_true(d.received_us == r->received_us);
	assert_true(d.time_us == r->time_us);
	if (r->time_us != LR_NOTIME)
		assert_int_equal(d.time_prec, r->time_prec);
	assert_int_equal(d.transport, LRT_TLS);
	assert_int_equal(d.format, r->format);
	assert_int_equal(d.facility, r->facility);
	assert_int_equal(d.severity, r->severity);
	assert_int_equal(d.stream, r->stream);
	assert_int_equal(d.flags & LR_TRUNCATED, r->flags & LR_TRUNCATED);
	if (r->stream == LRS_GAP)
		assert_int_equal(d.missing, r->missing);
	SLICE_EQ(&d, line, d.source, b, r->source);
	SLICE_EQ(&d, line, d.host, b, r->host);
	SLICE_EQ(&d, line, d.app, b, r->app);
	SLICE_EQ(&d, line, d.pid, b, r->pid);
	SLICE_EQ(&d, line, d.msgid, b, r->msgid);
	SLICE_EQ(&d, line, d.message, b, r->message);
	SLICE_EQ(&d, line, d.trusted, b, r->trusted);
	/* The writer puts SD fields first, then the rest; so does kdec. */
	assert_int_equal(d.nfields, r->field_count);
	for (i = 0; i < d.nfields; i++) {
		f = &b->fields[r->field_first + i];
		assert_int_equal(d.fields[i].type, f->type);
		SLICE_EQ(&d, line, d.fields[i].key, b, f->key);
		SLICE_EQ(&d, line, d.fields[i].val, b, f->val);
		SLICE_EQ(&d, line, d.fields[i].sdid, b, f->sdid);
	}
	batch_eq(&d, line, o.len, b, r);
	kdec_free(&d);
	obuf_free(&o);
	lsbatch_free(b);
}

static void
test_rfc5424(void **state)
{
	roundtrip(S("<165>1 2026-11-23T20:14:15.003Z web01.example.com nginx "
	    "4711 ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"App\\\"x\"]"
	    "[empty@1] request done seq=7"), 0);
	roundtrip(S("<13>1 2026-12-01T10:00:00.000001Z host01 app1 1 - "
	    "[m@1 n=\"1\"] event seq=1"), 1);
}

static void
test_rfc3164(void **state)
{
	roundtrip(S("<38>Nov 23 20:14:15 db01 sshd[1234]: Failed password for "
	    "invalid user admin from 203.0.113.9 port 40222 ssh2"), 1);
}

static void
test_json(void **state)
{
	/* escapes, UTF-8, nested values, numbers, literals */
	roundtrip(S("{\"host\":\"h\\u00e9\",\"app\":\"api\",\"msg\":\"line1\\n"
	    "\\ttab \\\"q\\\" \\ud83d\\ude00 \xc3\xa9\",\"level\":\"error\","
	    "\"n\":-1.5e3,\"ok\":true,\"no\":null,\"obj\":{\"a\":[1,{\"b\":"
	    "\"c\"}]},\"seq\":9}"), 0);
}

static void
test_plain(void **state)
{
	roundtrip(S("just text with \x01 a control byte and \xff bad UTF-8"),
	    1);
	roundtrip(S(""), 0);
}

static void
test_refused(void **state)
{
	static const char *const no[] = {
		"",
		"plain text",
		"{}",
		"{\"host\":\"a\"}",
		/* no transport */
		"{\"received\":\"2026-12-01T10:00:00.000001Z\"}",
		/* a member the writer never writes */
		"{\"received\":\"2026-12-01T10:00:00Z\",\"transport\":\"tcp\","
		"\"extra\":1}",
		/* bad values */
		"{\"received\":\"yesterday\",\"transport\":\"tcp\"}",
		"{\"received\":\"2026-12-01T10:00:00Z\",\"transport\":\"carrier "
		"pigeon\"}",
		"{\"received\":\"2026-12-01T10:00:00Z\",\"transport\":\"tcp\","
		"\"severity\":\"loud\"}",
		"{\"received\":\"2026-12-01T10:00:00Z\",\"transport\":\"tcp\","
		"\"truncated\":false}",
		/* broken JSON */
		"{\"received\":\"2026-12-01T10:00:00Z\",\"transport\":\"tcp\"",
		"{\"received\":\"2026-12-01T10:00:00Z\",\"transport\":\"tcp\"} x",
		"{\"received\":\"2026-12-01T10:00:00Z\",\"transport\":\"tcp\","
		"\"message\":\"a\\qb\"}",
		"{\"received\":\"2026-12-01T10:00:00Z\",\"transport\":\"tcp\","
		"\"message\":\"\\ud800 lone\"}",
		"{\"received\":\"2026-12-01T10:00:00Z\",\"transport\":\"tcp\","
		"\"message\":\"tab\there\"}",
		"{\"received\":\"2026-12-01T10:00:00Z\",\"transport\":\"tcp\","
		"\"fields\":{\"a\":01}}",
		"{\"received\":\"2026-12-01T10:00:00Z\",\"transport\":\"tcp\","
		"\"fields\":{\"a\":[1,]}}",
		"{\"received\":\"2026-12-01T10:00:00Z\",\"transport\":\"tcp\","
		"\"fields\":{\"a\":{\"b\":\"\xc3\"}}}",
		"{\"received\":\"2026-12-01T10:00:00Z\",\"transport\":\"tcp\","
		"\"trusted\":[1]}",
		"{\"received\":\"2026-12-01T10:00:00Z\",\"transport\":\"tcp\","
		"\"sd\":{\"id\":{\"k\":1}}}",
		NULL
	};
	struct kdec	 d;
	size_t		 i;

	memset(&d, 0, sizeof(d));
	for (i = 0; no[i] != NULL; i++) {
		if (kdec_parse(&d, no[i], strlen(no[i])) != 0)
			fail_msg("taken as an event: %s", no[i]);
	}
	/* the smallest event there is */
	assert_int_equal(kdec_parse(&d, S("{\"received\":\"2026-12-01T10:00:"
	    "00Z\",\"transport\":\"udp\"}")), 1);
	assert_int_equal(d.transport, LRT_UDP);
	assert_true(d.time_us == LR_NOTIME);
	/* a deep nest is refused, not recursed into without end */
	{
		char	 deep[4096];
		size_t	 n;

		n = (size_t)snprintf(deep, sizeof(deep), "{\"received\":\"2026-"
		    "12-01T10:00:00Z\",\"transport\":\"tcp\",\"fields\":{\"a\":");
		memset(deep + n, '[', 1000);
		memset(deep + n + 1000, ']', 1000);
		memcpy(deep + n + 2000, "}}", 2);
		assert_int_equal(kdec_parse(&d, deep, n + 2002), 0);
	}
	kdec_free(&d);
}

/* Two decoders give the same: one fresh for each line, one reused from
 * line to line (its memo of names and times, kdec.h). */
static void
same_decode(struct kdec *re, const char *s, size_t len)
{
	struct kdec	 fresh;
	int		 rc;

	memset(&fresh, 0, sizeof(fresh));
	rc = kdec_parse(&fresh, s, len);
	assert_int_equal(kdec_parse(re, s, len), rc);
	if (rc == 1) {
		assert_true(re->received_us == fresh.received_us);
		assert_true(re->time_us == fresh.time_us);
		assert_int_equal(re->time_prec, fresh.time_prec);
		assert_int_equal(re->transport, fresh.transport);
		assert_int_equal(re->format, fresh.format);
		assert_int_equal(re->facility, fresh.facility);
		assert_int_equal(re->severity, fresh.severity);
		assert_int_equal(re->stream, fresh.stream);
		piece_eq(re, s, &re->host, fresh.host.scratch ? fresh.scratch +
		    fresh.host.off : s + fresh.host.off, fresh.host.len);
		piece_eq(re, s, &re->message, fresh.message.scratch ?
		    fresh.scratch + fresh.message.off : s + fresh.message.off,
		    fresh.message.len);
	}
	kdec_free(&fresh);
}

#define R	"{\"received\":"
static void
test_memo(void **state)
{
	static const char *const lines[] = {
		R "\"2026-12-01T10:00:00.5Z\",\"time\":\"2026-11-23T20:14:"
		"15.003Z\",\"transport\":\"tcp\",\"format\":\"rfc5424\","
		"\"facility\":\"local4\",\"severity\":\"notice\",\"host\":"
		"\"a\",\"message\":\"m\",\"stream\":\"ok\"}",
		/* the same texts but one */
		R "\"2026-12-01T10:00:00.5Z\",\"time\":\"2026-11-23T20:14:"
		"15.003Z\",\"transport\":\"tcp\",\"format\":\"rfc5424\","
		"\"facility\":\"auth\",\"severity\":\"notice\",\"host\":"
		"\"a\",\"stream\":\"ok\"}",
		/* the same received, another precision of time */
		R "\"2026-12-01T10:00:00.5Z\",\"time\":\"2026-11-23T20:14:"
		"15.003000Z\",\"transport\":\"TCP\",\"facility\":\"4\","
		"\"severity\":\"warn\",\"stream\":\"delayed\"}",
		/* a time that is not one, twice: refused both times */
		R "\"2026-12-01T10:00:00.5Z\",\"time\":\"2026-13-23T20:14:"
		"15Z\",\"transport\":\"tcp\"}",
		R "\"2026-12-01T10:00:00.5Z\",\"time\":\"2026-13-23T20:14:"
		"15Z\",\"transport\":\"tcp\"}",
		R "\"2026-12-01T10:00:00.5Z\",\"transport\":\"carrier pigeon\"}",
		R "\"2026-12-01T10:00:00.5Z\",\"transport\":\"tcp\"}",
		/* keys with an escape or UTF-8 name no member */
		"{\"rec\\u0065ived\":\"2026-12-01T10:00:00Z\",\"transport\":"
		"\"tcp\"}",
		R "\"2026-12-01T10:00:00Z\",\"transport\":\"tcp\",\"h\xc3\xa9\":"
		"\"x\"}",
		/* blanks between the tokens */
		R " \"2026-12-01T10:00:00Z\" , \"transport\" : \"udp\" ,\t"
		"\"host\"\n:\r\"b\" }",
		/* escapes and UTF-8 past the first 16 bytes of a string */
		R "\"2026-12-01T10:00:01Z\",\"transport\":\"tcp\",\"host\":"
		"\"0123456789abcdefghij\xc3\xa9klmnopqrstuvwxyz\",\"message\":"
		"\"0123456789abcdef0123456789abcdef\\\"quoted\\\" \\u00e9 "
		"and a tab\\t0123456789abcdef\"}",
		/* a control byte past 16 bytes: not JSON */
		R "\"2026-12-01T10:00:01Z\",\"transport\":\"tcp\",\"message\":"
		"\"0123456789abcdef0123\x01\"}",
		/* an unterminated string */
		R "\"2026-12-01T10:00:01Z\",\"transport\":\"tcp\",\"message\":"
		"\"0123456789abcdef0123456789abcdef}",
		NULL
	};
	struct kdec	 d;
	size_t		 i;
	int		 round;

	memset(&d, 0, sizeof(d));
	for (round = 0; round < 2; round++)
		for (i = 0; lines[i] != NULL; i++)
			same_decode(&d, lines[i], strlen(lines[i]));
	assert_int_equal(kdec_parse(&d, lines[10], strlen(lines[10])), 1);
	piece_eq(&d, lines[10], &d.message, S("0123456789abcdef0123456789abcdef"
	    "\"quoted\" \xc3\xa9 and a tab\t0123456789abcdef"));
	assert_int_equal(kdec_parse(&d, lines[11], strlen(lines[11])), 0);
	assert_int_equal(kdec_parse(&d, lines[3], strlen(lines[3])), 0);
	assert_int_equal(kdec_parse(&d, lines[7], strlen(lines[7])), 0);
	assert_int_equal(kdec_parse(&d, lines[9], strlen(lines[9])), 1);
	assert_int_equal(d.transport, LRT_UDP);
	kdec_free(&d);
}

/*
 * A producer's line may hold an SD parameter without a name among named
 * ones; the parser never makes that (a nameless SD field is an element
 * without parameters).  Written again (a worker's store), the line must
 * be JSON: it was `{,"a":"1"}` (found by fuzz_kdec).
 */
static void
test_sd_nameless(void **state)
{
	static const char *const lines[] = {
		"{\"received\":\"2026-12-01T10:00:00Z\",\"transport\":\"tcp\","
		"\"format\":\"rfc5424\",\"message\":\"m\",\"sd\":{\"x@1\":{\"\":\"v\",\"a\":\"1\","
		"\"b\":\"2\"},\"y@1\":{\"c\":\"3\",\"\":\"w\"},\"z@1\":{}}}",
		"{\"received\":\"2026-12-01T10:00:00Z\",\"transport\":\"tcp\","
		"\"format\":\"rfc5424\",\"message\":\"m\",\"sd\":{\"x@1\":{\"\":"
		"\"v\"}}}",
	};
	struct kdec	 d;
	struct lsbatch	*b;
	struct logrec	*r;
	struct obuf	 o = { 0 };
	json_t		*j, *x;
	size_t		 i;

	(void)state;
	memset(&d, 0, sizeof(d));
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		assert_non_null(b = lsbatch_new(1));
		assert_int_equal(kdec_parse(&d, lines[i], strlen(lines[i])), 1);
		assert_non_null(r = kdec_batch(&d, b, lines[i],
		    strlen(lines[i])));
		o.len = 0;
		writer_encode_json(&o, b, r);
		assert_non_null(j = json_loadb(o.p, o.len, 0, NULL));
		assert_non_null(x = json_object_get(json_object_get(j, "sd"),
		    "x@1"));
		if (i == 0) {
			assert_string_equal(json_string_value(
			    json_object_get(x, "a")), "1");
			assert_string_equal(json_string_value(
			    json_object_get(x, "b")), "2");
			assert_string_equal(json_string_value(json_object_get(
			    json_object_get(json_object_get(j, "sd"), "y@1"),
			    "c")), "3");
		}
		json_decref(j);
		lsbatch_free(b);
	}
	free(o.p);
	kdec_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5424),
		cmocka_unit_test(test_rfc3164),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_memo),
		cmocka_unit_test(test_sd_nameless),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
