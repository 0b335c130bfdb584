/*
 * test_jsonenc.c: the hot-path JSON encoder against a slow reference
 * encoder written from RFC 8259 and RFC 3629, a round trip through a small
 * decoder that knows the \udcXX rule (random bytes, fixed seed), jansson on
 * the valid-UTF-8 cases, and the timestamp and number formatters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "hexval.h"
#include "jsonenc.h"

/* Length of a valid UTF-8 sequence at p, decoded the long way; 0 if none. */
static size_t
ref_utf8(const unsigned char *p, size_t n)
{
	uint32_t	 cp;
	size_t		 len, i;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0)
		len = 2, cp = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, cp = p[0] & 0x0f;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* The reference: what jsonenc_body must write for p[0..n). */
static char *
ref_encode(const unsigned char *p, size_t n, size_t *outlen)
{
	char	*o = malloc(n * 6 + 1), *w = o;
	size_t	 i = 0, l;

	assert_non_null(o);
	while (i < n) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			*w++ = '\\', *w++ = (char)c, i++;
			continue;
		}
		switch (c) {
		case '\n': w += sprintf(w, "\\n"); i++; continue;
		case '\r': w += sprintf(w, "\\r"); i++; continue;
		case '\t': w += sprintf(w, "\\t"); i++; continue;
		case '\b': w += sprintf(w, "\\b"); i++; continue;
		case '\f': w += sprintf(w, "\\f"); i++; continue;
		}
		if (c < 0x20 || c == 0x7f) {
			w += sprintf(w, "\\u%04x", c);
			i++;
		} else if ((l = ref_utf8(p + i, n - i)) > 0) {
			memcpy(w, p + i, l);
			w += l, i += l;
		} else {
			w += sprintf(w, "\\udc%02x", c);
			i++;
		}
	}
	*outlen = (size_t)(w - o);
	return o;
}

/*
 * Decode a JSON string body (no quotes) written by the encoder: escapes,
 * \udcXX back to byte XX, raw bytes as they are.  Fails the test on
 * anything a JSON parser would reject (raw controls, bad escapes).
 */
static unsigned char *
decode(const char *s, size_t n, size_t *outlen)
{
	unsigned char	*o = malloc(n + 1), *w = o;
	size_t		 i = 0;
	unsigned int	 u;
	int		 k, h;

	assert_non_null(o);
	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		assert_true(c >= 0x20);		/* raw controls are invalid */
		assert_true(c != '"');
		if (c != '\\') {
			*w++ = c, i++;
			continue;
		}
		assert_true(i + 1 < n);
		switch (s[i + 1]) {
		case '"': *w++ = '"'; i += 2; continue;
		case '\\': *w++ = '\\'; i += 2; continue;
		case '/': *w++ = '/'; i += 2; continue;
		case 'n': *w++ = '\n'; i += 2; continue;
		case 'r': *w++ = '\r'; i += 2; continue;
		case 't': *w++ = '\t'; i += 2; continue;
		case 'b': *w++ = '\b'; i += 2; continue;
		case 'f': *w++ = '\f'; i += 2; continue;
		case 'u': break;
		default: fail_msg("bad escape \\%c", s[i + 1]);
		}
		assert_true(i + 6 <= n);
		for (u = 0, k = 2; k < 6; k++) {
			h = hexval((unsigned char)s[i + k]);
			assert_true(h >= 0);
			u = u << 4 | (unsigned int)h;
		}
		i += 6;
		if (u >= 0xdc80 && u <= 0xdcff)
			*w++ = (unsigned char)(u & 0xff);
		else if (u < 0x80)
			*w++ = (unsigned char)u;
		else
			fail_msg("unexpected escape \\u%04x", u);
	}
	*outlen = (size_t)(w - o);
	return o;
}

/* Encode with jsonenc_str and check it against the reference. */
static void
check_enc(const void *in, size_t n)
{
	struct obuf	 o = { 0 };
	char		*want;
	size_t		 wlen, dlen;
	unsigned char	*back;

	assert_int_equal(OBUF_LIT(&o, "x"), 0);	/* not at offset 0 */
	assert_int_equal(jsonenc_str(&o, in, n), 0);
	want = ref_encode(in, n, &wlen);
	assert_int_equal(o.len, wlen + 3);
	assert_int_equal(o.p[0], 'x');
	assert_int_equal(o.p[1], '"');
	assert_memory_equal(o.p + 2, want, wlen);
	assert_int_equal(o.p[o.len - 1], '"');
	back = decode(o.p + 2, o.len - 3, &dlen);
	assert_int_equal(dlen, n);
	assert_memory_equal(back, in, n);
	free(back);
	free(want);
	obuf_free(&o);
}

/* The body of "s" encoded, compared with an expected literal. */
static void
expect_body(const char *in, size_t n, const char *want)
{
	struct obuf	 o = { 0 };

	assert_int_equal(jsonenc_str(&o, in, n), 0);
	assert_int_equal(o.len, strlen(want) + 2);
	assert_memory_equal(o.p + 1, want, strlen(want));
	obuf_free(&o);
	check_enc(in, n);
}

#define EXPECT(lit, want)	expect_body((lit), sizeof(lit) - 1, (want))

static void
test_ascii(void **state)
{
	char		 all[95];
	struct obuf	 o = { 0 };
	int		 i;

	EXPECT("", "");
	EXPECT("hello world", "hello world");
	EXPECT("a/b<c>&'", "a/b<c>&'");
	EXPECT("\"", "\\\"");
	EXPECT("\\", "\\\\");
	EXPECT("say \"hi\" \\o/", "say \\\"hi\\\" \\\\o/");
	for (i = 0; i < 95; i++)
		all[i] = (char)(0x20 + i);
	check_enc(all, sizeof(all));
	/* the body alone has no quotes */
	assert_int_equal(jsonenc_body(&o, "a\"b", 3), 0);
	assert_int_equal(o.len, 4);
	assert_memory_equal(o.p, "a\\\"b", 4);
	obuf_free(&o);
}

static void
test_controls(void **state)
{
	char	 want[16];
	char	 c;
	int	 i;

	EXPECT("\n", "\\n");
	EXPECT("\r", "\\r");
	EXPECT("\t", "\\t");
	EXPECT("\b", "\\b");
	EXPECT("\f", "\\f");
	EXPECT("\0", "\\u0000");
	EXPECT("\x1b[31mred\x1b[0m", "\\u001b[31mred\\u001b[0m");
	EXPECT("\x7f", "\\u007f");
	EXPECT("a\x01" "b\x1f" "c", "a\\u0001b\\u001fc");
	EXPECT("\x0b", "\\u000b");
	for (i = 0; i < 0x20; i++) {
		if (i == '\n' || i == '\r' || i == '\t' || i == '\b' ||
		    i == '\f')
			continue;
		c = (char)i;
		snprintf(want, sizeof(want), "\\u%04x", i);
		expect_body(&c, 1, want);
	}
}

static void
test_utf8_valid(void **state)
{
	EXPECT("\xc2\x80", "\xc2\x80");			/* U+0080 */
	EXPECT("\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9");
	EXPECT("\xdf\xbf", "\xdf\xbf");			/* U+07FF */
	EXPECT("\xe0\xa0\x80", "\xe0\xa0\x80");		/* U+0800 */
	EXPECT("\xe2\x82\xac", "\xe2\x82\xac");		/* euro */
	EXPECT("\xed\x9f\xbf", "\xed\x9f\xbf");		/* U+D7FF */
	EXPECT("\xee\x80\x80", "\xee\x80\x80");		/* U+E000 */
	EXPECT("\xef\xbf\xbf", "\xef\xbf\xbf");		/* U+FFFF */
	EXPECT("\xe2\x80\xae", "\xe2\x80\xae");		/* bidi: JSON is fine */
	EXPECT("\xf0\x90\x80\x80", "\xf0\x90\x80\x80");	/* U+10000 */
	EXPECT("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");	/* emoji */
	EXPECT("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");	/* U+10FFFF */
	EXPECT("\xc2\xa0\"\xc2\xa0", "\xc2\xa0\\\"\xc2\xa0");
}

static void
test_utf8_invalid(void **state)
{
	EXPECT("\x80", "\\udc80");			/* lone continuation */
	EXPECT("a\xbf" "b", "a\\udcbfb");
	EXPECT("\xc0\x80", "\\udcc0\\udc80");		/* overlong NUL */
	EXPECT("\xc1\xbf", "\\udcc1\\udcbf");
	EXPECT("\xe0\x80\x80", "\\udce0\\udc80\\udc80");
	EXPECT("\xe0\x9f\xbf", "\\udce0\\udc9f\\udcbf");
	EXPECT("\xf0\x80\x80\x80", "\\udcf0\\udc80\\udc80\\udc80");
	EXPECT("\xf0\x8f\xbf\xbf", "\\udcf0\\udc8f\\udcbf\\udcbf");
	EXPECT("\xed\xa0\x80", "\\udced\\udca0\\udc80");	/* U+D800 */
	EXPECT("\xed\xbf\xbf", "\\udced\\udcbf\\udcbf");	/* U+DFFF */
	EXPECT("\xed\xa0\xbd\xed\xb8\x80",
	    "\\udced\\udca0\\udcbd\\udced\\udcb8\\udc80");	/* CESU pair */
	EXPECT("\xf4\x90\x80\x80", "\\udcf4\\udc90\\udc80\\udc80");
	EXPECT("\xf5\x80\x80\x80", "\\udcf5\\udc80\\udc80\\udc80");
	EXPECT("\xf8\x88\x80\x80\x80",
	    "\\udcf8\\udc88\\udc80\\udc80\\udc80");
	EXPECT("\xfe\xff", "\\udcfe\\udcff");
	/* truncated at the end, and cut by another character */
	EXPECT("ok\xc3", "ok\\udcc3");
	EXPECT("ok\xe2\x82", "ok\\udce2\\udc82");
	EXPECT("ok\xf0\x9f\x98", "ok\\udcf0\\udc9f\\udc98");
	EXPECT("\xe2\x82" "a", "\\udce2\\udc82a");
	EXPECT("\xc3\xc3\xa9", "\\udcc3\xc3\xa9");
	EXPECT("\xe2\x82\xe2\x82\xac", "\\udce2\\udc82\xe2\x82\xac");
	EXPECT("\xf0\x9f\x98\n", "\\udcf0\\udc9f\\udc98\\n");
}

static void
test_each_lead_byte(void **state)
{
	unsigned char	 b[4];
	int		 c, d;

	/* every lead byte, with every second byte and valid tails */
	for (c = 0; c < 256; c++)
		for (d = 0; d < 256; d++) {
			b[0] = (unsigned char)c;
			b[1] = (unsigned char)d;
			b[2] = 0x80 | (d & 0x3f);
			b[3] = 0xbf;
			check_enc(b, 2);
			check_enc(b, 3);
			check_enc(b, 4);
		}
}

/* Random bytes from a mix: ASCII, controls, ESC, NUL, high, UTF-8 runs. */
static size_t
random_bytes(unsigned char *p, size_t max, unsigned int *seed, int valid)
{
	static const char *const seqs[] = {
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xed\x9f\xbf",
		"\xf4\x8f\xbf\xbf", "\xe2\x80\xae", "\xc2\x85", "\xef\xbb\xbf",
	};
	size_t	 n = (size_t)rand_r(seed) % max, i = 0, l;
	int	 k;

	while (i < n) {
		k = rand_r(seed) % 10;
		if (k < 3) {
			p[i++] = (unsigned char)(0x20 + rand_r(seed) % 95);
		} else if (k < 5) {
			p[i++] = (unsigned char)(rand_r(seed) % 0x20);
		} else if (k == 5) {
			p[i++] = "\"\\\x7f\x1b\0"[rand_r(seed) % 5];
		} else if (k < 8 || valid) {
			l = strlen(seqs[k = rand_r(seed) % 8]);
			if (i + l > n)
				break;
			memcpy(p + i, seqs[k], l);
			i += l;
		} else {
			p[i++] = (unsigned char)(0x80 + rand_r(seed) % 128);
		}
	}
	return i;
}

static void
test_round_trip(void **state)
{
	unsigned char	 in[256];
	unsigned int	 seed = 20261123;
	size_t		 n;
	int		 round;

	for (round = 0; round < 20000; round++) {
		n = random_bytes(in, sizeof(in), &seed, 0);
		check_enc(in, n);
	}
	/* and plain random bytes, all 256 values */
	for (round = 0; round < 20000; round++) {
		n = (size_t)rand_r(&seed) % 64;
		for (size_t i = 0; i < n; i++)
			in[i] = (unsigned char)rand_r(&seed);
		check_enc(in, n);
	}
}

static void
test_jansson(void **state)
{
	unsigned char	 in[256];
	unsigned int	 seed = 42;
	struct obuf	 o = { 0 };
	json_error_t	 err;
	json_t		*j;
	size_t		 n;
	int		 round;

	for (round = 0; round < 5000; round++) {
		n = random_bytes(in, sizeof(in), &seed, 1);
		o.len = 0;
		assert_int_equal(jsonenc_str(&o, (char *)in, n), 0);
		j = json_loadb(o.p, o.len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
		    &err);
		if (j == NULL)
			fail_msg("jansson: %s in %.*s", err.text, (int)o.len,
			    o.p);
		assert_true(json_is_string(j));
		assert_int_equal(json_string_length(j), n);
		assert_memory_equal(json_string_value(j), in, n);
		json_decref(j);
	}
	obuf_free(&o);
}

static void
test_big(void **state)
{
	struct obuf	 o = { 0 };
	char		*in;
	size_t		 n = 300000, i;

	/* far past the first allocation, all escaped: 6x growth */
	in = malloc(n);
	assert_non_null(in);
	memset(in, 0x01, n);
	assert_int_equal(jsonenc_str(&o, in, n), 0);
	assert_int_equal(o.len, n * 6 + 2);
	assert_true(o.cap >= o.len);
	for (i = 0; i < n; i += 9999)
		assert_memory_equal(o.p + 1 + i * 6, "\\u0001", 6);
	obuf_free(&o);
	assert_null(o.p);
	assert_int_equal(o.len, 0);
	assert_int_equal(o.cap, 0);
	memset(in, 'a', n);
	check_enc(in, n);
	free(in);
	obuf_free(&o);		/* twice is fine */
}

static void
test_append(void **state)
{
	struct obuf	 o = { 0 };

	assert_int_equal(OBUF_LIT(&o, "{\"a\":"), 0);
	assert_int_equal(jsonenc_str(&o, "x\ny", 3), 0);
	assert_int_equal(OBUF_LIT(&o, ",\"n\":"), 0);
	assert_int_equal(jsonenc_uint(&o, 42), 0);
	assert_int_equal(OBUF_LIT(&o, "}"), 0);
	assert_int_equal(o.len, strlen("{\"a\":\"x\\ny\",\"n\":42}"));
	assert_memory_equal(o.p, "{\"a\":\"x\\ny\",\"n\":42}", o.len);
	assert_int_equal(obuf_reserve(&o, 10000), 0);
	assert_true(o.cap >= o.len + 10000);
	obuf_free(&o);
}

static void
expect_uint(uint64_t v, const char *want)
{
	struct obuf	 o = { 0 };

	assert_int_equal(jsonenc_uint(&o, v), 0);
	assert_int_equal(o.len, strlen(want));
	assert_memory_equal(o.p, want, o.len);
	obuf_free(&o);
}

static void
test_uint(void **state)
{
	expect_uint(0, "0");
	expect_uint(7, "7");
	expect_uint(10, "10");
	expect_uint(1234567890, "1234567890");
	expect_uint(UINT64_MAX, "18446744073709551615");
	expect_uint(10000000000000000000ULL, "10000000000000000000");
}

static void
expect_time(int64_t us, int prec, const char *want)
{
	struct obuf	 o = { 0 };

	assert_int_equal(jsonenc_time(&o, us, prec), 0);
	if (o.len != strlen(want) || memcmp(o.p, want, o.len) != 0)
		fail_msg("time %lld prec %d: %.*s, want %s", (long long)us,
		    prec, (int)o.len, o.p, want);
	obuf_free(&o);
}

static void
test_time(void **state)
{
	int64_t	 t = 1795464854906034LL;	/* 2026-11-23T20:14:14.906034Z */

	expect_time(t, 0, "\"2026-11-23T20:14:14Z\"");
	expect_time(t, 1, "\"2026-11-23T20:14:14.9Z\"");
	expect_time(t, 2, "\"2026-11-23T20:14:14.90Z\"");
	expect_time(t, 3, "\"2026-11-23T20:14:14.906Z\"");
	expect_time(t, 4, "\"2026-11-23T20:14:14.9060Z\"");
	expect_time(t, 5, "\"2026-11-23T20:14:14.90603Z\"");
	expect_time(t, 6, "\"2026-11-23T20:14:14.906034Z\"");
	expect_time(t, 9, "\"2026-11-23T20:14:14.906034Z\"");
	expect_time(t, -1, "\"2026-11-23T20:14:14Z\"");
	/* digits are cut, not rounded */
	expect_time(1795464854999999LL, 3,
	    "\"2026-11-23T20:14:14.999Z\"");
	expect_time(0, 0, "\"1970-01-01T00:00:00Z\"");
	expect_time(0, 6, "\"1970-01-01T00:00:00.000000Z\"");
	expect_time(1, 6, "\"1970-01-01T00:00:00.000001Z\"");
	expect_time(-1, 6, "\"1969-12-31T23:59:59.999999Z\"");
	expect_time(-1, 0, "\"1969-12-31T23:59:59Z\"");
	expect_time(-1000000, 3, "\"1969-12-31T23:59:59.000Z\"");
	expect_time(-1500000, 1, "\"1969-12-31T23:59:58.5Z\"");
	expect_time(-2208988800000000LL, 0, "\"1900-01-01T00:00:00Z\"");
	expect_time(951868799000000LL, 0, "\"2000-02-29T23:59:59Z\"");
	expect_time(2147483648000000LL, 0, "\"2038-01-19T03:14:08Z\"");
	expect_time(253402300799999999LL, 6, "\"9999-12-31T23:59:59.999999Z\"");
}

static void
test_time_cache(void **state)
{
	int64_t	 a = 1795464854000000LL;

	/* the cached second must follow the clock both ways */
	expect_time(a + 999999, 6, "\"2026-11-23T20:14:14.999999Z\"");
	expect_time(a + 1000000, 6, "\"2026-11-23T20:14:15.000000Z\"");
	expect_time(a + 999999, 0, "\"2026-11-23T20:14:14Z\"");
	expect_time(a + 86400000000LL, 0, "\"2026-11-24T20:14:14Z\"");
	expect_time(a, 0, "\"2026-11-23T20:14:14Z\"");
	expect_time(-1, 0, "\"1969-12-31T23:59:59Z\"");
	expect_time(a, 0, "\"2026-11-23T20:14:14Z\"");
	expect_time(a, 0, "\"2026-11-23T20:14:14Z\"");
}

static void
test_time_reference(void **state)
{
	unsigned int	 seed = 99;
	struct tm	 tm;
	time_t		 t;
	int64_t		 us;
	char		 want[64];
	int		 i, prec, n;

	/* random instants from 1900 to 2200 against gmtime_r + printf */
	for (i = 0; i < 100000; i++) {
		us = (int64_t)(((uint64_t)rand_r(&seed) << 31 |
		    (uint64_t)rand_r(&seed)) % 9467280000000000ULL) -
		    2208988800000000LL;
		prec = rand_r(&seed) % 7;
		t = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
		assert_non_null(gmtime_r(&t, &tm));
		n = snprintf(want, sizeof(want), "\"%04d-%02d-%02dT%02d:%02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		if (prec > 0)
			n += snprintf(want + n, sizeof(want) - (size_t)n,
			    ".%06lld", (long long)(us - (int64_t)t * 1000000));
		if (prec > 0)
			n -= 6 - prec;
		snprintf(want + n, sizeof(want) - (size_t)n, "Z\"");
		expect_time(us, prec, want);
	}
}

/*
 * The encoder copies eight bytes at a time when none needs escaping: each
 * byte value at each place of a 24-byte run of 'a' must come out as it
 * does alone (one byte takes the byte-at-a-time path).
 */
static void
test_word_scan(void **state)
{
	struct obuf	 one = { 0 }, o = { 0 };
	char		 in[24], want[64];
	size_t		 k, n;
	int		 c;

	for (c = 0; c < 256; c++) {
		unsigned char	 b = (unsigned char)c;

		one.len = 0;
		assert_int_equal(jsonenc_body(&one, (char *)&b, 1), 0);
		for (k = 0; k < sizeof(in); k++) {
			memset(in, 'a', sizeof(in));
			in[k] = (char)b;
			n = 0;
			memset(want, 'a', k);
			n += k;
			memcpy(want + n, one.p, one.len);
			n += one.len;
			memset(want + n, 'a', sizeof(in) - k - 1);
			n += sizeof(in) - k - 1;
			o.len = 0;
			assert_int_equal(jsonenc_body(&o, in, sizeof(in)), 0);
			assert_int_equal(o.len, n);
			assert_memory_equal(o.p, want, n);
		}
	}
	obuf_free(&one);
	obuf_free(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_invalid),
		cmocka_unit_test(test_each_lead_byte),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_jansson),
		cmocka_unit_test(test_big),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_time_cache),
		cmocka_unit_test(test_time_reference),
		cmocka_unit_test(test_word_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
